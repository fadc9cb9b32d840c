//! The GitHub App end to end: signed webhooks into the real router, the real worker and
//! SQLite store, against the fake GitHub. Each test reads like a story from SPEC §2 and §8.

mod support;

use std::time::Duration;

use pushgate::sim::{endpoint, Fault, ReviewState};
use serde_json::{json, Value};
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_ack_fails_then_maintainer_approval_passes() {
    let world = World::new(CONFIG).await;
    let pr = world
        .open_pr(NEWCOMER, &[(SHADOW, Some("int shadow = 1;\n"))])
        .await;
    let check = world.wait_check(pr, 0, "failure").await;
    let summary = check.summary.unwrap_or_default();
    assert!(summary.contains("X86 SHADOW PAGETABLES"), "{summary}");
    assert!(summary.contains("@sha-gh"), "{summary}");
    assert!(summary.contains("❌ missing"), "{summary}");
    wait_until("the missing label", || {
        world.gh.labels_on(REPO, pr) == ["acks: missing"]
    })
    .await;

    let review = world
        .gh
        .add_review(REPO, pr, "sha-gh", ReviewState::Approved, "Looks right");
    let (status, _) = world
        .send(
            "pull_request_review",
            &world.gh.review_event(REPO, pr, review),
        )
        .await;
    assert_eq!(status, 202);
    let check = world.wait_check(pr, 1, "success").await;
    assert!(check
        .summary
        .unwrap_or_default()
        .contains("✅ acked by @sha-gh"));
    wait_until("labels to flip", || {
        world.gh.labels_on(REPO, pr) == ["acks: complete"]
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_ack_comment_by_the_maintainer_counts() {
    let world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    world.comment(pr, "sha-gh", "Fine by me.\n/ack").await;
    world.wait_check(pr, 1, "success").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_or_missing_secret_is_401_and_nothing_is_stored() {
    let world = World::new(CONFIG).await;
    let payload = json!({"action": "opened"});
    let wrong = world
        .send_as("pull_request", &payload, "bad-1", b"not the secret")
        .await;
    assert_eq!(wrong, 401);
    let unsigned = world
        .http
        .post(world.url("/webhook"))
        .header("x-github-event", "ping")
        .header("x-github-delivery", "bad-2")
        .body("{}")
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(unsigned.as_u16(), 401);
    let store = &world.service().store;
    assert_eq!(store.delivery_state("bad-1").await.unwrap(), None);
    assert_eq!(store.delivery_state("bad-2").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_json_is_400_and_oversized_body_is_413() {
    let world = World::new(CONFIG).await;
    let status = world
        .send_raw("push", b"{not json".to_vec(), "bad-json", SECRET)
        .await;
    assert_eq!(status, 400);
    let huge = vec![b' '; 25 * 1024 * 1024 + 1];
    let status = world.send_raw("push", huge, "huge", SECRET).await;
    assert_eq!(status, 413);
    assert_eq!(
        world
            .service()
            .store
            .delivery_state("bad-json")
            .await
            .unwrap(),
        None
    );
}

/// A signed payload whose fields have types GitHub never sends (here a comment id that is a
/// string) is stored, then failed once with the field named, never retried nor half-handled;
/// the pull request's next delivery is judged as usual.
/// Sends `payload` as a signed `pull_request_review` delivery `id`, waits for the queue, and
/// reads what the store says of it: state, attempts, error (empty when none).
async fn review_stored_as(world: &World, payload: &Value, id: &str) -> (String, i64, String) {
    let status = world
        .send_as("pull_request_review", payload, id, SECRET)
        .await;
    assert_eq!(status, 202, "{id}");
    world.settle().await;
    let (state, attempts, error) = world
        .service()
        .store
        .delivery_state(id)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("delivery {id} was not stored"));
    (state, attempts, error.unwrap_or_default())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payload_of_the_wrong_shape_fails_once_naming_the_field() {
    let world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    world.settle().await;
    let runs = world.acks_count();
    let mut payload = world.approval(pr, "sha-gh");
    payload["review"]["id"] = json!("seven");
    let (state, attempts, error) = review_stored_as(&world, &payload, "misshapen").await;
    assert_eq!((state.as_str(), attempts), ("failed", 1));
    assert!(
        error.contains("cannot be read") && error.contains("review.id"),
        "{error}"
    );
    assert_eq!(world.acks_count(), runs, "nothing was judged on its word");
    let good = world.approval(pr, "sha-gh");
    world.send("pull_request_review", &good).await;
    world.wait_check(pr, runs, "success").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repository_name_github_would_refuse_reaches_no_url() {
    let world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    world.settle().await;
    let (runs, calls) = (world.acks_count(), world.gh.calls_total());
    for (id, name) in [
        ("dotted", "xen/../admin"),
        ("queried", "xen/xen?per_page=1"),
    ] {
        let mut payload = world.approval(pr, "sha-gh");
        payload["repository"]["full_name"] = json!(name);
        let (state, _, error) = review_stored_as(&world, &payload, id).await;
        assert_eq!(state, "failed", "{name}: {error}");
        assert!(error.contains("is not a repository name"), "{error}");
    }
    assert_eq!(
        world.gh.calls_total(),
        calls,
        "GitHub was asked about a made-up path"
    );
    assert_eq!(world.acks_count(), runs);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_delivery_is_acknowledged_and_not_processed_again() {
    let world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    let payload = world.approval(pr, "sha-gh");
    assert_eq!(
        world
            .send_as("pull_request_review", &payload, "same-id", SECRET)
            .await,
        202
    );
    world.wait_check(pr, 1, "success").await;
    world.settle().await;
    let runs = world.acks_count();
    assert_eq!(
        world
            .send_as("pull_request_review", &payload, "same-id", SECRET)
            .await,
        202
    );
    world.settle().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        world.acks_count(),
        runs,
        "a replay must not be processed again"
    );
    let (state, attempts, _) = world
        .service()
        .store
        .delivery_state("same-id")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((state.as_str(), attempts), ("done", 1));
}

/// A delivery the database refuses is not acknowledged: GitHub records the 503, and the
/// redelivery, once the database takes writes again, is stored and processed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_the_database_refuses_is_503_and_its_redelivery_is_processed() {
    let world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    // The database itself refuses new deliveries, as a full disk would.
    let pool = sqlx::SqlitePool::connect(&world.database_url)
        .await
        .expect("second connection");
    let refuse = "CREATE TRIGGER refuse BEFORE INSERT ON deliveries \
                  BEGIN SELECT RAISE(ABORT, 'no space left'); END";
    sqlx::query(refuse).execute(&pool).await.expect("trigger");
    let payload = world.approval(pr, "sha-gh");
    assert_eq!(
        world
            .send_as("pull_request_review", &payload, "refused", SECRET)
            .await,
        503
    );
    let store = &world.service().store;
    assert_eq!(store.delivery_state("refused").await.unwrap(), None);
    sqlx::query("DROP TRIGGER refuse")
        .execute(&pool)
        .await
        .expect("drop trigger");
    pool.close().await;
    assert_eq!(
        world
            .send_as("pull_request_review", &payload, "refused", SECRET)
            .await,
        202
    );
    world.wait_check(pr, 1, "success").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn non_maintainer_comment_acked_by_a_maintainer_does_not_count() {
    let world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    world
        .comment(pr, "mallory", "Acked-by: Sha Dow <sha@shadow.example>")
        .await;
    // Processed: had it counted, the verdict would have changed and been posted.
    let check = world.acks(pr).expect("check run");
    assert_eq!(check.conclusion.as_deref(), Some("failure"));
    assert!(check.summary.unwrap_or_default().contains("❌ missing"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_acked_by_trailer_in_a_pr_commit_is_only_a_claim() {
    let world = World::new(CONFIG).await;
    let branch = "forged";
    let base = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.create_branch(REPO, branch, &base);
    world.gh.commit(
        REPO,
        branch,
        NEWCOMER,
        "Tweak shadow\n\nSigned-off-by: Nora <nora@new.example>\nAcked-by: Sha Dow <sha@shadow.example>\n",
        &[(SHADOW, Some("y\n"))],
    );
    let pr = world
        .gh
        .open_pr(REPO, NEWCOMER.2, branch, "staging", "Tweak");
    world
        .send(
            "pull_request",
            &world.gh.pull_request_event(REPO, pr, "opened", None),
        )
        .await;
    let check = world.wait_check(pr, 0, "failure").await;
    let summary = check.summary.unwrap_or_default();
    assert!(
        summary.contains("Unverified claims in commits"),
        "{summary}"
    );
    assert!(
        summary.contains("Acked-by: Sha Dow <sha@shadow.example>"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn author_acking_own_pr_for_a_section_they_do_not_maintain_fails() {
    let world = World::new(CONFIG).await;
    // Rhea is only an R: reviewer of x86; the shadow file needs Sha or Twin.
    let rhea = ("Rhea Reviewer", "rhea@review.example", "rhea-gh");
    let pr = world.open_pr(rhea, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    world.comment(pr, "rhea-gh", "/ack").await;
    let check = world.acks(pr).expect("check run");
    assert_eq!(check.conclusion.as_deref(), Some("failure"));
    assert!(check.summary.unwrap_or_default().contains("❌ missing"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pr_adding_its_author_to_maintainers_is_judged_by_the_base_version() {
    let world = World::new(CONFIG).await;
    let edited = MAINTAINERS.replace(
        "X86 SHADOW PAGETABLES\nM:\tSha Dow <sha@shadow.example>",
        "X86 SHADOW PAGETABLES\nM:\tNora Newcomer <nora@new.example>\nM:\tSha Dow <sha@shadow.example>",
    );
    assert_ne!(edited, MAINTAINERS);
    let config = format!("{CONFIG}\"nora@new.example\" = \"nora-gh\"\n");
    let pr = world
        .open_pr(
            NEWCOMER,
            &[
                ("MAINTAINERS", Some(&edited)),
                (".github/pushgate.toml", Some(&config)),
                (SHADOW, Some("mine now\n")),
            ],
        )
        .await;
    let check = world.wait_check(pr, 0, "failure").await;
    let summary = check.summary.unwrap_or_default();
    assert!(summary.contains("edits `MAINTAINERS`"), "{summary}");
    assert!(summary.contains("X86 SHADOW PAGETABLES"), "{summary}");
    assert!(summary.contains("❌ missing"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pr_editing_the_config_to_drop_requirements_changes_nothing() {
    let world = World::new(CONFIG).await;
    // Trusting commit trailers would let the forged trailer below count.
    let relaxed = format!(
        "{}\ntrust_commit_trailers = true\n",
        CONFIG.replace("[acks]\n", "[acks]\ngeneral_stand_in = true")
    );
    let branch = "relax";
    let base = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.create_branch(REPO, branch, &base);
    world.gh.commit(
        REPO,
        branch,
        NEWCOMER,
        "Relax\n\nAcked-by: Sha Dow <sha@shadow.example>\n",
        &[
            (".github/pushgate.toml", Some(&relaxed)),
            (SHADOW, Some("z\n")),
        ],
    );
    let pr = world
        .gh
        .open_pr(REPO, NEWCOMER.2, branch, "staging", "Relax");
    world
        .send(
            "pull_request",
            &world.gh.pull_request_event(REPO, pr, "opened", None),
        )
        .await;
    let check = world.wait_check(pr, 0, "failure").await;
    let summary = check.summary.unwrap_or_default();
    assert!(
        summary.contains("edits `.github/pushgate.toml`"),
        "{summary}"
    );
    assert!(summary.contains("Unverified claims"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_config_in_a_pr_is_reported_with_its_line() {
    let world = World::new(CONFIG).await;
    let broken = "[acks]\nmin_open = \"soon\"\n";
    let pr = world
        .open_pr(NEWCOMER, &[(".github/pushgate.toml", Some(broken))])
        .await;
    let check = world.wait_check(pr, 0, "failure").await;
    let summary = check.summary.unwrap_or_default();
    assert!(summary.contains(".github/pushgate.toml:2"), "{summary}");
    assert!(summary.contains("not a duration"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_config_on_the_base_branch_fails_the_check_naming_the_line() {
    let world = World::new("[acks]\nmin_opn = \"1h\"\n").await;
    let pr = world.open_pr(NEWCOMER, &[("README", Some("hi\n"))]).await;
    let check = world.wait_check(pr, 0, "failure").await;
    let summary = check.summary.unwrap_or_default();
    assert!(summary.contains(".github/pushgate.toml:2"), "{summary}");
    assert!(summary.contains("unknown field `min_opn`"), "{summary}");
}

/// A freeze time that does not parse used to turn the freeze off without a word.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_misspelt_freeze_time_fails_the_check_naming_the_line() {
    let config = format!("{CONFIG}\n[release]\nfreeze_start = \"2026-13-01T00:00:00Z\"\n");
    let line = config.lines().count();
    let world = World::new(&config).await;
    let pr = world.open_pr(NEWCOMER, &[("README", Some("hi\n"))]).await;
    let check = world.wait_check(pr, 0, "failure").await;
    let summary = check.summary.unwrap_or_default();
    assert!(
        summary.contains(&format!(".github/pushgate.toml:{line}:16")),
        "{summary}"
    );
    assert!(summary.contains("not an RFC 3339 time"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn review_window_holds_the_check_and_a_wakeup_releases_it() {
    let config = CONFIG.replace("min_open = \"0s\"", "min_open = \"1h\"");
    let world = World::new(&config).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    world.approve(pr, "sha-gh").await;
    let check = world.wait_check(pr, 1, "failure").await;
    assert!(check.summary.unwrap_or_default().contains("ready at"));
    // Two hours pass: the scheduled wake-up re-evaluates without any webhook.
    world.service().clock.advance(2 * 3600);
    world.wait_check(pr, 2, "success").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn push_touching_the_ackers_files_dismisses_the_ack() {
    let world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.approve(pr, "sha-gh").await;
    world.wait_check(pr, 0, "success").await;
    let before = world.gh.pr_head(REPO, pr);
    world.gh.advance(60);
    world.service().clock.advance(60);
    world
        .gh
        .push_to_pr(REPO, pr, NEWCOMER, "more", &[(SHADOW, Some("x2\n"))]);
    let runs = world.acks_count();
    world
        .send(
            "pull_request",
            &world
                .gh
                .pull_request_event(REPO, pr, "synchronize", Some(&before)),
        )
        .await;
    let check = world.wait_check(pr, runs, "failure").await;
    assert!(check
        .summary
        .unwrap_or_default()
        .contains("dismissed by later pushes"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_failing_a_share_of_calls_still_ends_right() {
    let world = World::new(CONFIG).await;
    world.gh.inject(Fault::server_error().every(3));
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    world.approve(pr, "sha-gh").await;
    world.wait_check(pr, 1, "success").await;
    world.gh.clear_faults();
    let metrics = world.metrics().await;
    assert!(
        metrics.contains("pushgate_github_calls_total{outcome=\"server_error\"}"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_with_retry_after_is_honoured() {
    let world = World::new(CONFIG).await;
    world.gh.inject(
        Fault::too_many_requests(1)
            .on(endpoint::PULL_FILES)
            .times(1),
    );
    world
        .gh
        .inject(Fault::secondary_limit(1).on(endpoint::GIT_TREE).times(1));
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    let metrics = world.metrics().await;
    assert!(
        metrics.contains("pushgate_github_calls_total{outcome=\"rate_limited\"} 2"),
        "{metrics}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_stored_before_a_crash_is_processed_once_after_restart() {
    let mut world = World::new(CONFIG).await;
    // A process that stores deliveries but dies before any worker gets to them.
    world.service.take().unwrap().kill();
    let mut storing_only = settings(&world.database_url, &world.api, "first");
    storing_only.workers = 0;
    world.service = Some(pushgate::service::start(storing_only).await.unwrap());
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    let depth = world.service().store.depth().await.unwrap();
    assert_eq!(depth.pending, 1, "stored before the 202");
    world.service.take().unwrap().kill();
    assert_eq!(world.acks_count(), 0);

    let restarted = pushgate::service::start(settings(&world.database_url, &world.api, "second"))
        .await
        .unwrap();
    world.service = Some(restarted);
    world.wait_check(pr, 0, "failure").await;
    world.settle().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(world.acks_count(), 1, "processed exactly once");
}

/// After a crash, a service restarted on SQLite (one process per database file) takes over
/// the leases its dead predecessor held at once, not when they run out.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_on_sqlite_takes_over_the_dead_leases_at_once() {
    let mut world = World::new(CONFIG).await;
    world.service.take().unwrap().kill();
    let mut first = settings(&world.database_url, &world.api, "first");
    first.lease = Duration::from_secs(600);
    world.service = Some(pushgate::service::start(first).await.unwrap());
    // GitHub hangs on the pull request's files: the delivery is in hand when the process dies.
    world
        .gh
        .inject(Fault::delay(Duration::from_secs(60)).on(endpoint::PULL_FILES));
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    wait_until("the files to be asked for", || {
        world.gh.calls(endpoint::PULL_FILES) >= 1
    })
    .await;
    world.service.take().unwrap().kill();
    world.gh.clear_faults();
    assert_eq!(world.acks_count(), 0);
    let mut second = settings(&world.database_url, &world.api, "second");
    second.lease = Duration::from_secs(600);
    world.service = Some(pushgate::service::start(second).await.unwrap());
    world.wait_check(pr, 0, "failure").await;
}

/// Processed deliveries are deleted once older than `keep_done`, from start-up on; younger
/// ones, and pending and failed ones of any age, stay.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_processed_deliveries_are_deleted_and_the_rest_kept() {
    let mut world = World::new(CONFIG).await;
    world.service.take().unwrap().kill();
    let pool = sqlx::SqlitePool::connect(&world.database_url)
        .await
        .expect("second connection");
    let day = 86_400_000_i64;
    let now = chrono::Utc::now().timestamp_millis();
    // (delivery id, state, processed how many days ago)
    let rows = [
        ("done-40-days-ago", "done", Some(40)),
        ("done-20-days-ago", "done", Some(20)),
        ("failed-40-days-ago", "failed", Some(40)),
        ("pending", "pending", None),
    ];
    for (id, state, age) in rows {
        sqlx::query(
            "INSERT INTO deliveries (delivery_id, event, repo, payload, received_at, state, \
             processed_at) VALUES ($1, 'ping', 'xen/other', '{}', 0, $2, $3)",
        )
        .bind(id)
        .bind(state)
        .bind(age.map(|days: i64| now - days * day))
        .execute(&pool)
        .await
        .expect("insert");
    }
    pool.close().await;
    let mut keeping_30_days = settings(&world.database_url, &world.api, "pruner");
    keeping_30_days.workers = 0;
    world.service = Some(pushgate::service::start(keeping_30_days).await.unwrap());
    let store = &world.service().store;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while store
        .delivery_state("done-40-days-ago")
        .await
        .unwrap()
        .is_some()
    {
        assert!(std::time::Instant::now() < deadline, "never deleted");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for (id, _, _) in &rows[1..] {
        assert!(
            store.delivery_state(id).await.unwrap().is_some(),
            "{id} must stay"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn probes_and_metrics_answer() {
    let world = World::new(CONFIG).await;
    let get = |path: &str| world.http.get(world.url(path)).send();
    assert_eq!(get("/livez").await.unwrap().status().as_u16(), 200);
    assert_eq!(get("/readyz").await.unwrap().status().as_u16(), 200);
    let metrics = get("/metrics").await.unwrap().text().await.unwrap();
    assert!(metrics.contains("pushgate_queue_pending"), "{metrics}");
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    world.settle().await;
    let status: serde_json::Value = get("/api/status").await.unwrap().json().await.unwrap();
    assert_eq!(status["pull_requests"][0]["acks"], "missing");
    let metrics = get("/metrics").await.unwrap().text().await.unwrap();
    assert!(
        metrics
            .contains("pushgate_deliveries_total{event=\"pull_request\",outcome=\"processed\"} 1"),
        "{metrics}"
    );
    // The one delivery's processing time was observed.
    assert!(
        metrics
            .lines()
            .any(|l| l == "pushgate_processing_seconds_count 1"),
        "{metrics}"
    );
    // The rate-limit gauge follows GitHub's `x-ratelimit-remaining` (the fake allows 5,000 an
    // hour and counts every call); the last answer read is at most all calls old.
    let remaining: i64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("pushgate_github_rate_limit_remaining "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no rate-limit gauge: {metrics}"));
    let calls = world.gh.calls_total() as i64;
    assert!(calls > 0);
    assert!(
        (5000 - calls..5000).contains(&remaining),
        "{remaining} after {calls} calls"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconciler_evaluates_a_pr_whose_webhook_was_missed() {
    let mut world = World::new(CONFIG).await;
    // The PR is opened while no webhook reaches us.
    let base = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.create_branch(REPO, "missed", &base);
    world
        .gh
        .commit(REPO, "missed", NEWCOMER, "change", &[(SHADOW, Some("m\n"))]);
    let pr = world
        .gh
        .open_pr(REPO, NEWCOMER.2, "missed", "staging", "Missed");
    world
        .gh
        .add_review(REPO, pr, "sha-gh", ReviewState::Approved, "");
    assert_eq!(world.acks_count(), 0);
    // A restart (or the periodic run) reconciles every open PR of every installation.
    world
        .service
        .take()
        .unwrap()
        .shutdown(Duration::from_secs(5))
        .await;
    let mut reconciling = settings(&world.database_url, &world.api, "again");
    reconciling.reconcile_every = Duration::from_secs(3600);
    world.service = Some(pushgate::service::start(reconciling).await.unwrap());
    world.wait_check(pr, 0, "success").await;

    // Down again, a push is missed; the restart comes within the same reconcile period, and
    // its start-up round still looks at the PR again.
    world.settle().await;
    world
        .service
        .take()
        .unwrap()
        .shutdown(Duration::from_secs(5))
        .await;
    world
        .gh
        .push_to_pr(REPO, pr, NEWCOMER, "more", &[(SHADOW, Some("m2\n"))]);
    let head = world.gh.pr_head(REPO, pr);
    let mut restarted = settings(&world.database_url, &world.api, "once more");
    restarted.reconcile_every = Duration::from_secs(3600);
    world.service = Some(pushgate::service::start(restarted).await.unwrap());
    wait_until("a check on the head pushed while down", || {
        world.acks(pr).is_some_and(|c| c.head_sha == head)
    })
    .await;
}

/// Every example payload GitHub publishes (58 events, 329 payloads), sent signed: all are
/// accepted, and none fails in the worker. First as published (installations and repositories
/// this App cannot see: nothing to do), then re-addressed to the fake's installation and
/// repository, so that the handlers read them; the rest are stored and ignored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_github_example_payload_is_accepted_and_none_fails() {
    let Some(text) = pushgate::corpus::read("github/webhook-examples.json").unwrap() else {
        return;
    };
    let events: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    let world = World::new(CONFIG).await;
    let mut sent = 0;
    for event in &events {
        let name = event["name"].as_str().unwrap();
        for example in event["examples"].as_array().unwrap() {
            let (status, id) = world.send(name, example).await;
            assert_eq!(status, 202, "{name} example {id}");
            sent += 1;
        }
    }
    assert_eq!(sent, 329);
    world.settle().await;
    let depth = world.service().store.depth().await.unwrap();
    assert_eq!(depth.failed, 0, "no example may fail in the worker");
    let done = world.service().store.done_count().await.unwrap();
    assert!(done >= 329, "{depth:?}, {done} done");

    // Again, addressed to the installation and repository the fake serves, so that the
    // handlers get past the installation and read the rest of each payload. What they look
    // up there (pull requests, commits the fake has never seen) is not found: nothing to do.
    let (owner, name) = REPO.split_once('/').unwrap();
    let processed_before = processed(&world).await;
    for event in &events {
        let event_name = event["name"].as_str().unwrap();
        for example in event["examples"].as_array().unwrap() {
            let mut example = example.clone();
            if let Some(installation) = example.get_mut("installation") {
                installation["id"] = json!(INSTALLATION);
            }
            if let Some(repository) = example.get_mut("repository") {
                repository["full_name"] = json!(REPO);
                repository["name"] = json!(name);
                repository["owner"]["login"] = json!(owner);
            }
            let (status, id) = world.send(event_name, &example).await;
            assert_eq!(status, 202, "{event_name} example {id}, re-addressed");
        }
    }
    world.settle().await;
    let depth = world.service().store.depth().await.unwrap();
    assert_eq!(
        depth.failed, 0,
        "no re-addressed example may fail in the worker"
    );
    let done = world.service().store.done_count().await.unwrap();
    assert!(done >= 2 * 329, "{depth:?}, {done} done");
    let acted = processed(&world).await - processed_before;
    eprintln!("re-addressed examples processed (not ignored): {acted}");
    assert!(
        acted > 0,
        "some re-addressed examples reach a handler that acts"
    );
}

/// How many deliveries the worker processed (not ignored), from `/metrics`.
async fn processed(world: &World) -> u64 {
    let metrics = world.metrics().await;
    metrics
        .lines()
        .filter(|line| {
            line.starts_with("pushgate_deliveries_total{") && line.contains("outcome=\"processed\"")
        })
        .filter_map(|line| line.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_story_plays_to_a_passing_check() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("demo.db").display());
    let listen = "127.0.0.1:0".parse().unwrap();
    pushgate::demo::run(listen, &database, async {})
        .await
        .expect("the story ends with a passing check");
}

/// SPEC goal: at most 5 GitHub calls per re-evaluation in steady state (policy files, the
/// changed files, the commits and identities are cached by SHA; labels move only on change).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steady_state_reevaluation_makes_at_most_five_github_calls() {
    let world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    world.settle().await;
    for round in 1..=3 {
        world.gh.reset_calls();
        let id = world.comment(pr, "someone", "any news?").await;
        let state = world
            .service()
            .store
            .delivery_state(&id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(state.0, "done");
        let calls = world.gh.calls_total();
        eprintln!(
            "re-evaluation {round}: {calls} GitHub calls: {:?}",
            world.gh.call_counts()
        );
        assert!(calls <= 5, "{calls} calls: {:?}", world.gh.call_counts());
        assert_eq!(
            world.acks_count(),
            1,
            "an unchanged verdict is not posted again"
        );
    }
    // A verdict that changes is.
    world.approve(pr, "sha-gh").await;
    world.wait_check(pr, 1, "success").await;
}

/// A run that posted the check and died before it recorded the verdict (here: the label
/// change after it fails every time the client tries, so the delivery is run again) does not
/// post the same check run twice: the re-run finds it on the head.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_verdict_posted_by_a_run_that_failed_later_is_not_posted_again() {
    let world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    world.settle().await;
    // The client tries a label change 4 times (tests' retry settings): all of them fail.
    world
        .gh
        .inject(Fault::server_error().on(endpoint::ADD_LABELS).times(4));
    world.approve(pr, "sha-gh").await;
    wait_until("the complete label", || {
        world.gh.labels_on(REPO, pr) == ["acks: complete"]
    })
    .await;
    world.settle().await;
    let head = world.gh.pr_head(REPO, pr);
    let passed: Vec<_> = world
        .gh
        .check_runs(REPO)
        .into_iter()
        .filter(|c| c.head_sha == head && c.conclusion.as_deref() == Some("success"))
        .collect();
    assert_eq!(passed.len(), 1, "{passed:#?}");
}

/// Policy files are cached by blob: when the base branch moves without touching them, the
/// evaluation on the new base lists its root tree and fetches nothing more of the policy; when
/// MAINTAINERS changes there, its new text is fetched and the PR is judged by it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn policy_files_are_fetched_again_only_when_their_blobs_change() {
    let world = World::new(CONFIG).await;
    let cora = ("Cora Committer", "cora@rest.example", "cora-gh");
    let first = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(first, 0, "failure").await;
    world.settle().await;

    world
        .gh
        .commit(REPO, "staging", cora, "Docs", &[("README", Some("hi\n"))]);
    world.gh.reset_calls();
    let second = world.open_pr(NEWCOMER, &[(SHADOW, Some("y\n"))]).await;
    let run = world.wait_check(second, 1, "failure").await;
    world.settle().await;
    let calls = world.gh.call_counts();
    assert_eq!(world.gh.calls(endpoint::GIT_TREE), 1, "{calls:?}");
    assert_eq!(world.gh.calls(endpoint::GIT_BLOB), 0, "{calls:?}");
    assert_eq!(world.gh.calls(endpoint::CONTENTS), 0, "{calls:?}");
    let summary = run.summary.unwrap_or_default();
    assert!(summary.contains("sha-gh"), "{summary}");

    // Sha Dow leaves the shadow section; only Twin Dow is left to ask.
    let without_sha = MAINTAINERS.replace("M:\tSha Dow <sha@shadow.example>\n", "");
    assert_ne!(without_sha, MAINTAINERS);
    world.gh.commit(
        REPO,
        "staging",
        cora,
        "MAINTAINERS: Sha steps down",
        &[("MAINTAINERS", Some(without_sha.as_str()))],
    );
    world.gh.reset_calls();
    let third = world.open_pr(NEWCOMER, &[(SHADOW, Some("z\n"))]).await;
    let run = world.wait_check(third, 2, "failure").await;
    world.settle().await;
    let calls = world.gh.call_counts();
    assert_eq!(world.gh.calls(endpoint::GIT_TREE), 1, "{calls:?}");
    assert!(world.gh.calls(endpoint::GIT_BLOB) >= 1, "{calls:?}");
    let summary = run.summary.unwrap_or_default();
    assert!(summary.contains("twin-gh"), "{summary}");
    assert!(!summary.contains("sha-gh"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreadable_stored_payload_fails_its_delivery_and_the_queue_goes_on() {
    let world = World::new(CONFIG).await;
    // A row whose packed payload claims 4 GiB: written behind the service's back, as a damaged
    // database would hold it.
    let pool = sqlx::SqlitePool::connect(&world.database_url)
        .await
        .expect("second connection");
    sqlx::query(
        "INSERT INTO deliveries (delivery_id, event, action, repo, lane, installation_id, \
         payload, payload_lz4, received_at) VALUES ('garbled', 'issue_comment', 'created', $1, \
         $1, $2, '', X'FFFFFFFF00', 0)",
    )
    .bind(REPO)
    .bind(INSTALLATION as i64)
    .execute(&pool)
    .await
    .expect("insert");
    // Its lane, as ingest makes it.
    sqlx::query("INSERT INTO lanes (lane, due) VALUES ($1, 0) ON CONFLICT (lane) DO NOTHING")
        .bind(REPO)
        .execute(&pool)
        .await
        .expect("lane");
    pool.close().await;
    let store = &world.service().store;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let (state, error) = loop {
        if let Some((state, _, error)) = store.delivery_state("garbled").await.unwrap() {
            if state != "pending" {
                break (state, error.unwrap_or_default());
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "garbled delivery never left the queue"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(state, "failed");
    assert!(error.contains("over the webhook limit"), "{error}");
    // People see it: on the dashboard and in the status JSON.
    let status: serde_json::Value = world
        .http
        .get(world.url("/api/status"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["failures"][0]["delivery"], "garbled", "{status}");
    let page = world
        .http
        .get(world.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Failed deliveries") && page.contains("garbled"),
        "{page}"
    );
    // The repository's queue is not stuck behind it.
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
}

/// One pull request waiting out GitHub's `retry-after` holds no other pull request of the
/// repository: each pull request's deliveries have a lane of their own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_waiting_out_retry_after_holds_no_other() {
    let world = World::new(CONFIG).await;
    let first = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(first, 0, "failure").await;
    world.settle().await;
    // GitHub answers the next call with "come back in an hour".
    world.gh.inject(Fault::too_many_requests(3600));
    let held = world.send_comment(first, NEWCOMER.2, "any news?").await;
    let store = &world.service().store;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let (state, _, error) = store.delivery_state(&held).await.unwrap().unwrap();
        if state == "pending" && error.is_some() {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "no retry scheduled");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let runs = world.acks_count();
    let second = world.open_pr(NEWCOMER, &[(SHADOW, Some("y\n"))]).await;
    world.wait_check(second, runs, "failure").await;
    let (state, attempts, _) = store.delivery_state(&held).await.unwrap().unwrap();
    assert_eq!((state.as_str(), attempts), ("pending", 1));
}

/// A delivery claimed `MAX_ATTEMPTS` times that never finished (each run ended the process,
/// or lost its lease) is not run again: the claim gives it up as a permanent failure, counted
/// on `/metrics`, and its lane goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_delivery_that_never_finishes_is_given_up_at_claim_time() {
    let world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    world.settle().await;
    let pool = sqlx::SqlitePool::connect(&world.database_url)
        .await
        .expect("second connection");
    // As the store holds it after eight claims whose process died: leased, lease run out.
    let payload = world.gh.issue_comment_event(
        REPO,
        pr,
        world.gh.add_comment(REPO, pr, NEWCOMER.2, "crashes us"),
    );
    let lane = format!("{REPO}#{pr}");
    sqlx::query(
        "INSERT INTO deliveries (delivery_id, event, action, repo, lane, installation_id, \
         payload, received_at, attempts, lease_owner, lease_until) VALUES ('doomed', \
         'issue_comment', 'created', $1, $2, $3, $4, 0, $5, 'gone#0', 1)",
    )
    .bind(REPO)
    .bind(&lane)
    .bind(INSTALLATION as i64)
    .bind(payload.to_string())
    .bind(pushgate::worker::MAX_ATTEMPTS)
    .execute(&pool)
    .await
    .expect("insert");
    sqlx::query("INSERT INTO lanes (lane, due) VALUES ($1, 1) ON CONFLICT (lane) DO NOTHING")
        .bind(&lane)
        .execute(&pool)
        .await
        .expect("lane");
    pool.close().await;
    let store = &world.service().store;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let (state, attempts, error) = loop {
        let (state, attempts, error) = store.delivery_state("doomed").await.unwrap().unwrap();
        if state != "pending" {
            break (state, attempts, error.unwrap_or_default());
        }
        assert!(std::time::Instant::now() < deadline, "never given up");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(state, "failed");
    assert_eq!(attempts, pushgate::worker::MAX_ATTEMPTS + 1);
    assert!(error.contains("never finished"), "{error}");
    let metrics = world.metrics().await;
    assert!(
        metrics.contains("pushgate_deliveries_total{event=\"issue_comment\",outcome=\"failed\"} 1"),
        "{metrics}"
    );
    // The pull request's lane goes on.
    let runs = world.acks_count();
    world.approve(pr, "sha-gh").await;
    world.wait_check(pr, runs, "success").await;
}

/// Pending re-evaluations of one pull request collapse into one run: the evaluation reads the
/// current state, so one run does what all of them ask.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_reevaluations_of_a_pull_request_collapse_into_one_run() {
    let world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    world.settle().await;
    let pr = pr as i64;
    let mut deliveries: Vec<_> = (0..5)
        .map(|i| {
            pushgate::worker::synthetic(
                &format!("again-{i}"),
                REPO,
                INSTALLATION as i64,
                pr,
                if i % 2 == 0 {
                    "reconcile"
                } else {
                    "window-ended"
                },
            )
        })
        .collect();
    // Another pull request's and the gate's deliveries are not the same work.
    deliveries.push(pushgate::worker::synthetic(
        "other-pr",
        REPO,
        INSTALLATION as i64,
        pr + 100,
        "reconcile",
    ));
    let store = &world.service().store;
    let now = chrono::Utc::now().timestamp_millis();
    store.insert_deliveries(&deliveries, now).await.unwrap();
    world.settle().await;
    let mut notes = Vec::new();
    for i in 0..5 {
        let (state, _, note) = store
            .delivery_state(&format!("again-{i}"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(state, "done");
        notes.push(note);
    }
    assert_eq!(notes[4], None, "the last one ran");
    for note in &notes[..4] {
        assert_eq!(note.as_deref(), Some("coalesced into again-4"));
    }
    let (_, _, note) = store.delivery_state("other-pr").await.unwrap().unwrap();
    assert_eq!(note, None);
    let metrics = world.metrics().await;
    assert!(
        metrics.contains("pushgate_deliveries_total{event=\"pushgate\",outcome=\"coalesced\"} 4"),
        "{metrics}"
    );
}

/// A comment carries no head SHA; a permanent failure on it is still shown on the check run,
/// on the head the check was last shown on. The next evaluation then posts the verdict
/// again, although it is the one shown before the failure.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failure_on_a_comment_is_shown_on_the_check_and_the_next_evaluation_replaces_it() {
    let world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    let first = world.wait_check(pr, 0, "failure").await;
    world.settle().await;

    world
        .gh
        .inject(Fault::status(422).on(endpoint::PULL_REVIEWS).times(1));
    let id = world.comment(pr, "someone", "any news?").await;
    let (state, _, _) = world
        .service()
        .store
        .delivery_state(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state, "failed");
    let shown = world.wait_check(pr, 1, "failure").await;
    assert_eq!(
        shown.title.as_deref(),
        Some("pushgate could not evaluate this pull request")
    );
    assert_eq!(shown.head_sha, first.head_sha);

    world.comment(pr, "someone", "and now?").await;
    let again = world.wait_check(pr, 2, "failure").await;
    assert_eq!(again.title, first.title);
    assert_eq!(again.summary, first.summary);
}

/// A base commit whose tree GitHub will not list is a failure shown on the check, never an
/// evaluation under default policy (with no MAINTAINERS, nobody's ack would be asked for).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlistable_base_commit_fails_the_check_instead_of_using_defaults() {
    let world = World::new(CONFIG).await;
    world.gh.inject(Fault::status(404).on(endpoint::GIT_TREE));
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    let shown = world.wait_check(pr, 0, "failure").await;
    assert_eq!(
        shown.title.as_deref(),
        Some("pushgate could not evaluate this pull request")
    );
    assert!(world.gh.labels_on(REPO, pr).is_empty());
}

/// A MAINTAINERS file broken on thousands of lines: the check still gets posted, its list of
/// errors cut to GitHub's limit (which the fake enforces, as GitHub does, with a 422).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn maintainers_broken_on_thousands_of_lines_still_gets_its_check() {
    let world = World::new(CONFIG).await;
    let broken = format!(
        "{MAINTAINERS}\nBROKEN\n{}",
        "M:\tSomeone Without An Address, on a line long enough to add up quickly\n".repeat(3000)
    );
    world.gh.commit(
        REPO,
        "staging",
        NEWCOMER,
        "Break MAINTAINERS",
        &[("MAINTAINERS", Some(&broken))],
    );
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    let check = world.wait_check(pr, 0, "failure").await;
    assert_eq!(
        check.title.as_deref(),
        Some("MAINTAINERS on the base branch has errors")
    );
    let summary = check.summary.unwrap_or_default();
    assert!(summary.chars().count() <= 65_535, "{}", summary.len());
    assert!(summary.contains("truncated"), "{summary}");
}

/// While the workers finish the delivery in hand, the service says it is not ready and still
/// stores what arrives; the delivery in hand is finished, the new one waits for the next start.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_shutting_down_readyz_is_503_and_webhooks_are_still_stored() {
    let mut world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    world.settle().await;

    // The next evaluation waits a second on GitHub.
    world.gh.inject(
        Fault::delay(Duration::from_secs(1))
            .on(endpoint::PULL)
            .times(1),
    );
    let in_hand = world.send_comment(pr, "someone", "any news?").await;
    let store = world.service().store.clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while store.delivery_state(&in_hand).await.unwrap().map(|s| s.1) != Some(1) {
        assert!(std::time::Instant::now() < deadline, "never claimed");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }

    let (readyz, webhook) = (world.url("/readyz"), world.url("/webhook"));
    let service = world.service.take().unwrap();
    let stopping = tokio::spawn(service.shutdown(Duration::from_secs(20)));
    let ready = loop {
        let status = world
            .http
            .get(&readyz)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16();
        if status != 200 || std::time::Instant::now() > deadline {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    assert_eq!(ready, 503);
    let comment = world.gh.add_comment(REPO, pr, "someone", "still there?");
    let body = serde_json::to_vec(&world.gh.issue_comment_event(REPO, pr, comment)).unwrap();
    let arrived = "arrived-while-stopping".to_string();
    let status = post_webhook(
        &world.http,
        &webhook,
        "issue_comment",
        &arrived,
        body,
        SECRET,
    )
    .await;
    assert_eq!(status, 202);

    stopping.await.unwrap();
    let state = |id: String| {
        let store = store.clone();
        async move { store.delivery_state(&id).await.unwrap().unwrap().0 }
    };
    assert_eq!(state(in_hand).await, "done");
    assert_eq!(state(arrived).await, "pending");
}

/// GitHub's secondary limit does not always say how long to wait. Its 403 is still a rate
/// limit: the delivery waits a minute (SPEC §9) and is then processed, not failed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secondary_limit_without_retry_after_waits_a_minute_and_does_not_fail() {
    let world = World::new(CONFIG).await;
    world.gh.inject(
        Fault::secondary_limit_without_retry_after()
            .on(endpoint::PULL_FILES)
            .times(1),
    );
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let metrics = world.metrics().await;
        if metrics.contains("outcome=\"retry\"") {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{metrics}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let depth = world.service().store.depth().await.unwrap();
    assert_eq!((depth.pending, depth.failed), (1, 0));
    assert_eq!(world.acks_count(), 0, "nothing shown while waiting");

    world.service().clock.advance(65);
    let check = world.wait_check(pr, 0, "failure").await;
    assert_eq!(
        check.title.as_deref(),
        Some("0 of 1 maintainer requirement(s) met; 2 thing(s) missing")
    );
}

// ---- Acks are what their author said (issue 15) ----

const SHA_ACK: &str = "Acked-by: Sha Dow <sha@shadow.example>";
const MIA_NACK: &str = "Nacked-by: Mia Memory <mia@mm.example>\nThis breaks PV guests.";

/// A pull request by the newcomer on the shadow file, its first check failing.
async fn shadow_pr(world: &World) -> u64 {
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    pr
}

/// `editor` edits comment `id` on `pr` to `body`; the `edited` webhook is processed.
async fn edit(world: &World, pr: u64, id: u64, editor: &str, body: &str) {
    world.gh.edit_comment(REPO, id, editor, body);
    let payload = world.gh.issue_comment_edited_event(REPO, pr, id);
    assert_eq!(world.send("issue_comment", &payload).await.0, 202);
    world.settle().await;
}

/// `login` posts `body` on `pr`; returns the comment's id once its webhook is processed.
async fn posted(world: &World, pr: u64, login: &str, body: &str) -> u64 {
    let id = world.gh.add_comment(REPO, pr, login, body);
    let payload = world.gh.issue_comment_event(REPO, pr, id);
    assert_eq!(world.send("issue_comment", &payload).await.0, 202);
    world.settle().await;
    id
}

fn conclusion(world: &World, pr: u64) -> String {
    world
        .acks(pr)
        .and_then(|c| c.conclusion)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ack_added_to_a_maintainers_comment_by_someone_else_does_not_count() {
    let world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    let id = posted(&world, pr, "sha-gh", "Still reading this.").await;
    // A repository admin adds an ack to Sha's comment.
    let forged = format!("Still reading this.\n{SHA_ACK}");
    edit(&world, pr, id, "cora-gh", &forged).await;
    assert_eq!(conclusion(&world, pr), "failure");
    // Nor does it count when the comments are read again later.
    posted(&world, pr, "nora-gh", "Any news?").await;
    let check = world.acks(pr).expect("check run");
    assert_eq!(check.conclusion.as_deref(), Some("failure"));
    let summary = check.summary.unwrap_or_default();
    assert!(summary.contains("❌ missing"), "{summary}");
    assert!(summary.contains("edited by someone else"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nack_removed_from_a_comment_by_someone_else_still_objects() {
    let world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    world.approve(pr, "sha-gh").await;
    world.wait_check(pr, 1, "success").await;
    let id = posted(&world, pr, "mia-gh", MIA_NACK).await;
    assert_eq!(conclusion(&world, pr), "failure");
    edit(&world, pr, id, "cora-gh", "Fine by me.").await;
    let check = world.acks(pr).expect("check run");
    assert_eq!(check.conclusion.as_deref(), Some("failure"));
    let summary = check.summary.unwrap_or_default();
    assert!(summary.contains("This breaks PV guests."), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nack_deleted_by_someone_else_still_objects() {
    let world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    world.approve(pr, "sha-gh").await;
    world.wait_check(pr, 1, "success").await;
    let id = posted(&world, pr, "mia-gh", MIA_NACK).await;
    assert_eq!(conclusion(&world, pr), "failure");
    world.gh.delete_comment(REPO, id, "cora-gh");
    let payload = world.gh.issue_comment_deleted_event(REPO, pr, id);
    assert_eq!(world.send("issue_comment", &payload).await.0, 202);
    world.settle().await;
    assert_eq!(conclusion(&world, pr), "failure");
    // Read again from GitHub later, the objection still stands.
    posted(&world, pr, "nora-gh", "Any news?").await;
    let check = world.acks(pr).expect("check run");
    assert_eq!(check.conclusion.as_deref(), Some("failure"));
    assert!(check
        .summary
        .unwrap_or_default()
        .contains("This breaks PV guests."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authors_own_edit_counts_and_the_check_says_so() {
    let world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    let id = posted(&world, pr, "sha-gh", "Still reading this.").await;
    edit(&world, pr, id, "sha-gh", &format!("Read it.\n{SHA_ACK}")).await;
    let check = world.wait_check(pr, 1, "success").await;
    let summary = check.summary.unwrap_or_default();
    assert!(
        summary.contains("edited by its author @sha-gh"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_whose_delivery_was_missed_counts_for_objections_only() {
    let world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    // Neither the comment's nor its edit's delivery reaches pushgate.
    let id = world
        .gh
        .add_comment(REPO, pr, "sha-gh", "Still reading this.");
    world.gh.edit_comment(
        REPO,
        id,
        "cora-gh",
        &format!("Still reading this.\n{SHA_ACK}"),
    );
    posted(&world, pr, "nora-gh", "Any news?").await;
    let check = world.acks(pr).expect("check run");
    assert_eq!(check.conclusion.as_deref(), Some("failure"));
    let summary = check.summary.unwrap_or_default();
    assert!(summary.contains("pushgate did not see"), "{summary}");
    // GitHub's GraphQL API says who edited it last.
    assert!(
        summary.contains("was last edited by @cora-gh, not its author"),
        "{summary}"
    );
}

/// An author's own edit whose delivery was missed counts: GitHub's GraphQL API says who
/// edited a comment last, and it is the author. When GitHub cannot say, it stays unverified.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authors_own_edit_whose_delivery_was_missed_counts() {
    let world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    let id = world
        .gh
        .add_comment(REPO, pr, "sha-gh", "Still reading this.");
    world
        .gh
        .edit_comment(REPO, id, "sha-gh", &format!("Read it now.\n{SHA_ACK}"));
    // GraphQL fails first: nobody can say whose words these are.
    world.gh.inject(
        pushgate::sim::Fault::status(502)
            .on(pushgate::sim::endpoint::GRAPHQL)
            .every(1),
    );
    posted(&world, pr, "nora-gh", "Any news?").await;
    let check = world.acks(pr).expect("check run");
    assert_eq!(check.conclusion.as_deref(), Some("failure"));
    let summary = check.summary.unwrap_or_default();
    assert!(summary.contains("did not see who edited it"), "{summary}");

    world.gh.clear_faults();
    posted(&world, pr, "nora-gh", "And now?").await;
    let check = world.acks(pr).expect("check run");
    let summary = check.summary.unwrap_or_default();
    assert_eq!(check.conclusion.as_deref(), Some("success"), "{summary}");
    assert!(
        summary.contains("was last edited by its author @sha-gh (GitHub says)"),
        "{summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ack_in_a_review_body_counts() {
    let world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    let body = format!("{SHA_ACK} # shadow");
    let review = world
        .gh
        .add_review(REPO, pr, "sha-gh", ReviewState::Commented, &body);
    let payload = world.gh.review_event(REPO, pr, review);
    assert_eq!(world.send("pull_request_review", &payload).await.0, 202);
    world.wait_check(pr, 1, "success").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ack_in_an_inline_review_comment_counts() {
    let world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    let id = world.gh.add_review_comment(
        REPO,
        pr,
        "sha-gh",
        SHADOW,
        &format!("Nit, but fine.\n{SHA_ACK}"),
    );
    let payload = world.gh.review_comment_event(REPO, pr, id);
    assert_eq!(
        world.send("pull_request_review_comment", &payload).await.0,
        202
    );
    world.wait_check(pr, 1, "success").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nack_in_a_comment_only_review_objects() {
    let world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    world.approve(pr, "sha-gh").await;
    world.wait_check(pr, 1, "success").await;
    let review = world
        .gh
        .add_review(REPO, pr, "mia-gh", ReviewState::Commented, MIA_NACK);
    let payload = world.gh.review_event(REPO, pr, review);
    assert_eq!(world.send("pull_request_review", &payload).await.0, 202);
    let check = world.wait_check(pr, 2, "failure").await;
    assert!(check
        .summary
        .unwrap_or_default()
        .contains("This breaks PV guests."));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_discussion_too_long_to_read_to_the_end_fails_the_check() {
    let world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    world.gh.add_comment(REPO, pr, "sha-gh", "/ack");
    for i in 0..1000 {
        world
            .gh
            .add_comment(REPO, pr, "nora-gh", &format!("ping {i}"));
    }
    // The objection is on the 11th page of 100.
    posted(&world, pr, "mia-gh", MIA_NACK).await;
    let check = world.acks(pr).expect("check run");
    assert_eq!(check.conclusion.as_deref(), Some("failure"));
    let title = check.title.unwrap_or_default();
    assert!(title.contains("too long"), "{title}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ack_added_to_a_maintainers_review_by_someone_else_does_not_count() {
    let world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    let review = world
        .gh
        .add_review(REPO, pr, "sha-gh", ReviewState::Commented, "Still reading.");
    let payload = world.gh.review_event(REPO, pr, review);
    assert_eq!(world.send("pull_request_review", &payload).await.0, 202);
    world.settle().await;
    let forged = format!("Still reading.\n{SHA_ACK}");
    world.gh.edit_review(REPO, pr, review, "cora-gh", &forged);
    let payload = world.gh.review_edited_event(REPO, pr, review);
    assert_eq!(world.send("pull_request_review", &payload).await.0, 202);
    world.settle().await;
    let check = world.acks(pr).expect("check run");
    assert_eq!(check.conclusion.as_deref(), Some("failure"));
    let summary = check.summary.unwrap_or_default();
    assert!(
        summary.contains("a review by @sha-gh was edited by someone else"),
        "{summary}"
    );
    // The reviewer's own edit counts.
    world.gh.edit_review(REPO, pr, review, "sha-gh", &forged);
    let payload = world.gh.review_edited_event(REPO, pr, review);
    assert_eq!(world.send("pull_request_review", &payload).await.0, 202);
    world.wait_check(pr, 1, "success").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ack_added_to_an_inline_comment_by_someone_else_does_not_count() {
    let world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    let id = world
        .gh
        .add_review_comment(REPO, pr, "sha-gh", SHADOW, "Why this line?");
    let payload = world.gh.review_comment_event(REPO, pr, id);
    assert_eq!(
        world.send("pull_request_review_comment", &payload).await.0,
        202
    );
    world.settle().await;
    let forged = format!("Why this line?\n{SHA_ACK}");
    world.gh.edit_review_comment(REPO, id, "cora-gh", &forged);
    let payload = world.gh.review_comment_edited_event(REPO, pr, id);
    assert_eq!(
        world.send("pull_request_review_comment", &payload).await.0,
        202
    );
    world.settle().await;
    assert_eq!(conclusion(&world, pr), "failure");
    // The author's own edit counts.
    world.gh.edit_review_comment(REPO, id, "sha-gh", &forged);
    let payload = world.gh.review_comment_edited_event(REPO, pr, id);
    assert_eq!(
        world.send("pull_request_review_comment", &payload).await.0,
        202
    );
    world.wait_check(pr, 1, "success").await;
}

/// A metric's value summed over its labelled series whose labels contain `labels`.
fn metric_sum(text: &str, name: &str, labels: &str) -> f64 {
    text.lines()
        .filter(|line| line.starts_with(name) && line.contains(labels))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// GitHub goes down with deliveries queued: after a few failures in a row the workers hold
/// back and probe one delivery at a time (`/metrics` says so) instead of cycling through the
/// queue, which would spend every delivery's attempts and hammer GitHub; once it answers
/// again, everything is processed and nothing has failed for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_github_is_down_the_workers_hold_back_and_then_catch_up() {
    let mut world = World::new(CONFIG).await;
    world.hold_workers().await;
    let mut prs = Vec::new();
    for _ in 0..12 {
        prs.push(
            world
                .open_pr(NEWCOMER, &[(SHADOW, Some("int shadow = 1;\n"))])
                .await,
        );
    }
    world.gh.inject(Fault::bad_gateway().every(1));
    if let Some(service) = world.service.take() {
        service.shutdown(Duration::from_secs(5)).await;
    }
    let working = settings(&world.database_url, &world.api, "working");
    world.service = Some(
        pushgate::service::start(working)
            .await
            .expect("service starts"),
    );
    tokio::time::sleep(Duration::from_secs(4)).await;
    let metrics = world.metrics().await;
    let retries = metric_sum(&metrics, "pushgate_deliveries_total", "outcome=\"retry\"");
    assert!(
        metric_sum(&metrics, "pushgate_github_unreachable", "") == 1.0,
        "{metrics}"
    );
    // Two workers fail three deliveries, then one probe after 1 s and one after 2 more: at
    // most 6 tries in 4 s. Without holding back, each of the 12 is tried within its first
    // second and again after its own backoff of 1 s, then 2 s.
    assert!(retries <= 6.0, "{retries} tries while GitHub was down");
    world.gh.clear_faults();
    for pr in &prs {
        world.wait_check(*pr, 0, "failure").await;
    }
    world.settle().await;
    let metrics = world.metrics().await;
    assert_eq!(
        metric_sum(&metrics, "pushgate_deliveries_total", "outcome=\"failed\""),
        0.0,
        "{metrics}"
    );
    assert_eq!(
        metric_sum(&metrics, "pushgate_github_unreachable", ""),
        0.0,
        "{metrics}"
    );
}

/// While GitHub is down the probe is a real one: a flood of re-evaluations that arrives during
/// the pause waits as it is. A probe that coalesced its lane instead would end without asking
/// GitHub, and the next claim would probe again at once: lane after lane collapsed, writing
/// beside the webhook door, while nothing can be judged. Once GitHub answers, the backlog is
/// coalesced and every check is right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_github_is_down_a_flood_waits_to_be_coalesced() {
    flood_while_github_is_down(false).await;
}

/// A delivery that asks GitHub nothing (here `assigned`, which pushgate ignores) is handled
/// during an outage, and says nothing of GitHub: it does not end the outage. Ending it there
/// let every worker claim again and coalesce the flood lane after lane while GitHub was
/// still down, and the door shared its writer with them (the ingest bench saw 47,720 such
/// deliveries done during one round).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_github_is_down_a_delivery_that_asks_github_nothing_ends_no_outage() {
    flood_while_github_is_down(true).await;
}

/// Twelve pull requests, GitHub down, then eight comments on each (and, when `ignored_too`,
/// an `assigned` event before the first) while the workers pause: nothing is coalesced
/// and the pause holds for 3 s; once GitHub is back the flood is coalesced, nothing failed
/// and every check is right.
async fn flood_while_github_is_down(ignored_too: bool) {
    let world = World::new(CONFIG).await;
    let mut prs = Vec::new();
    for _ in 0..12 {
        let pr = world
            .open_pr(NEWCOMER, &[(SHADOW, Some("int shadow = 1;\n"))])
            .await;
        prs.push(pr);
    }
    world.settle().await;
    // GitHub goes down; three deliveries fail in a row and the workers pause.
    world.gh.inject(Fault::bad_gateway().every(1));
    for pr in &prs[..3] {
        world.send_comment(*pr, NEWCOMER.2, "any news?").await;
    }
    let paused = async {
        loop {
            let metrics = world.metrics().await;
            if metric_sum(&metrics, "pushgate_github_unreachable", "") == 1.0 {
                return metrics;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    };
    let before = tokio::time::timeout(Duration::from_secs(10), paused)
        .await
        .expect("the workers pause");
    let coalesced = |metrics: &str| {
        metric_sum(
            metrics,
            "pushgate_deliveries_total",
            "outcome=\"coalesced\"",
        )
    };
    // The flood, in turns: after a lane is coalesced into its newest delivery, every other
    // lane's oldest is due before it.
    for i in 0..8 {
        for pr in &prs {
            if ignored_too && i == 0 {
                let assigned = world.gh.pull_request_event(REPO, *pr, "assigned", None);
                assert_eq!(world.send("pull_request", &assigned).await.0, 202);
            }
            world
                .send_comment(*pr, NEWCOMER.2, &format!("ping {i}"))
                .await;
        }
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let during = world.metrics().await;
    assert_eq!(
        metric_sum(&during, "pushgate_github_unreachable", ""),
        1.0,
        "{during}"
    );
    assert_eq!(
        coalesced(&during),
        coalesced(&before),
        "deliveries were coalesced while GitHub was down"
    );
    world.gh.clear_faults();
    world.settle().await;
    let after = world.metrics().await;
    assert!(coalesced(&after) > coalesced(&before), "{after}");
    assert_eq!(
        metric_sum(&after, "pushgate_deliveries_total", "outcome=\"failed\""),
        0.0,
        "{after}"
    );
    for pr in &prs {
        world.wait_check(*pr, 0, "failure").await;
    }
}

/// The demo's push gate story really happens on the simulated GitHub: two merges land with
/// their trailers, master moves twice by fast-forward, bisection names the culprit's commit
/// and pull request, and the regression issue holds the release check until it is closed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_plays_the_push_gate_story() {
    use pushgate::demo::REPO;
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("demo.db").display());
    let demo = pushgate::demo::play("127.0.0.1:0".parse().unwrap(), &database)
        .await
        .expect("the story plays to its end");
    let gh = &demo.gh;

    // master: created at the import, then two fast-forwards to tested staging tips.
    let master = gh.branch_history(REPO, "master");
    assert_eq!(master.len(), 3, "{master:?}");
    let staging = gh.branch_tip(REPO, "staging").unwrap();
    assert_eq!(master[2], staging, "the fix reached master");
    for pair in master.windows(2) {
        assert!(
            gh.commit_parents(REPO, &pair[1]).len() == 1 && pair[0] != pair[1],
            "{master:?}"
        );
    }

    // /pushgate merge wrote the acks as trailers.
    let landed: Vec<String> = gh
        .branch_history(REPO, "staging")
        .iter()
        .filter_map(|sha| gh.commit_message(REPO, sha))
        .filter(|m| m.contains("Acked-by: Yara Why <yara@x86.example>"))
        .collect();
    assert!(
        landed
            .iter()
            .any(|m| m.contains("Reviewed-by: Sha Dow <sha@shadow.example>")),
        "{landed:?}"
    );

    // The culprit is the first commit of the trap-table PR, and that PR was told.
    let told: Vec<(u64, String)> = gh
        .all_comments(REPO)
        .into_iter()
        .filter(|(_, c)| c.body.contains("first to fail"))
        .map(|(number, c)| (number, c.body))
        .collect();
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0]
            .1
            .contains("x86/pv: shrink the trap table\" by Nora Newcomer"),
        "{told:?}"
    );
    let gate: pushgate::core::gate::Gate =
        serde_json::from_str(&demo.service.store.gate(REPO).await.unwrap().unwrap()).unwrap();
    let culprits: Vec<&String> = gate.culprits.keys().collect();
    assert_eq!(culprits.len(), 1, "{culprits:?}");
    assert!(told[0].1.contains(culprits[0].as_str()));
    assert_eq!(
        gate.culprits[culprits[0]],
        format!("#{} by Nora Newcomer", told[0].0)
    );

    // The regression issue was opened by the gate, labelled, and is closed again.
    let regressions: Vec<_> = gh
        .issues(REPO)
        .into_iter()
        .filter(|i| i.labels.iter().any(|l| l == "regression"))
        .collect();
    assert_eq!(regressions.len(), 1, "{regressions:?}");
    assert_eq!(regressions[0].user, pushgate::sim::BOT_LOGIN);
    assert!(regressions[0]
        .labels
        .contains(&"feature: x86/PV".to_string()));
    assert!(
        regressions[0]
            .labels
            .contains(&"support: Supported".to_string()),
        "the issue names a feature: its support label is added"
    );
    assert!(!regressions[0].open);

    // The release check on the tag went passing, failing, passing.
    let release: Vec<String> = gh
        .check_runs(REPO)
        .into_iter()
        .filter(|c| c.name == "pushgate/release")
        .map(|c| c.conclusion.unwrap_or_default())
        .collect();
    assert_eq!(release, ["success", "failure", "success"]);
    demo.service
        .shutdown(std::time::Duration::from_secs(5))
        .await;
}

/// `/metrics` is OpenMetrics text (it ends with `# EOF`), and says so in its content type, so
/// a scraper parses it with the right grammar.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_are_served_as_openmetrics_text() {
    let world = World::new(CONFIG).await;
    let answer = world.http.get(world.url("/metrics")).send().await.unwrap();
    assert_eq!(answer.status().as_u16(), 200);
    let content_type = answer.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        content_type,
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = answer.text().await.unwrap();
    assert!(text.ends_with("# EOF\n"), "{text}");
}
