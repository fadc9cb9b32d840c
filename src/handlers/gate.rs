//! The push gate on GitHub: staging pushes and CI results (check runs and
//! commit statuses) feed `core::gate`; its actions become ref updates — master only by
//! fast-forward, never forced — re-run requests and bisection refs. The gate's state lives in
//! the store, so a restart continues where it stopped.
//!
//! Committers steer it from the dashboard issue ("pushgate status"), which pushgate keeps
//! current. Landing PRs on staging (`/pushgate merge`) lives in `merge.rs`.

use super::gather::{config, is_committer, ref_sha};
use super::{Context, HandlerError};
use crate::config::Config;
use crate::core::gate::{
    read_command, Action, CheckResult, Command, Event, Gate, Outcome, PendingRegression, Phase,
    Refusal, Settings, Source,
};
use crate::core::say;
use crate::github::model::User;
use crate::github::webhook::Webhook;
use crate::github::Installation;
use crate::github::{BranchName, PrNumber, RepoName, Sha};
use crate::store::CommandProgress;

fn settings(config: &Config) -> Settings {
    Settings {
        required: config.gate.required.clone(),
        allow: config.gate.allow.clone(),
        block_on: config.gate.block_on,
        // At most `config::LONGEST`, so no overflow.
        timeout: config.gate.timeout.as_secs() as i64,
        sources: config.gate.pinned_sources(),
    }
}

/// Who posted a `check_run` or `status` delivery's result: the App GitHub names on the check
/// run, or the account that created the status (the event's sender).
pub fn source_of(event: &str, payload: &Webhook) -> Source {
    let named = |user: &Option<User>| {
        user.as_ref()
            .and_then(|u| u.login.clone())
            .filter(|s| !s.is_empty())
    };
    let source = if event == "status" {
        named(&payload.creator)
            .or_else(|| named(&payload.sender))
            .map(Source::User)
    } else {
        payload
            .check_run
            .as_ref()
            .and_then(|run| run.app_slug())
            .map(|slug| Source::App(slug.to_string()))
    };
    source.unwrap_or(Source::Unknown)
}

async fn load(ctx: &Context, repo: &RepoName, master: &str) -> Result<Gate, HandlerError> {
    Ok(stored(ctx, repo)
        .await?
        .unwrap_or_else(|| Gate::new(master)))
}

/// The gate stored for a repository. A state that cannot be read (written by an incompatible
/// version) is logged and replaced by a fresh gate.
async fn stored(ctx: &Context, repo: &RepoName) -> Result<Option<Gate>, HandlerError> {
    let Some(json) = ctx.store.gate(repo).await? else {
        return Ok(None);
    };
    match serde_json::from_str(&json) {
        Ok(gate) => Ok(Some(gate)),
        Err(e) => {
            tracing::warn!(repo = %repo, error = %e, "stored gate state unreadable; starting afresh");
            Ok(None)
        }
    }
}

async fn save(ctx: &Context, repo: &RepoName, gate: &Gate) -> Result<(), HandlerError> {
    let json = serde_json::to_string(gate)
        .map_err(|e| HandlerError::Internal(format!("the gate state: {e}")))?;
    ctx.store.save_gate(repo, &json, ctx.clock.now()).await?;
    Ok(())
}

/// A push: when it moved staging or master, the gate learns staging's commits ahead of master.
pub async fn on_push(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
) -> Result<bool, HandlerError> {
    let Some(config) = config(ctx, gh, repo, payload.default_branch()).await? else {
        return Ok(false);
    };
    if config.gate.required.is_empty() {
        return Ok(false);
    }
    let pushed = payload.pushed_ref.as_deref().unwrap_or_default();
    let (staging, master) = (&config.branches.staging, &config.branches.master);
    if pushed != format!("refs/heads/{staging}") && pushed != format!("refs/heads/{master}") {
        return Ok(false);
    }
    sync(ctx, gh, repo, payload, &config, false).await
}

/// A synthetic `repo-refresh` (start-up and every reconciler period): re-reads staging, master
/// and the results of the running flights, so a lost push, `check_run` or `status` delivery
/// neither stalls nor times out a flight.
pub async fn reconcile(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
) -> Result<bool, HandlerError> {
    let Some(config) = config(ctx, gh, repo, payload.default_branch()).await? else {
        return Ok(false);
    };
    if config.gate.required.is_empty() {
        return Ok(false);
    }
    sync(ctx, gh, repo, payload, &config, true).await
}

