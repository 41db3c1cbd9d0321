//! Sending through a forwarder, through the real binary against loopback
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
    phone.check_intent_in(dir.path().join("log.jsonl"));
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
fn sms_gateway_a_hang_is_in_doubt_and_not_resent() {
    in_doubt_then_never_resent(App::SmsGateway, Behaviour::Hang);
}

/// SMS Gateway's HTTP 500 may come after the app took the text in part: in doubt, with the
/// app's words, and never posted again (the stand-in counts every `POST /message`).
#[test]
fn sms_gateway_an_http_500_is_in_doubt_and_not_resent() {
    let phone = StandIn::start(App::SmsGateway);
    phone.set(Behaviour::AppFails("database is locked".into()));
    let dir = home(&phone.config("fwd"));
    let all = tick(dir.path(), &phone);
    let o = outcomes(dir.path());
    assert_eq!(o.len(), 1, "{all}");
    assert_eq!(o[0]["status"], "unknown", "{o:?}");
    let error = o[0]["error"].as_str().unwrap_or_default();
    assert!(
        error.contains("may have gone out") && error.contains("database is locked"),
        "{o:?}"
    );
    phone.set(Behaviour::Normal);
    phone.set_gateway_state("Pending");
    for _ in 0..2 {
        tick(dir.path(), &phone);
    }
    assert_eq!(
        posts(&phone),
        1,
        "never posted again: {:?}",
        phone.requests()
    );
    assert_eq!(common::log_of_type(dir.path(), "intent").len(), 1);
    assert_eq!(common::log_of_type(dir.path(), "activity").len(), 1);
    assert!(phone.bad().is_empty(), "{:?}", phone.bad());
}

/// A refused connection reached nothing: `failed`, and tried again as any failure is
/// (after the retry delay, not before), this time reaching the phone once.
#[test]
fn sms_gateway_a_refused_connection_is_failed_and_retried_after_the_delay() {
    let phone = StandIn::start(App::SmsGateway);
    let off = refused_url();
    let dir = home(&phone.config("fwd").replace(&phone.url, &off));
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
    // The phone comes back on.
    let config = dir.path().join("config.json");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace(&off, &phone.url);
    std::fs::write(&config, text).unwrap();
    tick_at(dir.path(), &phone, "2026-03-01T10:05:00+08:00");
    assert_eq!(
        common::log_of_type(dir.path(), "intent").len(),
        1,
        "not before the retry delay"
    );
    assert_eq!(posts(&phone), 0);
    let all = tick_at(dir.path(), &phone, "2026-03-01T10:11:00+08:00");
    assert_eq!(common::log_of_type(dir.path(), "intent").len(), 2, "{all}");
    assert_eq!(posts(&phone), 1, "{all}");
    let o = outcomes(dir.path());
    assert_eq!(o.len(), 2, "{all}");
    assert_eq!(o[1]["status"], "succeeded", "{o:?}");
    assert_eq!(phone.sent().len(), 1);
    assert!(phone.bad().is_empty(), "{:?}", phone.bad());
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

/// SMS Gateway's cloud serves the same API under a path (`https://api.sms-gate.app/3rdparty/v1`):
/// the text is posted to `{url}/message` and settled by `{url}/messages/<id>`, nothing at
/// the server's root (the stand-in keeps any request outside the prefix as bad).
#[test]
fn sms_gateway_under_a_path_prefix_sends_and_settles_there() {
    let phone = StandIn::start_under(App::SmsGateway, "/3rdparty/v1");
    assert!(phone.url.ends_with("/3rdparty/v1"), "{}", phone.url);
    phone.set_gateway_state("Pending");
    let dir = home(&phone.config("fwd"));
    let all = tick(dir.path(), &phone);
    assert_eq!(outcomes(dir.path())[0]["status"], "unknown", "{all}");
    phone.set_gateway_state("Delivered");
    let all = tick(dir.path(), &phone);
    let r = common::log_of_type(dir.path(), "resolved");
    assert_eq!(r.len(), 1, "{all}");
    assert_eq!(r[0]["status"], "succeeded");
    let sent = phone.sent();
    assert_eq!(sent.len(), 1, "{all}");
    let id = sent[0].id.clone().unwrap_or_default();
    let requests = phone.requests();
    assert!(
        requests.contains(&"POST /message".to_string()),
        "{requests:?}"
    );
    assert!(
        requests.contains(&format!("GET /messages/{id}")),
        "{requests:?}"
    );
    assert_eq!(posts(&phone), 1);
    assert!(phone.bad().is_empty(), "{:?}", phone.bad());
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
    assert_eq!(posts(&phone), 1);
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

/// A home with one number on forwarder `fwd` (its only number, no slot) whose balance is
/// read by a query text.
fn query_home(forwarders: &str, timeout_secs: u64) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        format!(
            r#"{{"version":1,"timezone":"Asia/Shanghai","forwarders":[{forwarders}],"numbers":[
            {{"id":"cmcc","label":"CMCC","msisdn":"+8613800000001","currency":"CNY",
              "forwarder":{{"id":"fwd"}},
              "provider":{{"kind":"forwarder","sms":{{"to":"10086","text":"CXYE"}},"reply_from":"10086","timeout_secs":{timeout_secs}}},
              "executor":{{"kind":"remind"}}}}]}}"#
        ),
    )
    .unwrap();
    dir
}

