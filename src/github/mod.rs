//! The GitHub adapter: App authentication (octocrab mints the RS256 JWT — `iat` 60 s in the
//! past, nine minutes of life — and caches installation tokens until shortly before they
//! expire), the REST calls pushgate makes, and our own retry loop so that every call is
//! counted and rate limits are honoured the way GitHub documents them.
//!
//! Answers and webhook payloads leave this module typed ([`model`], [`webhook`]), decoded
//! leniently: octocrab's models are strict and fail on a missing field GitHub always sends
//! (SPEC §9), while pushgate reads a handful. Whether a call whose answer was lost is sent
//! again is each operation's own `Replay`.

pub mod model;
pub mod names;
mod rest;
pub mod signature;
pub mod webhook;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use octocrab::models::{AppId, InstallationId};
use octocrab::service::middleware::retry::RetryConfig;
use octocrab::Octocrab;
use serde_json::Value;

use crate::metrics::Metrics;
pub use names::{BranchName, NameError, PrNumber, RepoName, Rev, Sha};

/// How a GitHub call failed, once retries are spent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GitHubError {
    /// Worth trying again later (5xx, rate limit, network); `retry_after` in seconds when
    /// GitHub said how long to wait.
    #[error("GitHub is unavailable for {endpoint}: {message}")]
    Transient {
        endpoint: String,
        message: String,
        retry_after: Option<u64>,
    },
    /// GitHub refused the request (4xx): retrying will not help; tell the user.
    #[error("GitHub answered {status} for {endpoint}: {message}")]
    Refused {
        endpoint: String,
        status: u16,
        message: String,
    },
    #[error("unexpected answer from GitHub for {endpoint}: {message}")]
    Unexpected { endpoint: String, message: String },
    #[error("GitHub App setup: {0}")]
    Setup(String),
}

impl GitHubError {
    pub fn is_transient(&self) -> bool {
        matches!(self, GitHubError::Transient { .. })
    }

    pub fn not_found(&self) -> bool {
        matches!(self, GitHubError::Refused { status: 404, .. })
    }
}

/// Retry settings for one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Retry {
    pub attempts: u32,
    /// First backoff after a 5xx or network error; doubled each time.
    pub backoff: Duration,
    /// Longer rate-limit waits are not slept through: the delivery is rescheduled instead.
    pub max_inline_wait: Duration,
}

impl Default for Retry {
    fn default() -> Self {
        Retry {
            attempts: 4,
            backoff: Duration::from_millis(200),
            max_inline_wait: Duration::from_secs(10),
        }
    }
}

/// The App: its identity, and one client per installation.
pub struct GitHub {
    base: String,
    app: Arc<Octocrab>,
    /// GitHub Enterprise Server answers GraphQL beside its REST root, not under it.
    graphql: Option<Arc<Octocrab>>,
    /// One client per installation, shared: octocrab caches the installation token inside a
    /// client, and a clone would start with a copy of it rather than share it.
    installations: Mutex<HashMap<i64, Arc<Octocrab>>>,
    metrics: Arc<Metrics>,
    retry: Retry,
}

impl std::fmt::Debug for GitHub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print keys or tokens.
        f.debug_struct("GitHub").field("base", &self.base).finish()
    }
}

impl GitHub {
    /// `base` is the API root (`https://api.github.com`, or the simulator's address).
    pub fn new(
        base: &str,
        app_id: u64,
        private_key_pem: &[u8],
        metrics: Arc<Metrics>,
        retry: Retry,
    ) -> Result<GitHub, GitHubError> {
        let key =
            octocrab::jsonwebtoken::EncodingKey::from_rsa_pem(private_key_pem).map_err(|e| {
                GitHubError::Setup(format!("the private key is not an RSA PEM key: {e}"))
            })?;
        let base = base.trim_end_matches('/').to_string();
        let app = Octocrab::builder()
            .base_uri(base.as_str())
            .map_err(|e| GitHubError::Setup(format!("bad API address `{base}`: {e}")))?
            .add_retry_config(RetryConfig::None)
            .set_connect_timeout(Some(Duration::from_secs(10)))
            .set_read_timeout(Some(Duration::from_secs(30)))
            .app(AppId(app_id), key)
            .build()
            .map_err(|e| GitHubError::Setup(e.to_string()))?;
        let graphql = graphql_client(&base)?;
        Ok(GitHub {
            base,
            app: Arc::new(app),
            graphql,
            installations: Mutex::new(HashMap::new()),
            metrics,
            retry,
        })
    }

