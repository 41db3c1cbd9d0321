//! Replay: the state of every number as a pure fold of the log's events, in log order.
//! It decides nothing and reads no clock; `plan` and `forecast` ask it questions.

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::hash::BuildHasher;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use hashbrown::{DefaultHashBuilder, HashMap, HashTable};

use crate::engine::calendar::{YearMonth, add_days, local_date};
use crate::engine::chunked::Chunked;
use crate::engine::evidence::Evidence;
use crate::engine::verify::Tracker;
use crate::model::{Currency, Event, EventBody, Mode, Money, OutcomeStatus, Plan, ResolvedStatus};
use fold::Fold;
pub use packed::RefAt;
use packed::{Arena, AttemptRec, KeyRec};

mod fold;
mod packed;
mod snapshot;
pub use snapshot::options as snapshot_options;

/// Balance readings kept per number for charts.
const KEEP_READINGS: usize = 400;
/// Money moves kept per number to count what a newer reading has not seen (far above
/// what happens between two readings).
const KEEP_MOVES: usize = 64;

/// A small set kept in insertion order: the newest is usually the one removed next, so
/// removal searches from the back. (In-doubt and failed sets are short in real logs.)
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(crate) struct IndexSet<T>(Vec<T>);

impl<T> Default for IndexSet<T> {
    fn default() -> Self {
        IndexSet(Vec::new())
    }
}

impl<T: PartialEq + Copy> IndexSet<T> {
    fn insert(&mut self, v: T) {
        if !self.0.contains(&v) {
            self.0.push(v);
        }
    }

    fn remove(&mut self, v: &T) {
        if let Some(i) = self.0.iter().rposition(|x| x == v) {
            self.0.remove(i);
        }
    }

    fn iter(&self) -> std::slice::Iter<'_, T> {
        self.0.iter()
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A string an event may carry: owned, or borrowed from the line being replayed.
pub trait EventStr: AsRef<str> + Into<String> + Into<Box<str>> {}
impl<T: AsRef<str> + Into<String> + Into<Box<str>>> EventStr for T {}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Observation {
    pub id: String,
    pub at: DateTime<Utc>,
    pub balance: i64,
    pub currency: Currency,
}

/// One attempt of a key, as readers see it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt<'a> {
    pub intent: &'a str,
    pub n: u32,
    pub at: DateTime<Utc>,
    pub outcome: Option<(OutcomeStatus, DateTime<Utc>)>,
    pub resolved: Option<(ResolvedStatus, DateTime<Utc>)>,
    /// `None` also in a state kept [`State::without_references`], and where the state
    /// kept where it is in the log instead (`reference_at`).
    pub reference: Option<&'a str>,
    /// Where the reference is in the log, in a state kept
    /// [`State::with_reference_positions`].
    pub reference_at: Option<RefAt>,
    pub error: Option<&'a str>,
    /// The verification check of this attempt's top-up, once it succeeded.
    pub check: Option<u32>,
}

impl<'a> Attempt<'a> {
    fn of(arena: &'a Arena, a: AttemptRec) -> Attempt<'a> {
        Attempt {
            intent: arena.get(a.intent),
            n: a.n,
            at: a.at,
            outcome: a.outcome,
            resolved: a.resolved,
            reference: a.reference.and_then(|r| arena.text(r)),
            reference_at: a.reference.and_then(|r| arena.get_at(r)),
            error: a.error.map(|e| arena.get(e)),
            check: a.check,
        }
    }
}

/// What became of one attempt, resolutions taking precedence over outcomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptStatus {
    Succeeded,
    Failed,
    /// `unknown`, or no outcome yet: maybe charged.
    InDoubt,
}

fn attempt_status(
    resolved: Option<(ResolvedStatus, DateTime<Utc>)>,
    outcome: Option<(OutcomeStatus, DateTime<Utc>)>,
) -> AttemptStatus {
    match (resolved, outcome) {
        (Some((ResolvedStatus::Succeeded, _)), _) => AttemptStatus::Succeeded,
        (Some((ResolvedStatus::Failed, _)), _) => AttemptStatus::Failed,
        (None, Some((OutcomeStatus::Succeeded, _))) => AttemptStatus::Succeeded,
        (None, Some((OutcomeStatus::Failed, _))) => AttemptStatus::Failed,
        (None, _) => AttemptStatus::InDoubt,
    }
}

impl AttemptRec {
    fn status(&self) -> AttemptStatus {
        attempt_status(self.resolved, self.outcome)
    }
}

impl Attempt<'_> {
    pub fn status(self) -> AttemptStatus {
        attempt_status(self.resolved, self.outcome)
    }

    /// When this attempt's fate was last told (for retry backoff).
    pub(crate) fn settled_at(self) -> DateTime<Utc> {
        self.resolved
            .map(|r| r.1)
            .or(self.outcome.map(|o| o.1))
            .unwrap_or(self.at)
    }
}

