//! Settings' push channels through the real binary in a terminal: `t` on a channel's row
//! sends a test and shows the service's answer in place, `a` adds a channel through a form
//! that asks for the fields of its kind (a test from the form uses its unsaved values), `d`
//! deletes one after asking. Against the loopback stand-ins of tests/common/standin.rs.

mod common;

use std::time::Duration;

use common::pty::Session;
use common::standin::{Answer, Service, Smtp, Standin};
use common::worker_home::WorkerHome;
use serde_json::Value;

const NOW: &str = "2026-12-03T09:00:00Z";
const UP: &str = "\x1b[A";
const RIGHT: &str = "\x1b[C";
const CTRL_T: &str = "\x14";

fn home(channels: &[String]) -> WorkerHome {
    let channels: Vec<String> = channels
        .iter()
        .map(|c| Value::from(c.as_str()).to_string())
        .collect();
    let notify = if channels.is_empty() {
        String::new()
    } else {
        format!(
            r#","notify":{{"channels":[{}],"events":["recharge_failed"]}}"#,
            channels.join(",")
        )
    };
    WorkerHome::new(
        &format!(r#"{{"version":1,"timezone":"Asia/Shanghai","numbers":[]{notify}}}"#),
        NOW,
    )
}

fn channels_in(h: &WorkerHome) -> Vec<String> {
    let text = std::fs::read_to_string(h.home().join("config.json")).expect("the config");
    let v: Value = serde_json::from_str(&text).expect("JSON");
    v["notify"]["channels"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|c| c.as_str().unwrap_or_default().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn no_secret(screen: &str, secrets: &[String]) {
    for s in secrets {
        assert!(
            !screen.contains(s.as_str()),
            "the screen shows {s}:\n{screen}"
        );
    }
}

fn start(h: &WorkerHome, env: &[(&str, &str)]) -> Session {
    let clock = format!("@{}", h.dir.path().join("clock").display());
    let mut env: Vec<(&str, &str)> = env.to_vec();
    env.push(("BAOHAO_NOW", clock.as_str()));
    let mut tui = Session::start(&h.home(), 100, 34, &env);
    tui.wait_for("Numbers");
    tui
}

fn quit(mut tui: Session) {
    // Esc and q sent in one write read as Alt-q: let the Esc land first.
    tui.send("\x1b");
    tui.settle(Duration::from_millis(300));
    tui.send("\x1b");
    tui.settle(Duration::from_millis(300));
    tui.send("q");
    let t = std::time::Instant::now();
    let _ = tui.child.wait();
    eprintln!("quit took {:?}", t.elapsed());
}

#[test]
fn t_on_a_channel_row_shows_the_services_answer_and_d_deletes_it_after_asking() {
    let wecom = Standin::start(Service::WeCom);
    wecom.answer(Answer::Refuse);
    let ntfy = Standin::start(Service::Ntfy);
    let h = home(&[wecom.url(), ntfy.url()]);
    let mut tui = start(&h, &[]);
    tui.send(",");
    tui.wait_for("+ add a channel");
    // From the first field, up wraps to the last row (add), then the channels, last first.
    tui.send(UP);
    tui.send(UP);
    tui.send(UP);
    tui.settle(Duration::from_millis(200));
    tui.send("t");
    tui.wait_for("1. test failed: WeCom: invalid webhook url");
    assert_eq!(wecom.seen().len(), 1, "one test, one request");
    no_secret(&tui.screen(), &Service::WeCom.secrets());
    // The other channel's row is as it was.
    assert!(
        tui.screen().contains("2. nothing sent yet"),
        "{}",
        tui.screen()
    );
    tui.send("d");
    tui.wait_for("Delete the channel wecombot://•••");
    tui.send("n");
    tui.settle(Duration::from_millis(300));
    assert_eq!(channels_in(&h).len(), 2, "n keeps it");
    tui.send("d");
    tui.wait_for("Delete the channel wecombot://•••");
    tui.send("y");
    tui.wait_for("Deleted the channel wecombot://•••");
    assert_eq!(channels_in(&h), vec![ntfy.url()]);
    // Settings is still open, the remaining channel now first.
    tui.wait_for("1. nothing sent yet · ntfys://");
    no_secret(&tui.screen(), &Service::WeCom.secrets());
    quit(tui);
    assert_eq!(
        ntfy.seen().len(),
        0,
        "nothing was sent to the other channel"
    );
}

#[test]
fn a_adds_a_channel_from_the_fields_of_its_kind_tested_before_it_is_saved() {
    let ding = Standin::start(Service::DingTalk);
    ding.expect_time(NOW);
    let secret = Service::DingTalk.secret().expect("a signing secret");
    let key = Service::DingTalk.key();
    let h = home(&[]);
    let mut tui = start(&h, &[("BH_DT", secret.as_str())]);
    // ntfy, Bark, ServerChan, PushPlus, WeCom, then DingTalk.
    open_the_add_form(&mut tui, 5);
    tui.wait_for("DingTalk robot");
    tui.wait_for("access_token");
    tui.wait_for("signing secret");
    // A test before the key is given says what is missing and sends nothing.
    tui.send(CTRL_T);
    tui.wait_for("needed for this kind of channel");
    // The focus went to the field that is missing.
    tui.send(&key);
    tui.send("\t");
    tui.send("${BH_DT}");
    tui.send("\t");
    tui.send(&ding.base());
    tui.settle(Duration::from_millis(300));
    let s = tui.screen();
    // The key typed in is dots; the variable's name shows as written.
    no_secret(&s, &[key.clone(), secret.clone()]);
    assert!(s.contains("${BH_DT}"), "{s}");
    assert_eq!(ding.seen().len(), 0);
    tui.send(CTRL_T);
    tui.wait_for("test: ok");
    assert_eq!(ding.seen().len(), 1);
    assert_eq!(
        ding.faults(),
        Vec::<String>::new(),
        "signed as DingTalk wants"
    );
    // Nothing is saved by a test.
    assert_eq!(channels_in(&h), Vec::<String>::new());
    tui.send("\r");
    tui.wait_for("Added the channel dingtalk://");
    let want = format!("dingtalk://${{BH_DT}}@{key}?base={}", ding.base());
    assert_eq!(channels_in(&h), vec![want]);
    // Back in Settings, the new channel has its row.
    tui.wait_for("1. nothing sent yet · dingtalk://${BH_DT}@•••");
    no_secret(&tui.screen(), &[key.clone(), secret.clone()]);
    quit(tui);
}

/// Opens Settings, then the form that adds a channel, on the kind `rights` steps right of
/// ntfy.
fn open_the_add_form(tui: &mut Session, rights: usize) {
    tui.send(",");
    tui.wait_for("+ add a channel");
    tui.send(UP);
    tui.settle(Duration::from_millis(200));
    tui.send("a");
    tui.wait_for("Add a push channel");
    for _ in 0..rights {
        tui.send(RIGHT);
    }
}

/// Adds the stand-in's channel through the form: the kind `rights` steps right of ntfy,
/// then each of `typed` (given the stand-in's base URL) into the next field, Tab between;
/// tested with Ctrl-T, then saved. The URL the form composes must be the stand-in's own.
fn add_through_the_form(
    service: Service,
    rights: usize,
    label: &str,
    typed: impl Fn(&str) -> Vec<String>,
) {
    let standin = Standin::start(service);
    standin.expect_time(NOW);
    // A webhook's path is not a secret to baohao (its password is); the stand-in's key
    // sits in that path.
    let secrets: Vec<String> = service
        .secrets()
        .into_iter()
        .filter(|x| !matches!(service, Service::Json | Service::Form) || *x != service.key())
        .collect();
    let h = home(&[]);
    let mut tui = start(&h, &[]);
    open_the_add_form(&mut tui, rights);
    tui.wait_for(label);
    for t in typed(&standin.base()) {
        tui.send("\t");
        tui.send(&t);
    }
    tui.settle(Duration::from_millis(300));
    no_secret(&tui.screen(), &secrets);
    tui.send(CTRL_T);
    tui.wait_for("test: ok");
    assert_eq!(standin.seen().len(), 1, "{label}: one test");
    assert_eq!(standin.faults(), Vec::<String>::new(), "{label}");
    assert_eq!(
        channels_in(&h),
        Vec::<String>::new(),
        "a test saves nothing"
    );
    tui.send("\r");
    tui.wait_for("Added the channel");
    assert_eq!(channels_in(&h), vec![standin.url()], "{label}");
    tui.wait_for("1. nothing sent yet");
    no_secret(&tui.screen(), &secrets);
    quit(tui);
}

#[test]
fn ntfy_is_added_with_its_server_topic_and_token() {
    let s = Service::Ntfy;
    add_through_the_form(s, 0, "access token", |base| {
        // server, topic, token, TLS (yes, as it is), base.
        vec![
            "ntfy.example".into(),
            s.key(),
            s.secret().unwrap(),
            String::new(),
            base.into(),
        ]
    });
}

#[test]
fn bark_is_added_with_its_server_and_device_key() {
    let s = Service::Bark;
    add_through_the_form(s, 1, "device key", |base| {
        vec!["bark.example".into(), s.key(), String::new(), base.into()]
    });
}

#[test]
fn feishu_and_lark_are_added_with_their_token_and_signing_secret() {
    for (s, rights) in [(Service::Feishu, 6), (Service::Lark, 7)] {
        add_through_the_form(s, rights, "signing secret", |base| {
            vec![s.key(), s.secret().unwrap(), base.into()]
        });
    }
}

#[test]
fn telegram_is_added_with_its_bot_token_and_chat() {
    let s = Service::Telegram;
    add_through_the_form(s, 8, "chat_id", |base| {
        vec![s.key(), common::standin::CHAT.into(), base.into()]
    });
}

#[test]
fn enter_on_a_channel_row_edits_it_and_ctrl_t_tests_the_edit() {
    let bark = Standin::start(Service::Bark);
    let h = home(&[bark.url()]);
    let mut tui = start(&h, &[]);
    tui.send(",");
    tui.wait_for("+ add a channel");
    tui.send(UP);
    tui.send(UP);
    tui.settle(Duration::from_millis(200));
    tui.send("\r");
    tui.wait_for("Edit a push channel");
    tui.wait_for("bark.example");
    no_secret(&tui.screen(), &Service::Bark.secrets());
    tui.send(CTRL_T);
    tui.wait_for("test: ok");
    assert_eq!(bark.seen().len(), 1);
    tui.send("\r");
    tui.wait_for("Saved the channel");
    assert_eq!(channels_in(&h), vec![bark.url()], "saved as it was, once");
    quit(tui);
}

#[test]
fn serverchan_both_key_forms_pushplus_and_wecom_are_added_with_their_key() {
    for (s, rights, label) in [
        (Service::ServerChan, 2, "SendKey"),
        (Service::ServerChan3, 2, "SendKey"),
        (Service::PushPlus, 3, "token"),
        (Service::WeCom, 4, "webhook key"),
    ] {
        add_through_the_form(s, rights, label, |base| vec![s.key(), base.into()]);
    }
}

#[test]
fn gotify_and_pushover_are_added_with_their_tokens() {
    let s = Service::Gotify;
    add_through_the_form(s, 9, "app token", |base| {
        // server, app token, TLS (yes, as it is), base.
        vec!["gotify.example".into(), s.key(), String::new(), base.into()]
    });
    let s = Service::Pushover;
    add_through_the_form(s, 10, "user key", |base| {
        // app token, user key, base.
        vec![s.key(), s.secret().unwrap(), base.into()]
    });
}

#[test]
fn a_json_or_form_webhook_is_added_with_its_path_and_login() {
    for (s, rights) in [(Service::Json, 12), (Service::Form, 13)] {
        add_through_the_form(s, rights, "path", |base| {
            // server, user, password, path, TLS (to no), base.
            vec![
                "hooks.example".into(),
                "baohao".into(),
                s.secret().unwrap(),
                format!("in/{}", s.key()),
                RIGHT.into(),
                base.into(),
            ]
        });
    }
}

#[test]
fn email_is_added_with_its_server_login_and_address() {
    use common::standin::{SMTP_PASSWORD, SMTP_TO, SMTP_USER};
    let smtp = Smtp::start();
    let port = smtp.url();
    let port = port
        .rsplit_once("127.0.0.1:")
        .and_then(|(_, p)| p.split('?').next())
        .expect("a port")
        .to_string();
    let h = home(&[]);
    let mut tui = start(&h, &[]);
    open_the_add_form(&mut tui, 11);
    tui.wait_for("SMTP");
    // SMTP server, user, password, to, from (the user, as it is), TLS (yes → STARTTLS → no).
    for t in [
        format!("127.0.0.1:{port}"),
        SMTP_USER.to_string(),
        SMTP_PASSWORD.to_string(),
        SMTP_TO.to_string(),
        String::new(),
        format!("{RIGHT}{RIGHT}"),
    ] {
        tui.send("\t");
        tui.send(&t);
    }
    tui.settle(Duration::from_millis(300));
    no_secret(&tui.screen(), &[SMTP_PASSWORD.to_string()]);
    tui.send(CTRL_T);
    tui.wait_for("test: ok");
    assert_eq!(smtp.accepted(), 1);
    assert_eq!(
        channels_in(&h),
        Vec::<String>::new(),
        "a test saves nothing"
    );
    tui.send("\r");
    tui.wait_for("Added the channel");
    assert_eq!(channels_in(&h), vec![smtp.url()]);
    tui.wait_for("1. nothing sent yet");
    no_secret(&tui.screen(), &[SMTP_PASSWORD.to_string()]);
    quit(tui);
}
