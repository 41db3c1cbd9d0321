//! The forwarders' signatures, both ways: what SmsForwarder and SMS Gateway for Android
//! compute over a request, and checking one in constant time. Keys and signatures never
//! leave these functions except as their return value.

use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn hmac(key: &[u8], parts: &[&[u8]]) -> [u8; 32] {
    // HMAC takes a key of any length.
    let mut m = <HmacSha256 as KeyInit>::new_from_slice(key).unwrap_or_else(|_| {
        <HmacSha256 as KeyInit>::new_from_slice(&[]).expect("an empty HMAC key is valid")
    });
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().into()
}

/// Equal, in time that depends only on the lengths.
pub fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}

/// SmsForwarder's `sign`: base64 of HMAC-SHA256 with key `secret` over
/// `timestamp + "\n" + secret` (`timestamp` in milliseconds), URL-encoded (as Java's
/// `URLEncoder` does: `+` `%2B`, `/` `%2F`, `=` `%3D`). The same for its webhooks and for
/// requests to its API (`/sms/send`, `/sms/query`, `/config/query`).
pub fn smsforwarder_sign(secret: &str, timestamp_ms: i64) -> String {
    let raw = smsforwarder_raw(secret, &timestamp_ms.to_string());
    url::form_urlencoded::byte_serialize(raw.as_bytes()).collect()
}

pub(crate) fn smsforwarder_raw(secret: &str, timestamp: &str) -> String {
    let mac = hmac(
        secret.as_bytes(),
        &[timestamp.as_bytes(), b"\n", secret.as_bytes()],
    );
    base64::engine::general_purpose::STANDARD.encode(mac)
}

/// Whether `sign` is SmsForwarder's signature of `timestamp` with `secret`: URL-encoded as
/// the app sends it, decoded once more by a form body, or with a `+` turned to a space
/// by a form decoder.
pub fn smsforwarder_ok(secret: &str, timestamp: &str, sign: &str) -> bool {
    let timestamp = timestamp.trim();
    if timestamp.is_empty() || !timestamp.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let want = smsforwarder_raw(secret, timestamp);
    let mut got = sign.trim().to_string();
    // At most twice: the app encodes once, and a form body can wrap it again.
    for _ in 0..2 {
        if got.contains('%') {
            match percent_decode(&got) {
                Some(d) => got = d,
                None => return false,
            }
        }
    }
    let got = got.replace(' ', "+");
    same(want.as_bytes(), got.as_bytes())
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// SHA-256 over `parts`, each preceded by its length (so that no two lists of parts give
/// the same bytes): what the inbox keeps of a signature already used and of the text it
/// carried, instead of the signature itself.
pub fn digest(parts: &[&[u8]]) -> [u8; 32] {
    use sha2::Digest;
    let mut h = Sha256::new();
    for p in parts {
        h.update((p.len() as u64).to_le_bytes());
        h.update(p);
    }
    h.finalize().into()
}

/// SMS Gateway for Android's `X-Signature`: lowercase hex of HMAC-SHA256 with the
/// webhook signing key over the raw body followed by `X-Timestamp` (Unix seconds).
pub fn sms_gateway_signature(key: &str, body: &[u8], timestamp: &str) -> String {
    let mac = hmac(key.as_bytes(), &[body, timestamp.as_bytes()]);
    let mut out = String::with_capacity(64);
    for b in mac {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

/// Whether `signature` (hex, either case) is SMS Gateway's signature of `body` and
/// `timestamp` with `key`.
pub fn sms_gateway_ok(key: &str, body: &[u8], timestamp: &str, signature: &str) -> bool {
    let want = sms_gateway_signature(key, body, timestamp.trim());
    same(
        want.as_bytes(),
        signature.trim().to_ascii_lowercase().as_bytes(),
    )
}

/// Whether `got` is the token `want` (a board's `Authorization: Bearer …` or `?token=`).
pub fn token_ok(want: &str, got: &str) -> bool {
    // Compared as MACs so that neither the time nor an early exit tells a length.
    let key = b"baohao token comparison";
    same(
        &hmac(key, &[want.as_bytes()]),
        &hmac(key, &[got.as_bytes()]),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smsforwarder_sign_is_hmac_sha256_of_timestamp_newline_secret_url_encoded() {
        // Computed independently: HMAC-SHA256(key="SECRET", "1700000000000\nSECRET").
        let mac = hmac(b"SECRET", &[b"1700000000000\nSECRET"]);
        let b64 = base64::engine::general_purpose::STANDARD.encode(mac);
        let encoded = smsforwarder_sign("SECRET", 1_700_000_000_000);
        assert_eq!(
            encoded,
            b64.replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D")
        );
        assert!(smsforwarder_ok("SECRET", "1700000000000", &encoded));
        assert!(smsforwarder_ok("SECRET", "1700000000000", &b64));
        assert!(smsforwarder_ok(
            "SECRET",
            "1700000000000",
            &b64.replace('+', " ")
        ));
        assert!(!smsforwarder_ok("SECRET", "1700000000001", &encoded));
        assert!(!smsforwarder_ok("OTHER!", "1700000000000", &encoded));
        assert!(!smsforwarder_ok("SECRET", "", ""));
        assert!(!smsforwarder_ok("SECRET", "1700000000000", "%zz"));
    }

    #[test]
    fn sms_gateway_signature_is_hex_hmac_over_body_then_timestamp() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            sms_gateway_signature("Jefe", b"what do ya want ", "for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        let sig = sms_gateway_signature("k", b"{}", "1700000000");
        assert!(sms_gateway_ok("k", b"{}", "1700000000", &sig));
        assert!(sms_gateway_ok(
            "k",
            b"{}",
            "1700000000",
            &sig.to_uppercase()
        ));
        assert!(!sms_gateway_ok("k", b"{ }", "1700000000", &sig));
        assert!(!sms_gateway_ok("k", b"{}", "1700000001", &sig));
    }

    #[test]
    fn tokens_compare_whole() {
        assert!(token_ok("abcdef", "abcdef"));
        assert!(!token_ok("abcdef", "abcde"));
        assert!(!token_ok("abcdef", "abcdefg"));
        assert!(!token_ok("abcdef", ""));
    }
}
