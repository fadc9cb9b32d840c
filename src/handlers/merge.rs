//! `/pushgate merge`: a committer lands a gated pull request on staging (SPEC §3). The PR must
//! pass `pushgate/acks` (re-evaluated now), its own required checks, and carry no blocking
//! label. Then its commits are re-created on staging's tip — each with the acks that cover the
//! files it touches as trailers (`rebase-trailers`), as one commit (`squash-trailers`), or as a
//! merge commit (`merge`) — and staging is fast-forwarded from the tip the commits were built
//! on.
//!
//! What lands is exactly what was judged: the head SHA the acks check judged is pinned, every
//! later read names that SHA, and nothing lands if the pull request's head moved meanwhile.
//! Trees are never assembled from guessed blob modes: a commit whose parent's tree is the tip's
//! keeps its own tree, and any other is merged three ways by GitHub itself (`POST /merges` on a
//! temporary branch), so modes, symlinks and submodules survive and a true conflict is refused
//! with its paths. A command is keyed by its comment: a replayed or re-run delivery finds its
//! progress in the store and does no side effect twice.

use crate::github::{BranchName, PrNumber, RepoName, Sha};
use std::collections::HashMap;

use super::gate::results_on;
use super::gather::{config, is_committer, ref_sha};
use super::{acks, Context, HandlerError};
use crate::config::{Config, MergeMethod};
use crate::core::merge::{self as rules, with_trailers};
use crate::core::pull::{trailers_for, PullVerdict};
use crate::core::say;
use crate::core::text::short;
use crate::github::model::{Commit, Pull};
use crate::github::model::{GitPerson, NewCommit};
use crate::github::webhook::Webhook;
use crate::github::{GitHubError, Installation, RefMove};
use crate::store::CommandProgress;

/// GitHub lists at most 250 commits of a comparison; a longer pull request is refused rather
/// than landed in part.
pub const MAX_COMMITS: usize = 250;

/// Does this comment ask for a merge?
pub fn asks_for_merge(body: &str) -> bool {
    // `/pushgate merge` alone on its line: a merge takes no arguments.
    body.lines()
        .any(|l| crate::core::command::find(l, &["merge"]).is_some_and(|c| c.words.is_empty()))
}

/// The command being handled: who asked, where, in which comment.
struct Command<'a> {
    repo: &'a RepoName,
    number: PrNumber,
    comment_id: i64,
    by: String,
    /// The comment's delivery was seen before (a replay, or a re-run after a crash): replies
    /// are looked for before they are posted.
    seen: bool,
    /// Landing by itself at the end of an embargo: what to say before a refusal.
    embargo: Option<String>,
}

/// Handles `/pushgate merge` on pull request `number`.
pub async fn on_command(
    ctx: &Context,
    gh: &Installation,
    installation_id: i64,
    repo: &RepoName,
    number_: PrNumber,
    payload: &Webhook,
) -> Result<(), HandlerError> {
    run(ctx, gh, installation_id, repo, number_, payload, None).await
}

/// Lands pull request `number` at the end of its embargo exactly as `/pushgate merge` would,
/// through the same checks, with `payload` standing for the command: its comment id keys the
/// progress (pushgate uses the embargo command's id, negated, so no comment shares it) and
/// its author is the committer recorded on the commits. `note` opens a refusal.
pub async fn at_embargo_end(
    ctx: &Context,
    gh: &Installation,
    installation_id: i64,
    repo: &RepoName,
    number_: PrNumber,
    payload: &Webhook,
    note: String,
) -> Result<(), HandlerError> {
    run(ctx, gh, installation_id, repo, number_, payload, Some(note)).await
}

