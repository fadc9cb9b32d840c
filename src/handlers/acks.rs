//! The `pushgate/acks` check: load a pull request's state from GitHub (cached where GitHub's
//! answer cannot have changed), let the core judge it, post the check run and labels, record
//! the verdict, and schedule a look at the end of the review window.
//!
//! Policy (MAINTAINERS, `.mailmap`, `.github/pushgate.toml`) is read at the PR's **base**
//! commit, never its head, so a PR cannot approve itself by editing them.

use crate::github::{PrNumber, RepoName, Sha};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use super::{Context, HandlerError};
use crate::config::{Ask, Config, ConfigError};
use crate::core::maintainers::SectionMatch;
use crate::core::people::{Identities, Person};
use crate::core::policy::{Options, Stature, StatusChange};
use crate::core::pull::{self, Comment, Push, Review, ReviewState, Settings, Timeline, Words};
use crate::core::report::{acks_report, Report, SUMMARY_LIMIT};
use crate::core::say;
use crate::core::support::SupportMatrix;
use crate::core::text::truncate;
use crate::github::model::Output;
use crate::github::model::{IssueComment, Pull, Review as GitHubReview};
use crate::github::webhook::Webhook;
use crate::github::Installation;
use crate::store::{Authored, Evaluation, Note};

pub const CHECK_NAME: &str = "pushgate/acks";
/// Pages of 100 read of each discussion list (reviews, comments, inline comments).
const DISCUSSION_PAGES: u32 = 10;
/// The store's `kind` of an issue comment and of an inline review comment: GitHub numbers
/// their ids apart.
pub(crate) const ISSUE_COMMENT: &str = "issue";
const REVIEW_COMMENT: &str = "review";
/// The store's `kind` of a review's body.
const REVIEW_BODY: &str = "review-body";
/// What one evaluation decided (for logs and tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub head_sha: String,
    pub satisfied: bool,
    pub title: String,
    /// The approvals a merge records as trailers.
    pub given: Vec<crate::core::merge::Given>,
    /// The judgement behind it (None when the policy files are broken): a merge takes each
    /// commit's trailers from it.
    pub verdict: Option<pull::PullVerdict>,
}

/// A head an event shows the pull request reaching, with GitHub's time for it (the opening,
/// or a push on `synchronize`), to be recorded before judging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenHead {
    pub sha: String,
    pub at: i64,
    /// The head it replaced (`synchronize`'s `before`): the head until just before `at`.
    pub before: Option<String>,
}

impl SeenHead {
    /// The head a `pull_request` event shows arriving: on `opened` and `reopened` the PR's
    /// head at its creation or update, on `synchronize` the pushed head at GitHub's time.
    pub fn of_event(action: &str, payload: &Webhook) -> Option<SeenHead> {
        let pull = payload.pull_request.as_ref()?;
        let at = match action {
            "opened" => pull.opened(),
            "reopened" | "synchronize" => pull.updated(),
            _ => None,
        }?;
        let sha = pull.head.sha.clone();
        let before = Some(payload.before.clone()).filter(|b| !b.is_empty() && *b != sha);
        (!sha.is_empty()).then_some(SeenHead { sha, at, before })
    }

    /// What the store records of it for pull request `pr`: the head it replaced until just
    /// before, and the head from `at`.
    pub fn notes(&self, pr: i64) -> Vec<Note> {
        let mut notes = Vec::new();
        if let Some(before) = &self.before {
            notes.push(Note::Push {
                pr,
                head_sha: before.clone(),
                at: self.at - 1,
            });
        }
        notes.push(Note::Push {
            pr,
            head_sha: self.sha.clone(),
            at: self.at,
        });
        notes
    }
}

/// How many earlier heads of one pull request are compared with the judged one; approvals
/// given on older heads than that count as given on a head whose changes are unknown.
const HEADS_COMPARED: usize = 30;

/// Re-evaluates pull request `number` of `repo`: gathers its state and judges it
/// ([`assess`]), decides what that changes ([`effects`]), and makes the changes ([`apply`]).
/// `pr` is the pull request object when the event carried one (saves a call).
pub async fn evaluate(
    ctx: &Context,
    gh: &Installation,
    installation_id: i64,
    repo: &RepoName,
    number_: PrNumber,
    pr: Option<Pull>,
    push: Option<SeenHead>,
) -> Result<Option<Outcome>, HandlerError> {
    let pr = match pr {
        Some(pr) => pr,
        None => gh.api.pull(repo, number_).await?,
    };
    if !pr.is_open() {
        return Ok(None);
    }
    let (pr, mut assessment) = match assess(ctx, gh, repo, number_, &pr, push.clone()).await {
        // The head moved while the pull request was read: judge the new head instead, from
        // a fresh read (once; a head that keeps moving is retried by the worker).
        Err(HandlerError::HeadMoved(_)) => {
            let pr = gh.api.pull(repo, number_).await?;
            if !pr.is_open() {
                return Ok(None);
            }
            let assessment = assess(ctx, gh, repo, number_, &pr, push).await?;
            (pr, assessment)
        }
        other => (pr, other?),
    };
    let (given, verdict) = (
        std::mem::take(&mut assessment.given),
        assessment.verdict.take(),
    );
    let head_sha = assessment.head_sha.clone();
    let target = Target {
        installation_id,
        repo,
        number: number_,
        pr: &pr,
        head_sha: &head_sha,
    };
    let support_shown = ctx.support_checked(repo, &head_sha);
    let outcome = apply(ctx, gh, &target, effects(assessment, support_shown)).await?;
    Ok(outcome.map(|o| Outcome {
        given,
        verdict,
        ..o
    }))
}

/// What an evaluation changes, in the order [`apply`] makes the changes.
#[derive(Debug, Clone)]
enum Effect {
    /// `pushgate/support` on the head from the pull request's own SUPPORT.md: once per head
    /// (the file cannot change under a SHA), and never at the cost of the acks check.
    SupportCheck {
        file: String,
        matrix: Arc<SupportMatrix>,
    },
    /// The verdict: `pushgate/acks` on the head (unless it already shows it), the acks and
    /// feature labels, the verdict stored, the wake-up scheduled.
    Verdict {
        satisfied: bool,
        report: Report,
        wake: Option<i64>,
        feature_labels: Option<BTreeSet<String>>,
    },
    /// A comment owed to someone, posted once per key.
    Notice { key: String, body: String },
    /// The suggested maintainers to ask, once each (`acks.ask`).
    Ask { how: Ask, logins: Vec<String> },
}

/// What an assessment changes on GitHub and in the store. `support_shown`: this process
/// posted `pushgate/support` on the head already.
fn effects(a: Assessment, support_shown: bool) -> Vec<Effect> {
    let mut effects = Vec::new();
    if let Some((file, matrix)) = a.head_support.filter(|_| !support_shown) {
        effects.push(Effect::SupportCheck { file, matrix });
    }
    effects.push(Effect::Verdict {
        satisfied: a.satisfied,
        report: a.report,
        wake: a.wake,
        feature_labels: a.feature_labels,
    });
    effects.extend(
        a.notices
            .into_iter()
            .map(|(key, body)| Effect::Notice { key, body }),
    );
    effects.push(Effect::Ask {
        how: a.ask_how,
        logins: a.ask,
    });
    effects
}

