//! The HTTP side of the fake: one dispatcher that names the route (its endpoint key), counts the
//! call, applies injected faults, checks the credentials, and answers from the world. Handlers
//! never panic on request data: anything malformed gets GitHub's 4xx JSON.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use percent_encoding::{percent_decode_str, utf8_percent_encode};
use serde_json::{json, Map, Value};

use super::endpoint as key;
use super::fault::{self, FaultKind};
use super::shapes::{self, BOT_LOGIN};
use super::state::Merged;
use super::state::{
    blob_sha, digest40, Author, CheckRun, Comment, Issue, Label, NewCommit, Output, Repo, Token,
    World,
};
use super::FakeGitHub;

const DOCS: &str = "https://docs.github.com/rest";
const RATE_LIMIT: u64 = 5000;
/// GitHub's limit on a check run's `output.summary` and `output.text` (SPEC §9).
const MAX_OUTPUT_CHARS: usize = 65_535;
const MAX_ANNOTATIONS: usize = 50;
/// GitHub's truncation of long lists, which it does without an error: a pull request's
/// files (3,000), its commits (250), and a comparison's commits (250) and files (300).
const LIST_LIMIT_PULL_FILES: usize = 3000;
const LIST_LIMIT_COMMITS: usize = 250;
const LIST_LIMIT_COMPARE_COMMITS: usize = 250;
const LIST_LIMIT_COMPARE_FILES: usize = 300;

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

/// What a request asks for; the repository is `owner/name`.
#[derive(Debug)]
enum Op {
    MintToken(u64),
    Installations,
    InstallationRepos,
    Repo(String),
    Pulls(String),
    Pull(String, u64),
    PullFiles(String, u64),
    PullReviews(String, u64),
    PullCommits(String, u64),
    IssueComments(String, u64),
    CreateComment(String, u64),
    UpdateComment(String, u64),
    Contents(String, String),
    CreateCheckRun(String),
    UpdateCheckRun(String, u64),
    CheckRunsForRef(String, String),
    CombinedStatus(String, String),
    Compare(String, String),
    IssueLabels(String, u64),
    AddLabels(String, u64),
    RemoveLabel(String, u64, String),
    Labels(String),
    CreateLabel(String),
    RerequestCheckRun(String, u64),
    UpdateLabel(String, String),
    Permission(String, String),
    Commits(String),
    GetRef(String, String),
    CreateRef(String),
    UpdateRef(String, String),
    DeleteRef(String, String),
    CreateIssue(String),
    ListIssues(String),
    UpdateIssue(String, u64),
    UpdatePull(String, u64),
    GitCommit(String, String),
    CreateGitCommit(String),
    CreateTree(String),
    Merge(String),
    GraphQl,
    GetTree(String, String),
    GetBlob(String, String),
    PullReviewComments(String, u64),
    RequestedReviewers(String, u64),
    RequestReviewers(String, u64),
}

impl Op {
    fn repo(&self) -> Option<&str> {
        match self {
            Op::MintToken(_) | Op::Installations | Op::InstallationRepos | Op::GraphQl => None,
            Op::Repo(r)
            | Op::Pulls(r)
            | Op::Pull(r, _)
            | Op::PullFiles(r, _)
            | Op::PullReviews(r, _)
            | Op::PullCommits(r, _)
            | Op::IssueComments(r, _)
            | Op::CreateComment(r, _)
            | Op::UpdateComment(r, _)
            | Op::Contents(r, _)
            | Op::CreateCheckRun(r)
            | Op::RerequestCheckRun(r, _)
            | Op::UpdateCheckRun(r, _)
            | Op::CheckRunsForRef(r, _)
            | Op::CombinedStatus(r, _)
            | Op::Compare(r, _)
            | Op::IssueLabels(r, _)
            | Op::AddLabels(r, _)
            | Op::RemoveLabel(r, _, _)
            | Op::Labels(r)
            | Op::CreateLabel(r)
            | Op::UpdateLabel(r, _)
            | Op::Permission(r, _)
            | Op::Commits(r)
            | Op::GetRef(r, _)
            | Op::CreateRef(r)
            | Op::UpdateRef(r, _)
            | Op::DeleteRef(r, _)
            | Op::CreateIssue(r)
            | Op::ListIssues(r)
            | Op::UpdateIssue(r, _)
            | Op::UpdatePull(r, _)
            | Op::GitCommit(r, _)
            | Op::CreateGitCommit(r)
            | Op::CreateTree(r)
            | Op::Merge(r)
            | Op::GetTree(r, _)
            | Op::PullReviewComments(r, _)
            | Op::RequestedReviewers(r, _)
            | Op::RequestReviewers(r, _)
            | Op::GetBlob(r, _) => Some(r),
        }
    }

