//! The MAINTAINERS file: parsing Xen's (and Linux's) format and answering, for a path, which
//! sections cover it, whom to notify and whose ack is required — with the semantics of Xen's
//! `scripts/get_maintainer.pl` (SPEC §1).

use std::collections::BTreeSet;
use std::fmt;

use regex::{Regex, RegexSet};
use serde::Serialize;

use crate::core::glob::Pattern;
use crate::core::people::Person;

/// The name of the catch-all section whose maintainers are the committers.
pub const THE_REST: &str = "THE REST";

/// How bad a problem in the file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Kept and reported, matching goes on (an unknown field letter).
    Warning,
    /// The line cannot be used as written (a broken pattern or regex, an M: without e-mail).
    Error,
}

/// A problem found while reading MAINTAINERS, with its 1-based line number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub line: usize,
    pub severity: Severity,
    pub message: String,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}: {}: {}",
            self.line,
            self.severity.as_str(),
            self.message
        )
    }
}

/// One `L:\tvalue` line as written, kept so nothing of the file is lost.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Field {
    pub letter: char,
    pub value: String,
    pub line: usize,
}

/// A rule that puts a path into a section, in file order (get_maintainer.pl lets the last
/// matching rule of a section decide its specificity).
#[derive(Debug, Clone)]
enum Rule {
    File(Pattern),
    Regex(Regex),
}

/// One section of MAINTAINERS: a name line followed by field lines.
#[derive(Debug, Clone)]
pub struct Section {
    pub name: String,
    /// Line of the section's name.
    pub line: usize,
    pub maintainers: Vec<Person>,
    pub reviewers: Vec<Person>,
    pub status: Option<String>,
    /// Every field in order, unknown letters included.
    pub fields: Vec<Field>,
    rules: Vec<Rule>,
    excludes: Vec<Pattern>,
    keywords: Vec<Regex>,
}

impl Section {
    /// The bytes this section holds on the heap, roughly (see [`Matcher::heap_bytes`]).
    fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let people = |list: &Vec<Person>| {
            list.capacity() * size_of::<Person>()
                + list
                    .iter()
                    .map(|p| p.name.capacity() + p.email.capacity())
                    .sum::<usize>()
        };
        let rules: usize = self
            .rules
            .iter()
            .map(|rule| match rule {
                Rule::File(pattern) => pattern.heap_bytes(),
                Rule::Regex(regex) => regex.as_str().len(),
            })
            .sum();
        self.name.capacity()
            + people(&self.maintainers)
            + people(&self.reviewers)
            + self.status.as_ref().map_or(0, String::capacity)
            + self.fields.capacity() * size_of::<Field>()
            + self
                .fields
                .iter()
                .map(|f| f.value.capacity())
                .sum::<usize>()
            + self.rules.capacity() * size_of::<Rule>()
            + rules
            + self.excludes.capacity() * size_of::<Pattern>()
            + self.excludes.iter().map(Pattern::heap_bytes).sum::<usize>()
            + self.keywords.capacity() * size_of::<Regex>()
            + self
                .keywords
                .iter()
                .map(|k| k.as_str().len())
                .sum::<usize>()
    }

    /// Is this the catch-all section (its M: are the committers)?
    pub fn is_the_rest(&self) -> bool {
        self.name == THE_REST
    }

    /// The `F:` patterns of the section as written.
    pub fn file_patterns(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().filter_map(|rule| match rule {
            Rule::File(pattern) => Some(pattern.as_str()),
            Rule::Regex(_) => None,
        })
    }

    /// Does a `K:` keyword of this section occur in `text` (a diff or a commit message)?
    pub fn keyword_matches(&self, text: &str) -> bool {
        self.keywords.iter().any(|k| k.is_match(text))
    }

    fn excluded(&self, path: &str) -> bool {
        self.excludes.iter().any(|x| x.matches(path))
    }

    /// The specificity this section gives `path`, if it covers it: the last matching rule's.
    fn specificity_for(&self, path: &str) -> Option<i32> {
        if self.excluded(path) {
            return None;
        }
        let mut found = None;
        for rule in &self.rules {
            match rule {
                Rule::File(pattern) if pattern.matches(path) => found = Some(pattern.specificity()),
                // N: regexes rank below every file pattern but THE REST's `*`.
                Rule::Regex(regex) if regex.is_match(path) => found = Some(0),
                _ => {}
            }
        }
        found
    }
}

