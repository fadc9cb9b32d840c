//! `pushgate action`: the GitHub Action's entry. It reads what the runner gives a step (the
//! event, the repository, the API address, a token), runs one mode with the same code as the
//! App, and answers the runner's way: a job summary, step outputs, annotations, an exit code.
//!
//! It reads everything through the API and never touches the workspace, so on
//! `pull_request_target` no code from the pull request is checked out or run: MAINTAINERS,
//! `.mailmap` and the config come from the pull request's base commit.

use crate::github::{BranchName, RepoName, Rev, Sha};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use serde_json::Value;

use super::{CliError, EXIT_ERROR, EXIT_OK, EXIT_SHORT};
use crate::config::{Config, ConfigError, CONFIG_PATH};
use crate::core::policy::Status;
use crate::core::release::Blocker;
use crate::core::text::cell;
use crate::github::webhook::Webhook;
use crate::github::{Api, GitHubError, Installation, Retry};
use crate::handlers::acks::{self, Assessment, SeenHead};
use crate::handlers::{support, Clock, Context, HandlerError};
use crate::metrics::Metrics;
use crate::runner::{self, Annotation, Level, SHOWN_ANNOTATIONS, SUMMARY_LIMIT};
use crate::store::Store;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// What to do. Default: the INPUT_MODE variable (the action sets it from its `mode` input).
    #[arg(long, value_enum)]
    pub mode: Option<Mode>,
    /// The config's path in the repository, read from the base (or default) branch. Default:
    /// INPUT_CONFIG, else .github/pushgate.toml.
    #[arg(long)]
    pub config: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Judge the pull request of the event by the maintainer-ack policy.
    Acks,
    /// Fail while an open issue holds the release.
    ReleaseGate,
    /// Sync the `support:` and `feature:` labels with SUPPORT.md.
    SupportLabels,
}

impl Mode {
    fn parse(raw: &str) -> Option<Mode> {
        match raw.trim() {
            "acks" => Some(Mode::Acks),
            "release-gate" => Some(Mode::ReleaseGate),
            "support-labels" => Some(Mode::SupportLabels),
            _ => None,
        }
    }
}

/// The events `acks` judges: those that carry a pull request, or a comment on one.
const ACKS_EVENTS: &[&str] = &[
    "pull_request_target",
    "pull_request",
    "pull_request_review",
    "pull_request_review_comment",
    "issue_comment",
];

/// What the runner gives a step, read once from the environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Runner {
    pub event_name: String,
    pub event_path: Option<PathBuf>,
    pub repository: String,
    pub api_url: String,
    pub token: Option<String>,
    pub summary_path: Option<PathBuf>,
    pub output_path: Option<PathBuf>,
}

impl Runner {
    /// Reads the runner's variables through `var` (empty counts as unset). The token is the
    /// action's `token` input (`INPUT_TOKEN`), else `PUSHGATE_TOKEN`, else `GITHUB_TOKEN`; the
    /// API is `PUSHGATE_GITHUB_API`, else `GITHUB_API_URL`, else `https://api.github.com`.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Runner {
        let var = |name: &str| var(name).filter(|v| !v.trim().is_empty());
        Runner {
            event_name: var("GITHUB_EVENT_NAME").unwrap_or_default(),
            event_path: var("GITHUB_EVENT_PATH").map(PathBuf::from),
            repository: var("GITHUB_REPOSITORY").unwrap_or_default(),
            api_url: var("PUSHGATE_GITHUB_API")
                .or_else(|| var("GITHUB_API_URL"))
                .unwrap_or_else(|| "https://api.github.com".to_string()),
            token: var("INPUT_TOKEN")
                .or_else(|| var("PUSHGATE_TOKEN"))
                .or_else(|| var("GITHUB_TOKEN")),
            summary_path: var("GITHUB_STEP_SUMMARY").map(PathBuf::from),
            output_path: var("GITHUB_OUTPUT").map(PathBuf::from),
        }
    }

    fn repo(&self) -> Result<RepoName, CliError> {
        RepoName::parse(&self.repository)
            .map_err(|e| CliError::Usage(format!("GITHUB_REPOSITORY must be owner/name: {e}")))
    }

    fn token(&self) -> Result<&str, CliError> {
        self.token.as_deref().ok_or_else(|| {
            CliError::Usage(
                "no token: set the action's `token` input (INPUT_TOKEN), or PUSHGATE_TOKEN or \
                 GITHUB_TOKEN"
                    .into(),
            )
        })
    }

    /// The event payload; a step that needs one fails with exit 2 without it.
    fn event(&self) -> Result<Webhook, CliError> {
        let path = self.event_path.as_ref().ok_or_else(|| {
            CliError::Usage("GITHUB_EVENT_PATH is not set: no event to read".into())
        })?;
        let bytes = std::fs::read(path).map_err(|source| CliError::Read {
            path: path.clone(),
            error: source,
        })?;
        match serde_json::from_slice::<Value>(&bytes) {
            Ok(event @ Value::Object(_)) => Webhook::from_json(&event).map_err(|e| {
                CliError::Usage(format!(
                    "{}: the event payload is not one GitHub sends: {e}",
                    path.display()
                ))
            }),
            Ok(_) => Err(CliError::Usage(format!(
                "{}: the event payload is not a JSON object",
                path.display()
            ))),
            Err(e) => Err(CliError::Usage(format!(
                "{}: the event payload is not valid JSON: {e}",
                path.display()
            ))),
        }
    }
}

