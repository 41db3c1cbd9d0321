//! `baohao import` and external rules through the real binary on temporary homes.

use std::path::Path;

#[path = "common/statements.rs"]
mod statements;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import");

const CONFIG: &str = r#"{"version":1,"timezone":"Asia/Shanghai","numbers":[
  {"id":"cmcc","label":"移动保号卡","msisdn":"+8613800138000","carrier":"China Mobile","currency":"CNY",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"},
   "rules":[{"id":"alipay","mode":"external","via":"支付宝自动充值","amount":"50.00",
             "trigger":{"kind":"monthly","day":1,"at":"00:00"}}]},
  {"id":"cu","label":"联通","msisdn":"+8613012345678","carrier":"China Unicom","currency":"CNY",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"}},
  {"id":"gg","label":"giffgaff","msisdn":"+447700900123","carrier":"giffgaff","currency":"GBP",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"}}],
 "import":{"csv":{"date":"Date","amount":"Amount","description":"Details","reference":"Ref","date_format":"%d/%m/%Y"}}}"#;

fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), CONFIG).unwrap();
    std::fs::write(dir.path().join("log.jsonl"), "").unwrap();
    dir
}

fn baohao_at(home: &Path, now: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baohao"));
    cmd.arg("--home")
        .arg(home)
        .args(args)
        .current_dir(FIX)
        .env("BAOHAO_NOW", now)
        .env("LANG", "C.UTF-8")
        .env_remove("BAOHAO_HOME")
        .env_remove("LC_ALL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("the binary runs");
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        if let Some(bytes) = stdin {
            input.write_all(bytes).unwrap();
        }
    }
    child.wait_with_output().unwrap()
}

const NOW: &str = "2026-12-01T02:00:00Z";

fn ok(home: &Path, now: &str, args: &[&str]) -> String {
    let o = baohao_at(home, now, args, None);
    assert!(
        o.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(home: &Path, now: &str, args: &[&str]) -> Value {
    serde_json::from_str(&ok(home, now, args)).expect("JSON output")
}

fn log(home: &Path) -> String {
    std::fs::read_to_string(home.join("log.jsonl")).unwrap()
}

fn refused(home: &Path, args: &[&str], says: &[&str]) {
    let before = log(home);
    let o = baohao_at(home, NOW, args, None);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert!(!o.status.success(), "{args:?} should be refused");
    assert_eq!(err.trim_end().lines().count(), 1, "one sentence: {err:?}");
    for s in says {
        assert!(err.contains(s), "{err:?} should say {s:?}");
    }
    assert_eq!(log(home), before, "nothing appended");
}

#[test]
fn importing_a_statement_twice_adds_it_once() {
    let h = home();
    let first = json(h.path(), NOW, &["import", "--json", "alipay.csv"]);
    assert_eq!(first["added"], 3, "{first}");
    assert_eq!(first["already"], 0);
    assert_eq!(first["unmatched"].as_array().unwrap().len(), 1);
    assert_eq!(first["skipped"].as_array().unwrap().len(), 1);
    assert!(first["skipped"][0].as_str().unwrap().contains("交易关闭"));
    let lines = log(h.path());
    let again = json(
        h.path(),
        NOW,
        &["import", "--json", "--format", "alipay", "alipay.csv"],
    );
    assert_eq!(again["added"], 0);
    assert_eq!(again["already"], 3);
    assert_eq!(log(h.path()), lines);
}

#[test]
fn dry_run_changes_nothing() {
    let h = home();
    let r = json(
        h.path(),
        NOW,
        &["import", "--dry-run", "--json", "wechat.csv"],
    );
    assert_eq!(r["added"], 3, "{r}");
    assert_eq!(log(h.path()), "");
    let text = ok(h.path(), NOW, &["import", "--dry-run", "wechat.xlsx"]);
    assert!(text.contains("would add 3"), "{text}");
    assert_eq!(log(h.path()), "");
}

#[test]
fn standard_input_and_number_assignment() {
    let h = home();
    let bytes = std::fs::read(format!("{FIX}/sms.txt")).unwrap();
    let o = baohao_at(
        h.path(),
        NOW,
        &[
            "import", "--format", "sms", "--number", "cmcc", "--json", "-",
        ],
        Some(&bytes),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["added"], 5, "{r}");
    let hist = json(h.path(), NOW, &["history", "--json", "--number", "cmcc"]);
    let kinds: Vec<&str> = hist
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"message"), "{kinds:?}");
    assert!(kinds.contains(&"statement"), "{kinds:?}");
    assert!(kinds.contains(&"balance"), "{kinds:?}");
    let status = json(h.path(), NOW, &["status", "--json"]);
    let cmcc = status
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "cmcc")
        .unwrap();
    assert_eq!(cmcc["balance_minor"], 3650);
}

