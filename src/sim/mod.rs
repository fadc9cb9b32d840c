//! A simulated GitHub: a stateful HTTP server answering the REST calls pushgate makes, with
//! objects shaped like GitHub's, for the tests and `pushgate demo`. Tests arrange the world
//! through [`FakeGitHub`]'s methods (repositories, commits, pull requests, reviews, comments),
//! build webhook payloads from it, drive the bot against the HTTP side, and then assert on what
//! the bot left behind (check runs, labels, comments) and on how many calls it made.
//!
//! **Architecture Invariant:** the fake never calls pushgate and knows nothing of its rules; it
//! is GitHub, nothing more. Its clock is its own ([`FakeGitHub::set_now`]) and stamps what it
//! creates; tokens do not expire with it (the client's token cache runs on the real clock), use
//! [`FakeGitHub::revoke_tokens`] to test re-authentication.
//!
//! # Authentication
//! `POST /app/installations/{id}/access_tokens` and `GET /app/installations` need
//! `Authorization: Bearer <jwt>` (three dot-separated parts; the signature is not checked).
//! Everything else needs `Authorization: token <t>` or `Bearer <t>` with a token the fake minted;
//! the token's installation sees only its own repositories (404 for the others, as on GitHub).
//!
//! # Endpoints and their keys
//! Each route is answered in `api/` by the module of its resource: `app.rs` (tokens,
//! installations, a repository, permissions), `pulls.rs`, `issues.rs` (issues, comments,
//! labels), `checks.rs` (check runs, combined status), `git.rs` (refs, trees, blobs, git
//! commits, merges, compare, contents, the commit list) and `graphql.rs`.
//!
//! Calls are counted, and faults matched, by a short key per route (constants in [`endpoint`]):
//!
//! | key | route |
//! |-----|-------|
//! | `POST /app/installations/access_tokens` | `POST /app/installations/{id}/access_tokens` |
//! | `GET /app/installations` | `GET /app/installations` |
//! | `GET /installation/repositories` | `GET /installation/repositories` |
//! | `GET /repos` | `GET /repos/{o}/{r}` |
//! | `GET /repos/pulls` | `GET /repos/{o}/{r}/pulls?state=open\|closed\|all` |
//! | `GET /repos/pulls/one` | `GET /repos/{o}/{r}/pulls/{n}` |
//! | `GET /repos/pulls/files` | `GET /repos/{o}/{r}/pulls/{n}/files` |
//! | `GET /repos/pulls/reviews` | `GET /repos/{o}/{r}/pulls/{n}/reviews` |
//! | `GET /repos/pulls/commits` | `GET /repos/{o}/{r}/pulls/{n}/commits` |
//! | `GET /repos/issues/comments` | `GET /repos/{o}/{r}/issues/{n}/comments` |
//! | `POST /repos/issues/comments` | `POST /repos/{o}/{r}/issues/{n}/comments` |
//! | `PATCH /repos/issues/comments` | `PATCH /repos/{o}/{r}/issues/comments/{id}` |
//! | `GET /repos/contents` | `GET /repos/{o}/{r}/contents/{path}?ref=` |
//! | `POST /repos/check-runs` | `POST /repos/{o}/{r}/check-runs` |
//! | `PATCH /repos/check-runs` | `PATCH /repos/{o}/{r}/check-runs/{id}` |
//! | `POST /repos/check-runs/rerequest` | `POST /repos/{o}/{r}/check-runs/{id}/rerequest` |
//! | `GET /repos/commits/check-runs` | `GET /repos/{o}/{r}/commits/{ref}/check-runs?check_name=` |
//! | `GET /repos/commits/status` | `GET /repos/{o}/{r}/commits/{ref}/status` (combined status) |
//! | `GET /repos/compare` | `GET /repos/{o}/{r}/compare/{base}...{head}` |
//! | `GET /repos/issues/labels` | `GET /repos/{o}/{r}/issues/{n}/labels` |
//! | `POST /repos/issues/labels` | `POST /repos/{o}/{r}/issues/{n}/labels` |
//! | `DELETE /repos/issues/labels` | `DELETE /repos/{o}/{r}/issues/{n}/labels/{name}` |
//! | `GET /repos/labels` | `GET /repos/{o}/{r}/labels` |
//! | `POST /repos/labels` | `POST /repos/{o}/{r}/labels` |
//! | `PATCH /repos/labels` | `PATCH /repos/{o}/{r}/labels/{name}` |
//! | `GET /repos/collaborators/permission` | `GET /repos/{o}/{r}/collaborators/{login}/permission` |
//! | `GET /repos/commits` | `GET /repos/{o}/{r}/commits?author=&sha=` |
//! | `GET /repos/git/ref` | `GET /repos/{o}/{r}/git/ref/heads/{branch}` |
//! | `POST /repos/git/refs` | `POST /repos/{o}/{r}/git/refs` |
//! | `PATCH /repos/git/refs` | `PATCH /repos/{o}/{r}/git/refs/heads/{branch}` (`force: false` → fast-forward only, else 422) |
//! | `DELETE /repos/git/refs` | `DELETE /repos/{o}/{r}/git/refs/heads/{branch}` |
//! | `POST /repos/issues` | `POST /repos/{o}/{r}/issues` |
//! | `GET /repos/issues` | `GET /repos/{o}/{r}/issues?labels=` (open issues and pull requests, oldest first) |
//! | `PATCH /repos/issues/one` | `PATCH /repos/{o}/{r}/issues/{n}` |
//! | `PATCH /repos/pulls/one` | `PATCH /repos/{o}/{r}/pulls/{n}` (`state`, `title`, `body`) |
//! | `GET /repos/git/commits` | `GET /repos/{o}/{r}/git/commits/{sha}` |
//! | `POST /repos/git/commits` | `POST /repos/{o}/{r}/git/commits` (`message`, `tree`, `parents`, `author`, `committer`) |
//! | `POST /repos/git/trees` | `POST /repos/{o}/{r}/git/trees` (`base_tree`, `tree`: blob entries by `sha`, `content`, or `"sha": null` to delete) |
//! | `GET /repos/git/trees` | `GET /repos/{o}/{r}/git/trees/{sha}` (direct entries; a commit's sha names its root tree; not `recursive`) |
//! | `GET /repos/git/blobs` | `GET /repos/{o}/{r}/git/blobs/{sha}` |
//! | `POST /repos/merges` | `POST /repos/{o}/{r}/merges` (`base` branch, `head` branch or sha: a three-way merge commit on `base`; 409 on a conflict, 204 when `head` is already in `base`) |
//! | `GET /repos/pulls/comments` | `GET /repos/{o}/{r}/pulls/{n}/comments` (inline review comments) |
//! | `GET /repos/pulls/requested_reviewers` | `GET /repos/{o}/{r}/pulls/{n}/requested_reviewers` |
//! | `POST /repos/pulls/requested_reviewers` | `POST /repos/{o}/{r}/pulls/{n}/requested_reviewers` (`reviewers`: logins; 422 for the PR's author or a non-collaborator, and then nobody is requested; a review drops its reviewer's request) |
//! | `POST /graphql` | `POST /graphql`: the `updateRefs` mutation (`beforeOid` must match, and without `force` a fast-forward; refusals as `errors` in a 200) and the `nodes(ids:)` query for comments' last `editor` |
//! | `unknown` | anything else (404) |
//!
//! # Git data
//! Every commit's tree and every blob in it are stored by sha (commits made by [`FakeGitHub::commit`]
//! as well as by the API), so a client can re-create a commit elsewhere the way it would on
//! GitHub: read the commit (`GET /git/commits/{sha}`) and the changed files with their blob shas
//! (`compare`), build a tree on another tip's tree (`POST /git/trees` with `base_tree`), create
//! the commit (`POST /git/commits`, on no branch), then move a branch to it (`PATCH /git/refs`).
//! Trees are flat: tree entries are blobs with a path, sub-trees and submodules get a 422. A
//! file's mode (`100644`, `100755`, `120000`) is kept with its tree, and a mode is part of what
//! names the tree; merges merge modes three ways too.
//! An e-mail is linked to the login of an earlier commit of the repository with it.
//!
//! Long lists are cut where GitHub cuts them, silently: 3,000 files of a pull request, 250 of
//! its commits, and 250 commits and 300 files of a comparison (`total_commits` stays true).
//! [`FakeGitHub::before`] runs a test's change just before a given call is answered, to stage
//! races, and [`Fault::lost_answer`] carries a request out and then answers with an error.
//!
//! Lists are paged like GitHub's (`per_page` default 30, at most 100; `page` from 1) with a
//! `Link` header when there is more. Every answer carries `x-ratelimit-limit`,
//! `x-ratelimit-remaining` (5000 minus the calls since [`FakeGitHub::reset_calls`]),
//! `x-ratelimit-used`, `x-ratelimit-reset` and `x-ratelimit-resource`.

