//! `status` fits the terminal: at 60 columns it drops columns the way the TUI does (the
//! key ones last, with one DEADLINE column), `--wide` keeps them all, a pipe without
//! COLUMNS gets every column.

mod common;

use std::process::Command;

const NOW: &str = "2026-12-03T10:00:00Z";

fn status(home: &std::path::Path, columns: Option<&str>, extra: &[&str]) -> String {
    let mut c = Command::new(env!("CARGO_BIN_EXE_baohao"));
    c.arg("--home")
        .arg(home)
        .arg("status")
        .args(extra)
        .env("BAOHAO_NOW", NOW)
        .env("LANG", "C.UTF-8")
        .env_remove("BAOHAO_HOME")
        .env_remove("LC_ALL")
        .env_remove("COLUMNS");
    if let Some(w) = columns {
        c.env("COLUMNS", w);
    }
    let o = c.output().expect("the binary runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).expect("UTF-8")
}

fn widest(s: &str) -> usize {
    s.lines()
        .map(unicode_width::UnicodeWidthStr::width)
        .max()
        .unwrap_or(0)
}

#[test]
fn status_fits_sixty_columns_and_wide_keeps_every_column() {
    let home = common::demo_home();
    let full = status(home.path(), None, &[]);
    assert!(widest(&full) > 100, "{full}");
    for h in [
        "LABEL",
        "NUMBER",
        "VALID UNTIL",
        "USE BY",
        "NEXT RECHARGE",
        "ATTENTION",
    ] {
        assert!(full.contains(h), "{h} in {full}");
    }
    let narrow = status(home.path(), Some("60"), &[]);
    assert!(widest(&narrow) <= 60, "{narrow}");
    assert_eq!(narrow.lines().count(), full.lines().count(), "{narrow}");
    let head = narrow.lines().next().unwrap_or_default();
    for h in ["ID", "DEADLINE", "ATTENTION"] {
        assert!(head.contains(h), "{h} in {narrow}");
    }
    assert!(
        !head.contains("LABEL") && !head.contains("NUMBER"),
        "{narrow}"
    );
    let wide = status(home.path(), Some("60"), &["--wide"]);
    assert_eq!(wide, full);
}

#[test]
fn history_csv_excel_and_bom_begin_with_a_byte_order_mark() {
    let home = common::demo_home();
    let plain = common::run(home.path(), NOW, &["history", "--csv"]);
    assert!(plain.status.success());
    assert!(
        plain.stdout.starts_with(b"id,at,"),
        "no mark without the switch"
    );
    for switch in ["--excel", "--bom"] {
        let o = common::run(home.path(), NOW, &["history", "--csv", switch]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        assert!(o.stdout.starts_with(b"\xef\xbb\xbfid,at,"), "{switch}");
        assert_eq!(
            &o.stdout[3..],
            &plain.stdout[..],
            "{switch}: the same CSV after the mark"
        );
    }
}
