//! One method per REST operation pushgate makes: the only place that spells GitHub's paths
//! and escapes what goes into them (a branch once, by [`branch_path`], whatever the call).
//! The answers that callers read field by field come typed ([`super::model`]); the rest are
//! still GitHub's JSON.

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::model::{
    decode, list_of, AppInstallation, ChangedFile, CheckRun, Commit, Compare, GitCommit, Issue,
    IssueComment, NewCommit, Output, Permission, Pull, Ref, RepoLabel, Repository, Review, Status,
};
use super::names::{BranchName, PrNumber, RepoName, Rev, Sha};
use super::{path, segment, Api, GitHubError, Method, Replay};

/// A branch as a ref path under `refs/heads/`: its `/` kept, everything else escaped. The one
/// place a branch is written into a path.
fn branch_path(branch: &BranchName) -> String {
    path(branch.as_str())
}

/// A commit or a branch as one path segment (a branch's `/` escaped, as GitHub's compare and
/// contents endpoints read it).
fn rev_segment(rev: Rev<'_>) -> String {
    segment(rev.as_str())
}

impl Api {
    // ---- the repository -----------------------------------------------------------------

    /// The repository (its default branch, visibility).
    pub async fn repository(&self, repo: &RepoName) -> Result<Repository, GitHubError> {
        self.get_as(&format!("/repos/{repo}")).await
    }

    /// A user's permission on the repository (`admin`, `maintain`, `write`, …).
    pub async fn permission(&self, repo: &RepoName, login: &str) -> Result<String, GitHubError> {
        let path = format!("/repos/{repo}/collaborators/{}/permission", segment(login));
        Ok(self.get_as::<Permission>(&path).await?.permission)
    }

    /// The newest commit authored with this e-mail (GitHub links it to an account, if any).
    pub async fn commits_by_author(
        &self,
        repo: &RepoName,
        email: &str,
    ) -> Result<Vec<Commit>, GitHubError> {
        let path = format!("/repos/{repo}/commits?author={}&per_page=1", segment(email));
        self.get_as(&path).await
    }

    /// The App's installations, at most `pages` pages of 100 (as the App).
    pub async fn app_installations(&self, pages: u32) -> Result<Vec<AppInstallation>, GitHubError> {
        let path = "/app/installations";
        self.list_as(path, pages).await
    }

    /// The repositories the installation may see, at most `pages` pages of 100.
    pub async fn installation_repositories(
        &self,
        pages: u32,
    ) -> Result<Vec<Repository>, GitHubError> {
        let path = "/installation/repositories";
        self.list_as(path, pages).await
    }

    // ---- pull requests --------------------------------------------------------------------

    pub async fn pull(&self, repo: &RepoName, number: PrNumber) -> Result<Pull, GitHubError> {
        let path = format!("/repos/{repo}/pulls/{number}");
        self.get_as(&path).await
    }

    /// Closes pull request `number`.
    pub async fn close_pull(&self, repo: &RepoName, number: PrNumber) -> Result<(), GitHubError> {
        self.call(
            Method::Patch,
            &format!("/repos/{repo}/pulls/{number}"),
            Some(&json!({ "state": "closed" })),
        )
        .await
        .map(drop)
    }

    /// The open pull requests, at most `pages` pages of 100.
    pub async fn open_pulls(&self, repo: &RepoName, pages: u32) -> Result<Vec<Pull>, GitHubError> {
        let path = format!("/repos/{repo}/pulls?state=open");
        self.list_as(&path, pages).await
    }

    /// A pull request's files, at most `pages` pages of 100.
    pub async fn pull_files(
        &self,
        repo: &RepoName,
        number: PrNumber,
        pages: u32,
    ) -> Result<Vec<ChangedFile>, GitHubError> {
        let path = format!("/repos/{repo}/pulls/{number}/files");
        self.list_as(&path, pages).await
    }

