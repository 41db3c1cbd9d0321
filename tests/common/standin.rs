//! Loopback stand-ins for the push services of the channel table, one small HTTP/1.1 server on
//! 127.0.0.1:0 each (written by hand, so that it can also hang or drop a connection). Each
//! checks what its service checks: the method, the path, the headers and the body, and it
//! recomputes the DingTalk and Feishu signatures itself. A request the service would refuse
//! is answered with the service's own refusal and its faults are kept, so a test sees both
//! the binary's report and what was wrong. Channels point here with `?base=URL`.
//!
//! The email stand-in (`Smtp`) speaks as much SMTP as lettre needs, in plain text, after
//! STARTTLS or over TLS from the start.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine as _;
use hmac::{KeyInit as _, Mac as _};
use serde_json::{Value, json};

/// The services of the channel table that speak HTTP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Service {
    Ntfy,
    Bark,
    /// ServerChan Turbo (`SCT…` keys).
    ServerChan,
    /// ServerChan³ (`sctp<N>t…` keys, their own path).
    ServerChan3,
    PushPlus,
    WeCom,
    DingTalk,
    Feishu,
    Lark,
    Telegram,
    Gotify,
    Pushover,
    /// `json://`
    Json,
    /// `form://`
    Form,
}

pub const HTTP_SERVICES: [Service; 14] = [
    Service::Ntfy,
    Service::Bark,
    Service::ServerChan,
    Service::ServerChan3,
    Service::PushPlus,
    Service::WeCom,
    Service::DingTalk,
    Service::Feishu,
    Service::Lark,
    Service::Telegram,
    Service::Gotify,
    Service::Pushover,
    Service::Json,
    Service::Form,
];

impl Service {
    /// The name the binary gives the service in its reports (`DingTalk: …`).
    pub fn name(self) -> &'static str {
        match self {
            Service::Ntfy => "ntfy",
            Service::Bark => "Bark",
            Service::ServerChan | Service::ServerChan3 => "ServerChan",
            Service::PushPlus => "PushPlus",
            Service::WeCom => "WeCom",
            Service::DingTalk => "DingTalk",
            Service::Feishu => "Feishu",
            Service::Lark => "Lark",
            Service::Telegram => "Telegram",
            Service::Gotify => "Gotify",
            Service::Pushover => "Pushover",
            Service::Json | Service::Form => "webhook",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Service::Ntfy => "ntfy",
            Service::Bark => "bark",
            Service::ServerChan => "schan",
            Service::ServerChan3 => "schan3",
            Service::PushPlus => "pushplus",
            Service::WeCom => "wecom",
            Service::DingTalk => "dingtalk",
            Service::Feishu => "feishu",
            Service::Lark => "lark",
            Service::Telegram => "tgram",
            Service::Gotify => "gotify",
            Service::Pushover => "pover",
            Service::Json => "json",
            Service::Form => "form",
        }
    }

    /// The key (token, device key, send key…) this stand-in accepts: long and unlike any
    /// other text, so that a test can look for it anywhere.
    pub fn key(self) -> String {
        match self {
            Service::ServerChan => "SCT4711kQ9zXkeyserverchan".to_string(),
            Service::ServerChan3 => "sctp4711tQ9zXkeyserverchan3".to_string(),
            Service::Telegram => "4711:AAQ9zXkeytelegram".to_string(),
            s => format!("Q9zXkey{}", s.slug()),
        }
    }

    /// The second secret of the services that have one (DingTalk's and Feishu's signing
    /// secret, Pushover's user key, ntfy's token, the webhook's password).
    pub fn secret(self) -> Option<String> {
        match self {
            Service::DingTalk => Some("SECq9zXsecretdingtalk".to_string()),
            Service::Feishu | Service::Lark => Some(format!("q9zXsecret{}", self.slug())),
            Service::Pushover => Some("uQ9zXsecretpushoveruser".to_string()),
            Service::Ntfy => Some("tk_q9zXsecretntfy".to_string()),
            Service::Json | Service::Form => Some(format!("q9zXsecret{}", self.slug())),
            _ => None,
        }
    }

    /// Every secret of the channel URL. An ntfy topic and a webhook's path are not: they
    /// are words that may well appear in any text, which hiding everywhere would garble
    /// (their token and password are secrets).
    pub fn secrets(self) -> Vec<String> {
        let public = matches!(self, Service::Ntfy | Service::Json | Service::Form);
        let key = (!public).then(|| self.key());
        key.into_iter().chain(self.secret()).collect()
    }

    /// The channel URL with `key` and `secret` in their places, pointing at `base`.
    fn url_with(self, key: &str, secret: Option<&str>, base: &str) -> String {
        let secret = secret.unwrap_or_default();
        match self {
            Service::Ntfy => format!("ntfys://{secret}@ntfy.example/{key}?base={base}"),
            Service::Bark => format!("barks://bark.example/{key}?base={base}"),
            Service::ServerChan | Service::ServerChan3 => format!("schan://{key}?base={base}"),
            Service::PushPlus => format!("pushplus://{key}?base={base}"),
            Service::WeCom => format!("wecombot://{key}?base={base}"),
            Service::DingTalk => format!("dingtalk://{secret}@{key}?base={base}"),
            Service::Feishu => format!("feishu://{secret}@{key}?base={base}"),
            Service::Lark => format!("lark://{secret}@{key}?base={base}"),
            Service::Telegram => format!("tgram://{key}/{CHAT}?base={base}"),
            Service::Gotify => format!("gotifys://gotify.example/{key}?base={base}"),
            Service::Pushover => format!("pover://{secret}@{key}?base={base}"),
            Service::Json => format!("json://baohao:{secret}@hooks.example/in/{key}?base={base}"),
            Service::Form => format!("form://baohao:{secret}@hooks.example/in/{key}?base={base}"),
        }
    }
}