/// Learns master and staging from GitHub and lets the gate act on them. `reread`: read again
/// the results of every running flight, not only of commits the gate has none for.
async fn sync(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
    config: &Config,
    reread: bool,
) -> Result<bool, HandlerError> {
    let Some(master_sha) = ref_sha(gh, repo, &config.branches.master).await? else {
        return Ok(false);
    };
    let mut gate = load(ctx, repo, &master_sha).await?;
    let installation = payload.installation_id();
    if installation > 0 {
        gate.installation = Some(installation);
    }
    let now = ctx.clock.now();
    let settings = settings(config);
    // Master is whatever GitHub says: our own advance, or someone else's move. A new baseline's
    // results may predate the gate hearing of them: read them from GitHub.
    gate.master = master_sha.to_string();
    let mut actions = Vec::new();
    if !gate.results.contains_key(master_sha.as_str()) {
        let results = sourced_results_on(gh, repo, &master_sha).await?;
        actions.extend(gate.step(Event::Reread { results }, now, &settings));
    }
    actions.extend(staging_moved(gh, repo, config, &mut gate, now).await?);
    // CI may have reported on the new tip before this push reached us, and deliveries get lost.
    let wanted: Vec<String> = if reread {
        running_commits(&gate)
    } else {
        gate.ahead
            .last()
            .filter(|t| !gate.results.contains_key(*t))
            .cloned()
            .into_iter()
            .collect()
    };
    let mut results = Vec::new();
    for sha in wanted {
        results.extend(sourced_results_on(gh, repo, &Sha::parse(&sha)?).await?);
    }
    if !results.is_empty() {
        actions.extend(gate.step(Event::Reread { results }, now, &settings));
    }
    act(ctx, gh, repo, config, &mut gate, actions).await?;
    publish(ctx, gh, repo, config, &mut gate).await?;
    save(ctx, repo, &gate).await?;
    Ok(true)
}

/// The commits whose results running flights wait for: tips, baselines, bisection probes.
fn running_commits(gate: &Gate) -> Vec<String> {
    let mut shas: Vec<String> = Vec::new();
    for f in gate.flights.iter().filter(|f| !f.is_done()) {
        let probe = match &f.phase {
            Phase::Bisecting { good, bad, .. } => usize::try_from(good + (bad - good) / 2)
                .ok()
                .and_then(|i| f.commits.get(i))
                .cloned(),
            _ => None,
        };
        for sha in [Some(f.tip.clone()), Some(f.baseline.clone()), probe]
            .into_iter()
            .flatten()
        {
            if !shas.contains(&sha) {
                shas.push(sha);
            }
        }
    }
    shas
}

/// Reads staging from GitHub (its commits ahead of master) and tells the gate: staging moved,
/// or master is not an ancestor of staging.
async fn staging_moved(
    gh: &Installation,
    repo: &RepoName,
    config: &Config,
    gate: &mut Gate,
    now: i64,
) -> Result<Vec<Action>, HandlerError> {
    let staging = &config.branches.staging;
    let master = Sha::parse(&gate.master)?;
    let compare = match gh.api.compare(repo, (&master).into(), staging.into()).await {
        Ok(compare) => compare,
        // No staging branch (yet): nothing to test.
        Err(e) if e.not_found() => return Ok(Vec::new()),
        Err(e) => return Err(e.into()),
    };
    let event = match compare.status.as_str() {
        // Master is not an ancestor of staging: nothing can fast-forward.
        "diverged" | "behind" => {
            let tip = ref_sha(gh, repo, staging)
                .await?
                .map(String::from)
                .unwrap_or_default();
            tracing::warn!(
                repo = %repo,
                master = %gate.master,
                staging = %tip,
                "master is not an ancestor of staging: waiting for a committer"
            );
            Event::Diverged { staging: tip }
        }
        _ => Event::StagingMoved {
            ahead: compare.commits.into_iter().map(|c| c.sha).collect(),
        },
    };
    let was_diverged = gate.diverged.is_some();
    let actions = gate.step(event, now, &settings(config));
    if let (false, Some(d)) = (was_diverged, &gate.diverged) {
        let body = say::diverged(&d.master, &d.staging);
        tell(gh, repo, gate, &body).await;
    }
    Ok(actions)
}

