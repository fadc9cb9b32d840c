//! Feature handlers: each loads what it needs from GitHub (through caches keyed by what cannot
//! change — commit SHAs), lets the core decide, and acts through the GitHub adapter.
//! `Context` holds what they share.

pub mod acks;
pub mod advisory;
pub mod embargo;
pub mod gate;
pub mod gather;
pub mod governance;
pub mod merge;
pub mod release;
pub mod support;

use crate::github::{PrNumber, RepoName, Rev, Sha};
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use crate::config::{Config, ConfigError, Labels, CONFIG_PATH};
use crate::core::maintainers::{Maintainers, Matcher, SectionMatch};
use crate::core::people::{Identities, Mailmap, Person};
use crate::core::pull::PrCommit;
use crate::core::support::{parse_support, SupportMatrix};
use crate::github::model::Output;
use crate::github::model::{file_names, CheckRun};
use crate::github::webhook::Webhook;
use crate::github::{GitHubError, Installation, Tree};
use crate::store::{Store, StoreError};

/// Why handling a delivery failed.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A delivery's payload lacks what its event must carry (GitHub's side, or a forgery).
    #[error("{0}")]
    Payload(String),
    /// The repository does not fit its configuration (a configured branch that does not
    /// exist): the people who configure it must see it, and no retry mends it.
    #[error("{0}")]
    Setup(String),
    /// pushgate's own fault (state it cannot serialise): logged, with a short public note.
    #[error("internal error: {0}")]
    Internal(String),
    #[error("the delivery names no installation")]
    NoInstallation,
    /// GitHub's answers do not fit together, such as a pull request whose base commit cannot
    /// be read. Not a repository that is none of our business: the user must see it.
    #[error("{0}")]
    Inconsistent(String),
    /// The pull request's head moved while its state was being read: what was read belongs to
    /// another head than the one being judged. Worth judging again from a fresh read.
    #[error("the head of pull request #{0} moved while it was being read")]
    HeadMoved(i64),
    /// GitHub cut a list short (a pull request's 3,000 files, 250 commits): judging the part
    /// it gave would judge a different change, so nothing is judged.
    #[error("{0}")]
    TooLarge(String),
}

/// A name that is not one (a repository, branch or commit GitHub would refuse) in what a
/// delivery carried.
impl From<crate::github::NameError> for HandlerError {
    fn from(e: crate::github::NameError) -> HandlerError {
        HandlerError::Payload(e.to_string())
    }
}

impl HandlerError {
    /// Worth another attempt later.
    pub fn is_transient(&self) -> bool {
        match self {
            HandlerError::GitHub(e) => e.is_transient(),
            HandlerError::Store(_) | HandlerError::HeadMoved(_) => true,
            HandlerError::Payload(_)
            | HandlerError::Setup(_)
            | HandlerError::Internal(_)
            | HandlerError::NoInstallation
            | HandlerError::Inconsistent(_)
            | HandlerError::TooLarge(_) => false,
        }
    }

    /// Seconds GitHub asked us to wait, if it did.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            HandlerError::GitHub(GitHubError::Transient { retry_after, .. }) => *retry_after,
            _ => None,
        }
    }
}

/// Creates a completed check run `name` on `sha`: `success`, or `failure` (a required check
/// counts neutral and skipped as passing, so blocking must be failure). `output` is the
/// check's `{title, summary, …}`. Returns GitHub's answer (the run, with its id).
pub async fn post_check_run(
    api: &crate::github::Api,
    repo: &RepoName,
    name: &str,
    sha: &Sha,
    passed: bool,
    output: Output,
) -> Result<CheckRun, GitHubError> {
    let conclusion = if passed { "success" } else { "failure" };
    let external_id = check_run_id(name, sha, conclusion, &output);
    let create = || api.create_check_run(repo, (name, sha), conclusion, &output, &external_id);
    match create().await {
        // GitHub may have made the run before the answer was lost: look before making it.
        Err(e) if e.is_transient() => {
            let made = check_runs_named(api, repo, sha, name)
                .await?
                .into_iter()
                .find(|r| r.external_id.as_deref() == Some(external_id.as_str()));
            match made {
                Some(run) => Ok(run),
                None => create().await,
            }
        }
        other => other,
    }
}

