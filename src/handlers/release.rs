//! The `pushgate/release` check (SPEC §5) on release tags, release branch heads and pull
//! requests into release branches. Each such commit is remembered as a release target, so that
//! when an issue's labels change, or it closes or reopens, every target's check is posted again
//! with the new answer. The config comes from the default branch; each target is judged by its
//! own SUPPORT.md (a release branch keeps its own statuses), and the dashboard's answer by the
//! default branch's.

use crate::github::{RepoName, Rev, Sha};
use std::collections::BTreeMap;

use super::{Context, HandlerError};
use crate::config::Config;
use crate::core::glob::wildcard;
use crate::core::labels::{feature_label, feature_named_by, status_text, RELEASE_BLOCKER};
use crate::core::release::{blockers, release_report, Blocker, OpenIssue, ReleaseView, Rules};
use crate::core::say;
use crate::core::support::{parse_support, SupportMatrix};
use crate::core::text::{clip, short};
use crate::github::model::Output;
use crate::github::webhook::Webhook;
use crate::github::{Api, GitHubError, Installation};

pub const CHECK_NAME: &str = "pushgate/release";
/// GitHub's limit on an issue title, in characters.
const TITLE_LIMIT: usize = 256;
/// How many release targets an issue change re-evaluates (newest first).
const TARGETS: i64 = 20;

/// The open issues that hold a release of `repo`, with SUPPORT.md read at `rev`.
pub async fn find_blockers(
    api: &Api,
    repo: &RepoName,
    config: &Config,
    rev: Rev<'_>,
) -> Result<Vec<Blocker>, GitHubError> {
    let support_text = api
        .file_at(repo, &config.support.file, rev)
        .await?
        .unwrap_or_default();
    let support = parse_support(&support_text);
    let issues = candidate_issues(api, repo, config).await?;
    Ok(blockers(&issues, &support, &rules(config)))
}

fn rules(config: &Config) -> Rules {
    Rules {
        regression_labels: config.release.regression_labels.clone(),
        blocking_statuses: config.release.blocking_statuses.clone(),
    }
}

/// The open issues that can hold a release: those with a regression label or
/// `release-blocker`.
async fn candidate_issues(
    api: &Api,
    repo: &RepoName,
    config: &Config,
) -> Result<Vec<OpenIssue>, GitHubError> {
    // Only issues with a regression label or `release-blocker` can block: one filtered list
    // per label (GitHub's `labels` filter wants all the labels it names), not every open issue.
    let mut issues: Vec<OpenIssue> = Vec::new();
    let labels = config
        .release
        .regression_labels
        .iter()
        .map(String::as_str)
        .chain([RELEASE_BLOCKER]);
    for label in labels {
        let found = api.open_issues(repo, Some(label), 20).await?;
        for i in found {
            // GitHub lists pull requests among issues; the gate is about issues.
            if i.is_pull_request() || issues.iter().any(|o| o.number == i.number) {
                continue;
            }
            issues.push(OpenIssue {
                number: i.number,
                labels: i.label_names(),
                title: i.title,
            });
        }
    }
    issues.sort_by_key(|i| i.number);
    Ok(issues)
}

/// The release target a pushed ref is, if it is one: `tag:<name>` or `branch:<name>`.
pub fn target_of_ref(config: &Config, git_ref: &str) -> Option<String> {
    if let Some(tag) = git_ref.strip_prefix("refs/tags/") {
        return wildcard(&config.release.tag_pattern, tag).then(|| format!("tag:{tag}"));
    }
    let branch = git_ref.strip_prefix("refs/heads/")?;
    is_release_branch(config, branch).then(|| format!("branch:{branch}"))
}

fn is_release_branch(config: &Config, branch: &str) -> bool {
    config.release.branches.iter().any(|p| wildcard(p, branch))
}

/// The default branch's tip and config; None when it has none or the config is broken (the
/// acks check reports a broken config).
async fn default_config(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
) -> Result<Option<(Sha, Config)>, HandlerError> {
    let Some(tip) = super::gather::default_tip(gh, repo, payload.default_branch()).await? else {
        return Ok(None);
    };
    let policy = ctx.policy_files(gh, repo, &tip).await?;
    Ok(policy.config.as_ref().ok().map(|c| (tip, c.clone())))
}

/// Where the last answers posted on each release target are kept (commit → blockers).
const TARGET_ANSWERS: &str = "release-targets";

