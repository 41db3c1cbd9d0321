//! Push channels: one Apprise-style URL each (`ntfy://topic`, `dingtalk://secret@token`, …),
//! parsed here, sent through the program's one HTTP client (`crate::net`) or SMTP, and judged
//! by each service's own answer (HTTP 200 with an error code is a failure). One small module
//! per service. Never prints a key: every key, token, password and `${NAME}` value is a
//! secret, replaced wherever baohao writes or shows text.

pub mod compose;
pub mod digest;
pub mod message;
pub mod url;

mod bark;
mod dingtalk;
mod email;
mod feishu;
mod gotify;
mod http;
mod ntfy;
mod pushover;
mod pushplus;
mod serverchan;
mod telegram;
mod webhook;
mod wecom;

use chrono::{DateTime, Utc};

pub use http::{Body, Request};
pub use message::Message;
pub use url::Env;

/// The longest reason kept for a failed send (the service's words are cut to less).
const MAX_REASON: usize = 300;
/// The longest part of a reason quoted from a service's answer.
pub(crate) const MAX_SERVICE_WORDS: usize = 160;

/// The longest title sent to a service that sets no limit of its own (ntfy, Bark,
/// DingTalk, Gotify, a webhook, an email subject): more than any lock screen shows, cut
/// with `…` so a long label cannot make a request the service refuses.
pub(crate) const MAX_TITLE: usize = 100;
/// The longest body sent to a service that sets no limit of its own (Gotify, a webhook).
pub(crate) const MAX_BODY_BYTES: usize = 4096;

/// How long one send may take before it counts as failed (and is retried later).
pub const SEND_TIMEOUT_SECS: u64 = 20;

/// The services baohao speaks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Ntfy,
    Bark,
    ServerChan,
    PushPlus,
    WeCom,
    DingTalk,
    Feishu,
    Lark,
    Telegram,
    Gotify,
    Pushover,
    Email,
    Webhook,
}

impl Kind {
    pub const ALL: [Kind; 13] = [
        Kind::Ntfy,
        Kind::Bark,
        Kind::ServerChan,
        Kind::PushPlus,
        Kind::WeCom,
        Kind::DingTalk,
        Kind::Feishu,
        Kind::Lark,
        Kind::Telegram,
        Kind::Gotify,
        Kind::Pushover,
        Kind::Email,
        Kind::Webhook,
    ];

    /// The service's own name, as its failures are reported (`DingTalk: sign not match`).
    pub fn name(self) -> &'static str {
        match self {
            Kind::Ntfy => "ntfy",
            Kind::Bark => "Bark",
            Kind::ServerChan => "ServerChan",
            Kind::PushPlus => "PushPlus",
            Kind::WeCom => "WeCom",
            Kind::DingTalk => "DingTalk",
            Kind::Feishu => "Feishu",
            Kind::Lark => "Lark",
            Kind::Telegram => "Telegram",
            Kind::Gotify => "Gotify",
            Kind::Pushover => "Pushover",
            Kind::Email => "email",
            Kind::Webhook => "webhook",
        }
    }

    pub fn of_scheme(scheme: &str) -> Option<Kind> {
        Some(match scheme {
            "ntfy" | "ntfys" => Kind::Ntfy,
            "bark" | "barks" => Kind::Bark,
            "schan" => Kind::ServerChan,
            "pushplus" => Kind::PushPlus,
            "wecombot" => Kind::WeCom,
            "dingtalk" => Kind::DingTalk,
            "feishu" => Kind::Feishu,
            "lark" => Kind::Lark,
            "tgram" => Kind::Telegram,
            "gotify" | "gotifys" => Kind::Gotify,
            "pover" => Kind::Pushover,
            "mailto" | "mailtos" => Kind::Email,
            "json" | "jsons" | "form" | "forms" => Kind::Webhook,
            _ => return None,
        })
    }
}

/// Why a send did not go through, in the service's own words, and whether to try again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub reason: String,
    /// `false` when the service said trying again cannot help (PushPlus 900).
    pub retry: bool,
}

impl Failure {
    pub fn new(reason: impl Into<String>) -> Failure {
        Failure {
            reason: reason.into(),
            retry: true,
        }
    }
}

/// A service's request and the reading of its answer.
trait Http: Send + Sync {
    fn request(&self, m: &Message, now: DateTime<Utc>) -> Request;
    /// `Ok` only when the answer says the message was accepted.
    fn judge(&self, status: u16, body: &str) -> Result<(), Failure>;
}

