//! A repository with something on every part of the dashboard, played on the fake GitHub
//! against the real service: a support matrix, a release blocker, two finished flights (one
//! passed, one regressed) and one running, pull requests waiting for acks, one closed.
//! Shared by `tests/dashboard.rs` and `tests/browser.rs`.

#![allow(dead_code)]

use serde_json::{json, Value};

use crate::support::*;

pub const COMMITTER: (&str, &str, &str) = ("Cora Committer", "cora@rest.example", "cora-gh");

pub const SUPPORT_MD: &str = "\
# Support statement

## Guest Type

### x86/PV

    Status: Supported

### x86/HVM

    Status: Experimental
";

/// The fixture's policy, a gate on `build` and `test-*`, and two features.
pub fn story_config() -> String {
    format!(
        "{CONFIG}\n[gate]\nrequired = [\"build\", \"test-*\"]\n\n\
         [[support.feature]]\nname = \"x86/PV\"\npaths = [\"xen/arch/x86/pv/\"]\n\n\
         [[support.feature]]\nname = \"x86/HVM\"\npaths = [\"xen/arch/x86/hvm/\"]\n"
    )
}

/// What the story left, for the tests to compare with the pages.
pub struct Played {
    pub vote: u64,
    pub waiting: u64,
    pub ready: u64,
    pub closed: u64,
    pub blocker: u64,
}

/// Restarts the service with the dashboard's read token set.
pub async fn with_token(world: &mut World, token: &str) {
    if let Some(service) = world.service.take() {
        service.shutdown(std::time::Duration::from_secs(5)).await;
    }
    let mut s = settings(&world.database_url, &world.api, "dashboard");
    s.dashboard_token = Some(token.to_string());
    world.service = Some(pushgate::service::start(s).await.expect("service restarts"));
}

