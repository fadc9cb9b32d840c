//! Votes and lazy consensus (SPEC §6, the Xen governance's "Decision Making"): the commands
//! that open them, the answers people give on lines of their own, and the result at the
//! deadline. Plain data in and out: time is a parameter, and who is a committer is decided by
//! the edges and passed in.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::pull::{Comment, Words};

/// The longest a vote or a lazy consensus may run: a year. Longer is a typo, and the deadline
/// must fit the store's clock.
pub const MAX_DURATION: u64 = 366 * 86_400;

/// How a vote is counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// The improved process of the Xen governance proposal: `+2 +1 0 -1 -2`; only a `-2`
    /// stops the agreement.
    #[default]
    Improved,
    /// The current Xen process: `+1 0 -1`; a single `-1` is a veto.
    Current,
    /// Formal votes (elections, governance changes): `+1 0 -1`; passes with a majority of the
    /// committers who voted, once the quorum voted.
    Majority,
}

impl Scheme {
    pub fn parse(text: &str) -> Option<Scheme> {
        match text {
            "improved" => Some(Scheme::Improved),
            "current" => Some(Scheme::Current),
            "majority" => Some(Scheme::Majority),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Scheme::Improved => "improved",
            Scheme::Current => "current",
            Scheme::Majority => "majority",
        }
    }

    /// The answers this scheme knows, highest first.
    pub fn values(self) -> &'static [i8] {
        match self {
            Scheme::Improved => &[2, 1, 0, -1, -2],
            Scheme::Current | Scheme::Majority => &[1, 0, -1],
        }
    }
}

/// What is being decided and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A vote among committers.
    Vote { scheme: Scheme, quorum: u32 },
    /// Lazy consensus: yes unless someone says no with an explanation.
    LazyConsensus,
}

impl Kind {
    /// The answers a comment may give.
    fn values(self) -> &'static [i8] {
        match self {
            Kind::Vote { scheme, .. } => scheme.values(),
            Kind::LazyConsensus => &[1, 0, -1],
        }
    }
}

/// A governance command given in a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `/pushgate vote [duration] [--scheme improved|current|majority]`.
    Vote {
        seconds: Option<u64>,
        scheme: Option<Scheme>,
    },
    /// `/pushgate lazy-consensus [duration]`.
    LazyConsensus { seconds: Option<u64> },
}

/// A governance command pushgate cannot read; the text says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("`{0}` is not a duration: write a number and a unit, such as `90m`, `72h` or `7d`")]
    NotADuration(String),
    #[error("`{0}` is no time at all: a decision needs a duration longer than zero")]
    Zero(String),
    #[error("`{0}` is too long: at most 366 days")]
    TooLong(String),
    #[error("`{0}` is not a vote scheme: write `improved`, `current` or `majority`")]
    UnknownScheme(String),
    #[error("`--scheme` needs a scheme: `improved`, `current` or `majority`")]
    SchemeMissing,
    #[error("`{0}` is not understood here: the command is `{1}`")]
    Unexpected(String, &'static str),
}

const VOTE_USAGE: &str = "/pushgate vote [duration] [--scheme improved|current|majority]";
const CONSENSUS_USAGE: &str = "/pushgate lazy-consensus [duration]";

/// The governance command in a comment, if it gives one: the first line that is
/// `/pushgate vote …` or `/pushgate lazy-consensus …`.
pub fn read_command(body: &str) -> Option<Result<Command, CommandError>> {
    let line = super::command::find(body, &["vote", "lazy-consensus"])?;
    let words = line.words.into_iter();
    Some(match line.verb {
        "vote" => read_vote(words),
        _ => read_consensus(words),
    })
}

fn read_vote<'a>(mut words: impl Iterator<Item = &'a str>) -> Result<Command, CommandError> {
    let (mut seconds, mut scheme) = (None, None);
    while let Some(word) = words.next() {
        let named = if word == "--scheme" {
            Some(words.next().ok_or(CommandError::SchemeMissing)?)
        } else {
            word.strip_prefix("--scheme=")
        };
        match named {
            Some(name) if scheme.is_none() => {
                scheme = Some(
                    Scheme::parse(name)
                        .ok_or_else(|| CommandError::UnknownScheme(name.to_string()))?,
                );
            }
            None if seconds.is_none() && !word.starts_with('-') => {
                seconds = Some(parse_duration(word)?);
            }
            _ => return Err(CommandError::Unexpected(word.to_string(), VOTE_USAGE)),
        }
    }
    Ok(Command::Vote { seconds, scheme })
}

