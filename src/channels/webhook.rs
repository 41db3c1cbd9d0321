//! Any webhook: `json://host/path`, `jsons://…` (a JSON POST) or `form://…`, `forms://…` (a
//! form POST) of `title, message, event, number`; any 2xx is success.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::http::{self, Body, Request};
use super::url::Parts;
use super::{Failure, Http, Kind, Message, Parsed, Service};

struct Webhook {
    url: String,
    form: bool,
    basic: Option<(String, Option<String>)>,
}

pub(super) fn parse(p: &Parts) -> Result<Parsed, String> {
    let form = p.scheme.starts_with("form");
    let plain = if form { "form" } else { "json" };
    let mut url = p.base_or(format!(
        "{}://{}",
        http::web_scheme(&p.scheme, plain),
        p.host
    ));
    for part in &p.path {
        url.push('/');
        url.push_str(part);
    }
    if p.path.is_empty() {
        url.push('/');
    }
    let pairs: Vec<(&str, &str)> = p
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let w = Webhook {
        url: http::with_query(&url, &pairs),
        form,
        basic: p.user.clone().map(|u| (u, p.password.clone())),
    };
    let secrets = p.password.iter().cloned().collect();
    Ok(Parsed {
        service: Service::Http(Box::new(w)),
        secrets,
    })
}

impl Http for Webhook {
    fn request(&self, m: &Message, _now: DateTime<Utc>) -> Request {
        let title = super::cut_chars(&m.title, super::MAX_TITLE);
        let message = super::cut_bytes(&m.body, super::MAX_BODY_BYTES);
        let body = if self.form {
            Body::Form(vec![
                ("title", title),
                ("message", message),
                ("event", m.event.clone()),
                ("number", m.number.clone()),
            ])
        } else {
            Body::Json(json!({
                "title": title,
                "message": message,
                "event": m.event,
                "number": m.number,
            }))
        };
        Request {
            url: self.url.clone(),
            body,
            headers: Vec::new(),
            basic: self.basic.clone(),
        }
    }

    fn judge(&self, status: u16, _body: &str) -> Result<(), Failure> {
        if (200..300).contains(&status) {
            Ok(())
        } else {
            Err(http::http_status(Kind::Webhook, status, None))
        }
    }
}
