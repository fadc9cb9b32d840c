//! `pushgate maintainers`: get_maintainer.pl's answer for each path, plus whose ack it needs.

use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{render_diagnostics, CliError, EXIT_OK};
use crate::core::maintainers::{Maintainers, Matcher, Severity};
use crate::core::people::Person;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The MAINTAINERS file.
    #[arg(short = 'm', long = "maintainers", default_value = "MAINTAINERS")]
    pub maintainers: PathBuf,
    /// The source tree the paths belong to: a pattern naming one of its directories without a
    /// trailing `/` then covers everything below it, as in get_maintainer.pl.
    #[arg(long)]
    pub tree: Option<PathBuf>,
    /// Print JSON: one object per path.
    #[arg(long)]
    pub json: bool,
    /// Read further paths, one per line, from FILE (`-` for standard input).
    #[arg(long, value_name = "FILE|-")]
    pub files_from: Option<String>,
    /// Paths relative to the top of the tree.
    pub paths: Vec<String>,
}

#[derive(Debug, Serialize)]
struct SectionOut<'a> {
    name: &'a str,
    specificity: i32,
}

#[derive(Debug, Serialize)]
struct PathOut<'a> {
    path: &'a str,
    sections: Vec<SectionOut<'a>>,
    maintainers: Vec<String>,
    reviewers: Vec<String>,
    approvers: Vec<String>,
}

fn emails(people: &[Person]) -> Vec<String> {
    people.iter().map(Person::email_key).collect()
}

/// Reads and parses a MAINTAINERS file; warnings go to stderr, errors stop the command.
pub fn load(path: &Path) -> Result<Maintainers, CliError> {
    let bytes = std::fs::read(path).map_err(|source| CliError::Read {
        path: path.to_path_buf(),
        error: source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let parsed = Maintainers::parse(&text);
    let shown = path.display().to_string();
    if parsed.errors().next().is_some() {
        return Err(CliError::Maintainers {
            path: shown.clone(),
            details: render_diagnostics(&shown, &parsed.diagnostics),
        });
    }
    let warnings: Vec<_> = parsed
        .diagnostics
        .iter()
        .filter(|d| d.severity == Severity::Warning)
        .cloned()
        .collect();
    if !warnings.is_empty() {
        eprintln!("{}", render_diagnostics(&shown, &warnings));
    }
    Ok(parsed)
}

fn read_paths(args: &Args) -> Result<Vec<String>, CliError> {
    let mut paths = args.paths.clone();
    if let Some(source) = &args.files_from {
        let lines: Vec<String> = if source == "-" {
            std::io::stdin()
                .lock()
                .lines()
                .collect::<Result<_, _>>()
                .map_err(|source| CliError::Read {
                    path: PathBuf::from("<stdin>"),
                    error: source,
                })?
        } else {
            let text = std::fs::read_to_string(source).map_err(|e| CliError::Read {
                path: PathBuf::from(source),
                error: e,
            })?;
            text.lines().map(str::to_string).collect()
        };
        paths.extend(
            lines
                .into_iter()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty()),
        );
    }
    if paths.is_empty() {
        return Err(CliError::NoPaths);
    }
    Ok(paths)
}

pub fn run(args: &Args) -> Result<u8, CliError> {
    let mut maintainers = load(&args.maintainers)?;
    let paths = read_paths(args)?;
    match &args.tree {
        Some(tree) if !tree.is_dir() => {
            return Err(CliError::Read {
                path: tree.clone(),
                error: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "--tree is not a directory",
                ),
            })
        }
        Some(tree) => maintainers.resolve_directories(|p| tree.join(p).is_dir()),
        None => {
            if !maintainers.directory_candidates().is_empty() {
                eprintln!(
                    "note: no --tree given: patterns without a trailing '/' are matched \
                     literally, even where they name a directory"
                );
            }
        }
    }
    let matcher = Matcher::new(maintainers);
    let maintainers = matcher.maintainers();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let mut records = Vec::with_capacity(paths.len());
    for path in &paths {
        let path = path.trim_start_matches("./");
        let matches = matcher.sections_for(path);
        let notify = maintainers.notify([matches.as_slice()]);
        let approvers = maintainers.approvers(&matches);
        records.push(PathOut {
            path,
            sections: matches
                .iter()
                .map(|m| SectionOut {
                    name: &maintainers.sections[m.section].name,
                    specificity: m.specificity,
                })
                .collect(),
            maintainers: emails(&notify.maintainers),
            reviewers: emails(&notify.reviewers),
            approvers: emails(approvers.required()),
        });
        if !args.json {
            write_text(&mut out, path, maintainers, &matches, &notify, &approvers)
                .map_err(CliError::Output)?;
        }
    }
    if args.json {
        serde_json::to_writer_pretty(&mut out, &records).map_err(|e| CliError::Output(e.into()))?;
        writeln!(out).map_err(CliError::Output)?;
    }
    out.flush().map_err(CliError::Output)?;
    Ok(EXIT_OK)
}

fn write_text(
    out: &mut impl Write,
    path: &str,
    maintainers: &Maintainers,
    matches: &[crate::core::maintainers::SectionMatch],
    notify: &crate::core::maintainers::Notify,
    approvers: &crate::core::maintainers::Approvers,
) -> std::io::Result<()> {
    writeln!(out, "{path}")?;
    // Role per person, named after the most specific section that lists them.
    let role_of = |person: &Person, reviewer: bool| {
        matches
            .iter()
            .map(|m| &maintainers.sections[m.section])
            .find(|s| {
                let list = if reviewer {
                    &s.reviewers
                } else {
                    &s.maintainers
                };
                list.iter().any(|p| p.email_key() == person.email_key())
            })
            .map(|s| s.name.as_str())
            .unwrap_or("")
    };
    for person in &notify.maintainers {
        writeln!(out, "  {person} (maintainer:{})", role_of(person, false))?;
    }
    for person in &notify.reviewers {
        writeln!(out, "  {person} (reviewer:{})", role_of(person, true))?;
    }
    match approvers.levels.first() {
        Some(level) => {
            let names: Vec<&str> = level
                .sections
                .iter()
                .map(|&s| maintainers.sections[s].name.as_str())
                .collect();
            let people: Vec<String> = level.people.iter().map(Person::to_string).collect();
            writeln!(
                out,
                "  ack needed from one of ({}): {}",
                names.join(", "),
                people.join(", ")
            )?;
        }
        None => writeln!(out, "  no section with a maintainer covers this path")?,
    }
    Ok(())
}