    /// A client acting as one installation; its token is minted on first use and cached.
    pub fn installation(&self, id: i64) -> Result<Installation, GitHubError> {
        let mut cache = match self.installations.lock() {
            Ok(cache) => cache,
            Err(poisoned) => poisoned.into_inner(),
        };
        let crab = match cache.get(&id) {
            Some(crab) => crab.clone(),
            None => {
                let crab = Arc::new(
                    self.app
                        .installation(InstallationId(id as u64))
                        .map_err(|e| GitHubError::Setup(e.to_string()))?,
                );
                cache.insert(id, crab.clone());
                crab
            }
        };
        Ok(Installation {
            api: Api {
                crab,
                graphql: self.graphql.clone(),
                token: None,
                metrics: self.metrics.clone(),
                retry: self.retry,
            },
        })
    }

    /// Calls made as the App itself (JWT), e.g. listing installations.
    pub fn as_app(&self) -> Api {
        Api {
            crab: self.app.clone(),
            graphql: None,
            token: None,
            metrics: self.metrics.clone(),
            retry: self.retry,
        }
    }
}

/// Where GraphQL is answered when it is not `{base}/graphql`: GitHub Enterprise Server's REST
/// root is `https://HOST/api/v3` and its GraphQL endpoint `https://HOST/api/graphql`. None for
/// github.com and any other root (the simulator's), which answer `{base}/graphql`.
fn graphql_root(base: &str) -> Option<String> {
    base.trim_end_matches('/')
        .strip_suffix("/api/v3")
        .map(|host| format!("{host}/api"))
}

/// A client without credentials of its own for [`graphql_root`]; each request carries the
/// identity's token in its header.
fn graphql_client(base: &str) -> Result<Option<Arc<Octocrab>>, GitHubError> {
    let Some(root) = graphql_root(base) else {
        return Ok(None);
    };
    let crab = Octocrab::builder()
        .base_uri(root.as_str())
        .map_err(|e| GitHubError::Setup(format!("bad GraphQL address `{root}`: {e}")))?
        .add_retry_config(RetryConfig::None)
        .set_connect_timeout(Some(Duration::from_secs(10)))
        .set_read_timeout(Some(Duration::from_secs(30)))
        .build()
        .map_err(|e| GitHubError::Setup(e.to_string()))?;
    Ok(Some(Arc::new(crab)))
}

/// A client with one identity (the App, or an installation) and our retry loop.
#[derive(Clone)]
pub struct Api {
    crab: Arc<Octocrab>,
    /// Set on GitHub Enterprise Server: the client `POST /graphql` goes through.
    graphql: Option<Arc<Octocrab>>,
    /// A plain token's text (the CLI and the Action), for the GraphQL client's header.
    token: Option<Arc<str>>,
    metrics: Arc<Metrics>,
    retry: Retry,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
    Patch,
    Delete,
}

/// Whether a call may be sent again when its answer was lost (a 5xx or a broken connection,
/// after which GitHub may or may not have done it). Each operation in `rest.rs` says which it
/// is; [`Api::call`] takes the method's usual answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::github) enum Replay {
    /// A second one changes nothing: reads (also GraphQL queries, sent as POST), updates to a
    /// given state, deletions, adding labels to an issue.
    Safe,
    /// A second one would be a second object (a comment, an issue, a label, a check run, a
    /// commit, a ref) or a stale compare-and-swap: the delivery is re-run instead, and its
    /// handler looks before it creates.
    Never,
}

impl Replay {
    /// Every method but POST sets or reads a state; a POST creates.
    fn of(method: Method) -> Replay {
        match method {
            Method::Post => Replay::Never,
            Method::Get | Method::Patch | Method::Delete => Replay::Safe,
        }
    }
}

