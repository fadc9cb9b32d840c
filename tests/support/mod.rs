//! The test world: the fake GitHub, the real service (router, worker, store) on a real
//! database, a signed-webhook sender, and waiting on conditions instead of sleeping.

#![allow(dead_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pushgate::github::signature;
use pushgate::github::Retry;
use pushgate::service::{self, Service, Settings};
use pushgate::sim::{CheckRunView, FakeGitHub, ReviewState};
use serde_json::Value;

pub const SECRET: &[u8] = b"test webhook secret";
pub const KEY: &[u8] = include_bytes!("../../fixtures/test-app-key.pem");
pub const INSTALLATION: u64 = 42;
pub const REPO: &str = "xen-like/hypervisor";

pub const MAINTAINERS: &str = include_str!("../../fixtures/MAINTAINERS");

/// Logins of the people in fixtures/MAINTAINERS, through the config's identities.
pub const CONFIG: &str = r#"
[acks]
min_open = "0s"

[identities]
"sha@shadow.example" = "sha-gh"
"twin@shadow.example" = "twin-gh"
"xavier@x86.example" = "xavier-gh"
"yara@x86.example" = "yara-gh"
"mia@mm.example" = "mia-gh"
"rhea@review.example" = "rhea-gh"
"cora@rest.example" = "cora-gh"
"quinn@rest.example" = "quinn-gh"
"ada@arm.example" = "ada-gh"
"#;

pub const SHADOW: &str = "xen/arch/x86/mm/shadow/multi.c";

pub struct World {
    pub gh: FakeGitHub,
    pub service: Option<Service>,
    pub http: reqwest::Client,
    pub database_url: String,
    pub api: String,
    _dir: Option<tempfile::TempDir>,
}

static DELIVERY: AtomicU64 = AtomicU64::new(1);

pub fn settings(database_url: &str, api: &str, replica: &str) -> Settings {
    Settings {
        database_url: database_url.to_string(),
        listen: "127.0.0.1:0".parse().expect("address"),
        github_api: api.to_string(),
        app_id: 1234,
        private_key: KEY.to_vec(),
        webhook_secret: SECRET.to_vec(),
        workers: 2,
        reconcile_every: Duration::ZERO,
        wake_every: Duration::from_millis(100),
        lease: Duration::from_secs(30),
        retry: Retry {
            attempts: 4,
            backoff: Duration::from_millis(20),
            max_inline_wait: Duration::from_secs(2),
        },
        replica: replica.to_string(),
        keep_done: Duration::from_secs(30 * 86_400),
        dashboard_token: None,
    }
}

