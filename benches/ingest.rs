//! Durable ingest: throughput and latency of `POST /webhook`, also with a backlog.
//!
//! Three servers are measured one after another in one run, on the same machine as the load:
//!
//! * `baseline`: an axum handler that only reads the body, verifies `X-Hub-Signature-256`
//!   with [`pushgate::github::signature::verify`] and answers 202 — the ceiling for any
//!   webhook door on this machine.
//! * `floor`: the durable floor. The same check, then one writer thread appends each body to a
//!   file and group-commits with one `fdatasync` per batch, answering each request after the
//!   sync that covers it: the cheapest door that stores what it acknowledges, and the honest
//!   reference for one. Its journal is emptied after each of its rounds (see [`empty`]).
//! * `service`: the real service ([`pushgate::service::start`]) as deployed: a fresh SQLite
//!   file (WAL, `synchronous = FULL`), 4 workers, and GitHub down (an address nothing listens
//!   on), as in an outage, so the workers claim, fail and reschedule while ingest goes on.
//!   Then [`BACKLOG`] deliveries are added to its queue, the floor is measured again (closed
//!   loop), and the service once more.
//!
//! The load generator is a small HTTP/1.1 client over keep-alive `TcpStream`s. Requests carry
//! a real ~25 KB `pull_request` payload (GitHub's example from the shared corpus; a built 6 KB
//! one when the corpus is absent) for 1,000 pull requests over 50 repositories in turn, each
//! signed once, and a unique `X-GitHub-Delivery`, so the service stores each one. Two modes
//! per server:
//!
//! * closed loop: [`CLOSED_CONNECTIONS`] connections (or `INGEST_CONNECTIONS`, when set) send
//!   back to back for [`CLOSED_RUN`] after a [`WARM_UP`] → throughput (202 answers per second)
//!   and latency;
//! * open loop: requests scheduled at [`OPEN_RATE`] per second for [`OPEN_RUN`] (after a
//!   [`WARM_UP`] at the same rate) over a pool of [`OPEN_CONNECTIONS`] connections. Latency is
//!   measured from each request's *scheduled* send time, so a server that falls behind shows
//!   its queueing instead of slowing the generator down (no coordinated omission). The
//!   scheduler sleeps on tokio's millisecond timer, so up to ~1 ms of that is the generator's.
//!
//! In the closed loop it also reads the CPU time of the whole process (servers and load
//! generator, from `/proc/self/stat`) over the measured window and prints it per answered
//! request.
//!
//! It prints a table and whether the goals hold (the service's throughput ≥ 50% of the durable
//! floor's first round, with and without the backlog, the backlog round also against the
//! floor measured right before it; at 2,000 deliveries/s: p99 ≤ 50 ms, the rate reached
//! and every answer a 202, with and without the backlog), and checks that the store holds
//! every delivery the service answered 202 for, plus the backlog.
//!
//! Run with `cargo bench --bench ingest`; `BENCH_LOG=pushgate=info` (a `RUST_LOG`-style
//! filter) prints the service's logs to stderr.

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use pushgate::github::{signature, Retry};
use pushgate::service::{self, Settings};
use pushgate::store::{NewDelivery, Payload};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, Mutex};

const SECRET: &[u8] = b"bench webhook secret";
const KEY: &[u8] = include_bytes!("../fixtures/test-app-key.pem");

const WARM_UP: Duration = Duration::from_secs(1);
const CLOSED_CONNECTIONS: usize = 32;
const CLOSED_RUN: Duration = Duration::from_secs(5);
const OPEN_RATE: u64 = 2_000;
const OPEN_RUN: Duration = Duration::from_secs(5);
const OPEN_CONNECTIONS: usize = 64;

const GOAL_RATIO: f64 = 0.5;
const GOAL_P99: Duration = Duration::from_millis(50);

/// The service as deployed runs 4 workers (`PUSHGATE_WORKERS`' default); `INGEST_WORKERS`
/// changes it (0: ingest alone).
const WORKERS: usize = 4;
/// Pending deliveries added before the service's second round.
const BACKLOG: usize = 100_000;
const REPOS: usize = 50;
const PRS_PER_REPO: usize = 20;
const INSTALLATION: i64 = 1;

