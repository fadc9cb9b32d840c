//! PostgreSQL: the store and two service replicas on one database. Switched on by
//! `PUSHGATE_TEST_POSTGRES=postgres://user@host:port/db` (`.ci/run` sets it); when it is set
//! and the server cannot be reached these tests fail, they do not skip.

mod support;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use pushgate::service;
use pushgate::sim::endpoint;
use pushgate::store::{Authored, Decision, GovernanceEntry, NewDelivery, Note, Payload, Store};
use sqlx::any::AnyPoolOptions;
use support::*;

/// A fresh database on the test server, or None when PostgreSQL tests are off.
async fn fresh_database(tag: &str) -> Option<String> {
    let base = match std::env::var("PUSHGATE_TEST_POSTGRES") {
        Ok(url) if !url.trim().is_empty() => url,
        _ => {
            pushgate::corpus::skip(
                "PUSHGATE_TEST_POSTGRES is not set (a PostgreSQL URL turns these tests on)",
            );
            return None;
        }
    };
    sqlx::any::install_default_drivers();
    let admin = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&base)
        .await
        .unwrap_or_else(|e| panic!("PUSHGATE_TEST_POSTGRES is set but unreachable: {e}"));
    // Databases left by earlier runs of this file are dropped once they are an hour old
    // (their name ends in their creation time), so a run going on beside this one keeps its
    // own; the tests of this run keep theirs until a later run.
    let stale: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'pushgate\\_%'",
    )
    .fetch_all(&admin)
    .await
    .expect("list databases");
    let hour_ago = chrono::Utc::now().timestamp_micros() - 3_600_000_000;
    let old_enough = |name: &str| {
        name.rsplit('_')
            .next()
            .and_then(|t| t.parse::<i64>().ok())
            .is_some_and(|t| t < hour_ago)
    };
    for old in stale.iter().filter(|n| old_enough(n)) {
        // Another run's replica may still hold a connection: FORCE (PostgreSQL 13+).
        let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS \"{old}\" WITH (FORCE)"))
            .execute(&admin)
            .await;
    }
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queue_claims_in_order_one_per_repository() {
    let Some(url) = fresh_database("queue").await else {
        return;
    };
    let store = Store::connect(&url).await.expect("connect");
    assert!(store.is_postgres());
    store.ready().await.expect("migrated, so ready");
    let deliveries: Vec<NewDelivery> = (0..4)
        .map(|i| NewDelivery {
            delivery_id: format!("d{i}"),
            event: "issue_comment".to_string(),
            action: "created".to_string(),
            repo: if i % 2 == 0 { "a/x" } else { "b/y" }.to_string(),
            lane: if i % 2 == 0 { "a/x" } else { "b/y" }.to_string(),
            installation_id: 1,
            payload: Payload::pack(b"{}"),
        })
        .collect();
    assert_eq!(
        store.insert_deliveries(&deliveries, 0).await.unwrap(),
        [true; 4]
    );
    assert_eq!(
        store.insert_deliveries(&deliveries[..1], 0).await.unwrap(),
        [false]
    );
    let lease = Duration::from_secs(60);
    let first = store.claim("w1", 10, lease).await.unwrap().unwrap();
    let second = store.claim("w2", 10, lease).await.unwrap().unwrap();
    assert_eq!(
        (first.delivery_id.as_str(), second.delivery_id.as_str()),
        ("d0", "d1")
    );
    // The payload went in packed (BYTEA) and comes back as the JSON text.
    assert_eq!(first.payload, Ok("{}".to_string()));
    // Both repositories are held: nothing else may be claimed.
    assert_eq!(store.claim("w3", 10, lease).await.unwrap(), None);
    store.complete(first.id, "w1", 20).await.unwrap();
    let third = store.claim("w3", 30, lease).await.unwrap().unwrap();
    assert_eq!(third.delivery_id, "d2");
    // A lease that ran out can be taken over.
    let taken = store
        .claim("w4", 10 + 60_001, lease)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.delivery_id, "d1");
}

