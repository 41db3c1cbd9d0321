//! The weekly digest's schedule: weekday names, and the latest digest time at or before
//! now. Pure; what the digest says is the worker's (`worker::notify`).

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc, Weekday};
use chrono_tz::Tz;

use crate::model::Digest;

const NAMES: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

/// `mon` … `sun` (any case; whole English names too).
pub fn parse_weekday(s: &str) -> Option<Weekday> {
    let s = s.trim().to_ascii_lowercase();
    let short = s.get(..3)?;
    let (name, day) = NAMES.iter().find(|(n, _)| *n == short)?;
    let full = day_name(*day);
    (s == *name || s == full).then_some(*day)
}

pub fn weekday_name(d: Weekday) -> &'static str {
    NAMES
        .iter()
        .find(|(_, w)| *w == d)
        .map_or("mon", |(n, _)| n)
}

fn day_name(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// The local date of the latest digest time at or before `now` (its key: one digest a week).
pub fn latest(d: &Digest, tz: Tz, now: DateTime<Utc>) -> NaiveDate {
    let local = now.with_timezone(&tz);
    let today = local.date_naive();
    let back = (7 + today.weekday().num_days_from_monday() - d.weekday.num_days_from_monday()) % 7;
    let day = today - Duration::days(back as i64);
    if back == 0 && local.time() < d.at {
        day - Duration::days(7)
    } else {
        day
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveTime, TimeZone};

    #[test]
    fn the_latest_slot_is_this_weeks_once_its_time_has_come() {
        let d = Digest {
            weekday: Weekday::Mon,
            at: NaiveTime::from_hms_opt(9, 0, 0).expect("time"),
        };
        let tz: Tz = "Asia/Shanghai".parse().expect("tz");
        // Monday 2026-11-30 08:59 local: still last week's.
        let before = tz
            .with_ymd_and_hms(2026, 11, 30, 8, 59, 0)
            .unwrap()
            .to_utc();
        let at = tz.with_ymd_and_hms(2026, 11, 30, 9, 0, 0).unwrap().to_utc();
        let thu = tz.with_ymd_and_hms(2026, 12, 3, 12, 0, 0).unwrap().to_utc();
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).expect("date");
        assert_eq!(latest(&d, tz, before), date(2026, 11, 23));
        assert_eq!(latest(&d, tz, at), date(2026, 11, 30));
        assert_eq!(latest(&d, tz, thu), date(2026, 11, 30));
    }

    #[test]
    fn weekday_names() {
        assert_eq!(parse_weekday("Mon"), Some(Weekday::Mon));
        assert_eq!(parse_weekday("sunday"), Some(Weekday::Sun));
        assert_eq!(parse_weekday("mo"), None);
        assert_eq!(parse_weekday("monkey"), None);
        assert_eq!(weekday_name(Weekday::Fri), "fri");
    }
}