/// The attempts of one key, oldest first.
#[derive(Clone, Copy)]
pub struct Attempts<'a> {
    arena: &'a Arena,
    rec: &'a KeyRec,
}

impl std::fmt::Debug for Attempts<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a> Attempts<'a> {
    pub fn len(self) -> usize {
        self.rec.attempt_count()
    }

    pub fn is_empty(self) -> bool {
        self.rec.attempt_count() == 0
    }

    pub fn get(self, i: usize) -> Option<Attempt<'a>> {
        self.rec.attempt(i).map(|a| Attempt::of(self.arena, a))
    }

    pub fn first(self) -> Option<Attempt<'a>> {
        self.get(0)
    }

    pub fn last(self) -> Option<Attempt<'a>> {
        self.rec.last_attempt().map(|a| Attempt::of(self.arena, a))
    }

    pub fn iter(self) -> impl DoubleEndedIterator<Item = Attempt<'a>> + 'a {
        let arena = self.arena;
        self.rec.attempts().map(move |a| Attempt::of(arena, a))
    }
}

/// Every attempt made under one key (one rule, one period), as readers see it.
#[derive(Clone, Copy, Debug)]
pub struct KeyState<'a> {
    pub rule: &'a str,
    pub key: &'a str,
    pub mode: Mode,
    pub currency: Currency,
    pub amount_minor: i64,
    pub attempts: Attempts<'a>,
    /// The manual top-up (or, for a keep-alive reminder, the activity) that settled it.
    pub settled_by: Option<&'a str>,
    /// Why this reminder was closed without a top-up (`rule_deleted`, `rule_now_auto`,
    /// `by_hand`), if it was.
    pub dismissed: Option<&'a str>,
    /// A failed charge the person said not to try again (`resolve … failed-final`).
    pub no_retry: bool,
    /// A keep-alive text through the modem: its amount is spent, not put in.
    pub spend: bool,
}

impl<'a> KeyState<'a> {
    fn of(ns: &'a NumberState, k: &'a KeyRec) -> KeyState<'a> {
        let arena = &ns.arena;
        KeyState {
            rule: ns.rules.get(k.rule() as usize).map_or("", |r| r),
            key: arena.get(k.key),
            mode: k.mode,
            currency: k.currency,
            amount_minor: k.amount_minor(),
            attempts: Attempts { arena, rec: k },
            settled_by: k.settled_by().map(|s| arena.get(s)),
            dismissed: k.dismissed().map(|s| arena.get(s)),
            no_retry: k.no_retry(),
            spend: k.spend(),
        }
    }

    pub fn status(&self) -> KeyStatus {
        key_status(
            self.mode,
            self.settled_by.is_some(),
            self.dismissed.is_some(),
            self.attempts.rec,
        )
    }

    pub(crate) fn first_at(&self) -> Option<DateTime<Utc>> {
        self.attempts.rec.first().map(|a| a.at)
    }

    pub fn last(&self) -> Option<Attempt<'a>> {
        self.attempts.last()
    }
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
    /// An external recharge nobody resolved: what became of it is `reconcile`'s to say.
    Expected,
    /// A reminder closed without a top-up (see `KeyState::dismissed`).
    ReminderDismissed,
}

fn key_status(mode: Mode, settled: bool, dismissed: bool, rec: &KeyRec) -> KeyStatus {
    if mode == Mode::External {
        return match rec.attempts().rev().find_map(|a| a.resolved) {
            Some((ResolvedStatus::Succeeded, _)) => KeyStatus::Charged,
            Some((ResolvedStatus::Failed, _)) => KeyStatus::Failed {
                attempts: rec.attempts().map(|a| a.n).max().unwrap_or(0),
            },
            None => KeyStatus::Expected,
        };
    }
    if mode == Mode::Remind {
        return if settled {
            KeyStatus::ReminderSettled
        } else if dismissed {
            KeyStatus::ReminderDismissed
        } else {
            KeyStatus::ReminderOpen
        };
    }
    if rec
        .attempts()
        .any(|a| a.status() == AttemptStatus::Succeeded)
    {
        return KeyStatus::Charged;
    }
    match rec.last_attempt().map(|a| a.status()) {
        Some(AttemptStatus::Failed) => KeyStatus::Failed {
            attempts: rec.attempts().map(|a| a.n).max().unwrap_or(0),
        },
        _ => KeyStatus::InDoubt,
    }
}

impl KeyRec {
    fn status(&self) -> KeyStatus {
        key_status(
            self.mode,
            self.settled_by().is_some(),
            self.dismissed().is_some(),
            self,
        )
    }
}