/// What a mode produced, before it is written to the runner's files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepResult {
    pub exit: u8,
    pub summary: String,
    pub outputs: Vec<(&'static str, String)>,
    pub annotations: Vec<Annotation>,
}

/// Runs one mode. Exit 0 when the policy is met (or there is nothing to judge), 1 when it is
/// not, 2 on bad input: no or unreadable event, no token, an event the mode does not handle,
/// an invalid config.
pub fn run(args: &Args) -> Result<u8, CliError> {
    let runner = Runner::from_vars(|name| std::env::var(name).ok());
    let outcome = decide(args, &runner);
    let result = match outcome {
        Ok(result) => result,
        Err(error) => {
            // Shown on the run page and in the job summary as well as in the log.
            println!("{}", failure_annotation(&error).command());
            // Best effort: failing to write the summary must not hide the error itself.
            if let Some(path) = &runner.summary_path {
                let _ = append(
                    path,
                    &format!("## pushgate\n\n**Error:** {}\n", cell(&error.to_string())),
                );
            }
            return Err(error);
        }
    };
    publish(&runner, &result)?;
    Ok(result.exit)
}

fn decide(args: &Args, runner: &Runner) -> Result<StepResult, CliError> {
    let mode = match args.mode {
        Some(mode) => mode,
        None => {
            let raw = std::env::var("INPUT_MODE").unwrap_or_default();
            Mode::parse(&raw).ok_or_else(|| {
                CliError::Usage(format!(
                    "mode must be acks, release-gate or support-labels (--mode or the \
                     `mode` input), got `{raw}`"
                ))
            })?
        }
    };
    let config_path = args
        .config
        .clone()
        .or_else(|| std::env::var("INPUT_CONFIG").ok())
        .filter(|p| !p.trim().is_empty())
        .unwrap_or_else(|| CONFIG_PATH.to_string());
    let repo = runner.repo()?;
    // Checked before any network: a wrong setup is reported as such.
    let event = match mode {
        Mode::Acks => {
            if !ACKS_EVENTS.contains(&runner.event_name.as_str()) {
                return Err(CliError::Usage(format!(
                    "acks mode judges pull requests: run it on {}; this run is for `{}`",
                    ACKS_EVENTS.join(", "),
                    runner.event_name
                )));
            }
            Some(runner.event()?)
        }
        Mode::ReleaseGate => None,
        Mode::SupportLabels => runner
            .event_path
            .is_some()
            .then(|| runner.event())
            .transpose()?,
    };
    let token = runner.token()?;
    let runtime = tokio::runtime::Runtime::new().map_err(CliError::Output)?;
    runtime.block_on(async {
        // octocrab's client needs the runtime to exist when it is built.
        let api = Api::with_token(
            &runner.api_url,
            token,
            Arc::new(Metrics::new()),
            Retry::default(),
        )?;
        match mode {
            Mode::Acks => {
                acks_mode(
                    &api,
                    &repo,
                    &runner.event_name,
                    &event.unwrap_or_default(),
                    &config_path,
                )
                .await
            }
            Mode::ReleaseGate => release_gate_mode(&api, &repo, &config_path).await,
            Mode::SupportLabels => {
                support_labels_mode(
                    &api,
                    &repo,
                    &runner.event_name,
                    event.as_ref(),
                    &config_path,
                )
                .await
            }
        }
    })
}

