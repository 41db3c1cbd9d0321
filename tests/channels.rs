//! Push channels through the real binary, against loopback stand-ins for every
//! service of the table (tests/common/standin.rs): `notify test` per channel, a failed
//! recharge reaching each channel exactly once across restarts and a SIGKILL, retries with
//! backoff until `notify failed`, PushPlus 900 never retried, and secrets never shown.

mod common;

use std::time::Duration;

use common::standin::{self, Answer, HTTP_SERVICES, Service, Smtp, SmtpTls, Standin};
use common::worker_home::WorkerHome;
use serde_json::Value;

const NOW: &str = "2026-12-03T09:00:00Z";

/// A config with `channels`, and numbers when `numbers` is not empty.
fn config(numbers: &str, channels: &[String], events: &str) -> String {
    let channels: Vec<String> = channels
        .iter()
        .map(|c| Value::from(c.as_str()).to_string())
        .collect();
    format!(
        r#"{{"version":1,"timezone":"Asia/Shanghai","numbers":[{numbers}],
  "notify":{{"channels":[{}],"events":[{events}]}}}}"#,
        channels.join(",")
    )
}

fn all_standins() -> Vec<Standin> {
    HTTP_SERVICES.iter().map(|s| Standin::start(*s)).collect()
}

fn notify_test(h: &WorkerHome, args: &[&str]) -> (bool, String, String) {
    let mut a = vec!["notify", "test"];
    a.extend_from_slice(args);
    let o = h.run(&a);
    (
        o.status.success(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

fn assert_no_secret(services: &[Service], text: &str, where_: &str) {
    for s in services {
        for secret in s.secrets() {
            assert!(!text.contains(&secret), "{where_} shows {secret}:\n{text}");
        }
    }
    assert!(
        !text.contains(standin::SMTP_PASSWORD),
        "{where_} shows the SMTP password:\n{text}"
    );
}

#[test]
fn notify_test_reaches_every_channel_in_the_form_its_service_wants() {
    let stand = all_standins();
    let smtp = Smtp::start();
    for s in &stand {
        s.expect_time(NOW);
    }
    let mut urls: Vec<String> = stand.iter().map(Standin::url).collect();
    urls.push(smtp.url());
    let h = WorkerHome::new(&config("", &urls, ""), NOW);
    let (ok, out, err) = notify_test(&h, &[]);
    assert!(ok, "{out}{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), urls.len(), "{out}");
    for (i, l) in lines.iter().enumerate() {
        assert!(
            l.starts_with(&format!("{}. ", i + 1)) && l.ends_with(": ok"),
            "{l}"
        );
    }
    for s in &stand {
        assert_eq!(s.faults(), Vec::<String>::new(), "{:?}", s.service);
        assert_eq!(s.accepted(), 1, "{:?}: {:?}", s.service, s.seen());
        let seen = &s.seen()[0];
        assert!(
            seen.text().contains("baohao"),
            "{:?} got no test title: {}",
            s.service,
            seen.body
        );
    }
    // The signatures are stamped with the binary's clock (pinned), in ms and in s.
    let now: chrono::DateTime<chrono::Utc> = NOW.parse().expect("time");
    let ding = &stand[6].seen()[0];
    let ms = now.timestamp_millis().to_string();
    assert_eq!(ding.query("timestamp"), Some(ms));
    let feishu = stand[7].seen()[0].json().expect("JSON");
    assert_eq!(feishu["timestamp"], now.timestamp().to_string());
    let mails = smtp.mails();
    assert_eq!((mails.len(), smtp.faults()), (1, vec![]), "{mails:?}");
    assert!(mails[0].accepted);
    assert_eq!(mails[0].to, [format!("<{}>", standin::SMTP_TO)]);
    assert!(
        mails[0].from.contains(standin::SMTP_USER),
        "{:?}",
        mails[0].from
    );
    assert!(mails[0].data.contains("Subject: "), "{}", mails[0].data);
    assert_no_secret(&HTTP_SERVICES, &out, "notify test");
}

#[test]
fn notify_test_gives_each_services_own_reason_and_exits_1() {
    let stand = all_standins();
    let smtp = Smtp::start();
    for s in &stand {
        s.answer(Answer::Refuse);
    }
    smtp.answer(Answer::Refuse);
    let mut urls: Vec<String> = stand.iter().map(Standin::url).collect();
    urls.push(smtp.url());
    let h = WorkerHome::new(&config("", &urls, ""), NOW);
    let (ok, out, _) = notify_test(&h, &[]);
    assert!(!ok, "{out}");
    let want = [
        "ntfy: forbidden (40301)",
        "Bark: failed to get device token: failed to get [•••] device token from database (400)",
        "ServerChan: bad pushtoken (40001)",
        "ServerChan: bad pushtoken (40001)",
        "PushPlus: 无效的用户token (903)",
        "WeCom: invalid webhook url, hint: [1764720000_12_abc], from ip: 127.0.0.1 (93000)",
        "DingTalk: sign not match (310000)",
        "Feishu: sign match fail or timestamp is not within one hour from current time (19021)",
        "Lark: sign match fail or timestamp is not within one hour from current time (19021)",
        "Telegram: Bad Request: chat not found (400)",
        "Gotify: you need to provide a valid access token or user credentials to access this api (401)",
        "Pushover: user identifier is not a valid user, group, or subscribed user key",
        "webhook: HTTP 500",
        "webhook: HTTP 500",
        "email: ",
    ];
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), want.len(), "{out}");
    for (i, (l, w)) in lines.iter().zip(want).enumerate() {
        assert!(l.starts_with(&format!("{}. ", i + 1)), "{l}");
        assert!(l.contains(w), "line {}: {l}\nwants {w}", i + 1);
    }
    assert!(lines[14].contains("535"), "{}", lines[14]);
    assert_no_secret(&HTTP_SERVICES, &out, "notify test");
    // Only the channel asked for.
    stand[6].answer(Answer::Accept);
    let (ok, out, _) = notify_test(&h, &["--channel", "7"]);
    assert!(ok, "{out}");
    assert_eq!(
        out,
        "7. dingtalk://•••@•••?base=".to_string() + &stand[6].base() + ": ok\n"
    );
    let (ok, _, err) = notify_test(&h, &["--channel", "16"]);
    assert!(!ok);
    assert_eq!(err, "baohao: there is no channel 16 (the config has 15)\n");
}

#[test]
fn a_wrong_signing_secret_is_caught_by_the_stand_ins_own_signature() {
    let ding = Standin::start(Service::DingTalk);
    let feishu = Standin::start(Service::Feishu);
    let urls = [
        ding.url().replace("SECq9zX", "SECwrong"),
        feishu.url().replace("q9zXsecret", "wrongsecret"),
    ];
    let h = WorkerHome::new(&config("", &urls, ""), NOW);
    let (ok, out, _) = notify_test(&h, &[]);
    assert!(!ok, "{out}");
    assert!(out.contains("1. dingtalk://•••@•••"), "{out}");
    assert!(out.contains("DingTalk: sign not match (310000)"), "{out}");
    assert!(out.contains("Feishu: sign match fail (19021)"), "{out}");
    assert_eq!(ding.faults(), ["sign not match"]);
    assert_eq!(feishu.faults(), ["sign match fail"]);
}

#[test]
fn a_channel_that_hangs_or_drops_fails_in_a_sentence_and_the_others_still_answer() {
    let hang = Standin::start(Service::Gotify);
    hang.answer(Answer::Hang);
    let drop = Standin::start(Service::Telegram);
    drop.answer(Answer::Drop);
    let fine = Standin::start(Service::Bark);
    let smtp = Smtp::start();
    smtp.answer(Answer::Hang);
    let urls = [
        format!("{}&rto=1", hang.url()),
        drop.url(),
        fine.url(),
        format!("{}&rto=1", smtp.url()),
    ];
    let h = WorkerHome::new(&config("", &urls, ""), NOW);
    let (ok, out, _) = notify_test(&h, &[]);
    assert!(!ok, "{out}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains("Gotify: no answer within 1 s"), "{out}");
    assert!(lines[1].contains("Telegram: "), "{out}");
    assert!(!lines[1].ends_with(": ok"), "{out}");
    assert!(lines[2].ends_with(": ok"), "{out}");
    assert!(
        lines[3].starts_with("4. mailto://") && lines[3].contains("email: "),
        "{out}"
    );
    assert!(!lines[3].contains(standin::SMTP_PASSWORD), "{out}");
    assert_eq!(fine.accepted(), 1);
}

#[test]
fn a_channel_url_that_cannot_be_used_says_why_without_its_key() {
    let h = WorkerHome::new(
        &config(
            "",
            &[
                "tgram://4711:AAQ9zXkeytelegram".to_string(),
                "pushplus://${BAOHAO_TEST_UNSET_PP}".to_string(),
            ],
            "",
        ),
        NOW,
    );
    let o = h.run(&["validate"]);
    let text =
        String::from_utf8_lossy(&o.stdout).into_owned() + &String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{text}");
    assert!(text.contains("notify.channels[0]"), "{text}");
    assert!(!text.contains("Q9zXkey"), "{text}");
}

// ---- through the worker -------------------------------------------------------------

/// A number with a monthly recharge rule on `day` (1…31 or `"last"`), through the fakes.
fn number(id: &str, label: &str, msisdn: &str, day: &str) -> String {
    format!(
        r#"{{"id":"{id}","label":"{label}","msisdn":"{msisdn}","currency":"CNY",
  "provider":{{"kind":"command","program":"PROVIDER","timeout_secs":5}},
  "executor":{{"kind":"command","program":"EXECUTOR","timeout_secs":5}},
  "rules":[{{"id":"m","mode":"auto","amount":"30.00","trigger":{{"kind":"monthly","day":{day},"at":"00:00"}}}}]}}"#
    )
}

/// Three numbers whose monthly rules fall on different days.
fn three_numbers() -> String {
    [
        number("alpha", "Alpha", "+8613800138001", "1"),
        number("bravo", "Bravo", "+8613800138002", "11"),
        number("charlie", "Charlie", "+8613800138003", "\"last\""),
    ]
    .join(",")
}

/// Waits (no limit: the test harness's own timeout is the limit) until `done`.
fn wait_until(what: &str, mut done: impl FnMut() -> bool) {
    let mut n = 0u64;
    while !done() {
        std::thread::sleep(Duration::from_millis(50));
        n += 1;
        if n.is_multiple_of(400) {
            eprintln!("still waiting for {what}");
        }
    }
}

/// Each `delivered` line that says delivered, as (number, event, key, channel).
fn delivered_ok(h: &WorkerHome) -> Vec<(String, String, String, String)> {
    h.log_of("delivered")
        .into_iter()
        .filter(|d| d.get("error").is_none())
        .map(|d| {
            let s = |k: &str| d[k].as_str().unwrap_or_default().to_string();
            (s("number"), s("event"), s("key"), s("channel"))
        })
        .collect()
}

/// Says `number`'s failed recharge must not be tried again (so that it raises no new alert).
fn give_up(h: &WorkerHome, number: &str) {
    let intent = h
        .log_of("intent")
        .into_iter()
        .find(|i| i["number"] == number)
        .and_then(|i| i["id"].as_str().map(str::to_string))
        .expect("an intent");
    let o = h.run(&["resolve", &intent, "failed-final"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_failed_recharge_reaches_each_channel_exactly_once_across_restarts_and_a_sigkill() {
    use nix::sys::signal::Signal;
    let stand = all_standins();
    let smtp = Smtp::start();
    let mut urls: Vec<String> = stand.iter().map(Standin::url).collect();
    urls.push(smtp.url());
    let channels = urls.len();
    let h = WorkerHome::new(
        &config(&three_numbers(), &urls, r#""recharge_failed""#),
        "2026-01-01T00:30:00Z",
    );
    h.set("executor-status", "failed");
    // DingTalk holds its answer: the daemon is killed with that send on its way.
    let held = 6;
    stand[held].answer(Answer::Hang);

    let d = h.spawn_daemon();
    wait_until("Alpha's alert on every channel", || {
        stand.iter().all(|s| s.seen().len() == 1)
            && smtp.accepted() == 1
            && delivered_ok(&h).len() == channels - 1
    });
    d.stop(Signal::SIGKILL);

    // Restarted: the one send that never came back is made again; nothing else is.
    stand[held].answer(Answer::Accept);
    let d = h.spawn_daemon();
    wait_until("the held send made again", || {
        delivered_ok(&h).len() == channels
    });
    give_up(&h, "alpha");
    // Bravo's day: a second failure, asked for at once (SIGUSR1) rather than at the minute.
    h.set_clock("2026-01-11T00:30:00Z");
    d.signal(Signal::SIGUSR1);
    wait_until("Bravo's alert on every channel", || {
        delivered_ok(&h).len() == 2 * channels
    });
    d.stop(Signal::SIGTERM);
    give_up(&h, "bravo");

    // Restarted on the last day: Charlie's failure, and no repeat of the others.
    h.set_clock("2026-01-31T00:30:00Z");
    let d = h.spawn_daemon();
    wait_until("Charlie's alert on every channel", || {
        delivered_ok(&h).len() == 3 * channels
    });
    d.stop(Signal::SIGTERM);
    // One more pass by a new process, to its end: nothing is sent again.
    let o = h.run(&["tick"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let ok = delivered_ok(&h);
    assert_eq!(ok.len(), 3 * channels, "{ok:?}");
    let mut unique = ok.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        ok.len(),
        "an alert was delivered twice: {ok:?}"
    );
    for (who, number) in [
        ("Alpha", "alpha"),
        ("Bravo", "bravo"),
        ("Charlie", "charlie"),
    ] {
        assert_eq!(
            ok.iter().filter(|d| d.0 == number).count(),
            channels,
            "{number}: {ok:?}"
        );
        for s in &stand {
            let heard = s
                .seen()
                .iter()
                .filter(|r| r.accepted && r.text().contains(who))
                .count();
            assert_eq!(heard, 1, "{:?} heard of {who} {heard} times", s.service);
        }
        let mails = smtp.mails();
        let heard = mails
            .iter()
            .filter(|m| m.accepted && m.data.contains(who))
            .count();
        assert_eq!(heard, 1, "email heard of {who} {heard} times");
    }
    for s in &stand {
        assert_eq!(s.faults(), Vec::<String>::new(), "{:?}", s.service);
        assert_eq!(s.accepted(), 3, "{:?}", s.service);
    }
    // The held channel saw Alpha's send twice: the kill came before its answer.
    assert_eq!(stand[held].seen().len(), 4);
    assert_eq!(smtp.accepted(), 3);
}

/// One number whose recharge fails on 2026-01-01, and one channel.
fn one_failure(url: &str) -> WorkerHome {
    let h = WorkerHome::new(
        &config(
            &number("alpha", "Alpha", "+8613800138001", "1"),
            &[url.to_string()],
            r#""recharge_failed""#,
        ),
        "2026-01-01T00:30:00Z",
    );
    h.set("executor-status", "failed");
    h
}

fn tick_at(h: &WorkerHome, minutes_after_first: f64) -> String {
    let t: chrono::DateTime<chrono::Utc> = "2026-01-01T00:30:00Z".parse().expect("time");
    let at = t + chrono::Duration::milliseconds((minutes_after_first * 60_000.0) as i64);
    h.set_clock(&at.to_rfc3339());
    let o = h.run(&["tick"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn attention(h: &WorkerHome) -> Vec<String> {
    let o = h.run(&["status", "--json"]);
    let v: Value = serde_json::from_slice(&o.stdout).expect("status --json");
    v[0]["attention"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn an_error_code_in_a_200_is_retried_with_backoff_then_shown_as_notify_failed() {
    let wecom = Standin::start(Service::WeCom);
    wecom.answer(Answer::Refuse);
    let h = one_failure(&wecom.url());
    let mut stderr = tick_at(&h, 0.0);
    // The recharge itself is not tried again: only the notification's retries are counted.
    give_up(&h, "alpha");
    let mut tries_at = vec![];
    for m in [
        0.5, 1.0, 5.0, 6.0, 35.0, 36.0, 155.0, 156.0, 515.0, 516.0, 2000.0, 5000.0,
    ] {
        let before = wecom.seen().len();
        if m == 516.0 {
            assert!(!attention(&h).contains(&"notify_failed".to_string()));
        }
        stderr.push_str(&tick_at(&h, m));
        if wecom.seen().len() > before {
            tries_at.push(m);
        }
    }
    // About 1 min, 5 min, 30 min, 2 h and 6 h after each try, then no more.
    assert_eq!(tries_at, [1.0, 6.0, 36.0, 156.0, 516.0]);
    assert_eq!(wecom.seen().len(), 6);
    assert_eq!(wecom.faults(), Vec::<String>::new());
    let lines = h.log_of("delivered");
    assert_eq!(lines.len(), 6, "{lines:?}");
    for l in &lines {
        assert_eq!(
            l["error"],
            "WeCom: invalid webhook url, hint: [1764720000_12_abc], from ip: 127.0.0.1 (93000)"
        );
    }
    assert!(attention(&h).contains(&"notify_failed".to_string()));
    assert!(stderr.contains("WeCom: invalid webhook url"), "{stderr}");
    assert_no_secret(&[Service::WeCom], &stderr, "the worker's stderr");
    assert_no_secret(&[Service::WeCom], &h.log_text(), "the log");
}

#[test]
fn pushplus_900_is_never_retried() {
    let pp = Standin::start(Service::PushPlus);
    pp.answer(Answer::Restricted);
    let h = one_failure(&pp.url());
    tick_at(&h, 0.0);
    give_up(&h, "alpha");
    assert!(attention(&h).contains(&"notify_failed".to_string()));
    for m in [1.0, 10.0, 60.0, 600.0, 3000.0] {
        tick_at(&h, m);
    }
    assert_eq!(pp.seen().len(), 1);
    let lines = h.log_of("delivered");
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(lines[0]["error"], "PushPlus: 用户账号使用受限 (900)");
    assert_eq!(lines[0]["retry"], false);
    // Once the number is topped up by hand, what is left to say is the lost notification:
    // the Numbers tab's badge says so.
    let o = h.run(&["record", "alpha", "30"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(attention(&h), ["notify_failed"]);
    let clock = format!("@{}", h.dir.path().join("clock").display());
    let fake = h.dir.path().display().to_string();
    let env = [("BAOHAO_NOW", clock.as_str()), ("FAKE_DIR", fake.as_str())];
    let mut tui = common::pty::Session::start(&h.home(), 100, 30, &env);
    tui.wait_for("notify failed");
    assert_no_secret(&[Service::PushPlus], &tui.screen(), "the Numbers tab");
    // Settings lists the channel with its last delivery and how it went.
    tui.send(",");
    tui.wait_for("1. 2026-01-01 08:30 notify failed: PushPlus");
    assert_no_secret(&[Service::PushPlus], &tui.screen(), "Settings");
    // Esc and q sent in one write read as Alt-q, which quits nothing: let the Esc land first.
    tui.send("\x1b");
    tui.settle(Duration::from_millis(300));
    tui.send("q");
    let _ = tui.child.wait();
    assert_eq!(pp.seen().len(), 1, "the TUI's worker sent again");
}

#[test]
fn a_secret_from_the_environment_never_appears_in_the_log_status_or_on_screen() {
    let stand = all_standins();
    let smtp = Smtp::start();
    let mut env = Vec::new();
    let mut urls = Vec::new();
    for (i, s) in stand.iter().enumerate() {
        s.answer(Answer::Refuse);
        let (url, vars) = s.url_from_env(&format!("BH_{i}"));
        urls.push(url);
        env.extend(vars);
    }
    smtp.answer(Answer::Refuse);
    urls.push(smtp.url_from_env("BH_MAIL"));
    env.push(("BH_MAIL".to_string(), standin::SMTP_PASSWORD.to_string()));
    let numbers = three_numbers();
    let mut h = WorkerHome::new(
        &config(&numbers, &urls, r#""recharge_failed""#),
        "2026-01-01T00:30:00Z",
    );
    h.env = env.clone();
    h.set("executor-status", "failed");
    let o = h.run(&["tick"]);
    let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(o.status.success(), "{stderr}");
    // Every channel was tried with the real values, and refused.
    for s in &stand {
        assert_eq!(s.faults(), Vec::<String>::new(), "{:?}", s.service);
        assert_eq!(s.seen().len(), 1, "{:?}", s.service);
    }
    assert_eq!(smtp.mails().len(), 0);
    assert_eq!(h.log_of("delivered").len(), urls.len());
    let (_, test_out, test_err) = notify_test(&h, &[]);
    assert!(
        test_out.contains("Bark: failed to get device token: failed to get [•••]"),
        "{test_out}"
    );
    let status = String::from_utf8_lossy(&h.run(&["status", "--json"]).stdout).into_owned();
    let rows: Value = serde_json::from_str(&status).expect("status --json");
    assert_eq!(rows.as_array().map(Vec::len), Some(3), "{status}");
    let history = String::from_utf8_lossy(&h.run(&["history"]).stdout).into_owned();
    let config = std::fs::read_to_string(h.home().join("config.json")).expect("config");
    for (what, text) in [
        ("the tick's stderr", &stderr),
        ("the log", &h.log_text()),
        ("notify test", &(test_out.clone() + &test_err)),
        ("status --json", &status),
        ("history", &history),
        ("the config", &config),
    ] {
        assert_no_secret(&HTTP_SERVICES, text, what);
    }
    // The TUI, with the same environment.
    let vars: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let mut all = vars.clone();
    let clock = format!("@{}", h.dir.path().join("clock").display());
    let fake = h.dir.path().display().to_string();
    all.push(("BAOHAO_NOW", &clock));
    all.push(("FAKE_DIR", &fake));
    let mut tui = common::pty::Session::start(&h.home(), 120, 30, &all);
    tui.wait_for("Alpha");
    tui.settle(Duration::from_millis(300));
    assert_no_secret(&HTTP_SERVICES, &tui.screen(), "the Numbers tab");
    tui.send("q");
    let _ = tui.child.wait();
}

#[test]
fn the_weekly_digest_goes_once_a_week_with_every_number() {
    let bark = Standin::start(Service::Bark);
    let text = config(&three_numbers(), &[bark.url()], r#""recharge_failed""#).replace(
        r#""events":["recharge_failed"]"#,
        r#""events":["recharge_failed"],"digest":{"weekday":"mon","at":"09:00"}"#,
    );
    // Monday 2026-11-30, 09:05 in Shanghai.
    let h = WorkerHome::new(&text, "2026-11-30T01:05:00Z");
    let tick = |t: &str| {
        h.set_clock(t);
        let o = h.run(&["tick"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    tick("2026-11-30T01:05:00Z");
    assert_eq!(bark.accepted(), 1, "{:?}", bark.seen());
    let digest = bark.seen()[0].json().expect("JSON");
    assert_eq!(digest["title"], "baohao: weekly digest");
    let body = digest["body"].as_str().unwrap_or_default();
    // One line a number, each with its balance (the provider's 10.00, read by this tick)
    // or why there is none; then whether anything needs the person.
    for who in ["Alpha", "Bravo", "Charlie"] {
        let line = body
            .lines()
            .find(|l| l.starts_with(&format!("{who}: ")))
            .unwrap_or_else(|| panic!("no line for {who}: {body}"));
        assert!(
            line.contains("¥10.00") || line.contains("balance not read yet"),
            "{line}"
        );
    }
    assert!(body.contains("¥10.00"), "{body}");
    assert!(
        body.lines()
            .last()
            .unwrap_or_default()
            .contains("Nothing needs you"),
        "{body}"
    );
    // Later that day, and next Monday before nine: still this week's.
    tick("2026-11-30T02:00:00Z");
    tick("2026-12-07T00:59:00Z");
    assert_eq!(bark.seen().len(), 1);
    tick("2026-12-07T01:00:00Z");
    assert_eq!(bark.accepted(), 2);
    assert_eq!(bark.faults(), Vec::<String>::new());
}

/// A proxy on loopback that notes each request's first line: a plain request (to any
/// host) is answered 200 as the service would; a CONNECT is refused, since seeing it asked
/// is all a test needs.
fn proxy() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut r = BufReader::new(stream.try_clone().expect("clone"));
            let mut first = String::new();
            let _ = r.read_line(&mut first);
            let mut len = 0usize;
            loop {
                let mut h = String::new();
                if r.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                    break;
                }
                if let Some((k, v)) = h.split_once(':')
                    && k.eq_ignore_ascii_case("content-length")
                {
                    len = v.trim().parse().unwrap_or(0);
                }
            }
            let mut body = vec![0u8; len];
            let _ = r.read_exact(&mut body);
            log.lock().unwrap().push(first.trim_end().to_string());
            let answer: &[u8] = if first.starts_with("CONNECT") {
                b"HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            } else {
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}"
            };
            let _ = stream.write_all(answer);
        }
    });
    (url, seen)
}

/// A person behind a proxy (a mainland network reaching Telegram, say) sets the usual
/// variables: every channel's request goes through it, plain ones to the proxy itself and
/// TLS ones as a CONNECT tunnel.
#[test]
fn the_environments_proxy_carries_every_channels_request() {
    let (url, seen) = proxy();
    let urls = [
        "json://hooks.example.invalid/baohao".to_string(),
        "jsons://hooks.example.invalid/baohao".to_string(),
    ];
    let mut h = WorkerHome::new(&config("", &urls, ""), NOW);
    for k in ["ALL_PROXY", "HTTPS_PROXY"] {
        h.env.push((k.into(), url.clone()));
    }
    h.env.push(("NO_PROXY".into(), String::new()));
    let (ok, out, err) = notify_test(&h, &[]);
    let seen = seen.lock().unwrap().clone();
    assert!(!ok, "the tunnel was refused: {out}{err}");
    assert!(
        out.lines().next().is_some_and(|l| l.ends_with(": ok")),
        "{out}"
    );
    assert!(
        seen.contains(&"POST http://hooks.example.invalid/baohao HTTP/1.1".to_string()),
        "{seen:?}"
    );
    assert!(
        seen.contains(&"CONNECT hooks.example.invalid:443 HTTP/1.1".to_string()),
        "{seen:?}"
    );
}

/// Most mail providers take mail only over TLS: from the first byte (`mailtos://`, port
/// 465) or after STARTTLS (`?starttls=yes`, port 587). The stand-in's certificate is
/// signed by a test CA that baohao is told of through `SSL_CERT_FILE`; without it the
/// certificate is not trusted and nothing is sent.
#[test]
fn email_goes_over_tls_from_the_start_or_after_starttls() {
    for tls in [SmtpTls::Implicit, SmtpTls::StartTls] {
        let smtp = Smtp::start_with(tls);
        let mut h = WorkerHome::new(&config("", &[smtp.url()], ""), NOW);
        h.env.push(("SSL_CERT_FILE".into(), standin::test_ca()));
        let (ok, out, err) = notify_test(&h, &[]);
        assert!(ok, "{tls:?}: {out}{err}{:?}", smtp.faults());
        let mails = smtp.mails();
        assert_eq!(mails.len(), 1, "{tls:?}");
        assert!(mails[0].accepted && mails[0].secure, "{tls:?}: {mails:?}");
        assert_eq!(mails[0].to, [format!("<{}>", standin::SMTP_TO)]);
        assert_eq!(smtp.faults(), Vec::<String>::new(), "{tls:?}");
        assert!(!out.contains(standin::SMTP_PASSWORD), "{out}");
    }
    let smtp = Smtp::start_with(SmtpTls::Implicit);
    let mut h = WorkerHome::new(&config("", &[smtp.url()], ""), NOW);
    h.env.push(("SSL_CERT_FILE".into(), String::new()));
    let (ok, out, _) = notify_test(&h, &[]);
    assert!(!ok, "{out}");
    assert!(out.contains("email: "), "{out}");
    assert_eq!(smtp.accepted(), 0);
    assert!(!out.contains(standin::SMTP_PASSWORD), "{out}");
}

#[test]
fn a_channel_that_hangs_holds_up_no_recharge() {
    use nix::sys::signal::Signal;
    let ntfy = Standin::start(Service::Ntfy);
    ntfy.answer(Answer::Hang);
    // Ten minutes to answer: the hang outlasts everything below.
    let url = format!("{}&rto=600", ntfy.url());
    assert!(url.contains("?base="), "{url}");
    let h = WorkerHome::new(
        &config(
            &[
                number("alpha", "Alpha", "+8613800138001", "1"),
                number("bravo", "Bravo", "+8613800138002", "11"),
            ]
            .join(","),
            &[url],
            r#""recharge_failed""#,
        ),
        "2026-01-01T00:30:00Z",
    );
    h.set("executor-status", "failed");
    let d = h.spawn_daemon();
    wait_until("Alpha's alert sent to the hanging channel", || {
        ntfy.seen().len() == 1
    });
    // Bravo's day comes while that send hangs: its recharge runs all the same.
    h.set("executor-status", "succeeded");
    h.set_clock("2026-01-11T00:30:00Z");
    d.signal(Signal::SIGUSR1);
    wait_until("Bravo's recharge", || {
        h.log_of("outcome")
            .iter()
            .any(|o| o["number"] == "bravo" && o["status"] == "succeeded")
    });
    d.stop(Signal::SIGTERM);
    // The hanging send never answered: no delivery is logged for it, and it held up
    // nothing.
    assert!(
        h.log_of("delivered").is_empty(),
        "{:?}",
        h.log_of("delivered")
    );
}

#[test]
fn a_chinese_title_and_body_reach_the_phone_whole_through_json() {
    let bark = Standin::start(Service::Bark);
    let text = config(
        &number("alpha", "移动保号卡", "+8613800138001", "1"),
        &[bark.url()],
        r#""recharge_failed""#,
    );
    let h = WorkerHome::new(&text, "2026-01-01T00:30:00Z");
    h.set("executor-status", "failed");
    let o = h
        .cmd(&["tick"])
        .env("LANG", "zh_CN.UTF-8")
        .output()
        .expect("tick");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(bark.accepted(), 1, "{:?}", bark.seen());
    let sent = bark.seen()[0].json().expect("JSON");
    assert_eq!(sent["title"], "保号：移动保号卡 充值失败", "{sent}");
    let body = sent["body"].as_str().unwrap_or_default();
    assert!(
        body.contains("移动保号卡") && body.contains("充值失败"),
        "{body}"
    );
    assert!(body.contains("baohao record"), "it says what to do: {body}");
}
