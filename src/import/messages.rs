//! Text messages as people and tools export them: plain text (messages separated by blank
//! lines, optional `From:` and `Date:` lines first), `termux-sms-list` JSON, the SMS
//! Gateway for Android `sms:received` webhook, and ModemManager's `mmcli -J` output.

use std::io::{BufRead, BufReader, Read};

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone};
use serde_json::Value;

use crate::i18n::T;
use crate::import::sms::{
    Parsed, carrier_of_sender, carrier_of_signature, clean, is_carrier, named_date,
    number_patterns, parse_text, patterns_for,
};
use crate::import::{ImportError, Reading, event_id, hash_ref};
use crate::model::{Config, Event, EventBody, Number};
use crate::tr;

/// Texts are kept up to this many bytes.
pub const MAX_TEXT: usize = 1024;
use crate::import::limits::{MAX_EVENTS, MAX_JSON, MAX_TEXT_LINE};

/// One message as read from the input.
#[derive(Clone, Debug, Default)]
struct Sms {
    line: u64,
    from: Option<String>,
    date: Option<DateTime<FixedOffset>>,
    text: String,
}

pub fn read<R: Read>(
    config: &Config,
    number: Option<&Number>,
    input: R,
    now: DateTime<FixedOffset>,
) -> Result<Reading, ImportError> {
    let mut reader = BufReader::new(input);
    let first = loop {
        let buf = reader
            .fill_buf()
            .map_err(|e| ImportError::whole(tr!(T::ImportRead, e)))?;
        if buf.is_empty() {
            break None;
        }
        let blank = |b: &u8| b.is_ascii_whitespace() || matches!(b, 0xef | 0xbb | 0xbf);
        match buf.iter().position(|b| !blank(b)) {
            Some(i) => break Some(buf[i]),
            None => {
                let n = buf.len();
                reader.consume(n);
            }
        }
    };
    let messages = match first {
        Some(b'[') | Some(b'{') => json_messages(reader, config)?,
        _ => plain_messages(reader, config)?,
    };
    let mut out = Reading::default();
    let mut seen = std::collections::HashSet::new();
    for m in messages {
        let Some(n) = number.or_else(|| number_of_text(config, m.from.as_deref(), &m.text)) else {
            out.unmatched
                .push(tr!(T::ImportMsgUnmatched, m.line, clean(&m.text, 80)));
            continue;
        };
        for e in events_of_text(n, m.from.as_deref(), m.date, &m.text, now) {
            if seen.insert(e.id.clone()) {
                out.events.push(e);
            }
        }
    }
    Ok(out)
}

/// The number a text belongs to when its source does not say: the only configured number,
/// else the only one on the carrier whose sender id it is, else the only one on the
/// carrier whose signature it carries (`【中国移动】`).
pub fn number_of_text<'a>(
    config: &'a Config,
    from: Option<&str>,
    text: &str,
) -> Option<&'a Number> {
    if config.numbers.len() == 1 {
        return config.numbers.first();
    }
    // The carrier however the config writes it (`CMCC`, `移动`); two numbers on it, and
    // neither is picked.
    let carrier = match from.and_then(carrier_of_sender) {
        Some(c) => c,
        None => carrier_of_signature(text)?,
    };
    let mut on = config
        .numbers
        .iter()
        .filter(|n| is_carrier(&n.carrier, carrier));
    let one = on.next()?;
    on.next().is_none().then_some(one)
}

/// A text's name, whatever brought it: its sender, the minute it arrived and its text with
/// white space folded (`model::event::sender_key`, `fold_space`). The same text from a
/// plain-text file, `termux-sms-list`, `mmcli -J`, a modem or a forwarder, or with one more
/// trailing space, has one name and so the same event ids.
pub fn text_ref(from: Option<&str>, date: Option<DateTime<FixedOffset>>, text: &str) -> String {
    let minute = date
        .map(|d| {
            d.with_timezone(&chrono::Utc)
                .format("%Y-%m-%dT%H:%MZ")
                .to_string()
        })
        .unwrap_or_default();
    let mut body = String::with_capacity(text.len());
    crate::model::event::fold_space(&mut body, text);
    hash_ref(&[
        "text",
        &crate::model::event::sender_key(from),
        &minute,
        &body,
    ])
}

/// The one way a text becomes events, for every source (`import --format sms`, a modem,
/// a forwarder): a balance reading, top-up evidence (a `statement` from `sms`) and the
/// reading it gives, or a `message` kept for review. `date` is when the phone received it,
/// if the source says; otherwise the date the text names, otherwise `now`. Ids come from
/// [`text_ref`], so the same text read twice, by any way, adds nothing.
pub fn events_of_text(
    n: &Number,
    from: Option<&str>,
    date: Option<DateTime<FixedOffset>>,
    text: &str,
    now: DateTime<FixedOffset>,
) -> Vec<Event> {
    let m = Sms {
        line: 0,
        from: from.map(str::to_string),
        date,
        text: text.to_string(),
    };
    let reference = text_ref(from, date, text);
    events_for(n, &m, date, now, &reference)
}

