//! Importers on hand-written fixtures: format detection, parsing (golden), encodings, bad
//! input as one sentence with its line, the carrier-text corpus, and idempotence when one
//! statement is imported as overlapping pieces in any order.

use std::collections::BTreeSet;
use std::io::Cursor;

use baohao::engine::{History, Keep, State};
use baohao::import::sms::{Parsed, parse_text, patterns_for};
use baohao::import::{Format, Options, Reading, detect, read};
use baohao::model::{Config, Currency, Event};
use baohao::store::config::parse;
use chrono::{DateTime, FixedOffset};
use proptest::prelude::*;

#[path = "common/statements.rs"]
mod statements;

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/import");

fn config() -> Config {
    parse(
        r#"{"version":1,"timezone":"Asia/Shanghai","numbers":[
        {"id":"cmcc","label":"移动","msisdn":"+8613800138000","carrier":"China Mobile","currency":"CNY",
         "provider":{"kind":"manual"},"executor":{"kind":"remind"}},
        {"id":"cu","label":"联通","msisdn":"+8613012345678","carrier":"China Unicom","currency":"CNY",
         "provider":{"kind":"manual"},"executor":{"kind":"remind"}},
        {"id":"gg","label":"giffgaff","msisdn":"+447700900123","carrier":"giffgaff","currency":"GBP",
         "provider":{"kind":"manual"},"executor":{"kind":"remind"}},
        {"id":"hk","label":"香港","msisdn":"+85291234567","carrier":"CSL","currency":"HKD",
         "provider":{"kind":"manual"},"executor":{"kind":"remind"}},
        {"id":"us","label":"US","msisdn":"+12025550123","carrier":"T-Mobile Prepaid","currency":"USD",
         "provider":{"kind":"manual"},"executor":{"kind":"remind"},
         "reply_patterns":["(?i)bal(?:ance)?\\s*=\\s*(?P<balance>\\$\\d+\\.\\d{2})"]}],
        "import":{"csv":{"date":"Date","amount":"Amount","description":"Details","reference":"Ref","date_format":"%d/%m/%Y"}}}"#
            .as_bytes(),
    )
    .expect("valid config")
}

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2026-12-01T10:00:00+08:00").unwrap()
}

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIX}/{name}")).expect("fixture exists")
}

fn read_bytes(
    bytes: Vec<u8>,
    format: Option<Format>,
    number: Option<&str>,
) -> Result<Reading, String> {
    let options = Options {
        format,
        number: number.map(str::to_string),
        ..Options::default()
    };
    read(&config(), Cursor::new(bytes), &options, now()).map_err(|e| e.sentence("f"))
}

/// The reading as text: one log line per event, then what was set aside.
fn render(r: &Reading) -> String {
    let mut s = String::new();
    for e in &r.events {
        s.push_str(&e.to_line());
        s.push('\n');
    }
    for u in r.unmatched.kept() {
        s.push_str(&format!("unmatched: {u}\n"));
    }
    for k in r.skipped.kept() {
        s.push_str(&format!("skipped: {k}\n"));
    }
    s
}

fn golden(name: &str, format: Option<Format>, number: Option<&str>) -> String {
    let r = read_bytes(fixture(name), format, number).unwrap_or_else(|e| panic!("{name}: {e}"));
    render(&r)
}

#[test]
fn formats_are_detected() {
    let c = config();
    for (name, f) in [
        ("alipay.csv", Format::Alipay),
        ("wechat.csv", Format::Wechat),
        ("wechat.xlsx", Format::Wechat),
        ("generic.csv", Format::Csv),
        ("sms.txt", Format::Sms),
        ("termux.json", Format::Sms),
        ("gateway.json", Format::Sms),
        ("mmcli.json", Format::Sms),
    ] {
        assert_eq!(detect(&fixture(name), &c), Some(f), "{name}");
    }
    assert_eq!(detect(b"a,b,c\n1,2,3\n", &c), None);
}

#[test]
fn alipay_golden() {
    insta::assert_snapshot!(golden("alipay.csv", None, None));
}

#[test]
fn alipay_in_gbk_reads_the_same() {
    let text = String::from_utf8(fixture("alipay.csv")).unwrap();
    let text = text.trim_start_matches('\u{feff}');
    let (gbk, _, bad) = encoding_rs::GBK.encode(text);
    assert!(!bad);
    assert!(
        std::str::from_utf8(&gbk).is_err(),
        "the sample really is GBK"
    );
    let r = read_bytes(gbk.into_owned(), None, None).expect("GBK reads");
    assert_eq!(render(&r), golden("alipay.csv", None, None));
}

#[test]
fn wechat_golden() {
    insta::assert_snapshot!(golden("wechat.csv", None, None));
}

