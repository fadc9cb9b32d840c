//! Votes and lazy consensus on GitHub (SPEC §6): `/pushgate vote` and `/pushgate
//! lazy-consensus` in a comment on an issue or pull request open a decision, kept in the store
//! with its deadline; every later comment on that item updates the one tally comment; at the
//! deadline a synthetic delivery ([`DEADLINE`], from [`due`]) closes it with the result, a
//! label and a record in the store. The counting is `core::governance`'s.

use crate::github::{PrNumber, RepoName};
use std::collections::HashMap;

use serde_json::json;

use super::gather::{answer, config, hear, is_committer, the_rest, Given, Heard};
use super::{acks, comment_once, keep_comment, note_failure, Context, HandlerError};
use crate::config::Config;
use crate::core::governance::{
    self as rules, answers, read_command, render, spell, tally, Ballot, Command, Kind, Outcome,
    Scheme, Signed, Tally,
};
use crate::core::say;
use crate::github::model::IssueComment;
use crate::github::webhook::Webhook;
use crate::github::Installation;
use crate::store::{CommandProgress, Decision, GovernanceEntry, NewDelivery};

/// The synthetic action that closes a decision at its deadline.
pub const DEADLINE: &str = "governance-deadline";

const VOTE: &str = "vote";
const CONSENSUS: &str = "lazy-consensus";

/// The labels a closed decision gets.
pub const VOTE_PASSED: &str = "vote: passed";
pub const VOTE_REJECTED: &str = "vote: rejected";
pub const CONSENSUS_REACHED: &str = "consensus: reached";
pub const CONSENSUS_BLOCKED: &str = "consensus: blocked";

/// A comment on an issue or pull request: a governance command, or an answer (or an edit or
/// deletion of one) while a decision is open there. Returns whether it concerned governance.
pub async fn on_comment(
    ctx: &Context,
    gh: &Installation,
    installation_id: i64,
    repo: &RepoName,
    payload: &Webhook,
) -> Result<bool, HandlerError> {
    let Some(said) = payload.said() else {
        return Ok(false);
    };
    let item = said.issue.number;
    if item <= 0 {
        return Ok(false);
    }
    if is_app(said.comment.login()) {
        // pushgate's own tally and replies.
        return Ok(false);
    }
    match hear(ctx, repo, payload, "a vote or lazy consensus", read_command).await? {
        Heard::Nothing => {}
        Heard::Done => return Ok(true),
        Heard::Given(given, command) => {
            open(ctx, gh, installation_id, repo, payload, &given, command).await?;
            return Ok(true);
        }
    }
    let Some(decision) = ctx.store.open_decision_on(repo, item).await? else {
        return Ok(false);
    };
    // A pull request's comments are recorded as their authors wrote them by the worker for
    // the acks; an issue's only while a decision is open on it.
    if !said.issue.is_pull_request() {
        acks::record_words(ctx, repo, "issue_comment", payload).await?;
    }
    let config = committers_config(ctx, gh, &decision).await?;
    refresh(ctx, gh, &decision, &config, true).await?;
    Ok(true)
}

/// Closes the decision a [`DEADLINE`] delivery names, if it is still open and due.
pub async fn on_deadline(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
) -> Result<bool, HandlerError> {
    let id = payload.decision.unwrap_or(0);
    let Some(decision) = ctx.store.decision(repo, id).await? else {
        return Ok(false);
    };
    if decision.state != "open" || decision.deadline > ctx.clock.now() {
        return Ok(false);
    }
    let config = committers_config(ctx, gh, &decision).await?;
    let (final_tally, shown) = refresh(ctx, gh, &decision, &config, false).await?;
    let passed = final_tally.outcome.passed();
    let (label, state) = match (decision.kind.as_str(), passed) {
        (VOTE, true) => (VOTE_PASSED, "passed"),
        (VOTE, false) => (VOTE_REJECTED, "rejected"),
        (_, true) => (CONSENSUS_REACHED, "passed"),
        (_, false) => (CONSENSUS_BLOCKED, "rejected"),
    };
    let closing = closing_comment(&decision, &final_tally, &shown);
    comment_once(
        gh,
        repo,
        PrNumber::new(decision.number)?,
        &format!("decision-result {}", decision.id),
        &closing,
    )
    .await?;
    gh.api
        .add_labels(repo, PrNumber::new(decision.number)?, &[label])
        .await?;
    let now = ctx.clock.now();
    if ctx
        .store
        .close_decision(repo, decision.id, state, &shown, now)
        .await?
    {
        let what = match &final_tally.outcome {
            Outcome::Passed => format!("{} {state}", decision.kind),
            Outcome::Rejected(why) => format!("{} {state}: {why}", decision.kind),
        };
        log(ctx, &decision, now, "pushgate", &what).await?;
    }
    // A vote's result may settle a referral on the pull request: judge it again.
    if decision.pull && decision.kind == VOTE {
        acks::evaluate(
            ctx,
            gh,
            decision.installation_id,
            repo,
            PrNumber::new(decision.number)?,
            None,
            None,
        )
        .await?;
    }
    Ok(true)
}

