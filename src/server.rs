//! The HTTP door (axum): `POST /webhook` verifies the signature over the raw body, parses,
//! stores durably and answers 202 — it never calls GitHub. Probes, metrics and the status pages
//! read the store.
//!
//! Concurrent deliveries are written in one transaction per batch by the ingest task, so each
//! request still waits for its own commit (durable before the 202) while the database syncs
//! once for many requests.

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
use crate::metrics::Metrics;
use crate::store::{NewDelivery, Store};

/// GitHub caps webhook payloads at 25 MiB.
pub const BODY_LIMIT: usize = 25 * 1024 * 1024;

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
}

/// One delivery waiting to be written, and where to say whether it was new.
pub struct Ingest {
    pub delivery: NewDelivery,
    pub reply: oneshot::Sender<Result<bool, String>>,
}

/// Writes deliveries in batches until every sender is gone.
pub async fn run_ingest(
    store: Store,
    mut requests: mpsc::Receiver<Ingest>,
    wake: Arc<tokio::sync::Notify>,
) {
    while let Some(first) = requests.recv().await {
        let mut batch = vec![first];
        while batch.len() < 256 {
            match requests.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let deliveries: Vec<NewDelivery> = batch.iter().map(|i| i.delivery.clone()).collect();
        let now = chrono::Utc::now().timestamp_millis();
        match store.insert_deliveries(&deliveries, now).await {
            Ok(fresh) => {
                for (ingest, new) in batch.into_iter().zip(fresh) {
                    let _ = ingest.reply.send(Ok(new));
                }
                wake.notify_waiters();
            }
            Err(e) => {
                tracing::error!(error = %e, "storing deliveries failed");
                for ingest in batch {
                    let _ = ingest.reply.send(Err(e.to_string()));
                }
            }
        }
    }
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
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(state)
}

/// The fields of a webhook payload that route it; everything else is ignored here.
#[derive(serde::Deserialize)]
struct Envelope {
    action: Option<String>,
    repository: Option<EnvelopeRepository>,
    installation: Option<EnvelopeInstallation>,
}

#[derive(serde::Deserialize)]
struct EnvelopeRepository {
    full_name: Option<String>,
}

#[derive(serde::Deserialize)]
struct EnvelopeInstallation {
    id: Option<i64>,
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
    let Some(event) = header("x-github-event").filter(|e| !e.is_empty()) else {
        return reject(StatusCode::BAD_REQUEST, "missing X-GitHub-Event");
    };
    let Some(delivery_id) = header("x-github-delivery").filter(|d| !d.is_empty()) else {
        return reject(StatusCode::BAD_REQUEST, "missing X-GitHub-Delivery");
    };
    // Only the routing fields are read; the rest is checked to be JSON and kept as received.
    let head: Envelope = match serde_json::from_slice(&body) {
        Ok(head) => head,
        Err(e) => {
            state.metrics.delivery(event, "bad_json");
            return reject(
                StatusCode::BAD_REQUEST,
                &format!("payload is not a JSON object: {e}"),
            );
        }
    };
    let payload = match String::from_utf8(body.to_vec()) {
        Ok(text) => text,
        // serde_json accepted it, so it is UTF-8; this only guards the conversion.
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    };
    let delivery = NewDelivery {
        delivery_id: delivery_id.to_string(),
        event: event.to_string(),
        action: head.action.unwrap_or_default(),
        repo: head
            .repository
            .and_then(|r| r.full_name)
            .unwrap_or_default(),
        installation_id: head.installation.and_then(|i| i.id).unwrap_or(0),
        payload,
    };
    let (reply, answer) = oneshot::channel();
    if state.ingest.send(Ingest { delivery, reply }).await.is_err() {
        return reject(StatusCode::SERVICE_UNAVAILABLE, "shutting down");
    }
    match answer.await {
        Ok(Ok(true)) => {
            state.metrics.delivery(event, "stored");
            (StatusCode::ACCEPTED, Json(json!({ "stored": delivery_id }))).into_response()
        }
        Ok(Ok(false)) => {
            state.metrics.delivery(event, "duplicate");
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
        [("content-type", "text/plain; version=0.0.4")],
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
    Ok(json!({
        "queue": { "pending": depth.pending, "failed": depth.failed, "done": depth.done },
        "pull_requests": prs,
    }))
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
    let mut rows = String::new();
    for pr in value["pull_requests"].as_array().into_iter().flatten() {
        rows.push_str(&format!(
            "<tr><td>{}</td><td>#{}</td><td>{}</td><td>{}</td></tr>",
            escape(pr["repo"].as_str().unwrap_or_default()),
            pr["pr"],
            escape(pr["acks"].as_str().unwrap_or_default()),
            escape(pr["title"].as_str().unwrap_or_default()),
        ));
    }
    Html(format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>pushgate</title></head>\
         <body><h1>pushgate</h1><p>Queue: {} pending, {} failed, {} done. \
         <a href=\"/metrics\">metrics</a> · <a href=\"/api/status\">status JSON</a></p>\
         <table border=\"1\" cellpadding=\"4\"><tr><th>Repository</th><th>PR</th>\
         <th>Acks</th><th>Check</th></tr>{rows}</table></body></html>",
        value["queue"]["pending"], value["queue"]["failed"], value["queue"]["done"]
    ))
    .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
