//! `POST /graphql`: the `updateRefs` mutation and the `nodes(ids:)` query for comments' editors.

use serde_json::{json, Map, Value};

use super::{repo, string_field, Caller, Reply};
use crate::sim::shapes;
use crate::sim::state::World;

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

/// `POST /graphql`: the two operations pushgate sends, told apart by their query text.
pub(super) fn handle(
    w: &mut World,
    caller: &Caller,
    body: &Map<String, Value>,
) -> Result<Reply, Reply> {
    let query = string_field(body, "query")?.unwrap_or_default();
    if query.contains("nodes(ids:") {
        return Ok(Reply::ok(editors(w, caller, body)));
    }
    if !query.contains("updateRefs") {
        return refused("the fake answers the updateRefs mutation and the nodes query only");
    }
    update_refs(w, caller, body)
}

/// GitHub's refusal of a mutation: 200, with `errors`.
fn refused(message: &str) -> Result<Reply, Reply> {
    Ok(Reply::ok(json!({
        "data": { "updateRefs": null },
        "errors": [{ "type": "UNPROCESSABLE", "message": message }],
    })))
}

/// The `updateRefs` mutation with `$repositoryId` and `$refUpdates` (`name`, `beforeOid`,
/// `afterOid`, `force`). All updates or none: each ref must be at its `beforeOid`, and without
/// `force` the update must be a fast-forward. GitHub answers 200 with `errors` when it
/// refuses, as here.
fn update_refs(w: &mut World, caller: &Caller, body: &Map<String, Value>) -> Result<Reply, Reply> {
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