async fn push_to_staging(world: &World, message: &str, files: &[(&str, Option<&str>)]) -> String {
    let before = world.gh.branch_tip(REPO, "staging").expect("staging");
    let sha = world.gh.commit(REPO, "staging", COMMITTER, message, files);
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

fn check_run(sha: &str, name: &str, conclusion: &str) -> Value {
    json!({
        "action": "completed",
        "check_run": { "name": name, "head_sha": sha, "status": "completed", "conclusion": conclusion },
        "repository": { "full_name": REPO, "default_branch": "staging", "private": false },
        "installation": { "id": INSTALLATION },
    })
}

/// CI reports a check run: it exists on GitHub, and its webhook arrives.
pub async fn ci(world: &World, sha: &str, name: &str, conclusion: &str) {
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
        .expect("check run");
    assert_eq!(created.status().as_u16(), 201);
    let (status, _) = world
        .send("check_run", &check_run(sha, name, conclusion))
        .await;
    assert_eq!(status, 202);
    world.settle().await;
}

/// Plays the story on `world` (made with [`story_config`]).
pub async fn play(world: &World) -> Played {
    let start = world.gh.branch_tip(REPO, "staging").expect("staging");
    world.gh.create_branch(REPO, "master", &start);
    ci(world, &start, "build", "success").await;
    ci(world, &start, "test-unit", "success").await;

    // Flight 1 passes: SUPPORT.md lands, master follows.
    let support =
        push_to_staging(world, "Add SUPPORT.md", &[("SUPPORT.md", Some(SUPPORT_MD))]).await;
    ci(world, &support, "build", "success").await;
    ci(world, &support, "test-unit", "success").await;
    assert_eq!(
        world.gh.branch_tip(REPO, "master").as_deref(),
        Some(support.as_str())
    );

    // Flight 2 regresses (retried once): master stays.
    let bad = push_to_staging(world, "Break the tests", &[("README", Some("broken\n"))]).await;
    ci(world, &bad, "build", "success").await;
    ci(world, &bad, "test-unit", "failure").await;
    ci(world, &bad, "test-unit", "failure").await;
    assert_eq!(
        world.gh.branch_tip(REPO, "master").as_deref(),
        Some(support.as_str())
    );

    // Flight 3 runs: a fix on top, `build` passed on its tip so far.
    let fix = push_to_staging(world, "Fix the tests", &[("README", Some("fixed\n"))]).await;
    ci(world, &fix, "build", "success").await;

    // A committer blocks the gate for a while, then unblocks it: the audit log keeps both.
    let board = world.gh.issues_titled(REPO, "pushgate status")[0];
    world
        .comment(
            board,
            "cora-gh",
            "/pushgate block until the fix is reviewed",
        )
        .await;
    world.comment(board, "cora-gh", "/pushgate unblock").await;

    // The release: a tag, and a regression in a Supported feature holds it.
    world
        .send(
            "push",
            &world
                .gh
                .tag_push_event(REPO, "RELEASE-4.19.0", &support, "cora-gh"),
        )
        .await;
    world.settle().await;
    let blocker = world.gh.open_issue(
        REPO,
        "rhea-gh",
        "PV guests crash",
        &["feature: x86/PV", "regression"],
    );
    world.issue_event(blocker, "opened", "rhea-gh").await;

    // A vote in flight.
    let vote = world
        .gh
        .open_issue(REPO, "nora-gh", "Adopt the new coding style", &[]);
    world.comment(vote, "cora-gh", "/pushgate vote 72h").await;

    // Pull requests: one waiting for acks, one approved, one closed.
    let waiting = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(waiting, 0, "failure").await;
    let ready = world.open_pr(NEWCOMER, &[("README", Some("docs\n"))]).await;
    world.approve(ready, "cora-gh").await;
    let closed = world
        .open_pr(NEWCOMER, &[("xen/arch/arm/setup.c", Some("y\n"))])
        .await;
    world.settle().await;
    world.gh.close_pr(REPO, closed);
    let (status, _) = world
        .send(
            "pull_request",
            &world.gh.pull_request_event(REPO, closed, "closed", None),
        )
        .await;
    assert_eq!(status, 202);
    world.settle().await;
    Played {
        vote,
        waiting,
        ready,
        closed,
        blocker,
    }
}

/// The dashboard's tables on `store` (SQLite or PostgreSQL): privacy recorded and changed,
/// closed pull requests left out, flights replaced by id and pruned to the newest `keep`.
pub async fn store_round_trip(store: &pushgate::store::Store) {
    use pushgate::core::gate::FlightRecord;
    use pushgate::store::{Evaluation, PullInfo, StoredFlight};
    let repo = "o/r";
    assert!(!store.is_public(repo).await.unwrap(), "unknown is private");
    store.note_repository(repo, false, 1).await.unwrap();
    assert!(store.is_public(repo).await.unwrap());
    store.note_repository(repo, true, 2).await.unwrap();
    assert!(!store.is_public(repo).await.unwrap());
    assert_eq!(
        store.repositories().await.unwrap(),
        vec![(repo.to_string(), true)]
    );
    for pr in [1, 2, 3] {
        store
            .save_evaluation(&Evaluation {
                repo: repo.into(),
                pr,
                head_sha: format!("h{pr}"),
                satisfied: pr == 1,
                summary: format!("title {pr}\nbody"),
                at: 5,
            })
            .await
            .unwrap();
    }
    let pull = |pr: i64, state: &str| PullInfo {
        repo: repo.into(),
        pr,
        title: format!("PR {pr}"),
        url: format!("https://github.com/o/r/pull/{pr}"),
        author: "nora".into(),
        state: state.into(),
    };
    store.note_pull(&pull(2, "open"), 6).await.unwrap();
    store.note_pull(&pull(3, "open"), 6).await.unwrap();
    store.note_pull(&pull(3, "closed"), 7).await.unwrap();
    let open = store.open_pulls(Some(repo)).await.unwrap();
    let shown: Vec<(i64, Option<String>)> = open
        .iter()
        .map(|p| (p.evaluation.pr, p.title.clone()))
        .collect();
    assert_eq!(shown, vec![(1, None), (2, Some("PR 2".to_string()))]);
    assert_eq!(store.open_pulls(Some("x/y")).await.unwrap().len(), 0);
    assert_eq!(store.pull_links(repo).await.unwrap().len(), 2);
    let flight = |id: u64, result: &str| StoredFlight {
        flight: FlightRecord {
            id,
            tip: format!("t{id}"),
            baseline: "b".into(),
            commits: 2,
            started_at: 10 * id as i64,
            finished_at: 10 * id as i64 + 5,
            result: result.into(),
            checks: vec!["test-unit".into(), "build".into()],
            culprit: Some("c".into()),
        },
        culprit_pull: Some(2),
        culprit_about: Some("#2 by Nora".into()),
    };
    for id in 1..=5 {
        store
            .record_flight(repo, &flight(id, "passed"), 3)
            .await
            .unwrap();
    }
    // The same flight again replaces its row.
    store
        .record_flight(repo, &flight(5, "regressed"), 3)
        .await
        .unwrap();
    let kept = store.flights(repo, 10).await.unwrap();
    let ids: Vec<u64> = kept.iter().map(|f| f.flight.id).collect();
    assert_eq!(ids, vec![5, 4, 3], "newest first, pruned to 3");
    assert_eq!(kept[0], flight(5, "regressed"));
    assert_eq!(store.flights(repo, 1).await.unwrap().len(), 1);
    assert!(store.flights("x/y", 10).await.unwrap().is_empty());
}
