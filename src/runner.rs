//! The GitHub Actions runner's text formats, pure: workflow commands (`::error file=…::`) with
//! the runner's escaping, step outputs in the multi-line form `GITHUB_OUTPUT` accepts, and the
//! job summary kept within the size GitHub uploads.
//!
//! The runner splits a workflow command at `::` and its properties at `,` and `=`, and reads
//! everything line by line, so a message or a file name must never carry those characters raw.

use sha2::{Digest, Sha256};

/// GitHub refuses to upload a step summary larger than 1 MiB.
pub const SUMMARY_LIMIT: usize = 1024 * 1024;

/// GitHub shows at most this many error annotations per step; the rest only reach the log, so
/// the full list goes in the summary.
pub const SHOWN_ANNOTATIONS: usize = 10;

/// How loud an annotation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Notice,
}

impl Level {
    fn command(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
        }
    }
}

/// An annotation: shown on the run, and on the file's line when the file is in the diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Annotation {
    pub level: Level,
    pub title: Option<String>,
    pub file: Option<String>,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
}

impl Annotation {
    pub fn error(message: impl Into<String>) -> Annotation {
        Annotation {
            level: Level::Error,
            title: None,
            file: None,
            line: None,
            column: None,
            message: message.into(),
        }
    }

    pub fn titled(mut self, title: &str) -> Annotation {
        self.title = Some(title.to_string());
        self
    }

    /// Points at `file`, and at a line of it when `line` is given.
    pub fn at(mut self, file: &str, line: Option<usize>, column: Option<usize>) -> Annotation {
        self.file = Some(file.to_string());
        self.line = line;
        self.column = column;
        self
    }

    pub fn level(mut self, level: Level) -> Annotation {
        self.level = level;
        self
    }

    /// The workflow command, one line, without the trailing newline.
    pub fn command(&self) -> String {
        let mut properties = Vec::new();
        if let Some(title) = &self.title {
            properties.push(format!("title={}", escape_property(title)));
        }
        if let Some(file) = &self.file {
            properties.push(format!("file={}", escape_property(file)));
        }
        if let Some(line) = self.line {
            properties.push(format!("line={line}"));
        }
        if let Some(column) = self.column {
            properties.push(format!("col={column}"));
        }
        let properties = if properties.is_empty() {
            String::new()
        } else {
            format!(" {}", properties.join(","))
        };
        format!(
            "::{}{properties}::{}",
            self.level.command(),
            escape_data(&self.message)
        )
    }
}

