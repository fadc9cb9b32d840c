//! Referees through the real service against the fake GitHub: when maintainers of one touched
//! section disagree past `governance.referee_after`, `pushgate/acks` refers the pull request
//! to the committers (naming them), a committer settles it, a majority vote breaks a deadlock,
//! and the people concerned are told once each. Yara and Xavier maintain X86 ARCHITECTURE;
//! Cora, Xavier and Quinn are THE REST (the committers).

mod support;

use pushgate::sim::BOT_LOGIN;
use support::*;

const NACK: &str = "Nacked-by: Xavier Ex <xavier@x86.example>\nThis breaks the PV path.";

fn config() -> String {
    format!("{CONFIG}\n[governance]\nreferee_after = \"1h\"\n")
}

fn said(world: &World, n: u64, text: &str) -> usize {
    world
        .gh
        .comments_on(REPO, n)
        .into_iter()
        .filter(|c| c.user == BOT_LOGIN && c.body.contains(text))
        .count()
}

fn summary(world: &World, n: u64) -> String {
    world
        .acks(n)
        .map(|c| {
            format!(
                "{}\n{}",
                c.title.unwrap_or_default(),
                c.summary.unwrap_or_default()
            )
        })
        .unwrap_or_default()
}

/// A pull request on the shadow code that Sha approves and Yara acks, while Xavier (of the
/// same X86 ARCHITECTURE section) objects with an explanation.
async fn disputed(world: &World) -> u64 {
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("int y;\n"))]).await;
    world.approve(pr, "sha-gh").await;
    world.comment(pr, "yara-gh", "/ack").await;
    world.comment(pr, "xavier-gh", NACK).await;
    world.settle().await;
    pr
}

/// Moves the clock past `referee_after` and waits for the referral on the check.
async fn referred(world: &World, pr: u64) {
    world.service().clock.advance(2 * 3600);
    wait_until("the referral", || {
        summary(world, pr).contains("referred to the committers")
    })
    .await;
    world.settle().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disagreement_is_referred_to_the_committers_and_a_committer_settles_it() {
    let world = World::new(&config()).await;
    let pr = disputed(&world).await;
    assert_eq!(
        world.acks(pr).unwrap().conclusion.as_deref(),
        Some("failure")
    );
    assert!(
        !summary(&world, pr).contains("referred"),
        "{}",
        summary(&world, pr)
    );
    referred(&world, pr).await;
    let shown = summary(&world, pr);
    assert!(shown.contains("@cora-gh"), "{shown}");
    assert!(shown.contains("@quinn-gh"), "{shown}");
    assert!(
        shown.contains("maintainers of X86 ARCHITECTURE disagree"),
        "{shown}"
    );
    let told = "@nora-gh: the maintainers of X86 ARCHITECTURE disagree on this pull request";
    assert_eq!(said(&world, pr, told), 1);
    // Another evaluation tells nobody again.
    world.comment(pr, "nora-gh", "Any news?").await;
    assert_eq!(said(&world, pr, told), 1);
    // A non-committer's ruling changes nothing; a committer's settles it.
    world
        .comment(pr, "sha-gh", "/pushgate referee accept")
        .await;
    assert_eq!(
        world.acks(pr).unwrap().conclusion.as_deref(),
        Some("failure")
    );
    world
        .comment(pr, "cora-gh", "/pushgate referee accept")
        .await;
    assert_eq!(
        world.acks(pr).unwrap().conclusion.as_deref(),
        Some("success"),
        "{}",
        summary(&world, pr)
    );
    let overridden =
        "@nora-gh: the objection of @xavier-gh to this pull request was overridden by @cora-gh";
    assert_eq!(said(&world, pr, overridden), 1);
    world.comment(pr, "nora-gh", "Thanks!").await;
    assert_eq!(said(&world, pr, overridden), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejection_keeps_the_pull_request_blocked_with_its_reason() {
    let world = World::new(&config()).await;
    let pr = disputed(&world).await;
    referred(&world, pr).await;
    world
        .comment(
            pr,
            "quinn-gh",
            "/pushgate referee reject the PV path must stay",
        )
        .await;
    let shown = summary(&world, pr);
    assert_eq!(
        world.acks(pr).unwrap().conclusion.as_deref(),
        Some("failure")
    );
    assert!(
        shown.contains("rejected by the committers (@quinn-gh): the PV path must stay"),
        "{shown}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committers_who_disagree_are_settled_by_a_majority_vote_on_the_pull_request() {
    let world = World::new(&config()).await;
    let pr = disputed(&world).await;
    referred(&world, pr).await;
    world
        .comment(pr, "cora-gh", "/pushgate referee accept")
        .await;
    world
        .comment(pr, "quinn-gh", "/pushgate referee reject too risky")
        .await;
    let shown = summary(&world, pr);
    assert!(
        shown.contains("`/pushgate vote --scheme majority`"),
        "{shown}"
    );
    assert_eq!(
        world.acks(pr).unwrap().conclusion.as_deref(),
        Some("failure")
    );
    world
        .comment(pr, "cora-gh", "/pushgate vote 3h --scheme majority")
        .await;
    world.comment(pr, "cora-gh", "+1").await;
    world.comment(pr, "quinn-gh", "+1\nFine, convinced.").await;
    world.comment(pr, "xavier-gh", "-1\nStill breaks PV.").await;
    // GitHub's clock did not move with pushgate's: the vote runs 3h from GitHub's now.
    world.service().clock.advance(2 * 3600);
    wait_until("the vote's result", || {
        world
            .acks(pr)
            .is_some_and(|c| c.conclusion.as_deref() == Some("success"))
    })
    .await;
    world.settle().await;
    assert_eq!(
        said(
            &world,
            pr,
            "was overridden by a majority vote of the committers"
        ),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_objector_without_an_explanation_is_asked_for_one_once() {
    let world = World::new(&config()).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("int z;\n"))]).await;
    world
        .comment(
            pr,
            "rhea-gh",
            "Nacked-by: Rhea Reviewer <rhea@review.example>",
        )
        .await;
    let asked = "@rhea-gh: your objection to this pull request has no explanation";
    assert_eq!(said(&world, pr, asked), 1);
    world.approve(pr, "sha-gh").await;
    world.comment(pr, "nora-gh", "Ping").await;
    world.settle().await;
    assert_eq!(said(&world, pr, asked), 1);
    // Overridden by a maintainer: the author is told, once.
    world
        .comment(pr, "sha-gh", "/pushgate override @rhea-gh")
        .await;
    let told = "@nora-gh: the objection of @rhea-gh to this pull request was overridden by @sha-gh";
    assert_eq!(said(&world, pr, told), 1);
    world.comment(pr, "nora-gh", "Ping again").await;
    assert_eq!(said(&world, pr, told), 1);
}
