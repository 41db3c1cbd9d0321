//! Recharges made elsewhere: matches each expected external recharge (an `external` intent)
//! with the evidence that it happened — a statement row, a top-up text, a balance rise.
//! Pure: judged at `now` from the state and the config; it never writes anything.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::engine::calendar::{monthly_due, start_of_day, sub_days};
use crate::engine::evidence::Evidence;
use crate::engine::key::{Key, Period};
use crate::engine::state::{KeyState, KeyStatus, NumberState};
use crate::model::Trigger;
use crate::model::number::DEFAULT_VERIFY_TOLERANCE;
use crate::model::rule::default_confirm_hours;
use crate::model::{Mode, Number, TriggerKind};

/// Evidence may come this long before the intent: the platform keeps its own clock, and the
/// worker may write the intent late (catch-up after downtime).
pub(crate) const LEAD_HOURS: i64 = 24;

/// What became of one expected external recharge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Still inside its window, no evidence yet.
    Pending,
    /// Evidence inside the window.
    Verified,
    /// Evidence, but after the window closed.
    Late,
    /// No evidence, and the window has closed.
    Missed,
    /// A person resolved it (`resolve`): their word stands.
    Resolved,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyVerdict {
    /// The key's index in the number's keys.
    pub key: u32,
    pub verdict: Verdict,
    /// The evidence's reference (a statement's order number), when it has one.
    pub reference: Option<String>,
    /// Two pieces of evidence for this one expectation.
    pub possible_duplicate: bool,
    pub deadline: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EvidenceVerdict {
    /// The expected recharge it settles (index into the number's keys).
    pub key: Option<u32>,
    pub possible_duplicate: bool,
    /// A top-up no rule expected.
    pub unexpected: bool,
}

/// One number's reconciliation: a verdict per external key, one per piece of evidence
/// (index-aligned with `NumberState::evidence`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Reconciliation {
    pub keys: Vec<KeyVerdict>,
    pub evidence: Vec<EvidenceVerdict>,
}

impl Reconciliation {
    pub fn key(&self, index: u32) -> Option<&KeyVerdict> {
        self.keys.iter().find(|k| k.key == index)
    }

    pub fn missed(&self) -> impl Iterator<Item = &KeyVerdict> {
        self.keys.iter().filter(|k| k.verdict == Verdict::Missed)
    }
}

/// How long evidence of `ks` may take, from the number's rule (or the default for a rule
/// that is gone from the config).
fn confirm_hours(ks: &KeyState, number: Option<&Number>) -> i64 {
    number
        .and_then(|n| n.rule(ks.rule))
        .map_or(default_confirm_hours(TriggerKind::Monthly), |r| {
            r.confirm_hours()
        }) as i64
}

/// When the key's period came due (a worker that was down writes the intent later), told
/// by the key's own shape: a month from its rule's day and time while the rule is still
/// monthly, else from the month's first instant (the earliest that period could come due);
/// a date is the day itself, or the validity date `days` before which a before-expiry rule
/// fires. `None` for a reading's key (low balance: due when read) or a string no rule wrote.
pub fn due_of(ks: &KeyState, number: Option<&Number>, tz: Tz) -> Option<DateTime<Utc>> {
    let key: Key = ks.key.parse().ok()?;
    if key.rule != ks.rule {
        return None;
    }
    let trigger = number.and_then(|n| n.rule(ks.rule)).map(|r| &r.trigger);
    match (key.period, trigger) {
        (Period::Month(month), Some(Trigger::Monthly { day, at })) => {
            Some(monthly_due(tz, month, *day, *at))
        }
        (Period::Month(month), _) => Some(start_of_day(tz, month.first_day())),
        (Period::Date(date), Some(Trigger::BeforeExpiry { days })) => {
            Some(start_of_day(tz, sub_days(date, *days)))
        }
        (Period::Date(date), _) => Some(start_of_day(tz, date)),
        (Period::Reading(_), _) => None,
    }
}

