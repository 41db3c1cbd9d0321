//! `baohao forwarders [--json]`: each forwarder, its kind, whether it answers, its battery
//! and SIMs, the last text received from it and the numbers it serves; and
//! `baohao forwarders setup ID`: what to enter in the app, in the person's language.
//! Nothing is sent to a phone here except the questions of `forwarder::health` (and the
//! webhook registration that `setup --register` asks SMS Gateway for).

use chrono::{DateTime, Utc};

use crate::forwarder::health::{Health, look};
use crate::i18n::T;
use crate::inbox::decode::SMSFORWARDER_TEMPLATE;
use crate::model::forwarder::{Forwarder, ForwarderKind};
use crate::model::{Config, EventRef};
use crate::store::{Cursor, Log, Paths};
use crate::text::table::{Align, Table};
use crate::tr;
use crate::{Error, Result};

/// One forwarder as the command shows it.
pub struct Row {
    pub health: Health,
    pub last_text: Option<DateTime<Utc>>,
    pub numbers: Vec<String>,
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::input(tr!(T::NoRuntime, e)))
}

/// The numbers each forwarder serves.
fn served(config: &Config, f: &Forwarder) -> Vec<String> {
    config
        .numbers
        .iter()
        .filter(|n| n.forwarder.as_ref().is_some_and(|r| r.id == f.id))
        .map(|n| n.id.clone())
        .collect()
}

/// When the log last heard a text on one of `numbers` (a reading or message from a text).
pub fn last_texts(paths: &Paths, config: &Config) -> Vec<(String, DateTime<Utc>)> {
    let mut out: Vec<(String, DateTime<Utc>)> = Vec::new();
    let owner = |number: &str| {
        config
            .numbers
            .iter()
            .find(|n| n.id == number)
            .and_then(|n| n.forwarder.as_ref().map(|r| r.id.clone()))
    };
    let _ = Log::new(&paths.log).scan_ref(Cursor::default(), |e: EventRef<'_>| {
        let from_text = match &e.body {
            crate::model::EventBody::Message { source, .. } => *source == "sms",
            crate::model::EventBody::Balance { source, .. } => *source == "sms",
            _ => false,
        };
        if !from_text {
            return;
        }
        let Some(f) = owner(&e.number) else { return };
        let at = e.at.with_timezone(&Utc);
        match out.iter_mut().find(|(id, _)| *id == f) {
            Some((_, t)) if *t < at => *t = at,
            Some(_) => {}
            None => out.push((f, at)),
        }
    });
    out
}

pub fn list(paths: &Paths, config: &Config) -> Result<Vec<Row>> {
    let rt = runtime()?;
    let healths = rt.block_on(futures::future::join_all(
        config.forwarders.iter().map(look),
    ));
    let last = last_texts(paths, config);
    Ok(config
        .forwarders
        .iter()
        .zip(healths)
        .map(|(f, health)| Row {
            last_text: last.iter().find(|(id, _)| *id == f.id).map(|(_, t)| *t),
            numbers: served(config, f),
            health,
        })
        .collect())
}

pub fn json(rows: &[Row], config: &Config) -> String {
    let arr: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let mut v = serde_json::to_value(&r.health).unwrap_or_default();
            if let Some(o) = v.as_object_mut() {
                o.insert(
                    "url".into(),
                    serde_json::json!(
                        config
                            .forwarders
                            .iter()
                            .find(|f| f.id == r.health.id)
                            .and_then(|f| f.url.clone())
                    ),
                );
                o.insert(
                    "last_text".into(),
                    serde_json::json!(
                        r.last_text
                            .map(|t| crate::text::format::rfc3339(t, config.timezone))
                    ),
                );
                o.insert("numbers".into(), serde_json::json!(r.numbers));
            }
            v
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&arr).unwrap_or_default();
    s.push('\n');
    s
}

/// `78% charging`, `78%`, or nothing.
pub fn battery_words(h: &Health) -> Option<String> {
    let level = h.battery?;
    Some(match h.charging {
        Some(true) => tr!(T::FwdBatteryCharging, level),
        _ => tr!(T::FwdBattery, level),
    })
}

pub fn human(rows: &[Row], config: &Config) -> String {
    if rows.is_empty() {
        return format!("{}\n", tr!(T::FwdListNone));
    }
    let dash = || "—".to_string();
    let mut t = Table::new(&[
        (tr!(T::FwdColForwarder), Align::Left),
        (tr!(T::FwdColKind), Align::Left),
        (tr!(T::ModemsColState), Align::Left),
        (tr!(T::FwdColBattery), Align::Left),
        (tr!(T::FwdColSims), Align::Left),
        (tr!(T::FwdColLastText), Align::Left),
        (tr!(T::ModemsColNumbers), Align::Left),
    ]);
    let mut problems = Vec::new();
    for r in rows {
        let h = &r.health;
        let state = match h.reachable {
            Some(true) => tr!(T::FwdReachable),
            Some(false) => tr!(T::FwdUnreachableShort),
            None => tr!(T::FwdPostsIn),
        };
        if let Some(p) = &h.problem {
            problems.push(format!("{}: {p}", h.id));
        }
        let sims = h
            .sims
            .iter()
            .map(|s| {
                let what = [s.carrier.as_deref(), s.number.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" ");
                format!("{} {what}", s.slot).trim().to_string()
            })
            .collect::<Vec<_>>()
            .join(", ");
        t.row(vec![
            h.id.clone(),
            h.kind.to_string(),
            state,
            battery_words(h).unwrap_or_else(dash),
            if sims.is_empty() { dash() } else { sims },
            r.last_text
                .map(|t| crate::text::format::local_minute(t, config.timezone))
                .unwrap_or_else(dash),
            if r.numbers.is_empty() {
                dash()
            } else {
                r.numbers.join(", ")
            },
        ]);
    }
    let mut out = t.render();
    for p in problems {
        out.push_str(&crate::text::clean::message(&p));
        out.push('\n');
    }
    out
}

