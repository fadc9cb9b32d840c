//! The release freeze's dates through the real service: between the freeze start and the
//! release date a pull request needs a release manager's `Release-Acked-by`, and at the
//! release date the freeze ends by itself (the pull request is judged again then).

mod support;

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_freeze_ends_by_itself_at_the_release_date() {
    let now = chrono::Utc::now().timestamp();
    let rfc = |at: i64| {
        chrono::DateTime::from_timestamp(at, 0)
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    };
    let config = format!(
        "{CONFIG}\n[release]\nmanagers = [\"yara-gh\"]\nfreeze_start = \"{}\"\ndate = \"{}\"\n",
        rfc(now - 86_400),
        rfc(now + 3600)
    );
    let world = World::new(&config).await;
    let pr = world
        .open_pr(NEWCOMER, &[(SHADOW, Some("int frozen;\n"))])
        .await;
    world.approve(pr, "sha-gh").await;
    world.settle().await;
    let check = world.acks(pr).unwrap();
    assert_eq!(check.conclusion.as_deref(), Some("failure"));
    assert!(
        check
            .summary
            .unwrap_or_default()
            .contains("freeze: a Release-Acked-by from a release manager"),
        "frozen"
    );
    // The release date passes: judged again, no release ack needed any more.
    let runs = world.acks_count();
    world.service().clock.advance(2 * 3600);
    world.wait_check(pr, runs, "success").await;
}
