//! The security timeline on GitHub: `/pushgate advisory <name> [reported <date>]` on an issue,
//! by a committer or a member of the security team (`governance.security_team`), tracks an
//! advisory; `/pushgate advisory <name> disclose <UTC time>` sets its disclosure. The dates
//! live in the store; one status comment on the issue is kept current (edited, never posted
//! twice); before each deadline a synthetic delivery ([`DEADLINE`], from [`due`], in the
//! repository's lane) mentions the security team once. Embargoes naming the advisory
//! (`/pushgate embargo <time> advisory <name>`) are listed in the status. What happened is
//! written to the governance log, which the dashboard shows only for advisories that may be
//! shown. The timeline itself is `core::advisory`'s.

use crate::github::{PrNumber, RepoName};
use serde_json::json;

use super::gather::{answer, config, hear, may_hold, Given, Heard};
use super::{comment_once, keep_comment, note_failure, Context, HandlerError};
use crate::config::Config;
use crate::core::advisory::{self as rules, Command, Linked, Periods, Step, Timeline};
use crate::core::say;
use crate::core::text::utc;
use crate::github::webhook::Webhook;
use crate::github::Installation;
use crate::store::{Advisory, GovernanceEntry, NewDelivery};

/// The synthetic action that acts on an advisory's due steps.
pub const DEADLINE: &str = "advisory-deadline";

/// How refusals of advisory commands start in the governance log (the dashboard leaves them
/// out for private repositories).
pub const REFUSED: &str = "refused an advisory command";

/// Does this comment give an advisory command (read or not)?
pub fn asks(body: &str) -> bool {
    rules::read_command(body, 0).is_some()
}

/// An advisory command in a comment on an issue or pull request; false when the comment gives
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
    let (given, command) = match hear(ctx, repo, payload, "an advisory command", read).await? {
        Heard::Nothing => return Ok(false),
        Heard::Done => return Ok(true),
        Heard::Given(given, command) => (given, command),
    };
    let by = &given.by;
    let said = match command {
        Err(e) => Err(say::refused(by, e)),
        Ok(_) if given.on_pull_request => Err(say::advisory_on_pull_request(by)),
        Ok(command) => {
            let branch = payload.default_branch();
            let config = config(ctx, gh, repo, branch).await?.unwrap_or_default();
            if !may_hold(ctx, gh, repo, branch, &config, by).await? {
                Err(say::only(by, say::HOLDERS, "track an advisory"))
            } else {
                let at = Place {
                    installation_id,
                    repo,
                    given: &given,
                };
                apply(ctx, gh, payload, &config, &at, command).await?
            }
        }
    };
    answer(ctx, gh, repo, &given, said, REFUSED).await?;
    Ok(true)
}

/// Where and by whom a command was given.
struct Place<'a> {
    installation_id: i64,
    repo: &'a RepoName,
    given: &'a Given,
}

fn periods(config: &Config) -> Periods {
    let secs = |d: std::time::Duration| i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
    let g = &config.governance;
    Periods {
        fix_within: secs(g.advisory_fix_within),
        predisclosure: secs(g.advisory_predisclosure),
        remind_before: secs(g.advisory_remind_before),
    }
}

/// The stored advisory's timeline.
pub fn timeline(a: &Advisory) -> Timeline {
    Timeline {
        reported: a.reported_at,
        fix_due: a.fix_due,
        predisclosure: a.predisclose_at,
        disclosure: a.disclose_at,
        remind_before: a.remind_before,
    }
}

