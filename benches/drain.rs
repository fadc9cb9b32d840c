//! Draining a backlog: 100,000 webhook deliveries over 50 repositories, stored while no worker
//! runs (as during a GitHub outage), then processed by the real service against the fake
//! GitHub ([`pushgate::sim::FakeGitHub`]).
//!
//! The story: 50 repositories holding the test fixtures' MAINTAINERS and config, 20 open pull
//! requests each, and for every pull request 100 deliveries made from the fake's own webhook
//! payloads as the story unfolds on it: the opening, three real pushes (`synchronize`),
//! reviews, comments and acks, an ack written into a maintainer's comment by someone else,
//! plus a few issue events in each repository's own lane (they take the place of some
//! comments, so the total is exactly 100,000). The pull requests' stories are interleaved, each step one
//! second later on the fake's clock. Each pull request follows one of six endings whose
//! verdict is known from how it was built (acked after the last push; acked, then pushed;
//! approved by review; never acked; an ack added by someone else's edit; an ack added by the
//! author's own edit).
//!
//! Every delivery is signed and posted to `/webhook` of a service with no workers (SQLite,
//! WAL, `synchronous = FULL`). Then a service with workers (`DRAIN_WORKERS`, default 4, as
//! `pushgate serve` deploys) starts on the same database, and the bench measures the time
//! until the queue is empty and the GitHub calls made. At the end every pull request's
//! `pushgate/acks` check on its current head must have the expected conclusion.
//!
//! Run with `cargo bench --bench drain`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pushgate::github::{signature, Retry};
use pushgate::service::{self, Settings};
use pushgate::sim::{FakeGitHub, ReviewState};
use serde_json::Value;

const SECRET: &[u8] = b"bench webhook secret";
const KEY: &[u8] = include_bytes!("../fixtures/test-app-key.pem");
const MAINTAINERS: &str = include_str!("../fixtures/MAINTAINERS");
const INSTALLATION: u64 = 42;

/// Repositories in the story (`DRAIN_REPOSITORIES` makes a smaller one, to try the bench).
const REPOSITORIES: usize = 50;
const PULLS_PER_REPOSITORY: usize = 20;
const DELIVERIES_PER_PULL: usize = 100;
/// Issue events per repository (the repository's lane), taken from its first pull
/// request's comments.
const ISSUE_EVENTS: usize = 4;
const GOAL: Duration = Duration::from_secs(60);

const CONFIG: &str = r#"
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

const SHADOW: &str = "xen/arch/x86/mm/shadow/multi.c";
const NEWCOMER: (&str, &str, &str) = ("Nora Newcomer", "nora@new.example", "nora-gh");
const SHA_ACK: &str = "Acked-by: Sha Dow <sha@shadow.example>";

/// How a pull request's story ends, and so its verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ending {
    /// Sha acks after the last push: ready.
    AckedAfterPushes,
    /// Sha acks, then the author pushes again to the shadow code: the ack is dismissed.
    AckedThenPushed,
    /// Sha approves the last head by review: ready.
    ApprovedByReview,
    /// Only chatter: not ready.
    NeverAcked,
    /// A repository admin writes an ack into Sha's comment: not ready.
    AckForgedByEdit,
    /// Sha edits an ack into their own comment: ready.
    AckEditedByAuthor,
}

impl Ending {
    fn of(index: usize) -> Ending {
        match index % 6 {
            0 => Ending::AckedAfterPushes,
            1 => Ending::AckedThenPushed,
            2 => Ending::ApprovedByReview,
            3 => Ending::NeverAcked,
            4 => Ending::AckForgedByEdit,
            _ => Ending::AckEditedByAuthor,
        }
    }

    fn expected(self) -> &'static str {
        match self {
            Ending::AckedAfterPushes | Ending::ApprovedByReview | Ending::AckEditedByAuthor => {
                "success"
            }
            Ending::AckedThenPushed | Ending::NeverAcked | Ending::AckForgedByEdit => "failure",
        }
    }
}

