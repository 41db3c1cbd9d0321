//! Reminders that end, every attempt visible, and input people type, through the real binary:
//! each on a hand-written home.

mod common;

use std::path::Path;
use std::process::Output;

const NOW: &str = "2026-11-25T10:00:00Z";

fn run(home: &Path, args: &[&str]) -> Output {
    run_at(home, NOW, args)
}

fn run_at(home: &Path, now: &str, args: &[&str]) -> Output {
    common::run(home, now, args)
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(home: &Path, args: &[&str]) -> String {
    let o = run(home, args);
    assert!(o.status.success(), "{args:?} failed: {}", err(&o));
    out(&o)
}

/// Runs `args`, which must fail with one sentence on stderr; returns it.
fn refused(home: &Path, args: &[&str]) -> String {
    let o = run(home, args);
    assert!(
        !o.status.success(),
        "{args:?} should be refused: {}",
        out(&o)
    );
    let e = err(&o);
    assert_eq!(e.trim_end().lines().count(), 1, "{args:?}: {e:?}");
    assert!(!e.contains("panicked"), "{e}");
    e
}

fn json(home: &Path, args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&ok(home, args)).expect("JSON")
}

fn home(config: &str, log: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), config).unwrap();
    std::fs::write(dir.path().join("log.jsonl"), log).unwrap();
    dir
}

fn line(id: &str, at: &str, body: &str) -> String {
    format!("{{\"v\":1,\"id\":\"{id}\",\"at\":\"{at}\",\"number\":\"v\",\"type\":{body}}}\n")
}

fn intent(id: &str, at: &str, rule: &str, key: &str, attempt: u32, mode: &str) -> String {
    line(
        id,
        at,
        &format!(
            "\"intent\",\"rule\":\"{rule}\",\"key\":\"{key}\",\"attempt\":{attempt},\"amount_minor\":1000,\"currency\":\"CNY\",\"mode\":\"{mode}\""
        ),
    )
}

/// One CNY number with `rules` (JSON array text) and `executor` (JSON object text).
fn config(rules: &str, executor: &str) -> String {
    format!(
        r#"{{"version":1,"timezone":"UTC","numbers":[{{"id":"v","label":"V","msisdn":"+8613800138000","currency":"CNY",
  "provider":{{"kind":"manual"}},"executor":{executor},"rules":{rules}}}]}}"#
    )
}

const MONTHLY: &str =
    r#"{"id":"m","mode":"remind","amount":"10","trigger":{"kind":"monthly","day":5,"at":"09:00"}}"#;
const KEEP: &str =
    r#"{"id":"k","mode":"remind","amount":"10","trigger":{"kind":"keep_alive","every_days":30}}"#;
const REMIND: &str = r#"{"kind":"remind"}"#;

fn status_row(home: &Path) -> serde_json::Value {
    json(home, &["status", "--json"])[0].clone()
}

