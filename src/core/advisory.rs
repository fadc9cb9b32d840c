//! The security timeline (the Xen "Security Vulnerabilities" process): `/pushgate advisory
//! <name> [reported <date>]` on an issue starts tracking an advisory, and `/pushgate advisory
//! <name> disclose <UTC time>` sets its disclosure date. From the report the fix is due after
//! `advisory_fix_within` (a week); the pre-disclosure goes out `advisory_predisclosure` (two
//! weeks) before the disclosure, and the announcement at it. This module reads the commands,
//! computes the timeline, says which reminders are due at a moment (each once, by a key that
//! names the step and its date), whether an advisory may be shown publicly, and writes the
//! status comment and the reminders. Time is a parameter; who may act is decided by the edges.

use super::embargo::parse_utc;
use super::text::utc;

/// The longest advisory name (`XSA-466`, `CVE-2026-12345`, …).
pub const MAX_NAME: usize = 64;

/// How far ahead a disclosure may be set: two years (a later one is a typo).
pub const MAX_AHEAD: i64 = 2 * 366 * 86_400;

const USAGE: &str =
    "/pushgate advisory <name> [reported <date>] | /pushgate advisory <name> disclose <UTC time>";

/// An advisory command given in a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Track advisory `name` on this issue, reported at `reported` (Unix seconds; `None`: now).
    Start { name: String, reported: Option<i64> },
    /// Set (or move) the disclosure of advisory `name` to `at`.
    Disclose { name: String, at: i64 },
}

impl Command {
    pub fn name(&self) -> &str {
        match self {
            Command::Start { name, .. } | Command::Disclose { name, .. } => name,
        }
    }
}

/// An advisory command pushgate cannot follow; the text says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("`/pushgate advisory` needs a name, such as `XSA-123`: the command is `{USAGE}`")]
    Missing,
    #[error(
        "`{0}` is not an advisory name: letters, digits, `-`, `_` and `.`, at most 64 \
         characters"
    )]
    BadName(String),
    #[error(
        "`{0}` is not a UTC time: write e.g. `2026-03-01T12:00:00Z`, `2026-03-01 12:00 UTC` \
         or `2026-03-01`"
    )]
    NotATime(String),
    #[error("`{0}` is in the future: a report date is today or earlier")]
    FutureReport(String),
    #[error("`{0}` is already past: a disclosure is in the future")]
    Past(String),
    #[error("`{0}` is more than two years ahead")]
    TooFar(String),
    #[error("`{0}` is not understood here: the command is `{USAGE}`")]
    Unexpected(String),
}

/// The advisory command in a comment, if it gives one: the first line that is `/pushgate
/// advisory …`. A report date must not be after `now`; a disclosure must be after `now` and
/// at most [`MAX_AHEAD`] later.
pub fn read_command(body: &str, now: i64) -> Option<Result<Command, CommandError>> {
    let line = super::command::find(body, &["advisory"])?;
    Some(read_rest(&line.words, now))
}

fn read_rest(words: &[&str], now: i64) -> Result<Command, CommandError> {
    let Some((name, rest)) = words.split_first() else {
        return Err(CommandError::Missing);
    };
    let name = read_name(name)?;
    match rest {
        [] => Ok(Command::Start {
            name,
            reported: None,
        }),
        ["reported", when @ ..] if !when.is_empty() => {
            let written = when.join(" ");
            let at = parse_utc(&written).ok_or_else(|| CommandError::NotATime(written.clone()))?;
            if at > now {
                return Err(CommandError::FutureReport(written));
            }
            Ok(Command::Start {
                name,
                reported: Some(at),
            })
        }
        ["disclose", when @ ..] if !when.is_empty() => {
            let written = when.join(" ");
            let at = parse_utc(&written).ok_or_else(|| CommandError::NotATime(written.clone()))?;
            if at <= now {
                Err(CommandError::Past(written))
            } else if at - now > MAX_AHEAD {
                Err(CommandError::TooFar(written))
            } else {
                Ok(Command::Disclose { name, at })
            }
        }
        [word, ..] => Err(CommandError::Unexpected(word.to_string())),
    }
}

/// An advisory's name as written, when it is one.
pub fn read_name(word: &str) -> Result<String, CommandError> {
    let fine = !word.is_empty()
        && word.len() <= MAX_NAME
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && word
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if fine {
        Ok(word.to_string())
    } else {
        Err(CommandError::BadName(word.to_string()))
    }
}

/// The configured periods, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Periods {
    /// From the report to the fix's deadline.
    pub fix_within: i64,
    /// From the pre-disclosure to the disclosure.
    pub predisclosure: i64,
    /// How long before each deadline the security team is reminded.
    pub remind_before: i64,
}

