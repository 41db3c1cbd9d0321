//! The screens at the sizes people use over SSH: the zone in the header, the deadline kept
//! at narrow widths, tabs that shorten, whole messages, History in time order.

mod common;

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

// -------------------------------------------------------- the header: zone before the refresh time

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

// ---------------------------------------------------------------- narrow screens keep the deadline

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

// --------------------------------------------------------- History ordered by the entry's own time

/// The dates (MM-DD) of the History rows on a 60-column screen, top to bottom.
fn history_dates(app: &App) -> Vec<String> {
    let s = render(app, 60, 40);
    s.lines()
        .skip_while(|l| !l.contains("TIME"))
        .skip(1)
        .filter_map(|l| {
            let l = l.trim_start_matches('"').trim_start();
            let d = l.get(..5)?;
            (d.len() == 5
                && d.as_bytes()[2] == b'-'
                && d.bytes().filter(u8::is_ascii_digit).count() == 4)
                .then(|| d.to_string())
        })
        .collect()
}

#[test]
fn history_is_newest_first_by_the_entrys_own_time_even_for_rows_written_late() {
    let (dir, mut app) = demo();
    keys(&mut app, "3");
    let before = history_dates(&app);
    assert!(before.len() >= 10, "{before:?} {}", render(&app, 60, 40));
    // A top-up of early November recorded today, after today's entries: the log has it
    // last, and the screen shows it where its date puts it.
    let o = common::run(
        dir.path(),
        "2026-11-25T10:00:00Z",
        &["record", "cmcc", "12.34", "--at", "2026-11-02 08:00"],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    app.tail().unwrap();
    let s = render(&app, 60, 40);
    let after = history_dates(&app);
    let mut sorted = after.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(after, sorted, "newest first by date: {s}");
    assert_ne!(after.first().map(String::as_str), Some("11-02"), "{s}");
    // A home opened afresh lists it in the same place, and so does the filter.
    let mut fresh = App::open(
        Paths::in_home(dir.path()),
        Clock::Fixed(now()),
        Theme { color: false },
    )
    .unwrap();
    keys(&mut fresh, "3");
    assert_eq!(history_dates(&fresh), after);
    keys(&mut fresh, "/cmcc");
    let filtered = history_dates(&fresh);
    let mut sorted = filtered.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert!(filtered.contains(&"11-02".to_string()), "{filtered:?}");
    assert_eq!(filtered, sorted);
}
