//! The forms as a person fills them in: an external rule, switching modes, "last used on",
//! typing over a prefilled value, Ctrl-U, presets and placeholders, the top-up date.

use baohao::clock::Clock;
use baohao::store::Paths;
use baohao::tui::app::{App, Overlay};
use baohao::tui::theme::Theme;
use baohao::tui::update::{Msg, press as key, type_text as keys, update};
use baohao::tui::view::view;
use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn now() -> DateTime<Utc> {
    "2026-11-25T10:00:00Z".parse().unwrap()
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view(app, f)).unwrap();
    t.backend().to_string()
}

fn screen(app: &App) -> String {
    render(app, 100, 40)
}

fn demo() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::in_home(dir.path());
    baohao::home::write_demo(&paths, now()).unwrap();
    let app = App::open(paths, Clock::Fixed(now()), Theme { color: false }).unwrap();
    (dir, app)
}

fn config(dir: &tempfile::TempDir) -> String {
    std::fs::read_to_string(dir.path().join("config.json")).unwrap()
}

fn ctrl(app: &mut App, c: char) {
    let fx = update(
        app,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    );
    baohao::tui::effect::run_all(app, fx);
}

/// The focused field's label, as the form marks it.
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

fn field(app: &App, label: &str) -> String {
    match &app.overlay {
        Overlay::Form(of) => of
            .form
            .fields
            .iter()
            .find(|f| f.label == label)
            .map(|f| f.get().to_string())
            .unwrap_or_default(),
        _ => panic!("no form"),
    }
}

/// Focus the field labelled `label` by going down.
fn go_to(app: &mut App, label: &str) {
    for _ in 0..30 {
        if focused(app) == label {
            return;
        }
        key(app, KeyCode::Down);
    }
    panic!("no field {label}: {}", screen(app));
}

// --------------------------------------------------------------- an external rule made in the form

#[test]
fn an_external_rule_is_made_in_the_form_and_the_form_says_why_it_cannot_save() {
    let (dir, mut app) = demo();
    keys(&mut app, "2a");
    go_to(&mut app, "amount");
    keys(&mut app, "30");
    go_to(&mut app, "mode");
    // remind → auto → external.
    assert_eq!(field(&app, "mode"), "remind");
    key(&mut app, KeyCode::Right);
    assert_eq!(field(&app, "mode"), "auto");
    let s = screen(&app);
    assert!(!s.contains("run by"), "{s}");
    key(&mut app, KeyCode::Right);
    assert_eq!(field(&app, "mode"), "external");
    let s = screen(&app);
    assert!(s.contains("run by"), "{s}");
    assert!(s.contains("wait hours"), "{s}");
    assert!(s.contains("blank: 48 h"), "the window a blank means: {s}");
    // Enter with no `via`: the form stays, and says why.
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(matches!(app.overlay, Overlay::Form(_)), "{s}");
    assert!(s.contains("Cannot save"), "{s}");
    assert_eq!(focused(&app), "run by", "{s}");
    keys(&mut app, "支付宝自动充值");
    key(&mut app, KeyCode::Down);
    keys(&mut app, "72");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::None), "{}", screen(&app));
    let c = config(&dir);
    assert!(c.contains("\"mode\": \"external\""), "{c}");
    assert!(c.contains("\"via\": \"支付宝自动充值\""), "{c}");
    assert!(c.contains("\"confirm_hours\": 72"), "{c}");
}

#[test]
fn switching_a_rule_between_modes_keeps_the_form_savable() {
    let (dir, mut app) = demo();
    let path = dir.path().join("config.json");
    let c = config(&dir).replacen(
        "\"mode\": \"remind\"",
        "\"mode\": \"external\", \"via\": \"支付宝自动充值\", \"confirm_hours\": 30",
        1,
    );
    std::fs::write(&path, c).unwrap();
    let mut app2 = App::open(
        Paths::in_home(dir.path()),
        Clock::Fixed(now()),
        Theme { color: false },
    )
    .unwrap();
    std::mem::swap(&mut app, &mut app2);
    keys(&mut app, "2");
    key(&mut app, KeyCode::Enter);
    assert_eq!(field(&app, "run by"), "支付宝自动充值");
    assert_eq!(field(&app, "wait hours"), "30");
    go_to(&mut app, "mode");
    // external → remind: `via` and the window no longer apply and are dropped.
    key(&mut app, KeyCode::Right);
    assert_eq!(field(&app, "mode"), "remind");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::None), "{}", screen(&app));
    let c = config(&dir);
    assert!(!c.contains("\"via\""), "{c}");
    assert!(!c.contains("confirm_hours"), "{c}");
}