/// Escapes a workflow command's message: the runner reads `%`, CR and LF escaped.
pub fn escape_data(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '%' => out.push_str("%25"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes a workflow command's property value: as a message, and also `:` and `,`, which
/// end a property.
pub fn escape_property(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in escape_data(raw).chars() {
        match c {
            ':' => out.push_str("%3A"),
            ',' => out.push_str("%2C"),
            c => out.push(c),
        }
    }
    out
}

/// One step output in `GITHUB_OUTPUT`'s multi-line form, `name<<DELIM`, the value, `DELIM`.
/// The delimiter is derived from `seed` and never occurs in the value, so no value can end the
/// block early or smuggle in another output.
pub fn output_block(name: &str, value: &str, seed: &str) -> String {
    let delimiter = delimiter_for(value, seed);
    let mut block = format!("{name}<<{delimiter}\n{value}");
    // The runner drops the line break just before the delimiter, so a value's own final
    // newline survives only with one more after it.
    if !value.is_empty() {
        block.push('\n');
    }
    block.push_str(&delimiter);
    block.push('\n');
    block
}

fn delimiter_for(value: &str, seed: &str) -> String {
    let mut round = 0u32;
    loop {
        let digest = Sha256::digest(format!("{seed}:{round}").as_bytes());
        let delimiter = format!("pushgate_{}", hex::encode(&digest[..12]));
        if !value.contains(&delimiter) {
            return delimiter;
        }
        round += 1;
    }
}

/// Reads `GITHUB_OUTPUT`-style text back into (name, value) pairs: `name=value` lines and
/// `name<<DELIM` blocks. What the runner does with the file; the tests use it to check ours.
pub fn parse_outputs(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut outputs = Vec::new();
    let mut lines = text.split('\n').peekable();
    while let Some(line) = lines.next() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        if let Some((name, delimiter)) = line.split_once("<<") {
            let mut value: Vec<&str> = Vec::new();
            loop {
                match lines.next() {
                    Some(l) if l.strip_suffix('\r').unwrap_or(l) == delimiter => break,
                    Some(l) => value.push(l),
                    None => return Err(format!("output `{name}`: no closing `{delimiter}`")),
                }
            }
            outputs.push((name.to_string(), value.join("\n")));
        } else if let Some((name, value)) = line.split_once('=') {
            outputs.push((name.to_string(), value.to_string()));
        } else {
            return Err(format!("not an output line: `{line}`"));
        }
    }
    Ok(outputs)
}

/// Cuts `summary` so that it fits in `room` bytes (at a line break when one is near), with a
/// note saying so. `room` is what is left of [`SUMMARY_LIMIT`] after earlier steps' text.
pub fn fit_summary(summary: &str, room: usize) -> String {
    if summary.len() <= room {
        return summary.to_string();
    }
    const NOTE: &str = "\n\n… (cut: the job summary is limited to 1 MiB; the log has the rest)\n";
    let Some(budget) = room.checked_sub(NOTE.len()) else {
        return String::new();
    };
    let mut end = budget;
    while !summary.is_char_boundary(end) {
        end -= 1;
    }
    let cut = match summary[..end].rfind('\n') {
        Some(at) if at + 4096 >= end => at,
        _ => end,
    };
    format!("{}{NOTE}", &summary[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_escape_percent_and_line_breaks_only() {
        for (raw, want) in [
            ("plain", "plain"),
            ("100%", "100%25"),
            ("a\nb", "a%0Ab"),
            ("a\r\nb", "a%0D%0Ab"),
            ("%0A", "%250A"),
            ("x: y, z", "x: y, z"),
            ("::error::", "::error::"),
        ] {
            assert_eq!(escape_data(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn properties_also_escape_colon_and_comma() {
        for (raw, want) in [
            ("src/a.c", "src/a.c"),
            ("a:b", "a%3Ab"),
            ("a,b", "a%2Cb"),
            ("a,line=3", "a%2Cline=3"),
            ("50%\n", "50%25%0A"),
            ("C:\\x", "C%3A\\x"),
        ] {
            assert_eq!(escape_property(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn annotation_commands() {
        for (annotation, want) in [
            (Annotation::error("boom"), "::error::boom"),
            (
                Annotation::error("needs an ack\nfrom x86").at("xen/a,b.c", Some(3), None),
                "::error file=xen/a%2Cb.c,line=3::needs an ack%0Afrom x86",
            ),
            (
                Annotation::error("bad key").titled("pushgate: config").at(
                    ".github/pushgate.toml",
                    Some(4),
                    Some(1),
                ),
                "::error title=pushgate%3A config,file=.github/pushgate.toml,line=4,col=1::bad key",
            ),
            (
                Annotation::error("odd line").level(Level::Warning),
                "::warning::odd line",
            ),
        ] {
            assert_eq!(annotation.command(), want);
        }
    }

    #[test]
    fn output_blocks_read_back_as_written() {
        for value in [
            "",
            "true",
            "one\ntwo",
            "trailing\n",
            "\n\nleading",
            "x=y",
            "EOF\nname<<EOF\nsmuggled=1\nEOF",
            "crlf\r\nline",
        ] {
            let block = output_block("missing", value, "seed");
            let parsed = parse_outputs(&block).expect("parses");
            assert_eq!(parsed, vec![("missing".to_string(), value.to_string())]);
        }
    }

    #[test]
    fn delimiter_never_occurs_in_the_value() {
        let first = delimiter_for("", "seed");
        let value = format!("before\n{first}\nafter");
        let block = output_block("v", &value, "seed");
        assert_ne!(delimiter_for(&value, "seed"), first);
        assert_eq!(parse_outputs(&block).expect("parses")[0].1, value);
    }

    #[test]
    fn several_outputs_in_one_file() {
        let text = format!(
            "{}{}plain=1\n",
            output_block("a", "x\ny", "s1"),
            output_block("b", "", "s2")
        );
        let parsed = parse_outputs(&text).expect("parses");
        let names: Vec<_> = parsed
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        assert_eq!(names, vec![("a", "x\ny"), ("b", ""), ("plain", "1")]);
    }

    #[test]
    fn summary_is_cut_to_the_room_left() {
        let short = "# ok\n";
        assert_eq!(fit_summary(short, 100), short);
        let long = "é line\n".repeat(200_000);
        for room in [SUMMARY_LIMIT, 5000, 101] {
            let fitted = fit_summary(&long, room);
            assert!(fitted.len() <= room, "{} > {room}", fitted.len());
            assert!(fitted.contains("cut"), "{room}");
        }
        assert_eq!(fit_summary(&long, 10), "");
    }
}
