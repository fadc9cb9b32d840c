//! The command line: argument definitions and one function per subcommand. Each reads its
//! inputs, lets the core decide, and prints; `main` only maps the outcome to an exit code.

pub mod action;
pub mod check;
pub mod maintainers;
pub mod release_gate;
pub mod support;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Exit codes shared by the data commands.
pub const EXIT_OK: u8 = 0;
/// Some commit or path falls short of the policy.
pub const EXIT_SHORT: u8 = 1;
/// Bad input: unreadable file, malformed MAINTAINERS, no repository, bad range.
pub const EXIT_ERROR: u8 = 2;

#[derive(Debug, Parser)]
#[command(
    name = "pushgate",
    version,
    about = "The Xen Project's way of developing, for GitHub"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Who maintains these paths: sections, people to notify, and whose ack is required.
    Maintainers(maintainers::Args),
    /// Judge each commit of a git range by the Xen check-in policy, with MAINTAINERS as it was
    /// at the commit's parent and the trailers of its message.
    Check(check::Args),
    /// The feature support matrix of a SUPPORT.md: statuses per feature, counts per status,
    /// and every status line that could not be read.
    Support(support::Args),
    /// Fail while an open issue holds the release: a regression label on a feature whose
    /// status blocks (the Supported family by default), or `release-blocker`.
    ReleaseGate(release_gate::Args),
    /// The GitHub Action: run one mode (acks, release-gate, support-labels) on the event of a
    /// workflow run, and answer with a job summary, outputs, annotations and the exit code.
    Action(action::Args),
    /// Run the GitHub App: the webhook service with its workers (settings from the
    /// environment: PUSHGATE_APP_ID, PUSHGATE_PRIVATE_KEY(_PATH), PUSHGATE_WEBHOOK_SECRET,
    /// DATABASE_URL, PUSHGATE_GITHUB_API, PUSHGATE_LISTEN).
    Serve,
    /// Play a short story with the real service against a simulated GitHub, then keep
    /// serving the dashboard so you can look around.
    Demo(DemoArgs),
    /// Print the GitHub App manifest (app.yml) as JSON, for creating the App.
    AppManifest(ManifestArgs),
}

#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Where the service listens.
    #[arg(long, default_value = "127.0.0.1:3000")]
    pub listen: std::net::SocketAddr,
    /// The embedded database file (recreated at each run).
    #[arg(long, default_value = "pushgate-demo.db")]
    pub database: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct ManifestArgs {
    /// The webhook URL of your deployment (replaces the placeholder).
    #[arg(long)]
    pub webhook_url: Option<String>,
    /// Where GitHub sends the browser, with a `code`, once the App is created from the manifest
    /// (replaces the placeholder).
    #[arg(long)]
    pub redirect_url: Option<String>,
}

/// The App manifest shipped with pushgate: `app.yml`, written in YAML's JSON-compatible form
/// so the binary can embed and check it with the JSON parser it already has.
pub const APP_MANIFEST: &str = include_str!("../../app.yml");

/// The manifest as JSON, with the webhook and redirect URLs filled in when given.
pub fn app_manifest(args: &ManifestArgs) -> Result<String, serde_json::Error> {
    let mut manifest: serde_json::Value = serde_json::from_str(APP_MANIFEST)?;
    if let Some(url) = &args.webhook_url {
        manifest["hook_attributes"]["url"] = serde_json::Value::String(url.clone());
    }
    if let Some(url) = &args.redirect_url {
        manifest["redirect_url"] = serde_json::Value::String(url.clone());
    }
    serde_json::to_string_pretty(&manifest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_manifest_asks_for_what_pushgate_needs_with_the_urls_given() {
        let args = ManifestArgs {
            webhook_url: Some("https://hooks.example.org/webhook".to_string()),
            redirect_url: Some("https://hooks.example.org/created".to_string()),
        };
        let manifest: serde_json::Value =
            serde_json::from_str(&app_manifest(&args).unwrap()).unwrap();
        assert_eq!(
            manifest["hook_attributes"]["url"],
            "https://hooks.example.org/webhook"
        );
        assert_eq!(
            manifest["redirect_url"],
            "https://hooks.example.org/created"
        );
        assert_eq!(
            manifest["default_permissions"],
            serde_json::json!({
                "metadata": "read", "contents": "write", "checks": "write",
                "statuses": "read", "pull_requests": "write", "issues": "write",
            })
        );
        let events = manifest["default_events"].as_array().unwrap();
        for event in [
            "pull_request",
            "pull_request_review",
            "pull_request_review_comment",
            "issue_comment",
            "issues",
            "push",
            "check_run",
            "status",
        ] {
            assert!(events.iter().any(|e| e == event), "{event}");
        }
        assert_eq!(events.len(), 8);

        let unchanged: serde_json::Value = serde_json::from_str(
            &app_manifest(&ManifestArgs {
                webhook_url: None,
                redirect_url: None,
            })
            .unwrap(),
        )
        .unwrap();
        assert_eq!(
            unchanged,
            serde_json::from_str::<serde_json::Value>(APP_MANIFEST).unwrap()
        );
    }
}

/// A problem the user can fix: printed on stderr, exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    // The cause is in the message and not also a `#[source]`: main prints the chain
    // (`{:#}`), which would repeat it.
    #[error("{path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{path}: malformed MAINTAINERS:\n{details}")]
    Maintainers { path: String, details: String },
    #[error(transparent)]
    Git(#[from] crate::git::GitError),
    #[error("cannot write output: {0}")]
    Output(std::io::Error),
    #[error("no paths given (pass PATH arguments or --files-from)")]
    NoPaths,
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    GitHub(#[from] crate::github::GitHubError),
    #[error(transparent)]
    Handler(#[from] crate::handlers::HandlerError),
    #[error("invalid config: {0}")]
    Config(crate::config::ConfigError),
    /// A name (repository, branch, commit) GitHub would refuse, in an input or an event.
    #[error(transparent)]
    Name(#[from] crate::github::NameError),
}

/// Renders MAINTAINERS diagnostics as `file:line: severity: message` lines, errors first.
pub(crate) fn render_diagnostics(
    path: &str,
    diagnostics: &[crate::core::maintainers::Diagnostic],
) -> String {
    diagnostics
        .iter()
        .map(|d| format!("{path}:{}: {}: {}", d.line, d.severity.as_str(), d.message))
        .collect::<Vec<_>>()
        .join("\n")
}
