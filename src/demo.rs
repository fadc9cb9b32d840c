//! `pushgate demo`: the real service (HTTP door, store on an embedded SQLite file, workers)
//! against a simulated GitHub, playing a short story on a sample repository with a Xen-like
//! MAINTAINERS, then serving so a person can look around. The simulator is used here and in
//! the tests only; `serve` never touches it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::github::signature;
use crate::github::Retry;
use crate::service::{self, Service, Settings, SetupError};
use crate::sim::{FakeGitHub, ReviewState};

const SECRET: &[u8] = b"demo webhook secret";
/// A key made for the demo and the tests; it signs requests to the simulator only.
const KEY: &[u8] = include_bytes!("../fixtures/test-app-key.pem");
const MAINTAINERS: &str = include_str!("../fixtures/MAINTAINERS");
const REPO: &str = "xen-like/hypervisor";
const SHADOW: &str = "xen/arch/x86/mm/shadow/multi.c";
const TRAPS: &str = "xen/arch/x86/traps.c";
const CONFIG: &str = r#"# Production repositories keep the default review window of 24h.
[acks]
min_open = "0s"

[identities]
"sha@shadow.example" = "sha-gh"
"twin@shadow.example" = "twin-gh"
"xavier@x86.example" = "xavier-gh"
"yara@x86.example" = "yara-gh"
"mia@mm.example" = "mia-gh"
"cora@rest.example" = "cora-gh"

[[support.feature]]
name = "x86/PV"
paths = ["xen/arch/x86/pv/"]
"#;
const SUPPORT_MD: &str = "# Support statement

## Guest Type

### x86/PV

    Status: Supported

### x86/HVM

    Status: Supported

### ARM/GICv3 ITS

    Status, Arm: Tech Preview
";

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error("the simulated GitHub could not start: {0}")]
    Simulator(std::io::Error),
    #[error("sending a webhook failed: {0}")]
    Send(String),
    #[error("the story stalled: {0}")]
    Stalled(String),
}

/// Plays the story, then serves until `until` resolves.
pub async fn run(
    listen: SocketAddr,
    database: &str,
    until: impl std::future::Future<Output = ()>,
) -> Result<(), DemoError> {
    let (gh, gh_addr) = FakeGitHub::try_start()
        .await
        .map_err(DemoError::Simulator)?;
    gh.add_installation(1, "xen-like");
    gh.add_repo(1, REPO, "staging");
    gh.commit(
        REPO,
        "staging",
        ("Cora Committer", "cora@rest.example", "cora-gh"),
        "Import the hypervisor",
        &[
            ("MAINTAINERS", Some(MAINTAINERS)),
            (".github/pushgate.toml", Some(CONFIG)),
            (SHADOW, Some("int shadow_mode;\n")),
            (TRAPS, Some("void do_trap(void);\n")),
        ],
    );
    let settings = Settings {
        database_url: database.to_string(),
        listen,
        github_api: format!("http://{gh_addr}"),
        app_id: 1,
        private_key: KEY.to_vec(),
        webhook_secret: SECRET.to_vec(),
        workers: 2,
        reconcile_every: Duration::from_secs(300),
        wake_every: Duration::from_secs(1),
        lease: Duration::from_secs(60),
        retry: Retry::default(),
        replica: "demo".to_string(),
        keep_done: Duration::from_secs(30 * 86_400),
        dashboard_token: None,
    };
    let service = service::start(settings).await?;
    let base = format!("http://{}", service.addr);
    println!("pushgate demo");
    println!("  service:    {base}/  (dashboard), {base}/api/status, {base}/metrics");
    println!("  GitHub:     simulated at http://{gh_addr}");
    println!("  database:   {database}");
    println!();

    let story = Story {
        gh: &gh,
        service: &service,
        http: reqwest::Client::new(),
        next: 0,
    };
    story.play().await?;

    println!();
    println!(
        "The service keeps running: look at {base}/, {base}/repos/{REPO} and {base}/metrics. \
         Ctrl-C stops it."
    );
    until.await;
    service.shutdown(Duration::from_secs(10)).await;
    Ok(())
}