async fn run(
    ctx: &Context,
    gh: &Installation,
    installation_id: i64,
    repo: &RepoName,
    number_: PrNumber,
    payload: &Webhook,
    embargo: Option<String>,
) -> Result<(), HandlerError> {
    let comment_id = payload.comment_id();
    if comment_id == 0 {
        return Err(HandlerError::Payload(
            "a merge command without its comment's id".to_string(),
        ));
    }
    let progress = ctx.store.command(repo, comment_id).await?;
    let cmd = Command {
        repo,
        number: number_,
        comment_id,
        by: payload.commenter().to_string(),
        seen: progress.is_some(),
        embargo,
    };
    match progress {
        Some(CommandProgress::Done) => {
            tracing::info!(
                repo = %repo,
                pr = %number_,
                comment_id,
                "merge command already handled"
            );
            return Ok(());
        }
        Some(CommandProgress::Landing { tip, report }) => {
            let staging = match config(ctx, gh, repo, payload.default_branch()).await? {
                Some(config) => config.branches.staging,
                None => crate::config::Branches::default().staging,
            };
            if contains(gh, repo, &staging, &Sha::parse(&tip)?).await? {
                return finish(ctx, gh, &cmd, &report).await;
            }
            // The ref update never happened: start again from what GitHub holds now.
        }
        Some(CommandProgress::Started) | None => {}
    }
    ctx.store
        .set_command(repo, comment_id, &CommandProgress::Started, ctx.clock.now())
        .await?;
    // A failure of the merge is answered on the pull request, where it was asked for; only a
    // transient one is left to the worker's retry.
    let refused = match attempt(ctx, gh, installation_id, &cmd, payload).await {
        Ok(refused) => refused,
        Err(e) if !e.is_transient() => Some(say::not_merged(&cmd.by, e)),
        Err(e) => return Err(e),
    };
    if let Some(why) = refused {
        let why = match &cmd.embargo {
            Some(note) => format!("{note} {why}"),
            None => why,
        };
        reply(gh, &cmd, &why).await?;
    }
    ctx.store
        .set_command(repo, comment_id, &CommandProgress::Done, ctx.clock.now())
        .await?;
    Ok(())
}

/// Checks and lands; returns the refusal to reply with, or None once landed and answered.
async fn attempt(
    ctx: &Context,
    gh: &Installation,
    installation_id: i64,
    cmd: &Command<'_>,
    payload: &Webhook,
) -> Result<Option<String>, HandlerError> {
    let (repo, number_, by) = (cmd.repo, cmd.number, &cmd.by);
    let Some(config) = config(ctx, gh, repo, payload.default_branch()).await? else {
        return Ok(Some(say::no_merge_config(by)));
    };
    if !is_committer(ctx, gh, repo, payload.default_branch(), &config, by).await? {
        return Ok(Some(say::only(by, say::COMMITTERS, "merge")));
    }
    // The repository's lane orders embargo commands and merges, so the store is current.
    if let Some(until) = super::gather::holding(ctx, repo, number_.get()).await? {
        let why = format!("{}.", crate::core::embargo::refusal(until));
        return Ok(Some(say::not_merged(by, why)));
    }
    let pr = gh.api.pull(repo, number_).await?;
    let staging = config.branches.staging.clone();
    if !pr.is_open() || pr.base.branch != staging {
        return Ok(Some(say::merges_only_into(by, &staging)));
    }
    let head = pr.head_sha()?;
    if let Some(why) = held_back(gh, repo, &pr, &head, &config).await? {
        return Ok(Some(say::not_merged(by, why)));
    }
    let Some(acks) = acks::evaluate(
        ctx,
        gh,
        installation_id,
        repo,
        number_,
        Some(pr.clone()),
        None,
    )
    .await?
    else {
        return Ok(None);
    };
    // The check may have judged a newer head than the labels and checks above were read on.
    if head != acks.head_sha {
        return Ok(Some(say::moved_while_checked(
            by,
            short(&head),
            short(&acks.head_sha),
        )));
    }
    if !acks.satisfied {
        return Ok(Some(say::acks_not_satisfied(by, &acks.title)));
    }
    let Some(verdict) = acks.verdict.as_ref() else {
        return Ok(Some(say::no_verdict(by)));
    };
    // Everything from here on is read at the judged head, never at "the pull request now".
    let judged = Judged {
        head: head.clone(),
        pr: &pr,
        verdict,
    };
    let landed = land(ctx, gh, cmd, &judged, &config, payload).await?;
    let why = match landed {
        Landed::Done { from, tip, report } => {
            ctx.store
                .set_command(
                    repo,
                    cmd.comment_id,
                    &CommandProgress::Landing {
                        tip: tip.to_string(),
                        report: report.clone(),
                    },
                    ctx.clock.now(),
                )
                .await?;
            if let Some(refused) = move_staging(gh, repo, &staging, &from, &tip).await? {
                refused
            } else {
                finish(ctx, gh, cmd, &report).await?;
                return Ok(None);
            }
        }
        Landed::Refused(why) => why,
    };
    Ok(Some(say::not_merged(by, why)))
}

