//! End-to-end tests of the `pushgate` binary: `maintainers` against MAINTAINERS files written to
//! a temporary directory, and `check` against real git repositories built commit by commit.
//!
//! Every command runs with HOME set to its own temporary directory, GIT_CONFIG_NOSYSTEM=1 and
//! GIT_CEILING_DIRECTORIES set, so neither the user's nor the system's git configuration nor an
//! enclosing repository can leak in.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use tempfile::TempDir;

/// A small MAINTAINERS in the Xen format: nested x86 sections, an R:-only section, a section
/// whose pattern names a directory without a trailing `/`, and THE REST.
const MAINTAINERS: &str = "\
List of maintainers, in the Xen format.

Prose above the first section is ignored.
	Even indented prose.

X86 ARCHITECTURE
M:	Jan Beulich <JBeulich@Example.COM>
M:	Andrew Cooper <andrew.cooper@example.com>
S:	Supported
F:	xen/arch/x86/

X86 MEMORY MANAGEMENT
M:	Jan Beulich <jbeulich@example.com>
M:	Roger Pau <Roger.Pau@Example.com>
S:	Supported
F:	xen/arch/x86/mm/

X86 SHADOW PAGETABLES
M:	Tim Deegan <Tim@Example.ORG>
S:	Maintained
F:	xen/arch/x86/mm/shadow/

X86 P2M REVIEW
R:	Rita Reviewer <Rita.Reviewer@Example.NET>
F:	xen/arch/x86/mm/p2m.c

TOOLSTACK
M:	Anthony Perard <anthony@example.com>
S:	Supported
F:	tools

THE REST
M:	Stefano Committer <sstabellini@example.com>
M:	Julien Committer <julien@example.com>
S:	Supported
F:	*
F:	*/
V:	xen-maintainers-1
";

const SHADOW_FILE: &str = "xen/arch/x86/mm/shadow/common.c";
const P2M_FILE: &str = "xen/arch/x86/mm/p2m.c";
const X86_FILE: &str = "xen/arch/x86/traps.c";
const TOOLS_FILE: &str = "tools/libxl/libxl.c";

/// What a finished run of the binary left behind.
#[derive(Debug)]
struct Outcome {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Outcome {
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
                self.stdout, self.stderr
            )
        })
    }
}

/// A temporary directory that is also HOME for everything run inside it.
struct Sandbox {
    dir: TempDir,
}

impl Sandbox {
    fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("create a temporary directory"),
        }
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, relative: &str, contents: &str) -> PathBuf {
        let path = self.path().join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create parent directories");
        }
        std::fs::write(&path, contents).expect("write a file");
        path
    }

    /// A command with an isolated environment, run from the sandbox.
    fn isolated(&self, program: impl AsRef<std::ffi::OsStr>) -> Command {
        let mut command = Command::new(program);
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("GIT_") {
                command.env_remove(key);
            }
        }
        let ceiling = self.path().parent().unwrap_or(self.path());
        command
            .current_dir(self.path())
            .env("HOME", self.path())
            .env("XDG_CONFIG_HOME", self.path().join(".config"))
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_CEILING_DIRECTORIES", ceiling)
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("LC_ALL", "C");
        command
    }

    /// Runs `pushgate` with `args`, feeding `stdin` if given. No run may panic.
    fn pushgate_with_input(&self, args: &[&str], stdin: Option<&str>) -> Outcome {
        let mut command = self.isolated(env!("CARGO_BIN_EXE_pushgate"));
        command
            .args(args)
            .stdin(if stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("run pushgate");
        if let Some(text) = stdin {
            let mut pipe = child.stdin.take().expect("stdin pipe");
            pipe.write_all(text.as_bytes()).expect("write stdin");
        }
        let output = child.wait_with_output().expect("wait for pushgate");
        let outcome = Outcome {
            code: output.status.code().expect("pushgate exited, not killed"),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        };
        assert!(
            !outcome.stderr.contains("panicked"),
            "pushgate {args:?} panicked:\n{}",
            outcome.stderr
        );
        outcome
    }

    fn pushgate(&self, args: &[&str]) -> Outcome {
        self.pushgate_with_input(args, None)
    }
}

fn str_list(value: &Value) -> Vec<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected an array, got {value}"))
        .iter()
        .map(|v| {
            v.as_str()
                .unwrap_or_else(|| panic!("expected a string, got {v}"))
                .to_string()
        })
        .collect()
}

/// The record for `path` in the JSON answer of `maintainers`.
fn record<'a>(answer: &'a Value, path: &str) -> &'a Value {
    answer
        .as_array()
        .expect("a JSON array")
        .iter()
        .find(|r| r["path"] == path)
        .unwrap_or_else(|| panic!("no record for {path} in {answer:#}"))
}

fn section_names(record: &Value) -> Vec<String> {
    record["sections"]
        .as_array()
        .expect("sections is an array")
        .iter()
        .map(|s| s["name"].as_str().expect("section name").to_string())
        .collect()
}

/// A sandbox holding the MAINTAINERS above; returns it and the file's path as a string.
fn with_maintainers() -> (Sandbox, String) {
    let sandbox = Sandbox::new();
    let path = sandbox.write("MAINTAINERS", MAINTAINERS);
    (sandbox, path.to_string_lossy().into_owned())
}

// ---------------------------------------------------------------------------------------------
// `pushgate maintainers`
// ---------------------------------------------------------------------------------------------

