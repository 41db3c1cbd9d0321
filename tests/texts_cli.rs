//! Carriers' texts through the real binary: one text from two sources is one text, top-up
//! confirmations dated by the text, the carrier's signature picking the number, and a
//! possible double charge said where it is found.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;

const CONFIG: &str = r#"{"version":1,"timezone":"Asia/Shanghai","numbers":[
  {"id":"cmcc","label":"移动保号卡","msisdn":"+8613800138000","carrier":"China Mobile","currency":"CNY",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"},
   "rules":[{"id":"alipay","mode":"external","via":"支付宝自动充值","amount":"30.00",
             "trigger":{"kind":"monthly","day":1,"at":"00:00"}}]},
  {"id":"cu","label":"联通","msisdn":"+8613012345678","carrier":"China Unicom","currency":"CNY",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"}},
  {"id":"gg","label":"giffgaff","msisdn":"+447700900123","carrier":"giffgaff","currency":"GBP",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"}}]}"#;

fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), CONFIG).unwrap();
    std::fs::write(dir.path().join("log.jsonl"), "").unwrap();
    dir
}

fn run(home: &Path, now: &str, args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_baohao"))
        .arg("--home")
        .arg(home)
        .args(args)
        .env("BAOHAO_NOW", now)
        .env("LANG", "C.UTF-8")
        .env_remove("BAOHAO_HOME")
        .env_remove("LC_ALL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    {
        use std::io::Write;
        let mut input = child.stdin.take().unwrap();
        input.write_all(stdin).unwrap();
    }
    child.wait_with_output().unwrap()
}

fn ok(home: &Path, now: &str, args: &[&str], stdin: &[u8]) -> String {
    let o = run(home, now, args, stdin);
    assert!(
        o.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn import(home: &Path, now: &str, input: &str) -> Value {
    let out = ok(
        home,
        now,
        &["import", "--format", "sms", "--json", "-"],
        input.as_bytes(),
    );
    serde_json::from_str(&out).expect("JSON output")
}

fn history(home: &Path, now: &str, number: &str) -> Vec<Value> {
    let out = ok(home, now, &["history", "--json", "--number", number], b"");
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn log(home: &Path) -> String {
    std::fs::read_to_string(home.join("log.jsonl")).unwrap()
}

const NOW: &str = "2026-11-02T02:00:00Z";

const TOPUP: &str = "Thanks for topping up £10.00. Your credit balance is now £16.45.";

fn termux(body: &str, received: &str, id: u32) -> String {
    serde_json::json!([{
        "threadid": 12, "type": "inbox", "read": true, "number": "giffgaff",
        "received": received, "body": body, "_id": id
    }])
    .to_string()
}

#[test]
fn one_text_from_two_sources_is_stored_once() {
    let h = home();
    // Plain text, with a trailing space after the text.
    let plain = format!("From: giffgaff\nDate: 2026-11-01 10:00:00\n{TOPUP} \n");
    let first = import(h.path(), NOW, &plain);
    assert_eq!(
        first["added"], 2,
        "a top-up and the balance it gives: {first}"
    );
    // The same text from termux-sms-list, received a few seconds later in the same minute.
    let again = import(h.path(), NOW, &termux(TOPUP, "2026-11-01 10:00:41", 501));
    assert_eq!(again["added"], 0, "{again}");
    assert_eq!(again["already"], 2, "{again}");
    // White space differing in the middle and at the ends is the same text too.
    let spaced = "From: giffgaff\r\nDate: 2026-11-01 10:00\r\n  Thanks for topping up £10.00.\r\nYour credit balance is now £16.45.\t\r\n";
    let third = import(h.path(), NOW, spaced);
    assert_eq!(third["added"], 0, "{third}");
    let entries = history(h.path(), NOW, "gg");
    let statements: Vec<&Value> = entries
        .iter()
        .filter(|e| e["kind"] == "statement")
        .collect();
    assert_eq!(statements.len(), 1, "{entries:?}");
    assert!(
        entries.iter().all(|e| !e["flags"]
            .as_array()
            .is_some_and(|f| f.iter().any(|f| f == "possible_duplicate"))),
        "{entries:?}"
    );
    // Another minute is another text.
    let later = import(h.path(), NOW, &termux(TOPUP, "2026-11-01 10:05:00", 502));
    assert_eq!(later["added"], 2, "{later}");
}

#[test]
fn a_text_logged_under_an_older_id_is_not_added_again() {
    let h = home();
    // Lines as an older version wrote them for the termux import of this text: named by
    // termux's own message id.
    let old = concat!(
        r#"{"v":1,"id":"imp-0a1b2c3d4e5f60718293a4b5","at":"2026-11-01T10:00:41+08:00","number":"gg","type":"statement","source":"sms","ref":"termux:501","amount_minor":1000,"currency":"GBP","text":"Thanks for topping up £10.00. Your credit balance is now £16.45."}"#,
        "\n",
        r#"{"v":1,"id":"imp-9f8e7d6c5b4a392817160504","at":"2026-11-01T10:00:41+08:00","number":"gg","type":"balance","balance_minor":1645,"currency":"GBP","source":"sms"}"#,
        "\n"
    );
    std::fs::write(h.path().join("log.jsonl"), old).unwrap();
    let plain = format!("From: giffgaff\nDate: 2026-11-01 10:00:00\n{TOPUP}\n");
    let r = import(h.path(), NOW, &plain);
    assert_eq!(r["added"], 0, "{r}");
    assert_eq!(r["already"], 2, "{r}");
    assert_eq!(log(h.path()), old, "nothing appended");
}

fn kinds(entries: &[Value]) -> Vec<String> {
    entries
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e["kind"].as_str().unwrap_or(""),
                e["amount_minor"],
                &e["at"].as_str().unwrap_or("")[..10]
            )
        })
        .collect()
}

