//! The dashboard over HTTP (issue 19): its pages and JSON twins against the real service and
//! the fake GitHub, caching headers, and who may look.

mod dashboard_story;
mod support;

use dashboard_story::*;
use serde_json::Value;
use support::*;

async fn get(world: &World, path: &str) -> reqwest::Response {
    world
        .http
        .get(world.url(path))
        .send()
        .await
        .expect("request")
}

async fn json(world: &World, path: &str) -> Value {
    let response = get(world, path).await;
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.json().await.expect("JSON")
}

async fn page(world: &World, path: &str) -> String {
    let response = get(world, path).await;
    assert_eq!(response.status().as_u16(), 200, "{path}");
    response.text().await.expect("text")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_shows_the_gate_flights_queue_release_and_support() {
    let world = World::new(&story_config()).await;
    let played = play(&world).await;
    let repo = json(&world, &format!("/api/repos/{REPO}")).await;

    // The queue: open pull requests only, with title, link, what is missing and whom to ask.
    let prs = repo["pull_requests"].as_array().expect("pull requests");
    let numbers: Vec<u64> = prs.iter().filter_map(|p| p["pr"].as_u64()).collect();
    assert!(numbers.contains(&played.waiting), "{repo}");
    assert!(numbers.contains(&played.ready), "{repo}");
    assert!(
        !numbers.contains(&played.closed),
        "a closed PR leaves: {repo}"
    );
    let waiting = prs.iter().find(|p| p["pr"] == played.waiting).unwrap();
    assert_eq!(waiting["acks"], "missing");
    assert!(waiting["url"]
        .as_str()
        .unwrap_or_default()
        .ends_with(&format!("/pull/{}", played.waiting)));
    assert!(
        !waiting["missing"].as_array().unwrap().is_empty(),
        "{waiting}"
    );
    assert!(!waiting["ask"].as_array().unwrap().is_empty(), "{waiting}");
    let waiting_count = prs.iter().filter(|p| p["acks"] == "missing").count();
    assert_eq!(repo["waiting_for_acks"], waiting_count);

    // The gate: master behind staging by the regression and its fix, flight 3 running with
    // `build` passed on its tip and on the baseline.
    let gate = &repo["gate"];
    assert_eq!(gate["commits_ahead"], 2, "{gate}");
    assert_eq!(gate["blocked"], false);
    let current = &gate["current_flight"];
    assert_eq!(current["id"], 3, "{gate}");
    let build = current["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "build")
        .expect("build is required");
    assert_eq!(
        (&build["tip"], &build["baseline"]),
        (&"passed".into(), &"passed".into())
    );
    assert!(current["checks"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["name"] == "test-unit"));

    // Finished flights, newest first: the regression with its culprit, then the pass.
    let flights = repo["flights"].as_array().expect("flights");
    let results: Vec<&str> = flights
        .iter()
        .filter_map(|f| f["result"].as_str())
        .collect();
    assert_eq!(results, vec!["regressed", "passed"], "{repo}");
    assert!(flights[0]["culprit"].is_string());
    assert_eq!(flights[0]["checks"][0], "test-unit");
    assert_eq!(repo["flight_outcomes"].as_array().unwrap().len(), 2);

    // The audit log: the committer's block and unblock, newest first.
    let audit: Vec<(&str, &str)> = repo["audit"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["by"].as_str().unwrap(), s["what"].as_str().unwrap()))
        .collect();
    assert_eq!(audit.len(), 2, "{repo}");
    assert!(audit.iter().all(|(by, _)| *by == "cora-gh"), "{audit:?}");

    // Governance: the vote in flight, with its deadline 72 hours after it opened.
    let open = &repo["governance"]["open"];
    assert_eq!(open.as_array().map(Vec::len), Some(1), "{repo}");
    assert_eq!(open[0]["number"], played.vote);
    assert_eq!(open[0]["kind"], "vote");
    assert_eq!(
        open[0]["deadline"].as_i64().unwrap() - open[0]["opened_at"].as_i64().unwrap(),
        72 * 3600
    );
    assert_eq!(repo["governance"]["embargoes"], serde_json::json!([]));

    // Release and support.
    assert_eq!(repo["release_blockers"], 1, "{}", repo["release"]);
    assert_eq!(repo["release"]["blockers"][0]["number"], played.blocker);
    assert_eq!(repo["support"]["features"][0]["name"], "x86/PV");

    // The page says the same, in words.
    let html = page(&world, &format!("/repos/{REPO}")).await;
    for text in [
        "Current flight #3",
        "regressed",
        "PV guests crash",
        "<td>x86/PV</td><td>Supported</td>",
        &format!("data-count=\"waiting-for-acks\" data-value=\"{waiting_count}\""),
        "data-count=\"release-blockers\" data-value=\"1\"",
        "data-count=\"flights-listed\" data-value=\"2\"",
        "<svg",
        "Embargoes",
        "data-count=\"decisions-open\" data-value=\"1\"",
    ] {
        assert!(html.contains(text), "{text} missing: {html}");
    }

    // The front page: the repository at a glance, the same numbers as its JSON.
    let status = json(&world, "/api/status").await;
    let row = &status["repositories"][0];
    assert_eq!(row["repo"], REPO);
    assert_eq!(row["waiting_for_acks"], waiting_count);
    assert_eq!(row["release_blockers"], 1);
    assert_eq!(row["gate"]["flight"]["id"], 3);
    let front = page(&world, "/").await;
    assert!(
        front.contains(&format!(
            "data-count=\"waiting-for-acks\" data-value=\"{waiting_count}\""
        )),
        "{front}"
    );
    assert!(
        front.contains(&format!("href=\"/repos/{REPO}\"")),
        "{front}"
    );
    // The stylesheet.
    let css = get(&world, "/static/style.css").await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_carry_an_etag_and_an_unchanged_one_is_304() {
    let world = World::new(CONFIG).await;
    world.open_pr(NEWCOMER, &[(SHADOW, Some("x\n"))]).await;
    world.settle().await;
    for path in [
        "/api/status",
        &format!("/api/repos/{REPO}"),
        "/",
        &format!("/repos/{REPO}"),
    ] {
        let first = get(&world, path).await;
        assert_eq!(first.status().as_u16(), 200, "{path}");
        let tag = first.headers()["etag"].to_str().unwrap().to_string();
        assert!(tag.starts_with('"'), "{tag}");
        assert_eq!(first.headers()["cache-control"], "public, no-cache");
        let again = world
            .http
            .get(world.url(path))
            .header("if-none-match", &tag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status().as_u16(), 304, "{path}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), tag);
        assert!(again.text().await.unwrap().is_empty());
        let other = world
            .http
            .get(world.url(path))
            .header("if-none-match", "\"something else\"")
            .send()
            .await
            .unwrap();
        assert_eq!(other.status().as_u16(), 200, "{path}");
    }
    // A change gives another tag.
    let before = get(&world, "/api/status").await.headers()["etag"].clone();
    world.open_pr(NEWCOMER, &[("README", Some("y\n"))]).await;
    world.settle().await;
    let after = get(&world, "/api/status").await.headers()["etag"].clone();
    assert_ne!(before, after);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn private_repositories_need_the_read_token() {
    let mut world = World::new(CONFIG).await;
    with_token(&mut world, "s3cret token").await;
    let pr = world
        .gh
        .open_pr(REPO, "nora-gh", "staging", "staging", "Secret work");
    let mut opened = world.gh.pull_request_event(REPO, pr, "opened", None);
    opened["repository"]["private"] = true.into();
    assert_eq!(world.send("pull_request", &opened).await.0, 202);
    world.settle().await;
    let path = format!("/api/repos/{REPO}");

    // Without the token: nothing of it on the front page, 401 on its own pages, the same
    // answer as for a repository nobody knows.
    let status = json(&world, "/api/status").await;
    assert_eq!(status["repositories"], serde_json::json!([]), "{status}");
    assert_eq!(status["pull_requests"], serde_json::json!([]), "{status}");
    assert!(!page(&world, "/").await.contains(REPO));
    for path in [path.clone(), format!("/repos/{REPO}")] {
        let refused = get(&world, &path).await;
        assert_eq!(refused.status().as_u16(), 401, "{path}");
        assert!(refused.headers().contains_key("www-authenticate"));
        let unknown = get(&world, &path.replace("hypervisor", "nothing")).await;
        assert_eq!(unknown.status().as_u16(), 401);
        assert_eq!(refused.text().await.unwrap(), unknown.text().await.unwrap());
    }

    // With it, as a bearer token or in the query (whose links carry it on).
    let with_bearer = world
        .http
        .get(world.url(&path))
        .bearer_auth("s3cret token")
        .send()
        .await
        .unwrap();
    assert_eq!(with_bearer.status().as_u16(), 200);
    assert_eq!(with_bearer.headers()["cache-control"], "private, no-cache");
    let body: Value = with_bearer.json().await.unwrap();
    assert_eq!(body["private"], true);
    assert_eq!(body["pull_requests"][0]["title"], "Secret work");
    let front = page(&world, "/?token=s3cret%20token").await;
    assert!(
        front.contains(&format!("href=\"/repos/{REPO}?token=s3cret%20token\"")),
        "{front}"
    );
    assert!(front.contains("private"));

    // A wrong token is refused, not taken for no token.
    let wrong = world
        .http
        .get(world.url("/api/status"))
        .bearer_auth("guess")
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
}

#[tokio::test]
async fn the_dashboards_tables_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("d.db").display());
    let store = pushgate::store::Store::connect(&url).await.unwrap();
    store_round_trip(&store).await;
}

/// `/readyz` is public: when the store does not answer as it should, the reader gets a short
/// fixed text and the database's own words go to the log.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_never_answers_with_the_databases_error() {
    let world = World::new(CONFIG).await;
    assert_eq!(get(&world, "/readyz").await.status().as_u16(), 200);
    // The newest migration unrecorded, behind the service's back: the store is not ready.
    let pool = sqlx::SqlitePool::connect(&world.database_url)
        .await
        .expect("second connection");
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT MAX(version) FROM _sqlx_migrations)",
    )
    .execute(&pool)
    .await
    .expect("delete");
    pool.close().await;
    let answer = get(&world, "/readyz").await;
    assert_eq!(answer.status().as_u16(), 503);
    let body = answer.text().await.unwrap();
    assert_eq!(body, r#"{"error":"the store is unavailable"}"#);
}
