//! Pull requests: the list, one, its files, reviews, inline review comments, requested
//! reviewers (read and `POST`) and commits, and `PATCH` (state, title, body).

use serde_json::{json, Map, Value};

use super::{not_found, paged, repo, repo_mut, string_field, Reply, Request};
use crate::sim::shapes;
use crate::sim::state::{Repo, World};

/// GitHub's truncation of long lists, which it does without an error: a pull request's
/// files (3,000) and its commits (250).
const LIST_LIMIT_PULL_FILES: usize = 3000;
const LIST_LIMIT_COMMITS: usize = 250;

/// What is asked of a repository's pull requests (`/pulls…`).
#[derive(Debug)]
pub(super) enum PullOp {
    List,
    One(u64),
    Files(u64),
    Reviews(u64),
    ReviewComments(u64),
    RequestedReviewers(u64),
    RequestReviewers(u64),
    Commits(u64),
    Update(u64),
}

/// Answers a pull request operation on the repository `name` (already found visible to the caller).
pub(super) fn handle(w: &mut World, name: &str, op: PullOp, req: &Request) -> Result<Reply, Reply> {
    let now = w.now();
    match op {
        PullOp::List => list_pulls(repo(w, name)?, req, now),
        PullOp::One(n) => {
            let r = repo(w, name)?;
            let pr = r.pulls.get(&n).ok_or_else(not_found)?;
            Ok(Reply::ok(shapes::pull(r, pr, true, now)))
        }
        PullOp::Files(n) => {
            let r = repo(w, name)?;
            let pr = r.pulls.get(&n).ok_or_else(not_found)?;
            let base = r.merge_base(&pr.base_sha, &pr.head_sha);
            let files = r
                .diff(base.as_deref(), &pr.head_sha)
                .iter()
                .take(LIST_LIMIT_PULL_FILES)
                .map(|c| shapes::file(r, &pr.head_sha, c))
                .collect();
            Ok(paged(req, files))
        }
        PullOp::Reviews(n) => {
            let r = repo(w, name)?;
            let pr = r.pulls.get(&n).ok_or_else(not_found)?;
            let reviews = pr
                .reviews
                .iter()
                .map(|rv| shapes::review(r, n, rv, false))
                .collect();
            Ok(paged(req, reviews))
        }
        PullOp::ReviewComments(n) => {
            let r = repo(w, name)?;
            if !r.pulls.contains_key(&n) {
                return Err(not_found());
            }
            let comments = w
                .review_comments
                .iter()
                .filter(|c| c.repo == r.full_name.to_ascii_lowercase() && c.pull == n)
                .map(|c| shapes::review_comment(r, c))
                .collect();
            Ok(paged(req, comments))
        }
        PullOp::Commits(n) => {
            let r = repo(w, name)?;
            let pr = r.pulls.get(&n).ok_or_else(not_found)?;
            let commits = r
                .only_in(&pr.head_sha, &pr.base_sha)
                .into_iter()
                .take(LIST_LIMIT_COMMITS)
                .map(|c| shapes::commit(r, c))
                .collect();
            Ok(paged(req, commits))
        }
        PullOp::RequestedReviewers(n) => {
            let r = repo(w, name)?;
            let pr = r.pulls.get(&n).ok_or_else(not_found)?;
            let users: Vec<Value> = pr.requested.iter().map(|l| shapes::user(l)).collect();
            Ok(Reply::ok(json!({ "users": users, "teams": [] })))
        }
        PullOp::RequestReviewers(n) => request_reviewers(repo_mut(w, name)?, n, req, now),
        PullOp::Update(n) => update_pull(repo_mut(w, name)?, n, &req.json_object()?, now),
    }
}

