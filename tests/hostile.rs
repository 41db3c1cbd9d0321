//! Text and files from outside, through the real binary: hostile log fields never reach a
//! terminal raw, error messages stay one short line, CSV formulas are defused, and files
//! that are not what they seem (symlinks, FIFOs, devices, open homes) are refused.

mod common;
use common::demo_home;

use std::io::Write;
use std::path::Path;
use std::process::Output;

const NOW: &str = "2026-11-25T10:00:00Z";

fn baohao(home: &Path, args: &[&str]) -> Output {
    common::run(home, NOW, args)
}

fn append_line(home: &Path, line: &str) {
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(home.join("log.jsonl"))
        .unwrap();
    f.write_all(line.as_bytes()).unwrap();
    f.write_all(b"\n").unwrap();
}

/// A hand-written manual top-up on number `cmcc` with the given id and note (JSON-escaped).
fn manual(id: &str, note: &str) -> String {
    serde_json::json!({
        "v": 1, "id": id, "at": "2026-11-20T10:00:00Z", "number": "cmcc", "type": "manual",
        "amount_minor": 500, "currency": "CNY", "note": note,
    })
    .to_string()
}

/// Characters that must never appear raw in anything baohao prints.
fn raw_unsafe(s: &str) -> Option<char> {
    s.chars().find(|&c| {
        (c.is_control() && c != '\n' && c != '\t' && c != '\r')
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
    })
}

#[test]
fn hostile_log_text_is_escaped_in_every_output() {
    let home = demo_home();
    let nasty = "\u{202E}gnp.exe\u{1b}]0;pwned\u{7}\u{1b}[2J\u{2066}x\u{2069}\nsecond line";
    append_line(home.path(), &manual("evil\u{202E}id", nasty));
    let outcome = serde_json::json!({
        "v": 1, "id": "o1", "at": "2026-11-20T10:00:00Z", "number": "cmcc", "type": "outcome",
        "intent": "nothing", "status": "succeeded", "reference": nasty,
    });
    append_line(home.path(), &outcome.to_string());
    for args in [
        &["history"][..],
        &["history", "--json"],
        &["history", "--csv"],
        &["history", "--ledger"],
        &["status"],
        &["status", "--json"],
        &["plan"],
        &["plan", "--ical"],
    ] {
        let o = baohao(home.path(), args);
        let out = String::from_utf8_lossy(&o.stdout);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(raw_unsafe(&out), None, "{args:?} stdout: {out}");
        assert_eq!(raw_unsafe(&err), None, "{args:?} stderr: {err}");
    }
    let history = String::from_utf8_lossy(&baohao(home.path(), &["history"]).stdout).into_owned();
    assert!(
        history.contains("\\u202Eevil") || history.contains("evil\\u202Eid"),
        "shown escaped, not dropped: {history}"
    );
    assert!(
        !history.lines().any(|l| l.starts_with("second line")),
        "a line break in a value never starts a new row"
    );
    // JSON keeps the very same text (the escape means the character there).
    let json: serde_json::Value =
        serde_json::from_slice(&baohao(home.path(), &["history", "--json"]).stdout).unwrap();
    let rows = json.as_array().unwrap();
    assert!(rows.iter().any(|r| r["note"] == nasty), "JSON is lossless");
}

#[test]
fn csv_cells_that_look_like_formulas_are_defused() {
    let home = demo_home();
    append_line(
        home.path(),
        &manual("f1", "=HYPERLINK(\"http://evil.example\",\"click\")"),
    );
    append_line(home.path(), &manual("@f2", "+cmd|' /C calc'!A0"));
    let o = baohao(home.path(), &["history", "--csv"]);
    assert!(o.status.success());
    let csv = String::from_utf8_lossy(&o.stdout);
    let row = csv.lines().find(|l| l.starts_with("f1,")).expect("the row");
    assert!(row.contains("\"'=HYPERLINK("), "{row}");
    let row = csv
        .lines()
        .find(|l| l.starts_with("'@f2,"))
        .expect("the row");
    assert!(row.contains("'+cmd"), "{row}");
    for line in csv.lines() {
        for cell in line.split(',') {
            let cell = cell.trim_start_matches('"');
            assert!(!cell.starts_with(['=', '+', '@']), "{line}");
        }
    }
}

