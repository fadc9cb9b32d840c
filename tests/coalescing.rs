//! Deliveries that only judge a pull request again, queued behind each other (a backlog after
//! an outage), collapse into one evaluation, and each still records what it shows: the heads
//! a push announces with GitHub's time, and the words of a comment as its author wrote them.
//! Each test queues its deliveries with no worker running, then starts the workers.

mod support;

use support::*;

const SHA_ACK: &str = "Acked-by: Sha Dow <sha@shadow.example>";

/// The fake's clock, set `offset` seconds from pushgate's real clock.
fn at(world: &World, offset: i64) {
    world.gh.set_now(chrono::Utc::now().timestamp() + offset);
}

/// A pull request by the newcomer on the shadow file, judged once (failing: no acks).
async fn shadow_pr(world: &World) -> u64 {
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("one\n"))]).await;
    world.wait_check(pr, 0, "failure").await;
    world.settle().await;
    pr
}

/// How a delivery ended: its state and its note ("coalesced into …").
async fn outcome(world: &World, id: &str) -> (String, Option<String>) {
    let (state, _, note) = world
        .service()
        .store
        .delivery_state(id)
        .await
        .expect("store")
        .expect("delivery stored");
    (state, note)
}

async fn send(world: &World, event: &str, payload: &serde_json::Value) -> String {
    let (status, id) = world.send(event, payload).await;
    assert_eq!(status, 202);
    id
}

fn summary(world: &World, pr: u64) -> String {
    world.acks(pr).and_then(|c| c.summary).unwrap_or_default()
}

