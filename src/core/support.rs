//! Feature support status (SPEC §4): Xen's SUPPORT.md (`##` categories, `###` features,
//! indented `Status:` / `Status, <qualifier>:` lines) and the status tables of
//! `docs/features/*.pandoc`, normalised to the lifecycle Preview → Experimental → Complete →
//! Supported → Supported-Legacy-Stable → Deprecated (and Not supported), keeping the text.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A lifecycle status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SupportStatus {
    Preview,
    Experimental,
    Complete,
    Supported,
    SupportedLegacyStable,
    Deprecated,
    NotSupported,
}

impl SupportStatus {
    pub const ALL: [SupportStatus; 7] = [
        SupportStatus::Preview,
        SupportStatus::Experimental,
        SupportStatus::Complete,
        SupportStatus::Supported,
        SupportStatus::SupportedLegacyStable,
        SupportStatus::Deprecated,
        SupportStatus::NotSupported,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SupportStatus::Preview => "Preview",
            SupportStatus::Experimental => "Experimental",
            SupportStatus::Complete => "Complete",
            SupportStatus::Supported => "Supported",
            SupportStatus::SupportedLegacyStable => "Supported-Legacy-Stable",
            SupportStatus::Deprecated => "Deprecated",
            SupportStatus::NotSupported => "Not supported",
        }
    }

    /// Reads free text ("Supported, not security supported", "Tech Preview", "Supported up to
    /// 12 TiB", "Not implemented") as a status; None when it names none. See [`classify`].
    pub fn from_text(text: &str) -> Option<SupportStatus> {
        classify(text).map(|r| r.status)
    }
}

/// How a status text was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reading {
    pub status: SupportStatus,
    /// One of the phrasings Xen's SUPPORT.md files use (or "Supported up to …"); a text read
    /// by its words alone is worth a warning.
    pub familiar: bool,
}

/// Status words, as whole words of the normalised text. The status is the one whose words come
/// first: the rest of the text qualifies it ("Tech Preview, with limited support" is a
/// preview; "Supported, not security supported" is supported). At the same place, the longer
/// words win ("not supported" over "not").
const WORDS: &[(&str, SupportStatus)] = &[
    (
        "supported legacy stable",
        SupportStatus::SupportedLegacyStable,
    ),
    ("legacy stable", SupportStatus::SupportedLegacyStable),
    ("tech preview", SupportStatus::Preview),
    ("technical preview", SupportStatus::Preview),
    ("preview", SupportStatus::Preview),
    ("experimental", SupportStatus::Experimental),
    ("complete", SupportStatus::Complete),
    ("deprecated", SupportStatus::Deprecated),
    ("not recommended", SupportStatus::Deprecated),
    ("obsolete", SupportStatus::NotSupported),
    ("not supported", SupportStatus::NotSupported),
    ("unsupported", SupportStatus::NotSupported),
    ("no support", SupportStatus::NotSupported),
    ("not implemented", SupportStatus::NotSupported),
    ("not functional", SupportStatus::NotSupported),
    ("not security supported", SupportStatus::Supported),
    ("no security support", SupportStatus::Supported),
    ("security supported", SupportStatus::Supported),
    ("security support", SupportStatus::Supported),
    ("supported", SupportStatus::Supported),
    ("support", SupportStatus::Supported),
];

/// The phrasings found in Xen's SUPPORT.md files, normalised (see [`normalise`]).
const FAMILIAR: &[&str] = &[
    "supported",
    "supported with caveats",
    "supported not security supported",
    "supported security support external",
    "supported security supported only when run de privileged",
    "security supported",
    "support scope restricted",
    "tech preview",
    "tech preview with limited support",
    "preview",
    "experimental",
    "complete",
    "supported legacy stable",
    "deprecated",
    "not supported",
    "not implemented",
    "not functional",
];

