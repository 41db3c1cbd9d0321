//! The next months: every planned recharge (fixed by the calendar, or estimated from a
//! projected balance or validity) and each number's projected balance. Pure: `now` comes in.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};

use crate::engine::calendar::{YearMonth, add_days, local_date, start_of_day};
use crate::engine::due::{agenda, committed_this_month, effective_mode};
use crate::engine::state::State;
use crate::engine::trigger::{Facts, firing};
use crate::model::{Config, Currency, Mode, Money, Number, Trigger};

/// Forecasts look at most ten years ahead.
pub const MAX_DAYS: u32 = 3660;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Planned {
    pub number: String,
    pub rule: String,
    pub at: DateTime<Utc>,
    pub amount: Money,
    pub mode: Mode,
    /// True when the date depends on a balance or validity forecast, not a fixed calendar.
    pub estimated: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Projection {
    pub number: String,
    pub currency: Currency,
    /// The projected balance from each date on (only dates where it changes).
    pub points: Vec<(NaiveDate, i64)>,
}

/// A recharge a rule would make that the number's monthly budget holds back: shown with
/// its reason, never left out in silence. (The first of each rule in the range.)
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    pub number: String,
    pub rule: String,
    pub at: DateTime<Utc>,
    pub amount: Money,
    /// Money in (or committed) in that month before this charge.
    pub spent: i64,
    pub budget: Money,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Forecast {
    pub items: Vec<Planned>,
    pub projections: Vec<Projection>,
    pub held: Vec<Held>,
}

impl Forecast {
    /// Planned cost per currency over the whole range.
    pub fn totals(&self) -> BTreeMap<Currency, i64> {
        let mut t = BTreeMap::new();
        for i in &self.items {
            *t.entry(i.amount.currency).or_insert(0) += i.amount.minor;
        }
        t
    }

    /// Planned cost per local month and currency.
    pub fn by_month(&self, tz: chrono_tz::Tz) -> BTreeMap<(YearMonth, Currency), i64> {
        let mut t = BTreeMap::new();
        for i in &self.items {
            *t.entry((YearMonth::of(local_date(tz, i.at)), i.amount.currency))
                .or_insert(0) += i.amount.minor;
        }
        t
    }
}

/// Upcoming recharges over `days` from `now`, sorted by time.
pub fn forecast(state: &State, config: &Config, now: DateTime<Utc>, days: u32) -> Forecast {
    let now_plan = agenda(state, config, now);
    let mut out = Forecast::default();
    for number in &config.numbers {
        let (items, projection, held) =
            simulate(state, config, number, now, days.min(MAX_DAYS), &now_plan);
        out.items.extend(items);
        out.projections.push(projection);
        out.held.extend(held);
    }
    out.held
        .sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.number.cmp(&b.number)));
    out.items
        .sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.number.cmp(&b.number)));
    out
}

/// The next `n` dates `number`'s rules would fire on, as the number stands in the form (the
/// Rules form preview).
pub fn preview(
    state: &State,
    config: &Config,
    number: &Number,
    now: DateTime<Utc>,
    n: usize,
) -> Vec<(DateTime<Utc>, bool)> {
    // Plan with `number` as edited (its rules may not be saved yet): what is due now counts.
    let mut edited = config.clone();
    edited.numbers.retain(|n| n.id != number.id);
    edited.numbers.push(number.clone());
    let now_plan = agenda(state, &edited, now);
    let (items, _, _) = simulate(state, &edited, number, now, 5 * 366, &now_plan);
    items
        .into_iter()
        .take(n)
        .map(|i| (i.at, i.estimated))
        .collect()
}

struct Sim {
    balance: Option<i64>,
    validity: Option<NaiveDate>,
    validity_estimated: bool,
    last_activity: Option<NaiveDate>,
    activity_estimated: bool,
    last_fire: HashMap<String, DateTime<Utc>>,
    spent: BTreeMap<YearMonth, i64>,
    points: Vec<(NaiveDate, i64)>,
}

