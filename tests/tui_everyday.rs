//! The TUI for everyday use: what a person must see (a broken config, the time zone),
//! reminders that can be dismissed, and layouts where labels give way first.

use baohao::clock::Clock;
use baohao::store::Paths;
use baohao::tui::app::{App, Overlay};
use baohao::tui::effect::run_all;
use baohao::tui::theme::Theme;
use baohao::tui::update::{Msg, press as key, type_text as keys, update};
use baohao::tui::view::view;
use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;

fn now() -> DateTime<Utc> {
    "2026-11-25T10:00:00Z".parse().unwrap()
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view(app, f)).unwrap();
    t.backend().to_string()
}

fn screen(app: &App) -> String {
    render(app, 100, 30)
}

fn demo() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::in_home(dir.path());
    baohao::home::write_demo(&paths, now()).unwrap();
    let app = App::open(paths, Clock::Fixed(now()), Theme { color: false }).unwrap();
    (dir, app)
}

fn touched(app: &mut App) {
    let fx = update(app, Msg::ConfigTouched);
    run_all(app, fx);
}

#[test]
fn a_broken_config_is_a_banner_while_it_lasts_and_actions_are_still_confirmed() {
    let (dir, mut app) = demo();
    let config = dir.path().join("config.json");
    let good = std::fs::read_to_string(&config).unwrap();
    std::fs::write(&config, good.replacen("\"numbers\"", "\"numbers\" ,,", 1)).unwrap();
    touched(&mut app);
    let s = screen(&app);
    assert!(s.contains("Recharges paused"), "{s}");
    assert!(s.contains("config.json"), "where: {s}");
    // A top-up recorded meanwhile is confirmed, with the banner still there.
    keys(&mut app, "t");
    for _ in 0..8 {
        key(&mut app, KeyCode::Backspace);
    }
    keys(&mut app, "10");
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains("Recorded"), "{s}");
    assert!(s.contains("Recharges paused"), "{s}");
    // The small screen keeps one line of it, and the tab below.
    let small = render(&app, 40, 10);
    assert!(small.contains("Recharges paused"), "{small}");
    assert!(small.contains("1 Numbers"), "{small}");
    // Fixed: the banner goes, and the person is told.
    std::fs::write(&config, &good).unwrap();
    touched(&mut app);
    let s = screen(&app);
    assert!(!s.contains("Recharges paused"), "{s}");
    assert!(s.contains("reads again"), "{s}");
    assert!(matches!(app.overlay, Overlay::None));
}

const REMIND_CONFIG: &str = r#"{"version":1,"timezone":"Asia/Shanghai","numbers":[
  {"id":"cmcc","label":"移动保号卡","msisdn":"+8613800138000","carrier":"China Mobile","currency":"CNY",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"},
   "rules":[{"id":"monthly","mode":"remind","amount":"15.00",
             "trigger":{"kind":"monthly","day":1,"at":"09:00"}}]}]}"#;

/// Two open reminders: October's for ¥10.00 (the amount then), November's for ¥15.00.
const REMINDERS: &str = concat!(
    r#"{"v":1,"id":"01remind000oct1","at":"2026-10-01T09:00:00+08:00","number":"cmcc","type":"intent","rule":"monthly","key":"monthly:2026-10","attempt":1,"amount_minor":1000,"currency":"CNY","mode":"remind"}"#,
    "\n",
    r#"{"v":1,"id":"01remind000nov1","at":"2026-11-01T09:00:00+08:00","number":"cmcc","type":"intent","rule":"monthly","key":"monthly:2026-11","attempt":1,"amount_minor":1500,"currency":"CNY","mode":"remind"}"#,
    "\n"
);

fn reminders() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), REMIND_CONFIG).unwrap();
    std::fs::write(dir.path().join("log.jsonl"), REMINDERS).unwrap();
    let app = App::open(
        Paths::in_home(dir.path()),
        Clock::Fixed(now()),
        Theme { color: false },
    )
    .unwrap();
    (dir, app)
}

#[test]
fn t_offers_the_newest_reminders_amount() {
    let (_dir, mut app) = reminders();
    keys(&mut app, "t");
    let s = screen(&app);
    assert!(s.contains("15.00"), "{s}");
    assert!(!s.contains("10.00"), "{s}");
}

#[test]
fn u_dismisses_an_open_reminder_after_asking() {
    let (dir, mut app) = reminders();
    keys(&mut app, "3");
    // Newest first: November's reminder.
    keys(&mut app, "u");
    let s = screen(&app);
    assert!(s.contains("Dismiss the reminder"), "{s}");
    keys(&mut app, "n");
    assert!(
        !std::fs::read_to_string(dir.path().join("log.jsonl"))
            .unwrap()
            .contains("dismissed")
    );
    keys(&mut app, "uy");
    let log = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    let last = log.lines().last().unwrap();
    assert!(last.contains("\"type\":\"dismissed\""), "{last}");
    assert!(last.contains("01remind000nov1"), "{last}");
    assert!(
        screen(&app).contains("Dismissed the reminder"),
        "{}",
        screen(&app)
    );
    // Dismissed, it is no longer open: u refuses it.
    keys(&mut app, "u");
    assert!(
        screen(&app).contains("Only an in-doubt"),
        "{}",
        screen(&app)
    );
}

