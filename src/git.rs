//! Reading a local git history through the `git` command: the commits of a range, their
//! changed paths, and files (MAINTAINERS, .mailmap) as they were at any commit.
//!
//! We drive the `git` binary rather than link libgit2 or gix: it is on every machine that has a
//! repository, it resolves ranges, `.mailmap` and repository layouts exactly as the user's git
//! does, and three batch processes (`log`, `diff-tree --stdin`, `cat-file --batch`) answer a
//! whole range, so the cost per commit stays small.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What went wrong talking to git.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error("{0}: not a git repository")]
    NotARepository(PathBuf),
    #[error("bad range `{range}`: {message}")]
    BadRange { range: String, message: String },
    #[error("cannot run git: {0}")]
    Spawn(#[source] std::io::Error),
    #[error("git {command} failed: {message}")]
    Failed { command: String, message: String },
    #[error("unexpected output from git {0}")]
    Output(String),
}

/// A commit as the offline check needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    pub sha: String,
    pub parents: Vec<String>,
    pub author_name: String,
    pub author_email: String,
    /// When it was written and when it was committed (Unix seconds, as git records them).
    pub author_time: i64,
    pub commit_time: i64,
    pub message: String,
    pub files: Vec<String>,
}

impl Commit {
    pub fn subject(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}

/// A repository on disk.
#[derive(Debug, Clone)]
pub struct Repo {
    dir: PathBuf,
}

impl Repo {
    /// Opens the repository at `dir` (its work tree or a bare repository).
    pub fn open(dir: &Path) -> Result<Repo, GitError> {
        let repo = Repo {
            dir: dir.to_path_buf(),
        };
        match repo.run(&["rev-parse", "--git-dir"], None) {
            Ok(_) => Ok(repo),
            Err(GitError::Failed { .. }) => Err(GitError::NotARepository(dir.to_path_buf())),
            Err(e) => Err(e),
        }
    }

