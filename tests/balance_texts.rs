//! Balance texts from carriers baohao has no pattern for, through the real binary: the
//! general reader finds the balance word and the money beside it, adds up the
//! parts, and passes over prices, dates and phone numbers.

mod common;

use std::path::Path;

use serde_json::Value;

const NOW: &str = "2026-11-20T10:00:00Z";

/// Prepaid numbers on carriers without presets, in five currencies.
const CONFIG: &str = r#"{"version":1,"timezone":"Europe/London","numbers":[
  {"id":"us","label":"US prepaid","msisdn":"+12025550123","carrier":"Tello","currency":"USD",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"}},
  {"id":"de","label":"Prepaid DE","msisdn":"+4915112345678","carrier":"Congstar","currency":"EUR",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"}},
  {"id":"ch","label":"Swiss","msisdn":"+41791234567","carrier":"Salt","currency":"CHF",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"}},
  {"id":"pl","label":"Polska","msisdn":"+48512345678","carrier":"Plus","currency":"PLN",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"}},
  {"id":"idn","label":"Indonesia","msisdn":"+6281234567890","carrier":"Telkomsel","currency":"IDR",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"}}]}"#;

fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), CONFIG).unwrap();
    std::fs::write(dir.path().join("log.jsonl"), "").unwrap();
    dir
}

/// Imports one text for `number`; returns what `import --json` said.
fn text(home: &Path, number: &str, body: &str) -> Value {
    let file = home.join(format!("{number}.txt"));
    std::fs::write(
        &file,
        format!("From: 12345\nDate: 2026-11-20 09:00\n\n{body}\n"),
    )
    .unwrap();
    let o = common::run(
        home,
        NOW,
        &[
            "import",
            "--format",
            "sms",
            "--number",
            number,
            "--json",
            file.to_str().unwrap(),
        ],
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn balance(home: &Path, number: &str) -> Value {
    let o = common::run(home, NOW, &["status", "--json"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == number)
        .unwrap()["balance_minor"]
        .clone()
}

#[test]
fn balances_from_carriers_without_a_pattern_are_read() {
    let h = home();
    let h = h.path();
    let cases = [
        (
            "us",
            "Current plan active until 08/10/2022 and will renew for $12.34. Account Balance $56.78.",
            5678,
        ),
        (
            "de",
            "Dein Guthaben betraegt: 10,00 EUR Startguthaben, 20,00 EUR Kaufguthaben und 40,00 EUR Geschenkguthaben.",
            7000,
        ),
        (
            "ch",
            "Ihr Guthaben beträgt CHF 12.50. Gültig bis 31.12.2026.",
            1250,
        ),
        ("pl", "Stan konta: 12,34 zł. Ważne do 31.12.2026 r.", 1234),
        (
            "idn",
            "Sisa pulsa Anda Rp 10.000. Masa aktif s.d 31-12-2026. Info 188.",
            1_000_000,
        ),
    ];
    for (number, body, want) in cases {
        let r = text(h, number, body);
        assert_eq!(r["added"], 1, "{number}: {r}");
        assert_eq!(balance(h, number), want, "{number}: {body}");
    }
}

#[test]
fn a_text_with_no_balance_gives_no_reading() {
    let h = home();
    let h = h.path();
    text(h, "us", "please call 888 for more details");
    text(
        h,
        "us",
        "Your plan renews on 12/01 for $25.00. Reply STOP to opt out.",
    );
    assert_eq!(balance(h, "us"), Value::Null);
    let log = std::fs::read_to_string(h.join("log.jsonl")).unwrap();
    assert_eq!(
        log.matches("\"type\":\"message\"").count(),
        2,
        "kept as messages: {log}"
    );
}
