//! The HTTP side of the fake: one dispatcher that names the route (its endpoint key), counts the
//! call, applies injected faults, checks the credentials, and answers from the world. Handlers
//! never panic on request data: anything malformed gets GitHub's 4xx JSON.
//!
//! This module holds what every endpoint shares: dispatch, `Request` and `Reply`, faults,
//! authentication, routing and paging. Each resource answers in its own module, matching its
//! own operations exhaustively: `app` (tokens, installations, the repository, permissions),
//! `pulls`, `issues` (issues, comments, labels), `checks` (check runs, statuses), `git` (refs,
//! trees, blobs, commits, merges, comparisons, contents) and `graphql`.

mod app;
mod checks;
mod git;
mod graphql;
mod issues;
mod pulls;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use percent_encoding::{percent_decode_str, utf8_percent_encode};
use serde_json::{json, Map, Value};

use super::endpoint as key;
use super::fault::{self, FaultKind};
use super::shapes;
use super::state::{Repo, World};
use super::FakeGitHub;
use app::AppOp;
use checks::CheckOp;
use git::GitOp;
use issues::IssueOp;
use pulls::PullOp;

pub(crate) use app::mint;

const DOCS: &str = "https://docs.github.com/rest";
const RATE_LIMIT: u64 = 5000;

pub(crate) fn router(fake: FakeGitHub) -> Router {
    Router::new().fallback(dispatch).with_state(fake)
}

async fn dispatch(
    State(fake): State<FakeGitHub>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let route = route(&method, uri.path());
    let endpoint = route.as_ref().map_or(key::UNKNOWN, |(k, _)| *k);
    // A test's staged change happens first, without the world's lock held.
    if let Some(hook) = fake.take_hook(endpoint) {
        hook(&fake);
    }
    let (delay, failure, request_id) = fake.with(|w| {
        *w.calls.entry(endpoint.to_string()).or_default() += 1;
        w.used += 1;
        let (delay, failure) = fault::strike(&mut w.faults, endpoint);
        (delay, failure, w.used)
    });
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let reply = match (failure, route) {
        (Some(FaultKind::LostAnswer(status)), Some((_, op))) => {
            let request = Request {
                query: parse_query(uri.query()),
                body: &body,
                link_base: String::new(),
            };
            let _ = fake.with(|w| answer(w, op, &headers, &request));
            Reply::error(status, "Server Error")
        }
        (Some(kind), _) => fault_reply(&kind),
        (None, None) => Reply::error(404, "Not Found"),
        (None, Some((_, op))) => {
            let host = headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            let request = Request {
                query: parse_query(uri.query()),
                body: &body,
                link_base: format!("http://{host}{}", uri.path()),
            };
            fake.with(|w| answer(w, op, &headers, &request))
        }
    };
    let used = fake.with(|w| w.used);
    reply.into_response(used, request_id)
}

/// One request's parts the handlers read.
struct Request<'a> {
    query: Vec<(String, String)>,
    body: &'a [u8],
    /// Scheme, host and path, for `Link` headers.
    link_base: String,
}

impl Request<'_> {
    fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Result<Value, Reply> {
        serde_json::from_slice(self.body).map_err(|_| Reply::error(400, "Problems parsing JSON"))
    }

    fn json_object(&self) -> Result<Map<String, Value>, Reply> {
        match self.json()? {
            Value::Object(map) => Ok(map),
            _ => Err(Reply::invalid("the request body must be a JSON object")),
        }
    }
}

/// An answer: status, JSON body, extra headers (which override the rate-limit defaults).
#[derive(Debug)]
pub(crate) struct Reply {
    status: u16,
    body: Value,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn ok(body: Value) -> Reply {
        Reply {
            status: 200,
            body,
            headers: vec![],
        }
    }

    fn created(body: Value) -> Reply {
        Reply {
            status: 201,
            body,
            headers: vec![],
        }
    }

    /// 204: done, nothing to say.
    fn no_content() -> Reply {
        Reply {
            status: 204,
            body: Value::Null,
            headers: vec![],
        }
    }

    fn error(status: u16, message: &str) -> Reply {
        Reply {
            status,
            body: json!({
                "message": message,
                "documentation_url": DOCS,
                "status": status.to_string(),
            }),
            headers: vec![],
        }
    }

