//! What people type that is not a plain value (on the command line and in the TUI's forms):
//! when something happened (`--at`), and amounts that must be more than zero. One sentence
//! per refusal.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::engine::calendar::{local_date, local_instant};
use crate::error::{Error, Result};
use crate::i18n::T;
use crate::model::{Currency, Money, MoneyError};
use crate::tr;

/// `--at WHEN`: `YYYY-MM-DD`, `YYYY-MM-DD HH:MM` (or with a `T`), `today` or `yesterday`,
/// in the config's zone. A bare date means noon that day (or now, if that is earlier).
/// Not after `now`: nothing can be recorded before it happens.
pub fn when(at: Option<&str>, tz: Tz, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    let Some(text) = at else { return Ok(now) };
    let t = text.trim();
    let today = local_date(tz, now);
    let noon = |d: NaiveDate| {
        let t = local_instant(
            tz,
            d,
            NaiveTime::from_hms_opt(12, 0, 0).unwrap_or(NaiveTime::MIN),
        );
        if d == today { t.min(now) } else { t }
    };
    let parsed = match t {
        "today" | "今天" => Some(noon(today)),
        "yesterday" | "昨天" => today.pred_opt().map(noon),
        _ => {
            let (d, time) = match t.split_once([' ', 'T']) {
                Some((d, time)) => (d, Some(time)),
                None => (t, None),
            };
            let date = crate::text::format::parse_date(d);
            match (date, time) {
                (Some(date), None) => Some(noon(date)),
                (Some(date), Some(hm)) => {
                    crate::store::config::parse_hhmm(hm).map(|time| local_instant(tz, date, time))
                }
                _ => None,
            }
        }
    };
    let Some(at) = parsed else {
        return Err(Error::input(tr!(T::BadWhen, text)));
    };
    if at > now {
        return Err(Error::input(tr!(T::WhenInFuture, text)));
    }
    Ok(at)
}

/// An amount of money going in: more than zero. `-5` and `0` get the same sentence.
pub fn positive_amount(text: &str, currency: Currency) -> Result<Money> {
    match Money::parse(text, currency) {
        Ok(m) if m.minor > 0 => Ok(m),
        Ok(_) | Err(MoneyError::Negative(_)) => {
            Err(Error::input(tr!(T::AmountNotPositive, text.trim())))
        }
        Err(e) => Err(Error::input(tr!(T::BadAmount, e))),
    }
}
