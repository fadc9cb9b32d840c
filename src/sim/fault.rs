//! Injected failures: server errors, the three ways GitHub says "slow down" (429 with
//! `retry-after`, 403 with the primary limit exhausted, 403 secondary limit) and slow answers.
//! Schedules are counted, so a test that retries knows exactly which call passes, or seeded
//! chances ([`Fault::chance`]) for a run that wants a share of calls to fail: the same seed
//! fails the same calls of the same sequence.

use std::time::Duration;

/// What goes wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// A bare status with GitHub's error body (500, 502, 503…).
    Status(u16),
    /// 429 with `retry-after: <secs>`.
    TooManyRequests { retry_after: u64 },
    /// 403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset: <unix secs>`: the hourly
    /// budget is spent.
    RateLimited { reset: i64 },
    /// 403 "secondary rate limit", with `retry-after: <secs>` or (GitHub does not always send
    /// one) without.
    SecondaryLimit { retry_after: Option<u64> },
    /// The answer is delayed, then given normally.
    Delay(Duration),
    /// The request is carried out, then answered with this status (a 502 after GitHub did
    /// the work, or a timeout): the client cannot know whether it happened.
    LostAnswer(u16),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Schedule {
    /// The next `n` matching calls.
    Next(usize),
    /// Every `k`-th matching call (the k-th, 2k-th, …), for as long as the fault is armed.
    Every(usize),
    /// Each matching call with this chance in a million, drawn from a seeded generator, for
    /// as long as the fault is armed.
    Chance { per_million: u32, seed: u64 },
}

/// A failure to inject with [`FakeGitHub::inject`](super::FakeGitHub::inject): what, on which
/// endpoint key (any when unset), and when. By default it hits the next matching call once.
///
/// ```
/// use pushgate::sim::{endpoint, Fault};
/// let fault = Fault::too_many_requests(2).on(endpoint::PULL_FILES).times(3);
/// # let _ = fault;
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    endpoint: Option<String>,
    kind: FaultKind,
    schedule: Schedule,
}

impl Fault {
    pub fn new(kind: FaultKind) -> Self {
        Fault {
            endpoint: None,
            kind,
            schedule: Schedule::Next(1),
        }
    }

    /// A bare error status: 500, 502, 503…
    pub fn status(code: u16) -> Self {
        Fault::new(FaultKind::Status(code))
    }

    pub fn server_error() -> Self {
        Fault::status(500)
    }

    pub fn bad_gateway() -> Self {
        Fault::status(502)
    }

    /// 429 with `retry-after: <secs>`.
    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        Fault::new(FaultKind::TooManyRequests {
            retry_after: retry_after_secs,
        })
    }

    /// 403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset: <reset_unix_secs>`.
    pub fn rate_limited(reset_unix_secs: i64) -> Self {
        Fault::new(FaultKind::RateLimited {
            reset: reset_unix_secs,
        })
    }

    /// 403 secondary rate limit with `retry-after: <secs>`.
    pub fn secondary_limit(retry_after_secs: u64) -> Self {
        Fault::new(FaultKind::SecondaryLimit {
            retry_after: Some(retry_after_secs),
        })
    }

    /// 403 secondary rate limit without `retry-after`: the client should wait a minute.
    pub fn secondary_limit_without_retry_after() -> Self {
        Fault::new(FaultKind::SecondaryLimit { retry_after: None })
    }

    /// The request is carried out, but the client gets `status` (502, 504) instead of the
    /// answer, as when GitHub's front end times out after the work was done.
    pub fn lost_answer(status: u16) -> Self {
        Fault::new(FaultKind::LostAnswer(status))
    }

    /// The answer comes after `delay`, otherwise normal.
    pub fn delay(delay: Duration) -> Self {
        Fault::new(FaultKind::Delay(delay))
    }

    /// Only calls to this endpoint key (see [`endpoint`](super::endpoint)).
    pub fn on(mut self, endpoint_key: &str) -> Self {
        self.endpoint = Some(endpoint_key.to_string());
        self
    }

    /// The next `n` matching calls.
    pub fn times(mut self, n: usize) -> Self {
        self.schedule = Schedule::Next(n);
        self
    }

    /// Every `k`-th matching call, until [`FakeGitHub::clear_faults`](super::FakeGitHub::clear_faults):
    /// `every(1)` is always, `every(3)` a third of the calls.
    pub fn every(mut self, k: usize) -> Self {
        self.schedule = Schedule::Every(k.max(1));
        self
    }

    /// Each matching call with chance `percent` (0–100), until
    /// [`FakeGitHub::clear_faults`](super::FakeGitHub::clear_faults). The draws come from a
    /// generator seeded with `seed`, so a sequence of calls fails the same way each run.
    pub fn chance(mut self, percent: f64, seed: u64) -> Self {
        let per_million = (percent.clamp(0.0, 100.0) * 10_000.0).round() as u32;
        self.schedule = Schedule::Chance { per_million, seed };
        self
    }

    pub fn kind(&self) -> &FaultKind {
        &self.kind
    }
}