/// A parsed MAINTAINERS file.
#[derive(Debug, Clone, Default)]
pub struct Maintainers {
    pub sections: Vec<Section>,
    pub diagnostics: Vec<Diagnostic>,
}

/// A section that covers a path, and how specifically.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SectionMatch {
    pub section: usize,
    pub specificity: i32,
}

/// The maintainers whose ack can satisfy a path at one level of nesting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApproverLevel {
    pub specificity: i32,
    /// Sections tied at this specificity that have at least one M:.
    pub sections: Vec<usize>,
    pub people: Vec<Person>,
}

/// Who may approve a path: the first level is the most specific maintainers (whose ack is
/// necessary and sufficient); later levels are more general maintainers who may stand in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Approvers {
    pub levels: Vec<ApproverLevel>,
}

impl Approvers {
    /// The most specific maintainers, or nobody when no section with an M: covers the path.
    pub fn required(&self) -> &[Person] {
        self.levels
            .first()
            .map(|l| l.people.as_slice())
            .unwrap_or(&[])
    }
}

/// Whom to CC, as get_maintainer.pl's default output.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct Notify {
    pub maintainers: Vec<Person>,
    pub reviewers: Vec<Person>,
}

fn field_line(line: &str) -> Option<(char, &str)> {
    let bytes = line.as_bytes();
    if bytes.len() >= 2 && bytes[0].is_ascii_uppercase() && bytes[1] == b':' {
        Some((bytes[0] as char, line[2..].trim()))
    } else {
        None
    }
}

impl Maintainers {
    /// Parses MAINTAINERS text. Never fails: problems become [`Diagnostic`]s with line numbers
    /// and the rest of the file is still used.
    ///
    /// As in get_maintainer.pl, a field line is a capital letter and a colon at the start of a
    /// line; a section's name is the last non-blank, non-field line before its first field;
    /// blank lines between field lines do not end a section.
    pub fn parse(text: &str) -> Maintainers {
        let mut parsed = Maintainers::default();
        let mut name: Option<(String, usize)> = None;
        let mut in_fields = false;
        for (index, raw_line) in text.lines().enumerate() {
            let number = index + 1;
            let line = raw_line.trim_end();
            if line.trim().is_empty() {
                continue;
            }
            let Some((letter, value)) = field_line(line) else {
                name = Some((line.trim().to_string(), number));
                in_fields = false;
                continue;
            };
            if !in_fields {
                let Some((section_name, section_line)) = name.take() else {
                    parsed.error(number, format!("field `{letter}:` before any section name"));
                    continue;
                };
                parsed.sections.push(Section {
                    name: section_name,
                    line: section_line,
                    maintainers: Vec::new(),
                    reviewers: Vec::new(),
                    status: None,
                    fields: Vec::new(),
                    rules: Vec::new(),
                    excludes: Vec::new(),
                    keywords: Vec::new(),
                });
                in_fields = true;
            }
            parsed.add_field(letter, value, number);
        }
        parsed
    }

    fn error(&mut self, line: usize, message: String) {
        self.diagnostics.push(Diagnostic {
            line,
            severity: Severity::Error,
            message,
        });
    }