/// The claim's statements are index searches on PostgreSQL too, with a backlog the planner
/// takes seriously (20,000 pending over 50 lanes, analysed): no sequential scan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claiming_searches_indexes_with_a_backlog() {
    let Some(url) = fresh_database("plans").await else {
        return;
    };
    let store = Store::connect(&url).await.expect("connect");
    let deliveries: Vec<NewDelivery> = (0..20_000)
        .map(|i| NewDelivery {
            delivery_id: format!("d{i}"),
            event: "pull_request".to_string(),
            action: "synchronize".to_string(),
            repo: format!("xen/r{}", i % 50),
            lane: format!("xen/r{}#{}", i % 50, i % 7),
            installation_id: 1,
            payload: Payload::pack(b"{}"),
        })
        .collect();
    for chunk in deliveries.chunks(2_000) {
        store.insert_deliveries(chunk, 0).await.expect("insert");
    }
    let pool = AnyPoolOptions::new()
        .max_connections(1)
        .connect(&url)
        .await
        .expect("connect");
    sqlx::query("ANALYZE")
        .execute(&pool)
        .await
        .expect("analyse");
    let plans = store.claim_plans().await.expect("plans");
    assert_eq!(plans.len(), 7);
    for plan in plans {
        assert!(plan.contains("Index"), "{plan}");
        assert!(!plan.contains("Seq Scan"), "{plan}");
    }
}

