//! Did a top-up land? Matches each successful top-up against later balance readings
//! (verified / unverified after 48 h) and flags same-amount top-ups within 24 h.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};

use crate::engine::chunked::Chunked;

pub(crate) const WINDOW_HOURS: i64 = 48;
pub(crate) const DUPLICATE_HOURS: i64 = 24;
const WINDOW_SECS: i64 = WINDOW_HOURS * 3600;
const DUPLICATE_SECS: i64 = DUPLICATE_HOURS * 3600;
/// Readings, recent top-ups and open windows kept per number (far above real use).
const KEEP: usize = 64;

/// What the readings said about one top-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Check {
    /// When the money went in (the intent's time for a recharge), in Unix seconds.
    pub at: i64,
    pub amount: i64,
    /// The largest rise attributed to this top-up by a reading within the window, if
    /// `has_credit` (see [`Check::credited`]).
    credited: i64,
    has_credit: bool,
    pub possible_duplicate: bool,
}

/// A [`Check`] as kept: 16 bytes, as a long log holds hundreds of thousands of them. The
/// time and three flags share one word; the amount and the credit are `i32`s
/// when both fit (any real top-up), else `amount` is an index into [`Tracker::wide`].
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
struct Packed {
    /// `at << 3 | WIDE | DUPLICATE | CREDITED`.
    at_flags: i64,
    amount: i32,
    credited: i32,
}

const CREDITED: i64 = 1;
const DUPLICATE: i64 = 2;
const WIDE: i64 = 4;
/// Times a packed word can hold (±2^60 s: far beyond chrono's range).
const AT_MIN: i64 = i64::MIN >> 3;
const AT_MAX: i64 = i64::MAX >> 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verification {
    Verified,
    Unverified,
    /// The window is still open and no reading has confirmed it yet.
    Pending,
}

impl Check {
    /// The largest rise attributed to this top-up by a reading within the window.
    pub fn credited(&self) -> Option<i64> {
        self.has_credit.then_some(self.credited)
    }

    /// `tolerance` is the percent a rise may fall short of the amount.
    pub fn verification(&self, tolerance: u8, now: DateTime<Utc>) -> Verification {
        let shortfall = self.amount.saturating_mul(tolerance as i64) / 100;
        let needed = self.amount - shortfall;
        if self.credited().is_some_and(|c| c >= needed) {
            Verification::Verified
        } else if now.timestamp() > self.at + WINDOW_SECS {
            Verification::Unverified
        } else {
            Verification::Pending
        }
    }
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
struct Recent {
    at: i64,
    amount: i64,
    by_rule: bool,
    /// Its check's index.
    check: u32,
}

/// One number's tracker, fed in log order. Readings are kept in time order whatever order
/// they come in: a reading older than the newest one (an old text imported today) is
/// placed at its own time and the top-ups it bears on are checked again, so the verdicts
/// are those of the readings in time order. Scans walk back from the newest
/// reading or top-up and stop early, so each event costs about the same however long the
/// log.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Tracker {
    readings: VecDeque<(i64, i64)>,
    recent: VecDeque<Recent>,
    /// Checks whose window is still open: the index into `checks`, and what a reading's
    /// balance is measured against (the last reading at or before the top-up, plus other
    /// top-ups after that reading and before this one: part of any rise, not ours). Kept
    /// here rather than in every `Check`: a closed check needs neither.
    pending: Vec<(u32, i64)>,
    checks: Chunked<Packed>,
    /// Checks whose amount or credit does not fit a packed `i32` (or whose time does not
    /// fit its word).
    wide: Vec<Check>,
    /// A reading was let go (beyond [`KEEP`]): a top-up older than the oldest reading kept
    /// may have lost its baseline.
    dropped: bool,
}