/// Makes an evaluation's changes, in order; the verdict's outcome as the check shows it.
async fn apply(
    ctx: &Context,
    gh: &Installation,
    target: &Target<'_>,
    effects: Vec<Effect>,
) -> Result<Option<Outcome>, HandlerError> {
    let Target {
        repo,
        number: number_,
        pr,
        head_sha,
        ..
    } = *target;
    let mut outcome = None;
    for effect in effects {
        match effect {
            Effect::SupportCheck { file, matrix } => {
                let posted =
                    super::support::post_check(&gh.api, repo, head_sha, &file, &matrix, None, &[])
                        .await;
                match posted {
                    Ok(()) => ctx.mark_support_checked(repo, head_sha),
                    Err(e) => {
                        tracing::warn!(repo = %repo, pr = %number_, error = %e, "could not post pushgate/support")
                    }
                }
            }
            Effect::Verdict {
                satisfied,
                report,
                wake,
                feature_labels,
            } => {
                outcome = finish(
                    ctx,
                    gh,
                    target,
                    satisfied,
                    report,
                    wake,
                    feature_labels.as_ref(),
                )
                .await?;
            }
            Effect::Notice { key, body } => {
                super::comment_once(gh, repo, number_, &key, &body).await?;
            }
            Effect::Ask { how, logins } => {
                ask_maintainers(ctx, gh, repo, number_, pr, how, &logins).await?;
            }
        }
    }
    Ok(outcome)
}

/// What the acks check decided about a pull request, before anything is posted: the App
/// turns it into a check run and labels, the Action into a job summary and outputs.
#[derive(Debug, Clone)]
pub struct Assessment {
    pub head_sha: Sha,
    pub satisfied: bool,
    pub report: Report,
    /// When the review window ends, if it is still open.
    pub wake: Option<i64>,
    /// The approvals a merge records as trailers.
    pub given: Vec<crate::core::merge::Given>,
    /// The judgement; None when the base branch's policy files are broken.
    pub verdict: Option<pull::PullVerdict>,
    /// Why there is no verdict: the base branch's config is invalid …
    pub config_error: Option<ConfigError>,
    /// … or its MAINTAINERS has errors (`MAINTAINERS:line: message`).
    pub maintainer_errors: Vec<String>,
    /// The pull request's own new config is invalid (that alone fails it).
    pub proposed_config_error: Option<ConfigError>,
    /// The `feature:` labels the pull request should carry (None: leave them).
    pub feature_labels: Option<BTreeSet<String>>,
    /// The pull request's own SUPPORT.md (file, parsed) when it edits it, for the
    /// `pushgate/support` check.
    pub head_support: Option<(String, Arc<SupportMatrix>)>,
    /// Comments owed to people (key, text): an objector asked for an explanation, the author
    /// told of an override or a referral. Each is posted once (`comment_once`); those already
    /// on the pull request are left out.
    pub notices: Vec<(String, String)>,
    /// The suggested maintainers to ask (logins; never the pull request's author nor anyone
    /// its commits name as an author, nor anyone who already reviewed or commented) and how
    /// (`acks.ask`). Asked once each by [`evaluate`]; the Action asks nobody.
    pub ask: Vec<String>,
    pub ask_how: Ask,
}

impl Assessment {
    /// No judgement, only `report` (a broken policy on the base branch): not satisfied, and
    /// nothing else to do.
    fn unjudged(head_sha: Sha, report: Report) -> Assessment {
        Assessment {
            head_sha,
            satisfied: false,
            report,
            wake: None,
            given: Vec::new(),
            verdict: None,
            config_error: None,
            maintainer_errors: Vec::new(),
            proposed_config_error: None,
            feature_labels: None,
            head_support: None,
            notices: Vec::new(),
            ask: Vec::new(),
            ask_how: Ask::None,
        }
    }
}