/// Names one exact run (check, commit, conclusion, output) as its `external_id`, so that a
/// run made before its answer was lost, or by a run of the same judgement that died before
/// recording it, is found.
fn check_run_id(name: &str, sha: &str, conclusion: &str, output: &Output) -> String {
    use sha2::{Digest, Sha256};
    let output = serde_json::to_string(output).unwrap_or_default();
    let digest = Sha256::digest(format!("{name}\n{sha}\n{conclusion}\n{output}"));
    format!("pushgate:{}", hex::encode(&digest[..12]))
}

/// [`post_check_run`], unless the newest run `name` on `sha` already is this very run: made by
/// an earlier run of the same delivery that was killed before it recorded the verdict (the
/// store then still names the verdict before), or by another judgement of the same head that
/// ran at the same time (a `/pushgate merge` re-evaluates in the repository's lane). One more
/// read, paid only when the verdict differs from the one the store says is shown.
pub async fn post_check_run_once(
    api: &crate::github::Api,
    repo: &RepoName,
    name: &str,
    sha: &Sha,
    passed: bool,
    output: Output,
) -> Result<CheckRun, GitHubError> {
    let conclusion = if passed { "success" } else { "failure" };
    let external_id = check_run_id(name, sha, conclusion, &output);
    let newest = check_runs_named(api, repo, sha, name)
        .await?
        .into_iter()
        .filter(|r| r.name == name)
        .max_by_key(|r| r.id);
    match newest {
        Some(run) if run.external_id.as_deref() == Some(external_id.as_str()) => Ok(run),
        _ => post_check_run(api, repo, name, sha, passed, output).await,
    }
}

/// The check runs named `name` on commit `sha` (the first 100, newest first as GitHub lists
/// them), whoever posted them.
pub(crate) async fn check_runs_named(
    api: &crate::github::Api,
    repo: &RepoName,
    sha: &Sha,
    name: &str,
) -> Result<Vec<CheckRun>, GitHubError> {
    api.check_runs(repo, sha, Some(name)).await
}

/// The hidden line that ties a reply to the command given in comment `comment_id`.
pub(crate) fn command_marker(comment_id: i64) -> String {
    format!("<!-- pushgate:command {comment_id} -->")
}

/// Answers the command given in comment `comment_id` on issue or pull request `number` once:
/// when its delivery ran before (`seen`: a replay, or a re-run after a crash or a lost
/// answer), an answer already posted, found by its marker, is not posted again.
pub(crate) async fn reply_once(
    gh: &Installation,
    repo: &RepoName,
    number: PrNumber,
    comment_id: i64,
    seen: bool,
    body: &str,
) -> Result<(), HandlerError> {
    let marker = command_marker(comment_id);
    if seen {
        let comments = gh.api.comments(repo, number, 30).await?;
        if comments.iter().any(|c| c.body.contains(&marker)) {
            return Ok(());
        }
    }
    gh.api
        .create_comment(repo, number, &format!("{body}\n\n{marker}"))
        .await?;
    Ok(())
}

/// Comments `body` on issue or pull request `number` once per `key`: a hidden marker carries
/// the key, and a comment already carrying it (posted by a run of the same delivery that
/// failed later, before its state was saved) is not posted again.
pub(crate) async fn comment_once(
    gh: &Installation,
    repo: &RepoName,
    number: PrNumber,
    key: &str,
    body: &str,
) -> Result<(), HandlerError> {
    let marker = format!("<!-- pushgate:once {key} -->");
    let comments = gh.api.comments(repo, number, 10).await?;
    if comments.iter().any(|c| c.body.contains(&marker)) {
        return Ok(());
    }
    gh.api
        .create_comment(repo, number, &format!("{body}\n\n{marker}"))
        .await?;
    Ok(())
}

