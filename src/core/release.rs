//! The release gate (SPEC §5) as a pure decision: a release is held while an open issue carries
//! a regression label together with a `feature:` label whose feature has a blocking status
//! (by default the Supported family), or carries `release-blocker`.

use serde::{Deserialize, Serialize};

use crate::core::labels::{feature_named_by, RELEASE_BLOCKER};
use crate::core::report::{Report, SUMMARY_LIMIT};
use crate::core::support::{SupportMatrix, SupportStatus};
use crate::core::text::{cell, truncate};

/// An open issue as the gate sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenIssue {
    pub number: i64,
    pub title: String,
    pub labels: Vec<String>,
}

/// Why an issue blocks the release.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Blocker {
    pub number: i64,
    pub title: String,
    /// The feature and its status text, when a feature label made it block.
    pub feature: Option<String>,
    pub status: Option<String>,
    pub reason: String,
}

/// The release gate's answer as the dashboard shows it: what holds the release on the
/// default branch, or the failure that holds it because pushgate could not answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReleaseView {
    pub blocking: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blockers: Option<Vec<Blocker>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failed: Option<String>,
    /// When it was stored (Unix seconds; the store's, not part of what is stored).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

impl ReleaseView {
    /// The answer with these blockers.
    pub fn answered(blockers: Vec<Blocker>) -> ReleaseView {
        ReleaseView {
            blocking: !blockers.is_empty(),
            blockers: Some(blockers),
            ..ReleaseView::default()
        }
    }

    /// No answer: the release is held.
    pub fn failed(what: &str) -> ReleaseView {
        ReleaseView {
            blocking: true,
            failed: Some(what.to_string()),
            ..ReleaseView::default()
        }
    }

    /// How many issues hold the release (none when it failed).
    pub fn blocker_count(&self) -> usize {
        self.blockers.as_ref().map_or(0, Vec::len)
    }
}

/// The release gate's settings (`[release]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rules {
    pub regression_labels: Vec<String>,
    pub blocking_statuses: Vec<SupportStatus>,
}

/// The `pushgate/release` check's title and Markdown summary for these blockers.
pub fn release_report(blockers: &[Blocker]) -> Report {
    if blockers.is_empty() {
        return Report {
            title: "Nothing holds the release".to_string(),
            summary: "No open issue carries `release-blocker`, or a regression label together \
                      with the `feature:` label of a feature whose status blocks a release."
                .to_string(),
        };
    }
    let rows: String = blockers
        .iter()
        .map(|b| {
            format!(
                "| #{} | {} | {} | {} |\n",
                b.number,
                cell(&b.title),
                b.feature.as_deref().map_or("—".to_string(), cell),
                b.status.as_deref().map_or("—".to_string(), cell),
            )
        })
        .collect();
    Report {
        title: format!("The release is held by {} open issue(s)", blockers.len()),
        summary: truncate(
            &format!(
                "The release can go ahead once these issues are closed or relabelled.\n\n\
                 | Issue | Title | Feature | Status |\n|---|---|---|---|\n{rows}"
            ),
            SUMMARY_LIMIT,
        ),
    }
}