enum Service {
    Http(Box<dyn Http>),
    Email(email::Email),
}

/// One push channel, ready to send.
pub struct Channel {
    /// The URL as the config has it (`${NAME}` not expanded).
    pub written: String,
    pub kind: Kind,
    service: Service,
    /// Every value that must never be shown (keys, tokens, passwords, expanded variables).
    secrets: Vec<String>,
    /// How long one send may take (`?rto=`, else `SEND_TIMEOUT_SECS`).
    timeout: std::time::Duration,
}

/// What a service module gives back: the service and the parts of its URL that are secret.
struct Parsed {
    service: Service,
    secrets: Vec<String>,
}

impl Channel {
    /// Reads a channel URL, `${NAME}` from `env`. Its secrets are remembered for the
    /// process's redaction (`crate::secrets`).
    pub fn parse(written: &str, env: &Env) -> Result<Channel, String> {
        let parts = url::split(written, env)?;
        let Some(kind) = Kind::of_scheme(&parts.scheme) else {
            return Err(crate::tr!(crate::i18n::T::ChanUnknownScheme, parts.scheme));
        };
        let parsed = match kind {
            Kind::Ntfy => ntfy::parse(&parts),
            Kind::Bark => bark::parse(&parts),
            Kind::ServerChan => serverchan::parse(&parts),
            Kind::PushPlus => pushplus::parse(&parts),
            Kind::WeCom => wecom::parse(&parts),
            Kind::DingTalk => dingtalk::parse(&parts),
            Kind::Feishu | Kind::Lark => feishu::parse(&parts, kind),
            Kind::Telegram => telegram::parse(&parts),
            Kind::Gotify => gotify::parse(&parts),
            Kind::Pushover => pushover::parse(&parts),
            Kind::Email => email::parse(&parts),
            Kind::Webhook => webhook::parse(&parts),
        }?;
        let mut secrets = parsed.secrets;
        secrets.extend(parts.from_env.iter().cloned());
        secrets.retain(|s| !s.is_empty());
        // A secret as a URL writes it (`p%40ss`): the written URL must not show it either.
        let escaped: Vec<String> = secrets
            .iter()
            .map(|s| compose::escape(s, &['/', '?', '@', '#', ' ', ':']))
            .filter(|e| !secrets.contains(e))
            .collect();
        secrets.extend(escaped);
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        secrets.dedup();
        if matches!(env, Env::Process) {
            crate::secrets::remember_values(&secrets);
        }
        Ok(Channel {
            written: written.trim().to_string(),
            kind,
            service: parsed.service,
            secrets,
            timeout: std::time::Duration::from_secs(
                parts.timeout_secs.unwrap_or(SEND_TIMEOUT_SECS),
            ),
        })
    }

    /// A stable name for this channel in the log: its kind and a hash of the URL as
    /// written (the same URL keeps its deliveries across restarts and reorderings).
    pub fn id(&self) -> String {
        id_of(&self.written)
    }

    /// The URL for people to read: every secret part replaced.
    pub fn label(&self) -> String {
        redact(&self.written, &self.secrets)
    }

    /// `text` with this channel's secrets replaced.
    pub fn redact(&self, text: &str) -> String {
        redact(text, &self.secrets)
    }

    /// The HTTP request this channel would make (tests, and the TUI's preview).
    pub fn request(&self, m: &Message, now: DateTime<Utc>) -> Option<Request> {
        match &self.service {
            Service::Http(s) => Some(s.request(m, now)),
            Service::Email(_) => None,
        }
    }

    /// Sends `m` once. The reason of a failure never holds a secret.
    pub async fn send(
        &self,
        client: &reqwest::Client,
        m: &Message,
        now: DateTime<Utc>,
    ) -> Result<(), Failure> {
        let r = match &self.service {
            Service::Http(s) => match http::send(client, s.request(m, now), self.timeout).await {
                Ok((status, body)) => s.judge(status, &body),
                Err(why) => Err(Failure::new(format!("{}: {why}", self.kind.name()))),
            },
            Service::Email(e) => e.send(m, self.timeout).await,
        };
        r.map_err(|f| Failure {
            // One line; the service's words were cut where they came in (`http::failure`), so
            // that the code after them survives.
            reason: crate::secrets::redact(
                &self.redact(&crate::text::clean::line(&cut_chars(&f.reason, MAX_REASON))),
            )
            .into_owned(),
            retry: f.retry,
        })
    }
}

