//! The Xen check-in policy (SPEC §2) as one pure function: a change, MAINTAINERS and options in,
//! a [`Verdict`] out — one row per requirement, the "someone other than the author" rule,
//! objections, and the smallest set of maintainers to ask.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::core::maintainers::{Maintainers, Section, SectionMatch};
use crate::core::people::{Identities, IdentityKey, Person};

/// What a person said about a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApprovalKind {
    /// `Acked-by`, `/ack`, or (GitHub) an APPROVED review by a maintainer.
    Ack,
    /// `Reviewed-by`.
    Review,
    /// `Release-Acked-by` from the release manager (SPEC §2 rule 5).
    ReleaseAck,
    /// `Nacked-by`, a request-changes review, or a `-2` vote.
    Objection,
}

/// One ack, review or objection, from a known person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Approval {
    pub kind: ApprovalKind,
    pub person: Person,
    /// The area an ack is narrowed to (`# x86`, `[arm]`); None covers the whole change.
    pub scope: Option<String>,
    /// For an objection: the reason given, if any.
    pub explanation: Option<String>,
    /// For an objection: the maintainer who overrode it.
    pub overridden_by: Option<Person>,
}

impl Approval {
    pub fn new(kind: ApprovalKind, person: Person) -> Approval {
        Approval {
            kind,
            person,
            scope: None,
            explanation: None,
            overridden_by: None,
        }
    }

    pub fn scoped(mut self, scope: Option<String>) -> Approval {
        self.scope = scope;
        self
    }
}

/// What is being judged: a PR, or one commit of committed history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub files: Vec<String>,
    pub author: Person,
    /// Further people who signed the change off (co-authors). Their sign-off, like the
    /// author's, meets the approval requirement for files they maintain; and a review by one
    /// of several co-authors approves the others' work (rule 2, "two people collaborate").
    pub co_authors: Vec<Person>,
    /// Further people the change's commits name as authors (GitHub mode: each commit's author
    /// and its `Co-authored-by:` / `Co-developed-by:` trailers). They count as authors for
    /// rule 2 only: an ack or review of theirs is never "someone other than the author", and
    /// they are never asked. Nothing else follows from the names, since the PR's author wrote
    /// them: naming people can only make the rule stricter, never meet a requirement.
    pub claimed_authors: Vec<Person>,
    pub approvals: Vec<Approval>,
    /// Support status changes that need a section's ack of their own
    /// (`support.status_change_needs`), whichever files the change touches.
    pub status_changes: Vec<StatusChange>,
}

/// A change of features' support status that needs the maintainers of one section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    /// The support file the status changes in (an ack scoped to it counts).
    pub file: String,
    /// The features whose status changes, as the check names them.
    pub features: String,
    /// The section whose maintainers must ack it (an index into `Maintainers::sections`).
    pub section: usize,
}

/// Whose Reviewed-by counts for rule 2 (`acks.reviewer_stature`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stature {
    /// Anyone other than the author (`"anyone"`, and offline mode: the committer who applied
    /// the review already judged the reviewer).
    Anyone,
    /// People listed in MAINTAINERS (M: or R:) and [`Options::also_listed`] (collaborators
    /// with write access).
    Listed,
}

/// The knobs of the policy (SPEC §2, `[acks]` in the config).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// `acks.general_stand_in`: may a more general maintainer's ack stand in?
    pub general_stand_in: bool,
    pub reviewer_stature: Stature,
    /// People whose review counts under [`Stature::Listed`] as if MAINTAINERS listed them.
    pub also_listed: Vec<Person>,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            general_stand_in: true,
            reviewer_stature: Stature::Listed,
            also_listed: Vec::new(),
        }
    }
}

/// How one requirement stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum Status {
    /// A maintainer of the most specific level acked.
    AckedBy { person: Person },
    /// The author (or a co-author) is one of the required maintainers.
    AuthoredByMaintainer { person: Person },
    /// A more general maintainer's ack stood in; `authored` when that maintainer is the
    /// author (or a co-author), whose sign-off then stands in as their ack would.
    StoodInBy {
        person: Person,
        section: String,
        authored: bool,
    },
    /// Nobody who may ack has acked yet.
    Missing,
    /// No section with an M: covers these files, so nobody can ack them.
    NoMaintainer,
}

impl Status {
    pub fn is_met(&self) -> bool {
        matches!(
            self,
            Status::AckedBy { .. } | Status::AuthoredByMaintainer { .. } | Status::StoodInBy { .. }
        )
    }
}