#[test]
fn one_huge_id_does_not_make_history_huge() {
    let home = demo_home();
    let before = baohao(home.path(), &["history"]).stdout.len();
    append_line(home.path(), &manual(&"i".repeat(10_000_000), "big"));
    let o = baohao(home.path(), &["history"]);
    assert!(o.status.success());
    // One more row of capped width, not every row padded to ten million cells.
    assert!(
        o.stdout.len() < before * 2 + 10_000,
        "{} bytes after {before}",
        o.stdout.len()
    );
}

#[test]
fn error_messages_are_one_short_line_whatever_the_value() {
    let home = demo_home();
    let config = std::fs::read_to_string(home.path().join("config.json")).unwrap();
    let value = format!("{}\u{202E}\nnext\u{1b}[2J", "z".repeat(10_000_000));
    let bad = config.replacen(
        "\"timezone\": \"",
        &format!(
            "\"timezone\": {}, \"x\": \"",
            serde_json::to_string(&value).unwrap()
        ),
        1,
    );
    assert_ne!(bad, config);
    std::fs::write(home.path().join("config.json"), bad).unwrap();
    // And a value the validator quotes back: the time zone.
    let mut open = config.clone();
    let at = open
        .find("\"timezone\": \"")
        .expect("the demo names a zone");
    let end = open[at + 13..].find('"').unwrap() + at + 13;
    open.replace_range(
        at..=end,
        &format!("\"timezone\": {}", serde_json::to_string(&value).unwrap()),
    );
    let quoted = tempfile::tempdir().unwrap();
    std::fs::write(quoted.path().join("config.json"), &open).unwrap();
    for args in [&["status"][..], &["validate"]] {
        let o = baohao(quoted.path(), args);
        assert!(!o.status.success(), "{args:?}");
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(all.len() < 2_000, "{args:?}: {} bytes", all.len());
        assert_eq!(raw_unsafe(&all), None, "{all}");
    }
    for args in [&["status"][..], &["validate"]] {
        let o = baohao(home.path(), args);
        assert!(!o.status.success(), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(
            err.len() + out.len() < 2_000,
            "{args:?}: {} bytes",
            err.len()
        );
        assert_eq!(raw_unsafe(&err), None, "{err}");
        assert_eq!(raw_unsafe(&out), None, "{out}");
        assert!(err.trim_end().lines().count() <= 1, "{err}");
    }
}

#[test]
fn a_value_echoed_in_an_error_is_cut_and_escaped() {
    let home = demo_home();
    let value = format!("{}\u{202E}\nnext\u{1b}[2J", "q".repeat(100_000));
    for args in [
        &["history", "--number", value.as_str()][..],
        &["balance", value.as_str(), "5"],
        &["record", "cmcc", value.as_str()],
    ] {
        let o = baohao(home.path(), args);
        assert!(!o.status.success());
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.len() < 400, "{} bytes: {err}", err.len());
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert_eq!(raw_unsafe(&err), None, "{err}");
        assert!(err.contains("qqq…") || err.contains("…"), "{err}");
    }
}

