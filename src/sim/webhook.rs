//! Webhook payloads built from the fake's state, shaped like GitHub's deliveries: every payload
//! carries `installation: {id, node_id}`, the full `repository` and the `sender`. Signing and
//! delivering them is the test's business (the fake does not know the webhook secret).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use super::shapes::{self, WEB};
use super::state::{Author, Commit, Repo, World};
use super::FakeGitHub;

fn installation_ref(id: u64) -> Value {
    json!({
        "id": id,
        "node_id": STANDARD.encode(format!("023:IntegrationInstallation{id}").as_bytes()),
    })
}

fn envelope(repo: &Repo, now: i64, sender: &str, fields: Value) -> Value {
    let mut payload = fields;
    if let Value::Object(map) = &mut payload {
        map.insert("repository".into(), shapes::repository(repo, now));
        map.insert("installation".into(), installation_ref(repo.installation));
        map.insert("sender".into(), shapes::user(sender));
    }
    payload
}

/// A commit as a `push` event lists it (and as its `head_commit`).
fn push_commit(r: &Repo, c: &Commit) -> Value {
    let parent = c.parents.first().map(String::as_str);
    let changes = r.diff(parent, &c.sha);
    let paths = |status: &str| {
        changes
            .iter()
            .filter(|f| f.status == status)
            .map(|f| f.path.clone())
            .collect::<Vec<_>>()
    };
    let person = |a: &Author| json!({"name": a.name, "email": a.email, "username": a.login});
    json!({
        "id": c.sha,
        "tree_id": c.tree,
        "distinct": true,
        "message": c.message,
        "timestamp": shapes::time(c.date),
        "url": format!("{WEB}/{}/commit/{}", r.full_name, c.sha),
        "author": person(&c.author),
        "committer": person(&c.committer),
        "added": paths("added"),
        "removed": paths("removed"),
        "modified": paths("modified"),
    })
}

fn find<'w>(w: &'w World, repo: &str) -> &'w Repo {
    w.repo(repo)
        .unwrap_or_else(|| panic!("sim: no repository {repo}"))
}

impl FakeGitHub {
    /// A `pull_request` event (`opened`, `synchronize`, `reopened`, `edited`, `closed`, …) as of
    /// now. `synchronize` carries `before` (given, else the head's first parent) and `after`.
    /// The sender is the pull request's author.
    pub fn pull_request_event(
        &self,
        repo: &str,
        number: u64,
        action: &str,
        before: Option<&str>,
    ) -> Value {
        self.with(|w| {
            let now = w.now();
            let r = find(w, repo);
            let pr = r
                .pulls
                .get(&number)
                .unwrap_or_else(|| panic!("sim: no pull request {repo}#{number}"));
            let mut fields = json!({
                "action": action,
                "number": number,
                "pull_request": shapes::pull(r, pr, true, now),
            });
            if action == "synchronize" {
                let before = before.map(str::to_string).or_else(|| {
                    r.commits
                        .get(&pr.head_sha)
                        .and_then(|c| c.parents.first().cloned())
                });
                if let Value::Object(map) = &mut fields {
                    map.insert("before".into(), before.into());
                    map.insert("after".into(), pr.head_sha.clone().into());
                }
            }
            envelope(r, now, &pr.user, fields)
        })
    }

    /// A `pull_request_review` event for one review: `submitted`, or `dismissed` for a dismissed
    /// review. The sender is the reviewer.
    pub fn review_event(&self, repo: &str, number: u64, review_id: u64) -> Value {
        self.with(|w| {
            let now = w.now();
            let r = find(w, repo);
            let pr = r
                .pulls
                .get(&number)
                .unwrap_or_else(|| panic!("sim: no pull request {repo}#{number}"));
            let review = pr
                .reviews
                .iter()
                .find(|rv| rv.id == review_id)
                .unwrap_or_else(|| panic!("sim: no review {review_id} on {repo}#{number}"));
            let action = match review.state {
                super::ReviewState::Dismissed => "dismissed",
                _ => "submitted",
            };
            let fields = json!({
                "action": action,
                "review": shapes::review(r, number, review, true),
                "pull_request": shapes::pull(r, pr, true, now),
            });
            envelope(r, now, &review.user, fields)
        })
    }

