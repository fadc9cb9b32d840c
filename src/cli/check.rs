//! `pushgate check`: the offline check-in policy over committed history. Each commit is judged
//! with MAINTAINERS, .mailmap and `.github/pushgate.toml` as they were at its parent, and the
//! trailers of its message (trusted: committers put them there). The config's release dates
//! bring the freeze: a commit committed inside it needs a release manager's
//! `Release-Acked-by`, as a pull request would.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;

use serde::Serialize;

use super::{render_diagnostics, CliError, EXIT_OK, EXIT_SHORT};
use crate::config::{Config, CONFIG_PATH};
use crate::core::maintainers::{Maintainers, Matcher};
use crate::core::people::{Identities, Mailmap, Person};
use crate::core::policy::{self, Approval, ApprovalKind, Change, Options, Stature, Verdict};
use crate::core::pull::{self, ReleaseDates};
use crate::core::trailers::{parse_trailers, TrailerKind};
use crate::git::{Commit, Repo};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The git repository.
    #[arg(long, default_value = ".")]
    pub repo: PathBuf,
    /// Print JSON: an array with one object per commit.
    #[arg(long)]
    pub json: bool,
    /// Disallow stand-in acks by more general maintainers (acks.general_stand_in = false).
    #[arg(long)]
    pub no_stand_in: bool,
    /// The commits to judge, e.g. `origin/master..HEAD` (anything `git log` accepts).
    pub range: String,
}

#[derive(Debug, Serialize)]
struct CommitOut<'a> {
    sha: &'a str,
    subject: &'a str,
    author: Person,
    satisfied: bool,
    missing: &'a [String],
    verdict: &'a Verdict,
}

fn author_of(commit: &Commit) -> Person {
    Person {
        name: commit.author_name.clone(),
        email: commit.author_email.clone(),
    }
}

/// Turns a commit message into the change the policy judges.
pub fn change_of(commit: &Commit) -> Change {
    let mut change = Change {
        files: commit.files.clone(),
        author: author_of(commit),
        co_authors: Vec::new(),
        claimed_authors: Vec::new(),
        approvals: Vec::new(),
        status_changes: Vec::new(),
    };
    for trailer in parse_trailers(&commit.message) {
        let kind = match trailer.kind {
            TrailerKind::SignedOffBy => {
                change.co_authors.push(trailer.person);
                continue;
            }
            TrailerKind::AckedBy => ApprovalKind::Ack,
            TrailerKind::ReviewedBy => ApprovalKind::Review,
            TrailerKind::ReleaseAckedBy => ApprovalKind::ReleaseAck,
            TrailerKind::NackedBy => ApprovalKind::Objection,
            TrailerKind::TestedBy | TrailerKind::ReportedBy | TrailerKind::SuggestedBy => continue,
        };
        change
            .approvals
            .push(Approval::new(kind, trailer.person).scoped(trailer.scope));
    }
    change
}

/// MAINTAINERS and .mailmap as they were at one point of history, parsed once per version.
struct Policy {
    matcher: Matcher,
    identities: Identities,
}

/// The files read at each commit's parent, in this order.
const POLICY_FILES: [&str; 3] = ["MAINTAINERS", ".mailmap", CONFIG_PATH];
/// The config's index in [`POLICY_FILES`].
const CONFIG: usize = 2;

/// The freeze as one version of the config sets it: the release's dates and the release
/// managers as people. A manager is a GitHub login; offline, their e-mails are those the
/// config's `[identities]` map to that login.
#[derive(Debug, Default)]
struct Freeze {
    dates: ReleaseDates,
    managers: Vec<Person>,
}

impl Freeze {
    fn of(config: &Config, at: &str) -> Freeze {
        let release = &config.release;
        let dates = ReleaseDates {
            freeze_start: release.freeze_start,
            last_posting_date: release.last_posting_date,
            release_date: release.date,
        };
        let mut managers = Vec::new();
        for login in &release.managers {
            let emails: Vec<&String> = config
                .identities
                .iter()
                .filter(|(_, l)| l.eq_ignore_ascii_case(login))
                .map(|(email, _)| email)
                .collect();
            if emails.is_empty() && dates != ReleaseDates::default() {
                eprintln!(
                    "warning: {at}: release manager {login} has no e-mail in [identities]; \
                     their Release-Acked-by cannot be recognised offline"
                );
            }
            managers.extend(emails.into_iter().map(|email| Person {
                name: String::new(),
                email: email.clone(),
            }));
        }
        Freeze { dates, managers }
    }
}

