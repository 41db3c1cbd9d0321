//! The clock's safety, through the real binary: a clock that runs backwards never
//! charges a past period, and an old reading imported today never acts as the present one
//! nor makes a missed recharge look verified.

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
fn a_clock_behind_the_day_the_home_was_made_charges_nothing() {
    // `init` on 2026-11-25, then the person adds the number by hand: the log is empty, so
    // only the home's own creation time says that 1970 is wrong.
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let o = run(h, "2026-11-25T00:00:00Z", &["init"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    std::fs::write(h.join("config.json"), CLOCK_CONFIG).unwrap();

    // A Raspberry Pi without a clock battery at boot: nothing charged, said once.
    let err = tick(h, "1970-01-02T00:00:00Z");
    assert_eq!(intent_keys(h), Vec::<String>::new(), "{err}");
    assert_eq!(err.matches("clock is behind").count(), 1, "{err}");
    assert!(
        attention(h, "1970-01-02T00:00:00Z").contains(&"clock_behind".to_string()),
        "status --json says clock_behind"
    );

    // Right again: December is charged, and the clock is not mentioned.
    let err = tick(h, "2026-11-30T16:00:10Z");
    assert_eq!(intent_keys(h), ["m:2026-12"], "{err}");
    assert!(!err.contains("clock is behind"), "{err}");
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

/// A demo number read by hand, with an auto low-balance rule.
const LOW_CONFIG: &str = r#"{"version":1,"timezone":"UTC","numbers":[
  {"id":"d","label":"Demo","msisdn":"+12025550123","currency":"USD",
   "provider":{"kind":"manual"},"executor":{"kind":"demo"},
   "rules":[{"id":"low","mode":"auto","amount":"15.00","trigger":{"kind":"low_balance","below":"5.00","cooldown_hours":24}}]}]}"#;

/// Every intent in the log as (key, mode), and how many outcomes it holds.
fn intents_and_outcomes(home: &Path) -> (Vec<(String, String)>, usize) {
    let log = std::fs::read_to_string(home.join("log.jsonl")).unwrap_or_default();
    let lines: Vec<serde_json::Value> = log
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let intents = lines
        .iter()
        .filter(|v| v["type"] == "intent")
        .map(|v| {
            let s = |k: &str| v[k].as_str().unwrap_or_default().to_string();
            (s("key"), s("mode"))
        })
        .collect();
    let outcomes = lines.iter().filter(|v| v["type"] == "outcome").count();
    (intents, outcomes)
}

fn ok(home: &Path, now: &str, args: &[&str]) -> String {
    let o = run(home, now, args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Imports one carrier text dated `date` for number `d`.
fn import_text(home: &Path, now: &str, date: &str, text: &str) {
    let file = home.join("text.txt");
    std::fs::write(&file, format!("From: carrier\nDate: {date}\n{text}\n")).unwrap();
    let out = ok(
        home,
        now,
        &[
            "import",
            "--format",
            "sms",
            "--number",
            "d",
            "--json",
            file.to_str().unwrap(),
        ],
    );
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["added"], 1, "{out}");
}

fn status_of(home: &Path, now: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(&ok(home, now, &["status", "--json"])).unwrap();
    v[0].clone()
}

#[test]
fn an_old_reading_imported_today_is_history_not_the_balance() {
    let home = home_with(LOW_CONFIG);
    let h = home.path();
    let now = "2026-11-20T10:00:00Z";
    ok(h, now, &["balance", "d", "40.00"]);
    import_text(
        h,
        "2026-11-20T11:00:00Z",
        "2026-06-01 12:00:00",
        "Your balance is $1.00.",
    );
    // A reading typed in with an earlier date is history too.
    ok(
        h,
        "2026-11-20T11:30:00Z",
        &["balance", "d", "2.00", "--at", "2026-11-19"],
    );
    let now = "2026-11-20T12:00:00Z";
    let s = status_of(h, now);
    assert_eq!(s["balance_minor"], 4000, "{s}");
    assert_eq!(s["observed_at"], "2026-11-20T10:00:00+00:00", "{s}");
    let attention = s["attention"].as_array().unwrap();
    assert!(!attention.iter().any(|a| a == "low"), "{s}");
    tick(h, now);
    assert_eq!(intents_and_outcomes(h), (vec![], 0), "nothing charged");
    // The old readings are in the trend at their own times, oldest first.
    let hist: serde_json::Value =
        serde_json::from_str(&ok(h, now, &["history", "--json"])).unwrap();
    let balances: Vec<(String, i64)> = hist
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "balance")
        .map(|e| {
            (
                e["at"].as_str().unwrap()[..10].to_string(),
                e["amount_minor"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(balances.len(), 3, "{hist}");
}

#[test]
fn a_stale_low_reading_raises_a_reminder_instead_of_charging() {
    // The only reading is an old text: it is the balance, but too old to charge on.
    let home = home_with(LOW_CONFIG);
    let h = home.path();
    import_text(
        h,
        "2026-11-20T11:00:00Z",
        "2026-06-01 12:00:00",
        "Your balance is $1.00.",
    );
    let now = "2026-11-20T12:00:00Z";
    tick(h, now);
    let (intents, outcomes) = intents_and_outcomes(h);
    assert_eq!(intents.len(), 1, "{intents:?}");
    assert_eq!(
        intents[0].1, "remind",
        "a reminder, not a charge: {intents:?}"
    );
    assert_eq!(outcomes, 0, "the executor never ran");

    // A fresh low reading by hand is charged.
    let home = home_with(LOW_CONFIG);
    let h = home.path();
    ok(h, "2026-11-20T11:00:00Z", &["balance", "d", "1.00"]);
    tick(h, now);
    let (intents, outcomes) = intents_and_outcomes(h);
    assert_eq!(intents.len(), 1, "{intents:?}");
    assert_eq!(intents[0].1, "auto", "{intents:?}");
    assert_eq!(outcomes, 1);

    // A reading typed in two days late is stale for a manual provider (24 h).
    let home = home_with(LOW_CONFIG);
    let h = home.path();
    ok(
        h,
        "2026-11-20T11:00:00Z",
        &["balance", "d", "1.00", "--at", "2026-11-18"],
    );
    tick(h, now);
    let (intents, outcomes) = intents_and_outcomes(h);
    assert_eq!(
        intents.iter().map(|i| i.1.as_str()).collect::<Vec<_>>(),
        ["remind"]
    );
    assert_eq!(outcomes, 0);
}

/// An external ¥50 recharge on the 1st, read by hand.
const EXTERNAL_CONFIG: &str = r#"{"version":1,"timezone":"Asia/Shanghai","numbers":[
  {"id":"d","label":"移动","msisdn":"+8613800138000","carrier":"China Mobile","currency":"CNY",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"},
   "rules":[{"id":"m","mode":"external","via":"支付宝自动充值","amount":"50.00","trigger":{"kind":"monthly","day":1,"at":"00:00"}}]}]}"#;

/// The history entry of the intent with `key`: its status and flags.
fn recharge_of(home: &Path, now: &str, key: &str) -> (String, Vec<String>) {
    let hist: serde_json::Value =
        serde_json::from_str(&ok(home, now, &["history", "--json"])).unwrap();
    let e = hist
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == key)
        .unwrap_or_else(|| panic!("no {key} in {hist}"))
        .clone();
    let flags = e["flags"]
        .as_array()
        .map(|f| f.iter().map(|x| x.as_str().unwrap().to_string()).collect())
        .unwrap_or_default();
    (e["status"].as_str().unwrap_or_default().to_string(), flags)
}

/// 60.00 the day before, the December recharge expected, then whatever `after` does.
fn external_home(after: impl Fn(&Path)) -> tempfile::TempDir {
    let home = home_with(EXTERNAL_CONFIG);
    let h = home.path();
    ok(h, "2026-11-30T01:00:00Z", &["balance", "d", "60.00"]);
    tick(h, "2026-11-30T16:00:10Z");
    assert_eq!(intent_keys(h), ["m:2026-12"]);
    after(h);
    home
}

#[test]
fn an_old_reading_never_makes_a_missed_external_recharge_look_verified() {
    let now = "2026-12-06T04:00:00Z";
    let missed = external_home(|h| {
        readings(h, &[("60.00", "2026-12-01 12:00")]);
    });
    assert_eq!(recharge_of(missed.path(), now, "m:2026-12").0, "missed");
    // The same, with a text from 11-10 saying 10.00 imported on 12-06 before the reading.
    let home = external_home(|h| {
        let file = h.join("text.txt");
        std::fs::write(
            &file,
            "From: 10086\nDate: 2026-11-10 09:00:00\n【中国移动】尊敬的客户，您的话费余额为10.00元。\n",
        )
        .unwrap();
        let out = ok(
            h,
            "2026-12-06T02:00:00Z",
            &[
                "import",
                "--format",
                "sms",
                "--number",
                "d",
                "--json",
                file.to_str().unwrap(),
            ],
        );
        assert!(
            out.contains("\"added\":1") || out.contains("\"added\": 1"),
            "{out}"
        );
        readings(h, &[("60.00", "2026-12-01 12:00")]);
    });
    assert_eq!(recharge_of(home.path(), now, "m:2026-12").0, "missed");
}

/// Readings typed on 12-06 as (balance, when it was read).
fn readings(h: &Path, list: &[(&str, &str)]) {
    for (balance, at) in list {
        ok(
            h,
            "2026-12-06T03:00:00Z",
            &["balance", "d", balance, "--at", at],
        );
    }
}

/// The December recharge is `succeeded`, flagged `possible_duplicate` or not as `flagged`.
fn assert_duplicate(home: &Path, flagged: bool) {
    let (status, flags) = recharge_of(home, "2026-12-06T04:00:00Z", "m:2026-12");
    assert_eq!(status, "succeeded");
    assert_eq!(
        flags.contains(&"possible_duplicate".to_string()),
        flagged,
        "{flags:?}"
    );
}

#[test]
fn a_rise_of_twice_the_amount_is_a_possible_duplicate() {
    // Two steps of 50 inside the window: charged twice?
    let home = external_home(|h| {
        readings(
            h,
            &[
                ("110.00", "2026-12-01 09:00"),
                ("160.00", "2026-12-01 12:00"),
            ],
        )
    });
    assert_duplicate(home.path(), true);
    // One step of 50 is one recharge.
    let home = external_home(|h| readings(h, &[("110.00", "2026-12-01 12:00")]));
    assert_duplicate(home.path(), false);
    // One Alipay row plus a rise of 100.
    let home = external_home(|h| {
        let file = h.join("alipay.csv");
        std::fs::write(&file, ALIPAY_ROW).unwrap();
        ok(
            h,
            "2026-12-06T02:00:00Z",
            &[
                "import",
                "--format",
                "alipay",
                "--number",
                "d",
                file.to_str().unwrap(),
            ],
        );
        readings(h, &[("160.00", "2026-12-01 12:00")]);
    });
    assert_duplicate(home.path(), true);
}

/// An Alipay app export with one ¥50 top-up of the number at 00:00:05 on 12-01.
const ALIPAY_ROW: &str = "\u{feff}支付宝交易记录明细查询
账号:[example@example.com]
起始日期:[2026-11-01 00:00:00]    终止日期:[2026-12-06 00:00:00]
---------------------------------交易记录明细列表------------------------------------
交易时间,交易分类,交易对方,对方账号,商品说明,收/支,金额,收/付款方式,交易状态,交易订单号,商家订单号,备注,
2026-12-01 00:00:05 ,充值缴费 ,中国移动 ,acct***@example.com ,话费充值 13800138000 ,支出 ,50.00 ,余额宝 ,交易成功 ,2026120122001400001\t,M1\t, ,
------------------------------------------------------------------------------------
共1笔记录
已收入:0笔,0.00元
待收入:0笔,0.00元
已支出:1笔,50.00元
导出时间:[2026-12-06 10:00:00]
";

#[test]
fn the_notifier_hears_of_a_clock_behind_once() {
    let fake = tempfile::tempdir().unwrap();
    let notifier =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fake-notify.sh");
    let config = CLOCK_CONFIG.replacen(
        r#""timezone":"Asia/Shanghai","#,
        &format!(
            r#""timezone":"Asia/Shanghai","notify":{{"program":"{}","events":["clock_behind"]}},"#,
            notifier.display()
        ),
        1,
    );
    let home = home_with(&config);
    let h = home.path();
    let env = [("FAKE_DIR", fake.path().to_str().unwrap())];
    let tick = |now: &str| {
        let o = common::run_env(h, now, &["tick"], &env);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    let said = || {
        std::fs::read_to_string(fake.path().join("notified"))
            .unwrap_or_default()
            .lines()
            .filter(|l| l.starts_with("notify clock_behind d "))
            .count()
    };
    tick("2026-11-30T16:00:10Z");
    assert_eq!(said(), 0, "the clock is right");
    // Three passes at boot in 1970, then one ten days back: one episode, said once.
    for now in [
        "1970-01-02T00:00:00Z",
        "1970-01-02T00:01:00Z",
        "1970-01-02T00:02:00Z",
        "2026-11-20T00:00:00Z",
    ] {
        tick(now);
    }
    assert_eq!(said(), 1);
    // Right again, charges January; behind that later: a new episode, said again once.
    tick("2026-12-31T16:00:10Z");
    assert_eq!(intent_keys(h), ["m:2026-12", "m:2027-01"]);
    tick("1970-01-02T00:00:00Z");
    tick("1970-01-02T00:05:00Z");
    assert_eq!(said(), 2);
}

/// The TUI's first row at `now`, on a demo home made at 2026-11-25, 80 columns wide.
fn tui_header(lang: baohao::i18n::Lang, now: &str) -> String {
    use baohao::clock::Clock;
    use baohao::store::Paths;
    use baohao::tui::{app::App, theme::Theme, view::view};
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::in_home(dir.path());
    baohao::home::write_demo(&paths, "2026-11-25T10:00:00Z".parse().unwrap()).unwrap();
    let app = App::open(
        paths,
        Clock::Fixed(now.parse().unwrap()),
        Theme { color: false },
    )
    .unwrap();
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).unwrap();
    baohao::i18n::with_lang(lang, || t.draw(|f| view(&app, f)).map(|_| ())).unwrap();
    let buf = t.backend().buffer().clone();
    let mut row = String::new();
    let mut skip = 0;
    for x in 0..80 {
        if skip > 0 {
            skip -= 1;
            continue;
        }
        let sym = buf[(x, 0)].symbol();
        skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
        row.push_str(sym);
    }
    row
}

#[test]
fn the_tui_header_says_the_clock_is_behind() {
    use baohao::i18n::Lang;
    for (lang, says) in [(Lang::En, "clock behind"), (Lang::Zh, "时钟落后")] {
        let behind = tui_header(lang, "1970-01-02T00:00:00Z");
        assert!(behind.contains(says), "{behind:?}");
        let right = tui_header(lang, "2026-11-25T10:05:00Z");
        assert!(!right.contains(says), "{right:?}");
    }
}

/// A home made by hand (a config written, no `init`): its first append notes the clock,
/// so a clock that later reads 1970 is known to be behind, whatever the first entry was.
#[test]
fn a_home_made_by_hand_is_stamped_by_its_first_append() {
    for first in ["import", "record"] {
        let home = home_with(CLOCK_CONFIG);
        let h = home.path();
        assert!(!h.join("log.jsonl.created").exists());
        if first == "import" {
            // A text is not baohao's own clock: only the stamp says when the home was.
            import_text(
                h,
                "2026-11-25T00:00:00Z",
                "2026-11-24T10:00:00+08:00",
                "Your balance is ¥40.00.",
            );
        } else {
            ok(h, "2026-11-25T00:00:00Z", &["record", "d", "10"]);
        }
        let stamp = std::fs::read_to_string(h.join("log.jsonl.created"))
            .unwrap_or_else(|_| panic!("{first}: no creation stamp"));
        assert_eq!(stamp, "2026-11-25T00:00:00Z\n", "{first}");

        let err = tick(h, "1970-01-02T00:00:00Z");
        assert_eq!(intent_keys(h), Vec::<String>::new(), "{first}: {err}");
        assert!(err.contains("clock is behind"), "{first}: {err}");

        // A later append keeps the first stamp.
        tick(h, "2026-11-30T16:00:10Z");
        assert_eq!(intent_keys(h), ["m:2026-12"], "{first}");
        assert_eq!(
            std::fs::read_to_string(h.join("log.jsonl.created")).unwrap(),
            stamp
        );
    }
}
