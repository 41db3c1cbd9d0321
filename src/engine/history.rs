//! The person-facing history: one row per recharge key, manual top-up, balance reading
//! and activity, in log order, with status and verification flags taken from the state.

use chrono::{DateTime, NaiveDate, Utc};

use crate::engine::reconcile::{Reconciliation, Verdict, reconcile};
use crate::engine::state::{AttemptStatus, EventStr, KeyStatus, State};
use crate::engine::verify::Verification;
use crate::model::{Config, Currency, Event, EventBody};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryKind {
    Recharge,
    Manual,
    Balance,
    Activity,
    /// A top-up seen in an imported statement or a carrier's text.
    Statement,
    /// A text baohao kept without understanding it.
    Message,
}

impl EntryKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryKind::Recharge => "recharge",
            EntryKind::Manual => "manual",
            EntryKind::Balance => "balance",
            EntryKind::Activity => "activity",
            EntryKind::Statement => "statement",
            EntryKind::Message => "message",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EntryStatus {
    Succeeded,
    Failed,
    InDoubt,
    Reminder,
    /// An external recharge whose evidence window is still open.
    Expected,
    /// An external recharge with no evidence by its deadline.
    Missed,
    /// A statement row a later refund undid.
    Refunded,
}

impl EntryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            EntryStatus::Succeeded => "succeeded",
            EntryStatus::Failed => "failed",
            EntryStatus::InDoubt => "in_doubt",
            EntryStatus::Reminder => "reminder",
            EntryStatus::Expected => "expected",
            EntryStatus::Missed => "missed",
            EntryStatus::Refunded => "refunded",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Flag {
    Verified,
    Unverified,
    PossibleDuplicate,
    /// Evidence of an external recharge came after its window.
    Late,
    /// A top-up no rule expected.
    Unexpected,
}

impl Flag {
    pub fn as_str(self) -> &'static str {
        match self {
            Flag::Verified => "verified",
            Flag::Unverified => "unverified",
            Flag::PossibleDuplicate => "possible_duplicate",
            Flag::Late => "late",
            Flag::Unexpected => "unexpected",
        }
    }
}

/// A history row as recorded: recharges point into the state's keys, the rest are copies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    Recharge {
        number: String,
        key: String,
    },
    Manual {
        id: String,
        at: DateTime<Utc>,
        number: String,
        amount_minor: i64,
        currency: Currency,
        note: Option<String>,
        intent: Option<String>,
        /// The reminder key it settles (an index into the number's keys).
        settles: Option<u32>,
        /// Its verification check in the number's tracker.
        check: Option<u32>,
    },
    Balance {
        id: String,
        at: DateTime<Utc>,
        number: String,
        balance_minor: i64,
        currency: Currency,
        validity_until: Option<NaiveDate>,
        source: String,
    },
    Activity {
        id: String,
        at: DateTime<Utc>,
        number: String,
        note: Option<String>,
    },
    Statement {
        id: String,
        at: DateTime<Utc>,
        number: String,
        amount_minor: i64,
        currency: Currency,
        source: String,
        reference: String,
        text: String,
        refund_of: Option<String>,
        /// Its index in the number's evidence (None for a refund row).
        evidence: Option<u32>,
    },
    Message {
        id: String,
        at: DateTime<Utc>,
        number: String,
        source: String,
        from: Option<String>,
        text: String,
    },
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
    /// With the reason recorded (`rule_deleted`, `rule_now_auto`, `by_hand`, …).
    Dismissed(String),
}

/// One attempt of a recharge, as history shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttemptInfo {
    pub intent: String,
    pub n: u32,
    pub at: DateTime<Utc>,
    /// `succeeded`, `failed` or `in_doubt`.
    pub status: &'static str,
    /// Whether a person (or a query) resolved it rather than the executor's answer.
    pub resolved: bool,
    pub reference: Option<String>,
    pub error: Option<String>,
}

