//! What each kind of forwarder posts, read into a [`Received`] after its signature or
//! token is checked: SmsForwarder's webhook (JSON or form, `sign` over its `timestamp`),
//! SMS Gateway for Android's `sms:received` (`X-Signature` over the raw body and
//! `X-Timestamp`), and a plain webhook (boards, Tasker: JSON or form fields, a Bearer or
//! `?token=` token, or one free-text `msg` with `发件号码:` and `发件时间:` lines). Pure: the
//! caller gives the secret's value and the time.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

use super::Received;
use super::sign;
use crate::model::forwarder::{Forwarder, ForwarderKind, WebhookFields};

/// The template SmsForwarder's webhook is given (baohao's setup text shows it): the
/// original text, its sender, SIM slot and receive time, and the signature's timestamp.
pub const SMSFORWARDER_TEMPLATE: &str = r#"{"from":"[from]","content":"[org_content]","card_slot":"[card_slot]","receive_time":"[receive_time]","timestamp":"[timestamp]","sign":"[sign]"}"#;

/// A forwarder's secret (signing key or token) as the environment gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Secret {
    /// The config names none: requests are taken unsigned (only ever on loopback).
    NotConfigured,
    /// The config names a variable that is unset or empty: every request is refused.
    Unset,
    Value(String),
}

impl Secret {
    /// The secret of `f`'s webhooks, read from the environment now.
    pub fn of(f: &Forwarder) -> Secret {
        match f.webhook_secret_env() {
            None => Secret::NotConfigured,
            Some(name) => match std::env::var(name) {
                Ok(v) if !v.trim().is_empty() => Secret::Value(v.trim().to_string()),
                _ => Secret::Unset,
            },
        }
    }
}

/// One request as it arrived: the headers that matter and the raw body.
#[derive(Clone, Copy, Debug, Default)]
pub struct Request<'a> {
    pub content_type: Option<&'a str>,
    pub authorization: Option<&'a str>,
    /// `X-Signature`, `X-Timestamp` (SMS Gateway).
    pub signature: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    /// The URL's query string, without `?`.
    pub query: Option<&'a str>,
    pub body: &'a [u8],
}

/// What a request brought.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded {
    Text(Received),
    /// Authentic, but not a received text (an SMS Gateway `system:ping`, `sms:sent`…).
    Ignored,
}

/// Why a request was refused: the answer says none of it (401), the log line says which.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refused {
    /// The forwarder's secret variable is not set: nothing from it can be trusted.
    NoSecret,
    /// No signature or token, or a wrong one.
    BadSignature,
    /// A signed timestamp outside the window (stale, or from the future).
    Stale,
    /// Authentic, but not a text this kind posts (400).
    Malformed,
}

/// A signature that covers a time but not the text (SmsForwarder's `sign`): good for
/// any text until its time leaves the window, so the inbox keeps which text it came with
/// first ([`super::replay`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed {
    /// The signed timestamp, Unix milliseconds.
    pub at_ms: i64,
    /// A digest of the forwarder, the timestamp and the signature (not the signature).
    pub key: [u8; 32],
}

/// Reads `req` as forwarder `f` posts, checking it with `secret` and, for a signed
/// timestamp, within `window` of `now`. `tz` dates a receive time written without a zone.
pub fn decode(
    f: &Forwarder,
    secret: &Secret,
    req: &Request<'_>,
    now: DateTime<Utc>,
    window: chrono::Duration,
    tz: Tz,
) -> Result<Decoded, Refused> {
    decode_signed(f, secret, req, now, window, tz).map(|(d, _)| d)
}

/// [`decode`], and the signature that does not cover the text, when the request had one
/// (SmsForwarder with its secret set): the caller must see that it carries no other text.
pub fn decode_signed(
    f: &Forwarder,
    secret: &Secret,
    req: &Request<'_>,
    now: DateTime<Utc>,
    window: chrono::Duration,
    tz: Tz,
) -> Result<(Decoded, Option<Signed>), Refused> {
    if *secret == Secret::Unset {
        return Err(Refused::NoSecret);
    }
    let key = match secret {
        Secret::Value(v) => Some(v.as_str()),
        _ => None,
    };
    match f.kind {
        ForwarderKind::SmsForwarder => smsforwarder(f, key, req, now, window, tz),
        ForwarderKind::SmsGateway => sms_gateway(f, key, req, now, window).map(|d| (d, None)),
        ForwarderKind::Webhook => webhook(f, key, req, tz).map(|d| (d, None)),
    }
}

