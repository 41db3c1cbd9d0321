//! The TUI without a terminal: key sequences on the `App`, and snapshots of each screen on
//! a `TestBackend` (80×24 and 40×12, English and Chinese), with the clock pinned.

use baohao::clock::Clock;
use baohao::i18n::{Lang, with_lang};
use baohao::store::Paths;
use baohao::tui::app::{App, Overlay, Tab};
use baohao::tui::theme::Theme;
use baohao::tui::update::{Msg, press as key, type_text as keys, update};
use baohao::tui::view::view;
use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;

const NOW: &str = "2026-11-25T10:00:00Z";

fn now() -> DateTime<Utc> {
    NOW.parse().unwrap()
}

struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn demo() -> Home {
        let dir = tempfile::tempdir().unwrap();
        baohao::home::write_demo(&Paths::in_home(dir.path()), now()).unwrap();
        Home { dir }
    }

    fn paths(&self) -> Paths {
        Paths::in_home(self.dir.path())
    }

    fn app(&self) -> App {
        App::open(self.paths(), Clock::Fixed(now()), Theme { color: false }).unwrap()
    }

    fn config_text(&self) -> String {
        std::fs::read_to_string(self.paths().config).unwrap()
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(self.paths().log).unwrap()
    }
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view(app, f)).unwrap();
    t.backend().to_string()
}

fn screen(app: &App) -> String {
    render(app, 100, 30)
}

#[test]
fn letters_typed_into_a_form_never_quit_delete_or_switch() {
    let h = Home::demo();
    let mut app = h.app();
    keys(&mut app, "a");
    assert!(matches!(app.overlay, Overlay::Form(_)));
    key(&mut app, KeyCode::Down); // from the preset to the id
    keys(&mut app, "qd1?x");
    assert!(!app.quit);
    assert_eq!(app.tab, Tab::Numbers);
    assert!(matches!(app.overlay, Overlay::Form(_)), "still in the form");
    assert!(screen(&app).contains("qd1?x"));
    // Esc with edits asks first; n keeps editing; y discards.
    key(&mut app, KeyCode::Esc);
    assert!(screen(&app).contains("Discard your edits?"));
    keys(&mut app, "n");
    assert!(matches!(app.overlay, Overlay::Form(_)));
    key(&mut app, KeyCode::Esc);
    keys(&mut app, "y");
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(app.session.config.numbers.len(), 4, "nothing was added");
}

#[test]
fn adding_a_number_from_a_preset_saves_the_config() {
    let h = Home::demo();
    let mut app = h.app();
    keys(&mut app, "a");
    // The preset list: none, China Mobile, Unicom, Telecom, giffgaff…
    for _ in 0..4 {
        key(&mut app, KeyCode::Right);
    }
    // Enter now refuses: the id clashes with the demo's giffgaff and there is no number.
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains("is used twice"), "{s}");
    assert!(s.contains("E.164"), "{s}");
    // The focus went to the first error: the id.
    for _ in 0..8 {
        key(&mut app, KeyCode::Backspace);
    }
    keys(&mut app, "gg2");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    keys(&mut app, "+447700900555");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::None), "{}", screen(&app));
    let text = h.config_text();
    assert!(text.contains("\"id\": \"gg2\""));
    assert!(text.contains("+447700900555"));
    assert!(
        text.contains("\"every_days\": 150"),
        "the preset's rule came along"
    );
    assert_eq!(app.session.config.numbers.len(), 5);
}

#[test]
fn space_toggles_a_rule_and_saves() {
    let h = Home::demo();
    let mut app = h.app();
    keys(&mut app, "2");
    assert!(h.config_text().contains("\"enabled\": true"));
    keys(&mut app, " ");
    let text = h.config_text();
    assert_eq!(text.matches("\"enabled\": false").count(), 1, "{text}");
    assert!(screen(&app).contains("Rule monthly is off."));
    keys(&mut app, " ");
    assert_eq!(h.config_text().matches("\"enabled\": false").count(), 0);
}

#[test]
fn a_change_made_elsewhere_is_never_overwritten() {
    let h = Home::demo();
    let mut app = h.app();
    let other = h
        .config_text()
        .replace("\"refresh_minutes\": 60", "\"refresh_minutes\": 15");
    std::fs::write(h.paths().config, &other).unwrap();
    // The toggle is applied on top of the file as it is now: the other change stands.
    keys(&mut app, "2 ");
    assert_eq!(app.session.config.refresh_minutes, 15, "it was reloaded");
    assert!(h.config_text().contains("\"refresh_minutes\": 15"));
    assert!(h.config_text().contains("\"enabled\": false"));
}