/// Unique delivery ids across the whole run.
static DELIVERY: AtomicU64 = AtomicU64::new(1);

fn main() {
    // The service's own logs, for finding out what it did during a run: `BENCH_LOG=pushgate=info`.
    if let Ok(filter) = std::env::var("BENCH_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
            .with_writer(std::io::stderr)
            .init();
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run());
}

async fn run() {
    let (bodies, origin) = payloads();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let connections = match std::env::var("INGEST_CONNECTIONS") {
        Ok(n) => n
            .parse::<usize>()
            .ok()
            .filter(|&n| n > 0)
            .expect("INGEST_CONNECTIONS is a number of connections, at least 1"),
        Err(_) => CLOSED_CONNECTIONS,
    };
    println!(
        "ingest bench: payload {} bytes ({origin}; {} pull requests over {REPOS} repositories \
         in turn), {cores} cores; closed loop {connections} connections × {} s, open loop \
         {OPEN_RATE}/s × {} s over {OPEN_CONNECTIONS} connections; {} s warm-up before each",
        bodies[0].len(),
        bodies.len(),
        CLOSED_RUN.as_secs(),
        OPEN_RUN.as_secs(),
        WARM_UP.as_secs()
    );
    let dir = tempfile::tempdir().expect("temp dir");

    // The baseline: verify the signature, answer 202.
    let baseline_addr = serve(
        Router::new()
            .route("/webhook", post(verify_only))
            .with_state(Arc::new(SECRET.to_vec())),
    )
    .await;
    // The durable floor: verify, append to a file, one fdatasync per batch, then 202.
    let journal_path = dir.path().join("floor.journal");
    let journal = Journal::start(&journal_path);
    let floor_addr = serve(
        Router::new()
            .route("/webhook", post(verify_and_append))
            .with_state(journal),
    )
    .await;

    // The real service as deployed: a fresh SQLite file, workers on, and GitHub down (an
    // address nothing listens on), as in an outage: every delivery a worker claims fails and
    // waits for its retry, so the queue only grows.
    let database_url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let unused = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free local port");
    let settings = Settings {
        database_url,
        listen: "127.0.0.1:0".parse().expect("address"),
        github_api: format!("http://{unused}"),
        app_id: 1234,
        private_key: KEY.to_vec(),
        webhook_secret: SECRET.to_vec(),
        workers: std::env::var("INGEST_WORKERS")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(WORKERS),
        reconcile_every: Duration::from_secs(3600),
        wake_every: Duration::from_secs(5),
        lease: Duration::from_secs(30),
        retry: Retry {
            attempts: 4,
            backoff: Duration::from_millis(20),
            max_inline_wait: Duration::from_secs(2),
        },
        replica: "bench".to_string(),
        keep_done: Duration::ZERO,
        dashboard_token: None,
    };
    let service = service::start(settings).await.expect("service starts");

    let targets = [
        ("baseline", baseline_addr),
        ("floor", floor_addr),
        ("service", service.addr),
    ]
    .map(|(name, addr)| Arc::new(Target::new(name, addr, &bodies)));

    let mut rows = Vec::new();
    let mut accepted = 0;
    for target in &targets {
        let closed = closed_loop(target, connections, WARM_UP, CLOSED_RUN).await;
        let open = open_loop(target, OPEN_RATE, OPEN_CONNECTIONS, WARM_UP, OPEN_RUN).await;
        if target.name == "service" {
            accepted += closed.accepted_total + open.accepted_total;
        }
        rows.push((target.name, format!("closed {connections} conns"), closed));
        rows.push((target.name, format!("open {OPEN_RATE}/s"), open));
        if target.name == "floor" {
            empty(&journal_path);
        }
    }

    // A backlog: BACKLOG more deliveries pending, over the same pull requests, then the service
    // again.
    let seeded = seed(&service.store, &bodies, BACKLOG).await;
    // The seed's writes are checkpointed into the database first, so that the next round
    // measures a backlog, not the checkpoint of the bulk insert that made it.
    if let Some(path) = service.store.sqlite_file() {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .expect("a connection for the checkpoint");
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&mut conn)
            .await
            .expect("checkpoint");
    }
    let depth = service.store.depth().await.expect("queue depth");
    println!(
        "backlog: {seeded} deliveries added; {} pending now",
        depth.pending
    );
    // The floor again, right before the service's round with the backlog: how far the
    // machine drifted during the run (the goal is checked against the floor's first round).
    let floor_again = closed_loop(&targets[1], connections, WARM_UP, CLOSED_RUN).await;
    empty(&journal_path);
    rows.push((
        "floor",
        format!("closed {connections} conns, again"),
        floor_again,
    ));
    let service_target = &targets[2];
    let closed = closed_loop(service_target, connections, WARM_UP, CLOSED_RUN).await;
    let open = open_loop(
        service_target,
        OPEN_RATE,
        OPEN_CONNECTIONS,
        WARM_UP,
        OPEN_RUN,
    )
    .await;
    accepted += closed.accepted_total + open.accepted_total;
    let backlog_label = format!("{}k pending", BACKLOG / 1000);
    rows.push(("service", format!("closed, {backlog_label}"), closed));
    rows.push(("service", format!("open, {backlog_label}"), open));

    println!();
    println!(
        "{:<9} {:<20} {:>9} {:>12} {:>9} {:>9} {:>9} {:>8} {:>7} {:>11}",
        "server",
        "mode",
        "measured",
        "rate (/s)",
        "p50 ms",
        "p99 ms",
        "max ms",
        "non-202",
        "errors",
        "CPU µs/req"
    );
    for (name, mode, outcome) in &rows {
        let (p50, p99, max) = outcome.percentiles();
        println!(
            "{:<9} {:<20} {:>9} {:>12.0} {:>9.2} {:>9.2} {:>9.2} {:>8} {:>7} {:>11}",
            name,
            mode,
            outcome.measured(),
            outcome.rate(),
            ms(p50),
            ms(p99),
            ms(max),
            outcome.non_202,
            outcome.errors,
            if outcome.cpu.is_zero() {
                "-".to_string()
            } else {
                format!("{:.1}", outcome.cpu_per_request().as_secs_f64() * 1e6)
            }
        );
    }
    println!();

    let rate = |i: usize| rows[i].2.rate();
    let (floor, service_empty, floor_again, service_backlog) = (rate(2), rate(4), rate(6), rate(7));
    println!(
        "HMAC-only handler {:.0}/s; durable floor {floor:.0}/s, {floor_again:.0}/s again \
         before the backlog round",
        rate(0)
    );
    // The goal is checked against the run's first floor; the share of the floor measured
    // right before the backlog round shows how much of a difference is the machine's drift.
    for (what, rate, again) in [
        ("no backlog", service_empty, None),
        (backlog_label.as_str(), service_backlog, Some(floor_again)),
    ] {
        let ratio = rate / floor.max(f64::MIN_POSITIVE);
        let again = again.map_or(String::new(), |again: f64| {
            format!(
                " ({:.1}% of the floor right before it, {again:.0}/s)",
                rate / again.max(f64::MIN_POSITIVE) * 100.0
            )
        });
        println!(
            "service/floor, {what}: {rate:.0} / {floor:.0} = {:.1}%{again} (goal ≥ {:.0}%): {}",
            ratio * 100.0,
            GOAL_RATIO * 100.0,
            verdict(ratio >= GOAL_RATIO)
        );
    }
    for (what, open) in [
        ("no backlog", &rows[5].2),
        (backlog_label.as_str(), &rows[8].2),
    ] {
        let (_, p99, _) = open.percentiles();
        let reached = open.rate() >= OPEN_RATE as f64 * 0.99;
        let clean = open.non_202 == 0 && open.errors == 0;
        println!(
            "service at {OPEN_RATE}/s, {what}: achieved {:.0}/s, p99 {:.2} ms (goal ≤ {} ms), \
             {} non-202, {} errors: {}",
            open.rate(),
            ms(p99),
            GOAL_P99.as_millis(),
            open.non_202,
            open.errors,
            verdict(p99 <= GOAL_P99 && reached && clean)
        );
    }

    // The workers stop first: a delivery they move from pending to done between the two
    // counts below would be counted twice.
    let store = service.store.clone();
    if tokio::time::timeout(
        Duration::from_secs(5),
        service.shutdown(Duration::from_secs(1)),
    )
    .await
    .is_err()
    {
        eprintln!("service did not shut down within 5 s");
    }
    let depth = store.depth().await.expect("queue depth");
    let done = store.done_count().await.expect("processed deliveries");
    let stored = depth.pending + depth.failed + done;
    let expected = accepted as i64 + seeded as i64;
    println!(
        "store: {stored} deliveries ({} pending, {} failed, {} done); answered 202 {accepted} \
         times + {seeded} seeded: {}",
        depth.pending,
        depth.failed,
        done,
        if stored == expected {
            "match"
        } else {
            "MISMATCH"
        }
    );
    drop(dir);
}

