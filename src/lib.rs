//! baohao keeps phone numbers alive: balances, deadlines, recharge rules, and a log that
//! proves each recharge happened exactly once. The binary is a thin layer over this crate.

pub mod cli;
pub mod clock;
pub mod demo;
pub mod engine;
pub mod error;
pub mod i18n;
pub mod model;
pub mod ops;
pub mod secrets;
pub mod store;
pub mod text_clean;
pub mod tui;
pub mod worker;

pub use error::{Error, ErrorKind, Result};

/// Fails with the config's one-sentence problem before a worker starts on a broken config.
pub fn config_must_load(paths: &store::Paths) -> Result<()> {
    store::config::load(paths).map(|_| ())
}
