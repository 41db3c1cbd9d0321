//! Catch-up: a forwarder that can list its inbox (SmsForwarder's `POST /sms/query`) is read
//! when the worker starts and at every refresh, so that texts received while baohao was
//! down still reach the log. Each goes in through `inbox::accept`, which adds only what the
//! log lacks: the same text by webhook and by catch-up is one text.

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;

use crate::inbox::{Accepted, Received};
use crate::model::Config;
use crate::model::forwarder::{Forwarder, ForwarderKind};
use crate::store::Paths;

use super::FwdError;
use super::client::Phone;

/// How many texts one page of a catch-up reads.
pub const PAGE: u32 = 50;
/// The most pages one catch-up reads (1,000 texts): after a long outage it goes back page
/// by page until a page holds nothing new, but a phone holding years of texts is not read
/// whole at every refresh.
pub const MAX_PAGES: u32 = 20;

/// Page `page` (from 1, newest first) of the texts `f` received, as the inbox takes them;
/// and whether the page was full (there may be more behind it).
pub async fn texts_page(f: &Forwarder, page: u32) -> Result<(Vec<Received>, bool), FwdError> {
    if f.kind != ForwarderKind::SmsForwarder {
        return Ok((Vec::new(), false));
    }
    let data = Phone::new(f)?.smsf_received(page, PAGE).await?;
    let Some(list) = data.as_array() else {
        return Err(FwdError::BadAnswer(
            f.id.clone(),
            super::outside(&data.to_string()),
        ));
    };
    let full = list.len() >= PAGE as usize;
    Ok((list.iter().filter_map(|v| received(f, v)).collect(), full))
}

/// The newest page of texts `f` received.
pub async fn texts(f: &Forwarder) -> Result<Vec<Received>, FwdError> {
    Ok(texts_page(f, 1).await?.0)
}

/// One entry of `/sms/query`: `{"number", "content", "date" (ms), "sim_id" (0-based)}`.
fn received(f: &Forwarder, v: &Value) -> Option<Received> {
    let text = v.get("content")?.as_str()?.to_string();
    if text.trim().is_empty() {
        return None;
    }
    let sender = v
        .get("number")
        .and_then(Value::as_str)
        .filter(|s| !s.trim().is_empty())
        .map(str::to_string);
    let received_at = v
        .get("date")
        .and_then(Value::as_i64)
        .and_then(|ms| Utc.timestamp_millis_opt(ms).single())
        .map(|t| t.fixed_offset());
    let slot = v
        .get("sim_id")
        .and_then(Value::as_i64)
        .filter(|s| (0..8).contains(s))
        .map(|s| s as u8 + 1);
    Some(Received {
        forwarder: f.id.clone(),
        slot,
        sender,
        text,
        received_at,
    })
}

/// What one catch-up did: the events it added, by number, one sentence per forwarder it
/// could not read, and one per new text set aside for being dated days ahead.
#[derive(Debug, Default)]
pub struct CaughtUp {
    pub added: Vec<(String, Vec<crate::model::Event>)>,
    pub problems: Vec<String>,
    pub set_aside: Vec<String>,
}

/// Reads every listing forwarder that serves a number and puts what it holds in the log.
pub async fn run(paths: &Paths, config: &Config, now: DateTime<Utc>) -> CaughtUp {
    let mut out = CaughtUp::default();
    for f in &config.forwarders {
        let serves = config
            .numbers
            .iter()
            .any(|n| n.forwarder.as_ref().is_some_and(|r| r.id == f.id));
        if f.kind != ForwarderKind::SmsForwarder || !serves {
            continue;
        }
        match one(paths, config, f, now).await {
            Ok(got) => {
                out.set_aside.extend(got.set_aside);
                out.added.extend(got.added);
            }
            Err(why) => out.problems.push(why),
        }
    }
    out
}

/// Catch-up of one forwarder: what it added (`problems` stays empty), or why it could not.
pub async fn one(
    paths: &Paths,
    config: &Config,
    f: &Forwarder,
    now: DateTime<Utc>,
) -> Result<CaughtUp, String> {
    let mut out = CaughtUp::default();
    // Newest first, page by page, until a page brings nothing the log lacks (what lies
    // behind it came in before) or the phone has no more.
    for page in 1..=MAX_PAGES {
        let (list, full) = texts_page(f, page).await.map_err(|e| e.to_string())?;
        if list.is_empty() {
            break;
        }
        let got = page_in(paths, config, list, now).await?;
        let new = got.added.len();
        out.added.extend(got.added);
        out.set_aside.extend(got.set_aside);
        if new == 0 || !full {
            break;
        }
    }
    Ok(out)
}

/// One page of texts into the log: what it added.
async fn page_in(
    paths: &Paths,
    config: &Config,
    list: Vec<Received>,
    now: DateTime<Utc>,
) -> Result<CaughtUp, String> {
    let paths = paths.clone();
    let cfg = config.clone();
    // The log's lock and fsync are blocking work: off the runtime's threads.
    let (accepted, list) = tokio::task::spawn_blocking(move || {
        crate::inbox::accept(&paths, &cfg, &list, now)
            .map(|(a, _)| (a, list))
            .map_err(|e| e.sentence(&paths))
    })
    .await
    .map_err(|e| e.to_string())??;
    let mut out = CaughtUp::default();
    // The answers are in the order of the texts. Only a text new to the log is said, so
    // the next refresh, finding it again, says nothing.
    for (text, a) in list.iter().zip(accepted) {
        let Accepted::New { number, events } = a else {
            continue;
        };
        for e in &events {
            if let crate::model::EventBody::Message { .. } = e.body
                && let Some(dated) = crate::inbox::set_aside(text, e.at)
            {
                let label = config
                    .number(&number)
                    .map_or(number.as_str(), |n| n.label.as_str());
                let from =
                    crate::modem::provider::printable(text.sender.as_deref().unwrap_or("?"), 20);
                out.set_aside.push(crate::tr!(
                    crate::i18n::T::WorkerTextDatedAhead,
                    label,
                    from,
                    dated
                        .with_timezone(&config.timezone)
                        .format("%Y-%m-%d %H:%M")
                ));
            }
        }
        out.added.push((number, events));
    }
    Ok(out)
}