impl Api {
    /// One REST call with retries, replayed as its method usually may be ([`Replay::of`]).
    /// `path` starts with `/`. Returns the JSON body (Null when empty).
    pub(in crate::github) async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, GitHubError> {
        self.send(method, path, body, Replay::of(method)).await
    }

    /// One call with retries; a lost answer is asked again only when `replay` allows.
    pub(in crate::github) async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        replay: Replay,
    ) -> Result<Value, GitHubError> {
        // A path, not a full URL: octocrab adds its base and only then sends credentials.
        let url = path.to_string();
        let endpoint = format!("{method:?} {}", path.split('?').next().unwrap_or(path));
        let mut backoff = self.retry.backoff;
        let mut last = None;
        for attempt in 0..self.retry.attempts.max(1) {
            if attempt > 0 {
                tracing::debug!(%endpoint, attempt, "retrying GitHub call");
            }
            let sent = match method {
                Method::Post if path == GRAPHQL => match &self.graphql {
                    Some(client) => match self.graphql_request(client, body).await {
                        Ok(request) => client.execute(request).await,
                        Err(e) => Err(e),
                    },
                    None => self.crab._post(url.as_str(), body).await,
                },
                Method::Get => self.crab._get(url.as_str()).await,
                Method::Post => self.crab._post(url.as_str(), body).await,
                Method::Patch => self.crab._patch(url.as_str(), body).await,
                Method::Delete => self.crab._delete(url.as_str(), body).await,
            };
            let response = match sent {
                Ok(response) => response,
                // The installation token request failed with an answer: a 4xx (unknown or
                // removed installation, revoked key) is final; a 5xx or 429 is worth a retry.
                Err(octocrab::Error::GitHub { source, .. })
                    if source.status_code.is_client_error()
                        && source.status_code.as_u16() != 429 =>
                {
                    self.metrics.github_call("client_error");
                    return Err(GitHubError::Refused {
                        endpoint: "POST /app/installations/{id}/access_tokens".to_string(),
                        status: source.status_code.as_u16(),
                        message: source.message.clone(),
                    });
                }
                Err(e) => {
                    self.metrics.github_call("transport");
                    let error = GitHubError::Transient {
                        endpoint: endpoint.clone(),
                        message: short_error(&e),
                        retry_after: None,
                    };
                    // A POST creates something, and may have done so before the answer was
                    // lost: it is not sent again blindly. The delivery is re-run instead, and
                    // its handler looks before it creates.
                    if replay == Replay::Never {
                        return Err(error);
                    }
                    last = Some(error);
                    tokio::time::sleep(backoff).await;
                    backoff *= 2;
                    continue;
                }
            };
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let header = |name: &str| {
                headers
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            if let Some(remaining) = header("x-ratelimit-remaining").and_then(|v| v.parse().ok()) {
                self.metrics.rate_limit_remaining.set(remaining);
            }
            let text = self.crab.body_to_string(response).await.unwrap_or_default();
            if (200..300).contains(&status) {
                self.metrics.github_call("ok");
                if text.trim().is_empty() {
                    return Ok(Value::Null);
                }
                return serde_json::from_str(&text).map_err(|e| GitHubError::Unexpected {
                    endpoint,
                    message: format!("not JSON: {e}"),
                });
            }
            let message = serde_json::from_str::<Value>(&text)
                .ok()
                .and_then(|v| v.get("message").and_then(Value::as_str).map(str::to_string))
                .unwrap_or_else(|| text.chars().take(200).collect());
            let retry_after = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok());
            let exhausted = header("x-ratelimit-remaining").as_deref() == Some("0");
            // A secondary limit may come without either header; GitHub's message says what it is.
            let said = message.to_ascii_lowercase().contains("rate limit");
            // Rate limits (SPEC §9): retry-after, else x-ratelimit-reset, else a minute.
            if status == 429 || (status == 403 && (retry_after.is_some() || exhausted || said)) {
                self.metrics.github_call("rate_limited");
                // The reset time is the hourly budget's: it counts only when that is spent.
                let reset = || {
                    header("x-ratelimit-reset")
                        .and_then(|v| v.parse::<i64>().ok())
                        .map(|reset| (reset - chrono::Utc::now().timestamp()).max(1) as u64)
                };
                let wait = retry_after
                    .or_else(|| exhausted.then(reset).flatten())
                    .unwrap_or(60);
                let error = GitHubError::Transient {
                    endpoint: endpoint.clone(),
                    message: format!("rate limited ({status}): {message}"),
                    retry_after: Some(wait),
                };
                if Duration::from_secs(wait) > self.retry.max_inline_wait {
                    return Err(error);
                }
                last = Some(error);
                tokio::time::sleep(Duration::from_secs(wait)).await;
                continue;
            }
            if status >= 500 {
                self.metrics.github_call("server_error");
                let error = GitHubError::Transient {
                    endpoint: endpoint.clone(),
                    message: format!("{status}: {message}"),
                    retry_after: None,
                };
                if replay == Replay::Never {
                    return Err(error);
                }
                last = Some(error);
                tokio::time::sleep(backoff).await;
                backoff *= 2;
                continue;
            }
            self.metrics.github_call("client_error");
            return Err(GitHubError::Refused {
                endpoint,
                status,
                message,
            });
        }
        Err(last.unwrap_or(GitHubError::Transient {
            endpoint,
            message: "no attempt made".to_string(),
            retry_after: None,
        }))
    }

    pub(in crate::github) async fn get(&self, path: &str) -> Result<Value, GitHubError> {
        self.call(Method::Get, path, None).await
    }

    /// GET of a list, following `page` until a short page (at most `pages` pages).
    pub(in crate::github) async fn get_list(
        &self,
        path: &str,
        pages: u32,
    ) -> Result<Vec<Value>, GitHubError> {
        let mut all = Vec::new();
        let separator = if path.contains('?') { '&' } else { '?' };
        for page in 1..=pages.max(1) {
            let value = self
                .get(&format!("{path}{separator}per_page=100&page={page}"))
                .await?;
            let items = match value {
                Value::Array(items) => items,
                // `/installation/repositories` wraps its list.
                Value::Object(mut map) => match map.remove("repositories") {
                    Some(Value::Array(items)) => items,
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            };
            let short = items.len() < 100;
            all.extend(items);
            if short {
                break;
            }
        }
        Ok(all)
    }

    /// [`Api::get_list`] read to the end: `None` when the list goes on past `pages` pages of
    /// 100, so that a caller can refuse to judge a prefix. A last page that is full costs one
    /// more request to see that nothing follows.
    pub(in crate::github) async fn get_list_to_end(
        &self,
        path: &str,
        pages: u32,
    ) -> Result<Option<Vec<Value>>, GitHubError> {
        let pages = pages.max(1);
        let all = self.get_list(path, pages).await?;
        if all.len() < 100 * pages as usize {
            return Ok(Some(all));
        }
        let separator = if path.contains('?') { '&' } else { '?' };
        let next = self
            .get(&format!("{path}{separator}per_page=100&page={}", pages + 1))
            .await?;
        let more = next.as_array().is_none_or(|items| !items.is_empty());
        Ok((!more).then_some(all))
    }
}

