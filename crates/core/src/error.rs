//! The one error type that reaches a person: a sentence, already in their language.
//! Never a backtrace; the kind lets callers react (a conflict reloads, a lock names its holder).

use std::fmt;
use std::path::Path;

use crate::i18n::T;
use crate::tr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// Something the person typed or wrote is not acceptable.
    Input,
    /// The config file changed on disk since it was read.
    Conflict,
    /// Another process holds the worker lock.
    Locked,
    /// The file system refused.
    Io,
    /// The process could not set itself up (no async runtime, no signal handler).
    Runtime,
    /// The terminal failed or went away.
    Terminal,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn input(message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Input,
            message: crate::text::clean::message(&message.into()),
        }
    }

    pub fn conflict(message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Conflict,
            message: crate::text::clean::message(&message.into()),
        }
    }

    pub fn locked(message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Locked,
            message: crate::text::clean::message(&message.into()),
        }
    }

    pub fn runtime(message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Runtime,
            message: message.into(),
        }
    }

    pub fn terminal(message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Terminal,
            message: message.into(),
        }
    }

    /// An I/O failure on `path`, said as "could not <what> <path>: <reason>".
    pub fn io(what: T, path: &Path, err: &std::io::Error) -> Error {
        Error {
            kind: ErrorKind::Io,
            message: crate::text::clean::message(&tr!(
                T::IoFailed,
                what.s(),
                path.display(),
                io_reason(err)
            )),
        }
    }
}

/// The OS's reason without Rust's "(os error 13)" suffix.
pub fn io_reason(err: &std::io::Error) -> String {
    let s = err.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}
