//! When GitHub is down, the workers wait instead of cycling through the queue.
//!
//! Without this, an outage turns every claimed delivery into a claim, a failed call and a
//! rescheduling write, as fast as the workers go: GitHub (or the network) gets hammered, every
//! delivery spends its attempts within minutes, and the workers' commits crowd the webhook
//! door out of SQLite's write lock. So after [`FAILURES_TO_TRIP`] deliveries in a row failed
//! with a 5xx or a network error (a rate limit carries its own wait and does not count), the
//! workers of this process stop claiming for a pause that doubles from [`FIRST_PAUSE`] up to
//! [`LONGEST_PAUSE`]. After a pause one worker alone takes a delivery (the probe); any outcome
//! other than another outage failure ends the outage, and all workers claim again. The worker
//! reports only outcomes that say something of GitHub: an outage failure, or a delivery during
//! which GitHub answered a call; one that asked GitHub nothing (an event pushgate ignores) is
//! no news, and the probe goes on to the next delivery.
//!
//! Plain state over a given `Instant`, so the tests step through it without sleeping.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Outage failures in a row, with no other outcome between them, that start a pause. One
/// 5xx on a call that is not replayed fails its delivery at once; three in a row are an
/// outage rather than bad luck.
pub const FAILURES_TO_TRIP: u32 = 3;
pub const FIRST_PAUSE: Duration = Duration::from_secs(1);
pub const LONGEST_PAUSE: Duration = Duration::from_secs(60);

/// What a worker may do now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    /// Claim as usual.
    Claim,
    /// Claim one delivery as the probe; call [`Outage::end_probe`] when it is done.
    Probe,
    /// Do not claim; look again after this long.
    Wait(Duration),
}

#[derive(Debug, Default)]
struct State {
    /// Outage failures since the last other outcome.
    failures: u32,
    /// No claims before this.
    until: Option<Instant>,
    /// A worker holds the probe.
    probing: bool,
}

/// Shared by the workers of one process.
#[derive(Debug, Default)]
pub struct Outage {
    state: Mutex<State>,
}

impl Outage {
    pub fn permit(&self, now: Instant) -> Permit {
        let mut s = self.lock();
        match s.until {
            None => Permit::Claim,
            Some(until) if now < until => Permit::Wait(until - now),
            // A probe is out: the others look again shortly.
            Some(_) if s.probing => Permit::Wait(Duration::from_millis(100)),
            Some(_) => {
                s.probing = true;
                Permit::Probe
            }
        }
    }

    /// The probe's delivery ended (whatever its outcome, reported through
    /// [`Outage::observe`]), or the probe claimed nothing.
    pub fn end_probe(&self) {
        self.lock().probing = false;
    }

    /// A delivery's outcome: `outage` when it failed with a 5xx or a network error.
    pub fn observe(&self, outage: bool, now: Instant) {
        let mut s = self.lock();
        if !outage {
            *s = State {
                probing: s.probing,
                ..State::default()
            };
            return;
        }
        s.failures = s.failures.saturating_add(1);
        if s.failures >= FAILURES_TO_TRIP {
            let doublings = (s.failures - FAILURES_TO_TRIP).min(16);
            let pause = FIRST_PAUSE
                .saturating_mul(1 << doublings)
                .min(LONGEST_PAUSE);
            s.until = Some(now + pause);
        }
    }

    /// Whether the workers are holding back now (for `/metrics`).
    pub fn paused(&self) -> bool {
        self.lock().until.is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is a few numbers, valid after any panic between two of its updates.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Steps: an outcome (`Some(outage)`) or a look (`None`) at a time in milliseconds, and
    /// the permit a look must get.
    #[test]
    fn pauses_double_and_one_probe_ends_them() {
        let t0 = Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let outage = Outage::default();
        // Two failures are bad luck; the workers go on.
        outage.observe(true, at(0));
        outage.observe(true, at(1));
        assert_eq!(outage.permit(at(2)), Permit::Claim);
        // The third starts a pause of a second.
        outage.observe(true, at(10));
        assert_eq!(
            outage.permit(at(10)),
            Permit::Wait(Duration::from_millis(1000))
        );
        assert_eq!(
            outage.permit(at(600)),
            Permit::Wait(Duration::from_millis(410))
        );
        // After it, one worker probes; the others wait while it does.
        assert_eq!(outage.permit(at(1010)), Permit::Probe);
        assert_eq!(
            outage.permit(at(1011)),
            Permit::Wait(Duration::from_millis(100))
        );
        // The probe fails: the next pause is twice as long.
        outage.observe(true, at(1500));
        outage.end_probe();
        assert_eq!(
            outage.permit(at(1500)),
            Permit::Wait(Duration::from_millis(2000))
        );
        assert!(outage.paused());
        // The next probe gets an answer: everyone claims again, and the count starts over.
        assert_eq!(outage.permit(at(3500)), Permit::Probe);
        outage.observe(false, at(3600));
        outage.end_probe();
        assert!(!outage.paused());
        assert_eq!(outage.permit(at(3600)), Permit::Claim);
        outage.observe(true, at(3700));
        outage.observe(true, at(3701));
        assert_eq!(outage.permit(at(3702)), Permit::Claim);
    }

    #[test]
    fn a_success_between_failures_keeps_the_workers_going() {
        let t0 = Instant::now();
        let outage = Outage::default();
        for _ in 0..100 {
            outage.observe(true, t0);
            outage.observe(true, t0);
            outage.observe(false, t0);
        }
        assert_eq!(outage.permit(t0), Permit::Claim);
    }

    #[test]
    fn the_pause_stops_growing_at_a_minute() {
        let t0 = Instant::now();
        let outage = Outage::default();
        for _ in 0..1000 {
            outage.observe(true, t0);
        }
        assert_eq!(outage.permit(t0), Permit::Wait(LONGEST_PAUSE));
    }
}
