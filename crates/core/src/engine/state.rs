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

mod fold;
#[cfg(test)]
mod packing;
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

/// Where a number keeps the strings of its keys and attempts: fixed-size chunks of text,
/// each string behind a short length prefix, named by its chunk and offset. A quarter of a
/// million keys then cost no allocation each and no doubling slack (the state is most of
/// what `status` holds).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Arena {
    chunks: Vec<String>,
    /// Strings too long for a chunk, or past the chunks a handle can name (never in
    /// real logs).
    big: Vec<Box<str>>,
    /// The last few strings pushed with [`Arena::push_shared`]: errors and reasons repeat.
    shared: [Str; 8],
    next_shared: usize,
    /// Strings kept as where they are in the log ([`Arena::push_at`]).
    at: Chunked<RefAt>,
}

/// A string in a number's [`Arena`], or none: the top bit says "in `big`", the next "in
/// `at`" (where it is in the log); otherwise the chunk index above [`CHUNK_BITS`] and the
/// offset below.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct Str(u32);

impl Str {
    const NONE: Str = Str(u32::MAX);
    const BIG: u32 = 1 << 31;
    const AT: u32 = 1 << 30;
}

/// Where a string is in the log: its byte offset (36 bits), its length (12 bits) and a
/// 16-bit hash of its text, so that a reader fetching it can tell the log changed. A
/// streamed listing keeps executor references this way ([`State::with_reference_positions`]):
/// 8 bytes instead of the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RefAt(u64);

impl RefAt {
    const LEN_BITS: u32 = 12;
    const HASH_BITS: u32 = 16;

    /// `text` at byte `offset` of the log, if it fits (a log under 64 GiB, a string under
    /// 4 KiB).
    pub fn new(offset: u64, text: &str) -> Option<RefAt> {
        let len = text.len() as u64;
        (offset < 1 << (64 - Self::LEN_BITS - Self::HASH_BITS) && len < 1 << Self::LEN_BITS).then(
            || {
                RefAt(
                    offset << (Self::LEN_BITS + Self::HASH_BITS)
                        | len << Self::HASH_BITS
                        | u64::from(Self::hash(text.as_bytes())),
                )
            },
        )
    }

    pub fn offset(self) -> u64 {
        self.0 >> (Self::LEN_BITS + Self::HASH_BITS)
    }

    pub fn len(self) -> usize {
        ((self.0 >> Self::HASH_BITS) & ((1 << Self::LEN_BITS) - 1)) as usize
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The text read back from the log at this place, if it is the text that was there.
    pub fn check(self, bytes: &[u8]) -> Option<&str> {
        (bytes.len() == self.len() && u64::from(Self::hash(bytes)) == self.0 & 0xffff)
            .then(|| std::str::from_utf8(bytes).ok())
            .flatten()
    }

    /// FNV-1a, folded to 16 bits.
    fn hash(bytes: &[u8]) -> u16 {
        let h = bytes.iter().fold(0x811c_9dc5u32, |h, b| {
            (h ^ u32::from(*b)).wrapping_mul(0x0100_0193)
        });
        (h ^ (h >> 16)) as u16
    }
}

const CHUNK_BITS: u32 = 12;
/// Bytes per chunk.
const CHUNK_SIZE: usize = 1 << CHUNK_BITS;
/// Longer strings go to `big` (a length up to this takes at most two prefix bytes).
const ARENA_MAX_LEN: usize = 1024;

impl Default for Arena {
    fn default() -> Self {
        Arena {
            chunks: Vec::new(),
            big: Vec::new(),
            shared: [Str::NONE; 8],
            next_shared: 0,
            at: Chunked::default(),
        }
    }
}

impl Arena {
    /// [`Arena::push`] for text that often repeats (executor errors, dismissal reasons):
    /// the same string pushed lately is named again rather than stored again.
    fn push_shared(&mut self, s: &str) -> Str {
        if let Some(h) = self
            .shared
            .iter()
            .find(|h| **h != Str::NONE && self.get(**h) == s)
        {
            return *h;
        }
        let h = self.push(s);
        self.shared[self.next_shared] = h;
        self.next_shared = (self.next_shared + 1) % self.shared.len();
        h
    }

