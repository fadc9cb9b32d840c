//! The staging → master push gate (SPEC §3) as a pure state machine, modelled on Xen's osstest:
//! each staging tip opens a flight tested against the baseline (master's head); master only
//! ever fast-forwards to a tested commit; a failure is a regression only if the check passed on
//! the baseline; a regression is retried once (flaky tests), then bisected to its first bad
//! commit. Committers can block, unblock and force. Events in, actions out; the edges carry
//! out the actions (update the ref, re-run a check, point `pushgate/bisect/<n>` refs, report).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::core::glob::wildcard;
use crate::core::text::{human_seconds, short};

/// How a required check ended on a commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    Pending,
    Passed,
    Failed,
}

/// `gate.block_on`: which failures hold master back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockOn {
    Regressions,
    AnyFailure,
}

/// Who posted a result: the GitHub App behind a check run (its slug), or the account that
/// created a commit status (its login). GitHub sets both; the poster cannot choose them.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Source {
    App(String),
    User(String),
    /// GitHub did not say (an old stored result, or a payload without the field).
    Unknown,
}

impl Source {
    /// The same poster (GitHub's slugs and logins are case-insensitive).
    pub fn same(&self, other: &Source) -> bool {
        match (self, other) {
            (Source::App(a), Source::App(b)) | (Source::User(a), Source::User(b)) => {
                a.eq_ignore_ascii_case(b)
            }
            _ => false,
        }
    }

    /// As the dashboard shows it.
    pub fn describe(&self) -> String {
        match self {
            Source::App(slug) => format!("app `{slug}`"),
            Source::User(login) => format!("@{login}"),
            Source::Unknown => "unknown".to_string(),
        }
    }
}

/// The gate's settings (`[gate]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Check-run names or status contexts; `*` and `?` allowed.
    pub required: Vec<String>,
    /// Failures of these never block.
    pub allow: Vec<String>,
    pub block_on: BlockOn,
    /// Seconds a flight may stay pending.
    pub timeout: i64,
    /// `gate.sources`: check names (globs) whose results count only from this poster. The
    /// first matching pattern rules; a name no pattern matches takes any poster.
    pub sources: Vec<(String, Source)>,
}

impl Settings {
    /// The poster a check's results must come from, when it is pinned.
    pub fn pinned(&self, check: &str) -> Option<&Source> {
        self.sources
            .iter()
            .find(|(pattern, _)| wildcard(pattern, check))
            .map(|(_, source)| source)
    }
}

/// How a flight ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Verdict {
    /// Every required check passed or was tolerated; `flaky` passed only on retry.
    Passed {
        flaky: Vec<String>,
    },
    /// A real regression, first bad commit found.
    Regressed {
        checks: Vec<String>,
        culprit: String,
    },
    TimedOut,
    /// Master already passed this commit (a newer flight advanced it).
    Abandoned,
    /// Abandoned: staging was rewound or force-pushed without this commit, or GitHub said it
    /// was no longer on staging when master was about to move to it.
    Dropped,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Phase {
    Testing,
    /// Binary search over `commits`: `good` is the index of the last known good commit (-1:
    /// the baseline), `bad` of the first known bad one.
    Bisecting {
        checks: Vec<String>,
        good: i64,
        bad: i64,
    },
    Done(Verdict),
}

/// One tested staging tip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flight {
    pub id: u64,
    pub tip: String,
    pub baseline: String,
    /// Baseline (exclusive) to tip (inclusive), oldest first.
    pub commits: Vec<String>,
    pub started_at: i64,
    /// When the current phase times out (`started_at + gate.timeout`): the service wakes the
    /// gate then.
    #[serde(default)]
    pub deadline: i64,
    pub finished_at: Option<i64>,
    pub phase: Phase,
    pub retried: BTreeSet<String>,
}

impl Flight {
    pub fn is_done(&self) -> bool {
        matches!(self.phase, Phase::Done(_))
    }
}

/// A committer's switch, for the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Switch {
    pub by: String,
    pub what: String,
    pub reason: String,
    pub at: i64,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    /// Staging now holds `ahead`: its commits not on master, oldest first.
    StagingMoved {
        ahead: Vec<String>,
    },
    /// A check run or status completed (or restarted: `Pending`), posted by `source`.
    Check {
        sha: String,
        name: String,
        outcome: Outcome,
        source: Source,
    },
    /// What GitHub holds now for the commits of running flights, read again (start-up,
    /// reconciliation, before a timeout) in case a delivery was lost. Applied as one event,
    /// so a flight is judged on all of it at once.
    Reread {
        results: Vec<CheckResult>,
    },
    /// Master is not an ancestor of staging (tip `staging`): nothing can fast-forward.
    Diverged {
        staging: String,
    },
    /// The edges could not carry out `AdvanceMaster { from, to }`.
    AdvanceFailed {
        from: String,
        to: String,
        why: Refusal,
    },
    /// Time passed (timeouts).
    Tick,
    Block {
        by: String,
        committer: bool,
        reason: String,
    },
    Unblock {
        by: String,
        committer: bool,
    },
    Force {
        by: String,
        committer: bool,
        sha: String,
        reason: String,
    },
}

/// One result as GitHub holds it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckResult {
    pub sha: String,
    pub name: String,
    pub outcome: Outcome,
    pub source: Source,
}

/// Why master did not move.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Refusal {
    /// GitHub says `to` is no longer reachable from staging's tip: staging was rewound or
    /// force-pushed, and the push event has not reached the gate yet.
    NotOnStaging,
    /// GitHub refused the fast-forward, or master was not at `from`; master is at `master`.
    Rejected { master: String, error: String },
}

/// A refused fast-forward of master, shown on the dashboard until master moves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub from: String,
    pub to: String,
    pub master: String,
    pub error: String,
    pub at: i64,
}

/// Master is not an ancestor of staging, shown on the dashboard until staging is repaired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Divergence {
    pub master: String,
    pub staging: String,
    pub since: i64,
}

/// What the edges must do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    /// Update master from `from` to `to` without force (a fast-forward), once GitHub confirms
    /// that `to` is still on staging. If it is not, or GitHub refuses, the edges answer with
    /// `Event::AdvanceFailed`.
    AdvanceMaster {
        from: String,
        to: String,
        forced: bool,
    },
    /// Request a re-run of a failed check (once, to rule out a flaky test).
    Rerun { sha: String, check: String },
    /// Point `pushgate/bisect/<flight>` at `sha` so CI tests it.
    Probe { flight: u64, sha: String },
    /// Delete the flight's bisection ref.
    EndProbe { flight: u64 },
    /// A flight ended; report it (dashboard, and the culprit's PR when there is one).
    Finished { flight: u64, verdict: Verdict },
    /// A switch was refused (not a committer, or a sha not on staging ahead of master).
    Refused { by: String, why: String },
    /// A switch took effect.
    Switched(Switch),
    /// A result for a pinned check came from another poster and was ignored.
    Untrusted {
        sha: String,
        check: String,
        source: Source,
    },
}

/// A regression issue the edges owe: what it is about, as the flight found it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRegression {
    pub flight: u64,
    pub checks: Vec<String>,
    /// Master's tip when the flight finished (the SUPPORT.md the issue is judged by).
    pub at: String,
    /// The culprit's pull request and author, as the dashboard shows them.
    pub about: String,
}

