//! `pushgate serve` as the operator runs it: the binary, configured by environment variables,
//! with JSON logs, against the fake GitHub. A pull request's delivery is processed in a span
//! that names it, no secret reaches the logs, and SIGTERM ends the process cleanly.

mod support;

use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::*;

/// The process, killed if the test fails before it stops.
struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port nothing listens on now (the OS picks it; the service binds it a moment later).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap()
}

/// The fields of a JSON log line's spans, merged: the innermost span's fields win.
fn span_fields(line: &Value) -> serde_json::Map<String, Value> {
    let mut fields = serde_json::Map::new();
    for span in line["spans"].as_array().into_iter().flatten() {
        if let Some(span) = span.as_object() {
            fields.extend(span.clone());
        }
    }
    fields
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_logs_json_with_a_span_per_delivery_and_never_a_secret() {
    let (gh, api) = fake_github(CONFIG).await;
    let dir = tempfile::tempdir().unwrap();
    let key_path = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/test-app-key.pem");
    let secret = String::from_utf8(SECRET.to_vec()).unwrap();
    let port = free_port();
    let child = Command::new(env!("CARGO_BIN_EXE_pushgate"))
        .arg("serve")
        .env_clear()
        .env(
            "DATABASE_URL",
            format!("sqlite://{}", dir.path().join("serve.db").display()),
        )
        .env("PUSHGATE_LISTEN", format!("127.0.0.1:{port}"))
        .env("PUSHGATE_GITHUB_API", &api)
        .env("PUSHGATE_APP_ID", "1234")
        .env("PUSHGATE_PRIVATE_KEY_PATH", key_path)
        .env("PUSHGATE_WEBHOOK_SECRET", &secret)
        .env("PUSHGATE_LOG_FORMAT", "json")
        // As much as pushgate and its libraries log: a secret must not show at any level.
        .env("RUST_LOG", "debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut serving = Serving(child);
    // Read as it comes, so that a full pipe never blocks the service.
    let mut stderr = serving.0.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut logs = String::new();
        stderr.read_to_string(&mut logs).map(|_| logs)
    });
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::Client::new();

    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let ready = http.get(format!("{base}/readyz")).send().await;
        if ready.is_ok_and(|r| r.status() == 200) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "pushgate serve never became ready"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // A newcomer's pull request on a maintained file: its check fails, naming the maintainers.
    let base_sha = gh.branch_tip(REPO, "staging").unwrap();
    gh.create_branch(REPO, "topic", &base_sha);
    gh.commit(
        REPO,
        "topic",
        ("New Comer", "new@comer.example", "newcomer-gh"),
        "A change\n\nSigned-off-by: New Comer <new@comer.example>",
        &[(SHADOW, Some("int shadow = 1;\n"))],
    );
    let pr = gh.open_pr(REPO, "newcomer-gh", "topic", "staging", "A change");
    let body = serde_json::to_vec(&gh.pull_request_event(REPO, pr, "opened", None)).unwrap();
    let status = post_webhook(
        &http,
        &format!("{base}/webhook"),
        "pull_request",
        "serve-delivery-1",
        body,
        SECRET,
    )
    .await;
    assert_eq!(status, 202);
    wait_until("the acks check", || {
        gh.check_runs(REPO)
            .iter()
            .any(|c| c.name == "pushgate/acks" && c.conclusion.as_deref() == Some("failure"))
    })
    .await;
    let tokens = gh.issued_tokens();
    assert!(!tokens.is_empty(), "the service never took a token");

    // SIGTERM: the service finishes what it holds and exits 0.
    let pid = serving.0.id().to_string();
    let sent = Command::new("kill").args(["-TERM", &pid]).status().unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    let exit = loop {
        if let Some(exit) = serving.0.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "pushgate serve did not stop on SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(exit.success(), "{exit:?}");
    let logs = reader.join().unwrap().unwrap();

    let lines: Vec<Value> = logs
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(lines
        .iter()
        .any(|l| l["fields"]["message"] == "pushgate is serving"));
    let evaluated: Vec<_> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "pushgate/acks evaluated")
        .collect();
    // Every evaluation happens in the span of the delivery that caused it (the reconciler's
    // pass at start-up may evaluate the pull request too, as a delivery of its own). The
    // webhook's delivery may also have been coalesced into a later one of the same pull
    // request (the reconciler's): then that one's span carries the evaluation, and the log
    // says which it was.
    let into = lines
        .iter()
        .find(|l| {
            l["fields"]["message"] == "coalesced into a later delivery"
                && l["fields"]["id"] == "serve-delivery-1"
        })
        .map(|l| l["fields"]["into"].clone());
    let expected_id = into.clone().unwrap_or(json!("serve-delivery-1"));
    let mut ours = 0;
    for line in evaluated {
        let span = span_fields(line);
        for (field, expected) in [
            ("name", json!("delivery")),
            ("repo", json!(REPO)),
            ("pr", json!(pr)),
        ] {
            assert_eq!(
                span.get(field),
                Some(&expected),
                "span field {field}: {line}"
            );
        }
        if span.get("id") == Some(&expected_id) {
            if into.is_none() {
                assert_eq!(span.get("event"), Some(&json!("pull_request")), "{line}");
                assert_eq!(span.get("action"), Some(&json!("opened")), "{line}");
            }
            ours += 1;
        }
    }
    assert_eq!(
        ours, 1,
        "the webhook's evaluation, in its span (or the span it was coalesced into):\n{logs}"
    );

    // No secret at any level: the webhook secret, the App's private key, the installation
    // tokens, and the App's JWTs (which all begin with the base64 of `{"`).
    let key = std::fs::read_to_string(key_path).unwrap();
    let key_lines: Vec<&str> = key
        .lines()
        .filter(|l| !l.starts_with("-----") && l.len() > 20)
        .collect();
    assert!(!key_lines.is_empty());
    for (what, secret) in [("webhook secret", secret.as_str()), ("JWT", "eyJ")]
        .into_iter()
        .chain(key_lines.iter().map(|l| ("private key", *l)))
        .chain(tokens.iter().map(|t| ("installation token", t.as_str())))
    {
        assert!(!logs.contains(secret), "the logs hold the {what}");
    }
}
