//! Embargoes on GitHub: `/pushgate embargo <UTC time>` by a committer or a member of the
//! security team (`governance.security_team`) holds a pull request. The hold lives in the
//! store; `pushgate/embargo` fails on the pull request's head naming the time;
//! `/pushgate merge` refuses before it (`merge.rs` asks [`gather::holding`](super::gather::holding)); `/pushgate embargo
//! lift` ends it early. At the time a synthetic delivery ([`DEADLINE`], from [`due`], in the
//! repository's lane like merges) ends it and lands the pull request through `merge.rs`'s own
//! path, pinned to the head that path judges, when the person who set it is a committer. Every
//! change is written to the governance log.

use crate::github::{PrNumber, RepoName, Sha};
use serde_json::json;

use super::gather::{answer, config, hear, is_committer, may_hold, Given, Heard};
use super::{comment_once, note_failure, post_check_run_once, Context, HandlerError};
use crate::core::embargo::{self as rules, Command, Ended, CHECK};
use crate::core::say;
use crate::core::text::utc;
use crate::github::model::Output;
use crate::github::webhook::Webhook;
use crate::github::Installation;
use crate::store::{CommandProgress, Embargo, GovernanceEntry, NewDelivery};

/// The synthetic action that ends an embargo at its time.
pub const DEADLINE: &str = "embargo-deadline";

/// Does this comment give an embargo command (read or not)? Such a comment goes in the
/// repository's lane, with the merges it orders.
pub fn asks(body: &str) -> bool {
    rules::read_command(body, 0).is_some()
}

/// An embargo command in a comment on an issue or pull request; false when the comment gives
/// none.
pub async fn on_comment(
    ctx: &Context,
    gh: &Installation,
    installation_id: i64,
    repo: &RepoName,
    payload: &Webhook,
) -> Result<bool, HandlerError> {
    let now = ctx.clock.now();
    let read = |body: &str| rules::read_command(body, now);
    let (given, command) = match hear(ctx, repo, payload, "an embargo command", read).await? {
        Heard::Nothing => return Ok(false),
        Heard::Done => return Ok(true),
        Heard::Given(given, command) => (given, command),
    };
    let by = &given.by;
    let log = |what: String| GovernanceEntry {
        repo: repo.to_string(),
        number: given.item.get(),
        decision: given.comment_id,
        at: now,
        who: by.clone(),
        what,
    };
    let said = match command {
        Err(e) => Err(say::refused(by, e)),
        Ok(_) if !given.on_pull_request => Err(say::embargo_on_issue(by)),
        Ok(command) => {
            let branch = payload.default_branch();
            let config = config(ctx, gh, repo, branch).await?.unwrap_or_default();
            if !may_hold(ctx, gh, repo, branch, &config, by).await? {
                Err(say::only(by, say::HOLDERS, "embargo or lift an embargo"))
            } else {
                let apply = Apply {
                    installation_id,
                    repo,
                    given: &given,
                };
                apply.run(ctx, gh, payload, command, &log).await?
            }
        }
    };
    answer(ctx, gh, repo, &given, said, "refused").await?;
    Ok(true)
}

/// Where a command is applied.
struct Apply<'a> {
    installation_id: i64,
    repo: &'a RepoName,
    /// The command: where, by whom, and whether its delivery was seen before (a replay, or a
    /// re-run after a crash).
    given: &'a Given,
}