    /// GitHub's 422 for a body that does not fit the schema.
    fn invalid(detail: &str) -> Reply {
        Reply::error(422, &format!("Invalid request.\n\n{detail}"))
    }

    /// GitHub's 422 "Validation Failed" with one error entry.
    fn validation(resource: &str, field: &str, code: &str) -> Reply {
        let mut reply = Reply::error(422, "Validation Failed");
        if let Value::Object(map) = &mut reply.body {
            map.insert(
                "errors".into(),
                json!([{"resource": resource, "code": code, "field": field}]),
            );
        }
        reply
    }

    fn with_message(mut self, message: &str) -> Reply {
        if let Value::Object(map) = &mut self.body {
            map.insert("message".into(), message.into());
        }
        self
    }

    fn header(mut self, name: &'static str, value: impl ToString) -> Reply {
        self.headers.push((name, value.to_string()));
        self
    }

    fn into_response(self, used: u64, request_id: u64) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut response = (status, Json(self.body)).into_response();
        let real_now = chrono::Utc::now().timestamp();
        let defaults = [
            ("x-ratelimit-limit", RATE_LIMIT.to_string()),
            (
                "x-ratelimit-remaining",
                RATE_LIMIT.saturating_sub(used).to_string(),
            ),
            ("x-ratelimit-used", used.min(RATE_LIMIT).to_string()),
            // The window closes at the next full hour of the client's (real) clock.
            (
                "x-ratelimit-reset",
                ((real_now / 3600 + 1) * 3600).to_string(),
            ),
            ("x-ratelimit-resource", "core".to_string()),
            ("x-github-request-id", format!("SIM:{request_id:08X}")),
            ("x-github-api-version-selected", "2022-11-28".to_string()),
        ];
        for (name, value) in defaults.into_iter().chain(self.headers) {
            if let Ok(value) = HeaderValue::from_str(&value) {
                response
                    .headers_mut()
                    .insert(HeaderName::from_static(name), value);
            }
        }
        response
    }
}

fn fault_reply(kind: &FaultKind) -> Reply {
    match kind {
        FaultKind::Status(code) if *code >= 500 => Reply::error(*code, "Server Error"),
        FaultKind::Status(code) => Reply::error(*code, "Simulated failure"),
        FaultKind::TooManyRequests { retry_after } => {
            Reply::error(429, "Too many requests").header("retry-after", retry_after)
        }
        FaultKind::RateLimited { reset } => Reply::error(
            403,
            "API rate limit exceeded for installation. If you reach out to GitHub Support for help, please include the request ID.",
        )
        .header("x-ratelimit-remaining", 0)
        .header("x-ratelimit-used", RATE_LIMIT)
        .header("x-ratelimit-reset", reset),
        FaultKind::SecondaryLimit { retry_after } => {
            let reply = Reply::error(
                403,
                "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.",
            );
            match retry_after {
                Some(secs) => reply.header("retry-after", secs),
                None => reply,
            }
        }
        FaultKind::LostAnswer(status) => Reply::error(*status, "Server Error"),
        // Delays are slept before the answer; they never answer by themselves.
        FaultKind::Delay(_) => Reply::error(500, "Server Error"),
    }
}

/// What a request asks for, by resource; the repository is `owner/name`.
#[derive(Debug)]
enum Op {
    App(AppOp),
    Pulls(String, PullOp),
    Issues(String, IssueOp),
    Checks(String, CheckOp),
    Git(String, GitOp),
    GraphQl,
}

impl Op {
    fn repo(&self) -> Option<&str> {
        match self {
            Op::App(op) => op.repo(),
            Op::GraphQl => None,
            Op::Pulls(r, _) | Op::Issues(r, _) | Op::Checks(r, _) | Op::Git(r, _) => Some(r),
        }
    }

    /// Endpoints that take the App's JWT rather than an installation token.
    fn for_app(&self) -> bool {
        matches!(self, Op::App(AppOp::MintToken(_) | AppOp::Installations))
    }
}

fn num(text: &str) -> Option<u64> {
    text.parse().ok()
}

