//! The packed state against a naive reference fold.
//!
//! `engine::state` keeps a number's keys and attempts packed (strings in an arena, a
//! key's first attempt inline, tags for outcomes), so that a million events fit in a few
//! tens of MiB. This test folds the same random logs a second way, with plain structs,
//! `Option`s and `Vec`s and no packing, written from what FORMATS.md says each event
//! means, and checks the two agree on every key, attempt, status, balance, in-doubt and
//! failed set, spend and activity.

use std::collections::{BTreeMap, BTreeSet};

use baohao::engine::State;
use baohao::engine::state::KeyStatus;
use baohao::model::{
    Currency, Event, EventBody, IntentAction, Mode, OutcomeStatus, ResolvedStatus,
};
use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;

const NUMBER: &str = "home";

fn tz() -> Tz {
    "Europe/London".parse().expect("zone")
}

fn cny() -> Currency {
    Currency::new("CNY").expect("cny")
}

fn gbp() -> Currency {
    Currency::new("GBP").expect("gbp")
}

/// One step of a random log: `pick` chooses among the intents written so far.
#[derive(Clone, Debug)]
enum Op {
    Balance(i64, bool),
    Intent {
        key: u8,
        mode: Mode,
        amount: i64,
        gbp: bool,
        sms: bool,
    },
    /// An executor's answer: to an auto intent.
    Outcome {
        pick: usize,
        status: OutcomeStatus,
        reference: Option<String>,
        error: Option<String>,
    },
    /// A person's word: on an auto or an external intent.
    Resolved {
        pick: usize,
        status: ResolvedStatus,
        retry: bool,
    },
    Manual {
        amount: i64,
        pick: Option<usize>,
    },
    Activity(Option<usize>),
    Dismissed {
        pick: usize,
        reason: String,
    },
    /// An intent id nobody wrote: an oddity, nothing else changes.
    Stray(bool),
}

fn mode() -> impl Strategy<Value = Mode> {
    prop_oneof![4 => Just(Mode::Auto), 2 => Just(Mode::Remind), 1 => Just(Mode::External)]
}

fn outcome_status() -> impl Strategy<Value = OutcomeStatus> {
    prop_oneof![
        Just(OutcomeStatus::Succeeded),
        Just(OutcomeStatus::Failed),
        Just(OutcomeStatus::Unknown)
    ]
}

fn resolved_status() -> impl Strategy<Value = ResolvedStatus> {
    prop_oneof![
        Just(ResolvedStatus::Succeeded),
        Just(ResolvedStatus::Failed)
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (-500i64..20_000, any::<bool>()).prop_map(|(b, g)| Op::Balance(b, g)),
        4 => (0u8..6, mode(), 1i64..5_000, proptest::bool::weighted(0.1), proptest::bool::weighted(0.15))
            .prop_map(|(key, mode, amount, gbp, sms)| Op::Intent { key, mode, amount, gbp, sms }),
        4 => (any::<usize>(), outcome_status(), proptest::option::of("[a-z0-9]{1,8}"), proptest::option::of("[a-z ]{1,12}"))
            .prop_map(|(pick, status, reference, error)| Op::Outcome { pick, status, reference, error }),
        2 => (any::<usize>(), resolved_status(), any::<bool>())
            .prop_map(|(pick, status, retry)| Op::Resolved { pick, status, retry }),
        2 => (1i64..5_000, proptest::option::of(any::<usize>()))
            .prop_map(|(amount, pick)| Op::Manual { amount, pick }),
        2 => proptest::option::of(any::<usize>()).prop_map(Op::Activity),
        1 => (any::<usize>(), prop_oneof![Just("by_hand".to_string()), Just("rule_deleted".to_string())])
            .prop_map(|(pick, reason)| Op::Dismissed { pick, reason }),
        1 => any::<bool>().prop_map(Op::Stray),
    ]
}