impl Tracker {
    /// A successful top-up of `amount` at `at` (`by_rule` when a rule asked for it);
    /// returns the index of its check.
    pub fn top_up(&mut self, at: DateTime<Utc>, amount: i64, by_rule: bool) -> u32 {
        let at = at.timestamp();
        let base = self.readings.iter().rev().find(|(t, _)| *t <= at).copied();
        let since = base.map(|(t, _)| t);
        let group_before: i64 = self
            .recent
            .iter()
            .rev()
            .take_while(|r| since.is_none_or(|s| r.at > s))
            .filter(|r| r.at <= at)
            .map(|r| r.amount)
            .sum();
        let window_end = at + WINDOW_SECS;
        // Wrapping, as the release build computed `v - baseline - group_before` before.
        let offset = base.map_or(0, |b| b.1).wrapping_add(group_before);
        let credited = self
            .readings
            .iter()
            .rev()
            .take_while(|(t, _)| *t > at)
            .filter(|(t, _)| *t <= window_end)
            .map(|(_, v)| v.wrapping_sub(offset))
            .max();
        let possible_duplicate = self
            .recent
            .iter()
            .rev()
            .take_while(|r| r.at + DUPLICATE_SECS >= at)
            .any(|r| r.amount == amount && r.at <= at + DUPLICATE_SECS && !(r.by_rule && by_rule));
        let idx = self.checks.len() as u32;
        let packed = self.pack(Check {
            at,
            amount,
            credited: credited.unwrap_or(0),
            has_credit: credited.is_some(),
            possible_duplicate,
        });
        self.checks.push(packed);
        self.pending.push((idx, offset));
        if self.pending.len() > KEEP {
            self.pending.remove(0);
        }
        self.recent.push_back(Recent {
            at,
            amount,
            by_rule,
            check: idx,
        });
        if self.recent.len() > KEEP {
            self.recent.pop_front();
        }
        idx
    }

    /// A balance reading: credits pending top-ups inside their window.
    pub fn reading(&mut self, at: DateTime<Utc>, balance: i64) {
        let at = at.timestamp();
        // Older than the newest reading, or than a top-up already counted (whose baseline
        // it then becomes): placed at its own time and the checks measured again.
        if self.readings.back().is_some_and(|(t, _)| *t > at)
            || self.recent.back().is_some_and(|r| r.at > at)
        {
            self.reading_in_the_past(at, balance);
            return;
        }
        let mut pending = std::mem::take(&mut self.pending);
        pending.retain(|&(i, offset)| {
            let Some(mut c) = self.check(i) else {
                return false;
            };
            let end = c.at + WINDOW_SECS;
            if at >= c.at && at <= end {
                let rise = balance.wrapping_sub(offset);
                c.credited = c.credited().map_or(rise, |p| p.max(rise));
                c.has_credit = true;
                self.put(i, c);
            }
            // Fully credited is verified under any tolerance: nothing more to learn.
            at <= end && c.credited().is_none_or(|cr| cr < c.amount)
        });
        self.pending = pending;
        self.readings.push_back((at, balance));
        if self.readings.len() > KEEP {
            self.readings.pop_front();
            self.dropped = true;
        }
    }

    /// A reading older than the newest one or than the newest top-up: placed in time
    /// order, and every top-up whose
    /// baseline or window it falls in is checked again against the readings as they now
    /// stand.
    fn reading_in_the_past(&mut self, at: i64, balance: i64) {
        let i = self.readings.partition_point(|(t, _)| *t <= at);
        if i == 0 && self.readings.len() >= KEEP {
            // Older than every reading kept: it bears on nothing still checked.
            self.dropped = true;
            return;
        }
        self.readings.insert(i, (at, balance));
        if self.readings.len() > KEEP {
            self.readings.pop_front();
            self.dropped = true;
        }
        let (Some(&(oldest, _)), Some(&(newest, _))) =
            (self.readings.front(), self.readings.back())
        else {
            return;
        };
        for n in 0..self.recent.len() {
            let r = &self.recent[n];
            if r.at.saturating_add(WINDOW_SECS) < at {
                continue;
            }
            let Some(mut c) = self.check(r.check) else {
                continue;
            };
            let pending = self.pending.iter().position(|(i, _)| *i == r.check);
            let offset = if !self.dropped || r.at >= oldest {
                // Its baseline is among the readings kept: measure it again.
                let base = self
                    .readings
                    .iter()
                    .rev()
                    .find(|(t, _)| *t <= r.at)
                    .copied();
                let since = base.map(|(t, _)| t);
                let group_before: i64 = self
                    .recent
                    .iter()
                    .take(n)
                    .filter(|o| since.is_none_or(|s| o.at > s) && o.at <= r.at)
                    .map(|o| o.amount)
                    .sum();
                base.map_or(0, |b| b.1).wrapping_add(group_before)
            } else if let Some(p) = pending {
                self.pending[p].1
            } else {
                // Its baseline was dropped long ago and its window is closed.
                continue;
            };
            let end = r.at.saturating_add(WINDOW_SECS);
            let credited = self
                .readings
                .iter()
                .filter(|(t, _)| *t > r.at && *t <= end)
                .map(|(_, v)| v.wrapping_sub(offset))
                .max();
            c.credited = credited.unwrap_or(0);
            c.has_credit = credited.is_some();
            let check = r.check;
            self.put(check, c);
            let open = end >= newest && c.credited().is_none_or(|cr| cr < c.amount);
            match (pending, open) {
                (Some(p), true) => self.pending[p].1 = offset,
                (Some(p), false) => {
                    self.pending.remove(p);
                }
                (None, true) => self.pending.push((check, offset)),
                (None, false) => {}
            }
        }
        if self.pending.len() > KEEP {
            let extra = self.pending.len() - KEEP;
            self.pending.drain(..extra);
        }
    }

