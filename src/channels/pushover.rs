//! Pushover: `pover://user@token`. `POST /1/messages.json` (a form of `token, user, title,
//! message`); success is `status == 1`, else the answer's `errors`.

use chrono::{DateTime, Utc};

use super::http::{self, Body, Request};
use super::url::Parts;
use super::{Failure, Http, Kind, Message, Parsed, Service};

const MAX_TITLE: usize = 250;
const MAX_MESSAGE: usize = 1024;

struct Pushover {
    base: String,
    user: String,
    token: String,
}

pub(super) fn parse(p: &Parts) -> Result<Parsed, String> {
    let Some(user) = p.user.clone() else {
        return Err(crate::tr!(crate::i18n::T::ChanMissingPart, "user@"));
    };
    let po = Pushover {
        base: p.base_or("https://api.pushover.net"),
        user,
        token: p.host.clone(),
    };
    let secrets = vec![po.user.clone(), po.token.clone()];
    Ok(Parsed {
        service: Service::Http(Box::new(po)),
        secrets,
    })
}

impl Http for Pushover {
    fn request(&self, m: &Message, _now: DateTime<Utc>) -> Request {
        Request {
            url: format!("{}/1/messages.json", self.base),
            body: Body::Form(vec![
                ("token", self.token.clone()),
                ("user", self.user.clone()),
                ("title", super::cut_chars(&m.title, MAX_TITLE)),
                ("message", super::cut_chars(&m.body, MAX_MESSAGE)),
                ("priority", if m.urgent { "1" } else { "0" }.to_string()),
            ]),
            headers: Vec::new(),
            basic: None,
        }
    }

    fn judge(&self, status: u16, body: &str) -> Result<(), Failure> {
        let v = http::json(body);
        let st = v.as_ref().and_then(|v| v.get("status")?.as_i64());
        if (200..300).contains(&status) && st == Some(1) {
            return Ok(());
        }
        let errors = v
            .as_ref()
            .and_then(|v| v.get("errors")?.as_array().cloned())
            .map(|a| {
                a.iter()
                    .filter_map(|e| e.as_str().map(str::to_string))
                    .collect::<Vec<_>>()
                    .join("; ")
            });
        match (errors, st) {
            (Some(e), _) => Err(http::failure(Kind::Pushover, Some(&e), None::<i64>)),
            (None, None) if !(200..300).contains(&status) => {
                Err(http::http_status(Kind::Pushover, status, None))
            }
            _ => Err(http::unexpected(Kind::Pushover, body)),
        }
    }
}