/// A comment on the dashboard issue, so committers are notified and not only the issue's
/// text changes; once per text, so a delivery run again (its state was not saved) tells
/// nothing twice. Best effort: the text shows the same.
async fn tell(gh: &Installation, repo: &RepoName, gate: &Gate, body: &str) {
    let Some(issue) = gate.dashboard else {
        return;
    };
    let key = {
        use sha2::{Digest, Sha256};
        format!("tell {}", hex::encode(&Sha256::digest(body)[..12]))
    };
    let posted = match PrNumber::new(issue) {
        Ok(issue) => super::comment_once(gh, repo, issue, &key, body).await,
        Err(e) => Err(e.into()),
    };
    if let Err(e) = posted {
        tracing::warn!(repo = %repo, issue, error = %e, "could not comment on the dashboard issue");
    }
}

/// How long the same gate failure is told on the dashboard only once.
const FAILURE_TOLD_FOR: i64 = 24 * 3600;

/// Shows on the dashboard issue that the gate could not handle delivery `delivery`, so
/// committers learn that the gate may be behind; nothing when there is no dashboard yet. The
/// same failure is told once a day at most (the reconciler may meet it at every pass).
pub async fn show_failure(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    delivery: &str,
    what: &str,
) -> Result<(), HandlerError> {
    let Some(gate) = stored(ctx, repo).await? else {
        return Ok(());
    };
    let Some(issue) = gate.dashboard else {
        return Ok(());
    };
    let now = ctx.clock.now();
    if let Some((told, at)) = ctx.store.view(repo, "gate-failure").await? {
        if told == what && now - at < FAILURE_TOLD_FOR {
            return Ok(());
        }
    }
    let body = say::gate_failure(what, delivery);
    gh.api
        .create_comment(repo, PrNumber::new(issue)?, &body)
        .await?;
    ctx.store.save_view(repo, "gate-failure", what, now).await?;
    Ok(())
}

/// The check runs and commit statuses GitHub holds for a commit.
pub(crate) async fn results_on(
    gh: &Installation,
    repo: &RepoName,
    sha: &Sha,
) -> Result<Vec<(String, Outcome)>, HandlerError> {
    Ok(sourced_results_on(gh, repo, sha)
        .await?
        .into_iter()
        .map(|r| (r.name, r.outcome))
        .collect())
}

/// The check runs and commit statuses GitHub holds for a commit, with who posted each.
async fn sourced_results_on(
    gh: &Installation,
    repo: &RepoName,
    sha: &Sha,
) -> Result<Vec<CheckResult>, HandlerError> {
    let mut results = Vec::new();
    let found = |name: String, outcome: Outcome, source: Option<Source>| CheckResult {
        sha: sha.to_string(),
        name,
        outcome,
        source: source.unwrap_or(Source::Unknown),
    };
    match gh.api.check_runs(repo, sha, None).await {
        Ok(runs) => {
            for run in runs {
                if let Some(outcome) = outcome_of(run.state()) {
                    let app = run.app_slug().map(|s| Source::App(s.to_string()));
                    results.push(found(run.name, outcome, app));
                }
            }
        }
        Err(e) if e.not_found() => {}
        Err(e) => return Err(e.into()),
    }
    match gh.api.statuses(repo, sha).await {
        Ok(statuses) => {
            for status in statuses {
                if let Some(outcome) = outcome_of(&status.state) {
                    let creator = status.creator_login().map(|s| Source::User(s.to_string()));
                    results.push(found(status.context, outcome, creator));
                }
            }
        }
        Err(e) if e.not_found() => {}
        Err(e) => return Err(e.into()),
    }
    Ok(results)
}

/// A check run or commit status completed (or restarted).
pub async fn on_check(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
    result: CheckResult,
) -> Result<bool, HandlerError> {
    let sha = result.sha.as_str();
    let Some(mut gate) = stored(ctx, repo).await? else {
        return Ok(false);
    };
    // Only commits the gate cares about: staging's, and the baselines of its flights.
    let relevant = gate.master == sha
        || gate.ahead.iter().any(|c| c == sha)
        || gate
            .flights
            .iter()
            .any(|f| f.baseline == sha || f.commits.iter().any(|c| c == sha));
    if !relevant {
        return Ok(false);
    }
    let Some(config) = config(ctx, gh, repo, payload.default_branch()).await? else {
        return Ok(false);
    };
    let event = Event::Check {
        sha: result.sha.clone(),
        name: result.name,
        outcome: result.outcome,
        source: result.source,
    };
    let actions = gate.step(event, ctx.clock.now(), &settings(&config));
    act(ctx, gh, repo, &config, &mut gate, actions).await?;
    publish(ctx, gh, repo, &config, &mut gate).await?;
    save(ctx, repo, &gate).await?;
    Ok(true)
}

