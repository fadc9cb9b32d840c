//! The names a GitHub call is made about, checked once where they enter (a webhook, an
//! answer, the config, a command line) and escaped once where they leave (a path, in
//! [`super::rest`]): a repository, an issue or pull request number, a commit, a branch.
//!
//! Each is a string (or number) that GitHub itself would accept, so that no name read from a
//! payload or a file can reach a URL as something else (`../`, a query, an empty segment).

use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Serialize};

/// Why a string is not a name of its kind.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{given}` is not {kind}: {why}")]
pub struct NameError {
    pub kind: &'static str,
    pub given: String,
    pub why: &'static str,
}

fn refuse<T>(kind: &'static str, given: &str, why: &'static str) -> Result<T, NameError> {
    let given: String = given.chars().take(200).collect();
    Err(NameError { kind, given, why })
}

macro_rules! text_name {
    ($name:ident) => {
        impl Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }
        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }
        impl std::str::FromStr for $name {
            type Err = NameError;
            fn from_str(text: &str) -> Result<Self, NameError> {
                Self::parse(text)
            }
        }
        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(text: String) -> Result<Self, NameError> {
                Self::parse(&text)
            }
        }
        impl From<$name> for String {
            fn from(name: $name) -> String {
                name.0
            }
        }
    };
}

/// A repository's full name, `owner/name`, as GitHub allows them: an owner of letters,
/// digits, `-` and `_` (enterprise accounts have `_`), a name of letters, digits, `-`, `_` and
/// `.` that is not `.` or `..`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RepoName(String);

impl RepoName {
    const KIND: &'static str = "a repository name (owner/name)";

