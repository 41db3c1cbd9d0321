//! How much an import may take, whatever the file: every importer stays within a fixed
//! memory bound (about 256 MiB at the very worst), and a file that would need
//! more is refused in one sentence before anything is written.
//!
//! The bound holds because nothing grows with the file except what is kept from it:
//! tables and texts stream through, one record at a time, each record capped; what is
//! held whole (a spreadsheet or a ZIP archive) is capped first and everything it inflates
//! to is counted before it is parsed.

/// A file read whole (an XLSX workbook, a ZIP archive): at most this many bytes.
pub const MAX_HELD: u64 = 64 << 20;
/// All the parts of a ZIP archive (an XLSX or a zipped statement) together inflate to at
/// most this many bytes.
pub const MAX_INFLATED: u64 = 256 << 20;
/// A part larger than [`RATIO_FROM`] inflated may be at most this many times its deflated
/// size: statements and sheets deflate 5 to 20 times; a bomb's whitespace 1,000 times.
pub const MAX_RATIO: u64 = 200;
pub const RATIO_FROM: u64 = 1 << 20;
/// Entries in one archive.
pub const MAX_ENTRIES: usize = 4096;
/// One cell of a spreadsheet (or any text or tag in its XML): a statement's longest cell
/// is a few hundred bytes.
pub const MAX_CELL: u64 = 1 << 20;
/// Columns of a statement sheet (the declared dimension, and any cell found).
pub const MAX_COLUMNS: u32 = 1024;
/// One record of a CSV (all its cells), in bytes: a statement row is under 1 KiB.
pub const MAX_RECORD: usize = 1 << 20;
/// One line of a texts file.
pub const MAX_TEXT_LINE: usize = 64 << 10;
/// A JSON message export is read whole up to this size; a larger one is refused.
pub const MAX_JSON: u64 = 64 << 20;
/// Entries one import may add (each is a log line held until the one write): a year of
/// statements for every number is a few thousand.
pub const MAX_EVENTS: usize = 100_000;
/// A statement row or a text dated further than this ahead of the clock is set aside:
/// a wrong date, never a reading or evidence.
pub const DATED_AHEAD: chrono::Duration = chrono::Duration::days(1);
/// Lines listed as unmatched or skipped; past that, one line says how many more.
pub const MAX_LISTED: usize = 1000;
