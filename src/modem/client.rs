//! ModemManager over D-Bus with zbus: list modems, USSD, send a text, and hear texts arrive
//! (the Messaging `Added` signal). Every failure becomes a `ModemError` sentence.

use std::collections::HashMap;
use std::time::Duration;

use futures::StreamExt;
use zbus::{Connection, OwnedObjectPath, OwnedVariant, Proxy};

use super::text::{parse_timestamp, same_sender, ussd_code_ok};
use super::{ModemError, ModemMatch};

const MM: &str = "org.freedesktop.ModemManager1";
const MM_PATH: &str = "/org/freedesktop/ModemManager1";
const I_MODEM: &str = "org.freedesktop.ModemManager1.Modem";
const I_3GPP: &str = "org.freedesktop.ModemManager1.Modem.Modem3gpp";
const I_USSD: &str = "org.freedesktop.ModemManager1.Modem.Modem3gpp.Ussd";
const I_MESSAGING: &str = "org.freedesktop.ModemManager1.Modem.Messaging";
const I_SIM: &str = "org.freedesktop.ModemManager1.Sim";
const I_SMS: &str = "org.freedesktop.ModemManager1.Sms";

/// What `baohao modems` shows of one modem.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ModemInfo {
    pub path: String,
    pub equipment_id: Option<String>,
    pub manufacturer: Option<String>,
    pub model: Option<String>,
    pub imsi: Option<String>,
    pub iccid: Option<String>,
    pub operator: Option<String>,
    /// Percent.
    pub signal: Option<u32>,
    pub state: String,
}

impl ModemInfo {
    /// The SIM's IMSI and ICCID and the modem's equipment id, as a number's match reads them.
    pub fn ids(&self) -> [Option<&str>; 3] {
        [
            self.imsi.as_deref(),
            self.iccid.as_deref(),
            self.equipment_id.as_deref(),
        ]
    }
}

/// A text as ModemManager holds it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sms {
    pub path: String,
    pub number: String,
    pub text: String,
    /// RFC 3339 (normalised from ModemManager's `+08`-style offsets), when known.
    pub timestamp: Option<String>,
    /// 3 = received, 2 = receiving.
    pub state: u32,
}

#[derive(Clone)]
pub struct Bus {
    conn: Connection,
}

fn state_name(s: i32) -> &'static str {
    match s {
        -1 => "failed",
        1 => "initializing",
        2 => "locked",
        3 => "disabled",
        4 => "disabling",
        5 => "enabling",
        6 => "enabled",
        7 => "searching",
        8 => "registered",
        9 => "disconnecting",
        10 => "connecting",
        11 => "connected",
        _ => "unknown",
    }
}

/// D-Bus errors in words a person can act on.
fn map_err(e: zbus::Error) -> ModemError {
    let name = match &e {
        zbus::Error::MethodError(name, _, _) => name.to_string(),
        _ => String::new(),
    };
    let detail = e.description().unwrap_or_default().to_string();
    classify(&name, &detail, &e.to_string())
}

/// A D-Bus error by its name (empty when the call never reached a service), its message,
/// and the whole error's text.
pub(crate) fn classify(name: &str, detail: &str, text: &str) -> ModemError {
    let clean = |s: &str| -> String { s.chars().filter(|c| !c.is_control()).take(200).collect() };
    if name.ends_with("Error.Core.Unauthorized") || name.ends_with("AccessDenied") {
        ModemError::Unauthorized
    } else if name.ends_with("ServiceUnknown") || name.ends_with("NameHasNoOwner") {
        ModemError::NoModemManager(clean(detail))
    } else if name.ends_with("UnknownObject")
        || name.ends_with("UnknownMethod")
        || name.ends_with("UnknownInterface")
    {
        ModemError::Vanished
    } else if name.is_empty() {
        ModemError::NoModemManager(clean(text))
    } else if detail.is_empty() {
        ModemError::Other(clean(name))
    } else {
        ModemError::Other(clean(detail))
    }
}

fn prop<T: TryFrom<OwnedVariant>>(props: &HashMap<String, OwnedVariant>, name: &str) -> Option<T> {
    props
        .get(name)
        .and_then(|v| v.try_clone().ok())
        .and_then(|v| T::try_from(v).ok())
}

fn nonempty(s: Option<String>) -> Option<String> {
    s.filter(|s| !s.trim().is_empty())
}

impl Bus {
    /// The system bus (`DBUS_SYSTEM_BUS_ADDRESS` when set).
    pub async fn connect() -> Result<Bus, ModemError> {
        let conn = Connection::system()
            .await
            .map_err(|e| ModemError::NoModemManager(e.to_string()))?;
        Ok(Bus { conn })
    }

