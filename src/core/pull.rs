//! GitHub mode of the check-in policy (SPEC §2): a pull request's timeline — reviews, comments,
//! commits, pushes — turned into the [`Change`] the policy judges, plus what GitHub mode adds:
//! the review window, acks dismissed by later pushes, objections and their overrides, and the
//! trailers of the PR's own commits shown as unverified claims.
//!
//! Who said something is the GitHub login that said it, never a name written in the text: a
//! comment "Acked-by: Jan <jan@…>" from someone else is that someone's ack.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::core::maintainers::{Maintainers, Notify, SectionMatch};
use crate::core::people::{Identities, Person};
use crate::core::policy::{self, Approval, ApprovalKind, Change, Options, Verdict};
use crate::core::text::{human_seconds, utc};
use crate::core::trailers::{parse_trailers, TrailerKind};

/// A review's state as GitHub reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewState {
    Approved,
    ChangesRequested,
    Commented,
    Dismissed,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Review {
    pub login: String,
    pub state: ReviewState,
    /// The body GitHub shows now.
    pub body: String,
    /// Unix seconds.
    pub at: i64,
    /// Whose words `body` is (the state is always the reviewer's).
    pub words: Words,
    /// The head the review was given on (GitHub's `commit_id`; empty when unknown).
    pub commit_id: String,
}

/// A comment on the pull request (an issue comment or an inline review comment).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub login: String,
    /// The text GitHub shows now.
    pub body: String,
    pub at: i64,
    /// Whose words `body` is.
    pub words: Words,
}

/// Whose words a comment's (or a review body's) current text is. Repository writers and admins
/// can edit anyone's comment, so an ack or an objection counts only as its author wrote it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Words {
    /// The author's: never edited, or last edited by the author.
    #[default]
    Authors,
    /// Changed by someone pushgate cannot show to be the author (an edit by someone else, a
    /// deletion by someone else — `body` is then empty —, or an edit pushgate never saw).
    /// `authored` is the last text the author was seen writing, if any. An approval or
    /// command counts only when both texts carry it; an objection counts from either.
    Unverified { authored: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PrCommit {
    pub sha: String,
    pub message: String,
    /// The commit's author as git records it (name and e-mail), if given.
    pub author: Option<Person>,
    /// The GitHub account GitHub linked the author's e-mail to, if any.
    pub login: Option<String>,
    /// A merge commit (more than one parent): GitHub's "Update branch" makes one authored
    /// by whoever pressed the button, who wrote none of the change.
    pub merge: bool,
}

/// Everyone a PR's commits name as an author: each commit's author (git's fields and the
/// linked GitHub account) and its `Co-authored-by:` / `Co-developed-by:` trailers. The PR's
/// author wrote all of it, so these people only ever count *as authors* (rule 2 gets
/// stricter); nothing they are named for stands for their approval.
pub fn commit_authors(commits: &[PrCommit], person_of: &dyn Fn(&str) -> Person) -> Vec<Person> {
    let mut people: Vec<Person> = Vec::new();
    for commit in commits.iter().filter(|c| !c.merge) {
        let named = commit
            .message
            .lines()
            .filter_map(|line| {
                let (tag, value) = line.split_once(':')?;
                let tag = tag.trim();
                let co = tag.eq_ignore_ascii_case("co-authored-by")
                    || tag.eq_ignore_ascii_case("co-developed-by");
                co.then(|| Person::parse(value.trim())).flatten()
            })
            .chain(commit.login.as_deref().map(person_of))
            .chain(commit.author.clone());
        for person in named {
            if !people.contains(&person) {
                people.push(person);
            }
        }
    }
    people
}

/// The PR's head became `sha` at `at`: GitHub's time of the push (from its delivery), the
/// opening of the PR, or — for a push whose delivery never came — when pushgate first saw
/// the head, the latest it can have happened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Push {
    pub sha: String,
    pub at: i64,
}

/// Everything about a PR the policy looks at, as plain data.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Timeline {
    pub author: String,
    pub opened_at: i64,
    pub files: Vec<String>,
    pub reviews: Vec<Review>,
    pub comments: Vec<Comment>,
    pub commits: Vec<PrCommit>,
    pub pushes: Vec<Push>,
    /// The head SHA being judged.
    pub head: String,
    /// For an earlier head an approval was given on: the files changed from it to `head`. A
    /// head missing here changed, as far as anyone can tell, every file of the PR.
    pub changed: HashMap<String, Vec<String>>,
    /// Support status changes that need an ack of their own.
    pub status_changes: Vec<policy::StatusChange>,
    /// The result of the latest majority vote closed on the pull request (passed?) and when
    /// it closed: it settles a referral the committers disagree on.
    pub referee_vote: Option<(bool, i64)>,
    /// The PR's diff as GitHub's files list gives it (each file's `patch`): `K:` keywords are
    /// matched against its added and removed lines for the notify list.
    pub diff: String,
}

/// The GitHub-mode settings (from `[acks]` and `[release]` of the config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub policy: Options,
    /// `acks.min_open` in seconds.
    pub min_open: i64,
    pub dismiss_on_push: Dismissal,
    pub trust_commit_trailers: bool,
    /// When set and reached, a `Release-Acked-by` from one of `release_managers` is required
    /// (until `release_date`).
    pub freeze_start: Option<i64>,
    pub release_managers: Vec<String>,
    /// A pull request opened from then on needs a `Release-Acked-by` (until `release_date`).
    pub last_posting_date: Option<i64>,
    /// The freeze ends by itself then.
    pub release_date: Option<i64>,
    /// `governance.referee_after` in seconds: how long maintainers of one section may
    /// disagree before the pull request is referred to the committers (None: never).
    pub referee_after: Option<i64>,
    /// The committers' logins the edges know: whose `/pushgate referee` counts, and whom a
    /// referral names.
    pub committers: Vec<String>,
}

/// Which approvals a push dismisses (`acks.dismiss_on_push`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Dismissal {
    /// An approval stays unless a push changed files in the approver's sections.
    TouchedSections,
    All,
    Never,
}

/// A trailer found in a PR commit: shown, not counted (unless trusted by config).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Claim {
    pub sha: String,
    pub trailer: String,
}

/// An approval that no longer counts, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dismissed {
    pub login: String,
    pub reason: String,
}

/// The time rule (SPEC §2 rule 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Window {
    /// The last push that changed files, or the opening of the PR.
    pub since: i64,
    /// When the window ends.
    pub ready_at: i64,
    pub open: bool,
}

/// The judgement of a pull request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PullVerdict {
    pub satisfied: bool,
    pub verdict: Verdict,
    pub window: Window,
    pub claims: Vec<Claim>,
    pub dismissed: Vec<Dismissed>,
    /// Overrides of objections: (maintainer login, objector login).
    pub overrides: Vec<(String, String)>,
    /// Set during a freeze: whether a release manager's Release-Acked-by is present.
    pub release_ack: Option<bool>,
    /// Everything missing, one sentence each (the policy's, then time and freeze).
    pub missing: Vec<String>,
    /// The approvals that stand (not dismissed, not objections), in time order: what a merge
    /// records as trailers.
    pub standing: Vec<Approval>,
    /// Maintainers of a touched section disagree: the referral to the committers.
    pub referral: Option<Referral>,
    /// Whom get_maintainer.pl would CC for the PR (`--keywords` applied to its diff).
    pub notify: Notify,
}

/// Maintainers of one touched section disagree: one approved, another objects with an
/// explanation, and neither withdrew (the Xen governance's "Conflict Resolution").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    /// The section's name in MAINTAINERS.
    pub section: String,
    /// Logins of its maintainers whose approval stands.
    pub approvers: Vec<String>,
    /// Logins of its maintainers whose explained objection stands.
    pub objectors: Vec<String>,
    /// Since when both stood.
    pub since: i64,
}

/// A committer's `/pushgate referee accept` or `/pushgate referee reject <reason>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ruling {
    pub login: String,
    pub accept: bool,
    pub reason: String,
    pub at: i64,
}

/// Where a disagreement stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Referral {
    pub disagreement: Disagreement,
    /// When it is (or was) referred to the committers.
    pub referred_at: i64,
    pub state: Referee,
}

/// What the committers made of a disagreement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum Referee {
    /// Not referred yet: the maintainers have until `referred_at` to settle it themselves.
    Waiting,
    /// Referred to the committers; none has ruled.
    Referred,
    /// Committers ruled both ways: a majority vote on the pull request settles it.
    Deadlock {
        accept: Vec<String>,
        reject: Vec<String>,
    },
    /// Accepted by these committers (or by a majority vote when `by` is empty): the
    /// objections are overridden.
    Accepted { by: Vec<String> },
    /// Rejected by these committers (or by a majority vote when `by` is empty), with their
    /// reasons.
    Rejected { by: Vec<String>, reason: String },
}

