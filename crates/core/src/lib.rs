//! baohao's core: the domain model, the pure engine that folds the recharge log into state
//! and decides what is due, and the foundation both stand on (the two languages, the text
//! cleaner, the secret redactor). It reads no clock and does no I/O of its own beyond what
//! a caller hands it; `cargo tree -p baohao-core -e normal` shows no runtime, terminal,
//! D-Bus or HTTP crate (docs/ARCHITECTURE.md).

// The foundation: imports nothing above it.
pub mod error;
pub mod i18n;
pub mod secrets;
pub mod text;

// The domain and the engine over it.
pub mod engine;
pub mod model;
