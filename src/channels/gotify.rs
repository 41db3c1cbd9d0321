//! Gotify: `gotify://host[/path]/token`, `gotifys://…`. `POST /message` with JSON
//! `title, message, priority` (the token in `X-Gotify-Key`); success is HTTP 200 with an `id`.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::http::{self, Request};
use super::url::Parts;
use super::{Failure, Http, Kind, Message, Parsed, Service};

struct Gotify {
    base: String,
    token: String,
}

pub(super) fn parse(p: &Parts) -> Result<Parsed, String> {
    let Some((token, prefix)) = p.path.split_last() else {
        return Err(crate::tr!(crate::i18n::T::ChanMissingPart, "token"));
    };
    let mut base = format!("{}://{}", http::web_scheme(&p.scheme, "gotify"), p.host);
    for part in prefix {
        base.push('/');
        base.push_str(part);
    }
    let g = Gotify {
        base: p.base_or(base),
        token: token.clone(),
    };
    let secrets = vec![g.token.clone()];
    Ok(Parsed {
        service: Service::Http(Box::new(g)),
        secrets,
    })
}

impl Http for Gotify {
    fn request(&self, m: &Message, _now: DateTime<Utc>) -> Request {
        let mut r = Request::json(
            format!("{}/message", self.base),
            json!({
                "title": super::cut_chars(&m.title, super::MAX_TITLE),
                "message": super::cut_bytes(&m.body, super::MAX_BODY_BYTES),
                "priority": if m.urgent { 8 } else { 5 },
            }),
        );
        r.headers.push(("x-gotify-key", self.token.clone()));
        r
    }

    fn judge(&self, status: u16, body: &str) -> Result<(), Failure> {
        let v = http::json(body);
        if status == 200 && v.as_ref().is_some_and(|v| v.get("id").is_some()) {
            return Ok(());
        }
        match &v {
            Some(v) if v.get("errorCode").is_some() || v.get("error").is_some() => {
                let msg = http::field(v, "errorDescription").or_else(|| http::field(v, "error"));
                Err(http::failure(
                    Kind::Gotify,
                    msg.as_deref(),
                    http::field(v, "errorCode"),
                ))
            }
            _ if status != 200 => Err(http::http_status(Kind::Gotify, status, None)),
            _ => Err(http::unexpected(Kind::Gotify, body)),
        }
    }
}