/// Judges every external recharge of one number at `now` (`tz`: the config's zone, in which
/// the rules' dates are read).
pub fn reconcile(
    ns: &NumberState,
    number: Option<&Number>,
    tz: Tz,
    now: DateTime<Utc>,
) -> Reconciliation {
    let externals: Vec<(u32, KeyState<'_>, DateTime<Utc>)> = ns
        .keys()
        .enumerate()
        .filter(|(_, k)| k.mode == Mode::External)
        .filter(|(_, k)| !matches!(k.status(), KeyStatus::Failed { .. }))
        .filter_map(|(i, k)| {
            let intent = k.first_at()?;
            let due = due_of(&k, number, tz).map_or(intent, |d| d.min(intent));
            Some((i as u32, k, due))
        })
        .collect();
    let mut m = Matching::new(ns, number);
    // Pass 1: evidence inside each window, in the order the recharges were expected.
    // (`at` is when the key came due: the intent's time, or the period's date if earlier.)
    for &(k, ref ks, at) in &externals {
        let verdict = m.in_window(k, ks, at);
        m.out.keys.push(verdict);
    }
    // Pass 2: late evidence for what found none, before the same rule's next window.
    for n in 0..externals.len() {
        m.late(&externals, n, now);
    }
    for (n, (_, ks, _)) in externals.iter().enumerate() {
        let v = &mut m.out.keys[n];
        if ks.status() == KeyStatus::Charged {
            v.verdict = Verdict::Resolved;
        } else if v.verdict == Verdict::Pending && now > v.deadline {
            v.verdict = Verdict::Missed;
        }
    }
    m.mark_unexpected();
    m.out
}

/// Reconciliation under way: which evidence is already taken, and the verdicts so far.
struct Matching<'a> {
    ns: &'a NumberState,
    number: Option<&'a Number>,
    tolerance: i64,
    /// Evidence by time (imports append old records after newer events), refunds aside.
    order: Vec<usize>,
    taken: Vec<bool>,
    out: Reconciliation,
}

