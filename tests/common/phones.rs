//! Loopback stand-ins for the phone apps baohao sends through: SmsForwarder's HTTP server
//! and SMS Gateway for Android's API, written from their published formats (not
//! copied from the apps). Every request's signature or credentials and fields are checked; a
//! request that fails a check is answered as the app would refuse it and kept in `bad`,
//! so a test can assert that baohao never sent one. A stand-in can also refuse
//! connections (it is never started: `refused_url`), hang, drop a connection after
//! reading the request, or answer its app's failure.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use hmac::{KeyInit, Mac};

/// Which app a stand-in plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum App {
    SmsForwarder,
    SmsGateway,
}

/// How the stand-in answers the requests that send a text (`/sms/send`, `POST /message`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Behaviour {
    Normal,
    /// The app's own failure: SmsForwarder's `{"code":500,"msg":…}` with HTTP 200, SMS
    /// Gateway's HTTP 500 with a message.
    AppFails(String),
    /// Reads the request, counts the text as sent, never answers.
    Hang,
    /// Reads the request, counts the text as sent, closes the connection without a word.
    DropAfterRead,
}

/// A text the app was asked to send (and, unless it failed, sent).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    pub slot: Option<i64>,
    pub to: String,
    pub text: String,
    /// SMS Gateway's message id.
    pub id: Option<String>,
}

/// A received text the app lists through SmsForwarder's `/sms/query`.
#[derive(Clone, Debug)]
pub struct Held {
    pub from: String,
    pub text: String,
    /// Milliseconds since the epoch.
    pub date_ms: i64,
    /// 0-based, as SmsForwarder says it.
    pub sim_id: i64,
}

#[derive(Debug)]
pub struct State {
    pub behaviour: Behaviour,
    /// Texts the app accepted (or read before hanging or dropping).
    pub sent: Vec<Sent>,
    /// Requests refused by a check, each with the reason.
    pub bad: Vec<String>,
    /// Every request as `METHOD /path`.
    pub requests: Vec<String>,
    /// What `GET /messages/<id>` says of a text sent through SMS Gateway.
    pub gateway_state: String,
    pub battery_level: u32,
    pub charging: bool,
    /// Received texts `/sms/query` lists.
    pub inbox: Vec<Held>,
    /// Webhooks registered through SMS Gateway's `POST /webhooks`.
    pub webhooks: Vec<serde_json::Value>,
    /// A carrier that answers: a text sent to `.0` gets `.2` back from `.1`, held in the
    /// inbox on the same SIM.
    pub auto_reply: Option<(String, String, String)>,
    /// The phone's clock for the replies it receives, in ms (default: the real clock). A
    /// test pinning baohao's clock sets it too: a reply dated months ahead of baohao's
    /// clock is set aside, never read.
    pub clock_ms: Option<i64>,
    /// SMS Gateway only: where its `sms:received` webhook posts (the inbox's address, the
    /// path, the signing key), and the HTTP status of each post.
    pub deliver: Option<(std::net::SocketAddr, String, String)>,
    pub delivered: Vec<u16>,
    /// SMS Gateway only: what `GET /messages/<id>` is answered instead (status, content
    /// type, body), before any check, as a reverse proxy in front of the app or a wrong
    /// path would answer it.
    pub state_answer: Option<(u16, String, String)>,
    /// SMS Gateway's server (its cloud): what `GET /devices` lists, the account's phones
    /// as the server last heard from them.
    pub devices: serde_json::Value,
    /// A home's log that must already hold the send's intent when the app is asked to
    /// send (the intent is written and fsynced first); a send without it is bad.
    pub intent_in: Option<std::path::PathBuf>,
}

pub struct StandIn {
    pub app: App,
    /// `http://127.0.0.1:PORT`, and the prefix it serves under (`start_under`).
    pub url: String,
    pub state: Arc<Mutex<State>>,
}

pub const SMSF_SECRET: &str = "smsf-test-secret-9f2c";
pub const GW_USER: &str = "gwuser";
pub const GW_PASSWORD: &str = "gw-test-password-77a1";