#[test]
fn the_forwarder_provider_reads_the_balance_from_the_reply_once() {
    let phone = StandIn::start(App::SmsForwarder);
    phone.auto_reply("10086", "10086", "尊敬的客户，您的账户余额为8.80元。");
    phone.set_clock(NOW);
    let dir = query_home(&phone.config("fwd"), 60);
    let all = tick(dir.path(), &phone);
    let sent = phone.sent();
    assert_eq!(sent.len(), 1, "{all}");
    assert_eq!(
        (sent[0].slot, sent[0].to.as_str(), sent[0].text.as_str()),
        (Some(1), "10086", "CXYE")
    );
    let b = common::log_of_type(dir.path(), "balance");
    assert_eq!(b.len(), 1, "one reading, not one per way it came: {all}");
    assert_eq!(
        (b[0]["balance_minor"].as_i64(), b[0]["source"].as_str()),
        (Some(880), Some("sms"))
    );
    assert!(phone.bad().is_empty(), "{:?}", phone.bad());
}

/// SMS Gateway cannot list its inbox: the reply to the query text comes back as the app's
/// `sms:received` webhook to the daemon's inbox, and is the reading.
#[test]
fn the_forwarder_provider_reads_the_reply_sms_gateway_posts_to_the_inbox() {
    const KEY: &str = "gw-signing-key-5d1e";
    let phone = StandIn::start(App::SmsGateway);
    phone.auto_reply("10086", "10086", "尊敬的客户，您的账户余额为8.80元。");
    phone.set_clock(NOW);
    let port = common::phone::free_port();
    let addr: std::net::SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    phone.deliver_to(addr, "/in/fwd", KEY);
    let fwd = phone
        .config("fwd")
        .replace("}", r#","signing_key_env":"SMSGW_SIGNING_KEY"}"#);
    let dir = query_home(&fwd, 60);
    let config = dir.path().join("config.json");
    let text = std::fs::read_to_string(&config).unwrap().replacen(
        r#""forwarders":"#,
        &format!(r#""inbox":{{"listen":"127.0.0.1:{port}"}},"forwarders":"#),
        1,
    );
    std::fs::write(&config, text).unwrap();
    let err = dir.path().join("daemon.err");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_baohao"))
        .arg("--home")
        .arg(dir.path())
        .arg("daemon")
        .env("BAOHAO_NOW", NOW)
        .env("LANG", "C.UTF-8")
        .env_remove("BAOHAO_HOME")
        .env_remove("LC_ALL")
        .envs(phone.env())
        .env("SMSGW_SIGNING_KEY", KEY)
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let mut balances = Vec::new();
    for _ in 0..300 {
        balances = common::log_of_type(dir.path(), "balance");
        if !balances.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
    let said = std::fs::read_to_string(&err).unwrap_or_default();
    assert_eq!(balances.len(), 1, "{said}\n{:?}", phone.requests());
    assert_eq!(
        (
            balances[0]["balance_minor"].as_i64(),
            balances[0]["source"].as_str()
        ),
        (Some(880), Some("sms"))
    );
    let sent = phone.sent();
    assert_eq!(sent.len(), 1, "{said}");
    assert_eq!(
        (sent[0].to.as_str(), sent[0].text.as_str()),
        ("10086", "CXYE")
    );
    assert_eq!(phone.delivered(), [200], "{said}");
    assert!(phone.bad().is_empty(), "{:?}", phone.bad());
    assert!(!said.contains("refresh failed"), "{said}");
}

/// A phone whose clock runs days ahead dates the reply to a balance query days ahead: it
/// is kept for review, not read, and the person is told why, not only that no balance came.
#[test]
fn a_reply_dated_days_ahead_is_kept_and_said() {
    let phone = StandIn::start(App::SmsForwarder);
    phone.auto_reply("10086", "10086", "尊敬的客户，您的账户余额为8.80元。");
    phone.set_clock("2026-03-04T10:00:00+08:00");
    let dir = query_home(&phone.config("fwd"), 5);
    let all = tick(dir.path(), &phone);
    assert!(
        common::log_of_type(dir.path(), "balance").is_empty(),
        "{all}"
    );
    assert_eq!(common::log_of_type(dir.path(), "message").len(), 1, "{all}");
    assert_eq!(
        all.matches("more than a day ahead of the clock").count(),
        1,
        "{all}"
    );
    assert!(all.contains("2026-03-04 10:00"), "{all}");
}

#[test]
fn a_reply_without_a_balance_is_one_sentence_and_kept_as_a_message() {
    let phone = StandIn::start(App::SmsForwarder);
    phone.auto_reply("10086", "10086", "Service busy, try later");
    let dir = query_home(&phone.config("fwd"), 60);
    let o = common::run_env(dir.path(), NOW, &["tick"], &phone.env());
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        err.contains("refresh failed") && err.contains("Service busy"),
        "{err}"
    );
    assert!(common::log_of_type(dir.path(), "balance").is_empty());
    assert_eq!(common::log_of_type(dir.path(), "message").len(), 1);
}

#[test]
fn no_reply_in_time_is_one_sentence() {
    let phone = StandIn::start(App::SmsForwarder);
    let dir = query_home(&phone.config("fwd"), 1);
    let o = common::run_env(dir.path(), NOW, &["tick"], &phone.env());
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        err.contains("no reply from 10086 within 1 s") && err.trim().lines().count() == 1,
        "{err}"
    );
    assert_eq!(phone.sent().len(), 1);
}

#[test]
fn texts_received_while_baohao_was_down_are_caught_up_once() {
    let phone = StandIn::start(App::SmsForwarder);
    let t0 = 1_772_326_800_000; // 2026-03-01 09:00 +08:00
    phone.hold(common::phones::Held {
        from: "10086".into(),
        text: "您的话费余额为23.45元。".into(),
        date_ms: t0,
        sim_id: 1,
    });
    phone.hold(common::phones::Held {
        from: "+447700900111".into(),
        text: "see you at 6".into(),
        date_ms: t0 + 60_000,
        sim_id: 1,
    });
    let dir = home(&phone.config("fwd"));
    for _ in 0..2 {
        tick(dir.path(), &phone);
    }
    let b = common::log_of_type(dir.path(), "balance");
    assert_eq!(b.len(), 1, "{:?}", common::log_events(dir.path()));
    assert_eq!(b[0]["balance_minor"], 2345);
    let at = chrono::DateTime::parse_from_rfc3339(b[0]["at"].as_str().unwrap()).unwrap();
    assert_eq!(
        at.timestamp_millis(),
        t0,
        "dated when the phone received it"
    );
    let m = common::log_of_type(dir.path(), "message");
    assert_eq!(m.len(), 1);
    assert_eq!(m[0]["text"], "see you at 6");
    assert!(
        phone.asked("POST /sms/query") >= 2,
        "read at every refresh: {:?}",
        phone.requests()
    );
    assert!(phone.bad().is_empty(), "{:?}", phone.bad());
}

/// A text the phone dates days ahead of the clock, found by catch-up: kept for review,
/// never a reading, and said once (as a webhook's is), not at every refresh.
#[test]
fn a_caught_up_text_dated_days_ahead_is_kept_and_said_once() {
    let phone = StandIn::start(App::SmsForwarder);
    let t0 = 1_772_326_800_000; // 2026-03-01 09:00 +08:00
    phone.hold(common::phones::Held {
        from: "10086".into(),
        text: "您的话费余额为1.00元。".into(),
        date_ms: t0 + 3 * 86_400_000,
        sim_id: 1,
    });
    let dir = home(&phone.config("fwd"));
    let first = tick(dir.path(), &phone);
    let again = tick(dir.path(), &phone);
    assert!(common::log_of_type(dir.path(), "balance").is_empty());
    let m = common::log_of_type(dir.path(), "message");
    assert_eq!(m.len(), 1, "{:?}", common::log_events(dir.path()));
    let said = "more than a day ahead of the clock";
    assert_eq!(first.matches(said).count(), 1, "{first}");
    assert!(first.contains("2026-03-04 09:00"), "{first}");
    assert_eq!(again.matches(said).count(), 0, "{again}");
}

/// Three forwarders: two stand-ins and an unreachable phone; number `cmcc` on the first.
fn listing_home(a: &StandIn, b: &StandIn) -> tempfile::TempDir {
    let off = a.config("off").replace(&a.url, &refused_url());
    let dir = query_home(
        &format!(
            r#"{},{},{off},{{"id":"board","kind":"webhook","token_env":"BOARD_TOKEN"}}"#,
            a.config("fwd"),
            b.config("moto")
        ),
        60,
    );
    let config = std::fs::read_to_string(dir.path().join("config.json"))
        .unwrap()
        .replacen(
            r#""forwarders""#,
            r#""inbox":{"listen":"127.0.0.1:8787"},"forwarders""#,
            1,
        );
    std::fs::write(dir.path().join("config.json"), config).unwrap();
    std::fs::write(
        dir.path().join("log.jsonl"),
        r#"{"v":1,"id":"m1","at":"2026-03-01T09:58:00+08:00","number":"cmcc","type":"message","source":"sms","from":"10086","text":"hello"}
"#,
    )
    .unwrap();
    dir
}

#[test]
fn forwarders_json_says_reachability_battery_sims_last_text_and_numbers() {
    let a = StandIn::start(App::SmsForwarder);
    let b = StandIn::start(App::SmsGateway);
    b.state.lock().unwrap().charging = false;
    b.state.lock().unwrap().battery_level = 41;
    let dir = listing_home(&a, &b);
    let mut env = a.env();
    env.extend(b.env());
    let o = common::run_env(dir.path(), NOW, &["forwarders", "--json"], &env);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let by = |id: &str| {
        v.as_array()
            .unwrap()
            .iter()
            .find(|f| f["id"] == id)
            .unwrap()
            .clone()
    };
    let fwd = by("fwd");
    assert_eq!(fwd["kind"], "smsforwarder");
    assert_eq!(fwd["reachable"], true, "{fwd}");
    assert_eq!(
        (fwd["battery"].as_u64(), fwd["charging"].as_bool()),
        (Some(78), Some(true))
    );
    assert_eq!(fwd["sims"][0]["slot"], 1);
    assert_eq!(fwd["sims"][0]["carrier"], "China Mobile");
    assert_eq!(fwd["sims"][1]["slot"], 2);
    assert_eq!(fwd["numbers"], serde_json::json!(["cmcc"]));
    assert_eq!(fwd["last_text"], "2026-03-01T09:58:00+08:00");
    let moto = by("moto");
    assert_eq!(
        (moto["reachable"].as_bool(), moto["battery"].as_u64()),
        (Some(true), Some(41))
    );
    assert_eq!(moto["charging"], false);
    assert_eq!(moto["numbers"], serde_json::json!([]));
    let off = by("off");
    assert_eq!(off["reachable"], false);
    assert!(
        off["problem"]
            .as_str()
            .is_some_and(|p| p.contains("could not be reached")),
        "{off}"
    );
    assert_eq!(by("board")["reachable"], serde_json::Value::Null);
    assert!(
        a.bad().is_empty() && b.bad().is_empty(),
        "{:?} {:?}",
        a.bad(),
        b.bad()
    );
    assert!(
        a.sent().is_empty() && b.sent().is_empty(),
        "a listing sends nothing"
    );

    let o = common::run_env(dir.path(), NOW, &["forwarders"], &env);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("battery 78% charging") && text.contains("battery 41%"),
        "{text}"
    );
    assert!(
        text.contains("unreachable") && text.contains("posts to baohao"),
        "{text}"
    );
}

