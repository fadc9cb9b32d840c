//! The durable store: SQLite (embedded default) or PostgreSQL (several replicas), one SQL
//! dialect through sqlx's `Any` driver. This module connects, migrates, sets up every SQLite
//! connection and says whether the database is ready; what the store holds lives in
//! submodules, all of them `impl Store` blocks over the one pool:
//! - `queue`: the delivery queue with its lanes and leases (ingest, claim, outcomes,
//!   coalescing, pruning) and the pull-request lock;
//! - `records`: everything else a delivery leaves behind (pushes, authored comments,
//!   identities, wake-ups, verdicts, the gate, commands, release targets, views,
//!   installations);
//! - `governance`, `embargo`, `dashboard`: votes, embargoes and the dashboard's own records.

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::AnyPool;
use tokio::sync::mpsc;

mod advisory;
mod asked;
mod dashboard;
mod embargo;
mod governance;
mod queue;
mod records;
mod writer;
pub use advisory::{Advisory, AdvisoryEmbargo};
pub use dashboard::{OpenPull, PullInfo, StoredFlight, FLIGHTS_KEPT};
pub use embargo::{Embargo, EmbargoInFlight};
pub use governance::{Decision, GovernanceEntry};
pub use queue::{
    Change, Claimed, ClaimedRow, DeliverReply, Failed, NewDelivery, Payload, PullGuard, QueueDepth,
    QueueOp, Queued, Write, PAYLOAD_LIMIT,
};
pub use records::{Authored, CommandProgress, Evaluation, Note};
pub use writer::SqliteWriter;

use queue::PullLocks;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported DATABASE_URL `{0}` (use sqlite://… or postgres://…)")]
    Url(String),
    #[error("the queue's writer: {0}")]
    Writer(String),
    #[error("migration {0} is not applied")]
    NotMigrated(i64),
}

/// A value bound to a numbered parameter (`$1`, `$2`, …) of a statement that runs through
/// the pool or on the SQLite writer's connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arg<'a> {
    Int(i64),
    Text(&'a str),
}

/// Binds `args` to `query`'s parameters in order.
fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    args: &[Arg<'_>],
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for arg in args {
        query = match *arg {
            Arg::Int(value) => query.bind(value),
            Arg::Text(value) => query.bind(value.to_string()),
        };
    }
    query
}

#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    postgres: bool,
    /// The database file, when the store is a SQLite file.
    sqlite_file: Option<PathBuf>,
    /// On SQLite (one process per file): a lock per pull request, for [`Store::lock_pull`].
    pull_locks: PullLocks,
    /// On a SQLite file: the ingest writer, which makes the queue's writes while it runs
    /// ([`Store::hand_queue_to`]).
    writer: Arc<Mutex<Option<mpsc::WeakSender<Write>>>>,
    /// Whether the door is saturated ([`Store::door_busy`]).
    door: Arc<AtomicBool>,
    /// The longest a claim waits for the door: [`DOOR_FIRST`] (other figures in tests).
    door_first: Duration,
}

/// The longest a worker's claim waits while the door is saturated: under endless load the
/// workers still move, one claim per worker and this long.
const DOOR_FIRST: Duration = Duration::from_millis(100);

/// Every SQLite connection: WAL, a full sync at each commit (durable before the 202), and a
/// wait rather than an error while another connection writes.
const SQLITE_SYNCHRONOUS: &str = "FULL";
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// The WAL size (pages) at which a connection that commits copies the WAL into the database
/// file itself: a backstop, should the ingest writer's checkpointer fall behind. Under steady
/// load the checkpointer has copied all but the last few commits by then, so the copy is
/// small, and being complete it lets the next transaction start the WAL from its beginning.
const SQLITE_CHECKPOINT_PAGES: i64 = 16_384;

