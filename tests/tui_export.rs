//! History's `x`: the CSV goes to the home's `exports/` folder (0700, the file 0600), with
//! a byte-order mark for Excel, and the message says where; nothing lands in the directory
//! baohao was started from.

use std::os::unix::fs::PermissionsExt;

use baohao::clock::Clock;
use baohao::store::Paths;
use baohao::tui::app::App;
use baohao::tui::theme::Theme;
use baohao::tui::update::type_text as keys;
use baohao::tui::view::view;
use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn now() -> DateTime<Utc> {
    "2026-11-25T10:00:00Z".parse().unwrap()
}

fn screen(app: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(200, 30)).unwrap();
    t.draw(|f| view(app, f)).unwrap();
    t.backend().to_string()
}

#[test]
fn export_goes_to_the_homes_exports_folder_and_says_where() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::in_home(dir.path());
    baohao::home::write_demo(&paths, now()).unwrap();
    let cwd_before: Vec<_> = std::fs::read_dir(".")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    let mut app = App::open(paths, Clock::Fixed(now()), Theme { color: false }).unwrap();
    keys(&mut app, "3x");
    let exports = dir.path().join("exports");
    let files: Vec<_> = std::fs::read_dir(&exports)
        .expect("an exports folder in the home")
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&exports), 0o700);
    assert_eq!(mode(&files[0]), 0o600);
    let bytes = std::fs::read(&files[0]).unwrap();
    assert!(
        bytes.starts_with(b"\xef\xbb\xbfid,at,"),
        "{:?}",
        &bytes[..20]
    );
    let name = files[0].file_name().unwrap().to_string_lossy().to_string();
    assert!(screen(&app).contains(&name), "{}", screen(&app));
    let cwd_after: Vec<_> = std::fs::read_dir(".")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(
        cwd_before.len(),
        cwd_after.len(),
        "nothing written where it was started"
    );
}

/// The export is the filtered History listed as `history --csv` lists: every entry the
/// `/` words keep (in its words or its number's label), oldest first as the log reads.
#[test]
fn a_filtered_export_is_the_filtered_listing_in_log_order() {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::in_home(dir.path());
    baohao::home::write_demo(&paths, now()).unwrap();
    let mut app = App::open(paths.clone(), Clock::Fixed(now()), Theme { color: false }).unwrap();
    keys(&mut app, "3/succeeded");
    baohao::tui::update::press(&mut app, crossterm::event::KeyCode::Enter);
    keys(&mut app, "x");
    let file = std::fs::read_dir(dir.path().join("exports"))
        .unwrap()
        .flatten()
        .next()
        .expect("an export")
        .path();
    let exported = String::from_utf8(std::fs::read(file).unwrap()).unwrap();
    let s = baohao::session::Session::open(paths).unwrap();
    let expected: Vec<_> = s
        .history
        .entries(&s.config, now())
        .into_iter()
        .filter(|e| {
            let label = s.config.number(&e.number).map_or("", |n| n.label.as_str());
            baohao::text::labels::search_text(e, label).contains("succeeded")
        })
        .collect();
    assert!(expected.len() > 3, "the demo has succeeded entries");
    let csv = baohao::text::export::csv(&expected, s.config.timezone);
    assert_eq!(exported, format!("\u{feff}{csv}"));
}
