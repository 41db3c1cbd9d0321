//! Secrets in what commands print: the values of environment variables that are secret
//! (named in the config's `secret_env`, or with TOKEN, SECRET, PASSWORD, PASS or KEY in
//! their name) are replaced before any output is logged or shown. Never logs a value.

use std::borrow::Cow;
use std::sync::RwLock;

/// Name parts that make a variable secret by default (compared in upper case).
pub(crate) const SECRET_NAME_PARTS: [&str; 5] = ["TOKEN", "SECRET", "PASSWORD", "PASS", "KEY"];
/// Shorter values are not redacted: replacing every "1" or "yes" would garble the output
/// and protect nothing.
pub(crate) const MIN_SECRET_LEN: usize = 6;

static NAMED: RwLock<Vec<String>> = RwLock::new(Vec::new());
/// Secret values that do not come from a variable of a secret name: the keys, tokens and
/// passwords in push channel URLs, and whatever their `${NAME}` expanded to.
static VALUES: RwLock<Vec<String>> = RwLock::new(Vec::new());

/// Remembers secret values for this process (every later `redact` replaces them).
pub fn remember_values(values: &[String]) {
    if let Ok(mut known) = VALUES.write() {
        for v in values {
            let v = v.trim();
            if v.len() >= MIN_SECRET_LEN && !known.iter().any(|k| k == v) {
                known.push(v.to_string());
            }
        }
    }
}

/// Remembers the config's `secret_env` names for this process (each loaded config adds).
pub fn remember(names: &[String]) {
    if names.is_empty() {
        return;
    }
    if let Ok(mut named) = NAMED.write() {
        for n in names {
            if !named.contains(n) {
                named.push(n.clone());
            }
        }
    }
}

/// A valid environment variable name: letters, digits and `_`, not starting with a digit.
pub fn is_env_name(s: &str) -> bool {
    let mut b = s.bytes();
    matches!(b.next(), Some(c) if c.is_ascii_alphabetic() || c == b'_')
        && b.all(|c| c.is_ascii_alphanumeric() || c == b'_')
}

/// Whether a variable of this name holds a secret.
pub(crate) fn is_secret_name(name: &str, named: &[String]) -> bool {
    let upper = name.to_ascii_uppercase();
    named.iter().any(|n| n == name) || SECRET_NAME_PARTS.iter().any(|p| upper.contains(p))
}

/// The secret values in this process's environment, longest first (so that a secret that
/// contains another is replaced whole).
pub fn values() -> Vec<String> {
    let named = NAMED.read().map(|n| n.clone()).unwrap_or_default();
    let mut out: Vec<String> = std::env::vars_os()
        .filter_map(|(k, v)| {
            let (k, v) = (k.into_string().ok()?, v.into_string().ok()?);
            (is_secret_name(&k, &named) && v.trim().len() >= MIN_SECRET_LEN)
                .then(|| v.trim().to_string())
        })
        .collect();
    if let Ok(known) = VALUES.read() {
        out.extend(known.iter().cloned());
    }
    out.sort_by_key(|v| std::cmp::Reverse(v.len()));
    out.dedup();
    out
}

/// `s` with every secret value replaced.
pub(crate) fn redact_with<'a>(s: &'a str, secrets: &[String]) -> Cow<'a, str> {
    let mut out = Cow::Borrowed(s);
    for v in secrets {
        if out.contains(v.as_str()) {
            out = Cow::Owned(out.replace(v.as_str(), &crate::tr!(crate::i18n::T::Redacted)));
        }
    }
    out
}

/// `s` with every secret value of the environment replaced.
pub fn redact(s: &str) -> Cow<'_, str> {
    redact_with(s, &values())
}

/// Bytes (a command's stdout) with every secret value replaced, where they are text.
pub fn redact_bytes(b: Vec<u8>) -> Vec<u8> {
    let secrets = values();
    if secrets.is_empty() {
        return b;
    }
    match String::from_utf8(b) {
        Ok(s) => match redact_with(&s, &secrets) {
            Cow::Borrowed(_) => s.into_bytes(),
            Cow::Owned(r) => r.into_bytes(),
        },
        Err(e) => {
            let b = e.into_bytes();
            let lossy = String::from_utf8_lossy(&b);
            match redact_with(&lossy, &secrets) {
                Cow::Borrowed(_) => b,
                Cow::Owned(r) => r.into_bytes(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_values() {
        assert!(is_env_name("MY_API") && is_env_name("_x1"));
        assert!(!is_env_name("1X") && !is_env_name("A-B") && !is_env_name(""));
        let named = vec!["MY_API".to_string()];
        for n in [
            "GITHUB_TOKEN",
            "db_password",
            "AWS_SECRET_ACCESS_KEY",
            "MY_API",
            "SMTP_PASS",
        ] {
            assert!(is_secret_name(n, &named), "{n}");
        }
        assert!(!is_secret_name("HOME", &named) && !is_secret_name("LANG", &named));
        let secrets = vec!["hunter2-long".to_string(), "abcdef".to_string()];
        assert_eq!(
            redact_with("pw hunter2-long and abcdef!", &secrets),
            "pw [redacted] and [redacted]!"
        );
        assert!(matches!(redact_with("nothing", &secrets), Cow::Borrowed(_)));
    }
}