/// Serves `router` on a fresh local port.
async fn serve(router: Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("listens");
    let addr = listener.local_addr().expect("address");
    tokio::spawn(async move {
        axum::serve(listener, router).await.expect("serves");
    });
    addr
}

/// Stores `n` pending deliveries straight into the queue, `bodies` in turn, in transactions of
/// 5,000 (as a backlog built while GitHub was down); returns how many.
async fn seed(store: &pushgate::store::Store, bodies: &[Vec<u8>], n: usize) -> usize {
    let packed: Vec<(String, i64, Payload)> = bodies
        .iter()
        .map(|body| {
            let value: Value = serde_json::from_slice(body).expect("payload is JSON");
            let repo = value["repository"]["full_name"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let number = value["number"].as_i64().unwrap_or(0);
            (repo, number, Payload::pack(body))
        })
        .collect();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    let mut stored = 0;
    while stored < n {
        let batch: Vec<NewDelivery> = (stored..n.min(stored + 5_000))
            .map(|i| {
                let (repo, number, payload) = &packed[i % packed.len()];
                NewDelivery {
                    delivery_id: format!("5eed0000-0000-4000-8000-{i:012x}"),
                    event: "pull_request".to_string(),
                    action: "synchronize".to_string(),
                    repo: repo.clone(),
                    lane: pushgate::worker::lane(
                        "pull_request",
                        "synchronize",
                        repo,
                        Some(*number),
                        false,
                    ),
                    installation_id: INSTALLATION,
                    payload: payload.clone(),
                }
            })
            .collect();
        store
            .insert_deliveries(&batch, now)
            .await
            .expect("backlog stored");
        stored += batch.len();
    }
    stored
}

/// Empties the floor's journal once its round is over: the gigabytes it wrote would stay in
/// the page cache, and what the next server writes would go to memory the machine has not
/// used yet. On this VM that costs much more per byte (`perf`: the kernel's copy into the
/// page cache went from 3.5% to 36% of the floor's profile between its two rounds of a run),
/// which no server should pay for the floor.
fn empty(journal: &std::path::Path) {
    std::fs::OpenOptions::new()
        .write(true)
        .open(journal)
        .and_then(|file| file.set_len(0))
        .expect("the floor's journal is emptied");
}

/// The durable floor's writer: one thread appends each body to a file and makes each batch
/// durable with one `fdatasync`, then answers every request of the batch. The cheapest
/// durable door this machine allows, with no database and no queue to claim from.
#[derive(Clone)]
struct Journal {
    tx: std::sync::mpsc::Sender<(Bytes, tokio::sync::oneshot::Sender<()>)>,
}

impl Journal {
    fn start(path: &std::path::Path) -> Journal {
        use std::io::Write;
        let (tx, rx) = std::sync::mpsc::channel::<(Bytes, tokio::sync::oneshot::Sender<()>)>();
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .expect("journal opens");
        std::thread::spawn(move || {
            let mut waiting = Vec::new();
            while let Ok(first) = rx.recv() {
                waiting.push(first);
                while let Ok(more) = rx.try_recv() {
                    waiting.push(more);
                }
                for (body, _) in &waiting {
                    file.write_all(body).expect("journal write");
                }
                file.sync_data().expect("journal fdatasync");
                for (_, done) in waiting.drain(..) {
                    let _ = done.send(());
                }
            }
        });
        Journal { tx }
    }
}

/// The durable floor's handler: the signature check, then the journal.
async fn verify_and_append(
    State(journal): State<Journal>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if !signature::verify(SECRET, &body, header) {
        return StatusCode::UNAUTHORIZED;
    }
    let (done, synced) = tokio::sync::oneshot::channel();
    if journal.tx.send((body, done)).is_err() {
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    match synced.await {
        Ok(()) => StatusCode::ACCEPTED,
        Err(_) => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn verdict(met: bool) -> &'static str {
    if met {
        "met"
    } else {
        "NOT met"
    }
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The baseline handler: the signature check and nothing else.
async fn verify_only(
    State(secret): State<Arc<Vec<u8>>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let header = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    if signature::verify(&secret, &body, header) {
        StatusCode::ACCEPTED
    } else {
        StatusCode::UNAUTHORIZED
    }
}

/// A server under load, with the request bytes around the delivery id prepared once per
/// payload (one per pull request of [`payloads`], sent in turn).
struct Target {
    name: &'static str,
    addr: SocketAddr,
    requests: Vec<(Vec<u8>, Vec<u8>)>,
}

impl Target {
    fn new(name: &'static str, addr: SocketAddr, bodies: &[Vec<u8>]) -> Target {
        let requests = bodies
            .iter()
            .map(|body| {
                let signature = signature::sign(SECRET, body);
                let head = format!(
                    "POST /webhook HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: GitHub-Hookshot/bench\r\n\
                     Accept: */*\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\
                     X-GitHub-Event: pull_request\r\nX-GitHub-Hook-ID: 4242\r\n\
                     X-Hub-Signature-256: {signature}\r\nX-GitHub-Delivery: ",
                    body.len()
                )
                .into_bytes();
                let mut tail = b"\r\n\r\n".to_vec();
                tail.extend_from_slice(body);
                (head, tail)
            })
            .collect();
        Target {
            name,
            addr,
            requests,
        }
    }

    /// Writes the next request, with a fresh delivery id, into `out`.
    fn request(&self, out: &mut Vec<u8>) {
        use std::io::Write;
        let n = DELIVERY.fetch_add(1, Ordering::Relaxed);
        let (head, tail) = &self.requests[n as usize % self.requests.len()];
        out.clear();
        out.extend_from_slice(head);
        // A GUID-shaped id, like GitHub's; writing into a Vec cannot fail.
        let _ = write!(out, "5e1f0000-0000-4000-8000-{n:012x}");
        out.extend_from_slice(tail);
    }
}

/// One keep-alive HTTP/1.1 connection.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl Conn {
    async fn open(addr: SocketAddr) -> io::Result<Conn> {
        let stream = TcpStream::connect(addr).await?;
        stream.set_nodelay(true)?;
        Ok(Conn {
            stream,
            buf: Vec::with_capacity(4096),
        })
    }

    /// Sends one request and reads the whole answer; returns its status code.
    async fn exchange(&mut self, request: &[u8]) -> io::Result<u16> {
        self.stream.write_all(request).await?;
        self.buf.clear();
        let header_end = loop {
            if let Some(at) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                break at + 4;
            }
            self.fill().await?;
        };
        let head = std::str::from_utf8(&self.buf[..header_end])
            .map_err(|_| invalid("response head is not UTF-8"))?;
        let mut lines = head.split("\r\n");
        let status = lines
            .next()
            .and_then(|line| line.split(' ').nth(1))
            .and_then(|code| code.parse::<u16>().ok())
            .ok_or_else(|| invalid("bad status line"))?;
        let mut length = None;
        for line in lines {
            if let Some((name, value)) = line.split_once(':') {
                if name.trim().eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse::<usize>().ok();
                } else if name.trim().eq_ignore_ascii_case("transfer-encoding") {
                    return Err(invalid("chunked answers are not supported"));
                }
            }
        }
        let length = length.ok_or_else(|| invalid("answer without Content-Length"))?;
        while self.buf.len() < header_end + length {
            self.fill().await?;
        }
        Ok(status)
    }

    async fn fill(&mut self) -> io::Result<()> {
        self.buf.reserve(4096);
        if self.stream.read_buf(&mut self.buf).await? == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        Ok(())
    }
}

fn invalid(message: &'static str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message)
}

/// A connection that reopens after an I/O error.
struct Client {
    target: Arc<Target>,
    conn: Option<Conn>,
    request: Vec<u8>,
}

impl Client {
    async fn new(target: Arc<Target>) -> Client {
        let conn = Conn::open(target.addr).await.expect("connects");
        let request =
            Vec::with_capacity(target.requests[0].0.len() + target.requests[0].1.len() + 64);
        Client {
            target,
            conn: Some(conn),
            request,
        }
    }

    /// One delivery; `None` on an I/O error (the connection is reopened next time).
    async fn send(&mut self) -> Option<u16> {
        self.target.request(&mut self.request);
        let conn = match self.conn.as_mut() {
            Some(conn) => conn,
            None => self.conn.insert(Conn::open(self.target.addr).await.ok()?),
        };
        match conn.exchange(&self.request).await {
            Ok(status) => Some(status),
            Err(_) => {
                self.conn = None;
                None
            }
        }
    }
}

/// What one phase saw in its measured window.
#[derive(Default)]
struct Outcome {
    latencies: Vec<Duration>,
    /// 202 answers in the window.
    accepted: u64,
    non_202: u64,
    errors: u64,
    /// 202 answers including the warm-up (what the store must hold).
    accepted_total: u64,
    window: Duration,
    /// CPU time the whole process (servers and load generator) used in the window.
    cpu: Duration,
}

impl Outcome {
    fn merge(&mut self, other: Outcome) {
        self.latencies.extend(other.latencies);
        self.accepted += other.accepted;
        self.non_202 += other.non_202;
        self.errors += other.errors;
        self.accepted_total += other.accepted_total;
    }

    fn record(&mut self, status: Option<u16>, latency: Duration, measured: bool) {
        if status == Some(202) {
            self.accepted_total += 1;
        }
        if !measured {
            return;
        }
        match status {
            Some(202) => self.accepted += 1,
            Some(_) => self.non_202 += 1,
            None => self.errors += 1,
        }
        self.latencies.push(latency);
    }

    fn measured(&self) -> usize {
        self.latencies.len()
    }

    /// 202 answers per second of the window.
    fn rate(&self) -> f64 {
        self.accepted as f64 / self.window.as_secs_f64().max(f64::MIN_POSITIVE)
    }

    /// CPU time (servers and load generator together) per 202 answer in the window.
    fn cpu_per_request(&self) -> Duration {
        self.cpu / self.accepted.max(1) as u32
    }

    /// p50, p99 and max (nearest rank).
    fn percentiles(&self) -> (Duration, Duration, Duration) {
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let rank = |q: f64| -> Duration {
            if sorted.is_empty() {
                return Duration::ZERO;
            }
            let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
            sorted[i]
        };
        (rank(0.50), rank(0.99), rank(1.0))
    }
}

/// `connections` clients send back to back; answers completed in `[warm_up, warm_up + run]`
/// are measured.
async fn closed_loop(
    target: &Arc<Target>,
    connections: usize,
    warm_up: Duration,
    run: Duration,
) -> Outcome {
    let start = Instant::now();
    let from = start + warm_up;
    let until = from + run;
    let cpu = tokio::spawn(cpu_between(from, until));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::new(target).await;
            let mut outcome = Outcome::default();
            while Instant::now() < until {
                let sent = Instant::now();
                let status = client.send().await;
                let done = Instant::now();
                outcome.record(status, done - sent, done >= from && done <= until);
            }
            outcome
        }));
    }
    let mut total = Outcome {
        window: run,
        ..Outcome::default()
    };
    for task in tasks {
        total.merge(task.await.expect("closed-loop client"));
    }
    total.cpu = cpu.await.expect("CPU sampler");
    total
}

