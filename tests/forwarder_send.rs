//! Sending through a forwarder (issue 20), through the real binary against loopback
//! stand-ins of SmsForwarder and SMS Gateway: a keep-alive text goes out once, a refusal
//! is `failed` with the app's words, and anything that may have reached the phone is in
//! doubt, settled by asking (SMS Gateway) and never sent again.

mod common;

use std::path::Path;

use common::phones::{App, Behaviour, StandIn, refused_url};

const NOW: &str = "2026-03-01T10:00:00+08:00";

const KEEP_ALIVE: &str = r#"{"id":"ka","mode":"auto","amount":"0.10","trigger":{"kind":"keep_alive","every_days":30},
    "action":{"kind":"sms","to":"10086","text":"CXYE"}}"#;

/// A home with one number on forwarder `fwd` (slot 2), a keep-alive rule due now (last
/// activity two months ago).
fn home(forwarders: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        format!(
            r#"{{"version":1,"timezone":"Asia/Shanghai","forwarders":[{forwarders}],"numbers":[
            {{"id":"cmcc","label":"CMCC","msisdn":"+8613800000001","currency":"CNY",
              "forwarder":{{"id":"fwd","slot":2}},"provider":{{"kind":"manual"}},
              "executor":{{"kind":"remind"}},"rules":[{KEEP_ALIVE}]}}]}}"#
        ),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("log.jsonl"),
        r#"{"v":1,"id":"a1","at":"2026-01-01T10:00:00+08:00","number":"cmcc","type":"activity"}
"#,
    )
    .unwrap();
    dir
}

fn tick(home: &Path, phone: &StandIn) -> String {
    let o = common::run_env(home, NOW, &["tick"], &phone.env());
    let all = format!(
        "stdout: {}\nstderr: {}\nphone: {:?}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        phone.requests()
    );
    assert!(o.status.success(), "{all}");
    all
}

fn outcomes(home: &Path) -> Vec<serde_json::Value> {
    common::log_of_type(home, "outcome")
}

#[test]
fn smsforwarder_sends_a_keep_alive_text_once_from_the_numbers_slot() {
    let phone = StandIn::start(App::SmsForwarder);
    let dir = home(&phone.config("fwd"));
    for _ in 0..3 {
        tick(dir.path(), &phone);
    }
    let sent = phone.sent();
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        (sent[0].slot, sent[0].to.as_str(), sent[0].text.as_str()),
        (Some(2), "10086", "CXYE")
    );
    assert!(phone.bad().is_empty(), "{:?}", phone.bad());
    let o = outcomes(dir.path());
    assert_eq!(o.len(), 1);
    assert_eq!(o[0]["status"], "succeeded", "{o:?}");
    let intents = common::log_of_type(dir.path(), "intent");
    assert_eq!((intents.len(), &intents[0]["action"]), (1, &"sms".into()));
    assert_eq!(
        common::log_of_type(dir.path(), "activity").len(),
        2,
        "a text that went out is activity"
    );
}

#[test]
fn smsforwarder_code_500_is_failed_with_the_apps_words() {
    let phone = StandIn::start(App::SmsForwarder);
    phone.set(Behaviour::AppFails("SIM2 is not in service".into()));
    let dir = home(&phone.config("fwd"));
    let all = tick(dir.path(), &phone);
    let o = outcomes(dir.path());
    assert_eq!(o.len(), 1, "{all}");
    assert_eq!(o[0]["status"], "failed");
    assert!(
        o[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("SIM2 is not in service")),
        "{o:?}"
    );
    assert!(phone.sent().is_empty() && phone.bad().is_empty());
    assert_eq!(common::log_of_type(dir.path(), "activity").len(), 1);
}

#[test]
fn a_phone_that_refuses_the_connection_is_failed_nothing_sent() {
    let phone = StandIn::start(App::SmsForwarder);
    let off = phone.config("fwd").replace(&phone.url, &refused_url());
    let dir = home(&off);
    let all = tick(dir.path(), &phone);
    let o = outcomes(dir.path());
    assert_eq!(o.len(), 1, "{all}");
    assert_eq!(o[0]["status"], "failed", "{o:?}");
    assert!(
        o[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("nothing was sent")),
        "{o:?}"
    );
}

#[test]
fn a_missing_secret_is_failed_and_names_the_variable() {
    let phone = StandIn::start(App::SmsForwarder);
    let dir = home(&phone.config("fwd"));
    let o = common::run(dir.path(), NOW, &["tick"]);
    assert!(o.status.success());
    let o = outcomes(dir.path());
    assert_eq!(o[0]["status"], "failed");
    assert!(
        o[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("SMSF_SECRET is not set")),
        "{o:?}"
    );
    assert!(phone.requests().is_empty());
}

/// After a send that may have gone out, nothing sends it again: more ticks with the phone
/// answering normally leave one intent and one text.
fn in_doubt_then_never_resent(app: App, b: Behaviour) {
    let phone = StandIn::start(app);
    phone.set(b.clone());
    let dir = home(&phone.config("fwd"));
    let all = tick(dir.path(), &phone);
    let o = outcomes(dir.path());
    assert_eq!(o.len(), 1, "{all}");
    assert_eq!(o[0]["status"], "unknown", "{b:?}: {o:?}");
    assert!(
        o[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("may have gone out")),
        "{o:?}"
    );
    phone.set(Behaviour::Normal);
    phone.set_gateway_state("Pending");
    for _ in 0..2 {
        tick(dir.path(), &phone);
    }
    assert_eq!(phone.sent().len(), 1, "{b:?}: read once, never resent");
    assert_eq!(common::log_of_type(dir.path(), "intent").len(), 1);
    assert!(phone.bad().is_empty(), "{:?}", phone.bad());
}

