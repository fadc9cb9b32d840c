//! What deliveries leave in the store besides the queue: the pushes seen on pull requests and
//! the authored text of their comments (both also recorded by coalescing, see [`Note`]),
//! cached identities, wake-ups, the last verdicts, the push gate's state, what landed and the
//! progress of commands, release targets, the dashboard's views and installations.

use sqlx::Row;

use super::{bind_all, Arg, Store, StoreError};

/// What a delivery about a pull request records in the store besides the evaluation it asks
/// for: a head it shows (with GitHub's time), or what it shows of a comment's authored text.
/// A delivery coalesced into another still records its notes, in delivery order
/// ([`Store::coalesce_into`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Note {
    /// Pull request `pr`'s head was `head_sha` at `at` (see [`Store::record_push`]).
    Push { pr: i64, head_sha: String, at: i64 },
    /// A comment's text as its author wrote it, unless one is remembered already.
    Written { pr: i64, comment: Authored },
    /// The author changed the comment's text.
    EditedByAuthor { pr: i64, comment: Authored },
    /// The comment was deleted, by its author or by someone else.
    Deleted {
        pr: i64,
        comment: Authored,
        by_author: bool,
    },
}
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub repo: String,
    pub pr: i64,
    pub head_sha: String,
    pub satisfied: bool,
    pub summary: String,
    pub at: i64,
}

/// How far a command given in a comment got (see [`Store::command`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommandProgress {
    /// Begun; nothing irreversible done yet.
    Started,
    /// The commits are built and staging is about to move (or moved) to `tip`; `report` is
    /// what the reply will say.
    Landing { tip: String, report: String },
    /// Finished: replies posted, nothing left to do.
    Done,
}
/// The one statement that records `note`.
pub(super) fn note_statement<'a>(
    postgres: bool,
    repo: &'a str,
    note: &'a Note,
) -> (String, Vec<Arg<'a>>) {
    use Arg::{Int, Text};
    let (pr, comment, edited, deleted, on_conflict) = match note {
        Note::Push { pr, head_sha, at } => {
            // A head seen twice keeps its earliest time: a late delivery's GitHub time corrects
            // the moment pushgate first saw the head, never the other way round.
            let keep_earliest = if postgres {
                "LEAST(pushes.at, excluded.at)"
            } else {
                "MIN(pushes.at, excluded.at)"
            };
            let sql = format!(
                "INSERT INTO pushes (repo, pr, head_sha, at, files) VALUES ($1, $2, $3, $4, '[]') \
                 ON CONFLICT (repo, pr, head_sha) DO UPDATE SET at = {keep_earliest}"
            );
            return (sql, vec![Text(repo), Int(*pr), Text(head_sha), Int(*at)]);
        }
        Note::Written { pr, comment } => {
            (*pr, comment, comment.edited, comment.deleted, "DO NOTHING")
        }
        Note::EditedByAuthor { pr, comment } => (
            *pr,
            comment,
            true,
            comment.deleted,
            "DO UPDATE SET body = excluded.body, edited = 1",
        ),
        Note::Deleted {
            comment,
            by_author: true,
            ..
        } => {
            let sql = "DELETE FROM authored_comments WHERE repo = $1 AND kind = $2 AND id = $3";
            return (
                sql.to_string(),
                vec![Text(repo), Text(&comment.kind), Int(comment.id)],
            );
        }
        Note::Deleted { pr, comment, .. } => (
            *pr,
            comment,
            comment.edited,
            true,
            "DO UPDATE SET deleted = 1",
        ),
    };
    let sql = format!(
        "INSERT INTO authored_comments \
         (repo, kind, id, pr, author, body, created_at, edited, deleted) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (repo, kind, id) {on_conflict}"
    );
    let args = vec![
        Text(repo),
        Text(&comment.kind),
        Int(comment.id),
        Int(pr),
        Text(&comment.author),
        Text(&comment.body),
        Int(comment.created_at),
        Int(i64::from(edited)),
        Int(i64::from(deleted)),
    ];
    (sql, args)
}

impl Store {
    /// Records one note (see [`Note`]).
    pub async fn note(&self, repo: &str, note: &Note) -> Result<(), StoreError> {
        let (sql, args) = note_statement(self.postgres, repo, note);
        bind_all(sqlx::query(&sql), &args)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
    /// Records that pull request `pr`'s head was `head_sha` at `at` (GitHub's time of the
    /// push or opening, or when pushgate first saw it).
    pub async fn record_push(
        &self,
        repo: &str,
        pr: i64,
        head_sha: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        let note = Note::Push {
            pr,
            head_sha: head_sha.to_string(),
            at,
        };
        self.note(repo, &note).await
    }

    /// The heads a pull request is known to have had, with when each came (its earliest
    /// sign), oldest first.
    pub async fn pushes(&self, repo: &str, pr: i64) -> Result<Vec<(String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT head_sha, at FROM pushes WHERE repo = $1 AND pr = $2 ORDER BY at, head_sha",
        )
        .bind(repo)
        .bind(pr)
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::new();
        for row in rows {
            out.push((row.try_get("head_sha")?, row.try_get("at")?));
        }
        Ok(out)
    }