/// The deliveries that close the decisions due at `now`. A decision stays open until its
/// delivery closed it, and the delivery id names the decision, so asking again (every
/// wake-up round, or after a crash between the two) stores it once.
pub async fn due(ctx: &Context, now: i64) -> Result<Vec<NewDelivery>, HandlerError> {
    Ok(ctx
        .store
        .due_decisions(now)
        .await?
        .iter()
        .map(|d| {
            let mut delivery = crate::worker::deadline(
                &format!("{DEADLINE}:{}#{}@{}", d.repo, d.number, d.id),
                DEADLINE,
                &d.repo,
                d.installation_id,
                d.number,
                &d.branch,
                ("decision", json!(d.id)),
            );
            // The lane the item's comments come in on, so the deadline is ordered with them.
            delivery.lane = crate::worker::lane(
                "issue_comment",
                "created",
                &d.repo,
                d.pull.then_some(d.number),
                false,
            );
            delivery
        })
        .collect())
}

/// A governance delivery that failed for good is said once on its issue or pull request, so
/// the people voting are not left waiting; the details stay in the log.
pub async fn show_failure(
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
    delivery_id: &str,
    what: &str,
) -> Result<(), HandlerError> {
    let body = say::could_not_handle(
        "a vote or lazy consensus",
        what,
        "Comment again to retry.",
        delivery_id,
    );
    note_failure(gh, repo, payload, delivery_id, &body).await
}

