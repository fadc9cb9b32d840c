//! Which GitHub calls pushgate sends again when their answer is lost: each operation says so
//! (`github::Replay`). A read, a GraphQL query or adding labels is asked again; a creating call
//! (a comment, a label, a check run) and the compare-and-swap of a branch are not, because
//! GitHub may have done them before the answer was lost.

use std::sync::Arc;
use std::time::Duration;

use pushgate::github::model::RepoLabel;
use pushgate::github::{Api, BranchName, PrNumber, RepoName, Retry, Sha};
use pushgate::metrics::Metrics;
use pushgate::sim::{endpoint, Author, FakeGitHub, Fault, FaultKind};

const REPO: &str = "xen/xen";
const INSTALLATION: u64 = 1;

fn repo() -> RepoName {
    RepoName::parse(REPO).unwrap()
}

fn number(issue: u64) -> PrNumber {
    PrNumber::new(issue as i64).unwrap()
}

async fn world() -> (FakeGitHub, Api) {
    let gh = FakeGitHub::new();
    gh.set_now(1_700_000_000);
    gh.add_installation(INSTALLATION, "xen");
    gh.add_repo(INSTALLATION, REPO, "master");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = gh.router();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    let token = gh.mint_token(INSTALLATION);
    let retry = Retry {
        attempts: 4,
        backoff: Duration::from_millis(5),
        max_inline_wait: Duration::from_secs(1),
    };
    let api = Api::with_token(
        &format!("http://{addr}"),
        &token,
        Arc::new(Metrics::new()),
        retry,
    )
    .unwrap();
    (gh, api)
}

#[tokio::test]
async fn a_lost_answer_to_a_creating_call_is_not_sent_again() {
    let (gh, api) = world().await;
    let issue = gh.open_issue(REPO, "nora", "x86: crash", &[]);

    // A comment made, its answer lost: one comment, and the caller hears of the failure.
    gh.inject(Fault::new(FaultKind::LostAnswer(502)).on(endpoint::CREATE_COMMENT));
    let made = api.create_comment(&repo(), number(issue), "hello").await;
    assert!(made.is_err_and(|e| e.is_transient()));
    assert_eq!(gh.calls(endpoint::CREATE_COMMENT), 1);
    assert_eq!(gh.comments_on(REPO, issue).len(), 1);

    // A repository label likewise: a second POST would be refused as a duplicate, and the
    // sync would not know it made the label.
    gh.inject(Fault::new(FaultKind::LostAnswer(502)).on(endpoint::CREATE_LABEL));
    let label = RepoLabel {
        name: "support: supported".into(),
        color: "0e8a16".into(),
        description: "Supported".into(),
    };
    let made = api.create_label(&repo(), &label).await;
    assert!(made.is_err_and(|e| e.is_transient()));
    assert_eq!(gh.calls(endpoint::CREATE_LABEL), 1);
}

#[tokio::test]
async fn a_compare_and_swap_of_a_branch_is_not_sent_again() {
    let (gh, api) = world().await;
    let alice = Author::new("Alice", "alice@example.com");
    let first = gh.commit(REPO, "master", alice.clone(), "one", &[("a", Some("a\n"))]);
    let second = gh.commit(REPO, "master", alice, "two", &[("a", Some("b\n"))]);
    gh.create_branch(REPO, "staging", &first);
    gh.inject(Fault::new(FaultKind::LostAnswer(502)).on(endpoint::GRAPHQL));
    let staging = BranchName::parse("staging").unwrap();
    let (from, to) = (Sha::parse(&first).unwrap(), Sha::parse(&second).unwrap());
    let moved = api.fast_forward(&repo(), &staging, &from, &to).await;
    assert!(moved.is_err_and(|e| e.is_transient()));
    assert_eq!(gh.calls(endpoint::GRAPHQL), 1);
    assert_eq!(gh.branch_tip(REPO, "staging").unwrap(), second);
}

#[tokio::test]
async fn reads_queries_and_adding_labels_are_asked_again() {
    let (gh, api) = world().await;
    let issue = gh.open_issue(REPO, "nora", "x86: crash", &[]);

    gh.inject(Fault::new(FaultKind::Status(502)).on(endpoint::ISSUE_COMMENTS));
    assert!(api.comments(&repo(), number(issue), 1).await.is_ok());
    assert_eq!(gh.calls(endpoint::ISSUE_COMMENTS), 2);

    gh.inject(Fault::new(FaultKind::LostAnswer(502)).on(endpoint::ADD_LABELS));
    api.add_labels(&repo(), number(issue), &["regression"])
        .await
        .unwrap();
    assert_eq!(gh.calls(endpoint::ADD_LABELS), 2);
    assert_eq!(gh.labels_on(REPO, issue), vec!["regression".to_string()]);

    // Who last edited comments is a GraphQL query: a read, though sent as a POST.
    let comment = gh.add_comment(REPO, issue, "nora", "hello");
    let node = format!("IC_{comment}");
    gh.inject(Fault::new(FaultKind::Status(502)).on(endpoint::GRAPHQL));
    assert!(api.last_editors(&[node]).await.is_ok());
    assert_eq!(gh.calls(endpoint::GRAPHQL), 2);
}