/// Records the landed commits, answers, closes the pull request and marks the command done.
/// Each step may run twice after a crash; none has a second effect.
async fn finish(
    ctx: &Context,
    gh: &Installation,
    cmd: &Command<'_>,
    report: &str,
) -> Result<(), HandlerError> {
    // Written by `land` before the ref moved; an unreadable one (an older version's) still
    // closes the command, with an empty reply.
    let report: Report = serde_json::from_str(report).unwrap_or_default();
    for sha in &report.commits {
        ctx.store
            .record_landed(cmd.repo, sha, cmd.number.get())
            .await?;
    }
    reply(gh, cmd, &report.reply).await?;
    gh.api.close_pull(cmd.repo, cmd.number).await?;
    ctx.store
        .set_command(
            cmd.repo,
            cmd.comment_id,
            &CommandProgress::Done,
            ctx.clock.now(),
        )
        .await?;
    Ok(())
}

/// A merge command that failed for good (GitHub kept failing through every retry, or
/// pushgate could not record its progress) is answered on its pull request once, so the
/// committer who asked is not left waiting; the command is then done.
pub async fn show_failure(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
    what: &str,
) -> Result<(), HandlerError> {
    let comment_id = payload.comment_id();
    let Some(pr) = payload.pull_number() else {
        return Ok(());
    };
    if comment_id == 0 {
        return Ok(());
    }
    let progress = ctx.store.command(repo, comment_id).await?;
    let next = match progress {
        Some(CommandProgress::Done) => return Ok(()),
        Some(CommandProgress::Landing { tip, .. }) => {
            say::may_have_landed(crate::core::text::short(&tip))
        }
        Some(CommandProgress::Started) | None => say::NOTHING_LANDED.to_string(),
    };
    let cmd = Command {
        repo,
        number: pr,
        comment_id,
        by: payload.commenter().to_string(),
        seen: true,
        embargo: None,
    };
    let body = say::merge_unfinished(&cmd.by, what, &next);
    reply(gh, &cmd, &body).await?;
    ctx.store
        .set_command(repo, comment_id, &CommandProgress::Done, ctx.clock.now())
        .await?;
    Ok(())
}

fn method_name(method: MergeMethod) -> &'static str {
    match method {
        MergeMethod::RebaseTrailers => "rebase-trailers",
        MergeMethod::Merge => "merge",
        MergeMethod::SquashTrailers => "squash-trailers",
    }
}

/// Answers the command once (see [`super::reply_once`]).
async fn reply(gh: &Installation, cmd: &Command<'_>, body: &str) -> Result<(), HandlerError> {
    super::reply_once(gh, cmd.repo, cmd.number, cmd.comment_id, cmd.seen, body).await
}

/// Why the PR may not land yet: a blocking label, or its own required checks.
async fn held_back(
    gh: &Installation,
    repo: &RepoName,
    pr: &Pull,
    head: &Sha,
    config: &Config,
) -> Result<Option<String>, HandlerError> {
    let (labels, required) = (pr.label_names(), &config.merge.pr_required);
    if let Some(why) = rules::blocked_by_label(&labels, &config.merge.blocking_labels) {
        return Ok(Some(why));
    }
    // The checks are read only when there are some to pass (and no label holds it back).
    if required.is_empty() {
        return Ok(None);
    }
    let results = results_on(gh, repo, head).await?;
    Ok(rules::required_not_passed(required, &results))
}

/// What the acks check judged: the head SHA it pinned and its verdict.
struct Judged<'a> {
    head: Sha,
    pr: &'a Pull,
    verdict: &'a PullVerdict,
}

