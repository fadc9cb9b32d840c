//! Who is who: parsing `Name <email>` text, applying a repository's `.mailmap`, and deciding
//! when two spellings of a person are the same person under the offline check-in policy.

use std::collections::HashMap;
use std::fmt;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// A person as written in MAINTAINERS, a trailer or a commit: a display name and an e-mail,
/// either of which may be empty (never both).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Person {
    pub name: String,
    pub email: String,
}

impl Person {
    /// Parses `Name <email>`, `"Quoted, Name" <email>`, `<email>`, a bare `email@host`, or a
    /// name with no e-mail at all (when the text holds no `@` and no `<`).
    ///
    /// Text is trimmed and surrounding double quotes are stripped from the name; non-ASCII
    /// names are kept as written. Text after the closing `>` is ignored (trailers read it as a
    /// scope). Returns `None` for empty text, a `<` without its `>`, a stray `>`, or a second
    /// `<` inside the address.
    pub fn parse(text: &str) -> Option<Person> {
        let text = text.trim();
        if text.is_empty() {
            return None;
        }
        match angle_brackets(text) {
            Some((_, None)) => None,
            Some((open, Some(close))) => {
                // `<<a@b>>` happens in pasted text; the address is still the inner part.
                let email = text[open + 1..close].trim().trim_start_matches('<').trim();
                Person::from_parts(unquote(text[..open].trim()), email)
            }
            None if text.contains('>') => None,
            None if text.contains('@') => Person::from_bare_email(text),
            None => Person::from_parts(unquote(text), ""),
        }
    }

    /// Lower-cased e-mail, the key for comparisons: e-mail addresses are case-insensitive in
    /// practice, and Xen's history spells the same address in several cases.
    pub fn email_key(&self) -> String {
        self.email.to_lowercase()
    }

    fn from_parts(name: &str, email: &str) -> Option<Person> {
        // `<a <b@c>` (or a bare `<b@c` after a quoted name) is no address; read as one it
        // would be written back as a different person.
        if (name.is_empty() && email.is_empty()) || email.contains(['<', '>']) {
            return None;
        }
        Some(Person {
            name: name.to_owned(),
            email: email.to_owned(),
        })
    }

    /// `email@host`, and the sloppier `Name email@host` / `email@host (Name)` that appear in
    /// old trailers: the first word with an `@` is the address, the other words the name.
    fn from_bare_email(text: &str) -> Option<Person> {
        let mut email = "";
        let mut name_words = Vec::new();
        for word in text.split_whitespace() {
            if email.is_empty() && word.contains('@') {
                email = word.trim_matches(|c| matches!(c, '(' | ')' | '[' | ']' | ',' | ';' | '"'));
            } else {
                name_words.push(word);
            }
        }
        let name = name_words.join(" ");
        let name = unquote(name.trim_matches(|c| c == '(' || c == ')').trim());
        Person::from_parts(name, email)
    }
}

impl fmt::Display for Person {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let plain = match (self.name.is_empty(), self.email.is_empty()) {
            (false, false) => format!("{} <{}>", self.name, self.email),
            (false, true) => self.name.clone(),
            (true, _) => self.email.clone(),
        };
        // The plain spelling is kept when it reads back as this person. Otherwise (a name
        // holding `<` or `@`, an address holding a space) brackets and quotes keep the
        // output parseable: pushgate writes trailers with this.
        if Person::parse(&plain).as_ref() == Some(self) {
            f.write_str(&plain)
        } else if self.name.is_empty() {
            write!(f, "<{}>", self.email)
        } else {
            write!(f, "\"{}\" <{}>", self.name, self.email)
        }
    }
}

/// Where the `<…>` of `text` lies: the byte offset of `<` and of its closing `>` (`None` when
/// unclosed). A leading quoted name is skipped, so `"A <b>" <c@d>` finds `<c@d>`.
pub(crate) fn angle_brackets(text: &str) -> Option<(usize, Option<usize>)> {
    let lead = text.len() - text.trim_start().len();
    let search_from = text[lead..]
        .strip_prefix('"')
        .and_then(|quoted| quoted.find('"'))
        .map_or(0, |end| lead + 1 + end + 1);
    let open = search_from + text[search_from..].find('<')?;
    let close = text[open..].find('>').map(|len| open + len);
    Some((open, close))
}