/// Sends the test message through the channel written as `written`, now: `Ok`, or the
/// service's own reason (or why the URL cannot be used). Never holds a secret. What
/// `notify test` and the TUI's `t` do.
pub async fn test(
    written: &str,
    client: &reqwest::Client,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let c = Channel::parse(written, &Env::Process)
        .map_err(|why| crate::secrets::redact(&why).into_owned())?;
    c.send(client, &Message::test(), now)
        .await
        .map_err(|f| f.reason)
}

/// The log's name for the channel written as `written`.
pub fn id_of(written: &str) -> String {
    crate::model::channel_id(written)
}

/// Whether `written` is a channel baohao can use, its `${NAME}`s not read (the config is
/// checked where the variables may not be set): the sentence saying why not.
pub fn check(written: &str) -> Result<(), String> {
    Channel::parse(written, &Env::Placeholder).map(|_| ())
}

/// `written` shown without its secrets, also when it cannot be parsed.
pub fn label_of(written: &str) -> String {
    match Channel::parse(written, &Env::Placeholder) {
        Ok(c) => {
            // Placeholders stand for `${NAME}`s, which are shown as written.
            let literal: Vec<String> = c
                .secrets
                .iter()
                .filter(|s| written.contains(s.as_str()))
                .cloned()
                .collect();
            redact(written, &literal)
        }
        Err(_) => match written.split_once("://") {
            Some((scheme, _)) => format!("{scheme}://•••"),
            None => "•••".to_string(),
        },
    }
}

fn redact(text: &str, secrets: &[String]) -> String {
    let mut out = text.to_string();
    for s in secrets {
        if s.len() >= 3 && out.contains(s.as_str()) {
            out = out.replace(s.as_str(), "•••");
        }
    }
    out
}

