//! Small text rules for the modem: what may reach a USSD request, ModemManager's SMS
//! timestamps, and comparing phone numbers as carriers write them. Pure functions.

use chrono::{DateTime, FixedOffset};

pub use crate::model::modem::ussd_code_ok;

/// ModemManager's `Timestamp`: RFC 3339, but the offset may lack minutes
/// (`2026-11-20T15:00:00+08`) or be missing.
pub fn parse_timestamp(s: &str) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    let (head, sign, off) = match s.rfind(['+', '-']) {
        Some(i) if i > 10 => (&s[..i], &s[i..i + 1], &s[i + 1..]),
        _ => (s, "+", "00"),
    };
    let off = match off.len() {
        2 => format!("{off}:00"),
        4 => format!("{}:{}", &off[..2], &off[2..]),
        _ => off.to_string(),
    };
    DateTime::parse_from_rfc3339(&format!("{head}{sign}{off}")).ok()
}

/// Whether two phone numbers are the same sender: digits only, and a short code must be
/// equal; a long number may differ by its country prefix (the last 9 digits agree).
pub fn same_sender(a: &str, b: &str) -> bool {
    let d = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
    let (a, b) = (d(a), d(b));
    if a.is_empty() || b.is_empty() {
        return false;
    }
    if a.len() < 9 || b.len() < 9 {
        return a == b;
    }
    a[a.len() - 9..] == b[b.len() - 9..]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_digits_star_and_hash_reach_ussd() {
        assert!(ussd_code_ok("*100#"));
        assert!(ussd_code_ok("*#1345#"));
        for bad in ["", "*100#\";+CMGD=1", "*100# ", "ABC", "*100#\r"] {
            assert!(!ussd_code_ok(bad), "{bad:?}");
        }
    }

    #[test]
    fn timestamps_without_offset_minutes_parse() {
        let t = parse_timestamp("2026-11-20T15:00:00+08").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-20T15:00:00+08:00");
        let t = parse_timestamp("2026-11-20T15:00:00-0330").unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-20T15:00:00-03:30");
        assert!(parse_timestamp("2026-11-20T15:00:00+08:00").is_some());
        assert!(parse_timestamp("2026-11-20T15:00:00").is_some());
        assert!(parse_timestamp("yesterday").is_none());
    }

    #[test]
    fn senders_compare_by_digits() {
        assert!(same_sender("10086", "10086"));
        assert!(!same_sender("10086", "100861"));
        assert!(same_sender("+447700900123", "07700900123"));
        assert!(!same_sender("+447700900123", "+447700900124"));
        assert!(!same_sender("", ""));
    }
}
