//! A home of 10,000 numbers: one tick writes exactly the intents the whole-home agenda
//! names before it (each due is checked against its own number only; this shows that
//! check agrees with the agenda over every number).

mod common;

use std::collections::BTreeSet;

use baohao::session::Session;
use baohao::store::paths::Paths;

const NUMBERS: usize = 10_000;
const NOW: &str = "2026-11-20T10:00:00Z";

fn write_home(home: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(home, std::fs::Permissions::from_mode(0o700)).unwrap();
    let currencies = ["CNY", "GBP", "HKD", "USD"];
    let mut numbers = Vec::new();
    let mut log = String::new();
    for i in 0..NUMBERS {
        let c = currencies[i % 4];
        // Half charge (demo), half remind; every third has a budget that holds its top-up.
        let executor = if i % 2 == 1 { "demo" } else { "remind" };
        let budget = if i % 3 == 0 {
            r#","monthly_budget":"12.00""#
        } else {
            ""
        };
        numbers.push(format!(
            r#"{{"id":"n{i}","label":"n {i}","msisdn":"+4477009{i:05}","carrier":"C","currency":"{c}"{budget},
              "plan":{{"monthly_fee":"5.00","validity_days":180,"keep_alive_days":180}},
              "provider":{{"kind":"manual"}},"executor":{{"kind":"{executor}"}},
              "rules":[{{"id":"monthly","mode":"auto","amount":"10.00","trigger":{{"kind":"monthly","day":5,"at":"09:00"}}}},
                       {{"id":"low","mode":"auto","amount":"20.00","trigger":{{"kind":"low_balance","below":"5.00","cooldown_hours":24}}}}]}}"#
        ));
        // Readings an hour old, some below the threshold. Only numbers that remind are low:
        // a demo charge raises its number's balance, so a low rule after it would rightly
        // be no longer due, and the agenda before the tick would not be what it writes.
        let balance = if i % 2 == 1 {
            1000
        } else {
            300 + (i % 7) * 100
        };
        log.push_str(&format!(
            r#"{{"v":1,"id":"{i:016x}","at":"2026-11-20T09:00:00Z","number":"n{i}","type":"balance","balance_minor":{balance},"currency":"{c}","source":"manual"}}"#
        ));
        log.push('\n');
    }
    let config = format!(
        r#"{{"version":1,"timezone":"Europe/London","numbers":[{}]}}"#,
        numbers.join(",")
    );
    for (name, text) in [("config.json", config), ("log.jsonl", log)] {
        let p = home.join(name);
        std::fs::write(&p, text).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
}

type Intent = (String, String, String, u64, i64, String);

#[test]
fn a_tick_over_ten_thousand_numbers_writes_the_agendas_intents() {
    let dir = tempfile::tempdir().unwrap();
    write_home(dir.path());
    let now = chrono::DateTime::parse_from_rfc3339(NOW).unwrap().to_utc();
    let expected: BTreeSet<Intent> = {
        let s = Session::open_state_only(Paths::in_home(dir.path())).unwrap();
        baohao::engine::agenda(s.state(), &s.config, now)
            .due
            .into_iter()
            .map(|d| {
                (
                    d.number,
                    d.rule,
                    d.key,
                    d.attempt as u64,
                    d.amount.minor,
                    d.mode.as_str().to_string(),
                )
            })
            .collect()
    };
    // Both rules of numbers that are low, the monthly rule of every number.
    assert!(expected.len() > NUMBERS, "{}", expected.len());

    let out = common::run(dir.path(), NOW, &["tick"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let written: Vec<Intent> = common::log_of_type(dir.path(), "intent")
        .into_iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap_or_default().to_string();
            (
                s("number"),
                s("rule"),
                s("key"),
                e["attempt"].as_u64().unwrap_or(0),
                e["amount_minor"].as_i64().unwrap_or(0),
                s("mode"),
            )
        })
        .collect();
    assert_eq!(written.len(), expected.len(), "each intent written once");
    assert_eq!(written.into_iter().collect::<BTreeSet<_>>(), expected);
}