impl<'a> Matching<'a> {
    fn new(ns: &'a NumberState, number: Option<&'a Number>) -> Matching<'a> {
        let mut order: Vec<usize> = (0..ns.evidence.len())
            .filter(|&i| !ns.evidence[i].refunded)
            .collect();
        order.sort_by_key(|&i| (ns.evidence[i].at, i));
        Matching {
            ns,
            number,
            tolerance: number.map_or(DEFAULT_VERIFY_TOLERANCE, |n| n.verify_tolerance) as i64,
            order,
            taken: vec![false; ns.evidence.len()],
            out: Reconciliation {
                keys: Vec::new(),
                evidence: vec![EvidenceVerdict::default(); ns.evidence.len()],
            },
        }
    }

    /// Whether `ev` is the money `ks` asked for, within the tolerance.
    fn fits(&self, ev: &Evidence, ks: &KeyState) -> bool {
        let slack = ks.amount_minor.saturating_mul(self.tolerance) / 100;
        ev.currency == ks.currency && (ev.amount - ks.amount_minor).abs() <= slack
    }

    /// The least rise of the balance that shows `ks`'s money went in.
    fn needed(&self, ks: &KeyState) -> i64 {
        ks.amount_minor - ks.amount_minor.saturating_mul(self.tolerance) / 100
    }

    /// The verdict on key `k` (due `at`) from the evidence and readings inside its window.
    fn in_window(&mut self, k: u32, ks: &KeyState, at: DateTime<Utc>) -> KeyVerdict {
        let ns = self.ns;
        let start = at - Duration::hours(LEAD_HOURS);
        let deadline = at + Duration::hours(confirm_hours(ks, self.number));
        let mut verdict = KeyVerdict {
            key: k,
            verdict: Verdict::Pending,
            reference: None,
            possible_duplicate: false,
            deadline,
        };
        let in_window = |ev: &Evidence| ev.at >= start && ev.at <= deadline;
        let first = self.order.iter().copied().find(|&i| {
            !self.taken[i] && in_window(&ns.evidence[i]) && self.fits(&ns.evidence[i], ks)
        });
        if let Some(i) = first {
            verdict.verdict = Verdict::Verified;
            verdict.reference = Some(ns.evidence[i].reference.to_string());
            verdict.possible_duplicate = self.claim(k, ks, i, in_window);
        }
        let rise = largest_rise(ns, start, deadline);
        if rise.is_some_and(|r| r >= self.needed(ks)) && verdict.verdict == Verdict::Pending {
            verdict.verdict = Verdict::Verified;
        }
        // Twice the money on the number: charged twice? (With a statement row too: the row
        // is one charge, the rise shows two.)
        if rise.is_some_and(|r| r >= 2 * self.needed(ks)) {
            verdict.possible_duplicate = true;
        }
        verdict
    }

    /// Gives evidence `first` to key `k`, with every other record of the same money in the
    /// window. A second record from the same source for the same money: charged twice?
    /// Records from different sources corroborate each other (the carrier's text for the
    /// Alipay row); two from one source are two charges. Returns whether it saw that.
    fn claim(
        &mut self,
        k: u32,
        ks: &KeyState,
        first: usize,
        in_window: impl Fn(&Evidence) -> bool,
    ) -> bool {
        let ns = self.ns;
        self.taken[first] = true;
        self.out.evidence[first].key = Some(k);
        let mut picked = vec![first];
        for x in 0..self.order.len() {
            let j = self.order[x];
            let ev = &ns.evidence[j];
            if !self.taken[j] && in_window(ev) && self.fits(ev, ks) {
                self.taken[j] = true;
                self.out.evidence[j].key = Some(k);
                picked.push(j);
            }
        }
        let mut duplicate = false;
        for &j in &picked {
            let source = &ns.evidence[j].source;
            if picked
                .iter()
                .filter(|&&x| ns.evidence[x].source == *source)
                .count()
                > 1
            {
                self.out.evidence[j].possible_duplicate = true;
                duplicate = true;
            }
        }
        duplicate
    }

    /// Late evidence for external `n` if it found none in its window and the window has
    /// closed: a record or a rise after it, before the same rule's next window.
    fn late(
        &mut self,
        externals: &[(u32, KeyState<'_>, DateTime<Utc>)],
        n: usize,
        now: DateTime<Utc>,
    ) {
        let ns = self.ns;
        let (_, ks, _) = &externals[n];
        if self.out.keys[n].verdict != Verdict::Pending || now <= self.out.keys[n].deadline {
            return;
        }
        let after = self.out.keys[n].deadline;
        let until = externals[n + 1..]
            .iter()
            .find(|(_, other, _)| other.rule == ks.rule)
            .map(|(_, _, at)| *at - Duration::hours(LEAD_HOURS));
        let in_late = |t: DateTime<Utc>| t > after && until.is_none_or(|u| t < u);
        if let Some(i) = self.order.iter().copied().find(|&i| {
            !self.taken[i] && in_late(ns.evidence[i].at) && self.fits(&ns.evidence[i], ks)
        }) {
            self.taken[i] = true;
            self.out.evidence[i].key = Some(self.out.keys[n].key);
            self.out.keys[n].verdict = Verdict::Late;
            self.out.keys[n].reference = Some(ns.evidence[i].reference.to_string());
        } else if largest_rise(ns, after, until.unwrap_or(now).min(now))
            .is_some_and(|r| r >= self.needed(ks))
        {
            self.out.keys[n].verdict = Verdict::Late;
        }
    }

    /// Evidence no key took is unexpected. Two payment records nobody expected, from one
    /// source, of one amount within a day: charged twice? (A carrier often texts twice
    /// about one top-up: texts are not counted.)
    fn mark_unexpected(&mut self) {
        let ns = self.ns;
        for &i in &self.order {
            if !self.taken[i] {
                self.out.evidence[i].unexpected = true;
            }
        }
        let loose: Vec<usize> = self
            .order
            .iter()
            .copied()
            .filter(|&i| !self.taken[i] && ns.evidence[i].counts_as_money())
            .collect();
        for (x, &i) in loose.iter().enumerate() {
            let a = &ns.evidence[i];
            for &j in &loose[x + 1..] {
                let b = &ns.evidence[j];
                if b.at - a.at > Duration::hours(crate::engine::verify::DUPLICATE_HOURS) {
                    break;
                }
                if a.source == b.source && a.amount == b.amount && a.currency == b.currency {
                    self.out.evidence[i].possible_duplicate = true;
                    self.out.evidence[j].possible_duplicate = true;
                }
            }
        }
    }
}

/// The largest rise of the balance shown by readings in time order, the later reading in
/// `[from, to]` and the earlier one at most [`LEAD_HOURS`] before `from`: a reading older
/// than that cannot tell when the money went in (a text from three weeks before, imported
/// late, would make a missed recharge look verified). The rise may take several steps
/// (a reading between two top-ups), measured from the lowest reading before it.
fn largest_rise(ns: &NumberState, from: DateTime<Utc>, to: DateTime<Utc>) -> Option<i64> {
    let earliest = from - Duration::hours(LEAD_HOURS);
    let mut low: Option<i64> = None;
    let mut best: Option<i64> = None;
    for &(t, v) in ns
        .readings
        .iter()
        .filter(|(t, _)| *t >= earliest && *t <= to)
    {
        if t >= from
            && let Some(l) = low
            && v > l
        {
            best = Some(best.map_or(v - l, |b| b.max(v - l)));
        }
        low = Some(low.map_or(v, |l| l.min(v)));
    }
    best
}
