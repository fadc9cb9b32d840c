//! Feature support status on GitHub (SPEC §4): the repository's `support:` and `feature:`
//! labels kept in step with SUPPORT.md on the default branch, the `feature:`
//! labels of pull requests, and the `pushgate/support` check that points at SUPPORT.md lines
//! it cannot read. A status phrase pushgate does not know is read by its words, with a warning
//! naming its line; a line with no status at all fails the check, and the other features'
//! labels are synced all the same.

use crate::github::{BranchName, PrNumber, RepoName, Sha};
use std::collections::BTreeSet;
use std::sync::Arc;

use super::{Context, HandlerError};
use crate::config::{Config, CONFIG_PATH};
use crate::core::labels::{
    self, is_feature_managed, label_changes, repository_labels, LabelChange, LabelSpec,
    StatusChange,
};
use crate::core::report::SUMMARY_LIMIT;
use crate::core::support::SupportMatrix;
use crate::core::text::{clip, truncate};
use crate::github::model::{Annotation, Output};
use crate::github::webhook::Webhook;
use crate::github::{Api, GitHubError, Installation};

pub const CHECK_NAME: &str = "pushgate/support";
/// GitHub takes at most 50 annotations per request; pushgate sends one request.
const ANNOTATIONS_PER_CALL: usize = 50;
/// How much of an unreadable line is quoted back.
const LINE_SHOWN: usize = 200;

/// What a label sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSync {
    pub created: Vec<String>,
    pub updated: Vec<String>,
    /// Features that get no label (long names clipped to the same label).
    pub unlabelled: Vec<String>,
}

/// Brings the repository's labels in step with `matrix`: creates the missing ones and fixes
/// colour and description of drifted ones. Never deletes a label.
pub async fn sync_labels(
    api: &Api,
    repo: &RepoName,
    matrix: &SupportMatrix,
) -> Result<LabelSync, GitHubError> {
    let existing: Vec<LabelSpec> = api
        .labels(repo, 20)
        .await?
        .into_iter()
        .map(|l| LabelSpec {
            name: l.name,
            color: l.color,
            description: l.description,
        })
        .collect();
    let (wanted, unlabelled) = repository_labels(matrix);
    let mut done = LabelSync {
        unlabelled,
        ..LabelSync::default()
    };
    for change in label_changes(&existing, &wanted) {
        match change {
            LabelChange::Create(spec) => {
                match api.create_label(repo, &repo_label(&spec)).await {
                    // Created meanwhile by someone else: next sync fixes its colour.
                    Err(GitHubError::Refused { status: 422, .. }) => {}
                    other => {
                        other?;
                        done.created.push(spec.name);
                    }
                }
            }
            LabelChange::Update { current, spec } => {
                api.update_label(repo, &current, &repo_label(&spec)).await?;
                done.updated.push(spec.name);
            }
        }
    }
    Ok(done)
}

/// A label as the core wants it, as GitHub's API takes it.
fn repo_label(spec: &LabelSpec) -> crate::github::model::RepoLabel {
    crate::github::model::RepoLabel {
        name: spec.name.clone(),
        color: spec.color.clone(),
        description: spec.description.clone(),
    }
}

