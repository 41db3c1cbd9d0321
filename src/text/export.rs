//! Exports other tools read: CSV, a ledger/hledger journal, an RFC 5545 calendar.
//! Pure text builders; writing them out is the caller's job.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::engine::calendar::local_date;
use crate::engine::{Entry, Planned};
use crate::model::{Config, Money};
use crate::text::format::rfc3339;

pub const CSV_HEADER: &str =
    "id,at,number,kind,amount,currency,status,rule,key,attempts,reference,flags,note";

/// History entries as CSV (RFC 4180, quoted only where needed, by the `csv` crate), oldest
/// first, with a header.
pub fn csv(entries: &[Entry], tz: Tz) -> String {
    let mut out = Vec::with_capacity(64 + entries.len() * 120);
    let mut w = CsvWriter::new(&mut out);
    // Writing into memory cannot fail.
    let _ = w.header();
    for e in entries {
        let _ = w.entry(e, tz);
    }
    drop(w);
    String::from_utf8(out).unwrap_or_default()
}

/// One entry as one CSV line (without its line end).
pub fn csv_row(e: &Entry, tz: Tz) -> String {
    let mut out = Vec::with_capacity(160);
    let _ = CsvWriter::new(&mut out).entry(e, tz);
    let mut s = String::from_utf8(out).unwrap_or_default();
    s.truncate(s.trim_end_matches('\n').len());
    s
}

/// Writes history entries as CSV lines to any writer, one at a time (for streaming).
pub struct CsvWriter<W: std::io::Write> {
    w: ::csv::Writer<W>,
}

impl<W: std::io::Write> CsvWriter<W> {
    pub fn new(w: W) -> Self {
        CsvWriter {
            w: ::csv::WriterBuilder::new()
                .terminator(::csv::Terminator::Any(b'\n'))
                .quote_style(::csv::QuoteStyle::Necessary)
                .from_writer(w),
        }
    }

    pub fn header(&mut self) -> std::io::Result<()> {
        self.w.write_record(CSV_HEADER.split(','))?;
        self.w.flush()
    }

    pub fn entry(&mut self, e: &Entry, tz: Tz) -> std::io::Result<()> {
        self.w.write_record(csv_fields(e, tz))?;
        self.w.flush()
    }
}

fn csv_fields(e: &Entry, tz: Tz) -> [String; 13] {
    let amount = match (e.amount_minor, e.currency) {
        (Some(a), Some(c)) => Money::new(a, c).decimal(),
        _ => String::new(),
    };
    let outside = |s: &str| crate::text::clean::csv_text(s).into_owned();
    [
        outside(&e.id),
        rfc3339(e.at, tz),
        outside(&e.number),
        e.kind.as_str().to_string(),
        amount,
        e.currency.map(|c| c.code().to_string()).unwrap_or_default(),
        outside(e.status_str().unwrap_or_default()),
        outside(e.rule.as_deref().unwrap_or_default()),
        outside(e.key.as_deref().unwrap_or_default()),
        e.attempts.map(|a| a.to_string()).unwrap_or_default(),
        outside(e.reference.as_deref().unwrap_or_default()),
        e.flags
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(" "),
        outside(e.note.as_deref().or(e.error.as_deref()).unwrap_or_default()),
    ]
}

/// A journal account name part: no spaces, colons or semicolons (ledger's delimiters).
fn account_part(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_whitespace() || c == ':' || c == ';' {
                '-'
            } else {
                c
            }
        })
        .collect()
}

/// A payee/description: one line, no comment or tab characters, unsafe ones escaped.
fn description(s: &str) -> String {
    crate::text::clean::line(s).replace(';', " ")
}

/// Money moved into each number as a journal: one transaction per succeeded recharge or
/// manual top-up, from `assets:baohao` to `expenses:phone:<number>`. Both hledger and
/// ledger accept it; per-number totals equal baohao's.
pub fn ledger(entries: &[Entry], config: &Config) -> String {
    let tz = config.timezone;
    let mut out = String::from("; baohao recharge journal\n\n");
    for e in entries.iter().filter(|e| e.is_spend()) {
        let (Some(minor), Some(currency)) = (e.amount_minor, e.currency) else {
            continue;
        };
        let label = config
            .number(&e.number)
            .map_or(e.number.as_str(), |n| n.label.as_str());
        let what = match &e.rule {
            Some(r) => format!("{label} {r}"),
            None => format!("{label} {}", e.kind.as_str()),
        };
        let amount = format!(
            "{} {}",
            Money::new(minor, currency).decimal(),
            currency.code()
        );
        out.push_str(&format!(
            "{} * {}  ; id:{}\n",
            local_date(tz, e.at).format("%Y-%m-%d"),
            description(&what),
            crate::text::clean::line(&e.id)
        ));
        out.push_str(&format!(
            "    expenses:phone:{}    {}\n",
            account_part(&crate::text::clean::line(&e.number)),
            amount
        ));
        out.push_str("    assets:baohao\n\n");
    }
    out
}