/// An advisory's dates (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    pub reported: i64,
    pub fix_due: i64,
    /// When the pre-disclosure goes out; known once the disclosure is.
    pub predisclosure: Option<i64>,
    /// The announcement.
    pub disclosure: Option<i64>,
    pub remind_before: i64,
}

impl Timeline {
    pub fn new(reported: i64, disclosure: Option<i64>, periods: Periods) -> Timeline {
        Timeline {
            reported,
            fix_due: reported.saturating_add(periods.fix_within),
            predisclosure: disclosure.map(|d| d.saturating_sub(periods.predisclosure)),
            disclosure,
            remind_before: periods.remind_before,
        }
    }

    /// Every step with its deadline and the moment pushgate acts on it, in time order.
    pub fn steps(&self) -> Vec<Planned> {
        let remind = |step, deadline: i64| Planned {
            step,
            deadline,
            at: deadline.saturating_sub(self.remind_before),
        };
        let mut steps = vec![remind(Step::FixDue, self.fix_due)];
        if let Some(p) = self.predisclosure {
            steps.push(remind(Step::Predisclosure, p));
        }
        if let Some(d) = self.disclosure {
            steps.push(remind(Step::Announcement, d));
            steps.push(Planned {
                step: Step::Disclosed,
                deadline: d,
                at: d,
            });
        }
        steps.sort_by_key(|s| (s.at, s.deadline));
        steps
    }

    /// The steps whose moment came by `now` and that were not done (`done` holds their
    /// [`Planned::key`]s).
    pub fn due(&self, done: &[String], now: i64) -> Vec<Planned> {
        self.steps()
            .into_iter()
            .filter(|s| s.at <= now && !done.contains(&s.key()))
            .collect()
    }

    /// When pushgate must act next: the earliest step not done.
    pub fn next(&self, done: &[String]) -> Option<i64> {
        self.steps()
            .into_iter()
            .filter(|s| !done.contains(&s.key()))
            .map(|s| s.at)
            .min()
    }
}

/// A step of the timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The reminder before the fix is due.
    FixDue,
    /// The reminder before the pre-disclosure.
    Predisclosure,
    /// The reminder before the announcement.
    Announcement,
    /// The disclosure time came: the advisory is public.
    Disclosed,
}

impl Step {
    pub fn word(self) -> &'static str {
        match self {
            Step::FixDue => "fix-due",
            Step::Predisclosure => "predisclosure",
            Step::Announcement => "announcement",
            Step::Disclosed => "disclosed",
        }
    }
}

/// A step with its deadline and when pushgate acts on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    pub step: Step,
    pub deadline: i64,
    pub at: i64,
}

impl Planned {
    /// What names this step done: the step and its date, so a moved date is a new step.
    pub fn key(&self) -> String {
        format!("{}@{}", self.step.word(), self.deadline)
    }
}

/// May the advisory be shown to anyone (the dashboard's public pages)? Only when its issue is
/// public, or once its disclosure time came.
pub fn shown_publicly(private: bool, disclosure: Option<i64>, now: i64) -> bool {
    !private || disclosure.is_some_and(|d| now >= d)
}

/// The reminder for a step (a reminder step, not [`Step::Disclosed`]), mentioning `team`.
pub fn reminder(name: &str, planned: &Planned, team: &[String], now: i64) -> String {
    let who = team
        .iter()
        .map(|l| format!("@{l}"))
        .collect::<Vec<_>>()
        .join(" ");
    let when = utc(planned.deadline);
    let tense = if now < planned.deadline {
        "is due"
    } else {
        "was due"
    };
    let what = match planned.step {
        Step::FixDue => format!("the fix for **{name}** {tense} at **{when}**"),
        Step::Predisclosure => format!(
            "the pre-disclosure of **{name}** to the pre-disclosure list {tense} at **{when}**"
        ),
        Step::Announcement | Step::Disclosed => {
            format!("the public announcement of **{name}** {tense} at **{when}**")
        }
    };
    format!("{who}: reminder: {what}.")
}

/// An embargoed pull request linked to the advisory, for the status comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linked {
    pub number: i64,
    pub until: i64,
    /// `held`, `lifted` or `expired`.
    pub state: String,
}

