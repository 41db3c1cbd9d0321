//! The real binary on temporary homes: each subcommand, and each refusal (one sentence,
//! non-zero exit, no backtrace, no file changed).

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const NOW: &str = "2026-11-25T10:00:00Z";

fn baohao(home: &Path, args: &[&str]) -> Output {
    common::run(home, NOW, args)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `args` (which must succeed) and parses what it printed as JSON.
fn json(home: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(home, args)).expect("the output is JSON")
}

/// The row of `status --json` for number `id`.
fn status_of(home: &Path, id: &str) -> serde_json::Value {
    let rows = json(home, &["status", "--json"]);
    rows.as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .cloned()
        .expect("the number is listed")
}

fn ok(home: &Path, args: &[&str]) -> String {
    let o = baohao(home, args);
    assert!(o.status.success(), "{args:?} failed: {}", stderr(&o));
    stdout(&o)
}

/// Every file under `dir` with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            out.insert(
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap_or_default(),
            );
        }
    }
    out
}

/// Runs `args`, which must be refused with one sentence and leave every file as it was.
fn refused(home: &Path, args: &[&str], says: &str) -> String {
    let before = files(home);
    let o = baohao(home, args);
    let err = stderr(&o);
    assert!(!o.status.success(), "{args:?} should be refused");
    assert_eq!(
        err.trim_end().lines().count(),
        1,
        "{args:?}: one line, got {err:?}"
    );
    assert!(err.starts_with("baohao: "), "{err}");
    assert!(
        err.contains(says),
        "{args:?}: {err:?} should mention {says:?}"
    );
    assert!(
        !err.contains("panicked") && !err.contains("backtrace") && !err.contains("RUST_BACKTRACE"),
        "{err}"
    );
    assert_eq!(files(home), before, "{args:?} changed a file");
    err
}

fn demo_home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["init", "--demo"]);
    dir
}

#[test]
fn init_writes_private_files_once() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("new/home");
    let out = ok(&home, &["init"]);
    assert!(out.contains("config.json"));
    for f in ["config.json", "log.jsonl"] {
        assert_eq!(
            std::fs::metadata(home.join(f))
                .unwrap()
                .permissions()
                .mode()
                & 0o777,
            0o600,
            "{f}"
        );
    }
    assert_eq!(
        std::fs::metadata(&home).unwrap().permissions().mode() & 0o777,
        0o700
    );
    assert!(ok(&home, &["status"]).contains("No numbers yet"));
    refused(&home, &["init"], "already exists");
    refused(&home, &["init", "--demo"], "already exists");
}

#[test]
fn init_demo_needs_an_explicit_home() {
    let o = Command::new(env!("CARGO_BIN_EXE_baohao"))
        .args(["init", "--demo"])
        .env("HOME", "/nonexistent-home-for-test")
        .env_remove("BAOHAO_HOME")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--home"));
}

#[test]
fn status_and_history_never_write() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("absent");
    refused(&home, &["status"], "baohao init");
    assert!(!home.exists(), "status created the home");
    let dir = demo_home();
    let before = files(dir.path());
    for args in [
        &["status"][..],
        &["status", "--json"],
        &["history"],
        &["history", "--json"],
        &["history", "--csv"],
        &["plan"],
        &["validate"],
    ] {
        ok(dir.path(), args);
    }
    assert_eq!(files(dir.path()), before);
}

