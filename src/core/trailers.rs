//! Commit-message trailers (`Acked-by:`, `Reviewed-by:`, `Release-Acked-by:` …): the acks,
//! reviews and objections that Xen's check-in policy counts, read leniently from real history.

use std::fmt;

use crate::core::people::{angle_brackets, Person};

/// The trailers the check-in policy knows about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum TrailerKind {
    SignedOffBy,
    AckedBy,
    ReviewedBy,
    ReleaseAckedBy,
    TestedBy,
    ReportedBy,
    SuggestedBy,
    NackedBy,
}

/// Longer tags are prose that happens to contain a colon, not trailers.
const MAX_TAG_CHARS: usize = 64;

/// Only stems at least this long are matched with one typo allowed: shorter ones are too close
/// to ordinary words ("asked", "rested") to guess safely.
const FUZZY_MIN_CHARS: usize = 7;

impl TrailerKind {
    pub const ALL: [TrailerKind; 8] = [
        TrailerKind::SignedOffBy,
        TrailerKind::AckedBy,
        TrailerKind::ReviewedBy,
        TrailerKind::ReleaseAckedBy,
        TrailerKind::TestedBy,
        TrailerKind::ReportedBy,
        TrailerKind::SuggestedBy,
        TrailerKind::NackedBy,
    ];

    /// The canonical spelling, e.g. "Release-Acked-by".
    pub fn as_str(self) -> &'static str {
        match self {
            TrailerKind::SignedOffBy => "Signed-off-by",
            TrailerKind::AckedBy => "Acked-by",
            TrailerKind::ReviewedBy => "Reviewed-by",
            TrailerKind::ReleaseAckedBy => "Release-Acked-by",
            TrailerKind::TestedBy => "Tested-by",
            TrailerKind::ReportedBy => "Reported-by",
            TrailerKind::SuggestedBy => "Suggested-by",
            TrailerKind::NackedBy => "Nacked-by",
        }
    }

    /// The tag reduced as [`TrailerKind::from_tag`] reduces its input: lower-case letters only,
    /// without the final "by".
    fn stem(self) -> &'static str {
        match self {
            TrailerKind::SignedOffBy => "signedoff",
            TrailerKind::AckedBy => "acked",
            TrailerKind::ReviewedBy => "reviewed",
            TrailerKind::ReleaseAckedBy => "releaseacked",
            TrailerKind::TestedBy => "tested",
            TrailerKind::ReportedBy => "reported",
            TrailerKind::SuggestedBy => "suggested",
            TrailerKind::NackedBy => "nacked",
        }
    }

    /// Lenient recognition of a tag (without the colon), accepting the misspellings real
    /// history holds: case and separators are ignored ("Acked-By", "Signed_off_by"); any
    /// "<r…>-acked-by" whose prefix is "R" or reads as "release" is a release ack
    /// ("R-Acked-by", "Relase-Acked-by", "Released-Acked-by"); "signed-o?f?f?-by" is a
    /// sign-off; and long tags may carry one typo ("Reviwed-by"). Unknown tags
    /// ("Co-developed-by", "Requested-by", "Fixes") are `None`.
    pub fn from_tag(tag: &str) -> Option<TrailerKind> {
        if tag.chars().count() > MAX_TAG_CHARS {
            return None;
        }
        let compact: String = tag
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        let stem = compact.strip_suffix("by")?;
        if let Some(kind) = TrailerKind::ALL.into_iter().find(|k| k.stem() == stem) {
            return Some(kind);
        }
        if let Some(off) = stem.strip_prefix("signed") {
            let off = off.strip_prefix('o').unwrap_or(off);
            if off.len() <= 2 && off.chars().all(|c| c == 'f') {
                return Some(TrailerKind::SignedOffBy);
            }
        }
        // Every "…acked" tag is decided here: an unknown qualifier ("Reviewed-and-acked-by",
        // "Re-acked-by") must not be guessed into a release ack or a plain ack.
        if let Some(prefix) = stem.strip_suffix("acked") {
            return is_release_prefix(prefix).then_some(TrailerKind::ReleaseAckedBy);
        }
        // NAK is the older mailing-list spelling of a nack.
        if matches!(stem, "nak" | "naked") {
            return Some(TrailerKind::NackedBy);
        }
        let stem: Vec<char> = stem.chars().collect();
        let mut near = TrailerKind::ALL.into_iter().filter(|k| {
            let known: Vec<char> = k.stem().chars().collect();
            known.len() >= FUZZY_MIN_CHARS && within_one_edit(&stem, &known)
        });
        match (near.next(), near.next()) {
            (Some(kind), None) => Some(kind),
            _ => None,
        }
    }
}

