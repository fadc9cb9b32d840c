//! The reliability proofs of issue 16, each a repeatable run (README, "Proof runs"):
//!
//! - crash rounds: `pushgate serve`, a child process on a SQLite file, killed with SIGKILL at
//!   seeded random moments while a story's signed deliveries arrive, restarted each time;
//! - replicas: three `serve` processes on one PostgreSQL database, one killed mid-run;
//! - fault injection: the fake GitHub failing about 30% of its calls during a full story, whose
//!   end state must equal the fault-free run's;
//! - memory and start-up of `serve`.
//!
//! The long runs are `#[ignore]`d and run in release mode; `cargo test` runs short smokes of
//! the crash rounds and the fault injection. Each run checks what the issue asks: no
//! acknowledged delivery lost, no effect made twice, master never at a commit that was not on
//! staging or did not pass, no ref forced, and everything right again soon after the last
//! restart.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pushgate::github::signature;
use pushgate::sim::{FakeGitHub, Fault, ReviewState, BOT_LOGIN};
use serde_json::{json, Value};
use support::{
    pinned_gate_config, Rng, CI_APP, INSTALLATION, MAINTAINERS, NEWCOMER, SECRET, SHADOW,
};
use tokio::task::JoinSet;

/// The backlog (pending deliveries) a story waits on before it goes on: people act at their
/// pace, and a kill must find work in hand, not hours of it.
const BACKLOG: i64 = 40;
const COMMITTER: (&str, &str, &str) = ("Cora Committer", "cora@rest.example", "cora-gh");

