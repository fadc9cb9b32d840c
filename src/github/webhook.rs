//! A webhook delivery's payload, typed and read once by the worker: GitHub's envelope (the
//! action, the installation, the repository, the sender) and each event's own parts (a pull
//! request, an issue, a comment or review, a push, a check run or status), plus the fields of
//! pushgate's own scheduled deliveries. Handlers read fields, never JSON.
//!
//! One lenient struct rather than an enum per event: GitHub's events share the envelope, and
//! a handler that serves several events (a comment on an issue or on a pull request, a check
//! run or a status) reads the part it needs. A field that is absent or `null` is empty; a
//! payload whose fields have the wrong types is refused as a whole ([`Webhook::read`]).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::names::PrNumber;

use super::model::{
    nullable, CheckRun, CommentEvent, Issue, IssueComment, Label, Pull, Review, User,
};

/// One delivery's payload.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Webhook {
    #[serde(deserialize_with = "nullable")]
    pub action: String,
    pub installation: Option<EventInstallation>,
    pub repository: EventRepository,
    pub sender: Option<User>,
    /// The pull request of a `pull_request` event; the pull request or issue of pushgate's own
    /// deliveries.
    pub number: Option<i64>,
    pub pull_request: Option<Pull>,
    pub issue: Option<Issue>,
    pub comment: Option<IssueComment>,
    pub review: Option<Review>,
    /// The label an `issues` event added or removed.
    pub label: Option<Label>,
    /// What an `edited` event changed.
    pub changes: Changes,
    // ---- push ----
    /// The ref pushed (`refs/heads/…`); absent on other events.
    #[serde(rename = "ref")]
    pub pushed_ref: Option<String>,
    /// The ref's tip before the push (also `synchronize`'s previous head).
    #[serde(deserialize_with = "nullable")]
    pub before: String,
    /// The ref's tip after the push.
    #[serde(deserialize_with = "nullable")]
    pub after: String,
    /// Whether the push created the ref.
    #[serde(deserialize_with = "nullable")]
    pub created: bool,
    pub head_commit: Option<HeadCommit>,
    pub commits: Vec<PushCommit>,
    // ---- status ----
    /// The commit a `status` is on.
    #[serde(deserialize_with = "nullable")]
    pub sha: String,
    #[serde(deserialize_with = "nullable")]
    pub context: String,
    #[serde(deserialize_with = "nullable")]
    pub state: String,
    pub creator: Option<User>,
    // ---- check_run ----
    pub check_run: Option<CheckRun>,
    // ---- pushgate's own deliveries ----
    /// The decision (vote, lazy consensus) a deadline delivery closes.
    pub decision: Option<i64>,
    /// The command (embargo) a deadline delivery finishes.
    pub command: Option<i64>,
    /// The advisory a deadline delivery reminds of.
    #[serde(deserialize_with = "nullable")]
    pub name: String,
}

/// The installation a delivery came through.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct EventInstallation {
    pub id: i64,
    /// The account it was installed on (the `installation` event's).
    pub account: Option<User>,
}

/// The repository as a payload shows it. `private` is `None` when the payload does not say
/// (pushgate's own deliveries), which is not the same as public.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct EventRepository {
    #[serde(deserialize_with = "nullable")]
    pub full_name: String,
    #[serde(deserialize_with = "nullable")]
    pub default_branch: String,
    pub private: Option<bool>,
}

/// What an `edited` event changed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Changes {
    pub body: Option<Change>,
}

/// A field's value before the edit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Change {
    pub from: Option<String>,
}

/// The commit a push left its ref at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct HeadCommit {
    #[serde(deserialize_with = "nullable")]
    pub id: String,
}

/// A pushed commit and the paths it touched.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct PushCommit {
    pub added: Vec<String>,
    pub modified: Vec<String>,
    pub removed: Vec<String>,
}

impl Webhook {
    /// Reads a stored payload. A payload that is not JSON, or whose fields have types GitHub
    /// never sends, is refused with serde's reason (path, line and column).
    pub fn read(text: &str) -> Result<Webhook, String> {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(deserializer).map_err(|e| e.to_string())
    }

