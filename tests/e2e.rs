//! The real binary in a pseudo-terminal (portable-pty), its screen read by a terminal
//! emulator (vt100): toggle a rule, quit, and check that the config changed, the terminal
//! left the alternate screen, and nothing is written while idle.

mod common;
use common::demo_home;
use common::pty::Session;

use std::time::{Duration, Instant};

#[test]
fn toggle_a_rule_quit_and_leave_the_terminal_clean() {
    let dir = demo_home();
    let mut s = Session::start(dir.path(), 80, 24, &[]);
    s.wait_for("Numbers");
    s.wait_for("移动保号卡");
    assert!(
        s.parser.screen().alternate_screen(),
        "the TUI draws on the alternate screen"
    );
    s.send("2");
    s.wait_for("NEXT RECHARGE");
    s.send(" ");
    s.wait_for("Rule monthly is off.");
    let config = std::fs::read_to_string(dir.path().join("config.json")).unwrap();
    assert!(config.contains("\"enabled\": false"), "{config}");
    s.send("q");
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        s.pump(Duration::from_millis(100));
        if let Ok(Some(status)) = s.child.try_wait() {
            assert!(status.success(), "{status:?}");
            break;
        }
        assert!(Instant::now() < end, "did not quit");
    }
    s.pump(Duration::from_millis(300));
    assert!(
        !s.parser.screen().alternate_screen(),
        "left the alternate screen"
    );
    assert!(
        !s.parser.screen().hide_cursor(),
        "the cursor is visible again"
    );
    assert!(!s.screen().contains("panicked"));
}

#[test]
fn nothing_is_written_while_idle_and_a_keypress_costs_little() {
    let dir = demo_home();
    let mut s = Session::start(dir.path(), 100, 30, &[]);
    s.wait_for("移动保号卡");
    // The worker's first pass redraws the header; then all is quiet.
    s.settle(Duration::from_millis(1500));
    let before = s.bytes;
    s.pump(Duration::from_secs(3));
    assert_eq!(s.bytes, before, "bytes written while idle");
    // Moving through a list repaints two rows, not the screen.
    s.send("3");
    s.wait_for("newest first");
    s.settle(Duration::from_millis(500));
    let before = s.bytes;
    s.send("j");
    s.settle(Duration::from_millis(500));
    let moved = s.bytes - before;
    assert!(
        moved > 0 && moved < 1024,
        "moving the selection wrote {moved} bytes"
    );
    s.send("q");
    s.pump(Duration::from_millis(500));
}

#[test]
fn a_tiny_terminal_is_told_so_and_chinese_and_no_color_work() {
    let dir = demo_home();
    let mut s = Session::start(dir.path(), 30, 8, &[]);
    s.wait_for("too small");
    s.send("q");
    s.pump(Duration::from_millis(500));
    let mut s = Session::start(
        dir.path(),
        80,
        24,
        &[("LANG", "zh_CN.UTF-8"), ("NO_COLOR", "1")],
    );
    s.wait_for("号码");
    s.wait_for("下次充值");
    // NO_COLOR: no colour codes at all, selection by reverse video.
    // The selection: a marker, then the label in reverse video.
    assert_eq!(s.parser.screen().cell(2, 0).unwrap().contents(), "›");
    assert!(
        s.parser.screen().cell(2, 1).unwrap().inverse(),
        "the selected label is reversed"
    );
    for r in 0..24 {
        for c in 0..80 {
            if let Some(cell) = s.parser.screen().cell(r, c) {
                assert_eq!(cell.fgcolor(), vt100::Color::Default, "colour at {r},{c}");
            }
        }
    }
    s.send("q");
    s.pump(Duration::from_millis(500));
}

#[test]
fn a_panic_restores_the_terminal_before_its_report() {
    let dir = demo_home();
    let mut s = Session::start(dir.path(), 80, 24, &[("BAOHAO_TEST_PANIC", "1")]);
    let end = Instant::now() + Duration::from_secs(15);
    let status = loop {
        s.pump(Duration::from_millis(100));
        if let Ok(Some(status)) = s.child.try_wait() {
            break status;
        }
        assert!(Instant::now() < end, "did not exit");
    };
    s.pump(Duration::from_millis(300));
    assert!(!status.success());
    assert!(
        !s.parser.screen().alternate_screen(),
        "left the alternate screen first"
    );
    assert!(!s.parser.screen().hide_cursor());
    assert!(
        s.screen().contains("panicked"),
        "the report is readable on the normal screen:\n{}",
        s.screen()
    );
}

#[test]
fn a_new_provider_balance_shows_after_r_and_others_appends_show_unasked() {
    let fake = tempfile::tempdir().unwrap();
    let home = fake.path().join("home");
    std::fs::create_dir(&home).unwrap();
    let provider = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/fake-provider.sh");
    std::fs::write(
        home.join("config.json"),
        format!(
            r#"{{"version":1,"timezone":"UTC","numbers":[{{"id":"uk","label":"UK line","msisdn":"+447700900123","currency":"GBP",
              "provider":{{"kind":"command","program":"{}"}},"executor":{{"kind":"remind"}},"rules":[]}}]}}"#,
            provider.display()
        ),
    )
    .unwrap();
    std::fs::write(fake.path().join("balance"), "10.00").unwrap();
    let fake_dir = fake.path().display().to_string();
    let mut s = Session::start(&home, 100, 30, &[("FAKE_DIR", &fake_dir)]);
    s.wait_for("£10.00");
    std::fs::write(fake.path().join("balance"), "12.34").unwrap();
    s.send("R");
    s.wait_for("£12.34");
    // Another process records a top-up: it shows without a key being pressed.
    s.send("3");
    s.wait_for("newest first");
    let t = Instant::now();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_baohao"))
        .arg("--home")
        .arg(&home)
        .args(["record", "uk", "5", "--note", "from another shell"])
        .output()
        .unwrap();
    assert!(o.status.success());
    s.wait_for("from another shell");
    eprintln!(
        "an entry appended by another process showed after {:?}",
        t.elapsed()
    );
    s.send("q");
    s.pump(Duration::from_millis(300));
}