/// Gathers the open pull request `pr`'s state (files, policy at its base, people, reviews,
/// comments, commits, pushes) and judges it. Posts nothing; records `push` when given.
pub async fn assess(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    number_: PrNumber,
    pr: &Pull,
    push: Option<SeenHead>,
) -> Result<Assessment, HandlerError> {
    let head_sha = pr.head_sha()?;
    let base_sha = pr.base_sha()?;
    let now = ctx.clock.now();
    let unjudged = |report: Report| Assessment::unjudged(head_sha.clone(), report);

    for note in push
        .map(|seen| seen.notes(number_.get()))
        .unwrap_or_default()
    {
        ctx.store.note(repo, &note).await?;
    }

    let (files, diff) = ctx
        .cached_files(gh, repo, number_, &base_sha, &head_sha)
        .await?;
    // The pull request was found, so its base commit not being there is no reason to ignore
    // the delivery (as a repository out of reach would be): it is shown on the check.
    let policy = match ctx.policy_files(gh, repo, &base_sha).await {
        Err(HandlerError::GitHub(e)) if e.not_found() => {
            return Err(HandlerError::Inconsistent(format!(
                "the policy files of the base commit {base_sha} cannot be read: {e}"
            )))
        }
        other => other?,
    };
    let mut notes = Vec::new();
    let config_path = ctx.config_path.as_str();
    for edited in ctx.policy_paths() {
        if files.contains(&edited) {
            notes.push(format!(
                "this pull request edits `{edited}`; it is judged by the version on the base \
                 branch, and the new version applies once merged"
            ));
        }
    }

    // A broken policy on the base branch: a failing check that says where, and nothing else.
    let config = match &policy.config {
        Ok(config) => config.clone(),
        Err(error) => {
            let report = Report {
                title: "The repository's pushgate configuration is invalid".to_string(),
                summary: format!(
                    "`{error}`\n\nFix `{config_path}` on the base branch; until then no pull \
                     request can be judged."
                ),
            };
            return Ok(Assessment {
                config_error: Some(error.clone()),
                ..unjudged(report)
            });
        }
    };
    if !policy.maintainer_errors.is_empty() {
        let report = Report {
            title: "MAINTAINERS on the base branch has errors".to_string(),
            summary: format!(
                "Fix these lines of `MAINTAINERS` on the base branch:\n\n{}",
                policy
                    .maintainer_errors
                    .iter()
                    .map(|e| format!("- {e}\n"))
                    .collect::<String>()
            ),
        };
        return Ok(Assessment {
            maintainer_errors: policy.maintainer_errors.clone(),
            ..unjudged(report)
        });
    }

    // A PR that edits the config is told whether its new version is valid.
    let mut proposed_config_error = None;
    if files.iter().any(|f| f == config_path) {
        match ctx.file_at(gh, repo, config_path, &head_sha).await? {
            Some(text) => match Config::parse(&text, config_path) {
                Ok(_) => notes.push(format!(
                    "the new `{config_path}` in this pull request is valid"
                )),
                Err(e) => proposed_config_error = Some(e),
            },
            None => notes.push(format!("this pull request deletes `{config_path}`")),
        }
    }

    let matcher = &policy.matcher;
    let matches: Vec<_> = files.iter().map(|f| matcher.sections_for(f)).collect();
    // The sections whose people are looked up: the files' and a status change's.
    let mut people_matches = matches.clone();
    let mut status_changes = Vec::new();
    // The feature lifecycle: labels for the features touched, and a change of support status
    // needs the ack of the section `support.status_change_needs` names (THE REST).
    let features =
        super::support::pull_request(ctx, gh, repo, &config, &files, &base_sha, &head_sha).await?;
    if !features.changes.is_empty() {
        let needs = &config.support.status_change_needs;
        let names = features
            .changes
            .iter()
            .map(|c| format!("`{}`", c.feature))
            .collect::<Vec<_>>()
            .join(", ");
        let Some(section) = matcher
            .maintainers()
            .sections
            .iter()
            .position(|s| s.name.eq_ignore_ascii_case(needs))
        else {
            let report = Report {
                title: "A support status change needs a section MAINTAINERS lacks".to_string(),
                summary: format!(
                    "This pull request changes the support status of {names}. \
                     `support.status_change_needs` in `{config_path}` says that needs an ack \
                     from `{needs}`, but `MAINTAINERS` on the base branch has no such section."
                ),
            };
            return Ok(Assessment {
                feature_labels: features.labels.clone(),
                head_support: features.head_support.clone(),
                ..unjudged(report)
            });
        };
        status_changes.push(StatusChange {
            file: config.support.file.clone(),
            features: names.clone(),
            section,
        });
        people_matches.push(vec![SectionMatch {
            section,
            specificity: i32::MAX,
        }]);
        notes.push(format!(
            "this pull request changes the support status of {names} in `{}`, which needs \
             an ack from {needs}",
            config.support.file
        ));
    }
    let identities = Identities::new(policy.mailmap.clone());
    let people = ctx
        .people(
            gh,
            repo,
            matcher.maintainers(),
            &people_matches,
            &config,
            &identities,
        )
        .await?;

    // Read to the end or not judged: an objection on a page not read must not be missed.
    let (Some(reviews), Some(comments), Some(inline)) = (
        gh.api.reviews(repo, number_, DISCUSSION_PAGES).await?,
        gh.api
            .comments_to_end(repo, number_, DISCUSSION_PAGES)
            .await?,
        gh.api
            .review_comments(repo, number_, DISCUSSION_PAGES)
            .await?,
    ) else {
        tracing::warn!(repo = %repo, pr = %number_, "discussion too long to read to the end");
        let report = Report {
            title: "The discussion on this pull request is too long to read to the end".to_string(),
            summary: format!(
                "pushgate reads at most {} reviews, comments and inline comments of each kind, \
                 and this pull request has more. It does not judge a discussion it could not \
                 read to the end, so the check fails. Open a new pull request for the change \
                 and link this one.",
                100 * DISCUSSION_PAGES
            ),
        };
        return Ok(Assessment {
            feature_labels: features.labels.clone(),
            head_support: features.head_support.clone(),
            ..unjudged(report)
        });
    };
    let authored = ctx.store.authored_comments(repo, number_.get()).await?;
    let listed: Vec<(&str, &IssueComment)> = comments
        .iter()
        .map(|c| (ISSUE_COMMENT, c))
        .chain(inline.iter().map(|c| (REVIEW_COMMENT, c)))
        .collect();
    let editors = last_editors(gh, repo, &listed, &authored).await;
    let (comments, edits) = as_written(&listed, &authored, &editors);
    notes.extend(edits);
    let (reviews, edits) = reviews_as_written(&reviews, &authored);
    notes.extend(edits);
    let commits = ctx
        .cached_commits(gh, repo, number_, &base_sha, &head_sha)
        .await?;
    let mut pushes = ctx.store.pushes(repo, number_.get()).await?;
    // A head no delivery announced (lost, or before a crash) is known from now on: the push
    // happened at the latest now, and approvals said before count for an earlier head.
    if !pushes.iter().any(|(sha, _)| *sha == head_sha) {
        ctx.store
            .record_push(repo, number_.get(), &head_sha, now)
            .await?;
        pushes.push((head_sha.to_string(), now));
    }
    let changed = changed_since(ctx, gh, repo, &head_sha, &pushes, &reviews).await?;

    let timeline = Timeline {
        author: pr.author().to_string(),
        opened_at: pr.opened().unwrap_or(now),
        files: files.clone(),
        reviews,
        comments,
        commits: commits.clone(),
        pushes: pushes
            .into_iter()
            .map(|(sha, at)| Push { sha, at })
            .collect(),
        head: head_sha.to_string(),
        changed,
        status_changes,
        referee_vote: None,
        diff: diff.to_string(),
    };
    let mut settings = Settings {
        policy: Options {
            general_stand_in: config.acks.general_stand_in,
            reviewer_stature: config.acks.reviewer_stature,
            also_listed: Vec::new(),
        },
        // At most `config::LONGEST`, so no overflow.
        min_open: config.acks.min_open.as_secs() as i64,
        dismiss_on_push: config.acks.dismiss_on_push,
        trust_commit_trailers: config.acks.trust_commit_trailers,
        freeze_start: config.release.freeze_start,
        release_managers: config.release.managers.clone(),
        last_posting_date: config.release.last_posting_date,
        release_date: config.release.date,
        // At most `config::LONGEST`, so no overflow.
        referee_after: Some(config.governance.referee_after.as_secs() as i64),
        committers: Vec::new(),
    };
    let judge = |settings: &Settings| {
        pull::evaluate(
            &timeline,
            matcher.maintainers(),
            &matches,
            &people,
            &identities,
            settings,
            now,
        )
    };
    let mut verdict = judge(&settings);
    // Rule 2 by a reviewer not listed in MAINTAINERS: a collaborator with write access counts.
    if verdict.verdict.other_than_author.is_empty()
        && settings.policy.reviewer_stature != Stature::Anyone
    {
        let mut writers = Vec::new();
        for login in participants(&timeline) {
            if people.contains_key(&login.to_lowercase()) {
                continue;
            }
            if ctx.can_write(gh, repo, &login).await? {
                writers.push(Person {
                    name: format!("@{login}"),
                    email: String::new(),
                });
            }
        }
        if !writers.is_empty() {
            settings.policy.also_listed = writers;
            verdict = judge(&settings);
        }
    }
    // Maintainers disagree: the committers' rulings and a majority vote may settle it, and
    // the referral names the committers.
    if verdict.referral.is_some() {
        settings.committers = referees(ctx, gh, repo, pr, &config, &timeline).await?;
        let vote = ctx
            .store
            .decisions(repo)
            .await?
            .into_iter()
            .filter(|d| d.number == number_ && d.kind == "vote" && d.scheme == "majority")
            .filter_map(|d| d.closed_at.map(|at| (d.state == "passed", at)))
            .max_by_key(|(_, at)| *at);
        let timeline = Timeline {
            referee_vote: vote,
            ..timeline.clone()
        };
        verdict = pull::evaluate(
            &timeline,
            matcher.maintainers(),
            &matches,
            &people,
            &identities,
            &settings,
            now,
        );
    }

    let logins: HashMap<String, String> = people
        .iter()
        .map(|(login, person)| (person.email_key(), login.clone()))
        .collect();
    let login_of = |p: &Person| logins.get(&p.email_key()).cloned();
    let mut report = acks_report(&verdict, &login_of, &notes, settings.min_open);
    let mut satisfied = verdict.satisfied;
    if let Some(error) = &proposed_config_error {
        satisfied = false;
        report.title = format!("The new {config_path} in this pull request is invalid");
        report.summary = truncate(
            &format!(
                "**This pull request's `{config_path}` is invalid:** `{error}`\n\n{}",
                report.summary
            ),
            SUMMARY_LIMIT,
        );
    }
    let referred_at = verdict
        .referral
        .as_ref()
        .filter(|r| r.state == pull::Referee::Waiting)
        .map(|r| r.referred_at);
    // The freeze's dates change what is needed: judged again at the next one.
    let next_date = [
        config.release.last_posting_date,
        config.release.freeze_start,
        config.release.date,
    ]
    .into_iter()
    .flatten()
    .filter(|&at| at > now)
    .min();
    let wake = [
        verdict.window.open.then_some(verdict.window.ready_at),
        referred_at,
        next_date,
    ]
    .into_iter()
    .flatten()
    .min();
    let notices = notices(&verdict, &timeline.author, &login_of, &listed);
    let given = pull::trailers_to_record(&verdict);
    // A draft is not ready for reviewers (GitHub does not notify them of one either).
    let spoken = participants(&timeline);
    let ask = if pr.is_draft() {
        Vec::new()
    } else {
        verdict
            .verdict
            .ask
            .iter()
            .filter_map(login_of)
            .filter(|l| !l.eq_ignore_ascii_case(&timeline.author))
            .filter(|l| !spoken.iter().any(|s| s.eq_ignore_ascii_case(l)))
            .collect()
    };
    Ok(Assessment {
        head_sha,
        satisfied,
        report,
        wake,
        given,
        verdict: Some(verdict),
        config_error: None,
        maintainer_errors: Vec::new(),
        proposed_config_error,
        feature_labels: features.labels,
        head_support: features.head_support,
        notices,
        ask,
        ask_how: config.acks.ask,
    })
}

