//! How a number keeps its keys and attempts small: this is the only code that touches
//! bits. Each packed shape is one type with its `pack` and `unpack` side by side — a
//! string's handle ([`Str`]), a place in the log ([`RefAt`]), a key's first attempt inside
//! its [`KeyRec`], a key's amount and rule (narrow, or wide in its extra) — and what the
//! fold and the readers see are typed values: [`AttemptRec`], `Option`s, enums.
//! `Option<Str>`, `Option<NonMaxU32>` and the like cost nothing over the bare integer:
//! the value a sentinel used to take is the `None`.

use chrono::{DateTime, Utc};
use nonmax::{NonMaxI32, NonMaxU16, NonMaxU32};

use crate::engine::chunked::Chunked;
use crate::model::{Currency, Mode, OutcomeStatus, ResolvedStatus};

/// Where a number keeps the strings of its keys and attempts: fixed-size chunks of text,
/// each string behind a short length prefix, named by its chunk and offset. A quarter of a
/// million keys then cost no allocation each and no doubling slack (the state is most of
/// what `status` holds).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Arena {
    chunks: Vec<String>,
    /// Strings too long for a chunk, or past the chunks a handle can name (never in
    /// real logs).
    big: Vec<Box<str>>,
    /// The last few strings pushed with [`Arena::push_shared`]: errors and reasons repeat.
    shared: [Option<Str>; 8],
    next_shared: usize,
    /// Strings kept as where they are in the log ([`Arena::push_at`]).
    at: Chunked<RefAt>,
}

/// A string in a number's [`Arena`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Str(NonMaxU32);

/// Where a [`Str`] points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    /// In chunk `chunk` at byte `offset`.
    Chunk { chunk: u32, offset: u32 },
    /// The `i`th of `big`.
    Big(u32),
    /// The `i`th of `at`: a place in the log.
    At(u32),
}

/// How many strings of each place a handle can name.
const PLACES: u32 = 1 << 30;
const CHUNK_BITS: u32 = 12;
/// Bytes per chunk.
const CHUNK_SIZE: usize = 1 << CHUNK_BITS;
/// Chunks a handle can name.
const CHUNKS: usize = (PLACES >> CHUNK_BITS) as usize;
/// Longer strings go to `big` (a length up to this takes at most two prefix bytes).
const ARENA_MAX_LEN: usize = 1024;

impl Str {
    const BIG: u32 = 1 << 31;
    const AT: u32 = 1 << 30;

    /// The top bit says `big`, the next `at`; otherwise the chunk index above
    /// [`CHUNK_BITS`] and the offset below. Indexes are under [`PLACES`] (the arena
    /// checks), so the bits never reach `u32::MAX`, which is `None`'s.
    fn pack(place: Place) -> Str {
        let index = |i: u32| {
            debug_assert!(i < PLACES);
            i & (PLACES - 1)
        };
        let raw = match place {
            Place::Chunk { chunk, offset } => index(chunk << CHUNK_BITS | offset),
            Place::Big(i) => Self::BIG | index(i),
            Place::At(i) => Self::AT | index(i),
        };
        Str(NonMaxU32::new(raw).unwrap_or(NonMaxU32::ZERO))
    }

    fn unpack(self) -> Place {
        let raw = self.0.get();
        if raw & Self::BIG != 0 {
            Place::Big(raw & !Self::BIG)
        } else if raw & Self::AT != 0 {
            Place::At(raw & !Self::AT)
        } else {
            Place::Chunk {
                chunk: raw >> CHUNK_BITS,
                offset: raw & (CHUNK_SIZE as u32 - 1),
            }
        }
    }
}

/// Where a string is in the log: its byte offset (36 bits), its length (12 bits) and a
/// 16-bit hash of its text, so that a reader fetching it can tell the log changed. A
/// streamed listing keeps executor references this way (`State::with_reference_positions`):
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

impl Arena {
    /// [`Arena::push`] for text that often repeats (executor errors, dismissal reasons):
    /// the same string pushed lately is named again rather than stored again.
    pub(super) fn push_shared(&mut self, s: &str) -> Str {
        if let Some(h) = self.shared.iter().flatten().find(|h| self.get(**h) == s) {
            return *h;
        }
        let h = self.push(s);
        self.shared[self.next_shared] = Some(h);
        self.next_shared = (self.next_shared + 1) % self.shared.len();
        h
    }