    fn add_field(&mut self, letter: char, value: &str, line: usize) {
        let mut problem = None;
        let Some(section) = self.sections.last_mut() else {
            return;
        };
        section.fields.push(Field {
            letter,
            value: value.to_string(),
            line,
        });
        match letter {
            'M' | 'R' => match Person::parse(value) {
                Some(person) if !person.email.is_empty() => {
                    if letter == 'M' {
                        section.maintainers.push(person)
                    } else {
                        section.reviewers.push(person)
                    }
                }
                _ => problem = Some(format!("`{letter}:` needs `Name <email>`, got `{value}`")),
            },
            'F' | 'X' => match Pattern::new(value) {
                Ok(pattern) if letter == 'F' => section.rules.push(Rule::File(pattern)),
                Ok(pattern) => section.excludes.push(pattern),
                Err(e) => problem = Some(format!("bad `{letter}:` pattern: {e}")),
            },
            // get_maintainer.pl applies N: and K: with Perl's /x flag.
            'N' => match Regex::new(&format!("(?x){value}")) {
                Ok(regex) => section.rules.push(Rule::Regex(regex)),
                Err(e) => problem = Some(format!("bad `N:` regex `{value}`: {e}")),
            },
            'K' => match Regex::new(&format!("(?x){value}")) {
                Ok(regex) => section.keywords.push(regex),
                Err(e) => problem = Some(format!("bad `K:` regex `{value}`: {e}")),
            },
            'S' => section.status = Some(value.to_string()),
            'L' | 'W' | 'T' | 'V' | 'B' | 'C' | 'P' | 'Q' => {}
            other => {
                self.diagnostics.push(Diagnostic {
                    line,
                    severity: Severity::Warning,
                    message: format!("unknown field letter `{other}:` (kept, not used)"),
                });
            }
        }
        if let Some(message) = problem {
            self.error(line, message);
        }
    }

    /// Errors only (warnings left out).
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == Severity::Error)
    }

    /// get_maintainer.pl treats a pattern that names an existing directory of the tree as if
    /// it ended in `/`. `is_dir` answers for a path relative to the tree's root.
    pub fn resolve_directories(&mut self, is_dir: impl Fn(&str) -> bool) {
        for section in &mut self.sections {
            for rule in &mut section.rules {
                if let Rule::File(pattern) = rule {
                    if pattern.is_literal() && !pattern.is_directory() && is_dir(pattern.as_str()) {
                        *pattern = pattern.as_directory();
                    }
                }
            }
            for pattern in &mut section.excludes {
                if pattern.is_literal() && !pattern.is_directory() && is_dir(pattern.as_str()) {
                    *pattern = pattern.as_directory();
                }
            }
        }
    }

    /// The literal patterns that would change meaning if they named a directory: what a caller
    /// needs to look up in the tree before [`Maintainers::resolve_directories`].
    pub fn directory_candidates(&self) -> BTreeSet<&str> {
        self.sections
            .iter()
            .flat_map(|s| {
                s.rules
                    .iter()
                    .filter_map(|rule| match rule {
                        Rule::File(p) => Some(p),
                        Rule::Regex(_) => None,
                    })
                    .chain(s.excludes.iter())
            })
            .filter(|p| p.is_literal() && !p.is_directory())
            .map(|p| p.as_str())
            .collect()
    }

    /// Index of THE REST, if the file has one.
    pub fn the_rest(&self) -> Option<usize> {
        self.sections.iter().position(Section::is_the_rest)
    }

    /// Every section covering `path`, most specific first (file order among equals), without
    /// building an index: for a handful of paths. Use [`Matcher`] for many.
    pub fn sections_for(&self, path: &str) -> Vec<SectionMatch> {
        let candidates = 0..self.sections.len();
        self.rank(path, candidates)
    }

    fn rank(&self, path: &str, candidates: impl Iterator<Item = usize>) -> Vec<SectionMatch> {
        let mut found: Vec<SectionMatch> = candidates
            .filter_map(|section| {
                self.sections[section]
                    .specificity_for(path)
                    .map(|specificity| SectionMatch {
                        section,
                        specificity,
                    })
            })
            .collect();
        found.sort_by(|a, b| {
            b.specificity
                .cmp(&a.specificity)
                .then(a.section.cmp(&b.section))
        });
        found
    }

    /// Whose ack a path needs: the M: of the most specific covering sections that have an M:
    /// (tied sections pool theirs), then each more general level, THE REST last.
    pub fn approvers(&self, matches: &[SectionMatch]) -> Approvers {
        let mut levels: Vec<ApproverLevel> = Vec::new();
        for m in matches {
            let section = &self.sections[m.section];
            if section.maintainers.is_empty() {
                continue;
            }
            match levels.last_mut() {
                Some(level) if level.specificity == m.specificity => {
                    level.sections.push(m.section);
                    push_unique(&mut level.people, &section.maintainers);
                }
                _ => levels.push(ApproverLevel {
                    specificity: m.specificity,
                    sections: vec![m.section],
                    people: dedup(&section.maintainers),
                }),
            }
        }
        Approvers { levels }
    }

    /// Whom to notify for a set of paths (each given by its matches), as get_maintainer.pl's
    /// default output: every covering section's M: and R:, except that THE REST's M: are
    /// dropped when every path has a maintainer (M:) from another section. Reviewers never
    /// displace THE REST: a path whose other sections list only R: still CCs the committers.
    pub fn notify<'a>(&self, per_path: impl IntoIterator<Item = &'a [SectionMatch]>) -> Notify {
        // Entries in get_maintainer.pl's order: (person, is M:, came from THE REST).
        let mut entries: Vec<(&Person, bool, bool)> = Vec::new();
        let mut some_path_only_the_rest = false;
        for matches in per_path {
            let mut other_maintainer = false;
            for m in matches {
                let section = &self.sections[m.section];
                let the_rest = section.is_the_rest();
                other_maintainer |= !the_rest && !section.maintainers.is_empty();
                entries.extend(section.maintainers.iter().map(|p| (p, true, the_rest)));
                entries.extend(section.reviewers.iter().map(|p| (p, false, false)));
            }
            some_path_only_the_rest |= !other_maintainer;
        }
        if !some_path_only_the_rest {
            entries.retain(|&(_, _, the_rest)| !the_rest);
        }
        let mut notify = Notify::default();
        for (person, maintainer, _) in entries {
            let list = if maintainer {
                &mut notify.maintainers
            } else {
                &mut notify.reviewers
            };
            if !list.iter().any(|p| p.email_key() == person.email_key()) {
                list.push(person.clone());
            }
        }
        notify
    }
}