/// Opens the decision `command` asks for, or refuses in one line.
async fn open(
    ctx: &Context,
    gh: &Installation,
    installation_id: i64,
    repo: &RepoName,
    payload: &Webhook,
    given: &Given,
    command: Result<Command, rules::CommandError>,
) -> Result<(), HandlerError> {
    let (item, comment_id) = (given.item, given.comment_id);
    let now = ctx.clock.now();
    let by = given.by.clone();
    let config = config(ctx, gh, repo, payload.default_branch())
        .await?
        .unwrap_or_default();
    let refusal = match &command {
        Err(e) => Some(say::refused(&by, e)),
        Ok(command) => {
            let what = match command {
                Command::Vote { .. } => "a vote",
                Command::LazyConsensus { .. } => "a lazy consensus",
            };
            if !is_committer(ctx, gh, repo, payload.default_branch(), &config, &by).await? {
                Some(say::only(&by, say::COMMITTERS, &format!("open {what}")))
            } else {
                match ctx.store.open_decision_on(repo, item.get()).await? {
                    Some(open) if open.id != comment_id => {
                        Some(say::already_open(&by, &open.kind, open.deadline))
                    }
                    _ => None,
                }
            }
        }
    };
    if let Some(refusal) = refusal {
        return answer(ctx, gh, repo, given, Err(refusal), "refused").await;
    }
    let Ok(command) = command else {
        return Ok(());
    };
    let defaults = &config.governance;
    let (kind, scheme, seconds) = match command {
        Command::Vote { seconds, scheme } => (
            VOTE,
            scheme.unwrap_or(defaults.scheme),
            seconds.unwrap_or(defaults.vote_duration.as_secs()),
        ),
        Command::LazyConsensus { seconds } => (
            CONSENSUS,
            Scheme::default(),
            seconds.unwrap_or(defaults.consensus_duration.as_secs()),
        ),
    };
    let opened_at = given.written_at.unwrap_or(now);
    let Some(deadline) = rules::deadline(opened_at, seconds) else {
        return Err(HandlerError::Payload("a deadline out of range".into()));
    };
    let asked = if kind == CONSENSUS {
        asked(ctx, gh, repo, payload, &config, &by).await?
    } else {
        Vec::new()
    };
    let branch = match payload.default_branch() {
        "" => "master".to_string(),
        b => b.to_string(),
    };
    let decision = Decision {
        repo: repo.to_string(),
        id: comment_id,
        number: item.get(),
        pull: given.on_pull_request,
        installation_id,
        kind: kind.to_string(),
        scheme: if kind == VOTE {
            scheme.name().to_string()
        } else {
            String::new()
        },
        quorum: i64::from(defaults.quorum),
        opened_by: by.clone(),
        opened_at,
        deadline,
        branch,
        asked,
        tally_comment: None,
        state: "open".to_string(),
        result: None,
        closed_at: None,
    };
    if ctx.store.open_decision(&decision).await? {
        let what = match kind {
            VOTE => format!(
                "opened a vote ({} scheme, {})",
                scheme.name(),
                spell(seconds)
            ),
            _ => format!("opened a lazy consensus ({})", spell(seconds)),
        };
        log(ctx, &decision, now, &by, &what).await?;
    }
    // A replay finds the decision stored before, with its tally comment.
    let decision = ctx
        .store
        .decision(repo, comment_id)
        .await?
        .unwrap_or(decision);
    refresh(ctx, gh, &decision, &config, true).await?;
    ctx.store
        .set_command(repo, comment_id, &CommandProgress::Done, now)
        .await?;
    Ok(())
}

/// Counts the decision from the item's comments as their authors wrote them and keeps the
/// tally comment current (posted once, found again by its marker, edited when it changed).
/// While `open`, the authors of negative answers without an explanation are asked for one.
/// Returns the tally and its text.
async fn refresh(
    ctx: &Context,
    gh: &Installation,
    d: &Decision,
    config: &Config,
    open: bool,
) -> Result<(Tally, String), HandlerError> {
    let (repo, number) = (&RepoName::parse(&d.repo)?, PrNumber::new(d.number)?);
    let listed = gh.api.comments(repo, number, 30).await?;
    let authored = ctx.store.authored_comments(&d.repo, d.number).await?;
    let pairs: Vec<(&str, &IssueComment)> =
        listed.iter().map(|c| (acks::ISSUE_COMMENT, c)).collect();
    let (comments, _) = acks::as_written(&pairs, &authored, &HashMap::new());
    let kind = kind_of(d);
    let (found, unreadable) = answers(&comments, kind, d.opened_at, d.deadline, &is_app);
    let mut ballots = Vec::with_capacity(found.len());
    for answer in found {
        let counted = match kind {
            Kind::Vote { .. } => {
                is_committer(ctx, gh, repo, &d.branch, config, &answer.login).await?
            }
            Kind::LazyConsensus => true,
        };
        ballots.push(Ballot { answer, counted });
    }
    let counted = tally(kind, ballots);
    let notes: Vec<String> = unreadable
        .iter()
        .map(|login| say::edited_by_someone_else(login))
        .collect();
    let shown = render(&counted, &d.opened_by, d.deadline, &d.asked, &notes, open);
    let marker = format!("<!-- pushgate:decision {} -->", d.id);
    let body = format!("{shown}\n{marker}");
    let id = keep_comment(gh, repo, number, &listed, &marker, &body, d.tally_comment).await?;
    if id > 0 && d.tally_comment != Some(id) {
        ctx.store.set_tally_comment(&d.repo, d.id, id).await?;
    }
    if open {
        for answer in &counted.unexplained {
            let ask = match kind {
                Kind::Vote { .. } => say::unexplained_vote(&answer.login, Signed(answer.value)),
                Kind::LazyConsensus => say::unexplained_objection(&answer.login),
            };
            let key = format!("decision-explain {} {} {}", d.id, answer.login, answer.at);
            comment_once(gh, repo, number, &key, &ask).await?;
        }
    }
    Ok((counted, shown))
}

