//! GitHub's answers as types, for the operations whose callers read them field by field.
//! Decoded leniently: a field GitHub leaves out or sends as `null` is empty; an answer of the
//! wrong shape is a [`GitHubError::Unexpected`](super::GitHubError::Unexpected) naming the
//! endpoint.

use super::names::{NameError, PrNumber, Sha};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::GitHubError;

/// A check run as GitHub lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CheckRun {
    pub id: i64,
    pub name: String,
    pub head_sha: String,
    /// `queued`, `in_progress`, `completed`, …
    pub status: String,
    /// Once completed: `success`, `failure`, `neutral`, …
    pub conclusion: Option<String>,
    pub external_id: Option<String>,
    pub app: Option<App>,
    #[serde(deserialize_with = "nullable")]
    pub output: CheckOutput,
}

impl CheckRun {
    /// Its conclusion once it has one, else its status (queued, in progress).
    pub fn state(&self) -> &str {
        match self.conclusion.as_deref() {
            Some(c) if !c.is_empty() => c,
            _ => &self.status,
        }
    }

    /// The slug of the App that posted it, if GitHub says.
    pub fn app_slug(&self) -> Option<&str> {
        self.app
            .as_ref()
            .and_then(|a| a.slug.as_deref())
            .filter(|s| !s.is_empty())
    }
}

/// The App behind a check run.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct App {
    pub slug: Option<String>,
}

/// A check run's output (what pushgate writes in its own runs).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CheckOutput {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub text: Option<String>,
}

/// One commit status (`POST /statuses`), as the combined status lists it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Status {
    pub context: String,
    /// `success`, `failure`, `error`, `pending`.
    pub state: String,
    pub creator: Option<User>,
}

impl Status {
    /// The login of whoever posted it, if GitHub says.
    pub fn creator_login(&self) -> Option<&str> {
        known_login(&self.creator)
    }
}

/// A GitHub account as answers embed it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct User {
    pub login: Option<String>,
    pub id: Option<i64>,
    /// `User`, `Bot` (an App), `Organization`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A commit's author or committer as git records it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(default)]
pub struct GitPerson {
    pub name: String,
    pub email: String,
    /// As GitHub gives it (RFC 3339); kept when the commit is made again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
}

/// An object named by its SHA (a tree, a parent).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ShaRef {
    pub sha: String,
}

/// A git commit (`/git/commits/{sha}`, and what creating one answers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct GitCommit {
    pub sha: String,
    pub message: String,
    pub author: Option<GitPerson>,
    pub tree: ShaRef,
    pub parents: Vec<ShaRef>,
}

/// A commit as the REST API lists it (a comparison's, a pull request's, a merge's): git's
/// commit, the GitHub account linked to its author, its parents.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Commit {
    pub sha: String,
    pub commit: CommitDetail,
    /// The account GitHub links to the author's e-mail, if any.
    pub author: Option<User>,
    pub parents: Vec<ShaRef>,
}

/// The git side of a [`Commit`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CommitDetail {
    pub message: String,
    pub author: Option<GitPerson>,
    pub tree: ShaRef,
}

impl Commit {
    /// The login GitHub links to its author, if any.
    pub fn author_login(&self) -> Option<&str> {
        known_login(&self.author)
    }
}

/// A file a comparison or pull request changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct ChangedFile {
    pub filename: String,
    /// The path before a rename.
    pub previous_filename: Option<String>,
    /// The diff, when GitHub gives one (not for binary or very large files).
    pub patch: Option<String>,
}

/// The paths a list of changed files touches (both paths of a rename).
pub fn file_names(files: &[ChangedFile]) -> Vec<String> {
    files
        .iter()
        .flat_map(|f| [Some(f.filename.as_str()), f.previous_filename.as_deref()])
        .flatten()
        .filter(|n| !n.is_empty())
        .map(str::to_string)
        .collect()
}

/// How two commits compare (`/compare/{base}...{head}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Compare {
    /// `ahead`, `behind`, `identical` or `diverged` (head against base).
    pub status: String,
    /// How many commits head has that base has not (GitHub lists at most 250 of them).
    pub total_commits: i64,
    pub merge_base_commit: Option<ShaRef>,
    pub commits: Vec<Commit>,
    /// The files changed (GitHub lists at most 300).
    pub files: Vec<ChangedFile>,
}