fn unquote(text: &str) -> &str {
    text.strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .map_or(text, str::trim)
}

/// Normalised name for identity by name: Unicode NFKD with combining marks removed
/// ("Monné" == "Monne"), lower-cased, surrounding quotes removed, runs of whitespace collapsed
/// to one space, trimmed.
pub fn normalise_name(name: &str) -> String {
    let name = name.trim();
    let name = ['"', '\'']
        .iter()
        .find_map(|&q| name.strip_prefix(q).and_then(|n| n.strip_suffix(q)))
        .unwrap_or(name);
    let mut out = String::with_capacity(name.len());
    let mut pending_space = false;
    // Lower-case before decomposing: lower-casing may itself yield combining marks ('İ').
    for c in name.to_lowercase().nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        if c.is_whitespace() {
            pending_space = !out.is_empty();
            continue;
        }
        if pending_space {
            out.push(' ');
            pending_space = false;
        }
        out.push(c);
    }
    out
}

/// A repository's `.mailmap` in git-shortlog format.
///
/// The four line forms are `Proper Name <commit@email>`, `<proper@email> <commit@email>`,
/// `Proper Name <proper@email> <commit@email>` and
/// `Proper Name <proper@email> Commit Name <commit@email>`; `#` starts a comment, blank lines
/// are ignored. E-mails match case-insensitively, and so does the commit name of the last form.
#[derive(Debug, Clone, Default)]
pub struct Mailmap {
    /// Keyed by the lower-cased commit e-mail.
    by_email: HashMap<String, MailmapEntry>,
}

#[derive(Debug, Clone, Default)]
struct MailmapEntry {
    /// From the forms without a commit name.
    any_name: Replacement,
    /// From the commit-name form, keyed by the lower-cased commit name.
    by_name: HashMap<String, Replacement>,
}

#[derive(Debug, Clone, Default)]
struct Replacement {
    name: Option<String>,
    email: Option<String>,
}

impl Replacement {
    fn is_empty(&self) -> bool {
        self.name.is_none() && self.email.is_none()
    }
}

/// A `.mailmap` line that could not be read; the line is skipped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(".mailmap line {line}: {message}")]
pub struct MailmapError {
    /// 1-based.
    pub line: usize,
    pub message: String,
}

/// One readable `.mailmap` line.
struct MailmapRule<'a> {
    proper_name: &'a str,
    proper_email: &'a str,
    commit_name: &'a str,
    commit_email: &'a str,
}

impl Mailmap {
    /// Never fails as a whole: unreadable lines are returned as errors with their line numbers
    /// and skipped, because one bad line must not stop the rest of the identities applying.
    pub fn parse(text: &str) -> (Mailmap, Vec<MailmapError>) {
        let mut mailmap = Mailmap::default();
        let mut errors = Vec::new();
        for (index, line) in text.lines().enumerate() {
            match parse_mailmap_line(line) {
                Ok(None) => {}
                Ok(Some(rule)) => mailmap.add(&rule),
                Err(message) => errors.push(MailmapError {
                    line: index + 1,
                    message,
                }),
            }
        }
        (mailmap, errors)
    }

    /// True when no line mapped anything.
    pub fn is_empty(&self) -> bool {
        self.by_email.is_empty()
    }

    /// The canonical person for `p`, by git's rules: an entry with commit name and e-mail
    /// beats one with only the commit e-mail; a missing proper name or e-mail keeps `p`'s.
    pub fn canonical(&self, p: &Person) -> Person {
        match self.lookup(p) {
            None => p.clone(),
            Some(r) => Person {
                name: r.name.as_ref().unwrap_or(&p.name).clone(),
                email: r.email.as_ref().unwrap_or(&p.email).clone(),
            },
        }
    }

    fn lookup(&self, p: &Person) -> Option<&Replacement> {
        if p.email.is_empty() || self.by_email.is_empty() {
            return None;
        }
        let entry = self.by_email.get(&p.email_key())?;
        if !entry.by_name.is_empty() && !p.name.is_empty() {
            if let Some(r) = entry.by_name.get(&p.name.to_lowercase()) {
                return Some(r);
            }
        }
        (!entry.any_name.is_empty()).then_some(&entry.any_name)
    }

