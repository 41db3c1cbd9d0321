//! PushPlus: `pushplus://token`. `POST https://www.pushplus.plus/send` with JSON
//! `token, title, content, template`; success is `code == 200`. Code 900 means the account
//! is restricted: trying again cannot help, so it is never retried.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::http::{self, Request};
use super::url::Parts;
use super::{Failure, Http, Kind, Message, Parsed, Service};

const MAX_TITLE: usize = 100;
const MAX_CONTENT: usize = 20_000;
/// "用户账号使用受限": the account may not send.
const RESTRICTED: i64 = 900;

struct PushPlus {
    base: String,
    token: String,
}

pub(super) fn parse(p: &Parts) -> Result<Parsed, String> {
    let pp = PushPlus {
        base: p.base_or("https://www.pushplus.plus"),
        token: p.host.clone(),
    };
    let secrets = vec![pp.token.clone()];
    Ok(Parsed {
        service: Service::Http(Box::new(pp)),
        secrets,
    })
}

impl Http for PushPlus {
    fn request(&self, m: &Message, _now: DateTime<Utc>) -> Request {
        Request::json(
            format!("{}/send", self.base),
            json!({
                "token": self.token,
                "title": super::cut_chars(&m.title, MAX_TITLE),
                "content": super::cut_chars(&m.markdown(), MAX_CONTENT),
                "template": "markdown",
            }),
        )
    }

    fn judge(&self, status: u16, body: &str) -> Result<(), Failure> {
        let r = http::by_code(Kind::PushPlus, status, body, "code", 200, "msg");
        let code = http::json(body).and_then(|v| v.get("code")?.as_i64());
        r.map_err(|f| Failure {
            retry: code != Some(RESTRICTED),
            ..f
        })
    }
}
