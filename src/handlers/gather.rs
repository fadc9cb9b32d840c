//! What every feature reads the same way, from GitHub and from payloads: the config and
//! MAINTAINERS that rule a repository (on its default branch), a branch's tip, who is a
//! committer, a pull request's number and changed files. Features import this module and
//! not one another for it, so their imports run one way (see ARCHITECTURE.md).

use crate::github::{BranchName, PrNumber, RepoName, Sha};
use std::sync::Arc;

use super::{Context, HandlerError, PolicyFiles};
use crate::config::Config;
use crate::core::maintainers::{Maintainers, Matcher};
use crate::core::people::{Mailmap, Person};
use crate::core::pull::PrCommit;
use crate::github::model::Commit;
use crate::github::webhook::Webhook;
use crate::github::Installation;
use crate::store::{CommandProgress, GovernanceEntry};

/// The config that rules a repository's gate and commands: the one on its default branch.
pub(crate) async fn config(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    default_branch: &str,
) -> Result<Option<Config>, HandlerError> {
    let Some(tip) = default_tip(gh, repo, default_branch).await? else {
        return Ok(None);
    };
    let policy = ctx.policy_files(gh, repo, &tip).await?;
    Ok(policy.config.as_ref().ok().cloned())
}

/// The tip of the repository's default branch, where the gate's config and MAINTAINERS live.
pub(crate) async fn default_tip(
    gh: &Installation,
    repo: &RepoName,
    default_branch: &str,
) -> Result<Option<Sha>, HandlerError> {
    let branch = if default_branch.is_empty() {
        "master"
    } else {
        default_branch
    };
    ref_sha(gh, repo, &BranchName::parse(branch)?).await
}

