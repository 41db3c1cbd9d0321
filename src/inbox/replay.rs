//! SmsForwarder's signatures already used. Its `sign` covers the timestamp only, not the
//! text, so one post seen on the way (plain HTTP on a LAN) would let anyone post any text
//! under the same timestamp and sign until the timestamp leaves the window. The inbox keeps,
//! for each signature it has taken, a digest of the text it came with: the same text again
//! is a retry (let through, and the log adds nothing); another text is refused.
//!
//! Memory is bounded: an entry is dropped once its timestamp is outside the window (no post
//! can use it then) and it has been kept for two windows by the monotonic clock (so that a
//! wall clock stepped back does not bring a dropped one back into the window at once). At
//! [`MAX_KEPT`] unexpired entries a new signature is not taken (the caller answers 503, the
//! phone sends again later) rather than forgetting one that could still be reused. Only a
//! post signed with the secret makes an entry, so nobody without it can fill the table.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::Received;
use super::decode::Signed;
use super::sign;

/// Signatures kept at most: SmsForwarder signs each post afresh (a new millisecond), and a
/// phone does not post 10,000 texts in ten minutes.
pub const MAX_KEPT: usize = 10_000;
/// How often expired entries are swept (also whenever the table is full).
const SWEEP_EVERY: Duration = Duration::from_secs(10);

/// What a signature already used says of a post.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Not seen before: now kept with this text.
    First,
    /// Seen with this same text: a retry.
    Again,
    /// Seen with another text: a forgery (or the phone signing two texts in one
    /// millisecond, which it then sends again signed afresh).
    Other,
    /// Not seen, and the table is full of signatures still in their window.
    Full,
}

struct Kept {
    text: [u8; 32],
    at_ms: i64,
    since: Instant,
}

/// The signatures taken, by [`Signed::key`].
pub struct Used {
    kept: HashMap<[u8; 32], Kept>,
    cap: usize,
    next_sweep: Option<Instant>,
}

impl Default for Used {
    fn default() -> Self {
        Used::new(MAX_KEPT)
    }
}

impl Used {
    pub fn new(cap: usize) -> Used {
        Used {
            kept: HashMap::new(),
            cap,
            next_sweep: None,
        }
    }

    pub fn len(&self) -> usize {
        self.kept.len()
    }

    pub fn is_empty(&self) -> bool {
        self.kept.is_empty()
    }

    /// Whether `signed` may carry the text whose digest is `text` ([`digest`]), keeping it
    /// when it is new. `now_ms` is the wall clock the window is checked by, `mono` the
    /// monotonic clock now.
    pub fn check(
        &mut self,
        signed: &Signed,
        text: [u8; 32],
        now_ms: i64,
        window: Duration,
        mono: Instant,
    ) -> Verdict {
        if let Some(k) = self.kept.get(&signed.key) {
            return if sign::same(&k.text, &text) {
                Verdict::Again
            } else {
                Verdict::Other
            };
        }
        if self.kept.len() >= self.cap || self.next_sweep.is_none_or(|t| mono >= t) {
            self.sweep(now_ms, window, mono);
            self.next_sweep = mono.checked_add(SWEEP_EVERY);
        }
        if self.kept.len() >= self.cap {
            return Verdict::Full;
        }
        self.kept.insert(
            signed.key,
            Kept {
                text,
                at_ms: signed.at_ms,
                since: mono,
            },
        );
        Verdict::First
    }

    fn sweep(&mut self, now_ms: i64, window: Duration, mono: Instant) {
        let window_ms = i64::try_from(window.as_millis()).unwrap_or(i64::MAX);
        let hold = window.saturating_mul(2);
        self.kept.retain(|_, k| {
            let in_window = now_ms.saturating_sub(k.at_ms) <= window_ms;
            in_window || mono.saturating_duration_since(k.since) <= hold
        });
    }
}

/// A digest of what a text says and where it belongs: the forwarder, the slot, the sender,
/// the words and the receive time. Two posts with the same digest log the same entry.
pub fn digest(r: &Received) -> [u8; 32] {
    let slot = r.slot.map(|s| s.to_string());
    let at = r.received_at.map(|t| t.to_rfc3339());
    let opt = |o: &Option<String>| -> (&'static [u8], Vec<u8>) {
        match o {
            Some(v) => (b"1", v.as_bytes().to_vec()),
            None => (b"0", Vec::new()),
        }
    };
    let (slot_set, slot) = opt(&slot);
    let (sender_set, sender) = opt(&r.sender);
    let (at_set, at) = opt(&at);
    sign::digest(&[
        r.forwarder.as_bytes(),
        slot_set,
        &slot,
        sender_set,
        &sender,
        r.text.as_bytes(),
        at_set,
        &at,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    const WINDOW: Duration = Duration::from_secs(300);

    fn signed(n: u8, at_ms: i64) -> Signed {
        Signed {
            at_ms,
            key: [n; 32],
        }
    }

    fn text(words: &str) -> Received {
        Received {
            forwarder: "pixel".into(),
            slot: Some(1),
            sender: Some("10086".into()),
            text: words.into(),
            received_at: None,
        }
    }

    #[test]
    fn the_same_signature_is_a_retry_with_its_text_and_refused_with_another() {
        let (mut u, t0, now) = (Used::default(), Instant::now(), 1_000_000);
        let (a, b) = (digest(&text("a")), digest(&text("b")));
        assert_eq!(u.check(&signed(1, now), a, now, WINDOW, t0), Verdict::First);
        assert_eq!(u.check(&signed(1, now), a, now, WINDOW, t0), Verdict::Again);
        assert_eq!(u.check(&signed(1, now), b, now, WINDOW, t0), Verdict::Other);
        assert_eq!(u.check(&signed(2, now), b, now, WINDOW, t0), Verdict::First);
        let mut other = text("a");
        other.slot = Some(2);
        assert_ne!(digest(&other), a);
        other.slot = None;
        assert_ne!(digest(&other), a);
        let mut other = text("a");
        other.sender = None;
        assert_ne!(digest(&other), a);
    }

    #[test]
    fn expired_signatures_are_dropped_and_a_full_table_takes_no_new_one() {
        let (mut u, t0, now) = (Used::new(3), Instant::now(), 1_000_000_000);
        let a = digest(&text("a"));
        for n in 0..3 {
            assert_eq!(u.check(&signed(n, now), a, now, WINDOW, t0), Verdict::First);
        }
        // Full of signatures still in their window: a new one is not taken, the old
        // ones are still known.
        assert_eq!(u.check(&signed(9, now), a, now, WINDOW, t0), Verdict::Full);
        assert_eq!(u.check(&signed(0, now), a, now, WINDOW, t0), Verdict::Again);
        // Out of the window by the wall clock but not yet held two windows: kept.
        let later = now + 301_000;
        let t1 = t0 + Duration::from_secs(301);
        assert_eq!(
            u.check(&signed(9, later), a, later, WINDOW, t1),
            Verdict::Full
        );
        // Both: dropped, and room for new ones.
        let t2 = t0 + Duration::from_secs(601);
        assert_eq!(
            u.check(&signed(9, later), a, later, WINDOW, t2),
            Verdict::First
        );
        assert_eq!(u.len(), 1);
        // Held two windows but, by the wall clock, still inside one: kept.
        let mut u = Used::new(1);
        assert_eq!(u.check(&signed(0, now), a, now, WINDOW, t0), Verdict::First);
        assert_eq!(u.check(&signed(1, now), a, now, WINDOW, t2), Verdict::Full);
    }
}
