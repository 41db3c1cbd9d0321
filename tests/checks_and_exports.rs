//! Checks and exports through the real binary: verification and duplicate flags on crafted logs,
//! notifications once per event across restarts (and a hanging notifier that never blocks
//! a recharge), the forecast against a hand-computed year, and the exports read back.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn run(home: &Path, now: &str, extra_env: &[(&str, &Path)], args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_baohao"));
    c.arg("--home")
        .arg(home)
        .args(args)
        .env("BAOHAO_NOW", now)
        .env("LANG", "C.UTF-8")
        .env_remove("LC_ALL");
    for (k, v) in extra_env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn ok(home: &Path, now: &str, args: &[&str]) -> String {
    let o = run(home, now, &[], args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn write_home(config: &str, log: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), config).unwrap();
    std::fs::write(dir.path().join("log.jsonl"), log).unwrap();
    dir
}

fn line(id: &str, at: &str, kind_and_fields: &str) -> String {
    format!(
        "{{\"v\":1,\"id\":\"{id}\",\"at\":\"{at}\",\"number\":\"v\",\"type\":{kind_and_fields}}}\n"
    )
}

const ONE_NUMBER: &str = r#"{"version":1,"timezone":"UTC","numbers":[{"id":"v","label":"V","msisdn":"+8613800138000","currency":"CNY",
  "provider":{"kind":"manual"},"executor":{"kind":"remind"},"rules":[]}]}"#;

