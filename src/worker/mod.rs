//! The worker (in progress).
use crate::error::{Error, Result};
use crate::store::Paths;
pub fn daemon(_paths: &Paths) -> Result<String> {
    Err(Error::input("the daemon is not built yet"))
}
pub fn tick(_paths: &Paths, _now: chrono::DateTime<chrono::Utc>) -> Result<String> {
    Err(Error::input("tick is not built yet"))
}
