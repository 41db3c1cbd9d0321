//! ServerChan Turbo: `schan://sendkey`. `POST https://sctapi.ftqq.com/<key>.send` with
//! `title, desp`; keys `sctp<N>t…` (ServerChan³) go to `https://<N>.push.ft07.com/send/<key>.send`.
//! Success is `code == 0`.

use chrono::{DateTime, Utc};
use serde_json::json;

use super::http::{self, Request};
use super::url::Parts;
use super::{Failure, Http, Kind, Message, Parsed, Service};

/// ServerChan cuts titles at 32 characters; say so with `…` ourselves.
const MAX_TITLE: usize = 32;
const MAX_DESP_BYTES: usize = 30_000;

struct ServerChan {
    url: String,
}

/// The number `N` of a `sctp<N>t…` key.
fn sctp_number(key: &str) -> Option<&str> {
    let rest = key.strip_prefix("sctp")?;
    let end = rest.find('t')?;
    let n = &rest[..end];
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(n)
}

pub(super) fn parse(p: &Parts) -> Result<Parsed, String> {
    let key = p.host.clone();
    let url = match (sctp_number(&key), &p.base) {
        (Some(_), Some(b)) => format!("{b}/send/{key}.send"),
        (Some(n), None) => format!("https://{n}.push.ft07.com/send/{key}.send"),
        (None, Some(b)) => format!("{b}/{key}.send"),
        (None, None) => format!("https://sctapi.ftqq.com/{key}.send"),
    };
    Ok(Parsed {
        service: Service::Http(Box::new(ServerChan { url })),
        secrets: vec![key],
    })
}

impl Http for ServerChan {
    fn request(&self, m: &Message, _now: DateTime<Utc>) -> Request {
        Request::json(
            self.url.clone(),
            json!({
                "title": super::cut_chars(&m.title, MAX_TITLE),
                "desp": super::cut_bytes(&m.markdown(), MAX_DESP_BYTES),
            }),
        )
    }

    fn judge(&self, status: u16, body: &str) -> Result<(), Failure> {
        http::by_code(Kind::ServerChan, status, body, "code", 0, "message")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn sctp_keys_name_their_server() {
        assert_eq!(super::sctp_number("sctp12345tABCdef"), Some("12345"));
        assert_eq!(super::sctp_number("SCT12345TABC"), None);
        assert_eq!(super::sctp_number("sctpxt"), None);
    }
}