/// How one notification fared on one push channel, from its `delivered` events.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Delivery {
    /// Failed tries so far (a delivery after failures keeps the count).
    pub failures: u32,
    pub last_at: Option<DateTime<Utc>>,
    pub delivered: bool,
    /// The service said never to try again.
    pub final_failure: bool,
    /// The last failure's reason, as the service gave it.
    pub error: Option<String>,
}

/// How long after each failed try the next one is made (about 1 min, 5 min, 30 min, 2 h,
/// 6 h); after the last, the delivery is given up.
pub(crate) const RETRY_AFTER_MINUTES: [i64; 5] = [1, 5, 30, 120, 360];

impl Delivery {
    /// Failed for good: the service said never, or every retry failed.
    pub fn gave_up(&self) -> bool {
        !self.delivered
            && (self.final_failure || self.failures as usize > RETRY_AFTER_MINUTES.len())
    }

    /// Whether a try is due at `now` (never once delivered or given up).
    pub fn due(&self, now: DateTime<Utc>) -> bool {
        if self.delivered || self.gave_up() {
            return false;
        }
        match (self.failures, self.last_at) {
            (0, _) | (_, None) => true,
            (n, Some(last)) => {
                let wait = RETRY_AFTER_MINUTES[(n as usize - 1).min(RETRY_AFTER_MINUTES.len() - 1)];
                now >= last + chrono::Duration::minutes(wait)
            }
        }
    }
}

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
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
    /// The newest time of a text the SIM received (a reading, evidence or message from
    /// `sms`): when its phone or board was last heard passing one on.
    #[serde(default)]
    pub last_text: Option<DateTime<Utc>>,
    /// Money in per local month and currency, in month order.
    spend: Vec<((YearMonth, Currency), i64)>,
    /// The last intent of each rule (cooldowns), the rule by its index in `rules`.
    rule_last_intent: Vec<(u32, DateTime<Utc>)>,
    /// Auto attempts (key, attempt) that may or may not have charged.
    in_doubt: IndexSet<(u32, u32)>,
    /// Reminders (key, attempt) not yet settled by a manual top-up.
    open_reminders: IndexSet<(u32, u32)>,
    /// Keys (by index) whose last attempt failed.
    failed: IndexSet<u32>,
    /// Balance readings in time order (the last [`KEEP_READINGS`]).
    #[serde(with = "snapshot::timed")]
    pub readings: VecDeque<(DateTime<Utc>, i64)>,
    /// The latest money moves (top-ups in, paid texts out), in log order: what a newer
    /// reading arriving after them has not seen yet.
    #[serde(with = "snapshot::timed")]
    moves: VecDeque<(DateTime<Utc>, i64, Currency)>,
    /// Top-ups seen in statements and texts, in log order (see `reconcile`).
    pub evidence: Vec<Evidence>,
    /// Refunded references whose order is not in the log (yet): statements may be
    /// imported in any order.
    #[serde(serialize_with = "snapshot::sorted_set")]
    refunded_refs: HashSet<Box<str>>,
    /// `source` NUL `ref` of every piece of evidence, so a record seen twice counts once.
    #[serde(serialize_with = "snapshot::sorted_set")]
    evidence_refs: HashSet<Box<str>>,
    pub verify: Tracker,
    #[serde(serialize_with = "snapshot::sorted_set")]
    pub notified: HashSet<(String, String)>,
    /// Push-channel deliveries, by (event, key, channel id): see `Delivery`.
    #[serde(serialize_with = "snapshot::sorted_map")]
    pub deliveries: HashMap<(String, String, String), Delivery>,
    rules: Vec<Box<str>>,
    keys: Chunked<KeyRec>,
    /// The strings of `keys`.
    arena: Arena,
    /// Each key's index and the 32 bits of its hash the table is built on (see
    /// [`NumberState::hash_of`]): growing the table then reads no key text.
    #[serde(skip)]
    key_index: HashTable<(u32, u32)>,
    /// Every currency a key was ever in, each once, in the order first seen.
    key_currencies: Vec<Currency>,
    last_intent: Option<(u32, u32)>,
    /// Random per process: a restored state builds its key index anew (`snapshot`).
    #[serde(skip)]
    hasher: DefaultHashBuilder,
}

impl NumberState {
    /// Money moved after `at` in `currency`, among the latest moves.
    fn moved_since(&self, at: DateTime<Utc>, currency: Currency) -> i64 {
        self.moves
            .iter()
            .filter(|(t, _, c)| *t > at && *c == currency)
            .fold(0i64, |sum, (_, m, _)| sum.saturating_add(*m))
    }