/// The release targets and dashboard views (migration 0004) on PostgreSQL, and on SQLite for
/// comparison: the same answers from the same SQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_targets_and_views_answer_alike_on_both_stores() {
    let Some(url) = fresh_database("targets").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("t.db").display());
    for url in [url, sqlite] {
        let store = Store::connect(&url).await.expect("connect");
        let repo = "a/x";
        store
            .remember_release_target(repo, "pr:7", "p7", 1, 30)
            .await
            .unwrap();
        store
            .remember_release_target(repo, "tag:RELEASE-1", "t1", 1, 10)
            .await
            .unwrap();
        store
            .remember_release_target(repo, "branch:stable-1", "b1", 1, 20)
            .await
            .unwrap();
        // An update moves the target's commit; tags and branches come before pull requests.
        store
            .remember_release_target(repo, "tag:RELEASE-1", "t1b", 1, 40)
            .await
            .unwrap();
        let targets = store.release_targets(repo, 10).await.unwrap();
        let want = [
            ("tag:RELEASE-1", "t1b"),
            ("branch:stable-1", "b1"),
            ("pr:7", "p7"),
        ];
        let got: Vec<(&str, &str)> = targets
            .iter()
            .map(|(t, s)| (t.as_str(), s.as_str()))
            .collect();
        assert_eq!(got, want, "{url}");
        assert_eq!(store.release_targets(repo, 1).await.unwrap().len(), 1);
        store.forget_release_target(repo, "pr:7").await.unwrap();
        assert_eq!(store.release_targets(repo, 10).await.unwrap().len(), 2);

        assert_eq!(store.view(repo, "release").await.unwrap(), None);
        store
            .save_view(repo, "release", "{\"a\":1}", 5)
            .await
            .unwrap();
        store
            .save_view(repo, "release", "{\"a\":2}", 6)
            .await
            .unwrap();
        assert_eq!(
            store.view(repo, "release").await.unwrap(),
            Some(("{\"a\":2}".to_string(), 6))
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_process_each_delivery_once_in_order_per_repository() {
    let Some(url) = fresh_database("replicas").await else {
        return;
    };
    let world = World::with_database(CONFIG, &url).await;
    let second = service::start(settings(&url, &world.api, "replica-b"))
        .await
        .expect("second replica");

    // Three repositories, one PR each, and a burst of comments on each.
    let mut prs = Vec::new();
    for name in ["xen-like/one", "xen-like/two", "xen-like/three"] {
        world.gh.add_repo(INSTALLATION, name, "staging");
        world.gh.commit(
            name,
            "staging",
            ("C", "cora@rest.example", "cora-gh"),
            "init",
            &[
                ("MAINTAINERS", Some(MAINTAINERS)),
                (".github/pushgate.toml", Some(CONFIG)),
                (SHADOW, Some("a\n")),
            ],
        );
        let base = world.gh.branch_tip(name, "staging").unwrap();
        world.gh.create_branch(name, "topic", &base);
        world
            .gh
            .commit(name, "topic", NEWCOMER, "change", &[(SHADOW, Some("b\n"))]);
        let pr = world
            .gh
            .open_pr(name, NEWCOMER.2, "topic", "staging", "change");
        prs.push((name, pr));
    }
    let per_repo = 8;
    let mut sent: HashMap<&str, Vec<String>> = HashMap::new();
    let urls = [
        world.url("/webhook"),
        format!("http://{}/webhook", second.addr),
    ];
    for round in 0..per_repo {
        for (i, (name, pr)) in prs.iter().enumerate() {
            let comment = world
                .gh
                .add_comment(name, *pr, "someone", &format!("comment {round}"));
            let payload = world.gh.issue_comment_event(name, *pr, comment);
            let body = serde_json::to_vec(&payload).unwrap();
            let id = format!("{name}-{round}");
            // Alternate replicas, as a load balancer would.
            let url = &urls[(round + i) % 2];
            let status = post_webhook(&world.http, url, "issue_comment", &id, body, SECRET).await;
            assert_eq!(status, 202);
            sent.entry(name).or_default().push(id);
        }
    }
    let store = world.service().store.clone();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let depth = store.depth().await.unwrap();
        if depth.pending == 0 {
            assert_eq!(depth.failed, 0);
            break;
        }
        assert!(Instant::now() < deadline, "still pending: {depth:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut evaluated = 0;
    for (name, ids) in &sent {
        assert_eq!(
            &store.processed_order(name).await.unwrap(),
            ids,
            "order in {name}"
        );
        for (i, id) in ids.iter().enumerate() {
            let (state, attempts, note) = store.delivery_state(id).await.unwrap().unwrap();
            assert_eq!(state, "done", "{id}");
            match note {
                // Ran once.
                None => {
                    assert_eq!(attempts, 1, "{id}");
                    evaluated += 1;
                }
                // Collapsed into a later comment of its pull request (claimed once, or never
                // claimed when it was behind the one claimed).
                Some(note) => {
                    let into = note.strip_prefix("coalesced into ").unwrap_or_default();
                    assert!(
                        ids[i + 1..].iter().any(|later| later == into),
                        "{id}: {note}"
                    );
                    assert!(attempts <= 1, "{id}");
                }
            }
        }
        // The verdict never changed, so it was posted once.
        assert_eq!(world.gh.check_runs(name).len(), 1, "check runs in {name}");
    }
    // Each evaluation of a comment fetches its pull request once, plus once more after each
    // reading of its files (to see that the head did not move meanwhile): nothing was
    // processed twice.
    assert_eq!(
        world.gh.calls(endpoint::PULL),
        evaluated + world.gh.calls(endpoint::PULL_FILES)
    );
    second.shutdown(Duration::from_secs(5)).await;
}

/// The authored text of comments follows only its author, alike on both stores.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authored_comments_answer_alike_on_both_stores() {
    let Some(url) = fresh_database("authored").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("a.db").display());
    for url in [url, sqlite] {
        let store = Store::connect(&url).await.expect("connect");
        let written = |id: i64, body: &str| Authored {
            kind: "issue".to_string(),
            id,
            author: "mia-gh".to_string(),
            body: body.to_string(),
            created_at: 10,
            edited: false,
            deleted: false,
        };
        let repo = "a/x";
        store
            .comment_written(repo, 5, &written(1, "Nacked-by: Mia"))
            .await
            .unwrap();
        store
            .comment_written(repo, 5, &written(1, "forged"))
            .await
            .unwrap();
        store
            .comment_edited_by_author(repo, 5, &written(1, "Acked-by: Mia"))
            .await
            .unwrap();
        store
            .comment_deleted(repo, 5, &written(1, ""), false)
            .await
            .unwrap();
        store
            .comment_written(repo, 5, &written(2, "/ack"))
            .await
            .unwrap();
        store
            .comment_deleted(repo, 5, &written(2, "/ack"), true)
            .await
            .unwrap();
        let got = store.authored_comments(repo, 5).await.unwrap();
        let want = Authored {
            edited: true,
            deleted: true,
            ..written(1, "Acked-by: Mia")
        };
        assert_eq!(got, [want], "{url}");
    }
}

/// Coalescing on PostgreSQL: the run's notes recorded and the run marked done in one
/// transaction, nothing when the lease was lost, the survivor the lane's head; the queue depth
/// counted per state.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coalescing_records_the_notes_and_marks_the_run_done_on_postgres() {
    let Some(url) = fresh_database("coalesce").await else {
        return;
    };
    let store = Store::connect(&url).await.expect("connect");
    let deliveries: Vec<NewDelivery> = (0..4)
        .map(|i| NewDelivery {
            delivery_id: format!("d{i}"),
            event: "issue_comment".to_string(),
            action: "created".to_string(),
            repo: "xen/xen".to_string(),
            lane: "xen/xen#5".to_string(),
            installation_id: 1,
            payload: Payload::pack(b"{}"),
        })
        .collect();
    store.insert_deliveries(&deliveries, 0).await.unwrap();
    let head = store
        .claim("w", 0, Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    let behind = store.behind("xen/xen#5", head.id, 2).await.unwrap();
    assert_eq!(behind.len(), 2);
    let notes = [Note::Push {
        pr: 5,
        head_sha: "a".into(),
        at: 10,
    }];
    let run = [behind[0].id];
    let into = (behind[1].id, "d2");
    assert!(store
        .coalesce_into(head.id, "other", &run, "xen/xen", &notes, into, 5, 30_000)
        .await
        .unwrap()
        .is_none());
    assert!(store.pushes("xen/xen", 5).await.unwrap().is_empty());
    let held = store
        .coalesce_into(head.id, "w", &run, "xen/xen", &notes, into, 5, 30_000)
        .await
        .unwrap()
        .expect("the run's last, held");
    assert_eq!((held.delivery_id.as_str(), held.attempts), ("d2", 1));
    assert_eq!(
        store.pushes("xen/xen", 5).await.unwrap(),
        [("a".to_string(), 10)]
    );
    let (state, _, note) = store.delivery_state("d1").await.unwrap().unwrap();
    assert_eq!(
        (state.as_str(), note.as_deref()),
        ("done", Some("coalesced into d2"))
    );
    // Held by the worker that coalesced: nobody else claims the lane until that lease ends.
    assert_eq!(
        store.claim("v", 10, Duration::from_secs(30)).await.unwrap(),
        None
    );
    let next = store
        .claim("v", 30_000, Duration::from_secs(30))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((next.delivery_id.as_str(), next.attempts), ("d2", 2));
    let depth = store.depth().await.unwrap();
    assert_eq!((depth.pending, depth.failed), (2, 0));
    assert_eq!(store.done_count().await.unwrap(), 2);
}

/// Votes and lazy consensus (migration 0009) answer alike on both stores: open once, due at
/// their deadline, closed once, and logged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn decisions_answer_alike_on_both_stores() {
    let Some(url) = fresh_database("decisions").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("d.db").display());
    for url in [url, sqlite] {
        let store = Store::connect(&url).await.expect("connect");
        let vote = |id: i64, number: i64, deadline: i64| Decision {
            repo: "a/x".into(),
            id,
            number,
            pull: true,
            installation_id: 9,
            kind: "vote".into(),
            scheme: "majority".into(),
            quorum: 2,
            opened_by: "cora-gh".into(),
            opened_at: 10,
            deadline,
            branch: "main".into(),
            asked: Vec::new(),
            tally_comment: None,
            state: "open".into(),
            result: None,
            closed_at: None,
        };
        assert!(
            store.open_decision(&vote(1, 5, 100)).await.unwrap(),
            "{url}"
        );
        assert!(
            !store.open_decision(&vote(1, 5, 999)).await.unwrap(),
            "{url}"
        );
        store.open_decision(&vote(2, 6, 300)).await.unwrap();
        store.set_tally_comment("a/x", 1, 44).await.unwrap();
        let due: Vec<(i64, Option<i64>, bool)> = store
            .due_decisions(200)
            .await
            .unwrap()
            .into_iter()
            .map(|d| (d.id, d.tally_comment, d.pull))
            .collect();
        assert_eq!(due, [(1, Some(44), true)], "{url}");
        assert!(store
            .close_decision("a/x", 1, "rejected", "t", 201)
            .await
            .unwrap());
        assert!(!store
            .close_decision("a/x", 1, "passed", "t", 202)
            .await
            .unwrap());
        assert!(
            store.open_decision_on("a/x", 5).await.unwrap().is_none(),
            "{url}"
        );
        assert_eq!(
            store
                .open_decision_on("a/x", 6)
                .await
                .unwrap()
                .map(|d| d.id),
            Some(2)
        );
        store
            .log_governance(&GovernanceEntry {
                repo: "a/x".into(),
                number: 5,
                decision: 1,
                at: 201,
                who: "pushgate".into(),
                what: "vote rejected".into(),
            })
            .await
            .unwrap();
        let log = store.governance_log("a/x").await.unwrap();
        assert_eq!(log.len(), 1, "{url}");
        let states: Vec<String> = store
            .decisions("a/x")
            .await
            .unwrap()
            .into_iter()
            .map(|d| d.state)
            .collect();
        assert_eq!(states, ["open", "rejected"], "{url}");
    }
}