#[test]
fn wechat_xlsx_reads_as_the_csv() {
    let x = golden("wechat.xlsx", None, None);
    assert!(!x.is_empty());
    assert_eq!(x, golden("wechat.csv", None, None));
}

#[test]
fn generic_csv_golden() {
    insta::assert_snapshot!(golden("generic.csv", None, None));
}

#[test]
fn number_flag_assigns_every_top_up_but_one_naming_another_number() {
    let r = golden("generic.csv", Some(Format::Csv), Some("gg"));
    assert_eq!(
        r.lines()
            .filter(|l| l.contains("\"number\":\"gg\""))
            .count(),
        1,
        "{r}"
    );
    // `Vodafone top-up 07700 900999` is someone else's number, not giffgaff's.
    assert!(
        r.contains("unmatched: line 4: Vodafone top-up 07700 900999"),
        "{r}"
    );
    let no_number = "Date,Details,Amount,Ref\n01/11/2026,giffgaff top up,-10.00,TX1\n";
    let r = read_bytes(no_number.as_bytes().to_vec(), Some(Format::Csv), Some("gg")).unwrap();
    assert_eq!(r.events.len(), 1, "{}", render(&r));
}

#[test]
fn sms_text_golden() {
    insta::assert_snapshot!(golden("sms.txt", None, Some("cmcc")));
}

#[test]
fn sms_json_golden() {
    let mut s = golden("termux.json", None, Some("gg"));
    s.push_str(&golden("gateway.json", None, None));
    s.push_str(&golden("mmcli.json", None, None));
    insta::assert_snapshot!(s);
}

#[test]
fn bad_input_is_one_sentence_with_its_line() {
    let alipay = String::from_utf8(fixture("alipay.csv")).unwrap();
    let bad_amount = alipay.replace(
        ",50.00 ,余额宝 ,交易成功 ,2026110122001400001",
        ",5O.00 ,余额宝 ,交易成功 ,2026110122001400001",
    );
    // A top-up row whose amount is not one is that row's problem, listed with its line.
    let r = read_bytes(bad_amount.into_bytes(), None, None).expect("the rest reads");
    assert!(
        r.skipped
            .kept()
            .iter()
            .any(|s| s.starts_with("line 6: ") && s.contains("5O.00")),
        "{:?}",
        r.skipped
    );
    // A date that does not read: passed over on a row that is no top-up, that row's
    // problem on a top-up, never the file's.
    let bad_date = alipay.replace("2026-11-03 12:30:00", "2026-13-03 12:30:00");
    let r = read_bytes(bad_date.into_bytes(), None, None).expect("the rest reads");
    assert!(
        r.skipped.kept().iter().all(|s| !s.contains("2026-13-03")),
        "{:?}",
        r.skipped
    );
    let bad_date = alipay.replace("2026-11-01 00:00:05", "2026-13-01 00:00:05");
    let r = read_bytes(bad_date.into_bytes(), None, None).expect("the rest reads");
    assert!(
        r.skipped
            .kept()
            .iter()
            .any(|s| s.starts_with("line 6: ") && s.contains("2026-13-01")),
        "{:?}",
        r.skipped
    );
    let missing = alipay.replace(",交易订单号,", ",订单,");
    let e = read_bytes(missing.into_bytes(), None, None).unwrap_err();
    assert!(e.starts_with("f:5: ") && e.contains("交易订单号"), "{e}");
    let e = read_bytes(b"a,b,c\n1,2,3\n".to_vec(), None, None).unwrap_err();
    assert!(e.contains("--format"), "{e}");
    let e = read_bytes(
        vec![0xff, 0xfe, 0xfd, 0x80, 0x81, b','],
        Some(Format::Alipay),
        None,
    )
    .unwrap_err();
    assert!(e.contains("UTF-8"), "{e}");
    let e = read_bytes(b"[{\"nope\":1}]".to_vec(), None, None).unwrap_err();
    assert!(e.starts_with("f:1: "), "{e}");
    assert_eq!(e.lines().count(), 1, "one sentence: {e}");
}

#[derive(serde::Deserialize)]
struct Case {
    carrier: String,
    currency: String,
    text: String,
    expect: String,
}

fn judged(p: &Parsed, cur: Currency) -> String {
    let date = |d: &Option<chrono::NaiveDate>| d.map(|d| format!(" {d}")).unwrap_or_default();
    match p {
        Parsed::Other => "other".into(),
        Parsed::Balance {
            balance,
            valid_until,
        } => format!(
            "balance {}{}",
            balance
                .signed_minor(cur)
                .map_or("?".into(), |m| m.to_string()),
            date(valid_until)
        ),
        Parsed::TopUp {
            amount,
            balance,
            valid_until,
        } => format!(
            "top_up {}{}{}",
            amount
                .money(cur)
                .map_or("?".into(), |m| m.minor.to_string()),
            balance
                .as_ref()
                .map(|b| format!(
                    " {}",
                    b.signed_minor(cur).map_or("?".into(), |m| m.to_string())
                ))
                .unwrap_or_default(),
            date(valid_until)
        ),
    }
}

