//! Reading a log line: a direct reader for the canonical shape baohao writes, serde_json for
//! anything else (the authority), both yielding events that borrow from the line.

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Deserialize;

use crate::model::money::Currency;
use crate::model::rule::Mode;

use super::*;

/// A JSON string borrowed from the line when it has no escapes, owned when it has.
/// (serde's `borrow` does not reach through `Option<Cow<str>>`; this does.)
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = Text<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(self, v: &'de str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
            fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Text<'a>, E> {
                Ok(Text(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize, Default)]
struct Raw<'a> {
    v: Option<u32>,
    #[serde(borrow)]
    id: Option<Text<'a>>,
    #[serde(borrow)]
    at: Option<Text<'a>>,
    #[serde(borrow)]
    number: Option<Text<'a>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Text<'a>>,
    balance_minor: Option<i64>,
    #[serde(borrow)]
    currency: Option<Text<'a>>,
    #[serde(borrow)]
    validity_until: Option<Text<'a>>,
    #[serde(borrow)]
    source: Option<Text<'a>>,
    #[serde(borrow)]
    rule: Option<Text<'a>>,
    #[serde(borrow)]
    key: Option<Text<'a>>,
    attempt: Option<u32>,
    amount_minor: Option<i64>,
    #[serde(borrow)]
    mode: Option<Text<'a>>,
    #[serde(borrow)]
    action: Option<Text<'a>>,
    #[serde(borrow)]
    intent: Option<Text<'a>>,
    #[serde(borrow)]
    status: Option<Text<'a>>,
    #[serde(borrow)]
    reference: Option<Text<'a>>,
    #[serde(borrow)]
    error: Option<Text<'a>>,
    #[serde(borrow)]
    note: Option<Text<'a>>,
    #[serde(borrow)]
    event: Option<Text<'a>>,
    #[serde(rename = "ref", borrow)]
    reference_short: Option<Text<'a>>,
    #[serde(borrow)]
    from: Option<Text<'a>>,
    #[serde(borrow)]
    text: Option<Text<'a>>,
    #[serde(borrow)]
    refund_of: Option<Text<'a>>,
    #[serde(borrow)]
    reason: Option<Text<'a>>,
    #[serde(borrow)]
    channel: Option<Text<'a>>,
    retry: Option<bool>,
}

fn need<T>(v: Option<T>, field: &'static str) -> Result<T, LineError> {
    v.ok_or(LineError::Missing(field))
}

/// A required string field.
fn text<'a>(v: Option<Text<'a>>, field: &'static str) -> Result<Cow<'a, str>, LineError> {
    v.map(|t| t.0).ok_or(LineError::Missing(field))
}

fn opt<'a>(v: Option<Text<'a>>) -> Option<Cow<'a, str>> {
    v.map(|t| t.0)
}

fn currency(v: Option<Text<'_>>) -> Result<Currency, LineError> {
    let c = text(v, "currency")?;
    Currency::new(&c).map_err(|_| LineError::Invalid {
        field: "currency",
        value: c.into_owned(),
    })
}

fn digits<const N: usize>(b: &[u8]) -> Option<u32> {
    if b.len() != N {
        return None;
    }
    let mut v = 0u32;
    for &d in b {
        if !d.is_ascii_digit() {
            return None;
        }
        v = v * 10 + (d - b'0') as u32;
    }
    Some(v)
}

/// `YYYY-MM-DD`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let b = s.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    NaiveDate::from_ymd_opt(
        digits::<4>(&b[0..4])? as i32,
        digits::<2>(&b[5..7])?,
        digits::<2>(&b[8..10])?,
    )
}