/// One row of the verdict: files that need the same maintainers' approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Requirement {
    /// Names of the most specific sections with maintainers (tied sections pool).
    pub sections: Vec<String>,
    pub files: Vec<String>,
    /// Who may give the ack (the most specific maintainers).
    pub approvers: Vec<Person>,
    /// More general maintainers who may stand in (empty when stand-ins are off).
    pub stand_ins: Vec<Person>,
    pub status: Status,
    /// Set on the row of a [`StatusChange`]: the features whose support status changes.
    pub status_change: Option<String>,
}

/// An objection that stands or was overridden.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Objection {
    pub person: Person,
    pub explanation: Option<String>,
    pub overridden_by: Option<Person>,
}

impl Objection {
    pub fn is_open(&self) -> bool {
        self.overridden_by.is_none()
    }
}

/// The judgement of a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verdict {
    pub satisfied: bool,
    pub requirements: Vec<Requirement>,
    /// Rule 2: who, other than the author, acked or reviewed (empty: not met).
    pub other_than_author: Vec<Person>,
    pub objections: Vec<Objection>,
    /// The smallest set of people whose acks would meet every missing requirement (and rule 2).
    pub ask: Vec<Person>,
    /// What is missing, one sentence each, for people and for `--json`.
    pub missing: Vec<String>,
}

/// Judges `change` against `maintainers`. `matches` gives, for each file of the change in
/// order, the sections covering it (from [`Maintainers::sections_for`] or a `Matcher`).
pub fn evaluate(
    change: &Change,
    maintainers: &Maintainers,
    matches: &[Vec<SectionMatch>],
    identities: &Identities,
    options: &Options,
) -> Verdict {
    let author = identities.key(&change.author);
    let claimed: Vec<IdentityKey> = change
        .claimed_authors
        .iter()
        .map(|p| identities.key(p))
        .collect();
    let signers: Vec<(IdentityKey, &Person)> = std::iter::once(&change.author)
        .chain(change.co_authors.iter())
        .map(|p| (identities.key(p), p))
        .collect();
    let approvals: Vec<(IdentityKey, &Approval)> = change
        .approvals
        .iter()
        .map(|a| (identities.key(&a.person), a))
        .collect();

    let mut requirements = group_requirements(change, maintainers, matches, options);
    requirements.extend(
        change
            .status_changes
            .iter()
            .filter(|c| c.section < maintainers.sections.len())
            .map(|c| {
                let section = &maintainers.sections[c.section];
                let requirement = Requirement {
                    sections: vec![section.name.clone()],
                    files: vec![c.file.clone()],
                    approvers: section.maintainers.clone(),
                    stand_ins: Vec::new(),
                    status: Status::Missing,
                    status_change: Some(c.features.clone()),
                };
                (requirement, vec![vec![c.section]])
            }),
    );
    for (requirement, levels) in &mut requirements {
        requirement.status = judge(
            requirement,
            &change.files,
            levels,
            maintainers,
            &signers,
            &approvals,
            identities,
        );
    }

    let other_than_author = other_than_author(
        &signers,
        &claimed,
        &approvals,
        maintainers,
        &requirements,
        identities,
        options,
    );
    let objections: Vec<Objection> = change
        .approvals
        .iter()
        .filter(|a| a.kind == ApprovalKind::Objection)
        .map(|a| Objection {
            person: a.person.clone(),
            explanation: a.explanation.clone().filter(|e| !e.trim().is_empty()),
            overridden_by: a.overridden_by.clone(),
        })
        .collect();

    let requirements: Vec<Requirement> = requirements.into_iter().map(|(r, _)| r).collect();
    let mut authors = claimed;
    authors.push(author);
    let ask = suggest(
        &requirements,
        &authors,
        other_than_author.is_empty(),
        identities,
    );
    let missing = describe_missing(&requirements, other_than_author.is_empty(), &objections);
    Verdict {
        satisfied: missing.is_empty(),
        requirements,
        other_than_author,
        objections,
        ask,
        missing,
    }
}

/// The nesting levels behind one requirement: sections per level, most specific first.
type Levels = Vec<Vec<usize>>;

