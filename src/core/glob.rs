//! MAINTAINERS file patterns (`F:` and `X:`) with the semantics of get_maintainer.pl, which
//! turns each pattern into an unanchored-at-the-end regex: `*` crosses `/`, `?` is one byte,
//! `[...]` a byte class, `{a,b}` alternatives, and a match need only cover a prefix of the path.
//!
//! globset cannot express "prefix match where `*` crosses `/`, plus the equal-slash-count rule",
//! so this is a small matcher of our own.

use std::fmt;

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(u8),
    /// `*`: any run of bytes, `/` included.
    Star,
    /// `?`: exactly one byte.
    One,
    /// `[...]`: one byte from a set (or outside it when negated).
    Class {
        negated: bool,
        ranges: Vec<(u8, u8)>,
    },
    /// `{a,b,...}`: one of the alternatives, each a token sequence.
    Alternatives(Vec<Vec<Token>>),
}

/// Why a pattern cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatternError {
    #[error("empty pattern")]
    Empty,
    #[error("unclosed `[` in pattern `{0}`")]
    UnclosedClass(String),
    #[error("unclosed `{{` in pattern `{0}`")]
    UnclosedBrace(String),
}

/// A compiled `F:`/`X:` pattern.
#[derive(Clone, PartialEq, Eq)]
pub struct Pattern {
    raw: String,
    tokens: Vec<Token>,
    directory: bool,
    slashes: usize,
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.raw)
    }
}

impl Pattern {
    /// Compiles a pattern as written in MAINTAINERS.
    pub fn new(raw: &str) -> Result<Pattern, PatternError> {
        if raw.is_empty() {
            return Err(PatternError::Empty);
        }
        let bytes = raw.as_bytes();
        let (tokens, rest) = parse_sequence(bytes, 0, false, raw)?;
        debug_assert_eq!(rest, bytes.len());
        Ok(Pattern {
            raw: raw.to_string(),
            tokens,
            directory: raw.ends_with('/'),
            slashes: raw.bytes().filter(|&b| b == b'/').count(),
        })
    }

    /// The pattern as written (with a `/` appended by [`Pattern::as_directory`]).
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether the pattern ends in `/` (everything below a directory).
    pub fn is_directory(&self) -> bool {
        self.directory
    }

    /// True when the pattern has no wildcard at all.
    pub fn is_literal(&self) -> bool {
        self.tokens.iter().all(|t| matches!(t, Token::Literal(_)))
    }

    /// The same pattern with a trailing `/`: get_maintainer.pl does this for a pattern that
    /// names an existing directory of the tree.
    pub fn as_directory(&self) -> Pattern {
        if self.directory {
            return self.clone();
        }
        let mut tokens = self.tokens.clone();
        tokens.push(Token::Literal(b'/'));
        Pattern {
            raw: format!("{}/", self.raw),
            tokens,
            directory: true,
            slashes: self.slashes + 1,
        }
    }

    /// The bytes every matching path starts with (up to the first wildcard); used to index
    /// patterns so that a path only meets the patterns that can match it.
    pub fn literal_prefix(&self) -> Vec<u8> {
        self.tokens
            .iter()
            .map_while(|t| match t {
                Token::Literal(b) => Some(*b),
                _ => None,
            })
            .collect()
    }

    /// Specificity as get_maintainer.pl computes it: the number of `/` in the pattern, plus one
    /// when it does not end in `/`; a pattern that starts with `*` ranks lowest (-1).
    pub fn specificity(&self) -> i32 {
        if matches!(self.tokens.first(), Some(Token::Star)) {
            return -1;
        }
        let depth = self.slashes as i32;
        if self.directory {
            depth
        } else {
            depth + 1
        }
    }

    /// Does `path` fall under this pattern? Anchored at the start only; a pattern without a
    /// trailing `/` also needs the path to have as many `/` as the pattern, so `dir/*` covers
    /// files in `dir` but not below it.
    pub fn matches(&self, path: &str) -> bool {
        let path = path.as_bytes();
        if !self.directory && path.iter().filter(|&&b| b == b'/').count() != self.slashes {
            return false;
        }
        matches_prefix(&self.tokens, path)
    }
}