/// A URL on loopback where nothing listens: a phone that is off.
pub fn refused_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = l.local_addr().expect("addr").port();
    drop(l);
    format!("http://127.0.0.1:{port}")
}

/// SmsForwarder's signature: URL-encoded base64 of HMAC-SHA256, key = secret, over
/// `timestamp + "\n" + secret`.
pub fn smsf_sign(secret: &str, timestamp_ms: i64) -> String {
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    url::form_urlencoded::byte_serialize(b64.as_bytes()).collect()
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_millis() as i64
}

impl StandIn {
    pub fn start(app: App) -> StandIn {
        StandIn::start_under(app, "")
    }

    /// A stand-in serving its API under `prefix` (`/3rdparty/v1`, as SMS Gateway's cloud
    /// does): its `url` ends with the prefix, a request under it is served as the path
    /// after it (and so recorded), and one outside it is kept in `bad` and answered 404.
    pub fn start_under(app: App, prefix: &str) -> StandIn {
        let prefix = prefix.trim_end_matches('/').to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}{prefix}", listener.local_addr().expect("addr"));
        let state = Arc::new(Mutex::new(State {
            behaviour: Behaviour::Normal,
            sent: Vec::new(),
            bad: Vec::new(),
            requests: Vec::new(),
            gateway_state: "Sent".into(),
            battery_level: 78,
            charging: true,
            inbox: Vec::new(),
            webhooks: Vec::new(),
            auto_reply: None,
            clock_ms: None,
            deliver: None,
            delivered: Vec::new(),
            state_answer: None,
            devices: serde_json::json!([]),
            intent_in: None,
        }));
        let s = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let s = s.clone();
                let prefix = prefix.clone();
                std::thread::spawn(move || serve(app, &prefix, stream, &s));
            }
        });
        StandIn { app, url, state }
    }

    pub fn set(&self, b: Behaviour) {
        self.state.lock().unwrap().behaviour = b;
    }

    pub fn sent(&self) -> Vec<Sent> {
        self.state.lock().unwrap().sent.clone()
    }

    pub fn bad(&self) -> Vec<String> {
        self.state.lock().unwrap().bad.clone()
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    pub fn set_gateway_state(&self, s: &str) {
        self.state.lock().unwrap().gateway_state = s.to_string();
    }

    /// SMS Gateway: `GET /messages/<id>` is answered `status` with `body` of `content_type`
    /// (a proxy's HTML 404, say) instead of the app's answer; `None` gives the app back.
    pub fn answer_state_with(&self, a: Option<(u16, &str, &str)>) {
        self.state.lock().unwrap().state_answer =
            a.map(|(s, t, b)| (s, t.to_string(), b.to_string()));
    }

    /// A text to `to` is answered by `from` with `text` (held in the app's inbox).
    /// Sets the phone's clock for the replies it receives to `at` (RFC 3339).
    pub fn set_clock(&self, at: &str) {
        let t = chrono::DateTime::parse_from_rfc3339(at).expect("an RFC 3339 time");
        self.state.lock().unwrap().clock_ms = Some(t.timestamp_millis());
    }

    pub fn auto_reply(&self, to: &str, from: &str, text: &str) {
        self.state.lock().unwrap().auto_reply = Some((to.into(), from.into(), text.into()));
    }

    /// SMS Gateway: the texts the phone receives go to baohao's inbox at `addr` + `path`,
    /// signed with `key`, as the app's `sms:received` webhook does.
    pub fn deliver_to(&self, addr: std::net::SocketAddr, path: &str, key: &str) {
        self.state.lock().unwrap().deliver = Some((addr, path.into(), key.into()));
    }

    /// The HTTP status of each webhook the stand-in posted.
    pub fn delivered(&self) -> Vec<u16> {
        self.state.lock().unwrap().delivered.clone()
    }

    /// SMS Gateway's server: `GET /devices` lists these.
    pub fn set_devices(&self, devices: serde_json::Value) {
        self.state.lock().unwrap().devices = devices;
    }

    /// How many times the app was asked `request` (`METHOD /path`).
    #[allow(dead_code)]
    pub fn asked(&self, request: &str) -> usize {
        self.requests().iter().filter(|r| *r == request).count()
    }

    /// Checks, at each send, that `log` already holds the intent for it.
    pub fn check_intent_in(&self, log: std::path::PathBuf) {
        self.state.lock().unwrap().intent_in = Some(log);
    }

    pub fn hold(&self, h: Held) {
        self.state.lock().unwrap().inbox.push(h);
    }

    /// The environment baohao needs for this stand-in's credentials.
    pub fn env(&self) -> Vec<(&'static str, &'static str)> {
        match self.app {
            App::SmsForwarder => vec![("SMSF_SECRET", SMSF_SECRET)],
            App::SmsGateway => vec![("SMSGW_USER", GW_USER), ("SMSGW_PASSWORD", GW_PASSWORD)],
        }
    }

    /// The forwarder's config entry (with the test's short `timeout_secs`).
    pub fn config(&self, id: &str) -> String {
        match self.app {
            App::SmsForwarder => format!(
                r#"{{"id":"{id}","kind":"smsforwarder","url":"{}","secret_env":"SMSF_SECRET","timeout_secs":2}}"#,
                self.url
            ),
            App::SmsGateway => format!(
                r#"{{"id":"{id}","kind":"sms-gateway","url":"{}","user_env":"SMSGW_USER","password_env":"SMSGW_PASSWORD","timeout_secs":2}}"#,
                self.url
            ),
        }
    }
}

