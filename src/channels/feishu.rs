//! Feishu / Lark bot: `feishu://token`, `feishu://secret@token`, `lark://…`. With a secret,
//! `timestamp` (s) and `sign` (base64 HMAC-SHA256 with key = `timestamp + "\n" + secret`
//! over an empty message) go in the body. Success is `code == 0`.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::http::{self, Request};
use super::url::Parts;
use super::{Failure, Http, Kind, Message, Parsed, Service};

const MAX_TEXT: usize = 4000;

struct Feishu {
    kind: Kind,
    base: String,
    token: String,
    secret: Option<String>,
}

pub(super) fn parse(p: &Parts, kind: Kind) -> Result<Parsed, String> {
    let default = match kind {
        Kind::Lark => "https://open.larksuite.com",
        _ => "https://open.feishu.cn",
    };
    let f = Feishu {
        kind,
        base: p.base_or(default),
        token: p.host.clone(),
        secret: p.user.clone(),
    };
    let secrets = std::iter::once(&f.token)
        .chain(&f.secret)
        .cloned()
        .collect();
    Ok(Parsed {
        service: Service::Http(Box::new(f)),
        secrets,
    })
}

/// Feishu's signature of `timestamp` (seconds).
pub fn sign(secret: &str, timestamp: i64) -> String {
    http::hmac_base64(format!("{timestamp}\n{secret}").as_bytes(), b"")
}

impl Http for Feishu {
    fn request(&self, m: &Message, now: DateTime<Utc>) -> Request {
        let mut body = json!({
            "msg_type": "text",
            "content": { "text": super::cut_chars(&m.text(), MAX_TEXT) },
        });
        if let Some(s) = &self.secret {
            let ts = now.timestamp();
            body["timestamp"] = json!(ts.to_string());
            body["sign"] = json!(sign(s, ts));
        }
        Request::json(
            format!("{}/open-apis/bot/v2/hook/{}", self.base, self.token),
            body,
        )
    }

    fn judge(&self, status: u16, body: &str) -> Result<(), Failure> {
        // Older bots answer `StatusCode` instead of `code`.
        let key = match http::json(body) {
            Some(v) if v.get("code").is_none() && v.get("StatusCode").is_some() => "StatusCode",
            _ => "code",
        };
        let msg = if key == "code" {
            "msg"
        } else {
            "StatusMessage"
        };
        http::by_code(self.kind, status, body, key, 0, msg)
    }
}
