//! The ingest writer's own connection to a SQLite file (rusqlite, used from one thread). It
//! makes every write of the queue on that file: the door's deliveries, and the workers'
//! claims, the ends of their leases and coalescing. SQLite lets one connection write at a time; with one
//! writer nobody waits in SQLite's busy handler (which sleeps between tries), and one commit,
//! one sync, covers a batch of deliveries and whatever the workers asked for meanwhile.
//!
//! A batch is one transaction: single-row INSERTs from one prepared statement (SQLite says
//! per row whether it was inserted, so no rows travel back), then each queue write in a
//! savepoint of its own, so one that fails fails alone. Through sqlx every statement would be
//! a round trip to sqlx's connection thread (see README, "Webhook ingest").

use std::collections::HashSet;
use std::path::Path;
use std::time::Duration;

use rusqlite::Transaction;

use super::queue::{
    behind_args, behind_sql, coalesced_into, due_of, held_args, not_taken_over, same_work_args,
    same_work_sql, Change, ClaimedRow, NewDelivery, QueueOp, CLAIM_HEAD, CLAIM_LANE,
    COALESCE_CHUNK, COALESCE_HELD, DROP_LANE, INSERT_DELIVERY, INSERT_PAYLOAD, LANE_HEAD, LANE_OF,
    LOCK_LANE, SET_DUE, TAKE_OVER, UPSERT_LANE, UPSERT_LANE_END,
};
use super::records::note_statement;
use super::{
    Arg, Note, StoreError, SQLITE_BUSY_TIMEOUT, SQLITE_CHECKPOINT_PAGES, SQLITE_SYNCHRONOUS,
};

pub struct SqliteWriter {
    /// Read by the store's tests of the SQLite connection settings.
    pub(super) conn: rusqlite::Connection,
    /// Told after each commit that the WAL has grown; gone with the writer, which ends the
    /// checkpointer's thread.
    checkpoints: std::sync::mpsc::SyncSender<()>,
}

/// The shortest time between two of the checkpointer's copies: each ends with a sync of the
/// database file, so copying after every commit would double the syncs.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(20);

/// Copies the WAL into the database file on a thread of its own (SQLite's "passive"
/// checkpoint, which never takes the write lock), so the writer only writes and syncs the
/// WAL. Left to SQLite's default, the connection that commits past 1,000 WAL pages copies
/// them and syncs the database file before its next transaction: at the door's rate that was
/// the writer, several times a second.
fn checkpointer(path: &Path, commits: std::sync::mpsc::Receiver<()>) -> Result<(), StoreError> {
    let conn = connect(path)?;
    std::thread::Builder::new()
        .name("sqlite-checkpoint".into())
        .spawn(move || {
            // Ends when the writer is gone.
            while commits.recv().is_ok() {
                // A checkpoint that finds another one running answers "busy" and copies
                // nothing; the next commit asks again.
                if let Err(e) =
                    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |row| row.get::<_, i64>(0))
                {
                    tracing::warn!(error = %e, "WAL checkpoint failed; the writer's backstop copies it");
                }
                std::thread::sleep(CHECKPOINT_EVERY);
            }
        })
        .map_err(|e| StoreError::Writer(format!("cannot start the checkpointer: {e}")))?;
    Ok(())
}

/// A connection of this module's to the file, used from one thread: it waits for the lock
/// rather than failing, and syncs each commit.
fn connect(path: &Path) -> Result<rusqlite::Connection, StoreError> {
    let conn = rusqlite::Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(SQLITE_BUSY_TIMEOUT)?;
    conn.pragma_update(None, "synchronous", SQLITE_SYNCHRONOUS)?;
    Ok(conn)
}

/// A queue write's answer, kept until the transaction that made it commits.
enum Answer {
    Claimed(Result<Option<ClaimedRow>, StoreError>),
    Held(Result<bool, StoreError>),
    Count(Result<u64, StoreError>),
}

impl Answer {
    fn failed(&self) -> bool {
        matches!(
            self,
            Answer::Claimed(Err(_)) | Answer::Held(Err(_)) | Answer::Count(Err(_))
        )
    }
}