    pub fn parse(text: &str) -> Result<RepoName, NameError> {
        let Some((owner, name)) = text.split_once('/') else {
            return refuse(Self::KIND, text, "no `/`");
        };
        let word = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if owner.is_empty() || owner.len() > 100 || !owner.chars().all(word) {
            return refuse(
                Self::KIND,
                text,
                "the owner holds a character GitHub refuses",
            );
        }
        if name.is_empty()
            || name.len() > 100
            || name == "."
            || name == ".."
            || !name.chars().all(|c| word(c) || c == '.')
        {
            return refuse(
                Self::KIND,
                text,
                "the name holds a character GitHub refuses",
            );
        }
        Ok(RepoName(text.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn owner(&self) -> &str {
        self.0.split_once('/').map_or("", |(owner, _)| owner)
    }
}

text_name!(RepoName);

/// The number of an issue or a pull request (GitHub numbers both from one sequence): 1 or more.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct PrNumber(i64);

impl PrNumber {
    pub fn new(number: i64) -> Result<PrNumber, NameError> {
        if number >= 1 {
            Ok(PrNumber(number))
        } else {
            refuse(
                "an issue or pull request number",
                &number.to_string(),
                "numbers start at 1",
            )
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for PrNumber {
    type Error = NameError;
    fn try_from(number: i64) -> Result<PrNumber, NameError> {
        PrNumber::new(number)
    }
}

impl From<PrNumber> for i64 {
    fn from(number: PrNumber) -> i64 {
        number.0
    }
}

impl PartialEq<i64> for PrNumber {
    fn eq(&self, other: &i64) -> bool {
        self.0 == *other
    }
}

impl PartialEq<PrNumber> for i64 {
    fn eq(&self, other: &PrNumber) -> bool {
        *self == other.0
    }
}

impl fmt::Display for PrNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A commit's object name: 40 hexadecimal digits (SHA-1) or 64 (SHA-256), kept in lower case
/// as GitHub writes them.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Sha(String);

impl Sha {
    const KIND: &'static str = "a commit SHA";

    pub fn parse(text: &str) -> Result<Sha, NameError> {
        if text.len() != 40 && text.len() != 64 {
            return refuse(Self::KIND, text, "a SHA has 40 or 64 hexadecimal digits");
        }
        if !text.chars().all(|c| c.is_ascii_hexdigit()) {
            return refuse(Self::KIND, text, "a SHA holds only hexadecimal digits");
        }
        Ok(Sha(text.to_ascii_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

text_name!(Sha);

/// A branch, as `git check-ref-format --branch` allows it: no empty or dot-led component, no
/// `..`, `@{`, `//`, no space, control character or any of `~^:?*[\`, no `.lock` at the end of
/// a component, not ending in `/` or `.`, not `@`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct BranchName(String);

impl BranchName {
    const KIND: &'static str = "a branch name";

    pub fn parse(text: &str) -> Result<BranchName, NameError> {
        let why = if text.is_empty() {
            Some("it is empty")
        } else if text.len() > 255 {
            Some("it is longer than 255 bytes")
        } else if text == "@" || text.contains("@{") {
            Some("git refuses `@` alone and `@{`")
        } else if text.contains("..") {
            Some("git refuses `..`")
        } else if text.ends_with('.') {
            Some("git refuses a name ending in `.`")
        } else if text
            .chars()
            .any(|c| c.is_control() || c == ' ' || "~^:?*[\\".contains(c))
        {
            Some("git refuses spaces, control characters and ~^:?*[\\")
        } else if text
            .split('/')
            .any(|part| part.is_empty() || part.starts_with('.') || part.ends_with(".lock"))
        {
            Some("a part between `/` is empty, starts with `.` or ends in `.lock`")
        } else if text.starts_with('-') {
            Some("git refuses a branch starting with `-`")
        } else {
            None
        };
        match why {
            Some(why) => refuse(Self::KIND, text, why),
            None => Ok(BranchName(text.to_string())),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A name written in pushgate's own code (`master`, `staging`), checked in debug builds
    /// and by the tests of its callers.
    pub(crate) fn known(name: &'static str) -> BranchName {
        debug_assert!(BranchName::parse(name).is_ok(), "{name}");
        BranchName(name.to_string())
    }

    /// The full ref, `refs/heads/…`.
    pub fn full_ref(&self) -> String {
        format!("refs/heads/{}", self.0)
    }
}

text_name!(BranchName);

/// What a comparison or a file read is made at: a commit or a branch's tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rev<'a> {
    Commit(&'a Sha),
    Branch(&'a BranchName),
}

impl Rev<'_> {
    pub fn as_str(&self) -> &str {
        match self {
            Rev::Commit(sha) => sha.as_str(),
            Rev::Branch(branch) => branch.as_str(),
        }
    }
}

impl<'a> From<&'a Sha> for Rev<'a> {
    fn from(sha: &'a Sha) -> Rev<'a> {
        Rev::Commit(sha)
    }
}

impl<'a> From<&'a BranchName> for Rev<'a> {
    fn from(branch: &'a BranchName) -> Rev<'a> {
        Rev::Branch(branch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repository_names_are_owner_slash_name_as_github_allows() {
        for good in ["xen-project/xen", "o/r", "a_b/c.d-e", "O/R.git"] {
            assert_eq!(
                RepoName::parse(good).map(String::from),
                Ok(good.to_string())
            );
        }
        for bad in [
            "", "o", "/r", "o/", "o/r/x", "o/..", "o/.", "o r/x", "o/r?x=1", "o/r#x", "../r",
            "o/%2e%2e",
        ] {
            assert!(RepoName::parse(bad).is_err(), "{bad}");
        }
        let name = RepoName::parse("xen-project/xen").unwrap();
        assert_eq!(name.owner(), "xen-project");
    }

    #[test]
    fn numbers_start_at_one() {
        assert_eq!(PrNumber::new(1).map(PrNumber::get), Ok(1));
        assert!(PrNumber::new(0).is_err());
        assert!(PrNumber::new(-3).is_err());
        let read: Result<PrNumber, _> = serde_json::from_str("0");
        assert!(read.is_err());
    }

    #[test]
    fn shas_are_40_or_64_hex_digits_in_lower_case() {
        let sha1 = "0123456789abcdef0123456789ABCDEF01234567";
        assert_eq!(
            Sha::parse(sha1).unwrap().as_str(),
            sha1.to_ascii_lowercase()
        );
        assert!(Sha::parse(&"a".repeat(64)).is_ok());
        for bad in [
            "",
            "abc",
            &"g".repeat(40),
            &"a".repeat(41),
            "HEAD",
            "master",
        ] {
            assert!(Sha::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn branches_follow_git_check_ref_format() {
        for good in [
            "master",
            "stable/4.19",
            "pushgate-tmp/12-1",
            "feature/ü",
            "a#b",
        ] {
            assert!(BranchName::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "", "a b", "a..b", "a/", "/a", "a//b", ".a", "a/.b", "a.lock", "a.", "@", "a@{1}",
            "a:b", "a~1", "a^", "a?", "a*", "a[b", "a\\b", "a\u{7}", "-a",
        ] {
            assert!(BranchName::parse(bad).is_err(), "{bad:?}");
        }
        let branch = BranchName::parse("stable/4.19").unwrap();
        assert_eq!(branch.full_ref(), "refs/heads/stable/4.19");
    }

    #[test]
    fn names_read_from_json_are_checked() {
        let read: Result<RepoName, _> = serde_json::from_str("\"o/../x\"");
        assert!(read.is_err());
        let read: Result<BranchName, _> = serde_json::from_str("\"main\"");
        assert_eq!(read.map(String::from).ok().as_deref(), Some("main"));
    }
}
