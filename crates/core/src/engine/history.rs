//! The person-facing history: one row per recharge key, manual top-up, balance reading
//! and activity, in log order, with status and verification flags taken from the state.

use chrono::{DateTime, NaiveDate, Utc};

use crate::engine::order::TimeOrder;
use crate::engine::reconcile::{Reconciliation, Verdict, reconcile};
use crate::engine::rows::RowStore;
use crate::engine::state::{AttemptStatus, EventStr, KeyStatus, NumberState, RefAt, State};
use crate::engine::verify::Verification;
use crate::model::event::Line;
use crate::model::{Config, Currency, Event, EventBody, EventRef};

/// An enum of words that outputs emit, with `as_str` and `ALL` (every variant, in order)
/// written from one list, so the list cannot miss a variant (tests/formats_doc.rs checks
/// docs/FORMATS.md against `ALL`).
macro_rules! words {
    ($(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $v:ident => $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vm])* $v,)*
        }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$v => $s,)*
                }
            }
        }
    };
}

words! {
    pub enum EntryKind {
        Recharge => "recharge",
        Manual => "manual",
        Balance => "balance",
        Activity => "activity",
        /// A top-up seen in an imported statement or a carrier's text.
        Statement => "statement",
        /// A text baohao kept without understanding it.
        Message => "message",
    }
}

words! {
    pub enum EntryStatus {
        Succeeded => "succeeded",
        Failed => "failed",
        InDoubt => "in_doubt",
        Reminder => "reminder",
        /// An external recharge whose evidence window is still open.
        Expected => "expected",
        /// An external recharge with no evidence by its deadline.
        Missed => "missed",
        /// A statement row a later refund undid.
        Refunded => "refunded",
    }
}

/// The status of a reminder a manual top-up settled (in place of `reminder`).
pub(crate) const SETTLED: &str = "settled";
/// The status of a reminder closed without a top-up (in place of `reminder`).
pub(crate) const DISMISSED: &str = "dismissed";

/// What an entry's or an attempt's `status` says: an [`EntryStatus`], or how a reminder
/// ended, which replaces `reminder`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ShownStatus {
    Entry(EntryStatus),
    Settled,
    Dismissed,
}

impl ShownStatus {
    /// The word outputs write: the status's own, `settled` or `dismissed`.
    pub fn as_str(self) -> &'static str {
        match self {
            ShownStatus::Entry(s) => s.as_str(),
            ShownStatus::Settled => SETTLED,
            ShownStatus::Dismissed => DISMISSED,
        }
    }
}

/// Every word an entry's or an attempt's `status` may hold: each status, and the two ends
/// of a reminder that replace `reminder`.
pub fn status_words() -> Vec<&'static str> {
    EntryStatus::ALL
        .iter()
        .map(|s| s.as_str())
        .chain([SETTLED, DISMISSED])
        .collect()
}

words! {
    pub enum Flag {
        Verified => "verified",
        Unverified => "unverified",
        PossibleDuplicate => "possible_duplicate",
        /// Evidence of an external recharge came after its window.
        Late => "late",
        /// A top-up no rule expected.
        Unexpected => "unexpected",
    }
}

pub use crate::engine::rows::Row;

impl Row {
    /// The number the row is about.
    pub fn number(&self) -> &str {
        match self {
            Row::Recharge { number, .. }
            | Row::Manual { number, .. }
            | Row::Balance { number, .. }
            | Row::Activity { number, .. }
            | Row::Statement { number, .. }
            | Row::Message { number, .. } => number,
        }
    }
}

/// A history entry, ready to show or export.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub id: String,
    pub at: DateTime<Utc>,
    pub number: String,
    pub kind: EntryKind,
    pub amount_minor: Option<i64>,
    pub currency: Option<Currency>,
    pub status: Option<EntryStatus>,
    pub rule: Option<String>,
    pub key: Option<String>,
    pub attempts: Option<u32>,
    pub reference: Option<String>,
    pub error: Option<String>,
    pub note: Option<String>,
    pub validity_until: Option<NaiveDate>,
    pub flags: Vec<Flag>,
    /// Money went into the number by this entry (an evidenced external recharge is not:
    /// its statement row is, so the money counts once).
    pub money_in: bool,
    /// How a reminder ended, if it did (its `status` stays `Reminder`).
    pub reminder_end: Option<ReminderEnd>,
    /// Every attempt of a recharge, oldest first (empty for other kinds).
    pub attempt_list: Vec<AttemptInfo>,
}

/// How a reminder ended: answered by a top-up (or, for keep-alive, an activity), or closed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReminderEnd {
    Settled,
    /// With the reason recorded.
    Dismissed(crate::engine::reminders::DismissReason),
}

/// One attempt of a recharge, as history shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptInfo {
    pub intent: String,
    pub n: u32,
    pub at: DateTime<Utc>,
    /// The executor's answer for an automatic recharge; otherwise what its entry is.
    pub status: ShownStatus,
    /// Whether a person (or a query) resolved it rather than the executor's answer.
    pub resolved: bool,
    pub reference: Option<String>,
    pub error: Option<String>,
}

impl Entry {
    /// An entry of `kind` with nothing else said: no amount, status, rule, flags or
    /// attempts. Row kinds fill in what they have on top of it.
    pub fn bare(id: String, at: DateTime<Utc>, number: String, kind: EntryKind) -> Entry {
        Entry {
            id,
            at,
            number,
            kind,
            amount_minor: None,
            currency: None,
            status: None,
            rule: None,
            key: None,
            attempts: None,
            reference: None,
            error: None,
            note: None,
            validity_until: None,
            flags: Vec::new(),
            reminder_end: None,
            attempt_list: Vec::new(),
            money_in: false,
        }
    }

