//! `.github/pushgate.toml`: the whole repository configuration schema in one place, its
//! defaults, and validation that names the file, line and problem (SPEC §7).
//!
//! Every table rejects unknown keys, so a typo is an error on the check rather than a silently
//! ignored setting. Key names are SPEC.md's, in snake_case. Settings the core acts on are read
//! straight into the core's types (`Stature`, `Dismissal`, `BlockOn`, `Source`,
//! `SupportStatus`), and every value is checked here, where its line is known: nothing read
//! later falls back to a default because a value did not parse.

use crate::github::BranchName;
use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

use crate::core::gate::{BlockOn, Source};
use crate::core::policy::Stature;
use crate::core::pull::Dismissal;
use crate::core::support::SupportStatus;

/// Where the config lives in a repository.
pub const CONFIG_PATH: &str = ".github/pushgate.toml";

/// A config that cannot be used, with the place of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct ConfigError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub branches: Branches,
    pub acks: Acks,
    /// `"email" = "login"`: who is who on GitHub, before `.mailmap` and commit lookups.
    pub identities: BTreeMap<String, String>,
    pub labels: Labels,
    pub committers: Committers,
    pub gate: Gate,
    pub merge: Merge,
    pub support: Support,
    pub release: Release,
    pub governance: Governance,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Branches {
    pub staging: BranchName,
    pub master: BranchName,
}

