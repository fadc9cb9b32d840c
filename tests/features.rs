//! The feature lifecycle on the fake GitHub (SPEC §4, §5): labels kept in step with SUPPORT.md,
//! feature labels on pull requests, a status change needing THE REST, and the
//! `pushgate/release` check following regression issues.

mod support;

use pushgate::sim::{endpoint, CheckRunView, Fault, ReviewState};
use support::*;

const COMMITTER: (&str, &str, &str) = ("Cora Committer", "cora@rest.example", "cora-gh");

const FEATURES: &str = r#"
[[support.feature]]
name = "x86/PV"
paths = ["xen/arch/x86/pv/"]

[[support.feature]]
name = "x86/HVM"
paths = ["xen/arch/x86/hvm/"]
"#;

const SUPPORT_MD: &str = "\
# Support statement

## Guest Type

### x86/PV

    Status: Supported

### x86/HVM

    Status: Experimental

## Toolstack

### libxl

    Status, x86: Supported
    Status, Arm: Tech Preview
";

fn config(extra: &str) -> String {
    format!("{CONFIG}{FEATURES}{extra}")
}

/// Commits `files` to staging as a committer and delivers the push.
async fn push_to_staging(world: &World, message: &str, files: &[(&str, Option<&str>)]) -> String {
    let before = world.gh.branch_tip(REPO, "staging").unwrap();
    let sha = world.gh.commit(REPO, "staging", COMMITTER, message, files);
    let (status, _) = world
        .send(
            "push",
            &world.gh.push_event(REPO, "staging", &before, "cora-gh"),
        )
        .await;
    assert_eq!(status, 202);
    world.settle().await;
    sha
}

fn label(world: &World, name: &str) -> Option<(String, Option<String>)> {
    world
        .gh
        .repo_labels(REPO)
        .into_iter()
        .find(|(n, _, _)| n == name)
        .map(|(_, color, description)| (color, description))
}

fn newest(world: &World, name: &str, sha: &str) -> Option<CheckRunView> {
    world
        .gh
        .check_runs(REPO)
        .into_iter()
        .rfind(|c| c.name == name && c.head_sha == sha)
}

