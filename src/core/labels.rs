//! The labels of the feature lifecycle (SPEC §4) as plain data: which labels a repository
//! should have given its SUPPORT.md, which a pull request should carry given the files it
//! touches, which changes to the repository's labels bring them there, and what counts as a
//! change of support status. The GitHub adapter only carries these lists out.

use std::collections::{BTreeMap, BTreeSet};

use crate::core::glob::{Pattern, PatternError};
use crate::core::support::{Feature, SupportMatrix, SupportStatus};
use crate::core::text::clip;

/// The prefix of feature labels (`feature: x86/PV`).
pub const FEATURE_PREFIX: &str = "feature: ";
/// The label that blocks a release by itself.
pub const RELEASE_BLOCKER: &str = "release-blocker";
/// The prefix of status labels (`support: Supported`).
pub const SUPPORT_PREFIX: &str = "support: ";
/// The label of a pull request that changes a feature's status in SUPPORT.md.
pub const STATUS_CHANGE: &str = "support-status-change";
/// GitHub's limits on a label's name and description, in characters.
pub const NAME_LIMIT: usize = 50;
pub const DESCRIPTION_LIMIT: usize = 100;

/// A label as the repository should have it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelSpec {
    pub name: String,
    /// Six hex digits, lower case, no `#`.
    pub color: String,
    pub description: String,
}

/// What to do to a repository's labels. Labels pushgate does not want are never deleted: a
/// person may have put them on issues.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelChange {
    Create(LabelSpec),
    /// Recolour or re-describe the label currently spelled `current`.
    Update {
        current: String,
        spec: LabelSpec,
    },
}

/// The colour of a status: green for the Supported family, amber to blue on the way there,
/// grey and red on the way out.
pub fn color(status: SupportStatus) -> &'static str {
    match status {
        SupportStatus::Preview => "d4c5f9",
        SupportStatus::Experimental => "fbca04",
        SupportStatus::Complete => "1d76db",
        SupportStatus::Supported => "0e8a16",
        SupportStatus::SupportedLegacyStable => "006b75",
        SupportStatus::Deprecated => "bfbfbf",
        SupportStatus::NotSupported => "b60205",
    }
}

fn meaning(status: SupportStatus) -> &'static str {
    match status {
        SupportStatus::Preview => "Partially implemented; not for production",
        SupportStatus::Experimental => "Functional, but may change or have gaps",
        SupportStatus::Complete => "Functionally complete; not yet security supported",
        SupportStatus::Supported => "Tested, and security supported",
        SupportStatus::SupportedLegacyStable => "Supported for existing users only",
        SupportStatus::Deprecated => "Going away; avoid in new deployments",
        SupportStatus::NotSupported => "Not implemented or not functional",
    }
}

pub fn status_label(status: SupportStatus) -> String {
    format!("{SUPPORT_PREFIX}{status}")
}

/// `feature: <name>`, clipped with `…` to GitHub's 50 characters: Xen has feature names such
/// as "ARM: Firmware Framework for Arm A-profile (FF-A) Mediator". [`feature_named_by`] reads
/// a clipped label back.
pub fn feature_label(name: &str) -> String {
    clip(&format!("{FEATURE_PREFIX}{name}"), NAME_LIMIT)
}

/// The feature a `feature:` label names: the one with that exact name or, for a clipped label,
/// the only one whose name starts with the part kept.
pub fn feature_named_by<'m>(label: &str, matrix: &'m SupportMatrix) -> Option<&'m Feature> {
    let name = label.strip_prefix(FEATURE_PREFIX)?.trim();
    if let Some(feature) = matrix.feature(name) {
        return Some(feature);
    }
    // Only a label clipped by [`feature_label`] is read by prefix.
    if label.chars().count() != NAME_LIMIT {
        return None;
    }
    let kept = name.strip_suffix('…')?;
    let mut found = matrix.features.iter().filter(|f| f.name.starts_with(kept));
    let first = found.next()?;
    found.next().is_none().then_some(first)
}