impl Store {
    /// Connects and applies the migrations. `sqlite://path` creates the file when missing.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let postgres = url.starts_with("postgres://") || url.starts_with("postgresql://");
        let sqlite = url.starts_with("sqlite:");
        if !postgres && !sqlite {
            return Err(StoreError::Url(url.to_string()));
        }
        let url = if sqlite && !url.contains('?') && !url.contains(":memory:") {
            // Durable before the 202: WAL with a full sync at each commit.
            format!("{url}?mode=rwc")
        } else {
            url.to_string()
        };
        let options = AnyConnectOptions::from_str(&url)?;
        // Only a plain file gets a second writer: an in-memory database is private to the pool,
        // and other URL parameters (a VFS, read-only, immutable) would not carry over to it.
        let plain = url
            .split_once('?')
            .is_none_or(|(_, query)| query == "mode=rwc");
        let sqlite_file = if sqlite && plain && !url.contains(":memory:") {
            Some(
                SqliteConnectOptions::from_str(&url)?
                    .get_filename()
                    .to_path_buf(),
            )
            .filter(|file| !file.as_os_str().is_empty())
        } else {
            None
        };
        let pool = AnyPoolOptions::new()
            .max_connections(if postgres { 10 } else { 4 })
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if sqlite {
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query(&format!("PRAGMA synchronous = {SQLITE_SYNCHRONOUS}"))
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query(&format!(
                            "PRAGMA busy_timeout = {}",
                            SQLITE_BUSY_TIMEOUT.as_millis()
                        ))
                        .execute(&mut *conn)
                        .await?;
                        // The ingest writer's checkpointer copies the WAL (see
                        // `writer::checkpointer`); this is the backstop.
                        sqlx::query(&format!(
                            "PRAGMA wal_autocheckpoint = {SQLITE_CHECKPOINT_PAGES}"
                        ))
                        .execute(&mut *conn)
                        .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        if postgres {
            sqlx::migrate!("migrations/postgres").run(&pool).await?;
        } else {
            sqlx::migrate!("migrations/sqlite").run(&pool).await?;
        }
        Ok(Store {
            pool,
            postgres,
            sqlite_file,
            pull_locks: PullLocks::default(),
            writer: Arc::default(),
            door: Arc::default(),
            door_first: DOOR_FIRST,
        })
    }

    /// Says whether the door is saturated: the ingest writer found more deliveries waiting
    /// when it had committed a batch.
    pub fn door_busy(&self, busy: bool) {
        self.door.store(busy, Ordering::Relaxed);
    }

    /// Waits, at most [`DOOR_FIRST`] (100 ms), while the door is saturated. The workers share
    /// the machine's cores with the door (and, on SQLite, its transactions); working off a
    /// backlog at full speed took the door down to 20% of the durable floor in the ingest
    /// bench (README, "Webhook ingest"). So a flood of deliveries goes first, and the workers
    /// catch up when it eases; a door that keeps up with its load never makes them wait.
    pub(crate) async fn after_the_door(&self) {
        let since = tokio::time::Instant::now();
        while self.door.load(Ordering::Relaxed) && since.elapsed() < self.door_first {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }

    pub fn is_postgres(&self) -> bool {
        self.postgres
    }

    /// The database file, when the store is a SQLite file (not in memory, not PostgreSQL).
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        self.sqlite_file.clone()
    }

    /// For `/readyz`: the database answers and this build's newest migration is applied. One
    /// indexed read, whatever the size of the tables (probes come every few seconds).
    pub async fn ready(&self) -> Result<(), StoreError> {
        let migrator = if self.postgres {
            sqlx::migrate!("migrations/postgres")
        } else {
            sqlx::migrate!("migrations/sqlite")
        };
        let newest = migrator.iter().map(|m| m.version).max().unwrap_or(0);
        let applied = sqlx::query("SELECT 1 FROM _sqlx_migrations WHERE version = $1 AND success")
            .bind(newest)
            .fetch_optional(&self.pool)
            .await?;
        match applied {
            Some(_) => Ok(()),
            None => Err(StoreError::NotMigrated(newest)),
        }
    }
}

#[cfg(test)]
mod tests {
    use sqlx::Row;

    use super::*;

