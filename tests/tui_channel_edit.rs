//! Settings' channel rows: Enter on one opens it in the channel form, filled in
//! from its URL; saving replaces it where it stood. The form's hints name Ctrl-T.

use baohao::clock::Clock;
use baohao::store::Paths;
use baohao::tui::app::{App, Overlay};
use baohao::tui::form::FieldId;
use baohao::tui::theme::Theme;
use baohao::tui::update::{press as key, type_text as keys};
use baohao::tui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;

const CONFIG: &str = r#"{"version":1,"timezone":"Asia/Shanghai",
  "notify":{"channels":["ntfy://alerts","barks://api.day.app/${BARK_KEY}","feishu://tok"]},
  "numbers":[
  {"id":"cmcc","label":"CMCC","msisdn":"+8613800000001","currency":"CNY",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"}}]}"#;

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

fn focus(app: &mut App, id: FieldId) {
    for _ in 0..40 {
        if let Overlay::Form(of) = &app.overlay
            && of.form.focused().map(|f| f.id) == Some(id)
        {
            return;
        }
        key(app, KeyCode::Down);
    }
    panic!("no {id:?}: {}", render(app, 100, 40));
}

fn channels(dir: &tempfile::TempDir) -> Vec<String> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("config.json")).unwrap())
            .unwrap();
    v["notify"]["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn enter_on_a_channel_row_edits_it_in_place() {
    let (dir, mut app) = open();
    keys(&mut app, ",");
    focus(&mut app, FieldId::Channel(1));
    key(&mut app, KeyCode::Enter);
    let s = render(&app, 100, 40);
    assert!(s.contains("Edit a push channel"), "{s}");
    assert!(s.contains("Bark"), "{s}");
    assert!(s.contains("api.day.app"), "{s}");
    // The reference is shown as written; the hint names Ctrl-T.
    assert!(s.contains("${BARK_KEY}"), "{s}");
    assert!(s.contains("Ctrl-T"), "{s}");
    focus(
        &mut app,
        FieldId::Chan(baohao::channels::compose::Part::Host),
    );
    keys(&mut app, "bark.lan:8080");
    key(&mut app, KeyCode::Enter);
    // Back in Settings, the channel replaced where it stood.
    assert!(
        matches!(app.overlay, Overlay::Form(_)),
        "{}",
        render(&app, 100, 40)
    );
    assert_eq!(
        channels(&dir),
        [
            "ntfy://alerts",
            "barks://bark.lan:8080/${BARK_KEY}",
            "feishu://tok"
        ]
    );
    // Unchanged and saved again: still one of it.
    focus(&mut app, FieldId::Channel(1));
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    assert_eq!(channels(&dir).len(), 3, "{}", render(&app, 100, 40));
}

#[test]
fn the_add_form_names_ctrl_t_in_its_hints() {
    let (_dir, mut app) = open();
    keys(&mut app, ",");
    focus(&mut app, FieldId::AddChannel);
    keys(&mut app, "a");
    let s = render(&app, 80, 24);
    assert!(s.contains("Add a push channel"), "{s}");
    assert!(s.contains("Ctrl-T"), "{s}");
}