fn group_requirements(
    change: &Change,
    maintainers: &Maintainers,
    matches: &[Vec<SectionMatch>],
    options: &Options,
) -> Vec<(Requirement, Levels)> {
    let mut groups: BTreeMap<Levels, Vec<String>> = BTreeMap::new();
    let mut order: Vec<Levels> = Vec::new();
    for (file, file_matches) in change.files.iter().zip(matches) {
        let levels: Levels = maintainers
            .approvers(file_matches)
            .levels
            .into_iter()
            .map(|level| level.sections)
            .collect();
        let files = groups.entry(levels.clone()).or_default();
        if files.is_empty() {
            order.push(levels);
        }
        files.push(file.clone());
    }
    order
        .into_iter()
        .map(|levels| {
            let files = groups.remove(&levels).unwrap_or_default();
            let people = |sections: &[usize]| {
                let mut out: Vec<Person> = Vec::new();
                for &s in sections {
                    for p in &maintainers.sections[s].maintainers {
                        if !out.iter().any(|o| o.email_key() == p.email_key()) {
                            out.push(p.clone());
                        }
                    }
                }
                out
            };
            let approvers = levels.first().map(|l| people(l)).unwrap_or_default();
            let mut stand_ins = Vec::new();
            if options.general_stand_in {
                for level in levels.iter().skip(1) {
                    for p in people(level) {
                        let known = approvers.iter().chain(&stand_ins);
                        if !known
                            .into_iter()
                            .any(|o: &Person| o.email_key() == p.email_key())
                        {
                            stand_ins.push(p);
                        }
                    }
                }
            }
            let levels = if options.general_stand_in {
                levels
            } else {
                levels.into_iter().take(1).collect()
            };
            let requirement = Requirement {
                sections: levels
                    .first()
                    .map(|l| {
                        l.iter()
                            .map(|&s| maintainers.sections[s].name.clone())
                            .collect()
                    })
                    .unwrap_or_default(),
                files,
                approvers,
                stand_ins,
                status: Status::Missing,
                status_change: None,
            };
            (requirement, levels)
        })
        .collect()
}

fn judge(
    requirement: &Requirement,
    change_files: &[String],
    levels: &Levels,
    maintainers: &Maintainers,
    signers: &[(IdentityKey, &Person)],
    approvals: &[(IdentityKey, &Approval)],
    identities: &Identities,
) -> Status {
    let Some(required) = levels.first() else {
        return Status::NoMaintainer;
    };
    let is_in = |key: &IdentityKey, sections: &[usize]| {
        sections.iter().any(|&s| {
            maintainers.sections[s]
                .maintainers
                .iter()
                .any(|m| key.matches(&identities.key(m)))
        })
    };
    let sections_of = |level: &[usize]| -> Vec<&Section> {
        level.iter().map(|&s| &maintainers.sections[s]).collect()
    };
    let acks = || {
        approvals
            .iter()
            .filter(|(_, a)| a.kind == ApprovalKind::Ack || a.kind == ApprovalKind::Review)
    };
    // An ack or a review from a required maintainer is that maintainer's approval.
    let required_sections = sections_of(required);
    for (key, approval) in acks() {
        if is_in(key, required)
            && scope_covers(
                approval.scope.as_deref(),
                &required_sections,
                &requirement.files,
                change_files,
            )
        {
            return Status::AckedBy {
                person: approval.person.clone(),
            };
        }
    }
    for (key, person) in signers {
        if is_in(key, required) {
            return Status::AuthoredByMaintainer {
                person: (*person).clone(),
            };
        }
    }
    for level in levels.iter().skip(1) {
        let sections = sections_of(level);
        let section_of = |key: &IdentityKey| {
            level
                .iter()
                .find(|&&s| {
                    maintainers.sections[s]
                        .maintainers
                        .iter()
                        .any(|m| key.matches(&identities.key(m)))
                })
                .map(|&s| maintainers.sections[s].name.clone())
                .unwrap_or_default()
        };
        for (key, approval) in acks() {
            if is_in(key, level)
                && scope_covers(
                    approval.scope.as_deref(),
                    &sections,
                    &requirement.files,
                    change_files,
                )
            {
                return Status::StoodInBy {
                    person: approval.person.clone(),
                    section: section_of(key),
                    authored: false,
                };
            }
        }
        for (key, person) in signers {
            if is_in(key, level) {
                return Status::StoodInBy {
                    person: (*person).clone(),
                    section: section_of(key),
                    authored: true,
                };
            }
        }
    }
    Status::Missing
}

/// Rule 2: an ack or review by someone other than the author, of suitable stature. When
/// several people wrote the change, a review by one of them approves the others' parts (Xen's
/// collaboration clause), so only a reviewer who is the sole writer is turned away.
fn other_than_author(
    signers: &[(IdentityKey, &Person)],
    claimed: &[IdentityKey],
    approvals: &[(IdentityKey, &Approval)],
    maintainers: &Maintainers,
    requirements: &[(Requirement, Levels)],
    identities: &Identities,
    options: &Options,
) -> Vec<Person> {
    let maintains_touched = |key: &IdentityKey| {
        requirements.iter().any(|(_, levels)| {
            levels.iter().flatten().any(|&s| {
                maintainers.sections[s]
                    .maintainers
                    .iter()
                    .any(|m| key.matches(&identities.key(m)))
            })
        })
    };
    let of_stature = |key: &IdentityKey| match options.reviewer_stature {
        Stature::Anyone => true,
        Stature::Listed => {
            options
                .also_listed
                .iter()
                .any(|p| key.matches(&identities.key(p)))
                || maintainers.sections.iter().any(|s| {
                    s.maintainers
                        .iter()
                        .chain(&s.reviewers)
                        .any(|p| key.matches(&identities.key(p)))
                })
        }
    };
    let mut people: Vec<Person> = Vec::new();
    for (key, approval) in approvals {
        if signers.iter().all(|(signer, _)| signer.matches(key))
            || claimed.iter().any(|c| c.matches(key))
        {
            continue;
        }
        let counts = match approval.kind {
            // A maintainer's ack meets rules 1 and 2 together.
            ApprovalKind::Ack => maintains_touched(key) || of_stature(key),
            ApprovalKind::Review => of_stature(key),
            ApprovalKind::ReleaseAck | ApprovalKind::Objection => false,
        };
        if counts && !people.iter().any(|p| identities.same(p, &approval.person)) {
            people.push(approval.person.clone());
        }
    }
    people
}

