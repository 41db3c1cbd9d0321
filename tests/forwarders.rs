//! Forwarders, through the real binary: the config's `forwarders`, `inbox`, a
//! number's `forwarder {id, slot?}` and the provider kind `forwarder`, and the one
//! sentence each mistake gets.

mod common;

use std::path::Path;

const FORWARDERS: &str = r#"[
  {"id":"pixel","kind":"smsforwarder","url":"http://192.168.1.20:5000","secret_env":"SMSF_SECRET"},
  {"id":"moto","kind":"sms-gateway","url":"https://api.sms-gate.app/3rdparty/v1",
   "user_env":"SMSGW_USER","password_env":"SMSGW_PASSWORD","signing_key_env":"SMSGW_SIGNING_KEY"},
  {"id":"board","kind":"webhook","token_env":"BOARD_TOKEN"}
]"#;

fn number(id: &str, extra: &str, provider: &str) -> String {
    format!(
        r#"{{"id":"{id}","label":"{id}","msisdn":"+447700900123","currency":"GBP",
            "provider":{provider},"executor":{{"kind":"remind"}}{extra}}}"#
    )
}

fn validate(home: &Path, forwarders: &str, inbox: &str, numbers: &[String]) -> (bool, String) {
    std::fs::write(
        home.join("config.json"),
        format!(
            r#"{{"version":1,"forwarders":{forwarders},{inbox}"numbers":[{}]}}"#,
            numbers.join(",")
        ),
    )
    .unwrap();
    let o = common::run(home, "2026-01-10T09:00:00Z", &["validate"]);
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    (o.status.success(), all)
}

#[test]
fn a_config_with_forwarders_an_inbox_and_a_forwarder_provider_is_valid() {
    let dir = tempfile::tempdir().unwrap();
    let provider = r#"{"kind":"forwarder","sms":{"to":"10086","text":"CXYE"},"reply_from":"10086","timeout_secs":180}"#;
    let keep_alive = r#","rules":[{"id":"alive","mode":"auto","amount":"0.10",
        "trigger":{"kind":"keep_alive","every_days":30},"action":{"kind":"sms","to":"10086","text":"CXYE"}}]"#;
    let numbers = [
        number(
            "a",
            &format!(r#","forwarder":{{"id":"pixel","slot":1}}{keep_alive}"#),
            provider,
        ),
        number(
            "b",
            r#","forwarder":{"id":"pixel","slot":2}"#,
            r#"{"kind":"manual"}"#,
        ),
        number(
            "c",
            r#","forwarder":{"id":"board"}"#,
            r#"{"kind":"manual"}"#,
        ),
    ];
    let (ok, all) = validate(
        dir.path(),
        FORWARDERS,
        r#""inbox":{"listen":"127.0.0.1:8787"},"#,
        &numbers,
    );
    assert!(ok, "{all}");
}

#[test]
fn each_forwarder_mistake_is_one_sentence_naming_where() {
    let dir = tempfile::tempdir().unwrap();
    let manual = r#"{"kind":"manual"}"#;
    let on = |id: &str, fw: &str| number(id, &format!(r#","forwarder":{fw}"#), manual);
    let cases: Vec<(String, String, Vec<String>, &str)> = vec![
        (
            r#"[{"id":"p","kind":"nokia","url":"http://10.0.0.2"}]"#.into(),
            String::new(),
            vec![],
            "forwarders[0].kind",
        ),
        (
            r#"[{"id":"p","kind":"smsforwarder"}]"#.into(),
            String::new(),
            vec![],
            "needs its \"url\"",
        ),
        (
            r#"[{"id":"p","kind":"smsforwarder","url":"ftp://10.0.0.2"}]"#.into(),
            String::new(),
            vec![],
            "is not the phone's address",
        ),
        (
            r#"[{"id":"p","kind":"webhook","secret_env":"X"}]"#.into(),
            String::new(),
            vec![],
            "forwarders[0].secret_env",
        ),
        (
            r#"[{"id":"p","kind":"webhook","token_env":"not a name"}]"#.into(),
            String::new(),
            vec![],
            "not an environment variable name",
        ),
        (
            r#"[{"id":"p","kind":"webhook"},{"id":"p","kind":"webhook"}]"#.into(),
            String::new(),
            vec![],
            "forwarders[1].id",
        ),
        (
            "[]".into(),
            r#""inbox":{"listen":"localhost"},"#.into(),
            vec![],
            "inbox.listen",
        ),
        (
            "[]".into(),
            String::new(),
            vec![on("a", r#"{"id":"ghost"}"#)],
            "no forwarder has the id \"ghost\"",
        ),
        (
            r#"[{"id":"p","kind":"webhook"}]"#.into(),
            String::new(),
            vec![number(
                "a",
                r#","forwarder":{"id":"p"},"modem":{"match":"any"}"#,
                manual,
            )],
            "a modem or a forwarder, not both",
        ),
        (
            r#"[{"id":"p","kind":"webhook"}]"#.into(),
            String::new(),
            vec![on("a", r#"{"id":"p"}"#), on("b", r#"{"id":"p","slot":2}"#)],
            "numbers[0].forwarder.slot",
        ),
        (
            r#"[{"id":"p","kind":"webhook"}]"#.into(),
            String::new(),
            vec![
                on("a", r#"{"id":"p","slot":1}"#),
                on("b", r#"{"id":"p","slot":1}"#),
            ],
            "already uses slot 1",
        ),
        (
            "[]".into(),
            String::new(),
            vec![number(
                "a",
                "",
                r#"{"kind":"forwarder","sms":{"to":"10086","text":"CXYE"},"reply_from":"10086"}"#,
            )],
            "needs the number's forwarder",
        ),
    ];
    for (forwarders, inbox, numbers, words) in cases {
        let (ok, all) = validate(dir.path(), &forwarders, &inbox, &numbers);
        assert!(!ok, "{forwarders} {inbox} {numbers:?} was accepted");
        assert!(all.contains(words), "{words:?} not in: {all}");
        assert!(!all.contains("panicked"), "{all}");
    }
}
