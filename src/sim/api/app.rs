//! The App's side: installation tokens, installations, an installation's repositories, a
//! repository, and a collaborator's permission.

use serde_json::{json, Value};

use super::{not_found, page, paged, repo, with_link, Caller, Reply, Request};
use crate::sim::shapes;
use crate::sim::state::{digest40, Token, World};

/// What is asked of the App and its installations, or of a repository as a whole.
#[derive(Debug)]
pub(super) enum AppOp {
    MintToken(u64),
    Installations,
    InstallationRepos,
    Repo(String),
    Permission(String, String),
}

impl AppOp {
    pub(super) fn repo(&self) -> Option<&str> {
        match self {
            AppOp::MintToken(_) | AppOp::Installations | AppOp::InstallationRepos => None,
            AppOp::Repo(r) | AppOp::Permission(r, _) => Some(r),
        }
    }
}

/// A new installation token, known to the world until revoked.
pub(crate) fn mint(w: &mut World, installation: u64) -> String {
    w.minted += 1;
    let mut token = digest40(&format!("token:{installation}:{}", w.minted));
    token.truncate(36);
    let token = format!("ghs_{token}");
    w.tokens.insert(token.clone(), Token { installation });
    token
}

/// Answers an App, installation or repository operation.
pub(super) fn handle(
    w: &mut World,
    op: AppOp,
    caller: &Caller,
    req: &Request,
) -> Result<Reply, Reply> {
    let now = w.now();
    match op {
        AppOp::MintToken(id) => {
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
        AppOp::Installations => {
            let all: Vec<Value> = w
                .installations
                .iter()
                .map(|(id, account)| shapes::installation(*id, account))
                .collect();
            Ok(paged(req, all))
        }
        AppOp::InstallationRepos => {
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
        AppOp::Repo(name) => Ok(Reply::ok(shapes::repository(repo(w, &name)?, now))),
        AppOp::Permission(name, login) => {
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
    }
}
