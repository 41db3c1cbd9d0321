//! Where counting starts for a number baohao has just met: keep-alive counts from the
//! number's `since` day (last used or topped up before baohao knew it) unless the log knows
//! a later activity, and a monthly rule whose date in that month came before `since`
//! starts with the next month. Pure.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::engine::calendar::start_of_day;
use crate::engine::state::NumberState;
use crate::model::Number;

/// The instant keep-alive counts from: the later of the last activity and the start of the
/// `since` day, else the first thing the log says about the number. `None`: nothing is
/// known yet, so nothing is due.
pub fn keep_alive_base(ns: Option<&NumberState>, number: &Number, tz: Tz) -> Option<DateTime<Utc>> {
    let since = number.since.map(|d| start_of_day(tz, d));
    match (ns.and_then(|n| n.last_activity), since) {
        (Some(a), Some(s)) => Some(a.max(s)),
        (a, s) => a.or(s).or(ns.and_then(|n| n.first_seen)),
    }
}

/// Whether a period due at `due` came before the number's `since` day (so it is skipped).
pub(crate) fn before_start(number: &Number, tz: Tz, due: DateTime<Utc>) -> bool {
    number.since.is_some_and(|d| due < start_of_day(tz, d))
}