impl SqliteWriter {
    /// Opens the file, which [`super::Store::connect`] has created and migrated.
    pub fn open(path: &Path) -> Result<SqliteWriter, StoreError> {
        let conn = connect(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "wal_autocheckpoint", SQLITE_CHECKPOINT_PAGES)?;
        let (checkpoints, commits) = std::sync::mpsc::sync_channel(1);
        checkpointer(path, commits)?;
        Ok(SqliteWriter { conn, checkpoints })
    }

    /// Stores deliveries in one transaction and says, per delivery, whether it is new (false:
    /// a redelivery of a known id, or a repeat within the batch; the first is the one stored).
    /// On an error nothing of the batch is stored.
    pub fn insert(
        &mut self,
        deliveries: &[NewDelivery],
        now: i64,
    ) -> Result<Vec<bool>, StoreError> {
        self.write(deliveries, Vec::new(), now)
    }

    /// [`SqliteWriter::insert`], and in the same transaction the workers' `ops`, each
    /// answered after the commit (or with the error that stopped it).
    pub fn write(
        &mut self,
        deliveries: &[NewDelivery],
        ops: Vec<QueueOp>,
        now: i64,
    ) -> Result<Vec<bool>, StoreError> {
        let done = self.transaction(deliveries, &ops, now);
        match done {
            Ok((fresh, answers)) => {
                for (op, answer) in ops.into_iter().zip(answers) {
                    // A worker that stopped waiting has nobody to tell.
                    match (op, answer) {
                        (
                            QueueOp::Claim { reply, .. } | QueueOp::Coalesce { reply, .. },
                            Answer::Claimed(answer),
                        ) => {
                            let _ = reply.send(answer);
                        }
                        (QueueOp::Finish { reply, .. }, Answer::Held(answer)) => {
                            let _ = reply.send(answer);
                        }
                        (QueueOp::CoalesceSame { reply, .. }, Answer::Count(answer)) => {
                            let _ = reply.send(answer);
                        }
                        (op, _) => op.fail("answered out of turn"),
                    }
                }
                Ok(fresh)
            }
            Err(e) => {
                let why = e.to_string();
                for op in ops {
                    op.fail(&why);
                }
                Err(e)
            }
        }
    }

    fn transaction(
        &mut self,
        deliveries: &[NewDelivery],
        ops: &[QueueOp],
        now: i64,
    ) -> Result<(Vec<bool>, Vec<Answer>), StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let mut fresh = Vec::with_capacity(deliveries.len());
        if !deliveries.is_empty() {
            let mut insert = tx.prepare_cached(&format!(
                "{INSERT_DELIVERY}(?1, ?2, ?3, ?4, ?5, ?6, '', ?7, ?7) \
                 ON CONFLICT (delivery_id) DO NOTHING"
            ))?;
            let mut payload = tx.prepare_cached(&format!("{INSERT_PAYLOAD}(?1, ?2)"))?;
            let mut lane = tx.prepare_cached(&format!("{UPSERT_LANE}(?1, ?2){UPSERT_LANE_END}"))?;
            let mut lanes = HashSet::new();
            for d in deliveries {
                let inserted = insert.execute(rusqlite::params![
                    d.delivery_id,
                    d.event,
                    d.action,
                    d.repo,
                    d.lane,
                    d.installation_id,
                    now,
                ])?;
                if inserted == 1 {
                    let id = tx.last_insert_rowid();
                    payload.execute(rusqlite::params![id, d.payload.bytes()])?;
                    if lanes.insert(d.lane.as_str()) {
                        lane.execute(rusqlite::params![d.lane, now])?;
                    }
                }
                fresh.push(inserted == 1);
            }
        }
        let mut answers = Vec::with_capacity(ops.len());
        for op in ops {
            tx.execute_batch("SAVEPOINT op")?;
            let answer = match op {
                QueueOp::Claim {
                    owner, now, until, ..
                } => Answer::Claimed(claim(&tx, owner, *now, *until)),
                QueueOp::Finish {
                    id, owner, change, ..
                } => Answer::Held(finish(&tx, *id, owner, change)),
                QueueOp::Coalesce {
                    held,
                    owner,
                    behind,
                    repo,
                    notes,
                    into,
                    now,
                    until,
                    ..
                } => Answer::Claimed(coalesce_into(
                    &tx,
                    (*held, owner),
                    behind,
                    (repo, notes),
                    (into.0, &into.1),
                    (*now, *until),
                )),
                QueueOp::CoalesceSame {
                    head,
                    lane,
                    event,
                    actions,
                    now,
                    into,
                    ..
                } => Answer::Count(coalesce_same(
                    &tx,
                    (*head, lane),
                    event,
                    actions,
                    into,
                    *now,
                )),
            };
            if answer.failed() {
                tx.execute_batch("ROLLBACK TO op")?;
            }
            tx.execute_batch("RELEASE op")?;
            answers.push(answer);
        }
        tx.commit()?;
        // Full: a checkpoint is already asked for, which will copy this commit too.
        let _ = self.checkpoints.try_send(());
        Ok((fresh, answers))
    }
}