enum Landed {
    /// The commits are built on staging's tip `from`; `tip` is the new staging tip, `report`
    /// the stored progress (JSON: the reply and the landed commits).
    Done { from: Sha, tip: Sha, report: String },
    /// Nothing landed, and why.
    Refused(String),
}

/// Git objects read while building: commit → (tree, parents), each read once.
#[derive(Default)]
struct Objects(HashMap<Sha, (Sha, Vec<Sha>)>);

impl Objects {
    async fn commit(
        &mut self,
        gh: &Installation,
        repo: &RepoName,
        sha: &Sha,
    ) -> Result<(Sha, Vec<Sha>), HandlerError> {
        if let Some(found) = self.0.get(sha) {
            return Ok(found.clone());
        }
        let commit = gh.api.git_commit(repo, sha).await?;
        let parents = commit
            .parents
            .iter()
            .map(|p| Sha::parse(&p.sha))
            .collect::<Result<Vec<_>, _>>()?;
        let found = (Sha::parse(&commit.tree.sha)?, parents);
        self.0.insert(sha.clone(), found.clone());
        Ok(found)
    }
}

/// Re-creates the judged commits on staging's tip and returns the new tip (staging is not
/// moved here).
async fn land(
    ctx: &Context,
    gh: &Installation,
    cmd: &Command<'_>,
    judged: &Judged<'_>,
    config: &Config,
    payload: &Webhook,
) -> Result<Landed, HandlerError> {
    let repo = cmd.repo;
    let staging = &config.branches.staging;
    let Some(tip) = ref_sha(gh, repo, staging).await? else {
        return Err(HandlerError::Setup(format!(
            "{repo} has no branch `{staging}` (`branches.staging` in the config)"
        )));
    };
    // The judged commits, listed at the judged head: whatever was pushed since is not here.
    let range = gh
        .api
        .compare(repo, (&tip).into(), (&judged.head).into())
        .await?;
    let commits = &range.commits;
    let total = usize::try_from(range.total_commits).unwrap_or(usize::MAX);
    if total > MAX_COMMITS || commits.len() != total {
        return Ok(Landed::Refused(say::why_not::too_many_commits(
            total,
            MAX_COMMITS,
        )));
    }
    if commits.is_empty() {
        return Ok(Landed::Refused(say::why_not::nothing_to_land(staging)));
    }
    let fork = Sha::parse(
        range
            .merge_base_commit
            .as_ref()
            .map_or("", |c| c.sha.as_str()),
    )?;
    let mut objects = Objects::default();
    let mut builder = Builder {
        ctx,
        gh,
        repo,
        comment_id: cmd.comment_id,
        temporary: 0,
        committer: committer(payload),
    };
    let mut current = tip.clone();
    let mut made: Vec<(Sha, String)> = Vec::new();
    match config.merge.method {
        MergeMethod::RebaseTrailers => {
            for c in commits {
                let sha = Sha::parse(&c.sha)?;
                let (_, parents) = objects.commit(gh, repo, &sha).await?;
                let [parent] = parents.as_slice() else {
                    return Ok(Landed::Refused(say::why_not::merge_commit(short(&sha))));
                };
                let Some(files) = ctx.changed_between(gh, repo, parent, &sha).await? else {
                    return Ok(Landed::Refused(say::why_not::files_unlisted(short(&sha))));
                };
                let tree = match builder.pick(&mut objects, &current, parent, &sha).await? {
                    Ok(tree) => tree,
                    Err(paths) => {
                        return Ok(Landed::Refused(say::why_not::conflict(staging, &paths)))
                    }
                };
                let touches = |f: &str| files.iter().any(|t| t == f);
                let given = trailers_for(judged.verdict, touches);
                let message = c.commit.message.clone();
                let new = builder
                    .commit(
                        &tree,
                        with_trailers(&message, &given),
                        vec![current.clone()],
                        author_of(c),
                    )
                    .await?;
                made.push((
                    new.clone(),
                    format!("`{}` {}", short(&new), first_line(&message)),
                ));
                current = new;
            }
        }
        MergeMethod::SquashTrailers | MergeMethod::Merge => {
            let tree = match builder
                .pick(&mut objects, &current, &fork, &judged.head)
                .await?
            {
                Ok(tree) => tree,
                Err(paths) => return Ok(Landed::Refused(say::why_not::conflict(staging, &paths))),
            };
            let (title, body) = (&judged.pr.title, &judged.pr.body);
            let given = crate::core::pull::trailers_to_record(judged.verdict);
            let message = with_trailers(&format!("{title}\n\n{body}"), &given);
            let parents = if config.merge.method == MergeMethod::Merge {
                vec![current.clone(), judged.head.clone()]
            } else {
                vec![current.clone()]
            };
            let author = commits.first().and_then(author_of);
            let new = builder.commit(&tree, message, parents, author).await?;
            made.push((new.clone(), format!("`{}` {}", short(&new), title)));
            current = new;
        }
    }
    // The pull request must still be at the head that was judged.
    let now = gh.api.pull(repo, cmd.number).await?;
    let head_now = now.head.sha.clone();
    if judged.head != head_now || !now.is_open() {
        return Ok(Landed::Refused(say::why_not::moved_since_check(
            short(&judged.head),
            short(&head_now),
        )));
    }
    let list: String = made.iter().map(|(_, line)| format!("- {line}\n")).collect();
    let method = method_name(config.merge.method);
    let reply = say::merged(&cmd.by, staging, method, &list, cmd.embargo.is_some());
    let report = Report {
        reply,
        commits: made.into_iter().map(|(sha, _)| sha.to_string()).collect(),
    };
    Ok(Landed::Done {
        from: tip,
        tip: current,
        report: serde_json::to_string(&report).unwrap_or_default(),
    })
}

