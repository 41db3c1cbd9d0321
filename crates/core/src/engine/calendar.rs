//! Local-calendar arithmetic in the config's time zone: month-day clamping, local times
//! that fall in a DST gap or overlap, and period keys. Pure functions of their inputs.

use chrono::{DateTime, Datelike, Days, LocalResult, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::model::MonthDay;

/// A calendar month, the period of a monthly rule and of budgets.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub struct YearMonth {
    pub year: i32,
    pub month: u32,
}

impl YearMonth {
    pub fn of(date: NaiveDate) -> YearMonth {
        YearMonth {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn next(self) -> YearMonth {
        if self.month == 12 {
            YearMonth {
                year: self.year + 1,
                month: 1,
            }
        } else {
            YearMonth {
                year: self.year,
                month: self.month + 1,
            }
        }
    }

    pub(crate) fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).unwrap_or(NaiveDate::MIN)
    }

    pub fn last_day(self) -> NaiveDate {
        self.next().first_day().pred_opt().unwrap_or(NaiveDate::MIN)
    }

    /// The date of `day` in this month, clamped to the month's last day.
    pub fn day(self, day: MonthDay) -> NaiveDate {
        let last = self.last_day();
        match day {
            MonthDay::Last => last,
            MonthDay::Day(d) => {
                NaiveDate::from_ymd_opt(self.year, self.month, d as u32).unwrap_or(last)
            }
        }
    }
}

impl std::fmt::Display for YearMonth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// The instant of a local date and time. In a spring-forward gap it is the first instant
/// after the gap; in an autumn overlap, the earlier of the two.
pub fn local_instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = date.and_time(time);
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(a, _) => a.with_timezone(&Utc),
        LocalResult::None => {
            // Walk forward a minute at a time out of the gap (gaps are at most a few hours).
            let mut probe = naive;
            for _ in 0..(24 * 60) {
                probe += chrono::Duration::minutes(1);
                if let Some(t) = tz.from_local_datetime(&probe).earliest() {
                    return t.with_timezone(&Utc);
                }
            }
            Utc.from_utc_datetime(&naive)
        }
    }
}

pub(crate) fn start_of_day(tz: Tz, date: NaiveDate) -> DateTime<Utc> {
    local_instant(tz, date, NaiveTime::MIN)
}

pub fn local_date(tz: Tz, t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&tz).date_naive()
}

pub fn add_days(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_add_days(Days::new(days as u64))
        .unwrap_or(NaiveDate::MAX)
}

pub(crate) fn sub_days(date: NaiveDate, days: u32) -> NaiveDate {
    date.checked_sub_days(Days::new(days as u64))
        .unwrap_or(NaiveDate::MIN)
}

/// When a monthly rule is due in `month`.
pub(crate) fn monthly_due(tz: Tz, month: YearMonth, day: MonthDay, at: NaiveTime) -> DateTime<Utc> {
    local_instant(tz, month.day(day), at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(year: i32, month: u32) -> YearMonth {
        YearMonth { year, month }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn days_past_the_end_clamp_to_the_last_day() {
        assert_eq!(ym(2026, 2).day(MonthDay::Day(31)), d(2026, 2, 28));
        assert_eq!(ym(2028, 2).day(MonthDay::Day(30)), d(2028, 2, 29));
        assert_eq!(ym(2028, 2).day(MonthDay::Day(29)), d(2028, 2, 29));
        assert_eq!(ym(2100, 2).day(MonthDay::Last), d(2100, 2, 28));
        assert_eq!(ym(2000, 2).day(MonthDay::Last), d(2000, 2, 29));
        assert_eq!(ym(2026, 4).day(MonthDay::Day(31)), d(2026, 4, 30));
        assert_eq!(ym(2026, 12).day(MonthDay::Last), d(2026, 12, 31));
    }

    #[test]
    fn london_local_times_survive_dst() {
        let tz: Tz = "Europe/London".parse().unwrap();
        let nine = NaiveTime::from_hms_opt(9, 0, 0).unwrap();
        // Summer: 09:00 BST is 08:00 UTC; winter: 09:00 GMT is 09:00 UTC.
        let summer = local_instant(tz, d(2026, 7, 5), nine);
        assert_eq!(summer.to_rfc3339(), "2026-07-05T08:00:00+00:00");
        let winter = local_instant(tz, d(2026, 12, 5), nine);
        assert_eq!(winter.to_rfc3339(), "2026-12-05T09:00:00+00:00");
        // 01:30 on 2026-03-29 does not exist in London: the first instant after the gap.
        let gap = local_instant(
            tz,
            d(2026, 3, 29),
            NaiveTime::from_hms_opt(1, 30, 0).unwrap(),
        );
        assert_eq!(gap.to_rfc3339(), "2026-03-29T01:00:00+00:00");
        assert_eq!(local_date(tz, gap), d(2026, 3, 29));
        // 01:30 on 2026-10-25 happens twice: the earlier one.
        let twice = local_instant(
            tz,
            d(2026, 10, 25),
            NaiveTime::from_hms_opt(1, 30, 0).unwrap(),
        );
        assert_eq!(twice.to_rfc3339(), "2026-10-25T00:30:00+00:00");
    }
}