impl Maintainers {
    /// get_maintainer.pl's `--keywords`: the sections whose `K:` pattern matches a line the
    /// diff adds or removes (a line starting with `+` or `-`, the `+++`/`---` file headers
    /// aside), in MAINTAINERS order.
    pub fn keyword_sections(&self, diff: &str) -> Vec<usize> {
        let changed: Vec<&str> = diff
            .lines()
            .filter(|l| {
                (l.starts_with('+') || l.starts_with('-'))
                    && !l.starts_with("+++ ")
                    && !l.starts_with("--- ")
            })
            .collect();
        if changed.is_empty() {
            return Vec::new();
        }
        (0..self.sections.len())
            .filter(|&s| changed.iter().any(|l| self.sections[s].keyword_matches(l)))
            .collect()
    }

    /// [`Maintainers::notify`] with `--keywords`: the M: and R: of every section a `K:`
    /// pattern of which matches the `diff` join the list after the paths' own.
    pub fn notify_with_keywords<'a>(
        &self,
        per_path: impl IntoIterator<Item = &'a [SectionMatch]>,
        diff: &str,
    ) -> Notify {
        let mut notify = self.notify(per_path);
        for s in self.keyword_sections(diff) {
            push_unique(&mut notify.maintainers, &self.sections[s].maintainers);
            push_unique(&mut notify.reviewers, &self.sections[s].reviewers);
        }
        notify
    }
}

fn push_unique(into: &mut Vec<Person>, people: &[Person]) {
    for person in people {
        if !into.iter().any(|p| p.email_key() == person.email_key()) {
            into.push(person.clone());
        }
    }
}

fn dedup(people: &[Person]) -> Vec<Person> {
    let mut out = Vec::new();
    push_unique(&mut out, people);
    out
}

/// An index over a [`Maintainers`] for answering many paths fast: file patterns are kept in a
/// byte trie keyed by their literal prefix, so a path only meets patterns that can match it.
#[derive(Debug)]
pub struct Matcher {
    maintainers: Maintainers,
    trie: Vec<TrieNode>,
    /// Section of each N: regex, in the order of `regexes`.
    regex_sections: Vec<usize>,
    /// All N: regexes in one automaton; None when the set is too large to build, in which
    /// case every section with an N: is a candidate for every path.
    regexes: Option<RegexSet>,
}

#[derive(Debug, Default)]
struct TrieNode {
    children: Vec<(u8, u32)>,
    /// Sections with a pattern whose literal prefix ends at this node.
    sections: Vec<u32>,
}

