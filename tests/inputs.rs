//! What the acks check reads belongs to the head it judges, and a list GitHub cut short is
//! never judged in part: a push landing while a pull request is read, and pull requests with
//! more files or commits than GitHub lists.

mod support;

use pushgate::sim::endpoint;
use support::*;

const ARM: &str = "xen/arch/arm/setup.c";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn files_read_after_a_push_are_not_taken_for_the_judged_head() {
    let world = World::new(CONFIG).await;
    let base = world.gh.branch_tip(REPO, "staging").unwrap();
    world.gh.create_branch(REPO, "both", &base);
    let judged = world.gh.commit(
        REPO,
        "both",
        NEWCOMER,
        "shadow and arm\n\nSigned-off-by: Nora Newcomer <nora@new.example>",
        &[
            (SHADOW, Some("int shadow = 2;\n")),
            (ARM, Some("int arm = 2;\n")),
        ],
    );
    let pr = world
        .gh
        .open_pr(REPO, NEWCOMER.2, "both", "staging", "both");
    // Sha approves the shadow part; nobody acks the ARM part.
    world
        .gh
        .add_review(REPO, pr, "sha-gh", pushgate::sim::ReviewState::Approved, "");
    let opened = world.gh.pull_request_event(REPO, pr, "opened", None);
    // Between pushgate's read of the pull request and its read of the files, the author
    // pushes a commit that takes the ARM change back out.
    world.gh.before(endpoint::PULL_FILES, move |gh| {
        gh.push_to_pr(REPO, pr, NEWCOMER, "drop arm", &[(ARM, Some("int arm;\n"))]);
    });
    let (status, _) = world.send("pull_request", &opened).await;
    assert_eq!(status, 202);
    world.settle().await;
    let runs = world.gh.check_runs(REPO);
    let on_judged: Vec<_> = runs
        .iter()
        .filter(|c| c.name == "pushgate/acks" && c.head_sha == judged)
        .collect();
    assert!(
        on_judged
            .iter()
            .all(|c| c.conclusion.as_deref() != Some("success")),
        "{judged} changes ARM unacked, yet: {on_judged:?}"
    );
    // The new head, which no longer touches ARM, is judged on its own files.
    let head = world.gh.pr_head(REPO, pr);
    assert_ne!(head, judged);
    let check = world.acks(pr).expect("a check on the new head");
    assert_eq!(check.conclusion.as_deref(), Some("success"), "{check:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_files_than_github_lists_fail_closed() {
    let world = World::new(CONFIG).await;
    let names: Vec<String> = (0..3001)
        .map(|i| format!("xen/arch/x86/mm/shadow/gen{i:04}.c"))
        .collect();
    let files: Vec<(&str, Option<&str>)> =
        names.iter().map(|n| (n.as_str(), Some("x\n"))).collect();
    let pr = world.open_pr(NEWCOMER, &files).await;
    world.approve(pr, "sha-gh").await;
    world.settle().await;
    let check = world.acks(pr).expect("check run");
    assert_eq!(check.conclusion.as_deref(), Some("failure"), "{check:?}");
    assert_eq!(
        check.title.as_deref(),
        Some("This pull request is too large to judge")
    );
    assert!(
        check
            .summary
            .as_deref()
            .unwrap_or("")
            .contains("3000 files"),
        "{check:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_commits_than_github_lists_fail_closed() {
    let world = World::new(CONFIG).await;
    world.long_branch("long", 251);
    let pr = world.open_branch_pr("long", "long").await;
    world.approve(pr, "sha-gh").await;
    world.settle().await;
    let check = world.acks(pr).expect("check run");
    assert_eq!(check.conclusion.as_deref(), Some("failure"), "{check:?}");
    assert!(
        check
            .summary
            .as_deref()
            .unwrap_or("")
            .contains("251 commits"),
        "{check:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_run_whose_answer_was_lost_is_not_made_twice() {
    let world = World::new(CONFIG).await;
    // GitHub makes the run, but its answer is lost on the way back.
    world.gh.inject(
        pushgate::sim::Fault::lost_answer(502)
            .on(endpoint::CREATE_CHECK_RUN)
            .times(1),
    );
    let pr = world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.settle().await;
    let head = world.gh.pr_head(REPO, pr);
    let runs: Vec<_> = world
        .gh
        .check_runs(REPO)
        .into_iter()
        .filter(|c| c.name == "pushgate/acks" && c.head_sha == head)
        .collect();
    assert_eq!(runs.len(), 1, "{runs:?}");
    assert_eq!(runs[0].conclusion.as_deref(), Some("failure"));
}