    /// The prefix is ASCII (so a chunk stays a `String`): digits of six bits, most
    /// significant first, `0x40 | d` for all but the last, which is `d` alone.
    pub(super) fn push(&mut self, s: &str) -> Str {
        let n = s.len();
        let need = n + 2;
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.len() + need <= CHUNK_SIZE);
        if n > ARENA_MAX_LEN || (!fits && self.chunks.len() >= CHUNKS) {
            // Past `PLACES` of these would be a terabyte of text.
            let i = self.big.len() as u32;
            self.big.push(s.into());
            return Str::pack(Place::Big(i));
        }
        if !fits {
            self.chunks.push(String::with_capacity(CHUNK_SIZE));
        }
        let chunk = self.chunks.len() - 1;
        let text = &mut self.chunks[chunk];
        let offset = text.len();
        if n >= 1 << 6 {
            text.push(char::from(0x40 | (n >> 6) as u8));
        }
        text.push(char::from((n & 0x3f) as u8));
        text.push_str(s);
        Str::pack(Place::Chunk {
            chunk: chunk as u32,
            offset: offset as u32,
        })
    }

    /// Keeps a string as where it is in the log (read by `get_at`; `text` reads it as
    /// none), if the arena can still name one more.
    pub(super) fn push_at(&mut self, at: RefAt) -> Option<Str> {
        let i = u32::try_from(self.at.len()).ok().filter(|i| *i < PLACES)?;
        self.at.push(at);
        Some(Str::pack(Place::At(i)))
    }

    pub(super) fn get_at(&self, s: Str) -> Option<RefAt> {
        match s.unpack() {
            Place::At(i) => self.at.get(i as usize).copied(),
            _ => None,
        }
    }

    /// The text of `s`: "" for a place in the log (see [`Arena::text`]).
    pub(super) fn get(&self, s: Str) -> &str {
        self.text(s).unwrap_or("")
    }

    /// The text of `s`, unless it is kept as a place in the log.
    pub(super) fn text(&self, s: Str) -> Option<&str> {
        let (chunk, offset) = match s.unpack() {
            Place::At(_) => return None,
            Place::Big(i) => return Some(self.big.get(i as usize).map_or("", |b| &**b)),
            Place::Chunk { chunk, offset } => (chunk, offset),
        };
        let Some(text) = self.chunks.get(chunk as usize) else {
            return Some("");
        };
        let bytes = text.as_bytes();
        let mut i = offset as usize;
        let mut n = 0usize;
        while let Some(&b) = bytes.get(i) {
            i += 1;
            n = (n << 6) | (b & 0x3f) as usize;
            if b & 0x40 == 0 {
                break;
            }
        }
        Some(text.get(i..i + n).unwrap_or(""))
    }
}

/// One attempt, typed: its strings in the number's arena. A key's first attempt is kept
/// packed inside its [`KeyRec`]; retries are kept as they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct AttemptRec {
    pub at: DateTime<Utc>,
    pub intent: Str,
    pub n: u32,
    pub outcome: Option<(OutcomeStatus, DateTime<Utc>)>,
    pub resolved: Option<(ResolvedStatus, DateTime<Utc>)>,
    pub reference: Option<Str>,
    pub error: Option<Str>,
    /// The verification check of this attempt's top-up, once it succeeded.
    pub check: Option<u32>,
}

impl AttemptRec {
    pub(super) fn new(intent: Str, n: u32, at: DateTime<Utc>) -> AttemptRec {
        AttemptRec {
            at,
            intent,
            n,
            outcome: None,
            resolved: None,
            reference: None,
            error: None,
            check: None,
        }
    }
}

/// An outcome and a resolution as two 2-bit tags (0: none).
struct Tags;

impl Tags {
    const RESOLVED_SHIFT: u8 = 2;

    fn pack(outcome: Option<OutcomeStatus>, resolved: Option<ResolvedStatus>) -> u8 {
        let o = match outcome {
            None => 0,
            Some(OutcomeStatus::Succeeded) => 1,
            Some(OutcomeStatus::Failed) => 2,
            Some(OutcomeStatus::Unknown) => 3,
        };
        let r = match resolved {
            None => 0,
            Some(ResolvedStatus::Succeeded) => 1,
            Some(ResolvedStatus::Failed) => 2,
        };
        o | r << Self::RESOLVED_SHIFT
    }

