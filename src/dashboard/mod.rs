//! The dashboard: server-rendered pages (`/`, `/repos/{owner}/{repo}`), their JSON twins under
//! `/api/` and one stylesheet, all read from the store. Only public repositories are shown
//! unless the request carries the read token (`PUSHGATE_DASHBOARD_TOKEN`). Every answer has an
//! `ETag` (a hash of its body) and `Cache-Control`, and a matching `If-None-Match` gets 304.

pub mod html;
pub mod view;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::github::webhook::Webhook;
use crate::server::AppState;
use crate::store::{PullInfo, StoreError};
use view::Access;

/// Where the stylesheet is served.
pub const STYLE_PATH: &str = "/static/style.css";
const STYLE: &str = include_str!("style.css");

/// The dashboard's routes, merged into the service's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(overview_page))
        .route("/api/status", get(overview_json))
        .route("/repos/{owner}/{repo}", get(repo_page))
        .route("/api/repos/{owner}/{repo}", get(repo_json))
        .route(STYLE_PATH, get(style))
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct TokenQuery {
    token: Option<String>,
}

/// Who is asking: [`Access::Everything`] with the configured token (as `Authorization:
/// Bearer` or `?token=`), public repositories otherwise. A wrong token is refused rather than
/// served as public, so that a mistyped token does not look like an empty dashboard.
fn access(state: &AppState, headers: &HeaderMap, query: &TokenQuery) -> Result<Access, WrongToken> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let Some(given) = bearer.or(query.token.as_deref()) else {
        return Ok(Access::Public);
    };
    match state.dashboard_token.as_deref() {
        Some(token)
            if !token.is_empty() && bool::from(given.as_bytes().ct_eq(token.as_bytes())) =>
        {
            Ok(Access::Everything)
        }
        _ => Err(WrongToken),
    }
}

/// The request carried a token, and not the configured one.
struct WrongToken;

impl IntoResponse for WrongToken {
    fn into_response(self) -> Response {
        refuse(StatusCode::UNAUTHORIZED, "wrong dashboard token")
    }
}

fn refuse(status: StatusCode, message: &str) -> Response {
    let mut response = (status, message.to_string()).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"pushgate dashboard\""),
        );
    }
    response
}

/// A store error is logged; the reader gets a fixed text (no database detail).
fn unavailable(e: StoreError) -> Response {
    tracing::error!(error = %e, "the dashboard could not read the store");
    refuse(StatusCode::SERVICE_UNAVAILABLE, "the store is unavailable")
}

/// The `ETag` of a body: a hash of its bytes.
pub fn etag(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// Whether `If-None-Match` names `tag` (or `*`); weak tags compare by their value.
pub fn matches(if_none_match: Option<&str>, tag: &str) -> bool {
    if_none_match.is_some_and(|list| {
        list.split(',')
            .map(|t| t.trim().trim_start_matches("W/"))
            .any(|t| t == "*" || t == tag)
    })
}

/// The answer: 304 when the client holds this body already. Pages with private repositories
/// are `private` for caches in between.
fn cached(
    headers: &HeaderMap,
    access: Access,
    content_type: &'static str,
    body: Vec<u8>,
) -> Response {
    let tag = etag(&body);
    let cache = match access {
        Access::Public => "public, no-cache",
        Access::Everything => "private, no-cache",
    };
    let if_none_match = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok());
    let mut response = if matches(if_none_match, &tag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], body).into_response()
    };
    let h = response.headers_mut();
    if let Ok(tag) = HeaderValue::from_str(&tag) {
        h.insert(header::ETAG, tag);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("authorization"));
    response
}

const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";

fn json_answer<T: serde::Serialize>(headers: &HeaderMap, access: Access, value: &T) -> Response {
    match serde_json::to_vec(value) {
        Ok(body) => cached(headers, access, JSON, body),
        Err(e) => {
            tracing::error!(error = %e, "the dashboard could not write its JSON");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "could not write the answer",
            )
        }
    }
}

async fn overview(
    state: &AppState,
    headers: &HeaderMap,
    query: &TokenQuery,
    as_json: bool,
) -> Response {
    let access = match access(state, headers, query) {
        Ok(access) => access,
        Err(wrong) => return wrong.into_response(),
    };
    let o = match view::overview(&state.store, access).await {
        Ok(o) => o,
        Err(e) => return unavailable(e),
    };
    if as_json {
        json_answer(headers, access, &o)
    } else {
        let links = html::Links::with_token(query.token.as_deref());
        cached(
            headers,
            access,
            HTML,
            html::overview(&o, &links).into_bytes(),
        )
    }
}