/// `YYYY-MM-DDTHH:MM:SS` then `Z` or `±HH:MM`, the shape baohao writes, parsed directly;
/// anything else goes to chrono's full RFC 3339 parser.
pub(crate) fn parse_rfc3339(s: &str) -> Option<DateTime<FixedOffset>> {
    let b = s.as_bytes();
    let fast = (|| {
        if b.len() < 20
            || b[4] != b'-'
            || b[7] != b'-'
            || !matches!(b[10], b'T' | b't')
            || b[13] != b':'
            || b[16] != b':'
        {
            return None;
        }
        let date = NaiveDate::from_ymd_opt(
            digits::<4>(&b[0..4])? as i32,
            digits::<2>(&b[5..7])?,
            digits::<2>(&b[8..10])?,
        )?;
        let time = chrono::NaiveTime::from_hms_opt(
            digits::<2>(&b[11..13])?,
            digits::<2>(&b[14..16])?,
            digits::<2>(&b[17..19])?,
        )?;
        let offset = match &b[19..] {
            [b'Z' | b'z'] => 0,
            [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
                let secs =
                    (digits::<2>(&[*h1, *h2])? * 3600 + digits::<2>(&[*m1, *m2])? * 60) as i32;
                if *sign == b'-' { -secs } else { secs }
            }
            _ => return None,
        };
        let offset = FixedOffset::east_opt(offset)?;
        let utc = date
            .and_time(time)
            .checked_sub_signed(chrono::Duration::seconds(offset.local_minus_utc() as i64))?;
        Some(DateTime::from_naive_utc_and_offset(utc, offset))
    })();
    fast.or_else(|| DateTime::parse_from_rfc3339(s).ok())
}

/// [`fill_fast`] into a new `Raw`.
#[cfg(test)]
fn fast_raw(line: &[u8]) -> Option<Raw<'_>> {
    let mut raw = Raw::default();
    fill_fast(line, &mut raw).map(|_| raw)
}

/// Where the JSON string whose text starts at `from` ends (its closing quote), if the
/// string is plain: no escape and no control character before the quote (anything else is
/// serde's to read). Eight bytes at a time: the strings of a log line are short, and a
/// search routine's setup cost more than the search (issue 11).
fn plain_string_end(b: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH: u64 = ONES << 7;
    // Each byte's high bit set where the byte is zero (exact up to the first such byte).
    let zero = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let mut i = from;
    while let Some(chunk) = b.get(i..i + 8) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let v = u64::from_ne_bytes(word);
        let hit = zero(v ^ (ONES * u64::from(b'"')))
            | zero(v ^ (ONES * u64::from(b'\\')))
            | (v.wrapping_sub(ONES * 0x20) & !v & HIGH);
        if hit != 0 {
            break;
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        match c {
            b'"' => return Some(i),
            b'\\' | 0..0x20 => return None,
            _ => i += 1,
        }
    }
    None
}

/// Reads the line shape baohao itself writes: one flat object, string values without
/// escapes, integer values; JSON whitespace between tokens is skipped as serde_json skips
/// it (other tools write `{"v": 1, "id": …}`). Anything else returns `None` and goes to
/// serde_json, which stays the authority (a property test keeps the two in agreement).
/// Fills `raw` in place (left partly filled when it returns `None`).
fn fill_fast<'a>(line: &'a [u8], raw: &mut Raw<'a>) -> Option<()> {
    let s = std::str::from_utf8(line).ok()?;
    let b = s.as_bytes();
    // JSON's whitespace: space, tab, line feed, carriage return.
    let ws = |i: &mut usize| {
        while matches!(b.get(*i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            *i += 1;
        }
    };
    let end = |mut i: usize| {
        ws(&mut i);
        i == b.len()
    };
    let mut i = 0;
    ws(&mut i);
    if b.get(i) != Some(&b'{') {
        return None;
    }
    i += 1;
    ws(&mut i);
    if b.get(i) == Some(&b'}') {
        return end(i + 1).then_some(());
    }
    loop {
        ws(&mut i);
        if b.get(i) != Some(&b'"') {
            return None;
        }
        i += 1;
        let start = i;
        i = plain_string_end(b, i)?;
        let key = &s[start..i];
        i += 1;
        ws(&mut i);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
        ws(&mut i);
        match *b.get(i)? {
            b'"' => {
                i += 1;
                let start = i;
                i = plain_string_end(b, i)?;
                raw.set_str(key, &s[start..i])?;
                i += 1;
            }
            b'-' | b'0'..=b'9' => {
                let start = i;
                i += 1;
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
                let digits = s[start..i].trim_start_matches('-');
                // `-0` is a float to serde_json (refused where an integer belongs): its call.
                if digits.is_empty()
                    || (digits.len() > 1 && digits.starts_with('0'))
                    || &s[start..i] == "-0"
                {
                    return None;
                }
                raw.set_int(key, &s[start..i])?;
            }
            _ => return None,
        }
        ws(&mut i);
        match *b.get(i)? {
            b',' => i += 1,
            b'}' => return end(i + 1).then_some(()),
            _ => return None,
        }
    }
}