/// A branch's tip, or `None` when the branch does not exist.
pub(crate) async fn ref_sha(
    gh: &Installation,
    repo: &RepoName,
    branch: &BranchName,
) -> Result<Option<Sha>, HandlerError> {
    match gh.api.branch_tip(repo, branch).await {
        Ok(sha) => Ok(Some(sha)),
        Err(e) if e.not_found() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Committers (`committers.source`): THE REST's maintainers mapped to logins, anyone with
/// write permission, or an explicit list.
pub(crate) async fn is_committer(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    default_branch: &str,
    config: &Config,
    login: &str,
) -> Result<bool, HandlerError> {
    use crate::config::CommitterSource;
    match config.committers.source {
        CommitterSource::List => Ok(config
            .committers
            .list
            .iter()
            .any(|l| l.eq_ignore_ascii_case(login))),
        CommitterSource::WritePermission => ctx.can_write(gh, repo, login).await,
        CommitterSource::TheRest => {
            let Some(tip) = default_tip(gh, repo, default_branch).await? else {
                return Ok(false);
            };
            let policy = ctx.policy_files(gh, repo, &tip).await?;
            let maintainers = policy.matcher.maintainers();
            let Some(rest) = maintainers.the_rest() else {
                return Ok(false);
            };
            let identities = crate::core::people::Identities::new(policy.mailmap.clone());
            let people = ctx
                .people(gh, repo, maintainers, &[], config, &identities)
                .await?;
            Ok(people.get(&login.to_lowercase()).is_some_and(|person| {
                maintainers.sections[rest]
                    .maintainers
                    .iter()
                    .any(|m| identities.same(m, person))
            }))
        }
    }
}

/// A pull request's commits as the core reads them.
pub(crate) fn commits_of(list: &[Commit]) -> Vec<PrCommit> {
    list.iter()
        .map(|c| PrCommit {
            sha: c.sha.clone(),
            message: c.commit.message.clone(),
            author: c
                .commit
                .author
                .as_ref()
                .map(|a| Person {
                    name: a.name.clone(),
                    email: a.email.clone(),
                })
                .filter(|p| !p.name.is_empty() || !p.email.is_empty()),
            login: c.author_login().map(str::to_string),
            merge: c.parents.len() > 1,
        })
        .collect()
}

/// Parses the three policy files read at a base commit.
pub(crate) fn parse_policy(
    maintainers: Option<String>,
    config: Option<String>,
    config_path: &str,
    mailmap: Option<String>,
) -> PolicyFiles {
    let parsed = Maintainers::parse(maintainers.as_deref().unwrap_or(""));
    let maintainer_errors: Vec<String> = parsed
        .errors()
        .map(|d| format!("MAINTAINERS:{}: {}", d.line, d.message))
        .collect();
    let config = match config {
        Some(text) => Config::parse(&text, config_path),
        None => Ok(Config::default()),
    };
    let (mailmap, _) = Mailmap::parse(mailmap.as_deref().unwrap_or(""));
    PolicyFiles {
        matcher: Arc::new(Matcher::new(parsed)),
        maintainer_errors,
        config,
        mailmap,
    }
}

/// THE REST's maintainers whose GitHub login pushgate knows.
pub(crate) async fn the_rest(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    default_branch: &str,
    config: &Config,
) -> Result<Vec<String>, HandlerError> {
    let Some(tip) = default_tip(gh, repo, default_branch).await? else {
        return Ok(Vec::new());
    };
    let policy = ctx.policy_files(gh, repo, &tip).await?;
    let maintainers = policy.matcher.maintainers();
    let Some(rest) = maintainers.the_rest() else {
        return Ok(Vec::new());
    };
    let identities = crate::core::people::Identities::new(policy.mailmap.clone());
    let people = ctx
        .people(gh, repo, maintainers, &[], config, &identities)
        .await?;
    let mut logins: Vec<String> = people
        .iter()
        .filter(|(_, person)| {
            maintainers.sections[rest]
                .maintainers
                .iter()
                .any(|m| identities.same(m, person))
        })
        .map(|(login, _)| login.clone())
        .collect();
    logins.sort();
    Ok(logins)
}

/// The end of the hold on pull request `number` if one stands now.
pub(crate) async fn holding(
    ctx: &Context,
    repo: &RepoName,
    number: i64,
) -> Result<Option<i64>, HandlerError> {
    Ok(ctx
        .store
        .embargo(repo, number)
        .await?
        .filter(|e| {
            e.state == crate::store::Embargo::HELD
                && crate::core::embargo::holds(e.until, ctx.clock.now())
        })
        .map(|e| e.until))
}

/// May `login` hold things back (an embargo, an advisory): a committer, or a member of the
/// security team?
pub(crate) async fn may_hold(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    default_branch: &str,
    config: &Config,
    login: &str,
) -> Result<bool, HandlerError> {
    if config
        .governance
        .security_team
        .iter()
        .any(|l| l.eq_ignore_ascii_case(login))
    {
        return Ok(true);
    }
    is_committer(ctx, gh, repo, default_branch, config, login).await
}

/// The gate's dashboard issue's advisories section: those that may be shown now.
pub(crate) async fn advisories_section(
    ctx: &Context,
    repo: &RepoName,
) -> Result<String, HandlerError> {
    let now = ctx.clock.now();
    let listed: Vec<crate::core::advisory::Listed> = ctx
        .store
        .advisories(repo)
        .await?
        .into_iter()
        .filter(|a| crate::core::advisory::shown_publicly(a.private, a.disclose_at, now))
        .map(|a| crate::core::advisory::Listed {
            disclosed: a.disclose_at.is_some_and(|d| now >= d),
            name: a.name,
            number: a.number,
            fix_due: a.fix_due,
            disclosure: a.disclose_at,
        })
        .collect();
    Ok(crate::core::advisory::dashboard_section(&listed))
}

/// Starts the command given in comment `comment_id`: `None` when a run before finished it,
/// else `Some(seen)`, where `seen` says whether a run before got as far as starting it (its
/// replies may be out already: see [`reply_once`](super::reply_once)). The command is
/// recorded as started.
async fn begin_command(
    ctx: &Context,
    repo: &RepoName,
    comment_id: i64,
) -> Result<Option<bool>, HandlerError> {
    let progress = ctx.store.command(repo, comment_id).await?;
    if progress == Some(CommandProgress::Done) {
        return Ok(None);
    }
    ctx.store
        .set_command(repo, comment_id, &CommandProgress::Started, ctx.clock.now())
        .await?;
    Ok(Some(progress.is_some()))
}

/// A command given in a new comment and started ([`begin_command`]): where, by whom, and
/// whether a run before got as far as starting it.
pub(crate) struct Given {
    /// The issue or pull request it was given on.
    pub item: PrNumber,
    pub comment_id: i64,
    pub by: String,
    /// The author's account id (0 when GitHub did not say).
    pub by_id: i64,
    /// When the comment was written (Unix seconds), when GitHub says.
    pub written_at: Option<i64>,
    pub on_pull_request: bool,
    /// A run before started it: its reply may be out already.
    pub seen: bool,
}

/// What a comment gives a feature.
pub(crate) enum Heard<C> {
    /// Not this feature's command (or not a new comment).
    Nothing,
    /// This feature's command, which a run before finished.
    Done,
    Given(Given, C),
}

/// Reads a new comment's command with `read` and starts it; `what` names the command in the
/// error for a payload without its issue or comment.
pub(crate) async fn hear<C>(
    ctx: &Context,
    repo: &RepoName,
    payload: &Webhook,
    what: &str,
    read: impl FnOnce(&str) -> Option<C>,
) -> Result<Heard<C>, HandlerError> {
    let Some(said) = payload.said().filter(|e| e.action == "created") else {
        return Ok(Heard::Nothing);
    };
    let Some(command) = read(&said.comment.body) else {
        return Ok(Heard::Nothing);
    };
    let (item, comment_id) = (PrNumber::new(said.issue.number).ok(), said.comment.id);
    let Some(item) = item.filter(|_| comment_id > 0) else {
        return Err(HandlerError::Payload(format!(
            "{what} without its issue or comment"
        )));
    };
    let Some(seen) = begin_command(ctx, repo, comment_id).await? else {
        return Ok(Heard::Done);
    };
    let given = Given {
        item,
        comment_id,
        by: said.comment.login().to_string(),
        by_id: said.author_id(),
        written_at: said.comment.created(),
        on_pull_request: said.issue.is_pull_request(),
        seen,
    };
    Ok(Heard::Given(given, command))
}

/// Answers a command once where it was given, and marks it done. A refusal (`Err`) is written
/// to the governance log first, after `refused`, once however often the command runs.
pub(crate) async fn answer(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    given: &Given,
    said: Result<String, String>,
    refused: &str,
) -> Result<(), HandlerError> {
    let now = ctx.clock.now();
    let reply = match said {
        Ok(done) => done,
        Err(refusal) => {
            ctx.store
                .log_governance_once(&GovernanceEntry {
                    repo: repo.to_string(),
                    number: given.item.get(),
                    decision: given.comment_id,
                    at: now,
                    who: given.by.clone(),
                    what: format!("{refused}: {refusal}"),
                })
                .await?;
            refusal
        }
    };
    super::reply_once(gh, repo, given.item, given.comment_id, given.seen, &reply).await?;
    ctx.store
        .set_command(repo, given.comment_id, &CommandProgress::Done, now)
        .await?;
    Ok(())
}