fn read_consensus<'a>(words: impl Iterator<Item = &'a str>) -> Result<Command, CommandError> {
    let mut seconds = None;
    for word in words {
        if seconds.is_some() || word.starts_with('-') {
            return Err(CommandError::Unexpected(word.to_string(), CONSENSUS_USAGE));
        }
        seconds = Some(parse_duration(word)?);
    }
    Ok(Command::LazyConsensus { seconds })
}

/// A duration as a command spells it: numbers each with a unit (`s`, `m`, `h`, `d`, `w`),
/// such as `90m`, `72h`, `7d` or `1d12h`. Zero, overflow and more than [`MAX_DURATION`] are
/// refused.
pub fn parse_duration(text: &str) -> Result<u64, CommandError> {
    let wrong = || CommandError::NotADuration(text.to_string());
    let mut total: u64 = 0;
    let mut number: Option<u64> = None;
    for c in text.chars() {
        if let Some(digit) = c.to_digit(10) {
            let so_far = number.unwrap_or(0);
            number = Some(
                so_far
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(u64::from(digit)))
                    .ok_or_else(|| CommandError::TooLong(text.to_string()))?,
            );
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(wrong()),
        };
        let value = number.take().ok_or_else(wrong)?;
        total = value
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(|| CommandError::TooLong(text.to_string()))?;
    }
    if number.is_some() || text.is_empty() {
        return Err(wrong());
    }
    if total == 0 {
        return Err(CommandError::Zero(text.to_string()));
    }
    if total > MAX_DURATION {
        return Err(CommandError::TooLong(text.to_string()));
    }
    Ok(total)
}

/// The deadline of a decision opened at `opened` (Unix seconds) for `seconds`.
pub fn deadline(opened: i64, seconds: u64) -> Option<i64> {
    i64::try_from(seconds)
        .ok()
        .and_then(|s| opened.checked_add(s))
}

/// Spells a number of seconds the way commands take them.
pub fn spell(seconds: u64) -> String {
    match seconds {
        s if s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// One person's answer: the value and whether the comment explains it (other words than the
/// answer itself, such as the reasons or an alternative proposal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answer {
    pub login: String,
    pub value: i8,
    pub explained: bool,
    /// When the comment carrying it was written (Unix seconds).
    pub at: i64,
}

/// Reads an answer from a comment's text: a line of its own holding one of `kind`'s values
/// (the last such line counts). Quoted lines (`>`) are someone else's words and code blocks
/// are not answers. Any other line with words in it explains the answer.
pub fn read_answer(text: &str, kind: Kind) -> Option<(i8, bool)> {
    let mut value = None;
    let mut explained = false;
    let mut in_code = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with("```") || line.starts_with("~~~") {
            in_code = !in_code;
            continue;
        }
        if in_code || line.starts_with('>') || line.is_empty() {
            continue;
        }
        match answer_value(line).filter(|v| kind.values().contains(v)) {
            Some(v) => value = Some(v),
            None if line.starts_with("/pushgate ") => {}
            None => explained |= line.chars().any(char::is_alphabetic),
        }
    }
    value.map(|v| (v, explained))
}

/// `+2`, `+1`, `0`, `-1`, `-2` (also with a typographic minus), nothing else.
fn answer_value(line: &str) -> Option<i8> {
    let (sign, digits) = match line.chars().next()? {
        '+' => (1, &line[1..]),
        '-' => (-1, &line[1..]),
        c @ ('−' | '–') => (-1, &line[c.len_utf8()..]),
        _ => (1, line),
    };
    match digits {
        "0" if line == "0" => Some(0),
        "1" | "2" if line != digits => digits.parse::<i8>().ok().map(|d| sign * d),
        _ => None,
    }
}

/// The text of a comment that is its author's words: the current text when the author wrote
/// it, the last text the author was seen writing when someone else changed it, and none when
/// pushgate never saw what the author wrote. An edit by anyone else changes no answer.
pub fn authors_text(comment: &Comment) -> Option<&str> {
    match &comment.words {
        Words::Authors => Some(&comment.body),
        Words::Unverified { authored } => authored.as_deref(),
    }
}

