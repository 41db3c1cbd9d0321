//! Executors: what runs a recharge. `command` (the protocol, with an optional `query` that
//! settles in-doubt recharges), `demo` (always succeeds), `remind` (never runs: the intent
//! is a reminder). Anything short of a clear answer is `unknown`: maybe charged.

use crate::i18n::T;
use crate::model::{Executor, Money, Number, OutcomeStatus, ResolvedStatus};
use crate::tr;
use crate::worker::process::{self, Finished, Shutdown};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    pub status: OutcomeStatus,
    pub reference: Option<String>,
    pub error: Option<String>,
}

fn env(number: &Number, action: &str, key: &str, amount: Money) -> Vec<(&'static str, String)> {
    vec![
        ("BAOHAO_ACTION", action.to_string()),
        ("BAOHAO_NUMBER", number.id.clone()),
        ("BAOHAO_MSISDN", number.msisdn.clone()),
        ("BAOHAO_AMOUNT_MINOR", amount.minor.to_string()),
        ("BAOHAO_CURRENCY", amount.currency.code().to_string()),
        ("BAOHAO_KEY", key.to_string()),
    ]
}

/// Runs a recharge. `stop` interrupts it on shutdown (after a grace period): `unknown`.
pub async fn recharge(
    number: &Number,
    key: &str,
    amount: Money,
    stop: Option<&Shutdown>,
) -> Answer {
    match &number.executor {
        Executor::Remind => Answer {
            status: OutcomeStatus::Failed,
            reference: None,
            error: Some(tr!(T::ExecutorRemind)),
        },
        Executor::Demo => Answer {
            status: OutcomeStatus::Succeeded,
            reference: Some(format!("DEMO-{}", &format!("{:08x}", fxhash(key))[..8])),
            error: None,
        },
        Executor::Command(spec) => {
            match process::run_until(
                spec,
                &env(number, "recharge", key, amount),
                stop,
                process::Kind::Recharge,
            )
            .await
            {
                // Not started: certainly not charged.
                Err(e) => Answer {
                    status: OutcomeStatus::Failed,
                    reference: None,
                    error: Some(e.0),
                },
                Ok(f) => parse_recharge(&f),
            }
        }
    }
}

/// A stable short hash for demo references (not for security).
fn fxhash(s: &str) -> u32 {
    s.bytes().fold(0x811c9dc5u32, |h, b| {
        (h ^ b as u32).wrapping_mul(0x01000193)
    })
}

fn reference(obj: &serde_json::Map<String, serde_json::Value>, field: &str) -> Option<String> {
    obj.get(field)
        .and_then(|v| v.as_str())
        .map(|s| process::cut(&process::clean(&crate::secrets::redact(s)), 200))
        .filter(|s| !s.is_empty())
}

/// The protocol's recharge answer: `{"status": "succeeded"|"failed", "reference": …, "error": …}`.
pub fn parse_recharge(f: &Finished) -> Answer {
    if f.cut_short() {
        return Answer {
            status: OutcomeStatus::Unknown,
            reference: None,
            error: Some(f.reason()),
        };
    }
    let Some(obj) = process::json_object(&f.stdout) else {
        let why = if f.code == Some(0) {
            tr!(T::ExecutorUnreadable, process::preview(&f.stdout))
        } else {
            f.reason()
        };
        return Answer {
            status: OutcomeStatus::Unknown,
            reference: None,
            error: Some(why),
        };
    };
    let error = reference(&obj, "error").or_else(|| (!f.success()).then(|| f.reason()));
    match obj.get("status").and_then(|s| s.as_str()) {
        Some("succeeded") => Answer {
            status: OutcomeStatus::Succeeded,
            reference: reference(&obj, "reference"),
            error: None,
        },
        Some("failed") => Answer {
            status: OutcomeStatus::Failed,
            reference: reference(&obj, "reference"),
            error,
        },
        _ => Answer {
            status: OutcomeStatus::Unknown,
            reference: reference(&obj, "reference"),
            error: Some(tr!(T::ExecutorUnreadable, process::preview(&f.stdout))),
        },
    }
}

/// Asks the executor what became of an in-doubt recharge. `None`: it cannot tell.
pub async fn query(
    number: &Number,
    key: &str,
    amount: Money,
) -> Option<(ResolvedStatus, Option<String>)> {
    let Executor::Command(spec) = &number.executor else {
        return None;
    };
    let f = process::run(spec, &env(number, "query", key, amount))
        .await
        .ok()?;
    if f.cut_short() {
        return None;
    }
    let obj = process::json_object(&f.stdout)?;
    let status = ResolvedStatus::parse(obj.get("status")?.as_str()?)?;
    Some((status, reference(&obj, "reference")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finished(code: Option<i32>, stdout: &str, timed_out: bool) -> Finished {
        Finished {
            code,
            timed_out,
            stopped: false,
            stdout: stdout.as_bytes().to_vec(),
            stdout_cut: false,
            stderr: String::new(),
        }
    }

    #[test]
    fn only_a_clear_answer_is_succeeded_or_failed() {
        let ok = parse_recharge(&finished(
            Some(0),
            r#"{"status":"succeeded","reference":"R1"}"#,
            false,
        ));
        assert_eq!(
            (ok.status, ok.reference.as_deref()),
            (OutcomeStatus::Succeeded, Some("R1"))
        );
        assert_eq!(
            parse_recharge(&finished(
                Some(1),
                r#"{"status":"failed","error":"card declined"}"#,
                false
            ))
            .status,
            OutcomeStatus::Failed
        );
        for (code, out, t) in [
            (Some(0), "garbage", false),
            (Some(0), "", false),
            (Some(2), "", false),
            (None, "", false),
            (Some(0), r#"{"status":"succeeded"}"#, true),
            (Some(0), r#"{"status":"maybe"}"#, false),
            (Some(0), "[1,2]", false),
            // Two answers in one: ambiguous, so in doubt (never read as the last one).
            (
                Some(0),
                r#"{"status":"succeeded","status":"failed"}"#,
                false,
            ),
            (
                Some(1),
                r#"{"status":"failed","error":"x","status":"failed"}"#,
                false,
            ),
            (
                Some(0),
                r#"{"status":"succeeded","reference":"a","reference":"b"}"#,
                false,
            ),
        ] {
            assert_eq!(
                parse_recharge(&finished(code, out, t)).status,
                OutcomeStatus::Unknown,
                "{code:?} {out} {t}"
            );
        }
    }
}