#[test]
fn status_json_has_the_contract_fields() {
    let dir = demo_home();
    let v = json(dir.path(), &["status", "--json"]);
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for r in rows {
        for f in [
            "id",
            "label",
            "msisdn",
            "currency",
            "balance_minor",
            "expected_balance_minor",
            "observed_at",
            "validity_until",
            "next",
            "in_doubt",
            "attention",
        ] {
            assert!(r.get(f).is_some(), "missing {f} in {r}");
        }
    }
    let giffgaff = rows.iter().find(|r| r["id"] == "giffgaff").unwrap();
    assert_eq!(giffgaff["in_doubt"], 1);
    assert!(
        giffgaff["attention"]
            .as_array()
            .unwrap()
            .contains(&"in_doubt".into())
    );
    let hk = rows.iter().find(|r| r["id"] == "hk").unwrap();
    assert_eq!(hk["validity_until"], "2027-01-31");
    assert_eq!(hk["next"]["rule"], "expiry");
    assert!(
        hk["attention"]
            .as_array()
            .unwrap()
            .contains(&"unverified".into())
            || hk["attention"].as_array().unwrap().is_empty()
    );
    let cmcc = rows.iter().find(|r| r["label"] == "移动保号卡").unwrap();
    assert_eq!(cmcc["currency"], "CNY");
}

#[test]
fn history_filters_and_formats() {
    let dir = demo_home();
    let all = json(dir.path(), &["history", "--json"]);
    let all = all.as_array().unwrap();
    assert!(all.len() > 60, "a year of history: {}", all.len());
    for f in [
        "id",
        "at",
        "number",
        "kind",
        "amount_minor",
        "currency",
        "status",
        "rule",
        "key",
        "attempts",
        "reference",
        "flags",
    ] {
        assert!(all[0].get(f).is_some(), "missing {f}");
    }
    assert!(all.iter().any(|e| e["status"] == "in_doubt"));
    assert!(
        all.iter()
            .any(|e| e["status"] == "failed" || e["attempts"] == 2)
    );
    assert!(all.iter().any(|e| {
        e["flags"]
            .as_array()
            .unwrap()
            .contains(&"possible_duplicate".into())
    }));
    let hk = json(
        dir.path(),
        &[
            "history",
            "--json",
            "--number",
            "hk",
            "--since",
            "2026-06-01",
        ],
    );
    let hk = hk.as_array().unwrap();
    assert!(!hk.is_empty());
    assert!(
        hk.iter()
            .all(|e| e["number"] == "hk" && e["at"].as_str().unwrap() >= "2026-06-01")
    );
    let csv = ok(dir.path(), &["history", "--csv"]);
    assert!(csv.starts_with("id,at,number,kind,amount,currency,status"));
    assert_eq!(csv.lines().count(), all.len() + 1);
    refused(dir.path(), &["history", "--number", "nope"], "nope");
    refused(
        dir.path(),
        &["history", "--since", "yesterday"],
        "yesterday",
    );
    refused(
        dir.path(),
        &["history", "--output", "/proc/version/no", "--csv"],
        "could not write",
    );
}

#[test]
fn plan_lists_and_refuses_negative_days() {
    let dir = demo_home();
    let v = json(dir.path(), &["plan", "--days", "365", "--json"]);
    let items = v.as_array().unwrap();
    assert!(
        items.len() >= 12 + 12 + 2,
        "monthly cmcc + us, and hk expiry: {}",
        items.len()
    );
    let ats: Vec<&str> = items.iter().map(|i| i["at"].as_str().unwrap()).collect();
    let mut sorted = ats.clone();
    sorted.sort();
    assert_eq!(ats, sorted);
    for f in [
        "number",
        "rule",
        "at",
        "amount_minor",
        "currency",
        "mode",
        "estimated",
    ] {
        assert!(items[0].get(f).is_some(), "missing {f}");
    }
    assert!(items.iter().any(|i| i["estimated"] == true));
    assert!(items.iter().any(|i| i["estimated"] == false));
    refused(dir.path(), &["plan", "--days", "-3"], "--days");
    refused(dir.path(), &["plan", "--days", "99999"], "--days");
    let human = ok(dir.path(), &["plan"]);
    assert!(human.contains("Total over 30 days"));
}