/// Lower case, words separated by single spaces: punctuation and hyphens are separators.
fn normalise(text: &str) -> String {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Reads a status text by its words. None: it carries no status word at all.
pub fn classify(text: &str) -> Option<Reading> {
    let norm = normalise(text);
    let words: Vec<&str> = norm.split(' ').collect();
    let mut found: Option<(usize, usize, SupportStatus)> = None;
    for start in 0..words.len() {
        for (phrase, status) in WORDS {
            let want: Vec<&str> = phrase.split(' ').collect();
            if words[start..].starts_with(&want)
                && found.is_none_or(|(at, len, _)| start == at && want.len() > len)
            {
                found = Some((start, want.len(), *status));
            }
        }
        if found.is_some() {
            break;
        }
    }
    let (_, _, status) = found?;
    let familiar = FAMILIAR.contains(&norm.as_str()) || norm.starts_with("supported up to ");
    Some(Reading { status, familiar })
}

impl fmt::Display for SupportStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for SupportStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Read as SUPPORT.md's text is ([`SupportStatus::from_text`]); text that names no status is
/// an error, listing the statuses.
impl<'de> Deserialize<'de> for SupportStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        SupportStatus::from_text(&text).ok_or_else(|| {
            let known: Vec<String> = SupportStatus::ALL
                .iter()
                .map(|s| format!("\"{s}\""))
                .collect();
            serde::de::Error::custom(format!(
                "`{text}` is not a support status: write one of {}",
                known.join(", ")
            ))
        })
    }
}

/// One `Status` line of a feature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusLine {
    /// `x86`, `Xen in AArch64 mode`, `x86_32, without shim`; None for a plain `Status:`.
    pub qualifier: Option<String>,
    /// The value as written.
    pub text: String,
    pub status: SupportStatus,
    #[serde(skip)]
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Feature {
    pub category: String,
    pub name: String,
    pub statuses: Vec<StatusLine>,
}

/// A line that looks like a status line but cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unparsed {
    pub line: usize,
    pub text: String,
}

/// A status line read by its words alone: its phrasing is not one Xen uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unfamiliar {
    pub line: usize,
    pub text: String,
    pub status: SupportStatus,
}

impl Unfamiliar {
    /// The warning, naming the line.
    pub fn warning(&self, file: &str) -> String {
        format!(
            "{file}:{}: unfamiliar status `{}`, read as {}",
            self.line, self.text, self.status
        )
    }
}

/// A support statement: features with their statuses, what could not be read (lines with no
/// status at all), and the statuses read by their words alone.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct SupportMatrix {
    pub features: Vec<Feature>,
    pub unparsed: Vec<Unparsed>,
    pub unfamiliar: Vec<Unfamiliar>,
}

/// SUPPORT.md as the dashboard shows it: the file read at a commit, its features, the lines
/// that could not be read, and how many status lines each status has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SupportView {
    pub sha: String,
    pub file: String,
    pub features: Vec<Feature>,
    pub unparsed: Vec<Unparsed>,
    pub counts: Vec<StatusCount>,
    /// When it was stored (Unix seconds; the store's, not part of what is stored).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<i64>,
}

/// How many status lines say one status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCount {
    pub status: SupportStatus,
    pub lines: usize,
}

impl SupportView {
    /// The view of `matrix`, read from `file` at `sha`.
    pub fn of(matrix: &SupportMatrix, file: &str, sha: &str) -> SupportView {
        SupportView {
            sha: sha.to_string(),
            file: file.to_string(),
            features: matrix.features.clone(),
            unparsed: matrix.unparsed.clone(),
            counts: matrix
                .counts()
                .into_iter()
                .map(|(status, lines)| StatusCount { status, lines })
                .collect(),
            updated_at: None,
        }
    }
}

impl SupportMatrix {
    /// Status lines per status, in lifecycle order.
    pub fn counts(&self) -> Vec<(SupportStatus, usize)> {
        SupportStatus::ALL
            .iter()
            .map(|&s| {
                let n = self
                    .features
                    .iter()
                    .flat_map(|f| &f.statuses)
                    .filter(|l| l.status == s)
                    .count();
                (s, n)
            })
            .collect()
    }

    /// The statuses of a feature by name.
    pub fn feature(&self, name: &str) -> Option<&Feature> {
        self.features.iter().find(|f| f.name == name)
    }
}