fn flags_by_id(home: &Path, now: &str) -> BTreeMap<String, Vec<String>> {
    let v: serde_json::Value =
        serde_json::from_str(&ok(home, now, &["history", "--json"])).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["id"].as_str().unwrap().to_string(),
                e["flags"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f.as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn verification_and_duplicate_flags_on_crafted_logs() {
    let mut log = String::new();
    // A rise of the full amount: verified.
    log += &line(
        "b0",
        "2026-03-01T00:00:00Z",
        r#""balance","balance_minor":100,"currency":"CNY","source":"t""#,
    );
    log += &line(
        "rise",
        "2026-03-01T01:00:00Z",
        r#""manual","amount_minor":1000,"currency":"CNY""#,
    );
    log += &line(
        "b1",
        "2026-03-01T02:00:00Z",
        r#""balance","balance_minor":1100,"currency":"CNY","source":"t""#,
    );
    // No rise within 48 hours: unverified.
    log += &line(
        "norise",
        "2026-03-05T00:00:00Z",
        r#""manual","amount_minor":500,"currency":"CNY""#,
    );
    log += &line(
        "b2",
        "2026-03-05T01:00:00Z",
        r#""balance","balance_minor":1099,"currency":"CNY","source":"t""#,
    );
    // A rise under the tolerance (needs 900 of 1000 at 10 %; 850 came): unverified.
    log += &line(
        "under",
        "2026-03-10T00:00:00Z",
        r#""manual","amount_minor":1000,"currency":"CNY""#,
    );
    log += &line(
        "b3",
        "2026-03-10T01:00:00Z",
        r#""balance","balance_minor":1949,"currency":"CNY","source":"t""#,
    );
    // Just within the tolerance (900 of 1000): verified.
    log += &line(
        "within",
        "2026-03-15T00:00:00Z",
        r#""manual","amount_minor":1000,"currency":"CNY""#,
    );
    log += &line(
        "b4",
        "2026-03-15T01:00:00Z",
        r#""balance","balance_minor":2849,"currency":"CNY","source":"t""#,
    );
    // The rise shows only after 48 hours: unverified.
    log += &line(
        "late",
        "2026-03-20T00:00:00Z",
        r#""manual","amount_minor":1000,"currency":"CNY""#,
    );
    log += &line(
        "b5",
        "2026-03-22T01:00:00Z",
        r#""balance","balance_minor":3849,"currency":"CNY","source":"t""#,
    );
    // Two top-ups of the same amount within a day, no rule asking: the second is flagged.
    log += &line(
        "d1",
        "2026-03-25T00:00:00Z",
        r#""manual","amount_minor":300,"currency":"CNY""#,
    );
    log += &line(
        "d2",
        "2026-03-25T20:00:00Z",
        r#""manual","amount_minor":300,"currency":"CNY""#,
    );
    log += &line(
        "b6",
        "2026-03-26T01:00:00Z",
        r#""balance","balance_minor":4449,"currency":"CNY","source":"t""#,
    );
    let home = write_home(ONE_NUMBER, &log);
    let now = "2026-04-01T00:00:00Z";
    let flags = flags_by_id(home.path(), now);
    assert_eq!(flags["rise"], ["verified"]);
    assert_eq!(flags["norise"], ["unverified"]);
    assert_eq!(flags["under"], ["unverified"]);
    assert_eq!(flags["within"], ["verified"]);
    assert_eq!(flags["late"], ["unverified"]);
    assert_eq!(flags["d1"], ["verified"]);
    assert_eq!(flags["d2"], ["verified", "possible_duplicate"]);
    // Within 48 hours and no reading yet: neither verdict.
    let early = flags_by_id(home.path(), "2026-03-05T00:30:00Z");
    assert_eq!(early["norise"], Vec::<String>::new());
    // A per-number tolerance of 20 % lets "under" through.
    let loose = ONE_NUMBER.replace(
        "\"currency\":\"CNY\",",
        "\"currency\":\"CNY\",\"verify_tolerance\":20,",
    );
    std::fs::write(home.path().join("config.json"), loose).unwrap();
    assert_eq!(flags_by_id(home.path(), now)["under"], ["verified"]);
    let status: serde_json::Value =
        serde_json::from_str(&ok(home.path(), now, &["status", "--json"])).unwrap();
    assert!(
        status[0]["attention"]
            .as_array()
            .unwrap()
            .contains(&"unverified".into())
    );
}

fn notify_config(notify_timeout: u64) -> String {
    format!(
        r#"{{"version":1,"timezone":"UTC",
      "notify":{{"program":"{}","timeout_secs":{notify_timeout},"events":["reminder_due","recharge_failed","in_doubt","low_balance","deadline_near","unverified"]}},
      "numbers":[
       {{"id":"r","label":"Reminded","msisdn":"+8613800138000","currency":"CNY","provider":{{"kind":"manual"}},"executor":{{"kind":"remind"}},
        "rules":[{{"id":"m","mode":"remind","amount":"10","trigger":{{"kind":"monthly","day":1,"at":"00:00"}}}}]}},
       {{"id":"x","label":"Charged","msisdn":"+447700900001","currency":"GBP",
        "provider":{{"kind":"manual"}},"executor":{{"kind":"command","program":"{}","timeout_secs":5}},
        "rules":[{{"id":"m","mode":"auto","amount":"5","trigger":{{"kind":"monthly","day":1,"at":"00:00"}}}}]}}]}}"#,
        fixtures().join("fake-notify.sh").display(),
        fixtures().join("fake-executor.sh").display()
    )
}