mod api;
mod edits;
mod fault;
mod shapes;
mod state;
mod webhook;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub use fault::{Fault, FaultKind};
pub use shapes::BOT_LOGIN;
pub use state::{Author, ReviewState};

use state::{Comment, Label, Pull, Repo, Review, World};

/// The endpoint keys of the table in the module documentation.
pub mod endpoint {
    pub const ACCESS_TOKENS: &str = "POST /app/installations/access_tokens";
    pub const INSTALLATIONS: &str = "GET /app/installations";
    pub const INSTALLATION_REPOS: &str = "GET /installation/repositories";
    pub const REPO: &str = "GET /repos";
    pub const PULLS: &str = "GET /repos/pulls";
    pub const PULL: &str = "GET /repos/pulls/one";
    pub const PULL_FILES: &str = "GET /repos/pulls/files";
    pub const PULL_REVIEWS: &str = "GET /repos/pulls/reviews";
    pub const PULL_COMMITS: &str = "GET /repos/pulls/commits";
    pub const ISSUE_COMMENTS: &str = "GET /repos/issues/comments";
    pub const CREATE_COMMENT: &str = "POST /repos/issues/comments";
    pub const UPDATE_COMMENT: &str = "PATCH /repos/issues/comments";
    pub const CONTENTS: &str = "GET /repos/contents";
    pub const CREATE_CHECK_RUN: &str = "POST /repos/check-runs";
    pub const UPDATE_CHECK_RUN: &str = "PATCH /repos/check-runs";
    pub const RERUN_CHECK_RUN: &str = "POST /repos/check-runs/rerequest";
    pub const CHECK_RUNS_FOR_REF: &str = "GET /repos/commits/check-runs";
    pub const COMBINED_STATUS: &str = "GET /repos/commits/status";
    pub const COMPARE: &str = "GET /repos/compare";
    pub const ISSUE_LABELS: &str = "GET /repos/issues/labels";
    pub const ADD_LABELS: &str = "POST /repos/issues/labels";
    pub const REMOVE_LABEL: &str = "DELETE /repos/issues/labels";
    pub const LABELS: &str = "GET /repos/labels";
    pub const CREATE_LABEL: &str = "POST /repos/labels";
    pub const UPDATE_LABEL: &str = "PATCH /repos/labels";
    pub const PERMISSION: &str = "GET /repos/collaborators/permission";
    pub const COMMITS: &str = "GET /repos/commits";
    pub const GET_REF: &str = "GET /repos/git/ref";
    pub const CREATE_REF: &str = "POST /repos/git/refs";
    pub const UPDATE_REF: &str = "PATCH /repos/git/refs";
    pub const DELETE_REF: &str = "DELETE /repos/git/refs";
    pub const CREATE_ISSUE: &str = "POST /repos/issues";
    pub const LIST_ISSUES: &str = "GET /repos/issues";
    pub const UPDATE_ISSUE: &str = "PATCH /repos/issues/one";
    pub const UPDATE_PULL: &str = "PATCH /repos/pulls/one";
    pub const GIT_COMMIT: &str = "GET /repos/git/commits";
    pub const CREATE_GIT_COMMIT: &str = "POST /repos/git/commits";
    pub const CREATE_TREE: &str = "POST /repos/git/trees";
    pub const GIT_TREE: &str = "GET /repos/git/trees";
    pub const GIT_BLOB: &str = "GET /repos/git/blobs";
    pub const MERGE: &str = "POST /repos/merges";
    pub const GRAPHQL: &str = "POST /graphql";
    pub const PULL_REVIEW_COMMENTS: &str = "GET /repos/pulls/comments";
    pub const REQUESTED_REVIEWERS: &str = "GET /repos/pulls/requested_reviewers";
    pub const REQUEST_REVIEWERS: &str = "POST /repos/pulls/requested_reviewers";
    pub const UNKNOWN: &str = "unknown";
}

