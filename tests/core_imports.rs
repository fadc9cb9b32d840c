//! The core's imports run one way: `src/core` names nothing of pushgate outside `crate::core`
//! (no config, store, GitHub adapter or handlers), reaches for no I/O, clock or async, and its
//! modules import one another without circles. These tests read the sources, so a change that
//! breaks a line fails here with the file and line, before review has to spot it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Paths the core must not use: the world (files, network, processes, environment, clock) and
/// the crates that reach it.
const WORLDLY: [&str; 12] = [
    "std::fs",
    "std::net",
    "std::process",
    "std::env",
    "std::io",
    "SystemTime",
    "Instant::now",
    "Utc::now",
    "tokio::",
    "sqlx::",
    "octocrab::",
    "reqwest::",
];

/// `src/core`, or the folder `PUSHGATE_CHECK_CORE` names: an older core can be checked with
/// this build, e.g. `git archive 505d136 src/core | tar -x -C /tmp/old` and
/// `PUSHGATE_CHECK_CORE=/tmp/old/src/core cargo test --test core_imports`.
fn core_dir() -> PathBuf {
    std::env::var_os("PUSHGATE_CHECK_CORE")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src/core"))
}

/// Every `.rs` file under `dir`, with its text.
fn sources(dir: &Path) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                out.push((path, text));
            }
        }
    }
    out.sort();
    out
}

/// The code of a line: what precedes a `//` comment.
fn code(line: &str) -> &str {
    line.split_once("//").map_or(line, |(code, _)| code)
}

/// Each `crate::` path in `line` that does not stay in `crate::core`, and each `super::` that
/// climbs out of it.
fn escapes(file: &Path, line: &str) -> Vec<String> {
    let mut found = Vec::new();
    for (at, _) in code(line).match_indices("crate::") {
        let rest = &line[at + "crate::".len()..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '{')
            .collect();
        if name != "core" {
            found.push(format!("crate::{name}"));
        }
    }
    let in_mod_rs = file.file_name().is_some_and(|n| n == "mod.rs");
    let code = code(line);
    if code.contains("super::super") || (in_mod_rs && code.contains("super::")) {
        found.push("super:: out of the core".to_string());
    }
    found.extend(
        WORLDLY
            .iter()
            .filter(|w| code.contains(*w))
            .map(|w| w.to_string()),
    );
    found
}

/// Every place in `files` where the core reaches outside itself, as `file:line: path`.
fn outside_uses(files: &[(PathBuf, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text) in files {
        for (index, line) in text.lines().enumerate() {
            for used in escapes(path, line) {
                out.push(format!("{}:{}: {used}", path.display(), index + 1));
            }
        }
    }
    out
}

#[test]
fn the_core_imports_nothing_outside_itself() {
    let files = sources(&core_dir());
    assert!(files.len() > 10, "the core's files were not found");
    let found = outside_uses(&files);
    assert!(
        found.is_empty(),
        "src/core must use only crate::core and no I/O:\n{}",
        found.join("\n")
    );
}

#[test]
fn the_check_sees_what_it_is_meant_to() {
    let file = Path::new("src/core/pull.rs");
    let lines = [
        ("use crate::config::Config;", true),
        ("    crate::config::Spelled(d).to_string()", true),
        ("use crate::{config, core};", true),
        ("let text = std::fs::read_to_string(p)?;", true),
        ("use crate::core::people::Person;", false),
        ("use super::text::short;", false),
        ("// see crate::config for the keys", false),
    ];
    for (line, escapes_core) in lines {
        assert_eq!(!escapes(file, line).is_empty(), escapes_core, "{line}");
    }
    assert!(!escapes(Path::new("src/core/mod.rs"), "use super::config;").is_empty());
}

/// Which core modules each core module names (`crate::core::x`, or `super::x` from a file
/// beside it), test modules included.
fn imports(files: &[(PathBuf, String)]) -> BTreeMap<String, BTreeSet<String>> {
    imports_under(files, "crate::core::")
}

/// Which sibling modules each module names: `{prefix}x`, `super::x`, or either followed by a
/// list in braces (`super::{acks, Context}`).
fn imports_under(files: &[(PathBuf, String)], prefix: &str) -> BTreeMap<String, BTreeSet<String>> {
    let module = |path: &Path| {
        path.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let names: BTreeSet<String> = files.iter().map(|(p, _)| module(p)).collect();
    let mut graph = BTreeMap::new();
    for (path, text) in files {
        let from = module(path);
        let mut to = BTreeSet::new();
        for line in text.lines().map(code) {
            for prefix in [prefix, "super::"] {
                for (at, _) in line.match_indices(prefix) {
                    let rest = &line[at + prefix.len()..];
                    let listed: Vec<&str> = match rest.strip_prefix('{') {
                        Some(list) => list.split('}').next().unwrap_or("").split(',').collect(),
                        None => vec![rest],
                    };
                    for item in listed {
                        let name: String = item
                            .trim()
                            .chars()
                            .take_while(|c| c.is_alphanumeric() || *c == '_')
                            .collect();
                        if name != from && names.contains(&name) {
                            to.insert(name);
                        }
                    }
                }
            }
        }
        graph.insert(from, to);
    }
    graph
}

/// One import circle, as the modules along it, when there is any.
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    // Depth-first search; a module met again while still on the path closes a circle.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|n| n == node) {
            let mut found = path[start..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, graph, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut Vec::new(), &mut done))
}

