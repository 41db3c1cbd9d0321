//! Sending through a forwarder: a SIM in an old phone running SmsForwarder or SMS Gateway
//! for Android, spoken to over HTTP with the program's one client (`net`). A text is sent
//! once: what fails before a byte was written is `failed`, what may have reached the phone
//! is *in doubt* and never sent again on its own. Receiving is `inbox`'s job.

pub mod action;
pub mod catchup;
pub mod client;
pub mod health;
pub mod provider;
pub mod seen;
pub mod sign;

use crate::i18n::T;
use crate::model::Number;
use crate::model::forwarder::{Forwarder, ForwarderKind};
use crate::tr;

/// Why a forwarder could not do what was asked: one sentence each, in the person's language.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FwdError {
    /// The number names no forwarder, or one the config lacks.
    NoForwarder(String),
    /// A webhook board only posts texts to baohao.
    CannotSend(String),
    /// The environment variable holding a secret is not set.
    NoSecret(String),
    /// Nothing could be written to the phone (refused, unreachable, no route).
    Unreachable(String, String),
    /// The app answered no, with its words.
    Refused(String, String),
    /// The app failed (an HTTP 5xx) while taking a text, perhaps after sending it.
    Faulted(String, String),
    /// No answer within the forwarder's `timeout_secs`.
    Timeout(String, u64),
    /// The connection ended, or the answer could not be read, after the request was written.
    Lost(String, String),
    /// An answer baohao cannot read.
    BadAnswer(String, String),
    /// A 404 to SMS Gateway's state query that is not the app's own JSON answer (a reverse
    /// proxy's page, a wrong path): it says nothing of the text. The forwarder, the text's
    /// id, the content type, the body's length.
    NotTheApp(String, String, String, usize),
}

impl std::fmt::Display for FwdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = match self {
            FwdError::NoForwarder(id) => tr!(T::FwdNone, id),
            FwdError::CannotSend(id) => tr!(T::FwdCannotSend, id),
            FwdError::NoSecret(env) => tr!(T::FwdNoSecret, env),
            FwdError::Unreachable(id, why) => tr!(T::FwdUnreachable, id, why),
            FwdError::Refused(id, why) => tr!(T::FwdRefused, id, why),
            FwdError::Faulted(id, why) => tr!(T::FwdFaulted, id, why),
            FwdError::Timeout(id, s) => tr!(T::FwdTimeout, id, s),
            FwdError::Lost(id, why) => tr!(T::FwdLost, id, why),
            FwdError::BadAnswer(id, what) => tr!(T::FwdBadAnswer, id, what),
            FwdError::NotTheApp(id, text, kind, len) => tr!(T::FwdNotTheApp, id, text, kind, len),
        };
        f.write_str(&s)
    }
}

impl std::error::Error for FwdError {}

/// The forwarder holding `number`'s SIM and the slot to use (1 when the number names none).
pub fn of_number<'a>(
    forwarders: &'a [Forwarder],
    number: &Number,
) -> Result<(&'a Forwarder, u8), FwdError> {
    let r = number
        .forwarder
        .as_deref()
        .ok_or_else(|| FwdError::NoForwarder(String::new()))?;
    let f = forwarders
        .iter()
        .find(|f| f.id == r.id)
        .ok_or_else(|| FwdError::NoForwarder(r.id.clone()))?;
    if f.kind == ForwarderKind::Webhook {
        return Err(FwdError::CannotSend(f.id.clone()));
    }
    Ok((f, r.slot.unwrap_or(1)))
}

/// The value of the secret held in `env` (its name only is in the config).
pub fn secret(env: Option<&str>) -> Result<String, FwdError> {
    let Some(name) = env else {
        return Err(FwdError::NoSecret(String::new()));
    };
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => Ok(v.trim().to_string()),
        _ => Err(FwdError::NoSecret(name.to_string())),
    }
}

/// One line of outside text for a sentence: cleaned, cut, secrets removed.
pub(crate) fn outside(s: &str) -> String {
    crate::text::clean::value(&crate::secrets::redact(s))
}