    /// The status every face shows and exports: a reminder that ended says how
    /// (`settled`, `dismissed`), others their `EntryStatus`.
    pub fn status_str(&self) -> Option<&'static str> {
        self.shown_status().map(ShownStatus::as_str)
    }

    /// [`Entry::status_str`] as a value.
    pub fn shown_status(&self) -> Option<ShownStatus> {
        match (&self.status, &self.reminder_end) {
            (Some(EntryStatus::Reminder), Some(ReminderEnd::Settled)) => Some(ShownStatus::Settled),
            (Some(EntryStatus::Reminder), Some(ReminderEnd::Dismissed(_))) => {
                Some(ShownStatus::Dismissed)
            }
            (s, _) => s.map(ShownStatus::Entry),
        }
    }

    /// Lower-case words a text filter matches: status, each attempt's status and error,
    /// rule, reference, note, error, kind and number.
    pub fn search_text(&self) -> String {
        let mut s = format!("{} {}", self.number, self.kind.as_str());
        for part in [
            self.status_str(),
            self.rule.as_deref(),
            self.reference.as_deref(),
        ]
        .into_iter()
        .flatten()
        .chain(self.note.as_deref())
        .chain(self.error.as_deref())
        {
            s.push(' ');
            s.push_str(part);
        }
        if let Some(ReminderEnd::Dismissed(reason)) = &self.reminder_end {
            s.push(' ');
            s.push_str(reason.as_str());
        }
        for a in &self.attempt_list {
            s.push_str(&format!(" attempt {} {}", a.n, a.status.as_str()));
            if let Some(e) = &a.error {
                s.push(' ');
                s.push_str(e);
            }
        }
        for f in &self.flags {
            s.push(' ');
            s.push_str(f.as_str());
        }
        s.to_lowercase()
    }

    /// Whether this entry moved money into the number (for totals and exports).
    pub fn is_spend(&self) -> bool {
        self.money_in
    }

    pub fn has(&self, f: Flag) -> bool {
        self.flags.contains(&f)
    }
}

/// State plus the rows in log order; fed one event at a time (also live, by the TUI).
/// Made by [`History::new`] for what it is to [`Keep`], fed by [`History::apply`].
#[derive(Clone, Debug)]
pub struct History {
    state: State,
    /// The rows, compactly (see [`RowStore`]).
    rows: RowStore,
    /// The rows in the order of their own time (see [`History::settle_order`]).
    order: TimeOrder,
    keep: Keep,
    /// What a second pass needs to make the rows (a recording history only).
    facts: RowFacts,
    /// Events folded in so far: what the cached judgements are keyed by.
    changes: u64,
    /// Each number's reconciliation, judged once per change of the log (or of `now`, or
    /// of the number's config), however many rows and frames ask for it.
    reconciled: Reconciled,
}

/// The cache behind [`History::entry`] and [`History::with_reconciliation`]. A clone
/// starts empty (it is made again when asked for).
#[derive(Debug, Default)]
struct Reconciled(std::sync::Mutex<ReconciledAt>);

impl Reconciled {
    /// The cache (a panic while it was held left it as it was: each step keeps it whole).
    fn lock(&self) -> std::sync::MutexGuard<'_, ReconciledAt> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Clone for Reconciled {
    fn clone(&self) -> Self {
        Reconciled::default()
    }
}

#[derive(Debug, Default)]
struct ReconciledAt {
    /// What `judged` was judged at: the history's changes, the state's event count, `now`.
    at: Option<(u64, u64, DateTime<Utc>)>,
    /// Each judged number's config as it was then: a changed one is judged again.
    configs: std::collections::HashMap<String, Option<crate::model::Number>>,
    judged: Judged,
    /// How many reconciliations were run (the tests of the cache count them).
    run: u64,
}

impl ReconciledAt {
    /// Forgets what no longer holds for `number` at `at` under `config`.
    fn fit(&mut self, at: (u64, u64, DateTime<Utc>), number: &str, config: &Config) {
        if self.at != Some(at) {
            self.at = Some(at);
            self.configs.clear();
            self.judged.0.clear();
        }
        let now = config.number(number);
        if self.configs.get(number).map(Option::as_ref) != Some(now) {
            self.judged.0.remove(number);
            self.configs.insert(number.to_string(), now.cloned());
        }
    }

    /// The judgements, `number`'s among them (judged now if it is not yet).
    fn ready(
        &mut self,
        at: (u64, u64, DateTime<Utc>),
        state: &State,
        number: &str,
        config: &Config,
    ) -> &mut Judged {
        self.fit(at, number, config);
        if !self.judged.0.contains_key(number)
            && self.judged.of(state, number, config, at.2).is_some()
        {
            self.run += 1;
        }
        &mut self.judged
    }
}

/// What a history keeps besides the state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// The rows themselves (every face that shows them).
    Rows,
    /// Nothing: the worker and `status` need only the state, and its state keeps no
    /// executor references (nothing it is used for shows them). The kind a checkpoint
    /// holds (see `store::checkpoint`).
    StateOnly,
    /// Instead of rows, the [`RowFacts`] a second pass over the same lines needs to make
    /// them (a streamed listing); its state keeps an executor reference as where it is in
    /// the log when told the event's [`Line`].
    Recording,
}

/// What the rows of a log need from the state at their own time, recorded by a first,
/// state-only pass, so that a second pass over the same lines makes the same rows without
/// a second state (which would double the memory of a streamed `history`): which
/// events make a row and, for a manual top-up, the key it settles and its check, for a
/// statement its evidence index. A few bits per event.
#[derive(Clone, Debug, Default)]
pub struct RowFacts {
    /// One bit per event, in log order: it makes a row.
    makes_row: Vec<u64>,
    events: usize,
    /// For each manual and statement row, in log order (`u32::MAX`: none).
    extra: crate::engine::chunked::Chunked<[u32; 2]>,
}

const NO_FACT: u32 = u32::MAX;

fn fact(v: Option<u32>) -> u32 {
    v.unwrap_or(NO_FACT)
}

fn unfact(v: u32) -> Option<u32> {
    (v != NO_FACT).then_some(v)
}