/// Asks the suggested maintainers of pull request `number_` who were never asked on it:
/// neither recorded in the store nor among the requested reviewers GitHub lists on `pr`
/// (a request made before a crash, before it was recorded). A review is requested from
/// all of them at once; when GitHub refuses (422: someone is not a collaborator) each is
/// requested alone, and those it still refuses are mentioned instead. Each is recorded once
/// asked, so a delivery that runs again asks nobody twice.
async fn ask_maintainers(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    number_: PrNumber,
    pr: &Pull,
    how: Ask,
    wanted: &[String],
) -> Result<(), HandlerError> {
    if how == Ask::None || wanted.is_empty() {
        return Ok(());
    }
    let mut already = ctx.store.asked(repo, number_.get()).await?;
    already.extend(pr.requested());
    let mut fresh: Vec<&str> = Vec::new();
    for login in wanted {
        let lower = login.to_lowercase();
        if !already.contains(&lower) && !fresh.iter().any(|f| f.eq_ignore_ascii_case(login)) {
            fresh.push(login);
        }
    }
    if fresh.is_empty() {
        return Ok(());
    }
    let now = ctx.clock.now();
    let mut mention: Vec<&str> = Vec::new();
    if how == Ask::Review {
        let refused = |e: &crate::github::GitHubError| {
            matches!(e, crate::github::GitHubError::Refused { status: 422, .. })
        };
        let mut requested: Vec<&str> = Vec::new();
        match gh.api.request_reviewers(repo, number_, &fresh).await {
            Ok(_) => requested = fresh.clone(),
            Err(e) if refused(&e) => {
                for &login in &fresh {
                    match gh.api.request_reviewers(repo, number_, &[login]).await {
                        Ok(_) => requested.push(login),
                        Err(e) if refused(&e) => mention.push(login),
                        Err(e) => return Err(e.into()),
                    }
                }
            }
            Err(e) => return Err(e.into()),
        }
        for login in requested {
            ctx.store
                .record_asked(repo, number_.get(), login, "review", now)
                .await?;
        }
    } else {
        mention = fresh;
    }
    if mention.is_empty() {
        return Ok(());
    }
    let names = mention
        .iter()
        .map(|l| format!("@{l}"))
        .collect::<Vec<_>>()
        .join(", ");
    let key = format!(
        "ask {}",
        mention
            .iter()
            .map(|l| l.to_lowercase())
            .collect::<Vec<_>>()
            .join(" ")
    );
    super::comment_once(
        gh,
        repo,
        number_,
        &key,
        &format!(
            "{names}: your ack is needed on this pull request (see `pushgate/acks` for the \
             files and what is missing). Answer with an approving review, `/ack`, or an \
             `Acked-by:` line."
        ),
    )
    .await?;
    for login in mention {
        ctx.store
            .record_asked(repo, number_.get(), login, "mention", now)
            .await?;
    }
    Ok(())
}

/// The committers a referral names and whose rulings count: the configured list, THE REST's
/// maintainers with a known login, or (committers by write permission) those who ruled and
/// may write.
async fn referees(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    pr: &Pull,
    config: &Config,
    timeline: &Timeline,
) -> Result<Vec<String>, HandlerError> {
    use crate::config::CommitterSource;
    match config.committers.source {
        CommitterSource::List => Ok(config.committers.list.clone()),
        CommitterSource::TheRest => {
            super::gather::the_rest(ctx, gh, repo, pr.default_branch(), config).await
        }
        CommitterSource::WritePermission => {
            let mut rulers: Vec<String> = Vec::new();
            for comment in &timeline.comments {
                let rules = pull::read_comment(&comment.body)
                    .iter()
                    .any(|s| matches!(s, pull::Said::Referee { .. }));
                if rules
                    && !rulers
                        .iter()
                        .any(|l| l.eq_ignore_ascii_case(&comment.login))
                {
                    rulers.push(comment.login.clone());
                }
            }
            let mut committers = Vec::new();
            for login in rulers {
                if ctx.can_write(gh, repo, &login).await? {
                    committers.push(login);
                }
            }
            Ok(committers)
        }
    }
}

/// The comments a verdict owes people, without those already posted (their hidden marker is
/// among `listed`): an objector whose objection lacks an explanation is asked for one; the
/// author is told when an objection is overridden and when the pull request is referred.
fn notices(
    verdict: &pull::PullVerdict,
    author: &str,
    login_of: &dyn Fn(&Person) -> Option<String>,
    listed: &[(&str, &IssueComment)],
) -> Vec<(String, String)> {
    let login = |p: &Person| {
        login_of(p).or_else(|| {
            p.name
                .strip_prefix('@')
                .filter(|_| p.email.is_empty())
                .map(str::to_string)
        })
    };
    let mut owed = Vec::new();
    for objection in &verdict.verdict.objections {
        if objection.explanation.is_some() || objection.overridden_by.is_some() {
            continue;
        }
        if let Some(of) = login(&objection.person) {
            owed.push((
                format!("objection-explain {}", of.to_lowercase()),
                say::explain_objection(&of),
            ));
        }
    }
    for (by, of) in &verdict.overrides {
        // The key as it always was: a majority vote's reads "a majority vote of the committers".
        let key_by = if by == "a majority vote" {
            "a majority vote of the committers".to_string()
        } else {
            format!("@{by}")
        };
        owed.push((
            format!(
                "objection-overridden {} {}",
                of.to_lowercase(),
                key_by.to_lowercase()
            ),
            say::objection_overridden(author, of, by),
        ));
    }
    if let Some(referral) = &verdict.referral {
        let referred = matches!(
            referral.state,
            pull::Referee::Referred | pull::Referee::Deadlock { .. }
        );
        if referred {
            let d = &referral.disagreement;
            owed.push((
                format!("referred {} {}", d.section, d.since),
                say::referred(author, &d.section),
            ));
        }
    }
    owed.retain(|(key, _)| {
        let marker = format!("<!-- pushgate:once {key} -->");
        !listed.iter().any(|(_, c)| c.body.contains(&marker))
    });
    owed
}

