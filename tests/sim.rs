//! The simulated GitHub, driven over HTTP the way a client drives GitHub: tokens, pull request
//! data after pushes, contents, check runs, labels, faults and call counting.

use std::time::Duration;

use pushgate::sim::{base64, endpoint, Author, FakeGitHub, Fault, ReviewState, BOT_LOGIN};
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
    let decoded = base64::decode(encoded).and_then(|b| String::from_utf8(b).ok());
    assert_eq!(decoded.as_deref(), Some(config));

    let latest = client
        .get(&format!(
            "/repos/{REPO}/contents/.github/pushgate.toml?ref=master"
        ))
        .await;
    let decoded = latest.body["content"]
        .as_str()
        .and_then(base64::decode)
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
