//! The worker: claims stored deliveries one at a time (the store guarantees one lane's
//! deliveries, see [`lane`], are handled in order and never concurrently, across replicas), routes them on
//! the event name, retries transient failures with backoff and records permanent ones where
//! people see them. Also the two producers of synthetic deliveries: the reconciler (open PRs
//! re-evaluated at start-up and periodically, so a missed webhook changes nothing in the end)
//! and the wake-ups at the end of review windows.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::{watch, Notify};
use tracing::Instrument;

use crate::core::gate::CheckResult;
use crate::core::report::Report;
use crate::github::webhook::Webhook;
use crate::github::{GitHub, GitHubError, Installation};
use crate::github::{RepoName, Sha};
use crate::handlers::acks::{self, SeenHead};
use crate::handlers::{advisory, embargo, gate, governance, merge, release, support};
use crate::handlers::{Context, HandlerError};
use crate::metrics::Metrics;
use crate::outage::{Outage, Permit};
use crate::store::{Claimed, Evaluation, NewDelivery, Payload};

/// The synthetic event name of deliveries pushgate makes itself.
pub const SYNTHETIC_EVENT: &str = "pushgate";
/// After this many attempts a transient failure is treated as permanent, and a delivery
/// claimed this many times without an outcome (each run ended the process) is given up at its
/// next claim.
pub const MAX_ATTEMPTS: i64 = 8;

/// The events pushgate acts on within one repository: a delivery of one of them whose
/// repository name GitHub would refuse fails, where any other event is ignored.
const ROUTED_BY_REPOSITORY: [&str; 9] = [
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "issues",
    "issue_comment",
    "push",
    "check_run",
    "status",
    SYNTHETIC_EVENT,
];
/// How many pending deliveries behind a claimed one are read, at most, to coalesce them
/// ([`Worker::coalesce_run`]); a longer run is taken in several steps.
pub const COALESCE_BATCH: i64 = 1000;
/// How many of them are read at a time: the run usually ends sooner.
const COALESCE_PAGE: i64 = 32;

/// Everything a worker needs.
#[derive(Clone)]
pub struct Worker {
    pub ctx: Arc<Context>,
    pub github: Arc<GitHub>,
    pub metrics: Arc<Metrics>,
    pub owner: String,
    pub lease: Duration,
    pub wake: Arc<Notify>,
    /// Shared by the process's workers: whether GitHub is down and claims wait.
    pub outage: Arc<Outage>,
}

/// How processing ended.
enum Handled {
    Processed,
    Ignored,
}

/// When a delivery's handling began, for its outcome's record.
#[derive(Debug, Clone, Copy)]
struct Began {
    at: Instant,
    /// [`Metrics::github_answers`] then.
    answers: u64,
}

/// What [`Worker::coalesce_run`] did with a claimed delivery.
enum Coalesced {
    /// Nothing: the delivery is handled on its own.
    No,
    /// It was collapsed, with the run behind it, into a later delivery of its lane, which
    /// this worker holds now.
    Into(Claimed),
    /// The lease was lost meanwhile; nothing was recorded.
    LeaseLost,
    /// The release check the run owed failed: the delivery's outcome is this failure.
    Failed(Failure),
}

/// Where a feature shows that handling a delivery failed for good: the surface its users
/// look at, never another feature's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Surface {
    /// The pull request's `pushgate/acks` check run.
    Acks,
    /// The push gate's dashboard issue.
    Gate,
    /// `pushgate/release` on the release targets the delivery concerns.
    Release,
    /// A reply to `/pushgate merge` on its pull request.
    Merge,
    /// A comment on the issue or pull request a vote or lazy consensus is held on.
    Governance,
    /// A comment on the pull request an embargo is (to be) held on.
    Embargo,
    /// A comment on the issue an advisory is (to be) tracked on.
    Advisory,
    /// Only the log: label sync and bookkeeping have no surface of their own.
    Log,
}

/// A handler's error, with the surface of the feature it happened in.
struct Failure {
    surface: Surface,
    error: HandlerError,
}

impl From<HandlerError> for Failure {
    fn from(error: HandlerError) -> Self {
        Failure {
            surface: Surface::Log,
            error,
        }
    }
}

impl From<crate::store::StoreError> for Failure {
    fn from(error: crate::store::StoreError) -> Self {
        HandlerError::from(error).into()
    }
}

/// Names the feature a handler's error happened in.
trait ShownOn<T> {
    fn shown_on(self, surface: Surface) -> Result<T, Failure>;
}

impl<T> ShownOn<T> for Result<T, HandlerError> {
    fn shown_on(self, surface: Surface) -> Result<T, Failure> {
        self.map_err(|error| Failure { surface, error })
    }
}

