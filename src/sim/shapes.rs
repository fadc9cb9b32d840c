//! GitHub's object shapes, built from the fake's state. Field lists follow the real payloads
//! (`corpus/github/webhook-examples.json` and the REST reference) so that strict parsers such as
//! octocrab's models accept them; URLs point at github.com as real objects do.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use serde_json::{json, Map, Value};

use super::state::{
    blob_sha, digest40, CheckRun, Comment, Commit, FileChange, Issue, Label, Pull, Repo, Review,
};

pub(crate) const API: &str = "https://api.github.com";
pub(crate) const WEB: &str = "https://github.com";
/// The login the simulated App acts as (comments, check runs).
pub const BOT_LOGIN: &str = "pushgate[bot]";
pub(crate) const APP_ID: u64 = 424_242;

pub(crate) fn time(secs: i64) -> Value {
    match chrono::DateTime::from_timestamp(secs, 0) {
        Some(t) => Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        None => Value::Null,
    }
}

fn opt_time(secs: Option<i64>) -> Value {
    secs.map_or(Value::Null, time)
}

/// A stable id per login, so the same person always has the same `id`.
pub(crate) fn user_id(login: &str) -> u64 {
    let hex = digest40(&format!("user:{}", login.to_ascii_lowercase()));
    u64::from_str_radix(&hex[..7], 16).unwrap_or(1) + 1
}

/// A repository's GraphQL node id, as `GET /repos/{o}/{r}` gives it.
pub(crate) fn repository_node_id(repo: &Repo) -> String {
    node_id("10:Repository", repo.id)
}

pub(crate) fn comment_node_id(id: u64) -> String {
    node_id("12:IssueComment", id)
}

pub(crate) fn review_comment_node_id(id: u64) -> String {
    node_id("24:PullRequestReviewComment", id)
}

fn node_id(kind: &str, id: u64) -> String {
    // Real node ids are opaque base64; only their presence matters.
    STANDARD.encode(format!("0{kind}{id}").as_bytes())
}

pub(crate) fn user(login: &str) -> Value {
    let kind = if login.ends_with("[bot]") {
        "Bot"
    } else {
        "User"
    };
    account(login, kind)
}

pub(crate) fn account(login: &str, kind: &str) -> Value {
    let id = user_id(login);
    let url = format!("{API}/users/{login}");
    json!({
        "login": login,
        "id": id,
        "node_id": node_id("4:User", id),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "gravatar_id": "",
        "url": url,
        "html_url": format!("{WEB}/{login}"),
        "followers_url": format!("{url}/followers"),
        "following_url": format!("{url}/following{{/other_user}}"),
        "gists_url": format!("{url}/gists{{/gist_id}}"),
        "starred_url": format!("{url}/starred{{/owner}}{{/repo}}"),
        "subscriptions_url": format!("{url}/subscriptions"),
        "organizations_url": format!("{url}/orgs"),
        "repos_url": format!("{url}/repos"),
        "events_url": format!("{url}/events{{/privacy}}"),
        "received_events_url": format!("{url}/received_events"),
        "type": kind,
        "user_view_type": "public",
        "site_admin": false,
    })
}

