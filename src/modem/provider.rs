//! The `modem` balance provider: a USSD code or a query text through the number's modem,
//! and the reply read by `parse_reply`. The reading's source is `ussd` or `sms`.

use std::time::Duration;

use crate::i18n::T;
use crate::model::Number;
use crate::model::modem::{ModemMatch, ModemProvider, ModemQuery};
use crate::tr;

use super::reply::Reading;
use super::{Bus, ModemError, parse_reply};

/// Reads `number`'s balance through its modem, with the reading's source (`ussd` or
/// `sms`); an error is one sentence.
pub async fn read(
    number: &Number,
    spec: &ModemProvider,
) -> Result<(Reading, &'static str), String> {
    let timeout = Duration::from_secs(spec.timeout_secs);
    let work = ask(number, spec, timeout);
    let (reply, source) = match tokio::time::timeout(timeout, work).await {
        Ok(r) => r.map_err(|e| e.to_string())?,
        Err(_) => return Err(ModemError::Timeout(spec.timeout_secs).to_string()),
    };
    match parse_reply(&reply, &number.carrier, number.currency, &[]) {
        Some(r) => Ok((r, source)),
        None => Err(tr!(T::ModemNoReading, printable(&reply, 120))),
    }
}

async fn ask(
    number: &Number,
    spec: &ModemProvider,
    timeout: Duration,
) -> Result<(String, &'static str), ModemError> {
    let bus = Bus::connect().await?;
    let m = bus
        .find(number.modem.as_deref().unwrap_or(&ModemMatch::Any))
        .await?;
    bus.ready(&m.path, timeout).await?;
    match &spec.query {
        ModemQuery::Ussd(code) => Ok((bus.ussd(&m.path, code).await?, "ussd")),
        ModemQuery::Sms {
            to,
            text,
            reply_from,
        } => {
            let sms = bus
                .query_by_sms(&m.path, to, text, reply_from, timeout)
                .await?;
            Ok((sms.text, "sms"))
        }
    }
}

/// At most `max` characters of `s`, control characters removed (a reply reaches the screen).
pub fn printable(s: &str, max: usize) -> String {
    let clean: String = s.chars().filter(|c| !c.is_control()).collect();
    if clean.chars().count() <= max {
        clean
    } else {
        clean.chars().take(max).chain(['…']).collect()
    }
}