impl<'a> Raw<'a> {
    /// Sets a string field; `None` for what serde would refuse (a duplicate, a string where
    /// a number belongs), so that serde reports it.
    fn set_str(&mut self, key: &str, v: &'a str) -> Option<()> {
        let slot = match key {
            "id" => &mut self.id,
            "at" => &mut self.at,
            "number" => &mut self.number,
            "type" => &mut self.kind,
            "currency" => &mut self.currency,
            "validity_until" => &mut self.validity_until,
            "source" => &mut self.source,
            "rule" => &mut self.rule,
            "key" => &mut self.key,
            "mode" => &mut self.mode,
            "action" => &mut self.action,
            "intent" => &mut self.intent,
            "status" => &mut self.status,
            "reference" => &mut self.reference,
            "error" => &mut self.error,
            "note" => &mut self.note,
            "event" => &mut self.event,
            "ref" => &mut self.reference_short,
            "from" => &mut self.from,
            "text" => &mut self.text,
            "refund_of" => &mut self.refund_of,
            "reason" => &mut self.reason,
            "channel" => &mut self.channel,
            "v" | "balance_minor" | "attempt" | "amount_minor" | "retry" => return None,
            _ => return Some(()),
        };
        if slot.is_some() {
            return None;
        }
        *slot = Some(Text(Cow::Borrowed(v)));
        Some(())
    }

    fn set_int(&mut self, key: &str, v: &str) -> Option<()> {
        match key {
            "v" if self.v.is_none() => self.v = Some(v.parse().ok()?),
            "attempt" if self.attempt.is_none() => self.attempt = Some(v.parse().ok()?),
            "balance_minor" if self.balance_minor.is_none() => {
                self.balance_minor = Some(v.parse().ok()?)
            }
            "amount_minor" if self.amount_minor.is_none() => {
                self.amount_minor = Some(v.parse().ok()?)
            }
            "v" | "attempt" | "balance_minor" | "amount_minor" | "retry" => return None,
            "id" | "at" | "number" | "type" | "currency" | "validity_until" | "source" | "rule"
            | "key" | "mode" | "action" | "intent" | "status" | "reference" | "error" | "note"
            | "event" | "ref" | "from" | "text" | "refund_of" | "reason" | "channel" => {
                return None;
            }
            _ => {}
        }
        Some(())
    }
}

/// Why serde refused a line: broken JSON, or a field of the wrong type (named, found by a
/// second, path-tracking pass that only runs for bad lines).
fn line_error(line: &[u8], e: serde_json::Error) -> LineError {
    if e.classify() != serde_json::error::Category::Data {
        return LineError::Json(e.to_string());
    }
    let de = &mut serde_json::Deserializer::from_slice(line);
    let field = match serde_path_to_error::deserialize::<_, Raw>(de) {
        Err(pe) => pe.path().to_string(),
        Ok(_) => String::new(),
    };
    let mut detail = e.to_string();
    if let Some(i) = detail.rfind(" at line ") {
        detail.truncate(i);
    }
    LineError::WrongType { field, detail }
}

/// Benchmarks only: the bare serde pass over a line, without building an event.
#[doc(hidden)]
pub fn bench_raw_parse(line: &[u8]) -> bool {
    serde_json::from_slice::<Raw>(line).is_ok()
}

