//! A forwarder's health on each refresh, through the real binary against the
//! loopback phone stand-ins: each full pass looks at every forwarder and keeps what it saw
//! in `forwarders.json`; a phone or board unheard for its `quiet_hours` is
//! `forwarder_silent` in `status --json` and on screen, and the notifier hears of it once
//! per silence.

mod common;

use std::path::Path;

use common::phones::{App, StandIn, refused_url};

const T0: &str = "2026-03-01T10:00:00+08:00";

fn at(hours: i64) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(T0).unwrap() + chrono::Duration::hours(hours);
    t.to_rfc3339()
}

/// A home with one number on forwarder `fwd`, and the fake notifier listening for
/// `forwarder_silent`.
fn home(forwarders: &str, fake: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let notifier =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fake-notify.sh");
    std::fs::write(
        dir.path().join("config.json"),
        format!(
            r#"{{"version":1,"timezone":"Asia/Shanghai",
            "notify":{{"program":"{}","events":["forwarder_silent"]}},
            "forwarders":[{forwarders}],"numbers":[
            {{"id":"cmcc","label":"CMCC","msisdn":"+8613800000001","currency":"CNY",
              "forwarder":{{"id":"fwd"}},"provider":{{"kind":"manual"}},
              "executor":{{"kind":"remind"}}}}]}}"#,
            notifier.display()
        ),
    )
    .unwrap();
    std::fs::write(fake.join("notified"), "").unwrap();
    dir
}

