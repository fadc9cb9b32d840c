//! Fuzzing on the stable toolchain: every parser that reads text from outside (MAINTAINERS and
//! matching a path against it, commit trailers, SUPPORT.md and the feature pages, the
//! `.github/pushgate.toml` config, `.mailmap`, MAINTAINERS patterns, and the webhook envelope
//! the door reads from a body) runs on inputs made by mutating real data from the shared
//! corpus, byte- and line-wise. The property is that nothing panics; where a cheap invariant is
//! real (a diagnostic's line is a line of the input, the trie index answers as the plain scan
//! does, a pattern only matches paths that start with its literal prefix) it is checked too.
//!
//! `cargo test` runs a smoke of a few thousand inputs per target. The long run raises the count:
//!
//! ```text
//! PUSHGATE_FUZZ_INPUTS=10000000 cargo test --release --test fuzz -- --nocapture --test-threads=2
//! ```
//!
//! `PUSHGATE_FUZZ_SEED` picks another sequence of inputs (the default is fixed, so CI runs the
//! same smoke every time), and `PUSHGATE_FUZZ_SECONDS` caps a target's run in time; progress is
//! printed every million inputs. An input that panics is written to `target/fuzz-failures/` and the
//! test fails naming it and the seed and iteration that made it.

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use pushgate::config::Config;
use pushgate::core::glob::Pattern;
use pushgate::core::maintainers::{Maintainers, Matcher};
use pushgate::core::people::{Identities, Mailmap, Person};
use pushgate::core::support::{parse_pandoc, parse_support};
use pushgate::core::trailers::parse_trailers;
use pushgate::server::read_delivery;

/// Inputs per target in the smoke that `cargo test` runs (a second or two per target in a
/// debug build).
const SMOKE_INPUTS: u64 = 2_000;

// ---------------------------------------------------------------------------------------------
// The targets

#[test]
fn fuzz_maintainers_parse_and_match() {
    let mut seeds = corpus_seeds("xen/MAINTAINERS");
    seeds.extend(corpus_seeds("linux/MAINTAINERS"));
    seeds.push(
        b"THE REST\nM:\tA <a@x>\nF:\t*\nF:\t*/\n\nX86\nM:\tB <b@x>\nR:\tC <c@x>\nF:\txen/arch/x86/\n\
          X:\txen/arch/x86/mm/\nN:\t[^a-z]x86\nK:\t\\bx86\nS:\tSupported\n"
            .to_vec(),
    );
    run("maintainers", seeds, MAINTAINERS_TOKENS, |input| {
        let text = String::from_utf8_lossy(input);
        let lines = text.lines().count();
        let parsed = Maintainers::parse(&text);
        for d in &parsed.diagnostics {
            assert!((1..=lines).contains(&d.line), "{d} of {lines} lines");
        }
        for section in &parsed.sections {
            assert!((1..=lines).contains(&section.line), "{}", section.line);
            for field in &section.fields {
                assert!((1..=lines).contains(&field.line), "{}", field.line);
            }
        }
        let paths = paths_to_ask(&parsed);
        let scanned: Vec<_> = paths.iter().map(|p| parsed.sections_for(p)).collect();
        for matches in &scanned {
            parsed.approvers(matches);
        }
        parsed.notify(scanned.iter().map(Vec::as_slice));
        parsed.directory_candidates();
        let matcher = Matcher::new(parsed);
        for (path, scanned) in paths.iter().zip(&scanned) {
            assert_eq!(&matcher.sections_for(path), scanned, "path {path:?}");
        }
    });
}