#[test]
fn u_offers_failed_do_not_retry_and_says_plain_failed_retries() {
    let (dir, mut app) = demo();
    keys(&mut app, "3/in doubt");
    key(&mut app, KeyCode::Enter);
    keys(&mut app, "u");
    let s = screen(&app);
    assert!(s.contains("do not retry"), "{s}");
    assert!(s.contains("tries again"), "{s}");
    keys(&mut app, "d");
    let log = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    let last = log.lines().last().unwrap();
    assert!(last.contains("\"type\":\"resolved\""), "{last}");
    assert!(last.contains("\"retry\":false"), "{last}");
    assert!(
        screen(&app).contains("will not be tried again"),
        "{}",
        screen(&app)
    );
}

#[test]
fn the_time_zone_is_shown_and_changed_in_the_settings_form() {
    let (dir, mut app) = demo();
    assert!(screen(&app).contains("Europe/London"), "{}", screen(&app));
    keys(&mut app, ",");
    let s = screen(&app);
    assert!(s.contains("Settings"), "{s}");
    assert!(s.contains("notifier"), "{s}");
    // Clear the zone and type a wrong one: refused beside the field, nothing saved.
    for _ in 0..20 {
        key(&mut app, KeyCode::Backspace);
    }
    keys(&mut app, "Mars/Olympus");
    key(&mut app, KeyCode::Enter);
    assert!(
        screen(&app).contains("not an IANA time zone"),
        "{}",
        screen(&app)
    );
    for _ in 0..20 {
        key(&mut app, KeyCode::Backspace);
    }
    keys(&mut app, "Asia/Shanghai");
    key(&mut app, KeyCode::Down);
    for _ in 0..5 {
        key(&mut app, KeyCode::Backspace);
    }
    keys(&mut app, "15");
    key(&mut app, KeyCode::Enter);
    let config = std::fs::read_to_string(dir.path().join("config.json")).unwrap();
    assert!(
        config.contains("\"timezone\": \"Asia/Shanghai\""),
        "{config}"
    );
    assert!(config.contains("\"refresh_minutes\": 15"), "{config}");
    assert_eq!(app.session.config.timezone, chrono_tz::Asia::Shanghai);
    assert!(screen(&app).contains("Asia/Shanghai"), "{}", screen(&app));
    // Everything else of the file is as it was.
    assert!(config.contains("移动保号卡"));
}

#[test]
fn a_new_number_asks_when_it_was_last_used_and_warns_of_what_acts_at_once() {
    let (dir, mut app) = demo();
    keys(&mut app, "a");
    // The preset list: none, China Mobile, Unicom, Telecom, giffgaff…
    for _ in 0..4 {
        key(&mut app, KeyCode::Right);
    }
    let s = screen(&app);
    assert!(s.contains("last used on"), "{s}");
    // Empty until the person says: a guess of today promised a whole
    // keep-alive period.
    assert!(
        s.contains("the day of the last call, text or top-up"),
        "{s}"
    );
    assert!(!s.contains("⚠"), "nothing known yet, nothing is due: {s}");
    key(&mut app, KeyCode::Down);
    for _ in 0..8 {
        key(&mut app, KeyCode::Backspace);
    }
    keys(&mut app, "gg2");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    keys(&mut app, "+447700900555");
    // Up past the first field wraps to the last: the date.
    for _ in 0..4 {
        key(&mut app, KeyCode::Up);
    }
    for _ in 0..10 {
        key(&mut app, KeyCode::Backspace);
    }
    keys(&mut app, "2026-01-01");
    let s = screen(&app);
    assert!(s.contains("keepalive reminds as soon as"), "{s}");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::None), "{}", screen(&app));
    let config = std::fs::read_to_string(dir.path().join("config.json")).unwrap();
    assert!(config.contains("\"since\": \"2026-01-01\""), "{config}");
}

#[test]
fn a_command_provider_gets_its_timeout_from_the_form() {
    let (dir, mut app) = demo();
    keys(&mut app, "a");
    key(&mut app, KeyCode::Down);
    keys(&mut app, "cmd");
    key(&mut app, KeyCode::Down);
    keys(&mut app, "Scripted");
    key(&mut app, KeyCode::Down);
    keys(&mut app, "+447700900556");
    key(&mut app, KeyCode::Down);
    keys(&mut app, "EE");
    key(&mut app, KeyCode::Down);
    keys(&mut app, "GBP");
    // fee, validity, keep-alive, budget, then the provider: command.
    for _ in 0..5 {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Right);
    assert!(screen(&app).contains("timeout"), "{}", screen(&app));
    key(&mut app, KeyCode::Down);
    keys(&mut app, "/bin/true");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    for _ in 0..4 {
        key(&mut app, KeyCode::Backspace);
    }
    keys(&mut app, "90");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::None), "{}", screen(&app));
    let config = std::fs::read_to_string(dir.path().join("config.json")).unwrap();
    assert!(config.contains("\"timeout_secs\": 90"), "{config}");
}