impl Apply<'_> {
    /// Holds or lifts; returns the reply, or the refusal.
    async fn run(
        &self,
        ctx: &Context,
        gh: &Installation,
        payload: &Webhook,
        command: Command,
        log: &(dyn Fn(String) -> GovernanceEntry + Sync),
    ) -> Result<Result<String, String>, HandlerError> {
        let (installation_id, repo, item) = (self.installation_id, self.repo, self.given.item);
        let now = ctx.clock.now();
        let (by, comment_id) = (self.given.by.clone(), self.given.comment_id);
        let before = ctx.store.embargo(repo, item.get()).await?;
        let held_before = before.as_ref().filter(|e| e.state == Embargo::HELD);
        match command {
            Command::Hold { until, advisory } => {
                if let Some(name) = &advisory {
                    if let Err(e) = crate::core::advisory::read_name(name) {
                        return Ok(Err(say::refused(&by, e)));
                    }
                }
                let branch = match payload.default_branch() {
                    "" => "master".to_string(),
                    b => b.to_string(),
                };
                let hold = Embargo {
                    repo: repo.to_string(),
                    number: item.get(),
                    installation_id,
                    until,
                    state: Embargo::HELD.to_string(),
                    command: comment_id,
                    set_by: by.clone(),
                    set_by_id: self.given.by_id,
                    set_at: now,
                    branch,
                    ended_at: None,
                };
                if ctx.store.hold_embargo(&hold).await? {
                    let what = match held_before {
                        Some(e) if e.command != comment_id => {
                            format!("moved the embargo from {} to {}", utc(e.until), utc(until))
                        }
                        _ => format!("embargo until {}", utc(until)),
                    };
                    ctx.store.log_governance(&log(what)).await?;
                }
                // Before the hold's own check: the advisory's status lists the pull request.
                let named = ctx.store.embargo_advisory(repo, item.get()).await?;
                ctx.store
                    .set_embargo_advisory(repo, item.get(), comment_id, advisory.as_deref())
                    .await?;
                if let Some(old) = named.filter(|n| advisory.as_ref() != Some(n)) {
                    if let Some(a) = ctx.store.advisory(repo, &old).await? {
                        super::advisory::show_status(ctx, gh, &a).await?;
                    }
                }
                super::advisory::embargo_changed(ctx, gh, repo, item.get()).await?;
                show(ctx, gh, repo, item).await?;
                Ok(Ok(say::embargoed(&by, until)))
            }
            Command::Lift => {
                // A re-run may find the embargo lifted by this very command before (the lane
                // orders commands, so nothing else lifted it in between).
                let lifted_here =
                    self.given.seen && before.as_ref().is_some_and(|e| e.state == Embargo::LIFTED);
                let Some(held) = held_before else {
                    if lifted_here {
                        return Ok(Ok(say::embargo_lifted(&by, None)));
                    }
                    return Ok(Err(say::no_embargo(&by)));
                };
                if ctx
                    .store
                    .end_embargo(repo, item.get(), held.command, Embargo::LIFTED, now)
                    .await?
                {
                    ctx.store
                        .log_governance(&log(format!(
                            "lifted the embargo (it was until {})",
                            utc(held.until)
                        )))
                        .await?;
                }
                super::advisory::embargo_changed(ctx, gh, repo, item.get()).await?;
                show(ctx, gh, repo, item).await?;
                Ok(Ok(say::embargo_lifted(&by, Some(held.until))))
            }
        }
    }
}

/// Posts `pushgate/embargo` on the pull request's head as the store says: failing while held,
/// passing once ended; nothing when it never had one.
async fn show(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    item: PrNumber,
) -> Result<(), HandlerError> {
    let pr = gh.api.pull(repo, item).await?;
    show_on(ctx, gh, repo, item, &pr.head.sha).await
}

async fn show_on(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    item: PrNumber,
    head: &str,
) -> Result<(), HandlerError> {
    let Some(e) = ctx.store.embargo(repo, item.get()).await? else {
        return Ok(());
    };
    // No head to show it on (a payload without one).
    let Ok(head) = Sha::parse(head) else {
        return Ok(());
    };
    let ended = match e.state.as_str() {
        Embargo::LIFTED => Some(Ended::Lifted),
        Embargo::EXPIRED => Some(Ended::Expired),
        _ => None,
    };
    let held = ended.is_none().then_some((e.until, e.set_by.as_str()));
    let (passed, title, summary) = rules::check(held, ended.as_ref());
    post_check_run_once(
        &gh.api,
        repo,
        CHECK,
        &head,
        passed,
        Output::new(title, summary),
    )
    .await?;
    Ok(())
}

/// A pull request opened or pushed to: its new head gets the embargo's check, if it has one.
pub async fn on_pull_request(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
) -> Result<(), HandlerError> {
    let Some(item) = payload.pull_number() else {
        return Ok(());
    };
    show_on(ctx, gh, repo, item, payload.head_sha()).await
}