impl Default for Branches {
    fn default() -> Self {
        Branches {
            staging: BranchName::known("staging"),
            master: BranchName::known("master"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Acks {
    #[serde(deserialize_with = "duration")]
    pub min_open: Duration,
    pub general_stand_in: bool,
    pub reviewer_stature: Stature,
    pub dismiss_on_push: Dismissal,
    pub trust_commit_trailers: bool,
    /// How the suggested maintainers are asked on a pull request (`acks.ask`).
    pub ask: Ask,
}

/// `acks.ask`: how pushgate asks the suggested maintainers (the smallest set whose acks meet
/// what is missing), once per person and pull request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Ask {
    /// Request their review (a maintainer GitHub refuses, not being a collaborator, is
    /// mentioned instead).
    Review,
    /// Mention them in a comment.
    Mention,
    /// Ask nobody; the check still names them.
    None,
}

impl Default for Acks {
    fn default() -> Self {
        Acks {
            min_open: Duration::from_secs(24 * 3600),
            general_stand_in: true,
            reviewer_stature: Stature::Listed,
            dismiss_on_push: Dismissal::TouchedSections,
            trust_commit_trailers: false,
            ask: Ask::Review,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Labels {
    pub missing: String,
    pub complete: String,
}

impl Default for Labels {
    fn default() -> Self {
        Labels {
            missing: "acks: missing".to_string(),
            complete: "acks: complete".to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CommitterSource {
    /// THE REST's M: people, mapped to logins through the identities.
    TheRest,
    /// Anyone with write permission on the repository.
    WritePermission,
    /// Only the logins in `committers.list`.
    List,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Committers {
    pub source: CommitterSource,
    pub list: Vec<String>,
}

impl Default for Committers {
    fn default() -> Self {
        Committers {
            source: CommitterSource::TheRest,
            list: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Gate {
    pub required: Vec<String>,
    pub allow: Vec<String>,
    pub block_on: BlockOn,
    #[serde(deserialize_with = "duration")]
    pub timeout: Duration,
    /// Whose results count for a check (name or glob → `"app:<slug>"` for the GitHub App that
    /// posts its check runs, `"user:<login>"` for the account that posts its statuses). A check
    /// no pattern names takes any poster (the default: none pinned). An exact name beats a
    /// glob, and a longer glob a shorter one.
    #[serde(deserialize_with = "posters")]
    pub sources: BTreeMap<String, Source>,
}

/// `gate.sources` values: `"app:<slug>"` (check runs carry `app.slug`) or `"user:<login>"`
/// (statuses carry `creator.login`). [`Source::Unknown`] cannot be written.
fn posters<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Source>, D::Error> {
    /// One value, read on its own so that an error carries the value's place.
    struct Poster(Source);

    impl<'de> Deserialize<'de> for Poster {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let text = String::deserialize(d)?;
            match text.split_once(':') {
                Some(("app", slug)) if !slug.trim().is_empty() => {
                    Ok(Poster(Source::App(slug.trim().to_string())))
                }
                Some(("user", login)) if !login.trim().is_empty() => {
                    Ok(Poster(Source::User(login.trim().to_string())))
                }
                _ => Err(serde::de::Error::custom(format!(
                    "`{text}` names no poster: write \"app:<slug>\" (the GitHub App posting the check runs) or \"user:<login>\" (the account posting the statuses)"
                ))),
            }
        }
    }

    let written = BTreeMap::<String, Poster>::deserialize(d)?;
    Ok(written
        .into_iter()
        .map(|(check, Poster(source))| (check, source))
        .collect())
}

impl Gate {
    /// `sources` most specific first: exact names, then globs, longer before shorter.
    pub fn pinned_sources(&self) -> Vec<(String, Source)> {
        let mut pinned: Vec<(String, Source)> = self
            .sources
            .iter()
            .map(|(check, poster)| (check.clone(), poster.clone()))
            .collect();
        pinned.sort_by_key(|(check, _)| {
            (
                check.contains(['*', '?']),
                std::cmp::Reverse(check.len()),
                check.clone(),
            )
        });
        pinned
    }
}

impl Default for Gate {
    fn default() -> Self {
        Gate {
            required: Vec::new(),
            allow: Vec::new(),
            block_on: BlockOn::Regressions,
            timeout: Duration::from_secs(6 * 3600),
            sources: BTreeMap::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MergeMethod {
    RebaseTrailers,
    Merge,
    SquashTrailers,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Merge {
    pub method: MergeMethod,
    /// Check runs or statuses that must pass on the PR's head before `/pushgate merge`.
    pub pr_required: Vec<String>,
    /// Labels that hold a PR back from `/pushgate merge`.
    pub blocking_labels: Vec<String>,
}

impl Default for Merge {
    fn default() -> Self {
        Merge {
            method: MergeMethod::RebaseTrailers,
            pr_required: Vec::new(),
            blocking_labels: vec!["do-not-merge".to_string()],
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Feature {
    pub name: String,
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Support {
    pub file: String,
    pub status_change_needs: String,
    pub feature: Vec<Feature>,
}

impl Default for Support {
    fn default() -> Self {
        Support {
            file: "SUPPORT.md".to_string(),
            status_change_needs: "THE REST".to_string(),
            feature: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Release {
    pub tag_pattern: String,
    pub branches: Vec<String>,
    pub regression_labels: Vec<String>,
    /// Statuses as SUPPORT.md writes them; one that names no status is an error.
    pub blocking_statuses: Vec<SupportStatus>,
    /// From when (Unix seconds; written as an RFC 3339 time) a `Release-Acked-by` is also
    /// required.
    #[serde(deserialize_with = "timestamp")]
    pub freeze_start: Option<i64>,
    /// Logins of the release managers whose `Release-Acked-by` counts.
    pub managers: Vec<String>,
    /// The last posting date (Unix seconds; an RFC 3339 time or a date, midnight UTC): a pull
    /// request opened from then on needs a `Release-Acked-by` until the release date.
    #[serde(deserialize_with = "date_or_time")]
    pub last_posting_date: Option<i64>,
    /// The release date (same forms): the freeze ends by itself then.
    #[serde(deserialize_with = "date_or_time")]
    pub date: Option<i64>,
}

impl Default for Release {
    fn default() -> Self {
        Release {
            tag_pattern: "RELEASE-*".to_string(),
            branches: vec!["stable-*".to_string()],
            regression_labels: vec!["regression".to_string(), "blocker".to_string()],
            blocking_statuses: vec![
                SupportStatus::Supported,
                SupportStatus::SupportedLegacyStable,
            ],
            freeze_start: None,
            managers: Vec::new(),
            last_posting_date: None,
            date: None,
        }
    }
}

/// `[governance]`: the defaults of `/pushgate vote` and `/pushgate lazy-consensus` (SPEC §6).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Governance {
    /// How long a vote runs when the command names no duration.
    #[serde(deserialize_with = "duration")]
    pub vote_duration: Duration,
    /// How long a lazy consensus runs when the command names no duration.
    #[serde(deserialize_with = "duration")]
    pub consensus_duration: Duration,
    /// The vote scheme when the command names none.
    pub scheme: crate::core::governance::Scheme,
    /// How many committers must vote (abstentions included) for a `majority` vote to pass.
    pub quorum: u32,
    /// GitHub logins of the security team: besides the committers, they may hold a pull
    /// request under embargo (`/pushgate embargo`) and lift it.
    pub security_team: Vec<String>,
    /// How long maintainers of one touched section may disagree (one approves, another
    /// objects with an explanation) before the pull request is referred to the committers.
    #[serde(deserialize_with = "duration")]
    pub referee_after: Duration,
    /// A security advisory's fix is due this long after its report (`/pushgate advisory`).
    #[serde(deserialize_with = "duration")]
    pub advisory_fix_within: Duration,
    /// The pre-disclosure goes out this long before an advisory's disclosure date.
    #[serde(deserialize_with = "duration")]
    pub advisory_predisclosure: Duration,
    /// The security team is reminded this long before each of an advisory's deadlines.
    #[serde(deserialize_with = "duration")]
    pub advisory_remind_before: Duration,
}

impl Default for Governance {
    fn default() -> Self {
        Governance {
            vote_duration: Duration::from_secs(7 * 86_400),
            consensus_duration: Duration::from_secs(72 * 3600),
            scheme: crate::core::governance::Scheme::Improved,
            quorum: 1,
            security_team: Vec::new(),
            referee_after: Duration::from_secs(7 * 86_400),
            advisory_fix_within: Duration::from_secs(7 * 86_400),
            advisory_predisclosure: Duration::from_secs(14 * 86_400),
            advisory_remind_before: Duration::from_secs(86_400),
        }
    }
}

/// The longest duration a setting may have: about a hundred years. Durations are added to Unix
/// times in seconds (`i64`), so a longer one could overflow, or wrap round to a negative
/// window that is over at once.
pub const LONGEST: Duration = Duration::from_secs(36_500 * 86_400);

/// Parses a duration written as SPEC.md does: `"30m"`, `"24h"`, `"0s"`, also `"1d"`, `"1h30m"`;
/// at most [`LONGEST`].
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("empty duration".to_string());
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86400,
            'w' => 7 * 86400,
            _ => {
                return Err(format!(
                    "`{text}` is not a duration (use e.g. \"30m\", \"24h\")"
                ))
            }
        };
        let value: u64 = number
            .parse()
            .map_err(|_| format!("`{text}` is not a duration (a number must precede `{c}`)"))?;
        total = value
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .filter(|&total| total <= LONGEST.as_secs())
            .ok_or_else(|| format!("`{text}` is too long: at most 36500d"))?;
        number.clear();
    }
    if !number.is_empty() {
        return Err(format!(
            "`{text}` needs a unit: s, m, h, d or w (e.g. \"{number}h\")"
        ));
    }
    Ok(Duration::from_secs(total))
}

fn duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(d)?;
    parse_duration(&text).map_err(serde::de::Error::custom)
}

/// An RFC 3339 time (`"2026-03-01T00:00:00Z"`) as Unix seconds.
fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let text = String::deserialize(d)?;
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .map(|t| Some(t.timestamp()))
        .map_err(|e| {
            serde::de::Error::custom(format!(
                "`{text}` is not an RFC 3339 time ({e}): write e.g. \"2026-03-01T00:00:00Z\""
            ))
        })
}

/// A release date: an RFC 3339 time, or a date (`"2026-03-01"`, midnight UTC), as Unix
/// seconds.
fn date_or_time<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let text = String::deserialize(d)?;
    let trimmed = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(trimmed) {
        return Ok(Some(t.timestamp()));
    }
    chrono::NaiveDate::parse_from_str(trimmed, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc().timestamp()))
        .ok_or_else(|| {
            serde::de::Error::custom(format!(
                "`{text}` is not a date: write e.g. \"2026-03-01\" or \"2026-03-01T00:00:00Z\""
            ))
        })
}

impl Config {
    /// Parses the config text; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Config, ConfigError> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let (line, column) = e
                .span()
                .map(|span| line_column(text, named_value(text, span, e.message())))
                .unwrap_or((1, 1));
            ConfigError {
                file: file.to_string(),
                line,
                column,
                message: e.message().trim().to_string(),
            }
        })?;
        // E-mails compare case-insensitively everywhere else; make the map agree.
        config.identities = config
            .identities
            .into_iter()
            .map(|(email, login)| (email.to_lowercase(), login))
            .collect();
        for (email, login) in &config.identities {
            if login.trim().is_empty() || login.contains(char::is_whitespace) {
                let at = text.find(email.as_str()).unwrap_or(0);
                let (line, column) = line_column(text, at);
                return Err(ConfigError {
                    file: file.to_string(),
                    line,
                    column,
                    message: format!("identity `{email}` maps to `{login}`, which is not a login"),
                });
            }
        }
        config.governance.check(text, file)?;
        config.release.check(text, file)?;
        // Feature paths use the MAINTAINERS matcher: reject what it cannot compile here,
        // where the line can be named.
        for pattern in config.support.feature.iter().flat_map(|f| f.paths.iter()) {
            if let Err(e) = crate::core::glob::Pattern::new(pattern) {
                let at = text.find(&format!("\"{pattern}\"")).map_or(0, |i| i + 1);
                let (line, column) = line_column(text, at);
                return Err(ConfigError {
                    file: file.to_string(),
                    line,
                    column,
                    message: format!("`{pattern}` is not a MAINTAINERS-style pattern: {e}"),
                });
            }
        }
        Ok(config)
    }
}

impl Release {
    /// The dates in their order: the last posting date and the freeze before the release.
    fn check(&self, text: &str, file: &str) -> Result<(), ConfigError> {
        let Some(date) = self.date else {
            return Ok(());
        };
        let problem = [
            ("freeze_start", self.freeze_start),
            ("last_posting_date", self.last_posting_date),
        ]
        .into_iter()
        .find_map(|(key, at)| {
            at.filter(|at| *at >= date).map(|_| {
                (
                    "date",
                    format!("release.date must come after release.{key}"),
                )
            })
        });
        let Some((key, message)) = problem else {
            return Ok(());
        };
        let at = text
            .find("[release]")
            .and_then(|table| {
                // The line that sets `key` (not one whose key only ends with it).
                let mut offset = table;
                text[table..].split_inclusive('\n').find_map(|line| {
                    let start = offset + (line.len() - line.trim_start().len());
                    offset += line.len();
                    line.trim_start()
                        .strip_prefix(key)
                        .is_some_and(|rest| rest.trim_start().starts_with('='))
                        .then_some(start)
                })
            })
            .unwrap_or(0);
        let (line, column) = line_column(text, at);
        Err(ConfigError {
            file: file.to_string(),
            line,
            column,
            message,
        })
    }
}

impl Governance {
    /// Durations longer than zero and at most a year, a quorum of at least one.
    fn check(&self, text: &str, file: &str) -> Result<(), ConfigError> {
        let max = crate::core::governance::MAX_DURATION;
        let problem = [
            ("vote_duration", self.vote_duration),
            ("consensus_duration", self.consensus_duration),
        ]
        .into_iter()
        .find_map(|(key, d)| match d.as_secs() {
            0 => Some((key, format!("governance.{key} must be longer than zero"))),
            s if s > max => Some((key, format!("governance.{key} is more than 366 days"))),
            _ => None,
        })
        .or_else(|| {
            (self.quorum == 0)
                .then(|| ("quorum", "governance.quorum must be at least 1".to_string()))
        });
        let Some((key, message)) = problem else {
            return Ok(());
        };
        let at = text
            .find("[governance]")
            .and_then(|table| text[table..].find(key).map(|i| table + i))
            .unwrap_or(0);
        let (line, column) = line_column(text, at);
        Err(ConfigError {
            file: file.to_string(),
            line,
            column,
            message,
        })
    }
}

impl Config {
    /// The `[[support.feature]]` paths as a matcher. Patterns were checked by [`Config::parse`],
    /// so none fails here; a hand-built config with a bad one gets no features.
    pub fn feature_map(&self) -> crate::core::labels::FeatureMap {
        crate::core::labels::FeatureMap::new(
            self.support
                .feature
                .iter()
                .map(|f| (f.name.as_str(), f.paths.as_slice())),
        )
        .unwrap_or_default()
    }
}

/// Where a value that failed is. `toml` gives a value inside an array the array's place; when
/// the message opens with the value in backquotes (as ours do), the value's own place in the
/// array is found and given instead.
fn named_value(text: &str, span: std::ops::Range<usize>, message: &str) -> usize {
    let named = message
        .strip_prefix('`')
        .and_then(|rest| rest.split_once('`'))
        .map(|(value, _)| format!("\"{value}\""));
    named
        .and_then(|quoted| text.get(span.clone())?.find(&quoted))
        .map_or(span.start, |at| span.start + at)
}

fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let column = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_feature_patterns_are_named_with_their_line() {
        let text =
            "[[support.feature]]\nname = \"x86/PV\"\npaths = [\"xen/arch/x86/pv/\", \"xen/[\"]\n";
        let error = Config::parse(text, CONFIG_PATH).unwrap_err();
        assert_eq!((error.line, error.column), (3, 31), "{error}");
        assert!(error.message.contains("`xen/[`"), "{error}");
    }

    #[test]
    fn gate_sources_pin_checks_to_their_poster_most_specific_first() {
        let text = "[gate]\nrequired = [\"build\", \"test-*\"]\n[gate.sources]\n\"t*\" = \"user:osstest\"\n\"test-*\" = \"app:ci\"\nbuild = \"app:github-actions\"\n";
        let config = Config::parse(text, CONFIG_PATH).unwrap();
        assert_eq!(
            config.gate.pinned_sources(),
            [
                ("build".to_string(), Source::App("github-actions".into())),
                ("test-*".to_string(), Source::App("ci".into())),
                ("t*".to_string(), Source::User("osstest".into())),
            ]
        );
        assert!(Config::default().gate.sources.is_empty(), "none pinned");
        let error = Config::parse("[gate.sources]\nbuild = \"ci\"\n", CONFIG_PATH).unwrap_err();
        assert_eq!(error.line, 2, "{error}");
        assert!(error.message.contains("app:<slug>"), "{error}");
        let error = Config::parse("[gate]\nsource = {}\n", CONFIG_PATH).unwrap_err();
        assert!(error.message.contains("unknown field"), "{error}");
    }

    #[test]
    fn governance_defaults_and_bad_values_are_named_with_their_line() {
        let config = Config::parse("", CONFIG_PATH).unwrap();
        assert_eq!(
            config.governance.vote_duration,
            Duration::from_secs(7 * 86_400)
        );
        assert_eq!(
            config.governance.consensus_duration,
            Duration::from_secs(72 * 3600)
        );
        assert_eq!(config.governance.quorum, 1);
        let text = "[governance]\nscheme = \"majority\"\nquorum = 3\nvote_duration = \"5d\"\n";
        let config = Config::parse(text, CONFIG_PATH).unwrap();
        assert_eq!(
            config.governance.scheme,
            crate::core::governance::Scheme::Majority
        );
        assert_eq!(config.governance.quorum, 3);
        for (text, line, says) in [
            ("[governance]\nquorum = 0\n", 2, "quorum"),
            (
                "[acks]\n\n[governance]\nscheme = \"current\"\nvote_duration = \"0h\"\n",
                5,
                "longer than zero",
            ),
            (
                "[governance]\nconsensus_duration = \"400d\"\n",
                2,
                "366 days",
            ),
            (
                "[governance]\nscheme = \"weighted\"\n",
                2,
                "unknown variant",
            ),
            ("[governance]\nquorom = 2\n", 2, "unknown field"),
        ] {
            let error = Config::parse(text, CONFIG_PATH).unwrap_err();
            assert_eq!(error.line, line, "{text}: {error}");
            assert!(error.message.contains(says), "{text}: {error}");
        }
    }

    #[test]
    fn a_branch_git_would_refuse_is_an_error_at_its_line() {
        for bad in ["a..b", "stable/", "x y", ""] {
            let text = format!("[branches]\nstaging = \"next\"\nmaster = \"{bad}\"\n");
            let error = Config::parse(&text, CONFIG_PATH).unwrap_err();
            assert_eq!(error.line, 3, "{bad}: {error}");
            assert!(
                error.to_string().contains("is not a branch name"),
                "{error}"
            );
        }
        let config = Config::parse("[branches]\nstaging = \"stable/4.19\"\n", CONFIG_PATH);
        assert_eq!(config.unwrap().branches.staging, "stable/4.19");
    }

    #[test]
    fn absent_config_means_defaults() {
        let config = Config::parse("", CONFIG_PATH).unwrap();
        assert_eq!(config, Config::default());
        assert_eq!(config.acks.min_open, Duration::from_secs(86400));
        assert!(config.acks.general_stand_in);
        assert_eq!(config.labels.missing, "acks: missing");
    }

    #[test]
    fn keys_are_spelled_as_in_the_spec() {
        let text = r#"
[branches]
staging = "next"
master = "main"

[acks]
min_open = "30m"
general_stand_in = false
reviewer_stature = "anyone"
dismiss_on_push = "all"
trust_commit_trailers = true

[identities]
"Jan@Example.com" = "jan-gh"

[labels]
missing = "needs-acks"
complete = "acked"

[committers]
source = "write-permission"

[gate]
required = ["build-*", "test"]
allow = ["flaky-*"]
block_on = "any-failure"
timeout = "2h"

[merge]
method = "squash-trailers"
pr_required = ["ci"]

[[support.feature]]
name = "x86/PV"
paths = ["xen/arch/x86/pv/"]

[release]
tag_pattern = "v*"
regression_labels = ["regression"]
"#;
        let config = Config::parse(text, CONFIG_PATH).unwrap();
        assert_eq!(config.branches.master, "main");
        assert_eq!(config.acks.min_open, Duration::from_secs(1800));
        assert_eq!(config.acks.reviewer_stature, Stature::Anyone);
        assert_eq!(config.acks.dismiss_on_push, Dismissal::All);
        assert_eq!(config.identities["jan@example.com"], "jan-gh");
        assert_eq!(config.gate.block_on, BlockOn::AnyFailure);
        assert_eq!(config.gate.timeout, Duration::from_secs(7200));
        assert_eq!(config.merge.method, MergeMethod::SquashTrailers);
        assert_eq!(config.support.feature[0].name, "x86/PV");
        assert_eq!(config.release.tag_pattern, "v*");
    }

    #[test]
    fn problems_name_file_line_and_what_is_wrong() {
        let table = [
            ("[acks]\nmin_opn = \"1h\"\n", 2, "unknown field `min_opn`"),
            ("[acks]\nmin_open = \"soon\"\n", 2, "not a duration"),
            ("[acks]\nmin_open = \"10\"\n", 2, "needs a unit"),
            (
                "[acks]\ndismiss_on_push = \"sometimes\"\n",
                2,
                "unknown variant",
            ),
            ("[nope]\n", 1, "unknown field `nope`"),
            ("[acks]\ngeneral_stand_in = \"yes\"\n", 2, "invalid type"),
            ("\n\n[acks\n", 3, ""),
            ("[identities]\n\"a@b\" = \"two words\"\n", 2, "not a login"),
        ];
        for (text, line, words) in table {
            let error = Config::parse(text, CONFIG_PATH).unwrap_err();
            assert_eq!(error.file, CONFIG_PATH);
            assert_eq!(error.line, line, "{text:?}: {error}");
            assert!(error.message.contains(words), "{text:?}: {error}");
        }
    }

    /// Values that used to be read later, leniently: a freeze time that did not parse turned
    /// the freeze off, a status that named none was dropped, and a duration past `i64` wrapped
    /// round to a negative window. Each is now an error naming its place.
    #[test]
    fn bad_values_are_errors_at_their_place() {
        let table = [
            (
                "[release]\nfreeze_start = \"2026-02-30T00:00:00Z\"\n",
                (2, 16),
                "`2026-02-30T00:00:00Z` is not an RFC 3339 time",
            ),
            (
                "[release]\nfreeze_start = \"2026-03-01 00:00\"\n",
                (2, 16),
                "is not an RFC 3339 time",
            ),
            (
                "[release]\nblocking_statuses = [\"Supported\", \"Suported-Legacy\"]\n",
                (2, 35),
                "`Suported-Legacy` is not a support status",
            ),
            (
                "[acks]\nmin_open = \"9223372036854775807s\"\n",
                (2, 12),
                "too long",
            ),
            (
                "[acks]\nmin_open = \"18446744073709551615s\"\n",
                (2, 12),
                "too long",
            ),
            ("\n[gate]\ntimeout = \"36501d\"\n", (3, 11), "too long"),
            (
                "[release]\nblocking_statuses = [\n  \"Supported\",\n  \"Gone\",\n]\n",
                (4, 3),
                "`Gone` is not a support status",
            ),
            (
                "[gate.sources]\nbuild = \"app\"\n",
                (2, 9),
                "`app` names no poster",
            ),
        ];
        for (text, (line, column), words) in table {
            let error = Config::parse(text, CONFIG_PATH).unwrap_err();
            assert_eq!(
                (error.line, error.column),
                (line, column),
                "{text:?}: {error}"
            );
            assert!(error.message.contains(words), "{text:?}: {error}");
            assert!(
                error
                    .to_string()
                    .starts_with(&format!(".github/pushgate.toml:{line}:{column}: ")),
                "{error}"
            );
        }
    }

    #[test]
    fn good_values_are_read_into_the_cores_types() {
        let text = "[release]\nfreeze_start = \"2026-03-01T01:00:00+01:00\"\nblocking_statuses = [\"Tech Preview\", \"supported-legacy-stable\"]\n[acks]\nmin_open = \"36500d\"\n";
        let config = Config::parse(text, CONFIG_PATH).unwrap();
        assert_eq!(config.release.freeze_start, Some(1_772_323_200));
        assert_eq!(
            config.release.blocking_statuses,
            [SupportStatus::Preview, SupportStatus::SupportedLegacyStable]
        );
        assert_eq!(config.acks.min_open, LONGEST);
        assert_eq!(Config::default().release.freeze_start, None);
    }

    #[test]
    fn durations_round_trip_through_their_spelling() {
        for (text, secs) in [
            ("0s", 0),
            ("30m", 1800),
            ("24h", 86400),
            ("1h30m", 5400),
            ("2d", 172800),
        ] {
            assert_eq!(
                parse_duration(text),
                Ok(Duration::from_secs(secs)),
                "{text}"
            );
        }
        for (secs, text) in [(86400, "1d"), (1800, "30m"), (5400, "90m")] {
            assert_eq!(crate::core::text::human_seconds(secs), text);
            let back = parse_duration(text).map(|d| d.as_secs() as i64);
            assert_eq!(back, Ok(secs));
        }
        assert!(parse_duration("").is_err());
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }

    #[test]
    fn the_security_team_and_the_referee_time_are_read_and_checked() {
        let config = Config::parse("", CONFIG_PATH).unwrap();
        assert!(config.governance.security_team.is_empty());
        assert_eq!(
            config.governance.referee_after,
            Duration::from_secs(7 * 86_400)
        );
        let text = "[governance]\nsecurity_team = [\"sec-gh\"]\nreferee_after = \"2d\"\n";
        let config = Config::parse(text, CONFIG_PATH).unwrap();
        assert_eq!(config.governance.security_team, ["sec-gh"]);
        assert_eq!(
            config.governance.referee_after,
            Duration::from_secs(2 * 86_400)
        );
        let error =
            Config::parse("[governance]\n\nreferee_after = \"soon\"\n", CONFIG_PATH).unwrap_err();
        assert_eq!((error.line, error.column), (3, 17), "{error}");
        assert!(error.message.contains("not a duration"), "{error}");
    }

    #[test]
    fn release_dates_are_read_as_dates_or_times_and_in_their_order() {
        let text = "[release]\nfreeze_start = \"2026-03-01T00:00:00Z\"\n\
                    last_posting_date = \"2026-02-01\"\ndate = \"2026-04-01T12:00:00Z\"\n";
        let config = Config::parse(text, CONFIG_PATH).unwrap();
        assert_eq!(config.release.last_posting_date, Some(1_769_904_000));
        assert_eq!(config.release.date, Some(1_775_044_800));
        for (text, at, says) in [
            (
                "[release]\ndate = \"2026-02-30\"\n",
                (2, 8),
                "`2026-02-30` is not a date",
            ),
            (
                "[release]\nlast_posting_date = \"soon\"\n",
                (2, 21),
                "`soon` is not a date",
            ),
            (
                "[release]\nfreeze_start = \"2026-03-01T00:00:00Z\"\ndate = \"2026-03-01\"\n",
                (3, 1),
                "release.date must come after release.freeze_start",
            ),
            (
                "[release]\nlast_posting_date = \"2026-05-01\"\n\ndate = \"2026-04-01\"\n",
                (4, 1),
                "after release.last_posting_date",
            ),
        ] {
            let error = Config::parse(text, CONFIG_PATH).unwrap_err();
            assert_eq!((error.line, error.column), at, "{text}: {error}");
            assert!(error.message.contains(says), "{text}: {error}");
        }
    }

    #[test]
    fn the_advisory_periods_are_read_and_checked() {
        let config = Config::parse("", CONFIG_PATH).unwrap();
        let g = &config.governance;
        assert_eq!(
            (
                g.advisory_fix_within.as_secs(),
                g.advisory_predisclosure.as_secs(),
                g.advisory_remind_before.as_secs()
            ),
            (7 * 86_400, 14 * 86_400, 86_400)
        );
        let text = "[governance]\nadvisory_fix_within = \"3d\"\nadvisory_predisclosure = \"1w\"\n\
                    advisory_remind_before = \"12h\"\n";
        let g = Config::parse(text, CONFIG_PATH).unwrap().governance;
        assert_eq!(
            (
                g.advisory_fix_within.as_secs(),
                g.advisory_predisclosure.as_secs(),
                g.advisory_remind_before.as_secs()
            ),
            (3 * 86_400, 7 * 86_400, 12 * 3600)
        );
        let error = Config::parse(
            "[governance]\nadvisory_predisclosure = \"two weeks\"\n",
            CONFIG_PATH,
        )
        .unwrap_err();
        assert_eq!((error.line, error.column), (2, 26), "{error}");
        assert!(error.message.contains("not a duration"), "{error}");
    }
}