fn conclusion(world: &World, pr: u64) -> String {
    world
        .acks(pr)
        .and_then(|c| c.conclusion)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coalesced_push_dismisses_the_acks_given_before_it() {
    let mut world = World::new(CONFIG).await;
    at(&world, -1000);
    let pr = shadow_pr(&world).await;
    world.hold_workers().await;
    // Sha and Xavier ack the first head; the author pushes; a bystander asks for news.
    at(&world, -950);
    let early = world.send_comment(pr, "sha-gh", "/ack").await;
    world.send_comment(pr, "xavier-gh", "/ack").await;
    at(&world, -900);
    let before = world.gh.pr_head(REPO, pr);
    world
        .gh
        .push_to_pr(REPO, pr, NEWCOMER, "more", &[(SHADOW, Some("two\n"))]);
    let push = send(
        &world,
        "pull_request",
        &world
            .gh
            .pull_request_event(REPO, pr, "synchronize", Some(&before)),
    )
    .await;
    at(&world, -890);
    let last = world.send_comment(pr, "nora-gh", "Any news?").await;
    world.start_workers().await;
    let coalesced = Some(format!("coalesced into {last}"));
    assert_eq!(outcome(&world, &early).await.1, coalesced);
    assert_eq!(outcome(&world, &push).await.1, coalesced);
    // The acks were for code that is gone: the push, coalesced, still dismissed them.
    assert_eq!(conclusion(&world, pr), "failure", "{}", summary(&world, pr));
    assert!(
        summary(&world, pr).contains("@sha-gh: files they maintain changed"),
        "{}",
        summary(&world, pr)
    );

    // Acks given after the push count for the new head.
    world.hold_workers().await;
    at(&world, -880);
    world.send_comment(pr, "sha-gh", "/ack").await;
    world.send_comment(pr, "xavier-gh", "/ack").await;
    world.start_workers().await;
    assert_eq!(conclusion(&world, pr), "success", "{}", summary(&world, pr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_right_after_a_push_count_when_the_push_is_coalesced() {
    let mut world = World::new(CONFIG).await;
    at(&world, -1000);
    let pr = shadow_pr(&world).await;
    world.hold_workers().await;
    at(&world, -900);
    let before = world.gh.pr_head(REPO, pr);
    world
        .gh
        .push_to_pr(REPO, pr, NEWCOMER, "more", &[(SHADOW, Some("two\n"))]);
    send(
        &world,
        "pull_request",
        &world
            .gh
            .pull_request_event(REPO, pr, "synchronize", Some(&before)),
    )
    .await;
    // The maintainers ack the new code right after the push (by GitHub's clock); pushgate
    // runs later. Only the push's delivery says when the new head came: without its record
    // the head would date from when pushgate first saw it, after the acks.
    at(&world, -890);
    world.send_comment(pr, "sha-gh", "/ack").await;
    world.send_comment(pr, "xavier-gh", "/ack").await;
    world.start_workers().await;
    assert_eq!(conclusion(&world, pr), "success", "{}", summary(&world, pr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_edited_by_someone_else_and_coalesced_counts_only_its_authors_words() {
    let mut world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    world.hold_workers().await;
    let id = world
        .gh
        .add_comment(REPO, pr, "sha-gh", "Still reading this.");
    send(
        &world,
        "issue_comment",
        &world.gh.issue_comment_event(REPO, pr, id),
    )
    .await;
    // A repository admin adds an ack to Sha's comment.
    world.gh.edit_comment(
        REPO,
        id,
        "cora-gh",
        &format!("Still reading this.\n{SHA_ACK}"),
    );
    send(
        &world,
        "issue_comment",
        &world.gh.issue_comment_edited_event(REPO, pr, id),
    )
    .await;
    world.send_comment(pr, "nora-gh", "Any news?").await;
    world.start_workers().await;
    assert_eq!(conclusion(&world, pr), "failure");
    let summary = summary(&world, pr);
    assert!(summary.contains("❌ missing"), "{summary}");
    // Known from the coalesced deliveries: who wrote what.
    assert!(summary.contains("edited by someone else"), "{summary}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authors_own_edit_counts_when_coalesced() {
    let mut world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    world.hold_workers().await;
    let id = world
        .gh
        .add_comment(REPO, pr, "sha-gh", "Still reading this.");
    send(
        &world,
        "issue_comment",
        &world.gh.issue_comment_event(REPO, pr, id),
    )
    .await;
    world
        .gh
        .edit_comment(REPO, id, "sha-gh", &format!("Read it.\n{SHA_ACK}"));
    send(
        &world,
        "issue_comment",
        &world.gh.issue_comment_edited_event(REPO, pr, id),
    )
    .await;
    world.send_comment(pr, "nora-gh", "Thanks!").await;
    world.start_workers().await;
    assert_eq!(conclusion(&world, pr), "success", "{}", summary(&world, pr));
    assert!(
        summary(&world, pr).contains("was edited by its author"),
        "{}",
        summary(&world, pr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn coalesced_reviews_ack() {
    let mut world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    world.hold_workers().await;
    let sha = send(&world, "pull_request_review", &world.approval(pr, "sha-gh")).await;
    let xavier = send(
        &world,
        "pull_request_review",
        &world.approval(pr, "xavier-gh"),
    )
    .await;
    world.start_workers().await;
    assert_eq!(
        outcome(&world, &sha).await,
        ("done".to_string(), Some(format!("coalesced into {xavier}")))
    );
    assert_eq!(outcome(&world, &xavier).await, ("done".to_string(), None));
    assert_eq!(conclusion(&world, pr), "success", "{}", summary(&world, pr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_stops_at_a_delivery_that_does_other_work() {
    let mut world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    world.hold_workers().await;
    let a = world.send_comment(pr, "nora-gh", "one").await;
    let b = world.send_comment(pr, "nora-gh", "two").await;
    let closed = send(
        &world,
        "pull_request",
        &world.gh.pull_request_event(REPO, pr, "closed", None),
    )
    .await;
    let c = world.send_comment(pr, "nora-gh", "three").await;
    let d = world.send_comment(pr, "nora-gh", "four").await;
    world.start_workers().await;
    let done = |note: Option<String>| ("done".to_string(), note);
    assert_eq!(
        outcome(&world, &a).await,
        done(Some(format!("coalesced into {b}")))
    );
    assert_eq!(outcome(&world, &b).await, done(None));
    assert_eq!(outcome(&world, &closed).await, done(None));
    assert_eq!(
        outcome(&world, &c).await,
        done(Some(format!("coalesced into {d}")))
    );
    assert_eq!(outcome(&world, &d).await, done(None));
    // In order: each ran after the ones before it in the lane.
    let order = world.service().store.processed_order(REPO).await.unwrap();
    let position = |id: &str| order.iter().position(|x| x == id).unwrap();
    assert!(position(&b) < position(&closed) && position(&closed) < position(&d));
}

/// The GitHub calls of `comments` comments by the author, queued while no worker runs and
/// then processed by a freshly started service (its caches cold, as after an outage).
async fn calls_for_queued_comments(
    comments: usize,
) -> (usize, std::collections::BTreeMap<String, usize>) {
    let mut world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    world.hold_workers().await;
    for i in 0..comments {
        world
            .send_comment(pr, "nora-gh", &format!("ping {i}"))
            .await;
    }
    world.gh.reset_calls();
    world.start_workers().await;
    assert_eq!(conclusion(&world, pr), "failure");
    (world.gh.calls_total(), world.gh.call_counts())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_calls_for_many_queued_deliveries_of_one_pr_are_those_of_one_evaluation() {
    let (one, one_calls) = calls_for_queued_comments(1).await;
    let (many, many_calls) = calls_for_queued_comments(40).await;
    assert_eq!(
        many, one,
        "{many_calls:#?}\nagainst one delivery's\n{one_calls:#?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_command_is_never_coalesced() {
    let mut world = World::new(CONFIG).await;
    let pr = shadow_pr(&world).await;
    world.hold_workers().await;
    let before = world.send_comment(pr, "nora-gh", "one").await;
    let merge = world.send_comment(pr, "cora-gh", "/pushgate merge").await;
    let after = world.send_comment(pr, "nora-gh", "two").await;
    world.start_workers().await;
    // The command runs on its own (in the repository's lane) and the comments around it are
    // not collapsed into it.
    let (_, note) = outcome(&world, &merge).await;
    assert_eq!(note, None);
    assert_eq!(
        outcome(&world, &before).await.1,
        Some(format!("coalesced into {after}"))
    );
}