pub(crate) fn repository(repo: &Repo, pushed_at: i64) -> Value {
    let full = &repo.full_name;
    let url = format!("{API}/repos/{full}");
    let mut obj = Map::new();
    let open_issues = repo.pulls.values().filter(|p| p.open).count();
    let head = json!({
        "id": repo.id,
        "node_id": repository_node_id(repo),
        "name": repo.name(),
        "full_name": full,
        "private": false,
        "owner": account(repo.owner(), "Organization"),
        "html_url": format!("{WEB}/{full}"),
        "description": null,
        "fork": false,
        "url": url,
    });
    if let Value::Object(head) = head {
        obj.extend(head);
    }
    let templated = [
        ("forks_url", "/forks"),
        ("keys_url", "/keys{/key_id}"),
        ("collaborators_url", "/collaborators{/collaborator}"),
        ("teams_url", "/teams"),
        ("hooks_url", "/hooks"),
        ("issue_events_url", "/issues/events{/number}"),
        ("events_url", "/events"),
        ("assignees_url", "/assignees{/user}"),
        ("branches_url", "/branches{/branch}"),
        ("tags_url", "/tags"),
        ("blobs_url", "/git/blobs{/sha}"),
        ("git_tags_url", "/git/tags{/sha}"),
        ("git_refs_url", "/git/refs{/sha}"),
        ("trees_url", "/git/trees{/sha}"),
        ("statuses_url", "/statuses/{sha}"),
        ("languages_url", "/languages"),
        ("stargazers_url", "/stargazers"),
        ("contributors_url", "/contributors"),
        ("subscribers_url", "/subscribers"),
        ("subscription_url", "/subscription"),
        ("commits_url", "/commits{/sha}"),
        ("git_commits_url", "/git/commits{/sha}"),
        ("comments_url", "/comments{/number}"),
        ("issue_comment_url", "/issues/comments{/number}"),
        ("contents_url", "/contents/{+path}"),
        ("compare_url", "/compare/{base}...{head}"),
        ("merges_url", "/merges"),
        ("archive_url", "/{archive_format}{/ref}"),
        ("downloads_url", "/downloads"),
        ("issues_url", "/issues{/number}"),
        ("pulls_url", "/pulls{/number}"),
        ("milestones_url", "/milestones{/number}"),
        (
            "notifications_url",
            "/notifications{?since,all,participating}",
        ),
        ("labels_url", "/labels{/name}"),
        ("releases_url", "/releases{/id}"),
        ("deployments_url", "/deployments"),
    ];
    for (key, suffix) in templated {
        obj.insert(key.into(), Value::String(format!("{url}{suffix}")));
    }
    let tail = json!({
        "created_at": time(repo.created_at),
        "updated_at": time(pushed_at),
        "pushed_at": time(pushed_at),
        "git_url": format!("git://github.com/{full}.git"),
        "ssh_url": format!("git@github.com:{full}.git"),
        "clone_url": format!("{WEB}/{full}.git"),
        "svn_url": format!("{WEB}/{full}"),
        "homepage": null,
        "size": 0,
        "stargazers_count": 0,
        "watchers_count": 0,
        "language": null,
        "has_issues": true,
        "has_projects": true,
        "has_downloads": true,
        "has_wiki": true,
        "has_pages": false,
        "has_discussions": false,
        "forks_count": 0,
        "mirror_url": null,
        "archived": false,
        "disabled": false,
        "open_issues_count": open_issues,
        "license": null,
        "allow_forking": true,
        "is_template": false,
        "web_commit_signoff_required": false,
        "topics": [],
        "visibility": "public",
        "forks": 0,
        "open_issues": open_issues,
        "watchers": 0,
        "default_branch": repo.default_branch,
        "custom_properties": {},
    });
    if let Value::Object(tail) = tail {
        obj.extend(tail);
    }
    Value::Object(obj)
}

pub(crate) fn installation(id: u64, account_login: &str) -> Value {
    let target = account(account_login, "Organization");
    json!({
        "id": id,
        "client_id": format!("Iv1.{:016x}", id),
        "account": target,
        "repository_selection": "all",
        "access_tokens_url": format!("{API}/app/installations/{id}/access_tokens"),
        "repositories_url": format!("{API}/installation/repositories"),
        "html_url": format!("{WEB}/organizations/{account_login}/settings/installations/{id}"),
        "app_id": APP_ID,
        "app_slug": "pushgate",
        "target_id": user_id(account_login),
        "target_type": "Organization",
        "permissions": permissions(),
        "events": ["check_run", "issue_comment", "pull_request", "pull_request_review", "push"],
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "single_file_name": null,
        "has_multiple_single_files": false,
        "single_file_paths": [],
        "suspended_by": null,
        "suspended_at": null,
    })
}