impl fmt::Display for TrailerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// "R" is the release manager's shorthand; anything starting "rel" or within two typos of
/// "release" ("relase", "relese", "released") is the long form.
fn is_release_prefix(prefix: &str) -> bool {
    let chars: Vec<char> = prefix.chars().collect();
    let release: Vec<char> = "release".chars().collect();
    prefix == "r" || prefix.starts_with("rel") || edit_distance(&chars, &release) <= 2
}

fn within_one_edit(a: &[char], b: &[char]) -> bool {
    a.len().abs_diff(b.len()) <= 1 && edit_distance(a, b) <= 1
}

/// Optimal-string-alignment distance: insertions, deletions, substitutions and swaps of
/// neighbours, the typos people make when typing a tag by hand.
fn edit_distance(a: &[char], b: &[char]) -> usize {
    let width = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * width];
    for (i, row) in d.chunks_mut(width).enumerate() {
        row[0] = i;
    }
    for (j, cell) in d.iter_mut().take(width).enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[(i - 1) * width + j] + 1)
                .min(d[i * width + j - 1] + 1)
                .min(d[(i - 1) * width + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[(i - 2) * width + j - 2] + 1);
            }
            d[i * width + j] = best;
        }
    }
    d[a.len() * width + b.len()]
}

/// One trailer line of a commit message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Trailer {
    pub kind: TrailerKind,
    pub person: Person,
    /// The optional area an ack is narrowed to: `Acked-by: Jan <j@x> # x86`, `#arm`, or
    /// `[RISC-V]` (text after the e-mail). Trimmed; `None` when absent or empty.
    pub scope: Option<String>,
    /// 1-based line number in the message.
    pub line: usize,
}

impl fmt::Display for Trailer {
    /// The canonical spelling, as pushgate writes trailers when it lands a change.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let person = self.person.to_string();
        // Written without brackets, a person ends at `[` or `#` when read back, and a `<` in
        // the scope would be taken for its address; brackets (empty ones after a name
        // without an address) keep it whole.
        let scope_has_bracket = self.scope.as_deref().is_some_and(|s| s.contains('<'));
        if person.contains('<') || !(person.contains(['[', '#']) || scope_has_bracket) {
            write!(f, "{}: {person}", self.kind)?;
        } else if self.person.email.is_empty() {
            write!(f, "{}: {person} <>", self.kind)?;
        } else {
            write!(f, "{}: <{}>", self.kind, self.person.email)?;
        }
        match &self.scope {
            Some(scope) => write!(f, " # {scope}"),
            None => Ok(()),
        }
    }
}

/// All trailer lines of a message, in order.
///
/// A trailer line starts at column 0 with `Tag:` followed by a person. Every line is scanned,
/// not only the last paragraph, because Xen messages sometimes put trailers above a `---`
/// notes section. Lines with a recognised tag but no readable person are skipped.
pub fn parse_trailers(message: &str) -> Vec<Trailer> {
    message
        .lines()
        .enumerate()
        .filter_map(|(index, line)| parse_trailer_line(line, index + 1))
        .collect()
}

fn parse_trailer_line(line: &str, number: usize) -> Option<Trailer> {
    let (tag, rest) = line.split_once(':')?;
    if !is_tag_shaped(tag) {
        return None;
    }
    let kind = TrailerKind::from_tag(tag)?;
    let (person, scope) = split_scope(rest);
    Some(Trailer {
        kind,
        person: Person::parse(person)?,
        scope,
        line: number,
    })
}

/// Indented lines are quotations or prose, so a tag must start the line with a letter; tags
/// hold letters, digits, '-', '_' and spaces ("Acked by" is a typo worth accepting).
fn is_tag_shaped(tag: &str) -> bool {
    tag.starts_with(char::is_alphabetic)
        && tag.chars().count() <= MAX_TAG_CHARS
        && tag
            .chars()
            .all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | ' '))
}