/// Says once, on the issue or pull request a delivery is about, that it failed for good:
/// `body` is the feature's sentence (`say::could_not_handle`: what failed, how to retry and
/// where the details are). Nothing when the payload names no issue or pull request.
pub(crate) async fn note_failure(
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
    delivery_id: &str,
    body: &str,
) -> Result<(), HandlerError> {
    let Some(item) = payload.pull_number() else {
        return Ok(());
    };
    comment_once(gh, repo, item, &format!("failure {delivery_id}"), body).await
}

/// Keeps one comment of pushgate's current on issue or pull request `number`: the one among
/// `listed` (its comments, as just read) posted by an App and carrying `marker`, or else the
/// one `known` names. It is edited when its text differs, and posted again when someone
/// deleted it. Returns its id (0 when GitHub gave none).
pub(crate) async fn keep_comment(
    gh: &Installation,
    repo: &RepoName,
    number: PrNumber,
    listed: &[crate::github::model::IssueComment],
    marker: &str,
    body: &str,
    known: Option<i64>,
) -> Result<i64, HandlerError> {
    let ours = listed
        .iter()
        .filter(|c| c.login().ends_with("[bot]"))
        .find(|c| c.body.contains(marker));
    if let Some(id) = ours.map(|c| c.id).or(known) {
        if ours.is_some_and(|c| c.body == body) {
            return Ok(id);
        }
        match gh.api.update_comment(repo, id, body).await {
            Ok(_) => return Ok(id),
            // Someone deleted it: it is posted again below.
            Err(e) if e.not_found() => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(gh.api.create_comment(repo, number, body).await?.id)
}

/// The service's clock: real time plus an offset that tests and the demo may advance.
#[derive(Debug, Default)]
pub struct Clock {
    offset: AtomicI64,
}

impl Clock {
    /// Unix seconds.
    pub fn now(&self) -> i64 {
        chrono::Utc::now().timestamp() + self.offset.load(Ordering::SeqCst)
    }

    pub fn now_millis(&self) -> i64 {
        chrono::Utc::now().timestamp_millis() + 1000 * self.offset.load(Ordering::SeqCst)
    }

    pub fn advance(&self, seconds: i64) {
        self.offset.fetch_add(seconds, Ordering::SeqCst);
    }
}

/// The policy files at one base commit.
pub struct PolicyFiles {
    pub matcher: Arc<Matcher>,
    pub maintainer_errors: Vec<String>,
    pub config: Result<Config, ConfigError>,
    pub mailmap: Mailmap,
}

impl PolicyFiles {
    /// What the cache of parsed policy files counts: the MAINTAINERS matcher, which is
    /// nearly all of it (the config and `.mailmap` are not counted).
    pub fn heap_bytes(&self) -> usize {
        self.matcher.heap_bytes()
    }
}

/// A cache bounded by the summed weight of its values (and by [`CACHE_LIMIT`] entries): the
/// least recently used go first. One value heavier than the budget is kept alone.
struct WeighedCache<K, V> {
    entries: HashMap<K, (V, usize, u64)>,
    weight: usize,
    budget: usize,
    tick: u64,
}

impl<K: std::hash::Hash + Eq + Clone, V: Clone> WeighedCache<K, V> {
    fn new(budget: usize) -> Self {
        WeighedCache {
            entries: HashMap::new(),
            weight: 0,
            budget,
            tick: 0,
        }
    }

    fn get(&mut self, key: &K) -> Option<V> {
        self.tick += 1;
        let entry = self.entries.get_mut(key)?;
        entry.2 = self.tick;
        Some(entry.0.clone())
    }

    /// Keeps `value`, which weighs `weight`; returns the values dropped to make room.
    fn insert(&mut self, key: K, value: V, weight: usize) -> Vec<V> {
        let mut dropped = Vec::new();
        if let Some((old, w, _)) = self.entries.remove(&key) {
            self.weight -= w;
            dropped.push(old);
        }
        while !self.entries.is_empty()
            && (self.weight + weight > self.budget || self.entries.len() >= CACHE_LIMIT)
        {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, _, used))| *used)
                .map(|(k, _)| k.clone());
            let Some((old, w, _)) = oldest.and_then(|k| self.entries.remove(&k)) else {
                break;
            };
            self.weight -= w;
            dropped.push(old);
        }
        self.tick += 1;
        self.weight += weight;
        self.entries.insert(key, (value, weight, self.tick));
        dropped
    }
}