impl<'a> EventRef<'a> {
    /// Parses one log line, borrowing strings from it where it can. `Ok(None)` is a
    /// well-formed event of a type this version does not know (skipped, forward compatible).
    pub fn parse_ref(line: &'a [u8]) -> Result<Option<EventRef<'a>>, LineError> {
        // Filled in place: a `Raw` is some 600 bytes, and moving one per line showed in
        // the profile.
        let mut raw = Raw::default();
        if fill_fast(line, &mut raw).is_none() {
            raw = serde_json::from_slice(line).map_err(|e| line_error(line, e))?;
        }
        Self::from_raw(&mut raw)
    }

    /// [`EventRef::parse_ref`] through serde_json only (the reference the fast path is
    /// tested against).
    #[doc(hidden)]
    pub fn parse_ref_serde(line: &'a [u8]) -> Result<Option<EventRef<'a>>, LineError> {
        let mut raw: Raw<'a> = serde_json::from_slice(line).map_err(|e| line_error(line, e))?;
        Self::from_raw(&mut raw)
    }

    fn from_raw(raw: &mut Raw<'a>) -> Result<Option<EventRef<'a>>, LineError> {
        need(raw.v, "v")?;
        let id = text(raw.id.take(), "id")?;
        let at_text = text(raw.at.take(), "at")?;
        let at = parse_rfc3339(&at_text).ok_or_else(|| LineError::Invalid {
            field: "at",
            value: at_text.to_string(),
        })?;
        let number = text(raw.number.take(), "number")?;
        let kind = text(raw.kind.take(), "type")?;
        let body = match &*kind {
            "balance" => EventBody::Balance {
                balance_minor: need(raw.balance_minor, "balance_minor")?,
                currency: currency(raw.currency.take())?,
                validity_until: match opt(raw.validity_until.take()) {
                    None => None,
                    Some(d) => Some(parse_date(&d).ok_or_else(|| LineError::Invalid {
                        field: "validity_until",
                        value: d.into_owned(),
                    })?),
                },
                source: opt(raw.source.take()).unwrap_or_default(),
            },
            "intent" => {
                let mode = text(raw.mode.take(), "mode")?;
                EventBody::Intent {
                    rule: text(raw.rule.take(), "rule")?,
                    key: text(raw.key.take(), "key")?,
                    attempt: need(raw.attempt, "attempt")?,
                    amount_minor: need(raw.amount_minor, "amount_minor")?,
                    currency: currency(raw.currency.take())?,
                    mode: Mode::parse(&mode).ok_or_else(|| LineError::Invalid {
                        field: "mode",
                        value: mode.into_owned(),
                    })?,
                    action: match opt(raw.action.take()) {
                        None => None,
                        Some(a) => {
                            Some(IntentAction::parse(&a).ok_or_else(|| LineError::Invalid {
                                field: "action",
                                value: a.into_owned(),
                            })?)
                        }
                    },
                }
            }
            "outcome" => {
                let status = text(raw.status.take(), "status")?;
                EventBody::Outcome {
                    intent: text(raw.intent.take(), "intent")?,
                    status: match &*status {
                        "succeeded" => OutcomeStatus::Succeeded,
                        "failed" => OutcomeStatus::Failed,
                        "unknown" => OutcomeStatus::Unknown,
                        _ => {
                            return Err(LineError::Invalid {
                                field: "status",
                                value: status.into_owned(),
                            });
                        }
                    },
                    reference: opt(raw.reference.take()),
                    error: opt(raw.error.take()),
                }
            }
            "manual" => EventBody::Manual {
                amount_minor: need(raw.amount_minor, "amount_minor")?,
                currency: currency(raw.currency.take())?,
                note: opt(raw.note.take()),
                intent: opt(raw.intent.take()),
            },
            "resolved" => {
                let status = text(raw.status.take(), "status")?;
                EventBody::Resolved {
                    intent: text(raw.intent.take(), "intent")?,
                    status: ResolvedStatus::parse(&status).ok_or_else(|| LineError::Invalid {
                        field: "status",
                        value: status.into_owned(),
                    })?,
                    note: opt(raw.note.take()),
                    retry: raw.retry.unwrap_or(true),
                }
            }
            "activity" => EventBody::Activity {
                note: opt(raw.note.take()),
                intent: opt(raw.intent.take()),
            },
            "dismissed" => EventBody::Dismissed {
                intent: text(raw.intent.take(), "intent")?,
                reason: opt(raw.reason.take()).unwrap_or(Cow::Borrowed("by_hand")),
                note: opt(raw.note.take()),
            },
            "notified" => EventBody::Notified {
                event: text(raw.event.take(), "event")?,
                key: text(raw.key.take(), "key")?,
            },
            "delivered" => EventBody::Delivered {
                event: text(raw.event.take(), "event")?,
                key: text(raw.key.take(), "key")?,
                channel: text(raw.channel.take(), "channel")?,
                error: opt(raw.error.take()),
                retry: raw.retry.unwrap_or(true),
            },
            "statement" => EventBody::Statement {
                source: text(raw.source.take(), "source")?,
                reference: text(raw.reference_short.take(), "ref")?,
                amount_minor: need(raw.amount_minor, "amount_minor")?,
                currency: currency(raw.currency.take())?,
                text: opt(raw.text.take()).unwrap_or_default(),
                refund_of: opt(raw.refund_of.take()),
            },
            "message" => EventBody::Message {
                source: text(raw.source.take(), "source")?,
                from: opt(raw.from.take()),
                text: text(raw.text.take(), "text")?,
            },
            _ => return Ok(None),
        };
        Ok(Some(Event {
            id,
            at,
            number,
            body,
        }))
    }
}

impl Event {
    /// Parses one log line into an owned event; see [`EventRef::parse_ref`].
    pub fn parse_line(line: &[u8]) -> Result<Option<Event>, LineError> {
        Ok(EventRef::parse_ref(line)?.map(Event::into_owned))
    }
}

#[cfg(test)]
mod shape_tests {
    use super::*;

    #[test]
    fn an_intents_action_is_sms_or_refused_by_name() {
        let line = |action: &str| {
            format!(
                r#"{{"v":1,"id":"i","at":"2026-01-01T00:00:00Z","number":"x","type":"intent","rule":"ka","key":"ka:1","attempt":1,"amount_minor":10,"currency":"GBP","mode":"auto"{action}}}"#
            )
        };
        let sms = Event::parse_line(line(r#","action":"sms""#).as_bytes()).expect("reads");
        assert!(matches!(
            sms.map(|e| e.body),
            Some(EventBody::Intent {
                action: Some(IntentAction::Sms),
                ..
            })
        ));
        let top_up = Event::parse_line(line("").as_bytes()).expect("reads");
        assert!(matches!(
            top_up.map(|e| e.body),
            Some(EventBody::Intent { action: None, .. })
        ));
        let bad = line(r#","action":"mms""#);
        match Event::parse_line(bad.as_bytes()) {
            Err(LineError::Invalid { field, value }) => {
                assert_eq!((field, value.as_str()), ("action", "mms"))
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            EventRef::parse_ref(bad.as_bytes()).is_err(),
            EventRef::parse_ref_serde(bad.as_bytes()).is_err()
        );
    }

    #[test]
    fn lines_with_spaces_between_tokens_take_the_fast_path() {
        let compact = br#"{"v":1,"id":"a","at":"2026-01-01T00:00:00Z","number":"x","type":"manual","amount_minor":-12,"currency":"CNY"}"#;
        for line in [
            &br#"{"v": 1, "id": "a", "at": "2026-01-01T00:00:00Z", "number": "x", "type": "manual", "amount_minor": -12, "currency": "CNY"}"#[..],
            br#" { "v" : 1 ,	"id":"a","at":"2026-01-01T00:00:00Z","number":"x","type":"manual","amount_minor":-12 ,"currency":"CNY" } "#,
        ] {
            assert!(fast_raw(line).is_some(), "{}", String::from_utf8_lossy(line));
            assert_eq!(EventRef::parse_ref(line), EventRef::parse_ref_serde(line));
            assert_eq!(EventRef::parse_ref(line), EventRef::parse_ref(compact));
        }
        assert!(fast_raw(b" { } ").is_some());
        assert!(fast_raw(b"{\"v\": 1,}").is_none());
    }
}

#[cfg(test)]
mod tests {
    use super::plain_string_end;

    /// The word-at-a-time scan finds the quote, and refuses an escape or a control
    /// character, wherever it falls (inside a word, across two, in the tail).
    #[test]
    fn a_plain_string_ends_at_its_quote_and_nothing_else_is_plain() {
        for len in 0..40 {
            for at in 0..=len {
                let text: Vec<u8> = (0..len).map(|i| b'a' + (i % 26) as u8).collect();
                let mut plain = text.clone();
                plain.extend_from_slice(b"\",\"x\":1}");
                assert_eq!(plain_string_end(&plain, 0), Some(len), "{len}");
                for bad in [b'\\', 0x00, 0x1f, b'\n'] {
                    if at == len {
                        continue;
                    }
                    let mut t = plain.clone();
                    t[at] = bad;
                    assert_eq!(plain_string_end(&t, 0), None, "{len} {at} {bad}");
                }
                // Bytes of UTF-8 text and DEL are plain.
                let mut t = plain.clone();
                if at < len {
                    t[at] = 0x7f;
                    assert_eq!(plain_string_end(&t, 0), Some(len));
                }
            }
        }
        let utf8 = "保号 ¥8\",".as_bytes();
        assert_eq!(plain_string_end(utf8, 0), Some(utf8.len() - 2));
        assert_eq!(plain_string_end(b"no quote at all", 0), None);
    }
}