#[test]
fn bad_input_is_refused_with_file_and_line() {
    let h = home();
    let dir = tempfile::tempdir().unwrap();
    let alipay = std::fs::read_to_string(format!("{FIX}/alipay.csv")).unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        alipay.replace("2026-11-10 10:00:00", "2026-11-99 10:00:00"),
    )
    .unwrap();
    let bad = bad.to_str().unwrap();
    // A top-up whose date does not read is that row's problem, listed with its line.
    let r = json(h.path(), NOW, &["import", "--json", "--dry-run", bad]);
    let skipped = r["skipped"].as_array().expect("skipped listed");
    assert!(
        skipped.iter().any(|s| s
            .as_str()
            .is_some_and(|s| s.starts_with("line 9: ") && s.contains("2026-11-99"))),
        "{r}"
    );
    let missing = dir.path().join("missing.csv");
    std::fs::write(&missing, alipay.replace(",金额,", ",钱,")).unwrap();
    let missing = missing.to_str().unwrap();
    refused(
        h.path(),
        &["import", missing],
        &[&format!("{missing}:5:"), "金额"],
    );
    refused(
        h.path(),
        &["import", "--format", "pdf", "alipay.csv"],
        &["pdf"],
    );
    refused(
        h.path(),
        &["import", "--number", "nope", "alipay.csv"],
        &["nope"],
    );
    refused(
        h.path(),
        &["import", "no-such-file.csv"],
        &["no-such-file.csv"],
    );
    let junk = dir.path().join("junk.bin");
    std::fs::write(&junk, [0xffu8, 0xfe, 0x00, 0x81, 0x2c, 0x0a, 0x80, 0xff]).unwrap();
    let junk = junk.to_str().unwrap();
    refused(h.path(), &["import", "--format", "alipay", junk], &[junk]);
}

fn recharge(home: &Path, now: &str) -> Value {
    json(home, now, &["history", "--json", "--number", "cmcc"])
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "recharge")
        .cloned()
        .expect("a recharge entry")
}