/// The Telegram chat the stand-in expects.
pub const CHAT: &str = "-100123";

/// How a stand-in answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// Accepts every request the service would accept (others get its refusal).
    Accept,
    /// The service's usual refusal, HTTP 200 with an error code where the service does so.
    Refuse,
    /// PushPlus's 900: the account is restricted (other services: as `Refuse`).
    Restricted,
    /// Reads the request and never answers.
    Hang,
    /// Reads the request and closes the connection without a word.
    Drop,
}

/// One request as the stand-in saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub method: String,
    pub path: String,
    /// The query as sent (still escaped).
    pub raw_query: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: String,
    /// What the service would have refused it for (empty: it was what the service wants).
    pub faults: Vec<String>,
    /// It was answered with the service's success.
    pub accepted: bool,
}

impl Seen {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A query parameter, decoded as a web server decodes it (`+` is a space).
    pub fn query(&self, name: &str) -> Option<String> {
        form_pairs(&self.raw_query)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    pub fn json(&self) -> Option<Value> {
        serde_json::from_str(&self.body).ok()
    }

    pub fn form(&self, name: &str) -> Option<String> {
        form_pairs(&self.body)
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Everything of the message a person would read, whatever the service's fields.
    pub fn text(&self) -> String {
        let mut out = Vec::new();
        if let Some(v) = self.json() {
            collect_strings(&v, &mut out);
        }
        for (_, v) in form_pairs(&self.body) {
            out.push(v);
        }
        out.join("\n")
    }
}

fn collect_strings(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(a) => a.iter().for_each(|v| collect_strings(v, out)),
        Value::Object(o) => o.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}

fn form_pairs(s: &str) -> Vec<(String, String)> {
    url::form_urlencoded::parse(s.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

struct Shared {
    answer: Mutex<Answer>,
    seen: Mutex<Vec<Seen>>,
    /// The time the binary is pinned to (ms), when the stand-in should check freshness.
    now_ms: Mutex<Option<i64>>,
    stop: AtomicBool,
}

/// A running stand-in for one service.
pub struct Standin {
    pub service: Service,
    pub port: u16,
    shared: Arc<Shared>,
}

impl Standin {
    pub fn start(service: Service) -> Standin {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let shared = Arc::new(Shared {
            answer: Mutex::new(Answer::Accept),
            seen: Mutex::new(Vec::new()),
            now_ms: Mutex::new(None),
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || serve(service, conn, &s));
            }
        });
        Standin {
            service,
            port,
            shared,
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The channel URL for this stand-in, its secrets written out.
    pub fn url(&self) -> String {
        let s = self.service;
        s.url_with(&s.key(), s.secret().as_deref(), &self.base())
    }

    /// The channel URL with its secrets as `${NAME}`s, and the variables to set.
    pub fn url_from_env(&self, prefix: &str) -> (String, Vec<(String, String)>) {
        let s = self.service;
        // Names without TOKEN, KEY, SECRET…: baohao must hide the values because the channel
        // uses them, not because of what the variables are called.
        let key_var = format!("{prefix}_A");
        let secret_var = format!("{prefix}_B");
        let mut vars = vec![(key_var.clone(), s.key())];
        if let Some(secret) = s.secret() {
            vars.push((secret_var.clone(), secret));
        }
        let url = s.url_with(
            &format!("${{{key_var}}}"),
            s.secret().map(|_| format!("${{{secret_var}}}")).as_deref(),
            &self.base(),
        );
        (url, vars)
    }

    pub fn answer(&self, a: Answer) {
        *self.shared.answer.lock().expect("lock") = a;
    }

    /// Check that signed requests are stamped within an hour of `now`, as the services do.
    pub fn expect_time(&self, now: &str) {
        let t = chrono::DateTime::parse_from_rfc3339(now).expect("an RFC 3339 time");
        *self.shared.now_ms.lock().expect("lock") = Some(t.timestamp_millis());
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.shared.seen.lock().expect("lock").clone()
    }

    pub fn accepted(&self) -> usize {
        self.seen().iter().filter(|s| s.accepted).count()
    }

    /// Every fault of every request, `[]` when each was what the service wants.
    pub fn faults(&self) -> Vec<String> {
        self.seen().into_iter().flat_map(|s| s.faults).collect()
    }
}

impl Drop for Standin {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accepting thread so that it sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

struct Request {
    method: String,
    path: String,
    raw_query: String,
    headers: Vec<(String, String)>,
    body: String,
}

fn read_request(conn: &mut TcpStream) -> Option<Request> {
    let mut r = BufReader::new(conn.try_clone().ok()?);
    let mut line = String::new();
    r.read_line(&mut line).ok()?;
    let mut parts = line.split_whitespace();
    let method = parts.next()?.to_string();
    let target = parts.next()?.to_string();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if r.read_line(&mut h).ok()? == 0 {
            return None;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
    }
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0; len];
    r.read_exact(&mut body).ok()?;
    let (path, raw_query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target, String::new()),
    };
    Some(Request {
        method,
        path,
        raw_query,
        headers,
        body: String::from_utf8_lossy(&body).into_owned(),
    })
}

fn serve(service: Service, mut conn: TcpStream, s: &Shared) {
    let Some(req) = read_request(&mut conn) else {
        return;
    };
    let answer = *s.answer.lock().expect("lock");
    let now_ms = *s.now_ms.lock().expect("lock");
    let mut seen = Seen {
        method: req.method.clone(),
        path: req.path.clone(),
        raw_query: req.raw_query.clone(),
        headers: req.headers.clone(),
        body: req.body.clone(),
        faults: Vec::new(),
        accepted: false,
    };
    seen.faults = check(service, &seen, now_ms);
    let reply = match answer {
        Answer::Hang => {
            s.seen.lock().expect("lock").push(seen);
            while !s.stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(50));
            }
            return;
        }
        Answer::Drop => {
            s.seen.lock().expect("lock").push(seen);
            let _ = conn.shutdown(std::net::Shutdown::Both);
            return;
        }
        Answer::Accept if seen.faults.is_empty() => {
            seen.accepted = true;
            success(service, &seen)
        }
        Answer::Accept => refusal(service, Some(&seen.faults.join("; ")), false),
        Answer::Refuse => refusal(service, None, false),
        Answer::Restricted => refusal(service, None, true),
    };
    s.seen.lock().expect("lock").push(seen);
    let (status, body) = reply;
    let head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: application/json; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        if status == 200 { "OK" } else { "Error" },
        body.len()
    );
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(body.as_bytes());
    let _ = conn.flush();
}