// ---- acks ----

async fn acks_mode(
    api: &Api,
    repo: &RepoName,
    event_name: &str,
    event: &Webhook,
    config_path: &str,
) -> Result<StepResult, CliError> {
    let Some(number_) = event.pull_number() else {
        return Err(CliError::Usage(format!(
            "the `{event_name}` event names no pull request"
        )));
    };
    if event_name == "issue_comment" && !event.on_pull_request() {
        return Ok(nothing_to_judge(format!(
            "#{number_} is an issue, not a pull request: nothing to judge."
        )));
    }
    let gh = Installation { api: api.clone() };
    // The event's copy of the pull request when it has one: the run belongs to that head.
    let pr = match event.pull_request.clone() {
        Some(pr) if !pr.head.sha.is_empty() && !pr.base.sha.is_empty() => pr,
        _ => api.pull(repo, number_).await?,
    };
    if !pr.is_open() {
        return Ok(nothing_to_judge(format!(
            "#{number_} is not open: nothing to judge."
        )));
    }
    let mut ctx = context().await?;
    ctx.config_path = config_path.to_string();
    let push = SeenHead::of_event(&event.action, event);
    // A comment's own event says who wrote or changed it (the store lives for this run only,
    // so other edited comments are judged by who GitHub says edited them last).
    acks::record_words(&ctx, repo, event_name, event).await?;
    // The pushes earlier runs saw, from their check runs: an approval counts for the head it
    // was given on, in every run as in the App.
    let head_sha = pr.head_sha()?;
    let mut from = vec![head_sha.to_string()];
    from.extend(push.as_ref().and_then(|p| p.before.clone()));
    let known = earlier_heads(&gh, repo, &from).await?;
    for (sha, at) in &known {
        ctx.store
            .record_push(repo, number_.get(), sha, *at)
            .await
            .map_err(HandlerError::from)?;
    }
    let head_known = known.iter().any(|(sha, _)| *sha == head_sha)
        || push.as_ref().is_some_and(|p| p.sha == head_sha);
    if !head_known {
        // No run recorded when this head came: what was said before now may have been said
        // on any earlier head, whose changes nobody knows (see `acks::UNKNOWN_HEAD`).
        ctx.store
            .record_push(repo, number_.get(), acks::UNKNOWN_HEAD, 0)
            .await
            .map_err(HandlerError::from)?;
    }
    let mut assessment = acks::assess(&ctx, &gh, repo, number_, &pr, push).await?;
    if !head_known {
        assessment.report.summary.push_str(&format!(
            "\n\n> **Note:** no earlier run recorded when `{}` became the head (its push's \
             `pull_request_target` run did not post `{}`), so acks in comments made before this \
             run count as given on an earlier head. Re-run that push's job, or ack again; \
             reviews count for the commit they name.",
            crate::core::text::short(&head_sha),
            acks::CHECK_NAME
        ));
    }
    let pushes = ctx
        .store
        .pushes(repo, number_.get())
        .await
        .map_err(HandlerError::from)?;
    let heads = acks::heads_text(&pushes);
    let mut result = acks_result(number_.get(), &assessment);
    // The same `pushgate/acks` check as the App's, on the head commit, so that a run started
    // by a comment (which GitHub files under the default branch, not the pull request) still
    // reaches the pull request, and a ruleset can require one name whatever ran it.
    let posted = acks::post_check_noting(
        &gh,
        repo,
        &assessment.head_sha,
        assessment.satisfied,
        &assessment.report,
        Some(&heads),
    )
    .await;
    match posted {
        Ok(()) => {}
        // A read-only token (a fork's pull_request_review run): the job still answers.
        Err(HandlerError::GitHub(e @ GitHubError::Refused { .. })) => {
            result.annotations.push(
                Annotation::error(format!(
                    "the `{}` check run was not posted ({e}); give the job `checks: write`",
                    acks::CHECK_NAME
                ))
                .level(Level::Warning)
                .titled("pushgate"),
            );
        }
        Err(e) => return Err(e.into()),
    }
    Ok(result)
}

