//! Recharges made elsewhere: matches each expected external recharge (an `external` intent)
//! with the evidence that it happened — a statement row, a top-up text, a balance rise.
//! Pure: judged at `now` from the state and the config; it never writes anything.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::engine::calendar::{monthly_due, start_of_day, sub_days};
use crate::engine::key::{Key, Period};
use crate::engine::state::{KeyState, KeyStatus, NumberState};
use crate::model::Trigger;
use crate::model::number::DEFAULT_VERIFY_TOLERANCE;
use crate::model::rule::default_confirm_hours;
use crate::model::{Currency, Mode, Number, TriggerKind};

/// Evidence may come this long before the intent: the platform keeps its own clock, and the
/// worker may write the intent late (catch-up after downtime).
pub(crate) const LEAD_HOURS: i64 = 24;

/// A top-up seen in a record made elsewhere (a `statement` event).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Evidence {
    /// The statement event's id.
    pub id: Box<str>,
    /// When the money went in, as the record says.
    pub at: DateTime<Utc>,
    pub amount: i64,
    pub currency: Currency,
    pub source: Box<str>,
    pub reference: Box<str>,
    /// A later refund row undid it.
    pub refunded: bool,
}

impl Evidence {
    /// Payment records are money in; a carrier's text only confirms money that a reading or
    /// a statement also shows, so it is not counted twice.
    pub(crate) fn counts_as_money(&self) -> bool {
        &*self.source != "sms"
    }
}

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
    let tolerance = number.map_or(DEFAULT_VERIFY_TOLERANCE, |n| n.verify_tolerance) as i64;
    let mut out = Reconciliation {
        keys: Vec::new(),
        evidence: vec![EvidenceVerdict::default(); ns.evidence.len()],
    };
    // Evidence by time (imports append old records after newer events).
    let mut order: Vec<usize> = (0..ns.evidence.len())
        .filter(|&i| !ns.evidence[i].refunded)
        .collect();
    order.sort_by_key(|&i| (ns.evidence[i].at, i));
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
    let fits = |ev: &Evidence, ks: &KeyState| {
        let slack = ks.amount_minor.saturating_mul(tolerance) / 100;
        ev.currency == ks.currency && (ev.amount - ks.amount_minor).abs() <= slack
    };
    let needed = |ks: &KeyState| ks.amount_minor - ks.amount_minor.saturating_mul(tolerance) / 100;
    let mut taken = vec![false; ns.evidence.len()];
    // Pass 1: evidence inside each window, in the order the recharges were expected.
    // (`at` is when the key came due: the intent's time, or the period's date if earlier.)
    for &(k, ref ks, at) in &externals {
        let start = at - Duration::hours(LEAD_HOURS);
        let deadline = at + Duration::hours(confirm_hours(ks, number));
        let mut verdict = KeyVerdict {
            key: k,
            verdict: Verdict::Pending,
            reference: None,
            possible_duplicate: false,
            deadline,
        };
        let in_window = |ev: &Evidence| ev.at >= start && ev.at <= deadline;
        let first = order
            .iter()
            .copied()
            .find(|&i| !taken[i] && in_window(&ns.evidence[i]) && fits(&ns.evidence[i], ks));
        if let Some(i) = first {
            taken[i] = true;
            out.evidence[i].key = Some(k);
            verdict.verdict = Verdict::Verified;
            verdict.reference = Some(ns.evidence[i].reference.to_string());
            // A second record from the same source for the same money: charged twice?
            // Every other record of the same money in the window belongs here too. Records
            // from different sources corroborate each other (the carrier's text for the
            // Alipay row); two from one source are two charges.
            let mut picked = vec![i];
            for &j in &order {
                let ev = &ns.evidence[j];
                if !taken[j] && in_window(ev) && fits(ev, ks) {
                    taken[j] = true;
                    out.evidence[j].key = Some(k);
                    picked.push(j);
                }
            }
            for &j in &picked {
                let source = &ns.evidence[j].source;
                if picked
                    .iter()
                    .filter(|&&x| ns.evidence[x].source == *source)
                    .count()
                    > 1
                {
                    out.evidence[j].possible_duplicate = true;
                    verdict.possible_duplicate = true;
                }
            }
        }
        let rise = largest_rise(ns, start, deadline);
        if rise.is_some_and(|r| r >= needed(ks)) && verdict.verdict == Verdict::Pending {
            verdict.verdict = Verdict::Verified;
        }
        // Twice the money on the number: charged twice? (With a statement row too: the row
        // is one charge, the rise shows two.)
        if rise.is_some_and(|r| r >= 2 * needed(ks)) {
            verdict.possible_duplicate = true;
        }
        out.keys.push(verdict);
    }
    // Pass 2: late evidence for what found none, before the same rule's next window.
    for n in 0..externals.len() {
        let (_, ks, _) = &externals[n];
        if out.keys[n].verdict != Verdict::Pending || now <= out.keys[n].deadline {
            continue;
        }
        let after = out.keys[n].deadline;
        let until = externals[n + 1..]
            .iter()
            .find(|(_, other, _)| other.rule == ks.rule)
            .map(|(_, _, at)| *at - Duration::hours(LEAD_HOURS));
        let in_late = |t: DateTime<Utc>| t > after && until.is_none_or(|u| t < u);
        if let Some(i) = order
            .iter()
            .copied()
            .find(|&i| !taken[i] && in_late(ns.evidence[i].at) && fits(&ns.evidence[i], ks))
        {
            taken[i] = true;
            out.evidence[i].key = Some(out.keys[n].key);
            out.keys[n].verdict = Verdict::Late;
            out.keys[n].reference = Some(ns.evidence[i].reference.to_string());
        } else if largest_rise(ns, after, until.unwrap_or(now).min(now))
            .is_some_and(|r| r >= needed(ks))
        {
            out.keys[n].verdict = Verdict::Late;
        }
    }
    for (n, (_, ks, _)) in externals.iter().enumerate() {
        let v = &mut out.keys[n];
        if ks.status() == KeyStatus::Charged {
            v.verdict = Verdict::Resolved;
        } else if v.verdict == Verdict::Pending && now > v.deadline {
            v.verdict = Verdict::Missed;
        }
    }
    for &i in &order {
        if !taken[i] {
            out.evidence[i].unexpected = true;
        }
    }
    // Two payment records nobody expected, from one source, of one amount within a day:
    // charged twice? (A carrier often texts twice about one top-up: texts are not
    // counted.)
    let loose: Vec<usize> = order
        .iter()
        .copied()
        .filter(|&i| !taken[i] && ns.evidence[i].counts_as_money())
        .collect();
    for (x, &i) in loose.iter().enumerate() {
        let a = &ns.evidence[i];
        for &j in &loose[x + 1..] {
            let b = &ns.evidence[j];
            if b.at - a.at > Duration::hours(crate::engine::verify::DUPLICATE_HOURS) {
                break;
            }
            if a.source == b.source && a.amount == b.amount && a.currency == b.currency {
                out.evidence[i].possible_duplicate = true;
                out.evidence[j].possible_duplicate = true;
            }
        }
    }
    out
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
