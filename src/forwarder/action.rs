//! A keep-alive rule's text, sent through the number's forwarder once its intent is in the
//! log. SmsForwarder answers at once; SMS Gateway takes the text under an id derived from
//! the intent and says later whether it went, so an unsettled or in-doubt send is settled
//! by asking for that id (`settle`), never by sending again.

use std::time::Duration;

use crate::model::forwarder::{Forwarder, ForwarderKind};
use crate::model::modem::SmsAction;
use crate::model::{Number, OutcomeStatus};
use crate::modem::action::Answer;

use super::FwdError;
use super::client::{MessageState, Phone, Sent};
use super::sign::gateway_message_id;

/// How often, and how far apart, SMS Gateway is asked right after taking a text.
const SETTLE_LOOKS: u32 = 3;
const SETTLE_GAP: Duration = Duration::from_secs(1);

fn failed(e: FwdError) -> Answer {
    Answer {
        status: OutcomeStatus::Failed,
        reference: None,
        error: Some(e.to_string()),
    }
}

fn in_doubt(reference: Option<String>, error: String) -> Answer {
    Answer {
        status: OutcomeStatus::Unknown,
        reference,
        error: Some(error),
    }
}

/// Sends the keep-alive text of intent (`key`, `attempt`) through `number`'s forwarder.
pub async fn send(
    forwarders: &[Forwarder],
    number: &Number,
    action: &SmsAction,
    key: &str,
    attempt: u32,
) -> Answer {
    let (f, slot) = match super::of_number(forwarders, number) {
        Ok(x) => x,
        Err(e) => return failed(e),
    };
    let phone = match Phone::new(f) {
        Ok(p) => p,
        Err(e) => return failed(e),
    };
    let id = gateway_message_id(&number.id, key, attempt);
    match phone.send(slot, &action.to, &action.text, &id).await {
        Sent::Sent(reference) => Answer {
            status: OutcomeStatus::Succeeded,
            reference,
            error: None,
        },
        Sent::Failed(e) => failed(e),
        Sent::InDoubt(e) => in_doubt(
            (f.kind == ForwarderKind::SmsGateway).then(|| id.clone()),
            e.to_string(),
        ),
        Sent::Accepted(id) => {
            let mut last = String::new();
            for look in 0..SETTLE_LOOKS {
                if look > 0 {
                    tokio::time::sleep(SETTLE_GAP).await;
                }
                match phone.message_state(&id).await {
                    Ok(MessageState::Sent) => {
                        return Answer {
                            status: OutcomeStatus::Succeeded,
                            reference: Some(id),
                            error: None,
                        };
                    }
                    Ok(MessageState::Failed(why)) => {
                        return failed(FwdError::Refused(f.id.clone(), why));
                    }
                    Ok(MessageState::Waiting(state)) => last = state,
                    Ok(MessageState::Unknown) => last = "?".into(),
                    Err(e) => last = e.to_string(),
                }
            }
            in_doubt(
                Some(id.clone()),
                crate::tr!(crate::i18n::T::FwdNotSettled, f.id, id, last),
            )
        }
    }
}

/// What the phone says of an in-doubt text, when it can tell.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Settled {
    Sent(String),
    Failed(String),
    /// The phone has no text by that id: the request never reached it.
    NotThere,
    /// The phone's address answered something that is not the app (a proxy's 404): the
    /// text stays in doubt; the sentence says so.
    Unclear(String),
}

/// Asks the number's forwarder what became of intent (`key`, `attempt`)'s text. `None`:
/// it cannot tell (SmsForwarder keeps no ids; the phone is unreachable; still pending).
pub async fn settle(
    forwarders: &[Forwarder],
    number: &Number,
    key: &str,
    attempt: u32,
) -> Option<Settled> {
    let (f, _) = super::of_number(forwarders, number).ok()?;
    if f.kind != ForwarderKind::SmsGateway {
        return None;
    }
    let phone = Phone::new(f).ok()?;
    let id = gateway_message_id(&number.id, key, attempt);
    let state = match phone.message_state(&id).await {
        Ok(s) => s,
        Err(e @ FwdError::NotTheApp(..)) => return Some(Settled::Unclear(e.to_string())),
        Err(_) => return None,
    };
    match state {
        MessageState::Sent => Some(Settled::Sent(id)),
        MessageState::Failed(why) => Some(Settled::Failed(why)),
        MessageState::Unknown => Some(Settled::NotThere),
        MessageState::Waiting(_) => None,
    }
}