/// The pull request a verdict is about.
struct Target<'a> {
    installation_id: i64,
    repo: &'a RepoName,
    number: PrNumber,
    pr: &'a Pull,
    head_sha: &'a Sha,
}

/// Posts the check run and labels, records the verdict, schedules the wake-up.
async fn finish(
    ctx: &Context,
    gh: &Installation,
    target: &Target<'_>,
    satisfied: bool,
    report: Report,
    wake: Option<i64>,
    feature_labels: Option<&BTreeSet<String>>,
) -> Result<Option<Outcome>, HandlerError> {
    let Target {
        repo,
        number: number_,
        head_sha,
        ..
    } = *target;
    // A re-evaluation that reaches the verdict already shown (the reconciler's, or a comment
    // that changes nothing) posts no new check run: that is most of them, and each would be a
    // content-creating request against the installation's rate limit.
    let shown = Shown {
        satisfied,
        summary: report.shown(),
        title: &report.title,
    };
    let shows = |stored: Option<Evaluation>| {
        stored.is_some_and(|e| {
            *head_sha == e.head_sha && e.satisfied == satisfied && e.summary == shown.summary
        })
    };
    if shows(ctx.store.evaluation(repo, number_.get()).await?) {
        return record(ctx, gh, target, &shown, wake, feature_labels).await;
    }
    // A new verdict: posted and recorded under the pull request's lock, so that another
    // judgement of it running now (a `/pushgate merge`, another replica) does not post it too.
    let guard = ctx.store.lock_pull(repo, number_.get()).await?;
    let posted = async {
        if !shows(ctx.store.evaluation(repo, number_.get()).await?) {
            post_check_once(gh, repo, head_sha, satisfied, &report).await?;
        }
        record(ctx, gh, target, &shown, wake, feature_labels).await
    }
    .await;
    guard.release().await;
    posted
}

/// A verdict as the check run shows it.
struct Shown<'a> {
    satisfied: bool,
    summary: String,
    title: &'a str,
}

/// The rest of [`finish`] once the check run shows the verdict: labels, the stored verdict,
/// the wake-up.
async fn record(
    ctx: &Context,
    gh: &Installation,
    target: &Target<'_>,
    shown: &Shown<'_>,
    wake: Option<i64>,
    feature_labels: Option<&BTreeSet<String>>,
) -> Result<Option<Outcome>, HandlerError> {
    let Target {
        installation_id,
        repo,
        number: number_,
        pr,
        head_sha,
    } = *target;
    let Shown {
        satisfied,
        ref summary,
        title,
    } = *shown;
    let config_labels = ctx.labels(gh, repo, &pr.base.sha).await;
    let (want, drop) = if satisfied {
        (config_labels.complete, config_labels.missing)
    } else {
        (config_labels.missing, config_labels.complete)
    };
    let current = pr.label_names();
    if !current.contains(&want) {
        gh.api.add_labels(repo, number_, &[&want]).await?;
    }
    if current.contains(&drop) {
        match gh.api.remove_label(repo, number_, &drop).await {
            Err(e) if e.not_found() => {}
            other => {
                other?;
            }
        }
    }
    if let Some(wanted) = feature_labels {
        super::support::set_issue_labels(&gh.api, repo, number_, &current, wanted).await?;
    }
    ctx.store
        .save_evaluation(&Evaluation {
            repo: repo.to_string(),
            pr: number_.get(),
            head_sha: head_sha.to_string(),
            satisfied,
            summary: summary.clone(),
            at: ctx.clock.now(),
        })
        .await?;
    if let Some(at) = wake {
        ctx.store
            .schedule_wakeup(repo, number_.get(), installation_id, at)
            .await?;
    }
    tracing::info!(repo = %repo, pr = %number_, head = %head_sha, satisfied, title = %title, "pushgate/acks evaluated");
    Ok(Some(Outcome {
        head_sha: head_sha.to_string(),
        satisfied,
        title: title.to_string(),
        given: Vec::new(),
        verdict: None,
    }))
}

/// Creates the check run on the head SHA (check runs are keyed by SHA: fork PRs arrive
/// without a `pull_requests` list).
pub async fn post_check(
    gh: &Installation,
    repo: &RepoName,
    head_sha: &Sha,
    satisfied: bool,
    report: &Report,
) -> Result<(), HandlerError> {
    post_check_noting(gh, repo, head_sha, satisfied, report, None).await
}

/// [`post_check`], with `text` in the check run's `output.text`: a field only its poster
/// writes (the Action keeps its record of the pull request's pushes there).
pub async fn post_check_noting(
    gh: &Installation,
    repo: &RepoName,
    head_sha: &Sha,
    satisfied: bool,
    report: &Report,
    text: Option<&str>,
) -> Result<(), HandlerError> {
    let mut output = check_output(report);
    output.text = text.map(|text| truncate(text, SUMMARY_LIMIT));
    super::post_check_run(&gh.api, repo, CHECK_NAME, head_sha, satisfied, output).await?;
    Ok(())
}

/// The check run's output. Every summary is capped here, whichever path wrote it (GitHub
/// refuses over 65,535).
fn check_output(report: &Report) -> Output {
    Output::new(
        truncate(&report.title, 200),
        truncate(&report.summary, SUMMARY_LIMIT),
    )
}

/// [`post_check`] for the App's judgement: not posted again when the newest run on the head
/// already shows it (see [`super::post_check_run_once`]).
async fn post_check_once(
    gh: &Installation,
    repo: &RepoName,
    head_sha: &Sha,
    satisfied: bool,
    report: &Report,
) -> Result<(), HandlerError> {
    super::post_check_run_once(
        &gh.api,
        repo,
        CHECK_NAME,
        head_sha,
        satisfied,
        check_output(report),
    )
    .await?;
    Ok(())
}

/// A push record with no SHA: the heads before the first one known, which nobody recorded.
/// Said before any known head, a thing counts as said on it; the core knows no files changed
/// since it, so takes every file of the pull request as changed (the Action, when no earlier
/// run recorded the head it judges).
pub const UNKNOWN_HEAD: &str = "";

/// The first line of the Action's record of a pull request's heads in its check run's
/// `output.text`: the Action keeps no store, so each run passes the record to the next one.
const HEADS_HEADER: &str = "pushgate heads: each head of this pull request and when GitHub \
first showed it (Unix seconds), for the next run.";

