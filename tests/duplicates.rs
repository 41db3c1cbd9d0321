//! A recharge that looks charged twice is loud wherever it is found:
//! `import` says it, `status` shows `duplicate`, the Numbers badge shows it, and the
//! notifier's `duplicate_charge` goes out once.

mod common;

use std::path::Path;

use baohao::clock::Clock;
use baohao::store::Paths;
use baohao::tui::app::App;
use baohao::tui::theme::Theme;
use baohao::tui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use serde_json::Value;

/// A China Mobile number recharged by Alipay's monthly auto-recharge, a giffgaff number
/// topped up by hand, and a notifier that writes down each event it is given.
fn home() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let notifier = dir.path().join("notify.sh");
    std::fs::write(
        &notifier,
        format!(
            "#!/bin/sh\necho \"$BAOHAO_EVENT $BAOHAO_NUMBER\" >> '{}'\n",
            dir.path().join("notified").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(
        &notifier,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .unwrap();
    let config = format!(
        r#"{{"version":1,"timezone":"Europe/London","numbers":[
  {{"id":"cmcc","label":"移动保号卡","msisdn":"+8613912345678","carrier":"China Mobile","currency":"CNY",
   "provider":{{"kind":"manual"}},"executor":{{"kind":"remind"}},
   "rules":[{{"id":"alipay","mode":"external","via":"支付宝自动充值","amount":"30.00",
              "trigger":{{"kind":"monthly","day":1,"at":"00:00"}}}}]}},
  {{"id":"gg","label":"giffgaff","msisdn":"+447700900123","carrier":"giffgaff","currency":"GBP",
   "provider":{{"kind":"manual"}},"executor":{{"kind":"remind"}}}}],
 "notify":{{"program":"{}","events":["duplicate_charge"]}}}}"#,
        notifier.display()
    );
    std::fs::write(dir.path().join("config.json"), config).unwrap();
    std::fs::write(dir.path().join("log.jsonl"), "").unwrap();
    dir
}

fn ok(home: &Path, now: &str, args: &[&str]) -> String {
    let o = common::run(home, now, args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// An Alipay app export of phone top-ups for the cmcc number: (time, amount, order).
fn alipay(rows: &[(&str, &str, &str)]) -> String {
    let mut s = String::from(
        "支付宝交易记录明细查询\n账号:[example@example.com]\n\
         交易时间,交易分类,交易对方,对方账号,商品说明,收/支,金额,收/付款方式,交易状态,交易订单号,商家订单号,备注,\n",
    );
    for (time, amount, order) in rows {
        s.push_str(&format!(
            "{time},充值缴费,中国移动,,话费充值 139****5678,支出,{amount},余额宝,交易成功,{order}\t,M{order}\t,,\n"
        ));
    }
    s
}

/// After the rule came due (00:00 China time on 1 November) and the worker wrote what it
/// expects.
const AFTER_DUE: &str = "2026-11-01T02:00:00Z";

fn expecting(h: &Path) {
    ok(h, AFTER_DUE, &["tick"]);
}

fn attention(h: &Path, now: &str, id: &str) -> Vec<String> {
    let v: Value = serde_json::from_str(&ok(h, now, &["status", "--json"])).unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .find(|n| n["id"] == id)
        .unwrap()["attention"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

fn notified(h: &Path) -> Vec<String> {
    std::fs::read_to_string(h.join("notified"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

fn screen(h: &Path, now: &str) -> String {
    let app = App::open(
        Paths::in_home(h),
        Clock::Fixed(now.parse().unwrap()),
        Theme { color: false },
    )
    .unwrap();
    let mut t = Terminal::new(TestBackend::new(100, 30)).unwrap();
    t.draw(|f| view(&app, f)).unwrap();
    t.backend().to_string()
}

#[test]
fn two_statement_rows_for_one_recharge_are_said_by_import_status_the_badge_and_the_notifier() {
    let h = home();
    let h = h.path();
    expecting(h);
    let bill = h.join("bill.csv");
    std::fs::write(
        &bill,
        alipay(&[
            ("2026-11-01 08:00:05", "30.00", "2026110122001400001"),
            ("2026-11-01 08:00:41", "30.00", "2026110122001400002"),
        ]),
    )
    .unwrap();
    let bill = bill.to_str().unwrap();
    let now = "2026-11-01T03:00:00Z";
    // A dry run says it too, and writes nothing.
    let dry = ok(h, now, &["import", "--dry-run", bill]);
    assert!(
        dry.contains("2 rows look like one recharge charged twice"),
        "{dry}"
    );
    let out = ok(h, now, &["import", bill]);
    assert!(
        out.contains("2 rows look like one recharge charged twice"),
        "{out}"
    );
    assert!(out.contains("cmcc"), "which number: {out}");
    assert!(out.contains("¥30.00"), "how much: {out}");
    assert!(
        out.contains("2026110122001400001") && out.contains("2026110122001400002"),
        "which rows: {out}"
    );
    // Importing it again adds nothing and says it again: it is still so.
    let again = ok(h, now, &["import", bill]);
    assert!(again.contains("charged twice"), "{again}");
    assert!(attention(h, now, "cmcc").contains(&"duplicate".to_string()));
    let table = ok(h, now, &["status"]);
    assert!(table.contains("duplicate"), "{table}");
    let s = screen(h, now);
    assert!(s.contains("duplicate"), "the Numbers badge: {s}");
    // The notifier hears it once, however many passes see it.
    ok(h, now, &["tick"]);
    ok(h, "2026-11-01T04:00:00Z", &["tick"]);
    assert_eq!(notified(h), vec!["duplicate_charge cmcc"]);
}

#[test]
fn rows_of_different_recharges_are_not_called_duplicates() {
    let h = home();
    let h = h.path();
    expecting(h);
    let bill = h.join("bill.csv");
    // One recharge this month, and last month's, and a different amount the same day.
    std::fs::write(
        &bill,
        alipay(&[
            ("2026-10-01 08:00:05", "30.00", "2026100122001400001"),
            ("2026-11-01 08:00:05", "30.00", "2026110122001400001"),
            ("2026-11-01 09:00:05", "50.00", "2026110122001400003"),
        ]),
    )
    .unwrap();
    let now = "2026-11-01T03:00:00Z";
    let out = ok(h, now, &["import", bill.to_str().unwrap()]);
    assert!(!out.contains("twice"), "{out}");
    assert!(!attention(h, now, "cmcc").contains(&"duplicate".to_string()));
    ok(h, now, &["tick"]);
    assert!(notified(h).is_empty(), "{:?}", notified(h));
}

#[test]
fn two_top_ups_of_one_amount_by_hand_within_a_day_show_duplicate_until_a_month_passes() {
    let h = home();
    let h = h.path();
    ok(h, "2026-11-10T09:00:00Z", &["record", "gg", "10"]);
    ok(h, "2026-11-10T09:05:00Z", &["record", "gg", "10"]);
    let now = "2026-11-10T10:00:00Z";
    assert!(attention(h, now, "gg").contains(&"duplicate".to_string()));
    ok(h, now, &["tick"]);
    ok(h, now, &["tick"]);
    assert_eq!(notified(h), vec!["duplicate_charge gg"]);
    // Old news after a month, like a failure.
    assert!(!attention(h, "2026-12-20T10:00:00Z", "gg").contains(&"duplicate".to_string()));
}