/// Splits the text after `Tag:` into the person and the scope. The person ends at the `>`
/// closing the e-mail; without one, at the first `[` or at a `#` that follows a space.
fn split_scope(rest: &str) -> (&str, Option<String>) {
    let rest = rest.trim();
    match angle_brackets(rest) {
        Some((_, Some(close))) => (&rest[..=close], scope_of(&rest[close + 1..])),
        // Unclosed '<': Person::parse rejects it, and a guessed scope would be meaningless.
        Some((_, None)) => (rest, None),
        None => {
            let split = rest.char_indices().find(|&(i, c)| {
                c == '[' || (c == '#' && (i == 0 || rest[..i].ends_with(char::is_whitespace)))
            });
            match split {
                Some((i, _)) => (&rest[..i], scope_of(&rest[i..])),
                None => (rest, None),
            }
        }
    }
}

/// `# area`, `#area` or `[area]`; any other trailing text (a note in parentheses, say) is not
/// a scope.
fn scope_of(text: &str) -> Option<String> {
    let text = text.trim();
    let inner = if let Some(after_hash) = text.strip_prefix('#') {
        after_hash
    } else if let Some(after_bracket) = text.strip_prefix('[') {
        after_bracket
            .split_once(']')
            .map_or(after_bracket, |(inside, _)| inside)
    } else {
        return None;
    };
    let inner = inner.trim();
    (!inner.is_empty()).then(|| inner.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(name: &str, email: &str) -> Person {
        Person {
            name: name.to_owned(),
            email: email.to_owned(),
        }
    }

    fn only_trailer(line: &str) -> Trailer {
        let trailers = parse_trailers(line);
        assert_eq!(trailers.len(), 1, "{line:?} gave {trailers:?}");
        trailers[0].clone()
    }

    /// pushgate writes the trailers it lands with `Display`; each must read back as itself.
    /// Found by tests/fuzz.rs: `Release-Acked-by:<Olek <o@x>` gave the address `Olek <o@x`,
    /// which was written back as text that reads as someone else.
    #[test]
    fn written_trailers_read_back_as_themselves() {
        for line in [
            "Acked-by: Jan Beulich <jbeulich@suse.com> # x86",
            "Reviewed-by: \"Beulich, Jan\" <jbeulich@suse.com>",
            "Release-Acked-by: \"A <b>\" <a@b.c> [ARM]",
            "Acked-by: jbeulich@suse.com (Jan Beulich)",
            "Tested-by: Jan",
        ] {
            let trailer = only_trailer(line);
            let again = only_trailer(&trailer.to_string());
            assert_eq!(
                (again.kind, again.person, again.scope),
                (trailer.kind, trailer.person, trailer.scope),
                "{line:?}"
            );
        }
        assert!(parse_trailers("Release-Acked-by:<Olek <o@x>").is_empty());
        // Found by tests/fuzz.rs: a name without an address that holds ` # ` was written
        // bare and read back as a shorter name with a scope.
        let trailer = only_trailer("Signed-off-by: Juergen Gro # ss <>x");
        assert_eq!(trailer.person, person("Juergen Gro # ss", ""));
        assert_eq!(trailer.to_string(), "Signed-off-by: Juergen Gro # ss <>");
        assert_eq!(only_trailer(&trailer.to_string()).person, trailer.person);
        // Found by tests/fuzz.rs: a scope holding `<…>` after an address written bare.
        let trailer = only_trailer("Acked-by: <l@arm.com> # ar Julien <j@x>");
        assert_eq!(only_trailer(&trailer.to_string()).person, trailer.person);
        // And an address without a name that holds `[`.
        let trailer = only_trailer("Signed-off-by:  <roger.pau@citrix[.com>");
        assert_eq!(trailer.person, person("", "roger.pau@citrix[.com"));
        assert_eq!(only_trailer(&trailer.to_string()).person, trailer.person);
    }

    #[test]
    fn every_kind_is_recognised_by_its_canonical_tag() {
        for kind in TrailerKind::ALL {
            assert_eq!(TrailerKind::from_tag(kind.as_str()), Some(kind));
            assert_eq!(
                TrailerKind::from_tag(&kind.as_str().to_uppercase()),
                Some(kind)
            );
            assert_eq!(kind.to_string(), kind.as_str());
        }
    }

    #[test]
    fn canonical_spellings_are_xens() {
        let cases = [
            (TrailerKind::SignedOffBy, "Signed-off-by"),
            (TrailerKind::AckedBy, "Acked-by"),
            (TrailerKind::ReviewedBy, "Reviewed-by"),
            (TrailerKind::ReleaseAckedBy, "Release-Acked-by"),
            (TrailerKind::TestedBy, "Tested-by"),
            (TrailerKind::ReportedBy, "Reported-by"),
            (TrailerKind::SuggestedBy, "Suggested-by"),
            (TrailerKind::NackedBy, "Nacked-by"),
        ];
        for (kind, tag) in cases {
            assert_eq!(kind.as_str(), tag);
        }
    }

    #[test]
    fn misspelled_tags_from_real_history_are_recognised() {
        use TrailerKind::*;
        let cases = [
            ("Acked-By", AckedBy),
            ("acked-by", AckedBy),
            ("Acked by", AckedBy),
            ("Signed-of-by", SignedOffBy),
            ("Signed-Off-By", SignedOffBy),
            ("Signed-off-by", SignedOffBy),
            ("Signed-by", SignedOffBy),
            ("Signed_off_by", SignedOffBy),
            ("Singed-off-by", SignedOffBy),
            ("Reviwed-by", ReviewedBy),
            ("Reviewed-By", ReviewedBy),
            ("Reveiwed-by", ReviewedBy),
            ("Suggsted-by", SuggestedBy),
            ("Reported-By", ReportedBy),
            ("NACKed-by", NackedBy),
            ("NAKed-by", NackedBy),
            ("Release-acked-by", ReleaseAckedBy),
        ];
        for (tag, kind) in cases {
            assert_eq!(TrailerKind::from_tag(tag), Some(kind), "{tag:?}");
        }
    }

    #[test]
    fn misspelled_release_ack_is_a_release_ack() {
        for tag in [
            "Release-Acked-By",
            "Relase-Acked-by",
            "Relese-Acked-by",
            "Released-Acked-by",
            "R-Acked-by",
            "Release-Manager-Acked-by",
        ] {
            assert_eq!(
                TrailerKind::from_tag(tag),
                Some(TrailerKind::ReleaseAckedBy),
                "{tag:?}"
            );
        }
    }

    #[test]
    fn unknown_tags_are_not_trailers() {
        for tag in [
            "Co-developed-by",
            "Requested-by",
            "Fixes",
            "Cc",
            "Link",
            "Asked-by",
            "Hacked-by",
            "Reviewed-and-acked-by",
            "Signed-off",
            "by",
            "",
            "-",
            "Backport-requested-by",
        ] {
            assert_eq!(TrailerKind::from_tag(tag), None, "{tag:?}");
        }
    }

    #[test]
    fn xen_trailer_lines_parse() {
        let cases = [
            (
                "Reviewed-by: Roger Pau Monné <roger.pau@citrix.com>",
                TrailerKind::ReviewedBy,
                person("Roger Pau Monné", "roger.pau@citrix.com"),
                None,
            ),
            (
                "Acked-by: Jan Beulich <jbeulich@suse.com> # x86",
                TrailerKind::AckedBy,
                person("Jan Beulich", "jbeulich@suse.com"),
                Some("x86"),
            ),
            (
                "Release-Acked-By: Oleksii Kurochko <oleksii.kurochko@gmail.com>",
                TrailerKind::ReleaseAckedBy,
                person("Oleksii Kurochko", "oleksii.kurochko@gmail.com"),
                None,
            ),
            (
                "Signed-off-by: \"Beulich, Jan\" <jbeulich@suse.com>",
                TrailerKind::SignedOffBy,
                person("Beulich, Jan", "jbeulich@suse.com"),
                None,
            ),
            (
                "Tested-by: jbeulich@suse.com",
                TrailerKind::TestedBy,
                person("", "jbeulich@suse.com"),
                None,
            ),
            (
                "Reported-by: the osstest robot",
                TrailerKind::ReportedBy,
                person("the osstest robot", ""),
                None,
            ),
            (
                "Nacked-by:Julien Grall <julien@xen.org>",
                TrailerKind::NackedBy,
                person("Julien Grall", "julien@xen.org"),
                None,
            ),
        ];
        for (line, kind, who, scope) in cases {
            let trailer = only_trailer(line);
            assert_eq!(trailer.kind, kind, "{line:?}");
            assert_eq!(trailer.person, who, "{line:?}");
            assert_eq!(trailer.scope.as_deref(), scope, "{line:?}");
            assert_eq!(trailer.line, 1);
        }
    }

    #[test]
    fn ack_scopes_are_read_in_every_form() {
        let cases = [
            (
                "Acked-by: Jan Beulich <jbeulich@suse.com> # x86",
                Some("x86"),
            ),
            (
                "Acked-by: Jan Beulich <jbeulich@suse.com> #arm",
                Some("arm"),
            ),
            (
                "Acked-by: Jan Beulich <jbeulich@suse.com> [RISC-V]",
                Some("RISC-V"),
            ),
            (
                "Acked-by: Jan Beulich <jbeulich@suse.com>[ x86 ] (v2)",
                Some("x86"),
            ),
            ("Acked-by: Jan Beulich <jbeulich@suse.com> #", None),
            ("Acked-by: Jan Beulich <jbeulich@suse.com> []", None),
            ("Acked-by: Jan Beulich <jbeulich@suse.com> (for v2)", None),
            ("Acked-by: jbeulich@suse.com # x86", Some("x86")),
            ("Acked-by: Jan Beulich [x86]", Some("x86")),
            ("Acked-by: Jan Beulich #x86", Some("x86")),
            (
                "Acked-by: \"Jan # Beulich\" <jbeulich@suse.com> # mm",
                Some("mm"),
            ),
        ];
        for (line, scope) in cases {
            assert_eq!(only_trailer(line).scope.as_deref(), scope, "{line:?}");
        }
        assert_eq!(
            only_trailer("Acked-by: Jan Beulich [x86]").person,
            person("Jan Beulich", "")
        );
        assert_eq!(
            only_trailer("Acked-by: jbeulich@suse.com # x86").person,
            person("", "jbeulich@suse.com")
        );
    }

    #[test]
    fn lines_that_are_not_trailers_are_skipped() {
        for line in [
            "Fixes: abc123 (\"x86: fix it\")",
            "    Acked-by: Jan Beulich <jbeulich@suse.com>",
            "> Acked-by: Jan Beulich <jbeulich@suse.com>",
            "Acked-by:",
            "Acked-by:   ",
            "Acked-by: Jan <jbeulich@suse.com",
            "Acked-by: # x86",
            "See https://xenbits.xen.org/ for details",
            "x86/mm: Acked-by: is not at the start",
            "",
        ] {
            assert_eq!(parse_trailers(line), [], "{line:?}");
        }
    }

    #[test]
    fn trailers_anywhere_in_the_message_are_found_in_order_with_line_numbers() {
        let message = "\
x86/hvm: fix the thing

Longer explanation.
Fixes: 0123456789ab (\"x86/hvm: break the thing\")
Signed-off-by: Andrew Cooper <andrew.cooper3@citrix.com>
Acked-by: Jan Beulich <jbeulich@suse.com> # x86
---
v2: Reviewed-by: collected below
Release-Acked-By: Oleksii Kurochko <oleksii.kurochko@gmail.com>\r
Co-developed-by: Someone <someone@example.org>
";
        let found: Vec<(TrailerKind, usize)> = parse_trailers(message)
            .iter()
            .map(|t| (t.kind, t.line))
            .collect();
        assert_eq!(
            found,
            [
                (TrailerKind::SignedOffBy, 5),
                (TrailerKind::AckedBy, 6),
                (TrailerKind::ReleaseAckedBy, 9),
            ]
        );
    }

    #[test]
    fn trailer_displays_in_canonical_form() {
        let trailer = only_trailer("acked-BY: Jan Beulich <jbeulich@suse.com> [x86]");
        assert_eq!(
            trailer.to_string(),
            "Acked-by: Jan Beulich <jbeulich@suse.com> # x86"
        );
    }

    #[test]
    fn empty_and_garbage_input_does_not_panic() {
        let inputs = [
            "",
            "\n\n\n",
            ":",
            "::::",
            "Acked-by:<",
            "Acked-by:>",
            "Acked-by: \"",
            "Acked-by: \"<",
            "Acked-by: <>",
            "Acked-by: [",
            "Acked-by: #",
            "Acked-by: é<ü>#ß[",
            "Ré-Acked-by: é",
            "\u{0}:\u{0}",
        ];
        for input in inputs {
            let _ = parse_trailers(input);
        }
        let long_tag = format!("{}-by: Jan <j@x.org>", "a".repeat(10_000));
        assert_eq!(parse_trailers(&long_tag), []);
        let _ = TrailerKind::from_tag(&"é".repeat(100));
    }

    #[test]
    fn edit_distance_counts_typos() {
        let chars = |s: &str| s.chars().collect::<Vec<_>>();
        let cases = [
            ("", "", 0),
            ("abc", "", 3),
            ("reviewed", "reviwed", 1),
            ("reviewed", "reveiwed", 1),
            ("release", "released", 1),
            ("release", "r", 6),
        ];
        for (a, b, d) in cases {
            assert_eq!(edit_distance(&chars(a), &chars(b)), d, "{a:?} {b:?}");
        }
    }
}
