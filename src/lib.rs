//! baohao keeps phone numbers alive: balances, deadlines, recharge rules, and a log that
//! proves each recharge happened exactly once. The binary is a thin layer over this crate.

// The core: pure model and engine, and the files.
pub mod engine;
pub mod model;
pub mod secrets;
pub mod store;

// Shared by every face: the live home, the home on disk, the text layer.
pub mod channels;
pub mod clock;
pub mod error;
pub mod forwarder;
pub mod home;
pub mod i18n;
pub mod import;
pub mod inbox;
pub mod link;
pub mod modem;
pub mod net;
pub mod session;
pub mod text;

// The faces, siblings that never import each other.
pub mod cli;
pub mod tui;
pub mod worker;

pub use error::{Error, ErrorKind, Result};
