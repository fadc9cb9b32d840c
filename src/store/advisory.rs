//! Security advisories in the store (migration 0012): each advisory's dates, the steps done
//! and when pushgate must act next, so the timeline survives restarts.

use sqlx::Row;

use super::{Store, StoreError};

/// An advisory tracked with `/pushgate advisory`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advisory {
    pub repo: String,
    pub name: String,
    /// The issue it is tracked on.
    pub number: i64,
    pub installation_id: i64,
    /// Its issue is not public.
    pub private: bool,
    pub reported_at: i64,
    pub fix_due: i64,
    pub predisclose_at: Option<i64>,
    pub disclose_at: Option<i64>,
    pub remind_before: i64,
    pub started_by: String,
    /// The comment that started it.
    pub command: i64,
    pub started_at: i64,
    /// The default branch whose config names the committers and the security team.
    pub branch: String,
    pub status_comment: Option<i64>,
    /// The steps acted on (`step@deadline` keys).
    pub done: Vec<String>,
    /// When pushgate must act next.
    pub next_at: Option<i64>,
}

/// An embargo naming an advisory, for its status comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryEmbargo {
    pub number: i64,
    pub until: i64,
    pub state: String,
}

const COLUMNS: &str = "repo, name, number, installation_id, private, reported_at, fix_due, \
     predisclose_at, disclose_at, remind_before, started_by, command, started_at, branch, \
     status_comment, done, next_at";

fn advisory(r: &sqlx::any::AnyRow) -> Result<Advisory, StoreError> {
    let private: i64 = r.try_get("private")?;
    let done: String = r.try_get("done")?;
    Ok(Advisory {
        repo: r.try_get("repo")?,
        name: r.try_get("name")?,
        number: r.try_get("number")?,
        installation_id: r.try_get("installation_id")?,
        private: private != 0,
        reported_at: r.try_get("reported_at")?,
        fix_due: r.try_get("fix_due")?,
        predisclose_at: r.try_get("predisclose_at")?,
        disclose_at: r.try_get("disclose_at")?,
        remind_before: r.try_get("remind_before")?,
        started_by: r.try_get("started_by")?,
        command: r.try_get("command")?,
        started_at: r.try_get("started_at")?,
        branch: r.try_get("branch")?,
        status_comment: r.try_get("status_comment")?,
        done: done.split_whitespace().map(str::to_string).collect(),
        next_at: r.try_get("next_at")?,
    })
}

