//! Telegram: `tgram://bottoken/chat_id`. `sendMessage` with JSON `chat_id, text`; success is
//! `ok == true`, else the answer's `description`.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::http::{self, Request};
use super::url::Parts;
use super::{Failure, Http, Kind, Message, Parsed, Service};

const MAX_TEXT: usize = 4096;

struct Telegram {
    base: String,
    token: String,
    chat: String,
}

pub(super) fn parse(p: &Parts) -> Result<Parsed, String> {
    let t = Telegram {
        base: p.base_or("https://api.telegram.org"),
        token: p.host.clone(),
        chat: p.one_path("chat_id")?,
    };
    let secrets = vec![t.token.clone()];
    Ok(Parsed {
        service: Service::Http(Box::new(t)),
        secrets,
    })
}

impl Http for Telegram {
    fn request(&self, m: &Message, _now: DateTime<Utc>) -> Request {
        Request::json(
            format!("{}/bot{}/sendMessage", self.base, self.token),
            json!({
                "chat_id": self.chat,
                "text": super::cut_chars(&m.text(), MAX_TEXT),
            }),
        )
    }

    fn judge(&self, status: u16, body: &str) -> Result<(), Failure> {
        let v = http::json(body);
        if (200..300).contains(&status)
            && v.as_ref().and_then(|v| v.get("ok")?.as_bool()) == Some(true)
        {
            return Ok(());
        }
        match &v {
            Some(v) if v.get("ok").is_some() => Err(http::failure(
                Kind::Telegram,
                http::field(v, "description").as_deref(),
                http::field(v, "error_code"),
            )),
            _ if !(200..300).contains(&status) => {
                Err(http::http_status(Kind::Telegram, status, None))
            }
            _ => Err(http::unexpected(Kind::Telegram, body)),
        }
    }
}
