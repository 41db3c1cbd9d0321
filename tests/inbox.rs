//! The inbox (receiving) through the real binary: a "phone" posting webhooks to
//! `baohao daemon` — SmsForwarder, SMS Gateway for Android and a board; valid, badly
//! signed, stale, future, replayed, for an unknown forwarder, oversized, trickled; a burst
//! of 1,000 over 10 connections; the daemon SIGKILLed again and again while texts arrive.
//! Every text that got a 2xx is in the log exactly once, and nothing else is.

mod common;

use std::collections::HashMap;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use baohao::model::EventBody;
use baohao::store::Log;
use common::phone::{self, Phone};

const NOW: &str = "2026-03-01T12:00:00Z";
const SMSF_SECRET: &str = "smsf-secret-0123456789";
const GW_KEY: &str = "gateway-key-0123456789";
const BOARD_TOKEN: &str = "board-token-0123456789";

fn now_ms() -> i64 {
    NOW.parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap()
        .timestamp_millis()
}

/// A running `baohao daemon`, killed when dropped (also when a test panics): a daemon left
/// behind would hold its port and the machine's build lock. Its stderr is read as it
/// comes (a full pipe would stall it) into `err`.
struct Daemon(Child, std::sync::Arc<std::sync::Mutex<String>>);

impl Daemon {
    fn err(&self) -> String {
        self.1.lock().unwrap().clone()
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

struct Home {
    dir: tempfile::TempDir,
    addr: SocketAddr,
}

fn number(id: &str, carrier: &str, forwarder: &str) -> String {
    format!(
        r#"{{"id":"{id}","label":"{id}","msisdn":"+8613800000000","currency":"CNY","carrier":"{carrier}",
            "provider":{{"kind":"manual"}},"executor":{{"kind":"remind"}},"forwarder":{forwarder}}}"#
    )
}

