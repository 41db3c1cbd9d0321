//! `baohao history`: the person-facing entries, filtered, as a table, JSON, CSV or a journal.

use std::ops::ControlFlow;

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

/// What `args` asks for, checked once: which number, from which day, which words.
pub struct Filter {
    number: Option<String>,
    since: Option<chrono::NaiveDate>,
    find: Option<String>,
    tz: chrono_tz::Tz,
}

impl Filter {
    pub fn new(snap: &Session, args: &HistoryArgs) -> Result<Filter> {
        if let Some(n) = &args.number
            && snap.config.number(n).is_none()
            && !snap.state().numbers.contains_key(n)
        {
            snap.number(n)?;
        }
        let since = match &args.since {
            None => None,
            Some(s) => {
                Some(parse_date(s).ok_or_else(|| Error::input(tr!(T::BadDate, "--since", s)))?)
            }
        };
        Ok(Filter {
            number: args.number.clone(),
            since,
            find: args.find.as_ref().map(|f| f.to_lowercase()),
            tz: snap.config.timezone,
        })
    }

    pub fn matches(&self, e: &Entry) -> bool {
        self.number.as_ref().is_none_or(|n| &e.number == n)
            && self.since.is_none_or(|s| local_date(self.tz, e.at) >= s)
            && self
                .find
                .as_ref()
                .is_none_or(|f| e.search_text().contains(f.as_str()))
    }
}

/// The entries `args` asks for, in log order.
pub fn select(snap: &Session, args: &HistoryArgs, now: DateTime<Utc>) -> Result<Vec<Entry>> {
    let filter = Filter::new(snap, args)?;
    let mut out = Vec::new();
    snap.list_history(&|e| filter.matches(e), now, &mut |e| {
        out.push(e);
        ControlFlow::Continue(())
    })?;
    Ok(out)
}

