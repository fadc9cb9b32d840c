//! The simulated GitHub, driven over HTTP the way a client drives GitHub: tokens, pull request
//! data after pushes, contents, check runs, labels, faults and call counting.

use std::time::Duration;

use pushgate::sim::{endpoint, Author, FakeGitHub, Fault, ReviewState, BOT_LOGIN};
use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::{json, Value};

const REPO: &str = "xen-project/xen";
const INSTALLATION: u64 = 7;
const JWT: &str = "eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjF9.c2lnbmF0dXJl";

struct Client {
    http: reqwest::Client,
    base: String,
    auth: Option<String>,
}

struct Answer {
    status: u16,
    headers: HeaderMap,
    body: Value,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl Client {
    fn new(addr: std::net::SocketAddr, auth: Option<String>) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: format!("http://{addr}"),
            auth,
        }
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> Answer {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(auth) = &self.auth {
            request = request.header("authorization", auth);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("the fake answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.json().await.unwrap_or(Value::Null);
        Answer {
            status,
            headers,
            body,
        }
    }

    async fn get(&self, path: &str) -> Answer {
        self.call(Method::GET, path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.call(Method::POST, path, Some(body)).await
    }
}

fn alice() -> Author {
    Author::new("Alice Maintainer", "alice@xen.org").login("alice")
}

fn bob() -> Author {
    Author::new("Bob Contributor", "Bob@Example.com").login("bob")
}

/// A fake with one repository on `master` and a client holding a valid installation token.
async fn world() -> (FakeGitHub, Client) {
    let (gh, addr) = FakeGitHub::start().await;
    gh.set_now(1_700_000_000);
    gh.add_installation(INSTALLATION, "xen-project");
    gh.add_repo(INSTALLATION, REPO, "master");
    gh.commit(
        REPO,
        "master",
        alice(),
        "Initial import",
        &[
            (
                "MAINTAINERS",
                Some("THE REST\nM:\tAlice <alice@xen.org>\nF:\t*\n"),
            ),
            ("xen/common/sched.c", Some("int a;\nint b;\n")),
            ("docs/old.txt", Some("obsolete\n")),
        ],
    );
    let token = gh.mint_token(INSTALLATION);
    (gh, Client::new(addr, Some(format!("token {token}"))))
}

fn logins(list: &Value, pointer: &str) -> Vec<String> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i.pointer(pointer).and_then(Value::as_str))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn installation_tokens_need_an_app_jwt_and_open_only_their_repositories() {
    let (gh, addr) = FakeGitHub::start().await;
    gh.add_installation(1, "xen-project");
    gh.add_installation(2, "someone-else");
    gh.add_repo(1, REPO, "master");
    gh.add_repo(2, "someone-else/private", "main");

    let anonymous = Client::new(addr, None);
    let minted = anonymous
        .post("/app/installations/1/access_tokens", json!({}))
        .await;
    assert_eq!(minted.status, 401);
    assert!(minted.body["documentation_url"].is_string());
    assert_eq!(anonymous.get("/repos/xen-project/xen").await.status, 401);

    let not_a_jwt = Client::new(addr, Some("Bearer just-a-token".into()));
    let refused = not_a_jwt
        .post("/app/installations/1/access_tokens", json!({}))
        .await;
    assert_eq!(refused.status, 401);

    let app = Client::new(addr, Some(format!("Bearer {JWT}")));
    let minted = app
        .post("/app/installations/1/access_tokens", json!({}))
        .await;
    assert_eq!(minted.status, 201);
    let token = minted.body["token"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(token.starts_with("ghs_"), "{token}");
    assert!(minted.body["expires_at"]
        .as_str()
        .is_some_and(|t| t.ends_with('Z')));
    assert_eq!(
        app.post("/app/installations/99/access_tokens", json!({}))
            .await
            .status,
        404
    );
    let installations = app.get("/app/installations").await;
    assert_eq!(installations.body.as_array().map(Vec::len), Some(2));
    assert_eq!(installations.body[0]["account"]["login"], "xen-project");

    let installation = Client::new(addr, Some(format!("Bearer {token}")));
    let repos = installation.get("/installation/repositories").await;
    assert_eq!(repos.status, 200);
    assert_eq!(repos.body["total_count"], 1);
    assert_eq!(repos.body["repositories"][0]["full_name"], REPO);
    assert_eq!(
        repos.body["repositories"][0]["owner"]["login"],
        "xen-project"
    );
    assert_eq!(installation.get("/repos/xen-project/xen").await.status, 200);
    // Another installation's repository does not exist for this token.
    assert_eq!(
        installation.get("/repos/someone-else/private").await.status,
        404
    );

    let forged = Client::new(addr, Some("token ghs_forged".into()));
    let refused = forged.get("/repos/xen-project/xen").await;
    assert_eq!(refused.status, 401);
    assert_eq!(refused.body["message"], "Bad credentials");

    gh.revoke_tokens();
    assert_eq!(installation.get("/repos/xen-project/xen").await.status, 401);
}

#[tokio::test]
async fn pull_request_shows_files_commits_reviews_and_comments_after_pushes() {
    let (gh, client) = world().await;
    gh.create_branch(REPO, "sched-fix", "master");
    let number = gh.open_pr(REPO, "bob", "sched-fix", "master", "sched: fix");
    let first = gh.push_to_pr(
        REPO,
        number,
        bob(),
        "sched: fix\n\nSigned-off-by: Bob <Bob@Example.com>",
        &[("xen/common/sched.c", Some("int a;\nint c;\n"))],
    );
    // Master moves on meanwhile: its change must not show up in the pull request.
    gh.commit(REPO, "master", alice(), "docs", &[("README", Some("hi\n"))]);
    let second = gh.push_to_pr(
        REPO,
        number,
        bob(),
        "docs: drop old.txt, add new",
        &[("docs/old.txt", None), ("docs/new.md", Some("# New\n"))],
    );
    assert_eq!(gh.pr_head(REPO, number), second);
    let review = gh.add_review(
        REPO,
        number,
        "alice",
        ReviewState::Approved,
        "Acked-by: Alice",
    );
    let comment = gh.add_comment(REPO, number, "carol", "Reviewed-by: Carol <carol@xen.org>");

    let pr = client.get(&format!("/repos/{REPO}/pulls/{number}")).await;
    assert_eq!(pr.status, 200);
    assert_eq!(pr.body["number"], number);
    assert_eq!(pr.body["state"], "open");
    assert_eq!(pr.body["draft"], false);
    assert_eq!(pr.body["user"]["login"], "bob");
    assert_eq!(pr.body["head"]["ref"], "sched-fix");
    assert_eq!(pr.body["head"]["sha"], second.as_str());
    assert_eq!(pr.body["base"]["ref"], "master");
    assert_eq!(pr.body["base"]["repo"]["full_name"], REPO);
    assert_eq!(
        pr.body["base"]["sha"].as_str(),
        gh.branch_tip(REPO, "master").as_deref()
    );
    assert_eq!(pr.body["merged"], false);
    assert_eq!(pr.body["user"]["gravatar_id"], "");
    assert!(pr.body["_links"]["html"]["href"].is_string());

    let open = client.get(&format!("/repos/{REPO}/pulls?state=open")).await;
    assert_eq!(open.body.as_array().map(Vec::len), Some(1));
    assert!(
        open.body[0].get("merged").is_none(),
        "lists omit computed fields"
    );

    let files = client
        .get(&format!("/repos/{REPO}/pulls/{number}/files"))
        .await;
    let mut changed: Vec<(String, String)> = files
        .body
        .as_array()
        .into_iter()
        .flatten()
        .map(|f| {
            (
                f["filename"].as_str().unwrap_or_default().to_string(),
                f["status"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    changed.sort();
    assert_eq!(
        changed,
        vec![
            ("docs/new.md".to_string(), "added".to_string()),
            ("docs/old.txt".to_string(), "removed".to_string()),
            ("xen/common/sched.c".to_string(), "modified".to_string()),
        ]
    );
    let sched = files
        .body
        .as_array()
        .and_then(|fs| fs.iter().find(|f| f["filename"] == "xen/common/sched.c"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (sched["additions"].as_u64(), sched["deletions"].as_u64()),
        (Some(1), Some(1))
    );

    let commits = client
        .get(&format!("/repos/{REPO}/pulls/{number}/commits"))
        .await;
    let shas = logins(&commits.body, "/sha");
    assert_eq!(
        shas,
        vec![first, second.clone()],
        "oldest first, PR commits only"
    );
    assert_eq!(commits.body[0]["author"]["login"], "bob");
    assert_eq!(
        commits.body[0]["commit"]["author"]["email"],
        "Bob@Example.com"
    );
    assert!(commits.body[0]["commit"]["message"]
        .as_str()
        .is_some_and(|m| m.contains("Signed-off-by: Bob")));

    let reviews = client
        .get(&format!("/repos/{REPO}/pulls/{number}/reviews"))
        .await;
    assert_eq!(reviews.body[0]["id"], review);
    assert_eq!(reviews.body[0]["state"], "APPROVED");
    assert_eq!(reviews.body[0]["user"]["login"], "alice");
    assert_eq!(reviews.body[0]["commit_id"], second.as_str());
    assert_eq!(reviews.body[0]["submitted_at"], "2023-11-14T22:13:20Z");

    let comments = client
        .get(&format!("/repos/{REPO}/issues/{number}/comments"))
        .await;
    assert_eq!(comments.body[0]["id"], comment);
    assert_eq!(comments.body[0]["user"]["login"], "carol");
    assert_eq!(
        comments.body[0]["body"],
        "Reviewed-by: Carol <carol@xen.org>"
    );

    let missing = client.get(&format!("/repos/{REPO}/pulls/999")).await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["message"], "Not Found");
}

#[tokio::test]
async fn contents_come_base64_encoded_at_the_requested_ref() {
    let (gh, client) = world().await;
    let config = "[acks]\nmin_open = \"24h\"\n# é — a long enough line to wrap the base64 output\n";
    let old = gh.commit(
        REPO,
        "master",
        alice(),
        "config",
        &[(".github/pushgate.toml", Some(config))],
    );
    gh.commit(
        REPO,
        "master",
        alice(),
        "tweak",
        &[(".github/pushgate.toml", Some("[acks]\n"))],
    );

    let file = client
        .get(&format!(
            "/repos/{REPO}/contents/.github/pushgate.toml?ref={old}"
        ))
        .await;
    assert_eq!(file.status, 200);
    assert_eq!(file.body["type"], "file");
    assert_eq!(file.body["encoding"], "base64");
    assert_eq!(file.body["path"], ".github/pushgate.toml");
    assert_eq!(file.body["name"], "pushgate.toml");
    assert_eq!(file.body["size"], config.len());
    assert_eq!(file.body["sha"].as_str().map(str::len), Some(40));
    let encoded = file.body["content"].as_str().unwrap_or_default();
    assert!(encoded.lines().all(|l| l.len() <= 60) && encoded.contains('\n'));
    let decoded = unbase64(encoded).and_then(|b| String::from_utf8(b).ok());
    assert_eq!(decoded.as_deref(), Some(config));

    let latest = client
        .get(&format!(
            "/repos/{REPO}/contents/.github/pushgate.toml?ref=master"
        ))
        .await;
    let decoded = latest.body["content"]
        .as_str()
        .and_then(unbase64)
        .and_then(|b| String::from_utf8(b).ok());
    assert_eq!(decoded.as_deref(), Some("[acks]\n"));

    let dir = client.get(&format!("/repos/{REPO}/contents/docs")).await;
    assert_eq!(dir.body[0]["name"], "old.txt");

    let missing = client
        .get(&format!("/repos/{REPO}/contents/nope.txt"))
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["message"], "Not Found");
    let bad_ref = client
        .get(&format!(
            "/repos/{REPO}/contents/MAINTAINERS?ref=no-such-branch"
        ))
        .await;
    assert_eq!(bad_ref.status, 404);
}

/// `GET /git/trees/{sha}` lists one level; a commit's sha names its root tree; a directory's
/// tree sha depends on its files only, and the blob shas lead to `GET /git/blobs`.
#[tokio::test]
async fn trees_list_one_level_and_name_directories_by_their_content() {
    let (gh, client) = world().await;
    let first = gh.commit(
        REPO,
        "master",
        alice(),
        "config",
        &[(".github/pushgate.toml", Some("[acks]\n"))],
    );
    let second = gh.commit(
        REPO,
        "master",
        alice(),
        "readme",
        &[("README", Some("hi\n"))],
    );
    let third = gh.commit(
        REPO,
        "master",
        alice(),
        "tweak",
        &[(".github/pushgate.toml", Some("[acks]\nmin_open = \"0s\"\n"))],
    );
    let entry = |tree: &Value, path: &str| -> Value {
        tree["tree"]
            .as_array()
            .and_then(|entries| entries.iter().find(|e| e["path"] == path))
            .cloned()
            .unwrap_or(Value::Null)
    };
    let mut github_trees = Vec::new();
    for commit in [&first, &second, &third] {
        let root = client
            .get(&format!("/repos/{REPO}/git/trees/{commit}"))
            .await;
        assert_eq!(root.status, 200, "{}", root.body);
        assert_eq!(root.body["truncated"], false);
        let github = entry(&root.body, ".github");
        assert_eq!(github["type"], "tree");
        assert_eq!(github["mode"], "040000");
        assert!(tree_paths(&root.body).iter().all(|p| !p.contains('/')));
        github_trees.push(github["sha"].as_str().unwrap_or_default().to_string());
    }
    // Unchanged by the README commit, changed by the tweak.
    assert_eq!(github_trees[0], github_trees[1]);
    assert_ne!(github_trees[1], github_trees[2]);

    let sub = client
        .get(&format!("/repos/{REPO}/git/trees/{}", github_trees[2]))
        .await;
    assert_eq!(sub.status, 200, "{}", sub.body);
    let config = entry(&sub.body, "pushgate.toml");
    assert_eq!(config["type"], "blob");
    let blob = client
        .get(&format!(
            "/repos/{REPO}/git/blobs/{}",
            config["sha"].as_str().unwrap_or_default()
        ))
        .await;
    assert_eq!(blob.status, 200, "{}", blob.body);
    assert_eq!(blob.body["encoding"], "base64");
    assert_eq!(
        decoded_content(&blob).as_deref(),
        Some("[acks]\nmin_open = \"0s\"\n")
    );
    assert_eq!(gh.calls(endpoint::GIT_TREE), 4);
    assert_eq!(gh.calls(endpoint::GIT_BLOB), 1);

    for unknown in [
        "git/trees/0000000000000000000000000000000000000000",
        "git/blobs/00",
    ] {
        let answer = client.get(&format!("/repos/{REPO}/{unknown}")).await;
        assert_eq!(answer.status, 404, "{unknown}");
    }
}

#[tokio::test]
async fn check_runs_are_created_updated_and_oversized_summaries_refused() {
    let (gh, client) = world().await;
    let head = gh.branch_tip(REPO, "master").unwrap_or_default();

    let created = client
        .post(
            &format!("/repos/{REPO}/check-runs"),
            json!({"name": "pushgate/acks", "head_sha": head, "status": "in_progress"}),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["status"], "in_progress");
    assert!(created.body["output"]["annotations_url"].is_string());
    let id = created.body["id"].as_u64().unwrap_or_default();

    let updated = client
        .call(
            Method::PATCH,
            &format!("/repos/{REPO}/check-runs/{id}"),
            Some(json!({
                "conclusion": "failure",
                "output": {"title": "1 approval missing", "summary": "Ask **alice**."}
            })),
        )
        .await;
    assert_eq!(updated.status, 200);
    assert_eq!(updated.body["status"], "completed");
    assert_eq!(updated.body["conclusion"], "failure");

    let runs = gh.check_runs(REPO);
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].name, "pushgate/acks");
    assert_eq!(runs[0].head_sha, head);
    assert_eq!(runs[0].conclusion.as_deref(), Some("failure"));
    assert_eq!(runs[0].summary.as_deref(), Some("Ask **alice**."));

    let listed = client
        .get(&format!(
            "/repos/{REPO}/commits/master/check-runs?check_name=pushgate/acks"
        ))
        .await;
    assert_eq!(listed.body["total_count"], 1);

    let huge = "x".repeat(65_536);
    let refused = client
        .post(
            &format!("/repos/{REPO}/check-runs"),
            json!({
                "name": "pushgate/acks", "head_sha": head, "conclusion": "failure",
                "output": {"title": "t", "summary": huge}
            }),
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body["message"]
        .as_str()
        .is_some_and(|m| m.contains("65535")));
    let unknown_sha = client
        .post(
            &format!("/repos/{REPO}/check-runs"),
            json!({"name": "pushgate/acks", "head_sha": "0".repeat(40)}),
        )
        .await;
    assert_eq!(unknown_sha.status, 422);
    let not_json = client
        .http
        .post(format!("{}/repos/{REPO}/check-runs", client.base))
        .header("authorization", client.auth.clone().unwrap_or_default())
        .body("{nope")
        .send()
        .await
        .expect("the fake answers");
    assert_eq!(not_json.status().as_u16(), 400);
    assert_eq!(gh.check_runs(REPO).len(), 1);
}

#[tokio::test]
async fn labels_are_added_and_removed_by_url_encoded_name() {
    let (gh, client) = world().await;
    gh.create_branch(REPO, "topic", "master");
    let number = gh.open_pr(REPO, "bob", "topic", "master", "topic");

    let added = client
        .post(
            &format!("/repos/{REPO}/issues/{number}/labels"),
            json!({"labels": ["acks: missing", "support: supported"]}),
        )
        .await;
    assert_eq!(added.status, 200);
    assert_eq!(
        logins(&added.body, "/name"),
        vec!["acks: missing", "support: supported"]
    );
    // Missing repository labels were created on the way.
    let repo_labels = client.get(&format!("/repos/{REPO}/labels")).await;
    assert_eq!(repo_labels.body.as_array().map(Vec::len), Some(2));

    let removed = client
        .call(
            Method::DELETE,
            &format!("/repos/{REPO}/issues/{number}/labels/acks%3A%20missing"),
            None,
        )
        .await;
    assert_eq!(removed.status, 200);
    assert_eq!(logins(&removed.body, "/name"), vec!["support: supported"]);
    assert_eq!(gh.labels_on(REPO, number), vec!["support: supported"]);

    let again = client
        .call(
            Method::DELETE,
            &format!("/repos/{REPO}/issues/{number}/labels/acks%3A%20missing"),
            None,
        )
        .await;
    assert_eq!(again.status, 404);

    let created = client
        .post(
            &format!("/repos/{REPO}/labels"),
            json!({"name": "gate: blocked", "color": "#B60205"}),
        )
        .await;
    assert_eq!(created.status, 201);
    assert_eq!(created.body["color"], "b60205");
    let duplicate = client
        .post(
            &format!("/repos/{REPO}/labels"),
            json!({"name": "GATE: blocked"}),
        )
        .await;
    assert_eq!(duplicate.status, 422);
    assert_eq!(duplicate.body["errors"][0]["code"], "already_exists");
}

#[tokio::test]
async fn rate_limits_and_errors_are_injected_then_lifted() {
    let (gh, client) = world().await;
    gh.inject(Fault::too_many_requests(2).on(endpoint::PULLS));
    let path = format!("/repos/{REPO}/pulls?state=open");

    let limited = client.get(&path).await;
    assert_eq!(limited.status, 429);
    assert_eq!(limited.header("retry-after"), Some("2"));
    let ok = client.get(&path).await;
    assert_eq!(ok.status, 200);

    gh.inject(Fault::rate_limited(1_700_003_600));
    let spent = client.get(&format!("/repos/{REPO}")).await;
    assert_eq!(spent.status, 403);
    assert_eq!(spent.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(spent.header("x-ratelimit-reset"), Some("1700003600"));

    gh.inject(Fault::secondary_limit(60));
    let secondary = client.get(&format!("/repos/{REPO}")).await;
    assert_eq!(secondary.status, 403);
    assert_eq!(secondary.header("retry-after"), Some("60"));
    assert!(secondary.body["message"]
        .as_str()
        .is_some_and(|m| m.contains("secondary rate limit")));

    gh.inject(Fault::bad_gateway().on(endpoint::REPO).every(2));
    let statuses: Vec<u16> = [
        client.get(&format!("/repos/{REPO}")).await.status,
        client.get(&format!("/repos/{REPO}")).await.status,
        client.get(&format!("/repos/{REPO}")).await.status,
        client.get(&format!("/repos/{REPO}")).await.status,
    ]
    .to_vec();
    assert_eq!(statuses, vec![200, 502, 200, 502]);
    gh.clear_faults();

    gh.inject(Fault::delay(Duration::from_millis(150)));
    let started = std::time::Instant::now();
    assert_eq!(client.get(&format!("/repos/{REPO}")).await.status, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));

    let a = client.get(&format!("/repos/{REPO}")).await;
    let b = client.get(&format!("/repos/{REPO}")).await;
    let remaining = |r: &Answer| {
        r.header("x-ratelimit-remaining")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or_default()
    };
    assert_eq!(remaining(&a), remaining(&b) + 1);
    assert!(a.header("x-ratelimit-reset").is_some());
}

#[tokio::test]
async fn calls_are_counted_per_endpoint() {
    let (gh, client) = world().await;
    gh.create_branch(REPO, "topic", "master");
    let number = gh.open_pr(REPO, "bob", "topic", "master", "topic");
    gh.reset_calls();

    client
        .get(&format!("/repos/{REPO}/pulls/{number}/files"))
        .await;
    client
        .get(&format!("/repos/{REPO}/pulls/{number}/files"))
        .await;
    client.get(&format!("/repos/{REPO}/pulls/{number}")).await;
    client.get("/no/such/endpoint").await;

    assert_eq!(gh.calls(endpoint::PULL_FILES), 2);
    assert_eq!(gh.calls("GET /repos/pulls/files"), 2);
    assert_eq!(gh.calls(endpoint::PULL), 1);
    assert_eq!(gh.calls(endpoint::UNKNOWN), 1);
    assert_eq!(gh.calls(endpoint::CONTENTS), 0);
    assert_eq!(gh.calls_total(), 4);
    gh.reset_calls();
    assert_eq!(gh.calls_total(), 0);
}

#[tokio::test]
async fn lists_are_paged_with_a_link_header() {
    let (gh, client) = world().await;
    gh.create_branch(REPO, "topic", "master");
    let number = gh.open_pr(REPO, "bob", "topic", "master", "topic");
    for i in 0..5 {
        gh.add_comment(REPO, number, "carol", &format!("comment {i}"));
    }
    let first = client
        .get(&format!(
            "/repos/{REPO}/issues/{number}/comments?per_page=2"
        ))
        .await;
    assert_eq!(first.body.as_array().map(Vec::len), Some(2));
    let link = first.header("link").unwrap_or_default().to_string();
    assert!(link.contains("page=2>; rel=\"next\""), "{link}");
    assert!(link.contains("page=3>; rel=\"last\""), "{link}");
    let last = client
        .get(&format!(
            "/repos/{REPO}/issues/{number}/comments?per_page=2&page=3"
        ))
        .await;
    assert_eq!(last.body[0]["body"], "comment 4");
    assert!(!last.header("link").unwrap_or_default().contains("next"));
}

#[tokio::test]
async fn commits_by_author_email_give_the_linked_login() {
    let (gh, client) = world().await;
    gh.commit(REPO, "master", bob(), "one", &[("a", Some("1"))]);
    let newest = gh.commit(REPO, "master", bob(), "two", &[("a", Some("2"))]);
    gh.commit(REPO, "master", alice(), "three", &[("a", Some("3"))]);
    let found = client
        .get(&format!(
            "/repos/{REPO}/commits?author=bob%40example.com&per_page=1"
        ))
        .await;
    assert_eq!(found.body.as_array().map(Vec::len), Some(1));
    assert_eq!(found.body[0]["sha"], newest.as_str());
    assert_eq!(found.body[0]["author"]["login"], "bob");
    let nobody = client
        .get(&format!(
            "/repos/{REPO}/commits?author=nobody%40example.com"
        ))
        .await;
    assert_eq!(nobody.body, json!([]));
}

#[tokio::test]
async fn compare_and_refs_only_fast_forward() {
    let (gh, client) = world().await;
    let master = gh.branch_tip(REPO, "master").unwrap_or_default();
    let staging = gh.commit(REPO, "staging", alice(), "staged", &[("b", Some("1"))]);

    let cmp = client
        .get(&format!("/repos/{REPO}/compare/master...staging"))
        .await;
    assert_eq!(cmp.body["status"], "ahead");
    assert_eq!(
        (
            cmp.body["ahead_by"].as_u64(),
            cmp.body["behind_by"].as_u64()
        ),
        (Some(1), Some(0))
    );
    assert_eq!(cmp.body["files"][0]["filename"], "b");
    assert_eq!(cmp.body["commits"][0]["sha"], staging.as_str());

    let got = client
        .get(&format!("/repos/{REPO}/git/ref/heads/master"))
        .await;
    assert_eq!(got.body["object"]["sha"], master.as_str());
    assert_eq!(got.body["ref"], "refs/heads/master");

    let moved = client
        .call(
            Method::PATCH,
            &format!("/repos/{REPO}/git/refs/heads/master"),
            Some(json!({"sha": staging, "force": false})),
        )
        .await;
    assert_eq!(moved.status, 200);
    assert_eq!(gh.branch_tip(REPO, "master"), Some(staging.clone()));

    let rewind = client
        .call(
            Method::PATCH,
            &format!("/repos/{REPO}/git/refs/heads/master"),
            Some(json!({"sha": master, "force": false})),
        )
        .await;
    assert_eq!(rewind.status, 422);
    assert_eq!(rewind.body["message"], "Update is not a fast forward");
    assert_eq!(gh.branch_tip(REPO, "master"), Some(staging));
}

#[tokio::test]
async fn bot_comments_and_permissions() {
    let (gh, client) = world().await;
    gh.create_branch(REPO, "topic", "master");
    let number = gh.open_pr(REPO, "bob", "topic", "master", "topic");
    gh.set_permission(REPO, "alice", "maintain");

    let perm = client
        .get(&format!("/repos/{REPO}/collaborators/alice/permission"))
        .await;
    assert_eq!(perm.body["permission"], "write");
    assert_eq!(perm.body["user"]["login"], "alice");
    let owner = client
        .get(&format!(
            "/repos/{REPO}/collaborators/xen-project/permission"
        ))
        .await;
    assert_eq!(owner.body["permission"], "admin");

    let posted = client
        .post(
            &format!("/repos/{REPO}/issues/{number}/comments"),
            json!({"body": "Please explain the objection."}),
        )
        .await;
    assert_eq!(posted.status, 201);
    assert_eq!(posted.body["user"]["login"], BOT_LOGIN);
    let id = posted.body["id"].as_u64().unwrap_or_default();
    let edited = client
        .call(
            Method::PATCH,
            &format!("/repos/{REPO}/issues/comments/{id}"),
            Some(json!({"body": "edited"})),
        )
        .await;
    assert_eq!(edited.status, 200);
    let human = gh.add_comment(REPO, number, "carol", "mine");
    let not_ours = client
        .call(
            Method::PATCH,
            &format!("/repos/{REPO}/issues/comments/{human}"),
            Some(json!({"body": "hijack"})),
        )
        .await;
    assert_eq!(not_ours.status, 403);
    let bodies: Vec<String> = gh
        .comments_on(REPO, number)
        .into_iter()
        .map(|c| c.body)
        .collect();
    assert_eq!(bodies, vec!["edited", "mine"]);
}

#[tokio::test]
async fn webhook_payloads_carry_installation_repository_and_sender() {
    let (gh, _client) = world().await;
    gh.create_branch(REPO, "topic", "master");
    let number = gh.open_pr(REPO, "bob", "topic", "master", "topic");
    let before = gh.pr_head(REPO, number);
    let after = gh.push_to_pr(REPO, number, bob(), "more", &[("c", Some("1"))]);

    let sync = gh.pull_request_event(REPO, number, "synchronize", Some(&before));
    assert_eq!(sync["action"], "synchronize");
    assert_eq!(sync["before"], before.as_str());
    assert_eq!(sync["after"], after.as_str());
    assert_eq!(sync["pull_request"]["head"]["sha"], after.as_str());
    assert_eq!(sync["installation"]["id"], INSTALLATION);
    assert_eq!(sync["repository"]["full_name"], REPO);
    assert_eq!(sync["repository"]["owner"]["login"], "xen-project");
    assert_eq!(sync["repository"]["default_branch"], "master");
    assert_eq!(sync["sender"]["login"], "bob");

    let review = gh.add_review(REPO, number, "alice", ReviewState::ChangesRequested, "");
    let event = gh.review_event(REPO, number, review);
    assert_eq!(event["action"], "submitted");
    assert_eq!(event["review"]["state"], "changes_requested");
    assert_eq!(event["sender"]["login"], "alice");

    let comment = gh.add_comment(REPO, number, "carol", "/ack");
    let event = gh.issue_comment_event(REPO, number, comment);
    assert_eq!(event["issue"]["number"], number);
    assert!(event["issue"]["pull_request"]["url"].is_string());
    assert_eq!(event["comment"]["body"], "/ack");

    let installed = gh.installation_event(INSTALLATION);
    assert_eq!(installed["installation"]["id"], INSTALLATION);
    assert_eq!(installed["repositories"][0]["full_name"], REPO);
}

async fn git_commit(client: &Client, sha: &str) -> Value {
    let got = client
        .get(&format!("/repos/{REPO}/git/commits/{sha}"))
        .await;
    assert_eq!(got.status, 200, "{}", got.body);
    got.body
}

async fn patch(client: &Client, path: &str, body: Value) -> Answer {
    client.call(Method::PATCH, path, Some(body)).await
}

/// GitHub's wrapped base64, decoded.
fn unbase64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    let flat: String = text.split_whitespace().collect();
    base64::engine::general_purpose::STANDARD.decode(flat).ok()
}

fn decoded_content(answer: &Answer) -> Option<String> {
    answer.body["content"]
        .as_str()
        .and_then(unbase64)
        .and_then(|b| String::from_utf8(b).ok())
}

fn tree_paths(tree: &Value) -> Vec<String> {
    logins(&tree["tree"], "/path")
}

#[tokio::test]
async fn a_commit_is_recreated_on_another_tip_and_fast_forwarded() {
    let (gh, client) = world().await;
    let fork_point = gh.branch_tip(REPO, "master").unwrap_or_default();
    let topic = gh.commit(
        REPO,
        "topic",
        bob(),
        "sched: tidy up\n\nSigned-off-by: Bob",
        &[
            ("xen/common/sched.c", Some("int a;\nint c;\n")),
            ("xen/common/new.c", Some("void f(void);\n")),
            ("docs/old.txt", None),
        ],
    );
    gh.advance(60);
    let master = gh.commit(
        REPO,
        "master",
        alice(),
        "README",
        &[("README", Some("Xen\n"))],
    );

    let original = git_commit(&client, &topic).await;
    assert_eq!(original["sha"], topic.as_str());
    assert_eq!(original["message"], "sched: tidy up\n\nSigned-off-by: Bob");
    assert_eq!(original["author"]["name"], "Bob Contributor");
    assert_eq!(original["author"]["email"], "Bob@Example.com");
    assert_eq!(original["author"]["date"], "2023-11-14T22:13:20Z");
    assert_eq!(original["committer"]["name"], "Bob Contributor");
    assert_eq!(original["parents"][0]["sha"], fork_point.as_str());
    assert_eq!(original["verification"]["verified"], false);
    assert_eq!(original["verification"]["reason"], "unsigned");
    assert_eq!(original["tree"]["sha"].as_str().map(str::len), Some(40));
    assert!(original["node_id"].is_string() && original["html_url"].is_string());

    // The files the commit changed, each with its status and blob sha.
    let cmp = client
        .get(&format!("/repos/{REPO}/compare/{fork_point}...{topic}"))
        .await;
    let files = cmp.body["files"].as_array().cloned().unwrap_or_default();
    let changed: Vec<(&str, &str)> = files
        .iter()
        .map(|f| {
            (
                f["filename"].as_str().unwrap_or_default(),
                f["status"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        changed,
        vec![
            ("docs/old.txt", "removed"),
            ("xen/common/new.c", "added"),
            ("xen/common/sched.c", "modified"),
        ]
    );
    let sched = client
        .get(&format!(
            "/repos/{REPO}/contents/xen/common/sched.c?ref={topic}"
        ))
        .await;
    assert_eq!(files[2]["sha"], sched.body["sha"]);

    // Re-create it on master's tip: master's tree with the same changes.
    let base_tree = git_commit(&client, &master).await["tree"]["sha"].clone();
    let entries: Vec<Value> = files
        .iter()
        .map(|f| {
            let sha = if f["status"] == "removed" {
                Value::Null
            } else {
                f["sha"].clone()
            };
            json!({"path": f["filename"], "mode": "100644", "type": "blob", "sha": sha})
        })
        .collect();
    let tree = client
        .post(
            &format!("/repos/{REPO}/git/trees"),
            json!({"base_tree": base_tree, "tree": entries}),
        )
        .await;
    assert_eq!(tree.status, 201, "{}", tree.body);
    assert_eq!(tree.body["truncated"], false);
    assert_eq!(
        tree_paths(&tree.body),
        vec![
            "MAINTAINERS",
            "README",
            "xen/common/new.c",
            "xen/common/sched.c"
        ]
    );
    let entry = &tree.body["tree"][3];
    assert_eq!(entry["sha"], sched.body["sha"]);
    assert_eq!(entry["size"], 14);
    assert_eq!(entry["type"], "blob");
    assert!(entry["url"]
        .as_str()
        .is_some_and(|u| u.contains("/git/blobs/")));

    let created = client
        .post(
            &format!("/repos/{REPO}/git/commits"),
            json!({
                "message": original["message"],
                "tree": tree.body["sha"],
                "parents": [master],
                "author": original["author"],
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let sha = created.body["sha"].as_str().unwrap_or_default().to_string();
    assert_eq!(created.body["tree"]["sha"], tree.body["sha"]);
    assert_eq!(created.body["parents"][0]["sha"], master.as_str());
    assert_eq!(created.body["author"], original["author"]);
    // The committer defaults to the author.
    assert_eq!(created.body["committer"], original["author"]);
    assert_eq!(git_commit(&client, &sha).await, created.body);
    assert_eq!(
        gh.commit_message(REPO, &sha).as_deref(),
        Some("sched: tidy up\n\nSigned-off-by: Bob")
    );
    assert_eq!(gh.commit_parents(REPO, &sha), vec![master.clone()]);
    assert_eq!(
        gh.commit_parents(REPO, "no-such-commit"),
        Vec::<String>::new()
    );
    // A commit object is on no branch until a ref points at it.
    assert_eq!(gh.branch_tip(REPO, "master"), Some(master.clone()));

    let cmp = client
        .get(&format!("/repos/{REPO}/compare/master...{sha}"))
        .await;
    assert_eq!(cmp.body["status"], "ahead");
    assert_eq!(cmp.body["files"].as_array().map(Vec::len), Some(3));

    let moved = patch(
        &client,
        &format!("/repos/{REPO}/git/refs/heads/master"),
        json!({"sha": sha, "force": false}),
    )
    .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(gh.branch_tip(REPO, "master"), Some(sha.clone()));

    let sched = client
        .get(&format!("/repos/{REPO}/contents/xen/common/sched.c"))
        .await;
    assert_eq!(decoded_content(&sched).as_deref(), Some("int a;\nint c;\n"));
    let readme = client.get(&format!("/repos/{REPO}/contents/README")).await;
    assert_eq!(decoded_content(&readme).as_deref(), Some("Xen\n"));
    let gone = client
        .get(&format!("/repos/{REPO}/contents/docs/old.txt"))
        .await;
    assert_eq!(gone.status, 404);
    assert_eq!(
        gh.file_at(REPO, "master", "xen/common/new.c").as_deref(),
        Some("void f(void);\n")
    );

    // Bob's e-mail is linked to his account, as GitHub links it.
    let log = client
        .get(&format!("/repos/{REPO}/commits?sha=master"))
        .await;
    assert_eq!(log.body[0]["sha"], sha.as_str());
    assert_eq!(log.body[0]["author"]["login"], "bob");
    assert_eq!(log.body[0]["commit"]["tree"]["sha"], tree.body["sha"]);

    // The old tip is no longer an ancestor of the topic commit: no fast-forward there.
    let rewind = patch(
        &client,
        &format!("/repos/{REPO}/git/refs/heads/master"),
        json!({"sha": topic, "force": false}),
    )
    .await;
    assert_eq!(rewind.status, 422);
}

#[tokio::test]
async fn git_commits_without_a_linked_author_have_no_author_account() {
    let (gh, client) = world().await;
    let master = gh.branch_tip(REPO, "master").unwrap_or_default();
    let base_tree = git_commit(&client, &master).await["tree"]["sha"].clone();
    let tree = client
        .post(
            &format!("/repos/{REPO}/git/trees"),
            json!({"base_tree": base_tree, "tree": [{"path": "x", "mode": "100644", "type": "blob", "content": "x\n"}]}),
        )
        .await;
    let stranger = client
        .post(
            &format!("/repos/{REPO}/git/commits"),
            json!({
                "message": "x",
                "tree": tree.body["sha"],
                "parents": [master],
                "author": {"name": "Nobody", "email": "nobody@nowhere.invalid", "date": "2024-01-02T03:04:05Z"},
                "committer": {"name": "Gate", "email": "gate@nowhere.invalid"},
            }),
        )
        .await;
    assert_eq!(stranger.status, 201, "{}", stranger.body);
    assert_eq!(stranger.body["author"]["date"], "2024-01-02T03:04:05Z");
    assert_eq!(stranger.body["committer"]["name"], "Gate");
    assert_eq!(stranger.body["committer"]["date"], "2023-11-14T22:13:20Z");
    let sha = stranger.body["sha"].as_str().unwrap_or_default();
    let log = client
        .get(&format!("/repos/{REPO}/commits?sha={sha}"))
        .await;
    assert_eq!(log.body[0]["sha"], sha);
    assert_eq!(log.body[0]["author"], Value::Null);
    assert_eq!(log.body[0]["committer"], Value::Null);
    assert_eq!(log.body[0]["commit"]["author"]["name"], "Nobody");

    // Without author nor committer, the App's bot made it.
    let anonymous = client
        .post(
            &format!("/repos/{REPO}/git/commits"),
            json!({"message": "y", "tree": tree.body["sha"], "parents": [sha]}),
        )
        .await;
    assert_eq!(anonymous.status, 201);
    assert_eq!(anonymous.body["author"]["name"], BOT_LOGIN);
    let sha = anonymous.body["sha"].as_str().unwrap_or_default();
    let log = client
        .get(&format!("/repos/{REPO}/commits?sha={sha}"))
        .await;
    assert_eq!(log.body[0]["author"]["login"], BOT_LOGIN);
    assert_eq!(gh.calls(endpoint::CREATE_GIT_COMMIT), 2);
    assert_eq!(gh.calls(endpoint::CREATE_TREE), 1);
    assert_eq!(gh.calls(endpoint::GIT_COMMIT), 1);
}

#[tokio::test]
async fn tree_entries_set_content_reuse_blobs_and_delete_paths() {
    let (gh, client) = world().await;
    let master = gh.branch_tip(REPO, "master").unwrap_or_default();
    let base_tree = git_commit(&client, &master).await["tree"]["sha"].clone();

    let edited = client
        .post(
            &format!("/repos/{REPO}/git/trees"),
            json!({"base_tree": base_tree, "tree": [
                {"path": "docs/new.txt", "mode": "100644", "type": "blob", "content": "new\n"},
                {"path": "docs/old.txt", "mode": "100644", "type": "blob", "sha": null},
            ]}),
        )
        .await;
    assert_eq!(edited.status, 201, "{}", edited.body);
    assert_eq!(
        tree_paths(&edited.body),
        vec!["MAINTAINERS", "docs/new.txt", "xen/common/sched.c"]
    );
    let new_blob = edited.body["tree"][1]["sha"].clone();

    // A blob made by an inline content is reusable by sha; no base tree: only the entries.
    let fresh = client
        .post(
            &format!("/repos/{REPO}/git/trees"),
            json!({"tree": [{"path": "copy.txt", "mode": "100644", "type": "blob", "sha": new_blob}]}),
        )
        .await;
    assert_eq!(fresh.status, 201, "{}", fresh.body);
    assert_eq!(tree_paths(&fresh.body), vec!["copy.txt"]);

    // Deleting a directory deletes what is under it.
    let pruned = client
        .post(
            &format!("/repos/{REPO}/git/trees"),
            json!({"base_tree": base_tree, "tree": [{"path": "xen", "mode": "100644", "type": "blob", "sha": null}]}),
        )
        .await;
    assert_eq!(
        tree_paths(&pruned.body),
        vec!["MAINTAINERS", "docs/old.txt"]
    );

    // The same files make the same tree.
    let again = client
        .post(
            &format!("/repos/{REPO}/git/trees"),
            json!({"base_tree": base_tree, "tree": []}),
        )
        .await;
    assert_eq!(again.body["sha"], base_tree);

    let commit = client
        .post(
            &format!("/repos/{REPO}/git/commits"),
            json!({"message": "docs", "tree": edited.body["sha"], "parents": [master]}),
        )
        .await;
    let sha = commit.body["sha"].as_str().unwrap_or_default().to_string();
    let cmp = client
        .get(&format!("/repos/{REPO}/compare/{master}...{sha}"))
        .await;
    let changed: Vec<(String, String, String)> = cmp.body["files"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            (s("filename"), s("status"), s("sha"))
        })
        .collect();
    assert_eq!(changed.len(), 2);
    assert_eq!(changed[0].0, "docs/new.txt");
    assert_eq!(changed[0].1, "added");
    assert_eq!(Value::String(changed[0].2.clone()), new_blob);
    assert_eq!(
        (changed[1].0.as_str(), changed[1].1.as_str()),
        ("docs/old.txt", "removed")
    );
    assert_eq!(changed[1].2.len(), 40);
}

#[tokio::test]
async fn unknown_trees_parents_and_blobs_are_refused() {
    let (gh, client) = world().await;
    let master = gh.branch_tip(REPO, "master").unwrap_or_default();
    let base_tree = git_commit(&client, &master).await["tree"]["sha"].clone();
    let nowhere = "0123456789abcdef0123456789abcdef01234567";
    let trees = format!("/repos/{REPO}/git/trees");
    let commits = format!("/repos/{REPO}/git/commits");

    let bad_blob = client
        .post(
            &trees,
            json!({"base_tree": base_tree, "tree": [{"path": "f", "mode": "100644", "type": "blob", "sha": nowhere}]}),
        )
        .await;
    assert_eq!(bad_blob.status, 422);
    assert_eq!(
        bad_blob.body["message"],
        format!("tree.sha {nowhere} is not a valid blob")
    );
    let bad_base = client
        .post(&trees, json!({"base_tree": nowhere, "tree": []}))
        .await;
    assert_eq!(bad_base.status, 422);
    assert_eq!(
        bad_base.body["message"],
        "base_tree is not a valid tree oid"
    );
    // A commit sha is not a tree sha.
    let commit_as_tree = client
        .post(&trees, json!({"base_tree": master, "tree": []}))
        .await;
    assert_eq!(commit_as_tree.status, 422);
    for entry in [
        json!({"path": "f", "mode": "100644", "type": "blob", "sha": nowhere, "content": "x"}),
        json!({"path": "f", "mode": "100644", "type": "blob"}),
        json!({"path": "/f", "mode": "100644", "type": "blob", "content": "x"}),
        json!({"path": "a/../f", "mode": "100644", "type": "blob", "content": "x"}),
        json!({"path": "d", "mode": "040000", "type": "tree", "sha": nowhere}),
        json!({"path": "MAINTAINERS/f", "mode": "100644", "type": "blob", "content": "x"}),
    ] {
        let refused = client
            .post(&trees, json!({"base_tree": base_tree, "tree": [entry]}))
            .await;
        assert_eq!(refused.status, 422, "{}", refused.body);
        assert!(refused.body["message"].is_string());
    }
    let no_tree = client.post(&trees, json!({"base_tree": base_tree})).await;
    assert_eq!(no_tree.status, 422);

    let bad_tree = client
        .post(
            &commits,
            json!({"message": "m", "tree": nowhere, "parents": [master]}),
        )
        .await;
    assert_eq!(bad_tree.status, 422);
    assert_eq!(bad_tree.body["message"], "Tree SHA does not exist");
    let bad_parent = client
        .post(
            &commits,
            json!({"message": "m", "tree": base_tree, "parents": [nowhere]}),
        )
        .await;
    assert_eq!(bad_parent.status, 422);
    assert_eq!(
        bad_parent.body["message"],
        "Parent SHA does not exist or is not a commit object"
    );
    let bad_date = client
        .post(
            &commits,
            json!({"message": "m", "tree": base_tree, "parents": [master],
                   "author": {"name": "A", "email": "a@x", "date": "yesterday"}}),
        )
        .await;
    assert_eq!(bad_date.status, 422);
    let no_message = client
        .post(&commits, json!({"tree": base_tree, "parents": [master]}))
        .await;
    assert_eq!(no_message.status, 422);
    let not_json = client.call(Method::POST, &commits, None).await;
    assert_eq!(not_json.status, 400);

    let missing = client
        .get(&format!("/repos/{REPO}/git/commits/{nowhere}"))
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.body["message"], "Not Found");
    assert_eq!(gh.branch_tip(REPO, "master"), Some(master));
}

#[tokio::test]
async fn pull_requests_are_closed_retitled_and_reopened() {
    let (gh, client) = world().await;
    gh.commit(REPO, "topic", bob(), "t", &[("t", Some("1"))]);
    let number = gh.open_pr(REPO, "bob", "topic", "master", "topic");
    assert_eq!(gh.pr_state(REPO, number), "open");
    gh.advance(30);

    let url = format!("/repos/{REPO}/pulls/{number}");
    let closed = patch(
        &client,
        &url,
        json!({"state": "closed", "title": "Superseded", "body": "Pushed as abc."}),
    )
    .await;
    assert_eq!(closed.status, 200, "{}", closed.body);
    assert_eq!(closed.body["state"], "closed");
    assert_eq!(closed.body["title"], "Superseded");
    assert_eq!(closed.body["body"], "Pushed as abc.");
    assert_eq!(closed.body["merged"], false);
    assert_eq!(closed.body["closed_at"], "2023-11-14T22:13:50Z");
    assert_eq!(gh.pr_state(REPO, number), "closed");
    let open = client.get(&format!("/repos/{REPO}/pulls")).await;
    assert_eq!(open.body, json!([]));
    let all_closed = client
        .get(&format!("/repos/{REPO}/pulls?state=closed"))
        .await;
    assert_eq!(all_closed.body[0]["number"], number);

    let invalid = patch(&client, &url, json!({"state": "merged"})).await;
    assert_eq!(invalid.status, 422);
    assert_eq!(invalid.body["message"], "Validation Failed");

    // Reopening catches up with a head pushed while closed.
    let head = gh.commit(REPO, "topic", bob(), "t2", &[("t", Some("2"))]);
    let reopened = patch(&client, &url, json!({"state": "open"})).await;
    assert_eq!(reopened.status, 200);
    assert_eq!(reopened.body["state"], "open");
    assert_eq!(reopened.body["closed_at"], Value::Null);
    assert_eq!(reopened.body["head"]["sha"], head.as_str());
    assert_eq!(gh.pr_state(REPO, number), "open");

    gh.merge_pr(REPO, number, "alice");
    let merged = patch(&client, &url, json!({"state": "open"})).await;
    assert_eq!(merged.status, 422);
    let missing = patch(
        &client,
        &format!("/repos/{REPO}/pulls/999"),
        json!({"state": "closed"}),
    )
    .await;
    assert_eq!(missing.status, 404);
    assert_eq!(gh.calls(endpoint::UPDATE_PULL), 5);
}

#[tokio::test]
async fn repository_labels_are_updated_and_issues_filtered_by_labels() {
    let (gh, client) = world().await;
    gh.add_label(REPO, "feature: x86/PV", "ededed", "");
    let updated = client
        .call(
            Method::PATCH,
            &format!("/repos/{REPO}/labels/feature%3A%20x86%2FPV"),
            Some(json!({"new_name": "feature: x86/PV", "color": "0E8A16", "description": "Supported"})),
        )
        .await;
    assert_eq!(updated.status, 200);
    assert_eq!(
        gh.repo_labels(REPO),
        [(
            "feature: x86/PV".to_string(),
            "0e8a16".to_string(),
            Some("Supported".to_string())
        )]
    );
    let missing = client
        .call(
            Method::PATCH,
            &format!("/repos/{REPO}/labels/nope"),
            Some(json!({"color": "000000"})),
        )
        .await;
    assert_eq!(missing.status, 404);

    let both = gh.open_issue(REPO, "rhea", "both", &["regression", "feature: x86/PV"]);
    let one = gh.open_issue(REPO, "rhea", "one", &["Regression"]);
    gh.open_issue(REPO, "rhea", "none", &["bug"]);
    let numbers = |answer: &Answer| -> Vec<u64> {
        answer
            .body
            .as_array()
            .map(|a| a.iter().filter_map(|i| i["number"].as_u64()).collect())
            .unwrap_or_default()
    };
    let regression = client
        .get(&format!(
            "/repos/{REPO}/issues?state=open&labels=regression"
        ))
        .await;
    assert_eq!(numbers(&regression), [both, one]);
    let all_of = client
        .get(&format!(
            "/repos/{REPO}/issues?state=open&labels=regression,feature%3A%20x86%2FPV"
        ))
        .await;
    assert_eq!(numbers(&all_of), [both]);
    gh.close_issue(REPO, one);
    let open = client
        .get(&format!("/repos/{REPO}/issues?labels=regression"))
        .await;
    assert_eq!(numbers(&open), [both]);
}

#[tokio::test]
async fn comments_are_edited_and_deleted_by_others_and_inline_comments_listed() {
    let (gh, client) = world().await;
    gh.create_branch(REPO, "topic", "master");
    let number = gh.open_pr(REPO, "bob", "topic", "master", "topic");
    let id = gh.add_comment(REPO, number, "alice", "Still reading.");
    gh.advance(60);
    gh.edit_comment(REPO, id, "mallory", "Still reading.\nAcked-by: Alice");

    let listed = client
        .get(&format!("/repos/{REPO}/issues/{number}/comments"))
        .await;
    let comment = &listed.body[0];
    assert_eq!(comment["body"], "Still reading.\nAcked-by: Alice");
    assert_eq!(comment["user"]["login"], "alice");
    assert_ne!(comment["updated_at"], comment["created_at"]);

    let edited = gh.issue_comment_edited_event(REPO, number, id);
    assert_eq!(edited["action"], "edited");
    assert_eq!(edited["sender"]["login"], "mallory");
    assert_eq!(edited["comment"]["user"]["login"], "alice");
    assert_eq!(edited["changes"]["body"]["from"], "Still reading.");
    assert!(edited["issue"]["pull_request"]["url"].is_string());

    gh.delete_comment(REPO, id, "mallory");
    let listed = client
        .get(&format!("/repos/{REPO}/issues/{number}/comments"))
        .await;
    assert_eq!(listed.body, json!([]));
    let deleted = gh.issue_comment_deleted_event(REPO, number, id);
    assert_eq!(deleted["action"], "deleted");
    assert_eq!(deleted["sender"]["login"], "mallory");
    assert_eq!(deleted["comment"]["id"], id);

    let inline = gh.add_review_comment(REPO, number, "alice", "c", "Acked-by: Alice");
    let listed = client
        .get(&format!("/repos/{REPO}/pulls/{number}/comments"))
        .await;
    assert_eq!(listed.status, 200);
    assert_eq!(listed.body[0]["id"], inline);
    assert_eq!(listed.body[0]["path"], "c");
    assert_eq!(listed.body[0]["body"], "Acked-by: Alice");
    assert_eq!(gh.calls(endpoint::PULL_REVIEW_COMMENTS), 1);
    // The inline comment sits in a comment-only review of its own.
    let reviews = client
        .get(&format!("/repos/{REPO}/pulls/{number}/reviews"))
        .await;
    assert_eq!(reviews.body[0]["state"], "COMMENTED");
    assert_eq!(
        listed.body[0]["pull_request_review_id"],
        reviews.body[0]["id"]
    );
    let review = reviews.body[0]["id"].as_u64().expect("review id");
    gh.edit_review(REPO, number, review, "mallory", "LGTM");
    let edited = gh.review_edited_event(REPO, number, review);
    assert_eq!(edited["action"], "edited");
    assert_eq!(edited["sender"]["login"], "mallory");
    assert_eq!(edited["review"]["user"]["login"], "alice");
    assert_eq!(edited["review"]["body"], "LGTM");
    assert_eq!(edited["changes"]["body"]["from"], "");
    let event = gh.review_comment_event(REPO, number, inline);
    assert_eq!(event["action"], "created");
    assert_eq!(event["comment"]["body"], "Acked-by: Alice");
    assert_eq!(event["pull_request"]["number"], number);
    assert_eq!(event["sender"]["login"], "alice");
}

#[tokio::test]
async fn update_refs_moves_a_branch_only_from_the_expected_sha_and_by_fast_forward() {
    let (gh, client) = world().await;
    let first = gh.branch_tip(REPO, "master").unwrap();
    let second = gh.commit(REPO, "master", alice(), "two", &[("a", Some("a\n"))]);
    gh.create_branch(REPO, "master", &first);
    let node = client.get(&format!("/repos/{REPO}")).await.body["node_id"].clone();
    let update = |before: &str, after: &str, force: bool| {
        json!({
            "query": "mutation($repositoryId: ID!, $refUpdates: [RefUpdate!]!) { updateRefs(input: {repositoryId: $repositoryId, refUpdates: $refUpdates}) { clientMutationId } }",
            "variables": { "repositoryId": node, "refUpdates": [
                { "name": "refs/heads/master", "beforeOid": before, "afterOid": after, "force": force }
            ] },
        })
    };
    // (expected tip given, new tip, force, moves?)
    let cases = [
        (second.as_str(), second.as_str(), false, false), // not where the caller thinks
        (first.as_str(), second.as_str(), false, true),   // exact and a fast-forward
        (second.as_str(), first.as_str(), false, false),  // backwards without force
    ];
    for (before, after, force, moves) in cases {
        let was = gh.branch_tip(REPO, "master").unwrap();
        let answer = client.post("/graphql", update(before, after, force)).await;
        assert_eq!(answer.status, 200);
        let now = gh.branch_tip(REPO, "master").unwrap();
        if moves {
            assert!(answer.body.get("errors").is_none(), "{}", answer.body);
            assert_eq!(now, after);
        } else {
            assert!(
                answer.body["errors"][0]["message"].is_string(),
                "{}",
                answer.body
            );
            assert_eq!(now, was);
        }
    }
    assert_eq!(gh.calls(endpoint::GRAPHQL), 3);
}

#[tokio::test]
async fn review_requests_only_for_collaborators_and_never_the_author() {
    let (gh, client) = world().await;
    gh.create_branch(REPO, "topic", "master");
    let number = gh.open_pr(REPO, "bob", "topic", "master", "topic");
    gh.set_permission(REPO, "alice", "read");
    let path = format!("/repos/{REPO}/pulls/{number}/requested_reviewers");

    // One outsider in the list refuses the whole request, as on GitHub.
    let refused = client
        .post(&path, json!({"reviewers": ["alice", "carol"]}))
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body["message"]
        .as_str()
        .unwrap_or_default()
        .contains("collaborators"));
    assert!(gh.requested_reviewers(REPO, number).is_empty());
    let author = client.post(&path, json!({"reviewers": ["bob"]})).await;
    assert_eq!(author.status, 422);
    assert_eq!(
        client
            .post(&path, json!({"reviewers": "alice"}))
            .await
            .status,
        422
    );

    let asked = client.post(&path, json!({"reviewers": ["alice"]})).await;
    assert_eq!(asked.status, 201);
    assert_eq!(
        logins(&asked.body["requested_reviewers"], "/login"),
        ["alice"]
    );
    // Asking again changes nothing; the owner is a collaborator too.
    let again = client
        .post(&path, json!({"reviewers": ["alice", "xen-project"]}))
        .await;
    assert_eq!(again.status, 201);
    let listed = client.get(&path).await;
    assert_eq!(
        logins(&listed.body["users"], "/login"),
        ["alice", "xen-project"]
    );
    let pull = client.get(&format!("/repos/{REPO}/pulls/{number}")).await;
    assert_eq!(
        logins(&pull.body["requested_reviewers"], "/login"),
        ["alice", "xen-project"]
    );
    assert_eq!(gh.calls(endpoint::REQUEST_REVIEWERS), 5);
    assert_eq!(gh.calls(endpoint::REQUESTED_REVIEWERS), 1);

    // A review drops its reviewer's request.
    gh.add_review(REPO, number, "alice", ReviewState::Commented, "hmm");
    assert_eq!(gh.requested_reviewers(REPO, number), ["xen-project"]);
}

#[tokio::test]
async fn pull_request_files_carry_their_patch() {
    let (gh, client) = world().await;
    gh.create_branch(REPO, "topic", "master");
    gh.commit(
        REPO,
        "topic",
        bob(),
        "sched: b is c",
        &[("xen/common/sched.c", Some("int a;\nint c;\n"))],
    );
    let number = gh.open_pr(REPO, "bob", "topic", "master", "topic");
    let files = client
        .get(&format!("/repos/{REPO}/pulls/{number}/files"))
        .await;
    let patch = files.body[0]["patch"].as_str().unwrap_or_default();
    assert!(patch.starts_with("@@ "), "{patch}");
    assert!(patch.contains("\n-int b;\n+int c;\n"), "{patch}");
}