/// The status comment kept current on the advisory's issue. It depends on the dates, the
/// steps done and the linked pull requests only (never on the clock), so it changes only when
/// one of them does.
pub fn status(name: &str, t: &Timeline, done: &[String], linked: &[Linked]) -> String {
    let steps = t.steps();
    let state = |step: Step| -> &'static str {
        match steps.iter().find(|s| s.step == step) {
            Some(s) if done.contains(&s.key()) => match step {
                Step::Disclosed => "disclosed",
                _ => "reminded",
            },
            Some(_) => "pending",
            None => "",
        }
    };
    let mut out = format!(
        "### Security advisory {name}\n\n| Step | When | State |\n|---|---|---|\n\
         | Reported | {} | done |\n| Fix due | {} | {} |\n",
        utc(t.reported),
        utc(t.fix_due),
        state(Step::FixDue),
    );
    match (t.predisclosure, t.disclosure) {
        (Some(p), Some(d)) => {
            out.push_str(&format!(
                "| Pre-disclosure | {} | {} |\n| Announcement | {} | {} |\n",
                utc(p),
                state(Step::Predisclosure),
                utc(d),
                match state(Step::Disclosed) {
                    "disclosed" => "disclosed",
                    _ => state(Step::Announcement),
                }
            ));
        }
        _ => out.push_str(&format!(
            "| Pre-disclosure | not set | |\n| Announcement | not set | |\n\n\
             Set the disclosure date with `/pushgate advisory {name} disclose <UTC time>`.\n"
        )),
    }
    out.push_str("\nEmbargoed pull requests: ");
    if linked.is_empty() {
        out.push_str(&format!(
            "none yet (hold one with `/pushgate embargo <UTC time> advisory {name}`)."
        ));
    } else {
        let rows: Vec<String> = linked
            .iter()
            .map(|l| match l.state.as_str() {
                "held" => format!("#{} (until {})", l.number, utc(l.until)),
                other => format!("#{} ({other})", l.number),
            })
            .collect();
        out.push_str(&rows.join(", "));
        out.push('.');
    }
    out.push('\n');
    if t.remind_before > 0 {
        out.push_str(&format!(
            "\nThe security team is reminded {} before each deadline.\n",
            super::text::human_seconds(t.remind_before)
        ));
    }
    out
}

/// An advisory as the gate's dashboard issue lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    /// The issue it is tracked on.
    pub number: i64,
    pub fix_due: i64,
    pub disclosure: Option<i64>,
    pub disclosed: bool,
}

