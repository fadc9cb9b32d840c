//! Acks are dismissed by the code, not by the clock: an approval counts for the head it was
//! given on, whatever order GitHub's deliveries arrive in, and a push whose delivery never
//! came dismisses exactly like one that did.

mod support;

use support::*;

/// The fake's clock, set `offset` seconds from pushgate's real clock.
fn at(world: &World, offset: i64) {
    world.gh.set_now(chrono::Utc::now().timestamp() + offset);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_whose_delivery_never_came_still_dismisses_the_acks_before_it() {
    let world = World::new(CONFIG).await;
    at(&world, -1000);
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("one\n"))]).await;
    at(&world, -900);
    world.comment(pr, "sha-gh", "/ack").await;
    world.comment(pr, "xavier-gh", "/ack").await;
    assert_eq!(
        world.acks(pr).unwrap().conclusion.as_deref(),
        Some("success")
    );
    // The author changes the shadow code; GitHub never delivers the push.
    at(&world, -800);
    world
        .gh
        .push_to_pr(REPO, pr, NEWCOMER, "more", &[(SHADOW, Some("two\n"))]);
    // Later, anything makes pushgate look again (here a comment by a bystander).
    at(&world, 100);
    world.comment(pr, "nora-gh", "ping").await;
    let check = world.acks(pr).expect("a check on the new head");
    assert_eq!(
        check.conclusion.as_deref(),
        Some("failure"),
        "acks given before an unseen push still count: {check:?}"
    );
    // An ack given after pushgate saw the new head counts for it.
    at(&world, 200);
    world.comment(pr, "sha-gh", "/ack").await;
    world.comment(pr, "xavier-gh", "/ack").await;
    let check = world.acks(pr).unwrap();
    assert_eq!(check.conclusion.as_deref(), Some("success"), "{check:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ack_right_after_a_push_counts_when_the_push_is_delivered_late() {
    let world = World::new(CONFIG).await;
    at(&world, -1000);
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("one\n"))]).await;
    world.settle().await;
    // The author pushes; GitHub holds the delivery back.
    at(&world, -900);
    let before = world.gh.pr_head(REPO, pr);
    world
        .gh
        .push_to_pr(REPO, pr, NEWCOMER, "more", &[(SHADOW, Some("two\n"))]);
    let late = world
        .gh
        .pull_request_event(REPO, pr, "synchronize", Some(&before));
    // The maintainers ack the new code right after the push, and those deliveries come first.
    at(&world, -890);
    world.comment(pr, "sha-gh", "/ack").await;
    world.comment(pr, "xavier-gh", "/ack").await;
    // Then the push's own delivery, processed after the acks.
    let (status, _) = world.send("pull_request", &late).await;
    assert_eq!(status, 202);
    world.settle().await;
    let check = world.acks(pr).unwrap();
    assert_eq!(
        check.conclusion.as_deref(),
        Some("success"),
        "an ack given after the push was dismissed by when pushgate processed it: {check:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_review_of_an_earlier_head_given_after_the_push_does_not_count() {
    let world = World::new(CONFIG).await;
    // GitHub's clock runs ahead of pushgate's here: only the commit a review names may decide.
    at(&world, 100);
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("one\n"))]).await;
    world.settle().await;
    let first = world.gh.pr_head(REPO, pr);
    at(&world, 200);
    world
        .gh
        .push_to_pr(REPO, pr, NEWCOMER, "more", &[(SHADOW, Some("two\n"))]);
    let (status, _) = world
        .send(
            "pull_request",
            &world
                .gh
                .pull_request_event(REPO, pr, "synchronize", Some(&first)),
        )
        .await;
    assert_eq!(status, 202);
    world.settle().await;
    // Sha approves from a page opened before the push: the review is of the first head.
    at(&world, 300);
    let review = world.gh.add_review_on(
        REPO,
        pr,
        "sha-gh",
        pushgate::sim::ReviewState::Approved,
        &first,
    );
    let (status, _) = world
        .send(
            "pull_request_review",
            &world.gh.review_event(REPO, pr, review),
        )
        .await;
    assert_eq!(status, 202);
    world.settle().await;
    let check = world.acks(pr).unwrap();
    assert_eq!(
        check.conclusion.as_deref(),
        Some("failure"),
        "an approval of code that is gone counted: {check:?}"
    );
    assert!(
        check
            .summary
            .as_deref()
            .unwrap_or("")
            .contains("@sha-gh: files they maintain changed"),
        "{check:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_a_crash_every_pull_request_is_judged_by_its_code() {
    let mut world = World::new(CONFIG).await;
    at(&world, -1000);
    // A: acked while pushgate is up.
    let a = world.open_pr(NEWCOMER, &[(SHADOW, Some("a1\n"))]).await;
    at(&world, -950);
    world.comment(a, "sha-gh", "/ack").await;
    world.comment(a, "xavier-gh", "/ack").await;
    // B: opened while up.
    let b = world.open_pr(NEWCOMER, &[(SHADOW, Some("b1\n"))]).await;
    world.settle().await;
    assert_eq!(
        world.acks(a).unwrap().conclusion.as_deref(),
        Some("success")
    );
    // pushgate dies; what happens now reaches it by no delivery.
    world.service.take().unwrap().kill();
    at(&world, -900);
    world
        .gh
        .push_to_pr(REPO, a, NEWCOMER, "more", &[(SHADOW, Some("a2\n"))]);
    world
        .gh
        .push_to_pr(REPO, b, NEWCOMER, "more", &[(SHADOW, Some("b2\n"))]);
    at(&world, -850);
    world
        .gh
        .add_review(REPO, b, "sha-gh", pushgate::sim::ReviewState::Approved, "");
    // It comes back, and its start-up reconciliation looks at every open pull request.
    let mut restarted = settings(&world.database_url, &world.api, "restarted");
    restarted.reconcile_every = std::time::Duration::from_secs(3600);
    world.service = Some(pushgate::service::start(restarted).await.unwrap());
    let (head_a, head_b) = (world.gh.pr_head(REPO, a), world.gh.pr_head(REPO, b));
    wait_until("checks on both new heads", || {
        world.acks(a).is_some_and(|c| c.head_sha == head_a)
            && world.acks(b).is_some_and(|c| c.head_sha == head_b)
    })
    .await;
    world.settle().await;
    let check_a = world.acks(a).unwrap();
    assert_eq!(
        check_a.conclusion.as_deref(),
        Some("failure"),
        "acks given before a push missed in the crash still count: {check_a:?}"
    );
    let check_b = world.acks(b).unwrap();
    assert_eq!(
        check_b.conclusion.as_deref(),
        Some("success"),
        "a review of the new head, given while pushgate was down, was dismissed: {check_b:?}"
    );
}