/// Settles a disagreement: committers' rulings given since it began count (each committer's
/// latest); one-sided rulings decide; rulings both ways wait for a majority vote closed since
/// it began (`vote`: passed?, closed at), which also decides alone. Without a ruling it is
/// referred `after` seconds after it began.
pub fn settle(
    disagreement: Disagreement,
    rulings: &[Ruling],
    committers: &[String],
    vote: Option<(bool, i64)>,
    after: i64,
    now: i64,
) -> Referral {
    let referred_at = disagreement.since.saturating_add(after);
    let mut latest: Vec<&Ruling> = Vec::new();
    for ruling in rulings.iter().filter(|r| {
        r.at >= disagreement.since && committers.iter().any(|c| c.eq_ignore_ascii_case(&r.login))
    }) {
        latest.retain(|r| !r.login.eq_ignore_ascii_case(&ruling.login) || r.at > ruling.at);
        if !latest
            .iter()
            .any(|r| r.login.eq_ignore_ascii_case(&ruling.login))
        {
            latest.push(ruling);
        }
    }
    let accept: Vec<String> = latest
        .iter()
        .filter(|r| r.accept)
        .map(|r| r.login.clone())
        .collect();
    let reject: Vec<&Ruling> = latest.iter().filter(|r| !r.accept).copied().collect();
    let vote = vote
        .filter(|(_, at)| *at >= disagreement.since)
        .map(|(passed, _)| passed);
    let state = match (accept.is_empty(), reject.is_empty(), vote) {
        (false, true, _) => Referee::Accepted { by: accept },
        (true, false, _) => Referee::Rejected {
            by: reject.iter().map(|r| r.login.clone()).collect(),
            reason: reject
                .iter()
                .map(|r| r.reason.as_str())
                .filter(|r| !r.is_empty())
                .collect::<Vec<_>>()
                .join("; "),
        },
        (_, _, Some(true)) if now >= referred_at || !accept.is_empty() => {
            Referee::Accepted { by: Vec::new() }
        }
        (_, _, Some(false)) if now >= referred_at || !accept.is_empty() => Referee::Rejected {
            by: Vec::new(),
            reason: "a majority vote of the committers".to_string(),
        },
        (false, false, _) => Referee::Deadlock {
            accept,
            reject: reject.iter().map(|r| r.login.clone()).collect(),
        },
        (true, true, _) if now < referred_at => Referee::Waiting,
        (true, true, _) => Referee::Referred,
    };
    Referral {
        disagreement,
        referred_at,
        state,
    }
}

/// The line the check shows for a referral that holds the pull request back, if it does.
pub fn referral_line(referral: &Referral, committers: &[String]) -> Option<String> {
    let d = &referral.disagreement;
    let named = |logins: &[String]| {
        logins
            .iter()
            .map(|l| format!("@{l}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let who = if committers.is_empty() {
        "the committers".to_string()
    } else {
        format!("the committers ({})", named(committers))
    };
    match &referral.state {
        Referee::Waiting | Referee::Accepted { .. } => None,
        Referee::Referred => Some(format!(
            "referred to {who}: maintainers of {} disagree ({} approved, {} object); a \
             committer settles it with `/pushgate referee accept` or `/pushgate referee reject \
             <reason>`",
            d.section,
            named(&d.approvers),
            named(&d.objectors)
        )),
        Referee::Deadlock { accept, reject } => Some(format!(
            "referred to {who}, who disagree ({} accept, {} reject): \
             `/pushgate vote --scheme majority` on this pull request settles it",
            named(accept),
            named(reject)
        )),
        Referee::Rejected { by, reason } if by.is_empty() => Some(format!(
            "rejected by {reason}, after the maintainers of {} disagreed",
            d.section
        )),
        Referee::Rejected { by, reason } => Some(format!(
            "rejected by the committers ({}){}",
            named(by),
            if reason.is_empty() {
                String::new()
            } else {
                format!(": {reason}")
            }
        )),
    }
}

/// What a comment says, line by line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    Approval {
        kind: ApprovalKind,
        scope: Option<String>,
    },
    /// `/pushgate override @login`.
    Override { login: String },
    /// `/pushgate referee accept` or `/pushgate referee reject <reason>`.
    Referee { accept: bool, reason: String },
}