/// The CPU time this process uses between two instants.
async fn cpu_between(from: Instant, until: Instant) -> Duration {
    tokio::time::sleep_until(from.into()).await;
    let start = process_cpu();
    tokio::time::sleep_until(until.into()).await;
    process_cpu().saturating_sub(start)
}

/// User and system CPU time of the whole process so far, from `/proc/self/stat` (Linux's
/// clock ticks are 1/100 s there); zero where that file cannot be read.
fn process_cpu() -> Duration {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return Duration::ZERO;
    };
    // The fields after the command name in parentheses start with the third, `state`;
    // `utime` and `stime` are the 14th and 15th.
    let Some((_, rest)) = stat.rsplit_once(')') else {
        return Duration::ZERO;
    };
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// Requests scheduled at `rate` per second, served by a pool of `connections` clients; latency
/// runs from the scheduled send time. Requests scheduled after the warm-up are measured.
async fn open_loop(
    target: &Arc<Target>,
    rate: u64,
    connections: usize,
    warm_up: Duration,
    run: Duration,
) -> Outcome {
    let period = Duration::from_secs(1) / rate as u32;
    let warm_count = (warm_up.as_secs_f64() * rate as f64) as u64;
    let total = warm_count + (run.as_secs_f64() * rate as f64) as u64;
    let (jobs, queue) = mpsc::unbounded_channel::<(Instant, bool)>();
    let queue = Arc::new(Mutex::new(queue));

    let mut tasks = Vec::new();
    for _ in 0..connections {
        let target = target.clone();
        let queue = queue.clone();
        tasks.push(tokio::spawn(async move {
            let mut client = Client::new(target).await;
            let mut outcome = Outcome::default();
            let mut last_done = None;
            loop {
                let job = queue.lock().await.recv().await;
                let Some((scheduled, measured)) = job else {
                    break;
                };
                let status = client.send().await;
                let done = Instant::now();
                outcome.record(status, done.saturating_duration_since(scheduled), measured);
                if measured {
                    last_done = Some(done);
                }
            }
            (outcome, last_done)
        }));
    }

    let start = Instant::now() + Duration::from_millis(10);
    let from = start + period * warm_count as u32;
    let mut next = 0u64;
    while next < total {
        let now = Instant::now();
        while next < total {
            let scheduled = start + period * next as u32;
            if scheduled > now {
                break;
            }
            // The receivers live until this sender is dropped.
            let _ = jobs.send((scheduled, next >= warm_count));
            next += 1;
        }
        if next < total {
            tokio::time::sleep_until((start + period * next as u32).into()).await;
        }
    }
    drop(jobs);

    let mut outcome = Outcome::default();
    let mut last_done = from + run;
    for task in tasks {
        let (part, done) = task.await.expect("open-loop client");
        outcome.merge(part);
        if let Some(done) = done {
            last_done = last_done.max(done);
        }
    }
    // The window stretches when the last measured answers come late.
    outcome.window = last_done - from;
    outcome
}