/// Runs `args`, which must be refused with one sentence containing `says`, no panic.
fn refused(home: &Path, args: &[&str], says: &str) {
    let o = baohao(home, args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{args:?} should be refused");
    assert_eq!(err.trim_end().lines().count(), 1, "{args:?}: {err}");
    assert!(err.contains(says), "{args:?}: {err:?} should say {says:?}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn a_symlinked_log_or_lock_is_refused_and_its_target_untouched() {
    for name in ["log.jsonl", "worker.lock"] {
        let home = demo_home();
        let outside = tempfile::tempdir().unwrap();
        let target = outside.path().join("precious.txt");
        std::fs::write(&target, "keep me\n").unwrap();
        if name == "worker.lock" {
            let _ = std::fs::remove_file(home.path().join(name));
        } else {
            std::fs::rename(home.path().join(name), outside.path().join("moved")).unwrap();
        }
        std::os::unix::fs::symlink(&target, home.path().join(name)).unwrap();
        let commands: &[&[&str]] = if name == "log.jsonl" {
            &[
                &["status"],
                &["history"],
                &["record", "cmcc", "5"],
                &["tick"],
            ]
        } else {
            &[&["tick"]]
        };
        for args in commands {
            refused(home.path(), args, "not a regular file");
        }
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");
    }
}

#[test]
fn a_fifo_or_a_device_as_the_log_is_refused_not_hung() {
    let home = demo_home();
    let log = home.path().join("log.jsonl");
    std::fs::remove_file(&log).unwrap();
    nix::unistd::mkfifo(&log, nix::sys::stat::Mode::from_bits_truncate(0o600)).unwrap();
    refused(home.path(), &["status"], "not a regular file");
    refused(home.path(), &["record", "cmcc", "5"], "not a regular file");
    std::fs::remove_file(&log).unwrap();
    std::os::unix::fs::symlink("/dev/zero", &log).unwrap();
    refused(home.path(), &["status"], "not a regular file");
    refused(home.path(), &["history", "--json"], "not a regular file");
}

#[test]
fn a_symlinked_config_is_read_through() {
    let home = demo_home();
    let elsewhere = tempfile::tempdir().unwrap();
    let real = elsewhere.path().join("baohao.json");
    std::fs::rename(home.path().join("config.json"), &real).unwrap();
    std::os::unix::fs::symlink(&real, home.path().join("config.json")).unwrap();
    let o = baohao(home.path(), &["status"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn a_home_others_can_write_is_refused() {
    use std::os::unix::fs::PermissionsExt;
    let home = demo_home();
    for mode in [0o777, 0o770, 0o722] {
        std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(mode)).unwrap();
        refused(home.path(), &["status"], "chmod go-w");
        refused(home.path(), &["record", "cmcc", "5"], "chmod go-w");
    }
    std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    assert!(baohao(home.path(), &["status"]).status.success());
    // Another user's home: only testable where we may give a directory away.
    if nix::unistd::geteuid().is_root() {
        std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        let nobody = nix::unistd::Uid::from_raw(65534);
        nix::unistd::chown(home.path(), Some(nobody), None).unwrap();
        refused(home.path(), &["status"], "another user");
        nix::unistd::chown(home.path(), Some(nix::unistd::geteuid()), None).unwrap();
    }
}

#[test]
fn a_bad_log_line_is_reported_short_and_escaped_by_every_command() {
    let home = demo_home();
    let value = format!("{}\u{202E}\n\u{1b}[2J", "y".repeat(1_000_000));
    let bad = serde_json::json!({
        "v": 1, "id": "b", "at": value, "number": "cmcc", "type": "activity",
    });
    append_line(home.path(), &bad.to_string());
    let lines = std::fs::read_to_string(home.path().join("log.jsonl"))
        .unwrap()
        .lines()
        .count();
    for args in [&["status"][..], &["history"], &["plan"]] {
        let o = baohao(home.path(), args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains(&format!("log.jsonl:{lines}:")),
            "{args:?}: {}",
            &err[..err.len().min(300)]
        );
        assert!(err.len() < 1000, "{args:?}: {} bytes", err.len());
        assert_eq!(raw_unsafe(&err), None, "{err}");
    }
}

#[test]
fn the_last_line_is_kept_when_whole_and_named_alike_by_readers_and_writer_when_torn() {
    let home = demo_home();
    let log = home.path().join("log.jsonl");
    // A hand edit: a whole entry, its newline missing. Kept, never charged twice.
    let whole = manual("hand", "typed in an editor");
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(whole.as_bytes())
        .unwrap();
    let o = baohao(home.path(), &["history", "--json"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("typed in an editor"));
    assert!(!String::from_utf8_lossy(&o.stderr).contains("incomplete"));
    assert!(baohao(home.path(), &["activity", "cmcc"]).status.success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(
        text.contains(&format!("{whole}\n")),
        "kept, with its newline"
    );
    let lines = text.lines().count();
    // A torn write: every command names the same line, the writer included.
    std::fs::OpenOptions::new()
        .append(true)
        .open(&log)
        .unwrap()
        .write_all(br#"{"v":1,"id":"torn","at":"2026-"#)
        .unwrap();
    let torn = format!("log.jsonl:{}:", lines + 1);
    for args in [&["status"][..], &["history"], &["activity", "cmcc"]] {
        let err = String::from_utf8_lossy(&baohao(home.path(), args).stderr).into_owned();
        assert!(err.contains(&torn), "{args:?} should name {torn}: {err}");
    }
    let after = std::fs::read_to_string(&log).unwrap();
    assert!(!after.contains("\"torn\"") && after.ends_with('\n'));
}
