//! Property test of the push gate (SPEC §3 invariant): over 10,000 random event sequences —
//! staging pushes, rewinds and force-pushes (delivered at once, late, or never), check results
//! and retries (some forged by a poster the check is not pinned to), time passing, committers'
//! and others' switches, refused fast-forwards, restarts from the stored state — master only
//! ever fast-forwards, and only to a commit on the real staging whose required checks passed
//! from their trusted posters (or were tolerated) or that a committer forced. The test plays
//! the edges: it confirms with "GitHub" (its own model of staging) before moving master, as
//! `handlers::gate` does, and answers refusals with `Event::AdvanceFailed`.

use std::collections::{BTreeMap, VecDeque};

use proptest::prelude::*;
use pushgate::core::gate::{
    Action, BlockOn, CheckResult, Event, Gate, Outcome, Refusal, Settings, Source,
};
use pushgate::core::glob::wildcard;

const CHECKS: [&str; 4] = ["build", "test-unit", "test-flaky-net", "lint"];

fn settings() -> Settings {
    Settings {
        required: vec!["build".into(), "test-*".into()],
        allow: vec!["test-flaky-*".into()],
        block_on: BlockOn::Regressions,
        timeout: 5000,
        // `build` counts only from the CI app; `test-*` from anyone.
        sources: vec![("build".into(), Source::App("ci".into()))],
    }
}

fn sources() -> [Source; 3] {
    [
        Source::App("ci".into()),
        Source::App("other".into()),
        Source::User("mallory".into()),
    ]
}

#[derive(Debug, Clone)]
enum Op {
    /// Commits land on staging; `delivered`: the push event reaches the gate now.
    Push(usize, bool),
    /// Staging is rewritten (its tip dropped, new commits on top); maybe not delivered yet.
    Rewind(usize, bool),
    /// The late push event, or the reconciler reading staging.
    Deliver,
    Result {
        commit: usize,
        check: usize,
        outcome: u8,
        source: usize,
    },
    Tick(i64),
    Block(bool),
    Unblock(bool),
    Force {
        committer: bool,
        commit: usize,
    },
    /// The reconciler (or a timeout) reads a commit's results again from GitHub.
    Reread(usize),
    /// GitHub refuses the next fast-forward (422).
    RejectNext,
    Restart,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1usize..4, any::<bool>()).prop_map(|(n, d)| Op::Push(n, d)),
        1 => (1usize..3, any::<bool>()).prop_map(|(n, d)| Op::Rewind(n, d)),
        1 => Just(Op::Deliver),
        8 => (0usize..64, 0usize..4, 0u8..3, 0usize..4).prop_map(|(commit, check, outcome, source)| Op::Result { commit, check, outcome, source: source.min(2) }),
        1 => (0i64..3000).prop_map(Op::Tick),
        1 => any::<bool>().prop_map(Op::Block),
        1 => any::<bool>().prop_map(Op::Unblock),
        1 => (any::<bool>(), 0usize..64).prop_map(|(committer, commit)| Op::Force { committer, commit }),
        2 => (0usize..64).prop_map(Op::Reread),
        1 => Just(Op::RejectNext),
        1 => Just(Op::Restart),
    ]
}

/// GitHub as the test knows it: master, staging's commits ahead of master, the results each
/// poster sent.
struct World {
    master: String,
    ahead: Vec<String>,
    /// Results the gate may trust (from the poster a pinned check names), latest first wins.
    trusted: BTreeMap<(String, String), Outcome>,
    /// What GitHub holds: the latest result per commit and check, whoever posted it.
    held: BTreeMap<(String, String), (Outcome, Source)>,
    reject_next: bool,
}