struct Request {
    method: String,
    path: String,
    query: String,
    headers: HashMap<String, String>,
    body: Vec<u8>,
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p.to_string(), q.to_string()),
        None => (target, String::new()),
    };
    let headers: HashMap<String, String> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let len: usize = headers
        .get("content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end + 4..].to_vec();
    while body.len() < len {
        let n = stream.read(&mut chunk).ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        path,
        query,
        headers,
        body,
    })
}

fn respond(stream: &mut TcpStream, status: u16, body: &str) {
    respond_as(stream, status, "application/json", body);
}

fn respond_as(stream: &mut TcpStream, status: u16, content_type: &str, body: &str) {
    let reason = match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        404 => "Not Found",
        409 => "Conflict",
        _ => "Internal Server Error",
    };
    let _ = write!(
        stream,
        "HTTP/1.1 {status} {reason}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.flush();
}

fn serve(app: App, prefix: &str, mut stream: TcpStream, state: &Arc<Mutex<State>>) {
    let Some(mut req) = read_request(&mut stream) else {
        return;
    };
    if !prefix.is_empty() {
        match req.path.strip_prefix(prefix) {
            Some(rest) if rest.starts_with('/') => req.path = rest.to_string(),
            _ => {
                let why = format!("{} {}: not under {prefix}", req.method, req.path);
                state.lock().unwrap().bad.push(why.clone());
                respond(
                    &mut stream,
                    404,
                    &serde_json::json!({"message": why}).to_string(),
                );
                return;
            }
        }
    }
    state
        .lock()
        .unwrap()
        .requests
        .push(format!("{} {}", req.method, req.path));
    if app == App::SmsGateway && req.method == "GET" && req.path.starts_with("/messages/") {
        let instead = state.lock().unwrap().state_answer.clone();
        if let Some((status, content_type, body)) = instead {
            respond_as(&mut stream, status, &content_type, &body);
            return;
        }
    }
    let (status, body) = match app {
        App::SmsForwarder => smsforwarder(&req, state),
        App::SmsGateway => gateway(&req, state),
    };
    match status {
        // Hang: keep the connection open, say nothing.
        0 => std::thread::sleep(Duration::from_secs(600)),
        // Drop after reading.
        1 => drop(stream),
        _ => respond(&mut stream, status, &body),
    }
}