fn attention(home: &Path, now: &str) -> Vec<String> {
    json(home, now, &["status", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == "cmcc")
        .unwrap()["attention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn an_external_rule_is_expected_then_missed_then_settled_by_a_statement() {
    let h = home();
    // 2026-11-01 01:00 in Shanghai: the rule is due; the worker writes an intent, runs nothing.
    let due = "2026-10-31T17:00:00Z";
    ok(h.path(), due, &["tick"]);
    let l = log(h.path());
    assert_eq!(l.lines().count(), 1, "{l}");
    assert!(
        l.contains("\"type\":\"intent\"") && l.contains("\"mode\":\"external\""),
        "{l}"
    );
    ok(h.path(), due, &["tick"]);
    assert_eq!(log(h.path()), l, "one key, one intent");
    assert_eq!(recharge(h.path(), due)["status"], "expected");
    // Three days later, nothing seen: missed.
    let later = "2026-11-03T18:00:00Z";
    let r = recharge(h.path(), later);
    assert_eq!(r["status"], "missed");
    assert!(attention(h.path(), later).contains(&"missed".to_string()));
    // The Alipay statement shows it went through at 00:00:05.
    ok(h.path(), later, &["import", "alipay.csv"]);
    let r = recharge(h.path(), later);
    assert_eq!(r["status"], "succeeded", "{r}");
    assert_eq!(r["flags"], serde_json::json!(["verified"]));
    assert_eq!(r["reference"], "2026110122001400001");
    assert!(!attention(h.path(), later).contains(&"missed".to_string()));
}

#[test]
fn late_unexpected_and_resolve_through_the_binary() {
    let h = home();
    ok(h.path(), "2026-10-31T17:00:00Z", &["tick"]);
    let later = "2026-11-20T00:00:00Z";
    assert_eq!(recharge(h.path(), later)["status"], "missed");
    // WeChat: a Unicom top-up no rule expected.
    ok(h.path(), later, &["import", "wechat.csv"]);
    let all = json(
        h.path(),
        "2026-11-25T00:00:00Z",
        &["history", "--json", "--number", "cu"],
    );
    let row = &all.as_array().unwrap()[0];
    assert_eq!(row["kind"], "statement");
    assert_eq!(row["flags"], serde_json::json!(["unexpected"]));
    // The person checked Alipay and says it went through.
    let intent = recharge(h.path(), later)["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok(h.path(), later, &["resolve", &intent, "succeeded"]);
    assert_eq!(recharge(h.path(), later)["status"], "succeeded");
    assert!(!attention(h.path(), later).contains(&"missed".to_string()));
}

#[test]
fn a_late_text_marks_it_late() {
    let h = home();
    ok(h.path(), "2026-10-31T17:00:00Z", &["tick"]);
    let sms = "From: 10086\nDate: 2026-11-04 12:00:00\n【中国移动】您于2026年11月04日通过支付宝充值50.00元已到账，当前可用余额为58.00元。\n";
    let o = baohao_at(
        h.path(),
        "2026-11-05T00:00:00Z",
        &["import", "--number", "cmcc", "-"],
        Some(sms.as_bytes()),
    );
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let r = recharge(h.path(), "2026-11-05T00:00:00Z");
    assert_eq!(r["status"], "succeeded");
    assert_eq!(r["flags"], serde_json::json!(["verified", "late"]));
}

#[test]
fn an_external_rule_never_runs_the_executor() {
    use std::os::unix::fs::PermissionsExt;
    let h = tempfile::tempdir().unwrap();
    let calls = h.path().join("calls");
    let script = h.path().join("executor.sh");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\necho \"$BAOHAO_ACTION\" >> '{}'\necho '{{\"status\":\"succeeded\"}}'\n",
            calls.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o700)).unwrap();
    let config = format!(
        r#"{{"version":1,"timezone":"Asia/Shanghai","numbers":[
        {{"id":"cmcc","label":"移动","msisdn":"+8613800138000","currency":"CNY",
         "provider":{{"kind":"manual"}},"executor":{{"kind":"command","program":"{}"}},
         "rules":[{{"id":"ext","mode":"external","via":"carrier website","amount":"50.00",
                    "trigger":{{"kind":"monthly","day":1,"at":"00:00"}}}},
                  {{"id":"auto","mode":"auto","amount":"10.00",
                    "trigger":{{"kind":"monthly","day":2,"at":"00:00"}}}}]}}]}}"#,
        script.display()
    );
    std::fs::write(h.path().join("config.json"), config).unwrap();
    std::fs::write(h.path().join("log.jsonl"), "").unwrap();
    ok(h.path(), "2026-10-31T17:00:00Z", &["tick"]);
    assert!(!calls.exists(), "the executor ran for an external rule");
    assert!(log(h.path()).contains("\"mode\":\"external\""));
    // The same executor does run for the number's auto rule (the script works).
    ok(h.path(), "2026-11-01T17:00:00Z", &["tick"]);
    assert_eq!(std::fs::read_to_string(&calls).unwrap(), "recharge\n");
}

#[test]
fn thousands_of_unusable_rows_are_listed_up_to_a_cap_and_counted_exactly() {
    let h = home();
    let file = h.path().join("many.csv");
    std::fs::write(&file, statements::unusable_alipay_rows(2500, 1500, 0)).unwrap();
    let path = file.to_str().unwrap();
    let v = json(
        h.path(),
        NOW,
        &["import", "--json", "--format", "alipay", path],
    );
    let listed = |k: &str| v[k].as_array().map_or(0, Vec::len);
    assert_eq!(listed("skipped"), 1000, "{}", v["skipped_more"]);
    assert_eq!(v["skipped_more"], 1500);
    assert_eq!(listed("unmatched"), 1000);
    assert_eq!(v["unmatched_more"], 500);
    assert_eq!(listed("duplicates"), 0);
    assert_eq!(v["duplicates_more"], 0);
    assert_eq!(v["rows"], 4000, "{}", v["rows"]);
    // The table for people: the same cap, then one line saying how many more.
    let out = ok(
        h.path(),
        NOW,
        &["import", "--dry-run", "--format", "alipay", path],
    );
    assert_eq!(out.lines().filter(|l| l.contains("交易关闭")).count(), 1000);
    assert!(
        out.contains("… and 1500 more"),
        "{}",
        &out[out.len().saturating_sub(300)..]
    );
    assert!(out.contains("… and 500 more"));
}
