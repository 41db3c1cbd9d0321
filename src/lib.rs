//! baohao keeps phone numbers alive: balances, deadlines, recharge rules, and a log that
//! proves each recharge happened exactly once. The binary is a thin layer over this crate.

// A function a person can hold in their head: none over the limit in clippy.toml,
// tests aside (a flat dispatch or a data table says why it is allowed more).
#![cfg_attr(not(test), warn(clippy::too_many_lines))]

// The core (crates/core): the pure model and engine, and the foundation under them; named
// here so every face reads `crate::engine`, `crate::model` as before.
pub use baohao_core::{engine, error, i18n, model, secrets, tr};

// Files made with care (atomic rewrites, fsync'd appends, 0600/0700): under the store and
// anything else that reads or writes a file, so none of them needs the store for it.
pub mod fsutil;

// The files.
pub mod store;

// Shared by every face: the live home, the home on disk, the text layer.
pub mod channels;
pub mod clock;
pub mod forwarder;
pub mod home;
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