/// How long an e-mail → login answer is trusted.
const IDENTITY_TTL: i64 = 7 * 86400;
/// GitHub lists at most this many files of a pull request.
const PULL_FILES_LIMIT: usize = 3000;
/// … and of a comparison.
const COMPARE_FILES_LIMIT: usize = 300;
/// Caches are bounded: a long-running service must not grow without end.
const CACHE_LIMIT: usize = 4096;
/// Parsed policy files kept, by their weight ([`PolicyFiles::heap_bytes`]): a parsed Linux
/// MAINTAINERS weighs about 29 MB, so bounded by count alone 100 such repositories held
/// 3.0 GiB (README, "Proof runs").
const POLICY_CACHE_BYTES: usize = 256 << 20;

/// Files changed between two commits: repository, from, to.
type BetweenKey = (String, String, String);

/// A PR's changed files depend on its number, base and head.
type FilesKey = (String, PrNumber, String, String);

/// SUPPORT.md is read per repository, file name and commit.
type SupportKey = (String, String, String);

/// Parsed policy files by repository and the blob shas of [`Context::policy_paths`] (None:
/// absent).
type ParsedKey = (String, Vec<Option<Sha>>);

/// What the handlers share.
/// A pull request's changed files (names) and its diff.
pub type PullFiles = (Vec<String>, Arc<str>);

/// The most of a pull request's diff kept for `K:` keywords (bytes, whole files' patches).
pub const DIFF_LIMIT: usize = 4 << 20;

pub struct Context {
    pub store: Store,
    pub clock: Arc<Clock>,
    /// Where the repository config lives: `.github/pushgate.toml`, or the Action's `config`
    /// input.
    pub config_path: String,
    policies: Mutex<HashMap<(String, String), Arc<PolicyFiles>>>,
    /// Bounded by weight; [`Context::policy_files`] drops from `policies` what it drops.
    parsed: Mutex<WeighedCache<ParsedKey, Arc<PolicyFiles>>>,
    /// Directory listings by repository and tree sha (a tree's sha names its content).
    trees: Mutex<HashMap<(String, Sha), Arc<Tree>>>,
    files: Mutex<HashMap<FilesKey, PullFiles>>,
    /// Files changed between two commits, by repository and the two SHAs (None: unknown).
    between: Mutex<HashMap<BetweenKey, Option<Vec<String>>>>,
    commits: Mutex<HashMap<(String, PrNumber, String), Vec<PrCommit>>>,
    writers: Mutex<HashMap<(String, String), (bool, i64)>>,
    supports: Mutex<HashMap<SupportKey, Option<Arc<SupportMatrix>>>>,
    /// The commit whose SUPPORT.md each repository's labels were last synced from.
    synced: Mutex<HashMap<String, String>>,
    /// Pull request heads whose SUPPORT.md already got its `pushgate/support` check.
    support_checked: Mutex<HashMap<(String, String), ()>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    match m.lock() {
        Ok(guard) => guard,
        Err(poisoned) => poisoned.into_inner(),
    }
}

fn bounded_insert<K: std::hash::Hash + Eq, V>(map: &mut HashMap<K, V>, key: K, value: V) {
    if map.len() >= CACHE_LIMIT {
        map.clear();
    }
    map.insert(key, value);
}