/// What the service would refuse this request for.
fn check(service: Service, r: &Seen, now_ms: Option<i64>) -> Vec<String> {
    let mut f = Vec::new();
    let key = service.key();
    let secret = service.secret().unwrap_or_default();
    if r.method != "POST" {
        f.push(format!("method {} (wants POST)", r.method));
    }
    let is_json = r
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/json"));
    let is_form = r
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/x-www-form-urlencoded"));
    let want_path = |f: &mut Vec<String>, p: &str| {
        if r.path != p {
            f.push(format!("path {} (wants {p})", r.path));
        }
    };
    let json = r.json().unwrap_or(Value::Null);
    let text_field =
        |f: &mut Vec<String>, v: &Value, name: &str| match v.get(name).and_then(Value::as_str) {
            Some(s) if !s.trim().is_empty() => {}
            _ => f.push(format!("no {name}")),
        };
    if !matches!(service, Service::Pushover | Service::Form) && !is_json {
        f.push(format!(
            "content-type {:?} (wants JSON)",
            r.header("content-type")
        ));
    }
    match service {
        Service::Ntfy => {
            want_path(&mut f, "/");
            if json.get("topic").and_then(Value::as_str) != Some(&key) {
                f.push("wrong topic".into());
            }
            text_field(&mut f, &json, "title");
            text_field(&mut f, &json, "message");
            if !json.get("tags").is_none_or(Value::is_array) {
                f.push("tags is not a list".into());
            }
            if !json
                .get("priority")
                .is_none_or(|p| p.as_i64().is_some_and(|p| (1..=5).contains(&p)))
            {
                f.push("priority not 1–5".into());
            }
            if r.header("authorization") != Some(&format!("Bearer {secret}")) {
                f.push("no bearer token".into());
            }
        }
        Service::Bark => {
            want_path(&mut f, "/push");
            if json.get("device_key").and_then(Value::as_str) != Some(&key) {
                f.push("wrong device_key".into());
            }
            text_field(&mut f, &json, "title");
            text_field(&mut f, &json, "body");
            if let Some(l) = json.get("level")
                && !["active", "timeSensitive", "passive", "critical"]
                    .contains(&l.as_str().unwrap_or(""))
            {
                f.push(format!("level {l}"));
            }
        }
        Service::ServerChan => {
            want_path(&mut f, &format!("/{key}.send"));
            text_field(&mut f, &json, "title");
            if json
                .get("title")
                .and_then(Value::as_str)
                .is_some_and(|t| t.chars().count() > 32)
            {
                f.push("title over 32 characters".into());
            }
        }
        Service::ServerChan3 => {
            want_path(&mut f, &format!("/send/{key}.send"));
            text_field(&mut f, &json, "title");
        }
        Service::PushPlus => {
            want_path(&mut f, "/send");
            if json.get("token").and_then(Value::as_str) != Some(&key) {
                f.push("wrong token".into());
            }
            text_field(&mut f, &json, "title");
            text_field(&mut f, &json, "content");
            if let Some(t) = json.get("template")
                && !["html", "txt", "json", "markdown"].contains(&t.as_str().unwrap_or(""))
            {
                f.push(format!("template {t}"));
            }
        }
        Service::WeCom => {
            want_path(&mut f, "/cgi-bin/webhook/send");
            if r.query("key").as_deref() != Some(&key) {
                f.push("wrong key".into());
            }
            if json.get("msgtype").and_then(Value::as_str) != Some("markdown") {
                f.push("msgtype is not markdown".into());
            }
            match json.pointer("/markdown/content").and_then(Value::as_str) {
                Some(c) if c.len() > 4096 => f.push(format!("content {} bytes", c.len())),
                Some(c) if !c.trim().is_empty() => {}
                _ => f.push("no markdown.content".into()),
            }
        }
        Service::DingTalk => {
            want_path(&mut f, "/robot/send");
            if r.query("access_token").as_deref() != Some(&key) {
                f.push("wrong access_token".into());
            }
            match (r.query("timestamp"), r.query("sign")) {
                (Some(ts), Some(sign)) => {
                    let ms: i64 = ts.parse().unwrap_or(0);
                    let want = base64_hmac(secret.as_bytes(), format!("{ts}\n{secret}").as_bytes());
                    if sign != want {
                        f.push("sign not match".into());
                    }
                    if now_ms.is_some_and(|now| (now - ms).abs() > 3_600_000) {
                        f.push("timestamp not within an hour".into());
                    }
                }
                _ => f.push("no timestamp and sign".into()),
            }
            match json.get("msgtype").and_then(Value::as_str) {
                Some("markdown") => {
                    let md = json.get("markdown").cloned().unwrap_or(Value::Null);
                    text_field(&mut f, &md, "title");
                    text_field(&mut f, &md, "text");
                }
                Some("text") => text_field(
                    &mut f,
                    &json.get("text").cloned().unwrap_or(Value::Null),
                    "content",
                ),
                other => f.push(format!("msgtype {other:?}")),
            }
        }
        Service::Feishu | Service::Lark => {
            want_path(&mut f, &format!("/open-apis/bot/v2/hook/{key}"));
            match (
                json.get("timestamp").and_then(Value::as_str),
                json.get("sign").and_then(Value::as_str),
            ) {
                (Some(ts), Some(sign)) => {
                    let want = base64_hmac(format!("{ts}\n{secret}").as_bytes(), b"");
                    if sign != want {
                        f.push("sign match fail".into());
                    }
                    let s: i64 = ts.parse().unwrap_or(0);
                    if now_ms.is_some_and(|now| (now / 1000 - s).abs() > 3600) {
                        f.push("timestamp not within an hour".into());
                    }
                }
                _ => f.push("no timestamp and sign".into()),
            }
            if json.get("msg_type").and_then(Value::as_str) != Some("text") {
                f.push("msg_type is not text".into());
            }
            text_field(
                &mut f,
                &json.get("content").cloned().unwrap_or(Value::Null),
                "text",
            );
        }
        Service::Telegram => {
            want_path(&mut f, &format!("/bot{key}/sendMessage"));
            match json.get("chat_id") {
                Some(Value::String(c)) if c == CHAT => {}
                Some(Value::Number(n)) if n.to_string() == CHAT => {}
                _ => f.push("chat not found".into()),
            }
            match json.get("text").and_then(Value::as_str) {
                Some(t) if t.chars().count() > 4096 => f.push("message is too long".into()),
                Some(t) if !t.trim().is_empty() => {}
                _ => f.push("message text is empty".into()),
            }
        }
        Service::Gotify => {
            want_path(&mut f, "/message");
            let token = r
                .header("x-gotify-key")
                .map(str::to_string)
                .or(r.query("token"));
            if token.as_deref() != Some(&key) {
                f.push("no valid application token".into());
            }
            text_field(&mut f, &json, "message");
            if !json.get("priority").is_none_or(Value::is_i64) {
                f.push("priority is not a number".into());
            }
        }
        Service::Pushover => {
            want_path(&mut f, "/1/messages.json");
            if !is_form {
                f.push("not a form".into());
            }
            if r.form("token").as_deref() != Some(&key) {
                f.push("application token is invalid".into());
            }
            if r.form("user").as_deref() != Some(&secret) {
                f.push("user identifier is not a valid user".into());
            }
            match r.form("message") {
                Some(m) if m.chars().count() > 1024 => f.push("message too long".into()),
                Some(m) if !m.trim().is_empty() => {}
                _ => f.push("message cannot be blank".into()),
            }
        }
        Service::Json | Service::Form => {
            want_path(&mut f, &format!("/in/{key}"));
            let basic =
                base64::engine::general_purpose::STANDARD.encode(format!("baohao:{secret}"));
            if r.header("authorization") != Some(&format!("Basic {basic}")) {
                f.push("no basic authentication".into());
            }
            let get = |name: &str| {
                if service == Service::Json {
                    json.get(name).and_then(Value::as_str).map(str::to_string)
                } else {
                    r.form(name)
                }
            };
            if service == Service::Form && !is_form {
                f.push("not a form".into());
            }
            for name in ["title", "message", "event"] {
                if get(name).is_none_or(|v| v.is_empty()) {
                    f.push(format!("no {name}"));
                }
            }
            if get("number").is_none() {
                f.push("no number".into());
            }
        }
    }
    f
}