    /// The prefix is ASCII (so a chunk stays a `String`): digits of six bits, most
    /// significant first, `0x40 | d` for all but the last, which is `d` alone.
    fn push(&mut self, s: &str) -> Str {
        let n = s.len();
        let need = n + 2;
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.len() + need <= CHUNK_SIZE);
        if n > ARENA_MAX_LEN || (!fits && self.chunks.len() >= (Str::AT >> CHUNK_BITS) as usize) {
            let i = self.big.len() as u32;
            self.big.push(s.into());
            return Str(Str::BIG | i);
        }
        if !fits {
            self.chunks.push(String::with_capacity(CHUNK_SIZE));
        }
        let chunk = self.chunks.len() - 1;
        let text = &mut self.chunks[chunk];
        let at = text.len();
        if n >= 1 << 6 {
            text.push(char::from(0x40 | (n >> 6) as u8));
        }
        text.push(char::from((n & 0x3f) as u8));
        text.push_str(s);
        Str(((chunk as u32) << CHUNK_BITS) | at as u32)
    }

    /// Keeps a string as where it is in the log (read by `get_at`; `get` reads it as "").
    fn push_at(&mut self, at: RefAt) -> Str {
        let i = self.at.len() as u32;
        if i >= Str::AT {
            return Str::NONE;
        }
        self.at.push(at);
        Str(Str::AT | i)
    }

    fn get_at(&self, s: Str) -> Option<RefAt> {
        (s.0 & (Str::BIG | Str::AT) == Str::AT)
            .then(|| self.at.get((s.0 & !Str::AT) as usize).copied())
            .flatten()
    }

    fn get(&self, s: Str) -> &str {
        if s.0 & (Str::BIG | Str::AT) == Str::AT {
            return "";
        }
        if s.0 & Str::BIG != 0 {
            return self
                .big
                .get((s.0 & !Str::BIG) as usize)
                .map_or("", |b| &**b);
        }
        let Some(text) = self.chunks.get((s.0 >> CHUNK_BITS) as usize) else {
            return "";
        };
        let bytes = text.as_bytes();
        let mut i = (s.0 as usize) & (CHUNK_SIZE - 1);
        let mut n = 0usize;
        while let Some(&b) = bytes.get(i) {
            i += 1;
            n = (n << 6) | (b & 0x3f) as usize;
            if b & 0x40 == 0 {
                break;
            }
        }
        text.get(i..i + n).unwrap_or("")
    }

    fn get_opt(&self, s: Str) -> Option<&str> {
        (s != Str::NONE && self.get_at(s).is_none()).then(|| self.get(s))
    }
}

/// One attempt as kept: strings in the number's arena; an outcome and a resolution as a
/// tag (0: none) and a time, which packs tighter than two `Option`s. A key's first attempt
/// is kept packed inside its [`KeyRec`]; retries are kept as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct AttemptRec {
    at: DateTime<Utc>,
    outcome_at: DateTime<Utc>,
    resolved_at: DateTime<Utc>,
    intent: Str,
    n: u32,
    reference: Str,
    error: Str,
    /// `NO_CHECK`: none.
    check: u32,
    outcome: u8,
    resolved: u8,
}

const NO_CHECK: u32 = u32::MAX;

impl AttemptRec {
    fn new(intent: Str, n: u32, at: DateTime<Utc>) -> AttemptRec {
        AttemptRec {
            at,
            outcome_at: at,
            resolved_at: at,
            intent,
            n,
            reference: Str::NONE,
            error: Str::NONE,
            check: NO_CHECK,
            outcome: 0,
            resolved: 0,
        }
    }

    fn outcome(&self) -> Option<(OutcomeStatus, DateTime<Utc>)> {
        let status = match self.outcome {
            1 => OutcomeStatus::Succeeded,
            2 => OutcomeStatus::Failed,
            3 => OutcomeStatus::Unknown,
            _ => return None,
        };
        Some((status, self.outcome_at))
    }

    fn set_outcome(&mut self, status: OutcomeStatus, at: DateTime<Utc>) {
        self.outcome = match status {
            OutcomeStatus::Succeeded => 1,
            OutcomeStatus::Failed => 2,
            OutcomeStatus::Unknown => 3,
        };
        self.outcome_at = at;
    }

    fn resolved(&self) -> Option<(ResolvedStatus, DateTime<Utc>)> {
        let status = match self.resolved {
            1 => ResolvedStatus::Succeeded,
            2 => ResolvedStatus::Failed,
            _ => return None,
        };
        Some((status, self.resolved_at))
    }

