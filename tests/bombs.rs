//! Imports that try to explode (issue 18 items 4-12, issue 19 item 6), every one generated
//! here, none stored: each is refused in one sentence, or read whole, within a fixed memory
//! bound, with nothing written when it is refused.

mod common;
use common::bombs::{
    BOUND, WECHAT_COLUMNS, column, fill, measured, row, sheet_end, sheet_start, xlsx,
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
    // runs the million rows of the issue against a release build (docs/PERFORMANCE.md).
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