    /// An `issue_comment` `created` event for a comment on a pull request (the `issue` carries
    /// the `pull_request` link, as GitHub's does). The sender is the commenter.
    pub fn issue_comment_event(&self, repo: &str, number: u64, comment_id: u64) -> Value {
        self.with(|w| {
            let now = w.now();
            let r = find(w, repo);
            let issue = match (r.pulls.get(&number), r.issues.get(&number)) {
                (Some(pr), _) => shapes::issue_of_pull(r, pr),
                (None, Some(issue)) => shapes::plain_issue(r, issue),
                (None, None) => panic!("sim: no issue or pull request {repo}#{number}"),
            };
            let comment = r
                .comments
                .iter()
                .find(|c| c.id == comment_id && c.issue == number)
                .unwrap_or_else(|| panic!("sim: no comment {comment_id} on {repo}#{number}"));
            let fields = json!({
                "action": "created",
                "issue": issue,
                "comment": shapes::comment(r, comment),
            });
            envelope(r, now, &comment.user, fields)
        })
    }

    /// A `push` event for `branch` as it is now, from `before` (all zeros for a new branch).
    pub fn push_event(&self, repo: &str, branch: &str, before: &str, pusher: &str) -> Value {
        self.with(|w| {
            let now = w.now();
            let r = find(w, repo);
            let after = r
                .branches
                .get(branch)
                .cloned()
                .unwrap_or_else(|| panic!("sim: {repo} has no branch {branch}"));
            let full = &r.full_name;
            let commits: Vec<Value> = r
                .only_in(&after, before)
                .into_iter()
                .map(|c| push_commit(r, c))
                .collect();
            let created = before.bytes().all(|b| b == b'0');
            let forced = !created && !r.ancestors(&after).contains(before);
            let fields = json!({
                "ref": format!("refs/heads/{branch}"),
                "before": before,
                "after": after,
                "created": created,
                "deleted": false,
                "forced": forced,
                "base_ref": null,
                "compare": format!("{WEB}/{full}/compare/{before}...{after}"),
                "head_commit": commits.last().cloned().unwrap_or(Value::Null),
                "commits": commits,
                "pusher": {"name": pusher, "email": format!("{pusher}@users.noreply.github.com")},
            });
            envelope(r, now, pusher, fields)
        })
    }

    /// A `push` event creating lightweight tag `tag` on commit `sha`: `after` is the commit.
    pub fn tag_push_event(&self, repo: &str, tag: &str, sha: &str, pusher: &str) -> Value {
        self.tag_push(repo, tag, sha, sha, pusher)
    }

    /// A `push` event creating annotated (or signed) tag `tag` on commit `sha`: `after` is
    /// the tag object's own SHA, which is no commit; `head_commit` is the tagged commit.
    pub fn annotated_tag_push_event(
        &self,
        repo: &str,
        tag: &str,
        sha: &str,
        pusher: &str,
    ) -> Value {
        let object = format!("{:0>40}", format!("7a9{}", tag.len()));
        self.tag_push(repo, tag, &object, sha, pusher)
    }

    fn tag_push(&self, repo: &str, tag: &str, after: &str, commit: &str, pusher: &str) -> Value {
        self.with(|w| {
            let now = w.now();
            let r = find(w, repo);
            let full = &r.full_name;
            let head_commit = r
                .commits
                .get(commit)
                .map_or(Value::Null, |c| push_commit(r, c));
            let fields = json!({
                "ref": format!("refs/tags/{tag}"),
                "before": "0000000000000000000000000000000000000000",
                "after": after,
                "created": true,
                "deleted": false,
                "forced": false,
                "base_ref": null,
                "compare": format!("{WEB}/{full}/compare/{tag}"),
                "head_commit": head_commit,
                "commits": [],
                "pusher": {"name": pusher, "email": format!("{pusher}@users.noreply.github.com")},
            });
            envelope(r, now, pusher, fields)
        })
    }