impl Context {
    pub fn new(store: Store, clock: Arc<Clock>) -> Context {
        Context {
            store,
            clock,
            config_path: CONFIG_PATH.to_string(),
            policies: Mutex::new(HashMap::new()),
            parsed: Mutex::new(WeighedCache::new(POLICY_CACHE_BYTES)),
            trees: Mutex::new(HashMap::new()),
            files: Mutex::new(HashMap::new()),
            between: Mutex::new(HashMap::new()),
            commits: Mutex::new(HashMap::new()),
            writers: Mutex::new(HashMap::new()),
            supports: Mutex::new(HashMap::new()),
            synced: Mutex::new(HashMap::new()),
            support_checked: Mutex::new(HashMap::new()),
        }
    }

    /// Has this head SHA's SUPPORT.md had its check posted (by this process: after a restart
    /// it is posted once more, which is harmless)?
    pub fn support_checked(&self, repo: &RepoName, sha: &str) -> bool {
        lock(&self.support_checked).contains_key(&(repo.to_string(), sha.to_string()))
    }

    pub fn mark_support_checked(&self, repo: &RepoName, sha: &str) {
        bounded_insert(
            &mut lock(&self.support_checked),
            (repo.to_string(), sha.to_string()),
            (),
        );
    }

    pub fn synced_support(&self, repo: &RepoName) -> Option<String> {
        lock(&self.synced).get(repo.as_str()).cloned()
    }

    pub fn remember_synced_support(&self, repo: &RepoName, sha: &str) {
        bounded_insert(&mut lock(&self.synced), repo.to_string(), sha.to_string());
    }

    /// SUPPORT.md (or the configured file) read at a commit; None when it does not exist.
    pub async fn support_at(
        &self,
        gh: &Installation,
        repo: &RepoName,
        file: &str,
        commit: &Sha,
    ) -> Result<Option<Arc<SupportMatrix>>, HandlerError> {
        let key = (repo.to_string(), file.to_string(), commit.to_string());
        if let Some(found) = lock(&self.supports).get(&key) {
            return Ok(found.clone());
        }
        let matrix = self
            .file_at(gh, repo, file, commit)
            .await?
            .map(|text| Arc::new(parse_support(&text)));
        bounded_insert(&mut lock(&self.supports), key, matrix.clone());
        Ok(matrix)
    }

    /// A file's text at a commit, None when it does not exist there.
    pub async fn file_at(
        &self,
        gh: &Installation,
        repo: &RepoName,
        file: &str,
        commit: &Sha,
    ) -> Result<Option<String>, HandlerError> {
        Ok(gh.api.file_at(repo, file, Rev::Commit(commit)).await?)
    }

    /// MAINTAINERS, config and .mailmap at a base commit. Cached by commit, and below that by
    /// the files' blob shas: when the base branch moves without touching them, a listing of
    /// the commit's root tree is all it costs, and nothing is fetched or parsed again.
    pub async fn policy_files(
        &self,
        gh: &Installation,
        repo: &RepoName,
        base_sha: &Sha,
    ) -> Result<Arc<PolicyFiles>, HandlerError> {
        let key = (repo.to_string(), base_sha.to_string());
        if let Some(found) = lock(&self.policies).get(&key) {
            return Ok(found.clone());
        }
        let root = Arc::new(gh.api.tree(repo, base_sha).await?);
        let mut blobs = Vec::with_capacity(3);
        for path in self.policy_paths() {
            blobs.push(self.blob_id(gh, repo, &root, &path).await?);
        }
        let parsed_key = (repo.to_string(), blobs);
        let cached = lock(&self.parsed).get(&parsed_key);
        let files = match cached {
            Some(files) => files,
            None => {
                let mut texts = Vec::with_capacity(3);
                for blob in &parsed_key.1 {
                    texts.push(match blob {
                        Some(sha) => Some(gh.api.blob(repo, sha).await?),
                        None => None,
                    });
                }
                let [maintainers, config, mailmap]: [Option<String>; 3] =
                    texts.try_into().unwrap_or_default();
                let files = Arc::new(gather::parse_policy(
                    maintainers,
                    config,
                    &self.config_path,
                    mailmap,
                ));
                let weight = files.heap_bytes();
                let dropped = lock(&self.parsed).insert(parsed_key, files.clone(), weight);
                if !dropped.is_empty() {
                    // The by-commit cache must not keep them alive.
                    lock(&self.policies)
                        .retain(|_, kept| !dropped.iter().any(|gone| Arc::ptr_eq(kept, gone)));
                }
                files
            }
        };
        bounded_insert(&mut lock(&self.policies), key, files.clone());
        Ok(files)
    }

