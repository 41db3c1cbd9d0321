//! The engine: pure functions of (events, config, now). Replay folds the log into state;
//! plan says what is due; forecast says what is coming. No I/O, no clock, no randomness.

pub mod calendar;
pub mod forecast;
pub mod history;
pub mod plan;
pub mod reconcile;
pub mod state;
pub mod status;
pub mod verify;

pub use forecast::{Forecast, Planned, forecast};
pub use history::{Entry, EntryKind, EntryStatus, Flag, History, Row};
pub use plan::{BlockReason, Blocked, Due, Plan, intent_for, plan};
pub use state::{KeyStatus, NumberState, State};
pub use status::{Attention, NumberStatus, Urgency, number_status};