#[test]
fn the_message_corpus() {
    let cases: Vec<Case> = serde_json::from_slice(&fixture("corpus.json")).unwrap();
    assert!(cases.len() >= 40);
    let mut wrong = Vec::new();
    for c in &cases {
        let cur = Currency::new(&c.currency).unwrap();
        let got = judged(&parse_text(&c.text, &patterns_for(&c.carrier), &[]), cur);
        if got != c.expect {
            wrong.push(format!(
                "{}: {:?}\n   expected {}\n   got      {got}",
                c.carrier, c.text, c.expect
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_numbers_own_patterns_come_first() {
    let c = config();
    let us = c.number("us").unwrap();
    let own = baohao::import::sms::number_patterns(&us.reply_patterns);
    let p = parse_text("BAL=$7.25 thank you", &patterns_for(&us.carrier), &own);
    assert_eq!(judged(&p, us.currency), "balance 725");
    // Without them the general balance reader reads this one too…
    assert_eq!(
        judged(
            &parse_text("BAL=$7.25 thank you", &patterns_for(&us.carrier), &[]),
            us.currency
        ),
        "balance 725"
    );
    // … but where the two differ, the number's own pattern wins.
    let two = "Credit $1.00. BAL=$7.25 thank you";
    assert_eq!(
        judged(
            &parse_text(two, &patterns_for(&us.carrier), &own),
            us.currency
        ),
        "balance 725"
    );
    assert_eq!(
        judged(
            &parse_text(two, &patterns_for(&us.carrier), &[]),
            us.currency
        ),
        "balance 100"
    );
}

/// The log after importing each piece in turn (already-present ids skipped, as the CLI
/// does under the lock), as a replayed history.
fn import_pieces(pieces: &[Vec<u8>]) -> (BTreeSet<String>, Vec<String>) {
    let mut log: Vec<Event> = Vec::new();
    for p in pieces {
        let r = read_bytes(p.clone(), Some(Format::Alipay), None).expect("piece reads");
        for e in r.events {
            if !log.iter().any(|l| l.id == e.id) {
                log.push(e);
            }
        }
    }
    let c = config();
    let mut h = History::new(State::new(c.timezone), Keep::Rows);
    for e in &log {
        h.apply(e, None);
    }
    let now = now().with_timezone(&chrono::Utc);
    let mut entries: Vec<String> = h
        .entries(&c, now)
        .iter()
        .map(|e| {
            format!(
                "{} {:?} {:?} {:?} {:?}",
                e.number, e.amount_minor, e.status, e.reference, e.flags
            )
        })
        .collect();
    entries.sort();
    (log.iter().map(|e| e.id.clone()).collect(), entries)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// One statement split into overlapping pieces, imported in any order, leaves the same
    /// log state as importing it once.
    #[test]
    fn overlapping_pieces_in_any_order_are_one_import(
        bounds in proptest::collection::btree_set(1usize..7, 0..4),
        overlaps in proptest::collection::vec(0usize..3, 5),
        seed in any::<u64>(),
    ) {
        let text = String::from_utf8(fixture("alipay.csv")).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let header = &lines[..5];
        let rows = &lines[5..12];
        let mut edges = vec![0];
        edges.extend(bounds.iter().copied());
        edges.push(rows.len());
        let mut pieces: Vec<Vec<u8>> = edges
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let start = w[0].saturating_sub(overlaps[i]);
                let mut p: Vec<&str> = header.to_vec();
                p.extend(&rows[start..w[1]]);
                (p.join("\n") + "\n").into_bytes()
            })
            .collect();
        let mut seed = seed;
        for i in (1..pieces.len()).rev() {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            pieces.swap(i, (seed >> 33) as usize % (i + 1));
        }
        let once = import_pieces(&[fixture("alipay.csv")]);
        prop_assert_eq!(import_pieces(&pieces), once);
    }
}

/// An Alipay-shaped statement of about `bytes`, generated as it is read: one phone top-up
/// every thousand rows, the rest shopping.
struct Generated {
    left: usize,
    row: u64,
    buf: Vec<u8>,
    pos: usize,
}

impl Generated {
    fn new(bytes: usize) -> Generated {
        let head = String::from_utf8(fixture("alipay.csv")).unwrap();
        let head: Vec<&str> = head.lines().take(5).collect();
        Generated {
            left: bytes,
            row: 0,
            buf: (head.join("\n") + "\n").into_bytes(),
            pos: 0,
        }
    }
}

impl std::io::Read for Generated {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.buf.len() {
            if self.left == 0 {
                return Ok(0);
            }
            self.row += 1;
            let n = self.row;
            let (what, goods) = if n.is_multiple_of(1000) {
                ("充值缴费 ,中国移动", "话费充值 13800138000")
            } else {
                ("日用百货 ,示例超市", "购物")
            };
            let line = format!(
                "2026-11-{:02} {:02}:{:02}:00 ,{what} ,x***@example.com ,{goods} ,支出 ,{}.{:02} ,余额宝 ,交易成功 ,{:019}\t,M{n}\t, ,\n",
                1 + n % 28,
                n % 24,
                n % 60,
                10 + n % 90,
                n % 100,
                2026110100000000000u64 + n
            );
            self.left = self.left.saturating_sub(line.len());
            self.buf = line.into_bytes();
            self.pos = 0;
        }
        let k = (self.buf.len() - self.pos).min(out.len());
        out[..k].copy_from_slice(&self.buf[self.pos..self.pos + k]);
        self.pos += k;
        Ok(k)
    }
}

fn peak_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    s.lines()
        .find(|l| l.starts_with("VmHWM:"))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// Run alone: `cargo test --release --test import -- --ignored streams`.
#[test]
#[ignore = "reads 100 MB; run alone to measure peak memory"]
fn a_100_mb_statement_streams_in_bounded_memory() {
    let before = peak_kib();
    let r = read(
        &config(),
        Generated::new(100 << 20),
        &Options::default(),
        now(),
    )
    .expect("reads");
    assert!(r.events.len() > 500, "{}", r.events.len());
    if let (Some(b), Some(a)) = (before, peak_kib()) {
        // The top-ups found are kept; the 100 MB are not.
        assert!(
            a.saturating_sub(b) < 48 * 1024,
            "peak grew by {} KiB",
            a - b
        );
    }
}

#[test]
fn full_width_brackets_in_the_column_row_are_read() {
    let text = String::from_utf8(fixture("wechat.csv"))
        .unwrap()
        .replace("金额(元)", "金额（元）");
    let r = read_bytes(text.into_bytes(), None, None).expect("reads");
    assert_eq!(render(&r), golden("wechat.csv", None, None));
    let text = String::from_utf8(fixture("alipay.csv"))
        .unwrap()
        .replace(",金额,", ",金额（元）,");
    let r = read_bytes(text.into_bytes(), None, None).expect("reads");
    assert_eq!(render(&r), golden("alipay.csv", None, None));
}

#[test]
fn the_config_keeps_the_new_fields_when_rewritten() {
    let c = config();
    let again = parse(baohao::store::config::render(&c).as_bytes()).expect("re-reads");
    assert_eq!(again.import_csv, c.import_csv);
    assert_eq!(
        again.number("us").unwrap().reply_patterns,
        c.number("us").unwrap().reply_patterns
    );
    let ext = parse(
        r#"{"version":1,"numbers":[{"id":"x","label":"X","msisdn":"+8613800138000","currency":"CNY",
        "provider":{"kind":"manual"},"executor":{"kind":"remind"},"rules":[{"id":"a","mode":"external",
        "via":"支付宝自动充值","confirm_hours":12,"amount":"5","trigger":{"kind":"monthly","day":1,"at":"00:00"}}]}]}"#
            .as_bytes(),
    )
    .unwrap();
    let again = parse(baohao::store::config::render(&ext).as_bytes()).unwrap();
    assert_eq!(again.numbers[0].rules, ext.numbers[0].rules);
    assert_eq!(
        again.numbers[0].rules[0].via.as_deref(),
        Some("支付宝自动充值")
    );
}

#[test]
fn a_200k_row_statement_keeps_a_capped_list_and_exact_counts() {
    use baohao::import::limits::MAX_LISTED;
    let r = read_bytes(
        statements::unusable_alipay_rows(120_000, 78_000, 2_000),
        Some(Format::Alipay),
        None,
    )
    .expect("reads");
    assert_eq!(r.rows, Some(200_000));
    assert_eq!(r.events.len(), 2_000, "identical rows are all kept");
    // Only the sentences that can be shown are held; the counts stay exact.
    assert_eq!(r.skipped.kept().len(), MAX_LISTED);
    assert_eq!(r.skipped.len(), 120_000);
    assert_eq!(r.skipped.more(), 119_000);
    assert_eq!(r.unmatched.kept().len(), MAX_LISTED);
    assert_eq!(r.unmatched.len(), 78_000);
    assert_eq!(r.duplicates.kept().len(), MAX_LISTED);
    assert_eq!(r.duplicates.len(), 1_999);
    assert!(
        r.skipped.kept()[0].contains("line 4"),
        "{}",
        r.skipped.kept()[0]
    );
}
