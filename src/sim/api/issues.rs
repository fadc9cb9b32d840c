//! Issues and what pull requests share with them: issues listed, created and edited, their
//! comments, their labels, and the repository's labels.

use serde_json::Value;

use super::{not_found, paged, repo, repo_mut, string_field, Reply, Request};
use crate::sim::shapes::{self, BOT_LOGIN};
use crate::sim::state::{Comment, Issue, Label, Repo, World};

/// What is asked of a repository's issues (`/issues…`) and labels (`/labels…`).
#[derive(Debug)]
pub(super) enum IssueOp {
    List,
    Create,
    Update(u64),
    Comments(u64),
    CreateComment(u64),
    UpdateComment(u64),
    Labels(u64),
    AddLabels(u64),
    RemoveLabel(u64, String),
    RepoLabels,
    CreateLabel,
    UpdateLabel(String),
}

/// Answers an issue or label operation on the repository `name` (already found visible to the caller).
pub(super) fn handle(
    w: &mut World,
    name: &str,
    op: IssueOp,
    req: &Request,
) -> Result<Reply, Reply> {
    let now = w.now();
    match op {
        IssueOp::List => {
            // Open issues and pull requests (GitHub lists both), oldest first; `labels` is a
            // comma-separated list an item must carry all of.
            let r = repo(w, name)?;
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
        IssueOp::Create => {
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
            let r = repo_mut(w, name)?;
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
        IssueOp::Update(n) => {
            let body = req.json_object()?;
            let r = repo_mut(w, name)?;
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
        IssueOp::Comments(n) => {
            let r = repo(w, name)?;
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
        IssueOp::CreateComment(n) => {
            let body = req.json_object()?;
            let text = string_field(&body, "body")?
                .ok_or_else(|| Reply::invalid("\"body\" wasn't supplied."))?;
            let id = w.id();
            let r = repo_mut(w, name)?;
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
        IssueOp::UpdateComment(id) => {
            let body = req.json_object()?;
            let text = string_field(&body, "body")?
                .ok_or_else(|| Reply::invalid("\"body\" wasn't supplied."))?;
            let r = repo_mut(w, name)?;
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
        IssueOp::Labels(n) => {
            let r = repo(w, name)?;
            let on = r.labels_of_issue(n).ok_or_else(not_found)?.clone();
            Ok(paged(req, issue_labels(r, &on)))
        }
        IssueOp::AddLabels(n) => {
            let names = label_names(&req.json()?)?;
            let mut fresh_ids: Vec<u64> = names.iter().map(|_| w.id()).collect();
            let r = repo_mut(w, name)?;
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
        IssueOp::RemoveLabel(n, label) => {
            let r = repo_mut(w, name)?;
            let on = r.labels_of_issue_mut(n).ok_or_else(not_found)?;
            let before = on.len();
            on.retain(|l| !l.eq_ignore_ascii_case(&label));
            if on.len() == before {
                return Err(Reply::error(404, "Label does not exist"));
            }
            let on = on.clone();
            Ok(Reply::ok(Value::Array(issue_labels(r, &on))))
        }
        IssueOp::RepoLabels => {
            let r = repo(w, name)?;
            let all = r.labels.iter().map(|l| shapes::label(r, l)).collect();
            Ok(paged(req, all))
        }
        IssueOp::CreateLabel => {
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
            let r = repo_mut(w, name)?;
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
        IssueOp::UpdateLabel(current) => {
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
            let r = repo_mut(w, name)?;
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
    }
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