fn parse_sequence(
    bytes: &[u8],
    mut i: usize,
    in_braces: bool,
    raw: &str,
) -> Result<(Vec<Token>, usize), PatternError> {
    let mut tokens = Vec::new();
    while i < bytes.len() {
        match bytes[i] {
            b'*' => {
                // `**` means the same as `*`; keeping one avoids needless backtracking.
                if tokens.last() != Some(&Token::Star) {
                    tokens.push(Token::Star);
                }
                i += 1;
            }
            b'?' => {
                tokens.push(Token::One);
                i += 1;
            }
            b'[' => {
                let (class, next) = parse_class(bytes, i + 1, raw)?;
                tokens.push(class);
                i = next;
            }
            b'{' => {
                let (alternatives, next) = parse_alternatives(bytes, i + 1, raw)?;
                tokens.push(alternatives);
                i = next;
            }
            b',' | b'}' if in_braces => return Ok((tokens, i)),
            b'\\' if i + 1 < bytes.len() => {
                tokens.push(Token::Literal(bytes[i + 1]));
                i += 2;
            }
            b => {
                tokens.push(Token::Literal(b));
                i += 1;
            }
        }
    }
    Ok((tokens, i))
}

fn parse_alternatives(
    bytes: &[u8],
    mut i: usize,
    raw: &str,
) -> Result<(Token, usize), PatternError> {
    let mut alternatives = Vec::new();
    loop {
        let (sequence, next) = parse_sequence(bytes, i, true, raw)?;
        alternatives.push(sequence);
        match bytes.get(next) {
            Some(b',') => i = next + 1,
            Some(b'}') => return Ok((Token::Alternatives(alternatives), next + 1)),
            _ => return Err(PatternError::UnclosedBrace(raw.to_string())),
        }
    }
}

fn parse_class(bytes: &[u8], mut i: usize, raw: &str) -> Result<(Token, usize), PatternError> {
    // get_maintainer.pl hands the class to Perl's regex engine, where only `^` negates.
    let negated = bytes.get(i) == Some(&b'^');
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let start = i;
    while i < bytes.len() {
        let b = bytes[i];
        // As in a regex, a `]` right after the opening bracket is a member, not the end.
        if b == b']' && i > start {
            return Ok((Token::Class { negated, ranges }, i + 1));
        }
        if i + 2 < bytes.len() && bytes[i + 1] == b'-' && bytes[i + 2] != b']' {
            ranges.push((b, bytes[i + 2]));
            i += 3;
        } else {
            ranges.push((b, b));
            i += 1;
        }
    }
    Err(PatternError::UnclosedClass(raw.to_string()))
}

/// Can `tokens` match some prefix of `path`?
fn matches_prefix(tokens: &[Token], path: &[u8]) -> bool {
    match_at(tokens, path, &mut |_| true)
}

