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
