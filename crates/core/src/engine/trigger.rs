//! When a trigger fires: the one place that turns a rule's trigger and what is known of its
//! number (now, or projected by the forecast) into the period it names and when that
//! period comes due. `due` asks it at `now`; `forecast` asks it day by day. Pure.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::engine::calendar::{YearMonth, add_days, monthly_due, start_of_day, sub_days};
use crate::engine::key::{Key, Period};
use crate::model::{Number, Rule, Trigger};

/// What a trigger's firing depends on: the state's facts (for `due`) or a simulation's
/// projection of them (for `forecast`).
#[derive(Clone, Copy, Debug, Default)]
pub struct Facts<'a> {
    /// The expected balance, in the number's currency.
    pub balance: Option<i64>,
    /// The reading that balance comes from (its id names a low-balance key), when there
    /// is a real one rather than a projection.
    pub reading: Option<(&'a str, DateTime<Utc>)>,
    /// The last day of validity.
    pub validity: Option<NaiveDate>,
    /// The local day keep-alive counts from.
    pub activity: Option<NaiveDate>,
}

/// A period of a rule and when it comes due.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Firing {
    /// The period; `None` for a low balance that is only projected (no reading yet to
    /// name it).
    pub period: Option<Period>,
    /// The local day it comes due on.
    pub day: NaiveDate,
    /// A monthly rule's due instant, or the time of the reading a low balance was read
    /// at; `None` for the other triggers, which come due at the start of `day`.
    instant: Option<DateTime<Utc>>,
}

impl Firing {
    /// The instant it comes due (the start of `day` unless the trigger says a time; worked
    /// out only when asked, since the forecast asks `firing` for every day).
    pub fn at(&self, tz: Tz) -> DateTime<Utc> {
        self.instant.unwrap_or_else(|| start_of_day(tz, self.day))
    }

    /// The key of the period, under `rule`.
    pub fn key(&self, rule: &str) -> Option<Key> {
        self.period.clone().map(|period| Key {
            rule: rule.to_string(),
            period,
        })
    }
}

/// The period `rule` names as the number stands in `facts`, looked at on the local day
/// `on` (a monthly rule: the month of `on`; a low balance: `on` itself, if it is low), or
/// `None` when it names none (nothing known to count from, a balance not low, a monthly
/// date before the number's `since` day).
pub(crate) fn firing(
    rule: &Rule,
    number: &Number,
    facts: &Facts,
    tz: Tz,
    on: NaiveDate,
) -> Option<Firing> {
    match &rule.trigger {
        Trigger::Monthly { day, at } => {
            let month = YearMonth::of(on);
            let due = monthly_due(tz, month, *day, *at);
            (!crate::engine::start::before_start(number, tz, due)).then_some(Firing {
                period: Some(Period::Month(month)),
                day: month.day(*day),
                instant: Some(due),
            })
        }
        Trigger::LowBalance { below, .. } => (facts.balance? < below.minor).then(|| Firing {
            period: facts.reading.map(|(id, _)| Period::Reading(id.to_string())),
            day: on,
            instant: facts.reading.map(|(_, at)| at),
        }),
        Trigger::BeforeExpiry { days } => {
            let validity = facts.validity?;
            Some(Firing {
                period: Some(Period::Date(validity)),
                day: sub_days(validity, *days),
                instant: None,
            })
        }
        Trigger::KeepAlive { every_days } => Some(Firing {
            period: Some(Period::Date(add_days(facts.activity?, *every_days))),
            day: add_days(facts.activity?, *every_days),
            instant: None,
        }),
    }
}
