//! What the dashboard reads besides verdicts and views (migration 0010): whether each
//! repository is private, pull requests' titles and states, and the push gate's finished
//! flights beyond the 50 its state keeps.

use sqlx::Row;

use super::{Evaluation, Store, StoreError};
use crate::core::gate::FlightRecord;

/// How many finished flights the store keeps per repository.
pub const FLIGHTS_KEPT: i64 = 10_000;

/// A pull request as its deliveries describe it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullInfo {
    pub repo: String,
    pub pr: i64,
    pub title: String,
    pub url: String,
    pub author: String,
    /// `open` or `closed`.
    pub state: String,
}

/// An open pull request with the verdict last shown on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenPull {
    pub evaluation: Evaluation,
    /// Title, link and author, when a `pull_request` delivery described it.
    pub title: Option<String>,
    pub url: Option<String>,
    pub author: Option<String>,
}

/// A finished flight as stored, with what the edges learnt of its culprit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFlight {
    pub flight: FlightRecord,
    /// The culprit's pull request, when known.
    pub culprit_pull: Option<i64>,
    /// The culprit as the gate's dashboard names it ("#7 by Nora").
    pub culprit_about: Option<String>,
}

impl Store {
    /// Records whether a repository is private. Every delivery says it, so it is read first
    /// and written only when it changed (a read takes no write lock from ingest on SQLite).
    pub async fn note_repository(
        &self,
        repo: &str,
        private: bool,
        now: i64,
    ) -> Result<(), StoreError> {
        let known = sqlx::query("SELECT private FROM repos WHERE repo = $1")
            .bind(repo)
            .fetch_optional(&self.pool)
            .await?;
        if let Some(row) = known {
            if (row.try_get::<i64, _>("private")? != 0) == private {
                return Ok(());
            }
        }
        sqlx::query(
            "INSERT INTO repos (repo, private, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (repo) DO UPDATE SET private = excluded.private, \
             updated_at = excluded.updated_at WHERE repos.private <> excluded.private",
        )
        .bind(repo)
        .bind(i64::from(private))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The repositories deliveries described: (name, private).
    pub async fn repositories(&self) -> Result<Vec<(String, bool)>, StoreError> {
        let rows = sqlx::query("SELECT repo, private FROM repos ORDER BY repo")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("repo")?, r.try_get::<i64, _>("private")? != 0)))
            .collect()
    }

    /// The links of a repository's pull requests that deliveries described, by number.
    pub async fn pull_links(
        &self,
        repo: &str,
    ) -> Result<std::collections::HashMap<i64, String>, StoreError> {
        let rows = sqlx::query("SELECT pr, url FROM pulls WHERE repo = $1")
            .bind(repo)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((r.try_get("pr")?, r.try_get("url")?)))
            .collect()
    }

    /// Whether a repository is known to be public (unknown ones are not).
    pub async fn is_public(&self, repo: &str) -> Result<bool, StoreError> {
        let row = sqlx::query("SELECT private FROM repos WHERE repo = $1")
            .bind(repo)
            .fetch_optional(&self.pool)
            .await?;
        Ok(match row {
            Some(r) => r.try_get::<i64, _>("private")? == 0,
            None => false,
        })
    }

    /// Records what a delivery says of a pull request (written only when it changed: every
    /// comment on a pull request says it again).
    pub async fn note_pull(&self, p: &PullInfo, now: i64) -> Result<(), StoreError> {
        let known =
            sqlx::query("SELECT title, url, author, state FROM pulls WHERE repo = $1 AND pr = $2")
                .bind(&p.repo)
                .bind(p.pr)
                .fetch_optional(&self.pool)
                .await?;
        if let Some(row) = known {
            let same = row.try_get::<String, _>("title")? == p.title
                && row.try_get::<String, _>("url")? == p.url
                && row.try_get::<String, _>("author")? == p.author
                && row.try_get::<String, _>("state")? == p.state;
            if same {
                return Ok(());
            }
        }
        sqlx::query(
            "INSERT INTO pulls (repo, pr, title, url, author, state, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (repo, pr) DO UPDATE SET \
             title = excluded.title, url = excluded.url, author = excluded.author, \
             state = excluded.state, updated_at = excluded.updated_at",
        )
        .bind(&p.repo)
        .bind(p.pr)
        .bind(&p.title)
        .bind(&p.url)
        .bind(&p.author)
        .bind(&p.state)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The evaluated pull requests not known to be closed, by repository and number (all
    /// repositories when `repo` is `None`).
    pub async fn open_pulls(&self, repo: Option<&str>) -> Result<Vec<OpenPull>, StoreError> {
        let rows = sqlx::query(
            "SELECT e.repo, e.pr, e.head_sha, e.satisfied, e.summary, e.at, p.title, p.url, \
             p.author FROM evaluations e LEFT JOIN pulls p ON p.repo = e.repo AND p.pr = e.pr \
             WHERE ($1 = '' OR e.repo = $1) AND (p.state IS NULL OR p.state = 'open') \
             ORDER BY e.repo, e.pr",
        )
        .bind(repo.unwrap_or(""))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let satisfied: i64 = r.try_get("satisfied")?;
                Ok(OpenPull {
                    evaluation: Evaluation {
                        repo: r.try_get("repo")?,
                        pr: r.try_get("pr")?,
                        head_sha: r.try_get("head_sha")?,
                        satisfied: satisfied != 0,
                        summary: r.try_get("summary")?,
                        at: r.try_get("at")?,
                    },
                    title: r.try_get("title")?,
                    url: r.try_get("url")?,
                    author: r.try_get("author")?,
                })
            })
            .collect()
    }

    /// Records a finished flight (again: the same flight replaces its row) and forgets the
    /// repository's oldest beyond the newest `keep` ([`FLIGHTS_KEPT`] in service).
    pub async fn record_flight(
        &self,
        repo: &str,
        f: &StoredFlight,
        keep: i64,
    ) -> Result<(), StoreError> {
        let r = &f.flight;
        let mut tx = self.pool.begin().await?;
        sqlx::query(
            "INSERT INTO flights (repo, id, tip, baseline, commits, started_at, finished_at, \
             result, checks, culprit, culprit_pull, culprit_about) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             ON CONFLICT (repo, id) DO UPDATE SET tip = excluded.tip, \
             baseline = excluded.baseline, commits = excluded.commits, \
             started_at = excluded.started_at, finished_at = excluded.finished_at, \
             result = excluded.result, checks = excluded.checks, culprit = excluded.culprit, \
             culprit_pull = excluded.culprit_pull, culprit_about = excluded.culprit_about",
        )
        .bind(repo)
        .bind(i64::try_from(r.id).unwrap_or(i64::MAX))
        .bind(&r.tip)
        .bind(&r.baseline)
        .bind(i64::try_from(r.commits).unwrap_or(i64::MAX))
        .bind(r.started_at)
        .bind(r.finished_at)
        .bind(&r.result)
        .bind(r.checks.join(" "))
        .bind(&r.culprit)
        .bind(f.culprit_pull)
        .bind(&f.culprit_about)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM flights WHERE repo = $1 AND id <= (SELECT id FROM flights \
             WHERE repo = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
        )
        .bind(repo)
        .bind(keep)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A repository's newest `limit` finished flights, newest first.
    pub async fn flights(&self, repo: &str, limit: i64) -> Result<Vec<StoredFlight>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, tip, baseline, commits, started_at, finished_at, result, checks, \
             culprit, culprit_pull, culprit_about FROM flights WHERE repo = $1 \
             ORDER BY id DESC LIMIT $2",
        )
        .bind(repo)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let checks: String = r.try_get("checks")?;
                Ok(StoredFlight {
                    flight: FlightRecord {
                        id: u64::try_from(r.try_get::<i64, _>("id")?).unwrap_or(0),
                        tip: r.try_get("tip")?,
                        baseline: r.try_get("baseline")?,
                        commits: usize::try_from(r.try_get::<i64, _>("commits")?).unwrap_or(0),
                        started_at: r.try_get("started_at")?,
                        finished_at: r.try_get("finished_at")?,
                        result: r.try_get("result")?,
                        checks: checks.split_whitespace().map(str::to_string).collect(),
                        culprit: r.try_get("culprit")?,
                    },
                    culprit_pull: r.try_get("culprit_pull")?,
                    culprit_about: r.try_get("culprit_about")?,
                })
            })
            .collect()
    }
}