#[test]
fn fuzz_trailers() {
    let mut seeds = commit_messages();
    seeds.push(
        b"x86: fix\n\nSigned-off-by: A <a@x>\nAcked-by: \"B, C\" <b@x> # x86\nReviewed-by: d@x (D)\n\
          Release-Acked-by: E <e@x> [ARM]\nAcked by: F\n---\nNacked-by: G <<g@x>>\n"
            .to_vec(),
    );
    run("trailers", seeds, TRAILER_TOKENS, |input| {
        let text = String::from_utf8_lossy(input);
        let lines = text.lines().count();
        for trailer in parse_trailers(&text) {
            assert!((1..=lines).contains(&trailer.line), "{trailer:?}");
            // pushgate writes trailers with Display when it lands a change: what it writes
            // must read back as the same trailer.
            let written = trailer.to_string();
            let again = parse_trailers(&written);
            assert_eq!(again.len(), 1, "{written:?} from {trailer:?}");
            assert_eq!(
                (again[0].kind, &again[0].person, &again[0].scope),
                (trailer.kind, &trailer.person, &trailer.scope),
                "{written:?}"
            );
        }
    });
}

#[test]
fn fuzz_support_md() {
    let mut seeds = corpus_seeds("xen/SUPPORT.md");
    for page in [
        "dom0less",
        "feature-levelling",
        "hypervisorfs",
        "intel_psr_cat_cdp",
        "intel_psr_mba",
    ] {
        seeds.extend(corpus_seeds(&format!("xen/docs/features/{page}.pandoc")));
    }
    seeds.push(
        b"# Format and definitions\n\n    Status: x\n\n# Features\n\n## Dom0less\n\n    Status: Supported\n\n\
          ### x86/PV\n\n    Status, x86: Supported\n    Status, Arm: Tech Preview\n    Status\n\n\
          % Title\nStatus: **Experimental**\nArchitecture: x86\n"
            .to_vec(),
    );
    run("support", seeds, SUPPORT_TOKENS, |input| {
        let text = String::from_utf8_lossy(input);
        let lines = text.lines().count();
        for matrix in [parse_support(&text), parse_pandoc(&text)] {
            for unparsed in &matrix.unparsed {
                assert!((1..=lines).contains(&unparsed.line), "{}", unparsed.line);
            }
            let mut statuses = 0;
            for feature in &matrix.features {
                for status in &feature.statuses {
                    assert!((1..=lines).contains(&status.line), "{}", status.line);
                    statuses += 1;
                }
                matrix.feature(&feature.name);
            }
            let counted: usize = matrix.counts().iter().map(|(_, n)| n).sum();
            assert_eq!(counted, statuses);
            pushgate::core::labels::repository_labels(&matrix);
        }
    });
}

#[test]
fn fuzz_config() {
    let seeds = vec![CONFIG_SEED.as_bytes().to_vec(), b"".to_vec()];
    run("config", seeds, CONFIG_TOKENS, |input| {
        let text = String::from_utf8_lossy(input);
        match Config::parse(&text, ".github/pushgate.toml") {
            Ok(config) => {
                config.feature_map();
                config.gate.pinned_sources();
            }
            Err(e) => {
                let lines = text.matches('\n').count() + 1;
                assert!((1..=lines).contains(&e.line), "{e} of {lines} lines");
                assert!(e.column >= 1, "{e}");
            }
        }
    });
}

#[test]
fn fuzz_mailmap() {
    run("mailmap", mailmap_seeds(), MAILMAP_TOKENS, |input| {
        let text = String::from_utf8_lossy(input);
        let lines = text.lines().count();
        let (mailmap, errors) = Mailmap::parse(&text);
        for e in &errors {
            assert!((1..=lines).contains(&e.line), "{e}");
        }
        let identities = Identities::new(mailmap.clone());
        for line in text.lines() {
            if let Some(person) = Person::parse(line) {
                let canonical = mailmap.canonical(&person);
                identities.key(&person);
                identities.same(&person, &canonical);
            }
        }
    });
}