#[test]
fn record_refuses_bad_amounts_and_settles_a_reminder() {
    let dir = demo_home();
    refused(dir.path(), &["record", "cmcc", "10.005"], "10.005");
    refused(dir.path(), &["record", "cmcc", "-5"], "-5");
    refused(dir.path(), &["record", "cmcc", "abc"], "abc");
    refused(dir.path(), &["record", "cmcc", "£5"], "CNY");
    refused(dir.path(), &["record", "nobody", "5"], "nobody");
    let out = ok(dir.path(), &["record", "cmcc", "10", "--note", "paid"]);
    assert!(out.contains("¥10.00"), "{out}");
    assert!(out.contains("settles the reminder"), "{out}");
    let cmcc = status_of(dir.path(), "cmcc");
    assert!(
        !cmcc["attention"]
            .as_array()
            .unwrap()
            .contains(&"due".into())
    );
    let log = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    let last: serde_json::Value = serde_json::from_str(log.lines().last().unwrap()).unwrap();
    assert_eq!(last["type"], "manual");
    assert_eq!(last["amount_minor"], 1000);
    assert_eq!(last["note"], "paid");
}

#[test]
fn resolve_settles_in_doubt_once() {
    let dir = demo_home();
    let v = json(dir.path(), &["history", "--json"]);
    let doubt = v
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["status"] == "in_doubt")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let reminder = v
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["status"] == "reminder")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    refused(dir.path(), &["resolve", "nope", "succeeded"], "nope");
    refused(dir.path(), &["resolve", &doubt, "maybe"], "maybe");
    refused(
        dir.path(),
        &["resolve", &reminder, "succeeded"],
        "baohao record",
    );
    let out = ok(dir.path(), &["resolve", &doubt, "succeeded"]);
    assert!(out.contains(&doubt));
    refused(dir.path(), &["resolve", &doubt, "failed"], "not in doubt");
    let v = json(dir.path(), &["status", "--json"]);
    assert!(v.as_array().unwrap().iter().all(|r| r["in_doubt"] == 0));
}

#[test]
fn activity_and_balance_are_recorded() {
    let dir = demo_home();
    ok(
        dir.path(),
        &["activity", "giffgaff", "--note", "sent a text"],
    );
    ok(
        dir.path(),
        &["balance", "us", "3.50", "--valid-until", "2027-03-01"],
    );
    refused(dir.path(), &["balance", "us", "3.505"], "3.505");
    refused(
        dir.path(),
        &["balance", "us", "3", "--valid-until", "soon"],
        "soon",
    );
    let us = status_of(dir.path(), "us");
    assert_eq!(us["balance_minor"], 350);
    assert_eq!(us["validity_until"], "2027-03-01");
    assert!(us["attention"].as_array().unwrap().contains(&"low".into()));
}

#[test]
fn broken_config_is_one_sentence_with_file_and_line() {
    let dir = demo_home();
    let cfg = dir.path().join("config.json");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replacen("\"below\": \"5.00\"", "\"belw\": \"5.00\"", 1),
    )
    .unwrap();
    let err = refused(dir.path(), &["status"], "belw");
    assert!(err.contains("config.json:"), "{err}");
    assert!(err.contains("numbers[3].rules[1].trigger"), "{err}");
    std::fs::write(&cfg, text.replacen("\"10.00\"", "\"10.005\"", 1)).unwrap();
    refused(dir.path(), &["status"], "10.005");
    std::fs::write(&cfg, &text[..text.len() / 2]).unwrap();
    refused(dir.path(), &["history"], "config.json:");
    let o = baohao(dir.path(), &["validate"]);
    assert!(!o.status.success());
    assert!(stdout(&o).contains("config.json:"));
}

