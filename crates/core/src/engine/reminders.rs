//! The end of a reminder: which open reminders no longer stand because their rule was
//! deleted or made automatic. Pure; the worker records what it finds as `dismissed` events,
//! and every reader counts only the reminders that still stand, so nothing waits on a tick.

use crate::engine::due::effective_mode;
use crate::engine::state::{Attempt, KeyState, NumberState, State};
use crate::model::{Config, Mode, Number};

/// Why a reminder was closed without a top-up: the `reason` of a `dismissed` event. The
/// set is open (a newer release may write another reason), so an unknown one is kept as
/// written.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum DismissReason {
    /// Its rule is gone from the config.
    RuleDeleted,
    /// Its rule charges by itself now.
    RuleNowAuto,
    /// A person closed it (`resolve … dismissed`).
    ByHand,
    /// A reason this release does not know, as the log has it.
    Other(String),
}

impl DismissReason {
    /// The reason as the log writes it.
    pub fn as_str(&self) -> &str {
        match self {
            DismissReason::RuleDeleted => "rule_deleted",
            DismissReason::RuleNowAuto => "rule_now_auto",
            DismissReason::ByHand => "by_hand",
            DismissReason::Other(s) => s,
        }
    }

    /// Reads the reason of a `dismissed` event (never fails: unknown reasons are kept).
    pub fn parse(s: &str) -> DismissReason {
        match s {
            "rule_deleted" => DismissReason::RuleDeleted,
            "rule_now_auto" => DismissReason::RuleNowAuto,
            "by_hand" => DismissReason::ByHand,
            other => DismissReason::Other(other.to_string()),
        }
    }
}

impl std::fmt::Display for DismissReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An open reminder whose rule no longer asks for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stale {
    pub number: String,
    pub intent: String,
    pub reason: DismissReason,
}

/// Why `key` (an open reminder of `number`) no longer stands, if it does not.
pub(crate) fn stale_reason(key: &KeyState, number: &Number) -> Option<DismissReason> {
    match number.rule(key.rule) {
        None => Some(DismissReason::RuleDeleted),
        Some(rule) if effective_mode(rule, number) == Mode::Auto => {
            Some(DismissReason::RuleNowAuto)
        }
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

#[cfg(test)]
mod tests {
    use super::DismissReason;

    #[test]
    fn a_reason_reads_back_as_written() {
        for r in ["rule_deleted", "rule_now_auto", "by_hand", "moved_away"] {
            assert_eq!(DismissReason::parse(r).as_str(), r);
        }
        assert_eq!(DismissReason::parse("by_hand"), DismissReason::ByHand);
        assert_eq!(
            DismissReason::parse("moved_away"),
            DismissReason::Other("moved_away".into())
        );
    }
}
