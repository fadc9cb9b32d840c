//! Asking the right people, through the real service against the fake GitHub (issue 18): the
//! suggested maintainers are asked once per pull request (a review request, or a mention),
//! never the author or a co-author; `pushgate/acks` lists get_maintainer.pl's notify set with
//! `K:` keywords matched on the diff; and a co-author's ack is not the independent one.

mod support;

use pushgate::sim::{endpoint, ReviewState, BOT_LOGIN};
use support::*;

const TRAPS: &str = "xen/arch/x86/traps.c";
const XAVIER: (&str, &str, &str) = ("Xavier Ex", "xavier@x86.example", "xavier-gh");

/// Opens a pull request into staging from a new branch with one commit by `author` carrying
/// `message` and `files`, and sends its `opened` webhook; returns its number once processed.
async fn open_with(
    world: &World,
    author: (&str, &str, &str),
    message: &str,
    files: &[(&str, Option<&str>)],
) -> u64 {
    open_on(world, author, message, files).await.0
}

/// [`open_with`], also returning the pull request's branch.
async fn open_on(
    world: &World,
    author: (&str, &str, &str),
    message: &str,
    files: &[(&str, Option<&str>)],
) -> (u64, String) {
    let branch = format!("asking-{}", rand_suffix(message, files.len()));
    let base = world.gh.branch_tip(REPO, "staging").expect("staging");
    world.gh.create_branch(REPO, &branch, &base);
    world.gh.commit(REPO, &branch, author, message, files);
    let number = world
        .gh
        .open_pr(REPO, author.2, &branch, "staging", "A change");
    let (status, _) = world
        .send(
            "pull_request",
            &world.gh.pull_request_event(REPO, number, "opened", None),
        )
        .await;
    assert_eq!(status, 202);
    world.wait_check(number, 0, "failure").await;
    world.settle().await;
    (number, branch)
}

fn rand_suffix(message: &str, n: usize) -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!(
        "{}-{}-{n}",
        NEXT.fetch_add(1, Ordering::SeqCst),
        message.len()
    )
}

fn collaborators(world: &World, logins: &[&str]) {
    for login in logins {
        world.gh.set_permission(REPO, login, "read");
    }
}

fn summary(world: &World, n: u64) -> String {
    world
        .acks(n)
        .map(|c| c.summary.unwrap_or_default())
        .unwrap_or_default()
}