/// Everyone's answer, one each: the latest comment written from `opened` up to `deadline`
/// that carries one (an edit by its author replaces its text; a later answer replaces an
/// earlier one). `ignore` names accounts whose comments are not answers (pushgate itself).
/// Also returns the logins whose comment was changed by someone else so that pushgate cannot
/// tell what they answered.
pub fn answers(
    comments: &[Comment],
    kind: Kind,
    opened: i64,
    deadline: i64,
    ignore: &dyn Fn(&str) -> bool,
) -> (Vec<Answer>, Vec<String>) {
    let mut latest: Vec<Answer> = Vec::new();
    let mut unreadable = Vec::new();
    let mut ordered: Vec<&Comment> = comments
        .iter()
        .filter(|c| c.at >= opened && c.at <= deadline && !ignore(&c.login))
        .collect();
    ordered.sort_by_key(|c| c.at);
    for c in ordered {
        let Some(text) = authors_text(c) else {
            if read_answer(&c.body, kind).is_some() {
                unreadable.push(c.login.clone());
            }
            continue;
        };
        let Some((value, explained)) = read_answer(text, kind) else {
            continue;
        };
        let answer = Answer {
            login: c.login.clone(),
            value,
            explained,
            at: c.at,
        };
        match latest
            .iter_mut()
            .find(|a| a.login.eq_ignore_ascii_case(&c.login))
        {
            Some(earlier) => *earlier = answer,
            None => latest.push(answer),
        }
    }
    unreadable.sort();
    unreadable.dedup();
    (latest, unreadable)
}

/// An answer and whether it counts: in a vote only committers' answers count (the others are
/// shown); in lazy consensus everyone's objection is heard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ballot {
    pub answer: Answer,
    pub counted: bool,
}

/// How a decision came out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Rejected(String),
}

impl Outcome {
    pub fn passed(&self) -> bool {
        matches!(self, Outcome::Passed)
    }
}

/// The count of a decision, as it stands or at its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub kind: Kind,
    pub ballots: Vec<Ballot>,
    /// What the decision would be if it ended now.
    pub outcome: Outcome,
    /// Negative answers without an explanation or alternative: flagged, their authors asked.
    pub unexplained: Vec<Answer>,
}

impl Tally {
    /// How many counted ballots gave `value`.
    pub fn count(&self, value: i8) -> usize {
        self.ballots
            .iter()
            .filter(|b| b.counted && b.answer.value == value)
            .count()
    }
}

/// Counts the ballots under `kind`'s rules.
pub fn tally(kind: Kind, ballots: Vec<Ballot>) -> Tally {
    let counted = |value: i8| {
        ballots
            .iter()
            .filter(|b| b.counted && b.answer.value == value)
            .map(|b| b.answer.login.as_str())
            .collect::<Vec<_>>()
    };
    let names = |logins: &[&str]| {
        logins
            .iter()
            .map(|l| format!("@{l}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let outcome = match kind {
        Kind::Vote {
            scheme: Scheme::Improved,
            ..
        } => match counted(-2).as_slice() {
            [] => Outcome::Passed,
            against => Outcome::Rejected(format!("a -2 from {}", names(against))),
        },
        Kind::Vote {
            scheme: Scheme::Current,
            ..
        } => match counted(-1).as_slice() {
            [] => Outcome::Passed,
            against => Outcome::Rejected(format!("a veto (-1) from {}", names(against))),
        },
        Kind::Vote {
            scheme: Scheme::Majority,
            quorum,
        } => {
            let (yes, no, abstain) = (counted(1).len(), counted(-1).len(), counted(0).len());
            let voted = yes + no + abstain;
            if voted < quorum as usize {
                Outcome::Rejected(format!(
                    "no quorum: {voted} of the {quorum} committers needed voted"
                ))
            } else if yes > no {
                Outcome::Passed
            } else {
                Outcome::Rejected(format!("{yes} for and {no} against: no majority"))
            }
        }
        Kind::LazyConsensus => {
            let standing: Vec<&str> = ballots
                .iter()
                .filter(|b| b.counted && b.answer.value < 0 && b.answer.explained)
                .map(|b| b.answer.login.as_str())
                .collect();
            if standing.is_empty() {
                Outcome::Passed
            } else {
                Outcome::Rejected(format!("an explained objection from {}", names(&standing)))
            }
        }
    };
    let unexplained = ballots
        .iter()
        .filter(|b| b.answer.value < 0 && !b.answer.explained)
        .map(|b| b.answer.clone())
        .collect();
    Tally {
        kind,
        ballots,
        outcome,
        unexplained,
    }
}

/// A signed answer as people write it.
pub struct Signed(pub i8);

impl fmt::Display for Signed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0 > 0 {
            write!(f, "+{}", self.0)
        } else {
            write!(f, "{}", self.0)
        }
    }
}