/// The 1-based number of the line of `text` that equals `line`.
fn line_of(text: &str, line: &str) -> u64 {
    text.lines().position(|l| l == line).expect("line present") as u64 + 1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn labels_follow_support_md_on_staging_and_a_broken_line_holds_back_only_its_own() {
    let world = World::new(&config("")).await;
    world.gh.add_label(REPO, "good first issue", "7057ff", "");

    let sha = push_to_staging(
        &world,
        "Add SUPPORT.md",
        &[("SUPPORT.md", Some(SUPPORT_MD))],
    )
    .await;
    assert_eq!(
        label(&world, "feature: x86/PV"),
        Some(("0e8a16".to_string(), Some("Supported".to_string())))
    );
    assert_eq!(
        label(&world, "feature: x86/HVM"),
        Some(("fbca04".to_string(), Some("Experimental".to_string())))
    );
    assert_eq!(
        label(&world, "feature: libxl"),
        Some((
            "0e8a16".to_string(),
            Some("x86: Supported; Arm: Tech Preview".to_string())
        ))
    );
    for status in [
        "Preview",
        "Experimental",
        "Complete",
        "Supported",
        "Deprecated",
    ] {
        assert!(
            label(&world, &format!("support: {status}")).is_some(),
            "{status}"
        );
    }
    assert!(label(&world, "support-status-change").is_some());
    let check = newest(&world, "pushgate/support", &sha).expect("support check");
    assert_eq!(check.conclusion.as_deref(), Some("success"));
    assert_eq!(check.title.as_deref(), Some("SUPPORT.md: 3 features"));

    // A status moves: the label follows, nothing is duplicated, other labels stay.
    let deprecated = SUPPORT_MD.replace(
        "### x86/PV\n\n    Status: Supported",
        "### x86/PV\n\n    Status: Deprecated",
    );
    push_to_staging(&world, "Deprecate PV", &[("SUPPORT.md", Some(&deprecated))]).await;
    assert_eq!(
        label(&world, "feature: x86/PV"),
        Some(("bfbfbf".to_string(), Some("Deprecated".to_string())))
    );
    let labels = world.gh.repo_labels(REPO);
    assert_eq!(
        labels
            .iter()
            .filter(|(n, _, _)| n == "feature: x86/PV")
            .count(),
        1
    );
    assert_eq!(
        label(&world, "good first issue"),
        Some(("7057ff".to_string(), None))
    );

    // A line with no status: the check fails pointing at it, and the other features are
    // synced all the same (x86/PV's status changed in the same commit; x86/HVM's line is the
    // broken one, so its label stays).
    let broken = deprecated
        .replace("    Status: Deprecated", "    Status: Experimental")
        .replace(
            "    Status: Experimental\n\n## Toolstack",
            "    Status, x86 Supported\n\n## Toolstack",
        );
    let sha = push_to_staging(&world, "Oops", &[("SUPPORT.md", Some(&broken))]).await;
    let check = newest(&world, "pushgate/support", &sha).expect("support check");
    assert_eq!(check.conclusion.as_deref(), Some("failure"));
    let line = line_of(&broken, "    Status, x86 Supported");
    assert_eq!(check.annotations.len(), 1, "{:?}", check.annotations);
    assert_eq!(check.annotations[0]["path"], "SUPPORT.md");
    assert_eq!(check.annotations[0]["start_line"], line);
    assert_eq!(check.annotations[0]["annotation_level"], "failure");
    let summary = check.summary.unwrap_or_default();
    assert!(summary.contains(&format!("| {line} |")), "{summary}");
    let hvm = |all: &[(String, String, Option<String>)]| {
        all.iter()
            .find(|(n, _, _)| n == "feature: x86/HVM")
            .cloned()
    };
    assert_eq!(hvm(&world.gh.repo_labels(REPO)), hvm(&labels));
    assert_eq!(
        label(&world, "feature: x86/PV").and_then(|(_, d)| d),
        Some("Experimental".to_string()),
        "one line with no status does not hold the other features back"
    );
    let labels = world.gh.repo_labels(REPO);

    // A push elsewhere is not the support file's business.
    world.gh.create_branch(REPO, "topic", &sha);
    world
        .gh
        .commit(REPO, "topic", COMMITTER, "x", &[("README", Some("y\n"))]);
    world
        .send("push", &world.gh.push_event(REPO, "topic", &sha, "cora-gh"))
        .await;
    world.settle().await;
    assert!(newest(
        &world,
        "pushgate/support",
        &world.gh.branch_tip(REPO, "topic").unwrap()
    )
    .is_none());
    assert_eq!(world.gh.repo_labels(REPO), labels);
}

/// SUPPORT.md on staging, then a newcomer's PR touching x86/PV, judged and settled.
async fn pv_pull_request(world: &World) -> u64 {
    push_to_staging(world, "Add SUPPORT.md", &[("SUPPORT.md", Some(SUPPORT_MD))]).await;
    let pr = world
        .open_pr(NEWCOMER, &[("xen/arch/x86/pv/traps.c", Some("pv\n"))])
        .await;
    world.wait_check(pr, 0, "failure").await;
    world.settle().await;
    pr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pull_requests_carry_the_labels_of_the_features_they_touch() {
    let world = World::new(&config("")).await;
    let pr = pv_pull_request(&world).await;
    let mut labels = world.gh.labels_on(REPO, pr);
    labels.sort();
    assert_eq!(
        labels,
        ["acks: missing", "feature: x86/PV", "support: Supported"]
    );

    // The PR moves to HVM: its labels follow on the push.
    let before = world.gh.pr_head(REPO, pr);
    world.gh.push_to_pr(
        REPO,
        pr,
        NEWCOMER,
        "Move to HVM\n\nSigned-off-by: Nora Newcomer <nora@new.example>",
        &[
            ("xen/arch/x86/pv/traps.c", None),
            ("xen/arch/x86/hvm/emulate.c", Some("hvm\n")),
        ],
    );
    let runs = world.acks_count();
    world
        .send(
            "pull_request",
            &world
                .gh
                .pull_request_event(REPO, pr, "synchronize", Some(&before)),
        )
        .await;
    world.wait_check(pr, runs, "failure").await;
    wait_until("HVM labels", || {
        let mut labels = world.gh.labels_on(REPO, pr);
        labels.sort();
        labels == ["acks: missing", "feature: x86/HVM", "support: Experimental"]
    })
    .await;
}

/// Opens a PR by the newcomer that moves x86/PV from Supported to Deprecated.
async fn status_change_pr(world: &World) -> u64 {
    push_to_staging(world, "Add SUPPORT.md", &[("SUPPORT.md", Some(SUPPORT_MD))]).await;
    let changed = SUPPORT_MD.replace(
        "### x86/PV\n\n    Status: Supported",
        "### x86/PV\n\n    Status: Deprecated",
    );
    world
        .open_pr(NEWCOMER, &[("SUPPORT.md", Some(&changed))])
        .await
}

async fn approve(world: &World, pr: u64, login: &str) {
    let review = world
        .gh
        .add_review(REPO, pr, login, ReviewState::Approved, "");
    world
        .send(
            "pull_request_review",
            &world.gh.review_event(REPO, pr, review),
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_status_change_is_labelled_and_needs_the_rest() {
    let world = World::new(&config("")).await;
    let pr = status_change_pr(&world).await;
    let check = world.wait_check(pr, 0, "failure").await;
    let summary = check.summary.unwrap_or_default();
    // A row of its own, naming the real support file (not a made-up file name).
    assert!(
        summary.contains("| THE REST | `SUPPORT.md` (support status of `x86/PV`) |"),
        "{summary}"
    );
    // The labels follow the check run in the same delivery.
    wait_until("the status change label", || {
        world
            .gh
            .labels_on(REPO, pr)
            .contains(&"support-status-change".to_string())
    })
    .await;

    // A committer (THE REST) acks: the status change and the file are both covered.
    let runs = world.acks_count();
    approve(&world, pr, "quinn-gh").await;
    world.wait_check(pr, runs, "success").await;

    // Prose-only edits to SUPPORT.md are no status change.
    let prose = format!("{SUPPORT_MD}\nSome closing prose.\n");
    let other = world
        .open_pr(NEWCOMER, &[("SUPPORT.md", Some(&prose))])
        .await;
    world.wait_check(other, 0, "failure").await;
    world.settle().await;
    let labels = world.gh.labels_on(REPO, other);
    assert!(labels.contains(&"acks: missing".to_string()), "{labels:?}");
    assert!(
        !labels.contains(&"support-status-change".to_string()),
        "{labels:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_change_needs_names_the_section_whose_ack_counts() {
    let world = World::new(&config(
        "\n[support]\nstatus_change_needs = \"X86 ARCHITECTURE\"\n",
    ))
    .await;
    let pr = status_change_pr(&world).await;
    world.wait_check(pr, 0, "failure").await;
    // A committer covers SUPPORT.md itself, but not the status change.
    let runs = world.acks_count();
    approve(&world, pr, "quinn-gh").await;
    let check = world.wait_check(pr, runs, "failure").await;
    assert!(check
        .summary
        .unwrap_or_default()
        .contains("X86 ARCHITECTURE"));
    let runs = world.acks_count();
    approve(&world, pr, "yara-gh").await;
    world.wait_check(pr, runs, "success").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_change_needs_a_section_that_exists() {
    let world = World::new(&config("\n[support]\nstatus_change_needs = \"NOBODY\"\n")).await;
    let pr = status_change_pr(&world).await;
    let check = world.wait_check(pr, 0, "failure").await;
    assert_eq!(
        check.title.as_deref(),
        Some("A support status change needs a section MAINTAINERS lacks")
    );
    assert!(check.summary.unwrap_or_default().contains("`NOBODY`"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_checks_follow_regression_issues_in_supported_features() {
    let world = World::new(&config("")).await;
    let tip = push_to_staging(
        &world,
        "Add SUPPORT.md",
        &[("SUPPORT.md", Some(SUPPORT_MD))],
    )
    .await;
    world.gh.create_branch(REPO, "stable-4.19", &tip);

    // A backport PR into the release branch, and a release tag.
    world.gh.create_branch(REPO, "backport", &tip);
    world.gh.commit(
        REPO,
        "backport",
        COMMITTER,
        "Backport\n\nSigned-off-by: Cora Committer <cora@rest.example>",
        &[("README", Some("backported\n"))],
    );
    let pr = world
        .gh
        .open_pr(REPO, "cora-gh", "backport", "stable-4.19", "Backport");
    world
        .send(
            "pull_request",
            &world.gh.pull_request_event(REPO, pr, "opened", None),
        )
        .await;
    world
        .send(
            "push",
            &world
                .gh
                .tag_push_event(REPO, "RELEASE-4.19.0", &tip, "cora-gh"),
        )
        .await;
    // Xen's release tags are signed, so annotated: the check goes on the tagged commit.
    let signed = world.gh.commit(
        REPO,
        "stable-4.19",
        COMMITTER,
        "Update version to 4.19.1",
        &[("README", Some("4.19.1\n"))],
    );
    world
        .send(
            "push",
            &world
                .gh
                .annotated_tag_push_event(REPO, "RELEASE-4.19.1", &signed, "cora-gh"),
        )
        .await;
    // A pull request into staging gets no release check.
    let ordinary = world.open_pr(NEWCOMER, &[("README", Some("x\n"))]).await;
    world.settle().await;
    let head = world.gh.pr_head(REPO, pr);
    let conclusion = |sha: &str| newest(&world, "pushgate/release", sha).and_then(|c| c.conclusion);
    assert_eq!(conclusion(&head).as_deref(), Some("success"));
    assert_eq!(conclusion(&tip).as_deref(), Some("success"));
    assert_eq!(conclusion(&signed).as_deref(), Some("success"));
    assert_eq!(conclusion(&world.gh.pr_head(REPO, ordinary)), None);

    // An issue without release labels re-posts nothing.
    let runs = |world: &World| {
        world
            .gh
            .check_runs(REPO)
            .iter()
            .filter(|c| c.name == "pushgate/release")
            .count()
    };
    let before = runs(&world);
    let bug = world.gh.open_issue(REPO, "rhea-gh", "Typo", &["bug"]);
    world.issue_event(bug, "opened", "rhea-gh").await;
    assert_eq!(runs(&world), before);

    // A regression in an Experimental feature does not hold the release; one in a Supported
    // feature does, as soon as its label lands.
    let minor = world.gh.open_issue(
        REPO,
        "rhea-gh",
        "HVM hiccup",
        &["regression", "feature: x86/HVM"],
    );
    world.issue_event(minor, "opened", "rhea-gh").await;
    assert_eq!(conclusion(&head).as_deref(), Some("success"));
    let major = world
        .gh
        .open_issue(REPO, "rhea-gh", "PV guests crash", &["feature: x86/PV"]);
    world.issue_event(major, "opened", "rhea-gh").await;
    assert_eq!(conclusion(&head).as_deref(), Some("success"));
    world
        .gh
        .set_issue_labels(REPO, major, &["feature: x86/PV", "regression"]);
    world.issue_event(major, "labeled", "rhea-gh").await;
    for sha in [&head, &tip, &signed] {
        let check = newest(&world, "pushgate/release", sha).expect("release check");
        assert_eq!(check.conclusion.as_deref(), Some("failure"));
        let summary = check.summary.unwrap_or_default();
        assert!(
            summary.contains(&format!(
                "| #{major} | PV guests crash | x86/PV | Supported |"
            )),
            "{summary}"
        );
        assert!(!summary.contains("HVM hiccup"), "{summary}");
    }

    // The same answer again posts nothing: the newest runs already say it.
    let before = runs(&world);
    world.issue_event(major, "labeled", "rhea-gh").await;
    assert_eq!(runs(&world), before);

    // The repository's dashboard shows what holds the release and the support matrix.
    let page = world
        .http
        .get(world.url(&format!("/repos/{REPO}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("held by 1 open issue"), "{page}");
    assert!(page.contains("PV guests crash"), "{page}");
    assert!(
        page.contains("<td>x86/HVM</td><td>Experimental</td>"),
        "{page}"
    );
    let json: serde_json::Value = world
        .http
        .get(world.url(&format!("/api/repos/{REPO}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(json["release"]["blocking"], true);
    assert_eq!(json["release"]["blockers"][0]["number"], major);
    assert_eq!(json["support"]["features"][0]["name"], "x86/PV");

    // Closing it lets the release go.
    world.gh.close_issue(REPO, major);
    world.issue_event(major, "closed", "rhea-gh").await;
    assert_eq!(conclusion(&head).as_deref(), Some("success"));
    assert_eq!(conclusion(&tip).as_deref(), Some("success"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_reconciler_syncs_labels_whose_push_was_missed() {
    let mut world = World::new(&config("")).await;
    // SUPPORT.md reaches staging while no webhook reaches us.
    world.gh.commit(
        REPO,
        "staging",
        COMMITTER,
        "Add SUPPORT.md",
        &[("SUPPORT.md", Some(SUPPORT_MD))],
    );
    assert!(label(&world, "feature: x86/PV").is_none());
    world
        .service
        .take()
        .unwrap()
        .shutdown(std::time::Duration::from_secs(5))
        .await;
    let mut reconciling = settings(&world.database_url, &world.api, "again");
    reconciling.reconcile_every = std::time::Duration::from_secs(3600);
    world.service = Some(pushgate::service::start(reconciling).await.unwrap());
    wait_until("labels from the missed push", || {
        label(&world, "feature: x86/PV")
            == Some(("0e8a16".to_string(), Some("Supported".to_string())))
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_with_an_unreadable_status_line_fails_pushgate_support() {
    let world = World::new(&config("")).await;
    push_to_staging(
        &world,
        "Add SUPPORT.md",
        &[("SUPPORT.md", Some(SUPPORT_MD))],
    )
    .await;
    // One unreadable line where a status was, then 120 more: a flood costs one request.
    let broken = format!(
        "{}{}",
        SUPPORT_MD.replace("    Status: Experimental", "    Status, x86 Experimental"),
        "\n### Flood\n\n    Status,\n".repeat(120)
    );
    let pr = world
        .open_pr(NEWCOMER, &[("SUPPORT.md", Some(&broken))])
        .await;
    world.wait_check(pr, 0, "failure").await;
    world.settle().await;
    let head = world.gh.pr_head(REPO, pr);
    let check = newest(&world, "pushgate/support", &head).expect("support check on the head");
    assert_eq!(check.conclusion.as_deref(), Some("failure"));
    assert_eq!(
        check.title.as_deref(),
        Some("SUPPORT.md: 121 line(s) cannot be read")
    );
    assert_eq!(check.annotations.len(), 50);
    assert_eq!(
        check.annotations[0]["start_line"],
        line_of(&broken, "    Status, x86 Experimental")
    );
    assert_eq!(world.gh.calls("PATCH /repos/check-runs"), 0);

    // Re-evaluations of the same head do not post it again.
    let support_runs = |world: &World| {
        world
            .gh
            .check_runs(REPO)
            .iter()
            .filter(|c| c.name == "pushgate/support" && c.head_sha == head)
            .count()
    };
    // `comment` returns once the comment's delivery is processed.
    world.comment(pr, "someone", "any news?").await;
    assert_eq!(support_runs(&world), 1);
}

/// With features configured, a steady-state re-evaluation still costs what it did without:
/// SUPPORT.md is cached by commit and labels move only on change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feature_labels_add_no_github_calls_in_steady_state() {
    let world = World::new(&config("")).await;
    let pr = pv_pull_request(&world).await;
    for round in 1..=2 {
        world.gh.reset_calls();
        // Processed when this returns.
        world.comment(pr, "someone", "any news?").await;
        let calls = world.gh.calls_total();
        eprintln!("round {round}: {calls} calls: {:?}", world.gh.call_counts());
        assert!(calls <= 5, "{calls} calls: {:?}", world.gh.call_counts());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_release_failure_is_shown_on_the_release_check_not_on_acks() {
    let world = World::new(&config("")).await;
    let tip = push_to_staging(
        &world,
        "Add SUPPORT.md",
        &[("SUPPORT.md", Some(SUPPORT_MD))],
    )
    .await;
    world.gh.create_branch(REPO, "stable-4.19", &tip);
    world.gh.create_branch(REPO, "backport", &tip);
    world.gh.commit(
        REPO,
        "backport",
        COMMITTER,
        "Backport\n\nSigned-off-by: Cora Committer <cora@rest.example>",
        &[("README", Some("backported\n"))],
    );
    let pr = world
        .gh
        .open_pr(REPO, "cora-gh", "backport", "stable-4.19", "Backport");
    // GitHub refuses, for good, the list of issues the release check reads.
    world
        .gh
        .inject(Fault::status(422).on(endpoint::LIST_ISSUES).times(1));
    let (status, id) = world
        .send(
            "pull_request",
            &world.gh.pull_request_event(REPO, pr, "opened", None),
        )
        .await;
    assert_eq!(status, 202);
    world.settle().await;
    let (state, _, _) = world
        .service()
        .store
        .delivery_state(&id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(state, "failed");
    let head = world.gh.pr_head(REPO, pr);
    let acks = newest(&world, "pushgate/acks", &head).expect("the acks check");
    assert_ne!(
        acks.title.as_deref(),
        Some("pushgate could not evaluate this pull request"),
        "the acks check shows its own verdict"
    );
    let release = newest(&world, "pushgate/release", &head).expect("a release check");
    assert_eq!(release.conclusion.as_deref(), Some("failure"));
    assert_eq!(
        release.title.as_deref(),
        Some("pushgate could not answer for this release")
    );
    // The next evaluation answers on it again.
    world
        .send(
            "pull_request",
            &world.gh.pull_request_event(REPO, pr, "edited", None),
        )
        .await;
    world.settle().await;
    let release = newest(&world, "pushgate/release", &head).expect("a release check");
    assert_eq!(release.conclusion.as_deref(), Some("success"));
}

/// A push to a pull request into a release branch, coalesced with a comment behind it after
/// an outage, still gets its `pushgate/release` check: the newest `pull_request` event of the
/// run is shown to the release check, as it would have been had it run on its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_coalesced_push_to_a_release_pull_request_still_gets_its_release_check() {
    let mut world = World::new(&config("")).await;
    let tip = push_to_staging(
        &world,
        "Add SUPPORT.md",
        &[("SUPPORT.md", Some(SUPPORT_MD))],
    )
    .await;
    world.gh.create_branch(REPO, "stable-4.19", &tip);
    world.gh.create_branch(REPO, "backport", &tip);
    world.gh.commit(
        REPO,
        "backport",
        COMMITTER,
        "Backport\n\nSigned-off-by: Cora Committer <cora@rest.example>",
        &[("README", Some("backported\n"))],
    );
    let pr = world
        .gh
        .open_pr(REPO, "cora-gh", "backport", "stable-4.19", "Backport");
    world
        .send(
            "pull_request",
            &world.gh.pull_request_event(REPO, pr, "opened", None),
        )
        .await;
    world.settle().await;
    let first = world.gh.pr_head(REPO, pr);
    assert!(newest(&world, "pushgate/release", &first).is_some());

    world.hold_workers().await;
    world.gh.push_to_pr(
        REPO,
        pr,
        COMMITTER,
        "Backport more",
        &[("README", Some("more\n"))],
    );
    let (status, push) = world
        .send(
            "pull_request",
            &world
                .gh
                .pull_request_event(REPO, pr, "synchronize", Some(&first)),
        )
        .await;
    assert_eq!(status, 202);
    let last = world.send_comment(pr, "nora-gh", "Looks right.").await;
    world.start_workers().await;
    let (_, _, note) = world
        .service()
        .store
        .delivery_state(&push)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(note, Some(format!("coalesced into {last}")));
    let head = world.gh.pr_head(REPO, pr);
    let release =
        newest(&world, "pushgate/release", &head).expect("a release check on the new head");
    assert_eq!(release.conclusion.as_deref(), Some("success"));
}

/// A status phrase pushgate does not know (older Xen releases wrote others) is read by its
/// words: the labels are synced and the check passes, with a warning on that line.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unfamiliar_status_phrase_is_synced_with_a_warning_on_its_line() {
    let world = World::new(&config("")).await;
    let text = SUPPORT_MD.replace(
        "### x86/HVM\n\n    Status: Experimental",
        "### x86/HVM\n\n    Status: Obsolete",
    );
    let sha = push_to_staging(&world, "Old SUPPORT.md", &[("SUPPORT.md", Some(&text))]).await;
    let check = newest(&world, "pushgate/support", &sha).expect("support check");
    assert_eq!(check.conclusion.as_deref(), Some("success"), "{check:?}");
    assert_eq!(
        label(&world, "feature: x86/HVM").and_then(|(_, d)| d),
        Some("Obsolete".to_string())
    );
    assert!(label(&world, "support: Not supported").is_some());
    assert_eq!(check.annotations.len(), 1, "{:?}", check.annotations);
    assert_eq!(check.annotations[0]["annotation_level"], "warning");
    assert_eq!(
        check.annotations[0]["start_line"],
        line_of(&text, "    Status: Obsolete")
    );
    let summary = check.summary.unwrap_or_default();
    assert!(
        summary.contains("unfamiliar status `Obsolete`"),
        "{summary}"
    );
}

/// An issue that names a feature, by label or in its title, gets the feature's `support:`
/// label too (and the feature's label when only the title named it); other issues get none.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issues_naming_a_feature_get_its_support_label() {
    let world = World::new(&config("")).await;
    push_to_staging(&world, "SUPPORT.md", &[("SUPPORT.md", Some(SUPPORT_MD))]).await;
    let titled = world
        .gh
        .open_issue(REPO, "rhea-gh", "x86/PV guests crash on boot", &[]);
    world.issue_event(titled, "opened", "rhea-gh").await;
    let mut labels = world.gh.labels_on(REPO, titled);
    labels.sort();
    assert_eq!(labels, ["feature: x86/PV", "support: Supported"]);

    let labelled = world.gh.open_issue(REPO, "rhea-gh", "Guests hang", &[]);
    world.issue_event(labelled, "opened", "rhea-gh").await;
    assert!(world.gh.labels_on(REPO, labelled).is_empty());

    // A title edited to name a feature.
    let edited = world.gh.open_issue(REPO, "rhea-gh", "Boot hangs", &[]);
    world.issue_event(edited, "opened", "rhea-gh").await;
    world
        .gh
        .set_issue_title(REPO, edited, "Boot hangs in libxl on Arm");
    world.issue_event(edited, "edited", "rhea-gh").await;
    let mut labels = world.gh.labels_on(REPO, edited);
    labels.sort();
    assert_eq!(
        labels,
        ["feature: libxl", "support: Preview", "support: Supported"]
    );
    world
        .gh
        .set_issue_labels(REPO, labelled, &["bug", "feature: x86/HVM"]);
    world.issue_event(labelled, "labeled", "cora-gh").await;
    let mut labels = world.gh.labels_on(REPO, labelled);
    labels.sort();
    assert_eq!(labels, ["bug", "feature: x86/HVM", "support: Experimental"]);

    // A label a person takes off stays off until the issue changes again; nothing is removed.
    world
        .gh
        .set_issue_labels(REPO, labelled, &["bug", "feature: x86/HVM"]);
    world.issue_event(labelled, "unlabeled", "cora-gh").await;
    assert_eq!(
        world.gh.labels_on(REPO, labelled),
        ["bug", "feature: x86/HVM"]
    );
}

/// A pull request into a release branch is labelled by that branch's own SUPPORT.md, not the
/// default branch's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_into_a_release_branch_reads_that_branchs_support_md() {
    let world = World::new(&config("")).await;
    let tip = push_to_staging(&world, "SUPPORT.md", &[("SUPPORT.md", Some(SUPPORT_MD))]).await;
    world.gh.create_branch(REPO, "stable-4.19", &tip);
    let deprecated = SUPPORT_MD.replace(
        "### x86/PV\n\n    Status: Supported",
        "### x86/PV\n\n    Status: Deprecated",
    );
    push_to_staging(&world, "Deprecate PV", &[("SUPPORT.md", Some(&deprecated))]).await;
    world.gh.create_branch(REPO, "backport", &tip);
    world.gh.commit(
        REPO,
        "backport",
        COMMITTER,
        "x86/pv: backport a fix\n\nSigned-off-by: Cora Committer <cora@rest.example>\n",
        &[("xen/arch/x86/pv/traps.c", Some("fixed\n"))],
    );
    let pr = world
        .gh
        .open_pr(REPO, "cora-gh", "backport", "stable-4.19", "Backport");
    world
        .send(
            "pull_request",
            &world.gh.pull_request_event(REPO, pr, "opened", None),
        )
        .await;
    world.settle().await;
    let mut labels: Vec<String> = world
        .gh
        .labels_on(REPO, pr)
        .into_iter()
        .filter(|l| l.starts_with("feature: ") || l.starts_with("support"))
        .collect();
    labels.sort();
    assert_eq!(labels, ["feature: x86/PV", "support: Supported"]);
}

/// Each release target is judged by its own SUPPORT.md: a regression in x86/PV holds
/// `stable-4.19`, where x86/PV is still Supported, and not a tag of staging, where it is
/// Deprecated. Closing the issue frees the branch again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_release_target_is_judged_by_its_own_support_md() {
    let world = World::new(&config("")).await;
    let old = push_to_staging(&world, "SUPPORT.md", &[("SUPPORT.md", Some(SUPPORT_MD))]).await;
    world.gh.create_branch(REPO, "stable-4.19", &old);
    world
        .send(
            "push",
            &world.gh.push_event(REPO, "stable-4.19", &old, "cora-gh"),
        )
        .await;
    world.settle().await;
    let deprecated = SUPPORT_MD.replace(
        "### x86/PV\n\n    Status: Supported",
        "### x86/PV\n\n    Status: Deprecated",
    );
    let new = push_to_staging(&world, "Deprecate PV", &[("SUPPORT.md", Some(&deprecated))]).await;
    world
        .send(
            "push",
            &world
                .gh
                .tag_push_event(REPO, "RELEASE-4.20.0", &new, "cora-gh"),
        )
        .await;
    world.settle().await;
    let conclusion = |sha: &str| {
        newest(&world, "pushgate/release", sha)
            .and_then(|c| c.conclusion)
            .unwrap_or_default()
    };
    assert_eq!(conclusion(&old), "success");
    assert_eq!(conclusion(&new), "success");

    let issue = world.gh.open_issue(
        REPO,
        "rhea-gh",
        "PV guests crash",
        &["regression", "feature: x86/PV"],
    );
    world.issue_event(issue, "opened", "rhea-gh").await;
    assert_eq!(conclusion(&old), "failure", "Supported on stable-4.19");
    assert_eq!(conclusion(&new), "success", "Deprecated on the 4.20 tag");
    let runs_on_new = |world: &World| {
        world
            .gh
            .check_runs(REPO)
            .iter()
            .filter(|c| c.name == "pushgate/release" && c.head_sha == new)
            .count()
    };
    assert_eq!(runs_on_new(&world), 1, "an unchanged answer posts nothing");

    world.gh.close_issue(REPO, issue);
    world.issue_event(issue, "closed", "rhea-gh").await;
    assert_eq!(conclusion(&old), "success");
    assert_eq!(runs_on_new(&world), 1);
}