struct Story<'a> {
    gh: &'a FakeGitHub,
    service: &'a Service,
    http: reqwest::Client,
    next: u64,
}

impl Story<'_> {
    async fn play(mut self) -> Result<(), DemoError> {
        let base = self.gh.branch_tip(REPO, "staging").unwrap_or_default();
        self.gh.create_branch(REPO, "shadow-fix", &base);
        self.gh.commit(
            REPO,
            "shadow-fix",
            ("Nora Newcomer", "nora@new.example", "nora-gh"),
            "x86/shadow: fix the log-dirty bitmap\n\nSigned-off-by: Nora Newcomer <nora@new.example>\n",
            &[
                (SHADOW, Some("int shadow_mode = 1;\n")),
                (TRAPS, Some("void do_trap(int);\n")),
            ],
        );
        let pr = self.gh.open_pr(
            REPO,
            "nora-gh",
            "shadow-fix",
            "staging",
            "x86/shadow: fix the log-dirty bitmap",
        );
        println!("1. @nora-gh opens PR #{pr}, changing {SHADOW} and {TRAPS}.");
        let check = self
            .send(
                pr,
                "pull_request",
                self.gh.pull_request_event(REPO, pr, "opened", None),
            )
            .await?;
        self.show(&check);

        println!("2. @sha-gh (X86 SHADOW PAGETABLES) approves the PR.");
        let review = self.gh.add_review(
            REPO,
            pr,
            "sha-gh",
            ReviewState::Approved,
            "The bitmap handling is right.",
        );
        let check = self
            .send(
                pr,
                "pull_request_review",
                self.gh.review_event(REPO, pr, review),
            )
            .await?;
        self.show(&check);

        println!("3. @yara-gh (X86 ARCHITECTURE) comments \"/ack\".");
        let comment = self
            .gh
            .add_comment(REPO, pr, "yara-gh", "traps.c part looks fine.\n/ack");
        let check = self
            .send(
                pr,
                "issue_comment",
                self.gh.issue_comment_event(REPO, pr, comment),
            )
            .await?;
        self.show(&check);
        if check.conclusion.as_deref() != Some("success") {
            return Err(DemoError::Stalled(
                "the maintainers acked but the check did not pass".into(),
            ));
        }
        self.release().await
    }

    /// The second act: SUPPORT.md becomes labels, and a regression in a Supported feature
    /// holds the release.
    async fn release(&mut self) -> Result<(), DemoError> {
        let cora = ("Cora Committer", "cora@rest.example", "cora-gh");
        let before = self.gh.branch_tip(REPO, "staging").unwrap_or_default();
        let tip = self.gh.commit(
            REPO,
            "staging",
            cora,
            "SUPPORT.md: the support statement",
            &[("SUPPORT.md", Some(SUPPORT_MD))],
        );
        println!("4. @cora-gh pushes SUPPORT.md to staging.");
        self.deliver(
            "push",
            self.gh.push_event(REPO, "staging", &before, "cora-gh"),
        )
        .await?;
        let labels: Vec<String> = self
            .gh
            .repo_labels(REPO)
            .into_iter()
            .map(|(name, _, _)| name)
            .filter(|n| n.starts_with(crate::core::labels::FEATURE_PREFIX))
            .collect();
        println!("   labels now: {}", labels.join(", "));

        println!("5. @cora-gh tags RELEASE-4.19.0.");
        self.deliver(
            "push",
            self.gh
                .tag_push_event(REPO, "RELEASE-4.19.0", &tip, "cora-gh"),
        )
        .await?;
        self.show_release(&tip)?;

        println!("6. @rhea-gh reports \"PV guests crash on boot\" as a regression in x86/PV.");
        let issue = self.gh.open_issue(
            REPO,
            "rhea-gh",
            "PV guests crash on boot",
            &["regression", "feature: x86/PV"],
        );
        self.deliver(
            "issues",
            self.gh.issues_event(REPO, issue, "opened", "rhea-gh"),
        )
        .await?;
        if self.show_release(&tip)? != "failure" {
            return Err(DemoError::Stalled(
                "a regression in a Supported feature did not hold the release".into(),
            ));
        }

        println!("7. The fix lands and @rhea-gh closes issue #{issue}.");
        self.gh.close_issue(REPO, issue);
        self.deliver(
            "issues",
            self.gh.issues_event(REPO, issue, "closed", "rhea-gh"),
        )
        .await?;
        if self.show_release(&tip)? != "success" {
            return Err(DemoError::Stalled(
                "the release stayed held after the regression was closed".into(),
            ));
        }
        Ok(())
    }

    fn show_release(&self, sha: &str) -> Result<String, DemoError> {
        let check = self
            .gh
            .check_runs(REPO)
            .into_iter()
            .rfind(|c| c.name == "pushgate/release" && c.head_sha == sha)
            .ok_or_else(|| DemoError::Stalled("no pushgate/release check on the tag".into()))?;
        let conclusion = check.conclusion.unwrap_or_default();
        println!(
            "   pushgate/release: {} — {}",
            conclusion.to_uppercase(),
            check.title.unwrap_or_default()
        );
        Ok(conclusion)
    }

    /// Sends a signed webhook and waits until the service has processed it; returns the
    /// newest `pushgate/acks` check run of the PR.
    async fn send(
        &mut self,
        pr: u64,
        event: &str,
        payload: Value,
    ) -> Result<crate::sim::CheckRunView, DemoError> {
        self.deliver(event, payload).await?;
        self.latest(pr)
    }

    /// Sends a signed webhook and waits until the service has processed it.
    async fn deliver(&mut self, event: &str, payload: Value) -> Result<(), DemoError> {
        self.next += 1;
        let id = format!("demo-{}-{}", std::process::id(), self.next);
        let body = serde_json::to_vec(&payload).map_err(|e| DemoError::Send(e.to_string()))?;
        let answer = self
            .http
            .post(format!("http://{}/webhook", self.service.addr))
            .header("x-github-event", event)
            .header("x-github-delivery", &id)
            .header("x-hub-signature-256", signature::sign(SECRET, &body))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| DemoError::Send(e.to_string()))?;
        println!("   webhook {event} → {}", answer.status());
        self.processed(&id).await
    }

    /// Waits until delivery `id` is processed, or, when it was coalesced into a later
    /// delivery (the start-up reconciliation's, say), until that one is.
    async fn processed(&self, id: &str) -> Result<(), DemoError> {
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut id = id.to_string();
        loop {
            if let Ok(Some((state, _, note))) = self.service.store.delivery_state(&id).await {
                let into = note
                    .as_deref()
                    .and_then(|n| n.strip_prefix("coalesced into "));
                match (state.as_str(), into) {
                    ("pending", _) => {}
                    (_, Some(into)) => {
                        id = into.to_string();
                        continue;
                    }
                    _ => return Ok(()),
                }
            }
            if Instant::now() > deadline {
                return Err(DemoError::Stalled(format!(
                    "delivery {id} not processed after 30 s"
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn latest(&self, pr: u64) -> Result<crate::sim::CheckRunView, DemoError> {
        let head = self.gh.pr_head(REPO, pr);
        self.gh
            .check_runs(REPO)
            .into_iter()
            .rfind(|c| c.name == "pushgate/acks" && c.head_sha == head)
            .ok_or_else(|| DemoError::Stalled(format!("no pushgate/acks check on PR #{pr}")))
    }

    fn show(&self, check: &crate::sim::CheckRunView) {
        let conclusion = check.conclusion.as_deref().unwrap_or("pending");
        println!(
            "   pushgate/acks: {} — {}",
            conclusion.to_uppercase(),
            check.title.as_deref().unwrap_or_default()
        );
        let summary = check.summary.as_deref().unwrap_or_default();
        for line in summary
            .lines()
            .filter(|l| l.starts_with("- ") || l.starts_with("**Suggested"))
        {
            println!("     {line}");
        }
    }
}