pub(crate) fn permissions() -> Value {
    json!({
        "checks": "write",
        "contents": "write",
        "issues": "write",
        "metadata": "read",
        "pull_requests": "write",
        "members": "read",
    })
}

pub(crate) fn app() -> Value {
    json!({
        "id": APP_ID,
        "slug": "pushgate",
        "node_id": node_id("3:App", APP_ID),
        "client_id": "Iv1.pushgate",
        "owner": account("pushgate", "Organization"),
        "name": "pushgate",
        "description": "Maintainer acks and a push gate",
        "external_url": "https://pushgate.invalid",
        "html_url": format!("{WEB}/apps/pushgate"),
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-01T00:00:00Z",
        "permissions": permissions(),
        "events": [],
    })
}

/// Another GitHub App (a CI), as check runs it posted name it.
fn other_app(slug: &str) -> Value {
    let id = user_id(slug);
    json!({
        "id": id,
        "slug": slug,
        "node_id": node_id("3:App", id),
        "owner": account(slug, "Organization"),
        "name": slug,
        "html_url": format!("{WEB}/apps/{slug}"),
    })
}

/// `GET /repos/{o}/{r}/commits/{ref}/status`: the latest status per context, newest first,
/// each with its creator, and the combined state.
pub(crate) fn combined_status(repo: &Repo, sha: &str) -> Value {
    let mut seen = std::collections::HashSet::new();
    let latest: Vec<&super::state::CommitStatus> = repo
        .statuses
        .iter()
        .rev()
        .filter(|s| s.sha == sha && seen.insert(s.context.clone()))
        .collect();
    let state = if latest
        .iter()
        .any(|s| s.state == "failure" || s.state == "error")
    {
        "failure"
    } else if latest.is_empty() || latest.iter().any(|s| s.state == "pending") {
        "pending"
    } else {
        "success"
    };
    let statuses: Vec<Value> = latest
        .iter()
        .map(|s| {
            json!({
                "id": s.id,
                "node_id": node_id("10:StatusContext", s.id),
                "state": s.state,
                "context": s.context,
                "description": null,
                "target_url": null,
                "created_at": time(s.created_at),
                "updated_at": time(s.created_at),
                "creator": user(&s.creator),
            })
        })
        .collect();
    json!({
        "state": state,
        "sha": sha,
        "total_count": statuses.len(),
        "statuses": statuses,
        "repository": {"full_name": repo.full_name},
    })
}

pub(crate) fn label(repo: &Repo, label: &Label) -> Value {
    json!({
        "id": label.id,
        "node_id": node_id("5:Label", label.id),
        "url": format!("{API}/repos/{}/labels/{}", repo.full_name, encode_path(&label.name)),
        "name": label.name,
        "color": label.color,
        "default": false,
        "description": label.description,
    })
}

fn labels_of(repo: &Repo, names: &[String]) -> Vec<Value> {
    names
        .iter()
        .filter_map(|n| repo.label(n))
        .map(|l| label(repo, l))
        .collect()
}