fn base64_hmac(key: &[u8], message: &[u8]) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(key).expect("any key length");
    mac.update(message);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// The service's answer to a request it took.
fn success(service: Service, r: &Seen) -> (u16, String) {
    let body = match service {
        Service::Ntfy => json!({"id": "sPs4NSt7sCBi", "time": 1764720000, "event": "message",
            "topic": service.key(), "message": r.json().and_then(|v| v.get("message").cloned())}),
        Service::Bark => json!({"code": 200, "message": "success", "timestamp": 1764720000}),
        Service::ServerChan | Service::ServerChan3 => json!({"code": 0, "message": "",
            "data": {"pushid": "4711", "readkey": "SCTr3ad", "error": "SUCCESS", "errno": 0}}),
        Service::PushPlus => json!({"code": 200, "msg": "请求成功", "data": "c1a2b3d4"}),
        Service::WeCom | Service::DingTalk => json!({"errcode": 0, "errmsg": "ok"}),
        Service::Feishu | Service::Lark => json!({"StatusCode": 0, "StatusMessage": "success",
            "code": 0, "data": {}, "msg": "success"}),
        Service::Telegram => json!({"ok": true, "result": {"message_id": 17,
            "chat": {"id": -100123, "type": "group"}, "date": 1764720000}}),
        Service::Gotify => json!({"id": 25, "appid": 5, "message": "…", "title": "…",
            "priority": 5, "date": "2026-12-03T00:00:00Z"}),
        Service::Pushover => {
            json!({"status": 1, "request": "647d2300-702c-4b38-8b2f-d56326ae460b"})
        }
        Service::Json | Service::Form => return (200, "ok".to_string()),
    };
    (200, body.to_string())
}

