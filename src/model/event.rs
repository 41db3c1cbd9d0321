//! The recharge log's events, exactly as DESIGN.md's table spells them, and their JSON form.
//! Parsing is a flat, borrowing serde pass (fast); unknown fields and types are ignored.

use std::borrow::Cow;

use chrono::{DateTime, FixedOffset, NaiveDate, SecondsFormat};
use serde::{Deserialize, Serialize};

use crate::model::money::Currency;
use crate::model::rule::Mode;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeStatus {
    Succeeded,
    Failed,
    /// Timeout, crash or unparseable answer: maybe charged.
    Unknown,
}

impl OutcomeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OutcomeStatus::Succeeded => "succeeded",
            OutcomeStatus::Failed => "failed",
            OutcomeStatus::Unknown => "unknown",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolvedStatus {
    Succeeded,
    Failed,
}

impl ResolvedStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ResolvedStatus::Succeeded => "succeeded",
            ResolvedStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<ResolvedStatus> {
        match s {
            "succeeded" => Some(ResolvedStatus::Succeeded),
            "failed" => Some(ResolvedStatus::Failed),
            _ => None,
        }
    }
}

/// One log event. `S` is its string type: `String` (owned, the default) or `Cow<str>`
/// borrowing from the line being read (replay allocates only what it keeps).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event<S = String> {
    pub id: S,
    pub at: DateTime<FixedOffset>,
    pub number: S,
    pub body: EventBody<S>,
}

/// An event borrowing its strings from a log line.
pub type EventRef<'a> = Event<Cow<'a, str>>;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventBody<S = String> {
    Balance {
        balance_minor: i64,
        currency: Currency,
        validity_until: Option<NaiveDate>,
        source: S,
    },
    Intent {
        rule: S,
        key: S,
        attempt: u32,
        amount_minor: i64,
        currency: Currency,
        mode: Mode,
    },
    Outcome {
        intent: S,
        status: OutcomeStatus,
        reference: Option<S>,
        error: Option<S>,
    },
    Manual {
        amount_minor: i64,
        currency: Currency,
        note: Option<S>,
        intent: Option<S>,
    },
    Resolved {
        intent: S,
        status: ResolvedStatus,
        note: Option<S>,
    },
    Activity {
        note: Option<S>,
    },
    /// baohao's own extension: a notification was sent for `event` under `key` (sent once).
    Notified {
        event: S,
        key: S,
    },
}

impl<S> EventBody<S> {
    pub fn type_name(&self) -> &'static str {
        match self {
            EventBody::Balance { .. } => "balance",
            EventBody::Intent { .. } => "intent",
            EventBody::Outcome { .. } => "outcome",
            EventBody::Manual { .. } => "manual",
            EventBody::Resolved { .. } => "resolved",
            EventBody::Activity { .. } => "activity",
            EventBody::Notified { .. } => "notified",
        }
    }
}

