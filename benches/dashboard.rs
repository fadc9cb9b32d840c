//! Rendering the dashboard with a full store: one repository with 1,000 open pull requests
//! (each with a failing verdict of the size `pushgate/acks` writes), 10,000 finished flights,
//! a push gate with its 50 remembered flights and 200 switches, a support matrix and a
//! release answer. Each round reads the store and renders a page the way a request does
//! (`dashboard::view` then `dashboard::html`, or the JSON twin), without the HTTP around it.
//! The goal is 50 ms per page (issue 19).
//!
//! Run with `cargo bench --bench dashboard` (`DASHBOARD_ROUNDS` sets the rounds per page).

use std::time::{Duration, Instant};

use pushgate::core::gate::{Event, Gate, Outcome, Settings, Source};
use pushgate::dashboard::{html, view};
use pushgate::store::Store;

const REPO: &str = "xen-project/xen";
const PULLS: i64 = 1_000;
const FLIGHTS: i64 = 10_000;
const GOAL: Duration = Duration::from_millis(50);

/// A failing verdict as the store keeps it (title line, then the check's Markdown).
fn summary(pr: i64) -> String {
    let mut s = format!(
        "1 of 3 maintainer requirement(s) met; 2 thing(s) missing\n**Not ready yet.** Missing:\n\n\
         - ack from a maintainer of X86 ARCHITECTURE for xen/arch/x86/pr{pr}.c: one of Jan <jan@suse.example>, Andrew <andrew@citrix.example>\n\
         - an ack or review from someone other than the author\n\n\
         | Area | Files | Who may ack | Status |\n|---|---|---|---|\n"
    );
    for row in 0..12 {
        s.push_str(&format!(
            "| AREA {row} | `xen/common/file{row}.c` and 3 more | @jan-gh, @andrew-gh | ❌ missing |\n"
        ));
    }
    s.push_str(
        "\n**Suggested maintainers to ask:** @jan-gh, @andrew-gh (the fewest people who cover \
         every missing ack). Ask with a comment.\n",
    );
    s
}

fn gate() -> Gate {
    let settings = Settings {
        required: vec!["build".into(), "test-*".into()],
        allow: Vec::new(),
        block_on: pushgate::core::gate::BlockOn::Regressions,
        timeout: 6 * 3600,
        sources: Vec::new(),
    };
    let mut gate = Gate::new("base");
    let check = |gate: &mut Gate, sha: &str, name: &str, at: i64| {
        gate.step(
            Event::Check {
                sha: sha.into(),
                name: name.into(),
                outcome: Outcome::Passed,
                source: Source::App("ci".into()),
            },
            at,
            &settings,
        );
    };
    check(&mut gate, "base", "build", 0);
    check(&mut gate, "base", "test-unit", 0);
    for i in 0..60 {
        let tip = format!("{i:040x}");
        let at = 1_800_000_000 + i * 600;
        gate.step(
            Event::StagingMoved {
                ahead: vec![tip.clone()],
            },
            at,
            &settings,
        );
        check(&mut gate, &tip, "build", at + 300);
        check(&mut gate, &tip, "test-unit", at + 400);
    }
    for i in 0..200 {
        gate.audit.push(pushgate::core::gate::Switch {
            by: "cora-gh".into(),
            what: if i % 2 == 0 { "blocked" } else { "unblocked" }.into(),
            reason: "release freeze".into(),
            at: 1_800_000_000 + i,
        });
    }
    gate.step(
        Event::StagingMoved {
            ahead: vec!["running".into()],
        },
        1_900_000_000,
        &settings,
    );
    gate
}