impl Api {
    /// `POST /graphql` for [`Api::graphql`]'s client, with this identity's token: a plain
    /// token as given, an installation's as octocrab minted and caches it.
    async fn graphql_request(
        &self,
        client: &Octocrab,
        body: Option<&Value>,
    ) -> octocrab::Result<axum::http::Request<octocrab::OctoBody>> {
        use octocrab::secrecy::ExposeSecret;
        let token = match &self.token {
            Some(token) => token.to_string(),
            None => self
                .crab
                .installation_token()
                .await?
                .expose_secret()
                .to_string(),
        };
        let request = axum::http::Request::builder()
            .method(axum::http::Method::POST)
            .uri(GRAPHQL)
            .header(axum::http::header::AUTHORIZATION, format!("Bearer {token}"));
        client.build_request(request, body)
    }
}

/// How a compare-and-swap update of a branch ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefMove {
    Moved,
    /// GitHub refused: the branch was not at the expected SHA, or the update is not a
    /// fast-forward, or a rule forbids it. Nothing changed.
    Refused(String),
}

/// GraphQL's path under the API root (see [`graphql_root`] for where it is not).
const GRAPHQL: &str = "/graphql";

/// GitHub's `updateRefs` mutation: the REST ref update has no "only if it is still at …".
const UPDATE_REFS: &str = "mutation($repositoryId: ID!, $refUpdates: [RefUpdate!]!) { \
    updateRefs(input: {repositoryId: $repositoryId, refUpdates: $refUpdates}) { clientMutationId } }";

