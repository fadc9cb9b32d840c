//! The HTTP door (axum): `POST /webhook` verifies the signature over the raw body, parses,
//! hands the delivery to the ingest writer ([`crate::ingest`]), waits for its commit and
//! answers 202 — it never calls GitHub. Probes, metrics and the status pages read the store.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot};

use crate::github::signature;
use crate::ingest::Ingest;
use crate::metrics::Metrics;
use crate::store::{NewDelivery, Payload, Store};

/// GitHub caps webhook payloads at 25 MiB.
pub const BODY_LIMIT: usize = crate::store::PAYLOAD_LIMIT;

/// Shared by the handlers.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub secret: Arc<Vec<u8>>,
    pub metrics: Arc<Metrics>,
    pub ingest: mpsc::Sender<Ingest>,
    pub shutting_down: Arc<AtomicBool>,
    /// Wakes the workers when a delivery arrives.
    pub wake: Arc<tokio::sync::Notify>,
    /// How many worker tasks the service runs (0: it only stores deliveries).
    pub workers: usize,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/webhook", post(webhook))
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/api/status", get(status))
        .route("/api/repos/{owner}/{repo}", get(repo_status))
        .route("/", get(dashboard))
        .route("/repos/{owner}/{repo}", get(repo_dashboard))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// The fields of a webhook payload that route it; everything else is ignored here.
#[derive(serde::Deserialize)]
struct Envelope {
    action: Option<String>,
    repository: Option<EnvelopeRepository>,
    installation: Option<EnvelopeInstallation>,
    // What decides the delivery's lane (`worker::lane`).
    number: Option<i64>,
    pull_request: Option<EnvelopeNumbered>,
    issue: Option<EnvelopeIssue>,
    comment: Option<EnvelopeComment>,
}

#[derive(serde::Deserialize)]
struct EnvelopeNumbered {
    number: Option<i64>,
}

#[derive(serde::Deserialize)]
struct EnvelopeIssue {
    number: Option<i64>,
    pull_request: Option<serde::de::IgnoredAny>,
}

#[derive(serde::Deserialize)]
struct EnvelopeComment {
    body: Option<String>,
}

impl Envelope {
    /// The pull request the delivery is about, if any (a comment on an issue is about none).
    fn pull(&self) -> Option<i64> {
        let issue = self.issue.as_ref();
        self.pull_request
            .as_ref()
            .and_then(|p| p.number)
            .or_else(|| {
                issue
                    .filter(|i| i.pull_request.is_some())
                    .and_then(|i| i.number)
            })
            .or(self.number.filter(|_| issue.is_none()))
    }
}

#[derive(serde::Deserialize)]
struct EnvelopeRepository {
    full_name: Option<String>,
}

#[derive(serde::Deserialize)]
struct EnvelopeInstallation {
    id: Option<i64>,
}

/// Why a signed webhook request is refused before it is stored (a 400).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("missing X-GitHub-Event")]
    NoEvent,
    #[error("missing X-GitHub-Delivery")]
    NoDeliveryId,
    #[error("payload is not a JSON object: {reason}")]
    NotJson { event: String, reason: String },
}

/// Reads a signed request's headers and body into the delivery to store: the routing fields
/// of the envelope, and the body packed as received. Pure, so the fuzz targets run it on any
/// bytes; the signature has been checked before this is called.
pub fn read_delivery(
    event: Option<&str>,
    delivery_id: Option<&str>,
    body: &[u8],
) -> Result<NewDelivery, Refusal> {
    let event = event.filter(|e| !e.is_empty()).ok_or(Refusal::NoEvent)?;
    let delivery_id = delivery_id
        .filter(|d| !d.is_empty())
        .ok_or(Refusal::NoDeliveryId)?;
    // Only the routing fields are read; the rest is checked to be JSON and kept as received.
    let head: Envelope = serde_json::from_slice(body).map_err(|e| Refusal::NotJson {
        event: event.to_string(),
        reason: e.to_string(),
    })?;
    let action = head.action.clone().unwrap_or_default();
    let repo = head
        .repository
        .as_ref()
        .and_then(|r| r.full_name.clone())
        .unwrap_or_default();
    let merge_command = event == "issue_comment"
        && action == "created"
        && head
            .comment
            .as_ref()
            .and_then(|c| c.body.as_deref())
            .is_some_and(|body| {
                crate::handlers::merge::asks_for_merge(body) || crate::handlers::embargo::asks(body)
            });
    Ok(NewDelivery {
        delivery_id: delivery_id.to_string(),
        event: event.to_string(),
        lane: crate::worker::lane(event, &action, &repo, head.pull(), merge_command),
        action,
        repo,
        installation_id: head.installation.and_then(|i| i.id).unwrap_or(0),
        // Stored packed, as received. serde_json checks the UTF-8 of the fields it reads, not
        // of the strings it skips, so a claim reads the text back lossily.
        payload: Payload::pack(body),
    })
}