/// The issues that hold the release, in issue order.
pub fn blockers(issues: &[OpenIssue], support: &SupportMatrix, rules: &Rules) -> Vec<Blocker> {
    let mut out = Vec::new();
    for issue in issues {
        let has = |name: &str| issue.labels.iter().any(|l| l.eq_ignore_ascii_case(name));
        if has(RELEASE_BLOCKER) {
            out.push(Blocker {
                number: issue.number,
                title: issue.title.clone(),
                feature: None,
                status: None,
                reason: format!("labelled `{RELEASE_BLOCKER}`"),
            });
            continue;
        }
        let Some(regression) = rules.regression_labels.iter().find(|l| has(l)) else {
            continue;
        };
        let blocking = issue.labels.iter().find_map(|label| {
            let feature = feature_named_by(label, support)?;
            let line = feature
                .statuses
                .iter()
                .find(|s| rules.blocking_statuses.contains(&s.status))?;
            Some((feature.name.clone(), line.text.clone()))
        });
        if let Some((feature, status)) = blocking {
            out.push(Blocker {
                number: issue.number,
                title: issue.title.clone(),
                reason: format!("`{regression}` in {feature}, which is {status}"),
                feature: Some(feature),
                status: Some(status),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::support::parse_support;

    const SUPPORT: &str = "# Feature Support\n\n## Guests\n\n### x86/PV\n\n    Status: Supported\n\n### ARM/SMMUv3\n\n    Status: Tech Preview\n\n### Mixed\n\n    Status, x86: Experimental\n    Status, ARM: Supported, not security supported\n";

    fn rules() -> Rules {
        Rules {
            regression_labels: vec!["regression".into(), "blocker".into()],
            blocking_statuses: vec![
                SupportStatus::Supported,
                SupportStatus::SupportedLegacyStable,
            ],
        }
    }

    fn issue(number: i64, labels: &[&str]) -> OpenIssue {
        OpenIssue {
            number,
            title: format!("issue {number}"),
            labels: labels.iter().map(|l| l.to_string()).collect(),
        }
    }

    #[test]
    fn regressions_in_supported_features_hold_the_release() {
        let support = parse_support(SUPPORT);
        let issues = [
            issue(1, &["regression", "feature: x86/PV"]),
            issue(2, &["regression", "feature: ARM/SMMUv3"]),
            issue(3, &["feature: x86/PV"]),
            issue(4, &["Blocker", "feature: Mixed"]),
            issue(5, &["release-blocker"]),
            issue(6, &["regression", "feature: Unknown"]),
        ];
        let found = blockers(&issues, &support, &rules());
        let numbers: Vec<i64> = found.iter().map(|b| b.number).collect();
        // A Tech Preview feature, no regression label, or an unknown feature do not block.
        assert_eq!(numbers, [1, 4, 5]);
        assert_eq!(found[0].feature.as_deref(), Some("x86/PV"));
        assert_eq!(found[0].status.as_deref(), Some("Supported"));
        assert_eq!(
            found[1].status.as_deref(),
            Some("Supported, not security supported")
        );
        assert!(found[2].reason.contains("release-blocker"));
    }

    #[test]
    fn the_report_lists_each_blocker_with_feature_and_status() {
        let support = parse_support(SUPPORT);
        let mut issues = vec![
            issue(1, &["regression", "feature: x86/PV"]),
            issue(5, &["release-blocker"]),
        ];
        issues[0].title = "PV guests | crash".into();
        let report = release_report(&blockers(&issues, &support, &rules()));
        assert_eq!(report.title, "The release is held by 2 open issue(s)");
        assert!(
            report
                .summary
                .contains("| #1 | PV guests \\| crash | x86/PV | Supported |"),
            "{}",
            report.summary
        );
        assert!(report.summary.contains("| #5 | issue 5 | — | — |"));
        let clear = release_report(&[]);
        assert_eq!(clear.title, "Nothing holds the release");
    }

    #[test]
    fn a_clipped_feature_label_blocks_like_the_full_name() {
        let long = "A supported feature whose name is longer than GitHub allows";
        let support = parse_support(&format!("### {long}\n\n    Status: Supported\n"));
        let label = crate::core::labels::feature_label(long);
        assert!(label.ends_with('…'));
        let found = blockers(&[issue(7, &["regression", &label])], &support, &rules());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].feature.as_deref(), Some(long));
    }

    #[test]
    fn blocking_statuses_are_configurable() {
        let support = parse_support(SUPPORT);
        let strict = Rules {
            blocking_statuses: vec![SupportStatus::Preview],
            ..rules()
        };
        let found = blockers(
            &[issue(2, &["regression", "feature: ARM/SMMUv3"])],
            &support,
            &strict,
        );
        assert_eq!(found.len(), 1);
    }
}
