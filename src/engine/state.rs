//! Replay: the state of every number as a pure fold of the log's events, in log order.
//! It decides nothing and reads no clock; `plan` and `forecast` ask it questions.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::engine::calendar::{YearMonth, add_days, local_date};
use crate::engine::verify::Tracker;
use crate::model::{Currency, Event, EventBody, Mode, OutcomeStatus, Plan, ResolvedStatus};

/// Balance readings kept per number for charts.
const KEEP_READINGS: usize = 400;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    pub id: String,
    pub at: DateTime<Utc>,
    pub balance: i64,
    pub currency: Currency,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attempt {
    pub intent: String,
    pub n: u32,
    pub at: DateTime<Utc>,
    pub outcome: Option<(OutcomeStatus, DateTime<Utc>)>,
    pub resolved: Option<(ResolvedStatus, DateTime<Utc>)>,
    pub reference: Option<String>,
    pub error: Option<String>,
}

/// What became of one attempt, resolutions taking precedence over outcomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptStatus {
    Succeeded,
    Failed,
    /// `unknown`, or no outcome yet: maybe charged.
    InDoubt,
}

impl Attempt {
    pub fn status(&self) -> AttemptStatus {
        match (self.resolved, self.outcome) {
            (Some((ResolvedStatus::Succeeded, _)), _) => AttemptStatus::Succeeded,
            (Some((ResolvedStatus::Failed, _)), _) => AttemptStatus::Failed,
            (None, Some((OutcomeStatus::Succeeded, _))) => AttemptStatus::Succeeded,
            (None, Some((OutcomeStatus::Failed, _))) => AttemptStatus::Failed,
            (None, _) => AttemptStatus::InDoubt,
        }
    }

    /// When this attempt's fate was last told (for retry backoff).
    pub fn settled_at(&self) -> DateTime<Utc> {
        self.resolved
            .map(|r| r.1)
            .or(self.outcome.map(|o| o.1))
            .unwrap_or(self.at)
    }
}

/// Every attempt made under one key (one rule, one period).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyState {
    pub rule: String,
    pub key: String,
    pub mode: Mode,
    pub amount_minor: i64,
    pub currency: Currency,
    pub attempts: Vec<Attempt>,
    /// The manual top-up that settled this reminder.
    pub settled_by: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    Charged,
    InDoubt,
    Failed {
        attempts: u32,
    },
    /// A reminder not yet settled by a manual top-up.
    ReminderOpen,
    ReminderSettled,
}

impl KeyState {
    pub fn status(&self) -> KeyStatus {
        if self.mode == Mode::Remind {
            return if self.settled_by.is_some() {
                KeyStatus::ReminderSettled
            } else {
                KeyStatus::ReminderOpen
            };
        }
        if self
            .attempts
            .iter()
            .any(|a| a.status() == AttemptStatus::Succeeded)
        {
            return KeyStatus::Charged;
        }
        match self.attempts.last().map(Attempt::status) {
            Some(AttemptStatus::Failed) => KeyStatus::Failed {
                attempts: self.attempts.iter().map(|a| a.n).max().unwrap_or(0),
            },
            _ => KeyStatus::InDoubt,
        }
    }

    pub fn first_at(&self) -> Option<DateTime<Utc>> {
        self.attempts.first().map(|a| a.at)
    }