/// Reads the acks, reviews, objections and commands in a comment. Trailer-style lines
/// (`Acked-by: …`) and `/ack [area]` count as said by the comment's author.
pub fn read_comment(body: &str) -> Vec<Said> {
    let mut said = Vec::new();
    for line in body.lines() {
        let line = line.trim();
        if let Some(rest) = line.strip_prefix("/ack") {
            if rest.is_empty() || rest.starts_with(char::is_whitespace) {
                let area = rest.trim();
                let area = area
                    .strip_prefix('[')
                    .and_then(|a| a.strip_suffix(']'))
                    .unwrap_or(area);
                said.push(Said::Approval {
                    kind: ApprovalKind::Ack,
                    scope: Some(area.trim().to_string()).filter(|a| !a.is_empty()),
                });
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("/pushgate referee ") {
            let rest = rest.trim();
            if rest == "accept" {
                said.push(Said::Referee {
                    accept: true,
                    reason: String::new(),
                });
            } else if let Some(reason) = rest.strip_prefix("reject") {
                if reason.is_empty() || reason.starts_with(char::is_whitespace) {
                    said.push(Said::Referee {
                        accept: false,
                        reason: reason.trim().to_string(),
                    });
                }
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("/pushgate override") {
            if let Some(login) = rest.split_whitespace().next() {
                let login = login.trim_start_matches('@');
                if !login.is_empty() {
                    said.push(Said::Override {
                        login: login.to_string(),
                    });
                }
            }
            continue;
        }
        for trailer in parse_trailers(line) {
            let kind = match trailer.kind {
                TrailerKind::AckedBy => ApprovalKind::Ack,
                TrailerKind::ReviewedBy => ApprovalKind::Review,
                TrailerKind::NackedBy => ApprovalKind::Objection,
                TrailerKind::ReleaseAckedBy => ApprovalKind::ReleaseAck,
                _ => continue,
            };
            said.push(Said::Approval {
                kind,
                scope: trailer.scope,
            });
        }
    }
    said
}

/// One thing a login said, in time order.
struct Statement {
    login: String,
    kind: ApprovalKind,
    scope: Option<String>,
    explanation: Option<String>,
    at: i64,
    /// The head it was said on, when GitHub says (a review's `commit_id`).
    on: Option<String>,
}

/// Judges a pull request. `people` maps lower-cased logins to who they are in MAINTAINERS;
/// `matches` gives the covering sections for each of `timeline.files`; `now` is Unix seconds.
#[allow(clippy::too_many_arguments)]
pub fn evaluate(
    timeline: &Timeline,
    maintainers: &Maintainers,
    matches: &[Vec<SectionMatch>],
    people: &HashMap<String, Person>,
    identities: &Identities,
    settings: &Settings,
    now: i64,
) -> PullVerdict {
    let person_of = |login: &str| {
        people
            .get(&login.to_lowercase())
            .cloned()
            .unwrap_or_else(|| Person {
                name: format!("@{login}"),
                email: String::new(),
            })
    };
    let maintains = |login: &str, only_files: Option<&[String]>| {
        let key = identities.key(&person_of(login));
        timeline.files.iter().zip(matches).any(|(file, found)| {
            only_files.is_none_or(|files| files.contains(file))
                && found.iter().any(|m| {
                    maintainers.sections[m.section]
                        .maintainers
                        .iter()
                        .any(|p| identities.key(p).matches(&key))
                })
        })
    };

    let mut statements: Vec<Statement> = Vec::new();
    let mut overrides_asked: Vec<(String, String, i64)> = Vec::new();
    let mut rulings: Vec<Ruling> = Vec::new();
    for review in &timeline.reviews {
        let kind = match review.state {
            ReviewState::Approved => Some(ApprovalKind::Review),
            ReviewState::ChangesRequested => Some(ApprovalKind::Objection),
            ReviewState::Commented => None,
            // A dismissed review no longer speaks, its body included.
            ReviewState::Dismissed => continue,
        };
        if let Some(kind) = kind {
            // A request for changes is explained by what its author wrote.
            let body = match &review.words {
                Words::Unverified {
                    authored: Some(authored),
                } => authored,
                _ => &review.body,
            };
            statements.push(Statement {
                login: review.login.clone(),
                kind,
                scope: None,
                explanation: Some(body.trim().to_string()).filter(|b| !b.is_empty()),
                at: review.at,
                on: Some(review.commit_id.clone()).filter(|c| !c.is_empty()),
            });
        }
        // Lines in a review's body count like a comment's: `Acked-by: … # x86` in an approval,
        // `Nacked-by:` in a comment-only review. A request for changes already objects.
        for (said, text) in words_of(&review.body, &review.words) {
            let objects = matches!(
                said,
                Said::Approval {
                    kind: ApprovalKind::Objection,
                    ..
                }
            );
            if objects && review.state == ReviewState::ChangesRequested {
                continue;
            }
            heard(
                (&mut statements, &mut overrides_asked, &mut rulings),
                &review.login,
                (
                    review.at,
                    Some(review.commit_id.as_str()).filter(|c| !c.is_empty()),
                ),
                text,
                said,
            );
        }
    }
    for comment in &timeline.comments {
        for (said, text) in words_of(&comment.body, &comment.words) {
            heard(
                (&mut statements, &mut overrides_asked, &mut rulings),
                &comment.login,
                (comment.at, None),
                text,
                said,
            );
        }
    }
    statements.sort_by_key(|s| s.at);

    // An approval counts for the head it was given on; a change since then to the files its
    // giver maintains dismisses it (SPEC §2, acks.dismiss_on_push). Which head: a review's
    // `commit_id`, else the head the PR had when it was said. Time decides only that, and
    // only GitHub's times and what pushgate saw of the heads do.
    let evidence = head_evidence(timeline);
    let mut dismissed = Vec::new();
    let mut approvals: Vec<Approval> = Vec::new();
    let mut objections: Vec<(String, Approval, i64)> = Vec::new();
    // Who approved (acks and approving reviews), when: for disagreements.
    let mut approved_by: Vec<(String, i64)> = Vec::new();
    for statement in &statements {
        let is_objection = statement.kind == ApprovalKind::Objection;
        let on = statement
            .on
            .as_deref()
            .or_else(|| head_at(&evidence, statement.at));
        let changed = changed_since(timeline, on);
        if !is_objection && !changed.is_empty() {
            let gone = match settings.dismiss_on_push {
                Dismissal::Never => false,
                Dismissal::All => true,
                Dismissal::TouchedSections => maintains(&statement.login, Some(changed)),
            };
            if gone {
                let at = on.map(|sha| match sha {
                    "" => " (an earlier head that nobody recorded)".to_string(),
                    sha => format!(" (`{}`)", &sha[..sha.len().min(12)]),
                });
                dismissed.push(Dismissed {
                    login: statement.login.clone(),
                    reason: format!(
                        "files they maintain changed since the head they approved{}",
                        at.unwrap_or_default()
                    ),
                });
                continue;
            }
        }
        let approval = Approval {
            kind: statement.kind,
            person: person_of(&statement.login),
            scope: statement.scope.clone(),
            explanation: statement.explanation.clone(),
            overridden_by: None,
        };
        if is_objection {
            objections.push((statement.login.clone(), approval, statement.at));
        } else {
            // A later approval from an objector withdraws their objection.
            if statement.kind != ApprovalKind::ReleaseAck {
                objections.retain(|(login, _, at)| {
                    !(login.eq_ignore_ascii_case(&statement.login) && *at <= statement.at)
                });
            }
            if matches!(statement.kind, ApprovalKind::Ack | ApprovalKind::Review) {
                approved_by.push((statement.login.clone(), statement.at));
            }
            approvals.push(approval);
        }
    }

    // A maintainer of a touched section may override a non-maintainer's objection.
    let mut overrides = Vec::new();
    for (by, of, _) in &overrides_asked {
        if !maintains(by, None) || maintains(of, None) {
            continue;
        }
        for (login, objection, _) in &mut objections {
            if login.eq_ignore_ascii_case(of) && objection.overridden_by.is_none() {
                objection.overridden_by = Some(person_of(by));
                overrides.push((by.clone(), of.clone()));
            }
        }
    }
    // Maintainers of one touched section who disagree are referred to the committers.
    let referral = settings.referee_after.and_then(|after| {
        let found = disagreement(
            maintainers,
            matches,
            identities,
            &person_of,
            &objections,
            &approved_by,
        )?;
        Some(settle(
            found,
            &rulings,
            &settings.committers,
            timeline.referee_vote,
            after,
            now,
        ))
    });
    if let Some(Referral {
        state: Referee::Accepted { by },
        disagreement,
        ..
    }) = &referral
    {
        let (login, person) = match by.first() {
            Some(login) => (login.clone(), person_of(login)),
            None => (
                "a majority vote".to_string(),
                Person {
                    name: "a majority vote of the committers".to_string(),
                    email: String::new(),
                },
            ),
        };
        for (objector, objection, _) in &mut objections {
            let theirs = disagreement
                .objectors
                .iter()
                .any(|o| o.eq_ignore_ascii_case(objector));
            if theirs && objection.overridden_by.is_none() {
                objection.overridden_by = Some(person.clone());
                overrides.push((login.clone(), objector.clone()));
            }
        }
    }
    approvals.extend(objections.into_iter().map(|(_, a, _)| a));

    let mut claims = Vec::new();
    for commit in &timeline.commits {
        for trailer in parse_trailers(&commit.message) {
            if matches!(trailer.kind, TrailerKind::SignedOffBy) {
                continue;
            }
            claims.push(Claim {
                sha: commit.sha.clone(),
                trailer: trailer.to_string(),
            });
            if settings.trust_commit_trailers {
                let kind = match trailer.kind {
                    TrailerKind::AckedBy => ApprovalKind::Ack,
                    TrailerKind::ReviewedBy => ApprovalKind::Review,
                    TrailerKind::NackedBy => ApprovalKind::Objection,
                    TrailerKind::ReleaseAckedBy => ApprovalKind::ReleaseAck,
                    _ => continue,
                };
                approvals.push(Approval::new(kind, trailer.person).scoped(trailer.scope));
            }
        }
    }

    let change = Change {
        files: timeline.files.clone(),
        author: person_of(&timeline.author),
        co_authors: Vec::new(),
        claimed_authors: commit_authors(&timeline.commits, &person_of),
        approvals,
        status_changes: timeline.status_changes.clone(),
    };
    let verdict = policy::evaluate(&change, maintainers, matches, identities, &settings.policy);

    // The window runs from when the judged head came: the earliest sign of it.
    let since = timeline
        .pushes
        .iter()
        .filter(|p| p.sha == timeline.head)
        .map(|p| p.at)
        .min()
        .unwrap_or(timeline.opened_at)
        .max(timeline.opened_at);
    let ready_at = since.saturating_add(settings.min_open);
    let window = Window {
        since,
        ready_at,
        open: now < ready_at,
    };

    let mut missing = verdict.missing.clone();
    if window.open {
        missing.push(format!(
            "time to respond: the change must be open {} since its last push; it is ready at {}",
            human_seconds(settings.min_open),
            utc(ready_at)
        ));
    }
    let frozen = freeze(settings, timeline.opened_at, now);
    let release_ack = frozen.map(|_| {
        change.approvals.iter().any(|a| {
            a.kind == ApprovalKind::ReleaseAck
                && settings
                    .release_managers
                    .iter()
                    .any(|m| identities.same(&person_of(m), &a.person))
        })
    });
    if let (Some(false), Some(frozen)) = (release_ack, frozen) {
        missing.push(release_ack_missing(frozen));
    }
    if let Some(line) = referral
        .as_ref()
        .and_then(|r| referral_line(r, &settings.committers))
    {
        missing.push(line);
    }
    let standing = change
        .approvals
        .iter()
        .filter(|a| a.kind != ApprovalKind::Objection)
        .cloned()
        .collect();
    let notify =
        maintainers.notify_with_keywords(matches.iter().map(Vec::as_slice), &timeline.diff);
    PullVerdict {
        notify,
        satisfied: missing.is_empty(),
        standing,
        verdict,
        window,
        claims,
        dismissed,
        overrides,
        release_ack,
        missing,
        referral,
    }
}

/// The first touched section (in MAINTAINERS order) whose maintainers disagree: one's
/// approval and another's explained objection (not overridden) both stand.
fn disagreement(
    maintainers: &Maintainers,
    matches: &[Vec<SectionMatch>],
    identities: &Identities,
    person_of: &dyn Fn(&str) -> Person,
    objections: &[(String, Approval, i64)],
    approved_by: &[(String, i64)],
) -> Option<Disagreement> {
    let mut sections: Vec<usize> = matches.iter().flatten().map(|m| m.section).collect();
    sections.sort_unstable();
    sections.dedup();
    let maintains = |login: &str, section: usize| {
        let key = identities.key(&person_of(login));
        maintainers.sections[section]
            .maintainers
            .iter()
            .any(|p| identities.key(p).matches(&key))
    };
    sections.into_iter().find_map(|section| {
        let mut objectors: Vec<(String, i64)> = Vec::new();
        for (login, objection, at) in objections {
            if objection.explanation.is_some()
                && objection.overridden_by.is_none()
                && maintains(login, section)
                && !objectors.iter().any(|(l, _)| l.eq_ignore_ascii_case(login))
            {
                objectors.push((login.clone(), *at));
            }
        }
        let mut approvers: Vec<(String, i64)> = Vec::new();
        for (login, at) in approved_by {
            if maintains(login, section)
                && !objectors.iter().any(|(l, _)| l.eq_ignore_ascii_case(login))
                && !approvers.iter().any(|(l, _)| l.eq_ignore_ascii_case(login))
            {
                approvers.push((login.clone(), *at));
            }
        }
        let first = |people: &[(String, i64)]| people.iter().map(|(_, at)| *at).min();
        let since = first(&objectors)?.max(first(&approvers)?);
        Some(Disagreement {
            section: maintainers.sections[section].name.clone(),
            approvers: approvers.into_iter().map(|(l, _)| l).collect(),
            objectors: objectors.into_iter().map(|(l, _)| l).collect(),
            since,
        })
    })
}

/// Why a pull request needs a release manager's `Release-Acked-by` now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frozen {
    /// The freeze started (at this time).
    Freeze(i64),
    /// It was opened after the last posting date (this one), which has passed.
    PostedLate(i64),
}

/// A release's dates as the freeze reads them (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReleaseDates {
    pub freeze_start: Option<i64>,
    pub last_posting_date: Option<i64>,
    pub release_date: Option<i64>,
}

impl Settings {
    /// The release's dates among the settings.
    pub fn release_dates(&self) -> ReleaseDates {
        ReleaseDates {
            freeze_start: self.freeze_start,
            last_posting_date: self.last_posting_date,
            release_date: self.release_date,
        }
    }
}

/// Whether a pull request opened at `opened_at` needs a `Release-Acked-by` at `now`: from the
/// freeze start, or (opened from the last posting date on) from that date, until the release
/// date, when the freeze ends by itself.
pub fn freeze(settings: &Settings, opened_at: i64, now: i64) -> Option<Frozen> {
    frozen(&settings.release_dates(), opened_at, now)
}

/// [`freeze`] over the dates alone: a change posted at `posted_at`, judged at `now`.
pub fn frozen(dates: &ReleaseDates, posted_at: i64, now: i64) -> Option<Frozen> {
    if dates.release_date.is_some_and(|date| now >= date) {
        return None;
    }
    let started = dates.freeze_start.filter(|&t| now >= t).map(Frozen::Freeze);
    let late = dates
        .last_posting_date
        .filter(|&t| now >= t && posted_at >= t)
        .map(Frozen::PostedLate);
    started.or(late)
}

/// What a change that needs a release manager's `Release-Acked-by` and has none is told.
pub fn release_ack_missing(frozen: Frozen) -> String {
    match frozen {
        Frozen::PostedLate(at) => format!(
            "posted after the last posting date ({}): a Release-Acked-by from a release manager",
            utc(at)
        ),
        Frozen::Freeze(_) => "freeze: a Release-Acked-by from a release manager".to_string(),
    }
}

/// The freeze over committed history (the offline `check`): a commit committed at
/// `committed_at` inside the freeze (or, authored at `authored_at` from the last posting date
/// on, committed before the release date) needs a `Release-Acked-by` trailer from one of
/// `managers` (people as the config's identities name them). The missing sentence, if any.
pub fn committed_in_freeze(
    dates: &ReleaseDates,
    managers: &[Person],
    identities: &Identities,
    approvals: &[Approval],
    authored_at: i64,
    committed_at: i64,
) -> Option<String> {
    let frozen = frozen(dates, authored_at, committed_at)?;
    let acked = approvals.iter().any(|a| {
        a.kind == ApprovalKind::ReleaseAck && managers.iter().any(|m| identities.same(m, &a.person))
    });
    (!acked).then(|| release_ack_missing(frozen))
}

/// The trailers a merge records (Xen's order is applied by `core::merge`): each approval that
/// counted — a maintainer's ack or approving review that met a requirement, a review that met
/// rule 2, a release manager's release ack — from people known by name and e-mail.
pub fn trailers_to_record(verdict: &PullVerdict) -> Vec<crate::core::merge::Given> {
    trailers_for(verdict, |_| true)
}

/// The trailers of one re-created commit, as Xen's per-patch acks: the acks of the people
/// whose approval met a requirement on a file the commit touches (`touches` says, for a file
/// of a requirement, whether the commit changes it), every review that met rule 2, and the
/// release manager's release ack.
pub fn trailers_for(
    verdict: &PullVerdict,
    touches: impl Fn(&str) -> bool,
) -> Vec<crate::core::merge::Given> {
    use crate::core::policy::Status;
    // Who met a requirement, with whether that requirement covers a file the commit touches.
    let met: Vec<(&Person, bool)> = verdict
        .verdict
        .requirements
        .iter()
        .filter_map(|r| match &r.status {
            Status::AckedBy { person }
            | Status::StoodInBy {
                person,
                authored: false,
                ..
            } => Some((person, r.files.iter().any(|f| touches(f)))),
            _ => None,
        })
        .collect();
    let same = |a: &Person, b: &Person| a.email_key() == b.email_key();
    let rule_two = |p: &Person| verdict.verdict.other_than_author.iter().any(|o| same(o, p));
    let counts = |kind: TrailerKind, p: &Person| {
        let for_files: Vec<bool> = met
            .iter()
            .filter(|(m, _)| same(m, p))
            .map(|(_, touched)| *touched)
            .collect();
        match kind {
            TrailerKind::ReleaseAckedBy => true,
            // A maintainer's ack belongs on the commits that touch their files; an ack that
            // met no requirement (rule 2 only) is not tied to files.
            TrailerKind::AckedBy if !for_files.is_empty() => for_files.contains(&true),
            _ => for_files.contains(&true) || rule_two(p),
        }
    };
    let mut given: Vec<crate::core::merge::Given> = Vec::new();
    for approval in &verdict.standing {
        if approval.person.email.is_empty() {
            continue;
        }
        let kind = match approval.kind {
            ApprovalKind::Ack => TrailerKind::AckedBy,
            ApprovalKind::Review => TrailerKind::ReviewedBy,
            ApprovalKind::ReleaseAck if verdict.release_ack == Some(true) => {
                TrailerKind::ReleaseAckedBy
            }
            _ => continue,
        };
        let counted = counts(kind, &approval.person);
        let entry = crate::core::merge::Given {
            kind,
            person: approval.person.clone(),
        };
        if counted && !given.contains(&entry) {
            given.push(entry);
        }
    }
    given
}

/// What a comment or review body counts as saying, each with the text it was read from (an objection's
/// explanation is the rest of that text): all of it when the words are the author's; else
/// the approvals and commands both the authored and the current text carry, and the
/// objections of either.
fn words_of<'a>(body: &'a str, words: &'a Words) -> Vec<(Said, &'a str)> {
    let authored = match words {
        Words::Authors => return read_comment(body).into_iter().map(|s| (s, body)).collect(),
        Words::Unverified { authored } => authored.as_deref().unwrap_or(""),
    };
    let is_objection = |s: &Said| {
        matches!(
            s,
            Said::Approval {
                kind: ApprovalKind::Objection,
                ..
            }
        )
    };
    let then = read_comment(authored);
    let now = read_comment(body);
    let mut kept: Vec<(Said, &str)> = Vec::new();
    for said in &then {
        if is_objection(said) || now.contains(said) {
            kept.push((said.clone(), authored));
        }
    }
    for said in now {
        if is_objection(&said) && !then.contains(&said) {
            kept.push((said, body));
        }
    }
    kept
}

/// Records one thing `login` said at `at` in `text`.
/// What is known of which head the PR had when: its pushes, and its reviews (a review on a
/// commit shows that commit was the head then), in time order.
fn head_evidence(timeline: &Timeline) -> Vec<(i64, &str)> {
    let mut evidence: Vec<(i64, &str)> = timeline
        .pushes
        .iter()
        .map(|p| (p.at, p.sha.as_str()))
        .chain(
            timeline
                .reviews
                .iter()
                .filter(|r| !r.commit_id.is_empty())
                .map(|r| (r.at, r.commit_id.as_str())),
        )
        .collect();
    evidence.sort();
    evidence
}

/// The head the PR had at `at`: the last one known strictly before (GitHub's times are whole
/// seconds, and within the same second the earlier head is the safe guess). Said before
/// anything is known, it is taken as said on the first head known (pushgate cannot see
/// further back).
fn head_at<'a>(evidence: &[(i64, &'a str)], at: i64) -> Option<&'a str> {
    evidence
        .iter()
        .rev()
        .find(|(when, _)| *when < at)
        .or_else(|| evidence.first())
        .map(|(_, sha)| *sha)
}