#[test]
fn validate_reports_log_lines_and_bad_programs() {
    let dir = demo_home();
    let log = dir.path().join("log.jsonl");
    let mut text = std::fs::read_to_string(&log).unwrap();
    text.insert_str(text.find('\n').unwrap() + 1, "garbage line\n");
    text.push_str("{\"v\":1,\"id\":\"x\"");
    std::fs::write(&log, &text).unwrap();
    let cfg = dir.path().join("config.json");
    let script = dir.path().join("balance.sh");
    std::fs::write(&script, "#!/bin/sh\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o644)).unwrap();
    let c = std::fs::read_to_string(&cfg).unwrap();
    let with_program = format!(
        "\"provider\": {{ \"kind\": \"command\", \"program\": \"{}\" }}",
        script.display()
    );
    std::fs::write(
        &cfg,
        c.replacen("\"provider\": { \"kind\": \"demo\" }", &with_program, 1),
    )
    .unwrap();
    let o = baohao(dir.path(), &["validate"]);
    assert!(!o.status.success());
    let out = stdout(&o);
    assert!(out.contains("log.jsonl:2:"), "{out}");
    assert!(out.contains("incomplete"), "{out}");
    assert!(out.contains("not executable"), "{out}");
    // Reading commands still work, warning about the bad lines on stderr.
    let o = baohao(dir.path(), &["status"]);
    assert!(o.status.success());
    assert!(stderr(&o).contains("log.jsonl:2:"));
    assert_eq!(
        std::fs::read_to_string(&log).unwrap(),
        text,
        "never rewritten by a reader"
    );
}

#[test]
fn the_demo_flag_uses_a_throwaway_home() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_baohao"))
        .args(["--demo", "status", "--json"])
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("cfg"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("TMPDIR", dir.path().join("tmp"))
        .env_remove("BAOHAO_HOME")
        .output()
        .unwrap();
    let _ = std::fs::create_dir_all(dir.path().join("tmp"));
    // TMPDIR did not exist at first: the demo must still work, or say why in one line.
    if !o.status.success() {
        assert_eq!(stderr(&o).lines().count(), 1);
    }
    let o = Command::new(env!("CARGO_BIN_EXE_baohao"))
        .args(["--demo", "record", "cmcc", "10"])
        .env("HOME", dir.path())
        .env("XDG_CONFIG_HOME", dir.path().join("cfg"))
        .env("XDG_DATA_HOME", dir.path().join("data"))
        .env("TMPDIR", dir.path().join("tmp"))
        .env_remove("BAOHAO_HOME")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        !dir.path().join("cfg").exists() && !dir.path().join("data").exists(),
        "real dirs untouched"
    );
    assert_eq!(
        std::fs::read_dir(dir.path().join("tmp")).unwrap().count(),
        0,
        "temporary demo home removed"
    );
}

#[test]
fn chinese_output_and_completions_and_presets() {
    let dir = demo_home();
    let o = Command::new(env!("CARGO_BIN_EXE_baohao"))
        .arg("--home")
        .arg(dir.path())
        .arg("status")
        .env("BAOHAO_NOW", NOW)
        .env("LANG", "zh_CN.UTF-8")
        .env_remove("LC_ALL")
        .output()
        .unwrap();
    assert!(stdout(&o).contains("余额"));
    assert!(ok(dir.path(), &["completions", "bash"]).contains("baohao"));
    assert!(ok(dir.path(), &["presets"]).contains("giffgaff"));
    let presets = json(dir.path(), &["presets", "--json"]);
    assert!(presets.as_array().unwrap().len() >= 6);
    refused(dir.path(), &["--lang", "fr", "status"], "fr");
}

#[test]
fn the_tui_without_a_terminal_says_what_to_do_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("h");
    let err = refused(&home, &[], "needs a terminal");
    assert!(err.contains("baohao status"));
    assert!(!home.exists());
}

#[test]
fn usage_errors_are_one_sentence_too() {
    let dir = demo_home();
    for (args, says) in [
        (&["status", "--jsn"][..], "--jsn"),
        (&["frobnicate"], "frobnicate"),
        (&["plan", "--days", "many"], "many"),
        (&["record", "cmcc"], "AMOUNT"),
    ] {
        refused(dir.path(), args, says);
    }
    assert!(ok(dir.path(), &["--help"]).contains("Usage"));
}