#[test]
fn forwarders_setup_says_what_to_enter_in_each_app_in_both_languages() {
    let a = StandIn::start(App::SmsForwarder);
    let b = StandIn::start(App::SmsGateway);
    let dir = listing_home(&a, &b);
    let o = common::run(dir.path(), NOW, &["forwarders", "setup", "fwd"]);
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for want in [
        "http://127.0.0.1:8787/in/fwd",
        "POST",
        "$SMSF_SECRET",
        "[org_content]",
        "[sign]",
        &a.url,
    ] {
        assert!(text.contains(want), "{want} missing from {text}");
    }
    let o = common::run_env(
        dir.path(),
        NOW,
        &[
            "forwarders",
            "setup",
            "board",
            "--public-url",
            "https://sms.example.org/",
        ],
        &[("LANG", "zh_CN.UTF-8")],
    );
    let text = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(
        text.contains("https://sms.example.org/in/board") && text.contains("令牌"),
        "{text}"
    );
    let o = common::run(dir.path(), NOW, &["forwarders", "setup", "ghost"]);
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("ghost"));
}

#[test]
fn forwarders_setup_registers_the_webhook_on_sms_gateway_at_its_root_or_under_a_prefix() {
    for b in [
        StandIn::start(App::SmsGateway),
        StandIn::start_under(App::SmsGateway, "/3rdparty/v1"),
    ] {
        let a = StandIn::start(App::SmsForwarder);
        let dir = listing_home(&a, &b);
        let o = common::run_env(
            dir.path(),
            NOW,
            &["forwarders", "setup", "moto", "--register"],
            &b.env(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let hooks = b.state.lock().unwrap().webhooks.clone();
        assert_eq!(hooks.len(), 1, "{}: {:?}", b.url, b.bad());
        assert_eq!(hooks[0]["event"], "sms:received");
        assert_eq!(hooks[0]["url"], "http://127.0.0.1:8787/in/moto");
        assert!(String::from_utf8_lossy(&o.stdout).contains("Registered"));
        assert_eq!(b.requests(), ["POST /webhooks"], "{}", b.url);
        assert!(b.bad().is_empty(), "{}: {:?}", b.url, b.bad());
    }
}

#[test]
fn a_keep_alive_text_across_sigkills_is_sent_once() {
    for app in [App::SmsForwarder, App::SmsGateway] {
        let phone = StandIn::start(app);
        let dir = home(&phone.config("fwd"));
        // Each send finds its intent already in the log, whenever the kill comes.
        phone.check_intent_in(dir.path().join("log.jsonl"));
        // Killed at different moments (before, during and after the send); whatever
        // happens, the phone is asked at most once, and a text the log calls sent went out.
        for delay_ms in [20u64, 60, 120, 250, 400, 700, 1000, 1500, 2500] {
            let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_baohao"))
                .arg("--home")
                .arg(dir.path())
                .arg("daemon")
                .env("BAOHAO_NOW", NOW)
                .env("LANG", "C.UTF-8")
                .env_remove("BAOHAO_HOME")
                .envs(phone.env())
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .unwrap();
            std::thread::sleep(std::time::Duration::from_millis(delay_ms));
            let _ = child.kill();
            let _ = child.wait();
            assert!(phone.sent().len() <= 1, "{app:?}: {:?}", phone.sent());
        }
        tick(dir.path(), &phone);
        let sent = phone.sent().len();
        assert!(sent <= 1, "{app:?}: sent {sent} texts");
        assert_eq!(
            common::log_of_type(dir.path(), "intent").len(),
            1,
            "{app:?}: one key, one intent: {:?}",
            common::log_events(dir.path())
        );
        let succeeded = outcomes(dir.path())
            .iter()
            .chain(common::log_of_type(dir.path(), "resolved").iter())
            .any(|o| o["status"] == "succeeded");
        if succeeded {
            assert_eq!(sent, 1, "{app:?}");
        }
        assert!(phone.bad().is_empty(), "{app:?}: {:?}", phone.bad());
    }
}

fn tick_at(home: &Path, phone: &StandIn, at: &str) -> String {
    let o = common::run_env(home, at, &["tick"], &phone.env());
    let all = format!(
        "stdout: {}\nstderr: {}\nphone: {:?}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr),
        phone.requests()
    );
    assert!(o.status.success(), "{all}");
    all
}

fn posts(phone: &StandIn) -> usize {
    phone.asked("POST /message")
}

/// A 404 to the state query that is not the app's own answer (a reverse proxy's HTML page,
/// an empty 404, a wrong path in the url) says nothing of the text: it stays in doubt, said
/// as such, and is never sent again however long that lasts — a second real SMS otherwise.
#[test]
fn sms_gateway_a_404_that_is_not_the_apps_leaves_the_text_in_doubt_never_resent() {
    let phone = StandIn::start(App::SmsGateway);
    phone.set_gateway_state("Pending");
    let dir = home(&phone.config("fwd"));
    let all = tick(dir.path(), &phone);
    let o = outcomes(dir.path());
    assert_eq!(o[0]["status"], "unknown", "{all}");
    let nginx = "<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";
    let mut at = chrono::DateTime::parse_from_rfc3339(NOW).unwrap();
    for (content_type, body) in [
        ("text/html", nginx),
        ("text/plain", ""),
        ("application/json", "{\"error\""),
    ] {
        phone.answer_state_with(Some((404, content_type, body)));
        for _ in 0..2 {
            at += chrono::Duration::minutes(20);
            let all = tick_at(dir.path(), &phone, &at.to_rfc3339());
            assert!(
                all.contains("not SMS Gateway's own answer"),
                "{content_type} {body:?}: said as such: {all}"
            );
        }
    }
    assert!(
        common::log_of_type(dir.path(), "resolved").is_empty(),
        "{:?}",
        common::log_of_type(dir.path(), "resolved")
    );
    assert_eq!(phone.sent().len(), 1, "never sent again");
    assert_eq!(posts(&phone), 1);
    assert_eq!(common::log_of_type(dir.path(), "intent").len(), 1);
    // The app answers again: the text settles by its state.
    phone.answer_state_with(None);
    phone.set_gateway_state("Delivered");
    at += chrono::Duration::minutes(20);
    let all = tick_at(dir.path(), &phone, &at.to_rfc3339());
    let r = common::log_of_type(dir.path(), "resolved");
    assert_eq!(r.len(), 1, "{all}");
    assert_eq!(r[0]["status"], "succeeded");
    assert_eq!(posts(&phone), 1);
    assert!(phone.bad().is_empty(), "{:?}", phone.bad());
}

/// The app's own JSON 404 does say it has no such text: the request never reached it, so
/// after 10 minutes the send is failed, and the rule sends again under a new id.
#[test]
fn sms_gateway_the_apps_own_404_is_failed_after_ten_minutes_then_sent_again() {
    let phone = StandIn::start(App::SmsGateway);
    phone.set_gateway_state("Pending");
    let dir = home(&phone.config("fwd"));
    tick(dir.path(), &phone);
    assert_eq!(outcomes(dir.path())[0]["status"], "unknown");
    phone.answer_state_with(Some((
        404,
        "application/json; charset=utf-8",
        r#"{"message":"message not found"}"#,
    )));
    let all = tick_at(dir.path(), &phone, "2026-03-01T10:05:00+08:00");
    assert!(
        common::log_of_type(dir.path(), "resolved").is_empty(),
        "not before 10 minutes: {all}"
    );
    let all = tick_at(dir.path(), &phone, "2026-03-01T10:15:00+08:00");
    let r = common::log_of_type(dir.path(), "resolved");
    assert_eq!(r.len(), 1, "{all}");
    assert_eq!(r[0]["status"], "failed");
    phone.answer_state_with(None);
    phone.set_gateway_state("Sent");
    let all = tick_at(dir.path(), &phone, "2026-03-01T10:30:00+08:00");
    let sent = phone.sent();
    assert_eq!(sent.len(), 2, "sent again: {all}");
    assert_ne!(sent[0].id, sent[1].id);
    assert!(phone.bad().is_empty(), "{:?}", phone.bad());
}