/// Writes the entries `args` asks for as JSON (`--json`) or CSV (otherwise) to `out`, one
/// entry at a time as [`Session::list_history`] hands them over, in the same bytes
/// [`json`] and [`export::csv`] make: memory stays flat however long the log is (open
/// `snap` with `Session::open_for_listing`). Stops writing (and returns the error) once
/// `out` fails.
pub fn stream(
    snap: &Session,
    args: &HistoryArgs,
    now: DateTime<Utc>,
    out: &mut dyn std::io::Write,
) -> Result<std::io::Result<()>> {
    let filter = Filter::new(snap, args)?;
    let tz = snap.config.timezone;
    let mut written = 0usize;
    let mut failed: Option<std::io::Error> = None;
    let mut put = |text: &str, failed: &mut Option<std::io::Error>| {
        if failed.is_none()
            && let Err(e) = out.write_all(text.as_bytes())
        {
            *failed = Some(e);
        }
    };
    if !args.json {
        if args.excel {
            put("\u{feff}", &mut failed);
        }
        put(&format!("{}\n", export::CSV_HEADER), &mut failed);
    }
    let listed = snap.list_history(&|e| filter.matches(e), now, &mut |entry| {
        let text = if args.json {
            let pretty = serde_json::to_string_pretty(&entry_json(&entry, tz))
                .unwrap_or_default()
                .replace('\n', "\n  ");
            format!("{}\n  {pretty}", if written == 0 { "[" } else { "," })
        } else {
            format!("{}\n", export::csv_row(&entry, tz))
        };
        written += 1;
        put(&text, &mut failed);
        if failed.is_some() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    if let Err(e) = listed {
        let _ = out.flush();
        return Err(e);
    }
    if args.json {
        put(if written == 0 { "[]\n" } else { "\n]\n" }, &mut failed);
    }
    Ok(match failed {
        Some(e) => Err(e),
        None => out.flush(),
    })
}

pub fn entry_json(e: &Entry, tz: chrono_tz::Tz) -> Value {
    json!({
        "id": e.id,
        "at": rfc3339(e.at, tz),
        "number": e.number,
        "kind": e.kind.as_str(),
        "amount_minor": e.amount_minor,
        "currency": e.currency.map(|c| c.code()),
        "status": e.status_str(),
        "rule": e.rule,
        "key": e.key,
        "attempts": e.attempts,
        "reference": e.reference,
        "flags": e.flags.iter().map(|f| f.as_str()).collect::<Vec<_>>(),
        "error": e.error,
        "note": e.note,
        "validity_until": e.validity_until.map(date),
        "attempt_list": e.attempt_list.iter().map(|a| json!({
            "intent": a.intent,
            "attempt": a.n,
            "at": rfc3339(a.at, tz),
            "status": a.status.as_str(),
            "resolved": a.resolved,
            "reference": a.reference,
            "error": a.error,
        })).collect::<Vec<_>>(),
        "dismissed_reason": match &e.reminder_end {
            Some(crate::engine::ReminderEnd::Dismissed(r)) => Some(r.as_str()),
            _ => None,
        },
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

#[cfg(test)]
mod tests {
    use super::*;

    fn args(json: bool, number: Option<&str>, find: Option<&str>) -> HistoryArgs {
        HistoryArgs {
            json,
            csv: !json,
            ledger: false,
            excel: false,
            number: number.map(str::to_string),
            since: None,
            find: find.map(str::to_string),
            output: None,
        }
    }

    /// The streamed listing (a first pass recording row facts, rows made from them on a
    /// second without a second state) writes the same bytes as the listing built from a
    /// full session's rows.
    #[test]
    fn streamed_history_is_the_collected_history() {
        let home = crate::home::Home::open(true, None).unwrap();
        let now = crate::home::now().unwrap();
        let full = Session::open(home.paths.clone()).unwrap();
        let lean = Session::open_for_listing(home.paths.clone()).unwrap();
        let bare = Session::open_state_only(home.paths.clone()).unwrap();
        assert!(lean.history.rows().is_empty());
        // The listing's state keeps references as where they are in the log.
        let (texts, places) = lean
            .state()
            .numbers
            .values()
            .flat_map(|n| n.keys())
            .flat_map(|k| k.attempts.iter().collect::<Vec<_>>())
            .fold((0, 0), |(t, p), a| {
                (
                    t + a.reference.is_some() as usize,
                    p + a.reference_at.is_some() as usize,
                )
            });
        assert!(places > 0 && texts == 0, "{texts} {places}");
        let tz = full.config.timezone;
        let first = full.config.numbers[0].id.clone();
        let mut checked = 0;
        for json_out in [true, false] {
            for (number, find) in [
                (None, None),
                (Some(first.as_str()), None),
                (None, Some("succeeded")),
                (None, Some("no entry has these words")),
            ] {
                let a = args(json_out, number, find);
                let entries = select(&full, &a, now).unwrap();
                let expected = if json_out {
                    json(&entries, tz)
                } else {
                    export::csv(&entries, tz)
                };
                let mut out = Vec::new();
                stream(&lean, &a, now, &mut out).unwrap().unwrap();
                assert_eq!(String::from_utf8(out).unwrap(), expected);
                // A session that recorded nothing (state only) records on its own.
                let mut out = Vec::new();
                stream(&bare, &a, now, &mut out).unwrap().unwrap();
                assert_eq!(String::from_utf8(out).unwrap(), expected);
                checked += entries.len();
            }
        }
        assert!(checked > 100, "the demo has a history to compare");
    }

    /// A reference the first pass kept as a place in the log that no longer holds it (the
    /// log rewritten between the passes) stops the listing with one sentence, rather than
    /// printing what is there now.
    #[test]
    fn a_log_changed_between_the_passes_stops_the_listing() {
        let home = crate::home::Home::open(true, None).unwrap();
        let now = crate::home::now().unwrap();
        let lean = Session::open_for_listing(home.paths.clone()).unwrap();
        let at = lean
            .state()
            .numbers
            .values()
            .flat_map(|n| n.keys())
            .flat_map(|k| k.attempts.iter().collect::<Vec<_>>())
            .find_map(|a| a.reference_at)
            .expect("the demo has executor references");
        let mut log = std::fs::read(&home.paths.log).unwrap();
        let start = at.offset() as usize;
        for b in &mut log[start..start + at.len()] {
            *b = if *b == b'X' { b'Y' } else { b'X' };
        }
        std::fs::write(&home.paths.log, &log).unwrap();
        let mut out = Vec::new();
        let err = stream(&lean, &args(true, None, None), now, &mut out).unwrap_err();
        assert!(
            err.to_string()
                .contains("changed while it was being listed"),
            "{err}"
        );
        assert!(!String::from_utf8_lossy(&out).contains(&"X".repeat(at.len())));
    }
}