/// Matches `tokens` against the start of `path`, calling `rest` with the unconsumed remainder
/// of every way the tokens can match; true as soon as `rest` accepts one.
fn match_at(tokens: &[Token], path: &[u8], rest: &mut dyn FnMut(&[u8]) -> bool) -> bool {
    let Some((first, others)) = tokens.split_first() else {
        return rest(path);
    };
    match first {
        Token::Literal(b) => path.first() == Some(b) && match_at(others, &path[1..], rest),
        Token::One => !path.is_empty() && match_at(others, &path[1..], rest),
        Token::Class { negated, ranges } => match path.first() {
            Some(&b) => {
                let inside = ranges.iter().any(|&(lo, hi)| lo <= b && b <= hi);
                inside != *negated && match_at(others, &path[1..], rest)
            }
            None => false,
        },
        Token::Star => (0..=path.len()).any(|skip| match_at(others, &path[skip..], rest)),
        Token::Alternatives(alternatives) => alternatives.iter().any(|alternative| {
            match_at(alternative, path, &mut |after: &[u8]| {
                match_at(others, after, rest)
            })
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(pattern: &str, path: &str, expected: bool) {
        let compiled = Pattern::new(pattern).unwrap();
        assert_eq!(
            compiled.matches(path),
            expected,
            "pattern {pattern:?} against {path:?}"
        );
    }

    #[test]
    fn patterns_match_as_get_maintainer_does() {
        let table = [
            // Trailing slash: everything below the directory.
            ("drivers/net/", "drivers/net/a.c", true),
            ("drivers/net/", "drivers/net/sub/b.c", true),
            ("drivers/net/", "drivers/network.c", false),
            // Without it, the slash counts must agree.
            ("drivers/net/*", "drivers/net/a.c", true),
            ("drivers/net/*", "drivers/net/sub/b.c", false),
            ("*/net/*", "drivers/net/a.c", true),
            ("*/net/*", "x/y/net/a.c", false),
            ("*", "Makefile", true),
            ("*", "xen/Makefile", false),
            ("*/", "xen/common/sched/core.c", true),
            // Anchored at the start only: a literal is a prefix with equal slash counts.
            ("xen/include/xen/argo.h", "xen/include/xen/argo.h", true),
            ("xen/include/xen/argo", "xen/include/xen/argo.h", true),
            ("xen/include/xen/argo.h", "axen/include/xen/argo.h", false),
            ("tools/xl", "tools/xl/xl.c", false),
            // `*` crosses `/` but the slash count still applies.
            ("xen/*/x86/*.c", "xen/arch/x86/traps.c", true),
            ("xen/*.c", "xen/arch/x86/traps.c", false),
            // `?`, classes and alternatives.
            (
                "drivers/input/misc/da72??.[ch]",
                "drivers/input/misc/da7280.c",
                true,
            ),
            (
                "drivers/input/misc/da72??.[ch]",
                "drivers/input/misc/da7280.o",
                false,
            ),
            ("include/sound/da[79]*.h", "include/sound/da9055.h", true),
            ("include/sound/da[79]*.h", "include/sound/da8055.h", false),
            ("lib/[^a]*.c", "lib/b.c", true),
            ("lib/[^a]*.c", "lib/a.c", false),
            ("lib/[!a]*.c", "lib/!.c", true),
            ("xen/arch/{arm,x86}/", "xen/arch/x86/traps.c", true),
            ("xen/arch/{arm,x86}/", "xen/arch/riscv/traps.c", false),
            ("xen/include/{,public/}io/", "xen/include/io/ring.h", true),
            (
                "xen/include/{,public/}io/",
                "xen/include/public/io/ring.h",
                true,
            ),
            ("a/{b*,c}/d.c", "a/bxx/d.c", true),
            // A dot is a dot, not "any character".
            ("x.c", "xyc", false),
        ];
        for (pattern, path, expected) in table {
            check(pattern, path, expected);
        }
    }

    #[test]
    fn specificity_is_pattern_depth() {
        let table = [
            ("xen/arch/x86/", 3),
            ("xen/arch/x86/traps.c", 4),
            ("xen/arch/x86/mm/shadow/", 5),
            ("*", -1),
            ("*/", -1),
            ("CHANGELOG.md", 1),
            ("xen/*/x86/", 3),
        ];
        for (pattern, expected) in table {
            assert_eq!(
                Pattern::new(pattern).unwrap().specificity(),
                expected,
                "{pattern}"
            );
        }
    }

    #[test]
    fn directory_form_adds_the_slash() {
        let p = Pattern::new("tools/xl").unwrap().as_directory();
        assert!(p.matches("tools/xl/xl.c"));
        assert!(p.matches("tools/xl/sub/x.c"));
        assert_eq!(p.specificity(), 2);
    }

    #[test]
    fn broken_patterns_are_errors_not_panics() {
        for raw in ["", "a/[bc", "a/{b,c", "a/{b", "[", "{"] {
            assert!(Pattern::new(raw).is_err(), "{raw:?} should not compile");
        }
        for raw in ["]", "a/]x", "}", "a,b", "\\", "[]]"] {
            assert!(Pattern::new(raw).is_ok(), "{raw:?} should compile");
        }
    }

    #[test]
    fn literal_prefix_stops_at_first_wildcard() {
        assert_eq!(
            Pattern::new("xen/arch/*.c").unwrap().literal_prefix(),
            b"xen/arch/"
        );
        assert_eq!(Pattern::new("*").unwrap().literal_prefix(), b"");
        assert_eq!(Pattern::new("a/{b,c}").unwrap().literal_prefix(), b"a/");
    }
}
