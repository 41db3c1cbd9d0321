//! The history's rows in the order of their own time (ties by log order): what the History
//! tab lists. Costs nothing but a time a row while the log is in time order, as it is
//! until a statement of past months is imported; never reads or sorts the whole log again.

use chrono::{DateTime, Utc};

use crate::engine::chunked::Chunked;

/// Each row's time, and the rows sorted by it.
#[derive(Clone, Debug, Default)]
pub(crate) struct TimeOrder {
    /// Each row's own time (milliseconds since the epoch), in log order.
    times: Chunked<i64>,
    /// The first `settled` rows' indices sorted by (time, index); `None` while those rows
    /// are in time order already (the order is the log's).
    order: Option<Vec<u32>>,
    /// How many rows the order takes in; the rest wait for [`TimeOrder::settle`].
    settled: usize,
}

impl TimeOrder {
    /// A new row, after those pushed before, at `at`.
    pub fn push(&mut self, at: DateTime<Utc>) {
        self.times.push(at.timestamp_millis());
    }

    /// How many rows are in the order (those pushed before the last settle).
    pub fn len(&self) -> usize {
        self.settled
    }

    /// Whether rows pushed since the last settle wait to be placed.
    #[cfg(test)]
    pub fn unsettled(&self) -> bool {
        self.settled < self.times.len()
    }

    /// The row at place `pos` of the order, oldest first.
    pub fn row(&self, pos: usize) -> Option<usize> {
        if pos >= self.settled {
            return None;
        }
        match &self.order {
            None => Some(pos),
            Some(o) => o.get(pos).map(|&i| i as usize),
        }
    }

    /// Places the rows pushed since last time: sorts only them and merges them in (one pass
    /// over the order when one of them is older than the newest row before it, none
    /// otherwise).
    pub fn settle(&mut self) {
        let n = self.times.len();
        let from = self.settled;
        if from == n {
            return;
        }
        let times = &self.times;
        let order = match self.order.as_mut() {
            Some(o) => o,
            None => {
                let mut last = from.checked_sub(1).map_or(i64::MIN, |i| times[i]);
                let in_order = (from..n).all(|i| {
                    let ok = times[i] >= last;
                    last = times[i];
                    ok
                });
                if in_order {
                    self.settled = n;
                    return;
                }
                self.order.insert((0..from as u32).collect())
            }
        };
        let mut fresh: Vec<u32> = (from as u32..n as u32).collect();
        // A stable sort: rows of one time keep their log order.
        fresh.sort_by_key(|&i| times[i as usize]);
        let t = |i: &u32| times[*i as usize];
        let first = t(&fresh[0]);
        // Rows up to the first fresh one's time stay where they are.
        let cut = order.partition_point(|i| t(i) <= first);
        if cut == order.len() {
            order.extend(fresh);
        } else {
            let rest = order.split_off(cut);
            order.reserve(rest.len() + fresh.len());
            let (mut a, mut b) = (rest.into_iter().peekable(), fresh.into_iter().peekable());
            loop {
                // On a tie the row already there is older in the log.
                let take_a = match (a.peek(), b.peek()) {
                    (Some(x), Some(y)) => t(x) <= t(y),
                    (Some(_), None) => true,
                    (None, Some(_)) => false,
                    (None, None) => break,
                };
                let next = if take_a { a.next() } else { b.next() };
                order.extend(next);
            }
        }
        self.settled = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).unwrap_or_default()
    }

    fn listed(o: &TimeOrder) -> Vec<usize> {
        (0..o.len()).filter_map(|p| o.row(p)).collect()
    }

    #[test]
    fn a_log_in_time_order_keeps_no_copy() {
        let mut o = TimeOrder::default();
        for s in [1, 2, 2, 5] {
            o.push(at(s));
        }
        o.settle();
        assert!(o.order.is_none());
        assert_eq!(listed(&o), vec![0, 1, 2, 3]);
    }

    #[test]
    fn an_older_row_goes_before_newer_ones_and_ties_keep_log_order() {
        let mut o = TimeOrder::default();
        for s in [10, 20, 30] {
            o.push(at(s));
        }
        o.settle();
        // Imported rows of earlier times, one of them at the time of row 1.
        for s in [20, 5, 25] {
            o.push(at(s));
        }
        assert!(o.unsettled());
        assert_eq!(o.row(3), None, "not placed before a settle");
        o.settle();
        assert_eq!(listed(&o), vec![4, 0, 1, 3, 5, 2]);
    }

    proptest! {
        /// Settling in any slices gives the order of a stable sort of the whole by time.
        #[test]
        fn settling_in_slices_is_a_stable_sort(
            times in proptest::collection::vec(0i64..50, 0..200),
            cuts in proptest::collection::vec(0usize..200, 0..8),
        ) {
            let mut o = TimeOrder::default();
            let mut cuts = cuts;
            cuts.sort_unstable();
            for (i, s) in times.iter().enumerate() {
                if cuts.contains(&i) {
                    o.settle();
                }
                o.push(at(*s));
            }
            o.settle();
            let mut want: Vec<usize> = (0..times.len()).collect();
            want.sort_by_key(|&i| times[i]);
            prop_assert_eq!(listed(&o), want);
        }
    }
}