/// Posts `pushgate/support` on `sha`: failure with one annotation per unreadable line of
/// `file`, or success with the feature counts and what the sync did.
pub async fn post_check(
    api: &Api,
    repo: &RepoName,
    sha: &Sha,
    file: &str,
    matrix: &SupportMatrix,
    sync: Option<&LabelSync>,
    warnings: &[String],
) -> Result<(), GitHubError> {
    let broken = !matrix.unparsed.is_empty();
    let (title, mut summary) = if broken {
        (
            format!("{file}: {} line(s) cannot be read", matrix.unparsed.len()),
            format!(
                "These lines of `{file}` look like status lines but carry no status that \
                 can be read; the other features' labels were synced. Write them as \
                 `Status: <value>` or `Status, <qualifier>: <value>`, with a status such as \
                 Supported, Tech Preview, Experimental or Deprecated.\n\n\
                 | Line | Text |\n|---:|---|\n{}",
                matrix
                    .unparsed
                    .iter()
                    .map(|u| format!(
                        "| {} | `{}` |\n",
                        u.line,
                        clip(u.text.trim(), LINE_SHOWN).replace('|', "\\|")
                    ))
                    .collect::<String>()
            ),
        )
    } else {
        let features = matrix.features.len();
        let counts = matrix
            .counts()
            .into_iter()
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("| {s} | {n} |\n"))
            .collect::<String>();
        (
            format!("{file}: {features} features"),
            format!("| Status | Status lines |\n|---|---:|\n{counts}"),
        )
    };
    if let Some(sync) = sync {
        summary.push_str(&format!(
            "\nLabels: {} created, {} updated.\n",
            sync.created.len(),
            sync.updated.len()
        ));
        for name in &sync.unlabelled {
            summary.push_str(&format!(
                "- `{name}` gets no label: clipped to GitHub's 50 characters, its label would \
                 be another feature's too\n"
            ));
        }
    }
    for warning in warnings {
        summary.push_str(&format!("- {warning}\n"));
    }
    for u in &matrix.unfamiliar {
        summary.push_str(&format!(
            "- line {}: unfamiliar status `{}`, read as {}\n",
            u.line,
            clip(&u.text, LINE_SHOWN).replace('`', "'"),
            u.status
        ));
    }
    // One request's worth of annotations: a file of a million bad lines must not cost
    // thousands of calls. The summary's table lists the lines (up to GitHub's size limit).
    let annotations: Vec<Annotation> = matrix
        .unparsed
        .iter()
        .take(ANNOTATIONS_PER_CALL)
        .map(|u| Annotation {
            path: file.to_string(),
            start_line: u.line,
            end_line: u.line,
            annotation_level: "failure",
            title: "Unreadable status line".to_string(),
            message: format!(
                "`{}` is not `Status: <value>` or `Status, <qualifier>: <value>`",
                clip(u.text.trim(), LINE_SHOWN)
            ),
        })
        .chain(matrix.unfamiliar.iter().map(|u| Annotation {
            path: file.to_string(),
            start_line: u.line,
            end_line: u.line,
            annotation_level: "warning",
            title: "Unfamiliar status".to_string(),
            message: format!(
                "`{}` is not a phrasing Xen uses; read by its words as {}",
                clip(&u.text, LINE_SHOWN),
                u.status
            ),
        }))
        .take(ANNOTATIONS_PER_CALL)
        .collect();
    if matrix.unparsed.len() + matrix.unfamiliar.len() > ANNOTATIONS_PER_CALL {
        summary.push_str(&format!(
            "\nThe first {ANNOTATIONS_PER_CALL} lines are annotated in the file.\n"
        ));
    }
    let output = Output {
        annotations,
        ..Output::new(title, truncate(&summary, SUMMARY_LIMIT))
    };
    super::post_check_run(api, repo, CHECK_NAME, sha, !broken, output).await?;
    Ok(())
}

/// Config features that SUPPORT.md does not list (their labels carry no status).
fn unknown_features(config: &Config, matrix: &SupportMatrix) -> Vec<String> {
    config
        .support
        .feature
        .iter()
        .filter(|f| matrix.feature(&f.name).is_none())
        .map(|f| {
            format!(
                "`[[support.feature]]` `{}` is not a feature of `{}`",
                f.name, config.support.file
            )
        })
        .collect()
}

