//! Git data and history: branches (refs), trees, blobs, commits made through the API, merges,
//! comparisons, file contents and the commit list.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::{not_found, paged, repo, repo_mut, string_field, Reply, Request};
use crate::sim::shapes::{self, BOT_LOGIN};
use crate::sim::state::{blob_sha, digest40, Author, Merged, NewCommit, Repo, World};

/// GitHub's truncation of a comparison, which it does without an error: 250 commits and 300
/// files.
const LIST_LIMIT_COMPARE_COMMITS: usize = 250;
const LIST_LIMIT_COMPARE_FILES: usize = 300;

/// What is asked of a repository's git data (`/git/…`, `/merges`, `/compare`, `/contents`,
/// `/commits`).
#[derive(Debug)]
pub(super) enum GitOp {
    GetRef(String),
    CreateRef,
    UpdateRef(String),
    DeleteRef(String),
    Commit(String),
    CreateCommit,
    CreateTree,
    Tree(String),
    Blob(String),
    Merge,
    Compare(String),
    Contents(String),
    Commits,
}

/// Answers a git data operation on the repository `name` (already found visible to the caller).
pub(super) fn handle(w: &mut World, name: &str, op: GitOp, req: &Request) -> Result<Reply, Reply> {
    match op {
        GitOp::Contents(path) => contents(repo(w, name)?, &path, req),
        GitOp::Compare(spec) => compare(repo(w, name)?, &spec),
        GitOp::Commits => list_commits(repo(w, name)?, req),
        GitOp::GetRef(branch) => {
            let r = repo(w, name)?;
            let sha = r.branches.get(&branch).ok_or_else(not_found)?;
            Ok(Reply::ok(git_ref(r, &branch, sha)))
        }
        GitOp::CreateRef => {
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
            let r = repo(w, name)?;
            if !r.commits.contains_key(&sha) {
                return Err(Reply::error(422, "Object does not exist"));
            }
            if r.branches.contains_key(branch) {
                return Err(Reply::error(422, "Reference already exists"));
            }
            let full_name = r.full_name.clone();
            w.set_branch(&full_name, branch, &sha);
            let r = repo(w, name)?;
            Ok(Reply::created(git_ref(r, branch, &sha)))
        }
        GitOp::UpdateRef(branch) => {
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
            let r = repo(w, name)?;
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
            let r = repo(w, name)?;
            Ok(Reply::ok(git_ref(r, &branch, &sha)))
        }
        GitOp::DeleteRef(branch) => {
            let r = repo_mut(w, name)?;
            if r.branches.remove(&branch).is_none() {
                return Err(Reply::error(422, "Reference does not exist"));
            }
            Ok(Reply::no_content())
        }
        GitOp::Commit(sha) => {
            let r = repo(w, name)?;
            let commit = r.commits.get(&sha).ok_or_else(not_found)?;
            Ok(Reply::ok(shapes::git_commit(r, commit)))
        }
        GitOp::CreateCommit => {
            let new = new_commit(repo(w, name)?, &req.json_object()?)?;
            let sha = w.create_commit(name, new).ok_or_else(not_found)?;
            let r = repo(w, name)?;
            let commit = r.commits.get(&sha).ok_or_else(not_found)?;
            Ok(Reply::created(shapes::git_commit(r, commit)))
        }
        GitOp::CreateTree => create_tree(repo_mut(w, name)?, &req.json_object()?),
        GitOp::Tree(sha) => get_tree(repo_mut(w, name)?, &sha, req),
        GitOp::Blob(sha) => {
            let r = repo(w, name)?;
            let content = r.blobs.get(&sha).ok_or_else(not_found)?;
            Ok(Reply::ok(shapes::git_blob(r, &sha, content)))
        }
        GitOp::Merge => {
            let body = req.json_object()?;
            let base = string_field(&body, "base")?
                .ok_or_else(|| Reply::invalid("\"base\" wasn't supplied."))?;
            let head = string_field(&body, "head")?
                .ok_or_else(|| Reply::invalid("\"head\" wasn't supplied."))?;
            let message = string_field(&body, "commit_message")?
                .unwrap_or_else(|| format!("Merge {head} into {base}"));
            match w.merge_three_way(name, &base, &head, &message) {
                Merged::Missing(what) => Err(Reply::error(404, &format!("{what} does not exist"))),
                Merged::Nothing => Ok(Reply::no_content()),
                Merged::Conflict(_) => Err(Reply::error(409, "Merge conflict")),
                Merged::Made(sha) => {
                    let r = repo(w, name)?;
                    let commit = r.commits.get(&sha).ok_or_else(not_found)?;
                    Ok(Reply::created(shapes::commit(r, commit)))
                }
            }
        }
    }
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
                    Some(mode) if mode != crate::sim::state::PLAIN => {
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