/// Does an ack narrowed to `scope` cover a requirement on `files` governed by `sections`?
///
/// Real scopes name a section (`# x86`, `[RISC-V]`), a directory or file (`# tools/golang`,
/// `# CHANGELOG.md`), several areas (`# mem_access/mem_sharing`), or everything but one
/// (`# non-Arm`). A term matches a section name word for word (punctuation ignored), or a
/// run of path components of a file or of the section's patterns. A term with `/` is a path
/// when it names part of some file of the change (`change_files`), else a list of areas.
pub fn scope_covers(
    scope: Option<&str>,
    sections: &[&Section],
    files: &[String],
    change_files: &[String],
) -> bool {
    let Some(scope) = scope.map(str::trim).filter(|s| !s.is_empty()) else {
        return true;
    };
    let scope = scope.trim_start_matches('#').trim();
    let scope = scope
        .strip_prefix('[')
        .and_then(|s| s.strip_suffix(']'))
        .unwrap_or(scope)
        .trim();
    let lowered = scope.to_lowercase();
    for prefix in ["non-", "non ", "not ", "!"] {
        if let Some(rest) = lowered.strip_prefix(prefix) {
            return !scope_covers(Some(rest), sections, files, change_files);
        }
    }
    let terms: Vec<&str> = lowered
        .split([',', ' ', ';'])
        .filter(|t| !t.is_empty() && *t != "and" && *t != "&")
        .collect();
    terms.iter().any(|term| {
        let is_path = term.contains('/') && change_files.iter().any(|f| path_covers(f, term));
        term_covers(term, sections, files)
            || (term.contains('/')
                && !is_path
                && term
                    .split('/')
                    .any(|part| term_covers(part, sections, files)))
    })
}

fn term_covers(term: &str, sections: &[&Section], files: &[String]) -> bool {
    let compact: String = term.chars().filter(|c| c.is_alphanumeric()).collect();
    if compact.is_empty() {
        return false;
    }
    let name_covers = |name: &str| {
        let words: Vec<String> = name
            .to_lowercase()
            .split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        (0..words.len()).any(|start| {
            let mut joined = String::new();
            words[start..].iter().any(|w| {
                joined.push_str(w);
                joined == compact
            })
        })
    };
    sections
        .iter()
        .any(|s| name_covers(&s.name) || s.file_patterns().any(|p| path_covers(p, term)))
        || files.iter().any(|f| path_covers(f, term))
}

/// Is `term` (lower-case) a run of whole components of `path`?
fn path_covers(path: &str, term: &str) -> bool {
    let path = path.to_lowercase();
    let components: Vec<&str> = path.split('/').filter(|c| !c.is_empty()).collect();
    let wanted: Vec<&str> = term.split('/').filter(|c| !c.is_empty()).collect();
    !wanted.is_empty()
        && components
            .windows(wanted.len())
            .any(|w| w == wanted.as_slice())
}

/// Greedy-or-exact set cover: the fewest people whose acks meet every missing requirement.
fn suggest(
    requirements: &[Requirement],
    authors: &[IdentityKey],
    needs_other: bool,
    identities: &Identities,
) -> Vec<Person> {
    let missing: Vec<&Requirement> = requirements
        .iter()
        .filter(|r| r.status == Status::Missing)
        .collect();
    let mut candidates: Vec<(&Person, Vec<usize>)> = Vec::new();
    for (index, requirement) in missing.iter().enumerate() {
        for person in &requirement.approvers {
            let key = identities.key(person);
            if authors.iter().any(|a| key.matches(a)) {
                continue;
            }
            match candidates
                .iter_mut()
                .find(|(p, _)| p.email_key() == person.email_key())
            {
                Some((_, covers)) => covers.push(index),
                None => candidates.push((person, vec![index])),
            }
        }
    }
    let mut chosen: Vec<Person> = if missing.is_empty() {
        Vec::new()
    } else {
        cover(missing.len(), &candidates)
            .into_iter()
            .map(|i| candidates[i].0.clone())
            .collect()
    };
    if needs_other && chosen.is_empty() {
        // Everything is approved but nobody other than the author has spoken: ask a
        // co-maintainer of the first requirement that has one.
        if let Some(person) = requirements
            .iter()
            .flat_map(|r| r.approvers.iter().chain(&r.stand_ins))
            .find(|p| {
                let key = identities.key(p);
                !authors.iter().any(|a| key.matches(a))
            })
        {
            chosen.push(person.clone());
        }
    }
    chosen
}

