//! What the dashboard's pages show, read from the store once per request. The HTML pages and
//! their JSON twins are both made from these values, so a number on a page is the number in
//! its JSON.

use std::collections::{BTreeMap, BTreeSet};

use crate::core::release::ReleaseView;
use crate::core::support::SupportView;
use serde::Serialize;

use crate::core::gate::{Gate, Outcome, Phase, Source};
use crate::core::report::waiting;
use crate::store::{Store, StoreError};

/// How many finished flights the repository page lists.
pub const FLIGHTS_LISTED: usize = 50;
/// How many finished flights its chart draws.
pub const FLIGHTS_CHARTED: i64 = 100;
/// How many failed deliveries are shown.
pub const FAILURES_SHOWN: i64 = 20;
/// How many gate switches and governance log entries are shown, newest first.
pub const AUDIT_SHOWN: usize = 50;

/// Who is looking: whether private repositories may be shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Public repositories only.
    Public,
    /// The read token was given: every repository.
    Everything,
}

#[derive(Debug, Clone, Serialize)]
pub struct Queue {
    pub pending: i64,
    pub failed: i64,
}

/// `/` and `/api/status`.
#[derive(Debug, Clone, Serialize)]
pub struct Overview {
    pub queue: Queue,
    pub repositories: Vec<RepoSummary>,
    /// Every open pull request with a verdict, by repository and number.
    pub pull_requests: Vec<PullRow>,
    pub failures: Vec<FailureRow>,
}