/// The heads (and when each came) recorded by earlier runs in their `pushgate/acks` check
/// runs on these commits. A fork cannot post a check run on the base repository, so the
/// record comes from the base repository's workflow (or someone with write access).
async fn earlier_heads(
    gh: &Installation,
    repo: &RepoName,
    commits: &[String],
) -> Result<Vec<(String, i64)>, CliError> {
    let mut heads = Vec::new();
    for sha in commits.iter().filter_map(|sha| Sha::parse(sha).ok()) {
        let runs = crate::handlers::check_runs_named(&gh.api, repo, &sha, acks::CHECK_NAME).await?;
        for run in &runs {
            heads.extend(acks::parse_heads(run.output.text.as_deref().unwrap_or("")));
        }
    }
    Ok(heads)
}

/// The handlers' shared state for one run. No state survives between runs: an in-memory
/// store gives the handlers their caches. It is named and shared, so that every connection of
/// the pool sees the one database.
async fn context() -> Result<Context, CliError> {
    let store = Store::connect(&format!(
        "sqlite:file:pushgate-action-{}?mode=memory&cache=shared",
        std::process::id()
    ))
    .await
    .map_err(HandlerError::from)?;
    Ok(Context::new(store, Arc::new(Clock::default())))
}

fn nothing_to_judge(why: String) -> StepResult {
    StepResult {
        exit: EXIT_OK,
        summary: format!("## pushgate/acks\n\n{why}\n"),
        outputs: vec![("satisfied", "true".into()), ("missing", String::new())],
        annotations: Vec::new(),
    }
}

/// The step's answer for one assessment: exit 0 or 1 by the verdict, 2 when the base branch's
/// policy files cannot be used.
pub fn acks_result(number_: i64, a: &Assessment) -> StepResult {
    let mut missing: Vec<String> = Vec::new();
    let mut annotations = Vec::new();
    let title = "pushgate/acks";
    if let Some(e) = &a.config_error {
        missing.push(format!("a valid config: {e}"));
        annotations.push(config_annotation(e).titled(title));
    }
    for line in &a.maintainer_errors {
        missing.push(format!("a valid MAINTAINERS: {line}"));
        annotations.push(maintainers_annotation(line).titled(title));
    }
    if let Some(e) = &a.proposed_config_error {
        missing.push(format!("a valid config in this pull request: {e}"));
        annotations.push(config_annotation(e).titled(title));
    }
    if let Some(v) = &a.verdict {
        missing.extend(v.missing.iter().cloned());
        // The core lists the unmet requirements first, in order; those lines point at a file.
        let unmet: Vec<_> = v
            .verdict
            .requirements
            .iter()
            .filter(|r| matches!(r.status, Status::Missing | Status::NoMaintainer))
            .collect();
        let located = if v.missing.len() >= unmet.len() {
            unmet.len()
        } else {
            0
        };
        for (i, line) in v.missing.iter().enumerate() {
            let annotation = Annotation::error(format!("#{number_} needs {line}")).titled(title);
            annotations.push(match unmet.get(i).and_then(|r| r.files.first()) {
                Some(file) if i < located => annotation.at(file, None, None),
                _ => annotation,
            });
        }
    }
    if !a.satisfied && missing.is_empty() {
        // Judged unmet without a verdict for another reason the report gives in its title.
        missing.push(a.report.title.clone());
        annotations.push(Annotation::error(a.report.title.clone()).titled(title));
    }
    let broken = a.config_error.is_some() || !a.maintainer_errors.is_empty();
    let exit = if broken {
        EXIT_ERROR
    } else if a.satisfied {
        EXIT_OK
    } else {
        EXIT_SHORT
    };
    let summary = format!(
        "## pushgate/acks on #{number_}: {}\n\n{}\n",
        a.report.title, a.report.summary
    );
    StepResult {
        exit,
        summary,
        outputs: vec![
            ("satisfied", a.satisfied.to_string()),
            ("missing", missing.join("\n")),
        ],
        annotations,
    }
}

fn config_annotation(e: &ConfigError) -> Annotation {
    Annotation::error(e.message.clone()).at(&e.file, Some(e.line), Some(e.column))
}

