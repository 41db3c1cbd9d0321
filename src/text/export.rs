//! Exports other tools read: CSV, a ledger/hledger journal, an RFC 5545 calendar.
//! Pure text builders; writing them out is the caller's job.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::engine::calendar::local_date;
use crate::engine::{Entry, Planned};
use crate::model::{Config, Money};
use crate::text::format::rfc3339;

/// One CSV field, quoted when it must be (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

pub const CSV_HEADER: &str =
    "id,at,number,kind,amount,currency,status,rule,key,attempts,reference,flags,note";

pub fn csv(entries: &[Entry], tz: Tz) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push('\n');
    for e in entries {
        out.push_str(&csv_row(e, tz));
        out.push('\n');
    }
    out
}

pub fn csv_row(e: &Entry, tz: Tz) -> String {
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
        e.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
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
    .iter()
    .map(|f| csv_field(f))
    .collect::<Vec<_>>()
    .join(",")
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

/// RFC 5545 TEXT escaping.
fn ical_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            c if crate::text::clean::is_unsafe(c) => {
                // Shown as `\u202E`, its backslash escaped as TEXT requires.
                out.push_str(&crate::text::clean::line(&c.to_string()).replace('\\', "\\\\"))
            }
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line at 75 octets without splitting a UTF-8 character; CRLF ends it.
fn ical_line(out: &mut String, line: &str) {
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
}

fn ical_time(t: DateTime<Utc>) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

/// One VEVENT per planned recharge, with an alarm an hour before.
pub fn ical(items: &[Planned], config: &Config, now: DateTime<Utc>) -> String {
    let mut out = String::new();
    for l in [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//baohao//baohao//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ] {
        ical_line(&mut out, l);
    }
    for p in items {
        let label = config
            .number(&p.number)
            .map_or(p.number.as_str(), |n| n.label.as_str());
        let summary = format!(
            "{} {} {}",
            crate::tr!(crate::i18n::T::IcalTopUp),
            label,
            p.amount.display()
        );
        let desc = format!(
            "{} {} · {} · {}{}",
            p.number,
            p.rule,
            p.mode.as_str(),
            p.amount.display(),
            if p.estimated { " (estimated)" } else { "" }
        );
        ical_line(&mut out, "BEGIN:VEVENT");
        ical_line(
            &mut out,
            &format!("UID:{}-{}-{}@baohao", p.number, p.rule, p.at.timestamp()),
        );
        ical_line(&mut out, &format!("DTSTAMP:{}", ical_time(now)));
        ical_line(&mut out, &format!("DTSTART:{}", ical_time(p.at)));
        ical_line(
            &mut out,
            &format!("DTEND:{}", ical_time(p.at + Duration::minutes(15))),
        );
        ical_line(&mut out, &format!("SUMMARY:{}", ical_text(&summary)));
        ical_line(&mut out, &format!("DESCRIPTION:{}", ical_text(&desc)));
        ical_line(&mut out, "BEGIN:VALARM");
        ical_line(&mut out, "ACTION:DISPLAY");
        ical_line(&mut out, &format!("DESCRIPTION:{}", ical_text(&summary)));
        ical_line(&mut out, "TRIGGER:-PT1H");
        ical_line(&mut out, "END:VALARM");
        ical_line(&mut out, "END:VEVENT");
    }
    ical_line(&mut out, "END:VCALENDAR");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_when_needed() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn ical_lines_fold_at_75_octets_on_char_boundaries() {
        let mut out = String::new();
        ical_line(&mut out, &format!("SUMMARY:{}", "移动保号卡".repeat(10)));
        for l in out.split("\r\n") {
            assert!(l.len() <= 75, "{l}");
        }
        assert_eq!(ical_text("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }
}
