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