    /// The policy files, in the order [`gather::parse_policy`] takes them: MAINTAINERS, the
    /// config (where this context reads it) and `.mailmap`.
    pub fn policy_paths(&self) -> [String; 3] {
        [
            "MAINTAINERS".to_string(),
            self.config_path.clone(),
            ".mailmap".to_string(),
        ]
    }

    /// The blob sha of `path` under the tree `root`, None when there is no such file. Trees
    /// are named by their content, so a directory listed once is never listed again.
    async fn blob_id(
        &self,
        gh: &Installation,
        repo: &RepoName,
        root: &Arc<Tree>,
        path: &str,
    ) -> Result<Option<Sha>, HandlerError> {
        let parts: Vec<String> = path
            .split('/')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect();
        let Some((file, dirs)) = parts.split_last() else {
            return Ok(None);
        };
        let mut tree = root.clone();
        for dir in dirs {
            let Some(sha) = tree.trees.get(dir).cloned() else {
                return Ok(None);
            };
            let key = (repo.to_string(), sha);
            let cached = lock(&self.trees).get(&key).cloned();
            tree = match cached {
                Some(sub) => sub,
                None => {
                    let sub = Arc::new(gh.api.tree(repo, &key.1).await?);
                    bounded_insert(&mut lock(&self.trees), key, sub.clone());
                    sub
                }
            };
        }
        Ok(tree.blobs.get(file).cloned())
    }

    /// The label names of the config at a base commit (defaults when it cannot be read). The
    /// policy files may have left the cache since they were read (it is bounded by weight),
    /// so they are read again then.
    pub async fn labels(&self, gh: &Installation, repo: &RepoName, base_sha: &str) -> Labels {
        let cached = lock(&self.policies)
            .get(&(repo.to_string(), base_sha.to_string()))
            .cloned();
        let files = match cached {
            Some(files) => Some(files),
            None => match Sha::parse(base_sha) {
                Ok(sha) => self.policy_files(gh, repo, &sha).await.ok(),
                Err(_) => None,
            },
        };
        files
            .and_then(|p| p.config.as_ref().ok().map(|c| c.labels.clone()))
            .unwrap_or_default()
    }

    /// The files a PR changes, for a (base, head) pair. GitHub lists a pull request's files
    /// as they are *now*, so the list is kept only when the pull request's head is still
    /// `head` after it was read ([`HandlerError::HeadMoved`] otherwise), and a list GitHub
    /// cut at 3,000 files is refused ([`HandlerError::TooLarge`]). With the names comes the
    /// diff: each file's `patch` as GitHub gives it (none for binary or very large files),
    /// at most [`DIFF_LIMIT`] bytes of it, for `K:` keywords.
    pub async fn cached_files(
        &self,
        gh: &Installation,
        repo: &RepoName,
        pr: PrNumber,
        base: &Sha,
        head: &Sha,
    ) -> Result<PullFiles, HandlerError> {
        let key = (repo.to_string(), pr, base.to_string(), head.to_string());
        if let Some(found) = lock(&self.files).get(&key) {
            return Ok(found.clone());
        }
        let list = gh
            .api
            .pull_files(repo, pr, (PULL_FILES_LIMIT / 100) as u32)
            .await?;
        if list.len() >= PULL_FILES_LIMIT {
            return Err(HandlerError::TooLarge(crate::core::say::too_many_files(
                pr,
                PULL_FILES_LIMIT,
            )));
        }
        let now = gh.api.pull(repo, pr).await?;
        if *head != now.head.sha {
            return Err(HandlerError::HeadMoved(pr.get()));
        }
        let mut diff = String::new();
        for patch in list.iter().filter_map(|f| f.patch.as_deref()) {
            if diff.len() + patch.len() + 1 > DIFF_LIMIT {
                break;
            }
            diff.push_str(patch);
            diff.push('\n');
        }
        let files = file_names(&list);
        let found = (files, Arc::<str>::from(diff));
        bounded_insert(&mut lock(&self.files), key, found.clone());
        Ok(found)
    }

