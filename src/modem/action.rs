//! A keep-alive rule's text, sent through the number's modem. Anything that fails before
//! the send is handed to the modem is `failed` (certainly not sent); a send that errors is
//! `failed` too (the modem refused it); no answer in time is `unknown` (maybe sent).

use std::time::Duration;

use crate::model::modem::{DEFAULT_MODEM_TIMEOUT_SECS, ModemMatch, SmsAction};
use crate::model::{Number, OutcomeStatus};

use super::{Bus, ModemError};

/// What came of a keep-alive text: the outcome to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: OutcomeStatus,
    pub reference: Option<String>,
    pub error: Option<String>,
}

fn failed(e: ModemError) -> Answer {
    Answer {
        status: OutcomeStatus::Failed,
        reference: None,
        error: Some(e.to_string()),
    }
}

pub async fn send(number: &Number, action: &SmsAction) -> Answer {
    let timeout = Duration::from_secs(DEFAULT_MODEM_TIMEOUT_SECS);
    let prepare = async {
        let bus = Bus::connect().await?;
        let m = bus
            .find(number.modem.as_deref().unwrap_or(&ModemMatch::Any))
            .await?;
        bus.ready(&m.path, timeout).await?;
        Ok::<_, ModemError>((bus, m))
    };
    let (bus, m) = match tokio::time::timeout(timeout, prepare).await {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return failed(e),
        Err(_) => return failed(ModemError::Timeout(timeout.as_secs())),
    };
    match tokio::time::timeout(timeout, bus.send_sms(&m.path, &action.to, &action.text)).await {
        Ok(Ok(path)) => Answer {
            status: OutcomeStatus::Succeeded,
            reference: Some(
                path.rsplit('/')
                    .next()
                    .map(|n| format!("SMS-{n}"))
                    .unwrap_or(path),
            ),
            error: None,
        },
        // The modem left mid-send, or ModemManager gave up waiting for it: it may have gone out.
        Ok(Err(e)) if maybe_sent(&e) => Answer {
            status: OutcomeStatus::Unknown,
            reference: None,
            error: Some(e.to_string()),
        },
        Ok(Err(e)) => failed(e),
        Err(_) => Answer {
            status: OutcomeStatus::Unknown,
            reference: None,
            error: Some(ModemError::Timeout(timeout.as_secs()).to_string()),
        },
    }
}

/// Errors after which the text may still have gone out.
fn maybe_sent(e: &ModemError) -> bool {
    match e {
        ModemError::Vanished | ModemError::Timeout(_) => true,
        ModemError::Other(why) => {
            let why = why.to_lowercase();
            why.contains("timed out")
                || why.contains("timeout")
                || why.contains("port is now closed")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_clear_refusal_is_failed() {
        assert!(maybe_sent(&ModemError::Vanished));
        assert!(maybe_sent(&ModemError::Other(
            "Serial command timed out".into()
        )));
        assert!(!maybe_sent(&ModemError::Other("CMS error: 500".into())));
        assert!(!maybe_sent(&ModemError::Unauthorized));
    }
}