#[test]
fn resolving_an_in_doubt_recharge_from_history() {
    let h = Home::demo();
    let mut app = h.app();
    keys(&mut app, "3/in doubt");
    key(&mut app, KeyCode::Enter);
    assert!(screen(&app).contains("1 of"), "{}", screen(&app));
    keys(&mut app, "u");
    assert!(screen(&app).contains("go through?"));
    keys(&mut app, "s");
    assert!(
        h.log_text()
            .lines()
            .last()
            .unwrap()
            .contains("\"type\":\"resolved\"")
    );
    assert!(screen(&app).contains("Resolved"), "{}", screen(&app));
    keys(&mut app, "u");
    assert!(screen(&app).contains("Only an in-doubt recharge"));
}

#[test]
fn a_manual_top_up_settles_the_reminder() {
    let h = Home::demo();
    let mut app = h.app();
    assert!(
        app.derived.statuses[0]
            .attention
            .iter()
            .any(|a| a.as_str() == "due")
    );
    keys(&mut app, "t");
    assert!(screen(&app).contains("settles the number's open reminder"));
    key(&mut app, KeyCode::Enter);
    let last = h.log_text().lines().last().unwrap().to_string();
    assert!(
        last.contains("\"type\":\"manual\"")
            && last.contains("\"amount_minor\":1000")
            && last.contains("\"intent\""),
        "{last}"
    );
    assert!(
        !app.derived.statuses[0]
            .attention
            .iter()
            .any(|a| a.as_str() == "due")
    );
}

#[test]
fn deleting_asks_first() {
    let h = Home::demo();
    let mut app = h.app();
    keys(&mut app, "d");
    assert!(screen(&app).contains("Delete 移动保号卡 (cmcc)"));
    keys(&mut app, "n");
    assert_eq!(app.session.config.numbers.len(), 4);
    keys(&mut app, "dy");
    assert_eq!(app.session.config.numbers.len(), 3);
    assert!(!h.config_text().contains("\"cmcc\""));
}

#[test]
fn entries_appended_by_another_process_appear() {
    let h = Home::demo();
    let mut app = h.app();
    let before = app.session.history.rows().len();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_baohao"))
        .arg("--home")
        .arg(h.dir.path())
        .args(["activity", "giffgaff", "--note", "from another shell"])
        .output()
        .unwrap();
    assert!(o.status.success());
    let fx = update(&mut app, Msg::LogGrew);
    baohao::tui::effect::run_all(&mut app, fx);
    assert_eq!(app.session.history.rows().len(), before + 1);
    keys(&mut app, "3");
    assert!(
        screen(&app).contains("from another shell"),
        "{}",
        screen(&app)
    );
}

#[test]
fn ctrl_c_quits_even_from_a_form_and_log_problems_are_said_once() {
    let h = Home::demo();
    let mut log = h.log_text();
    log.insert_str(log.find('\n').unwrap() + 1, "not json\n");
    std::fs::write(h.paths().log, log).unwrap();
    let mut app = h.app();
    assert!(
        screen(&app).contains("log.jsonl:2: skipped a line"),
        "{}",
        screen(&app)
    );
    keys(&mut app, "a");
    keys(&mut app, "typing");
    update(
        &mut app,
        Msg::Key(ratatui::crossterm::event::KeyEvent::new(
            KeyCode::Char('c'),
            ratatui::crossterm::event::KeyModifiers::CONTROL,
        )),
    );
    assert!(app.quit);
}

#[test]
fn the_terminal_too_small_says_so() {
    let h = Home::demo();
    let app = h.app();
    let s = render(&app, 30, 8);
    assert!(s.contains("too small"), "{s}");
}

// ---- snapshots of every screen, pinned clock, no colour.

fn snap(name: &str, app: &App, w: u16, h: u16) {
    insta::assert_snapshot!(name, render(app, w, h));
}