/// A text for number `n` that is not to be read (dated more than a day ahead of the clock):
/// only a `message` kept for review, dated `now`, never a reading or evidence.
/// Its identity is the same text's (sender, `date` to the minute, text), so a retry is
/// recognised.
pub fn kept_text(
    n: &Number,
    from: Option<&str>,
    date: Option<DateTime<FixedOffset>>,
    text: &str,
    now: DateTime<FixedOffset>,
) -> Event {
    let reference = text_ref(from, date, text);
    Event {
        id: crate::model::event::text_id_for(&event_id("message", "sms", &reference), &n.id),
        at: now,
        number: n.id.clone(),
        body: EventBody::Message {
            source: "sms".into(),
            from: from.map(|f| clean(f, 64)),
            text: clean(text, MAX_TEXT),
        },
    }
}

/// The events one message makes for number `n`.
fn events_for(
    n: &Number,
    m: &Sms,
    date: Option<DateTime<FixedOffset>>,
    now: DateTime<FixedOffset>,
    reference: &str,
) -> Vec<Event> {
    let carrier = if n.carrier.is_empty() {
        m.from.as_deref().and_then(carrier_of_sender).unwrap_or("")
    } else {
        &n.carrier
    };
    let parsed = parse_text(
        &m.text,
        &patterns_for(carrier),
        &number_patterns(&n.reply_patterns),
    );
    // A reading or a top-up is dated by the text itself when the source gives no date.
    let at = date
        .or_else(|| {
            (parsed != Parsed::Other)
                .then(|| named_date(&m.text, now))
                .flatten()
        })
        .unwrap_or(now);
    let event = |kind: &str, body| Event {
        id: crate::model::event::text_id_for(&event_id(kind, "sms", reference), &n.id),
        at,
        number: n.id.clone(),
        body,
    };
    let balance = |b: &crate::import::amount::Amount, valid_until| {
        b.signed_minor(n.currency).map(|minor| {
            event(
                "balance",
                EventBody::Balance {
                    balance_minor: minor,
                    currency: n.currency,
                    validity_until: valid_until,
                    source: "sms".into(),
                },
            )
        })
    };
    let message = || {
        event(
            "message",
            EventBody::Message {
                source: "sms".into(),
                from: m.from.as_deref().map(|f| clean(f, 64)),
                text: clean(&m.text, MAX_TEXT),
            },
        )
    };
    match parsed {
        Parsed::Balance {
            balance: b,
            valid_until,
        } => balance(&b, valid_until).map_or_else(|| vec![message()], |e| vec![e]),
        Parsed::TopUp {
            amount,
            balance: b,
            valid_until,
        } => {
            let Some(money) = amount.money(n.currency) else {
                return vec![message()];
            };
            let mut out = vec![event(
                "statement",
                EventBody::Statement {
                    source: "sms".into(),
                    reference: reference.to_string(),
                    amount_minor: money.minor,
                    currency: n.currency,
                    text: clean(&m.text, 200),
                    refund_of: None,
                },
            )];
            out.extend(b.and_then(|b| balance(&b, valid_until)));
            out
        }
        Parsed::Other => vec![message()],
    }
}

fn parse_when(s: &str, config: &Config) -> Option<DateTime<FixedOffset>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d);
    }
    if let Ok(d) = DateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S%.f%z") {
        return Some(d);
    }
    // ModemManager's `+08` (an offset without minutes), read as a live text's time is, so
    // the same text imported and heard live has the same time and the same ids.
    if s.get(11..).is_some_and(|t| t.contains(['+', '-']))
        && let Some(d) = crate::modem::text::parse_timestamp(s)
    {
        return Some(d);
    }
    let naive = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y/%m/%d %H:%M:%S",
        "%Y/%m/%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())?;
    config
        .timezone
        .from_local_datetime(&naive)
        .earliest()
        .map(|d| d.fixed_offset())
}

