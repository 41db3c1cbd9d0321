//! What the config may not say given the log: a number with history keeps its currency.
//! Checked where a config is read with its log (`validate`, the command line) and before a
//! save (the log is read only when a saved number's currency changes).

use crate::engine::State;
use crate::engine::currency::conflicts;
use crate::error::{Error, Result};
use crate::i18n::T;
use crate::model::Config;
use crate::store::log::Log;
use crate::store::paths::Paths;
use crate::tr;

use super::{Problem, line_of_path};

/// Each configured number whose history is in another currency, as a problem at its
/// `numbers[i].currency` (with the line in `text`).
pub fn history_problems(text: &[u8], config: &Config, state: &State) -> Vec<Problem> {
    conflicts(state, config)
        .into_iter()
        .map(|c| {
            let path = format!("numbers[{}].currency", c.index);
            Problem {
                line: line_of_path(text, &path),
                path,
                message: tr!(
                    T::CfgCurrencyChanged,
                    c.number,
                    c.history.code(),
                    c.configured.code()
                ),
            }
        })
        .collect()
}

/// Refuses a save that changes the currency of a number with history. `before` is the
/// config as it is on disk (`None`: no file yet, nothing to compare).
pub fn check_save(paths: &Paths, before: Option<&Config>, after: &Config) -> Result<()> {
    let Some(before) = before else { return Ok(()) };
    let changed = after.numbers.iter().any(|n| {
        before
            .number(&n.id)
            .is_some_and(|old| old.currency != n.currency)
    });
    if !changed {
        return Ok(());
    }
    let mut state = State::new(after.timezone);
    Log::new(&paths.log)
        .scan_ref(Default::default(), |e| state.apply(&e))
        .map_err(|e| Error::io(T::WhatRead, &paths.log, &e))?;
    let text = super::render(after);
    match history_problems(text.as_bytes(), after, &state).first() {
        None => Ok(()),
        Some(p) => Err(Error::input(p.message.clone())),
    }
}
