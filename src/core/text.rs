//! How the core writes small things for people: commit ids, durations, times, table cells, and
//! texts cut to GitHub's limits. Every other core module may use this one; it uses none of
//! them, so it can never close an import circle.

/// The first 12 characters of a commit id, as shown to people.
pub fn short(sha: &str) -> &str {
    sha.get(..12).unwrap_or(sha)
}

/// Seconds the way the config spells a duration: "24h", "30m", "90s", "2d"; a negative
/// number of seconds as "0s".
pub fn human_seconds(seconds: i64) -> String {
    match seconds.max(0) {
        0 => "0s".to_string(),
        s if s % 86400 == 0 => format!("{}d", s / 86400),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s if s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

/// Unix seconds as `YYYY-MM-DD HH:MM UTC`.
pub fn utc(seconds: i64) -> String {
    chrono::DateTime::from_timestamp(seconds, 0)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|| format!("{seconds} (Unix time)"))
}

/// Text safe inside a Markdown table cell: `|` escaped, line breaks made spaces.
pub fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\r', '\n'], " ")
}

/// Cuts `text` to at most `limit` bytes on a character boundary, saying so (check-run titles
/// and summaries).
pub fn truncate(text: &str, limit: usize) -> String {
    if text.len() <= limit {
        return text.to_string();
    }
    let marker = "\n\n… (truncated: GitHub limits this text)";
    let mut end = limit.saturating_sub(marker.len());
    while end > 0 && !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{marker}", &text[..end])
}

/// `text` cut to `limit` characters, the last of them `…` when it was longer (label names and
/// descriptions, quoted lines).
pub fn clip(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut out: String = text.chars().take(limit.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_written_in_the_largest_whole_unit() {
        for (seconds, text) in [
            (0, "0s"),
            (-5, "0s"),
            (90, "90s"),
            (1800, "30m"),
            (5400, "90m"),
            (86400, "1d"),
            (7200, "2h"),
        ] {
            assert_eq!(human_seconds(seconds), text, "{seconds}");
        }
    }

    #[test]
    fn dates_are_written_in_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(1_764_147_600), "2025-11-26 09:00 UTC");
        assert_eq!(utc(i64::MAX), format!("{} (Unix time)", i64::MAX));
    }

    #[test]
    fn cells_keep_a_table_row_whole() {
        assert_eq!(cell("a|b\r\nc"), "a\\|b  c");
    }

    #[test]
    fn cutting_keeps_characters_whole() {
        assert_eq!(short("0123456789abcdef"), "0123456789ab");
        assert_eq!(short("abc"), "abc");
        assert_eq!(clip("feature: x86/PV", 50), "feature: x86/PV");
        assert_eq!(clip("ééééé", 3), "éé…");
        let cut = truncate(&"é".repeat(100), 60);
        assert!(
            cut.len() <= 60 && cut.ends_with("GitHub limits this text)"),
            "{cut}"
        );
    }
}