impl Entry {
    /// The status every face shows and exports: a reminder that ended says how
    /// (`settled`, `dismissed`), others their `EntryStatus`.
    pub fn status_str(&self) -> Option<&'static str> {
        match (&self.status, &self.reminder_end) {
            (Some(EntryStatus::Reminder), Some(ReminderEnd::Settled)) => Some("settled"),
            (Some(EntryStatus::Reminder), Some(ReminderEnd::Dismissed(_))) => Some("dismissed"),
            (s, _) => s.map(|s| s.as_str()),
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
            s.push_str(reason);
        }
        for a in &self.attempt_list {
            s.push_str(&format!(" attempt {} {}", a.n, a.status));
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
#[derive(Clone, Debug)]
pub struct History {
    pub state: State,
    pub rows: Vec<Row>,
    /// Whether rows are recorded at all (the worker and `status` need only the state).
    keep_rows: bool,
}

impl History {
    pub fn new(state: State) -> History {
        History {
            state,
            rows: Vec::new(),
            keep_rows: true,
        }
    }

    /// A history that folds the state only and records no rows.
    pub fn state_only(state: State) -> History {
        History {
            state,
            rows: Vec::new(),
            keep_rows: false,
        }
    }

    /// An empty history of the same kind, for a replay from the start.
    pub fn fresh(&self, state: State) -> History {
        History {
            state,
            rows: Vec::new(),
            keep_rows: self.keep_rows,
        }
    }

    pub fn apply(&mut self, e: &Event) {
        self.apply_owned(e.clone());
    }

    pub fn apply_owned(&mut self, e: Event) {
        self.apply_event(e);
    }

    /// Folds `e` into the state and records its row, if it makes one.
    pub fn apply_event<S: EventStr>(&mut self, e: Event<S>) {
        if let Some(row) = self.apply_event_row(e) {
            self.rows.push(row);
        }
    }

    /// Folds `e` into the state and hands back its row (if it makes one) instead of
    /// recording it: a streaming listing replays with this and judges each row against
    /// the state of a first, state-only pass. A state-only history makes no rows.
    pub fn apply_event_row<S: EventStr>(&mut self, e: Event<S>) -> Option<Row> {
        if !self.keep_rows {
            self.state.apply_event(e);
            return None;
        }
        let s = |v: &S| v.as_ref().to_string();
        let so = |v: &Option<S>| v.as_ref().map(|v| v.as_ref().to_string());
        let at = e.at.with_timezone(&Utc);
        let ns = self.state.number(e.number.as_ref());
        let row = match &e.body {
            EventBody::Intent { key, .. } if ns.and_then(|n| n.key(key.as_ref())).is_none() => {
                Some(Row::Recharge {
                    number: s(&e.number),
                    key: s(key),
                })
            }
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
                settles: intent
                    .as_ref()
                    .and_then(|i| ns?.key_index_of_intent(i.as_ref())),
                check: Some(ns.map_or(0, |n| n.verify.next_index())),
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
            } => {
                let known = ns.is_some_and(|n| n.has_evidence(source.as_ref(), reference.as_ref()));
                (!known || refund_of.is_some()).then(|| Row::Statement {
                    id: s(&e.id),
                    at,
                    number: s(&e.number),
                    amount_minor: *amount_minor,
                    currency: *currency,
                    source: s(source),
                    reference: s(reference),
                    text: s(text),
                    refund_of: so(refund_of),
                    evidence: refund_of
                        .is_none()
                        .then(|| ns.map_or(0, |n| n.evidence.len() as u32)),
                })
            }
            EventBody::Message { source, from, text } => Some(Row::Message {
                id: s(&e.id),
                at,
                number: s(&e.number),
                source: s(source),
                from: so(from),
                text: s(text),
            }),
            _ => None,
        };
        self.state.apply_event(e);
        row
    }

    /// The entry for `row`, with flags judged at `now` with the number's tolerance.
    pub fn entry(&self, row: &Row, config: &Config, now: DateTime<Utc>) -> Option<Entry> {
        entry(&self.state, row, config, now)
    }

    pub fn entries(&self, config: &Config, now: DateTime<Utc>) -> Vec<Entry> {
        let mut judged = Judged::default();
        self.rows
            .iter()
            .filter_map(|r| entry_judged(&self.state, r, config, now, &mut judged))
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

pub fn entry(state: &State, row: &Row, config: &Config, now: DateTime<Utc>) -> Option<Entry> {
    entry_judged(state, row, config, now, &mut Judged::default())
}

/// Entries for a listing made one row at a time (each number's reconciliation is judged
/// once and reused), so a long history can be written out as it is read.
#[derive(Default)]
pub struct Lister {
    judged: Judged,
}

impl Lister {
    /// The entry for `row`, judged against `state` (the whole log's) at `now`.
    pub fn entry(
        &mut self,
        state: &State,
        row: &Row,
        config: &Config,
        now: DateTime<Utc>,
    ) -> Option<Entry> {
        entry_judged(state, row, config, now, &mut self.judged)
    }
}

/// Each number's reconciliation, judged once for a whole listing.
#[derive(Default)]
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

fn entry_judged(
    state: &State,
    row: &Row,
    config: &Config,
    now: DateTime<Utc>,
    judged: &mut Judged,
) -> Option<Entry> {
    Some(match row {
        Row::Recharge { number, key } => {
            let ks = state.number(number)?.key(key)?;
            let last = ks.last()?;
            let status = match ks.status() {
                KeyStatus::Charged => EntryStatus::Succeeded,
                KeyStatus::InDoubt => EntryStatus::InDoubt,
                KeyStatus::Failed { .. } => EntryStatus::Failed,
                KeyStatus::ReminderOpen
                | KeyStatus::ReminderSettled
                | KeyStatus::ReminderDismissed => EntryStatus::Reminder,
                KeyStatus::Expected => EntryStatus::Expected,
            };
            let succeeded = ks
                .attempts
                .iter()
                .find(|a| a.status() == AttemptStatus::Succeeded);
            let mut flags =
                succeeded.map_or_else(Vec::new, |a| flags_for(state, number, a.check, config, now));
            let mut status = status;
            let mut evidence_ref = None;
            if ks.mode == crate::model::Mode::External {
                let ns = state.number(number)?;
                let index = ns.key_index_of_intent(&last.intent)?;
                let r = judged.of(state, number, config, now)?;
                if let Some(v) = r.key(index) {
                    match v.verdict {
                        Verdict::Verified | Verdict::Late => {
                            status = EntryStatus::Succeeded;
                            flags = vec![Flag::Verified];
                            if v.verdict == Verdict::Late {
                                flags.push(Flag::Late);
                            }
                        }
                        Verdict::Missed => status = EntryStatus::Missed,
                        Verdict::Pending | Verdict::Resolved => {}
                    }
                    if v.possible_duplicate {
                        flags.push(Flag::PossibleDuplicate);
                    }
                    evidence_ref = v.reference.clone();
                }
            }
            Entry {
                id: last.intent.to_string(),
                at: ks.first_at()?,
                number: number.clone(),
                kind: EntryKind::Recharge,
                amount_minor: Some(ks.amount_minor),
                currency: Some(ks.currency),
                status: Some(status),
                rule: Some(ks.rule.to_string()),
                key: Some(ks.key.to_string()),
                attempts: Some(ks.attempts.iter().map(|a| a.n).max().unwrap_or(1)),
                reference: evidence_ref
                    .as_deref()
                    .or(succeeded.and_then(|a| a.reference.as_deref()))
                    .or_else(|| {
                        ks.attempts
                            .iter()
                            .rev()
                            .find_map(|a| a.reference.as_deref())
                    })
                    .or(ks.settled_by.as_deref())
                    .map(str::to_string),
                error: last.error.as_deref().map(str::to_string),
                note: None,
                validity_until: None,
                money_in: status == EntryStatus::Succeeded
                    && (ks.mode != crate::model::Mode::External
                        || ks.status() == KeyStatus::Charged),
                flags,
                reminder_end: match ks.status() {
                    KeyStatus::ReminderSettled => Some(ReminderEnd::Settled),
                    KeyStatus::ReminderDismissed => Some(ReminderEnd::Dismissed(
                        ks.dismissed.as_deref().unwrap_or_default().to_string(),
                    )),
                    _ => None,
                },
                attempt_list: ks
                    .attempts
                    .iter()
                    .map(|a| AttemptInfo {
                        intent: a.intent.to_string(),
                        n: a.n,
                        at: a.at,
                        // A reminder or an expected outside recharge has no executor
                        // answer: its one "attempt" is what the entry is, never in doubt.
                        status: match (ks.mode, a.status()) {
                            (crate::model::Mode::Auto, AttemptStatus::Succeeded) => "succeeded",
                            (crate::model::Mode::Auto, AttemptStatus::Failed) => "failed",
                            (crate::model::Mode::Auto, AttemptStatus::InDoubt) => "in_doubt",
                            _ => match ks.status() {
                                KeyStatus::ReminderSettled => "settled",
                                KeyStatus::ReminderDismissed => "dismissed",
                                _ => status.as_str(),
                            },
                        },
                        resolved: a.resolved.is_some(),
                        reference: a.reference.as_deref().map(str::to_string),
                        error: a.error.as_deref().map(str::to_string),
                    })
                    .collect(),
            }
        }
        Row::Manual {
            id,
            at,
            number,
            amount_minor,
            currency,
            note,
            intent,
            settles,
            check,
        } => {
            let rule = settles
                .and_then(|k| state.number(number)?.key_at(k))
                .map(|k| (k.rule.to_string(), k.key.to_string()));
            Entry {
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
            }
        }
        Row::Balance {
            id,
            at,
            number,
            balance_minor,
            currency,
            validity_until,
            source,
        } => Entry {
            id: id.clone(),
            at: *at,
            number: number.clone(),
            kind: EntryKind::Balance,
            amount_minor: Some(*balance_minor),
            currency: Some(*currency),
            status: None,
            rule: None,
            key: None,
            attempts: None,
            reference: None,
            error: None,
            note: (!source.is_empty()).then(|| source.clone()),
            validity_until: *validity_until,
            flags: Vec::new(),
            reminder_end: None,
            attempt_list: Vec::new(),
            money_in: false,
        },
        Row::Activity {
            id,
            at,
            number,
            note,
        } => Entry {
            id: id.clone(),
            at: *at,
            number: number.clone(),
            kind: EntryKind::Activity,
            amount_minor: None,
            currency: None,
            status: None,
            rule: None,
            key: None,
            attempts: None,
            reference: None,
            error: None,
            note: note.clone(),
            validity_until: None,
            flags: Vec::new(),
            reminder_end: None,
            attempt_list: Vec::new(),
            money_in: false,
        },
        Row::Statement {
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
        } => {
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
            Entry {
                id: id.clone(),
                at: *at,
                number: number.clone(),
                kind: EntryKind::Statement,
                amount_minor: Some(*amount_minor),
                currency: Some(*currency),
                status,
                rule: rule.map(|k| k.rule.to_string()),
                key: rule.map(|k| k.key.to_string()),
                attempts: None,
                reference: Some(reference.clone()),
                error: None,
                note: Some(match refund_of {
                    Some(of) => format!("{source}: {text} (refund of {of})"),
                    None => format!("{source}: {text}"),
                }),
                validity_until: None,
                money_in: status == Some(EntryStatus::Succeeded) && source != "sms",
                flags,
                reminder_end: None,
                attempt_list: Vec::new(),
            }
        }
        Row::Message {
            id,
            at,
            number,
            source,
            from,
            text,
        } => Entry {
            id: id.clone(),
            at: *at,
            number: number.clone(),
            kind: EntryKind::Message,
            amount_minor: None,
            currency: None,
            status: None,
            rule: None,
            key: None,
            attempts: None,
            reference: from.clone(),
            error: None,
            note: Some(format!("{source}: {text}")),
            validity_until: None,
            flags: Vec::new(),
            reminder_end: None,
            attempt_list: Vec::new(),
            money_in: false,
        },
    })
}