    /// A pull request's reviews, read to the end of `pages` pages (None: the list goes on).
    pub async fn reviews(
        &self,
        repo: &RepoName,
        number: PrNumber,
        pages: u32,
    ) -> Result<Option<Vec<Review>>, GitHubError> {
        let path = format!("/repos/{repo}/pulls/{number}/reviews");
        self.list_to_end(&path, pages).await
    }

    /// A pull request's inline review comments, read to the end of `pages` pages.
    pub async fn review_comments(
        &self,
        repo: &RepoName,
        number: PrNumber,
        pages: u32,
    ) -> Result<Option<Vec<IssueComment>>, GitHubError> {
        let path = format!("/repos/{repo}/pulls/{number}/comments");
        self.list_to_end(&path, pages).await
    }

    /// The comments of issue or pull request `number`, read to the end of `pages` pages.
    pub async fn comments_to_end(
        &self,
        repo: &RepoName,
        number: PrNumber,
        pages: u32,
    ) -> Result<Option<Vec<IssueComment>>, GitHubError> {
        let path = format!("/repos/{repo}/issues/{number}/comments");
        self.list_to_end(&path, pages).await
    }

    /// Requests reviews from `logins` on pull request `number`.
    pub async fn request_reviewers(
        &self,
        repo: &RepoName,
        number: PrNumber,
        logins: &[&str],
    ) -> Result<Value, GitHubError> {
        self.call(
            Method::Post,
            &format!("/repos/{repo}/pulls/{number}/requested_reviewers"),
            Some(&json!({ "reviewers": logins })),
        )
        .await
    }

    /// The pull requests a commit belongs to.
    pub async fn commit_pulls(&self, repo: &RepoName, sha: &Sha) -> Result<Vec<Pull>, GitHubError> {
        let path = format!("/repos/{repo}/commits/{}/pulls", segment(sha));
        self.get_as(&path).await
    }

    // ---- issues and their comments --------------------------------------------------------

    /// Opens an issue with this title and body.
    pub async fn create_issue(
        &self,
        repo: &RepoName,
        title: &str,
        body: &str,
    ) -> Result<Issue, GitHubError> {
        self.create_labelled_issue::<&str>(repo, title, body, &[])
            .await
    }

    /// Opens an issue with these labels.
    pub async fn create_labelled_issue<S: AsRef<str>>(
        &self,
        repo: &RepoName,
        title: &str,
        body: &str,
        labels: &[S],
    ) -> Result<Issue, GitHubError> {
        let path = format!("/repos/{repo}/issues");
        let mut fields = json!({ "title": title, "body": body });
        if !labels.is_empty() {
            let labels: Vec<&str> = labels.iter().map(AsRef::as_ref).collect();
            fields["labels"] = json!(labels);
        }
        let answer = self.call(Method::Post, &path, Some(&fields)).await?;
        decode(answer, || format!("POST {path}"))
    }

    /// Replaces an issue's body.
    pub async fn set_issue_body(
        &self,
        repo: &RepoName,
        number: PrNumber,
        body: &str,
    ) -> Result<Value, GitHubError> {
        self.call(
            Method::Patch,
            &format!("/repos/{repo}/issues/{number}"),
            Some(&json!({ "body": body })),
        )
        .await
    }

    /// The open issues and pull requests, optionally only those with `label`, at most
    /// `pages` pages of 100.
    pub async fn open_issues(
        &self,
        repo: &RepoName,
        label: Option<&str>,
        pages: u32,
    ) -> Result<Vec<Issue>, GitHubError> {
        let path = match label {
            Some(label) => format!("/repos/{repo}/issues?state=open&labels={}", segment(label)),
            None => format!("/repos/{repo}/issues?state=open"),
        };
        self.list_as(&path, pages).await
    }

    /// The comments of issue or pull request `number`, at most `pages` pages of 100.
    pub async fn comments(
        &self,
        repo: &RepoName,
        number: PrNumber,
        pages: u32,
    ) -> Result<Vec<IssueComment>, GitHubError> {
        let path = format!("/repos/{repo}/issues/{number}/comments");
        self.list_as(&path, pages).await
    }

