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