#[test]
fn validate_names_the_mode_not_the_kind() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"version":1,"timezone":"UTC","numbers":[{"id":"a","label":"A","msisdn":"+447700900123","currency":"GBP",
  "provider":{"kind":"manual"},"executor":{"kind":"remind"},
  "rules":[{"id":"m","mode":"auto","via":"someone","amount":"10","trigger":{"kind":"monthly","day":1,"at":"09:00"}}]}]}"#,
    )
    .unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_baohao"))
        .arg("--home")
        .arg(dir.path())
        .arg("validate")
        .env("LANG", "C.UTF-8")
        .env_remove("BAOHAO_HOME")
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!o.status.success(), "{text}");
    assert!(text.contains("does not apply to mode \"auto\""), "{text}");
    assert!(!text.contains("kind \"auto\""), "{text}");
}

// ---------------------------------------------------------- the last-used date: empty, with a hint

#[test]
fn last_used_on_is_empty_with_a_hint_and_the_edit_form_shows_and_changes_it() {
    let (dir, mut app) = demo();
    keys(&mut app, "a");
    let s = screen(&app);
    assert!(s.contains("last used on"), "{s}");
    assert!(!s.contains("2026-11-25"), "no guess of today: {s}");
    assert!(
        s.contains("the day of the last call, text or top-up"),
        "{s}"
    );
    key(&mut app, KeyCode::Esc);
    // The edit form of a number shows it too, and saves a change.
    keys(&mut app, "1g");
    key(&mut app, KeyCode::Enter);
    let s = screen(&app);
    assert!(s.contains("last used on"), "{s}");
    go_to(&mut app, "last used on");
    keys(&mut app, "2026-06-03");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::None), "{}", screen(&app));
    let c = config(&dir);
    assert!(c.contains("\"since\": \"2026-06-03\""), "{c}");
    // And it shows when the form opens again, typed over as a whole.
    keys(&mut app, "g");
    key(&mut app, KeyCode::Enter);
    assert_eq!(field(&app, "last used on"), "2026-06-03");
    go_to(&mut app, "last used on");
    keys(&mut app, "2026-07-01");
    assert_eq!(field(&app, "last used on"), "2026-07-01");
}

#[test]
fn typing_replaces_a_prefilled_value_and_ctrl_u_clears_a_field() {
    let (_dir, mut app) = demo();
    keys(&mut app, "2a");
    go_to(&mut app, "day of month");
    assert_eq!(field(&app, "day of month"), "1");
    keys(&mut app, "15");
    assert_eq!(field(&app, "day of month"), "15", "replaced, not 115");
    // Once edited, typing goes on where the cursor is.
    keys(&mut app, "0");
    assert_eq!(field(&app, "day of month"), "150");
    ctrl(&mut app, 'u');
    assert_eq!(field(&app, "day of month"), "");
    assert!(matches!(app.overlay, Overlay::Form(_)));
    // Backspace on a prefilled value edits it instead.
    key(&mut app, KeyCode::Down);
    assert_eq!(field(&app, "at"), "09:00");
    key(&mut app, KeyCode::Backspace);
    keys(&mut app, "5");
    assert_eq!(field(&app, "at"), "09:05");
    // The footer says so.
    let s = render(&app, 80, 30);
    assert!(s.contains("Ctrl-U clear the field"), "{s}");
}

// ------------------------------------------------------------------------ presets and placeholders

/// The placeholder the field labelled `label` shows while it is empty.
fn hint(app: &App, label: &str) -> String {
    match &app.overlay {
        Overlay::Form(of) => of
            .form
            .fields
            .iter()
            .find(|f| f.label == label)
            .and_then(|f| f.hint.clone())
            .unwrap_or_default(),
        _ => panic!("no form"),
    }
}