/// Is this one of the labels pushgate puts on pull requests for features?
pub fn is_feature_managed(name: &str) -> bool {
    name.starts_with(FEATURE_PREFIX) || name.starts_with(SUPPORT_PREFIX) || name == STATUS_CHANGE
}

/// A feature's status text as one line: `Supported`, or `x86: Supported; Arm: Tech Preview`.
pub fn status_text(feature: &Feature) -> String {
    feature
        .statuses
        .iter()
        .map(|s| match &s.qualifier {
            Some(q) => format!("{q}: {}", s.text),
            None => s.text.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// The labels a repository should have for its SUPPORT.md, and the features that get none:
/// two long names clipped to the same label cannot be told apart.
pub fn repository_labels(matrix: &SupportMatrix) -> (Vec<LabelSpec>, Vec<String>) {
    let mut out: Vec<LabelSpec> = SupportStatus::ALL
        .iter()
        .map(|&s| LabelSpec {
            name: status_label(s),
            color: color(s).to_string(),
            description: meaning(s).to_string(),
        })
        .collect();
    out.push(LabelSpec {
        name: STATUS_CHANGE.to_string(),
        color: "c5def5".to_string(),
        description: "Changes a feature's support status: needs the committers' ack".to_string(),
    });
    let mut unlabelled = Vec::new();
    let mut seen = BTreeSet::new();
    for feature in &matrix.features {
        let name = feature_label(&feature.name);
        if feature_named_by(&name, matrix).map(|f| &f.name) != Some(&feature.name) {
            unlabelled.push(feature.name.clone());
            continue;
        }
        if feature.statuses.is_empty() || !seen.insert(name.to_lowercase()) {
            continue;
        }
        out.push(LabelSpec {
            name,
            color: color(feature.statuses[0].status).to_string(),
            description: clip(&status_text(feature), DESCRIPTION_LIMIT),
        });
    }
    (out, unlabelled)
}

/// The changes that bring `existing` labels to include `wanted` (names compare without case,
/// as GitHub's do).
pub fn label_changes(existing: &[LabelSpec], wanted: &[LabelSpec]) -> Vec<LabelChange> {
    wanted
        .iter()
        .filter_map(|spec| {
            match existing
                .iter()
                .find(|e| e.name.eq_ignore_ascii_case(&spec.name))
            {
                None => Some(LabelChange::Create(spec.clone())),
                Some(e)
                    if !e.color.eq_ignore_ascii_case(&spec.color)
                        || e.description != spec.description =>
                {
                    Some(LabelChange::Update {
                        current: e.name.clone(),
                        spec: spec.clone(),
                    })
                }
                Some(_) => None,
            }
        })
        .collect()
}

/// Features mapped to paths (`[[support.feature]]`), matched as MAINTAINERS `F:` patterns.
#[derive(Debug, Clone, Default)]
pub struct FeatureMap {
    features: Vec<(String, Vec<Pattern>)>,
}

impl FeatureMap {
    pub fn new<'a>(
        features: impl IntoIterator<Item = (&'a str, &'a [String])>,
    ) -> Result<FeatureMap, PatternError> {
        let features = features
            .into_iter()
            .map(|(name, paths)| {
                let patterns = paths
                    .iter()
                    .map(|p| Pattern::new(p))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok((name.to_string(), patterns))
            })
            .collect::<Result<Vec<_>, PatternError>>()?;
        Ok(FeatureMap { features })
    }

    pub fn is_empty(&self) -> bool {
        self.features.is_empty()
    }

    /// The features any of `files` falls under, in config order.
    pub fn touched<S: AsRef<str>>(&self, files: &[S]) -> Vec<String> {
        self.features
            .iter()
            .filter(|(_, patterns)| {
                files
                    .iter()
                    .any(|f| patterns.iter().any(|p| p.matches(f.as_ref())))
            })
            .map(|(name, _)| name.clone())
            .collect()
    }
}

/// The feature labels a pull request should carry: `feature: <name>` for each feature it
/// touches, `support: <status>` for their statuses (as SUPPORT.md on the base branch has
/// them), and `support-status-change` when it changes a status.
pub fn pull_request_labels(
    touched: &[String],
    matrix: &SupportMatrix,
    changes_status: bool,
) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for name in touched {
        out.insert(feature_label(name));
        if let Some(feature) = matrix.feature(name) {
            out.extend(feature.statuses.iter().map(|s| status_label(s.status)));
        }
    }
    if changes_status {
        out.insert(STATUS_CHANGE.to_string());
    }
    out
}

/// Where `name` is a whole phrase of `title` (case-insensitive; the characters around it are
/// not letters or digits): byte ranges of the lower-cased title.
fn phrase_spans(title: &str, name: &str) -> Vec<(usize, usize)> {
    let name = name.to_lowercase();
    if name.trim().is_empty() {
        return Vec::new();
    }
    let edge = |c: Option<char>| c.is_none_or(|c| !c.is_alphanumeric());
    title
        .match_indices(&name)
        .filter(|(at, found)| {
            edge(title[..*at].chars().next_back()) && edge(title[at + found.len()..].chars().next())
        })
        .map(|(at, found)| (at, at + found.len()))
        .collect()
}

/// The labels an issue that names features should carry: for each feature it names (a
/// `feature: …` label, or the feature's name as a whole phrase of its title), the feature's
/// label and the `support: …` labels of its statuses. A name inside a longer name the title
/// also holds does not count ("ARM v8 crashes" names "ARM v8", not "ARM").
pub fn issue_labels(labels: &[String], title: &str, matrix: &SupportMatrix) -> BTreeSet<String> {
    let title = title.to_lowercase();
    let spans: Vec<Vec<(usize, usize)>> = matrix
        .features
        .iter()
        .map(|f| phrase_spans(&title, &f.name))
        .collect();
    let inside_longer = |(start, end): (usize, usize)| {
        spans
            .iter()
            .flatten()
            .any(|&(s, e)| s <= start && end <= e && e - s > end - start)
    };
    let mut out = BTreeSet::new();
    for (feature, spans) in matrix.features.iter().zip(&spans) {
        let labelled = labels
            .iter()
            .any(|l| feature_named_by(l, matrix).is_some_and(|f| f.name == feature.name));
        let titled = spans.iter().any(|&span| !inside_longer(span));
        if labelled || titled {
            out.insert(feature_label(&feature.name));
            out.extend(feature.statuses.iter().map(|s| status_label(s.status)));
        }
    }
    out
}

/// A feature whose status lines differ between two versions of SUPPORT.md.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub feature: String,
    /// The status text before and after; None where the feature is absent.
    pub before: Option<String>,
    pub after: Option<String>,
}