impl Worker {
    /// Runs until `stop` turns true; the delivery in hand is finished first, unless `abort`
    /// turns true, in which case it is released for another worker.
    pub async fn run(self, mut stop: watch::Receiver<bool>, mut abort: watch::Receiver<bool>) {
        loop {
            let stopping = *stop.borrow();
            if stopping {
                return;
            }
            let permit = self.outage.permit(Instant::now());
            self.metrics
                .github_unreachable
                .set(i64::from(self.outage.paused()));
            if let Permit::Wait(pause) = permit {
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = stop.changed() => {}
                }
                continue;
            }
            let now = self.ctx.clock.now_millis();
            let claimed = self.ctx.store.claim(&self.owner, now, self.lease).await;
            if permit == Permit::Probe && !matches!(claimed, Ok(Some(_))) {
                self.outage.end_probe();
            }
            match claimed {
                Ok(Some(delivery)) => {
                    // A run coalesced into a later delivery hands that one over, held: it
                    // runs now, as it is (what came in behind it meanwhile waits its turn).
                    let (mut held, mut coalescing) = (Some(delivery), true);
                    while let Some(delivery) = held.take() {
                        let id = delivery.id;
                        tokio::select! {
                            next = self.process(delivery, coalescing) => held = next,
                            _ = async { let _ = abort.wait_for(|a| *a).await; } => {
                                if let Err(e) = self.ctx.store.release(id, &self.owner).await {
                                    tracing::warn!(error = %e, "could not release delivery on shutdown");
                                }
                                return;
                            }
                        }
                        coalescing = false;
                    }
                    if permit == Permit::Probe {
                        self.outage.end_probe();
                    }
                }
                Ok(None) => {
                    tokio::select! {
                        _ = self.wake.notified() => {}
                        _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                        _ = stop.changed() => {}
                    }
                }
                Err(e) => {
                    tracing::error!(error = %e, "claiming a delivery failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                }
            }
        }
    }

    /// Handles a claimed delivery. With `coalescing`, a run of deliveries behind it that ask
    /// for the same work may be collapsed into the run's last, which is then handed back,
    /// held by this worker, to be handled next.
    async fn process(&self, d: Claimed, coalescing: bool) -> Option<Claimed> {
        // Attempts are counted when claimed. More than MAX_ATTEMPTS means every earlier run
        // ended without an outcome (the process died, or lost its lease): running it again
        // would most likely do the same, and hold its lane for ever.
        if d.attempts > MAX_ATTEMPTS {
            let error = format!(
                "gave up: {} attempts never finished (the process stopped or lost its lease \
                 each time)",
                d.attempts - 1
            );
            tracing::error!(id = %d.delivery_id, event = %d.event, repo = %d.repo, %error);
            self.metrics.delivery(&d.event, "failed");
            let now = self.ctx.clock.now_millis();
            if let Err(e) = self.ctx.store.fail(d.id, &self.owner, now, &error).await {
                tracing::error!(error = %e, "could not record the outcome of a delivery");
            }
            return None;
        }
        let text = match &d.payload {
            Ok(text) => text,
            Err(reason) => {
                // Not a GitHub problem and no retry will mend it: record it where people look.
                tracing::error!(id = %d.delivery_id, %reason, "stored payload is unreadable");
                self.metrics.delivery(&d.event, "failed");
                let now = self.ctx.clock.now_millis();
                let error = format!("stored payload is unreadable: {reason}");
                if let Err(e) = self.ctx.store.fail(d.id, &self.owner, now, &error).await {
                    tracing::error!(error = %e, "could not record the outcome of a delivery");
                }
                return None;
            }
        };
        let payload = match Webhook::read(text) {
            Ok(payload) => payload,
            Err(reason) => {
                // GitHub never sends such a payload: a forgery, or a bug. No retry mends it.
                tracing::error!(id = %d.delivery_id, event = %d.event, %reason, "payload cannot be read");
                self.metrics.delivery(&d.event, "failed");
                let now = self.ctx.clock.now_millis();
                let error = format!("the payload cannot be read: {reason}");
                if let Err(e) = self.ctx.store.fail(d.id, &self.owner, now, &error).await {
                    tracing::error!(error = %e, "could not record the outcome of a delivery");
                }
                return None;
            }
        };
        let started = Began {
            at: Instant::now(),
            answers: self.metrics.github_answers(),
        };
        // While GitHub is down the probe tries its own delivery as it came. Coalescing asks
        // GitHub nothing, so a probe that coalesced would end without news, and the next claim
        // would probe again at once: the whole backlog collapsed lane by lane, in the webhook
        // door's writes, while nothing can be judged. It is coalesced once GitHub answers.
        let coalesced = if self.outage.paused() || !coalescing {
            Coalesced::No
        } else {
            self.coalesce_run(&d, &payload).await
        };
        match coalesced {
            Coalesced::No => {}
            Coalesced::Into(next) => return Some(next),
            Coalesced::LeaseLost => return None,
            Coalesced::Failed(failure) => {
                self.record(&d, &payload, Err(failure), started).await;
                return None;
            }
        }
        self.coalesce(&d).await;
        let pr = payload.pull_number().map_or(0, i64::from);
        let span = tracing::info_span!(
            "delivery",
            id = %d.delivery_id,
            event = %d.event,
            action = %d.action,
            repo = %d.repo,
            pr
        );
        self.describe(&d, &payload).await;
        let work = async {
            // Keep the lease while working (GitHub retries can take a while).
            let renew = async {
                let mut tick = tokio::time::interval(self.lease / 3);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    let until = self.ctx.clock.now_millis() + self.lease.as_millis() as i64;
                    match self.ctx.store.renew(d.id, &self.owner, until).await {
                        Ok(true) => {}
                        // The lease ran out and another worker may hold the delivery now:
                        // stop, so that one repository never has two deliveries in hand.
                        Ok(false) => return,
                        Err(e) => tracing::warn!(error = %e, "lease renewal failed"),
                    }
                }
            };
            tokio::select! {
                result = self.route(&d, &payload) => Some(result),
                () = renew => None,
            }
        }
        .instrument(span.clone());
        let Some(result) = work.await else {
            tracing::warn!(parent: &span, "lease lost; stopped without recording an outcome");
            return None;
        };
        self.record(&d, &payload, result, started)
            .instrument(span)
            .await;
        None
    }