#[test]
fn snapshots_english() {
    let h = Home::demo();
    let mut app = h.app();
    for (size, (w, hh)) in [("80x24", (80, 24)), ("40x12", (40, 12))] {
        for (tab, k) in [
            ("numbers", "1"),
            ("rules", "2"),
            ("history", "3"),
            ("forecast", "4"),
        ] {
            keys(&mut app, k);
            snap(&format!("{tab}_{size}"), &app, w, hh);
        }
    }
    keys(&mut app, "1?");
    snap("help_80x24", &app, 80, 24);
    snap("help_40x12", &app, 40, 12);
    key(&mut app, KeyCode::Esc);
    keys(&mut app, "2a");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    keys(&mut app, "10.005");
    snap("rule_form_error_80x24", &app, 80, 24);
    snap("rule_form_error_40x12", &app, 40, 12);
}

#[test]
fn snapshots_chinese() {
    with_lang(Lang::Zh, || {
        let h = Home::demo();
        let mut app = h.app();
        snap("zh_numbers_80x24", &app, 80, 24);
        keys(&mut app, "2");
        snap("zh_rules_80x24", &app, 80, 24);
        snap("zh_numbers_40x12", &app, 40, 12);
        keys(&mut app, "3");
        snap("zh_history_40x12", &app, 40, 12);
        keys(&mut app, "4");
        snap("zh_forecast_80x24", &app, 80, 24);
        keys(&mut app, "2a");
        snap("zh_rule_form_80x24", &app, 80, 24);
    });
}

#[test]
fn a_new_auto_rule_whose_date_has_passed_says_it_charges_on_save() {
    let h = Home::demo();
    let mut app = h.app();
    // On the US number (demo executor): a monthly rule on the 1st, added on the 25th.
    keys(&mut app, "2GA");
    keys(&mut app, "a");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Down);
    keys(&mut app, "5");
    key(&mut app, KeyCode::Down);
    key(&mut app, KeyCode::Right);
    let s = screen(&app);
    assert!(s.contains("  now"), "{s}");
    assert!(s.contains("saving charges now"), "{s}");
}

/// An app over a home that does not exist: `update` must decide without touching a file.
fn app_without_home() -> App {
    let paths = Paths::in_home(std::path::Path::new("/nonexistent/baohao-no-home"));
    let mut session = baohao::session::Session::unread(paths);
    let (config, events) = baohao::home::demo::events(now());
    session.config = config;
    session.history = baohao::engine::History::new(
        baohao::engine::State::new(session.config.timezone),
        baohao::engine::Keep::Rows,
    );
    for e in &events {
        session.history.apply(e, None);
    }
    session.history.settle_order();
    App::new(session, Clock::Fixed(now()), Theme { color: false })
}

fn plain(c: char) -> Msg {
    Msg::Key(ratatui::crossterm::event::KeyEvent::new(
        KeyCode::Char(c),
        ratatui::crossterm::event::KeyModifiers::NONE,
    ))
}

#[test]
fn update_decides_without_a_home_and_returns_effects() {
    use baohao::tui::effect::{ConfigChange, Effect};
    let mut app = app_without_home();
    assert!(update(&mut app, plain('2')).is_empty());
    let fx = update(&mut app, plain(' '));
    match fx.as_slice() {
        [
            Effect::SaveConfig {
                change: ConfigChange::SetEnabled { enabled, .. },
                form: None,
            },
        ] => assert!(!enabled, "the shown rule was on: Space turns it off"),
        other => panic!("expected one config change, got {other:?}"),
    }
    // Nothing was saved by `update` itself: the rule is still on in memory.
    assert!(app.session.config.numbers[0].rules[0].enabled);
    let _ = update(&mut app, plain('3'));
    match update(&mut app, plain('x')).as_slice() {
        [Effect::Export { csv, rows, .. }] => {
            assert!(*rows > 10);
            assert_eq!(csv.lines().count(), rows + 1, "a header and a line a row");
        }
        other => panic!("expected an export, got {other:?}"),
    }
    let _ = update(&mut app, plain('R'));
    assert!(!app.quit);
}

#[test]
fn a_form_saved_elsewhere_never_resurrects_what_another_program_changed() {
    // Two TUIs: one opens a rule form, the other turns that rule off with Space.
    let h = Home::demo();
    let mut first = h.app();
    let mut second = h.app();
    keys(&mut first, "2e");
    assert!(matches!(first.overlay, Overlay::Form(_)));
    keys(&mut second, "2 ");
    assert_eq!(h.config_text().matches("\"enabled\": false").count(), 1);
    // The first saves its form without touching the switch: the rule stays off.
    key(&mut first, KeyCode::Enter);
    assert!(matches!(first.overlay, Overlay::None), "{}", screen(&first));
    assert_eq!(
        h.config_text().matches("\"enabled\": false").count(),
        1,
        "{}",
        h.config_text()
    );
}