/// `detailed`: the single-PR form; lists leave out the fields GitHub computes per request.
pub(crate) fn pull(repo: &Repo, pr: &Pull, detailed: bool, pushed_at: i64) -> Value {
    let full = &repo.full_name;
    let n = pr.number;
    let url = format!("{API}/repos/{full}/pulls/{n}");
    let html = format!("{WEB}/{full}/pull/{n}");
    let issue = format!("{API}/repos/{full}/issues/{n}");
    let statuses = format!("{API}/repos/{full}/statuses/{}", pr.head_sha);
    let side = |r: &str, sha: &str| {
        json!({
            "label": format!("{}:{r}", repo.owner()),
            "ref": r,
            "sha": sha,
            "user": account(repo.owner(), "Organization"),
            "repo": repository(repo, pushed_at),
        })
    };
    let state = if pr.open { "open" } else { "closed" };
    let mut obj = json!({
        "url": url,
        "id": pr.id,
        "node_id": node_id("11:PullRequest", pr.id),
        "html_url": html,
        "diff_url": format!("{html}.diff"),
        "patch_url": format!("{html}.patch"),
        "issue_url": issue,
        "number": n,
        "state": state,
        "locked": false,
        "title": pr.title,
        "user": user(&pr.user),
        "body": pr.body,
        "created_at": time(pr.created_at),
        "updated_at": time(pr.updated_at),
        "closed_at": opt_time(pr.closed_at),
        "merged_at": opt_time(pr.merged_at),
        "merge_commit_sha": pr.merge_commit_sha,
        "assignee": null,
        "assignees": [],
        "requested_reviewers": pr.requested.iter().map(|l| user(l)).collect::<Vec<_>>(),
        "requested_teams": [],
        "labels": labels_of(repo, &pr.labels),
        "milestone": null,
        "draft": pr.draft,
        "commits_url": format!("{url}/commits"),
        "review_comments_url": format!("{url}/comments"),
        "review_comment_url": format!("{API}/repos/{full}/pulls/comments{{/number}}"),
        "comments_url": format!("{issue}/comments"),
        "statuses_url": statuses,
        "head": side(&pr.head_ref, &pr.head_sha),
        "base": side(&pr.base_ref, &pr.base_sha),
    });
    let links = json!({
        "_links": {
            "self": {"href": url},
            "html": {"href": html},
            "issue": {"href": issue},
            "comments": {"href": format!("{issue}/comments")},
            "review_comments": {"href": format!("{url}/comments")},
            "review_comment": {"href": format!("{API}/repos/{full}/pulls/comments{{/number}}")},
            "commits": {"href": format!("{url}/commits")},
            "statuses": {"href": statuses},
        },
        "author_association": association(repo, &pr.user),
        "auto_merge": null,
        "active_lock_reason": null,
    });
    if let (Value::Object(obj), Value::Object(links)) = (&mut obj, links) {
        obj.extend(links);
    }
    if detailed {
        let base = repo.merge_base(&pr.base_sha, &pr.head_sha);
        let changes = repo.diff(base.as_deref(), &pr.head_sha);
        let (additions, deletions) = changes.iter().fold((0, 0), |(a, d), c| {
            let (ca, cd) = c.additions_deletions();
            (a + ca, d + cd)
        });
        let comments = repo.comments.iter().filter(|c| c.issue == n).count();
        let extra = json!({
            "merged": pr.merged_at.is_some(),
            "mergeable": if pr.open { Value::Bool(true) } else { Value::Null },
            "rebaseable": if pr.open { Value::Bool(true) } else { Value::Null },
            "mergeable_state": if pr.open { "clean" } else { "unknown" },
            "merged_by": pr.merged_by.as_deref().map_or(Value::Null, user),
            "comments": comments,
            "review_comments": 0,
            "maintainer_can_modify": false,
            "commits": repo.only_in(&pr.head_sha, &pr.base_sha).len(),
            "additions": additions,
            "deletions": deletions,
            "changed_files": changes.len(),
        });
        if let (Value::Object(obj), Value::Object(extra)) = (&mut obj, extra) {
            obj.extend(extra);
        }
    }
    obj
}

pub(crate) fn association(repo: &Repo, login: &str) -> &'static str {
    if login.eq_ignore_ascii_case(repo.owner()) {
        return "OWNER";
    }
    match repo
        .permissions
        .get(&login.to_ascii_lowercase())
        .map(String::as_str)
    {
        Some("none") | None => "CONTRIBUTOR",
        Some(_) => "COLLABORATOR",
    }
}

