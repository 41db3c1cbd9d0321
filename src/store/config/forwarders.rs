//! Validating the forwarders: the top-level `forwarders` and `inbox`, each number's
//! `forwarder {id, slot?}`, and the provider kind `forwarder`. No I/O; secrets are only
//! the names of environment variables (remembered for redaction by `parse`).

use std::collections::{HashMap, HashSet};

use crate::i18n::T;
use crate::model::forwarder::{
    DEFAULT_FORWARDER_REQUEST_SECS, DEFAULT_FORWARDER_TIMEOUT_SECS, DEFAULT_QUIET_HOURS,
    DEFAULT_WINDOW_SECS, Forwarder, ForwarderKind, ForwarderProvider, ForwarderRef, Inbox,
    WebhookFields,
};
use crate::tr;

use super::strict::ReadNumber;
use super::{FileAction, FileForwarder, FileForwarderRef, FileInbox, Problem, is_slug};

/// The top-level `forwarders` list: ids unique slugs, a known kind, the `url` a sending
/// kind needs, and only the secret fields of its kind, each an environment variable name.
pub fn validate_forwarders(list: &[FileForwarder], problems: &mut Vec<Problem>) -> Vec<Forwarder> {
    let mut ids = HashSet::new();
    let mut out = Vec::new();
    for (i, f) in list.iter().enumerate() {
        let here = format!("forwarders[{i}]");
        if !is_slug(&f.id) {
            problems.push(Problem::at(format!("{here}.id"), tr!(T::CfgSlug, f.id)));
        }
        if !ids.insert(f.id.as_str()) {
            problems.push(Problem::at(
                format!("{here}.id"),
                tr!(T::CfgDuplicateId, f.id),
            ));
        }
        let Some(kind) = ForwarderKind::parse(&f.kind) else {
            problems.push(Problem::at(
                format!("{here}.kind"),
                tr!(
                    T::CfgChoice,
                    f.kind,
                    ForwarderKind::ALL.map(|k| k.as_str()).join(", ")
                ),
            ));
            continue;
        };
        match (&f.url, kind.sends()) {
            (None, true) => problems.push(Problem::at(
                format!("{here}.url"),
                tr!(T::CfgFwdUrlNeeded, kind.as_str()),
            )),
            (Some(_), false) => problems.push(Problem::at(
                format!("{here}.url"),
                tr!(T::CfgFieldNotForKind, "url", kind.as_str()),
            )),
            (Some(u), true) if !url_ok(u) => {
                problems.push(Problem::at(format!("{here}.url"), tr!(T::CfgFwdUrl, u)))
            }
            _ => {}
        }
        let allowed: &[&str] = match kind {
            ForwarderKind::SmsForwarder => &["secret_env"],
            ForwarderKind::SmsGateway => &["user_env", "password_env", "signing_key_env"],
            ForwarderKind::Webhook => &["token_env"],
        };
        for (name, value) in [
            ("secret_env", &f.secret_env),
            ("user_env", &f.user_env),
            ("password_env", &f.password_env),
            ("signing_key_env", &f.signing_key_env),
            ("token_env", &f.token_env),
        ] {
            let Some(v) = value else { continue };
            if !allowed.contains(&name) {
                problems.push(Problem::at(
                    format!("{here}.{name}"),
                    tr!(T::CfgFieldNotForKind, name, kind.as_str()),
                ));
            } else if !crate::secrets::is_env_name(v) {
                problems.push(Problem::at(
                    format!("{here}.{name}"),
                    tr!(T::CfgSecretEnv, v),
                ));
            }
        }
        if let Some(t) = f.timeout_secs
            && !(1..=300).contains(&t)
        {
            problems.push(Problem::at(
                format!("{here}.timeout_secs"),
                tr!(T::CfgRange, t, 1, 300),
            ));
        }
        if let Some(h) = f.quiet_hours
            && !(1..=24 * 30).contains(&h)
        {
            problems.push(Problem::at(
                format!("{here}.quiet_hours"),
                tr!(T::CfgRange, h, 1, 24 * 30),
            ));
        }
        out.push(Forwarder {
            id: f.id.clone(),
            kind,
            url: f
                .url
                .as_ref()
                .map(|u| u.trim().trim_end_matches('/').to_string()),
            secret_env: f.secret_env.clone(),
            user_env: f.user_env.clone(),
            password_env: f.password_env.clone(),
            signing_key_env: f.signing_key_env.clone(),
            token_env: f.token_env.clone(),
            fields: webhook_fields(f.fields.as_ref(), kind, &here, problems),
            timeout_secs: f.timeout_secs.unwrap_or(DEFAULT_FORWARDER_REQUEST_SECS),
            quiet_hours: f.quiet_hours.unwrap_or(DEFAULT_QUIET_HOURS),
        });
    }
    out
}