    /// A `check_run` event (`completed`, …) for check run `id` as it is now, sent as GitHub
    /// sends it: by the app that posted the run (its bot is the sender).
    pub fn check_run_event(&self, repo: &str, id: u64, action: &str) -> Value {
        self.with(|w| {
            let now = w.now();
            let r = find(w, repo);
            let run = r
                .check_runs
                .iter()
                .find(|c| c.id == id)
                .unwrap_or_else(|| panic!("sim: no check run {id} in {repo}"));
            let sender = match r.check_run_apps.get(&id) {
                Some(slug) => format!("{slug}[bot]"),
                None => shapes::BOT_LOGIN.to_string(),
            };
            let fields = json!({
                "action": action,
                "check_run": shapes::check_run(r, run),
            });
            envelope(r, now, &sender, fields)
        })
    }

    /// An `issues` event (`opened`, `labeled`, `unlabeled`, `closed`, `reopened`, …) for plain
    /// issue `number` as it is now.
    pub fn issues_event(&self, repo: &str, number: u64, action: &str, sender: &str) -> Value {
        self.with(|w| {
            let now = w.now();
            let r = find(w, repo);
            let issue = r
                .issues
                .get(&number)
                .unwrap_or_else(|| panic!("sim: no issue {repo}#{number}"));
            let fields = json!({
                "action": action,
                "issue": shapes::plain_issue(r, issue),
            });
            envelope(r, now, sender, fields)
        })
    }

    /// An `installation` `created` event listing the installation's repositories; the sender
    /// is the account.
    pub fn installation_event(&self, installation: u64) -> Value {
        self.with(|w| {
            let account = w
                .installations
                .get(&installation)
                .cloned()
                .unwrap_or_else(|| panic!("sim: no installation {installation}"));
            let repositories: Vec<Value> = w
                .repos
                .values()
                .filter(|r| r.installation == installation)
                .map(|r| {
                    json!({
                        "id": r.id,
                        "node_id": STANDARD.encode(format!("010:Repository{}", r.id).as_bytes()),
                        "name": r.name(),
                        "full_name": r.full_name,
                        "private": false,
                    })
                })
                .collect();
            let details = shapes::installation(installation, &account);
            json!({
                "action": "created",
                "installation": details,
                "repositories": repositories,
                "requester": null,
                "sender": shapes::user(&account),
            })
        })
    }
}

/// Deliveries about comments changed after the fact (see `edits.rs`).
impl FakeGitHub {
    /// The `issue_comment` `edited` event of comment `comment_id`'s last edit: the sender is the
    /// editor (who may not be the comment's author) and `changes.body.from` the text before.
    pub fn issue_comment_edited_event(&self, repo: &str, number: u64, comment_id: u64) -> Value {
        self.with(|w| {
            let now = w.now();
            let r = find(w, repo);
            let edit = w
                .comment_edits
                .iter()
                .rfind(|e| e.repo == r.full_name.to_ascii_lowercase() && e.comment == comment_id)
                .unwrap_or_else(|| panic!("sim: comment {comment_id} was never edited"));
            let comment = r
                .comments
                .iter()
                .find(|c| c.id == comment_id && c.issue == number)
                .unwrap_or_else(|| panic!("sim: no comment {comment_id} on {repo}#{number}"));
            let fields = json!({
                "action": "edited",
                "changes": {"body": {"from": edit.from}},
                "issue": issue_payload(r, number),
                "comment": shapes::comment(r, comment),
            });
            envelope(r, now, &edit.editor, fields)
        })
    }