pub(crate) fn review(repo: &Repo, number: u64, r: &Review, webhook: bool) -> Value {
    let pr_url = format!("{API}/repos/{}/pulls/{number}", repo.full_name);
    let html = format!(
        "{WEB}/{}/pull/{number}#pullrequestreview-{}",
        repo.full_name, r.id
    );
    // Webhooks spell the state in lowercase, REST in uppercase.
    let state = if webhook {
        r.state.as_str().to_ascii_lowercase()
    } else {
        r.state.as_str().to_string()
    };
    json!({
        "id": r.id,
        "node_id": node_id("17:PullRequestReview", r.id),
        "user": user(&r.user),
        "body": r.body,
        "state": state,
        "html_url": html,
        "pull_request_url": pr_url,
        "author_association": association(repo, &r.user),
        "_links": {"html": {"href": html}, "pull_request": {"href": pr_url}},
        "submitted_at": time(r.submitted_at),
        "commit_id": r.commit_id,
    })
}

pub(crate) fn comment(repo: &Repo, c: &Comment) -> Value {
    let full = &repo.full_name;
    json!({
        "url": format!("{API}/repos/{full}/issues/comments/{}", c.id),
        "html_url": format!("{WEB}/{full}/pull/{}#issuecomment-{}", c.issue, c.id),
        "issue_url": format!("{API}/repos/{full}/issues/{}", c.issue),
        "id": c.id,
        "node_id": comment_node_id(c.id),
        "user": user(&c.user),
        "created_at": time(c.created_at),
        "updated_at": time(c.updated_at),
        "author_association": association(repo, &c.user),
        "body": c.body,
        "reactions": {
            "url": format!("{API}/repos/{full}/issues/comments/{}/reactions", c.id),
            "total_count": 0, "+1": 0, "-1": 0, "laugh": 0, "hooray": 0,
            "confused": 0, "heart": 0, "rocket": 0, "eyes": 0,
        },
        "performed_via_github_app": if c.user == BOT_LOGIN { app() } else { Value::Null },
    })
}

/// An inline review comment, as `GET /pulls/{n}/comments` and `pull_request_review_comment`
/// webhooks carry it.
pub(crate) fn review_comment(repo: &Repo, c: &super::state::ReviewComment) -> Value {
    let full = &repo.full_name;
    let url = format!("{API}/repos/{full}/pulls/comments/{}", c.id);
    let html = format!("{WEB}/{full}/pull/{}#discussion_r{}", c.pull, c.id);
    let pr_url = format!("{API}/repos/{full}/pulls/{}", c.pull);
    json!({
        "url": url,
        "pull_request_review_id": c.review_id,
        "id": c.id,
        "node_id": review_comment_node_id(c.id),
        "diff_hunk": "@@ -1 +1 @@",
        "path": c.path,
        "position": 1,
        "original_position": 1,
        "commit_id": c.commit_id,
        "original_commit_id": c.commit_id,
        "user": user(&c.user),
        "body": c.body,
        "created_at": time(c.created_at),
        "updated_at": time(c.updated_at),
        "html_url": html,
        "pull_request_url": pr_url,
        "author_association": association(repo, &c.user),
        "_links": {
            "self": {"href": url},
            "html": {"href": html},
            "pull_request": {"href": pr_url},
        },
        "line": 1,
        "side": "RIGHT",
        "subject_type": "line",
    })
}

/// The issue side of a pull request, as `issue_comment` webhooks carry it.
/// An issue that is not a pull request.
pub(crate) fn plain_issue(repo: &Repo, issue: &Issue) -> Value {
    let full = &repo.full_name;
    let n = issue.number;
    let url = format!("{API}/repos/{full}/issues/{n}");
    json!({
        "url": url,
        "repository_url": format!("{API}/repos/{full}"),
        "labels_url": format!("{url}/labels{{/name}}"),
        "comments_url": format!("{url}/comments"),
        "events_url": format!("{url}/events"),
        "html_url": format!("{WEB}/{full}/issues/{n}"),
        "id": issue.id,
        "node_id": node_id("5:Issue", issue.id),
        "number": n,
        "title": issue.title,
        "user": user(&issue.user),
        "labels": labels_of(repo, &issue.labels),
        "state": if issue.open { "open" } else { "closed" },
        "locked": false,
        "assignee": null,
        "assignees": [],
        "milestone": null,
        "comments": repo.comments.iter().filter(|c| c.issue == n).count(),
        "created_at": time(issue.created_at),
        "updated_at": time(issue.updated_at),
        "closed_at": null,
        "author_association": association(repo, &issue.user),
        "active_lock_reason": null,
        "body": issue.body,
        "performed_via_github_app": null,
        "state_reason": null,
    })
}