/// A flight's deadline passed: let the gate time it out.
pub async fn on_tick(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
) -> Result<(), HandlerError> {
    let Some(mut gate) = stored(ctx, repo).await? else {
        return Ok(());
    };
    let Some(config) = config(ctx, gh, repo, payload.default_branch()).await? else {
        return Ok(());
    };
    // A lost delivery must not time a flight out: read again what GitHub holds first.
    let now = ctx.clock.now();
    let mut results = Vec::new();
    for sha in running_commits(&gate) {
        results.extend(sourced_results_on(gh, repo, &Sha::parse(&sha)?).await?);
    }
    let mut actions = gate.step(Event::Reread { results }, now, &settings(&config));
    actions.extend(gate.step(Event::Tick, now, &settings(&config)));
    act(ctx, gh, repo, &config, &mut gate, actions).await?;
    publish(ctx, gh, repo, &config, &mut gate).await?;
    save(ctx, repo, &gate).await
}

/// Publishes the dashboard issue again if the repository has a push gate (something it
/// lists besides the gate changed: an advisory).
pub(crate) async fn republish(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    default_branch: &str,
) -> Result<(), HandlerError> {
    let Some(mut gate) = stored(ctx, repo).await? else {
        return Ok(());
    };
    let Some(config) = config(ctx, gh, repo, default_branch).await? else {
        return Ok(());
    };
    publish(ctx, gh, repo, &config, &mut gate).await?;
    save(ctx, repo, &gate).await
}

/// The title of the dashboard issue.
pub const DASHBOARD_TITLE: &str = "pushgate status";
/// The hidden line that marks pushgate's own dashboard issue, so that it is found again
/// rather than opened twice.
pub const DASHBOARD_MARKER: &str = "<!-- pushgate:dashboard -->";

/// Creates or updates the dashboard issue when its text changed. Before creating one it looks
/// for the one it may have opened already (a re-run after GitHub lost the answer, or a state
/// that was lost): an open issue opened by an App (pushgate) with the title and marker.
/// The issue also lists the security advisories that may be shown (`core::advisory`).
async fn publish(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    config: &Config,
    gate: &mut Gate,
) -> Result<(), HandlerError> {
    let mut text = crate::core::gate::dashboard(gate, &settings(config), &crate::core::text::utc);
    text.push_str(&super::gather::advisories_section(ctx, repo).await?);
    if gate.dashboard.is_some() && text == gate.dashboard_text {
        return Ok(());
    }
    let body = format!("{text}\n\n{DASHBOARD_MARKER}");
    if gate.dashboard.is_none() {
        gate.dashboard = find_dashboard(gh, repo).await?;
    }
    match gate.dashboard {
        Some(number) => {
            gh.api
                .set_issue_body(repo, PrNumber::new(number)?, &body)
                .await?;
        }
        None => {
            let created = gh.api.create_issue(repo, DASHBOARD_TITLE, &body).await?;
            gate.dashboard = Some(created.number).filter(|n| *n > 0);
        }
    }
    gate.dashboard_text = text;
    Ok(())
}

/// The dashboard issue pushgate opened before, if one is open: the title and the hidden
/// marker, on an issue opened by an App. Anyone can open an issue with that title and text,
/// but not as an App.
async fn find_dashboard(gh: &Installation, repo: &RepoName) -> Result<Option<i64>, HandlerError> {
    let issues = gh.api.open_issues(repo, None, 10).await?;
    Ok(issues
        .iter()
        .filter(|i| !i.is_pull_request() && i.opened_by_app())
        .filter(|i| i.title == DASHBOARD_TITLE)
        .find(|i| i.body.contains(DASHBOARD_MARKER))
        .map(|i| i.number)
        .filter(|n| *n > 0))
}