/// What a landing leaves to finish once staging holds its commits: the reply to give and the
/// commits to record, kept with the command's progress so that a re-run after a crash gives
/// the same.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
struct Report {
    reply: String,
    commits: Vec<String>,
}

/// Moves `branch` from exactly `from` to `to` by fast-forward, never forced: GitHub checks
/// both at once, so a branch rewound or advanced meanwhile stays as it is. Returns the refusal
/// when it moved.
async fn move_staging(
    gh: &Installation,
    repo: &RepoName,
    branch: &BranchName,
    from: &Sha,
    to: &Sha,
) -> Result<Option<String>, HandlerError> {
    match gh.api.fast_forward(repo, branch, from, to).await? {
        RefMove::Moved => Ok(None),
        RefMove::Refused(why) => {
            tracing::info!(repo = %repo, %branch, %from, %to, why, "staging was not moved");
            Ok(Some(say::why_not::branch_moved(branch)))
        }
    }
}

/// Is `sha` on `branch` (its tip or an ancestor of it)?
async fn contains(
    gh: &Installation,
    repo: &RepoName,
    branch: &BranchName,
    sha: &Sha,
) -> Result<bool, HandlerError> {
    let Some(tip) = ref_sha(gh, repo, branch).await? else {
        return Ok(false);
    };
    if tip == *sha {
        return Ok(true);
    }
    match gh.api.compare(repo, sha.into(), (&tip).into()).await {
        Ok(compare) => Ok(matches!(compare.status.as_str(), "ahead" | "identical")),
        Err(e) if e.not_found() => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Builds commits for one command.
struct Builder<'a> {
    ctx: &'a Context,
    gh: &'a Installation,
    repo: &'a RepoName,
    comment_id: i64,
    /// Temporary branches made so far (each name is used once).
    temporary: u32,
    /// The committer who asked, recorded as the git committer of every commit made.
    committer: GitPerson,
}

impl Builder<'_> {
    /// The tree of `onto` with the change `from` → `to` applied, or the paths that conflict.
    /// When `onto`'s tree is `from`'s, that is `to`'s own tree; otherwise GitHub merges it
    /// three ways (base `from`) on a temporary branch.
    async fn pick(
        &mut self,
        objects: &mut Objects,
        onto: &Sha,
        from: &Sha,
        to: &Sha,
    ) -> Result<Result<Sha, Vec<String>>, HandlerError> {
        let (onto_tree, _) = objects.commit(self.gh, self.repo, onto).await?;
        let (from_tree, _) = objects.commit(self.gh, self.repo, from).await?;
        let (to_tree, _) = objects.commit(self.gh, self.repo, to).await?;
        if onto_tree == from_tree {
            return Ok(Ok(to_tree));
        }
        if to_tree == from_tree {
            return Ok(Ok(onto_tree));
        }
        // A sibling of `to`: `onto`'s tree on `to`'s parent. Merging `to` into it is git's
        // cherry-pick: three ways, with `from` as the base.
        let sibling = NewCommit {
            message: "pushgate: temporary commit for a three-way merge".to_string(),
            tree: onto_tree.to_string(),
            parents: vec![from.to_string()],
            author: None,
            committer: None,
        };
        let sibling = self
            .gh
            .api
            .create_git_commit(self.repo, &sibling)
            .await?
            .sha;
        let sibling = Sha::parse(&sibling)?;
        self.temporary += 1;
        let branch = BranchName::parse(&format!(
            "pushgate-tmp/{}-{}",
            self.comment_id, self.temporary
        ))?;
        let created = self
            .gh
            .api
            .create_branch(self.repo, &branch, &sibling)
            .await;
        match created {
            Ok(_) => {}
            // Left by a run that crashed: it is ours, and holds nothing worth keeping.
            Err(GitHubError::Refused { status: 422, .. }) => {
                self.delete_branch(&branch).await?;
                self.gh
                    .api
                    .create_branch(self.repo, &branch, &sibling)
                    .await?;
            }
            Err(e) => return Err(e.into()),
        }
        let merged = self
            .gh
            .api
            .merge(self.repo, &branch, to.into(), "pushgate: temporary merge")
            .await;
        let deleted = self.delete_branch(&branch).await;
        let tree = match merged {
            Ok(merge) => Ok(Sha::parse(&merge.commit.tree.sha)?),
            Err(GitHubError::Refused { status: 409, .. }) => {
                // Which paths: those both sides changed since `from`.
                let (ctx, gh, repo) = (self.ctx, self.gh, self.repo);
                let ours = ctx.changed_between(gh, repo, from, &sibling).await?;
                let theirs = ctx.changed_between(gh, repo, from, to).await?;
                let (ours, theirs) = (ours.unwrap_or_default(), theirs.unwrap_or_default());
                Err(ours.into_iter().filter(|p| theirs.contains(p)).collect())
            }
            Err(e) => return Err(e.into()),
        };
        deleted?;
        Ok(tree)
    }

    async fn delete_branch(&self, branch: &BranchName) -> Result<(), HandlerError> {
        match self.gh.api.delete_branch(self.repo, branch).await {
            Ok(_) => Ok(()),
            Err(GitHubError::Refused {
                status: 404 | 422, ..
            }) => Ok(()),
            Err(e) => Err(e.into()),
        }
    }

    /// A new commit (on no branch) with the committer who asked.
    async fn commit(
        &self,
        tree: &Sha,
        message: String,
        parents: Vec<Sha>,
        author: Option<GitPerson>,
    ) -> Result<Sha, HandlerError> {
        let commit = NewCommit {
            message,
            tree: tree.to_string(),
            parents: parents.iter().map(Sha::to_string).collect(),
            author,
            committer: Some(self.committer.clone()),
        };
        let made = self.gh.api.create_git_commit(self.repo, &commit).await?;
        Ok(Sha::parse(&made.sha)?)
    }
}

/// The committer who gave the command, as git's committer: their login at the no-reply
/// address GitHub links to their account (`id+login@users.noreply.github.com`).
fn committer(payload: &Webhook) -> GitPerson {
    let (login, id) = (payload.commenter(), payload.commenter_id());
    GitPerson {
        name: login.to_string(),
        email: format!("{id}+{login}@users.noreply.github.com"),
        date: None,
    }
}

/// A commit's author as git recorded it (its date kept), when GitHub says.
fn author_of(commit: &Commit) -> Option<GitPerson> {
    commit.commit.author.clone()
}

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or("")
}