    /// The last observed balance plus successful top-ups since: what the balance should be.
    pub fn expected_balance(&self) -> Option<i64> {
        self.observed
            .as_ref()
            .map(|o| o.balance.saturating_add(self.recharged_since_observed))
    }

    /// Validity from the last report, extended by `plan.validity_days` after top-ups
    /// (dates in `tz`).
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

    /// A key's hash as the index keeps it (32 bits) and as the table is given it (those
    /// bits in both halves: the table takes its buckets from the low bits and its tags
    /// from the high ones).
    fn hash_of(&self, key: &str) -> (u32, u64) {
        let h = (self.hasher.hash_one(key) >> 32) as u32;
        (h, widen(h))
    }

    fn key_idx(&self, key: &str) -> Option<u32> {
        let (h, hash) = self.hash_of(key);
        self.key_index
            .find(hash, |(i, kh)| {
                *kh == h && self.arena.get(self.keys[*i as usize].key) == key
            })
            .map(|(i, _)| *i)
    }

    /// Finds an intent by id. Only open intents are ever looked up by the log's own events
    /// (an outcome for a pending attempt, a resolution of an in-doubt one, a manual top-up
    /// settling an open reminder), so those are searched first; the full scan is for readers
    /// asking about old intents, and for abnormal logs.
    fn intent_idx(&self, intent: &str) -> Option<(u32, u32)> {
        let is = |&(k, a): &(u32, u32)| {
            self.keys[k as usize]
                .intent_of(a as usize)
                .is_some_and(|i| self.arena.get(i) == intent)
        };
        if let Some(last) = self.last_intent.filter(is) {
            return Some(last);
        }
        if let Some(found) = self
            .in_doubt
            .iter()
            .rev()
            .chain(self.open_reminders.iter().rev())
            .copied()
            .find(is)
        {
            return Some(found);
        }
        self.keys.iter().enumerate().rev().find_map(|(k, ks)| {
            ks.attempts()
                .position(|a| self.arena.get(a.intent) == intent)
                .map(|a| (k as u32, a as u32))
        })
    }

    /// Whether a statement with this source and reference is already in.
    pub(crate) fn has_evidence(&self, source: &str, reference: &str) -> bool {
        self.evidence_refs
            .contains(evidence_key(source, reference).as_ref())
    }

