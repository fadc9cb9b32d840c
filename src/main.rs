//! The `pushgate` binary: parse the command line, run one command, map the outcome to an exit
//! code (0 fine, 1 policy not met, 2 bad input).

use std::process::ExitCode;

use clap::Parser;
use pushgate::cli::{Cli, Command, EXIT_ERROR};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match &cli.command {
        Command::Maintainers(args) => pushgate::cli::maintainers::run(args),
        Command::Check(args) => pushgate::cli::check::run(args),
    };
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            eprintln!("pushgate: {error}");
            ExitCode::from(EXIT_ERROR)
        }
    }
}