    fn unpack(tags: u8) -> (Option<OutcomeStatus>, Option<ResolvedStatus>) {
        let outcome = match tags & 3 {
            1 => Some(OutcomeStatus::Succeeded),
            2 => Some(OutcomeStatus::Failed),
            3 => Some(OutcomeStatus::Unknown),
            _ => None,
        };
        let resolved = match (tags >> Self::RESOLVED_SHIFT) & 3 {
            1 => Some(ResolvedStatus::Succeeded),
            2 => Some(ResolvedStatus::Failed),
            _ => None,
        };
        (outcome, resolved)
    }
}

/// One key as kept, in 56 bytes (a long log holds hundreds of thousands): strings in the
/// number's arena, the rule by its index, the first attempt packed inline (its times as
/// whole seconds from `first_at`), and what few keys have — retries, a reminder's ending,
/// a first attempt whose times do not pack, an amount or a rule too large for its field —
/// behind one pointer.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub(super) struct KeyRec {
    /// The packed first attempt's time, in Unix seconds.
    first_at: i64,
    extra: Option<Box<KeyExtra>>,
    /// `None`: in `extra`.
    amount: Option<NonMaxI32>,
    pub key: Str,
    // The first attempt, packed (`intent` is `None` when there is none or it is kept
    // whole in `extra`).
    intent: Option<Str>,
    reference: Option<Str>,
    error: Option<Str>,
    check: Option<NonMaxU32>,
    /// Seconds from `first_at` to the outcome's time and to the resolution's.
    outcome_dt: i32,
    resolved_dt: i32,
    /// `None`: in `extra`.
    rule: Option<NonMaxU16>,
    n: u16,
    pub mode: Mode,
    pub currency: Currency,
    /// The packed first attempt's outcome and resolution ([`Tags`]).
    tags: u8,
    marks: Marks,
}

/// What a person or an intent said of a key, as bits.
#[derive(Clone, Copy, Debug, Default, serde::Serialize, serde::Deserialize)]
struct Marks(u8);

impl Marks {
    /// A failed charge the person said not to try again.
    const NO_RETRY: u8 = 1;
    /// The intent spends its amount (a keep-alive text) rather than topping up.
    const SPEND: u8 = 2;

    fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    fn set(&mut self, bit: u8) {
        self.0 |= bit;
    }
}

/// What few keys have.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
struct KeyExtra {
    /// The first attempt, when it does not pack.
    first: Option<AttemptRec>,
    /// Retries, oldest first.
    more: Vec<AttemptRec>,
    settled_by: Option<Str>,
    dismissed: Option<Str>,
    /// The amount, when it does not fit `KeyRec::amount`.
    amount_minor: i64,
    /// The rule's index, when it does not fit `KeyRec::rule`.
    rule: u32,
}

impl KeyRec {
    pub(super) fn new(
        key: Str,
        rule: u32,
        mode: Mode,
        currency: Currency,
        amount_minor: i64,
    ) -> KeyRec {
        let mut k = KeyRec {
            first_at: 0,
            extra: None,
            amount: i32::try_from(amount_minor).ok().and_then(NonMaxI32::new),
            key,
            intent: None,
            reference: None,
            error: None,
            check: None,
            outcome_dt: 0,
            resolved_dt: 0,
            rule: u16::try_from(rule).ok().and_then(NonMaxU16::new),
            n: 0,
            mode,
            currency,
            tags: 0,
            marks: Marks::default(),
        };
        if k.amount.is_none() {
            k.extra_mut().amount_minor = amount_minor;
        }
        if k.rule.is_none() {
            k.extra_mut().rule = rule;
        }
        k
    }

    pub(super) fn amount_minor(&self) -> i64 {
        match (self.amount, &self.extra) {
            (Some(a), _) => a.get().into(),
            (None, Some(e)) => e.amount_minor,
            (None, None) => 0,
        }
    }

    /// The rule's index in the number's `rules`.
    pub(super) fn rule(&self) -> u32 {
        match (self.rule, &self.extra) {
            (Some(r), _) => r.get().into(),
            (None, Some(e)) => e.rule,
            (None, None) => 0,
        }
    }

    fn extra_mut(&mut self) -> &mut KeyExtra {
        self.extra.get_or_insert_default()
    }

    pub(super) fn no_retry(&self) -> bool {
        self.marks.has(Marks::NO_RETRY)
    }

    pub(super) fn forbid_retry(&mut self) {
        self.marks.set(Marks::NO_RETRY);
    }

    pub(super) fn spend(&self) -> bool {
        self.marks.has(Marks::SPEND)
    }

    pub(super) fn mark_spend(&mut self) {
        self.marks.set(Marks::SPEND);
    }