impl World {
    /// A fake GitHub with one installation and a repository holding the fixture MAINTAINERS
    /// and `config`, and the service on a fresh SQLite file.
    pub async fn new(config: &str) -> World {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("pushgate.db").display());
        let mut world = World::with_database(config, &url).await;
        world._dir = Some(dir);
        world
    }

    pub async fn with_database(config: &str, database_url: &str) -> World {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .try_init();
        let (gh, api) = fake_github(config).await;
        let service = service::start(settings(database_url, &api, "test"))
            .await
            .expect("service starts");
        World {
            gh,
            service: Some(service),
            http: reqwest::Client::new(),
            database_url: database_url.to_string(),
            api,
            _dir: None,
        }
    }

    pub fn service(&self) -> &Service {
        self.service.as_ref().expect("service running")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.service().addr, path)
    }

    /// Sends a signed webhook; returns the status and the delivery id used.
    /// The service's `/metrics` text.
    pub async fn metrics(&self) -> String {
        self.http
            .get(self.url("/metrics"))
            .send()
            .await
            .expect("metrics request")
            .text()
            .await
            .expect("metrics text")
    }

    /// `login` approves PR `number`; the review's webhook is sent and accepted.
    pub async fn approve(&self, number: u64, login: &str) {
        let (status, _) = self
            .send("pull_request_review", &self.approval(number, login))
            .await;
        assert_eq!(status, 202);
    }

    /// `login` approves pull request `number` on GitHub; returns the review's webhook payload,
    /// not yet sent.
    pub fn approval(&self, number: u64, login: &str) -> Value {
        let review = self
            .gh
            .add_review(REPO, number, login, ReviewState::Approved, "");
        self.gh.review_event(REPO, number, review)
    }

    pub async fn send(&self, event: &str, payload: &Value) -> (u16, String) {
        let id = format!("delivery-{}", DELIVERY.fetch_add(1, Ordering::SeqCst));
        let status = self.send_as(event, payload, &id, SECRET).await;
        (status, id)
    }

    pub async fn send_as(&self, event: &str, payload: &Value, id: &str, secret: &[u8]) -> u16 {
        let body = serde_json::to_vec(payload).expect("payload");
        self.send_raw(event, body, id, secret).await
    }

    pub async fn send_raw(&self, event: &str, body: Vec<u8>, id: &str, secret: &[u8]) -> u16 {
        post_webhook(&self.http, &self.url("/webhook"), event, id, body, secret).await
    }

    /// Opens a PR from `author` changing `files`, and sends its `opened` webhook.
    pub async fn open_pr(&self, author: (&str, &str, &str), files: &[(&str, Option<&str>)]) -> u64 {
        let branch = format!("topic-{}", DELIVERY.fetch_add(1, Ordering::SeqCst));
        let base = self.gh.branch_tip(REPO, "staging").expect("staging");
        self.gh.create_branch(REPO, &branch, &base);
        self.gh.commit(
            REPO,
            &branch,
            author,
            "A change\n\nSigned-off-by: someone",
            files,
        );
        let number = self
            .gh
            .open_pr(REPO, author.2, &branch, "staging", "A change");
        let (status, _) = self
            .send(
                "pull_request",
                &self.gh.pull_request_event(REPO, number, "opened", None),
            )
            .await;
        assert_eq!(status, 202);
        number
    }

    /// Opens a pull request by the newcomer from the existing branch `branch` into staging,
    /// and sends its `opened` webhook.
    pub async fn open_branch_pr(&self, branch: &str, title: &str) -> u64 {
        let number = self.gh.open_pr(REPO, NEWCOMER.2, branch, "staging", title);
        let (status, _) = self
            .send(
                "pull_request",
                &self.gh.pull_request_event(REPO, number, "opened", None),
            )
            .await;
        assert_eq!(status, 202);
        number
    }

    /// A branch off staging with `commits` commits by the newcomer, each changing the shadow
    /// file (more than GitHub lists of a pull request when over 250).
    pub fn long_branch(&self, branch: &str, commits: usize) {
        let base = self.gh.branch_tip(REPO, "staging").expect("staging");
        self.gh.create_branch(REPO, branch, &base);
        for i in 0..commits {
            self.gh.commit(
                REPO,
                branch,
                NEWCOMER,
                &format!("x86/shadow: step {i}\n\nSigned-off-by: Nora Newcomer <nora@new.example>"),
                &[(SHADOW, Some(&format!("int shadow = {i};\n")))],
            );
        }
    }

    /// `login` comments `body` on pull request or issue `number`; the comment's webhook is
    /// sent and processed. Returns the delivery id.
    pub async fn comment(&self, number: u64, login: &str, body: &str) -> String {
        let id = self.send_comment(number, login, body).await;
        self.settle().await;
        id
    }

    /// [`World::comment`] without waiting for the delivery to be processed.
    pub async fn send_comment(&self, number: u64, login: &str, body: &str) -> String {
        let comment = self.gh.add_comment(REPO, number, login, body);
        let (status, id) = self
            .send(
                "issue_comment",
                &self.gh.issue_comment_event(REPO, number, comment),
            )
            .await;
        assert_eq!(status, 202);
        id
    }

    /// GitHub announces `action` on plain issue `number` (sent by `sender`); the webhook is
    /// processed before this returns.
    pub async fn issue_event(&self, number: u64, action: &str, sender: &str) {
        let (status, _) = self
            .send(
                "issues",
                &self.gh.issues_event(REPO, number, action, sender),
            )
            .await;
        assert_eq!(status, 202);
        self.settle().await;
    }

    /// The newest `pushgate/acks` check run on the PR's head.
    pub fn acks(&self, number: u64) -> Option<CheckRunView> {
        let head = self.gh.pr_head(REPO, number);
        self.gh
            .check_runs(REPO)
            .into_iter()
            .rfind(|c| c.name == "pushgate/acks" && c.head_sha == head)
    }

    pub fn acks_count(&self) -> usize {
        self.gh
            .check_runs(REPO)
            .iter()
            .filter(|c| c.name == "pushgate/acks")
            .count()
    }

    /// Waits until the PR's newest check has `conclusion` and its run count exceeds `after`.
    pub async fn wait_check(&self, number: u64, after: usize, conclusion: &str) -> CheckRunView {
        let what = format!("check on #{number} to become {conclusion} (after {after} runs)");
        wait_until(&what, || {
            self.acks_count() > after
                && self
                    .acks(number)
                    .is_some_and(|c| c.conclusion.as_deref() == Some(conclusion))
        })
        .await;
        self.acks(number).expect("check run")
    }

    /// Replaces the service by one with no workers on the same database: deliveries are
    /// stored and queue up until [`World::start_workers`].
    pub async fn hold_workers(&mut self) {
        if let Some(service) = self.service.take() {
            service.shutdown(Duration::from_secs(5)).await;
        }
        let mut storing = settings(&self.database_url, &self.api, "storing");
        storing.workers = 0;
        self.service = Some(service::start(storing).await.expect("service starts"));
    }

    /// Replaces the storing service by one with workers on the same database, and waits
    /// until they have processed every delivery.
    pub async fn start_workers(&mut self) {
        if let Some(service) = self.service.take() {
            service.shutdown(Duration::from_secs(5)).await;
        }
        let working = settings(&self.database_url, &self.api, "working");
        self.service = Some(service::start(working).await.expect("service starts"));
        self.settle().await;
    }

    /// Waits until the store has processed every delivery.
    pub async fn settle(&self) {
        let store = self.service().store.clone();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let depth = store.depth().await.expect("depth");
            if depth.pending == 0 {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "deliveries still pending: {depth:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The fake GitHub with one installation and a repository holding the fixture MAINTAINERS and
/// `config` on `staging`; returns it and its API base URL.
pub async fn fake_github(config: &str) -> (FakeGitHub, String) {
    fake_github_with(&[
        ("MAINTAINERS", Some(MAINTAINERS)),
        (".github/pushgate.toml", Some(config)),
        ("README", Some("hello\n")),
        (SHADOW, Some("int shadow;\n")),
        ("xen/arch/x86/traps.c", Some("int traps;\n")),
        ("xen/arch/arm/setup.c", Some("int arm;\n")),
    ])
    .await
}

/// [`fake_github`] with the repository's first commit holding `files`.
pub async fn fake_github_with(files: &[(&str, Option<&str>)]) -> (FakeGitHub, String) {
    let (gh, addr) = FakeGitHub::start().await;
    gh.add_installation(INSTALLATION, "xen-like");
    gh.add_repo(INSTALLATION, REPO, "staging");
    gh.commit(
        REPO,
        "staging",
        ("Cora Committer", "cora@rest.example", "cora-gh"),
        "Initial import",
        files,
    );
    (gh, format!("http://{addr}"))
}

/// Posts one webhook delivery to `url`, signed with `secret`; returns the HTTP status.
pub async fn post_webhook(
    http: &reqwest::Client,
    url: &str,
    event: &str,
    id: &str,
    body: Vec<u8>,
    secret: &[u8],
) -> u16 {
    http.post(url)
        .header("x-github-event", event)
        .header("x-github-delivery", id)
        .header("x-hub-signature-256", signature::sign(secret, &body))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("webhook request")
        .status()
        .as_u16()
}

/// Polls `condition` until it holds (30 s at most).
pub async fn wait_until(what: &str, condition: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

pub const NEWCOMER: (&str, &str, &str) = ("Nora Newcomer", "nora@new.example", "nora-gh");

/// The app the pinned gate trusts for `build` results.
pub const CI_APP: &str = "ci-app";

/// The fixture's policy with a gate on `build`, pinned to [`CI_APP`], that blocks on any
/// failure (so every failure is retried and bisected).
pub fn pinned_gate_config() -> String {
    format!(
        "{CONFIG}\n[gate]\nrequired = [\"build\"]\nblock_on = \"any-failure\"\n\
         sources = {{ build = \"app:{CI_APP}\" }}\n"
    )
}

/// splitmix64: a tiny deterministic generator, so a seed replays the same story.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}