/// Names the route. Segments are percent-decoded one by one, so `%2F` stays inside a segment
/// while multi-segment tails (contents paths, branch names) are joined back with `/`.
fn route(method: &Method, path: &str) -> Option<(&'static str, Op)> {
    let mut segments: Vec<String> = path
        .trim_start_matches('/')
        .split('/')
        .map(|s| percent_decode(s, false))
        .collect::<Option<_>>()?;
    if segments.last().is_some_and(String::is_empty) {
        segments.pop();
    }
    let s: Vec<&str> = segments.iter().map(String::as_str).collect();
    let m = method.as_str();
    let found = match (m, s.as_slice()) {
        ("POST", ["app", "installations", id, "access_tokens"]) => {
            (key::ACCESS_TOKENS, Op::App(AppOp::MintToken(num(id)?)))
        }
        ("GET", ["app", "installations"]) => (key::INSTALLATIONS, Op::App(AppOp::Installations)),
        ("POST", ["graphql"]) => (key::GRAPHQL, Op::GraphQl),
        ("GET", ["installation", "repositories"]) => {
            (key::INSTALLATION_REPOS, Op::App(AppOp::InstallationRepos))
        }
        (_, ["repos", owner, name, rest @ ..]) => {
            let r = format!("{owner}/{name}");
            match (m, rest) {
                ("GET", []) => (key::REPO, Op::App(AppOp::Repo(r))),
                ("GET", ["pulls"]) => (key::PULLS, Op::Pulls(r, PullOp::List)),
                ("GET", ["pulls", n]) => (key::PULL, Op::Pulls(r, PullOp::One(num(n)?))),
                ("PATCH", ["pulls", n]) => {
                    (key::UPDATE_PULL, Op::Pulls(r, PullOp::Update(num(n)?)))
                }
                ("GET", ["pulls", n, "files"]) => {
                    (key::PULL_FILES, Op::Pulls(r, PullOp::Files(num(n)?)))
                }
                ("GET", ["pulls", n, "reviews"]) => {
                    (key::PULL_REVIEWS, Op::Pulls(r, PullOp::Reviews(num(n)?)))
                }
                ("GET", ["pulls", n, "comments"]) => (
                    key::PULL_REVIEW_COMMENTS,
                    Op::Pulls(r, PullOp::ReviewComments(num(n)?)),
                ),
                ("GET", ["pulls", n, "requested_reviewers"]) => (
                    key::REQUESTED_REVIEWERS,
                    Op::Pulls(r, PullOp::RequestedReviewers(num(n)?)),
                ),
                ("POST", ["pulls", n, "requested_reviewers"]) => (
                    key::REQUEST_REVIEWERS,
                    Op::Pulls(r, PullOp::RequestReviewers(num(n)?)),
                ),
                ("GET", ["pulls", n, "commits"]) => {
                    (key::PULL_COMMITS, Op::Pulls(r, PullOp::Commits(num(n)?)))
                }
                ("GET", ["issues", n, "comments"]) => (
                    key::ISSUE_COMMENTS,
                    Op::Issues(r, IssueOp::Comments(num(n)?)),
                ),
                ("POST", ["issues"]) => (key::CREATE_ISSUE, Op::Issues(r, IssueOp::Create)),
                ("GET", ["issues"]) => (key::LIST_ISSUES, Op::Issues(r, IssueOp::List)),
                ("PATCH", ["issues", n]) if *n != "comments" => {
                    (key::UPDATE_ISSUE, Op::Issues(r, IssueOp::Update(num(n)?)))
                }
                ("POST", ["issues", n, "comments"]) => (
                    key::CREATE_COMMENT,
                    Op::Issues(r, IssueOp::CreateComment(num(n)?)),
                ),
                ("PATCH", ["issues", "comments", id]) => (
                    key::UPDATE_COMMENT,
                    Op::Issues(r, IssueOp::UpdateComment(num(id)?)),
                ),
                ("GET", ["contents", path @ ..]) => {
                    (key::CONTENTS, Op::Git(r, GitOp::Contents(path.join("/"))))
                }
                ("POST", ["check-runs"]) => (key::CREATE_CHECK_RUN, Op::Checks(r, CheckOp::Create)),
                ("POST", ["check-runs", id, "rerequest"]) => (
                    key::RERUN_CHECK_RUN,
                    Op::Checks(r, CheckOp::Rerequest(num(id)?)),
                ),
                ("PATCH", ["check-runs", id]) => (
                    key::UPDATE_CHECK_RUN,
                    Op::Checks(r, CheckOp::Update(num(id)?)),
                ),
                ("GET", ["commits", rev @ .., "check-runs"]) if !rev.is_empty() => (
                    key::CHECK_RUNS_FOR_REF,
                    Op::Checks(r, CheckOp::ForRef(rev.join("/"))),
                ),
                ("GET", ["commits", rev @ .., "status"]) if !rev.is_empty() => (
                    key::COMBINED_STATUS,
                    Op::Checks(r, CheckOp::CombinedStatus(rev.join("/"))),
                ),
                ("GET", ["compare", spec @ ..]) if !spec.is_empty() => {
                    (key::COMPARE, Op::Git(r, GitOp::Compare(spec.join("/"))))
                }
                ("GET", ["issues", n, "labels"]) => {
                    (key::ISSUE_LABELS, Op::Issues(r, IssueOp::Labels(num(n)?)))
                }
                ("POST", ["issues", n, "labels"]) => {
                    (key::ADD_LABELS, Op::Issues(r, IssueOp::AddLabels(num(n)?)))
                }
                ("DELETE", ["issues", n, "labels", label @ ..]) if !label.is_empty() => (
                    key::REMOVE_LABEL,
                    Op::Issues(r, IssueOp::RemoveLabel(num(n)?, label.join("/"))),
                ),
                ("GET", ["labels"]) => (key::LABELS, Op::Issues(r, IssueOp::RepoLabels)),
                ("POST", ["labels"]) => (key::CREATE_LABEL, Op::Issues(r, IssueOp::CreateLabel)),
                ("PATCH", ["labels", label @ ..]) if !label.is_empty() => (
                    key::UPDATE_LABEL,
                    Op::Issues(r, IssueOp::UpdateLabel(label.join("/"))),
                ),
                ("GET", ["collaborators", login, "permission"]) => (
                    key::PERMISSION,
                    Op::App(AppOp::Permission(r, login.to_string())),
                ),
                ("GET", ["commits"]) => (key::COMMITS, Op::Git(r, GitOp::Commits)),
                ("GET", ["git", "ref", "heads", branch @ ..]) if !branch.is_empty() => {
                    (key::GET_REF, Op::Git(r, GitOp::GetRef(branch.join("/"))))
                }
                ("POST", ["git", "refs"]) => (key::CREATE_REF, Op::Git(r, GitOp::CreateRef)),
                ("GET", ["git", "commits", sha]) => {
                    (key::GIT_COMMIT, Op::Git(r, GitOp::Commit(sha.to_string())))
                }
                ("POST", ["git", "commits"]) => {
                    (key::CREATE_GIT_COMMIT, Op::Git(r, GitOp::CreateCommit))
                }
                ("POST", ["git", "trees"]) => (key::CREATE_TREE, Op::Git(r, GitOp::CreateTree)),
                ("POST", ["merges"]) => (key::MERGE, Op::Git(r, GitOp::Merge)),
                ("GET", ["git", "trees", sha]) => {
                    (key::GIT_TREE, Op::Git(r, GitOp::Tree(sha.to_string())))
                }
                ("GET", ["git", "blobs", sha]) => {
                    (key::GIT_BLOB, Op::Git(r, GitOp::Blob(sha.to_string())))
                }
                ("PATCH", ["git", "refs", "heads", branch @ ..]) if !branch.is_empty() => (
                    key::UPDATE_REF,
                    Op::Git(r, GitOp::UpdateRef(branch.join("/"))),
                ),
                ("DELETE", ["git", "refs", "heads", branch @ ..]) if !branch.is_empty() => (
                    key::DELETE_REF,
                    Op::Git(r, GitOp::DeleteRef(branch.join("/"))),
                ),
                _ => return None,
            }
        }
        _ => return None,
    };
    Some(found)
}