    pub fn key(&self, key: &str) -> Option<KeyState<'_>> {
        self.key_idx(key).map(|i| self.view(i))
    }

    fn view(&self, i: u32) -> KeyState<'_> {
        KeyState::of(self, &self.keys[i as usize])
    }

    /// The index of the key an intent belongs to (stable for the life of the state).
    pub(crate) fn key_index_of_intent(&self, intent: &str) -> Option<u32> {
        self.intent_idx(intent).map(|(k, _)| k)
    }

    /// Every currency a key of this number was in, each once, in the order first seen.
    pub(crate) fn key_currencies(&self) -> &[Currency] {
        &self.key_currencies
    }

    /// How many keys this number has (a new key gets this index).
    pub(crate) fn key_count(&self) -> usize {
        self.keys.len()
    }

    pub fn key_at(&self, index: u32) -> Option<KeyState<'_>> {
        self.keys.get(index as usize).map(|k| KeyState::of(self, k))
    }

    pub fn key_of_intent(&self, intent: &str) -> Option<KeyState<'_>> {
        self.intent_idx(intent).map(|(k, _)| self.view(k))
    }

    /// Every key ever intended for this number, in the order first seen.
    pub fn keys(&self) -> impl DoubleEndedIterator<Item = KeyState<'_>> + ExactSizeIterator {
        self.keys.iter().map(|k| KeyState::of(self, k))
    }

    /// Auto intents that may or may not have charged: nobody knows yet.
    pub fn in_doubt(&self) -> impl Iterator<Item = (KeyState<'_>, Attempt<'_>)> {
        self.attempts_in(&self.in_doubt)
    }

    fn attempts_in<'a>(
        &'a self,
        set: &'a IndexSet<(u32, u32)>,
    ) -> impl Iterator<Item = (KeyState<'a>, Attempt<'a>)> {
        set.iter().filter_map(|(k, a)| {
            let rec = &self.keys[*k as usize];
            Some((
                KeyState::of(self, rec),
                Attempt::of(&self.arena, rec.attempt(*a as usize)?),
            ))
        })
    }

    pub fn in_doubt_count(&self) -> usize {
        self.in_doubt.len()
    }

    /// Reminders not yet settled by a manual top-up.
    pub(crate) fn open_reminders(&self) -> impl Iterator<Item = (KeyState<'_>, Attempt<'_>)> {
        self.attempts_in(&self.open_reminders)
    }

    /// When `rule` last wrote an intent.
    pub(crate) fn last_intent_of(&self, rule: &str) -> Option<DateTime<Utc>> {
        self.rule_last_intents()
            .find(|(r, _)| *r == rule)
            .map(|(_, t)| t)
    }

    pub(crate) fn rule_last_intents(&self) -> impl Iterator<Item = (&str, DateTime<Utc>)> {
        self.rule_last_intent
            .iter()
            .map(|(r, t)| (self.rules.get(*r as usize).map_or("", |r| &**r), *t))
    }

    /// Every intent id written for this number.
    pub fn intent_ids(&self) -> impl Iterator<Item = &str> {
        self.keys
            .iter()
            .flat_map(|k| k.attempts().map(|a| self.arena.get(a.intent)))
    }

    /// Keys whose last attempt failed.
    pub fn failed_keys(&self) -> impl Iterator<Item = KeyState<'_>> {
        self.failed.iter().map(|i| self.view(*i))
    }

    /// Successful top-ups and manual entries in `month`, in `currency`.
    pub(crate) fn spent_in(&self, month: YearMonth, currency: Currency) -> i64 {
        self.spend
            .iter()
            .rev()
            .find(|(k, _)| *k == (month, currency))
            .map_or(0, |(_, v)| *v)
    }

    /// Money in per month and currency, oldest first.
    pub fn spend(&self) -> BTreeMap<(YearMonth, Currency), i64> {
        let mut out = BTreeMap::new();
        for (k, v) in &self.spend {
            *out.entry(*k).or_insert(0) += v;
        }
        out
    }

    fn add_spend(&mut self, month: YearMonth, currency: Currency, amount: i64) {
        // Logs are in time order: the month is almost always the last one or new.
        match self
            .spend
            .iter_mut()
            .rev()
            .take(8)
            .find(|(k, _)| *k == (month, currency))
        {
            Some((_, v)) => *v += amount,
            None => match self.spend.iter_mut().find(|(k, _)| *k == (month, currency)) {
                Some((_, v)) => *v += amount,
                None => self.spend.push(((month, currency), amount)),
            },
        }
    }

    fn intern_rule(&mut self, rule: &str) -> u32 {
        match self.rules.iter().position(|r| **r == *rule) {
            Some(i) => i as u32,
            None => {
                self.rules.push(rule.into());
                (self.rules.len() - 1) as u32
            }
        }
    }

    /// The key's index, creating its entry on first sight.
    fn key_entry(
        &mut self,
        rule: &str,
        key: &str,
        mode: Mode,
        currency: Currency,
        amount_minor: i64,
    ) -> u32 {
        let (h, hash) = self.hash_of(key);
        let (keys, arena) = (&self.keys, &self.arena);
        if let Some((i, _)) = self.key_index.find(hash, |(i, kh)| {
            *kh == h && arena.get(keys[*i as usize].key) == key
        }) {
            return *i;
        }
        let rule = self.intern_rule(rule);
        if !self.key_currencies.contains(&currency) {
            self.key_currencies.push(currency);
        }
        let i = self.keys.len() as u32;
        let key = self.arena.push(key);
        self.keys
            .push(KeyRec::new(key, rule, mode, currency, amount_minor));
        self.key_index
            .insert_unique(hash, (i, h), |(_, kh)| widen(*kh));
        i
    }
}

/// What an event tells of one attempt.
pub(super) enum Told<'a> {
    Outcome {
        status: OutcomeStatus,
        at: DateTime<Utc>,
        /// Kept as the text, or as where it is in the log when that can be kept; no
        /// reference leaves the one told before.
        reference: Option<(&'a str, Option<RefAt>)>,
        error: Option<&'a str>,
    },
    Resolved {
        status: ResolvedStatus,
        at: DateTime<Utc>,
    },
    /// The verification check of its top-up.
    Check(u32),
}

impl NumberState {
    /// A new attempt `n` of key `k`, by intent `intent`: its index among the key's attempts.
    fn push_attempt(&mut self, k: u32, intent: &str, n: u32, at: DateTime<Utc>) -> u32 {
        let a = self.keys[k as usize].attempt_count() as u32;
        let intent = self.arena.push(intent);
        self.keys[k as usize].push_attempt(AttemptRec::new(intent, n, at));
        a
    }

    /// Tells attempt `a` of key `k` what became of it; gives its status as it was.
    fn tell(&mut self, k: u32, a: u32, told: Told<'_>) -> Option<AttemptStatus> {
        let arena = &mut self.arena;
        let change = |attempt: &mut AttemptRec| match told {
            Told::Outcome {
                status,
                at,
                reference,
                error,
            } => {
                attempt.outcome = Some((status, at));
                if let Some((text, place)) = reference {
                    attempt.reference = place
                        .and_then(|p| arena.push_at(p))
                        .or_else(|| Some(arena.push(text)));
                }
                attempt.error = error.map(|e| arena.push_shared(e));
            }
            Told::Resolved { status, at } => attempt.resolved = Some((status, at)),
            Told::Check(check) => attempt.check = Some(check),
        };
        let was = self.keys[k as usize].update_attempt(a as usize, change)?;
        Some(was.status())
    }