    /// Collapses `d` and the run of pending deliveries right behind it in its pull request's
    /// lane that only judge it again ([`re_judges`]) into the last of that run, which comes
    /// back held by this worker ([`Coalesced::Into`]) and runs next, the one evaluation they
    /// all ask for (it reads the current state from GitHub). Each
    /// collapsed delivery's bookkeeping ([`acks::notes_of`]: the heads it shows, what it shows
    /// of a comment's authored words) is recorded, in order, in the same transaction that
    /// marks it done, so none is lost or recorded twice. The run stops at the first delivery
    /// that does something else (a `pull_request closed`, `/pushgate merge`). When the last
    /// is not a `pull_request` event but the run holds one, the release check runs here with
    /// the newest such payload, as that event would have run it.
    async fn coalesce_run(&self, d: &Claimed, payload: &Webhook) -> Coalesced {
        if !re_judges(&d.event, &d.action, &d.lane, payload) {
            return Coalesced::No;
        }
        let store = &self.ctx.store;
        // Read in pages, so that a run cut short by the next delivery costs one page, not
        // the whole lane's payloads (unpacked and read).
        let mut run = Vec::new();
        let mut after = d.id;
        'pages: while (run.len() as i64) < COALESCE_BATCH {
            let page = (COALESCE_BATCH - run.len() as i64).min(COALESCE_PAGE);
            let behind = match store.behind(&d.lane, after, page).await {
                Ok(behind) => behind,
                Err(e) => {
                    tracing::warn!(error = %e, "could not read the deliveries behind; no coalescing");
                    return Coalesced::No;
                }
            };
            let full = behind.len() as i64 == page;
            for queued in behind {
                let Ok(text) = &queued.payload else {
                    break 'pages;
                };
                let Ok(value) = Webhook::read(text) else {
                    break 'pages;
                };
                if !re_judges(&queued.event, &queued.action, &d.lane, &value) {
                    break 'pages;
                }
                after = queued.id;
                run.push((queued, value));
            }
            if !full {
                break;
            }
        }
        let Some((last, _)) = run.pop() else {
            return Coalesced::No;
        };
        let mut notes = acks::notes_of(&d.event, &d.action, payload);
        for (queued, value) in &run {
            notes.extend(acks::notes_of(&queued.event, &queued.action, value));
        }
        if last.event != "pull_request" {
            let newest = run
                .iter()
                .rev()
                .map(|(queued, value)| (queued.event.as_str(), value))
                .chain(std::iter::once((d.event.as_str(), payload)))
                .find(|(event, _)| *event == "pull_request");
            if let Some((_, newest)) = newest {
                let released = async {
                    let repo = &RepoName::parse(&d.repo).map_err(HandlerError::from)?;
                    let gh = self.installation(newest.installation_id())?;
                    release::on_pull_request(&self.ctx, &gh, repo, newest)
                        .await
                        .shown_on(Surface::Release)?;
                    embargo::on_pull_request(&self.ctx, &gh, repo, newest)
                        .await
                        .shown_on(Surface::Embargo)
                }
                .await;
                match released {
                    Ok(_) => {}
                    Err(failure) if ignorable(&failure) => {}
                    Err(failure) => return Coalesced::Failed(failure),
                }
            }
        }
        // A comment refreshes the tally of a vote open on the pull request, from what GitHub
        // shows now: once, with the newest comment, unless the last one does it anyway.
        if last.event != "issue_comment" {
            let newest = run
                .iter()
                .rev()
                .map(|(queued, value)| (queued.event.as_str(), value))
                .chain(std::iter::once((d.event.as_str(), payload)))
                .find(|(event, _)| *event == "issue_comment");
            if let Some((_, newest)) = newest {
                let governed = async {
                    let repo = &RepoName::parse(&d.repo).map_err(HandlerError::from)?;
                    let installation_id = newest.installation_id();
                    let gh = self.installation(installation_id)?;
                    governance::on_comment(&self.ctx, &gh, installation_id, repo, newest)
                        .await
                        .shown_on(Surface::Governance)
                }
                .await;
                match governed {
                    Ok(_) => {}
                    Err(failure) if ignorable(&failure) => {}
                    Err(failure) => return Coalesced::Failed(failure),
                }
            }
        }
        let ids: Vec<i64> = run.iter().map(|(queued, _)| queued.id).collect();
        let now = self.ctx.clock.now_millis();
        let coalesced = store
            .coalesce_into(
                d.id,
                &self.owner,
                &ids,
                &d.repo,
                &notes,
                (last.id, &last.delivery_id),
                now,
                now + self.lease.as_millis() as i64,
            )
            .await;
        match coalesced {
            Ok(Some(next)) => {
                tracing::info!(id = %d.delivery_id, lane = %d.lane, into = %last.delivery_id, n = ids.len() + 1, "coalesced into a later delivery");
                self.metrics.coalesced(&d.event, 1);
                for (queued, _) in &run {
                    self.metrics.coalesced(&queued.event, 1);
                }
                Coalesced::Into(next)
            }
            Ok(None) => {
                tracing::warn!(id = %d.delivery_id, "lease lost; stopped without coalescing");
                Coalesced::LeaseLost
            }
            Err(e) => Coalesced::Failed(HandlerError::from(e).into()),
        }
    }

    /// Records what the delivery says of its repository (private or not) and pull request
    /// (title, link, state) for the dashboard; a failure to record only goes to the log.
    async fn describe(&self, d: &Claimed, payload: &Webhook) {
        let (private, pull) = crate::dashboard::described(&d.repo, payload);
        let now = self.ctx.clock.now();
        let store = &self.ctx.store;
        if let Some(private) = private.filter(|_| !d.repo.is_empty()) {
            if let Err(e) = store.note_repository(&d.repo, private, now).await {
                tracing::warn!(error = %e, "could not record whether the repository is private");
            }
        }
        if let Some(pull) = pull {
            if let Err(e) = store.note_pull(&pull, now).await {
                tracing::warn!(error = %e, "could not record the pull request's title and state");
            }
        }
    }

    /// Collapses into `d` the pending deliveries of its lane that ask for work `d` does anyway
    /// ([`same_work`]): they were stored before `d` runs, and `d` reads the current state.
    async fn coalesce(&self, d: &Claimed) {
        let Some(actions) = same_work(&d.event, &d.action, &d.lane) else {
            return;
        };
        let now = self.ctx.clock.now_millis();
        let store = &self.ctx.store;
        match store
            .coalesce(d.id, &d.lane, SYNTHETIC_EVENT, actions, now, &d.delivery_id)
            .await
        {
            Ok(0) => {}
            Ok(n) => {
                tracing::info!(id = %d.delivery_id, lane = %d.lane, n, "coalesced pending deliveries");
                self.metrics.coalesced(SYNTHETIC_EVENT, n);
            }
            Err(e) => tracing::warn!(error = %e, "coalescing failed; the deliveries stay pending"),
        }
    }

    /// Records how a delivery ended: done, retried later, or failed (and shown on its PR).
    async fn record(
        &self,
        d: &Claimed,
        payload: &Webhook,
        result: Result<Handled, Failure>,
        started: Began,
    ) {
        self.metrics
            .processing_seconds
            .observe(started.at.elapsed().as_secs_f64());
        let now = self.ctx.clock.now_millis();
        let store = &self.ctx.store;
        let down = matches!(
            &result,
            Err(Failure {
                error: HandlerError::GitHub(GitHubError::Transient {
                    retry_after: None,
                    ..
                }),
                ..
            })
        );
        // A delivery that asked GitHub nothing (an event pushgate ignores, say) is no news
        // of GitHub: it neither ends an outage nor breaks a run of failures. Any answer from
        // GitHub meanwhile, to this worker or another, is news that it is up.
        if down || self.metrics.github_answers() > started.answers {
            self.outage.observe(down, Instant::now());
        }
        let recorded = match result {
            Ok(handled) => {
                let outcome = match handled {
                    Handled::Processed => "processed",
                    Handled::Ignored => "ignored",
                };
                self.metrics.delivery(&d.event, outcome);
                store.complete(d.id, &self.owner, now).await
            }
            Err(Failure { error: e, .. }) if e.is_transient() && d.attempts < MAX_ATTEMPTS => {
                // Exponential backoff from 1 s, or what GitHub asked for.
                let wait = e
                    .retry_after()
                    .unwrap_or(1u64 << (d.attempts.clamp(1, 10) - 1))
                    .min(3600);
                tracing::warn!(error = %e, attempt = d.attempts, wait, "transient failure; will retry");
                self.metrics.delivery(&d.event, "retry");
                store
                    .retry_later(d.id, &self.owner, now + 1000 * wait as i64, &e.to_string())
                    .await
            }
            Err(Failure { surface, error: e }) => {
                tracing::error!(error = %e, attempt = d.attempts, ?surface, "delivery failed permanently");
                self.metrics.delivery(&d.event, "failed");
                self.report_failure(d, payload, surface, &e).await;
                store.fail(d.id, &self.owner, now, &e.to_string()).await
            }
        };
        if let Err(e) = recorded {
            tracing::error!(error = %e, "could not record the outcome of a delivery");
        }
    }

    async fn route(&self, d: &Claimed, payload: &Webhook) -> Result<Handled, Failure> {
        match self.route_event(d, payload).await {
            Err(failure) if ignorable(&failure) => Ok(Handled::Ignored),
            other => other,
        }
    }

    /// Routes a delivery to its handlers; an error names the feature it happened in.
    async fn route_event(&self, d: &Claimed, payload: &Webhook) -> Result<Handled, Failure> {
        let installation_id = payload.installation_id();
        match (d.event.as_str(), d.action.as_str()) {
            ("installation", "created" | "new_permissions_accepted" | "unsuspend") => {
                let account = payload
                    .installation
                    .as_ref()
                    .and_then(|i| i.account.as_ref())
                    .and_then(|a| a.login.clone())
                    .unwrap_or_default();
                self.ctx
                    .store
                    .remember_installation(installation_id, &account, self.ctx.clock.now())
                    .await?;
                return Ok(Handled::Processed);
            }
            ("installation", "deleted" | "suspend") => {
                self.ctx.store.forget_installation(installation_id).await?;
                return Ok(Handled::Processed);
            }
            _ => {}
        }
        let repo = match RepoName::parse(&d.repo) {
            Ok(repo) => repo,
            Err(e) if ROUTED_BY_REPOSITORY.contains(&d.event.as_str()) => {
                return Err(HandlerError::from(e).into())
            }
            // Not an event pushgate acts on (an installation's are above).
            Err(_) => return Ok(Handled::Ignored),
        };
        let repo = &repo;
        let pr_number = payload.pull_number();
        match (d.event.as_str(), d.action.as_str()) {
            (
                "pull_request",
                "opened" | "synchronize" | "reopened" | "edited" | "ready_for_review",
            ) => {
                let gh = self.installation(installation_id)?;
                let number_ = pr_number
                    .ok_or_else(|| HandlerError::Payload("pull_request without number".into()))?;
                let push = SeenHead::of_event(&d.action, payload);
                acks::evaluate(
                    &self.ctx,
                    &gh,
                    installation_id,
                    repo,
                    number_,
                    payload.pull_request.clone(),
                    push,
                )
                .await
                .shown_on(Surface::Acks)?;
                release::on_pull_request(&self.ctx, &gh, repo, payload)
                    .await
                    .shown_on(Surface::Release)?;
                embargo::on_pull_request(&self.ctx, &gh, repo, payload)
                    .await
                    .shown_on(Surface::Embargo)?;
                Ok(Handled::Processed)
            }
            ("pull_request", "closed") => {
                let gh = self.installation(installation_id)?;
                release::on_pull_request(&self.ctx, &gh, repo, payload)
                    .await
                    .shown_on(Surface::Release)?;
                Ok(Handled::Processed)
            }
            (
                "issues",
                "opened" | "edited" | "labeled" | "unlabeled" | "closed" | "reopened" | "deleted"
                | "transferred",
            ) => {
                let gh = self.installation(installation_id)?;
                // The labels first: a feature named in the title then counts for the release.
                let labelled = support::on_issue(&self.ctx, &gh, repo, payload)
                    .await
                    .shown_on(Surface::Log)?;
                let acted = release::on_issue(&self.ctx, &gh, repo, payload)
                    .await
                    .shown_on(Surface::Release)?
                    || labelled;
                Ok(if acted {
                    Handled::Processed
                } else {
                    Handled::Ignored
                })
            }
            ("pull_request_review", _) => {
                let gh = self.installation(installation_id)?;
                let number_ = pr_number
                    .ok_or_else(|| HandlerError::Payload("review without pull request".into()))?;
                acks::record_words(&self.ctx, repo, &d.event, payload)
                    .await
                    .shown_on(Surface::Acks)?;
                // The review payload's PR may predate later pushes: fetch it fresh.
                acks::evaluate(&self.ctx, &gh, installation_id, repo, number_, None, None)
                    .await
                    .shown_on(Surface::Acks)?;
                Ok(Handled::Processed)
            }
            ("issue_comment", action) if !payload.on_pull_request() => {
                let gh = self.installation(installation_id)?;
                if advisory::on_comment(&self.ctx, &gh, installation_id, repo, payload)
                    .await
                    .shown_on(Surface::Advisory)?
                {
                    return Ok(Handled::Processed);
                }
                // An embargo command on an issue is refused there.
                if embargo::on_comment(&self.ctx, &gh, installation_id, repo, payload)
                    .await
                    .shown_on(Surface::Embargo)?
                {
                    return Ok(Handled::Processed);
                }
                let governed =
                    governance::on_comment(&self.ctx, &gh, installation_id, repo, payload)
                        .await
                        .shown_on(Surface::Governance)?;
                let gated = action == "created"
                    && gate::on_comment(&self.ctx, &gh, repo, payload)
                        .await
                        .shown_on(Surface::Gate)?;
                Ok(if governed || gated {
                    Handled::Processed
                } else {
                    Handled::Ignored
                })
            }
            ("issue_comment", _) => {
                let gh = self.installation(installation_id)?;
                let number_ = pr_number
                    .ok_or_else(|| HandlerError::Payload("comment without issue".into()))?;
                acks::record_words(&self.ctx, repo, &d.event, payload)
                    .await
                    .shown_on(Surface::Acks)?;
                let body = payload.comment_body();
                let asks = d.action == "created" && merge::asks_for_merge(body);
                // An advisory command on a pull request is refused there.
                if d.action == "created" && advisory::asks(body) {
                    advisory::on_comment(&self.ctx, &gh, installation_id, repo, payload)
                        .await
                        .shown_on(Surface::Advisory)?;
                    return Ok(Handled::Processed);
                }
                if d.action == "created" && embargo::asks(body) {
                    embargo::on_comment(&self.ctx, &gh, installation_id, repo, payload)
                        .await
                        .shown_on(Surface::Embargo)?;
                    return Ok(Handled::Processed);
                }
                if asks {
                    merge::on_command(&self.ctx, &gh, installation_id, repo, number_, payload)
                        .await
                        .shown_on(Surface::Merge)?;
                } else {
                    acks::evaluate(&self.ctx, &gh, installation_id, repo, number_, None, None)
                        .await
                        .shown_on(Surface::Acks)?;
                }
                // After the acks, so that a vote's trouble never holds the check back.
                governance::on_comment(&self.ctx, &gh, installation_id, repo, payload)
                    .await
                    .shown_on(Surface::Governance)?;
                Ok(Handled::Processed)
            }
            ("pull_request_review_comment", _) => {
                let gh = self.installation(installation_id)?;
                let number_ = pr_number.ok_or_else(|| {
                    HandlerError::Payload("review comment without pull request".into())
                })?;
                acks::record_words(&self.ctx, repo, &d.event, payload)
                    .await
                    .shown_on(Surface::Acks)?;
                acks::evaluate(&self.ctx, &gh, installation_id, repo, number_, None, None)
                    .await
                    .shown_on(Surface::Acks)?;
                Ok(Handled::Processed)
            }
            (SYNTHETIC_EVENT, "gate-tick") => {
                let gh = self.installation(installation_id)?;
                gate::on_tick(&self.ctx, &gh, repo, payload)
                    .await
                    .shown_on(Surface::Gate)?;
                Ok(Handled::Processed)
            }
            (SYNTHETIC_EVENT, "repo-refresh") => {
                let gh = self.installation(installation_id)?;
                let branch = payload.default_branch();
                let synced = support::refresh(&self.ctx, &gh, repo, branch).await?;
                let released = release::on_issue(&self.ctx, &gh, repo, payload)
                    .await
                    .shown_on(Surface::Release)?;
                let gated = gate::reconcile(&self.ctx, &gh, repo, payload)
                    .await
                    .shown_on(Surface::Gate)?;
                Ok(if synced || released || gated {
                    Handled::Processed
                } else {
                    Handled::Ignored
                })
            }
            (SYNTHETIC_EVENT, embargo::DEADLINE) => {
                let gh = self.installation(installation_id)?;
                let acted = embargo::on_deadline(&self.ctx, &gh, installation_id, repo, payload)
                    .await
                    .shown_on(Surface::Embargo)?;
                Ok(if acted {
                    Handled::Processed
                } else {
                    Handled::Ignored
                })
            }
            (SYNTHETIC_EVENT, advisory::DEADLINE) => {
                let gh = self.installation(installation_id)?;
                let acted = advisory::on_deadline(&self.ctx, &gh, repo, payload)
                    .await
                    .shown_on(Surface::Advisory)?;
                Ok(if acted {
                    Handled::Processed
                } else {
                    Handled::Ignored
                })
            }
            (SYNTHETIC_EVENT, governance::DEADLINE) => {
                let gh = self.installation(installation_id)?;
                let closed = governance::on_deadline(&self.ctx, &gh, repo, payload)
                    .await
                    .shown_on(Surface::Governance)?;
                Ok(if closed {
                    Handled::Processed
                } else {
                    Handled::Ignored
                })
            }
            (SYNTHETIC_EVENT, _) => {
                let gh = self.installation(installation_id)?;
                let number_ = pr_number.ok_or_else(|| {
                    HandlerError::Payload("synthetic delivery without number".into())
                })?;
                acks::evaluate(&self.ctx, &gh, installation_id, repo, number_, None, None)
                    .await
                    .shown_on(Surface::Acks)?;
                Ok(Handled::Processed)
            }
            ("push", _) => {
                let gh = self.installation(installation_id)?;
                let gated = gate::on_push(&self.ctx, &gh, repo, payload)
                    .await
                    .shown_on(Surface::Gate)?;
                let synced = support::on_push(&self.ctx, &gh, repo, payload).await?;
                let released = release::on_push(&self.ctx, &gh, repo, payload)
                    .await
                    .shown_on(Surface::Release)?;
                Ok(if gated || synced || released {
                    Handled::Processed
                } else {
                    Handled::Ignored
                })
            }
            ("check_run", "created" | "completed" | "rerequested") | ("status", _) => {
                let (sha, name, state) = match (&payload.check_run, d.event.as_str()) {
                    (_, "status") => (
                        payload.sha.clone(),
                        payload.context.clone(),
                        payload.state.clone(),
                    ),
                    (Some(run), _) => (
                        run.head_sha.clone(),
                        run.name.clone(),
                        run.state().to_string(),
                    ),
                    (None, _) => return Ok(Handled::Ignored),
                };
                let Some(outcome) = gate::outcome_of(&state) else {
                    return Ok(Handled::Ignored);
                };
                let gh = self.installation(installation_id)?;
                let result = CheckResult {
                    sha,
                    name,
                    outcome,
                    source: gate::source_of(&d.event, payload),
                };
                let acted = gate::on_check(&self.ctx, &gh, repo, payload, result)
                    .await
                    .shown_on(Surface::Gate)?;
                Ok(if acted {
                    Handled::Processed
                } else {
                    Handled::Ignored
                })
            }
            _ => Ok(Handled::Ignored),
        }
    }

    fn installation(&self, id: i64) -> Result<Installation, HandlerError> {
        if id <= 0 {
            return Err(HandlerError::NoInstallation);
        }
        Ok(self.github.installation(id)?)
    }

    /// A permanent failure is shown where the feature that failed shows its work, so the
    /// people waiting on it are not left waiting, and no other feature's surface changes;
    /// internal details stay in the log. Best effort: the failure is recorded either way.
    async fn report_failure(
        &self,
        d: &Claimed,
        payload: &Webhook,
        surface: Surface,
        error: &HandlerError,
    ) {
        let shown = match surface {
            Surface::Acks => {
                self.show_on_acks(d, payload, error).await;
                return;
            }
            Surface::Log => return,
            Surface::Gate
            | Surface::Release
            | Surface::Merge
            | Surface::Governance
            | Surface::Embargo
            | Surface::Advisory => {
                let installation_id = self.installation_of(d, payload);
                let Ok(repo) = RepoName::parse(&d.repo) else {
                    return;
                };
                if installation_id <= 0 {
                    return;
                }
                let Ok(gh) = self.github.installation(installation_id) else {
                    return;
                };
                let (what, repo) = (failure_text(error), &repo);
                if surface == Surface::Gate {
                    gate::show_failure(&self.ctx, &gh, repo, &d.delivery_id, &what).await
                } else if surface == Surface::Merge {
                    merge::show_failure(&self.ctx, &gh, repo, payload, &what).await
                } else if surface == Surface::Governance {
                    governance::show_failure(&gh, repo, payload, &d.delivery_id, &what).await
                } else if surface == Surface::Advisory {
                    advisory::show_failure(&gh, repo, payload, &d.delivery_id, &what).await
                } else if surface == Surface::Embargo {
                    embargo::show_failure(&gh, repo, payload, &d.delivery_id, &what).await
                } else {
                    release::show_failure(&self.ctx, &gh, repo, payload, &d.delivery_id, &what)
                        .await
                        .map(|_| ())
                }
            }
        };
        if let Err(e) = shown {
            tracing::warn!(error = %e, ?surface, "could not show the failure");
        }
    }

    /// The installation a delivery came through.
    fn installation_of(&self, d: &Claimed, payload: &Webhook) -> i64 {
        Some(payload.installation_id())
            .filter(|&id| id > 0)
            .unwrap_or(d.installation_id)
    }

    /// An acks failure on a pull request is shown on its check run.
    async fn show_on_acks(&self, d: &Claimed, payload: &Webhook, error: &HandlerError) {
        let Some(pr) = payload.pull_number() else {
            return;
        };
        // Comments, reviews of a check and the scheduled re-evaluations carry no head SHA: the
        // one the check was last shown on stands in.
        let shown = self
            .ctx
            .store
            .evaluation(&d.repo, pr.get())
            .await
            .ok()
            .flatten();
        let head = Sha::parse(payload.head_sha())
            .ok()
            .or_else(|| shown.and_then(|e| Sha::parse(&e.head_sha).ok()));
        let installation_id = self.installation_of(d, payload);
        let (Some(head), Ok(repo)) = (head, RepoName::parse(&d.repo)) else {
            return;
        };
        if installation_id <= 0 {
            return;
        }
        let Ok(gh) = self.github.installation(installation_id) else {
            return;
        };
        let what = failure_text(error);
        let report = Report {
            title: match error {
                HandlerError::TooLarge(_) => "This pull request is too large to judge",
                _ => "pushgate could not evaluate this pull request",
            }
            .to_string(),
            summary: crate::core::say::acks_failed(&what, &d.delivery_id),
        };
        if let Err(e) = acks::post_check(&gh, &repo, &head, false, &report).await {
            tracing::warn!(error = %e, "could not report the failure on the check run");
            return;
        }
        // What the check shows now, so that the next evaluation posts its verdict again.
        let shown = Evaluation {
            repo: d.repo.clone(),
            pr: pr.get(),
            head_sha: head.to_string(),
            satisfied: false,
            summary: report.shown(),
            at: self.ctx.clock.now(),
        };
        if let Err(e) = self.ctx.store.save_evaluation(&shown).await {
            tracing::warn!(error = %e, "could not record the failure shown on the check run");
        }
    }
}