/// `s` cut to at most `max` characters, the cut marked with `…`.
pub fn cut_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// `s` cut to at most `max` bytes of UTF-8 (never inside a character), marked with `…`.
pub fn cut_bytes(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let room = max.saturating_sub('…'.len_utf8());
    let mut end = room;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cuts_keep_within_the_limit_and_say_so() {
        assert_eq!(cut_chars("abcdef", 4), "abc…");
        assert_eq!(cut_chars("abc", 4), "abc");
        let zh = "保号".repeat(3000);
        let c = cut_bytes(&zh, 4096);
        assert!(c.len() <= 4096 && c.ends_with('…'), "{}", c.len());
    }

    /// Every string value of a request body, with its key.
    fn strings(r: &Request) -> Vec<(String, String)> {
        fn walk(key: &str, v: &serde_json::Value, out: &mut Vec<(String, String)>) {
            match v {
                serde_json::Value::String(s) => out.push((key.to_string(), s.clone())),
                serde_json::Value::Object(m) => m.iter().for_each(|(k, v)| walk(k, v, out)),
                serde_json::Value::Array(a) => a.iter().for_each(|v| walk(key, v, out)),
                _ => {}
            }
        }
        let mut out = Vec::new();
        match &r.body {
            Body::Json(v) => walk("", v, &mut out),
            Body::Form(f) => out.extend(f.iter().map(|(k, v)| (k.to_string(), v.clone()))),
        }
        out
    }

    #[test]
    fn without_a_base_each_service_is_sent_to_its_own_address_unsigned_when_no_secret() {
        let now: DateTime<Utc> = "2026-12-04T12:00:00Z".parse().expect("time");
        let m = Message::test();
        for (url, address) in [
            ("ntfy://alerts", "https://ntfy.sh/"),
            ("ntfy://ntfy.example.org/alerts", "http://ntfy.example.org/"),
            (
                "ntfys://ntfy.example.org/alerts",
                "https://ntfy.example.org/",
            ),
            ("bark://api.day.app/KEY", "http://api.day.app/push"),
            ("barks://api.day.app/KEY", "https://api.day.app/push"),
            (
                "schan://SCT123abc",
                "https://sctapi.ftqq.com/SCT123abc.send",
            ),
            (
                "schan://sctp42tABC",
                "https://42.push.ft07.com/send/sctp42tABC.send",
            ),
            ("pushplus://tok", "https://www.pushplus.plus/send"),
            (
                "wecombot://k3y",
                "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k3y",
            ),
            (
                "dingtalk://tok",
                "https://oapi.dingtalk.com/robot/send?access_token=tok",
            ),
            (
                "feishu://tok",
                "https://open.feishu.cn/open-apis/bot/v2/hook/tok",
            ),
            (
                "lark://tok",
                "https://open.larksuite.com/open-apis/bot/v2/hook/tok",
            ),
            (
                "tgram://123:ABC/456",
                "https://api.telegram.org/bot123:ABC/sendMessage",
            ),
            ("gotify://g.example.org/tok", "http://g.example.org/message"),
            (
                "pover://user@tok",
                "https://api.pushover.net/1/messages.json",
            ),
        ] {
            let c = Channel::parse(url, &Env::Process).unwrap_or_else(|e| panic!("{url}: {e}"));
            let r = c.request(&m, now).expect("an HTTP channel");
            assert_eq!(r.url, address, "{url}");
            if url.starts_with("ntfy://alerts") {
                assert!(
                    strings(&r).contains(&("topic".into(), "alerts".into())),
                    "{r:?}"
                );
                assert!(r.headers.is_empty() && r.basic.is_none(), "{r:?}");
            }
            if url.starts_with("dingtalk") || url.starts_with("feishu") || url.starts_with("lark") {
                // No secret: no signature, in the query or the body.
                assert!(
                    !r.url.contains("sign=") && !r.url.contains("timestamp="),
                    "{url}"
                );
                assert!(strings(&r).iter().all(|(k, _)| k != "sign"), "{url}: {r:?}");
            }
        }
    }

    #[test]
    fn a_long_title_or_body_is_cut_to_what_each_service_takes() {
        let now: DateTime<Utc> = "2026-12-04T12:00:00Z".parse().expect("time");
        let m = Message {
            title: "保号".repeat(400),
            body: "余额不足，请尽快充值。".repeat(2000),
            event: "low_balance".into(),
            number: "cmcc".into(),
            urgent: false,
        };
        for url in [
            "ntfy://alerts",
            "bark://h/k",
            "schan://SCT1",
            "pushplus://t",
            "wecombot://k",
            "dingtalk://t",
            "feishu://t",
            "tgram://1:A/2",
            "gotify://h/t",
            "pover://u@t",
            "json://h/p",
            "form://h/p",
        ] {
            let c = Channel::parse(url, &Env::Process).unwrap_or_else(|e| panic!("{url}: {e}"));
            let r = c.request(&m, now).expect("an HTTP channel");
            let fields = strings(&r);
            let title = fields.iter().find(|(k, _)| k == "title");
            if let Some((_, t)) = title {
                // Pushover's own limit is 250; every other is MAX_TITLE or less.
                let max = if url.starts_with("pover") {
                    250
                } else {
                    MAX_TITLE
                };
                assert!(t.chars().count() <= max && t.ends_with('…'), "{url}: {t}");
            }
            for (k, v) in &fields {
                assert!(v.len() <= 64 << 10, "{url}: {k} is {} bytes", v.len());
                if v.len() > 1000 {
                    assert!(v.ends_with('…'), "{url}: {k} cut without saying so");
                }
            }
            if url.starts_with("bark") {
                let payload: usize = fields.iter().map(|(k, v)| k.len() + v.len()).sum();
                assert!(
                    payload < 4000,
                    "bark: {payload} bytes, over an APNs payload"
                );
            }
        }
    }

    #[test]
    fn labels_hide_keys_but_show_variable_names() {
        assert_eq!(label_of("pushplus://abcdef123456"), "pushplus://•••");
        assert_eq!(label_of("pushplus://${PP_TOKEN}"), "pushplus://${PP_TOKEN}");
        assert_eq!(
            label_of("dingtalk://SECabc123@tok987654"),
            "dingtalk://•••@•••"
        );
        assert_eq!(label_of("ntfy://alerts"), "ntfy://alerts");
    }

    #[test]
    fn the_id_is_stable_and_names_the_kind() {
        assert_eq!(id_of("ntfy://a"), id_of(" ntfy://a "));
        assert_ne!(id_of("ntfy://a"), id_of("ntfy://b"));
        assert!(id_of("bark://h/k").starts_with("bark:"));
    }

    #[test]
    fn every_kind_is_told_apart_by_its_scheme_and_bad_urls_say_why() {
        for url in [
            "ntfy://t",
            "bark://h/k",
            "schan://SCT1abc",
            "pushplus://t",
            "wecombot://k",
            "dingtalk://t",
            "feishu://t",
            "lark://t",
            "tgram://1:A/2",
            "gotify://h/t",
            "pover://u@t",
            "mailto://u:p@h?to=a@b.c",
            "json://h/p",
        ] {
            check(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        }
        for url in [
            "foo://x",
            "tgram://1:A",
            "bark://h",
            "gotify://h",
            "pover://t",
        ] {
            assert!(check(url).is_err(), "{url}");
        }
    }
}