/// A comment on the dashboard issue: a committer's block, unblock or force. A command is
/// keyed by its comment: the gate remembers the comments it applied, in the state they
/// changed, and the store says whether the comment was handled before, so a replay under a
/// new delivery id, or a re-run after a lost answer, neither applies nor answers twice.
pub async fn on_comment(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
) -> Result<bool, HandlerError> {
    let Some(said) = payload.said() else {
        return Ok(false);
    };
    let Some(command) = read_command(&said.comment.body) else {
        return Ok(false);
    };
    let Some(mut gate) = stored(ctx, repo).await? else {
        return Ok(false);
    };
    let issue = said.issue.number;
    if gate.dashboard != Some(issue) {
        return Ok(false);
    }
    let comment_id = said.comment.id;
    if comment_id <= 0 {
        return Err(HandlerError::Payload("a comment without an id".into()));
    }
    let progress = ctx.store.command(repo, comment_id).await?;
    if progress == Some(CommandProgress::Done) || gate.applied(comment_id) {
        tracing::info!(repo = %repo, comment_id, "gate command already handled");
        ctx.store
            .set_command(repo, comment_id, &CommandProgress::Done, ctx.clock.now())
            .await?;
        return Ok(false);
    }
    let seen = progress.is_some();
    ctx.store
        .set_command(repo, comment_id, &CommandProgress::Started, ctx.clock.now())
        .await?;
    let Some(config) = config(ctx, gh, repo, payload.default_branch()).await? else {
        return Ok(false);
    };
    let by = said.comment.login().to_string();
    let committer = is_committer(ctx, gh, repo, payload.default_branch(), &config, &by).await?;
    let event = match command {
        Command::Block { reason } => Event::Block {
            by: by.clone(),
            committer,
            reason,
        },
        Command::Unblock => Event::Unblock {
            by: by.clone(),
            committer,
        },
        Command::Force { sha, reason } => Event::Force {
            by: by.clone(),
            committer,
            sha,
            reason,
        },
    };
    let actions = gate.step(event, ctx.clock.now(), &settings(&config));
    gate.remember_command(comment_id);
    for action in &actions {
        if let Action::Refused { by, why } = action {
            let body = say::refused(by, why);
            super::reply_once(gh, repo, PrNumber::new(issue)?, comment_id, seen, &body).await?;
        }
    }
    act(ctx, gh, repo, &config, &mut gate, actions).await?;
    publish(ctx, gh, repo, &config, &mut gate).await?;
    save(ctx, repo, &gate).await?;
    ctx.store
        .set_command(repo, comment_id, &CommandProgress::Done, ctx.clock.now())
        .await?;
    Ok(true)
}

/// How a check run's conclusion or a status's state counts for the gate. GitHub counts
/// neutral and skipped as passing for required checks; so do we.
pub fn outcome_of(conclusion_or_state: &str) -> Option<Outcome> {
    match conclusion_or_state {
        "success" | "neutral" | "skipped" => Some(Outcome::Passed),
        "failure" | "error" | "timed_out" | "cancelled" | "action_required" | "startup_failure" => {
            Some(Outcome::Failed)
        }
        "pending" | "queued" | "in_progress" | "requested" | "waiting" => Some(Outcome::Pending),
        _ => None,
    }
}

/// Tells the pull request a culprit came from (when known) which commit broke which checks.
async fn report_culprit(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    flight: u64,
    checks: &[String],
    culprit: &str,
) -> Result<(String, Option<i64>), HandlerError> {
    let commit = match gh.api.git_commit(repo, &Sha::parse(culprit)?).await {
        Ok(commit) => commit,
        Err(e) if e.not_found() => Default::default(),
        Err(e) => return Err(e.into()),
    };
    let author = commit.author.map(|a| a.name).unwrap_or_default();
    let subject = commit.message.lines().next().unwrap_or("").to_string();
    let pr = match ctx.store.landed_from(repo, culprit).await? {
        Some(pr) => Some(pr),
        None => match gh.api.commit_pulls(repo, &Sha::parse(culprit)?).await {
            Ok(list) => list.first().map(|p| p.number).filter(|n| *n > 0),
            Err(e) if !e.is_transient() => None,
            Err(e) => return Err(e.into()),
        },
    };
    tracing::warn!(repo = %repo, flight, culprit, author = %author, pr, "regression bisected to its first bad commit");
    if let Some(pr) = pr {
        let body = say::culprit(culprit, &subject, &author, checks, flight);
        // Once: a delivery run again after a later failure finishes the flight again.
        let key = format!("culprit {flight} {culprit}");
        super::comment_once(gh, repo, PrNumber::new(pr)?, &key, &body).await?;
    }
    let about = match pr {
        Some(pr) => format!("#{pr} by {author}"),
        None => format!("by {author}"),
    };
    Ok((about, pr))
}

