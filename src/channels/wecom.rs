//! WeCom (企业微信) group robot: `wecombot://key`. `POST …/cgi-bin/webhook/send?key=` with
//! `msgtype: markdown` (content at most 4096 bytes); success is `errcode == 0`.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::http::{self, Request};
use super::url::Parts;
use super::{Failure, Http, Kind, Message, Parsed, Service};

pub const MAX_CONTENT_BYTES: usize = 4096;

struct WeCom {
    base: String,
    key: String,
}

pub(super) fn parse(p: &Parts) -> Result<Parsed, String> {
    let w = WeCom {
        base: p.base_or("https://qyapi.weixin.qq.com"),
        key: p.host.clone(),
    };
    let secrets = vec![w.key.clone()];
    Ok(Parsed {
        service: Service::Http(Box::new(w)),
        secrets,
    })
}

impl Http for WeCom {
    fn request(&self, m: &Message, _now: DateTime<Utc>) -> Request {
        Request::json(
            http::with_query(
                &format!("{}/cgi-bin/webhook/send", self.base),
                &[("key", &self.key)],
            ),
            json!({
                "msgtype": "markdown",
                "markdown": { "content": super::cut_bytes(&m.markdown(), MAX_CONTENT_BYTES) },
            }),
        )
    }

    fn judge(&self, status: u16, body: &str) -> Result<(), Failure> {
        http::by_code(Kind::WeCom, status, body, "errcode", 0, "errmsg")
    }
}