#[test]
fn fuzz_glob_patterns() {
    run("glob", glob_seeds(), GLOB_TOKENS, |input| {
        // The first line is the pattern, the others are paths to match.
        let text = String::from_utf8_lossy(input);
        let mut lines = text.lines();
        let Ok(pattern) = Pattern::new(lines.next().unwrap_or_default()) else {
            return;
        };
        pattern.specificity();
        let prefix = pattern.literal_prefix();
        let directory = pattern.as_directory();
        for path in lines {
            // The MAINTAINERS index only offers a path the patterns whose literal prefix it
            // starts with.
            if pattern.matches(path) {
                assert!(path.as_bytes().starts_with(&prefix), "{pattern:?} {path:?}");
            }
            directory.matches(path);
        }
    });
}

#[test]
fn fuzz_webhook_envelope() {
    run("webhook", webhook_seeds(), JSON_TOKENS, |input| {
        match read_delivery(Some("pull_request"), Some("d-1"), input) {
            Ok(delivery) => {
                // Accepted bodies are stored packed and read back by a claim as received
                // (invalid UTF-8 in a string the envelope skips is read lossily).
                let text = String::from_utf8_lossy(input);
                assert_eq!(delivery.payload.text().as_deref(), Ok(&*text));
            }
            Err(refusal) => {
                refusal.to_string();
            }
        }
    });
}

// ---------------------------------------------------------------------------------------------
// Seeds

/// The text of a corpus file as one seed (none when the corpus is not here and not required).
fn corpus_seeds(relative: &str) -> Vec<Vec<u8>> {
    match pushgate::corpus::read(relative) {
        Ok(text) => text.into_iter().map(String::into_bytes).collect(),
        Err(e) => panic!("{e}"),
    }
}

