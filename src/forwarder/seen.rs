//! What the worker last saw of each forwarder, kept beside the log in `forwarders.json`
//! (0600, rewritten whole and atomically by the one worker) so that `status`, the TUI and
//! the notifier agree on whether a phone went silent. It holds no secret and no evidence:
//! deleting it only forgets since when a forwarder is watched and when it last answered.

use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};

use crate::engine::State;
use crate::model::Config;
use crate::model::forwarder::{Forwarder, ForwarderKind};
use crate::store::Paths;

use super::health::Health;

/// One forwarder as last looked at (the data is the core's, so that a report of it
/// needs nothing of this module).
pub use crate::model::forwarder::Seen;

#[derive(serde::Serialize, serde::Deserialize)]
struct File {
    version: u32,
    forwarders: Vec<Seen>,
}

pub fn path(paths: &Paths) -> PathBuf {
    paths.log.with_file_name("forwarders.json")
}

/// What the file holds; nothing when it is missing or unreadable (it is only a memory).
pub fn load(paths: &Paths) -> Vec<Seen> {
    let Ok(bytes) = std::fs::read(path(paths)) else {
        return Vec::new();
    };
    if bytes.len() > 1 << 20 {
        return Vec::new();
    }
    serde_json::from_slice::<File>(&bytes)
        .map(|f| f.forwarders)
        .unwrap_or_default()
}

pub fn save(paths: &Paths, seen: &[Seen]) -> std::io::Result<()> {
    let f = File {
        version: 1,
        forwarders: seen.to_vec(),
    };
    let bytes = serde_json::to_vec_pretty(&f).map_err(std::io::Error::other)?;
    crate::store::fsutil::write_atomic(&path(paths), &bytes)
}

/// This look at a forwarder, remembering from `before` since when it is watched and when
/// it last answered.
pub fn after_look(h: &Health, before: Option<&Seen>, now: DateTime<Utc>) -> Seen {
    let earlier = before.and_then(|b| b.answered_at);
    let answered_at = if h.via_server {
        // A server's answer is not the phone's: heard when the server last heard it (never
        // later than now, whatever the server's clock says).
        h.phone_seen.map(|t| t.min(now)).max(earlier)
    } else if h.reachable == Some(true) {
        Some(now)
    } else {
        earlier
    };
    Seen {
        id: h.id.clone(),
        kind: h.kind.to_string(),
        watched_since: before.map_or(now, |b| b.watched_since.min(now)),
        looked_at: now,
        answered_at,
        reachable: h.reachable,
        problem: h.problem.clone(),
        battery: h.battery,
        charging: h.charging,
    }
}

/// When `f` was last heard of: its last answer, or the newest text one of its numbers
/// received, whichever is later.
pub fn heard(
    f: &Forwarder,
    config: &Config,
    state: &State,
    seen: Option<&Seen>,
) -> Option<DateTime<Utc>> {
    let texts = config
        .numbers
        .iter()
        .filter(|n| n.forwarder.as_ref().is_some_and(|r| r.id == f.id))
        .filter_map(|n| state.number(&n.id).and_then(|ns| ns.last_text))
        .max();
    let answered = seen
        .filter(|_| f.kind != ForwarderKind::Webhook)
        .and_then(|s| s.answered_at);
    texts.max(answered)
}

/// Since when `f` counts as silent at `now`, if it does: unheard for its `quiet_hours`,
/// counted from its last word or, never heard, from when it was first watched. A
/// forwarder never watched and never heard is not judged.
pub fn silent_since(
    f: &Forwarder,
    config: &Config,
    state: &State,
    seen: &[Seen],
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let s = seen.iter().find(|s| s.id == f.id);
    let base = heard(f, config, state, s).max(s.map(|s| s.watched_since))?;
    (now - base >= Duration::hours(f.quiet_hours as i64)).then_some(base)
}

/// The forwarders silent at `now`, each with the time its silence is counted from.
pub fn silent(
    config: &Config,
    state: &State,
    seen: &[Seen],
    now: DateTime<Utc>,
) -> Vec<(String, DateTime<Utc>)> {
    config
        .forwarders
        .iter()
        .filter_map(|f| Some((f.id.clone(), silent_since(f, config, state, seen, now)?)))
        .collect()
}

/// Adds `forwarder_silent` to the statuses of the numbers on a silent forwarder.
pub fn mark(
    statuses: &mut [crate::engine::NumberStatus],
    config: &Config,
    state: &State,
    seen: &[Seen],
    now: DateTime<Utc>,
) {
    let silent = silent(config, state, seen, now);
    if silent.is_empty() {
        return;
    }
    for (n, s) in config.numbers.iter().zip(statuses.iter_mut()) {
        let on_silent = n
            .forwarder
            .as_ref()
            .is_some_and(|r| silent.iter().any(|(id, _)| *id == r.id));
        if on_silent && !s.has(crate::engine::Attention::ForwarderSilent) {
            s.attention.push(crate::engine::Attention::ForwarderSilent);
            s.attention.sort();
        }
    }
}