impl Matcher {
    /// Roughly the bytes this matcher holds on the heap: every vector by its capacity, each
    /// N:/K: regex by its source only (the regex crate does not say what its automata take).
    /// Caches of parsed MAINTAINERS are bounded by it.
    pub fn heap_bytes(&self) -> usize {
        use std::mem::size_of;
        let trie: usize = self
            .trie
            .iter()
            .map(|node| {
                node.children.capacity() * size_of::<(u8, u32)>()
                    + node.sections.capacity() * size_of::<u32>()
            })
            .sum();
        let sections = &self.maintainers.sections;
        let diagnostics = &self.maintainers.diagnostics;
        self.trie.capacity() * size_of::<TrieNode>()
            + trie
            + sections.capacity() * size_of::<Section>()
            + sections.iter().map(Section::heap_bytes).sum::<usize>()
            + diagnostics.capacity() * size_of::<Diagnostic>()
            + diagnostics
                .iter()
                .map(|d| d.message.capacity())
                .sum::<usize>()
            + self.regex_sections.capacity() * size_of::<usize>()
            + self
                .regexes
                .as_ref()
                .map_or(0, |set| set.patterns().iter().map(String::len).sum())
    }

    pub fn new(maintainers: Maintainers) -> Matcher {
        let mut trie = vec![TrieNode::default()];
        let mut regex_sections = Vec::new();
        let mut regex_sources = Vec::new();
        for (index, section) in maintainers.sections.iter().enumerate() {
            for rule in &section.rules {
                match rule {
                    Rule::File(pattern) => {
                        let node = insert(&mut trie, &pattern.literal_prefix());
                        let sections = &mut trie[node].sections;
                        if sections.last() != Some(&(index as u32)) {
                            sections.push(index as u32);
                        }
                    }
                    Rule::Regex(regex) => {
                        regex_sections.push(index);
                        regex_sources.push(regex.as_str().to_string());
                    }
                }
            }
        }
        Matcher {
            maintainers,
            trie,
            regex_sections,
            regexes: RegexSet::new(&regex_sources).ok(),
        }
    }

    /// The MAINTAINERS this index answers for.
    pub fn maintainers(&self) -> &Maintainers {
        &self.maintainers
    }

    /// Every section covering `path`, most specific first.
    pub fn sections_for(&self, path: &str) -> Vec<SectionMatch> {
        let mut candidates: Vec<usize> = Vec::new();
        let mut node = 0usize;
        candidates.extend(self.trie[0].sections.iter().map(|&s| s as usize));
        for &byte in path.as_bytes() {
            let Some(&(_, next)) = self.trie[node].children.iter().find(|(b, _)| *b == byte) else {
                break;
            };
            node = next as usize;
            candidates.extend(self.trie[node].sections.iter().map(|&s| s as usize));
        }
        match &self.regexes {
            Some(set) if !self.regex_sections.is_empty() => candidates.extend(
                set.matches(path)
                    .into_iter()
                    .map(|i| self.regex_sections[i]),
            ),
            Some(_) => {}
            None => candidates.extend(self.regex_sections.iter().copied()),
        }
        candidates.sort_unstable();
        candidates.dedup();
        self.maintainers.rank(path, candidates.into_iter())
    }
}

