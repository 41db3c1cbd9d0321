//! baohao keeps phone numbers alive: balances, deadlines, recharge rules, and a log that
//! proves each recharge happened exactly once. The binary is a thin layer over this crate.

pub mod engine;
pub mod error;
pub mod i18n;
pub mod model;
pub mod store;

pub use error::{Error, ErrorKind, Result};