/// The service's refusal (`why` in place of its usual words when a check failed).
fn refusal(service: Service, why: Option<&str>, restricted: bool) -> (u16, String) {
    let w = |usual: &str| why.unwrap_or(usual).to_string();
    match service {
        Service::Ntfy => (403, json!({"code": 40301, "http": 403, "error": w("forbidden"),
            "link": "https://ntfy.sh/docs/publish/#authentication"}).to_string()),
        // Bark names the key it could not find: a reason that must be redacted.
        Service::Bark => (400, json!({"code": 400, "message": w(&format!(
            "failed to get device token: failed to get [{}] device token from database",
            service.key())), "timestamp": 1764720000}).to_string()),
        Service::ServerChan | Service::ServerChan3 => {
            (200, json!({"code": 40001, "message": w("bad pushtoken"), "data": null}).to_string())
        }
        Service::PushPlus if restricted => {
            (200, json!({"code": 900, "msg": "用户账号使用受限", "data": null}).to_string())
        }
        Service::PushPlus => {
            (200, json!({"code": 903, "msg": w("无效的用户token"), "data": null}).to_string())
        }
        Service::WeCom => (200, json!({"errcode": 93000, "errmsg": w(
            "invalid webhook url, hint: [1764720000_12_abc], from ip: 127.0.0.1")}).to_string()),
        Service::DingTalk => (200, json!({"errcode": 310000, "errmsg": w("sign not match")}).to_string()),
        Service::Feishu | Service::Lark => (200, json!({"code": 19021, "data": {}, "msg": w(
            "sign match fail or timestamp is not within one hour from current time")}).to_string()),
        Service::Telegram => (400, json!({"ok": false, "error_code": 400,
            "description": w("Bad Request: chat not found")}).to_string()),
        Service::Gotify => (401, json!({"error": "Unauthorized", "errorCode": 401,
            "errorDescription": w("you need to provide a valid access token or user credentials to access this api")}).to_string()),
        Service::Pushover => (400, json!({"user": "invalid", "errors": [w(
            "user identifier is not a valid user, group, or subscribed user key")], "status": 0,
            "request": "5042853c-402d-4a18-abcb-168734a801de"}).to_string()),
        Service::Json | Service::Form => (500, w("internal error")),
    }
}

