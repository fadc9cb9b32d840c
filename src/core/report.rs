//! The `pushgate/acks` check run's text: Markdown written for the person reading it — what is
//! missing, who can give it, what to do next — kept within GitHub's 65,535-character limit.

use crate::core::people::Person;
use crate::core::policy::Status;
use crate::core::pull::PullVerdict;
use crate::core::text::{cell, human_seconds, truncate, utc};

/// GitHub's limit for a check run's summary (SPEC §9).
pub const SUMMARY_LIMIT: usize = 65_535;

/// Title and summary of the check run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub title: String,
    pub summary: String,
}

impl Report {
    /// Title and summary as one text: what the store keeps as the verdict shown on a check.
    pub fn shown(&self) -> String {
        format!("{}\n{}", self.title, self.summary)
    }
}

/// Renders a verdict. `login_of` names a person's GitHub login when known (for @-mentions);
/// `notes` are shown first (e.g. "this PR edits MAINTAINERS; judged by the base version").
pub fn acks_report(
    verdict: &PullVerdict,
    login_of: &dyn Fn(&Person) -> Option<String>,
    notes: &[String],
    min_open: i64,
) -> Report {
    let v = &verdict.verdict;
    let met = v.requirements.iter().filter(|r| r.status.is_met()).count();
    let title = if verdict.satisfied {
        format!("All {} maintainer requirement(s) met", v.requirements.len())
    } else {
        format!(
            "{} of {} maintainer requirement(s) met; {} thing(s) missing",
            met,
            v.requirements.len(),
            verdict.missing.len()
        )
    };
    let who = |p: &Person| match login_of(p) {
        Some(login) => format!("@{login}"),
        None if p.name.is_empty() => p.email.clone(),
        None => p.name.clone(),
    };
    let mut out = String::new();
    for note in notes {
        out.push_str(&format!("> **Note:** {}\n\n", cell(note)));
    }
    if verdict.satisfied {
        out.push_str("**Ready:** every changed file has its maintainers' approval.\n\n");
    } else {
        out.push_str("**Not ready yet.** Missing:\n\n");
        for line in &verdict.missing {
            out.push_str(&format!("- {}\n", cell(line)));
        }
        out.push('\n');
    }

    out.push_str("| Area | Files | Who may ack | Status |\n|---|---|---|---|\n");
    let mut rows = String::new();
    for r in &v.requirements {
        let mut files = match r.files.as_slice() {
            [] => String::new(),
            [one] => format!("`{}`", cell(one)),
            [first, rest @ ..] => format!("`{}` and {} more", cell(first), rest.len()),
        };
        if let Some(features) = &r.status_change {
            files.push_str(&format!(" (support status of {})", cell(features)));
        }
        let approvers: Vec<String> = r.approvers.iter().map(&who).collect();
        let status = match &r.status {
            Status::AckedBy { person } => format!("✅ acked by {}", who(person)),
            Status::AuthoredByMaintainer { person } => {
                format!("✅ authored by maintainer {}", who(person))
            }
            Status::StoodInBy {
                person,
                section,
                authored,
            } => format!(
                "✅ stood in by {} as more general maintainer ({}){}",
                who(person),
                cell(section),
                if *authored { ", as author" } else { "" }
            ),
            Status::Missing => "❌ missing".to_string(),
            Status::NoMaintainer => "❌ no maintainer covers these files".to_string(),
        };
        rows.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            cell(&r.sections.join(", ")),
            files,
            if approvers.is_empty() {
                "—".to_string()
            } else {
                approvers.join(", ")
            },
            status
        ));
    }
    out.push_str(&rows);
    out.push('\n');

    let others: Vec<String> = v.other_than_author.iter().map(&who).collect();
    out.push_str(&if others.is_empty() {
        "**Someone other than the author:** ❌ no ack or review yet.\n".to_string()
    } else {
        format!(
            "**Someone other than the author:** ✅ {}\n",
            others.join(", ")
        )
    });

    if !v.objections.is_empty() {
        out.push_str("\n**Objections**\n\n");
        for o in &v.objections {
            let reason = o
                .explanation
                .as_deref()
                .map(|e| format!(": {}", cell(e)))
                .unwrap_or_else(|| {
                    " — no explanation given yet. Every objection needs one; please say what \
                     would resolve it."
                        .to_string()
                });
            match &o.overridden_by {
                Some(by) => out.push_str(&format!(
                    "- ~~{}{}~~ (overridden by maintainer {})\n",
                    who(&o.person),
                    reason,
                    who(by)
                )),
                None => out.push_str(&format!("- {}{}\n", who(&o.person), reason)),
            }
        }
    }

    out.push_str(&format!(
        "\n**Time to respond:** open {} since the last push ({}); {}.\n",
        human_seconds(min_open),
        utc(verdict.window.since),
        if verdict.window.open {
            format!("ready at {}", utc(verdict.window.ready_at))
        } else {
            "done".to_string()
        }
    ));

    if !v.ask.is_empty() {
        let ask: Vec<String> = v.ask.iter().map(&who).collect();
        out.push_str(&format!(
            "\n**Suggested maintainers to ask:** {} (the fewest people who cover every \
             missing ack). Ask with a comment; they answer with an approving review, \
             `/ack`, or an `Acked-by:` line.\n",
            ask.join(", ")
        ));
    }

    let notify = &verdict.notify;
    if !notify.maintainers.is_empty() || !notify.reviewers.is_empty() {
        let list = |people: &[Person]| people.iter().map(&who).collect::<Vec<_>>().join(", ");
        out.push_str(
            "\n**Whom to notify** (get_maintainer.pl's list, `K:` keywords matched on the diff):",
        );
        if !notify.maintainers.is_empty() {
            out.push_str(&format!(" maintainers {}", list(&notify.maintainers)));
        }
        if !notify.reviewers.is_empty() {
            if !notify.maintainers.is_empty() {
                out.push(';');
            }
            out.push_str(&format!(" reviewers {}", list(&notify.reviewers)));
        }
        out.push_str(".\n");
    }

    if !verdict.dismissed.is_empty() {
        out.push_str("\n**Acks dismissed by later pushes**\n\n");
        for d in &verdict.dismissed {
            out.push_str(&format!("- @{}: {}\n", cell(&d.login), cell(&d.reason)));
        }
    }

    if !verdict.claims.is_empty() {
        out.push_str(
            "\n**Unverified claims in commits** (trailers in the PR's own commits are not \
             counted: anyone can write them; the named people can ack here)\n\n",
        );
        for c in &verdict.claims {
            let short: String = c.sha.chars().take(12).collect();
            out.push_str(&format!("- `{short}`: {}\n", cell(&c.trailer)));
        }
    }

    Report {
        title: truncate(&title, 200),
        summary: truncate(&out, SUMMARY_LIMIT),
    }
}

