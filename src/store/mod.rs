//! Files: where they live, the config (strict, atomic, conflict-aware), the recharge log
//! (append-only, locked, fsync'd) and the worker lock. The only module that writes disk.

pub mod checkpoint;
pub mod config;
pub mod created;
pub use crate::fsutil;
pub mod lock;
pub mod log;
pub mod paths;
pub mod swap;

pub use log::{Cursor, Line, Log, LogProblem};
pub use paths::Paths;
