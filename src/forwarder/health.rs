//! How a forwarder is: reachable or not and why, its battery, its SIMs. SmsForwarder is
//! asked `/config/query` and `/battery/query`, SMS Gateway on the phone `/health`; SMS
//! Gateway behind its server (the cloud) `/devices`, since the server's `/health` answers
//! while the phone is off; a webhook board is not asked anything (it is judged by the age
//! of its last text). Nothing is sent.

use chrono::{DateTime, Utc};
use serde_json::Value;

use crate::model::forwarder::{Forwarder, ForwarderKind};

use super::client::Phone;

/// A SIM as the phone lists it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Sim {
    /// 1-based, as a number's `forwarder.slot`.
    pub slot: u8,
    pub carrier: Option<String>,
    pub number: Option<String>,
}

/// One look at a forwarder.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Health {
    pub id: String,
    pub kind: &'static str,
    /// `None` for a webhook board (nothing to ask).
    pub reachable: Option<bool>,
    /// Why it is not reachable, or what it said is wrong: one sentence.
    pub problem: Option<String>,
    /// Percent.
    pub battery: Option<u32>,
    pub charging: Option<bool>,
    pub device: Option<String>,
    pub sims: Vec<Sim>,
    /// What answered is a server in front of the phone (SMS Gateway's cloud): its answer
    /// is not the phone's, which counts as heard only at `phone_seen`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub via_server: bool,
    /// When that server last heard from the phone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_seen: Option<DateTime<Utc>>,
}

fn text(v: &Value) -> Option<String> {
    let s = match v {
        Value::String(s) => s.trim().to_string(),
        Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!s.is_empty()).then(|| super::outside(&s))
}

/// The digits of `"78%"`, `78` or `"78"`.
fn percent(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().map(|n| n.min(100) as u32),
        Value::String(s) => {
            let d: String = s.chars().filter(char::is_ascii_digit).collect();
            d.parse::<u32>().ok().map(|n| n.min(100))
        }
        _ => None,
    }
}

/// SmsForwarder's battery `status` (`充电中`, `Charging`, `充满`, `Full`) or its `plugged`.
fn charging(battery: &Value) -> Option<bool> {
    let status = battery
        .get("status")
        .and_then(Value::as_str)
        .map(str::to_lowercase);
    let plugged = battery
        .get("plugged")
        .and_then(Value::as_str)
        .map(str::to_lowercase);
    if status.is_none() && plugged.is_none() {
        return None;
    }
    let s = status.unwrap_or_default();
    let p = plugged.unwrap_or_default();
    let by_status = s == "charging" || s.contains("充电中") || s == "full" || s.contains("充满");
    let by_plug = ["ac", "usb", "wireless", "dock"]
        .iter()
        .any(|w| p.contains(w));
    Some(by_status || by_plug)
}

/// `sim_info_list`: an object keyed by slot index, or an array.
fn sims(config: &Value) -> Vec<Sim> {
    let list: Vec<&Value> = match config.get("sim_info_list") {
        Some(Value::Object(m)) => m.values().collect(),
        Some(Value::Array(a)) => a.iter().collect(),
        _ => Vec::new(),
    };
    let mut out: Vec<Sim> = list
        .into_iter()
        .filter_map(|s| {
            let index = s.get("sim_slot_index").and_then(Value::as_u64)?;
            Some(Sim {
                slot: u8::try_from(index + 1).ok()?,
                carrier: s.get("carrier_name").and_then(text),
                number: s.get("number").and_then(text),
            })
        })
        .collect();
    out.sort_by_key(|s| s.slot);
    out
}

/// The newest of SMS Gateway's server's devices (`[{"id", "name", "lastSeen",
/// "deletedAt"?, …}]`, times in RFC 3339): its name and when the server last heard from it.
/// Deleted devices, and Go's zero time (`0001-01-01T00:00:00Z`, never seen), are left out.
fn newest_device(devices: &Value) -> Option<(Option<String>, DateTime<Utc>)> {
    devices
        .as_array()?
        .iter()
        .filter(|d| d.get("deletedAt").is_none_or(Value::is_null))
        .filter_map(|d| {
            let seen = d.get("lastSeen")?.as_str()?;
            let seen = DateTime::parse_from_rfc3339(seen).ok()?.with_timezone(&Utc);
            (seen.timestamp() > 0).then(|| (d.get("name").and_then(text), seen))
        })
        .max_by_key(|(_, seen)| *seen)
}