/// Indices of `candidates` covering all of `0..universe`: exact for few candidates,
/// greedy otherwise. Requirements nobody can cover are left out.
fn cover(universe: usize, candidates: &[(&Person, Vec<usize>)]) -> Vec<usize> {
    let coverable: Vec<usize> = (0..universe)
        .filter(|i| candidates.iter().any(|(_, c)| c.contains(i)))
        .collect();
    const EXACT_LIMIT: usize = 16;
    if candidates.len() <= EXACT_LIMIT {
        let masks: Vec<u64> = candidates
            .iter()
            .map(|(_, covers)| covers.iter().fold(0u64, |m, &i| m | 1 << (i % 64)))
            .collect();
        let goal = coverable.iter().fold(0u64, |m, &i| m | 1 << (i % 64));
        if universe <= 64 {
            let mut best: Option<u32> = None;
            for subset in 0u32..(1 << candidates.len()) {
                if best.is_some_and(|b| subset.count_ones() >= b.count_ones()) {
                    continue;
                }
                let covered = (0..candidates.len())
                    .filter(|i| subset & (1 << i) != 0)
                    .fold(0u64, |m, i| m | masks[i]);
                if covered & goal == goal {
                    best = Some(subset);
                }
            }
            if let Some(best) = best {
                return (0..candidates.len())
                    .filter(|i| best & (1 << i) != 0)
                    .collect();
            }
        }
    }
    let mut left: Vec<usize> = coverable;
    let mut chosen = Vec::new();
    while !left.is_empty() {
        let Some((index, _)) = candidates
            .iter()
            .enumerate()
            .map(|(i, (_, c))| (i, c.iter().filter(|x| left.contains(x)).count()))
            .filter(|&(_, n)| n > 0)
            .max_by_key(|&(i, n)| (n, std::cmp::Reverse(i)))
        else {
            break;
        };
        chosen.push(index);
        left.retain(|x| !candidates[index].1.contains(x));
    }
    chosen
}

fn describe_missing(
    requirements: &[Requirement],
    needs_other: bool,
    objections: &[Objection],
) -> Vec<String> {
    let mut missing = Vec::new();
    for r in requirements {
        let files = summarise_files(&r.files);
        match r.status {
            Status::Missing => {
                let who: Vec<String> = r.approvers.iter().map(Person::to_string).collect();
                missing.push(format!(
                    "ack from a maintainer of {} for {files}: one of {}",
                    r.sections.join(" / "),
                    who.join(", ")
                ));
            }
            Status::NoMaintainer => missing.push(format!(
                "no MAINTAINERS section with an M: covers {files}; nobody can ack it"
            )),
            _ => {}
        }
    }
    if needs_other {
        missing.push("an ack or review from someone other than the author".to_string());
    }
    for o in objections.iter().filter(|o| o.is_open()) {
        missing.push(match &o.explanation {
            Some(reason) => format!("open objection from {}: {reason}", o.person),
            None => format!(
                "open objection from {} (no explanation given yet)",
                o.person
            ),
        });
    }
    missing
}

