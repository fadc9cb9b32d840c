//! `/pushgate merge`: a committer lands a gated pull request on staging (SPEC §3). The PR must
//! pass `pushgate/acks` (re-evaluated now), its own required checks, and carry no blocking
//! label. Then its commits are re-created on staging's tip through the Git Data API — with the
//! acks that satisfied the check as trailers (`rebase-trailers`), as one commit
//! (`squash-trailers`), or as a merge commit (`merge`) — and staging is fast-forwarded from the
//! tip the commits were built on. Nothing lands on a conflict or a moved tip.

use serde_json::{json, Value};

use super::gate::{config, is_committer, ref_sha, results_on};
use super::{acks, Context, HandlerError};
use crate::config::{Config, MergeMethod};
use crate::core::gate::{short, wildcard, Outcome};
use crate::core::merge::{with_trailers, Given};
use crate::github::{number, segment, text, GitHubError, Installation, Method};

/// Does this comment ask for a merge?
pub fn asks_for_merge(body: &str) -> bool {
    body.lines().any(|l| l.trim() == "/pushgate merge")
}

/// Handles `/pushgate merge` on pull request `number`.
pub async fn on_command(
    ctx: &Context,
    gh: &Installation,
    installation_id: i64,
    repo: &str,
    number_: i64,
    payload: &Value,
) -> Result<(), HandlerError> {
    let by = text(payload, "/comment/user/login");
    let Some(config) = config(ctx, gh, repo, payload).await? else {
        return reply(
            gh,
            repo,
            number_,
            &format!("@{by}: pushgate has no configuration to merge with."),
        )
        .await;
    };
    if !is_committer(ctx, gh, repo, payload, &config, &by).await? {
        return reply(
            gh,
            repo,
            number_,
            &format!("@{by}: only committers can merge; nothing changed."),
        )
        .await;
    }
    let pr = gh
        .api
        .get(&format!("/repos/{repo}/pulls/{number_}"))
        .await?;
    let staging = config.branches.staging.clone();
    if text(&pr, "/state") != "open" || text(&pr, "/base/ref") != staging {
        return reply(
            gh,
            repo,
            number_,
            &format!("@{by}: only open pull requests into `{staging}` can be merged here."),
        )
        .await;
    }
    let head = text(&pr, "/head/sha");
    if let Some(why) = held_back(gh, repo, &pr, &head, &config).await? {
        return reply(gh, repo, number_, &format!("@{by}: not merged: {why}")).await;
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
        return Ok(());
    };
    if !acks.satisfied {
        return reply(gh, repo, number_, &format!("@{by}: not merged: `pushgate/acks` is not satisfied ({}). See the check for what is missing.", acks.title)).await;
    }
    match land(gh, repo, &pr, &config, &acks.given).await? {
        Landed::Done(commits) => {
            for (sha, _) in &commits {
                ctx.store.record_landed(repo, sha, number_).await?;
            }
            let list: String = commits.iter().map(|(_, line)| format!("- {line}\n")).collect();
            reply(gh, repo, number_, &format!("Merged by @{by} into `{staging}` ({}):\n\n{list}", method_name(config.merge.method))).await?;
            gh.api
                .call(Method::Patch, &format!("/repos/{repo}/pulls/{number_}"), Some(&json!({ "state": "closed" })))
                .await?;
            Ok(())
        }
        Landed::Conflict(files) => reply(gh, repo, number_, &format!(
            "@{by}: not merged: `{staging}` changed {} since this pull request was based on it. Rebase the pull request on `{staging}` and ask again.",
            files.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
        )).await,
        Landed::Moved => reply(gh, repo, number_, &format!(
            "@{by}: not merged: `{staging}` moved while the commits were being built; nothing landed. Ask again with `/pushgate merge`."
        )).await,
    }
}

fn method_name(method: MergeMethod) -> &'static str {
    match method {
        MergeMethod::RebaseTrailers => "rebase-trailers",
        MergeMethod::Merge => "merge",
        MergeMethod::SquashTrailers => "squash-trailers",
    }
}

async fn reply(
    gh: &Installation,
    repo: &str,
    number_: i64,
    body: &str,
) -> Result<(), HandlerError> {
    gh.api
        .call(
            Method::Post,
            &format!("/repos/{repo}/issues/{number_}/comments"),
            Some(&json!({ "body": body })),
        )
        .await?;
    Ok(())
}

/// Why the PR may not land yet: a blocking label, or its own required checks.
async fn held_back(
    gh: &Installation,
    repo: &str,
    pr: &Value,
    head: &str,
    config: &Config,
) -> Result<Option<String>, HandlerError> {
    let labels = crate::github::label_names(pr);
    if let Some(label) = labels
        .iter()
        .find(|l| config.merge.blocking_labels.contains(l))
    {
        return Ok(Some(format!("the label `{label}` holds it back")));
    }
    if config.merge.pr_required.is_empty() {
        return Ok(None);
    }
    let results = results_on(gh, repo, head).await?;
    for required in &config.merge.pr_required {
        let matching: Vec<&(String, Outcome)> = results
            .iter()
            .filter(|(n, _)| wildcard(required, n))
            .collect();
        if matching.is_empty() || matching.iter().any(|(_, o)| *o != Outcome::Passed) {
            return Ok(Some(format!(
                "the required check `{required}` has not passed on the head"
            )));
        }
    }
    Ok(None)
}

enum Landed {
    /// The new commits: (sha, one line for the comment).
    Done(Vec<(String, String)>),
    Conflict(Vec<String>),
    Moved,
}

/// A file change: path and the blob it becomes (None: deleted).
type Change = (String, Option<String>);

