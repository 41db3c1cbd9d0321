//! The domain's nouns: money, numbers, rules and the events of the recharge log.
//! No I/O and no clocks live here.

pub mod event;
pub mod forwarder;
pub mod modem;
pub mod money;
pub mod number;
pub mod phone;
pub mod rule;

pub use event::{Event, EventBody, EventRef, IntentAction, OutcomeStatus, ResolvedStatus};
pub use money::{Currency, Money, MoneyError};
pub use number::{
    CommandSpec, Config, CsvMapping, DeadlineDays, Digest, Executor, Notify, NotifyEvent, Number,
    Plan, Provider,
};
pub use rule::{Mode, MonthDay, Rule, Trigger, TriggerKind};

/// The log's name for the push channel written as `written`: its scheme and the first
/// four bytes of the SHA-256 of what was written (`ntfy:1a2b3c4d`), so a renamed or
/// re-ordered channel list keeps each channel's deliveries apart without naming secrets.
pub fn channel_id(written: &str) -> String {
    use sha2::Digest as _;
    let written = written.trim();
    let scheme = written
        .split_once("://")
        .map_or("channel", |(s, _)| s)
        .to_ascii_lowercase();
    let hash = sha2::Sha256::digest(written.as_bytes());
    let hex: String = hash[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("{scheme}:{hex}")
}