#[test]
fn smsforwarder_a_hang_is_in_doubt_and_not_resent() {
    in_doubt_then_never_resent(App::SmsForwarder, Behaviour::Hang);
}

#[test]
fn smsforwarder_a_drop_after_reading_is_in_doubt_and_not_resent() {
    in_doubt_then_never_resent(App::SmsForwarder, Behaviour::DropAfterRead);
}

#[test]
fn sms_gateway_a_drop_after_reading_is_in_doubt_and_not_resent() {
    in_doubt_then_never_resent(App::SmsGateway, Behaviour::DropAfterRead);
}

#[test]
fn sms_gateway_sends_under_an_id_from_the_intent_and_skips_validation_for_a_short_code() {
    let phone = StandIn::start(App::SmsGateway);
    let dir = home(&phone.config("fwd"));
    for _ in 0..2 {
        tick(dir.path(), &phone);
    }
    let sent = phone.sent();
    assert_eq!(sent.len(), 1, "{sent:?} {:?}", phone.bad());
    assert_eq!(
        (sent[0].slot, sent[0].to.as_str(), sent[0].text.as_str()),
        (Some(2), "10086", "CXYE")
    );
    let id = sent[0].id.clone().unwrap();
    assert!(id.starts_with("bh") && id.len() <= 36, "{id}");
    assert!(phone.bad().is_empty(), "{:?}", phone.bad());
    let o = outcomes(dir.path());
    assert_eq!(o[0]["status"], "succeeded", "{o:?}");
    assert_eq!(o[0]["reference"], id.as_str());
    assert!(
        phone.requests().contains(&format!("GET /messages/{id}")),
        "settled by its state: {:?}",
        phone.requests()
    );
    assert_eq!(common::log_of_type(dir.path(), "activity").len(), 2);
}

#[test]
fn sms_gateway_pending_is_in_doubt_then_settled_by_its_state() {
    let phone = StandIn::start(App::SmsGateway);
    phone.set_gateway_state("Pending");
    let dir = home(&phone.config("fwd"));
    let all = tick(dir.path(), &phone);
    let o = outcomes(dir.path());
    assert_eq!(o[0]["status"], "unknown", "{all}");
    // Still pending: asked again, nothing recorded, nothing resent.
    tick(dir.path(), &phone);
    assert!(common::log_of_type(dir.path(), "resolved").is_empty());
    phone.set_gateway_state("Delivered");
    let all = tick(dir.path(), &phone);
    let r = common::log_of_type(dir.path(), "resolved");
    assert_eq!(r.len(), 1, "{all}");
    assert_eq!(r[0]["status"], "succeeded");
    assert_eq!(r[0]["intent"], o[0]["intent"]);
    assert_eq!(common::log_of_type(dir.path(), "activity").len(), 2);
    tick(dir.path(), &phone);
    assert_eq!(phone.sent().len(), 1);
    assert_eq!(common::log_of_type(dir.path(), "intent").len(), 1);
    assert_eq!(
        phone
            .requests()
            .iter()
            .filter(|r| *r == "POST /message")
            .count(),
        1
    );
}

#[test]
fn sms_gateway_a_failed_text_is_failed() {
    let phone = StandIn::start(App::SmsGateway);
    phone.set_gateway_state("Failed");
    let dir = home(&phone.config("fwd"));
    let all = tick(dir.path(), &phone);
    let o = outcomes(dir.path());
    assert_eq!(o[0]["status"], "failed", "{all}");
    assert!(
        o[0]["error"]
            .as_str()
            .is_some_and(|e| e.contains("RESULT_ERROR_GENERIC_FAILURE")),
        "{o:?}"
    );
    assert_eq!(common::log_of_type(dir.path(), "activity").len(), 1);
}

#[test]
fn sms_gateway_refusing_the_credentials_is_failed() {
    let phone = StandIn::start(App::SmsGateway);
    let dir = home(&phone.config("fwd"));
    let o = common::run_env(
        dir.path(),
        NOW,
        &["tick"],
        &[
            ("SMSGW_USER", "gwuser"),
            ("SMSGW_PASSWORD", "wrong-password"),
        ],
    );
    assert!(o.status.success());
    let out = outcomes(dir.path());
    assert_eq!(out[0]["status"], "failed", "{out:?}");
    assert!(phone.sent().is_empty());
    assert!(
        !String::from_utf8_lossy(&o.stderr).contains("wrong-password"),
        "a password never reaches the output"
    );
}

#[test]
fn a_webhook_board_cannot_be_asked_to_send() {
    let dir = home(r#"{"id":"fwd","kind":"webhook","token_env":"BOARD_TOKEN"}"#);
    let o = common::run(dir.path(), NOW, &["validate"]);
    assert!(!o.status.success());
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        all.contains("numbers[0].rules[0].action") && all.contains("cannot send"),
        "{all}"
    );
}