fn corpus_jsonl(relative: &str) -> Vec<serde_json::Value> {
    corpus_seeds(relative)
        .iter()
        .flat_map(|text| {
            String::from_utf8_lossy(text)
                .into_owned()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .filter_map(|line| serde_json::from_str(&line).ok())
        .collect()
}

fn commit_messages() -> Vec<Vec<u8>> {
    corpus_jsonl("xen/commits/commits.jsonl")
        .iter()
        .filter_map(|c| c["message"].as_str())
        .map(|m| m.as_bytes().to_vec())
        .collect()
}

/// `.mailmap` seeds made from the people of the corpus's commits, in the four line forms.
fn mailmap_seeds() -> Vec<Vec<u8>> {
    let people: Vec<String> = corpus_jsonl("xen/commits/commits.jsonl")
        .iter()
        .flat_map(|c| [c["author"].as_str(), c["committer"].as_str()])
        .flatten()
        .map(str::to_owned)
        .collect();
    let mut seeds = vec![
        b"# comment\nProper Name <commit@x>\n<proper@x> <commit@x>\n\
        Proper Name <proper@x> <commit@x>\nProper Name <proper@x> Commit Name <commit@x>\n"
            .to_vec(),
    ];
    for chunk in people.chunks(16) {
        let mut text = String::new();
        for (i, person) in chunk.iter().enumerate() {
            let Some(p) = Person::parse(person) else {
                continue;
            };
            let line = match i % 4 {
                0 => format!("{} <{}>\n", p.name, p.email),
                1 => format!("<{}> <{}>\n", p.email, p.email.to_uppercase()),
                2 => format!("{} <{}> <old-{}>\n", p.name, p.email, p.email),
                _ => format!(
                    "{} <{}> {} <{}>\n",
                    p.name,
                    p.email,
                    p.name.to_lowercase(),
                    p.email
                ),
            };
            text.push_str(&line);
        }
        seeds.push(text.into_bytes());
    }
    seeds
}

/// A pattern from the corpus's MAINTAINERS, then paths from its tree near it.
fn glob_seeds() -> Vec<Vec<u8>> {
    let files: Vec<String> = corpus_seeds("xen/files.txt")
        .iter()
        .flat_map(|t| {
            String::from_utf8_lossy(t)
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    let mut seeds = vec![b"xen/{arch,common}/*.[ch]\nxen/arch/x.c\nxen/common/y.h\n".to_vec()];
    for text in corpus_seeds("xen/MAINTAINERS") {
        let text = String::from_utf8_lossy(&text).into_owned();
        for pattern in text
            .lines()
            .filter_map(|l| l.strip_prefix("F:").or(l.strip_prefix("X:")))
        {
            let pattern = pattern.trim();
            let stem = pattern
                .split(['*', '?', '[', '{'])
                .next()
                .unwrap_or_default();
            let mut seed = format!("{pattern}\n");
            for path in files.iter().filter(|f| f.starts_with(stem)).take(6) {
                seed.push_str(path);
                seed.push('\n');
            }
            seeds.push(seed.into_bytes());
        }
    }
    seeds
}

/// GitHub's example payloads, pretty-printed so that line mutations cut along their fields.
fn webhook_seeds() -> Vec<Vec<u8>> {
    let mut seeds = vec![
        br#"{"action":"opened","repository":{"full_name":"xen/xen"},"installation":{"id":7}}"#
            .to_vec(),
    ];
    for text in corpus_seeds("github/webhook-examples.json") {
        let Ok(serde_json::Value::Array(events)) = serde_json::from_slice(&text) else {
            panic!("github/webhook-examples.json is not a JSON array");
        };
        for event in &events {
            for example in event["examples"].as_array().into_iter().flatten() {
                if let Ok(pretty) = serde_json::to_string_pretty(example) {
                    seeds.push(pretty.into_bytes());
                }
            }
        }
    }
    seeds
}

/// Paths to ask a parsed MAINTAINERS about: each pattern with its wildcards cut off (so most
/// hit something), a few real Xen paths and odd ones.
fn paths_to_ask(parsed: &Maintainers) -> Vec<String> {
    let mut paths: Vec<String> = [
        "xen/arch/x86/mm/p2m.c",
        "tools/libs/light/libxl.c",
        "MAINTAINERS",
        "",
        "/",
        "a//b",
    ]
    .iter()
    .map(|p| p.to_string())
    .collect();
    for section in parsed.sections.iter().take(16) {
        for pattern in section.file_patterns().take(2) {
            paths.push(pattern.replace(['*', '?', '[', ']', '{', '}', ','], ""));
        }
    }
    paths
}

const CONFIG_SEED: &str = r#"[branches]
staging = "staging"
master = "master"

[acks]
min_open = "24h"
general_stand_in = true
reviewer_stature = "listed"
dismiss_on_push = "touched-sections"
trust_commit_trailers = false

[identities]
"jbeulich@suse.com" = "jbeulich"

[labels]
missing = "acks: missing"
complete = "acks: complete"

[committers]
source = "the-rest"

[gate]
required = ["build", "test-*"]
allow = ["test-flaky-*"]
block_on = "regressions"
timeout = "6h"

[gate.sources]
build = "app:github-actions"
"test-*" = "user:osstest-bot"

[merge]

[support]
file = "SUPPORT.md"
status_change_needs = "THE REST"

[[support.feature]]
name = "x86/PV"
paths = ["xen/arch/x86/pv/", "xen/include/asm-x86/pv/"]

[release]
tag_pattern = "RELEASE-*"
branches = ["stable-*"]
regression_labels = ["regression", "blocker"]
blocking_statuses = ["Supported", "Supported-Legacy-Stable"]
freeze_start = "2026-12-01T00:00:00Z"
managers = ["release-manager-login"]
"#;

// Tokens the mutator inserts: the syntax each format gives meaning to.
const MAINTAINERS_TOKENS: &[&str] = &[
    "M:\t",
    "R:\t",
    "F:\t",
    "X:\t",
    "N:\t",
    "K:\t",
    "S:\t",
    "L:\t",
    "Z:\t",
    "THE REST",
    "<",
    ">",
    "@",
    "*",
    "?",
    "[",
    "]",
    "{",
    "}",
    ",",
    "/",
    "\\",
    "(",
    ")",
    "|",
    "(?x)",
    "\\b",
    "xen/arch/",
];
const TRAILER_TOKENS: &[&str] = &[
    "Acked-by: ",
    "Reviewed-by: ",
    "Signed-off-by: ",
    "Release-Acked-by: ",
    "Nacked-by: ",
    "Tested-by: ",
    "Acked by:",
    "Relase-acked-by:",
    "R-Acked-by:",
    "<",
    ">",
    "<<",
    ">>",
    "@",
    "#",
    " # ",
    "[",
    "]",
    "\"",
    ":",
    "---",
];
const SUPPORT_TOKENS: &[&str] = &[
    "# ",
    "## ",
    "### ",
    "    Status",
    "\tStatus: ",
    "Status, x86: ",
    "Supported",
    "Tech Preview",
    "Experimental",
    "Deprecated",
    "Supported-Legacy",
    "Obsolete",
    "% ",
    "Status: **",
    "**",
    "Architecture:",
    "# Format and definitions",
];
const CONFIG_TOKENS: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "=",
    "\"",
    "'",
    "\"\"\"",
    "'''",
    "{",
    "}",
    ",",
    "#",
    ".",
    "\\u",
    "\\",
    "[support.feature]",
    "[[support.feature]]",
    "paths = [\"",
    "\"{\"",
    "\"[\"",
    "min_open = \"",
    "1h30m",
    "99999999999999999999d",
    "true",
    "1979-05-27T07:32:00Z",
    "[identities]",
    "\"A@X\" = \"",
    "\"a@x\" = \" \"",
];
const MAILMAP_TOKENS: &[&str] = &[
    "<",
    ">",
    "<>",
    "@",
    "#",
    " ",
    "Proper Name ",
    "İ",
    "\u{301}",
];
const GLOB_TOKENS: &[&str] = &[
    "*", "**", "?", "[", "]", "[^", "[]", "{", "}", ",", "/", "\\", "-",
];
const JSON_TOKENS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "\\u",
    "\\ud800",
    "null",
    "true",
    "1e999",
    "-0",
    "\"action\":",
    "\"repository\":",
    "\"full_name\":",
    "\"installation\":",
    "\"id\":",
    "9223372036854775808",
    "-9223372036854775809",
    "1.5",
];

// ---------------------------------------------------------------------------------------------
// The runner and the mutator

fn setting(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(value) => value
            .replace('_', "")
            .parse()
            .unwrap_or_else(|e| panic!("{name}={value}: {e}")),
        Err(_) => default,
    }
}

/// Runs `check` on mutations of `seeds` and fails on the first panic, saving its input.
fn run(name: &str, mut seeds: Vec<Vec<u8>>, tokens: &[&str], check: impl Fn(&[u8])) {
    let planned = setting("PUSHGATE_FUZZ_INPUTS", SMOKE_INPUTS);
    let seed = setting("PUSHGATE_FUZZ_SEED", 0x5eed);
    let budget = Duration::from_secs(setting("PUSHGATE_FUZZ_SECONDS", u64::MAX / 4));
    seeds.retain(|s| !s.is_empty());
    if seeds.is_empty() {
        seeds.push(Vec::new());
    }
    let seeds: Vec<Seed> = seeds.into_iter().map(Seed::new).collect();
    let mut mutator = Mutator {
        rng: Rng::new(seed ^ fnv(name.as_bytes())),
        seeds: &seeds,
        tokens,
    };
    let start = Instant::now();
    let mut slowest = (Duration::ZERO, Vec::new());
    let mut bytes = 0u64;
    let mut inputs = 0;
    for iteration in 0..planned {
        if iteration % 1024 == 0 && start.elapsed() > budget {
            break;
        }
        if iteration > 0 && iteration % 1_000_000 == 0 {
            eprintln!(
                "fuzz {name}: {iteration} inputs in {:.0} s",
                start.elapsed().as_secs_f64()
            );
        }
        inputs += 1;
        let input = mutator.next_input();
        bytes += input.len() as u64;
        let began = Instant::now();
        let outcome = panic::catch_unwind(AssertUnwindSafe(|| check(&input)));
        let took = began.elapsed();
        if let Err(cause) = outcome {
            let path = save(name, &format!("{seed}-{iteration}"), &input);
            let cause = cause
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| cause.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!(
                "{name}: input {iteration} of PUSHGATE_FUZZ_SEED={seed} panicked ({cause}); \
                 saved to {}: {:?}",
                path.display(),
                String::from_utf8_lossy(&input[..input.len().min(2_000)])
            );
        }
        if took > slowest.0 {
            slowest = (took, input);
        }
    }
    let elapsed = start.elapsed();
    let rate = inputs as f64 / elapsed.as_secs_f64().max(1e-9);
    let slowest_path = if inputs > SMOKE_INPUTS {
        format!(", saved to {}", save(name, "slowest", &slowest.1).display())
    } else {
        String::new()
    };
    let cut = if inputs < planned {
        format!(" (of {planned}: PUSHGATE_FUZZ_SECONDS ran out)")
    } else {
        String::new()
    };
    eprintln!(
        "fuzz {name}: {inputs} inputs{cut} (PUSHGATE_FUZZ_SEED={seed}) in {:.1} s, {rate:.0}/s, \
         mean {} bytes, 0 panics; slowest {:.1} ms ({} bytes{slowest_path})",
        elapsed.as_secs_f64(),
        bytes / inputs.max(1),
        slowest.0.as_secs_f64() * 1e3,
        slowest.1.len(),
    );
}

fn save(name: &str, what: &str, input: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    let path = dir.join(format!("{name}-{what}.txt"));
    if let Err(e) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, input)) {
        eprintln!("cannot save {}: {e}", path.display());
    }
    path
}

fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

/// A corpus text with where its lines start, so a window of lines is cheap to cut.
struct Seed {
    bytes: Vec<u8>,
    line_starts: Vec<usize>,
}

impl Seed {
    fn new(bytes: Vec<u8>) -> Seed {
        let mut line_starts = vec![0];
        line_starts.extend(
            bytes
                .iter()
                .enumerate()
                .filter(|&(_, &b)| b == b'\n')
                .map(|(i, _)| i + 1)
                .filter(|&i| i < bytes.len()),
        );
        Seed { bytes, line_starts }
    }

    fn line(&self, index: usize) -> &[u8] {
        let start = self.line_starts[index];
        let end = self
            .line_starts
            .get(index + 1)
            .copied()
            .unwrap_or(self.bytes.len());
        &self.bytes[start..end]
    }
}

/// xorshift64*: small, fast and reproducible from its seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }

    fn chance(&mut self, one_in: usize) -> bool {
        self.below(one_in) == 0
    }
}

/// Bytes that mean something to one of the formats, and UTF-8 that is easy to cut wrongly.
const BYTES: &[u8] =
    b"\n\r\t :<>@#[]{}*?\\\",/-_'=.0\x00\x7f\xc3\xa9\xe2\x80\xae\xf0\x9f\x98\x80\xff";