/// Works out the answer for every remembered release target, each by SUPPORT.md at its own
/// commit, and posts it on `new` (a target just pushed or updated) and on every target whose
/// answer differs from the one last posted there: an unchanged answer posts nothing, the
/// target's newest run already says it. Keeps the default branch's answer (at `tip`) for the
/// dashboard. Returns how many checks were posted and the blockers at `tip`.
async fn publish(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    config: &Config,
    tip: &Sha,
    new: Option<&Sha>,
) -> Result<(usize, Vec<Blocker>), HandlerError> {
    let issues = candidate_issues(&gh.api, repo, config).await?;
    let rules = rules(config);
    let file = &config.support.file;
    let judge = |matrix: Option<std::sync::Arc<SupportMatrix>>| {
        blockers(&issues, &matrix.unwrap_or_default(), &rules)
    };
    let at_tip = judge(ctx.support_at(gh, repo, file, tip).await?);
    let mut shas: Vec<Sha> = new.cloned().into_iter().collect();
    let targets = ctx.store.release_targets(repo, TARGETS).await?;
    shas.extend(targets.iter().filter_map(|(_, sha)| Sha::parse(sha).ok()));
    shas.sort_unstable();
    shas.dedup();
    // Unreadable (an older version's): every target is posted again.
    let before: BTreeMap<String, Vec<Blocker>> = ctx
        .store
        .view(repo, TARGET_ANSWERS)
        .await?
        .and_then(|(v, _)| serde_json::from_str(&v).ok())
        .unwrap_or_default();
    let mut after = BTreeMap::new();
    let mut posted = 0;
    for sha in &shas {
        let found = judge(ctx.support_at(gh, repo, file, sha).await?);
        if Some(sha) == new || before.get(sha.as_str()) != Some(&found) {
            let report = release_report(&found);
            let output = Output::new(report.title, report.summary);
            super::post_check_run(&gh.api, repo, CHECK_NAME, sha, found.is_empty(), output).await?;
            posted += 1;
        }
        after.insert(sha.to_string(), found);
    }
    // Saved after the posts: a failure part-way leaves the old answers, so a retry posts again.
    ctx.store
        .save_view(
            repo,
            TARGET_ANSWERS,
            &serde_json::to_string(&after).unwrap_or_default(),
            ctx.clock.now(),
        )
        .await?;
    let view = serde_json::to_string(&ReleaseView::answered(at_tip.clone())).unwrap_or_default();
    ctx.store
        .save_view(repo, "release", &view, ctx.clock.now())
        .await?;
    Ok((posted, at_tip))
}

/// A push of a release tag or to a release branch.
pub async fn on_push(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
) -> Result<bool, HandlerError> {
    let after = &payload.after;
    if after.is_empty() || after.bytes().all(|b| b == b'0') {
        return Ok(false);
    }
    // An annotated or signed tag's `after` is the tag object, which can carry no check run;
    // `head_commit` is the commit it tags (and the pushed commit for a branch).
    let Ok(sha) = Sha::parse(payload.pushed_sha()) else {
        return Ok(false);
    };
    let Some((tip, config)) = default_config(ctx, gh, repo, payload).await? else {
        return Ok(false);
    };
    let pushed = payload.pushed_ref.as_deref().unwrap_or_default();
    let Some(target) = target_of_ref(&config, pushed) else {
        return Ok(false);
    };
    let (_, found) = publish(ctx, gh, repo, &config, &tip, Some(&sha)).await?;
    let installation = payload.installation_id();
    ctx.store
        .remember_release_target(repo, &target, &sha, installation, ctx.clock.now())
        .await?;
    tracing::info!(
        repo = %repo,
        target,
        sha = %sha,
        blockers = found.len(),
        "pushgate/release evaluated"
    );
    Ok(true)
}

/// A pull request into a release branch: checked on its head while open.
pub async fn on_pull_request(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
) -> Result<bool, HandlerError> {
    let Some(pull) = &payload.pull_request else {
        return Ok(false);
    };
    let target = format!("pr:{}", pull.number);
    if payload.action == "closed" {
        ctx.store.forget_release_target(repo, &target).await?;
        return Ok(false);
    }
    let Some((tip, config)) = default_config(ctx, gh, repo, payload).await? else {
        return Ok(false);
    };
    if !is_release_branch(&config, &pull.base.branch) {
        return Ok(false);
    }
    let head = &pull.head_sha()?;
    publish(ctx, gh, repo, &config, &tip, Some(head)).await?;
    let installation = payload.installation_id();
    ctx.store
        .remember_release_target(repo, &target, head, installation, ctx.clock.now())
        .await?;
    Ok(true)
}

