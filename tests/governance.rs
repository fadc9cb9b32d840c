//! Votes and lazy consensus through the real service against the fake GitHub: committers
//! open them, everyone's answers are tallied in one comment (committers' counted), edits count
//! only when the author made them, and at the deadline — across a restart too — the result is
//! posted and labelled. Cora, Xavier and Quinn are THE REST's maintainers: the committers.

mod support;

use std::time::Duration;

use pushgate::sim::BOT_LOGIN;
use support::*;

const MARKER: &str = "<!-- pushgate:decision ";

fn bot_comments(world: &World, n: u64) -> Vec<String> {
    world
        .gh
        .comments_on(REPO, n)
        .into_iter()
        .filter(|c| c.user == BOT_LOGIN)
        .map(|c| c.body)
        .collect()
}

/// The one tally comment (fails when there are two).
fn tally(world: &World, n: u64) -> String {
    let tallies: Vec<String> = bot_comments(world, n)
        .into_iter()
        .filter(|b| b.contains(MARKER))
        .collect();
    assert!(tallies.len() <= 1, "more than one tally: {tallies:#?}");
    tallies.into_iter().next().unwrap_or_default()
}

fn labels(world: &World, n: u64) -> Vec<String> {
    match world.gh.issue_state(REPO, n) {
        Some((_, labels)) => labels,
        None => world.gh.labels_on(REPO, n),
    }
}

/// Moves pushgate's clock past the deadline and waits for `label`.
async fn pass_the_deadline(world: &World, n: u64, hours: i64, label: &str) {
    world.service().clock.advance(hours * 3600);
    wait_until(&format!("label {label} on #{n}"), || {
        labels(world, n).iter().any(|l| l == label)
    })
    .await;
    world.settle().await;
}

/// `editor` edits comment `id` on `n` to `body`; the edit's webhook is processed.
async fn edit(world: &World, n: u64, id: u64, editor: &str, body: &str) {
    world.gh.edit_comment(REPO, id, editor, body);
    let (status, _) = world
        .send(
            "issue_comment",
            &world.gh.issue_comment_edited_event(REPO, n, id),
        )
        .await;
    assert_eq!(status, 202);
    world.settle().await;
}