pub(crate) fn issue_of_pull(repo: &Repo, pr: &Pull) -> Value {
    let full = &repo.full_name;
    let n = pr.number;
    let url = format!("{API}/repos/{full}/issues/{n}");
    let html = format!("{WEB}/{full}/pull/{n}");
    json!({
        "url": url,
        "repository_url": format!("{API}/repos/{full}"),
        "labels_url": format!("{url}/labels{{/name}}"),
        "comments_url": format!("{url}/comments"),
        "events_url": format!("{url}/events"),
        "html_url": html,
        "id": pr.id + 1,
        "node_id": node_id("5:Issue", pr.id + 1),
        "number": n,
        "title": pr.title,
        "user": user(&pr.user),
        "labels": labels_of(repo, &pr.labels),
        "state": if pr.open { "open" } else { "closed" },
        "locked": false,
        "assignee": null,
        "assignees": [],
        "milestone": null,
        "comments": repo.comments.iter().filter(|c| c.issue == n).count(),
        "created_at": time(pr.created_at),
        "updated_at": time(pr.updated_at),
        "closed_at": opt_time(pr.closed_at),
        "author_association": association(repo, &pr.user),
        "active_lock_reason": null,
        "draft": pr.draft,
        "pull_request": {
            "url": format!("{API}/repos/{full}/pulls/{n}"),
            "html_url": html,
            "diff_url": format!("{html}.diff"),
            "patch_url": format!("{html}.patch"),
            "merged_at": opt_time(pr.merged_at),
        },
        "body": pr.body,
        "performed_via_github_app": null,
        "state_reason": null,
    })
}

pub(crate) fn check_run(repo: &Repo, run: &CheckRun) -> Value {
    let url = format!("{API}/repos/{}/check-runs/{}", repo.full_name, run.id);
    let pulls: Vec<Value> = repo
        .pulls
        .values()
        .filter(|p| p.open && p.head_sha == run.head_sha)
        .map(|p| {
            json!({
                "url": format!("{API}/repos/{}/pulls/{}", repo.full_name, p.number),
                "id": p.id,
                "number": p.number,
                "head": {"ref": p.head_ref, "sha": p.head_sha, "repo": {"id": repo.id, "url": format!("{API}/repos/{}", repo.full_name), "name": repo.name()}},
                "base": {"ref": p.base_ref, "sha": p.base_sha, "repo": {"id": repo.id, "url": format!("{API}/repos/{}", repo.full_name), "name": repo.name()}},
            })
        })
        .collect();
    json!({
        "id": run.id,
        "node_id": node_id("8:CheckRun", run.id),
        "head_sha": run.head_sha,
        "external_id": run.external_id,
        "url": url,
        "html_url": format!("{WEB}/{}/runs/{}", repo.full_name, run.id),
        "details_url": run.details_url.clone().unwrap_or_else(|| format!("{WEB}/{}/runs/{}", repo.full_name, run.id)),
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": time(run.started_at),
        "completed_at": opt_time(run.completed_at),
        "output": {
            "title": run.output.title,
            "summary": run.output.summary,
            "text": run.output.text,
            "annotations_count": run.output.annotations_count,
            "annotations_url": format!("{url}/annotations"),
        },
        "name": run.name,
        "check_suite": {"id": run.id + 7},
        "app": match repo.check_run_apps.get(&run.id) {
            Some(slug) => other_app(slug),
            None => app(),
        },
        "pull_requests": pulls,
    })
}

fn signature(author: &super::state::Author, date: i64) -> Value {
    json!({"name": author.name, "email": author.email, "date": time(date)})
}

