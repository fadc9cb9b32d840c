//! Votes and lazy consensus in the store (migration 0009): each decision with its deadline,
//! so both survive restarts, and the log of what happened to them for the dashboard.

use sqlx::Row;

use super::{Store, StoreError};

/// A vote or lazy consensus, keyed by the comment that opened it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub repo: String,
    /// The id of the comment that opened it.
    pub id: i64,
    /// The issue or pull request it is held on.
    pub number: i64,
    /// It is held on a pull request (whose deliveries have their own lane).
    pub pull: bool,
    pub installation_id: i64,
    /// `vote` or `lazy-consensus`.
    pub kind: String,
    /// The vote scheme (`improved`, `current`, `majority`); empty for lazy consensus.
    pub scheme: String,
    pub quorum: i64,
    pub opened_by: String,
    /// Unix seconds.
    pub opened_at: i64,
    pub deadline: i64,
    /// The default branch whose config and MAINTAINERS name the committers.
    pub branch: String,
    /// Logins asked for their opinion (lazy consensus).
    pub asked: Vec<String>,
    /// The tally comment kept current, once posted.
    pub tally_comment: Option<i64>,
    /// `open`, `passed` or `rejected`.
    pub state: String,
    /// The final tally, once closed.
    pub result: Option<String>,
    pub closed_at: Option<i64>,
}

/// One thing that happened to a decision: who did what, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GovernanceEntry {
    pub repo: String,
    pub number: i64,
    pub decision: i64,
    pub at: i64,
    pub who: String,
    pub what: String,
}

const COLUMNS: &str = "repo, id, number, pull, installation_id, kind, scheme, quorum, \
     opened_by, opened_at, deadline, branch, asked, tally_comment, state, result, closed_at";

fn decision(r: &sqlx::any::AnyRow) -> Result<Decision, StoreError> {
    let pull: i64 = r.try_get("pull")?;
    let asked: String = r.try_get("asked")?;
    Ok(Decision {
        repo: r.try_get("repo")?,
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        pull: pull != 0,
        installation_id: r.try_get("installation_id")?,
        kind: r.try_get("kind")?,
        scheme: r.try_get("scheme")?,
        quorum: r.try_get("quorum")?,
        opened_by: r.try_get("opened_by")?,
        opened_at: r.try_get("opened_at")?,
        deadline: r.try_get("deadline")?,
        branch: r.try_get("branch")?,
        asked: asked.split_whitespace().map(str::to_string).collect(),
        tally_comment: r.try_get("tally_comment")?,
        state: r.try_get("state")?,
        result: r.try_get("result")?,
        closed_at: r.try_get("closed_at")?,
    })
}

