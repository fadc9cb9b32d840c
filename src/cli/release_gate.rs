//! `pushgate release-gate --repo OWNER/NAME`: for scripts and release managers — fails while an
//! open issue holds the release (a regression in a feature whose status blocks, or
//! `release-blocker`). SUPPORT.md and the config are read from the default branch.

use crate::github::{BranchName, RepoName, Rev};
use std::io::Write;
use std::sync::Arc;

use super::{CliError, EXIT_OK, EXIT_SHORT};
use crate::config::{Config, CONFIG_PATH};
use crate::github::{Api, Retry};
use crate::metrics::Metrics;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The repository, `owner/name`.
    #[arg(long)]
    pub repo: String,
    /// Print JSON: {"blocking": bool, "blockers": [...]}.
    #[arg(long)]
    pub json: bool,
}

/// Exit 0 when nothing holds the release, 1 when something does, 2 on errors. The token comes
/// from `GITHUB_TOKEN` (or `PUSHGATE_TOKEN`), the API from `PUSHGATE_GITHUB_API` or
/// `GITHUB_API_URL` (default `https://api.github.com`).
pub fn run(args: &Args) -> Result<u8, CliError> {
    let token = std::env::var("GITHUB_TOKEN")
        .or_else(|_| std::env::var("PUSHGATE_TOKEN"))
        .ok()
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| {
            CliError::Usage(
                "set GITHUB_TOKEN (or PUSHGATE_TOKEN) to a token that can read the repository"
                    .into(),
            )
        })?;
    let base = std::env::var("PUSHGATE_GITHUB_API")
        .or_else(|_| std::env::var("GITHUB_API_URL"))
        .unwrap_or_else(|_| "https://api.github.com".to_string());
    let repo = RepoName::parse(&args.repo)
        .map_err(|e| CliError::Usage(format!("--repo must be owner/name: {e}")))?;
    let runtime = tokio::runtime::Runtime::new().map_err(CliError::Output)?;
    let report = runtime.block_on(async {
        // octocrab's client needs the runtime to exist when it is built.
        let api = Api::with_token(&base, &token, Arc::new(Metrics::new()), Retry::default())?;
        gather(&api, &repo, CONFIG_PATH).await
    })?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    let blocking = !report.is_empty();
    if args.json {
        let value = serde_json::json!({ "blocking": blocking, "blockers": report });
        serde_json::to_writer_pretty(&mut out, &value).map_err(|e| CliError::Output(e.into()))?;
        writeln!(out).map_err(CliError::Output)?;
    } else if blocking {
        writeln!(
            out,
            "The release of {} is held by {} issue(s):",
            args.repo,
            report.len()
        )
        .map_err(CliError::Output)?;
        for b in &report {
            writeln!(out, "  #{} {} — {}", b.number, b.title, b.reason)
                .map_err(CliError::Output)?;
        }
    } else {
        writeln!(out, "Nothing holds the release of {}.", args.repo).map_err(CliError::Output)?;
    }
    out.flush().map_err(CliError::Output)?;
    Ok(if blocking { EXIT_SHORT } else { EXIT_OK })
}

/// The open issues that hold `repo`'s release, judged with SUPPORT.md and the config at
/// `config_path` on the default branch (the CLI and the Action share this).
pub(crate) async fn gather(
    api: &Api,
    repo: &RepoName,
    config_path: &str,
) -> Result<Vec<crate::core::release::Blocker>, CliError> {
    let info = api.repository(repo).await?;
    let branch = BranchName::parse(&info.default_branch)?;
    let config = match api.file_at(repo, config_path, Rev::Branch(&branch)).await? {
        Some(text) => Config::parse(&text, config_path).map_err(CliError::Config)?,
        None => Config::default(),
    };
    let at = Rev::Branch(&branch);
    Ok(crate::handlers::release::find_blockers(api, repo, &config, at).await?)
}
