//! What people other than pushgate do to a discussion after the fact: edit or delete anyone's
//! comment (repository writers and admins can), and inline review comments on a diff. The
//! webhook payloads for them are in `webhook.rs`.

use super::state::{CommentEdit, ReviewComment};
use super::{FakeGitHub, ReviewState};

impl FakeGitHub {
    /// `editor` (the author or anyone else) changes issue comment `id`'s text to `body`, as the
    /// web UI allows writers and admins to; `updated_at` becomes now and the edit is remembered
    /// for [`FakeGitHub::issue_comment_edited_event`].
    pub fn edit_comment(&self, repo: &str, id: u64, editor: &str, body: &str) {
        self.with(|w| {
            let now = w.now();
            let r = w
                .repo_mut(repo)
                .unwrap_or_else(|| panic!("sim: no repository {repo}"));
            let comment = r
                .comments
                .iter_mut()
                .find(|c| c.id == id)
                .unwrap_or_else(|| panic!("sim: no comment {id} in {repo}"));
            let from = std::mem::replace(&mut comment.body, body.to_string());
            // An edit comes after the comment was written; GitHub's second-granular stamps of
            // a person's edit differ from the creation's.
            comment.updated_at = now.max(comment.created_at + 1);
            w.comment_edits.push(CommentEdit {
                repo: repo.to_ascii_lowercase(),
                comment: id,
                editor: editor.to_string(),
                from,
            });
        });
    }

    /// `deleter` deletes issue comment `id`; it is remembered for
    /// [`FakeGitHub::issue_comment_deleted_event`].
    pub fn delete_comment(&self, repo: &str, id: u64, deleter: &str) {
        self.with(|w| {
            let r = w
                .repo_mut(repo)
                .unwrap_or_else(|| panic!("sim: no repository {repo}"));
            let index = r
                .comments
                .iter()
                .position(|c| c.id == id)
                .unwrap_or_else(|| panic!("sim: no comment {id} in {repo}"));
            let comment = r.comments.remove(index);
            w.deleted_comments
                .push((repo.to_ascii_lowercase(), comment, deleter.to_string()));
        });
    }

    /// `editor` (the reviewer or anyone else) changes review `review_id`'s body to `body`; the
    /// edit is remembered for [`FakeGitHub::review_edited_event`].
    pub fn edit_review(&self, repo: &str, number: u64, review_id: u64, editor: &str, body: &str) {
        let from = self.with_pull(repo, number, |pr, _| {
            let review = pr
                .reviews
                .iter_mut()
                .find(|r| r.id == review_id)
                .unwrap_or_else(|| panic!("sim: no review {review_id} on {repo}#{number}"));
            std::mem::replace(&mut review.body, body.to_string())
        });
        self.with(|w| {
            w.review_edits.push(CommentEdit {
                repo: repo.to_ascii_lowercase(),
                comment: review_id,
                editor: editor.to_string(),
                from,
            })
        });
    }

    /// `editor` changes inline review comment `id`'s text to `body` (`updated_at` becomes now);
    /// the edit is remembered for [`FakeGitHub::review_comment_edited_event`].
    pub fn edit_review_comment(&self, repo: &str, id: u64, editor: &str, body: &str) {
        self.with(|w| {
            let now = w.now();
            let comment = w
                .review_comments
                .iter_mut()
                .find(|c| c.id == id && c.repo == repo.to_ascii_lowercase())
                .unwrap_or_else(|| panic!("sim: no review comment {id} in {repo}"));
            let from = std::mem::replace(&mut comment.body, body.to_string());
            comment.updated_at = now.max(comment.created_at + 1);
            w.comment_edits.push(CommentEdit {
                repo: repo.to_ascii_lowercase(),
                comment: id,
                editor: editor.to_string(),
                from,
            });
        });
    }

    /// An inline comment by `login` on `path` in pull request `number`'s diff, in a review of
    /// its own (state `COMMENTED`, empty body), as GitHub makes a single comment; returns the
    /// comment's id.
    pub fn add_review_comment(
        &self,
        repo: &str,
        number: u64,
        login: &str,
        path: &str,
        body: &str,
    ) -> u64 {
        let review_id = self.add_review(repo, number, login, ReviewState::Commented, "");
        let head = self.pr_head(repo, number);
        self.with(|w| {
            let id = w.id();
            let now = w.now();
            w.review_comments.push(ReviewComment {
                repo: repo.to_ascii_lowercase(),
                pull: number,
                id,
                review_id,
                user: login.to_string(),
                body: body.to_string(),
                path: path.to_string(),
                commit_id: head,
                created_at: now,
                updated_at: now,
            });
            id
        })
    }
}