#[test]
fn notifications_are_sent_once_across_restarts() {
    let fake = tempfile::tempdir().unwrap();
    let home = fake.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(home.join("config.json"), notify_config(5)).unwrap();
    std::fs::write(fake.path().join("executor-status"), "failed").unwrap();
    let env = [("FAKE_DIR", fake.path())];
    for t in [
        "2026-01-02T00:00:00Z",
        "2026-01-02T00:01:00Z",
        "2026-01-02T00:02:00Z",
    ] {
        let o = run(&home, t, &env, &["tick"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let sent = std::fs::read_to_string(fake.path().join("notified")).unwrap();
    let reminders = sent
        .lines()
        .filter(|l| l.starts_with("notify reminder_due r "))
        .count();
    let failures = sent
        .lines()
        .filter(|l| l.starts_with("notify recharge_failed x "))
        .count();
    assert_eq!(reminders, 1, "{sent}");
    assert_eq!(failures, 1, "one failed key, said once: {sent}");
    assert!(
        // Masked: notifications go to third parties.
        sent.contains("Top up Reminded (+86 138 •••• 8000) with ¥10.00"),
        "{sent}"
    );
}

#[test]
fn a_hanging_notifier_never_blocks_a_recharge_and_is_said_once() {
    let fake = tempfile::tempdir().unwrap();
    let home = fake.path().join("home");
    std::fs::create_dir(&home).unwrap();
    std::fs::write(home.join("config.json"), notify_config(1)).unwrap();
    std::fs::write(fake.path().join("notify-sleep"), "30").unwrap();
    let env = [("FAKE_DIR", fake.path())];
    let t = Instant::now();
    let o = run(&home, "2026-01-02T00:00:00Z", &env, &["tick"]);
    assert!(o.status.success());
    assert!(
        t.elapsed() < Duration::from_secs(20),
        "took {:?}",
        t.elapsed()
    );
    let log = std::fs::read_to_string(home.join("log.jsonl")).unwrap();
    assert!(
        log.contains("\"type\":\"outcome\""),
        "the recharge ran and was recorded"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(
        err.matches("notify command failed for reminder_due")
            .count(),
        1,
        "{err}"
    );
    // Tried once: the next pass does not try the same alert again.
    let o = run(&home, "2026-01-02T00:05:00Z", &env, &["tick"]);
    assert!(!String::from_utf8_lossy(&o.stderr).contains("reminder_due"));
}

#[test]
fn the_forecast_matches_a_year_computed_by_hand() {
    let config = r#"{"version":1,"timezone":"UTC","numbers":[
      {"id":"a","label":"A","msisdn":"+8613800138000","currency":"CNY","plan":{"monthly_fee":"8.00"},
       "provider":{"kind":"manual"},"executor":{"kind":"remind"},
       "rules":[{"id":"m","mode":"remind","amount":"10","trigger":{"kind":"monthly","day":5,"at":"09:00"}}]},
      {"id":"b","label":"B","msisdn":"+447700900001","currency":"GBP","plan":{"keep_alive_days":180},
       "provider":{"kind":"manual"},"executor":{"kind":"demo"},
       "rules":[{"id":"k","mode":"auto","amount":"10","trigger":{"kind":"keep_alive","every_days":100}}]},
      {"id":"c","label":"C","msisdn":"+85251234567","currency":"HKD","plan":{"validity_days":180},
       "provider":{"kind":"manual"},"executor":{"kind":"demo"},
       "rules":[{"id":"e","mode":"auto","amount":"50","trigger":{"kind":"before_expiry","days":14}}]},
      {"id":"d","label":"D","msisdn":"+12025550123","currency":"USD","plan":{"monthly_fee":"10.00"},
       "provider":{"kind":"manual"},"executor":{"kind":"demo"},
       "rules":[{"id":"l","mode":"auto","amount":"15","trigger":{"kind":"low_balance","below":"5.00","cooldown_hours":24}}]}]}"#;
    let log = [
        r#"{"v":1,"id":"1","at":"2026-11-20T12:00:00Z","number":"b","type":"activity"}"#,
        r#"{"v":1,"id":"2","at":"2026-11-20T12:00:00Z","number":"c","type":"balance","balance_minor":8000,"currency":"HKD","validity_until":"2027-01-31","source":"t"}"#,
        r#"{"v":1,"id":"3","at":"2026-11-20T12:00:00Z","number":"d","type":"balance","balance_minor":1800,"currency":"USD","source":"t"}"#,
    ]
    .join("\n")
        + "\n";
    let home = write_home(config, &log);
    let v: serde_json::Value = serde_json::from_str(&ok(
        home.path(),
        "2026-11-25T10:00:00Z",
        &["plan", "--days", "365", "--json"],
    ))
    .unwrap();
    let items = v.as_array().unwrap();
    let of = |n: &str| {
        items
            .iter()
            .filter(|i| i["number"] == n)
            .collect::<Vec<_>>()
    };
    let total = |n: &str| {
        of(n)
            .iter()
            .map(|i| i["amount_minor"].as_i64().unwrap())
            .sum::<i64>()
    };
    // A: November's reminder was never issued and is due now (caught up inside its month),
    // then the 5th of each month from December to November: 13 × ¥10.
    assert_eq!(of("a").len(), 13);
    assert_eq!(total("a"), 13_000);
    assert_eq!(of("a")[0]["at"], "2026-11-25T10:00:00+00:00");
    assert_eq!(of("a")[1]["at"], "2026-12-05T09:00:00+00:00");
    assert_eq!(of("a")[12]["at"], "2027-11-05T09:00:00+00:00");
    // B: 100 days after the last activity, then 100 days after each top-up.
    let b: Vec<&str> = of("b").iter().map(|i| i["at"].as_str().unwrap()).collect();
    assert_eq!(
        b,
        [
            "2027-02-28T00:00:00+00:00",
            "2027-06-08T00:00:00+00:00",
            "2027-09-16T00:00:00+00:00"
        ]
    );
    assert_eq!(total("b"), 3_000);
    // C: 14 days before 2027-01-31, then 14 days before the extended validity (07-16).
    let c: Vec<(&str, bool)> = of("c")
        .iter()
        .map(|i| (i["at"].as_str().unwrap(), i["estimated"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        c,
        [
            ("2027-01-17T00:00:00+00:00", false),
            ("2027-07-02T00:00:00+00:00", true)
        ]
    );
    // D: $18, less $10 each 1st; under $5 it tops up $15: Jan, Feb, Apr, May, Jul, Aug, Oct, Nov.
    let d: Vec<&str> = of("d")
        .iter()
        .map(|i| &i["at"].as_str().unwrap()[..7])
        .collect();
    assert_eq!(
        d,
        [
            "2027-01", "2027-02", "2027-04", "2027-05", "2027-07", "2027-08", "2027-10", "2027-11"
        ]
    );
    assert!(of("d").iter().all(|i| i["estimated"] == true));
    assert_eq!(total("d"), 12_000);
    let human = ok(
        home.path(),
        "2026-11-25T10:00:00Z",
        &["plan", "--days", "365"],
    );
    assert!(
        human.contains("¥130.00")
            && human.contains("£30.00")
            && human.contains("HK$100.00")
            && human.contains("$120.00"),
        "{human}"
    );
}

/// Sums a ledger journal's postings per account and commodity (the subset baohao writes:
/// `DATE [*] DESCRIPTION`, then postings `    ACCOUNT    AMOUNT CODE` or an elided one).
fn journal_totals(text: &str) -> BTreeMap<(String, String), i64> {
    let mut totals = BTreeMap::new();
    let mut in_txn = false;
    let mut balance: BTreeMap<String, i64> = BTreeMap::new();
    for l in text.lines() {
        if l.trim().is_empty() || l.starts_with(';') {
            assert!(
                balance.values().all(|v| *v == 0) || !in_txn,
                "unbalanced before: {l}"
            );
            in_txn = false;
            continue;
        }
        if !l.starts_with(' ') {
            assert!(
                chrono::NaiveDate::parse_from_str(&l[..10], "%Y-%m-%d").is_ok(),
                "bad date line: {l}"
            );
            in_txn = true;
            balance.clear();
            continue;
        }
        let parts: Vec<&str> = l.split_whitespace().collect();
        match parts.as_slice() {
            [account, amount, code] => {
                let (int, frac) = amount.split_once('.').unwrap_or((amount, ""));
                let minor: i64 = format!("{int}{frac}").parse().unwrap();
                *totals
                    .entry((account.to_string(), code.to_string()))
                    .or_insert(0) += minor;
                *balance.entry(code.to_string()).or_insert(0) += minor;
            }
            [account] => {
                for (code, v) in std::mem::take(&mut balance) {
                    *totals.entry((account.to_string(), code)).or_insert(0) -= v;
                }
            }
            _ => panic!("unexpected posting: {l}"),
        }
    }
    totals
}

fn demo_home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), "2026-11-25T10:00:00Z", &["init", "--demo"]);
    dir
}

#[test]
fn the_ledger_export_balances_and_matches_baohao_totals() {
    let home = demo_home();
    let now = "2026-11-25T10:00:00Z";
    let journal = ok(home.path(), now, &["history", "--ledger"]);
    let totals = journal_totals(&journal);
    let v: serde_json::Value =
        serde_json::from_str(&ok(home.path(), now, &["history", "--json"])).unwrap();
    let mut ours: BTreeMap<(String, String), i64> = BTreeMap::new();
    for e in v.as_array().unwrap() {
        let spend =
            e["kind"] == "manual" || (e["kind"] == "recharge" && e["status"] == "succeeded");
        if spend {
            *ours
                .entry((
                    format!("expenses:phone:{}", e["number"].as_str().unwrap()),
                    e["currency"].as_str().unwrap().to_string(),
                ))
                .or_insert(0) += e["amount_minor"].as_i64().unwrap();
        }
    }
    for (k, v) in &ours {
        assert_eq!(totals.get(k), Some(v), "{k:?}");
    }
    assert!(ours.len() >= 4);
    // And the real tools, where they are installed (CI installs hledger and ledger).
    let file = home.path().join("journal.ledger");
    std::fs::write(&file, &journal).unwrap();
    match Command::new("hledger")
        .arg("-f")
        .arg(&file)
        .arg("check")
        .output()
    {
        Ok(o) => {
            assert!(
                o.status.success(),
                "hledger check: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            let bal = Command::new("hledger")
                .arg("-f")
                .arg(&file)
                .args(["bal", "expenses:phone:cmcc", "-N", "--flat"])
                .output()
                .unwrap();
            let text = String::from_utf8_lossy(&bal.stdout);
            let cmcc = ours[&("expenses:phone:cmcc".to_string(), "CNY".to_string())];
            assert!(
                text.contains(&format!("{}.{:02} CNY", cmcc / 100, cmcc % 100)),
                "{text}"
            );
        }
        Err(_) => eprintln!(
            "hledger is not installed: skipped the hledger check (the Rust parser above still ran)"
        ),
    }
    match Command::new("ledger")
        .arg("-f")
        .arg(&file)
        .arg("bal")
        .output()
    {
        Ok(o) => assert!(
            o.status.success() && o.stderr.is_empty(),
            "ledger: {}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(_) => eprintln!("ledger is not installed: skipped the ledger check"),
    }
}

#[test]
fn the_ical_export_parses_back_to_the_plan() {
    let home = demo_home();
    let now = "2026-11-25T10:00:00Z";
    let ics = ok(home.path(), now, &["plan", "--days", "365", "--ical"]);
    assert!(
        ics.lines().all(|l| l.len() <= 76),
        "lines are folded at 75 octets"
    );
    assert!(ics.contains("\r\n"), "CRLF line ends");
    // Unfold (a CRLF followed by a space continues the line), then read the events.
    let unfolded = ics.replace("\r\n ", "");
    let lines: Vec<&str> = unfolded.split("\r\n").collect();
    assert_eq!(lines.first(), Some(&"BEGIN:VCALENDAR"));
    let mut events = Vec::new();
    let mut current: Option<BTreeMap<String, String>> = None;
    for l in &lines {
        match *l {
            "BEGIN:VEVENT" => current = Some(BTreeMap::new()),
            "END:VEVENT" => events.push(current.take().unwrap()),
            _ => {
                if let (Some(ev), Some((k, v))) = (current.as_mut(), l.split_once(':')) {
                    ev.entry(k.to_string()).or_insert_with(|| v.to_string());
                }
            }
        }
    }
    let plan: serde_json::Value =
        serde_json::from_str(&ok(home.path(), now, &["plan", "--days", "365", "--json"])).unwrap();
    let plan = plan.as_array().unwrap();
    assert_eq!(events.len(), plan.len());
    for (ev, p) in events.iter().zip(plan) {
        let at = chrono::DateTime::parse_from_rfc3339(p["at"].as_str().unwrap())
            .unwrap()
            .with_timezone(&chrono::Utc);
        assert_eq!(ev["DTSTART"], at.format("%Y%m%dT%H%M%SZ").to_string());
        assert!(ev["SUMMARY"].starts_with("Top up"));
        assert!(ev.contains_key("UID") && ev.contains_key("DTSTAMP"));
    }
    assert_eq!(unfolded.matches("BEGIN:VALARM").count(), plan.len());
    let o = run(
        home.path(),
        now,
        &[],
        &["plan", "--ical", "--output", "/proc/version/calendar.ics"],
    );
    assert!(!o.status.success());
    assert_eq!(String::from_utf8_lossy(&o.stderr).lines().count(), 1);
}