    fn run(&self, args: &[&str], input: Option<Vec<u8>>) -> Result<Vec<u8>, GitError> {
        let mut child = Command::new("git")
            .arg("-C")
            .arg(&self.dir)
            .args(args)
            .stdin(if input.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("GIT_TERMINAL_PROMPT", "0")
            .spawn()
            .map_err(GitError::Spawn)?;
        // Feed stdin from a thread so a large answer cannot block a large question.
        let writer = match (input, child.stdin.take()) {
            (Some(bytes), Some(mut stdin)) => {
                Some(std::thread::spawn(move || stdin.write_all(&bytes)))
            }
            _ => None,
        };
        let mut stdout = Vec::new();
        if let Some(mut out) = child.stdout.take() {
            out.read_to_end(&mut stdout).map_err(GitError::Spawn)?;
        }
        let mut stderr = Vec::new();
        if let Some(mut err) = child.stderr.take() {
            err.read_to_end(&mut stderr).map_err(GitError::Spawn)?;
        }
        let status = child.wait().map_err(GitError::Spawn)?;
        if let Some(writer) = writer {
            // A broken pipe here means git stopped reading; its exit status says why.
            let _ = writer.join();
        }
        if !status.success() {
            return Err(GitError::Failed {
                command: args.first().copied().unwrap_or("").to_string(),
                message: String::from_utf8_lossy(&stderr).trim().to_string(),
            });
        }
        Ok(stdout)
    }

    /// The non-merge commits of `range` (anything `git log` accepts), oldest first.
    pub fn commits(&self, range: &str) -> Result<Vec<Commit>, GitError> {
        const FIELD: char = '\u{1f}';
        const RECORD: char = '\u{1e}';
        let format = "--format=%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%ct%x1f%B%x1e";
        let out = self
            .run(
                &[
                    "log",
                    "--no-merges",
                    "--reverse",
                    "--topo-order",
                    "--no-color",
                    format,
                    "--end-of-options",
                    range,
                    "--",
                ],
                None,
            )
            .map_err(|e| match e {
                GitError::Failed { message, .. } => GitError::BadRange {
                    range: range.to_string(),
                    message,
                },
                other => other,
            })?;
        let text = String::from_utf8_lossy(&out);
        let mut commits = Vec::new();
        for record in text.split(RECORD) {
            let record = record.trim_start_matches('\n');
            if record.is_empty() {
                continue;
            }
            let fields: Vec<&str> = record.splitn(7, FIELD).collect();
            let [sha, parents, name, email, authored, committed, message] = fields[..] else {
                return Err(GitError::Output("log".to_string()));
            };
            let time = |t: &str| {
                t.trim()
                    .parse::<i64>()
                    .map_err(|_| GitError::Output(format!("log: a time that is no number: {t}")))
            };
            commits.push(Commit {
                sha: sha.to_string(),
                parents: parents.split_whitespace().map(str::to_string).collect(),
                author_name: name.to_string(),
                author_email: email.to_string(),
                author_time: time(authored)?,
                commit_time: time(committed)?,
                message: message.to_string(),
                files: Vec::new(),
            });
        }
        self.fill_changed_files(&mut commits)?;
        Ok(commits)
    }

    fn fill_changed_files(&self, commits: &mut [Commit]) -> Result<(), GitError> {
        if commits.is_empty() {
            return Ok(());
        }
        let input: String = commits.iter().map(|c| format!("{}\n", c.sha)).collect();
        let out = self.run(
            &[
                "diff-tree",
                "--stdin",
                "-r",
                "--root",
                "--name-only",
                "-z",
                "--no-renames",
            ],
            Some(input.into_bytes()),
        )?;
        let mut by_sha: HashMap<&str, usize> = HashMap::new();
        for (i, c) in commits.iter().enumerate() {
            by_sha.insert(c.sha.as_str(), i);
        }
        let mut files: Vec<Vec<String>> = vec![Vec::new(); commits.len()];
        let mut current: Option<usize> = None;
        for token in out.split(|&b| b == 0) {
            let token = String::from_utf8_lossy(token);
            let token = token.trim_end_matches('\n');
            if token.is_empty() {
                continue;
            }
            // diff-tree announces each commit by its id, then lists its paths.
            if let Some(&index) = by_sha.get(token) {
                current = Some(index);
                continue;
            }
            match current {
                Some(index) => files[index].push(token.to_string()),
                None => return Err(GitError::Output("diff-tree".to_string())),
            }
        }
        for (commit, list) in commits.iter_mut().zip(files) {
            commit.files = list;
        }
        Ok(())
    }

    /// For each `rev:path` asked, the object id and type there, or None when absent.
    pub fn lookup(&self, specs: &[String]) -> Result<Vec<Option<(String, String)>>, GitError> {
        if specs.is_empty() {
            return Ok(Vec::new());
        }
        let input: String = specs.iter().map(|s| format!("{s}\n")).collect();
        let out = self.run(
            &["cat-file", "--batch-check=%(objectname) %(objecttype)"],
            Some(input.into_bytes()),
        )?;
        let text = String::from_utf8_lossy(&out);
        let answers: Vec<Option<(String, String)>> = text
            .lines()
            .map(|line| {
                let mut parts = line.split(' ');
                match (parts.next(), parts.next(), parts.next()) {
                    (Some(id), Some(kind), None) if id.len() >= 40 => {
                        Some((id.to_string(), kind.to_string()))
                    }
                    _ => None,
                }
            })
            .collect();
        if answers.len() != specs.len() {
            return Err(GitError::Output("cat-file --batch-check".to_string()));
        }
        Ok(answers)
    }

    /// The contents of blobs by id.
    pub fn blobs(&self, ids: &[String]) -> Result<HashMap<String, Vec<u8>>, GitError> {
        let mut contents = HashMap::new();
        if ids.is_empty() {
            return Ok(contents);
        }
        let input: String = ids.iter().map(|s| format!("{s}\n")).collect();
        let out = self.run(&["cat-file", "--batch"], Some(input.into_bytes()))?;
        let mut rest = out.as_slice();
        for id in ids {
            let newline = rest
                .iter()
                .position(|&b| b == b'\n')
                .ok_or_else(|| GitError::Output("cat-file --batch".to_string()))?;
            let header = String::from_utf8_lossy(&rest[..newline]).to_string();
            rest = &rest[newline + 1..];
            let size: usize = match header.split(' ').nth(2).map(str::parse) {
                Some(Ok(size)) => size,
                _ => continue, // "<id> missing": leave it out
            };
            if rest.len() < size {
                return Err(GitError::Output("cat-file --batch".to_string()));
            }
            contents.insert(id.clone(), rest[..size].to_vec());
            rest = rest.get(size + 1..).unwrap_or(&[]);
        }
        Ok(contents)
    }
}