    /// The files changed from commit `from` to commit `to` (GitHub's comparison, through
    /// their merge base), None when GitHub cannot compare them (`from` is gone) or cut the
    /// list at its 300 files. Cached: two SHAs always compare the same.
    pub async fn changed_between(
        &self,
        gh: &Installation,
        repo: &RepoName,
        from: &Sha,
        to: &Sha,
    ) -> Result<Option<Vec<String>>, HandlerError> {
        let key = (repo.to_string(), from.to_string(), to.to_string());
        if let Some(found) = lock(&self.between).get(&key) {
            return Ok(found.clone());
        }
        let answer = gh.api.compare(repo, from.into(), to.into()).await;
        let files = match answer {
            Ok(compare) => {
                (compare.files.len() < COMPARE_FILES_LIMIT).then(|| file_names(&compare.files))
            }
            Err(e) if e.not_found() => None,
            Err(e) => return Err(e.into()),
        };
        bounded_insert(&mut lock(&self.between), key, files.clone());
        Ok(files)
    }

    /// The PR's commits between `base` and `head`, read at those SHAs (a comparison), so they
    /// are the commits of `head` whatever was pushed since. A list GitHub cut at 250 commits
    /// is refused ([`HandlerError::TooLarge`]).
    pub async fn cached_commits(
        &self,
        gh: &Installation,
        repo: &RepoName,
        pr: PrNumber,
        base: &Sha,
        head: &Sha,
    ) -> Result<Vec<PrCommit>, HandlerError> {
        let key = (repo.to_string(), pr, head.to_string());
        if let Some(found) = lock(&self.commits).get(&key) {
            return Ok(found.clone());
        }
        let compare = gh.api.compare(repo, base.into(), head.into()).await?;
        let list = compare.commits;
        let total = usize::try_from(compare.total_commits).unwrap_or(usize::MAX);
        if total != list.len() {
            return Err(HandlerError::TooLarge(
                crate::core::say::too_many_pr_commits(pr, total, list.len()),
            ));
        }
        let commits = gather::commits_of(&list);
        bounded_insert(&mut lock(&self.commits), key, commits.clone());
        Ok(commits)
    }

    /// Does `login` have write access (collaborator permission write, maintain or admin)?
    pub async fn can_write(
        &self,
        gh: &Installation,
        repo: &RepoName,
        login: &str,
    ) -> Result<bool, HandlerError> {
        let key = (repo.to_string(), login.to_lowercase());
        let now = self.clock.now();
        if let Some(&(writes, at)) = lock(&self.writers).get(&key) {
            if now - at < 600 {
                return Ok(writes);
            }
        }
        let answer = gh.api.permission(repo, login).await;
        let writes = match answer {
            Ok(permission) => matches!(permission.as_str(), "admin" | "write" | "maintain"),
            Err(e) if e.not_found() => false,
            Err(e) => return Err(e.into()),
        };
        bounded_insert(&mut lock(&self.writers), key, (writes, now));
        Ok(writes)
    }