fn asked_comments(world: &World, n: u64) -> Vec<String> {
    world
        .gh
        .comments_on(REPO, n)
        .into_iter()
        .filter(|c| c.user == BOT_LOGIN && c.body.contains("your ack is needed"))
        .map(|c| c.body)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_suggested_maintainer_is_asked_once_across_re_evaluations() {
    let world = World::new(CONFIG).await;
    collaborators(&world, &["sha-gh", "twin-gh", "xavier-gh", "yara-gh"]);
    let (pr, branch) = open_on(
        &world,
        NEWCOMER,
        "x86/shadow: tweak",
        &[(SHADOW, Some("int shadow = 1;\n"))],
    )
    .await;
    let first = world.gh.requested_reviewers(REPO, pr);
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(
        ["sha-gh", "twin-gh"].contains(&first[0].as_str()),
        "{first:?}"
    );
    assert_eq!(world.gh.calls(endpoint::REQUEST_REVIEWERS), 1);

    // The same delivery again, and re-evaluations: nobody is asked twice.
    let (status, _) = world
        .send(
            "pull_request",
            &world.gh.pull_request_event(REPO, pr, "opened", None),
        )
        .await;
    assert_eq!(status, 202);
    world.comment(pr, "someone", "any news?").await;
    world.settle().await;
    assert_eq!(world.gh.calls(endpoint::REQUEST_REVIEWERS), 1);
    // The author takes the request back: pushgate remembers it asked, and leaves it.
    world.gh.remove_review_request(REPO, pr, &first[0]);
    world.comment(pr, "someone", "still nothing?").await;
    assert!(world.gh.requested_reviewers(REPO, pr).is_empty());
    assert_eq!(world.gh.calls(endpoint::REQUEST_REVIEWERS), 1);

    // The asked maintainer comments without approving: still nobody is asked again.
    let review = world
        .gh
        .add_review(REPO, pr, &first[0], ReviewState::Commented, "looking");
    let (status, _) = world
        .send(
            "pull_request_review",
            &world.gh.review_event(REPO, pr, review),
        )
        .await;
    assert_eq!(status, 202);
    world.settle().await;
    assert!(world.gh.requested_reviewers(REPO, pr).is_empty());

    // A push that touches another area asks its maintainer, and only them.
    world.gh.commit(
        REPO,
        &branch,
        NEWCOMER,
        "x86: traps too",
        &[(TRAPS, Some("int traps = 2;\n"))],
    );
    let (status, _) = world
        .send(
            "pull_request",
            &world.gh.pull_request_event(REPO, pr, "synchronize", None),
        )
        .await;
    assert_eq!(status, 202);
    world.settle().await;
    let now = world.gh.requested_reviewers(REPO, pr);
    assert!(!now.contains(&first[0]), "{now:?}");
    assert!(
        now.iter().any(|l| l == "xavier-gh" || l == "yara-gh"),
        "{now:?}"
    );
    assert!(!now.iter().any(|l| l == "nora-gh"), "{now:?}");
    world.comment(pr, "someone", "and now?").await;
    assert_eq!(world.gh.requested_reviewers(REPO, pr), now);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_author_and_co_authors_are_never_asked() {
    let world = World::new(CONFIG).await;
    collaborators(&world, &["xavier-gh", "yara-gh"]);
    // Xavier's own change: his sign-off meets X86 ARCHITECTURE, someone else must look.
    let own = open_with(
        &world,
        XAVIER,
        "x86: traps",
        &[(TRAPS, Some("int traps = 1;\n"))],
    )
    .await;
    assert_eq!(world.gh.requested_reviewers(REPO, own), ["yara-gh"]);
    // A newcomer's change Xavier co-wrote: Yara is asked, not Xavier.
    let shared = open_with(
        &world,
        NEWCOMER,
        "x86: traps\n\nCo-authored-by: Xavier Ex <xavier@x86.example>\n",
        &[(TRAPS, Some("int traps = 3;\n"))],
    )
    .await;
    assert_eq!(world.gh.requested_reviewers(REPO, shared), ["yara-gh"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mention_mode_mentions_once_and_requests_nothing() {
    let config = CONFIG.replace("min_open = \"0s\"", "min_open = \"0s\"\nask = \"mention\"");
    let world = World::new(&config).await;
    collaborators(&world, &["sha-gh", "twin-gh"]);
    let pr = open_with(
        &world,
        NEWCOMER,
        "x86/shadow: tweak",
        &[(SHADOW, Some("int shadow = 1;\n"))],
    )
    .await;
    let said = asked_comments(&world, pr);
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].contains("@sha-gh") || said[0].contains("@twin-gh"),
        "{said:?}"
    );
    world.comment(pr, "someone", "any news?").await;
    world.comment(pr, "someone", "still?").await;
    assert_eq!(asked_comments(&world, pr).len(), 1);
    assert_eq!(world.gh.calls(endpoint::REQUEST_REVIEWERS), 0);
    assert!(world.gh.requested_reviewers(REPO, pr).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_maintainer_github_refuses_as_reviewer_is_mentioned_instead() {
    // Nobody is a collaborator: GitHub answers 422, so the maintainer is mentioned.
    let world = World::new(CONFIG).await;
    let pr = open_with(
        &world,
        NEWCOMER,
        "x86/shadow: tweak",
        &[(SHADOW, Some("int shadow = 1;\n"))],
    )
    .await;
    assert!(world.gh.requested_reviewers(REPO, pr).is_empty());
    assert_eq!(asked_comments(&world, pr).len(), 1);
    let tries = world.gh.calls(endpoint::REQUEST_REVIEWERS);
    world.comment(pr, "someone", "any news?").await;
    assert_eq!(world.gh.calls(endpoint::REQUEST_REVIEWERS), tries);
    assert_eq!(asked_comments(&world, pr).len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_check_lists_the_notify_set_with_keywords_found_in_the_diff() {
    let world = World::new(CONFIG).await;
    let hit = open_with(
        &world,
        NEWCOMER,
        "x86: check with XSM",
        &[(TRAPS, Some("int traps;\nint rc = xsm_domctl(d);\n"))],
    )
    .await;
    let text = summary(&world, hit);
    assert!(text.contains("**Whom to notify**"), "{text}");
    assert!(text.contains("Kay Keyword"), "{text}");
    assert!(
        text.contains("@xavier-gh") && text.contains("@yara-gh"),
        "{text}"
    );
    assert!(text.contains("@rhea-gh"), "R: people are listed: {text}");
    let miss = open_with(
        &world,
        NEWCOMER,
        "x86: no XSM",
        &[(TRAPS, Some("int traps;\nint rc = domctl(d);\n"))],
    )
    .await;
    let text = summary(&world, miss);
    assert!(text.contains("**Whom to notify**"), "{text}");
    assert!(!text.contains("Kay Keyword"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_co_authors_approval_is_not_the_independent_one() {
    let world = World::new(CONFIG).await;
    let pr = open_with(
        &world,
        NEWCOMER,
        "x86/shadow: fix\n\nCo-authored-by: Sha Dow <sha@shadow.example>\n\
         Signed-off-by: Nora Newcomer <nora@new.example>\n",
        &[(SHADOW, Some("int shadow = 7;\n"))],
    )
    .await;
    world.approve(pr, "sha-gh").await;
    let check = world.wait_check(pr, 1, "failure").await;
    let text = check.summary.unwrap_or_default();
    assert!(text.contains("someone other than the author"), "{text}");
    world.approve(pr, "twin-gh").await;
    world.wait_check(pr, 2, "success").await;
}