/// A GitHub user object as webhooks carry it (a few of its URL templates).
fn user(login: &str, id: u64) -> Value {
    let api = format!("https://api.github.com/users/{login}");
    json!({
        "login": login,
        "id": id,
        "node_id": format!("MDQ6VXNlcj{id}"),
        "avatar_url": format!("https://avatars.githubusercontent.com/u/{id}?v=4"),
        "gravatar_id": "",
        "url": api,
        "html_url": format!("https://github.com/{login}"),
        "repos_url": format!("{api}/repos"),
        "type": "User",
        "site_admin": false
    })
}

/// A repository object, with a few of its URL templates.
fn repository(full_name: &str, id: u64) -> Value {
    let owner = full_name.split('/').next().unwrap_or(full_name);
    let api = format!("https://api.github.com/repos/{full_name}");
    json!({
        "id": id,
        "node_id": format!("R_kgDO{id}"),
        "name": full_name.split('/').nth(1).unwrap_or(full_name),
        "full_name": full_name,
        "private": false,
        "owner": user(owner, id + 1),
        "html_url": format!("https://github.com/{full_name}"),
        "description": "A type-1 hypervisor, developed the Xen way",
        "fork": false,
        "url": api,
        "pulls_url": format!("{api}/pulls{{/number}}"),
        "statuses_url": format!("{api}/statuses/{{sha}}"),
        "git_url": format!("git://github.com/{full_name}.git"),
        "ssh_url": format!("git@github.com:{full_name}.git"),
        "clone_url": format!("https://github.com/{full_name}.git"),
        "created_at": "2019-03-14T09:26:53Z",
        "updated_at": "2025-06-02T11:40:07Z",
        "pushed_at": "2025-06-02T11:39:58Z",
        "size": 211_832,
        "stargazers_count": 512,
        "watchers_count": 512,
        "language": "C",
        "forks_count": 97,
        "open_issues_count": 41,
        "default_branch": "staging",
        "topics": ["hypervisor", "virtualization"],
        "visibility": "public"
    })
}