    /// Endpoints that take the App's JWT rather than an installation token.
    fn for_app(&self) -> bool {
        matches!(self, Op::MintToken(_) | Op::Installations)
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
            (key::ACCESS_TOKENS, Op::MintToken(num(id)?))
        }
        ("GET", ["app", "installations"]) => (key::INSTALLATIONS, Op::Installations),
        ("POST", ["graphql"]) => (key::GRAPHQL, Op::GraphQl),
        ("GET", ["installation", "repositories"]) => {
            (key::INSTALLATION_REPOS, Op::InstallationRepos)
        }
        (_, ["repos", owner, name, rest @ ..]) => {
            let r = format!("{owner}/{name}");
            match (m, rest) {
                ("GET", []) => (key::REPO, Op::Repo(r)),
                ("GET", ["pulls"]) => (key::PULLS, Op::Pulls(r)),
                ("GET", ["pulls", n]) => (key::PULL, Op::Pull(r, num(n)?)),
                ("PATCH", ["pulls", n]) => (key::UPDATE_PULL, Op::UpdatePull(r, num(n)?)),
                ("GET", ["pulls", n, "files"]) => (key::PULL_FILES, Op::PullFiles(r, num(n)?)),
                ("GET", ["pulls", n, "reviews"]) => {
                    (key::PULL_REVIEWS, Op::PullReviews(r, num(n)?))
                }
                ("GET", ["pulls", n, "comments"]) => (
                    key::PULL_REVIEW_COMMENTS,
                    Op::PullReviewComments(r, num(n)?),
                ),
                ("GET", ["pulls", n, "requested_reviewers"]) => {
                    (key::REQUESTED_REVIEWERS, Op::RequestedReviewers(r, num(n)?))
                }
                ("POST", ["pulls", n, "requested_reviewers"]) => {
                    (key::REQUEST_REVIEWERS, Op::RequestReviewers(r, num(n)?))
                }
                ("GET", ["pulls", n, "commits"]) => {
                    (key::PULL_COMMITS, Op::PullCommits(r, num(n)?))
                }
                ("GET", ["issues", n, "comments"]) => {
                    (key::ISSUE_COMMENTS, Op::IssueComments(r, num(n)?))
                }
                ("POST", ["issues"]) => (key::CREATE_ISSUE, Op::CreateIssue(r)),
                ("GET", ["issues"]) => (key::LIST_ISSUES, Op::ListIssues(r)),
                ("PATCH", ["issues", n]) if *n != "comments" => {
                    (key::UPDATE_ISSUE, Op::UpdateIssue(r, num(n)?))
                }
                ("POST", ["issues", n, "comments"]) => {
                    (key::CREATE_COMMENT, Op::CreateComment(r, num(n)?))
                }
                ("PATCH", ["issues", "comments", id]) => {
                    (key::UPDATE_COMMENT, Op::UpdateComment(r, num(id)?))
                }
                ("GET", ["contents", path @ ..]) => {
                    (key::CONTENTS, Op::Contents(r, path.join("/")))
                }
                ("POST", ["check-runs"]) => (key::CREATE_CHECK_RUN, Op::CreateCheckRun(r)),
                ("POST", ["check-runs", id, "rerequest"]) => {
                    (key::RERUN_CHECK_RUN, Op::RerequestCheckRun(r, num(id)?))
                }
                ("PATCH", ["check-runs", id]) => {
                    (key::UPDATE_CHECK_RUN, Op::UpdateCheckRun(r, num(id)?))
                }
                ("GET", ["commits", rev @ .., "check-runs"]) if !rev.is_empty() => (
                    key::CHECK_RUNS_FOR_REF,
                    Op::CheckRunsForRef(r, rev.join("/")),
                ),
                ("GET", ["commits", rev @ .., "status"]) if !rev.is_empty() => {
                    (key::COMBINED_STATUS, Op::CombinedStatus(r, rev.join("/")))
                }
                ("GET", ["compare", spec @ ..]) if !spec.is_empty() => {
                    (key::COMPARE, Op::Compare(r, spec.join("/")))
                }
                ("GET", ["issues", n, "labels"]) => {
                    (key::ISSUE_LABELS, Op::IssueLabels(r, num(n)?))
                }
                ("POST", ["issues", n, "labels"]) => (key::ADD_LABELS, Op::AddLabels(r, num(n)?)),
                ("DELETE", ["issues", n, "labels", label @ ..]) if !label.is_empty() => (
                    key::REMOVE_LABEL,
                    Op::RemoveLabel(r, num(n)?, label.join("/")),
                ),
                ("GET", ["labels"]) => (key::LABELS, Op::Labels(r)),
                ("POST", ["labels"]) => (key::CREATE_LABEL, Op::CreateLabel(r)),
                ("PATCH", ["labels", label @ ..]) if !label.is_empty() => {
                    (key::UPDATE_LABEL, Op::UpdateLabel(r, label.join("/")))
                }
                ("GET", ["collaborators", login, "permission"]) => {
                    (key::PERMISSION, Op::Permission(r, login.to_string()))
                }
                ("GET", ["commits"]) => (key::COMMITS, Op::Commits(r)),
                ("GET", ["git", "ref", "heads", branch @ ..]) if !branch.is_empty() => {
                    (key::GET_REF, Op::GetRef(r, branch.join("/")))
                }
                ("POST", ["git", "refs"]) => (key::CREATE_REF, Op::CreateRef(r)),
                ("GET", ["git", "commits", sha]) => {
                    (key::GIT_COMMIT, Op::GitCommit(r, sha.to_string()))
                }
                ("POST", ["git", "commits"]) => (key::CREATE_GIT_COMMIT, Op::CreateGitCommit(r)),
                ("POST", ["git", "trees"]) => (key::CREATE_TREE, Op::CreateTree(r)),
                ("POST", ["merges"]) => (key::MERGE, Op::Merge(r)),
                ("GET", ["git", "trees", sha]) => (key::GIT_TREE, Op::GetTree(r, sha.to_string())),
                ("GET", ["git", "blobs", sha]) => (key::GIT_BLOB, Op::GetBlob(r, sha.to_string())),
                ("PATCH", ["git", "refs", "heads", branch @ ..]) if !branch.is_empty() => {
                    (key::UPDATE_REF, Op::UpdateRef(r, branch.join("/")))
                }
                ("DELETE", ["git", "refs", "heads", branch @ ..]) if !branch.is_empty() => {
                    (key::DELETE_REF, Op::DeleteRef(r, branch.join("/")))
                }
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

pub(crate) fn mint(w: &mut World, installation: u64) -> String {
    w.minted += 1;
    let mut token = digest40(&format!("token:{installation}:{}", w.minted));
    token.truncate(36);
    let token = format!("ghs_{token}");
    w.tokens.insert(token.clone(), Token { installation });
    token
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

fn handle(w: &mut World, op: Op, caller: &Caller, req: &Request) -> Result<Reply, Reply> {
    let now = w.now();
    match op {
        Op::MintToken(id) => {
            if !w.installations.contains_key(&id) {
                return Err(not_found());
            }
            let token = mint(w, id);
            // Lifetimes follow the client's clock, which the fake's may not be.
            let expires = chrono::Utc::now().timestamp() + 3600;
            Ok(Reply::created(json!({
                "token": token,
                "expires_at": shapes::time(expires),
                "permissions": shapes::permissions(),
                "repository_selection": "all",
            })))
        }
        Op::Installations => {
            let all: Vec<Value> = w
                .installations
                .iter()
                .map(|(id, account)| shapes::installation(*id, account))
                .collect();
            Ok(paged(req, all))
        }
        Op::InstallationRepos => {
            let Caller::Installation(id) = caller else {
                return Err(not_found());
            };
            let all: Vec<Value> = w
                .repos
                .values()
                .filter(|r| r.installation == *id)
                .map(|r| shapes::repository(r, now))
                .collect();
            let total = all.len();
            let (items, link) = page(req, all);
            Ok(with_link(
                Reply::ok(json!({
                    "total_count": total,
                    "repository_selection": "all",
                    "repositories": items,
                })),
                link,
            ))
        }
        Op::Repo(name) => Ok(Reply::ok(shapes::repository(repo(w, &name)?, now))),
        Op::Pulls(name) => list_pulls(repo(w, &name)?, req, now),
        Op::Pull(name, n) => {
            let r = repo(w, &name)?;
            let pr = r.pulls.get(&n).ok_or_else(not_found)?;
            Ok(Reply::ok(shapes::pull(r, pr, true, now)))
        }
        Op::PullFiles(name, n) => {
            let r = repo(w, &name)?;
            let pr = r.pulls.get(&n).ok_or_else(not_found)?;
            let base = r.merge_base(&pr.base_sha, &pr.head_sha);
            let files = r
                .diff(base.as_deref(), &pr.head_sha)
                .iter()
                .take(LIST_LIMIT_PULL_FILES)
                .map(|c| shapes::file(r, &pr.head_sha, c))
                .collect();
            Ok(paged(req, files))
        }
        Op::RequestedReviewers(name, n) => {
            let r = repo(w, &name)?;
            let pr = r.pulls.get(&n).ok_or_else(not_found)?;
            let users: Vec<Value> = pr.requested.iter().map(|l| shapes::user(l)).collect();
            Ok(Reply::ok(json!({ "users": users, "teams": [] })))
        }
        Op::RequestReviewers(name, n) => {
            let body = req.json()?;
            let Some(list) = body.get("reviewers").and_then(Value::as_array) else {
                return Err(Reply::invalid("`reviewers` must be an array of logins"));
            };
            let logins: Vec<String> = list
                .iter()
                .map(|l| l.as_str().map(str::to_string))
                .collect::<Option<_>>()
                .ok_or_else(|| Reply::invalid("`reviewers` must be an array of logins"))?;
            let r = repo_mut(w, &name)?;
            let pr = r.pulls.get(&n).ok_or_else(not_found)?;
            if logins.iter().any(|l| l.eq_ignore_ascii_case(&pr.user)) {
                return Err(Reply::error(
                    422,
                    "Review cannot be requested from pull request author.",
                ));
            }
            if !logins.iter().all(|l| r.is_collaborator(l)) {
                let full = r.full_name.clone();
                return Err(Reply::error(
                    422,
                    &format!(
                        "Reviews may only be requested from collaborators. One or more of the \
                         users or teams you specified is not a collaborator of the {full} \
                         repository."
                    ),
                ));
            }
            let pr = r.pulls.get_mut(&n).ok_or_else(not_found)?;
            for login in logins {
                if !pr.requested.iter().any(|l| l.eq_ignore_ascii_case(&login)) {
                    pr.requested.push(login);
                }
            }
            let r = repo(w, &name)?;
            let pr = r.pulls.get(&n).ok_or_else(not_found)?;
            Ok(Reply::created(shapes::pull(r, pr, true, now)))
        }
        Op::PullReviews(name, n) => {
            let r = repo(w, &name)?;
            let pr = r.pulls.get(&n).ok_or_else(not_found)?;
            let reviews = pr
                .reviews
                .iter()
                .map(|rv| shapes::review(r, n, rv, false))
                .collect();
            Ok(paged(req, reviews))
        }
        Op::PullReviewComments(name, n) => {
            let r = repo(w, &name)?;
            if !r.pulls.contains_key(&n) {
                return Err(not_found());
            }
            let comments = w
                .review_comments
                .iter()
                .filter(|c| c.repo == r.full_name.to_ascii_lowercase() && c.pull == n)
                .map(|c| shapes::review_comment(r, c))
                .collect();
            Ok(paged(req, comments))
        }
        Op::PullCommits(name, n) => {
            let r = repo(w, &name)?;
            let pr = r.pulls.get(&n).ok_or_else(not_found)?;
            let commits = r
                .only_in(&pr.head_sha, &pr.base_sha)
                .into_iter()
                .take(LIST_LIMIT_COMMITS)
                .map(|c| shapes::commit(r, c))
                .collect();
            Ok(paged(req, commits))
        }
        Op::IssueComments(name, n) => {
            let r = repo(w, &name)?;
            if !r.has_issue(n) {
                return Err(not_found());
            }
            let comments = r
                .comments
                .iter()
                .filter(|c| c.issue == n)
                .map(|c| shapes::comment(r, c))
                .collect();
            Ok(paged(req, comments))
        }
        Op::CreateComment(name, n) => {
            let body = req.json_object()?;
            let text = string_field(&body, "body")?
                .ok_or_else(|| Reply::invalid("\"body\" wasn't supplied."))?;
            let id = w.id();
            let r = repo_mut(w, &name)?;
            if !r.has_issue(n) {
                return Err(not_found());
            }
            let comment = Comment {
                id,
                issue: n,
                user: BOT_LOGIN.to_string(),
                body: text,
                created_at: now,
                updated_at: now,
            };
            let shaped = shapes::comment(r, &comment);
            r.comments.push(comment);
            Ok(Reply::created(shaped))
        }
        Op::UpdateComment(name, id) => {
            let body = req.json_object()?;
            let text = string_field(&body, "body")?
                .ok_or_else(|| Reply::invalid("\"body\" wasn't supplied."))?;
            let r = repo_mut(w, &name)?;
            let index = r
                .comments
                .iter()
                .position(|c| c.id == id)
                .ok_or_else(not_found)?;
            // An App may edit only what it wrote.
            if r.comments[index].user != BOT_LOGIN {
                return Err(Reply::error(403, "Resource not accessible by integration"));
            }
            r.comments[index].body = text;
            r.comments[index].updated_at = now;
            Ok(Reply::ok(shapes::comment(r, &r.comments[index])))
        }
        Op::Contents(name, path) => contents(repo(w, &name)?, &path, req),
        Op::CreateCheckRun(name) => {
            let body = req.json_object()?;
            let id = w.id();
            let r = repo_mut(w, &name)?;
            let name = string_field(&body, "name")?
                .filter(|n| !n.is_empty())
                .ok_or_else(|| Reply::invalid("\"name\" wasn't supplied."))?;
            let head_sha = string_field(&body, "head_sha")?
                .ok_or_else(|| Reply::invalid("\"head_sha\" wasn't supplied."))?;
            if !r.commits.contains_key(&head_sha) {
                return Err(Reply::validation("CheckRun", "head_sha", "invalid")
                    .with_message(&format!("No commit found for SHA: {head_sha}")));
            }
            let mut run = CheckRun {
                id,
                name,
                head_sha,
                status: "queued".to_string(),
                conclusion: None,
                started_at: now,
                completed_at: None,
                details_url: None,
                external_id: String::new(),
                output: Output::default(),
                rerequests: 0,
            };
            apply_check_run(&mut run, &body, now)?;
            let shaped = shapes::check_run(r, &run);
            r.check_runs.push(run);
            Ok(Reply::created(shaped))
        }
        Op::RerequestCheckRun(name, id) => {
            // GitHub answers 201 with no body and sends `check_run` `rerequested` to the app
            // that owns the run; the run itself is not changed.
            let r = repo_mut(w, &name)?;
            let run = r
                .check_runs
                .iter_mut()
                .find(|c| c.id == id)
                .ok_or_else(not_found)?;
            run.rerequests += 1;
            Ok(Reply::created(json!({})))
        }
        Op::UpdateCheckRun(name, id) => {
            let body = req.json_object()?;
            let r = repo_mut(w, &name)?;
            let index = r
                .check_runs
                .iter()
                .position(|c| c.id == id)
                .ok_or_else(not_found)?;
            let mut run = r.check_runs[index].clone();
            if let Some(new_name) = string_field(&body, "name")? {
                run.name = new_name;
            }
            apply_check_run(&mut run, &body, now)?;
            let shaped = shapes::check_run(r, &run);
            r.check_runs[index] = run;
            Ok(Reply::ok(shaped))
        }
        Op::CheckRunsForRef(name, rev) => {
            let r = repo(w, &name)?;
            let sha = r
                .resolve(&rev)
                .ok_or_else(|| Reply::error(422, &format!("No commit found for SHA: {rev}")))?;
            let wanted_name = req.param("check_name");
            let wanted_status = req.param("status");
            let latest_only = req.param("filter") != Some("all");
            let mut runs: Vec<&CheckRun> = r
                .check_runs
                .iter()
                .filter(|c| c.head_sha == sha)
                .filter(|c| wanted_name.is_none_or(|n| c.name == n))
                .filter(|c| wanted_status.is_none_or(|s| c.status == s))
                .collect();
            runs.sort_by_key(|c| std::cmp::Reverse(c.id));
            if latest_only {
                // `filter=latest` (the default): the newest run of each name.
                let mut seen = std::collections::HashSet::new();
                runs.retain(|c| seen.insert(c.name.clone()));
            }
            let all: Vec<Value> = runs.iter().map(|c| shapes::check_run(r, c)).collect();
            let total = all.len();
            let (items, link) = page(req, all);
            Ok(with_link(
                Reply::ok(json!({"total_count": total, "check_runs": items})),
                link,
            ))
        }
        Op::CombinedStatus(name, rev) => {
            let r = repo(w, &name)?;
            let sha = r.resolve(&rev).ok_or_else(not_found)?;
            Ok(Reply::ok(shapes::combined_status(r, &sha)))
        }
        Op::Compare(name, spec) => compare(repo(w, &name)?, &spec),
        Op::IssueLabels(name, n) => {
            let r = repo(w, &name)?;
            let on = r.labels_of_issue(n).ok_or_else(not_found)?.clone();
            Ok(paged(req, issue_labels(r, &on)))
        }
        Op::AddLabels(name, n) => {
            let names = label_names(&req.json()?)?;
            let mut fresh_ids: Vec<u64> = names.iter().map(|_| w.id()).collect();
            let r = repo_mut(w, &name)?;
            if r.labels_of_issue(n).is_none() {
                return Err(not_found());
            }
            for label in &names {
                // Adding a label the repository lacks creates it, as GitHub does.
                let canonical = match r.label(label) {
                    Some(existing) => existing.name.clone(),
                    None => {
                        r.labels.push(Label {
                            id: fresh_ids.pop().unwrap_or_default(),
                            name: label.clone(),
                            color: "ededed".to_string(),
                            description: None,
                        });
                        label.clone()
                    }
                };
                if let Some(on) = r.labels_of_issue_mut(n) {
                    if !on.iter().any(|l| l.eq_ignore_ascii_case(&canonical)) {
                        on.push(canonical);
                    }
                }
            }
            let on = r.labels_of_issue(n).cloned().unwrap_or_default();
            Ok(Reply::ok(Value::Array(issue_labels(r, &on))))
        }
        Op::RemoveLabel(name, n, label) => {
            let r = repo_mut(w, &name)?;
            let on = r.labels_of_issue_mut(n).ok_or_else(not_found)?;
            let before = on.len();
            on.retain(|l| !l.eq_ignore_ascii_case(&label));
            if on.len() == before {
                return Err(Reply::error(404, "Label does not exist"));
            }
            let on = on.clone();
            Ok(Reply::ok(Value::Array(issue_labels(r, &on))))
        }
        Op::Labels(name) => {
            let r = repo(w, &name)?;
            let all = r.labels.iter().map(|l| shapes::label(r, l)).collect();
            Ok(paged(req, all))
        }
        Op::CreateLabel(name) => {
            let body = req.json_object()?;
            let label_name = string_field(&body, "name")?
                .filter(|n| !n.trim().is_empty())
                .ok_or_else(|| Reply::validation("Label", "name", "missing_field"))?;
            let color = string_field(&body, "color")?
                .map(|c| c.trim_start_matches('#').to_ascii_lowercase())
                .unwrap_or_else(|| "ededed".to_string());
            if color.len() != 6 || !color.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Reply::validation("Label", "color", "invalid"));
            }
            let description = string_field(&body, "description")?;
            let id = w.id();
            let r = repo_mut(w, &name)?;
            if r.label(&label_name).is_some() {
                return Err(Reply::validation("Label", "name", "already_exists"));
            }
            let label = Label {
                id,
                name: label_name,
                color,
                description,
            };
            let shaped = shapes::label(r, &label);
            r.labels.push(label);
            Ok(Reply::created(shaped))
        }
        Op::UpdateLabel(name, current) => {
            let body = req.json_object()?;
            let new_name = string_field(&body, "new_name")?.filter(|n| !n.trim().is_empty());
            let color = string_field(&body, "color")?
                .map(|c| c.trim_start_matches('#').to_ascii_lowercase());
            if let Some(c) = &color {
                if c.len() != 6 || !c.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(Reply::validation("Label", "color", "invalid"));
                }
            }
            let description = string_field(&body, "description")?;
            let r = repo_mut(w, &name)?;
            if let Some(n) = &new_name {
                if !n.eq_ignore_ascii_case(&current) && r.label(n).is_some() {
                    return Err(Reply::validation("Label", "name", "already_exists"));
                }
            }
            let label = r
                .labels
                .iter_mut()
                .find(|l| l.name.eq_ignore_ascii_case(&current))
                .ok_or_else(not_found)?;
            let old_name = label.name.clone();
            if let Some(n) = new_name {
                label.name = n;
            }
            if let Some(c) = color {
                label.color = c;
            }
            if description.is_some() {
                label.description = description;
            }
            let label = label.clone();
            if label.name != old_name {
                for names in r
                    .pulls
                    .values_mut()
                    .map(|p| &mut p.labels)
                    .chain(r.issues.values_mut().map(|i| &mut i.labels))
                {
                    for n in names.iter_mut().filter(|n| **n == old_name) {
                        *n = label.name.clone();
                    }
                }
            }
            Ok(Reply::ok(shapes::label(r, &label)))
        }
        Op::Permission(name, login) => {
            let r = repo(w, &name)?;
            let role = r.permission(&login);
            // `permission` folds the finer roles into the classic three.
            let permission = match role.as_str() {
                "admin" => "admin",
                "maintain" | "write" => "write",
                "triage" | "read" => "read",
                _ => "none",
            };
            Ok(Reply::ok(json!({
                "permission": permission,
                "role_name": role,
                "user": shapes::user(&login),
            })))
        }
        Op::Commits(name) => list_commits(repo(w, &name)?, req),
        Op::GetRef(name, branch) => {
            let r = repo(w, &name)?;
            let sha = r.branches.get(&branch).ok_or_else(not_found)?;
            Ok(Reply::ok(git_ref(r, &branch, sha)))
        }
        Op::CreateRef(name) => {
            let body = req.json_object()?;
            let full_ref = string_field(&body, "ref")?
                .ok_or_else(|| Reply::invalid("\"ref\" wasn't supplied."))?;
            let sha = string_field(&body, "sha")?
                .ok_or_else(|| Reply::invalid("\"sha\" wasn't supplied."))?;
            let Some(branch) = full_ref
                .strip_prefix("refs/heads/")
                .filter(|b| !b.is_empty())
            else {
                return Err(Reply::error(
                    422,
                    "Reference name must start with 'refs/heads/' (the fake keeps branches only)",
                ));
            };
            let r = repo(w, &name)?;
            if !r.commits.contains_key(&sha) {
                return Err(Reply::error(422, "Object does not exist"));
            }
            if r.branches.contains_key(branch) {
                return Err(Reply::error(422, "Reference already exists"));
            }
            let full_name = r.full_name.clone();
            w.set_branch(&full_name, branch, &sha);
            let r = repo(w, &name)?;
            Ok(Reply::created(git_ref(r, branch, &sha)))
        }
        Op::UpdateRef(name, branch) => {
            let body = req.json_object()?;
            let sha = string_field(&body, "sha")?
                .ok_or_else(|| Reply::invalid("\"sha\" wasn't supplied."))?;
            let force = match body.get("force") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => *b,
                Some(_) => return Err(Reply::invalid("\"force\" must be a boolean.")),
            };
            if force {
                w.forced_ref_updates += 1;
            }
            let r = repo(w, &name)?;
            let current = r
                .branches
                .get(&branch)
                .ok_or_else(|| Reply::error(422, "Reference does not exist"))?;
            if !r.commits.contains_key(&sha) {
                return Err(Reply::error(422, "Object does not exist"));
            }
            // Without force GitHub only fast-forwards: master can never be rewound (SPEC §9).
            if !force && !r.ancestors(&sha).contains(current) {
                return Err(Reply::error(422, "Update is not a fast forward"));
            }
            let full_name = r.full_name.clone();
            w.set_branch(&full_name, &branch, &sha);
            let r = repo(w, &name)?;
            Ok(Reply::ok(git_ref(r, &branch, &sha)))
        }
        Op::ListIssues(name) => {
            // Open issues and pull requests (GitHub lists both), oldest first; `labels` is a
            // comma-separated list an item must carry all of.
            let r = repo(w, &name)?;
            let wanted: Vec<String> = req
                .param("labels")
                .map(|l| {
                    l.split(',')
                        .map(|n| n.trim().to_string())
                        .filter(|n| !n.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            let carries = |labels: &[String]| {
                wanted
                    .iter()
                    .all(|w| labels.iter().any(|l| l.eq_ignore_ascii_case(w)))
            };
            let mut items: Vec<(u64, Value)> = r
                .issues
                .values()
                .filter(|i| i.open && carries(&i.labels))
                .map(|i| (i.number, shapes::plain_issue(r, i)))
                .chain(
                    r.pulls
                        .values()
                        .filter(|p| p.open && carries(&p.labels))
                        .map(|p| (p.number, shapes::issue_of_pull(r, p))),
                )
                .collect();
            items.sort_by_key(|(n, _)| *n);
            Ok(paged(req, items.into_iter().map(|(_, v)| v).collect()))
        }
        Op::CreateIssue(name) => {
            let body = req.json_object()?;
            let title = string_field(&body, "title")?
                .ok_or_else(|| Reply::invalid("\"title\" wasn't supplied."))?;
            let text = string_field(&body, "body")?.unwrap_or_default();
            let labels = match body.get("labels") {
                None | Some(Value::Null) => Vec::new(),
                Some(_) => label_names(&Value::Object(body.clone()))?,
            };
            let id = w.id();
            let mut label_ids: Vec<u64> = labels.iter().map(|_| w.id()).collect();
            let r = repo_mut(w, &name)?;
            for label in &labels {
                // Labels the repository lacks are created, as GitHub does.
                if r.label(label).is_none() {
                    r.labels.push(Label {
                        id: label_ids.pop().unwrap_or_default(),
                        name: label.clone(),
                        color: "ededed".to_string(),
                        description: None,
                    });
                }
            }
            let number = r.next_number;
            r.next_number += 1;
            let issue = Issue {
                number,
                id,
                title,
                body: text,
                user: BOT_LOGIN.to_string(),
                open: true,
                labels,
                created_at: now,
                updated_at: now,
            };
            let shaped = shapes::plain_issue(r, &issue);
            r.issues.insert(number, issue);
            Ok(Reply::created(shaped))
        }
        Op::UpdateIssue(name, n) => {
            let body = req.json_object()?;
            let r = repo_mut(w, &name)?;
            let Some(issue) = r.issues.get_mut(&n) else {
                return Err(not_found());
            };
            if let Some(text) = string_field(&body, "body")? {
                issue.body = text;
            }
            if let Some(title) = string_field(&body, "title")? {
                issue.title = title;
            }
            issue.updated_at = now;
            let issue = issue.clone();
            Ok(Reply::ok(shapes::plain_issue(r, &issue)))
        }
        Op::UpdatePull(name, n) => update_pull(repo_mut(w, &name)?, n, &req.json_object()?, now),
        Op::GitCommit(name, sha) => {
            let r = repo(w, &name)?;
            let commit = r.commits.get(&sha).ok_or_else(not_found)?;
            Ok(Reply::ok(shapes::git_commit(r, commit)))
        }
        Op::CreateTree(name) => create_tree(repo_mut(w, &name)?, &req.json_object()?),
        Op::GetTree(name, sha) => get_tree(repo_mut(w, &name)?, &sha, req),
        Op::GetBlob(name, sha) => {
            let r = repo(w, &name)?;
            let content = r.blobs.get(&sha).ok_or_else(not_found)?;
            Ok(Reply::ok(shapes::git_blob(r, &sha, content)))
        }
        Op::CreateGitCommit(name) => {
            let new = new_commit(repo(w, &name)?, &req.json_object()?)?;
            let sha = w.create_commit(&name, new).ok_or_else(not_found)?;
            let r = repo(w, &name)?;
            let commit = r.commits.get(&sha).ok_or_else(not_found)?;
            Ok(Reply::created(shapes::git_commit(r, commit)))
        }
        Op::GraphQl => graphql(w, caller, &req.json_object()?),
        Op::Merge(name) => {
            let body = req.json_object()?;
            let base = string_field(&body, "base")?
                .ok_or_else(|| Reply::invalid("\"base\" wasn't supplied."))?;
            let head = string_field(&body, "head")?
                .ok_or_else(|| Reply::invalid("\"head\" wasn't supplied."))?;
            let message = string_field(&body, "commit_message")?
                .unwrap_or_else(|| format!("Merge {head} into {base}"));
            match w.merge_three_way(&name, &base, &head, &message) {
                Merged::Missing(what) => Err(Reply::error(404, &format!("{what} does not exist"))),
                Merged::Nothing => Ok(Reply {
                    status: 204,
                    body: Value::Null,
                    headers: vec![],
                }),
                Merged::Conflict(_) => Err(Reply::error(409, "Merge conflict")),
                Merged::Made(sha) => {
                    let r = repo(w, &name)?;
                    let commit = r.commits.get(&sha).ok_or_else(not_found)?;
                    Ok(Reply::created(shapes::commit(r, commit)))
                }
            }
        }
        Op::DeleteRef(name, branch) => {
            let r = repo_mut(w, &name)?;
            if r.branches.remove(&branch).is_none() {
                return Err(Reply::error(422, "Reference does not exist"));
            }
            Ok(Reply {
                status: 204,
                body: Value::Null,
                headers: vec![],
            })
        }
    }
}

impl Reply {
    fn with_message(mut self, message: &str) -> Reply {
        if let Value::Object(map) = &mut self.body {
            map.insert("message".into(), message.into());
        }
        self
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

const STATUSES: &[&str] = &[
    "queued",
    "in_progress",
    "completed",
    "waiting",
    "requested",
    "pending",
];
const CONCLUSIONS: &[&str] = &[
    "action_required",
    "cancelled",
    "failure",
    "neutral",
    "success",
    "skipped",
    "stale",
    "timed_out",
];

/// Applies the writable fields of a check-run body, validated as GitHub does.
fn apply_check_run(run: &mut CheckRun, body: &Map<String, Value>, now: i64) -> Result<(), Reply> {
    let status = string_field(body, "status")?;
    let conclusion = string_field(body, "conclusion")?;
    if let Some(s) = &status {
        if !STATUSES.contains(&s.as_str()) {
            return Err(Reply::invalid(&format!(
                "For 'properties/status', \"{s}\" is not a member of {STATUSES:?}."
            )));
        }
    }
    if let Some(c) = &conclusion {
        if !CONCLUSIONS.contains(&c.as_str()) {
            return Err(Reply::invalid(&format!(
                "For 'properties/conclusion', \"{c}\" is not a member of {CONCLUSIONS:?}."
            )));
        }
    }
    if status.as_deref() == Some("completed") && conclusion.is_none() && run.conclusion.is_none() {
        return Err(Reply::invalid(
            "Missing required property: conclusion (a completed check run needs one).",
        ));
    }
    if let Some(output) = body.get("output").filter(|o| !o.is_null()) {
        let Value::Object(output) = output else {
            return Err(Reply::invalid(
                "For 'properties/output', it is not an object.",
            ));
        };
        let title = string_field(output, "title")?
            .ok_or_else(|| Reply::invalid("\"title\" wasn't supplied."))?;
        let summary = string_field(output, "summary")?
            .ok_or_else(|| Reply::invalid("\"summary\" wasn't supplied."))?;
        let text = string_field(output, "text")?;
        for field in std::iter::once(&summary).chain(text.as_ref()) {
            let chars = field.chars().count();
            if chars > MAX_OUTPUT_CHARS {
                return Err(Reply::invalid(&format!(
                    "Only {MAX_OUTPUT_CHARS} characters are allowed; {chars} were supplied."
                )));
            }
        }
        let annotations: &[Value] = match output.get("annotations") {
            None | Some(Value::Null) => &[],
            Some(Value::Array(a)) if a.len() <= MAX_ANNOTATIONS => a,
            Some(Value::Array(a)) => {
                return Err(Reply::invalid(&format!(
                    "Only {MAX_ANNOTATIONS} annotations are allowed per request; {} were supplied.",
                    a.len()
                )))
            }
            Some(_) => {
                return Err(Reply::invalid(
                    "For 'properties/annotations', it is not an array.",
                ))
            }
        };
        for a in annotations {
            let fields_ok = ["path", "message", "annotation_level"]
                .iter()
                .all(|f| a.get(f).is_some_and(Value::is_string))
                && ["start_line", "end_line"]
                    .iter()
                    .all(|f| a.get(f).is_some_and(Value::is_u64));
            if !fields_ok {
                return Err(Reply::invalid(
                    "An annotation needs path, start_line, end_line, annotation_level and message.",
                ));
            }
        }
        let mut kept = std::mem::take(&mut run.output.annotations);
        kept.extend(annotations.iter().cloned());
        run.output = Output {
            title: Some(title),
            summary: Some(summary),
            text,
            annotations_count: kept.len(),
            annotations: kept,
        };
    }
    if let Some(url) = string_field(body, "details_url")? {
        run.details_url = Some(url);
    }
    if let Some(id) = string_field(body, "external_id")? {
        run.external_id = id;
    }
    if let Some(c) = conclusion {
        // A conclusion completes the run whatever the status says.
        run.conclusion = Some(c);
        run.status = "completed".to_string();
        run.completed_at = Some(now);
    } else if let Some(s) = status {
        if s != "completed" {
            run.conclusion = None;
            run.completed_at = None;
        }
        run.status = s;
    }
    Ok(())
}

fn list_pulls(r: &Repo, req: &Request, now: i64) -> Result<Reply, Reply> {
    let state = req.param("state").unwrap_or("open");
    if !["open", "closed", "all"].contains(&state) {
        return Err(Reply::validation("PullRequest", "state", "invalid"));
    }
    let base = req.param("base");
    // `head` is `owner:branch`.
    let head = req
        .param("head")
        .map(|h| h.split_once(':').map_or(h, |(_, branch)| branch));
    let mut pulls: Vec<_> = r
        .pulls
        .values()
        .filter(|p| match state {
            "open" => p.open,
            "closed" => !p.open,
            _ => true,
        })
        .filter(|p| base.is_none_or(|b| p.base_ref == b))
        .filter(|p| head.is_none_or(|h| p.head_ref == h))
        .collect();
    // Newest first, GitHub's default (`sort=created`, `direction=desc`).
    if req.param("direction") != Some("asc") {
        pulls.reverse();
    }
    let all = pulls
        .into_iter()
        .map(|p| shapes::pull(r, p, false, now))
        .collect();
    Ok(paged(req, all))
}

fn list_commits(r: &Repo, req: &Request) -> Result<Reply, Reply> {
    let start = match req.param("sha") {
        Some(rev) => r.resolve(rev).ok_or_else(not_found)?,
        None => r
            .branches
            .get(&r.default_branch)
            .cloned()
            .ok_or_else(|| Reply::error(409, "Git Repository is empty."))?,
    };
    let author = req.param("author").map(str::to_ascii_lowercase);
    let mut commits: Vec<_> = r
        .ancestors(&start)
        .into_iter()
        .filter_map(|sha| r.commits.get(&sha))
        .filter(|c| {
            // `author` matches the e-mail or the linked login.
            author.as_deref().is_none_or(|a| {
                c.author.email.eq_ignore_ascii_case(a)
                    || c.author
                        .login
                        .as_deref()
                        .is_some_and(|l| l.eq_ignore_ascii_case(a))
            })
        })
        .collect();
    commits.sort_by_key(|c| std::cmp::Reverse(c.seq));
    let all = commits.into_iter().map(|c| shapes::commit(r, c)).collect();
    Ok(paged(req, all))
}

fn contents(r: &Repo, path: &str, req: &Request) -> Result<Reply, Reply> {
    let rev = match req.param("ref") {
        Some(rev) => rev.to_string(),
        None => r.default_branch.clone(),
    };
    let sha = r
        .resolve(&rev)
        .ok_or_else(|| Reply::error(404, &format!("No commit found for the ref {rev}")))?;
    let files = r
        .commits
        .get(&sha)
        .map(|c| &c.files)
        .ok_or_else(not_found)?;
    let path = path.trim_matches('/');
    if let Some(text) = files.get(path) {
        return Ok(Reply::ok(shapes::content_file(r, &rev, path, text)));
    }
    // A directory: its direct children, files and subdirectories.
    let prefix = if path.is_empty() {
        String::new()
    } else {
        format!("{path}/")
    };
    let mut entries: Vec<Value> = Vec::new();
    let mut dirs = std::collections::BTreeSet::new();
    for (file, text) in files.range(prefix.clone()..) {
        let Some(rest) = file.strip_prefix(&prefix) else {
            break;
        };
        match rest.split_once('/') {
            Some((dir, _)) => {
                dirs.insert(dir.to_string());
            }
            None => entries.push(shapes::content_entry(
                r,
                &rev,
                file,
                "file",
                text.len(),
                &blob_sha(text),
            )),
        }
    }
    for dir in dirs {
        let full = format!("{prefix}{dir}");
        let tree = digest40(&format!("tree:{sha}:{full}"));
        entries.push(shapes::content_entry(r, &rev, &full, "dir", 0, &tree));
    }
    if entries.is_empty() {
        return Err(not_found());
    }
    Ok(Reply::ok(Value::Array(entries)))
}

fn compare(r: &Repo, spec: &str) -> Result<Reply, Reply> {
    let (base, head) = spec
        .split_once("...")
        .or_else(|| spec.split_once(".."))
        .ok_or_else(not_found)?;
    // Either side may be `owner:branch`.
    let side = |s: &str| s.split_once(':').map_or(s, |(_, b)| b).to_string();
    let base_sha = r.resolve(&side(base)).ok_or_else(not_found)?;
    let head_sha = r.resolve(&side(head)).ok_or_else(not_found)?;
    let merge_base = r.merge_base(&base_sha, &head_sha);
    let ahead = r.only_in(&head_sha, &base_sha);
    let behind = r.only_in(&base_sha, &head_sha);
    let status = match (ahead.len(), behind.len()) {
        (0, 0) => "identical",
        (_, 0) => "ahead",
        (0, _) => "behind",
        _ => "diverged",
    };
    // GitHub lists 300 files of a comparison, and says nothing of the rest.
    let files: Vec<Value> = r
        .diff(merge_base.as_deref(), &head_sha)
        .iter()
        .take(LIST_LIMIT_COMPARE_FILES)
        .map(|c| shapes::file(r, &head_sha, c))
        .collect();
    let commit_of = |sha: &str| {
        r.commits
            .get(sha)
            .map_or(Value::Null, |c| shapes::commit(r, c))
    };
    let full = &r.full_name;
    Ok(Reply::ok(json!({
        "url": format!("{}/repos/{full}/compare/{base}...{head}", shapes::API),
        "html_url": format!("{}/{full}/compare/{base}...{head}", shapes::WEB),
        "permalink_url": format!("{}/{full}/compare/{base_sha}...{head_sha}", shapes::WEB),
        "diff_url": format!("{}/{full}/compare/{base}...{head}.diff", shapes::WEB),
        "patch_url": format!("{}/{full}/compare/{base}...{head}.patch", shapes::WEB),
        "base_commit": commit_of(&base_sha),
        "merge_base_commit": merge_base.as_deref().map_or(Value::Null, commit_of),
        "status": status,
        "ahead_by": ahead.len(),
        "behind_by": behind.len(),
        "total_commits": ahead.len(),
        "commits": ahead.iter().take(LIST_LIMIT_COMPARE_COMMITS).map(|c| shapes::commit(r, c)).collect::<Vec<_>>(),
        "files": files,
    })))
}

/// GraphQL's `nodes(ids: $ids)` for comments, answering each issue comment's or inline review
/// comment's `id` and `editor { login }` (the last person who edited it, null when nobody
/// did); other ids, and comments in repositories outside the caller's installation, answer
/// null, as GitHub does for nodes it cannot resolve.
fn editors(w: &World, caller: &Caller, body: &Map<String, Value>) -> Value {
    let ids: Vec<String> = body
        .get("variables")
        .and_then(|v| v.get("ids"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    let visible = |repo: &str| match caller {
        Caller::Installation(installation) => w
            .repos
            .values()
            .any(|r| r.installation == *installation && r.full_name.eq_ignore_ascii_case(repo)),
        _ => false,
    };
    let mut comments: Vec<(String, u64, String)> = Vec::new();
    for r in w.repos.values() {
        for c in &r.comments {
            comments.push((shapes::comment_node_id(c.id), c.id, r.full_name.clone()));
        }
    }
    for c in &w.review_comments {
        comments.push((shapes::review_comment_node_id(c.id), c.id, c.repo.clone()));
    }
    let nodes: Vec<Value> = ids
        .iter()
        .map(|id| {
            let Some((_, number, repo)) = comments.iter().find(|(node, ..)| node == id) else {
                return Value::Null;
            };
            if !visible(repo) {
                return Value::Null;
            }
            let editor = w
                .comment_edits
                .iter()
                .rev()
                .find(|e| e.comment == *number && e.repo.eq_ignore_ascii_case(repo))
                .map(|e| json!({ "login": e.editor }))
                .unwrap_or(Value::Null);
            json!({ "id": id, "editor": editor })
        })
        .collect();
    json!({ "data": { "nodes": nodes } })
}

/// `POST /graphql`: the one operation pushgate sends, the `updateRefs` mutation with
/// `$repositoryId` and `$refUpdates` (`name`, `beforeOid`, `afterOid`, `force`). All updates
/// or none: each ref must be at its `beforeOid`, and without `force` the update must be a
/// fast-forward. GitHub answers 200 with `errors` when it refuses, as here.
fn graphql(w: &mut World, caller: &Caller, body: &Map<String, Value>) -> Result<Reply, Reply> {
    let refused = |message: &str| {
        Ok(Reply::ok(json!({
            "data": { "updateRefs": null },
            "errors": [{ "type": "UNPROCESSABLE", "message": message }],
        })))
    };
    let query = string_field(body, "query")?.unwrap_or_default();
    if query.contains("nodes(ids:") {
        return Ok(Reply::ok(editors(w, caller, body)));
    }
    if !query.contains("updateRefs") {
        return refused("the fake answers the updateRefs mutation and the nodes query only");
    }
    let variables = body.get("variables").cloned().unwrap_or(Value::Null);
    let node = variables
        .get("repositoryId")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let Caller::Installation(installation) = caller else {
        return refused("an installation token is needed");
    };
    let Some(name) = w
        .repos
        .values()
        .find(|r| r.installation == *installation && shapes::repository_node_id(r) == node)
        .map(|r| r.full_name.clone())
    else {
        return refused(&format!(
            "Could not resolve to a node with the global id of '{node}'"
        ));
    };
    let updates = variables
        .get("refUpdates")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let mut moves = Vec::new();
    for update in &updates {
        let field = |k: &str| update.get(k).and_then(Value::as_str).unwrap_or_default();
        let Some(branch) = field("name").strip_prefix("refs/heads/") else {
            return refused(&format!("{} is not a branch", field("name")));
        };
        let (before, after) = (field("beforeOid"), field("afterOid"));
        let force = update
            .get("force")
            .and_then(Value::as_bool)
            .unwrap_or(false);
        if force {
            w.forced_ref_updates += 1;
        }
        let r = repo(w, &name)?;
        let current = r.branches.get(branch).cloned().unwrap_or_default();
        if current != before {
            return refused(&format!(
                "the ref {branch} is at {current}, not at the expected {before}"
            ));
        }
        if !r.commits.contains_key(after) {
            return refused(&format!("{after} is not a commit"));
        }
        if !force && !r.ancestors(after).contains(&current) {
            return refused(&format!("the update of {branch} is not a fast forward"));
        }
        moves.push((branch.to_string(), after.to_string()));
    }
    for (branch, sha) in moves {
        w.set_branch(&name, &branch, &sha);
    }
    Ok(Reply::ok(
        json!({ "data": { "updateRefs": { "clientMutationId": null } } }),
    ))
}

/// `PATCH /pulls/{n}`: `state` (`open` or `closed`), `title`, `body`. Reopening needs the head
/// branch and an unmerged pull request; it catches up with both branches' tips.
fn update_pull(r: &mut Repo, n: u64, body: &Map<String, Value>, now: i64) -> Result<Reply, Reply> {
    let state = string_field(body, "state")?;
    let title = string_field(body, "title")?;
    let text = string_field(body, "body")?;
    let pr = r.pulls.get(&n).ok_or_else(not_found)?;
    let reopen = match state.as_deref() {
        None => false,
        Some("closed") => false,
        Some("open") => !pr.open,
        Some(_) => return Err(Reply::validation("PullRequest", "state", "invalid")),
    };
    let tips = if reopen {
        let cannot = || {
            Reply::validation("PullRequest", "state", "invalid")
                .with_message("state cannot be changed. The pull request cannot be reopened.")
        };
        if pr.merged_at.is_some() {
            return Err(cannot());
        }
        let head = r.branches.get(&pr.head_ref).cloned().ok_or_else(cannot)?;
        let base = r.branches.get(&pr.base_ref).cloned().ok_or_else(cannot)?;
        Some((head, base))
    } else {
        None
    };
    let pr = r.pulls.get_mut(&n).ok_or_else(not_found)?;
    if state.as_deref() == Some("closed") && pr.open {
        pr.open = false;
        pr.closed_at = Some(now);
    }
    if let Some((head, base)) = tips {
        pr.open = true;
        pr.closed_at = None;
        pr.head_sha = head;
        pr.base_sha = base;
    }
    if let Some(title) = title {
        pr.title = title;
    }
    if let Some(text) = text {
        pr.body = text;
    }
    pr.updated_at = now;
    let pr = pr.clone();
    Ok(Reply::ok(shapes::pull(r, &pr, true, now)))
}

/// File modes a tree entry may have in the fake: blobs only (no subtrees, no submodules).
const BLOB_MODES: &[&str] = &["100644", "100755", "120000"];

/// `POST /git/trees`: `base_tree`'s files (if given) with the entries applied, in order. An
/// entry sets its path to a stored blob (`sha`) or to `content`; `"sha": null` deletes the path
/// (a directory: everything under it).
fn create_tree(r: &mut Repo, body: &Map<String, Value>) -> Result<Reply, Reply> {
    let base_tree = string_field(body, "base_tree")?;
    let mut files = match &base_tree {
        Some(base) => r
            .trees
            .get(base)
            .cloned()
            .ok_or_else(|| Reply::error(422, "base_tree is not a valid tree oid"))?,
        None => Default::default(),
    };
    let mut modes = base_tree
        .and_then(|base| r.tree_modes.get(&base).cloned())
        .unwrap_or_default();
    let Some(Value::Array(entries)) = body.get("tree") else {
        return Err(Reply::invalid("\"tree\" wasn't supplied."));
    };
    for entry in entries {
        let Value::Object(entry) = entry else {
            return Err(Reply::invalid("For 'items', it is not an object."));
        };
        let path = string_field(entry, "path")?
            .ok_or_else(|| Reply::invalid("\"path\" wasn't supplied."))?;
        if path
            .split('/')
            .any(|part| part.is_empty() || part == "." || part == ".." || part == ".git")
        {
            return Err(Reply::error(
                422,
                &format!("tree.path {path} contains a malformed path component"),
            ));
        }
        let mode = string_field(entry, "mode")?;
        if let Some(mode) = &mode {
            if !BLOB_MODES.contains(&mode.as_str()) {
                return Err(Reply::error(
                    422,
                    &format!("tree.mode {mode} is not supported (the fake keeps blobs only)"),
                ));
            }
        }
        if let Some(kind) = string_field(entry, "type")? {
            if kind != "blob" {
                return Err(Reply::error(
                    422,
                    &format!("tree.type {kind} is not supported (the fake keeps blobs only)"),
                ));
            }
        }
        let content = string_field(entry, "content")?;
        let sha = string_field(entry, "sha")?;
        let new = match (sha, content) {
            (Some(_), Some(_)) => {
                return Err(Reply::invalid(
                    "Only one of tree.sha and tree.content may be supplied.",
                ))
            }
            (None, Some(text)) => Some(text),
            (Some(sha), None) => Some(r.blobs.get(&sha).cloned().ok_or_else(|| {
                Reply::error(422, &format!("tree.sha {sha} is not a valid blob"))
            })?),
            (None, None) if entry.contains_key("sha") => None,
            (None, None) => {
                return Err(Reply::invalid(
                    "Must supply either tree.sha or tree.content.",
                ))
            }
        };
        match new {
            Some(text) => {
                // An entry's mode is what it says (a missing mode is GitHub's error; the fake
                // takes a plain file).
                match mode.as_deref() {
                    Some(mode) if mode != super::state::PLAIN => {
                        modes.insert(path.clone(), mode.to_string())
                    }
                    _ => modes.remove(&path),
                };
                files.insert(path, text);
            }
            None => {
                if files.remove(&path).is_none() {
                    let dir = format!("{path}/");
                    files.retain(|file, _| !file.starts_with(&dir));
                }
            }
        }
    }
    modes.retain(|path, _| files.contains_key(path));
    // A path cannot be a file and a directory at once.
    for file in files.keys() {
        let dir = format!("{file}/");
        if files
            .range(dir.clone()..)
            .next()
            .is_some_and(|(next, _)| next.starts_with(&dir))
        {
            return Err(Reply::error(
                422,
                &format!("tree.path {file} is both a file and a directory"),
            ));
        }
    }
    let sha = r.store_tree_with_modes(files.clone(), modes);
    Ok(Reply::created(shapes::tree(r, &sha, &files)))
}

/// `author` or `committer` of `POST /git/commits`: `{name, email, date?}`, linked to the
/// account GitHub knows for the e-mail.
fn signature(
    r: &Repo,
    body: &Map<String, Value>,
    field: &str,
) -> Result<Option<(Author, Option<i64>)>, Reply> {
    let person = match body.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Object(person)) => person,
        Some(other) => {
            return Err(Reply::invalid(&format!(
                "For 'properties/{field}', {other} is not an object."
            )))
        }
    };
    let name = string_field(person, "name")?
        .ok_or_else(|| Reply::invalid(&format!("\"{field}.name\" wasn't supplied.")))?;
    let email = string_field(person, "email")?
        .ok_or_else(|| Reply::invalid(&format!("\"{field}.email\" wasn't supplied.")))?;
    let date = match string_field(person, "date")? {
        None => None,
        Some(text) => Some(
            chrono::DateTime::parse_from_rfc3339(&text)
                .map_err(|_| {
                    Reply::invalid(&format!(
                        "For 'properties/{field}/date', \"{text}\" is not a date-time."
                    ))
                })?
                .timestamp(),
        ),
    };
    let mut author = Author::new(&name, &email);
    author.login = r.login_for(&email);
    Ok(Some((author, date)))
}

/// `GET /git/trees/{sha}`: a tree's direct entries; a commit's sha names its root tree, as on
/// GitHub. The fake keeps a tree as the flat list of the files under it, so a subdirectory's
/// entry is a tree of its own (its files, paths relative to it), stored here so that it can be
/// asked for next; equal directories get equal shas whichever commit they are in. `recursive`
/// is not supported.
fn get_tree(r: &mut Repo, sha: &str, req: &Request) -> Result<Reply, Reply> {
    if req.param("recursive").is_some() {
        return Err(Reply::error(
            422,
            "the fake does not list trees recursively",
        ));
    }
    let tree = match r.commits.get(sha) {
        Some(commit) => commit.tree.clone(),
        None => sha.to_string(),
    };
    let files = r.trees.get(&tree).cloned().ok_or_else(not_found)?;
    let modes = r.tree_modes.get(&tree).cloned().unwrap_or_default();
    let mut blobs = Vec::new();
    let mut dirs: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
    for (path, content) in files {
        match path.split_once('/') {
            Some((dir, rest)) => {
                dirs.entry(dir.to_string())
                    .or_default()
                    .insert(rest.to_string(), content);
            }
            None => blobs.push((path, content)),
        }
    }
    let mut entries: Vec<(String, Value)> = blobs
        .into_iter()
        .map(|(name, content)| {
            let mut entry =
                shapes::git_tree_entry(r, &name, "blob", &blob_sha(&content), content.len());
            if let Some(mode) = modes.get(&name) {
                entry["mode"] = mode.as_str().into();
            }
            (name, entry)
        })
        .collect();
    for (name, files) in dirs {
        let prefix = format!("{name}/");
        let sub_modes = modes
            .iter()
            .filter_map(|(path, mode)| {
                path.strip_prefix(&prefix)
                    .map(|rest| (rest.to_string(), mode.clone()))
            })
            .collect();
        let sub = r.store_tree_with_modes(files, sub_modes);
        entries.push((
            name.clone(),
            shapes::git_tree_entry(r, &name, "tree", &sub, 0),
        ));
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let entries = entries.into_iter().map(|(_, entry)| entry).collect();
    Ok(Reply::ok(shapes::git_tree(r, &tree, entries)))
}

/// `POST /git/commits`: `message`, `tree`, `parents`, optional `author` and `committer` (the
/// committer defaults to the author, both to the App's bot account).
fn new_commit(r: &Repo, body: &Map<String, Value>) -> Result<NewCommit, Reply> {
    let message = string_field(body, "message")?
        .ok_or_else(|| Reply::invalid("\"message\" wasn't supplied."))?;
    let tree =
        string_field(body, "tree")?.ok_or_else(|| Reply::invalid("\"tree\" wasn't supplied."))?;
    let files = r
        .trees
        .get(&tree)
        .cloned()
        .ok_or_else(|| Reply::error(422, "Tree SHA does not exist"))?;
    let modes = r.tree_modes.get(&tree).cloned().unwrap_or_default();
    let parents = match body.get("parents") {
        None | Some(Value::Null) => vec![],
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| match item {
                Value::String(sha) if r.commits.contains_key(sha) => Ok(sha.clone()),
                Value::String(_) => Err(Reply::error(
                    422,
                    "Parent SHA does not exist or is not a commit object",
                )),
                other => Err(Reply::invalid(&format!(
                    "For 'items', {other} is not a string."
                ))),
            })
            .collect::<Result<_, _>>()?,
        Some(other) => {
            return Err(Reply::invalid(&format!(
                "For 'properties/parents', {other} is not an array."
            )))
        }
    };
    // Without an author GitHub takes the authenticated account (the App's bot) and now; the
    // committer defaults to the author.
    let (author, date) = signature(r, body, "author")?.unwrap_or_else(|| {
        let email = format!("{}+{BOT_LOGIN}@users.noreply.github.com", shapes::APP_ID);
        (Author::new(BOT_LOGIN, &email).login(BOT_LOGIN), None)
    });
    let committer = signature(r, body, "committer")?;
    Ok(NewCommit {
        parents,
        message,
        author,
        date,
        committer,
        files,
        modes,
    })
}

fn issue_labels(r: &Repo, names: &[String]) -> Vec<Value> {
    names
        .iter()
        .filter_map(|n| r.label(n))
        .map(|l| shapes::label(r, l))
        .collect()
}

/// `{"labels": ["a", …]}`, a bare `["a", …]`, or either with `{"name": "a"}` items.
fn label_names(body: &Value) -> Result<Vec<String>, Reply> {
    let list = match body {
        Value::Object(map) => map.get("labels"),
        array @ Value::Array(_) => Some(array),
        _ => None,
    };
    let Some(Value::Array(items)) = list else {
        return Err(Reply::invalid("\"labels\" wasn't supplied."));
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(s) if !s.trim().is_empty() => Ok(s.clone()),
            Value::Object(o) => match o.get("name") {
                Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.clone()),
                _ => Err(Reply::invalid("Label names must be non-empty strings.")),
            },
            _ => Err(Reply::invalid("Label names must be non-empty strings.")),
        })
        .collect()
}

fn git_ref(r: &Repo, branch: &str, sha: &str) -> Value {
    let full = &r.full_name;
    json!({
        "ref": format!("refs/heads/{branch}"),
        "node_id": STANDARD.encode(format!("ref:{full}:{branch}").as_bytes()),
        "url": format!("{}/repos/{full}/git/refs/heads/{}", shapes::API, shapes::encode_path(branch)),
        "object": {
            "sha": sha,
            "type": "commit",
            "url": format!("{}/repos/{full}/git/commits/{sha}", shapes::API),
        },
    })
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
            Some((_, Op::RemoveLabel(repo, 3, label))) => {
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
}