/// Plain text: blank lines separate messages; `From:` and `Date:` lines open one.
fn plain_messages<R: BufRead>(reader: R, config: &Config) -> Result<Vec<Sms>, ImportError> {
    let mut out = Vec::new();
    let mut cur = Sms::default();
    let mut body: Vec<String> = Vec::new();
    let flush = |cur: &mut Sms, body: &mut Vec<String>, out: &mut Vec<Sms>| {
        if !body.is_empty() {
            cur.text = body.join("\n");
            out.push(std::mem::take(cur));
        } else if cur.from.is_some() || cur.date.is_some() {
            *cur = Sms::default();
        }
        body.clear();
    };
    let mut reader = reader;
    let mut raw = Vec::new();
    let mut after_cr = false;
    let mut n = 0u64;
    while next_line(&mut reader, &mut raw, &mut after_cr).map_err(|e| match e.kind() {
        std::io::ErrorKind::InvalidData => {
            ImportError::at(n + 1, tr!(T::ImportLongLine, MAX_TEXT_LINE >> 10))
        }
        _ => ImportError::whole(tr!(T::ImportRead, e)),
    })? {
        n += 1;
        let line = String::from_utf8(std::mem::take(&mut raw))
            .map_err(|_| ImportError::at(n, tr!(T::ImportEncoding)))?;
        if out.len() > MAX_EVENTS {
            return Err(ImportError::whole(tr!(T::ImportTooMany, MAX_EVENTS)));
        }
        let line = line.trim_end_matches('\r').trim_start_matches('\u{feff}');
        if line.trim().is_empty() {
            flush(&mut cur, &mut body, &mut out);
            continue;
        }
        if body.is_empty() {
            if cur.from.is_none() && cur.date.is_none() {
                cur.line = n;
            }
            if let Some(f) = line.strip_prefix("From:") {
                cur.from = Some(f.trim().to_string());
                continue;
            }
            if let Some(d) = line.strip_prefix("Date:") {
                cur.date = Some(
                    parse_when(d, config)
                        .ok_or_else(|| ImportError::at(n, tr!(T::ImportBadDate, d.trim())))?,
                );
                continue;
            }
            if cur.line == 0 {
                cur.line = n;
            }
        }
        if body.len() < 64 {
            body.push(line.to_string());
        }
    }
    flush(&mut cur, &mut body, &mut out);
    Ok(out)
}

/// The next line into `line` (without its end), lines ended as an editor ends them: by
/// `\n`, `\r\n` or a lone `\r` (old Mac files). `false` at the end. A line longer than
/// [`MAX_TEXT_LINE`] fails with `InvalidData` before more of it is held.
fn next_line<R: BufRead>(
    r: &mut R,
    line: &mut Vec<u8>,
    after_cr: &mut bool,
) -> std::io::Result<bool> {
    line.clear();
    let mut any = false;
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(any);
        }
        if *after_cr {
            *after_cr = false;
            if buf[0] == b'\n' {
                r.consume(1);
                continue;
            }
        }
        any = true;
        match memchr::memchr2(b'\n', b'\r', buf) {
            Some(i) => {
                line.extend_from_slice(&buf[..i]);
                *after_cr = buf[i] == b'\r';
                r.consume(i + 1);
                return if line.len() > MAX_TEXT_LINE {
                    Err(std::io::ErrorKind::InvalidData.into())
                } else {
                    Ok(true)
                };
            }
            None => {
                line.extend_from_slice(buf);
                let n = buf.len();
                r.consume(n);
                if line.len() > MAX_TEXT_LINE {
                    return Err(std::io::ErrorKind::InvalidData.into());
                }
            }
        }
    }
}

/// JSON: an array or a stream of objects, each a termux, SMS Gateway or mmcli message.
/// Read whole up to [`MAX_JSON`] (a larger export is refused, never cut short); each
/// message is turned into an [`Sms`] as it is parsed, so only one is held as JSON.
fn json_messages<R: Read>(reader: R, config: &Config) -> Result<Vec<Sms>, ImportError> {
    let mut text = String::new();
    reader
        .take(MAX_JSON + 1)
        .read_to_string(&mut text)
        .map_err(|e| {
            crate::import::archive::stopped(&e)
                .unwrap_or_else(|| ImportError::at(1, tr!(T::ImportEncoding)))
        })?;
    if text.len() as u64 > MAX_JSON {
        return Err(ImportError::whole(tr!(
            T::ImportJsonTooLarge,
            MAX_JSON >> 20
        )));
    }
    let mut out = Vec::new();
    let mut index = 0usize;
    let mut take = |v: Value| -> Result<(), ImportError> {
        index += 1;
        let m = json_message(&v, config)
            .ok_or_else(|| ImportError::at(index as u64, tr!(T::ImportJsonShape, index)))?;
        if let Some(mut m) = m {
            m.line = index as u64;
            out.push(m);
            if out.len() > MAX_EVENTS {
                return Err(ImportError::whole(tr!(T::ImportTooMany, MAX_EVENTS)));
            }
        }
        Ok(())
    };
    let json_error = |e: serde_json::Error| ImportError::at(e.line() as u64, tr!(T::ImportJson, e));
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\u{feff}');
    let mut de = serde_json::Deserializer::from_str(trimmed);
    if trimmed.starts_with('[') {
        let mut failed = None;
        serde::Deserializer::deserialize_seq(
            &mut de,
            Each {
                take: &mut take,
                failed: &mut failed,
            },
        )
        .map_err(|e| failed.take().unwrap_or_else(|| json_error(e)))?;
        de.end().map_err(json_error)?;
    } else {
        for v in de.into_iter::<Value>() {
            match v.map_err(json_error)? {
                Value::Array(items) => {
                    for v in items {
                        take(v)?;
                    }
                }
                v => take(v)?,
            }
        }
    }
    Ok(out)
}