fn insert(trie: &mut Vec<TrieNode>, key: &[u8]) -> usize {
    let mut node = 0usize;
    for &byte in key {
        let existing = trie[node].children.iter().find(|(b, _)| *b == byte);
        node = match existing {
            Some(&(_, next)) => next as usize,
            None => {
                let next = trie.len();
                trie.push(TrieNode::default());
                trie[node].children.push((byte, next as u32));
                next
            }
        };
    }
    node
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../fixtures/MAINTAINERS");

    fn fixture() -> Maintainers {
        Maintainers::parse(FIXTURE)
    }

    fn line_of(text: &str, needle: &str) -> usize {
        text.lines()
            .position(|l| l.contains(needle))
            .map_or(0, |i| i + 1)
    }

    fn names(m: &Maintainers, matches: &[SectionMatch]) -> Vec<String> {
        matches
            .iter()
            .map(|x| format!("{}@{}", m.sections[x.section].name, x.specificity))
            .collect()
    }

    fn emails(people: &[Person]) -> Vec<String> {
        let mut out: Vec<String> = people.iter().map(Person::email_key).collect();
        out.sort();
        out
    }

    #[test]
    fn parses_sections_names_and_people() {
        let m = fixture();
        assert_eq!(m.sections.len(), 12);
        assert_eq!(m.sections[0].name, "ARM ARCHITECTURE");
        assert_eq!(m.sections[0].line, line_of(FIXTURE, "ARM ARCHITECTURE"));
        let bob = &m.sections[0].maintainers[1];
        assert_eq!(bob.name, "Bob, the Builder");
        assert_eq!(bob.email, "bob@arm.example");
        let sched = m.sections.iter().find(|s| s.name == "SCHEDULING").unwrap();
        assert_eq!(sched.maintainers[1].name, "Roger Pau Monné");
        assert!(m.sections[m.the_rest().unwrap()].is_the_rest());
        // The indented prose line that looks like a field is not one.
        assert!(m
            .sections
            .iter()
            .all(|s| s.name != "because they are indented."));
    }

    #[test]
    fn unknown_letters_are_kept_and_reported_with_their_line() {
        let m = fixture();
        let expected_line = line_of(FIXTURE, "Z:\tan unknown letter");
        assert_eq!(m.diagnostics.len(), 1, "{:?}", m.diagnostics);
        assert_eq!(m.diagnostics[0].line, expected_line);
        assert_eq!(m.diagnostics[0].severity, Severity::Warning);
        let sched = m.sections.iter().find(|s| s.name == "SCHEDULING").unwrap();
        assert!(sched.fields.iter().any(|f| f.letter == 'Z'));
        assert_eq!(m.errors().count(), 0);
    }

    #[test]
    fn malformed_lines_are_errors_with_line_numbers() {
        let table = [
            ("A\nF:\txen/[broken\n", 2, "pattern"),
            ("A\nF:\tok/\nN:\t(unclosed\n", 3, "regex"),
            ("A\nK:\t[z-a]\n", 2, "regex"),
            ("A\nM:\tNo Email Here\n", 2, "Name <email>"),
            ("A\nM:\tBroken <open@example\n", 2, "Name <email>"),
            ("F:\tbefore/any/name/\n", 1, "before any section"),
        ];
        for (text, line, words) in table {
            let m = Maintainers::parse(text);
            let errors: Vec<_> = m.errors().collect();
            assert_eq!(errors.len(), 1, "{text:?}: {errors:?}");
            assert_eq!(errors[0].line, line, "{text:?}");
            assert!(
                errors[0].message.contains(words),
                "{text:?}: {}",
                errors[0].message
            );
        }
    }

    #[test]
    fn no_input_makes_the_parser_panic() {
        // A cheap deterministic fuzz: every prefix and many byte-mangled variants of the fixture.
        let bytes = FIXTURE.as_bytes();
        for end in (0..bytes.len()).step_by(7) {
            let _ = Maintainers::parse(&String::from_utf8_lossy(&bytes[..end]));
        }
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..100 {
            let mut mangled = bytes.to_vec();
            for _ in 0..20 {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                let at = (seed % mangled.len() as u64) as usize;
                mangled[at] = b"[]{},*?\\/:\tMFXNK<>\n"[(seed >> 32) as usize % 19];
            }
            let m = Maintainers::parse(&String::from_utf8_lossy(&mangled));
            let matcher = Matcher::new(m);
            for path in ["xen/arch/x86/mm/shadow/multi.c", "", "/", "a"] {
                let found = matcher.sections_for(path);
                let _ = matcher.maintainers().approvers(&found);
                let _ = matcher.maintainers().notify([found.as_slice()]);
            }
        }
    }

    /// (path, sections covering it with specificity, approvers, notify M:, notify R:)
    type Row = (
        &'static str,
        &'static [&'static str],
        &'static [&'static str],
        &'static [&'static str],
        &'static [&'static str],
    );

    const REST: &[&str] = &[
        "cora@rest.example",
        "quinn@rest.example",
        "xavier@x86.example",
    ];

    const TABLE: &[Row] = &[
        // Xen's nesting example: the shadow maintainers (two tied sections, pooled) are the
        // approvers; x86 mm and x86 are notified; THE REST is dropped.
        (
            "xen/arch/x86/mm/shadow/multi.c",
            &[
                "X86 SHADOW PAGETABLES@5",
                "X86 SHADOW TWIN@5",
                "X86 MEMORY MANAGEMENT@4",
                "X86 ARCHITECTURE@3",
                "THE REST@-1",
            ],
            &["sha@shadow.example", "twin@shadow.example"],
            &[
                "mia@mm.example",
                "sha@shadow.example",
                "twin@shadow.example",
                "xavier@x86.example",
                "yara@x86.example",
            ],
            &["rhea@review.example"],
        ),
        (
            "xen/arch/x86/traps.c",
            &["X86 ARCHITECTURE@3", "THE REST@-1"],
            &["xavier@x86.example", "yara@x86.example"],
            &["xavier@x86.example", "yara@x86.example"],
            &["rhea@review.example"],
        ),
        // A section without M: is skipped for approval; THE REST is kept for notification.
        (
            "xen/common/device-tree/fdt.c",
            &["DEVICE TREE (NO MAINTAINER)@3", "THE REST@-1"],
            REST,
            REST,
            &[],
        ),
        // An R:-only section: its reviewer is notified, THE REST approves and is notified.
        (
            "docs/index.md",
            &["BUILD AND DOCS@1", "THE REST@-1"],
            REST,
            REST,
            &["rhea@review.example"],
        ),
        // X: is tested first.
        (
            "docs/misc/arm/booting.txt",
            &["THE REST@-1"],
            REST,
            REST,
            &[],
        ),
        // N: matches anywhere in the path, with specificity 0.
        (
            "xen/common/livepatch.c",
            &["LIVEPATCH@0", "THE REST@-1"],
            &["liv@patch.example"],
            &["liv@patch.example"],
            &[],
        ),
        // A file pattern naming a file.
        (
            "xen/include/public/arch-arm.h",
            &["ARM ARCHITECTURE@4", "THE REST@-1"],
            &["ada@arm.example", "bob@arm.example"],
            &["ada@arm.example", "bob@arm.example"],
            &[],
        ),
        // `F: *` covers top-level files only, `F: */` everything else.
        ("Makefile", &["THE REST@-1"], REST, REST, &[]),
        ("xen/Makefile", &["THE REST@-1"], REST, REST, &[]),
        // Without a tree, `tools/xl` is literal: only `tools/` covers files below it.
        (
            "tools/xl/xl.c",
            &["TOOLS@1", "THE REST@-1"],
            &["tia@tools.example"],
            &["tia@tools.example"],
            &[],
        ),
        ("tools/xl/generated/a.c", &["THE REST@-1"], REST, REST, &[]),
    ];

    #[test]
    fn paths_get_get_maintainer_answers() {
        let matcher = Matcher::new(fixture());
        let m = matcher.maintainers();
        for &(path, sections, approvers, notify_m, notify_r) in TABLE {
            let found = matcher.sections_for(path);
            assert_eq!(names(m, &found), sections, "{path}: sections");
            assert_eq!(
                found,
                m.sections_for(path),
                "{path}: index and scan disagree"
            );
            assert_eq!(
                emails(m.approvers(&found).required()),
                approvers,
                "{path}: approvers"
            );
            let notify = m.notify([found.as_slice()]);
            assert_eq!(emails(&notify.maintainers), notify_m, "{path}: notify M:");
            assert_eq!(emails(&notify.reviewers), notify_r, "{path}: notify R:");
        }
    }

    #[test]
    fn approver_levels_run_from_specific_to_general() {
        let matcher = Matcher::new(fixture());
        let m = matcher.maintainers();
        let found = matcher.sections_for("xen/arch/x86/mm/shadow/multi.c");
        let levels: Vec<i32> = m
            .approvers(&found)
            .levels
            .iter()
            .map(|l| l.specificity)
            .collect();
        assert_eq!(levels, [5, 4, 3, -1]);
    }

    #[test]
    fn a_pattern_naming_a_directory_covers_it_when_the_tree_is_known() {
        let mut m = fixture();
        assert!(m.directory_candidates().contains("tools/xl"));
        m.resolve_directories(|p| p == "tools/xl");
        let matcher = Matcher::new(m);
        let found = matcher.sections_for("tools/xl/xl.c");
        // The last matching pattern of the section decides: `tools/xl/` at depth 2.
        assert_eq!(
            names(matcher.maintainers(), &found),
            ["TOOLS@2", "THE REST@-1"]
        );
        // X: still wins over the resolved directory.
        let excluded = matcher.sections_for("tools/xl/generated/a.c");
        assert_eq!(names(matcher.maintainers(), &excluded), ["THE REST@-1"]);
    }

    #[test]
    fn the_rest_is_kept_when_some_file_of_a_change_has_only_the_rest() {
        let matcher = Matcher::new(fixture());
        let m = matcher.maintainers();
        let shadow = matcher.sections_for("xen/arch/x86/mm/shadow/multi.c");
        let top = matcher.sections_for("Makefile");
        let notify = m.notify([shadow.as_slice(), top.as_slice()]);
        assert!(emails(&notify.maintainers).contains(&"cora@rest.example".to_string()));
        let only_shadow = m.notify([shadow.as_slice(), shadow.as_slice()]);
        assert!(!emails(&only_shadow.maintainers).contains(&"cora@rest.example".to_string()));
    }

    #[test]
    fn keywords_match_diff_text_only_through_keyword_matches() {
        let m = fixture();
        let watchers = m
            .sections
            .iter()
            .find(|s| s.name == "KEYWORD WATCHERS")
            .unwrap();
        assert!(watchers.keyword_matches("+    rc = xsm_domctl(d);"));
        assert!(!watchers.keyword_matches("+    rc = domctl(d);"));
        // K: never puts a path into a section.
        let matcher = Matcher::new(fixture());
        let found = matcher.sections_for("xen/include/xsm_dummy.h");
        assert_eq!(names(matcher.maintainers(), &found), ["THE REST@-1"]);
    }

    #[test]
    fn keywords_in_changed_lines_add_their_section_to_the_notify_list() {
        let matcher = Matcher::new(fixture());
        let m = matcher.maintainers();
        let traps = matcher.sections_for("xen/arch/x86/traps.c");
        let kay = "kay@kw.example".to_string();
        // (diff, Kay notified)
        let cases = [
            ("", false),
            (
                "@@ -1,2 +1,2 @@\n-    rc = domctl(d);\n+    rc = xsm_domctl(d);\n",
                true,
            ),
            (
                "@@ -1,2 +1,2 @@\n-    rc = xsm_domctl(d);\n+    rc = domctl(d);\n",
                true,
            ),
            // Context lines and file headers are not changes.
            ("@@ -1,2 +1,2 @@\n     rc = xsm_domctl(d);\n-a\n+b\n", false),
            ("+++ b/xen/xsm_dummy.h\n--- a/xen/xsm_dummy.h\n", false),
            ("+    rc = domctl(d); /* xsm */\n", false),
        ];
        for (diff, notified) in cases {
            let notify = m.notify_with_keywords([traps.as_slice()], diff);
            assert_eq!(
                emails(&notify.maintainers).contains(&kay),
                notified,
                "{diff:?}"
            );
            // The paths' own list comes first and stays whole.
            let first: Vec<&str> = notify.maintainers[..2]
                .iter()
                .map(|p| p.email.as_str())
                .collect();
            assert_eq!(
                first,
                ["xavier@x86.example", "yara@x86.example"],
                "{diff:?}"
            );
        }
    }

    /// A matcher's weight (what caches of parsed MAINTAINERS are bounded by) follows what it
    /// holds (Linux's: `handlers::tests`, which may read the corpus).
    #[test]
    fn a_matchers_weight_follows_what_it_holds() {
        let one = "THE REST\nM:\tA Person <a@example.org>\nF:\t*\n";
        let small = Matcher::new(Maintainers::parse(one)).heap_bytes();
        assert!(small > one.len() && small < 4_096, "{small}");
        let two = format!("{one}\nDRIVERS\nM:\tB <b@example.org>\nF:\tdrivers/\nN:\tgpu\n");
        let more = Matcher::new(Maintainers::parse(&two)).heap_bytes();
        assert!(more > small, "{more} ≤ {small}");
    }
}