/// Moves master from `from` to `to` by fast-forward, once GitHub confirms that `to` is still
/// reachable from staging's tip and master is still at `from`; `Some` says why it did not.
/// GitHub orders no deliveries: a rewound staging's push event may come after CI's success
/// on the commit the rewind dropped, so staging is asked, not remembered.
async fn advance_master(
    gh: &Installation,
    repo: &RepoName,
    config: &Config,
    from: &Sha,
    to: &Sha,
) -> Result<Option<Refusal>, HandlerError> {
    let (master, staging) = (&config.branches.master, &config.branches.staging);
    let on_staging = match gh.api.compare(repo, to.into(), staging.into()).await {
        Ok(compare) => matches!(compare.status.as_str(), "ahead" | "identical"),
        Err(e) if e.is_transient() => return Err(e.into()),
        // No such commit, or no staging: not on staging.
        Err(_) => false,
    };
    if !on_staging {
        return Ok(Some(Refusal::NotOnStaging));
    }
    let actual = ref_sha(gh, repo, master)
        .await?
        .map(String::from)
        .unwrap_or_default();
    if *to == actual {
        // Done before (a delivery processed again after a crash): nothing to move.
        return Ok(None);
    }
    if *from != actual {
        return Ok(Some(Refusal::Rejected {
            error: format!(
                "master was moved outside the gate (to `{}`, expected `{}`)",
                crate::core::text::short(&actual),
                crate::core::text::short(from)
            ),
            master: actual,
        }));
    }
    // Never forced, and only from `from`: GitHub checks both at once (SPEC §9).
    match gh.api.fast_forward(repo, master, from, to).await? {
        crate::github::RefMove::Moved => Ok(None),
        crate::github::RefMove::Refused(error) => {
            let actual = ref_sha(gh, repo, master)
                .await?
                .map(String::from)
                .unwrap_or_default();
            Ok(Some(Refusal::Rejected {
                master: actual,
                error,
            }))
        }
    }
}

