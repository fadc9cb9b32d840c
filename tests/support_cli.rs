//! `pushgate support` as a user runs it: JSON shape, unreadable lines named with their line
//! numbers (exit 1), a missing file (exit 2).

use std::process::Command;

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pushgate"))
        .args(args)
        .output()
        .expect("run pushgate");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn json_lists_features_statuses_and_unparsed_lines() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("SUPPORT.md");
    std::fs::write(
        &file,
        "# Feature Support\n\n## Guests\n\n### PV\n\n    Status, x86_64: Supported\n    Status: Sometimes\n\n### HVM\n\n\tStatus: Tech Preview\n",
    )
    .unwrap();
    let (code, stdout, stderr) = run(&["support", "--json", &file.to_string_lossy()]);
    assert_eq!(code, 1, "an unreadable line makes the exit code 1");
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(value["features"][0]["category"], "Guests");
    assert_eq!(value["features"][0]["statuses"][0]["qualifier"], "x86_64");
    assert_eq!(value["features"][0]["statuses"][0]["status"], "Supported");
    assert_eq!(
        value["features"][1]["statuses"][0]["qualifier"],
        serde_json::Value::Null
    );
    assert_eq!(value["features"][1]["statuses"][0]["status"], "Preview");
    assert_eq!(value["unparsed"][0]["line"], 8);
    assert!(stderr.contains("SUPPORT.md:8"), "{stderr}");
}

#[test]
fn missing_file_is_exit_2() {
    let (code, _, stderr) = run(&["support", "/nonexistent/SUPPORT.md"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("/nonexistent/SUPPORT.md"), "{stderr}");
    assert!(!stderr.contains("panicked"));
}

/// Xen's real SUPPORT.md reads whole: 208 status lines in 132 features. (It lived in
/// `core::support`'s tests; reading the corpus is I/O, which the core does not do.)
#[test]
fn xens_support_md_has_208_status_lines_in_132_features() {
    let Some(text) = pushgate::corpus::read("xen/SUPPORT.md").unwrap() else {
        return;
    };
    let m = pushgate::core::support::parse_support(&text);
    assert_eq!(m.unparsed, []);
    assert_eq!(
        m.unfamiliar,
        [],
        "every phrasing of today's file is a known one"
    );
    assert_eq!(m.features.len(), 132);
    assert_eq!(
        m.features.iter().map(|f| f.statuses.len()).sum::<usize>(),
        208
    );
}

/// Every feature of Xen's real SUPPORT.md gets a label of its own, within GitHub's 50
/// characters, and each label reads back as its feature (five Xen names are longer).
#[test]
fn every_xen_feature_gets_a_distinct_label_that_names_it() {
    use pushgate::core::labels::{feature_label, feature_named_by, repository_labels};
    let Some(text) = pushgate::corpus::read("xen/SUPPORT.md").unwrap() else {
        return;
    };
    let matrix = pushgate::core::support::parse_support(&text);
    let (specs, unlabelled) = repository_labels(&matrix);
    assert!(unlabelled.is_empty(), "{unlabelled:?}");
    let features: Vec<_> = specs
        .iter()
        .filter(|s| s.name.starts_with("feature: "))
        .collect();
    assert_eq!(features.len(), matrix.features.len());
    let clipped = matrix
        .features
        .iter()
        .filter(|f| feature_label(&f.name).ends_with('…'))
        .count();
    assert_eq!(clipped, 5);
    for feature in &matrix.features {
        let label = feature_label(&feature.name);
        assert!(label.chars().count() <= 50, "{label}");
        assert_eq!(
            feature_named_by(&label, &matrix).map(|f| &f.name),
            Some(&feature.name)
        );
    }
}

/// Each subcommand of SPEC §7 is listed by `--help` with its own description.
#[test]
fn every_subcommand_is_described_in_help() {
    let (code, stdout, _) = run(&["--help"]);
    assert_eq!(code, 0);
    let described = |name: &str, words: &str| {
        stdout.lines().any(|l| {
            let l = l.trim_start();
            l.starts_with(&format!("{name} ")) && l.contains(words)
        })
    };
    let cases = [
        ("serve", "Run the GitHub App"),
        ("maintainers", "Who maintains"),
        ("check", "check-in policy"),
        ("support", "feature support matrix"),
        ("release-gate", "holds the release"),
        ("action", "GitHub Action"),
        ("demo", "simulated GitHub"),
        ("app-manifest", "manifest"),
    ];
    for (name, words) in cases {
        assert!(described(name, words), "{name}:\n{stdout}");
    }
}

/// Xen's SUPPORT.md with phrasings of older releases and one line that carries no status:
/// `pushgate support` reads every feature but that line, warns about each unfamiliar phrasing
/// on its line, and exits 1 only for the line with no status; with that line fixed, it exits 0
/// with the warnings.
#[test]
fn xens_support_md_with_older_phrasings_reads_with_warnings() {
    let Some(text) = pushgate::corpus::read("xen/SUPPORT.md").unwrap() else {
        return;
    };
    let swap = |text: &str, from: &str, to: &str| {
        assert!(text.contains(from), "{from}");
        text.replacen(from, to, 1)
    };
    // Phrasings older releases or other projects used.
    let old = swap(
        &text,
        "    Status: Tech Preview\n",
        "    Status: Technical Preview\n",
    );
    let old = swap(
        &old,
        "    Status, x86_32, without shim: Supported, not security supported\n",
        "    Status, x86_32, without shim: No security support\n",
    );
    let line_of = |text: &str, line: &str| text.lines().position(|l| l == line).unwrap() + 1;
    let preview = line_of(&old, "    Status: Technical Preview");
    let no_security = line_of(
        &old,
        "    Status, x86_32, without shim: No security support",
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("SUPPORT.md");
    std::fs::write(&file, &old).unwrap();
    let (code, stdout, stderr) = run(&["support", "--json", &file.to_string_lossy()]);
    assert_eq!(code, 0, "{stderr}");
    let warnings: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 2, "{stderr}");
    assert!(
        warnings[0].contains(&format!(
            "SUPPORT.md:{preview}: unfamiliar status `Technical Preview`, read as Preview"
        )),
        "{stderr}"
    );
    assert!(
        warnings[1].contains(&format!(
            "SUPPORT.md:{no_security}: unfamiliar status `No security support`, read as Supported"
        )),
        "{stderr}"
    );
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(value["features"].as_array().unwrap().len(), 132);

    // A status line with no status at all: exit 1 naming it, the other features still read.
    let broken = swap(
        &old,
        "    Status: Experimental\n",
        "    Status: to be decided\n",
    );
    let line = line_of(&broken, "    Status: to be decided");
    std::fs::write(&file, &broken).unwrap();
    let (code, stdout, stderr) = run(&["support", "--json", &file.to_string_lossy()]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("SUPPORT.md:{line}: cannot read")),
        "{stderr}"
    );
    let value: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(value["unparsed"][0]["line"], line);
    assert!(value["features"].as_array().unwrap().len() >= 131);
}