fn attention(home: &Path) -> Vec<String> {
    status_row(home)["attention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

fn history_status(home: &Path, id: &str) -> String {
    let v = json(home, &["history", "--json"]);
    v.as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == id)
        .unwrap_or_else(|| panic!("{id} in {v}"))["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn csv_status(home: &Path, id: &str) -> String {
    let csv = ok(home, &["history", "--csv"]);
    let row = csv
        .lines()
        .find(|l| l.starts_with(id))
        .unwrap_or_else(|| panic!("{id} in {csv}"));
    row.split(',').nth(6).unwrap().to_string()
}

// -------------------------------------------------------------------------------- 2. reminders end

#[test]
fn a_deleted_rules_reminder_is_dismissed_with_its_reason() {
    let log = intent("r1", "2026-11-05T09:00:00Z", "m", "m:2026-11", 1, "remind");
    let dir = home(&config(&format!("[{MONTHLY}]"), REMIND), &log);
    assert!(attention(dir.path()).contains(&"due".to_string()));
    std::fs::write(dir.path().join("config.json"), config("[]", REMIND)).unwrap();
    assert!(
        !attention(dir.path()).contains(&"due".to_string()),
        "a reminder whose rule is gone still makes the number due"
    );
    ok(dir.path(), &["tick"]);
    let text = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    assert!(
        text.contains("\"type\":\"dismissed\"") && text.contains("rule_deleted"),
        "{text}"
    );
    assert_eq!(history_status(dir.path(), "r1"), "dismissed");
    assert_eq!(csv_status(dir.path(), "r1"), "dismissed");
    let v = json(dir.path(), &["history", "--json"]);
    assert_eq!(v[0]["dismissed_reason"], "rule_deleted");
}

#[test]
fn a_rule_made_automatic_no_longer_leaves_its_reminder_open() {
    let log = intent("r1", "2026-11-05T09:00:00Z", "m", "m:2026-11", 1, "remind");
    let dir = home(&config(&format!("[{MONTHLY}]"), REMIND), &log);
    let auto = MONTHLY.replace("\"remind\"", "\"auto\"");
    std::fs::write(
        dir.path().join("config.json"),
        config(&format!("[{auto}]"), r#"{"kind":"demo"}"#),
    )
    .unwrap();
    assert!(!attention(dir.path()).contains(&"due".to_string()));
    ok(dir.path(), &["tick"]);
    let text = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    assert!(text.contains("rule_now_auto"), "{text}");
}

#[test]
fn an_activity_settles_the_keep_alive_reminder_it_answers() {
    let log = line("b0", "2026-09-01T00:00:00Z", "\"activity\"")
        + &intent(
            "r1",
            "2026-10-01T00:00:00Z",
            "k",
            "k:2026-10-01",
            1,
            "remind",
        );
    let dir = home(&config(&format!("[{KEEP}]"), REMIND), &log);
    assert!(attention(dir.path()).contains(&"due".to_string()));
    ok(dir.path(), &["activity", "v", "--note", "sent a text"]);
    assert!(
        !attention(dir.path()).contains(&"due".to_string()),
        "the activity did not settle the keep-alive reminder"
    );
    assert_eq!(history_status(dir.path(), "r1"), "settled");
    assert_eq!(csv_status(dir.path(), "r1"), "settled");
    let table = ok(dir.path(), &["history"]);
    let row = table.lines().find(|l| l.contains("r1")).unwrap();
    assert!(row.contains("settled"), "{table}");
}

#[test]
fn a_reminder_can_be_dismissed_by_hand() {
    let log = intent("r1", "2026-11-05T09:00:00Z", "m", "m:2026-11", 1, "remind");
    let dir = home(&config(&format!("[{MONTHLY}]"), REMIND), &log);
    let said = ok(
        dir.path(),
        &["resolve", "r1", "dismissed", "--note", "paid at the shop"],
    );
    assert!(said.contains("dismissed"), "{said}");
    assert!(!attention(dir.path()).contains(&"due".to_string()));
    assert_eq!(history_status(dir.path(), "r1"), "dismissed");
    refused(dir.path(), &["resolve", "r1", "dismissed"]);
    // A plain outcome on a reminder still points at both ways out.
    let log = intent("r2", "2026-11-05T09:00:00Z", "m", "m:2026-11", 1, "remind");
    let dir = home(&config(&format!("[{MONTHLY}]"), REMIND), &log);
    assert!(refused(dir.path(), &["resolve", "r2", "succeeded"]).contains("dismissed"));
}

#[test]
fn a_manual_top_up_settles_the_newest_reminder() {
    let log = intent("old", "2026-10-05T09:00:00Z", "m", "m:2026-10", 1, "remind")
        + &intent("new", "2026-11-05T09:00:00Z", "m", "m:2026-11", 1, "remind");
    let dir = home(&config(&format!("[{MONTHLY}]"), REMIND), &log);
    ok(dir.path(), &["record", "v", "10"]);
    assert_eq!(history_status(dir.path(), "new"), "settled");
    assert_eq!(history_status(dir.path(), "old"), "reminder");
}

// -------------------------------------------------------------------------------- 4. every attempt

#[test]
fn a_failed_attempt_stays_visible_after_a_retry_succeeds() {
    let auto = MONTHLY.replace("\"remind\"", "\"auto\"");
    let log = intent("a1", "2026-11-05T09:00:00Z", "m", "m:2026-11", 1, "auto")
        + &line(
            "o1",
            "2026-11-05T09:00:05Z",
            "\"outcome\",\"intent\":\"a1\",\"status\":\"failed\",\"error\":\"card declined\"",
        )
        + &intent("a2", "2026-11-05T09:10:05Z", "m", "m:2026-11", 2, "auto")
        + &line(
            "o2",
            "2026-11-05T09:10:09Z",
            "\"outcome\",\"intent\":\"a2\",\"status\":\"succeeded\",\"reference\":\"R-2\"",
        );
    let dir = home(&config(&format!("[{auto}]"), r#"{"kind":"demo"}"#), &log);
    let v = json(dir.path(), &["history", "--json"]);
    let e = &v[0];
    assert_eq!(e["status"], "succeeded");
    assert_eq!(e["attempts"], 2, "the count keeps its meaning");
    let list = e["attempt_list"].as_array().expect("attempt_list");
    assert_eq!(list.len(), 2);
    assert_eq!(list[0]["status"], "failed");
    assert_eq!(list[0]["error"], "card declined");
    assert_eq!(list[1]["status"], "succeeded");
    assert_eq!(list[1]["reference"], "R-2");
    let found = json(dir.path(), &["history", "--json", "--find", "FAILED"]);
    assert_eq!(found.as_array().unwrap().len(), 1, "{found}");
    let found = json(
        dir.path(),
        &["history", "--json", "--find", "card declined"],
    );
    assert_eq!(found.as_array().unwrap().len(), 1);
    let none = json(
        dir.path(),
        &["history", "--json", "--find", "no such words"],
    );
    assert!(none.as_array().unwrap().is_empty());
}

#[test]
fn a_reminders_attempt_is_a_reminder_not_in_doubt() {
    // A remind intent has no executor answer: its one attempt says what the reminder is.
    let log = intent("r1", "2026-11-05T09:00:00Z", "m", "m:2026-11", 1, "remind");
    let dir = home(&config(&format!("[{MONTHLY}]"), r#"{"kind":"demo"}"#), &log);
    let v = json(dir.path(), &["history", "--json"]);
    assert_eq!(v[0]["status"], "reminder", "{v}");
    assert_eq!(v[0]["attempt_list"][0]["status"], "reminder", "{v}");
    let found = json(dir.path(), &["history", "--json", "--find", "doubt"]);
    assert!(found.as_array().unwrap().is_empty(), "{found}");
}

// ------------------------------------------------------------------------- 7. resolve failed-final

#[test]
fn failed_says_it_will_retry_and_failed_final_stops_retries() {
    let auto = MONTHLY.replace("\"remind\"", "\"auto\"");
    let log = intent("a1", "2026-11-05T09:00:00Z", "m", "m:2026-11", 1, "auto");
    let cfg = config(&format!("[{auto}]"), r#"{"kind":"demo"}"#);
    let dir = home(&cfg, &log);
    let said = ok(dir.path(), &["resolve", "a1", "failed"]);
    assert!(said.contains("try this charge again"), "{said}");
    assert!(said.contains("failed-final"), "{said}");
    // After plain `failed` a tick (past the retry delay) retries under the same key…
    let later = "2026-11-25T11:00:00Z";
    assert!(run_at(dir.path(), later, &["tick"]).status.success());
    let text = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    assert!(text.contains("\"attempt\":2"), "{text}");

    let dir = home(&cfg, &log);
    let said = ok(dir.path(), &["resolve", "a1", "failed-final"]);
    assert!(said.contains("not be tried again"), "{said}");
    assert!(run_at(dir.path(), later, &["tick"]).status.success());
    let text = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    assert!(!text.contains("\"attempt\":2"), "{text}");
    assert!(text.contains("\"retry\":false"), "{text}");
}

// ------------------------------------------------------------------------- 10. exports are private

#[test]
fn exports_are_written_0600_even_over_an_open_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["init", "--demo"]);
    let out = tempfile::tempdir().unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    for (args, name) in [
        (&["history", "--csv"][..], "h.csv"),
        (&["history", "--ledger"], "h.journal"),
        (&["plan", "--ical"], "p.ics"),
    ] {
        let path = out.path().join(name);
        let p = path.to_str().unwrap();
        let mut a = args.to_vec();
        a.extend(["-o", p]);
        ok(dir.path(), &a);
        assert_eq!(mode(&path), 0o600, "{args:?}");
        assert!(std::fs::metadata(&path).unwrap().len() > 0);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        ok(dir.path(), &a);
        assert_eq!(mode(&path), 0o600, "{args:?} over a 0644 file");
    }
}

// ---------------------------------------------------------------------------- 7. input people type

#[test]
fn a_local_number_is_read_with_its_currencys_country() {
    let cfg = config("[]", REMIND).replace("+8613800138000", "138 0013 8000");
    let dir = home(&cfg, "");
    ok(dir.path(), &["validate"]);
    assert_eq!(status_row(dir.path())["msisdn"], "+8613800138000");
    let cfg = config("[]", REMIND)
        .replace("+8613800138000", "07700 900123")
        .replace("CNY", "GBP");
    let dir = home(&cfg, "");
    assert_eq!(status_row(dir.path())["msisdn"], "+447700900123");
    let cfg = config("[]", REMIND).replace("+8613800138000", "call me");
    let dir = home(&cfg, "");
    let said = refused(dir.path(), &["status"]);
    assert!(
        said.contains("E.164") && said.contains("local number"),
        "{said}"
    );
}

#[test]
fn validate_lists_every_config_problem() {
    let cfg = r#"{"version":1,"timezone":"UTC","colour":"red","numbers":[
  {"id":"a","label":"A","msisdn":"+8613800138000","currency":"CNY","lable":"x",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"},
   "rules":[{"id":"m","mode":"remind","amount":"10","trigger":{"kind":"monthly","day":5,"belw":"1"}}]},
  {"id":"b","label":"B","msisdn":"+8613800138001","currency":"CNY","verify_tolerance":"ten",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"},"rules":[]},
  {"id":"c","label":"C","msisdn":"+8613800138002","currency":"CNY",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"},
   "rules":[{"id":"m","mode":"remind","amount":"-5","trigger":{"kind":"monthly","day":40}}]}
]}"#;
    let dir = home(cfg, "");
    let o = run(dir.path(), &["validate"]);
    assert!(!o.status.success());
    let text = out(&o);
    for path in [
        "colour",
        "numbers[0].lable",
        "numbers[0].rules[0].trigger.belw",
        "numbers[1].verify_tolerance",
        "numbers[2].rules[0].amount",
        "numbers[2].rules[0].trigger.day",
    ] {
        assert!(
            text.contains(&format!(": {path}: ")),
            "{path} missing in:\n{text}"
        );
    }
    // Every line names the file and a line number.
    for l in text.lines().filter(|l| l.contains("config.json")) {
        assert!(l.contains("config.json:"), "{l}");
    }
}

#[test]
fn broken_json_and_bad_log_lines_get_sentences_that_make_sense() {
    let dir = home(r#"{"version":1,,"numbers":[]}"#, "");
    let said = refused(dir.path(), &["status"]);
    assert!(!said.contains("key must be a string"), "{said}");
    assert!(said.contains("comma"), "{said}");
    assert!(said.contains("config.json:1"), "{said}");
    let cfg = config("[]", REMIND);
    let log = line(
        "a",
        "2026-11-01T00:00:00Z",
        "\"manual\",\"amount_minor\":\"ten\",\"currency\":\"CNY\"",
    );
    let dir = home(&cfg, &log);
    let text = out(&run(dir.path(), &["validate"]));
    assert!(text.contains("wrong type"), "{text}");
    assert!(text.contains("amount_minor"), "{text}");
    assert!(!text.contains("not valid JSON"), "{text}");
}

#[test]
fn minus_five_and_zero_get_the_same_sentence() {
    let dir = home(&config("[]", REMIND), "");
    let a = refused(dir.path(), &["record", "v", "-5"]);
    let b = refused(dir.path(), &["record", "v", "0"]);
    assert_eq!(a.replace("-5", "X"), b.replace('0', "X"));
    assert!(a.contains("more than zero"), "{a}");
    // The same in a rule of the config.
    let said = |amount: &str| {
        let rule = MONTHLY.replace("\"10\"", &format!("\"{amount}\""));
        let dir = home(&config(&format!("[{rule}]"), REMIND), "");
        out(&run(dir.path(), &["validate"]))
            .lines()
            .find(|l| l.contains("amount"))
            .unwrap_or_default()
            .to_string()
    };
    let (minus, zero) = (said("-5"), said("0"));
    assert!(minus.contains("more than zero"), "{minus}");
    assert_eq!(minus.split(": ").last(), zero.split(": ").last());
}

#[test]
fn one_number_is_singular() {
    let dir = home(&config(&format!("[{MONTHLY}]"), REMIND), "");
    let text = ok(dir.path(), &["validate"]);
    assert!(
        text.contains("1 number,") && text.contains("1 rule)"),
        "{text}"
    );
    assert!(
        !text.contains("1 numbers") && !text.contains("1 rules"),
        "{text}"
    );
    assert!(text.contains("0 entries"), "{text}");
}

#[test]
fn a_home_that_is_a_file_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("notes.txt");
    std::fs::write(&file, "x").unwrap();
    for args in [&["init"][..], &["status"]] {
        let said = refused(&file, args);
        assert!(said.contains("is a file, not a directory"), "{said}");
        assert!(!said.contains("File exists"), "{said}");
    }
}

#[test]
fn record_activity_and_balance_take_a_date() {
    let dir = home(&config("[]", REMIND), "");
    ok(dir.path(), &["record", "v", "10", "--at", "yesterday"]);
    ok(dir.path(), &["activity", "v", "--at", "2026-11-20 18:30"]);
    ok(dir.path(), &["balance", "v", "12", "--at", "2026-11-21"]);
    let v = json(dir.path(), &["history", "--json"]);
    let at: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["at"].as_str().unwrap())
        .collect();
    assert_eq!(
        at,
        [
            "2026-11-24T12:00:00+00:00",
            "2026-11-20T18:30:00+00:00",
            "2026-11-21T12:00:00+00:00"
        ]
    );
    refused(dir.path(), &["record", "v", "10", "--at", "2026-12-01"]);
    refused(dir.path(), &["record", "v", "10", "--at", "last tuesday"]);
}

// ---------------------------------------------------------------------------------- 3. new numbers

#[test]
fn a_new_number_is_not_due_at_once() {
    // The giffgaff shape: keep-alive every 180 days, nothing in the log yet.
    let keep = r#"{"id":"k","mode":"remind","amount":"10","trigger":{"kind":"keep_alive","every_days":180}}"#;
    let dir = home(&config(&format!("[{keep}]"), REMIND), "");
    assert!(
        status_row(dir.path())["next"]["at"]
            .as_str()
            .is_none_or(|a| a > "2026-11-26")
    );
    ok(dir.path(), &["tick"]);
    assert!(!attention(dir.path()).contains(&"due".to_string()));
    // With `since`, keep-alive counts from that day.
    let cfg = config(&format!("[{keep}]"), REMIND).replace(
        "\"currency\":\"CNY\"",
        "\"currency\":\"CNY\",\"since\":\"2026-06-01\"",
    );
    let dir = home(&cfg, "");
    assert_eq!(
        status_row(dir.path())["next"]["at"],
        "2026-11-28T00:00:00+00:00"
    );
    // A monthly rule whose day had passed when the number came starts next month…
    let cfg = config(&format!("[{MONTHLY}]"), REMIND).replace(
        "\"currency\":\"CNY\"",
        "\"currency\":\"CNY\",\"since\":\"2026-11-20\"",
    );
    let dir = home(&cfg, "");
    ok(dir.path(), &["tick"]);
    assert!(!attention(dir.path()).contains(&"due".to_string()));
    assert_eq!(
        status_row(dir.path())["next"]["at"],
        "2026-12-05T09:00:00+00:00"
    );
    // …unless `since` says it was there before the day (this period is asked for).
    let cfg = config(&format!("[{MONTHLY}]"), REMIND).replace(
        "\"currency\":\"CNY\"",
        "\"currency\":\"CNY\",\"since\":\"2026-11-01\"",
    );
    let dir = home(&cfg, "");
    ok(dir.path(), &["tick"]);
    assert!(attention(dir.path()).contains(&"due".to_string()));
    // A bad date is named.
    let cfg = config("[]", REMIND).replace(
        "\"currency\":\"CNY\"",
        "\"currency\":\"CNY\",\"since\":\"soon\"",
    );
    let dir = home(&cfg, "");
    assert!(refused(dir.path(), &["status"]).contains("numbers[0].since"));
}

// -------------------------------------------------------------------------------------- 8. masking

#[test]
fn status_masks_numbers_and_shows_the_use_by_date() {
    let cfg = config("[]", REMIND).replace(
        "\"currency\":\"CNY\"",
        "\"currency\":\"CNY\",\"plan\":{\"keep_alive_days\":90}",
    );
    let log = line("a", "2026-11-01T00:00:00Z", "\"activity\"");
    let dir = home(&cfg, &log);
    let table = ok(dir.path(), &["status"]);
    assert!(!table.contains("+8613800138000"), "{table}");
    assert!(
        table.contains("USE BY") && table.contains("2027-01-30"),
        "{table}"
    );
    let shown = ok(dir.path(), &["status", "--show-numbers"]);
    assert!(shown.contains("+8613800138000"), "{shown}");
    let cfg = cfg.replace(
        "\"timezone\":\"UTC\"",
        "\"timezone\":\"UTC\",\"mask_numbers\":false",
    );
    let dir = home(&cfg, &log);
    assert!(ok(dir.path(), &["status"]).contains("+8613800138000"));
}

// ----------------------------------------------------------------------------------------- 9. help

#[test]
fn every_subcommand_describes_its_arguments_and_keeps_tui_options_to_itself() {
    let dir = tempfile::tempdir().unwrap();
    for sub in [
        "status",
        "history",
        "plan",
        "record",
        "resolve",
        "activity",
        "balance",
        "presets",
        "completions",
        "init",
        "daemon",
        "tick",
        "validate",
    ] {
        let text = ok(dir.path(), &[sub, "--help"]);
        assert!(!text.contains("--mouse"), "{sub}: {text}");
        let mut in_args = false;
        for l in text.lines() {
            if l.starts_with("Arguments:") || l.starts_with("Options:") {
                in_args = true;
                continue;
            }
            if !in_args || l.trim().is_empty() {
                continue;
            }
            // An argument or option line: a name, then its description on the same line.
            let t = l.trim_start();
            if t.starts_with('-') || t.starts_with('<') || t.starts_with('[') {
                let words: Vec<&str> = t.split("  ").filter(|w| !w.trim().is_empty()).collect();
                assert!(words.len() >= 2, "{sub}: {l:?} has no description");
            }
        }
    }
    assert!(ok(dir.path(), &["--help"]).contains("--mouse"));
}

#[test]
fn notifications_never_carry_the_whole_number_unless_configured() {
    use std::os::unix::fs::PermissionsExt;
    for (mask, want_full) in [(None, false), (Some(false), true)] {
        let scripts = tempfile::tempdir().unwrap();
        let notifier = scripts.path().join("notify.sh");
        let seen = scripts.path().join("seen.txt");
        std::fs::write(
            &notifier,
            format!(
                "#!/bin/sh\nprintf '%s\\n' \"$BAOHAO_MESSAGE\" >> '{}'\n",
                seen.display()
            ),
        )
        .unwrap();
        std::fs::set_permissions(&notifier, std::fs::Permissions::from_mode(0o755)).unwrap();
        let auto = MONTHLY
            .replace("\"remind\"", "\"auto\"")
            .replace("\"id\":\"m\"", "\"id\":\"a\"");
        let mut cfg = config(&format!("[{MONTHLY},{auto}]"), r#"{"kind":"demo"}"#).replace(
            "\"timezone\":\"UTC\"",
            &format!(
                "\"timezone\":\"UTC\",\"notify\":{{\"program\":\"{}\",\"events\":[\"reminder_due\",\"recharge_failed\"]}}",
                notifier.display()
            ),
        );
        if let Some(m) = mask {
            cfg = cfg.replace(
                "\"timezone\":\"UTC\"",
                &format!("\"timezone\":\"UTC\",\"mask_numbers\":{m}"),
            );
        }
        let log = intent("r1", "2026-11-05T09:00:00Z", "m", "m:2026-11", 1, "remind")
            + &intent("a1", "2026-10-31T09:00:00Z", "a", "a:2026-10", 1, "auto")
            + &line(
                "o1",
                "2026-10-31T09:00:05Z",
                "\"outcome\",\"intent\":\"a1\",\"status\":\"failed\",\"error\":\"13800138000 is barred\"",
            );
        let dir = home(&cfg, &log);
        ok(dir.path(), &["tick"]);
        let text = std::fs::read_to_string(&seen).expect("the notifier ran");
        assert!(text.lines().count() >= 2, "{text}");
        assert_eq!(text.contains("13800138000"), want_full, "{mask:?}: {text}");
        if !want_full {
            assert!(text.contains("+86 138 •••• 8000"), "{text}");
        }
    }
}

// ------------------------------------------------------------------------------------- 1. currency

#[test]
fn a_number_with_history_keeps_its_currency() {
    let auto = MONTHLY.replace("\"remind\"", "\"auto\"");
    let log = line(
        "b",
        "2026-11-01T00:00:00Z",
        "\"balance\",\"balance_minor\":500,\"currency\":\"CNY\"",
    );
    let cny = config(&format!("[{auto}]"), r#"{"kind":"demo"}"#);
    let jpy = cny.replace("\"currency\":\"CNY\"", "\"currency\":\"JPY\"");
    let dir = home(&jpy, &log);
    for args in [&["status"][..], &["tick"], &["record", "v", "1000"]] {
        let said = refused(dir.path(), args);
        assert!(
            said.contains("keeps CNY") && said.contains("add a new number"),
            "{said}"
        );
        assert!(said.contains("numbers[0].currency"), "{said}");
    }
    let o = run(dir.path(), &["validate"]);
    assert!(!o.status.success());
    assert!(out(&o).contains("keeps CNY"), "{}", out(&o));
    let text = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    assert!(!text.contains("intent"), "nothing was charged: {text}");
    // Without history the currency may change.
    let dir = home(&jpy, "");
    ok(dir.path(), &["validate"]);
}

// ------------------------------------------------------------------------------------- 5. forecast

#[test]
fn an_open_low_balance_reminder_is_counted_once() {
    let low = r#"{"id":"low","mode":"remind","amount":"10","trigger":{"kind":"low_balance","below":"5","cooldown_hours":24}}"#;
    let log = line(
        "b1",
        "2026-11-24T00:00:00Z",
        "\"balance\",\"balance_minor\":100,\"currency\":\"CNY\"",
    ) + &intent("i1", "2026-11-24T00:00:01Z", "low", "low:b1", 1, "remind");
    let dir = home(&config(&format!("[{low}]"), REMIND), &log);
    // The open reminder already asks for ¥10 (status says "due"); the plan must not ask for
    // another ¥10 tomorrow, when the cooldown ends and the balance still reads ¥1.
    assert!(attention(dir.path()).contains(&"due".to_string()));
    let v = json(dir.path(), &["plan", "--days", "10", "--json"]);
    assert!(
        v.as_array().unwrap().is_empty(),
        "a second top-up was planned: {v}"
    );
    // Once it is answered, the plan is as before.
    ok(dir.path(), &["record", "v", "10"]);
    let v = json(dir.path(), &["plan", "--days", "10", "--json"]);
    assert!(v.as_array().unwrap().is_empty(), "{v}");
}

#[test]
fn a_budget_that_holds_everything_says_so() {
    let auto = r#"{"id":"m","mode":"auto","amount":"10","trigger":{"kind":"monthly","day":5,"at":"09:00"}}"#;
    let cfg = config(&format!("[{auto}]"), r#"{"kind":"demo"}"#).replace(
        "\"currency\":\"CNY\"",
        "\"currency\":\"CNY\",\"monthly_budget\":\"5\"",
    );
    let dir = home(&cfg, "");
    let text = ok(dir.path(), &["plan", "--days", "60"]);
    assert!(text.contains("Nothing planned"), "{text}");
    assert!(
        text.contains("Held back by the budget")
            && text.contains("from ¥0.00 past the monthly budget of ¥5.00"),
        "{text}"
    );
    assert!(!text.contains("this month's ¥0.00 would pass"), "{text}");
}

#[test]
fn the_giffgaff_preset_added_today_is_not_due_and_says_when_to_use_it() {
    // The preset's shape (presets/presets.json), as a save writes a new number: since today.
    let keep = r#"{"id":"keepalive","mode":"remind","amount":"10","trigger":{"kind":"keep_alive","every_days":150}}"#;
    let cfg = config(&format!("[{keep}]"), REMIND)
        .replace("+8613800138000", "+447700900123")
        .replace(
            "\"currency\":\"CNY\"",
            "\"currency\":\"GBP\",\"since\":\"2026-11-25\",\"plan\":{\"keep_alive_days\":180}",
        );
    let dir = home(&cfg, "");
    ok(dir.path(), &["tick"]);
    let row = status_row(dir.path());
    assert!(!attention(dir.path()).contains(&"due".to_string()), "{row}");
    assert_eq!(row["inactive_on"], "2027-05-24");
    assert_eq!(row["next"]["at"], "2027-04-24T00:00:00+00:00");
    assert!(ok(dir.path(), &["status"]).contains("2027-05-24"));
}

// ---------------------------------------------------- a keep-alive text spends, it does not top up

#[test]
fn a_keep_alive_texts_cost_is_spent_not_put_in() {
    let config = r#"{"version":1,"timezone":"UTC","numbers":[{"id":"v","label":"V","msisdn":"+447700900123","currency":"GBP",
  "modem":{"match":"any"},"provider":{"kind":"manual"},"executor":{"kind":"remind"},
  "rules":[{"id":"ka","mode":"auto","amount":"0.10","trigger":{"kind":"keep_alive","every_days":150},
    "action":{"kind":"sms","to":"+447700900999","text":"keep alive"}}]}]}"#;
    let log = line(
        "b1",
        "2026-11-01T09:00:00Z",
        r#""balance","balance_minor":500,"currency":"GBP","source":"manual""#,
    ) + &line(
        "i1",
        "2026-11-10T09:00:00Z",
        r#""intent","rule":"ka","key":"ka:2026-11-10","attempt":1,"amount_minor":10,"currency":"GBP","mode":"auto","action":"sms""#,
    ) + &line(
        "o1",
        "2026-11-10T09:00:05Z",
        r#""outcome","intent":"i1","status":"succeeded","reference":"/org/freedesktop/ModemManager1/SMS/4""#,
    ) + &line("a1", "2026-11-10T09:00:05Z", r#""activity","intent":"i1""#);
    let dir = home(config, &log);
    // The text took 10p off what the balance should be.
    assert_eq!(
        status_row(dir.path())["expected_balance_minor"],
        490,
        "{}",
        status_row(dir.path())
    );
    let reading = line(
        "b2",
        "2026-11-12T09:00:00Z",
        r#""balance","balance_minor":490,"currency":"GBP","source":"manual""#,
    );
    std::fs::write(dir.path().join("log.jsonl"), log + &reading).unwrap();
    // The reading that follows agrees: no top-up went missing, so nothing is unverified.
    let v = json(dir.path(), &["history", "--json"]);
    let text = v
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "i1")
        .expect("the text's entry")
        .clone();
    assert_eq!(text["status"], "succeeded", "{text}");
    assert!(
        !text["flags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f == "unverified"),
        "{text}"
    );
    assert!(!attention(dir.path()).contains(&"unverified".to_string()));
    // Money did not go into the number: the journal has no posting for it.
    let ledger = ok(dir.path(), &["history", "--ledger"]);
    assert!(!ledger.contains("0.10"), "{ledger}");
}
