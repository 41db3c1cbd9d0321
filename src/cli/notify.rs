//! `baohao notify test [--channel N]`: a test message through each push channel now, and
//! per channel `ok` or the service's own reason. Nothing is written to the log.

use chrono::{DateTime, Utc};

use crate::i18n::T;
use crate::store::Paths;
use crate::tr;
use crate::{Error, Result};

/// The lines to print, and whether every channel took the message.
pub fn test(paths: &Paths, channel: Option<usize>, now: DateTime<Utc>) -> Result<(String, bool)> {
    let loaded = crate::store::config::load(paths)?;
    let written: Vec<String> = loaded.config.notify.map(|n| n.channels).unwrap_or_default();
    if written.is_empty() {
        return Err(Error::input(tr!(T::NotifyNoChannels)));
    }
    let picked: Vec<(usize, String)> = match channel {
        Some(n) if (1..=written.len()).contains(&n) => vec![(n, written[n - 1].clone())],
        Some(n) => {
            return Err(Error::input(tr!(T::NotifyNoSuchChannel, n, written.len())));
        }
        None => written
            .into_iter()
            .enumerate()
            .map(|(i, w)| (i + 1, w))
            .collect(),
    };
    let client = crate::net::client(std::time::Duration::from_secs(
        crate::channels::url::MAX_TIMEOUT_SECS,
    ))
    .map_err(Error::input)?;
    let rt = crate::link::runtime()?;
    // Every channel at once: a slow one does not hold up the others' answers.
    let results = rt.block_on(futures::future::join_all(
        picked
            .iter()
            .map(|(_, w)| crate::channels::test(w, &client, now)),
    ));
    let mut out = String::new();
    let mut all_ok = true;
    for ((n, w), r) in picked.iter().zip(results) {
        let label = crate::channels::label_of(w);
        let line = match r {
            Ok(()) => tr!(T::NotifyTestOk, n, label),
            Err(why) => {
                all_ok = false;
                tr!(T::NotifyTestFailed, n, label, why)
            }
        };
        out.push_str(&crate::secrets::redact(&line));
        out.push('\n');
    }
    Ok((out, all_ok))
}
