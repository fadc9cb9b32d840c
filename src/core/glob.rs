//! Name patterns of two kinds. [`wildcard`] matches whole names (check names, release tags and
//! branches in the config) with `*` and `?` only. [`Pattern`] is a MAINTAINERS file pattern
//! (`F:` and `X:`) with the semantics of get_maintainer.pl, which
//! turns each pattern into an unanchored-at-the-end regex: `*` crosses `/`, `?` is one byte,
//! `[...]` a byte class, `{a,b}` alternatives, and a match need only cover a prefix of the path.
//!
//! globset cannot express "prefix match where `*` crosses `/`, plus the equal-slash-count rule",
//! so this is a small matcher of our own. A pattern is compiled to a small automaton and a path
//! is run through it once, keeping the set of states it can be in: the time is at most the
//! path's length times the pattern's, and nothing recurses per byte, so no pattern in a
//! MAINTAINERS file (which any pull request can edit) can exhaust the stack or take
//! exponential time.

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
    #[error("`{{` nested more than {MAX_NESTING} deep in pattern `{0}`")]
    TooDeep(String),
    #[error("pattern of {0} bytes, longer than {MAX_LENGTH}")]
    TooLong(usize),
}

/// The longest pattern compiled. Linux's longest is about 100 bytes; the bound keeps a match
/// (path length times pattern length at worst) within a millisecond or so.
pub const MAX_LENGTH: usize = 1024;

/// How deep `{...}` may nest. Real patterns nest once; the bound keeps parsing's recursion
/// small whatever the input.
pub const MAX_NESTING: usize = 16;

/// One instruction of a compiled pattern: consume a byte, or move without consuming.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Byte(u8),
    Any,
    Class {
        negated: bool,
        ranges: Vec<(u8, u8)>,
    },
    /// Go on at both instructions.
    Fork(usize, usize),
    Jump(usize),
    /// The pattern is matched by the bytes read so far.
    Done,
}

/// A compiled `F:`/`X:` pattern.
#[derive(Clone, PartialEq, Eq)]
pub struct Pattern {
    raw: String,
    tokens: Vec<Token>,
    program: Vec<Step>,
    directory: bool,
    slashes: usize,
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Pattern({:?})", self.raw)
    }
}

impl Pattern {
    /// The bytes this pattern holds on the heap (by capacity), for caches bounded by memory.
    pub fn heap_bytes(&self) -> usize {
        let ranges = |r: &Vec<(u8, u8)>| r.capacity() * std::mem::size_of::<(u8, u8)>();
        let tokens: usize = self
            .tokens
            .iter()
            .map(|t| match t {
                Token::Class { ranges: r, .. } => ranges(r),
                _ => 0,
            })
            .sum();
        let program: usize = self
            .program
            .iter()
            .map(|s| match s {
                Step::Class { ranges: r, .. } => ranges(r),
                _ => 0,
            })
            .sum();
        self.raw.capacity()
            + self.tokens.capacity() * std::mem::size_of::<Token>()
            + tokens
            + self.program.capacity() * std::mem::size_of::<Step>()
            + program
    }

    /// Compiles a pattern as written in MAINTAINERS.
    pub fn new(raw: &str) -> Result<Pattern, PatternError> {
        if raw.is_empty() {
            return Err(PatternError::Empty);
        }
        if raw.len() > MAX_LENGTH {
            return Err(PatternError::TooLong(raw.len()));
        }
        let bytes = raw.as_bytes();
        let (tokens, rest) = parse_sequence(bytes, 0, 0, raw)?;
        debug_assert_eq!(rest, bytes.len());
        Ok(Pattern::compiled(
            raw.to_string(),
            tokens,
            raw.bytes().filter(|&b| b == b'/').count(),
        ))
    }

    fn compiled(raw: String, tokens: Vec<Token>, slashes: usize) -> Pattern {
        let mut program = Vec::new();
        compile(&tokens, &mut program);
        program.push(Step::Done);
        Pattern {
            directory: raw.ends_with('/'),
            raw,
            tokens,
            program,
            slashes,
        }
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
        Pattern::compiled(format!("{}/", self.raw), tokens, self.slashes + 1)
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
        matches_prefix(&self.program, path)
    }
}

