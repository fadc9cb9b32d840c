//! Embargoes in the store (migration 0011): each pull request's hold with its end, so both
//! survive restarts. What happened to them is written to the governance log.

use sqlx::Row;

use super::{Store, StoreError};

/// A pull request's embargo: the hold in force, or the last one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Embargo {
    pub repo: String,
    pub number: i64,
    pub installation_id: i64,
    /// When it ends (Unix seconds).
    pub until: i64,
    /// `held`, `lifted` or `expired`.
    pub state: String,
    /// The comment that set the current hold.
    pub command: i64,
    pub set_by: String,
    pub set_by_id: i64,
    pub set_at: i64,
    /// The default branch whose config names the committers.
    pub branch: String,
    pub ended_at: Option<i64>,
}

impl Embargo {
    pub const HELD: &'static str = "held";
    pub const LIFTED: &'static str = "lifted";
    pub const EXPIRED: &'static str = "expired";
}

/// An embargo in flight, as the dashboard may show it: the pull request and the time, and
/// nothing else (who set it and why stays private).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbargoInFlight {
    pub repo: String,
    pub number: i64,
    pub until: i64,
}

const COLUMNS: &str = "repo, number, installation_id, ends_at, state, command, set_by, \
     set_by_id, set_at, branch, ended_at";

fn embargo(r: &sqlx::any::AnyRow) -> Result<Embargo, StoreError> {
    Ok(Embargo {
        repo: r.try_get("repo")?,
        number: r.try_get("number")?,
        installation_id: r.try_get("installation_id")?,
        until: r.try_get("ends_at")?,
        state: r.try_get("state")?,
        command: r.try_get("command")?,
        set_by: r.try_get("set_by")?,
        set_by_id: r.try_get("set_by_id")?,
        set_at: r.try_get("set_at")?,
        branch: r.try_get("branch")?,
        ended_at: r.try_get("ended_at")?,
    })
}

impl Store {
    /// Holds a pull request as `e` says (state `held`), replacing whatever embargo it had;
    /// false when this very command set it before (a replayed delivery).
    pub async fn hold_embargo(&self, e: &Embargo) -> Result<bool, StoreError> {
        let done = sqlx::query(&format!(
            "INSERT INTO embargoes ({COLUMNS}) VALUES ($1, $2, $3, $4, 'held', $5, $6, $7, $8, \
             $9, NULL) ON CONFLICT (repo, number) DO UPDATE SET \
             installation_id = excluded.installation_id, ends_at = excluded.ends_at, \
             state = 'held', command = excluded.command, set_by = excluded.set_by, \
             set_by_id = excluded.set_by_id, set_at = excluded.set_at, \
             branch = excluded.branch, ended_at = NULL \
             WHERE embargoes.command <> excluded.command"
        ))
        .bind(&e.repo)
        .bind(e.number)
        .bind(e.installation_id)
        .bind(e.until)
        .bind(e.command)
        .bind(&e.set_by)
        .bind(e.set_by_id)
        .bind(e.set_at)
        .bind(&e.branch)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Pull request `number`'s embargo, held or ended.
    pub async fn embargo(&self, repo: &str, number: i64) -> Result<Option<Embargo>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM embargoes WHERE repo = $1 AND number = $2"
        ))
        .bind(repo)
        .bind(number)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(embargo).transpose()
    }

    /// Ends the hold set by comment `command` as `lifted` or `expired`; false when it was not
    /// held any more (ended before, or replaced by a later command).
    pub async fn end_embargo(
        &self,
        repo: &str,
        number: i64,
        command: i64,
        state: &str,
        at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE embargoes SET state = $1, ended_at = $2 \
             WHERE repo = $3 AND number = $4 AND command = $5 AND state = 'held'",
        )
        .bind(state)
        .bind(at)
        .bind(repo)
        .bind(number)
        .bind(command)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Held embargoes whose time is at or before `now`.
    pub async fn due_embargoes(&self, now: i64) -> Result<Vec<Embargo>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM embargoes WHERE state = 'held' AND ends_at <= $1 \
             ORDER BY ends_at, repo, number"
        ))
        .bind(now)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(embargo).collect()
    }

    /// A repository's embargoes in flight, soonest first, for the dashboard: the pull request
    /// and the time only.
    pub async fn embargoes_in_flight(
        &self,
        repo: &str,
    ) -> Result<Vec<EmbargoInFlight>, StoreError> {
        let rows = sqlx::query(
            "SELECT repo, number, ends_at FROM embargoes WHERE repo = $1 AND state = 'held' \
             ORDER BY ends_at, number",
        )
        .bind(repo)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(EmbargoInFlight {
                    repo: r.try_get("repo")?,
                    number: r.try_get("number")?,
                    until: r.try_get("ends_at")?,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hold(number: i64, command: i64, until: i64) -> Embargo {
        Embargo {
            repo: "x/y".into(),
            number,
            installation_id: 7,
            until,
            state: Embargo::HELD.into(),
            command,
            set_by: "sec".into(),
            set_by_id: 9,
            set_at: 100,
            branch: "main".into(),
            ended_at: None,
        }
    }

    #[tokio::test]
    async fn an_embargo_survives_a_reopened_store_is_replaced_by_a_later_command_and_ends_once() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("e.db").display());
        {
            let store = Store::connect(&url).await.unwrap();
            assert!(store.hold_embargo(&hold(5, 1, 1000)).await.unwrap());
            assert!(
                !store.hold_embargo(&hold(5, 1, 1000)).await.unwrap(),
                "replayed"
            );
            assert!(store.hold_embargo(&hold(6, 2, 3000)).await.unwrap());
            // A later command on #6 moves its time.
            assert!(store.hold_embargo(&hold(6, 3, 2500)).await.unwrap());
        }
        let store = Store::connect(&url).await.unwrap();
        let shown: Vec<(i64, i64)> = store
            .embargoes_in_flight("x/y")
            .await
            .unwrap()
            .iter()
            .map(|e| (e.number, e.until))
            .collect();
        assert_eq!(shown, [(5, 1000), (6, 2500)]);
        let due: Vec<i64> = store
            .due_embargoes(2000)
            .await
            .unwrap()
            .iter()
            .map(|e| e.number)
            .collect();
        assert_eq!(due, [5]);
        // The replaced command ends nothing; the current one ends it once.
        assert!(!store
            .end_embargo("x/y", 6, 2, "lifted", 2001)
            .await
            .unwrap());
        assert!(store
            .end_embargo("x/y", 6, 3, "lifted", 2001)
            .await
            .unwrap());
        assert!(!store
            .end_embargo("x/y", 6, 3, "expired", 2600)
            .await
            .unwrap());
        assert!(store
            .end_embargo("x/y", 5, 1, "expired", 2002)
            .await
            .unwrap());
        assert!(store.due_embargoes(9999).await.unwrap().is_empty());
        assert!(store.embargoes_in_flight("x/y").await.unwrap().is_empty());
        let ended = store.embargo("x/y", 6).await.unwrap().unwrap();
        assert_eq!(
            (ended.state.as_str(), ended.ended_at, ended.until),
            ("lifted", Some(2001), 2500)
        );
        // A new hold after the end holds again.
        assert!(store.hold_embargo(&hold(6, 4, 5000)).await.unwrap());
        assert_eq!(
            store.embargo("x/y", 6).await.unwrap().unwrap().state,
            "held"
        );
    }
}