    fn add(&mut self, rule: &MailmapRule<'_>) {
        let owned = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        let replacement = Replacement {
            name: owned(rule.proper_name),
            email: owned(rule.proper_email),
        };
        let entry = self
            .by_email
            .entry(rule.commit_email.to_lowercase())
            .or_default();
        if rule.commit_name.is_empty() {
            // Like git, separate lines for one commit e-mail combine (one may give the name,
            // another the e-mail); a later line wins for a field both give.
            if replacement.name.is_some() {
                entry.any_name.name = replacement.name;
            }
            if replacement.email.is_some() {
                entry.any_name.email = replacement.email;
            }
        } else {
            entry
                .by_name
                .insert(rule.commit_name.to_lowercase(), replacement);
        }
    }
}

fn parse_mailmap_line(line: &str) -> Result<Option<MailmapRule<'_>>, String> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return Ok(None);
    }
    let mut pairs = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find('<') {
        let Some(len) = rest[open..].find('>') else {
            return Err("'<' without a closing '>'".to_owned());
        };
        let close = open + len;
        pairs.push((rest[..open].trim(), rest[open + 1..close].trim()));
        rest = &rest[close + 1..];
    }
    let trailing = rest.trim();
    if !trailing.is_empty() && !trailing.starts_with('#') {
        return Err(if pairs.is_empty() {
            "expected `Proper Name <commit@email>` or one of the other mailmap forms".to_owned()
        } else {
            format!("unexpected text {trailing:?} after the last e-mail")
        });
    }
    match pairs.as_slice() {
        [(name, email)] => {
            if email.is_empty() {
                Err("the commit e-mail `<>` is empty".to_owned())
            } else if name.is_empty() {
                Err(
                    "a lone <e-mail> maps nothing: give a proper name or a proper e-mail"
                        .to_owned(),
                )
            } else {
                Ok(Some(MailmapRule {
                    proper_name: name,
                    proper_email: "",
                    commit_name: "",
                    commit_email: email,
                }))
            }
        }
        [(proper_name, proper_email), (commit_name, commit_email)] => {
            if commit_email.is_empty() {
                Err("the commit e-mail (the last `<…>`) is empty".to_owned())
            } else if proper_email.is_empty() {
                Err("the proper e-mail (the first `<…>`) is empty".to_owned())
            } else {
                Ok(Some(MailmapRule {
                    proper_name,
                    proper_email,
                    commit_name,
                    commit_email,
                }))
            }
        }
        [] => Err("no <e-mail> on this line".to_owned()),
        _ => Err(format!(
            "{} e-mails on one line; a mailmap line has at most two",
            pairs.len()
        )),
    }
}

/// A person reduced to what identity comparisons need, computed once per person so that
/// comparing thousands of commits against dozens of maintainers allocates nothing.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdentityKey {
    /// Lower-cased e-mail after the mailmap.
    pub email: String,
    /// Lower-cased e-mail as written, before the mailmap.
    pub commit_email: String,
    /// [`normalise_name`] of the name after the mailmap.
    pub name: String,
}

impl IdentityKey {
    /// Whether both keys name the same person: equal e-mails as written, equal e-mails after
    /// the mailmap, or equal normalised names. Empty fields never match.
    pub fn matches(&self, other: &IdentityKey) -> bool {
        fn same(a: &str, b: &str) -> bool {
            !a.is_empty() && a == b
        }
        same(&self.commit_email, &other.commit_email)
            || same(&self.email, &other.email)
            || same(&self.name, &other.name)
    }
}

/// Identity rules of the offline check-in policy (SPEC §2): two people are the same when their
/// e-mails are equal ignoring case, or after mapping both through the mailmap their e-mails are
/// equal, or (when both names are non-empty) their normalised names after the mailmap are equal.
#[derive(Debug, Clone, Default)]
pub struct Identities {
    pub mailmap: Mailmap,
}

impl Identities {
    pub fn new(mailmap: Mailmap) -> Self {
        Identities { mailmap }
    }

    /// The comparison key of `p`; compute it once and compare keys with
    /// [`IdentityKey::matches`] in hot loops.
    pub fn key(&self, p: &Person) -> IdentityKey {
        let canonical = self.mailmap.canonical(p);
        IdentityKey {
            email: canonical.email_key(),
            commit_email: p.email_key(),
            name: normalise_name(&canonical.name),
        }
    }

