//! Landing a gated PR the Xen way (SPEC §3, `merge.method = "rebase-trailers"`): each commit
//! is re-created with the trailers of the acks that satisfied `pushgate/acks`, in Xen's order —
//! the author's `Signed-off-by` kept, then `Reviewed-by`, `Acked-by`, `Release-Acked-by`, each as
//! `Name <email>` from MAINTAINERS. Unverified claims written in the PR's commits are replaced
//! by what was actually given.

use crate::core::gate::Outcome;
use crate::core::glob::wildcard;
use crate::core::people::Person;
use crate::core::say::why_not;
use crate::core::trailers::{parse_trailers, TrailerKind};

/// A trailer the merge adds: who gave which kind of approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Given {
    pub kind: TrailerKind,
    pub person: Person,
}

/// The merge's first precondition: none of the pull request's `labels` is one of the
/// `blocking` labels. Why not, when one is.
pub fn blocked_by_label(labels: &[String], blocking: &[String]) -> Option<String> {
    labels
        .iter()
        .find(|l| blocking.contains(l))
        .map(|label| why_not::label_holds(label))
}

/// The merge's second precondition: each of the pull request's `required` checks (a name or
/// a pattern) has results on the head, and every one of them passed. Why not, naming the
/// first that has not.
pub fn required_not_passed(required: &[String], results: &[(String, Outcome)]) -> Option<String> {
    required
        .iter()
        .find(|required| {
            let mut matching = results
                .iter()
                .filter(|(n, _)| wildcard(required, n))
                .peekable();
            matching.peek().is_none() || matching.any(|(_, o)| *o != Outcome::Passed)
        })
        .map(|required| why_not::check_not_passed(required))
}

/// Xen's order of the added trailers.
fn rank(kind: TrailerKind) -> u8 {
    match kind {
        TrailerKind::ReviewedBy => 0,
        TrailerKind::AckedBy => 1,
        TrailerKind::ReleaseAckedBy => 2,
        _ => 3,
    }
}

