//! Check runs (created, updated, re-requested, listed for a ref) and a ref's combined status.

use serde_json::{json, Map, Value};

use super::{not_found, page, repo, repo_mut, string_field, with_link, Reply, Request};
use crate::sim::shapes;
use crate::sim::state::{CheckRun, Output, World};

/// GitHub's limit on a check run's `output.summary` and `output.text` (SPEC §9).
const MAX_OUTPUT_CHARS: usize = 65_535;
const MAX_ANNOTATIONS: usize = 50;

/// What is asked of a repository's check runs (`/check-runs…`) and statuses.
#[derive(Debug)]
pub(super) enum CheckOp {
    Create,
    Update(u64),
    Rerequest(u64),
    ForRef(String),
    CombinedStatus(String),
}

/// Answers a check-run or status operation on the repository `name` (already found visible to the caller).
pub(super) fn handle(
    w: &mut World,
    name: &str,
    op: CheckOp,
    req: &Request,
) -> Result<Reply, Reply> {
    let now = w.now();
    match op {
        CheckOp::Create => {
            let body = req.json_object()?;
            let id = w.id();
            let r = repo_mut(w, name)?;
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
        CheckOp::Rerequest(id) => {
            // GitHub answers 201 with no body and sends `check_run` `rerequested` to the app
            // that owns the run; the run itself is not changed.
            let r = repo_mut(w, name)?;
            let run = r
                .check_runs
                .iter_mut()
                .find(|c| c.id == id)
                .ok_or_else(not_found)?;
            run.rerequests += 1;
            Ok(Reply::created(json!({})))
        }
        CheckOp::Update(id) => {
            let body = req.json_object()?;
            let r = repo_mut(w, name)?;
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
        CheckOp::ForRef(rev) => {
            let r = repo(w, name)?;
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
        CheckOp::CombinedStatus(rev) => {
            let r = repo(w, name)?;
            let sha = r.resolve(&rev).ok_or_else(not_found)?;
            Ok(Reply::ok(shapes::combined_status(r, &sha)))
        }
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