/// A check run as a test wants to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckRunView {
    pub id: u64,
    pub name: String,
    pub head_sha: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub title: Option<String>,
    pub summary: Option<String>,
    pub text: Option<String>,
    /// The annotations posted to the run, as sent.
    pub annotations: Vec<serde_json::Value>,
    /// How often a re-run was requested.
    pub rerequests: u32,
}

/// A plain issue as a test wants to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueView {
    pub number: u64,
    pub title: String,
    pub user: String,
    pub open: bool,
    pub labels: Vec<String>,
}

/// An issue comment as a test wants to see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommentView {
    pub id: u64,
    pub user: String,
    pub body: String,
}

/// The handle on a simulated GitHub; clones share one world. The arranging methods panic on
/// misuse (an unknown repository or pull request): they are test set-up, and a loud failure
/// points at the broken line.
#[derive(Debug, Clone, Default)]
pub struct FakeGitHub {
    world: Arc<Mutex<World>>,
    hooks: Arc<Mutex<Hooks>>,
}

/// What a test does to the world just before the fake answers a call (see
/// [`FakeGitHub::before`]).
type Hook = Box<dyn FnOnce(&FakeGitHub) + Send>;

/// One-shot hooks by endpoint key, in the order they were armed.
#[derive(Default)]
struct Hooks(Vec<(String, Hook)>);

impl std::fmt::Debug for Hooks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(k, _)| k))
            .finish()
    }
}

impl FakeGitHub {
    pub fn new() -> Self {
        FakeGitHub::default()
    }

    /// Serves a new fake on `127.0.0.1:<free port>` in a background task.
    ///
    /// # Panics
    /// When no local port can be bound; [`FakeGitHub::try_start`] returns the error instead.
    pub async fn start() -> (FakeGitHub, SocketAddr) {
        match FakeGitHub::try_start().await {
            Ok(started) => started,
            Err(e) => panic!("sim: cannot bind 127.0.0.1:0: {e}"),
        }
    }

    pub async fn try_start() -> std::io::Result<(FakeGitHub, SocketAddr)> {
        let fake = FakeGitHub::new();
        let addr = fake.serve_local().await?;
        Ok((fake, addr))
    }