#[test]
fn a_top_up_text_is_evidence_and_a_reading_dated_by_the_text() {
    let h = home();
    // 2026-11-01 00:00 in Shanghai: the Alipay rule's recharge is expected.
    ok(h.path(), "2026-10-31T17:00:00Z", &["tick"], b"");
    // No From:, no Date:, three numbers: the signature picks China Mobile's only number.
    let text = "【中国移动】尊敬的客户，您于2026年11月01日成功充值30.00元，当前余额为38.50元。\n";
    let r = import(h.path(), "2026-11-03T04:00:00Z", text);
    assert_eq!(r["added"], 2, "{r}");
    assert_eq!(r["unmatched"], serde_json::json!([]), "{r}");
    let entries = history(h.path(), "2026-11-03T04:00:00Z", "cmcc");
    let k = kinds(&entries);
    assert!(
        k.contains(&"statement 3000 2026-11-01".to_string()),
        "{k:?}"
    );
    assert!(k.contains(&"balance 3850 2026-11-01".to_string()), "{k:?}");
    let recharge = entries.iter().find(|e| e["kind"] == "recharge").unwrap();
    assert_eq!(recharge["status"], "succeeded", "{recharge}");
    assert_eq!(
        recharge["flags"],
        serde_json::json!(["verified"]),
        "{recharge}"
    );
    let status: Value = serde_json::from_str(&ok(
        h.path(),
        "2026-11-03T04:00:00Z",
        &["status", "--json"],
        b"",
    ))
    .unwrap();
    let cmcc = status
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == "cmcc")
        .unwrap();
    assert_eq!(cmcc["balance_minor"], 3850, "{cmcc}");
}

#[test]
fn top_up_confirmations_in_the_usual_orders() {
    // Each text is a top-up of the amount, read for the number its signature names.
    let cases = [
        ("【中国移动】您已成功充值50.00元，欢迎使用。", "cmcc", 5000),
        (
            "【中国移动】充值成功，充值金额：20.00元，当前余额28.00元。",
            "cmcc",
            2000,
        ),
        (
            "【中国移动】尊敬的客户，您充值的30.00元已到账。",
            "cmcc",
            3000,
        ),
        (
            "【中国联通】尊敬的用户，您于2026年11月02日交费成功，金额：50元。",
            "cu",
            5000,
        ),
        (
            "【中国联通】您通过微信支付充值的100元话费已到账，感谢使用。",
            "cu",
            10000,
        ),
        (
            "您本次缴费金额为¥30.00，已成功到账。【中国联通】",
            "cu",
            3000,
        ),
        (
            "【中国移动】2026-11-02 08:15 充值30元成功，当前可用余额为36.50元。",
            "cmcc",
            3000,
        ),
    ];
    for (text, number, minor) in cases {
        let h = home();
        let r = import(h.path(), NOW, &format!("{text}\n"));
        assert!(r["added"].as_u64().unwrap() >= 1, "{text}: {r}");
        let entries = history(h.path(), NOW, number);
        assert!(
            entries
                .iter()
                .any(|e| e["kind"] == "statement" && e["amount_minor"] == minor),
            "{text}: {entries:?}"
        );
    }
    // Offers and due dates are not top-ups, and a validity date does not date a reading.
    for text in [
        "【中国移动】充值50元送10元话费，详询10086。",
        "【中国联通】双十一特惠，充值50元得60元，回复1参加。",
    ] {
        let h = home();
        import(h.path(), NOW, &format!("{text}\n"));
        let entries = history(h.path(), NOW, "cmcc")
            .into_iter()
            .chain(history(h.path(), NOW, "cu"))
            .collect::<Vec<_>>();
        assert!(
            entries.iter().all(|e| e["kind"] != "statement"),
            "{text}: {entries:?}"
        );
    }
    let h = home();
    import(
        h.path(),
        NOW,
        "【中国移动】您的话费余额为12.80元，有效期至2027年01月31日。\n",
    );
    let k = kinds(&history(h.path(), NOW, "cmcc"));
    assert_eq!(
        k,
        ["balance 1280 2026-11-02"],
        "stamped with the import time"
    );
}