    pub fn same(&self, a: &Person, b: &Person) -> bool {
        self.key(a).matches(&self.key(b))
    }
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

    #[test]
    fn person_forms_parse_to_name_and_email() {
        let cases = [
            (
                "Jan Beulich <jbeulich@suse.com>",
                "Jan Beulich",
                "jbeulich@suse.com",
            ),
            (
                "  Jan Beulich   <jbeulich@suse.com>  ",
                "Jan Beulich",
                "jbeulich@suse.com",
            ),
            (
                "\"Beulich, Jan\" <jbeulich@suse.com>",
                "Beulich, Jan",
                "jbeulich@suse.com",
            ),
            ("\"A <b>\" <a@b.c>", "A <b>", "a@b.c"),
            ("<jbeulich@suse.com>", "", "jbeulich@suse.com"),
            ("jbeulich@suse.com", "", "jbeulich@suse.com"),
            (
                "Jan Beulich jbeulich@suse.com",
                "Jan Beulich",
                "jbeulich@suse.com",
            ),
            (
                "jbeulich@suse.com (Jan Beulich)",
                "Jan Beulich",
                "jbeulich@suse.com",
            ),
            (
                "Roger Pau Monné <roger.pau@citrix.com>",
                "Roger Pau Monné",
                "roger.pau@citrix.com",
            ),
            ("Jan Beulich", "Jan Beulich", ""),
            ("\"Jan Beulich\"", "Jan Beulich", ""),
            ("Jan <jbeulich@suse.com> # x86", "Jan", "jbeulich@suse.com"),
            ("Jan <<jbeulich@suse.com>>", "Jan", "jbeulich@suse.com"),
            ("Jan <>", "Jan", ""),
        ];
        for (text, name, email) in cases {
            assert_eq!(Person::parse(text), Some(person(name, email)), "{text:?}");
        }
    }

    /// Found by tests/fuzz.rs: `<<Andrew Cooper@x>` has the address `Andrew Cooper@x` and
    /// no name; written bare, it read back as the name `Andrew` and the address `Cooper@x`.
    #[test]
    fn a_written_person_reads_back_as_the_same_person() {
        for p in [
            person("Jan Beulich", "jbeulich@suse.com"),
            person("A <b>", "a@b.c"),
            person("", "Andrew Cooper@citrix.com"),
            person("a@b", ""),
            person("Jan", ""),
            person("", "j@x"),
        ] {
            assert_eq!(Person::parse(&p.to_string()), Some(p.clone()), "{p}");
        }
        assert_eq!(
            person("Jan Beulich", "j@x").to_string(),
            "Jan Beulich <j@x>"
        );
        assert_eq!(person("", "j@x").to_string(), "j@x");
    }

    #[test]
    fn empty_or_unbalanced_text_is_not_a_person() {
        for text in [
            "",
            "   ",
            "\"\"",
            "<>",
            "Jan <jbeulich@suse.com",
            "Jan >",
            "<",
            ">",
            // Found by tests/fuzz.rs: read as the address `Olek <o@x`, it was written back
            // (in a trailer) as text that reads differently.
            "<Olek <o@x>",
            "Jan <a <b@x>",
            "\"Andrew Cooper <andrew.cooper3@cn PV guests\")",
        ] {
            assert_eq!(Person::parse(text), None, "{text:?}");
        }
    }

    #[test]
    fn garbage_input_does_not_panic() {
        let texts = [
            "\"",
            "\"<",
            "\"a\"<",
            "<<<>>>",
            "@",
            "\u{0}",
            "é<",
            "\"é\" <ü",
            "a@b@c <",
            "#[<]>",
            "\"\"\"<>\"",
            " \t\r\n",
            "<é>",
            "ü\"",
        ];
        for text in texts {
            let _ = Person::parse(text);
            let _ = normalise_name(text);
            let _ = Mailmap::parse(text);
        }
    }

    #[test]
    fn email_key_ignores_case() {
        assert_eq!(
            person("Jan", "JBeulich@SUSE.com").email_key(),
            "jbeulich@suse.com"
        );
    }

