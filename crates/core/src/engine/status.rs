//! A number at a glance: balances, deadlines, the next recharge and what needs attention.
//! Derived from state + config + `now`; shared by `status`, the TUI and notifications.

use chrono::{DateTime, Duration, NaiveDate, Utc};

use crate::engine::calendar::{add_days, local_date};
use crate::engine::due::{Agenda, BlockReason, committed_this_month};
use crate::engine::forecast::{Forecast, Planned};
use crate::engine::state::{KeyStatus, State};
use crate::engine::verify::Verification;
use crate::model::{Config, Number, Trigger};

/// Failures and unverified top-ups older than this stop asking for attention.
pub const RECENT_DAYS: i64 = 30;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attention {
    Missed,
    InDoubt,
    Failed,
    /// A recharge looks charged twice (see `engine::duplicate`), in the last
    /// [`RECENT_DAYS`].
    Duplicate,
    Due,
    Low,
    Expiring,
    Inactive,
    Unverified,
    OverBudget,
    /// The clock is behind the newest time baohao wrote: nothing is charged.
    ClockBehind,
    /// A notification could not be delivered through a push channel, retries and all.
    NotifyFailed,
    /// The number's forwarder (a phone or a board) has not been heard for its
    /// `quiet_hours`: the SIM may be out of reach. Added by `forwarder::seen::mark`.
    ForwarderSilent,
}

impl Attention {
    pub fn as_str(self) -> &'static str {
        match self {
            Attention::Low => "low",
            Attention::Expiring => "expiring",
            Attention::Inactive => "inactive",
            Attention::InDoubt => "in_doubt",
            Attention::Failed => "failed",
            Attention::Duplicate => "duplicate",
            Attention::Unverified => "unverified",
            Attention::OverBudget => "over_budget",
            Attention::Due => "due",
            Attention::Missed => "missed",
            Attention::ClockBehind => "clock_behind",
            Attention::NotifyFailed => "notify_failed",
            Attention::ForwarderSilent => "forwarder_silent",
        }
    }
}

/// How close a deadline is, by the config's warn/urgent windows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Urgency {
    Fine,
    Warn,
    Urgent,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NumberStatus {
    pub id: String,
    pub observed: Option<(i64, DateTime<Utc>)>,
    pub expected: Option<i64>,
    pub validity: Option<NaiveDate>,
    pub validity_days_left: Option<i64>,
    /// When the carrier reclaims the number for inactivity (`plan.keep_alive_days`).
    pub inactive_on: Option<NaiveDate>,
    pub inactive_days_left: Option<i64>,
    pub next: Option<Planned>,
    pub in_doubt: usize,
    pub open_reminders: usize,
    pub spent_this_month: i64,
    pub attention: Vec<Attention>,
}

impl NumberStatus {
    pub fn urgency(days_left: Option<i64>, config: &Config) -> Urgency {
        match days_left {
            Some(d) if d <= config.deadline_days.urgent as i64 => Urgency::Urgent,
            Some(d) if d <= config.deadline_days.warn as i64 => Urgency::Warn,
            _ => Urgency::Fine,
        }
    }

    pub fn has(&self, a: Attention) -> bool {
        self.attention.contains(&a)
    }
}

/// The threshold under which a number counts as low.
pub fn low_threshold(number: &Number) -> i64 {
    number
        .rules
        .iter()
        .filter_map(|r| match &r.trigger {
            Trigger::LowBalance { below, .. } => Some(below.minor),
            _ => None,
        })
        .min()
        .or(number.plan.monthly_fee.map(|f| f.minor))
        .unwrap_or(1)
}

pub fn number_status(
    state: &State,
    config: &Config,
    number: &Number,
    now: DateTime<Utc>,
    plan: &Agenda,
    forecast: &Forecast,
) -> NumberStatus {
    let next = forecast.items.iter().find(|i| i.number == number.id);
    let held = plan
        .blocked
        .iter()
        .any(|b| b.number == number.id && holds_budget(b));
    status_with(
        state,
        config,
        number,
        now,
        plan.clock_behind.is_some(),
        held,
        next,
    )
}

/// A block that means the number is over its budget or a rule's cap.
fn holds_budget(b: &crate::engine::Blocked) -> bool {
    matches!(
        b.reason,
        BlockReason::Budget { .. } | BlockReason::RuleCap { .. }
    )
}

