//! The HTTP side shared by the services: a request as data, sending it, and reading the
//! common shapes of answer (`{"code": 0, "msg": …}`). No service knowledge here.

use std::fmt::Display;
use std::time::Duration;

use super::{Failure, Kind};

/// One HTTP POST, as data (tests and the TUI read it; `send` makes it).
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub url: String,
    pub body: Body,
    pub headers: Vec<(&'static str, String)>,
    /// HTTP basic authentication (user, password).
    pub basic: Option<(String, Option<String>)>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Body {
    Json(serde_json::Value),
    Form(Vec<(&'static str, String)>),
}

impl Request {
    pub fn json(url: String, body: serde_json::Value) -> Request {
        Request {
            url,
            body: Body::Json(body),
            headers: Vec::new(),
            basic: None,
        }
    }
}

/// The largest answer read (services answer in a few hundred bytes).
const MAX_ANSWER: usize = 64 * 1024;

/// Sends `r`; the status and (the start of) the body, or why nothing came back.
pub async fn send(
    client: &reqwest::Client,
    r: Request,
    timeout: Duration,
) -> Result<(u16, String), String> {
    let describe = |e| describe(e, timeout);
    let mut b = client.post(&r.url).timeout(timeout);
    for (k, v) in &r.headers {
        b = b.header(*k, v);
    }
    if let Some((u, p)) = &r.basic {
        b = b.basic_auth(u, p.as_ref());
    }
    b = match &r.body {
        Body::Json(v) => b
            .header("content-type", "application/json; charset=utf-8")
            .body(v.to_string()),
        Body::Form(f) => b.form(f),
    };
    let resp = b.send().await.map_err(describe)?;
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.map_err(describe)?;
    let end = bytes.len().min(MAX_ANSWER);
    Ok((status, String::from_utf8_lossy(&bytes[..end]).into_owned()))
}

/// A transport error in a sentence, without the URL (it holds keys).
fn describe(e: reqwest::Error, timeout: Duration) -> String {
    let kind = if e.is_timeout() {
        crate::tr!(crate::i18n::T::ChanTimeout, timeout.as_secs())
    } else if e.is_connect() {
        crate::tr!(crate::i18n::T::ChanNoConnect)
    } else {
        crate::tr!(crate::i18n::T::ChanNoAnswer)
    };
    let e = e.without_url();
    let mut detail = e.to_string();
    let mut src = std::error::Error::source(&e);
    while let Some(s) = src {
        detail.push_str(": ");
        detail.push_str(&s.to_string());
        src = s.source();
    }
    format!("{kind} ({})", super::cut_chars(&detail, 200))
}

/// The answer as JSON, if it is.
pub fn json(body: &str) -> Option<serde_json::Value> {
    serde_json::from_str(body).ok()
}

/// The failure `Kind: message (code)`, or `Kind: HTTP status` when the answer says nothing.
pub fn failure(kind: Kind, message: Option<&str>, code: Option<impl Display>) -> Failure {
    let message = message
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(|m| super::cut_chars(m, super::MAX_SERVICE_WORDS));
    let message = message.as_deref();
    Failure::new(match (message, code) {
        (Some(m), Some(c)) => format!("{}: {m} ({c})", kind.name()),
        (Some(m), None) => format!("{}: {m}", kind.name()),
        (None, Some(c)) => format!(
            "{}: {} ({c})",
            kind.name(),
            crate::tr!(crate::i18n::T::ChanRefused)
        ),
        (None, None) => format!(
            "{}: {}",
            kind.name(),
            crate::tr!(crate::i18n::T::ChanRefused)
        ),
    })
}

/// A field of a JSON object as text (numbers and strings alike).
pub fn field(v: &serde_json::Value, name: &str) -> Option<String> {
    match v.get(name)? {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// The common check: the answer is JSON whose `code_key` is `ok`; else the service's
/// `msg_key` and code. HTTP errors with no such body say their status.
pub fn by_code(
    kind: Kind,
    status: u16,
    body: &str,
    code_key: &str,
    ok: i64,
    msg_key: &str,
) -> Result<(), Failure> {
    let v = json(body);
    let code = v
        .as_ref()
        .and_then(|v| v.get(code_key))
        .and_then(|c| c.as_i64().or_else(|| c.as_str()?.parse().ok()));
    if (200..300).contains(&status) && code == Some(ok) {
        return Ok(());
    }
    let msg = v.as_ref().and_then(|v| field(v, msg_key));
    match code {
        Some(c) => Err(failure(kind, msg.as_deref(), Some(c))),
        None if !(200..300).contains(&status) => Err(http_status(kind, status, msg.as_deref())),
        None => Err(unexpected(kind, body)),
    }
}

/// `Kind: HTTP 401` (with the service's words when it gave some).
pub fn http_status(kind: Kind, status: u16, message: Option<&str>) -> Failure {
    match message.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) => Failure::new(format!(
            "{}: HTTP {status}: {}",
            kind.name(),
            super::cut_chars(m, super::MAX_SERVICE_WORDS)
        )),
        None => Failure::new(format!("{}: HTTP {status}", kind.name())),
    }
}

/// An answer that is not the service's shape at all.
pub fn unexpected(kind: Kind, body: &str) -> Failure {
    let start: String = body.chars().take(80).collect();
    Failure::new(format!(
        "{}: {}",
        kind.name(),
        crate::tr!(crate::i18n::T::ChanUnexpected, start.trim())
    ))
}

/// Base64 HMAC-SHA256 of `message` under `key` (DingTalk's and Feishu's signatures).
pub fn hmac_base64(key: &[u8], message: &[u8]) -> String {
    use base64::Engine as _;
    use hmac::{KeyInit as _, Mac as _};
    // An HMAC takes a key of any length: this cannot fail.
    let mut mac = match hmac::Hmac::<sha2::Sha256>::new_from_slice(key) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(message);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// `base` + `path` + `?k=v&…`, the values escaped.
pub fn with_query(base: &str, pairs: &[(&str, &str)]) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        s.append_pair(k, v);
    }
    let q = s.finish();
    if q.is_empty() {
        base.to_string()
    } else if base.contains('?') {
        format!("{base}&{q}")
    } else {
        format!("{base}?{q}")
    }
}

/// `http` or `https` by whether the scheme ends in `s` (`ntfys`, `barks`, `jsons`).
pub fn web_scheme(scheme: &str, plain: &str) -> &'static str {
    if scheme != plain && scheme.ends_with('s') {
        "https"
    } else {
        "http"
    }
}
