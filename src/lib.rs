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
pub mod store;
pub mod tui;
pub mod worker;

pub use error::{Error, ErrorKind, Result};

/// Fails with the config's one-sentence problem before a worker starts on a broken config.
pub fn config_must_load(paths: &store::Paths) -> Result<()> {
    let loaded = store::config::load(paths)?;
    // A number whose history is in another currency is refused here too (see
    // `engine::currency`); the worker would not charge it anyway.
    let mut state = engine::State::new(loaded.config.timezone);
    store::Log::new(&paths.log)
        .scan(Default::default(), |e| state.apply_owned(e))
        .map_err(|e| Error::io(i18n::T::WhatRead, &paths.log, &e))?;
    let text = std::fs::read(&paths.config).unwrap_or_default();
    let wrong = store::config::history_problems(&text, &loaded.config, &state);
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(store::config::problems_error(&paths.config, &wrong))
    }
}