/// A pull request's lock (`Store::lock_pull`) holds across replicas: another replica waits
/// for it, and the lock of another pull request does not.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_requests_lock_holds_across_replicas() {
    let Some(url) = fresh_database("pull_lock").await else {
        return;
    };
    let a = Store::connect(&url).await.expect("connect");
    let b = Store::connect(&url).await.expect("connect");
    let held = a.lock_pull(REPO, 7).await.expect("lock");
    let other = b
        .lock_pull(REPO, 8)
        .await
        .expect("another pull request's lock");
    other.release().await;
    let waiting = tokio::spawn(async move {
        let guard = b.lock_pull(REPO, 7).await.expect("lock");
        guard.release().await;
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "the lock was taken twice");
    held.release().await;
    tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the lock is given back")
        .expect("task");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embargoes_answer_alike_on_both_stores() {
    use pushgate::store::Embargo;
    let Some(url) = fresh_database("embargoes").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("e.db").display());
    for url in [url, sqlite] {
        let store = Store::connect(&url).await.expect("connect");
        let hold = |number: i64, command: i64, until: i64| Embargo {
            repo: "a/x".into(),
            number,
            installation_id: 9,
            until,
            state: Embargo::HELD.into(),
            command,
            set_by: "sec-gh".into(),
            set_by_id: 3,
            set_at: 10,
            branch: "main".into(),
            ended_at: None,
        };
        assert!(store.hold_embargo(&hold(5, 1, 100)).await.unwrap(), "{url}");
        assert!(
            !store.hold_embargo(&hold(5, 1, 100)).await.unwrap(),
            "{url}"
        );
        assert!(store.hold_embargo(&hold(6, 2, 400)).await.unwrap());
        assert!(store.hold_embargo(&hold(6, 3, 300)).await.unwrap(), "{url}");
        let due: Vec<i64> = store
            .due_embargoes(200)
            .await
            .unwrap()
            .into_iter()
            .map(|e| e.number)
            .collect();
        assert_eq!(due, [5], "{url}");
        assert!(!store.end_embargo("a/x", 6, 2, "lifted", 201).await.unwrap());
        assert!(store
            .end_embargo("a/x", 5, 1, "expired", 201)
            .await
            .unwrap());
        let shown: Vec<(i64, i64)> = store
            .embargoes_in_flight("a/x")
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.number, e.until))
            .collect();
        assert_eq!(shown, [(6, 300)], "{url}");
        let ended = store.embargo("a/x", 5).await.unwrap().unwrap();
        assert_eq!(
            (ended.state.as_str(), ended.ended_at),
            ("expired", Some(201))
        );
    }
}