/// How the SMTP stand-in speaks: plain text, plain until STARTTLS (port 587's way), or TLS
/// from the first byte (`mailtos://`, port 465's way). Its certificate is signed by the
/// test CA in `tests/fixtures/tls/ca.pem`, which baohao trusts through `SSL_CERT_FILE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SmtpTls {
    Plain,
    StartTls,
    Implicit,
}

/// The test CA's certificate, for `SSL_CERT_FILE`.
pub fn test_ca() -> String {
    concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls/ca.pem").to_string()
}

/// An SMTP stand-in on loopback: greets, offers AUTH PLAIN and LOGIN (only once TLS is
/// on, when it speaks TLS), takes one message per connection and keeps it.
pub struct Smtp {
    pub port: u16,
    pub tls: SmtpTls,
    shared: Arc<SmtpShared>,
}

struct SmtpShared {
    answer: Mutex<Answer>,
    mails: Mutex<Vec<Mail>>,
    faults: Mutex<Vec<String>>,
    stop: AtomicBool,
}

/// One message the SMTP stand-in took.
#[derive(Clone, Debug)]
pub struct Mail {
    pub from: String,
    pub to: Vec<String>,
    /// The message as sent (headers and body).
    pub data: String,
    pub accepted: bool,
    /// Whether it came over TLS.
    pub secure: bool,
}

pub const SMTP_USER: &str = "alerts@mail.example";
pub const SMTP_PASSWORD: &str = "q9zXsecretsmtp";
pub const SMTP_TO: &str = "me@mail.example";

impl Smtp {
    pub fn start() -> Smtp {
        Smtp::start_with(SmtpTls::Plain)
    }