/// A webhook forwarder's `fields`: only for kind `webhook`, each name not empty.
fn webhook_fields(
    f: Option<&super::FileWebhookFields>,
    kind: ForwarderKind,
    here: &str,
    problems: &mut Vec<Problem>,
) -> WebhookFields {
    let mut out = WebhookFields::default();
    let Some(f) = f else { return out };
    if kind != ForwarderKind::Webhook {
        problems.push(Problem::at(
            format!("{here}.fields"),
            tr!(T::CfgFieldNotForKind, "fields", kind.as_str()),
        ));
        return out;
    }
    for (name, given, slot) in [
        ("sender", &f.sender, &mut out.sender),
        ("message", &f.message, &mut out.message),
        ("timestamp", &f.timestamp, &mut out.timestamp),
        ("slot", &f.slot, &mut out.slot),
    ] {
        match given.as_deref().map(str::trim) {
            None => {}
            Some("") => problems.push(Problem::at(
                format!("{here}.fields.{name}"),
                tr!(T::CfgRequired),
            )),
            Some(v) => *slot = v.to_string(),
        }
    }
    out
}

/// An http(s) URL with a host: what a phone or SMS Gateway's cloud answers on.
fn url_ok(u: &str) -> bool {
    match url::Url::parse(u.trim()) {
        Ok(parsed) => {
            matches!(parsed.scheme(), "http" | "https")
                && parsed.host_str().is_some_and(|h| !h.is_empty())
        }
        Err(_) => false,
    }
}

/// `"inbox": {"listen": "IP:port"}`.
pub fn validate_inbox(file: Option<&FileInbox>, problems: &mut Vec<Problem>) -> Option<Inbox> {
    let f = file?;
    let window_secs = f.window_secs.unwrap_or(DEFAULT_WINDOW_SECS);
    if !(10..=3600).contains(&window_secs) {
        problems.push(Problem::at(
            "inbox.window_secs",
            tr!(T::CfgRange, window_secs, 10, 3600),
        ));
    }
    match f.listen.trim().parse() {
        Ok(listen) => Some(Inbox {
            listen,
            window_secs,
        }),
        Err(_) => {
            problems.push(Problem::at(
                "inbox.listen",
                tr!(T::CfgInboxListen, f.listen),
            ));
            None
        }
    }
}

/// A number's `forwarder`: not beside a `modem`, and a slot from 1 to 8 when given.
pub fn number_forwarder(
    f: Option<&FileForwarderRef>,
    has_modem: bool,
    here: &str,
    problems: &mut Vec<Problem>,
) -> Option<Box<ForwarderRef>> {
    let f = f?;
    if has_modem {
        problems.push(Problem::at(
            format!("{here}.forwarder"),
            tr!(T::CfgModemAndForwarder),
        ));
    }
    if let Some(s) = f.slot
        && !(1..=8).contains(&s)
    {
        problems.push(Problem::at(
            format!("{here}.forwarder.slot"),
            tr!(T::CfgRange, s, 1, 8),
        ));
    }
    Some(Box::new(ForwarderRef {
        id: f.id.clone(),
        slot: f.slot,
    }))
}

