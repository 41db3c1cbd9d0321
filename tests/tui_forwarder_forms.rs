//! The TUI and forwarders: the number form picks the SIM's host (a modem or a
//! forwarder and its slot, never both) and Settings shows the inbox and each forwarder.

use baohao::clock::Clock;
use baohao::store::Paths;
use baohao::tui::app::{App, Overlay};
use baohao::tui::theme::Theme;
use baohao::tui::update::{press as key, type_text as keys};
use baohao::tui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;

const CONFIG: &str = r#"{"version":1,"timezone":"Asia/Shanghai",
  "inbox":{"listen":"127.0.0.1:8787"},
  "forwarders":[
    {"id":"pixel","kind":"smsforwarder","url":"http://192.168.1.20:5000","secret_env":"SMSF_SECRET"},
    {"id":"board","kind":"webhook","token_env":"BOARD_TOKEN"}],
  "numbers":[
  {"id":"cmcc","label":"CMCC","msisdn":"+8613800000001","carrier":"China Mobile","currency":"CNY",
   "modem":{"match":"any"},"provider":{"kind":"manual"},"executor":{"kind":"remind"}}]}"#;

fn open() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), CONFIG).unwrap();
    std::fs::write(dir.path().join("log.jsonl"), "").unwrap();
    let app = App::open(
        Paths::in_home(dir.path()),
        Clock::Fixed("2026-11-25T10:00:00Z".parse().unwrap()),
        Theme { color: false },
    )
    .unwrap();
    (dir, app)
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view(app, f)).unwrap();
    t.backend().to_string()
}

fn screen(app: &App) -> String {
    render(app, 100, 40)
}

fn focused(app: &App) -> String {
    match &app.overlay {
        Overlay::Form(of) => of
            .form
            .focused()
            .map(|f| f.label.clone())
            .unwrap_or_default(),
        _ => String::new(),
    }
}

fn go_to(app: &mut App, label: &str) {
    for _ in 0..40 {
        if focused(app) == label {
            return;
        }
        key(app, KeyCode::Down);
    }
    panic!("no field {label}: {}", screen(app));
}

fn field(app: &App, label: &str) -> String {
    match &app.overlay {
        Overlay::Form(of) => of
            .form
            .fields
            .iter()
            .find(|f| f.label == label && f.visible)
            .map(|f| f.get().to_string())
            .unwrap_or_else(|| "<hidden>".into()),
        _ => panic!("no form"),
    }
}

fn config(dir: &tempfile::TempDir) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.path().join("config.json")).unwrap()).unwrap()
}

#[test]
fn a_new_number_is_put_on_a_forwarder_and_slot() {
    let (dir, mut app) = open();
    keys(&mut app, "a");
    go_to(&mut app, "id");
    keys(&mut app, "uni");
    go_to(&mut app, "label");
    keys(&mut app, "Unicom");
    go_to(&mut app, "number");
    keys(&mut app, "+8613012345678");
    go_to(&mut app, "currency");
    keys(&mut app, "CNY");
    go_to(&mut app, "SIM in");
    assert_eq!(
        field(&app, "slot"),
        "<hidden>",
        "no slot without a forwarder"
    );
    // none → a modem → pixel
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Right);
    let s = screen(&app);
    assert!(s.contains("pixel"), "{s}");
    assert_eq!(field(&app, "slot"), "");
    go_to(&mut app, "slot");
    keys(&mut app, "2");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::None), "{}", screen(&app));
    let c = config(&dir);
    let n = &c["numbers"][1];
    assert_eq!(n["forwarder"]["id"], "pixel", "{c}");
    assert_eq!(n["forwarder"]["slot"], 2, "{c}");
    assert!(n.get("modem").is_none(), "{c}");
}

#[test]
fn editing_moves_a_number_from_its_modem_to_a_forwarder_never_both() {
    let (dir, mut app) = open();
    keys(&mut app, "e");
    go_to(&mut app, "SIM in");
    assert!(screen(&app).contains("modem"), "{}", screen(&app));
    assert_eq!(field(&app, "modem"), "any");
    key(&mut app, KeyCode::Right);
    assert_eq!(field(&app, "modem"), "<hidden>");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::None), "{}", screen(&app));
    let c = config(&dir);
    let n = &c["numbers"][0];
    assert_eq!(n["forwarder"]["id"], "pixel", "{c}");
    assert!(n.get("modem").is_none(), "{c}");
    // And back to none: neither.
    keys(&mut app, "e");
    go_to(&mut app, "SIM in");
    for _ in 0..2 {
        key(&mut app, KeyCode::Left);
    }
    key(&mut app, KeyCode::Enter);
    let c = config(&dir);
    let n = &c["numbers"][0];
    assert!(
        n.get("modem").is_none() && n.get("forwarder").is_none(),
        "{c}"
    );
}

