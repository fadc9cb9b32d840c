//! `pushgate action`, the real binary in a simulated runner: an event payload in a file,
//! GITHUB_STEP_SUMMARY and GITHUB_OUTPUT as temporary files, and the fake GitHub as the API.
//! Each test checks what a workflow would see: exit code, outputs, summary and annotations.

mod support;

use std::collections::BTreeMap;

use pushgate::sim::{endpoint, FakeGitHub, Fault, ReviewState};
use serde_json::{json, Value};
use support::{CONFIG, INSTALLATION, MAINTAINERS, NEWCOMER, REPO, SHADOW};

const ARM: &str = "xen/arch/arm/setup.c";

/// A fake GitHub holding the fixture repository, and a token for it.
async fn github(config: &str) -> (FakeGitHub, String, String) {
    let (gh, api) = support::fake_github_with(&[
        ("MAINTAINERS", Some(MAINTAINERS)),
        (".github/pushgate.toml", Some(config)),
        (SHADOW, Some("int shadow;\n")),
        (ARM, Some("int arm;\n")),
        (
            "SUPPORT.md",
            Some("# Support\n\n## Guests\n\n### x86/PV\n\n    Status: Supported\n"),
        ),
    ])
    .await;
    let token = gh.mint_token(INSTALLATION);
    (gh, api, token)
}

/// A pull request by the newcomer changing `files`.
fn open_pr(gh: &FakeGitHub, branch: &str, files: &[(&str, Option<&str>)]) -> u64 {
    let base = gh.branch_tip(REPO, "staging").expect("staging");
    gh.create_branch(REPO, branch, &base);
    gh.commit(
        REPO,
        branch,
        NEWCOMER,
        "A change\n\nSigned-off-by: Nora",
        files,
    );
    gh.open_pr(REPO, NEWCOMER.2, branch, "staging", "A change")
}

/// One step of a workflow run: the runner's variables and the event file.
struct Step {
    vars: BTreeMap<String, String>,
    event: Option<Vec<u8>>,
    summary_before: String,
}

/// What the step left behind.
#[derive(Debug)]
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
    summary: String,
    outputs: BTreeMap<String, String>,
}

impl Step {
    fn new(api: &str, token: &str, mode: &str, event_name: &str) -> Step {
        let vars = [
            ("GITHUB_API_URL", api),
            ("GITHUB_REPOSITORY", REPO),
            ("GITHUB_EVENT_NAME", event_name),
            ("INPUT_MODE", mode),
            ("INPUT_TOKEN", token),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Step {
            vars,
            event: None,
            summary_before: String::new(),
        }
    }

    fn event(mut self, payload: &Value) -> Step {
        self.event = Some(serde_json::to_vec(payload).expect("payload"));
        self
    }

    fn raw_event(mut self, bytes: &[u8]) -> Step {
        self.event = Some(bytes.to_vec());
        self
    }

    fn set(mut self, name: &str, value: &str) -> Step {
        self.vars.insert(name.to_string(), value.to_string());
        self
    }

    fn without(mut self, name: &str) -> Step {
        self.vars.remove(name);
        self
    }

    async fn run(self) -> Ran {
        tokio::task::spawn_blocking(move || {
            let dir = tempfile::tempdir().expect("temp dir");
            let summary = dir.path().join("summary.md");
            let output = dir.path().join("output");
            std::fs::write(&summary, &self.summary_before).expect("summary file");
            std::fs::write(&output, "").expect("output file");
            let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_pushgate"));
            // Nothing from the test's own environment (a real GITHUB_TOKEN, say) leaks in.
            command.arg("action").env_clear().envs(&self.vars);
            command
                .env("GITHUB_STEP_SUMMARY", &summary)
                .env("GITHUB_OUTPUT", &output);
            if let Some(bytes) = &self.event {
                let path = dir.path().join("event.json");
                std::fs::write(&path, bytes).expect("event file");
                command.env("GITHUB_EVENT_PATH", &path);
            }
            let out = command.output().expect("runs pushgate");
            let outputs = std::fs::read_to_string(&output).expect("output file");
            Ran {
                code: out.status.code().unwrap_or(-1),
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                summary: std::fs::read_to_string(&summary).expect("summary file"),
                outputs: read_outputs(&outputs),
            }
        })
        .await
        .expect("step thread")
    }
}

/// GITHUB_OUTPUT read the way the runner reads it: `name=value`, or `name<<DELIMITER`, the
/// lines of the value, and the delimiter alone on a line.
fn read_outputs(text: &str) -> BTreeMap<String, String> {
    let mut outputs = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((name, delimiter)) = line.split_once("<<") {
            let value: Vec<&str> = lines.by_ref().take_while(|l| *l != delimiter).collect();
            outputs.insert(name.to_string(), value.join("\n"));
        } else if let Some((name, value)) = line.split_once('=') {
            outputs.insert(name.to_string(), value.to_string());
        } else {
            assert!(line.is_empty(), "stray line in GITHUB_OUTPUT: {line:?}");
        }
    }
    outputs
}

