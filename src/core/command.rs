//! Committers' commands as comments give them: one reader for every `/pushgate <verb> …`
//! line, so that merge, embargo, advisory, vote, lazy consensus and the gate's block, unblock
//! and force are found the same way. Each feature reads its own arguments from the words this
//! hands it.

/// The prefix every command starts with.
pub const PREFIX: &str = "/pushgate";

/// A command line: its verb, the words after it, and the rest of the line as written (a
/// reason keeps its spacing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line<'a> {
    pub verb: &'a str,
    pub words: Vec<&'a str>,
    pub rest: &'a str,
}

/// The first line of `body` that gives one of `verbs`: `/pushgate` and the verb as its first
/// two words, separated by white space; later lines and other verbs are not read.
pub fn find<'a>(body: &'a str, verbs: &[&str]) -> Option<Line<'a>> {
    body.lines().find_map(|line| {
        let after = line.trim_start().strip_prefix(PREFIX)?;
        // `/pushgatemerge` is not a command.
        if !after.starts_with(char::is_whitespace) {
            return None;
        }
        let after = after.trim_start();
        let (verb, rest) = after.split_once(char::is_whitespace).unwrap_or((after, ""));
        let verb = verbs.iter().find(|v| **v == verb).map(|_| verb)?;
        let rest = rest.trim();
        Some(Line {
            verb,
            words: rest.split_whitespace().collect(),
            rest,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_is_the_first_line_with_its_verb() {
        // The comment, the verbs asked for, the line found (verb, words, rest).
        type Found<'a> = Option<(&'a str, &'a [&'a str], &'a str)>;
        let cases: [(&str, &[&str], Found); 9] = [
            ("/pushgate merge", &["merge"], Some(("merge", &[], ""))),
            ("  /pushgate\tmerge  ", &["merge"], Some(("merge", &[], ""))),
            (
                "thanks\n/pushgate embargo lift\n",
                &["embargo"],
                Some(("embargo", &["lift"], "lift")),
            ),
            (
                "/pushgate block  flaky   CI",
                &["block", "unblock"],
                Some(("block", &["flaky", "CI"], "flaky   CI")),
            ),
            // Another verb's line is skipped, this verb's later line is found.
            (
                "/pushgate merge\n/pushgate vote 3d",
                &["vote"],
                Some(("vote", &["3d"], "3d")),
            ),
            ("/pushgatemerge", &["merge"], None),
            ("please /pushgate merge", &["merge"], None),
            ("/pushgate", &["merge"], None),
            ("/pushgate merged", &["merge"], None),
        ];
        for (body, verbs, want) in cases {
            let got = find(body, verbs);
            let got = got.as_ref().map(|l| (l.verb, l.words.as_slice(), l.rest));
            assert_eq!(got, want, "{body:?}");
        }
    }
}