    pub fn start_with(tls: SmtpTls) -> Smtp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        let port = listener.local_addr().expect("its address").port();
        let shared = Arc::new(SmtpShared {
            answer: Mutex::new(Answer::Accept),
            mails: Mutex::new(Vec::new()),
            faults: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let s = shared.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                if s.stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(conn) = conn else { continue };
                let s = s.clone();
                std::thread::spawn(move || {
                    if let Err(e) = smtp_conn(conn, &s, tls) {
                        s.faults
                            .lock()
                            .expect("lock")
                            .push(format!("connection: {e}"));
                    }
                });
            }
        });
        Smtp { port, tls, shared }
    }

    /// The channel URL for this stand-in (the user name is an address: it is also the
    /// sender).
    pub fn url(&self) -> String {
        let (scheme, extra) = match self.tls {
            SmtpTls::Plain => ("mailto", ""),
            SmtpTls::StartTls => ("mailto", "&starttls=yes"),
            SmtpTls::Implicit => ("mailtos", ""),
        };
        format!(
            "{scheme}://{}:{SMTP_PASSWORD}@127.0.0.1:{}?to={SMTP_TO}{extra}",
            SMTP_USER.replace('@', "%40"),
            self.port
        )
    }

    pub fn url_from_env(&self, var: &str) -> String {
        format!(
            "mailto://{}:${{{var}}}@127.0.0.1:{}?to={SMTP_TO}",
            SMTP_USER.replace('@', "%40"),
            self.port
        )
    }

    pub fn answer(&self, a: Answer) {
        *self.shared.answer.lock().expect("lock") = a;
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.shared.mails.lock().expect("lock").clone()
    }

    pub fn accepted(&self) -> usize {
        self.mails().iter().filter(|m| m.accepted).count()
    }

    pub fn faults(&self) -> Vec<String> {
        self.shared.faults.lock().expect("lock").clone()
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// The stand-in's TLS: its certificate for 127.0.0.1, signed by the test CA.
fn server_tls() -> Arc<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    static CONFIG: std::sync::OnceLock<Arc<rustls::ServerConfig>> = std::sync::OnceLock::new();
    CONFIG
        .get_or_init(|| {
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/tls");
            let certs: Vec<CertificateDer<'static>> =
                CertificateDer::pem_file_iter(format!("{dir}/server.pem"))
                    .expect("the server certificate")
                    .map(|c| c.expect("a certificate"))
                    .collect();
            let key = PrivateKeyDer::from_pem_file(format!("{dir}/server.key")).expect("its key");
            Arc::new(
                rustls::ServerConfig::builder_with_provider(Arc::new(
                    rustls::crypto::ring::default_provider(),
                ))
                .with_safe_default_protocol_versions()
                .expect("TLS versions")
                .with_no_client_auth()
                .with_single_cert(certs, key)
                .expect("a certificate and key"),
            )
        })
        .clone()
}

fn over_tls(
    tcp: TcpStream,
) -> std::io::Result<rustls::StreamOwned<rustls::ServerConnection, TcpStream>> {
    let conn = rustls::ServerConnection::new(server_tls()).map_err(std::io::Error::other)?;
    Ok(rustls::StreamOwned::new(conn, tcp))
}

/// What a session ended with.
enum Next {
    Done,
    /// The client said STARTTLS and was told to go ahead.
    StartTls,
}

fn smtp_conn(tcp: TcpStream, s: &SmtpShared, tls: SmtpTls) -> std::io::Result<()> {
    match tls {
        SmtpTls::Plain => smtp_session(&mut tcp.try_clone()?, s, tls, false).map(drop),
        SmtpTls::Implicit => smtp_session(&mut over_tls(tcp)?, s, tls, true).map(drop),
        SmtpTls::StartTls => match smtp_session(&mut tcp.try_clone()?, s, tls, false)? {
            Next::StartTls => smtp_session(&mut over_tls(tcp)?, s, tls, true).map(drop),
            Next::Done => Ok(()),
        },
    }
}

/// One line from the client, without its end (read a byte at a time: nothing past the line
/// is taken, so the TLS handshake after STARTTLS finds its bytes where they were).
fn smtp_line(conn: &mut impl Read) -> std::io::Result<String> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    loop {
        if conn.read(&mut b)? == 0 || b[0] == b'\n' {
            break;
        }
        line.push(b[0]);
    }
    Ok(String::from_utf8_lossy(&line)
        .trim_end_matches('\r')
        .to_string())
}