/// `MAINTAINERS:12: message`, as the handlers word MAINTAINERS errors.
fn maintainers_annotation(line: &str) -> Annotation {
    let mut parts = line.splitn(3, ':');
    match (
        parts.next(),
        parts.next().map(str::parse::<usize>),
        parts.next(),
    ) {
        (Some(file), Some(Ok(at)), Some(message)) => {
            Annotation::error(message.trim()).at(file, Some(at), None)
        }
        _ => Annotation::error(line),
    }
}

// ---- release-gate ----

async fn release_gate_mode(
    api: &Api,
    repo: &RepoName,
    config_path: &str,
) -> Result<StepResult, CliError> {
    let blockers = super::release_gate::gather(api, repo, config_path).await?;
    Ok(release_gate_result(repo, &blockers))
}

/// Exit 1 and one annotation per issue while something holds the release. `blocking-issues`
/// is a JSON array of issue numbers (`[]` when clear), for `fromJSON` in a workflow.
pub fn release_gate_result(repo: &str, blockers: &[Blocker]) -> StepResult {
    let numbers: Vec<i64> = blockers.iter().map(|b| b.number).collect();
    let mut summary = String::from("## pushgate release gate\n\n");
    if blockers.is_empty() {
        summary.push_str(&format!("Nothing holds the release of {repo}.\n"));
    } else {
        summary.push_str(&format!(
            "The release of {repo} is held by {} issue(s):\n\n| Issue | Title | Why |\n|---|---|---|\n",
            blockers.len()
        ));
        for b in blockers {
            summary.push_str(&format!(
                "| #{} | {} | {} |\n",
                b.number,
                cell(&b.title),
                cell(&b.reason)
            ));
        }
        summary.push_str(
            "\nThe release can go ahead when these are closed, or when their labels no longer \
             mark a regression in a feature whose status blocks.\n",
        );
    }
    StepResult {
        exit: if blockers.is_empty() {
            EXIT_OK
        } else {
            EXIT_SHORT
        },
        summary,
        outputs: vec![("blocking-issues", Value::from(numbers).to_string())],
        annotations: blockers
            .iter()
            .map(|b| {
                Annotation::error(format!("#{} {}: {}", b.number, b.title, b.reason))
                    .titled("release blocked")
            })
            .collect(),
    }
}

// ---- support-labels ----

