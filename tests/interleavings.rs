//! Random interleavings through the real service (issue 15, "Tests"): seeded, deterministic
//! sequences of pushes to pull requests (most of them unacked), maintainers' approvals,
//! committers rewinding staging, CI results on staging commits (from the pinned CI app, and
//! forged by hand), `/pushgate merge` commands, and webhooks the test delivers at once, late,
//! out of order, or never. After every step:
//!
//! - staging only holds pull request content that was judged: each pull request writes its own
//!   file, every push a new version of it, and a version only counts as judged once the
//!   shadow maintainer approved the pull request at that head; a version never approved must
//!   never reach staging;
//! - master only ever fast-forwards, to a commit that was on staging and that the pinned CI
//!   app passed (`block_on = "any-failure"`, so no failure is tolerated);
//! - no ref update is ever forced.
//!
//! A failing case prints its seed and the steps that led there.

mod support;

use std::collections::{BTreeSet, HashSet};

use serde_json::{json, Value};
use support::*;

/// How many random sequences, and how many steps each (kept small: the whole file runs in
/// well under a minute on two cores).
const SEEDS: u64 = 8;
const STEPS: usize = 60;

/// A pull request the sequence opened: its number and file, and its versions.
struct Pull {
    number: u64,
    file: String,
    /// The version its head carries now.
    version: u32,
}

/// What the test knows and remembers while it plays GitHub and its people.
struct Model {
    rng: Rng,
    pulls: Vec<Pull>,
    /// (pull request, version) pairs a maintainer approved at that head.
    judged: HashSet<(u64, u32)>,
    /// Every staging tip the test saw, oldest first: what "on staging" can mean.
    staging_seen: Vec<String>,
    /// Commits the pinned CI app passed.
    passed: HashSet<String>,
    master: String,
    /// Webhooks held back, to be delivered later (or never).
    held: Vec<(String, Value)>,
    log: Vec<String>,
    landed: usize,
    master_moves: usize,
}

impl Model {
    fn note(&mut self, step: String) {
        self.log.push(step);
    }

    fn story(&self, seed: u64) -> String {
        format!("seed {seed}, steps:\n  {}", self.log.join("\n  "))
    }
}

/// Is `ancestor` reachable from `from` (or equal to it)?
fn reaches(world: &World, from: &str, ancestor: &str) -> bool {
    let mut seen = BTreeSet::new();
    let mut todo = vec![from.to_string()];
    while let Some(sha) = todo.pop() {
        if sha == ancestor {
            return true;
        }
        if seen.insert(sha.clone()) {
            todo.extend(world.gh.commit_parents(REPO, &sha));
        }
    }
    false
}

/// Sends a webhook now, holds it back for later, or loses it, as GitHub may.
async fn deliver_or_hold(world: &World, model: &mut Model, event: &str, payload: Value) {
    let roll = model.rng.below(100);
    if roll < 60 {
        send(world, event, &payload).await;
    } else if roll < 90 {
        model.note(format!("    ({event} held back)"));
        model.held.push((event.to_string(), payload));
    } else {
        model.note(format!("    ({event} never delivered)"));
    }
}

async fn send(world: &World, event: &str, payload: &Value) {
    let (status, _) = world.send(event, payload).await;
    assert_eq!(status, 202);
    world.settle().await;
}

fn check_run_payload(sha: &str, conclusion: &str) -> Value {
    json!({
        "action": "completed",
        "check_run": {
            "name": "build", "head_sha": sha, "status": "completed", "conclusion": conclusion,
            "app": { "slug": CI_APP, "id": 77 },
        },
        "repository": { "full_name": REPO, "default_branch": "staging" },
        "installation": { "id": INSTALLATION },
    })
}

fn forged_status_payload(sha: &str) -> Value {
    json!({
        "sha": sha, "context": "build", "state": "success",
        "creator": { "login": "mallory" },
        "sender": { "login": "mallory", "type": "User" },
        "repository": { "full_name": REPO, "default_branch": "staging" },
        "installation": { "id": INSTALLATION },
    })
}

