//! The push gate on the fake GitHub (issue 4, first part): staging pushes and CI results in,
//! master moved only by fast-forward to a tested commit.

mod support;

use pushgate::sim::{endpoint, Fault};
use serde_json::{json, Value};
use support::*;

const GATE_CONFIG: &str = r#"
[acks]
min_open = "0s"

[gate]
required = ["build", "test-*"]

[identities]
"cora@rest.example" = "cora-gh"
"#;

/// A repository whose master and staging start at the same commit.
async fn gated() -> World {
    let world = World::new(GATE_CONFIG).await;
    let tip = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.create_branch(REPO, "master", &tip);
    world
}

fn check_run(sha: &str, name: &str, conclusion: &str) -> Value {
    json!({
        "action": "completed",
        "check_run": { "name": name, "head_sha": sha, "status": "completed", "conclusion": conclusion },
        "repository": { "full_name": REPO, "default_branch": "staging" },
        "installation": { "id": INSTALLATION },
    })
}

fn status(sha: &str, context: &str, state: &str) -> Value {
    json!({
        "sha": sha, "context": context, "state": state,
        "repository": { "full_name": REPO, "default_branch": "staging" },
        "installation": { "id": INSTALLATION },
    })
}

/// CI reports a check run: it exists on GitHub, and its webhook arrives.
async fn ci_run(world: &World, sha: &str, name: &str, conclusion: &str) {
    let token = world.gh.mint_token(INSTALLATION);
    let created = world
        .http
        .post(format!("{}/repos/{REPO}/check-runs", world.api))
        .header("authorization", format!("token {token}"))
        .json(&json!({
            "name": name, "head_sha": sha, "status": "completed", "conclusion": conclusion,
            "output": { "title": name, "summary": "" },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
    ci(world, &[("check_run", check_run(sha, name, conclusion))]).await;
}

async fn land_on_staging(world: &World, file: &str) -> String {
    let before = world.gh.branch_tip(REPO, "staging").unwrap();
    let sha = world.gh.commit(
        REPO,
        "staging",
        ("Cora", "cora@rest.example", "cora-gh"),
        "change",
        &[(file, Some("x\n"))],
    );
    let (status, _) = world
        .send(
            "push",
            &world.gh.push_event(REPO, "staging", &before, "cora-gh"),
        )
        .await;
    assert_eq!(status, 202);
    world.settle().await;
    sha
}

/// Adds a harmless commit on top of `culprit`, pushes staging (from `start`), fails
/// `test-unit` on the tip twice (the retry), and fails it on the bisection probe, which must be
/// `culprit`: the flight ends with `culprit` found.
async fn bisect_to(world: &World, start: &str, culprit: &str) {
    let tip = world.gh.commit(
        REPO,
        "staging",
        ("Cora", "cora@rest.example", "cora-gh"),
        "docs",
        &[("README", Some("more\n"))],
    );
    world
        .send(
            "push",
            &world.gh.push_event(REPO, "staging", start, "cora-gh"),
        )
        .await;
    world.settle().await;
    ci(
        world,
        &[
            ("check_run", check_run(&tip, "build", "success")),
            ("check_run", check_run(&tip, "test-unit", "failure")),
        ],
    )
    .await;
    ci(
        world,
        &[("check_run", check_run(&tip, "test-unit", "failure"))],
    )
    .await;
    let probe = world
        .gh
        .branch_tip(REPO, "pushgate/bisect/1")
        .expect("a probe");
    assert_eq!(probe, culprit);
    ci(
        world,
        &[("check_run", check_run(&probe, "test-unit", "failure"))],
    )
    .await;
}

async fn ci(world: &World, payloads: &[(&str, Value)]) {
    for (event, payload) in payloads {
        let (status, _) = world.send(event, payload).await;
        assert_eq!(status, 202);
    }
    world.settle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn green_flight_advances_master_by_fast_forward() {
    let world = gated().await;
    let baseline = world.gh.branch_tip(REPO, "master").unwrap();
    let tip = land_on_staging(&world, "a.c").await;
    // CI that posts check runs and CI that only posts statuses both count.
    ci(
        &world,
        &[("check_run", check_run(&tip, "build", "success"))],
    )
    .await;
    assert_eq!(
        world.gh.branch_tip(REPO, "master").unwrap(),
        baseline,
        "test-* still missing"
    );
    ci(&world, &[("status", status(&tip, "test-unit", "success"))]).await;
    wait_until("master to reach the tested tip", || {
        world.gh.branch_tip(REPO, "master").as_deref() == Some(tip.as_str())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_blocks_master_after_one_retry() {
    let world = gated().await;
    let baseline = world.gh.branch_tip(REPO, "master").unwrap();
    // Master's CI passed (read from GitHub when the flight opens).
    ci_run(&world, &baseline, "build", "success").await;
    ci_run(&world, &baseline, "test-unit", "success").await;
    let tip = land_on_staging(&world, "b.c").await;
    ci_run(&world, &tip, "build", "success").await;
    ci_run(&world, &tip, "test-unit", "failure").await;
    // The gate asked GitHub to re-run the failed check once, to rule out a flaky test.
    let reruns: Vec<u32> = world
        .gh
        .check_runs(REPO)
        .iter()
        .filter(|c| c.head_sha == tip)
        .map(|c| c.rerequests)
        .collect();
    assert_eq!(reruns, [0, 1], "build is not re-run, test-unit once");
    // The retry fails again: a real regression.
    ci(
        &world,
        &[("check_run", check_run(&tip, "test-unit", "failure"))],
    )
    .await;
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), baseline);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failure_that_also_fails_on_the_baseline_does_not_block() {
    let world = gated().await;
    let baseline = world.gh.branch_tip(REPO, "master").unwrap();
    // Master's CI ran before the gate heard of any flight: the gate reads it from GitHub.
    ci_run(&world, &baseline, "build", "success").await;
    ci_run(&world, &baseline, "test-unit", "failure").await;
    let tip = land_on_staging(&world, "c.c").await;
    ci(
        &world,
        &[
            ("check_run", check_run(&tip, "build", "success")),
            ("check_run", check_run(&tip, "test-unit", "failure")),
        ],
    )
    .await;
    wait_until("master to advance", || {
        world.gh.branch_tip(REPO, "master").as_deref() == Some(tip.as_str())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_fast_forward_is_not_forced() {
    let world = gated().await;
    let tip = land_on_staging(&world, "d.c").await;
    // Someone moves master elsewhere meanwhile.
    let elsewhere = world.gh.commit(
        REPO,
        "master",
        ("Eve", "eve@x.example", "eve"),
        "sneaky",
        &[("e.c", Some("e\n"))],
    );
    ci(
        &world,
        &[
            ("check_run", check_run(&tip, "build", "success")),
            ("check_run", check_run(&tip, "test-unit", "success")),
        ],
    )
    .await;
    assert_eq!(
        world.gh.branch_tip(REPO, "master").unwrap(),
        elsewhere,
        "master must not be forced"
    );
    let depth = world.service().store.depth().await.unwrap();
    assert_eq!(
        depth.failed, 0,
        "a rejected fast-forward is reported, not a failed delivery"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bisection_finds_the_culprit_among_eight_commits() {
    bisect_eight(None).await;
}

/// Moving the probe deletes its ref and creates it afresh. When GitHub deletes it but the
/// answer is lost (a 502 after the work was done), the retried DELETE is told "Reference does
/// not exist": the ref is gone, as asked, and the bisection goes on (the fault injection
/// proof found a delivery failed for good on that 422).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_probe_ref_deleted_with_its_answer_lost_is_deleted() {
    bisect_eight(Some(
        Fault::lost_answer(502).on(endpoint::DELETE_REF).times(1),
    ))
    .await;
}

/// Eight commits land at once and the sixth breaks `test-unit`: the bisection must name it,
/// with `fault` injected into the fake GitHub once the flight has failed.
async fn bisect_eight(fault: Option<Fault>) {
    let world = gated().await;
    let baseline = world.gh.branch_tip(REPO, "master").unwrap();
    ci_run(&world, &baseline, "build", "success").await;
    ci_run(&world, &baseline, "test-unit", "success").await;
    // Eight commits land at once; the sixth breaks test-unit.
    let before = world.gh.branch_tip(REPO, "staging").unwrap();
    let mut commits = Vec::new();
    for i in 1..=8 {
        let file = format!("f{i}.c");
        commits.push(world.gh.commit(
            REPO,
            "staging",
            ("Cora", "cora@rest.example", "cora-gh"),
            &format!("change {i}"),
            &[(&file, Some("x\n"))],
        ));
    }
    world
        .send(
            "push",
            &world.gh.push_event(REPO, "staging", &before, "cora-gh"),
        )
        .await;
    world.settle().await;
    let tip = commits[7].clone();
    ci(
        &world,
        &[
            ("check_run", check_run(&tip, "build", "success")),
            ("check_run", check_run(&tip, "test-unit", "failure")),
        ],
    )
    .await;
    if let Some(fault) = fault {
        world.gh.inject(fault);
    }
    ci(
        &world,
        &[("check_run", check_run(&tip, "test-unit", "failure"))],
    )
    .await;
    // CI tests whatever pushgate points pushgate/bisect/1 at.
    let mut probes = Vec::new();
    while let Some(probe) = world.gh.branch_tip(REPO, "pushgate/bisect/1") {
        assert!(probes.len() < 4, "too many probes: {probes:?}");
        let index = commits
            .iter()
            .position(|c| *c == probe)
            .expect("a staging commit");
        probes.push(index + 1);
        let conclusion = if index + 1 >= 6 { "failure" } else { "success" };
        ci(
            &world,
            &[("check_run", check_run(&probe, "test-unit", conclusion))],
        )
        .await;
    }
    assert!(!probes.is_empty(), "bisection probed nothing");
    // The probe ref moved back and forth, yet no ref update was ever forced.
    assert!(probes.len() > 1, "{probes:?}");
    assert_eq!(world.gh.forced_ref_updates(), 0);
    let state: serde_json::Value =
        serde_json::from_str(&world.service().store.gate(REPO).await.unwrap().unwrap()).unwrap();
    let verdict = &state["flights"][0]["phase"]["Done"]["Regressed"];
    assert_eq!(verdict["culprit"], commits[5], "{state}");
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), baseline);
    assert_eq!(world.service().store.depth().await.unwrap().failed, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flight_pending_past_the_timeout_times_out_and_blocks() {
    let config = GATE_CONFIG.replace("[gate]\n", "[gate]\ntimeout = \"1h\"\n");
    let world = World::new(&config).await;
    let tip0 = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.create_branch(REPO, "master", &tip0);
    let tip = land_on_staging(&world, "t.c").await;
    // Two hours pass with CI silent; the service's own wake-up times the flight out.
    world.service().clock.advance(2 * 3600);
    let store = world.service().store.clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let state = store.gate(REPO).await.unwrap().unwrap_or_default();
        if state.contains("TimedOut") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "flight never timed out: {state}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // Late results do not move master: the timed-out flight blocks.
    ci(
        &world,
        &[
            ("check_run", check_run(&tip, "build", "success")),
            ("check_run", check_run(&tip, "test-unit", "success")),
        ],
    )
    .await;
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), tip0);
}

async fn comment_on_dashboard(world: &World, login: &str, body: &str) {
    let number = world.gh.issues_titled(REPO, "pushgate status")[0];
    world.comment(number, login, body).await;
}

fn dashboard(world: &World) -> String {
    let numbers = world.gh.issues_titled(REPO, "pushgate status");
    assert_eq!(numbers.len(), 1, "exactly one dashboard issue");
    world.gh.issue(REPO, numbers[0]).unwrap().1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committers_block_unblock_and_force_from_the_dashboard_others_are_refused() {
    let world = gated().await;
    let baseline = world.gh.branch_tip(REPO, "master").unwrap();
    let tip = land_on_staging(&world, "g.c").await;
    assert!(
        dashboard(&world).contains("## Current flight #1"),
        "{}",
        dashboard(&world)
    );

    comment_on_dashboard(&world, "eve", "/pushgate block I say so").await;
    assert!(dashboard(&world).contains("**gate:** open"));
    let number = world.gh.issues_titled(REPO, "pushgate status")[0];
    let replies = world.gh.comments_on(REPO, number);
    assert!(
        replies
            .iter()
            .any(|c| c.body.contains("@eve: only committers can block")),
        "{replies:?}"
    );

    comment_on_dashboard(&world, "cora-gh", "/pushgate block release freeze").await;
    assert!(
        dashboard(&world).contains("BLOCKED by @cora-gh"),
        "{}",
        dashboard(&world)
    );
    ci(
        &world,
        &[
            ("check_run", check_run(&tip, "build", "success")),
            ("check_run", check_run(&tip, "test-unit", "success")),
        ],
    )
    .await;
    assert_eq!(
        world.gh.branch_tip(REPO, "master").unwrap(),
        baseline,
        "blocked"
    );

    comment_on_dashboard(&world, "cora-gh", "/pushgate unblock").await;
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), tip);

    // A failing commit, forced by a committer with a reason; refused for others.
    let broken = land_on_staging(&world, "h.c").await;
    ci(
        &world,
        &[("check_run", check_run(&broken, "build", "failure"))],
    )
    .await;
    comment_on_dashboard(&world, "eve", &format!("/pushgate force {broken} trust me")).await;
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), tip);
    comment_on_dashboard(
        &world,
        "cora-gh",
        &format!("/pushgate force {broken} CI runner is down"),
    )
    .await;
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), broken);
    let text = dashboard(&world);
    assert!(text.contains("## Audit log"), "{text}");
    assert!(text.contains("@cora-gh force"), "{text}");
    assert!(text.contains("CI runner is down"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn culprit_found_by_bisection_is_reported_on_its_pull_request() {
    let config = format!("{GATE_CONFIG}\"sha@shadow.example\" = \"sha-gh\"\n");
    let world = World::new(&config).await;
    let start = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.create_branch(REPO, "master", &start);
    ci_run(&world, &start, "build", "success").await;
    ci_run(&world, &start, "test-unit", "success").await;
    // A PR acked by the shadow maintainer, landed by a committer with /pushgate merge.
    world.gh.create_branch(REPO, "bad", &start);
    world.gh.commit(
        REPO,
        "bad",
        NEWCOMER,
        "x86/shadow: break it\n\nSigned-off-by: Nora Newcomer <nora@new.example>\n",
        &[(SHADOW, Some("broken\n"))],
    );
    let pr = world
        .gh
        .open_pr(REPO, NEWCOMER.2, "bad", "staging", "break it");
    let review = world
        .gh
        .add_review(REPO, pr, "sha-gh", pushgate::sim::ReviewState::Approved, "");
    world
        .send(
            "pull_request_review",
            &world.gh.review_event(REPO, pr, review),
        )
        .await;
    world.settle().await;
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    let culprit = world.gh.branch_tip(REPO, "staging").unwrap();
    assert_ne!(culprit, start, "the PR landed");
    // One more commit on top, then the push reaches the gate and bisection finds the culprit.
    bisect_to(&world, &start, &culprit).await;
    let report = world
        .gh
        .comments_on(REPO, pr)
        .into_iter()
        .find(|c| c.body.contains("first to fail"))
        .map(|c| c.body);
    let report = report.expect("the culprit's PR is told");
    assert!(report.contains(&culprit), "{report}");
    assert!(report.contains("Nora Newcomer"), "{report}");
    let board = dashboard(&world);
    assert!(
        board.contains(&format!("#{pr} by Nora Newcomer")),
        "{board}"
    );
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), start);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowlisted_failure_does_not_block() {
    let config = GATE_CONFIG.replace("[gate]\n", "[gate]\nallow = [\"test-flaky-*\"]\n");
    let world = World::new(&config).await;
    let start = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.create_branch(REPO, "master", &start);
    let tip = land_on_staging(&world, "al.c").await;
    ci(
        &world,
        &[
            ("check_run", check_run(&tip, "test-unit", "success")),
            ("check_run", check_run(&tip, "test-flaky-net", "failure")),
            ("check_run", check_run(&tip, "build", "success")),
        ],
    )
    .await;
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), tip);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flaky_failure_passing_on_retry_advances_master_and_is_recorded() {
    let world = gated().await;
    let tip = land_on_staging(&world, "fl.c").await;
    ci(
        &world,
        &[
            ("check_run", check_run(&tip, "build", "success")),
            ("check_run", check_run(&tip, "test-unit", "failure")),
        ],
    )
    .await;
    assert_ne!(
        world.gh.branch_tip(REPO, "master").unwrap(),
        tip,
        "a regression is retried first"
    );
    ci(
        &world,
        &[("check_run", check_run(&tip, "test-unit", "success"))],
    )
    .await;
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), tip);
    assert!(
        dashboard(&world).contains("passed (flaky: test-unit)"),
        "{}",
        dashboard(&world)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn superseded_flight_still_advances_master_to_its_tested_ancestor() {
    let world = gated().await;
    let first = land_on_staging(&world, "s1.c").await;
    let second = land_on_staging(&world, "s2.c").await;
    // The older flight passes first: master moves to it though staging is ahead.
    ci(
        &world,
        &[
            ("check_run", check_run(&first, "build", "success")),
            ("check_run", check_run(&first, "test-unit", "success")),
        ],
    )
    .await;
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), first);
    ci(
        &world,
        &[
            ("check_run", check_run(&second, "build", "success")),
            ("check_run", check_run(&second, "test-unit", "success")),
        ],
    )
    .await;
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), second);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_in_a_supported_feature_opens_an_issue_that_holds_the_release() {
    let (world, start) = supported_pv_world().await;
    let cora = ("Cora", "cora@rest.example", "cora-gh");
    world.gh.create_branch(REPO, "stable-4.19", &start);
    ci_run(&world, &start, "build", "success").await;
    ci_run(&world, &start, "test-unit", "success").await;
    // The release branch carries a release check from the start.
    world
        .send(
            "push",
            &world.gh.push_event(REPO, "stable-4.19", &start, "cora-gh"),
        )
        .await;
    world.settle().await;

    let culprit = world.gh.commit(
        REPO,
        "staging",
        cora,
        "x86/pv: break it",
        &[("xen/arch/x86/pv/traps.c", Some("broken\n"))],
    );
    // Anyone can guess the title and open an unlabelled issue with it first.
    let title = format!(
        "Regression in x86/PV: x86/pv: break it ({})",
        &culprit[..12]
    );
    let decoy = world.gh.open_issue(REPO, "mallory", &title, &[]);
    bisect_to(&world, &start, &culprit).await;

    let issues: Vec<u64> = world
        .gh
        .issues_titled(REPO, &title)
        .into_iter()
        .filter(|n| *n != decoy)
        .collect();
    assert_eq!(issues.len(), 1, "one regression issue besides the decoy");
    let (open, labels) = world.gh.issue_state(REPO, issues[0]).unwrap();
    assert!(open);
    assert_eq!(labels, ["regression", "feature: x86/PV"]);
    let (_, body) = world.gh.issue(REPO, issues[0]).unwrap();
    assert!(
        body.contains(&culprit) && body.contains("flight #1"),
        "{body}"
    );
    assert!(body.contains("`test-unit`"), "{body}");

    // GitHub announces the new issue; the release branch's check now fails on it.
    world
        .issue_event(issues[0], "opened", "pushgate[bot]")
        .await;
    let release = world
        .gh
        .check_runs(REPO)
        .into_iter()
        .rfind(|c| c.name == "pushgate/release" && c.head_sha == start)
        .expect("release check");
    assert_eq!(release.conclusion.as_deref(), Some("failure"));
    assert!(release
        .summary
        .unwrap_or_default()
        .contains(&format!("#{}", issues[0])));
}

/// CI posts a check run on GitHub whose webhook never reaches pushgate (GitHub loses some).
async fn ci_run_unannounced(world: &World, sha: &str, name: &str, conclusion: &str) {
    let token = world.gh.mint_token(INSTALLATION);
    let created = world
        .http
        .post(format!("{}/repos/{REPO}/check-runs", world.api))
        .header("authorization", format!("token {token}"))
        .json(&json!({
            "name": name, "head_sha": sha, "status": "completed", "conclusion": conclusion,
            "output": { "title": name, "summary": "" },
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status().as_u16(), 201);
}

fn shown_as_dropped(board: &str, tip: &str) -> bool {
    board.contains(&format!(
        "| `{}` | abandoned: dropped from staging |",
        &tip[..12]
    ))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn success_for_a_commit_dropped_from_staging_does_not_move_master() {
    let world = gated().await;
    let baseline = world.gh.branch_tip(REPO, "master").unwrap();
    let dropped = land_on_staging(&world, "dropped.c").await;
    // A committer rewinds staging to drop that commit and lands another instead.
    world.gh.create_branch(REPO, "staging", &baseline);
    let replacement = world.gh.commit(
        REPO,
        "staging",
        ("Cora", "cora@rest.example", "cora-gh"),
        "instead",
        &[("instead.c", Some("y\n"))],
    );
    // GitHub delivers CI's success for the dropped commit before the push event.
    ci(
        &world,
        &[
            ("check_run", check_run(&dropped, "build", "success")),
            ("check_run", check_run(&dropped, "test-unit", "success")),
        ],
    )
    .await;
    assert_eq!(
        world.gh.branch_tip(REPO, "master").unwrap(),
        baseline,
        "master moved to a commit no longer on staging"
    );
    assert!(
        shown_as_dropped(&dashboard(&world), &dropped),
        "{}",
        dashboard(&world)
    );
    // The push arrives: a fresh flight from the new tip, which reaches master.
    world
        .send(
            "push",
            &world.gh.push_event(REPO, "staging", &dropped, "cora-gh"),
        )
        .await;
    world.settle().await;
    ci(
        &world,
        &[
            ("check_run", check_run(&replacement, "build", "success")),
            ("check_run", check_run(&replacement, "test-unit", "success")),
        ],
    )
    .await;
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), replacement);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn master_off_staging_is_told_on_the_dashboard_and_waits_for_a_committer() {
    let world = gated().await;
    let tip = land_on_staging(&world, "on.c").await;
    // Someone pushes master to a commit staging does not have.
    let before = world.gh.branch_tip(REPO, "master").unwrap();
    let elsewhere = world.gh.commit(
        REPO,
        "master",
        ("Eve", "eve@x.example", "eve"),
        "sneaky",
        &[("e.c", Some("e\n"))],
    );
    world
        .send("push", &world.gh.push_event(REPO, "master", &before, "eve"))
        .await;
    world.settle().await;
    let board = dashboard(&world);
    assert!(
        board.contains(&format!(
            "master `{}` is not an ancestor of staging `{}`",
            &elsewhere[..12],
            &tip[..12]
        )),
        "{board}"
    );
    let number = world.gh.issues_titled(REPO, "pushgate status")[0];
    let told = |text: &str| {
        world
            .gh
            .comments_on(REPO, number)
            .iter()
            .filter(|c| c.body.contains(text))
            .count()
    };
    assert_eq!(
        told("is not an ancestor of staging"),
        1,
        "committers are notified"
    );
    // A committer's force cannot fast-forward either; they are told why.
    comment_on_dashboard(
        &world,
        "cora-gh",
        &format!("/pushgate force {tip} trust me"),
    )
    .await;
    assert!(world
        .gh
        .comments_on(REPO, number)
        .iter()
        .any(|c| c.body.contains("is not an ancestor of staging")));
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), elsewhere);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejected_fast_forward_is_told_on_the_dashboard() {
    let world = gated().await;
    let baseline = world.gh.branch_tip(REPO, "master").unwrap();
    let tip = land_on_staging(&world, "r.c").await;
    // A branch rule refuses the update once.
    world.gh.inject(
        pushgate::sim::Fault::status(422)
            .on(pushgate::sim::endpoint::GRAPHQL)
            .times(1),
    );
    ci(
        &world,
        &[
            ("check_run", check_run(&tip, "build", "success")),
            ("check_run", check_run(&tip, "test-unit", "success")),
        ],
    )
    .await;
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), baseline);
    let board = dashboard(&world);
    assert!(
        board.contains(&format!(
            "GitHub refused to fast-forward master from `{}` to `{}`",
            &baseline[..12],
            &tip[..12]
        )),
        "{board}"
    );
    // Committers watching the issue are notified.
    let number = world.gh.issues_titled(REPO, "pushgate status")[0];
    assert!(world
        .gh
        .comments_on(REPO, number)
        .iter()
        .any(|c| c.body.contains("GitHub refused to fast-forward master")));
    // A committer decides.
    comment_on_dashboard(
        &world,
        "cora-gh",
        &format!("/pushgate force {tip} rule fixed"),
    )
    .await;
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), tip);
    assert!(!dashboard(&world).contains("GitHub refused"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_result_deliveries_are_read_at_start_up_reconciliation() {
    let mut world = gated().await;
    let tip = land_on_staging(&world, "lost.c").await;
    // CI passes; GitHub loses both deliveries.
    ci_run_unannounced(&world, &tip, "build", "success").await;
    ci_run_unannounced(&world, &tip, "test-unit", "success").await;
    world
        .service
        .take()
        .unwrap()
        .shutdown(std::time::Duration::from_secs(5))
        .await;
    let mut reconciling = settings(&world.database_url, &world.api, "again");
    reconciling.reconcile_every = std::time::Duration::from_secs(3600);
    world.service = Some(pushgate::service::start(reconciling).await.unwrap());
    wait_until("master to reach the tip CI passed", || {
        world.gh.branch_tip(REPO, "master").as_deref() == Some(tip.as_str())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_result_deliveries_do_not_time_a_flight_out() {
    let config = GATE_CONFIG.replace("[gate]\n", "[gate]\ntimeout = \"1h\"\n");
    let world = World::new(&config).await;
    let start = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.create_branch(REPO, "master", &start);
    let tip = land_on_staging(&world, "late.c").await;
    ci_run_unannounced(&world, &tip, "build", "success").await;
    ci_run_unannounced(&world, &tip, "test-unit", "success").await;
    // The deadline passes; the gate reads GitHub before timing the flight out.
    world.service().clock.advance(2 * 3600);
    wait_until("master to reach the tip CI passed", || {
        world.gh.branch_tip(REPO, "master").as_deref() == Some(tip.as_str())
    })
    .await;
    let state = world.service().store.gate(REPO).await.unwrap().unwrap();
    assert!(!state.contains("TimedOut"), "{state}");
}

fn status_by(sha: &str, context: &str, state: &str, sender: &str) -> Value {
    let mut payload = status(sha, context, state);
    payload["sender"] = json!({ "login": sender, "type": "User" });
    payload
}

fn check_run_by(sha: &str, name: &str, conclusion: &str, app: &str) -> Value {
    let mut payload = check_run(sha, name, conclusion);
    payload["check_run"]["app"] = json!({ "slug": app, "id": 77 });
    payload
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hand_posted_results_cannot_move_master_past_pinned_checks() {
    let config = GATE_CONFIG.replace(
        "[gate]\n",
        "[gate]\nsources = { build = \"app:ci-app\", \"test-*\" = \"user:ci-bot\" }\n",
    );
    let world = World::new(&config).await;
    let start = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.create_branch(REPO, "master", &start);
    let tip = land_on_staging(&world, "pin.c").await;
    // A writer posts green results by hand, as a status and as another app's check run.
    ci(
        &world,
        &[
            ("status", status_by(&tip, "test-unit", "success", "mallory")),
            (
                "check_run",
                check_run_by(&tip, "build", "success", "mallorys-app"),
            ),
        ],
    )
    .await;
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), start);
    let board = dashboard(&world);
    assert!(
        board.contains(&format!(
            "`test-unit` on `{}` from @mallory (pinned to @ci-bot)",
            &tip[..12]
        )),
        "{board}"
    );
    // The pinned posters' results count, and the dashboard says whom it trusted.
    ci(
        &world,
        &[(
            "check_run",
            check_run_by(&tip, "build", "success", "ci-app"),
        )],
    )
    .await;
    let board = dashboard(&world);
    assert!(
        board.contains("| build | ✅ passed | — | app `ci-app` (pinned) |"),
        "{board}"
    );
    ci(
        &world,
        &[("status", status_by(&tip, "test-unit", "success", "ci-bot"))],
    )
    .await;
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), tip);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_says_which_poster_an_unpinned_check_trusted() {
    let world = gated().await;
    let tip = land_on_staging(&world, "who.c").await;
    ci(
        &world,
        &[("status", status_by(&tip, "build", "success", "some-writer"))],
    )
    .await;
    let board = dashboard(&world);
    assert!(
        board.contains("| build | ✅ passed | — | @some-writer (unpinned: any poster) |"),
        "{board}"
    );
}

async fn restart_reconciling(world: &mut World, replica: &str) {
    world
        .service
        .take()
        .unwrap()
        .shutdown(std::time::Duration::from_secs(5))
        .await;
    let mut reconciling = settings(&world.database_url, &world.api, replica);
    reconciling.reconcile_every = std::time::Duration::from_secs(3600);
    world.service = Some(pushgate::service::start(reconciling).await.unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_read_again_from_github_count_only_from_pinned_posters() {
    let config = GATE_CONFIG.replace(
        "[gate]\n",
        "[gate]\nsources = { build = \"app:ci-app\", \"test-*\" = \"user:ci-bot\" }\n",
    );
    let mut world = World::new(&config).await;
    let start = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.create_branch(REPO, "master", &start);
    let tip = land_on_staging(&world, "reread.c").await;
    // On GitHub, deliveries lost: a writer's hand-made results, and the real test-unit.
    world
        .gh
        .add_check_run_by_app(REPO, &tip, "build", "success", "mallorys-app");
    world
        .gh
        .add_status(REPO, &tip, "test-lint", "success", "mallory");
    world
        .gh
        .add_status(REPO, &tip, "test-unit", "success", "ci-bot");
    restart_reconciling(&mut world, "again").await;
    wait_until("the reconciler to read test-unit", || {
        dashboard(&world).contains("| test-unit | ✅ passed | — | @ci-bot (pinned) |")
    })
    .await;
    world.settle().await;
    let board = dashboard(&world);
    assert!(!board.contains("| test-lint |"), "{board}");
    assert!(
        board.contains("from @mallory (pinned to @ci-bot)")
            && board.contains("from app `mallorys-app` (pinned to app `ci-app`)"),
        "the dashboard shows what it ignored: {board}"
    );
    assert_eq!(world.gh.branch_tip(REPO, "master").unwrap(), start);
    // The CI app's build, read at the next reconciliation, moves master.
    world
        .gh
        .add_check_run_by_app(REPO, &tip, "build", "success", "ci-app");
    restart_reconciling(&mut world, "third").await;
    wait_until("master to reach the tip", || {
        world.gh.branch_tip(REPO, "master").as_deref() == Some(tip.as_str())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_push_is_read_at_start_up_reconciliation() {
    let mut world = gated().await;
    // A commit lands on staging and CI passes it; none of the deliveries reach pushgate.
    let tip = world.gh.commit(
        REPO,
        "staging",
        ("Cora", "cora@rest.example", "cora-gh"),
        "unheard",
        &[("unheard.c", Some("u\n"))],
    );
    ci_run_unannounced(&world, &tip, "build", "success").await;
    ci_run_unannounced(&world, &tip, "test-unit", "success").await;
    restart_reconciling(&mut world, "again").await;
    wait_until("master to reach the tip CI passed", || {
        world.gh.branch_tip(REPO, "master").as_deref() == Some(tip.as_str())
    })
    .await;
}

/// `login` comments `body` on the dashboard; returns the comment's webhook payload, once
/// processed, so that a test can deliver it again.
async fn command_on_dashboard(world: &World, login: &str, body: &str) -> Value {
    let number = world.gh.issues_titled(REPO, "pushgate status")[0];
    let comment = world.gh.add_comment(REPO, number, login, body);
    let payload = world.gh.issue_comment_event(REPO, number, comment);
    redeliver(world, &payload).await;
    payload
}

/// Delivers an issue comment's webhook (again) under a new delivery id, and waits for it.
async fn redeliver(world: &World, payload: &Value) {
    let (status, _) = world.send("issue_comment", payload).await;
    assert_eq!(status, 202);
    world.settle().await;
}

fn audit_entries(board: &str, what: &str) -> usize {
    board
        .lines()
        .filter(|l| l.starts_with("- ") && l.contains(what))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_gate_command_is_applied_and_answered_once() {
    let world = gated().await;
    land_on_staging(&world, "replay.c").await;
    command_on_dashboard(&world, "cora-gh", "/pushgate block freeze").await;
    let unblock = command_on_dashboard(&world, "cora-gh", "/pushgate unblock").await;
    command_on_dashboard(&world, "cora-gh", "/pushgate block second freeze").await;
    // An old signed unblock delivered again under a new delivery id (a replay, or GitHub's
    // redelivery button) must not lift the newer block.
    redeliver(&world, &unblock).await;
    let board = dashboard(&world);
    assert!(board.contains("BLOCKED by @cora-gh"), "{board}");
    assert_eq!(audit_entries(&board, "@cora-gh unblock"), 1, "{board}");
    // A refused command is answered once.
    let refused = command_on_dashboard(&world, "eve", "/pushgate unblock").await;
    redeliver(&world, &refused).await;
    let number = world.gh.issues_titled(REPO, "pushgate status")[0];
    let answers = world
        .gh
        .comments_on(REPO, number)
        .into_iter()
        .filter(|c| c.body.contains("@eve: only committers"))
        .count();
    assert_eq!(answers, 1, "{:?}", world.gh.comments_on(REPO, number));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_command_whose_answer_was_lost_is_answered_once() {
    let world = gated().await;
    land_on_staging(&world, "lost.c").await;
    // The refusal is posted, but GitHub's answer to it is lost: the delivery is run again.
    world.gh.inject(
        Fault::lost_answer(502)
            .on(endpoint::CREATE_COMMENT)
            .times(1),
    );
    command_on_dashboard(&world, "eve", "/pushgate block I say so").await;
    let number = world.gh.issues_titled(REPO, "pushgate status")[0];
    let answers = world
        .gh
        .comments_on(REPO, number)
        .into_iter()
        .filter(|c| c.body.contains("@eve: only committers can block"))
        .count();
    assert_eq!(answers, 1, "{:?}", world.gh.comments_on(REPO, number));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dashboard_whose_answer_was_lost_is_not_opened_twice() {
    let world = gated().await;
    // GitHub opens the dashboard issue but the answer is lost: the push is run again.
    world
        .gh
        .inject(Fault::lost_answer(502).on(endpoint::CREATE_ISSUE).times(1));
    land_on_staging(&world, "board.c").await;
    assert_eq!(
        world.gh.issues_titled(REPO, "pushgate status").len(),
        1,
        "one dashboard issue"
    );
    assert!(dashboard(&world).contains("## Current flight #1"));
    // Commands on it are heard: the gate knows the issue it found.
    command_on_dashboard(&world, "cora-gh", "/pushgate block found").await;
    assert!(dashboard(&world).contains("BLOCKED by @cora-gh"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_issue_titled_like_the_dashboard_by_someone_else_is_not_taken_for_it() {
    let world = gated().await;
    let forged = world.gh.open_issue(REPO, "mallory", "pushgate status", &[]);
    world
        .gh
        .set_issue_body(REPO, forged, "<!-- pushgate:dashboard -->");
    land_on_staging(&world, "forged.c").await;
    let numbers = world.gh.issues_titled(REPO, "pushgate status");
    assert_eq!(numbers.len(), 2, "pushgate opened its own");
    let (_, body) = world.gh.issue(REPO, forged).unwrap();
    assert!(!body.contains("Current flight"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_gate_failure_is_shown_on_the_dashboard() {
    let world = gated().await;
    land_on_staging(&world, "first.c").await;
    // GitHub refuses, for good, the comparison of master and staging the next push needs.
    world
        .gh
        .inject(Fault::status(422).on(endpoint::COMPARE).times(1));
    let before = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.commit(
        REPO,
        "staging",
        ("Cora", "cora@rest.example", "cora-gh"),
        "change",
        &[("second.c", Some("x\n"))],
    );
    let (status, id) = world
        .send(
            "push",
            &world.gh.push_event(REPO, "staging", &before, "cora-gh"),
        )
        .await;
    assert_eq!(status, 202);
    world.settle().await;
    let (state, _, _) = world
        .service()
        .store
        .delivery_state(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state, "failed");
    let number = world.gh.issues_titled(REPO, "pushgate status")[0];
    let comments = world.gh.comments_on(REPO, number);
    assert!(
        comments.iter().any(|c| c
            .body
            .contains("pushgate could not handle a delivery for the push gate")
            && c.body.contains(&id)),
        "{comments:?}"
    );
    assert!(
        world.gh.check_runs(REPO).is_empty(),
        "no check run shows a gate failure"
    );
    // The same failure again (as the reconciler would meet it) is not told twice.
    world
        .gh
        .inject(Fault::status(422).on(endpoint::COMPARE).times(1));
    let (status, again) = world
        .send(
            "push",
            &world.gh.push_event(REPO, "staging", &before, "cora-gh"),
        )
        .await;
    assert_eq!(status, 202);
    world.settle().await;
    let (state, _, _) = world
        .service()
        .store
        .delivery_state(&again)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state, "failed");
    let told = world
        .gh
        .comments_on(REPO, number)
        .iter()
        .filter(|c| c.body.contains("pushgate could not handle a delivery"))
        .count();
    assert_eq!(told, 1, "{:?}", world.gh.comments_on(REPO, number));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_notice_on_the_dashboard_is_told_once_when_its_delivery_runs_again() {
    let world = gated().await;
    land_on_staging(&world, "on.c").await;
    // GitHub keeps failing the dashboard's update after the notice is posted: the delivery
    // fails before its state is saved, and is run again.
    world
        .gh
        .inject(Fault::bad_gateway().on(endpoint::UPDATE_ISSUE).times(5));
    let before = world.gh.branch_tip(REPO, "master").unwrap();
    world.gh.commit(
        REPO,
        "master",
        ("Eve", "eve@x.example", "eve"),
        "sneaky",
        &[("e.c", Some("e\n"))],
    );
    world
        .send("push", &world.gh.push_event(REPO, "master", &before, "eve"))
        .await;
    world.settle().await;
    assert!(dashboard(&world).contains("is not an ancestor of staging"));
    let number = world.gh.issues_titled(REPO, "pushgate status")[0];
    let told = world
        .gh
        .comments_on(REPO, number)
        .iter()
        .filter(|c| c.body.contains("is not an ancestor of staging"))
        .count();
    assert_eq!(told, 1, "{:?}", world.gh.comments_on(REPO, number));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_culprit_is_reported_once_when_its_delivery_runs_again() {
    let config = format!("{GATE_CONFIG}\"sha@shadow.example\" = \"sha-gh\"\n");
    let world = World::new(&config).await;
    let start = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.create_branch(REPO, "master", &start);
    ci_run(&world, &start, "build", "success").await;
    ci_run(&world, &start, "test-unit", "success").await;
    world.gh.create_branch(REPO, "bad", &start);
    world.gh.commit(
        REPO,
        "bad",
        NEWCOMER,
        "x86/shadow: break it\n\nSigned-off-by: Nora Newcomer <nora@new.example>\n",
        &[(SHADOW, Some("broken\n"))],
    );
    let pr = world
        .gh
        .open_pr(REPO, NEWCOMER.2, "bad", "staging", "break it");
    world.approve(pr, "sha-gh").await;
    world.settle().await;
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    let culprit = world.gh.branch_tip(REPO, "staging").unwrap();
    assert_ne!(culprit, start, "the PR landed");
    let tip = world.gh.commit(
        REPO,
        "staging",
        ("Cora", "cora@rest.example", "cora-gh"),
        "docs",
        &[("README", Some("more\n"))],
    );
    world
        .send(
            "push",
            &world.gh.push_event(REPO, "staging", &start, "cora-gh"),
        )
        .await;
    world.settle().await;
    ci(
        &world,
        &[
            ("check_run", check_run(&tip, "build", "success")),
            ("check_run", check_run(&tip, "test-unit", "failure")),
        ],
    )
    .await;
    ci(
        &world,
        &[("check_run", check_run(&tip, "test-unit", "failure"))],
    )
    .await;
    let probe = world.gh.branch_tip(REPO, "pushgate/bisect/1").unwrap();
    assert_eq!(probe, culprit);
    // The culprit is reported, then GitHub keeps failing the dashboard's update: the delivery
    // fails before the finished flight is saved, and is run again.
    world
        .gh
        .inject(Fault::bad_gateway().on(endpoint::UPDATE_ISSUE).times(5));
    ci(
        &world,
        &[("check_run", check_run(&probe, "test-unit", "failure"))],
    )
    .await;
    let reports = world
        .gh
        .comments_on(REPO, pr)
        .into_iter()
        .filter(|c| c.body.contains("first to fail"))
        .count();
    assert_eq!(reports, 1, "{:?}", world.gh.comments_on(REPO, pr));
    assert!(dashboard(&world).contains(&format!("#{pr} by Nora Newcomer")));
}

/// GitHub refuses to open the regression issue when the flight finishes: the issue is owed,
/// asked for again every few seconds, and opened once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regression_issue_github_would_not_open_is_opened_once_it_can_be() {
    let (world, start) = supported_pv_world().await;
    let cora = ("Cora", "cora@rest.example", "cora-gh");
    ci_run(&world, &start, "build", "success").await;
    ci_run(&world, &start, "test-unit", "success").await;
    let culprit = world.gh.commit(
        REPO,
        "staging",
        cora,
        "x86/pv: break it",
        &[("xen/arch/x86/pv/traps.c", Some("broken\n"))],
    );
    let title = format!(
        "Regression in x86/PV: x86/pv: break it ({})",
        &culprit[..12]
    );
    // The culprit's commit is read twice when the flight ends: for its report on the pull
    // request, then for the regression issue. From the second read on, GitHub fails.
    world.gh.before(endpoint::GIT_COMMIT, |gh| {
        gh.before(endpoint::GIT_COMMIT, |gh| {
            gh.inject(Fault::server_error().on(endpoint::GIT_COMMIT).every(1))
        })
    });
    bisect_to(&world, &start, &culprit).await;
    assert!(
        world.gh.issues_titled(REPO, &title).is_empty(),
        "the fault let an issue through"
    );
    world.gh.clear_faults();
    // With no event at all, the owed issue is asked for again within seconds.
    wait_until("the owed regression issue", || {
        world.gh.issues_titled(REPO, &title).len() == 1
    })
    .await;
    world.settle().await;
    // A later gate event opens nothing more.
    ci(
        &world,
        &[("check_run", check_run(&culprit, "build", "success"))],
    )
    .await;
    assert_eq!(
        world.gh.issues_titled(REPO, &title).len(),
        1,
        "opened twice"
    );
}

/// GitHub refuses the regression issue for good (a 4xx: issues turned off for the
/// repository): the gate stops owing it rather than asking every few seconds forever, and the
/// flight's outcome stands.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_regression_issue_github_refuses_for_good_is_no_longer_asked_for() {
    let (world, start) = supported_pv_world().await;
    let cora = ("Cora", "cora@rest.example", "cora-gh");
    ci_run(&world, &start, "build", "success").await;
    ci_run(&world, &start, "test-unit", "success").await;
    let culprit = world.gh.commit(
        REPO,
        "staging",
        cora,
        "x86/pv: break it",
        &[("xen/arch/x86/pv/traps.c", Some("broken\n"))],
    );
    // As above, the culprit's commit is read a second time just before the issue is opened:
    // from then on GitHub refuses issues (the dashboard issue exists by then).
    world.gh.before(endpoint::GIT_COMMIT, |gh| {
        gh.before(endpoint::GIT_COMMIT, |gh| {
            gh.inject(Fault::status(410).on(endpoint::CREATE_ISSUE).every(1))
        })
    });
    let before = world.gh.calls(endpoint::CREATE_ISSUE);
    bisect_to(&world, &start, &culprit).await;
    world.settle().await;
    let asked = world.gh.calls(endpoint::CREATE_ISSUE);
    assert!(asked > before, "the regression issue was never asked for");
    let state: serde_json::Value =
        serde_json::from_str(&world.service().store.gate(REPO).await.unwrap().unwrap()).unwrap();
    let owed = state["pending_regressions"]
        .as_object()
        .map_or(0, |owed| owed.len());
    assert_eq!(owed, 0, "still owed after a refusal for good: {state}");
    // Past the owed tick's period and through a later gate event, nothing asks again.
    tokio::time::sleep(std::time::Duration::from_secs(6)).await;
    ci(
        &world,
        &[("check_run", check_run(&culprit, "build", "success"))],
    )
    .await;
    world.settle().await;
    assert_eq!(world.gh.calls(endpoint::CREATE_ISSUE), asked, "asked again");
    assert_eq!(
        world.gh.branch_tip(REPO, "master").as_deref(),
        Some(start.as_str()),
        "master moved onto the regression"
    );
}

/// A gate whose staging starts with a SUPPORT.md in which x86/PV is Supported, master there
/// too; returns that first commit.
async fn supported_pv_world() -> (World, String) {
    let cora = ("Cora", "cora@rest.example", "cora-gh");
    let config = format!(
        "{GATE_CONFIG}\n[[support.feature]]\nname = \"x86/PV\"\npaths = [\"xen/arch/x86/pv/\"]\n"
    );
    let world = World::new(&config).await;
    let start = world.gh.commit(
        REPO,
        "staging",
        cora,
        "Add SUPPORT.md",
        &[(
            "SUPPORT.md",
            Some("## Guests\n\n### x86/PV\n\n    Status: Supported\n"),
        )],
    );
    world.gh.create_branch(REPO, "master", &start);
    (world, start)
}