impl Store {
    /// Records advisory `a`, or replaces its dates (report, disclosure, reminder lead and next
    /// moment) when one of that name is tracked already; the steps done, the issue and the
    /// status comment stay.
    pub async fn put_advisory(&self, a: &Advisory) -> Result<(), StoreError> {
        sqlx::query(&format!(
            "INSERT INTO advisories ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13, $14, $15, $16, $17) ON CONFLICT (repo, name) DO UPDATE SET \
             reported_at = excluded.reported_at, fix_due = excluded.fix_due, \
             predisclose_at = excluded.predisclose_at, disclose_at = excluded.disclose_at, \
             remind_before = excluded.remind_before, next_at = excluded.next_at"
        ))
        .bind(&a.repo)
        .bind(&a.name)
        .bind(a.number)
        .bind(a.installation_id)
        .bind(i64::from(a.private))
        .bind(a.reported_at)
        .bind(a.fix_due)
        .bind(a.predisclose_at)
        .bind(a.disclose_at)
        .bind(a.remind_before)
        .bind(&a.started_by)
        .bind(a.command)
        .bind(a.started_at)
        .bind(&a.branch)
        .bind(a.status_comment)
        .bind(a.done.join(" "))
        .bind(a.next_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Advisory `name` of the repository.
    pub async fn advisory(&self, repo: &str, name: &str) -> Result<Option<Advisory>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM advisories WHERE repo = $1 AND name = $2"
        ))
        .bind(repo)
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(advisory).transpose()
    }

    /// Marks step `key` done and sets the next moment; false when it was done before.
    pub async fn advisory_step_done(
        &self,
        repo: &str,
        name: &str,
        key: &str,
        next_at: Option<i64>,
    ) -> Result<bool, StoreError> {
        let Some(a) = self.advisory(repo, name).await? else {
            return Ok(false);
        };
        if a.done.iter().any(|d| d == key) {
            return Ok(false);
        }
        let mut done = a.done.clone();
        done.push(key.to_string());
        // Only over the list read: a concurrent step's write makes this one read again.
        let changed = sqlx::query(
            "UPDATE advisories SET done = $1, next_at = $2 \
             WHERE repo = $3 AND name = $4 AND done = $5",
        )
        .bind(done.join(" "))
        .bind(next_at)
        .bind(repo)
        .bind(name)
        .bind(a.done.join(" "))
        .execute(&self.pool)
        .await?;
        Ok(changed.rows_affected() > 0)
    }

    /// Remembers the status comment kept current on the advisory's issue.
    pub async fn set_advisory_comment(
        &self,
        repo: &str,
        name: &str,
        comment: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE advisories SET status_comment = $1 WHERE repo = $2 AND name = $3")
            .bind(comment)
            .bind(repo)
            .bind(name)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Advisories with a step due at or before `now`.
    pub async fn due_advisories(&self, now: i64) -> Result<Vec<Advisory>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM advisories WHERE next_at <= $1 ORDER BY next_at, repo, name"
        ))
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(advisory).collect()
    }

    /// A repository's advisories, by name.
    pub async fn advisories(&self, repo: &str) -> Result<Vec<Advisory>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM advisories WHERE repo = $1 ORDER BY name"
        ))
        .bind(repo)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(advisory).collect()
    }

    /// Names the advisory pull request `number`'s current embargo is for (`None`: none).
    pub async fn set_embargo_advisory(
        &self,
        repo: &str,
        number: i64,
        command: i64,
        advisory: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE embargoes SET advisory = $1 WHERE repo = $2 AND number = $3 AND command = $4",
        )
        .bind(advisory)
        .bind(repo)
        .bind(number)
        .bind(command)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The advisory pull request `number`'s embargo names, if any.
    pub async fn embargo_advisory(
        &self,
        repo: &str,
        number: i64,
    ) -> Result<Option<String>, StoreError> {
        let name: Option<Option<String>> =
            sqlx::query_scalar("SELECT advisory FROM embargoes WHERE repo = $1 AND number = $2")
                .bind(repo)
                .bind(number)
                .fetch_optional(&self.pool)
                .await?;
        Ok(name.flatten())
    }

    /// The embargoes naming advisory `name`, by pull request.
    pub async fn advisory_embargoes(
        &self,
        repo: &str,
        name: &str,
    ) -> Result<Vec<AdvisoryEmbargo>, StoreError> {
        let rows = sqlx::query(
            "SELECT number, ends_at, state FROM embargoes WHERE repo = $1 AND advisory = $2 \
             ORDER BY number",
        )
        .bind(repo)
        .bind(name)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AdvisoryEmbargo {
                    number: r.try_get("number")?,
                    until: r.try_get("ends_at")?,
                    state: r.try_get("state")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracked(name: &str, next_at: Option<i64>) -> Advisory {
        Advisory {
            repo: "x/y".into(),
            name: name.into(),
            number: 3,
            installation_id: 7,
            private: true,
            reported_at: 100,
            fix_due: 200,
            predisclose_at: None,
            disclose_at: None,
            remind_before: 10,
            started_by: "sec".into(),
            command: 11,
            started_at: 100,
            branch: "main".into(),
            status_comment: None,
            done: Vec::new(),
            next_at,
        }
    }

    #[tokio::test]
    async fn an_advisory_survives_a_reopened_store_and_each_step_is_done_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("a.db").display());
        {
            let store = Store::connect(&url).await.unwrap();
            store
                .put_advisory(&tracked("XSA-1", Some(190)))
                .await
                .unwrap();
            store
                .put_advisory(&tracked("XSA-2", Some(500)))
                .await
                .unwrap();
            store
                .set_advisory_comment("x/y", "XSA-1", 77)
                .await
                .unwrap();
        }
        let store = Store::connect(&url).await.unwrap();
        let due: Vec<String> = store
            .due_advisories(200)
            .await
            .unwrap()
            .into_iter()
            .map(|a| a.name)
            .collect();
        assert_eq!(due, ["XSA-1"]);
        assert!(store
            .advisory_step_done("x/y", "XSA-1", "fix-due@200", None)
            .await
            .unwrap());
        assert!(!store
            .advisory_step_done("x/y", "XSA-1", "fix-due@200", None)
            .await
            .unwrap());
        assert!(store.due_advisories(9999).await.unwrap()[0].name == "XSA-2");
        // A new disclosure keeps the steps done and the status comment.
        let mut moved = tracked("XSA-1", Some(900));
        moved.disclose_at = Some(1000);
        store.put_advisory(&moved).await.unwrap();
        let a = store.advisory("x/y", "XSA-1").await.unwrap().unwrap();
        assert_eq!(
            (a.done, a.status_comment, a.disclose_at, a.next_at),
            (
                vec!["fix-due@200".to_string()],
                Some(77),
                Some(1000),
                Some(900)
            )
        );
        assert_eq!(store.advisories("x/y").await.unwrap().len(), 2);
    }
}