fn summarise_files(files: &[String]) -> String {
    match files {
        [] => "no files".to_string(),
        [one] => one.clone(),
        [first, rest @ ..] => format!("{first} and {} more", rest.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::maintainers::Matcher;

    const FIXTURE: &str = include_str!("../../fixtures/MAINTAINERS");

    fn person(text: &str) -> Person {
        Person::parse(text).unwrap()
    }

    fn ack(who: &str) -> Approval {
        Approval::new(ApprovalKind::Ack, person(who))
    }

    fn review(who: &str) -> Approval {
        Approval::new(ApprovalKind::Review, person(who))
    }

    fn change(author: &str, files: &[&str], approvals: Vec<Approval>) -> Change {
        Change {
            files: files.iter().map(|f| f.to_string()).collect(),
            author: person(author),
            co_authors: Vec::new(),
            claimed_authors: Vec::new(),
            approvals,
            status_changes: Vec::new(),
        }
    }

    #[test]
    fn a_status_change_needs_its_sections_ack_in_a_row_of_its_own() {
        let maintainers = Maintainers::parse(FIXTURE);
        let rest = maintainers
            .sections
            .iter()
            .position(|s| s.name == "THE REST")
            .unwrap();
        let cora = "Cora Committer <cora@rest.example>";
        // (approvals, met?)
        let cases = [
            (vec![], false),
            (vec![ack(cora)], true),
            (vec![ack("Sha Dow <sha@shadow.example>")], false),
            (vec![ack(cora).scoped(Some("docs/SUPPORT.md".into()))], true),
            (vec![ack(cora).scoped(Some("x86".into()))], false),
        ];
        for (approvals, met) in cases {
            let mut change = change(NOBODY, &[], approvals.clone());
            change.status_changes.push(StatusChange {
                file: "docs/SUPPORT.md".to_string(),
                features: "`x86/PV`".to_string(),
                section: rest,
            });
            let verdict = judge(&change);
            let row = verdict
                .requirements
                .iter()
                .find(|r| r.status_change.is_some())
                .expect("a row for the status change");
            assert_eq!(row.files, ["docs/SUPPORT.md"], "{approvals:?}");
            assert_eq!(row.sections, ["THE REST"]);
            assert_eq!(row.status.is_met(), met, "{approvals:?}: {row:?}");
        }
    }

    fn judge_with(change: &Change, options: &Options) -> Verdict {
        let matcher = Matcher::new(Maintainers::parse(FIXTURE));
        let matches: Vec<_> = change
            .files
            .iter()
            .map(|f| matcher.sections_for(f))
            .collect();
        evaluate(
            change,
            matcher.maintainers(),
            &matches,
            &Identities::default(),
            options,
        )
    }

    fn judge(change: &Change) -> Verdict {
        judge_with(change, &Options::default())
    }

    const NOBODY: &str = "Nora Newcomer <nora@new.example>";
    const SHA: &str = "Sha Dow <sha@shadow.example>";
    const XAVIER: &str = "Xavier Ex <xavier@x86.example>";
    const YARA: &str = "Yara Why <yara@x86.example>";
    const RHEA: &str = "Rhea Reviewer <rhea@review.example>";
    const CORA: &str = "Cora Committer <cora@rest.example>";
    const SHADOW_FILE: &str = "xen/arch/x86/mm/shadow/multi.c";

    #[test]
    fn approval_needs_most_specific_maintainer() {
        let verdict = judge(&change(NOBODY, &[SHADOW_FILE], vec![ack(SHA)]));
        assert!(verdict.satisfied, "{:?}", verdict.missing);
        assert_eq!(verdict.requirements.len(), 1);
        let row = &verdict.requirements[0];
        assert_eq!(row.sections, ["X86 SHADOW PAGETABLES", "X86 SHADOW TWIN"]);
        assert_eq!(
            row.status,
            Status::AckedBy {
                person: person(SHA)
            }
        );
    }

    #[test]
    fn general_maintainer_stands_in_and_says_so() {
        let verdict = judge(&change(NOBODY, &[SHADOW_FILE], vec![ack(XAVIER)]));
        assert!(verdict.satisfied, "{:?}", verdict.missing);
        assert_eq!(
            verdict.requirements[0].status,
            Status::StoodInBy {
                person: person(XAVIER),
                section: "X86 ARCHITECTURE".to_string(),
                authored: false
            }
        );
        let strict = Options {
            general_stand_in: false,
            ..Options::default()
        };
        let verdict = judge_with(&change(NOBODY, &[SHADOW_FILE], vec![ack(XAVIER)]), &strict);
        assert!(!verdict.satisfied);
        assert_eq!(verdict.requirements[0].status, Status::Missing);
        assert!(verdict.requirements[0].stand_ins.is_empty());
    }

    #[test]
    fn maintainer_authoring_their_own_change_needs_only_a_review() {
        let alone = judge(&change(XAVIER, &["xen/arch/x86/traps.c"], vec![]));
        assert_eq!(
            alone.requirements[0].status,
            Status::AuthoredByMaintainer {
                person: person(XAVIER)
            }
        );
        assert!(!alone.satisfied);
        assert_eq!(
            alone.missing,
            ["an ack or review from someone other than the author"]
        );
        // The co-maintainer is the one to ask.
        assert_eq!(alone.ask, [person(YARA)]);

        let reviewed = judge(&change(
            XAVIER,
            &["xen/arch/x86/traps.c"],
            vec![review(RHEA)],
        ));
        assert!(reviewed.satisfied, "{:?}", reviewed.missing);
        assert_eq!(reviewed.other_than_author, [person(RHEA)]);
    }

    #[test]
    fn self_ack_does_not_count_as_someone_else() {
        let verdict = judge(&change(
            XAVIER,
            &["xen/arch/x86/traps.c"],
            vec![ack(XAVIER)],
        ));
        assert!(!verdict.satisfied);
        assert!(verdict.other_than_author.is_empty());
    }

    #[test]
    fn review_from_reviewer_only_is_never_an_ack() {
        let verdict = judge(&change(
            NOBODY,
            &["xen/arch/x86/traps.c"],
            vec![review(RHEA)],
        ));
        assert!(!verdict.satisfied);
        assert_eq!(verdict.requirements[0].status, Status::Missing);
        // It still counts as "someone other than the author" (rule 2).
        assert_eq!(verdict.other_than_author, [person(RHEA)]);
        assert_eq!(verdict.missing.len(), 1);
        assert!(
            verdict.missing[0].contains("X86 ARCHITECTURE"),
            "{}",
            verdict.missing[0]
        );
    }

    #[test]
    fn review_from_a_maintainer_is_their_approval() {
        let verdict = judge(&change(
            NOBODY,
            &["xen/arch/x86/traps.c"],
            vec![review(YARA)],
        ));
        assert!(verdict.satisfied, "{:?}", verdict.missing);
    }

    #[test]
    fn section_without_maintainer_falls_to_the_rest() {
        let file = "xen/common/device-tree/fdt.c";
        let missing = judge(&change(NOBODY, &[file], vec![ack(SHA)]));
        assert!(!missing.satisfied);
        assert_eq!(missing.requirements[0].sections, ["THE REST"]);
        let acked = judge(&change(NOBODY, &[file], vec![ack(CORA)]));
        assert!(acked.satisfied, "{:?}", acked.missing);
    }

    #[test]
    fn every_touched_area_needs_its_own_ack() {
        let files = ["xen/arch/x86/traps.c", "xen/arch/arm/setup.c", SHADOW_FILE];
        let verdict = judge(&change(NOBODY, &files, vec![ack(YARA), ack(SHA)]));
        assert!(!verdict.satisfied);
        let states: Vec<bool> = verdict
            .requirements
            .iter()
            .map(|r| r.status.is_met())
            .collect();
        assert_eq!(states, [true, false, true]);
        assert_eq!(verdict.ask, [person("Ada Arm <ada@arm.example>")]);
    }

    #[test]
    fn suggestion_is_the_smallest_covering_set() {
        // Xavier maintains both x86 and THE REST: one person covers both requirements.
        let verdict = judge(&change(
            NOBODY,
            &["xen/arch/x86/traps.c", "Makefile"],
            vec![],
        ));
        assert_eq!(verdict.requirements.len(), 2);
        assert_eq!(verdict.ask, [person(XAVIER)]);
    }

    #[test]
    fn scoped_ack_covers_only_its_area() {
        let files = ["xen/arch/x86/traps.c", "xen/arch/arm/setup.c"];
        let scoped = |scope: &str| ack(CORA).scoped(Some(scope.to_string()));
        let table = [
            ("# x86", [true, false]),
            ("[arm]", [false, true]),
            ("#ARM", [false, true]),
            ("# non-Arm", [true, false]),
            ("# xen/arch/x86", [true, false]),
            ("# x86, arm", [true, true]),
            ("# riscv", [false, false]),
        ];
        for (scope, expected) in table {
            let verdict = judge(&change(NOBODY, &files, vec![scoped(scope)]));
            let met: Vec<bool> = verdict
                .requirements
                .iter()
                .map(|r| r.status.is_met())
                .collect();
            assert_eq!(met, expected, "scope {scope:?}");
        }
    }

    #[test]
    fn open_objection_blocks_until_overridden() {
        let mut nack = Approval::new(ApprovalKind::Objection, person(NOBODY));
        let mut c = change(RHEA, &[SHADOW_FILE], vec![ack(SHA), nack.clone()]);
        let verdict = judge(&c);
        assert!(!verdict.satisfied);
        assert!(
            verdict.missing[0].contains("no explanation given"),
            "{:?}",
            verdict.missing
        );

        nack.explanation = Some("breaks PV guests".to_string());
        nack.overridden_by = Some(person(SHA));
        c.approvals = vec![ack(SHA), nack];
        let verdict = judge(&c);
        assert!(verdict.satisfied, "{:?}", verdict.missing);
        assert_eq!(verdict.objections.len(), 1);
        assert!(!verdict.objections[0].is_open());
    }

    #[test]
    fn reviewer_stature_decides_whose_review_counts() {
        let outsider = "Olly Outsider <olly@else.example>";
        let c = change(XAVIER, &["xen/arch/x86/traps.c"], vec![review(outsider)]);
        assert!(
            !judge(&c).satisfied,
            "an unlisted reviewer must not count by default"
        );
        let anyone = Options {
            reviewer_stature: Stature::Anyone,
            ..Options::default()
        };
        assert!(judge_with(&c, &anyone).satisfied);
        let collaborator = Options {
            also_listed: vec![person(outsider)],
            ..Options::default()
        };
        assert!(judge_with(&c, &collaborator).satisfied);
    }

    #[test]
    fn same_person_by_email_case_or_accent_free_name() {
        let shouting = "SHA DOW <SHA@SHADOW.EXAMPLE>";
        let verdict = judge(&change(NOBODY, &[SHADOW_FILE], vec![ack(shouting)]));
        assert!(verdict.satisfied, "{:?}", verdict.missing);
        // "Roger Pau Monne" at another address is "Roger Pau Monné" of SCHEDULING.
        let roger = "Roger Pau Monne <roger.pau@elsewhere.example>";
        let verdict = judge(&change(
            NOBODY,
            &["xen/common/sched/core.c"],
            vec![ack(roger)],
        ));
        assert!(verdict.satisfied, "{:?}", verdict.missing);
    }

    #[test]
    fn co_author_review_approves_the_other_writer() {
        // Xen's collaboration clause: two signed-off writers, one reviews the other's part.
        let mut c = change(NOBODY, &["xen/arch/x86/traps.c"], vec![review(XAVIER)]);
        c.co_authors = vec![person(NOBODY), person(XAVIER)];
        assert!(judge(&c).satisfied);
        // The sole writer reviewing themself is not enough.
        let alone = change(XAVIER, &["xen/arch/x86/traps.c"], vec![review(XAVIER)]);
        assert!(!judge(&alone).satisfied);
    }

    #[test]
    fn file_nobody_maintains_cannot_be_approved() {
        let m = Maintainers::parse("ONLY X86\nM:\tX <x@x.example>\nF:\tx86/\n");
        let matcher = Matcher::new(m);
        let c = change(NOBODY, &["README"], vec![ack("X <x@x.example>")]);
        let matches = vec![matcher.sections_for("README")];
        let verdict = evaluate(
            &c,
            matcher.maintainers(),
            &matches,
            &Identities::default(),
            &Options::default(),
        );
        assert!(!verdict.satisfied);
        assert_eq!(verdict.requirements[0].status, Status::NoMaintainer);
    }

    #[test]
    fn people_the_commits_name_as_authors_only_make_rule_two_stricter() {
        const TRAPS: &str = "xen/arch/x86/traps.c";
        // (claimed authors, approvals, satisfied, rule 1 met, rule 2 by, asked)
        type Case = (
            &'static [&'static str],
            Vec<Approval>,
            bool,
            bool,
            &'static [&'static str],
            &'static [&'static str],
        );
        let cases: Vec<Case> = vec![
            // No co-author: Xavier's ack meets both rules.
            (&[], vec![ack(XAVIER)], true, true, &[XAVIER], &[]),
            // Xavier co-authored: his ack is a maintainer's (rule 1) but not an independent
            // one (rule 2); Yara, the other maintainer, is asked, never Xavier.
            (&[XAVIER], vec![ack(XAVIER)], false, true, &[], &[YARA]),
            (
                &[XAVIER],
                vec![ack(XAVIER), ack(YARA)],
                true,
                true,
                &[YARA],
                &[],
            ),
            // Named by the same name under another address: the same person, stricter still.
            (
                &["Xavier Ex <xavier@elsewhere.example>"],
                vec![ack(XAVIER)],
                false,
                true,
                &[],
                &[YARA],
            ),
            // Naming a maintainer as co-author never stands for their ack (forgery).
            (&[XAVIER, YARA], vec![], false, false, &[], &[]),
            // A co-author's review is not someone else's either.
            (
                &[RHEA],
                vec![ack(YARA), review(RHEA)],
                true,
                true,
                &[YARA],
                &[],
            ),
            (
                &[RHEA, YARA],
                vec![ack(YARA), review(RHEA)],
                false,
                true,
                &[],
                &[XAVIER],
            ),
        ];
        for (claimed, approvals, satisfied, met, rule_two, asked) in cases {
            let mut c = change(NOBODY, &[TRAPS], approvals.clone());
            c.claimed_authors = claimed.iter().map(|p| person(p)).collect();
            let verdict = judge(&c);
            let what = format!("{claimed:?} {approvals:?}: {verdict:?}");
            assert_eq!(verdict.satisfied, satisfied, "{what}");
            assert_eq!(verdict.requirements[0].status.is_met(), met, "{what}");
            let rule_two: Vec<Person> = rule_two.iter().map(|p| person(p)).collect();
            assert_eq!(verdict.other_than_author, rule_two, "{what}");
            let asked: Vec<Person> = asked.iter().map(|p| person(p)).collect();
            if !asked.is_empty() {
                assert_eq!(verdict.ask, asked, "{what}");
            }
            for name in claimed {
                assert!(!verdict.ask.contains(&person(name)), "{what}");
            }
        }
    }
}