/// One step of a pull request's story.
#[derive(Debug, Clone)]
enum Step {
    Open,
    Push,
    Comment(&'static str, String),
    /// A review without approval by a bystander.
    ReviewComment,
    Approve,
    /// Sha writes a comment; it is then edited by `editor` to carry Sha's ack.
    WriteThenEdit(&'static str),
    /// An issue event in the repository's lane.
    Issue,
}

/// The steps of pull request `index` of a repository: `count` deliveries.
fn story(ending: Ending, count: usize) -> Vec<Step> {
    let chatter = |i: usize| Step::Comment("rhea-gh", format!("A question about part {i}."));
    // The ending's own steps, counted in deliveries.
    let ending_steps: Vec<Step> = match ending {
        Ending::AckedAfterPushes => vec![Step::Comment("sha-gh", "/ack".into())],
        Ending::AckedThenPushed => vec![Step::Comment("sha-gh", "/ack".into()), Step::Push],
        Ending::ApprovedByReview => vec![Step::Approve],
        Ending::NeverAcked => vec![Step::Comment("nora-gh", "Any news?".into())],
        Ending::AckForgedByEdit => vec![Step::WriteThenEdit("cora-gh")],
        Ending::AckEditedByAuthor => vec![Step::WriteThenEdit("sha-gh")],
    };
    let ending_deliveries: usize = ending_steps
        .iter()
        .map(|s| {
            if matches!(s, Step::WriteThenEdit(_)) {
                2
            } else {
                1
            }
        })
        .sum();
    let mut steps = vec![Step::Open];
    // Three pushes and two bystanders' reviews spread over the chatter, then the ending.
    let body = count - 1 - ending_deliveries;
    for i in 0..body {
        steps.push(match i {
            _ if i == body / 4 || i == body / 2 || i == 3 * body / 4 => Step::Push,
            _ if i == body / 3 || i == 2 * body / 3 => Step::ReviewComment,
            _ => chatter(i),
        });
    }
    steps.extend(ending_steps);
    steps
}

struct Pull {
    repo: String,
    number: u64,
    ending: Ending,
    pushes: usize,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run());
}

fn settings(database_url: &str, api: &str, workers: usize) -> Settings {
    Settings {
        database_url: database_url.to_string(),
        listen: "127.0.0.1:0".parse().expect("address"),
        github_api: api.to_string(),
        app_id: 1234,
        private_key: KEY.to_vec(),
        webhook_secret: SECRET.to_vec(),
        workers,
        reconcile_every: Duration::ZERO,
        wake_every: Duration::from_secs(5),
        lease: Duration::from_secs(30),
        retry: Retry {
            attempts: 4,
            backoff: Duration::from_millis(20),
            max_inline_wait: Duration::from_secs(2),
        },
        replica: format!("drain-{workers}"),
        keep_done: Duration::ZERO,
        dashboard_token: None,
    }
}

async fn run() {
    let workers: usize = std::env::var("DRAIN_WORKERS")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(4);
    let repositories: usize = std::env::var("DRAIN_REPOSITORIES")
        .ok()
        .and_then(|n| n.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(REPOSITORIES);
    let (gh, addr) = FakeGitHub::start().await;
    let api = format!("http://{addr}");
    gh.add_installation(INSTALLATION, "xen-like");
    // GitHub's clock for the story: well before now, one second a step.
    let total = repositories * PULLS_PER_REPOSITORY * DELIVERIES_PER_PULL;
    gh.set_now(chrono::Utc::now().timestamp() - 2 * total as i64 - 10_000);

    let built = Instant::now();
    let mut pulls = Vec::new();
    let mut stories = Vec::new();
    for r in 0..repositories {
        let repo = format!("xen-like/r{r:02}");
        gh.add_repo(INSTALLATION, &repo, "staging");
        gh.commit(
            &repo,
            "staging",
            ("Cora Committer", "cora@rest.example", "cora-gh"),
            "Initial import",
            &[
                ("MAINTAINERS", Some(MAINTAINERS)),
                (".github/pushgate.toml", Some(CONFIG)),
                ("README", Some("hello\n")),
                (SHADOW, Some("int shadow;\n")),
            ],
        );
        for p in 0..PULLS_PER_REPOSITORY {
            let branch = format!("topic-{p}");
            let base = gh.branch_tip(&repo, "staging").expect("staging");
            gh.create_branch(&repo, &branch, &base);
            gh.commit(
                &repo,
                &branch,
                NEWCOMER,
                "x86/shadow: a change\n\nSigned-off-by: Nora Newcomer <nora@new.example>",
                &[(SHADOW, Some(&format!("int shadow = {p};\n")))],
            );
            let number = gh.open_pr(&repo, NEWCOMER.2, &branch, "staging", "A change");
            let ending = Ending::of(r * PULLS_PER_REPOSITORY + p);
            let mut steps = story(ending, DELIVERIES_PER_PULL);
            if p == 0 {
                // The repository's issue events replace some of its first pull request's
                // chatter (one in the middle of each quarter).
                let mut replaced = 0;
                for step in steps.iter_mut().skip(5) {
                    if replaced < ISSUE_EVENTS && matches!(step, Step::Comment("rhea-gh", _)) {
                        *step = Step::Issue;
                        replaced += 1;
                    }
                }
            }
            stories.push(steps.into_iter());
            pulls.push(Pull {
                repo: repo.clone(),
                number,
                ending,
                pushes: 0,
            });
        }
    }
    // The stories interleaved: a round takes one step of each pull request.
    let mut deliveries: Vec<(&'static str, Value)> = Vec::with_capacity(total);
    let mut issue_numbers = std::collections::HashMap::new();
    loop {
        let mut any = false;
        for (pull, steps) in pulls.iter_mut().zip(stories.iter_mut()) {
            let Some(step) = steps.next() else {
                continue;
            };
            any = true;
            gh.advance(1);
            let (repo, number) = (pull.repo.as_str(), pull.number);
            match step {
                Step::Open => deliveries.push((
                    "pull_request",
                    gh.pull_request_event(repo, number, "opened", None),
                )),
                Step::Push => {
                    pull.pushes += 1;
                    let before = gh.pr_head(repo, number);
                    gh.push_to_pr(
                        repo,
                        number,
                        NEWCOMER,
                        &format!("x86/shadow: more, take {}", pull.pushes),
                        &[(
                            SHADOW,
                            Some(&format!("int shadow = {number}; /* {} */\n", pull.pushes)),
                        )],
                    );
                    deliveries.push((
                        "pull_request",
                        gh.pull_request_event(repo, number, "synchronize", Some(&before)),
                    ));
                }
                Step::Comment(login, body) => {
                    let id = gh.add_comment(repo, number, login, &body);
                    deliveries.push(("issue_comment", gh.issue_comment_event(repo, number, id)));
                }
                Step::ReviewComment => {
                    let id = gh.add_review(
                        repo,
                        number,
                        "rhea-gh",
                        ReviewState::Commented,
                        "Some thoughts.",
                    );
                    deliveries.push(("pull_request_review", gh.review_event(repo, number, id)));
                }
                Step::Approve => {
                    let id = gh.add_review(repo, number, "sha-gh", ReviewState::Approved, "");
                    deliveries.push(("pull_request_review", gh.review_event(repo, number, id)));
                }
                Step::WriteThenEdit(editor) => {
                    let id = gh.add_comment(repo, number, "sha-gh", "Still reading this.");
                    deliveries.push(("issue_comment", gh.issue_comment_event(repo, number, id)));
                    gh.advance(1);
                    gh.edit_comment(repo, id, editor, &format!("Read it.\n{SHA_ACK}"));
                    deliveries.push((
                        "issue_comment",
                        gh.issue_comment_edited_event(repo, number, id),
                    ));
                }
                Step::Issue => {
                    let issue = *issue_numbers
                        .entry(repo.to_string())
                        .or_insert_with(|| gh.open_issue(repo, "rhea-gh", "A bug", &[]));
                    gh.set_issue_labels(repo, issue, &["bug"]);
                    deliveries.push(("issues", gh.issues_event(repo, issue, "labeled", "rhea-gh")));
                }
            }
        }
        if !any {
            break;
        }
    }
    assert_eq!(
        deliveries.len(),
        total,
        "the story makes {total} deliveries"
    );
    println!(
        "drain bench: {} deliveries over {repositories} repositories × {PULLS_PER_REPOSITORY} \
         pull requests, built on the fake in {:.1} s",
        deliveries.len(),
        built.elapsed().as_secs_f64()
    );

    // Stored while no worker runs.
    let dir = tempfile::tempdir().expect("temp dir");
    let database_url = format!("sqlite://{}", dir.path().join("drain.db").display());
    let storing = service::start(settings(&database_url, &api, 0))
        .await
        .expect("service starts");
    let stored = Instant::now();
    let url = format!("http://{}/webhook", storing.addr);
    let queue = Arc::new(Mutex::new(deliveries.into_iter().enumerate()));
    let mut senders = Vec::new();
    for _ in 0..16 {
        let (queue, url) = (queue.clone(), url.clone());
        senders.push(tokio::spawn(async move {
            let http = reqwest::Client::new();
            let mut refused = 0usize;
            loop {
                let next = queue.lock().map(|mut q| q.next()).unwrap_or(None);
                let Some((n, (event, payload))) = next else {
                    return refused;
                };
                let body = serde_json::to_vec(&payload).expect("payload");
                let status = http
                    .post(&url)
                    .header("x-github-event", event)
                    .header("x-github-delivery", format!("drain-{n}"))
                    .header("x-hub-signature-256", signature::sign(SECRET, &body))
                    .header("content-type", "application/json")
                    .body(body)
                    .send()
                    .await
                    .map(|r| r.status().as_u16());
                if status.ok() != Some(202) {
                    refused += 1;
                }
            }
        }));
    }
    let mut refused = 0;
    for sender in senders {
        refused += sender.await.expect("sender");
    }
    assert_eq!(refused, 0, "every delivery is stored");
    let depth = storing.store.depth().await.expect("depth");
    assert_eq!(depth.pending as usize, total);
    println!(
        "stored {} deliveries through /webhook in {:.1} s (no workers)",
        depth.pending,
        stored.elapsed().as_secs_f64()
    );
    storing.shutdown(Duration::from_secs(5)).await;

    // Workers on: the drain.
    gh.reset_calls();
    let cpu_before = cpu_time();
    let started = Instant::now();
    let service = service::start(settings(&database_url, &api, workers))
        .await
        .expect("service starts");
    let mut last_report = Instant::now();
    loop {
        let depth = service.store.depth().await.expect("depth");
        if depth.pending == 0 {
            break;
        }
        if last_report.elapsed() > Duration::from_secs(5) {
            println!(
                "  {:>5.1} s: {} pending",
                started.elapsed().as_secs_f64(),
                depth.pending
            );
            last_report = Instant::now();
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let drained = started.elapsed();
    let cpu = cpu_time().saturating_sub(cpu_before);
    let calls = gh.calls_total();
    let depth = service.store.depth().await.expect("depth");
    let metrics = service.metrics.render();
    let outcome = |name: &str| -> u64 {
        metrics
            .lines()
            .filter(|l| {
                l.starts_with("pushgate_deliveries_total")
                    && l.contains(&format!("outcome=\"{name}\""))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    };

    // Every pull request's check, against the story's verdict.
    let mut wrong = Vec::new();
    for pull in &pulls {
        let head = gh.pr_head(&pull.repo, pull.number);
        let check = gh
            .check_runs(&pull.repo)
            .into_iter()
            .rfind(|c| c.name == "pushgate/acks" && c.head_sha == head);
        let conclusion = check.and_then(|c| c.conclusion).unwrap_or_default();
        if conclusion != pull.ending.expected() {
            wrong.push(format!(
                "{}#{} ({:?}): {conclusion:?}",
                pull.repo, pull.number, pull.ending
            ));
        }
    }
    println!();
    println!("workers: {workers}");
    println!(
        "drained {total} deliveries in {:.2} s ({:.0} deliveries/s); goal < {} s: {}",
        drained.as_secs_f64(),
        total as f64 / drained.as_secs_f64(),
        GOAL.as_secs(),
        if drained < GOAL { "met" } else { "NOT met" }
    );
    println!(
        "CPU time of the process (service, fake GitHub and all) while draining: {:.1} s \
         ({:.2} cores on average, {} available)",
        cpu.as_secs_f64(),
        cpu.as_secs_f64() / drained.as_secs_f64(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "deliveries: {} processed, {} ignored, {} coalesced, {} retried, {} failed (store: {} failed)",
        outcome("processed"),
        outcome("ignored"),
        outcome("coalesced"),
        outcome("retry"),
        outcome("failed"),
        depth.failed
    );
    println!(
        "GitHub calls: {calls} ({:.2} per delivery, {:.1} per pull request)",
        calls as f64 / total as f64,
        calls as f64 / pulls.len() as f64
    );
    let mut by_endpoint: Vec<(String, usize)> = gh.call_counts().into_iter().collect();
    by_endpoint.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    for (endpoint, n) in by_endpoint.iter().take(12) {
        println!("  {n:>7}  {endpoint}");
    }
    println!(
        "checks: {} of {} pull requests as their story says",
        pulls.len() - wrong.len(),
        pulls.len()
    );
    for w in wrong.iter().take(20) {
        println!("  wrong: {w}");
    }
    service.shutdown(Duration::from_secs(5)).await;
    assert!(
        wrong.is_empty(),
        "{} pull requests judged wrongly",
        wrong.len()
    );
    assert_eq!(depth.failed, 0, "no delivery failed");
}

/// User and system CPU time of this process so far (Linux; zero elsewhere).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // After the command name (in parentheses) come the fields from `state` on; `utime` and
    // `stime`, in clock ticks of 10 ms, are the 12th and 13th of those.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let ticks: u64 = after_name
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|t| t.parse::<u64>().ok())
        .sum();
    Duration::from_millis(ticks * 10)
}
