//! The text layer every face shares: cell widths, truncation and padding, time and money
//! formats, the labels of kinds, statuses and flags, and the CSV, ledger and iCal builders.
//! It reads the core and knows nothing of the command line, the TUI or the worker.

pub use baohao_core::text::clean;
pub mod export;
pub mod format;
pub mod input;
pub mod labels;
pub mod table;