/// Splits `Status, <qualifier>: <value>` (after the indentation). None: not a status line.
fn status_line(trimmed: &str) -> Option<Result<(Option<String>, String), ()>> {
    let rest = trimmed.strip_prefix("Status")?;
    if !(rest.starts_with(':') || rest.starts_with(',')) {
        return None;
    }
    let Some((head, value)) = rest.split_once(':') else {
        return Some(Err(()));
    };
    let qualifier = head.strip_prefix(',').map(|q| q.trim().to_string());
    let value = value.trim().to_string();
    if value.is_empty() || qualifier.as_deref() == Some("") {
        return Some(Err(()));
    }
    Some(Ok((qualifier, value)))
}

/// Parses SUPPORT.md. Never fails: lines it cannot read are returned with their numbers. The
/// part that defines the format (`# Format and definitions`) holds definitions, not features.
pub fn parse_support(text: &str) -> SupportMatrix {
    let mut matrix = SupportMatrix::default();
    let mut category = String::new();
    let mut current: Option<usize> = None;
    let mut in_definitions = false;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        if let Some(title) = raw.strip_prefix("# ") {
            in_definitions = title.trim().to_lowercase().starts_with("format");
            category.clear();
            current = None;
            continue;
        }
        if in_definitions {
            continue;
        }
        if let Some(title) = raw.strip_prefix("## ") {
            category = title.trim().to_string();
            current = None;
            continue;
        }
        if let Some(title) = raw.strip_prefix("### ") {
            matrix.features.push(Feature {
                category: category.clone(),
                name: title.trim().to_string(),
                statuses: Vec::new(),
            });
            current = Some(matrix.features.len() - 1);
            continue;
        }
        // Status lines are markdown literals: indented by spaces or a tab.
        let indented = raw.starts_with('\t') || raw.starts_with("  ");
        if !indented {
            continue;
        }
        let trimmed = raw.trim();
        let unparsed = |matrix: &mut SupportMatrix| {
            matrix.unparsed.push(Unparsed {
                line: number,
                text: raw.to_string(),
            })
        };
        match status_line(trimmed) {
            None => {
                // `Status` with neither `:` nor `,` after it still means to be a status line.
                if trimmed.starts_with("Status")
                    && trimmed.split_whitespace().next() == Some("Status")
                {
                    unparsed(&mut matrix);
                }
            }
            Some(Err(())) => unparsed(&mut matrix),
            Some(Ok((qualifier, value))) => {
                // A status directly under a `##` heading (Xen's "Dom0less") makes that
                // category a feature of its own.
                if current.is_none() && !category.is_empty() {
                    matrix.features.push(Feature {
                        category: category.clone(),
                        name: category.clone(),
                        statuses: Vec::new(),
                    });
                    current = Some(matrix.features.len() - 1);
                }
                match (classify(&value), current) {
                    (Some(reading), Some(feature)) => {
                        if !reading.familiar {
                            matrix.unfamiliar.push(Unfamiliar {
                                line: number,
                                text: value.clone(),
                                status: reading.status,
                            });
                        }
                        matrix.features[feature].statuses.push(StatusLine {
                            qualifier,
                            text: value,
                            status: reading.status,
                            line: number,
                        })
                    }
                    _ => unparsed(&mut matrix),
                }
            }
        }
    }
    // A heading without any status line is prose, not a feature.
    matrix.features.retain(|f| !f.statuses.is_empty());
    matrix
}