fn reject(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

async fn webhook(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    // The signature is checked before the body is looked at in any other way.
    if !signature::verify(&state.secret, &body, header("x-hub-signature-256")) {
        state.metrics.delivery("unknown", "bad_signature");
        return reject(
            StatusCode::UNAUTHORIZED,
            "missing or bad X-Hub-Signature-256",
        );
    }
    let delivery = match read_delivery(header("x-github-event"), header("x-github-delivery"), &body)
    {
        Ok(delivery) => delivery,
        Err(refusal) => {
            if let Refusal::NotJson { event, .. } = &refusal {
                state.metrics.delivery(event, "bad_json");
            }
            return reject(StatusCode::BAD_REQUEST, &refusal.to_string());
        }
    };
    let (event, delivery_id) = (delivery.event.clone(), delivery.delivery_id.clone());
    let (reply, answer) = oneshot::channel();
    if state.ingest.send(Ingest { delivery, reply }).await.is_err() {
        return reject(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    match answer.await {
        Ok(Ok(true)) => {
            state.metrics.delivery(&event, "stored");
            (StatusCode::ACCEPTED, Json(json!({ "stored": delivery_id }))).into_response()
        }
        Ok(Ok(false)) => {
            state.metrics.delivery(&event, "duplicate");
            (
                StatusCode::ACCEPTED,
                Json(json!({ "duplicate": delivery_id })),
            )
                .into_response()
        }
        // Not stored: a 5xx makes GitHub's delivery log show it, so it can be redelivered.
        Ok(Err(_)) | Err(_) => reject(
            StatusCode::SERVICE_UNAVAILABLE,
            "could not store the delivery",
        ),
    }
}

async fn readyz(State(state): State<AppState>) -> Response {
    if state.shutting_down.load(Ordering::SeqCst) {
        return reject(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    if state.ingest.is_closed() {
        return reject(
            StatusCode::SERVICE_UNAVAILABLE,
            "the ingest writer has stopped",
        );
    }
    // Deliveries would pile up unprocessed: workers are restarted after a panic, and this
    // says when none is running (all of them failing at once, or waiting to restart).
    if state.workers > 0 && state.metrics.workers_running.get() <= 0 {
        return reject(StatusCode::SERVICE_UNAVAILABLE, "no worker is running");
    }
    match state.store.ready().await {
        Ok(()) => "ready".into_response(),
        Err(e) => reject(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()),
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    if let Ok(depth) = state.store.depth().await {
        state.metrics.queue_pending.set(depth.pending);
        state.metrics.queue_failed.set(depth.failed);
    }
    (
        [(
            "content-type",
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

async fn status_json(state: &AppState, repo: Option<&str>) -> Result<Value, Response> {
    let depth = state
        .store
        .depth()
        .await
        .map_err(|e| reject(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()))?;
    let evaluations = state
        .store
        .evaluations(repo)
        .await
        .map_err(|e| reject(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()))?;
    let prs: Vec<Value> = evaluations
        .iter()
        .map(|e| {
            json!({
                "repo": e.repo,
                "pr": e.pr,
                "head_sha": e.head_sha,
                "acks": if e.satisfied { "complete" } else { "missing" },
                "title": e.summary.lines().next().unwrap_or_default(),
                "evaluated_at": e.at,
            })
        })
        .collect();
    let failures: Vec<Value> = state
        .store
        .recent_failures(20)
        .await
        .map_err(|e| reject(StatusCode::SERVICE_UNAVAILABLE, &e.to_string()))?
        .iter()
        .filter(|f| repo.is_none_or(|r| r == f.repo))
        .map(|f| {
            json!({
                "delivery": f.delivery_id,
                "event": f.event,
                "repo": f.repo,
                "failed_at": f.at,
                "error": f.error,
            })
        })
        .collect();
    let mut value = json!({
        "queue": { "pending": depth.pending, "failed": depth.failed },
        "pull_requests": prs,
        "failures": failures,
    });
    if let Some(repo) = repo {
        let unavailable =
            |e: crate::store::StoreError| reject(StatusCode::SERVICE_UNAVAILABLE, &e.to_string());
        let gate = state.store.gate(repo).await.map_err(unavailable)?;
        value["gate"] = gate
            .and_then(|text| serde_json::from_str::<crate::core::gate::Gate>(&text).ok())
            .map_or(Value::Null, |g| {
                json!({
                    "master": g.master,
                    "ahead": g.ahead,
                    "blocked": g.block.is_some(),
                    "dashboard": g.dashboard_text,
                })
            });
        for kind in ["support", "release"] {
            let view = state.store.view(repo, kind).await.map_err(unavailable)?;
            value[kind] = view
                .and_then(|(body, at)| {
                    let mut v: Value = serde_json::from_str(&body).ok()?;
                    v["updated_at"] = json!(at);
                    Some(v)
                })
                .unwrap_or(Value::Null);
        }
    }
    Ok(value)
}

async fn status(State(state): State<AppState>) -> Response {
    match status_json(&state, None).await {
        Ok(value) => Json(value).into_response(),
        Err(response) => response,
    }
}

async fn repo_status(
    State(state): State<AppState>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let full = format!("{owner}/{repo}");
    match status_json(&state, Some(&full)).await {
        Ok(value) => Json(value).into_response(),
        Err(response) => response,
    }
}

async fn dashboard(State(state): State<AppState>) -> Response {
    let value = match status_json(&state, None).await {
        Ok(value) => value,
        Err(response) => return response,
    };
    Html(page(
        "pushgate",
        &format!(
            "<h1>pushgate</h1><p>Queue: {} pending, {} failed. \
             <a href=\"/metrics\">metrics</a> · <a href=\"/api/status\">status JSON</a></p>{}{}",
            value["queue"]["pending"],
            value["queue"]["failed"],
            pull_request_table(&value, true),
            failures_table(&value),
        ),
    ))
    .into_response()
}

/// One repository: the push gate's dashboard, its pull requests, its support matrix and what
/// holds its release.
async fn repo_dashboard(
    State(state): State<AppState>,
    Path((owner, repo)): Path<(String, String)>,
) -> Response {
    let full = format!("{owner}/{repo}");
    let value = match status_json(&state, Some(&full)).await {
        Ok(value) => value,
        Err(response) => return response,
    };
    let gate = match value["gate"]["dashboard"].as_str() {
        Some(text) if !text.is_empty() => format!("<pre>{}</pre>", escape(text)),
        _ => "<p>No push gate state yet.</p>".to_string(),
    };
    let support = match value.get("support").filter(|v| !v.is_null()) {
        Some(view) => support_html(view),
        None => "<p>No SUPPORT.md read yet (it is read on pushes that change it).</p>".to_string(),
    };
    let release = match value.get("release").filter(|v| !v.is_null()) {
        Some(view) => release_html(view),
        None => "<p>No release check run yet.</p>".to_string(),
    };
    Html(page(
        &full,
        &format!(
            "<h1>{name}</h1><p><a href=\"/\">all repositories</a> · \
             <a href=\"/api/repos/{name}\">JSON</a></p>\
             <h2>Push gate</h2>{gate}<h2>Pull requests</h2>{prs}\
             <h2>Release</h2>{release}<h2>Support matrix</h2>{support}",
            name = escape(&full),
            prs = pull_request_table(&value, false),
        ),
    ))
    .into_response()
}

/// The deliveries that failed for good, newest first (none: nothing is shown).
fn failures_table(value: &Value) -> String {
    let Some(failures) = value["failures"].as_array().filter(|f| !f.is_empty()) else {
        return String::new();
    };
    let rows: String = failures
        .iter()
        .map(|f| {
            format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(text_of(f, "delivery")),
                escape(text_of(f, "event")),
                escape(text_of(f, "repo")),
                escape(text_of(f, "error")),
            )
        })
        .collect();
    format!(
        "<h2>Failed deliveries</h2><table border=\"1\" cellpadding=\"4\"><tr><th>Delivery</th>\
         <th>Event</th><th>Repository</th><th>Why</th></tr>{rows}</table>"
    )
}

fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>{}</title></head>\
         <body>{body}</body></html>",
        escape(title)
    )
}

fn text_of<'a>(value: &'a Value, key: &str) -> &'a str {
    value[key].as_str().unwrap_or_default()
}

fn pull_request_table(value: &Value, with_repo: bool) -> String {
    let mut rows = String::new();
    for pr in value["pull_requests"].as_array().into_iter().flatten() {
        let repo = text_of(pr, "repo");
        let first = if with_repo {
            format!("<td><a href=\"/repos/{0}\">{0}</a></td>", escape(repo))
        } else {
            String::new()
        };
        rows.push_str(&format!(
            "<tr>{first}<td>#{}</td><td>{}</td><td>{}</td></tr>",
            pr["pr"],
            escape(text_of(pr, "acks")),
            escape(text_of(pr, "title")),
        ));
    }
    let head = if with_repo { "<th>Repository</th>" } else { "" };
    format!(
        "<table border=\"1\" cellpadding=\"4\"><tr>{head}<th>PR</th><th>Acks</th>\
         <th>Check</th></tr>{rows}</table>"
    )
}

fn support_html(view: &Value) -> String {
    let counts: String = view["counts"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["lines"].as_u64().unwrap_or(0) > 0)
        .map(|c| format!("{} {}", c["lines"], escape(text_of(c, "status"))))
        .collect::<Vec<_>>()
        .join(", ");
    let mut rows = String::new();
    for feature in view["features"].as_array().into_iter().flatten() {
        let statuses = feature["statuses"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|s| match s["qualifier"].as_str() {
                Some(q) => format!("{}: {}", escape(q), escape(text_of(s, "text"))),
                None => escape(text_of(s, "text")),
            })
            .collect::<Vec<_>>()
            .join("<br>");
        rows.push_str(&format!(
            "<tr><td>{}</td><td>{}</td><td>{statuses}</td></tr>",
            escape(text_of(feature, "category")),
            escape(text_of(feature, "name")),
        ));
    }
    let unparsed: String = view["unparsed"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|u| {
            format!(
                "<li>line {}: <code>{}</code></li>",
                u["line"],
                escape(text_of(u, "text"))
            )
        })
        .collect();
    let unparsed = if unparsed.is_empty() {
        String::new()
    } else {
        format!("<p>Lines that cannot be read (labels were left alone):</p><ul>{unparsed}</ul>")
    };
    format!(
        "<p>{} at <code>{}</code>: {counts}.</p>{unparsed}<table border=\"1\" cellpadding=\"4\">\
         <tr><th>Category</th><th>Feature</th><th>Status</th></tr>{rows}</table>",
        escape(text_of(view, "file")),
        escape(crate::core::text::short(text_of(view, "sha"))),
    )
}

fn release_html(view: &Value) -> String {
    if let Some(failed) = view["failed"].as_str() {
        return format!(
            "<p>pushgate could not answer for the release, which is held: {}</p>",
            escape(failed)
        );
    }
    let blockers = view["blockers"].as_array().cloned().unwrap_or_default();
    if blockers.is_empty() {
        return "<p>Nothing holds the release.</p>".to_string();
    }
    let rows: String = blockers
        .iter()
        .map(|b| {
            format!(
                "<tr><td>#{}</td><td>{}</td><td>{}</td></tr>",
                b["number"],
                escape(text_of(b, "title")),
                escape(text_of(b, "reason")),
            )
        })
        .collect();
    format!(
        "<p>The release is held by {} open issue(s):</p><table border=\"1\" cellpadding=\"4\">\
         <tr><th>Issue</th><th>Title</th><th>Why</th></tr>{rows}</table>",
        blockers.len()
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_names_the_pull_request_a_delivery_is_about() {
        let cases = [
            (
                json!({ "number": 3, "pull_request": { "number": 3 } }),
                Some(3),
            ),
            (
                json!({ "pull_request": { "number": 4 }, "review": {} }),
                Some(4),
            ),
            (
                json!({ "issue": { "number": 5, "pull_request": { "url": "u" } } }),
                Some(5),
            ),
            // A comment on a plain issue (the gate's dashboard) is about no pull request.
            (json!({ "issue": { "number": 6 } }), None),
            (
                json!({ "issue": { "number": 6, "pull_request": null } }),
                None,
            ),
            (json!({ "ref": "refs/heads/staging" }), None),
        ];
        for (payload, pull) in cases {
            let envelope: Envelope = serde_json::from_value(payload.clone()).unwrap();
            assert_eq!(envelope.pull(), pull, "{payload}");
        }
    }

    /// Found by tests/fuzz.rs: serde_json accepts a body whose skipped strings hold bytes that
    /// are not UTF-8. The delivery is stored as received and a claim reads it back lossily.
    #[test]
    fn a_body_is_stored_as_received_and_read_back() {
        let body = b"{\"action\":\"opened\",\"x\":\"\xff\",\"repository\":{\"full_name\":\"o/r\"}}";
        let delivery = read_delivery(Some("pull_request"), Some("d"), body).unwrap();
        assert_eq!((&*delivery.action, &*delivery.repo), ("opened", "o/r"));
        assert_eq!(
            delivery.payload.text(),
            Ok(String::from_utf8_lossy(body).into_owned())
        );
        assert_eq!(
            read_delivery(None, Some("d"), body).unwrap_err(),
            Refusal::NoEvent
        );
        assert_eq!(
            read_delivery(Some("push"), Some(""), body).unwrap_err(),
            Refusal::NoDeliveryId
        );
        assert!(matches!(
            read_delivery(Some("push"), Some("d"), b"[").unwrap_err(),
            Refusal::NotJson { .. }
        ));
    }

    /// Commands that move staging or hold a merge (`/pushgate merge`, `/pushgate embargo`) go
    /// in the repository's lane, in order with each other; other comments in the pull
    /// request's.
    #[test]
    fn merge_and_embargo_commands_go_in_the_repositorys_lane() {
        for (body, lane) in [
            ("/pushgate merge", "o/r"),
            ("/pushgate embargo 2030-01-01", "o/r"),
            ("please\n/pushgate embargo lift", "o/r"),
            ("/ack", "o/r#3"),
        ] {
            let payload = json!({
                "action": "created",
                "repository": { "full_name": "o/r" },
                "issue": { "number": 3, "pull_request": {} },
                "comment": { "body": body },
            });
            let delivery = read_delivery(
                Some("issue_comment"),
                Some("d"),
                payload.to_string().as_bytes(),
            )
            .unwrap();
            assert_eq!(delivery.lane, lane, "{body}");
        }
    }

    /// `/readyz` answers for the whole door: a store that answers is not enough when the
    /// ingest writer, which every webhook waits on, has stopped.
    #[tokio::test]
    async fn readyz_is_503_once_the_ingest_writer_has_stopped() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("door.db").display());
        let store = Store::connect(&url).await.unwrap();
        let (ingest, requests) = mpsc::channel(8);
        let state = AppState {
            store,
            secret: Arc::new(b"secret".to_vec()),
            metrics: Arc::new(Metrics::new()),
            ingest,
            shutting_down: Arc::new(AtomicBool::new(false)),
            wake: Arc::new(tokio::sync::Notify::new()),
            workers: 0,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router(state)).await });
        let readyz = || async move {
            reqwest::get(format!("http://{addr}/readyz"))
                .await
                .unwrap()
                .status()
                .as_u16()
        };
        assert_eq!(readyz().await, 200);
        // The writer ends: its end of the channel goes away.
        drop(requests);
        assert_eq!(readyz().await, 503);
    }

    /// `/readyz` says when the service stores deliveries but no worker runs to process them.
    #[tokio::test]
    async fn readyz_is_503_while_no_worker_is_running() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("door.db").display());
        let store = Store::connect(&url).await.unwrap();
        let (ingest, _requests) = mpsc::channel(8);
        let metrics = Arc::new(Metrics::new());
        let state = AppState {
            store,
            secret: Arc::new(b"secret".to_vec()),
            metrics: metrics.clone(),
            ingest,
            shutting_down: Arc::new(AtomicBool::new(false)),
            wake: Arc::new(tokio::sync::Notify::new()),
            workers: 2,
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router(state)).await });
        let readyz = || async move {
            reqwest::get(format!("http://{addr}/readyz"))
                .await
                .unwrap()
                .status()
                .as_u16()
        };
        metrics.workers_running.set(1);
        assert_eq!(readyz().await, 200);
        metrics.workers_running.set(0);
        assert_eq!(readyz().await, 503);
    }
}
