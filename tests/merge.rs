//! `/pushgate merge` on the fake GitHub: a committer lands an acked PR on staging with the
//! acks as trailers in Xen's order; others are refused; conflicts and a moved tip land nothing.

mod support;

use pushgate::sim::{endpoint, Fault};
use support::*;

const MESSAGE: &str = "x86/shadow: tidy the log-dirty code\n\nNo functional change.\n\n\
Signed-off-by: Nora Newcomer <nora@new.example>\nAcked-by: Forged Person <forged@x.example>\n";

/// An acked PR: Sha (shadow maintainer) approves, Xavier (x86) acks in a comment.
async fn acked_pr(world: &World) -> u64 {
    let base = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.create_branch(REPO, "tidy", &base);
    world.gh.commit(
        REPO,
        "tidy",
        NEWCOMER,
        MESSAGE,
        &[(SHADOW, Some("int shadow = 2;\n"))],
    );
    let pr = world.open_branch_pr("tidy", "x86/shadow: tidy").await;
    world.approve(pr, "sha-gh").await;
    world.comment(pr, "xavier-gh", "/ack").await;
    pr
}

fn last_reply(world: &World, pr: u64) -> String {
    world
        .gh
        .comments_on(REPO, pr)
        .into_iter()
        .rfind(|c| c.user == pushgate::sim::BOT_LOGIN)
        .map(|c| c.body)
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committer_merge_rebases_with_xen_trailers_and_closes_the_pr() {
    let world = World::new(CONFIG).await;
    let pr = acked_pr(&world).await;
    let before = world.gh.branch_tip(REPO, "staging").unwrap();
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    let after = world.gh.branch_tip(REPO, "staging").unwrap();
    assert_ne!(after, before, "{}", last_reply(&world, pr));
    assert_eq!(world.gh.commit_parents(REPO, &after), [before]);
    assert_eq!(
        world.gh.commit_message(REPO, &after).unwrap(),
        "x86/shadow: tidy the log-dirty code\n\nNo functional change.\n\n\
         Signed-off-by: Nora Newcomer <nora@new.example>\n\
         Reviewed-by: Sha Dow <sha@shadow.example>\n\
         Acked-by: Xavier Ex <xavier@x86.example>\n"
    );
    assert_eq!(
        world.gh.file_at(REPO, &after, SHADOW).as_deref(),
        Some("int shadow = 2;\n")
    );
    assert_eq!(world.gh.pr_state(REPO, pr), "closed");
    assert!(
        last_reply(&world, pr).starts_with("Merged by @cora-gh"),
        "{}",
        last_reply(&world, pr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_by_a_non_committer_is_refused() {
    let world = World::new(CONFIG).await;
    let pr = acked_pr(&world).await;
    let before = world.gh.branch_tip(REPO, "staging").unwrap();
    world.comment(pr, "sha-gh", "/pushgate merge").await;
    assert_eq!(world.gh.branch_tip(REPO, "staging").unwrap(), before);
    assert!(last_reply(&world, pr).contains("only committers can merge"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merge_without_acks_lands_nothing() {
    let world = World::new(CONFIG).await;
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("z\n"))]).await;
    world.settle().await;
    let before = world.gh.branch_tip(REPO, "staging").unwrap();
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    assert_eq!(world.gh.branch_tip(REPO, "staging").unwrap(), before);
    assert!(last_reply(&world, pr).contains("`pushgate/acks` is not satisfied"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conflict_with_staging_lands_nothing_and_says_what_to_do() {
    let world = World::new(CONFIG).await;
    let pr = acked_pr(&world).await;
    // Staging changes the same file after the PR forked.
    world.gh.commit(
        REPO,
        "staging",
        ("Cora", "cora@rest.example", "cora-gh"),
        "other",
        &[(SHADOW, Some("int shadow = 3;\n"))],
    );
    let before = world.gh.branch_tip(REPO, "staging").unwrap();
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    assert_eq!(world.gh.branch_tip(REPO, "staging").unwrap(), before);
    let reply = last_reply(&world, pr);
    assert!(reply.contains("Rebase the pull request"), "{reply}");
    assert!(reply.contains(SHADOW), "{reply}");
    assert_eq!(world.gh.pr_state(REPO, pr), "open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staging_moving_during_the_merge_lands_nothing() {
    let world = World::new(CONFIG).await;
    let pr = acked_pr(&world).await;
    let before = world.gh.branch_tip(REPO, "staging").unwrap();
    world
        .gh
        .inject(Fault::status(422).on(endpoint::GRAPHQL).times(1));
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    assert_eq!(world.gh.branch_tip(REPO, "staging").unwrap(), before);
    assert!(
        last_reply(&world, pr).contains("moved while the commits were being built"),
        "{}",
        last_reply(&world, pr)
    );
    assert_eq!(world.gh.pr_state(REPO, pr), "open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn squash_and_merge_methods_make_one_commit() {
    for (method, parents) in [("squash-trailers", 1), ("merge", 2)] {
        let config = format!("{CONFIG}\n[merge]\nmethod = \"{method}\"\n");
        let world = World::new(&config).await;
        let pr = acked_pr(&world).await;
        let before = world.gh.branch_tip(REPO, "staging").unwrap();
        world.comment(pr, "cora-gh", "/pushgate merge").await;
        let after = world.gh.branch_tip(REPO, "staging").unwrap();
        let found = world.gh.commit_parents(REPO, &after);
        assert_eq!(found.len(), parents, "{method}: {}", last_reply(&world, pr));
        assert_eq!(found[0], before, "{method}");
        assert_eq!(
            world.gh.commit_message(REPO, &after).unwrap(),
            "x86/shadow: tidy\n\nReviewed-by: Sha Dow <sha@shadow.example>\nAcked-by: Xavier Ex <xavier@x86.example>\n",
            "{method}"
        );
        assert_eq!(
            world.gh.file_at(REPO, &after, SHADOW).as_deref(),
            Some("int shadow = 2;\n")
        );
    }
}

async fn api_post(world: &World, path: &str, body: serde_json::Value) -> u16 {
    let token = world.gh.mint_token(INSTALLATION);
    world
        .http
        .post(format!("{}{path}", world.api))
        .header("authorization", format!("token {token}"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_label_holds_the_merge_back() {
    let world = World::new(CONFIG).await;
    let pr = acked_pr(&world).await;
    let status = api_post(
        &world,
        &format!("/repos/{REPO}/issues/{pr}/labels"),
        serde_json::json!({ "labels": ["do-not-merge"] }),
    )
    .await;
    assert_eq!(status, 200);
    let before = world.gh.branch_tip(REPO, "staging").unwrap();
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    assert_eq!(world.gh.branch_tip(REPO, "staging").unwrap(), before);
    assert!(
        last_reply(&world, pr).contains("the label `do-not-merge` holds it back"),
        "{}",
        last_reply(&world, pr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_prs_own_required_checks_must_pass_first() {
    let config = format!("{CONFIG}\n[merge]\npr_required = [\"ci\"]\n");
    let world = World::new(&config).await;
    let pr = acked_pr(&world).await;
    let before = world.gh.branch_tip(REPO, "staging").unwrap();
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    assert_eq!(world.gh.branch_tip(REPO, "staging").unwrap(), before);
    assert!(
        last_reply(&world, pr).contains("the required check `ci` has not passed"),
        "{}",
        last_reply(&world, pr)
    );
    let head = world.gh.pr_head(REPO, pr);
    let body = serde_json::json!({ "name": "ci", "head_sha": head, "status": "completed", "conclusion": "success", "output": { "title": "ci", "summary": "" } });
    assert_eq!(
        api_post(&world, &format!("/repos/{REPO}/check-runs"), body).await,
        201
    );
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    assert_ne!(
        world.gh.branch_tip(REPO, "staging").unwrap(),
        before,
        "{}",
        last_reply(&world, pr)
    );
}

fn bot_replies(world: &World, pr: u64) -> usize {
    world
        .gh
        .comments_on(REPO, pr)
        .iter()
        .filter(|c| c.user == pushgate::sim::BOT_LOGIN)
        .count()
}

/// Every commit's message on `tip`'s first-parent line down to (not including) `stop`,
/// oldest first.
fn messages_since(world: &World, tip: &str, stop: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = tip.to_string();
    while at != stop {
        out.push(world.gh.commit_message(REPO, &at).unwrap());
        at = world.gh.commit_parents(REPO, &at)[0].clone();
    }
    out.reverse();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_between_the_judgement_and_the_land_lands_nothing() {
    let world = World::new(CONFIG).await;
    let pr = acked_pr(&world).await;
    let before = world.gh.branch_tip(REPO, "staging").unwrap();
    // The PR is judged acked; the moment pushgate starts comparing to build the commits, the
    // author pushes code nobody acked.
    world.gh.before(endpoint::COMPARE, move |gh| {
        gh.push_to_pr(
            REPO,
            pr,
            NEWCOMER,
            "sneak in\n\nSigned-off-by: Nora Newcomer <nora@new.example>",
            &[("xen/arch/arm/setup.c", Some("unacked\n"))],
        );
    });
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    let after = world.gh.branch_tip(REPO, "staging").unwrap();
    assert_eq!(
        world
            .gh
            .file_at(REPO, &after, "xen/arch/arm/setup.c")
            .as_deref(),
        Some("int arm;\n"),
        "unacked code reached staging"
    );
    assert_eq!(after, before);
    let reply = last_reply(&world, pr);
    assert!(reply.contains("new commits since the check"), "{reply}");
    assert_eq!(world.gh.pr_state(REPO, pr), "open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staging_changed_elsewhere_in_the_same_file_is_merged_line_by_line() {
    let world = World::new(CONFIG).await;
    let base = world.gh.branch_tip(REPO, "staging").unwrap();
    let cora = ("Cora", "cora@rest.example", "cora-gh");
    world.gh.commit(
        REPO,
        "staging",
        cora,
        "three lines",
        &[(SHADOW, Some("one\ntwo\nthree\nfour\nfive\n"))],
    );
    let fork = world.gh.branch_tip(REPO, "staging").unwrap();
    assert_ne!(fork, base);
    world.gh.create_branch(REPO, "tidy", &fork);
    world.gh.commit(
        REPO,
        "tidy",
        NEWCOMER,
        MESSAGE,
        &[(SHADOW, Some("one\ntwo\nthree\nfour\nFIVE\n"))],
    );
    let pr = world.open_branch_pr("tidy", "x86/shadow: tidy").await;
    world.approve(pr, "sha-gh").await;
    world.comment(pr, "xavier-gh", "/ack").await;
    // Staging changes another line of the same file after the fork.
    world.gh.commit(
        REPO,
        "staging",
        cora,
        "first line",
        &[(SHADOW, Some("ONE\ntwo\nthree\nfour\nfive\n"))],
    );
    let before = world.gh.branch_tip(REPO, "staging").unwrap();
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    let after = world.gh.branch_tip(REPO, "staging").unwrap();
    assert_ne!(after, before, "{}", last_reply(&world, pr));
    assert_eq!(world.gh.commit_parents(REPO, &after), [before]);
    assert_eq!(
        world.gh.file_at(REPO, &after, SHADOW).as_deref(),
        Some("ONE\ntwo\nthree\nfour\nFIVE\n")
    );
    // The temporary branch of the three-way merge is gone.
    let branches = world.gh.branches(REPO);
    assert!(
        !branches.iter().any(|b| b.starts_with("pushgate-tmp/")),
        "{branches:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_commit_carries_the_acks_for_the_files_it_touches_and_the_committer() {
    let world = World::new(CONFIG).await;
    let base = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.create_branch(REPO, "two", &base);
    world.gh.commit(
        REPO,
        "two",
        NEWCOMER,
        "x86/shadow: one\n\nSigned-off-by: Nora Newcomer <nora@new.example>",
        &[(SHADOW, Some("int shadow = 2;\n"))],
    );
    world.gh.commit(
        REPO,
        "two",
        NEWCOMER,
        "arm: two\n\nSigned-off-by: Nora Newcomer <nora@new.example>",
        &[("xen/arch/arm/setup.c", Some("int arm = 2;\n"))],
    );
    let pr = world.open_branch_pr("two", "two").await;
    world.comment(pr, "sha-gh", "/ack").await;
    world.comment(pr, "ada-gh", "/ack").await;
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    let after = world.gh.branch_tip(REPO, "staging").unwrap();
    assert_ne!(after, base, "{}", last_reply(&world, pr));
    let messages = messages_since(&world, &after, &base);
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[0].contains("Acked-by: Sha Dow <sha@shadow.example>"),
        "{}",
        messages[0]
    );
    assert!(!messages[0].contains("Ada Arm"), "{}", messages[0]);
    assert!(
        messages[1].contains("Acked-by: Ada Arm <ada@arm.example>"),
        "{}",
        messages[1]
    );
    assert!(!messages[1].contains("Sha Dow"), "{}", messages[1]);
    // The committer who asked is git's committer of what landed.
    let (name, email) = world.gh.commit_committer(REPO, &after).unwrap();
    assert_eq!(name, "cora-gh");
    assert!(
        email.ends_with("+cora-gh@users.noreply.github.com"),
        "{email}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_merge_command_lands_and_answers_once() {
    let world = World::new(CONFIG).await;
    let pr = acked_pr(&world).await;
    let before = world.gh.branch_tip(REPO, "staging").unwrap();
    let comment = world.gh.add_comment(REPO, pr, "cora-gh", "/pushgate merge");
    let payload = world.gh.issue_comment_event(REPO, pr, comment);
    let (status, _) = world.send("issue_comment", &payload).await;
    assert_eq!(status, 202);
    world.settle().await;
    let landed = world.gh.branch_tip(REPO, "staging").unwrap();
    assert_ne!(landed, before, "{}", last_reply(&world, pr));
    assert_eq!(bot_replies(&world, pr), 1);
    // The same signed comment delivered again under a new delivery id (a replay, or GitHub's
    // redelivery button).
    let (status, _) = world.send("issue_comment", &payload).await;
    assert_eq!(status, 202);
    world.settle().await;
    assert_eq!(world.gh.branch_tip(REPO, "staging").unwrap(), landed);
    assert_eq!(
        bot_replies(&world, pr),
        1,
        "{:?}",
        world.gh.comments_on(REPO, pr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_whose_reply_was_lost_is_finished_without_landing_twice() {
    let world = World::new(CONFIG).await;
    let pr = acked_pr(&world).await;
    let before = world.gh.branch_tip(REPO, "staging").unwrap();
    // Staging moves, and the reply is posted, but GitHub's answer to it is lost: the delivery
    // fails and is run again.
    world.gh.inject(
        Fault::lost_answer(502)
            .on(endpoint::CREATE_COMMENT)
            .times(1),
    );
    world.send_comment(pr, "cora-gh", "/pushgate merge").await;
    wait_until("the PR to be closed", || {
        world.gh.pr_state(REPO, pr) == "closed"
    })
    .await;
    world.settle().await;
    let after = world.gh.branch_tip(REPO, "staging").unwrap();
    assert_eq!(
        world.gh.commit_parents(REPO, &after),
        [before],
        "landed twice"
    );
    assert_eq!(
        bot_replies(&world, pr),
        1,
        "{:?}",
        world.gh.comments_on(REPO, pr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_longer_than_github_lists_is_refused_whole() {
    let world = World::new(CONFIG).await;
    let base = world.gh.branch_tip(REPO, "staging").unwrap();
    world.long_branch("long", 251);
    let pr = world.open_branch_pr("long", "long").await;
    world.approve(pr, "sha-gh").await;
    world.comment(pr, "xavier-gh", "/ack").await;
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    assert_eq!(world.gh.branch_tip(REPO, "staging").unwrap(), base);
    let reply = last_reply(&world, pr);
    assert!(reply.contains("251 commits"), "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rewind_of_staging_during_the_merge_is_not_undone() {
    let world = World::new(CONFIG).await;
    let pr = acked_pr(&world).await;
    let good = world.gh.branch_tip(REPO, "staging").unwrap();
    let bad = world.gh.commit(
        REPO,
        "staging",
        ("Cora", "cora@rest.example", "cora-gh"),
        "bad commit",
        &[("README", Some("broken\n"))],
    );
    // While pushgate builds the commits on `bad`, a committer rewinds staging to drop it.
    world.gh.before(endpoint::CREATE_GIT_COMMIT, move |gh| {
        gh.create_branch(REPO, "staging", &good);
    });
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    let after = world.gh.branch_tip(REPO, "staging").unwrap();
    assert_eq!(
        world.gh.file_at(REPO, &after, "README").as_deref(),
        Some("hello\n"),
        "the dropped commit {bad} came back"
    );
    let reply = last_reply(&world, pr);
    assert!(
        reply.contains("moved while the commits were being built"),
        "{reply}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_modes_survive_the_rebase() {
    const SCRIPT: &str = "xen/arch/x86/mm/shadow/gen.sh";
    const NEW_SCRIPT: &str = "xen/arch/x86/mm/shadow/new.sh";
    const LINK: &str = "xen/arch/x86/mm/shadow/latest";
    let world = World::new(CONFIG).await;
    let cora = ("Cora", "cora@rest.example", "cora-gh");
    world.gh.commit_modes(
        REPO,
        "staging",
        cora,
        "scripts",
        &[
            (SCRIPT, Some("#!/bin/sh\necho 1\n")),
            (LINK, Some("gen.sh")),
        ],
        &[(SCRIPT, "100755"), (LINK, "120000")],
    );
    let base = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.create_branch(REPO, "scripts", &base);
    world.gh.commit_modes(
        REPO,
        "scripts",
        NEWCOMER,
        "x86/shadow: scripts\n\nSigned-off-by: Nora Newcomer <nora@new.example>",
        &[
            (SCRIPT, Some("#!/bin/sh\necho 2\n")),
            (NEW_SCRIPT, Some("#!/bin/sh\n")),
            (LINK, Some("new.sh")),
        ],
        &[(NEW_SCRIPT, "100755")],
    );
    let pr = world.open_branch_pr("scripts", "scripts").await;
    world.approve(pr, "sha-gh").await;
    world.comment(pr, "xavier-gh", "/ack").await;
    // Staging moves on elsewhere, so the commit is merged three ways rather than taken whole.
    world
        .gh
        .commit(REPO, "staging", cora, "readme", &[("README", Some("hi\n"))]);
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    let after = world.gh.branch_tip(REPO, "staging").unwrap();
    assert_eq!(
        world.gh.file_at(REPO, &after, "README").as_deref(),
        Some("hi\n"),
        "{}",
        last_reply(&world, pr)
    );
    for (path, mode) in [(SCRIPT, "100755"), (NEW_SCRIPT, "100755"), (LINK, "120000")] {
        assert_eq!(
            world.gh.mode_at(REPO, &after, path).as_deref(),
            Some(mode),
            "{path}"
        );
    }
    assert_eq!(
        world.gh.file_at(REPO, &after, LINK).as_deref(),
        Some("new.sh")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rewind_in_the_instant_before_staging_moves_is_not_undone() {
    let world = World::new(CONFIG).await;
    let pr = acked_pr(&world).await;
    let good = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.commit(
        REPO,
        "staging",
        ("Cora", "cora@rest.example", "cora-gh"),
        "bad commit",
        &[("README", Some("broken\n"))],
    );
    // The rewind lands after pushgate has read staging's tip, just before its update is
    // answered (whichever way the update is sent).
    for key in [endpoint::GRAPHQL, endpoint::UPDATE_REF] {
        let good = good.clone();
        world
            .gh
            .before(key, move |gh| gh.create_branch(REPO, "staging", &good));
    }
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    let after = world.gh.branch_tip(REPO, "staging").unwrap();
    assert_eq!(after, good, "{}", last_reply(&world, pr));
    assert_eq!(
        world.gh.file_at(REPO, &after, "README").as_deref(),
        Some("hello\n")
    );
    let reply = last_reply(&world, pr);
    assert!(
        reply.contains("moved while the commits were being built"),
        "{reply}"
    );
    assert_eq!(world.gh.pr_state(REPO, pr), "open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_github_keeps_failing_is_answered_once_when_the_retries_run_out() {
    let world = World::new(CONFIG).await;
    let pr = acked_pr(&world).await;
    let before = world.gh.branch_tip(REPO, "staging").unwrap();
    // Every new commit is refused as rate limited, with no wait asked: each of the worker's
    // attempts fails at once, until none is left.
    world.gh.inject(
        Fault::too_many_requests(0)
            .on(endpoint::CREATE_GIT_COMMIT)
            .every(1),
    );
    world.comment(pr, "cora-gh", "/pushgate merge").await;
    world.gh.clear_faults();
    assert_eq!(world.gh.branch_tip(REPO, "staging").unwrap(), before);
    let reply = last_reply(&world, pr);
    assert!(
        reply.starts_with("@cora-gh: `/pushgate merge` did not finish: GitHub kept failing")
            && reply.contains("Nothing landed: comment `/pushgate merge` again"),
        "{reply}"
    );
    assert_eq!(bot_replies(&world, pr), 1);
    assert!(world.gh.calls(endpoint::CREATE_GIT_COMMIT) >= 8);
}