    fn set_resolved(&mut self, status: ResolvedStatus, at: DateTime<Utc>) {
        self.resolved = match status {
            ResolvedStatus::Succeeded => 1,
            ResolvedStatus::Failed => 2,
        };
        self.resolved_at = at;
    }

    fn check(&self) -> Option<u32> {
        (self.check != NO_CHECK).then_some(self.check)
    }

    fn status(&self) -> AttemptStatus {
        attempt_status(self.resolved(), self.outcome())
    }
}

/// One key as kept, in 56 bytes (a long log holds hundreds of thousands):
/// strings in the number's arena, the rule by its index, the first attempt packed inline
/// (its times as whole seconds from `first_at`), and what few keys have — retries, a
/// reminder's ending, a first attempt whose times do not pack — behind one pointer.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct KeyRec {
    /// The first attempt's time, in Unix seconds (when it packs).
    first_at: i64,
    extra: Option<Box<KeyExtra>>,
    /// `WIDE_AMOUNT`: in `extra` (see `KeyRec::amount_minor`).
    amount: i32,
    key: Str,
    // The first attempt, packed (see `KeyRec::first`).
    intent: Str,
    reference: Str,
    error: Str,
    check: u32,
    /// Seconds from `first_at` to the outcome's time and to the resolution's.
    outcome_dt: i32,
    resolved_dt: i32,
    /// `WIDE_RULE`: in `extra` (see `KeyRec::rule`).
    rule: u16,
    n: u16,
    mode: Mode,
    currency: Currency,
    /// `HAS_FIRST`, `FIRST_WIDE`, `NO_RETRY`, `SPEND`, and the first attempt's outcome
    /// and resolution tags (two bits each, from `OUTCOME_SHIFT` and `RESOLVED_SHIFT`).
    bits: u8,
}

const HAS_FIRST: u8 = 1;
/// The first attempt is kept whole in `extra` (its times have fractions of a second, or
/// lie too far apart for an `i32` of seconds).
const FIRST_WIDE: u8 = 2;
/// A failed charge the person said not to try again.
const NO_RETRY: u8 = 4;
/// The intent spends its amount (a keep-alive text) rather than topping up.
const SPEND: u8 = 8;
const OUTCOME_SHIFT: u8 = 4;
const RESOLVED_SHIFT: u8 = 6;
/// An amount or a rule index too large for its packed field.
const WIDE_AMOUNT: i32 = i32::MIN;
const WIDE_RULE: u16 = u16::MAX;

/// What few keys have.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct KeyExtra {
    /// The first attempt, when it does not pack (`FIRST_WIDE`).
    first: Option<AttemptRec>,
    /// Retries, oldest first.
    more: Vec<AttemptRec>,
    settled_by: Str,
    dismissed: Str,
    /// The amount, when it does not fit `KeyRec::amount`.
    amount_minor: i64,
    /// The rule's index, when it does not fit `KeyRec::rule`.
    rule: u32,
}

impl Default for KeyExtra {
    fn default() -> Self {
        KeyExtra {
            first: None,
            more: Vec::new(),
            settled_by: Str::NONE,
            dismissed: Str::NONE,
            amount_minor: 0,
            rule: 0,
        }
    }
}

impl KeyRec {
    fn new(key: Str, rule: u32, mode: Mode, currency: Currency, amount_minor: i64) -> KeyRec {
        let mut k = KeyRec {
            first_at: 0,
            extra: None,
            amount: WIDE_AMOUNT,
            key,
            intent: Str::NONE,
            reference: Str::NONE,
            error: Str::NONE,
            check: NO_CHECK,
            outcome_dt: 0,
            resolved_dt: 0,
            rule: WIDE_RULE,
            n: 0,
            mode,
            currency,
            bits: 0,
        };
        match i32::try_from(amount_minor) {
            Ok(a) if a != WIDE_AMOUNT => k.amount = a,
            _ => k.extra_mut().amount_minor = amount_minor,
        }
        match u16::try_from(rule) {
            Ok(r) if r != WIDE_RULE => k.rule = r,
            _ => k.extra_mut().rule = rule,
        }
        k
    }

    fn amount_minor(&self) -> i64 {
        match (self.amount, &self.extra) {
            (WIDE_AMOUNT, Some(e)) => e.amount_minor,
            (a, _) => a.into(),
        }
    }