/// The commit message with the given approvals as trailers. Lines that claimed an ack, review
/// or release ack are dropped (they were never verified); every other line — `Signed-off-by`,
/// `Fixes:`, `Reported-by`, the text — is kept as written.
pub fn with_trailers(message: &str, given: &[Given]) -> String {
    let claimed = |line: &str| {
        parse_trailers(line).iter().any(|t| {
            matches!(
                t.kind,
                TrailerKind::AckedBy | TrailerKind::ReviewedBy | TrailerKind::ReleaseAckedBy
            )
        })
    };
    let mut lines: Vec<&str> = message.lines().filter(|l| !claimed(l)).collect();
    while lines.last().is_some_and(|l| l.trim().is_empty()) {
        lines.pop();
    }
    let mut added: Vec<&Given> = given
        .iter()
        .filter(|g| {
            matches!(
                g.kind,
                TrailerKind::AckedBy | TrailerKind::ReviewedBy | TrailerKind::ReleaseAckedBy
            )
        })
        .collect();
    // Stable: people keep the order in which they gave their approval.
    added.sort_by_key(|g| rank(g.kind));
    let mut trailers: Vec<String> = Vec::new();
    for g in added {
        let line = format!("{}: {}", g.kind.as_str(), g.person);
        if !trailers.contains(&line) {
            trailers.push(line);
        }
    }
    let ends_in_trailers = lines.last().is_some_and(|l| !parse_trailers(l).is_empty());
    let mut out = lines.join("\n");
    if !trailers.is_empty() {
        if !ends_in_trailers {
            out.push('\n');
        }
        for t in trailers {
            out.push('\n');
            out.push_str(&t);
        }
    }
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn given(kind: TrailerKind, who: &str) -> Given {
        Given {
            kind,
            person: Person::parse(who).unwrap(),
        }
    }

    #[test]
    fn a_merge_waits_for_its_blocking_labels_and_required_checks() {
        let strings = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let blocking = strings(&["do-not-merge", "needs: rebase"]);
        assert_eq!(
            blocked_by_label(&strings(&["x86", "triage"]), &blocking),
            None
        );
        let held = blocked_by_label(&strings(&["x86", "needs: rebase"]), &blocking);
        assert!(held.is_some_and(|w| w.contains("`needs: rebase`")));

        let results = |r: &[(&str, Outcome)]| {
            r.iter()
                .map(|(n, o)| (n.to_string(), *o))
                .collect::<Vec<_>>()
        };
        let required = strings(&["build", "test-*"]);
        let cases = [
            (
                results(&[("build", Outcome::Passed), ("test-x86", Outcome::Passed)]),
                None,
            ),
            // No result matching a pattern is not a pass.
            (results(&[("build", Outcome::Passed)]), Some("test-*")),
            (results(&[("test-arm", Outcome::Passed)]), Some("build")),
            // Every match must pass.
            (
                results(&[
                    ("build", Outcome::Passed),
                    ("test-x86", Outcome::Passed),
                    ("test-arm", Outcome::Failed),
                ]),
                Some("test-*"),
            ),
        ];
        for (results, want) in cases {
            let got = required_not_passed(&required, &results);
            match want {
                None => assert_eq!(got, None, "{results:?}"),
                Some(check) => assert!(
                    got.as_deref()
                        .is_some_and(|w| w.contains(&format!("`{check}`"))),
                    "{results:?}: {got:?}"
                ),
            }
        }
        assert_eq!(required_not_passed(&[], &[]), None);
    }

    #[test]
    fn trailers_follow_xens_order_after_the_sign_off() {
        let message = "x86/shadow: fix the log-dirty bitmap\n\nLonger text.\n\nSigned-off-by: Nora Newcomer <nora@new.example>\n";
        let out = with_trailers(
            message,
            &[
                given(TrailerKind::AckedBy, "Sha Dow <sha@shadow.example>"),
                given(TrailerKind::ReleaseAckedBy, "Rel Man <rm@example.org>"),
                given(
                    TrailerKind::ReviewedBy,
                    "Rhea Reviewer <rhea@review.example>",
                ),
            ],
        );
        assert_eq!(
            out,
            "x86/shadow: fix the log-dirty bitmap\n\nLonger text.\n\n\
             Signed-off-by: Nora Newcomer <nora@new.example>\n\
             Reviewed-by: Rhea Reviewer <rhea@review.example>\n\
             Acked-by: Sha Dow <sha@shadow.example>\n\
             Release-Acked-by: Rel Man <rm@example.org>\n"
        );
    }

    #[test]
    fn unverified_claims_are_replaced_and_other_trailers_kept() {
        let message = "fix\n\nFixes: 0123456789ab (\"broke it\")\nSigned-off-by: N <n@x>\nAcked-by: Sha Dow <sha@shadow.example>\nReviewed-By: Forged <f@x>\n";
        let out = with_trailers(
            message,
            &[given(TrailerKind::AckedBy, "Sha Dow <sha@shadow.example>")],
        );
        assert_eq!(
            out,
            "fix\n\nFixes: 0123456789ab (\"broke it\")\nSigned-off-by: N <n@x>\nAcked-by: Sha Dow <sha@shadow.example>\n"
        );
    }

    #[test]
    fn a_message_without_trailers_gets_a_blank_line_first() {
        let out = with_trailers("one line", &[given(TrailerKind::ReviewedBy, "R <r@x>")]);
        assert_eq!(out, "one line\n\nReviewed-by: R <r@x>\n");
        assert_eq!(with_trailers("one line\n\n", &[]), "one line\n");
    }

    #[test]
    fn the_same_approval_twice_is_one_line() {
        let a = given(TrailerKind::AckedBy, "A <a@x>");
        let out = with_trailers("m\n\nSigned-off-by: N <n@x>", &[a.clone(), a]);
        assert_eq!(out, "m\n\nSigned-off-by: N <n@x>\nAcked-by: A <a@x>\n");
    }
}