/// A fault with its counters.
#[derive(Debug, Clone)]
pub(crate) struct ArmedFault {
    fault: Fault,
    seen: usize,
    fired: usize,
    /// The state of a chance schedule's generator.
    draws: u64,
}

impl ArmedFault {
    pub fn new(fault: Fault) -> Self {
        let draws = match fault.schedule {
            Schedule::Chance { seed, .. } => seed,
            _ => 0,
        };
        ArmedFault {
            fault,
            seen: 0,
            fired: 0,
            draws,
        }
    }

    /// The next draw of splitmix64, in 0..1,000,000.
    fn draw(&mut self) -> u32 {
        self.draws = self.draws.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.draws;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % 1_000_000) as u32
    }

    fn matches(&self, key: &str) -> bool {
        self.fault.endpoint.as_deref().is_none_or(|e| e == key)
    }

    /// Counts a matching call; true when this one fails.
    fn fires(&mut self) -> bool {
        self.seen += 1;
        let fire = match self.fault.schedule {
            Schedule::Next(n) => self.fired < n,
            Schedule::Every(k) => self.seen % k == 0,
            Schedule::Chance { per_million, .. } => self.draw() < per_million,
        };
        if fire {
            self.fired += 1;
        }
        fire
    }

    fn spent(&self) -> bool {
        matches!(self.fault.schedule, Schedule::Next(n) if self.fired >= n)
    }
}

/// What the armed faults do to one call of `key`: the total delay to sleep, then the failure to
/// answer with (the first firing one, in injection order), if any. Spent faults are dropped.
pub(crate) fn strike(faults: &mut Vec<ArmedFault>, key: &str) -> (Duration, Option<FaultKind>) {
    let mut delay = Duration::ZERO;
    let mut failure = None;
    for armed in faults.iter_mut().filter(|a| a.matches(key)) {
        if !armed.fires() {
            continue;
        }
        match &armed.fault.kind {
            FaultKind::Delay(d) => delay += *d,
            kind if failure.is_none() => failure = Some(kind.clone()),
            _ => {}
        }
    }
    faults.retain(|a| !a.spent());
    (delay, failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(fault: Fault, keys: &[&str]) -> Vec<bool> {
        let mut faults = vec![ArmedFault::new(fault)];
        keys.iter()
            .map(|k| strike(&mut faults, k).1.is_some())
            .collect()
    }

    #[test]
    fn times_hits_only_the_next_matching_calls() {
        let got = run(
            Fault::server_error().on("a").times(2),
            &["b", "a", "a", "a"],
        );
        assert_eq!(got, vec![false, true, true, false]);
    }

    #[test]
    fn every_kth_call_fails_deterministically() {
        let got = run(
            Fault::bad_gateway().every(3),
            &["a", "b", "c", "d", "e", "f"],
        );
        assert_eq!(got, vec![false, false, true, false, false, true]);
    }

    #[test]
    fn a_chance_fails_about_that_share_of_calls_the_same_way_for_a_seed() {
        let keys = vec!["a"; 10_000];
        let first = run(Fault::server_error().chance(30.0, 7), &keys);
        let failed = first.iter().filter(|f| **f).count();
        assert!((2_700..3_300).contains(&failed), "{failed} of 10,000");
        assert_eq!(run(Fault::server_error().chance(30.0, 7), &keys), first);
        assert_ne!(run(Fault::server_error().chance(30.0, 8), &keys), first);
        assert!(!run(Fault::server_error().chance(0.0, 7), &keys).contains(&true));
    }

    #[test]
    fn delays_add_up_and_do_not_fail_the_call() {
        let mut faults = vec![
            ArmedFault::new(Fault::delay(Duration::from_millis(5))),
            ArmedFault::new(Fault::too_many_requests(1)),
        ];
        let (delay, failure) = strike(&mut faults, "x");
        assert_eq!(delay, Duration::from_millis(5));
        assert_eq!(failure, Some(FaultKind::TooManyRequests { retry_after: 1 }));
        assert!(faults.is_empty());
    }
}