    /// The rule's index in the number's `rules`.
    fn rule(&self) -> u32 {
        match (self.rule, &self.extra) {
            (WIDE_RULE, Some(e)) => e.rule,
            (r, _) => r.into(),
        }
    }

    fn extra_mut(&mut self) -> &mut KeyExtra {
        self.extra.get_or_insert_default()
    }

    fn flag(&self, bit: u8) -> bool {
        self.bits & bit != 0
    }

    fn set_flag(&mut self, bit: u8, on: bool) {
        if on {
            self.bits |= bit;
        } else {
            self.bits &= !bit;
        }
    }

    fn no_retry(&self) -> bool {
        self.flag(NO_RETRY)
    }

    fn spend(&self) -> bool {
        self.flag(SPEND)
    }

    fn settled_by(&self) -> Str {
        self.extra.as_ref().map_or(Str::NONE, |e| e.settled_by)
    }

    fn dismissed(&self) -> Str {
        self.extra.as_ref().map_or(Str::NONE, |e| e.dismissed)
    }

    /// The first attempt, unpacked.
    fn first(&self) -> Option<AttemptRec> {
        if !self.flag(HAS_FIRST) {
            return None;
        }
        if self.flag(FIRST_WIDE) {
            return self.extra.as_ref()?.first;
        }
        let at = DateTime::from_timestamp(self.first_at, 0)?;
        let outcome = (self.bits >> OUTCOME_SHIFT) & 3;
        let resolved = (self.bits >> RESOLVED_SHIFT) & 3;
        // A time not told yet is the attempt's own (see `AttemptRec::new`).
        let after = |told: bool, dt: i32| match (told, dt) {
            (false, _) | (true, 0) => Some(at),
            (true, dt) => at.checked_add_signed(chrono::Duration::seconds(dt.into())),
        };
        Some(AttemptRec {
            at,
            outcome_at: after(outcome != 0, self.outcome_dt)?,
            resolved_at: after(resolved != 0, self.resolved_dt)?,
            intent: self.intent,
            n: self.n.into(),
            reference: self.reference,
            error: self.error,
            check: self.check,
            outcome,
            resolved,
        })
    }

    /// Attempt `i`'s intent, without unpacking its times (intent lookups).
    fn intent_of(&self, i: usize) -> Option<Str> {
        match i {
            0 if self.flag(HAS_FIRST) && !self.flag(FIRST_WIDE) => Some(self.intent),
            _ => self.attempt(i).map(|a| a.intent),
        }
    }

    /// Keeps `a` as the first attempt: packed when its times are whole seconds no more
    /// than an `i32` of seconds apart (then they come back exactly) and its number fits,
    /// else whole in `extra`.
    fn set_first(&mut self, a: AttemptRec) {
        let whole = |t: DateTime<Utc>| t.timestamp_subsec_nanos() == 0;
        let secs = |t: DateTime<Utc>| i32::try_from(t.timestamp() - a.at.timestamp()).ok();
        // A time not told yet equals the attempt's own (`AttemptRec::new`); a tag of 0
        // with another time is kept whole, so it too comes back as it was.
        let untold = |tag: u8, t: DateTime<Utc>| tag == 0 && t != a.at;
        self.bits |= HAS_FIRST;
        if let (Some(outcome_dt), Some(resolved_dt), Ok(n)) =
            (secs(a.outcome_at), secs(a.resolved_at), u16::try_from(a.n))
            && whole(a.at)
            && whole(a.outcome_at)
            && whole(a.resolved_at)
            && !untold(a.outcome, a.outcome_at)
            && !untold(a.resolved, a.resolved_at)
            && a.outcome <= 3
            && a.resolved <= 3
        {
            self.first_at = a.at.timestamp();
            self.outcome_dt = outcome_dt;
            self.resolved_dt = resolved_dt;
            self.intent = a.intent;
            self.n = n;
            self.reference = a.reference;
            self.error = a.error;
            self.check = a.check;
            self.bits &= !(3 << OUTCOME_SHIFT | 3 << RESOLVED_SHIFT | FIRST_WIDE);
            self.bits |= a.outcome << OUTCOME_SHIFT | a.resolved << RESOLVED_SHIFT;
            if let Some(e) = self.extra.as_mut() {
                e.first = None;
            }
            debug_assert_eq!(self.first(), Some(a));
            return;
        }
        self.bits |= FIRST_WIDE;
        self.extra_mut().first = Some(a);
    }