/// The repository's `support:` and `feature:` labels from SUPPORT.md on the default branch
/// and, on a pull request event, the pull request's `feature:` labels, with the App's code.
/// Exit 1 when SUPPORT.md has status lines with no status (the other features are synced).
async fn support_labels_mode(
    api: &Api,
    repo: &RepoName,
    event_name: &str,
    event: Option<&Webhook>,
    config_path: &str,
) -> Result<StepResult, CliError> {
    let gh = Installation { api: api.clone() };
    let ctx = context().await?;
    let info = api.repository(repo).await?;
    let branch = info.default_branch;
    // Both files are read at one commit, the branch's tip when the run looked.
    let tip = api.branch_tip(repo, &BranchName::parse(&branch)?).await?;
    let config = config_at(api, repo, config_path, &tip).await?;
    let file = config.support.file.clone();
    let Some(matrix) = ctx.support_at(&gh, repo, &file, &tip).await? else {
        return Ok(StepResult {
            exit: EXIT_OK,
            summary: format!(
                "## pushgate support labels\n\n`{file}` does not exist on `{branch}`: no labels.\n"
            ),
            outputs: Vec::new(),
            annotations: Vec::new(),
        });
    };
    let mut summary = String::from("## pushgate support labels\n\n");
    let mut annotations = Vec::new();
    let mut exit = EXIT_OK;
    // A line with no status fails the step; the features that read are synced all the same,
    // as the App does.
    if !matrix.unparsed.is_empty() {
        summary.push_str(&format!(
            "`{file}` on `{branch}` has {} status line(s) with no status that can be read; the \
             other features' labels are synced. Write them as `Status: <value>` or \
             `Status, <qualifier>: <value>`.\n\n",
            matrix.unparsed.len()
        ));
        annotations.extend(matrix.unparsed.iter().map(|u| {
            Annotation::error(format!("cannot read this status line: {}", u.text.trim()))
                .titled("pushgate support")
                .at(&file, Some(u.line), None)
        }));
        exit = EXIT_SHORT;
    }
    let sync = support::sync_labels(api, repo, &matrix).await?;
    summary.push_str(&format!(
        "`{file}` on `{branch}`: {} feature(s). Labels: {} created, {} updated.\n",
        matrix.features.len(),
        sync.created.len(),
        sync.updated.len()
    ));
    for name in sync.created.iter().chain(&sync.updated) {
        summary.push_str(&format!("- `{}`\n", cell(name)));
    }
    for name in &sync.unlabelled {
        annotations.push(
            Annotation::error(format!(
                "`{name}` gets no label: clipped to GitHub's 50 characters, its label would be \
                 another feature's too"
            ))
            .level(Level::Warning)
            .titled("pushgate support"),
        );
    }
    // Phrasings read by their words alone: warnings, the labels are synced.
    for u in &matrix.unfamiliar {
        annotations.push(
            Annotation::error(format!(
                "unfamiliar status `{}`, read by its words as {}",
                u.text, u.status
            ))
            .level(Level::Warning)
            .titled("pushgate support")
            .at(&file, Some(u.line), None),
        );
    }
    let pull = match event {
        Some(event) if event_name.starts_with("pull_request") => event.pull_request.clone(),
        _ => None,
    };
    if let Some(pr) = pull.filter(|pr| pr.is_open()) {
        let number_ = pr.number()?;
        let (base_sha, head_sha) = (pr.base_sha()?, pr.head_sha()?);
        // The pull request is judged by the config on its base, as the App does.
        let config = config_at(api, repo, config_path, &base_sha).await?;
        let (files, _) = ctx
            .cached_files(&gh, repo, number_, &base_sha, &head_sha)
            .await?;
        let features =
            support::pull_request(&ctx, &gh, repo, &config, &files, &base_sha, &head_sha).await?;
        // The pull request's own SUPPORT.md: its unreadable lines fail the step.
        if let Some((file, head)) = &features.head_support {
            for u in &head.unparsed {
                annotations.push(
                    Annotation::error(format!(
                        "this pull request's status line cannot be read: {}",
                        u.text.trim()
                    ))
                    .titled("pushgate support")
                    .at(file, Some(u.line), None),
                );
                summary.push_str(&format!(
                    "\nPull request #{number_}: `{file}` line {} cannot be read: `{}`.\n",
                    u.line,
                    cell(u.text.trim())
                ));
                exit = EXIT_SHORT;
            }
        }
        if let Some(wanted) = &features.labels {
            support::set_issue_labels(api, repo, number_, &pr.label_names(), wanted).await?;
            let shown: Vec<String> = wanted.iter().map(|l| format!("`{}`", cell(l))).collect();
            summary.push_str(&format!(
                "\nPull request #{number_}: {}.\n",
                if shown.is_empty() {
                    "no feature labels".to_string()
                } else {
                    shown.join(", ")
                }
            ));
        }
    }
    Ok(StepResult {
        exit,
        summary,
        outputs: Vec::new(),
        annotations,
    })
}

/// The config at `path` on `rev`; the defaults when it does not exist.
async fn config_at(
    api: &Api,
    repo: &RepoName,
    path: &str,
    commit: &Sha,
) -> Result<Config, CliError> {
    match api.file_at(repo, path, Rev::Commit(commit)).await? {
        Some(text) => Config::parse(&text, path).map_err(CliError::Config),
        None => Ok(Config::default()),
    }
}

// ---- answering the runner ----

fn failure_annotation(error: &CliError) -> Annotation {
    match error {
        CliError::Config(e) => config_annotation(e),
        other => Annotation::error(other.to_string()),
    }
    .titled("pushgate")
}

