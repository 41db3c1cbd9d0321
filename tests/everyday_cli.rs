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

// ---------------------------------------------------------------- issue 19 item 14

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

// ---------------------------------------------------------------- issue 19 item 15

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