    #[test]
    fn display_shows_what_is_known() {
        let cases = [
            (
                person("Jan Beulich", "jbeulich@suse.com"),
                "Jan Beulich <jbeulich@suse.com>",
            ),
            (person("", "jbeulich@suse.com"), "jbeulich@suse.com"),
            (person("Jan Beulich", ""), "Jan Beulich"),
            (person("A <b>", "a@b.c"), "\"A <b>\" <a@b.c>"),
        ];
        for (p, shown) in cases {
            assert_eq!(p.to_string(), shown);
            assert_eq!(
                Person::parse(shown).as_ref(),
                Some(&p),
                "round trip of {shown:?}"
            );
        }
    }

    #[test]
    fn normalised_names_ignore_accents_case_quotes_and_spacing() {
        let cases = [
            ("Roger Pau Monné", "roger pau monne"),
            ("  \"Roger   Pau\tMonne\"  ", "roger pau monne"),
            ("'Jan Beulich'", "jan beulich"),
            ("Jürgen Groß", "jurgen groß"),
            ("ＪＡＮ", "jan"),
            ("İlker", "ilker"),
            ("", ""),
        ];
        for (name, normalised) in cases {
            assert_eq!(normalise_name(name), normalised, "{name:?}");
        }
    }

    const MAILMAP: &str = "\
# a mailmap in the style of Xen's
Jan Beulich <jbeulich@suse.com>
<roger.pau@citrix.com> <royger@FreeBSD.org>

Andrew Cooper <andrew.cooper3@citrix.com> <andrew.cooper@citrix.com>
Ian Jackson <iwj@xenproject.org> Ian Jackson <ian.jackson@eu.citrix.com>
Ian Campbell <ijc@hellion.org.uk> Ian.Campbell <shared@example.org>   # one address, two people
Ian Jackson <iwj@xenproject.org> IJ <shared@example.org>
";

    #[test]
    fn mailmap_four_forms_give_canonical_people() {
        let (mailmap, errors) = Mailmap::parse(MAILMAP);
        assert_eq!(errors, []);
        let cases = [
            // Proper Name <commit@email>: the e-mail stays.
            (
                person("jan", "JBeulich@suse.com"),
                person("Jan Beulich", "JBeulich@suse.com"),
            ),
            // <proper@email> <commit@email>: the name stays.
            (
                person("Roger", "royger@freebsd.org"),
                person("Roger", "roger.pau@citrix.com"),
            ),
            // Proper Name <proper@email> <commit@email>.
            (
                person("andy", "andrew.cooper@citrix.com"),
                person("Andrew Cooper", "andrew.cooper3@citrix.com"),
            ),
            // Proper Name <proper@email> Commit Name <commit@email>, name matched ignoring case.
            (
                person("IAN JACKSON", "ian.jackson@eu.citrix.com"),
                person("Ian Jackson", "iwj@xenproject.org"),
            ),
            (
                person("ian.campbell", "shared@example.org"),
                person("Ian Campbell", "ijc@hellion.org.uk"),
            ),
            // Commit-name entries only: another name on that address is left alone.
            (
                person("Someone Else", "ian.jackson@eu.citrix.com"),
                person("Someone Else", "ian.jackson@eu.citrix.com"),
            ),
            (
                person("Nobody", "nobody@example.com"),
                person("Nobody", "nobody@example.com"),
            ),
            (person("Jan Beulich", ""), person("Jan Beulich", "")),
        ];
        for (commit, canonical) in cases {
            assert_eq!(mailmap.canonical(&commit), canonical, "{commit}");
        }
    }

    #[test]
    fn mailmap_entry_with_commit_name_beats_entry_with_only_commit_email() {
        let (mailmap, errors) = Mailmap::parse(
            "Generic Name <generic@x.org> <shared@x.org>\n\
             Specific Name <specific@x.org> Alias <shared@x.org>\n",
        );
        assert_eq!(errors, []);
        assert_eq!(
            mailmap.canonical(&person("alias", "shared@x.org")),
            person("Specific Name", "specific@x.org")
        );
        assert_eq!(
            mailmap.canonical(&person("Other", "shared@x.org")),
            person("Generic Name", "generic@x.org")
        );
    }