/// The features whose status lines (qualifier and text) differ: changed, added or removed.
/// Rewording that keeps every status line, and edits to prose, are not status changes.
pub fn status_changes(before: &SupportMatrix, after: &SupportMatrix) -> Vec<StatusChange> {
    // A feature is its category and name, and which of that name it is: a file may hold the
    // same heading twice, and each is compared with its own counterpart.
    fn keyed(matrix: &SupportMatrix) -> Vec<((&str, &str, usize), &Feature)> {
        let mut seen: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        matrix
            .features
            .iter()
            .map(|f| {
                let n = seen.entry((&f.category, &f.name)).or_insert(0);
                *n += 1;
                ((f.category.as_str(), f.name.as_str(), *n), f)
            })
            .collect()
    }
    fn find<'m>(
        list: &[((&str, &str, usize), &'m Feature)],
        key: (&str, &str, usize),
    ) -> Option<&'m Feature> {
        list.iter().find(|(k, _)| *k == key).map(|(_, f)| *f)
    }
    let lines = |f: &Feature| {
        f.statuses
            .iter()
            .map(|s| (s.qualifier.clone(), s.text.clone()))
            .collect::<Vec<_>>()
    };
    let (old, new) = (keyed(before), keyed(after));
    let mut out = Vec::new();
    for (key, was) in &old {
        match find(&new, *key) {
            Some(now) if lines(now) == lines(was) => {}
            now => out.push(StatusChange {
                feature: was.name.clone(),
                before: Some(status_text(was)),
                after: now.map(status_text),
            }),
        }
    }
    for (key, now) in &new {
        if find(&old, *key).is_none() && !now.statuses.is_empty() {
            out.push(StatusChange {
                feature: now.name.clone(),
                before: None,
                after: Some(status_text(now)),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::support::parse_support;

    const SUPPORT: &str = "\
# Support statement

## Guest Type

### x86/PV

    Status: Supported

### ARM/GICv3 ITS

    Status, x86: Experimental
    Status, Arm: Tech Preview

## Toolstack

### A feature whose name is far too long to fit into a GitHub label name

    Status: Supported

### Two features whose long names share their first forty characters: one

    Status: Supported

### Two features whose long names share their first forty characters: two

    Status: Experimental
";

    fn spec<'a>(specs: &'a [LabelSpec], name: &str) -> Option<&'a LabelSpec> {
        specs.iter().find(|s| s.name == name)
    }

    #[test]
    fn repository_labels_cover_statuses_features_and_the_change_label() {
        let (specs, unlabelled) = repository_labels(&parse_support(SUPPORT));
        let names: Vec<&str> = specs.iter().map(|s| s.name.as_str()).collect();
        for status in SupportStatus::ALL {
            assert!(names.contains(&status_label(status).as_str()), "{status}");
        }
        assert!(names.contains(&STATUS_CHANGE));
        let pv = spec(&specs, "feature: x86/PV").unwrap();
        assert_eq!(
            (pv.color.as_str(), pv.description.as_str()),
            ("0e8a16", "Supported")
        );
        let its = spec(&specs, "feature: ARM/GICv3 ITS").unwrap();
        assert_eq!(its.description, "x86: Experimental; Arm: Tech Preview");
        assert_eq!(its.color, color(SupportStatus::Experimental));
        let long = spec(&specs, "feature: A feature whose name is far too long to …").unwrap();
        assert_eq!(long.description, "Supported");
        assert_eq!(
            unlabelled,
            vec![
                "Two features whose long names share their first forty characters: one",
                "Two features whose long names share their first forty characters: two"
            ]
        );
        assert!(specs.iter().all(|s| s.name.chars().count() <= NAME_LIMIT
            && s.description.chars().count() <= DESCRIPTION_LIMIT));
    }

    #[test]
    fn clipped_feature_labels_name_their_feature() {
        let matrix = parse_support(SUPPORT);
        let cases = [
            ("feature: x86/PV", Some("x86/PV")),
            (
                "feature: A feature whose name is far too long to …",
                Some("A feature whose name is far too long to fit into a GitHub label name"),
            ),
            // Ambiguous, not clipped by us, unknown, or not a feature label.
            ("feature: Two features whose long names share thei…", None),
            ("feature: x86/P…", None),
            ("feature: Unknown", None),
            ("support: Supported", None),
        ];
        for (label, want) in cases {
            assert_eq!(
                feature_named_by(label, &matrix).map(|f| f.name.as_str()),
                want,
                "{label}"
            );
        }
        for feature in &matrix.features {
            assert!(feature_label(&feature.name).chars().count() <= NAME_LIMIT);
        }
    }

    #[test]
    fn long_descriptions_are_clipped_to_github_limit() {
        let long = format!(
            "### F\n\n    Status: Supported, {}\n",
            "with caveats ".repeat(20)
        );
        let (specs, _) = repository_labels(&parse_support(&long));
        let f = spec(&specs, "feature: F").unwrap();
        assert_eq!(f.description.chars().count(), DESCRIPTION_LIMIT);
        assert!(f.description.ends_with('…'));
    }

    #[test]
    fn label_changes_create_missing_and_fix_drifted_labels_only() {
        let wanted = vec![
            LabelSpec {
                name: "feature: a".into(),
                color: "0e8a16".into(),
                description: "Supported".into(),
            },
            LabelSpec {
                name: "feature: b".into(),
                color: "fbca04".into(),
                description: "Experimental".into(),
            },
            LabelSpec {
                name: "feature: c".into(),
                color: "1d76db".into(),
                description: "Complete".into(),
            },
        ];
        let existing = vec![
            // Same, up to the case GitHub ignores.
            LabelSpec {
                name: "Feature: A".into(),
                color: "0E8A16".into(),
                description: "Supported".into(),
            },
            // Drifted description.
            LabelSpec {
                name: "feature: b".into(),
                color: "fbca04".into(),
                description: "Tech Preview".into(),
            },
            // Someone else's label: left alone.
            LabelSpec {
                name: "good first issue".into(),
                color: "7057ff".into(),
                description: String::new(),
            },
        ];
        let changes = label_changes(&existing, &wanted);
        assert_eq!(
            changes,
            vec![
                LabelChange::Update {
                    current: "feature: b".into(),
                    spec: wanted[1].clone()
                },
                LabelChange::Create(wanted[2].clone()),
            ]
        );
        assert!(label_changes(&wanted, &wanted).is_empty());
    }

    #[test]
    fn features_are_touched_through_maintainers_patterns() {
        let pv = vec![
            "xen/arch/x86/pv/".to_string(),
            "xen/include/*/pv.h".to_string(),
        ];
        let its = vec!["xen/arch/arm/gic-v3-its.c".to_string()];
        let map = FeatureMap::new([("x86/PV", pv.as_slice()), ("ARM/GICv3 ITS", its.as_slice())])
            .unwrap();
        let cases: &[(&[&str], &[&str])] = &[
            (&["xen/arch/x86/pv/emulate.c"], &["x86/PV"]),
            (&["xen/arch/x86/pv/sub/deep.c"], &["x86/PV"]),
            (&["xen/include/asm/pv.h"], &["x86/PV"]),
            // `*` without a trailing `/` keeps to one directory level, as in MAINTAINERS.
            (&["xen/include/asm/sub/pv.h"], &[]),
            (&["xen/arch/x86/hvm/emulate.c"], &[]),
            (
                &["xen/arch/arm/gic-v3-its.c", "xen/arch/x86/pv/x.c"],
                &["x86/PV", "ARM/GICv3 ITS"],
            ),
        ];
        for (files, want) in cases {
            assert_eq!(map.touched(files), *want, "{files:?}");
        }
        assert!(FeatureMap::new([("bad", ["x[".to_string()].as_slice())]).is_err());
    }

    #[test]
    fn pull_request_labels_follow_touched_features_and_base_statuses() {
        let matrix = parse_support(SUPPORT);
        let touched = vec!["ARM/GICv3 ITS".to_string(), "Not in SUPPORT.md".to_string()];
        let labels = pull_request_labels(&touched, &matrix, false);
        let want: BTreeSet<String> = [
            "feature: ARM/GICv3 ITS",
            "feature: Not in SUPPORT.md",
            "support: Experimental",
            "support: Preview",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(labels, want);
        assert!(pull_request_labels(&[], &matrix, true).contains(STATUS_CHANGE));
        assert!(pull_request_labels(&[], &matrix, false).is_empty());
        assert!(labels.iter().all(|l| is_feature_managed(l)));
        assert!(!is_feature_managed("acks: missing"));
    }

    #[test]
    fn status_changes_are_changed_added_and_removed_status_lines() {
        let before = parse_support(SUPPORT);
        let cases: &[(&str, &str, Option<&str>, Option<&str>)] = &[
            // (what, new text, changed feature's before, after)
            (
                "no change but prose",
                &SUPPORT.replace("# Support statement", "# Support statement\n\nSome prose."),
                None,
                None,
            ),
            (
                "status changed",
                &SUPPORT.replace(
                    "    Status: Supported\n\n### ARM",
                    "    Status: Supported, not security supported\n\n### ARM",
                ),
                Some("Supported"),
                Some("Supported, not security supported"),
            ),
            (
                "qualified status changed",
                &SUPPORT.replace("Status, Arm: Tech Preview", "Status, Arm: Experimental"),
                Some("x86: Experimental; Arm: Tech Preview"),
                Some("x86: Experimental; Arm: Experimental"),
            ),
            (
                "feature removed",
                &SUPPORT.replace("### x86/PV\n\n    Status: Supported\n", ""),
                Some("Supported"),
                None,
            ),
            (
                "feature added",
                &format!("{SUPPORT}\n### Argo\n\n    Status: Experimental\n"),
                None,
                Some("Experimental"),
            ),
            // The same heading twice: the second is a feature of its own, added.
            (
                "duplicate heading added",
                &format!("{SUPPORT}\n### x86/PV\n\n    Status: Supported\n"),
                None,
                Some("Supported"),
            ),
        ];
        for (what, text, want_before, want_after) in cases {
            let changes = status_changes(&before, &parse_support(text));
            if want_before.is_none() && want_after.is_none() {
                assert!(changes.is_empty(), "{what}: {changes:?}");
                continue;
            }
            assert_eq!(changes.len(), 1, "{what}: {changes:?}");
            assert_eq!(changes[0].before.as_deref(), *want_before, "{what}");
            assert_eq!(changes[0].after.as_deref(), *want_after, "{what}");
        }
    }

    #[test]
    fn an_issue_naming_a_feature_gets_its_support_labels() {
        let matrix = parse_support(SUPPORT);
        let none: &[&str] = &[];
        let table: [(&[&str], &str, &[&str]); 8] = [
            // By label.
            (
                &["feature: x86/PV", "bug"],
                "Guests crash",
                &["feature: x86/PV", "support: Supported"],
            ),
            // By its name in the title, any case; every status line of the feature counts.
            (
                &[],
                "arm/gicv3 its: interrupts lost",
                &[
                    "feature: ARM/GICv3 ITS",
                    "support: Experimental",
                    "support: Preview",
                ],
            ),
            (
                &[],
                "x86/PV guests crash on boot",
                &["feature: x86/PV", "support: Supported"],
            ),
            // Only as a whole phrase.
            (&[], "x86/PVH guests crash", none),
            (&[], "Crash in nx86/PV", none),
            // A clipped label reads back as its feature.
            (
                &["feature: A feature whose name is far too long to …"],
                "Broken",
                &[
                    "feature: A feature whose name is far too long to …",
                    "support: Supported",
                ],
            ),
            (&["feature: nothing we know"], "Unrelated", none),
            // Two features in one title.
            (
                &[],
                "ARM/GICv3 ITS: lost interrupts on x86/PV hosts",
                &[
                    "feature: ARM/GICv3 ITS",
                    "feature: x86/PV",
                    "support: Experimental",
                    "support: Preview",
                    "support: Supported",
                ],
            ),
        ];
        for (labels, title, wanted) in table {
            let labels: Vec<String> = labels.iter().map(|l| l.to_string()).collect();
            let got = issue_labels(&labels, title, &matrix);
            let wanted: BTreeSet<String> = wanted.iter().map(|l| l.to_string()).collect();
            assert_eq!(got, wanted, "{title}");
        }
        // A name inside a longer one the title holds counts as the longer one only.
        let nested = parse_support(
            "## H\n\n### ARM\n\n    Status: Supported\n\n### ARM v8\n\n    Status: Experimental\n",
        );
        let named = |title: &str| {
            issue_labels(&[], title, &nested)
                .into_iter()
                .collect::<Vec<_>>()
        };
        assert_eq!(
            named("ARM v8: boot hangs"),
            ["feature: ARM v8", "support: Experimental"]
        );
        assert_eq!(
            named("arm: boot hangs, unlike ARM v8"),
            [
                "feature: ARM",
                "feature: ARM v8",
                "support: Experimental",
                "support: Supported"
            ]
        );
    }
}
