//! The signatures and ids the forwarder apps use: SmsForwarder's `sign` and the SMS Gateway
//! message id baohao derives from an intent.

use base64::Engine;
use hmac::{KeyInit, Mac};
use sha2::Digest;

/// SmsForwarder's `sign`: URL-encoded base64 of HMAC-SHA256 with key = secret over
/// `timestamp + "\n" + secret` (timestamp in milliseconds).
pub fn smsforwarder(secret: &str, timestamp_ms: i64) -> String {
    let Ok(mut mac) = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()) else {
        // HMAC takes a key of any length; this cannot happen.
        return String::new();
    };
    mac.update(format!("{timestamp_ms}\n{secret}").as_bytes());
    let b64 = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    url::form_urlencoded::byte_serialize(b64.as_bytes()).collect()
}

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
    fn the_sign_is_url_encoded_base64_of_the_hmac() {
        // Worked out independently: HMAC-SHA256(key "secret", "1700000000000\nsecret").
        let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(b"1700000000000\nsecret");
        let raw = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let s = smsforwarder("secret", 1_700_000_000_000);
        assert!(
            !s.contains('+') && !s.contains('/') && !s.contains('='),
            "{s}"
        );
        let decoded: String = url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .unwrap()
            .1
            .into_owned();
        assert_eq!(decoded, raw);
    }

    #[test]
    fn message_ids_are_stable_per_attempt_and_fit() {
        let a = gateway_message_id("cmcc", "ka:2026-03-01", 1);
        assert_eq!(a, gateway_message_id("cmcc", "ka:2026-03-01", 1));
        assert_ne!(a, gateway_message_id("cmcc", "ka:2026-03-01", 2));
        assert_ne!(a, gateway_message_id("cu", "ka:2026-03-01", 1));
        assert_eq!(a.len(), 34);
    }
}
