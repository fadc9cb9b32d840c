//! pushgate's GitHub client against a GitHub Enterprise Server layout: the REST API under
//! `https://HOST/api/v3`, GraphQL beside it at `https://HOST/api/graphql` (not under v3).

use std::sync::Arc;

use axum::http::StatusCode;
use pushgate::github::{BranchName, GitHub, RefMove, RepoName, Retry, Sha};
use pushgate::metrics::Metrics;
use pushgate::sim::{endpoint, Author, FakeGitHub};

const REPO: &str = "corp/hypervisor";
const INSTALLATION: u64 = 3;
const KEY: &[u8] = include_bytes!("../fixtures/test-app-key.pem");

fn alice() -> Author {
    Author::new("Alice", "alice@example.com")
}

/// The fake, served the way GitHub Enterprise Server lays its API out. `/api/v3/graphql` does
/// not exist there, so it answers 404 here too.
async fn enterprise() -> (FakeGitHub, String) {
    let gh = FakeGitHub::new();
    gh.set_now(1_700_000_000);
    gh.add_installation(INSTALLATION, "corp");
    gh.add_repo(INSTALLATION, REPO, "master");
    let app = axum::Router::new()
        .route(
            "/api/v3/graphql",
            axum::routing::any(|| async { StatusCode::NOT_FOUND }),
        )
        .nest_service("/api/v3", gh.router())
        .nest_service("/api", gh.router());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (gh, format!("http://{addr}/api/v3"))
}

#[tokio::test]
async fn fast_forward_reaches_graphql_beside_the_rest_root_on_enterprise_server() {
    let (gh, base) = enterprise().await;
    let first = gh.commit(REPO, "master", alice(), "one", &[("a", Some("a\n"))]);
    let second = gh.commit(REPO, "master", alice(), "two", &[("a", Some("b\n"))]);
    gh.create_branch(REPO, "master", &first);
    let metrics = Arc::new(Metrics::new());

    // As the App's installation (the service): its token is minted under /api/v3.
    let app = GitHub::new(&base, 1, KEY, metrics.clone(), Retry::default()).unwrap();
    let api = app.installation(INSTALLATION as i64).unwrap().api;
    let (repo, master) = (
        RepoName::parse(REPO).unwrap(),
        BranchName::parse("master").unwrap(),
    );
    let (from, to) = (Sha::parse(&first).unwrap(), Sha::parse(&second).unwrap());
    let moved = api.fast_forward(&repo, &master, &from, &to).await;
    assert_eq!(moved.unwrap(), RefMove::Moved);
    assert_eq!(gh.branch_tip(REPO, "master").unwrap(), second);

    // With a plain token (the CLI and the Action), and refused when master is elsewhere.
    let token = gh.mint_token(INSTALLATION);
    let api = pushgate::github::Api::with_token(&base, &token, metrics, Retry::default()).unwrap();
    let refused = api.fast_forward(&repo, &master, &from, &to).await;
    assert!(matches!(refused, Ok(RefMove::Refused(_))), "{refused:?}");
    assert_eq!(gh.branch_tip(REPO, "master").unwrap(), second);
    assert_eq!(gh.calls(endpoint::GRAPHQL), 2);
}
