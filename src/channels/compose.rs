//! A channel URL from the fields a person fills in (the TUI's add-a-channel form): which
//! parts each kind asks for, and the Apprise-style URL they make. Every value may be a
//! `${NAME}` reference, kept as written; anything else is escaped just enough to survive
//! `url::split` (a `/` in a key, an `@` in a password).

use crate::i18n::T;
use crate::tr;

/// A part of a channel URL, as a form asks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Part {
    /// A server (`host[:port]`).
    Host,
    /// The kind's one key: a topic, device key, send key, token…
    Key,
    /// A second secret: a signing secret, an ntfy access token.
    Secret,
    /// Telegram's chat id.
    Chat,
    /// A user name (email, webhook) or Pushover's user key.
    User,
    Password,
    /// Email: where to, and from whom.
    To,
    From,
    /// A webhook's path on its host.
    Path,
    /// `yes` (https, implicit TLS), `no`, or (email) `starttls`.
    Secure,
    /// `?base=URL`: the service's address replaced.
    Base,
}

/// One part of one kind: whether it must be given and whether it is a secret.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spec {
    pub part: Part,
    pub required: bool,
    pub secret: bool,
}

macro_rules! req {
    ($part:ident, $secret:expr) => {
        Spec {
            part: Part::$part,
            required: true,
            secret: $secret,
        }
    };
}

macro_rules! opt {
    ($part:ident, $secret:expr) => {
        Spec {
            part: Part::$part,
            required: false,
            secret: $secret,
        }
    };
}

/// The kinds a form offers, by the scheme they compose (the secure variants are a field).
pub const KINDS: [&str; 14] = [
    "ntfy", "bark", "schan", "pushplus", "wecombot", "dingtalk", "feishu", "lark", "tgram",
    "gotify", "pover", "mailto", "json", "form",
];

/// The parts `kind` asks for, in the order a form shows them (`?base=` last, for all).
pub fn parts(kind: &str) -> &'static [Spec] {
    match kind {
        "ntfy" => &[
            req!(Key, false),
            opt!(Host, false),
            opt!(Secret, true),
            opt!(Secure, false),
            opt!(Base, false),
        ],
        "bark" => &[
            req!(Host, false),
            req!(Key, true),
            opt!(Secure, false),
            opt!(Base, false),
        ],
        "schan" | "pushplus" | "wecombot" => &[req!(Key, true), opt!(Base, false)],
        "dingtalk" | "feishu" | "lark" => &[req!(Key, true), opt!(Secret, true), opt!(Base, false)],
        "tgram" => &[req!(Key, true), req!(Chat, false), opt!(Base, false)],
        "gotify" => &[
            req!(Host, false),
            req!(Key, true),
            opt!(Secure, false),
            opt!(Base, false),
        ],
        "pover" => &[req!(User, true), req!(Key, true), opt!(Base, false)],
        "mailto" => &[
            req!(Host, false),
            req!(User, false),
            opt!(Password, true),
            req!(To, false),
            opt!(From, false),
            opt!(Secure, false),
        ],
        "json" | "form" => &[
            req!(Host, false),
            opt!(Path, false),
            opt!(User, false),
            opt!(Password, true),
            opt!(Secure, false),
            opt!(Base, false),
        ],
        _ => &[],
    }
}

/// Whether `value` is one `${NAME}` reference and nothing else.
pub fn is_reference(value: &str) -> bool {
    value
        .strip_prefix("${")
        .and_then(|v| v.strip_suffix('}'))
        .is_some_and(crate::secrets::is_env_name)
}