/// Every number's forwarder names one of `forwarders`; a forwarder serving more than one
/// number needs each one's slot, and no two numbers share a slot.
pub fn forwarders_served(
    numbers: &[ReadNumber],
    forwarders: &[Forwarder],
    problems: &mut Vec<Problem>,
) {
    let known: HashSet<&str> = forwarders.iter().map(|f| f.id.as_str()).collect();
    let mut served: HashMap<&str, Vec<(usize, Option<u8>)>> = HashMap::new();
    for n in numbers {
        let Some(f) = &n.file.forwarder else { continue };
        if !known.contains(f.id.as_str()) {
            problems.push(Problem::at(
                format!("numbers[{}].forwarder.id", n.index),
                tr!(T::CfgFwdUnknown, f.id),
            ));
            continue;
        }
        // A webhook board posts texts in; it cannot send a query or a keep-alive text.
        if forwarders.iter().any(|x| x.id == f.id && !x.kind.sends()) {
            if n.file.provider.kind == "forwarder" {
                problems.push(Problem::at(
                    format!("numbers[{}].provider", n.index),
                    tr!(T::FwdCannotSend, f.id),
                ));
            }
            for (j, r) in n.file.rules.iter().enumerate() {
                if r.action.is_some() {
                    problems.push(Problem::at(
                        format!("numbers[{}].rules[{j}].action", n.index),
                        tr!(T::FwdCannotSend, f.id),
                    ));
                }
            }
        }
        served
            .entry(f.id.as_str())
            .or_default()
            .push((n.index, f.slot));
    }
    let mut ids: Vec<_> = served.into_iter().collect();
    ids.sort();
    for (id, list) in ids {
        if list.len() < 2 {
            continue;
        }
        let mut slots = HashSet::new();
        for (index, slot) in list {
            match slot {
                None => problems.push(Problem::at(
                    format!("numbers[{index}].forwarder.slot"),
                    tr!(T::CfgFwdSlotNeeded, id),
                )),
                Some(s) if !slots.insert(s) => problems.push(Problem::at(
                    format!("numbers[{index}].forwarder.slot"),
                    tr!(T::CfgFwdSlotShared, s, id),
                )),
                Some(_) => {}
            }
        }
    }
}

/// `{"kind": "forwarder", "sms": {"to", "text"}, "reply_from", "timeout_secs"?}`.
pub fn forwarder_provider(
    path: &str,
    a: &FileAction,
    has_forwarder: bool,
    problems: &mut Vec<Problem>,
) -> ForwarderProvider {
    for (name, present) in [
        ("program", a.program.is_some()),
        ("args", a.args.is_some()),
        ("ussd", a.ussd.is_some()),
    ] {
        if present {
            problems.push(Problem::at(
                format!("{path}.{name}"),
                tr!(T::CfgFieldNotForKind, name, a.kind),
            ));
        }
    }
    if !has_forwarder {
        problems.push(Problem::at(path, tr!(T::CfgForwarderNeeded)));
    }
    let timeout_secs = a.timeout_secs.unwrap_or(DEFAULT_FORWARDER_TIMEOUT_SECS);
    if !(1..=3600).contains(&timeout_secs) {
        problems.push(Problem::at(
            format!("{path}.timeout_secs"),
            tr!(T::CfgRange, timeout_secs, 1, 3600),
        ));
    }
    let (to, text) = match &a.sms {
        Some(sms) => {
            super::problem::sms_fields(&format!("{path}.sms"), sms, problems);
            (sms.to.clone(), sms.text.clone())
        }
        None => {
            problems.push(Problem::at(format!("{path}.sms"), tr!(T::CfgRequired)));
            (String::new(), String::new())
        }
    };
    let reply_from = match &a.reply_from {
        Some(r) if r.chars().any(|c| c.is_ascii_digit()) => r.clone(),
        _ => {
            problems.push(Problem::at(
                format!("{path}.reply_from"),
                tr!(T::CfgRequired),
            ));
            String::new()
        }
    };
    ForwarderProvider {
        to,
        text,
        reply_from,
        timeout_secs,
    }
}