/// The gate's whole state: plain data, so it can be stored and reloaded after a restart.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Gate {
    pub master: String,
    /// Staging's commits not on master, oldest first.
    pub ahead: Vec<String>,
    /// Latest outcome per commit and check.
    pub results: BTreeMap<String, BTreeMap<String, Outcome>>,
    pub flights: Vec<Flight>,
    pub block: Option<Switch>,
    pub audit: Vec<Switch>,
    /// The GitHub App installation the repository belongs to (for timed wake-ups).
    #[serde(default)]
    pub installation: Option<i64>,
    /// The dashboard issue ("pushgate status") and the text last written to it.
    #[serde(default)]
    pub dashboard: Option<i64>,
    #[serde(default)]
    pub dashboard_text: String,
    /// What the edges learnt about culprits (pull request, author), shown on the dashboard.
    #[serde(default)]
    pub culprits: BTreeMap<String, String>,
    /// Regression issues still to open, by culprit: the edges could not open them when the
    /// flight finished (GitHub failing), and try again at each gate event until they exist.
    #[serde(default)]
    pub pending_regressions: BTreeMap<String, PendingRegression>,
    /// Who posted each result in `results` (the dashboard says whom it trusted).
    #[serde(default)]
    pub sources: BTreeMap<String, BTreeMap<String, Source>>,
    /// The last refused fast-forward, until master moves.
    #[serde(default)]
    pub rejected: Option<Rejection>,
    /// Set while master is not an ancestor of staging.
    #[serde(default)]
    pub diverged: Option<Divergence>,
    /// The last results ignored because their check is pinned to another poster, oldest
    /// first, each once: shown on the dashboard.
    #[serde(default)]
    pub ignored: Vec<Ignored>,
    /// The comment ids of the dashboard commands applied, oldest first (the last
    /// [`COMMANDS_REMEMBERED`]). Saved with the state they changed, so a comment delivered
    /// again, or a delivery run again after a crash, is applied once.
    #[serde(default)]
    pub commands: Vec<i64>,
    /// `gate.required` as the last event applied it, so the dashboard can list the required
    /// checks without the repository's config.
    #[serde(default)]
    pub required: Vec<String>,
    next_flight: u64,
}

/// How many applied command comments the gate remembers.
pub const COMMANDS_REMEMBERED: usize = 200;

/// A result from a poster its check is not pinned to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ignored {
    pub sha: String,
    pub check: String,
    pub source: Source,
    pub at: i64,
}

/// How many ignored results the dashboard shows.
pub const IGNORED_SHOWN: usize = 10;

/// How many finished flights the gate remembers (the dashboard shows the last 20).
pub const HISTORY: usize = 50;

/// Where the required checks of one commit stand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Standing {
    Pending,
    Complete { failed: Vec<String> },
}

impl Gate {
    /// The earliest deadline of a running flight: when the service must send a `Tick`.
    pub fn next_deadline(&self) -> Option<i64> {
        self.flights
            .iter()
            .filter(|f| !f.is_done())
            .map(|f| f.deadline)
            .min()
    }

    pub fn new(master: &str) -> Gate {
        Gate {
            master: master.to_string(),
            ..Gate::default()
        }
    }

    /// Was the command given in comment `comment` applied already?
    pub fn applied(&self, comment: i64) -> bool {
        self.commands.contains(&comment)
    }

    /// Remembers that the command given in comment `comment` is applied (forgetting the
    /// oldest beyond [`COMMANDS_REMEMBERED`]); false when it was already.
    pub fn remember_command(&mut self, comment: i64) -> bool {
        if self.applied(comment) {
            return false;
        }
        self.commands.push(comment);
        if self.commands.len() > COMMANDS_REMEMBERED {
            let excess = self.commands.len() - COMMANDS_REMEMBERED;
            self.commands.drain(..excess);
        }
        true
    }

    /// Required checks of `sha`: every literal name, and every observed name matching a glob
    /// (a glob needs at least one match).
    pub fn standing(&self, sha: &str, settings: &Settings) -> Standing {
        let empty = BTreeMap::new();
        let results = self.results.get(sha).unwrap_or(&empty);
        let mut failed = Vec::new();
        for required in &settings.required {
            let matching: Vec<(&String, &Outcome)> = results
                .iter()
                .filter(|(name, _)| wildcard(required, name))
                .collect();
            if matching.is_empty() {
                return Standing::Pending;
            }
            for (name, outcome) in matching {
                match outcome {
                    Outcome::Pending => return Standing::Pending,
                    Outcome::Failed => {
                        if !failed.contains(name) {
                            failed.push(name.clone());
                        }
                    }
                    Outcome::Passed => {}
                }
            }
        }
        Standing::Complete { failed }
    }

    /// The failures that block: not allowed, and (with `block_on = "regressions"`) not
    /// failing on the baseline too.
    fn tolerated_filter(
        &self,
        failed: Vec<String>,
        baseline: &str,
        settings: &Settings,
    ) -> Vec<String> {
        failed
            .into_iter()
            .filter(|check| !settings.allow.iter().any(|a| wildcard(a, check)))
            .filter(|check| match settings.block_on {
                BlockOn::AnyFailure => true,
                // A regression is a check that did not fail on the baseline.
                BlockOn::Regressions => self.outcome(baseline, check) != Some(Outcome::Failed),
            })
            .collect()
    }

    /// The blocking failures of `sha` judged against `baseline`; None while checks are pending.
    pub fn blocking_failures(
        &self,
        sha: &str,
        baseline: &str,
        settings: &Settings,
    ) -> Option<Vec<String>> {
        match self.standing(sha, settings) {
            Standing::Pending => None,
            Standing::Complete { failed } => {
                Some(self.tolerated_filter(failed, baseline, settings))
            }
        }
    }

    fn outcome(&self, sha: &str, check: &str) -> Option<Outcome> {
        self.results.get(sha).and_then(|r| r.get(check)).copied()
    }

    fn position(&self, sha: &str) -> Option<usize> {
        self.ahead.iter().position(|c| c == sha)
    }