    #[test]
    fn mailmap_lines_for_one_address_combine() {
        let (mailmap, errors) =
            Mailmap::parse("Proper Name <old@x.org>\n<new@x.org> <old@x.org>\n");
        assert_eq!(errors, []);
        assert_eq!(
            mailmap.canonical(&person("old", "OLD@x.org")),
            person("Proper Name", "new@x.org")
        );
    }

    #[test]
    fn bad_mailmap_lines_are_reported_with_line_numbers_and_skipped() {
        let text = "\
Jan Beulich <jbeulich@suse.com>
Broken <no-close@x.org
just words
<lonely@x.org>
A <a@x.org> B <b@x.org> C <c@x.org>
Trailing <t@x.org> junk
Empty <>
   # indented comment
Good <good@x.org> <bad@x.org>
";
        let (mailmap, errors) = Mailmap::parse(text);
        let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [2, 3, 4, 5, 6, 7]);
        assert!(errors.iter().all(|e| !e.message.is_empty()));
        assert!(errors[0].to_string().starts_with(".mailmap line 2: "));
        assert_eq!(
            mailmap.canonical(&person("bad", "bad@x.org")),
            person("Good", "good@x.org")
        );
        assert_eq!(
            mailmap.canonical(&person("j", "jbeulich@suse.com")).name,
            "Jan Beulich"
        );
    }

    #[test]
    fn empty_mailmap_maps_nothing() {
        let (mailmap, errors) = Mailmap::parse("");
        assert!(errors.is_empty());
        assert!(mailmap.is_empty());
        let p = person("Jan", "j@x.org");
        assert_eq!(mailmap.canonical(&p), p);
    }

    #[test]
    fn accented_and_plain_names_are_the_same_person() {
        let ids = Identities::default();
        assert!(ids.same(
            &person("Roger Pau Monné", "roger.pau@citrix.com"),
            &person("Roger Pau Monne", "royger@freebsd.org"),
        ));
    }

    #[test]
    fn identity_rules_follow_the_offline_policy() {
        let (mailmap, errors) = Mailmap::parse(MAILMAP);
        assert_eq!(errors, []);
        let ids = Identities::new(mailmap);
        let cases = [
            // Same e-mail ignoring case, whatever the names.
            (
                person("Jan", "JBEULICH@suse.com"),
                person("J B", "jbeulich@suse.com"),
                true,
            ),
            // Same e-mail after the mailmap.
            (
                person("R", "royger@FreeBSD.org"),
                person("P", "roger.pau@citrix.com"),
                true,
            ),
            (
                person("", "ian.jackson@eu.citrix.com"),
                person("", "iwj@xenproject.org"),
                false,
            ),
            (
                person("Ian Jackson", "ian.jackson@eu.citrix.com"),
                person("", "iwj@xenproject.org"),
                true,
            ),
            // Same normalised name after the mailmap.
            (
                person("jan", "jbeulich@suse.com"),
                person("Jan  BEULICH", "jan@other.org"),
                true,
            ),
            (
                person("Jan Beulich", ""),
                person("\"jan beulich\"", ""),
                true,
            ),
            // Different people.
            (
                person("Jan Beulich", "jbeulich@suse.com"),
                person("Julien Grall", "julien@xen.org"),
                false,
            ),
            // Empty fields never make two people the same.
            (person("Jan", ""), person("", "jbeulich@suse.com"), false),
            (person("", "a@x.org"), person("", "b@x.org"), false),
        ];
        for (a, b, same) in cases {
            assert_eq!(ids.same(&a, &b), same, "{a} vs {b}");
            assert_eq!(ids.same(&b, &a), same, "{b} vs {a}");
        }
    }

    #[test]
    fn shared_commit_address_is_still_one_person_by_email() {
        let (mailmap, _) = Mailmap::parse(MAILMAP);
        let ids = Identities::new(mailmap);
        let jackson = ids.key(&person("IJ", "shared@example.org"));
        let campbell = ids.key(&person("Ian.Campbell", "shared@example.org"));
        assert_eq!(jackson.email, "iwj@xenproject.org");
        assert_eq!(campbell.email, "ijc@hellion.org.uk");
        // SPEC §2 matches by e-mail first, before the mailmap.
        assert!(jackson.matches(&campbell));
    }
}
