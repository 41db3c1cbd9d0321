//! Bark: `bark://host/device_key`, `barks://host/device_key`. `POST /push` with JSON
//! `device_key, title, body, group, level`; success is `code == 200` in the answer.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::http::{self, Request};
use super::url::Parts;
use super::{Failure, Http, Kind, Message, Parsed, Service};

/// What a lock screen shows of a body.
const MAX_BODY: usize = 1000;

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
                "title": m.title,
                "body": super::cut_chars(&m.body, MAX_BODY),
                "group": "baohao",
                "level": if m.urgent { "timeSensitive" } else { "active" },
            }),
        )
    }

    fn judge(&self, status: u16, body: &str) -> Result<(), Failure> {
        http::by_code(Kind::Bark, status, body, "code", 200, "message")
    }
}