async fn changes(
    gh: &Installation,
    repo: &str,
    from: &str,
    to: &str,
) -> Result<Vec<Change>, HandlerError> {
    let compare = gh
        .api
        .get(&format!("/repos/{repo}/compare/{from}...{to}"))
        .await?;
    let mut out = Vec::new();
    for f in compare
        .get("files")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let path = text(f, "/filename");
        match text(f, "/status").as_str() {
            "removed" => out.push((path, None)),
            "renamed" => {
                out.push((text(f, "/previous_filename"), None));
                out.push((path, Some(text(f, "/sha"))));
            }
            _ => out.push((path, Some(text(f, "/sha")))),
        }
    }
    Ok(out)
}

async fn land(
    gh: &Installation,
    repo: &str,
    pr: &Value,
    config: &Config,
    given: &[Given],
) -> Result<Landed, HandlerError> {
    let staging = &config.branches.staging;
    let Some(tip) = ref_sha(gh, repo, staging).await? else {
        return Err(HandlerError::Payload(format!(
            "{repo} has no branch {staging}"
        )));
    };
    let head = text(pr, "/head/sha");
    // What staging changed since the PR's fork point, and what the PR changes.
    let fork = gh
        .api
        .get(&format!("/repos/{repo}/compare/{tip}...{head}"))
        .await?;
    let base = text(&fork, "/merge_base_commit/sha");
    let theirs: Vec<String> = changes(gh, repo, &base, &tip)
        .await?
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    let ours = changes(gh, repo, &base, &head).await?;
    // Conservative: the same file changed on both sides is a conflict for a human to resolve.
    let clash: Vec<String> = ours
        .iter()
        .filter(|(p, _)| theirs.contains(p))
        .map(|(p, _)| p.clone())
        .collect();
    if !clash.is_empty() {
        return Ok(Landed::Conflict(clash));
    }
    let commits = gh
        .api
        .get_list(
            &format!("/repos/{repo}/pulls/{}/commits", number(pr, "/number")),
            3,
        )
        .await?;
    let mut current = tip.clone();
    let mut made = Vec::new();
    match config.merge.method {
        MergeMethod::RebaseTrailers => {
            for c in &commits {
                let sha = text(c, "/sha");
                let parent = c
                    .pointer("/parents/0/sha")
                    .and_then(Value::as_str)
                    .unwrap_or(&base)
                    .to_string();
                let entries = changes(gh, repo, &parent, &sha).await?;
                let message = with_trailers(&text(c, "/commit/message"), given);
                let new = build_commit(
                    gh,
                    repo,
                    tree_of(gh, repo, &current).await?,
                    entries,
                    message,
                    vec![current.clone()],
                    author_of(c),
                )
                .await?;
                let line = format!(
                    "`{}` {}",
                    short(&new),
                    first_line(&text(c, "/commit/message"))
                );
                made.push((new.clone(), line));
                current = new;
            }
        }
        MergeMethod::SquashTrailers | MergeMethod::Merge => {
            let title = text(pr, "/title");
            let body = text(pr, "/body");
            let message = with_trailers(&format!("{title}\n\n{body}"), given);
            let parents = if config.merge.method == MergeMethod::Merge {
                vec![current.clone(), head.clone()]
            } else {
                vec![current.clone()]
            };
            let author = commits.first().map(author_of).unwrap_or(Value::Null);
            let new = build_commit(
                gh,
                repo,
                tree_of(gh, repo, &current).await?,
                ours.clone(),
                message,
                parents,
                author,
            )
            .await?;
            made.push((new.clone(), format!("`{}` {}", short(&new), title)));
            current = new;
        }
    }
    // Fast-forward only from the tip the commits were built on.
    let moved = gh
        .api
        .call(
            Method::Patch,
            &format!("/repos/{repo}/git/refs/heads/{}", segment(staging)),
            Some(&json!({ "sha": current, "force": false })),
        )
        .await;
    match moved {
        Ok(_) => Ok(Landed::Done(made)),
        Err(GitHubError::Refused { status: 422, .. }) => Ok(Landed::Moved),
        Err(e) => Err(e.into()),
    }
}

/// A new commit: `base_tree` with `entries` applied, with `message`, `parents` and `author`.
async fn build_commit(
    gh: &Installation,
    repo: &str,
    base_tree: String,
    entries: Vec<Change>,
    message: String,
    parents: Vec<String>,
    author: Value,
) -> Result<String, HandlerError> {
    let tree_entries: Vec<Value> = entries
        .into_iter()
        .map(|(path, sha)| json!({ "path": path, "mode": "100644", "type": "blob", "sha": sha }))
        .collect();
    let tree = gh
        .api
        .call(
            Method::Post,
            &format!("/repos/{repo}/git/trees"),
            Some(&json!({ "base_tree": base_tree, "tree": tree_entries })),
        )
        .await?;
    let commit = gh
        .api
        .call(
            Method::Post,
            &format!("/repos/{repo}/git/commits"),
            Some(&json!({ "message": message, "tree": text(&tree, "/sha"), "parents": parents, "author": author })),
        )
        .await?;
    Ok(text(&commit, "/sha"))
}

async fn tree_of(gh: &Installation, repo: &str, commit: &str) -> Result<String, HandlerError> {
    let value = gh
        .api
        .get(&format!("/repos/{repo}/git/commits/{commit}"))
        .await?;
    Ok(text(&value, "/tree/sha"))
}

fn author_of(commit: &Value) -> Value {
    commit
        .pointer("/commit/author")
        .cloned()
        .unwrap_or(Value::Null)
}

fn first_line(message: &str) -> &str {
    message.lines().next().unwrap_or("")
}
