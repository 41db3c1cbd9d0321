//! What the screens keep when the terminal is narrow: the number before the carrier, and
//! every cut marked with `…`.

use baohao::clock::Clock;
use baohao::i18n::{Lang, with_lang};
use baohao::store::Paths;
use baohao::tui::app::App;
use baohao::tui::theme::Theme;
use baohao::tui::view::view;
use chrono::{DateTime, Utc};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

fn now() -> DateTime<Utc> {
    "2026-11-25T10:00:00Z".parse().unwrap()
}

/// The screen's rows, with the cells a wide character covers dropped (as a terminal shows it).
fn rows(app: &App, w: u16, h: u16) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view(app, f)).unwrap();
    let buf = t.backend().buffer().clone();
    (0..h)
        .map(|y| {
            let mut row = String::new();
            let mut skip = 0;
            for x in 0..w {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                let sym = buf[(x, y)].symbol();
                skip = unicode_width::UnicodeWidthStr::width(sym).saturating_sub(1);
                row.push_str(sym);
            }
            row
        })
        .collect()
}

fn demo() -> (tempfile::TempDir, App) {
    let dir = tempfile::tempdir().unwrap();
    let paths = Paths::in_home(dir.path());
    baohao::home::write_demo(&paths, now()).unwrap();
    let app = App::open(paths, Clock::Fixed(now()), Theme { color: false }).unwrap();
    (dir, app)
}

#[test]
fn at_80_columns_the_number_is_shown_and_the_carrier_gives_way_first() {
    let (_dir, app) = demo();
    for lang in [Lang::En, Lang::Zh] {
        let s = with_lang(lang, || rows(&app, 80, 24)).join("\n");
        let head = s.lines().nth(1).unwrap_or_default().to_string();
        let (number, carrier) = match lang {
            Lang::Zh => ("号码", "运营商"),
            _ => ("NUMBER", "CARRIER"),
        };
        assert!(head.contains(number), "{s}");
        assert!(!head.contains(carrier), "{s}");
        assert!(s.contains("+44 •••••• 0123"), "{s}");
        // Wide enough for both, both are shown.
        let wide = with_lang(lang, || rows(&app, 100, 30)).join("\n");
        let head = wide.lines().nth(1).unwrap_or_default().to_string();
        assert!(head.contains(number) && head.contains(carrier), "{wide}");
    }
}

/// The rows of the Numbers detail pane: after its title rule, before the footer.
fn pane(rows: &[String]) -> Vec<String> {
    let start = rows.iter().position(|r| r.contains("──")).unwrap_or(0) + 1;
    rows[start..rows.len() - 2]
        .iter()
        .map(|r| r.trim_end().to_string())
        .collect()
}

#[test]
fn at_60_columns_every_cut_ends_with_an_ellipsis() {
    let (_dir, app) = demo();
    for lang in [Lang::En, Lang::Zh] {
        let narrow = with_lang(lang, || rows(&app, 60, 24));
        let whole = with_lang(lang, || rows(&app, 200, 24));
        let s = narrow.join("\n");
        // The label that does not fit.
        let uk = s
            .lines()
            .find(|l| l.contains("UK bank"))
            .unwrap_or_default();
        assert!(uk.contains("UK bank co") && uk.contains('…'), "{s}");
        assert!(!uk.contains("codes"), "{s}");
        // Each line of the pane is whole, or cut with the mark.
        let (narrow, whole) = (pane(&narrow), pane(&whole));
        assert_eq!(narrow.len(), whole.len(), "{s}");
        let mut cut = 0;
        for (n, w) in narrow.iter().zip(&whole) {
            if n != w {
                cut += 1;
                assert!(n.ends_with('…'), "{n:?} is a cut of {w:?} without …\n{s}");
                assert!(w.starts_with(n.trim_end_matches('…')), "{n:?} / {w:?}");
            }
        }
        if lang == Lang::En {
            assert!(cut >= 1, "60 columns cut nothing: {s}");
        }
    }
}

