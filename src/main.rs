//! The `pushgate` binary: parse the command line, run one command, map the outcome to an exit
//! code (0 fine, 1 policy not met, 2 bad input).

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use clap::Parser;
use pushgate::cli::{Cli, Command, EXIT_ERROR};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Maintainers(args) => {
            pushgate::cli::maintainers::run(args).map_err(anyhow::Error::from)
        }
        Command::Check(args) => pushgate::cli::check::run(args).map_err(anyhow::Error::from),
        Command::Support(args) => pushgate::cli::support::run(args).map_err(anyhow::Error::from),
        Command::ReleaseGate(args) => {
            pushgate::cli::release_gate::run(args).map_err(anyhow::Error::from)
        }
        Command::Action(args) => pushgate::cli::action::run(args).map_err(anyhow::Error::from),
        Command::Serve => serve(),
        Command::Demo(args) => demo(args),
        Command::AppManifest(args) => pushgate::cli::app_manifest(args)
            .map(|json| {
                println!("{json}");
                0
            })
            .map_err(anyhow::Error::from),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            // One line: in a workflow step a line of an error that began with `::` would be
            // read as a workflow command.
            eprintln!(
                "pushgate: {}",
                format!("{error:#}").replace(['\r', '\n'], " ")
            );
            ExitCode::from(EXIT_ERROR)
        }
    }
}

/// Logs through tracing: JSON lines when `PUSHGATE_LOG_FORMAT=json`, text otherwise;
/// `RUST_LOG` filters (default `info`).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if std::env::var("PUSHGATE_LOG_FORMAT").as_deref() == Ok("json") {
        builder.json().with_current_span(true).init();
    } else {
        builder.init();
    }
}

fn serve() -> anyhow::Result<u8> {
    init_logging();
    let settings = pushgate::service::Settings::from_env().context("settings")?;
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async {
        let service = pushgate::service::start(settings).await?;
        shutdown_signal().await;
        tracing::info!("shutting down: finishing the deliveries in hand");
        service.shutdown(Duration::from_secs(20)).await;
        Ok(0)
    })
}

fn demo(args: &pushgate::cli::DemoArgs) -> anyhow::Result<u8> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    // A fresh story each time.
    for suffix in ["", "-wal", "-shm"] {
        let mut path = args.database.clone().into_os_string();
        path.push(suffix);
        let _ = std::fs::remove_file(path);
    }
    let database = format!("sqlite://{}", args.database.display());
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(pushgate::demo::run(
        args.listen,
        &database,
        shutdown_signal(),
    ))?;
    Ok(0)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