/// The deliveries that end the embargoes due at `now`, in their repository's lane (they may
/// land, like `/pushgate merge`). The id names the hold, so asking every round stores one.
pub async fn due(ctx: &Context, now: i64) -> Result<Vec<NewDelivery>, HandlerError> {
    Ok(ctx
        .store
        .due_embargoes(now)
        .await?
        .iter()
        .map(|e| {
            crate::worker::deadline(
                &format!("{DEADLINE}:{}#{}@{}", e.repo, e.number, e.command),
                DEADLINE,
                &e.repo,
                e.installation_id,
                e.number,
                &e.branch,
                ("command", json!(e.command)),
            )
        })
        .collect())
}

/// Ends the embargo a [`DEADLINE`] delivery names once its time came, shows it, and lands the
/// pull request as `/pushgate merge` would. Each step may run again after a crash; none has
/// a second effect (the landing is keyed like a merge command).
pub async fn on_deadline(
    ctx: &Context,
    gh: &Installation,
    installation_id: i64,
    repo: &RepoName,
    payload: &Webhook,
) -> Result<bool, HandlerError> {
    let item = payload.number.unwrap_or(0);
    let command = payload.command.unwrap_or(0);
    let Some(e) = ctx.store.embargo(repo, item).await? else {
        return Ok(false);
    };
    let now = ctx.clock.now();
    if e.command != command {
        return Ok(false);
    }
    if e.state == Embargo::HELD {
        if rules::holds(e.until, now) {
            return Ok(false);
        }
        if ctx
            .store
            .end_embargo(repo, item, command, Embargo::EXPIRED, now)
            .await?
        {
            ctx.store
                .log_governance(&GovernanceEntry {
                    repo: repo.to_string(),
                    number: item,
                    decision: command,
                    at: now,
                    who: "pushgate".to_string(),
                    what: format!("the embargo ended at its time, {}", utc(e.until)),
                })
                .await?;
        }
        super::advisory::embargo_changed(ctx, gh, repo, item).await?;
    } else if e.state != Embargo::EXPIRED {
        return Ok(false);
    }
    let key = -command;
    if ctx.store.command(repo, key).await? == Some(CommandProgress::Done) {
        return Ok(true);
    }
    let pr = gh.api.pull(repo, PrNumber::new(item)?).await?;
    show_on(ctx, gh, repo, PrNumber::new(item)?, &pr.head.sha).await?;
    if !pr.is_open() {
        ctx.store
            .set_command(repo, key, &CommandProgress::Done, now)
            .await?;
        return Ok(true);
    }
    let config = config(ctx, gh, repo, payload.default_branch())
        .await?
        .unwrap_or_default();
    if !is_committer(ctx, gh, repo, payload.default_branch(), &config, &e.set_by).await? {
        comment_once(
            gh,
            repo,
            PrNumber::new(item)?,
            &format!("embargo-ended {command}"),
            &format!(
                "The embargo ended at {}. It was set by @{}, who is no committer, so pushgate \
                 does not land this pull request by itself: a committer can merge it with \
                 `/pushgate merge`.",
                utc(e.until),
                e.set_by
            ),
        )
        .await?;
        ctx.store
            .set_command(repo, key, &CommandProgress::Done, now)
            .await?;
        return Ok(true);
    }
    let standing_for = Webhook::merge_command(
        key,
        (&e.set_by, e.set_by_id),
        item,
        (repo, &e.branch),
        installation_id,
    );
    let note = format!(
        "The embargo ended at {}, but pushgate could not land this pull request by itself:",
        utc(e.until)
    );
    super::merge::at_embargo_end(
        ctx,
        gh,
        installation_id,
        repo,
        PrNumber::new(item)?,
        &standing_for,
        note,
    )
    .await?;
    Ok(true)
}

/// An embargo delivery that failed for good is said once on its pull request; the details
/// stay in the log.
pub async fn show_failure(
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
    delivery_id: &str,
    what: &str,
) -> Result<(), HandlerError> {
    let body = say::could_not_handle(
        "an embargo",
        what,
        "Nothing landed by itself; ask again, or merge with `/pushgate merge` once the \
         embargo's time has come.",
        delivery_id,
    );
    note_failure(gh, repo, payload, delivery_id, &body).await
}