impl RowFacts {
    /// How many events were recorded.
    pub fn events(&self) -> usize {
        self.events
    }

    fn record<S: EventStr>(&mut self, e: &Event<S>, t: &AtTime) {
        let i = self.events;
        if i.is_multiple_of(64) {
            self.makes_row.push(0);
        }
        self.events += 1;
        if !makes_row(e, t) {
            return;
        }
        if let Some(w) = self.makes_row.last_mut() {
            *w |= 1 << (i % 64);
        }
        match &e.body {
            EventBody::Manual { .. } => self.extra.push([fact(t.settles), fact(t.check)]),
            EventBody::Statement { .. } => self.extra.push([fact(t.evidence), NO_FACT]),
            _ => {}
        }
    }

    /// Makes the rows again, event by event, in the order recorded.
    pub fn maker(&self) -> RowMaker<'_> {
        RowMaker {
            facts: self,
            event: 0,
            extra: 0,
        }
    }
}

/// Makes rows from a log's events and the [`RowFacts`] a first pass recorded of the same
/// events (see [`RowFacts::maker`]).
pub struct RowMaker<'a> {
    facts: &'a RowFacts,
    event: usize,
    extra: usize,
}

impl RowMaker<'_> {
    /// Whether every recorded event was given back (lines appended after the first pass
    /// are not in its facts, nor in its state).
    pub fn done(&self) -> bool {
        self.event >= self.facts.events
    }

    /// The row of the next event, the same the first pass's fold made for it. Call for every event, in log order.
    pub fn row<S: EventStr>(&mut self, e: &Event<S>) -> Option<Row> {
        let i = self.event;
        if i >= self.facts.events {
            return None;
        }
        self.event += 1;
        let word = self.facts.makes_row.get(i / 64).copied().unwrap_or(0);
        if word & (1 << (i % 64)) == 0 {
            return None;
        }
        let mut t = AtTime {
            new_key: true,
            statement_row: true,
            ..AtTime::default()
        };
        if matches!(
            e.body,
            EventBody::Manual { .. } | EventBody::Statement { .. }
        ) {
            let [a, b] = self
                .facts
                .extra
                .get(self.extra)
                .copied()
                .unwrap_or([NO_FACT; 2]);
            self.extra += 1;
            (t.settles, t.check, t.evidence) = (unfact(a), unfact(b), unfact(a));
        }
        make_row(e, &t)
    }
}

/// What an event's row needs from the state just before it (only what its kind uses).
#[derive(Clone, Copy, Debug, Default)]
struct AtTime {
    /// An intent: its key was not seen before.
    new_key: bool,
    /// A manual top-up: the key of the intent it names, and the index its check gets.
    settles: Option<u32>,
    check: Option<u32>,
    /// A statement: it makes a row (not a record seen before, or a refund) …
    statement_row: bool,
    /// … and its index in the number's evidence (none for a refund).
    evidence: Option<u32>,
}

fn at_time<S: EventStr>(ns: Option<&NumberState>, e: &Event<S>) -> AtTime {
    let mut t = AtTime::default();
    match &e.body {
        EventBody::Intent { key, .. } => {
            t.new_key = ns.is_none_or(|n| n.key(key.as_ref()).is_none());
        }
        EventBody::Manual { intent, .. } => {
            t.settles = intent
                .as_ref()
                .and_then(|i| ns?.key_index_of_intent(i.as_ref()));
            t.check = Some(ns.map_or(0, |n| n.verify.next_index()));
        }
        EventBody::Statement {
            source,
            reference,
            refund_of,
            ..
        } => {
            let known = ns.is_some_and(|n| n.has_evidence(source.as_ref(), reference.as_ref()));
            t.statement_row = !known || refund_of.is_some();
            t.evidence = refund_of
                .is_none()
                .then(|| ns.map_or(0, |n| n.evidence.len() as u32));
        }
        _ => {}
    }
    t
}

/// Whether `e` makes a row, given the state just before it.
fn makes_row<S: EventStr>(e: &Event<S>, t: &AtTime) -> bool {
    match &e.body {
        EventBody::Intent { .. } => t.new_key,
        EventBody::Statement { .. } => t.statement_row,
        EventBody::Manual { .. }
        | EventBody::Balance { .. }
        | EventBody::Activity { .. }
        | EventBody::Message { .. } => true,
        _ => false,
    }
}

/// The row `e` makes, given the state just before it, if it makes one.
fn make_row<S: EventStr>(e: &Event<S>, t: &AtTime) -> Option<Row> {
    if !makes_row(e, t) {
        return None;
    }
    let s = |v: &S| v.as_ref().to_string();
    let so = |v: &Option<S>| v.as_ref().map(|v| v.as_ref().to_string());
    let at = e.at.with_timezone(&Utc);
    match &e.body {
        EventBody::Intent { key, .. } => Some(Row::Recharge {
            number: s(&e.number),
            key: s(key),
        }),
        EventBody::Manual {
            amount_minor,
            currency,
            note,
            intent,
        } => Some(Row::Manual {
            id: s(&e.id),
            at,
            number: s(&e.number),
            amount_minor: *amount_minor,
            currency: *currency,
            note: so(note),
            intent: so(intent),
            settles: t.settles,
            check: t.check,
        }),
        EventBody::Balance {
            balance_minor,
            currency,
            validity_until,
            source,
        } => Some(Row::Balance {
            id: s(&e.id),
            at,
            number: s(&e.number),
            balance_minor: *balance_minor,
            currency: *currency,
            validity_until: *validity_until,
            source: s(source),
        }),
        EventBody::Activity { note, .. } => Some(Row::Activity {
            id: s(&e.id),
            at,
            number: s(&e.number),
            note: so(note),
        }),
        EventBody::Statement {
            source,
            reference,
            amount_minor,
            currency,
            text,
            refund_of,
        } => Some(Row::Statement {
            id: s(&e.id),
            at,
            number: s(&e.number),
            amount_minor: *amount_minor,
            currency: *currency,
            source: s(source),
            reference: s(reference),
            text: s(text),
            refund_of: so(refund_of),
            evidence: t.evidence,
        }),
        EventBody::Message { source, from, text } => Some(Row::Message {
            id: s(&e.id),
            at,
            number: s(&e.number),
            source: s(source),
            from: so(from),
            text: s(text),
        }),
        _ => None,
    }
}

