//! The TUI started from a verified checkpoint: the state (Numbers, Rules, Forecast, the
//! header) is shown from the checkpoint and the tail at once, the History rows are read
//! behind it, anything that needs all rows says it waits, and an event appended meanwhile
//! is shown once, before and after the rows come in.

mod common;

use baohao::clock::Clock;
use baohao::i18n::{Lang, with_lang};
use baohao::session::Session;
use baohao::store::Paths;
use baohao::tui::app::{App, Tab};
use baohao::tui::theme::Theme;
use baohao::tui::update::press as key;
use baohao::tui::view::view;
use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;

const NOW: &str = "2026-11-25T10:00:00Z";

fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
    t.draw(|f| view(app, f)).unwrap();
    t.backend().to_string()
}

/// An app that read the whole log with its rows at once, without any checkpoint.
fn whole(paths: &Paths) -> App {
    let s = Session::open(paths.clone()).unwrap();
    App::new(s, Clock::Fixed(now()), Theme { color: false })
}

/// The screen's lines down to (not including) the Numbers pane's last entries, which
/// need the rows.
fn above_last_entries(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .take_while(|l| !l.contains("last entries"))
        .collect()
}

#[test]
fn numbers_come_from_the_checkpoint_at_once_and_history_follows_whole() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::in_home(dir.path());
    baohao::home::write_demo(&paths, now()).unwrap();
    let lines = std::fs::read_to_string(&paths.log).unwrap().lines().count();
    assert!(lines > 20, "{lines}");
    // A checkpoint a few lines short of the end: the tail is read after it.
    common::checkpoint_after(dir.path(), lines - 5);
    let reference = whole(&paths);

    let mut app =
        App::open_reading(paths.clone(), Clock::Fixed(now()), Theme { color: false }).unwrap();
    assert!(app.advance_loading(std::time::Duration::MAX).unwrap());
    // The state is whole (from the checkpoint and the tail); the rows are not read yet.
    assert_eq!(app.session.cursor, reference.session.cursor);
    assert_eq!(app.state().events, reference.state().events);
    assert_eq!(app.session.history.rows().len(), 0);
    assert_eq!(app.history_percent(), Some(0));
    assert_eq!(app.derived, reference.derived);
    for tab in [Tab::Rules, Tab::Forecast] {
        let mut r = whole(&paths);
        r.tab = tab;
        app.tab = tab;
        assert_eq!(screen(&app), screen(&r), "{tab:?}");
    }
    app.tab = Tab::Numbers;
    let numbers = screen(&app);
    assert_eq!(
        above_last_entries(&numbers),
        above_last_entries(&screen(&reference)),
        "{numbers}"
    );
    assert!(numbers.contains("reading history… 0%"), "{numbers}");
    assert!(
        with_lang(Lang::Zh, || screen(&app)).contains("正在读取历史… 0%"),
        "{}",
        with_lang(Lang::Zh, || screen(&app))
    );
    key(&mut app, KeyCode::Char('3'));
    assert_eq!(app.tab, Tab::History);
    let history = screen(&app);
    assert!(history.contains("reading history… 0%"), "{history}");
    // What needs every row says it waits, and does nothing.
    for k in ['/', 'x', 'f'] {
        app.message = None;
        key(&mut app, KeyCode::Char(k));
        assert!(!app.tabs.history.editing, "{k}");
        assert!(app.effects.is_empty(), "{k}");
        let said = app
            .message
            .as_ref()
            .map(|m| m.0.clone())
            .unwrap_or_default();
        assert!(said.contains("still being read"), "{k}: {said}");
    }

    // An event appended while the rows are read: in the numbers now, in History once after.
    let number = app.session.config.numbers[0].id.clone();
    let line = format!(
        "{{\"v\":1,\"id\":\"while-reading\",\"at\":\"2026-11-25T09:59:00Z\",\"number\":\"{number}\",\"type\":\"activity\",\"note\":\"added mid-read\"}}\n"
    );
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(&paths.log)
        .unwrap();
    std::io::Write::write_all(&mut log, line.as_bytes()).unwrap();
    drop(log);
    assert_eq!(app.tail().unwrap(), 1);
    let after = whole(&paths);
    assert_eq!(app.state().events, after.state().events);
    assert_eq!(app.derived, after.derived);

    app.wait_history().unwrap();
    assert!(app.history_loading.is_none());
    assert_eq!(app.history_percent(), None);
    assert_eq!(app.session.cursor, after.session.cursor);
    assert_eq!(app.state().events, after.state().events);
    assert_eq!(
        app.session.history.rows().len(),
        after.session.history.rows().len()
    );
    // (What was said before the rows came in is not part of the comparison.)
    app.message = None;
    for tab in Tab::ALL {
        let mut r = whole(&paths);
        r.tab = tab;
        app.tab = tab;
        assert_eq!(screen(&app), screen(&r), "{tab:?}");
    }
    app.tab = Tab::History;
    let history = screen(&app);
    assert_eq!(history.matches("added mid-read").count(), 1, "{history}");
    // Now the filter works.
    app.message = None;
    key(&mut app, KeyCode::Char('/'));
    assert!(app.tabs.history.editing);
}