/// How far the clock moves before each event: mostly forward, sometimes back (an
/// imported text, a clock put right).
fn step() -> impl Strategy<Value = i64> {
    prop_oneof![8 => 0i64..(3 * 86_400), 1 => -(3 * 86_400)..0i64, 1 => Just(0i64)]
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct RefAttempt {
    intent: String,
    n: u32,
    at: DateTime<Utc>,
    outcome: Option<(OutcomeStatus, DateTime<Utc>)>,
    resolved: Option<(ResolvedStatus, DateTime<Utc>)>,
    reference: Option<String>,
    error: Option<String>,
    /// Whether it has ever counted as succeeded (its money is in, once).
    paid: bool,
}

impl RefAttempt {
    fn succeeded(&self) -> bool {
        match (self.resolved, self.outcome) {
            (Some((r, _)), _) => r == ResolvedStatus::Succeeded,
            (None, Some((o, _))) => o == OutcomeStatus::Succeeded,
            (None, None) => false,
        }
    }

    fn failed(&self) -> bool {
        match (self.resolved, self.outcome) {
            (Some((r, _)), _) => r == ResolvedStatus::Failed,
            (None, Some((o, _))) => o == OutcomeStatus::Failed,
            (None, None) => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct RefKey {
    rule: String,
    key: String,
    mode: Mode,
    currency: Currency,
    amount_minor: i64,
    attempts: Vec<RefAttempt>,
    settled_by: Option<String>,
    dismissed: Option<String>,
    no_retry: bool,
    spend: bool,
}

impl RefKey {
    /// What FORMATS.md says a key's status is.
    fn status(&self) -> KeyStatus {
        let most = || self.attempts.iter().map(|a| a.n).max().unwrap_or(0);
        match self.mode {
            Mode::External => match self.attempts.iter().rev().find_map(|a| a.resolved) {
                Some((ResolvedStatus::Succeeded, _)) => KeyStatus::Charged,
                Some((ResolvedStatus::Failed, _)) => KeyStatus::Failed { attempts: most() },
                None => KeyStatus::Expected,
            },
            Mode::Remind if self.settled_by.is_some() => KeyStatus::ReminderSettled,
            Mode::Remind if self.dismissed.is_some() => KeyStatus::ReminderDismissed,
            Mode::Remind => KeyStatus::ReminderOpen,
            Mode::Auto if self.attempts.iter().any(RefAttempt::succeeded) => KeyStatus::Charged,
            Mode::Auto if self.attempts.last().is_some_and(RefAttempt::failed) => {
                KeyStatus::Failed { attempts: most() }
            }
            Mode::Auto => KeyStatus::InDoubt,
        }
    }
}

/// The reference: plain data, folded the obvious way.
#[derive(Debug, Default)]
struct Reference {
    keys: Vec<RefKey>,
    /// The newest reading: (time, balance, currency); a later-appended older one is history.
    observed: Option<(DateTime<Utc>, i64, Currency)>,
    /// Money in (+) and out (−) and when.
    moves: Vec<(DateTime<Utc>, i64, Currency)>,
    spend: BTreeMap<(i32, u32, Currency), i64>,
    last_activity: Option<DateTime<Utc>>,
    last_top_up: Option<DateTime<Utc>>,
}

impl Reference {
    fn find(&mut self, intent: &str) -> Option<(usize, usize)> {
        self.keys.iter().enumerate().find_map(|(k, key)| {
            key.attempts
                .iter()
                .position(|a| a.intent == intent)
                .map(|a| (k, a))
        })
    }

    fn moved(&mut self, at: DateTime<Utc>, amount: i64, currency: Currency, into: bool) {
        self.moves
            .push((at, if into { amount } else { -amount }, currency));
        if into {
            self.last_top_up = self.last_top_up.max(Some(at));
        }
        self.last_activity = self.last_activity.max(Some(at));
        let local = at.with_timezone(&tz());
        *self
            .spend
            .entry((local.year(), local.month(), currency))
            .or_default() += amount;
    }

    /// After attempt (k, a) was told something: money in the first time it succeeds.
    fn told(&mut self, k: usize, a: usize) {
        let key = &self.keys[k];
        let attempt = &key.attempts[a];
        if attempt.succeeded() && !attempt.paid {
            let (at, amount, currency, spend) =
                (attempt.at, key.amount_minor, key.currency, key.spend);
            self.keys[k].attempts[a].paid = true;
            self.moved(at, amount, currency, !spend);
        } else if !attempt.succeeded() {
            // Told otherwise afterwards: it may be paid again if it succeeds again (as
            // the log says it did, twice).
            self.keys[k].attempts[a].paid = false;
        }
    }

    fn expected_balance(&self) -> Option<i64> {
        let (at, balance, currency) = self.observed?;
        Some(
            self.moves
                .iter()
                .filter(|(t, _, c)| *t > at && *c == currency)
                .fold(balance, |sum, (_, m, _)| sum + m),
        )
    }

    /// In doubt: an auto attempt not told it succeeded or failed, or any attempt last
    /// told `unknown`.
    fn in_doubt(&self) -> BTreeSet<(String, String)> {
        let mut out = BTreeSet::new();
        for key in &self.keys {
            for a in &key.attempts {
                let told = a.outcome.is_some() || a.resolved.is_some();
                if !a.succeeded() && !a.failed() && (key.mode == Mode::Auto || told) {
                    out.insert((key.key.clone(), a.intent.clone()));
                }
            }
        }
        out
    }
}

struct Log {
    events: Vec<Event>,
    intents: Vec<(String, Mode)>,
    now: DateTime<Utc>,
}

impl Log {
    fn push(&mut self, body: EventBody) -> String {
        let id = format!("e{:05}", self.events.len() + 1);
        self.events.push(Event {
            id: id.clone(),
            at: self.now.fixed_offset(),
            number: NUMBER.to_string(),
            body,
        });
        id
    }

    /// One of the intents written so far whose mode `of` accepts.
    fn pick(&self, i: usize, of: impl Fn(Mode) -> bool) -> Option<String> {
        let some: Vec<&String> = self
            .intents
            .iter()
            .filter(|(_, m)| of(*m))
            .map(|(id, _)| id)
            .collect();
        (!some.is_empty()).then(|| some[i % some.len()].clone())
    }
}

/// Writes the events for `ops` and folds them into the reference as it goes.
fn build(ops: &[(i64, Op)]) -> (Log, Reference) {
    let start = DateTime::from_timestamp(1_790_000_000, 0).expect("time");
    let mut log = Log {
        events: Vec::new(),
        intents: Vec::new(),
        now: start,
    };
    let mut r = Reference::default();
    for (dt, op) in ops {
        log.now += Duration::seconds(*dt);
        let now = log.now;
        match op.clone() {
            Op::Balance(balance, g) => {
                let currency = if g { gbp() } else { cny() };
                log.push(EventBody::Balance {
                    balance_minor: balance,
                    currency,
                    validity_until: None,
                    source: "provider".into(),
                });
                if r.observed.is_none_or(|(t, _, _)| now >= t) {
                    r.observed = Some((now, balance, currency));
                }
            }
            Op::Intent {
                key,
                mode,
                amount,
                gbp: g,
                sms,
            } => {
                let key_name = format!("rule{}:m:2026-{:02}", key % 3, key + 1);
                let rule = format!("rule{}", key % 3);
                let currency = if g { gbp() } else { cny() };
                let existing = r.keys.iter().position(|k| k.key == key_name);
                // A key's later attempts are of its own mode, as the worker writes them
                // (a rule whose mode changed starts its next period's key in the new one).
                let mode = existing.map_or(mode, |k| r.keys[k].mode);
                let n = existing.map_or(1, |k| r.keys[k].attempts.len() as u32 + 1);
                let id = log.push(EventBody::Intent {
                    rule: rule.clone(),
                    key: key_name.clone(),
                    attempt: n,
                    amount_minor: amount,
                    currency,
                    mode,
                    action: sms.then_some(IntentAction::Sms),
                });
                log.intents.push((id.clone(), mode));
                // The first intent of a key fixes its rule, mode, amount and currency.
                let k = existing.unwrap_or_else(|| {
                    r.keys.push(RefKey {
                        rule,
                        key: key_name,
                        mode,
                        currency,
                        amount_minor: amount,
                        attempts: Vec::new(),
                        settled_by: None,
                        dismissed: None,
                        no_retry: false,
                        spend: false,
                    });
                    r.keys.len() - 1
                });
                r.keys[k].spend |= sms;
                r.keys[k].attempts.push(RefAttempt {
                    intent: id,
                    n,
                    at: now,
                    outcome: None,
                    resolved: None,
                    reference: None,
                    error: None,
                    paid: false,
                });
            }
            Op::Outcome {
                pick,
                status,
                reference,
                error,
            } => {
                let Some(intent) = log.pick(pick, |m| m == Mode::Auto) else {
                    continue;
                };
                log.push(EventBody::Outcome {
                    intent: intent.clone(),
                    status,
                    reference: reference.clone(),
                    error: error.clone(),
                });
                if let Some((k, a)) = r.find(&intent) {
                    let at = &mut r.keys[k].attempts[a];
                    at.outcome = Some((status, now));
                    if reference.is_some() {
                        at.reference = reference;
                    }
                    at.error = error;
                    r.told(k, a);
                }
            }
            Op::Resolved {
                pick,
                status,
                retry,
            } => {
                let Some(intent) = log.pick(pick, |m| m != Mode::Remind) else {
                    continue;
                };
                log.push(EventBody::Resolved {
                    intent: intent.clone(),
                    status,
                    note: None,
                    retry,
                });
                if let Some((k, a)) = r.find(&intent) {
                    r.keys[k].no_retry |= !retry;
                    r.keys[k].attempts[a].resolved = Some((status, now));
                    r.told(k, a);
                }
            }
            Op::Manual { amount, pick } => {
                let intent = pick.and_then(|p| log.pick(p, |_| true));
                let id = log.push(EventBody::Manual {
                    amount_minor: amount,
                    currency: cny(),
                    note: None,
                    intent: intent.clone(),
                });
                if let Some((k, _)) = intent.and_then(|i| r.find(&i)) {
                    r.keys[k].settled_by = Some(id);
                }
                r.moved(now, amount, cny(), true);
            }
            Op::Activity(pick) => {
                let intent = pick.and_then(|p| log.pick(p, |_| true));
                let id = log.push(EventBody::Activity {
                    note: None,
                    intent: intent.clone(),
                });
                r.last_activity = r.last_activity.max(Some(now));
                if let Some((k, _)) = intent.and_then(|i| r.find(&i))
                    && r.keys[k].status() == KeyStatus::ReminderOpen
                {
                    r.keys[k].settled_by = Some(id);
                }
            }
            Op::Dismissed { pick, reason } => {
                let Some(intent) = log.pick(pick, |_| true) else {
                    continue;
                };
                log.push(EventBody::Dismissed {
                    intent: intent.clone(),
                    reason: reason.clone(),
                    note: None,
                });
                if let Some((k, _)) = r.find(&intent) {
                    let key = &mut r.keys[k];
                    if key.settled_by.is_none() && key.dismissed.is_none() {
                        key.dismissed = Some(reason);
                    }
                }
            }
            Op::Stray(outcome) => {
                let intent = "nobody-wrote-this".to_string();
                log.push(if outcome {
                    EventBody::Outcome {
                        intent,
                        status: OutcomeStatus::Succeeded,
                        reference: None,
                        error: None,
                    }
                } else {
                    EventBody::Resolved {
                        intent,
                        status: ResolvedStatus::Succeeded,
                        note: None,
                        retry: true,
                    }
                });
            }
        }
    }
    (log, r)
}

fn check(state: &State, r: &Reference) -> Result<(), TestCaseError> {
    let Some(ns) = state.number(NUMBER) else {
        prop_assert!(r.keys.is_empty() && r.observed.is_none());
        return Ok(());
    };
    let keys: Vec<RefKey> = ns
        .keys()
        .map(|k| RefKey {
            rule: k.rule.to_string(),
            key: k.key.to_string(),
            mode: k.mode,
            currency: k.currency,
            amount_minor: k.amount_minor,
            attempts: k
                .attempts
                .iter()
                .zip(
                    r.keys
                        .iter()
                        .find(|rk| rk.key == k.key)
                        .map_or(&[][..], |rk| &rk.attempts[..]),
                )
                .map(|(a, ra)| RefAttempt {
                    intent: a.intent.to_string(),
                    n: a.n,
                    at: a.at,
                    outcome: a.outcome,
                    resolved: a.resolved,
                    reference: a.reference.map(str::to_string),
                    error: a.error.map(str::to_string),
                    paid: ra.paid,
                })
                .collect(),
            settled_by: k.settled_by.map(str::to_string),
            dismissed: k.dismissed.map(str::to_string),
            no_retry: k.no_retry,
            spend: k.spend,
        })
        .collect();
    prop_assert_eq!(&keys, &r.keys);
    for (k, rk) in ns.keys().zip(&r.keys) {
        prop_assert_eq!(k.status(), rk.status(), "status of {}", rk.key);
        prop_assert_eq!(k.attempts.len(), rk.attempts.len());
        prop_assert_eq!(
            ns.key(&rk.key).map(|k| k.key.to_string()),
            Some(rk.key.clone())
        );
        for a in &rk.attempts {
            prop_assert_eq!(
                ns.key_of_intent(&a.intent).map(|k| k.key.to_string()),
                Some(rk.key.clone())
            );
        }
    }
    let in_doubt: BTreeSet<(String, String)> = ns
        .in_doubt()
        .map(|(k, a)| (k.key.to_string(), a.intent.to_string()))
        .collect();
    prop_assert_eq!(in_doubt, r.in_doubt());
    prop_assert_eq!(ns.in_doubt_count(), r.in_doubt().len());
    let failed: BTreeSet<String> = ns.failed_keys().map(|k| k.key.to_string()).collect();
    let want: BTreeSet<String> = r
        .keys
        .iter()
        .filter(|k| matches!(k.status(), KeyStatus::Failed { .. }))
        .map(|k| k.key.clone())
        .collect();
    prop_assert_eq!(failed, want);
    prop_assert_eq!(
        ns.observed.as_ref().map(|o| (o.at, o.balance, o.currency)),
        r.observed
    );
    prop_assert_eq!(ns.expected_balance(), r.expected_balance());
    let spend: BTreeMap<(i32, u32, Currency), i64> = ns
        .spend()
        .into_iter()
        .map(|((m, c), v)| ((m.year, m.month, c), v))
        .filter(|(_, v)| *v != 0)
        .collect();
    let want: BTreeMap<_, _> = r
        .spend
        .iter()
        .filter(|(_, v)| **v != 0)
        .map(|(k, v)| (*k, *v))
        .collect();
    prop_assert_eq!(spend, want);
    prop_assert_eq!(ns.last_activity, r.last_activity);
    prop_assert_eq!(ns.last_top_up, r.last_top_up);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn the_packed_state_agrees_with_a_naive_fold(ops in proptest::collection::vec((step(), op()), 1..150)) {
        let (log, reference) = build(&ops);
        let state = State::replay(tz(), &log.events);
        check(&state, &reference)?;
        // The same log read back from its lines, as every reader does.
        let lines: Vec<Event> = log
            .events
            .iter()
            .map(|e| Event::parse_line(e.to_line().as_bytes()).expect("own line").expect("an event"))
            .collect();
        check(&State::replay(tz(), &lines), &reference)?;
    }
}

/// A key whose last attempt failed stays among the failed keys (the status line's
/// "failed" and the failure notice read that set) when a late `unknown` arrives for an
/// older attempt of it. The set used to follow the attempt last told, and lost the key.
#[test]
fn a_late_word_on_an_older_attempt_keeps_a_failed_key_failed() {
    let intent = |key| Op::Intent {
        key,
        mode: Mode::Auto,
        amount: 800,
        gbp: false,
        sms: false,
    };
    let told = |pick, status| Op::Outcome {
        pick,
        status,
        reference: None,
        error: None,
    };
    let ops = vec![
        (0, intent(0)),
        (60, told(0, OutcomeStatus::Failed)),
        (3600, intent(0)),
        (60, told(1, OutcomeStatus::Failed)),
        (60, told(0, OutcomeStatus::Unknown)),
    ];
    let (log, reference) = build(&ops.into_iter().collect::<Vec<_>>());
    let state = State::replay(tz(), &log.events);
    let ns = state.number(NUMBER).expect("the number");
    let failed: Vec<&str> = ns.failed_keys().map(|k| k.key).collect();
    assert_eq!(failed, ["rule0:m:2026-01"]);
    check(&state, &reference).expect("agrees with the reference");
}
