//! The ids and times of requests to the phone apps: the SMS Gateway message id baohao
//! derives from an intent, and the timestamp SmsForwarder's `sign` covers (the signature
//! itself is `inbox::sign`'s, shared with the webhooks).

use sha2::Digest;

/// The id of the text an intent sends through SMS Gateway: the same for the same number,
/// key and attempt (so an in-doubt send is found again by asking for it), another for the
/// next attempt. `bh` and 32 hex digits: within the app's 36 characters.
pub fn gateway_message_id(number: &str, key: &str, attempt: u32) -> String {
    let digest = sha2::Sha256::digest(format!("{number}\n{key}\n{attempt}").as_bytes());
    let hex: String = digest.iter().take(16).map(|b| format!("{b:02x}")).collect();
    format!("bh{hex}")
}

/// Milliseconds since the epoch by the system clock: what the phone checks a timestamp
/// against (never the pinned clock of a test or a replay).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_ids_are_stable_per_attempt_and_fit() {
        let a = gateway_message_id("cmcc", "ka:2026-03-01", 1);
        assert_eq!(a, gateway_message_id("cmcc", "ka:2026-03-01", 1));
        assert_ne!(a, gateway_message_id("cmcc", "ka:2026-03-01", 2));
        assert_ne!(a, gateway_message_id("cu", "ka:2026-03-01", 1));
        assert_eq!(a.len(), 34);
    }
}
