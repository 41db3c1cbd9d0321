//! The end of a reminder: which open reminders no longer stand because their rule was
//! deleted or made automatic. Pure; the worker records what it finds as `dismissed` events,
//! and every reader counts only the reminders that still stand, so nothing waits on a tick.

use crate::engine::due::effective_mode;
use crate::engine::state::{Attempt, KeyState, NumberState, State};
use crate::model::{Config, Mode, Number};

/// Why a reminder was closed without a top-up (the `reason` of a `dismissed` event).
pub const RULE_DELETED: &str = "rule_deleted";
pub const RULE_NOW_AUTO: &str = "rule_now_auto";
pub const BY_HAND: &str = "by_hand";

/// An open reminder whose rule no longer asks for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stale {
    pub number: String,
    pub intent: String,
    pub reason: &'static str,
}

/// Why `key` (an open reminder of `number`) no longer stands, if it does not.
pub fn stale_reason(key: &KeyState, number: &Number) -> Option<&'static str> {
    match number.rule(key.rule) {
        None => Some(RULE_DELETED),
        Some(rule) if effective_mode(rule, number) == Mode::Auto => Some(RULE_NOW_AUTO),
        Some(_) => None,
    }
}

/// Open reminders that still stand: their rule exists and still only reminds.
pub fn standing<'a>(
    ns: &'a NumberState,
    number: &'a Number,
) -> impl Iterator<Item = (KeyState<'a>, Attempt<'a>)> {
    ns.open_reminders()
        .filter(move |(k, _)| stale_reason(k, number).is_none())
}

/// Every open reminder of a configured number whose rule was deleted or made automatic.
pub fn stale(state: &State, config: &Config) -> Vec<Stale> {
    let mut out = Vec::new();
    for number in &config.numbers {
        let Some(ns) = state.number(&number.id) else {
            continue;
        };
        for (k, a) in ns.open_reminders() {
            if let Some(reason) = stale_reason(&k, number) {
                out.push(Stale {
                    number: number.id.clone(),
                    intent: a.intent.to_string(),
                    reason,
                });
            }
        }
    }
    out
}
