//! What is due now: for each enabled rule, the key of its current period and whether that
//! key may be charged (new, or a failed attempt to retry). Pure: `now` comes in.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::engine::calendar::{YearMonth, local_date};
use crate::engine::key::Key;
use crate::engine::state::{KeyStatus, NumberState, State};
use crate::engine::trigger::{Facts, firing};
use crate::model::{Config, Mode, Money, Number, Rule, Trigger};

/// At most this many attempts under one key.
pub(crate) const MAX_ATTEMPTS: u32 = 3;

/// How long to wait after failed attempt `n` before attempt `n + 1`.
pub(crate) fn retry_delay(n: u32) -> Duration {
    match n {
        0 | 1 => Duration::minutes(10),
        _ => Duration::minutes(60),
    }
}

/// An intent to write (and, in `auto` mode, to run).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Due {
    pub number: String,
    pub rule: String,
    pub key: String,
    pub attempt: u32,
    pub amount: Money,
    pub mode: Mode,
    /// When the rule's condition started to hold (or the retry became allowed).
    pub due_at: DateTime<Utc>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BlockReason {
    /// The charge would take this month's spend past `monthly_budget`.
    Budget { committed: i64, budget: i64 },
    /// The rule already charged `max` times this month.
    RuleCap { max: u32 },
    /// An earlier charge of this rule may have gone through; nobody knows yet.
    InDoubt { intent: String },
    /// The reading a low-balance retry would act on is too old to charge on (see
    /// [`reading_is_recent`]).
    StaleReading { observed_at: DateTime<Utc> },
}

/// A charge that is due but held back by a guard: shown, never silent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blocked {
    pub number: String,
    pub rule: String,
    pub key: String,
    pub amount: Money,
    pub reason: BlockReason,
}

/// A failed key that will be tried again later.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Retry {
    pub number: String,
    pub rule: String,
    pub key: String,
    pub attempt: u32,
    pub at: DateTime<Utc>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Agenda {
    pub due: Vec<Due>,
    pub blocked: Vec<Blocked>,
    pub retries: Vec<Retry>,
    /// `Some(newest own time)` when the clock is behind it: nothing is due at all.
    pub clock_behind: Option<DateTime<Utc>>,
}

/// How far behind the newest time baohao's own clock wrote the clock may be and still be
/// trusted (a clock set right by a few minutes, two machines sharing a home).
pub(crate) const CLOCK_TOLERANCE: Duration = Duration::minutes(10);

/// The newest time baohao's own clock wrote into the log, if `now` is behind it by more
/// than [`CLOCK_TOLERANCE`] (a Raspberry Pi without a clock battery boots in
/// 1970), or behind the time the home was made (a fresh home's log is empty). Times read
/// from statements and texts do not count.
pub fn clock_behind(state: &State, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    state
        .own_newest()
        .filter(|&own| now + CLOCK_TOLERANCE < own)
}

/// How old a reading may be and still be charged on: twice the refresh interval, or a day
/// for a balance typed in by hand (an old text imported today must not charge).
pub(crate) fn reading_max_age(number: &Number, refresh_minutes: u32) -> Duration {
    match number.provider {
        crate::model::Provider::Manual => Duration::hours(24),
        _ => Duration::minutes(2 * i64::from(refresh_minutes)),
    }
}

/// Whether the number's current reading is recent enough at `now` to charge on.
pub(crate) fn reading_is_recent(
    ns: Option<&NumberState>,
    number: &Number,
    refresh_minutes: u32,
    now: DateTime<Utc>,
) -> bool {
    ns.and_then(|n| n.observed.as_ref())
        .is_some_and(|o| now - o.at <= reading_max_age(number, refresh_minutes))
}

/// What the state knows of `number` that its triggers fire on.
pub fn facts<'a>(ns: Option<&'a NumberState>, number: &Number, tz: Tz) -> Facts<'a> {
    let observed = ns
        .and_then(|n| n.observed.as_ref())
        .filter(|o| o.currency == number.currency);
    Facts {
        balance: observed.and(ns).and_then(|n| n.expected_balance()),
        reading: observed.map(|o| (&*o.id, o.at)),
        validity: ns.and_then(|n| n.validity_in(&number.plan, tz)),
        activity: crate::engine::start::keep_alive_base(ns, number, tz).map(|t| local_date(tz, t)),
    }
}