    /// Applies one event at time `now`.
    pub fn step(&mut self, event: Event, now: i64, settings: &Settings) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.required != settings.required {
            self.required = settings.required.clone();
        }
        match event {
            Event::StagingMoved { ahead } => {
                // A rewind or force-push: staging no longer extends what the gate knew.
                let rewound = !ahead.starts_with(&self.ahead);
                self.ahead = ahead;
                self.diverged = None;
                if let Some(tip) = self.ahead.last().cloned() {
                    // A tip keeps its flight while that runs; after a rewind, or when its last
                    // flight was dropped, it gets a fresh one.
                    let known = self.flights.iter().any(|f| {
                        f.tip == tip
                            && f.baseline == self.master
                            && match &f.phase {
                                Phase::Done(Verdict::Dropped | Verdict::Abandoned) => false,
                                Phase::Done(_) => !rewound,
                                _ => true,
                            }
                    });
                    if !known {
                        self.next_flight += 1;
                        self.flights.push(Flight {
                            id: self.next_flight,
                            tip,
                            baseline: self.master.clone(),
                            commits: self.ahead.clone(),
                            started_at: now,
                            deadline: now.saturating_add(settings.timeout),
                            finished_at: None,
                            phase: Phase::Testing,
                            retried: BTreeSet::new(),
                        });
                    }
                }
            }
            Event::Check {
                sha,
                name,
                outcome,
                source,
            } => self.record(sha, name, outcome, source, now, settings, &mut actions),
            Event::Reread { results } => {
                for r in results {
                    // GitHub may still show a run that was re-requested and not yet restarted:
                    // a re-read never turns a retried check from pending back to failed.
                    let retrying = r.outcome == Outcome::Failed
                        && self.outcome(&r.sha, &r.name) == Some(Outcome::Pending)
                        && self
                            .flights
                            .iter()
                            .any(|f| !f.is_done() && f.tip == r.sha && f.retried.contains(&r.name));
                    if !retrying {
                        self.record(
                            r.sha,
                            r.name,
                            r.outcome,
                            r.source,
                            now,
                            settings,
                            &mut actions,
                        );
                    }
                }
            }
            Event::Diverged { staging } => {
                self.ahead.clear();
                let since = match &self.diverged {
                    Some(d) if d.master == self.master && d.staging == staging => d.since,
                    _ => now,
                };
                self.diverged = Some(Divergence {
                    master: self.master.clone(),
                    staging,
                    since,
                });
            }
            Event::AdvanceFailed { from, to, why } => {
                // The advance was taken for granted; what staging holds now comes next
                // (a `StagingMoved` or `Diverged` from GitHub), so nothing is ahead until then.
                self.ahead.clear();
                match why {
                    Refusal::NotOnStaging => {
                        self.master = from;
                        for index in 0..self.flights.len() {
                            let dropped = self.flights[index].tip == to
                                && !matches!(
                                    self.flights[index].phase,
                                    Phase::Done(Verdict::Dropped)
                                );
                            if dropped {
                                self.finish(index, Verdict::Dropped, now, &mut actions);
                            }
                        }
                    }
                    Refusal::Rejected { master, error } => {
                        self.master = master.clone();
                        self.rejected = Some(Rejection {
                            from,
                            to,
                            master,
                            error,
                            at: now,
                        });
                    }
                }
            }
            Event::Tick => {}
            Event::Block {
                by,
                committer,
                reason,
            } => {
                if !committer {
                    actions.push(refused(&by, "only committers can block the gate"));
                } else {
                    let switch = Switch {
                        by,
                        what: "block".into(),
                        reason,
                        at: now,
                    };
                    self.block = Some(switch.clone());
                    self.audit.push(switch.clone());
                    actions.push(Action::Switched(switch));
                }
            }
            Event::Unblock { by, committer } => {
                if !committer {
                    actions.push(refused(&by, "only committers can unblock the gate"));
                } else {
                    self.block = None;
                    let switch = Switch {
                        by,
                        what: "unblock".into(),
                        reason: String::new(),
                        at: now,
                    };
                    self.audit.push(switch.clone());
                    actions.push(Action::Switched(switch));
                }
            }
            Event::Force {
                by,
                committer,
                sha,
                reason,
            } => {
                if !committer {
                    actions.push(refused(&by, "only committers can force master"));
                } else if reason.trim().is_empty() {
                    actions.push(refused(&by, "a force needs a reason"));
                } else if let Some(d) = &self.diverged {
                    let why = format!(
                        "master `{}` is not an ancestor of staging `{}`: no commit can be fast-forwarded until staging is back on top of master",
                        short(&d.master),
                        short(&d.staging)
                    );
                    actions.push(refused(&by, &why));
                } else if let Some(at) = self.position(&sha) {
                    let switch = Switch {
                        by,
                        what: format!("force {sha}"),
                        reason,
                        at: now,
                    };
                    self.audit.push(switch.clone());
                    actions.push(Action::Switched(switch));
                    self.advance(at, true, now, &mut actions);
                } else {
                    actions.push(refused(
                        &by,
                        &format!("{sha} is not on staging ahead of master"),
                    ));
                }
            }
        }
        self.evaluate(now, settings, &mut actions);
        self.prune();
        actions
    }

    /// Keeps the state bounded: the last [`HISTORY`] finished flights, and results only for
    /// commits something still refers to (master, staging, the kept flights).
    fn prune(&mut self) {
        let finished = self.flights.iter().filter(|f| f.is_done()).count();
        if finished > HISTORY {
            let mut drop = finished - HISTORY;
            self.flights.retain(|f| {
                if drop > 0 && f.is_done() {
                    drop -= 1;
                    false
                } else {
                    true
                }
            });
        }
        let mut keep: BTreeSet<&str> = BTreeSet::new();
        keep.insert(&self.master);
        keep.extend(self.ahead.iter().map(String::as_str));
        for f in &self.flights {
            keep.insert(&f.tip);
            keep.insert(&f.baseline);
            if !f.is_done() {
                keep.extend(f.commits.iter().map(String::as_str));
            }
        }
        let keep: BTreeSet<String> = keep.into_iter().map(str::to_string).collect();
        self.results.retain(|sha, _| keep.contains(sha));
        self.sources.retain(|sha, _| keep.contains(sha));
        let culprits: BTreeSet<&String> = self
            .flights
            .iter()
            .filter_map(|f| match &f.phase {
                Phase::Done(Verdict::Regressed { culprit, .. }) => Some(culprit),
                _ => None,
            })
            .collect();
        let culprits: BTreeSet<String> = culprits.into_iter().cloned().collect();
        self.culprits.retain(|sha, _| culprits.contains(sha));
        if self.audit.len() > 4 * HISTORY {
            let excess = self.audit.len() - 4 * HISTORY;
            self.audit.drain(..excess);
        }
    }

    /// Records a result, unless its check is pinned to another poster.
    #[allow(clippy::too_many_arguments)]
    fn record(
        &mut self,
        sha: String,
        name: String,
        outcome: Outcome,
        source: Source,
        now: i64,
        settings: &Settings,
        actions: &mut Vec<Action>,
    ) {
        if let Some(wanted) = settings.pinned(&name) {
            if !wanted.same(&source) {
                let seen = self
                    .ignored
                    .iter()
                    .any(|i| i.sha == sha && i.check == name && i.source == source);
                if !seen {
                    self.ignored.push(Ignored {
                        sha: sha.clone(),
                        check: name.clone(),
                        source: source.clone(),
                        at: now,
                    });
                    let excess = self.ignored.len().saturating_sub(IGNORED_SHOWN);
                    self.ignored.drain(..excess);
                }
                actions.push(Action::Untrusted {
                    sha,
                    check: name,
                    source,
                });
                return;
            }
        }
        self.sources
            .entry(sha.clone())
            .or_default()
            .insert(name.clone(), source);
        self.results.entry(sha).or_default().insert(name, outcome);
    }

    /// Moves master to `ahead[at]` and forgets what is now behind it. Running flights whose
    /// tip master passed are abandoned (superseded).
    fn advance(&mut self, at: usize, forced: bool, now: i64, actions: &mut Vec<Action>) {
        let to = self.ahead[at].clone();
        actions.push(Action::AdvanceMaster {
            from: self.master.clone(),
            to: to.clone(),
            forced,
        });
        self.master = to;
        self.rejected = None;
        let behind: Vec<String> = self.ahead.drain(..=at).collect();
        for index in 0..self.flights.len() {
            if !self.flights[index].is_done() && behind.contains(&self.flights[index].tip) {
                self.finish(index, Verdict::Abandoned, now, actions);
            }
        }
    }

    fn evaluate(&mut self, now: i64, settings: &Settings, actions: &mut Vec<Action>) {
        for index in 0..self.flights.len() {
            if self.flights[index].is_done() {
                continue;
            }
            let flight = self.flights[index].clone();
            // Staging was rewound or force-pushed without this tip (a flight that master
            // passed ended in `advance`).
            if self.position(&flight.tip).is_none() {
                self.finish(index, Verdict::Dropped, now, actions);
                continue;
            }
            match flight.phase.clone() {
                Phase::Testing => self.test(index, now, settings, actions),
                Phase::Bisecting { checks, good, bad } => {
                    self.bisect(index, checks, good, bad, false, now, settings, actions)
                }
                Phase::Done(_) => {}
            }
        }
        if self
            .rejected
            .as_ref()
            .is_some_and(|r| r.master != self.master)
        {
            // Master moved since the refusal.
            self.rejected = None;
        }
        // The newest passed flight still ahead of master advances it, unless blocked. A
        // fast-forward GitHub refused is not tried again from the same master: a committer
        // decides (`/pushgate force`).
        if self.block.is_none() {
            // Results can change after a flight passed (a re-run in progress, a new failure):
            // master moves only to a commit that is acceptable now.
            let best = self
                .flights
                .iter()
                .filter(|f| matches!(f.phase, Phase::Done(Verdict::Passed { .. })))
                .filter(|f| {
                    self.blocking_failures(&f.tip, &f.baseline, settings) == Some(Vec::new())
                })
                .filter(|f| {
                    !self
                        .rejected
                        .as_ref()
                        .is_some_and(|r| r.to == f.tip && r.master == self.master)
                })
                .filter_map(|f| self.position(&f.tip))
                .max();
            if let Some(at) = best {
                self.advance(at, false, now, actions);
            }
        }
    }

    fn test(&mut self, index: usize, now: i64, settings: &Settings, actions: &mut Vec<Action>) {
        let flight = &self.flights[index];
        let failed = match self.standing(&flight.tip, settings) {
            Standing::Pending => {
                if now - flight.started_at > settings.timeout {
                    self.finish(index, Verdict::TimedOut, now, actions);
                }
                return;
            }
            Standing::Complete { failed } => failed,
        };
        let blocking = self.tolerated_filter(failed, &flight.baseline, settings);
        let fresh: Vec<String> = blocking
            .iter()
            .filter(|c| !flight.retried.contains(*c))
            .cloned()
            .collect();
        if !fresh.is_empty() {
            let tip = flight.tip.clone();
            for check in fresh {
                actions.push(Action::Rerun {
                    sha: tip.clone(),
                    check: check.clone(),
                });
                self.results
                    .entry(tip.clone())
                    .or_default()
                    .insert(check.clone(), Outcome::Pending);
                self.flights[index].retried.insert(check);
            }
            return;
        }
        if blocking.is_empty() {
            let flaky: Vec<String> = flight
                .retried
                .iter()
                .filter(|c| self.outcome(&flight.tip, c) == Some(Outcome::Passed))
                .cloned()
                .collect();
            self.finish(index, Verdict::Passed { flaky }, now, actions);
            return;
        }
        if flight.commits.len() > 1 {
            let bad = flight.commits.len() as i64 - 1;
            self.flights[index].phase = Phase::Bisecting {
                checks: blocking.clone(),
                good: -1,
                bad,
            };
            self.flights[index].started_at = now;
            self.flights[index].deadline = now.saturating_add(settings.timeout);
            self.bisect(index, blocking, -1, bad, true, now, settings, actions);
        } else {
            let culprit = flight.tip.clone();
            self.finish(
                index,
                Verdict::Regressed {
                    checks: blocking,
                    culprit,
                },
                now,
                actions,
            );
        }
    }

    /// Narrows the search as far as known results allow; asks for the next probe when the
    /// interval changed (or the search just began).
    #[allow(clippy::too_many_arguments)]
    fn bisect(
        &mut self,
        index: usize,
        checks: Vec<String>,
        mut good: i64,
        mut bad: i64,
        mut moved: bool,
        now: i64,
        settings: &Settings,
        actions: &mut Vec<Action>,
    ) {
        let id = self.flights[index].id;
        loop {
            if bad - good <= 1 {
                let culprit = self.flights[index].commits[bad as usize].clone();
                actions.push(Action::EndProbe { flight: id });
                self.finish(index, Verdict::Regressed { checks, culprit }, now, actions);
                return;
            }
            let probe = good + (bad - good) / 2;
            let sha = self.flights[index].commits[probe as usize].clone();
            let outcomes: Vec<Option<Outcome>> =
                checks.iter().map(|c| self.outcome(&sha, c)).collect();
            if outcomes.contains(&Some(Outcome::Failed)) {
                bad = probe;
                moved = true;
            } else if outcomes.iter().all(|o| *o == Some(Outcome::Passed)) {
                good = probe;
                moved = true;
            } else {
                if moved {
                    actions.push(Action::Probe { flight: id, sha });
                    self.flights[index].started_at = now;
                    self.flights[index].deadline = now.saturating_add(settings.timeout);
                } else if now - self.flights[index].started_at > settings.timeout {
                    actions.push(Action::EndProbe { flight: id });
                    self.finish(index, Verdict::TimedOut, now, actions);
                    return;
                }
                self.flights[index].phase = Phase::Bisecting { checks, good, bad };
                return;
            }
        }
    }

    fn finish(&mut self, index: usize, verdict: Verdict, now: i64, actions: &mut Vec<Action>) {
        let flight = &mut self.flights[index];
        flight.phase = Phase::Done(verdict.clone());
        flight.finished_at = Some(now);
        actions.push(Action::Finished {
            flight: flight.id,
            verdict,
        });
    }
}

