//! The command line for everyday use: phone numbers in place of ids, masked numbers, the
//! one-line status, narrow terminals, CSV for Excel, the Chinese names of the platforms.

mod common;

use common::{demo_home, run};

const NOW: &str = "2026-11-25T10:00:00Z";

fn out(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn err(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(home: &std::path::Path, args: &[&str]) -> String {
    let o = run(home, NOW, args);
    assert!(o.status.success(), "{args:?}: {}{}", out(&o), err(&o));
    out(&o)
}

// ------------------------------------------------- phone numbers checked by their country's length

#[test]
fn a_phone_number_one_digit_short_is_refused_with_the_countrys_length() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"version":1,"timezone":"UTC","numbers":[{"id":"c","label":"C","msisdn":"+86 139-1234-567","currency":"CNY",
  "provider":{"kind":"manual"},"executor":{"kind":"remind"},"rules":[]}]}"#,
    )
    .unwrap();
    let o = run(dir.path(), NOW, &["validate"]);
    let text = out(&o) + &err(&o);
    assert!(!o.status.success(), "{text}");
    assert!(
        text.contains("\"+86 139-1234-567\" has 10 digits after +86; numbers there have 11"),
        "{text}"
    );
}

#[test]
fn record_activity_and_balance_take_the_phone_number_as_well_as_the_id() {
    let dir = demo_home();
    let h = dir.path();
    let t = ok(h, &["record", "+8613800138000", "10"]);
    assert!(t.contains("cmcc"), "{t}");
    let t = ok(h, &["activity", "07700 900123"]);
    assert!(t.contains("giffgaff"), "{t}");
    let t = ok(h, &["balance", "+852 5123 4567", "100"]);
    assert!(t.contains("hk"), "{t}");
    // An unknown one is still one sentence naming the ids.
    let o = run(h, NOW, &["record", "+8613900000000", "10"]);
    assert!(!o.status.success());
    assert!(err(&o).contains("cmcc, giffgaff, hk, us"), "{}", err(&o));
}

// ------------------------------------------------------------------ masking after the country code

#[test]
fn status_masks_after_the_real_country_code() {
    let dir = demo_home();
    let t = ok(dir.path(), &["status"]);
    assert!(t.contains("+852 •••• 4567"), "{t}");
    assert!(t.contains("+1 •••-•••-0123"), "{t}");
    assert!(t.contains("+86 138 •••• 8000"), "{t}");
    assert!(t.contains("+44 •••••• 0123"), "{t}");
    assert!(!t.contains("+85•••"), "{t}");
}

// ---------------------------------------------------------------------------------- status --brief

fn width(s: &str) -> usize {
    s.chars()
        .map(|c| {
            if (c as u32) >= 0x1100 && !matches!(c, '·' | '…' | '—') {
                2
            } else {
                1
            }
        })
        .sum()
}

#[test]
fn status_brief_is_one_line_that_names_what_needs_you() {
    let dir = demo_home();
    let h = dir.path();
    let json: serde_json::Value = serde_json::from_str(&ok(h, &["status", "--json"])).unwrap();
    let needy: Vec<String> = json
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| !r["attention"].as_array().unwrap().is_empty())
        .map(|r| r["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        !needy.is_empty(),
        "the demo has something that needs a person"
    );
    let line = ok(h, &["status", "--brief"]);
    assert_eq!(line.lines().count(), 1, "{line:?}");
    assert!(line.ends_with('\n'));
    let line = line.trim_end();
    assert!(width(line) <= 80, "{line:?} is {} columns", width(line));
    assert!(
        line.starts_with(&format!("{} need you: ", needy.len())),
        "{line:?} for {needy:?}"
    );
    assert!(
        line.contains(needy[0].as_str()),
        "{line:?} names {}",
        needy[0]
    );

    // --check says the same line and exits 1, because something needs attention.
    let o = run(h, NOW, &["status", "--check"]);
    assert_eq!(o.status.code(), Some(1), "{}", err(&o));
    assert_eq!(out(&o).trim_end(), line);
    // With --json it is the JSON, still exit 1.
    let o = run(h, NOW, &["status", "--check", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(serde_json::from_str::<serde_json::Value>(&out(&o)).is_ok());

    // In Chinese too, still one line within 80 columns.
    let o = run(h, NOW, &["--lang", "zh", "status", "--brief"]);
    let zh = out(&o);
    assert_eq!(zh.lines().count(), 1, "{zh:?}");
    assert!(zh.contains("个需要处理"), "{zh:?}");
    assert!(width(zh.trim_end()) <= 80, "{zh:?}");
}

#[test]
fn status_brief_names_the_next_recharge_when_all_is_well_and_check_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let h = dir.path();
    std::fs::write(
        h.join("config.json"),
        r#"{"version":1,"timezone":"Asia/Shanghai","numbers":[
  {"id":"cmcc","label":"移动","msisdn":"+8613800138000","currency":"CNY",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"},
   "rules":[{"id":"m","mode":"remind","amount":"10","trigger":{"kind":"monthly","day":28,"at":"09:00"}}]},
  {"id":"cu","label":"联通","msisdn":"+8613100131000","currency":"CNY",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"},
   "rules":[{"id":"m","mode":"remind","amount":"20","trigger":{"kind":"monthly","day":30,"at":"09:00"}}]}]}"#,
    )
    .unwrap();
    std::fs::write(h.join("log.jsonl"), "").unwrap();
    ok(h, &["balance", "cmcc", "50"]);
    ok(h, &["balance", "cu", "50"]);
    let json: serde_json::Value = serde_json::from_str(&ok(h, &["status", "--json"])).unwrap();
    for r in json.as_array().unwrap() {
        assert_eq!(r["attention"], serde_json::json!([]), "{r}");
    }
    let line = ok(h, &["status", "--brief"]);
    assert_eq!(line, "2 numbers ok · next: cmcc ¥10.00 on 11-28\n");
    let o = run(h, NOW, &["status", "--check"]);
    assert_eq!(o.status.code(), Some(0), "{}", err(&o));
    assert_eq!(out(&o), line);
    let zh = out(&run(h, NOW, &["--lang", "zh", "status", "--brief"]));
    assert_eq!(zh, "2 个号码正常 · 下次：cmcc ¥10.00，11-28\n");
}