/// The files changed from head `on` to the judged head: none when it is the judged head (or
/// nothing is known), every file of the PR when the change since it is unknown.
fn changed_since<'a>(timeline: &'a Timeline, on: Option<&str>) -> &'a [String] {
    match on {
        None => &[],
        Some(sha) if sha == timeline.head || timeline.head.is_empty() => &[],
        Some(sha) => timeline
            .changed
            .get(sha)
            .map_or(timeline.files.as_slice(), Vec::as_slice),
    }
}

/// Files one thing said: `(at, on)` is when, and on which head when GitHub says.
/// Where [`heard`] puts what it reads: statements, overrides asked, referee rulings.
type Heard<'a> = (
    &'a mut Vec<Statement>,
    &'a mut Vec<(String, String, i64)>,
    &'a mut Vec<Ruling>,
);

fn heard(
    (statements, overrides_asked, rulings): Heard<'_>,
    login: &str,
    (at, on): (i64, Option<&str>),
    text: &str,
    said: Said,
) {
    match said {
        Said::Approval { kind, scope } => {
            // The rest of the text is the objection's explanation.
            let explanation = (kind == ApprovalKind::Objection)
                .then(|| explanation_of(text))
                .flatten();
            statements.push(Statement {
                login: login.to_string(),
                kind,
                scope,
                explanation,
                at,
                on: on.map(str::to_string),
            });
        }
        Said::Override { login: of } => overrides_asked.push((login.to_string(), of, at)),
        Said::Referee { accept, reason } => rulings.push(Ruling {
            login: login.to_string(),
            accept,
            reason,
            at,
        }),
    }
}

