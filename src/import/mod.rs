//! Importers: payment statements (Alipay, WeChat Pay, a generic CSV) and carriers' texts
//! turned into log events (`statement`, `balance`, `message`). Pure parsing over a reader:
//! the whole input is read and checked here, nothing is written; the caller appends.
//! Rows stream through; memory grows only with the top-ups found, never with the file.

pub mod amount;
mod archive;
pub mod balance;
mod decode;
pub mod limits;
mod messages;
mod records;
pub mod sms;
mod table;
mod topup;

use std::collections::HashMap;
use std::io::Read;

use chrono::{DateTime, FixedOffset};
use sha2::{Digest, Sha256};

use crate::i18n::T;
use crate::model::{Config, Event, Number};
use crate::tr;

pub use messages::{events_of_text, kept_text};
pub use topup::{is_top_up, match_number};

/// The formats `import` reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Alipay,
    Wechat,
    Csv,
    Sms,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s.trim().to_ascii_lowercase().as_str() {
            "alipay" => Some(Format::Alipay),
            "wechat" => Some(Format::Wechat),
            "csv" => Some(Format::Csv),
            "sms" => Some(Format::Sms),
            _ => None,
        }
    }

    /// The platform as a person knows it (支付宝, 微信支付 in Chinese).
    pub fn display(self) -> String {
        match self {
            Format::Alipay => tr!(T::StmtPlatformAlipay),
            Format::Wechat => tr!(T::StmtPlatformWechat),
            Format::Csv => "CSV".to_string(),
            Format::Sms => tr!(T::KindMessage),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Alipay => "alipay",
            Format::Wechat => "wechat",
            Format::Csv => "csv",
            Format::Sms => "sms",
        }
    }
}

/// What the person asked for.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub format: Option<Format>,
    /// Assign every top-up (or text) of the file to this number.
    pub number: Option<String>,
    /// The password of a zipped statement.
    pub password: Option<String>,
    /// Reading the statement inside an archive (an archive in it is not opened).
    pub nested: bool,
}

/// Why an input cannot be imported: one sentence, with the line when there is one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportError {
    pub line: Option<u64>,
    pub message: String,
}

impl ImportError {
    pub fn at(line: u64, message: impl Into<String>) -> ImportError {
        ImportError {
            line: Some(line),
            message: message.into(),
        }
    }

    pub fn whole(message: impl Into<String>) -> ImportError {
        ImportError {
            line: None,
            message: message.into(),
        }
    }

    /// "statement.csv:12: …", the file named as the person gave it.
    pub fn sentence(&self, file: &str) -> String {
        match self.line {
            Some(l) => format!("{file}:{l}: {}", self.message),
            None => format!("{file}: {}", self.message),
        }
    }
}

/// The outcome of reading an input: the events it would add (ids derived from the source's
/// own ids, so a second import finds them already there) and what it set aside.
#[derive(Clone, Debug, Default)]
pub struct Reading {
    pub format: Option<Format>,
    pub events: Vec<Event>,
    /// Top-ups naming no configured number ("line 12: 话费充值 139****0000 ¥50.00").
    pub unmatched: Listed,
    /// Closed, failed or otherwise unusable top-up rows, with why.
    pub skipped: Listed,
    /// Top-ups identical to an earlier row of the same file (no order number tells them
    /// apart): both are kept, as a double charge would be, and listed here.
    pub duplicates: Listed,
    /// For a statement: its data rows, and how many of them are phone top-ups.
    pub rows: Option<u64>,
    pub top_ups: Option<u64>,
}

/// Sentences about rows set aside: the first [`limits::MAX_LISTED`] are kept to be shown,
/// the rest only counted. A statement of a million unusable rows holds a screenful of
/// sentences, not a million, and still says exactly how many there were.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Listed {
    kept: Vec<String>,
    more: usize,
}

impl Listed {
    pub fn push(&mut self, sentence: String) {
        if self.kept.len() < limits::MAX_LISTED {
            self.kept.push(sentence);
        } else {
            self.more += 1;
        }
    }

    /// The sentences kept, in the order they were found.
    pub fn kept(&self) -> &[String] {
        &self.kept
    }

    /// How many were counted past the kept ones.
    pub fn more(&self) -> usize {
        self.more
    }