/// An issue opened, closed, reopened or relabelled (or the reconciler's pass, with no issue):
/// when the answer changed, every remembered release target's check is posted again.
pub async fn on_issue(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
) -> Result<bool, HandlerError> {
    if ctx.store.release_targets(repo, 1).await?.is_empty() {
        return Ok(false);
    }
    let Some((tip, config)) = default_config(ctx, gh, repo, payload).await? else {
        return Ok(false);
    };
    if payload.issue.is_some() && !concerns_release(&config, payload) {
        return Ok(false);
    }
    let (posted, found) = publish(ctx, gh, repo, &config, &tip, None).await?;
    tracing::info!(
        repo = %repo,
        posted,
        blockers = found.len(),
        "release checks re-evaluated"
    );
    Ok(posted > 0)
}

/// Shows on `pushgate/release` that delivery `delivery` could not be handled, failing the
/// check (a release is held rather than let through on an answer pushgate could not give):
/// on the pushed release tag or branch, or the pull request into a release branch, the
/// delivery names; for an issue event or the reconciler's pass, on every remembered target
/// (once while the same failure lasts, so a reconciler meeting it every pass adds no runs).
/// The failure replaces the stored answer, so the next evaluation posts its answer
/// everywhere again.
pub async fn show_failure(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    payload: &Webhook,
    delivery: &str,
    what: &str,
) -> Result<usize, HandlerError> {
    let config = default_config(ctx, gh, repo, payload)
        .await?
        .map(|(_, config)| config);
    let view = serde_json::to_string(&ReleaseView::failed(what)).unwrap_or_default();
    let shas: Vec<String> = if let Some(pr) = &payload.pull_request {
        let into_release = config
            .as_ref()
            .is_some_and(|c| is_release_branch(c, &pr.base.branch));
        let head = pr.head.sha.clone();
        (into_release && payload.action != "closed" && !head.is_empty())
            .then_some(head)
            .into_iter()
            .collect()
    } else if let Some(pushed) = &payload.pushed_ref {
        let target = config.as_ref().and_then(|c| target_of_ref(c, pushed));
        let sha = payload.pushed_sha();
        (target.is_some() && !sha.is_empty() && !sha.bytes().all(|b| b == b'0'))
            .then_some(sha.to_string())
            .into_iter()
            .collect()
    } else if ctx.store.view(repo, "release").await?.map(|(v, _)| v) == Some(view.clone()) {
        Vec::new()
    } else {
        ctx.store
            .release_targets(repo, TARGETS)
            .await?
            .into_iter()
            .map(|(_, sha)| sha)
            .collect()
    };
    if shas.is_empty() {
        return Ok(0);
    }
    let output = Output::new(
        "pushgate could not answer for this release",
        format!(
            "{what}\n\nThe release is held until pushgate answers: push again, or change an \
             issue's labels, to retry. The maintainers of the pushgate installation can see the \
             details in its log (delivery `{delivery}`)."
        ),
    );
    for sha in &shas {
        let Ok(sha) = Sha::parse(sha) else { continue };
        super::post_check_run(&gh.api, repo, CHECK_NAME, &sha, false, output.clone()).await?;
    }
    ctx.store
        .save_view(repo, "release", &view, ctx.clock.now())
        .await?;
    ctx.store
        .save_view(repo, TARGET_ANSWERS, "{}", ctx.clock.now())
        .await?;
    Ok(shas.len())
}

/// Can this issue event change the release gate's answer? Only when the issue carries (or
/// just lost) a regression label or `release-blocker`: without one, no `feature:` label
/// makes it block.
fn concerns_release(config: &Config, payload: &Webhook) -> bool {
    let mut labels = payload
        .issue
        .as_ref()
        .map(|i| i.label_names())
        .unwrap_or_default();
    if let Some(removed) = payload.label.as_ref().filter(|l| !l.name.is_empty()) {
        labels.push(removed.name.clone());
    }
    labels.iter().any(|l| {
        l.eq_ignore_ascii_case(RELEASE_BLOCKER)
            || config
                .release
                .regression_labels
                .iter()
                .any(|r| r.eq_ignore_ascii_case(l))
    })
}