#[test]
fn core_modules_import_one_another_without_circles() {
    let graph = imports(&sources(&core_dir()));
    assert!(graph["report"].contains("pull"), "{graph:?}");
    if let Some(found) = circle(&graph) {
        panic!("an import circle in src/core: {}", found.join(" → "));
    }
}

#[test]
fn a_circle_is_found_and_named() {
    let graph: BTreeMap<String, BTreeSet<String>> = [
        ("pull", &["text", "report"][..]),
        ("report", &["release"][..]),
        ("release", &["pull"][..]),
        ("text", &[][..]),
    ]
    .into_iter()
    .map(|(from, to)| (from.to_string(), to.iter().map(|s| s.to_string()).collect()))
    .collect();
    assert_eq!(
        circle(&graph),
        Some(vec![
            "pull".to_string(),
            "report".to_string(),
            "release".to_string(),
            "pull".to_string()
        ])
    );
    let mut straight = graph;
    straight.insert("release".to_string(), BTreeSet::new());
    assert_eq!(circle(&straight), None);
}

/// The features in `src/handlers` import one another one way too: what several of them read
/// the same way (config, committers, a branch's tip, an embargo's hold) lives in `gather`,
/// which imports no feature.
#[test]
fn handler_modules_import_one_another_without_circles() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/handlers");
    let graph = imports_under(&sources(&dir), "crate::handlers::");
    assert!(graph["merge"].contains("gather"), "{graph:?}");
    assert!(graph["governance"].contains("acks"), "{graph:?}");
    assert!(
        graph["gather"].is_empty(),
        "gather imports a feature: {graph:?}"
    );
    if let Some(found) = circle(&graph) {
        panic!("an import circle in src/handlers: {}", found.join(" → "));
    }
}

/// GitHub's REST paths are spelled in `src/github` alone, which escapes what goes into them
/// (a branch once, whatever the call): the handlers, the worker, the CLI and the rest call a
/// method per operation. The fake (`src/sim`) answers those paths, and the dashboard serves
/// pages of its own under `/repos/`, so both may name them.
#[test]
fn no_github_path_is_spelled_outside_the_github_adapter() {
    let paths = [
        "\"/repos/",
        "\"/app/installations",
        "\"/installation/repositories",
        "\"/graphql",
    ];
    let found = code_lines_outside(&["github", "sim", "dashboard"], |code| {
        paths.iter().any(|p| code.contains(p))
    });
    assert!(
        found.is_empty(),
        "GitHub paths outside src/github:\n{}",
        found.join("\n")
    );
}

/// Nothing outside `src/github` (and the fake in `src/sim`) reads GitHub's JSON: payloads are
/// `github::webhook::Webhook` and answers are `github::model` types. A JSON-pointer read or a
/// field looked up by name on a JSON value elsewhere fails here.
#[test]
fn no_json_is_read_outside_the_github_adapter() {
    let found = code_lines_outside(&["github", "sim"], |code| {
        code.contains(".pointer(\"") || reads_a_field_by_name(code)
    });
    assert!(
        found.is_empty(),
        "JSON read outside src/github:\n{}",
        found.join("\n")
    );
}

/// `.get("name")` with a JSON field's name (lower case and `_`): a header or a map keyed by
/// other strings does not look like one.
fn reads_a_field_by_name(code: &str) -> bool {
    code.match_indices(".get(\"").any(|(at, found)| {
        let rest = &code[at + found.len()..];
        rest.split_once('"').is_some_and(|(name, after)| {
            !name.is_empty()
                && name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_')
                && after.starts_with(')')
        })
    })
}

/// The lines of `src` outside the folders `allowed` whose code (comments left out) `matches`,
/// as `path:line: text`.
fn code_lines_outside(allowed: &[&str], matches: impl Fn(&str) -> bool) -> Vec<String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let allowed: Vec<_> = allowed.iter().map(|d| src.join(d)).collect();
    let mut found = Vec::new();
    for (path, text) in sources(&src) {
        if allowed.iter().any(|a| path.starts_with(a)) {
            continue;
        }
        for (n, line) in text.lines().enumerate() {
            if matches(code(line)) {
                found.push(format!("{}:{}: {}", path.display(), n + 1, line.trim()));
            }
        }
    }
    found
}