/// An embargo set on one process lands at its time on PostgreSQL, through the real service.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embargo_lands_at_its_time_on_postgres() {
    let Some(url) = fresh_database("embargo_lands").await else {
        return;
    };
    let world = World::with_database(CONFIG, &url).await;
    let base = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.create_branch(REPO, "fix", &base);
    world.gh.commit(
        REPO,
        "fix",
        NEWCOMER,
        "x86/shadow: fix\n\nSigned-off-by: Nora Newcomer <nora@new.example>\n",
        &[(SHADOW, Some("int fixed;\n"))],
    );
    let pr = world.open_branch_pr("fix", "x86/shadow: fix").await;
    world.approve(pr, "sha-gh").await;
    world.comment(pr, "xavier-gh", "/ack").await;
    let until = (world.service().clock.now() + 3600 + 59) / 60 * 60;
    let written = pushgate::core::text::utc(until);
    world
        .comment(pr, "cora-gh", &format!("/pushgate embargo {written}"))
        .await;
    world.comment(pr, "quinn-gh", "/pushgate merge").await;
    assert_eq!(world.gh.branch_tip(REPO, "staging").unwrap(), base);
    world.service().clock.advance(3700);
    wait_until("staging to move", || {
        world.gh.branch_tip(REPO, "staging").unwrap() != base
    })
    .await;
    world.settle().await;
    assert_eq!(world.gh.pr_state(REPO, pr), "closed");
}