/// Where `reference`, a string of an event read from `line`, is in the log: a string
/// borrowed from the line is a slice of it (escapes and all absent); one unescaped into a
/// string of its own lies elsewhere, and has no place.
fn reference_in(line: Line<'_>, reference: &str) -> Option<RefAt> {
    let at = (reference.as_ptr() as usize).checked_sub(line.bytes.as_ptr() as usize)?;
    if at + reference.len() > line.bytes.len() {
        return None;
    }
    RefAt::new(line.offset + at as u64, reference)
}

impl History {
    /// An empty history over `state` (usually a new one, or a checkpoint's), keeping what
    /// `keep` says.
    pub fn new(state: State, keep: Keep) -> History {
        History {
            state: match keep {
                Keep::StateOnly => state.without_references(),
                // The listing's second pass fetches references from the log.
                Keep::Recording => state.with_reference_positions(),
                Keep::Rows => state,
            },
            rows: RowStore::default(),
            order: TimeOrder::default(),
            keep,
            facts: RowFacts::default(),
            changes: 0,
            reconciled: Reconciled::default(),
        }
    }

    /// What this history keeps besides the state (a replay from the start makes a new
    /// history of the same kind).
    pub fn keep(&self) -> Keep {
        self.keep
    }

    /// The state of the log folded so far.
    pub fn state(&self) -> &State {
        &self.state
    }

    /// The state, for one who needs no rows any more.
    pub fn into_state(self) -> State {
        self.state
    }

    /// The rows in log order, compactly (see [`RowStore`]; [`History::row`] makes one).
    pub fn rows(&self) -> &RowStore {
        &self.rows
    }

    /// What a recording history recorded (empty for the others).
    pub fn facts(&self) -> &RowFacts {
        &self.facts
    }

    /// Folds `e` into the state and records its row, if it makes one. `line` is the log
    /// line `e` was read from, if it was: a recording history keeps an executor reference
    /// as where it is there. The row's place in the time order waits for
    /// [`History::settle_order`] (once per read, not once per event).
    pub fn apply<S: AsRef<str>>(&mut self, e: &Event<S>, line: Option<Line<'_>>) {
        let reference_at = match (self.keep, line, &e.body) {
            (
                Keep::Recording,
                Some(line),
                EventBody::Outcome {
                    reference: Some(r), ..
                },
            ) => reference_in(line, r.as_ref()),
            _ => None,
        };
        self.fold(e.borrowed(), reference_at);
    }

    fn fold(&mut self, e: EventRef<'_>, reference_at: Option<RefAt>) {
        self.changes += 1;
        // A new key goes at the end of its number's keys: a recharge row points there.
        // (Only rows need it: a state-only fold skips the lookup.)
        let next_key = match self.keep {
            Keep::Rows => self
                .state
                .number(e.number.as_ref())
                .map_or(0, |n| n.key_count() as u32),
            Keep::StateOnly | Keep::Recording => 0,
        };
        // A row's own time is its event's (a recharge's is its first intent's).
        let at = e.at.with_timezone(&Utc);
        match self.fold_row(e, reference_at) {
            Some(row) => self.rows.push(&row, next_key),
            None => return,
        }
        self.order.push(at);
    }

    /// Places the rows read since last time in the time order; the owner calls it after
    /// each read (it is cheap when they came in time order).
    pub fn settle_order(&mut self) {
        self.order.settle();
    }

    /// How many rows the time order holds (all but those read since the last settle).
    pub fn rows_by_time(&self) -> usize {
        self.order.len()
    }

    /// The index in the log's rows of the row at place `pos` of the time order, newest
    /// first; ties by log order (the later line first).
    pub fn row_newest(&self, pos: usize) -> Option<usize> {
        self.row_by_time(self.order.len().checked_sub(pos + 1)?)
    }

    /// The index in the log's rows of the row at place `place` of the time order, oldest
    /// first.
    pub fn row_by_time(&self, place: usize) -> Option<usize> {
        self.order.row(place)
    }

    /// The row at `i` (log order).
    pub fn row(&self, i: usize) -> Option<Row> {
        self.rows.get(i, |number, key| {
            Some(self.state.number(number)?.key_at(key)?.key.to_string())
        })
    }

    /// Folds `e` into the state; the row it makes, for a history that keeps rows.
    fn fold_row(&mut self, e: EventRef<'_>, reference_at: Option<RefAt>) -> Option<Row> {
        let row = match self.keep {
            Keep::StateOnly => None,
            Keep::Recording => {
                let t = at_time(self.state.number(e.number.as_ref()), &e);
                self.facts.record(&e, &t);
                None
            }
            Keep::Rows => make_row(&e, &at_time(self.state.number(e.number.as_ref()), &e)),
        };
        self.state.apply_event_at(e, reference_at);
        row
    }

    /// The entry for `row`, with flags judged at `now` with the number's tolerance. The
    /// number's reconciliation is judged once per change of the log, `now` or the number's
    /// config, not once per row.
    pub fn entry(&self, row: &Row, config: &Config, now: DateTime<Utc>) -> Option<Entry> {
        let mut cache = self.reconciled.lock();
        let judged = cache.ready(self.judged_at(now), &self.state, row.number(), config);
        entry_judged(&self.state, row, config, now, judged, &mut |_| None)
    }