/// The dashboard issue's advisories section: empty when none may be shown (the caller passes
/// only those [`shown_publicly`] allows).
pub fn dashboard_section(listed: &[Listed]) -> String {
    if listed.is_empty() {
        return String::new();
    }
    let mut out = String::from(
        "\n\n### Security advisories\n\n| Advisory | Issue | Fix due | Disclosure |\n|---|---|---|---|\n",
    );
    for l in listed {
        let disclosure = match (l.disclosure, l.disclosed) {
            (Some(d), true) => format!("{} (disclosed)", utc(d)),
            (Some(d), false) => utc(d),
            (None, _) => "not set".to_string(),
        };
        out.push_str(&format!(
            "| {} | #{} | {} | {disclosure} |\n",
            l.name,
            l.number,
            utc(l.fix_due)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600; // 2026-01-01 00:00 UTC
    const DAY: i64 = 86_400;
    const PERIODS: Periods = Periods {
        fix_within: 7 * DAY,
        predisclosure: 14 * DAY,
        remind_before: DAY,
    };

    fn start(name: &str, reported: Option<i64>) -> Option<Result<Command, CommandError>> {
        Some(Ok(Command::Start {
            name: name.into(),
            reported,
        }))
    }

    #[test]
    fn commands_read_as_written() {
        let cases: &[(&str, Option<Result<Command, CommandError>>)] = &[
            ("nothing here", None),
            ("/pushgate embargo 2026-02-01", None),
            ("/pushgate advisory XSA-466", start("XSA-466", None)),
            (
                "Tracking.\n/pushgate advisory XSA-466 reported 2025-12-30\nthanks",
                start("XSA-466", Some(NOW - 2 * DAY)),
            ),
            (
                "/pushgate advisory CVE-2026-1.x reported 2025-12-31 12:00 UTC",
                start("CVE-2026-1.x", Some(NOW - DAY / 2)),
            ),
            (
                "/pushgate advisory XSA-466 disclose 2026-02-01T12:00Z",
                Some(Ok(Command::Disclose {
                    name: "XSA-466".into(),
                    at: NOW + 31 * DAY + DAY / 2,
                })),
            ),
            ("/pushgate advisory", Some(Err(CommandError::Missing))),
            (
                "/pushgate advisory -x",
                Some(Err(CommandError::BadName("-x".into()))),
            ),
            (
                "/pushgate advisory XSA<1>",
                Some(Err(CommandError::BadName("XSA<1>".into()))),
            ),
            (
                "/pushgate advisory XSA-1 reported",
                Some(Err(CommandError::Unexpected("reported".into()))),
            ),
            (
                "/pushgate advisory XSA-1 soon",
                Some(Err(CommandError::Unexpected("soon".into()))),
            ),
            (
                "/pushgate advisory XSA-1 reported yesterday",
                Some(Err(CommandError::NotATime("yesterday".into()))),
            ),
            (
                "/pushgate advisory XSA-1 reported 2026-01-02",
                Some(Err(CommandError::FutureReport("2026-01-02".into()))),
            ),
            (
                "/pushgate advisory XSA-1 disclose 2026-01-01",
                Some(Err(CommandError::Past("2026-01-01".into()))),
            ),
            (
                "/pushgate advisory XSA-1 disclose 2029-01-01",
                Some(Err(CommandError::TooFar("2029-01-01".into()))),
            ),
        ];
        for (body, want) in cases {
            assert_eq!(&read_command(body, NOW), want, "{body}");
        }
        let long = format!("/pushgate advisory {}", "a".repeat(MAX_NAME + 1));
        assert!(matches!(
            read_command(&long, NOW),
            Some(Err(CommandError::BadName(_)))
        ));
    }

    #[test]
    fn the_timeline_counts_from_the_report_and_back_from_the_disclosure() {
        let disclose = NOW + 30 * DAY;
        let cases = [
            (NOW, None, NOW + 7 * DAY, None),
            (NOW, Some(disclose), NOW + 7 * DAY, Some(NOW + 16 * DAY)),
            // A disclosure sooner than the pre-disclosure period: the pre-disclosure is past.
            (
                NOW,
                Some(NOW + 10 * DAY),
                NOW + 7 * DAY,
                Some(NOW - 4 * DAY),
            ),
        ];
        for (reported, disclosure, fix_due, predisclosure) in cases {
            let t = Timeline::new(reported, disclosure, PERIODS);
            assert_eq!(
                (t.fix_due, t.predisclosure, t.disclosure),
                (fix_due, predisclosure, disclosure)
            );
        }
        // Long periods saturate rather than wrap.
        let huge = Periods {
            fix_within: i64::MAX,
            predisclosure: i64::MAX,
            remind_before: i64::MAX,
        };
        let t = Timeline::new(NOW, Some(NOW + DAY), huge);
        assert_eq!(t.fix_due, i64::MAX);
        assert!(t.steps().iter().all(|s| s.at <= s.deadline));
    }

    #[test]
    fn each_reminder_is_due_once_a_day_before_its_deadline_and_the_disclosure_at_its_time() {
        let t = Timeline::new(NOW, Some(NOW + 30 * DAY), PERIODS);
        let words = |due: Vec<Planned>| due.iter().map(|p| p.step.word()).collect::<Vec<_>>();
        let fix = "fix-due@".to_string() + &(NOW + 7 * DAY).to_string();
        let pre = "predisclosure@".to_string() + &(NOW + 16 * DAY).to_string();
        let ann = "announcement@".to_string() + &(NOW + 30 * DAY).to_string();
        type Case<'a> = (i64, &'a [String], &'a [&'a str], Option<i64>);
        let cases: &[Case] = &[
            (NOW, &[], &[], Some(NOW + 6 * DAY)),
            (NOW + 6 * DAY - 1, &[], &[], Some(NOW + 6 * DAY)),
            (NOW + 6 * DAY, &[], &["fix-due"], Some(NOW + 6 * DAY)),
            (
                NOW + 6 * DAY,
                std::slice::from_ref(&fix),
                &[],
                Some(NOW + 15 * DAY),
            ),
            // Down for weeks: everything due at once, in time order.
            (
                NOW + 40 * DAY,
                &[],
                &["fix-due", "predisclosure", "announcement", "disclosed"],
                Some(NOW + 6 * DAY),
            ),
            (
                NOW + 30 * DAY,
                &[fix.clone(), pre.clone(), ann.clone()],
                &["disclosed"],
                Some(NOW + 30 * DAY),
            ),
        ];
        for (now, done, want, next) in cases {
            assert_eq!(&words(t.due(done, *now)), want, "at {now}, done {done:?}");
            assert_eq!(t.next(done), *next, "at {now}, done {done:?}");
        }
        let all: Vec<String> = t.steps().iter().map(Planned::key).collect();
        assert!(t.due(&all, i64::MAX).is_empty());
        assert_eq!(t.next(&all), None);
        // A moved disclosure makes new steps: the old keys do not cover them.
        let moved = Timeline::new(NOW, Some(NOW + 40 * DAY), PERIODS);
        assert_eq!(
            words(moved.due(&all, NOW + 40 * DAY)),
            ["predisclosure", "announcement", "disclosed"]
        );
        // Without a disclosure date only the fix is tracked.
        let open = Timeline::new(NOW, None, PERIODS);
        assert_eq!(words(open.due(&[], i64::MAX)), ["fix-due"]);
    }

    #[test]
    fn an_advisory_is_public_on_a_public_issue_or_from_its_disclosure() {
        let cases = [
            (false, None, NOW, true),
            (true, None, NOW, false),
            (true, Some(NOW + 1), NOW, false),
            (true, Some(NOW), NOW, true),
            (true, Some(NOW - 1), NOW, true),
        ];
        for (private, disclosure, now, want) in cases {
            assert_eq!(
                shown_publicly(private, disclosure, now),
                want,
                "{private} {disclosure:?}"
            );
        }
    }

    #[test]
    fn the_status_shows_dates_states_and_linked_pull_requests() {
        let open = Timeline::new(NOW, None, PERIODS);
        let text = status("XSA-9", &open, &[], &[]);
        assert!(text.starts_with("### Security advisory XSA-9\n"), "{text}");
        assert!(
            text.contains("| Fix due | 2026-01-08 00:00 UTC | pending |"),
            "{text}"
        );
        assert!(
            text.contains("`/pushgate advisory XSA-9 disclose <UTC time>`"),
            "{text}"
        );
        assert!(text.contains("none yet"), "{text}");

        let t = Timeline::new(NOW, Some(NOW + 30 * DAY), PERIODS);
        let done: Vec<String> = t.steps().iter().map(Planned::key).collect();
        let linked = [
            Linked {
                number: 12,
                until: NOW + 30 * DAY,
                state: "held".into(),
            },
            Linked {
                number: 13,
                until: NOW,
                state: "lifted".into(),
            },
        ];
        let text = status("XSA-9", &t, &done[..1], &linked);
        assert!(text.contains("| Fix due | 2026-01-08 00:00 UTC | reminded |"));
        assert!(text.contains("| Pre-disclosure | 2026-01-17 00:00 UTC | pending |"));
        assert!(text.contains("| Announcement | 2026-01-31 00:00 UTC | pending |"));
        assert!(text.contains("#12 (until 2026-01-31 00:00 UTC), #13 (lifted)."));
        let text = status("XSA-9", &t, &done, &linked);
        assert!(text.contains("| Announcement | 2026-01-31 00:00 UTC | disclosed |"));
        // Nothing in it depends on the clock: the same inputs give the same text.
        assert_eq!(text, status("XSA-9", &t, &done, &linked));
    }

    #[test]
    fn reminders_mention_the_team_and_say_what_is_due() {
        let t = Timeline::new(NOW, Some(NOW + 30 * DAY), PERIODS);
        let team = ["sec-a".to_string(), "sec-b".to_string()];
        let steps = t.steps();
        let cases = [
            (0, NOW, "@sec-a @sec-b: reminder: the fix for **XSA-9** is due at **2026-01-08 00:00 UTC**."),
            (1, NOW + 20 * DAY, "@sec-a @sec-b: reminder: the pre-disclosure of **XSA-9** to the pre-disclosure list was due at **2026-01-17 00:00 UTC**."),
            (2, NOW, "@sec-a @sec-b: reminder: the public announcement of **XSA-9** is due at **2026-01-31 00:00 UTC**."),
        ];
        for (i, now, want) in cases {
            assert_eq!(reminder("XSA-9", &steps[i], &team, now), want);
        }
    }

    #[test]
    fn the_dashboard_issue_lists_what_may_be_shown_and_nothing_when_none() {
        assert_eq!(dashboard_section(&[]), "");
        let listed = [
            Listed {
                name: "XSA-1".into(),
                number: 4,
                fix_due: NOW,
                disclosure: Some(NOW + DAY),
                disclosed: true,
            },
            Listed {
                name: "XSA-2".into(),
                number: 5,
                fix_due: NOW,
                disclosure: None,
                disclosed: false,
            },
        ];
        let text = dashboard_section(&listed);
        assert!(text.contains("### Security advisories"), "{text}");
        assert!(text
            .contains("| XSA-1 | #4 | 2026-01-01 00:00 UTC | 2026-01-02 00:00 UTC (disclosed) |"));
        assert!(text.contains("| XSA-2 | #5 | 2026-01-01 00:00 UTC | not set |"));
    }
}