impl Api {
    /// Moves `branch` of `repo` from exactly `from` to `to`, by fast-forward only: GitHub
    /// checks both atomically (GraphQL `updateRefs` with `beforeOid` and `force: false`), so a
    /// branch moved or rewound by anyone meanwhile stays as it is.
    pub async fn fast_forward(
        &self,
        repo: &RepoName,
        branch: &BranchName,
        from: &Sha,
        to: &Sha,
    ) -> Result<RefMove, GitHubError> {
        let node = self.get(&format!("/repos/{repo}")).await?;
        let repository_id = text(&node, "/node_id");
        let body = serde_json::json!({
            "query": UPDATE_REFS,
            "variables": {
                "repositoryId": repository_id,
                "refUpdates": [{
                    "name": branch.full_ref(),
                    "beforeOid": from.as_str(),
                    "afterOid": to.as_str(),
                    "force": false,
                }],
            },
        });
        let answer = match self.call(Method::Post, GRAPHQL, Some(&body)).await {
            Ok(answer) => answer,
            Err(GitHubError::Refused { message, .. }) => return Ok(RefMove::Refused(message)),
            Err(e) => return Err(e),
        };
        let errors: Vec<String> = answer
            .get("errors")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|e| text(e, "/message"))
            .collect();
        if errors.is_empty()
            && answer
                .pointer("/data/updateRefs")
                .is_some_and(|v| !v.is_null())
        {
            Ok(RefMove::Moved)
        } else if errors.is_empty() {
            Err(GitHubError::Unexpected {
                endpoint: "POST /graphql".to_string(),
                message: "updateRefs answered neither data nor errors".to_string(),
            })
        } else {
            Ok(RefMove::Refused(errors.join("; ")))
        }
    }
}

/// GraphQL's `nodes` query for the last editor of comments, by node id.
const EDITORS: &str = "query($ids: [ID!]!) { nodes(ids: $ids) { \
    ... on IssueComment { id editor { login } } \
    ... on PullRequestReviewComment { id editor { login } } } }";

impl Api {
    /// Who last edited each of these comments (issue comments and inline review comments, by
    /// `node_id`), as GitHub records it: the REST API does not say. A comment GitHub answers
    /// nothing for (unknown, or never edited) is absent from the map.
    pub async fn last_editors(
        &self,
        node_ids: &[String],
    ) -> Result<HashMap<String, String>, GitHubError> {
        let mut editors = HashMap::new();
        for chunk in node_ids.chunks(100) {
            let body = serde_json::json!({ "query": EDITORS, "variables": { "ids": chunk } });
            let answer = self
                .send(Method::Post, GRAPHQL, Some(&body), Replay::Safe)
                .await?;
            if let Some(error) = answer.pointer("/errors/0/message").and_then(Value::as_str) {
                return Err(GitHubError::Unexpected {
                    endpoint: "POST /graphql".to_string(),
                    message: error.to_string(),
                });
            }
            let nodes = answer
                .pointer("/data/nodes")
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            for node in nodes {
                let (id, editor) = (text(node, "/id"), text(node, "/editor/login"));
                if !id.is_empty() && !editor.is_empty() {
                    editors.insert(id, editor);
                }
            }
        }
        Ok(editors)
    }
}

impl Api {
    /// A client acting with a plain token (the CLI and the Action: `GITHUB_TOKEN`).
    pub fn with_token(
        base: &str,
        token: &str,
        metrics: Arc<Metrics>,
        retry: Retry,
    ) -> Result<Api, GitHubError> {
        let crab = Octocrab::builder()
            .base_uri(base.trim_end_matches('/'))
            .map_err(|e| GitHubError::Setup(format!("bad API address `{base}`: {e}")))?
            .add_retry_config(RetryConfig::None)
            .personal_token(token.to_string())
            .build()
            .map_err(|e| GitHubError::Setup(e.to_string()))?;
        Ok(Api {
            crab: Arc::new(crab),
            graphql: graphql_client(base)?,
            token: Some(Arc::from(token)),
            metrics,
            retry,
        })
    }

