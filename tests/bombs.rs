//! Imports that try to explode, every one generated
//! here, none stored: each is refused in one sentence, or read whole, within a fixed memory
//! bound, with nothing written when it is refused.

mod common;
use common::bombs::{
    BOUND, Packing, WECHAT_COLUMNS, column, fill, measured, row, sheet_end, sheet_start, write_zip,
    xlsx,
};
use common::demo_home;

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output};

const NOW: &str = "2026-12-01T02:00:00Z";

/// `baohao import ARGS…` on `home`, and its peak memory.
fn import(home: &Path, args: &[&str]) -> (Output, u64) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baohao"));
    cmd.arg("--home")
        .arg(home)
        .arg("import")
        .args(args)
        .env("BAOHAO_NOW", NOW)
        .env("LANG", "C.UTF-8")
        .env_remove("BAOHAO_HOME")
        .env_remove("LC_ALL");
    measured(&mut cmd)
}

fn log(home: &Path) -> Vec<u8> {
    std::fs::read(home.join("log.jsonl")).unwrap_or_default()
}

/// Refused in one sentence that says each of `says`, not aborted, within the bound, and
/// nothing written.
fn refused(home: &Path, args: &[&str], says: &[&str]) {
    let before = log(home);
    let (o, peak) = import(home, args);
    let err = String::from_utf8_lossy(&o.stderr).into_owned();
    assert_eq!(
        o.status.code(),
        Some(1),
        "{args:?} refused, not aborted: {o:?}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "one sentence: {err:?}");
    for s in says {
        assert!(err.contains(s), "{err:?} should say {s:?}");
    }
    eprintln!("peak {} MiB: {args:?}", peak >> 20);
    assert!(peak < BOUND, "{args:?} took {} MiB", peak >> 20);
    assert_eq!(log(home), before, "nothing written");
}

fn path(dir: &Path, name: &str) -> String {
    dir.join(name).display().to_string()
}

#[test]
fn a_sheet_declaring_the_last_cell_of_excel_is_refused_not_an_abort() {
    let h = demo_home();
    let f = path(h.path(), "last.xlsx");
    xlsx(
        Path::new(&f),
        &mut |w| {
            sheet_start(w, Some("A1:XFD1048576"));
            w.write_all(
                br#"<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>"#,
            )
            .unwrap();
            sheet_end(w);
        },
        None,
    );
    refused(h.path(), &[&f], &["XFD1048576", "16384 columns"]);
}

#[test]
fn a_far_corner_is_refused_whether_declared_or_only_written() {
    let h = demo_home();
    for (name, dim) in [
        ("declared.xlsx", Some("A1:XFD5000")),
        ("written.xlsx", None),
    ] {
        let f = path(h.path(), name);
        xlsx(
            Path::new(&f),
            &mut |w| {
                sheet_start(w, dim);
                row(w, 1, WECHAT_COLUMNS);
                w.write_all(
                    br#"<row r="5000"><c r="XFD5000" t="inlineStr"><is><t>x</t></is></c></row>"#,
                )
                .unwrap();
                sheet_end(w);
            },
            None,
        );
        let says: &[&str] = if dim.is_some() {
            &["16384 columns"]
        } else {
            &["5000", "column 16384"]
        };
        refused(h.path(), &[&f], says);
    }
}

#[test]
fn deflated_whitespace_is_refused_by_what_it_inflates_to() {
    let h = demo_home();
    let f = path(h.path(), "white.xlsx");
    xlsx(
        Path::new(&f),
        &mut |w| {
            sheet_start(w, None);
            fill(w, b' ', 600 << 20);
            sheet_end(w);
        },
        None,
    );
    assert!(std::fs::metadata(&f).unwrap().len() < 4 << 20);
    refused(h.path(), &[&f], &["ZIP bomb"]);
}

#[test]
fn a_cell_longer_than_any_statement_cell_is_refused() {
    let h = demo_home();
    let f = path(h.path(), "cell.xlsx");
    xlsx(
        Path::new(&f),
        &mut |w| {
            sheet_start(w, Some("A1:K2"));
            row(w, 1, WECHAT_COLUMNS);
            w.write_all(br#"<row r="2"><c r="A2" t="inlineStr"><is><t>"#)
                .unwrap();
            // Not whitespace, and not one byte repeated: a cell, not a ratio.
            for i in 0..(8u32 << 20) / 8 {
                write!(w, "{:08x}", i.wrapping_mul(2_654_435_761)).unwrap();
            }
            w.write_all(b"</t></is></c></row>").unwrap();
            sheet_end(w);
        },
        None,
    );
    refused(h.path(), &[&f], &["sheet1.xml", "cell"]);
}

#[test]
fn shared_strings_larger_than_a_workbook_needs_or_miscounted_are_refused() {
    let h = demo_home();
    let big = path(h.path(), "strings.xlsx");
    let sheet = &mut |w: &mut dyn Write| {
        sheet_start(w, None);
        w.write_all(br#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#)
            .unwrap();
        sheet_end(w);
    };
    xlsx(
        Path::new(&big),
        sheet,
        Some(&mut |w| {
            w.write_all(
                br#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#,
            )
            .unwrap();
            for i in 0..1_000_000u32 {
                write!(
                    w,
                    "<si><t>{:016x}</t></si>",
                    u64::from(i).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                )
                .unwrap();
            }
            w.write_all(b"</sst>").unwrap();
        }),
    );
    refused(h.path(), &[&big], &["sharedStrings.xml", "16 MiB"]);
    let lie = path(h.path(), "count.xlsx");
    xlsx(
        Path::new(&lie),
        sheet,
        Some(&mut |w| {
            w.write_all(br#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4000000000" uniqueCount="4000000000"><si><t>x</t></si></sst>"#)
                .unwrap();
        }),
    );
    refused(h.path(), &[&lie], &["4000000000 shared strings"]);
}

#[test]
fn many_rows_stream_through_within_the_bound() {
    // 150,000 rows here (a debug build reads them in about 15 s); `examples/import_bombs.rs`
    // runs a million rows against a release build (docs/PERFORMANCE.md).
    let h = demo_home();
    let f = path(h.path(), "rows.xlsx");
    let rows = 150_000u32;
    xlsx(
        Path::new(&f),
        &mut |w| {
            sheet_start(w, Some(&format!("A1:K{}", rows + 1)));
            row(w, 1, WECHAT_COLUMNS);
            for r in 2..=rows + 1 {
                write!(w, r#"<row r="{r}">"#).unwrap();
                for (c, s) in [0, 1, 2, 3].iter().enumerate() {
                    write!(w, r#"<c r="{}{r}" t="s"><v>{s}</v></c>"#, column(c as u32)).unwrap();
                }
                w.write_all(b"</row>").unwrap();
            }
            sheet_end(w);
        },
        Some(&mut |w| {
            w.write_all(r#"<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4" uniqueCount="4"><si><t>2026-11-02 13:00:00</t></si><si><t>商户消费</t></si><si><t>示例餐厅</t></si><si><t>午餐</t></si></sst>"#.as_bytes())
                .unwrap();
        }),
    );
    let (o, peak) = import(h.path(), &["--format", "wechat", &f]);
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{o:?}");
    assert!(
        out.contains(&format!("{rows} rows, none of them a phone top-up")),
        "{out}"
    );
    eprintln!("peak {} MiB: {rows} rows", peak >> 20);
    assert!(peak < BOUND, "{rows} rows took {} MiB", peak >> 20);
}

#[test]
fn a_spreadsheet_larger_than_any_export_is_refused_before_it_is_held() {
    let h = demo_home();
    let f = path(h.path(), "huge.xlsx");
    let mut file = std::fs::File::create(&f).unwrap();
    file.write_all(b"PK\x03\x04").unwrap();
    fill(&mut file, 0, 65 << 20);
    drop(file);
    refused(h.path(), &[&f], &["64 MiB"]);
}

#[test]
fn dev_zero_is_refused_not_an_abort() {
    let h = demo_home();
    refused(h.path(), &["/dev/zero"], &["NUL"]);
}

/// A demo home whose config maps a generic CSV (`Date,Details,Amount`, no reference
/// column, so rows are told apart by their content).
fn csv_home() -> tempfile::TempDir {
    let h = demo_home();
    let p = h.path().join("config.json");
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&p).unwrap()).unwrap();
    v["import"] = serde_json::json!({"csv": {"date": "Date", "amount": "Amount",
        "description": "Details", "date_format": "%d/%m/%Y"}});
    std::fs::write(&p, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
    h
}

fn out(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_json_stream_over_64_mib_is_refused_never_cut_short() {
    let h = demo_home();
    let f = path(h.path(), "texts.json");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&f).unwrap());
    w.write_all(b"[").unwrap();
    for i in 0..524_289u32 {
        if i > 0 {
            w.write_all(b",").unwrap();
        }
        write!(
            w,
            r#"{{"type":"inbox","number":"10086","received":"2026-11-01 10:00:00","body":"message {i:07} {}"}}"#,
            "x".repeat(40)
        )
        .unwrap();
    }
    w.write_all(b"]").unwrap();
    drop(w);
    assert!(std::fs::metadata(&f).unwrap().len() > 64 << 20);
    refused(h.path(), &["--format", "sms", &f], &["64 MiB"]);
}

#[test]
fn a_quote_left_open_is_an_error_naming_its_line() {
    let h = demo_home();
    let f = path(h.path(), "open.csv");
    let mut text = String::from(
        "交易时间,交易类型,交易对方,商品,收/支,金额(元),支付方式,当前状态,交易单号,商户单号,备注\n",
    );
    for i in 0..30 {
        let goods = if i == 3 {
            "\"超值大礼包"
        } else {
            "话费充值 13800138000"
        };
        text.push_str(&format!(
            "2026-11-{:02} 09:00:00,商户消费,中国移动,{goods},支出,¥10.00,零钱,支付成功,T{i:04},M{i:04},/\n",
            i + 1
        ));
    }
    std::fs::write(&f, text).unwrap();
    refused(h.path(), &[&f], &["open.csv:5:", "quote"]);
    // A cell longer than any row, quoted or not, is refused at its line too.
    let big = path(h.path(), "big.csv");
    let mut text = String::from(
        "交易时间,交易类型,交易对方,商品,收/支,金额(元),支付方式,当前状态,交易单号,商户单号,备注\n",
    );
    text.push_str(&format!(
        "2026-11-01 09:00:00,商户消费,中国移动,{},支出,¥10.00,零钱,支付成功,T1,M1,/\n",
        "话".repeat(1 << 20)
    ));
    std::fs::write(&big, text).unwrap();
    refused(h.path(), &[&big], &["big.csv:2:", "1 MiB"]);
}

#[test]
fn a_csv_ascii_for_64_kib_then_gbk_reads_as_gbk() {
    let h = csv_home();
    let f = path(h.path(), "late.csv");
    let mut bytes = b"Date,Details,Amount\n".to_vec();
    let mut i = 0;
    while bytes.len() < 80 << 10 {
        bytes.extend_from_slice(format!("02/11/2026,Coffee shop {i},-3.20\n").as_bytes());
        i += 1;
    }
    let (gbk, _, bad) =
        encoding_rs::GBK.encode("03/11/2026,giffgaff 充值 top up 07700 900123,-10.00\n");
    assert!(!bad);
    bytes.extend_from_slice(&gbk);
    std::fs::write(&f, bytes).unwrap();
    let (o, _) = import(h.path(), &["--json", &f]);
    assert!(o.status.success(), "{o:?}");
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["added"], 1, "{v}");
    assert!(String::from_utf8_lossy(&log(h.path())).contains("giffgaff 充值 top up"));
}

#[test]
fn lines_of_a_cr_only_file_are_counted_as_an_editor_counts_them() {
    let h = csv_home();
    let f = path(h.path(), "mac.csv");
    std::fs::write(
        &f,
        "Date,Details,Amount\r01/11/2026,giffgaff top up 07700 900123,-10.00\r\r31/13/2026,giffgaff top up 07700 900123,-10.00\r",
    )
    .unwrap();
    // The top-up whose date does not read is set aside with its line, as an editor counts it.
    let (o, _) = import(h.path(), &["--json", &f]);
    assert!(o.status.success(), "{o:?}");
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    let skipped = v["skipped"].as_array().expect("skipped listed");
    assert_eq!(skipped.len(), 1, "{v}");
    let s = skipped[0].as_str().unwrap();
    assert!(s.starts_with("line 4: ") && s.contains("31/13/2026"), "{v}");
    let texts = path(h.path(), "mac.txt");
    std::fs::write(&texts, "From: 10086\rDate: 2026-11-01 10:00\rYour balance is 1.00\r\rFrom: 10086\rDate: 2026-13-01 10:00\rhello\r").unwrap();
    refused(h.path(), &["--format", "sms", &texts], &["mac.txt:6:"]);
}

#[test]
fn identical_rows_without_a_reference_are_two_charges_and_flagged() {
    let h = csv_home();
    let f = path(h.path(), "twice.csv");
    std::fs::write(
        &f,
        "Date,Details,Amount\n01/11/2026,giffgaff top up 07700 900123,-10.00\n01/11/2026,giffgaff top up 07700 900123,-10.00\n",
    )
    .unwrap();
    let (o, _) = import(h.path(), &["--json", &f]);
    assert!(o.status.success(), "{o:?}");
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["added"], 2, "{v}");
    let dup = v["duplicates"].as_array().expect("duplicates listed");
    assert_eq!(dup.len(), 1, "{v}");
    // One sentence for the pair, in the form every duplicate found is given.
    let said = dup[0].as_str().unwrap();
    assert!(
        said.contains("2 rows look like one recharge charged twice: giffgaff £10.00 on 2026-11-01"),
        "{v}"
    );
    let (o, _) = import(h.path(), &[&f]);
    assert!(out(&o).contains("added 0, already there 2"), "{}", out(&o));
    assert!(
        out(&o).contains("twice"),
        "said where it is found: {}",
        out(&o)
    );
}

#[test]
fn an_import_that_cannot_be_written_whole_leaves_nothing() {
    let h = demo_home();
    let f = path(h.path(), "many.csv");
    let mut text = String::from(
        "交易时间,交易类型,交易对方,商品,收/支,金额(元),支付方式,当前状态,交易单号,商户单号,备注\n",
    );
    for i in 0..5000 {
        text.push_str(&format!(
            "2026-11-{:02} 09:{:02}:{:02},商户消费,中国移动,话费充值 13800138000,支出,¥10.00,零钱,支付成功,T{i:06},M{i:06},/\n",
            i % 28 + 1,
            i / 60 % 60,
            i % 60
        ));
    }
    std::fs::write(&f, text).unwrap();
    let before = log(h.path());
    let limit = before.len() as u64 + (64 << 10);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_baohao"));
    cmd.arg("--home")
        .arg(h.path())
        .args(["import", &f])
        .env("BAOHAO_NOW", NOW)
        .env("LANG", "C.UTF-8")
        .env_remove("BAOHAO_HOME");
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, move || {
            let l = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &l) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    let (o, _) = measured(&mut cmd);
    assert_eq!(o.status.code(), Some(1), "failed, said so: {o:?}");
    assert_eq!(log(h.path()), before, "no part of the import stays");
    let (o, _) = import(h.path(), &["--json", &f]);
    let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
    assert_eq!(v["added"], 5000, "{v}");
}

#[test]
fn a_line_too_long_is_the_same_bad_line_to_readers_and_writer() {
    let h = demo_home();
    let logf = h.path().join("log.jsonl");
    let long = serde_json::json!({
        "v": 1, "id": "long", "at": "2026-11-20T10:00:00Z", "number": "cmcc", "type": "manual",
        "amount_minor": 500, "currency": "CNY", "note": "n".repeat(2 << 20),
    })
    .to_string();
    let lines = std::fs::read_to_string(&logf).unwrap().lines().count();
    std::fs::OpenOptions::new()
        .append(true)
        .open(&logf)
        .unwrap()
        .write_all(long.as_bytes())
        .unwrap();
    let named = format!("log.jsonl:{}:", lines + 1);
    let check = |when: &str| {
        let o = common::run(h.path(), NOW, &["validate"]);
        let err = format!("{}{}", out(&o), String::from_utf8_lossy(&o.stderr));
        assert!(
            err.contains(&named) && err.contains("longer than any entry"),
            "{when}: {err}"
        );
        let o = common::run(h.path(), NOW, &["history", "--json"]);
        assert!(
            !out(&o).contains("nnnnnnnn"),
            "{when}: a line too long is not read"
        );
    };
    check("before");
    let o = common::run(h.path(), NOW, &["record", "cmcc", "10"]);
    assert!(o.status.success(), "{o:?}");
    let text = std::fs::read(&logf).unwrap();
    let kept = format!("{long}\n");
    assert!(
        text.windows(kept.len()).any(|w| w == kept.as_bytes()),
        "kept, with its newline, never cut"
    );
    check("after the next append");
}

/// A WeChat Pay statement with one top-up for `cmcc`, as the app exports it.
fn wechat_statement() -> Vec<u8> {
    "微信支付账单明细,,,,,,,,,,\n交易时间,交易类型,交易对方,商品,收/支,金额(元),支付方式,当前状态,交易单号,商户单号,备注\n2026-11-01 00:01:00,商户消费,中国移动,话费充值 13800138000,支出,¥30.00,零钱,支付成功,4200001111202611010001,M1,/\n"
        .as_bytes()
        .to_vec()
}

fn zipped(dir: &Path, name: &str, packing: Packing, entry: &str, bytes: &[u8]) -> String {
    let f = path(dir, name);
    let mut fill = |w: &mut dyn Write| w.write_all(bytes).unwrap();
    write_zip(Path::new(&f), packing, &mut [(entry, &mut fill)]);
    f
}

#[test]
fn a_zipped_statement_reads_with_its_password_zipcrypto_or_aes() {
    let h = demo_home();
    let st = wechat_statement();
    for (name, packing) in [
        ("plain.zip", Packing::Deflated),
        ("zipcrypto.zip", Packing::ZipCrypto("123456")),
        ("aes.zip", Packing::Aes("123456")),
    ] {
        let f = zipped(
            h.path(),
            name,
            packing,
            "微信支付账单(20261101-20261130).csv",
            &st,
        );
        let (o, _) = import(
            h.path(),
            &["--dry-run", "--json", "--password", "123456", &f],
        );
        assert!(o.status.success(), "{name}: {o:?}");
        let v: serde_json::Value = serde_json::from_str(&out(&o)).unwrap();
        assert_eq!(v["added"], 1, "{name}: {v}");
        assert_eq!(v["format"], "wechat", "{name}: {v}");
    }
    let f = path(h.path(), "aes.zip");
    refused(
        h.path(),
        &["--password", "654321", &f],
        &["password is wrong"],
    );
    refused(h.path(), &[&f], &["--password"]);
    let f = path(h.path(), "zipcrypto.zip");
    refused(
        h.path(),
        &["--password", "000000", &f],
        &["password is wrong"],
    );
    let (o, _) = import(h.path(), &["--password", "123456", &f]);
    assert!(out(&o).contains("added 1"), "{o:?}");
}

#[test]
fn an_archive_without_a_statement_or_that_inflates_absurdly_is_refused() {
    let h = demo_home();
    let f = zipped(
        h.path(),
        "photo.zip",
        Packing::Aes("123456"),
        "readme.txt",
        b"hello",
    );
    refused(h.path(), &["--password", "123456", &f], &["no statement"]);
    let f = path(h.path(), "bomb.zip");
    let mut zeros = |w: &mut dyn Write| fill(w, b'0', 300 << 20);
    write_zip(
        Path::new(&f),
        Packing::ZipCrypto("123456"),
        &mut [("bill.csv", &mut zeros)],
    );
    refused(h.path(), &["--password", "123456", &f], &["ZIP bomb"]);
}

/// `baohao import FILE` at a terminal: the password it asks for, typed as a person types
/// it, and the screen afterwards (the prompt and what the import said).
fn typed_password(home: &Path, f: &str, typed: &str) -> (u32, String) {
    let mut s =
        common::pty::Session::start_args(home, 200, 12, &["import", f], &[("BAOHAO_NOW", NOW)]);
    s.wait_for("(not shown): ");
    s.send(typed);
    s.send("\r");
    let code = s.exit_code();
    (code, s.screen())
}

#[test]
fn the_password_asked_on_the_terminal_is_never_shown_and_a_wrong_one_writes_nothing() {
    let h = demo_home();
    let st = wechat_statement();
    for (name, packing) in [
        ("zipcrypto.zip", Packing::ZipCrypto("k7Pw93")),
        ("aes.zip", Packing::Aes("k7Pw93")),
    ] {
        let f = zipped(h.path(), name, packing, "微信支付账单.csv", &st);
        let before = log(h.path());
        let (code, screen) = typed_password(h.path(), &f, "x9Qz41");
        assert_eq!(code, 1, "{name}: refused\n{screen}");
        assert!(!screen.contains("x9Qz41"), "{name}: echoed\n{screen}");
        let said: Vec<&str> = screen
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(
            said.len(),
            2,
            "{name}: the prompt, then one sentence\n{screen}"
        );
        assert!(said[0].starts_with("Password for "), "{name}: {screen}");
        assert!(
            said[1].contains("password is wrong"),
            "{name}: said why\n{screen}"
        );
        assert_eq!(log(h.path()), before, "{name}: nothing written");

        let (code, screen) = typed_password(h.path(), &f, "k7Pw93");
        assert_eq!(code, 0, "{name}: read\n{screen}");
        assert!(!screen.contains("k7Pw93"), "{name}: echoed\n{screen}");
        assert!(
            screen.contains("added 1") || screen.contains("added 0, already there 1"),
            "{name}: {screen}"
        );
    }
    let log = String::from_utf8_lossy(&log(h.path())).into_owned();
    assert_eq!(
        log.matches("4200001111202611010001").count(),
        1,
        "imported once"
    );
}

#[test]
fn ctrl_c_at_the_password_prompt_gives_the_terminal_back_with_its_echo() {
    let h = demo_home();
    let f = zipped(
        h.path(),
        "aes.zip",
        Packing::Aes("k7Pw93"),
        "微信支付账单.csv",
        &wechat_statement(),
    );
    let script = format!(
        // The shell traps Ctrl-C (so it lives on to report); baohao gets the default.
        "trap true INT; '{}' --home '{}' import '{f}'; echo \"status $?\"; stty -a; echo END",
        env!("CARGO_BIN_EXE_baohao"),
        h.path().display()
    );
    let before = log(h.path());
    let mut s = common::pty::Session::start_shell(&script, 200, 40, &[("BAOHAO_NOW", NOW)]);
    s.wait_for("(not shown): ");
    s.send("k7P\x03");
    s.wait_for("END");
    let screen = s.screen();
    let flags: Vec<&str> = screen.split_whitespace().collect();
    assert!(flags.contains(&"echo"), "echo is still off:\n{screen}");
    assert!(!flags.contains(&"-echo"), "echo is still off:\n{screen}");
    assert!(
        screen.contains("status 130"),
        "stopped as by Ctrl-C:\n{screen}"
    );
    assert_eq!(log(h.path()), before, "nothing written");
}

#[test]
fn a_statement_inflating_past_256_mib_at_a_plausible_ratio_is_refused_by_its_size() {
    // Rows much like a statement's, a few digits of each drawn at random: they pack some
    // 30 times, as text does and a bomb does not, so the ratio check passes them and only
    // the cap on what an archive inflates to stops them.
    let h = demo_home();
    let f = path(h.path(), "long.zip");
    let mut rows = |w: &mut dyn Write| {
        let mut w = std::io::BufWriter::with_capacity(1 << 16, w);
        w.write_all("交易时间,交易类型,交易对方,商品,收/支,金额(元),支付方式,当前状态,交易单号,商户单号,备注\n".as_bytes())
            .unwrap();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut written = 0u64;
        while written <= 260 << 20 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let line = format!(
                "2026-11-02 13:00:00,商户消费,示例餐厅 Example Restaurant Ltd,午餐 lunch set menu with drinks and dessert {:06},支出,¥{}.{:02},零钱,支付成功,4200001111202611020000000000000000,M00000000000000000000000000000000,/\n",
                x % 1_000_000,
                x >> 40 & 0x3f,
                x >> 50 & 0x3f
            );
            w.write_all(line.as_bytes()).unwrap();
            written += line.len() as u64;
        }
        w.flush().unwrap();
    };
    write_zip(
        Path::new(&f),
        Packing::Deflated,
        &mut [("bill.csv", &mut rows)],
    );
    let packed = std::fs::metadata(&f).unwrap().len();
    eprintln!("packed {} MiB", packed >> 20);
    assert!(
        (260 << 20) / packed < 100,
        "under the ratio a bomb has: {packed} bytes"
    );
    refused(h.path(), &[&f], &["more than 256 MiB"]);
}