/// A pull request or repository the installation cannot see (deleted, access removed, or an
/// event from outside any installation) is none of our business.
fn ignorable(failure: &Failure) -> bool {
    match &failure.error {
        HandlerError::GitHub(e) if e.not_found() => {
            tracing::warn!(error = %e, "not found on GitHub; nothing to do");
            true
        }
        HandlerError::NoInstallation => {
            tracing::info!("delivery from outside an installation; ignored");
            true
        }
        _ => false,
    }
}

/// What a failure says to the people who see it; the details stay in the log.
fn failure_text(error: &HandlerError) -> String {
    match error {
        HandlerError::GitHub(e) if error.is_transient() => {
            format!("GitHub kept failing through every retry: {e}")
        }
        HandlerError::GitHub(e) => format!("GitHub refused a request pushgate needs: {e}"),
        HandlerError::TooLarge(why)
        | HandlerError::Inconsistent(why)
        | HandlerError::Setup(why) => why.clone(),
        _ => "an internal error stopped pushgate".to_string(),
    }
}

/// Synthetic deliveries that re-evaluate every open PR of every installation.
/// `round` goes into the delivery ids: deliveries of one round are stored once.
pub async fn reconcile(github: &GitHub, ctx: &Context, round: &str) -> Result<usize, HandlerError> {
    let installations = github.as_app().app_installations(10).await?;
    let mut deliveries = Vec::new();
    for installation in installations {
        let id = installation.id;
        if id <= 0 {
            continue;
        }
        let gh = github.installation(id)?;
        let repos = gh.api.installation_repositories(10).await?;
        for repo in repos {
            let Ok(full) = RepoName::parse(&repo.full_name) else {
                tracing::warn!(repo = %repo.full_name, "GitHub listed a repository name it would refuse");
                continue;
            };
            // Labels from SUPPORT.md and the release checks, in case a push or an issue
            // event was missed.
            let mut refresh = synthetic(
                &format!("refresh:{full}@{round}"),
                &full,
                id,
                0,
                "repo-refresh",
            );
            refresh.payload = Payload::json(&json!({
                "action": "repo-refresh",
                "repository": { "full_name": full, "default_branch": repo.default_branch },
                "installation": { "id": id },
            }));
            deliveries.push(refresh);
            let pulls = gh.api.open_pulls(&full, 10).await?;
            for pull in pulls {
                let n = pull.number;
                deliveries.push(synthetic(
                    &format!("reconcile:{full}#{n}@{round}"),
                    &full,
                    id,
                    n,
                    "reconcile",
                ));
            }
        }
    }
    let count = deliveries.len();
    ctx.store
        .insert_deliveries(&deliveries, ctx.clock.now_millis())
        .await?;
    Ok(count)
}