/// Decodes a whole answer; an empty one (`null`, as after a 204) is the default.
pub(super) fn decode<T: serde::de::DeserializeOwned + Default>(
    answer: Value,
    endpoint: impl Fn() -> String,
) -> Result<T, GitHubError> {
    if answer.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(answer).map_err(|e| GitHubError::Unexpected {
        endpoint: endpoint(),
        message: e.to_string(),
    })
}

/// A pull request, as GitHub answers it or a webhook carries it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Pull {
    pub number: i64,
    /// `open` or `closed`.
    #[serde(deserialize_with = "nullable")]
    pub state: String,
    #[serde(deserialize_with = "nullable")]
    pub title: String,
    #[serde(deserialize_with = "nullable")]
    pub body: String,
    #[serde(deserialize_with = "nullable")]
    pub html_url: String,
    pub draft: Option<bool>,
    pub user: Option<User>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub head: PullBranch,
    pub base: PullBranch,
    pub labels: Vec<Label>,
    pub requested_reviewers: Vec<User>,
}

/// A pull request's head or base: the branch and the commit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct PullBranch {
    #[serde(deserialize_with = "nullable")]
    pub sha: String,
    #[serde(rename = "ref", deserialize_with = "nullable")]
    pub branch: String,
    pub repo: Option<PullRepo>,
}

/// The repository of a pull request's base (or head).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct PullRepo {
    pub default_branch: Option<String>,
}

/// A label on an issue or pull request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Label {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
}

impl Pull {
    /// The head commit, checked: a pull request without one cannot be judged or acted on.
    pub fn head_sha(&self) -> Result<Sha, NameError> {
        Sha::parse(&self.head.sha)
    }

    /// The base commit, checked.
    pub fn base_sha(&self) -> Result<Sha, NameError> {
        Sha::parse(&self.base.sha)
    }

    /// The pull request's number, checked.
    pub fn number(&self) -> Result<PrNumber, NameError> {
        PrNumber::new(self.number)
    }

    pub fn is_open(&self) -> bool {
        self.state == "open"
    }

    pub fn is_draft(&self) -> bool {
        self.draft == Some(true)
    }

    /// Its author's login.
    pub fn author(&self) -> &str {
        login_of(&self.user)
    }

    /// When it was opened (Unix seconds).
    pub fn opened(&self) -> Option<i64> {
        seconds(self.created_at.as_deref())
    }

    /// When it last changed (Unix seconds).
    pub fn updated(&self) -> Option<i64> {
        seconds(self.updated_at.as_deref())
    }

    pub fn label_names(&self) -> Vec<String> {
        self.labels.iter().map(|l| l.name.clone()).collect()
    }

    /// The logins whose review is requested, in lower case.
    pub fn requested(&self) -> Vec<String> {
        self.requested_reviewers
            .iter()
            .filter_map(|u| u.login.as_deref())
            .map(str::to_lowercase)
            .collect()
    }

    /// The default branch of its base repository, as the pull request carries it (empty when
    /// it does not).
    pub fn default_branch(&self) -> &str {
        self.base
            .repo
            .as_ref()
            .and_then(|r| r.default_branch.as_deref())
            .unwrap_or_default()
    }
}

/// An issue (GitHub lists pull requests among issues too).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Issue {
    pub number: i64,
    #[serde(deserialize_with = "nullable")]
    pub state: String,
    #[serde(deserialize_with = "nullable")]
    pub title: String,
    #[serde(deserialize_with = "nullable")]
    pub body: String,
    #[serde(deserialize_with = "nullable")]
    pub html_url: String,
    pub user: Option<User>,
    pub labels: Vec<Label>,
    /// Present when the issue is a pull request.
    pub pull_request: Option<Value>,
}

impl Issue {
    pub fn is_pull_request(&self) -> bool {
        self.pull_request.as_ref().is_some_and(|p| !p.is_null())
    }

    /// Opened by an App (GitHub says `Bot`): no person can open an issue as one.
    pub fn opened_by_app(&self) -> bool {
        self.user.as_ref().and_then(|u| u.kind.as_deref()) == Some("Bot")
    }

    pub fn label_names(&self) -> Vec<String> {
        self.labels.iter().map(|l| l.name.clone()).collect()
    }
}

/// An `issue_comment` webhook: what was said, where, and whether it is new.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct CommentEvent {
    /// `created`, `edited` or `deleted`.
    #[serde(deserialize_with = "nullable")]
    pub action: String,
    pub comment: IssueComment,
    /// The issue or pull request it was written on.
    pub issue: Issue,
}

