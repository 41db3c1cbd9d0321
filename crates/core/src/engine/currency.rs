//! A number keeps its currency once it has history: every amount in the log (readings,
//! intents, top-ups) was counted in it, and re-reading them in another currency would
//! re-price rules, budgets and spend. Pure: finds the numbers whose config says otherwise.

use crate::engine::state::{NumberState, State};
use crate::model::{Config, Currency, Number};

/// A configured number whose history is in another currency.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CurrencyConflict {
    /// Its index in the config's numbers (for the problem's path).
    pub index: usize,
    pub number: String,
    pub configured: Currency,
    pub history: Currency,
}

/// The first currency other than `configured` that the number's history is in.
pub(crate) fn other_currency(ns: &NumberState, configured: Currency) -> Option<Currency> {
    ns.key_currencies()
        .iter()
        .copied()
        .chain(ns.observed.as_ref().map(|o| o.currency))
        .chain(ns.spend().into_keys().map(|(_, c)| c))
        .find(|c| *c != configured)
}

pub(crate) fn conflict_of(state: &State, number: &Number) -> Option<Currency> {
    other_currency(state.number(&number.id)?, number.currency)
}

/// Every configured number whose history is in another currency than the config says.
pub fn conflicts(state: &State, config: &Config) -> Vec<CurrencyConflict> {
    config
        .numbers
        .iter()
        .enumerate()
        .filter_map(|(index, n)| {
            conflict_of(state, n).map(|history| CurrencyConflict {
                index,
                number: n.id.clone(),
                configured: n.currency,
                history,
            })
        })
        .collect()
}
