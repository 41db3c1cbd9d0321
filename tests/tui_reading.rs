//! A long log in the real binary, in a pseudo-terminal: the first frame says how
//! far the log is read instead of waiting for all of it, `q` quits meanwhile, no other key
//! acts on a half-read log, and the worker waits for the whole log (its state: the History
//! rows are read behind it).

mod common;

use std::time::{Duration, Instant};

use baohao::store::Paths;
use baohao::store::lock::WorkerLock;

const NOW: &str = "2026-11-25T10:00:00Z";

/// The demo home with `extra` activity lines appended to its log.
fn long_home(extra: usize) -> tempfile::TempDir {
    // Made at the clock the TUI runs at: a demo made today and shown at an earlier clock
    // would be a clock behind its log, said in the header.
    let home = tempfile::tempdir().unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_baohao"))
        .arg("--home")
        .arg(home.path())
        .args(["init", "--demo"])
        .env("BAOHAO_NOW", NOW)
        .env_remove("BAOHAO_HOME")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let paths = Paths::in_home(home.path());
    let config: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&paths.config).unwrap()).unwrap();
    let number = config["numbers"][0]["id"].as_str().unwrap().to_string();
    let mut text = String::with_capacity(extra * 140);
    for i in 0..extra {
        text.push_str(&format!(
            "{{\"v\":1,\"id\":\"long{i:08}\",\"at\":\"2026-11-20T10:00:00Z\",\"number\":\"{number}\",\"type\":\"activity\",\"note\":\"used the line ({i})\"}}\n"
        ));
    }
    let mut log = std::fs::OpenOptions::new()
        .append(true)
        .open(&paths.log)
        .unwrap();
    std::io::Write::write_all(&mut log, text.as_bytes()).unwrap();
    home
}

/// The TUI on `home` at 100×30, reading 2,048 lines of the log a turn.
fn start(home: &std::path::Path) -> common::pty::Session {
    common::pty::Session::start(
        home,
        100,
        30,
        &[("BAOHAO_TEST_LOAD_SLICE_MS", "0"), ("BAOHAO_NOW", NOW)],
    )
}

/// Waits (up to 20 s) for the TUI to exit; its status.
fn exits(t: &mut common::pty::Session) -> portable_pty::ExitStatus {
    let end = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(s) = t.child.try_wait().unwrap() {
            return s;
        }
        assert!(Instant::now() < end, "q did not quit:\n{}", t.screen());
        t.pump(Duration::from_millis(50));
    }
}

#[test]
fn a_long_log_shows_how_far_it_is_read_and_q_quits_meanwhile() {
    let home = long_home(150_000);
    let paths = Paths::in_home(home.path());
    let log_before = std::fs::metadata(&paths.log).unwrap().len();
    let mut t = start(home.path());
    t.wait_for("Reading the recharge log");
    let screen = t.screen();
    assert!(screen.contains("starts once the log is read"), "{screen}");
    // The worker has not started: its lock is free.
    assert!(matches!(
        WorkerLock::try_acquire(&paths.worker_lock),
        Ok(Ok(_))
    ));
    // Keys wait; `q` quits at once.
    t.send("2a");
    t.send("q");
    assert!(exits(&mut t).success());
    assert!(
        !t.screen().contains("NEXT RECHARGE") && !t.screen().contains("RULE"),
        "quit before the log was whole:\n{}",
        t.screen()
    );
    assert_eq!(std::fs::metadata(&paths.log).unwrap().len(), log_before);
}

#[test]
fn once_the_log_is_whole_the_tui_shows_it_and_starts_its_worker() {
    // Long enough that reading its state (without rows, which come behind) outlasts a
    // look at the screen.
    let home = long_home(150_000);
    let mut t = start(home.path());
    t.wait_for("Reading the recharge log");
    t.wait_for("NEXT RECHARGE");
    assert!(!t.screen().contains("Reading the recharge log"));
    t.wait_for("worker:");
    let paths = Paths::in_home(home.path());
    let end = Instant::now() + Duration::from_secs(15);
    while matches!(WorkerLock::try_acquire(&paths.worker_lock), Ok(Ok(_))) {
        assert!(Instant::now() < end, "the worker never started");
        t.pump(Duration::from_millis(100));
    }
    t.send("2");
    t.wait_for("RULE");
    t.send("q");
    assert!(exits(&mut t).success());
}