fn smtp_session(
    conn: &mut (impl Read + Write),
    s: &SmtpShared,
    tls: SmtpTls,
    secure: bool,
) -> std::io::Result<Next> {
    let answer = *s.answer.lock().expect("lock");
    let fault = |what: String| s.faults.lock().expect("lock").push(what);
    let say = |conn: &mut dyn Write, line: &str| -> std::io::Result<()> {
        conn.write_all(line.as_bytes())?;
        conn.write_all(b"\r\n")?;
        conn.flush()
    };
    // After STARTTLS the client greets again; the server does not.
    if !(secure && tls == SmtpTls::StartTls) {
        say(conn, "220 mail.example ESMTP stand-in")?;
    }
    let plain_only = tls != SmtpTls::Plain && !secure;
    let mut authed = false;
    let mut mail = Mail {
        from: String::new(),
        to: Vec::new(),
        data: String::new(),
        accepted: false,
        secure,
    };
    loop {
        let line = smtp_line(conn)?;
        if line.is_empty() && s.stop.load(Ordering::SeqCst) {
            return Ok(Next::Done);
        }
        let upper = line.to_ascii_uppercase();
        if plain_only && (upper.starts_with("AUTH") || upper.starts_with("MAIL")) {
            fault(format!("{upper} before STARTTLS"));
            say(conn, "530 5.7.0 Must issue a STARTTLS command first")?;
            continue;
        }
        if upper.starts_with("EHLO") || upper.starts_with("HELO") {
            say(conn, "250-mail.example")?;
            if plain_only {
                say(conn, "250-STARTTLS")?;
            }
            say(conn, "250-AUTH PLAIN LOGIN")?;
            say(conn, "250 8BITMIME")?;
        } else if upper == "STARTTLS" && plain_only {
            say(conn, "220 2.0.0 Ready to start TLS")?;
            return Ok(Next::StartTls);
        } else if upper.starts_with("AUTH PLAIN") {
            let given = line[10..].trim().to_string();
            let given = if given.is_empty() {
                say(conn, "334 ")?;
                smtp_line(conn)?
            } else {
                given
            };
            let decoded = base64::engine::general_purpose::STANDARD
                .decode(given.trim())
                .unwrap_or_default();
            let want = format!("\0{SMTP_USER}\0{SMTP_PASSWORD}");
            if decoded == want.as_bytes() && answer != Answer::Refuse {
                authed = true;
                say(conn, "235 2.7.0 Authentication successful")?;
            } else {
                if decoded != want.as_bytes() {
                    fault("wrong user or password".into());
                }
                say(conn, "535 5.7.8 Authentication credentials invalid")?;
            }
        } else if upper.starts_with("AUTH LOGIN") {
            say(conn, "334 VXNlcm5hbWU6")?;
            let user = smtp_line(conn)?;
            say(conn, "334 UGFzc3dvcmQ6")?;
            let pass = smtp_line(conn)?;
            let d = |x: &str| {
                base64::engine::general_purpose::STANDARD
                    .decode(x.trim())
                    .unwrap_or_default()
            };
            if d(&user) == SMTP_USER.as_bytes()
                && d(&pass) == SMTP_PASSWORD.as_bytes()
                && answer != Answer::Refuse
            {
                authed = true;
                say(conn, "235 2.7.0 Authentication successful")?;
            } else {
                say(conn, "535 5.7.8 Authentication credentials invalid")?;
            }
        } else if upper.starts_with("MAIL FROM:") {
            if !authed {
                fault("MAIL before AUTH".into());
                say(conn, "530 5.7.0 Authentication required")?;
                continue;
            }
            mail.from = line[10..].trim().to_string();
            say(conn, "250 2.1.0 Ok")?;
        } else if upper.starts_with("RCPT TO:") {
            mail.to.push(line[8..].trim().to_string());
            say(conn, "250 2.1.5 Ok")?;
        } else if upper == "DATA" {
            say(conn, "354 End data with <CR><LF>.<CR><LF>")?;
            loop {
                let l = smtp_line(conn)?;
                if l == "." {
                    break;
                }
                mail.data.push_str(l.strip_prefix('.').unwrap_or(&l));
                mail.data.push('\n');
            }
            match answer {
                Answer::Hang => {
                    s.mails.lock().expect("lock").push(mail.clone());
                    while !s.stop.load(Ordering::SeqCst) {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    return Ok(Next::Done);
                }
                Answer::Drop => {
                    // The connection closes when the caller lets go of it.
                    s.mails.lock().expect("lock").push(mail.clone());
                    return Ok(Next::Done);
                }
                _ => {}
            }
            mail.accepted = true;
            s.mails.lock().expect("lock").push(mail.clone());
            say(conn, "250 2.0.0 Ok: queued as 4711")?;
        } else if upper == "QUIT" {
            say(conn, "221 2.0.0 Bye")?;
            return Ok(Next::Done);
        } else if upper == "RSET" || upper == "NOOP" {
            say(conn, "250 2.0.0 Ok")?;
        } else if line.is_empty() {
            return Ok(Next::Done);
        } else {
            say(conn, "502 5.5.2 Command not recognized")?;
        }
    }
}