async fn repository(
    state: &AppState,
    headers: &HeaderMap,
    query: &TokenQuery,
    full: &str,
    as_json: bool,
) -> Response {
    let access = match access(state, headers, query) {
        Ok(access) => access,
        Err(wrong) => return wrong.into_response(),
    };
    match view::may_see(&state.store, full, access).await {
        Ok(true) => {}
        // The same answer for a private repository and an unknown one: names stay unknown.
        Ok(false) => {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "this repository is not known to be public: send the dashboard's read token",
            )
        }
        Err(e) => return unavailable(e),
    }
    let page = match view::repository(&state.store, full, state.clock.now()).await {
        Ok(page) => page,
        Err(e) => return unavailable(e),
    };
    if as_json {
        json_answer(headers, access, &page)
    } else {
        let links = html::Links::with_token(query.token.as_deref());
        cached(
            headers,
            access,
            HTML,
            html::repository(&page, &links).into_bytes(),
        )
    }
}

async fn overview_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Response {
    overview(&state, &headers, &query, false).await
}

async fn overview_json(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(query): Query<TokenQuery>,
) -> Response {
    overview(&state, &headers, &query, true).await
}

async fn repo_page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<TokenQuery>,
) -> Response {
    repository(&state, &headers, &query, &format!("{owner}/{repo}"), false).await
}

async fn repo_json(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((owner, repo)): Path<(String, String)>,
    Query(query): Query<TokenQuery>,
) -> Response {
    repository(&state, &headers, &query, &format!("{owner}/{repo}"), true).await
}

async fn style(headers: HeaderMap) -> Response {
    let mut response = cached(
        &headers,
        Access::Public,
        "text/css; charset=utf-8",
        STYLE.as_bytes().to_vec(),
    );
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    response
}

/// What a delivery's payload says for the dashboard: whether its repository is private
/// (`repository.private`), and its pull request's title, link, author and state (from a
/// `pull_request` object, or an issue that is a pull request).
pub fn described(repo: &str, payload: &Webhook) -> (Option<bool>, Option<PullInfo>) {
    let pull = match (&payload.pull_request, &payload.issue) {
        (Some(p), _) => Some((p.number, &p.title, &p.html_url, &p.user, &p.state)),
        (None, Some(i)) if i.is_pull_request() => {
            Some((i.number, &i.title, &i.html_url, &i.user, &i.state))
        }
        _ => None,
    };
    let pull = pull.and_then(|(pr, title, url, user, state)| {
        (pr > 0 && !title.is_empty() && !state.is_empty()).then(|| PullInfo {
            repo: repo.to_string(),
            pr,
            title: title.clone(),
            url: url.clone(),
            author: user
                .as_ref()
                .and_then(|u| u.login.clone())
                .unwrap_or_default(),
            state: state.clone(),
        })
    });
    (
        payload.repository.private,
        pull.filter(|_| !repo.is_empty()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_payload_describes_its_repository_and_pull_request() {
        let pr = json!({ "number": 7, "title": "x86: fix", "state": "closed",
            "html_url": "https://github.com/o/r/pull/7", "user": { "login": "nora" } });
        let want = PullInfo {
            repo: "o/r".into(),
            pr: 7,
            title: "x86: fix".into(),
            url: "https://github.com/o/r/pull/7".into(),
            author: "nora".into(),
            state: "closed".into(),
        };
        let mut as_issue = pr.clone();
        as_issue["pull_request"] = json!({ "url": "u" });
        let cases = [
            (
                json!({ "repository": { "private": true } }),
                Some(true),
                None,
            ),
            (
                json!({ "repository": { "private": false }, "pull_request": pr }),
                Some(false),
                Some(want.clone()),
            ),
            (json!({ "issue": as_issue }), None, Some(want)),
            // A plain issue is no pull request; a payload without `private` says nothing.
            (
                json!({ "issue": { "number": 3, "title": "t", "state": "open" } }),
                None,
                None,
            ),
            (json!({ "pull_request": { "number": 8 } }), None, None),
        ];
        for (payload, private, pull) in cases {
            let event = Webhook::from_json(&payload).unwrap();
            assert_eq!(described("o/r", &event), (private, pull), "{payload}");
        }
    }

    #[test]
    fn if_none_match_names_the_etag() {
        let tag = etag(b"{}");
        assert!(tag.starts_with('"') && tag.ends_with('"') && tag.len() == 34);
        assert_ne!(tag, etag(b"{ }"));
        let cases = [
            (None, false),
            (Some(tag.as_str()), true),
            (Some("\"other\""), false),
            (Some("*"), true),
        ];
        for (header, want) in cases {
            assert_eq!(matches(header, &tag), want, "{header:?}");
        }
        assert!(matches(Some(&format!("\"a\", W/{tag}")), &tag));
    }
}