    /// `f` of `number`'s reconciliation at `now` (judged once per change, as for
    /// [`History::entry`]); `None` for a number the log does not know. `f` must not ask
    /// this history for entries (the cache is held meanwhile).
    pub fn with_reconciliation<R>(
        &self,
        number: &str,
        config: &Config,
        now: DateTime<Utc>,
        f: impl FnOnce(&Reconciliation) -> R,
    ) -> Option<R> {
        let mut cache = self.reconciled.lock();
        let judged = cache.ready(self.judged_at(now), &self.state, number, config);
        judged.0.get(number).map(f)
    }

    /// How many reconciliations [`History::entry`] and [`History::with_reconciliation`]
    /// have run: one per number asked about, per change of the log, `now` or the config
    /// (what the tests of the cache count).
    #[cfg(test)]
    fn reconciliations_run(&self) -> u64 {
        self.reconciled.lock().run
    }

    fn judged_at(&self, now: DateTime<Utc>) -> (u64, u64, DateTime<Utc>) {
        (self.changes, self.state.events, now)
    }

    pub fn entries(&self, config: &Config, now: DateTime<Utc>) -> Vec<Entry> {
        let mut judged = Judged::default();
        (0..self.rows.len())
            .filter_map(|i| self.row(i))
            .filter_map(|r| entry_judged(&self.state, &r, config, now, &mut judged, &mut |_| None))
            .collect()
    }
}

fn flags_for(
    state: &State,
    number: &str,
    check: Option<u32>,
    config: &Config,
    now: DateTime<Utc>,
) -> Vec<Flag> {
    let tolerance = config
        .number(number)
        .map_or(crate::model::number::DEFAULT_VERIFY_TOLERANCE, |n| {
            n.verify_tolerance
        });
    let Some(check) = check.and_then(|c| state.number(number)?.verify.check(c)) else {
        return Vec::new();
    };
    let mut flags = Vec::new();
    match check.verification(tolerance, now) {
        Verification::Verified => flags.push(Flag::Verified),
        Verification::Unverified => flags.push(Flag::Unverified),
        Verification::Pending => {}
    }
    if check.possible_duplicate {
        flags.push(Flag::PossibleDuplicate);
    }
    flags
}

/// `row`'s entry judged afresh, with no cache: what [`History::entry`] must agree with.
#[cfg(test)]
fn entry(state: &State, row: &Row, config: &Config, now: DateTime<Utc>) -> Option<Entry> {
    entry_judged(state, row, config, now, &mut Judged::default(), &mut |_| {
        None
    })
}

/// Entries for a listing made one row at a time (each number's reconciliation is judged
/// once and reused), so a long history can be written out as it is read.
#[derive(Default)]
pub struct Lister {
    judged: Judged,
}

impl Lister {
    /// The entry for `row`, judged against `state` (the whole log's) at `now`; `fetch`
    /// reads the references `state` kept as where they are in the log.
    pub fn entry(
        &mut self,
        state: &State,
        row: &Row,
        config: &Config,
        now: DateTime<Utc>,
        fetch: FetchReference,
    ) -> Option<Entry> {
        entry_judged(state, row, config, now, &mut self.judged, fetch)
    }
}

/// Each number's reconciliation, judged once for a whole listing.
#[derive(Debug, Default)]
struct Judged(std::collections::HashMap<String, Reconciliation>);

impl Judged {
    fn of(
        &mut self,
        state: &State,
        number: &str,
        config: &Config,
        now: DateTime<Utc>,
    ) -> Option<&Reconciliation> {
        if !self.0.contains_key(number) {
            let r = reconcile(
                state.number(number)?,
                config.number(number),
                state.tz(),
                now,
            );
            self.0.insert(number.to_string(), r);
        }
        self.0.get(number)
    }
}

/// Reads a reference kept as where it is in the log ([`RefAt`]); `None` if it cannot.
pub(crate) type FetchReference<'a> = &'a mut dyn FnMut(RefAt) -> Option<String>;

/// An attempt's reference: kept as text, or fetched from the log.
fn reference_of(
    a: &crate::engine::state::Attempt<'_>,
    fetch: &mut FetchReference,
) -> Option<String> {
    match (a.reference, a.reference_at) {
        (Some(r), _) => Some(r.to_string()),
        (None, Some(at)) => fetch(at),
        (None, None) => None,
    }
}

fn entry_judged(
    state: &State,
    row: &Row,
    config: &Config,
    now: DateTime<Utc>,
    judged: &mut Judged,
    mut fetch: FetchReference,
) -> Option<Entry> {
    match row {
        Row::Recharge { number, key } => {
            recharge_entry(state, number, key, config, now, judged, &mut fetch)
        }
        Row::Manual { .. } => manual_entry(state, row, config, now),
        Row::Balance {
            id,
            at,
            number,
            balance_minor,
            currency,
            validity_until,
            source,
        } => Some(Entry {
            amount_minor: Some(*balance_minor),
            currency: Some(*currency),
            note: (!source.is_empty()).then(|| source.clone()),
            validity_until: *validity_until,
            ..Entry::bare(id.clone(), *at, number.clone(), EntryKind::Balance)
        }),
        Row::Activity {
            id,
            at,
            number,
            note,
        } => Some(Entry {
            note: note.clone(),
            ..Entry::bare(id.clone(), *at, number.clone(), EntryKind::Activity)
        }),
        Row::Statement { .. } => statement_entry(state, row, config, now, judged),
        Row::Message {
            id,
            at,
            number,
            source,
            from,
            text,
        } => Some(Entry {
            reference: from.clone(),
            note: Some(format!("{source}: {text}")),
            ..Entry::bare(id.clone(), *at, number.clone(), EntryKind::Message)
        }),
    }
}

/// The status a recharge key's own state gives its entry, before any verdict.
fn key_entry_status(status: KeyStatus) -> EntryStatus {
    match status {
        KeyStatus::Charged => EntryStatus::Succeeded,
        KeyStatus::InDoubt => EntryStatus::InDoubt,
        KeyStatus::Failed { .. } => EntryStatus::Failed,
        KeyStatus::ReminderOpen | KeyStatus::ReminderSettled | KeyStatus::ReminderDismissed => {
            EntryStatus::Reminder
        }
        KeyStatus::Expected => EntryStatus::Expected,
    }
}

