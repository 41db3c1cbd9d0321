//! The engine: pure functions of (events, config, now). Replay folds the log into state;
//! plan says what is due; forecast says what is coming. No I/O, no clock, no randomness.

pub mod calendar;
pub mod chunked;
pub mod currency;
pub mod due;
pub mod duplicate;
pub mod evidence;
pub mod forecast;
pub mod history;
pub mod key;
pub mod order;
pub mod reconcile;
pub mod reminders;
pub mod rows;
pub mod start;
pub mod state;
pub mod status;
pub mod trigger;
pub mod verify;

pub use due::{Agenda, BlockReason, Blocked, Due, agenda, intent_for, intent_for_number};
pub use forecast::{Forecast, Planned, forecast};
pub use history::{
    Entry, EntryKind, EntryStatus, Flag, History, Keep, Lister, ReminderEnd, Row, ShownStatus,
};
pub use key::Key;
pub use state::{KeyStatus, NumberState, RefAt, State};
pub use status::{Attention, NumberStatus, Urgency, number_status, number_statuses};
