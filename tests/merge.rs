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
    let pr = world
        .gh
        .open_pr(REPO, NEWCOMER.2, "tidy", "staging", "x86/shadow: tidy");
    world
        .send(
            "pull_request",
            &world.gh.pull_request_event(REPO, pr, "opened", None),
        )
        .await;
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
        .inject(Fault::status(422).on(endpoint::UPDATE_REF).times(1));
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