    /// Key `k` settled by the top-up or the activity `by` (an event id).
    fn settle_key(&mut self, k: u32, by: &str) {
        let by = self.arena.push(by);
        self.keys[k as usize].settle(by);
    }

    /// Reminder `k` closed without a top-up, for `reason`, unless it was settled or
    /// closed already.
    fn dismiss_key(&mut self, k: u32, reason: &str) {
        let ks = &self.keys[k as usize];
        if ks.settled_by().is_none() && ks.dismissed().is_none() {
            let reason = self.arena.push_shared(reason);
            self.keys[k as usize].dismiss(reason);
        }
    }

    fn mark_spend(&mut self, k: u32) {
        self.keys[k as usize].mark_spend();
    }

    fn forbid_retry(&mut self, k: u32) {
        self.keys[k as usize].forbid_retry();
    }
}

/// A key index's 32-bit hash as the table is given it.
fn widen(h: u32) -> u64 {
    (u64::from(h) << 32) | u64::from(h)
}

/// Something in the log that does not add up (an outcome for an intent nobody wrote…).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Oddity {
    pub event: String,
    pub what: OddityKind,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OddityKind {
    UnknownIntent(String),
    /// A second intent for a key that already had a success or an unanswered attempt.
    KeyReused(String),
}

/// How a state keeps executor references.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
enum References {
    Text,
    /// Not at all ([`State::without_references`]).
    Dropped,
    /// As where they are in the log, when the reader says ([`State::with_reference_positions`]).
    Places,
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct State {
    /// Kept beside a checkpoint's state, not in it (`snapshot`).
    #[serde(skip, default = "snapshot::utc")]
    tz: Tz,
    #[serde(serialize_with = "snapshot::sorted_map")]
    pub numbers: HashMap<String, NumberState>,
    pub events: u64,
    pub oddities: Vec<Oddity>,
    pub last_at: Option<DateTime<Utc>>,
    /// The newest time baohao's own clock wrote (intents, outcomes, its own readings…), not
    /// a time read from an imported file or a received text (see [`own_clock`]).
    pub own_at: Option<DateTime<Utc>>,
    /// When baohao made the home, by its own clock (`store::created`), if it says: set by
    /// whoever opens the home, never from the log (so not kept in a checkpoint).
    #[serde(skip)]
    pub home_created: Option<DateTime<Utc>>,
    /// A cache: a restored state starts without it.
    #[serde(skip)]
    months: MonthCache,
    /// How attempts keep their executor's reference.
    references: References,
}

/// Whether an event's `at` came from baohao's own clock: everything it writes itself, but
/// not statement rows, texts (imported or received: `sms` readings) and kept messages, whose
/// times are the record's and may be wrong (a row dated next year must not stop every
/// recharge until then).
pub fn own_clock<S: AsRef<str>>(body: &EventBody<S>) -> bool {
    match body {
        EventBody::Statement { .. } | EventBody::Message { .. } => false,
        EventBody::Balance { source, .. } => source.as_ref() != "sms",
        // `record … --at` lets the person date a top-up or a use in the past.
        EventBody::Manual { .. } | EventBody::Activity { .. } => false,
        _ => true,
    }
}

impl State {
    pub fn new(tz: Tz) -> State {
        State {
            tz,
            numbers: HashMap::new(),
            events: 0,
            oddities: Vec::new(),
            last_at: None,
            own_at: None,
            home_created: None,
            months: MonthCache::default(),
            references: References::Text,
        }
    }

    /// This state, keeping no executor references from here on: every [`Attempt`]'s
    /// `reference` reads `None`. For those that show none (`status`, the worker): a
    /// reference is the largest text a key has, and a long log has hundreds of thousands
    /// of keys. Nothing the engine decides reads it.
    pub(crate) fn without_references(mut self) -> State {
        self.references = References::Dropped;
        self
    }

    /// This state, keeping an executor reference as where it is in the log when the event
    /// comes with that place ([`State::apply_event_at`]): readers get `reference_at` and
    /// fetch the text themselves. For a streamed listing, which reads the log again anyway
    /// (the references would be about a sixth of its memory).
    pub(crate) fn with_reference_positions(mut self) -> State {
        self.references = References::Places;
        self
    }