impl CommentEvent {
    /// Its author's account id (0 when GitHub did not say).
    pub fn author_id(&self) -> i64 {
        self.comment.user.as_ref().and_then(|u| u.id).unwrap_or(0)
    }
}

/// A git commit to make: on no branch, with the tree and parents named by SHA.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NewCommit {
    pub message: String,
    pub tree: String,
    pub parents: Vec<String>,
    /// Left out, GitHub takes the committer as the author.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<GitPerson>,
    /// Left out, GitHub records the App.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub committer: Option<GitPerson>,
}

/// What a check run pushgate posts shows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Output {
    pub title: String,
    pub summary: String,
    /// A field only its poster writes (the Action keeps its record of pushes there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub annotations: Vec<Annotation>,
}

impl Output {
    pub fn new(title: impl Into<String>, summary: impl Into<String>) -> Output {
        Output {
            title: title.into(),
            summary: summary.into(),
            ..Output::default()
        }
    }
}

/// A line of a file a check run points at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Annotation {
    pub path: String,
    pub start_line: usize,
    pub end_line: usize,
    /// `notice`, `warning` or `failure`.
    pub annotation_level: &'static str,
    pub title: String,
    pub message: String,
}

/// A user's permission on a repository.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Permission {
    #[serde(deserialize_with = "nullable")]
    pub permission: String,
}

/// A git ref and the object it points at.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Ref {
    pub object: ShaRef,
}

/// A repository's label with its looks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct RepoLabel {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub color: String,
    #[serde(deserialize_with = "nullable")]
    pub description: String,
}

/// An installation of the App, as the App lists them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct AppInstallation {
    pub id: i64,
}

/// A repository an installation may see.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Repository {
    #[serde(deserialize_with = "nullable")]
    pub full_name: String,
    #[serde(deserialize_with = "nullable")]
    pub default_branch: String,
}

/// A comment on an issue or pull request, or an inline review comment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct IssueComment {
    pub id: i64,
    /// Its GraphQL id (who last edited it is only known there).
    #[serde(deserialize_with = "nullable")]
    pub node_id: String,
    #[serde(deserialize_with = "nullable")]
    pub body: String,
    pub user: Option<User>,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
}

impl IssueComment {
    /// Its author's login (empty for a deleted account).
    pub fn login(&self) -> &str {
        login_of(&self.user)
    }

    /// When it was written (Unix seconds).
    pub fn created(&self) -> Option<i64> {
        seconds(self.created_at.as_deref())
    }

    /// Whether it changed after it was written.
    pub fn edited(&self) -> bool {
        self.updated_at != self.created_at
    }
}

/// A pull request review.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct Review {
    pub id: i64,
    /// `APPROVED`, `CHANGES_REQUESTED`, `COMMENTED`, `DISMISSED`, `PENDING`.
    #[serde(deserialize_with = "nullable")]
    pub state: String,
    #[serde(deserialize_with = "nullable")]
    pub body: String,
    pub user: Option<User>,
    pub submitted_at: Option<String>,
    /// The head it was given on.
    #[serde(deserialize_with = "nullable")]
    pub commit_id: String,
}

impl Review {
    /// Its author's login (empty for a deleted account).
    pub fn login(&self) -> &str {
        login_of(&self.user)
    }

    /// When it was submitted (Unix seconds).
    pub fn submitted(&self) -> Option<i64> {
        seconds(self.submitted_at.as_deref())
    }
}

/// The login of an account an answer names, when it names one (a deleted account has none).
fn known_login(user: &Option<User>) -> Option<&str> {
    user.as_ref()
        .and_then(|u| u.login.as_deref())
        .filter(|l| !l.is_empty())
}

fn login_of(user: &Option<User>) -> &str {
    known_login(user).unwrap_or_default()
}

/// An RFC 3339 time as Unix seconds.
fn seconds(time: Option<&str>) -> Option<i64> {
    time.and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
        .map(|t| t.timestamp())
}

/// A field GitHub may send as `null`: empty then.
pub(super) fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

