//! `pushgate support`: the feature matrix of a SUPPORT.md (or a `docs/features/*.pandoc`
//! status table), with counts per status and every line that could not be read.

use std::io::Write;
use std::path::PathBuf;

use super::{CliError, EXIT_OK, EXIT_SHORT};
use crate::core::support::{parse_pandoc, parse_support, SupportMatrix};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print JSON: {"features": [...], "unparsed": [...]}.
    #[arg(long)]
    pub json: bool,
    /// SUPPORT.md, or a docs/features/*.pandoc file.
    #[arg(default_value = "SUPPORT.md")]
    pub file: PathBuf,
}

/// Exit 0 when every status line was read (phrasings read by their words alone are printed as
/// warnings), 1 when some lines carry no status at all (they are listed), 2 when the file
/// cannot be read.
pub fn run(args: &Args) -> Result<u8, CliError> {
    let bytes = std::fs::read(&args.file).map_err(|source| CliError::Read {
        path: args.file.clone(),
        error: source,
    })?;
    let text = String::from_utf8_lossy(&bytes);
    let matrix = if args.file.extension().is_some_and(|e| e == "pandoc") {
        parse_pandoc(&text)
    } else {
        parse_support(&text)
    };
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    if args.json {
        serde_json::to_writer_pretty(&mut out, &matrix).map_err(|e| CliError::Output(e.into()))?;
        writeln!(out).map_err(CliError::Output)?;
    } else {
        write_text(&mut out, &matrix).map_err(CliError::Output)?;
    }
    out.flush().map_err(CliError::Output)?;
    let shown = args.file.display();
    // Phrasings read by their words alone are warnings: the file still reads.
    for u in &matrix.unfamiliar {
        eprintln!("warning: {}", u.warning(&shown.to_string()));
    }
    for u in &matrix.unparsed {
        eprintln!(
            "{shown}:{}: cannot read this status line: {}",
            u.line,
            u.text.trim()
        );
    }
    Ok(if matrix.unparsed.is_empty() {
        EXIT_OK
    } else {
        EXIT_SHORT
    })
}

fn write_text(out: &mut impl Write, matrix: &SupportMatrix) -> std::io::Result<()> {
    let mut category = None;
    for feature in &matrix.features {
        if category != Some(&feature.category) {
            writeln!(out, "\n{}", feature.category)?;
            category = Some(&feature.category);
        }
        for line in &feature.statuses {
            let name = match &line.qualifier {
                Some(q) => format!("{} ({q})", feature.name),
                None => feature.name.clone(),
            };
            writeln!(
                out,
                "  {:<60} {:<24} {}",
                name,
                line.status.as_str(),
                line.text
            )?;
        }
    }
    let lines: usize = matrix.features.iter().map(|f| f.statuses.len()).sum();
    writeln!(
        out,
        "\n{} features, {} status lines, {} unreadable, {} unfamiliar",
        matrix.features.len(),
        lines,
        matrix.unparsed.len(),
        matrix.unfamiliar.len()
    )?;
    for (status, n) in matrix.counts() {
        writeln!(out, "  {:<24} {n}", status.as_str())?;
    }
    Ok(())
}