/// Parses tokens from `i` to the end, or (inside `depth` braces) to the `,` or `}` that ends
/// an alternative.
fn parse_sequence(
    bytes: &[u8],
    mut i: usize,
    depth: usize,
    raw: &str,
) -> Result<(Vec<Token>, usize), PatternError> {
    let in_braces = depth > 0;
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
                if depth == MAX_NESTING {
                    return Err(PatternError::TooDeep(raw.to_string()));
                }
                let (alternatives, next) = parse_alternatives(bytes, i + 1, depth + 1, raw)?;
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
    depth: usize,
    raw: &str,
) -> Result<(Token, usize), PatternError> {
    let mut alternatives = Vec::new();
    loop {
        let (sequence, next) = parse_sequence(bytes, i, depth, raw)?;
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

/// Appends the instructions for `tokens` (recursing only into `{...}`, whose depth
/// [`MAX_NESTING`] bounds).
fn compile(tokens: &[Token], program: &mut Vec<Step>) {
    for token in tokens {
        match token {
            Token::Literal(b) => program.push(Step::Byte(*b)),
            Token::One => program.push(Step::Any),
            Token::Class { negated, ranges } => program.push(Step::Class {
                negated: *negated,
                ranges: ranges.clone(),
            }),
            Token::Star => {
                let fork = program.len();
                program.push(Step::Fork(fork + 1, fork + 3));
                program.push(Step::Any);
                program.push(Step::Jump(fork));
            }
            Token::Alternatives(alternatives) => {
                let mut ends = Vec::new();
                let last = alternatives.len().saturating_sub(1);
                for (index, alternative) in alternatives.iter().enumerate() {
                    if index == last {
                        compile(alternative, program);
                        break;
                    }
                    let fork = program.len();
                    program.push(Step::Fork(fork + 1, fork + 1));
                    compile(alternative, program);
                    ends.push(program.len());
                    program.push(Step::Jump(0));
                    let next = program.len();
                    program[fork] = Step::Fork(fork + 1, next);
                }
                let end = program.len();
                for at in ends {
                    program[at] = Step::Jump(end);
                }
            }
        }
    }
}

/// Can the pattern match some prefix of `path`? Runs every way through the automaton at once:
/// `current` holds the instructions waiting for the next byte.
fn matches_prefix(program: &[Step], path: &[u8]) -> bool {
    // The literal start, which is all of most MAINTAINERS patterns, needs no state sets.
    let mut start = 0;
    while let Some(Step::Byte(b)) = program.get(start) {
        if path.get(start) != Some(b) {
            return false;
        }
        start += 1;
    }
    let mut seen = vec![usize::MAX; program.len()];
    let mut current = Vec::new();
    let mut next = Vec::new();
    let mut stack = Vec::new();
    if follow(program, start, start, &mut seen, &mut current, &mut stack) {
        return true;
    }
    for (index, &byte) in path.iter().enumerate().skip(start) {
        next.clear();
        for &at in &current {
            let takes = match &program[at] {
                Step::Byte(b) => *b == byte,
                Step::Any => true,
                Step::Class { negated, ranges } => {
                    ranges.iter().any(|&(lo, hi)| lo <= byte && byte <= hi) != *negated
                }
                Step::Fork(..) | Step::Jump(_) | Step::Done => false,
            };
            if takes && follow(program, at + 1, index + 1, &mut seen, &mut next, &mut stack) {
                return true;
            }
        }
        if next.is_empty() {
            return false;
        }
        std::mem::swap(&mut current, &mut next);
    }
    false
}

/// Adds to `waiting` the byte-consuming instructions reachable from `from` without reading,
/// each once per position (`seen` holds the position it was last added at). True when the
/// end of the pattern is reachable.
fn follow(
    program: &[Step],
    from: usize,
    position: usize,
    seen: &mut [usize],
    waiting: &mut Vec<usize>,
    stack: &mut Vec<usize>,
) -> bool {
    stack.clear();
    stack.push(from);
    while let Some(at) = stack.pop() {
        if seen[at] == position {
            continue;
        }
        seen[at] = position;
        match program[at] {
            Step::Fork(first, second) => {
                stack.push(second);
                stack.push(first);
            }
            Step::Jump(to) => stack.push(to),
            Step::Done => return true,
            Step::Byte(_) | Step::Any | Step::Class { .. } => waiting.push(at),
        }
    }
    false
}

/// Does `name` match `pattern` as a whole? `*` is any run of characters (`/` included), `?`
/// one character; every other character stands for itself (check names hold `[`, `(`, `{`).
///
/// The name is read once, and on a mismatch only the last `*` takes one more character; an
/// earlier `*` never needs to, since the later one can take whatever it would have. So the
/// time is at most the pattern's length times the name's, whatever the pattern: the config's
/// patterns come from anyone who can open a pull request on it.
pub fn wildcard(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    let (mut p, mut n) = (0, 0);
    // The pattern position after the last `*` seen, and the name position it resumes from.
    let mut last_star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                p += 1;
                last_star = Some((p, n));
            }
            Some(&c) if c == '?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match last_star {
                Some((after, from)) => {
                    last_star = Some((after, from + 1));
                    p = after;
                    n = from + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_whole_names() {
        for (pattern, name, expected) in [
            ("test-*", "test-unit", true),
            ("ci/*", "ci/x86/build", true),
            ("b?ild", "build", true),
            ("test-*", "build", false),
            ("*", "", true),
            ("", "", true),
            ("", "a", false),
            ("?", "", false),
            ("stable-*", "stable-4.19", true),
            ("stable-4.1", "stable-4.19", false),
            ("RELEASE-*", "RELEASE-4.19.0", true),
            ("*-rc?", "4.19-rc1", true),
            ("*-rc?", "4.19-rc10", false),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
            ("*a*b", "ab", true),
            ("**", "x", true),
            ("build [x86]", "build [x86]", true),
            ("build [x86]", "build x", false),
            ("é?", "éü", true),
        ] {
            assert_eq!(wildcard(pattern, name), expected, "{pattern:?} {name:?}");
        }
    }

    #[test]
    fn many_stars_against_a_long_name_take_no_backtracking() {
        // With a `*` that tries every split, this would be C(20000, 9) attempts.
        let pattern = "*a*a*a*a*a*a*a*a*b";
        let name = "a".repeat(20_000);
        assert!(!wildcard(pattern, &name));
        assert!(wildcard(pattern, &format!("{name}b")));
        assert!(!wildcard(pattern, &format!("{}b", "a".repeat(7))));
    }

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

    /// Found by `tests/fuzz.rs`: the matcher recursed once per byte of a pattern and the
    /// parser once per `{`, so a long pattern overflowed the stack and aborted the process.
    #[test]
    fn long_and_nested_patterns_neither_overflow_nor_take_exponential_time() {
        let long = "a".repeat(100_000);
        assert_eq!(Pattern::new(&long), Err(PatternError::TooLong(100_000)));
        assert!(Pattern::new(&long[..MAX_LENGTH]).unwrap().matches(&long));
        // Found by tests/fuzz.rs: 4,600 `*` against a path of 9,300 bytes took 2.9 s.
        let stars = "a*".repeat(MAX_LENGTH / 2);
        assert!(Pattern::new(&stars).unwrap().matches(&long[..4_096]));
        let stars_then_c = format!("{}c", "a*".repeat(MAX_LENGTH / 2 - 1));
        assert!(!Pattern::new(&stars_then_c).unwrap().matches(&long[..4_096]));
        let classes = "[a]".repeat(MAX_LENGTH / 3);
        assert!(Pattern::new(&classes).unwrap().matches(&long));
        let braces = "{".repeat(100);
        assert!(matches!(
            Pattern::new(&braces),
            Err(PatternError::TooDeep(_))
        ));
        let nested = format!("{}a{}", "{x,".repeat(MAX_NESTING), "}".repeat(MAX_NESTING));
        assert!(Pattern::new(&nested).unwrap().matches("xa"));
        let alternatives = format!("{{{}}}", vec!["a*"; MAX_LENGTH / 4].join(","));
        assert!(!Pattern::new(&format!("{alternatives}b"))
            .unwrap()
            .matches(&long[..4_096]));
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