#[path = "dashboard_story/mod.rs"]
mod dashboard_story;

#[tokio::test]
async fn the_dashboards_tables_on_postgres() {
    let Some(url) = fresh_database("dashboard").await else {
        return;
    };
    let store = Store::connect(&url).await.expect("connect");
    dashboard_story::store_round_trip(&store).await;
}

/// Advisories (migration 0012) answer alike on both stores, and a reminder reaches the
/// security team once through the real service on PostgreSQL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn advisories_answer_alike_on_both_stores_and_remind_on_postgres() {
    use pushgate::store::Advisory;
    let Some(url) = fresh_database("advisories").await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let sqlite = format!("sqlite://{}", dir.path().join("a.db").display());
    for url in [url.clone(), sqlite] {
        let store = Store::connect(&url).await.expect("connect");
        let tracked = |name: &str, next_at: Option<i64>| Advisory {
            repo: "a/x".into(),
            name: name.into(),
            number: 4,
            installation_id: 9,
            private: true,
            reported_at: 100,
            fix_due: 200,
            predisclose_at: Some(300),
            disclose_at: Some(400),
            remind_before: 10,
            started_by: "sec-gh".into(),
            command: 11,
            started_at: 100,
            branch: "main".into(),
            status_comment: None,
            done: Vec::new(),
            next_at,
        };
        store
            .put_advisory(&tracked("XSA-1", Some(190)))
            .await
            .unwrap();
        store.put_advisory(&tracked("XSA-2", None)).await.unwrap();
        store.set_advisory_comment("a/x", "XSA-1", 5).await.unwrap();
        let due: Vec<String> = store
            .due_advisories(195)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(due, ["XSA-1"], "{url}");
        assert!(store
            .advisory_step_done("a/x", "XSA-1", "fix-due@200", Some(290))
            .await
            .unwrap());
        assert!(!store
            .advisory_step_done("a/x", "XSA-1", "fix-due@200", Some(290))
            .await
            .unwrap());
        let a = store.advisory("a/x", "XSA-1").await.unwrap().unwrap();
        assert_eq!(
            (a.private, a.done, a.next_at, a.status_comment),
            (true, vec!["fix-due@200".to_string()], Some(290), Some(5)),
            "{url}"
        );
        assert!(store.embargo_advisory("a/x", 6).await.unwrap().is_none());
        assert!(store
            .advisory_embargoes("a/x", "XSA-1")
            .await
            .unwrap()
            .is_empty());
    }

    let config = format!("{CONFIG}\n[governance]\nsecurity_team = [\"sec-gh\"]\n");
    let world = World::with_database(&config, &url).await;
    let issue = world.gh.open_issue(REPO, "sec-gh", "Guest escape", &[]);
    world
        .comment(issue, "sec-gh", "/pushgate advisory XSA-5")
        .await;
    let reminders = || {
        world
            .gh
            .comments_on(REPO, issue)
            .into_iter()
            .filter(|c| c.body.contains("@sec-gh: reminder: the fix for **XSA-5**"))
            .count()
    };
    world.service().clock.advance(6 * 86_400 + 60);
    wait_until("the reminder", || reminders() == 1).await;
    world.settle().await;
    world.service().clock.advance(3600);
    tokio::time::sleep(Duration::from_millis(400)).await;
    world.settle().await;
    assert_eq!(reminders(), 1);
}
