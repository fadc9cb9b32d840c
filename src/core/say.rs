//! What pushgate says to people when they give it a command, in one place (as bors keeps its
//! `comment.rs`): the replies to committers' commands (`/pushgate merge`, `embargo`,
//! `advisory`, `vote`, `lazy-consensus`, the gate's `block`/`unblock`/`force`) and their
//! refusals. The handlers decide; this module words it, so that every refusal reads the same
//! way (who, what was wrong, and that nothing changed).

use std::fmt::Display;

use crate::core::text::utc;

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