fn refuse(state: &Mutex<State>, why: String) -> (u16, String) {
    state.lock().unwrap().bad.push(why.clone());
    (
        200,
        serde_json::json!({"code": 500, "msg": why}).to_string(),
    )
}

/// What a sending request meets, given the behaviour: `None` to answer normally.
fn misbehave(state: &Mutex<State>, fail: impl Fn(&str) -> (u16, String)) -> Option<(u16, String)> {
    match state.lock().unwrap().behaviour.clone() {
        Behaviour::Normal => None,
        Behaviour::AppFails(msg) => Some(fail(&msg)),
        Behaviour::Hang => Some((0, String::new())),
        Behaviour::DropAfterRead => Some((1, String::new())),
    }
}

/// When the test asks (`check_intent_in`): whether the log holds a text's intent (an
/// `intent` line whose action is `sms`) before the app is asked to send `text`; the
/// reason when it does not.
fn intent_missing(state: &Mutex<State>, text: &str) -> Option<String> {
    let log = state.lock().unwrap().intent_in.clone()?;
    let lines = std::fs::read_to_string(&log).unwrap_or_default();
    let there = lines.lines().any(|l| {
        serde_json::from_str::<serde_json::Value>(l)
            .is_ok_and(|v| v["type"] == "intent" && v["action"] == "sms")
    });
    (!there).then(|| format!("asked to send {text:?} before its intent was in the log"))
}

fn smsforwarder(req: &Request, state: &Mutex<State>) -> (u16, String) {
    if req.method != "POST" {
        return refuse(state, format!("{} {} is not POST", req.method, req.path));
    }
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(&req.body) else {
        return refuse(state, format!("{}: the body is not JSON", req.path));
    };
    let Some(ts) = v["timestamp"].as_i64() else {
        return refuse(state, format!("{}: no millisecond timestamp", req.path));
    };
    if (now_ms() - ts).abs() > 5 * 60 * 1000 {
        return refuse(state, format!("{}: stale timestamp {ts}", req.path));
    }
    if v["sign"].as_str() != Some(smsf_sign(SMSF_SECRET, ts).as_str()) {
        return refuse(state, format!("{}: bad sign {}", req.path, v["sign"]));
    }
    let data = &v["data"];
    if !data.is_object() {
        return refuse(state, format!("{}: no data object", req.path));
    }
    let ok = |data: serde_json::Value| {
        (
            200,
            serde_json::json!({"code": 200, "msg": "success", "data": data, "timestamp": now_ms()})
                .to_string(),
        )
    };
    match req.path.as_str() {
        "/sms/send" => {
            let (Some(slot), Some(to), Some(text)) = (
                data["sim_slot"].as_i64(),
                data["phone_numbers"].as_str(),
                data["msg_content"].as_str(),
            ) else {
                return refuse(state, format!("/sms/send: fields missing in {data}"));
            };
            if !(1..=2).contains(&slot) || to.is_empty() || text.is_empty() {
                return refuse(state, format!("/sms/send: bad fields {data}"));
            }
            if let Some(why) = intent_missing(state, text) {
                state.lock().unwrap().bad.push(why);
            }
            let sent = Sent {
                slot: Some(slot),
                to: to.to_string(),
                text: text.to_string(),
                id: None,
            };
            let b = state.lock().unwrap().behaviour.clone();
            if !matches!(b, Behaviour::AppFails(_)) {
                let mut s = state.lock().unwrap();
                if let Some((want, from, reply)) = s.auto_reply.clone()
                    && want == sent.to
                {
                    let date_ms = s.clock_ms.unwrap_or_else(now_ms);
                    s.inbox.push(Held {
                        from,
                        text: reply,
                        date_ms,
                        sim_id: slot - 1,
                    });
                }
                s.sent.push(sent);
            }
            if let Some(r) = misbehave(state, |msg| {
                (
                    200,
                    serde_json::json!({"code": 500, "msg": msg, "timestamp": now_ms()}).to_string(),
                )
            }) {
                return r;
            }
            ok(serde_json::Value::Null)
        }
        "/config/query" => ok(serde_json::json!({
            "enable_api_sms_send": true,
            "enable_api_sms_query": true,
            "enable_api_battery_query": true,
            "extra_device_mark": "Pixel 3",
            "sim_info_list": {
                "0": {"carrier_name": "China Mobile", "icc_id": "89860000000000000001",
                      "number": "+8613800000001", "sim_slot_index": 0, "subscription_id": 1},
                "1": {"carrier_name": "giffgaff", "icc_id": "8944000000000000002",
                      "number": "", "sim_slot_index": 1, "subscription_id": 2}
            }
        })),
        "/battery/query" => {
            let s = state.lock().unwrap();
            ok(serde_json::json!({
                "level": format!("{}%", s.battery_level),
                "scale": "100",
                "voltage": "4.2V",
                "temperature": "30.0℃",
                "status": if s.charging { "充电中" } else { "放电中" },
                "health": "良好",
                "plugged": if s.charging { "AC" } else { "未知" }
            }))
        }
        "/sms/query" => {
            let (Some(kind), Some(page), Some(size)) = (
                data["type"].as_i64(),
                data["page_num"].as_i64(),
                data["page_size"].as_i64(),
            ) else {
                return refuse(state, format!("/sms/query: fields missing in {data}"));
            };
            if kind != 1 || page < 1 || size < 1 {
                return refuse(state, format!("/sms/query: bad fields {data}"));
            }
            let s = state.lock().unwrap();
            let mut all = s.inbox.clone();
            all.sort_by_key(|h| std::cmp::Reverse(h.date_ms));
            let list: Vec<_> = all
                .iter()
                .skip(((page - 1) * size) as usize)
                .take(size as usize)
                .map(|h| {
                    serde_json::json!({"name": "", "number": h.from, "content": h.text,
                        "type": 1, "date": h.date_ms, "sim_id": h.sim_id, "sub_id": h.sim_id + 1})
                })
                .collect();
            ok(serde_json::Value::Array(list))
        }
        other => refuse(state, format!("{other}: no such endpoint")),
    }
}

