//! A SIM in a USB modem, end to end without hardware: the real ModemManager in test mode on
//! a private D-Bus drives our fake AT modem, and the real baohao binary talks to it.
//! Skipped (loudly) only when ModemManager is missing and `CI` is unset.

mod common;
mod support;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use support::fake_modem::{IMSI, Send, Ussd};
use support::mm_env::MmEnv;

struct Env {
    mm: MmEnv,
    home: PathBuf,
}

impl Env {
    fn start(numbers: &str) -> Option<Env> {
        Env::start_with(numbers, |_| {})
    }

    fn start_with(
        numbers: &str,
        setup: impl FnOnce(&support::fake_modem::FakeModem),
    ) -> Option<Env> {
        let mm = MmEnv::start_with(setup)?;
        let home = mm.dir.path().join("home");
        std::fs::create_dir(&home).unwrap();
        std::fs::write(
            home.join("config.json"),
            format!(r#"{{"version":1,"timezone":"Asia/Shanghai","numbers":[{numbers}]}}"#),
        )
        .unwrap();
        Some(Env { mm, home })
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_baohao"));
        support::mm_env::die_with_parent(&mut c);
        c.arg("--home")
            .arg(&self.home)
            .args(args)
            .env("DBUS_SYSTEM_BUS_ADDRESS", &self.mm.address)
            .env("BAOHAO_NOW", "2026-03-01T10:00:00+08:00")
            .env("LANG", "C");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().unwrap()
    }

    fn log(&self) -> Vec<serde_json::Value> {
        std::fs::read_to_string(self.home.join("log.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }

    fn of_type(&self, t: &str) -> Vec<serde_json::Value> {
        self.log().into_iter().filter(|e| e["type"] == t).collect()
    }

    fn explain(&self, o: &Output) -> String {
        format!(
            "stdout: {}\nstderr: {}\nModemManager:\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr),
            self.mm.mm_log()
        )
    }
}

fn number(id: &str, currency: &str, matches: &str, provider: &str, rules: &str) -> String {
    format!(
        r#"{{"id":"{id}","label":"Modem SIM","msisdn":"+447700900123","carrier":"Fake Net","currency":"{currency}",
            "modem":{{"match":"{matches}"}},"provider":{provider},"executor":{{"kind":"remind"}},"rules":[{rules}]}}"#
    )
}

#[test]
fn modems_lists_the_sim_and_the_number_it_serves() {
    let Some(env) = Env::start(&number("uk", "GBP", IMSI, r#"{"kind":"manual"}"#, "")) else {
        return;
    };
    let o = env.run(&["modems", "--json"]);
    assert!(o.status.success(), "{}", env.explain(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let m = &v[0];
    assert_eq!(m["imsi"], IMSI, "{v}");
    assert_eq!(m["iccid"], env.mm.modem.iccid);
    assert_eq!(m["equipment_id"], env.mm.modem.imei);
    assert_eq!(m["numbers"], serde_json::json!(["uk"]));
    let o = env.run(&["modems"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains(IMSI) && text.contains("uk"), "{text}");
}

fn ussd_reading(ussd: Ussd, ucs2: bool, currency: &str, expect_minor: i64) {
    let provider = r#"{"kind":"modem","ussd":"*100#","timeout_secs":60}"#;
    let Some(env) = Env::start_with(&number("sim", currency, "any", provider, ""), |m| {
        if !ucs2 {
            m.without_ucs2()
        }
    }) else {
        return;
    };
    env.mm.modem.set_ussd(ussd);
    let o = env.run(&["tick"]);
    assert!(o.status.success(), "{}", env.explain(&o));
    let b = env.of_type("balance");
    assert_eq!(b.len(), 1, "{}", env.explain(&o));
    assert_eq!(b[0]["balance_minor"], expect_minor);
    assert_eq!(b[0]["source"], "ussd");
    assert_eq!(env.mm.modem.ussd_requests().len(), 1);
}

#[test]
fn ussd_balance_in_ucs2() {
    ussd_reading(
        Ussd::Ucs2("尊敬的客户，您的话费余额为12.50元，有效期至2027年3月1日。".into()),
        true,
        "CNY",
        1250,
    );
}

#[test]
fn ussd_balance_in_gsm7_text() {
    // A modem without UCS2: ModemManager keeps the GSM character set and the answer is text.
    ussd_reading(
        Ussd::Plain("Your balance is 5.23 GBP".into()),
        false,
        "GBP",
        523,
    );
}

#[test]
fn an_unreadable_ussd_answer_is_one_sentence() {
    // Packed GSM 7-bit hex while the modem is in UCS2: ModemManager's generic plugin cannot
    // read it; baohao passes its reason on in one line and records no balance.
    let provider = r#"{"kind":"modem","ussd":"*100#","timeout_secs":60}"#;
    let Some(env) = Env::start(&number("sim", "GBP", "any", provider, "")) else {
        return;
    };
    env.mm
        .modem
        .set_ussd(Ussd::Gsm7Packed("Your balance is 5.23 GBP".into()));
    let o = env.run(&["tick"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        err.contains("refresh failed") && err.trim().lines().count() == 1,
        "{err}"
    );
    assert!(env.of_type("balance").is_empty());
}

#[test]
fn ussd_not_supported_and_ended_by_network_are_one_sentence_each() {
    let provider = r#"{"kind":"modem","ussd":"*100#","timeout_secs":60}"#;
    let Some(env) = Env::start(&number("sim", "GBP", "any", provider, "")) else {
        return;
    };
    for (u, words) in [
        (Ussd::NotSupported, "not support"),
        (Ussd::EndedByNetwork, "ended"),
    ] {
        env.mm.modem.set_ussd(u);
        let o = env.run(&["tick"]);
        let err = String::from_utf8_lossy(&o.stderr).to_string();
        assert!(err.to_lowercase().contains(words), "{}", env.explain(&o));
        assert!(env.of_type("balance").is_empty());
    }
}

#[test]
fn a_query_text_and_its_reply() {
    let provider = r#"{"kind":"modem","sms":{"to":"10086","text":"CXHF"},"reply_from":"10086","timeout_secs":120}"#;
    let Some(env) = Env::start(&number("cmcc", "CNY", "any", provider, "")) else {
        return;
    };
    env.mm
        .modem
        .auto_reply("10086", "10086", "您好，您的账户余额为8.80元。");
    let o = env.run(&["tick"]);
    assert!(o.status.success(), "{}", env.explain(&o));
    assert_eq!(
        env.mm.modem.sent(),
        vec![("10086".to_string(), "CXHF".to_string())]
    );
    let b = env.of_type("balance");
    assert_eq!(b.len(), 1, "{}", env.explain(&o));
    assert_eq!(
        (b[0]["balance_minor"].as_i64(), b[0]["source"].as_str()),
        (Some(880), Some("sms"))
    );
}

const KEEP_ALIVE: &str = r#"{"id":"ka","mode":"auto","amount":"0.10","trigger":{"kind":"keep_alive","every_days":30},
    "action":{"kind":"sms","to":"+447700900999","text":"keep alive"}}"#;

fn keep_alive_env() -> Option<Env> {
    let env = Env::start(&number(
        "giff",
        "GBP",
        "any",
        r#"{"kind":"manual"}"#,
        KEEP_ALIVE,
    ))?;
    std::fs::write(
        env.home.join("log.jsonl"),
        r#"{"v":1,"id":"a1","at":"2026-01-01T10:00:00+08:00","number":"giff","type":"activity"}
"#,
    )
    .unwrap();
    Some(env)
}

#[test]
fn a_keep_alive_text_is_sent_once_and_counts_as_activity() {
    let Some(env) = keep_alive_env() else {
        return;
    };
    for _ in 0..3 {
        let o = env.run(&["tick"]);
        assert!(o.status.success(), "{}", env.explain(&o));
    }
    assert_eq!(
        env.mm.modem.sent(),
        vec![("+447700900999".to_string(), "keep alive".to_string())]
    );
    let intents = env.of_type("intent");
    assert_eq!(intents.len(), 1);
    assert_eq!(intents[0]["amount_minor"], 10);
    assert_eq!(intents[0]["action"], "sms", "the log says the text spends");
    let outcomes = env.of_type("outcome");
    assert_eq!(outcomes[0]["status"], "succeeded");
    assert_eq!(env.of_type("activity").len(), 2, "{:?}", env.log());
}

#[test]
fn a_refused_text_is_failed_and_not_resent_as_sent() {
    let Some(env) = keep_alive_env() else {
        return;
    };
    env.mm.modem.set_send(Send::Refuse);
    let o = env.run(&["tick"]);
    assert!(o.status.success(), "{}", env.explain(&o));
    let outcomes = env.of_type("outcome");
    assert_eq!(outcomes.len(), 1, "{}", env.explain(&o));
    assert_eq!(outcomes[0]["status"], "failed");
    assert!(env.mm.modem.sent().is_empty());
}

#[test]
fn a_keep_alive_text_survives_sigkills_without_a_second_send() {
    let Some(env) = keep_alive_env() else {
        return;
    };
    // Kill the daemon at different moments; whatever happens, at most one text goes out,
    // and a text that went out is never followed by another.
    for delay_ms in [50u64, 150, 300, 600, 1200, 2500, 4000] {
        let mut child = env.cmd(&["daemon"]).spawn().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        assert!(env.mm.modem.sent().len() <= 1);
    }
    let o = env.run(&["tick"]);
    assert!(o.status.success(), "{}", env.explain(&o));
    let sent = env.mm.modem.sent().len();
    assert!(sent <= 1, "sent {sent} texts");
    let intents = env.of_type("intent");
    assert_eq!(intents.len(), 1, "one key, one intent: {:?}", env.log());
    let succeeded = env
        .of_type("outcome")
        .iter()
        .any(|o| o["status"] == "succeeded");
    if succeeded {
        assert_eq!(sent, 1);
    }
}

#[test]
fn no_modem_manager_is_one_sentence() {
    let Some(mut env) = Env::start(&number("uk", "GBP", "any", r#"{"kind":"manual"}"#, "")) else {
        return;
    };
    env.mm.stop_mm();
    let o = env.run(&["modems"]);
    assert!(!o.status.success());
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("ModemManager") && err.trim().lines().count() == 1,
        "{err}"
    );
}

#[test]
fn config_refuses_bad_modem_settings_with_one_sentence_each() {
    let dir = tempfile::tempdir().unwrap();
    let two = format!(
        "{},{}",
        number("a", "GBP", "any", r#"{"kind":"manual"}"#, ""),
        number("b", "GBP", "any", r#"{"kind":"manual"}"#, "")
    );
    for (numbers, words) in [
        (two, "any"),
        (
            number(
                "a",
                "GBP",
                IMSI,
                r#"{"kind":"modem","ussd":"*100#;+CMGD=1"}"#,
                "",
            ),
            "USSD",
        ),
        (number("a", "GBP", IMSI, r#"{"kind":"modem"}"#, ""), "ussd"),
        (
            number(
                "a",
                "GBP",
                IMSI,
                r#"{"kind":"command","program":"x","ussd":"*100#"}"#,
                "",
            ),
            "provider.ussd",
        ),
        (
            number("a", "GBP", IMSI, r#"{"kind":"manual"}"#, KEEP_ALIVE)
                .replace(&format!(r#""modem":{{"match":"{IMSI}"}},"#), ""),
            "needs the number's modem",
        ),
        (
            number(
                "a",
                "GBP",
                IMSI,
                r#"{"kind":"manual"}"#,
                &KEEP_ALIVE.replace(
                    "keep_alive\",\"every_days\":30",
                    "monthly\",\"day\":1,\"at\":\"09:00\"",
                ),
            ),
            "only for keep_alive",
        ),
    ] {
        std::fs::write(
            dir.path().join("config.json"),
            format!(r#"{{"version":1,"numbers":[{numbers}]}}"#),
        )
        .unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_baohao"))
            .arg("--home")
            .arg(dir.path())
            .arg("validate")
            .env("LANG", "C")
            .output()
            .unwrap();
        assert!(!o.status.success());
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(all.contains(words), "{all}");
    }
}

#[test]
fn a_ussd_session_left_open_is_cancelled_and_the_request_retried() {
    let provider = r#"{"kind":"modem","ussd":"*100#","timeout_secs":60}"#;
    let Some(env) = Env::start(&number("sim", "GBP", "any", provider, "")) else {
        return;
    };
    env.mm.modem.set_ussd(Ussd::MenuThen(
        "1 Balance 2 Offers".into(),
        "Your balance is 7.40 GBP".into(),
    ));
    // Someone else (mmcli, another program) opened a menu and left it open.
    let first = env.run(&["modems", "--json"]);
    assert!(first.status.success(), "{}", env.explain(&first));
    let path = serde_json::from_slice::<serde_json::Value>(&first.stdout).unwrap()[0]["path"]
        .as_str()
        .unwrap()
        .to_string();
    let menu = support::mm_env::gdbus(
        &env.mm.address,
        &[
            "-d",
            "org.freedesktop.ModemManager1",
            "-o",
            &path,
            "-m",
            "org.freedesktop.ModemManager1.Modem.Modem3gpp.Ussd.Initiate",
            "*123#",
        ],
    );
    // The modem may still be disabled for that first caller: enable it the way baohao does.
    if menu.is_none() {
        support::mm_env::gdbus(
            &env.mm.address,
            &[
                "-d",
                "org.freedesktop.ModemManager1",
                "-o",
                &path,
                "-m",
                "org.freedesktop.ModemManager1.Modem.Enable",
                "true",
            ],
        )
        .expect("enable");
        support::mm_env::gdbus(
            &env.mm.address,
            &[
                "-d",
                "org.freedesktop.ModemManager1",
                "-o",
                &path,
                "-m",
                "org.freedesktop.ModemManager1.Modem.Modem3gpp.Ussd.Initiate",
                "*123#",
            ],
        )
        .expect("the menu");
    }
    let o = env.run(&["tick"]);
    assert!(o.status.success(), "{}", env.explain(&o));
    let b = env.of_type("balance");
    assert_eq!(b.len(), 1, "{}", env.explain(&o));
    assert_eq!(b[0]["balance_minor"], 740);
    let asked = env.mm.modem.ussd_requests();
    assert_eq!(asked.len(), 3, "menu, cancel, balance: {asked:?}");
    assert_eq!(asked[1], "cancel");
}

#[test]
fn a_balance_text_arriving_while_the_daemon_runs_becomes_a_reading() {
    let Some(env) = Env::start(&number("sim", "CNY", "any", r#"{"kind":"manual"}"#, "")) else {
        return;
    };
    let mut daemon = env.cmd(&["daemon"]).spawn().unwrap();
    // The daemon hears texts only once it has subscribed; a carrier resends the same notice
    // here until the reading shows (repeats of one balance add nothing).
    let mut tries = 0;
    while env.of_type("balance").is_empty() {
        tries += 1;
        if tries % 20 == 1 {
            env.mm
                .modem
                .deliver_sms("10086", "您的话费余额为23.45元。", "260301090000", 32);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = daemon.kill();
    let _ = daemon.wait();
    let b = env.of_type("balance");
    assert_eq!(b.len(), 1);
    assert_eq!(
        (b[0]["balance_minor"].as_i64(), b[0]["source"].as_str()),
        (Some(2345), Some("sms"))
    );
    // Timed by the text's own timestamp (2026-03-01 09:00 at +08, no minutes in the offset).
    let at = chrono::DateTime::parse_from_rfc3339(b[0]["at"].as_str().unwrap()).unwrap();
    assert_eq!(at.timestamp(), 1_772_326_800);
}

#[test]
fn a_text_dated_more_than_a_day_ahead_is_kept_but_never_a_reading() {
    let Some(env) = Env::start(&number("sim", "CNY", "any", r#"{"kind":"manual"}"#, "")) else {
        return;
    };
    let mut daemon = env.cmd(&["daemon"]).stderr(Stdio::piped()).spawn().unwrap();
    // The clock says 2026-03-01; the text says a year later.
    let mut tries = 0;
    while env.of_type("balance").is_empty() && env.of_type("message").is_empty() {
        tries += 1;
        if tries % 20 == 1 {
            env.mm
                .modem
                .deliver_sms("10086", "您的话费余额为1.00元。", "270301090000", 32);
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = daemon.kill();
    let out = daemon.wait_with_output().unwrap();
    assert!(env.of_type("balance").is_empty(), "never a reading");
    let kept = env.of_type("message");
    assert_eq!(kept.len(), 1);
    let at = chrono::DateTime::parse_from_rfc3339(kept[0]["at"].as_str().unwrap()).unwrap();
    assert_eq!(
        at.to_rfc3339(),
        "2026-03-01T10:00:00+08:00",
        "dated as it arrived"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("more than a day ahead of the clock"), "{err}");
}

#[test]
fn a_vanished_modem_is_one_sentence() {
    let provider = r#"{"kind":"modem","ussd":"*100#","timeout_secs":20}"#;
    let Some(env) = Env::start(&number("sim", "GBP", "any", provider, "")) else {
        return;
    };
    env.mm.modem.unplug();
    let o = env.run(&["tick"]);
    let err = String::from_utf8_lossy(&o.stderr).to_string();
    assert!(
        err.contains("refresh failed") && err.trim().lines().count() == 1,
        "{}",
        env.explain(&o)
    );
    assert!(env.of_type("balance").is_empty());
}

#[test]
fn a_text_the_modem_never_confirms_is_in_doubt_and_not_resent() {
    let Some(env) = keep_alive_env() else {
        return;
    };
    env.mm.modem.set_send(Send::Silent);
    let o = env.run(&["tick"]);
    assert!(o.status.success(), "{}", env.explain(&o));
    let outcomes = env.of_type("outcome");
    assert_eq!(outcomes.len(), 1, "{}", env.explain(&o));
    assert_eq!(outcomes[0]["status"], "unknown", "{}", env.explain(&o));
    env.mm.modem.set_send(Send::Accept);
    let o = env.run(&["tick"]);
    assert!(o.status.success(), "{}", env.explain(&o));
    assert_eq!(env.of_type("intent").len(), 1, "in doubt: never resent");
    assert!(env.mm.modem.sent().is_empty());
}

/// The TUI on the modem home, in a real terminal, with the test bus as its system bus.
fn tui(env: &Env) -> common::pty::Session {
    let address = env.mm.address.clone();
    common::pty::Session::start(
        &env.home,
        100,
        30,
        &[
            ("DBUS_SYSTEM_BUS_ADDRESS", address.as_str()),
            ("BAOHAO_NOW", "2026-03-01T10:00:00+08:00"),
        ],
    )
}

#[test]
fn the_numbers_pane_shows_the_modems_state_and_signal() {
    let Some(env) = Env::start(&number("uk", "GBP", IMSI, r#"{"kind":"manual"}"#, "")) else {
        return;
    };
    let mut s = tui(&env);
    s.wait_for("Modem SIM");
    // The worker enables the modem to hear texts; the pane follows it up to registered,
    // with ModemManager's signal quality (the fake modem answers +CSQ: 20, 64 %).
    s.wait_for("modem registered");
    s.wait_for("signal 64%");
    s.send("q");
    let _ = s.child.wait();
}

#[test]
fn without_modem_manager_the_pane_says_the_modem_is_unknown_and_why() {
    let Some(mut env) = Env::start(&number("uk", "GBP", IMSI, r#"{"kind":"manual"}"#, "")) else {
        return;
    };
    env.mm.stop_mm();
    let mut s = tui(&env);
    s.wait_for("Modem SIM");
    s.wait_for("modem unknown: ModemManager is not reachable");
    // The TUI still answers keys at once: the look runs beside it.
    s.send("2");
    s.wait_for("RULE");
    s.send("q");
    let _ = s.child.wait();
}
