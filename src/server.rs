//! The HTTP door (axum): `POST /webhook` verifies the signature over the raw body, parses,
//! hands the delivery to the ingest writer ([`crate::ingest`]), waits for its commit and
//! answers 202 — it never calls GitHub. Probes, metrics and the status pages read the store.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tokio::sync::{mpsc, oneshot};

use crate::github::signature;
use crate::metrics::Metrics;
use crate::store::{NewDelivery, Payload, Store, Write};

/// GitHub caps webhook payloads at 25 MiB.
pub const BODY_LIMIT: usize = crate::store::PAYLOAD_LIMIT;

/// Shared by the handlers.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub secret: Arc<Vec<u8>>,
    pub metrics: Arc<Metrics>,
    pub ingest: mpsc::Sender<Write>,
    pub shutting_down: Arc<AtomicBool>,
    /// Wakes the workers when a delivery arrives.
    pub wake: Arc<tokio::sync::Notify>,
    /// How many worker tasks the service runs (0: it only stores deliveries).
    pub workers: usize,
    /// The dashboard's read token: with it, private repositories are shown too.
    pub dashboard_token: Option<Arc<str>>,
    /// The service's clock: what the dashboard may show depends on the time (advisories).
    pub clock: Arc<crate::handlers::Clock>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/webhook", post(webhook))
        .route("/livez", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .merge(crate::dashboard::routes())
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
    if state
        .ingest
        .send(Write::Deliver { delivery, reply })
        .await
        .is_err()
    {
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
        // The database's words (host names, users) stay in the log.
        Err(e) => {
            tracing::error!(error = %e, "readiness: the store does not answer");
            reject(StatusCode::SERVICE_UNAVAILABLE, "the store is unavailable")
        }
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
            dashboard_token: None,
            clock: Arc::default(),
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
            dashboard_token: None,
            clock: Arc::default(),
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