/// A push to the default branch that touches SUPPORT.md or the config: sync the labels and
/// report on the pushed commit.
pub async fn on_push(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
) -> Result<bool, HandlerError> {
    let Some(branch) = payload
        .pushed_ref
        .as_deref()
        .and_then(|r| r.strip_prefix("refs/heads/"))
    else {
        return Ok(false);
    };
    // A deleted branch's `after` is all zeros: nothing to read.
    let Ok(sha) = Sha::parse(&payload.after) else {
        return Ok(false);
    };
    if sha.bytes().all(|b| b == b'0') {
        return Ok(false);
    }
    // One source of truth, the default branch, as the release gate and the reconciler read
    // it: labels synced from staging would flip back at the next reconciler pass.
    if branch != payload.default_branch() {
        return Ok(false);
    }
    let policy = ctx.policy_files(gh, repo, &sha).await?;
    let Ok(config) = &policy.config else {
        return Ok(false);
    };
    if !payload.created && !payload.touched(&config.support.file) && !payload.touched(CONFIG_PATH) {
        return Ok(false);
    }
    sync_at(ctx, gh, repo, &sha, config, true).await
}

/// The reconciler's pass: the labels as SUPPORT.md on the default branch wants them, in case a
/// push was missed. Does nothing while the tip is the one last synced.
pub async fn refresh(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    default_branch: &str,
) -> Result<bool, HandlerError> {
    let default_branch = BranchName::parse(default_branch)?;
    let Some(tip) = super::gather::ref_sha(gh, repo, &default_branch).await? else {
        return Ok(false);
    };
    if ctx.synced_support(repo).as_deref() == Some(tip.as_str()) {
        return Ok(false);
    }
    let policy = ctx.policy_files(gh, repo, &tip).await?;
    let Ok(config) = &policy.config else {
        return Ok(false);
    };
    sync_at(ctx, gh, repo, &tip, config, false).await
}

/// Reads SUPPORT.md at `sha`, keeps its view for the dashboard and, when it reads cleanly,
/// syncs the labels; `check` posts `pushgate/support` on `sha`.
async fn sync_at(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    sha: &Sha,
    config: &Config,
    check: bool,
) -> Result<bool, HandlerError> {
    let file = config.support.file.clone();
    let Some(matrix) = ctx.support_at(gh, repo, &file, sha).await? else {
        return Ok(false);
    };
    let warnings = unknown_features(config, &matrix);
    let view = crate::core::support::SupportView::of(&matrix, &file, sha);
    let view = serde_json::to_string(&view).unwrap_or_default();
    ctx.store
        .save_view(repo, "support", &view, ctx.clock.now())
        .await?;
    // A line with no status at all fails the check, but the features that read still get
    // their labels: one bad line does not hold the whole file back.
    if !matrix.unparsed.is_empty() {
        tracing::warn!(
            repo = %repo,
            sha = %sha,
            lines = matrix.unparsed.len(),
            "SUPPORT.md has status lines with no status; the other features are synced"
        );
    }
    for u in &matrix.unfamiliar {
        tracing::warn!(repo = %repo, sha = %sha, line = u.line, text = %u.text, status = %u.status, "unfamiliar support status, read by its words");
    }
    let sync = sync_labels(&gh.api, repo, &matrix).await?;
    ctx.remember_synced_support(repo, sha);
    tracing::info!(
        repo = %repo,
        sha = %sha,
        created = sync.created.len(),
        updated = sync.updated.len(),
        "support labels synced"
    );
    if check {
        post_check(&gh.api, repo, sha, &file, &matrix, Some(&sync), &warnings).await?;
    }
    Ok(true)
}

/// What the feature lifecycle says about a pull request.
#[derive(Debug, Clone, Default)]
pub struct PullFeatures {
    /// The feature labels it should carry (None: leave them as they are).
    pub labels: Option<BTreeSet<String>>,
    /// The features whose status it changes.
    pub changes: Vec<StatusChange>,
    /// Its own SUPPORT.md (file, parsed) when it edits it: the caller reports unreadable
    /// lines in `pushgate/support`.
    pub head_support: Option<(String, Arc<SupportMatrix>)>,
}