    /// Comments `body` on issue or pull request `number`; the comment made.
    pub async fn create_comment(
        &self,
        repo: &RepoName,
        number: PrNumber,
        body: &str,
    ) -> Result<IssueComment, GitHubError> {
        let path = format!("/repos/{repo}/issues/{number}/comments");
        let answer = self
            .call(Method::Post, &path, Some(&json!({ "body": body })))
            .await?;
        decode(answer, || format!("POST {path}"))
    }

    /// Replaces the text of comment `id`.
    pub async fn update_comment(
        &self,
        repo: &RepoName,
        id: i64,
        body: &str,
    ) -> Result<Value, GitHubError> {
        self.call(
            Method::Patch,
            &format!("/repos/{repo}/issues/comments/{id}"),
            Some(&json!({ "body": body })),
        )
        .await
    }

    // ---- labels ---------------------------------------------------------------------------

    /// The repository's labels, at most `pages` pages of 100.
    pub async fn labels(&self, repo: &RepoName, pages: u32) -> Result<Vec<RepoLabel>, GitHubError> {
        let path = format!("/repos/{repo}/labels");
        self.list_as(&path, pages).await
    }

    /// Creates a label.
    pub async fn create_label(
        &self,
        repo: &RepoName,
        label: &RepoLabel,
    ) -> Result<(), GitHubError> {
        let fields = json!({
            "name": label.name,
            "color": label.color,
            "description": label.description,
        });
        self.call(
            Method::Post,
            &format!("/repos/{repo}/labels"),
            Some(&fields),
        )
        .await
        .map(drop)
    }

    /// Updates label `name` (its colour, description, or new name).
    pub async fn update_label(
        &self,
        repo: &RepoName,
        name: &str,
        label: &RepoLabel,
    ) -> Result<(), GitHubError> {
        let fields = json!({
            "new_name": label.name,
            "color": label.color,
            "description": label.description,
        });
        self.call(
            Method::Patch,
            &format!("/repos/{repo}/labels/{}", segment(name)),
            Some(&fields),
        )
        .await
        .map(drop)
    }

    /// Adds `labels` to issue or pull request `number`.
    pub async fn add_labels<S: AsRef<str>>(
        &self,
        repo: &RepoName,
        number: PrNumber,
        labels: &[S],
    ) -> Result<Value, GitHubError> {
        let labels: Vec<&str> = labels.iter().map(AsRef::as_ref).collect();
        // Adding labels an issue has changes nothing: safe to send again.
        self.send(
            Method::Post,
            &format!("/repos/{repo}/issues/{number}/labels"),
            Some(&json!({ "labels": labels })),
            Replay::Safe,
        )
        .await
    }

    /// Removes `label` from issue or pull request `number`.
    pub async fn remove_label(
        &self,
        repo: &RepoName,
        number: PrNumber,
        label: &str,
    ) -> Result<Value, GitHubError> {
        self.call(
            Method::Delete,
            &format!("/repos/{repo}/issues/{number}/labels/{}", segment(label)),
            None,
        )
        .await
    }

    // ---- checks and statuses --------------------------------------------------------------

    /// Creates a completed check run `name` on `sha` with this conclusion, output and
    /// external id; the run GitHub made.
    pub async fn create_check_run(
        &self,
        repo: &RepoName,
        (name, sha): (&str, &Sha),
        conclusion: &str,
        output: &Output,
        external_id: &str,
    ) -> Result<CheckRun, GitHubError> {
        let path = format!("/repos/{repo}/check-runs");
        let fields = json!({
            "name": name,
            "head_sha": sha,
            "status": "completed",
            "conclusion": conclusion,
            "output": output,
            "external_id": external_id,
        });
        let answer = self.call(Method::Post, &path, Some(&fields)).await?;
        serde_json::from_value(answer).map_err(|e| GitHubError::Unexpected {
            endpoint: format!("POST {path}"),
            message: e.to_string(),
        })
    }