    pub(super) fn settled_by(&self) -> Option<Str> {
        self.extra.as_ref().and_then(|e| e.settled_by)
    }

    pub(super) fn dismissed(&self) -> Option<Str> {
        self.extra.as_ref().and_then(|e| e.dismissed)
    }

    pub(super) fn settle(&mut self, by: Str) {
        self.extra_mut().settled_by = Some(by);
    }

    pub(super) fn dismiss(&mut self, reason: Str) {
        self.extra_mut().dismissed = Some(reason);
    }

    /// The first attempt, unpacked ([`KeyRec::set_first`] packs it).
    pub(super) fn first(&self) -> Option<AttemptRec> {
        let Some(intent) = self.intent else {
            return self.extra.as_ref()?.first;
        };
        let at = DateTime::from_timestamp(self.first_at, 0)?;
        let after = |dt: i32| at.checked_add_signed(chrono::Duration::seconds(dt.into()));
        let (outcome, resolved) = Tags::unpack(self.tags);
        Some(AttemptRec {
            at,
            intent,
            n: self.n.into(),
            outcome: match outcome {
                Some(s) => Some((s, after(self.outcome_dt)?)),
                None => None,
            },
            resolved: match resolved {
                Some(s) => Some((s, after(self.resolved_dt)?)),
                None => None,
            },
            reference: self.reference,
            error: self.error,
            check: self.check.map(|c| c.get()),
        })
    }

    /// Keeps `a` as the first attempt: packed when its times are whole seconds no more
    /// than an `i32` of seconds apart (then they come back exactly) and its number and
    /// check fit, else whole in `extra`.
    fn set_first(&mut self, a: AttemptRec) {
        let whole = |t: DateTime<Utc>| t.timestamp_subsec_nanos() == 0;
        let secs = |t: Option<DateTime<Utc>>| match t {
            None => Some(0),
            Some(t) if whole(t) => i32::try_from(t.timestamp() - a.at.timestamp()).ok(),
            Some(_) => None,
        };
        let check = match a.check {
            None => Some(None),
            Some(c) => NonMaxU32::new(c).map(Some),
        };
        if let (Some(outcome_dt), Some(resolved_dt), Ok(n), Some(check), true) = (
            secs(a.outcome.map(|o| o.1)),
            secs(a.resolved.map(|r| r.1)),
            u16::try_from(a.n),
            check,
            whole(a.at),
        ) {
            self.first_at = a.at.timestamp();
            self.outcome_dt = outcome_dt;
            self.resolved_dt = resolved_dt;
            self.intent = Some(a.intent);
            self.n = n;
            self.reference = a.reference;
            self.error = a.error;
            self.check = check;
            self.tags = Tags::pack(a.outcome.map(|o| o.0), a.resolved.map(|r| r.0));
            if let Some(e) = self.extra.as_mut() {
                e.first = None;
            }
            debug_assert_eq!(self.first(), Some(a));
            return;
        }
        self.intent = None;
        self.extra_mut().first = Some(a);
    }

    fn has_first(&self) -> bool {
        self.intent.is_some() || self.extra.as_ref().is_some_and(|e| e.first.is_some())
    }

    pub(super) fn attempt_count(&self) -> usize {
        self.has_first() as usize + self.extra.as_ref().map_or(0, |e| e.more.len())
    }

    pub(super) fn attempt(&self, i: usize) -> Option<AttemptRec> {
        match i {
            0 => self.first(),
            _ => self.extra.as_ref()?.more.get(i - 1).copied(),
        }
    }

    /// Attempt `i`'s intent, without unpacking its times (intent lookups).
    pub(super) fn intent_of(&self, i: usize) -> Option<Str> {
        match (i, self.intent) {
            (0, Some(intent)) => Some(intent),
            _ => self.attempt(i).map(|a| a.intent),
        }
    }

    pub(super) fn last_attempt(&self) -> Option<AttemptRec> {
        match self.extra.as_ref().and_then(|e| e.more.last()) {
            Some(a) => Some(*a),
            None => self.first(),
        }
    }

    pub(super) fn attempts(&self) -> impl DoubleEndedIterator<Item = AttemptRec> + '_ {
        self.first()
            .into_iter()
            .chain(self.extra.iter().flat_map(|e| e.more.iter().copied()))
    }

    pub(super) fn push_attempt(&mut self, a: AttemptRec) {
        if self.has_first() {
            self.extra_mut().more.push(a);
        } else {
            self.set_first(a);
        }
    }

    /// Lets `change` update attempt `i` (if there is one); returns it as it was.
    pub(super) fn update_attempt(
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

    /// Whether the first attempt is kept whole rather than packed (for tests of the
    /// packing).
    #[cfg(test)]
    fn first_is_wide(&self) -> bool {
        self.intent.is_none() && self.has_first()
    }
}

