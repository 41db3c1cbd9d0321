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

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub id: String,
    pub at: DateTime<FixedOffset>,
    pub number: String,
    pub body: EventBody,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventBody {
    Balance {
        balance_minor: i64,
        currency: Currency,
        validity_until: Option<NaiveDate>,
        source: String,
    },
    Intent {
        rule: String,
        key: String,
        attempt: u32,
        amount_minor: i64,
        currency: Currency,
        mode: Mode,
    },
    Outcome {
        intent: String,
        status: OutcomeStatus,
        reference: Option<String>,
        error: Option<String>,
    },
    Manual {
        amount_minor: i64,
        currency: Currency,
        note: Option<String>,
        intent: Option<String>,
    },
    Resolved {
        intent: String,
        status: ResolvedStatus,
        note: Option<String>,
    },
    Activity {
        note: Option<String>,
    },
    /// baohao's own extension: a notification was sent for `event` under `key` (sent once).
    Notified {
        event: String,
        key: String,
    },
}

impl EventBody {
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

#[derive(Deserialize)]
struct Raw<'a> {
    v: Option<u32>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(borrow)]
    at: Option<Cow<'a, str>>,
    #[serde(borrow)]
    number: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    kind: Option<Cow<'a, str>>,
    balance_minor: Option<i64>,
    #[serde(borrow)]
    currency: Option<Cow<'a, str>>,
    #[serde(borrow)]
    validity_until: Option<Cow<'a, str>>,
    #[serde(borrow)]
    source: Option<Cow<'a, str>>,
    #[serde(borrow)]
    rule: Option<Cow<'a, str>>,
    #[serde(borrow)]
    key: Option<Cow<'a, str>>,
    attempt: Option<u32>,
    amount_minor: Option<i64>,
    #[serde(borrow)]
    mode: Option<Cow<'a, str>>,
    #[serde(borrow)]
    intent: Option<Cow<'a, str>>,
    #[serde(borrow)]
    status: Option<Cow<'a, str>>,
    #[serde(borrow)]
    reference: Option<Cow<'a, str>>,
    #[serde(borrow)]
    error: Option<Cow<'a, str>>,
    #[serde(borrow)]
    note: Option<Cow<'a, str>>,
    #[serde(borrow)]
    event: Option<Cow<'a, str>>,
}

fn need<T>(v: Option<T>, field: &'static str) -> Result<T, LineError> {
    v.ok_or(LineError::Missing(field))
}

fn owned(v: Option<Cow<'_, str>>) -> Option<String> {
    v.map(Cow::into_owned)
}

fn currency(v: Option<Cow<'_, str>>) -> Result<Currency, LineError> {
    let c = need(v, "currency")?;
    Currency::new(&c).map_err(|_| LineError::Invalid {
        field: "currency",
        value: c.into_owned(),
    })
}

impl Event {
    /// Parses one log line. `Ok(None)` is a well-formed event of a type this version does
    /// not know (skipped for forward compatibility).
    pub fn parse_line(line: &[u8]) -> Result<Option<Event>, LineError> {
        let raw: Raw = serde_json::from_slice(line).map_err(|e| LineError::Json(e.to_string()))?;
        need(raw.v, "v")?;
        let id = need(raw.id, "id")?.into_owned();
        let at_text = need(raw.at, "at")?;
        let at = DateTime::parse_from_rfc3339(&at_text).map_err(|_| LineError::Invalid {
            field: "at",
            value: at_text.to_string(),
        })?;
        let number = need(raw.number, "number")?.into_owned();
        let kind = need(raw.kind, "type")?;
        let body = match &*kind {
            "balance" => EventBody::Balance {
                balance_minor: need(raw.balance_minor, "balance_minor")?,
                currency: currency(raw.currency)?,
                validity_until: match raw.validity_until {
                    None => None,
                    Some(d) => Some(NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| {
                        LineError::Invalid {
                            field: "validity_until",
                            value: d.into_owned(),
                        }
                    })?),
                },
                source: owned(raw.source).unwrap_or_default(),
            },
            "intent" => {
                let mode = need(raw.mode, "mode")?;
                EventBody::Intent {
                    rule: need(raw.rule, "rule")?.into_owned(),
                    key: need(raw.key, "key")?.into_owned(),
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
                let status = need(raw.status, "status")?;
                EventBody::Outcome {
                    intent: need(raw.intent, "intent")?.into_owned(),
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
                    reference: owned(raw.reference),
                    error: owned(raw.error),
                }
            }
            "manual" => EventBody::Manual {
                amount_minor: need(raw.amount_minor, "amount_minor")?,
                currency: currency(raw.currency)?,
                note: owned(raw.note),
                intent: owned(raw.intent),
            },
            "resolved" => {
                let status = need(raw.status, "status")?;
                EventBody::Resolved {
                    intent: need(raw.intent, "intent")?.into_owned(),
                    status: ResolvedStatus::parse(&status).ok_or_else(|| LineError::Invalid {
                        field: "status",
                        value: status.into_owned(),
                    })?,
                    note: owned(raw.note),
                }
            }
            "activity" => EventBody::Activity {
                note: owned(raw.note),
            },
            "notified" => EventBody::Notified {
                event: need(raw.event, "event")?.into_owned(),
                key: need(raw.key, "key")?.into_owned(),
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