/// Starts tracking or sets the disclosure; returns the reply, or the refusal.
async fn apply(
    ctx: &Context,
    gh: &Installation,
    payload: &Webhook,
    config: &Config,
    at: &Place<'_>,
    command: Command,
) -> Result<Result<String, String>, HandlerError> {
    let now = ctx.clock.now();
    let (repo, item, by) = (at.repo, at.given.item, at.given.by.as_str());
    let name = command.name().to_string();
    let before = ctx.store.advisory(repo, &name).await?;
    if let Some(a) = before.as_ref().filter(|a| a.number != item) {
        return Ok(Err(say::advisory_tracked_elsewhere(by, &name, a.number)));
    }
    let periods = periods(config);
    let (advisory, what) = match (command, before) {
        (Command::Start { reported, .. }, before) => {
            let reported = reported
                .or(before.as_ref().map(|a| a.reported_at))
                .or(at.given.written_at)
                .unwrap_or(now);
            let disclosure = before.as_ref().and_then(|a| a.disclose_at);
            let t = Timeline::new(reported, disclosure, periods);
            let what = format!(
                "advisory {name}: reported {}, fix due {}",
                utc(t.reported),
                utc(t.fix_due)
            );
            let a = stored(at, payload, before, &name, &t, now);
            (a, what)
        }
        (Command::Disclose { .. }, None) => return Ok(Err(say::no_advisory(by, &name))),
        (Command::Disclose { .. }, Some(a)) if a.disclose_at.is_some_and(|d| d <= now) => {
            return Ok(Err(say::advisory_disclosed(
                by,
                &name,
                a.disclose_at.unwrap_or(now),
            )))
        }
        (Command::Disclose { at: disclosure, .. }, Some(a)) => {
            let mut t = Timeline::new(a.reported_at, Some(disclosure), periods);
            t.fix_due = a.fix_due;
            let what = format!(
                "advisory {name}: pre-disclosure {}, disclosure {}",
                utc(t.predisclosure.unwrap_or(disclosure)),
                utc(disclosure)
            );
            let a = stored(at, payload, Some(a), &name, &t, now);
            (a, what)
        }
    };
    ctx.store.put_advisory(&advisory).await?;
    ctx.store
        .log_governance(&GovernanceEntry {
            repo: repo.to_string(),
            number: item.get(),
            decision: at.given.comment_id,
            at: now,
            who: by.to_string(),
            what: what.clone(),
        })
        .await?;
    let advisory = ctx.store.advisory(repo, &name).await?.unwrap_or(advisory);
    show_status(ctx, gh, &advisory).await?;
    super::gate::republish(ctx, gh, repo, payload.default_branch()).await?;
    let t = timeline(&advisory);
    let disclosure = t.predisclosure.zip(t.disclosure);
    let reply = say::tracking_advisory(by, &name, (t.reported, t.fix_due), disclosure);
    Ok(Ok(reply))
}

/// The row to store for the timeline `t`, keeping what an earlier command recorded.
fn stored(
    at: &Place<'_>,
    payload: &Webhook,
    before: Option<Advisory>,
    name: &str,
    t: &Timeline,
    now: i64,
) -> Advisory {
    let branch = match payload.default_branch() {
        "" => "master".to_string(),
        b => b.to_string(),
    };
    // A payload that does not say the repository is public is taken as private.
    let private = payload.repository.private.unwrap_or(true);
    let mut a = before.unwrap_or(Advisory {
        repo: at.repo.to_string(),
        name: name.to_string(),
        number: at.given.item.get(),
        installation_id: at.installation_id,
        private,
        reported_at: t.reported,
        fix_due: t.fix_due,
        predisclose_at: None,
        disclose_at: None,
        remind_before: t.remind_before,
        started_by: at.given.by.clone(),
        command: at.given.comment_id,
        started_at: now,
        branch,
        status_comment: None,
        done: Vec::new(),
        next_at: None,
    });
    a.reported_at = t.reported;
    a.fix_due = t.fix_due;
    a.predisclose_at = t.predisclosure;
    a.disclose_at = t.disclosure;
    a.remind_before = t.remind_before;
    a.next_at = t.next(&a.done);
    a
}

/// Keeps the advisory's status comment current: found again by its marker (or the stored
/// id), edited when its text changed, posted only when there is none.
pub(crate) async fn show_status(
    ctx: &Context,
    gh: &Installation,
    a: &Advisory,
) -> Result<(), HandlerError> {
    let linked: Vec<Linked> = ctx
        .store
        .advisory_embargoes(&a.repo, &a.name)
        .await?
        .into_iter()
        .map(|e| Linked {
            number: e.number,
            until: e.until,
            state: e.state,
        })
        .collect();
    let shown = rules::status(&a.name, &timeline(a), &a.done, &linked);
    let marker = format!("<!-- pushgate:advisory {} -->", a.name);
    let body = format!("{shown}\n{marker}");
    let (repo, number) = (&RepoName::parse(&a.repo)?, PrNumber::new(a.number)?);
    let listed = gh.api.comments(repo, number, 30).await?;
    let id = keep_comment(gh, repo, number, &listed, &marker, &body, a.status_comment).await?;
    if id > 0 && a.status_comment != Some(id) {
        ctx.store.set_advisory_comment(&a.repo, &a.name, id).await?;
    }
    Ok(())
}