/// One random step. Steps may fall within the same second: GitHub's times are whole
/// seconds, and pushgate must not need them to differ.
async fn step(world: &World, m: &mut Model) {
    let open: Vec<usize> = (0..m.pulls.len())
        .filter(|&i| world.gh.pr_state(REPO, m.pulls[i].number) == "open")
        .collect();
    let pick = |m: &mut Model| open.get(m.rng.below(open.len())).copied();
    match m.rng.below(100) {
        // A newcomer opens a pull request writing its own file in the shadow code.
        0..=9 => {
            let n = m.pulls.len() + 1;
            let file = format!("xen/arch/x86/mm/shadow/p{n}.c");
            let base = world.gh.branch_tip(REPO, "staging").expect("staging");
            let branch = format!("topic-{n}");
            world.gh.create_branch(REPO, &branch, &base);
            let content = format!("p{n} v0\n");
            world.gh.commit(
                REPO,
                &branch,
                NEWCOMER,
                &format!("x86/shadow: p{n} v0\n\nSigned-off-by: Nora Newcomer <nora@new.example>"),
                &[(file.as_str(), Some(content.as_str()))],
            );
            let number = world
                .gh
                .open_pr(REPO, NEWCOMER.2, &branch, "staging", &format!("p{n}"));
            m.note(format!("open #{number} ({file} v0)"));
            m.pulls.push(Pull {
                number,
                file,
                version: 0,
            });
            let payload = world.gh.pull_request_event(REPO, number, "opened", None);
            deliver_or_hold(world, m, "pull_request", payload).await;
        }
        // A push to a pull request: a new version nobody approved yet.
        10..=24 => {
            let Some(i) = pick(m) else { return };
            let before = world.gh.pr_head(REPO, m.pulls[i].number);
            m.pulls[i].version += 1;
            let (number, version) = (m.pulls[i].number, m.pulls[i].version);
            let content = format!("p{} v{version}\n", i + 1);
            world.gh.push_to_pr(
                REPO,
                number,
                NEWCOMER,
                &format!(
                    "x86/shadow: p{} v{version}\n\nSigned-off-by: Nora Newcomer <nora@new.example>",
                    i + 1
                ),
                &[(m.pulls[i].file.as_str(), Some(content.as_str()))],
            );
            m.note(format!("push #{number} v{version} (unacked)"));
            let payload = world
                .gh
                .pull_request_event(REPO, number, "synchronize", Some(&before));
            deliver_or_hold(world, m, "pull_request", payload).await;
        }
        // The shadow maintainer approves the head as it is now.
        25..=39 => {
            let Some(i) = pick(m) else { return };
            let (number, version) = (m.pulls[i].number, m.pulls[i].version);
            let payload = world.approval(number, "sha-gh");
            m.judged.insert((number, version));
            m.note(format!("approve #{number} at v{version}"));
            deliver_or_hold(world, m, "pull_request_review", payload).await;
        }
        // A committer asks pushgate to merge.
        40..=54 => {
            let Some(i) = pick(m) else { return };
            let number = m.pulls[i].number;
            let comment = world
                .gh
                .add_comment(REPO, number, "cora-gh", "/pushgate merge");
            let payload = world.gh.issue_comment_event(REPO, number, comment);
            m.note(format!("/pushgate merge #{number}"));
            deliver_or_hold(world, m, "issue_comment", payload).await;
        }
        // CI reports on a staging commit: mostly the tip, sometimes one seen before.
        55..=72 => {
            let sha = if m.rng.chance(70) {
                world.gh.branch_tip(REPO, "staging").expect("staging")
            } else {
                let k = m.rng.below(m.staging_seen.len());
                m.staging_seen[k].clone()
            };
            let conclusion = if m.rng.chance(75) {
                "success"
            } else {
                "failure"
            };
            world
                .gh
                .add_check_run_by_app(REPO, &sha, "build", conclusion, CI_APP);
            if conclusion == "success" {
                m.passed.insert(sha.clone());
            }
            m.note(format!("CI {conclusion} on {}", &sha[..7]));
            deliver_or_hold(world, m, "check_run", check_run_payload(&sha, conclusion)).await;
        }
        // A writer posts a green `build` status by hand: it must count for nothing.
        73..=77 => {
            let sha = world.gh.branch_tip(REPO, "staging").expect("staging");
            world
                .gh
                .add_status(REPO, &sha, "build", "success", "mallory");
            m.note(format!("forged success on {}", &sha[..7]));
            deliver_or_hold(world, m, "status", forged_status_payload(&sha)).await;
        }
        // A committer rewinds staging to an earlier tip that master has not passed.
        78..=84 => {
            let now = world.gh.branch_tip(REPO, "staging").expect("staging");
            let candidates: Vec<String> = m
                .staging_seen
                .iter()
                .filter(|t| **t != now && reaches(world, t, &m.master))
                .cloned()
                .collect();
            if candidates.is_empty() {
                return;
            }
            let to = candidates[m.rng.below(candidates.len())].clone();
            world.gh.create_branch(REPO, "staging", &to);
            m.note(format!("rewind staging {} -> {}", &now[..7], &to[..7]));
            let payload = world.gh.push_event(REPO, "staging", &now, "cora-gh");
            deliver_or_hold(world, m, "push", payload).await;
        }
        // A held-back webhook arrives, in any order.
        _ => {
            if m.held.is_empty() {
                return;
            }
            let k = m.rng.below(m.held.len());
            let (event, payload) = m.held.remove(k);
            m.note(format!("late {event} delivered"));
            send(world, &event, &payload).await;
        }
    }
}