#[test]
fn only_the_fields_a_person_changed_are_merged_onto_the_current_rule() {
    use baohao::tui::effect::merge_rule;
    let config = baohao::home::demo::config();
    let original = config.numbers[0].rules[0].clone();
    let mut current = original.clone();
    current.enabled = !original.enabled;
    let mut edited = original.clone();
    edited.amount =
        baohao::model::Money::new(original.amount.minor + 100, original.amount.currency);
    let merged = merge_rule(&original, &edited, &current);
    assert_eq!(
        merged.enabled, current.enabled,
        "the other program's switch stands"
    );
    assert_eq!(merged.amount, edited.amount, "the person's amount is saved");
}

/// The History filter over a long history looks at a bounded number of rows per call (the
/// loop goes on a slice per turn, so a keypress never waits for the whole search), and
/// searching in slices finds exactly what one whole search finds, newest first.
#[test]
fn a_filter_over_many_rows_goes_on_in_slices_and_finds_the_same() {
    let mut app = app_without_home();
    let (_, events) = baohao::home::demo::events(now());
    // The demo's events again and again, until the history is longer than one slice.
    while app.session.history.rows().len() <= baohao::tui::app::FILTER_FIRST_ROWS {
        for e in &events {
            app.session.history.apply(e, None);
        }
        app.session.history.settle_order();
    }
    app.tabs.history.filter = tui_input::Input::new("succeeded".to_string());
    app.refilter();
    assert!(
        app.filter_pending(),
        "a long history is not searched at once"
    );
    app.finish_filter();
    assert!(!app.filter_pending());
    let whole = app.tabs.history.filtered.clone().unwrap();
    assert!(whole.len() > 10);
    assert!(whole.windows(2).all(|w| w[0] > w[1]), "newest first");
    app.start_filter();
    let mut steps = 0;
    while app.filter_pending() {
        app.advance_filter(997);
        steps += 1;
    }
    assert!(steps > 4);
    assert_eq!(app.tabs.history.filtered.as_ref(), Some(&whole));
}

/// The TUI reads a long log in slices behind a "reading" frame: keys other than
/// quitting wait, and once the log is whole it shows exactly what an app that read it at
/// once shows.
#[test]
fn a_log_read_in_slices_shows_what_a_log_read_at_once_shows() {
    let home = Home::demo();
    let (config, _) = baohao::store::config::load(&home.paths())
        .map(|l| (l.config, ()))
        .unwrap();
    let number = &config.numbers[0];
    let mut extra = String::new();
    for i in 0..5_000 {
        extra.push_str(&format!(
            "{{\"v\":1,\"id\":\"slice{i:06}\",\"at\":\"2026-11-20T10:00:00Z\",\"number\":\"{}\",\"type\":\"activity\",\"note\":\"used {i}\"}}\n",
            number.id
        ));
    }
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(home.paths().log)
        .unwrap();
    std::io::Write::write_all(&mut log, extra.as_bytes()).unwrap();
    let whole = home.app();
    let mut app =
        App::open_reading(home.paths(), Clock::Fixed(now()), Theme { color: false }).unwrap();
    assert!(screen(&app).contains("Reading the recharge log: 0.0 of"));
    assert!(screen(&app).contains("starts once the log is read"));
    key(&mut app, KeyCode::Char('2'));
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(app.tab, Tab::Numbers, "keys wait while the log is read");
    assert!(matches!(app.overlay, Overlay::None));
    key(&mut app, KeyCode::Char('q'));
    assert!(app.quit, "q quits while the log is read");
    app.quit = false;
    let mut slices = 0;
    while !app.advance_loading(std::time::Duration::ZERO).unwrap() {
        slices += 1;
        assert!(screen(&app).contains("Reading the recharge log"));
    }
    assert!(slices >= 2, "{slices}");
    assert!(app.loading.is_none());
    // The state is whole; the rows, read behind it, once taken in.
    app.wait_history().unwrap();
    assert_eq!(app.state().events, whole.state().events);
    assert_eq!(
        app.session.history.rows().len(),
        whole.session.history.rows().len()
    );
    for tab in [Tab::Numbers, Tab::Rules, Tab::History, Tab::Forecast] {
        let mut a = home.app();
        a.tab = tab;
        app.tab = tab;
        assert_eq!(screen(&app), screen(&a), "{tab:?}");
    }
}

