//! The TUI (in progress).
use crate::cli::context::Home;
use crate::error::{Error, Result};
pub fn run(_home: Home, _mouse: bool) -> Result<()> {
    Err(Error::input(
        "the TUI is not built yet; try `baohao status`",
    ))
}
