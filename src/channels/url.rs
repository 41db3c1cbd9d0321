//! A channel URL taken apart (Apprise's forms): `scheme://[user[:password]@]host/path…?query`,
//! each part with `${NAME}` read from the environment and remembered as a secret. Pure
//! apart from reading the variables it names; never prints a value.

use crate::i18n::T;
use crate::tr;

/// A channel URL in parts, every `${NAME}` expanded, percent-escapes decoded.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Parts {
    /// Lower case, without `://`.
    pub scheme: String,
    pub user: Option<String>,
    pub password: Option<String>,
    /// The first part after the user, as written (may be `host:port`, a topic or a key).
    pub host: String,
    /// The non-empty parts after the host.
    pub path: Vec<String>,
    /// Query parameters other than `base`, in order.
    pub query: Vec<(String, String)>,
    /// `?base=URL`, without a trailing `/`.
    pub base: Option<String>,
    /// `?rto=SECONDS` (Apprise's read timeout): how long to wait for the service's answer.
    pub timeout_secs: Option<u64>,
    /// Every value that came from the environment (secrets by definition).
    pub from_env: Vec<String>,
}

impl Parts {
    pub fn query(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `base`, or `default` when the URL does not replace it.
    pub fn base_or(&self, default: impl Into<String>) -> String {
        self.base.clone().unwrap_or_else(|| default.into())
    }

    /// The one path part a service needs after the host, or the sentence saying what is missing.
    pub fn one_path(&self, what: &str) -> Result<String, String> {
        match self.path.as_slice() {
            [one] => Ok(one.clone()),
            [] => Err(tr!(T::ChanMissingPart, what)),
            _ => Err(tr!(T::ChanTooManyParts, what)),
        }
    }
}

/// The longest `?rto=` a channel may ask for (seconds).
pub const MAX_TIMEOUT_SECS: u64 = 600;

/// How `${NAME}` is looked up: the environment, or (checking a config without it) a stand-in.
pub enum Env {
    Process,
    Placeholder,
    /// `${NAME}` kept as written (a form shows the reference, never the value).
    Literal,
}

impl Env {
    fn get(&self, name: &str) -> Option<String> {
        match self {
            Env::Process => std::env::var(name).ok().filter(|v| !v.is_empty()),
            Env::Placeholder => Some(format!("X{name}")),
            Env::Literal => Some(format!("${{{name}}}")),
        }
    }
}

/// Takes a channel URL apart.
pub fn split(written: &str, env: &Env) -> Result<Parts, String> {
    let written = written.trim();
    let Some((scheme, rest)) = written.split_once("://") else {
        return Err(tr!(T::ChanNotUrl));
    };
    let mut p = Parts {
        scheme: scheme.to_ascii_lowercase(),
        ..Parts::default()
    };
    let (body, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let expand = |s: &str, p: &mut Parts| -> Result<String, String> {
        let s = expand_env(s, env, &mut p.from_env)?;
        Ok(percent_decode(&s))
    };
    // A password may hold `/`: the user part ends at the body's last `@`.
    let (userinfo, hostpath) = match body.rfind('@') {
        Some(i) => (Some(&body[..i]), &body[i + 1..]),
        None => (None, body),
    };
    if let Some(u) = userinfo {
        let (user, password) = match u.split_once(':') {
            Some((a, b)) => (a, Some(b)),
            None => (u, None),
        };
        p.user = Some(expand(user, &mut p)?);
        if let Some(pw) = password {
            p.password = Some(expand(pw, &mut p)?);
        }
    }
    let mut segments = hostpath.split('/').filter(|s| !s.is_empty());
    let host = segments.next().unwrap_or("");
    p.host = expand(host, &mut p)?;
    let rest: Vec<&str> = segments.collect();
    for s in rest {
        let v = expand(s, &mut p)?;
        p.path.push(v);
    }
    if let Some(q) = query {
        let q = expand_env(q, env, &mut p.from_env)?;
        for (k, v) in url::form_urlencoded::parse(q.as_bytes()) {
            if k.eq_ignore_ascii_case("base") {
                // An email URL names its server itself; a base would be a setting that
                // does nothing, so it is refused rather than accepted and ignored.
                if p.scheme.starts_with("mailto") {
                    return Err(tr!(T::ChanMailNoBase));
                }
                let b = v.trim_end_matches('/').to_string();
                if !(b.starts_with("http://") || b.starts_with("https://")) {
                    return Err(tr!(T::ChanBadBase, b));
                }
                p.base = Some(b);
            } else if k.eq_ignore_ascii_case("rto") {
                match v.trim().parse::<u64>() {
                    Ok(s) if (1..=MAX_TIMEOUT_SECS).contains(&s) => p.timeout_secs = Some(s),
                    _ => return Err(tr!(T::ChanBadTimeout, v, MAX_TIMEOUT_SECS)),
                }
            } else {
                p.query.push((k.into_owned(), v.into_owned()));
            }
        }
    }
    if p.host.is_empty() {
        return Err(tr!(T::ChanMissingPart, "host"));
    }
    Ok(p)
}

/// `s` with every `${NAME}` replaced by the variable's value (each value kept in `found`).
pub fn expand_env(s: &str, env: &Env, found: &mut Vec<String>) -> Result<String, String> {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${") {
        out.push_str(&rest[..i]);
        let after = &rest[i + 2..];
        let Some(end) = after.find('}') else {
            return Err(tr!(T::ChanBadVariable, &rest[i..]));
        };
        let name = &after[..end];
        if !crate::secrets::is_env_name(name) {
            return Err(tr!(T::ChanBadVariable, format!("${{{name}}}")));
        }
        match env.get(name) {
            Some(v) => {
                out.push_str(&v);
                found.push(v);
            }
            None => return Err(tr!(T::ChanUnsetVariable, name)),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// `%XX` escapes decoded (a key or password may need them for `/`, `@`, `?`, `:`).
fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

fn hex(c: u8) -> Option<u8> {
    (c as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_parts_of_an_apprise_url() {
        let p = split(
            "dingtalk://s3cret@tok/extra?base=http://127.0.0.1:9/&x=1",
            &Env::Process,
        )
        .expect("parts");
        assert_eq!(p.scheme, "dingtalk");
        assert_eq!(p.user.as_deref(), Some("s3cret"));
        assert_eq!(p.host, "tok");
        assert_eq!(p.path, ["extra"]);
        assert_eq!(p.base.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(p.query("x"), Some("1"));
        assert_eq!(p.timeout_secs, None);
        let p = split("json://h/p?rto=3&a=b", &Env::Process).expect("rto");
        assert_eq!((p.timeout_secs, p.query("rto")), (Some(3), None));
        assert!(split("json://h/p?rto=0", &Env::Process).is_err());
        assert!(split("json://h/p?rto=soon", &Env::Process).is_err());
        let p = split("tgram://123:ABC/456", &Env::Process).expect("tgram");
        assert_eq!(
            (p.host.as_str(), p.path.as_slice()),
            ("123:ABC", &["456".to_string()][..])
        );
        let p = split(
            "mailto://me:p%40ss@smtp.example.com:25?to=a@b.c",
            &Env::Process,
        )
        .expect("mail");
        assert_eq!(p.password.as_deref(), Some("p@ss"));
        assert_eq!(p.host, "smtp.example.com:25");
        assert_eq!(p.query("to"), Some("a@b.c"));
        for base in ["http://127.0.0.1:2525", "smtp://127.0.0.1:2525"] {
            for scheme in ["mailto", "mailtos"] {
                let e = split(
                    &format!("{scheme}://me@smtp.example.com?base={base}"),
                    &Env::Process,
                )
                .expect_err("a mail URL with a base");
                assert!(e.contains("host:port"), "{e}");
            }
        }
    }

    #[test]
    fn variables_come_from_the_environment_and_are_kept_as_secrets() {
        let p = split("pushplus://${BAOHAO_TEST_PP_X}", &Env::Placeholder).expect("parts");
        assert_eq!(p.host, "XBAOHAO_TEST_PP_X");
        assert_eq!(p.from_env, ["XBAOHAO_TEST_PP_X"]);
        let e = split("pushplus://${BAOHAO_TEST_SURELY_UNSET}", &Env::Process).unwrap_err();
        assert!(e.contains("BAOHAO_TEST_SURELY_UNSET"), "{e}");
        assert!(split("pushplus://${1X}", &Env::Process).is_err());
        assert!(split("pushplus://${OPEN", &Env::Process).is_err());
        assert!(split("no scheme", &Env::Process).is_err());
    }
}
