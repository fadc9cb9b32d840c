//! Prometheus metrics (`GET /metrics`): deliveries by event and outcome, queue depth, processing
//! time, GitHub calls by outcome, and the rate limit GitHub says is left.

use std::sync::atomic::AtomicI64;
use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeliveryLabels {
    pub event: String,
    pub outcome: String,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct CallLabels {
    pub outcome: String,
}

/// Every metric pushgate exports.
pub struct Metrics {
    registry: Mutex<Registry>,
    pub deliveries: Family<DeliveryLabels, Counter>,
    pub queue_pending: Gauge,
    pub queue_failed: Gauge,
    pub processing_seconds: Histogram,
    pub github_calls: Family<CallLabels, Counter>,
    pub rate_limit_remaining: Gauge<i64, AtomicI64>,
    /// Worker tasks running now (not stopped, not waiting to be restarted).
    pub workers_running: Gauge,
    /// Worker tasks restarted after a panic.
    pub worker_restarts: Counter,
    /// 1 while the workers hold back because GitHub is down (see `outage`).
    pub github_unreachable: Gauge,
    /// GitHub calls that got an answer other than a 5xx (a success, a refusal or a rate
    /// limit): news that GitHub is up, for the workers' outage state. Not exported.
    github_answers: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("pushgate");
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        let queue_pending = Gauge::default();
        let queue_failed = Gauge::default();
        let processing_seconds = Histogram::new(exponential_buckets(0.001, 2.0, 16));
        let github_calls = Family::<CallLabels, Counter>::default();
        let rate_limit_remaining = Gauge::<i64, AtomicI64>::default();
        let workers_running = Gauge::default();
        let worker_restarts = Counter::default();
        let github_unreachable = Gauge::default();
        registry.register(
            "github_unreachable",
            "1 while the workers wait because GitHub is down",
            github_unreachable.clone(),
        );
        registry.register(
            "workers_running",
            "Worker tasks running",
            workers_running.clone(),
        );
        registry.register(
            "worker_restarts",
            "Worker tasks restarted after a panic",
            worker_restarts.clone(),
        );
        registry.register(
            "deliveries",
            "Webhook deliveries by event and outcome",
            deliveries.clone(),
        );
        registry.register(
            "queue_pending",
            "Stored deliveries not yet processed",
            queue_pending.clone(),
        );
        registry.register(
            "queue_failed",
            "Deliveries that failed permanently",
            queue_failed.clone(),
        );
        registry.register(
            "processing_seconds",
            "Time to process one delivery",
            processing_seconds.clone(),
        );
        registry.register(
            "github_calls",
            "GitHub API calls by outcome",
            github_calls.clone(),
        );
        registry.register(
            "github_rate_limit_remaining",
            "x-ratelimit-remaining of the last GitHub answer",
            rate_limit_remaining.clone(),
        );
        rate_limit_remaining.set(-1);
        Metrics {
            registry: Mutex::new(registry),
            deliveries,
            queue_pending,
            queue_failed,
            processing_seconds,
            github_calls,
            rate_limit_remaining,
            workers_running,
            worker_restarts,
            github_unreachable,
            github_answers: std::sync::atomic::AtomicU64::new(0),
        }
    }

    pub fn delivery(&self, event: &str, outcome: &str) {
        self.deliveries
            .get_or_create(&DeliveryLabels {
                event: event.to_string(),
                outcome: outcome.to_string(),
            })
            .inc();
    }

    /// `n` deliveries of `event` collapsed into one run that does their work.
    pub fn coalesced(&self, event: &str, n: u64) {
        self.deliveries
            .get_or_create(&DeliveryLabels {
                event: event.to_string(),
                outcome: "coalesced".to_string(),
            })
            .inc_by(n);
    }

    /// A GitHub call ended: `ok`, `client_error` and `rate_limited` are answers from GitHub;
    /// `server_error` and `transport` are not.
    pub fn github_call(&self, outcome: &str) {
        if !matches!(outcome, "server_error" | "transport") {
            self.github_answers
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        self.github_calls
            .get_or_create(&CallLabels {
                outcome: outcome.to_string(),
            })
            .inc();
    }

    /// How many GitHub calls of this process got an answer (see [`Metrics::github_call`]).
    pub fn github_answers(&self) -> u64 {
        self.github_answers
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let registry = match self.registry.lock() {
            Ok(registry) => registry,
            Err(poisoned) => poisoned.into_inner(),
        };
        if prometheus_client::encoding::text::encode(&mut out, &registry).is_err() {
            out.push_str("# metrics could not be encoded\n");
        }
        out
    }
}
