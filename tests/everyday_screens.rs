//! The screens at the sizes people use over SSH: the zone in the header, the deadline kept
//! at narrow widths, tabs that shorten, whole messages, History in time order.

use baohao::clock::Clock;
use baohao::i18n::{Lang, with_lang};
use baohao::store::Paths;
use baohao::tui::app::{App, WorkerMode};
use baohao::tui::theme::Theme;
use baohao::tui::update::type_text as keys;
use baohao::tui::view::view;
use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn now() -> DateTime<Utc> {
    "2026-11-25T10:00:00Z".parse().unwrap()
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view(app, f)).unwrap();
    t.backend().to_string()
}

/// The first line of the screen (the header), without the quotes of the test backend.
fn header(app: &App, w: u16, h: u16) -> String {
    render(app, w, h).lines().next().unwrap_or("").to_string()
}

fn demo() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::in_home(dir.path());
    baohao::home::write_demo(&paths, now()).unwrap();
    let app = App::open(paths, Clock::Fixed(now()), Theme { color: false }).unwrap();
    (dir, app)
}

fn with_zone(zone: &str) -> (tempfile::TempDir, App) {
    let (dir, _) = demo();
    let path = dir.path().join("config.json");
    let c = std::fs::read_to_string(&path).unwrap();
    let v: serde_json::Value = serde_json::from_str(&c).unwrap();
    let old = v["timezone"].as_str().unwrap().to_string();
    std::fs::write(
        &path,
        c.replacen(&format!("\"{old}\""), &format!("\"{zone}\""), 1),
    )
    .unwrap();
    let app = App::open(
        Paths::in_home(dir.path()),
        Clock::Fixed(now()),
        Theme { color: false },
    )
    .unwrap();
    (dir, app)
}

// ---------------------------------------------------------------- issue 19 item 16

#[test]
fn the_zone_comes_before_the_refresh_time_and_shortens_at_80_columns() {
    let (_dir, mut app) = with_zone("Europe/London");
    app.worker = WorkerMode::Session;
    app.last_refresh = Some(now());
    let h = header(&app, 100, 30);
    assert!(h.contains("Europe/London"), "{h}");
    let h = header(&app, 80, 24);
    assert!(h.contains("London"), "{h}");
    let (_dir, mut app) = with_zone("Asia/Shanghai");
    app.worker = WorkerMode::Session;
    app.last_refresh = Some(now());
    let h = header(&app, 80, 24);
    assert!(h.contains("Shanghai") || h.contains("UTC+8"), "{h}");
    let h = header(&app, 60, 24);
    assert!(h.contains("Shanghai") || h.contains("UTC+8"), "{h}");
}

// ---------------------------------------------------------------- issue 19 item 17

#[test]
fn a_deadline_column_stays_at_narrow_widths_and_tabs_keep_a_character() {
    let (_dir, app) = demo();
    let s = render(&app, 60, 24);
    assert!(s.contains("DEADLINE"), "{s}");
    assert!(s.contains("use by 5d"), "giffgaff's use-by: {s}");
    assert!(s.contains("valid 67d"), "hk's validity: {s}");
    assert!(s.contains("2 R"), "{s}");
    assert!(s.contains("3 H"), "{s}");
    let s = render(&app, 40, 10);
    assert!(s.contains("use by 5d"), "{s}");
    // Wide: the two deadlines each in their column.
    let s = render(&app, 140, 30);
    assert!(s.contains("VALID") && s.contains("USE BY"), "{s}");
    let zh = with_lang(Lang::Zh, || render(&app, 60, 24));
    assert!(zh.contains("期限"), "{zh}");
    assert!(zh.contains("2 规"), "{zh}");
    let mut app = app;
    keys(&mut app, "3");
    let s = render(&app, 60, 24);
    assert!(s.contains("1 N"), "{s}");
}