/// Who is calling.
enum Caller {
    App,
    Installation(u64),
}

fn authenticate(w: &World, headers: &HeaderMap, op: &Op) -> Result<Caller, Reply> {
    let credentials = headers
        .get(header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.trim().split_once(' '))
        .map(|(scheme, value)| (scheme.to_ascii_lowercase(), value.trim()));
    let Some((scheme, value)) = credentials else {
        return Err(Reply::error(401, "Requires authentication"));
    };
    if op.for_app() {
        let parts: Vec<&str> = value.split('.').collect();
        let jwt_like =
            scheme == "bearer" && parts.len() == 3 && parts.iter().all(|p| !p.is_empty());
        return if jwt_like {
            Ok(Caller::App)
        } else {
            Err(Reply::error(401, "A JSON web token could not be decoded"))
        };
    }
    if scheme != "bearer" && scheme != "token" {
        return Err(Reply::error(401, "Bad credentials"));
    }
    match w.tokens.get(value) {
        Some(token) => Ok(Caller::Installation(token.installation)),
        None => Err(Reply::error(401, "Bad credentials")),
    }
}

fn answer(w: &mut World, op: Op, headers: &HeaderMap, req: &Request) -> Reply {
    let caller = match authenticate(w, headers, &op) {
        Ok(caller) => caller,
        Err(reply) => return reply,
    };
    if let Some(name) = op.repo() {
        // An installation sees only its own repositories; others do not exist for it.
        let visible = match (&caller, w.repo(name)) {
            (Caller::Installation(id), Some(repo)) => repo.installation == *id,
            _ => false,
        };
        if !visible {
            return Reply::error(404, "Not Found");
        }
    }
    handle(w, op, &caller, req).unwrap_or_else(|reply| reply)
}

