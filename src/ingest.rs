//! The ingest writer: deliveries that `POST /webhook` accepted wait here for their commit.
//! Concurrent deliveries are written in one transaction per batch, so each request still waits
//! for its own commit (durable before the 202) while the database syncs once for many requests.
//!
//! On a SQLite file the writer owns one connection ([`SqliteWriter`]) on a thread of its own:
//! a batch is a loop of one prepared INSERT, with no hop through an async runtime between the
//! rows and the commit. It also makes the workers' writes to the queue (claims, the ends of
//! leases, coalescing), in the same transactions: SQLite has one write lock, and a door that had to win
//! it from the workers again and again slowed down exactly when a backlog was being worked
//! off (README, "Webhook ingest"). On PostgreSQL, and on an in-memory SQLite database (which
//! only the pool can see), it writes through the store's pool with one multi-row INSERT a
//! batch, and the workers write through the pool.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use tokio::sync::{mpsc, Notify};
use tokio::task::JoinHandle;

use crate::store::{DeliverReply, NewDelivery, QueueOp, SqliteWriter, Store, StoreError, Write};

/// The most deliveries and queue writes in one transaction.
const BATCH: usize = 256;

/// Starts the writer with a queue of `capacity` writes, and returns where to send them; it
/// runs until every sender is gone, or until `killed` is set (a crash in the tests), after
/// which it commits nothing more. On a SQLite file the store's queue writes go through it.
pub fn spawn(
    store: &Store,
    capacity: usize,
    wake: Arc<Notify>,
    killed: Arc<AtomicBool>,
) -> Result<(mpsc::Sender<Write>, JoinHandle<()>), StoreError> {
    let (sender, requests) = mpsc::channel(capacity);
    let task = match store.sqlite_file() {
        Some(path) => {
            let writer = SqliteWriter::open(&path)?;
            store.hand_queue_to(&sender);
            let store = store.clone();
            tokio::task::spawn_blocking(move || run_sqlite(store, writer, requests, &wake, &killed))
        }
        None => tokio::spawn(run_pool(store.clone(), requests, wake, killed)),
    };
    Ok((sender, task))
}

fn run_sqlite(
    store: Store,
    mut writer: SqliteWriter,
    mut requests: mpsc::Receiver<Write>,
    wake: &Notify,
    killed: &AtomicBool,
) {
    let mut batch = Batch::default();
    while let Some(first) = requests.blocking_recv() {
        batch.fill(first, &mut requests);
        if killed.load(Ordering::SeqCst) {
            return;
        }
        let ops = std::mem::take(&mut batch.ops);
        let result = writer.write(&batch.deliveries, ops, now());
        batch.answer(result, wake);
        store.door_busy(batch.saturated(&requests));
    }
    store.door_busy(false);
}

async fn run_pool(
    store: Store,
    mut requests: mpsc::Receiver<Write>,
    wake: Arc<Notify>,
    killed: Arc<AtomicBool>,
) {
    let mut batch = Batch::default();
    while let Some(first) = requests.recv().await {
        batch.fill(first, &mut requests);
        if killed.load(Ordering::SeqCst) {
            return;
        }
        // The pool's store takes no queue writes from the workers (they write through the
        // pool themselves); should one come, it is refused rather than lost.
        for op in batch.ops.drain(..) {
            op.fail("this store's workers write through its pool");
        }
        let result = store.insert_deliveries(&batch.deliveries, now()).await;
        batch.answer(result, &wake);
        store.door_busy(batch.saturated(&requests));
    }
    store.door_busy(false);
}

fn now() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The writes of one transaction: deliveries with their waiting requests, in the same order,
/// and the workers' queue writes.
#[derive(Default)]
struct Batch {
    deliveries: Vec<NewDelivery>,
    replies: Vec<DeliverReply>,
    ops: Vec<QueueOp>,
    /// Whether the last batch answered held deliveries.
    had_deliveries: bool,
}

impl Batch {
    /// Takes `first` and whatever else is already waiting, up to [`BATCH`].
    fn fill(&mut self, first: Write, requests: &mut mpsc::Receiver<Write>) {
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(write) = next {
            match write {
                Write::Deliver { delivery, reply } => {
                    self.deliveries.push(delivery);
                    self.replies.push(reply);
                }
                Write::Queue(op) => self.ops.push(op),
            }
            taken += 1;
            next = if taken < BATCH {
                requests.try_recv().ok()
            } else {
                None
            };
        }
    }

    /// Whether the door is saturated: this batch stored deliveries and more already wait.
    fn saturated(&self, requests: &mpsc::Receiver<Write>) -> bool {
        self.had_deliveries && !requests.is_empty()
    }