#[cfg(test)]
mod props;

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
        let empty = arena.push("");
        assert_eq!(arena.text(empty), Some(""));
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

    #[test]
    fn a_handle_and_its_none_cost_four_bytes_and_every_place_comes_back() {
        assert_eq!(std::mem::size_of::<Option<Str>>(), 4);
        assert_eq!(std::mem::size_of::<Option<NonMaxI32>>(), 4);
        assert_eq!(std::mem::size_of::<Option<NonMaxU16>>(), 2);
        for place in [
            Place::Chunk {
                chunk: 0,
                offset: 0,
            },
            Place::Chunk {
                chunk: CHUNKS as u32 - 1,
                offset: CHUNK_SIZE as u32 - 1,
            },
            Place::Big(0),
            Place::Big(PLACES - 1),
            Place::At(0),
            Place::At(PLACES - 1),
        ] {
            assert_eq!(Str::pack(place).unpack(), place);
        }
    }

    /// A key is 56 bytes, and its first attempt comes back exactly as it went in, whether
    /// it packs (whole seconds, close together) or is kept whole (fractions of a second,
    /// times decades apart, the edges of chrono's range); retries and a reminder's ending
    /// sit beside it.
    #[test]
    fn a_key_keeps_its_attempts_exactly_in_56_bytes() {
        assert_eq!(std::mem::size_of::<KeyRec>(), 56);
        let t = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let h = |i: u32| Some(Str::pack(Place::Big(i)));
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
            for (outcome, resolved) in [
                (None, None),
                (Some(OutcomeStatus::Succeeded), None),
                (Some(OutcomeStatus::Unknown), Some(ResolvedStatus::Failed)),
                (Some(OutcomeStatus::Failed), Some(ResolvedStatus::Succeeded)),
            ] {
                cases.push(AttemptRec {
                    at,
                    intent: Str::pack(Place::Big(7)),
                    n: 3,
                    outcome: outcome.map(|s| (s, outcome_at)),
                    resolved: resolved.map(|s| (s, resolved_at)),
                    reference: h(9),
                    error: None,
                    check: Some(42),
                });
            }
        }
        let mut wide = 0;
        let key = Str::pack(Place::Big(1));
        for a in cases {
            let mut k = KeyRec::new(key, 0, Mode::Auto, Currency::new("CNY").unwrap(), 800);
            assert_eq!(k.first(), None);
            k.push_attempt(a);
            assert_eq!(k.first(), Some(a));
            wide += k.first_is_wide() as usize;
            // A change that packs, then one that does not, then back.
            let before = k.update_attempt(0, |x| x.check = Some(5)).unwrap();
            assert_eq!(before, a);
            assert_eq!(k.first().map(|x| x.check), Some(Some(5)));
            k.update_attempt(0, |x| x.check = Some(u32::MAX));
            assert!(k.first_is_wide());
            assert_eq!(k.first().map(|x| x.check), Some(Some(u32::MAX)));
            k.update_attempt(0, |x| *x = a);
            assert_eq!(k.first(), Some(a));
            let retry = AttemptRec::new(Str::pack(Place::Big(11)), 4, at);
            k.push_attempt(retry);
            k.dismiss(Str::pack(Place::Big(13)));
            k.forbid_retry();
            assert_eq!(k.attempt_count(), 2);
            assert_eq!(k.attempts().collect::<Vec<_>>(), vec![a, retry]);
            assert_eq!(k.last_attempt(), Some(retry));
            assert_eq!((k.dismissed(), k.settled_by()), (h(13), None));
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
            let k = KeyRec::new(key, rule, Mode::Remind, cny, amount);
            assert_eq!((k.amount_minor(), k.rule()), (amount, rule));
        }
        for n in [0, 1, u32::from(u16::MAX), u32::from(u16::MAX) + 1, u32::MAX] {
            let mut k = KeyRec::new(key, 0, Mode::Auto, cny, 1);
            let a = AttemptRec::new(Str::pack(Place::Big(2)), n, at);
            k.push_attempt(a);
            assert_eq!(k.first(), Some(a));
            assert_eq!(k.first_is_wide(), n > u32::from(u16::MAX));
        }
    }
}