fn list_pulls(r: &Repo, req: &Request, now: i64) -> Result<Reply, Reply> {
    let state = req.param("state").unwrap_or("open");
    if !["open", "closed", "all"].contains(&state) {
        return Err(Reply::validation("PullRequest", "state", "invalid"));
    }
    let base = req.param("base");
    // `head` is `owner:branch`.
    let head = req
        .param("head")
        .map(|h| h.split_once(':').map_or(h, |(_, branch)| branch));
    let mut pulls: Vec<_> = r
        .pulls
        .values()
        .filter(|p| match state {
            "open" => p.open,
            "closed" => !p.open,
            _ => true,
        })
        .filter(|p| base.is_none_or(|b| p.base_ref == b))
        .filter(|p| head.is_none_or(|h| p.head_ref == h))
        .collect();
    // Newest first, GitHub's default (`sort=created`, `direction=desc`).
    if req.param("direction") != Some("asc") {
        pulls.reverse();
    }
    let all = pulls
        .into_iter()
        .map(|p| shapes::pull(r, p, false, now))
        .collect();
    Ok(paged(req, all))
}

/// `PATCH /pulls/{n}`: `state` (`open` or `closed`), `title`, `body`. Reopening needs the head
/// branch and an unmerged pull request; it catches up with both branches' tips.
fn update_pull(r: &mut Repo, n: u64, body: &Map<String, Value>, now: i64) -> Result<Reply, Reply> {
    let state = string_field(body, "state")?;
    let title = string_field(body, "title")?;
    let text = string_field(body, "body")?;
    let pr = r.pulls.get(&n).ok_or_else(not_found)?;
    let reopen = match state.as_deref() {
        None => false,
        Some("closed") => false,
        Some("open") => !pr.open,
        Some(_) => return Err(Reply::validation("PullRequest", "state", "invalid")),
    };
    let tips = if reopen {
        let cannot = || {
            Reply::validation("PullRequest", "state", "invalid")
                .with_message("state cannot be changed. The pull request cannot be reopened.")
        };
        if pr.merged_at.is_some() {
            return Err(cannot());
        }
        let head = r.branches.get(&pr.head_ref).cloned().ok_or_else(cannot)?;
        let base = r.branches.get(&pr.base_ref).cloned().ok_or_else(cannot)?;
        Some((head, base))
    } else {
        None
    };
    let pr = r.pulls.get_mut(&n).ok_or_else(not_found)?;
    if state.as_deref() == Some("closed") && pr.open {
        pr.open = false;
        pr.closed_at = Some(now);
    }
    if let Some((head, base)) = tips {
        pr.open = true;
        pr.closed_at = None;
        pr.head_sha = head;
        pr.base_sha = base;
    }
    if let Some(title) = title {
        pr.title = title;
    }
    if let Some(text) = text {
        pr.body = text;
    }
    pr.updated_at = now;
    let pr = pr.clone();
    Ok(Reply::ok(shapes::pull(r, &pr, true, now)))
}

/// `POST …/pulls/{n}/requested_reviewers`: GitHub refuses (422) the author and anyone who is
/// not a collaborator, the whole request at once.
fn request_reviewers(r: &mut Repo, n: u64, req: &Request, now: i64) -> Result<Reply, Reply> {
    let body = req.json()?;
    let Some(list) = body.get("reviewers").and_then(Value::as_array) else {
        return Err(Reply::invalid("`reviewers` must be an array of logins"));
    };
    let logins: Vec<String> = list
        .iter()
        .map(|l| l.as_str().map(str::to_string))
        .collect::<Option<_>>()
        .ok_or_else(|| Reply::invalid("`reviewers` must be an array of logins"))?;
    let author = r.pulls.get(&n).ok_or_else(not_found)?.user.clone();
    if logins.iter().any(|l| l.eq_ignore_ascii_case(&author)) {
        return Err(Reply::error(
            422,
            "Review cannot be requested from pull request author.",
        ));
    }
    if !logins.iter().all(|l| r.is_collaborator(l)) {
        let full = r.full_name.clone();
        return Err(Reply::error(
            422,
            &format!(
                "Reviews may only be requested from collaborators. One or more of the users or \
                 teams you specified is not a collaborator of the {full} repository."
            ),
        ));
    }
    let pr = r.pulls.get_mut(&n).ok_or_else(not_found)?;
    for login in logins {
        if !pr.requested.iter().any(|l| l.eq_ignore_ascii_case(&login)) {
            pr.requested.push(login);
        }
    }
    let pr = r.pulls.get(&n).ok_or_else(not_found)?;
    Ok(Reply::created(shapes::pull(r, pr, true, now)))
}