/// The record of heads (`(sha, first seen)`, as the store's pushes) as the Action writes it:
/// the newest [`HEADS_COMPARED`] and a few more.
/// [`UNKNOWN_HEAD`] is written `-`, so that later runs know it too.
pub fn heads_text(pushes: &[(String, i64)]) -> String {
    let mut known: Vec<&(String, i64)> = pushes.iter().collect();
    known.sort_by_key(|(_, at)| *at);
    let skip = known.len().saturating_sub(2 * HEADS_COMPARED);
    let mut text = String::from(HEADS_HEADER);
    for (sha, at) in &known[skip..] {
        let sha = if sha.is_empty() { "-" } else { sha.as_str() };
        text.push_str(&format!("\n{sha} {at}"));
    }
    text
}

/// Reads [`heads_text`]'s record; anything else reads as nothing.
pub fn parse_heads(text: &str) -> Vec<(String, i64)> {
    let mut lines = text.lines();
    if lines.next() != Some(HEADS_HEADER) {
        return Vec::new();
    }
    lines
        .filter_map(|line| {
            let (sha, at) = line.split_once(' ')?;
            let at = at.parse::<i64>().ok()?;
            if sha == "-" {
                return Some((UNKNOWN_HEAD.to_string(), at));
            }
            let hex = (7..=64).contains(&sha.len()) && sha.bytes().all(|b| b.is_ascii_hexdigit());
            hex.then(|| (sha.to_string(), at))
        })
        .collect()
}

/// Remembers what a delivery about a comment (`issue_comment` or `pull_request_review_comment`
/// on a pull request) or a review's body (`pull_request_review`) shows of the text its author
/// wrote (see [`words_of`]).
pub async fn record_words(
    ctx: &Context,
    repo: &RepoName,
    event: &str,
    payload: &Webhook,
) -> Result<(), HandlerError> {
    if let Some(note) = words_of(event, payload) {
        warn_of_others(repo, &note, payload);
        ctx.store.note(repo, &note).await?;
    }
    Ok(())
}

/// What a delivery about a comment or a review's body shows of the text its author wrote:
/// the text of a creation, of the author's own edit, and, when someone else edits, the text
/// before (`changes.body.from`), kept only if nothing is remembered yet. A deletion by its
/// author forgets the comment; one by someone else keeps it. None when it shows nothing.
pub fn words_of(event: &str, payload: &Webhook) -> Option<Note> {
    // The item's kind, id, author, text and time.
    let (kind, id, user, body, at) = match (event, &payload.comment, &payload.review) {
        ("issue_comment", Some(c), _) => (ISSUE_COMMENT, c.id, c.login(), &c.body, c.created()),
        ("pull_request_review_comment", Some(c), _) => {
            (REVIEW_COMMENT, c.id, c.login(), &c.body, c.created())
        }
        ("pull_request_review", _, Some(r)) => {
            (REVIEW_BODY, r.id, r.login(), &r.body, r.submitted())
        }
        _ => return None,
    };
    let pr = payload.pull_number()?;
    if id <= 0 {
        return None;
    }
    let author = user.to_string();
    let by_author = !author.is_empty() && author.eq_ignore_ascii_case(payload.sender_login());
    let written = |body: String| Authored {
        kind: kind.to_string(),
        id,
        author: author.clone(),
        body,
        created_at: at.unwrap_or(0),
        edited: false,
        deleted: false,
    };
    match payload.action.as_str() {
        "created" | "submitted" => Some(Note::Written {
            pr: pr.get(),
            comment: written(body.clone()),
        }),
        "edited" if by_author => Some(Note::EditedByAuthor {
            pr: pr.get(),
            comment: written(body.clone()),
        }),
        "edited" => payload
            .changes
            .body
            .as_ref()
            .and_then(|c| c.from.clone())
            .map(|from| Note::Written {
                pr: pr.get(),
                comment: written(from),
            }),
        "deleted" => Some(Note::Deleted {
            pr: pr.get(),
            comment: written(body.clone()),
            by_author,
        }),
        _ => None,
    }
}

/// Everything a delivery that only re-judges a pull request records besides the judgement,
/// in the order it records them: the heads a `pull_request` event shows, what a comment or
/// review shows of its author's words.
pub fn notes_of(event: &str, action: &str, payload: &Webhook) -> Vec<Note> {
    match event {
        "pull_request" => match (SeenHead::of_event(action, payload), payload.pull_number()) {
            (Some(seen), Some(pr)) => seen.notes(pr.get()),
            _ => Vec::new(),
        },
        _ => words_of(event, payload).into_iter().collect(),
    }
}

/// Logs an edit or deletion of a comment by someone other than its author (what counts stays
/// the author's words).
pub fn warn_of_others(repo: &RepoName, note: &Note, payload: &Webhook) {
    let editor = payload.sender_login();
    let (pr, comment, what) = match note {
        Note::Written { pr, comment } if payload.action == "edited" => (pr, comment, "edited"),
        Note::Deleted {
            pr,
            comment,
            by_author: false,
        } => (pr, comment, "deleted"),
        _ => return,
    };
    tracing::warn!(repo = %repo, pr, kind = %comment.kind, id = comment.id, author = %comment.author, %editor, what, "changed by someone other than its author; only what the author wrote counts, and its objections");
}

/// Whose words a text GitHub shows is, given what the deliveries showed (`remembered`), and a
/// note for the check when it was edited and says something pushgate reads:
/// - the remembered text is the current one: the author's words (edited by the author: noted);
/// - it differs: someone else edited it, or the author did unheard; the core counts approvals
///   only when both texts carry them and objections from either;
/// - otherwise, when GitHub says the author was the last to edit it (`editor`): the author's
///   words, as they stand now;
/// - nothing remembered and edited since written (`updated_at`, which only comments have):
///   nobody can say whose words these are, so only its objections count.
fn words_for(
    what: &str,
    login: &str,
    body: &str,
    edited: bool,
    remembered: Option<&Authored>,
    editor: Option<&str>,
) -> (Words, Option<String>) {
    let says = |body: &str| !pull::read_comment(body).is_empty();
    let by_author = editor.is_some_and(|e| !login.is_empty() && e.eq_ignore_ascii_case(login));
    match remembered {
        Some(a) if a.body == body => (
            Words::Authors,
            (a.edited && says(body)).then(|| {
                format!(
                    "{what} by @{login} was edited by its author @{login}; its edited text counts"
                )
            }),
        ),
        _ if by_author && (edited || remembered.is_some()) => (
            Words::Authors,
            says(body).then(|| {
                format!(
                    "{what} by @{login} was last edited by its author @{login} (GitHub says); \
                     its edited text counts"
                )
            }),
        ),
        Some(a) => (
            Words::Unverified {
                authored: Some(a.body.clone()),
            },
            (says(body) || says(&a.body)).then(|| {
                format!(
                    "{what} by @{login} was edited by someone else (or by its author while \
                     pushgate did not hear of it): only what @{login} wrote counts, and an \
                     objection in either text"
                )
            }),
        ),
        None if edited => (
            Words::Unverified { authored: None },
            says(body).then(|| match editor {
                Some(editor) => format!(
                    "{what} by @{login} was last edited by @{editor}, not its author, and \
                     pushgate did not see what @{login} wrote: its acks and commands count once \
                     @{login} posts them again; its objections count"
                ),
                None => format!(
                    "{what} by @{login} was edited and pushgate did not see who edited it: its \
                     acks and commands count once @{login} posts them again; its objections \
                     count"
                ),
            }),
        ),
        None => (Words::Authors, None),
    }
}