/// Fills the store: the service's own writes for the views and the gate, one SQLite
/// transaction for the bulk rows.
async fn fill(store: &Store, path: &std::path::Path) {
    store
        .note_repository(REPO, false, 1)
        .await
        .expect("repository");
    let gate = serde_json::to_string(&gate()).expect("gate JSON");
    store.save_gate(REPO, &gate, 1).await.expect("gate");
    let features: Vec<serde_json::Value> = (0..80)
        .map(|i| {
            serde_json::json!({ "category": "Toolstack", "name": format!("feature {i}"),
                "statuses": [{ "qualifier": null, "text": "Supported", "status": "Supported" }] })
        })
        .collect();
    let support = serde_json::json!({ "sha": "abc", "file": "SUPPORT.md", "features": features,
        "unparsed": [], "counts": [{ "status": "Supported", "lines": 80 }] });
    store
        .save_view(REPO, "support", &support.to_string(), 1)
        .await
        .expect("support");
    let blockers: Vec<serde_json::Value> = (0..5)
        .map(|i| serde_json::json!({ "number": i, "title": "crash", "reason": "regression" }))
        .collect();
    let release = serde_json::json!({ "blocking": true, "blockers": blockers });
    store
        .save_view(REPO, "release", &release.to_string(), 1)
        .await
        .expect("release");

    let mut db = rusqlite::Connection::open(path).expect("open");
    let tx = db.transaction().expect("transaction");
    {
        let mut evaluation = tx
            .prepare(
                "INSERT INTO evaluations (repo, pr, head_sha, satisfied, summary, at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )
            .expect("prepare");
        let mut pull = tx
            .prepare(
                "INSERT INTO pulls (repo, pr, title, url, author, state, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .expect("prepare");
        for pr in 1..=PULLS {
            let satisfied = i64::from(pr % 3 == 0);
            let text = if satisfied == 1 {
                "All 3 maintainer requirement(s) met\n**Ready:**".to_string()
            } else {
                summary(pr)
            };
            evaluation
                .execute(rusqlite::params![
                    REPO,
                    pr,
                    format!("{pr:040x}"),
                    satisfied,
                    text,
                    1
                ])
                .expect("evaluation");
            pull.execute(rusqlite::params![
                REPO,
                pr,
                format!("x86/mm: change number {pr}"),
                format!("https://github.com/{REPO}/pull/{pr}"),
                "nora-gh",
                "open",
                1
            ])
            .expect("pull");
        }
        let mut flight = tx
            .prepare(
                "INSERT INTO flights (repo, id, tip, baseline, commits, started_at, finished_at, \
                 result, checks, culprit, culprit_pull, culprit_about) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )
            .expect("prepare");
        for id in 1..=FLIGHTS {
            let regressed = id % 7 == 0;
            flight
                .execute(rusqlite::params![
                    REPO,
                    id,
                    format!("{id:040x}"),
                    format!("{:040x}", id - 1),
                    3,
                    1_700_000_000 + id * 3600,
                    1_700_000_000 + id * 3600 + 1800,
                    if regressed { "regressed" } else { "passed" },
                    if regressed { "test-unit" } else { "" },
                    regressed.then(|| format!("{id:040x}")),
                    regressed.then_some(id % PULLS + 1),
                    regressed.then(|| format!("#{} by Nora", id % PULLS + 1)),
                ])
                .expect("flight");
        }
    }
    tx.commit().expect("commit");
}

/// One page's round: read the store, render; the size rendered.
type Page<'a> = Box<dyn Fn() -> usize + 'a>;

fn measure(name: &str, rounds: usize, mut round: impl FnMut() -> usize) -> Duration {
    let mut times = Vec::with_capacity(rounds);
    let mut bytes = 0;
    for _ in 0..rounds {
        let start = Instant::now();
        bytes = round();
        times.push(start.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let worst = times[times.len() - 1];
    println!(
        "{name:<28} median {:>7.2} ms  worst {:>7.2} ms  ({bytes} bytes)  {}",
        median.as_secs_f64() * 1000.0,
        worst.as_secs_f64() * 1000.0,
        if median <= GOAL {
            "within 50 ms"
        } else {
            "OVER 50 ms"
        }
    );
    median
}

fn main() {
    let rounds: usize = std::env::var("DASHBOARD_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20)
        .max(1);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("dashboard.db");
    let store = runtime
        .block_on(Store::connect(&format!("sqlite://{}", path.display())))
        .expect("store");
    let filling = Instant::now();
    runtime.block_on(fill(&store, &path));
    println!(
        "store filled in {:.1} s: {PULLS} open pull requests, {FLIGHTS} flights",
        filling.elapsed().as_secs_f64()
    );
    let links = html::Links::default();
    let access = view::Access::Public;
    let pages: [(&str, Page); 4] = [
        (
            "/ (HTML)",
            Box::new(|| {
                let o = runtime
                    .block_on(view::overview(&store, access))
                    .expect("overview");
                html::overview(&o, &links).len()
            }),
        ),
        (
            "/api/status (JSON)",
            Box::new(|| {
                let o = runtime
                    .block_on(view::overview(&store, access))
                    .expect("overview");
                serde_json::to_vec(&o).expect("JSON").len()
            }),
        ),
        (
            "/repos/{repo} (HTML)",
            Box::new(|| {
                let p = runtime
                    .block_on(view::repository(
                        &store,
                        REPO,
                        chrono::Utc::now().timestamp(),
                    ))
                    .expect("repository");
                assert_eq!(p.flights.len(), view::FLIGHTS_LISTED);
                html::repository(&p, &links).len()
            }),
        ),
        (
            "/api/repos/{repo} (JSON)",
            Box::new(|| {
                let p = runtime
                    .block_on(view::repository(
                        &store,
                        REPO,
                        chrono::Utc::now().timestamp(),
                    ))
                    .expect("repository");
                serde_json::to_vec(&p).expect("JSON").len()
            }),
        ),
    ];
    let mut over = false;
    for (name, page) in &pages {
        over |= measure(name, rounds, page) > GOAL;
    }
    if over {
        println!("some page is over the 50 ms goal");
    }
}
