//! Writing an event as one log line: fixed field order, absent fields left out.
//! Serializing strings and integers cannot fail.

use chrono::SecondsFormat;
use serde::Serialize;

use super::*;

impl Event {
    /// The event as one log line, without the trailing newline.
    pub fn to_line(&self) -> String {
        // RFC 3339 offsets have whole minutes; a zone's old local mean time (+08:05:43 in
        // Shanghai before 1901) has seconds, and rounding it would move the instant: such
        // a time is written in UTC instead.
        let at = if self.at.offset().local_minus_utc() % 60 == 0 {
            self.at.to_rfc3339_opts(SecondsFormat::Secs, false)
        } else {
            self.at.to_utc().to_rfc3339_opts(SecondsFormat::Secs, true)
        };
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
                action,
            } => {
                out.rule = Some(rule);
                out.key = Some(key);
                out.attempt = Some(*attempt);
                out.amount_minor = Some(*amount_minor);
                out.currency = Some(currency.code());
                out.mode = Some(mode.as_str());
                out.action = action.map(|a| a.as_str());
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
                retry,
            } => {
                out.intent = Some(intent);
                out.status = Some(status.as_str());
                out.note = note.as_deref();
                out.retry = (!retry).then_some(false);
            }
            EventBody::Activity { note, intent } => {
                out.note = note.as_deref();
                out.intent = intent.as_deref();
            }
            EventBody::Dismissed {
                intent,
                reason,
                note,
            } => {
                out.intent = Some(intent);
                out.reason = Some(reason);
                out.note = note.as_deref();
            }
            EventBody::Notified { event, key } => {
                out.event = Some(event);
                out.key = Some(key);
            }
            EventBody::Delivered {
                event,
                key,
                channel,
                error,
                retry,
            } => {
                out.event = Some(event);
                out.key = Some(key);
                out.channel = Some(channel);
                out.error = error.as_deref();
                out.retry = (!retry).then_some(false);
            }
            EventBody::Statement {
                source,
                reference,
                amount_minor,
                currency,
                text,
                refund_of,
            } => {
                out.source = Some(source);
                out.reference_short = Some(reference);
                out.amount_minor = Some(*amount_minor);
                out.currency = Some(currency.code());
                out.text = Some(text);
                out.refund_of = refund_of.as_deref();
            }
            EventBody::Message { source, from, text } => {
                out.source = Some(source);
                out.from = from.as_deref();
                out.text = Some(text);
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
    action: Option<&'a str>,
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
    #[serde(rename = "ref", skip_serializing_if = "Option::is_none")]
    reference_short: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    from: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refund_of: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    channel: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    retry: Option<bool>,
}