/// A finished flight as the dashboard's history keeps it (beyond the [`HISTORY`] the state
/// keeps).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlightRecord {
    pub id: u64,
    pub tip: String,
    pub baseline: String,
    /// How many commits it tested.
    pub commits: usize,
    pub started_at: i64,
    pub finished_at: i64,
    /// [`Verdict::word`].
    pub result: String,
    /// The regressed checks, or the flaky ones of a pass.
    pub checks: Vec<String>,
    /// The first bad commit of a regression.
    pub culprit: Option<String>,
}

impl Verdict {
    /// One word for the verdict, as the dashboard and its JSON show it: `passed`,
    /// `regressed`, `timed-out`, `superseded` or `dropped`.
    pub fn word(&self) -> &'static str {
        match self {
            Verdict::Passed { .. } => "passed",
            Verdict::Regressed { .. } => "regressed",
            Verdict::TimedOut => "timed-out",
            Verdict::Abandoned => "superseded",
            Verdict::Dropped => "dropped",
        }
    }
}

impl Flight {
    /// The flight as its history keeps it; `None` while it runs.
    pub fn record(&self) -> Option<FlightRecord> {
        let Phase::Done(verdict) = &self.phase else {
            return None;
        };
        let (checks, culprit) = match verdict {
            Verdict::Passed { flaky } => (flaky.clone(), None),
            Verdict::Regressed { checks, culprit } => (checks.clone(), Some(culprit.clone())),
            _ => (Vec::new(), None),
        };
        Some(FlightRecord {
            id: self.id,
            tip: self.tip.clone(),
            baseline: self.baseline.clone(),
            commits: self.commits.len(),
            started_at: self.started_at,
            finished_at: self.finished_at.unwrap_or(self.started_at),
            result: verdict.word().to_string(),
            checks,
            culprit,
        })
    }
}

/// One required check of the running flight, on its tip and on its baseline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRow {
    pub name: String,
    pub tip: Option<Outcome>,
    pub baseline: Option<Outcome>,
    /// Who posted the tip's result, when known.
    pub poster: Option<Source>,
}

impl Gate {
    /// The running flight, if any (the newest).
    pub fn current(&self) -> Option<&Flight> {
        self.flights.iter().rev().find(|f| !f.is_done())
    }

    /// The required checks of flight `f`: each literal name in `gate.required`, and each name
    /// seen on its tip or baseline that a required glob matches (every name seen, when the
    /// state predates [`Gate::required`]).
    pub fn check_rows(&self, f: &Flight) -> Vec<CheckRow> {
        let seen = [&f.tip, &f.baseline]
            .into_iter()
            .filter_map(|sha| self.results.get(sha))
            .flat_map(|r| r.keys());
        let mut names: BTreeSet<&str> = seen
            .map(String::as_str)
            .filter(|n| self.required.is_empty() || self.required.iter().any(|r| wildcard(r, n)))
            .collect();
        names.extend(
            self.required
                .iter()
                .filter(|r| !r.contains(['*', '?']))
                .map(String::as_str),
        );
        names
            .into_iter()
            .map(|name| CheckRow {
                name: name.to_string(),
                tip: self.outcome(&f.tip, name),
                baseline: self.outcome(&f.baseline, name),
                poster: self.sources.get(&f.tip).and_then(|s| s.get(name)).cloned(),
            })
            .collect()
    }
}

fn refused(by: &str, why: &str) -> Action {
    Action::Refused {
        by: by.to_string(),
        why: why.to_string(),
    }
}

/// A committer's command on the dashboard issue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Block { reason: String },
    Unblock,
    Force { sha: String, reason: String },
}