/// A `pull_request` `synchronize` event of about 6 KB.
/// The payloads sent, one per pull request: [`PRS_PER_REPO`] pull requests in each of
/// [`REPOS`] repositories, as `synchronize` deliveries. The body is a real `pull_request`
/// payload of about 25 KB from the shared corpus (GitHub's own examples) when it is there,
/// else [`payload`]'s 6 KB one; says which.
fn payloads() -> (Vec<Vec<u8>>, String) {
    let corpus = std::env::var("PUSHGATE_TEST_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus")
        });
    let examples = corpus.join("github/webhook-examples.json");
    let real = std::fs::read(&examples)
        .ok()
        .and_then(|bytes| serde_json::from_slice::<Value>(&bytes).ok())
        .and_then(|events| {
            events.as_array()?.iter().find_map(|event| {
                (event["name"] == "pull_request").then_some(())?;
                event["examples"].as_array()?.iter().find_map(|example| {
                    let size = serde_json::to_vec(example).ok()?.len();
                    (24_000..=28_000)
                        .contains(&size)
                        .then(|| (example.clone(), example["action"].clone()))
                })
            })
        });
    let (base, origin) = match real {
        Some((example, action)) => (
            example,
            format!(
                "GitHub's `pull_request` example ({action}) from {}",
                examples.display()
            ),
        ),
        None => (payload(), "a built `pull_request` payload".to_string()),
    };
    let mut bodies = Vec::new();
    for r in 0..REPOS {
        for n in 1..=PRS_PER_REPO {
            let mut body = base.clone();
            body["action"] = json!("synchronize");
            body["number"] = json!(n);
            body["pull_request"]["number"] = json!(n);
            body["repository"]["full_name"] = json!(format!("bench-org/repo-{r:02}"));
            body["installation"] = json!({ "id": INSTALLATION });
            bodies.push(serde_json::to_vec(&body).expect("payload serializes"));
        }
    }
    (bodies, origin)
}

