//! The fake's memory: installations, repositories with a tiny git model (commits carry whole
//! trees), pull requests, reviews, comments, check runs, labels and permissions. Plain data and
//! the few git questions GitHub answers (resolve a ref, merge base, ahead/behind, tree diff).
//!
//! Trees are flat (path → content). Every tree a commit or `POST /git/trees` makes is kept by
//! its sha ([`tree_sha`]: a digest of the sorted path → blob list), and every blob in it by its
//! [`blob_sha`], so that the Git Data API can build new commits from them.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use sha2::{Digest, Sha256};

use super::fault::ArmedFault;

/// The author (and committer) of a simulated commit. `login` is the GitHub account GitHub links
/// to the e-mail, if any: it becomes the commit's top-level `author` object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Author {
    pub name: String,
    pub email: String,
    pub login: Option<String>,
}

impl Author {
    pub fn new(name: &str, email: &str) -> Self {
        Author {
            name: name.to_string(),
            email: email.to_string(),
            login: None,
        }
    }

    /// The GitHub account linked to this e-mail.
    pub fn login(mut self, login: &str) -> Self {
        self.login = Some(login.to_string());
        self
    }
}

impl From<(&str, &str, &str)> for Author {
    fn from((name, email, login): (&str, &str, &str)) -> Self {
        Author::new(name, email).login(login)
    }
}

impl From<(&str, &str)> for Author {
    fn from((name, email): (&str, &str)) -> Self {
        Author::new(name, email)
    }
}

/// A review's state as the REST API spells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Commented,
    Dismissed,
}

