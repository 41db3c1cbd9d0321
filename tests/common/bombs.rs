//! Hostile imports generated on the spot (never stored): XLSX workbooks and ZIP archives
//! written part by part with the `zip` crate, and a way to run the binary and learn how
//! much memory it took at its peak.

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, ExitStatus, Output, Stdio};

use zip::unstable::write::FileOptionsExt;
use zip::write::SimpleFileOptions;
use zip::{AesMode, CompressionMethod, ZipWriter};

/// Runs `cmd` to its end and returns its output and its peak resident set in bytes
/// (from `wait4`, so it is this child's own, whatever else the tests run).
/// The child is waited for by `wait4` itself, not by `Child::wait`.
#[allow(clippy::zombie_processes)]
pub fn measured(cmd: &mut Command) -> (Output, u64) {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let o = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let e = std::thread::spawn(move || {
        let mut v = Vec::new();
        let _ = err.read_to_end(&mut v);
        v
    });
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: a zeroed rusage is a valid value for wait4 to fill in.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: pid is our own child, not waited for yet; both pointers are valid.
    let got = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(got, pid, "wait4 waits for the child");
    let stdout = o.join().expect("stdout reader");
    let stderr = e.join().expect("stderr reader");
    let status = <ExitStatus as std::os::unix::process::ExitStatusExt>::from_raw(status);
    // Linux reports ru_maxrss in KiB.
    let peak = usage.ru_maxrss as u64 * 1024;
    (
        Output {
            status,
            stdout,
            stderr,
        },
        peak,
    )
}

/// The memory bound every import stays within.
pub const BOUND: u64 = 256 << 20;

/// How a part of an archive is stored.
#[derive(Clone, Copy)]
pub enum Packing {
    Deflated,
    ZipCrypto(&'static str),
    Aes(&'static str),
}

/// Writes a part's bytes.
pub type Fill<'a> = &'a mut dyn FnMut(&mut dyn Write);

/// Writes a ZIP archive to `path`, each part's bytes produced by its writer function.
pub fn write_zip(path: &Path, packing: Packing, parts: &mut [(&str, Fill<'_>)]) {
    let file = std::fs::File::create(path).expect("a temporary file");
    let mut z = ZipWriter::new(std::io::BufWriter::new(file));
    for (name, fill) in parts.iter_mut() {
        let base = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(9))
            .large_file(false);
        let options = match packing {
            Packing::Deflated => base,
            Packing::ZipCrypto(p) => base
                .with_deprecated_encryption(p.as_bytes())
                .expect("a password"),
            Packing::Aes(p) => base.with_aes_encryption(AesMode::Aes256, p),
        };
        z.start_file(*name, options).expect("a part starts");
        fill(&mut z);
    }
    z.finish()
        .expect("the archive ends")
        .flush()
        .expect("written");
}

const CONTENT_TYPES: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#;
const RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#;
const WORKBOOK: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"#;
const WORKBOOK_RELS: &str = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>"#;

/// The start of a sheet, with a `<dimension>` when given, up to `<sheetData>`.
pub fn sheet_start(w: &mut dyn Write, dimension: Option<&str>) {
    w.write_all(br#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">"#)
        .unwrap();
    if let Some(d) = dimension {
        write!(w, r#"<dimension ref="{d}"/>"#).unwrap();
    }
    w.write_all(b"<sheetData>").unwrap();
}

pub fn sheet_end(w: &mut dyn Write) {
    w.write_all(b"</sheetData></worksheet>").unwrap();
}

/// `A`, `B`, … `XFD` for a 0-based column.
pub fn column(mut i: u32) -> String {
    let mut s = Vec::new();
    i += 1;
    while i > 0 {
        let r = (i - 1) % 26;
        s.push(b'A' + r as u8);
        i = (i - 1) / 26;
    }
    s.reverse();
    String::from_utf8(s).unwrap()
}

/// One row of inline-string cells from column A on (row numbers from 1).
pub fn row(w: &mut dyn Write, r: u32, cells: &[&str]) {
    write!(w, r#"<row r="{r}">"#).unwrap();
    for (c, v) in cells.iter().enumerate() {
        if v.is_empty() {
            continue;
        }
        write!(
            w,
            r#"<c r="{}{r}" t="inlineStr"><is><t>{v}</t></is></c>"#,
            column(c as u32)
        )
        .unwrap();
    }
    w.write_all(b"</row>").unwrap();
}

/// The WeChat Pay column row.
pub const WECHAT_COLUMNS: &[&str] = &[
    "交易时间",
    "交易类型",
    "交易对方",
    "商品",
    "收/支",
    "金额(元)",
    "支付方式",
    "当前状态",
    "交易单号",
    "商户单号",
    "备注",
];

/// An XLSX workbook at `path` whose one sheet is written by `sheet`, and whose shared
/// strings part (when `shared` is given) by `shared`.
pub fn xlsx(path: &Path, sheet: Fill<'_>, shared: Option<Fill<'_>>) {
    let mut types = |w: &mut dyn Write| w.write_all(CONTENT_TYPES.as_bytes()).unwrap();
    let mut rels = |w: &mut dyn Write| w.write_all(RELS.as_bytes()).unwrap();
    let mut book = |w: &mut dyn Write| w.write_all(WORKBOOK.as_bytes()).unwrap();
    let mut book_rels = |w: &mut dyn Write| w.write_all(WORKBOOK_RELS.as_bytes()).unwrap();
    let mut parts: Vec<(&str, Fill<'_>)> = vec![
        ("[Content_Types].xml", &mut types),
        ("_rels/.rels", &mut rels),
        ("xl/workbook.xml", &mut book),
        ("xl/_rels/workbook.xml.rels", &mut book_rels),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    if let Some(s) = shared {
        parts.push(("xl/sharedStrings.xml", s));
    }
    write_zip(path, Packing::Deflated, &mut parts);
}

/// Writes `n` bytes of `byte`, in chunks.
pub fn fill(w: &mut dyn Write, byte: u8, n: u64) {
    let chunk = vec![byte; 1 << 20];
    let mut left = n;
    while left > 0 {
        let k = left.min(chunk.len() as u64) as usize;
        w.write_all(&chunk[..k]).unwrap();
        left -= k as u64;
    }
}