/// What a recharge entry says of itself: its status, its flags and the evidence that
/// proved it, if any.
struct Judgement {
    status: EntryStatus,
    flags: Vec<Flag>,
    evidence_ref: Option<String>,
}

impl Judgement {
    /// An external recharge is judged by reconciliation's verdict on its key, not by the
    /// intent alone: verified (maybe late), missed, or still open.
    fn take_verdict(&mut self, v: &crate::engine::reconcile::KeyVerdict) {
        match v.verdict {
            Verdict::Verified | Verdict::Late => {
                self.status = EntryStatus::Succeeded;
                self.flags = vec![Flag::Verified];
                if v.verdict == Verdict::Late {
                    self.flags.push(Flag::Late);
                }
            }
            Verdict::Missed => self.status = EntryStatus::Missed,
            Verdict::Pending | Verdict::Resolved => {}
        }
        if v.possible_duplicate {
            self.flags.push(Flag::PossibleDuplicate);
        }
        self.evidence_ref = v.reference.clone();
    }
}

/// How a reminder key ended, if it did.
fn reminder_end_of(ks: &crate::engine::state::KeyState<'_>) -> Option<ReminderEnd> {
    match ks.status() {
        KeyStatus::ReminderSettled => Some(ReminderEnd::Settled),
        KeyStatus::ReminderDismissed => Some(ReminderEnd::Dismissed(
            crate::engine::reminders::DismissReason::parse(ks.dismissed.unwrap_or_default()),
        )),
        _ => None,
    }
}

/// One attempt of the key `ks` (whose entry has `status`) as history shows it.
fn attempt_info(
    ks: &crate::engine::state::KeyState<'_>,
    a: &crate::engine::state::Attempt<'_>,
    status: EntryStatus,
    fetch: &mut FetchReference,
) -> AttemptInfo {
    use crate::model::Mode;
    AttemptInfo {
        intent: a.intent.to_string(),
        n: a.n,
        at: a.at,
        // A reminder or an expected outside recharge has no executor answer: its one
        // "attempt" is what the entry is, never in doubt.
        status: match (ks.mode, a.status()) {
            (Mode::Auto, AttemptStatus::Succeeded) => ShownStatus::Entry(EntryStatus::Succeeded),
            (Mode::Auto, AttemptStatus::Failed) => ShownStatus::Entry(EntryStatus::Failed),
            (Mode::Auto, AttemptStatus::InDoubt) => ShownStatus::Entry(EntryStatus::InDoubt),
            _ => match ks.status() {
                KeyStatus::ReminderSettled => ShownStatus::Settled,
                KeyStatus::ReminderDismissed => ShownStatus::Dismissed,
                _ => ShownStatus::Entry(status),
            },
        },
        resolved: a.resolved.is_some(),
        reference: reference_of(a, fetch),
        error: a.error.map(str::to_string),
    }
}

fn recharge_entry(
    state: &State,
    number: &str,
    key: &str,
    config: &Config,
    now: DateTime<Utc>,
    judged: &mut Judged,
    fetch: &mut FetchReference,
) -> Option<Entry> {
    let ks = state.number(number)?.key(key)?;
    let last = ks.last()?;
    let succeeded = ks
        .attempts
        .iter()
        .find(|a| a.status() == AttemptStatus::Succeeded);
    let mut judgement = Judgement {
        status: key_entry_status(ks.status()),
        flags: succeeded.map_or_else(Vec::new, |a| flags_for(state, number, a.check, config, now)),
        evidence_ref: None,
    };
    if ks.mode == crate::model::Mode::External {
        let index = state.number(number)?.key_index_of_intent(last.intent)?;
        let r = judged.of(state, number, config, now)?;
        if let Some(v) = r.key(index) {
            judgement.take_verdict(v);
        }
    }
    let Judgement {
        status,
        flags,
        evidence_ref,
    } = judgement;
    Some(Entry {
        id: last.intent.to_string(),
        at: ks.first_at()?,
        number: number.to_string(),
        kind: EntryKind::Recharge,
        amount_minor: Some(ks.amount_minor),
        currency: Some(ks.currency),
        status: Some(status),
        rule: Some(ks.rule.to_string()),
        key: Some(ks.key.to_string()),
        attempts: Some(ks.attempts.iter().map(|a| a.n).max().unwrap_or(1)),
        reference: evidence_ref
            .or_else(|| succeeded.and_then(|a| reference_of(&a, fetch)))
            .or_else(|| {
                ks.attempts
                    .iter()
                    .rev()
                    .find_map(|a| reference_of(&a, fetch))
            })
            .or_else(|| ks.settled_by.map(str::to_string)),
        error: last.error.map(str::to_string),
        note: None,
        validity_until: None,
        money_in: status == EntryStatus::Succeeded
            && !ks.spend
            && (ks.mode != crate::model::Mode::External || ks.status() == KeyStatus::Charged),
        flags,
        reminder_end: reminder_end_of(&ks),
        attempt_list: ks
            .attempts
            .iter()
            .map(|a| attempt_info(&ks, &a, status, fetch))
            .collect(),
    })
}

/// A manual top-up's entry; `None` for any other row.
fn manual_entry(state: &State, row: &Row, config: &Config, now: DateTime<Utc>) -> Option<Entry> {
    let Row::Manual {
        id,
        at,
        number,
        amount_minor,
        currency,
        note,
        intent,
        settles,
        check,
    } = row
    else {
        return None;
    };
    let rule = settles
        .and_then(|k| state.number(number)?.key_at(k))
        .map(|k| (k.rule.to_string(), k.key.to_string()));
    Some(Entry {
        id: id.clone(),
        at: *at,
        number: number.clone(),
        kind: EntryKind::Manual,
        amount_minor: Some(*amount_minor),
        currency: Some(*currency),
        status: None,
        rule: rule.as_ref().map(|r| r.0.clone()),
        key: rule.map(|r| r.1),
        attempts: None,
        reference: intent.clone(),
        error: None,
        note: note.clone(),
        validity_until: None,
        flags: flags_for(state, number, *check, config, now),
        reminder_end: None,
        attempt_list: Vec::new(),
        money_in: true,
    })
}