#[test]
fn settings_shows_the_inbox_and_each_forwarder_with_its_state() {
    let (_dir, mut app) = open();
    keys(&mut app, ",");
    let s = screen(&app);
    assert!(s.contains("127.0.0.1:8787"), "{s}");
    assert!(s.contains("pixel"), "{s}");
    assert!(s.contains("board"), "{s}");
    // The phone has not been looked at yet; the board has posted nothing.
    assert!(
        s.contains("not looked at yet") || s.contains("not checked"),
        "{s}"
    );
    let small = render(&app, 80, 24);
    assert!(small.contains("Settings"), "{small}");
}

#[test]
fn settings_rows_follow_the_forwarder_and_the_log_while_open() {
    let (dir, mut app) = open();
    keys(&mut app, ",");
    let before = screen(&app);
    assert!(before.contains("not looked at yet"), "{before}");
    // The worker looks at the phone meanwhile: its battery shows without reopening.
    let now: chrono::DateTime<chrono::Utc> = "2026-11-25T10:00:00Z".parse().unwrap();
    let seen = baohao::forwarder::seen::Seen {
        id: "pixel".into(),
        kind: "smsforwarder".into(),
        watched_since: now,
        looked_at: now,
        answered_at: Some(now),
        reachable: Some(true),
        problem: None,
        battery: Some(77),
        charging: Some(false),
    };
    baohao::forwarder::seen::save(&Paths::in_home(dir.path()), &[seen]).unwrap();
    app.dirty = false;
    baohao::tui::update::update(&mut app, baohao::tui::update::Msg::Minute);
    let after = screen(&app);
    assert!(app.dirty, "a changed row is drawn again");
    assert!(after.contains("battery 77%"), "{after}");
    assert!(!after.contains("not looked at yet"), "{after}");
    // Nothing changed: nothing to draw.
    app.dirty = false;
    baohao::tui::update::update(&mut app, baohao::tui::update::Msg::Minute);
    assert!(!app.dirty);
}

fn delivered(id: &str, channel: &str, at: &str, error: Option<&str>) -> String {
    let error = error
        .map(|e| format!(r#","error":"{e}""#))
        .unwrap_or_default();
    format!(
        r#"{{"v":1,"id":"{id}","at":"{at}","number":"cmcc","type":"delivered","event":"low_balance","key":"low:1","channel":"{channel}"{error}}}"#
    ) + "\n"
}

#[test]
fn a_channel_row_says_delivered_or_will_retry_and_follows_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, bad) = ("ntfy://alerts-a", "ntfy://alerts-b");
    let config = CONFIG.replacen(
        r#""inbox""#,
        &format!(r#""notify":{{"channels":["{ok}","{bad}"]}},"inbox""#),
        1,
    );
    std::fs::write(dir.path().join("config.json"), config).unwrap();
    let (a, b) = (baohao::channels::id_of(ok), baohao::channels::id_of(bad));
    let log = [
        delivered("d1", &a, "2026-11-25T09:00:00+08:00", Some("HTTP 502")),
        delivered("d2", &a, "2026-11-25T09:01:00+08:00", None),
        delivered("d3", &b, "2026-11-25T09:02:00+08:00", Some("HTTP 502")),
    ]
    .concat();
    std::fs::write(dir.path().join("log.jsonl"), &log).unwrap();
    let mut app = App::open(
        Paths::in_home(dir.path()),
        Clock::Fixed("2026-11-25T10:00:00Z".parse().unwrap()),
        Theme { color: false },
    )
    .unwrap();
    keys(&mut app, ",");
    let s = screen(&app);
    let row = |s: &str, url: &str| {
        s.lines()
            .find(|l| l.contains(url))
            .unwrap_or_else(|| panic!("no row for {url}: {s}"))
            .to_string()
    };
    // The newest try is what the row says: a failure retried and then delivered reads
    // delivered; one that failed last will be retried.
    assert!(row(&s, "alerts-a").contains("delivered"), "{s}");
    assert!(row(&s, "alerts-b").contains("failed, will retry"), "{s}");
    assert!(row(&s, "alerts-b").contains("HTTP 502"), "{s}");
    // The retry lands while Settings is open.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(dir.path().join("log.jsonl"))
        .unwrap();
    std::io::Write::write_all(
        &mut f,
        delivered("d4", &b, "2026-11-25T09:05:00+08:00", None).as_bytes(),
    )
    .unwrap();
    app.tail().unwrap();
    let s = screen(&app);
    assert!(row(&s, "alerts-b").contains("delivered"), "{s}");
    assert!(!s.contains("will retry"), "{s}");
}