/// Turns due wake-ups into deliveries: review windows that ended, and push-gate flights
/// past their deadline.
pub async fn wake_due(ctx: &Context) -> Result<usize, HandlerError> {
    let now = ctx.clock.now();
    let mut deliveries = Vec::new();
    for (repo, state) in ctx.store.gates().await? {
        let Ok(gate) = serde_json::from_str::<crate::core::gate::Gate>(&state) else {
            continue;
        };
        let Some(installation) = gate.installation else {
            continue;
        };
        // A flight past its deadline, or a regression issue the gate still owes (asked for
        // again every 5 s until GitHub opens it).
        let due = gate
            .next_deadline()
            .filter(|d| *d < now)
            .map(|deadline| format!("gate-tick:{repo}@{deadline}"))
            .or_else(|| {
                (!gate.pending_regressions.is_empty())
                    .then(|| format!("gate-owed:{repo}@{}", now / 5))
            });
        if let Some(id) = due {
            let mut tick = synthetic(&id, &repo, installation, 0, "gate-tick");
            tick.payload = Payload::json(&json!({
                "action": "gate-tick",
                "repository": { "full_name": repo },
                "installation": { "id": installation },
            }));
            deliveries.push(tick);
        }
    }
    // Votes and lazy consensus whose deadline passed, and embargoes whose time came.
    deliveries.extend(governance::due(ctx, now).await?);
    deliveries.extend(embargo::due(ctx, now).await?);
    // Advisories with a reminder due, or whose disclosure time came.
    deliveries.extend(advisory::due(ctx, now).await?);
    let due = ctx.store.take_due_wakeups(now).await?;
    deliveries.extend(due.iter().map(|(repo, pr, installation, at)| {
        synthetic(
            &format!("wake:{repo}#{pr}@{at}"),
            repo,
            *installation,
            *pr,
            "window-ended",
        )
    }));
    ctx.store
        .insert_deliveries(&deliveries, ctx.clock.now_millis())
        .await?;
    Ok(deliveries.len())
}

