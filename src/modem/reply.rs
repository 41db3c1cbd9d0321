//! Reading a balance out of a carrier's reply (a USSD answer or a text). The shared
//! text-message parser (statements and messages) may replace this; the interface is
//! `parse_reply(text, carrier, patterns) -> Option<Reading>`.

use chrono::NaiveDate;
use regex::Regex;

use crate::model::{Currency, Money};

/// A balance read from a reply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    pub balance: Money,
    pub validity_until: Option<NaiveDate>,
}

/// Generic patterns tried after the number's own: `balance` and optional `valid_until`.
const GENERIC: &[&str] = &[
    r"(?i)(?:balance|bal|credit|余额|话费余额|可用余额)\D{0,20}?(?P<balance>\d+(?:[.,]\d{1,3})?)",
    r"(?P<balance>\d+(?:\.\d{1,3})?)\s*(?:元|CNY|RMB|GBP|HKD|USD)",
];

const VALID: &str = r"(?i)(?:valid(?:ity)?(?: until| till| to)?|expires?(?: on)?|有效期至|有效期到)\D{0,5}(?P<valid_until>\d{4}[-/年]\d{1,2}[-/月]\d{1,2})";

/// The balance (and validity) in `text`, by the first pattern with a `balance` group that
/// matches: `patterns` (per number, then the carrier's) first, then generic wording.
/// `carrier` is kept for the shared parser's per-carrier data; the generic rules ignore it.
pub fn parse_reply(
    text: &str,
    carrier: &str,
    currency: Currency,
    patterns: &[String],
) -> Option<Reading> {
    let _ = carrier;
    let mut balance = None;
    let mut valid = None;
    let own = patterns.iter().filter_map(|p| Regex::new(p).ok());
    let generic = GENERIC.iter().filter_map(|p| Regex::new(p).ok());
    for re in own.chain(generic) {
        if let Some(c) = re.captures(text)
            && let Some(b) = c.name("balance")
        {
            balance = Money::parse(&b.as_str().replace(',', "."), currency).ok();
            valid = c.name("valid_until").and_then(|v| date(v.as_str()));
            if balance.is_some() {
                break;
            }
        }
    }
    let balance = balance?;
    let validity_until = valid.or_else(|| {
        Regex::new(VALID)
            .ok()?
            .captures(text)
            .and_then(|c| date(c.name("valid_until")?.as_str()))
    });
    Some(Reading {
        balance,
        validity_until,
    })
}

fn date(s: &str) -> Option<NaiveDate> {
    let parts: Vec<u32> = s
        .split(|c: char| !c.is_ascii_digit())
        .filter(|p| !p.is_empty())
        .filter_map(|p| p.parse().ok())
        .collect();
    match parts[..] {
        [y, m, d] => NaiveDate::from_ymd_opt(y as i32, m, d),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cur(c: &str) -> Currency {
        Currency::new(c).unwrap()
    }

    #[test]
    fn generic_wording_in_english_and_chinese() {
        let r = parse_reply(
            "Your balance is GBP 5.23. Valid until 2027-01-31.",
            "",
            cur("GBP"),
            &[],
        )
        .unwrap();
        assert_eq!(
            (r.balance.minor, r.validity_until),
            (523, NaiveDate::from_ymd_opt(2027, 1, 31))
        );
        let r = parse_reply(
            "尊敬的客户，您的话费余额为12.50元，有效期至2027年3月1日。",
            "",
            cur("CNY"),
            &[],
        )
        .unwrap();
        assert_eq!(
            (r.balance.minor, r.validity_until),
            (1250, NaiveDate::from_ymd_opt(2027, 3, 1))
        );
    }

    #[test]
    fn the_numbers_own_pattern_wins_and_nonsense_reads_nothing() {
        let own = vec![r"left: (?P<balance>\d+\.\d\d)".to_string()];
        let r = parse_reply("Balance 1.00; left: 7.77", "", cur("GBP"), &own).unwrap();
        assert_eq!(r.balance.minor, 777);
        assert_eq!(
            parse_reply("Thank you for your top-up", "", cur("GBP"), &[]),
            None
        );
    }
}