/// Reads `/pushgate block <reason>`, `/pushgate unblock`, `/pushgate force <sha> <reason>`.
pub fn read_command(body: &str) -> Option<Command> {
    let line = super::command::find(body, &["block", "unblock", "force"])?;
    let args = line.rest;
    Some(match line.verb {
        "block" => Command::Block {
            reason: args.to_string(),
        },
        "unblock" => Command::Unblock,
        _ => {
            let (sha, reason) = args.split_once(char::is_whitespace).unwrap_or((args, ""));
            Command::Force {
                sha: sha.to_string(),
                reason: reason.trim().to_string(),
            }
        }
    })
}

/// The dashboard issue's Markdown: current flight, baseline, required checks, the last 20
/// flights, blockers and the audit log. `time` formats Unix seconds.
pub fn dashboard(gate: &Gate, settings: &Settings, time: &dyn Fn(i64) -> String) -> String {
    let mut out = String::from("This issue is kept current by pushgate. Committers steer the gate with comments: `/pushgate block <reason>`, `/pushgate unblock`, `/pushgate force <sha> <reason>`.\n\n");
    out.push_str(&format!(
        "**master:** `{}` · **staging:** {} commit(s) ahead · **gate:** {}\n\n",
        short(&gate.master),
        gate.ahead.len(),
        match &gate.block {
            Some(b) => format!("BLOCKED by @{} since {}: {}", b.by, time(b.at), b.reason),
            None => "open".to_string(),
        }
    ));
    if let Some(d) = &gate.diverged {
        out.push_str(&format!(
            "> [!WARNING]\n> **master `{}` is not an ancestor of staging `{}`** (since {}): the gate cannot fast-forward master and is waiting. A committer must put staging back on top of master (merge or rebase master into staging, then push staging); the gate then starts a fresh flight, and `/pushgate force <sha> <reason>` can move master to a commit on staging.\n\n",
            short(&d.master),
            short(&d.staging),
            time(d.since)
        ));
    }
    if let Some(r) = &gate.rejected {
        out.push_str(&format!(
            "> [!WARNING]\n> **GitHub refused to fast-forward master from `{}` to `{}`** at {}: {}. master is at `{}`; nothing was forced. The gate does not try this again from there: a committer decides (`/pushgate force <sha> <reason>`).\n\n",
            short(&r.from),
            short(&r.to),
            time(r.at),
            r.error,
            short(&r.master)
        ));
    }
    match gate.flights.iter().rev().find(|f| !f.is_done()) {
        Some(f) => {
            out.push_str(&format!(
                "## Current flight #{}\n\nTip `{}` tested against baseline `{}` since {}; {}.\n\n| Required check | On the tip | On the baseline | Posted by (trusted) |\n|---|---|---|---|\n",
                f.id,
                short(&f.tip),
                short(&f.baseline),
                time(f.started_at),
                match &f.phase {
                    Phase::Bisecting { good, bad, .. } => format!("bisecting between commit {} and {} of {}", good + 1, bad + 1, f.commits.len()),
                    _ => "testing".to_string(),
                }
            ));
            let names: BTreeSet<&String> = gate
                .results
                .get(&f.tip)
                .into_iter()
                .flatten()
                .map(|(n, _)| n)
                .filter(|n| settings.required.iter().any(|r| wildcard(r, n)))
                .collect();
            for name in names {
                let on = |sha: &str| match gate.outcome(sha, name) {
                    Some(Outcome::Passed) => "✅ passed",
                    Some(Outcome::Failed) => "❌ failed",
                    Some(Outcome::Pending) => "⏳ pending",
                    None => "—",
                };
                let poster = gate
                    .sources
                    .get(&f.tip)
                    .and_then(|s| s.get(name))
                    .map(Source::describe)
                    .unwrap_or_else(|| "—".to_string());
                let trust = if settings.pinned(name).is_some() {
                    "pinned"
                } else {
                    "unpinned: any poster"
                };
                out.push_str(&format!(
                    "| {name} | {} | {} | {poster} ({trust}) |\n",
                    on(&f.tip),
                    on(&f.baseline)
                ));
            }
            out.push('\n');
        }
        None => out.push_str(
            "## Current flight\n\nNone: staging has nothing untested ahead of master.\n\n",
        ),
    }
    if !gate.ignored.is_empty() {
        out.push_str("## Ignored results\n\nResults for pinned checks (`gate.sources`) from someone else; they did not count.\n\n");
        for i in gate.ignored.iter().rev() {
            let wanted = settings
                .pinned(&i.check)
                .map(Source::describe)
                .unwrap_or_else(|| "no one".to_string());
            out.push_str(&format!(
                "- {}: `{}` on `{}` from {} (pinned to {wanted})\n",
                time(i.at),
                i.check,
                short(&i.sha),
                i.source.describe()
            ));
        }
        out.push('\n');
    }
    out.push_str("## Last flights\n\n| Flight | Tip | Result | Duration | Culprit |\n|---|---|---|---|---|\n");
    for f in gate.flights.iter().rev().filter(|f| f.is_done()).take(20) {
        let (result, culprit) = match &f.phase {
            Phase::Done(Verdict::Passed { flaky }) if flaky.is_empty() => {
                ("passed".to_string(), String::new())
            }
            Phase::Done(Verdict::Passed { flaky }) => (
                format!("passed (flaky: {})", flaky.join(", ")),
                String::new(),
            ),
            Phase::Done(Verdict::Regressed { checks, culprit }) => (
                format!("regression in {}", checks.join(", ")),
                match gate.culprits.get(culprit) {
                    Some(about) => format!("`{}` ({about})", short(culprit)),
                    None => format!("`{}`", short(culprit)),
                },
            ),
            Phase::Done(Verdict::TimedOut) => ("timed out".to_string(), String::new()),
            Phase::Done(Verdict::Abandoned) => ("superseded".to_string(), String::new()),
            Phase::Done(Verdict::Dropped) => {
                ("abandoned: dropped from staging".to_string(), String::new())
            }
            _ => (String::new(), String::new()),
        };
        let duration = f
            .finished_at
            .map(|end| human_seconds(end - f.started_at))
            .unwrap_or_default();
        out.push_str(&format!(
            "| #{} | `{}` | {result} | {duration} | {culprit} |\n",
            f.id,
            short(&f.tip)
        ));
    }
    if !gate.audit.is_empty() {
        out.push_str("\n## Audit log\n\n");
        for s in gate.audit.iter().rev().take(50) {
            out.push_str(&format!(
                "- {}: @{} {}{}\n",
                time(s.at),
                s.by,
                s.what,
                if s.reason.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", s.reason)
                }
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> Settings {
        Settings {
            required: vec!["build".into(), "test-*".into()],
            allow: vec!["test-flaky-*".into()],
            block_on: BlockOn::Regressions,
            timeout: 6 * 3600,
            sources: Vec::new(),
        }
    }

    fn check(gate: &mut Gate, sha: &str, name: &str, outcome: Outcome) -> Vec<Action> {
        gate.step(
            Event::Check {
                sha: sha.into(),
                name: name.into(),
                outcome,
                source: Source::Unknown,
            },
            0,
            &settings(),
        )
    }

    fn pass_all(gate: &mut Gate, sha: &str) -> Vec<Action> {
        check(gate, sha, "build", Outcome::Passed);
        check(gate, sha, "test-unit", Outcome::Passed)
    }

    fn staging(gate: &mut Gate, ahead: &[&str]) -> Vec<Action> {
        gate.step(
            Event::StagingMoved {
                ahead: ahead.iter().map(|s| s.to_string()).collect(),
            },
            0,
            &settings(),
        )
    }

    fn gate_with_green_baseline() -> Gate {
        let mut gate = Gate::new("B");
        pass_all(&mut gate, "B");
        gate
    }

    fn advanced(actions: &[Action]) -> Option<(String, bool)> {
        actions.iter().find_map(|a| match a {
            Action::AdvanceMaster { to, forced, .. } => Some((to.clone(), *forced)),
            _ => None,
        })
    }

    #[test]
    fn green_flight_advances_master() {
        let mut gate = gate_with_green_baseline();
        assert!(advanced(&staging(&mut gate, &["s1", "s2"])).is_none());
        check(&mut gate, "s2", "build", Outcome::Passed);
        let actions = check(&mut gate, "s2", "test-unit", Outcome::Passed);
        assert_eq!(advanced(&actions), Some(("s2".into(), false)));
        assert_eq!(gate.master, "s2");
        assert!(gate.ahead.is_empty());
    }

    #[test]
    fn glob_requires_at_least_one_matching_check() {
        let mut gate = gate_with_green_baseline();
        staging(&mut gate, &["s1"]);
        let actions = check(&mut gate, "s1", "build", Outcome::Passed);
        assert!(advanced(&actions).is_none(), "test-* has no result yet");
    }

    #[test]
    fn regression_is_retried_once_then_blocks() {
        let mut gate = gate_with_green_baseline();
        staging(&mut gate, &["s1"]);
        check(&mut gate, "s1", "build", Outcome::Passed);
        let actions = check(&mut gate, "s1", "test-unit", Outcome::Failed);
        assert!(actions.contains(&Action::Rerun {
            sha: "s1".into(),
            check: "test-unit".into()
        }));
        let actions = check(&mut gate, "s1", "test-unit", Outcome::Failed);
        assert!(advanced(&actions).is_none());
        assert!(actions.contains(&Action::Finished {
            flight: 1,
            verdict: Verdict::Regressed {
                checks: vec!["test-unit".into()],
                culprit: "s1".into()
            }
        }));
        assert_eq!(gate.master, "B");
    }

    #[test]
    fn failure_that_also_fails_on_the_baseline_does_not_block() {
        let mut gate = Gate::new("B");
        check(&mut gate, "B", "build", Outcome::Passed);
        check(&mut gate, "B", "test-unit", Outcome::Failed);
        staging(&mut gate, &["s1"]);
        check(&mut gate, "s1", "build", Outcome::Passed);
        let actions = check(&mut gate, "s1", "test-unit", Outcome::Failed);
        assert_eq!(advanced(&actions), Some(("s1".into(), false)));
        // "any-failure" is bors-like strictness.
        let strict = Settings {
            block_on: BlockOn::AnyFailure,
            ..settings()
        };
        let mut gate = Gate::new("B");
        gate.step(
            Event::Check {
                sha: "B".into(),
                name: "test-unit".into(),
                outcome: Outcome::Failed,
                source: Source::Unknown,
            },
            0,
            &strict,
        );
        gate.step(
            Event::StagingMoved {
                ahead: vec!["s1".into()],
            },
            0,
            &strict,
        );
        gate.step(
            Event::Check {
                sha: "s1".into(),
                name: "build".into(),
                outcome: Outcome::Passed,
                source: Source::Unknown,
            },
            0,
            &strict,
        );
        let actions = gate.step(
            Event::Check {
                sha: "s1".into(),
                name: "test-unit".into(),
                outcome: Outcome::Failed,
                source: Source::Unknown,
            },
            0,
            &strict,
        );
        assert!(advanced(&actions).is_none());
    }

    #[test]
    fn allowlisted_failure_does_not_block() {
        let mut gate = gate_with_green_baseline();
        check(&mut gate, "B", "test-flaky-net", Outcome::Passed);
        staging(&mut gate, &["s1"]);
        // CI announces its checks as pending first; a glob then waits for all of them.
        check(&mut gate, "s1", "test-unit", Outcome::Pending);
        check(&mut gate, "s1", "test-flaky-net", Outcome::Failed);
        let actions = pass_all(&mut gate, "s1");
        assert_eq!(advanced(&actions), Some(("s1".into(), false)));
    }

    #[test]
    fn flaky_failure_passing_on_retry_is_recorded_and_tolerated() {
        let mut gate = gate_with_green_baseline();
        staging(&mut gate, &["s1"]);
        check(&mut gate, "s1", "build", Outcome::Passed);
        check(&mut gate, "s1", "test-unit", Outcome::Failed);
        let actions = check(&mut gate, "s1", "test-unit", Outcome::Passed);
        assert_eq!(advanced(&actions), Some(("s1".into(), false)));
        assert!(actions.contains(&Action::Finished {
            flight: 1,
            verdict: Verdict::Passed {
                flaky: vec!["test-unit".into()]
            }
        }));
    }

    #[test]
    fn bisection_finds_the_culprit_among_eight_commits() {
        let commits: Vec<String> = (1..=8).map(|i| format!("c{i}")).collect();
        let refs: Vec<&str> = commits.iter().map(String::as_str).collect();
        let culprit = 6; // c6 broke test-unit
        let mut gate = gate_with_green_baseline();
        staging(&mut gate, &refs);
        check(&mut gate, "c8", "build", Outcome::Passed);
        check(&mut gate, "c8", "test-unit", Outcome::Failed);
        let mut actions = check(&mut gate, "c8", "test-unit", Outcome::Failed);
        let mut probes = Vec::new();
        loop {
            let probe = actions.iter().find_map(|a| match a {
                Action::Probe { sha, .. } => Some(sha.clone()),
                _ => None,
            });
            let Some(sha) = probe else { break };
            probes.push(sha.clone());
            let n: usize = sha[1..].parse().unwrap();
            let outcome = if n >= culprit {
                Outcome::Failed
            } else {
                Outcome::Passed
            };
            actions = check(&mut gate, &sha, "test-unit", outcome);
        }
        assert!(probes.len() <= 3, "binary search over 8: {probes:?}");
        assert!(
            actions.contains(&Action::Finished {
                flight: 1,
                verdict: Verdict::Regressed {
                    checks: vec!["test-unit".into()],
                    culprit: "c6".into()
                }
            }),
            "{actions:?}"
        );
        assert!(actions.contains(&Action::EndProbe { flight: 1 }));
        assert_eq!(gate.master, "B");
    }

    #[test]
    fn superseded_flight_still_advances_master_to_its_tested_ancestor() {
        let mut gate = gate_with_green_baseline();
        staging(&mut gate, &["s1"]);
        staging(&mut gate, &["s1", "s2"]);
        assert_eq!(gate.flights.len(), 2);
        let actions = pass_all(&mut gate, "s1");
        assert_eq!(advanced(&actions), Some(("s1".into(), false)));
        assert_eq!(gate.ahead, ["s2"]);
        let actions = pass_all(&mut gate, "s2");
        assert_eq!(advanced(&actions), Some(("s2".into(), false)));
    }

    #[test]
    fn staging_rewound_abandons_the_flight() {
        let mut gate = gate_with_green_baseline();
        staging(&mut gate, &["s1"]);
        staging(&mut gate, &["t1"]);
        let actions = pass_all(&mut gate, "s1");
        assert!(advanced(&actions).is_none(), "s1 is no longer on staging");
    }

    #[test]
    fn pending_too_long_times_out_and_blocks() {
        let mut gate = gate_with_green_baseline();
        staging(&mut gate, &["s1"]);
        let actions = gate.step(Event::Tick, 6 * 3600 + 1, &settings());
        assert!(actions.contains(&Action::Finished {
            flight: 1,
            verdict: Verdict::TimedOut
        }));
        let actions = pass_all(&mut gate, "s1");
        assert!(advanced(&actions).is_none());
    }

    #[test]
    fn committers_block_unblock_and_force_others_are_refused() {
        let mut gate = gate_with_green_baseline();
        let s = settings();
        let refused = gate.step(
            Event::Block {
                by: "eve".into(),
                committer: false,
                reason: "x".into(),
            },
            0,
            &s,
        );
        assert!(matches!(refused[0], Action::Refused { .. }));
        assert!(gate.block.is_none());
        gate.step(
            Event::Block {
                by: "jan".into(),
                committer: true,
                reason: "release".into(),
            },
            0,
            &s,
        );
        staging(&mut gate, &["s1"]);
        assert!(advanced(&pass_all(&mut gate, "s1")).is_none(), "blocked");
        let actions = gate.step(
            Event::Unblock {
                by: "jan".into(),
                committer: true,
            },
            0,
            &s,
        );
        assert_eq!(advanced(&actions), Some(("s1".into(), false)));

        staging(&mut gate, &["s2"]);
        let refused = gate.step(
            Event::Force {
                by: "eve".into(),
                committer: false,
                sha: "s2".into(),
                reason: "pls".into(),
            },
            0,
            &s,
        );
        assert!(advanced(&refused).is_none());
        let wrong = gate.step(
            Event::Force {
                by: "jan".into(),
                committer: true,
                sha: "zz".into(),
                reason: "r".into(),
            },
            0,
            &s,
        );
        assert!(matches!(wrong[0], Action::Refused { .. }));
        let forced = gate.step(
            Event::Force {
                by: "jan".into(),
                committer: true,
                sha: "s2".into(),
                reason: "CI down".into(),
            },
            0,
            &s,
        );
        assert_eq!(advanced(&forced), Some(("s2".into(), true)));
        assert_eq!(gate.audit.len(), 3, "block, unblock, force are recorded");
    }

    #[test]
    fn commands_are_read_from_comments() {
        assert_eq!(
            read_command("/pushgate block release freeze"),
            Some(Command::Block {
                reason: "release freeze".into()
            })
        );
        assert_eq!(
            read_command("thanks\n/pushgate unblock"),
            Some(Command::Unblock)
        );
        assert_eq!(
            read_command("/pushgate force abc123 CI is down"),
            Some(Command::Force {
                sha: "abc123".into(),
                reason: "CI is down".into()
            })
        );
        assert_eq!(read_command("/pushgate merge"), None);
        assert_eq!(read_command("no command"), None);
    }

    #[test]
    fn a_command_comment_is_remembered_once_and_the_oldest_forgotten() {
        let mut gate = Gate::new("m");
        assert!(gate.remember_command(7));
        assert!(!gate.remember_command(7), "the same comment twice");
        assert!(gate.applied(7));
        for id in 100..100 + COMMANDS_REMEMBERED as i64 {
            gate.remember_command(id);
        }
        assert_eq!(gate.commands.len(), COMMANDS_REMEMBERED);
        assert!(!gate.applied(7), "the oldest is forgotten");
    }

    #[test]
    fn dashboard_shows_flight_history_and_audit() {
        let mut gate = gate_with_green_baseline();
        staging(&mut gate, &["s1"]);
        pass_all(&mut gate, "s1");
        gate.step(
            Event::Block {
                by: "jan".into(),
                committer: true,
                reason: "freeze".into(),
            },
            0,
            &settings(),
        );
        staging(&mut gate, &["s2"]);
        let text = dashboard(&gate, &settings(), &|t| format!("t{t}"));
        assert!(text.contains("BLOCKED by @jan since t0: freeze"), "{text}");
        assert!(text.contains("## Current flight #2"), "{text}");
        assert!(text.contains("| #1 | `s1` | passed |"), "{text}");
        assert!(text.contains("- t0: @jan block — freeze"), "{text}");
    }

    #[test]
    fn state_stays_bounded_over_many_flights() {
        let mut gate = gate_with_green_baseline();
        for i in 0..200 {
            let sha = format!("s{i}");
            staging(&mut gate, &[&sha]);
            pass_all(&mut gate, &sha);
            assert_eq!(gate.master, sha);
        }
        assert_eq!(gate.flights.len(), HISTORY);
        assert!(
            gate.results.len() <= HISTORY + 2,
            "{} results kept",
            gate.results.len()
        );
        // What the current flight needs is still there.
        staging(&mut gate, &["t1"]);
        assert!(gate.results.contains_key(&gate.master));
    }

    fn step(gate: &mut Gate, event: Event) -> Vec<Action> {
        gate.step(event, 0, &settings())
    }

    fn finished(actions: &[Action]) -> Vec<Verdict> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Finished { verdict, .. } => Some(verdict.clone()),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn advance_names_the_master_it_fast_forwards_from() {
        let mut gate = gate_with_green_baseline();
        staging(&mut gate, &["s1"]);
        let actions = pass_all(&mut gate, "s1");
        assert!(actions.contains(&Action::AdvanceMaster {
            from: "B".into(),
            to: "s1".into(),
            forced: false
        }));
    }

    #[test]
    fn tip_dropped_from_staging_is_abandoned_and_master_stays() {
        // The race: CI's success for s1 arrives before the push that dropped s1.
        let mut gate = gate_with_green_baseline();
        staging(&mut gate, &["s1"]);
        assert_eq!(
            advanced(&pass_all(&mut gate, "s1")),
            Some(("s1".into(), false))
        );
        // GitHub says s1 is not on staging: the edges answer.
        let actions = step(
            &mut gate,
            Event::AdvanceFailed {
                from: "B".into(),
                to: "s1".into(),
                why: Refusal::NotOnStaging,
            },
        );
        assert_eq!(finished(&actions), [Verdict::Dropped]);
        assert_eq!(gate.master, "B");
        assert!(gate.ahead.is_empty(), "unknown until staging is read");
        // Staging as GitHub holds it: a fresh flight on the new tip, which can pass.
        staging(&mut gate, &["t1"]);
        assert_eq!(gate.flights.len(), 2);
        assert_eq!(
            advanced(&pass_all(&mut gate, "t1")),
            Some(("t1".into(), false))
        );
        let board = dashboard(&gate, &settings(), &|t| t.to_string());
        assert!(
            board.contains("| #1 | `s1` | abandoned: dropped from staging |"),
            "{board}"
        );
    }

    #[test]
    fn rewinds_and_force_pushes_start_a_fresh_flight_from_the_new_tip() {
        // (ahead before, ahead after, flights expected after)
        let cases: [(&[&str], &[&str], usize); 4] = [
            (&["s1"], &["s1", "s2"], 2),
            (&["s1"], &["s1"], 1), // the same staging read again: no new flight
            (&["s1"], &["t1"], 2), // force-push
            (&["s1", "s2"], &["s1"], 2), // rewind: s2 dropped, s1 tested
        ];
        for (before, after, flights) in cases {
            let mut gate = gate_with_green_baseline();
            staging(&mut gate, before);
            staging(&mut gate, after);
            let running = gate.flights.iter().filter(|f| !f.is_done()).count();
            assert_eq!(gate.flights.len(), flights, "{before:?} -> {after:?}");
            assert!(running >= 1, "{before:?} -> {after:?}: the tip is tested");
        }
        // A tip whose flight ended (timed out here) is tested afresh after a rewind to it.
        let mut gate = gate_with_green_baseline();
        staging(&mut gate, &["s1"]);
        gate.step(Event::Tick, 6 * 3600 + 1, &settings());
        staging(&mut gate, &["s1", "s2"]);
        staging(&mut gate, &["s1"]);
        let running: Vec<&str> = gate
            .flights
            .iter()
            .filter(|f| !f.is_done())
            .map(|f| f.tip.as_str())
            .collect();
        assert_eq!(running, ["s1"]);
        // A flight dropped from staging is tested afresh when its tip comes back.
        let mut gate = gate_with_green_baseline();
        staging(&mut gate, &["s1"]);
        staging(&mut gate, &["t1"]);
        staging(&mut gate, &["s1"]);
        assert!(gate.flights.iter().any(|f| f.tip == "s1" && !f.is_done()));
    }

    #[test]
    fn master_off_staging_is_shown_and_waits_for_a_committer() {
        let mut gate = gate_with_green_baseline();
        staging(&mut gate, &["s1"]);
        let actions = step(
            &mut gate,
            Event::Diverged {
                staging: "t1".into(),
            },
        );
        assert_eq!(finished(&actions), [Verdict::Dropped]);
        assert!(gate.ahead.is_empty());
        let board = dashboard(&gate, &settings(), &|t| t.to_string());
        assert!(
            board.contains("master `B` is not an ancestor of staging `t1`"),
            "{board}"
        );
        let refused = step(
            &mut gate,
            Event::Force {
                by: "jan".into(),
                committer: true,
                sha: "t1".into(),
                reason: "r".into(),
            },
        );
        assert!(
            matches!(&refused[0], Action::Refused { why, .. } if why.contains("not an ancestor")),
            "{refused:?}"
        );
        // Staging back on top of master: the warning goes, a flight starts.
        staging(&mut gate, &["t2"]);
        assert!(gate.diverged.is_none());
        assert!(gate.flights.iter().any(|f| f.tip == "t2" && !f.is_done()));
    }

    #[test]
    fn refused_fast_forward_is_shown_and_not_retried_until_a_committer_forces() {
        let mut gate = gate_with_green_baseline();
        staging(&mut gate, &["s1"]);
        pass_all(&mut gate, "s1");
        step(
            &mut gate,
            Event::AdvanceFailed {
                from: "B".into(),
                to: "s1".into(),
                why: Refusal::Rejected {
                    master: "B".into(),
                    error: "422 Update is not a fast forward".into(),
                },
            },
        );
        assert_eq!(gate.master, "B");
        let again = staging(&mut gate, &["s1"]);
        assert!(
            advanced(&again).is_none(),
            "not tried again from the same master"
        );
        let board = dashboard(&gate, &settings(), &|t| t.to_string());
        assert!(
            board.contains("GitHub refused to fast-forward master from `B` to `s1`"),
            "{board}"
        );
        assert!(
            board.contains("422 Update is not a fast forward"),
            "{board}"
        );
        let forced = step(
            &mut gate,
            Event::Force {
                by: "jan".into(),
                committer: true,
                sha: "s1".into(),
                reason: "checked".into(),
            },
        );
        assert_eq!(advanced(&forced), Some(("s1".into(), true)));
        assert!(gate.rejected.is_none());
    }

    #[test]
    fn pinned_checks_count_only_from_their_poster() {
        let pinned = Settings {
            sources: vec![("build".into(), Source::App("ci".into()))],
            ..settings()
        };
        // (poster of build's success, advances)
        let cases = [
            (Source::App("ci".into()), true),
            (Source::App("CI".into()), true),
            (Source::App("other".into()), false),
            (Source::User("ci".into()), false),
            (Source::Unknown, false),
        ];
        for (source, advances) in cases {
            let mut gate = gate_with_green_baseline();
            gate.step(
                Event::StagingMoved {
                    ahead: vec!["s1".into()],
                },
                0,
                &pinned,
            );
            let result = |name: &str, source: Source| Event::Check {
                sha: "s1".into(),
                name: name.into(),
                outcome: Outcome::Passed,
                source,
            };
            gate.step(
                result("test-unit", Source::User("anyone".into())),
                0,
                &pinned,
            );
            let actions = gate.step(result("build", source.clone()), 0, &pinned);
            assert_eq!(advanced(&actions).is_some(), advances, "{source:?}");
            assert_eq!(
                actions
                    .iter()
                    .any(|a| matches!(a, Action::Untrusted { .. })),
                !advances,
                "{source:?}"
            );
        }
        // The dashboard says whom it trusted.
        let mut gate = gate_with_green_baseline();
        gate.step(
            Event::StagingMoved {
                ahead: vec!["s1".into()],
            },
            0,
            &pinned,
        );
        gate.step(
            Event::Check {
                sha: "s1".into(),
                name: "build".into(),
                outcome: Outcome::Passed,
                source: Source::App("ci".into()),
            },
            0,
            &pinned,
        );
        gate.step(
            Event::Check {
                sha: "s1".into(),
                name: "test-unit".into(),
                outcome: Outcome::Pending,
                source: Source::User("bob".into()),
            },
            0,
            &pinned,
        );
        gate.step(
            Event::Check {
                sha: "s1".into(),
                name: "build".into(),
                outcome: Outcome::Passed,
                source: Source::User("mallory".into()),
            },
            7,
            &pinned,
        );
        let board = dashboard(&gate, &pinned, &|t| t.to_string());
        assert!(
            board.contains("- 7: `build` on `s1` from @mallory (pinned to app `ci`)"),
            "{board}"
        );
        assert!(
            board.contains("| build | ✅ passed | ✅ passed | app `ci` (pinned) |"),
            "{board}"
        );
        assert!(
            board.contains("| test-unit | ⏳ pending | ✅ passed | @bob (unpinned: any poster) |"),
            "{board}"
        );
    }

    #[test]
    fn reread_results_count_but_never_cut_a_retry_short() {
        let mut gate = gate_with_green_baseline();
        staging(&mut gate, &["s1"]);
        let read = |name: &str, outcome| CheckResult {
            sha: "s1".into(),
            name: name.into(),
            outcome,
            source: Source::Unknown,
        };
        let actions = step(
            &mut gate,
            Event::Reread {
                results: vec![
                    read("build", Outcome::Passed),
                    read("test-unit", Outcome::Failed),
                ],
            },
        );
        assert!(actions.iter().any(|a| matches!(a, Action::Rerun { .. })));
        // GitHub still shows the failed run until the retry starts.
        let actions = step(
            &mut gate,
            Event::Reread {
                results: vec![
                    read("build", Outcome::Passed),
                    read("test-unit", Outcome::Failed),
                ],
            },
        );
        assert!(finished(&actions).is_empty(), "{actions:?}");
        let actions = step(
            &mut gate,
            Event::Reread {
                results: vec![read("test-unit", Outcome::Passed)],
            },
        );
        assert_eq!(advanced(&actions), Some(("s1".into(), false)));
    }

    /// The dashboard's view of a flight: its required checks on tip and baseline while it
    /// runs (literal names even before any result), and its record once finished.
    #[test]
    fn a_flight_shows_its_checks_while_running_and_its_record_once_done() {
        let mut gate = gate_with_green_baseline();
        staging(&mut gate, &["s1"]);
        check(&mut gate, "s1", "test-unit", Outcome::Failed);
        check(&mut gate, "s1", "lint", Outcome::Passed);
        let flight = gate.current().cloned().expect("a running flight");
        assert_eq!(flight.record(), None);
        let rows: Vec<(String, Option<Outcome>, Option<Outcome>)> = gate
            .check_rows(&flight)
            .into_iter()
            .map(|r| (r.name, r.tip, r.baseline))
            .collect();
        assert_eq!(
            rows,
            vec![
                ("build".into(), None, Some(Outcome::Passed)),
                (
                    "test-unit".into(),
                    Some(Outcome::Failed),
                    Some(Outcome::Passed)
                ),
            ],
            "lint is not required"
        );
        check(&mut gate, "s1", "build", Outcome::Passed);
        check(&mut gate, "s1", "test-unit", Outcome::Failed);
        let done = gate.flights.iter().find(|f| f.id == flight.id).unwrap();
        let record = done.record().expect("finished");
        assert_eq!(record.result, "regressed");
        assert_eq!(record.checks, vec!["test-unit".to_string()]);
        assert_eq!(record.culprit.as_deref(), Some("s1"));
        assert_eq!((record.commits, record.tip.as_str()), (1, "s1"));
        let cases = [
            (Verdict::Passed { flaky: vec![] }, "passed"),
            (Verdict::TimedOut, "timed-out"),
            (Verdict::Abandoned, "superseded"),
            (Verdict::Dropped, "dropped"),
        ];
        for (verdict, word) in cases {
            assert_eq!(verdict.word(), word);
        }
    }
}