    /// Reads a payload already parsed as JSON (tests, and payloads pushgate builds).
    pub fn from_json(value: &Value) -> Result<Webhook, String> {
        serde_path_to_error::deserialize(value).map_err(|e| e.to_string())
    }

    /// What a `/pushgate merge` comment by `by` (login, account id) on pull request `pr` of
    /// `repo` (full name, default branch) would deliver: pushgate gives it in someone's name,
    /// at the end of an embargo they set. `comment_id` keys the command's progress.
    pub fn merge_command(
        comment_id: i64,
        by: (&str, i64),
        pr: i64,
        repo: (&str, &str),
        installation_id: i64,
    ) -> Webhook {
        Webhook {
            action: "created".to_string(),
            comment: Some(IssueComment {
                id: comment_id,
                body: "/pushgate merge".to_string(),
                user: Some(User {
                    login: Some(by.0.to_string()),
                    id: Some(by.1),
                    kind: None,
                }),
                ..IssueComment::default()
            }),
            issue: Some(Issue {
                number: pr,
                pull_request: Some(Value::Object(serde_json::Map::new())),
                ..Issue::default()
            }),
            repository: EventRepository {
                full_name: repo.0.to_string(),
                default_branch: repo.1.to_string(),
                private: None,
            },
            installation: Some(EventInstallation {
                id: installation_id,
                account: None,
            }),
            ..Webhook::default()
        }
    }

    /// The installation it came through (0 when it does not say).
    pub fn installation_id(&self) -> i64 {
        self.installation.as_ref().map_or(0, |i| i.id)
    }

    /// The repository's default branch as the payload shows it (empty when it does not say).
    pub fn default_branch(&self) -> &str {
        &self.repository.default_branch
    }

    /// Who caused it (empty when GitHub does not say).
    pub fn sender_login(&self) -> &str {
        self.sender
            .as_ref()
            .and_then(|u| u.login.as_deref())
            .unwrap_or_default()
    }

    /// The pull request or issue it is about: the pull request's, the issue's, or the top
    /// level `number`, whichever comes first and is positive.
    pub fn pull_number(&self) -> Option<PrNumber> {
        [
            self.pull_request.as_ref().map(|p| p.number),
            self.issue.as_ref().map(|i| i.number),
            self.number,
        ]
        .into_iter()
        .flatten()
        .find_map(|n| PrNumber::new(n).ok())
    }

    /// Whether it concerns a pull request's conversation (a comment on a pull request: GitHub
    /// shows the pull request as an issue with a `pull_request` link).
    pub fn on_pull_request(&self) -> bool {
        self.issue.as_ref().is_some_and(Issue::is_pull_request)
    }

    /// The comment it carries, with where it was written, when it carries one.
    pub fn said(&self) -> Option<CommentEvent> {
        self.comment.as_ref().map(|comment| CommentEvent {
            action: self.action.clone(),
            comment: comment.clone(),
            issue: self.issue.clone().unwrap_or_default(),
        })
    }

    /// The comment's id (0 when it carries none).
    pub fn comment_id(&self) -> i64 {
        self.comment.as_ref().map_or(0, |c| c.id)
    }

    /// The comment's author's login (empty when it carries none).
    pub fn commenter(&self) -> &str {
        self.comment.as_ref().map_or("", IssueComment::login)
    }

    /// The comment's author's account id (0 when GitHub did not say).
    pub fn commenter_id(&self) -> i64 {
        self.comment
            .as_ref()
            .and_then(|c| c.user.as_ref())
            .and_then(|u| u.id)
            .unwrap_or(0)
    }

    /// The comment's body (empty when it carries none).
    pub fn comment_body(&self) -> &str {
        self.comment.as_ref().map_or("", |c| c.body.as_str())
    }

    /// The pull request's head (empty when it carries none).
    pub fn head_sha(&self) -> &str {
        self.pull_request
            .as_ref()
            .map_or("", |p| p.head.sha.as_str())
    }