fn within(at_ms: i64, now: DateTime<Utc>, window: chrono::Duration) -> bool {
    (now.timestamp_millis() - at_ms).abs() <= window.num_milliseconds()
}

fn smsforwarder(
    f: &Forwarder,
    key: Option<&str>,
    req: &Request<'_>,
    now: DateTime<Utc>,
    window: chrono::Duration,
    tz: Tz,
) -> Result<(Decoded, Option<Signed>), Refused> {
    let unreadable = if key.is_some() {
        Refused::BadSignature
    } else {
        Refused::Malformed
    };
    let fields = Fields::of(req).ok_or(unreadable)?;
    let mut signed = None;
    if let Some(secret) = key {
        let (Some(ts), Some(sign)) = (fields.get("timestamp"), fields.get("sign")) else {
            return Err(Refused::BadSignature);
        };
        if !sign::smsforwarder_ok(secret, ts, sign) {
            return Err(Refused::BadSignature);
        }
        let ts = ts.trim();
        let at: i64 = ts.parse().map_err(|_| Refused::BadSignature)?;
        if !within(at, now, window) {
            return Err(Refused::Stale);
        }
        // The signature as computed, whatever encoding the request gave it in.
        let canonical = sign::smsforwarder_raw(secret, ts);
        signed = Some(Signed {
            at_ms: at,
            key: sign::digest(&[f.id.as_bytes(), ts.as_bytes(), canonical.as_bytes()]),
        });
    }
    let text = fields
        .first(&["org_content", "content", "text", "msg", "message"])
        .ok_or(Refused::Malformed)?;
    Ok(Decoded::Text(Received {
        forwarder: f.id.clone(),
        slot: fields.first(&["card_slot", "slot"]).and_then(parse_slot),
        sender: fields
            .first(&["from", "sender", "phone"])
            .map(str::to_string),
        text: text.to_string(),
        received_at: fields
            .first(&["receive_time", "received_at"])
            .and_then(|t| parse_time(t, tz)),
    }))
    .map(|d| (board_fill(d, tz), signed))
}

#[derive(serde::Deserialize)]
struct GatewayEvent {
    event: String,
    #[serde(default)]
    payload: Option<GatewayPayload>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct GatewayPayload {
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    sender: Option<String>,
    /// Older app versions.
    #[serde(default)]
    phone_number: Option<String>,
    #[serde(default)]
    sim_number: Option<serde_json::Value>,
    #[serde(default)]
    received_at: Option<String>,
}

fn sms_gateway(
    f: &Forwarder,
    key: Option<&str>,
    req: &Request<'_>,
    now: DateTime<Utc>,
    window: chrono::Duration,
) -> Result<Decoded, Refused> {
    if let Some(key) = key {
        let (Some(sig), Some(ts)) = (req.signature, req.timestamp) else {
            return Err(Refused::BadSignature);
        };
        if !sign::sms_gateway_ok(key, req.body, ts, sig) {
            return Err(Refused::BadSignature);
        }
        let secs: i64 = ts.trim().parse().map_err(|_| Refused::BadSignature)?;
        if !within(secs.saturating_mul(1000), now, window) {
            return Err(Refused::Stale);
        }
    }
    let ev: GatewayEvent = serde_json::from_slice(req.body).map_err(|_| Refused::Malformed)?;
    if ev.event != "sms:received" {
        return Ok(Decoded::Ignored);
    }
    let p = ev.payload.ok_or(Refused::Malformed)?;
    let text = p.message.ok_or(Refused::Malformed)?;
    let slot = match &p.sim_number {
        Some(serde_json::Value::Number(n)) => n.as_u64().and_then(|n| u8::try_from(n).ok()),
        Some(serde_json::Value::String(s)) => parse_slot(s),
        _ => None,
    };
    Ok(Decoded::Text(Received {
        forwarder: f.id.clone(),
        slot: slot.filter(|s| (1..=8).contains(s)),
        sender: p.sender.or(p.phone_number),
        text,
        received_at: p
            .received_at
            .and_then(|t| DateTime::parse_from_rfc3339(t.trim()).ok()),
    }))
}

fn webhook(
    f: &Forwarder,
    key: Option<&str>,
    req: &Request<'_>,
    tz: Tz,
) -> Result<Decoded, Refused> {
    if let Some(want) = key {
        let bearer = req.authorization.and_then(|a| {
            let (scheme, token) = a.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        });
        let query = req.query.and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "token")
                .map(|(_, v)| v.into_owned())
        });
        let got = bearer.map(str::to_string).or(query);
        match got {
            Some(got) if sign::token_ok(want, &got) => {}
            _ => return Err(Refused::BadSignature),
        }
    }
    let fields = Fields::of(req).ok_or(Refused::Malformed)?;
    let names: &WebhookFields = &f.fields;
    let text = fields
        .get(&names.message)
        .or_else(|| fields.get("msg"))
        .ok_or(Refused::Malformed)?;
    Ok(board_fill(
        Decoded::Text(Received {
            forwarder: f.id.clone(),
            slot: fields.get(&names.slot).and_then(parse_slot),
            sender: fields.get(&names.sender).map(str::to_string),
            text: text.to_string(),
            received_at: fields.get(&names.timestamp).and_then(|t| parse_time(t, tz)),
        }),
        tz,
    ))
}