    /// A store on a fresh SQLite file; the directory lives as long as the guard.
    pub(super) async fn file_store() -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("store.db").display());
        let store = Store::connect(&url).await.unwrap();
        (dir, store)
    }

    /// A claim waits while the door is saturated, until it is not, and never longer than its
    /// limit; a door that keeps up costs no wait.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_claim_waits_for_a_saturated_door_but_not_for_ever() {
        let (_dir, mut store) = file_store().await;
        store.door_first = Duration::from_millis(50);
        store.door_busy(true);
        let start = std::time::Instant::now();
        store.after_the_door().await;
        assert!(start.elapsed() >= store.door_first, "{:?}", start.elapsed());

        // Eased while a claim waits: it goes at once, long before a limit of a minute.
        store.door_first = Duration::from_secs(60);
        let door = store.clone();
        let start = std::time::Instant::now();
        let easing = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            door.door_busy(false);
        });
        store.after_the_door().await;
        let waited = start.elapsed();
        assert!(waited >= Duration::from_millis(20), "{waited:?}");
        assert!(waited < Duration::from_secs(30), "{waited:?}");
        easing.await.unwrap();

        // A door that keeps up: no wait at all.
        let start = std::time::Instant::now();
        store.after_the_door().await;
        assert!(start.elapsed() < Duration::from_secs(30));
    }

    /// `/readyz` says ready only when this build's newest migration is applied.
    #[tokio::test]
    async fn ready_means_the_newest_migration_is_applied() {
        let (_dir, store) = file_store().await;
        store.ready().await.unwrap();
        let newest: i64 = sqlx::query("SELECT MAX(version) FROM _sqlx_migrations")
            .fetch_one(&store.pool)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        sqlx::query("DELETE FROM _sqlx_migrations WHERE version = $1")
            .bind(newest)
            .execute(&store.pool)
            .await
            .unwrap();
        match store.ready().await {
            Err(StoreError::NotMigrated(version)) => assert_eq!(version, newest),
            other => panic!("{other:?}"),
        }
    }

    /// A delivery is answered 202 only after its commit, so every SQLite connection must sync
    /// each commit: WAL with `synchronous = FULL` (2).
    #[tokio::test]
    async fn every_sqlite_connection_syncs_each_commit() {
        let (_dir, store) = file_store().await;
        // Hold several at once, so the pool has to open more than one connection.
        let mut held = Vec::new();
        for _ in 0..3 {
            let mut conn = store.pool.acquire().await.unwrap();
            let sync: i64 = sqlx::query("PRAGMA synchronous")
                .fetch_one(&mut *conn)
                .await
                .unwrap()
                .try_get(0)
                .unwrap();
            let journal: String = sqlx::query("PRAGMA journal_mode")
                .fetch_one(&mut *conn)
                .await
                .unwrap()
                .try_get(0)
                .unwrap();
            assert_eq!((sync, journal.as_str()), (2, "wal"));
            held.push(conn);
        }
        // The ingest writer's own connection too.
        let writer = SqliteWriter::open(&store.sqlite_file().unwrap()).unwrap();
        let sync: i64 = writer
            .conn
            .pragma_query_value(None, "synchronous", |row| row.get(0))
            .unwrap();
        let journal: String = writer
            .conn
            .pragma_query_value(None, "journal_mode", |row| row.get(0))
            .unwrap();
        assert_eq!((sync, journal.as_str()), (2, "wal"));
    }
    /// The ingest writer only writes and syncs the WAL: a thread of its own copies the WAL into
    /// the database file, and every connection copies it itself only past the backstop's
    /// size. Here the WAL stays below SQLite's default threshold (1,000 pages), at which the
    /// committing connection would have copied it, and still reaches the database file.
    #[tokio::test]
    async fn the_wal_is_copied_into_the_database_file_off_the_writer() {
        let (_dir, store) = file_store().await;
        let file = store.sqlite_file().unwrap();
        let mut writer = SqliteWriter::open(&file).unwrap();
        let backstop: i64 = writer
            .conn
            .pragma_query_value(None, "wal_autocheckpoint", |row| row.get(0))
            .unwrap();
        assert_eq!(backstop, SQLITE_CHECKPOINT_PAGES);
        let before = std::fs::metadata(&file).unwrap().len();
        // 150 payloads of 8 KB of hexadecimal noise, which LZ4 cannot shrink much: about 300
        // WAL pages in all.
        let mut seed = 0x9e37_79b9_u64;
        let batch: Vec<NewDelivery> = (0..150)
            .map(|n| {
                let noise: String = (0..8_192)
                    .map(|_| {
                        seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                        char::from(b"0123456789abcdef"[(seed >> 60) as usize])
                    })
                    .collect();
                NewDelivery {
                    delivery_id: format!("d{n}"),
                    event: "issue_comment".into(),
                    action: "created".into(),
                    repo: "xen/xen".into(),
                    lane: "xen/xen".into(),
                    installation_id: 7,
                    payload: Payload::pack(format!("{{\"noise\":\"{noise}\"}}").as_bytes()),
                }
            })
            .collect();
        for chunk in batch.chunks(10) {
            writer.insert(chunk, 1).unwrap();
        }
        let copied = 1_000_000;
        let since = std::time::Instant::now();
        while std::fs::metadata(&file).unwrap().len() < before + copied {
            assert!(
                since.elapsed() < Duration::from_secs(10),
                "the database file grew by {} bytes, not {copied}",
                std::fs::metadata(&file).unwrap().len() - before
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // The pool's connections have the same backstop.
        let pool: i64 = sqlx::query("PRAGMA wal_autocheckpoint")
            .fetch_one(&store.pool)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(pool, SQLITE_CHECKPOINT_PAGES);
    }

    /// Only a database file can have a second connection for the ingest writer.
    #[tokio::test]
    async fn the_ingest_writer_gets_a_file_and_never_a_memory_database() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pushgate.db");
        let cases = [
            (format!("sqlite://{}", file.display()), Some(file.clone())),
            (
                format!("sqlite://{}?mode=rwc", file.display()),
                Some(file.clone()),
            ),
            ("sqlite::memory:".to_string(), None),
            (
                "sqlite:file:store-test?mode=memory&cache=shared".to_string(),
                None,
            ),
            // Parameters the writer's own connection would not share: the pool writes alone.
            (
                format!(
                    "sqlite://{}?mode=rwc&vfs=unix-dotfile",
                    dir.path().join("dotfile-locking.db").display()
                ),
                None,
            ),
        ];
        for (url, expected) in cases {
            let store = Store::connect(&url).await.unwrap();
            assert_eq!(store.sqlite_file(), expected, "{url}");
        }
    }
}