    /// The check runs on commit `sha` (the first 100): all of them, or those named `name`
    /// (with `filter=all`: every run, not only the latest of each app).
    pub async fn check_runs(
        &self,
        repo: &RepoName,
        sha: &Sha,
        name: Option<&str>,
    ) -> Result<Vec<CheckRun>, GitHubError> {
        let sha = segment(sha);
        let path = match name {
            Some(name) => format!(
                "/repos/{repo}/commits/{sha}/check-runs?check_name={}&filter=all&per_page=100",
                segment(name)
            ),
            None => format!("/repos/{repo}/commits/{sha}/check-runs?per_page=100"),
        };
        let answer = self.get(&path).await?;
        list_of(answer, "check_runs", || format!("GET {path}"))
    }

    /// The newest check runs named `name` on `sha`, as GitHub lists them by default.
    pub async fn latest_check_runs(
        &self,
        repo: &RepoName,
        sha: &Sha,
        name: &str,
    ) -> Result<Vec<CheckRun>, GitHubError> {
        let path = format!(
            "/repos/{repo}/commits/{}/check-runs?check_name={}",
            segment(sha),
            segment(name)
        );
        let answer = self.get(&path).await?;
        list_of(answer, "check_runs", || format!("GET {path}"))
    }

    /// Asks GitHub to run check run `id` again.
    pub async fn rerequest_check_run(&self, repo: &RepoName, id: i64) -> Result<(), GitHubError> {
        self.call(
            Method::Post,
            &format!("/repos/{repo}/check-runs/{id}/rerequest"),
            None,
        )
        .await
        .map(drop)
    }

    /// The statuses posted on `sha` (its combined status's list).
    pub async fn statuses(&self, repo: &RepoName, sha: &Sha) -> Result<Vec<Status>, GitHubError> {
        let path = format!("/repos/{repo}/commits/{}/status", segment(sha));
        let answer = self.get(&path).await?;
        list_of(answer, "statuses", || format!("GET {path}"))
    }

    // ---- git: commits, refs, comparisons, merges ------------------------------------------

    /// A git commit (its tree, parents and message).
    pub async fn git_commit(&self, repo: &RepoName, sha: &Sha) -> Result<GitCommit, GitHubError> {
        let path = format!("/repos/{repo}/git/commits/{}", segment(sha));
        self.get_as(&path).await
    }

    /// Creates a git commit from GitHub's fields (message, tree, parents, author, committer).
    pub async fn create_git_commit(
        &self,
        repo: &RepoName,
        commit: &NewCommit,
    ) -> Result<GitCommit, GitHubError> {
        let path = format!("/repos/{repo}/git/commits");
        let fields = serde_json::to_value(commit).map_err(|e| GitHubError::Unexpected {
            endpoint: format!("POST {path}"),
            message: e.to_string(),
        })?;
        let answer = self.call(Method::Post, &path, Some(&fields)).await?;
        decode(answer, || format!("POST {path}"))
    }

    /// How `head` compares with `base` (commits ahead, files), both commits or branches.
    pub async fn compare(
        &self,
        repo: &RepoName,
        base: Rev<'_>,
        head: Rev<'_>,
    ) -> Result<Compare, GitHubError> {
        let path = format!(
            "/repos/{repo}/compare/{}...{}",
            rev_segment(base),
            rev_segment(head)
        );
        self.get_as(&path).await
    }

    /// The commit `branch` points at.
    pub async fn branch_tip(
        &self,
        repo: &RepoName,
        branch: &BranchName,
    ) -> Result<Sha, GitHubError> {
        let path = format!("/repos/{repo}/git/ref/heads/{}", branch_path(branch));
        let tip = self.get_as::<Ref>(&path).await?.object.sha;
        Sha::parse(&tip).map_err(|e| GitHubError::Unexpected {
            endpoint: format!("GET {path}"),
            message: e.to_string(),
        })
    }