/// A commit as `GET /repos/…/commits` and friends answer it.
pub(crate) fn commit(repo: &Repo, c: &Commit) -> Value {
    let full = &repo.full_name;
    let url = format!("{API}/repos/{full}/commits/{}", c.sha);
    let parents: Vec<Value> = c
        .parents
        .iter()
        .map(|p| {
            json!({
                "sha": p,
                "url": format!("{API}/repos/{full}/commits/{p}"),
                "html_url": format!("{WEB}/{full}/commit/{p}"),
            })
        })
        .collect();
    let tree = &c.tree;
    json!({
        "sha": c.sha,
        "node_id": node_id("6:Commit", c.seq),
        "commit": {
            "author": signature(&c.author, c.date),
            "committer": signature(&c.committer, c.committed_at),
            "message": c.message,
            "tree": {"sha": tree, "url": format!("{API}/repos/{full}/git/trees/{tree}")},
            "url": format!("{API}/repos/{full}/git/commits/{}", c.sha),
            "comment_count": 0,
            "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null, "verified_at": null},
        },
        "url": url,
        "html_url": format!("{WEB}/{full}/commit/{}", c.sha),
        "comments_url": format!("{url}/comments"),
        // The accounts GitHub linked to the e-mails, if any.
        "author": c.author.login.as_deref().map_or(Value::Null, user),
        "committer": c.committer.login.as_deref().map_or(Value::Null, user),
        "parents": parents,
    })
}

/// A commit object as the Git Data API (`/git/commits`) answers it.
pub(crate) fn git_commit(repo: &Repo, c: &Commit) -> Value {
    let full = &repo.full_name;
    let parents: Vec<Value> = c
        .parents
        .iter()
        .map(|p| {
            json!({
                "sha": p,
                "url": format!("{API}/repos/{full}/git/commits/{p}"),
                "html_url": format!("{WEB}/{full}/commit/{p}"),
            })
        })
        .collect();
    let tree = &c.tree;
    json!({
        "sha": c.sha,
        "node_id": node_id("6:Commit", c.seq),
        "url": format!("{API}/repos/{full}/git/commits/{}", c.sha),
        "html_url": format!("{WEB}/{full}/commit/{}", c.sha),
        "author": signature(&c.author, c.date),
        "committer": signature(&c.committer, c.committed_at),
        "message": c.message,
        "tree": {"sha": tree, "url": format!("{API}/repos/{full}/git/trees/{tree}")},
        "parents": parents,
        "verification": {"verified": false, "reason": "unsigned", "signature": null, "payload": null},
    })
}

/// A tree as `POST /git/trees` answers it: flat, one `blob` entry per file (the fake keeps no
/// modes, every file is `100644`).
pub(crate) fn tree(repo: &Repo, sha: &str, files: &BTreeMap<String, String>) -> Value {
    let full = &repo.full_name;
    let entries: Vec<Value> = files
        .iter()
        .map(|(path, content)| {
            let blob = blob_sha(content);
            json!({
                "path": path,
                "mode": "100644",
                "type": "blob",
                "sha": blob,
                "size": content.len(),
                "url": format!("{API}/repos/{full}/git/blobs/{blob}"),
            })
        })
        .collect();
    json!({
        "sha": sha,
        "url": format!("{API}/repos/{full}/git/trees/{sha}"),
        "tree": entries,
        "truncated": false,
    })
}

/// One entry of a pull request's or a comparison's file list.
pub(crate) fn file(repo: &Repo, head: &str, change: &FileChange) -> Value {
    let full = &repo.full_name;
    let (additions, deletions) = change.additions_deletions();
    let content = change
        .new
        .as_deref()
        .or(change.old.as_deref())
        .unwrap_or_default();
    let path = encode_path(&change.path);
    json!({
        "sha": blob_sha(content),
        "filename": change.path,
        "status": change.status,
        "additions": additions,
        "deletions": deletions,
        "changes": additions + deletions,
        "patch": change.patch(),
        "blob_url": format!("{WEB}/{full}/blob/{head}/{path}"),
        "raw_url": format!("{WEB}/{full}/raw/{head}/{path}"),
        "contents_url": format!("{API}/repos/{full}/contents/{path}?ref={head}"),
    })
}