/// The ordering key of a delivery (see ARCHITECTURE.md, "Ordering only where it matters").
/// A repository's gate and its committers' commands share the repository's lane, in order:
/// pushes, check runs and statuses, comments on issues (the gate's dashboard commands),
/// `/pushgate merge` (it moves staging), issues (the release gate), the gate's ticks and the
/// repository's refresh. What only re-judges one pull request (its events, reviews, comments
/// and scheduled re-evaluations) goes in that pull request's lane, `repo#number`, so one pull
/// request's trouble (a retry, a slow GitHub answer) holds no other.
pub fn lane(
    event: &str,
    action: &str,
    repo: &str,
    pull: Option<i64>,
    merge_command: bool,
) -> String {
    let of_pull = match event {
        "pull_request" | "pull_request_review" | "pull_request_review_comment" => true,
        // On an issue (`pull` is None) a comment may be a dashboard command.
        "issue_comment" => !merge_command,
        // An embargo's end may land its pull request, like `/pushgate merge`.
        // An advisory's steps belong with the repository's embargoes and commands.
        SYNTHETIC_EVENT => !matches!(
            action,
            "gate-tick" | "repo-refresh" | embargo::DEADLINE | advisory::DEADLINE
        ),
        _ => false,
    };
    match pull.filter(|n| *n > 0) {
        Some(n) if of_pull => format!("{repo}#{n}"),
        _ => repo.to_string(),
    }
}

