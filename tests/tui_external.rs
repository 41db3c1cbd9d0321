//! The TUI shows a missed external recharge: the badge, and a sentence saying where to look.

use baohao::clock::Clock;
use baohao::store::Paths;
use baohao::tui::app::App;
use baohao::tui::theme::Theme;
use baohao::tui::view::view;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const CONFIG: &str = r#"{"version":1,"timezone":"Asia/Shanghai","numbers":[
  {"id":"cmcc","label":"移动保号卡","msisdn":"+8613800138000","carrier":"China Mobile","currency":"CNY",
   "provider":{"kind":"manual"},"executor":{"kind":"remind"},
   "rules":[{"id":"alipay","mode":"external","via":"支付宝自动充值","amount":"50.00",
             "trigger":{"kind":"monthly","day":1,"at":"00:00"}}]}]}"#;

const INTENT: &str = r#"{"v":1,"id":"01extintent0001","at":"2026-11-01T00:00:00+08:00","number":"cmcc","type":"intent","rule":"alipay","key":"alipay:2026-11","attempt":1,"amount_minor":5000,"currency":"CNY","mode":"external"}"#;

fn screen(now: &str, log: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), CONFIG).unwrap();
    std::fs::write(dir.path().join("log.jsonl"), log).unwrap();
    let app = App::open(
        Paths::in_home(dir.path()),
        Clock::Fixed(now.parse().unwrap()),
        Theme { color: false },
    )
    .unwrap();
    let mut t = Terminal::new(TestBackend::new(120, 36)).unwrap();
    t.draw(|f| view(&app, f)).unwrap();
    t.backend().to_string()
}

#[test]
fn a_missed_external_recharge_says_where_to_look() {
    let log = format!("{INTENT}\n");
    let s = screen("2026-11-04T00:00:00Z", &log);
    assert!(s.contains("recharge missed"), "{s}");
    assert!(s.contains("Missed: ¥50.00 from 支付宝自动充值"), "{s}");
    assert!(s.contains("made by 支付宝自动充值"), "{s}");
    // Inside its window it is only expected.
    let s = screen("2026-11-01T12:00:00Z", &log);
    assert!(!s.contains("Missed:"), "{s}");
    assert!(!s.contains("recharge missed"), "{s}");
}

fn open(now: &str, log: &str) -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.json"), CONFIG).unwrap();
    std::fs::write(dir.path().join("log.jsonl"), log).unwrap();
    let app = App::open(
        Paths::in_home(dir.path()),
        Clock::Fixed(now.parse().unwrap()),
        Theme { color: false },
    )
    .unwrap();
    (dir, app)
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view(app, f)).unwrap();
    t.backend().to_string()
}

#[test]
fn u_settles_a_missed_external_recharge_as_an_in_doubt_one() {
    use baohao::tui::update::type_text as keys;
    let (dir, mut app) = open("2026-11-04T00:00:00Z", &format!("{INTENT}\n"));
    keys(&mut app, "3");
    keys(&mut app, "u");
    let s = render(&app, 100, 30);
    assert!(!s.contains("pick one marked"), "{s}");
    // The question names where the money should have come from and when it was due.
    assert!(s.contains("支付宝自动充值"), "{s}");
    assert!(s.contains("11-01 00:00"), "{s}");
    // Esc leaves the log as it was.
    keys(&mut app, "q");
    let log = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    assert!(!log.contains("resolved"), "{log}");
    // s: the money arrived after all.
    keys(&mut app, "us");
    let log = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    let last = log.lines().last().unwrap();
    assert!(last.contains("\"type\":\"resolved\""), "{last}");
    assert!(last.contains("01extintent0001"), "{last}");
    assert!(last.contains("\"status\":\"succeeded\""), "{last}");
    let s = render(&app, 100, 30);
    assert!(!s.contains("recharge missed"), "{s}");
}

#[test]
fn d_on_a_missed_external_recharge_records_that_it_did_not_come() {
    use baohao::tui::update::type_text as keys;
    let (dir, mut app) = open("2026-11-04T00:00:00Z", &format!("{INTENT}\n"));
    keys(&mut app, "3u");
    let s = render(&app, 100, 30);
    // An external rule is never retried by baohao: no "tries again" on offer.
    assert!(!s.contains("tries again"), "{s}");
    keys(&mut app, "d");
    let log = std::fs::read_to_string(dir.path().join("log.jsonl")).unwrap();
    let last = log.lines().last().unwrap();
    assert!(last.contains("\"type\":\"resolved\""), "{last}");
    assert!(last.contains("\"status\":\"failed\""), "{last}");
}

#[test]
fn the_missed_sentence_is_whole_and_names_the_rules_due_time() {
    // The worker was down on the 1st and wrote November's intent on the 2nd at 15:43.
    let late = INTENT.replace("2026-11-01T00:00:00+08:00", "2026-11-02T15:43:00+08:00");
    let (_dir, app) = open("2026-11-06T00:00:00Z", &format!("{late}\n"));
    for w in [80, 120] {
        let s = render(&app, w, 30);
        let flat: String = s
            .lines()
            .map(|l| l.split('"').nth(1).unwrap_or("").trim())
            .collect::<Vec<_>>()
            .join(" ");
        assert!(flat.contains("due 11-01 00:00"), "{s}");
        assert!(!flat.contains("11-02 15:43"), "{s}");
        assert!(flat.contains("baohao resolve 01extintent0001"), "{s}");
    }
}