    /// A cached e-mail → login answer: Some(None) means "GitHub knows no login for it".
    pub async fn identity(
        &self,
        email: &str,
        fresh_after: i64,
    ) -> Result<Option<Option<String>>, StoreError> {
        let row = sqlx::query("SELECT login FROM identities WHERE email = $1 AND fetched_at >= $2")
            .bind(email)
            .bind(fresh_after)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(row.try_get("login")?)),
            None => Ok(None),
        }
    }

    pub async fn remember_identity(
        &self,
        email: &str,
        login: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO identities (email, login, fetched_at) VALUES ($1, $2, $3) \
             ON CONFLICT (email) DO UPDATE SET login = excluded.login, fetched_at = excluded.fetched_at",
        )
        .bind(email)
        .bind(login)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Asks to look at a pull request again at `at` (the end of its review window).
    pub async fn schedule_wakeup(
        &self,
        repo: &str,
        pr: i64,
        installation_id: i64,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO wakeups (repo, pr, installation_id, at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (repo, pr) DO UPDATE SET at = excluded.at, \
             installation_id = excluded.installation_id",
        )
        .bind(repo)
        .bind(pr)
        .bind(installation_id)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Removes and returns the wake-ups due at `now`: (repo, pr, installation, at).
    pub async fn take_due_wakeups(
        &self,
        now: i64,
    ) -> Result<Vec<(String, i64, i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "DELETE FROM wakeups WHERE at <= $1 RETURNING repo, pr, installation_id, at",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("repo")?,
                    r.try_get("pr")?,
                    r.try_get("installation_id")?,
                    r.try_get("at")?,
                ))
            })
            .collect()
    }

    pub async fn save_evaluation(&self, e: &Evaluation) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO evaluations (repo, pr, head_sha, satisfied, summary, at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (repo, pr) DO UPDATE SET \
             head_sha = excluded.head_sha, satisfied = excluded.satisfied, \
             summary = excluded.summary, at = excluded.at",
        )
        .bind(&e.repo)
        .bind(e.pr)
        .bind(&e.head_sha)
        .bind(i64::from(e.satisfied))
        .bind(&e.summary)
        .bind(e.at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The verdict last shown on a pull request's check run, if any.
    pub async fn evaluation(&self, repo: &str, pr: i64) -> Result<Option<Evaluation>, StoreError> {
        let row = sqlx::query(
            "SELECT head_sha, satisfied, summary, at FROM evaluations WHERE repo = $1 AND pr = $2",
        )
        .bind(repo)
        .bind(pr)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|r| {
            let satisfied: i64 = r.try_get("satisfied")?;
            Ok(Evaluation {
                repo: repo.to_string(),
                pr,
                head_sha: r.try_get("head_sha")?,
                satisfied: satisfied != 0,
                summary: r.try_get("summary")?,
                at: r.try_get("at")?,
            })
        })
        .transpose()
    }

    pub async fn evaluations(&self, repo: Option<&str>) -> Result<Vec<Evaluation>, StoreError> {
        let rows = sqlx::query(
            "SELECT repo, pr, head_sha, satisfied, summary, at FROM evaluations \
             WHERE ($1 = '' OR repo = $1) ORDER BY repo, pr",
        )
        .bind(repo.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let satisfied: i64 = r.try_get("satisfied")?;
                Ok(Evaluation {
                    repo: r.try_get("repo")?,
                    pr: r.try_get("pr")?,
                    head_sha: r.try_get("head_sha")?,
                    satisfied: satisfied != 0,
                    summary: r.try_get("summary")?,
                    at: r.try_get("at")?,
                })
            })
            .collect()
    }

    /// The push gate's stored state for a repository (JSON), if any.
    pub async fn gate(&self, repo: &str) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT state FROM gates WHERE repo = $1")
            .bind(repo)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(row.try_get("state")?)),
            None => Ok(None),
        }
    }

    /// Records that `sha` landed on staging from pull request `pr`.
    pub async fn record_landed(&self, repo: &str, sha: &str, pr: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO landed (repo, sha, pr) VALUES ($1, $2, $3) ON CONFLICT (repo, sha) DO NOTHING",
        )
        .bind(repo)
        .bind(sha)
        .bind(pr)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The progress of the command given in comment `comment_id`, None when it was never
    /// started. A replayed or re-run delivery reads it before doing anything.
    pub async fn command(
        &self,
        repo: &str,
        comment_id: i64,
    ) -> Result<Option<CommandProgress>, StoreError> {
        let row = sqlx::query(
            "SELECT state, tip, report FROM commands WHERE repo = $1 AND comment_id = $2",
        )
        .bind(repo)
        .bind(comment_id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let state: String = row.try_get("state")?;
        let tip: Option<String> = row.try_get("tip")?;
        let report: Option<String> = row.try_get("report")?;
        Ok(Some(match (state.as_str(), tip) {
            ("done", _) => CommandProgress::Done,
            ("landing", Some(tip)) => CommandProgress::Landing {
                tip,
                report: report.unwrap_or_default(),
            },
            _ => CommandProgress::Started,
        }))
    }

    /// Records the progress of the command given in comment `comment_id`.
    pub async fn set_command(
        &self,
        repo: &str,
        comment_id: i64,
        progress: &CommandProgress,
        at: i64,
    ) -> Result<(), StoreError> {
        let (state, tip, report) = match progress {
            CommandProgress::Started => ("started", None, None),
            CommandProgress::Landing { tip, report } => {
                ("landing", Some(tip.as_str()), Some(report.as_str()))
            }
            CommandProgress::Done => ("done", None, None),
        };
        sqlx::query(
            "INSERT INTO commands (repo, comment_id, state, tip, report, at) \
             VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (repo, comment_id) DO UPDATE SET state = excluded.state, \
             tip = excluded.tip, report = excluded.report, at = excluded.at",
        )
        .bind(repo)
        .bind(comment_id)
        .bind(state)
        .bind(tip)
        .bind(report)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The pull request a commit landed from, when pushgate landed it.
    pub async fn landed_from(&self, repo: &str, sha: &str) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT pr FROM landed WHERE repo = $1 AND sha = $2")
            .bind(repo)
            .bind(sha)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            Some(row) => Ok(Some(row.try_get("pr")?)),
            None => Ok(None),
        }
    }

    /// Records that `target` (`tag:…`, `branch:…`, `pr:…`) carries a release check on `sha`.
    pub async fn remember_release_target(
        &self,
        repo: &str,
        target: &str,
        sha: &str,
        installation: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO release_targets (repo, target, sha, installation, updated_at) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (repo, target) DO UPDATE SET \
             sha = excluded.sha, installation = excluded.installation, updated_at = excluded.updated_at",
        )
        .bind(repo)
        .bind(target)
        .bind(sha)
        .bind(installation)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Forgets a release target (a merged or closed pull request).
    pub async fn forget_release_target(&self, repo: &str, target: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM release_targets WHERE repo = $1 AND target = $2")
            .bind(repo)
            .bind(target)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Up to `limit` release targets of a repository, tags and branches before pull requests,
    /// newest first: (target, sha).
    pub async fn release_targets(
        &self,
        repo: &str,
        limit: i64,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query(
            // Tags and branches first: many pull requests into a release branch must not
            // push the release itself out of the window.
            "SELECT target, sha FROM release_targets WHERE repo = $1 \
             ORDER BY CASE WHEN target LIKE 'pr:%' THEN 1 ELSE 0 END, updated_at DESC, target \
             LIMIT $2",
        )
        .bind(repo)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("target")?, r.try_get("sha")?)))
            .collect()
    }

    /// Keeps the newest `kind` view of a repository for the dashboard.
    pub async fn save_view(
        &self,
        repo: &str,
        kind: &str,
        body: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO repo_views (repo, kind, body, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (repo, kind) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(repo)
        .bind(kind)
        .bind(body)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The stored `kind` view of a repository: (JSON body, Unix seconds).
    pub async fn view(&self, repo: &str, kind: &str) -> Result<Option<(String, i64)>, StoreError> {
        let row =
            sqlx::query("SELECT body, updated_at FROM repo_views WHERE repo = $1 AND kind = $2")
                .bind(repo)
                .bind(kind)
                .fetch_optional(&self.pool)
                .await?;
        match row {
            Some(row) => Ok(Some((row.try_get("body")?, row.try_get("updated_at")?))),
            None => Ok(None),
        }
    }

    /// Every stored gate: (repository, state JSON).
    pub async fn gates(&self) -> Result<Vec<(String, String)>, StoreError> {
        let rows = sqlx::query("SELECT repo, state FROM gates ORDER BY repo")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("repo")?, r.try_get("state")?)))
            .collect()
    }

    pub async fn save_gate(&self, repo: &str, state: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO gates (repo, state, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (repo) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at",
        )
        .bind(repo)
        .bind(state)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn remember_installation(
        &self,
        id: i64,
        account: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO installations (id, account, seen_at) VALUES ($1, $2, $3) \
             ON CONFLICT (id) DO UPDATE SET account = excluded.account, seen_at = excluded.seen_at",
        )
        .bind(id)
        .bind(account)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn forget_installation(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM installations WHERE id = $1")
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// A pull request comment as its author wrote it, from the deliveries (migration 0006).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authored {
    /// `issue` (issue comment), `review` (inline review comment) or `review-body` (a review's
    /// body).
    pub kind: String,
    pub id: i64,
    pub author: String,
    pub body: String,
    pub created_at: i64,
    /// The author edited it (as a delivery showed).
    pub edited: bool,
    /// Someone other than the author deleted it.
    pub deleted: bool,
}

/// The authored text of comments. Writers and admins can edit or delete anyone's comment;
/// what pushgate counts is what the author wrote.
impl Store {
    /// Remembers `a`'s text as its author's unless a text is remembered already (a creation,
    /// or the text before someone else's edit).
    pub async fn comment_written(
        &self,
        repo: &str,
        pr: i64,
        a: &Authored,
    ) -> Result<(), StoreError> {
        let note = Note::Written {
            pr,
            comment: a.clone(),
        };
        self.note(repo, &note).await
    }

    /// The author changed the text to `a.body`.
    pub async fn comment_edited_by_author(
        &self,
        repo: &str,
        pr: i64,
        a: &Authored,
    ) -> Result<(), StoreError> {
        let note = Note::EditedByAuthor {
            pr,
            comment: a.clone(),
        };
        self.note(repo, &note).await
    }

    /// The comment was deleted: forgotten when its author deleted it, kept (marked) when
    /// someone else did.
    pub async fn comment_deleted(
        &self,
        repo: &str,
        pr: i64,
        a: &Authored,
        by_author: bool,
    ) -> Result<(), StoreError> {
        let note = Note::Deleted {
            pr,
            comment: a.clone(),
            by_author,
        };
        self.note(repo, &note).await
    }

    /// The authored texts remembered for a pull request's comments.
    pub async fn authored_comments(
        &self,
        repo: &str,
        pr: i64,
    ) -> Result<Vec<Authored>, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, id, author, body, created_at, edited, deleted FROM authored_comments \
             WHERE repo = $1 AND pr = $2 ORDER BY created_at, id",
        )
        .bind(repo)
        .bind(pr)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let edited: i64 = r.try_get("edited")?;
                let deleted: i64 = r.try_get("deleted")?;
                Ok(Authored {
                    kind: r.try_get("kind")?,
                    id: r.try_get("id")?,
                    author: r.try_get("author")?,
                    body: r.try_get("body")?,
                    created_at: r.try_get("created_at")?,
                    edited: edited != 0,
                    deleted: deleted != 0,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::file_store;

    /// The authored text of a comment: kept across someone else's edit, replaced by the
    /// author's, kept (marked) across someone else's deletion, forgotten on the author's.
    #[tokio::test]
    async fn a_comments_authored_text_follows_only_its_author() {
        let (_dir, store) = file_store().await;
        let written = |id: i64, body: &str| Authored {
            kind: "issue".to_string(),
            id,
            author: "mia-gh".to_string(),
            body: body.to_string(),
            created_at: 10,
            edited: false,
            deleted: false,
        };
        let repo = "xen/xen";
        store
            .comment_written(repo, 5, &written(1, "Nacked-by: Mia"))
            .await
            .unwrap();
        // Someone else's edit: its `from` does not replace what is remembered.
        store
            .comment_written(repo, 5, &written(1, "forged"))
            .await
            .unwrap();
        assert_eq!(
            store.authored_comments(repo, 5).await.unwrap(),
            [written(1, "Nacked-by: Mia")]
        );
        store
            .comment_edited_by_author(repo, 5, &written(1, "Acked-by: Mia"))
            .await
            .unwrap();
        let now = store.authored_comments(repo, 5).await.unwrap();
        assert_eq!(
            (now[0].body.as_str(), now[0].edited),
            ("Acked-by: Mia", true)
        );
        store
            .comment_deleted(repo, 5, &written(1, "x"), false)
            .await
            .unwrap();
        let now = store.authored_comments(repo, 5).await.unwrap();
        assert_eq!(
            (now[0].body.as_str(), now[0].deleted),
            ("Acked-by: Mia", true)
        );
        store
            .comment_written(repo, 5, &written(2, "/ack"))
            .await
            .unwrap();
        store
            .comment_deleted(repo, 5, &written(2, "/ack"), true)
            .await
            .unwrap();
        assert_eq!(store.authored_comments(repo, 5).await.unwrap().len(), 1);
        assert!(store.authored_comments(repo, 6).await.unwrap().is_empty());
    }
}