impl Store {
    /// Records a new open decision; false when one was recorded for that comment before (a
    /// replayed delivery).
    pub async fn open_decision(&self, d: &Decision) -> Result<bool, StoreError> {
        let done = sqlx::query(&format!(
            "INSERT INTO decisions ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
             $11, $12, $13, $14, 'open', NULL, NULL) ON CONFLICT (repo, id) DO NOTHING"
        ))
        .bind(&d.repo)
        .bind(d.id)
        .bind(d.number)
        .bind(i64::from(d.pull))
        .bind(d.installation_id)
        .bind(&d.kind)
        .bind(&d.scheme)
        .bind(d.quorum)
        .bind(&d.opened_by)
        .bind(d.opened_at)
        .bind(d.deadline)
        .bind(&d.branch)
        .bind(d.asked.join(" "))
        .bind(d.tally_comment)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// The decision opened by comment `id`.
    pub async fn decision(&self, repo: &str, id: i64) -> Result<Option<Decision>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM decisions WHERE repo = $1 AND id = $2"
        ))
        .bind(repo)
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decision).transpose()
    }

    /// The decision open on issue or pull request `number`, if any (one at a time).
    pub async fn open_decision_on(
        &self,
        repo: &str,
        number: i64,
    ) -> Result<Option<Decision>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM decisions WHERE repo = $1 AND number = $2 AND state = 'open' \
             ORDER BY id LIMIT 1"
        ))
        .bind(repo)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(decision).transpose()
    }

    /// Remembers the comment that shows a decision's tally.
    pub async fn set_tally_comment(
        &self,
        repo: &str,
        id: i64,
        comment: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE decisions SET tally_comment = $1 WHERE repo = $2 AND id = $3")
            .bind(comment)
            .bind(repo)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Closes an open decision as `passed` or `rejected` with its final tally; false when it
    /// was closed already.
    pub async fn close_decision(
        &self,
        repo: &str,
        id: i64,
        state: &str,
        result: &str,
        at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE decisions SET state = $1, result = $2, closed_at = $3 \
             WHERE repo = $4 AND id = $5 AND state = 'open'",
        )
        .bind(state)
        .bind(result)
        .bind(at)
        .bind(repo)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Open decisions whose deadline is at or before `now`.
    pub async fn due_decisions(&self, now: i64) -> Result<Vec<Decision>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM decisions WHERE state = 'open' AND deadline <= $1 \
             ORDER BY deadline, repo, id"
        ))
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decision).collect()
    }

    /// A repository's decisions, newest first (for the dashboard).
    pub async fn decisions(&self, repo: &str) -> Result<Vec<Decision>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM decisions WHERE repo = $1 ORDER BY opened_at DESC, id DESC"
        ))
        .bind(repo)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(decision).collect()
    }

    /// Records what happened to a decision.
    pub async fn log_governance(&self, e: &GovernanceEntry) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO governance_log (repo, number, decision, at, who, what) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&e.repo)
        .bind(e.number)
        .bind(e.decision)
        .bind(e.at)
        .bind(&e.who)
        .bind(&e.what)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// [`Store::log_governance`], unless the same person's same line about the same decision
    /// is there already (a delivery run again after its answer was lost says it again).
    pub async fn log_governance_once(&self, e: &GovernanceEntry) -> Result<(), StoreError> {
        let logged = sqlx::query(
            "SELECT 1 FROM governance_log WHERE repo = $1 AND decision = $2 AND who = $3 \
             AND what = $4 LIMIT 1",
        )
        .bind(&e.repo)
        .bind(e.decision)
        .bind(&e.who)
        .bind(&e.what)
        .fetch_optional(&self.pool)
        .await?;
        if logged.is_none() {
            self.log_governance(e).await?;
        }
        Ok(())
    }

    /// What happened to a repository's decisions, oldest first (for the dashboard).
    pub async fn governance_log(&self, repo: &str) -> Result<Vec<GovernanceEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT repo, number, decision, at, who, what FROM governance_log WHERE repo = $1 \
             ORDER BY at, decision",
        )
        .bind(repo)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(GovernanceEntry {
                    repo: r.try_get("repo")?,
                    number: r.try_get("number")?,
                    decision: r.try_get("decision")?,
                    at: r.try_get("at")?,
                    who: r.try_get("who")?,
                    what: r.try_get("what")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vote(id: i64, number: i64, deadline: i64) -> Decision {
        Decision {
            repo: "x/y".into(),
            id,
            number,
            pull: false,
            installation_id: 7,
            kind: "vote".into(),
            scheme: "improved".into(),
            quorum: 1,
            opened_by: "cora".into(),
            opened_at: 100,
            deadline,
            branch: "main".into(),
            asked: vec!["a".into(), "b".into()],
            tally_comment: None,
            state: "open".into(),
            result: None,
            closed_at: None,
        }
    }

    #[tokio::test]
    async fn a_decision_survives_a_reopened_store_and_closes_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("g.db").display());
        {
            let store = Store::connect(&url).await.unwrap();
            assert!(store.open_decision(&vote(1, 5, 1000)).await.unwrap());
            assert!(
                !store.open_decision(&vote(1, 5, 9999)).await.unwrap(),
                "replayed"
            );
            store.open_decision(&vote(2, 6, 3000)).await.unwrap();
            store.set_tally_comment("x/y", 1, 77).await.unwrap();
        }
        let store = Store::connect(&url).await.unwrap();
        let open = store.open_decision_on("x/y", 5).await.unwrap().unwrap();
        assert_eq!((open.deadline, open.tally_comment), (1000, Some(77)));
        assert_eq!(open.asked, ["a", "b"]);
        let due: Vec<i64> = store
            .due_decisions(2000)
            .await
            .unwrap()
            .iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(due, [1]);
        assert!(store
            .close_decision("x/y", 1, "passed", "tally", 2001)
            .await
            .unwrap());
        assert!(!store
            .close_decision("x/y", 1, "rejected", "other", 2002)
            .await
            .unwrap());
        assert!(store.due_decisions(2000).await.unwrap().is_empty());
        assert_eq!(store.open_decision_on("x/y", 5).await.unwrap(), None);
        let closed = store.decision("x/y", 1).await.unwrap().unwrap();
        assert_eq!(
            (closed.state.as_str(), closed.result.as_deref()),
            ("passed", Some("tally"))
        );
        store
            .log_governance(&GovernanceEntry {
                repo: "x/y".into(),
                number: 5,
                decision: 1,
                at: 2001,
                who: "pushgate".into(),
                what: "passed".into(),
            })
            .await
            .unwrap();
        assert_eq!(store.governance_log("x/y").await.unwrap().len(), 1);
        assert_eq!(store.decisions("x/y").await.unwrap().len(), 2);
    }
}
