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