/// Annotations on stdout (the first few; GitHub shows no more), the summary appended to
/// `GITHUB_STEP_SUMMARY` (stdout when unset), the outputs appended to `GITHUB_OUTPUT`.
fn publish(runner: &Runner, result: &StepResult) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    for a in result.annotations.iter().take(SHOWN_ANNOTATIONS) {
        writeln!(out, "{}", a.command()).map_err(CliError::Output)?;
    }
    if result.annotations.len() > SHOWN_ANNOTATIONS {
        let more = Annotation::error(format!(
            "{} more problem(s): the job summary lists them all",
            result.annotations.len() - SHOWN_ANNOTATIONS
        ))
        .level(Level::Notice);
        writeln!(out, "{}", more.command()).map_err(CliError::Output)?;
    }
    let mut summary = result.summary.clone();
    let errors = result
        .annotations
        .iter()
        .filter(|a| a.level == Level::Error)
        .count();
    if errors > SHOWN_ANNOTATIONS {
        summary.push_str("\n### Every problem\n\n");
        for a in &result.annotations {
            let place = match (&a.file, a.line) {
                (Some(file), Some(line)) => format!("`{file}:{line}`: "),
                (Some(file), None) => format!("`{file}`: "),
                _ => String::new(),
            };
            summary.push_str(&format!("- {place}{}\n", cell(&a.message)));
        }
    }
    match &runner.summary_path {
        Some(path) => {
            let used = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
            let room = SUMMARY_LIMIT.saturating_sub(usize::try_from(used).unwrap_or(usize::MAX));
            append(path, &runner::fit_summary(&summary, room))?;
        }
        None => writeln!(out, "{summary}").map_err(CliError::Output)?,
    }
    if let Some(path) = &runner.output_path {
        let seed = format!(
            "{}:{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default()
        );
        let blocks: String = result
            .outputs
            .iter()
            .map(|(name, value)| runner::output_block(name, value, &format!("{seed}:{name}")))
            .collect();
        append(path, &blocks)?;
    }
    out.flush().map_err(CliError::Output)
}

fn append(path: &PathBuf, text: &str) -> Result<(), CliError> {
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .map_err(|source| CliError::Read {
            path: path.clone(),
            error: source,
        })?;
    file.write_all(text.as_bytes())
        .map_err(|source| CliError::Read {
            path: path.clone(),
            error: source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn runner(vars: &[(&str, &str)]) -> Runner {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Runner::from_vars(|name| vars.get(name).cloned())
    }

    #[test]
    fn token_comes_from_the_input_first() {
        for (vars, want) in [
            (
                vec![
                    ("INPUT_TOKEN", "a"),
                    ("PUSHGATE_TOKEN", "b"),
                    ("GITHUB_TOKEN", "c"),
                ],
                Some("a"),
            ),
            (vec![("INPUT_TOKEN", " "), ("GITHUB_TOKEN", "c")], Some("c")),
            (
                vec![("PUSHGATE_TOKEN", "b"), ("GITHUB_TOKEN", "c")],
                Some("b"),
            ),
            (vec![], None),
        ] {
            assert_eq!(runner(&vars).token.as_deref(), want, "{vars:?}");
        }
    }

    #[test]
    fn repository_must_be_owner_slash_name() {
        for (repo, ok) in [
            ("xen/xen", true),
            ("xen", false),
            ("xen/", false),
            ("a/b/c", false),
            ("", false),
        ] {
            let r = runner(&[("GITHUB_REPOSITORY", repo)]);
            assert_eq!(r.repo().is_ok(), ok, "{repo}");
        }
    }

    #[test]
    fn maintainers_errors_point_at_their_line() {
        let a = maintainers_annotation("MAINTAINERS:12: unknown tag `Q:`");
        assert_eq!(a.file.as_deref(), Some("MAINTAINERS"));
        assert_eq!(a.line, Some(12));
        assert_eq!(a.message, "unknown tag `Q:`");
        let b = maintainers_annotation("something else");
        assert_eq!((b.file, b.message.as_str()), (None, "something else"));
    }

    #[test]
    fn release_gate_output_is_a_json_array() {
        let blocker = |number| Blocker {
            number,
            title: "PV | crash".into(),
            feature: None,
            status: None,
            reason: "labelled `release-blocker`".into(),
        };
        let held = release_gate_result("o/r", &[blocker(3), blocker(14)]);
        assert_eq!(held.exit, EXIT_SHORT);
        assert_eq!(
            held.outputs,
            vec![("blocking-issues", "[3,14]".to_string())]
        );
        assert!(
            held.summary.contains("| #3 | PV \\| crash |"),
            "{}",
            held.summary
        );
        assert_eq!(held.annotations.len(), 2);
        let clear = release_gate_result("o/r", &[]);
        assert_eq!(clear.exit, EXIT_OK);
        assert_eq!(clear.outputs, vec![("blocking-issues", "[]".to_string())]);
    }
}