    /// How many there were in all.
    pub fn len(&self) -> usize {
        self.kept.len() + self.more
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }
}

/// Reads and checks the whole input. `now` stamps texts that carry no date.
pub fn read(
    config: &Config,
    input: impl Read + Send + 'static,
    options: &Options,
    now: DateTime<FixedOffset>,
) -> Result<Reading, ImportError> {
    let number = match &options.number {
        Some(id) => Some(
            config
                .number(id)
                .ok_or_else(|| ImportError::whole(tr!(T::ImportUnknownNumber, id)))?,
        ),
        None => None,
    };
    let input = decode::Sniffed::new(input).map_err(io_error)?;
    if input.is_xlsx() {
        // A workbook, or an archive holding a statement (how both platforms send bills).
        let bytes = archive::hold(input)?;
        let zip = archive::open(&bytes)?;
        if !archive::is_workbook(&zip) {
            drop(zip);
            if options.nested {
                return Err(ImportError::whole(tr!(T::ImportZipNoStatement)));
            }
            let inner = archive::statement(bytes, options.password.as_deref())?;
            let nested = Options {
                nested: true,
                ..options.clone()
            };
            return read(config, inner, &nested, now);
        }
        drop(zip);
        let format = options.format.unwrap_or(Format::Wechat);
        let reading = table::read_xlsx(config, number, format, &bytes)?;
        return Ok(checked(reading, format, now));
    }
    if let Some(kind) = not_a_statement(input.head()) {
        return Err(ImportError::whole(tr!(T::ImportNotCsv, tr!(kind))));
    }
    if input.head().contains(&0) {
        // NUL bytes: a binary file or a device (`/dev/zero`), not a text export.
        return Err(ImportError::whole(tr!(T::ImportBinary)));
    }
    if input.head().len() < 64 * 1024 && is_blank(input.head()) {
        return Err(ImportError::whole(tr!(T::ImportNoRows)));
    }
    let format = match options.format {
        Some(f) => f,
        None => detect(input.head(), config).ok_or_else(|| {
            ImportError::whole(tr!(T::ImportUnknownFormat, table::every_layout(config)))
        })?,
    };
    let reading = match format {
        Format::Sms => messages::read(config, number, input, now)?,
        _ => table::read_csv(config, number, format, input)?,
    };
    Ok(checked(reading, format, now))
}

/// What a reading keeps: entries dated in a year the log can hold and no more than a day
/// ahead of the clock; the others are listed as set aside.
fn checked(mut reading: Reading, format: Format, now: DateTime<FixedOffset>) -> Reading {
    reading.format = Some(format);
    // A year the log cannot hold, or that no statement or text can be from (year 26 in a
    // mistyped date, -2026 read by a lenient date format): set aside, said, never logged.
    let (kept, odd): (Vec<Event>, Vec<Event>) = std::mem::take(&mut reading.events)
        .into_iter()
        .partition(|e| (1970..=9999).contains(&chrono::Datelike::year(&e.at)));
    // Dated more than a day ahead of the clock: a wrong date, not evidence
    // or a reading to act on; said, never logged.
    let latest = now + limits::DATED_AHEAD;
    let (kept, ahead): (Vec<Event>, Vec<Event>) = kept.into_iter().partition(|e| e.at <= latest);
    reading.events = kept;
    for (e, why) in odd
        .into_iter()
        .map(|e| (e, T::ImportImplausibleDate))
        .chain(ahead.into_iter().map(|e| (e, T::ImportDatedAhead)))
    {
        let what = match &e.body {
            crate::model::EventBody::Statement { text, .. } => text.clone(),
            _ => e.id.clone(),
        };
        reading.skipped.push(tr!(
            why,
            e.at.format("%Y-%m-%d"),
            crate::text::clean::value(&what)
        ));
    }
    reading
}

/// A file that is a PDF, an old binary Excel workbook or a web page, whatever its name
/// says: what it is, so the person can export the CSV instead.
fn not_a_statement(head: &[u8]) -> Option<T> {
    if head.starts_with(b"%PDF-") {
        return Some(T::FilePdf);
    }
    if head.starts_with(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]) {
        return Some(T::FileXls);
    }
    let text = decode::head_text(&head[..head.len().min(1024)]);
    let t = text
        .trim_start_matches('\u{feff}')
        .trim_start()
        .to_ascii_lowercase();
    if t.starts_with("<!doctype html") || t.starts_with("<html") || t.starts_with("<head") {
        return Some(T::FileHtml);
    }
    None
}