#[test]
fn at_40x10_the_labels_and_deadlines_stay_whole() {
    let (_dir, app) = demo();
    let s = rows(&app, 40, 10).join("\n");
    assert!(s.contains("UK bank codes"), "{s}");
    assert!(s.contains("use by 5d"), "{s}");
    assert!(!s.contains('…'), "{s}");
}

/// The History table's cells under `col` (from its header's start to the next column's),
/// down to the chart.
fn column(rows: &[String], col: &str, next: &str) -> Vec<String> {
    let head = rows
        .iter()
        .position(|r| r.contains(col) && r.contains(next))
        .unwrap_or_else(|| panic!("no header with {col}: {}", rows.join("\n")));
    let chars = |s: &str| s.chars().collect::<Vec<_>>();
    let h = chars(&rows[head]);
    let find = |w: &str| {
        let w = chars(w);
        (0..h.len()).find(|&i| h[i..].starts_with(&w)).unwrap_or(0)
    };
    let (a, b) = (find(col), find(next));
    rows[head + 1..]
        .iter()
        .take_while(|r| !r.contains("months") && !r.trim().is_empty())
        .map(|r| chars(r))
        .filter(|r| r.len() > b)
        .map(|r| r[a..b].iter().collect::<String>().trim().to_string())
        .collect()
}

#[test]
fn history_cells_are_whole_or_cut_with_an_ellipsis() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"version":1,"timezone":"Asia/Shanghai","numbers":[
          {"id":"cmcc-alipay","label":"China Mobile by Alipay","msisdn":"+8613912345678",
           "carrier":"China Mobile","currency":"CNY","provider":{"kind":"manual"},
           "executor":{"kind":"remind"}}]}"#,
    )
    .unwrap();
    std::fs::write(
        dir.path().join("log.jsonl"),
        concat!(
            r#"{"v":1,"id":"imp-1","at":"2026-11-01T10:00:00+08:00","number":"cmcc-alipay","type":"statement","source":"alipay","ref":"2026110122001","amount_minor":3000,"currency":"CNY","text":"话费充值 139****5678 30元"}"#,
            "\n",
            r#"{"v":1,"id":"b-1","at":"2026-11-02T10:00:00+08:00","number":"cmcc-alipay","type":"balance","balance_minor":3850,"currency":"CNY","source":"manual"}"#,
            "\n"
        ),
    )
    .unwrap();
    let mut app = App::open(
        Paths::in_home(dir.path()),
        Clock::Fixed(now()),
        Theme { color: false },
    )
    .unwrap();
    baohao::tui::update::type_text(&mut app, "3");
    let id = "cmcc-alipay";
    for (w, h) in [(80, 24), (100, 30)] {
        let r = rows(&app, w, h);
        let s = r.join("\n");
        let kinds = column(&r, "KIND", "AMOUNT");
        assert!(kinds.contains(&"statement".to_string()), "{kinds:?}\n{s}");
        let numbers = column(&r, "NUMBER", "KIND");
        assert_eq!(numbers.len(), 2, "{s}");
        for n in numbers {
            assert!(
                n == id || (n.ends_with('…') && id.starts_with(n.trim_end_matches('…'))),
                "{n:?} is neither the number's id nor its marked cut\n{s}"
            );
        }
    }
}