/// Carries out the gate's actions on GitHub.
async fn act(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    config: &Config,
    gate: &mut Gate,
    actions: Vec<Action>,
) -> Result<(), HandlerError> {
    let mut queue: std::collections::VecDeque<Action> = actions.into();
    // Refused advances answered so far; a bound, should GitHub's answers contradict each other.
    let mut refusals = 0;
    while let Some(action) = queue.pop_front() {
        match action {
            Action::AdvanceMaster { from, to, forced } => {
                if refusals >= 3 {
                    tracing::warn!(repo = %repo, to = %to, "not advancing master: GitHub refused three times already");
                    continue;
                }
                let (from_sha, to_sha) = (Sha::parse(&from)?, Sha::parse(&to)?);
                let Some(why) = advance_master(gh, repo, config, &from_sha, &to_sha).await? else {
                    tracing::info!(repo = %repo, from = %from, to = %to, forced, "master advanced");
                    continue;
                };
                refusals += 1;
                let told = match &why {
                    Refusal::NotOnStaging => {
                        tracing::warn!(repo = %repo, to = %to, "not advancing master: the commit is no longer on staging");
                        say::not_on_staging(&to)
                    }
                    Refusal::Rejected { master, error } => {
                        tracing::warn!(repo = %repo, to = %to, master = %master, error = %error, "fast-forward of master rejected; not forcing");
                        say::fast_forward_refused(&from, &to, error, master)
                    }
                };
                tell(gh, repo, gate, &told).await;
                // Later advances were planned on this one; the gate plans again from what
                // GitHub holds.
                queue.retain(|a| !matches!(a, Action::AdvanceMaster { .. }));
                let now = ctx.clock.now();
                let event = Event::AdvanceFailed { from, to, why };
                queue.extend(gate.step(event, now, &settings(config)));
                queue.extend(staging_moved(gh, repo, config, gate, now).await?);
            }
            Action::Untrusted { sha, check, source } => {
                tracing::warn!(repo = %repo, sha = %sha, check = %check, source = %source.describe(), "result from a poster the check is not pinned to; ignored")
            }
            Action::Rerun { sha, check } => {
                let runs = gh
                    .api
                    .latest_check_runs(repo, &Sha::parse(&sha)?, &check)
                    .await;
                let id = runs.ok().and_then(|runs| runs.first().map(|r| r.id));
                match id {
                    Some(id) => {
                        if let Err(e) = gh.api.rerequest_check_run(repo, id).await {
                            tracing::warn!(repo = %repo, sha = %sha, check = %check, error = %e, "re-run request refused; waiting for a fresh result");
                        }
                    }
                    // A commit status cannot be re-requested: its CI posts a fresh one.
                    None => {
                        tracing::info!(repo = %repo, sha = %sha, check = %check, "waiting for a fresh status")
                    }
                }
            }
            Action::Probe { flight, sha } => {
                let branch = BranchName::parse(&format!("pushgate/bisect/{flight}"))?;
                let sha = Sha::parse(&sha)?;
                let created = gh.api.create_branch(repo, &branch, &sha).await;
                if created.is_err() {
                    // The ref exists from an earlier probe. Pushgate forces no ref, not even
                    // its own: delete it and point it afresh.
                    gh.api.delete_branch(repo, &branch).await?;
                    gh.api.create_branch(repo, &branch, &sha).await?;
                }
            }
            Action::EndProbe { flight } => {
                let branch = BranchName::parse(&format!("pushgate/bisect/{flight}"))?;
                if let Err(e) = gh.api.delete_branch(repo, &branch).await {
                    tracing::warn!(repo = %repo, error = %e, "could not delete {branch}");
                }
            }
            Action::Finished { flight, verdict } => {
                tracing::info!(repo = %repo, flight, verdict = ?verdict, "flight finished");
                let mut culprit_of = (None, None);
                if let crate::core::gate::Verdict::Regressed { checks, culprit } = &verdict {
                    let (about, pr) =
                        report_culprit(ctx, gh, repo, flight, checks, culprit).await?;
                    culprit_of = (Some(about.clone()), pr);
                    // The gate's own state must not wait on an issue tracker: an issue GitHub
                    // would not open now is owed, and asked for again at each gate event.
                    gate.pending_regressions.insert(
                        culprit.clone(),
                        PendingRegression {
                            flight,
                            checks: checks.clone(),
                            at: gate.master.clone(),
                            about: about.clone(),
                        },
                    );
                    gate.culprits.insert(culprit.clone(), about);
                }
                // The dashboard's history; the same flight recorded again replaces its row.
                if let Some(record) = gate
                    .flights
                    .iter()
                    .find(|f| f.id == flight)
                    .and_then(|f| f.record())
                {
                    let (culprit_about, culprit_pull) = culprit_of;
                    let stored = crate::store::StoredFlight {
                        flight: record,
                        culprit_pull,
                        culprit_about,
                    };
                    ctx.store
                        .record_flight(repo, &stored, crate::store::FLIGHTS_KEPT)
                        .await?;
                }
            }
            Action::Refused { by, why } => {
                tracing::info!(repo = %repo, by = %by, why = %why, "switch refused")
            }
            Action::Switched(switch) => tracing::info!(repo = %repo, switch = ?switch, "switch"),
        }
    }
    open_owed_regressions(ctx, gh, repo, config, gate).await;
    Ok(())
}

/// Opens the regression issues the gate owes (see `Gate::pending_regressions`); one GitHub
/// would not open for a passing reason stays owed, one it refuses for good is dropped. Opening is idempotent (the issue is remembered and looked for
/// by its culprit), so one opened before a lost answer is not opened twice.
async fn open_owed_regressions(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    config: &Config,
    gate: &mut Gate,
) {
    let owed: Vec<(String, PendingRegression)> = gate
        .pending_regressions
        .iter()
        .map(|(culprit, p)| (culprit.clone(), p.clone()))
        .collect();
    for (culprit, p) in owed {
        let opened = super::release::open_regression_issue(
            ctx, gh, repo, config, &p.at, p.flight, &p.checks, &culprit, &p.about,
        )
        .await;
        match opened {
            Ok(_) => {
                gate.pending_regressions.remove(&culprit);
            }
            // GitHub refuses for good (issues turned off, no permission): asking again every
            // few seconds would change nothing.
            Err(e) if !e.is_transient() => {
                tracing::error!(repo = %repo, flight = p.flight, culprit = %culprit, error = %e, "GitHub refused the regression issue; not asking again");
                gate.pending_regressions.remove(&culprit);
            }
            Err(e) => {
                tracing::warn!(repo = %repo, flight = p.flight, culprit = %culprit, error = %e, "could not open the regression issue; will try again");
            }
        }
    }
}
