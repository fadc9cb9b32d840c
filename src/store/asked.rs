//! The maintainers asked to look at each pull request (migration 0013), so that each is asked
//! once per pull request.

use sqlx::Row;

use super::{Store, StoreError};

impl Store {
    /// The logins (lower-cased) already asked on pull request `pr`.
    pub async fn asked(&self, repo: &str, pr: i64) -> Result<Vec<String>, StoreError> {
        let rows =
            sqlx::query("SELECT login FROM asked WHERE repo = $1 AND pr = $2 ORDER BY at, login")
                .bind(repo)
                .bind(pr)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| row.try_get("login").map_err(StoreError::from))
            .collect()
    }

    /// Records that `login` was asked on pull request `pr` (`how`: `review` or `mention`);
    /// asking again changes nothing.
    pub async fn record_asked(
        &self,
        repo: &str,
        pr: i64,
        login: &str,
        how: &str,
        at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO asked (repo, pr, login, how, at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (repo, pr, login) DO NOTHING",
        )
        .bind(repo)
        .bind(pr)
        .bind(login.to_lowercase())
        .bind(how)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }
}