/// Identifies a policy version: MAINTAINERS blob, .mailmap blob, patterns naming directories.
type PolicyKey = (Option<String>, Option<String>, Vec<String>);

pub fn run(args: &Args) -> Result<u8, CliError> {
    let repo = Repo::open(&args.repo)?;
    let commits = repo.commits(&args.range)?;

    // Which policy files (MAINTAINERS, .mailmap, the config) each commit's parent had.
    // A root commit has no parent and so no policy files; `:path` would read git's index.
    let mut specs = Vec::new();
    let mut spec_of = Vec::new();
    for commit in &commits {
        match commit.parents.first() {
            Some(parent) => {
                spec_of.push(Some(specs.len()));
                for file in POLICY_FILES {
                    specs.push(format!("{parent}:{file}"));
                }
            }
            None => spec_of.push(None),
        }
    }
    let found = repo.lookup(&specs)?;
    let lookup = |i: usize| found.get(i).cloned().flatten().map(|(id, _)| id);
    // The blob id of policy file `file` (an index into POLICY_FILES) at commit `index`'s parent.
    let blob_of = |index: usize, file: usize| {
        spec_of
            .get(index)
            .copied()
            .flatten()
            .and_then(|s| lookup(s + file))
    };
    let blob_at = |i: usize| blob_of(i / 2, i % 2);
    let mut wanted: Vec<String> = (0..specs.len()).filter_map(lookup).collect();
    wanted.sort();
    wanted.dedup();
    let blobs = repo.blobs(&wanted)?;
    let text_of = |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| blobs.get(id))
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };

    // Parse each MAINTAINERS version once; a malformed one is an error naming the line.
    let mut parsed: HashMap<Option<String>, Maintainers> = HashMap::new();
    for (index, commit) in commits.iter().enumerate() {
        let id = blob_at(2 * index);
        if parsed.contains_key(&id) {
            continue;
        }
        let maintainers = Maintainers::parse(&text_of(&id));
        if maintainers.errors().next().is_some() {
            let at = format!("MAINTAINERS at {}", short(commit.parents.first()));
            return Err(CliError::Maintainers {
                details: render_diagnostics(&at, &maintainers.diagnostics),
                path: at,
            });
        }
        parsed.insert(id, maintainers);
    }

    // The directory rule needs the tree: ask git which literal patterns name directories.
    let mut dir_specs = Vec::new();
    let mut dir_owner = Vec::new();
    for (index, commit) in commits.iter().enumerate() {
        let Some(parent) = commit.parents.first() else {
            continue;
        };
        if let Some(m) = parsed.get(&blob_at(2 * index)) {
            for candidate in m.directory_candidates() {
                dir_specs.push(format!("{parent}:{candidate}"));
                dir_owner.push((index, candidate.to_string()));
            }
        }
    }
    let kinds = repo.lookup(&dir_specs)?;
    let mut dirs_of: Vec<Vec<String>> = vec![Vec::new(); commits.len()];
    for ((index, candidate), kind) in dir_owner.into_iter().zip(kinds) {
        if matches!(kind, Some((_, ref k)) if k == "tree") {
            dirs_of[index].push(candidate);
        }
    }

    // Each config version parsed once; a broken one is an error naming its line and column.
    let mut configs: HashMap<Option<String>, Freeze> = HashMap::new();
    for (index, commit) in commits.iter().enumerate() {
        let id = blob_of(index, CONFIG);
        if configs.contains_key(&id) {
            continue;
        }
        let freeze = match &id {
            None => Freeze::default(),
            Some(_) => {
                let at = format!("{} at {}", CONFIG_PATH, short(commit.parents.first()));
                let config = Config::parse(&text_of(&id), &at).map_err(CliError::Config)?;
                Freeze::of(&config, &at)
            }
        };
        configs.insert(id, freeze);
    }

    let options = Options {
        general_stand_in: !args.no_stand_in,
        // Committed history: the committer already judged the reviewer's stature (SPEC §2).
        reviewer_stature: Stature::Anyone,
        also_listed: Vec::new(),
    };
    let mut policies: HashMap<PolicyKey, Policy> = HashMap::new();
    let mut verdicts = Vec::with_capacity(commits.len());
    for (index, commit) in commits.iter().enumerate() {
        let maintainers_id = blob_at(2 * index);
        let mailmap_id = blob_at(2 * index + 1);
        let key = (
            maintainers_id.clone(),
            mailmap_id.clone(),
            dirs_of[index].clone(),
        );
        if !policies.contains_key(&key) {
            let mut maintainers = parsed.get(&maintainers_id).cloned().unwrap_or_default();
            let dirs = &dirs_of[index];
            maintainers.resolve_directories(|p| dirs.iter().any(|d| d == p));
            let (mailmap, problems) = Mailmap::parse(&text_of(&mailmap_id));
            for problem in problems {
                eprintln!(
                    "warning: .mailmap at {}: {problem}",
                    short(commit.parents.first())
                );
            }
            policies.insert(
                key.clone(),
                Policy {
                    matcher: Matcher::new(maintainers),
                    identities: Identities::new(mailmap),
                },
            );
        }
        let Some(policy) = policies.get(&key) else {
            continue;
        };
        let change = change_of(commit);
        let matches: Vec<_> = change
            .files
            .iter()
            .map(|f| policy.matcher.sections_for(f))
            .collect();
        let mut verdict = policy::evaluate(
            &change,
            policy.matcher.maintainers(),
            &matches,
            &policy.identities,
            &options,
        );
        if let Some(freeze) = configs.get(&blob_of(index, CONFIG)) {
            if let Some(line) = pull::committed_in_freeze(
                &freeze.dates,
                &freeze.managers,
                &policy.identities,
                &change.approvals,
                commit.author_time,
                commit.commit_time,
            ) {
                verdict.missing.push(line);
                verdict.satisfied = false;
            }
        }
        verdicts.push(verdict);
    }

    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        let records: Vec<CommitOut> = commits
            .iter()
            .zip(&verdicts)
            .map(|(commit, verdict)| CommitOut {
                sha: &commit.sha,
                subject: commit.subject(),
                author: author_of(commit),
                satisfied: verdict.satisfied,
                missing: &verdict.missing,
                verdict,
            })
            .collect();
        serde_json::to_writer_pretty(&mut out, &records).map_err(|e| CliError::Output(e.into()))?;
        writeln!(out).map_err(CliError::Output)?;
    } else {
        for (commit, verdict) in commits.iter().zip(&verdicts) {
            write_text(&mut out, commit, verdict).map_err(CliError::Output)?;
        }
        let short_count = verdicts.iter().filter(|v| !v.satisfied).count();
        writeln!(
            out,
            "{} of {} commits satisfy the check-in policy",
            verdicts.len() - short_count,
            verdicts.len()
        )
        .map_err(CliError::Output)?;
    }
    out.flush().map_err(CliError::Output)?;
    Ok(if verdicts.iter().all(|v| v.satisfied) {
        EXIT_OK
    } else {
        EXIT_SHORT
    })
}

fn short(sha: Option<&String>) -> String {
    sha.map(|s| s.chars().take(12).collect())
        .unwrap_or_else(|| "the root".to_string())
}

fn write_text(out: &mut impl Write, commit: &Commit, verdict: &Verdict) -> std::io::Result<()> {
    let mark = if verdict.satisfied { "ok   " } else { "SHORT" };
    writeln!(
        out,
        "{mark} {} {}",
        short(Some(&commit.sha)),
        commit.subject()
    )?;
    for line in &verdict.missing {
        writeln!(out, "        missing: {line}")?;
    }
    if !verdict.satisfied && !verdict.ask.is_empty() {
        let ask: Vec<String> = verdict.ask.iter().map(Person::to_string).collect();
        writeln!(out, "        ask: {}", ask.join(", "))?;
    }
    Ok(())
}
