//! The modem client: a SIM in a USB modem, through ModemManager over D-Bus (the system bus;
//! `DBUS_SYSTEM_BUS_ADDRESS` redirects it). It never scrapes `mmcli` and never polls for texts.

pub mod action;
pub mod client;
pub mod provider;
pub mod reply;
pub mod text;

pub use client::{Bus, ModemInfo, Sms};
pub use reply::parse_reply;

pub use crate::model::modem::{ModemMatch, ModemProvider, ModemQuery, SmsAction};

use crate::i18n::T;
use crate::tr;

/// Why the modem could not do what was asked: one sentence each, in the person's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ModemError {
    /// No system bus, or ModemManager is not on it.
    NoModemManager(String),
    NoModem(String),
    /// `any` with more than one modem.
    Ambiguous(usize),
    /// The modem left the bus while being used.
    Vanished,
    /// polkit said no.
    Unauthorized,
    /// Still enabling or otherwise not ready.
    NotReady(String),
    /// The request may not reach the modem (USSD with characters outside `[0-9*#]`).
    BadUssd(String),
    UssdEnded,
    UssdUnsupported,
    /// No answer within the timeout.
    Timeout(u64),
    /// Anything else ModemManager said, cleaned.
    Other(String),
}

impl std::fmt::Display for ModemError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            ModemError::NoModemManager(why) => tr!(T::ModemNoManager, why),
            ModemError::NoModem(m) => tr!(T::ModemNone, m),
            ModemError::Ambiguous(n) => tr!(T::ModemAmbiguous, n),
            ModemError::Vanished => tr!(T::ModemVanished),
            ModemError::Unauthorized => tr!(T::ModemUnauthorized),
            ModemError::NotReady(state) => tr!(T::ModemNotReady, state),
            ModemError::BadUssd(code) => tr!(T::ModemBadUssd, code),
            ModemError::UssdEnded => tr!(T::ModemUssdEnded),
            ModemError::UssdUnsupported => tr!(T::ModemUssdUnsupported),
            ModemError::Timeout(s) => tr!(T::ModemTimeout, s),
            ModemError::Other(why) => tr!(T::ModemOther, why),
        };
        f.write_str(&s)
    }
}

impl std::error::Error for ModemError {}
