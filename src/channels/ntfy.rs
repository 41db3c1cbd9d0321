//! ntfy: `ntfy://topic` (ntfy.sh over https), `ntfy://host/topic`, `ntfys://[token@]host/topic`.
//! A JSON publish to the server's root (JSON keeps Chinese titles intact); HTTP 200 is success.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::http::{self, Request};
use super::url::Parts;
use super::{Failure, Http, Kind, Message, Parsed, Service};

/// ntfy's message limit (bytes); longer ones become attachments.
const MAX_BODY: usize = 4096;

struct Ntfy {
    base: String,
    topic: String,
    token: Option<String>,
    password: Option<String>,
}

pub(super) fn parse(p: &Parts) -> Result<Parsed, String> {
    let (base, topic) = if p.path.is_empty() {
        ("https://ntfy.sh".to_string(), p.host.clone())
    } else {
        (
            format!("{}://{}", http::web_scheme(&p.scheme, "ntfy"), p.host),
            p.one_path("topic")?,
        )
    };
    let n = Ntfy {
        base: p.base_or(base),
        topic,
        token: p.user.clone(),
        password: p.password.clone(),
    };
    let secrets = n.token.iter().chain(&n.password).cloned().collect();
    Ok(Parsed {
        service: Service::Http(Box::new(n)),
        secrets,
    })
}

impl Http for Ntfy {
    fn request(&self, m: &Message, _now: DateTime<Utc>) -> Request {
        let mut r = Request::json(
            format!("{}/", self.base),
            json!({
                "topic": self.topic,
                "title": super::cut_chars(&m.title, super::MAX_TITLE),
                "message": super::cut_bytes(&m.body, MAX_BODY),
                "tags": [m.event],
                "priority": if m.urgent { 4 } else { 3 },
            }),
        );
        match (&self.token, &self.password) {
            (Some(u), Some(pw)) => r.basic = Some((u.clone(), Some(pw.clone()))),
            (Some(t), None) => r.headers.push(("authorization", format!("Bearer {t}"))),
            _ => {}
        }
        r
    }

    fn judge(&self, status: u16, body: &str) -> Result<(), Failure> {
        if status == 200 {
            return Ok(());
        }
        let v = http::json(body);
        let msg = v.as_ref().and_then(|v| http::field(v, "error"));
        let code = v.as_ref().and_then(|v| http::field(v, "code"));
        match code {
            Some(c) => Err(http::failure(Kind::Ntfy, msg.as_deref(), Some(c))),
            None => Err(http::http_status(Kind::Ntfy, status, msg.as_deref())),
        }
    }
}
