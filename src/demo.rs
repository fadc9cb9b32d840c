//! `pushgate demo`: the real service (HTTP door, store on an embedded SQLite file, workers)
//! against a simulated GitHub, playing a short story on a sample repository with a Xen-like
//! MAINTAINERS, then serving so a person can look around. The story covers acks, label sync,
//! the release check and the push gate: committers land pull requests with `/pushgate merge`,
//! a flight passes and master moves, a later flight carries a regression that bisection pins on
//! its commit and pull request, the regression issue holds the release, and the fix lands. The
//! demo also plays CI (the `demo-ci` app) for the commits the gate asks about. The simulator is
//! used here and in the tests only; `serve` never touches it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::core::gate::{Gate, Phase, Verdict};
use crate::core::text::short;
use crate::github::signature;
use crate::github::Retry;
use crate::service::{self, Service, Settings, SetupError};
use crate::sim::{FakeGitHub, ReviewState, BOT_LOGIN};

const SECRET: &[u8] = b"demo webhook secret";
/// A key made for the demo and the tests; it signs requests to the simulator only.
const KEY: &[u8] = include_bytes!("../fixtures/test-app-key.pem");
const MAINTAINERS: &str = include_str!("../fixtures/MAINTAINERS");
/// The sample repository.
pub const REPO: &str = "xen-like/hypervisor";
/// The release tag the story checks.
pub const RELEASE_TAG: &str = "RELEASE-4.19.0";
/// The CI app the gate trusts (`gate.sources`); the demo plays it.
pub const CI_APP: &str = "demo-ci";
const SHADOW: &str = "xen/arch/x86/mm/shadow/multi.c";
const TRAPS: &str = "xen/arch/x86/traps.c";
const PV_DOMAIN: &str = "xen/arch/x86/pv/domain.c";
const PV_TRAPS: &str = "xen/arch/x86/pv/traps.c";
const CONFIG: &str = r#"# Production repositories keep the default review window of 24h.
[acks]
min_open = "0s"

# master moves only to a staging commit on which both checks passed, posted by the CI app.
[gate]
required = ["build", "test"]
sources = { "*" = "app:demo-ci" }

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

type Who = (&'static str, &'static str, &'static str);
const CORA: Who = ("Cora Committer", "cora@rest.example", "cora-gh");
const NORA: Who = ("Nora Newcomer", "nora@new.example", "nora-gh");
const PIA: Who = ("Pia Paravirt", "pia@pv.example", "pia-gh");

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

/// The demo after its story: the service still serving, and the simulated GitHub it talks to
/// (tests read what happened there).
pub struct Demo {
    pub service: Service,
    pub gh: FakeGitHub,
}

/// Plays the story, then serves until `until` resolves.
pub async fn run(
    listen: SocketAddr,
    database: &str,
    until: impl std::future::Future<Output = ()>,
) -> Result<(), DemoError> {
    let demo = play(listen, database).await?;
    let base = format!("http://{}", demo.service.addr);
    println!();
    println!(
        "The service keeps running: look at {base}/, {base}/repos/{REPO} and {base}/metrics. \
         Ctrl-C stops it."
    );
    until.await;
    demo.service.shutdown(Duration::from_secs(10)).await;
    Ok(())
}

/// Starts the simulated GitHub and the service, and plays the whole story; the service keeps
/// serving.
pub async fn play(listen: SocketAddr, database: &str) -> Result<Demo, DemoError> {
    let (gh, gh_addr) = FakeGitHub::try_start()
        .await
        .map_err(DemoError::Simulator)?;
    gh.add_installation(1, "xen-like");
    gh.add_repo(1, REPO, "staging");
    let import = gh.commit(
        REPO,
        "staging",
        CORA,
        "Import the hypervisor",
        &[
            ("MAINTAINERS", Some(MAINTAINERS)),
            (".github/pushgate.toml", Some(CONFIG)),
            (SHADOW, Some("int shadow_mode;\n")),
            (TRAPS, Some("void do_trap(void);\n")),
            (PV_DOMAIN, Some("int pv_domain;\n")),
            (PV_TRAPS, Some("int pv_trap_table[256];\n")),
        ],
    );
    gh.create_branch(REPO, "master", &import);
    // master's own CI passed: the baseline every first flight is judged against.
    for check in ["build", "test"] {
        gh.add_check_run_by_app(REPO, &import, check, "success", CI_APP);
    }
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
        step: 0,
    };
    story.play().await?;
    Ok(Demo { service, gh })
}