/// `GET /contents` for one file.
pub(crate) fn content_file(repo: &Repo, rev: &str, path: &str, text: &str) -> Value {
    let mut obj = content_entry(repo, rev, path, "file", text.len(), &blob_sha(text));
    if let Value::Object(map) = &mut obj {
        map.insert("encoding".into(), "base64".into());
        map.insert("content".into(), base64_wrapped(text.as_bytes()).into());
    }
    obj
}

/// `GET /git/trees/{sha}`, not truncated (the fake has no limit).
pub(crate) fn git_tree(repo: &Repo, sha: &str, entries: Vec<Value>) -> Value {
    json!({
        "sha": sha,
        "url": format!("{API}/repos/{}/git/trees/{sha}", repo.full_name),
        "tree": entries,
        "truncated": false,
    })
}

/// One entry of a tree: a file (`blob`) or a directory (`tree`, which has no size).
pub(crate) fn git_tree_entry(repo: &Repo, name: &str, kind: &str, sha: &str, size: usize) -> Value {
    let mut entry = json!({
        "path": name,
        "mode": if kind == "tree" { "040000" } else { "100644" },
        "type": kind,
        "sha": sha,
        "url": format!("{API}/repos/{}/git/{kind}s/{sha}", repo.full_name),
    });
    if kind == "blob" {
        entry["size"] = size.into();
    }
    entry
}

/// `GET /git/blobs/{sha}`.
pub(crate) fn git_blob(repo: &Repo, sha: &str, content: &str) -> Value {
    json!({
        "sha": sha,
        "node_id": digest40(&format!("blob-node:{sha}")),
        "size": content.len(),
        "url": format!("{API}/repos/{}/git/blobs/{sha}", repo.full_name),
        "content": base64_wrapped(content.as_bytes()),
        "encoding": "base64",
    })
}

/// A directory listing entry (`kind` is `file` or `dir`).
pub(crate) fn content_entry(
    repo: &Repo,
    rev: &str,
    path: &str,
    kind: &str,
    size: usize,
    sha: &str,
) -> Value {
    let full = &repo.full_name;
    let encoded = encode_path(path);
    let name = path.rsplit('/').next().unwrap_or(path);
    let url = format!("{API}/repos/{full}/contents/{encoded}?ref={rev}");
    let git = if kind == "dir" {
        format!("{API}/repos/{full}/git/trees/{sha}")
    } else {
        format!("{API}/repos/{full}/git/blobs/{sha}")
    };
    let html = format!(
        "{WEB}/{full}/{}/{rev}/{encoded}",
        if kind == "dir" { "tree" } else { "blob" }
    );
    let download = if kind == "dir" {
        Value::Null
    } else {
        format!("https://raw.githubusercontent.com/{full}/{rev}/{encoded}").into()
    };
    json!({
        "type": kind,
        "size": size,
        "name": name,
        "path": path,
        "sha": sha,
        "url": url,
        "git_url": git,
        "html_url": html,
        "download_url": download,
        "_links": {"self": url, "git": git, "html": html},
    })
}

/// Base64 as GitHub's contents and blobs API writes it: padded, with a newline after every 60
/// characters and at the end.
fn base64_wrapped(bytes: &[u8]) -> String {
    let flat = STANDARD.encode(bytes);
    let mut out = String::with_capacity(flat.len() + flat.len() / 60 + 1);
    for line in flat.as_bytes().chunks(60) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out
}

/// What a URL component keeps as it is: RFC 3986's unreserved characters. Everything else is
/// written `%XX`.
pub(crate) const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Percent-encodes a path, keeping `/` (for URLs the objects point to).
pub(crate) fn encode_path(path: &str) -> String {
    const PATH: &AsciiSet = &COMPONENT.remove(b'/');
    utf8_percent_encode(path, PATH).to_string()
}