const BOARD_BODY: &str = r#"{"sender": "10086", "message": "…", "timestamp": 1772326800}"#;

/// Where forwarder `id` posts its texts: `public_url` (the address a reverse proxy gives
/// the inbox) or the inbox's own address.
pub fn webhook_url(config: &Config, id: &str, public_url: Option<&str>) -> Result<String> {
    let base = match (public_url, &config.inbox) {
        (Some(u), _) => u.trim().trim_end_matches('/').to_string(),
        // Every interface: no address a phone could post to. The person knows which of
        // the machine's addresses the phone reaches (the LAN's, a proxy's); say so.
        (None, Some(inbox)) if inbox.listen.ip().is_unspecified() => {
            return Err(Error::input(tr!(
                T::FwdSetupUnspecified,
                inbox.listen,
                inbox.listen.port()
            )));
        }
        (None, Some(inbox)) => format!("http://{}", inbox.listen),
        (None, None) => return Err(Error::input(tr!(T::FwdSetupNoInbox))),
    };
    Ok(format!("{base}/in/{id}"))
}

/// What to enter in the app for forwarder `id`, in the person's language; with `register`,
/// SMS Gateway is asked to post received texts to baohao (`POST /webhooks`).
pub fn setup(
    config: &Config,
    id: &str,
    public_url: Option<&str>,
    register: bool,
) -> Result<String> {
    let Some(f) = config.forwarders.iter().find(|f| f.id == id) else {
        return Err(Error::input(tr!(T::CfgFwdUnknown, id)));
    };
    let hook = webhook_url(config, id, public_url)?;
    let env = |e: &Option<String>| e.clone().unwrap_or_else(|| "…".into());
    let mut out = match f.kind {
        ForwarderKind::SmsForwarder => tr!(
            T::FwdSetupSmsf,
            f.id,
            hook,
            env(&f.secret_env),
            SMSFORWARDER_TEMPLATE,
            f.url.clone().unwrap_or_default()
        ),
        ForwarderKind::SmsGateway => tr!(
            T::FwdSetupGateway,
            f.id,
            hook,
            env(&f.signing_key_env),
            f.url.clone().unwrap_or_default(),
            env(&f.user_env),
            env(&f.password_env)
        ),
        ForwarderKind::Webhook => tr!(T::FwdSetupBoard, f.id, hook, env(&f.token_env), BOARD_BODY),
    };
    out.push('\n');
    if register {
        if f.kind != ForwarderKind::SmsGateway {
            return Err(Error::input(tr!(T::FwdSetupRegisterOnlyGateway)));
        }
        let rt = runtime()?;
        rt.block_on(async {
            let phone = crate::forwarder::client::Phone::new(f)?;
            phone.gateway_register(&hook).await
        })
        .map_err(|e| Error::input(e.to_string()))?;
        out.push_str(&tr!(T::FwdSetupRegistered, hook));
        out.push('\n');
    }
    Ok(out)
}

#[cfg(test)]
mod webhook_url_tests {
    use super::*;

    fn with_inbox(listen: &str) -> Config {
        let mut c = crate::home::demo::config();
        c.inbox = Some(crate::model::forwarder::Inbox {
            listen: listen.parse().expect("an address"),
            window_secs: crate::model::forwarder::DEFAULT_WINDOW_SECS,
        });
        c
    }

    #[test]
    fn a_listener_on_every_interface_asks_for_the_address_the_phone_reaches() {
        for listen in ["0.0.0.0:8787", "[::]:8787"] {
            let e = webhook_url(&with_inbox(listen), "pixel", None).expect_err(listen);
            let said = e.message;
            assert!(
                said.contains("--public-url") && said.contains(":8787"),
                "{said}"
            );
            assert!(!said.contains("http://0.0.0.0"), "{said}");
            assert_eq!(
                webhook_url(
                    &with_inbox(listen),
                    "pixel",
                    Some("http://192.168.1.5:8787/")
                )
                .expect("given"),
                "http://192.168.1.5:8787/in/pixel"
            );
        }
        assert_eq!(
            webhook_url(&with_inbox("192.168.1.5:8787"), "pixel", None).expect("an address"),
            "http://192.168.1.5:8787/in/pixel"
        );
    }
}