/// The invariants, after every step.
fn check(world: &World, m: &mut Model, seed: u64) {
    let staging = world.gh.branch_tip(REPO, "staging").expect("staging");
    if m.staging_seen.last() != Some(&staging) {
        // Only pull request files pushgate put there, each at a judged version.
        for (i, pull) in m.pulls.iter().enumerate() {
            let Some(content) = world.gh.file_at(REPO, &staging, &pull.file) else {
                continue;
            };
            let version: u32 = content
                .trim()
                .strip_prefix(&format!("p{} v", i + 1))
                .and_then(|v| v.parse().ok())
                .unwrap_or(u32::MAX);
            assert!(
                m.judged.contains(&(pull.number, version)),
                "staging {staging} holds #{} {content:?}, never approved; {}",
                pull.number,
                m.story(seed)
            );
        }
        if !m.staging_seen.contains(&staging) {
            m.staging_seen.push(staging.clone());
            m.landed += 1;
        }
    }
    let master = world.gh.branch_tip(REPO, "master").expect("master");
    if master != m.master {
        assert!(
            reaches(world, &master, &m.master),
            "master {} -> {master} is no fast-forward; {}",
            m.master,
            m.story(seed)
        );
        assert!(
            m.staging_seen.iter().any(|t| reaches(world, t, &master)),
            "master moved to {master}, never on staging; {}",
            m.story(seed)
        );
        assert!(
            m.passed.contains(&master),
            "master moved to {master}, which the CI app never passed; {}",
            m.story(seed)
        );
        m.note(format!("    master -> {}", &master[..7]));
        m.master = master;
        m.master_moves += 1;
    }
    assert_eq!(
        world.gh.forced_ref_updates(),
        0,
        "a ref update was forced; {}",
        m.story(seed)
    );
}

/// Plays one seeded sequence; returns how often staging and master moved.
async fn play(seed: u64) -> (usize, usize) {
    let world = World::new(&pinned_gate_config()).await;
    let start = world.gh.branch_tip(REPO, "staging").expect("staging");
    world.gh.create_branch(REPO, "master", &start);
    let mut m = Model {
        rng: Rng(seed),
        pulls: Vec::new(),
        judged: HashSet::new(),
        staging_seen: vec![start.clone()],
        passed: HashSet::new(),
        master: start,
        held: Vec::new(),
        log: Vec::new(),
        landed: 0,
        master_moves: 0,
    };
    for _ in 0..STEPS {
        step(&world, &mut m).await;
        check(&world, &mut m, seed);
    }
    // Whatever was held back arrives in the end, in random order.
    while !m.held.is_empty() {
        let k = m.rng.below(m.held.len());
        let (event, payload) = m.held.remove(k);
        m.note(format!("late {event} delivered"));
        send(&world, &event, &payload).await;
        check(&world, &mut m, seed);
    }
    (m.landed, m.master_moves)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staging_gets_only_judged_commits_and_master_only_passed_staging_commits() {
    let mut landed = 0;
    let mut moved = 0;
    for seed in 0..SEEDS {
        let (l, m) = play(0x5eed_0000 + seed).await;
        landed += l;
        moved += m;
    }
    // The sequences must reach the interesting states, or they prove nothing.
    eprintln!("pushgate landed {landed} times, master moved {moved} times");
    assert!(landed >= SEEDS as usize, "staging moved {landed} times");
    assert!(moved >= 2, "master moved {moved} times");
}