fn gateway_auth_ok(req: &Request) -> bool {
    let want = base64::engine::general_purpose::STANDARD.encode(format!("{GW_USER}:{GW_PASSWORD}"));
    req.headers.get("authorization").map(String::as_str) == Some(format!("Basic {want}").as_str())
}

fn gateway(req: &Request, state: &Arc<Mutex<State>>) -> (u16, String) {
    let bad = |state: &Mutex<State>, code: u16, why: String| {
        state.lock().unwrap().bad.push(why.clone());
        (code, serde_json::json!({"message": why}).to_string())
    };
    if req.path == "/health" && req.method == "GET" {
        let s = state.lock().unwrap();
        return (
            200,
            serde_json::json!({
                "status": "pass",
                "version": "1.40.0",
                "checks": {
                    "battery:level": {"description": "Battery level in percent",
                        "observedUnit": "percent", "observedValue": s.battery_level, "status": "pass"},
                    "battery:charging": {"description": "Is the phone charging?",
                        "observedUnit": "boolean", "observedValue": if s.charging { 1 } else { 0 }, "status": "pass"}
                }
            })
            .to_string(),
        );
    }
    if !gateway_auth_ok(req) {
        return bad(
            state,
            401,
            format!("{} {}: bad credentials", req.method, req.path),
        );
    }
    match (req.method.as_str(), req.path.as_str()) {
        ("POST", "/message") => {
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&req.body) else {
                return bad(state, 400, "/message: the body is not JSON".into());
            };
            let (Some(id), Some(text), Some(phones)) = (
                v["id"].as_str(),
                v["textMessage"]["text"].as_str(),
                v["phoneNumbers"].as_array(),
            ) else {
                return bad(state, 400, format!("/message: fields missing in {v}"));
            };
            if id.is_empty() || id.len() > 36 || text.is_empty() || phones.len() != 1 {
                return bad(state, 400, format!("/message: bad fields {v}"));
            }
            if let Some(why) = intent_missing(state, text) {
                state.lock().unwrap().bad.push(why);
            }
            let to = phones[0].as_str().unwrap_or_default().to_string();
            let short = !to.starts_with('+');
            let skip = req
                .query
                .split('&')
                .any(|p| p == "skipPhoneValidation=true");
            if short && !skip {
                return bad(
                    state,
                    400,
                    format!("/message: {to} is not E.164 and validation was not skipped"),
                );
            }
            if state
                .lock()
                .unwrap()
                .sent
                .iter()
                .any(|s| s.id.as_deref() == Some(id))
            {
                return bad(state, 409, format!("/message: id {id} sent twice"));
            }
            let sent = Sent {
                slot: v["simNumber"].as_i64(),
                to: to.clone(),
                text: text.to_string(),
                id: Some(id.to_string()),
            };
            let b = state.lock().unwrap().behaviour.clone();
            if !matches!(b, Behaviour::AppFails(_)) {
                let mut s = state.lock().unwrap();
                if let (Some((want, from, reply)), Some(hook)) =
                    (s.auto_reply.clone(), s.deliver.clone())
                    && want == sent.to
                {
                    let at = s.clock_ms.unwrap_or_else(now_ms);
                    let sim = sent.slot.unwrap_or(1) as u8;
                    let id = format!("reply-{}", s.sent.len());
                    let log = Arc::clone(state);
                    // The carrier answers a moment later; the app posts it to the inbox.
                    std::thread::spawn(move || {
                        std::thread::sleep(Duration::from_millis(300));
                        let received = chrono::DateTime::from_timestamp_millis(at)
                            .expect("a time")
                            .to_rfc3339();
                        let (body, headers) = super::phone::sms_gateway(
                            &hook.2,
                            at / 1000,
                            &id,
                            &from,
                            &reply,
                            sim,
                            &received,
                        );
                        let status = super::phone::Phone::new(hook.0)
                            .post(&hook.1, &headers, &body)
                            .map_or(0, |a| a.status);
                        log.lock().unwrap().delivered.push(status);
                    });
                }
                s.sent.push(sent);
            }
            if let Some(r) = misbehave(state, |msg| {
                (500, serde_json::json!({"message": msg}).to_string())
            }) {
                return r;
            }
            (
                202,
                serde_json::json!({"id": id, "state": "Pending",
                    "recipients": [{"phoneNumber": to, "state": "Pending"}]})
                .to_string(),
            )
        }
        ("GET", p) if p.starts_with("/messages/") => {
            let id = &p["/messages/".len()..];
            let s = state.lock().unwrap();
            if !s.sent.iter().any(|x| x.id.as_deref() == Some(id)) {
                return (
                    404,
                    serde_json::json!({"message": "message not found"}).to_string(),
                );
            }
            let st = s.gateway_state.clone();
            (
                200,
                serde_json::json!({"id": id, "state": st,
                    "recipients": [{"phoneNumber": "", "state": st,
                        "error": if st == "Failed" { Some("RESULT_ERROR_GENERIC_FAILURE") } else { None }}]})
                .to_string(),
            )
        }
        ("GET", "/devices") => (200, state.lock().unwrap().devices.to_string()),
        ("POST", "/webhooks") => {
            let Ok(v) = serde_json::from_slice::<serde_json::Value>(&req.body) else {
                return bad(state, 400, "/webhooks: the body is not JSON".into());
            };
            if v["event"] != "sms:received"
                || !v["url"].as_str().is_some_and(|u| u.starts_with("http"))
            {
                return bad(state, 400, format!("/webhooks: bad fields {v}"));
            }
            state.lock().unwrap().webhooks.push(v.clone());
            (201, v.to_string())
        }
        (m, p) => bad(state, 404, format!("{m} {p}: no such endpoint")),
    }
}