/// A text without a sender whose lines say it (a board's free text): sender, time and
/// slot taken from the labelled lines before or after it, the rest kept as the text.
fn board_fill(d: Decoded, tz: Tz) -> Decoded {
    let Decoded::Text(mut r) = d else { return d };
    if r.sender.is_some() {
        return Decoded::Text(r);
    }
    if let Some(b) = board_text(&r.text, tz) {
        r.sender = Some(b.sender);
        r.text = b.text;
        r.received_at = r.received_at.or(b.at);
        r.slot = r.slot.or(b.slot);
    }
    Decoded::Text(r)
}

/// A board's free text, read.
#[derive(Debug, PartialEq, Eq)]
pub struct BoardText {
    pub sender: String,
    pub text: String,
    pub at: Option<DateTime<FixedOffset>>,
    pub slot: Option<u8>,
}

enum Meta {
    Sender(String),
    At(String),
    Slot(String),
    /// A labelled line or tag that is not the text (`收件号码:`, `#SMS`).
    Other,
}

fn meta(line: &str) -> Option<Meta> {
    let t = line.trim();
    if t.starts_with('#') && !t.contains(char::is_whitespace) {
        return Some(Meta::Other);
    }
    let (label, value) = t.split_once([':', '：'])?;
    let (label, value) = (label.trim(), value.trim().to_string());
    Some(match label {
        "发件号码" | "发件人" | "发信号码" | "发送号码" | "来自" | "来自号码" | "From" | "from" => {
            Meta::Sender(value)
        }
        "发件时间" | "接收时间" | "收信时间" | "收件时间" | "时间" | "Time" | "time" => {
            Meta::At(value)
        }
        "卡槽" | "收件卡槽" | "SIM卡槽" | "SIM" | "Slot" | "slot" => Meta::Slot(value),
        "收件号码" | "本机号码" | "接收号码" | "设备" | "设备名称" | "Device" | "To" | "to" => {
            Meta::Other
        }
        _ => return None,
    })
}

/// Reads a board's free text: the text, then (or first) lines `发件号码: X` and
/// `发件时间: YYYY/MM/DD HH:MM:SS` (and the like). `None` when no line names the sender.
pub fn board_text(msg: &str, tz: Tz) -> Option<BoardText> {
    let lines: Vec<&str> = msg.lines().collect();
    let is_meta = |l: &str| l.trim().is_empty() || meta(l).is_some();
    let start = lines.iter().take_while(|l| is_meta(l)).count();
    let end = lines.len()
        - lines[start..]
            .iter()
            .rev()
            .take_while(|l| is_meta(l))
            .count();
    let (mut sender, mut at, mut slot) = (None, None, None);
    for l in lines[..start].iter().chain(&lines[end..]) {
        match meta(l) {
            Some(Meta::Sender(s)) if !s.is_empty() => sender = Some(s),
            Some(Meta::At(s)) => at = parse_time(&s, tz),
            Some(Meta::Slot(s)) => slot = parse_slot(&s),
            _ => {}
        }
    }
    Some(BoardText {
        sender: sender?,
        text: lines[start..end].join("\n").trim().to_string(),
        at,
        slot,
    })
}

/// A SIM slot as forwarders write it: `SIM1_中国移动_…`, `SIM2`, `卡1`, `1`.
pub fn parse_slot(s: &str) -> Option<u8> {
    let t = s.trim();
    let upper = t.to_ascii_uppercase();
    let rest = if let Some(r) = upper.strip_prefix("SIM") {
        r.to_string()
    } else if let Some(r) = t.strip_prefix("卡槽").or_else(|| t.strip_prefix('卡')) {
        r.to_string()
    } else {
        t.to_string()
    };
    let digits: String = rest
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok().filter(|n| (1..=8).contains(n))
}