/// `value` with each of `special` (and `%`) percent-escaped, `${NAME}` references kept.
pub(crate) fn escape(value: &str, special: &[char]) -> String {
    let mut out = String::with_capacity(value.len());
    let mut rest = value;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("${")
            && let Some(end) = after.find('}')
            && crate::secrets::is_env_name(&after[..end])
        {
            out.push_str(&rest[..end + 3]);
            rest = &rest[end + 3..];
            continue;
        }
        let Some(c) = rest.chars().next() else { break };
        if c == '%' || special.contains(&c) {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// What ends a part of the URL where it stands.
const IN_HOST: &[char] = &['/', '?', '@', '#', ' '];
const IN_USER: &[char] = &[':', '/', '?', '@', '#', ' '];
const IN_PASSWORD: &[char] = &['/', '?', '@', '#', ' '];
const IN_QUERY: &[char] = &['&', '#', '+', ' ', '='];

/// The URL `kind` makes of `values` (a part not given is empty). A required part left
/// empty is refused with the part and the sentence to show beside it.
pub fn compose(kind: &str, values: &[(Part, &str)]) -> Result<String, (Part, String)> {
    let specs = parts(kind);
    if specs.is_empty() {
        return Err((Part::Key, tr!(T::ChanUnknownScheme, kind)));
    }
    let get = |p: Part| {
        values
            .iter()
            .find(|(q, _)| *q == p)
            .map_or("", |(_, v)| v.trim())
    };
    for s in specs {
        if s.required && get(s.part).is_empty() {
            return Err((s.part, tr!(T::ChanFieldNeeded)));
        }
    }
    let secure = get(Part::Secure);
    let secure = secure.is_empty() || secure == "yes";
    let s = |plain: &str| {
        if secure {
            format!("{plain}s")
        } else {
            plain.to_string()
        }
    };
    let host = escape(get(Part::Host), IN_HOST);
    let key = escape(get(Part::Key), IN_HOST);
    let secret = escape(get(Part::Secret), IN_USER);
    let user = escape(get(Part::User), IN_USER);
    let password = escape(get(Part::Password), IN_PASSWORD);
    let signed = |body: &str| {
        if secret.is_empty() {
            body.to_string()
        } else {
            format!("{secret}@{body}")
        }
    };
    let userinfo = if user.is_empty() {
        String::new()
    } else if password.is_empty() {
        format!("{user}@")
    } else {
        format!("{user}:{password}@")
    };
    let mut query: Vec<(&str, String)> = Vec::new();
    let mut url = match kind {
        "ntfy" if host.is_empty() && secret.is_empty() => format!("ntfy://{key}"),
        "ntfy" => {
            let host = if host.is_empty() { "ntfy.sh" } else { &host };
            format!("{}://{}", s("ntfy"), signed(&format!("{host}/{key}")))
        }
        "bark" | "gotify" => format!("{}://{host}/{key}", s(kind)),
        "schan" | "pushplus" | "wecombot" => format!("{kind}://{key}"),
        "dingtalk" | "feishu" | "lark" => format!("{kind}://{}", signed(&key)),
        "tgram" => format!("tgram://{key}/{}", escape(get(Part::Chat), IN_HOST)),
        "pover" => format!("pover://{user}@{key}"),
        "mailto" => {
            query.push(("to", escape(get(Part::To), IN_QUERY)));
            let from = get(Part::From);
            if !from.is_empty() {
                query.push(("from", escape(from, IN_QUERY)));
            }
            let tls = get(Part::Secure);
            if tls == "starttls" {
                query.push(("starttls", "yes".to_string()));
            }
            let scheme = if tls.is_empty() || tls == "yes" {
                "mailtos"
            } else {
                "mailto"
            };
            format!("{scheme}://{userinfo}{host}")
        }
        // json, form
        _ => {
            let path: Vec<String> = get(Part::Path)
                .split('/')
                .filter(|p| !p.is_empty())
                .map(|p| escape(p, &['?', '#', ' ']))
                .collect();
            let mut u = format!("{}://{userinfo}{host}", s(kind));
            for p in path {
                u.push('/');
                u.push_str(&p);
            }
            u
        }
    };
    let base = get(Part::Base);
    if !base.is_empty() {
        query.push(("base", escape(base, IN_QUERY)));
    }
    for (i, (k, v)) in query.iter().enumerate() {
        url.push(if i == 0 { '?' } else { '&' });
        url.push_str(k);
        url.push('=');
        url.push_str(v);
    }
    Ok(url)
}

/// The kind and parts a form needs to edit `url` again (`compose` of them gives `url`
/// back), `${NAME}` references kept as written; `None` for a URL the form cannot show
/// whole (a read timeout, a parameter no field holds).
pub fn decompose(url: &str) -> Option<(&'static str, Vec<(Part, String)>)> {
    let p = crate::channels::url::split(url, &crate::channels::url::Env::Literal).ok()?;
    if p.timeout_secs.is_some() {
        return None;
    }
    let secure_of = |s: &str| if s.ends_with('s') { "yes" } else { "no" };
    let mut v: Vec<(Part, String)> = Vec::new();
    let mut put = |part: Part, value: Option<&String>| {
        if let Some(x) = value.filter(|x| !x.is_empty()) {
            v.push((part, x.clone()));
        }
    };
    let one = p.path.first();
    let kind = KINDS
        .iter()
        .copied()
        .find(|k| p.scheme == *k || p.scheme == format!("{k}s"))
        .or((p.scheme == "mailtos").then_some("mailto"))?;
    let mut query_ok: &[&str] = &[];
    let path_max = match kind {
        "ntfy" if p.path.is_empty() => {
            put(Part::Key, Some(&p.host));
            0
        }
        "ntfy" => {
            put(Part::Host, Some(&p.host));
            put(Part::Key, one);
            put(Part::Secret, p.user.as_ref());
            put(Part::Secure, Some(&secure_of(&p.scheme).to_string()));
            1
        }
        "bark" | "gotify" => {
            put(Part::Host, Some(&p.host));
            put(Part::Key, one);
            put(Part::Secure, Some(&secure_of(&p.scheme).to_string()));
            1
        }
        "schan" | "pushplus" | "wecombot" => {
            put(Part::Key, Some(&p.host));
            0
        }
        "dingtalk" | "feishu" | "lark" => {
            put(Part::Key, Some(&p.host));
            put(Part::Secret, p.user.as_ref());
            0
        }
        "tgram" => {
            put(Part::Key, Some(&p.host));
            put(Part::Chat, one);
            1
        }
        "pover" => {
            put(Part::User, p.user.as_ref());
            put(Part::Key, Some(&p.host));
            0
        }
        "mailto" => {
            put(Part::Host, Some(&p.host));
            put(Part::User, p.user.as_ref());
            put(Part::Password, p.password.as_ref());
            put(Part::To, p.query("to").map(str::to_string).as_ref());
            put(Part::From, p.query("from").map(str::to_string).as_ref());
            let tls = if p.scheme == "mailtos" {
                "yes"
            } else if p.query("starttls") == Some("yes") {
                "starttls"
            } else {
                "no"
            };
            put(Part::Secure, Some(&tls.to_string()));
            query_ok = &["to", "from", "starttls"];
            0
        }
        _ => {
            put(Part::Host, Some(&p.host));
            put(Part::Path, Some(&p.path.join("/")));
            put(Part::User, p.user.as_ref());
            put(Part::Password, p.password.as_ref());
            put(Part::Secure, Some(&secure_of(&p.scheme).to_string()));
            usize::MAX
        }
    };
    put(Part::Base, p.base.as_ref());
    let fits = p.path.len() <= path_max
        && p.query.iter().all(|(k, _)| query_ok.contains(&k.as_str()))
        && (kind != "pover" || p.password.is_none());
    (fits && compose(kind, &refs(&v)).ok()? == url.trim()).then_some((kind, v))
}

fn refs(v: &[(Part, String)]) -> Vec<(Part, &str)> {
    v.iter().map(|(p, s)| (*p, s.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_composed_url_comes_apart_into_the_parts_that_made_it() {
        for u in [
            "ntfy://alerts",
            "ntfy://ntfy.lan:8080/alerts",
            "ntfys://${NTFY_TOKEN}@ntfy.sh/alerts",
            "barks://api.day.app/k1",
            "bark://127.0.0.1:9/k1?base=http://127.0.0.1:9",
            "schan://SCT1",
            "pushplus://${PP}",
            "wecombot://key?base=http://127.0.0.1:5",
            "dingtalk://SECx@tok",
            "feishu://tok",
            "lark://s@t",
            "tgram://123:ABC/-100",
            "gotifys://push.lan/tok",
            "pover://u@t",
            "mailto://me:p%40ss%2Fw@smtp.example.com:587?to=a@b.c&starttls=yes",
            "mailtos://me@smtp.example.com?to=a@b.c&from=me@x.y",
            "jsons://hooks.lan/in/x?base=http://127.0.0.1:9",
            "form://u:p@hooks.lan",
        ] {
            let (kind, v) = decompose(u).unwrap_or_else(|| panic!("{u}"));
            assert_eq!(compose(kind, &refs(&v)).unwrap(), u, "{u}");
        }
        // Anything a form has no field for is not offered for editing.
        assert!(decompose("ntfy://alerts?rto=30").is_none());
        assert!(decompose("tgram://a/b/c").is_none());
        assert!(decompose("nope://x").is_none());
    }
    use crate::channels::url::{Env, split};

    fn url(kind: &str, values: &[(Part, &str)]) -> String {
        compose(kind, values).unwrap_or_else(|(p, e)| panic!("{kind}: {p:?}: {e}"))
    }

    #[test]
    fn each_kind_makes_the_url_its_service_reads() {
        use Part::*;
        assert_eq!(url("ntfy", &[(Key, "alerts")]), "ntfy://alerts");
        assert_eq!(
            url(
                "ntfy",
                &[(Key, "alerts"), (Host, "ntfy.lan:8080"), (Secure, "no")]
            ),
            "ntfy://ntfy.lan:8080/alerts"
        );
        assert_eq!(
            url("ntfy", &[(Key, "alerts"), (Secret, "${NTFY_TOKEN}")]),
            "ntfys://${NTFY_TOKEN}@ntfy.sh/alerts"
        );
        assert_eq!(
            url("bark", &[(Host, "api.day.app"), (Key, "k1")]),
            "barks://api.day.app/k1"
        );
        assert_eq!(url("schan", &[(Key, "SCT1")]), "schan://SCT1");
        assert_eq!(
            url("dingtalk", &[(Key, "tok"), (Secret, "SECx")]),
            "dingtalk://SECx@tok"
        );
        assert_eq!(url("feishu", &[(Key, "tok")]), "feishu://tok");
        assert_eq!(
            url("tgram", &[(Key, "123:ABC"), (Chat, "-100")]),
            "tgram://123:ABC/-100"
        );
        assert_eq!(url("pover", &[(User, "u"), (Key, "t")]), "pover://u@t");
        assert_eq!(
            url(
                "mailto",
                &[
                    (Host, "smtp.example.com:587"),
                    (User, "me"),
                    (Password, "p@ss/w"),
                    (To, "a@b.c"),
                    (Secure, "starttls"),
                ]
            ),
            "mailto://me:p%40ss%2Fw@smtp.example.com:587?to=a@b.c&starttls=yes"
        );
        assert_eq!(
            url(
                "json",
                &[
                    (Host, "hooks.lan"),
                    (Path, "/in/x/"),
                    (Base, "http://127.0.0.1:9")
                ]
            ),
            "jsons://hooks.lan/in/x?base=http://127.0.0.1:9"
        );
        for kind in KINDS {
            assert!(!parts(kind).is_empty(), "{kind}");
        }
    }

    #[test]
    fn a_missing_part_is_named_and_odd_characters_survive_the_reading() {
        let (part, _) = compose("tgram", &[(Part::Key, "123:ABC")]).unwrap_err();
        assert_eq!(part, Part::Chat);
        let (part, _) = compose("bark", &[(Part::Key, " ")]).unwrap_err();
        assert_eq!(part, Part::Host);
        let u = url(
            "json",
            &[
                (Part::Host, "h"),
                (Part::User, "a:b"),
                (Part::Password, "x@y?z%"),
                (Part::Secure, "no"),
            ],
        );
        let p = split(&u, &Env::Process).expect("reads back");
        assert_eq!(p.user.as_deref(), Some("a:b"));
        assert_eq!(p.password.as_deref(), Some("x@y?z%"));
        assert_eq!(p.host, "h");
        assert!(is_reference("${A_1}") && !is_reference("${A}x") && !is_reference("abc"));
    }
}
