//! Embargoes (the Xen "Security Vulnerabilities" process): a committer or a member of the
//! security team holds a pull request until a UTC time with `/pushgate embargo <time>`, and
//! ends the hold early with `/pushgate embargo lift`. This module reads the command and the
//! time, says whether a hold stands at a given moment, and writes the `pushgate/embargo`
//! check. Time is a parameter; who may embargo is decided by the edges.

use super::text::utc;

/// The furthest ahead an embargo may end: a year (a longer one is a typo).
pub const MAX_AHEAD: i64 = 366 * 86_400;

/// The name of the check run that shows an embargo.
pub const CHECK: &str = "pushgate/embargo";

const USAGE: &str = "/pushgate embargo <UTC time> [advisory <name>] | /pushgate embargo lift";

/// An embargo command given in a comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Hold the pull request until `until` (Unix seconds), for the security advisory
    /// `advisory` when the command names one (`… advisory XSA-123`).
    Hold {
        until: i64,
        advisory: Option<String>,
    },
    /// End the hold now.
    Lift,
}

/// An embargo command pushgate cannot follow; the text says what to write instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    #[error("`/pushgate embargo` needs a UTC time, such as `2026-03-01T12:00Z`, or `lift`")]
    Missing,
    #[error(
        "`{0}` is not a UTC time: write e.g. `2026-03-01T12:00:00Z`, `2026-03-01 12:00 UTC` \
         or `2026-03-01`"
    )]
    NotATime(String),
    #[error("`{0}` is already past: an embargo ends in the future")]
    Past(String),
    #[error("`{0}` is more than a year ahead")]
    TooFar(String),
    #[error("`{0}` is not understood here: the command is `{1}`")]
    Unexpected(String, &'static str),
}

/// The embargo command in a comment, if it gives one: the first line that is
/// `/pushgate embargo …`. A time must be after `now` and at most [`MAX_AHEAD`] later.
pub fn read_command(body: &str, now: i64) -> Option<Result<Command, CommandError>> {
    let line = super::command::find(body, &["embargo"])?;
    Some(read_rest(&line.words, now))
}

fn read_rest(words: &[&str], now: i64) -> Result<Command, CommandError> {
    match words {
        [] => Err(CommandError::Missing),
        ["lift"] => Ok(Command::Lift),
        ["lift", extra, ..] => Err(CommandError::Unexpected(extra.to_string(), USAGE)),
        _ => {
            let (words, advisory) = match words.iter().position(|w| *w == "advisory") {
                Some(at) => match &words[at + 1..] {
                    [name] => (&words[..at], Some(name.to_string())),
                    [] => return Err(CommandError::Unexpected("advisory".into(), USAGE)),
                    [_, extra, ..] => {
                        return Err(CommandError::Unexpected(extra.to_string(), USAGE))
                    }
                },
                None => (words, None),
            };
            let written = words.join(" ");
            let until =
                parse_utc(&written).ok_or_else(|| CommandError::NotATime(written.clone()))?;
            if until <= now {
                Err(CommandError::Past(written))
            } else if until - now > MAX_AHEAD {
                Err(CommandError::TooFar(written))
            } else {
                Ok(Command::Hold { until, advisory })
            }
        }
    }
}

/// A UTC time as people write one: RFC 3339 (`2026-03-01T12:00:00Z`, any offset, which
/// names one instant), the same without seconds (`2026-03-01T12:00Z`), `2026-03-01 12:00`
/// or `2026-03-01 12:00:00` with an optional ` UTC` or `Z`, or a bare date (midnight UTC).
pub fn parse_utc(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return Some(t.timestamp());
    }
    let naive = text
        .strip_suffix(" UTC")
        .or_else(|| text.strip_suffix("UTC"))
        .or_else(|| text.strip_suffix('Z'))
        .unwrap_or(text)
        .trim();
    for format in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
    ] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(naive, format) {
            return Some(t.and_utc().timestamp());
        }
    }
    chrono::NaiveDate::parse_from_str(naive, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc().timestamp())
}

/// Does an embargo until `until` still hold at `now`? It ends at its time exactly.
pub fn holds(until: i64, now: i64) -> bool {
    now < until
}

/// Why `/pushgate merge` is refused while a hold stands (one line).
pub fn refusal(until: i64) -> String {
    format!(
        "embargoed until {}; it lands by itself then if it is ready, or after `/pushgate \
         embargo lift`",
        utc(until)
    )
}

/// How an embargo ended, for the check and the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ended {
    /// Lifted early (who did is in the log).
    Lifted,
    /// Its time came.
    Expired,
}

