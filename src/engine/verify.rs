//! Did a top-up land? Matches each successful top-up against later balance readings
//! (verified / unverified after 48 h) and flags same-amount top-ups within 24 h.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Duration, Utc};

pub const WINDOW_HOURS: i64 = 48;
pub const DUPLICATE_HOURS: i64 = 24;
const KEEP: usize = 256;

/// What the readings said about one top-up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// When the money went in (the intent's time for a recharge).
    pub at: DateTime<Utc>,
    pub amount: i64,
    /// The last reading at or before `at`.
    pub baseline: Option<i64>,
    /// Other top-ups after that reading and before this one: part of any rise, not ours.
    pub group_before: i64,
    /// The largest rise attributed to this top-up by a reading within the window.
    pub credited: Option<i64>,
    pub possible_duplicate: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verification {
    Verified,
    Unverified,
    /// The window is still open and no reading has confirmed it yet.
    Pending,
}

impl Check {
    /// `tolerance` is the percent a rise may fall short of the amount.
    pub fn verification(&self, tolerance: u8, now: DateTime<Utc>) -> Verification {
        let shortfall = self.amount.saturating_mul(tolerance as i64) / 100;
        let needed = self.amount - shortfall;
        if self.credited.is_some_and(|c| c >= needed) {
            Verification::Verified
        } else if now > self.at + Duration::hours(WINDOW_HOURS) {
            Verification::Unverified
        } else {
            Verification::Pending
        }
    }
}

#[derive(Clone, Debug)]
struct Recent {
    at: DateTime<Utc>,
    amount: i64,
    by_rule: bool,
}

/// One number's tracker, fed in log order.
#[derive(Clone, Debug, Default)]
pub struct Tracker {
    readings: VecDeque<(DateTime<Utc>, i64)>,
    recent: VecDeque<Recent>,
    pending: Vec<String>,
    pub checks: HashMap<String, Check>,
}

impl Tracker {
    /// A successful top-up `id` of `amount` at `at`; `by_rule` when a rule asked for it.
    pub fn top_up(&mut self, id: &str, at: DateTime<Utc>, amount: i64, by_rule: bool) {
        let base = self.readings.iter().rev().find(|(t, _)| *t <= at).copied();
        let since = base.map(|(t, _)| t);
        let group_before: i64 = self
            .recent
            .iter()
            .filter(|r| since.is_none_or(|s| r.at > s) && r.at <= at)
            .map(|r| r.amount)
            .sum();
        let window_end = at + Duration::hours(WINDOW_HOURS);
        let credited = self
            .readings
            .iter()
            .filter(|(t, _)| *t > at && *t <= window_end)
            .map(|(_, v)| v - base.map_or(0, |b| b.1) - group_before)
            .max();
        let possible_duplicate = self.recent.iter().any(|r| {
            r.amount == amount
                && (at - r.at).num_seconds().abs() <= DUPLICATE_HOURS * 3600
                && !(r.by_rule && by_rule)
        });
        self.checks.insert(
            id.to_string(),
            Check {
                at,
                amount,
                baseline: base.map(|b| b.1),
                group_before,
                credited,
                possible_duplicate,
            },
        );
        self.pending.push(id.to_string());
        self.recent.push_back(Recent {
            at,
            amount,
            by_rule,
        });
        if self.recent.len() > KEEP {
            self.recent.pop_front();
        }
    }

    /// A balance reading: credits pending top-ups inside their window.
    pub fn reading(&mut self, at: DateTime<Utc>, balance: i64) {
        let checks = &mut self.checks;
        self.pending.retain(|id| {
            let Some(c) = checks.get_mut(id) else {
                return false;
            };
            let end = c.at + Duration::hours(WINDOW_HOURS);
            if at >= c.at && at <= end {
                let rise = balance - c.baseline.unwrap_or(0) - c.group_before;
                c.credited = Some(c.credited.map_or(rise, |p| p.max(rise)));
            }
            at <= end
        });
        self.readings.push_back((at, balance));
        if self.readings.len() > KEEP {
            self.readings.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + h * 3600, 0).unwrap()
    }

    fn verdict(tr: &Tracker, id: &str, now_h: i64) -> Verification {
        tr.checks[id].verification(10, t(now_h))
    }

    #[test]
    fn a_rise_verifies() {
        let mut tr = Tracker::default();
        tr.reading(t(0), 500);
        tr.top_up("a", t(1), 1000, true);
        assert_eq!(verdict(&tr, "a", 2), Verification::Pending);
        tr.reading(t(2), 1500);
        assert_eq!(verdict(&tr, "a", 100), Verification::Verified);
    }

    #[test]
    fn no_rise_is_unverified_after_48_hours() {
        let mut tr = Tracker::default();
        tr.reading(t(0), 500);
        tr.top_up("a", t(1), 1000, true);
        tr.reading(t(5), 500);
        assert_eq!(verdict(&tr, "a", 48), Verification::Pending);
        assert_eq!(verdict(&tr, "a", 50), Verification::Unverified);
    }

    #[test]
    fn tolerance_allows_a_small_shortfall_but_not_more() {
        let mut tr = Tracker::default();
        tr.reading(t(0), 0);
        tr.top_up("a", t(1), 1000, true);
        tr.reading(t(2), 900);
        assert_eq!(verdict(&tr, "a", 60), Verification::Verified);
        let mut tr = Tracker::default();
        tr.reading(t(0), 0);
        tr.top_up("a", t(1), 1000, true);
        tr.reading(t(2), 899);
        assert_eq!(verdict(&tr, "a", 60), Verification::Unverified);
    }

    #[test]
    fn a_reading_after_the_window_does_not_verify() {
        let mut tr = Tracker::default();
        tr.reading(t(0), 0);
        tr.top_up("a", t(1), 1000, true);
        tr.reading(t(50), 1000);
        assert_eq!(verdict(&tr, "a", 60), Verification::Unverified);
    }

    #[test]
    fn two_top_ups_before_one_reading_share_the_rise() {
        let mut tr = Tracker::default();
        tr.reading(t(0), 0);
        tr.top_up("a", t(1), 1000, true);
        tr.top_up("b", t(2), 1000, false);
        tr.reading(t(3), 1000);
        assert_eq!(verdict(&tr, "a", 60), Verification::Verified);
        assert_eq!(verdict(&tr, "b", 60), Verification::Unverified);
        assert!(tr.checks["b"].possible_duplicate);
        assert!(!tr.checks["a"].possible_duplicate);
    }

    #[test]
    fn a_late_resolution_is_checked_against_readings_already_seen() {
        let mut tr = Tracker::default();
        tr.reading(t(0), 100);
        tr.reading(t(5), 1100);
        tr.top_up("late", t(1), 1000, true);
        assert_eq!(verdict(&tr, "late", 100), Verification::Verified);
    }

    #[test]
    fn duplicates_need_same_amount_within_a_day_and_not_both_by_rule() {
        let mut tr = Tracker::default();
        tr.top_up("a", t(0), 1000, true);
        tr.top_up("b", t(10), 1000, true);
        assert!(!tr.checks["b"].possible_duplicate);
        tr.top_up("c", t(20), 1000, false);
        assert!(tr.checks["c"].possible_duplicate);
        tr.top_up("d", t(50), 1000, false);
        assert!(
            !tr.checks["d"].possible_duplicate,
            "the nearest is 30 h earlier"
        );
        tr.top_up("e", t(51), 999, false);
        assert!(!tr.checks["e"].possible_duplicate, "a different amount");
    }
}