    async fn proxy(&self, path: &str, iface: &'static str) -> Result<Proxy<'static>, ModemError> {
        zbus::proxy::Builder::new(&self.conn)
            .destination(MM)
            .path(path.to_string())
            .interface(iface)
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await
            .map_err(map_err)
    }

    async fn all(
        &self,
        path: &str,
        iface: &str,
    ) -> Result<HashMap<String, OwnedVariant>, ModemError> {
        let p = self.proxy(path, "org.freedesktop.DBus.Properties").await?;
        p.call("GetAll", &(iface,)).await.map_err(map_err)
    }

    /// Every modem ModemManager sees, in path order.
    pub async fn modems(&self) -> Result<Vec<ModemInfo>, ModemError> {
        let om = self
            .proxy(MM_PATH, "org.freedesktop.DBus.ObjectManager")
            .await?;
        let objects: HashMap<OwnedObjectPath, HashMap<String, HashMap<String, OwnedVariant>>> =
            om.call("GetManagedObjects", &()).await.map_err(map_err)?;
        let mut out = Vec::new();
        for (path, ifaces) in objects {
            let Some(m) = ifaces.get(I_MODEM) else {
                continue;
            };
            let g3 = ifaces.get(I_3GPP);
            let sim: Option<OwnedObjectPath> = prop(m, "Sim");
            let (imsi, iccid) = match sim.as_ref().map(|s| s.as_str()).filter(|s| *s != "/") {
                Some(s) => match self.all(s, I_SIM).await {
                    Ok(p) => (
                        nonempty(prop(&p, "Imsi")),
                        nonempty(prop(&p, "SimIdentifier")),
                    ),
                    Err(_) => (None, None),
                },
                None => (None, None),
            };
            let signal: Option<(u32, bool)> = prop(m, "SignalQuality");
            out.push(ModemInfo {
                path: path.as_str().to_string(),
                equipment_id: nonempty(prop(m, "EquipmentIdentifier")),
                manufacturer: nonempty(prop(m, "Manufacturer")),
                model: nonempty(prop(m, "Model")),
                imsi,
                iccid,
                operator: g3.and_then(|g| nonempty(prop(g, "OperatorName"))),
                signal: signal.map(|s| s.0),
                state: state_name(prop::<i32>(m, "State").unwrap_or(0)).to_string(),
            });
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    /// The one modem `m` picks.
    pub async fn find(&self, m: &ModemMatch) -> Result<ModemInfo, ModemError> {
        let all = self.modems().await?;
        let found: Vec<_> = all.into_iter().filter(|x| m.matches(x.ids())).collect();
        match (m, found.len()) {
            (_, 0) => Err(ModemError::NoModem(m.as_str().to_string())),
            (ModemMatch::Any, n) if n > 1 => Err(ModemError::Ambiguous(n)),
            _ => Ok(found.into_iter().next().expect("one modem")),
        }
    }

    async fn state(&self, path: &str) -> Result<i32, ModemError> {
        let p = self.all(path, I_MODEM).await?;
        Ok(prop::<i32>(&p, "State").unwrap_or(0))
    }

    /// Enables the modem if it is disabled, and waits (up to `wait`) until it is enabled.
    pub async fn ready(&self, path: &str, wait: Duration) -> Result<(), ModemError> {
        let deadline = tokio::time::Instant::now() + wait;
        let mut asked = false;
        loop {
            let s = self.state(path).await?;
            if s >= 6 {
                return Ok(());
            }
            if s == 3 && !asked {
                asked = true;
                let modem = self.proxy(path, I_MODEM).await?;
                let r: Result<(), _> = modem.call("Enable", &(true,)).await;
                r.map_err(map_err)?;
                continue;
            }
            if s == -1 || s == 2 || tokio::time::Instant::now() >= deadline {
                return Err(ModemError::NotReady(state_name(s).to_string()));
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Sends a USSD code and returns the network's answer. A session already in progress is
    /// cancelled and the request tried once more.
    pub async fn ussd(&self, path: &str, code: &str) -> Result<String, ModemError> {
        if !ussd_code_ok(code) {
            return Err(ModemError::BadUssd(
                code.chars().filter(|c| !c.is_control()).take(40).collect(),
            ));
        }
        let ussd = self.proxy(path, I_USSD).await?;
        let mut retried = false;
        loop {
            let r: Result<String, _> = ussd.call("Initiate", &(code,)).await;
            match r {
                Ok(answer) => {
                    // A menu leaves the session open; close it so the next request starts clean.
                    if let Ok(p) = self.all(path, I_USSD).await
                        && prop::<u32>(&p, "State") == Some(3)
                    {
                        let _: Result<(), _> = ussd.call("Cancel", &()).await;
                    }
                    return Ok(answer);
                }
                Err(e) => {
                    let err = map_err(e);
                    let lower = err.to_string().to_lowercase();
                    if !retried
                        && (lower.contains("already")
                            || lower.contains("in progress")
                            || lower.contains("wrong state"))
                    {
                        retried = true;
                        let _: Result<(), _> = ussd.call("Cancel", &()).await;
                        continue;
                    }
                    if lower.contains("terminated by network")
                        || lower.contains("network terminated")
                    {
                        return Err(ModemError::UssdEnded);
                    }
                    if lower.contains("not supported") || lower.contains("unsupported") {
                        return Err(ModemError::UssdUnsupported);
                    }
                    return Err(err);
                }
            }
        }
    }

    /// Creates a text and sends it. `Ok` means the modem accepted the send.
    pub async fn send_sms(&self, path: &str, to: &str, text: &str) -> Result<String, ModemError> {
        let messaging = self.proxy(path, I_MESSAGING).await?;
        let mut props: HashMap<&str, zbus::Variant<'_>> = HashMap::new();
        props.insert("number", zbus::Variant::from(to));
        props.insert("text", zbus::Variant::from(text));
        let sms: OwnedObjectPath = messaging.call("Create", &(props,)).await.map_err(map_err)?;
        let p = self.proxy(sms.as_str(), I_SMS).await?;
        let r: Result<(), _> = p.call("Send", &()).await;
        r.map_err(map_err)?;
        Ok(sms.as_str().to_string())
    }

    pub async fn read_sms(&self, path: &str) -> Result<Sms, ModemError> {
        let p = self.all(path, I_SMS).await?;
        let stamp: Option<String> = nonempty(prop(&p, "Timestamp"));
        Ok(Sms {
            path: path.to_string(),
            number: prop(&p, "Number").unwrap_or_default(),
            text: prop(&p, "Text").unwrap_or_default(),
            timestamp: stamp.map(|s| parse_timestamp(&s).map(|t| t.to_rfc3339()).unwrap_or(s)),
            state: prop(&p, "State").unwrap_or(0),
        })
    }

    /// Texts already on the modem (received ones only).
    pub async fn messages(&self, path: &str) -> Result<Vec<Sms>, ModemError> {
        let messaging = self.proxy(path, I_MESSAGING).await?;
        let list: Vec<OwnedObjectPath> = messaging.call("List", &()).await.map_err(map_err)?;
        let mut out = Vec::new();
        for p in list {
            if let Ok(s) = self.read_sms(p.as_str()).await
                && s.state == 3
            {
                out.push(s);
            }
        }
        Ok(out)
    }

    /// A stream of texts as they arrive (the `Added` signal), complete ones only.
    pub async fn arrivals(&self, path: &str) -> Result<Arrivals, ModemError> {
        let messaging = self.proxy(path, I_MESSAGING).await?;
        let stream = messaging.receive_signal("Added").await.map_err(map_err)?;
        Ok(Arrivals {
            bus: self.clone(),
            stream: Box::pin(stream),
        })
    }

    /// Sends `text` to `to` and waits for the first text from `reply_from` that arrives after.
    pub async fn query_by_sms(
        &self,
        path: &str,
        to: &str,
        text: &str,
        reply_from: &str,
        timeout: Duration,
    ) -> Result<Sms, ModemError> {
        let mut arrivals = self.arrivals(path).await?;
        self.send_sms(path, to, text).await?;
        let wait = async {
            loop {
                match arrivals.next().await {
                    None => return Err(ModemError::Vanished),
                    Some(s) if same_sender(&s.number, reply_from) => return Ok(s),
                    Some(_) => continue,
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .unwrap_or(Err(ModemError::Timeout(timeout.as_secs())))
    }
}

pub struct Arrivals {
    bus: Bus,
    stream: std::pin::Pin<Box<zbus::proxy::SignalStream<'static>>>,
}

impl Arrivals {
    /// The next received text; `None` when the modem left the bus.
    pub async fn next(&mut self) -> Option<Sms> {
        while let Some(msg) = self.stream.next().await {
            let Ok((path, received)) = msg.body().deserialize::<(OwnedObjectPath, bool)>() else {
                continue;
            };
            if !received {
                continue;
            }
            // A multipart text is announced while still arriving; wait for it to complete.
            for _ in 0..50 {
                match self.bus.read_sms(path.as_str()).await {
                    Ok(s) if s.state == 3 => return Some(s),
                    Ok(_) => tokio::time::sleep(Duration::from_millis(200)).await,
                    Err(_) => break,
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, with_lang};

    #[test]
    fn a_polkit_refusal_is_one_sentence_naming_the_fix() {
        // ModemManager's test mode never asks polkit, so this path is proven here.
        let e = classify(
            "org.freedesktop.ModemManager1.Error.Core.Unauthorized",
            "PolicyKit authorization failed: not authorized for 'org.freedesktop.ModemManager1.USSD'",
            "",
        );
        assert_eq!(e, ModemError::Unauthorized);
        for lang in [Lang::En, Lang::Zh] {
            let s = with_lang(lang, || e.to_string());
            assert!(s.contains("polkit") && !s.contains('\n'), "{s}");
        }
    }

    #[test]
    fn errors_by_name() {
        assert_eq!(
            classify("org.freedesktop.DBus.Error.ServiceUnknown", "no owner", ""),
            ModemError::NoModemManager("no owner".into())
        );
        assert_eq!(
            classify("org.freedesktop.DBus.Error.UnknownObject", "", ""),
            ModemError::Vanished
        );
        assert_eq!(
            classify(
                "org.freedesktop.ModemManager1.Error.Core.WrongState",
                "busy\r\n",
                ""
            ),
            ModemError::Other("busy".into())
        );
    }
}