/// One repository at a glance.
#[derive(Debug, Clone, Serialize)]
pub struct RepoSummary {
    pub repo: String,
    /// Shown only with the read token.
    pub private: bool,
    /// The gate's view, when the repository has a push gate.
    pub gate: Option<GateGlance>,
    /// Open issues holding the release (`None`: no release answer yet).
    pub release_blockers: Option<usize>,
    pub open_pull_requests: usize,
    pub waiting_for_acks: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct GateGlance {
    pub master: String,
    /// Staging's tip (master's when nothing is ahead).
    pub staging: String,
    pub commits_ahead: usize,
    pub blocked: bool,
    /// The running flight: its number and what it does (`testing`, `bisecting`).
    pub flight: Option<FlightGlance>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlightGlance {
    pub id: u64,
    pub tip: String,
    pub phase: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct PullRow {
    pub repo: String,
    pub pr: i64,
    pub head_sha: String,
    /// `complete` or `missing`.
    pub acks: &'static str,
    /// The pull request's title, or the check's title when no delivery gave it.
    pub title: String,
    /// The `pushgate/acks` check's title.
    pub check: String,
    pub url: Option<String>,
    pub author: Option<String>,
    /// What is missing and whom to ask, as the check says (on the repository's page only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ask: Vec<String>,
    /// When the verdict was last given (Unix seconds).
    pub evaluated_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FailureRow {
    pub delivery: String,
    pub event: String,
    pub repo: String,
    /// Milliseconds.
    pub failed_at: i64,
    pub error: String,
}

/// `/repos/{owner}/{repo}` and `/api/repos/{owner}/{repo}`.
#[derive(Debug, Clone, Serialize)]
pub struct RepoPage {
    pub repo: String,
    pub private: bool,
    pub queue: Queue,
    /// Open pull requests, by number.
    pub pull_requests: Vec<PullRow>,
    pub waiting_for_acks: usize,
    pub failures: Vec<FailureRow>,
    pub gate: Option<GateView>,
    /// The last finished flights, newest first (at most [`FLIGHTS_LISTED`]).
    pub flights: Vec<FlightRow>,
    /// The chart's points, oldest first (at most [`FLIGHTS_CHARTED`]).
    pub flight_outcomes: Vec<ChartPoint>,
    /// The release answer as stored (`blocking`, `blockers`, or `failed`), with `updated_at`.
    pub release: Option<ReleaseView>,
    pub release_blockers: Option<usize>,
    /// The support matrix as stored (`file`, `sha`, `features`, `counts`, `unparsed`), with
    /// `updated_at`.
    pub support: Option<SupportView>,
    pub governance: Governance,
    /// Gate switches (block, unblock, force), newest first.
    pub audit: Vec<SwitchRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct GateView {
    pub master: String,
    pub staging: String,
    /// Staging's commits not on master, oldest first.
    pub ahead: Vec<String>,
    pub commits_ahead: usize,
    pub blocked: bool,
    pub block: Option<SwitchRow>,
    pub current_flight: Option<CurrentFlight>,
    /// Master is not an ancestor of staging (since, Unix seconds).
    pub diverged_since: Option<i64>,
    /// GitHub refused the last fast-forward: why.
    pub rejected: Option<String>,
    /// The dashboard issue's Markdown (kept for clients of the old status JSON).
    pub dashboard: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct CurrentFlight {
    pub id: u64,
    pub tip: String,
    pub baseline: String,
    pub commits: usize,
    pub started_at: i64,
    pub deadline: i64,
    pub phase: String,
    pub checks: Vec<CheckView>,
}

#[derive(Debug, Clone, Serialize)]
pub struct CheckView {
    pub name: String,
    /// `passed`, `failed`, `pending` or `none`.
    pub tip: &'static str,
    pub baseline: &'static str,
    pub posted_by: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlightRow {
    pub id: u64,
    pub tip: String,
    pub baseline: String,
    pub commits: usize,
    pub started_at: i64,
    pub finished_at: i64,
    pub duration_seconds: i64,
    /// `passed`, `regressed`, `timed-out`, `superseded` or `dropped`.
    pub result: String,
    /// The regressed checks, or the flaky ones of a pass.
    pub checks: Vec<String>,
    pub culprit: Option<String>,
    pub culprit_pull: Option<i64>,
    pub culprit_about: Option<String>,
    pub culprit_url: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ChartPoint {
    pub id: u64,
    pub finished_at: i64,
    pub result: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SwitchRow {
    pub by: String,
    pub what: String,
    pub reason: String,
    pub at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Governance {
    /// Votes and lazy consensus still open, soonest deadline first.
    pub open: Vec<DecisionRow>,
    /// What happened to decisions, newest first.
    pub log: Vec<LogRow>,
    /// Embargoes in flight, soonest end first: the pull request and the time only, never
    /// the advisory or who was told.
    pub embargoes: Vec<EmbargoRow>,
    /// Security advisories that may be shown: those on public issues, and the others once
    /// their disclosure time came. The log leaves out what concerns the others.
    pub advisories: Vec<AdvisoryRow>,
}

#[derive(Debug, Clone, Serialize)]
pub struct AdvisoryRow {
    pub name: String,
    /// The issue it is tracked on.
    pub number: i64,
    pub reported_at: i64,
    pub fix_due: i64,
    pub predisclosure_at: Option<i64>,
    pub disclosure_at: Option<i64>,
    /// The disclosure time came.
    pub disclosed: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EmbargoRow {
    pub number: i64,
    /// When the hold ends (Unix seconds).
    pub until: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DecisionRow {
    pub number: i64,
    /// `vote` or `lazy-consensus`.
    pub kind: String,
    pub scheme: String,
    pub opened_by: String,
    pub opened_at: i64,
    pub deadline: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct LogRow {
    pub number: i64,
    pub at: i64,
    pub who: String,
    pub what: String,
}

/// The word for an outcome, as pages and JSON show it.
pub fn outcome_word(outcome: Option<Outcome>) -> &'static str {
    match outcome {
        Some(Outcome::Passed) => "passed",
        Some(Outcome::Failed) => "failed",
        Some(Outcome::Pending) => "pending",
        None => "none",
    }
}

fn phase_word(phase: &Phase) -> String {
    match phase {
        Phase::Testing => "testing".to_string(),
        Phase::Bisecting { .. } => "bisecting".to_string(),
        Phase::Done(verdict) => verdict.word().to_string(),
    }
}

fn read_gate(text: Option<String>) -> Option<Gate> {
    text.and_then(|t| serde_json::from_str(&t).ok())
}

/// A pull request's row; `detail` reads what is missing and whom to ask from the verdict
/// (the repository page shows it, the front page does not).
fn pull_row(p: crate::store::OpenPull, detail: bool) -> PullRow {
    let e = p.evaluation;
    let check = e.summary.lines().next().unwrap_or_default().to_string();
    let w = if e.satisfied || !detail {
        Default::default()
    } else {
        waiting(&e.summary)
    };
    PullRow {
        title: p.title.unwrap_or_else(|| check.clone()),
        check,
        repo: e.repo,
        pr: e.pr,
        head_sha: e.head_sha,
        acks: if e.satisfied { "complete" } else { "missing" },
        url: p.url,
        author: p.author,
        missing: w.missing,
        ask: w.ask,
        evaluated_at: e.at,
    }
}

/// The deliveries that failed for good. One of a repository the reader may not see keeps its
/// delivery id, event and time (an operator learns that something failed) but not its
/// repository or error.
fn failure_rows(
    failed: Vec<crate::store::Failed>,
    shown: impl Fn(&str) -> bool,
) -> Vec<FailureRow> {
    failed
        .into_iter()
        .map(|f| {
            let visible = shown(&f.repo);
            FailureRow {
                delivery: f.delivery_id,
                event: f.event,
                repo: if visible { f.repo } else { String::new() },
                failed_at: f.at,
                error: if visible {
                    f.error
                } else {
                    "(not shown: the repository is not known to be public)".to_string()
                },
            }
        })
        .collect()
}

/// The release answer stored for `repo`, with its time. One that cannot be read (written by
/// an incompatible version) is not shown until the next answer replaces it.
async fn release_view(store: &Store, repo: &str) -> Result<Option<ReleaseView>, StoreError> {
    Ok(store.view(repo, "release").await?.and_then(|(body, at)| {
        let view: ReleaseView = serde_json::from_str(&body).ok()?;
        Some(ReleaseView {
            updated_at: Some(at),
            ..view
        })
    }))
}

/// The SUPPORT.md view stored for `repo`, with its time (as [`release_view`]).
async fn support_view(store: &Store, repo: &str) -> Result<Option<SupportView>, StoreError> {
    Ok(store.view(repo, "support").await?.and_then(|(body, at)| {
        let view: SupportView = serde_json::from_str(&body).ok()?;
        Some(SupportView {
            updated_at: Some(at),
            ..view
        })
    }))
}

fn blockers(release: &Option<ReleaseView>) -> Option<usize> {
    release.as_ref().map(ReleaseView::blocker_count)
}

/// `/` and `/api/status`.
pub async fn overview(store: &Store, access: Access) -> Result<Overview, StoreError> {
    let depth = store.depth().await?;
    let known = store.repositories().await?;
    let public: BTreeSet<String> = known
        .iter()
        .filter(|(_, private)| !private)
        .map(|(repo, _)| repo.clone())
        .collect();
    // A repository with no known name (a delivery that could not be read) hides nothing.
    let shown =
        |repo: &str| access == Access::Everything || repo.is_empty() || public.contains(repo);
    let gates: BTreeMap<String, Gate> = store
        .gates()
        .await?
        .into_iter()
        .filter(|(repo, _)| shown(repo))
        .filter_map(|(repo, text)| Some((repo, read_gate(Some(text))?)))
        .collect();
    let pulls: Vec<PullRow> = store
        .open_pulls(None)
        .await?
        .into_iter()
        .filter(|p| shown(&p.evaluation.repo))
        .map(|p| pull_row(p, false))
        .collect();
    let mut names: BTreeSet<String> = gates.keys().cloned().collect();
    names.extend(pulls.iter().map(|p| p.repo.clone()));
    names.extend(known.into_iter().map(|(repo, _)| repo).filter(|r| shown(r)));
    let mut repositories = Vec::new();
    for repo in names {
        let release = release_view(store, &repo).await?;
        let mine = pulls.iter().filter(|p| p.repo == repo);
        repositories.push(RepoSummary {
            private: !public.contains(&repo),
            gate: gates.get(&repo).map(|g| GateGlance {
                master: g.master.clone(),
                staging: g.ahead.last().unwrap_or(&g.master).clone(),
                commits_ahead: g.ahead.len(),
                blocked: g.block.is_some(),
                flight: g.current().map(|f| FlightGlance {
                    id: f.id,
                    tip: f.tip.clone(),
                    phase: phase_word(&f.phase),
                }),
            }),
            release_blockers: blockers(&release),
            open_pull_requests: mine.clone().count(),
            waiting_for_acks: mine.filter(|p| p.acks == "missing").count(),
            repo,
        });
    }
    Ok(Overview {
        queue: Queue {
            pending: depth.pending,
            failed: depth.failed,
        },
        repositories,
        pull_requests: pulls,
        failures: failure_rows(store.recent_failures(FAILURES_SHOWN).await?, shown),
    })
}

/// Whether `access` may see `repo` (an unknown repository is private).
pub async fn may_see(store: &Store, repo: &str, access: Access) -> Result<bool, StoreError> {
    Ok(access == Access::Everything || store.is_public(repo).await?)
}

/// `/repos/{owner}/{repo}` and its JSON; the caller has checked [`may_see`].
pub async fn repository(store: &Store, repo: &str, now: i64) -> Result<RepoPage, StoreError> {
    let depth = store.depth().await?;
    let private = !store.is_public(repo).await?;
    let pull_requests: Vec<PullRow> = store
        .open_pulls(Some(repo))
        .await?
        .into_iter()
        .map(|p| pull_row(p, true))
        .collect();
    let gate = read_gate(store.gate(repo).await?);
    let stored = store.flights(repo, FLIGHTS_CHARTED).await?;
    let links = store.pull_links(repo).await?;
    let flights: Vec<FlightRow> = stored
        .iter()
        .take(FLIGHTS_LISTED)
        .map(|s| {
            let f = &s.flight;
            FlightRow {
                id: f.id,
                tip: f.tip.clone(),
                baseline: f.baseline.clone(),
                commits: f.commits,
                started_at: f.started_at,
                finished_at: f.finished_at,
                duration_seconds: (f.finished_at - f.started_at).max(0),
                result: f.result.clone(),
                checks: f.checks.clone(),
                culprit: f.culprit.clone(),
                culprit_pull: s.culprit_pull,
                culprit_about: s.culprit_about.clone(),
                culprit_url: s.culprit_pull.and_then(|n| links.get(&n).cloned()),
            }
        })
        .collect();
    let flight_outcomes = stored
        .iter()
        .rev()
        .map(|s| ChartPoint {
            id: s.flight.id,
            finished_at: s.flight.finished_at,
            result: s.flight.result.clone(),
        })
        .collect();
    let release = release_view(store, repo).await?;
    let support = support_view(store, repo).await?;
    let mut open: Vec<DecisionRow> = store
        .decisions(repo)
        .await?
        .into_iter()
        .filter(|d| d.state == "open")
        .map(|d| DecisionRow {
            number: d.number,
            kind: d.kind,
            scheme: d.scheme,
            opened_by: d.opened_by,
            opened_at: d.opened_at,
            deadline: d.deadline,
        })
        .collect();
    open.sort_by_key(|d| d.deadline);
    let embargoes = store
        .embargoes_in_flight(repo)
        .await?
        .into_iter()
        .map(|e| EmbargoRow {
            number: e.number,
            until: e.until,
        })
        .collect();
    let (advisories, hidden): (Vec<_>, Vec<_>) = store
        .advisories(repo)
        .await?
        .into_iter()
        .partition(|a| crate::core::advisory::shown_publicly(a.private, a.disclose_at, now));
    let hidden: Vec<i64> = hidden.iter().map(|a| a.number).collect();
    let advisories = advisories
        .into_iter()
        .map(|a| AdvisoryRow {
            disclosed: a.disclose_at.is_some_and(|d| now >= d),
            name: a.name,
            number: a.number,
            reported_at: a.reported_at,
            fix_due: a.fix_due,
            predisclosure_at: a.predisclose_at,
            disclosure_at: a.disclose_at,
        })
        .collect();
    let log = store
        .governance_log(repo)
        .await?
        .into_iter()
        // Nothing of an advisory not yet shown, nor of refused advisory commands on a
        // private repository.
        .filter(|e| {
            let refused = private && e.what.starts_with(crate::handlers::advisory::REFUSED);
            !refused && !hidden.contains(&e.number)
        })
        .rev()
        .take(AUDIT_SHOWN)
        .map(|e| LogRow {
            number: e.number,
            at: e.at,
            who: e.who,
            what: e.what,
        })
        .collect();
    let switch = |s: &crate::core::gate::Switch| SwitchRow {
        by: s.by.clone(),
        what: s.what.clone(),
        reason: s.reason.clone(),
        at: s.at,
    };
    let audit = gate
        .as_ref()
        .map(|g| g.audit.iter().rev().take(AUDIT_SHOWN).map(switch).collect())
        .unwrap_or_default();
    let gate = gate.map(|g| GateView {
        staging: g.ahead.last().unwrap_or(&g.master).clone(),
        commits_ahead: g.ahead.len(),
        blocked: g.block.is_some(),
        block: g.block.as_ref().map(switch),
        current_flight: g.current().map(|f| CurrentFlight {
            id: f.id,
            tip: f.tip.clone(),
            baseline: f.baseline.clone(),
            commits: f.commits.len(),
            started_at: f.started_at,
            deadline: f.deadline,
            phase: phase_word(&f.phase),
            checks: g
                .check_rows(f)
                .into_iter()
                .map(|r| CheckView {
                    name: r.name,
                    tip: outcome_word(r.tip),
                    baseline: outcome_word(r.baseline),
                    posted_by: r
                        .poster
                        .filter(|s| *s != Source::Unknown)
                        .map(|s| s.describe()),
                })
                .collect(),
        }),
        diverged_since: g.diverged.as_ref().map(|d| d.since),
        rejected: g.rejected.as_ref().map(|r| r.error.clone()),
        dashboard: g.dashboard_text.clone(),
        master: g.master,
        ahead: g.ahead,
    });
    let mut failed = store.recent_failures(FAILURES_SHOWN).await?;
    failed.retain(|f| f.repo == repo);
    let failures = failure_rows(failed, |_| true);
    Ok(RepoPage {
        repo: repo.to_string(),
        private,
        queue: Queue {
            pending: depth.pending,
            failed: depth.failed,
        },
        waiting_for_acks: pull_requests.iter().filter(|p| p.acks == "missing").count(),
        pull_requests,
        failures,
        gate,
        flights,
        flight_outcomes,
        release_blockers: blockers(&release),
        release,
        support,
        governance: Governance {
            open,
            log,
            embargoes,
            advisories,
        },
        audit,
    })
}
