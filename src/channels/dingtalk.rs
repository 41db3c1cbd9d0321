//! DingTalk (钉钉) robot: `dingtalk://token`, `dingtalk://secret@token`. With a secret,
//! `timestamp` (ms) and `sign` (base64 HMAC-SHA256, key = secret, message =
//! `timestamp + "\n" + secret`, url-encoded) go in the query. Success is `errcode == 0`.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::http::{self, Request};
use super::url::Parts;
use super::{Failure, Http, Kind, Message, Parsed, Service};

const MAX_TEXT_BYTES: usize = 20_000;

struct DingTalk {
    base: String,
    token: String,
    secret: Option<String>,
}

pub(super) fn parse(p: &Parts) -> Result<Parsed, String> {
    let d = DingTalk {
        base: p.base_or("https://oapi.dingtalk.com"),
        token: p.host.clone(),
        secret: p.user.clone(),
    };
    let secrets = std::iter::once(&d.token)
        .chain(&d.secret)
        .cloned()
        .collect();
    Ok(Parsed {
        service: Service::Http(Box::new(d)),
        secrets,
    })
}

/// DingTalk's signature of `timestamp_ms`.
pub fn sign(secret: &str, timestamp_ms: i64) -> String {
    http::hmac_base64(
        secret.as_bytes(),
        format!("{timestamp_ms}\n{secret}").as_bytes(),
    )
}

impl Http for DingTalk {
    fn request(&self, m: &Message, now: DateTime<Utc>) -> Request {
        let url = format!("{}/robot/send", self.base);
        let url = match &self.secret {
            None => http::with_query(&url, &[("access_token", &self.token)]),
            Some(s) => {
                let ts = now.timestamp_millis();
                http::with_query(
                    &url,
                    &[
                        ("access_token", &self.token),
                        ("timestamp", &ts.to_string()),
                        ("sign", &sign(s, ts)),
                    ],
                )
            }
        };
        Request::json(
            url,
            json!({
                "msgtype": "markdown",
                "markdown": {
                    "title": super::cut_chars(&m.title, super::MAX_TITLE),
                    "text": super::cut_bytes(&m.markdown(), MAX_TEXT_BYTES),
                },
            }),
        )
    }

    fn judge(&self, status: u16, body: &str) -> Result<(), Failure> {
        http::by_code(Kind::DingTalk, status, body, "errcode", 0, "errmsg")
    }
}