/// [`number_status`] of every configured number, in the config's order. The plan's and the
/// forecast's entries are indexed by number once, so this is linear in the numbers.
pub fn number_statuses(
    state: &State,
    config: &Config,
    now: DateTime<Utc>,
    plan: &Agenda,
    forecast: &Forecast,
) -> Vec<NumberStatus> {
    let mut next = std::collections::HashMap::<&str, &crate::engine::forecast::Planned>::new();
    for i in &forecast.items {
        next.entry(i.number.as_str()).or_insert(i);
    }
    let held: std::collections::HashSet<&str> = plan
        .blocked
        .iter()
        .filter(|b| holds_budget(b))
        .map(|b| b.number.as_str())
        .collect();
    config
        .numbers
        .iter()
        .map(|n| {
            status_with(
                state,
                config,
                n,
                now,
                plan.clock_behind.is_some(),
                held.contains(n.id.as_str()),
                next.get(n.id.as_str()).copied(),
            )
        })
        .collect()
}

fn status_with(
    state: &State,
    config: &Config,
    number: &Number,
    now: DateTime<Utc>,
    clock_behind: bool,
    held: bool,
    next: Option<&crate::engine::forecast::Planned>,
) -> NumberStatus {
    let tz = config.timezone;
    let today = local_date(tz, now);
    let ns = state.number(&number.id);
    let same_currency = |c| c == number.currency;
    let observed = ns
        .and_then(|n| n.observed.as_ref())
        .filter(|o| same_currency(o.currency))
        .map(|o| (o.balance, o.at));
    let expected = observed.and(ns.and_then(|n| n.expected_balance()));
    let validity = ns.and_then(|n| n.validity_in(&number.plan, tz));
    let inactive_on = match (
        number.plan.keep_alive_days,
        crate::engine::start::keep_alive_base(ns, number, tz),
    ) {
        (Some(days), Some(last)) => Some(add_days(local_date(tz, last), days)),
        _ => None,
    };
    let days_left = |d: Option<NaiveDate>| d.map(|d| (d - today).num_days());
    let mut attention = Vec::new();
    let in_doubt = ns.map_or(0, |n| n.in_doubt_count());
    let open_reminders = ns.map_or(0, |n| crate::engine::reminders::standing(n, number).count());
    if clock_behind {
        attention.push(Attention::ClockBehind);
    }
    if in_doubt > 0 {
        attention.push(Attention::InDoubt);
    }
    let recent = now - Duration::days(RECENT_DAYS);
    if let Some(ns) = ns {
        let failed = ns.failed_keys().any(|k| {
            matches!(k.status(), KeyStatus::Failed { .. })
                && k.last().is_some_and(|a| {
                    a.settled_at() > recent && ns.last_top_up.is_none_or(|t| a.at > t)
                })
        });
        if failed {
            attention.push(Attention::Failed);
        }
    }
    if open_reminders > 0 {
        attention.push(Attention::Due);
    }
    if let Some(ns) = ns {
        let recon = crate::engine::reconcile::reconcile(ns, Some(number), tz, now);
        if recon.missed().next().is_some() {
            attention.push(Attention::Missed);
        }
        if crate::engine::duplicate::duplicates(ns, &recon, number.currency)
            .iter()
            .any(|d| d.at > recent)
        {
            attention.push(Attention::Duplicate);
        }
    }
    if expected.is_some_and(|e| e < low_threshold(number)) {
        attention.push(Attention::Low);
    }
    let validity_days_left = days_left(validity);
    if validity_days_left.is_some_and(|d| d <= config.deadline_days.warn as i64) {
        attention.push(Attention::Expiring);
    }
    let inactive_days_left = days_left(inactive_on);
    if inactive_days_left.is_some_and(|d| d <= config.deadline_days.warn as i64) {
        attention.push(Attention::Inactive);
    }
    if let Some(ns) = ns {
        let unverified = ns
            .verify
            .checks()
            .rev()
            .take_while(|c| c.at > recent.timestamp())
            .any(|c| c.verification(number.verify_tolerance, now) == Verification::Unverified);
        if unverified {
            attention.push(Attention::Unverified);
        }
    }
    if let (Some(ns), Some(notify)) = (ns, &config.notify) {
        let ids: Vec<String> = notify
            .channels
            .iter()
            .map(|c| crate::model::channel_id(c))
            .collect();
        let gave_up = ns.deliveries.iter().any(|((_, _, channel), d)| {
            d.gave_up() && d.last_at.is_some_and(|t| t > recent) && ids.contains(channel)
        });
        if gave_up {
            attention.push(Attention::NotifyFailed);
        }
    }
    let spent_this_month = committed_this_month(ns, number, tz, now);
    let over = number
        .monthly_budget
        .is_some_and(|b| spent_this_month > b.minor)
        || held;
    if over {
        attention.push(Attention::OverBudget);
    }
    attention.sort();
    NumberStatus {
        id: number.id.clone(),
        observed,
        expected,
        validity,
        validity_days_left,
        inactive_on,
        inactive_days_left,
        next: next.cloned(),
        in_doubt,
        open_reminders,
        spent_this_month,
        attention,
    }
}