    /// Serves this fake on `127.0.0.1:<free port>` in a background task.
    pub async fn serve_local(&self) -> std::io::Result<SocketAddr> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let router = self.router();
        tokio::spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::error!(error = %e, "simulated GitHub stopped");
            }
        });
        Ok(addr)
    }

    /// The HTTP side, to serve elsewhere.
    pub fn router(&self) -> axum::Router {
        api::router(self.clone())
    }

    pub(crate) fn with<R>(&self, f: impl FnOnce(&mut World) -> R) -> R {
        // A panicking test thread must not take the fake down with it for the others.
        let mut world = self.world.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut world)
    }

    // ---- clock ----

    /// Fixes the fake's clock (unix seconds); it stamps everything created from now on.
    pub fn set_now(&self, unix_secs: i64) {
        self.with(|w| w.clock = Some(unix_secs));
    }

    /// Moves the fake's clock forward (fixing it first if it followed real time).
    pub fn advance(&self, secs: i64) {
        self.with(|w| w.clock = Some(w.now() + secs));
    }

    /// Back to the real clock.
    pub fn use_real_time(&self) {
        self.with(|w| w.clock = None);
    }

    pub fn now(&self) -> i64 {
        self.with(|w| w.now())
    }

    // ---- arranging the world ----

    pub fn add_installation(&self, id: u64, account: &str) {
        self.with(|w| w.installations.insert(id, account.to_string()));
    }

    /// Adds an empty repository (no branch exists until the first commit) and returns its id.
    ///
    /// # Panics
    /// When `full_name` is not `owner/name` or the installation is unknown.
    pub fn add_repo(&self, installation: u64, full_name: &str, default_branch: &str) -> u64 {
        let parts: Vec<&str> = full_name.split('/').collect();
        assert!(
            parts.len() == 2 && parts.iter().all(|p| !p.is_empty()),
            "sim: repository name must be owner/name, got {full_name:?}"
        );
        self.with(|w| {
            assert!(
                w.installations.contains_key(&installation),
                "sim: no installation {installation}; call add_installation first"
            );
            let id = w.id();
            let created_at = w.now();
            w.repos.insert(
                full_name.to_ascii_lowercase(),
                Repo {
                    id,
                    installation,
                    full_name: full_name.to_string(),
                    default_branch: default_branch.to_string(),
                    created_at,
                    branches: BTreeMap::new(),
                    commits: Default::default(),
                    blobs: Default::default(),
                    trees: Default::default(),
                    tree_modes: Default::default(),
                    pulls: BTreeMap::new(),
                    issues: BTreeMap::new(),
                    next_number: 1,
                    comments: vec![],
                    check_runs: vec![],
                    labels: vec![],
                    permissions: Default::default(),
                    check_run_apps: Default::default(),
                    statuses: vec![],
                },
            );
            id
        })
    }

    /// Commits `files` (path → new content, `None` deletes) on top of `branch` and returns the
    /// new sha. A missing branch starts from the default branch; an empty repository gets a
    /// root commit. Open pull requests whose head is `branch` follow it.
    pub fn commit(
        &self,
        repo: &str,
        branch: &str,
        author: impl Into<Author>,
        message: &str,
        files: &[(&str, Option<&str>)],
    ) -> String {
        let author = author.into();
        self.with(|w| w.commit(repo, branch, author, message, files))
            .unwrap_or_else(|| panic!("sim: no repository {repo}"))
    }

    /// [`FakeGitHub::commit`] that also sets file modes: `100755` (executable), `120000`
    /// (a symlink, whose content is its target) or `100644` (back to a plain file).
    pub fn commit_modes(
        &self,
        repo: &str,
        branch: &str,
        author: impl Into<Author>,
        message: &str,
        files: &[(&str, Option<&str>)],
        modes: &[(&str, &str)],
    ) -> String {
        let author = author.into();
        self.with(|w| w.commit_modes(repo, branch, author, message, files, modes))
            .unwrap_or_else(|| panic!("sim: no repository {repo}"))
    }

    /// A file's mode at a branch or sha (`100644` for a plain file), None when it is absent.
    pub fn mode_at(&self, repo: &str, rev: &str, path: &str) -> Option<String> {
        self.with(|w| {
            let r = w.repo(repo)?;
            let sha = r.resolve(rev)?;
            r.commits.get(&sha)?.files.get(path)?;
            Some(
                r.modes_of(&sha)
                    .get(path)
                    .cloned()
                    .unwrap_or_else(|| state::PLAIN.to_string()),
            )
        })
    }

    /// # Panics
    /// When the repository or the commit is unknown.
    pub fn create_branch(&self, repo: &str, name: &str, from_sha: &str) {
        self.with(|w| {
            let r = w
                .repo_mut(repo)
                .unwrap_or_else(|| panic!("sim: no repository {repo}"));
            let sha = r
                .resolve(from_sha)
                .unwrap_or_else(|| panic!("sim: {repo} has no commit {from_sha}"));
            r.branches.insert(name.to_string(), sha.clone());
            w.ref_log
                .push((repo.to_ascii_lowercase(), name.to_string(), sha));
        });
    }

    /// The repository's branch names.
    pub fn branches(&self, repo: &str) -> Vec<String> {
        self.with(|w| {
            w.repo(repo)
                .map(|r| r.branches.keys().cloned().collect())
                .unwrap_or_default()
        })
    }

    pub fn branch_tip(&self, repo: &str, branch: &str) -> Option<String> {
        self.with(|w| w.repo(repo)?.branches.get(branch).cloned())
    }

    /// A file's content at a branch or sha.
    pub fn file_at(&self, repo: &str, rev: &str, path: &str) -> Option<String> {
        self.with(|w| {
            let r = w.repo(repo)?;
            let sha = r.resolve(rev)?;
            r.commits.get(&sha)?.files.get(path).cloned()
        })
    }

    /// A commit's message (at a branch or sha).
    pub fn commit_message(&self, repo: &str, rev: &str) -> Option<String> {
        self.with(|w| {
            let r = w.repo(repo)?;
            Some(r.commits.get(&r.resolve(rev)?)?.message.clone())
        })
    }

    /// A commit's committer (name, e-mail), at a branch or sha.
    pub fn commit_committer(&self, repo: &str, rev: &str) -> Option<(String, String)> {
        self.with(|w| {
            let r = w.repo(repo)?;
            let c = r.commits.get(&r.resolve(rev)?)?;
            Some((c.committer.name.clone(), c.committer.email.clone()))
        })
    }

    /// A commit's parents (at a branch or sha), first parent first; none for an unknown commit.
    pub fn commit_parents(&self, repo: &str, rev: &str) -> Vec<String> {
        self.with(|w| {
            let r = w.repo(repo)?;
            Some(r.commits.get(&r.resolve(rev)?)?.parents.clone())
        })
        .unwrap_or_default()
    }

    /// Opens a pull request from `head_branch` into `base_branch` (both must exist) and returns
    /// its number.
    pub fn open_pr(
        &self,
        repo: &str,
        author_login: &str,
        head_branch: &str,
        base_branch: &str,
        title: &str,
    ) -> u64 {
        self.with(|w| {
            let id = w.id();
            let now = w.now();
            let r = w
                .repo_mut(repo)
                .unwrap_or_else(|| panic!("sim: no repository {repo}"));
            let head_sha = r
                .branches
                .get(head_branch)
                .cloned()
                .unwrap_or_else(|| panic!("sim: {repo} has no branch {head_branch}"));
            let base_sha = r
                .branches
                .get(base_branch)
                .cloned()
                .unwrap_or_else(|| panic!("sim: {repo} has no branch {base_branch}"));
            let number = r.next_number;
            r.next_number += 1;
            r.pulls.insert(
                number,
                Pull {
                    number,
                    id,
                    title: title.to_string(),
                    body: String::new(),
                    user: author_login.to_string(),
                    open: true,
                    draft: false,
                    head_ref: head_branch.to_string(),
                    head_sha,
                    base_ref: base_branch.to_string(),
                    base_sha,
                    created_at: now,
                    updated_at: now,
                    closed_at: None,
                    merged_at: None,
                    merged_by: None,
                    merge_commit_sha: None,
                    labels: vec![],
                    reviews: vec![],
                    requested: vec![],
                },
            );
            number
        })
    }

    fn with_pull<R>(&self, repo: &str, number: u64, f: impl FnOnce(&mut Pull, i64) -> R) -> R {
        self.with(|w| {
            let now = w.now();
            let pr = w
                .repo_mut(repo)
                .and_then(|r| r.pulls.get_mut(&number))
                .unwrap_or_else(|| panic!("sim: no pull request {repo}#{number}"));
            f(pr, now)
        })
    }

    pub fn set_pr_body(&self, repo: &str, number: u64, body: &str) {
        self.with_pull(repo, number, |pr, now| {
            pr.body = body.to_string();
            pr.updated_at = now;
        });
    }

    pub fn set_draft(&self, repo: &str, number: u64, draft: bool) {
        self.with_pull(repo, number, |pr, now| {
            pr.draft = draft;
            pr.updated_at = now;
        });
    }

    pub fn close_pr(&self, repo: &str, number: u64) {
        self.with_pull(repo, number, |pr, now| {
            pr.open = false;
            pr.closed_at = Some(now);
            pr.updated_at = now;
        });
    }

    /// Commits to the pull request's head branch; the pull request follows (its base sha is
    /// refreshed to the base branch's tip, as GitHub does on `synchronize`). Returns the new head.
    pub fn push_to_pr(
        &self,
        repo: &str,
        number: u64,
        author: impl Into<Author>,
        message: &str,
        files: &[(&str, Option<&str>)],
    ) -> String {
        let head_ref = self.with_pull(repo, number, |pr, _| pr.head_ref.clone());
        self.commit(repo, &head_ref, author, message, files)
    }

    /// Merges the pull request with a merge commit on its base branch (by `merger`) and
    /// closes it; returns the merge commit's sha.
    pub fn merge_pr(&self, repo: &str, number: u64, merger: &str) -> String {
        let (base_ref, head_sha, title) = self.with_pull(repo, number, |pr, _| {
            (pr.base_ref.clone(), pr.head_sha.clone(), pr.title.clone())
        });
        let author =
            Author::new(merger, &format!("{merger}@users.noreply.github.com")).login(merger);
        let message = format!("Merge pull request #{number}\n\n{title}");
        let sha = self
            .with(|w| w.merge(repo, &base_ref, &head_sha, author, &message))
            .unwrap_or_else(|| panic!("sim: cannot merge {repo}#{number}"));
        self.with_pull(repo, number, |pr, now| {
            pr.open = false;
            pr.closed_at = Some(now);
            pr.merged_at = Some(now);
            pr.merged_by = Some(merger.to_string());
            pr.merge_commit_sha = Some(sha.clone());
            pr.updated_at = now;
        });
        sha
    }

    /// `open` or `closed`.
    pub fn pr_state(&self, repo: &str, number: u64) -> String {
        self.with_pull(repo, number, |pr, _| {
            if pr.open { "open" } else { "closed" }.to_string()
        })
    }

    pub fn pr_head(&self, repo: &str, number: u64) -> String {
        self.with_pull(repo, number, |pr, _| pr.head_sha.clone())
    }

    /// A review on the pull request's current head; returns its id.
    pub fn add_review(
        &self,
        repo: &str,
        number: u64,
        login: &str,
        state: ReviewState,
        body: &str,
    ) -> u64 {
        let head = self.pr_head(repo, number);
        self.review_on(repo, number, login, state, body, &head)
    }

    /// A review of an earlier commit `commit_id` of the pull request (a reviewer on a page
    /// opened before the last push); returns its id.
    pub fn add_review_on(
        &self,
        repo: &str,
        number: u64,
        login: &str,
        state: ReviewState,
        commit_id: &str,
    ) -> u64 {
        self.review_on(repo, number, login, state, "", commit_id)
    }

    fn review_on(
        &self,
        repo: &str,
        number: u64,
        login: &str,
        state: ReviewState,
        body: &str,
        commit_id: &str,
    ) -> u64 {
        let id = self.with(|w| w.id());
        self.with_pull(repo, number, |pr, now| {
            pr.requested.retain(|r| !r.eq_ignore_ascii_case(login));
            pr.reviews.push(Review {
                id,
                user: login.to_string(),
                state,
                body: body.to_string(),
                commit_id: commit_id.to_string(),
                submitted_at: now,
            });
        });
        id
    }

    pub fn dismiss_review(&self, repo: &str, number: u64, review_id: u64) {
        self.with_pull(repo, number, |pr, _| {
            for review in pr.reviews.iter_mut().filter(|r| r.id == review_id) {
                review.state = ReviewState::Dismissed;
            }
        });
    }

    /// The title and body of issue `number` (not a pull request), if it exists.
    pub fn issue(&self, repo: &str, number: u64) -> Option<(String, String)> {
        self.with(|w| {
            w.repo_mut(repo)
                .and_then(|r| r.issues.get(&number))
                .map(|i| (i.title.clone(), i.body.clone()))
        })
    }

    /// Numbers of the issues (not pull requests) with this title.
    pub fn issues_titled(&self, repo: &str, title: &str) -> Vec<u64> {
        self.with(|w| {
            w.repo_mut(repo)
                .map(|r| {
                    r.issues
                        .values()
                        .filter(|i| i.title == title)
                        .map(|i| i.number)
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// Opens a plain issue by `login` with `labels` (created in the repository when missing);
    /// returns its number.
    pub fn open_issue(&self, repo: &str, login: &str, title: &str, labels: &[&str]) -> u64 {
        self.with(|w| {
            let id = w.id();
            let now = w.now();
            let mut ids: Vec<u64> = labels.iter().map(|_| w.id()).collect();
            let r = w
                .repo_mut(repo)
                .unwrap_or_else(|| panic!("sim: no repository {repo}"));
            for name in labels {
                if r.label(name).is_none() {
                    r.labels.push(Label {
                        id: ids.pop().unwrap_or_default(),
                        name: name.to_string(),
                        color: "ededed".to_string(),
                        description: None,
                    });
                }
            }
            let number = r.next_number;
            r.next_number += 1;
            r.issues.insert(
                number,
                state::Issue {
                    number,
                    id,
                    title: title.to_string(),
                    body: String::new(),
                    user: login.to_string(),
                    open: true,
                    labels: labels.iter().map(|l| l.to_string()).collect(),
                    created_at: now,
                    updated_at: now,
                },
            );
            number
        })
    }

    /// Sets the labels of pull request or issue `number`, as a person would in the web UI.
    pub fn set_issue_labels(&self, repo: &str, number: u64, labels: &[&str]) {
        self.with(|w| {
            let on = w
                .repo_mut(repo)
                .and_then(|r| r.labels_of_issue_mut(number))
                .unwrap_or_else(|| panic!("sim: no issue {repo}#{number}"));
            *on = labels.iter().map(|l| l.to_string()).collect();
        });
    }

    /// Sets the text of plain issue `number`, as its author would in the web UI.
    pub fn set_issue_body(&self, repo: &str, number: u64, body: &str) {
        self.with(|w| {
            let now = w.now();
            let issue = w
                .repo_mut(repo)
                .and_then(|r| r.issues.get_mut(&number))
                .unwrap_or_else(|| panic!("sim: no issue {repo}#{number}"));
            issue.body = body.to_string();
            issue.updated_at = now;
        });
    }

    /// Sets the title of plain issue `number`, as its author would in the web UI.
    pub fn set_issue_title(&self, repo: &str, number: u64, title: &str) {
        self.with(|w| {
            let now = w.now();
            let issue = w
                .repo_mut(repo)
                .and_then(|r| r.issues.get_mut(&number))
                .unwrap_or_else(|| panic!("sim: no issue {repo}#{number}"));
            issue.title = title.to_string();
            issue.updated_at = now;
        });
    }

    /// Closes plain issue `number`.
    pub fn close_issue(&self, repo: &str, number: u64) {
        self.with(|w| {
            let now = w.now();
            let issue = w
                .repo_mut(repo)
                .and_then(|r| r.issues.get_mut(&number))
                .unwrap_or_else(|| panic!("sim: no issue {repo}#{number}"));
            issue.open = false;
            issue.updated_at = now;
        });
    }

    /// The labels on issue `number` (not a pull request), and whether it is open.
    pub fn issue_state(&self, repo: &str, number: u64) -> Option<(bool, Vec<String>)> {
        self.with(|w| {
            w.repo(repo)
                .and_then(|r| r.issues.get(&number))
                .map(|i| (i.open, i.labels.clone()))
        })
    }

    /// The repository's labels: (name, colour, description).
    pub fn repo_labels(&self, repo: &str) -> Vec<(String, String, Option<String>)> {
        self.with(|w| {
            w.repo(repo)
                .map(|r| {
                    r.labels
                        .iter()
                        .map(|l| (l.name.clone(), l.color.clone(), l.description.clone()))
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// An issue comment on the pull request or issue; returns its id.
    pub fn add_comment(&self, repo: &str, number: u64, login: &str, body: &str) -> u64 {
        self.with(|w| {
            let id = w.id();
            let now = w.now();
            let r = w
                .repo_mut(repo)
                .filter(|r| r.has_issue(number))
                .unwrap_or_else(|| panic!("sim: no issue or pull request {repo}#{number}"));
            r.comments.push(Comment {
                id,
                issue: number,
                user: login.to_string(),
                body: body.to_string(),
                created_at: now,
                updated_at: now,
            });
            id
        })
    }

    /// `admin`, `maintain`, `write`, `triage`, `read` or `none`.
    pub fn set_permission(&self, repo: &str, login: &str, permission: &str) {
        self.with(|w| {
            w.repo_mut(repo)
                .unwrap_or_else(|| panic!("sim: no repository {repo}"))
                .permissions
                .insert(login.to_ascii_lowercase(), permission.to_string());
        });
    }

    /// Creates (or recolours) a repository label.
    pub fn add_label(&self, repo: &str, name: &str, color: &str, description: &str) {
        self.with(|w| {
            let id = w.id();
            let r = w
                .repo_mut(repo)
                .unwrap_or_else(|| panic!("sim: no repository {repo}"));
            let description = (!description.is_empty()).then(|| description.to_string());
            match r
                .labels
                .iter_mut()
                .find(|l| l.name.eq_ignore_ascii_case(name))
            {
                Some(label) => {
                    label.color = color.to_string();
                    label.description = description;
                }
                None => r.labels.push(Label {
                    id,
                    name: name.to_string(),
                    color: color.to_string(),
                    description,
                }),
            }
        });
    }

    /// A completed check run posted by another GitHub App (`app` is its slug), as a CI app
    /// posts it; no webhook is sent. Returns its id.
    pub fn add_check_run_by_app(
        &self,
        repo: &str,
        sha: &str,
        name: &str,
        conclusion: &str,
        app: &str,
    ) -> u64 {
        self.with(|w| {
            let id = w.id();
            let now = w.now();
            let r = w
                .repo_mut(repo)
                .unwrap_or_else(|| panic!("sim: no repository {repo}"));
            r.check_runs.push(state::CheckRun {
                id,
                name: name.to_string(),
                head_sha: sha.to_string(),
                status: "completed".to_string(),
                conclusion: Some(conclusion.to_string()),
                started_at: now,
                completed_at: Some(now),
                details_url: None,
                external_id: String::new(),
                output: Default::default(),
                rerequests: 0,
            });
            r.check_run_apps.insert(id, app.to_string());
            id
        })
    }

    /// A commit status created by `creator` (a user or a bot login); no webhook is sent.
    pub fn add_status(&self, repo: &str, sha: &str, context: &str, state: &str, creator: &str) {
        self.with(|w| {
            let id = w.id();
            let now = w.now();
            let r = w
                .repo_mut(repo)
                .unwrap_or_else(|| panic!("sim: no repository {repo}"));
            r.statuses.push(state::CommitStatus {
                id,
                sha: sha.to_string(),
                context: context.to_string(),
                state: state.to_string(),
                creator: creator.to_string(),
                created_at: now,
            });
        });
    }

    // ---- observing ----

    /// How many ref updates asked for `force: true`.
    pub fn forced_ref_updates(&self) -> usize {
        self.with(|w| w.forced_ref_updates)
    }

    /// Every commit `branch` of `repo` was set to, oldest first, by the API or by a test: a
    /// branch's history, which a poll of its tip could miss a step of.
    pub fn branch_history(&self, repo: &str, branch: &str) -> Vec<String> {
        let repo = repo.to_ascii_lowercase();
        self.with(|w| {
            w.ref_log
                .iter()
                .filter(|(r, b, _)| *r == repo && b == branch)
                .map(|(_, _, sha)| sha.clone())
                .collect()
        })
    }

    /// The repository's plain issues (not pull requests), by number.
    pub fn issues(&self, repo: &str) -> Vec<IssueView> {
        self.with(|w| {
            w.repo(repo)
                .map(|r| {
                    r.issues
                        .values()
                        .map(|i| IssueView {
                            number: i.number,
                            title: i.title.clone(),
                            user: i.user.clone(),
                            open: i.open,
                            labels: i.labels.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// Every issue comment of the repository (on pull requests and issues), oldest first:
    /// (issue or pull request number, comment).
    pub fn all_comments(&self, repo: &str) -> Vec<(u64, CommentView)> {
        self.with(|w| {
            w.repo(repo)
                .map(|r| {
                    r.comments
                        .iter()
                        .map(|c| {
                            (
                                c.issue,
                                CommentView {
                                    id: c.id,
                                    user: c.user.clone(),
                                    body: c.body.clone(),
                                },
                            )
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    pub fn check_runs(&self, repo: &str) -> Vec<CheckRunView> {
        self.with(|w| {
            w.repo(repo)
                .map(|r| {
                    r.check_runs
                        .iter()
                        .map(|c| CheckRunView {
                            id: c.id,
                            name: c.name.clone(),
                            head_sha: c.head_sha.clone(),
                            status: c.status.clone(),
                            conclusion: c.conclusion.clone(),
                            title: c.output.title.clone(),
                            summary: c.output.summary.clone(),
                            text: c.output.text.clone(),
                            annotations: c.output.annotations.clone(),
                            rerequests: c.rerequests,
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// Someone removes the request for `login`'s review on pull request `number` (in the web
    /// interface).
    pub fn remove_review_request(&self, repo: &str, number: u64, login: &str) {
        self.with_pull(repo, number, |pr, _| {
            pr.requested.retain(|r| !r.eq_ignore_ascii_case(login));
        });
    }

    /// The logins whose review is requested on pull request `number`, in request order.
    pub fn requested_reviewers(&self, repo: &str, number: u64) -> Vec<String> {
        self.with(|w| {
            w.repo(repo)
                .and_then(|r| r.pulls.get(&number))
                .map(|pr| pr.requested.clone())
                .unwrap_or_default()
        })
    }

    /// The labels on pull request or plain issue `number`.
    pub fn labels_on(&self, repo: &str, number: u64) -> Vec<String> {
        self.with(|w| {
            w.repo(repo)
                .and_then(|r| r.labels_of_issue(number))
                .cloned()
                .unwrap_or_default()
        })
    }

    pub fn comments_on(&self, repo: &str, number: u64) -> Vec<CommentView> {
        self.with(|w| {
            w.repo(repo)
                .map(|r| {
                    r.comments
                        .iter()
                        .filter(|c| c.issue == number)
                        .map(|c| CommentView {
                            id: c.id,
                            user: c.user.clone(),
                            body: c.body.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default()
        })
    }

    /// Calls made to one endpoint key (see [`endpoint`]) since the last reset.
    pub fn calls(&self, endpoint_key: &str) -> usize {
        self.with(|w| w.calls.get(endpoint_key).copied().unwrap_or(0))
    }

    pub fn calls_total(&self) -> usize {
        self.with(|w| w.calls.values().sum())
    }

    /// Every key called since the last reset, with its count.
    pub fn call_counts(&self) -> BTreeMap<String, usize> {
        self.with(|w| w.calls.clone())
    }

    /// Zeroes the counters and refills the rate-limit budget.
    pub fn reset_calls(&self) {
        self.with(|w| {
            w.calls.clear();
            w.used = 0;
        });
    }

    // ---- authentication and faults ----

    /// A valid installation token, as `POST /app/installations/{id}/access_tokens` would give.
    pub fn mint_token(&self, installation: u64) -> String {
        self.with(|w| api::mint(w, installation))
    }

    /// The installation tokens that are valid now (minted and not revoked).
    pub fn issued_tokens(&self) -> Vec<String> {
        self.with(|w| w.tokens.keys().cloned().collect())
    }

    /// Every minted token stops working (401 "Bad credentials"), as after expiry.
    pub fn revoke_tokens(&self) {
        self.with(|w| w.tokens.clear());
    }

    pub fn inject(&self, fault: Fault) {
        self.with(|w| w.faults.push(fault::ArmedFault::new(fault)));
    }

    pub fn clear_faults(&self) {
        self.with(|w| w.faults.clear());
    }

    /// Runs `change` once, just before the fake answers the next call to `endpoint_key` (see
    /// [`endpoint`]): the answer then reflects what `change` did. This stages races
    /// deterministically, such as a push landing between a client's two reads.
    pub fn before(&self, endpoint_key: &str, change: impl FnOnce(&FakeGitHub) + Send + 'static) {
        let mut hooks = self.hooks.lock().unwrap_or_else(|e| e.into_inner());
        hooks.0.push((endpoint_key.to_string(), Box::new(change)));
    }

    /// Takes the first hook armed for `endpoint_key`, if any.
    pub(crate) fn take_hook(&self, endpoint_key: &str) -> Option<Hook> {
        let mut hooks = self.hooks.lock().unwrap_or_else(|e| e.into_inner());
        let at = hooks.0.iter().position(|(k, _)| k == endpoint_key)?;
        Some(hooks.0.remove(at).1)
    }
}