#[test]
fn a_long_label_gives_way_before_next_recharge_and_status() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::in_home(dir.path());
    baohao::home::write_demo(&paths, now()).unwrap();
    let config = std::fs::read_to_string(&paths.config).unwrap().replace(
        "\"label\": \"移动保号卡\"",
        "\"label\": \"My grandmother's old China Mobile card kept for the bank\"",
    );
    std::fs::write(&paths.config, config).unwrap();
    let app = App::open(paths, Clock::Fixed(now()), Theme { color: false }).unwrap();
    let s = render(&app, 80, 24);
    assert!(s.contains("NEXT RECHARGE"), "{s}");
    assert!(s.contains("STATUS"), "{s}");
    assert!(s.contains("My grand"), "the label is cut, not dropped: {s}");
    let s = render(&app, 40, 10);
    assert!(s.contains("STATUS"), "{s}");
}

#[test]
fn the_settings_form_sets_the_notifiers_timeout_and_events() {
    let (dir, mut app) = demo();
    keys(&mut app, ",");
    let s = screen(&app);
    assert!(s.contains("refresh (minutes)"), "the unit is shown: {s}");
    assert!(s.contains("notifier timeout (s)"), "{s}");
    assert!(s.contains("notify on"), "{s}");
    // Down to the program: time zone, refresh, amber, red, program.
    for _ in 0..4 {
        key(&mut app, KeyCode::Down);
    }
    keys(&mut app, "/usr/local/bin/tell-me");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    for _ in 0..4 {
        key(&mut app, KeyCode::Backspace);
    }
    keys(&mut app, "45");
    key(&mut app, KeyCode::Down);
    for _ in 0..4 {
        key(&mut app, KeyCode::Backspace);
    }
    // A name that is no event is refused beside the field, naming the ones there are.
    keys(&mut app, "in_doubt, recharge_faild");
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(
        s.contains("\"recharge_faild\" is not a notifier event"),
        "{s}"
    );
    let config = std::fs::read_to_string(dir.path().join("config.json")).unwrap();
    assert!(!config.contains("tell-me"), "nothing saved: {config}");
    assert!(
        s.contains("duplicate_charge"),
        "the whole list of names is shown: {s}"
    );
    for _ in 0..5 {
        key(&mut app, KeyCode::Backspace);
    }
    keys(&mut app, "failed");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::None), "{}", screen(&app));
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("config.json")).unwrap())
            .unwrap();
    let notify = &config["notify"];
    assert_eq!(notify["program"], "/usr/local/bin/tell-me", "{config}");
    assert_eq!(notify["timeout_secs"], 45, "{config}");
    assert_eq!(
        notify["events"],
        serde_json::json!(["in_doubt", "recharge_failed"]),
        "{config}"
    );
    // Opened again, the form shows what the file has.
    keys(&mut app, ",");
    let s = screen(&app);
    assert!(s.contains("in_doubt, recharge_failed"), "{s}");
    assert!(s.contains("45"), "{s}");
}

#[test]
fn a_failed_attempt_is_found_by_the_filter_and_shown_in_the_details() {
    let (_dir, mut app) = demo();
    keys(&mut app, "3/failed");
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(!s.contains("0 of"), "the retried recharge is found: {s}");
    // Enter on the row: every attempt, with its status and error.
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains("#1") && s.contains("#2"), "{s}");
    assert!(s.contains("carrier gateway answered HTTP 502"), "{s}");
    assert!(s.contains("ref DEMO-0063"), "{s}");
    // Any key closes it, and is not acted on.
    keys(&mut app, "q");
    assert!(!app.quit);
    assert!(!screen(&app).contains("HTTP 502"), "{}", screen(&app));
}

#[test]
fn a_long_message_at_the_foot_is_wrapped_whole_not_cut() {
    let (_dir, mut app) = demo();
    // History's newest row is a balance reading: u says what it can resolve instead.
    keys(&mut app, "3u");
    for w in [80, 100] {
        let s = render(&app, w, 24);
        let flat: String = s
            .lines()
            .map(|l| l.split('"').nth(1).unwrap_or("").trim())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(
            flat.contains("pick one marked in doubt or reminder."),
            "{s}"
        );
    }
    // A short screen keeps one line for it, its cut marked.
    let s = render(&app, 60, 12);
    assert!(s.contains("…"), "{s}");
}