/// The key naming the current period of `rule` and since when it is due, if it is due.
pub(crate) fn current_key(
    rule: &Rule,
    number: &Number,
    facts: &Facts,
    tz: Tz,
    now: DateTime<Utc>,
) -> Option<(Key, DateTime<Utc>)> {
    let today = local_date(tz, now);
    let f = firing(rule, number, facts, tz, today)?;
    let at = f.at(tz);
    let due = match rule.trigger {
        Trigger::Monthly { .. } => now >= at,
        Trigger::LowBalance { .. } => true,
        Trigger::BeforeExpiry { .. } | Trigger::KeepAlive { .. } => today >= f.day,
    };
    let key = f.key(&rule.id)?;
    due.then(|| (key, at.min(now)))
}

/// The mode an intent of `rule` really has: `auto` only if the executor can charge (or the
/// rule carries its own action, a keep-alive text).
pub fn effective_mode(rule: &Rule, number: &Number) -> Mode {
    if rule.mode == Mode::External {
        Mode::External
    } else if rule.mode == Mode::Auto && (number.executor.charges() || rule.action.is_some()) {
        Mode::Auto
    } else {
        Mode::Remind
    }
}

/// Money committed this month: spent, plus in-doubt charges (they may have gone through).
pub(crate) fn committed_this_month(
    ns: Option<&NumberState>,
    number: &Number,
    tz: Tz,
    now: DateTime<Utc>,
) -> i64 {
    let Some(ns) = ns else { return 0 };
    let month = YearMonth::of(local_date(tz, now));
    let in_doubt: i64 = ns
        .in_doubt()
        .filter(|(k, a)| {
            k.currency == number.currency && YearMonth::of(local_date(tz, a.at)) == month
        })
        .map(|(k, _)| k.amount_minor)
        .sum();
    ns.spent_in(month, number.currency) + in_doubt
}

fn charges_this_month(ns: &NumberState, rule: &str, tz: Tz, now: DateTime<Utc>) -> u32 {
    let month = YearMonth::of(local_date(tz, now));
    ns.keys()
        .filter(|k| k.rule == rule && k.mode == Mode::Auto)
        .filter(|k| matches!(k.status(), KeyStatus::Charged | KeyStatus::InDoubt))
        .filter(|k| {
            k.first_at()
                .is_some_and(|t| YearMonth::of(local_date(tz, t)) == month)
        })
        .count() as u32
}

/// Every intent due at `now`, the charges a guard holds back, and the retries waiting.
pub fn agenda(state: &State, config: &Config, now: DateTime<Utc>) -> Agenda {
    let mut out = Agenda::default();
    if let Some(own) = clock_behind(state, now) {
        out.clock_behind = Some(own);
        return out;
    }
    for number in &config.numbers {
        agenda_of(state, config, number, now, &mut out);
    }
    out
}

