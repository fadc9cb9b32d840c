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
            let store = store.clone();
            Ok(tokio::task::spawn_blocking(move || {
                run_sqlite(store, writer, requests, &wake, &killed)
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
    store: Store,
    mut writer: SqliteWriter,
    mut requests: mpsc::Receiver<Ingest>,
    wake: &Notify,
    killed: &AtomicBool,
) {
    let mut batch = Batch::default();
    while let Some(first) = requests.blocking_recv() {
        // The workers' writes wait while the door has deliveries in hand.
        store.door_busy(true);
        batch.fill(first, &mut requests);
        if killed.load(Ordering::SeqCst) {
            return;
        }
        let result = writer.insert(&batch.deliveries, now());
        batch.answer(result, wake);
        store.door_busy(!requests.is_empty());
    }
    store.door_busy(false);
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use super::*;
    use crate::store::Payload;

    /// Both writers: its own connection to a SQLite file, and the pool's for a database in
    /// memory (as the Action has it).
    async fn stores(dir: &std::path::Path, name: &str) -> Vec<(&'static str, Store)> {
        let file = format!("sqlite://{}", dir.join(format!("{name}.db")).display());
        let memory = format!("sqlite:file:ingest-{name}?mode=memory&cache=shared");
        let mut stores = Vec::new();
        for (kind, url) in [("file", file), ("memory", memory)] {
            let store = Store::connect(&url).await.unwrap();
            assert_eq!(store.sqlite_file().is_some(), kind == "file", "{kind}");
            stores.push((kind, store));
        }
        stores
    }

    fn delivery(id: &str) -> NewDelivery {
        NewDelivery {
            delivery_id: id.to_string(),
            event: "ping".to_string(),
            action: String::new(),
            repo: "xen-project/xen".to_string(),
            lane: "xen-project/xen".to_string(),
            installation_id: 1,
            payload: Payload::pack(b"{\"zen\":\"ok\"}"),
        }
    }

    /// Hands one delivery to the writer and waits for its answer (an error when the writer
    /// dropped it unanswered).
    async fn ingest(
        requests: &mpsc::Sender<Ingest>,
        id: &str,
    ) -> Result<Result<bool, String>, oneshot::error::RecvError> {
        let (reply, answer) = oneshot::channel();
        let delivery = delivery(id);
        if requests.send(Ingest { delivery, reply }).await.is_err() {
            panic!("the writer stopped before {id}");
        }
        answer.await
    }

    async fn ends(task: JoinHandle<()>, kind: &str) {
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .unwrap_or_else(|_| panic!("{kind}: the writer did not stop"))
            .unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn each_delivery_id_is_new_exactly_once_and_wakes_the_workers() {
        let dir = tempfile::tempdir().unwrap();
        for (kind, store) in stores(dir.path(), "once").await {
            let (requests, inbox) = mpsc::channel(64);
            let wake = Arc::new(Notify::new());
            let killed = Arc::new(AtomicBool::new(false));
            let task = spawn(&store, inbox, wake.clone(), killed).unwrap();

            let woken = wake.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            assert_eq!(ingest(&requests, "first").await, Ok(Ok(true)), "{kind}");
            tokio::time::timeout(Duration::from_secs(10), woken)
                .await
                .unwrap_or_else(|_| panic!("{kind}: a stored delivery did not wake the workers"));
            assert_eq!(ingest(&requests, "first").await, Ok(Ok(false)), "{kind}");

            // Concurrent requests, each id four times: they share batches, and within a batch
            // as across batches exactly one of the four is new.
            let mut burst = tokio::task::JoinSet::new();
            for i in 0..40 {
                let requests = requests.clone();
                burst.spawn(async move {
                    let id = format!("burst-{}", i % 10);
                    let answer = ingest(&requests, &id).await;
                    (id, answer)
                });
            }
            let mut new_per_id: HashMap<String, usize> = HashMap::new();
            while let Some(done) = burst.join_next().await {
                let (id, answer) = done.unwrap();
                match answer {
                    Ok(Ok(new)) => *new_per_id.entry(id).or_default() += usize::from(new),
                    other => panic!("{kind}: {id} was answered {other:?}"),
                }
            }
            assert_eq!(new_per_id.len(), 10, "{kind}");
            assert!(
                new_per_id.values().all(|&n| n == 1),
                "{kind}: {new_per_id:?}"
            );
            assert_eq!(store.depth().await.unwrap().pending, 11, "{kind}");

            drop(requests);
            ends(task, kind).await;
        }
    }

    /// After a kill (a crash in the tests) the writer answers nothing and commits nothing, so
    /// no request that is still waiting can be told its delivery was stored.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_killed_writer_stores_and_answers_nothing_more() {
        let dir = tempfile::tempdir().unwrap();
        for (kind, store) in stores(dir.path(), "killed").await {
            let (requests, inbox) = mpsc::channel(64);
            let killed = Arc::new(AtomicBool::new(false));
            let task = spawn(&store, inbox, Arc::new(Notify::new()), killed.clone()).unwrap();
            assert_eq!(ingest(&requests, "before").await, Ok(Ok(true)), "{kind}");

            killed.store(true, Ordering::SeqCst);
            assert!(ingest(&requests, "after").await.is_err(), "{kind}");
            ends(task, kind).await;
            assert_eq!(store.depth().await.unwrap().pending, 1, "{kind}");
        }
    }
}
