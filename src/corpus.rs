//! The shared corpus of real data (Xen's MAINTAINERS and SUPPORT.md, Linux's MAINTAINERS,
//! GitHub's example webhook payloads) that tests and benchmarks read. It lives outside the
//! repository, in `../shared/corpus` beside the crate.
//!
//! A checkout without it still builds and tests: the tests that need it say so and skip. CI
//! sets `PUSHGATE_TEST_CORPUS` to the folder (`.ci/run` does when it is there), and then a file
//! that cannot be read fails the test instead.

use std::io::Write;
use std::path::Path;

/// The variable that names the corpus folder and makes it required.
pub const REQUIRED: &str = "PUSHGATE_TEST_CORPUS";

/// The text of `relative` (say `xen/SUPPORT.md`) in the corpus. `Ok(None)` when the corpus is
/// not required and not here (a message on stderr names what is skipped); an error when it is
/// required and the file cannot be read.
pub fn read(relative: &str) -> Result<Option<String>, String> {
    let required = std::env::var_os(REQUIRED).filter(|dir| !dir.is_empty());
    read_in(required.as_deref().map(Path::new), relative, skip)
}

/// [`read`] with the required folder given: `None` reads `../shared/corpus` beside the crate,
/// where a missing file is a skip.
fn read_in(
    required: Option<&Path>,
    relative: &str,
    skip: impl Fn(&str),
) -> Result<Option<String>, String> {
    let path = match required {
        Some(dir) => dir.join(relative),
        None => Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/corpus")).join(relative),
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if required.is_some() => Err(format!(
            "{REQUIRED} is set but {} cannot be read: {e}",
            path.display()
        )),
        Err(e) => {
            skip(&format!(
                "{} cannot be read ({e}); set {REQUIRED} to the corpus folder to run it",
                path.display()
            ));
            Ok(None)
        }
    }
}

/// Says on stderr that the running test skips part of its work, and why. It writes to the
/// process's stderr directly, not through `eprintln!`, which the test harness captures and
/// shows only for failing tests: a skip is seen in every run. The harness names each test's
/// thread after the test.
pub fn skip(why: &str) {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a test");
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: {why}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_skips_unless_the_corpus_is_required() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("here.txt"), "text").unwrap();
        let required = Some(dir.path());
        let quiet = |_: &str| {};
        assert_eq!(
            read_in(required, "here.txt", quiet),
            Ok(Some("text".to_string()))
        );
        let missing = read_in(required, "not-here.txt", quiet).unwrap_err();
        assert!(missing.contains("not-here.txt"), "{missing}");
        let said = std::cell::RefCell::new(String::new());
        let told = |why: &str| said.borrow_mut().push_str(why);
        assert_eq!(read_in(None, "no/such/corpus/file.txt", told), Ok(None));
        assert!(said.borrow().contains("no/such/corpus/file.txt"));
    }
}