/// The features a pull request touches and the statuses it changes, and its SUPPORT.md when
/// it edits it. Posts nothing.
pub async fn pull_request(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    config: &Config,
    files: &[String],
    base_sha: &Sha,
    head_sha: &Sha,
) -> Result<PullFeatures, HandlerError> {
    let file = &config.support.file;
    let edits_support = files.iter().any(|f| f == file);
    if config.support.feature.is_empty() && !edits_support {
        return Ok(PullFeatures::default());
    }
    let base = ctx
        .support_at(gh, repo, file, base_sha)
        .await?
        .unwrap_or_else(|| Arc::new(SupportMatrix::default()));
    let mut changes = Vec::new();
    let mut head_support = None;
    if edits_support {
        let head = ctx
            .support_at(gh, repo, file, head_sha)
            .await?
            .unwrap_or_else(|| Arc::new(SupportMatrix::default()));
        changes = labels::status_changes(&base, &head);
        head_support = Some((file.clone(), head));
    }
    let map = config.feature_map();
    let touched = map.touched(files);
    Ok(PullFeatures {
        labels: Some(labels::pull_request_labels(
            &touched,
            &base,
            !changes.is_empty(),
        )),
        changes,
        head_support,
    })
}

/// Puts `wanted` feature labels on issue or pull request `number` and takes off the feature
/// labels it no longer should carry; other labels are left alone.
pub async fn set_issue_labels(
    api: &Api,
    repo: &RepoName,
    number: PrNumber,
    current: &[String],
    wanted: &BTreeSet<String>,
) -> Result<(), GitHubError> {
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|w| !current.iter().any(|c| c.eq_ignore_ascii_case(w)))
        .collect();
    if !missing.is_empty() {
        api.add_labels(repo, number, &missing).await?;
    }
    for stale in current
        .iter()
        .filter(|c| is_feature_managed(c) && !wanted.iter().any(|w| w.eq_ignore_ascii_case(c)))
    {
        match api.remove_label(repo, number, stale).await {
            Err(e) if e.not_found() => {}
            other => {
                other?;
            }
        }
    }
    Ok(())
}

/// An issue opened, edited, labelled or reopened: when it names a feature (a `feature: …`
/// label, or the feature's name in its title), it gets that feature's label and `support: …`
/// labels, as SUPPORT.md on the default branch states them. Labels are only added: one a
/// person took off an issue is theirs to decide. Pull requests are labelled by the files they
/// touch (`acks.rs`), not here.
pub async fn on_issue(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
) -> Result<bool, HandlerError> {
    let Some(issue) = &payload.issue else {
        return Ok(false);
    };
    let labelling = matches!(
        payload.action.as_str(),
        "opened" | "edited" | "labeled" | "reopened"
    );
    if !labelling || issue.is_pull_request() || issue.state == "closed" {
        return Ok(false);
    }
    let Some(tip) = super::gather::default_tip(gh, repo, payload.default_branch()).await? else {
        return Ok(false);
    };
    let policy = ctx.policy_files(gh, repo, &tip).await?;
    let Ok(config) = &policy.config else {
        return Ok(false);
    };
    let Some(matrix) = ctx.support_at(gh, repo, &config.support.file, &tip).await? else {
        return Ok(false);
    };
    let current = issue.label_names();
    let wanted = labels::issue_labels(&current, &issue.title, &matrix);
    let missing: Vec<&String> = wanted
        .iter()
        .filter(|w| !current.iter().any(|c| c.eq_ignore_ascii_case(w)))
        .collect();
    if missing.is_empty() {
        return Ok(false);
    }
    let number = issue.number;
    gh.api
        .add_labels(repo, PrNumber::new(number)?, &missing)
        .await?;
    tracing::info!(repo = %repo, issue = number, labels = ?missing, "issue labelled with its features' support");
    Ok(true)
}