impl Ran {
    fn output(&self, name: &str) -> &str {
        self.outputs
            .get(name)
            .map(String::as_str)
            .unwrap_or_else(|| panic!("no output {name}: {self:?}"))
    }

    fn errors(&self) -> Vec<&str> {
        self.stdout
            .lines()
            .filter(|l| l.starts_with("::error"))
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_met_exits_zero_with_satisfied_true() {
    let (gh, api, token) = github(CONFIG).await;
    let pr = open_pr(&gh, "topic", &[(SHADOW, Some("int shadow = 1;\n"))]);
    gh.add_review(REPO, pr, "sha-gh", ReviewState::Approved, "Looks right");
    let event = gh.pull_request_event(REPO, pr, "opened", None);
    let ran = Step::new(&api, &token, "acks", "pull_request_target")
        .event(&event)
        .run()
        .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.output("satisfied"), "true");
    assert_eq!(ran.output("missing"), "");
    assert!(
        ran.summary.contains("## pushgate/acks on #1"),
        "{}",
        ran.summary
    );
    assert!(ran.summary.contains("acked by @sha-gh"), "{}", ran.summary);
    assert!(ran.errors().is_empty(), "{}", ran.stdout);
    // The same check as the App's, on the head commit; labels are the App's business.
    let checks = gh.check_runs(REPO);
    assert_eq!(checks.len(), 1, "{checks:?}");
    assert_eq!(checks[0].name, "pushgate/acks");
    assert_eq!(checks[0].head_sha, gh.pr_head(REPO, pr));
    assert_eq!(checks[0].conclusion.as_deref(), Some("success"));
    assert!(gh.labels_on(REPO, pr).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_missing_exits_one_and_names_each_area_on_its_own_line() {
    let (gh, api, token) = github(CONFIG).await;
    let pr = open_pr(
        &gh,
        "topic",
        &[
            (SHADOW, Some("int shadow = 1;\n")),
            (ARM, Some("int arm = 1;\n")),
        ],
    );
    let event = gh.pull_request_event(REPO, pr, "opened", None);
    let ran = Step::new(&api, &token, "acks", "pull_request")
        .event(&event)
        .run()
        .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(ran.output("satisfied"), "false");
    let missing: Vec<&str> = ran.output("missing").lines().collect();
    assert!(missing.len() >= 3, "{missing:?}");
    assert!(missing[0].contains("ARM ARCHITECTURE"), "{missing:?}");
    assert!(missing[1].contains("X86 SHADOW PAGETABLES"), "{missing:?}");
    assert!(missing[1].contains("Sha Dow"), "{missing:?}");
    assert!(
        missing
            .iter()
            .any(|m| m.contains("someone other than the author")),
        "{missing:?}"
    );
    // One annotation per missing thing, on the file where there is one.
    let errors = ran.errors();
    assert_eq!(errors.len(), missing.len(), "{}", ran.stdout);
    assert!(
        errors[0].starts_with(&format!(
            "::error title=pushgate/acks,file={ARM}::#1 needs ack"
        )),
        "{errors:?}"
    );
    assert!(
        errors[1].contains(&format!("file={SHADOW}::")),
        "{errors:?}"
    );
    assert!(!errors[2].contains("file="), "{errors:?}");
    assert!(ran.summary.contains("Not ready yet"), "{}", ran.summary);
    assert!(ran.summary.contains("@sha-gh"), "{}", ran.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fork_pull_request_is_judged_by_the_base_branch_maintainers() {
    let (gh, api, token) = github(CONFIG).await;
    // The fork makes its author the shadow maintainer; that must not count, because policy
    // is read at the base commit.
    let forged = MAINTAINERS.replace(
        "M:\tSha Dow <sha@shadow.example>",
        "M:\tNora Newcomer <nora@new.example>",
    );
    let pr = open_pr(
        &gh,
        "fork-topic",
        &[
            (SHADOW, Some("int shadow = 2;\n")),
            ("MAINTAINERS", Some(&forged)),
        ],
    );
    gh.add_review(REPO, pr, "rhea-gh", ReviewState::Approved, "");
    let mut event = gh.pull_request_event(REPO, pr, "opened", None);
    // As GitHub sends it for a fork: the head lives in another repository, which the token
    // cannot read and pushgate never asks for.
    event["pull_request"]["head"]["repo"] = json!({
        "full_name": "nora-gh/hypervisor",
        "fork": true,
        "owner": {"login": "nora-gh"},
    });
    event["pull_request"]["head"]["label"] = json!("nora-gh:fork-topic");
    let ran = Step::new(&api, &token, "acks", "pull_request_target")
        .event(&event)
        .run()
        .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    let missing = ran.output("missing");
    assert!(missing.contains("Sha Dow"), "{missing}");
    assert!(
        ran.summary.contains(
            "this pull request edits `MAINTAINERS`; it is judged by the version on the base"
        ),
        "{}",
        ran.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slash_ack_on_an_issue_comment_event_passes() {
    let (gh, api, token) = github(CONFIG).await;
    let pr = open_pr(&gh, "topic", &[(SHADOW, Some("int shadow = 3;\n"))]);
    opened_run(&gh, &api, &token, pr).await;
    let comment = gh.add_comment(REPO, pr, "sha-gh", "Fine by me.\n/ack");
    let event = gh.issue_comment_event(REPO, pr, comment);
    let ran = Step::new(&api, &token, "acks", "issue_comment")
        .event(&event)
        .run()
        .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.output("satisfied"), "true");
    // A comment's run belongs to the default branch: the check run is what reaches the PR
    // (the opened run's and this one's).
    let checks = gh.check_runs(REPO);
    assert_eq!(checks.len(), 2, "{checks:?}");
    assert_eq!(checks[1].head_sha, gh.pr_head(REPO, pr));
    assert_eq!(checks[1].conclusion.as_deref(), Some("success"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_token_still_judges_and_warns_about_the_check_run() {
    let (gh, api, token) = github(CONFIG).await;
    let pr = open_pr(&gh, "topic", &[(SHADOW, Some("int shadow = 6;\n"))]);
    gh.add_review(REPO, pr, "sha-gh", ReviewState::Approved, "");
    gh.inject(Fault::status(403).on(endpoint::CREATE_CHECK_RUN));
    let review = gh.add_review(REPO, pr, "rhea-gh", ReviewState::Commented, "Nice");
    let event = gh.review_event(REPO, pr, review);
    let ran = Step::new(&api, &token, "acks", "pull_request_review")
        .event(&event)
        .run()
        .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.output("satisfied"), "true");
    assert!(gh.check_runs(REPO).is_empty());
    assert!(
        ran.stdout
            .contains("::warning title=pushgate::the `pushgate/acks` check run was not posted"),
        "{}",
        ran.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_base_config_is_exit_two_pointing_at_the_line() {
    let (gh, api, token) = github("[acks]\nmin_open = \"0s\"\nbogus = 1\n").await;
    let pr = open_pr(&gh, "topic", &[(SHADOW, Some("int shadow = 4;\n"))]);
    let event = gh.pull_request_event(REPO, pr, "opened", None);
    let ran = Step::new(&api, &token, "acks", "pull_request_target")
        .event(&event)
        .run()
        .await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert_eq!(ran.output("satisfied"), "false");
    let errors = ran.errors();
    assert_eq!(errors.len(), 1, "{}", ran.stdout);
    assert!(
        errors[0]
            .starts_with("::error title=pushgate/acks,file=.github/pushgate.toml,line=3,col=1::"),
        "{errors:?}"
    );
    assert!(
        ran.summary.contains("configuration is invalid"),
        "{}",
        ran.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_input_names_another_file_on_the_base_branch() {
    let (gh, api, token) = github(CONFIG).await;
    // This config maps no login to Sha Dow, so Sha's approval cannot be recognised.
    gh.commit(
        REPO,
        "staging",
        ("Cora Committer", "cora@rest.example", "cora-gh"),
        "Another config",
        &[("ci/pushgate.toml", Some("[acks]\nmin_open = \"0s\"\n"))],
    );
    let pr = open_pr(&gh, "topic", &[(SHADOW, Some("int shadow = 7;\n"))]);
    gh.add_review(REPO, pr, "sha-gh", ReviewState::Approved, "");
    let event = gh.pull_request_event(REPO, pr, "opened", None);
    let with_default = Step::new(&api, &token, "acks", "pull_request_target")
        .event(&event)
        .run()
        .await;
    assert_eq!(with_default.code, 0, "{with_default:?}");
    let with_other = Step::new(&api, &token, "acks", "pull_request_target")
        .set("INPUT_CONFIG", "ci/pushgate.toml")
        .event(&event)
        .run()
        .await;
    assert_eq!(with_other.code, 1, "{with_other:?}");
    assert!(
        with_other.output("missing").contains("Sha Dow"),
        "{with_other:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn summary_is_appended_after_earlier_steps() {
    let (gh, api, token) = github(CONFIG).await;
    let pr = open_pr(&gh, "topic", &[(SHADOW, Some("int shadow = 5;\n"))]);
    let event = gh.pull_request_event(REPO, pr, "opened", None);
    let mut step = Step::new(&api, &token, "acks", "pull_request_target").event(&event);
    step.summary_before = "# Earlier step\n".to_string();
    let ran = step.run().await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.summary.starts_with("# Earlier step\n## pushgate/acks"),
        "{}",
        ran.summary
    );
}

async fn open_issues(api: &str, token: &str, issues: &[(&str, &[&str])]) {
    let http = reqwest::Client::new();
    for (title, labels) in issues {
        let status = http
            .post(format!("{api}/repos/{REPO}/issues"))
            .header("authorization", format!("token {token}"))
            .json(&json!({ "title": title, "labels": labels }))
            .send()
            .await
            .expect("create issue")
            .status();
        assert_eq!(status.as_u16(), 201);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_gate_blocked_lists_the_issues() {
    let (_gh, api, token) = github(CONFIG).await;
    open_issues(
        &api,
        &token,
        &[
            ("Docs typo", &["docs"]),
            ("PV guests crash", &["regression", "feature: x86/PV"]),
            ("Must fix", &["release-blocker"]),
        ],
    )
    .await;
    // A scheduled run carries no pull request; the gate needs no event at all.
    let ran = Step::new(&api, &token, "release-gate", "schedule")
        .run()
        .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert_eq!(ran.output("blocking-issues"), "[2,3]");
    assert!(
        ran.summary.contains("| #2 | PV guests crash |"),
        "{}",
        ran.summary
    );
    assert!(!ran.summary.contains("Docs typo"), "{}", ran.summary);
    let errors = ran.errors();
    assert_eq!(errors.len(), 2, "{}", ran.stdout);
    assert!(
        errors[0].starts_with("::error title=release blocked::#2 PV guests crash"),
        "{errors:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn release_gate_clear_exits_zero_with_an_empty_list() {
    let (_gh, api, token) = github(CONFIG).await;
    open_issues(&api, &token, &[("Docs typo", &["docs"])]).await;
    let ran = Step::new(&api, &token, "release-gate", "workflow_dispatch")
        .run()
        .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.output("blocking-issues"), "[]");
    assert!(
        ran.summary.contains("Nothing holds the release"),
        "{}",
        ran.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_event_file_is_exit_two_with_a_clear_message() {
    let (_gh, api, token) = github(CONFIG).await;
    let ran = Step::new(&api, &token, "acks", "pull_request_target")
        .raw_event(b"{ not json")
        .run()
        .await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr
            .contains("event.json: the event payload is not valid JSON"),
        "{}",
        ran.stderr
    );
    assert!(
        ran.stdout.starts_with("::error title=pushgate::"),
        "{}",
        ran.stdout
    );
    assert!(ran.outputs.is_empty(), "{:?}", ran.outputs);
    assert!(
        ran.summary.starts_with("## pushgate\n\n**Error:** "),
        "{}",
        ran.summary
    );

    let ran = Step::new(&api, &token, "acks", "pull_request_target")
        .run()
        .await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains("GITHUB_EVENT_PATH is not set"),
        "{}",
        ran.stderr
    );

    let ran = Step::new(&api, &token, "acks", "pull_request_target")
        .event(&json!({"action": "opened"}))
        .run()
        .await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains("names no pull request"),
        "{}",
        ran.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_token_is_exit_two_naming_the_input() {
    let (gh, api, _token) = github(CONFIG).await;
    let pr = open_pr(&gh, "topic", &[(SHADOW, Some("x\n"))]);
    let event = gh.pull_request_event(REPO, pr, "opened", None);
    let ran = Step::new(&api, "", "acks", "pull_request_target")
        .without("INPUT_TOKEN")
        .event(&event)
        .run()
        .await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("no token"), "{}", ran.stderr);
    assert!(ran.stderr.contains("INPUT_TOKEN"), "{}", ran.stderr);
    assert_eq!(gh.calls_total(), 0, "nothing was asked of GitHub");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_on_a_push_event_is_exit_two() {
    let (_gh, api, token) = github(CONFIG).await;
    let ran = Step::new(&api, &token, "acks", "push")
        .event(&json!({"ref": "refs/heads/staging"}))
        .run()
        .await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr.contains("this run is for `push`"),
        "{}",
        ran.stderr
    );

    let ran = Step::new(&api, &token, "deploy", "push").run().await;
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(
        ran.stderr
            .contains("mode must be acks, release-gate or support-labels"),
        "{}",
        ran.stderr
    );
}

const FEATURES: &str = "\n[[support.feature]]\nname = \"x86/PV\"\npaths = [\"xen/arch/x86/\"]\n";

fn repo_label_names(gh: &FakeGitHub) -> Vec<String> {
    let mut names: Vec<String> = gh.repo_labels(REPO).into_iter().map(|l| l.0).collect();
    names.sort();
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_labels_sync_the_repository_then_the_pull_request() {
    let (gh, api, token) = github(&format!("{CONFIG}{FEATURES}")).await;
    // A manual run: no pull request, only the repository's labels.
    let ran = Step::new(&api, &token, "support-labels", "workflow_dispatch")
        .run()
        .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    let pv = gh
        .repo_labels(REPO)
        .into_iter()
        .find(|l| l.0 == "feature: x86/PV");
    assert_eq!(
        pv.and_then(|l| l.2).as_deref(),
        Some("Supported"),
        "{:?}",
        gh.repo_labels(REPO)
    );
    assert!(repo_label_names(&gh).contains(&"support: Supported".to_string()));
    assert!(ran.summary.contains("1 feature(s)"), "{}", ran.summary);
    assert!(!ran.summary.contains("0 created"), "{}", ran.summary);

    let pr = open_pr(&gh, "topic", &[(SHADOW, Some("int shadow = 8;\n"))]);
    let event = gh.pull_request_event(REPO, pr, "opened", None);
    let before = repo_label_names(&gh);
    let ran = Step::new(&api, &token, "support-labels", "pull_request_target")
        .event(&event)
        .run()
        .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.summary.contains("0 created, 0 updated"),
        "{}",
        ran.summary
    );
    assert_eq!(
        repo_label_names(&gh),
        before,
        "a second sync changes nothing"
    );
    let mut labels = gh.labels_on(REPO, pr);
    labels.sort();
    assert_eq!(labels, ["feature: x86/PV", "support: Supported"]);
    assert!(
        ran.summary
            .contains("Pull request #1: `feature: x86/PV`, `support: Supported`."),
        "{}",
        ran.summary
    );
}

/// A status line with no status fails the step, annotated on its line; the features that read
/// get their labels all the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_labels_with_a_line_with_no_status_sync_the_other_features() {
    let (gh, api, token) = github(CONFIG).await;
    gh.commit(
        REPO,
        "staging",
        ("Cora Committer", "cora@rest.example", "cora-gh"),
        "Break SUPPORT.md",
        &[(
            "SUPPORT.md",
            Some("# Support\n\n## Guests\n\n### x86/PV\n\n    Status Supported\n\n### x86/HVM\n\n    Status: Supported\n"),
        )],
    );
    let ran = Step::new(&api, &token, "support-labels", "push")
        .run()
        .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    let labels = repo_label_names(&gh);
    assert!(
        labels.contains(&"feature: x86/HVM".to_string()),
        "{labels:?}"
    );
    assert!(
        !labels.contains(&"feature: x86/PV".to_string()),
        "{labels:?}"
    );
    let errors = ran.errors();
    assert_eq!(errors.len(), 1, "{}", ran.stdout);
    assert!(
        errors[0].starts_with("::error title=pushgate support,file=SUPPORT.md,line=7::"),
        "{errors:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn support_labels_fail_a_pull_request_whose_support_md_cannot_be_read() {
    let (gh, api, token) = github(CONFIG).await;
    let broken = "# Support\n\n## Guests\n\n### x86/PV\n\n    Status, x86 Supported\n";
    let pr = open_pr(&gh, "broken-support", &[("SUPPORT.md", Some(broken))]);
    let event = gh.pull_request_event(REPO, pr, "opened", None);
    let ran = Step::new(&api, &token, "support-labels", "pull_request_target")
        .event(&event)
        .run()
        .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    let line = broken
        .lines()
        .position(|l| l == "    Status, x86 Supported")
        .unwrap()
        + 1;
    let errors = ran.errors();
    assert_eq!(errors.len(), 1, "{}", ran.stdout);
    assert!(
        errors[0].starts_with(&format!(
            "::error title=pushgate support,file=SUPPORT.md,line={line}::"
        )),
        "{errors:?}"
    );
    assert!(ran.summary.contains("cannot be read"), "{}", ran.summary);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pull_request_editing_the_configured_config_file_is_told_and_validated() {
    let (gh, api, token) = github(CONFIG).await;
    gh.commit(
        REPO,
        "staging",
        ("Cora Committer", "cora@rest.example", "cora-gh"),
        "Another config",
        &[("ci/pushgate.toml", Some("[acks]\nmin_open = \"0s\"\n"))],
    );
    let pr = open_pr(
        &gh,
        "loosen",
        &[("ci/pushgate.toml", Some("[acks]\nmin_open = \"soon\"\n"))],
    );
    let event = gh.pull_request_event(REPO, pr, "opened", None);
    let ran = Step::new(&api, &token, "acks", "pull_request_target")
        .set("INPUT_CONFIG", "ci/pushgate.toml")
        .event(&event)
        .run()
        .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.summary
            .contains("this pull request edits `ci/pushgate.toml`"),
        "{}",
        ran.summary
    );
    assert!(
        ran.summary
            .contains("This pull request's `ci/pushgate.toml` is invalid"),
        "{}",
        ran.summary
    );
}

/// The `edited` event that started the run says who edited: an ack added to a maintainer's
/// comment by someone else does not pass, the maintainer's own edit does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ack_added_to_a_comment_by_someone_else_does_not_pass_the_step() {
    let (gh, api, token) = github(CONFIG).await;
    let pr = open_pr(&gh, "topic", &[(SHADOW, Some("int shadow = 3;\n"))]);
    opened_run(&gh, &api, &token, pr).await;
    let comment = gh.add_comment(REPO, pr, "sha-gh", "Still reading.");
    gh.edit_comment(REPO, comment, "cora-gh", "Still reading.\n/ack");
    let event = gh.issue_comment_edited_event(REPO, pr, comment);
    let ran = Step::new(&api, &token, "acks", "issue_comment")
        .event(&event)
        .run()
        .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(
        ran.summary.contains("edited by someone else"),
        "{}",
        ran.summary
    );

    gh.edit_comment(REPO, comment, "sha-gh", "Read it.\n/ack");
    let event = gh.issue_comment_edited_event(REPO, pr, comment);
    let ran = Step::new(&api, &token, "acks", "issue_comment")
        .event(&event)
        .run()
        .await;
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.summary.contains("edited by its author @sha-gh"),
        "{}",
        ran.summary
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_push_run_dismisses_the_acks_given_before_it_and_a_stale_review_never_counts() {
    let (gh, api, token) = github(CONFIG).await;
    let now = chrono::Utc::now().timestamp();
    gh.set_now(now - 1000);
    let pr = open_pr(&gh, "topic", &[(SHADOW, Some("int shadow = 3;\n"))]);
    let first = gh.pr_head(REPO, pr);
    gh.set_now(now - 900);
    gh.add_comment(REPO, pr, "sha-gh", "/ack");
    // A change to the shadow code: its own run must not count the ack.
    gh.set_now(now - 800);
    gh.push_to_pr(
        REPO,
        pr,
        NEWCOMER,
        "more",
        &[(SHADOW, Some("int shadow = 4;\n"))],
    );
    let event = gh.pull_request_event(REPO, pr, "synchronize", Some(&first));
    let ran = Step::new(&api, &token, "acks", "pull_request_target")
        .event(&event)
        .run()
        .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.summary.contains("@sha-gh"), "{}", ran.summary);
    // A review of the first head, submitted later, is judged by its commit in any run.
    gh.set_now(now - 700);
    gh.add_review_on(REPO, pr, "sha-gh", ReviewState::Approved, &first);
    let review = gh.pull_request_event(REPO, pr, "edited", None);
    let ran = Step::new(&api, &token, "acks", "pull_request_target")
        .event(&review)
        .run()
        .await;
    assert_eq!(
        ran.code, 1,
        "a review of code that is gone counted: {ran:?}"
    );
}

/// Each run records the pull request's heads in its check run for the next: a comment's run
/// after a push still dismisses the acks given before the push, as the App does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_comment_run_after_a_push_still_dismisses_the_acks_given_before_it() {
    let (gh, api, token) = github(CONFIG).await;
    let now = chrono::Utc::now().timestamp();
    let run = |name: &'static str, event: serde_json::Value| {
        let (api, token) = (api.clone(), token.clone());
        async move {
            Step::new(&api, &token, "acks", name)
                .event(&event)
                .run()
                .await
        }
    };
    gh.set_now(now - 1000);
    let pr = open_pr(&gh, "topic", &[(SHADOW, Some("int shadow = 3;\n"))]);
    let first = gh.pr_head(REPO, pr);
    let ran = run(
        "pull_request_target",
        gh.pull_request_event(REPO, pr, "opened", None),
    )
    .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    gh.set_now(now - 900);
    let ack = gh.add_comment(REPO, pr, "sha-gh", "/ack");
    let ran = run("issue_comment", gh.issue_comment_event(REPO, pr, ack)).await;
    assert_eq!(ran.code, 0, "{ran:?}");

    gh.set_now(now - 800);
    gh.push_to_pr(
        REPO,
        pr,
        NEWCOMER,
        "more",
        &[(SHADOW, Some("int shadow = 4;\n"))],
    );
    let ran = run(
        "pull_request_target",
        gh.pull_request_event(REPO, pr, "synchronize", Some(&first)),
    )
    .await;
    assert_eq!(ran.code, 1, "{ran:?}");
    // Anyone's comment starts a run that does not know of the push from its own event.
    gh.set_now(now - 700);
    let chat = gh.add_comment(REPO, pr, "nora-gh", "Any news?");
    let ran = run("issue_comment", gh.issue_comment_event(REPO, pr, chat)).await;
    assert_eq!(ran.code, 1, "an ack given before the push counted: {ran:?}");
    // The maintainer acks the new code.
    gh.set_now(now - 600);
    let again = gh.add_comment(REPO, pr, "sha-gh", "/ack");
    let ran = run("issue_comment", gh.issue_comment_event(REPO, pr, again)).await;
    assert_eq!(ran.code, 0, "{ran:?}");
}

/// When no run recorded the head (its push's run never posted), a comment's run cannot tell
/// which head earlier acks were given on: they count once given again, and the summary says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_head_no_run_recorded_counts_no_comment_ack_given_before_the_run() {
    let (gh, api, token) = github(CONFIG).await;
    let now = chrono::Utc::now().timestamp();
    gh.set_now(now - 1000);
    let pr = open_pr(&gh, "topic", &[(SHADOW, Some("int shadow = 3;\n"))]);
    gh.set_now(now - 900);
    gh.add_comment(REPO, pr, "sha-gh", "/ack");
    gh.set_now(now - 800);
    gh.push_to_pr(
        REPO,
        pr,
        NEWCOMER,
        "more",
        &[(SHADOW, Some("int shadow = 4;\n"))],
    );
    gh.set_now(now - 700);
    let chat = gh.add_comment(REPO, pr, "nora-gh", "Any news?");
    let ran = Step::new(&api, &token, "acks", "issue_comment")
        .event(&gh.issue_comment_event(REPO, pr, chat))
        .run()
        .await;
    assert_eq!(ran.code, 1, "an ack of unknown code counted: {ran:?}");
    assert!(
        ran.summary.contains("no earlier run recorded when"),
        "{}",
        ran.summary
    );
    // The next run knows the head from this one, and still not what came before it.
    gh.set_now(now - 650);
    let chat = gh.add_comment(REPO, pr, "nora-gh", "Hello?");
    let ran = Step::new(&api, &token, "acks", "issue_comment")
        .event(&gh.issue_comment_event(REPO, pr, chat))
        .run()
        .await;
    assert_eq!(ran.code, 1, "an ack of unknown code counted: {ran:?}");
    // A review names its commit: it counts in any run.
    gh.set_now(now - 600);
    gh.add_review(REPO, pr, "sha-gh", ReviewState::Approved, "");
    let ran = Step::new(&api, &token, "acks", "pull_request_target")
        .event(&gh.pull_request_event(REPO, pr, "edited", None))
        .run()
        .await;
    assert_eq!(ran.code, 0, "{ran:?}");
}

/// The run of `opened` a workflow on `pull_request_target` makes, which records the first
/// head for later runs.
async fn opened_run(gh: &FakeGitHub, api: &str, token: &str, pr: u64) {
    let ran = Step::new(api, token, "acks", "pull_request_target")
        .event(&gh.pull_request_event(REPO, pr, "opened", None))
        .run()
        .await;
    assert!(ran.code <= 1, "{ran:?}");
}