/// The pull request's comments (`(kind, comment)` as GitHub lists them) as their authors
/// wrote them (see [`words_for`]), with the notes for the check. A comment someone else
/// deleted is kept, for its objections.
/// Who last edited the comments whose text pushgate did not see written (edited with no
/// delivery heard, or different from what was heard), by node id: GitHub's GraphQL API records
/// it. When GitHub cannot say, the map is empty and such comments stay unverified.
async fn last_editors(
    gh: &Installation,
    repo: &RepoName,
    listed: &[(&str, &IssueComment)],
    authored: &[Authored],
) -> HashMap<String, String> {
    let unheard: Vec<String> = listed
        .iter()
        .filter(
            |(kind, c)| match authored.iter().find(|a| a.kind == *kind && a.id == c.id) {
                Some(a) => a.body != c.body,
                None => c.edited(),
            },
        )
        .map(|(_, c)| c.node_id.clone())
        .filter(|id| !id.is_empty())
        .collect();
    if unheard.is_empty() {
        return HashMap::new();
    }
    match gh.api.last_editors(&unheard).await {
        Ok(editors) => editors,
        Err(e) => {
            tracing::warn!(repo = %repo, error = %e, "could not read who edited comments; they stay unverified");
            HashMap::new()
        }
    }
}

pub(crate) fn as_written(
    listed: &[(&str, &IssueComment)],
    authored: &[Authored],
    editors: &HashMap<String, String>,
) -> (Vec<Comment>, Vec<String>) {
    let mut comments = Vec::new();
    let mut notes = Vec::new();
    let mut present = Vec::new();
    for (kind, c) in listed {
        present.push((*kind, c.id));
        let remembered = authored.iter().find(|a| a.kind == *kind && a.id == c.id);
        let editor = editors.get(&c.node_id).map(String::as_str);
        let (words, note) = words_for(
            "a comment",
            c.login(),
            &c.body,
            c.edited(),
            remembered,
            editor,
        );
        notes.extend(note);
        comments.push(Comment {
            login: c.login().to_string(),
            body: c.body.clone(),
            at: c.created().unwrap_or(0),
            words,
        });
    }
    for a in authored.iter().filter(|a| {
        a.deleted && a.kind != REVIEW_BODY && !present.contains(&(a.kind.as_str(), a.id))
    }) {
        if !pull::read_comment(&a.body).is_empty() {
            notes.push(format!(
                "a comment by @{} was deleted by someone else: its objections still count",
                a.author
            ));
        }
        comments.push(Comment {
            login: a.author.clone(),
            body: String::new(),
            at: a.created_at,
            words: Words::Unverified {
                authored: Some(a.body.clone()),
            },
        });
    }
    notes.dedup();
    (comments, notes)
}

/// The pull request's reviews as GitHub lists them, their bodies as their authors wrote them
/// (see [`words_for`]; GitHub gives a review no `updated_at`), with the notes for the check.
fn reviews_as_written(
    listed: &[GitHubReview],
    authored: &[Authored],
) -> (Vec<Review>, Vec<String>) {
    let mut notes = Vec::new();
    let reviews = listed
        .iter()
        .filter_map(|r| {
            let mut review = review_of(r)?;
            let remembered = authored
                .iter()
                .find(|a| a.kind == REVIEW_BODY && a.id == r.id);
            let (words, note) = words_for(
                "a review",
                &review.login,
                &review.body,
                false,
                remembered,
                None,
            );
            notes.extend(note);
            review.words = words;
            Some(review)
        })
        .collect();
    notes.dedup();
    (reviews, notes)
}

fn review_of(review: &GitHubReview) -> Option<Review> {
    let state = match review.state.as_str() {
        "APPROVED" => ReviewState::Approved,
        "CHANGES_REQUESTED" => ReviewState::ChangesRequested,
        "COMMENTED" => ReviewState::Commented,
        "DISMISSED" => ReviewState::Dismissed,
        _ => return None,
    };
    Some(Review {
        login: review.login().to_string(),
        state,
        body: review.body.clone(),
        at: review.submitted().unwrap_or(0),
        words: Words::Authors,
        commit_id: review.commit_id.clone(),
    })
}

/// For each earlier head approvals may have been given on (the heads pushgate knows and the
/// heads reviews were given on), the files changed from it to `head`. A head GitHub cannot
/// compare (gone after a force-push) or whose comparison it cut short is left out: a change
/// unknown counts as a change to every file.
async fn changed_since(
    ctx: &Context,
    gh: &Installation,
    repo: &RepoName,
    head: &Sha,
    pushes: &[(String, i64)],
    reviews: &[Review],
) -> Result<HashMap<String, Vec<String>>, HandlerError> {
    let mut earlier: Vec<(i64, &str)> = pushes
        .iter()
        .map(|(sha, at)| (*at, sha.as_str()))
        .chain(reviews.iter().map(|r| (r.at, r.commit_id.as_str())))
        .filter(|(_, sha)| !sha.is_empty() && *sha != head.as_str())
        .collect();
    // The newest first: those are the ones approvals still standing were given on.
    earlier.sort_by(|a, b| b.cmp(a));
    let mut changed = HashMap::new();
    for (_, sha) in earlier {
        if changed.contains_key(sha) {
            continue;
        }
        if changed.len() >= HEADS_COMPARED {
            break;
        }
        // A head of a shape GitHub never gives cannot be compared: a change unknown.
        let Ok(earlier) = Sha::parse(sha) else {
            continue;
        };
        if let Some(files) = ctx.changed_between(gh, repo, &earlier, head).await? {
            changed.insert(sha.to_string(), files);
        }
    }
    Ok(changed)
}