#[test]
fn none_after_a_preset_clears_what_it_filled_and_placeholders_follow_the_preset() {
    let (_dir, mut app) = demo();
    keys(&mut app, "a");
    assert_eq!(focused(&app), "preset");
    // China Mobile: a Chinese example number, not a British one.
    key(&mut app, KeyCode::Right);
    assert_eq!(field(&app, "carrier"), "China Mobile");
    assert!(
        hint(&app, "number").starts_with("+86"),
        "{}",
        hint(&app, "number")
    );
    assert!(screen(&app).contains("+86"), "{}", screen(&app));
    assert!(!screen(&app).contains("+447700900123"), "{}", screen(&app));
    // giffgaff: pounds and a British example.
    for _ in 0..3 {
        key(&mut app, KeyCode::Right);
    }
    assert_eq!(field(&app, "carrier"), "giffgaff");
    assert_eq!(field(&app, "currency"), "GBP");
    assert_eq!(field(&app, "keep-alive days"), "180");
    assert!(
        hint(&app, "number").starts_with("+44"),
        "{}",
        hint(&app, "number")
    );
    // A label the person typed stays; what the preset put in goes with ‹ none ›.
    go_to(&mut app, "label");
    keys(&mut app, "my giffgaff");
    go_to(&mut app, "preset");
    for _ in 0..4 {
        key(&mut app, KeyCode::Left);
    }
    assert_eq!(field(&app, "preset"), "");
    for l in [
        "id",
        "carrier",
        "currency",
        "keep-alive days",
        "monthly fee",
        "validity days",
    ] {
        assert_eq!(field(&app, l), "", "{l}: {}", screen(&app));
    }
    assert_eq!(field(&app, "label"), "my giffgaff");
    let s = screen(&app);
    assert!(!s.contains("180 days"), "the preset's notes go too: {s}");
    assert!(
        !hint(&app, "number").contains("+44"),
        "{}",
        hint(&app, "number")
    );
    // A currency typed by hand sets the example too.
    go_to(&mut app, "currency");
    keys(&mut app, "HKD");
    assert!(
        hint(&app, "number").starts_with("+852"),
        "{}",
        hint(&app, "number")
    );
}

/// The screen's line that shows the field labelled `label`.
fn line_of(app: &App, label: &str) -> String {
    let s = screen(app);
    s.lines()
        .find(|l| l.contains(&format!(" {label}  ")))
        .unwrap_or_else(|| panic!("no line for {label}: {s}"))
        .to_string()
}

#[test]
fn a_placeholder_goes_once_its_field_has_text_and_comes_back_when_it_is_cleared() {
    let (_dir, mut app) = demo();
    keys(&mut app, "a");
    // China Mobile: the number's placeholder is a Chinese example.
    key(&mut app, KeyCode::Right);
    for label in ["number", "last used on"] {
        go_to(&mut app, label);
        let h = hint(&app, label);
        assert!(!h.is_empty(), "{label} has a placeholder");
        assert!(line_of(&app, label).contains(&h), "{}", screen(&app));
        // One character is text: the placeholder goes, from the field and the screen.
        keys(&mut app, "1");
        assert!(!line_of(&app, label).contains(&h), "{}", screen(&app));
        assert!(!screen(&app).contains(&h), "{}", screen(&app));
        keys(&mut app, "2026");
        assert!(!screen(&app).contains(&h), "{}", screen(&app));
        // Ctrl-U empties the field: the placeholder is back where it was.
        ctrl(&mut app, 'u');
        assert_eq!(field(&app, label), "");
        assert!(line_of(&app, label).contains(&h), "{}", screen(&app));
    }
}

#[test]
fn the_top_up_form_has_a_date_and_its_amount_placeholder_is_a_hint() {
    let (dir, mut app) = demo();
    // The demo's first number: the top-up form opens with t.
    keys(&mut app, "t");
    let s = screen(&app);
    assert!(s.contains("date"), "{s}");
    ctrl(&mut app, 'u');
    let h = hint(&app, "amount");
    assert!(h.contains("e.g."), "a hint, not a bare code: {h}");
    // Emptied, the field shows the hint, not an error about it.
    let s = screen(&app);
    assert!(s.contains(&h), "{s}");
    assert!(!s.contains("no amount given"), "{s}");
    keys(&mut app, "12.50");
    go_to(&mut app, "date");
    keys(&mut app, "2026-11-20 08:30");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::None), "{}", screen(&app));
    let log = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    let last = log.lines().last().unwrap();
    assert!(last.contains("\"type\":\"manual\""), "{last}");
    assert!(last.contains("\"at\":\"2026-11-20T08:30:00"), "{last}");
    // A date in the future is refused beside the field; nothing is written.
    keys(&mut app, "t");
    ctrl(&mut app, 'u');
    keys(&mut app, "5");
    go_to(&mut app, "date");
    keys(&mut app, "2027-01-01");
    key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::Form(_)), "{}", screen(&app));
    let after = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    assert_eq!(log, after);
}