/// An embargo on pull request `number` was set, moved or ended: the status of the advisory it
/// names, if that advisory is tracked in this repository, shows it.
pub async fn embargo_changed(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    number: i64,
) -> Result<(), HandlerError> {
    let Some(name) = ctx.store.embargo_advisory(repo, number).await? else {
        return Ok(());
    };
    if let Some(a) = ctx.store.advisory(repo, &name).await? {
        show_status(ctx, gh, &a).await?;
    }
    Ok(())
}

/// The deliveries that act on the advisories with a step due at `now`, in their repository's
/// lane.
pub async fn due(ctx: &Context, now: i64) -> Result<Vec<NewDelivery>, HandlerError> {
    Ok(ctx
        .store
        .due_advisories(now)
        .await?
        .iter()
        .filter_map(|a| {
            // The first step due names the delivery: each step is done once, so no two
            // deliveries share an id, and asking every round stores one.
            let first = timeline(a).due(&a.done, now).first()?.key();
            Some(crate::worker::deadline(
                &format!("{DEADLINE}:{}:{}:{first}", a.repo, a.name),
                DEADLINE,
                &a.repo,
                a.installation_id,
                a.number,
                &a.branch,
                ("name", json!(a.name)),
            ))
        })
        .collect())
}

/// Acts on the due steps of the advisory a [`DEADLINE`] delivery names: each reminder
/// mentions the security team once (its comment carries a key naming the step and its date,
/// so a re-run after a crash finds it), then the step is marked done and the status shown.
pub async fn on_deadline(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
) -> Result<bool, HandlerError> {
    let name = payload.name.clone();
    let Some(a) = ctx.store.advisory(repo, &name).await? else {
        return Ok(false);
    };
    let now = ctx.clock.now();
    let t = timeline(&a);
    let due = t.due(&a.done, now);
    if due.is_empty() {
        return Ok(false);
    }
    let config = config(ctx, gh, repo, &a.branch).await?.unwrap_or_default();
    let team = if config.governance.security_team.is_empty() {
        vec![a.started_by.clone()]
    } else {
        config.governance.security_team.clone()
    };
    let mut done = a.done.clone();
    for planned in due {
        let key = planned.key();
        if planned.step != Step::Disclosed {
            comment_once(
                gh,
                repo,
                PrNumber::new(a.number)?,
                &format!("advisory {} {key}", a.name),
                &rules::reminder(&a.name, &planned, &team, now),
            )
            .await?;
        }
        done.push(key.clone());
        if ctx
            .store
            .advisory_step_done(repo, &a.name, &key, t.next(&done))
            .await?
        {
            let what = match planned.step {
                Step::Disclosed => format!("advisory {}: disclosed", a.name),
                step => format!(
                    "advisory {}: reminded the security team of the {} deadline ({})",
                    a.name,
                    step.word(),
                    utc(planned.deadline)
                ),
            };
            ctx.store
                .log_governance(&GovernanceEntry {
                    repo: repo.to_string(),
                    number: a.number,
                    decision: a.command,
                    at: now,
                    who: "pushgate".to_string(),
                    what,
                })
                .await?;
        }
    }
    if let Some(a) = ctx.store.advisory(repo, &name).await? {
        show_status(ctx, gh, &a).await?;
    }
    // The dashboard issue lists the advisory from its disclosure on (a public one at once).
    super::gate::republish(ctx, gh, repo, &a.branch).await?;
    Ok(true)
}

/// An advisory delivery that failed for good is said once on its issue; the details stay in
/// the log.
pub async fn show_failure(
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
    delivery_id: &str,
    what: &str,
) -> Result<(), HandlerError> {
    let body = say::could_not_handle(
        "an advisory command or reminder",
        what,
        "Give the command again to retry.",
        delivery_id,
    );
    note_failure(gh, repo, payload, delivery_id, &body).await
}