/// A number from the environment, else `default` (the long runs can be resized).
fn knob(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

// ---- the service as a child process ----

/// A port nothing listens on now (the OS picks it; the service binds it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `pushgate serve`, as the operator runs it, killed when dropped.
struct Serve {
    child: Child,
    base: String,
    spawned: Instant,
}

impl Serve {
    /// Starts `serve` on `database_url` against the fake at `api`; its log goes to `log`.
    fn spawn(database_url: &str, api: &str, log: &Path, name: &str) -> Serve {
        let port = free_port();
        let key_path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/test-app-key.pem");
        let secret = String::from_utf8(SECRET.to_vec()).expect("text secret");
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(log)
            .expect("log file");
        let spawned = Instant::now();
        let child = Command::new(env!("CARGO_BIN_EXE_pushgate"))
            .arg("serve")
            .env_clear()
            .env("DATABASE_URL", database_url)
            .env("PUSHGATE_LISTEN", format!("127.0.0.1:{port}"))
            .env("PUSHGATE_GITHUB_API", api)
            .env("PUSHGATE_APP_ID", "1234")
            .env("PUSHGATE_PRIVATE_KEY_PATH", key_path)
            .env("PUSHGATE_WEBHOOK_SECRET", &secret)
            .env("HOSTNAME", name)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("pushgate serve starts");
        Serve {
            child,
            base: format!("http://127.0.0.1:{port}"),
            spawned,
        }
    }

    /// Waits until `/readyz` answers 200; returns the time since the spawn.
    async fn ready(&mut self, http: &reqwest::Client) -> Duration {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let answer = http.get(format!("{}/readyz", self.base)).send().await;
            if answer.is_ok_and(|r| r.status() == 200) {
                return self.spawned.elapsed();
            }
            if let Ok(Some(exit)) = self.child.try_wait() {
                panic!("pushgate serve exited before it was ready: {exit:?}");
            }
            assert!(
                Instant::now() < deadline,
                "pushgate serve never became ready"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// SIGKILL, as `kill -9`: no shutdown, no flush, leases left as they were.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The process's resident memory (`VmRSS` of `/proc/PID/status`), in KiB.
    fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the process's status");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS")
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        self.kill();
    }
}

// ---- deliveries ----

/// One signed webhook delivery, as GitHub would send (and re-send) it.
struct Delivery {
    id: String,
    event: String,
    body: Vec<u8>,
}

/// Posts a delivery; the status, or None when no answer came (refused, reset, killed).
async fn post(http: &reqwest::Client, base: &str, d: &Delivery) -> Option<u16> {
    http.post(format!("{base}/webhook"))
        .header("x-github-event", &d.event)
        .header("x-github-delivery", &d.id)
        .header("x-hub-signature-256", signature::sign(SECRET, &d.body))
        .header("content-type", "application/json")
        .body(d.body.clone())
        .send()
        .await
        .ok()
        .map(|r| r.status().as_u16())
}

/// Sends deliveries with a few in flight at once, as GitHub does; remembers which were
/// answered 202 and which got no answer (to be delivered again, as GitHub's redelivery).
struct Sender {
    http: reqwest::Client,
    in_flight: JoinSet<(Arc<Delivery>, Option<u16>)>,
    limit: usize,
    acknowledged: HashSet<String>,
    unanswered: Vec<Arc<Delivery>>,
    sent: usize,
    /// Deliveries sent again after they got no answer.
    redelivered: usize,
}

impl Sender {
    fn new(limit: usize) -> Sender {
        Sender {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            in_flight: JoinSet::new(),
            limit,
            acknowledged: HashSet::new(),
            unanswered: Vec::new(),
            sent: 0,
            redelivered: 0,
        }
    }

    async fn send(&mut self, base: &str, d: Arc<Delivery>) {
        while self.in_flight.len() >= self.limit {
            self.reap().await;
        }
        self.sent += 1;
        let (http, base) = (self.http.clone(), base.to_string());
        self.in_flight.spawn(async move {
            let status = post(&http, &base, &d).await;
            (d, status)
        });
    }

    async fn reap(&mut self) {
        match self.in_flight.join_next().await {
            Some(Ok((d, Some(202)))) => {
                self.acknowledged.insert(d.id.clone());
            }
            Some(Ok((d, Some(status)))) if status < 500 => {
                panic!("delivery {} ({}) answered {status}", d.id, d.event)
            }
            Some(Ok((d, _))) => self.unanswered.push(d),
            Some(Err(e)) => panic!("a sender task failed: {e}"),
            None => {}
        }
    }

    async fn drain(&mut self) {
        while !self.in_flight.is_empty() {
            self.reap().await;
        }
    }

    /// Delivers again what got no answer (to `base`), until each is answered 202.
    async fn redeliver(&mut self, base: &str) {
        for _ in 0..20 {
            self.drain().await;
            let again = std::mem::take(&mut self.unanswered);
            if again.is_empty() {
                return;
            }
            for d in again {
                self.sent -= 1;
                self.redelivered += 1;
                self.send(base, d).await;
            }
        }
        self.drain().await;
        assert!(self.unanswered.is_empty(), "deliveries never answered");
    }
}

// ---- the story ----

/// A pull request of the story: its number, the file it writes and the version its head
/// carries.
struct Pull {
    number: u64,
    file: String,
    version: u32,
}

/// A real story on one repository of the fake, played as GitHub and its people: newcomers
/// open pull requests and push to them, the shadow maintainer approves, committers comment
/// `/pushgate merge` and land docs commits, and CI (the pinned app) reports `build` on every
/// staging tip and bisection probe it sees, and again when pushgate asks for a re-run. Every
/// change GitHub would announce becomes a delivery.
struct Story {
    gh: FakeGitHub,
    repo: String,
    rng: Rng,
    /// Delivery ids start with it (unique per run).
    prefix: String,
    deliveries: u64,
    pulls: Vec<Pull>,
    /// (pull request, version) pairs the maintainer approved at that head.
    judged: HashSet<(u64, u32)>,
    /// The staging tip last announced by a push delivery.
    announced: String,
    /// Pull requests whose closing was announced.
    closed: HashSet<u64>,
    /// Commits CI reported `build` on, with its answer.
    reported: HashMap<String, bool>,
    /// Re-runs answered, per check run.
    reruns: HashMap<u64, u32>,
    docs: usize,
    /// How often CI fails a commit, in percent (by its hash), when it does not judge by
    /// content.
    failing: u64,
    /// CI fails exactly the commits holding a pull request version written broken, so that
    /// its answers do not depend on commit hashes (which hold pushgate's commit times) and
    /// two runs of one story see the same answers.
    by_content: bool,
    /// How often a pull request version is written broken (by_content), in percent.
    broken: u64,
}

impl Story {
    fn new(gh: &FakeGitHub, repo: &str, seed: u64, prefix: &str) -> Story {
        let start = gh.branch_tip(repo, "staging").expect("staging");
        Story {
            gh: gh.clone(),
            repo: repo.to_string(),
            rng: Rng(seed),
            prefix: prefix.to_string(),
            deliveries: 0,
            pulls: Vec::new(),
            judged: HashSet::new(),
            announced: start,
            closed: HashSet::new(),
            reported: HashMap::new(),
            reruns: HashMap::new(),
            docs: 0,
            failing: 15,
            by_content: false,
            broken: 0,
        }
    }

    fn delivery(&mut self, event: &str, payload: &Value) -> Arc<Delivery> {
        self.deliveries += 1;
        Arc::new(Delivery {
            id: format!("{}-{}", self.prefix, self.deliveries),
            event: event.to_string(),
            body: serde_json::to_vec(payload).expect("payload"),
        })
    }

    /// CI's answer for a commit: fixed per commit (a re-run fails again, so a failure is a
    /// regression, retried and bisected).
    fn ci_passes(&self, sha: &str) -> bool {
        if self.by_content {
            return !self.pulls.iter().any(|p| {
                self.gh
                    .file_at(&self.repo, sha, &p.file)
                    .is_some_and(|c| c.contains("broken"))
            });
        }
        let hash = sha.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        hash % 100 >= self.failing
    }

    fn ci_report(&mut self, sha: &str) -> Arc<Delivery> {
        let passed = self.ci_passes(sha);
        let conclusion = if passed { "success" } else { "failure" };
        self.gh
            .add_check_run_by_app(&self.repo, sha, "build", conclusion, CI_APP);
        self.reported.insert(sha.to_string(), passed);
        let payload = json!({
            "action": "completed",
            "check_run": {
                "name": "build", "head_sha": sha, "status": "completed",
                "conclusion": conclusion, "app": { "slug": CI_APP, "id": 77 },
            },
            "repository": { "full_name": self.repo, "default_branch": "staging" },
            "installation": { "id": INSTALLATION },
            "sender": { "login": "ci-app[bot]", "type": "Bot" },
        });
        self.delivery("check_run", &payload)
    }

    /// What GitHub announces of what changed since the last call: staging moved, pull
    /// requests closed by pushgate, and CI's results on new staging tips, bisection probes
    /// and re-runs pushgate asked for.
    fn announce(&mut self) -> Vec<Arc<Delivery>> {
        let mut out = Vec::new();
        let repo = self.repo.clone();
        let tip = self.gh.branch_tip(&repo, "staging").expect("staging");
        if tip != self.announced {
            let payload = self
                .gh
                .push_event(&repo, "staging", &self.announced, "cora-gh");
            out.push(self.delivery("push", &payload));
            self.announced = tip.clone();
        }
        for i in 0..self.pulls.len() {
            let number = self.pulls[i].number;
            if !self.closed.contains(&number) && self.gh.pr_state(&repo, number) == "closed" {
                self.closed.insert(number);
                let payload = self.gh.pull_request_event(&repo, number, "closed", None);
                out.push(self.delivery("pull_request", &payload));
            }
        }
        let mut tested = vec![tip];
        for branch in self.gh.branches(&repo) {
            if branch.starts_with("pushgate/bisect/") {
                tested.extend(self.gh.branch_tip(&repo, &branch));
            }
        }
        for sha in tested {
            if !self.reported.contains_key(&sha) {
                out.push(self.ci_report(&sha));
            }
        }
        for run in self.gh.check_runs(&repo) {
            if run.name != "build" || run.rerequests == 0 {
                continue;
            }
            let answered = self.reruns.get(&run.id).copied().unwrap_or(0);
            if run.rerequests > answered {
                self.reruns.insert(run.id, run.rerequests);
                out.push(self.ci_report(&run.head_sha));
            }
        }
        out
    }

    fn open_pulls(&self) -> Vec<usize> {
        (0..self.pulls.len())
            .filter(|&i| self.gh.pr_state(&self.repo, self.pulls[i].number) == "open")
            .collect()
    }

    /// An open pull request, most often one whose head is (`judged`) or is not yet approved.
    fn pick(&mut self, judged: bool) -> Option<usize> {
        let open = self.open_pulls();
        if open.is_empty() {
            return None;
        }
        let preferred: Vec<usize> = open
            .iter()
            .copied()
            .filter(|&i| {
                let p = &self.pulls[i];
                self.judged.contains(&(p.number, p.version)) == judged
            })
            .collect();
        let from = if !preferred.is_empty() && self.rng.chance(75) {
            preferred
        } else {
            open
        };
        Some(from[self.rng.below(from.len())])
    }

    /// One person's action, with what GitHub announced before it.
    fn step(&mut self) -> Vec<Arc<Delivery>> {
        let mut out = self.announce();
        let repo = self.repo.clone();
        match self.rng.below(100) {
            // A newcomer opens a pull request writing a file of its own in the shadow code.
            0..=11 if self.open_pulls().len() < 6 => {
                let n = self.pulls.len() + 1;
                let file = format!("xen/arch/x86/mm/shadow/p{n}.c");
                let branch = format!("topic-{n}");
                let base = self.gh.branch_tip(&repo, "staging").expect("staging");
                self.gh.create_branch(&repo, &branch, &base);
                self.gh.commit(
                    &repo,
                    &branch,
                    NEWCOMER,
                    &format!(
                        "x86/shadow: p{n} v0\n\nSigned-off-by: Nora Newcomer <nora@new.example>"
                    ),
                    &[(file.as_str(), Some(format!("p{n} v0\n").as_str()))],
                );
                let number =
                    self.gh
                        .open_pr(&repo, NEWCOMER.2, &branch, "staging", &format!("p{n}"));
                if self.rng.chance(self.broken) {
                    // The first version is broken: a second commit breaks it (same subject
                    // scheme, so the landing count still sees each version once).
                    self.gh.push_to_pr(
                        &repo,
                        number,
                        NEWCOMER,
                        &format!(
                            "x86/shadow: p{n} v0 tweak\n\nSigned-off-by: Nora Newcomer <nora@new.example>"
                        ),
                        &[(file.as_str(), Some(format!("p{n} v0 broken\n").as_str()))],
                    );
                }
                self.pulls.push(Pull {
                    number,
                    file,
                    version: 0,
                });
                let payload = self.gh.pull_request_event(&repo, number, "opened", None);
                out.push(self.delivery("pull_request", &payload));
            }
            // A push to a pull request: a version nobody approved yet.
            12..=25 => {
                let Some(i) = self.pick(true).filter(|&i| self.pulls[i].version < 6) else {
                    return out;
                };
                let number = self.pulls[i].number;
                let before = self.gh.pr_head(&repo, number);
                self.pulls[i].version += 1;
                let v = self.pulls[i].version;
                let n = i + 1;
                let file = self.pulls[i].file.clone();
                let broken = if self.rng.chance(self.broken) {
                    " broken"
                } else {
                    ""
                };
                self.gh.push_to_pr(
                    &repo,
                    number,
                    NEWCOMER,
                    &format!(
                        "x86/shadow: p{n} v{v}\n\nSigned-off-by: Nora Newcomer <nora@new.example>"
                    ),
                    &[(file.as_str(), Some(format!("p{n} v{v}{broken}\n").as_str()))],
                );
                let payload =
                    self.gh
                        .pull_request_event(&repo, number, "synchronize", Some(&before));
                out.push(self.delivery("pull_request", &payload));
            }
            // The shadow maintainer approves the head as it is now.
            26..=50 => {
                let Some(i) = self.pick(false) else {
                    return out;
                };
                let (number, version) = (self.pulls[i].number, self.pulls[i].version);
                let review = self
                    .gh
                    .add_review(&repo, number, "sha-gh", ReviewState::Approved, "");
                self.judged.insert((number, version));
                let payload = self.gh.review_event(&repo, number, review);
                out.push(self.delivery("pull_request_review", &payload));
            }
            // A committer asks pushgate to land a pull request.
            51..=72 => {
                let Some(i) = self.pick(true) else {
                    return out;
                };
                let number = self.pulls[i].number;
                let comment = self
                    .gh
                    .add_comment(&repo, number, "cora-gh", "/pushgate merge");
                let payload = self.gh.issue_comment_event(&repo, number, comment);
                out.push(self.delivery("issue_comment", &payload));
            }
            // The author answers in the discussion (no command, no ack).
            73..=82 => {
                let Some(i) = self.pick(false) else {
                    return out;
                };
                let number = self.pulls[i].number;
                let comment =
                    self.gh
                        .add_comment(&repo, number, NEWCOMER.2, "Thanks, updated as asked.");
                let payload = self.gh.issue_comment_event(&repo, number, comment);
                out.push(self.delivery("issue_comment", &payload));
            }
            // A committer pushes a docs fix to staging directly.
            83..=87 => {
                self.docs_commit();
            }
            // A committer closes a regression issue pushgate opened (fixed, or not a
            // regression after all).
            88..=90 => {
                let open: Vec<u64> = self
                    .gh
                    .issues(&repo)
                    .into_iter()
                    .filter(|i| i.open && i.user == BOT_LOGIN && i.title.starts_with("Regression"))
                    .map(|i| i.number)
                    .collect();
                if let Some(&number) = open.first() {
                    self.gh.close_issue(&repo, number);
                    let payload = self.gh.issues_event(&repo, number, "closed", "cora-gh");
                    out.push(self.delivery("issues", &payload));
                }
            }
            _ => {}
        }
        out
    }

    /// A committer's commit on staging (announced by the next [`Story::announce`]); it also
    /// repairs what landed broken.
    fn docs_commit(&mut self) -> String {
        self.docs += 1;
        let k = self.docs;
        let readme = format!("hello, note {k}\n");
        let mut files = vec![("README".to_string(), readme)];
        for p in &self.pulls {
            if self
                .gh
                .file_at(&self.repo, "staging", &p.file)
                .is_some_and(|c| c.contains("broken"))
            {
                files.push((p.file.clone(), "repaired\n".to_string()));
            }
        }
        let files: Vec<(&str, Option<&str>)> = files
            .iter()
            .map(|(path, content)| (path.as_str(), Some(content.as_str())))
            .collect();
        self.gh.commit(
            &self.repo,
            "staging",
            COMMITTER,
            &format!("docs: note {k}"),
            &files,
        )
    }

    /// The newest `pushgate/acks` conclusion on each open pull request's head, against what
    /// it must be (success exactly when the head was approved); the mismatches.
    fn wrong_checks(&self) -> Vec<String> {
        let runs = self.gh.check_runs(&self.repo);
        let mut wrong = Vec::new();
        for i in self.open_pulls() {
            let p = &self.pulls[i];
            let head = self.gh.pr_head(&self.repo, p.number);
            let shown = runs
                .iter()
                .rfind(|c| c.name == "pushgate/acks" && c.head_sha == head)
                .and_then(|c| c.conclusion.clone());
            let expected = if self.judged.contains(&(p.number, p.version)) {
                "success"
            } else {
                "failure"
            };
            if shown.as_deref() != Some(expected) {
                wrong.push(format!(
                    "{}#{} at v{}: {shown:?}, not {expected}",
                    self.repo, p.number, p.version
                ));
            }
        }
        wrong
    }

    fn passed(&self) -> HashSet<String> {
        self.reported
            .iter()
            .filter(|(_, passed)| **passed)
            .map(|(sha, _)| sha.clone())
            .collect()
    }
}

/// Commits reachable from `from` (itself included).
fn ancestry(gh: &FakeGitHub, repo: &str, from: &str) -> HashSet<String> {
    let mut seen = HashSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(sha) = todo.pop() {
        if seen.insert(sha.clone()) {
            todo.extend(gh.commit_parents(repo, &sha));
        }
    }
    seen
}

/// Effects made twice on one repository: a check run posted again with the same content on
/// the same commit (no verdict change between), a bot comment whose hidden marker another bot
/// comment carries too, an issue the bot opened twice under one title, a commit of a pull
/// request landed twice on staging.
fn duplicate_effects(gh: &FakeGitHub, repo: &str) -> Vec<String> {
    let mut found = Vec::new();
    type Shown = (Option<String>, Option<String>, Option<String>);
    let mut last: HashMap<(String, String), (Shown, u64)> = HashMap::new();
    for run in gh.check_runs(repo) {
        if !run.name.starts_with("pushgate/") {
            continue;
        }
        let key = (run.head_sha.clone(), run.name.clone());
        let shown = (
            run.conclusion.clone(),
            run.title.clone(),
            run.summary.clone(),
        );
        if let Some((before, id)) = last.get(&key).filter(|(before, _)| *before == shown) {
            found.push(format!(
                "{repo}: {} posted twice on {} ({:?}; runs {id} and {})",
                run.name, run.head_sha, before.0, run.id
            ));
        }
        last.insert(key, (shown, run.id));
    }
    let mut markers: HashMap<(u64, String), usize> = HashMap::new();
    for (issue, comment) in gh.all_comments(repo) {
        if comment.user != BOT_LOGIN {
            continue;
        }
        for marker in comment.body.match_indices("<!-- pushgate:") {
            let rest = &comment.body[marker.0..];
            let end = rest.find("-->").map_or(rest.len(), |e| e + 3);
            *markers.entry((issue, rest[..end].to_string())).or_default() += 1;
        }
    }
    for ((issue, marker), n) in markers {
        if n > 1 {
            found.push(format!("{repo}#{issue}: {n} comments carry {marker}"));
        }
    }
    let mut titles: HashMap<String, usize> = HashMap::new();
    for issue in gh.issues(repo) {
        if issue.user == BOT_LOGIN {
            *titles.entry(issue.title).or_default() += 1;
        }
    }
    for (title, n) in titles {
        if n > 1 {
            found.push(format!("{repo}: {n} issues titled {title:?}"));
        }
    }
    let mut subjects: HashMap<String, usize> = HashMap::new();
    let staging = gh.branch_tip(repo, "staging").expect("staging");
    for sha in ancestry(gh, repo, &staging) {
        let message = gh.commit_message(repo, &sha).unwrap_or_default();
        let subject = message.lines().next().unwrap_or_default().to_string();
        if subject.starts_with("x86/shadow: ") {
            *subjects.entry(subject).or_default() += 1;
        }
    }
    for (subject, n) in subjects {
        if n > 1 {
            found.push(format!("{repo}: {subject:?} landed {n} times on staging"));
        }
    }
    found
}

/// Where master went wrong: a position that was never on staging, or that CI did not pass,
/// or a move that is no fast-forward; and forced updates.
fn master_problems(gh: &FakeGitHub, repo: &str, passed: &HashSet<String>) -> Vec<String> {
    let mut found = Vec::new();
    let history = gh.branch_history(repo, "master");
    let staging: Vec<String> = gh.branch_history(repo, "staging");
    let on_staging: HashSet<String> = staging
        .iter()
        .flat_map(|tip| ancestry(gh, repo, tip))
        .collect();
    for pair in history.windows(2) {
        let (from, to) = (&pair[0], &pair[1]);
        if !on_staging.contains(to) {
            found.push(format!("{repo}: master moved to {to}, never on staging"));
        }
        if !passed.contains(to) {
            found.push(format!(
                "{repo}: master moved to {to}, which CI did not pass"
            ));
        }
        if !ancestry(gh, repo, to).contains(from) {
            found.push(format!("{repo}: master {from} -> {to} is no fast-forward"));
        }
    }
    let moves: HashSet<&String> = history.iter().collect();
    if moves.len() != history.len() {
        found.push(format!(
            "{repo}: master was set to one commit twice: {history:?}"
        ));
    }
    found
}

/// A pull request version on staging that the maintainer never approved.
fn unjudged_on_staging(story: &Story) -> Vec<String> {
    let gh = &story.gh;
    let staging = gh.branch_tip(&story.repo, "staging").expect("staging");
    let mut found = Vec::new();
    for (i, p) in story.pulls.iter().enumerate() {
        let Some(content) = gh.file_at(&story.repo, &staging, &p.file) else {
            continue;
        };
        if content == "repaired\n" {
            continue;
        }
        let version = content
            .trim()
            .trim_end_matches(" broken")
            .strip_prefix(&format!("p{} v", i + 1))
            .and_then(|v| v.parse::<u32>().ok());
        if !version.is_some_and(|v| story.judged.contains(&(p.number, v))) {
            found.push(format!(
                "{}: staging holds #{} {content:?}, never approved",
                story.repo, p.number
            ));
        }
    }
    found
}

/// The fake with one installation and `repos` repositories, each holding the fixture
/// MAINTAINERS, `config` on staging, and master at staging's first commit.
async fn fake_with_repos(repos: &[String], config: &str) -> (FakeGitHub, String) {
    let (gh, addr) = FakeGitHub::start().await;
    gh.add_installation(INSTALLATION, "xen-like");
    for repo in repos {
        gh.add_repo(INSTALLATION, repo, "staging");
        let start = gh.commit(
            repo,
            "staging",
            COMMITTER,
            "Initial import",
            &[
                ("MAINTAINERS", Some(MAINTAINERS)),
                (".github/pushgate.toml", Some(config)),
                ("README", Some("hello\n")),
                (SHADOW, Some("int shadow;\n")),
            ],
        );
        gh.create_branch(repo, "master", &start);
    }
    (gh, format!("http://{addr}"))
}

// ---- crash rounds ----

/// What a SQLite store holds: delivery ids by state.
fn stored(db: &Path) -> BTreeMap<String, String> {
    let conn = rusqlite::Connection::open(db).expect("open the store");
    let mut query = conn
        .prepare("SELECT delivery_id, state FROM deliveries")
        .expect("query");
    let rows = query
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .expect("rows");
    rows.map(|r| r.expect("row")).collect()
}

/// Failed deliveries in a SQLite store, with why.
fn failed_in(db: &Path) -> Vec<(String, String, String)> {
    let conn = rusqlite::Connection::open(db).expect("open the store");
    let mut query = conn
        .prepare(
            "SELECT delivery_id, event, COALESCE(last_error, '') FROM deliveries \
             WHERE state = 'failed'",
        )
        .expect("query");
    let rows = query
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("rows");
    rows.map(|r| r.expect("row")).collect()
}

/// The gate's stored state of `repo` (for the message of a failure).
fn gate_in(db: &Path, repo: &str) -> String {
    let conn = rusqlite::Connection::open(db).expect("open the store");
    let state: Value = conn
        .query_row("SELECT state FROM gates WHERE repo = ?1", [repo], |r| {
            r.get::<_, String>(0)
        })
        .ok()
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let flights: Vec<String> = state["flights"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| format!("#{} {} {}", f["id"], f["tip"], f["phase"]))
        .collect();
    format!(
        "master {} ahead {} block {} rejected {} diverged {}\n  {}",
        state["master"],
        state["ahead"],
        state["block"],
        state["rejected"],
        state["diverged"],
        flights.join("\n  ")
    )
}

fn pending_in(db: &Path) -> i64 {
    let conn = rusqlite::Connection::open(db).expect("open the store");
    conn.query_row(
        "SELECT COUNT(*) FROM deliveries WHERE state = 'pending'",
        [],
        |r| r.get(0),
    )
    .expect("count")
}

/// The figures of a crash run.
#[derive(Debug)]
#[allow(dead_code)]
struct CrashReport {
    deliveries: usize,
    acknowledged: usize,
    redelivered: usize,
    kills: usize,
    pulls: usize,
    landed: usize,
    master_moves: usize,
    settled_after_restart: Duration,
    took: Duration,
}

/// `rounds` rounds of `per_round` deliveries; in each, `serve` is killed once at a seeded
/// moment and restarted, and after the last delivery it is killed and restarted once more;
/// everything must be right `within` that last restart.
async fn play_crash_rounds(
    rounds: usize,
    per_round: usize,
    seed: u64,
    within: Duration,
) -> CrashReport {
    let started = Instant::now();
    let repo = "xen-like/hypervisor".to_string();
    let (gh, api) = fake_with_repos(std::slice::from_ref(&repo), &pinned_gate_config()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("pushgate.db");
    let url = format!("sqlite://{}", db.display());
    let log = dir.path().join("serve.log");
    let mut sender = Sender::new(8);
    let mut server = Serve::spawn(&url, &api, &log, "crash");
    server.ready(&sender.http).await;
    let mut story = Story::new(&gh, &repo, seed, &format!("crash-{seed}"));
    let mut rng = Rng(seed ^ 0xdead_beef);
    let mut kills = 0;
    for round in 0..rounds {
        // Somewhere in the middle 80% of the round, after a few milliseconds more.
        let kill_at = per_round / 10 + rng.below(per_round * 8 / 10);
        let mut killed = false;
        let mut sent = 0;
        while sent < per_round {
            for d in story.step() {
                sender.send(&server.base, d).await;
                sent += 1;
            }
            // People act at their pace: the story waits while pushgate has a backlog.
            if sent % 20 == 0 {
                while pending_in(&db) > BACKLOG {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
            if !killed && sent >= kill_at {
                // With deliveries in flight: some stored and answered, some stored and not
                // answered, some not stored.
                tokio::time::sleep(Duration::from_micros(rng.below(3_000) as u64)).await;
                server.kill();
                kills += 1;
                killed = true;
                server = Serve::spawn(&url, &api, &log, "crash");
                let up = server.ready(&sender.http).await;
                sender.redeliver(&server.base).await;
                eprintln!(
                    "round {}: killed after {sent} of its deliveries, ready again in {up:?}",
                    round + 1
                );
            }
        }
    }
    // The story ends: a committer's last commit, and from now on CI passes every commit; then
    // one more kill while the backlog is processed, and from that restart on everything must
    // come right: every open pull request's check, and master at staging's tip.
    story.docs_commit();
    story.failing = 0;
    for d in story.announce() {
        sender.send(&server.base, d).await;
    }
    sender.redeliver(&server.base).await;
    server.kill();
    kills += 1;
    server = Serve::spawn(&url, &api, &log, "crash");
    let restart = Instant::now();
    server.ready(&sender.http).await;
    sender.redeliver(&server.base).await;
    let settled = loop {
        // CI keeps answering what pushgate asks (re-runs, bisection probes).
        for d in story.announce() {
            sender.send(&server.base, d).await;
        }
        sender.redeliver(&server.base).await;
        let master = gh.branch_tip(&repo, "master");
        let last = gh.branch_tip(&repo, "staging").expect("staging");
        if master.as_deref() == Some(last.as_str())
            && story.wrong_checks().is_empty()
            && pending_in(&db) == 0
        {
            break restart.elapsed();
        }
        assert!(
            restart.elapsed() < within,
            "not right {within:?} after the last restart: master {master:?} (staging {last}), \
             checks {:?}, {} pending; log:\n{}\ngate: {}",
            story.wrong_checks(),
            pending_in(&db),
            std::fs::read_to_string(&log).unwrap_or_default(),
            gate_in(&db, &repo),
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    server.kill();

    // 0 acknowledged deliveries lost.
    let in_store = stored(&db);
    let lost: Vec<&String> = sender
        .acknowledged
        .iter()
        .filter(|id| !in_store.contains_key(*id))
        .collect();
    assert!(lost.is_empty(), "acknowledged, not in the store: {lost:?}");
    let failed = failed_in(&db);
    assert!(failed.is_empty(), "deliveries failed: {failed:?}");
    // 0 duplicate effects, master never wrong, nothing forced.
    let duplicates = duplicate_effects(&gh, &repo);
    assert!(duplicates.is_empty(), "{duplicates:#?}");
    let master = master_problems(&gh, &repo, &story.passed());
    assert!(master.is_empty(), "{master:#?}");
    let unjudged = unjudged_on_staging(&story);
    assert!(unjudged.is_empty(), "{unjudged:#?}");
    assert_eq!(gh.forced_ref_updates(), 0, "a ref update was forced");
    let landed = story
        .pulls
        .iter()
        .filter(|p| gh.file_at(&repo, "staging", &p.file).is_some())
        .count();
    let report = CrashReport {
        deliveries: story.deliveries as usize,
        acknowledged: sender.acknowledged.len(),
        redelivered: sender.redelivered,
        kills,
        pulls: story.pulls.len(),
        landed,
        master_moves: gh.branch_history(&repo, "master").len() - 1,
        settled_after_restart: settled,
        took: started.elapsed(),
    };
    // The story must reach the interesting states, or it proves little.
    assert_eq!(report.acknowledged, report.deliveries, "{report:?}");
    assert!(report.landed > 0 && report.master_moves > 0, "{report:?}");
    report
}

/// `cargo test` runs two short rounds (about 300 deliveries, three kills). A debug build on
/// a loaded machine processes the backlog left at the last kill slowly: it gets a minute.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_rounds_smoke() {
    let report = play_crash_rounds(2, 150, 0x5eed_0001, Duration::from_secs(60)).await;
    eprintln!("{report:?}");
}

/// The proof run: 10 rounds of 1,000 deliveries (`PROOF_ROUNDS`, `PROOF_DELIVERIES`,
/// `PROOF_SEED` change them).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a proof run: cargo test --release --test proofs -- --ignored --nocapture crash_rounds"]
async fn crash_rounds() {
    let report = play_crash_rounds(
        knob("PROOF_ROUNDS", 10),
        knob("PROOF_DELIVERIES", 1_000),
        knob("PROOF_SEED", 16) as u64,
        Duration::from_secs(30),
    )
    .await;
    eprintln!("{report:#?}");
}

// ---- replicas ----

/// A fresh database on the PostgreSQL server of `PUSHGATE_TEST_POSTGRES`, or None when it is
/// not set.
async fn fresh_database(tag: &str) -> Option<String> {
    let base = std::env::var("PUSHGATE_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.trim().is_empty())?;
    sqlx::any::install_default_drivers();
    let admin = sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&base)
        .await
        .unwrap_or_else(|e| panic!("PUSHGATE_TEST_POSTGRES is set but unreachable: {e}"));
    let name = format!(
        "pushgate_{tag}_{}_{}",
        std::process::id(),
        chrono::Utc::now().timestamp_micros()
    );
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("create database");
    let (prefix, _) = base.rsplit_once('/').expect("database URL with a path");
    Some(format!("{prefix}/{name}"))
}

/// Deliveries pending in a PostgreSQL store.
async fn pending(pool: &sqlx::AnyPool) -> i64 {
    use sqlx::Row;
    sqlx::query("SELECT COUNT(*) AS n FROM deliveries WHERE state = 'pending'")
        .fetch_one(pool)
        .await
        .expect("count")
        .get("n")
}

/// The figures of a replicas run.
#[derive(Debug)]
#[allow(dead_code)]
struct ReplicaReport {
    deliveries: usize,
    acknowledged: usize,
    redelivered: usize,
    repositories: usize,
    pulls: usize,
    landed: usize,
    master_moves: usize,
    lanes_checked: usize,
    flights: usize,
    killed_after: usize,
    settled_after_last_delivery: Duration,
    took: Duration,
}

/// Deliveries done out of their lane's order: per lane, the order of completion
/// (`processed_at`) must be the order of arrival (`id`). Deliveries collapsed into another
/// are marked done when the other is claimed, so they are left out.
async fn lanes_out_of_order(pool: &sqlx::AnyPool) -> (usize, Vec<String>) {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT lane, id, delivery_id FROM deliveries WHERE state = 'done' \
         AND (last_error IS NULL OR last_error NOT LIKE 'coalesced%') \
         ORDER BY lane, processed_at, id",
    )
    .fetch_all(pool)
    .await
    .expect("deliveries");
    let mut last: HashMap<String, (i64, String)> = HashMap::new();
    let mut wrong = Vec::new();
    for row in rows {
        let lane: String = row.get("lane");
        let id: i64 = row.get("id");
        let delivery: String = row.get("delivery_id");
        if let Some((before, was)) = last.get(&lane) {
            if *before > id {
                wrong.push(format!("lane {lane}: {delivery} done before {was}"));
            }
        }
        last.insert(lane, (id, delivery));
    }
    (last.len(), wrong)
}

/// `total` deliveries over `repos` repositories, sent round-robin to three `serve` replicas
/// on one PostgreSQL database; one replica is killed (SIGKILL) at a seeded moment in the
/// middle third and not restarted.
async fn play_replicas(url: &str, total: usize, repos: usize, seed: u64) -> ReplicaReport {
    use sqlx::Row;
    let started = Instant::now();
    let names: Vec<String> = (0..repos)
        .map(|i| format!("xen-like/tree-{i:02}"))
        .collect();
    let (gh, api) = fake_with_repos(&names, &pinned_gate_config()).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let mut sender = Sender::new(16);
    let mut replicas = Vec::new();
    for r in 0..3 {
        let log = dir.path().join(format!("replica-{r}.log"));
        let mut serve = Serve::spawn(url, &api, &log, &format!("replica-{r}"));
        serve.ready(&sender.http).await;
        replicas.push(Some(serve));
    }
    let mut stories: Vec<Story> = names
        .iter()
        .enumerate()
        .map(|(i, repo)| Story::new(&gh, repo, seed + i as u64, &format!("rep-{seed}-{i}")))
        .collect();
    let pool = sqlx::any::AnyPoolOptions::new()
        .max_connections(2)
        .connect(url)
        .await
        .expect("connect");
    let mut rng = Rng(seed ^ 0x0bad_cafe);
    let kill_at = total / 3 + rng.below(total / 3);
    let mut killed = None;
    let mut turn = 0;
    let mut next = 0;
    let live = |replicas: &Vec<Option<Serve>>, next: &mut usize| -> String {
        loop {
            *next += 1;
            if let Some(serve) = &replicas[*next % replicas.len()] {
                return serve.base.clone();
            }
        }
    };
    while sender.sent < total {
        let deliveries = stories[turn % repos].step();
        turn += 1;
        // People act at their pace: the stories wait while pushgate has a backlog.
        if turn % 20 == 0 {
            while pending(&pool).await > BACKLOG * 3 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        }
        for d in deliveries {
            let base = live(&replicas, &mut next);
            sender.send(&base, d).await;
        }
        if killed.is_none() && sender.sent >= kill_at {
            if let Some(mut victim) = replicas[1].take() {
                victim.kill();
            }
            killed = Some(sender.sent);
            eprintln!("replica 1 killed after {} deliveries", sender.sent);
            let base = live(&replicas, &mut next);
            sender.redeliver(&base).await;
        }
    }
    // The stories end: each repository gets a committer's last commit, CI passes every commit
    // from now on, and everything must come right.
    for story in &mut stories {
        story.docs_commit();
        story.failing = 0;
    }
    let last_sent = Instant::now();
    let settled = loop {
        for story in &mut stories {
            for d in story.announce() {
                let base = live(&replicas, &mut next);
                sender.send(&base, d).await;
            }
        }
        let base = live(&replicas, &mut next);
        sender.redeliver(&base).await;
        let pending = pending(&pool).await;
        let wrong: Vec<String> = stories
            .iter()
            .flat_map(|s| {
                let mut wrong = s.wrong_checks();
                let staging = gh.branch_tip(&s.repo, "staging");
                let master = gh.branch_tip(&s.repo, "master");
                if staging != master {
                    wrong.push(format!(
                        "{}: master {master:?}, staging {staging:?}",
                        s.repo
                    ));
                }
                wrong
            })
            .collect();
        if pending == 0 && wrong.is_empty() {
            break last_sent.elapsed();
        }
        assert!(
            last_sent.elapsed() < Duration::from_secs(180),
            "not right 3 minutes after the last delivery: {pending} pending, {wrong:#?}; logs in {}",
            dir.keep().display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    // Nothing acknowledged was lost, nothing failed.
    let rows =
        sqlx::query("SELECT delivery_id, state, COALESCE(last_error, '') AS e FROM deliveries")
            .fetch_all(&pool)
            .await
            .expect("deliveries");
    let in_store: HashMap<String, (String, String)> = rows
        .iter()
        .map(|r| (r.get("delivery_id"), (r.get("state"), r.get("e"))))
        .collect();
    let lost: Vec<&String> = sender
        .acknowledged
        .iter()
        .filter(|id| !in_store.contains_key(*id))
        .collect();
    assert!(lost.is_empty(), "acknowledged, not in the store: {lost:?}");
    let failed: Vec<_> = in_store
        .iter()
        .filter(|(_, (s, _))| s == "failed")
        .collect();
    assert!(failed.is_empty(), "deliveries failed: {failed:?}");
    // Each lane in order.
    let (lanes_checked, out_of_order) = lanes_out_of_order(&pool).await;
    assert!(out_of_order.is_empty(), "{out_of_order:#?}");
    // Effects once, master never wrong, no flight decided twice.
    let mut flights = 0;
    for story in &stories {
        let duplicates = duplicate_effects(&gh, &story.repo);
        assert!(duplicates.is_empty(), "{duplicates:#?}");
        let master = master_problems(&gh, &story.repo, &story.passed());
        assert!(master.is_empty(), "{master:#?}");
        let unjudged = unjudged_on_staging(story);
        assert!(unjudged.is_empty(), "{unjudged:#?}");
        let state: String = sqlx::query("SELECT state FROM gates WHERE repo = $1")
            .bind(&story.repo)
            .fetch_one(&pool)
            .await
            .expect("the gate's state")
            .get("state");
        let state: Value = serde_json::from_str(&state).expect("JSON");
        let ids: Vec<u64> = state["flights"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f["id"].as_u64())
            .collect();
        let distinct: HashSet<&u64> = ids.iter().collect();
        assert_eq!(distinct.len(), ids.len(), "{}: flights {ids:?}", story.repo);
        assert!(
            state["rejected"].is_null(),
            "{}: a fast-forward was refused: {}",
            story.repo,
            state["rejected"]
        );
        flights += ids.len();
    }
    assert_eq!(gh.forced_ref_updates(), 0, "a ref update was forced");
    let report = ReplicaReport {
        deliveries: stories.iter().map(|s| s.deliveries as usize).sum(),
        acknowledged: sender.acknowledged.len(),
        redelivered: sender.redelivered,
        repositories: repos,
        pulls: stories.iter().map(|s| s.pulls.len()).sum(),
        landed: stories
            .iter()
            .map(|s| {
                s.pulls
                    .iter()
                    .filter(|p| gh.file_at(&s.repo, "staging", &p.file).is_some())
                    .count()
            })
            .sum(),
        master_moves: names
            .iter()
            .map(|r| gh.branch_history(r, "master").len() - 1)
            .sum(),
        lanes_checked,
        flights,
        killed_after: killed.unwrap_or(0),
        settled_after_last_delivery: settled,
        took: started.elapsed(),
    };
    assert_eq!(report.acknowledged, report.deliveries, "{report:?}");
    report
}

/// The proof run: 5,000 deliveries over 50 repositories, three replicas, one killed
/// (`PROOF_DELIVERIES`, `PROOF_REPOS`, `PROOF_SEED` change them). Needs
/// `PUSHGATE_TEST_POSTGRES`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a proof run: cargo test --release --test proofs -- --ignored --nocapture replicas"]
async fn replicas() {
    let url = fresh_database("replicas")
        .await
        .expect("PUSHGATE_TEST_POSTGRES must name a PostgreSQL server");
    eprintln!("database {url}");
    let report = play_replicas(
        &url,
        knob("PROOF_DELIVERIES", 5_000),
        knob("PROOF_REPOS", 50),
        knob("PROOF_SEED", 16) as u64,
    )
    .await;
    eprintln!("{report:#?}");
}

// ---- memory and start-up ----

/// Idle RSS and start-up time of `serve`, and its RSS after judging one pull request in each
/// of 100 repositories whose MAINTAINERS is Linux's (each a blob of its own: a comment line
/// names the repository, so nothing is shared between them through the blob cache).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: cargo test --release --test proofs -- --ignored --nocapture memory"]
async fn memory_and_start_up() {
    let corpus = std::env::var("PUSHGATE_TEST_CORPUS")
        .unwrap_or_else(|_| concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus").to_string());
    let linux = std::fs::read_to_string(Path::new(&corpus).join("linux/MAINTAINERS"))
        .expect("Linux's MAINTAINERS in the corpus (PUSHGATE_TEST_CORPUS)");
    let repos = knob("PROOF_REPOS", 100);
    let (gh, addr) = FakeGitHub::start().await;
    let api = format!("http://{addr}");
    gh.add_installation(INSTALLATION, "linux-like");
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("pushgate.db").display());
    let log = dir.path().join("serve.log");
    let http = reqwest::Client::new();

    // Start-up: spawn to /readyz 200, five times on the same database.
    let mut starts = Vec::new();
    for _ in 0..5 {
        let mut serve = Serve::spawn(&url, &api, &log, "memory");
        starts.push(serve.ready(&http).await);
        serve.kill();
    }
    starts.sort();
    let mut serve = Serve::spawn(&url, &api, &log, "memory");
    let ready = serve.ready(&http).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle = serve.rss_kib();

    let names: Vec<String> = (0..repos)
        .map(|i| format!("linux-like/tree-{i:03}"))
        .collect();
    let mut sent = Vec::new();
    for (i, repo) in names.iter().enumerate() {
        gh.add_repo(INSTALLATION, repo, "master");
        let maintainers = format!("{linux}\n# {repo}\n");
        gh.commit(
            repo,
            "master",
            ("Linus", "linus@example.org", "linus-gh"),
            "Initial import",
            &[
                ("MAINTAINERS", Some(maintainers.as_str())),
                ("kernel/sched/core.c", Some("int sched;\n")),
                ("drivers/net/ethernet/3com/3c59x.c", Some("int vortex;\n")),
            ],
        );
        let base = gh.branch_tip(repo, "master").expect("master");
        gh.create_branch(repo, "topic", &base);
        gh.commit(
            repo,
            "topic",
            NEWCOMER,
            "A change\n\nSigned-off-by: Nora Newcomer <nora@new.example>",
            &[
                (
                    "kernel/sched/core.c",
                    Some(format!("int sched = {i};\n").as_str()),
                ),
                (
                    "drivers/net/ethernet/3com/3c59x.c",
                    Some("int vortex = 1;\n"),
                ),
            ],
        );
        let number = gh.open_pr(repo, NEWCOMER.2, "topic", "master", "A change");
        let payload = gh.pull_request_event(repo, number, "opened", None);
        let d = Delivery {
            id: format!("memory-{i}"),
            event: "pull_request".to_string(),
            body: serde_json::to_vec(&payload).expect("payload"),
        };
        assert_eq!(post(&http, &serve.base, &d).await, Some(202));
        sent.push((repo.clone(), number));
    }
    let judging = Instant::now();
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        let judged = sent
            .iter()
            .filter(|(repo, _)| {
                gh.check_runs(repo)
                    .iter()
                    .any(|c| c.name == "pushgate/acks" && c.conclusion.is_some())
            })
            .count();
        if judged == sent.len() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{judged} of {} judged",
            sent.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let judged_in = judging.elapsed();
    let loaded = serve.rss_kib();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let later = serve.rss_kib();
    eprintln!(
        "start-up (spawn to /readyz 200): {:?} min, {:?} median, {:?} max of 5 (then {ready:?})\n\
         idle RSS: {idle} KiB\n\
         RSS after judging {repos} pull requests over {repos} repositories with Linux's \
         MAINTAINERS: {loaded} KiB (3 s later: {later} KiB); judged in {judged_in:?}",
        starts[0], starts[2], starts[4],
    );
    // Parsed MAINTAINERS are cached within 256 MiB by weight (a parsed Linux MAINTAINERS
    // weighs about 29 MB); held by count alone, the 100 of them took 3.0 GiB.
    assert!(
        later < 768 * 1024,
        "RSS {later} KiB after {repos} repositories with Linux's MAINTAINERS"
    );
}

// ---- fault injection ----

/// What a story leaves behind on GitHub, with commit hashes and numbers written out of it
/// (pushgate's commits carry its clock, and ids come from the fake's counter), so that two
/// runs compare equal when they did the same.
#[derive(Debug, PartialEq, Eq)]
struct EndState {
    /// Staging's history (subjects, oldest first) and files at its tip.
    staging: Vec<String>,
    files: BTreeMap<String, String>,
    /// The subject of master's tip.
    master: String,
    /// Per pull request, by the order the story opened them (numbers are shared with issues,
    /// which a run with faults may open at other moments): state, labels, the newest
    /// `pushgate/acks` conclusion on its head.
    pulls: BTreeMap<usize, (String, Vec<String>, Option<String>)>,
    /// Issues: title, open, labels.
    issues: Vec<(String, bool, Vec<String>)>,
    /// pushgate's comments per pull request (`pr <order>`) or issue (`issue <title>`), sorted.
    comments: BTreeMap<String, Vec<String>>,
    /// The repository's labels.
    labels: Vec<String>,
    /// The newest `pushgate/release` conclusion on the release branch's tip.
    release: Option<String>,
}

/// Text with every commit hash replaced, for comparing two runs.
fn hashless(text: &str) -> String {
    let hex = regex::Regex::new(r"\b[0-9a-f]{7,40}\b").expect("regex");
    hex.replace_all(text, "<sha>").to_string()
}

/// Text with every commit hash and number replaced, for comparing two runs.
fn normalized(text: &str) -> String {
    let digits = regex::Regex::new(r"[0-9]+").expect("regex");
    digits.replace_all(&hashless(text), "N").to_string()
}

fn end_state(gh: &FakeGitHub, repo: &str, numbers: &[u64]) -> EndState {
    let subject = |sha: &str| {
        gh.commit_message(repo, sha)
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string()
    };
    let tip = gh.branch_tip(repo, "staging").expect("staging");
    let mut staging = Vec::new();
    let mut at = Some(tip.clone());
    while let Some(sha) = at {
        staging.push(subject(&sha));
        at = gh.commit_parents(repo, &sha).first().cloned();
    }
    staging.reverse();
    let paths: BTreeSet<String> = (1..=200)
        .map(|n| format!("xen/arch/x86/mm/shadow/p{n}.c"))
        .chain(["README".to_string(), "SUPPORT.md".to_string()])
        .collect();
    let files = paths
        .into_iter()
        .filter_map(|p| gh.file_at(repo, &tip, &p).map(|c| (p, c)))
        .collect();
    let master = subject(&gh.branch_tip(repo, "master").expect("master"));
    let runs = gh.check_runs(repo);
    let mut pulls = BTreeMap::new();
    for (order, &number) in numbers.iter().enumerate() {
        let state = gh.pr_state(repo, number);
        let head = gh.pr_head(repo, number);
        let mut labels = gh.labels_on(repo, number);
        labels.sort();
        let acks = runs
            .iter()
            .rfind(|c| c.name == "pushgate/acks" && c.head_sha == head)
            .and_then(|c| c.conclusion.clone());
        pulls.insert(order, (state, labels, acks));
    }
    let issues = gh
        .issues(repo)
        .into_iter()
        .map(|i| {
            let mut labels = i.labels;
            labels.sort();
            (hashless(&i.title), i.open, labels)
        })
        .collect();
    let on = |number: u64| match numbers.iter().position(|n| *n == number) {
        Some(order) => format!("pr {order}"),
        None => format!(
            "issue {}",
            gh.issue(repo, number)
                .map(|(title, _)| hashless(&title))
                .unwrap_or_default()
        ),
    };
    let mut comments: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (issue, c) in gh.all_comments(repo) {
        if c.user == BOT_LOGIN {
            comments
                .entry(on(issue))
                .or_default()
                .push(normalized(&c.body));
        }
    }
    for list in comments.values_mut() {
        list.sort();
    }
    let mut labels: Vec<String> = gh.repo_labels(repo).into_iter().map(|l| l.0).collect();
    labels.sort();
    let release_tip = gh.branch_tip(repo, "stable-4.19").expect("release branch");
    let release = runs
        .iter()
        .rfind(|c| c.name == "pushgate/release" && c.head_sha == release_tip)
        .and_then(|c| c.conclusion.clone());
    EndState {
        staging,
        files,
        master,
        pulls,
        issues,
        comments,
        labels,
        release,
    }
}

/// The fake failing about `percent`% of its calls (never a call's work done and its answer
/// lost: that is the crash rounds' business), as a seeded mix: 5xx, 429 with `retry-after`,
/// secondary rate limits with `retry-after`, and slow answers.
fn inject_faults(gh: &FakeGitHub, percent: f64, seed: u64) {
    // Independent chances whose parts (summing to 1) touch `percent`% of the calls together:
    // a call is spared by all of them with chance (1 - percent)^(sum of parts).
    let share = |part: f64| 100.0 * (1.0 - (1.0 - percent / 100.0).powf(part));
    gh.inject(Fault::bad_gateway().chance(share(0.35), seed));
    gh.inject(Fault::too_many_requests(1).chance(share(0.25), seed + 1));
    gh.inject(Fault::secondary_limit(1).chance(share(0.2), seed + 2));
    gh.inject(Fault::delay(Duration::from_millis(300)).chance(share(0.2), seed + 3));
}

/// One full story, played step by step (each step's deliveries processed before the next),
/// with the fake failing `faults`% of calls; returns its end state and how long it took.
async fn full_story(steps: usize, seed: u64, faults: f64) -> (EndState, Duration, usize) {
    let started = Instant::now();
    let repo = support::REPO;
    let config = format!(
        "{}\n[[support.feature]]\nname = \"x86/shadow\"\npaths = [\"xen/arch/x86/mm/shadow/\"]\n",
        pinned_gate_config()
    );
    let (gh, api) = fake_with_repos(&[repo.to_string()], &config).await;
    // A fixed clock, so that the story's own commits have the same hashes in both runs (in
    // the past: GitHub's times are never ahead of pushgate's clock by more than a little).
    gh.set_now(1_700_000_000);
    let start = gh.commit(
        repo,
        "staging",
        COMMITTER,
        "Add SUPPORT.md",
        &[(
            "SUPPORT.md",
            Some("## Memory\n\n### x86/shadow\n\n    Status: Supported\n"),
        )],
    );
    gh.create_branch(repo, "master", &start);
    gh.create_branch(repo, "stable-4.19", &start);
    gh.add_check_run_by_app(repo, &start, "build", "success", CI_APP);
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("pushgate.db").display());
    let service = pushgate::service::start(support::settings(&url, &api, "faults"))
        .await
        .expect("service starts");
    let base = format!("http://{}", service.addr);
    let http = reqwest::Client::new();
    let mut story = Story::new(&gh, repo, seed, "faults");
    story.by_content = true;
    story.broken = 20;
    story.reported.insert(start.clone(), true);
    let release = gh.push_event(repo, "stable-4.19", &start, "cora-gh");
    let first = story.delivery("push", &release);
    if faults > 0.0 {
        inject_faults(&gh, faults, seed);
    }
    let settle = |store: pushgate::store::Store| async move {
        let deadline = Instant::now() + Duration::from_secs(600);
        loop {
            let depth = store.depth().await.expect("depth");
            if depth.pending == 0 {
                return;
            }
            assert!(Instant::now() < deadline, "still pending: {depth:?}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let mut sent = 0;
    let mut batch = vec![first];
    for step in 0..=steps {
        if step > 0 {
            gh.advance(60);
            batch = story.step();
        }
        // Whatever pushgate's work made GitHub announce, until nothing more comes.
        while !batch.is_empty() {
            for d in &batch {
                assert_eq!(post(&http, &base, d).await, Some(202), "{}", d.id);
                sent += 1;
            }
            settle(service.store.clone()).await;
            batch = story.announce();
        }
    }
    let failed = service.store.recent_failures(20).await.expect("failures");
    assert!(failed.is_empty(), "deliveries failed for good: {failed:#?}");
    let wrong = story.wrong_checks();
    assert!(wrong.is_empty(), "{wrong:#?}");
    let numbers: Vec<u64> = story.pulls.iter().map(|p| p.number).collect();
    let state = end_state(&gh, repo, &numbers);
    let duplicates = duplicate_effects(&gh, repo);
    assert!(duplicates.is_empty(), "{duplicates:#?}");
    let master = master_problems(&gh, repo, &story.passed());
    assert!(master.is_empty(), "{master:#?}");
    assert_eq!(gh.forced_ref_updates(), 0);
    if faults > 0.0 {
        eprintln!(
            "GitHub calls: {:?}",
            gh.call_counts().values().sum::<usize>()
        );
    }
    service.shutdown(Duration::from_secs(5)).await;
    (state, started.elapsed(), sent)
}

async fn faults_change_nothing(steps: usize, seed: u64, percent: f64) {
    let (clean, clean_took, sent) = full_story(steps, seed, 0.0).await;
    let (faulty, faulty_took, _) = full_story(steps, seed, percent).await;
    eprintln!(
        "{steps} steps, {sent} deliveries: fault-free {clean_took:?}, with {percent}% of calls \
         failing {faulty_took:?}; staging {} commits, master at {:?}, {} pull requests, {} \
         issues, release {:?}",
        clean.staging.len(),
        clean.master,
        clean.pulls.len(),
        clean.issues.len(),
        clean.release
    );
    if std::env::var("PROOF_SHOW").is_ok() {
        eprintln!("{clean:#?}");
    }
    assert_eq!(faulty, clean);
}

/// `cargo test` plays a short story.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_injection_smoke() {
    faults_change_nothing(8, 0x5eed_0003, 30.0).await;
}

/// The proof run: a full story of 150 steps (`PROOF_STEPS`, `PROOF_SEED`, `PROOF_FAULTS`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a proof run: cargo test --release --test proofs -- --ignored --nocapture fault_injection"]
async fn fault_injection() {
    faults_change_nothing(
        knob("PROOF_STEPS", 150),
        knob("PROOF_SEED", 16) as u64,
        knob("PROOF_FAULTS", 30) as f64,
    )
    .await;
}
