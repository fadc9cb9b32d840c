//! `pushgate serve`: settings from the environment, and the running service — HTTP door,
//! ingest writer, workers, reconciler and wake-ups — with a graceful shutdown.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

use crate::github::{GitHub, GitHubError, Retry};
use crate::handlers::{Clock, Context};
use crate::ingest;
use crate::metrics::Metrics;
use crate::server::{self, AppState};
use crate::store::{Store, StoreError};
use crate::worker::{self, Worker};

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error("{0} is not set")]
    Missing(&'static str),
    #[error("{name} is invalid: {message}")]
    Invalid { name: &'static str, message: String },
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    GitHub(#[from] GitHubError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// Everything `serve` needs.
#[derive(Clone)]
pub struct Settings {
    pub database_url: String,
    pub listen: SocketAddr,
    pub github_api: String,
    pub app_id: u64,
    pub private_key: Vec<u8>,
    pub webhook_secret: Vec<u8>,
    pub workers: usize,
    /// Zero turns the reconciler off (tests that count GitHub calls).
    pub reconcile_every: Duration,
    pub wake_every: Duration,
    pub lease: Duration,
    pub retry: Retry,
    /// A name for this replica in leases (host and process id by default).
    pub replica: String,
    /// Processed deliveries are deleted this long after processing; zero keeps them forever.
    pub keep_done: Duration,
    /// The dashboard's read token (`PUSHGATE_DASHBOARD_TOKEN`): without it only public
    /// repositories are shown.
    pub dashboard_token: Option<String>,
}

/// How often processed deliveries older than `keep_done` are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// GitHub Enterprise Server offers redelivery for 7 days (github.com for 3), and a redelivery
/// of a deleted delivery would be taken as new: processed deliveries are kept at least this
/// long.
pub const MIN_KEEP_DAYS: u64 = 7;
/// A century: any longer is forever.
const MAX_KEEP_DAYS: u64 = 36_500;

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Secrets stay out of logs.
        f.debug_struct("Settings")
            .field("database_url", &redact_url(&self.database_url))
            .field("listen", &self.listen)
            .field("github_api", &self.github_api)
            .field("app_id", &self.app_id)
            .field("workers", &self.workers)
            .field("keep_done", &self.keep_done)
            .finish_non_exhaustive()
    }
}

/// A database URL without its passwords: the one before the host, and `password` or
/// `sslpassword` parameters (PostgreSQL takes both forms).
pub fn redact_url(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut redacted = match (base.find("://"), base.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => match base[scheme + 3..at].split_once(':') {
            Some((user, _)) => format!("{}{user}:***{}", &base[..scheme + 3], &base[at..]),
            None => base.to_string(),
        },
        _ => base.to_string(),
    };
    if let Some(query) = query {
        let params: Vec<String> = query
            .split('&')
            .map(|param| match param.split_once('=') {
                Some((key, _))
                    if key.eq_ignore_ascii_case("password")
                        || key.eq_ignore_ascii_case("sslpassword") =>
                {
                    format!("{key}=***")
                }
                _ => param.to_string(),
            })
            .collect();
        redacted.push('?');
        redacted.push_str(&params.join("&"));
    }
    redacted
}

impl Settings {
    /// Reads SPEC §7's environment: `PUSHGATE_APP_ID`, `PUSHGATE_PRIVATE_KEY` or
    /// `PUSHGATE_PRIVATE_KEY_PATH`, `PUSHGATE_WEBHOOK_SECRET`, `DATABASE_URL`,
    /// `PUSHGATE_GITHUB_API`, `PUSHGATE_LISTEN`, plus `PUSHGATE_WORKERS`,
    /// `PUSHGATE_RECONCILE_SECONDS` and `PUSHGATE_KEEP_DELIVERIES_DAYS`.
    pub fn from_env() -> Result<Settings, SetupError> {
        Settings::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Settings::from_env`] over any source of variables; empty values count as unset.
    pub fn from_vars(lookup: impl Fn(&str) -> Option<String>) -> Result<Settings, SetupError> {
        let var = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let app_id = var("PUSHGATE_APP_ID")
            .ok_or(SetupError::Missing("PUSHGATE_APP_ID"))?
            .trim()
            .parse()
            .map_err(|e| SetupError::Invalid {
                name: "PUSHGATE_APP_ID",
                message: format!("{e}"),
            })?;
        let private_key = match (
            var("PUSHGATE_PRIVATE_KEY"),
            var("PUSHGATE_PRIVATE_KEY_PATH"),
        ) {
            (Some(key), _) => key.replace("\\n", "\n").into_bytes(),
            (None, Some(path)) => std::fs::read(&path).map_err(|source| SetupError::Read {
                path: PathBuf::from(path),
                source,
            })?,
            (None, None) => {
                return Err(SetupError::Missing(
                    "PUSHGATE_PRIVATE_KEY or PUSHGATE_PRIVATE_KEY_PATH",
                ))
            }
        };
        let webhook_secret = var("PUSHGATE_WEBHOOK_SECRET")
            .ok_or(SetupError::Missing("PUSHGATE_WEBHOOK_SECRET"))?
            .into_bytes();
        let listen = var("PUSHGATE_LISTEN")
            .unwrap_or_else(|| "127.0.0.1:3000".to_string())
            .parse()
            .map_err(|e| SetupError::Invalid {
                name: "PUSHGATE_LISTEN",
                message: format!("{e}"),
            })?;
        let number = |name: &'static str, default: u64| -> Result<u64, SetupError> {
            match var(name) {
                Some(v) => v.trim().parse().map_err(|e| SetupError::Invalid {
                    name,
                    message: format!("{e}"),
                }),
                None => Ok(default),
            }
        };
        Ok(Settings {
            database_url: var("DATABASE_URL").unwrap_or_else(|| "sqlite://pushgate.db".to_string()),
            listen,
            github_api: var("PUSHGATE_GITHUB_API")
                .unwrap_or_else(|| "https://api.github.com".to_string()),
            app_id,
            private_key,
            webhook_secret,
            workers: number("PUSHGATE_WORKERS", 4)?.clamp(1, 64) as usize,
            reconcile_every: Duration::from_secs(number("PUSHGATE_RECONCILE_SECONDS", 300)?.max(5)),
            wake_every: Duration::from_secs(5),
            // Renewed every third of it while work goes on: a replica that dies holds its
            // deliveries this long at most.
            lease: Duration::from_secs(30),
            retry: Retry::default(),
            replica: format!(
                "{}-{}",
                var("HOSTNAME").unwrap_or_else(|| "pushgate".to_string()),
                std::process::id()
            ),
            keep_done: match number("PUSHGATE_KEEP_DELIVERIES_DAYS", 30)? {
                0 => Duration::ZERO,
                days => Duration::from_secs(days.clamp(MIN_KEEP_DAYS, MAX_KEEP_DAYS) * 86_400),
            },
            dashboard_token: var("PUSHGATE_DASHBOARD_TOKEN").map(|t| t.trim().to_string()),
        })
    }
}

/// Sleeps for `period` in a background loop; false when the service stops first.
async fn pause(period: Duration, stop: &mut watch::Receiver<bool>) -> bool {
    tokio::select! {
        _ = tokio::time::sleep(period) => true,
        _ = stop.wait_for(|s| *s) => false,
    }
}

/// A running service.
pub struct Service {
    pub addr: SocketAddr,
    pub store: Store,
    pub clock: Arc<Clock>,
    pub metrics: Arc<Metrics>,
    pub context: Arc<Context>,
    pub github: Arc<GitHub>,
    stop: watch::Sender<bool>,
    abort: watch::Sender<bool>,
    /// Closes the HTTP door (after the workers have stopped).
    http_close: watch::Sender<bool>,
    shutting_down: Arc<AtomicBool>,
    /// Set by [`Service::kill`]: the ingest writer commits nothing more.
    killed: Arc<AtomicBool>,
    http: JoinHandle<()>,
    workers: Vec<JoinHandle<()>>,
    background: Vec<JoinHandle<()>>,
}

/// Starts the service; returns once it listens.
pub async fn start(settings: Settings) -> Result<Service, SetupError> {
    let store = Store::connect(&settings.database_url).await?;
    let metrics = Arc::new(Metrics::new());
    let github = Arc::new(GitHub::new(
        &settings.github_api,
        settings.app_id,
        &settings.private_key,
        metrics.clone(),
        settings.retry,
    )?);
    let clock = Arc::new(Clock::default());
    let context = Arc::new(Context::new(store.clone(), clock.clone()));
    let wake = Arc::new(Notify::new());
    let shutting_down = Arc::new(AtomicBool::new(false));
    let killed = Arc::new(AtomicBool::new(false));
    let (ingest_tx, ingest_task) = ingest::spawn(&store, 4096, wake.clone(), killed.clone())?;
    let state = AppState {
        store: store.clone(),
        secret: Arc::new(settings.webhook_secret.clone()),
        metrics: metrics.clone(),
        ingest: ingest_tx,
        shutting_down: shutting_down.clone(),
        wake: wake.clone(),
        workers: settings.workers,
        dashboard_token: settings.dashboard_token.as_deref().map(Arc::from),
        clock: clock.clone(),
    };
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|source| SetupError::Listen {
            addr: settings.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| SetupError::Listen {
        addr: settings.listen,
        source,
    })?;
    let (stop, stop_rx) = watch::channel(false);
    let (abort, abort_rx) = watch::channel(false);
    let router = server::router(state);
    // The door stays open until the workers are done: while they finish, `/readyz` answers 503
    // and deliveries are still stored (for the next start), rather than refused.
    let (http_close, mut http_stop) = watch::channel(false);
    let http = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = http_stop.wait_for(|s| *s).await;
            })
            .await;
        if let Err(e) = served {
            tracing::error!(error = %e, "HTTP server stopped");
        }
    });
    // One process serves a SQLite database: what the store says is leased, a dead process
    // held (a crash costs no lease time).
    match store.take_over_dead_leases().await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            deliveries = n,
            "took over the leases of a process that died"
        ),
        Err(e) => tracing::warn!(error = %e, "could not take over dead leases; they will run out"),
    }
    let mut workers = Vec::new();
    let outage = Arc::new(crate::outage::Outage::default());
    for n in 0..settings.workers {
        let worker = Worker {
            ctx: context.clone(),
            github: github.clone(),
            metrics: metrics.clone(),
            owner: format!("{}#{n}", settings.replica),
            lease: settings.lease,
            wake: wake.clone(),
            outage: outage.clone(),
        };
        let (stop, abort) = (stop_rx.clone(), abort_rx.clone());
        let (owner, store, metrics) = (worker.owner.clone(), store.clone(), metrics.clone());
        metrics.workers_running.inc();
        workers.push(tokio::spawn(supervise(
            move || worker.clone().run(stop.clone(), abort.clone()),
            stop_rx.clone(),
            metrics,
            RESTART_PAUSE,
            move || {
                let (store, owner) = (store.clone(), owner.clone());
                async move {
                    // What the dead worker held is given back at once (its attempt counted),
                    // rather than when its lease runs out.
                    if let Err(e) = store.release_held(&owner).await {
                        tracing::warn!(error = %e, %owner, "could not release a dead worker's leases");
                    }
                }
            },
        )));
    }
    let mut background = vec![ingest_task];
    if !settings.reconcile_every.is_zero() {
        let (github, context, wake, mut stop) = (
            github.clone(),
            context.clone(),
            wake.clone(),
            stop_rx.clone(),
        );
        let every = settings.reconcile_every;
        let started = format!("start-{}-{}", settings.replica, context.clock.now_millis());
        background.push(tokio::spawn(async move {
            let mut round = started;
            loop {
                match worker::reconcile(&github, &context, &round).await {
                    Ok(n) => {
                        tracing::info!(pull_requests = n, "reconciled open pull requests");
                        wake.notify_waiters();
                    }
                    Err(e) => tracing::warn!(error = %e, "reconciling failed; will try again"),
                }
                if !pause(every, &mut stop).await {
                    return;
                }
                // Replicas share a round's delivery ids, so one of them re-evaluates a PR once
                // per period. The start-up round is the process's own: a quick restart still
                // catches up on what it missed while it was down.
                round = (context.clock.now() / every.as_secs().max(1) as i64).to_string();
            }
        }));
    }
    {
        let (context, wake, mut stop) = (context.clone(), wake.clone(), stop_rx.clone());
        let every = settings.wake_every;
        background.push(tokio::spawn(async move {
            loop {
                match worker::wake_due(&context).await {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(pull_requests = n, "review windows ended");
                        wake.notify_waiters();
                    }
                    Err(e) => tracing::warn!(error = %e, "wake-ups failed; will try again"),
                }
                if !pause(every, &mut stop).await {
                    return;
                }
            }
        }));
    }
    if !settings.keep_done.is_zero() {
        let (store, clock, mut stop) = (store.clone(), clock.clone(), stop_rx.clone());
        let keep = i64::try_from(settings.keep_done.as_millis()).unwrap_or(i64::MAX);
        background.push(tokio::spawn(async move {
            loop {
                match store
                    .prune_done(clock.now_millis().saturating_sub(keep))
                    .await
                {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(deliveries = n, "deleted old processed deliveries"),
                    Err(e) => tracing::warn!(error = %e, "deleting old deliveries failed"),
                }
                if !pause(PRUNE_EVERY, &mut stop).await {
                    return;
                }
            }
        }));
    }
    tracing::info!(%addr, settings = ?settings, "pushgate is serving");
    Ok(Service {
        addr,
        store,
        clock,
        metrics,
        context,
        github,
        stop,
        abort,
        http_close,
        shutting_down,
        killed,
        http,
        workers,
        background,
    })
}

/// How long a worker that panicked waits before it is started again (no hot loop when every
/// run panics).
const RESTART_PAUSE: Duration = Duration::from_secs(1);

/// A task aborted when dropped: a supervisor that is aborted (a kill) takes its worker along.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs one life of a worker after another: a life that panics is counted
/// (`worker_restarts`), `after_panic` gives back what it held, and a new life starts after
/// `pause`, unless the service is stopping; a life that returns (the service stops) ends it.
/// `workers_running` counts the worker while a life runs; the caller counted it on start.
async fn supervise<L, F, P, G>(
    mut life: L,
    stop: watch::Receiver<bool>,
    metrics: Arc<Metrics>,
    pause: Duration,
    after_panic: P,
) where
    L: FnMut() -> F,
    F: std::future::Future<Output = ()> + Send + 'static,
    P: Fn() -> G,
    G: std::future::Future<Output = ()>,
{
    loop {
        let mut task = AbortOnDrop(tokio::spawn(life()));
        let ended = (&mut task.0).await;
        metrics.workers_running.dec();
        match ended {
            Err(e) if e.is_panic() => {
                metrics.worker_restarts.inc();
                tracing::error!("a worker panicked; it will be restarted");
                after_panic().await;
            }
            // Stopped, or aborted with the service.
            _ => return,
        }
        if *stop.borrow() {
            return;
        }
        tokio::time::sleep(pause).await;
        metrics.workers_running.inc();
    }
}

impl Service {
    /// Stops taking work, lets each worker finish the delivery in hand (up to `grace`), then
    /// releases whatever is still held, and stops. Until the workers have stopped, `/readyz`
    /// answers 503 and webhooks are still stored; then the HTTP door closes.
    pub async fn shutdown(mut self, grace: Duration) {
        self.shutting_down.store(true, Ordering::SeqCst);
        let _ = self.stop.send(true);
        let finished = tokio::time::timeout(grace, async {
            for worker in &mut self.workers {
                let _ = worker.await;
            }
        })
        .await;
        if finished.is_err() {
            let _ = self.abort.send(true);
            for worker in &mut self.workers {
                let _ = worker.await;
            }
        }
        let _ = self.http_close.send(true);
        let _ = (&mut self.http).await;
        for task in &self.background {
            task.abort();
        }
    }

    /// Stops at once, like a killed process (tests of crash recovery).
    pub fn kill(self) {
        // The writer may run on a thread of its own, which an abort does not reach.
        self.killed.store(true, Ordering::SeqCst);
        self.http.abort();
        for task in self.workers.into_iter().chain(self.background) {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A worker that panics is restarted and counted; while it waits to restart it is not
    /// counted as running; a life that ends normally is not restarted.
    #[tokio::test]
    async fn a_worker_that_panics_is_restarted_and_counted() {
        let metrics = Arc::new(Metrics::new());
        let (_stop, stop_rx) = watch::channel(false);
        let lives = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let released = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        metrics.workers_running.inc();
        let counted = lives.clone();
        let gave_back = released.clone();
        supervise(
            move || {
                let n = counted.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 2 {
                        panic!("a bug in handling a delivery");
                    }
                }
            },
            stop_rx,
            metrics.clone(),
            Duration::from_millis(1),
            move || {
                gave_back.fetch_add(1, Ordering::SeqCst);
                async {}
            },
        )
        .await;
        assert_eq!(lives.load(Ordering::SeqCst), 3);
        assert_eq!(released.load(Ordering::SeqCst), 2);
        assert_eq!(metrics.worker_restarts.get(), 2);
        assert_eq!(metrics.workers_running.get(), 0);
        assert!(metrics
            .render()
            .contains("pushgate_worker_restarts_total 2"));
    }

    #[test]
    fn database_urls_are_logged_without_their_passwords() {
        let cases = [
            ("sqlite://pushgate.db", "sqlite://pushgate.db"),
            (
                "postgres://pushgate:s3cret@db:5432/pushgate",
                "postgres://pushgate:***@db:5432/pushgate",
            ),
            (
                "postgres://pushgate@db/pushgate",
                "postgres://pushgate@db/pushgate",
            ),
            (
                "postgres://pushgate@db/pushgate?sslmode=require&password=s3cret",
                "postgres://pushgate@db/pushgate?sslmode=require&password=***",
            ),
            (
                "postgres://u:p@db/x?PASSWORD=s3cret&sslpassword=k3y&application_name=pg",
                "postgres://u:***@db/x?PASSWORD=***&sslpassword=***&application_name=pg",
            ),
        ];
        for (url, logged) in cases {
            assert_eq!(redact_url(url), logged, "{url}");
            assert!(!redact_url(url).contains("s3cret"), "{url}");
        }
    }

    /// The variables a running service needs, plus `extra`.
    fn settings_with(extra: &[(&str, &str)]) -> Result<Settings, SetupError> {
        let mut vars: Vec<(&str, &str)> = vec![
            ("PUSHGATE_APP_ID", "42"),
            ("PUSHGATE_PRIVATE_KEY", "pem"),
            ("PUSHGATE_WEBHOOK_SECRET", "secret"),
        ];
        vars.extend_from_slice(extra);
        Settings::from_vars(|name| {
            vars.iter()
                .rev()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    }

    #[test]
    fn processed_deliveries_are_kept_for_the_days_asked_and_never_under_seven() {
        let day = 86_400;
        let cases: [(&[(&str, &str)], Duration); 6] = [
            (&[], Duration::from_secs(30 * day)),
            (
                &[("PUSHGATE_KEEP_DELIVERIES_DAYS", "")],
                Duration::from_secs(30 * day),
            ),
            (&[("PUSHGATE_KEEP_DELIVERIES_DAYS", "0")], Duration::ZERO),
            (
                &[("PUSHGATE_KEEP_DELIVERIES_DAYS", "3")],
                Duration::from_secs(7 * day),
            ),
            (
                &[("PUSHGATE_KEEP_DELIVERIES_DAYS", " 90 ")],
                Duration::from_secs(90 * day),
            ),
            (
                &[("PUSHGATE_KEEP_DELIVERIES_DAYS", "999999999999")],
                Duration::from_secs(36_500 * day),
            ),
        ];
        for (vars, expected) in cases {
            let settings = settings_with(vars).unwrap();
            assert_eq!(settings.keep_done, expected, "{vars:?}");
        }
        match settings_with(&[("PUSHGATE_KEEP_DELIVERIES_DAYS", "a month")]) {
            Err(e) => assert!(
                e.to_string().contains("PUSHGATE_KEEP_DELIVERIES_DAYS"),
                "{e}"
            ),
            Ok(_) => panic!("a bad number must be an error"),
        }
    }
}