/// A receive time as forwarders write it: Unix milliseconds or seconds, RFC 3339, or a
/// local `YYYY-MM-DD HH:MM:SS` (also with `/`, or without seconds) in `tz`.
pub fn parse_time(s: &str, tz: Tz) -> Option<DateTime<FixedOffset>> {
    let t = s.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) {
        let n: i64 = t.parse().ok()?;
        let utc = if t.len() >= 12 {
            DateTime::<Utc>::from_timestamp_millis(n)?
        } else {
            DateTime::<Utc>::from_timestamp(n, 0)?
        };
        return Some(utc.with_timezone(&tz).fixed_offset());
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(t) {
        return Some(d);
    }
    let naive = [
        "%Y-%m-%d %H:%M:%S",
        "%Y/%m/%d %H:%M:%S",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M",
        "%Y-%m-%d %H:%M:%S%.f",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(t, f).ok())?;
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|d| d.fixed_offset())
}

/// A body's fields: a JSON object's top-level members (numbers and booleans as text) or a
/// form's pairs.
struct Fields(Vec<(String, String)>);

impl Fields {
    fn of(req: &Request<'_>) -> Option<Fields> {
        let json = req
            .content_type
            .is_some_and(|c| c.to_ascii_lowercase().contains("json"))
            || req
                .body
                .iter()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|b| *b == b'{');
        if json {
            let v: serde_json::Map<String, serde_json::Value> =
                serde_json::from_slice(req.body).ok()?;
            return Some(Fields(
                v.into_iter()
                    .filter_map(|(k, v)| {
                        let s = match v {
                            serde_json::Value::String(s) => s,
                            serde_json::Value::Number(n) => n.to_string(),
                            serde_json::Value::Bool(b) => b.to_string(),
                            _ => return None,
                        };
                        Some((k, s))
                    })
                    .collect(),
            ));
        }
        let text = std::str::from_utf8(req.body).ok()?;
        Some(Fields(
            url::form_urlencoded::parse(text.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first of `names` present and not empty.
    fn first(&self, names: &[&str]) -> Option<&str> {
        names
            .iter()
            .find_map(|n| self.get(n).filter(|v| !v.trim().is_empty()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TZ: Tz = chrono_tz::Asia::Shanghai;

    fn fwd(kind: ForwarderKind) -> Forwarder {
        Forwarder {
            id: "p".into(),
            kind,
            url: None,
            secret_env: None,
            user_env: None,
            password_env: None,
            signing_key_env: None,
            token_env: None,
            fields: WebhookFields::default(),
            timeout_secs: 30,
            quiet_hours: 24,
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-03-01T12:00:00Z".parse().unwrap()
    }

    fn window() -> chrono::Duration {
        chrono::Duration::minutes(5)
    }

    fn key(s: &str) -> Secret {
        Secret::Value(s.into())
    }

    #[test]
    fn smsforwarder_json_and_form_with_a_valid_sign_are_read() {
        let ts = now().timestamp_millis();
        let sign = sign::smsforwarder_sign("s3cret", ts);
        let json = SMSFORWARDER_TEMPLATE
            .replace("[from]", "10086")
            .replace("[org_content]", "您的余额为10.00元")
            .replace("[card_slot]", "SIM2_中国移动_")
            .replace("[receive_time]", "2026-03-01 19:59:30")
            .replace("[timestamp]", &ts.to_string())
            .replace("[sign]", &sign);
        let req = Request {
            content_type: Some("application/json"),
            body: json.as_bytes(),
            ..Request::default()
        };
        let got = decode(
            &fwd(ForwarderKind::SmsForwarder),
            &key("s3cret"),
            &req,
            now(),
            window(),
            TZ,
        );
        let Ok(Decoded::Text(r)) = got else {
            panic!("{got:?}")
        };
        assert_eq!(r.slot, Some(2));
        assert_eq!(r.sender.as_deref(), Some("10086"));
        assert_eq!(r.text, "您的余额为10.00元");
        assert_eq!(
            r.received_at.unwrap().to_rfc3339(),
            "2026-03-01T19:59:30+08:00"
        );
        // The app's default form body.
        let form = format!(
            "from=10086&content=hi&timestamp={ts}&sign={}",
            url::form_urlencoded::byte_serialize(sign.as_bytes()).collect::<String>()
        );
        let req = Request {
            content_type: Some("application/x-www-form-urlencoded"),
            body: form.as_bytes(),
            ..Request::default()
        };
        assert!(matches!(
            decode(
                &fwd(ForwarderKind::SmsForwarder),
                &key("s3cret"),
                &req,
                now(),
                window(),
                TZ
            ),
            Ok(Decoded::Text(_))
        ));
    }

    #[test]
    fn smsforwarder_bad_missing_stale_and_future_are_refused() {
        let f = fwd(ForwarderKind::SmsForwarder);
        let at = |ts: i64, sign: &str| {
            format!(r#"{{"from":"1","content":"x","timestamp":"{ts}","sign":"{sign}"}}"#)
        };
        let ts = now().timestamp_millis();
        let cases = [
            (
                at(ts, &sign::smsforwarder_sign("wrong!", ts)),
                Refused::BadSignature,
            ),
            (
                r#"{"from":"1","content":"x"}"#.to_string(),
                Refused::BadSignature,
            ),
            ("not a body".to_string(), Refused::BadSignature),
            (
                at(
                    ts - 301_000,
                    &sign::smsforwarder_sign("s3cret", ts - 301_000),
                ),
                Refused::Stale,
            ),
            (
                at(
                    ts + 301_000,
                    &sign::smsforwarder_sign("s3cret", ts + 301_000),
                ),
                Refused::Stale,
            ),
        ];
        for (body, want) in cases {
            let req = Request {
                body: body.as_bytes(),
                ..Request::default()
            };
            assert_eq!(
                decode(&f, &key("s3cret"), &req, now(), window(), TZ),
                Err(want),
                "{body}"
            );
        }
        let unsigned = at(ts, "x");
        let req = Request {
            body: unsigned.as_bytes(),
            ..Request::default()
        };
        assert_eq!(
            decode(&f, &Secret::Unset, &req, now(), window(), TZ),
            Err(Refused::NoSecret)
        );
        // Within the window either way.
        let body = at(
            ts + 299_000,
            &sign::smsforwarder_sign("s3cret", ts + 299_000),
        );
        let req = Request {
            body: body.as_bytes(),
            ..Request::default()
        };
        assert!(decode(&f, &key("s3cret"), &req, now(), window(), TZ).is_ok());
    }

    #[test]
    fn sms_gateway_received_is_read_and_other_events_ignored() {
        let f = fwd(ForwarderKind::SmsGateway);
        let body = br#"{"event":"sms:received","id":"Ey6ECgOkVVFjz3CL48B8C","deviceId":"d","webhookId":"w",
            "payload":{"messageId":"abc","message":"Your balance is 5.00","sender":"+447700900123",
            "recipient":null,"simNumber":1,"receivedAt":"2026-03-01T11:58:00.000+00:00"}}"#;
        let ts = now().timestamp().to_string();
        let sig = sign::sms_gateway_signature("gwkey", body, &ts);
        let req = Request {
            signature: Some(&sig),
            timestamp: Some(&ts),
            body,
            ..Request::default()
        };
        let got = decode(&f, &key("gwkey"), &req, now(), window(), TZ);
        let Ok(Decoded::Text(r)) = got else {
            panic!("{got:?}")
        };
        assert_eq!(
            (r.slot, r.sender.as_deref()),
            (Some(1), Some("+447700900123"))
        );
        assert_eq!(
            r.received_at.unwrap().to_rfc3339(),
            "2026-03-01T11:58:00+00:00"
        );
        // A signature over other bytes, or an old timestamp.
        let req2 = Request { body: b"{}", ..req };
        assert_eq!(
            decode(&f, &key("gwkey"), &req2, now(), window(), TZ),
            Err(Refused::BadSignature)
        );
        let old = (now().timestamp() - 600).to_string();
        let sig_old = sign::sms_gateway_signature("gwkey", body, &old);
        let req3 = Request {
            signature: Some(&sig_old),
            timestamp: Some(&old),
            ..req
        };
        assert_eq!(
            decode(&f, &key("gwkey"), &req3, now(), window(), TZ),
            Err(Refused::Stale)
        );
        let ping = br#"{"event":"system:ping","id":"x","payload":{}}"#;
        let sig = sign::sms_gateway_signature("gwkey", ping, &ts);
        let req4 = Request {
            signature: Some(&sig),
            timestamp: Some(&ts),
            body: ping,
            ..Request::default()
        };
        assert_eq!(
            decode(&f, &key("gwkey"), &req4, now(), window(), TZ),
            Ok(Decoded::Ignored)
        );
    }

    #[test]
    fn a_webhook_takes_a_bearer_or_query_token_and_mapped_fields() {
        let mut f = fwd(ForwarderKind::Webhook);
        let body = br#"{"sender":"10086","message":"hi","timestamp":1772366280}"#;
        let bearer = Request {
            authorization: Some("Bearer tok-123456"),
            body,
            ..Request::default()
        };
        let Ok(Decoded::Text(r)) = decode(&f, &key("tok-123456"), &bearer, now(), window(), TZ)
        else {
            panic!()
        };
        assert_eq!(
            r.received_at.unwrap().with_timezone(&Utc).to_rfc3339(),
            "2026-03-01T11:58:00+00:00"
        );
        let query = Request {
            query: Some("a=1&token=tok-123456"),
            body,
            ..Request::default()
        };
        assert!(decode(&f, &key("tok-123456"), &query, now(), window(), TZ).is_ok());
        for bad in [
            Request {
                body,
                ..Request::default()
            },
            Request {
                authorization: Some("Bearer tok-12345"),
                body,
                ..Request::default()
            },
            Request {
                query: Some("token=nope"),
                body,
                ..Request::default()
            },
        ] {
            assert_eq!(
                decode(&f, &key("tok-123456"), &bad, now(), window(), TZ),
                Err(Refused::BadSignature)
            );
        }
        f.fields = WebhookFields {
            sender: "from".into(),
            message: "text".into(),
            timestamp: "time".into(),
            slot: "sim".into(),
        };
        let form = Request {
            body: b"from=10010&text=hello+there&time=2026-03-01+19%3A58%3A00&sim=2",
            ..Request::default()
        };
        let Ok(Decoded::Text(r)) = decode(&f, &Secret::NotConfigured, &form, now(), window(), TZ)
        else {
            panic!()
        };
        assert_eq!(
            (r.sender.as_deref(), r.text.as_str(), r.slot),
            (Some("10010"), "hello there", Some(2))
        );
        assert_eq!(
            r.received_at.unwrap().to_rfc3339(),
            "2026-03-01T19:58:00+08:00"
        );
    }

    #[test]
    fn a_boards_free_text_gives_sender_time_and_text() {
        let msg = "【中国移动】您的余额为8.88元。\n\n发件号码: 10086\n发件时间: 2026/03/01 19:58:00\n收件号码: 13800000000\n#SMS";
        let b = board_text(msg, TZ).unwrap();
        assert_eq!(b.sender, "10086");
        assert_eq!(b.text, "【中国移动】您的余额为8.88元。");
        assert_eq!(b.at.unwrap().to_rfc3339(), "2026-03-01T19:58:00+08:00");
        let first = "发件号码：10010\n发件时间：2026-03-01 19:58\n\n话费余额 1.00 元";
        let b = board_text(first, TZ).unwrap();
        assert_eq!(
            (b.sender.as_str(), b.text.as_str()),
            ("10010", "话费余额 1.00 元")
        );
        assert_eq!(board_text("plain text, no labels", TZ), None);
        // Through a webhook's `msg`.
        let f = fwd(ForwarderKind::Webhook);
        let body = serde_json::json!({ "msg": msg }).to_string();
        let req = Request {
            body: body.as_bytes(),
            ..Request::default()
        };
        let Ok(Decoded::Text(r)) = decode(&f, &Secret::NotConfigured, &req, now(), window(), TZ)
        else {
            panic!()
        };
        assert_eq!(r.sender.as_deref(), Some("10086"));
        assert_eq!(r.text, "【中国移动】您的余额为8.88元。");
    }

    #[test]
    fn slots_and_times_as_forwarders_write_them() {
        for (s, want) in [
            ("SIM1_中国移动_13800000000", Some(1)),
            ("sim2", Some(2)),
            ("卡2", Some(2)),
            ("2", Some(2)),
            ("", None),
            ("SIM9", None),
            ("unknown", None),
        ] {
            assert_eq!(parse_slot(s), want, "{s}");
        }
        assert_eq!(
            parse_time("1772366280000", TZ)
                .unwrap()
                .with_timezone(&Utc)
                .to_rfc3339(),
            "2026-03-01T11:58:00+00:00"
        );
        assert_eq!(parse_time("yesterday", TZ), None);
    }
}