/// [`agenda`]'s part for one number (a number's intents depend on nobody else's), without
/// the clock check, which the caller makes once.
fn agenda_of(
    state: &State,
    config: &Config,
    number: &Number,
    now: DateTime<Utc>,
    out: &mut Agenda,
) {
    let tz = config.timezone;
    {
        let ns = state.number(&number.id);
        // A number whose history is in another currency is never charged: its amounts
        // would be re-priced (see `currency.rs`; the config is refused where it is read).
        if ns.is_some_and(|n| crate::engine::currency::other_currency(n, number.currency).is_some())
        {
            return;
        }
        let mut committed = committed_this_month(ns, number, tz, now);
        let facts = facts(ns, number, tz);
        for rule in number.rules.iter().filter(|r| r.enabled) {
            let Some((period, since)) = current_key(rule, number, &facts, tz, now) else {
                continue;
            };
            let key = period.to_string();
            // A period that ended before the newest time baohao's clock wrote is passed,
            // whatever the clock says now (it may be a little behind, within tolerance).
            if let Some(own) = state.own_newest().filter(|&own| own > now)
                && current_key(rule, number, &facts, tz, own).is_none_or(|(k, _)| k != period)
            {
                continue;
            }
            // A low balance read too long ago is not the present one: it raises a reminder
            // (an `auto` rule) rather than charging, and expects nothing of a platform.
            let stale = matches!(rule.trigger, Trigger::LowBalance { .. })
                && !reading_is_recent(ns, number, config.refresh_minutes, now);
            let existing = ns.and_then(|n| n.key(&key));
            let (attempt, due_at) = match existing.map(|k| (k, k.status())) {
                None => {
                    if let Trigger::LowBalance { cooldown_hours, .. } = rule.trigger
                        && let Some(last) = ns.and_then(|n| n.last_intent_of(&rule.id))
                        && now < last + Duration::hours(cooldown_hours as i64)
                    {
                        continue;
                    }
                    (1, since)
                }
                Some((k, KeyStatus::Failed { attempts }))
                    if attempts < MAX_ATTEMPTS && k.mode != Mode::External && !k.no_retry =>
                {
                    let retry_at = k.last().map_or(now, |a| a.settled_at()) + retry_delay(attempts);
                    if now < retry_at {
                        out.retries.push(Retry {
                            number: number.id.clone(),
                            rule: rule.id.clone(),
                            key,
                            attempt: attempts + 1,
                            at: retry_at,
                        });
                        continue;
                    }
                    if stale {
                        out.blocked.push(Blocked {
                            number: number.id.clone(),
                            rule: rule.id.clone(),
                            key,
                            amount: rule.amount,
                            reason: BlockReason::StaleReading {
                                observed_at: ns
                                    .and_then(|n| n.observed.as_ref())
                                    .map_or(now, |o| o.at),
                            },
                        });
                        continue;
                    }
                    (attempts + 1, retry_at)
                }
                // Charged, in doubt, exhausted, or a reminder: never again under this key.
                Some(_) => continue,
            };
            let mode = match effective_mode(rule, number) {
                Mode::External if stale && attempt == 1 => continue,
                Mode::Auto if stale && attempt == 1 => Mode::Remind,
                m => m,
            };
            if mode == Mode::Auto {
                let block = |reason| Blocked {
                    number: number.id.clone(),
                    rule: rule.id.clone(),
                    key: key.clone(),
                    amount: rule.amount,
                    reason,
                };
                if matches!(
                    rule.trigger,
                    Trigger::LowBalance { .. } | Trigger::BeforeExpiry { .. }
                ) && let Some(ns) = ns
                    && let Some((_, a)) = ns.in_doubt().find(|(k, _)| *k.rule == *rule.id)
                {
                    out.blocked.push(block(BlockReason::InDoubt {
                        intent: a.intent.to_string(),
                    }));
                    continue;
                }
                if let (Some(max), Some(ns)) = (rule.max_per_month, ns)
                    && charges_this_month(ns, &rule.id, tz, now) >= max
                {
                    out.blocked.push(block(BlockReason::RuleCap { max }));
                    continue;
                }
                if let Some(budget) = number.monthly_budget
                    && committed + rule.amount.minor > budget.minor
                {
                    out.blocked.push(block(BlockReason::Budget {
                        committed,
                        budget: budget.minor,
                    }));
                    continue;
                }
                committed += rule.amount.minor;
            }
            out.due.push(Due {
                number: number.id.clone(),
                rule: rule.id.clone(),
                key,
                attempt,
                amount: rule.amount,
                mode,
                due_at,
            });
        }
    }
}

/// A local time of day for day-granular triggers' forecast entries.
pub fn day_start() -> NaiveTime {
    NaiveTime::MIN
}

/// The due → intent step, pure: if `due` is still due in `state` at `now` (nobody wrote
/// its key or attempt meanwhile), the intent to append for it. The worker calls this
/// under the log lock after catching up; the property tests call it directly.
pub fn intent_for(
    state: &State,
    config: &Config,
    due: &Due,
    now: DateTime<Utc>,
) -> Option<crate::model::EventBody> {
    let number = config.number(&due.number)?;
    intent_for_number(state, config, number, due, now)
}

/// [`intent_for`] with the due's number already found in `config` (a caller running many
/// dues looks each number up once, not by a scan of the config per due).
pub fn intent_for_number(
    state: &State,
    config: &Config,
    number: &Number,
    due: &Due,
    now: DateTime<Utc>,
) -> Option<crate::model::EventBody> {
    // Only the due's own number is looked at: its intents depend on no other number's.
    let mut own = Agenda::default();
    if clock_behind(state, now).is_none() {
        agenda_of(state, config, number, now, &mut own);
    }
    let still = own
        .due
        .iter()
        .any(|d| d.number == due.number && d.key == due.key && d.attempt == due.attempt);
    // A rule that sends a text through the modem spends its amount; say so in the log,
    // so that replaying it never depends on the config of the day.
    let action = (due.mode == crate::model::Mode::Auto
        && number.rule(&due.rule).is_some_and(|r| r.action.is_some()))
    .then_some(crate::model::IntentAction::Sms);
    still.then(|| crate::model::EventBody::Intent {
        rule: due.rule.clone(),
        key: due.key.clone(),
        attempt: due.attempt,
        amount_minor: due.amount.minor,
        currency: due.amount.currency,
        mode: due.mode,
        action,
    })
}
