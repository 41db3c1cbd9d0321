//! The state and signal of each number's modem, for the Numbers pane: looked at when the
//! worker starts and every `every` after (every 3 s while one is still coming up), through ModemManager, on a task of its own so a
//! slow or missing ModemManager never holds up a refresh or a key press.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::link::{ModemSeen, Report, Shutdown};
use crate::model::modem::ModemMatch;
use crate::modem::{Bus, ModemError, ModemInfo};
use crate::store::Paths;

/// How long one look may take before the modems are reported unknown.
const LOOK_TIMEOUT: Duration = Duration::from_secs(10);

/// What each of `numbers` is, given what ModemManager listed (or why it could not).
pub fn seen(
    numbers: &[(String, ModemMatch)],
    modems: &Result<Vec<ModemInfo>, ModemError>,
) -> Vec<ModemSeen> {
    numbers
        .iter()
        .map(|(id, m)| {
            let unseen = |problem: String| ModemSeen {
                number: id.clone(),
                state: None,
                signal: None,
                operator: None,
                problem: Some(problem),
            };
            let all = match modems {
                Ok(all) => all,
                Err(e) => return unseen(e.to_string()),
            };
            let found: Vec<&ModemInfo> = all.iter().filter(|x| m.matches(x.ids())).collect();
            match (m, found.as_slice()) {
                (_, []) => unseen(ModemError::NoModem(m.as_str().to_string()).to_string()),
                (ModemMatch::Any, many) if many.len() > 1 => {
                    unseen(ModemError::Ambiguous(many.len()).to_string())
                }
                (_, [x, ..]) => ModemSeen {
                    number: id.clone(),
                    state: Some(x.state.clone()),
                    signal: x.signal,
                    operator: x.operator.clone(),
                    problem: None,
                },
            }
        })
        .collect()
}

async fn look() -> Result<Vec<ModemInfo>, ModemError> {
    match tokio::time::timeout(LOOK_TIMEOUT, async { Bus::connect().await?.modems().await }).await {
        Ok(r) => r,
        Err(_) => Err(ModemError::Timeout(LOOK_TIMEOUT.as_secs())),
    }
}

/// Reports the numbers' modems now and every `every` until the worker stops. Nothing is
/// sent to a modem: only ModemManager's properties are read.
pub async fn watch(
    paths: Paths,
    reports: mpsc::UnboundedSender<Report>,
    shutdown: std::sync::Arc<Shutdown>,
    every: Duration,
) {
    while !shutdown.requested() {
        let numbers = super::inbox::modem_numbers(&paths);
        let mut wait = every;
        if !numbers.is_empty() {
            let modems = tokio::select! {
                m = look() => m,
                _ = shutdown.wait() => return,
            };
            let seen = seen(&numbers, &modems);
            // A modem on its way up (enabling, searching) is looked at again soon, so the
            // pane shows it registered without waiting a whole interval.
            if seen.iter().any(|s| {
                s.state
                    .as_deref()
                    .is_some_and(|st| !matches!(st, "registered" | "connected" | "failed"))
            }) {
                wait = wait.min(Duration::from_secs(3));
            }
            if reports.send(Report::Modems(seen)).is_err() {
                return;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(wait) => {}
            _ = shutdown.wait() => return,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn modem(imsi: &str, state: &str, signal: u32) -> ModemInfo {
        ModemInfo {
            path: format!("/org/freedesktop/ModemManager1/Modem/{imsi}"),
            equipment_id: None,
            manufacturer: None,
            model: None,
            imsi: Some(imsi.into()),
            iccid: None,
            operator: Some("giffgaff".into()),
            signal: Some(signal),
            state: state.into(),
        }
    }

    #[test]
    fn each_number_gets_its_modem_or_a_reason() {
        let numbers = vec![
            ("gg".to_string(), ModemMatch::Id("234100000000001".into())),
            ("cm".to_string(), ModemMatch::Id("460000000000009".into())),
        ];
        let seen_ok = seen(
            &numbers,
            &Ok(vec![modem("234100000000001", "registered", 72)]),
        );
        assert_eq!(seen_ok[0].state.as_deref(), Some("registered"));
        assert_eq!(seen_ok[0].signal, Some(72));
        assert_eq!(seen_ok[0].problem, None);
        assert!(seen_ok[1].state.is_none());
        assert!(
            seen_ok[1]
                .problem
                .as_deref()
                .is_some_and(|p| p.contains("460000000000009"))
        );
        let any = vec![("gg".to_string(), ModemMatch::Any)];
        let two = seen(
            &any,
            &Ok(vec![modem("1", "registered", 1), modem("2", "enabled", 2)]),
        );
        assert!(two[0].problem.is_some() && two[0].state.is_none());
        let gone = seen(&any, &Err(ModemError::NoModemManager("no bus".into())));
        assert!(
            gone[0]
                .problem
                .as_deref()
                .is_some_and(|p| p.contains("ModemManager"))
        );
    }
}