/// A statement row's entry, judged by reconciliation when it is evidence of a top-up;
/// `None` for any other row.
fn statement_entry(
    state: &State,
    row: &Row,
    config: &Config,
    now: DateTime<Utc>,
    judged: &mut Judged,
) -> Option<Entry> {
    let Row::Statement {
        id,
        at,
        number,
        amount_minor,
        currency,
        source,
        reference,
        text,
        refund_of,
        evidence,
    } = row
    else {
        return None;
    };
    let ns = state.number(number)?;
    let mut status = Some(EntryStatus::Succeeded);
    let mut flags = Vec::new();
    let mut rule = None;
    if let Some(i) = evidence {
        let ev = ns.evidence.get(*i as usize)?;
        if ev.refunded {
            status = Some(EntryStatus::Refunded);
        } else {
            let r = judged.of(state, number, config, now)?;
            let v = r.evidence.get(*i as usize)?;
            if v.unexpected {
                flags.push(Flag::Unexpected);
            }
            if v.possible_duplicate {
                flags.push(Flag::PossibleDuplicate);
            }
            rule = v.key.and_then(|k| ns.key_at(k));
        }
    } else {
        status = None;
    }
    let from = crate::text::platform_name(source);
    let note = match refund_of {
        Some(of) => crate::tr!(crate::i18n::T::StatementRefundNote, from, text, of),
        None => crate::tr!(crate::i18n::T::StatementNote, from, text),
    };
    Some(Entry {
        amount_minor: Some(*amount_minor),
        currency: Some(*currency),
        status,
        rule: rule.map(|k| k.rule.to_string()),
        key: rule.map(|k| k.key.to_string()),
        reference: Some(reference.clone()),
        note: Some(note),
        money_in: status == Some(EntryStatus::Succeeded) && source != "sms",
        flags,
        ..Entry::bare(id.clone(), *at, number.clone(), EntryKind::Statement)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Mode, OutcomeStatus, ResolvedStatus};

    /// A log with every kind of row and every case where a row depends on the state at
    /// its time: a key's first intent and its retry, manual top-ups settling a reminder
    /// (and naming an unknown intent), checks, statements seen twice, refunds of known and
    /// unknown records, for two numbers interleaved.
    fn log() -> Vec<Event> {
        let gbp = Currency::new("GBP").unwrap();
        let t0 = DateTime::parse_from_rfc3339("2026-03-01T09:00:00+00:00").unwrap();
        let bodies: Vec<(&str, EventBody)> = vec![
            (
                "a",
                EventBody::Balance {
                    balance_minor: 100,
                    currency: gbp,
                    validity_until: None,
                    source: "manual".into(),
                },
            ),
            (
                "a",
                EventBody::Intent {
                    rule: "m".into(),
                    key: "m:2026-03".into(),
                    attempt: 1,
                    amount_minor: 500,
                    currency: gbp,
                    mode: Mode::Auto,
                    action: None,
                },
            ),
            (
                "b",
                EventBody::Intent {
                    rule: "r".into(),
                    key: "r:2026-03".into(),
                    attempt: 1,
                    amount_minor: 700,
                    currency: gbp,
                    mode: Mode::Remind,
                    action: None,
                },
            ),
            (
                "a",
                EventBody::Outcome {
                    intent: "e1".into(),
                    status: OutcomeStatus::Failed,
                    reference: None,
                    error: Some("502".into()),
                },
            ),
            (
                "a",
                EventBody::Intent {
                    rule: "m".into(),
                    key: "m:2026-03".into(),
                    attempt: 2,
                    amount_minor: 500,
                    currency: gbp,
                    mode: Mode::Auto,
                    action: None,
                },
            ),
            (
                "a",
                EventBody::Outcome {
                    intent: "e4".into(),
                    status: OutcomeStatus::Succeeded,
                    reference: Some("T-1".into()),
                    error: None,
                },
            ),
            (
                "b",
                EventBody::Manual {
                    amount_minor: 700,
                    currency: gbp,
                    note: Some("shop".into()),
                    intent: Some("e2".into()),
                },
            ),
            (
                "b",
                EventBody::Manual {
                    amount_minor: 100,
                    currency: gbp,
                    note: None,
                    intent: Some("nobody".into()),
                },
            ),
            (
                "a",
                EventBody::Manual {
                    amount_minor: 300,
                    currency: gbp,
                    note: None,
                    intent: None,
                },
            ),
            (
                "a",
                EventBody::Statement {
                    source: "bank".into(),
                    reference: "S1".into(),
                    amount_minor: 500,
                    currency: gbp,
                    text: "top-up".into(),
                    refund_of: None,
                },
            ),
            (
                "a",
                EventBody::Statement {
                    source: "bank".into(),
                    reference: "S1".into(),
                    amount_minor: 500,
                    currency: gbp,
                    text: "again".into(),
                    refund_of: None,
                },
            ),
            (
                "a",
                EventBody::Statement {
                    source: "card".into(),
                    reference: "S1".into(),
                    amount_minor: 500,
                    currency: gbp,
                    text: "other source".into(),
                    refund_of: None,
                },
            ),
            (
                "a",
                EventBody::Statement {
                    source: "bank".into(),
                    reference: "R1".into(),
                    amount_minor: -500,
                    currency: gbp,
                    text: "refund".into(),
                    refund_of: Some("S1".into()),
                },
            ),
            (
                "b",
                EventBody::Statement {
                    source: "bank".into(),
                    reference: "R2".into(),
                    amount_minor: -100,
                    currency: gbp,
                    text: "refund".into(),
                    refund_of: Some("S9".into()),
                },
            ),
            (
                "b",
                EventBody::Statement {
                    source: "bank".into(),
                    reference: "S9".into(),
                    amount_minor: 100,
                    currency: gbp,
                    text: "late".into(),
                    refund_of: None,
                },
            ),
            (
                "a",
                EventBody::Resolved {
                    intent: "e4".into(),
                    status: ResolvedStatus::Succeeded,
                    note: None,
                    retry: true,
                },
            ),
            (
                "b",
                EventBody::Activity {
                    note: Some("call".into()),
                    intent: None,
                },
            ),
            (
                "b",
                EventBody::Message {
                    source: "sms".into(),
                    from: Some("10086".into()),
                    text: "hello".into(),
                },
            ),
            (
                "b",
                EventBody::Intent {
                    rule: "r".into(),
                    key: "r:2026-03".into(),
                    attempt: 1,
                    amount_minor: 700,
                    currency: gbp,
                    mode: Mode::Remind,
                    action: None,
                },
            ),
            (
                "b",
                EventBody::Manual {
                    amount_minor: 700,
                    currency: gbp,
                    note: None,
                    intent: Some("e18".into()),
                },
            ),
        ];
        bodies
            .into_iter()
            .enumerate()
            .map(|(i, (number, body))| Event {
                id: format!("e{i}"),
                at: t0 + chrono::Duration::minutes(i as i64),
                number: number.into(),
                body,
            })
            .collect()
    }

    #[test]
    fn rows_made_from_recorded_facts_are_the_rows_of_a_live_history() {
        let events = log();
        let tz = chrono_tz::Europe::London;
        let mut live = History::new(State::new(tz), Keep::Rows);
        let mut first = History::new(State::new(tz), Keep::Recording);
        for e in &events {
            live.apply(e, None);
            first.apply(e, None);
        }
        assert!(first.rows().is_empty());
        assert_eq!(first.facts().events(), events.len());
        let mut maker = first.facts().maker();
        let made: Vec<Row> = events.iter().filter_map(|e| maker.row(e)).collect();
        assert!(maker.done());
        let rows: Vec<Row> = (0..live.rows.len()).filter_map(|i| live.row(i)).collect();
        assert_eq!(made, rows);
        // The log has rows of every kind, and events that make none.
        assert!(live.rows.len() > 10 && live.rows.len() < events.len());
        assert!(made.iter().any(|r| matches!(
            r,
            Row::Manual {
                settles: Some(_),
                ..
            }
        )));
        assert!(
            made.iter()
                .any(|r| matches!(r, Row::Statement { evidence: None, .. }))
        );
        // Events past the recorded ones make no rows (lines appended after the first pass).
        assert_eq!(maker.row(&events[0]), None);
    }

    #[test]
    fn entries_are_judged_once_per_change_and_are_what_a_fresh_judgement_says() {
        let mut events = log();
        let last = events.pop().unwrap();
        let tz = chrono_tz::Europe::London;
        let config = Config::empty(None, tz);
        let mut h = History::new(State::new(tz), Keep::Rows);
        for e in &events {
            h.apply(e, None);
        }
        let now: DateTime<Utc> = "2026-03-20T09:00:00Z".parse().unwrap();
        let pass = |h: &History, now: DateTime<Utc>| {
            let rows: Vec<Row> = (0..h.rows.len()).filter_map(|i| h.row(i)).collect();
            for r in &rows {
                assert_eq!(h.entry(r, &config, now), entry(&h.state, r, &config, now));
            }
            rows.len()
        };
        let numbers = 2;
        assert!(pass(&h, now) > 10);
        assert_eq!(h.reconciliations_run(), numbers);
        // Another frame, a filter's scan, the pane: nothing judged again.
        pass(&h, now);
        assert_eq!(
            h.with_reconciliation("a", &config, now, |r| r.keys.len())
                .map(|_| ()),
            Some(())
        );
        assert_eq!(h.reconciliations_run(), numbers);
        // A new event: judged again, once, and as a fresh judgement says.
        h.apply(&last, None);
        pass(&h, now);
        pass(&h, now);
        assert_eq!(h.reconciliations_run(), 2 * numbers);
        // Another minute: the same.
        let later = now + chrono::Duration::days(40);
        pass(&h, later);
        pass(&h, later);
        assert_eq!(h.reconciliations_run(), 3 * numbers);
    }

    /// What an event's row needs from the state, as a first pass could find it (an
    /// index is never `u32::MAX`, which the facts keep for none).
    fn any_at_time() -> impl proptest::strategy::Strategy<Value = AtTime> {
        use proptest::prelude::*;
        let index = || proptest::option::of(prop_oneof![3 => 0u32..10, 1 => 0..u32::MAX]);
        (any::<bool>(), index(), index(), any::<bool>(), index()).prop_map(
            |(new_key, settles, check, statement_row, evidence)| AtTime {
                new_key,
                settles,
                check,
                statement_row,
                evidence,
            },
        )
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(256))]

        /// The facts a first pass records give the second pass, event by event, the row
        /// the first pass would have made from the state itself, and nothing past them.
        #[test]
        fn recorded_facts_make_the_rows_again(
            log in proptest::collection::vec(
                (crate::model::event::tests::any_event(), any_at_time()),
                0..200,
            ),
            appended in crate::model::event::tests::any_event(),
        ) {
            let mut facts = RowFacts::default();
            for (e, t) in &log {
                facts.record(e, t);
            }
            proptest::prop_assert_eq!(facts.events(), log.len());
            let mut maker = facts.maker();
            for (e, t) in &log {
                proptest::prop_assert!(!maker.done());
                proptest::prop_assert_eq!(maker.row(e), make_row(e, t));
            }
            proptest::prop_assert!(maker.done());
            proptest::prop_assert_eq!(maker.row(&appended), None);
        }
    }
}