/// The synthetic deliveries a delivery makes redundant, by action, when it is the head of
/// their lane: a run that judges a pull request again does what its scheduled re-evaluations
/// (reconciler, end of review window) ask, and a repository's refresh what later refreshes
/// ask. Each reads the current state from GitHub. Gate events and commands (real deliveries
/// of the repository's lane) are never collapsed: each is an event the gate must see.
pub fn same_work(event: &str, action: &str, lane: &str) -> Option<&'static [&'static str]> {
    const EVALUATIONS: &[&str] = &["reconcile", "window-ended"];
    let of_pull = lane.contains('#');
    match (event, action) {
        (SYNTHETIC_EVENT, "repo-refresh") => Some(&["repo-refresh"]),
        (
            SYNTHETIC_EVENT,
            "gate-tick" | governance::DEADLINE | embargo::DEADLINE | advisory::DEADLINE,
        ) => None,
        (SYNTHETIC_EVENT, _) if of_pull => Some(EVALUATIONS),
        ("pull_request", "opened" | "synchronize" | "reopened" | "edited" | "ready_for_review")
        | ("pull_request_review", _)
        | ("pull_request_review_comment", _)
        | ("issue_comment", _)
            if of_pull =>
        {
            Some(EVALUATIONS)
        }
        _ => None,
    }
}

/// Whether a delivery in lane `lane` only asks for its pull request to be judged again, so
/// that it can be coalesced with others ([`Worker::coalesce_run`]): the pull request's own
/// `pull_request` events that re-judge it, reviews, inline and plain comments on it (not
/// `/pushgate merge`, which moves staging), and the scheduled re-evaluations. Always in the
/// pull request's lane (`repo#number`) and naming that pull request.
pub fn re_judges(event: &str, action: &str, lane: &str, payload: &Webhook) -> bool {
    let Some(number_) = payload.pull_number() else {
        return false;
    };
    if lane.rsplit_once('#').map(|(_, n)| n) != Some(number_.to_string().as_str()) {
        return false;
    }
    match event {
        "pull_request" => matches!(
            action,
            "opened" | "synchronize" | "reopened" | "edited" | "ready_for_review"
        ),
        "pull_request_review" | "pull_request_review_comment" => true,
        // Not `/pushgate merge` (it moves staging) nor a vote or lazy consensus it opens.
        "issue_comment" => {
            let body = payload.comment_body();
            payload.on_pull_request()
                && !(action == "created"
                    && (merge::asks_for_merge(body)
                        || embargo::asks(body)
                        || advisory::asks(body)
                        || crate::core::governance::read_command(body).is_some()))
        }
        // Only the re-evaluations: any other synthetic delivery has work of its own.
        SYNTHETIC_EVENT => matches!(action, "reconcile" | "window-ended"),
        _ => false,
    }
}

pub fn synthetic(id: &str, repo: &str, installation: i64, pr: i64, action: &str) -> NewDelivery {
    NewDelivery {
        delivery_id: id.to_string(),
        event: SYNTHETIC_EVENT.to_string(),
        action: action.to_string(),
        repo: repo.to_string(),
        lane: lane(SYNTHETIC_EVENT, action, repo, Some(pr), false),
        installation_id: installation,
        payload: Payload::json(&json!({
            "action": action,
            "number": pr,
            "repository": { "full_name": repo },
            "installation": { "id": installation },
        })),
    }
}