#[test]
fn rules_and_forecast_cells_are_whole_or_cut_with_an_ellipsis() {
    let dir = tempfile::tempdir().unwrap();
    let label = "China Mobile 保号 plan kept alive by Alipay's monthly auto-recharge";
    std::fs::write(
        dir.path().join("config.json"),
        format!(
            r#"{{"version":1,"timezone":"Asia/Shanghai","numbers":[
          {{"id":"cmcc-alipay","label":"{label}","msisdn":"+8613912345678",
           "carrier":"China Mobile","currency":"CNY","provider":{{"kind":"manual"}},
           "executor":{{"kind":"remind"}},
           "rules":[{{"id":"alipay","mode":"external","via":"支付宝自动充值","amount":"30.00",
                      "trigger":{{"kind":"monthly","day":1,"at":"00:00"}}}}]}}]}}"#
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("log.jsonl"), "").unwrap();
    let mut app = App::open(
        Paths::in_home(dir.path()),
        Clock::Fixed(now()),
        Theme { color: false },
    )
    .unwrap();
    for w in [64, 80, 100] {
        baohao::tui::update::type_text(&mut app, "2");
        let r = rows(&app, w, 24);
        let s = r.join("\n");
        let heading = r
            .iter()
            .find(|l| l.contains("China Mobile 保号"))
            .unwrap_or_else(|| panic!("no heading\n{s}"));
        let heading = heading.trim_end();
        assert!(
            heading.contains("(cmcc-alipay)") || heading.ends_with('…'),
            "{heading:?} cut without …\n{s}"
        );
        baohao::tui::update::type_text(&mut app, "4");
        let r = rows(&app, w, 24);
        let s = r.join("\n");
        // The planned items (a time, then the label), not the monthly totals.
        assert!(w < 100 || s.contains("MODE"), "{s}");
        let planned: Vec<&String> = r
            .iter()
            .filter(|l| l.contains("¥30.00") && l.contains(':'))
            .collect();
        assert!(!planned.is_empty(), "{s}");
        for l in planned {
            assert!(l.contains("China Mobile"), "{l}");
            // The label is whole or marked; the mode is whole.
            assert!(l.contains(label) || l.contains('…'), "{l:?}\n{s}");
            if s.contains("MODE") {
                assert!(l.contains("external"), "{l:?}\n{s}");
            }
        }
    }
}

/// What the popup drawn with corners `┌`…`┐` holds, row by row, inside its borders (read
/// by cell, so a wide character counts as the two cells it covers).
fn popup_text(app: &App, w: u16, h: u16) -> Vec<String> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| view(app, f)).unwrap();
    let buf = t.backend().buffer().clone();
    let at = |x: u16, y: u16| buf[(x, y)].symbol().to_string();
    let (x0, top) = (0..h)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .find(|&(x, y)| at(x, y) == "┌")
        .expect("a popup");
    let x1 = (x0..w).rev().find(|&x| at(x, top) == "┐").unwrap_or(w - 1);
    (top + 1..h)
        .take_while(|&y| at(x0, y) != "└")
        .map(|y| (x0 + 1..x1).map(|x| at(x, y)).collect())
        .collect()
}

#[test]
fn help_lines_wrap_within_the_window_never_cut() {
    let (_dir, mut app) = demo();
    baohao::tui::update::type_text(&mut app, "?");
    for lang in [Lang::En, Lang::Zh] {
        for w in [50, 64, 80] {
            let inside: String = with_lang(lang, || popup_text(&app, w, 60))
                .concat()
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let want: String = with_lang(lang, || baohao::i18n::T::HelpSettings.s().to_string())
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            assert!(inside.contains(&want), "{lang:?} at {w}: {inside}");
        }
    }
}

#[test]
fn forecast_totals_show_every_amount_whole() {
    let (_dir, mut app) = demo();
    baohao::tui::update::type_text(&mut app, "4");
    // Side by side from 76 columns; stacked under that (tall enough to show the year).
    for (w, h) in [(60, 50), (76, 30), (80, 24), (100, 30)] {
        let r = rows(&app, w, h);
        let s = r.join("\n");
        let year = r
            .iter()
            .find(|l| l.contains("12 months"))
            .unwrap_or_else(|| panic!("no year row at {w}\n{s}"));
        let left = year.split('│').next().unwrap_or_default();
        // Each amount is whole: its currency's sign and its cents.
        for token in left.split_whitespace().skip(2) {
            assert!(
                ["¥", "$", "£", "HK$"].iter().any(|p| token.starts_with(p)) && token.contains('.'),
                "{token:?} is not a whole amount at {w}\n{s}"
            );
        }
    }
}
