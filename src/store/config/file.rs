//! The config file's exact shape (serde, strict: unknown fields are errors), and the way
//! back from a validated `Config` to it. Validation is `validate.rs`'s; no I/O here.

use serde::{Deserialize, Serialize};

use crate::model::forwarder::{
    DEFAULT_FORWARDER_REQUEST_SECS, DEFAULT_QUIET_HOURS, ForwarderProvider,
};
use crate::model::modem::{ModemProvider, ModemQuery, SmsAction};
use crate::model::number::DEFAULT_VERIFY_TOLERANCE;
use crate::model::{
    CommandSpec, Config, DeadlineDays, Executor, Money, MonthDay, Number, Provider, Rule, Trigger,
};

// ---------------------------------------------------------------- the file form

/// A decimal amount as written: a string (`"10.50"`) or, forgivingly, a JSON integer.
/// A JSON fraction is refused: it would have passed through a float.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct Decimal(pub String);

impl<'de> Deserialize<'de> for Decimal {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Decimal;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a decimal string such as \"10.50\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Decimal, E> {
                Ok(Decimal(v.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Decimal, E> {
                Ok(Decimal(v.to_string()))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Decimal, E> {
                Ok(Decimal(v.to_string()))
            }
            fn visit_f64<E: serde::de::Error>(self, _: f64) -> std::result::Result<Decimal, E> {
                Err(E::custom(
                    "write amounts as strings, like \"10.50\" (a JSON number with a fraction is inexact)",
                ))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_minutes: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_days: Option<FileDeadlineDays>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notify: Option<FileNotify>,
    /// `false` shows whole phone numbers where text leaves baohao (status, notifications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask_numbers: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_env: Vec<String>,
    #[serde(default)]
    pub numbers: Vec<FileNumber>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub import: Option<FileImport>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forwarders: Vec<FileForwarder>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbox: Option<FileInbox>,
}

/// One of `"forwarders"`: `{"id", "kind", "url"?, "secret_env"? | "user_env"/"password_env"/
/// "signing_key_env"? | "token_env"?}`. Secrets are names of environment variables.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileForwarder {
    pub id: String,
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signing_key_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_env: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fields: Option<FileWebhookFields>,
    /// Seconds one request to the phone may take (default 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// Hours without a word from the phone before `forwarder_silent` (default 24).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quiet_hours: Option<u32>,
}

/// A webhook forwarder's `"fields": {"sender"?, "message"?, "timestamp"?, "slot"?}`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileWebhookFields {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sender: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamp: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<String>,
}

/// `"inbox": {"listen": "127.0.0.1:8787"}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileInbox {
    pub listen: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_secs: Option<u64>,
}

/// A number's `"forwarder": {"id": "pixel", "slot": 1}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileForwarderRef {
    pub id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slot: Option<u8>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileImport {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csv: Option<FileCsvMapping>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileCsvMapping {
    pub date: String,
    pub amount: String,
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub date_format: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDeadlineDays {
    pub warn: u32,
    pub urgent: u32,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileNotify {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    #[serde(default)]
    pub events: Vec<String>,
    /// Push channels (Apprise-style URLs), see `crate::channels`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<FileDigest>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileDigest {
    /// `mon` … `sun`.
    pub weekday: String,
    /// `HH:MM`, in the config's time zone.
    pub at: String,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileNumber {
    pub id: String,
    pub label: String,
    pub msisdn: String,
    #[serde(default)]
    pub carrier: String,
    pub currency: String,
    #[serde(default)]
    pub plan: FilePlan,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub monthly_budget: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verify_tolerance: Option<u32>,
    pub provider: FileAction,
    pub executor: FileAction,
    #[serde(default)]
    pub rules: Vec<FileRule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reply_patterns: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub modem: Option<FileModem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forwarder: Option<FileForwarderRef>,
}

/// `"modem": {"match": "any" | IMSI | ICCID | IMEI}`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileModem {
    #[serde(rename = "match")]
    pub matches: String,
}

/// `"sms": {"to": "10086", "text": "CXHF"}`, also a keep-alive rule's `action`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSms {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    pub to: String,
    pub text: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FilePlan {
    #[serde(default)]
    pub monthly_fee: Option<Decimal>,
    #[serde(default)]
    pub validity_days: Option<u32>,
    #[serde(default)]
    pub keep_alive_days: Option<u32>,
}

/// A provider or an executor: `kind` plus the command fields when the kind is `command`,
/// or the modem fields (`ussd`, or `sms` with `reply_from`) when it is `modem`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAction {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ussd: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sms: Option<FileSms>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_from: Option<String>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRule {
    pub id: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub mode: String,
    /// Required for a recharge; a keep-alive text's cost, optional.
    #[serde(default, skip_serializing_if = "Decimal::is_empty")]
    pub amount: Decimal,
    pub trigger: FileTrigger,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_month: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub via: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirm_hours: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<FileSms>,
}

impl Decimal {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileTrigger {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub day: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub below: Option<Decimal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cooldown_hours: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub every_days: Option<u32>,
}

// ---------------------------------------------------------------- back to the file form

pub fn to_file(c: &Config) -> FileConfig {
    FileConfig {
        version: 1,
        timezone: c.timezone_name.clone(),
        refresh_minutes: Some(c.refresh_minutes),
        deadline_days: (c.deadline_days != DeadlineDays::default()).then_some(FileDeadlineDays {
            warn: c.deadline_days.warn,
            urgent: c.deadline_days.urgent,
        }),
        notify: c.notify.as_ref().map(|n| FileNotify {
            program: n.command.as_ref().map(|c| c.program.clone()),
            args: n
                .command
                .as_ref()
                .map(|c| c.args.clone())
                .unwrap_or_default(),
            timeout_secs: n.command.as_ref().map(|c| c.timeout_secs),
            events: n.events.iter().map(|e| e.as_str().to_string()).collect(),
            channels: n.channels.clone(),
            digest: n.digest.map(|d| FileDigest {
                weekday: crate::channels::digest::weekday_name(d.weekday).to_string(),
                at: d.at.format("%H:%M").to_string(),
            }),
        }),
        mask_numbers: (!c.mask_numbers).then_some(false),
        secret_env: c.secret_env.clone(),
        numbers: c.numbers.iter().map(number_to_file).collect(),
        import: c.import_csv.as_ref().map(|m| FileImport {
            csv: Some(FileCsvMapping {
                date: m.date.clone(),
                amount: m.amount.clone(),
                description: m.description.clone(),
                reference: m.reference.clone(),
                date_format: m.date_format.clone(),
                timezone: m.timezone.as_ref().map(|(name, _)| name.clone()),
            }),
        }),
        forwarders: c
            .forwarders
            .iter()
            .map(|f| FileForwarder {
                id: f.id.clone(),
                kind: f.kind.as_str().to_string(),
                url: f.url.clone(),
                secret_env: f.secret_env.clone(),
                user_env: f.user_env.clone(),
                password_env: f.password_env.clone(),
                signing_key_env: f.signing_key_env.clone(),
                token_env: f.token_env.clone(),
                fields: (f.fields != crate::model::forwarder::WebhookFields::default()).then(
                    || FileWebhookFields {
                        sender: Some(f.fields.sender.clone()),
                        message: Some(f.fields.message.clone()),
                        timestamp: Some(f.fields.timestamp.clone()),
                        slot: Some(f.fields.slot.clone()),
                    },
                ),
                timeout_secs: (f.timeout_secs != DEFAULT_FORWARDER_REQUEST_SECS)
                    .then_some(f.timeout_secs),
                quiet_hours: (f.quiet_hours != DEFAULT_QUIET_HOURS).then_some(f.quiet_hours),
            })
            .collect(),
        inbox: c.inbox.as_ref().map(|i| FileInbox {
            listen: i.listen.to_string(),
            window_secs: (i.window_secs != crate::model::forwarder::DEFAULT_WINDOW_SECS)
                .then_some(i.window_secs),
        }),
    }
}

fn forwarder_provider_to_file(f: &ForwarderProvider) -> FileAction {
    FileAction {
        kind: "forwarder".into(),
        timeout_secs: Some(f.timeout_secs),
        sms: Some(FileSms {
            kind: None,
            to: f.to.clone(),
            text: f.text.clone(),
        }),
        reply_from: Some(f.reply_from.clone()),
        ..FileAction::default()
    }
}

fn action_to_file(kind: &str, cmd: Option<&CommandSpec>) -> FileAction {
    FileAction {
        kind: kind.to_string(),
        program: cmd.map(|c| c.program.clone()),
        args: cmd.map(|c| c.args.clone()),
        timeout_secs: cmd.map(|c| c.timeout_secs),
        ..FileAction::default()
    }
}

fn modem_provider_to_file(m: &ModemProvider) -> FileAction {
    let mut a = FileAction {
        kind: "modem".into(),
        timeout_secs: Some(m.timeout_secs),
        ..FileAction::default()
    };
    match &m.query {
        ModemQuery::Ussd(code) => a.ussd = Some(code.clone()),
        ModemQuery::Sms {
            to,
            text,
            reply_from,
        } => {
            a.sms = Some(FileSms {
                kind: None,
                to: to.clone(),
                text: text.clone(),
            });
            a.reply_from = Some(reply_from.clone());
        }
    }
    a
}

fn number_to_file(n: &Number) -> FileNumber {
    let dec = |m: Money| Decimal(m.decimal());
    FileNumber {
        id: n.id.clone(),
        label: n.label.clone(),
        msisdn: n.msisdn.clone(),
        carrier: n.carrier.clone(),
        currency: n.currency.code().to_string(),
        plan: FilePlan {
            monthly_fee: n.plan.monthly_fee.map(dec),
            validity_days: n.plan.validity_days,
            keep_alive_days: n.plan.keep_alive_days,
        },
        monthly_budget: n.monthly_budget.map(dec),
        verify_tolerance: (n.verify_tolerance != DEFAULT_VERIFY_TOLERANCE)
            .then_some(n.verify_tolerance as u32),
        provider: match &n.provider {
            Provider::Command(c) => action_to_file("command", Some(c)),
            Provider::Modem(m) => modem_provider_to_file(m),
            Provider::Forwarder(f) => forwarder_provider_to_file(f),
            p => action_to_file(p.kind(), None),
        },
        executor: match &n.executor {
            Executor::Command(c) => action_to_file("command", Some(c)),
            e => action_to_file(e.kind(), None),
        },
        rules: n.rules.iter().map(rule_to_file).collect(),
        reply_patterns: n.reply_patterns.clone(),
        modem: n.modem.as_ref().map(|m| FileModem {
            matches: m.as_str().to_string(),
        }),
        forwarder: n.forwarder.as_ref().map(|f| FileForwarderRef {
            id: f.id.clone(),
            slot: f.slot,
        }),
    }
}

pub fn rule_to_file(r: &Rule) -> FileRule {
    let mut t = FileTrigger {
        kind: r.trigger.kind().as_str().to_string(),
        ..FileTrigger::default()
    };
    match &r.trigger {
        Trigger::Monthly { day, at } => {
            t.day = Some(match day {
                MonthDay::Day(d) => serde_json::Value::from(*d),
                MonthDay::Last => serde_json::Value::from("last"),
            });
            t.at = Some(at.format("%H:%M").to_string());
        }
        Trigger::LowBalance {
            below,
            cooldown_hours,
        } => {
            t.below = Some(Decimal(below.decimal()));
            t.cooldown_hours = Some(*cooldown_hours);
        }
        Trigger::BeforeExpiry { days } => t.days = Some(*days),
        Trigger::KeepAlive { every_days } => t.every_days = Some(*every_days),
    }
    FileRule {
        id: r.id.clone(),
        enabled: r.enabled,
        mode: r.mode.as_str().to_string(),
        amount: if r.action.is_some() && r.amount.minor == 0 {
            Decimal::default()
        } else {
            Decimal(r.amount.decimal())
        },
        trigger: t,
        max_per_month: r.max_per_month,
        via: r.via.clone(),
        confirm_hours: r.confirm_hours,
        action: r.action.as_deref().map(action_to_file_sms),
    }
}

pub fn action_to_file_sms(a: &SmsAction) -> FileSms {
    FileSms {
        kind: Some("sms".into()),
        to: a.to.clone(),
        text: a.text.clone(),
    }
}

/// The config as the file holds it: pretty JSON, two-space indent, a final newline.
pub fn render(c: &Config) -> String {
    let mut value = serde_json::to_value(to_file(c)).unwrap_or_default();
    // `since` is read beside serde (see `strict.rs`); it goes back after the number's fields.
    if let Some(numbers) = value.get_mut("numbers").and_then(|v| v.as_array_mut()) {
        for (v, n) in numbers.iter_mut().zip(&c.numbers) {
            if let (Some(obj), Some(d)) = (v.as_object_mut(), n.since) {
                let rules = obj.shift_remove("rules");
                obj.insert("since".into(), d.format("%Y-%m-%d").to_string().into());
                if let Some(r) = rules {
                    obj.insert("rules".into(), r);
                }
            }
        }
    }
    let mut s = serde_json::to_string_pretty(&value).unwrap_or_default();
    s.push('\n');
    s
}