fn explanation_of(body: &str) -> Option<String> {
    let text: Vec<&str> = body
        .lines()
        .filter(|l| parse_trailers(l.trim()).is_empty() && !l.trim().is_empty())
        .collect();
    Some(text.join("\n")).filter(|t| !t.trim().is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::maintainers::Matcher;

    const FIXTURE: &str = include_str!("../../fixtures/MAINTAINERS");
    const SHADOW: &str = "xen/arch/x86/mm/shadow/multi.c";
    const HOUR: i64 = 3600;

    fn people() -> HashMap<String, Person> {
        [
            ("sha-gh", "Sha Dow <sha@shadow.example>"),
            ("xavier-gh", "Xavier Ex <xavier@x86.example>"),
            ("yara-gh", "Yara Why <yara@x86.example>"),
            ("rhea-gh", "Rhea Reviewer <rhea@review.example>"),
            ("mia-gh", "Mia Memory <mia@mm.example>"),
        ]
        .into_iter()
        .map(|(login, p)| (login.to_string(), Person::parse(p).unwrap()))
        .collect()
    }

    fn settings() -> Settings {
        Settings {
            policy: Options::default(),
            min_open: 24 * HOUR,
            dismiss_on_push: Dismissal::TouchedSections,
            trust_commit_trailers: false,
            freeze_start: None,
            release_managers: Vec::new(),
            last_posting_date: None,
            release_date: None,
            referee_after: None,
            committers: Vec::new(),
        }
    }

    fn timeline(author: &str, files: &[&str]) -> Timeline {
        Timeline {
            author: author.to_string(),
            opened_at: 0,
            files: files.iter().map(|f| f.to_string()).collect(),
            ..Timeline::default()
        }
    }

    fn comment(login: &str, body: &str, at: i64) -> Comment {
        Comment {
            login: login.to_string(),
            body: body.to_string(),
            at,
            words: Words::Authors,
        }
    }

    fn review(login: &str, state: ReviewState, body: &str, at: i64) -> Review {
        Review {
            login: login.to_string(),
            state,
            body: body.to_string(),
            at,
            words: Words::Authors,
            commit_id: String::new(),
        }
    }

    fn push(sha: &str, at: i64) -> Push {
        Push {
            sha: sha.to_string(),
            at,
        }
    }

    fn judge_with(t: &Timeline, settings: &Settings, now: i64) -> PullVerdict {
        let matcher = Matcher::new(Maintainers::parse(FIXTURE));
        let matches: Vec<_> = t.files.iter().map(|f| matcher.sections_for(f)).collect();
        let identities = Identities::default();
        evaluate(
            t,
            matcher.maintainers(),
            &matches,
            &people(),
            &identities,
            settings,
            now,
        )
    }

    fn judge(t: &Timeline) -> PullVerdict {
        judge_with(t, &settings(), 48 * HOUR)
    }

    #[test]
    fn approved_review_by_the_specific_maintainer_passes() {
        let mut t = timeline("newcomer", &[SHADOW]);
        t.reviews
            .push(review("sha-gh", ReviewState::Approved, "", HOUR));
        let v = judge(&t);
        assert!(v.satisfied, "{:?}", v.missing);
    }

    #[test]
    fn ack_comment_and_slash_ack_count_for_their_writer() {
        for body in [
            "Acked-by: Sha Dow <sha@shadow.example>",
            "/ack",
            "/ack [shadow]",
            "LGTM\n/ack shadow",
        ] {
            let mut t = timeline("newcomer", &[SHADOW]);
            t.comments.push(comment("sha-gh", body, HOUR));
            let v = judge(&t);
            assert!(v.satisfied, "{body:?}: {:?}", v.missing);
        }
    }

    #[test]
    fn non_maintainer_comment_naming_a_maintainer_is_not_their_ack() {
        let mut t = timeline("newcomer", &[SHADOW]);
        t.comments.push(comment(
            "mallory",
            "Acked-by: Sha Dow <sha@shadow.example>",
            HOUR,
        ));
        let v = judge(&t);
        assert!(!v.satisfied);
        assert_eq!(v.verdict.requirements[0].status, policy::Status::Missing);
    }

    #[test]
    fn forged_trailer_in_pr_commit_does_not_count() {
        let mut t = timeline("newcomer", &[SHADOW]);
        t.commits.push(PrCommit {
            sha: "abc123".to_string(),
            message: "fix\n\nSigned-off-by: N <n@x>\nAcked-by: Sha Dow <sha@shadow.example>\n"
                .to_string(),
            ..PrCommit::default()
        });
        let v = judge(&t);
        assert!(!v.satisfied);
        assert_eq!(v.claims.len(), 1);
        assert!(v.claims[0].trailer.starts_with("Acked-by: Sha Dow"));
        // Only a repository that chose to trust commit trailers counts them.
        let trusting = Settings {
            trust_commit_trailers: true,
            ..settings()
        };
        assert!(judge_with(&t, &trusting, 48 * HOUR).satisfied);
    }

    #[test]
    fn author_acking_own_pr_for_a_section_they_do_not_maintain_fails() {
        let mut t = timeline("rhea-gh", &[SHADOW]);
        t.comments.push(comment("rhea-gh", "/ack", HOUR));
        t.reviews
            .push(review("rhea-gh", ReviewState::Approved, "", HOUR));
        let v = judge(&t);
        assert!(!v.satisfied);
        assert_eq!(v.verdict.requirements[0].status, policy::Status::Missing);
        assert!(v.verdict.other_than_author.is_empty());
    }

    #[test]
    fn window_holds_until_min_open_after_the_last_push() {
        let mut t = timeline("newcomer", &[SHADOW]);
        t.reviews
            .push(review("sha-gh", ReviewState::Approved, "", HOUR));
        let early = judge_with(&t, &settings(), 2 * HOUR);
        assert!(!early.satisfied);
        assert!(early.window.open);
        assert_eq!(early.window.ready_at, 24 * HOUR);
        assert!(early
            .missing
            .last()
            .unwrap()
            .contains("1970-01-02 00:00 UTC"));
        assert!(judge_with(&t, &settings(), 24 * HOUR).satisfied);
    }

    #[test]
    fn push_touching_the_ackers_files_dismisses_the_ack() {
        let mut t = timeline("newcomer", &[SHADOW, "xen/arch/arm/setup.c"]);
        t.comments.push(comment("sha-gh", "/ack", HOUR));
        t.comments.push(comment("xavier-gh", "/ack", HOUR));
        t.pushes = vec![push("first", 0), push("second", 2 * HOUR)];
        t.head = "second".to_string();
        t.changed
            .insert("first".to_string(), vec![SHADOW.to_string()]);
        let v = judge_with(&t, &settings(), 100 * HOUR);
        let gone: Vec<&str> = v.dismissed.iter().map(|d| d.login.as_str()).collect();
        // Xavier maintains x86 (a more general level of the shadow file): dismissed as well.
        assert_eq!(gone, ["sha-gh", "xavier-gh"]);
        let never = Settings {
            dismiss_on_push: Dismissal::Never,
            ..settings()
        };
        assert!(judge_with(&t, &never, 100 * HOUR).dismissed.is_empty());
        // A push that only touched the arm file keeps the shadow ack; Xavier's goes, because
        // as a committer (THE REST) his ack could stand in for the arm file too.
        t.changed.insert(
            "first".to_string(),
            vec!["xen/arch/arm/setup.c".to_string()],
        );
        let v = judge_with(&t, &settings(), 100 * HOUR);
        let gone: Vec<&str> = v.dismissed.iter().map(|d| d.login.as_str()).collect();
        assert_eq!(gone, ["xavier-gh"]);
        let all = Settings {
            dismiss_on_push: Dismissal::All,
            ..settings()
        };
        assert_eq!(judge_with(&t, &all, 100 * HOUR).dismissed.len(), 2);
    }

    #[test]
    fn objection_needs_an_explanation_and_a_maintainer_may_override_a_non_maintainer() {
        let mut t = timeline("newcomer", &[SHADOW]);
        t.reviews
            .push(review("sha-gh", ReviewState::Approved, "", HOUR));
        t.comments.push(comment(
            "rhea-gh",
            "Nacked-by: Rhea <rhea@review.example>",
            2 * HOUR,
        ));
        let v = judge(&t);
        assert!(!v.satisfied);
        assert!(v.verdict.objections[0].explanation.is_none());
        assert!(
            v.missing.iter().any(|m| m.contains("no explanation")),
            "{:?}",
            v.missing
        );

        // A non-maintainer cannot override.
        t.comments
            .push(comment("newcomer", "/pushgate override @rhea-gh", 3 * HOUR));
        assert!(!judge(&t).satisfied);
        // A maintainer of a touched section can.
        t.comments
            .push(comment("sha-gh", "/pushgate override @rhea-gh", 4 * HOUR));
        let v = judge(&t);
        assert!(v.satisfied, "{:?}", v.missing);
        assert_eq!(v.overrides, [("sha-gh".to_string(), "rhea-gh".to_string())]);
    }

    #[test]
    fn maintainer_objection_cannot_be_overridden_but_can_be_withdrawn() {
        let mut t = timeline("newcomer", &[SHADOW]);
        t.reviews.push(review(
            "mia-gh",
            ReviewState::ChangesRequested,
            "breaks PV",
            HOUR,
        ));
        t.reviews
            .push(review("sha-gh", ReviewState::Approved, "", HOUR));
        t.comments
            .push(comment("sha-gh", "/pushgate override @mia-gh", 2 * HOUR));
        let v = judge(&t);
        assert!(!v.satisfied);
        assert_eq!(
            v.verdict.objections[0].explanation.as_deref(),
            Some("breaks PV")
        );
        t.reviews
            .push(review("mia-gh", ReviewState::Approved, "ok now", 3 * HOUR));
        assert!(judge(&t).satisfied);
    }

    #[test]
    fn freeze_requires_a_release_managers_release_ack() {
        let mut t = timeline("newcomer", &[SHADOW]);
        t.reviews
            .push(review("sha-gh", ReviewState::Approved, "", HOUR));
        let frozen = Settings {
            freeze_start: Some(10 * HOUR),
            release_managers: vec!["yara-gh".to_string()],
            ..settings()
        };
        assert!(!judge_with(&t, &frozen, 48 * HOUR).satisfied);
        t.comments
            .push(comment("xavier-gh", "Release-Acked-by: me", 2 * HOUR));
        assert!(
            !judge_with(&t, &frozen, 48 * HOUR).satisfied,
            "not a release manager"
        );
        t.comments
            .push(comment("yara-gh", "Release-Acked-by: Yara", 2 * HOUR));
        assert!(judge_with(&t, &frozen, 48 * HOUR).satisfied);
    }

    #[test]
    fn review_body_lines_count_like_comment_lines() {
        const SHA_ACK: &str = "Acked-by: Sha Dow <sha@shadow.example>";
        use ReviewState::*;
        // (reviewer, state, body, satisfied, objections)
        let cases = [
            ("sha-gh", Commented, SHA_ACK, true, 0),
            (
                "sha-gh",
                Commented,
                "Acked-by: Sha Dow <sha@shadow.example> # shadow",
                true,
                0,
            ),
            (
                "sha-gh",
                Commented,
                "Acked-by: Sha Dow <sha@shadow.example> # arm",
                false,
                0,
            ),
            ("sha-gh", Commented, "Looks good to me", false, 0),
            (
                "sha-gh",
                Approved,
                "Acked-by: Sha Dow <sha@shadow.example> # shadow",
                true,
                0,
            ),
            ("sha-gh", Dismissed, SHA_ACK, false, 0),
            ("mallory", Commented, SHA_ACK, false, 0),
            (
                "mia-gh",
                Commented,
                "Nacked-by: Mia <mia@mm.example>\nbreaks PV",
                false,
                1,
            ),
            (
                "mia-gh",
                ChangesRequested,
                "Nacked-by: Mia <mia@mm.example>\nno",
                false,
                1,
            ),
        ];
        for (login, state, body, satisfied, objections) in cases {
            let mut t = timeline("newcomer", &[SHADOW]);
            if objections > 0 {
                t.reviews
                    .push(review("sha-gh", ReviewState::Approved, "", HOUR));
            }
            t.reviews.push(review(login, state, body, 2 * HOUR));
            let v = judge(&t);
            assert_eq!(
                v.satisfied, satisfied,
                "{login} {state:?} {body:?}: {:?}",
                v.missing
            );
            assert_eq!(
                v.verdict.objections.len(),
                objections,
                "{login} {state:?} {body:?}"
            );
        }
        // A review's body counts as its author wrote it; its state is always theirs.
        let mut t = timeline("newcomer", &[SHADOW]);
        t.reviews.push(Review {
            words: Words::Unverified {
                authored: Some("Looks fine.".to_string()),
            },
            ..review(
                "sha-gh",
                Commented,
                &format!("Looks fine.\n{SHA_ACK}"),
                HOUR,
            )
        });
        assert!(!judge(&t).satisfied, "an ack added by someone else's edit");
        t.reviews[0].words = Words::Authors;
        assert!(judge(&t).satisfied);
        let mut t = timeline("newcomer", &[SHADOW]);
        t.reviews.push(Review {
            words: Words::Unverified {
                authored: Some("breaks PV".to_string()),
            },
            ..review("mia-gh", ChangesRequested, "", HOUR)
        });
        let v = judge(&t);
        assert_eq!(
            v.verdict.objections[0].explanation.as_deref(),
            Some("breaks PV")
        );

        // A comment-only review's objection is explained by the rest of its body.
        let mut t = timeline("newcomer", &[SHADOW]);
        t.reviews.push(review(
            "mia-gh",
            Commented,
            "Nacked-by: Mia <mia@mm.example>\nbreaks PV",
            HOUR,
        ));
        let v = judge(&t);
        assert_eq!(
            v.verdict.objections[0].explanation.as_deref(),
            Some("breaks PV")
        );
    }

    #[test]
    fn a_comment_counts_only_as_its_author_wrote_it() {
        const NACK: &str = "Nacked-by: Mia <mia@mm.example>\nbreaks PV";
        let unverified = |authored: Option<&str>| Words::Unverified {
            authored: authored.map(str::to_string),
        };
        // (commenter, text shown now, whose words, sha-gh approved first, satisfied, objections)
        let cases = [
            ("sha-gh", "/ack", Words::Authors, false, true, 0),
            // Edited by the author, as pushgate saw: the new text is theirs.
            ("sha-gh", "/ack", unverified(Some("/ack")), false, true, 0),
            // An ack added by someone else's edit.
            (
                "sha-gh",
                "Fine.\nAcked-by: Sha",
                unverified(Some("Fine.")),
                false,
                false,
                0,
            ),
            // An edit pushgate never saw: no one can say who wrote the ack.
            ("sha-gh", "/ack", unverified(None), false, false, 0),
            // An objection removed by someone else's edit, or its comment deleted by someone
            // else (empty text), still stands.
            ("mia-gh", "Fine.", unverified(Some(NACK)), true, false, 1),
            ("mia-gh", "", unverified(Some(NACK)), true, false, 1),
            // An objection added by an edit pushgate cannot attribute: only more careful.
            ("mia-gh", NACK, unverified(Some("Fine.")), true, false, 1),
            ("mia-gh", NACK, unverified(None), true, false, 1),
            // Commands count only as the author gave them.
            (
                "sha-gh",
                "/pushgate override @rhea-gh",
                unverified(Some("")),
                false,
                false,
                0,
            ),
        ];
        for (login, body, words, approved, satisfied, objections) in cases {
            let mut t = timeline("newcomer", &[SHADOW]);
            if approved {
                t.reviews
                    .push(review("sha-gh", ReviewState::Approved, "", HOUR));
            }
            t.comments.push(Comment {
                words: words.clone(),
                ..comment(login, body, 2 * HOUR)
            });
            let v = judge(&t);
            assert_eq!(
                v.satisfied, satisfied,
                "{login} {body:?} {words:?}: {:?}",
                v.missing
            );
            assert_eq!(
                v.verdict.objections.len(),
                objections,
                "{login} {body:?} {words:?}"
            );
            if objections > 0 {
                assert_eq!(
                    v.verdict.objections[0].explanation.as_deref(),
                    Some("breaks PV"),
                    "{body:?} {words:?}"
                );
            }
        }
    }

    #[test]
    fn comment_reading_finds_every_form() {
        let said = read_comment("Thanks!\nAcked-by: x <x@y> # x86\nReviewed-by: y\n/ack [arm]\n/acknowledge\n/pushgate override @bob");
        assert_eq!(
            said,
            [
                Said::Approval {
                    kind: ApprovalKind::Ack,
                    scope: Some("x86".to_string())
                },
                Said::Approval {
                    kind: ApprovalKind::Review,
                    scope: None
                },
                Said::Approval {
                    kind: ApprovalKind::Ack,
                    scope: Some("arm".to_string())
                },
                Said::Override {
                    login: "bob".to_string()
                },
            ]
        );
    }

    #[test]
    fn each_commit_carries_the_acks_of_the_files_it_touches() {
        const TRAPS: &str = "xen/arch/x86/traps.c";
        const MM: &str = "xen/arch/x86/mm/p2m.c";
        let mut t = timeline("newcomer", &[SHADOW, TRAPS, MM]);
        t.comments.push(comment("sha-gh", "/ack", HOUR));
        t.comments
            .push(comment("xavier-gh", "Acked-by: Xavier", HOUR));
        t.comments.push(comment("mia-gh", "/ack", HOUR));
        t.reviews
            .push(review("rhea-gh", ReviewState::Approved, "", HOUR));
        let v = judge(&t);
        assert!(v.satisfied, "{:?}", v.missing);
        let names = |touched: &[&str]| -> Vec<String> {
            trailers_for(&v, |f| touched.contains(&f))
                .iter()
                .map(|g| format!("{}: {}", g.kind.as_str(), g.person.name))
                .collect()
        };
        // (files one commit touches, the trailers it carries). Rhea's review met rule 2 and
        // goes on every commit; an ack only where its giver's requirement is touched.
        let cases: [(&[&str], &[&str]); 4] = [
            (&[SHADOW], &["Acked-by: Sha Dow"]),
            (&[TRAPS], &["Acked-by: Xavier Ex"]),
            (
                &[MM, TRAPS],
                &["Acked-by: Xavier Ex", "Acked-by: Mia Memory"],
            ),
            (&[], &[]),
        ];
        for (touched, acks) in cases {
            let got = names(touched);
            assert!(
                got.contains(&"Reviewed-by: Rhea Reviewer".to_string()),
                "{touched:?}: {got:?}"
            );
            let got_acks: Vec<&String> = got.iter().filter(|g| g.starts_with("Acked-by")).collect();
            assert_eq!(
                got_acks,
                acks.iter()
                    .map(|a| a.to_string())
                    .collect::<Vec<_>>()
                    .iter()
                    .collect::<Vec<_>>(),
                "{touched:?}"
            );
        }
        // The whole pull request: everyone who counted.
        assert_eq!(trailers_to_record(&v).len(), 4);
    }

    #[test]
    fn an_approval_counts_for_the_head_it_was_given_on() {
        const ARM: &str = "xen/arch/arm/setup.c";
        // Heads: `a` at the opening, `b` pushed at 2h (GitHub's time), `c` first seen by
        // pushgate at 5h (its delivery never came; it was pushed at 5h at the latest). `c` is
        // judged; from `a` the shadow file changed, from `b` nothing pushgate can name.
        let base = || {
            let mut t = timeline("newcomer", &[SHADOW, ARM]);
            t.pushes = vec![push("a", 0), push("b", 2 * HOUR), push("c", 5 * HOUR)];
            t.head = "c".to_string();
            t.changed.insert("a".to_string(), vec![SHADOW.to_string()]);
            t
        };
        let with_review = |at: i64, commit: &str| {
            let mut r = review("sha-gh", ReviewState::Approved, "", at);
            r.commit_id = commit.to_string();
            r
        };
        // (what Sha said, whether it is dismissed)
        type Case = (&'static str, Box<dyn Fn(&mut Timeline)>, bool);
        let cases: Vec<Case> = vec![
            (
                "an ack on `a`: the shadow file changed since",
                Box::new(|t| t.comments.push(comment("sha-gh", "/ack", HOUR))),
                true,
            ),
            (
                "an ack after `c` was seen: given on the judged head",
                Box::new(|t| t.comments.push(comment("sha-gh", "/ack", 6 * HOUR))),
                false,
            ),
            (
                "an ack between `b` and when `c` was seen: given on `b`, whose change is \
                 unknown, so every file counts as changed",
                Box::new(|t| t.comments.push(comment("sha-gh", "/ack", 3 * HOUR))),
                true,
            ),
            (
                "a review on `c` submitted before pushgate saw `c`: its commit says which head",
                Box::new(move |t| t.reviews.push(with_review(3 * HOUR, "c"))),
                false,
            ),
            (
                "a review on `a` submitted late: still an approval of `a`",
                Box::new(move |t| t.reviews.push(with_review(6 * HOUR, "a"))),
                true,
            ),
            (
                "an ack before anything is known: taken as given on the first head, `a`",
                Box::new(|t| {
                    t.pushes.retain(|p| p.sha != "a");
                    t.pushes.insert(0, push("a", 2 * HOUR - 1));
                    t.comments.push(comment("sha-gh", "/ack", 0));
                }),
                true,
            ),
        ];
        for (what, arrange, gone) in cases {
            let mut t = base();
            arrange(&mut t);
            let v = judge_with(&t, &settings(), 100 * HOUR);
            let dismissed = v.dismissed.iter().any(|d| d.login == "sha-gh");
            assert_eq!(dismissed, gone, "{what}: {:?}", v.dismissed);
        }
        // Nothing changed between two heads: nothing to dismiss.
        let mut t = base();
        t.changed.insert("b".to_string(), Vec::new());
        t.comments.push(comment("sha-gh", "/ack", 3 * HOUR));
        assert!(judge_with(&t, &settings(), 100 * HOUR).dismissed.is_empty());
    }

    #[test]
    fn the_window_runs_from_the_judged_heads_first_sign() {
        let mut t = timeline("newcomer", &[SHADOW]);
        t.reviews
            .push(review("sha-gh", ReviewState::Approved, "", 30 * HOUR));
        t.pushes = vec![push("a", 0), push("b", 10 * HOUR)];
        t.head = "b".to_string();
        let v = judge_with(&t, &settings(), 20 * HOUR);
        assert_eq!(v.window.since, 10 * HOUR);
        assert!(v.window.open);
        assert!(!judge_with(&t, &settings(), 34 * HOUR).window.open);
    }

    fn disagreeing(since: i64) -> Disagreement {
        Disagreement {
            section: "X86 ARCHITECTURE".to_string(),
            approvers: vec!["yara-gh".to_string()],
            objectors: vec!["xavier-gh".to_string()],
            since,
        }
    }

    fn ruling(login: &str, accept: bool, reason: &str, at: i64) -> Ruling {
        Ruling {
            login: login.to_string(),
            accept,
            reason: reason.to_string(),
            at,
        }
    }

    #[test]
    fn a_disagreement_is_referred_in_time_and_settled_by_committers_or_their_vote() {
        let committers = vec!["cora-gh".to_string(), "quinn-gh".to_string()];
        let after = 48 * HOUR;
        let accepted = |by: &[&str]| Referee::Accepted {
            by: by.iter().map(|l| l.to_string()).collect(),
        };
        type Case = (&'static str, Vec<Ruling>, Option<(bool, i64)>, i64, Referee);
        let cases: Vec<Case> = vec![
            ("within the time", vec![], None, 10 * HOUR, Referee::Waiting),
            ("at the time", vec![], None, 58 * HOUR, Referee::Referred),
            (
                "one committer accepts",
                vec![ruling("cora-gh", true, "", 60 * HOUR)],
                None,
                61 * HOUR,
                accepted(&["cora-gh"]),
            ),
            (
                "one committer rejects, with reasons",
                vec![ruling("quinn-gh", false, "breaks PV guests", 60 * HOUR)],
                None,
                61 * HOUR,
                Referee::Rejected {
                    by: vec!["quinn-gh".to_string()],
                    reason: "breaks PV guests".to_string(),
                },
            ),
            (
                "a non-committer's ruling does not count",
                vec![ruling("sha-gh", true, "", 60 * HOUR)],
                None,
                61 * HOUR,
                Referee::Referred,
            ),
            (
                "a ruling from before the disagreement does not count",
                vec![ruling("cora-gh", true, "", 5 * HOUR)],
                None,
                61 * HOUR,
                Referee::Referred,
            ),
            (
                "a committer's latest ruling counts",
                vec![
                    ruling("cora-gh", false, "no", 60 * HOUR),
                    ruling("cora-gh", true, "", 62 * HOUR),
                ],
                None,
                63 * HOUR,
                accepted(&["cora-gh"]),
            ),
            (
                "committers disagree",
                vec![
                    ruling("cora-gh", true, "", 60 * HOUR),
                    ruling("quinn-gh", false, "no", 61 * HOUR),
                ],
                None,
                62 * HOUR,
                Referee::Deadlock {
                    accept: vec!["cora-gh".to_string()],
                    reject: vec!["quinn-gh".to_string()],
                },
            ),
            (
                "a majority vote breaks the deadlock",
                vec![
                    ruling("cora-gh", true, "", 60 * HOUR),
                    ruling("quinn-gh", false, "no", 61 * HOUR),
                ],
                Some((true, 70 * HOUR)),
                71 * HOUR,
                accepted(&[]),
            ),
            (
                "a vote that rejects",
                vec![
                    ruling("cora-gh", true, "", 60 * HOUR),
                    ruling("quinn-gh", false, "no", 61 * HOUR),
                ],
                Some((false, 70 * HOUR)),
                71 * HOUR,
                Referee::Rejected {
                    by: Vec::new(),
                    reason: "a majority vote of the committers".to_string(),
                },
            ),
            (
                "a vote closed before the disagreement does not count",
                vec![
                    ruling("cora-gh", true, "", 60 * HOUR),
                    ruling("quinn-gh", false, "no", 61 * HOUR),
                ],
                Some((true, 5 * HOUR)),
                71 * HOUR,
                Referee::Deadlock {
                    accept: vec!["cora-gh".to_string()],
                    reject: vec!["quinn-gh".to_string()],
                },
            ),
        ];
        for (what, rulings, vote, now, want) in cases {
            let referral = settle(
                disagreeing(10 * HOUR),
                &rulings,
                &committers,
                vote,
                after,
                now,
            );
            assert_eq!(referral.state, want, "{what}");
            assert_eq!(referral.referred_at, 58 * HOUR, "{what}");
        }
    }

    #[test]
    fn maintainers_of_one_section_who_disagree_are_referred_and_a_committer_settles_it() {
        let mut settings = settings();
        settings.referee_after = Some(24 * HOUR);
        settings.committers = vec!["cora-gh".to_string(), "quinn-gh".to_string()];
        let mut t = timeline("newcomer", &[SHADOW]);
        t.reviews
            .push(review("sha-gh", ReviewState::Approved, "", HOUR));
        t.comments.push(comment("yara-gh", "/ack", HOUR));
        t.comments.push(comment(
            "xavier-gh",
            "Nacked-by: Xavier Ex <xavier@x86.example>\nThis breaks the PV path.",
            2 * HOUR,
        ));
        // Within the day the objection simply blocks.
        let v = judge_with(&t, &settings, 20 * HOUR);
        let referral = v.referral.clone().expect("a disagreement");
        assert_eq!(referral.state, Referee::Waiting);
        assert_eq!(referral.disagreement.section, "X86 ARCHITECTURE");
        assert_eq!(referral.disagreement.approvers, ["yara-gh"]);
        assert_eq!(referral.disagreement.objectors, ["xavier-gh"]);
        assert_eq!(referral.referred_at, 26 * HOUR);
        assert!(!v.satisfied);
        // Then it is referred, naming the committers.
        let v = judge_with(&t, &settings, 30 * HOUR);
        assert!(!v.satisfied);
        let line = v
            .missing
            .iter()
            .find(|m| m.starts_with("referred to the committers (@cora-gh, @quinn-gh)"))
            .unwrap_or_else(|| panic!("{:?}", v.missing));
        assert!(
            line.contains("maintainers of X86 ARCHITECTURE disagree"),
            "{line}"
        );
        // A committer accepts: the objection is overridden and the change passes.
        t.comments
            .push(comment("quinn-gh", "/pushgate referee accept", 31 * HOUR));
        let v = judge_with(&t, &settings, 32 * HOUR);
        assert!(v.satisfied, "{:?}", v.missing);
        assert_eq!(
            v.overrides,
            [("quinn-gh".to_string(), "xavier-gh".to_string())]
        );
        // A withdrawal before then ends the disagreement: nothing to refer.
        let mut withdrawn = timeline("newcomer", &[SHADOW]);
        withdrawn.reviews = t.reviews.clone();
        withdrawn.comments = t.comments[..2].to_vec();
        withdrawn
            .comments
            .push(comment("xavier-gh", "/ack", 3 * HOUR));
        assert_eq!(judge_with(&withdrawn, &settings, 30 * HOUR).referral, None);
        // An objection without an explanation is no disagreement to refer.
        let mut bare = timeline("newcomer", &[SHADOW]);
        bare.comments.push(comment("yara-gh", "/ack", HOUR));
        bare.comments.push(comment(
            "xavier-gh",
            "Nacked-by: Xavier Ex <xavier@x86.example>",
            2 * HOUR,
        ));
        assert_eq!(judge_with(&bare, &settings, 30 * HOUR).referral, None);
        // Off without `referee_after`.
        assert_eq!(
            judge_with(&t, &super::tests::settings(), 30 * HOUR).referral,
            None
        );
    }

    #[test]
    fn referee_commands_are_read_on_their_own_line() {
        let cases: &[(&str, Vec<Said>)] = &[
            (
                "/pushgate referee accept",
                vec![Said::Referee {
                    accept: true,
                    reason: String::new(),
                }],
            ),
            (
                "ok\n/pushgate referee reject it breaks ABI",
                vec![Said::Referee {
                    accept: false,
                    reason: "it breaks ABI".to_string(),
                }],
            ),
            ("/pushgate referee rejected", vec![]),
            ("/pushgate referee", vec![]),
        ];
        for (body, want) in cases {
            assert_eq!(&read_comment(body), want, "{body}");
        }
    }

    #[test]
    fn the_freeze_runs_from_its_start_or_the_last_posting_date_to_the_release_date() {
        let dated = Settings {
            freeze_start: Some(100),
            last_posting_date: Some(50),
            release_date: Some(200),
            ..settings()
        };
        // (opened at, now, needed)
        let cases = [
            (10, 40, None),
            (10, 60, None),
            (60, 60, Some(Frozen::PostedLate(50))),
            (60, 49, None),
            (10, 100, Some(Frozen::Freeze(100))),
            (60, 150, Some(Frozen::Freeze(100))),
            (10, 199, Some(Frozen::Freeze(100))),
            (10, 200, None),
            (60, 300, None),
        ];
        for (opened, now, want) in cases {
            assert_eq!(
                freeze(&dated, opened, now),
                want,
                "opened {opened}, now {now}"
            );
        }
        assert_eq!(freeze(&settings(), 0, 1_000), None);
        // Through `evaluate`: after the release date no release ack is needed.
        let mut t = timeline("newcomer", &[SHADOW]);
        t.reviews
            .push(review("sha-gh", ReviewState::Approved, "", HOUR));
        t.opened_at = 20 * HOUR;
        let frozen = Settings {
            last_posting_date: Some(10 * HOUR),
            release_date: Some(60 * HOUR),
            release_managers: vec!["yara-gh".to_string()],
            ..settings()
        };
        let v = judge_with(&t, &frozen, 48 * HOUR);
        assert!(!v.satisfied);
        assert!(
            v.missing
                .iter()
                .any(|m| m.starts_with("posted after the last posting date")),
            "{:?}",
            v.missing
        );
        assert!(judge_with(&t, &frozen, 60 * HOUR).satisfied);
    }

    #[test]
    fn every_author_and_co_author_of_the_commits_is_an_author() {
        let commit =
            |message: &str, author: Option<&str>, login: Option<&str>, merge: bool| PrCommit {
                sha: "c0ffee".to_string(),
                message: message.to_string(),
                author: author.and_then(Person::parse),
                login: login.map(str::to_string),
                merge,
            };
        let person_of = |login: &str| Person {
            name: format!("@{login}"),
            email: String::new(),
        };
        // (commits, the authors found)
        let cases: Vec<(Vec<PrCommit>, Vec<&str>)> = vec![
            (vec![], vec![]),
            (
                vec![commit(
                    "fix",
                    Some("Nora <nora@new.example>"),
                    Some("nora-gh"),
                    false,
                )],
                vec!["@nora-gh", "Nora <nora@new.example>"],
            ),
            (
                vec![commit(
                    "fix\n\nCo-authored-by: Xavier Ex <xavier@x86.example>\n\
                     co-developed-by: Yara <yara@x86.example>\nAcked-by: Sha <sha@x>\n",
                    None,
                    None,
                    false,
                )],
                vec!["Xavier Ex <xavier@x86.example>", "Yara <yara@x86.example>"],
            ),
            // "Update branch" merges are authored by whoever pressed the button.
            (
                vec![commit(
                    "Merge branch 'staging'",
                    Some("Xavier <x@x>"),
                    Some("xavier-gh"),
                    true,
                )],
                vec![],
            ),
        ];
        for (commits, want) in cases {
            let want: Vec<Person> = want
                .iter()
                .map(|p| match p.strip_prefix('@') {
                    Some(login) => person_of(login),
                    None => Person::parse(p).unwrap(),
                })
                .collect();
            assert_eq!(commit_authors(&commits, &person_of), want, "{commits:?}");
        }

        // End to end in the core: a co-author's ack is no independent ack.
        let mut t = timeline("newcomer", &[SHADOW]);
        t.comments.push(comment(
            "sha-gh",
            "Acked-by: Sha Dow <sha@shadow.example>",
            0,
        ));
        assert!(judge(&t).satisfied, "{:?}", judge(&t).missing);
        t.commits.push(commit(
            "fix\n\nCo-authored-by: Sha Dow <sha@shadow.example>\n",
            None,
            None,
            false,
        ));
        let v = judge(&t);
        assert!(!v.satisfied);
        assert!(v.verdict.other_than_author.is_empty());
    }

    #[test]
    fn committed_history_honours_the_freeze_with_a_release_managers_trailer() {
        let dates = ReleaseDates {
            freeze_start: Some(100),
            last_posting_date: Some(50),
            release_date: Some(200),
        };
        let manager = Person {
            name: String::new(),
            email: "rm@release.example".into(),
        };
        let release_ack = |email: &str| {
            Approval::new(
                ApprovalKind::ReleaseAck,
                Person {
                    name: "Someone".into(),
                    email: email.into(),
                },
            )
        };
        let ack = Approval::new(ApprovalKind::Ack, manager.clone());
        let frozen_line = Some("freeze: a Release-Acked-by from a release manager".to_string());
        let late_line = Some(release_ack_missing(Frozen::PostedLate(50)));
        // (trailers, authored, committed, missing)
        let cases: Vec<(Vec<Approval>, i64, i64, Option<String>)> = vec![
            // Before the last posting date and the freeze: nothing asked.
            (vec![], 10, 40, None),
            // Authored before the last posting date, committed before the freeze: fine.
            (vec![], 10, 60, None),
            // Authored from the last posting date on: a release ack is needed before the freeze.
            (vec![], 55, 60, late_line.clone()),
            // In the freeze: needed, whenever authored.
            (vec![], 10, 150, frozen_line.clone()),
            // A manager's Release-Acked-by settles it (e-mail compared without case).
            (vec![release_ack("RM@release.example")], 10, 150, None),
            (vec![release_ack("rm@release.example")], 55, 60, None),
            // Someone else's release ack, or the manager's plain ack, does not.
            (
                vec![release_ack("dev@x.example")],
                10,
                150,
                frozen_line.clone(),
            ),
            (vec![ack], 10, 150, frozen_line),
            // From the release date on, the freeze is over.
            (vec![], 55, 200, None),
        ];
        let identities = Identities::default();
        for (approvals, authored, committed, want) in cases {
            assert_eq!(
                committed_in_freeze(
                    &dates,
                    std::slice::from_ref(&manager),
                    &identities,
                    &approvals,
                    authored,
                    committed
                ),
                want,
                "{approvals:?} authored {authored} committed {committed}"
            );
        }
        // No managers known: nobody can give it.
        assert_eq!(
            committed_in_freeze(
                &dates,
                &[],
                &identities,
                &[release_ack("rm@release.example")],
                10,
                150
            ),
            Some("freeze: a Release-Acked-by from a release manager".to_string())
        );
        // No dates: no freeze.
        assert_eq!(
            committed_in_freeze(&ReleaseDates::default(), &[], &identities, &[], 10, 150),
            None
        );
    }
}