    /// Whether attempts keep their references (false after [`State::without_references`]).
    pub fn keeps_references(&self) -> bool {
        self.references != References::Dropped
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

    /// Folds one event in, owned or borrowing from the line being read. Never fails: what
    /// does not add up is noted in `oddities`. The fold copies only the strings it keeps.
    pub fn apply<S: AsRef<str>>(&mut self, e: &Event<S>) {
        self.apply_event_at(e.borrowed(), None);
    }

    /// This state, for a home made at `created` (see [`State::home_created`]).
    pub fn made_at(mut self, created: Option<DateTime<Utc>>) -> State {
        self.home_created = created;
        self
    }

    /// The newest time baohao's own clock is known to have seen: [`State::own_at`], or the
    /// home's creation time when that is newer (a fresh home has an empty log).
    pub(crate) fn own_newest(&self) -> Option<DateTime<Utc>> {
        self.own_at.max(self.home_created)
    }

    /// [`State::apply`] told where the event's reference is in the log (see
    /// [`State::with_reference_positions`]).
    pub(crate) fn apply_event_at<S: EventStr>(&mut self, e: Event<S>, reference_at: Option<RefAt>) {
        let at = e.at.with_timezone(&Utc);
        self.events += 1;
        self.last_at = Some(self.last_at.map_or(at, |l| l.max(at)));
        if own_clock(&e.body) {
            self.own_at = Some(self.own_at.map_or(at, |l| l.max(at)));
        }
        let tz = self.tz;
        let ns = match self.numbers.get_mut(e.number.as_ref()) {
            Some(ns) => ns,
            None => self.numbers.entry(e.number.into()).or_default(),
        };
        ns.first_seen.get_or_insert(at);
        let from_text = match &e.body {
            EventBody::Balance { source, .. }
            | EventBody::Statement { source, .. }
            | EventBody::Message { source, .. } => source.as_ref() == "sms",
            _ => false,
        };
        if from_text {
            ns.last_text = Some(ns.last_text.map_or(at, |l| l.max(at)));
        }
        let fold = Fold {
            ns,
            oddities: &mut self.oddities,
            months: &mut self.months,
            tz,
            references: self.references,
            id: e.id,
            at,
        };
        match e.body {
            EventBody::Balance {
                balance_minor,
                currency,
                validity_until,
                ..
            } => fold.on_balance(balance_minor, currency, validity_until),
            EventBody::Intent {
                rule,
                key,
                attempt,
                amount_minor,
                currency,
                mode,
                action,
            } => fold.on_intent(
                rule,
                key,
                attempt,
                Money::new(amount_minor, currency),
                mode,
                action.is_some(),
            ),
            EventBody::Outcome {
                intent,
                status,
                reference,
                error,
            } => fold.on_outcome(intent, status, reference, error, reference_at),
            EventBody::Resolved {
                intent,
                status,
                retry,
                ..
            } => fold.on_resolved(intent, status, retry),
            EventBody::Dismissed { intent, reason, .. } => fold.on_dismissed(intent, reason),
            EventBody::Manual {
                amount_minor,
                currency,
                intent,
                ..
            } => fold.on_manual(Money::new(amount_minor, currency), intent),
            EventBody::Activity { intent, .. } => fold.on_activity(intent),
            EventBody::Notified { event, key } => fold.on_notified(event, key),
            EventBody::Delivered {
                event,
                key,
                channel,
                error,
                retry,
            } => fold.on_delivered(event, key, channel, error, retry),
            EventBody::Statement {
                source,
                reference,
                amount_minor,
                currency,
                refund_of,
                ..
            } => fold.on_statement(
                source,
                reference,
                Money::new(amount_minor, currency),
                refund_of,
            ),
            EventBody::Message { .. } => {}
        }
    }

    /// Book-keeping when attempt `a` of key `k` may have changed status.
    fn settle(
        ns: &mut NumberState,
        months: &mut MonthCache,
        tz: Tz,
        k: u32,
        a: u32,
        before: AttemptStatus,
    ) {
        let ks = &ns.keys[k as usize];
        let Some(attempt) = ks.attempt(a as usize) else {
            return;
        };
        let after = attempt.status();
        let (charge_at, amount, currency) = (attempt.at, ks.amount_minor(), ks.currency);
        if after == AttemptStatus::InDoubt {
            ns.in_doubt.insert((k, a));
        } else if before == AttemptStatus::InDoubt {
            ns.in_doubt.remove(&(k, a));
        }
        // Failed is the key's status, not this attempt's: a late word on an older attempt
        // neither hides nor invents a failure.
        Self::refile_failed(ns, k);
        if before != AttemptStatus::Succeeded && after == AttemptStatus::Succeeded {
            if ns.keys[k as usize].spend() {
                // A paid text: counted in the month's spend (so a budget sees it) and as
                // activity, taken off the expected balance, and nothing to verify.
                Self::spent(ns, months, tz, charge_at, amount, currency);
            } else {
                let check = Self::top_up(ns, months, tz, charge_at, amount, currency, true);
                ns.tell(k, a, Told::Check(check));
            }
        }
    }

    /// Keeps key `k` in the failed set exactly when its status is failed.
    fn refile_failed(ns: &mut NumberState, k: u32) {
        if matches!(ns.keys[k as usize].status(), KeyStatus::Failed { .. }) {
            ns.failed.insert(k);
        } else if !ns.failed.is_empty() {
            ns.failed.remove(&k);
        }
    }

    /// Money went out of the number on baohao's doing (a keep-alive text): activity, spend,
    /// and the expected balance lowered by it.
    fn spent(
        ns: &mut NumberState,
        months: &mut MonthCache,
        tz: Tz,
        at: DateTime<Utc>,
        amount: i64,
        currency: Currency,
    ) {
        Self::moved(ns, months, tz, at, amount, currency, false);
    }

    /// Money went in: expected balance, activity, spend, and a verification check (its index).
    fn top_up(
        ns: &mut NumberState,
        months: &mut MonthCache,
        tz: Tz,
        at: DateTime<Utc>,
        amount: i64,
        currency: Currency,
        by_rule: bool,
    ) -> u32 {
        Self::money_in(ns, months, tz, at, amount, currency);
        ns.verify.top_up(at, amount, by_rule)
    }

    /// Money went in: expected balance, activity and spend.
    fn money_in(
        ns: &mut NumberState,
        months: &mut MonthCache,
        tz: Tz,
        at: DateTime<Utc>,
        amount: i64,
        currency: Currency,
    ) {
        Self::moved(ns, months, tz, at, amount, currency, true);
    }

    /// `amount` spent on the number at `at`: into it (a top-up) or out of it (a paid
    /// text). Either way it is activity and counts in the month's spend; the expected
    /// balance moves up or down with it.
    fn moved(
        ns: &mut NumberState,
        months: &mut MonthCache,
        tz: Tz,
        at: DateTime<Utc>,
        amount: i64,
        currency: Currency,
        into: bool,
    ) {
        let signed = if into {
            amount
        } else {
            amount.saturating_neg()
        };
        ns.moves.push_back((at, signed, currency));
        if ns.moves.len() > KEEP_MOVES {
            ns.moves.pop_front();
        }
        if let Some(o) = &ns.observed
            && at > o.at
            && o.currency == currency
        {
            ns.recharged_since_observed = if into {
                ns.recharged_since_observed.saturating_add(amount)
            } else {
                ns.recharged_since_observed.saturating_sub(amount)
            };
        }
        if into {
            ns.last_top_up = Some(ns.last_top_up.map_or(at, |l| l.max(at)));
        }
        ns.last_activity = Some(ns.last_activity.map_or(at, |l| l.max(at)));
        let month = months.month_of(tz, at);
        ns.add_spend(month, currency, amount);
    }
}

fn evidence_key(source: &str, reference: &str) -> Box<str> {
    format!("{source}\0{reference}").into()
}

/// Finds the attempt an outcome or a resolution speaks of, tells it, and does the
/// book-keeping; an intent nobody wrote is noted as an oddity.
fn change_attempt<S: EventStr>(
    ns: &mut NumberState,
    oddities: &mut Vec<Oddity>,
    months: &mut MonthCache,
    tz: Tz,
    id: S,
    intent: S,
    told: Told<'_>,
) {
    let Some((k, a)) = ns.intent_idx(intent.as_ref()) else {
        oddities.push(Oddity {
            event: id.into(),
            what: OddityKind::UnknownIntent(intent.into()),
        });
        return;
    };
    if let Some(was) = ns.tell(k, a, told) {
        State::settle(ns, months, tz, k, a, was);
    }
}

/// The local month of the last instant asked about, so that an in-order log converts
/// time zones about once a month rather than once an event.
#[derive(Clone, Debug, Default)]
struct MonthCache {
    range: Option<(i64, i64, YearMonth)>,
}

impl MonthCache {
    fn month_of(&mut self, tz: Tz, at: DateTime<Utc>) -> YearMonth {
        let t = at.timestamp();
        if let Some((start, end, m)) = self.range
            && t >= start
            && t < end
        {
            return m;
        }
        let m = YearMonth::of(local_date(tz, at));
        let start = crate::engine::calendar::start_of_day(tz, m.first_day()).timestamp();
        let end = crate::engine::calendar::start_of_day(tz, m.next().first_day()).timestamp();
        self.range = Some((start, end, m));
        m
    }
}