/// What a stored verdict (a [`Report::shown`] text) says is missing and whom to ask, read
/// back for the dashboard: the "Missing" list and the suggested maintainers, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Waiting {
    pub missing: Vec<String>,
    pub ask: Vec<String>,
}

/// Reads [`Waiting`] back from the text [`acks_report`] wrote (the first line is the title).
pub fn waiting(shown: &str) -> Waiting {
    let mut waiting = Waiting::default();
    let mut in_missing = false;
    for line in shown.lines() {
        if line.starts_with("**Not ready yet.** Missing:") {
            in_missing = true;
            continue;
        }
        if in_missing {
            match line.strip_prefix("- ") {
                Some(item) => waiting.missing.push(item.to_string()),
                None if line.is_empty() && waiting.missing.is_empty() => {}
                None => in_missing = false,
            }
        }
        if let Some(rest) = line.strip_prefix("**Suggested maintainers to ask:** ") {
            let names = rest.split(" (the fewest").next().unwrap_or_default();
            waiting.ask = names
                .split(", ")
                .map(str::trim)
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .collect();
        }
    }
    waiting
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::maintainers::{Maintainers, Matcher};
    use crate::core::people::Identities;
    use crate::core::policy::Options;
    use crate::core::pull::{evaluate, Comment, Dismissal, PrCommit, Settings, Timeline};
    use std::collections::HashMap;

    fn verdict(files: &[&str], comments: Vec<Comment>) -> PullVerdict {
        let matcher = Matcher::new(Maintainers::parse(include_str!(
            "../../fixtures/MAINTAINERS"
        )));
        let files: Vec<String> = files.iter().map(|f| f.to_string()).collect();
        let matches: Vec<_> = files.iter().map(|f| matcher.sections_for(f)).collect();
        let mut people = HashMap::new();
        people.insert(
            "sha-gh".to_string(),
            Person::parse("Sha Dow <sha@shadow.example>").unwrap(),
        );
        let timeline = Timeline {
            author: "newcomer".to_string(),
            files,
            comments,
            commits: vec![PrCommit {
                sha: "0123456789abcdef".to_string(),
                message: "x\n\nAcked-by: Sha Dow <sha@shadow.example>\n".to_string(),
                ..PrCommit::default()
            }],
            ..Timeline::default()
        };
        let settings = Settings {
            policy: Options::default(),
            min_open: 0,
            dismiss_on_push: Dismissal::TouchedSections,
            trust_commit_trailers: false,
            freeze_start: None,
            release_managers: Vec::new(),
            last_posting_date: None,
            release_date: None,
            referee_after: None,
            committers: Vec::new(),
        };
        evaluate(
            &timeline,
            matcher.maintainers(),
            &matches,
            &people,
            &Identities::default(),
            &settings,
            10,
        )
    }

    fn login_of(p: &Person) -> Option<String> {
        (p.email == "sha@shadow.example").then(|| "sha-gh".to_string())
    }

    #[test]
    fn failing_report_names_what_is_missing_and_whom_to_ask() {
        let v = verdict(
            &["xen/arch/x86/mm/shadow/multi.c", "xen/arch/arm/a.c"],
            vec![],
        );
        let report = acks_report(&v, &login_of, &["judged by the base branch".to_string()], 0);
        assert!(report.title.starts_with("0 of 2"), "{}", report.title);
        let s = &report.summary;
        assert!(s.contains("> **Note:** judged by the base branch"));
        assert!(s.contains("| X86 SHADOW PAGETABLES, X86 SHADOW TWIN | `xen/arch/x86/mm/shadow/multi.c` | @sha-gh, Twin Dow | ❌ missing |"), "{s}");
        assert!(s.contains("**Suggested maintainers to ask:**"));
        assert!(s.contains("Unverified claims in commits"));
        assert!(s.contains("`0123456789ab`: Acked-by: Sha Dow <sha@shadow.example>"));
    }

    #[test]
    fn passing_report_says_ready() {
        let comments = vec![Comment {
            login: "sha-gh".to_string(),
            body: "/ack".to_string(),
            at: 1,
            words: Default::default(),
        }];
        let mut v = verdict(&["xen/arch/x86/mm/shadow/multi.c"], comments);
        // Rule 2 is met by the ack; nothing else is missing.
        assert!(v.satisfied, "{:?}", v.missing);
        let report = acks_report(&v, &login_of, &[], 0);
        assert!(report.summary.contains("**Ready:**"));
        assert!(report.summary.contains("✅ acked by @sha-gh"));
        v.satisfied = false;
        assert!(!acks_report(&v, &login_of, &[], 0)
            .summary
            .contains("**Ready:**"));
    }

    #[test]
    fn huge_reports_fit_githubs_limit() {
        let files: Vec<String> = (0..5000).map(|i| format!("docs/area{i}/ü{i}.md")).collect();
        let refs: Vec<&str> = files.iter().map(String::as_str).collect();
        let v = verdict(&refs, vec![]);
        let report = acks_report(&v, &login_of, &["x".repeat(70_000)], 0);
        assert!(report.summary.len() <= SUMMARY_LIMIT);
        assert!(report
            .summary
            .ends_with("(truncated: GitHub limits this text)"));
    }

    #[test]
    fn what_is_missing_and_whom_to_ask_read_back_from_the_shown_text() {
        let cases = [
            ("All 1 maintainer requirement(s) met\n**Ready:** every changed file has its maintainers' approval.\n", Waiting::default()),
            (
                "0 of 1 maintainer requirement(s) met; 2 thing(s) missing\n**Not ready yet.** Missing:\n\n- an ack for X86\n- someone other than the author\n\n| Area |\n\n**Suggested maintainers to ask:** @jan-gh, Andrew Cooper (the fewest people who cover every missing ack). Ask with a comment.\n",
                Waiting {
                    missing: vec!["an ack for X86".into(), "someone other than the author".into()],
                    ask: vec!["@jan-gh".into(), "Andrew Cooper".into()],
                },
            ),
            // A verdict written some other way (an error on the check) reads as nothing.
            ("Cannot read MAINTAINERS\nline 3: bad", Waiting::default()),
        ];
        for (shown, want) in cases {
            assert_eq!(waiting(shown), want, "{shown}");
        }
        // The same reading over what `acks_report` writes.
        let v = verdict(&["xen/arch/x86/mm/shadow/multi.c"], vec![]);
        let back = waiting(&acks_report(&v, &login_of, &[], 0).shown());
        assert_eq!(back.missing.len(), v.missing.len(), "{back:?}");
        assert!(!back.missing.is_empty());
        assert!(back.ask.contains(&"@sha-gh".to_string()), "{back:?}");
    }
}