/// Parses a `docs/features/*.pandoc` status table (`Status: **Supported**`, with the next
/// `Architecture:` as qualifier); the feature is named by the `% Title` line.
pub fn parse_pandoc(text: &str) -> SupportMatrix {
    let mut matrix = SupportMatrix::default();
    let name = text
        .lines()
        .find_map(|l| l.strip_prefix("% "))
        .unwrap_or("")
        .trim()
        .to_string();
    let lines: Vec<&str> = text.lines().collect();
    let mut statuses = Vec::new();
    for (index, raw) in lines.iter().enumerate() {
        let trimmed = raw.trim();
        let Some(value) = trimmed.strip_prefix("Status:") else {
            continue;
        };
        let value = value.trim();
        let inner = value
            .strip_prefix("**")
            .and_then(|v| v.strip_suffix("**"))
            .map(str::trim);
        let status = inner.and_then(|v| SupportStatus::from_text(v).map(|s| (v, s)));
        let Some((text_value, status)) = status else {
            matrix.unparsed.push(Unparsed {
                line: index + 1,
                text: raw.to_string(),
            });
            continue;
        };
        let qualifier = lines
            .iter()
            .skip(index + 1)
            .take(3)
            .find_map(|l| l.trim().strip_prefix("Architecture:"))
            .map(|a| a.trim().to_string());
        statuses.push(StatusLine {
            qualifier,
            text: text_value.to_string(),
            status,
            line: index + 1,
        });
    }
    if !statuses.is_empty() {
        matrix.features.push(Feature {
            category: "docs/features".to_string(),
            name,
            statuses,
        });
    }
    matrix
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_normalise_to_the_lifecycle() {
        let table = [
            ("Supported", SupportStatus::Supported),
            ("Supported, not security supported", SupportStatus::Supported),
            ("Supported, Not security supported", SupportStatus::Supported),
            ("Supported, with caveats", SupportStatus::Supported),
            ("Supported, Security support external", SupportStatus::Supported),
            ("Supported up to 12 TiB. Hosts with more memory are supported, but not security supported.", SupportStatus::Supported),
            ("Security supported", SupportStatus::Supported),
            ("Tech Preview", SupportStatus::Preview),
            ("Preview", SupportStatus::Preview),
            ("Experimental", SupportStatus::Experimental),
            ("Complete", SupportStatus::Complete),
            ("Supported-Legacy-Stable", SupportStatus::SupportedLegacyStable),
            ("Deprecated", SupportStatus::Deprecated),
            ("Not supported.", SupportStatus::NotSupported),
            ("Not implemented", SupportStatus::NotSupported),
            ("Not functional", SupportStatus::NotSupported),
        ];
        for (text, status) in table {
            assert_eq!(SupportStatus::from_text(text), Some(status), "{text}");
        }
        assert_eq!(SupportStatus::from_text("Maybe"), None);
    }

    #[test]
    fn real_traps_are_read() {
        let text = "# Feature Support\n\n## Guest Type\n\n### x86/PV\n\n    Status, x86_64: Supported\n    Status, x86_32, shim: Supported\n    Status, x86_32, without shim: Supported, not security supported\n\n### Tabbed\n\n\tStatus: Experimental\n\n### Nothing here\n\nProse.\n";
        let m = parse_support(text);
        assert_eq!(m.unparsed, []);
        assert_eq!(m.features.len(), 2);
        let pv = m.feature("x86/PV").unwrap();
        assert_eq!(pv.category, "Guest Type");
        let qualifiers: Vec<Option<&str>> =
            pv.statuses.iter().map(|s| s.qualifier.as_deref()).collect();
        assert_eq!(
            qualifiers,
            [
                Some("x86_64"),
                Some("x86_32, shim"),
                Some("x86_32, without shim")
            ]
        );
        assert_eq!(pv.statuses[2].text, "Supported, not security supported");
        assert_eq!(
            m.feature("Tabbed").unwrap().statuses[0].status,
            SupportStatus::Experimental
        );
    }

    #[test]
    fn unreadable_status_lines_are_reported_with_their_line() {
        let text = "## C\n\n### F\n\n    Status: Supported\n    Status, x86 Supported\n    Status: Sometimes\n    Status:\n    Status\n";
        let m = parse_support(text);
        let lines: Vec<usize> = m.unparsed.iter().map(|u| u.line).collect();
        assert_eq!(lines, [6, 7, 8, 9]);
        assert_eq!(m.features[0].statuses.len(), 1);
    }

    #[test]
    fn a_status_under_a_category_makes_the_category_a_feature() {
        let m = parse_support(
            "## Dom0less

Prose.

    Status, ARM: Supported

### Sub

    Status: Experimental
",
        );
        let names: Vec<&str> = m.features.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["Dom0less", "Sub"]);
    }

    #[test]
    fn the_format_definitions_hold_no_features() {
        let text = "# Feature Support\n\n## C\n\n### F\n\n    Status: Supported\n\n# Format and definitions\n\n### Status\n\n    Status, x86: Supported\n";
        let m = parse_support(text);
        assert_eq!(m.features.len(), 1);
        assert_eq!(m.unparsed, []);
    }

    #[test]
    fn pandoc_status_tables_are_a_second_source() {
        let text = "% Live Patching\n% Revision 1\n\n---- ----\n         Status: **Supported**\n\n   Architecture: x86\n\n         Status: **Tech Preview/Experimental**\n\n   Architecture: ARM\n";
        let m = parse_pandoc(text);
        let f = &m.features[0];
        assert_eq!(f.name, "Live Patching");
        assert_eq!(f.statuses[0].status, SupportStatus::Supported);
        assert_eq!(f.statuses[0].qualifier.as_deref(), Some("x86"));
        assert_eq!(f.statuses[1].status, SupportStatus::Preview);
        assert_eq!(f.statuses[1].qualifier.as_deref(), Some("ARM"));
        let template = parse_pandoc("% T\n         Status: e.g. **Supported**/**Tech Preview**\n");
        assert_eq!(template.unparsed.len(), 1);
    }

    #[test]
    fn phrases_are_classified_by_their_words() {
        use SupportStatus::*;
        // (text, status, one of Xen's phrasings). Older releases wrote "Not security
        // supported" with a capital, "Tech preview" in lower case, and statuses with notes.
        let table = [
            ("Supported", Supported, true),
            ("Supported, Not security supported", Supported, true),
            ("Supported, with caveats", Supported, true),
            ("Supported, Security support external", Supported, true),
            ("Supported up to 16 TiB", Supported, true),
            (
                "Supported, security supported only when run de-privileged",
                Supported,
                true,
            ),
            ("Tech preview", Preview, true),
            ("Tech Preview, with limited support", Preview, true),
            ("Not supported.", NotSupported, true),
            ("Supported-Legacy-Stable", SupportedLegacyStable, true),
            ("Supported, with caveats (see below)", Supported, false),
            // Punctuation does not make a phrasing new.
            ("Supported (security support external)", Supported, true),
            ("Supported, not security supported on ARM", Supported, false),
            ("No security support", Supported, false),
            ("Security support", Supported, false),
            ("Experimental, not security supported", Experimental, false),
            ("Technical Preview", Preview, false),
            ("Tech-Preview", Preview, true),
            ("Deprecated (to be removed in 4.21)", Deprecated, false),
            ("Not recommended", Deprecated, false),
            ("Obsolete", NotSupported, false),
            ("Unsupported", NotSupported, false),
            ("Works, but unsupported", NotSupported, false),
            ("Legacy stable", SupportedLegacyStable, false),
        ];
        for (text, status, familiar) in table {
            assert_eq!(classify(text), Some(Reading { status, familiar }), "{text}");
        }
        for text in [
            "Sometimes",
            "TBD",
            "see below",
            "",
            "Incompletely specified",
        ] {
            assert_eq!(classify(text), None, "{text}");
        }
    }

    #[test]
    fn unfamiliar_phrases_are_read_with_a_warning_naming_their_line() {
        let text = "## Guests\n\n### A\n\n    Status: Supported\n\n### B\n\n    Status, x86: Obsolete\n    Status, Arm: No security support\n\n### C\n\n    Status: to be decided\n";
        let m = parse_support(text);
        let names: Vec<&str> = m.features.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["A", "B"], "C carries no status at all");
        let b = m.feature("B").unwrap();
        assert_eq!(b.statuses[0].status, SupportStatus::NotSupported);
        assert_eq!(b.statuses[1].status, SupportStatus::Supported);
        let lines: Vec<usize> = m.unfamiliar.iter().map(|u| u.line).collect();
        assert_eq!(lines, [9, 10]);
        assert_eq!(
            m.unfamiliar[0].warning("SUPPORT.md"),
            "SUPPORT.md:9: unfamiliar status `Obsolete`, read as Not supported"
        );
        let unparsed: Vec<usize> = m.unparsed.iter().map(|u| u.line).collect();
        assert_eq!(unparsed, [14]);
    }
}