    /// Who is who: the GitHub login of each person who may matter for these files (their
    /// sections' M: and R:, THE REST), from the config's `[identities]`, then `.mailmap`, then
    /// the login GitHub links to commits authored with the e-mail (cached in the store).
    pub async fn people(
        &self,
        gh: &Installation,
        repo: &RepoName,
        maintainers: &Maintainers,
        matches: &[Vec<SectionMatch>],
        config: &Config,
        identities: &Identities,
    ) -> Result<HashMap<String, Person>, HandlerError> {
        let mut wanted: Vec<&Person> = Vec::new();
        let mut sections: Vec<usize> = matches.iter().flatten().map(|m| m.section).collect();
        sections.extend(maintainers.the_rest());
        sections.sort_unstable();
        sections.dedup();
        for s in sections {
            let section = &maintainers.sections[s];
            for p in section.maintainers.iter().chain(&section.reviewers) {
                if !wanted.iter().any(|w| w.email_key() == p.email_key()) {
                    wanted.push(p);
                }
            }
        }
        let mut people = HashMap::new();
        let now = self.clock.now();
        for person in wanted {
            let email = person.email_key();
            let canonical = identities.mailmap.canonical(person).email_key();
            let configured = config
                .identities
                .get(&email)
                .or_else(|| config.identities.get(&canonical))
                .cloned();
            let login = match configured {
                Some(login) => Some(login),
                None => match self.store.identity(&canonical, now - IDENTITY_TTL).await? {
                    Some(known) => known,
                    None => {
                        let found = gh.api.commits_by_author(repo, &canonical).await;
                        let login = match found {
                            Ok(list) => list
                                .first()
                                .and_then(|c| c.author_login())
                                .map(str::to_string),
                            Err(e) if !e.is_transient() => None,
                            Err(e) => return Err(e.into()),
                        };
                        self.store
                            .remember_identity(&canonical, login.as_deref(), now)
                            .await?;
                        login
                    }
                },
            };
            if let Some(login) = login {
                people
                    .entry(login.to_lowercase())
                    .or_insert_with(|| person.clone());
            }
        }
        Ok(people)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The parsed policy files' cache keeps what fits its budget, the least recently used
    /// going first, and a value heavier than the budget alone.
    #[test]
    fn a_weighed_cache_drops_the_least_recently_used_to_stay_in_its_budget() {
        let mut cache = WeighedCache::new(100);
        assert!(cache.insert("a", 'a', 60).is_empty());
        assert!(cache.insert("b", 'b', 30).is_empty());
        assert_eq!(cache.get(&"a"), Some('a'));
        // c does not fit beside a and b: b, used least recently, goes.
        assert_eq!(cache.insert("c", 'c', 30), ['b']);
        assert_eq!((cache.get(&"a"), cache.get(&"b")), (Some('a'), None));
        assert_eq!(cache.weight, 90);
        // The same key again replaces its value and weight.
        assert_eq!(cache.insert("c", 'C', 10), ['c']);
        assert_eq!(cache.weight, 70);
        // Heavier than the whole budget: kept, alone.
        let mut dropped = cache.insert("d", 'd', 500);
        dropped.sort();
        assert_eq!(dropped, ['C', 'a']);
        assert_eq!(cache.get(&"d"), Some('d'));
        assert_eq!((cache.entries.len(), cache.weight), (1, 500));
        // And it goes as soon as anything else comes.
        assert_eq!(cache.insert("e", 'e', 1), ['d']);
    }

    /// Linux's MAINTAINERS weighs megabytes parsed, many times its text: the weight the
    /// cache's budget is stated in (README, "Proof runs": about 30 MB of RSS each).
    #[test]
    fn a_parsed_linux_maintainers_weighs_megabytes() {
        let Some(linux) = crate::corpus::read("linux/MAINTAINERS").unwrap() else {
            return;
        };
        let matcher = Matcher::new(crate::core::maintainers::Maintainers::parse(&linux));
        let weight = matcher.heap_bytes();
        assert!(
            weight > 10 << 20 && weight < 64 << 20,
            "{weight} bytes for {} bytes of text",
            linux.len()
        );
    }
}