/// The closing comment: the result with the final tally (lazy consensus: in the spirit of "no
/// more comments, so we assume people are OK", naming who was asked).
fn closing_comment(d: &Decision, t: &Tally, shown: &str) -> String {
    let asked = if d.asked.is_empty() {
        "everyone watching".to_string()
    } else {
        d.asked
            .iter()
            .map(|l| format!("@{l}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let head = match (kind_of(d), &t.outcome) {
        (Kind::Vote { .. }, Outcome::Passed) => {
            format!("**The vote passed** (label `{VOTE_PASSED}`).")
        }
        (Kind::Vote { .. }, Outcome::Rejected(why)) => {
            format!("**The vote did not pass**: {why} (label `{VOTE_REJECTED}`).")
        }
        (Kind::LazyConsensus, Outcome::Passed) => format!(
            "**Lazy consensus reached.** No explained objection stands at the deadline, so we \
             assume people are OK with it. Asked: {asked}. (label `{CONSENSUS_REACHED}`)"
        ),
        (Kind::LazyConsensus, Outcome::Rejected(why)) => format!(
            "**Lazy consensus blocked**: {why}. Asked: {asked}. Resolve the objection, then \
             propose again. (label `{CONSENSUS_BLOCKED}`)"
        ),
    };
    format!("{head}\n\n<details><summary>Final tally</summary>\n\n{shown}\n</details>")
}

fn kind_of(d: &Decision) -> Kind {
    match d.kind.as_str() {
        VOTE => Kind::Vote {
            scheme: Scheme::parse(&d.scheme).unwrap_or_default(),
            quorum: u32::try_from(d.quorum).unwrap_or(1),
        },
        _ => Kind::LazyConsensus,
    }
}

/// The config of the default branch the decision was opened under, for who the committers
/// are (defaults when it cannot be read).
async fn committers_config(
    ctx: &Context,
    gh: &Installation,
    d: &Decision,
) -> Result<Config, HandlerError> {
    Ok(config(ctx, gh, &RepoName::parse(&d.repo)?, &d.branch)
        .await?
        .unwrap_or_default())
}

/// Whom a lazy consensus asks: the committers pushgate can name (the configured list, or
/// THE REST's maintainers with a known login) and everyone mentioned in the command's comment.
async fn asked(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
    config: &Config,
    by: &str,
) -> Result<Vec<String>, HandlerError> {
    use crate::config::CommitterSource;
    let mut asked: Vec<String> = match config.committers.source {
        CommitterSource::List => config.committers.list.clone(),
        CommitterSource::WritePermission => Vec::new(),
        CommitterSource::TheRest => {
            the_rest(ctx, gh, repo, payload.default_branch(), config).await?
        }
    };
    let body = payload.comment_body();
    for word in body.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '(' | ')')) {
        if let Some(login) = word.strip_prefix('@') {
            let login = login.trim_end_matches(['.', ':', '!', '?']);
            if !login.is_empty()
                && login
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                asked.push(login.to_string());
            }
        }
    }
    asked.retain(|l| !l.eq_ignore_ascii_case(by) && !is_app(l));
    let mut seen = Vec::new();
    asked.retain(|l| {
        let key = l.to_lowercase();
        let new = !seen.contains(&key);
        seen.push(key);
        new
    });
    Ok(asked)
}

/// pushgate's own account (an App's login ends in `[bot]`).
fn is_app(login: &str) -> bool {
    login.ends_with("[bot]")
}

async fn log(
    ctx: &Context,
    d: &Decision,
    at: i64,
    who: &str,
    what: &str,
) -> Result<(), HandlerError> {
    ctx.store
        .log_governance(&GovernanceEntry {
            repo: d.repo.clone(),
            number: d.number,
            decision: d.id,
            at,
            who: who.to_string(),
            what: what.to_string(),
        })
        .await?;
    Ok(())
}