fn not_found() -> Reply {
    Reply::error(404, "Not Found")
}

fn repo<'w>(w: &'w World, name: &str) -> Result<&'w Repo, Reply> {
    w.repo(name).ok_or_else(not_found)
}

fn repo_mut<'w>(w: &'w mut World, name: &str) -> Result<&'w mut Repo, Reply> {
    w.repo_mut(name).ok_or_else(not_found)
}

/// Hands the request to its resource.
fn handle(w: &mut World, op: Op, caller: &Caller, req: &Request) -> Result<Reply, Reply> {
    match op {
        Op::App(op) => app::handle(w, op, caller, req),
        Op::Pulls(name, op) => pulls::handle(w, &name, op, req),
        Op::Issues(name, op) => issues::handle(w, &name, op, req),
        Op::Checks(name, op) => checks::handle(w, &name, op, req),
        Op::Git(name, op) => git::handle(w, &name, op, req),
        Op::GraphQl => graphql::handle(w, caller, &req.json_object()?),
    }
}

/// A string field: absent or null → `None`; any other type → 422.
fn string_field(body: &Map<String, Value>, name: &str) -> Result<Option<String>, Reply> {
    match body.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(other) => Err(Reply::invalid(&format!(
            "For 'properties/{name}', {other} is not a string."
        ))),
    }
}

/// `page` (from 1) and `per_page` (default 30, at most 100), as GitHub reads them.
fn page(req: &Request, all: Vec<Value>) -> (Vec<Value>, Option<String>) {
    let per_page = req
        .param("per_page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(30)
        .clamp(1, 100);
    let page = req
        .param("page")
        .and_then(|p| p.parse::<usize>().ok())
        .unwrap_or(1)
        .max(1);
    let last = all.len().div_ceil(per_page).max(1);
    let items: Vec<Value> = all
        .into_iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .collect();
    let link_to = |n: usize, rel: &str| {
        let mut query: Vec<String> = req
            .query
            .iter()
            .filter(|(k, _)| k != "page")
            .map(|(k, v)| format!("{}={}", encode_component(k), encode_component(v)))
            .collect();
        query.push(format!("page={n}"));
        format!("<{}?{}>; rel=\"{rel}\"", req.link_base, query.join("&"))
    };
    let mut links = Vec::new();
    if page > 1 {
        links.push(link_to(page - 1, "prev"));
        links.push(link_to(1, "first"));
    }
    if page < last {
        links.push(link_to(page + 1, "next"));
        links.push(link_to(last, "last"));
    }
    (items, (!links.is_empty()).then(|| links.join(", ")))
}

fn paged(req: &Request, all: Vec<Value>) -> Reply {
    let (items, link) = page(req, all);
    with_link(Reply::ok(Value::Array(items)), link)
}

fn with_link(reply: Reply, link: Option<String>) -> Reply {
    match link {
        Some(link) => reply.header("link", link),
        None => reply,
    }
}

fn parse_query(query: Option<&str>) -> Vec<(String, String)> {
    query
        .unwrap_or_default()
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let decode = |s: &str| percent_decode(s, true).unwrap_or_else(|| s.to_string());
            (decode(k), decode(v))
        })
        .collect()
}

