//! How the command line writes times, dates and money for people and for machines.

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use chrono_tz::Tz;

use crate::model::{Currency, Money};

/// `2026-11-25 09:00` in the config's zone.
pub fn local_minute(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// RFC 3339 with the config zone's offset, for JSON.
pub fn rfc3339(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .to_rfc3339_opts(SecondsFormat::Secs, false)
}

pub fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub fn money(minor: i64, currency: Currency) -> String {
    Money::new(minor, currency).display()
}

/// A date a person typed (`YYYY-MM-DD`, spaces around allowed): the one parser for the
/// command line's `--since`, `--valid-until`, `--at` and the TUI's forms, so both faces
/// accept the same text.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}
