//! Where "now" comes from: the system clock, or for tests and demos `BAOHAO_NOW`, either a
//! fixed RFC 3339 time or `@FILE`, a file holding one (re-read each time, so a test can move
//! the clock of a running daemon, backwards too).

use std::path::PathBuf;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::i18n::T;
use crate::tr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Clock {
    System,
    Fixed(DateTime<Utc>),
    File(PathBuf),
}

impl Clock {
    /// From `BAOHAO_NOW`, else the system clock.
    pub fn from_env() -> Result<Clock> {
        match std::env::var("BAOHAO_NOW") {
            Ok(s) if !s.is_empty() => match s.strip_prefix('@') {
                Some(path) => Ok(Clock::File(PathBuf::from(path))),
                None => parse(&s)
                    .map(Clock::Fixed)
                    .ok_or_else(|| Error::input(tr!(T::BadNow, s))),
            },
            _ => Ok(Clock::System),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self {
            Clock::System => Utc::now(),
            Clock::Fixed(t) => *t,
            // A clock file that cannot be read keeps time going rather than stopping work.
            Clock::File(p) => std::fs::read_to_string(p)
                .ok()
                .and_then(|s| parse(s.trim()))
                .unwrap_or_else(Utc::now),
        }
    }
}

fn parse(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}