/// Looks at `f` once.
pub async fn look(f: &Forwarder) -> Health {
    let mut h = Health {
        id: f.id.clone(),
        kind: f.kind.as_str(),
        reachable: None,
        problem: None,
        battery: None,
        charging: None,
        device: None,
        sims: Vec::new(),
        via_server: false,
        phone_seen: None,
    };
    if f.kind == ForwarderKind::Webhook {
        return h;
    }
    let phone = match Phone::new(f) {
        Ok(p) => p,
        Err(e) => {
            h.reachable = Some(false);
            h.problem = Some(e.to_string());
            return h;
        }
    };
    match f.kind {
        ForwarderKind::SmsForwarder => match phone.smsf_config().await {
            Ok(config) => {
                h.reachable = Some(true);
                h.device = config.get("extra_device_mark").and_then(text);
                h.sims = sims(&config);
                if let Ok(b) = phone.smsf_battery().await {
                    h.battery = b.get("level").and_then(percent);
                    h.charging = charging(&b);
                }
            }
            Err(e) => {
                h.reachable = Some(false);
                h.problem = Some(e.to_string());
            }
        },
        ForwarderKind::SmsGateway if phone.behind_server() => {
            h.via_server = true;
            match phone.gateway_devices().await {
                Ok(v) => {
                    h.reachable = Some(true);
                    match newest_device(&v) {
                        Some((name, seen)) => {
                            h.device = name;
                            h.phone_seen = Some(seen);
                        }
                        None => h.problem = Some(crate::tr!(crate::i18n::T::FwdNoDevice, f.id)),
                    }
                }
                Err(e) => {
                    h.reachable = Some(false);
                    h.problem = Some(e.to_string());
                }
            }
        }
        ForwarderKind::SmsGateway => match phone.gateway_health().await {
            Ok(v) => {
                h.reachable = Some(true);
                let checks = v.get("checks");
                let observed = |name: &str| checks.and_then(|c| c.get(name)?.get("observedValue"));
                h.battery = observed("battery:level").and_then(percent);
                h.charging = observed("battery:charging").and_then(|v| match v {
                    Value::Bool(b) => Some(*b),
                    Value::Number(n) => n.as_i64().map(|n| n != 0),
                    _ => None,
                });
                if let Some(status) = v.get("status").and_then(Value::as_str)
                    && status == "fail"
                {
                    h.problem = Some(crate::tr!(crate::i18n::T::FwdHealthFail, f.id));
                }
            }
            Err(e) => {
                h.reachable = Some(false);
                h.problem = Some(e.to_string());
            }
        },
        ForwarderKind::Webhook => {}
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn battery_and_sims_as_smsforwarder_says_them() {
        assert_eq!(percent(&json!("78%")), Some(78));
        assert_eq!(percent(&json!(101)), Some(100));
        assert_eq!(charging(&json!({"status": "充电中"})), Some(true));
        assert_eq!(
            charging(&json!({"status": "未充电", "plugged": "未知"})),
            Some(false)
        );
        assert_eq!(charging(&json!({"status": "Discharging"})), Some(false));
        assert_eq!(charging(&json!({})), None);
        let s = sims(&json!({"sim_info_list": {
            "1": {"sim_slot_index": 1, "carrier_name": "giffgaff", "number": ""},
            "0": {"sim_slot_index": 0, "carrier_name": "China Mobile", "number": "+8613800000001"}
        }}));
        assert_eq!(s.len(), 2);
        assert_eq!(
            (s[0].slot, s[0].carrier.as_deref()),
            (1, Some("China Mobile"))
        );
        assert_eq!((s[1].slot, s[1].number.as_deref()), (2, None));
    }

    #[test]
    fn the_newest_device_the_server_lists_is_when_the_phone_was_heard() {
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        let v = json!([
            {"id": "a", "name": "Pixel", "lastSeen": "2026-03-01T01:00:00.5Z"},
            {"id": "b", "name": "Moto", "lastSeen": "2026-03-01T09:30:00+08:00"},
            {"id": "c", "name": "Gone", "lastSeen": "2026-03-02T00:00:00Z",
             "deletedAt": "2026-03-02T00:00:00Z"},
            {"id": "d", "name": "Never", "lastSeen": "0001-01-01T00:00:00Z"},
            {"id": "e", "lastSeen": "yesterday"},
            {"id": "f"}
        ]);
        assert_eq!(
            newest_device(&v),
            Some((Some("Moto".into()), at("2026-03-01T01:30:00Z")))
        );
        assert_eq!(newest_device(&json!([])), None);
        assert_eq!(newest_device(&json!({"message": "no"})), None);
        assert_eq!(
            newest_device(&json!([{"id": "d", "lastSeen": "0001-01-01T00:00:00Z"}])),
            None
        );
    }
}