/// A UTC time as `2026-12-06 07:25 UTC`.
pub fn utc(at: i64) -> String {
    chrono::DateTime::from_timestamp(at, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| format!("{at} (Unix time)"))
}

/// The tally's Markdown: the rules, one row per answer, the counts and where it stands.
/// `open` says whether answers are still taken.
pub fn render(
    tally: &Tally,
    opened_by: &str,
    deadline_at: i64,
    asked: &[String],
    notes: &[String],
    open: bool,
) -> String {
    let mut out = String::new();
    match tally.kind {
        Kind::Vote { scheme, quorum } => {
            let values: Vec<String> = scheme
                .values()
                .iter()
                .map(|v| format!("`{}`", Signed(*v)))
                .collect();
            out.push_str(&format!(
                "### Vote ({} scheme), opened by @{opened_by}\n\n",
                scheme.name()
            ));
            let rule = match scheme {
                Scheme::Improved => "only a committer's `-2` stops it".to_string(),
                Scheme::Current => "a single committer's `-1` is a veto".to_string(),
                Scheme::Majority => format!(
                    "it passes with more committers for than against, once {quorum} committer(s) voted"
                ),
            };
            out.push_str(&format!(
                "Committers answer with {} on a line of their own; {rule}. A later answer or an \
                 edit by its author replaces the earlier one. A negative vote should come with an \
                 explanation or an alternative proposal.\n\n",
                values.join(" ")
            ));
        }
        Kind::LazyConsensus => {
            out.push_str(&format!(
                "### Lazy consensus, proposed by @{opened_by}\n\n\
                 Silence is consent: this passes at the deadline unless an objection with an \
                 explanation stands. To object, answer `-1` on a line of its own and say why \
                 (or propose an alternative); `+1` or `0` withdraws it.\n\n"
            ));
            if !asked.is_empty() {
                let names: Vec<String> = asked.iter().map(|l| format!("@{l}")).collect();
                out.push_str(&format!("Asked: {}\n\n", names.join(" ")));
            }
        }
    }
    if open {
        out.push_str(&format!("Deadline: **{}**\n\n", utc(deadline_at)));
    } else {
        out.push_str(&format!(
            "Closed at the deadline, {}.\n\n",
            utc(deadline_at)
        ));
    }
    if tally.ballots.is_empty() {
        out.push_str("No answers yet.\n");
    } else {
        out.push_str("| | Answer | Counted | Explained |\n|---|---|---|---|\n");
        for b in &tally.ballots {
            let counted = match (b.counted, tally.kind) {
                (true, _) => "yes",
                (false, Kind::Vote { .. }) => "no: not a committer",
                (false, Kind::LazyConsensus) => "no",
            };
            let explained = match (b.answer.value < 0, b.answer.explained) {
                (_, true) => "yes",
                (true, false) => "**no**: asked for one",
                (false, false) => "",
            };
            out.push_str(&format!(
                "| @{} | `{}` | {counted} | {explained} |\n",
                b.answer.login,
                Signed(b.answer.value)
            ));
        }
        if let Kind::Vote { scheme, .. } = tally.kind {
            let counts: Vec<String> = scheme
                .values()
                .iter()
                .map(|v| format!("`{}`: {}", Signed(*v), tally.count(*v)))
                .collect();
            out.push_str(&format!("\nCommitters: {}\n", counts.join(", ")));
        }
    }
    for note in notes {
        out.push_str(&format!("\n_{note}_\n"));
    }
    let (now, then) = if open {
        ("If it ended now", "it would pass")
    } else {
        ("Result", "passed")
    };
    let stands = match &tally.outcome {
        Outcome::Passed => format!("\n**{now}: {then}.**\n"),
        Outcome::Rejected(why) if open => format!("\n**{now}: it would not pass** ({why}).\n"),
        Outcome::Rejected(why) => format!("\n**{now}: not passed** ({why}).\n"),
    };
    out.push_str(&stands);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const IMPROVED: Kind = Kind::Vote {
        scheme: Scheme::Improved,
        quorum: 1,
    };
    const CURRENT: Kind = Kind::Vote {
        scheme: Scheme::Current,
        quorum: 1,
    };

    fn majority(quorum: u32) -> Kind {
        Kind::Vote {
            scheme: Scheme::Majority,
            quorum,
        }
    }

    fn ballot(login: &str, value: i8, explained: bool, counted: bool) -> Ballot {
        Ballot {
            answer: Answer {
                login: login.to_string(),
                value,
                explained,
                at: 0,
            },
            counted,
        }
    }

    fn comment(login: &str, at: i64, body: &str, words: Words) -> Comment {
        Comment {
            login: login.to_string(),
            body: body.to_string(),
            at,
            words,
        }
    }

    #[test]
    fn commands_are_read_with_their_duration_and_scheme() {
        let vote = |seconds, scheme| Some(Ok(Command::Vote { seconds, scheme }));
        let cases: Vec<(&str, Option<Result<Command, CommandError>>)> = vec![
            ("/pushgate vote", vote(None, None)),
            ("/pushgate vote 72h", vote(Some(72 * 3600), None)),
            (
                "Let us decide.\n/pushgate vote 7d --scheme majority",
                vote(Some(7 * 86_400), Some(Scheme::Majority)),
            ),
            (
                "/pushgate vote --scheme=current 90m",
                vote(Some(5400), Some(Scheme::Current)),
            ),
            ("/pushgate vote 1d12h", vote(Some(36 * 3600), None)),
            (
                "/pushgate lazy-consensus",
                Some(Ok(Command::LazyConsensus { seconds: None })),
            ),
            (
                "/pushgate lazy-consensus 72h",
                Some(Ok(Command::LazyConsensus {
                    seconds: Some(72 * 3600),
                })),
            ),
            (
                "/pushgate vote 0h",
                Some(Err(CommandError::Zero("0h".into()))),
            ),
            (
                "/pushgate vote 72",
                Some(Err(CommandError::NotADuration("72".into()))),
            ),
            (
                "/pushgate vote h",
                Some(Err(CommandError::NotADuration("h".into()))),
            ),
            (
                "/pushgate vote 3x",
                Some(Err(CommandError::NotADuration("3x".into()))),
            ),
            (
                "/pushgate vote 99999999999999999999d",
                Some(Err(CommandError::TooLong("99999999999999999999d".into()))),
            ),
            (
                "/pushgate vote 18446744073709551615w",
                Some(Err(CommandError::TooLong("18446744073709551615w".into()))),
            ),
            (
                "/pushgate vote 400d",
                Some(Err(CommandError::TooLong("400d".into()))),
            ),
            (
                "/pushgate vote --scheme weighted",
                Some(Err(CommandError::UnknownScheme("weighted".into()))),
            ),
            (
                "/pushgate vote --scheme",
                Some(Err(CommandError::SchemeMissing)),
            ),
            (
                "/pushgate vote 1h 2h",
                Some(Err(CommandError::Unexpected("2h".into(), VOTE_USAGE))),
            ),
            (
                "/pushgate lazy-consensus --scheme current",
                Some(Err(CommandError::Unexpected(
                    "--scheme".into(),
                    CONSENSUS_USAGE,
                ))),
            ),
            ("/pushgate merge", None),
            ("we could /pushgate vote on it", None),
            ("/pushgate votes", None),
        ];
        for (body, expected) in cases {
            assert_eq!(read_command(body), expected, "{body}");
        }
    }

    /// A comment's text, the decision's kind, and the answer read from it.
    type AnswerCase = (&'static str, Kind, Option<(i8, bool)>);

    #[test]
    fn an_answer_is_a_line_of_its_own_in_the_schemes_values() {
        let cases: [AnswerCase; 16] = [
            ("+2", IMPROVED, Some((2, false))),
            ("+1", IMPROVED, Some((1, false))),
            ("0", IMPROVED, Some((0, false))),
            ("-1\nThis breaks migration.", IMPROVED, Some((-1, true))),
            ("-2", IMPROVED, Some((-2, false))),
            ("−2", IMPROVED, Some((-2, false))),
            ("+2", CURRENT, None),
            ("-1", CURRENT, Some((-1, false))),
            ("I'd say +1 to that", IMPROVED, None),
            ("> -2\nI agree with the above.", IMPROVED, None),
            ("```\n-2\n```", IMPROVED, None),
            (
                "+1\nchanged my mind:\n-1\nbecause of the ABI",
                IMPROVED,
                Some((-1, true)),
            ),
            ("1", IMPROVED, None),
            ("+3", IMPROVED, None),
            ("-1\n/pushgate vote", LAZY, Some((-1, false))),
            ("-1\n:-(", LAZY, Some((-1, false))),
        ];
        for (text, kind, expected) in cases {
            assert_eq!(read_answer(text, kind), expected, "{text:?}");
        }
    }

    const LAZY: Kind = Kind::LazyConsensus;

    #[test]
    fn a_later_answer_or_the_authors_edit_replaces_the_earlier_and_others_edits_change_nothing() {
        let never = |_: &str| false;
        let comments = [
            comment("ann", 10, "+1", Words::Authors),
            comment("bob", 11, "-2\nToo risky.", Words::Authors),
            // Ann changes her mind in a later comment.
            comment("ann", 12, "-1\nOn reflection, no.", Words::Authors),
            // Someone else turned Cid's +2 into a -2: only Cid's own text counts.
            comment(
                "cid",
                13,
                "-2",
                Words::Unverified {
                    authored: Some("+2".into()),
                },
            ),
            // Dee's comment was edited by someone else before pushgate saw her text.
            comment("dee", 14, "-2", Words::Unverified { authored: None }),
            // Before the vote opened and after its deadline: not answers.
            comment("eve", 5, "-2", Words::Authors),
            comment("fay", 101, "-2", Words::Authors),
        ];
        let (answers, unreadable) = answers(&comments, IMPROVED, 10, 100, &never);
        let got: Vec<(&str, i8, bool)> = answers
            .iter()
            .map(|a| (a.login.as_str(), a.value, a.explained))
            .collect();
        assert_eq!(
            got,
            [("ann", -1, true), ("bob", -2, true), ("cid", 2, false)]
        );
        assert_eq!(unreadable, ["dee"]);
    }

    #[test]
    fn each_scheme_decides_by_its_own_rule() {
        let cases: Vec<(Kind, Vec<Ballot>, bool)> = vec![
            // improved: only a committer's -2 stops it.
            (IMPROVED, vec![], true),
            (
                IMPROVED,
                vec![ballot("a", -1, true, true), ballot("b", -1, false, true)],
                true,
            ),
            (
                IMPROVED,
                vec![ballot("a", 2, false, true), ballot("b", -2, true, true)],
                false,
            ),
            (
                IMPROVED,
                vec![ballot("a", 1, false, true), ballot("x", -2, true, false)],
                true,
            ),
            // current: a single -1 vetoes.
            (
                CURRENT,
                vec![ballot("a", 1, false, true), ballot("b", 1, false, true)],
                true,
            ),
            (
                CURRENT,
                vec![ballot("a", 1, false, true), ballot("b", -1, true, true)],
                false,
            ),
            (
                CURRENT,
                vec![ballot("a", 1, false, true), ballot("x", -1, true, false)],
                true,
            ),
            // majority: more for than against among committers who voted, with a quorum.
            (majority(1), vec![ballot("a", 1, false, true)], true),
            (
                majority(1),
                vec![ballot("a", 1, false, true), ballot("b", -1, true, true)],
                false,
            ),
            (
                majority(3),
                vec![ballot("a", 1, false, true), ballot("b", 1, false, true)],
                false,
            ),
            (
                majority(3),
                vec![
                    ballot("a", 1, false, true),
                    ballot("b", 1, false, true),
                    ballot("c", 0, false, true),
                ],
                true,
            ),
            (
                majority(2),
                vec![ballot("a", 1, false, true), ballot("x", -1, true, false)],
                false,
            ),
            (majority(1), vec![], false),
            // lazy consensus: only an explained objection blocks.
            (LAZY, vec![], true),
            (LAZY, vec![ballot("a", -1, false, true)], true),
            (LAZY, vec![ballot("a", -1, true, true)], false),
            (
                LAZY,
                vec![ballot("a", 1, false, true), ballot("b", 0, false, true)],
                true,
            ),
        ];
        for (kind, ballots, passes) in cases {
            let shown = format!("{kind:?} {ballots:?}");
            let t = tally(kind, ballots);
            assert_eq!(t.outcome.passed(), passes, "{shown}: {:?}", t.outcome);
        }
    }

    #[test]
    fn negative_answers_without_an_explanation_are_flagged() {
        let t = tally(
            IMPROVED,
            vec![
                ballot("a", -1, false, true),
                ballot("b", -2, true, true),
                ballot("c", 1, false, true),
                ballot("x", -2, false, false),
            ],
        );
        let flagged: Vec<&str> = t.unexplained.iter().map(|a| a.login.as_str()).collect();
        assert_eq!(flagged, ["a", "x"]);
        let shown = render(&t, "ann", 0, &[], &[], true);
        assert!(
            shown.contains("| @x | `-2` | no: not a committer | **no**: asked for one |"),
            "{shown}"
        );
        assert!(shown.contains("`-2`: 1"), "{shown}");
        assert!(shown.contains("it would not pass"), "{shown}");
    }

    #[test]
    fn durations_refuse_zero_and_overflow_and_deadlines_never_wrap() {
        assert_eq!(parse_duration("90m"), Ok(5400));
        assert_eq!(parse_duration("1w"), Ok(7 * 86_400));
        assert!(matches!(
            parse_duration(""),
            Err(CommandError::NotADuration(_))
        ));
        assert!(matches!(parse_duration("0d0h"), Err(CommandError::Zero(_))));
        assert_eq!(deadline(i64::MAX - 10, 100), None);
        assert_eq!(deadline(100, u64::MAX), None);
        assert_eq!(deadline(100, 50), Some(150));
        assert_eq!(spell(72 * 3600), "3d");
        assert_eq!(spell(5400), "90m");
    }

    fn ballots(values: &'static [i8]) -> impl Strategy<Value = Vec<Ballot>> {
        prop::collection::vec(
            (
                0usize..6,
                prop::sample::select(values),
                any::<bool>(),
                any::<bool>(),
            ),
            0..12,
        )
        .prop_map(|raw| {
            raw.into_iter()
                .map(|(who, value, explained, counted)| {
                    ballot(&format!("p{who}"), value, explained, counted)
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn any_comment_reads_without_panicking(body in ".{0,200}", quoted in "(/pushgate (vote|lazy-consensus) ?)?[-+0-9a-z=−– ]{0,40}") {
            let _ = read_command(&body);
            let _ = read_command(&quoted);
            for kind in [IMPROVED, CURRENT, LAZY] {
                let _ = read_answer(&body, kind);
                let _ = read_answer(&quoted, kind);
            }
        }

        #[test]
        fn under_improved_a_committers_minus_two_never_lets_a_vote_pass(
            mut others in ballots(&[2, 1, 0, -1, -2]),
            at in 0usize..12,
            explained in any::<bool>(),
        ) {
            let at = at.min(others.len());
            others.insert(at, ballot("blocker", -2, explained, true));
            prop_assert!(!tally(IMPROVED, others).outcome.passed());
        }

        #[test]
        fn under_current_a_committers_minus_one_never_lets_a_vote_pass(
            mut others in ballots(&[1, 0, -1]),
            at in 0usize..12,
            explained in any::<bool>(),
        ) {
            let at = at.min(others.len());
            others.insert(at, ballot("vetoer", -1, explained, true));
            prop_assert!(!tally(CURRENT, others).outcome.passed());
        }

        #[test]
        fn a_minus_two_in_a_comment_never_lets_the_vote_pass_whatever_came_before(
            before in prop::collection::vec(prop::sample::select(&["+2", "+1", "0", "-1", "-2"][..]), 0..6),
        ) {
            // The last comment of a committer is a -2: whatever they said before, it stands.
            let mut comments: Vec<Comment> = before
                .iter()
                .enumerate()
                .map(|(i, v)| comment("c", i as i64 + 1, v, Words::Authors))
                .collect();
            comments.push(comment("c", 50, "-2", Words::Authors));
            let (found, _) = answers(&comments, IMPROVED, 0, 100, &|_: &str| false);
            let ballots = found.into_iter().map(|answer| Ballot { answer, counted: true }).collect();
            prop_assert!(!tally(IMPROVED, ballots).outcome.passed());
        }
    }
}
