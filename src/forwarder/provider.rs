//! The `forwarder` balance provider: a query text (`sms {to, text}`) sent through the
//! number's forwarder, and the reply from `reply_from` awaited for `timeout_secs`. The reply
//! is not asked for directly: it reaches the log as every received text does (the inbox's
//! webhook, or the catch-up this provider runs meanwhile on a forwarder that lists its
//! texts), read there by the same reader as `import --format sms`. So the reading is in the
//! log already when this returns it.

use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::i18n::T;
use crate::model::forwarder::{ForwarderKind, ForwarderProvider};
use crate::model::{Config, EventBody, Number};
use crate::modem::reply::Reading;
use crate::store::{Cursor, Log, Paths};
use crate::tr;

use super::client::{Phone, Sent};

/// How often the log (and a listing forwarder) is looked at while the reply is awaited.
const LOOK_EVERY: Duration = Duration::from_millis(500);
const LIST_EVERY: Duration = Duration::from_secs(2);

/// Sends the query text and waits for the reading its reply gives. An error is one sentence.
/// A text the phone dates days ahead (its clock is wrong) is kept unread, and said in
/// `notes`: otherwise a reply so dated would read as one without a balance.
pub async fn read(
    paths: &Paths,
    config: &Config,
    number: &Number,
    spec: &ForwarderProvider,
    now: DateTime<Utc>,
    notes: &mut Vec<String>,
) -> Result<Reading, String> {
    let (f, slot) = super::of_number(&config.forwarders, number).map_err(|e| e.to_string())?;
    let phone = Phone::new(f).map_err(|e| e.to_string())?;
    let log = Log::new(&paths.log);
    // What arrives from here on may be the reply.
    let mut cursor = Cursor {
        offset: std::fs::metadata(&paths.log).map(|m| m.len()).unwrap_or(0),
        line: 0,
    };
    let id = query_id(&number.id);
    match phone.send(slot, &spec.to, &spec.text, &id).await {
        Sent::Failed(e) => return Err(e.to_string()),
        // Sent, taken, or maybe sent: a reply says which.
        Sent::Sent(_) | Sent::Accepted(_) | Sent::InDoubt(_) => {}
    }
    let started = tokio::time::Instant::now();
    let deadline = started + Duration::from_secs(spec.timeout_secs);
    let mut listed_at: Option<tokio::time::Instant> = None;
    loop {
        if f.kind == ForwarderKind::SmsForwarder
            && listed_at.is_none_or(|t| t.elapsed() >= LIST_EVERY)
        {
            listed_at = Some(tokio::time::Instant::now());
            // A failed listing is not the provider's failure: the webhook may still bring it.
            if let Ok(got) = super::catchup::one(paths, config, f, now).await {
                notes.extend(got.set_aside);
            }
        }
        let mut found: Option<Result<Reading, String>> = None;
        if let Ok(scan) = log.scan(cursor, |e| {
            if e.number != number.id || found.as_ref().is_some_and(|r| r.is_ok()) {
                return;
            }
            match e.body {
                EventBody::Balance {
                    balance_minor,
                    currency,
                    validity_until,
                    source,
                } if source == "sms" && currency == number.currency => {
                    found = Some(Ok(Reading {
                        balance: crate::model::Money::new(balance_minor, currency),
                        validity_until,
                    }));
                }
                EventBody::Message { from, text, .. }
                    if from
                        .as_deref()
                        .is_some_and(|s| crate::modem::text::same_sender(s, &spec.reply_from)) =>
                {
                    found = Some(Err(tr!(
                        T::ModemNoReading,
                        crate::modem::provider::printable(&text, 120)
                    )));
                }
                _ => {}
            }
        }) {
            cursor = scan.cursor;
        }
        if let Some(r) = found {
            return r;
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(tr!(T::FwdNoReply, spec.reply_from, spec.timeout_secs));
        }
        tokio::time::sleep(LOOK_EVERY).await;
    }
}

/// A balance query's id on SMS Gateway: one per query (a query is not an intent).
fn query_id(number: &str) -> String {
    let key = format!("balance-query-{}", super::sign::now_ms());
    super::sign::gateway_message_id(number, &key, 0)
}
