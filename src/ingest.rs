//! The ingest writer: deliveries that `POST /webhook` accepted wait here for their commit.
//! Concurrent deliveries are written in one transaction per batch, so each request still waits
//! for its own commit (durable before the 202) while the database syncs once for many requests.
//!
//! On a SQLite file the writer owns one connection ([`SqliteWriter`]) on a thread of its own:
//! a batch is a loop of one prepared INSERT, with no hop through an async runtime between the
//! rows and the commit. On PostgreSQL, and on an in-memory SQLite database (which only the
//! pool can see), it writes through the store's pool with one multi-row INSERT a batch.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot, Notify};
use tokio::task::JoinHandle;

use crate::store::{NewDelivery, SqliteWriter, Store, StoreError};

/// One delivery waiting to be written, and where to say whether it was new.
pub struct Ingest {
    pub delivery: NewDelivery,
    pub reply: Reply,
}

/// Whether the delivery was new (false: a redelivery), or why it could not be stored.
pub type Reply = oneshot::Sender<Result<bool, String>>;

/// The most deliveries written in one transaction.
const BATCH: usize = 256;

/// Starts the writer; it runs until every sender of `requests` is gone, or until `killed` is
/// set (a crash in the tests), after which it commits nothing more.
pub fn spawn(
    store: &Store,
    requests: mpsc::Receiver<Ingest>,
    wake: Arc<Notify>,
    killed: Arc<AtomicBool>,
) -> Result<JoinHandle<()>, StoreError> {
    match store.sqlite_file() {
        Some(path) => {
            let writer = SqliteWriter::open(&path)?;
            Ok(tokio::task::spawn_blocking(move || {
                run_sqlite(writer, requests, &wake, &killed)
            }))
        }
        None => Ok(tokio::spawn(run_pool(
            store.clone(),
            requests,
            wake,
            killed,
        ))),
    }
}

fn run_sqlite(
    mut writer: SqliteWriter,
    mut requests: mpsc::Receiver<Ingest>,
    wake: &Notify,
    killed: &AtomicBool,
) {
    let mut batch = Batch::default();
    while let Some(first) = requests.blocking_recv() {
        batch.fill(first, &mut requests);
        if killed.load(Ordering::SeqCst) {
            return;
        }
        let result = writer.insert(&batch.deliveries, now());
        batch.answer(result, wake);
    }
}

async fn run_pool(
    store: Store,
    mut requests: mpsc::Receiver<Ingest>,
    wake: Arc<Notify>,
    killed: Arc<AtomicBool>,
) {
    let mut batch = Batch::default();
    while let Some(first) = requests.recv().await {
        batch.fill(first, &mut requests);
        if killed.load(Ordering::SeqCst) {
            return;
        }
        let result = store.insert_deliveries(&batch.deliveries, now()).await;
        batch.answer(result, &wake);
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The deliveries of one transaction and their waiting requests, in the same order.
#[derive(Default)]
struct Batch {
    deliveries: Vec<NewDelivery>,
    replies: Vec<Reply>,
}

impl Batch {
    /// Takes `first` and whatever else is already waiting, up to [`BATCH`].
    fn fill(&mut self, first: Ingest, requests: &mut mpsc::Receiver<Ingest>) {
        let mut next = Some(first);
        while let Some(ingest) = next {
            self.deliveries.push(ingest.delivery);
            self.replies.push(ingest.reply);
            next = if self.deliveries.len() < BATCH {
                requests.try_recv().ok()
            } else {
                None
            };
        }
    }

    /// Tells each request what became of its delivery, wakes the workers if anything was
    /// stored, and empties the batch.
    fn answer(&mut self, result: Result<Vec<bool>, StoreError>, wake: &Notify) {
        match result {
            Ok(fresh) => {
                for (reply, new) in self.replies.drain(..).zip(fresh) {
                    // A request that gave up waiting has nobody to tell.
                    let _ = reply.send(Ok(new));
                }
                wake.notify_waiters();
            }
            Err(e) => {
                tracing::error!(error = %e, "storing deliveries failed");
                for reply in self.replies.drain(..) {
                    let _ = reply.send(Err(e.to_string()));
                }
            }
        }
        self.deliveries.clear();
    }
}