#[test]
fn the_signature_picks_the_number_however_its_carrier_is_written() {
    let number = |id: &str, msisdn: &str, carrier: &str| {
        format!(
            r#"{{"id":"{id}","label":"{id}","msisdn":"{msisdn}","carrier":"{carrier}","currency":"CNY",
              "provider":{{"kind":"manual"}},"executor":{{"kind":"remind"}}}}"#
        )
    };
    let home_of = |numbers: &[String]| {
        let dir = tempfile::tempdir().unwrap();
        let config = format!(
            r#"{{"version":1,"timezone":"Asia/Shanghai","numbers":[{}]}}"#,
            numbers.join(",")
        );
        std::fs::write(dir.path().join("config.json"), config).unwrap();
        std::fs::write(dir.path().join("log.jsonl"), "").unwrap();
        dir
    };
    let texts = [
        ("中国移动", "【中国移动】您的话费余额为12.80元。"),
        ("中国联通", "【中国联通】您的账户余额为22.50元。"),
        ("中国电信", "【中国电信】您的可用余额为32.00元。"),
    ];
    let spellings = [
        (
            "中国移动",
            ["CMCC", "cmcc", "移动", "China Mobile", "中国移动"],
        ),
        (
            "中国联通",
            ["China Unicom", "china unicom", "联通", "CUCC", "中国联通"],
        ),
        (
            "中国电信",
            ["China Telecom", "电信", "CTCC", "ctcc", "中国电信"],
        ),
    ];
    for (signature, names) in spellings {
        let text = texts.iter().find(|(s, _)| *s == signature).unwrap().1;
        for name in names {
            // The one number on that carrier, beside one on each of the others.
            let others: Vec<String> = [
                ("a", "+8613700000001", "China Mobile", "中国移动"),
                ("b", "+8613000000002", "China Unicom", "中国联通"),
                ("c", "+8618900000003", "China Telecom", "中国电信"),
            ]
            .iter()
            .filter(|(_, _, _, s)| *s != signature)
            .map(|(id, msisdn, c, _)| number(id, msisdn, c))
            .collect();
            let mut numbers = others;
            numbers.push(number("mine", "+8613912345678", name));
            numbers.push(number("gg", "+447700900123", "giffgaff"));
            let h = home_of(&numbers);
            let r = import(h.path(), NOW, &format!("{text}\n"));
            assert_eq!(r["unmatched"], serde_json::json!([]), "{name}: {r}");
            let k = kinds(&history(h.path(), NOW, "mine"));
            assert_eq!(k.len(), 1, "{name} {text}: {k:?}");
            assert!(k[0].starts_with("balance "), "{name}: {k:?}");
        }
    }
    // Two numbers on China Mobile, however written: the signature picks neither.
    let h = home_of(&[
        number("one", "+8613912345678", "China Mobile"),
        number("two", "+8613812345678", "CMCC"),
        number("gg", "+447700900123", "giffgaff"),
    ]);
    let r = import(h.path(), NOW, &format!("{}\n", texts[0].1));
    assert_eq!(r["added"], 0, "{r}");
    let unmatched = r["unmatched"].as_array().unwrap();
    assert_eq!(unmatched.len(), 1, "{r}");
    assert!(unmatched[0].as_str().unwrap().contains("中国移动"), "{r}");
    assert!(history(h.path(), NOW, "one").is_empty());
    assert!(history(h.path(), NOW, "two").is_empty());
}