const CHARS: &[&str] = &[
    "é", "İ", "ß", "\u{202e}", "\u{fffd}", "😀", "\u{301}", "\u{a0}", "\r\n",
];

/// Seeds larger than this are only used in windows of lines.
const WHOLE_SEED_LIMIT: usize = 64 * 1024;

struct Mutator<'a> {
    rng: Rng,
    seeds: &'a [Seed],
    tokens: &'a [&'a str],
}

impl Mutator<'_> {
    /// A window of a seed's lines (sometimes the whole seed, when it is not large: Linux's
    /// MAINTAINERS is cut into windows only), then a few mutations.
    fn next_input(&mut self) -> Vec<u8> {
        let seed = &self.seeds[self.rng.below(self.seeds.len())];
        let whole = seed.bytes.len() <= WHOLE_SEED_LIMIT && self.rng.chance(8);
        let mut input = if whole || seed.line_starts.len() <= 1 {
            seed.bytes.clone()
        } else {
            let lines = seed.line_starts.len();
            let first = self.rng.below(lines);
            let count = 1 + self.rng.below(64);
            let end = seed
                .line_starts
                .get(first + count)
                .copied()
                .unwrap_or(seed.bytes.len());
            seed.bytes[seed.line_starts[first]..end].to_vec()
        };
        let most = 1 + self.rng.below(8);
        let mutations = 1 + self.rng.below(most);
        for _ in 0..mutations {
            self.mutate(&mut input);
        }
        input
    }

    fn mutate(&mut self, input: &mut Vec<u8>) {
        let rng = &mut self.rng;
        let at = rng.below(input.len() + 1);
        match rng.below(14) {
            0 if at < input.len() => input[at] ^= 1 << rng.below(8),
            1 if at < input.len() => input[at] = BYTES[rng.below(BYTES.len())],
            2 => input.insert(at, BYTES[rng.below(BYTES.len())]),
            3 => {
                let end = (at + 1 + rng.below(16)).min(input.len());
                input.drain(at..end);
            }
            4 => {
                let end = (at + 1 + rng.below(32)).min(input.len());
                let copy = input[at..end].to_vec();
                let to = rng.below(input.len() + 1);
                input.splice(to..to, copy);
            }
            5 | 6 => {
                let token = self.tokens[rng.below(self.tokens.len())];
                input.splice(at..at, token.bytes());
            }
            7 => {
                let text = CHARS[rng.below(CHARS.len())];
                input.splice(at..at, text.bytes());
            }
            8..=10 => self.mutate_lines(input),
            11 => input.truncate(at),
            12 => {
                // A run of one small piece: deep nesting, long lines, many fields.
                let end = (at + 1 + rng.below(3)).min(input.len());
                let piece = if at < end {
                    input[at..end].to_vec()
                } else {
                    self.tokens[rng.below(self.tokens.len())]
                        .as_bytes()
                        .to_vec()
                };
                let most = if rng.chance(16) { 5_000 } else { 64 };
                let times = 1 + rng.below(most);
                let run: Vec<u8> = piece
                    .iter()
                    .copied()
                    .cycle()
                    .take(piece.len() * times)
                    .collect();
                input.splice(at..at, run);
            }
            _ => input.insert(at, rng.next() as u8),
        }
    }

    fn mutate_lines(&mut self, input: &mut Vec<u8>) {
        let seed = Seed::new(std::mem::take(input));
        let lines: Vec<&[u8]> = (0..seed.line_starts.len()).map(|i| seed.line(i)).collect();
        let rng = &mut self.rng;
        let mut out: Vec<&[u8]> = lines.clone();
        let pick = rng.below(lines.len());
        match rng.below(4) {
            0 if !out.is_empty() => {
                out.remove(pick);
            }
            1 if !out.is_empty() => out.insert(pick, lines[pick]),
            2 if !out.is_empty() => {
                let other = rng.below(lines.len());
                out.swap(pick, other);
            }
            _ => {
                // A line from another seed: fields of one section in another, trailers from
                // another message.
                let donor = &self.seeds[rng.below(self.seeds.len())];
                let line = donor.line(rng.below(donor.line_starts.len()));
                out.insert(pick.min(out.len()), line);
            }
        }
        let mut joined = Vec::with_capacity(seed.bytes.len() + 64);
        for line in out {
            joined.extend_from_slice(line);
            if !line.ends_with(b"\n") {
                joined.push(b'\n');
            }
        }
        *input = joined;
    }
}
