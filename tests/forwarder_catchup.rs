//! Catch-up after a long outage: a phone holding more texts than one page of its inbox
//! gives them all, page by page, once; a refresh that finds nothing new reads one page.

mod common;

use common::phones::{App, Held, StandIn};

const NOW: &str = "2026-03-01T10:00:00+08:00";

fn home(forwarders: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        format!(
            r#"{{"version":1,"timezone":"Asia/Shanghai","forwarders":[{forwarders}],"numbers":[
            {{"id":"cmcc","label":"CMCC","msisdn":"+8613800000001","currency":"CNY",
              "forwarder":{{"id":"fwd","slot":2}},"provider":{{"kind":"manual"}},
              "executor":{{"kind":"remind"}}}}]}}"#
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("log.jsonl"), "").unwrap();
    dir
}

fn queries(phone: &StandIn) -> usize {
    phone.asked("POST /sms/query")
}

#[test]
fn more_texts_than_a_page_all_arrive_once_and_a_quiet_refresh_reads_one_page() {
    let phone = StandIn::start(App::SmsForwarder);
    let t0 = 1_772_326_800_000; // 2026-03-01 09:00 +08:00
    for i in 0..120 {
        phone.hold(Held {
            from: "+447700900111".into(),
            text: format!("note {i:03}"),
            date_ms: t0 - 60_000 * (120 - i),
            sim_id: 1,
        });
    }
    let dir = home(&phone.config("fwd"));
    let tick = || {
        let o = common::run_env(dir.path(), NOW, &["tick"], &phone.env());
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    tick();
    let mut texts: Vec<String> = common::log_of_type(dir.path(), "message")
        .iter()
        .map(|m| m["text"].as_str().unwrap_or_default().to_string())
        .collect();
    texts.sort();
    let want: Vec<String> = (0..120).map(|i| format!("note {i:03}")).collect();
    assert_eq!(texts, want, "every held text, once");
    // Three pages of 50 (the last short): then nothing more to ask.
    assert_eq!(queries(&phone), 3, "{:?}", phone.requests());
    tick();
    assert_eq!(common::log_of_type(dir.path(), "message").len(), 120);
    assert_eq!(
        queries(&phone),
        4,
        "a refresh with nothing new reads one page"
    );
    assert!(phone.bad().is_empty(), "{:?}", phone.bad());
}