    /// The commit a push left its ref at: the head commit, else `after`.
    pub fn pushed_sha(&self) -> &str {
        match self.head_commit.as_ref().map(|c| c.id.as_str()) {
            Some(id) if !id.is_empty() => id,
            _ => &self.after,
        }
    }

    /// Whether any pushed commit added, changed or removed `path`.
    pub fn touched(&self, path: &str) -> bool {
        self.commits.iter().any(|c| {
            [&c.added, &c.modified, &c.removed]
                .into_iter()
                .flatten()
                .any(|p| p == path)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nulls_and_absent_fields_read_as_empty() {
        let event = Webhook::from_json(&json!({
            "action": null,
            "repository": { "full_name": "o/r", "default_branch": null },
            "installation": { "id": 7 },
            "pull_request": { "number": 3, "head": { "sha": "abc" }, "title": null },
            "before": null,
        }))
        .unwrap();
        assert_eq!(event.action, "");
        assert_eq!(event.installation_id(), 7);
        assert_eq!(event.default_branch(), "");
        assert_eq!(event.repository.private, None);
        assert_eq!(event.pull_number().map(i64::from), Some(3));
        assert_eq!(event.head_sha(), "abc");
        assert_eq!(event.before, "");
        assert!(event.pushed_ref.is_none());
    }

    #[test]
    fn a_field_of_the_wrong_type_refuses_the_payload_and_names_it() {
        let refused = Webhook::read(r#"{"installation": {"id": "seven"}}"#).unwrap_err();
        assert!(refused.contains("installation.id"), "{refused}");
        assert!(Webhook::read("not json").is_err());
    }

    #[test]
    fn the_number_is_the_pull_requests_then_the_issues_then_the_top_levels() {
        let cases = [
            (
                json!({ "pull_request": { "number": 4 }, "number": 9 }),
                Some(4),
            ),
            (json!({ "issue": { "number": 5 } }), Some(5)),
            (json!({ "number": 6 }), Some(6)),
            (json!({ "number": 0 }), None),
            (json!({}), None),
        ];
        for (payload, expected) in cases {
            let event = Webhook::from_json(&payload).unwrap();
            assert_eq!(event.pull_number().map(i64::from), expected, "{payload}");
        }
    }

    #[test]
    fn a_push_names_its_head_and_the_paths_it_touched() {
        let event = Webhook::from_json(&json!({
            "ref": "refs/heads/master",
            "after": "b",
            "head_commit": { "id": "h" },
            "created": true,
            "commits": [{ "added": ["a"], "modified": ["SUPPORT.md"], "removed": [] }],
        }))
        .unwrap();
        assert_eq!(event.pushed_sha(), "h");
        assert!(event.created);
        assert!(event.touched("SUPPORT.md"));
        assert!(!event.touched("MAINTAINERS"));
        let deleted = Webhook::from_json(&json!({ "after": "0", "head_commit": null })).unwrap();
        assert_eq!(deleted.pushed_sha(), "0");
    }

    /// GitHub's own example payloads (every event, 329 payloads) read, and what pushgate
    /// routes by reads as GitHub wrote it.
    #[test]
    fn githubs_example_payloads_read() {
        let Some(text) = crate::corpus::read("github/webhook-examples.json").unwrap() else {
            return;
        };
        let events: Vec<Value> = serde_json::from_str(&text).unwrap();
        let mut read = 0;
        for event in &events {
            let name = event["name"].as_str().unwrap_or_default();
            for example in event["examples"].as_array().into_iter().flatten() {
                let webhook = Webhook::from_json(example)
                    .unwrap_or_else(|e| panic!("{name} example {read}: {e}"));
                let id = example.pointer("/installation/id").and_then(Value::as_i64);
                assert_eq!(webhook.installation_id(), id.unwrap_or(0), "{name}");
                if let Some(n) = example
                    .pointer("/pull_request/number")
                    .and_then(Value::as_i64)
                {
                    assert_eq!(webhook.pull_number().map(i64::from), Some(n), "{name}");
                }
                let action = example["action"].as_str().unwrap_or_default();
                assert_eq!(webhook.action, action, "{name}");
                read += 1;
            }
        }
        assert_eq!(read, 329);
    }
}