impl Home {
    /// A home whose inbox listens on `host` (a free port), with the three kinds of
    /// forwarder and four numbers: a and b in SmsForwarder's two slots, c on SMS Gateway,
    /// d on a board.
    fn new(host: &str) -> Home {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("home")).unwrap();
        let port = phone::free_port();
        let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let h = Home { dir, addr };
        h.write_config(&format!("{host}:{port}"));
        std::fs::write(h.dir.path().join("clock"), NOW).unwrap();
        h
    }

    fn write_config(&self, listen: &str) {
        let numbers = [
            number("a", "China Mobile", r#"{"id":"pixel","slot":1}"#),
            number("b", "China Unicom", r#"{"id":"pixel","slot":2}"#),
            number("c", "", r#"{"id":"moto"}"#),
            number("d", "", r#"{"id":"board"}"#),
        ];
        std::fs::write(
            self.home().join("config.json"),
            format!(
                r#"{{"version":1,"timezone":"Asia/Shanghai",
                  "forwarders":[
                    {{"id":"pixel","kind":"smsforwarder","url":"http://127.0.0.1:9","secret_env":"SMSF_SECRET"}},
                    {{"id":"moto","kind":"sms-gateway","url":"http://127.0.0.1:9","signing_key_env":"GW_KEY"}},
                    {{"id":"board","kind":"webhook","token_env":"BOARD_TOKEN"}}],
                  "inbox":{{"listen":"{listen}"}},
                  "numbers":[{}]}}"#,
                numbers.join(",")
            ),
        )
        .unwrap();
    }

    fn home(&self) -> PathBuf {
        self.dir.path().join("home")
    }

    fn daemon_with(&self, env: &[(&str, &str)]) -> Daemon {
        let mut c = Command::new(env!("CARGO_BIN_EXE_baohao"));
        c.arg("--home")
            .arg(self.home())
            .arg("daemon")
            .env(
                "BAOHAO_NOW",
                format!("@{}", self.dir.path().join("clock").display()),
            )
            .env("LANG", "C.UTF-8")
            .env_remove("LC_ALL")
            .env_remove("BAOHAO_HOME")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            c.env(k, v);
        }
        let mut child = c.spawn().unwrap();
        let err = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut pipe = child.stderr.take().unwrap();
        let sink = err.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = std::io::Read::read(&mut pipe, &mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        Daemon(child, err)
    }

    fn daemon(&self) -> Daemon {
        self.daemon_with(&[
            ("SMSF_SECRET", SMSF_SECRET),
            ("GW_KEY", GW_KEY),
            ("BOARD_TOKEN", BOARD_TOKEN),
        ])
    }

    /// The texts in the log: (number, what it became, its text or balance).
    fn texts(&self) -> Vec<(String, String, String)> {
        let (events, _) = Log::new(self.home().join("log.jsonl")).read_all().unwrap();
        events
            .into_iter()
            .filter_map(|e| {
                let (kind, what) = match &e.body {
                    EventBody::Message { text, .. } => ("message", text.clone()),
                    EventBody::Balance {
                        balance_minor,
                        source,
                        ..
                    } if source == "sms" => ("balance", balance_minor.to_string()),
                    EventBody::Statement { text, source, .. } if source == "sms" => {
                        ("statement", text.clone())
                    }
                    _ => return None,
                };
                Some((e.number.clone(), kind.to_string(), what))
            })
            .collect()
    }
}

/// Stops a daemon with SIGTERM and returns what it wrote on stderr.
fn stop(mut d: Daemon) -> String {
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(d.0.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    d.0.wait().unwrap();
    // The reader has what the daemon wrote once the pipe closes.
    for _ in 0..500 {
        let err = d.err();
        if err.contains("stopped") {
            return err;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    d.err()
}

fn json() -> (&'static str, String) {
    ("Content-Type", "application/json".to_string())
}

#[test]
fn each_kind_of_forwarder_is_heard_and_every_bad_post_refused_without_a_trace() {
    let h = Home::new("127.0.0.1");
    let d = h.daemon();
    phone::wait_listening(h.addr);
    let mut p = Phone::new(h.addr);
    let ts = now_ms();

    // SmsForwarder, slot 2: a balance notice becomes b's reading.
    let balance = phone::smsforwarder_json(
        SMSF_SECRET,
        ts,
        "10010",
        "尊敬的客户，您的账户余额为12.34元。",
        "SIM2_中国联通_",
        "2026-03-01 19:58:30",
    );
    let a = p.post("/in/pixel", &[json()], &balance).unwrap();
    assert_eq!((a.status, a.body.as_slice()), (200, &b"ok\n"[..]));
    // Replayed within the window (a retry after a lost answer): 2xx, nothing added.
    assert_eq!(
        p.post("/in/pixel", &[json()], &balance).unwrap().status,
        200
    );
    // The same text retried later, signed afresh.
    let retry = phone::smsforwarder_json(
        SMSF_SECRET,
        ts + 60_000,
        "10010",
        "尊敬的客户，您的账户余额为12.34元。",
        "SIM2_中国联通_",
        "2026-03-01 19:58:30",
    );
    assert_eq!(p.post("/in/pixel", &[json()], &retry).unwrap().status, 200);

    // SmsForwarder's form body, slot 1: a text baohao does not understand is kept. (Signed
    // a millisecond later: the app signs each post afresh, and a sign already used with
    // another text is refused.)
    let sign = baohao::inbox::sign::smsforwarder_sign(SMSF_SECRET, ts + 1);
    let form = format!(
        "from=10086&content=%E4%BD%A0%E5%A5%BD&card_slot=SIM1&receive_time=2026-03-01+19%3A59%3A00&timestamp={}&sign={}",
        ts + 1,
        url::form_urlencoded::byte_serialize(sign.as_bytes()).collect::<String>()
    );
    let a = p
        .post(
            "/in/pixel",
            &[(
                "Content-Type",
                "application/x-www-form-urlencoded".to_string(),
            )],
            form.as_bytes(),
        )
        .unwrap();
    assert_eq!(a.status, 200);

    // SMS Gateway, and its retry of the same event.
    let (body, headers) = phone::sms_gateway(
        GW_KEY,
        ts / 1000,
        "ev-1",
        "+447700900123",
        "Your code is 1234",
        1,
        "2026-03-01T11:59:00.000+00:00",
    );
    assert_eq!(p.post("/in/moto", &headers, &body).unwrap().status, 200);
    let (body2, headers2) = phone::sms_gateway(
        GW_KEY,
        ts / 1000 + 30,
        "ev-1",
        "+447700900123",
        "Your code is 1234",
        1,
        "2026-03-01T11:59:00.000+00:00",
    );
    assert_eq!(p.post("/in/moto", &headers2, &body2).unwrap().status, 200);

    // A board: JSON with a Bearer token, a form with ?token=, and its free-text msg.
    let (body, headers) = phone::board(BOARD_TOKEN, "95588", "board hello", ts / 1000);
    assert_eq!(p.post("/in/board", &headers, &body).unwrap().status, 200);
    let q = format!("/in/board?token={BOARD_TOKEN}");
    let form = b"sender=95533&message=board+form&timestamp=1772366340";
    assert_eq!(p.post(&q, &[], form).unwrap().status, 200);
    let msg = serde_json::json!({"msg": "free text from the board\n\n发件号码: 10000\n发件时间: 2026/03/01 19:57:00"})
        .to_string();
    assert_eq!(p.post(&q, &[json()], msg.as_bytes()).unwrap().status, 200);

    let good = h.texts();
    let want = vec![
        ("b", "balance", "1234"),
        ("a", "message", "你好"),
        ("c", "message", "Your code is 1234"),
        ("d", "message", "board hello"),
        ("d", "message", "board form"),
        ("d", "message", "free text from the board"),
    ];
    let got: Vec<(&str, &str, &str)> = good
        .iter()
        .map(|(n, k, t)| (n.as_str(), k.as_str(), t.as_str()))
        .collect();
    assert_eq!(got, want);

    // Refused: 401/404, an empty answer, nothing written.
    let bad_sign = phone::smsforwarder_json("not-the-secret", ts, "1", "bad sign", "SIM1", "");
    let stale = phone::smsforwarder_json(SMSF_SECRET, ts - 301_000, "1", "stale", "SIM1", "");
    let future = phone::smsforwarder_json(SMSF_SECRET, ts + 301_000, "1", "future", "SIM1", "");
    let unsigned = br#"{"from":"1","content":"unsigned","card_slot":"SIM1"}"#.to_vec();
    for body in [&bad_sign, &stale, &future, &unsigned] {
        let a = p.post("/in/pixel", &[json()], body).unwrap();
        assert_eq!(
            (a.status, a.body.len()),
            (401, 0),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    let (body, mut headers) = phone::sms_gateway(GW_KEY, ts / 1000, "ev-2", "1", "gw bad", 1, "");
    headers[1].1 = "00".repeat(32);
    assert_eq!(p.post("/in/moto", &headers, &body).unwrap().status, 401);
    let (body, headers) =
        phone::sms_gateway(GW_KEY, ts / 1000 - 400, "ev-3", "1", "gw stale", 1, "");
    assert_eq!(p.post("/in/moto", &headers, &body).unwrap().status, 401);
    let (body, _) = phone::board(BOARD_TOKEN, "1", "no token", 0);
    assert_eq!(p.post("/in/board", &[json()], &body).unwrap().status, 401);
    let (body, headers) = phone::board("wrong-token-000000", "1", "wrong token", 0);
    assert_eq!(p.post("/in/board", &headers, &body).unwrap().status, 401);
    let a = p.post("/in/nokia", &[json()], &balance).unwrap();
    assert_eq!((a.status, a.body.len()), (404, 0));

    // Oversized: a body over 64 KiB, declared or sent chunked, and a head over 8 KiB.
    let big = vec![b'x'; 70 * 1024];
    let a = p.post("/in/pixel", &[json()], &big).unwrap();
    assert_eq!(a.status, 413);
    let mut s = TcpStream::connect(h.addr).unwrap();
    s.write_all(b"POST /in/pixel HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        .unwrap();
    for _ in 0..70 {
        if s.write_all(format!("400\r\n{}\r\n", "y".repeat(1024)).as_bytes())
            .is_err()
        {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n");
    let a = phone::read_answer(&mut s).unwrap();
    assert_eq!(a.status, 413);
    assert!(phone::closed_by_server(&mut s));
    let mut s = TcpStream::connect(h.addr).unwrap();
    let long = format!(
        "POST /in/pixel HTTP/1.1\r\nHost: x\r\nX-Padding: {}\r\nContent-Length: 2\r\n\r\n{{}}",
        "p".repeat(9 * 1024)
    );
    let _ = s.write_all(long.as_bytes());
    assert!(phone::closed_by_server(&mut s));

    // Trickled: a head that never ends, and a body that never comes, are cut.
    let mut s = TcpStream::connect(h.addr).unwrap();
    s.write_all(b"POST /in/pixel HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    assert!(phone::closed_by_server(&mut s));
    let mut s = TcpStream::connect(h.addr).unwrap();
    s.write_all(b"POST /in/pixel HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"fr")
        .unwrap();
    assert!(phone::closed_by_server(&mut s));

    // Still serving, and still nothing but the good texts.
    assert_eq!(
        p.post("/in/pixel", &[json()], &balance).unwrap().status,
        200
    );
    assert_eq!(h.texts(), good);

    let err = stop(d);
    for secret in [SMSF_SECRET, GW_KEY, BOARD_TOKEN] {
        assert!(!err.contains(secret), "a secret in the log: {err}");
    }
    assert!(!err.contains(&sign), "a signature in the log: {err}");
    // A refusal is said (with why, never what was sent), once a minute per source.
    assert_eq!(err.matches("was refused").count(), 1, "{err}");
    assert!(err.contains("127.0.0.1"), "{err}");
}

#[test]
fn a_burst_of_1000_over_10_connections_is_in_the_log_exactly_once() {
    let h = Home::new("127.0.0.1");
    let d = h.daemon();
    phone::wait_listening(h.addr);
    let threads: Vec<_> = (0..10)
        .map(|c| {
            let addr = h.addr;
            std::thread::spawn(move || {
                let mut p = Phone::new(addr);
                for i in 0..100 {
                    // Each post signed at its own millisecond, as the app's are.
                    let ts = now_ms() + c * 100 + i;
                    let text = format!("burst {c}-{i}");
                    let body = phone::smsforwarder_json(
                        SMSF_SECRET,
                        ts,
                        "10086",
                        &text,
                        "SIM1",
                        "2026-03-01 19:00:00",
                    );
                    // A phone retries what was not answered 2xx.
                    loop {
                        match p.post("/in/pixel", &[json()], &body) {
                            Ok(a) if a.status == 200 => break,
                            Ok(a) => panic!("{text}: {}", a.status),
                            Err(_) => continue,
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let texts = h.texts();
    let mut count: HashMap<&str, usize> = HashMap::new();
    for (n, k, t) in &texts {
        assert_eq!((n.as_str(), k.as_str()), ("a", "message"));
        *count.entry(t.as_str()).or_default() += 1;
    }
    assert_eq!(count.len(), 1000);
    assert!(count.values().all(|&c| c == 1), "{count:?}");
    stop(d);
}

#[test]
fn a_network_listener_needs_every_forwarders_secret() {
    let h = Home::new("0.0.0.0");
    // The board's token is not set: anyone on the network could post as it.
    let mut d = h.daemon_with(&[("SMSF_SECRET", SMSF_SECRET), ("GW_KEY", GW_KEY)]);
    while !d.err().contains("does not listen") {
        assert!(
            d.0.try_wait().unwrap().is_none(),
            "the daemon ended: {}",
            d.err()
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    assert!(d.err().contains("board"), "{}", d.err());
    assert!(TcpStream::connect(h.addr).is_err(), "it listens anyway");
    drop(d);
    // With every secret set, it listens on all addresses.
    let d = h.daemon();
    phone::wait_listening(h.addr);
    stop(d);
}

#[test]
fn a_broken_config_or_a_busy_log_is_503_and_the_retry_lands_once() {
    let h = Home::new("127.0.0.1");
    let d = h.daemon();
    phone::wait_listening(h.addr);
    let mut p = Phone::new(h.addr);
    let body = phone::smsforwarder_json(
        SMSF_SECRET,
        now_ms(),
        "10086",
        "try me",
        "SIM1",
        "2026-03-01 19:00:00",
    );
    let config = std::fs::read_to_string(h.home().join("config.json")).unwrap();
    std::fs::write(h.home().join("config.json"), "{ not json").unwrap();
    assert_eq!(p.post("/in/pixel", &[json()], &body).unwrap().status, 503);
    std::fs::write(h.home().join("config.json"), &config).unwrap();
    // Another baohao holds the log's lock for longer than the inbox waits.
    Log::new(h.home().join("log.jsonl"))
        .check_writable()
        .unwrap();
    let holder = std::fs::OpenOptions::new()
        .append(true)
        .open(h.home().join("log.jsonl"))
        .unwrap();
    holder.lock().unwrap();
    assert_eq!(p.post("/in/pixel", &[json()], &body).unwrap().status, 503);
    drop(holder);
    assert!(h.texts().is_empty());
    assert_eq!(p.post("/in/pixel", &[json()], &body).unwrap().status, 200);
    assert_eq!(p.post("/in/pixel", &[json()], &body).unwrap().status, 200);
    assert_eq!(h.texts().len(), 1);
    stop(d);
}

#[test]
fn at_most_64_connections_are_served_at_once() {
    let h = Home::new("127.0.0.1");
    let d = h.daemon();
    phone::wait_listening(h.addr);
    // wait_listening's probe connections are gone once they are answered or closed.
    let mut held: Vec<TcpStream> = Vec::new();
    for _ in 0..64 {
        let mut s = TcpStream::connect(h.addr).unwrap();
        s.write_all(b"POST /in/pixel HTTP/1.1\r\n").unwrap();
        held.push(s);
    }
    let body = phone::smsforwarder_json(
        SMSF_SECRET,
        now_ms(),
        "10086",
        "the 65th",
        "SIM1",
        "2026-03-01 19:00:00",
    );
    let waiting = std::thread::spawn({
        let addr = h.addr;
        move || phone::post(addr, "/in/pixel", &[json()], &body).map(|a| a.status)
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(h.texts().is_empty(), "a 65th connection was served");
    drop(held);
    assert_eq!(waiting.join().unwrap().unwrap(), 200);
    assert_eq!(h.texts().len(), 1);
    stop(d);
}

/// What the phone of the SIGKILL test has sent: every text's body, those not yet answered
/// 2xx (in the order it sends them), and those that were.
#[derive(Default)]
struct Sent {
    bodies: Vec<(String, Vec<u8>)>,
    pending: std::collections::VecDeque<usize>,
    acked: std::collections::HashSet<usize>,
    /// Posts that a kill cut before their answer came.
    cut: usize,
}

impl Sent {
    /// The next text to send: the oldest unanswered one, else a new one.
    fn next(&mut self) -> usize {
        if let Some(&i) = self.pending.front() {
            return i;
        }
        let i = self.bodies.len();
        let text = format!("kill text {i}");
        let body = phone::smsforwarder_json(
            SMSF_SECRET,
            // The clock stands still: each text signed at a millisecond of its own.
            now_ms() - i as i64,
            "10086",
            &text,
            "SIM1",
            "2026-03-01 19:00:00",
        );
        self.bodies.push((text, body));
        self.pending.push_back(i);
        i
    }
}

/// The daemon killed at random moments while a phone posts: every text answered 2xx is
/// in the log once; every other one is there once or not at all, and once after the
/// phone's retries; a text sent again after its 2xx (a lost answer) adds nothing.
#[test]
fn sigkill_while_texts_arrive_loses_and_duplicates_nothing() {
    let h = Home::new("127.0.0.1");
    let mut seed = 0x9E3779B97F4A7C15u64;
    let mut rnd = move |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    let sent = std::sync::Arc::new(std::sync::Mutex::new(Sent::default()));
    let stop_posting = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let kills = 200;
    for _ in 0..kills {
        let mut d = h.daemon();
        phone::wait_listening(h.addr);
        stop_posting.store(false, std::sync::atomic::Ordering::SeqCst);
        let poster = std::thread::spawn({
            let (addr, sent, stop) = (h.addr, sent.clone(), stop_posting.clone());
            move || {
                let mut p = Phone::new(addr);
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let (i, body) = {
                        let mut s = sent.lock().unwrap();
                        let i = s.next();
                        (i, s.bodies[i].1.clone())
                    };
                    match p.post("/in/pixel", &[json()], &body) {
                        Ok(a) if a.status == 200 => {
                            let mut s = sent.lock().unwrap();
                            s.acked.insert(i);
                            s.pending.retain(|&j| j != i);
                        }
                        // The daemon is gone: the phone waits for it to come back.
                        _ => {
                            sent.lock().unwrap().cut += 1;
                            return;
                        }
                    }
                }
            }
        });
        std::thread::sleep(Duration::from_millis(rnd(400)));
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(d.0.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        d.0.wait().unwrap();
        stop_posting.store(true, std::sync::atomic::Ordering::SeqCst);
        poster.join().unwrap();
        // Every 2xx'd text is in the log once, every other at most once.
        let mut count: HashMap<String, usize> = HashMap::new();
        for (_, _, t) in h.texts() {
            *count.entry(t).or_default() += 1;
        }
        let mut s = sent.lock().unwrap();
        for (i, (text, _)) in s.bodies.iter().enumerate() {
            let n = count.get(text).copied().unwrap_or(0);
            if s.acked.contains(&i) {
                assert_eq!(n, 1, "{text} was answered 2xx");
            } else {
                assert!(n <= 1, "{text} is in the log {n} times");
            }
        }
        // Now and then a text answered 2xx is sent again, as by a phone that lost the answer.
        if rnd(3) == 0 && !s.acked.is_empty() {
            let i = *s
                .acked
                .iter()
                .nth(rnd(s.acked.len() as u64) as usize)
                .unwrap();
            s.pending.push_back(i);
        }
    }
    // A last run lets every unanswered text through.
    let d = h.daemon();
    phone::wait_listening(h.addr);
    let mut p = Phone::new(h.addr);
    let left: Vec<Vec<u8>> = {
        let s = sent.lock().unwrap();
        s.pending.iter().map(|&i| s.bodies[i].1.clone()).collect()
    };
    for body in left {
        assert_eq!(p.post("/in/pixel", &[json()], &body).unwrap().status, 200);
    }
    stop(d);
    let mut count: HashMap<String, usize> = HashMap::new();
    for (_, _, t) in h.texts() {
        *count.entry(t).or_default() += 1;
    }
    let s = sent.lock().unwrap();
    eprintln!(
        "{kills} kills, {} texts, {} posts cut by a kill and sent again",
        s.bodies.len(),
        s.cut
    );
    assert_eq!(count.len(), s.bodies.len(), "a text is missing");
    assert!(count.values().all(|&c| c == 1), "a text twice: {count:?}");
    assert!(
        s.acked.len() >= kills,
        "too few texts were answered to test anything"
    );
}

#[test]
fn webhook_field_names_and_the_window_are_checked_in_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let check = |forwarder: &str, inbox: &str| {
        std::fs::write(
            dir.path().join("config.json"),
            format!(
                r#"{{"version":1,"forwarders":[{forwarder}],"inbox":{inbox},
                    "numbers":[{}]}}"#,
                number("a", "", r#"{"id":"p"}"#)
            ),
        )
        .unwrap();
        let o = common::run(dir.path(), NOW, &["validate"]);
        (
            o.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            ),
        )
    };
    let (ok, all) = check(
        r#"{"id":"p","kind":"webhook","fields":{"sender":"from","message":"text"}}"#,
        r#"{"listen":"127.0.0.1:8787","window_secs":120}"#,
    );
    assert!(ok, "{all}");
    let (ok, all) = check(
        r#"{"id":"p","kind":"smsforwarder","url":"http://10.0.0.2:5000","fields":{"sender":"from"}}"#,
        r#"{"listen":"127.0.0.1:8787"}"#,
    );
    assert!(!ok && all.contains("forwarders[0].fields"), "{all}");
    let (ok, all) = check(
        r#"{"id":"p","kind":"webhook","fields":{"message":" "}}"#,
        r#"{"listen":"127.0.0.1:8787","window_secs":5}"#,
    );
    assert!(!ok, "{all}");
    assert!(all.contains("forwarders[0].fields.message"), "{all}");
    assert!(
        all.contains("inbox.window_secs") || all.contains("1 more"),
        "{all}"
    );
}

#[test]
fn the_same_text_to_both_slots_is_each_numbers_own_and_a_retry_adds_nothing() {
    let h = Home::new("127.0.0.1");
    let d = h.daemon();
    phone::wait_listening(h.addr);
    let mut p = Phone::new(h.addr);
    let ts = now_ms();
    let text = "尊敬的客户，您的账户余额为12.34元。";
    for (i, sim) in [
        "SIM1_中国移动_",
        "SIM2_中国联通_",
        "SIM1_中国移动_",
        "SIM2_中国联通_",
    ]
    .iter()
    .enumerate()
    {
        let body = phone::smsforwarder_json(
            SMSF_SECRET,
            ts + i as i64 * 1000,
            "10010",
            text,
            sim,
            "2026-03-01 19:58:30",
        );
        let a = p.post("/in/pixel", &[json()], &body).unwrap();
        assert_eq!(a.status, 200, "{sim}: {}", String::from_utf8_lossy(&a.body));
    }
    stop(d);
    assert_eq!(
        h.texts(),
        vec![
            ("a".to_string(), "balance".to_string(), "1234".to_string()),
            ("b".to_string(), "balance".to_string(), "1234".to_string()),
        ]
    );
}

/// SmsForwarder signs only its `timestamp`, so a post seen on the way (plain HTTP on a
/// LAN) gives away a `sign` good for the whole window. The same sign again with the same
/// text is a retry (200, nothing added); with any other text, sender, slot or receive time
/// it is a forgery: 401, an empty answer, nothing written, said like other refusals.
#[test]
fn a_signature_already_used_cannot_carry_another_text() {
    let h = Home::new("127.0.0.1");
    let d = h.daemon();
    phone::wait_listening(h.addr);
    let mut p = Phone::new(h.addr);
    let ts = now_ms();
    let real = "尊敬的客户，您的账户余额为12.34元。";
    let body = |from: &str, text: &str, slot: &str, at: &str| {
        phone::smsforwarder_json(SMSF_SECRET, ts, from, text, slot, at)
    };
    let genuine = body("10010", real, "SIM2_中国联通_", "2026-03-01 19:58:30");
    assert_eq!(
        p.post("/in/pixel", &[json()], &genuine).unwrap().status,
        200
    );
    // The phone's retry (a lost answer): the same bytes, and the same text as a form.
    assert_eq!(
        p.post("/in/pixel", &[json()], &genuine).unwrap().status,
        200
    );
    let sign = baohao::inbox::sign::smsforwarder_sign(SMSF_SECRET, ts);
    let form = |text: &str| {
        format!(
            "from=10010&content={}&card_slot=SIM2_%E4%B8%AD%E5%9B%BD%E8%81%94%E9%80%9A_&receive_time=2026-03-01+19%3A58%3A30&timestamp={ts}&sign={}",
            url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>(),
            url::form_urlencoded::byte_serialize(sign.as_bytes()).collect::<String>()
        )
    };
    let form_headers = [(
        "Content-Type",
        "application/x-www-form-urlencoded".to_string(),
    )];
    assert_eq!(
        p.post("/in/pixel", &form_headers, form(real).as_bytes())
            .unwrap()
            .status,
        200
    );
    // Someone who saw it sends what they like under its timestamp and sign.
    let low = "尊敬的客户，您的账户余额为0.01元。";
    let forged = [
        body("10010", low, "SIM2_中国联通_", "2026-03-01 19:58:30"),
        body(
            "10010",
            "您已成功充值100元",
            "SIM2_中国联通_",
            "2026-03-01 19:58:30",
        ),
        body("95588", real, "SIM2_中国联通_", "2026-03-01 19:58:30"),
        body("10010", real, "SIM1_中国移动_", "2026-03-01 19:58:30"),
        body("10010", real, "SIM2_中国联通_", "2026-03-01 19:59:30"),
        form(low).into_bytes(),
    ];
    for (i, f) in forged.iter().enumerate() {
        let headers = if i == forged.len() - 1 {
            &form_headers[..]
        } else {
            &[json()][..]
        };
        let a = p.post("/in/pixel", headers, f).unwrap();
        assert_eq!(
            (a.status, a.body.len()),
            (401, 0),
            "{}",
            String::from_utf8_lossy(f)
        );
    }
    // The genuine text is still a retry, and a new text signed afresh is heard.
    assert_eq!(
        p.post("/in/pixel", &[json()], &genuine).unwrap().status,
        200
    );
    let next = phone::smsforwarder_json(
        SMSF_SECRET,
        ts + 1,
        "10086",
        "a later text",
        "SIM1_中国移动_",
        "2026-03-01 19:59:00",
    );
    assert_eq!(p.post("/in/pixel", &[json()], &next).unwrap().status, 200);
    let err = stop(d);
    assert_eq!(
        h.texts(),
        vec![
            ("b".to_string(), "balance".to_string(), "1234".to_string()),
            (
                "a".to_string(),
                "message".to_string(),
                "a later text".to_string()
            ),
        ]
    );
    assert_eq!(err.matches("was refused").count(), 1, "{err}");
    assert!(!err.contains(&sign), "a signature in the log: {err}");
    assert!(!err.contains(SMSF_SECRET), "a secret in the log: {err}");
}

/// A refusal is said once a minute for each source address, not once for all: bad posts
/// from three phones (two of them twice) are three lines, each naming its address, and none
/// shows the signature or a secret.
#[test]
fn a_refusal_is_said_once_a_minute_for_each_source_address() {
    let h = Home::new("127.0.0.1");
    let d = h.daemon();
    phone::wait_listening(h.addr);
    let ts = now_ms();
    let mut signs = Vec::new();
    for (i, source) in [
        "127.0.0.1",
        "127.0.0.2",
        "127.0.0.1",
        "127.0.0.3",
        "127.0.0.2",
    ]
    .iter()
    .enumerate()
    {
        let mut body: serde_json::Value = serde_json::from_slice(&phone::smsforwarder_json(
            "not-the-secret",
            ts + i as i64,
            "10086",
            "您的账户余额为99.00元。",
            "SIM1_中国移动_",
            "2026-03-01 19:58:30",
        ))
        .unwrap();
        signs.push(body["sign"].as_str().unwrap().to_string());
        body["content"] = format!("forged {i}").into();
        let mut p = Phone::from_source(h.addr, source.parse().unwrap());
        let a = p
            .post("/in/pixel", &[json()], body.to_string().as_bytes())
            .unwrap();
        assert_eq!((a.status, a.body.len()), (401, 0), "from {source}");
    }
    let err = stop(d);
    let lines: Vec<&str> = err.lines().filter(|l| l.contains("was refused")).collect();
    assert_eq!(lines.len(), 3, "{err}");
    for (line, source) in lines.iter().zip(["127.0.0.1", "127.0.0.2", "127.0.0.3"]) {
        assert!(line.contains(source), "{source} not in {line:?}\n{err}");
    }
    for sign in &signs {
        let plain: String = url::form_urlencoded::parse(format!("s={sign}").as_bytes())
            .map(|(_, v)| v.into_owned())
            .collect();
        assert!(
            !err.contains(sign.as_str()) && !err.contains(&plain),
            "a signature in the log: {err}"
        );
    }
    for secret in [SMSF_SECRET, "not-the-secret"] {
        assert!(!err.contains(secret), "a secret in the log: {err}");
    }
    assert!(h.texts().is_empty(), "{:?}", h.texts());
}

/// A carrier's top-up confirmation received through the inbox is the `statement` an
/// external rule waits for, and the balance it gives a reading: China Mobile's text
/// through SmsForwarder (two wordings), a giffgaff text from a board.
#[test]
fn a_top_up_text_received_is_statement_evidence_and_its_balance_a_reading() {
    let h = Home::new("127.0.0.1");
    // Number d is a giffgaff SIM in pounds.
    let config = h.home().join("config.json");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        r#""id":"d","label":"d","msisdn":"+8613800000000","currency":"CNY","carrier":"""#,
        r#""id":"d","label":"d","msisdn":"+447700900123","currency":"GBP","carrier":"giffgaff""#,
    );
    assert!(text.contains("giffgaff"));
    std::fs::write(&config, text).unwrap();
    let d = h.daemon();
    phone::wait_listening(h.addr);
    let mut p = Phone::new(h.addr);
    let ts = now_ms();
    for (i, (body, received)) in [
        (
            "【中国移动】尊敬的客户，您于2026年03月01日19:50通过支付宝充值50.00元已到账，当前可用余额为58.00元。",
            "2026-03-01 19:50:30",
        ),
        (
            "【中国移动】尊敬的客户，您于2026年03月01日成功充值30.00元，当前余额为38.50元。",
            "2026-03-01 19:55:10",
        ),
    ]
    .iter()
    .enumerate()
    {
        let post =
            phone::smsforwarder_json(SMSF_SECRET, ts + i as i64, "10086", body, "SIM1_中国移动_", received);
        assert_eq!(p.post("/in/pixel", &[json()], &post).unwrap().status, 200);
    }
    let (body, headers) = phone::board(
        BOARD_TOKEN,
        "43430",
        "Thanks for topping up £10.00. Your balance is now £12.50.",
        ts / 1000 - 30,
    );
    assert_eq!(p.post("/in/board", &headers, &body).unwrap().status, 200);
    drop(p);
    let err = stop(d);

    let (events, _) = Log::new(h.home().join("log.jsonl")).read_all().unwrap();
    let mut statements = Vec::new();
    let mut readings = Vec::new();
    for e in &events {
        match &e.body {
            EventBody::Statement {
                source,
                amount_minor,
                currency,
                reference,
                ..
            } => {
                assert_eq!(source, "sms");
                assert!(!reference.is_empty());
                statements.push((e.number.clone(), *amount_minor, currency.to_string()));
            }
            EventBody::Balance {
                balance_minor,
                source,
                currency,
                ..
            } if source == "sms" => {
                readings.push((e.number.clone(), *balance_minor, currency.to_string()))
            }
            EventBody::Message { text, .. } => panic!("kept as a message: {text}\n{err}"),
            _ => {}
        }
    }
    let cny = |n: i64| ("a".to_string(), n, "CNY".to_string());
    let gbp = |n: i64| ("d".to_string(), n, "GBP".to_string());
    assert_eq!(statements, [cny(5000), cny(3000), gbp(1000)], "{err}");
    assert_eq!(readings, [cny(5800), cny(3850), gbp(1250)], "{err}");
}