#[test]
fn maintainers_json_has_path_sections_maintainers_reviewers_and_approvers_per_path() {
    let (sandbox, file) = with_maintainers();
    let out = sandbox.pushgate(&["maintainers", "-m", &file, "--json", SHADOW_FILE, "README"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let answer = out.json();
    let records = answer.as_array().expect("a JSON array");
    assert_eq!(records.len(), 2, "{answer:#}");
    assert_eq!(
        records[0]["path"], SHADOW_FILE,
        "answers come in input order"
    );
    assert_eq!(records[1]["path"], "README");
    for r in records {
        for key in ["path", "sections", "maintainers", "reviewers", "approvers"] {
            assert!(r.get(key).is_some(), "record lacks `{key}`: {r:#}");
        }
        assert!(r["sections"].is_array());
        for key in ["maintainers", "reviewers", "approvers"] {
            str_list(&r[key]);
        }
    }
}

#[test]
fn maintainers_json_lists_matching_sections_most_specific_first() {
    let (sandbox, file) = with_maintainers();
    let out = sandbox.pushgate(&["maintainers", "-m", &file, "--json", SHADOW_FILE]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let answer = out.json();
    let shadow = record(&answer, SHADOW_FILE);
    assert_eq!(
        section_names(shadow),
        [
            "X86 SHADOW PAGETABLES",
            "X86 MEMORY MANAGEMENT",
            "X86 ARCHITECTURE",
            "THE REST"
        ]
    );
    let specificities: Vec<i64> = shadow["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["specificity"].as_i64().expect("numeric specificity"))
        .collect();
    assert!(
        specificities.windows(2).all(|w| w[0] > w[1]),
        "specificity must fall from first to last: {specificities:?}"
    );
}

#[test]
fn maintainers_json_emails_are_lower_cased() {
    let (sandbox, file) = with_maintainers();
    let out = sandbox.pushgate(&["maintainers", "-m", &file, "--json", SHADOW_FILE, P2M_FILE]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let answer = out.json();
    for r in answer.as_array().unwrap() {
        for key in ["maintainers", "reviewers", "approvers"] {
            for email in str_list(&r[key]) {
                assert_eq!(email, email.to_lowercase(), "{key} of {}", r["path"]);
            }
        }
    }
    let shadow = record(&answer, SHADOW_FILE);
    assert!(str_list(&shadow["maintainers"]).contains(&"tim@example.org".to_string()));
    let p2m = record(&answer, P2M_FILE);
    assert_eq!(str_list(&p2m["reviewers"]), ["rita.reviewer@example.net"]);
}

#[test]
fn shadow_file_approvers_are_only_the_shadow_maintainers() {
    let (sandbox, file) = with_maintainers();
    let out = sandbox.pushgate(&["maintainers", "-m", &file, "--json", SHADOW_FILE]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let answer = out.json();
    let shadow = record(&answer, SHADOW_FILE);
    assert_eq!(str_list(&shadow["approvers"]), ["tim@example.org"]);
    // Everyone up the nesting is notified, but THE REST is dropped once a section has a
    // maintainer, and Jan (listed twice, in two spellings) appears once.
    let mut notified = str_list(&shadow["maintainers"]);
    notified.sort();
    assert_eq!(
        notified,
        [
            "andrew.cooper@example.com",
            "jbeulich@example.com",
            "roger.pau@example.com",
            "tim@example.org",
        ]
    );
}

#[test]
fn mm_file_approvers_pool_the_mm_maintainers_not_the_x86_ones() {
    let (sandbox, file) = with_maintainers();
    let out = sandbox.pushgate(&[
        "maintainers",
        "-m",
        &file,
        "--json",
        "xen/arch/x86/mm/paging.c",
        X86_FILE,
    ]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let answer = out.json();
    let mut mm = str_list(&record(&answer, "xen/arch/x86/mm/paging.c")["approvers"]);
    mm.sort();
    assert_eq!(mm, ["jbeulich@example.com", "roger.pau@example.com"]);
    let mut x86 = str_list(&record(&answer, X86_FILE)["approvers"]);
    x86.sort();
    assert_eq!(x86, ["andrew.cooper@example.com", "jbeulich@example.com"]);
}

#[test]
fn reviewer_only_section_notifies_its_reviewers_but_approval_falls_to_the_next_section() {
    let (sandbox, file) = with_maintainers();
    let out = sandbox.pushgate(&["maintainers", "-m", &file, "--json", P2M_FILE]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let answer = out.json();
    let p2m = record(&answer, P2M_FILE);
    assert_eq!(section_names(p2m)[0], "X86 P2M REVIEW");
    assert_eq!(str_list(&p2m["reviewers"]), ["rita.reviewer@example.net"]);
    let mut approvers = str_list(&p2m["approvers"]);
    approvers.sort();
    assert_eq!(approvers, ["jbeulich@example.com", "roger.pau@example.com"]);
    assert!(!approvers.contains(&"rita.reviewer@example.net".to_string()));
}

#[test]
fn top_level_file_falls_to_the_rest() {
    let (sandbox, file) = with_maintainers();
    let out = sandbox.pushgate(&["maintainers", "-m", &file, "--json", "README", "docs/x.md"]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let answer = out.json();
    for path in ["README", "docs/x.md"] {
        let r = record(&answer, path);
        assert_eq!(section_names(r), ["THE REST"], "{path}");
        let mut approvers = str_list(&r["approvers"]);
        approvers.sort();
        assert_eq!(
            approvers,
            ["julien@example.com", "sstabellini@example.com"],
            "{path}"
        );
    }
}

#[test]
fn paths_from_files_from_file_are_answered_too() {
    let (sandbox, file) = with_maintainers();
    let list = sandbox.write("paths.txt", &format!("{P2M_FILE}\n\n  README  \n"));
    let out = sandbox.pushgate(&[
        "maintainers",
        "-m",
        &file,
        "--json",
        "--files-from",
        &list.to_string_lossy(),
        SHADOW_FILE,
    ]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let answer = out.json();
    let mut paths: Vec<String> = answer
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["path"].as_str().unwrap().to_string())
        .collect();
    paths.sort();
    assert_eq!(paths, ["README", P2M_FILE, SHADOW_FILE]);
    assert_eq!(
        str_list(&record(&answer, SHADOW_FILE)["approvers"]),
        ["tim@example.org"]
    );
}

#[test]
fn paths_from_standard_input_with_files_from_dash_are_answered() {
    let (sandbox, file) = with_maintainers();
    let out = sandbox.pushgate_with_input(
        &["maintainers", "-m", &file, "--json", "--files-from", "-"],
        Some(&format!("{SHADOW_FILE}\r\n{P2M_FILE}\n")),
    );
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let answer = out.json();
    assert_eq!(answer.as_array().unwrap().len(), 2, "{answer:#}");
    assert_eq!(
        str_list(&record(&answer, SHADOW_FILE)["approvers"]),
        ["tim@example.org"]
    );
    assert_eq!(
        str_list(&record(&answer, P2M_FILE)["reviewers"]),
        ["rita.reviewer@example.net"]
    );
}

#[test]
fn with_tree_a_literal_pattern_naming_a_directory_covers_files_below_it() {
    let (sandbox, file) = with_maintainers();
    sandbox.write("tree/tools/libxl/libxl.c", "int x;\n");
    let tree = sandbox.path().join("tree");
    let out = sandbox.pushgate(&[
        "maintainers",
        "-m",
        &file,
        "--tree",
        &tree.to_string_lossy(),
        "--json",
        TOOLS_FILE,
    ]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let answer = out.json();
    let tools = record(&answer, TOOLS_FILE);
    assert_eq!(section_names(tools)[0], "TOOLSTACK");
    assert_eq!(str_list(&tools["approvers"]), ["anthony@example.com"]);
}

#[test]
fn without_tree_a_literal_pattern_naming_a_directory_is_matched_literally_and_says_so() {
    let (sandbox, file) = with_maintainers();
    let out = sandbox.pushgate(&["maintainers", "-m", &file, "--json", TOOLS_FILE]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let answer = out.json();
    let tools = record(&answer, TOOLS_FILE);
    assert_eq!(section_names(tools), ["THE REST"]);
    assert!(!str_list(&tools["approvers"]).contains(&"anthony@example.com".to_string()));
    assert!(
        out.stderr.contains("--tree"),
        "stderr should say patterns were taken literally: {}",
        out.stderr
    );
}

#[test]
fn with_tree_a_literal_pattern_naming_a_file_stays_literal() {
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "MAINTAINERS",
        "CONFIG\nM:\tCora Config <cora@example.com>\nF:\tconfig\n\n\
         THE REST\nM:\tStefano Committer <sstabellini@example.com>\nF:\t*\nF:\t*/\n",
    );
    sandbox.write("tree/config", "x\n");
    let tree = sandbox.path().join("tree");
    let out = sandbox.pushgate(&[
        "maintainers",
        "-m",
        &file.to_string_lossy(),
        "--tree",
        &tree.to_string_lossy(),
        "--json",
        "config",
        "config/sub.c",
    ]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let answer = out.json();
    assert_eq!(
        str_list(&record(&answer, "config")["approvers"]),
        ["cora@example.com"]
    );
    assert_eq!(
        str_list(&record(&answer, "config/sub.c")["approvers"]),
        ["sstabellini@example.com"]
    );
}

#[test]
fn maintainers_reads_maintainers_in_the_current_directory_by_default() {
    let (sandbox, _) = with_maintainers();
    let out = sandbox.pushgate(&["maintainers", "--json", SHADOW_FILE]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert_eq!(
        str_list(&record(&out.json(), SHADOW_FILE)["approvers"]),
        ["tim@example.org"]
    );
}

#[test]
fn maintainers_text_output_names_the_maintainers_and_whose_ack_is_needed() {
    let (sandbox, file) = with_maintainers();
    let out = sandbox.pushgate(&["maintainers", "-m", &file, SHADOW_FILE, P2M_FILE]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    for expected in [
        SHADOW_FILE,
        P2M_FILE,
        "Tim Deegan",
        "Jan Beulich",
        "Roger Pau",
        "Andrew Cooper",
        "Rita Reviewer",
        "X86 SHADOW PAGETABLES",
    ] {
        assert!(
            out.stdout.contains(expected),
            "text output lacks {expected:?}:\n{}",
            out.stdout
        );
    }
    assert!(out.stdout.contains("ack"), "{}", out.stdout);
}

// ---------------------------------------------------------------------------------------------
// `pushgate maintainers`: bad input
// ---------------------------------------------------------------------------------------------

#[test]
fn missing_maintainers_file_exits_2_naming_the_file() {
    let sandbox = Sandbox::new();
    let missing = sandbox.path().join("NO-SUCH-MAINTAINERS");
    let out = sandbox.pushgate(&["maintainers", "-m", &missing.to_string_lossy(), "README"]);
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    assert!(out.stderr.contains("NO-SUCH-MAINTAINERS"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn maintainers_that_is_a_directory_exits_2_naming_it() {
    let sandbox = Sandbox::new();
    std::fs::create_dir(sandbox.path().join("MAINTAINERS.d")).unwrap();
    let dir = sandbox.path().join("MAINTAINERS.d");
    let out = sandbox.pushgate(&["maintainers", "-m", &dir.to_string_lossy(), "README"]);
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    assert!(out.stderr.contains("MAINTAINERS.d"), "{}", out.stderr);
}

/// Writes a MAINTAINERS whose line 5 is `bad_line`, runs `maintainers`, and expects exit 2
/// with `MAINTAINERS:5` in the message.
fn assert_rejected_at_line_5(bad_line: &str) {
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "MAINTAINERS",
        &format!(
            "Some prose.\n\nBROKEN SECTION\nM:\tAnn Example <ann@example.com>\n{bad_line}\n\n\
             THE REST\nM:\tStefano Committer <sstabellini@example.com>\nF:\t*\nF:\t*/\n"
        ),
    );
    let out = sandbox.pushgate(&["maintainers", "-m", &file.to_string_lossy(), "README"]);
    assert_eq!(out.code, 2, "{bad_line:?} accepted; stderr: {}", out.stderr);
    assert!(
        out.stderr.contains("MAINTAINERS:5"),
        "{bad_line:?}: message should name MAINTAINERS:5, got: {}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn malformed_file_pattern_exits_2_naming_file_and_line() {
    assert_rejected_at_line_5("F:\txen/[broken");
}

#[test]
fn malformed_excluded_pattern_exits_2_naming_file_and_line() {
    assert_rejected_at_line_5("X:\txen/{a,b");
}

#[test]
fn malformed_path_regex_exits_2_naming_file_and_line() {
    assert_rejected_at_line_5("N:\t(unclosed");
}

#[test]
fn malformed_keyword_regex_exits_2_naming_file_and_line() {
    assert_rejected_at_line_5("K:\t[unclosed");
}

#[test]
fn maintainer_without_an_email_exits_2_naming_file_and_line() {
    assert_rejected_at_line_5("M:\tNobody Without Address");
}

#[test]
fn unknown_field_letter_is_only_a_warning_naming_the_line() {
    let sandbox = Sandbox::new();
    let file = sandbox.write(
        "MAINTAINERS",
        "ODD SECTION\nM:\tAnn Example <ann@example.com>\nZ:\tfoo\nF:\todd/\n\n\
         THE REST\nM:\tStefano Committer <sstabellini@example.com>\nF:\t*\nF:\t*/\n",
    );
    let out = sandbox.pushgate(&[
        "maintainers",
        "-m",
        &file.to_string_lossy(),
        "--json",
        "odd/file.c",
    ]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    assert!(out.stderr.contains("MAINTAINERS:3"), "{}", out.stderr);
    assert!(out.stderr.contains("Z:"), "{}", out.stderr);
    // The section with the unknown letter is still used.
    assert_eq!(
        str_list(&record(&out.json(), "odd/file.c")["approvers"]),
        ["ann@example.com"]
    );
}

#[test]
fn no_paths_given_exits_2() {
    let (sandbox, file) = with_maintainers();
    let out = sandbox.pushgate(&["maintainers", "-m", &file]);
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    assert!(!out.stderr.is_empty());
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn empty_files_from_list_is_no_paths_and_exits_2() {
    let (sandbox, file) = with_maintainers();
    let list = sandbox.write("empty.txt", "\n  \n");
    let out = sandbox.pushgate(&[
        "maintainers",
        "-m",
        &file,
        "--files-from",
        &list.to_string_lossy(),
    ]);
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    let stdin =
        sandbox.pushgate_with_input(&["maintainers", "-m", &file, "--files-from", "-"], Some(""));
    assert_eq!(stdin.code, 2, "stderr: {}", stdin.stderr);
}

#[test]
fn unreadable_files_from_exits_2_naming_the_file() {
    let (sandbox, file) = with_maintainers();
    let out = sandbox.pushgate(&[
        "maintainers",
        "-m",
        &file,
        "--files-from",
        "no-such-list.txt",
    ]);
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    assert!(out.stderr.contains("no-such-list.txt"), "{}", out.stderr);
}

// ---------------------------------------------------------------------------------------------
// `pushgate check` on a real git history
// ---------------------------------------------------------------------------------------------

/// A git repository inside a sandbox.
struct Repo {
    sandbox: Sandbox,
    dir: PathBuf,
}

impl Repo {
    fn new() -> Repo {
        let sandbox = Sandbox::new();
        let dir = sandbox.path().join("repo");
        std::fs::create_dir(&dir).unwrap();
        let repo = Repo { sandbox, dir };
        repo.git(&["init", "-q"]);
        repo.git(&["config", "user.name", "Repo Owner"]);
        repo.git(&["config", "user.email", "owner@example.com"]);
        repo.git(&["config", "commit.gpgsign", "false"]);
        repo
    }

    fn git(&self, args: &[&str]) -> String {
        let output = self
            .sandbox
            .isolated("git")
            .arg("-C")
            .arg(&self.dir)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run git");
        assert!(
            output.status.success(),
            "git {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }

    fn write(&self, relative: &str, contents: &str) {
        let path = self.dir.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, contents).unwrap();
    }

    /// Appends a line to `relative`, creating it if needed.
    fn touch(&self, relative: &str, line: &str) {
        let path = self.dir.join(relative);
        let mut text = std::fs::read_to_string(&path).unwrap_or_default();
        text.push_str(line);
        text.push('\n');
        self.write(relative, &text);
    }

    /// Commits everything in the work tree as `author` (`Name <email>`); returns the commit id.
    fn commit(&self, author: (&str, &str), message: &str) -> String {
        self.git(&["add", "-A"]);
        let name = format!("user.name={}", author.0);
        let email = format!("user.email={}", author.1);
        self.git(&[
            "-c",
            &name,
            "-c",
            &email,
            "commit",
            "-q",
            "--no-verify",
            "-m",
            message,
        ]);
        self.rev_parse("HEAD")
    }

    /// [`Repo::commit`] with git's dates set: written at `authored`, committed at `committed`
    /// (RFC 2822 or ISO 8601, as git reads them).
    fn commit_at(
        &self,
        author: (&str, &str),
        message: &str,
        authored: &str,
        committed: &str,
    ) -> String {
        self.git(&["add", "-A"]);
        let output = self
            .sandbox
            .isolated("git")
            .arg("-C")
            .arg(&self.dir)
            .args(["-c", &format!("user.name={}", author.0)])
            .args(["-c", &format!("user.email={}", author.1)])
            .args(["commit", "-q", "--no-verify", "-m", message])
            .env("GIT_AUTHOR_DATE", authored)
            .env("GIT_COMMITTER_DATE", committed)
            .stdin(Stdio::null())
            .output()
            .expect("run git");
        assert!(
            output.status.success(),
            "git commit failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        self.rev_parse("HEAD")
    }

    fn rev_parse(&self, rev: &str) -> String {
        self.git(&["rev-parse", "--verify", rev])
    }

    fn check(&self, args: &[&str]) -> Outcome {
        let repo = self.dir.to_string_lossy().into_owned();
        let mut all = vec!["check", "--repo", repo.as_str()];
        all.extend_from_slice(args);
        self.sandbox.pushgate(&all)
    }
}

const OUTSIDER: (&str, &str) = ("Olive Outsider", "olive@example.com");
const ROGER: (&str, &str) = ("Roger Pau", "roger.pau@example.com");
const SNEAKY: (&str, &str) = ("Sam Sneaky", "sam@example.com");

/// The history the `check` tests judge, oldest first after `base`.
struct History {
    repo: Repo,
    base: String,
    /// (a) a shadow change by an outsider, acked by the shadow maintainer.
    acked_by_shadow_maintainer: String,
    /// (c) a maintainer's own mm change with someone else's Reviewed-by.
    maintainers_own_change_reviewed: String,
    /// (b) an outsider's x86 change with only a Signed-off-by.
    only_signed_off: String,
    /// (d) an outsider's p2m change reviewed by the R:-only reviewer.
    reviewed_by_designated_reviewer: String,
    /// (e) adds its own author as TOOLSTACK maintainer and changes a toolstack file.
    makes_itself_maintainer: String,
}

fn build_history() -> History {
    let repo = Repo::new();
    repo.write("MAINTAINERS", MAINTAINERS);
    for file in [SHADOW_FILE, P2M_FILE, X86_FILE, TOOLS_FILE, "README"] {
        repo.touch(file, "initial");
    }
    let base = repo.commit(
        ("Stefano Committer", "sstabellini@example.com"),
        "Initial import\n\nSigned-off-by: Stefano Committer <sstabellini@example.com>\n",
    );

    repo.touch(SHADOW_FILE, "fix");
    let acked_by_shadow_maintainer = repo.commit(
        OUTSIDER,
        "x86/shadow: fix a leak\n\n\
         Signed-off-by: Olive Outsider <olive@example.com>\n\
         Acked-by: Tim Deegan <TIM@example.org>\n",
    );

    repo.touch(P2M_FILE, "own change");
    let maintainers_own_change_reviewed = repo.commit(
        ROGER,
        "x86/mm: tidy p2m\n\n\
         Signed-off-by: Roger Pau <roger.pau@example.com>\n\
         Reviewed-by: Paul Peer <paul@example.com>\n",
    );

    repo.touch(X86_FILE, "unacked");
    let only_signed_off = repo.commit(
        OUTSIDER,
        "x86: change traps\n\nSigned-off-by: Olive Outsider <olive@example.com>\n",
    );

    repo.touch(P2M_FILE, "reviewed only");
    let reviewed_by_designated_reviewer = repo.commit(
        OUTSIDER,
        "x86/mm: p2m change\n\n\
         Signed-off-by: Olive Outsider <olive@example.com>\n\
         Reviewed-by: Rita Reviewer <rita.reviewer@example.net>\n",
    );

    let edited = MAINTAINERS.replace(
        "M:\tAnthony Perard <anthony@example.com>\n",
        "M:\tAnthony Perard <anthony@example.com>\nM:\tSam Sneaky <sam@example.com>\n",
    );
    assert_ne!(edited, MAINTAINERS);
    repo.write("MAINTAINERS", &edited);
    repo.touch(TOOLS_FILE, "self-approved");
    let makes_itself_maintainer = repo.commit(
        SNEAKY,
        "tools: make myself maintainer and change libxl\n\n\
         Signed-off-by: Sam Sneaky <sam@example.com>\n\
         Reviewed-by: Paul Peer <paul@example.com>\n",
    );

    History {
        repo,
        base,
        acked_by_shadow_maintainer,
        maintainers_own_change_reviewed,
        only_signed_off,
        reviewed_by_designated_reviewer,
        makes_itself_maintainer,
    }
}

/// The JSON record of `sha` from `check --json RANGE`.
fn verdict<'a>(answer: &'a Value, sha: &str) -> &'a Value {
    answer
        .as_array()
        .expect("a JSON array")
        .iter()
        .find(|r| r["sha"] == sha)
        .unwrap_or_else(|| panic!("no record for {sha} in {answer:#}"))
}

/// Checks the single commit `sha` and returns its record and the exit code.
fn check_one(history: &History, sha: &str) -> (Value, i32) {
    let range = format!("{sha}^..{sha}");
    let out = history.repo.check(&["--json", &range]);
    assert!(out.code == 0 || out.code == 1, "stderr: {}", out.stderr);
    let answer = out.json();
    assert_eq!(answer.as_array().unwrap().len(), 1, "{answer:#}");
    (verdict(&answer, sha).clone(), out.code)
}

fn missing(record: &Value) -> Vec<String> {
    str_list(&record["missing"])
}

#[test]
fn check_json_lists_the_commits_of_the_range_oldest_first_with_sha_satisfied_and_missing() {
    let history = build_history();
    let range = format!("{}..HEAD", history.base);
    let out = history.repo.check(&["--json", &range]);
    assert_eq!(out.code, 1, "stderr: {}", out.stderr);
    let answer = out.json();
    let shas: Vec<String> = answer
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|r| r["sha"].as_str().expect("sha is a string").to_string())
        .collect();
    let expected: Vec<String> = history
        .repo
        .git(&["rev-list", "--reverse", &range])
        .lines()
        .map(str::to_string)
        .collect();
    assert_eq!(shas, expected);
    assert_eq!(
        shas,
        [
            history.acked_by_shadow_maintainer.clone(),
            history.maintainers_own_change_reviewed.clone(),
            history.only_signed_off.clone(),
            history.reviewed_by_designated_reviewer.clone(),
            history.makes_itself_maintainer.clone(),
        ]
    );
    for r in answer.as_array().unwrap() {
        assert!(r["satisfied"].is_boolean(), "{r:#}");
        let gaps = missing(r);
        assert_eq!(r["satisfied"] == true, gaps.is_empty(), "{r:#}");
    }
    let satisfied: Vec<bool> = answer
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["satisfied"].as_bool().unwrap())
        .collect();
    assert_eq!(satisfied, [true, true, false, false, false]);
}

#[test]
fn shadow_change_acked_by_the_shadow_maintainer_is_satisfied() {
    let history = build_history();
    let (record, code) = check_one(&history, &history.acked_by_shadow_maintainer);
    assert_eq!(record["satisfied"], true, "{record:#}");
    assert!(missing(&record).is_empty(), "{record:#}");
    assert_eq!(code, 0);
}

#[test]
fn non_maintainer_change_with_only_signed_off_by_is_not_satisfied_and_names_the_needed_ack() {
    let history = build_history();
    let (record, code) = check_one(&history, &history.only_signed_off);
    assert_eq!(record["satisfied"], false, "{record:#}");
    assert_eq!(code, 1);
    let gaps = missing(&record).join("\n").to_lowercase();
    assert!(gaps.contains("x86 architecture"), "{gaps}");
    assert!(gaps.contains(X86_FILE), "{gaps}");
    assert!(
        gaps.contains("jbeulich@example.com") || gaps.contains("andrew.cooper@example.com"),
        "missing should name who can ack: {gaps}"
    );
}

#[test]
fn maintainer_authoring_their_own_change_with_a_review_from_someone_else_is_satisfied() {
    let history = build_history();
    let (record, code) = check_one(&history, &history.maintainers_own_change_reviewed);
    assert_eq!(record["satisfied"], true, "{record:#}");
    assert!(missing(&record).is_empty(), "{record:#}");
    assert_eq!(code, 0);
}

#[test]
fn maintainer_authoring_their_own_change_without_anyone_else_is_not_satisfied() {
    let history = build_history();
    history.repo.touch(P2M_FILE, "alone");
    let sha = history.repo.commit(
        ROGER,
        "x86/mm: alone\n\nSigned-off-by: Roger Pau <roger.pau@example.com>\n",
    );
    let (record, code) = check_one(&history, &sha);
    assert_eq!(record["satisfied"], false, "{record:#}");
    assert_eq!(code, 1);
    let gaps = missing(&record).join("\n");
    assert!(gaps.contains("someone other than the author"), "{gaps}");
    assert!(
        !gaps.contains("ack from a maintainer"),
        "the author's own sign-off meets the approval requirement: {gaps}"
    );
}

#[test]
fn review_by_a_designated_reviewer_is_never_an_ack() {
    let history = build_history();
    let (record, code) = check_one(&history, &history.reviewed_by_designated_reviewer);
    assert_eq!(record["satisfied"], false, "{record:#}");
    assert_eq!(code, 1);
    let gaps = missing(&record).join("\n").to_lowercase();
    assert!(gaps.contains("x86 memory management"), "{gaps}");
    assert!(gaps.contains(P2M_FILE), "{gaps}");
}

#[test]
fn commit_making_its_author_maintainer_is_judged_with_the_parents_maintainers() {
    let history = build_history();
    let (record, code) = check_one(&history, &history.makes_itself_maintainer);
    assert_eq!(record["satisfied"], false, "{record:#}");
    assert_eq!(code, 1);
    // Under the parent's MAINTAINERS the toolstack file still needs Anthony; under the
    // commit's own version the author would have approved it themself.
    let gaps = missing(&record);
    assert!(
        gaps.iter()
            .any(|g| g.contains(TOOLS_FILE) && g.contains("anthony@example.com")),
        "{gaps:#?}"
    );
}

#[test]
fn commit_making_its_author_maintainer_fails_even_with_a_committer_ack_when_stand_in_is_off() {
    let history = build_history();
    let edited = MAINTAINERS.replace(
        "M:\tAnthony Perard <anthony@example.com>\n",
        "M:\tAnthony Perard <anthony@example.com>\nM:\tSam Sneaky <sam@example.com>\n",
    );
    // Start from a tree whose MAINTAINERS is the original one again.
    history.repo.write("MAINTAINERS", MAINTAINERS);
    history.repo.commit(
        ("Stefano Committer", "sstabellini@example.com"),
        "Revert maintainer change\n\n\
         Signed-off-by: Stefano Committer <sstabellini@example.com>\n\
         Reviewed-by: Paul Peer <paul@example.com>\n",
    );
    history.repo.write("MAINTAINERS", &edited);
    history.repo.touch(TOOLS_FILE, "again");
    // A committer acks the MAINTAINERS edit: judged with the commit's own MAINTAINERS, every
    // requirement would be met; judged with the parent's, libxl still needs Anthony.
    let sha = history.repo.commit(
        SNEAKY,
        "tools: self-appoint\n\n\
         Signed-off-by: Sam Sneaky <sam@example.com>\n\
         Acked-by: Stefano Committer <sstabellini@example.com>\n",
    );
    let range = format!("{sha}^..{sha}");
    let strict = history.repo.check(&["--json", "--no-stand-in", &range]);
    assert_eq!(strict.code, 1, "stderr: {}", strict.stderr);
    let answer = strict.json();
    let record = verdict(&answer, &sha);
    assert_eq!(record["satisfied"], false, "{record:#}");
    assert!(
        missing(record)
            .iter()
            .any(|g| g.contains(TOOLS_FILE) && g.contains("anthony@example.com")),
        "{record:#}"
    );
}

#[test]
fn later_commit_is_judged_with_maintainers_as_its_parent_left_it() {
    let history = build_history();
    // The self-appointing commit is now history: Sam is a toolstack maintainer from here on.
    history.repo.touch(TOOLS_FILE, "now a maintainer");
    let sha = history.repo.commit(
        SNEAKY,
        "tools: follow-up\n\n\
         Signed-off-by: Sam Sneaky <sam@example.com>\n\
         Reviewed-by: Paul Peer <paul@example.com>\n",
    );
    let (record, code) = check_one(&history, &sha);
    assert_eq!(record["satisfied"], true, "{record:#}");
    assert_eq!(code, 0);
}

#[test]
fn more_general_maintainer_may_stand_in_unless_no_stand_in_is_given() {
    let history = build_history();
    history.repo.touch(SHADOW_FILE, "stand-in");
    let sha = history.repo.commit(
        OUTSIDER,
        "x86/shadow: acked from above\n\n\
         Signed-off-by: Olive Outsider <olive@example.com>\n\
         Acked-by: Jan Beulich <jbeulich@example.com>\n",
    );
    let (record, code) = check_one(&history, &sha);
    assert_eq!(record["satisfied"], true, "{record:#}");
    assert_eq!(code, 0);

    let range = format!("{sha}^..{sha}");
    let strict = history.repo.check(&["--json", "--no-stand-in", &range]);
    assert_eq!(strict.code, 1, "stderr: {}", strict.stderr);
    let answer = strict.json();
    let record = verdict(&answer, &sha);
    assert_eq!(record["satisfied"], false, "{record:#}");
    assert!(
        missing(record)
            .join("\n")
            .to_lowercase()
            .contains("x86 shadow pagetables"),
        "{record:#}"
    );
}

#[test]
fn maintainer_writing_from_another_address_is_recognised_through_the_parents_mailmap() {
    let history = build_history();
    history.repo.write(
        ".mailmap",
        "Tim Deegan <tim@example.org> <tim@home.example>\n",
    );
    history.repo.commit(
        ("Stefano Committer", "sstabellini@example.com"),
        "Add .mailmap\n\n\
         Signed-off-by: Stefano Committer <sstabellini@example.com>\n\
         Reviewed-by: Paul Peer <paul@example.com>\n",
    );
    history.repo.touch(SHADOW_FILE, "from home");
    let sha = history.repo.commit(
        ("Tim at home", "tim@home.example"),
        "x86/shadow: from home\n\n\
         Signed-off-by: Tim at home <tim@home.example>\n\
         Reviewed-by: Paul Peer <paul@example.com>\n",
    );
    let (record, code) = check_one(&history, &sha);
    assert_eq!(record["satisfied"], true, "{record:#}");
    assert_eq!(code, 0);
}

#[test]
fn check_exits_1_when_any_commit_falls_short() {
    let history = build_history();
    let out = history.repo.check(&[&format!("{}..HEAD", history.base)]);
    assert_eq!(out.code, 1, "stderr: {}", out.stderr);
}

#[test]
fn check_exits_0_when_every_commit_of_the_range_is_satisfied() {
    let history = build_history();
    // base..(c) covers (a) and (c), both satisfied.
    let range = format!(
        "{}..{}",
        history.base, history.maintainers_own_change_reviewed
    );
    let out = history.repo.check(&["--json", &range]);
    assert_eq!(out.code, 0, "stderr: {}", out.stderr);
    let answer = out.json();
    let records = answer.as_array().unwrap();
    assert_eq!(records.len(), 2, "{answer:#}");
    assert!(records.iter().all(|r| r["satisfied"] == true), "{answer:#}");
    let text = history.repo.check(&[&range]);
    assert_eq!(text.code, 0, "stderr: {}", text.stderr);
}

#[test]
fn check_text_output_prints_a_line_per_commit_and_a_summary_line() {
    let history = build_history();
    let range = format!("{}..HEAD", history.base);
    let out = history.repo.check(&[&range]);
    assert_eq!(out.code, 1, "stderr: {}", out.stderr);
    let last = out.stdout.lines().last().unwrap_or("");
    assert!(
        last.contains("2 of 5"),
        "summary line: {last:?}\n{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("x86/shadow: fix a leak"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("x86: change traps"), "{}", out.stdout);
    assert!(
        out.stdout.contains(&history.only_signed_off[..12]),
        "{}",
        out.stdout
    );
}

/// The config at a commit's parent brings the release's freeze: a commit committed inside it
/// needs a release manager's `Release-Acked-by` (the manager's e-mail from `[identities]`),
/// one authored after the last posting date too, and the release date ends it.
#[test]
fn check_honours_the_freeze_of_the_config_at_each_commits_parent() {
    let history = build_history();
    let repo = &history.repo;
    repo.write(
        ".github/pushgate.toml",
        "[identities]\n\"rm@example.com\" = \"rm-gh\"\n\n[release]\nmanagers = [\"rm-gh\"]\n\
         last_posting_date = \"2026-02-20\"\nfreeze_start = \"2026-03-01T00:00:00Z\"\n\
         date = \"2026-04-01\"\n",
    );
    let config = repo.commit_at(
        ("Stefano Committer", "sstabellini@example.com"),
        "Release dates\n\nSigned-off-by: Stefano Committer <sstabellini@example.com>\n",
        "2026-02-01T00:00:00Z",
        "2026-02-01T00:00:00Z",
    );
    let acked = "Signed-off-by: Olive Outsider <olive@example.com>\n\
                 Acked-by: Tim Deegan <tim@example.org>\n";
    let change = |n: usize, trailers: &str, authored: &str, committed: &str| {
        repo.touch(SHADOW_FILE, &format!("freeze {n}"));
        repo.commit_at(
            OUTSIDER,
            &format!("x86/shadow: change {n}\n\n{acked}{trailers}"),
            authored,
            committed,
        )
    };
    let before = change(1, "", "2026-02-10T00:00:00Z", "2026-02-15T00:00:00Z");
    let posted_late = change(2, "", "2026-02-21T00:00:00Z", "2026-02-22T00:00:00Z");
    let frozen = change(3, "", "2026-02-10T00:00:00Z", "2026-03-10T00:00:00Z");
    let release_acked = change(
        4,
        "Release-Acked-by: Rel Manager <RM@example.com>\n",
        "2026-02-10T00:00:00Z",
        "2026-03-11T00:00:00Z",
    );
    let someone_else = change(
        5,
        "Release-Acked-by: Sam Sneaky <sam@example.com>\n",
        "2026-02-10T00:00:00Z",
        "2026-03-12T00:00:00Z",
    );
    let released = change(6, "", "2026-03-20T00:00:00Z", "2026-04-02T00:00:00Z");

    let out = repo.check(&["--json", &format!("{config}..HEAD")]);
    assert_eq!(out.code, 1, "stderr: {}", out.stderr);
    let answer = out.json();
    for (sha, satisfied, says) in [
        (&before, true, None),
        (
            &posted_late,
            false,
            Some("posted after the last posting date"),
        ),
        (
            &frozen,
            false,
            Some("freeze: a Release-Acked-by from a release manager"),
        ),
        (&release_acked, true, None),
        (&someone_else, false, Some("freeze: a Release-Acked-by")),
        (&released, true, None),
    ] {
        let record = verdict(&answer, sha);
        assert_eq!(record["satisfied"], satisfied, "{record:#}");
        let text = missing(record).join("\n");
        match says {
            Some(line) => assert!(text.contains(line), "{record:#}"),
            None => assert!(!text.contains("Release-Acked-by"), "{record:#}"),
        }
    }

    // Without the config the same history has no freeze.
    let range = format!("{frozen}^..{frozen}");
    repo.git(&["rm", "-q", ".github/pushgate.toml"]);
    repo.commit_at(
        ("Stefano Committer", "sstabellini@example.com"),
        "No more release dates\n\nSigned-off-by: Stefano Committer <sstabellini@example.com>\n",
        "2026-03-12T12:00:00Z",
        "2026-03-12T12:00:00Z",
    );
    let later = change(7, "", "2026-03-12T00:00:00Z", "2026-03-13T00:00:00Z");
    let (record, _) = check_one(&history, &later);
    assert_eq!(record["satisfied"], true, "{record:#}");
    // The commit inside the freeze is still judged by the config its parent had.
    let again = repo.check(&["--json", &range]);
    assert_eq!(again.code, 1, "stderr: {}", again.stderr);
}

#[test]
fn check_with_an_invalid_release_date_in_the_config_exits_2_naming_line_and_column() {
    let history = build_history();
    let repo = &history.repo;
    repo.write(
        ".github/pushgate.toml",
        "[release]\nmanagers = [\"rm-gh\"]\nfreeze_start = \"next tuesday\"\n",
    );
    repo.commit(
        ("Stefano Committer", "sstabellini@example.com"),
        "Broken release dates\n\nSigned-off-by: Stefano Committer <sstabellini@example.com>\n",
    );
    repo.touch(SHADOW_FILE, "after the broken config");
    let sha = repo.commit(
        OUTSIDER,
        "x86/shadow: change\n\nSigned-off-by: Olive Outsider <olive@example.com>\n\
         Acked-by: Tim Deegan <tim@example.org>\n",
    );
    let out = repo.check(&[&format!("{sha}^..{sha}")]);
    assert_eq!(
        out.code, 2,
        "stdout: {}\nstderr: {}",
        out.stdout, out.stderr
    );
    assert!(
        out.stderr.contains(".github/pushgate.toml at ") && out.stderr.contains(":3:"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

// ---------------------------------------------------------------------------------------------
// `pushgate check`: bad input
// ---------------------------------------------------------------------------------------------

#[test]
fn check_on_a_directory_that_is_not_a_repository_exits_2() {
    let sandbox = Sandbox::new();
    let plain = sandbox.path().join("plain");
    std::fs::create_dir(&plain).unwrap();
    let out = sandbox.pushgate(&["check", "--repo", &plain.to_string_lossy(), "HEAD"]);
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    assert!(out.stderr.contains("plain"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn check_with_a_missing_repository_directory_exits_2() {
    let sandbox = Sandbox::new();
    let gone = sandbox.path().join("gone");
    let out = sandbox.pushgate(&["check", "--repo", &gone.to_string_lossy(), "HEAD"]);
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
}

#[test]
fn check_with_a_bad_range_exits_2_naming_the_range() {
    let history = build_history();
    let out = history.repo.check(&["--json", "nosuchref..HEAD"]);
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    assert!(out.stderr.contains("nosuchref"), "{}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
}

#[test]
fn range_starting_with_a_dash_is_never_taken_as_a_git_option() {
    let history = build_history();
    let target = history.repo.sandbox.path().join("leaked-output");
    let option = format!("--output={}", target.to_string_lossy());
    // After `--` clap hands the value over as the range; git must not see an option.
    let out = history.repo.check(&["--json", "--", &option]);
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    assert!(!target.exists(), "git took {option} as an option");
    // Without `--` the argument parser refuses it.
    let out = history.repo.check(&[&option]);
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    assert!(!target.exists(), "git took {option} as an option");
}

#[test]
fn check_with_malformed_maintainers_at_the_parent_exits_2_naming_the_line() {
    let repo = Repo::new();
    repo.write(
        "MAINTAINERS",
        "THE REST\nM:\tStefano Committer <sstabellini@example.com>\nF:\t*\nF:\txen/[oops\n",
    );
    repo.touch("README", "one");
    repo.commit(("Stefano Committer", "sstabellini@example.com"), "base\n");
    repo.touch("README", "two");
    repo.commit(OUTSIDER, "change\n");
    let out = repo.check(&["--json", "HEAD^..HEAD"]);
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    assert!(out.stderr.contains("MAINTAINERS"), "{}", out.stderr);
    assert!(out.stderr.contains(":4:"), "{}", out.stderr);
}

#[test]
fn root_commit_is_judged_without_policy_files_not_with_the_index() {
    let repo = Repo::new();
    repo.touch("README", "hello");
    repo.commit(
        OUTSIDER,
        "root\n\nSigned-off-by: Olive Outsider <olive@example.com>\n",
    );
    // A MAINTAINERS that would approve everything, staged but never committed.
    repo.write(
        "MAINTAINERS",
        "THE REST\nM:\tOlive Outsider <olive@example.com>\nF:\t*\nF:\t*/\n",
    );
    repo.git(&["add", "MAINTAINERS"]);
    let out = repo.check(&["--json", "HEAD"]);
    assert_eq!(out.code, 1, "stderr: {}", out.stderr);
    let commits: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(commits[0]["satisfied"], Value::Bool(false));
}

#[test]
fn tree_that_is_not_a_directory_exits_2() {
    let (sandbox, maintainers) = with_maintainers();
    let missing = sandbox.path().join("no-such-tree");
    let out = sandbox.pushgate(&[
        "maintainers",
        "-m",
        &maintainers,
        "--tree",
        &missing.to_string_lossy(),
        "README",
    ]);
    assert_eq!(out.code, 2, "stderr: {}", out.stderr);
    assert!(out.stderr.contains("no-such-tree"), "{}", out.stderr);
}

/// A MAINTAINERS file that cannot be read is named once with the OS error once (the error's
/// message carried the cause and main printed it again as the cause's cause).
#[test]
fn missing_maintainers_file_prints_the_os_error_once() {
    let sandbox = Sandbox::new();
    let missing = sandbox.path().join("no-such-MAINTAINERS");
    let outcome = sandbox.pushgate(&[
        "maintainers",
        "-m",
        missing.to_str().unwrap(),
        "xen/arch/x86/traps.c",
    ]);
    assert_eq!(outcome.code, 2, "{outcome:?}");
    assert_eq!(
        outcome.stderr.matches("os error 2").count(),
        1,
        "{outcome:?}"
    );
    assert_eq!(outcome.stderr.lines().count(), 1, "{outcome:?}");
    assert!(
        outcome.stderr.contains(&*missing.to_string_lossy()),
        "{outcome:?}"
    );
}

/// The README's first offline commands work in a fresh clone, on the sample data of
/// `fixtures/`: `maintainers`, `support` (exit 0 with the sample's one warning) and `check` on
/// the repository `fixtures/sample-repo.sh` builds (one commit short of an ack: exit 1).
#[test]
fn the_readme_offline_commands_work_on_the_fixtures() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let fixture = |name: &str| fixtures.join(name).to_string_lossy().into_owned();
    let sandbox = Sandbox::new();

    let who = sandbox.pushgate(&[
        "maintainers",
        "-m",
        &fixture("MAINTAINERS"),
        "xen/arch/x86/mm/shadow/multi.c",
    ]);
    assert_eq!(who.code, 0, "{who:?}");
    assert!(
        who.stdout.contains("Sha Dow <sha@shadow.example>"),
        "{who:?}"
    );

    let support = sandbox.pushgate(&["support", &fixture("SUPPORT.md")]);
    assert_eq!(support.code, 0, "{support:?}");
    assert!(support.stdout.contains("x86/PV (x86_64)"), "{support:?}");
    let warnings: Vec<&str> = support
        .stderr
        .lines()
        .filter(|l| l.starts_with("warning: "))
        .collect();
    assert_eq!(warnings.len(), 1, "{support:?}");
    assert!(
        warnings[0].contains("unfamiliar status `Deprecated, to be removed`, read as Deprecated"),
        "{support:?}"
    );

    let built = sandbox
        .isolated("sh")
        .arg(fixture("sample-repo.sh"))
        .arg("xen-like")
        .output()
        .expect("run sh");
    assert!(built.status.success(), "{built:?}");
    let check = sandbox.pushgate(&["check", "--repo", "xen-like", "HEAD~3..HEAD"]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(
        check
            .stdout
            .contains("2 of 3 commits satisfy the check-in policy"),
        "{check:?}"
    );
    assert!(
        check
            .stdout
            .contains("missing: ack from a maintainer of X86 ARCHITECTURE"),
        "{check:?}"
    );
}