    pub fn last(&self) -> Option<&Attempt> {
        self.attempts.last()
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManualTopUp {
    pub id: String,
    pub at: DateTime<Utc>,
    pub amount_minor: i64,
    pub currency: Currency,
}

#[derive(Clone, Debug, Default)]
pub struct NumberState {
    pub observed: Option<Observation>,
    /// Successful top-ups after the last observation (minor units of its currency).
    pub recharged_since_observed: i64,
    /// The last validity a provider or a person reported, and when.
    pub observed_validity: Option<(NaiveDate, DateTime<Utc>)>,
    /// The last successful top-up (recharge or manual), by when the money went in.
    pub last_top_up: Option<DateTime<Utc>>,
    /// The last activity: a top-up or a recorded use.
    pub last_activity: Option<DateTime<Utc>>,
    pub first_seen: Option<DateTime<Utc>>,
    pub spend: BTreeMap<(YearMonth, Currency), i64>,
    pub keys: HashMap<String, KeyState>,
    /// Intent id → key, for outcomes and resolutions.
    pub intent_keys: HashMap<String, String>,
    /// The last intent of each rule (cooldowns).
    pub rule_last_intent: HashMap<String, DateTime<Utc>>,
    pub in_doubt: BTreeSet<String>,
    pub open_reminders: BTreeSet<String>,
    /// Keys whose last attempt failed.
    pub failed_keys: BTreeSet<String>,
    pub manual: Vec<ManualTopUp>,
    pub readings: VecDeque<(DateTime<Utc>, i64)>,
    pub verify: Tracker,
    pub notified: HashSet<(String, String)>,
}

impl NumberState {
    /// The last observed balance plus successful top-ups since: what the balance should be.
    pub fn expected_balance(&self) -> Option<i64> {
        self.observed
            .as_ref()
            .map(|o| o.balance.saturating_add(self.recharged_since_observed))
    }

    /// Validity from the last report, extended by `plan.validity_days` after top-ups.
    pub fn validity(&self, plan: &Plan) -> Option<NaiveDate> {
        self.validity_in(plan, Tz::UTC)
    }

    pub fn validity_in(&self, plan: &Plan, tz: Tz) -> Option<NaiveDate> {
        let extended = match (plan.validity_days, self.last_top_up) {
            (Some(days), Some(at)) if self.observed_validity.is_none_or(|(_, seen)| at > seen) => {
                Some(add_days(local_date(tz, at), days))
            }
            _ => None,
        };
        match (self.observed_validity.map(|v| v.0), extended) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    pub fn key(&self, key: &str) -> Option<&KeyState> {
        self.keys.get(key)
    }

    pub fn key_of_intent(&self, intent: &str) -> Option<&KeyState> {
        self.intent_keys.get(intent).and_then(|k| self.keys.get(k))
    }

    /// Successful top-ups and manual entries in `month`, in `currency`.
    pub fn spent_in(&self, month: YearMonth, currency: Currency) -> i64 {
        self.spend.get(&(month, currency)).copied().unwrap_or(0)
    }
}

/// Something in the log that does not add up (an outcome for an intent nobody wrote…).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Oddity {
    pub event: String,
    pub what: OddityKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OddityKind {
    UnknownIntent(String),
    /// A second intent for a key that already had a success or an unanswered attempt.
    KeyReused(String),
}

#[derive(Clone, Debug)]
pub struct State {
    tz: Tz,
    pub numbers: HashMap<String, NumberState>,
    pub events: u64,
    pub oddities: Vec<Oddity>,
    pub last_at: Option<DateTime<Utc>>,
}

impl State {
    pub fn new(tz: Tz) -> State {
        State {
            tz,
            numbers: HashMap::new(),
            events: 0,
            oddities: Vec::new(),
            last_at: None,
        }
    }

    pub fn tz(&self) -> Tz {
        self.tz
    }

    pub fn replay<'a>(tz: Tz, events: impl IntoIterator<Item = &'a Event>) -> State {
        let mut s = State::new(tz);
        for e in events {
            s.apply(e);
        }
        s
    }

    pub fn number(&self, id: &str) -> Option<&NumberState> {
        self.numbers.get(id)
    }

    /// Folds one event in. Never fails: what does not add up is noted in `oddities`.
    pub fn apply(&mut self, e: &Event) {
        let at = e.at.with_timezone(&Utc);
        self.events += 1;
        self.last_at = Some(self.last_at.map_or(at, |l| l.max(at)));
        let tz = self.tz;
        let ns = match self.numbers.get_mut(&e.number) {
            Some(ns) => ns,
            None => self.numbers.entry(e.number.clone()).or_default(),
        };
        ns.first_seen.get_or_insert(at);
        match &e.body {
            EventBody::Balance {
                balance_minor,
                currency,
                validity_until,
                ..
            } => {
                ns.observed = Some(Observation {
                    id: e.id.clone(),
                    at,
                    balance: *balance_minor,
                    currency: *currency,
                });
                ns.recharged_since_observed = 0;
                if let Some(v) = validity_until {
                    ns.observed_validity = Some((*v, at));
                }
                ns.readings.push_back((at, *balance_minor));
                if ns.readings.len() > KEEP_READINGS {
                    ns.readings.pop_front();
                }
                ns.verify.reading(at, *balance_minor);
            }
            EventBody::Intent {
                rule,
                key,
                attempt,
                amount_minor,
                currency,
                mode,
            } => {
                let ks = ns.keys.entry(key.clone()).or_insert_with(|| KeyState {
                    rule: rule.clone(),
                    key: key.clone(),
                    mode: *mode,
                    amount_minor: *amount_minor,
                    currency: *currency,
                    attempts: Vec::new(),
                    settled_by: None,
                });
                if !ks.attempts.is_empty()
                    && matches!(
                        ks.status(),
                        KeyStatus::Charged
                            | KeyStatus::InDoubt
                            | KeyStatus::ReminderOpen
                            | KeyStatus::ReminderSettled
                    )
                {
                    self.oddities.push(Oddity {
                        event: e.id.clone(),
                        what: OddityKind::KeyReused(key.clone()),
                    });
                }
                ks.attempts.push(Attempt {
                    intent: e.id.clone(),
                    n: *attempt,
                    at,
                    outcome: None,
                    resolved: None,
                    reference: None,
                    error: None,
                });
                ns.intent_keys.insert(e.id.clone(), key.clone());
                ns.rule_last_intent.insert(rule.clone(), at);
                ns.failed_keys.remove(key);
                match mode {
                    Mode::Auto => ns.in_doubt.insert(e.id.clone()),
                    Mode::Remind => ns.open_reminders.insert(e.id.clone()),
                };
            }
            EventBody::Outcome {
                intent,
                status,
                reference,
                error,
            } => {
                let Some(key) = ns.intent_keys.get(intent).cloned() else {
                    self.oddities.push(Oddity {
                        event: e.id.clone(),
                        what: OddityKind::UnknownIntent(intent.clone()),
                    });
                    return;
                };
                let Some(ks) = ns.keys.get_mut(&key) else {
                    return;
                };
                let Some(a) = ks.attempts.iter_mut().find(|a| &a.intent == intent) else {
                    return;
                };
                let before = a.status();
                a.outcome = Some((*status, at));
                a.reference = reference.clone().or(a.reference.take());
                a.error = error.clone();
                let after = a.status();
                let (charge_at, amount, currency) = (a.at, ks.amount_minor, ks.currency);
                Self::settle(
                    ns, tz, intent, &key, before, after, charge_at, amount, currency,
                );
            }
            EventBody::Resolved { intent, status, .. } => {
                let Some(key) = ns.intent_keys.get(intent).cloned() else {
                    self.oddities.push(Oddity {
                        event: e.id.clone(),
                        what: OddityKind::UnknownIntent(intent.clone()),
                    });
                    return;
                };
                let Some(ks) = ns.keys.get_mut(&key) else {
                    return;
                };
                let Some(a) = ks.attempts.iter_mut().find(|a| &a.intent == intent) else {
                    return;
                };
                let before = a.status();
                a.resolved = Some((*status, at));
                let after = a.status();
                let (charge_at, amount, currency) = (a.at, ks.amount_minor, ks.currency);
                Self::settle(
                    ns, tz, intent, &key, before, after, charge_at, amount, currency,
                );
            }
            EventBody::Manual {
                amount_minor,
                currency,
                intent,
                ..
            } => {
                let mut by_rule = false;
                if let Some(i) = intent
                    && let Some(key) = ns.intent_keys.get(i).cloned()
                    && let Some(ks) = ns.keys.get_mut(&key)
                {
                    ks.settled_by = Some(e.id.clone());
                    ns.open_reminders.remove(i);
                    by_rule = true;
                }
                ns.manual.push(ManualTopUp {
                    id: e.id.clone(),
                    at,
                    amount_minor: *amount_minor,
                    currency: *currency,
                });
                Self::top_up(ns, tz, &e.id, at, *amount_minor, *currency, by_rule);
            }
            EventBody::Activity { .. } => {
                ns.last_activity = Some(ns.last_activity.map_or(at, |l| l.max(at)));
            }
            EventBody::Notified { event, key } => {
                ns.notified.insert((event.clone(), key.clone()));
            }
        }
    }

    /// Book-keeping when an attempt's status changes.
    #[allow(clippy::too_many_arguments)]
    fn settle(
        ns: &mut NumberState,
        tz: Tz,
        intent: &str,
        key: &str,
        before: AttemptStatus,
        after: AttemptStatus,
        charge_at: DateTime<Utc>,
        amount: i64,
        currency: Currency,
    ) {
        if after != AttemptStatus::InDoubt {
            ns.in_doubt.remove(intent);
        } else {
            ns.in_doubt.insert(intent.to_string());
        }
        match after {
            AttemptStatus::Failed => {
                ns.failed_keys.insert(key.to_string());
            }
            _ => {
                ns.failed_keys.remove(key);
            }
        }
        if before != AttemptStatus::Succeeded && after == AttemptStatus::Succeeded {
            Self::top_up(ns, tz, intent, charge_at, amount, currency, true);
        }
    }

    fn top_up(
        ns: &mut NumberState,
        tz: Tz,
        id: &str,
        at: DateTime<Utc>,
        amount: i64,
        currency: Currency,
        by_rule: bool,
    ) {
        if let Some(o) = &ns.observed
            && at > o.at
            && o.currency == currency
        {
            ns.recharged_since_observed = ns.recharged_since_observed.saturating_add(amount);
        }
        ns.last_top_up = Some(ns.last_top_up.map_or(at, |l| l.max(at)));
        ns.last_activity = Some(ns.last_activity.map_or(at, |l| l.max(at)));
        *ns.spend
            .entry((YearMonth::of(local_date(tz, at)), currency))
            .or_insert(0) += amount;
        ns.verify.top_up(id, at, amount, by_rule);
    }
}