/// A regression the push gate pinned on `culprit`: when the culprit touches a feature whose
/// status blocks a release (SUPPORT.md read at `at`), open a regression issue with that
/// feature's label, so `pushgate/release` holds the release until it is closed. One issue per
/// culprit, remembered in the store (a title can be guessed and taken by anyone; the store
/// cannot). Returns the issue's number.
#[allow(clippy::too_many_arguments)]
pub async fn open_regression_issue(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    config: &Config,
    at: &str,
    flight: u64,
    checks: &[String],
    culprit: &str,
    about: &str,
) -> Result<Option<i64>, HandlerError> {
    if config.support.feature.is_empty() {
        return Ok(None);
    }
    let remembered = format!("regression:{culprit}");
    if let Some((number_, _)) = ctx.store.view(repo, &remembered).await? {
        return Ok(number_.parse().ok());
    }
    let culprit = &Sha::parse(culprit)?;
    let commit = gh.api.git_commit(repo, culprit).await?;
    let files = match commit.parents.first() {
        None => Vec::new(),
        Some(parent) => {
            let parent = Sha::parse(&parent.sha)?;
            let compare = gh
                .api
                .compare(repo, (&parent).into(), culprit.into())
                .await?;
            crate::github::model::file_names(&compare.files)
        }
    };
    let map = config.feature_map();
    let Some(matrix) = ctx
        .support_at(gh, repo, &config.support.file, &Sha::parse(at)?)
        .await?
    else {
        return Ok(None);
    };
    let blocking = &config.release.blocking_statuses;
    let hit: Vec<(String, String)> = map
        .touched(&files)
        .into_iter()
        .filter_map(|name| {
            let feature = matrix.feature(&name)?;
            feature
                .statuses
                .iter()
                .any(|s| blocking.contains(&s.status))
                .then(|| (name, status_text(feature)))
        })
        .collect();
    if hit.is_empty() {
        return Ok(None);
    }
    let subject = commit.message.lines().next().unwrap_or("").to_string();
    let names = hit
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    // GitHub takes titles of up to 256 characters; the SHA at the end is kept.
    let sha = format!(" ({})", short(culprit));
    let title = format!(
        "{}{sha}",
        clip(
            &format!("Regression in {names}: {subject}"),
            TITLE_LIMIT - sha.chars().count()
        )
    );
    let regression = config
        .release
        .regression_labels
        .first()
        .cloned()
        .unwrap_or_else(|| "regression".to_string());
    let mut labels = vec![regression];
    labels.extend(hit.iter().map(|(n, _)| feature_label(n)));
    // A clipped label that two features share names neither: hold the release by itself.
    if hit
        .iter()
        .any(|(n, _)| feature_named_by(&feature_label(n), &matrix).is_none())
    {
        labels.push(RELEASE_BLOCKER.to_string());
    }
    let features: Vec<String> = hit
        .iter()
        .map(|(n, status)| format!("{n}: {status}"))
        .collect();
    let body = say::regression(
        flight,
        (culprit.as_str(), about),
        checks,
        &features,
        CHECK_NAME,
    );
    let created = gh
        .api
        .create_labelled_issue(repo, &title, &body, &labels)
        .await?;
    let issue = created.number;
    ctx.store
        .save_view(repo, &remembered, &issue.to_string(), ctx.clock.now())
        .await?;
    tracing::warn!(repo = %repo, flight, culprit = %culprit, issue, features = %names, "regression in a release-blocking feature: issue opened");
    Ok(Some(issue))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_issues_with_release_labels_concern_the_release() {
        let config = Config::default();
        let event = |labels: &[&str], removed: Option<&str>| {
            let labels: Vec<serde_json::Value> = labels
                .iter()
                .map(|l| serde_json::json!({ "name": l }))
                .collect();
            let mut payload =
                serde_json::json!({ "action": "labeled", "issue": { "labels": labels } });
            if let Some(name) = removed {
                payload["label"] = serde_json::json!({ "name": name });
            }
            payload
        };
        let cases = [
            (event(&["bug"], None), false),
            (event(&["Regression"], None), true),
            (event(&["feature: x86/PV"], None), false),
            (event(&["feature: x86/PV", "regression"], None), true),
            (event(&["release-blocker"], None), true),
            // The label that was just taken off counts: the answer may change back.
            (event(&["bug"], Some("blocker")), true),
            (event(&[], Some("good first issue")), false),
        ];
        for (payload, want) in cases {
            let webhook = Webhook::from_json(&payload).unwrap();
            assert_eq!(concerns_release(&config, &webhook), want, "{payload}");
        }
    }

    #[test]
    fn release_refs_are_tags_and_branches_matching_the_config() {
        let config = Config::parse(
            "[release]\ntag_pattern = \"RELEASE-*\"\nbranches = [\"stable-*\"]\n",
            crate::config::CONFIG_PATH,
        )
        .unwrap();
        let cases = [
            ("refs/tags/RELEASE-4.19.0", Some("tag:RELEASE-4.19.0")),
            ("refs/tags/4.19.0-rc1", None),
            ("refs/heads/stable-4.19", Some("branch:stable-4.19")),
            ("refs/heads/staging", None),
            // Whole names only: a branch merely starting like a release branch is not one.
            ("refs/heads/my-stable-4.19", None),
            ("refs/tags/stable-4.19", None),
        ];
        for (git_ref, want) in cases {
            assert_eq!(
                target_of_ref(&config, git_ref).as_deref(),
                want,
                "{git_ref}"
            );
        }
    }
}