/// Hands each element of a JSON array to `take` as it is parsed.
struct Each<'a, F> {
    take: &'a mut F,
    failed: &'a mut Option<ImportError>,
}

impl<'de, F: FnMut(Value) -> Result<(), ImportError>> serde::de::Visitor<'de> for Each<'_, F> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of messages")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            if let Err(e) = (self.take)(v) {
                *self.failed = Some(e);
                return Err(serde::de::Error::custom("stopped"));
            }
        }
        Ok(())
    }
}

/// One JSON message, in whichever of the three shapes it is; `Ok(None)`-like `Some(None)`
/// for an entry that is not a received text (a sent one, an other webhook event).
fn json_message(v: &Value, config: &Config) -> Option<Option<Sms>> {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    let date = |t: Option<String>| t.and_then(|t| parse_when(&t, config));
    // SMS Gateway for Android webhook.
    if let Some(event) = v.get("event").and_then(Value::as_str) {
        if event != "sms:received" {
            return Some(None);
        }
        let p = v.get("payload")?;
        return Some(Some(Sms {
            from: s(p, "phoneNumber").or_else(|| s(p, "sender")),
            date: date(s(p, "receivedAt")),
            text: s(p, "message")?,
            ..Sms::default()
        }));
    }
    // ModemManager: {"sms": {"content": {...}, "properties": {...}}}.
    if let Some(sms) = v.get("sms") {
        let c = sms.get("content")?;
        let p = sms.get("properties");
        if p.and_then(|p| s(p, "pdu-type"))
            .is_some_and(|t| t == "submit")
        {
            return Some(None);
        }
        return Some(Some(Sms {
            from: s(c, "number"),
            date: date(p.and_then(|p| s(p, "timestamp"))),
            text: s(c, "text")?,
            ..Sms::default()
        }));
    }
    // termux-sms-list.
    if v.get("body").is_some() {
        if s(v, "type").is_some_and(|t| t != "inbox") {
            return Some(None);
        }
        return Some(Some(Sms {
            from: s(v, "number").or_else(|| s(v, "sender")),
            date: date(s(v, "received")),
            text: s(v, "body")?,
            ..Sms::default()
        }));
    }
    None
}

#[cfg(test)]
mod arrival_tests {
    use super::*;

    #[test]
    fn an_arriving_text_is_evidence_or_a_message_and_the_same_text_has_the_same_ids() {
        let now: chrono::DateTime<chrono::Utc> = "2026-11-25T10:00:00Z".parse().unwrap();
        let (config, _) = crate::home::demo::events(now);
        let n = config.number("cmcc").unwrap();
        let local = now.fixed_offset();
        let topup = "【中国移动】尊敬的客户，您于2026年11月01日00:00通过支付宝充值50.00元已到账，当前可用余额为58.00元。";
        let date = chrono::DateTime::parse_from_rfc3339("2026-11-01T00:02:00+08:00").ok();
        let a = events_of_text(n, Some("10086"), date, topup, local);
        assert!(
            a.iter().any(|e| matches!(
                &e.body,
                EventBody::Statement {
                    amount_minor: 5000,
                    ..
                }
            )),
            "{a:?}"
        );
        let again = events_of_text(n, Some("10086"), date, topup, local);
        let ids = |v: &[Event]| v.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
        assert_eq!(ids(&a), ids(&again));
        // The same text in `mmcli -J` output (its D-Bus path is no name) has the same ids.
        let mmcli = format!(
            r#"{{"sms":{{"dbus-path":"/org/freedesktop/ModemManager1/SMS/7","content":{{"number":"10086","text":"{topup}"}},"properties":{{"pdu-type":"deliver","timestamp":"2026-11-01T00:02:00+08"}}}}}}"#
        );
        let read = read(&config, Some(n), mmcli.as_bytes(), local).expect("mmcli reads");
        assert_eq!(ids(&read.events), ids(&a), "{read:?}");
        let code = "【中国移动】您的验证码是 482913，5分钟内有效，请勿泄露。";
        let m = events_of_text(n, Some("10086"), date, code, local);
        assert!(
            matches!(
                m.as_slice(),
                [Event {
                    body: EventBody::Message { .. },
                    ..
                }]
            ),
            "{m:?}"
        );
    }
}