impl ReviewState {
    /// REST spelling (`APPROVED`); webhooks use the lowercase form.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewState::Approved => "APPROVED",
            ReviewState::ChangesRequested => "CHANGES_REQUESTED",
            ReviewState::Commented => "COMMENTED",
            ReviewState::Dismissed => "DISMISSED",
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Commit {
    pub sha: String,
    pub parents: Vec<String>,
    pub message: String,
    pub author: Author,
    /// The author date.
    pub date: i64,
    pub committer: Author,
    pub committed_at: i64,
    /// Creation order; a descendant always has a larger `seq` than its ancestors.
    pub seq: u64,
    /// The sha of `files` in the repository's tree store.
    pub tree: String,
    pub files: BTreeMap<String, String>,
}

/// What a new commit is made of; [`World::create_commit`] gives it its sha, tree and `seq`.
#[derive(Debug, Clone)]
pub(crate) struct NewCommit {
    pub parents: Vec<String>,
    pub message: String,
    pub author: Author,
    /// The author date; `None`: now.
    pub date: Option<i64>,
    /// `None`: the author.
    pub committer: Option<(Author, Option<i64>)>,
    pub files: BTreeMap<String, String>,
    /// The files whose mode is not `100644` (`100755`, `120000`).
    pub modes: Modes,
}

/// File modes other than a plain file's `100644`, by path.
pub(crate) type Modes = BTreeMap<String, String>;

/// A plain file's mode, which [`Modes`] leaves out.
pub(crate) const PLAIN: &str = "100644";

#[derive(Debug, Clone)]
pub(crate) struct Review {
    pub id: u64,
    pub user: String,
    pub state: ReviewState,
    pub body: String,
    pub commit_id: String,
    pub submitted_at: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct Pull {
    pub number: u64,
    pub id: u64,
    pub title: String,
    pub body: String,
    pub user: String,
    pub open: bool,
    pub draft: bool,
    pub head_ref: String,
    pub head_sha: String,
    pub base_ref: String,
    pub base_sha: String,
    pub created_at: i64,
    pub updated_at: i64,
    pub closed_at: Option<i64>,
    pub merged_at: Option<i64>,
    pub merged_by: Option<String>,
    pub merge_commit_sha: Option<String>,
    pub labels: Vec<String>,
    pub reviews: Vec<Review>,
    /// Logins whose review is requested and not yet given (GitHub drops a request when its
    /// reviewer submits a review).
    pub requested: Vec<String>,
}

/// An issue that is not a pull request (the push gate's dashboard, regression reports).
#[derive(Debug, Clone)]
pub(crate) struct Issue {
    pub number: u64,
    pub id: u64,
    pub title: String,
    pub body: String,
    pub user: String,
    pub open: bool,
    pub labels: Vec<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct Comment {
    pub id: u64,
    pub issue: u64,
    pub user: String,
    pub body: String,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct Label {
    pub id: u64,
    pub name: String,
    pub color: String,
    pub description: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Output {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub text: Option<String>,
    pub annotations_count: usize,
    /// Every annotation posted to the run, as sent.
    pub annotations: Vec<serde_json::Value>,
}

#[derive(Debug, Clone)]
pub(crate) struct CheckRun {
    pub id: u64,
    pub name: String,
    pub head_sha: String,
    pub status: String,
    pub conclusion: Option<String>,
    pub started_at: i64,
    pub completed_at: Option<i64>,
    pub details_url: Option<String>,
    pub external_id: String,
    pub output: Output,
    /// How often a re-run was requested (`POST …/rerequest`).
    pub rerequests: u32,
}

#[derive(Debug, Clone)]
pub(crate) struct Repo {
    pub id: u64,
    pub installation: u64,
    pub full_name: String,
    pub default_branch: String,
    pub created_at: i64,
    pub branches: BTreeMap<String, String>,
    pub commits: HashMap<String, Commit>,
    /// Blob sha → content, for every file of every stored tree.
    pub blobs: HashMap<String, String>,
    /// Tree sha → its files (path → content).
    pub trees: HashMap<String, BTreeMap<String, String>>,
    /// Tree sha → the modes of its files that are not plain (a tree without any: absent).
    pub tree_modes: HashMap<String, Modes>,
    pub pulls: BTreeMap<u64, Pull>,
    pub issues: BTreeMap<u64, Issue>,
    /// Pull requests and issues share one number sequence, as on GitHub.
    pub next_number: u64,
    pub comments: Vec<Comment>,
    pub check_runs: Vec<CheckRun>,
    pub labels: Vec<Label>,
    pub permissions: HashMap<String, String>,
    /// Check runs posted by another GitHub App than pushgate's: run id → that app's slug.
    pub check_run_apps: HashMap<u64, String>,
    /// Commit statuses, oldest first.
    pub statuses: Vec<CommitStatus>,
}

/// A commit status (`POST /repos/{o}/{r}/statuses/{sha}`), with the account that created it.
#[derive(Debug, Clone)]
pub(crate) struct CommitStatus {
    pub id: u64,
    pub sha: String,
    pub context: String,
    pub state: String,
    pub creator: String,
    pub created_at: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct Token {
    pub installation: u64,
}

/// Everything the fake knows, behind one lock.
#[derive(Debug, Default)]
pub(crate) struct World {
    /// `None`: the real clock.
    pub clock: Option<i64>,
    next_id: u64,
    next_seq: u64,
    pub installations: BTreeMap<u64, String>,
    /// Keyed by lowercase full name: GitHub matches `owner/name` case-insensitively.
    pub repos: BTreeMap<String, Repo>,
    pub tokens: HashMap<String, Token>,
    pub minted: u64,
    pub calls: BTreeMap<String, usize>,
    /// Requests counted against the rate limit since the last reset.
    pub used: u64,
    pub faults: Vec<ArmedFault>,
    /// Ref updates that asked for `force: true`, refused or not.
    pub forced_ref_updates: usize,
    /// Every position a branch was set to, oldest first: (lowercase repository, branch, sha).
    pub ref_log: Vec<(String, String, String)>,
    /// Inline review comments, of every repository.
    pub review_comments: Vec<ReviewComment>,
    /// Edits of issue comments, oldest first.
    pub comment_edits: Vec<CommentEdit>,
    /// Issue comments deleted, as they were, with who deleted them.
    pub deleted_comments: Vec<(String, Comment, String)>,
    /// Edits of review bodies, oldest first (`comment` is the review's id).
    pub review_edits: Vec<CommentEdit>,
}

/// An inline review comment (`GET /repos/{o}/{r}/pulls/{n}/comments`).
#[derive(Debug, Clone)]
pub(crate) struct ReviewComment {
    /// The repository's lowercase full name.
    pub repo: String,
    pub pull: u64,
    pub id: u64,
    pub review_id: u64,
    pub user: String,
    pub body: String,
    pub path: String,
    pub commit_id: String,
    pub created_at: i64,
    pub updated_at: i64,
}

/// One edit of an issue comment: who made it and the text before.
#[derive(Debug, Clone)]
pub(crate) struct CommentEdit {
    /// The repository's lowercase full name.
    pub repo: String,
    pub comment: u64,
    pub editor: String,
    pub from: String,
}

/// One path's change between two trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileChange {
    pub path: String,
    /// `added`, `removed` or `modified`, as GitHub spells them.
    pub status: &'static str,
    pub old: Option<String>,
    pub new: Option<String>,
}

impl World {
    pub fn now(&self) -> i64 {
        self.clock.unwrap_or_else(|| chrono::Utc::now().timestamp())
    }

    /// A fresh id for reviews, comments, check runs, labels, pull requests, repositories.
    pub fn id(&mut self) -> u64 {
        self.next_id += 1;
        // Real ids are large; tests must not mistake an id for a number.
        1_000_000 + self.next_id
    }

    fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub fn repo(&self, full_name: &str) -> Option<&Repo> {
        self.repos.get(&full_name.to_ascii_lowercase())
    }

    pub fn repo_mut(&mut self, full_name: &str) -> Option<&mut Repo> {
        self.repos.get_mut(&full_name.to_ascii_lowercase())
    }

    /// Makes a commit on top of `branch` (created from the default branch when missing, and as a
    /// root commit when the repository is still empty) and moves the branch to it.
    pub fn commit(
        &mut self,
        repo: &str,
        branch: &str,
        author: Author,
        message: &str,
        changes: &[(&str, Option<&str>)],
    ) -> Option<String> {
        self.commit_modes(repo, branch, author, message, changes, &[])
    }

    /// [`World::commit`] that also sets file modes (`100755`, `120000`, or `100644` back to a
    /// plain file); unchanged files keep theirs.
    pub fn commit_modes(
        &mut self,
        repo: &str,
        branch: &str,
        author: Author,
        message: &str,
        changes: &[(&str, Option<&str>)],
        set_modes: &[(&str, &str)],
    ) -> Option<String> {
        let r = self.repo(repo)?;
        let parent = r
            .branches
            .get(branch)
            .or_else(|| r.branches.get(&r.default_branch))
            .cloned();
        let mut files = parent
            .as_ref()
            .and_then(|p| r.commits.get(p))
            .map(|c| c.files.clone())
            .unwrap_or_default();
        for (path, content) in changes {
            match content {
                Some(text) => files.insert(path.to_string(), text.to_string()),
                None => files.remove(*path),
            };
        }
        let mut modes = parent.as_deref().map(|p| r.modes_of(p)).unwrap_or_default();
        for (path, mode) in set_modes {
            if *mode == PLAIN {
                modes.remove(*path);
            } else {
                modes.insert(path.to_string(), mode.to_string());
            }
        }
        modes.retain(|path, _| files.contains_key(path));
        let full_name = r.full_name.clone();
        let new = NewCommit {
            parents: parent.into_iter().collect(),
            message: message.to_string(),
            author,
            date: None,
            committer: None,
            files,
            modes,
        };
        let sha = self.create_commit(&full_name, new)?;
        self.set_branch(&full_name, branch, &sha);
        Some(sha)
    }

    /// A merge commit on `into` with parents (tip of `into`, `head`): the tip's tree with the
    /// changes `head` made since the merge base applied on top.
    pub fn merge(
        &mut self,
        repo: &str,
        into: &str,
        head: &str,
        author: Author,
        message: &str,
    ) -> Option<String> {
        let r = self.repo(repo)?;
        let tip = r.branches.get(into)?.clone();
        let base = r.merge_base(&tip, head);
        let changes = r.diff(base.as_deref(), head);
        let mut files = r.commits.get(&tip)?.files.clone();
        for change in changes {
            match change.new {
                Some(text) => files.insert(change.path, text),
                None => files.remove(&change.path),
            };
        }
        let modes = merged_modes(
            &base.as_deref().map(|b| r.modes_of(b)).unwrap_or_default(),
            &r.modes_of(&tip),
            &r.modes_of(head),
        )
        .unwrap_or_else(|_| r.modes_of(head));
        let full_name = r.full_name.clone();
        let new = NewCommit {
            parents: vec![tip, head.to_string()],
            message: message.to_string(),
            author,
            date: None,
            committer: None,
            modes: modes
                .into_iter()
                .filter(|(p, _)| files.contains_key(p))
                .collect(),
            files,
        };
        let sha = self.create_commit(&full_name, new)?;
        self.set_branch(&full_name, into, &sha);
        Some(sha)
    }

    /// `POST /merges`: merges `head` (a branch or sha) into branch `base` the way git does,
    /// three ways from their merge base, file by file and, for a file both sides changed,
    /// line by line. A clean merge becomes a merge commit on `base` (by the App's bot).
    pub fn merge_three_way(&mut self, repo: &str, base: &str, head: &str, message: &str) -> Merged {
        let Some(r) = self.repo(repo) else {
            return Merged::Missing(repo.to_string());
        };
        let Some(tip) = r.branches.get(base).cloned() else {
            return Merged::Missing(format!("branch {base}"));
        };
        let Some(head_sha) = r.resolve(head) else {
            return Merged::Missing(head.to_string());
        };
        if r.ancestors(&tip).contains(&head_sha) {
            return Merged::Nothing;
        }
        let files_of = |sha: &str| r.commits.get(sha).map(|c| c.files.clone());
        let ancestor = r
            .merge_base(&tip, &head_sha)
            .and_then(|b| files_of(&b))
            .unwrap_or_default();
        let (Some(ours), Some(theirs)) = (files_of(&tip), files_of(&head_sha)) else {
            return Merged::Missing(head.to_string());
        };
        let files = match three_way(&ancestor, &ours, &theirs) {
            Ok(files) => files,
            Err(paths) => return Merged::Conflict(paths),
        };
        let base_modes = r
            .merge_base(&tip, &head_sha)
            .map(|b| r.modes_of(&b))
            .unwrap_or_default();
        let modes = match merged_modes(&base_modes, &r.modes_of(&tip), &r.modes_of(&head_sha)) {
            Ok(modes) => modes,
            Err(paths) => return Merged::Conflict(paths),
        };
        let modes: Modes = modes
            .into_iter()
            .filter(|(p, _)| files.contains_key(p))
            .collect();
        let full_name = r.full_name.clone();
        let new = NewCommit {
            parents: vec![tip, head_sha],
            message: message.to_string(),
            author: Author::new(BOT_NAME, BOT_EMAIL).login(super::shapes::BOT_LOGIN),
            date: None,
            committer: None,
            files,
            modes,
        };
        let Some(sha) = self.create_commit(&full_name, new) else {
            return Merged::Missing(repo.to_string());
        };
        self.set_branch(&full_name, base, &sha);
        Merged::Made(sha)
    }

    /// Stores a commit object (its tree and blobs too) without moving any branch; the parents
    /// must already be known. Returns its sha.
    pub fn create_commit(&mut self, repo: &str, new: NewCommit) -> Option<String> {
        let seq = self.seq();
        let now = self.now();
        let repo = self.repo_mut(repo)?;
        let date = new.date.unwrap_or(now);
        let (committer, committed_at) = match new.committer {
            Some((committer, at)) => (committer, at.unwrap_or(now)),
            None => (new.author.clone(), date),
        };
        let sha = commit_id(
            &new.parents,
            &new.author,
            &new.message,
            date,
            seq,
            &new.files,
        );
        let tree = repo.store_tree_with_modes(new.files.clone(), new.modes);
        repo.commits.insert(
            sha.clone(),
            Commit {
                sha: sha.clone(),
                parents: new.parents,
                message: new.message,
                author: new.author,
                date,
                committer,
                committed_at,
                seq,
                tree,
                files: new.files,
            },
        );
        Some(sha)
    }

    /// Moves a branch. Open pull requests whose head it is follow it and take the base
    /// branch's tip as their new base, as GitHub does on `synchronize`.
    pub fn set_branch(&mut self, repo: &str, branch: &str, sha: &str) {
        let now = self.now();
        self.ref_log.push((
            repo.to_ascii_lowercase(),
            branch.to_string(),
            sha.to_string(),
        ));
        let Some(repo) = self.repo_mut(repo) else {
            return;
        };
        repo.branches.insert(branch.to_string(), sha.to_string());
        let tips = &repo.branches;
        for pr in repo.pulls.values_mut() {
            if pr.open && pr.head_ref == branch {
                pr.head_sha = sha.to_string();
                if let Some(base) = tips.get(&pr.base_ref) {
                    pr.base_sha = base.clone();
                }
                pr.updated_at = now;
            }
        }
    }
}

impl Repo {
    /// The non-plain modes of a commit's files.
    pub fn modes_of(&self, commit: &str) -> Modes {
        self.commits
            .get(commit)
            .and_then(|c| self.tree_modes.get(&c.tree))
            .cloned()
            .unwrap_or_default()
    }

    /// [`Repo::store_tree`] with file modes: a mode is part of what names the tree.
    pub fn store_tree_with_modes(
        &mut self,
        files: BTreeMap<String, String>,
        modes: Modes,
    ) -> String {
        if modes.is_empty() {
            return self.store_tree(files);
        }
        let mut hash = Sha256::new();
        hash.update(tree_sha(&files).as_bytes());
        for (path, mode) in &modes {
            hash.update(format!("\0{path}\0{mode}").as_bytes());
        }
        let sha = sha40(hash);
        for content in files.values() {
            self.blobs
                .entry(blob_sha(content))
                .or_insert_with(|| content.clone());
        }
        self.trees.entry(sha.clone()).or_insert(files);
        self.tree_modes.entry(sha.clone()).or_insert(modes);
        sha
    }

    /// Keeps a tree and its blobs; returns the tree's sha.
    pub fn store_tree(&mut self, files: BTreeMap<String, String>) -> String {
        let sha = tree_sha(&files);
        for content in files.values() {
            self.blobs
                .entry(blob_sha(content))
                .or_insert_with(|| content.clone());
        }
        self.trees.entry(sha.clone()).or_insert(files);
        sha
    }

    /// The GitHub account linked to an e-mail address: the login of a commit of this
    /// repository with that address, as GitHub links addresses to accounts.
    pub fn login_for(&self, email: &str) -> Option<String> {
        self.commits
            .values()
            .flat_map(|c| [&c.author, &c.committer])
            .filter(|a| a.email.eq_ignore_ascii_case(email))
            .find_map(|a| a.login.clone())
    }

    /// Is `n` a pull request or an issue of this repository?
    pub fn has_issue(&self, n: u64) -> bool {
        self.pulls.contains_key(&n) || self.issues.contains_key(&n)
    }

    /// The labels on pull request or issue `n`.
    pub fn labels_of_issue(&self, n: u64) -> Option<&Vec<String>> {
        match self.pulls.get(&n) {
            Some(p) => Some(&p.labels),
            None => self.issues.get(&n).map(|i| &i.labels),
        }
    }

    pub fn labels_of_issue_mut(&mut self, n: u64) -> Option<&mut Vec<String>> {
        match self.pulls.get_mut(&n) {
            Some(p) => Some(&mut p.labels),
            None => self.issues.get_mut(&n).map(|i| &mut i.labels),
        }
    }

    pub fn owner(&self) -> &str {
        self.full_name.split('/').next().unwrap_or_default()
    }

    pub fn name(&self) -> &str {
        self.full_name.split('/').nth(1).unwrap_or_default()
    }

    /// A branch name, a full sha, or an unambiguous sha prefix of at least 7 digits.
    pub fn resolve(&self, rev: &str) -> Option<String> {
        let rev = rev
            .strip_prefix("refs/heads/")
            .or_else(|| rev.strip_prefix("heads/"))
            .unwrap_or(rev);
        if let Some(sha) = self.branches.get(rev) {
            return Some(sha.clone());
        }
        if self.commits.contains_key(rev) {
            return Some(rev.to_string());
        }
        if rev.len() >= 7 && rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut found = self.commits.keys().filter(|sha| sha.starts_with(rev));
            if let (Some(sha), None) = (found.next(), found.next()) {
                return Some(sha.clone());
            }
        }
        None
    }

    /// `sha` and everything reachable from it.
    pub fn ancestors(&self, sha: &str) -> HashSet<String> {
        let mut seen = HashSet::new();
        let mut todo = vec![sha.to_string()];
        while let Some(next) = todo.pop() {
            if !seen.insert(next.clone()) {
                continue;
            }
            if let Some(commit) = self.commits.get(&next) {
                todo.extend(commit.parents.iter().cloned());
            }
        }
        seen
    }

    /// The best common ancestor: the newest commit reachable from both (a common ancestor that
    /// is an ancestor of another one was necessarily created before it).
    pub fn merge_base(&self, a: &str, b: &str) -> Option<String> {
        let from_a = self.ancestors(a);
        self.ancestors(b)
            .into_iter()
            .filter(|sha| from_a.contains(sha))
            .filter_map(|sha| self.commits.get(&sha))
            .max_by_key(|c| c.seq)
            .map(|c| c.sha.clone())
    }

    /// Commits reachable from `head` but not from `base`, oldest first.
    pub fn only_in(&self, head: &str, base: &str) -> Vec<&Commit> {
        let exclude = self.ancestors(base);
        let mut commits: Vec<&Commit> = self
            .ancestors(head)
            .into_iter()
            .filter(|sha| !exclude.contains(sha))
            .filter_map(|sha| self.commits.get(&sha))
            .collect();
        commits.sort_by_key(|c| c.seq);
        commits
    }

    /// The paths whose content differs between two commits' trees; `None` is the empty tree.
    pub fn diff(&self, old: Option<&str>, new: &str) -> Vec<FileChange> {
        let empty = BTreeMap::new();
        let old = old
            .and_then(|sha| self.commits.get(sha))
            .map_or(&empty, |c| &c.files);
        let new = self.commits.get(new).map_or(&empty, |c| &c.files);
        let paths: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        paths
            .into_iter()
            .filter_map(|path| {
                let (before, after) = (old.get(path), new.get(path));
                let status = match (before, after) {
                    (None, Some(_)) => "added",
                    (Some(_), None) => "removed",
                    (Some(a), Some(b)) if a != b => "modified",
                    _ => return None,
                };
                Some(FileChange {
                    path: path.clone(),
                    status,
                    old: before.cloned(),
                    new: after.cloned(),
                })
            })
            .collect()
    }

    pub fn label(&self, name: &str) -> Option<&Label> {
        self.labels
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(name))
    }

    /// Whether `login` is a collaborator: the owner, or anyone given a permission.
    pub fn is_collaborator(&self, login: &str) -> bool {
        login.eq_ignore_ascii_case(self.owner())
            || self.permissions.contains_key(&login.to_ascii_lowercase())
    }

    /// The permission GitHub reports: as set, else `admin` for the owner, else `read` (the
    /// simulated repositories are public).
    pub fn permission(&self, login: &str) -> String {
        if let Some(perm) = self.permissions.get(&login.to_ascii_lowercase()) {
            return perm.clone();
        }
        if login.eq_ignore_ascii_case(self.owner()) {
            return "admin".to_string();
        }
        "read".to_string()
    }
}

/// What `POST /merges` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Merged {
    Made(String),
    /// `head` is already in `base`.
    Nothing,
    /// The paths both sides changed in ways that overlap.
    Conflict(Vec<String>),
    Missing(String),
}

const BOT_NAME: &str = "pushgate[bot]";
const BOT_EMAIL: &str = "pushgate[bot]@users.noreply.github.com";

/// The three-way merge of two sides' file modes (as [`three_way`] does for contents); a path
/// whose mode both sides changed differently is a conflict.
pub(crate) fn merged_modes(
    ancestor: &Modes,
    ours: &Modes,
    theirs: &Modes,
) -> Result<Modes, Vec<String>> {
    merge_paths(ancestor, ours, theirs, |_, _, _| None)
}

/// Git's three-way merge of whole trees: a path changed on one side only takes that side; a
/// path both sides changed the same way is kept; a text both changed differently is merged by
/// lines, and overlapping line changes (or a change against a deletion) are conflicts.
pub(crate) fn three_way(
    ancestor: &BTreeMap<String, String>,
    ours: &BTreeMap<String, String>,
    theirs: &BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, Vec<String>> {
    merge_paths(ancestor, ours, theirs, |a, o, t| diffy::merge(a, o, t).ok())
}

/// The three-way rule for a map of paths: a path one side changed takes that side, one both
/// changed alike keeps it, and one both changed differently goes to `both` (None: a
/// conflict; a change against a deletion always is). Returns the merged map or the
/// conflicting paths.
fn merge_paths<V: Clone + PartialEq>(
    ancestor: &BTreeMap<String, V>,
    ours: &BTreeMap<String, V>,
    theirs: &BTreeMap<String, V>,
    both: impl Fn(&V, &V, &V) -> Option<V>,
) -> Result<BTreeMap<String, V>, Vec<String>> {
    let mut paths: Vec<&String> = ancestor
        .keys()
        .chain(ours.keys())
        .chain(theirs.keys())
        .collect();
    paths.sort();
    paths.dedup();
    let mut out = BTreeMap::new();
    let mut conflicts = Vec::new();
    for path in paths {
        let (a, o, t) = (ancestor.get(path), ours.get(path), theirs.get(path));
        let merged = if o == t || t == a {
            o.cloned()
        } else if o == a {
            t.cloned()
        } else {
            match (a, o, t) {
                (Some(a), Some(o), Some(t)) => match both(a, o, t) {
                    Some(value) => Some(value),
                    None => {
                        conflicts.push(path.clone());
                        continue;
                    }
                },
                _ => {
                    conflicts.push(path.clone());
                    continue;
                }
            }
        };
        if let Some(value) = merged {
            out.insert(path.clone(), value);
        }
    }
    if conflicts.is_empty() {
        Ok(out)
    } else {
        Err(conflicts)
    }
}

impl FileChange {
    /// Line counts the way a unified diff would report them, without the alignment: lines of
    /// the new text missing from the old one, and the other way round.
    /// The hunks of the change as GitHub's files list shows them in `patch` (no file
    /// headers).
    pub fn patch(&self) -> String {
        let old = self.old.as_deref().unwrap_or_default();
        let new = self.new.as_deref().unwrap_or_default();
        let text = diffy::create_patch(old, new).to_string();
        match text.find("@@") {
            Some(at) => text[at..].to_string(),
            None => String::new(),
        }
    }

    pub fn additions_deletions(&self) -> (usize, usize) {
        let old = self.old.as_deref().unwrap_or_default();
        let new = self.new.as_deref().unwrap_or_default();
        (missing_lines(new, old), missing_lines(old, new))
    }
}

/// How many lines of `a` are not matched by a line of `b` (as multisets).
fn missing_lines(a: &str, b: &str) -> usize {
    let mut pool: HashMap<&str, usize> = HashMap::new();
    for line in b.lines() {
        *pool.entry(line).or_default() += 1;
    }
    a.lines()
        .filter(|line| match pool.get_mut(line) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .count()
}

fn commit_id(
    parents: &[String],
    author: &Author,
    message: &str,
    date: i64,
    seq: u64,
    files: &BTreeMap<String, String>,
) -> String {
    let mut hash = Sha256::new();
    for parent in parents {
        hash.update(parent.as_bytes());
    }
    hash.update(
        format!(
            "{}\0{}\0{message}\0{date}\0{seq}",
            author.name, author.email
        )
        .as_bytes(),
    );
    for (path, content) in files {
        hash.update(path.as_bytes());
        hash.update([0]);
        hash.update(blob_sha(content).as_bytes());
    }
    sha40(hash)
}

/// A tree id shaped like git's, derived from the sorted path → blob list.
pub(crate) fn tree_sha(files: &BTreeMap<String, String>) -> String {
    let mut hash = Sha256::new();
    hash.update(b"tree\0");
    for (path, content) in files {
        hash.update(path.as_bytes());
        hash.update([0]);
        hash.update(blob_sha(content).as_bytes());
        hash.update(b"\n");
    }
    sha40(hash)
}

/// A blob id shaped like git's (40 hex digits), derived from the content alone.
pub(crate) fn blob_sha(content: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(format!("blob {}\0", content.len()).as_bytes());
    hash.update(content.as_bytes());
    sha40(hash)
}

/// A deterministic 40-hex-digit id for anything (tokens, node ids).
pub(crate) fn digest40(text: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(text.as_bytes());
    sha40(hash)
}

fn sha40(hash: Sha256) -> String {
    let mut hex = hex::encode(hash.finalize());
    hex.truncate(40);
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    fn world_with_repo() -> World {
        let mut world = World {
            clock: Some(1_700_000_000),
            ..World::default()
        };
        world.repos.insert(
            "o/r".into(),
            Repo {
                id: 1,
                installation: 1,
                full_name: "o/r".into(),
                default_branch: "main".into(),
                created_at: 0,
                branches: BTreeMap::new(),
                commits: HashMap::new(),
                blobs: HashMap::new(),
                trees: HashMap::new(),
                tree_modes: HashMap::new(),
                pulls: BTreeMap::new(),
                issues: BTreeMap::new(),
                next_number: 1,
                comments: vec![],
                check_runs: vec![],
                labels: vec![],
                permissions: HashMap::new(),
                check_run_apps: HashMap::new(),
                statuses: vec![],
            },
        );
        world
    }

    #[test]
    fn merge_base_is_the_fork_point_after_base_moves_on() {
        let mut w = world_with_repo();
        let a = Author::new("A", "a@x");
        let root = w.commit("o/r", "main", a.clone(), "root", &[("f", Some("1"))]);
        let root = root.unwrap_or_default();
        let topic = w
            .commit("o/r", "topic", a.clone(), "t", &[("g", Some("x"))])
            .unwrap_or_default();
        let main = w
            .commit("o/r", "main", a, "m", &[("f", Some("2"))])
            .unwrap_or_default();
        let repo = w.repo("o/r").cloned().unwrap_or_else(|| panic!("no repo"));
        assert_eq!(repo.merge_base(&main, &topic), Some(root.clone()));
        let changed: Vec<_> = repo
            .diff(Some(&root), &topic)
            .into_iter()
            .map(|c| (c.path, c.status))
            .collect();
        assert_eq!(changed, vec![("g".to_string(), "added")]);
        assert_eq!(repo.only_in(&topic, &main).len(), 1);
        assert_eq!(repo.resolve(&topic[..7]), Some(topic.clone()));
    }

    #[test]
    fn line_counts_ignore_unchanged_lines() {
        let change = FileChange {
            path: "f".into(),
            status: "modified",
            old: Some("a\nb\nc\n".into()),
            new: Some("a\nB\nc\nd\n".into()),
        };
        assert_eq!(change.additions_deletions(), (2, 1));
    }

    #[test]
    fn three_way_merges_like_git() {
        let tree = |entries: &[(&str, &str)]| -> BTreeMap<String, String> {
            entries
                .iter()
                .map(|(p, c)| (p.to_string(), c.to_string()))
                .collect()
        };
        let base = tree(&[("a", "1\n2\n3\n4\n5\n"), ("b", "b\n")]);
        // (ours, theirs, the merged tree or the conflicting paths)
        type Files = Vec<(&'static str, &'static str)>;
        type Want = Result<Files, Vec<&'static str>>;
        let cases: Vec<(Files, Files, Want)> = vec![
            // One side changed: that side wins.
            (
                vec![("a", "1\n2\n3\n4\n5\n"), ("b", "B\n")],
                vec![("a", "1\n2\n3\n4\n5\n"), ("b", "b\n")],
                Ok(vec![("a", "1\n2\n3\n4\n5\n"), ("b", "B\n")]),
            ),
            // Both changed other lines of one file: both changes kept.
            (
                vec![("a", "ONE\n2\n3\n4\n5\n"), ("b", "b\n")],
                vec![("a", "1\n2\n3\n4\nFIVE\n"), ("b", "b\n")],
                Ok(vec![("a", "ONE\n2\n3\n4\nFIVE\n"), ("b", "b\n")]),
            ),
            // The same line changed two ways: a conflict.
            (
                vec![("a", "1\n2\nours\n4\n5\n"), ("b", "b\n")],
                vec![("a", "1\n2\ntheirs\n4\n5\n"), ("b", "b\n")],
                Err(vec!["a"]),
            ),
            // Deleted on one side, changed on the other: a conflict.
            (
                vec![("a", "1\n2\n3\n4\n5\n")],
                vec![("a", "1\n2\n3\n4\n5\n"), ("b", "changed\n")],
                Err(vec!["b"]),
            ),
            // Added on one side, deleted the same way on both.
            (
                vec![("a", "1\n2\n3\n4\n5\n"), ("c", "new\n")],
                vec![("a", "1\n2\n3\n4\n5\n")],
                Ok(vec![("a", "1\n2\n3\n4\n5\n"), ("c", "new\n")]),
            ),
        ];
        for (ours, theirs, want) in cases {
            let got = three_way(&base, &tree(&ours), &tree(&theirs));
            let want = want
                .map(|t| tree(&t))
                .map_err(|p| p.iter().map(|p| p.to_string()).collect::<Vec<_>>());
            assert_eq!(got, want, "ours {ours:?} theirs {theirs:?}");
        }
    }
}