    /// A file's text at a commit or branch, None when it does not exist there.
    pub async fn file_at(
        &self,
        repo: &RepoName,
        file: &str,
        rev: Rev<'_>,
    ) -> Result<Option<String>, GitHubError> {
        let answer = self
            .get(&format!(
                "/repos/{repo}/contents/{}?ref={}",
                path(file),
                segment(rev.as_str())
            ))
            .await;
        let value = match answer {
            Ok(value) => value,
            Err(e) if e.not_found() => return Ok(None),
            Err(e) => return Err(e),
        };
        if text(&value, "/type") != "file" {
            return Ok(None);
        }
        decode_content(&value, || format!("GET /repos/{repo}/contents/{file}")).map(Some)
    }

    /// A tree's direct entries; a commit's sha names its root tree. GitHub may truncate a very
    /// large listing: that is an error here, not a directory that looks smaller than it is.
    pub async fn tree(&self, repo: &RepoName, sha: &Sha) -> Result<Tree, GitHubError> {
        let value = self
            .get(&format!("/repos/{repo}/git/trees/{}", segment(sha)))
            .await?;
        let unexpected = |message: &str| GitHubError::Unexpected {
            endpoint: format!("GET /repos/{repo}/git/trees/{sha}"),
            message: message.to_string(),
        };
        if value.get("truncated").and_then(Value::as_bool) == Some(true) {
            return Err(unexpected("the tree listing is truncated"));
        }
        let entries = value
            .get("tree")
            .and_then(Value::as_array)
            .ok_or_else(|| unexpected("no `tree` array"))?;
        let mut tree = Tree::default();
        for entry in entries {
            let name = text(entry, "/path");
            let sha = Sha::parse(&text(entry, "/sha")).map_err(|e| unexpected(&e.to_string()))?;
            match entry.get("type").and_then(Value::as_str) {
                Some("blob") => tree.blobs.insert(name, sha),
                Some("tree") => tree.trees.insert(name, sha),
                // Submodules (`commit`) hold no files of this repository.
                _ => None,
            };
        }
        Ok(tree)
    }

    /// A blob's text, by its sha.
    pub async fn blob(&self, repo: &RepoName, sha: &Sha) -> Result<String, GitHubError> {
        let value = self
            .get(&format!("/repos/{repo}/git/blobs/{}", segment(sha)))
            .await?;
        decode_content(&value, || format!("GET /repos/{repo}/git/blobs/{sha}"))
    }
}

/// The direct entries of a git tree: file name → blob sha, directory name → tree sha.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tree {
    pub blobs: BTreeMap<String, Sha>,
    pub trees: BTreeMap<String, Sha>,
}

/// The text of a base64 `content` field (contents and blobs), with GitHub's line breaks.
fn decode_content(value: &Value, endpoint: impl Fn() -> String) -> Result<String, GitHubError> {
    use base64::Engine;
    let encoded: String = text(value, "/content")
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| GitHubError::Unexpected {
            endpoint: endpoint(),
            message: format!("bad base64: {e}"),
        })?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Calls made as an installation.
#[derive(Clone)]
pub struct Installation {
    pub api: Api,
}

fn short_error(e: &octocrab::Error) -> String {
    let text = e.to_string();
    text.chars().take(300).collect()
}

/// Reads a string field at a JSON pointer (`/user/login`), empty when absent.
pub(in crate::github) fn text(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// Percent-encodes one path segment (label names contain `:` and spaces).
pub(in crate::github) fn segment(raw: &str) -> String {
    use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
    // RFC 3986's unreserved characters stay; everything else is written `%XX`.
    const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~');
    utf8_percent_encode(raw, UNRESERVED).to_string()
}

/// Percent-encodes a path, keeping its `/`.
pub(in crate::github) fn path(raw: &str) -> String {
    raw.split('/').map(segment).collect::<Vec<_>>().join("/")
}