/// Nothing but white space (and a byte-order mark).
fn is_blank(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    head.iter().all(|b| b.is_ascii_whitespace() || *b == b',')
}

fn io_error(e: std::io::Error) -> ImportError {
    if let Some(stop) = archive::stopped(&e) {
        return stop;
    }
    ImportError::whole(tr!(T::ImportRead, e))
}

/// Guesses the format from the first bytes of the input.
pub fn detect(head: &[u8], config: &Config) -> Option<Format> {
    if head.starts_with(b"PK\x03\x04") {
        // A spreadsheet: WeChat Pay exports XLSX.
        return Some(Format::Wechat);
    }
    let text = decode::head_text(head);
    let t = text.trim_start_matches('\u{feff}').trim_start();
    let first = t.lines().next().unwrap_or("");
    if t.starts_with('[') || t.starts_with('{') {
        return Some(Format::Sms);
    }
    // The app export by its order column, the classic one by its title line or, when the
    // lines above the table were cut off, by its own order and time columns.
    if t.contains("交易订单号")
        || first.contains("支付宝交易记录")
        || (t.contains("交易号") && t.contains("交易创建时间"))
    {
        return Some(Format::Alipay);
    }
    if (t.contains("交易单号") && t.contains("商户单号")) || first.contains("微信支付账单")
    {
        return Some(Format::Wechat);
    }
    if let Some(m) = &config.import_csv {
        let first = t.lines().next().unwrap_or("");
        if first.contains(&m.date) && first.contains(&m.amount) {
            return Some(Format::Csv);
        }
    }
    // Text without a table's commas on its first line: messages.
    if first.starts_with("From:") || first.starts_with("Date:") || !first.contains(',') {
        return Some(Format::Sms);
    }
    None
}

/// A stable event id for an imported record: the same record gives the same id, so the log
/// itself says whether it was imported before.
pub fn event_id(kind: &str, source: &str, reference: &str) -> String {
    let mut h = Sha256::new();
    h.update(kind.as_bytes());
    h.update([0]);
    h.update(source.as_bytes());
    h.update([0]);
    h.update(reference.as_bytes());
    let d = h.finalize();
    let mut s = String::from("imp-");
    for b in &d[..12] {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// A short hash standing in for a reference when the source gives none.
pub fn hash_ref(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
        h.update([0x1f]);
    }
    let d = h.finalize();
    d[..10].iter().map(|b| format!("{b:02x}")).collect()
}

/// Which configured numbers a text names, for statements without `--number`.
fn number_for<'a>(config: &'a Config, texts: &[&str]) -> Option<&'a Number> {
    let mut found: HashMap<&str, &Number> = HashMap::new();
    for t in texts {
        for n in &config.numbers {
            if match_number(t, &n.msisdn) {
                found.insert(&n.id, n);
            }
        }
    }
    (found.len() == 1)
        .then(|| found.into_values().next())
        .flatten()
}

/// What a face says once `events` are in the log and `state` folds them: each recharge that
/// looks charged twice and that one of these records shows
/// (`2 rows look like one recharge charged twice: cmcc ¥30.00 on 2026-11-01 (…, …)`).
pub fn duplicates_said(
    state: &crate::engine::State,
    config: &Config,
    events: &[Event],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<String> {
    let ids: std::collections::HashSet<&str> = events.iter().map(|e| e.id.as_str()).collect();
    let tz = config.timezone;
    let mut out = Vec::new();
    for n in &config.numbers {
        let Some(ns) = state.number(&n.id) else {
            continue;
        };
        let recon = crate::engine::reconcile::reconcile(ns, Some(n), tz, now);
        for d in crate::engine::duplicate::duplicates(ns, &recon, n.currency) {
            if d.ids.len() < 2 || !d.ids.iter().any(|i| ids.contains(i.as_str())) {
                continue;
            }
            out.push(tr!(
                T::ImportDuplicate,
                d.ids.len(),
                n.id,
                crate::model::Money::new(d.amount_minor, d.currency).display(),
                d.at.with_timezone(&tz).format("%Y-%m-%d"),
                d.references.join(", ")
            ));
        }
    }
    out
}
