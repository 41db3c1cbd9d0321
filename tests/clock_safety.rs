//! Issue 18, items 1 and 2, through the real binary: a clock that runs backwards never
//! charges a past period, and an old reading imported today never acts as the present one.

mod common;

use std::path::Path;

use common::run;

const CLOCK_CONFIG: &str = r#"{"version":1,"timezone":"Asia/Shanghai","numbers":[
  {"id":"d","label":"Demo","msisdn":"+8613800138000","currency":"CNY",
   "provider":{"kind":"manual"},"executor":{"kind":"demo"},
   "rules":[{"id":"m","mode":"auto","amount":"10","trigger":{"kind":"monthly","day":1,"at":"00:00"}}]}]}"#;

fn home_with(config: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), config).unwrap();
    dir
}

/// The keys of every intent in the log, in log order.
fn intent_keys(home: &Path) -> Vec<String> {
    let log = std::fs::read_to_string(home.join("log.jsonl")).unwrap_or_default();
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["type"] == "intent")
        .map(|v| v["key"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn tick(home: &Path, now: &str) -> String {
    let o = run(home, now, &["tick"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn attention(home: &Path, now: &str) -> Vec<String> {
    let o = run(home, now, &["status", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v[0]["attention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_clock_that_runs_backwards_charges_no_past_period() {
    let home = home_with(CLOCK_CONFIG);
    let h = home.path();
    // 2026-12-01 00:00:10 in Shanghai: December is due and charged.
    tick(h, "2026-11-30T16:00:10Z");
    assert_eq!(intent_keys(h), ["m:2026-12"]);

    // Ten days back: November is a passed period, never charged; said on stderr.
    let err = tick(h, "2026-11-20T00:00:00Z");
    assert_eq!(intent_keys(h), ["m:2026-12"], "{err}");
    assert!(err.contains("clock is behind"), "{err}");
    assert!(
        attention(h, "2026-11-20T00:00:00Z").contains(&"clock_behind".to_string()),
        "status --json says clock_behind"
    );

    // A Raspberry Pi without a clock battery at boot.
    let err = tick(h, "1970-01-02T00:00:00Z");
    assert_eq!(intent_keys(h), ["m:2026-12"], "{err}");
    assert!(err.contains("clock is behind"), "{err}");

    // Within the tolerance, but the period ended before the newest time in the log.
    tick(h, "2026-11-30T15:55:00Z");
    assert_eq!(intent_keys(h), ["m:2026-12"]);

    // The clock is right again: it resumes by itself, and says nothing about the clock.
    let err = tick(h, "2026-12-31T16:00:10Z");
    assert_eq!(intent_keys(h), ["m:2026-12", "m:2027-01"]);
    assert!(!err.contains("clock is behind"), "{err}");
    assert!(!attention(h, "2026-12-31T16:00:10Z").contains(&"clock_behind".to_string()));
}

#[test]
fn times_from_imported_texts_never_stop_recharges() {
    // A text dated next year is not baohao's own clock: December is still charged.
    let home = home_with(CLOCK_CONFIG);
    let h = home.path();
    std::fs::write(
        h.join("log.jsonl"),
        concat!(
            r#"{"v":1,"id":"imp-1","at":"2027-06-01T10:00:00+08:00","number":"d","type":"balance","balance_minor":4000,"currency":"CNY","source":"sms"}"#,
            "\n",
            r#"{"v":1,"id":"imp-2","at":"2027-06-02T10:00:00+08:00","number":"d","type":"statement","source":"alipay","ref":"r1","amount_minor":1000,"currency":"CNY","text":"top up"}"#,
            "\n",
        ),
    )
    .unwrap();
    let err = tick(h, "2026-11-30T16:00:10Z");
    assert_eq!(intent_keys(h), ["m:2026-12"], "{err}");
    assert!(!err.contains("clock is behind"), "{err}");
}

/// A demo number read by hand, with an auto low-balance rule (issue 18 item 2).
const LOW_CONFIG: &str = r#"{"version":1,"timezone":"UTC","numbers":[
  {"id":"d","label":"Demo","msisdn":"+12025550123","currency":"USD",
   "provider":{"kind":"manual"},"executor":{"kind":"demo"},
   "rules":[{"id":"low","mode":"auto","amount":"15.00","trigger":{"kind":"low_balance","below":"5.00","cooldown_hours":24}}]}]}"#;

/// Every intent in the log as (key, mode), and how many outcomes it holds.
fn intents_and_outcomes(home: &Path) -> (Vec<(String, String)>, usize) {
    let log = std::fs::read_to_string(home.join("log.jsonl")).unwrap_or_default();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let intents = lines
        .iter()
        .filter(|v| v["type"] == "intent")
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (s("key"), s("mode"))
        })
        .collect();
    let outcomes = lines.iter().filter(|v| v["type"] == "outcome").count();
    (intents, outcomes)
}

fn ok(home: &Path, now: &str, args: &[&str]) -> String {
    let o = run(home, now, args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Imports one carrier text dated `date` for number `d`.
fn import_text(home: &Path, now: &str, date: &str, text: &str) {
    let file = home.join("text.txt");
    std::fs::write(&file, format!("From: carrier\nDate: {date}\n{text}\n")).unwrap();
    let out = ok(
        home,
        now,
        &[
            "import",
            "--format",
            "sms",
            "--number",
            "d",
            "--json",
            file.to_str().unwrap(),
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["added"], 1, "{out}");
}

fn status_of(home: &Path, now: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(&ok(home, now, &["status", "--json"])).unwrap();
    v[0].clone()
}

#[test]
fn an_old_reading_imported_today_is_history_not_the_balance() {
    let home = home_with(LOW_CONFIG);
    let h = home.path();
    let now = "2026-11-20T10:00:00Z";
    ok(h, now, &["balance", "d", "40.00"]);
    import_text(
        h,
        "2026-11-20T11:00:00Z",
        "2026-06-01 12:00:00",
        "Your balance is $1.00.",
    );
    // A reading typed in with an earlier date is history too.
    ok(
        h,
        "2026-11-20T11:30:00Z",
        &["balance", "d", "2.00", "--at", "2026-11-19"],
    );
    let now = "2026-11-20T12:00:00Z";
    let s = status_of(h, now);
    assert_eq!(s["balance_minor"], 4000, "{s}");
    assert_eq!(s["observed_at"], "2026-11-20T10:00:00+00:00", "{s}");
    let attention = s["attention"].as_array().unwrap();
    assert!(!attention.iter().any(|a| a == "low"), "{s}");
    tick(h, now);
    assert_eq!(intents_and_outcomes(h), (vec![], 0), "nothing charged");
    // The old readings are in the trend at their own times, oldest first.
    let hist: serde_json::Value =
        serde_json::from_str(&ok(h, now, &["history", "--json"])).unwrap();
    let balances: Vec<(String, i64)> = hist
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "balance")
        .map(|e| {
            (
                e["at"].as_str().unwrap()[..10].to_string(),
                e["amount_minor"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(balances.len(), 3, "{hist}");
}

#[test]
fn a_stale_low_reading_raises_a_reminder_instead_of_charging() {
    // The only reading is an old text: it is the balance, but too old to charge on.
    let home = home_with(LOW_CONFIG);
    let h = home.path();
    import_text(
        h,
        "2026-11-20T11:00:00Z",
        "2026-06-01 12:00:00",
        "Your balance is $1.00.",
    );
    let now = "2026-11-20T12:00:00Z";
    tick(h, now);
    let (intents, outcomes) = intents_and_outcomes(h);
    assert_eq!(intents.len(), 1, "{intents:?}");
    assert_eq!(
        intents[0].1, "remind",
        "a reminder, not a charge: {intents:?}"
    );
    assert_eq!(outcomes, 0, "the executor never ran");

    // A fresh low reading by hand is charged.
    let home = home_with(LOW_CONFIG);
    let h = home.path();
    ok(h, "2026-11-20T11:00:00Z", &["balance", "d", "1.00"]);
    tick(h, now);
    let (intents, outcomes) = intents_and_outcomes(h);
    assert_eq!(intents.len(), 1, "{intents:?}");
    assert_eq!(intents[0].1, "auto", "{intents:?}");
    assert_eq!(outcomes, 1);

    // A reading typed in two days late is stale for a manual provider (24 h).
    let home = home_with(LOW_CONFIG);
    let h = home.path();
    ok(
        h,
        "2026-11-20T11:00:00Z",
        &["balance", "d", "1.00", "--at", "2026-11-18"],
    );
    tick(h, now);
    let (intents, outcomes) = intents_and_outcomes(h);
    assert_eq!(
        intents.iter().map(|i| i.1.as_str()).collect::<Vec<_>>(),
        ["remind"]
    );
    assert_eq!(outcomes, 0);
}