/// Decodes the list under `field` of an answer (`check_runs`, `statuses`): absent is empty, an
/// item that does not fit is an error naming `endpoint`.
pub(super) fn list_of<T: serde::de::DeserializeOwned>(
    mut answer: Value,
    field: &str,
    endpoint: impl Fn() -> String,
) -> Result<Vec<T>, GitHubError> {
    match answer.get_mut(field).map(Value::take) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(list) => serde_json::from_value(list).map_err(|e| GitHubError::Unexpected {
            endpoint: endpoint(),
            message: format!("`{field}`: {e}"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn check_runs_decode_leniently_and_say_their_state() {
        let answer = json!({ "total_count": 3, "check_runs": [
            { "id": 1, "name": "build", "head_sha": "abc", "status": "completed",
              "conclusion": "success", "app": { "slug": "ci" }, "external_id": null,
              "output": { "title": null, "text": "heads" } },
            { "id": 2, "name": "test", "status": "in_progress", "conclusion": null, "app": null },
            { "id": 3, "name": "lint", "status": "completed", "conclusion": "", "unknown": [1] },
        ]});
        let runs: Vec<CheckRun> = list_of(answer, "check_runs", String::new).unwrap();
        let seen: Vec<(i64, &str, Option<&str>)> = runs
            .iter()
            .map(|r| (r.id, r.state(), r.app_slug()))
            .collect();
        assert_eq!(
            seen,
            [
                (1, "success", Some("ci")),
                (2, "in_progress", None),
                (3, "completed", None)
            ]
        );
        assert_eq!(runs[0].output.text.as_deref(), Some("heads"));
        assert_eq!(runs[0].external_id, None);
    }

    #[test]
    fn statuses_decode_and_an_answer_of_the_wrong_shape_is_an_error() {
        let answer = json!({ "state": "failure", "statuses": [
            { "context": "ci/build", "state": "failure", "creator": { "login": "jenkins" } },
            { "context": "ci/docs", "state": "pending", "creator": null },
        ]});
        let statuses: Vec<Status> = list_of(answer, "statuses", String::new).unwrap();
        assert_eq!(statuses[0].creator_login(), Some("jenkins"));
        assert_eq!(statuses[1].creator_login(), None);
        let none: Vec<Status> = list_of(json!({}), "statuses", String::new).unwrap();
        assert!(none.is_empty());
        let bad = list_of::<Status>(json!({ "statuses": 7 }), "statuses", || "GET x".into());
        assert!(
            matches!(bad, Err(GitHubError::Unexpected { ref endpoint, .. }) if endpoint == "GET x"),
            "{bad:?}"
        );
    }

    #[test]
    fn a_comparison_decodes_its_commits_and_files() {
        let answer = json!({
            "status": "ahead", "total_commits": 2, "ahead_by": 2,
            "merge_base_commit": { "sha": "base", "commit": { "message": "m" } },
            "commits": [
                { "sha": "c1", "commit": { "message": "one\n\nSigned-off-by: A <a@x>",
                  "author": { "name": "A", "email": "a@x", "date": "2026-01-01T00:00:00Z" },
                  "tree": { "sha": "t1" } }, "author": { "login": "a-gh" },
                  "parents": [{ "sha": "base" }] },
                { "sha": "c2", "commit": { "message": "merge", "author": null },
                  "author": null, "parents": [{ "sha": "c1" }, { "sha": "x" }] },
            ],
            "files": [
                { "filename": "a.c", "status": "modified", "patch": "@@ -1 +1 @@" },
                { "filename": "new.c", "previous_filename": "old.c", "status": "renamed" },
            ],
        });
        let compare: Compare = decode(answer, String::new).unwrap();
        assert_eq!(compare.status, "ahead");
        assert_eq!(compare.total_commits, 2);
        assert_eq!(
            compare.merge_base_commit.map(|c| c.sha).as_deref(),
            Some("base")
        );
        assert_eq!(compare.commits[0].author_login(), Some("a-gh"));
        assert_eq!(compare.commits[1].author_login(), None);
        assert_eq!(compare.commits[1].parents.len(), 2);
        let author = compare.commits[0].commit.author.clone().unwrap();
        assert_eq!(
            serde_json::to_value(&author).unwrap(),
            json!({ "name": "A", "email": "a@x", "date": "2026-01-01T00:00:00Z" })
        );
        assert_eq!(file_names(&compare.files), ["a.c", "new.c", "old.c"]);
        assert_eq!(compare.files[1].patch, None);
        let empty: Compare = decode(Value::Null, String::new).unwrap();
        assert_eq!(empty, Compare::default());
    }

    #[test]
    fn comments_and_reviews_decode_with_nulls_and_say_who_and_when() {
        let comments: Vec<IssueComment> = decode(
            json!([
                { "id": 1, "node_id": "IC_1", "body": "/ack", "user": { "login": "jan" },
                  "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z" },
                { "id": 2, "node_id": null, "body": "later", "user": null,
                  "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-02T00:00:00Z" },
            ]),
            String::new,
        )
        .unwrap();
        assert_eq!(comments[0].login(), "jan");
        assert_eq!(comments[0].created(), Some(1_767_225_600));
        assert!(!comments[0].edited());
        assert_eq!(
            (comments[1].login(), comments[1].node_id.as_str()),
            ("", "")
        );
        assert!(comments[1].edited());
        let reviews: Vec<Review> = decode(
            json!([{ "id": 7, "state": "APPROVED", "body": null, "user": { "login": "sha" },
                     "submitted_at": "2026-01-01T00:00:00Z", "commit_id": "abc" }]),
            String::new,
        )
        .unwrap();
        assert_eq!(reviews[0].login(), "sha");
        assert_eq!(reviews[0].body, "");
        assert_eq!(reviews[0].submitted(), Some(1_767_225_600));
    }

    #[test]
    fn a_pull_request_decodes_with_nulls_read_as_empty() {
        let pr = json!({
            "number": 5, "state": "open", "title": "x86: fix", "body": null, "draft": false,
            "user": { "login": "newcomer" }, "created_at": "2026-01-01T00:00:00Z",
            "head": { "sha": "h", "ref": "topic", "repo": null },
            "base": { "sha": "b", "ref": "staging", "repo": { "default_branch": "master" } },
            "labels": [{ "name": "acks: missing" }],
            "requested_reviewers": [{ "login": "Sha-GH" }],
        });
        let pull: Pull = decode(pr, String::new).unwrap();
        assert!(pull.is_open() && !pull.is_draft());
        assert_eq!(
            (pull.author(), pull.opened()),
            ("newcomer", Some(1_767_225_600))
        );
        assert_eq!(
            (pull.head.sha.as_str(), pull.base.branch.as_str()),
            ("h", "staging")
        );
        assert_eq!(pull.body, "");
        assert_eq!(pull.default_branch(), "master");
        assert_eq!(pull.label_names(), ["acks: missing"]);
        assert_eq!(pull.requested(), ["sha-gh"]);
        assert!(decode::<Pull>(json!("5"), String::new).is_err());
    }

    #[test]
    fn issues_say_whether_they_are_pull_requests_and_who_opened_them() {
        let issues: Vec<Issue> = decode(
            json!([
                { "number": 1, "state": "open", "title": "pushgate: push gate", "body": null,
                  "user": { "login": "pushgate[bot]", "type": "Bot" },
                  "labels": [{ "name": "regression" }] },
                { "number": 2, "title": "x", "user": { "login": "me", "type": "User" },
                  "pull_request": { "url": "…" } },
                { "number": 3, "title": "y", "user": null, "pull_request": null },
            ]),
            String::new,
        )
        .unwrap();
        let seen: Vec<(bool, bool)> = issues
            .iter()
            .map(|i| (i.is_pull_request(), i.opened_by_app()))
            .collect();
        assert_eq!(seen, [(false, true), (true, false), (false, false)]);
        assert_eq!(issues[0].label_names(), ["regression"]);
        assert_eq!(issues[0].body, "");
    }

    #[test]
    fn a_comment_event_names_its_comment_author_and_issue() {
        let payload = json!({
            "action": "created",
            "comment": { "id": 9, "body": "/pushgate embargo lift",
                         "user": { "login": "cora-gh", "id": 42 } },
            "issue": { "number": 3, "pull_request": { "url": "…" } },
            "repository": { "full_name": "o/r" },
        });
        let webhook = super::super::webhook::Webhook::from_json(&payload).unwrap();
        let event = webhook.said().unwrap();
        assert_eq!((event.action.as_str(), event.comment.id), ("created", 9));
        assert_eq!((event.comment.login(), event.author_id()), ("cora-gh", 42));
        assert!(event.issue.is_pull_request() && event.issue.number == 3);
        let no_comment = json!({ "action": "opened", "issue": {} });
        let webhook = super::super::webhook::Webhook::from_json(&no_comment).unwrap();
        assert_eq!(webhook.said(), None);
    }
}