    /// The `issue_comment` `deleted` event of deleted comment `comment_id`: the comment as it
    /// was, sent by whoever deleted it.
    pub fn issue_comment_deleted_event(&self, repo: &str, number: u64, comment_id: u64) -> Value {
        self.with(|w| {
            let now = w.now();
            let r = find(w, repo);
            let (_, comment, deleter) = w
                .deleted_comments
                .iter()
                .rfind(|(name, c, _)| {
                    *name == r.full_name.to_ascii_lowercase() && c.id == comment_id
                })
                .unwrap_or_else(|| panic!("sim: comment {comment_id} was never deleted"));
            let fields = json!({
                "action": "deleted",
                "issue": issue_payload(r, number),
                "comment": shapes::comment(r, comment),
            });
            envelope(r, now, deleter, fields)
        })
    }

    /// The `pull_request_review` `edited` event of review `review_id`'s last body edit: the
    /// sender is the editor and `changes.body.from` the body before.
    pub fn review_edited_event(&self, repo: &str, number: u64, review_id: u64) -> Value {
        self.with(|w| {
            let now = w.now();
            let r = find(w, repo);
            let edit = w
                .review_edits
                .iter()
                .rfind(|e| e.repo == r.full_name.to_ascii_lowercase() && e.comment == review_id)
                .unwrap_or_else(|| panic!("sim: review {review_id} was never edited"));
            let pr = r
                .pulls
                .get(&number)
                .unwrap_or_else(|| panic!("sim: no pull request {repo}#{number}"));
            let review = pr
                .reviews
                .iter()
                .find(|rv| rv.id == review_id)
                .unwrap_or_else(|| panic!("sim: no review {review_id} on {repo}#{number}"));
            let fields = json!({
                "action": "edited",
                "changes": {"body": {"from": edit.from}},
                "review": shapes::review(r, number, review, true),
                "pull_request": shapes::pull(r, pr, true, now),
            });
            envelope(r, now, &edit.editor, fields)
        })
    }

    /// The `pull_request_review_comment` `edited` event of inline comment `comment_id`'s last
    /// edit: the sender is the editor and `changes.body.from` the text before.
    pub fn review_comment_edited_event(&self, repo: &str, number: u64, comment_id: u64) -> Value {
        let mut event = self.review_comment_event(repo, number, comment_id);
        self.with(|w| {
            let edit = w
                .comment_edits
                .iter()
                .rfind(|e| e.repo == repo.to_ascii_lowercase() && e.comment == comment_id)
                .unwrap_or_else(|| panic!("sim: review comment {comment_id} was never edited"));
            event["action"] = "edited".into();
            event["changes"] = json!({"body": {"from": edit.from}});
            event["sender"] = shapes::user(&edit.editor);
        });
        event
    }

    /// The `pull_request_review_comment` `created` event of inline comment `comment_id`; the
    /// sender is its author.
    pub fn review_comment_event(&self, repo: &str, number: u64, comment_id: u64) -> Value {
        self.with(|w| {
            let now = w.now();
            let r = find(w, repo);
            let pr = r
                .pulls
                .get(&number)
                .unwrap_or_else(|| panic!("sim: no pull request {repo}#{number}"));
            let comment = w
                .review_comments
                .iter()
                .find(|c| c.id == comment_id && c.pull == number)
                .unwrap_or_else(|| {
                    panic!("sim: no review comment {comment_id} on {repo}#{number}")
                });
            let fields = json!({
                "action": "created",
                "comment": shapes::review_comment(r, comment),
                "pull_request": shapes::pull(r, pr, true, now),
            });
            envelope(r, now, &comment.user, fields)
        })
    }
}

/// The issue side of pull request or issue `number`, as comment events carry it.
fn issue_payload(r: &Repo, number: u64) -> Value {
    match (r.pulls.get(&number), r.issues.get(&number)) {
        (Some(pr), _) => shapes::issue_of_pull(r, pr),
        (None, Some(issue)) => shapes::plain_issue(r, issue),
        (None, None) => panic!("sim: no issue or pull request {}#{number}", r.full_name),
    }
}