    pub fn check(&self, index: u32) -> Option<Check> {
        self.checks.get(index as usize).map(|p| self.unpack(*p))
    }

    /// The index the next top-up's check will get.
    pub(crate) fn next_index(&self) -> u32 {
        self.checks.len() as u32
    }

    pub fn checks(&self) -> impl DoubleEndedIterator<Item = Check> + '_ {
        self.checks.iter().map(|p| self.unpack(*p))
    }

    fn pack(&mut self, c: Check) -> Packed {
        let flags = if c.has_credit { CREDITED } else { 0 }
            | if c.possible_duplicate { DUPLICATE } else { 0 };
        match (i32::try_from(c.amount), i32::try_from(c.credited)) {
            (Ok(amount), Ok(credited)) if (AT_MIN..=AT_MAX).contains(&c.at) => Packed {
                at_flags: c.at << 3 | flags,
                amount,
                credited,
            },
            _ => {
                self.wide.push(c);
                Packed {
                    at_flags: WIDE,
                    amount: (self.wide.len() - 1) as i32,
                    credited: 0,
                }
            }
        }
    }

    fn unpack(&self, p: Packed) -> Check {
        if p.at_flags & WIDE != 0 {
            return self.wide[p.amount as u32 as usize];
        }
        Check {
            at: p.at_flags >> 3,
            amount: p.amount.into(),
            credited: p.credited.into(),
            has_credit: p.at_flags & CREDITED != 0,
            possible_duplicate: p.at_flags & DUPLICATE != 0,
        }
    }

    /// Stores `c` (changed) as check `i`: in place, or among the wide ones.
    fn put(&mut self, i: u32, c: Check) {
        let Some(&old) = self.checks.get(i as usize) else {
            return;
        };
        if old.at_flags & WIDE != 0 {
            self.wide[old.amount as u32 as usize] = c;
            return;
        }
        let packed = self.pack(c);
        if let Some(slot) = self.checks.get_mut(i as usize) {
            *slot = packed;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + h * 3600, 0).unwrap()
    }

    fn verdict(tr: &Tracker, id: u32, now_h: i64) -> Verification {
        tr.check(id).unwrap().verification(10, t(now_h))
    }

    /// Amounts and credits past an `i32`, and times past a packed word, come back as they
    /// went in (they are kept aside), and are still credited by readings.
    #[test]
    fn checks_too_wide_to_pack_keep_their_values() {
        let mut tr = Tracker::default();
        let big = i64::from(i32::MAX) + 10;
        tr.reading(t(0), 0);
        tr.top_up(t(1), big, true);
        tr.top_up(t(1), 1000, false);
        assert_eq!(verdict(&tr, 0, 2), Verification::Pending);
        tr.reading(t(2), big + 1000);
        let wide = tr.check(0).unwrap();
        assert_eq!((wide.amount, wide.credited()), (big, Some(big + 1000)));
        assert_eq!(verdict(&tr, 0, 100), Verification::Verified);
        let narrow = tr.check(1).unwrap();
        assert_eq!((narrow.amount, narrow.credited()), (1000, Some(1000)));
        assert_eq!(tr.wide.len(), 1);
        // A credit that outgrows a packed check moves it aside.
        let mut tr = Tracker::default();
        tr.reading(t(0), 0);
        tr.top_up(t(1), 1000, true);
        tr.reading(t(2), big);
        assert_eq!(tr.check(0).unwrap().credited(), Some(big));
        assert_eq!(tr.wide.len(), 1);
        assert_eq!(verdict(&tr, 0, 100), Verification::Verified);
        let mut tr = Tracker::default();
        tr.top_up(t(0), -5, false);
        assert_eq!(tr.check(0).unwrap().amount, -5);
        assert_eq!(tr.check(0).unwrap().credited(), None);
        assert!(tr.wide.is_empty());
        assert_eq!(tr.checks().count(), 1);
    }

    #[test]
    fn a_rise_verifies() {
        let mut tr = Tracker::default();
        tr.reading(t(0), 500);
        tr.top_up(t(1), 1000, true);
        assert_eq!(verdict(&tr, 0, 2), Verification::Pending);
        tr.reading(t(2), 1500);
        assert_eq!(verdict(&tr, 0, 100), Verification::Verified);
    }

    #[test]
    fn no_rise_is_unverified_after_48_hours() {
        let mut tr = Tracker::default();
        tr.reading(t(0), 500);
        tr.top_up(t(1), 1000, true);
        tr.reading(t(5), 500);
        assert_eq!(verdict(&tr, 0, 48), Verification::Pending);
        assert_eq!(verdict(&tr, 0, 50), Verification::Unverified);
    }

    #[test]
    fn tolerance_allows_a_small_shortfall_but_not_more() {
        let mut tr = Tracker::default();
        tr.reading(t(0), 0);
        tr.top_up(t(1), 1000, true);
        tr.reading(t(2), 900);
        assert_eq!(verdict(&tr, 0, 60), Verification::Verified);
        let mut tr = Tracker::default();
        tr.reading(t(0), 0);
        tr.top_up(t(1), 1000, true);
        tr.reading(t(2), 899);
        assert_eq!(verdict(&tr, 0, 60), Verification::Unverified);
    }

    #[test]
    fn a_reading_after_the_window_does_not_verify() {
        let mut tr = Tracker::default();
        tr.reading(t(0), 0);
        tr.top_up(t(1), 1000, true);
        tr.reading(t(50), 1000);
        assert_eq!(verdict(&tr, 0, 60), Verification::Unverified);
    }

    #[test]
    fn two_top_ups_before_one_reading_share_the_rise() {
        let mut tr = Tracker::default();
        tr.reading(t(0), 0);
        tr.top_up(t(1), 1000, true);
        tr.top_up(t(2), 1000, false);
        tr.reading(t(3), 1000);
        assert_eq!(verdict(&tr, 0, 60), Verification::Verified);
        assert_eq!(verdict(&tr, 1, 60), Verification::Unverified);
        assert!(tr.check(1).unwrap().possible_duplicate);
        assert!(!tr.check(0).unwrap().possible_duplicate);
    }

    #[test]
    fn a_late_resolution_is_checked_against_readings_already_seen() {
        let mut tr = Tracker::default();
        tr.reading(t(0), 100);
        tr.reading(t(5), 1100);
        tr.top_up(t(1), 1000, true);
        assert_eq!(verdict(&tr, 0, 100), Verification::Verified);
    }

    /// A reading that comes late (an old text imported today) is placed at its own time:
    /// the verdicts are those of the same readings in time order.
    #[test]
    fn readings_in_any_order_verify_as_in_time_order() {
        let verdicts = |tr: &Tracker| {
            (0..tr.next_index())
                .map(|i| (verdict(tr, i, 100), tr.check(i).unwrap().credited()))
                .collect::<Vec<_>>()
        };
        let mut in_order = Tracker::default();
        in_order.reading(t(0), 500);
        in_order.reading(t(1), 1500);
        in_order.top_up(t(2), 1000, true);
        in_order.reading(t(3), 1500);
        in_order.top_up(t(10), 300, false);
        in_order.reading(t(11), 1800);
        assert_eq!(
            verdicts(&in_order),
            [
                // The rise at hour 11 is the later top-up's, not enough for this one.
                (Verification::Unverified, Some(300)),
                (Verification::Verified, Some(300))
            ]
        );
        // The reading at hour 1 comes last: without it the first top-up looked verified.
        let mut late = Tracker::default();
        late.reading(t(0), 500);
        late.top_up(t(2), 1000, true);
        late.reading(t(3), 1500);
        late.top_up(t(10), 300, false);
        late.reading(t(11), 1800);
        assert_eq!(verdict(&late, 0, 100), Verification::Verified);
        late.reading(t(1), 1500);
        assert_eq!(verdicts(&late), verdicts(&in_order));
        // A late reading inside a window still open credits it, and later readings still do.
        let mut open = Tracker::default();
        open.reading(t(0), 0);
        open.top_up(t(1), 1000, true);
        open.reading(t(5), 200);
        open.reading(t(3), 400);
        assert_eq!(open.check(0).unwrap().credited(), Some(400));
        open.reading(t(6), 1000);
        assert_eq!(verdict(&open, 0, 100), Verification::Verified);
    }

    #[test]
    fn duplicates_need_same_amount_within_a_day_and_not_both_by_rule() {
        let mut tr = Tracker::default();
        tr.top_up(t(0), 1000, true);
        tr.top_up(t(10), 1000, true);
        assert!(!tr.check(1).unwrap().possible_duplicate);
        tr.top_up(t(20), 1000, false);
        assert!(tr.check(2).unwrap().possible_duplicate);
        tr.top_up(t(50), 1000, false);
        assert!(
            !tr.check(3).unwrap().possible_duplicate,
            "the nearest is 30 h earlier"
        );
        tr.top_up(t(51), 999, false);
        assert!(
            !tr.check(4).unwrap().possible_duplicate,
            "a different amount"
        );
    }

    /// A reading from before a top-up that arrives after it (the top-up was logged first,
    /// the text that preceded it came in later) becomes its baseline: the rise is measured
    /// from it, as if the two had come in time order. Found by
    /// `readings_in_any_order_read_as_in_time_order`.
    #[test]
    fn a_late_reading_from_before_a_top_up_becomes_its_baseline() {
        let mut in_order = Tracker::default();
        in_order.reading(t(0), 1);
        in_order.top_up(t(1), 541, false);
        in_order.reading(t(30), 487);
        let mut late = Tracker::default();
        late.top_up(t(1), 541, false);
        late.reading(t(0), 1);
        late.reading(t(30), 487);
        assert_eq!(in_order.check(0).unwrap().credited(), Some(486));
        assert_eq!(late.check(0), in_order.check(0));
        assert_eq!(verdict(&late, 0, 60), Verification::Unverified);
    }

    proptest::proptest! {
        /// A check packs into 16 bytes when its amounts fit an `i32` and its time a packed
        /// word, else it is kept aside; either way it comes back as it went in, and putting
        /// a changed check in place of a packed or a wide one keeps the others as they were.
        #[test]
        fn every_check_comes_back_as_packed(
            checks in proptest::collection::vec((
                proptest::prop_oneof![3 => 0i64..4_000_000_000, 1 => proptest::num::i64::ANY],
                proptest::prop_oneof![3 => 0i64..100_000, 1 => proptest::num::i64::ANY],
                proptest::prop_oneof![3 => 0i64..100_000, 1 => proptest::num::i64::ANY],
                proptest::bool::ANY,
                proptest::bool::ANY,
            ), 1..40),
            change in (0usize..40, proptest::num::i64::ANY, proptest::bool::ANY),
        ) {
            let checks: Vec<Check> = checks
                .into_iter()
                .map(|(at, amount, credited, has_credit, possible_duplicate)| Check {
                    at,
                    amount,
                    credited,
                    has_credit,
                    possible_duplicate,
                })
                .collect();
            let mut tr = Tracker::default();
            for c in &checks {
                let p = tr.pack(*c);
                tr.checks.push(p);
            }
            proptest::prop_assert_eq!(tr.checks().collect::<Vec<_>>(), checks.clone());
            let (i, amount, dup) = change;
            let i = i % checks.len();
            let mut expect = checks;
            expect[i].amount = amount;
            expect[i].possible_duplicate = dup;
            tr.put(i as u32, expect[i]);
            proptest::prop_assert_eq!(tr.checks().collect::<Vec<_>>(), expect);
        }
    }
}