impl Sim {
    fn fire(
        &mut self,
        number: &Number,
        day: NaiveDate,
        at: DateTime<Utc>,
        rule: &str,
        amount: i64,
        estimated: bool,
    ) {
        if let Some(b) = &mut self.balance {
            *b += amount;
            self.points.push((day, *b));
        }
        self.last_activity = Some(day);
        self.activity_estimated = estimated;
        if let Some(vd) = number.plan.validity_days {
            let extended = add_days(day, vd);
            self.validity = Some(self.validity.map_or(extended, |v| v.max(extended)));
            self.validity_estimated = true;
        }
        self.last_fire.insert(rule.to_string(), at);
        *self.spent.entry(YearMonth::of(day)).or_insert(0) += amount;
    }
}

fn simulate(
    state: &State,
    config: &Config,
    number: &Number,
    now: DateTime<Utc>,
    days: u32,
    now_plan: &crate::engine::due::Agenda,
) -> (Vec<Planned>, Projection, Vec<Held>) {
    let tz = config.timezone;
    let today = local_date(tz, now);
    let end = now + Duration::days(days as i64);
    let end_date = local_date(tz, end);
    let ns = state.number(&number.id);
    let now_facts = crate::engine::due::facts(ns, number, tz);
    let mut sim = Sim {
        balance: now_facts.balance,
        validity: now_facts.validity,
        validity_estimated: false,
        last_activity: now_facts.activity,
        activity_estimated: false,
        last_fire: ns
            .map(|n| {
                n.rule_last_intents()
                    .map(|(r, t)| (r.to_string(), t))
                    .collect()
            })
            .unwrap_or_default(),
        spent: BTreeMap::new(),
        points: Vec::new(),
    };
    sim.spent.insert(
        YearMonth::of(today),
        committed_this_month(ns, number, tz, now),
    );
    if let Some(b) = sim.balance {
        sim.points.push((today, b));
    }
    let mut items = Vec::new();
    let mut held: Vec<Held> = Vec::new();
    let mut taken: HashSet<(String, String)> = HashSet::new();
    // Reminders already raised and still standing are money the person is asked for now
    // (status shows them as due): counted in the projected balance, so that a low-balance
    // rule does not plan the same top-up again, but not planned a second time.
    if let Some(ns) = ns {
        let mut open: Vec<_> = crate::engine::reminders::standing(ns, number)
            .map(|(k, _)| {
                (
                    k.rule.to_string(),
                    k.key.to_string(),
                    k.amount_minor,
                    k.currency,
                )
            })
            .collect();
        open.sort();
        for (rule, key, amount, currency) in open {
            if currency == number.currency
                && let Some(b) = sim.balance.as_mut()
            {
                *b += amount;
            }
            sim.last_fire.insert(rule.clone(), now);
            taken.insert((rule, key));
        }
    }
    for b in now_plan.blocked.iter().filter(|b| b.number == number.id) {
        if let crate::engine::due::BlockReason::Budget { committed, budget } = b.reason {
            held.push(Held {
                number: number.id.clone(),
                rule: b.rule.clone(),
                at: now,
                amount: b.amount,
                spent: committed,
                budget: Money::new(budget, b.amount.currency),
            });
        }
    }
    let rules: Vec<_> = number.rules.iter().filter(|r| r.enabled).collect();
    let within_budget = |sim: &Sim, day: NaiveDate, amount: i64, mode: Mode| {
        mode == Mode::Remind
            || number.monthly_budget.is_none_or(|b| {
                sim.spent.get(&YearMonth::of(day)).copied().unwrap_or(0) + amount <= b.minor
            })
    };

    // What is due now (or waits for a retry) comes first, as the worker will run it.
    let pending = now_plan
        .due
        .iter()
        .filter(|d| d.number == number.id)
        .map(|d| (d.rule.clone(), d.key.clone(), now))
        .chain(
            now_plan
                .retries
                .iter()
                .filter(|r| r.number == number.id && r.at <= end)
                .map(|r| (r.rule.clone(), r.key.clone(), r.at)),
        );
    for (rule_id, key, at) in pending.collect::<Vec<_>>() {
        let Some(rule) = number.rule(&rule_id) else {
            continue;
        };
        let estimated = rule.trigger.kind().is_estimated();
        let day = local_date(tz, at);
        items.push(Planned {
            number: number.id.clone(),
            rule: rule.id.clone(),
            at,
            amount: rule.amount,
            mode: effective_mode(rule, number),
            estimated,
        });
        sim.fire(number, day, at, &rule.id, rule.amount.minor, estimated);
        taken.insert((rule.id.clone(), key));
    }

    let mut day = today;
    while day <= end_date {
        if day > today
            && day.day() == 1
            && let (Some(fee), Some(b)) = (number.plan.monthly_fee, sim.balance.as_mut())
        {
            *b -= fee.minor;
            sim.points.push((day, *b));
        }
        let day_start = start_of_day(tz, day).max(now);
        // Every rule is asked about the day as it stands at its start: the date triggers
        // fire then, before any monthly time that day, so a charge later in the day does
        // not move what they were due on (the agenda at that instant would list them).
        let facts = Facts {
            balance: sim.balance,
            reading: None,
            validity: sim.validity,
            activity: sim.last_activity,
        };
        for rule in &rules {
            let mode = effective_mode(rule, number);
            let amount = rule.amount.minor;
            // Only on a monthly rule's day is there anything to work out.
            if let Trigger::Monthly { day: md, .. } = rule.trigger
                && YearMonth::of(day).day(md) != day
            {
                continue;
            }
            let Some(f) = firing(rule, number, &facts, tz, day) else {
                continue;
            };
            let fire_at = match &rule.trigger {
                Trigger::Monthly { .. } => {
                    let t = f.at(tz);
                    let known = f.key(&rule.id).is_some_and(|k| {
                        let key = k.to_string();
                        ns.is_some_and(|n| n.key(&key).is_some())
                            || taken.contains(&(rule.id.clone(), key))
                    });
                    (t > now && !known).then_some((t, false))
                }
                Trigger::KeepAlive { .. } => {
                    (f.day == day && day > today).then_some((day_start, sim.activity_estimated))
                }
                Trigger::BeforeExpiry { .. } => {
                    (f.day == day && day > today).then_some((day_start, sim.validity_estimated))
                }
                Trigger::LowBalance { cooldown_hours, .. } => {
                    let cooled = sim
                        .last_fire
                        .get(&rule.id)
                        .is_none_or(|l| *l + Duration::hours(*cooldown_hours as i64) <= day_start);
                    (day > today && cooled).then_some((day_start, true))
                }
            };
            let Some((at, estimated)) = fire_at else {
                continue;
            };
            if at > end {
                continue;
            }
            if !within_budget(&sim, day, amount, mode) {
                if let Some(budget) = number.monthly_budget
                    && !held.iter().any(|h| h.rule == rule.id)
                {
                    held.push(Held {
                        number: number.id.clone(),
                        rule: rule.id.clone(),
                        at,
                        amount: rule.amount,
                        spent: sim.spent.get(&YearMonth::of(day)).copied().unwrap_or(0),
                        budget,
                    });
                }
                continue;
            }
            items.push(Planned {
                number: number.id.clone(),
                rule: rule.id.clone(),
                at,
                amount: rule.amount,
                mode,
                estimated,
            });
            sim.fire(number, day, at, &rule.id, amount, estimated);
        }
        day = match day.succ_opt() {
            Some(d) => d,
            None => break,
        };
    }
    items.sort_by_key(|i| i.at);
    let projection = Projection {
        number: number.id.clone(),
        currency: number.currency,
        points: sim.points,
    };
    (items, projection, held)
}