fn payload() -> Value {
    let repo = "xen-like/hypervisor";
    let api = format!("https://api.github.com/repos/{repo}");
    let number = 1873;
    json!({
        "action": "synchronize",
        "number": number,
        "before": "6f1c0a3e5d2b4c7a9e8f0b1d2c3e4f5a6b7c8d9e",
        "after": "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d",
        "pull_request": {
            "url": format!("{api}/pulls/{number}"),
            "id": 2_003_245_771u64,
            "node_id": "PR_kwDOBench1873",
            "html_url": format!("https://github.com/{repo}/pull/{number}"),
            "diff_url": format!("https://github.com/{repo}/pull/{number}.diff"),
            "patch_url": format!("https://github.com/{repo}/pull/{number}.patch"),
            "number": number,
            "state": "open",
            "locked": false,
            "title": "x86/shadow: drop the unused OOS snapshot in sh_resync_all()",
            "user": user("nora-gh", 7_001),
            "body": "The out-of-sync snapshot taken in sh_resync_all() has not been read \
                     since the fixup tables were reworked; drop it and the helper that \
                     filled it.\n\nSigned-off-by: Nora Newcomer <nora@new.example>",
            "created_at": "2025-06-01T08:12:44Z",
            "updated_at": "2025-06-02T11:40:07Z",
            "draft": false,
            "head": {
                "label": "nora-gh:shadow-oos",
                "ref": "shadow-oos",
                "sha": "9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d",
                "user": user("nora-gh", 7_001),
                "repo": repository("nora-gh/hypervisor", 88_100)
            },
            "base": {
                "label": "xen-like:staging",
                "ref": "staging",
                "sha": "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b",
                "user": user("xen-like", 5_000),
                "repo": repository(repo, 77_000)
            },
            "author_association": "CONTRIBUTOR",
            "merged": false,
            "mergeable_state": "unknown",
            "comments": 3,
            "review_comments": 1,
            "commits": 2,
            "additions": 14,
            "deletions": 57,
            "changed_files": 2
        },
        "repository": repository(repo, 77_000),
        "installation": { "id": 42, "node_id": "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uNDI=" },
        "sender": user("nora-gh", 7_001)
    })
}