    fn attempt_count(&self) -> usize {
        self.flag(HAS_FIRST) as usize + self.extra.as_ref().map_or(0, |e| e.more.len())
    }

    fn attempt(&self, i: usize) -> Option<AttemptRec> {
        match i {
            0 => self.first(),
            _ => self.extra.as_ref()?.more.get(i - 1).copied(),
        }
    }

    fn last_attempt(&self) -> Option<AttemptRec> {
        match self.extra.as_ref().and_then(|e| e.more.last()) {
            Some(a) => Some(*a),
            None => self.first(),
        }
    }

    fn attempts(&self) -> impl DoubleEndedIterator<Item = AttemptRec> + '_ {
        self.first()
            .into_iter()
            .chain(self.extra.iter().flat_map(|e| e.more.iter().copied()))
    }

    fn push_attempt(&mut self, a: AttemptRec) {
        if self.flag(HAS_FIRST) {
            self.extra_mut().more.push(a);
        } else {
            self.set_first(a);
        }
    }

    /// Lets `change` update attempt `i` (if there is one); returns it as it was.
    fn update_attempt(
        &mut self,
        i: usize,
        change: impl FnOnce(&mut AttemptRec),
    ) -> Option<AttemptRec> {
        if i == 0 {
            let before = self.first()?;
            let mut a = before;
            change(&mut a);
            self.set_first(a);
            return Some(before);
        }
        let a = self.extra.as_mut()?.more.get_mut(i - 1)?;
        let before = *a;
        change(a);
        Some(before)
    }
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
            outcome: a.outcome(),
            resolved: a.resolved(),
            reference: arena.get_opt(a.reference),
            reference_at: arena.get_at(a.reference),
            error: arena.get_opt(a.error),
            check: a.check(),
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
            settled_by: arena.get_opt(k.settled_by()),
            dismissed: arena.get_opt(k.dismissed()),
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
        return match rec.attempts().rev().find_map(|a| a.resolved()) {
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
            self.settled_by() != Str::NONE,
            self.dismissed() != Str::NONE,
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
                ns.keys[k as usize].update_attempt(a as usize, |a| a.check = check);
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

/// Finds the attempt an outcome or a resolution speaks of, lets `change` update it, and
/// does the book-keeping; an intent nobody wrote is noted as an oddity.
fn change_attempt<S: EventStr>(
    ns: &mut NumberState,
    oddities: &mut Vec<Oddity>,
    months: &mut MonthCache,
    tz: Tz,
    id: S,
    intent: S,
    change: impl FnOnce(&mut Arena, &mut AttemptRec),
) {
    let Some((k, a)) = ns.intent_idx(intent.as_ref()) else {
        oddities.push(Oddity {
            event: id.into(),
            what: OddityKind::UnknownIntent(intent.into()),
        });
        return;
    };
    let arena = &mut ns.arena;
    let Some(was) =
        ns.keys[k as usize].update_attempt(a as usize, |attempt| change(arena, attempt))
    else {
        return;
    };
    State::settle(ns, months, tz, k, a, was.status());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_arena_gives_back_every_string_it_was_given() {
        let mut arena = Arena::default();
        // Lengths around each prefix width and the chunk and `big` limits, enough strings
        // to fill several chunks, and text that is not ASCII.
        let mut all = Vec::new();
        for (i, n) in [0, 1, 63, 64, 65, 4095, 1023, 1024, 1025, 70_000, 5, 300]
            .into_iter()
            .cycle()
            .take(400)
            .enumerate()
        {
            let s: String = "号a".chars().cycle().take(n).collect::<String>() + &format!("#{i}");
            all.push((arena.push(&s), s));
        }
        assert!(arena.chunks.len() > 2 && !arena.big.is_empty());
        for (h, s) in &all {
            assert_eq!(arena.get(*h), s);
        }
        assert_eq!(arena.get_opt(Str::NONE), None);
        let empty = arena.push("");
        assert_eq!(arena.get_opt(empty), Some(""));
        // Repeated text pushed as shared is stored once while it is recent.
        let a = arena.push_shared("timed out");
        let b = arena.push_shared("HTTP 502");
        assert_eq!(arena.push_shared("timed out"), a);
        assert_ne!(a, b);
        assert_eq!((arena.get(a), arena.get(b)), ("timed out", "HTTP 502"));
        for i in 0..20 {
            let h = arena.push_shared(&format!("error {i}"));
            assert_eq!(arena.get(h), format!("error {i}"));
        }
        let again = arena.push_shared("timed out");
        assert_eq!(arena.get(again), "timed out");
    }

    /// A key is 64 bytes, and its first attempt comes back exactly as it went in, whether
    /// it packs (whole seconds, close together) or is kept whole (fractions of a second,
    /// times decades apart, the edges of chrono's range); retries and a reminder's ending
    /// sit beside it.
    #[test]
    fn a_key_keeps_its_attempts_exactly_in_56_bytes() {
        assert_eq!(std::mem::size_of::<KeyRec>(), 56);
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let at = t("2026-11-25T10:00:00Z");
        let mut cases = Vec::new();
        for (at, outcome_at, resolved_at) in [
            (at, at, at),
            (at, t("2026-11-25T10:00:30Z"), t("2026-12-01T00:00:00Z")),
            (t("2026-11-25T10:00:00.5Z"), at, at),
            (at, t("2026-11-25T10:00:00.000000001Z"), at),
            (at, at, t("2100-01-01T00:00:00Z")),
            (t("1900-01-01T00:00:00Z"), at, at),
            (
                DateTime::<Utc>::MIN_UTC,
                DateTime::<Utc>::MIN_UTC,
                DateTime::<Utc>::MAX_UTC,
            ),
            (
                DateTime::<Utc>::MAX_UTC,
                DateTime::<Utc>::MAX_UTC,
                DateTime::<Utc>::MAX_UTC,
            ),
        ] {
            for (outcome, resolved) in [(0, 0), (1, 0), (3, 2), (2, 1)] {
                cases.push(AttemptRec {
                    at,
                    outcome_at,
                    resolved_at,
                    intent: Str(7),
                    n: 3,
                    reference: Str(9),
                    error: Str::NONE,
                    check: 42,
                    outcome,
                    resolved,
                });
            }
        }
        let mut wide = 0;
        for a in cases {
            let mut k = KeyRec::new(Str(1), 0, Mode::Auto, Currency::new("CNY").unwrap(), 800);
            assert_eq!(k.first(), None);
            k.push_attempt(a);
            assert_eq!(k.first(), Some(a));
            wide += k.flag(FIRST_WIDE) as usize;
            // A change that packs, then one that does not, then back.
            let before = k.update_attempt(0, |x| x.check = 5).unwrap();
            assert_eq!(before, a);
            assert_eq!(k.first().map(|x| x.check), Some(5));
            k.update_attempt(0, |x| x.outcome_at = t("2026-11-25T10:00:00.25Z"));
            assert!(k.flag(FIRST_WIDE));
            k.update_attempt(0, |x| *x = a);
            assert_eq!(k.first(), Some(a));
            let retry = AttemptRec::new(Str(11), 4, at);
            k.push_attempt(retry);
            k.extra_mut().dismissed = Str(13);
            k.set_flag(NO_RETRY, true);
            assert_eq!(k.attempt_count(), 2);
            assert_eq!(k.attempts().collect::<Vec<_>>(), vec![a, retry]);
            assert_eq!(k.last_attempt(), Some(retry));
            assert_eq!((k.dismissed(), k.settled_by()), (Str(13), Str::NONE));
            assert!(k.no_retry() && !k.spend());
            assert_eq!(k.first(), Some(a));
        }
        assert!(wide >= 16, "{wide}");
        // Amounts, rule indexes and attempt numbers past their packed fields.
        let cny = Currency::new("CNY").unwrap();
        for (amount, rule) in [
            (0, 0),
            (i64::from(i32::MAX), u32::from(u16::MAX) - 1),
            (i64::from(i32::MIN), u32::from(u16::MAX)),
            (i64::MAX, u32::MAX),
            (i64::MIN, 70_000),
            (-5, 3),
        ] {
            let k = KeyRec::new(Str(1), rule, Mode::Remind, cny, amount);
            assert_eq!((k.amount_minor(), k.rule()), (amount, rule));
        }
        for n in [0, 1, u32::from(u16::MAX), u32::from(u16::MAX) + 1, u32::MAX] {
            let mut k = KeyRec::new(Str(1), 0, Mode::Auto, cny, 1);
            let a = AttemptRec::new(Str(2), n, at);
            k.push_attempt(a);
            assert_eq!(k.first(), Some(a));
            assert_eq!(k.flag(FIRST_WIDE), n > u32::from(u16::MAX));
        }
    }
}