impl World {
    /// What GitHub holds for `sha`, as a re-read gets it; the results from the poster a pinned
    /// check names become trusted.
    fn read_back(&mut self, s: &Settings, sha: &str) -> Vec<CheckResult> {
        let results: Vec<CheckResult> = self
            .held
            .iter()
            .filter(|((c, _), _)| c == sha)
            .map(|((c, name), (outcome, source))| CheckResult {
                sha: c.clone(),
                name: name.clone(),
                outcome: *outcome,
                source: source.clone(),
            })
            .collect();
        for r in &results {
            if s.pinned(&r.name).is_none_or(|p| p.same(&r.source)) {
                self.trusted
                    .insert((r.sha.clone(), r.name.clone()), r.outcome);
            }
        }
        results
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    #[test]
    fn master_only_fast_forwards_to_tested_or_forced_staging_commits(ops in prop::collection::vec(op(), 1..40)) {
        let s = settings();
        let mut gate = Gate::new("c0");
        let mut world = World { master: "c0".into(), ahead: Vec::new(), trusted: BTreeMap::new(), held: BTreeMap::new(), reject_next: false };
        let mut next = 1usize;
        let mut known: Vec<String> = vec!["c0".to_string()];
        // The commits master has been at, oldest first: the baselines of all flights.
        let mut masters: Vec<String> = vec!["c0".to_string()];
        let mut now = 0i64;
        for op in ops {
            let before_blocked = gate.block.is_some();
            let mut forced_by_committer: Option<String> = None;
            let mut unblocking = false;
            let mut fresh = |n: usize, known: &mut Vec<String>| -> Vec<String> {
                (0..n).map(|_| {
                    let sha = format!("c{next}");
                    next += 1;
                    known.push(sha.clone());
                    sha
                }).collect()
            };
            let event = match op {
                Op::Push(n, delivered) => {
                    world.ahead.extend(fresh(n, &mut known));
                    if !delivered { continue; }
                    Event::StagingMoved { ahead: world.ahead.clone() }
                }
                Op::Rewind(n, delivered) => {
                    // Staging is rewritten: keep a prefix, then new commits.
                    let keep = world.ahead.len().saturating_sub(1);
                    world.ahead.truncate(keep);
                    world.ahead.extend(fresh(n, &mut known));
                    if !delivered { continue; }
                    Event::StagingMoved { ahead: world.ahead.clone() }
                }
                Op::Deliver => Event::StagingMoved { ahead: world.ahead.clone() },
                Op::Result { commit, check, outcome, source } => {
                    let sha = known[commit % known.len()].clone();
                    let name = CHECKS[check].to_string();
                    let outcome = [Outcome::Pending, Outcome::Passed, Outcome::Failed][outcome as usize];
                    let source = sources()[source].clone();
                    world.held.insert((sha.clone(), name.clone()), (outcome, source.clone()));
                    // As `handlers::gate::on_check`: results only for commits the gate follows.
                    let relevant = gate.master == sha
                        || gate.ahead.contains(&sha)
                        || gate.flights.iter().any(|f| f.baseline == sha || f.commits.contains(&sha));
                    if !relevant {
                        continue;
                    }
                    if s.pinned(&name).is_none_or(|p| p.same(&source)) {
                        world.trusted.insert((sha.clone(), name.clone()), outcome);
                    }
                    Event::Check { sha, name, outcome, source }
                }
                Op::Tick(t) => {
                    now += t;
                    Event::Tick
                }
                Op::Block(committer) => Event::Block { by: "x".into(), committer, reason: "r".into() },
                Op::Unblock(committer) => {
                    unblocking = committer;
                    Event::Unblock { by: "x".into(), committer }
                }
                Op::Force { committer, commit } => {
                    let sha = known[commit % known.len()].clone();
                    if committer {
                        forced_by_committer = Some(sha.clone());
                    }
                    Event::Force { by: "x".into(), committer, sha, reason: "r".into() }
                }
                Op::Reread(commit) => {
                    let sha = known[commit % known.len()].clone();
                    Event::Reread { results: world.read_back(&s, &sha) }
                }
                Op::RejectNext => {
                    world.reject_next = true;
                    continue;
                }
                Op::Restart => {
                    let stored = serde_json::to_string(&gate).unwrap();
                    gate = serde_json::from_str(&stored).unwrap();
                    continue;
                }
            };
            let moved = matches!(event, Event::StagingMoved { .. });
            let mut actions = gate.step(event, now, &s);
            // As `handlers::gate::sync` does when staging moved: CI may have reported on the
            // new tip before the push reached the gate (those results were not for a commit it
            // followed then), so it reads the tip's results from GitHub when it has none.
            if moved {
                let unread = gate.ahead.last().filter(|tip| !gate.results.contains_key(*tip)).cloned();
                if let Some(tip) = unread {
                    let results = world.read_back(&s, &tip);
                    actions.extend(gate.step(Event::Reread { results }, now, &s));
                }
            }
            let mut queue: VecDeque<Action> = actions.into();
            let mut refusals = 0;
            while let Some(action) = queue.pop_front() {
                let Action::AdvanceMaster { from, to, forced } = action else { continue };
                prop_assert!(refusals < 50, "the gate keeps asking for refused advances");
                // The edges: `to` must still be on staging, master still at `from`.
                let position = world.ahead.iter().position(|c| *c == to);
                let why = if position.is_none() {
                    Some(Refusal::NotOnStaging)
                } else if from != world.master || world.reject_next {
                    world.reject_next = false;
                    Some(Refusal::Rejected { master: world.master.clone(), error: "422".into() })
                } else {
                    None
                };
                if let Some(why) = why {
                    refusals += 1;
                    queue.retain(|a| !matches!(a, Action::AdvanceMaster { .. }));
                    queue.extend(gate.step(Event::AdvanceFailed { from, to, why }, now, &s));
                    queue.extend(gate.step(Event::StagingMoved { ahead: world.ahead.clone() }, now, &s));
                    continue;
                }
                // A fast-forward along staging: master moves to `to`, nothing is forced.
                let Some(position) = position else { continue };
                world.ahead.drain(..=position);
                world.master = to.clone();
                if forced {
                    prop_assert_eq!(forced_by_committer.as_deref(), Some(to.as_str()), "forced without a committer's force");
                } else {
                    prop_assert!(!before_blocked || unblocking, "advanced while blocked");
                    // Every required check on `to` passed from a trusted poster, or its failure
                    // is allowed or also happened on a commit master stood on.
                    let results: Vec<(&String, &Outcome)> = world.trusted.iter()
                        .filter(|((sha, _), _)| *sha == to)
                        .map(|((_, name), outcome)| (name, outcome))
                        .collect();
                    for required in &s.required {
                        let matching: Vec<_> = results.iter().filter(|(n, _)| wildcard(required, n)).collect();
                        prop_assert!(!matching.is_empty(), "{required} never ran on {to}");
                        for (name, outcome) in matching {
                            match outcome {
                                Outcome::Passed => {}
                                Outcome::Pending => prop_assert!(false, "{name} still pending on {to}"),
                                Outcome::Failed => {
                                    let allowed = s.allow.iter().any(|a| wildcard(a, name));
                                    let on_baseline = masters.iter().any(|m| {
                                        world.trusted.get(&(m.clone(), name.to_string())) == Some(&Outcome::Failed)
                                    });
                                    prop_assert!(allowed || on_baseline, "{name} failed on {to} and was not tolerated");
                                }
                            }
                        }
                    }
                }
                masters.push(to);
            }
            // The gate's idea of master is GitHub's.
            prop_assert_eq!(&gate.master, &world.master);
        }
    }
}