/// A synthetic delivery for a deadline (an embargo's, a decision's, an advisory's) on item
/// `number`: its payload names the default branch the config is read from, and `field` names
/// what is due.
pub fn deadline(
    id: &str,
    action: &str,
    repo: &str,
    installation: i64,
    number: i64,
    branch: &str,
    (field, value): (&str, Value),
) -> NewDelivery {
    let mut delivery = synthetic(id, repo, installation, number, action);
    let mut payload = json!({
        "action": action,
        "number": number,
        "repository": { "full_name": repo, "default_branch": branch },
        "installation": { "id": installation },
    });
    if let Some(fields) = payload.as_object_mut() {
        fields.insert(field.to_string(), value);
    }
    delivery.payload = Payload::json(&payload);
    delivery
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_reevaluations_and_refreshes_are_collapsed_never_gate_events_or_commands() {
        let evaluations: Option<&[&str]> = Some(&["reconcile", "window-ended"]);
        let cases: [(&str, &str, &str, Option<&[&str]>); 11] = [
            (SYNTHETIC_EVENT, "reconcile", "x/y#1", evaluations),
            (SYNTHETIC_EVENT, "window-ended", "x/y#1", evaluations),
            ("pull_request", "synchronize", "x/y#1", evaluations),
            ("issue_comment", "created", "x/y#1", evaluations),
            (
                SYNTHETIC_EVENT,
                "repo-refresh",
                "x/y",
                Some(&["repo-refresh"]),
            ),
            (SYNTHETIC_EVENT, "gate-tick", "x/y", None),
            // A decision's deadline judges no pull request: it collapses nothing.
            (SYNTHETIC_EVENT, governance::DEADLINE, "x/y#1", None),
            ("push", "", "x/y", None),
            ("check_run", "completed", "x/y", None),
            // A dashboard command or `/pushgate merge`: the repository's lane.
            ("issue_comment", "created", "x/y", None),
            ("pull_request", "closed", "x/y#1", None),
        ];
        for (event, action, lane, expected) in cases {
            assert_eq!(same_work(event, action, lane), expected, "{event} {action}");
        }
    }

    #[test]
    fn only_what_re_judges_one_pull_request_can_be_coalesced() {
        let on_pr = json!({ "number": 7, "issue": { "number": 7, "pull_request": {} } });
        let comment = |body: &str| json!({ "issue": { "number": 7, "pull_request": {} }, "comment": { "body": body } });
        let on_issue = json!({ "issue": { "number": 7 }, "comment": { "body": "hi" } });
        let cases = [
            // (event, action, lane, payload, coalescable)
            ("pull_request", "opened", "x/y#7", on_pr.clone(), true),
            ("pull_request", "synchronize", "x/y#7", on_pr.clone(), true),
            ("pull_request", "reopened", "x/y#7", on_pr.clone(), true),
            ("pull_request", "edited", "x/y#7", on_pr.clone(), true),
            (
                "pull_request",
                "ready_for_review",
                "x/y#7",
                on_pr.clone(),
                true,
            ),
            (
                "pull_request_review",
                "submitted",
                "x/y#7",
                on_pr.clone(),
                true,
            ),
            (
                "pull_request_review",
                "dismissed",
                "x/y#7",
                on_pr.clone(),
                true,
            ),
            (
                "pull_request_review_comment",
                "created",
                "x/y#7",
                on_pr.clone(),
                true,
            ),
            ("issue_comment", "created", "x/y#7", comment("/ack"), true),
            (
                "issue_comment",
                "edited",
                "x/y#7",
                comment("/pushgate merge"),
                true,
            ),
            (SYNTHETIC_EVENT, "reconcile", "x/y#7", on_pr.clone(), true),
            (
                SYNTHETIC_EVENT,
                "window-ended",
                "x/y#7",
                on_pr.clone(),
                true,
            ),
            // Closing forgets the release target: it runs on its own, and a run stops there.
            ("pull_request", "closed", "x/y#7", on_pr.clone(), false),
            ("pull_request", "labeled", "x/y#7", on_pr.clone(), false),
            // `/pushgate merge` moves staging; a plain issue's comment may be a command.
            (
                "issue_comment",
                "created",
                "x/y#7",
                comment("/pushgate merge"),
                false,
            ),
            ("issue_comment", "created", "x/y#7", on_issue, false),
            // The repository's lane: gate events and commands keep their order.
            ("push", "", "x/y", on_pr.clone(), false),
            (SYNTHETIC_EVENT, "repo-refresh", "x/y", on_pr.clone(), false),
            (SYNTHETIC_EVENT, "gate-tick", "x/y", on_pr.clone(), false),
            (
                SYNTHETIC_EVENT,
                "some-deadline",
                "x/y#7",
                on_pr.clone(),
                false,
            ),
            ("issue_comment", "created", "x/y", comment("/ack"), false),
            // Another pull request's delivery in this lane (never stored so) is not its work.
            ("issue_comment", "created", "x/y#8", comment("/ack"), false),
            (
                "pull_request",
                "synchronize",
                "x/y#77",
                on_pr.clone(),
                false,
            ),
        ];
        for (event, action, lane, payload, expected) in cases {
            assert_eq!(
                re_judges(event, action, lane, &Webhook::from_json(&payload).unwrap()),
                expected,
                "{event} {action} {lane} {payload}"
            );
        }
    }

    #[test]
    fn gate_events_and_commands_share_the_repository_lane_and_pull_requests_have_their_own() {
        let r = "xen/xen";
        let cases = [
            // (event, action, pull, merge command, lane)
            ("pull_request", "synchronize", Some(7), false, "xen/xen#7"),
            ("pull_request", "closed", Some(7), false, "xen/xen#7"),
            (
                "pull_request_review",
                "submitted",
                Some(7),
                false,
                "xen/xen#7",
            ),
            (
                "pull_request_review_comment",
                "created",
                Some(7),
                false,
                "xen/xen#7",
            ),
            ("issue_comment", "created", Some(7), false, "xen/xen#7"),
            // `/pushgate merge` moves staging: in order with the gate.
            ("issue_comment", "created", Some(7), true, "xen/xen"),
            // A comment on the dashboard issue may be a gate command.
            ("issue_comment", "created", None, false, "xen/xen"),
            ("push", "", None, false, "xen/xen"),
            ("check_run", "completed", None, false, "xen/xen"),
            ("status", "", None, false, "xen/xen"),
            ("issues", "labeled", None, false, "xen/xen"),
            (SYNTHETIC_EVENT, "reconcile", Some(7), false, "xen/xen#7"),
            (SYNTHETIC_EVENT, "window-ended", Some(7), false, "xen/xen#7"),
            (SYNTHETIC_EVENT, "gate-tick", Some(0), false, "xen/xen"),
            (SYNTHETIC_EVENT, "repo-refresh", Some(0), false, "xen/xen"),
            // An embargo's end may land its pull request, like `/pushgate merge`.
            (
                SYNTHETIC_EVENT,
                embargo::DEADLINE,
                Some(7),
                false,
                "xen/xen",
            ),
            // A pull request event without a number cannot be told apart: the repository.
            ("pull_request", "opened", None, false, "xen/xen"),
        ];
        for (event, action, pull, merge, expected) in cases {
            assert_eq!(
                lane(event, action, r, pull, merge),
                expected,
                "{event} {action} {pull:?} {merge}"
            );
        }
    }

    #[test]
    fn an_advisorys_steps_go_in_the_repositorys_lane_and_its_commands_are_never_coalesced() {
        assert_eq!(
            lane(
                SYNTHETIC_EVENT,
                advisory::DEADLINE,
                "xen/xen",
                Some(3),
                false
            ),
            "xen/xen"
        );
        assert_eq!(
            same_work(SYNTHETIC_EVENT, advisory::DEADLINE, "xen/xen"),
            None
        );
        let payload = json!({
            "issue": { "number": 7, "pull_request": {} },
            "comment": { "body": "/pushgate advisory XSA-1" },
        });
        assert!(!re_judges(
            "issue_comment",
            "created",
            "xen/xen#7",
            &Webhook::from_json(&payload).unwrap()
        ));
        let plain = json!({
            "issue": { "number": 7, "pull_request": {} },
            "comment": { "body": "looks fine" },
        });
        let plain = Webhook::from_json(&plain).unwrap();
        assert!(re_judges("issue_comment", "created", "xen/xen#7", &plain));
    }
}
