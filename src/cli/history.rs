//! `baohao history`: the person-facing entries, filtered, as a table, JSON, CSV or a journal.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use crate::cli::HistoryArgs;
use crate::engine::Entry;
use crate::engine::calendar::local_date;
use crate::error::{Error, Result};
use crate::i18n::T;
use crate::session::Session;
use crate::text::export;
use crate::text::format::{date, local_minute, money, parse_date, rfc3339};
use crate::text::labels::{entry_status_label, flag_label, kind_label};
use crate::text::table::{Align, Table, truncate};
use crate::tr;

/// The entries `args` asks for, in log order.
pub fn select(snap: &Session, args: &HistoryArgs, now: DateTime<Utc>) -> Result<Vec<Entry>> {
    let tz = snap.config.timezone;
    if let Some(n) = &args.number
        && snap.config.number(n).is_none()
        && !snap.state().numbers.contains_key(n)
    {
        snap.number(n)?;
    }
    let since = match &args.since {
        None => None,
        Some(s) => Some(parse_date(s).ok_or_else(|| Error::input(tr!(T::BadDate, "--since", s)))?),
    };
    Ok(snap
        .history
        .entries(&snap.config, now)
        .into_iter()
        .filter(|e| args.number.as_ref().is_none_or(|n| &e.number == n))
        .filter(|e| since.is_none_or(|s| local_date(tz, e.at) >= s))
        .collect())
}

pub fn entry_json(e: &Entry, tz: chrono_tz::Tz) -> Value {
    json!({
        "id": e.id,
        "at": rfc3339(e.at, tz),
        "number": e.number,
        "kind": e.kind.as_str(),
        "amount_minor": e.amount_minor,
        "currency": e.currency.map(|c| c.code()),
        "status": e.status.map(|s| s.as_str()),
        "rule": e.rule,
        "key": e.key,
        "attempts": e.attempts,
        "reference": e.reference,
        "flags": e.flags.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        "error": e.error,
        "note": e.note,
        "validity_until": e.validity_until.map(date),
    })
}

pub fn json(entries: &[Entry], tz: chrono_tz::Tz) -> String {
    let v: Vec<Value> = entries.iter().map(|e| entry_json(e, tz)).collect();
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

pub fn human(entries: &[Entry], tz: chrono_tz::Tz) -> String {
    if entries.is_empty() {
        return tr!(T::HistoryEmpty) + "\n";
    }
    let mut t = Table::new(&[
        (tr!(T::ColTime), Align::Left),
        (tr!(T::ColId), Align::Left),
        (tr!(T::ColNumber), Align::Left),
        (tr!(T::ColKind), Align::Left),
        (tr!(T::ColAmount), Align::Right),
        (tr!(T::ColStatus), Align::Left),
        (tr!(T::ColRule), Align::Left),
        (tr!(T::ColTries), Align::Right),
        (tr!(T::ColReference), Align::Left),
        (tr!(T::ColFlags), Align::Left),
    ]);
    for e in entries {
        let amount = match (e.amount_minor, e.currency) {
            (Some(a), Some(c)) => money(a, c),
            _ => String::new(),
        };
        let reference = e
            .reference
            .clone()
            .or_else(|| e.error.clone())
            .or_else(|| e.note.clone())
            .unwrap_or_default();
        t.row(vec![
            local_minute(e.at, tz),
            e.id.clone(),
            e.number.clone(),
            kind_label(e.kind),
            amount,
            entry_status_label(e),
            e.rule.clone().unwrap_or_default(),
            e.attempts.map(|a| a.to_string()).unwrap_or_default(),
            truncate(&reference, 32),
            e.flags
                .iter()
                .map(|f| flag_label(*f))
                .collect::<Vec<_>>()
                .join(","),
        ]);
    }
    t.render()
}

pub fn run(snap: &Session, args: &HistoryArgs, now: DateTime<Utc>) -> Result<String> {
    let entries = select(snap, args, now)?;
    let tz = snap.config.timezone;
    Ok(if args.json {
        json(&entries, tz)
    } else if args.csv {
        export::csv(&entries, tz)
    } else if args.ledger {
        export::ledger(&entries, &snap.config)
    } else {
        human(&entries, tz)
    })
}