    /// Creates `branch` at `sha`; GitHub refuses (422) when it exists.
    pub async fn create_branch(
        &self,
        repo: &RepoName,
        branch: &BranchName,
        sha: &Sha,
    ) -> Result<(), GitHubError> {
        self.call(
            Method::Post,
            &format!("/repos/{repo}/git/refs"),
            Some(&json!({ "ref": branch.full_ref(), "sha": sha.as_str() })),
        )
        .await
        .map(drop)
    }

    /// Deletes `branch`. A branch already gone counts as deleted: GitHub answers 422
    /// "Reference does not exist" (or 404), as it does to a DELETE retried after a 502 whose
    /// work was done.
    pub async fn delete_branch(
        &self,
        repo: &RepoName,
        branch: &BranchName,
    ) -> Result<(), GitHubError> {
        let deleted = self
            .call(
                Method::Delete,
                &format!("/repos/{repo}/git/refs/heads/{}", branch_path(branch)),
                None,
            )
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(e) if e.not_found() => Ok(()),
            Err(GitHubError::Refused {
                status: 422,
                message,
                ..
            }) if message.contains("Reference does not exist") => Ok(()),
            Err(e) => Err(e),
        }
    }

    /// Merges `head` into branch `base` with this message (GitHub's merge endpoint); the
    /// merge commit (empty when there was nothing to merge).
    pub async fn merge(
        &self,
        repo: &RepoName,
        base: &BranchName,
        head: Rev<'_>,
        message: &str,
    ) -> Result<Commit, GitHubError> {
        let path = format!("/repos/{repo}/merges");
        let fields =
            json!({ "base": base.as_str(), "head": head.as_str(), "commit_message": message });
        let answer = self.call(Method::Post, &path, Some(&fields)).await?;
        decode(answer, || format!("POST {path}"))
    }
}

impl Api {
    /// A GET whose answer is decoded as `T`.
    async fn get_as<T: DeserializeOwned + Default>(&self, path: &str) -> Result<T, GitHubError> {
        let answer = self.get(path).await?;
        decode(answer, || format!("GET {path}"))
    }

    /// A list read to the end of `pages` pages and decoded (None: the list goes on).
    async fn list_to_end<T: DeserializeOwned>(
        &self,
        path: &str,
        pages: u32,
    ) -> Result<Option<Vec<T>>, GitHubError> {
        match self.get_list_to_end(path, pages).await? {
            Some(list) => decode(Value::Array(list), || format!("GET {path}")).map(Some),
            None => Ok(None),
        }
    }

    /// A list of at most `pages` pages of 100, each item decoded as `T`.
    async fn list_as<T: DeserializeOwned>(
        &self,
        path: &str,
        pages: u32,
    ) -> Result<Vec<T>, GitHubError> {
        let list = self.get_list(path, pages).await?;
        decode(Value::Array(list), || format!("GET {path}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_branch_is_escaped_once_with_its_slashes_kept() {
        for (branch, want) in [
            ("staging", "staging"),
            ("stable/4.19", "stable/4.19"),
            ("pushgate-tmp/12-1", "pushgate-tmp/12-1"),
            ("a#b%c", "a%23b%25c"),
            ("feature/ü", "feature/%C3%BC"),
        ] {
            let name = BranchName::parse(branch).unwrap();
            assert_eq!(branch_path(&name), want, "{branch}");
        }
        let (branch, sha) = (
            BranchName::parse("stable/4.19").unwrap(),
            Sha::parse(&"a".repeat(40)).unwrap(),
        );
        assert_eq!(rev_segment(Rev::from(&branch)), "stable%2F4.19");
        assert_eq!(rev_segment(Rev::from(&sha)), "a".repeat(40));
    }
}