    /// Tells each request what became of its delivery, wakes the workers if anything was
    /// stored, and empties the batch.
    fn answer(&mut self, result: Result<Vec<bool>, StoreError>, wake: &Notify) {
        self.had_deliveries = !self.deliveries.is_empty();
        match result {
            Ok(fresh) => {
                for (reply, new) in self.replies.drain(..).zip(fresh) {
                    // A request that gave up waiting has nobody to tell.
                    let _ = reply.send(Ok(new));
                }
                if !self.deliveries.is_empty() {
                    wake.notify_waiters();
                }
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

    use tokio::sync::oneshot;

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
        requests: &mpsc::Sender<Write>,
        id: &str,
    ) -> Result<Result<bool, String>, oneshot::error::RecvError> {
        let (reply, answer) = oneshot::channel();
        let delivery = delivery(id);
        if requests
            .send(Write::Deliver { delivery, reply })
            .await
            .is_err()
        {
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
            let wake = Arc::new(Notify::new());
            let killed = Arc::new(AtomicBool::new(false));
            let (requests, task) = spawn(&store, 64, wake.clone(), killed).unwrap();

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
            let killed = Arc::new(AtomicBool::new(false));
            let (requests, task) =
                spawn(&store, 64, Arc::new(Notify::new()), killed.clone()).unwrap();
            assert_eq!(ingest(&requests, "before").await, Ok(Ok(true)), "{kind}");

            killed.store(true, Ordering::SeqCst);
            assert!(ingest(&requests, "after").await.is_err(), "{kind}");
            ends(task, kind).await;
            assert_eq!(store.depth().await.unwrap().pending, 1, "{kind}");
        }
    }

    /// The queue behaves the same whether the workers' writes go through the SQLite file's
    /// writer (in the door's transactions) or through the pool: a lane's deliveries one at a
    /// time and in order, leases that only their owner ends, retries that keep only their own
    /// lane waiting, attempts counted.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_queue_keeps_its_rules_through_either_writer() {
        let dir = tempfile::tempdir().unwrap();
        let lease = Duration::from_secs(60);
        for (kind, store) in stores(dir.path(), "rules").await {
            let killed = Arc::new(AtomicBool::new(false));
            let (requests, task) = spawn(&store, 64, Arc::new(Notify::new()), killed).unwrap();
            // Two lanes: a1, a2 in one, b1 in the other.
            for (id, lane) in [("a1", "a"), ("b1", "b"), ("a2", "a")] {
                let (reply, answer) = oneshot::channel();
                let mut delivery = delivery(id);
                delivery.lane = lane.to_string();
                let write = Write::Deliver { delivery, reply };
                assert!(requests.send(write).await.is_ok());
                assert_eq!(answer.await, Ok(Ok(true)), "{kind} {id}");
            }
            let t = now() + 1_000;
            let claim = |owner: &'static str, at: i64| {
                let store = store.clone();
                async move {
                    store
                        .claim(owner, at, lease)
                        .await
                        .unwrap()
                        .map(|d| (d.id, d.delivery_id, d.attempts))
                }
            };
            let (a1, name, attempts) = claim("w1", t).await.unwrap();
            assert_eq!((name.as_str(), attempts), ("a1", 1), "{kind}");
            let (b1, name, _) = claim("w2", t).await.unwrap();
            assert_eq!(name, "b1", "{kind}: the other lane, a is leased");
            assert_eq!(claim("w3", t).await, None, "{kind}: both lanes are leased");

            // Only the lease's owner ends it.
            store.complete(a1, "w2", t).await.unwrap();
            assert_eq!(claim("w3", t).await, None, "{kind}");
            assert!(store.renew(a1, "w1", t + 120_000).await.unwrap(), "{kind}");
            assert!(!store.renew(a1, "w3", t + 120_000).await.unwrap(), "{kind}");
            store.complete(a1, "w1", t).await.unwrap();
            let (a2, name, _) = claim("w3", t).await.unwrap();
            assert_eq!(name, "a2", "{kind}: the lane's next, once its head is done");

            // A retry keeps only b waiting, until its time.
            store
                .retry_later(b1, "w2", t + 5_000, "GitHub is down")
                .await
                .unwrap();
            assert_eq!(claim("w4", t + 4_999).await, None, "{kind}");
            store.fail(a2, "w3", t, "broken").await.unwrap();
            let (again, name, attempts) = claim("w4", t + 5_000).await.unwrap();
            assert_eq!((again, name.as_str(), attempts), (b1, "b1", 2), "{kind}");
            // Given back unprocessed (shutdown): its attempt does not count.
            store.release(b1, "w4").await.unwrap();
            let (_, _, attempts) = claim("w5", t + 5_000).await.unwrap();
            assert_eq!(attempts, 2, "{kind}");

            let state = |id: &'static str| {
                let store = store.clone();
                async move { store.delivery_state(id).await.unwrap().unwrap().0 }
            };
            assert_eq!(state("a1").await, "done", "{kind}");
            assert_eq!(state("a2").await, "failed", "{kind}");
            assert_eq!(state("b1").await, "pending", "{kind}");
            drop(requests);
            ends(task, kind).await;
        }
    }

    /// On a SQLite file a worker's write is handed to the ingest writer, not made through the
    /// pool: it waits in the writer's queue, behind the door's deliveries, for one commit.
    #[tokio::test]
    async fn a_sqlite_files_queue_writes_go_to_its_writer() {
        let dir = tempfile::tempdir().unwrap();
        let stores = stores(dir.path(), "handed").await;
        for (kind, store) in stores.into_iter().filter(|(kind, _)| *kind == "file") {
            let (writer, mut inbox) = mpsc::channel(8);
            store.hand_queue_to(&writer);
            let finishing = tokio::spawn({
                let store = store.clone();
                async move { store.complete(7, "w1", 1).await }
            });
            let Some(Write::Queue(QueueOp::Finish {
                id,
                owner,
                change,
                reply,
            })) = inbox.recv().await
            else {
                panic!("{kind}: no queue write reached the writer");
            };
            assert_eq!((id, owner.as_str()), (7, "w1"), "{kind}");
            assert_eq!(change, crate::store::Change::Complete { now: 1 }, "{kind}");
            let _ = reply.send(Ok(true));
            finishing.await.unwrap().unwrap();
        }
    }
}