/// A home of `n` numbers, two rules each, and no log.
fn many_rules(n: usize) -> Home {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let numbers: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"id":"n{i:03}","label":"number {i:03}","msisdn":"+447700900{i:03}","carrier":"C","currency":"GBP",
                  "plan":{{"monthly_fee":"5.00","validity_days":180,"keep_alive_days":180}},
                  "provider":{{"kind":"manual"}},"executor":{{"kind":"remind"}},
                  "rules":[{{"id":"monthly","mode":"remind","amount":"10.00","trigger":{{"kind":"monthly","day":5,"at":"09:00"}}}},
                           {{"id":"low","mode":"remind","amount":"20.00","trigger":{{"kind":"low_balance","below":"5.00","cooldown_hours":24}}}}]}}"#
            )
        })
        .collect();
    let p = dir.path().join("config.json");
    std::fs::write(
        &p,
        format!(
            r#"{{"version":1,"timezone":"Europe/London","numbers":[{}]}}"#,
            numbers.join(",")
        ),
    )
    .unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    Home { dir }
}

/// The numbers whose titles a Rules screen shows, in order.
fn titles(screen: &str) -> Vec<usize> {
    screen
        .lines()
        .filter_map(|l| l.split("(n").nth(1)?.get(..3)?.parse().ok())
        .collect()
}

#[test]
fn the_rules_tab_over_many_rules_scrolls_as_one_table() {
    // Only the rows a frame can reach are drawn: the screen must still
    // be the window of one table, scrolling a row at a time, and come back as it began.
    let h = many_rules(60);
    let mut app = h.app();
    keys(&mut app, "2");
    let first = render(&app, 80, 24);
    assert_eq!(titles(&first)[0], 0, "{first}");
    let rows = app.derived.rule_rows.len();
    assert_eq!(rows, 180);
    // A move goes from rule to rule (over a number's title): 120 rules, 119 moves.
    let (mut top, mut sel) = (0, app.tabs.rules.sel);
    for _ in 1..120 {
        key(&mut app, KeyCode::Char('j'));
        let i = app.tabs.rules.sel;
        assert!(i == sel + 1 || i == sel + 2, "{sel} → {i}");
        let s = render(&app, 80, 24);
        let t = titles(&s);
        assert!(!t.is_empty(), "{s}");
        // The numbers shown follow each other, and the window never jumps back or ahead.
        assert!(t.windows(2).all(|w| w[1] == w[0] + 1), "{s}");
        let offset = app.tabs.rules.offset.get();
        assert!(offset >= top && offset <= top + 2, "{top} → {offset}");
        assert!(
            i >= offset && i < offset + 23,
            "the selection {i} is on screen"
        );
        (top, sel) = (offset, i);
    }
    assert_eq!(sel, rows - 1);
    assert!(render(&app, 80, 24).contains("number 059 (n059)"));
    for _ in 1..120 {
        key(&mut app, KeyCode::Char('k'));
    }
    // Back at the first rule, scrolled to it (its number's title above it is off screen,
    // as a table scrolled up to its selection is): a fresh app shown from there agrees.
    assert_eq!(app.tabs.rules.sel, 1);
    let back = render(&app, 80, 24);
    assert_eq!(app.tabs.rules.offset.get(), 1);
    let mut fresh = h.app();
    keys(&mut fresh, "2");
    fresh.tabs.rules.offset.set(1);
    assert_eq!(back, render(&fresh, 80, 24));
    assert_ne!(render(&fresh, 80, 24), first);
}

#[test]
fn a_rule_turned_off_says_off_even_where_no_date_changes() {
    // The US number's low-balance rule has no date ("when low"): turning it off changes
    // no plan or forecast, only what the rule's row says.
    let h = Home::demo();
    let mut app = h.app();
    keys(&mut app, "2");
    let row = |s: &str| {
        s.lines()
            .find(|l| l.contains("when the balance is below $5.00"))
            .map(str::to_string)
            .unwrap_or_default()
    };
    assert!(row(&screen(&app)).contains("when low"), "{}", screen(&app));
    app.tabs.rules.sel = app.derived.rule_rows.len().checked_sub(1).unwrap();
    keys(&mut app, " ");
    assert!(h.config_text().contains("\"enabled\": false"));
    let s = screen(&app);
    assert!(
        row(&s).contains("off") && !row(&s).contains("when low"),
        "{s}"
    );
}
