//! Bark: `bark://host/device_key`, `barks://host/device_key`. `POST /push` with JSON
//! `device_key, title, body, group, level`; success is `code == 200` in the answer.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::http::{self, Request};
use super::url::Parts;
use super::{Failure, Http, Kind, Message, Parsed, Service};

/// Apple's push payload is at most 4096 bytes, title and keys included: the body is cut
/// by bytes (Chinese is three a character), leaving room for a cut title and the keys.
const MAX_BODY_BYTES: usize = 3000;

struct Bark {
    base: String,
    key: String,
}

pub(super) fn parse(p: &Parts) -> Result<Parsed, String> {
    let key = p.one_path("device_key")?;
    let b = Bark {
        base: p.base_or(format!(
            "{}://{}",
            http::web_scheme(&p.scheme, "bark"),
            p.host
        )),
        key: key.clone(),
    };
    Ok(Parsed {
        service: Service::Http(Box::new(b)),
        secrets: vec![key],
    })
}

impl Http for Bark {
    fn request(&self, m: &Message, _now: DateTime<Utc>) -> Request {
        Request::json(
            format!("{}/push", self.base),
            json!({
                "device_key": self.key,
                "title": super::cut_chars(&m.title, super::MAX_TITLE),
                "body": super::cut_bytes(&m.body, MAX_BODY_BYTES),
                "group": "baohao",
                "level": if m.urgent { "timeSensitive" } else { "active" },
            }),
        )
    }

    fn judge(&self, status: u16, body: &str) -> Result<(), Failure> {
        http::by_code(Kind::Bark, status, body, "code", 200, "message")
    }
}