fn participants(timeline: &Timeline) -> Vec<String> {
    let mut logins: Vec<String> = timeline
        .reviews
        .iter()
        .map(|r| r.login.clone())
        .chain(timeline.comments.iter().map(|c| c.login.clone()))
        .filter(|l| !l.eq_ignore_ascii_case(&timeline.author))
        // Apps (pushgate's own comments among them) review nothing.
        .filter(|l| !l.ends_with("[bot]"))
        .collect();
    logins.sort();
    logins.dedup();
    logins
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn assessment(support: bool, notices: &[(&str, &str)], ask: &[&str]) -> Assessment {
        let report = Report {
            title: "ok".to_string(),
            summary: String::new(),
        };
        Assessment {
            satisfied: true,
            wake: Some(7),
            head_support: support.then(|| ("SUPPORT.md".to_string(), Arc::default())),
            notices: notices
                .iter()
                .map(|(k, b)| (k.to_string(), b.to_string()))
                .collect(),
            ask: ask.iter().map(|l| l.to_string()).collect(),
            ask_how: Ask::Review,
            ..Assessment::unjudged(Sha::parse(&"a".repeat(40)).unwrap(), report)
        }
    }

    /// The kinds of effects in order: s(upport), v(erdict), n(otice key), a(sk logins).
    fn shape(effects: &[Effect]) -> Vec<String> {
        effects
            .iter()
            .map(|e| match e {
                Effect::SupportCheck { file, .. } => format!("s {file}"),
                Effect::Verdict {
                    satisfied, wake, ..
                } => format!("v {satisfied} {wake:?}"),
                Effect::Notice { key, .. } => format!("n {key}"),
                Effect::Ask { logins, .. } => format!("a {}", logins.join(",")),
            })
            .collect()
    }

    #[test]
    fn an_evaluation_acts_in_one_order_and_posts_the_support_check_once_per_head() {
        // SUPPORT.md edited, the support check shown already, notices, asked, the effects.
        type Case<'a> = (
            bool,
            bool,
            &'a [(&'a str, &'a str)],
            &'a [&'a str],
            &'a [&'a str],
        );
        let cases: [Case; 4] = [
            (false, false, &[], &[], &["v true Some(7)", "a "]),
            (
                true,
                false,
                &[("k1", "b1"), ("k2", "b2")],
                &["jan"],
                &["s SUPPORT.md", "v true Some(7)", "n k1", "n k2", "a jan"],
            ),
            // Shown on this head already: not again.
            (true, true, &[], &["jan"], &["v true Some(7)", "a jan"]),
            (
                false,
                true,
                &[("k", "b")],
                &[],
                &["v true Some(7)", "n k", "a "],
            ),
        ];
        for (support, shown, notices, ask, want) in cases {
            let got = shape(&effects(assessment(support, notices, ask), shown));
            assert_eq!(got, want, "support {support}, shown {shown}");
        }
    }

    fn authored(kind: &str, author: &str, body: &str) -> Authored {
        Authored {
            kind: kind.to_string(),
            id: 5,
            author: author.to_string(),
            body: body.to_string(),
            created_at: 1_700_000_000,
            edited: false,
            deleted: false,
        }
    }

    #[test]
    fn each_delivery_records_the_heads_and_the_authored_words_it_shows() {
        let comment = |action: &str, sender: &str, body: &str, from: Option<&str>| {
            let mut payload = json!({
                "action": action,
                "issue": { "number": 7, "pull_request": {} },
                "comment": { "id": 5, "user": { "login": "sha-gh" }, "body": body,
                             "created_at": "2023-11-14T22:13:20Z" },
                "sender": { "login": sender },
            });
            if let Some(from) = from {
                payload["changes"] = json!({ "body": { "from": from } });
            }
            payload
        };
        let pull = |action: &str, before: Option<&str>| {
            let mut payload = json!({
                "action": action,
                "number": 7,
                "pull_request": { "number": 7, "head": { "sha": "new" },
                                  "created_at": "2023-11-14T22:13:20Z",
                                  "updated_at": "2023-11-14T22:13:30Z" },
            });
            if let Some(before) = before {
                payload["before"] = before.into();
            }
            payload
        };
        let push = |sha: &str, at: i64| Note::Push {
            pr: 7,
            head_sha: sha.to_string(),
            at,
        };
        let cases = [
            (
                "pull_request",
                pull("synchronize", Some("old")),
                vec![push("old", 1_700_000_009), push("new", 1_700_000_010)],
            ),
            (
                "pull_request",
                pull("opened", None),
                vec![push("new", 1_700_000_000)],
            ),
            ("pull_request", pull("edited", None), vec![]),
            (
                "issue_comment",
                comment("created", "sha-gh", "/ack", None),
                vec![Note::Written {
                    pr: 7,
                    comment: authored("issue", "sha-gh", "/ack"),
                }],
            ),
            (
                "issue_comment",
                comment("edited", "sha-gh", "Acked-by: Sha", Some("reading")),
                vec![Note::EditedByAuthor {
                    pr: 7,
                    comment: authored("issue", "sha-gh", "Acked-by: Sha"),
                }],
            ),
            // Someone else's edit: only the text before it may be the author's.
            (
                "issue_comment",
                comment("edited", "cora-gh", "Acked-by: Sha", Some("reading")),
                vec![Note::Written {
                    pr: 7,
                    comment: authored("issue", "sha-gh", "reading"),
                }],
            ),
            (
                "issue_comment",
                comment("edited", "cora-gh", "Acked-by: Sha", None),
                vec![],
            ),
            (
                "issue_comment",
                comment("deleted", "cora-gh", "Nacked-by: Sha", None),
                vec![Note::Deleted {
                    pr: 7,
                    comment: authored("issue", "sha-gh", "Nacked-by: Sha"),
                    by_author: false,
                }],
            ),
            (
                "issue_comment",
                comment("deleted", "sha-gh", "Nacked-by: Sha", None),
                vec![Note::Deleted {
                    pr: 7,
                    comment: authored("issue", "sha-gh", "Nacked-by: Sha"),
                    by_author: true,
                }],
            ),
            (
                "pull_request_review_comment",
                comment("created", "sha-gh", "/ack", None),
                vec![Note::Written {
                    pr: 7,
                    comment: authored("review", "sha-gh", "/ack"),
                }],
            ),
            (
                "pushgate",
                json!({ "action": "reconcile", "number": 7 }),
                vec![],
            ),
        ];
        for (event, payload, expected) in cases {
            let webhook = Webhook::from_json(&payload).unwrap();
            assert_eq!(
                notes_of(event, &webhook.action, &webhook),
                expected,
                "{event} {payload}"
            );
        }
        let review = json!({
            "action": "submitted",
            "pull_request": { "number": 7 },
            "review": { "id": 5, "user": { "login": "sha-gh" }, "body": "Acked-by: Sha",
                        "submitted_at": "2023-11-14T22:13:20Z" },
            "sender": { "login": "sha-gh" },
        });
        assert_eq!(
            notes_of(
                "pull_request_review",
                "submitted",
                &Webhook::from_json(&review).unwrap()
            ),
            vec![Note::Written {
                pr: 7,
                comment: authored("review-body", "sha-gh", "Acked-by: Sha"),
            }]
        );
    }

    #[test]
    fn the_actions_record_of_heads_reads_back_and_nothing_else_reads_as_one() {
        let pushes = vec![
            ("b".repeat(40), 20),
            (UNKNOWN_HEAD.to_string(), 0),
            ("a".repeat(40), 10),
        ];
        let text = heads_text(&pushes);
        let mut back = parse_heads(&text);
        back.sort();
        let mut expected = pushes.clone();
        expected.sort();
        assert_eq!(back, expected);
        // (text, what reads from it)
        let cases: [(&str, usize); 5] = [
            ("", 0),
            ("aaaaaaa 10", 0),
            ("Acked-by: someone\naaaaaaa 10", 0),
            (
                &format!("{HEADS_HEADER}\nnot-hex 10\naaaaaaa x\naaaaaaa 10"),
                1,
            ),
            (&format!("{HEADS_HEADER}\n- 0\n{} 5", "f".repeat(65)), 1),
        ];
        for (text, n) in cases {
            assert_eq!(parse_heads(text).len(), n, "{text}");
        }
        // At most twice the heads compared are kept, the newest.
        let many: Vec<(String, i64)> = (0..100).map(|i| (format!("{i:040x}"), i)).collect();
        let kept = parse_heads(&heads_text(&many));
        assert_eq!(kept.len(), 2 * HEADS_COMPARED);
        assert_eq!(kept.last(), many.last());
    }
}