/// `login` comments `body` on `n`; returns the comment's id once processed.
async fn answer(world: &World, n: u64, login: &str, body: &str) -> u64 {
    let id = world.gh.add_comment(REPO, n, login, body);
    let (status, _) = world
        .send("issue_comment", &world.gh.issue_comment_event(REPO, n, id))
        .await;
    assert_eq!(status, 202);
    world.settle().await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_committers_vote_is_tallied_in_one_comment_and_passes_at_its_deadline() {
    let world = World::new(CONFIG).await;
    let issue = world
        .gh
        .open_issue(REPO, "nora-gh", "Adopt the new coding style", &[]);
    world.comment(issue, "cora-gh", "/pushgate vote 72h").await;
    let shown = tally(&world, issue);
    assert!(
        shown.contains("Vote (improved scheme), opened by @cora-gh"),
        "{shown}"
    );
    assert!(shown.contains("No answers yet"), "{shown}");
    answer(&world, issue, "quinn-gh", "+1").await;
    // Sha maintains the shadow code but is no committer: shown, not counted.
    answer(&world, issue, "sha-gh", "-2\nI do not like it.").await;
    answer(&world, issue, "cora-gh", "+2").await;
    let shown = tally(&world, issue);
    assert!(shown.contains("| @quinn-gh | `+1` | yes |"), "{shown}");
    assert!(
        shown.contains("| @sha-gh | `-2` | no: not a committer | yes |"),
        "{shown}"
    );
    assert!(
        shown.contains("`+2`: 1, `+1`: 1, `0`: 0, `-1`: 0, `-2`: 0"),
        "{shown}"
    );
    assert!(shown.contains("If it ended now: it would pass"), "{shown}");
    assert!(labels(&world, issue).is_empty());

    pass_the_deadline(&world, issue, 73, "vote: passed").await;
    let closing = bot_comments(&world, issue)
        .into_iter()
        .find(|b| b.contains("The vote passed"))
        .expect("the result comment");
    assert!(closing.contains("| @cora-gh | `+2` | yes |"), "{closing}");
    assert!(tally(&world, issue).contains("Result: passed"));
    // Recorded for the dashboard: who opened it and how it ended.
    let store = &world.service().store;
    let decisions = store.decisions(REPO).await.unwrap();
    assert_eq!(decisions.len(), 1);
    assert_eq!(decisions[0].state, "passed");
    let log: Vec<(String, String)> = store
        .governance_log(REPO)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.who, e.what))
        .collect();
    assert_eq!(
        log,
        [
            (
                "cora-gh".to_string(),
                "opened a vote (improved scheme, 3d)".to_string()
            ),
            ("pushgate".to_string(), "vote passed".to_string()),
        ]
    );
    // A late answer changes nothing any more.
    answer(&world, issue, "quinn-gh", "-2\nToo late, sorry.").await;
    assert!(!labels(&world, issue).iter().any(|l| l == "vote: rejected"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_committers_open_votes_and_lazy_consensus_and_bad_commands_are_explained() {
    let world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.settle().await;
    world.comment(pr, "sha-gh", "/pushgate vote").await;
    world
        .comment(pr, "nora-gh", "/pushgate lazy-consensus 24h")
        .await;
    world.comment(pr, "cora-gh", "/pushgate vote 0h").await;
    world
        .comment(pr, "quinn-gh", "/pushgate vote --scheme weighted")
        .await;
    let replies = bot_comments(&world, pr);
    let said = |text: &str| replies.iter().filter(|r| r.contains(text)).count();
    assert_eq!(
        said("@sha-gh: only committers can open a vote; nothing changed."),
        1,
        "{replies:#?}"
    );
    assert_eq!(
        said("@nora-gh: only committers can open a lazy consensus; nothing changed."),
        1
    );
    assert_eq!(said("@cora-gh: `0h` is no time at all"), 1, "{replies:#?}");
    assert_eq!(said("@quinn-gh: `weighted` is not a vote scheme"), 1);
    assert!(world
        .service()
        .store
        .decisions(REPO)
        .await
        .unwrap()
        .is_empty());
    assert_eq!(tally(&world, pr), "");
    // A second vote while one is open is refused.
    world.comment(pr, "cora-gh", "/pushgate vote").await;
    world
        .comment(pr, "quinn-gh", "/pushgate lazy-consensus")
        .await;
    assert!(
        bot_comments(&world, pr)
            .iter()
            .any(|r| r.contains("@quinn-gh: a vote is already open here until")),
        "{:#?}",
        bot_comments(&world, pr)
    );
    let log = world.service().store.governance_log(REPO).await.unwrap();
    assert_eq!(
        log.iter().filter(|e| e.what.starts_with("refused")).count(),
        5
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_committers_minus_two_rejects_and_an_unexplained_one_is_asked_for_reasons() {
    let world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.settle().await;
    world.comment(pr, "cora-gh", "/pushgate vote 1d").await;
    answer(&world, pr, "cora-gh", "+2").await;
    answer(&world, pr, "quinn-gh", "-2").await;
    answer(&world, pr, "xavier-gh", "-1").await;
    for asked in [
        "@quinn-gh: your `-2` in this vote has no explanation",
        "@xavier-gh: your `-1` in this vote has no explanation",
    ] {
        let found = bot_comments(&world, pr)
            .into_iter()
            .filter(|b| b.contains(asked))
            .count();
        assert_eq!(found, 1, "{asked}: {:#?}", bot_comments(&world, pr));
    }
    assert!(tally(&world, pr).contains("**no**: asked for one"));
    // Another comment on the pull request does not ask again.
    answer(&world, pr, "nora-gh", "Thanks all.").await;
    let asked = bot_comments(&world, pr)
        .into_iter()
        .filter(|b| b.contains("has no explanation"))
        .count();
    assert_eq!(asked, 2);
    pass_the_deadline(&world, pr, 25, "vote: rejected").await;
    assert!(bot_comments(&world, pr)
        .iter()
        .any(|b| b.contains("The vote did not pass**: a -2 from @quinn-gh")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_voters_own_edit_replaces_the_vote_and_someone_elses_changes_nothing() {
    let world = World::new(CONFIG).await;
    let issue = world
        .gh
        .open_issue(REPO, "nora-gh", "Drop the old ABI", &[]);
    world.comment(issue, "cora-gh", "/pushgate vote 2h").await;
    let quinn = answer(&world, issue, "quinn-gh", "-2\nIt breaks guests.").await;
    assert!(tally(&world, issue).contains("| @quinn-gh | `-2` | yes | yes |"));
    // Quinn changes their mind by editing their comment.
    edit(&world, issue, quinn, "quinn-gh", "+1").await;
    assert!(
        tally(&world, issue).contains("| @quinn-gh | `+1` | yes |"),
        "{}",
        tally(&world, issue)
    );
    // Cora (an admin could) turns Quinn's answer back into a -2: it stays Quinn's +1.
    edit(&world, issue, quinn, "cora-gh", "-2\nforged").await;
    let shown = tally(&world, issue);
    assert!(shown.contains("| @quinn-gh | `+1` | yes |"), "{shown}");
    assert!(!shown.contains("`-2` | yes"), "{shown}");
    // A later answer of Quinn's replaces the earlier one.
    answer(&world, issue, "quinn-gh", "0").await;
    assert!(tally(&world, issue).contains("| @quinn-gh | `0` | yes |"));
    pass_the_deadline(&world, issue, 3, "vote: passed").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_survives_a_restart_and_closes_at_its_deadline_after_it() {
    let mut world = World::new(CONFIG).await;
    let issue = world
        .gh
        .open_issue(REPO, "nora-gh", "Move to a new list", &[]);
    world
        .comment(issue, "cora-gh", "/pushgate vote 1h --scheme current")
        .await;
    answer(&world, issue, "quinn-gh", "-1\nWe lose the archives.").await;
    world.service.take().unwrap().kill();
    let restarted = pushgate::service::start(settings(&world.database_url, &world.api, "again"))
        .await
        .unwrap();
    world.service = Some(restarted);
    // Not before the deadline…
    world.service().clock.advance(1800);
    tokio::time::sleep(Duration::from_millis(400)).await;
    world.settle().await;
    assert!(labels(&world, issue).is_empty());
    // …and once it passed, on the new process's clock.
    pass_the_deadline(&world, issue, 1, "vote: rejected").await;
    assert!(bot_comments(&world, issue)
        .iter()
        .any(|b| b.contains("a veto (-1) from @quinn-gh")));
    assert_eq!(
        bot_comments(&world, issue)
            .iter()
            .filter(|b| b.contains("The vote did not pass"))
            .count(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lazy_consensus_passes_over_an_unexplained_objection_and_names_who_was_asked() {
    let world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.settle().await;
    world
        .comment(
            pr,
            "cora-gh",
            "/pushgate lazy-consensus 72h\n@sha-gh, this touches your code.",
        )
        .await;
    let shown = tally(&world, pr);
    assert!(
        shown.contains("Lazy consensus, proposed by @cora-gh"),
        "{shown}"
    );
    assert!(
        shown.contains("Asked: @quinn-gh @xavier-gh @sha-gh"),
        "{shown}"
    );
    answer(&world, pr, "sha-gh", "-1").await;
    assert!(bot_comments(&world, pr)
        .iter()
        .any(|b| b.contains("@sha-gh: your objection has no explanation, so it does not block")));
    pass_the_deadline(&world, pr, 73, "consensus: reached").await;
    let closing = bot_comments(&world, pr)
        .into_iter()
        .find(|b| b.contains("Lazy consensus reached"))
        .expect("the closing comment");
    assert!(
        closing.contains("so we assume people are OK with it"),
        "{closing}"
    );
    assert!(
        closing.contains("Asked: @quinn-gh, @xavier-gh, @sha-gh"),
        "{closing}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lazy_consensus_is_blocked_by_an_explained_objection() {
    let world = World::new(CONFIG).await;
    let issue = world
        .gh
        .open_issue(REPO, "nora-gh", "Switch the default scheduler", &[]);
    world
        .comment(issue, "quinn-gh", "/pushgate lazy-consensus")
        .await;
    answer(
        &world,
        issue,
        "sha-gh",
        "-1\nCredit2 still regresses on large hosts.",
    )
    .await;
    // Three days by default.
    pass_the_deadline(&world, issue, 73, "consensus: blocked").await;
    assert!(bot_comments(&world, issue)
        .iter()
        .any(|b| b.contains("Lazy consensus blocked**: an explained objection from @sha-gh")));
    let decisions = world.service().store.decisions(REPO).await.unwrap();
    assert_eq!(decisions[0].state, "rejected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_command_opens_nothing_twice_and_answers_once() {
    let world = World::new(CONFIG).await;
    let issue = world.gh.open_issue(REPO, "nora-gh", "Rename the tree", &[]);
    for (login, body) in [
        ("cora-gh", "/pushgate vote 1d"),
        ("sha-gh", "/pushgate vote"),
    ] {
        let id = world.gh.add_comment(REPO, issue, login, body);
        let payload = world.gh.issue_comment_event(REPO, issue, id);
        // GitHub redelivers (a new delivery id, the same comment).
        for _ in 0..2 {
            let (status, _) = world.send("issue_comment", &payload).await;
            assert_eq!(status, 202);
            world.settle().await;
        }
    }
    let comments = bot_comments(&world, issue);
    assert_eq!(
        comments.iter().filter(|b| b.contains(MARKER)).count(),
        1,
        "{comments:#?}"
    );
    assert_eq!(
        comments
            .iter()
            .filter(|b| b.contains("only committers can open a vote"))
            .count(),
        1,
        "{comments:#?}"
    );
    let log = world.service().store.governance_log(REPO).await.unwrap();
    assert_eq!(
        log.iter().filter(|e| e.what.starts_with("opened")).count(),
        1
    );
    assert_eq!(
        world.service().store.decisions(REPO).await.unwrap().len(),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_configured_scheme_and_quorum_apply_when_the_command_names_none() {
    let config = format!(
        "{CONFIG}\n[governance]\nscheme = \"majority\"\nquorum = 2\nvote_duration = \"2h\"\n"
    );
    let world = World::new(&config).await;
    let issue = world
        .gh
        .open_issue(REPO, "nora-gh", "Elect a release manager", &[]);
    world.comment(issue, "cora-gh", "/pushgate vote").await;
    assert!(tally(&world, issue).contains("Vote (majority scheme)"));
    answer(&world, issue, "quinn-gh", "+1").await;
    answer(&world, issue, "sha-gh", "+1").await;
    // One committer voted of the two the quorum needs; Sha's vote is shown, not counted.
    pass_the_deadline(&world, issue, 3, "vote: rejected").await;
    assert!(bot_comments(&world, issue)
        .iter()
        .any(|b| b.contains("no quorum: 1 of the 2 committers needed voted")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_vote_that_fails_for_good_says_so_on_its_item_and_leaves_the_acks_check_alone() {
    use pushgate::sim::{endpoint, Fault};
    let world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.settle().await;
    world.comment(pr, "cora-gh", "/pushgate vote 1d").await;
    let checks = world.acks_count();
    // GitHub refuses to edit the tally once.
    world
        .gh
        .inject(Fault::status(422).on(endpoint::UPDATE_COMMENT).times(1));
    answer(&world, pr, "quinn-gh", "+1").await;
    let failures: Vec<String> = bot_comments(&world, pr)
        .into_iter()
        .filter(|b| b.contains("pushgate could not handle a vote or lazy consensus here"))
        .collect();
    assert_eq!(failures.len(), 1, "{:#?}", bot_comments(&world, pr));
    // One sentence as written, naming the delivery for the log (no runs of blanks from a
    // broken line in the source).
    assert!(
        !failures[0].contains("  ") && failures[0].contains("Comment again to retry."),
        "{}",
        failures[0]
    );
    assert!(
        failures[0].contains("its log (delivery `"),
        "{}",
        failures[0]
    );
    assert_eq!(
        world.acks_count(),
        checks,
        "the acks check shows no governance failure"
    );
    // The next answer brings the tally up to date.
    answer(&world, pr, "xavier-gh", "+2").await;
    assert!(tally(&world, pr).contains("| @quinn-gh | `+1` | yes |"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deletion_by_someone_else_keeps_the_vote_and_the_voters_own_withdraws_it() {
    let world = World::new(CONFIG).await;
    let issue = world
        .gh
        .open_issue(REPO, "nora-gh", "Retire the old toolstack", &[]);
    world.comment(issue, "cora-gh", "/pushgate vote 2h").await;
    let quinn = answer(&world, issue, "quinn-gh", "-2\nStill in use downstream.").await;
    let xavier = answer(&world, issue, "xavier-gh", "-2\nNeeded by the test lab.").await;
    let delete = |id: u64, by: &'static str| {
        let world = &world;
        async move {
            world.gh.delete_comment(REPO, id, by);
            let (status, _) = world
                .send(
                    "issue_comment",
                    &world.gh.issue_comment_deleted_event(REPO, issue, id),
                )
                .await;
            assert_eq!(status, 202);
            world.settle().await;
        }
    };
    // Cora deletes Quinn's vote: it still stands. Xavier deletes his own: it is withdrawn.
    delete(quinn, "cora-gh").await;
    delete(xavier, "xavier-gh").await;
    let shown = tally(&world, issue);
    assert!(
        shown.contains("| @quinn-gh | `-2` | yes | yes |"),
        "{shown}"
    );
    assert!(!shown.contains("@xavier-gh"), "{shown}");
    pass_the_deadline(&world, issue, 3, "vote: rejected").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_deleted_tally_is_posted_again_with_the_next_answer() {
    let world = World::new(CONFIG).await;
    let issue = world
        .gh
        .open_issue(REPO, "nora-gh", "Adopt a code of conduct", &[]);
    world.comment(issue, "cora-gh", "/pushgate vote 1d").await;
    let tally_id = world
        .gh
        .comments_on(REPO, issue)
        .into_iter()
        .find(|c| c.body.contains(MARKER))
        .expect("the tally")
        .id;
    world.gh.delete_comment(REPO, tally_id, "cora-gh");
    answer(&world, issue, "quinn-gh", "+1").await;
    assert!(tally(&world, issue).contains("| @quinn-gh | `+1` | yes |"));
}
