//! Property test of the push gate (SPEC §3 invariant): over 10,000 random event sequences —
//! staging pushes and rewinds, check results and retries, time passing, committers' and
//! others' switches, restarts from the stored state — master only ever fast-forwards, and only
//! to a staging commit whose required checks passed (or were tolerated) or that a committer
//! forced.

use proptest::prelude::*;
use pushgate::core::gate::{wildcard, Action, BlockOn, Event, Gate, Outcome, Settings};

const CHECKS: [&str; 4] = ["build", "test-unit", "test-flaky-net", "lint"];

fn settings() -> Settings {
    Settings {
        required: vec!["build".into(), "test-*".into()],
        allow: vec!["test-flaky-*".into()],
        block_on: BlockOn::Regressions,
        timeout: 5000,
    }
}

#[derive(Debug, Clone)]
enum Op {
    Push(usize),
    Rewind(usize),
    Result {
        commit: usize,
        check: usize,
        outcome: u8,
    },
    Tick(i64),
    Block(bool),
    Unblock(bool),
    Force {
        committer: bool,
        commit: usize,
    },
    Restart,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (1usize..4).prop_map(Op::Push),
        1 => (1usize..3).prop_map(Op::Rewind),
        8 => (0usize..64, 0usize..4, 0u8..3).prop_map(|(commit, check, outcome)| Op::Result { commit, check, outcome }),
        1 => (0i64..3000).prop_map(Op::Tick),
        1 => any::<bool>().prop_map(Op::Block),
        1 => any::<bool>().prop_map(Op::Unblock),
        1 => (any::<bool>(), 0usize..64).prop_map(|(committer, commit)| Op::Force { committer, commit }),
        1 => Just(Op::Restart),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10_000, ..ProptestConfig::default() })]

    #[test]
    fn master_only_fast_forwards_to_tested_or_forced_staging_commits(ops in prop::collection::vec(op(), 1..40)) {
        let s = settings();
        let mut gate = Gate::new("c0");
        let mut next = 1usize;
        let mut known: Vec<String> = vec!["c0".to_string()];
        // The commits master has been at, oldest first: the baselines of all flights.
        let mut masters: Vec<String> = vec!["c0".to_string()];
        let mut now = 0i64;
        for op in ops {
            let before_ahead = gate.ahead.clone();
            let before_blocked = gate.block.is_some();
            let mut forced_by_committer: Option<String> = None;
            let mut unblocking = false;
            let event = match op {
                Op::Push(n) => {
                    let mut ahead = gate.ahead.clone();
                    for _ in 0..n {
                        let sha = format!("c{next}");
                        next += 1;
                        known.push(sha.clone());
                        ahead.push(sha);
                    }
                    Event::StagingMoved { ahead }
                }
                Op::Rewind(n) => {
                    // Staging is rewritten: keep a prefix, then new commits.
                    let keep = gate.ahead.len().saturating_sub(1);
                    let mut ahead: Vec<String> = gate.ahead[..keep].to_vec();
                    for _ in 0..n {
                        let sha = format!("c{next}");
                        next += 1;
                        known.push(sha.clone());
                        ahead.push(sha);
                    }
                    Event::StagingMoved { ahead }
                }
                Op::Result { commit, check, outcome } => Event::Check {
                    sha: known[commit % known.len()].clone(),
                    name: CHECKS[check].to_string(),
                    outcome: [Outcome::Pending, Outcome::Passed, Outcome::Failed][outcome as usize],
                },
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
                Op::Restart => {
                    let stored = serde_json::to_string(&gate).unwrap();
                    gate = serde_json::from_str(&stored).unwrap();
                    continue;
                }
            };
            let staged_ahead = match &event {
                Event::StagingMoved { ahead } => ahead.clone(),
                _ => before_ahead.clone(),
            };
            let actions = gate.step(event, now, &s);
            let mut master_index: Option<usize> = None;
            for action in actions {
                let Action::AdvanceMaster { to, forced } = action else { continue };
                // A fast-forward: `to` is on staging, ahead of the current master.
                let position = staged_ahead.iter().position(|c| *c == to);
                prop_assert!(position.is_some(), "{to} is not on staging ahead of master {:?}", staged_ahead);
                if let Some(previous) = master_index {
                    prop_assert!(position.unwrap() > previous, "master moved backwards");
                }
                master_index = position;
                if forced {
                    prop_assert_eq!(forced_by_committer.as_deref(), Some(to.as_str()), "forced without a committer's force");
                } else {
                    prop_assert!(!before_blocked || unblocking, "advanced while blocked");
                    // Every required check on `to` passed, or its failure is allowed or also
                    // happened on a commit master stood on.
                    let results = gate.results.get(&to).cloned().unwrap_or_default();
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
                                        gate.results.get(m).and_then(|r| r.get(name)) == Some(&Outcome::Failed)
                                    });
                                    prop_assert!(allowed || on_baseline, "{name} failed on {to} and was not tolerated");
                                }
                            }
                        }
                    }
                }
                masters.push(to);
            }
            prop_assert_eq!(&gate.master, masters.last().unwrap());
        }
    }
}
