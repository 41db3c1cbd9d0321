//! The recharge key: the name of one period of one rule, under which at most one charge
//! goes through. Its written form (`rule:2026-11`, `rule:2026-11-20`, `rule:<reading id>`)
//! is the one in every log, so `Display` and `FromStr` must keep reading and writing it.

use std::fmt;
use std::str::FromStr;

use chrono::NaiveDate;

use crate::engine::calendar::YearMonth;

/// A typed recharge key. The period is told by its own shape, never by the rule's trigger
/// of the day, so a rule whose trigger changed still reads its old keys right.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    /// The rule's id (a slug: it holds no `:`).
    pub rule: String,
    pub period: Period,
}

/// What a key's part after the rule names.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Period {
    /// A calendar month (`2026-11`): a monthly rule.
    Month(YearMonth),
    /// A local date (`2026-11-20`): the day a keep-alive came due, or the validity date a
    /// before-expiry rule acts on.
    Date(NaiveDate),
    /// The id of the balance reading a low-balance rule acted on.
    Reading(String),
}

impl Key {
    pub fn month(rule: &str, month: YearMonth) -> Key {
        Key {
            rule: rule.to_string(),
            period: Period::Month(month),
        }
    }

    pub fn date(rule: &str, date: NaiveDate) -> Key {
        Key {
            rule: rule.to_string(),
            period: Period::Date(date),
        }
    }

    pub fn reading(rule: &str, id: &str) -> Key {
        Key {
            rule: rule.to_string(),
            period: Period::Reading(id.to_string()),
        }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:", self.rule)?;
        match &self.period {
            Period::Month(m) => write!(f, "{m}"),
            Period::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Period::Reading(id) => f.write_str(id),
        }
    }
}

/// Why a string is not a recharge key baohao could have written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// No `rule:` in front.
    NoRule,
    /// Nothing after the rule.
    NoPeriod,
}

impl FromStr for Key {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Key, KeyError> {
        let (rule, tail) = s.split_once(':').ok_or(KeyError::NoRule)?;
        if rule.is_empty() {
            return Err(KeyError::NoRule);
        }
        if tail.is_empty() {
            return Err(KeyError::NoPeriod);
        }
        Ok(Key {
            rule: rule.to_string(),
            period: Period::parse(tail),
        })
    }
}

impl Period {
    /// A month or a date only in the exact form `Display` writes (`YYYY-MM`,
    /// `YYYY-MM-DD`); anything else is a reading's id (ids are base32, with no `-`).
    fn parse(tail: &str) -> Period {
        let b = tail.as_bytes();
        if b.len() == 7 && b[4] == b'-' {
            if let (Some(year), Some(month)) = (digits(&b[..4]), digits(&b[5..]))
                && (1..=12).contains(&month)
            {
                return Period::Month(YearMonth {
                    year: year as i32,
                    month,
                });
            }
        } else if let Some(d) = crate::model::event::parse_date(tail) {
            return Period::Date(d);
        }
        Period::Reading(tail.to_string())
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, &c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ym(year: i32, month: u32) -> YearMonth {
        YearMonth { year, month }
    }

    #[test]
    fn every_shape_reads_as_written_today() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        for (text, key) in [
            ("m31:2026-11", Key::month("m31", ym(2026, 11))),
            ("alive:2026-11-20", Key::date("alive", d)),
            ("exp:2026-11-20", Key::date("exp", d)),
            (
                "low:01jd2k3m4n5p6q7r",
                Key::reading("low", "01jd2k3m4n5p6q7r"),
            ),
            ("low:e12", Key::reading("low", "e12")),
            // Not a month or a date in the written form: an id.
            ("low:2026-13", Key::reading("low", "2026-13")),
            ("low:2026-1", Key::reading("low", "2026-1")),
            ("low:2026-02-30", Key::reading("low", "2026-02-30")),
        ] {
            assert_eq!(text.parse::<Key>(), Ok(key.clone()), "{text}");
            assert_eq!(key.to_string(), text);
        }
    }

    #[test]
    fn a_string_without_a_rule_or_period_is_no_key() {
        assert_eq!("i1".parse::<Key>(), Err(KeyError::NoRule));
        assert_eq!(":2026-11".parse::<Key>(), Err(KeyError::NoRule));
        assert_eq!("m:".parse::<Key>(), Err(KeyError::NoPeriod));
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    fn period() -> impl Strategy<Value = Period> {
        prop_oneof![
            (0i32..=9999, 1u32..=12)
                .prop_map(|(year, month)| Period::Month(YearMonth { year, month })),
            (0i32..=9999, 1u32..=366).prop_filter_map("a day of that year", |(y, d)| {
                NaiveDate::from_yo_opt(y, d).map(Period::Date)
            }),
            // Event ids as `new_id` writes them, and ids other tools wrote (no `-` digits
            // shape to be taken for a month or a date).
            "[0-9a-hjkmnp-tv-z]{16}".prop_map(Period::Reading),
            "[a-z0-9_:.]{1,24}".prop_map(Period::Reading),
        ]
    }

    proptest! {
        #[test]
        fn a_key_reads_back_as_written(rule in "[A-Za-z0-9_-]{1,32}", period in period()) {
            let k = Key { rule, period };
            prop_assert_eq!(Key::from_str(&k.to_string()), Ok(k));
        }
    }
}