/// `%XX` decoding (and `+` as space in query strings); `None` on a malformed escape, which
/// GitHub answers with an error (the crate would keep it as text), or bytes that are not UTF-8.
pub(crate) fn percent_decode(text: &str, plus_is_space: bool) -> Option<String> {
    let well_formed = text.split('%').skip(1).all(|after| {
        after
            .as_bytes()
            .get(..2)
            .is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit))
    });
    if !well_formed {
        return None;
    }
    let text = if plus_is_space {
        text.replace('+', " ")
    } else {
        text.to_string()
    };
    percent_decode_str(&text)
        .decode_utf8()
        .ok()
        .map(String::from)
}

fn encode_component(text: &str) -> String {
    utf8_percent_encode(text, shapes::COMPONENT).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_name_their_endpoint() {
        let cases = [
            ("GET", "/repos/o/r/pulls", Some(key::PULLS)),
            ("GET", "/repos/o/r/pulls/7", Some(key::PULL)),
            ("GET", "/repos/o/r/pulls/x", None),
            (
                "GET",
                "/repos/o/r/contents/.github/pushgate.toml",
                Some(key::CONTENTS),
            ),
            ("GET", "/repos/o/r/contents/", Some(key::CONTENTS)),
            (
                "DELETE",
                "/repos/o/r/issues/3/labels/acks%3A%20missing",
                Some(key::REMOVE_LABEL),
            ),
            (
                "GET",
                "/repos/o/r/compare/main...feature/x",
                Some(key::COMPARE),
            ),
            (
                "GET",
                "/repos/o/r/commits/main/check-runs",
                Some(key::CHECK_RUNS_FOR_REF),
            ),
            (
                "GET",
                "/repos/o/r/git/ref/heads/release/4.19",
                Some(key::GET_REF),
            ),
            (
                "PATCH",
                "/repos/o/r/git/refs/heads/master",
                Some(key::UPDATE_REF),
            ),
            (
                "POST",
                "/app/installations/12/access_tokens",
                Some(key::ACCESS_TOKENS),
            ),
            ("PATCH", "/repos/o/r/pulls/7", Some(key::UPDATE_PULL)),
            (
                "GET",
                "/repos/o/r/git/commits/0123456789abcdef0123456789abcdef01234567",
                Some(key::GIT_COMMIT),
            ),
            (
                "POST",
                "/repos/o/r/git/commits",
                Some(key::CREATE_GIT_COMMIT),
            ),
            ("POST", "/repos/o/r/git/trees", Some(key::CREATE_TREE)),
            ("PUT", "/repos/o/r/pulls/1/merge", None),
        ];
        for (method, path, expected) in cases {
            let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
            let got = route(&method, path).map(|(k, _)| k);
            assert_eq!(got, expected, "{method} {path}");
        }
    }

    #[test]
    fn label_names_are_decoded_from_the_path() {
        let found = route(
            &Method::DELETE,
            "/repos/o/r/issues/3/labels/acks%3A%20missing",
        );
        match found {
            Some((_, Op::Issues(repo, IssueOp::RemoveLabel(3, label)))) => {
                assert_eq!(repo, "o/r");
                assert_eq!(label, "acks: missing");
            }
            other => panic!("unexpected route {other:?}"),
        }
    }

    #[test]
    fn percent_decoding_rejects_broken_escapes() {
        assert_eq!(percent_decode("a%20b", false).as_deref(), Some("a b"));
        assert_eq!(percent_decode("a+b", true).as_deref(), Some("a b"));
        assert_eq!(percent_decode("a+b", false).as_deref(), Some("a+b"));
        assert_eq!(percent_decode("%2", false), None);
        assert_eq!(percent_decode("%+1", false), None);
        assert_eq!(percent_decode("%FF", false), None);
    }

    /// The table of endpoints in the fake's module documentation lists every key.
    #[test]
    fn every_endpoint_key_has_a_row_in_the_documented_table() {
        let doc = include_str!("../mod.rs");
        let keys: Vec<&str> = doc
            .lines()
            .filter_map(|line| line.trim().strip_prefix("pub const "))
            .filter_map(|line| line.split_once("&str = \""))
            .map(|(_, value)| value.trim_end_matches("\";"))
            .collect();
        assert!(keys.contains(&key::PULLS) && keys.contains(&key::UNKNOWN));
        let missing: Vec<&&str> = keys
            .iter()
            .filter(|k| !doc.contains(&format!("//! | `{k}` |")))
            .collect();
        assert!(missing.is_empty(), "keys without a row: {missing:?}");
    }
}
