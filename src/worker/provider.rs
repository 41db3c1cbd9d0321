//! Balance providers: `manual` (the person types it), `command` (the protocol), `demo`
//! (a simulated carrier). A provider answers with a reading or a short reason it could not.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::engine::NumberState;
use crate::i18n::T;
use crate::model::{Money, Number, Provider};
use crate::tr;
use crate::worker::process::{self, Finished};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reading {
    pub balance: Money,
    pub validity_until: Option<NaiveDate>,
    pub source: &'static str,
    /// The reading is in the log already (a forwarder's reply, put there by the inbox).
    pub logged: bool,
}

/// Reads `number`'s balance. `None` for a manual provider (nothing to ask). `stop` cuts a
/// command short on shutdown (after its grace period). What the person should hear on the
/// way (a forwarder's text set aside) goes to `notes`.
pub async fn read(
    home: (&crate::store::Paths, &crate::model::Config),
    number: &Number,
    ns: Option<&NumberState>,
    tz: Tz,
    now: DateTime<Utc>,
    stop: Option<&process::Shutdown>,
    notes: &mut Vec<String>,
) -> Option<Result<Reading, String>> {
    match &number.provider {
        Provider::Manual => None,
        Provider::Demo => Some(Ok(Reading {
            balance: Money::new(
                crate::home::demo::demo_balance(ns, number, tz, now),
                number.currency,
            ),
            validity_until: None,
            source: "demo",
            logged: false,
        })),
        Provider::Modem(spec) => Some(
            until_stopped(stop, crate::modem::provider::read(number, spec))
                .await
                .and_then(|r| r)
                .map(|(r, source)| Reading {
                    balance: r.balance,
                    validity_until: r.validity_until,
                    source,
                    logged: false,
                }),
        ),
        Provider::Forwarder(spec) => Some(
            until_stopped(
                stop,
                crate::forwarder::provider::read(home.0, home.1, number, spec, now, notes),
            )
            .await
            .and_then(|r| r)
            .map(|r| Reading {
                balance: r.balance,
                validity_until: r.validity_until,
                source: "sms",
                logged: true,
            }),
        ),
        Provider::Command(spec) => {
            let env = [
                ("BAOHAO_ACTION", "balance".to_string()),
                ("BAOHAO_NUMBER", number.id.clone()),
                ("BAOHAO_MSISDN", number.msisdn.clone()),
                ("BAOHAO_CURRENCY", number.currency.code().to_string()),
            ];
            Some(
                match process::run_until(spec, &env, stop, process::Kind::Read).await {
                    Err(e) => Err(e.0),
                    Ok(f) => parse_balance(&f, number),
                },
            )
        }
    }
}

/// The protocol's balance answer: `{"balance": "12.34", "currency": "GBP", "validity_until": "2027-01-31"}`.
pub fn parse_balance(f: &Finished, number: &Number) -> Result<Reading, String> {
    if f.cut_short() || f.code != Some(0) {
        return Err(f.reason());
    }
    let Some(obj) = process::json_object(&f.stdout) else {
        return Err(tr!(T::ProviderNotJson, process::preview(&f.stdout)));
    };
    let text = match obj.get("balance") {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) if n.is_i64() => n.to_string(),
        Some(serde_json::Value::Number(_)) => return Err(tr!(T::ProviderFloat)),
        _ => return Err(tr!(T::ProviderNoBalance)),
    };
    if let Some(c) = obj.get("currency") {
        let ok = c
            .as_str()
            .is_some_and(|c| c.eq_ignore_ascii_case(number.currency.code()));
        if !ok {
            return Err(tr!(
                T::ProviderCurrency,
                process::cut(&process::clean(&c.to_string()), 20),
                number.currency
            ));
        }
    }
    let balance = Money::parse_signed(&text, number.currency).map_err(|e| e.to_string())?;
    let validity_until = match obj.get("validity_until") {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(s)) => Some(
            crate::model::event::parse_date(s)
                .ok_or_else(|| tr!(T::ProviderValidity, process::cut(&process::clean(s), 20)))?,
        ),
        Some(other) => {
            return Err(tr!(
                T::ProviderValidity,
                process::cut(&process::clean(&other.to_string()), 20)
            ));
        }
    };
    Ok(Reading {
        balance,
        validity_until,
        source: "command",
        logged: false,
    })
}

/// `read`, given up once `stop` asks and a read's grace has passed (a modem's USSD or a
/// forwarder's reply may take minutes; a worker stopping must not wait for them).
async fn until_stopped<R>(
    stop: Option<&process::Shutdown>,
    read: impl std::future::Future<Output = R>,
) -> Result<R, String> {
    let stopped = async {
        match stop {
            Some(s) => s.read_stopped().await,
            None => std::future::pending().await,
        }
    };
    tokio::select! {
        r = read => Ok(r),
        _ = stopped => Err(tr!(T::CmdStopped)),
    }
}
