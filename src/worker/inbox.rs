//! Texts arriving on the numbers' modems, heard through ModemManager's `Added` signal (no
//! polling). The listener only forwards them; the worker decides what each becomes.

use std::time::Duration;

use tokio::sync::mpsc;

use crate::link::Shutdown;
use crate::model::modem::ModemMatch;
use crate::modem::{Bus, Sms};
use crate::store::Paths;

/// A text that arrived for a number.
#[derive(Clone, Debug)]
pub struct Arrival {
    pub number: String,
    pub sms: Sms,
}

/// Every number with a `modem`, and what picks it, as the config on disk says now (none
/// when it does not read).
pub fn modem_numbers(paths: &Paths) -> Vec<(String, ModemMatch)> {
    match crate::store::config::load(paths) {
        Ok(l) => l
            .config
            .numbers
            .iter()
            .filter_map(|n| n.modem.as_deref().map(|m| (n.id.clone(), m.clone())))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Listens while the worker runs: for every number with a modem, the texts that arrive on
/// it. When the modem (or ModemManager) goes away it tries again every `retry`.
pub async fn listen(
    paths: Paths,
    out: mpsc::UnboundedSender<Arrival>,
    shutdown: std::sync::Arc<Shutdown>,
    retry: Duration,
) {
    while !shutdown.requested() {
        let numbers = modem_numbers(&paths);
        if numbers.is_empty() {
            // No modem in the config: nothing to hear (a config change restarts nothing;
            // the next check comes after `retry`).
            tokio::select! {
                _ = tokio::time::sleep(retry) => continue,
                _ = shutdown.wait() => return,
            }
        }
        let mut tasks = Vec::new();
        if let Ok(bus) = Bus::connect().await {
            for (id, m) in numbers {
                let Ok(modem) = bus.find(&m).await else {
                    continue;
                };
                // A disabled modem hears nothing: texts are announced only once enabled.
                if bus
                    .ready(&modem.path, Duration::from_secs(60))
                    .await
                    .is_err()
                {
                    continue;
                }
                let Ok(mut arrivals) = bus.arrivals(&modem.path).await else {
                    continue;
                };
                let out = out.clone();
                tasks.push(tokio::spawn(async move {
                    while let Some(sms) = arrivals.next().await {
                        if out
                            .send(Arrival {
                                number: id.clone(),
                                sms,
                            })
                            .is_err()
                        {
                            return;
                        }
                    }
                }));
            }
        }
        // Wait until every listener ended (its modem vanished), then look again.
        let all = futures::future::join_all(tasks.iter_mut());
        tokio::select! {
            _ = all => {}
            _ = shutdown.wait() => {
                for t in &tasks {
                    t.abort();
                }
                return;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(retry) => {}
            _ = shutdown.wait() => return,
        }
    }
}
