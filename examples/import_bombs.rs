//! Peak memory and time of `baohao import` on every bomb of issue 18 item 4 (and the
//! zipped and JSON ones), against a release build, for docs/PERFORMANCE.md:
//!
//! ```sh
//! cargo build --release && cargo run --release --example import_bombs
//! ```
//!
//! The bombs are generated into a temporary directory, as the tests generate them.

#[allow(dead_code)]
#[path = "../tests/common/bombs.rs"]
mod bombs;

use std::io::Write;
use std::path::PathBuf;
use std::process::Command;
use std::time::Instant;

use bombs::{
    BOUND, Packing, WECHAT_COLUMNS, column, fill, measured, row, sheet_end, sheet_start, write_zip,
    xlsx,
};

fn main() {
    let bin = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/target/release/baohao"
            ))
        });
    let dir = tempfile::tempdir().expect("a temporary directory");
    let home = dir.path().join("home");
    let o = Command::new(&bin)
        .arg("--home")
        .arg(&home)
        .args(["init", "--demo"])
        .output()
        .expect("baohao runs");
    assert!(o.status.success(), "{o:?}");
    let at = |n: &str| dir.path().join(n);
    let mut cases: Vec<(&str, PathBuf)> = Vec::new();

    let f = at("last-cell.xlsx");
    xlsx(
        &f,
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
    cases.push(("one cell at XFD1048576", f));

    let f = at("corner.xlsx");
    xlsx(
        &f,
        &mut |w| {
            sheet_start(w, Some("A1:XFD5000"));
            w.write_all(
                br#"<row r="5000"><c r="XFD5000" t="inlineStr"><is><t>x</t></is></c></row>"#,
            )
            .unwrap();
            sheet_end(w);
        },
        None,
    );
    cases.push(("corner at XFD5000", f));

    let f = at("whitespace.xlsx");
    xlsx(
        &f,
        &mut |w| {
            sheet_start(w, None);
            // Just under 4 GiB: the entry stays within a plain (not ZIP64) archive's sizes.
            fill(w, b' ', (4 << 30) - (1 << 20));
            sheet_end(w);
        },
        None,
    );
    cases.push(("4 GiB of deflated whitespace", f));

    let f = at("cell.xlsx");
    xlsx(
        &f,
        &mut |w| {
            sheet_start(w, None);
            w.write_all(br#"<row r="1"><c r="A1" t="inlineStr"><is><t>"#)
                .unwrap();
            for i in 0..(1u64 << 30) / 8 {
                write!(w, "{:08x}", (i as u32).wrapping_mul(2_654_435_761)).unwrap();
            }
            w.write_all(b"</t></is></c></row>").unwrap();
            sheet_end(w);
        },
        None,
    );
    cases.push(("a 1 GiB cell", f));

    let f = at("million.xlsx");
    xlsx(
        &f,
        &mut |w| {
            sheet_start(w, Some("A1:K1000001"));
            row(w, 1, WECHAT_COLUMNS);
            for r in 2..=1_000_001u32 {
                write!(w, r#"<row r="{r}">"#).unwrap();
                for c in 0..4u32 {
                    write!(w, r#"<c r="{}{r}" t="s"><v>{c}</v></c>"#, column(c)).unwrap();
                }
                w.write_all(b"</row>").unwrap();
            }
            sheet_end(w);
        },
        Some(&mut |w| {
            w.write_all("<sst count=\"4\" uniqueCount=\"4\"><si><t>2026-11-02 13:00:00</t></si><si><t>商户消费</t></si><si><t>示例餐厅</t></si><si><t>午餐</t></si></sst>".as_bytes()).unwrap();
        }),
    );
    cases.push(("1,000,000 rows (WeChat Pay layout)", f));

    let f = at("strings.xlsx");
    xlsx(
        &f,
        &mut |w| {
            sheet_start(w, None);
            w.write_all(br#"<row r="1"><c r="A1" t="s"><v>0</v></c></row>"#)
                .unwrap();
            sheet_end(w);
        },
        Some(&mut |w| {
            w.write_all(b"<sst>").unwrap();
            for i in 0..16_000_000u64 {
                write!(
                    w,
                    "<si><t>{:016x}</t></si>",
                    i.wrapping_mul(0x9e37_79b9_7f4a_7c15)
                )
                .unwrap();
            }
            w.write_all(b"</sst>").unwrap();
        }),
    );
    cases.push(("sharedStrings inflating to 530 MB", f));

    let f = at("bill.zip");
    let mut zeros = |w: &mut dyn Write| fill(w, b'0', 2 << 30);
    write_zip(&f, Packing::Aes("123456"), &mut [("bill.csv", &mut zeros)]);
    cases.push(("zipped statement inflating to 2 GiB (AES)", f));

    let f = at("texts.json");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&f).unwrap());
    w.write_all(b"[").unwrap();
    for i in 0..524_289u32 {
        if i > 0 {
            w.write_all(b",").unwrap();
        }
        write!(w, r#"{{"type":"inbox","number":"10086","received":"2026-11-01 10:00:00","body":"message {i:07} {}"}}"#, "x".repeat(40)).unwrap();
    }
    w.write_all(b"]").unwrap();
    drop(w);
    cases.push(("524,289 texts as JSON (over 64 MiB)", f));

    let f = at("rows.csv");
    let mut w = std::io::BufWriter::new(std::fs::File::create(&f).unwrap());
    writeln!(w, "{}", WECHAT_COLUMNS.join(",")).unwrap();
    for i in 0..1_000_000u32 {
        writeln!(
            w,
            "2026-11-02 13:00:00,商户消费,示例餐厅,午餐,支出,¥48.00,零钱,支付成功,T{i:08},M{i:08},/"
        )
        .unwrap();
    }
    drop(w);
    cases.push(("1,000,000-row WeChat Pay CSV", f));

    cases.push(("/dev/zero", PathBuf::from("/dev/zero")));

    println!("| input | size | outcome | peak RSS | time |");
    println!("|---|---:|---|---:|---:|");
    for (what, f) in &cases {
        let size = std::fs::metadata(f).map(|m| m.len()).unwrap_or(0);
        let t = Instant::now();
        let mut cmd = Command::new(&bin);
        cmd.arg("--home")
            .arg(&home)
            .args(["import", "--dry-run", "--password", "123456"])
            .arg(f)
            .env("BAOHAO_NOW", "2026-12-01T02:00:00Z")
            .env("LANG", "C.UTF-8");
        let (o, peak) = measured(&mut cmd);
        let secs = t.elapsed().as_secs_f64();
        let said = if o.status.success() {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        } else {
            format!(
                "exit {:?}: {}",
                o.status.code(),
                String::from_utf8_lossy(&o.stderr).trim()
            )
        };
        let said = said
            .rsplit_once(": ")
            .map_or(said.as_str(), |(_, s)| s)
            .to_string();
        println!(
            "| {what} | {} | {} | {} MiB{} | {secs:.2} s |",
            human(size),
            said.replace('|', "\\|"),
            peak >> 20,
            if peak >= BOUND {
                " (over the bound)"
            } else {
                ""
            }
        );
    }
    drop(dir);
}

fn human(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.1} MiB", n as f64 / (1 << 20) as f64)
    } else {
        format!("{:.1} KiB", n as f64 / 1024.0)
    }
}