/// Why a line is not an event baohao can use.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineError {
    Json(String),
    Missing(&'static str),
    Invalid { field: &'static str, value: String },
}

impl std::fmt::Display for LineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use crate::i18n::T;
        let s = match self {
            LineError::Json(e) => crate::tr!(T::LineJson, e),
            LineError::Missing(field) => crate::tr!(T::LineMissing, field),
            LineError::Invalid { field, value } => crate::tr!(T::LineInvalid, field, value),
        };
        f.write_str(&s)
    }
}

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
pub fn parse_rfc3339(s: &str) -> Option<DateTime<FixedOffset>> {
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

/// Reads the canonical line shape baohao itself writes: one flat object, no whitespace,
/// string values without escapes, integer values. Anything else returns `None` and goes to
/// serde_json, which stays the authority (a property test keeps the two in agreement).
fn fast_raw(line: &[u8]) -> Option<Raw<'_>> {
    let s = std::str::from_utf8(line).ok()?;
    let b = s.as_bytes();
    if b.first() != Some(&b'{') {
        return None;
    }
    let mut raw = Raw::default();
    let mut i = 1;
    if b.get(i) == Some(&b'}') {
        return (b.len() == 2).then_some(raw);
    }
    loop {
        if b.get(i) != Some(&b'"') {
            return None;
        }
        i += 1;
        let start = i;
        let len = memchr::memchr2(b'"', b'\\', &b[i..])?;
        i += len;
        if b[i] != b'"' || b[start..i].iter().any(|c| *c < 0x20) {
            return None;
        }
        let key = &s[start..i];
        i += 1;
        if b.get(i) != Some(&b':') {
            return None;
        }
        i += 1;
        match *b.get(i)? {
            b'"' => {
                i += 1;
                let start = i;
                let len = memchr::memchr2(b'"', b'\\', &b[i..])?;
                i += len;
                if b[i] != b'"' || b[start..i].iter().any(|c| *c < 0x20) {
                    return None;
                }
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
                if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
                    return None;
                }
                raw.set_int(key, &s[start..i])?;
            }
            _ => return None,
        }
        match *b.get(i)? {
            b',' => i += 1,
            b'}' => return (i + 1 == b.len()).then_some(raw),
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
            "intent" => &mut self.intent,
            "status" => &mut self.status,
            "reference" => &mut self.reference,
            "error" => &mut self.error,
            "note" => &mut self.note,
            "event" => &mut self.event,
            "v" | "balance_minor" | "attempt" | "amount_minor" => return None,
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
            "v" | "attempt" | "balance_minor" | "amount_minor" => return None,
            "id" | "at" | "number" | "type" | "currency" | "validity_until" | "source" | "rule"
            | "key" | "mode" | "intent" | "status" | "reference" | "error" | "note" | "event" => {
                return None;
            }
            _ => {}
        }
        Some(())
    }
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
        let raw = match fast_raw(line) {
            Some(raw) => raw,
            None => serde_json::from_slice(line).map_err(|e| LineError::Json(e.to_string()))?,
        };
        Self::from_raw(raw)
    }

    /// [`EventRef::parse_ref`] through serde_json only (the reference the fast path is
    /// tested against).
    #[doc(hidden)]
    pub fn parse_ref_serde(line: &'a [u8]) -> Result<Option<EventRef<'a>>, LineError> {
        let raw: Raw<'a> =
            serde_json::from_slice(line).map_err(|e| LineError::Json(e.to_string()))?;
        Self::from_raw(raw)
    }

    fn from_raw(raw: Raw<'a>) -> Result<Option<EventRef<'a>>, LineError> {
        need(raw.v, "v")?;
        let id = text(raw.id, "id")?;
        let at_text = text(raw.at, "at")?;
        let at = parse_rfc3339(&at_text).ok_or_else(|| LineError::Invalid {
            field: "at",
            value: at_text.to_string(),
        })?;
        let number = text(raw.number, "number")?;
        let kind = text(raw.kind, "type")?;
        let body = match &*kind {
            "balance" => EventBody::Balance {
                balance_minor: need(raw.balance_minor, "balance_minor")?,
                currency: currency(raw.currency)?,
                validity_until: match opt(raw.validity_until) {
                    None => None,
                    Some(d) => Some(parse_date(&d).ok_or_else(|| LineError::Invalid {
                        field: "validity_until",
                        value: d.into_owned(),
                    })?),
                },
                source: opt(raw.source).unwrap_or_default(),
            },
            "intent" => {
                let mode = text(raw.mode, "mode")?;
                EventBody::Intent {
                    rule: text(raw.rule, "rule")?,
                    key: text(raw.key, "key")?,
                    attempt: need(raw.attempt, "attempt")?,
                    amount_minor: need(raw.amount_minor, "amount_minor")?,
                    currency: currency(raw.currency)?,
                    mode: Mode::parse(&mode).ok_or_else(|| LineError::Invalid {
                        field: "mode",
                        value: mode.into_owned(),
                    })?,
                }
            }
            "outcome" => {
                let status = text(raw.status, "status")?;
                EventBody::Outcome {
                    intent: text(raw.intent, "intent")?,
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
                    reference: opt(raw.reference),
                    error: opt(raw.error),
                }
            }
            "manual" => EventBody::Manual {
                amount_minor: need(raw.amount_minor, "amount_minor")?,
                currency: currency(raw.currency)?,
                note: opt(raw.note),
                intent: opt(raw.intent),
            },
            "resolved" => {
                let status = text(raw.status, "status")?;
                EventBody::Resolved {
                    intent: text(raw.intent, "intent")?,
                    status: ResolvedStatus::parse(&status).ok_or_else(|| LineError::Invalid {
                        field: "status",
                        value: status.into_owned(),
                    })?,
                    note: opt(raw.note),
                }
            }
            "activity" => EventBody::Activity {
                note: opt(raw.note),
            },
            "notified" => EventBody::Notified {
                event: text(raw.event, "event")?,
                key: text(raw.key, "key")?,
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

impl<S: Into<String>> Event<S> {
    /// The same event owning its strings.
    pub fn into_owned(self) -> Event {
        let o = |s: S| -> String { s.into() };
        let oo = |s: Option<S>| s.map(Into::into);
        Event {
            id: o(self.id),
            at: self.at,
            number: o(self.number),
            body: match self.body {
                EventBody::Balance {
                    balance_minor,
                    currency,
                    validity_until,
                    source,
                } => EventBody::Balance {
                    balance_minor,
                    currency,
                    validity_until,
                    source: o(source),
                },
                EventBody::Intent {
                    rule,
                    key,
                    attempt,
                    amount_minor,
                    currency,
                    mode,
                } => EventBody::Intent {
                    rule: o(rule),
                    key: o(key),
                    attempt,
                    amount_minor,
                    currency,
                    mode,
                },
                EventBody::Outcome {
                    intent,
                    status,
                    reference,
                    error,
                } => EventBody::Outcome {
                    intent: o(intent),
                    status,
                    reference: oo(reference),
                    error: oo(error),
                },
                EventBody::Manual {
                    amount_minor,
                    currency,
                    note,
                    intent,
                } => EventBody::Manual {
                    amount_minor,
                    currency,
                    note: oo(note),
                    intent: oo(intent),
                },
                EventBody::Resolved {
                    intent,
                    status,
                    note,
                } => EventBody::Resolved {
                    intent: o(intent),
                    status,
                    note: oo(note),
                },
                EventBody::Activity { note } => EventBody::Activity { note: oo(note) },
                EventBody::Notified { event, key } => EventBody::Notified {
                    event: o(event),
                    key: o(key),
                },
            },
        }
    }
}

impl Event {
    /// Parses one log line into an owned event; see [`EventRef::parse_ref`].
    pub fn parse_line(line: &[u8]) -> Result<Option<Event>, LineError> {
        Ok(EventRef::parse_ref(line)?.map(Event::into_owned))
    }

    /// The event as one log line, without the trailing newline.
    pub fn to_line(&self) -> String {
        let at = self.at.to_rfc3339_opts(SecondsFormat::Secs, false);
        let mut out = Out {
            v: 1,
            id: &self.id,
            at: &at,
            number: &self.number,
            kind: self.body.type_name(),
            ..Out::default()
        };
        let validity;
        match &self.body {
            EventBody::Balance {
                balance_minor,
                currency,
                validity_until,
                source,
            } => {
                out.balance_minor = Some(*balance_minor);
                out.currency = Some(currency.code());
                validity = validity_until.map(|d| d.format("%Y-%m-%d").to_string());
                out.validity_until = validity.as_deref();
                out.source = Some(source);
            }
            EventBody::Intent {
                rule,
                key,
                attempt,
                amount_minor,
                currency,
                mode,
            } => {
                out.rule = Some(rule);
                out.key = Some(key);
                out.attempt = Some(*attempt);
                out.amount_minor = Some(*amount_minor);
                out.currency = Some(currency.code());
                out.mode = Some(mode.as_str());
            }
            EventBody::Outcome {
                intent,
                status,
                reference,
                error,
            } => {
                out.intent = Some(intent);
                out.status = Some(status.as_str());
                out.reference = reference.as_deref();
                out.error = error.as_deref();
            }
            EventBody::Manual {
                amount_minor,
                currency,
                note,
                intent,
            } => {
                out.amount_minor = Some(*amount_minor);
                out.currency = Some(currency.code());
                out.note = note.as_deref();
                out.intent = intent.as_deref();
            }
            EventBody::Resolved {
                intent,
                status,
                note,
            } => {
                out.intent = Some(intent);
                out.status = Some(status.as_str());
                out.note = note.as_deref();
            }
            EventBody::Activity { note } => out.note = note.as_deref(),
            EventBody::Notified { event, key } => {
                out.event = Some(event);
                out.key = Some(key);
            }
        }
        // Serializing plain strings and integers cannot fail.
        serde_json::to_string(&out).unwrap_or_default()
    }
}

#[derive(Serialize, Default)]
struct Out<'a> {
    v: u32,
    id: &'a str,
    at: &'a str,
    number: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    balance_minor: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    validity_until: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    key: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attempt: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    amount_minor: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    currency: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mode: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    intent: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<&'a str>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(s).unwrap()
    }

    #[test]
    fn every_type_round_trips() {
        let cny = Currency::new("CNY").unwrap();
        let bodies = vec![
            EventBody::Balance {
                balance_minor: -120,
                currency: cny,
                validity_until: NaiveDate::from_ymd_opt(2027, 1, 31),
                source: "command".into(),
            },
            EventBody::Intent {
                rule: "monthly".into(),
                key: "monthly:2026-11".into(),
                attempt: 2,
                amount_minor: 1000,
                currency: cny,
                mode: Mode::Auto,
            },
            EventBody::Outcome {
                intent: "i1".into(),
                status: OutcomeStatus::Unknown,
                reference: None,
                error: Some("timed out \"30s\"".into()),
            },
            EventBody::Manual {
                amount_minor: 800,
                currency: cny,
                note: Some("营业厅".into()),
                intent: Some("i2".into()),
            },
            EventBody::Resolved {
                intent: "i1".into(),
                status: ResolvedStatus::Failed,
                note: None,
            },
            EventBody::Activity { note: None },
            EventBody::Notified {
                event: "in_doubt".into(),
                key: "i1".into(),
            },
        ];
        for body in bodies {
            let e = Event {
                id: "01abc".into(),
                at: at("2026-11-25T09:00:00+08:00"),
                number: "cmcc".into(),
                body,
            };
            let line = e.to_line();
            assert!(!line.contains('\n'));
            assert_eq!(
                Event::parse_line(line.as_bytes()).unwrap(),
                Some(e),
                "{line}"
            );
        }
    }

    #[test]
    fn unknown_fields_and_types_are_ignored() {
        let line = br#"{"v":1,"id":"a","at":"2026-01-01T00:00:00Z","number":"x","type":"activity","future":{"deep":[1]}}"#;
        assert!(matches!(Event::parse_line(line), Ok(Some(_))));
        let line =
            br#"{"v":2,"id":"a","at":"2026-01-01T00:00:00Z","number":"x","type":"teleport"}"#;
        assert_eq!(Event::parse_line(line), Ok(None));
    }

    fn any_text() -> impl proptest::strategy::Strategy<Value = String> {
        proptest::prop_oneof![
            "[a-z0-9:_-]{0,12}",
            "\\PC{0,8}",
            proptest::strategy::Just("移动保号卡 \"quoted\" \\ back".to_string()),
        ]
    }

    fn any_event() -> impl proptest::strategy::Strategy<Value = Event> {
        use proptest::prelude::*;
        let cur = (0usize..4).prop_map(|i| Currency::new(["CNY", "GBP", "JPY", "KWD"][i]).unwrap());
        let body = prop_oneof![
            (any::<i64>(), cur.clone(), any::<bool>(), any_text()).prop_map(|(b, c, v, s)| {
                EventBody::Balance {
                    balance_minor: b,
                    currency: c,
                    validity_until: v.then(|| NaiveDate::from_ymd_opt(2027, 1, 31).unwrap()),
                    source: s,
                }
            }),
            (
                any_text(),
                any_text(),
                any::<u32>(),
                any::<i64>(),
                cur.clone(),
                any::<bool>()
            )
                .prop_map(|(r, k, a, m, c, auto)| EventBody::Intent {
                    rule: r,
                    key: k,
                    attempt: a,
                    amount_minor: m,
                    currency: c,
                    mode: if auto { Mode::Auto } else { Mode::Remind },
                }),
            (
                any_text(),
                0u8..3,
                proptest::option::of(any_text()),
                proptest::option::of(any_text())
            )
                .prop_map(|(i, st, r, e)| EventBody::Outcome {
                    intent: i,
                    status: [
                        OutcomeStatus::Succeeded,
                        OutcomeStatus::Failed,
                        OutcomeStatus::Unknown
                    ][st as usize],
                    reference: r,
                    error: e,
                }),
            (
                any::<i64>(),
                cur,
                proptest::option::of(any_text()),
                proptest::option::of(any_text())
            )
                .prop_map(|(m, c, n, i)| EventBody::Manual {
                    amount_minor: m,
                    currency: c,
                    note: n,
                    intent: i
                }),
            proptest::option::of(any_text()).prop_map(|note| EventBody::Activity { note }),
        ];
        (
            any_text(),
            any_text(),
            -1_000_000_000i64..4_000_000_000,
            -50_000i32..50_000,
            body,
        )
            .prop_map(|(id, number, t, off, body)| Event {
                id,
                number,
                at: DateTime::from_timestamp(t, 0)
                    .unwrap()
                    .with_timezone(&FixedOffset::east_opt(off / 60 * 60).unwrap()),
                body,
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 2000, ..Default::default() })]

        #[test]
        fn the_fast_path_agrees_with_serde(e in any_event(), edits in proptest::collection::vec((0usize..400, 0usize..16), 0..4)) {
            let line = e.to_line();
            proptest::prop_assert_eq!(Event::parse_line(line.as_bytes()), Ok(Some(e.clone())));
            let mut bytes = line.into_bytes();
            let pool: &[&[u8]] = &[b"\"", b"\\", b",", b":", b"{", b"}", b" ", b"0", b"-", b"a", b"null", b"1.5", "\u{7f}移".as_bytes(), b"\t", b"[1]", b""];
            for (at, what) in edits {
                let at = at % (bytes.len() + 1);
                if what % 2 == 0 && at < bytes.len() {
                    bytes.remove(at);
                } else {
                    for (j, c) in pool[what].iter().enumerate() {
                        bytes.insert(at + j, *c);
                    }
                }
            }
            let fast = EventRef::parse_ref(&bytes).map(|o| o.map(Event::into_owned));
            let serde = EventRef::parse_ref_serde(&bytes).map(|o| o.map(Event::into_owned));
            proptest::prop_assert_eq!(fast, serde, "{}", String::from_utf8_lossy(&bytes));
        }
    }

    #[test]
    fn duplicate_fields_and_odd_numbers_go_to_serde() {
        for line in [
            &br#"{"v":1,"id":"a","id":"b","at":"2026-01-01T00:00:00Z","number":"x","type":"activity"}"#[..],
            br#"{"v":01,"id":"a","at":"2026-01-01T00:00:00Z","number":"x","type":"activity"}"#,
            br#"{"v":"1","id":"a","at":"2026-01-01T00:00:00Z","number":"x","type":"activity"}"#,
            br#"{"v":1,"id":"a","at":"2026-01-01T00:00:00Z","number":"x","type":"activity"} "#,
            br#"{"v":1,"id":"a\u0041","at":"2026-01-01T00:00:00Z","number":"x","type":"activity"}"#,
            br#"{"v":1,"id":"a","at":"2026-01-01T00:00:00Z","number":"x","type":"activity","x":{"y":[1]}}"#,
        ] {
            assert_eq!(EventRef::parse_ref(line), EventRef::parse_ref_serde(line), "{}", String::from_utf8_lossy(line));
        }
    }

    #[test]
    fn bad_lines_say_what_is_wrong() {
        let e = Event::parse_line(
            br#"{"v":1,"id":"a","at":"yesterday","number":"x","type":"activity"}"#,
        );
        assert!(matches!(e, Err(LineError::Invalid { field: "at", .. })));
        let e = Event::parse_line(
            br#"{"v":1,"id":"a","at":"2026-01-01T00:00:00Z","number":"x","type":"manual"}"#,
        );
        assert_eq!(e, Err(LineError::Missing("amount_minor")));
        assert!(matches!(
            Event::parse_line(b"{\"v\":1,"),
            Err(LineError::Json(_))
        ));
    }
}