/// Control, bidi and line-separator characters shown escaped (`\u202E`) before the
/// calendar crate applies RFC 5545 TEXT escaping (`\\`, `\;`, `\,`, `\n`).
fn ical_clean(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c != '\n' && crate::text::clean::is_unsafe(c) {
            out.push_str(&crate::text::clean::line(&c.to_string()));
        } else {
            out.push(c);
        }
    }
    out
}

/// One VEVENT per planned recharge, with an alarm an hour before. Built with the
/// `icalendar` crate (escaping, 75-octet folding on character boundaries, CRLF); the
/// stamps and ids are set here so the same plan gives the same file.
pub fn ical(items: &[Planned], config: &Config, now: DateTime<Utc>) -> String {
    use icalendar::{Alarm, Calendar, Component, Event, EventLike};
    let mut cal = Calendar::empty();
    for (k, v) in [
        ("VERSION", "2.0"),
        ("PRODID", "-//baohao//baohao//EN"),
        ("CALSCALE", "GREGORIAN"),
        ("METHOD", "PUBLISH"),
    ] {
        cal.append_property(icalendar::Property::new(k, v));
    }
    for p in items {
        let label = config
            .number(&p.number)
            .map_or(p.number.as_str(), |n| n.label.as_str());
        let summary = ical_clean(&format!(
            "{} {} {}",
            crate::tr!(crate::i18n::T::IcalTopUp),
            label,
            p.amount.display()
        ));
        let desc = ical_clean(&format!(
            "{} {} · {} · {}{}",
            p.number,
            p.rule,
            p.mode.as_str(),
            p.amount.display(),
            if p.estimated { " (estimated)" } else { "" }
        ));
        let uid = format!("{}-{}-{}@baohao", p.number, p.rule, p.at.timestamp());
        let alarm = Alarm::display(&summary, -Duration::hours(1))
            .timestamp(now)
            .uid(&format!("alarm-{uid}"))
            .done();
        cal.push(
            Event::new()
                .uid(&uid)
                .timestamp(now)
                .starts(p.at)
                .ends(p.at + Duration::minutes(15))
                .summary(&summary)
                .description(&desc)
                .alarm(alarm)
                .done(),
        );
    }
    cal.done().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_when_needed() {
        let e = Entry {
            note: Some("say \"hi\"\nthere".into()),
            ..Entry::bare(
                "plain".into(),
                chrono::DateTime::UNIX_EPOCH,
                "a,b".into(),
                crate::engine::EntryKind::Activity,
            )
        };
        let row = csv_row(&e, Tz::UTC);
        assert!(
            row.starts_with("plain,1970-01-01T00:00:00+00:00,\"a,b\",activity,"),
            "{row}"
        );
        assert!(row.ends_with(",\"say \"\"hi\"\"\nthere\""), "{row}");
        let all = csv(&[e], Tz::UTC);
        assert_eq!(all.lines().next(), Some(CSV_HEADER));
    }

    #[test]
    fn ical_folds_at_75_octets_on_char_boundaries_and_escapes_text() {
        let config = crate::store::config::parse(
            r#"{"version":1,"numbers":[{"id":"cm","label":"移动保号卡移动保号卡移动保号卡移动保号卡a,b;c\\d\u202e","msisdn":"+8613800138000","currency":"CNY","provider":{"kind":"manual"},"executor":{"kind":"remind"},"rules":[]}]}"#.as_bytes(),
        )
        .expect("config");
        let at = DateTime::parse_from_rfc3339("2026-12-01T01:00:00Z")
            .expect("time")
            .with_timezone(&Utc);
        let item = Planned {
            at,
            number: "cm".into(),
            rule: "monthly".into(),
            mode: crate::model::Mode::Auto,
            amount: Money::new(800, crate::model::Currency::new("CNY").expect("cny")),
            estimated: false,
        };
        let out = ical(std::slice::from_ref(&item), &config, at);
        assert!(out.ends_with("END:VCALENDAR\r\n"), "{out}");
        for l in out.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        let unfolded = out.replace("\r\n ", "");
        assert!(unfolded.contains("a\\,b\\;c\\\\d\\\\u202E"), "{unfolded}");
        assert!(!out.contains('\u{202e}'));
        assert_eq!(
            out,
            ical(&[item], &config, at),
            "the same plan gives the same file"
        );
    }
}