struct Story<'a> {
    gh: &'a FakeGitHub,
    service: &'a Service,
    http: reqwest::Client,
    next: u64,
    step: u32,
}

impl Story<'_> {
    /// Prints the next numbered step.
    fn say(&mut self, what: &str) {
        self.step += 1;
        println!("{}. {what}", self.step);
    }

    async fn play(mut self) -> Result<(), DemoError> {
        let pr = self.acks().await?;
        let tag = self.release().await?;
        self.gate(pr, &tag).await
    }

    /// The first act: a pull request collects its maintainers' acks.
    async fn acks(&mut self) -> Result<u64, DemoError> {
        let pr = self
            .open_pr(
                NORA,
                "shadow-fix",
                "x86/shadow: fix the log-dirty bitmap",
                &[&[
                    (SHADOW, Some("int shadow_mode = 1;\n")),
                    (TRAPS, Some("void do_trap(int);\n")),
                ]],
                &format!("changing {SHADOW} and {TRAPS}"),
            )
            .await?;

        self.say("@sha-gh (X86 SHADOW PAGETABLES) approves the PR.");
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

        self.say("@yara-gh (X86 ARCHITECTURE) comments \"/ack\".");
        let check = self
            .ack(pr, "yara-gh", "traps.c part looks fine.\n/ack")
            .await?;
        self.show(&check);
        if check.conclusion.as_deref() != Some("success") {
            return Err(DemoError::Stalled(
                "the maintainers acked but the check did not pass".into(),
            ));
        }
        Ok(pr)
    }

    /// The second act: SUPPORT.md becomes labels, and the release check is posted on a tag.
    /// Returns the tagged commit.
    async fn release(&mut self) -> Result<String, DemoError> {
        let before = self.tip("staging")?;
        let tip = self.gh.commit(
            REPO,
            "staging",
            CORA,
            "SUPPORT.md: the support statement",
            &[("SUPPORT.md", Some(SUPPORT_MD))],
        );
        self.say("@cora-gh pushes SUPPORT.md to staging.");
        self.deliver("push", self.gh.push_event(REPO, "staging", &before, CORA.2))
            .await?;
        let labels: Vec<String> = self
            .gh
            .repo_labels(REPO)
            .into_iter()
            .map(|(name, _, _)| name)
            .filter(|n| n.starts_with(crate::core::labels::FEATURE_PREFIX))
            .collect();
        println!("   labels now: {}", labels.join(", "));

        self.say(&format!("@cora-gh tags {RELEASE_TAG}."));
        self.deliver(
            "push",
            self.gh.tag_push_event(REPO, RELEASE_TAG, &tip, CORA.2),
        )
        .await?;
        self.show_release(&tip)?;
        Ok(tip)
    }

    /// The third act: the push gate, from two landed pull requests to a regression, its
    /// culprit, the issue that holds the release, and the fix.
    async fn gate(&mut self, first: u64, tag: &str) -> Result<(), DemoError> {
        self.say(&format!(
            "@cora-gh (a committer) comments \"/pushgate merge\" on PR #{first}."
        ));
        self.merge(first, CORA.2).await?;

        let second = self
            .open_pr(
                PIA,
                "pv-domain",
                "x86/pv: count PV domains",
                &[&[(PV_DOMAIN, Some("int pv_domain;\nint pv_domains;\n"))]],
                &format!("changing {PV_DOMAIN}"),
            )
            .await?;
        self.say("@xavier-gh (X86 ARCHITECTURE) approves it, and @cora-gh merges it.");
        let review = self
            .gh
            .add_review(REPO, second, "xavier-gh", ReviewState::Approved, "");
        let check = self
            .send(
                second,
                "pull_request_review",
                self.gh.review_event(REPO, second, review),
            )
            .await?;
        self.show(&check);
        let tested = self.merge(second, CORA.2).await?;

        let master = self.tip("master")?;
        self.say(&format!(
            "CI ({CI_APP}) passes build and test on staging's tip {}.",
            short(&tested)
        ));
        self.ci(&tested, &[("build", "success"), ("test", "success")])
            .await?;
        self.show_master(&master, &tested).await?;

        let culprit_pr = self
            .open_pr(
                NORA,
                "pv-traps",
                "x86/pv: shrink the trap table",
                &[
                    &[(PV_TRAPS, Some("int pv_trap_table[32];\n"))],
                    &[(
                        PV_DOMAIN,
                        Some("int pv_domain;\nint pv_domains; /* live */\n"),
                    )],
                ],
                &format!("two commits, changing {PV_TRAPS} and {PV_DOMAIN}"),
            )
            .await?;
        self.say("@yara-gh acks it, and @cora-gh merges it.");
        let check = self.ack(culprit_pr, "yara-gh", "/ack").await?;
        self.show(&check);
        let tip = self.merge(culprit_pr, CORA.2).await?;

        self.say(&format!("CI: build passes on {}, test fails.", short(&tip)));
        self.ci(&tip, &[("build", "success"), ("test", "failure")])
            .await?;
        let reruns = self
            .gh
            .check_runs(REPO)
            .iter()
            .filter(|c| c.head_sha == tip && c.name == "test")
            .map(|c| c.rerequests)
            .sum::<u32>();
        if reruns == 0 {
            return Err(DemoError::Stalled(
                "the gate did not re-run the failed test".into(),
            ));
        }
        println!("   the gate asks CI to run test again once, in case it is flaky.");
        self.say("CI: test fails again.");
        self.ci(&tip, &[("test", "failure")]).await?;
        let gate = self.gate_state().await?;
        let bisecting = gate
            .flights
            .iter()
            .find(|f| f.tip == tip && matches!(f.phase, Phase::Bisecting { .. }))
            .ok_or_else(|| DemoError::Stalled("the regression is not bisected".into()))?;
        let branch = format!("pushgate/bisect/{}", bisecting.id);
        let probe = self.tip(&branch)?;
        println!(
            "   a regression: master stays at {}. Flight #{} bisects its {} commits: {branch} → {}.",
            short(&gate.master),
            bisecting.id,
            bisecting.commits.len(),
            short(&probe)
        );
        self.say(&format!("CI: test fails on {}.", short(&probe)));
        self.ci(&probe, &[("test", "failure")]).await?;
        let gate = self.gate_state().await?;
        let culprit = gate
            .flights
            .iter()
            .find_map(|f| match &f.phase {
                Phase::Done(Verdict::Regressed { culprit, .. }) if f.tip == tip => {
                    Some(culprit.clone())
                }
                _ => None,
            })
            .ok_or_else(|| DemoError::Stalled("bisection named no culprit".into()))?;
        let subject = self
            .gh
            .commit_message(REPO, &culprit)
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or_default()
            .to_string();
        let from = gate.culprits.get(&culprit).cloned().unwrap_or_default();
        println!(
            "   culprit: {} \"{subject}\", PR {from}; the gate told PR #{culprit_pr}.",
            short(&culprit)
        );
        if self.tip("master")? != gate.master {
            return Err(DemoError::Stalled("master moved past a regression".into()));
        }

        let issue = self
            .gh
            .issues(REPO)
            .into_iter()
            .find(|i| i.open && i.labels.iter().any(|l| l == "regression"))
            .ok_or_else(|| DemoError::Stalled("no regression issue was opened".into()))?;
        self.say(&format!(
            "The gate opens issue #{} \"{}\" ({}).",
            issue.number,
            issue.title,
            issue.labels.join(", ")
        ));
        self.deliver(
            "issues",
            self.gh
                .issues_event(REPO, issue.number, "opened", BOT_LOGIN),
        )
        .await?;
        let added: Vec<String> = self
            .gh
            .labels_on(REPO, issue.number)
            .into_iter()
            .filter(|l| !issue.labels.contains(l))
            .collect();
        println!(
            "   the issue names x86/PV: pushgate adds {}",
            added.join(", ")
        );
        if self.show_release(tag)? != "failure" {
            return Err(DemoError::Stalled(
                "a regression in a Supported feature did not hold the release".into(),
            ));
        }

        let fix = self
            .open_pr(
                NORA,
                "pv-traps-fix",
                "x86/pv: restore the full trap table",
                &[&[(PV_TRAPS, Some("int pv_trap_table[256];\n"))]],
                &format!("fixing {PV_TRAPS}"),
            )
            .await?;
        self.say("@yara-gh acks the fix, and @cora-gh merges it.");
        let check = self.ack(fix, "yara-gh", "/ack").await?;
        self.show(&check);
        let fixed = self.merge(fix, CORA.2).await?;
        let master = self.tip("master")?;
        self.say(&format!("CI passes build and test on {}.", short(&fixed)));
        self.ci(&fixed, &[("build", "success"), ("test", "success")])
            .await?;
        self.show_master(&master, &fixed).await?;

        self.say(&format!(
            "@cora-gh closes issue #{}: the fix is on master.",
            issue.number
        ));
        self.gh.close_issue(REPO, issue.number);
        self.deliver(
            "issues",
            self.gh.issues_event(REPO, issue.number, "closed", CORA.2),
        )
        .await?;
        if self.show_release(tag)? != "success" {
            return Err(DemoError::Stalled(
                "the release stayed held after the regression was closed".into(),
            ));
        }
        Ok(())
    }

    /// Opens a pull request of `commits` (each a list of file changes) on a new branch from
    /// staging, and delivers its `opened` event.
    async fn open_pr(
        &mut self,
        author: Who,
        branch: &str,
        title: &str,
        commits: &[&[(&str, Option<&str>)]],
        what: &str,
    ) -> Result<u64, DemoError> {
        let base = self.tip("staging")?;
        self.gh.create_branch(REPO, branch, &base);
        for (index, files) in commits.iter().enumerate() {
            let subject = if index == 0 {
                title.to_string()
            } else {
                format!("{title} (part {})", index + 1)
            };
            let message = format!("{subject}\n\nSigned-off-by: {} <{}>\n", author.0, author.1);
            self.gh.commit(REPO, branch, author, &message, files);
        }
        let pr = self.gh.open_pr(REPO, author.2, branch, "staging", title);
        self.say(&format!(
            "@{} opens PR #{pr} \"{title}\", {what}.",
            author.2
        ));
        let check = self
            .send(
                pr,
                "pull_request",
                self.gh.pull_request_event(REPO, pr, "opened", None),
            )
            .await?;
        self.show(&check);
        Ok(pr)
    }

    /// `login` comments `body` on pull request `pr`; returns the check after it.
    async fn ack(
        &mut self,
        pr: u64,
        login: &str,
        body: &str,
    ) -> Result<crate::sim::CheckRunView, DemoError> {
        let comment = self.gh.add_comment(REPO, pr, login, body);
        self.send(
            pr,
            "issue_comment",
            self.gh.issue_comment_event(REPO, pr, comment),
        )
        .await
    }

    /// `by` comments `/pushgate merge` on `pr`; prints the trailers of the commit that landed
    /// and delivers staging's push. Returns staging's new tip.
    async fn merge(&mut self, pr: u64, by: &str) -> Result<String, DemoError> {
        let before = self.tip("staging")?;
        let comment = self.gh.add_comment(REPO, pr, by, "/pushgate merge");
        self.deliver(
            "issue_comment",
            self.gh.issue_comment_event(REPO, pr, comment),
        )
        .await?;
        let after = self.tip("staging")?;
        if after == before {
            let reply = self
                .gh
                .comments_on(REPO, pr)
                .into_iter()
                .rfind(|c| c.user == BOT_LOGIN)
                .map(|c| c.body)
                .unwrap_or_default();
            return Err(DemoError::Stalled(format!(
                "PR #{pr} did not land: {reply}"
            )));
        }
        let message = self.gh.commit_message(REPO, &after).unwrap_or_default();
        println!("   landed on staging as {}; its trailers:", short(&after));
        for line in message.lines().filter(|l| is_trailer(l)) {
            println!("     {line}");
        }
        self.deliver(
            "push",
            self.gh.push_event(REPO, "staging", &before, BOT_LOGIN),
        )
        .await?;
        Ok(after)
    }

    /// Plays CI: posts each check run on `sha` as the CI app, and delivers its event.
    async fn ci(&mut self, sha: &str, results: &[(&str, &str)]) -> Result<(), DemoError> {
        for (name, conclusion) in results {
            let id = self
                .gh
                .add_check_run_by_app(REPO, sha, name, conclusion, CI_APP);
            self.post("check_run", self.gh.check_run_event(REPO, id, "completed"))
                .await?;
        }
        Ok(())
    }

    /// Prints how master moved after a flight passed; master must be at `to`.
    async fn show_master(&self, from: &str, to: &str) -> Result<(), DemoError> {
        let master = self.tip("master")?;
        let gate = self.gate_state().await?;
        let flight = gate
            .flights
            .iter()
            .rfind(|f| f.tip == to && matches!(f.phase, Phase::Done(Verdict::Passed { .. })));
        match flight {
            Some(flight) if master == to => {
                println!(
                    "   flight #{} passed: master moves {} → {} by fast-forward.",
                    flight.id,
                    short(from),
                    short(to)
                );
                Ok(())
            }
            _ => Err(DemoError::Stalled(format!(
                "master is at {} after a passed flight on {}",
                short(&master),
                short(to)
            ))),
        }
    }

    async fn gate_state(&self) -> Result<Gate, DemoError> {
        let stored = self
            .service
            .store
            .gate(REPO)
            .await
            .map_err(|e| DemoError::Stalled(format!("reading the gate: {e}")))?
            .ok_or_else(|| DemoError::Stalled("the gate has no state".into()))?;
        serde_json::from_str(&stored)
            .map_err(|e| DemoError::Stalled(format!("reading the gate: {e}")))
    }

    fn tip(&self, branch: &str) -> Result<String, DemoError> {
        self.gh
            .branch_tip(REPO, branch)
            .ok_or_else(|| DemoError::Stalled(format!("no branch {branch}")))
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

    /// Sends a signed webhook, says so, and waits until the service has processed it.
    async fn deliver(&mut self, event: &str, payload: Value) -> Result<(), DemoError> {
        let status = self.post(event, payload).await?;
        println!("   webhook {event} → {status}");
        Ok(())
    }

    /// Sends a signed webhook and waits until the service has processed it; returns the
    /// HTTP status of the answer.
    async fn post(
        &mut self,
        event: &str,
        payload: Value,
    ) -> Result<reqwest::StatusCode, DemoError> {
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
        self.processed(&id).await?;
        Ok(answer.status())
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

/// A commit-message trailer line (`Acked-by: …`).
fn is_trailer(line: &str) -> bool {
    line.split_once(": ").is_some_and(|(key, _)| {
        key.ends_with("-by") && key.chars().all(|c| c.is_ascii_alphabetic() || c == '-')
    })
}