/// Prepares `sql` and binds `args` to its numbered parameters (`$1` to `args[0]`, …) by name,
/// so a statement may name them in any order, as the pool's driver allows.
fn bound<'c>(
    tx: &'c Transaction<'_>,
    sql: &str,
    args: &[Arg<'_>],
) -> Result<rusqlite::CachedStatement<'c>, StoreError> {
    let mut statement = tx.prepare_cached(sql)?;
    for (i, arg) in args.iter().enumerate() {
        let name = format!("${}", i + 1);
        let Some(index) = statement.parameter_index(&name)? else {
            return Err(StoreError::Writer(format!("no parameter {name} in {sql}")));
        };
        match *arg {
            Arg::Int(value) => statement.raw_bind_parameter(index, value)?,
            Arg::Text(value) => statement.raw_bind_parameter(index, value)?,
        }
    }
    Ok(statement)
}

/// The first column of the first row `sql` answers, if any.
fn first_text(
    tx: &Transaction<'_>,
    sql: &str,
    args: &[Arg<'_>],
) -> Result<Option<String>, StoreError> {
    let mut statement = bound(tx, sql, args)?;
    let mut rows = statement.raw_query();
    Ok(match rows.next()? {
        Some(row) => Some(row.get(0)?),
        None => None,
    })
}

/// A column of `row` by name (a database row, not JSON).
fn column<T: rusqlite::types::FromSql>(row: &rusqlite::Row<'_>, name: &str) -> rusqlite::Result<T> {
    row.get(name)
}

/// [`super::Store::claim`] on the writer's transaction.
fn claim(
    tx: &Transaction<'_>,
    owner: &str,
    now: i64,
    until: i64,
) -> Result<Option<ClaimedRow>, StoreError> {
    use Arg::{Int, Text};
    for _ in 0..4 {
        let Some(lane) = first_text(tx, CLAIM_LANE, &[Int(until), Int(now)])? else {
            return Ok(None);
        };
        let head = taken(
            tx,
            CLAIM_HEAD,
            &[Text(owner), Int(until), Text(&lane), Int(now)],
            &lane,
        )?;
        match head {
            Some(head) => return Ok(Some(head)),
            None => advance(tx, &lane)?,
        }
    }
    Ok(None)
}

/// Runs `sql` ([`CLAIM_HEAD`] or [`TAKE_OVER`]: an UPDATE … RETURNING of at most one
/// delivery of lane `lane`) and reads the delivery it leased, if any.
fn taken(
    tx: &Transaction<'_>,
    sql: &str,
    args: &[Arg<'_>],
    lane: &str,
) -> Result<Option<ClaimedRow>, StoreError> {
    let mut statement = bound(tx, sql, args)?;
    let mut rows = statement.raw_query();
    // The update is done once the statement is reset, when `rows` and `statement` go.
    let Some(row) = rows.next()? else {
        return Ok(None);
    };
    Ok(Some(ClaimedRow {
        id: column(row, "id")?,
        delivery_id: column(row, "delivery_id")?,
        event: column(row, "event")?,
        action: column(row, "action")?,
        repo: column(row, "repo")?,
        lane: lane.to_string(),
        installation_id: column(row, "installation_id")?,
        attempts: column(row, "attempts")?,
        packed: row.get("payload_lz4")?,
        text: column(row, "payload")?,
    }))
}

/// [`super::Store`]'s `finish` on the writer's transaction: locks the delivery's lane (SQLite
/// has the whole database locked already; the order is the pool's), makes the change, and
/// sets the lane's next due time when it held.
fn finish(tx: &Transaction<'_>, id: i64, owner: &str, change: &Change) -> Result<bool, StoreError> {
    let lane = lock_lane(tx, id)?;
    let changed = bound(tx, change.sql(), &change.args(id, owner))?.raw_execute()? == 1;
    if let (true, Some(lane)) = (changed, lane) {
        advance(tx, &lane)?;
    }
    Ok(changed)
}

/// [`super::Store::coalesce_into`] on the writer's transaction: the held head `held.0` (if
/// `held.1` still holds it) and the deliveries `behind` it are done, with the run's notes,
/// and `into` is leased to `held.1` until `until`. Nothing changes when the lease was lost
/// (the savepoint keeps the lane lock's no-op); an `into` that cannot be held is an error,
/// which rolls the savepoint back.
fn coalesce_into(
    tx: &Transaction<'_>,
    held: (i64, &str),
    behind: &[i64],
    (repo, notes): (&str, &[Note]),
    (into, into_delivery): (i64, &str),
    (now, until): (i64, i64),
) -> Result<Option<ClaimedRow>, StoreError> {
    let (id, owner) = held;
    let lane = lock_lane(tx, id)?;
    let why = coalesced_into(into_delivery);
    if bound(tx, COALESCE_HELD, &held_args(id, owner, now, &why))?.raw_execute()? != 1 {
        return Ok(None);
    }
    for note in notes {
        let (sql, args) = note_statement(false, repo, note);
        bound(tx, &sql, &args)?.raw_execute()?;
    }
    // The held delivery exists (it was just marked done), so its lane is known.
    let Some(lane) = lane else {
        return Err(not_taken_over(into_delivery));
    };
    for chunk in behind.chunks(COALESCE_CHUNK) {
        let args = behind_args(&lane, chunk, now, &why);
        bound(tx, &behind_sql(chunk.len()), &args)?.raw_execute()?;
    }
    use Arg::{Int, Text};
    let args = [Text(owner), Int(until), Int(into), Int(now)];
    let Some(row) = taken(tx, TAKE_OVER, &args, &lane)? else {
        return Err(not_taken_over(into_delivery));
    };
    advance(tx, &lane)?;
    Ok(Some(row))
}

/// [`super::Store::coalesce`] on the writer's transaction: the unleased deliveries of lane
/// `head.1` after `head.0` that are `event` with one of `actions` are done; says how many.
fn coalesce_same(
    tx: &Transaction<'_>,
    (head, lane): (i64, &str),
    event: &str,
    actions: &[String],
    into: &str,
    now: i64,
) -> Result<u64, StoreError> {
    let why = coalesced_into(into);
    let actions: Vec<&str> = actions.iter().map(String::as_str).collect();
    let args = same_work_args(head, lane, event, &actions, now, &why);
    let done = bound(tx, &same_work_sql(actions.len()), &args)?.raw_execute()?;
    Ok(done as u64)
}

/// The lane of delivery `id`, locked (as the pool's statements lock it).
fn lock_lane(tx: &Transaction<'_>, id: i64) -> Result<Option<String>, StoreError> {
    match first_text(tx, LOCK_LANE, &[Arg::Int(id)])? {
        Some(lane) => Ok(Some(lane)),
        None => first_text(tx, LANE_OF, &[Arg::Int(id)]),
    }
}

/// Sets a lane's due time from its head; a lane with nothing pending is removed.
fn advance(tx: &Transaction<'_>, lane: &str) -> Result<(), StoreError> {
    let head = bound(tx, LANE_HEAD, &[Arg::Text(lane)])?
        .raw_query()
        .next()?
        .map(|row| {
            Ok::<_, rusqlite::Error>((column(row, "next_attempt_at")?, column(row, "lease_until")?))
        })
        .transpose()?;
    match head {
        None => bound(tx, DROP_LANE, &[Arg::Text(lane)])?.raw_execute()?,
        Some((next, lease)) => {
            let due = due_of(next, lease);
            bound(tx, SET_DUE, &[Arg::Text(lane), Arg::Int(due)])?.raw_execute()?
        }
    };
    Ok(())
}