fn import_for(home: &Path, now: &str, number: &str, input: &str) -> Value {
    let out = ok(
        home,
        now,
        &[
            "import", "--format", "sms", "--number", number, "--json", "-",
        ],
        input.as_bytes(),
    );
    serde_json::from_str(&out).expect("JSON output")
}

const BALANCE_TEXT: &str =
    "From: 10086\nDate: 2026-11-01 10:00:00\n尊敬的客户，您的账户余额为12.34元。\n";
const UNDATED_TEXT: &str = "你好，这是一条通知\n";

fn sms_lines(home: &Path) -> Vec<(String, String)> {
    log(home)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|v| {
            (
                v["number"].as_str().unwrap().to_string(),
                v["type"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_same_text_for_two_numbers_is_kept_for_each_and_once() {
    let h = home();
    assert_eq!(import_for(h.path(), NOW, "cmcc", BALANCE_TEXT)["added"], 1);
    let cu = import_for(h.path(), NOW, "cu", BALANCE_TEXT);
    assert_eq!(cu["added"], 1, "the second number's text is its own: {cu}");
    assert_eq!(cu["already"], 0, "{cu}");
    // Re-imports, for either number, add nothing.
    for n in ["cmcc", "cu"] {
        let again = import_for(h.path(), NOW, n, BALANCE_TEXT);
        assert_eq!(
            (again["added"].clone(), again["already"].clone()),
            (0.into(), 1.into()),
            "{n}: {again}"
        );
    }
    assert_eq!(
        sms_lines(h.path()),
        vec![
            ("cmcc".to_string(), "balance".to_string()),
            ("cu".to_string(), "balance".to_string())
        ]
    );
    let ids: std::collections::HashSet<String> = log(h.path())
        .lines()
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids.len(), 2, "every id in the log is unique");
    for n in ["cmcc", "cu"] {
        let status: Value =
            serde_json::from_str(&ok(h.path(), NOW, &["status", "--json"], b"")).unwrap();
        let s = status
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == n)
            .unwrap()
            .clone();
        assert_eq!(s["balance_minor"], 1234, "{s}");
    }
}

#[test]
fn texts_logged_under_the_id_without_the_number_are_still_known() {
    let h = home();
    // Lines as the previous version wrote them for cmcc: a dated reading and an undated
    // text (kept at the time it was imported), ids not naming the number.
    let old = concat!(
        r#"{"v":1,"id":"imp-2290883bc917e4df5c8d59a6","at":"2026-11-01T10:00:00+08:00","number":"cmcc","type":"balance","balance_minor":1234,"source":"sms","currency":"CNY"}"#,
        "\n",
        r#"{"v":1,"id":"imp-c47e992ee3973c8e51eb8a99","at":"2026-11-02T10:00:00+08:00","number":"cmcc","type":"message","source":"sms","text":"你好，这是一条通知"}"#,
        "\n"
    );
    std::fs::write(h.path().join("log.jsonl"), old).unwrap();
    // The old lines read unchanged.
    ok(h.path(), NOW, &["validate"], b"");
    let entries = history(h.path(), NOW, "cmcc");
    assert_eq!(entries.len(), 2, "{entries:?}");
    // Re-imported for cmcc, a day later: nothing new, not even the undated text.
    let later = "2026-11-03T02:00:00Z";
    for text in [BALANCE_TEXT, UNDATED_TEXT] {
        let r = import_for(h.path(), later, "cmcc", text);
        assert_eq!(r["added"], 0, "{text}: {r}");
        assert_eq!(r["already"], 1, "{text}: {r}");
    }
    assert_eq!(log(h.path()), old, "nothing appended");
    // For cu they are new texts, once.
    for text in [BALANCE_TEXT, UNDATED_TEXT] {
        assert_eq!(import_for(h.path(), NOW, "cu", text)["added"], 1, "{text}");
        assert_eq!(import_for(h.path(), NOW, "cu", text)["added"], 0, "{text}");
    }
    assert_eq!(
        sms_lines(h.path()),
        vec![
            ("cmcc".to_string(), "balance".to_string()),
            ("cmcc".to_string(), "message".to_string()),
            ("cu".to_string(), "balance".to_string()),
            ("cu".to_string(), "message".to_string())
        ]
    );
}