/// The `pushgate/embargo` check: `(passed, title, summary)`. `held` is the hold's end and who
/// set it; `None` with `ended` says how it ended.
pub fn check(held: Option<(i64, &str)>, ended: Option<&Ended>) -> (bool, String, String) {
    match (held, ended) {
        (Some((until, by)), _) => (
            false,
            format!("Embargoed until {}", utc(until)),
            format!(
                "@{by} holds this pull request under embargo until **{}**. `/pushgate merge` \
                 is refused before then; at that time pushgate lands it by itself if it is \
                 ready. `/pushgate embargo lift` ends the embargo early.",
                utc(until)
            ),
        ),
        (None, Some(Ended::Lifted)) => (
            true,
            "Embargo lifted".to_string(),
            "The embargo was lifted before its time.".to_string(),
        ),
        (None, Some(Ended::Expired)) => (
            true,
            "Embargo ended".to_string(),
            "The embargo's time came.".to_string(),
        ),
        (None, None) => (true, "No embargo".to_string(), String::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600; // 2026-01-01 00:00 UTC

    #[test]
    fn commands_and_times_read_as_written() {
        let noon = NOW + 12 * 3600;
        let cases: &[(&str, Option<Result<Command, CommandError>>)] = &[
            ("no command here", None),
            ("/pushgate merge", None),
            (
                "/pushgate embargo 2026-01-01T12:00:00Z",
                Some(Ok(Command::Hold {
                    until: noon,
                    advisory: None,
                })),
            ),
            (
                "Hold this.\n/pushgate embargo 2026-01-01T12:00Z\nthanks",
                Some(Ok(Command::Hold {
                    until: noon,
                    advisory: None,
                })),
            ),
            (
                "/pushgate embargo 2026-01-01 12:00 UTC",
                Some(Ok(Command::Hold {
                    until: noon,
                    advisory: None,
                })),
            ),
            (
                "/pushgate embargo 2026-01-01 12:00:00",
                Some(Ok(Command::Hold {
                    until: noon,
                    advisory: None,
                })),
            ),
            (
                "/pushgate embargo 2026-01-01T14:00:00+02:00",
                Some(Ok(Command::Hold {
                    until: noon,
                    advisory: None,
                })),
            ),
            (
                "/pushgate embargo 2026-01-02",
                Some(Ok(Command::Hold {
                    until: NOW + 86_400,
                    advisory: None,
                })),
            ),
            ("/pushgate embargo lift", Some(Ok(Command::Lift))),
            (
                "/pushgate embargo 2026-01-01 12:00 UTC advisory XSA-466",
                Some(Ok(Command::Hold {
                    until: noon,
                    advisory: Some("XSA-466".into()),
                })),
            ),
            (
                "/pushgate embargo 2026-01-01 advisory",
                Some(Err(CommandError::Unexpected("advisory".into(), USAGE))),
            ),
            (
                "/pushgate embargo 2026-01-02 advisory XSA-1 now",
                Some(Err(CommandError::Unexpected("now".into(), USAGE))),
            ),
            ("/pushgate embargo", Some(Err(CommandError::Missing))),
            (
                "/pushgate embargo lift now",
                Some(Err(CommandError::Unexpected("now".into(), USAGE))),
            ),
            (
                "/pushgate embargo tomorrow",
                Some(Err(CommandError::NotATime("tomorrow".into()))),
            ),
            (
                "/pushgate embargo 2026-02-30",
                Some(Err(CommandError::NotATime("2026-02-30".into()))),
            ),
            (
                "/pushgate embargo 2026-01-01T00:00:00Z",
                Some(Err(CommandError::Past("2026-01-01T00:00:00Z".into()))),
            ),
            (
                "/pushgate embargo 2025-06-01",
                Some(Err(CommandError::Past("2025-06-01".into()))),
            ),
            (
                "/pushgate embargo 2028-01-01",
                Some(Err(CommandError::TooFar("2028-01-01".into()))),
            ),
        ];
        for (body, want) in cases {
            assert_eq!(&read_command(body, NOW), want, "{body}");
        }
    }

    #[test]
    fn a_hold_ends_at_its_time_exactly() {
        for (now, held) in [(NOW - 1, true), (NOW, false), (NOW + 1, false)] {
            assert_eq!(holds(NOW, now), held, "{now}");
        }
    }

    #[test]
    fn the_check_fails_while_held_and_names_the_time() {
        let (passed, title, summary) = check(Some((NOW + 3600, "sec-gh")), None);
        assert!(!passed);
        assert_eq!(title, "Embargoed until 2026-01-01 01:00 UTC");
        assert!(summary.contains("@sec-gh holds"), "{summary}");
        for (ended, want) in [
            (Some(&Ended::Lifted), "Embargo lifted"),
            (Some(&Ended::Expired), "Embargo ended"),
            (None, "No embargo"),
        ] {
            let (passed, title, _) = check(None, ended);
            assert!(passed);
            assert_eq!(title, want);
        }
        assert!(refusal(NOW).starts_with("embargoed until 2026-01-01 00:00 UTC;"));
    }
}
