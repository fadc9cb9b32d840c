//! What pushgate says to people, in one place (as bors keeps its `comment.rs`): the replies to
//! committers' commands (`/pushgate merge`, `embargo`, `advisory`, `vote`, `lazy-consensus`,
//! the gate's `block`/`unblock`/`force`) and their refusals, the comments the acks check owes
//! people, and what the push gate tells committers on its dashboard issue and culprits on
//! their pull requests. The handlers decide; this module words it, so that every refusal
//! reads the same way (who, what was wrong, and that nothing changed).

use std::fmt::Display;

use crate::core::text::utc;

/// Names (checks, paths) as code, comma-separated: `a`, `b`.
fn code_list(names: &[String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Who may hold things back: an embargo, an advisory.
pub const HOLDERS: &str = "committers and the security team";
/// Who may merge, open a vote or a lazy consensus.
pub const COMMITTERS: &str = "committers";

/// A command refused: nothing it would have done was done.
pub fn refused(by: &str, why: impl Display) -> String {
    format!("@{by}: {why}; nothing changed.")
}

/// A command refused because `by` is not among `who`.
pub fn only(by: &str, who: &str, what: &str) -> String {
    refused(by, format_args!("only {who} can {what}"))
}

// ---- merge ------------------------------------------------------------------------------

/// `/pushgate merge` refused, with why.
pub fn not_merged(by: &str, why: impl Display) -> String {
    format!("@{by}: not merged: {why}")
}

pub fn no_merge_config(by: &str) -> String {
    format!("@{by}: pushgate has no configuration to merge with.")
}

pub fn merges_only_into(by: &str, staging: &str) -> String {
    format!("@{by}: only open pull requests into `{staging}` can be merged here.")
}

/// The pull request moved while it was being checked.
pub fn moved_while_checked(by: &str, judged: &str, now: &str) -> String {
    not_merged(
        by,
        format_args!(
            "new commits since the check (`{judged}` became `{now}` while it was being \
             checked); nothing landed. Re-run `/pushgate merge`."
        ),
    )
}

pub fn acks_not_satisfied(by: &str, title: &str) -> String {
    not_merged(
        by,
        format_args!(
            "`pushgate/acks` is not satisfied ({title}). See the check for what is missing."
        ),
    )
}

pub fn no_verdict(by: &str) -> String {
    not_merged(
        by,
        "`pushgate/acks` gave no verdict to take the trailers from.",
    )
}

/// A merge that failed for good part-way; `next` says what to do.
pub fn merge_unfinished(by: &str, what: &str, next: &str) -> String {
    format!("@{by}: `/pushgate merge` did not finish: {what}\n\n{next}")
}

/// Why a merge is not made (each joined to [`not_merged`]).
pub mod why_not {
    pub fn label_holds(label: &str) -> String {
        format!("the label `{label}` holds it back")
    }

    pub fn check_not_passed(check: &str) -> String {
        format!("the required check `{check}` has not passed on the head")
    }

    pub fn too_many_commits(total: usize, listed: usize) -> String {
        format!(
            "this pull request has {total} commits; GitHub lists no more than {listed} of a \
             comparison, and pushgate lands all of a pull request or nothing. Squash some \
             commits, or split it."
        )
    }

    pub fn nothing_to_land(staging: &str) -> String {
        format!("`{staging}` already holds every commit of this pull request.")
    }

    pub fn merge_commit(commit: &str) -> String {
        format!(
            "commit `{commit}` is a merge; `rebase-trailers` re-creates a linear series. Rebase \
             the pull request without merges and ask again."
        )
    }

    pub fn files_unlisted(commit: &str) -> String {
        format!(
            "GitHub does not list all the files commit `{commit}` changes (it lists 300 of a \
             comparison), so its trailers cannot be chosen by the files it touches. Split the \
             commit."
        )
    }

    pub fn moved_since_check(judged: &str, now: &str) -> String {
        format!(
            "new commits since the check (it judged `{judged}`, the pull request is now at \
             `{now}`); nothing landed. Re-run `/pushgate merge` once `pushgate/acks` has judged \
             the new head."
        )
    }

    pub fn conflict(staging: &str, paths: &[String]) -> String {
        let paths = super::code_list(paths);
        format!(
            "`{staging}` changed {paths} since this pull request was based on it, in ways that \
             overlap. Rebase the pull request on `{staging}` and ask again."
        )
    }

    pub fn branch_moved(branch: &str) -> String {
        format!(
            "`{branch}` moved while the commits were being built; nothing landed. Ask again \
             with `/pushgate merge`."
        )
    }
}

/// The reply once a pull request landed: who asked (or whose embargo ended), where, how, and
/// the list of commits made (`- ` lines).
pub fn merged(by: &str, staging: &str, method: &str, list: &str, embargo_ended: bool) -> String {
    if embargo_ended {
        format!(
            "The embargo set by @{by} ended: pushgate landed this pull request by itself, as \
             `/pushgate merge` would, into `{staging}` ({method}):\n\n{list}"
        )
    } else {
        format!("Merged by @{by} into `{staging}` ({method}):\n\n{list}")
    }
}

/// What a merge that failed for good left: staging may hold its commits up to `tip`.
pub fn may_have_landed(tip: &str) -> String {
    format!("Staging may already hold its commits (up to `{tip}`): look there before asking again.")
}

/// What a merge that failed for good left: nothing.
pub const NOTHING_LANDED: &str = "Nothing landed: comment `/pushgate merge` again to retry.";

// ---- embargoes --------------------------------------------------------------------------

pub fn embargo_on_issue(by: &str) -> String {
    refused(by, "an embargo holds a pull request, and this is an issue")
}

pub fn embargoed(by: &str, until: i64) -> String {
    format!(
        "Embargoed by @{by} until {}: `/pushgate merge` is refused before then, and pushgate \
         lands this pull request by itself at that time if it is ready.",
        utc(until)
    )
}

pub fn no_embargo(by: &str) -> String {
    refused(by, "this pull request is under no embargo")
}

/// An embargo lifted; `until` is when it would have ended, when this run knows it.
pub fn embargo_lifted(by: &str, until: Option<i64>) -> String {
    match until {
        None => format!("@{by} lifted the embargo."),
        Some(until) => format!(
            "@{by} lifted the embargo (it was until {}): committers can merge with \
             `/pushgate merge`.",
            utc(until)
        ),
    }
}

// ---- advisories -------------------------------------------------------------------------

pub fn advisory_on_pull_request(by: &str) -> String {
    format!(
        "@{by}: an advisory is tracked on an issue, and this is a pull request; hold the pull \
         request with `/pushgate embargo <UTC time> advisory <name>` instead. Nothing changed."
    )
}

pub fn advisory_tracked_elsewhere(by: &str, name: &str, number: i64) -> String {
    refused(by, format_args!("advisory {name} is tracked on #{number}"))
}

pub fn no_advisory(by: &str, name: &str) -> String {
    refused(
        by,
        format_args!(
            "no advisory {name} is tracked here: start it with `/pushgate advisory {name} \
             [reported <date>]`"
        ),
    )
}

pub fn advisory_disclosed(by: &str, name: &str, at: i64) -> String {
    refused(
        by,
        format_args!("advisory {name} was disclosed at {}", utc(at)),
    )
}

/// An advisory tracked: its dates so far, and how to set the disclosure when it has none.
pub fn tracking_advisory(
    by: &str,
    name: &str,
    (reported, fix_due): (i64, i64),
    disclosure: Option<(i64, i64)>,
) -> String {
    let mut reply = format!(
        "@{by}: tracking advisory {name}: reported {}, fix due {}",
        utc(reported),
        utc(fix_due)
    );
    match disclosure {
        Some((predisclosure, disclosure)) => reply.push_str(&format!(
            ", pre-disclosure {}, announcement {}.",
            utc(predisclosure),
            utc(disclosure)
        )),
        None => reply.push_str(&format!(
            ". Set the disclosure date with `/pushgate advisory {name} disclose <UTC time>`."
        )),
    }
    reply
}

// ---- votes and lazy consensus -----------------------------------------------------------

/// `kind` (a vote, a lazy consensus) is open on the item until `deadline`.
pub fn already_open(by: &str, kind: &str, deadline: i64) -> String {
    refused(
        by,
        format_args!("a {kind} is already open here until {}", utc(deadline)),
    )
}

/// A negative vote (`value`, as written) without its reasons.
pub fn unexplained_vote(login: &str, value: impl Display) -> String {
    format!(
        "@{login}: your `{value}` in this vote has no explanation. A negative vote should come \
         with the reasons for it or an alternative proposal: please add them to your comment \
         or in a new one."
    )
}

/// An objection to a lazy consensus without its reasons.
pub fn unexplained_objection(login: &str) -> String {
    format!(
        "@{login}: your objection has no explanation, so it does not block this lazy \
         consensus. Please say why, or propose an alternative, in your comment or a new one."
    )
}

// ---- the acks check's notices -----------------------------------------------------------

/// To an objector whose objection carries no explanation.
pub fn explain_objection(of: &str) -> String {
    format!(
        "@{of}: your objection to this pull request has no explanation, so its author cannot \
         act on it. Please say why, or propose an alternative, in a new comment or review."
    )
}

/// To the author: `of`'s objection was overridden by `by` (a login, or a majority vote).
pub fn objection_overridden(author: &str, of: &str, by: &str) -> String {
    let by = if by == "a majority vote" {
        "a majority vote of the committers".to_string()
    } else {
        format!("@{by}")
    };
    format!("@{author}: the objection of @{of} to this pull request was overridden by {by}.")
}

/// To the author: the maintainers of `section` disagree, the committers settle it.
pub fn referred(author: &str, section: &str) -> String {
    format!(
        "@{author}: the maintainers of {section} disagree on this pull request, so it is \
         referred to the committers. See `pushgate/acks` for who they are and how they settle \
         it."
    )
}

// ---- the push gate ----------------------------------------------------------------------

/// On the dashboard issue: master is not an ancestor of staging.
pub fn diverged(master: &str, staging: &str) -> String {
    format!(
        "master `{master}` is not an ancestor of staging `{staging}`: the gate cannot \
         fast-forward master and waits. A committer must put staging back on top of master; \
         see the description above."
    )
}

/// On the dashboard issue: a delivery for the gate failed for good.
pub fn gate_failure(what: &str, delivery: &str) -> String {
    format!(
        "pushgate could not handle a delivery for the push gate: {what}. What the gate would \
         have learnt from it is missing until the reconciler reads staging, master and the \
         running flights' results again at its next pass. The maintainers of the pushgate \
         installation can see the details in its log (delivery `{delivery}`)."
    )
}

/// On the culprit's pull request: its commit is the first to fail these checks.
pub fn culprit(
    culprit: &str,
    subject: &str,
    author: &str,
    checks: &[String],
    flight: u64,
) -> String {
    let checks = code_list(checks);
    format!(
        "The push gate found that commit `{culprit}` (\"{subject}\" by {author}) from this pull \
         request is the first to fail {checks} (flight #{flight}). master stays where it was; \
         please fix or revert."
    )
}

/// The regression issue a flight opens when its culprit touches features whose support
/// status holds a release (`features`: `name: status`); `check` is the release check it holds.
pub fn regression(
    flight: u64,
    (culprit, about): (&str, &str),
    checks: &[String],
    features: &[String],
    check: &str,
) -> String {
    let checks = code_list(checks);
    let features: String = features.iter().map(|f| format!("- {f}\n")).collect();
    format!(
        "The push gate's flight #{flight} found that commit {culprit} ({about}) is the first to \
         fail {checks}.\n\nIt touches features whose support status holds a release:\n\n\
         {features}\nWhile this issue is open, `{check}` fails on release tags, release \
         branches and pull requests into them. Close it once the regression is fixed or \
         reverted."
    )
}

/// On the dashboard issue: master was not moved, `to` is no longer on staging.
pub fn not_on_staging(to: &str) -> String {
    format!(
        "master was not moved to `{to}`: GitHub says it is no longer on staging (rewound or \
         force-pushed). Its flight is abandoned."
    )
}

/// On the dashboard issue: GitHub refused the fast-forward; nothing was forced.
pub fn fast_forward_refused(from: &str, to: &str, error: &str, master: &str) -> String {
    format!(
        "GitHub refused to fast-forward master from `{from}` to `{to}`: {error}. master is at \
         `{master}`; nothing was forced. A committer decides (`/pushgate force <sha> <reason>`)."
    )
}

// ---- failures and what cannot be judged ----------------------------------------------------

/// Where the details of delivery `delivery` are: the installation's log.
pub fn see_the_log(delivery: &str) -> String {
    format!(
        "The maintainers of the pushgate installation can see the details in its log \
         (delivery `{delivery}`)."
    )
}

/// A feature's delivery failed for good; `retry` says how to try again.
pub fn could_not_handle(what_for: &str, what: &str, retry: &str, delivery: &str) -> String {
    format!(
        "pushgate could not handle {what_for} here: {what}. {retry} {}",
        see_the_log(delivery)
    )
}

/// The acks check's summary when an evaluation failed for good.
pub fn acks_failed(what: &str, delivery: &str) -> String {
    format!(
        "{what}\n\nPush again or comment to retry; the maintainers of the pushgate \
         installation can see the details in its log (delivery `{delivery}`)."
    )
}

/// A pull request with more files than GitHub lists.
pub fn too_many_files(pr: impl Display, limit: usize) -> String {
    format!(
        "pull request #{pr} changes {limit} files or more, and GitHub lists no more than that: \
         it is too large to judge. Split it."
    )
}

/// A pull request with more commits than GitHub lists.
pub fn too_many_pr_commits(pr: impl Display, total: usize, listed: usize) -> String {
    format!(
        "pull request #{pr} has {total} commits, and GitHub lists no more than {listed}: it is \
         too large to judge. Squash or split it."
    )
}

/// A comment someone else edited before pushgate saw what its author wrote.
pub fn edited_by_someone_else(login: &str) -> String {
    format!(
        "A comment by @{login} was edited by someone else before pushgate saw what @{login} \
         wrote: it counts once @{login} answers again."
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_names_the_person_and_says_nothing_changed() {
        let refusals = [
            refused("nora", "`x` is not a UTC time"),
            only("nora", HOLDERS, "embargo or lift an embargo"),
            only("nora", COMMITTERS, "merge"),
            embargo_on_issue("nora"),
            no_embargo("nora"),
            advisory_tracked_elsewhere("nora", "XSA-1", 4),
            no_advisory("nora", "XSA-1"),
            advisory_disclosed("nora", "XSA-1", 0),
            already_open("nora", "vote", 0),
        ];
        for refusal in refusals {
            assert!(refusal.starts_with("@nora: "), "{refusal}");
            assert!(refusal.ends_with("; nothing changed."), "{refusal}");
        }
        assert!(advisory_on_pull_request("nora").ends_with("Nothing changed."));
    }

    #[test]
    fn the_gate_names_its_commits_and_says_nothing_was_forced() {
        let refused = fast_forward_refused("aaaa", "bbbb", "not a fast-forward", "cccc");
        for part in [
            "`aaaa`",
            "`bbbb`",
            "not a fast-forward",
            "`cccc`",
            "nothing was forced",
        ] {
            assert!(refused.contains(part), "{refused}");
        }
        let told = culprit(
            "dddd",
            "x86: fix",
            "Ann",
            &["build".into(), "test".into()],
            4,
        );
        assert!(told.contains("`dddd` (\"x86: fix\" by Ann)"), "{told}");
        assert!(
            told.contains("first to fail `build`, `test` (flight #4)"),
            "{told}"
        );
        assert!(objection_overridden("a", "b", "a majority vote")
            .ends_with("by a majority vote of the committers."));
        assert!(objection_overridden("a", "b", "cora").ends_with("by @cora."));
    }

    #[test]
    fn merge_refusals_say_not_merged() {
        for refusal in [
            not_merged("cora", "held back"),
            moved_while_checked("cora", "aaaa", "bbbb"),
            acks_not_satisfied("cora", "Missing acks"),
            no_verdict("cora"),
        ] {
            assert!(refusal.starts_with("@cora: not merged: "), "{refusal}");
        }
    }

    #[test]
    fn a_tracked_advisory_says_how_to_set_its_disclosure_until_it_has_one() {
        let day = 86_400;
        let without = tracking_advisory("sec", "XSA-1", (0, 7 * day), None);
        assert!(without.contains("`/pushgate advisory XSA-1 disclose <UTC time>`"));
        let with = tracking_advisory("sec", "XSA-1", (0, 7 * day), Some((day, 15 * day)));
        assert!(with.ends_with(&format!(
            "pre-disclosure {}, announcement {}.",
            utc(day),
            utc(15 * day)
        )));
    }
}