fn tick(home: &Path, now: &str, env: &[(&str, &str)]) {
    let o = common::run_env(home, now, &["tick"], env);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn attention(home: &Path, now: &str) -> Vec<String> {
    let o = common::run(home, now, &["status", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v[0]["attention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

fn said(fake: &Path) -> Vec<String> {
    std::fs::read_to_string(fake.join("notified"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("notify forwarder_silent "))
        .map(str::to_string)
        .collect()
}

fn set_url(home: &Path, from: &str, to: &str) {
    let c = std::fs::read_to_string(home.join("config.json")).unwrap();
    assert!(c.contains(from));
    std::fs::write(home.join("config.json"), c.replace(from, to)).unwrap();
}

#[test]
fn a_phone_unheard_for_quiet_hours_is_silent_and_said_once() {
    let phone = StandIn::start(App::SmsForwarder);
    let fake = tempfile::tempdir().unwrap();
    let dir = home(&phone.config("fwd"), fake.path());
    let h = dir.path();
    let mut env = phone.env();
    env.push(("FAKE_DIR", fake.path().to_str().unwrap()));

    tick(h, T0, &env);
    let file = h.join("forwarders.json");
    let mode =
        std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&file).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o600);
    let seen: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let f = &seen["forwarders"][0];
    assert_eq!(
        (f["id"].as_str(), f["reachable"].as_bool()),
        (Some("fwd"), Some(true)),
        "{seen}"
    );
    assert_eq!(f["battery"], 78);
    assert!(f["answered_at"].is_string(), "{seen}");
    assert!(
        phone.requests().iter().any(|r| r.contains("/config/query"))
            && phone
                .requests()
                .iter()
                .any(|r| r.contains("/battery/query")),
        "{:?}",
        phone.requests()
    );
    assert!(phone.bad().is_empty(), "{:?}", phone.bad());
    assert!(!attention(h, T0).contains(&"forwarder_silent".to_string()));

    // The phone goes off.
    let off = refused_url();
    set_url(h, &phone.url, &off);
    tick(h, &at(23), &env);
    assert!(
        !attention(h, &at(23)).contains(&"forwarder_silent".to_string()),
        "23 h is within the default 24"
    );
    assert!(said(fake.path()).is_empty());
    tick(h, &at(25), &env);
    assert!(attention(h, &at(25)).contains(&"forwarder_silent".to_string()));
    let s = said(fake.path());
    assert_eq!(s.len(), 1, "{s:?}");
    assert!(s[0].contains("fwd") && s[0].contains("CMCC"), "{s:?}");
    tick(h, &at(26), &env);
    tick(h, &at(30), &env);
    assert_eq!(said(fake.path()).len(), 1, "said once per silence");

    // Back on: heard again, no longer silent; a new silence later is said again.
    set_url(h, &off, &phone.url);
    tick(h, &at(31), &env);
    assert!(!attention(h, &at(31)).contains(&"forwarder_silent".to_string()));
    set_url(h, &phone.url, &off);
    tick(h, &at(56), &env);
    assert!(attention(h, &at(56)).contains(&"forwarder_silent".to_string()));
    assert_eq!(said(fake.path()).len(), 2);
}

#[test]
fn a_board_is_judged_by_its_last_text_and_its_own_quiet_hours() {
    let fake = tempfile::tempdir().unwrap();
    let board = |hours: &str| {
        format!(r#"{{"id":"fwd","kind":"webhook","token_env":"BOARD_TOKEN"{hours}}}"#)
    };
    let dir = home(&board(""), fake.path());
    let h = dir.path();
    let env = [("FAKE_DIR", fake.path().to_str().unwrap())];
    // Never looked at, never heard: not judged.
    assert!(!attention(h, &at(100)).contains(&"forwarder_silent".to_string()));
    tick(h, T0, &env);
    std::fs::write(
        h.join("log.jsonl"),
        format!(
            r#"{{"v":1,"id":"m1","at":"{}","number":"cmcc","type":"message","source":"sms","from":"10086","text":"hello"}}
"#,
            at(10)
        ),
    )
    .unwrap();
    assert!(!attention(h, &at(33)).contains(&"forwarder_silent".to_string()));
    assert!(attention(h, &at(35)).contains(&"forwarder_silent".to_string()));
    // Its own quiet_hours.
    set_url(h, &board(""), &board(r#","quiet_hours":48"#));
    assert!(!attention(h, &at(35)).contains(&"forwarder_silent".to_string()));
    assert!(attention(h, &at(59)).contains(&"forwarder_silent".to_string()));
    // The table says it too.
    let o = common::run(h, &at(59), &["status"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("phone silent"));
}

#[test]
fn the_numbers_pane_shows_the_phones_health() {
    let phone = StandIn::start(App::SmsForwarder);
    let fake = tempfile::tempdir().unwrap();
    let dir = home(&phone.config("fwd"), fake.path());
    let mut env = phone.env();
    env.push(("BAOHAO_NOW", T0));
    let mut s = common::pty::Session::start(dir.path(), 160, 40, &env);
    s.wait_for("phone fwd · battery 78% charging · seen just now");
    s.settle(std::time::Duration::from_millis(300));
    s.send("q");
    let _ = s.child.wait();
}

/// `at(hours)` as SMS Gateway's server writes a time (Go's RFC 3339, UTC, with fractions).
fn go_time(hours: i64) -> String {
    chrono::DateTime::parse_from_rfc3339(&at(hours))
        .unwrap()
        .with_timezone(&chrono::Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

fn device(id: &str, last_seen: &str) -> serde_json::Value {
    serde_json::json!({"id": id, "name": format!("phone {id}"), "createdAt": "2025-12-01T08:00:00Z",
        "updatedAt": "2026-02-01T08:00:00Z", "lastSeen": last_seen,
        "simCards": [{"slotIndex": 0, "simNumber": 1, "carrierName": "China Mobile"}]})
}

fn answered_at(home: &Path) -> Option<chrono::DateTime<chrono::Utc>> {
    let seen: serde_json::Value =
        serde_json::from_slice(&std::fs::read(home.join("forwarders.json")).unwrap()).unwrap();
    seen["forwarders"][0]["answered_at"]
        .as_str()
        .map(|t| t.parse().unwrap())
}

/// Behind SMS Gateway's cloud the server answers while the phone is off: its `/health` is
/// the server's. The phone counts as heard when the server last saw it (`GET /devices`,
/// the newest `lastSeen`), so a phone gone off is `forwarder_silent` after quiet_hours.
#[test]
fn behind_sms_gateways_cloud_the_phone_is_heard_by_its_last_seen_not_the_servers_health() {
    let phone = StandIn::start_under(App::SmsGateway, "/3rdparty/v1");
    let deleted = {
        let mut d = device("gone", &go_time(0));
        d["deletedAt"] = go_time(0).into();
        d
    };
    phone.set_devices(serde_json::json!([
        device("old", &go_time(-200)),
        device("moto", &go_time(0)),
        deleted
    ]));
    let fake = tempfile::tempdir().unwrap();
    let dir = home(&phone.config("fwd"), fake.path());
    let h = dir.path();
    let mut env = phone.env();
    env.push(("FAKE_DIR", fake.path().to_str().unwrap()));
    let t = |hours: i64| -> chrono::DateTime<chrono::Utc> { go_time(hours).parse().unwrap() };

    tick(h, T0, &env);
    assert_eq!(answered_at(h), Some(t(0)));
    let requests = phone.requests();
    assert!(
        requests.contains(&"GET /devices".to_string()),
        "{requests:?}"
    );
    assert!(
        !requests.iter().any(|r| r.contains("/health")),
        "{requests:?}"
    );
    assert!(phone.bad().is_empty(), "{:?}", phone.bad());

    // The phone goes off; the server goes on answering, its lastSeen stays.
    tick(h, &at(23), &env);
    assert_eq!(
        answered_at(h),
        Some(t(0)),
        "the server answering is not the phone"
    );
    assert!(!attention(h, &at(23)).contains(&"forwarder_silent".to_string()));
    tick(h, &at(25), &env);
    assert!(attention(h, &at(25)).contains(&"forwarder_silent".to_string()));
    assert_eq!(said(fake.path()).len(), 1);

    // Back on: the server sees it again.
    phone.set_devices(serde_json::json!([
        device("old", &go_time(-200)),
        device("moto", &go_time(30))
    ]));
    tick(h, &at(31), &env);
    assert_eq!(answered_at(h), Some(t(30)));
    assert!(!attention(h, &at(31)).contains(&"forwarder_silent".to_string()));
    // A lastSeen ahead of baohao's clock counts as now, no later.
    phone.set_devices(serde_json::json!([device("moto", &go_time(40))]));
    tick(h, &at(32), &env);
    assert_eq!(answered_at(h), Some(t(32)));
    // No phone on the account: said, and nothing heard.
    phone.set_devices(serde_json::json!([]));
    tick(h, &at(33), &env);
    assert_eq!(answered_at(h), Some(t(32)));
    let o = common::run_env(h, &at(33), &["forwarders", "--json"], &phone.env());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        v[0]["problem"]
            .as_str()
            .is_some_and(|p| p.contains("no phone")),
        "{v}"
    );
    assert!(phone.bad().is_empty(), "{:?}", phone.bad());
}
