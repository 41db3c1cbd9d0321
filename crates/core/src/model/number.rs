//! A SIM line and what baohao knows how to do with it: its plan, provider and executor.
//! Validated data only; reading and writing the config file is `store::config`'s job.

use chrono_tz::Tz;

use crate::model::money::{Currency, Money};
use crate::model::rule::Rule;

#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Plan {
    pub monthly_fee: Option<Money>,
    /// Each successful recharge extends validity to at least its date plus this many days.
    pub validity_days: Option<u32>,
    /// The carrier reclaims the number after this many days without activity.
    pub keep_alive_days: Option<u32>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CommandSpec {
    pub program: String,
    pub args: Vec<String>,
    pub timeout_secs: u64,
}

pub const DEFAULT_TIMEOUT_SECS: u64 = 30;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Provider {
    /// The person types balances.
    Manual,
    Command(CommandSpec),
    /// A simulated balance that drains by the plan's monthly fee.
    Demo,
    /// USSD or a query text through the number's modem (ModemManager).
    Modem(Box<crate::model::modem::ModemProvider>),
    /// A query text through the number's forwarder (a phone or a board), its reply awaited.
    Forwarder(Box<crate::model::forwarder::ForwarderProvider>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Executor {
    /// Intents become due reminders that a manual top-up settles.
    Remind,
    Command(CommandSpec),
    Demo,
}

impl Provider {
    pub fn kind(&self) -> &'static str {
        match self {
            Provider::Manual => "manual",
            Provider::Command(_) => "command",
            Provider::Demo => "demo",
            Provider::Modem(_) => "modem",
            Provider::Forwarder(_) => "forwarder",
        }
    }
}

impl Executor {
    pub fn kind(&self) -> &'static str {
        match self {
            Executor::Remind => "remind",
            Executor::Command(_) => "command",
            Executor::Demo => "demo",
        }
    }

    /// Whether this executor can actually charge (and so an `auto` rule really is automatic).
    pub fn charges(&self) -> bool {
        !matches!(self, Executor::Remind)
    }
}

pub const DEFAULT_VERIFY_TOLERANCE: u8 = 10;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Number {
    pub id: String,
    pub label: String,
    pub msisdn: String,
    pub carrier: String,
    pub currency: Currency,
    pub plan: Plan,
    pub monthly_budget: Option<Money>,
    /// Percent a verifying balance rise may fall short of the amount.
    pub verify_tolerance: u8,
    pub provider: Provider,
    pub executor: Executor,
    pub rules: Vec<Rule>,
    /// Regexes (named groups `balance`, `amount`, `valid_until`) for this number's texts
    /// and USSD replies, tried before the carrier's patterns. Checked when loaded.
    pub reply_patterns: Vec<String>,
    /// The modem holding this SIM, for modem providers and keep-alive texts.
    pub modem: Option<Box<crate::model::modem::ModemMatch>>,
    /// The forwarder holding this SIM (never together with `modem`).
    pub forwarder: Option<Box<crate::model::forwarder::ForwarderRef>>,
    /// When the number was last used or topped up before baohao knew it (or the day it was
    /// added): keep-alive counts from here until the log says more, and a monthly rule
    /// whose day had passed in that month starts with the next one.
    pub since: Option<chrono::NaiveDate>,
}

impl Number {
    pub fn rule(&self, id: &str) -> Option<&Rule> {
        self.rules.iter().find(|r| r.id == id)
    }

    /// Masked after the real country code: `+852 •••• 4567` (see `phone::mask`).
    pub fn masked_msisdn(&self) -> String {
        mask_msisdn(&self.msisdn)
    }
}

pub fn mask_msisdn(msisdn: &str) -> String {
    crate::model::phone::mask(msisdn)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NotifyEvent {
    ReminderDue,
    RechargeFailed,
    InDoubt,
    LowBalance,
    DeadlineNear,
    Unverified,
    /// An external recharge showed no evidence by its deadline.
    ExternalMissed,
    /// Two pieces of evidence for one expected external recharge.
    DuplicateCharge,
    /// The clock is behind the newest time baohao wrote: recharges wait (issue 18).
    ClockBehind,
    /// A forwarder holding the number's SIM has not been heard for its `quiet_hours`.
    ForwarderSilent,
}

impl NotifyEvent {
    pub const ALL: [NotifyEvent; 10] = [
        NotifyEvent::ReminderDue,
        NotifyEvent::RechargeFailed,
        NotifyEvent::InDoubt,
        NotifyEvent::LowBalance,
        NotifyEvent::DeadlineNear,
        NotifyEvent::Unverified,
        NotifyEvent::ExternalMissed,
        NotifyEvent::DuplicateCharge,
        NotifyEvent::ClockBehind,
        NotifyEvent::ForwarderSilent,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotifyEvent::ReminderDue => "reminder_due",
            NotifyEvent::RechargeFailed => "recharge_failed",
            NotifyEvent::InDoubt => "in_doubt",
            NotifyEvent::LowBalance => "low_balance",
            NotifyEvent::DeadlineNear => "deadline_near",
            NotifyEvent::Unverified => "unverified",
            NotifyEvent::ExternalMissed => "external_missed",
            NotifyEvent::DuplicateCharge => "duplicate_charge",
            NotifyEvent::ClockBehind => "clock_behind",
            NotifyEvent::ForwarderSilent => "forwarder_silent",
        }
    }

    pub fn parse(s: &str) -> Option<NotifyEvent> {
        NotifyEvent::ALL.into_iter().find(|e| e.as_str() == s)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notify {
    /// The command notifier (`notify.program`), if any.
    pub command: Option<CommandSpec>,
    /// Push channels, as written (Apprise-style URLs; `${NAME}` is expanded when sending,
    /// see `baohao::channels`).
    pub channels: Vec<String>,
    pub events: Vec<NotifyEvent>,
    /// The weekly digest sent through the channels, if asked for.
    pub digest: Option<Digest>,
}

/// When the weekly digest goes out, in the config's time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Digest {
    pub weekday: chrono::Weekday,
    pub at: chrono::NaiveTime,
}

/// When a deadline turns amber (`warn`) and red (`urgent`), in days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DeadlineDays {
    pub warn: u32,
    pub urgent: u32,
}

impl Default for DeadlineDays {
    fn default() -> Self {
        DeadlineDays {
            warn: 30,
            urgent: 7,
        }
    }
}

pub const DEFAULT_REFRESH_MINUTES: u32 = 60;

#[derive(Clone, Debug, PartialEq)]
pub struct Config {
    /// As written in the file; `None` means the system's zone.
    pub timezone_name: Option<String>,
    pub timezone: Tz,
    pub refresh_minutes: u32,
    pub notify: Option<Notify>,
    pub deadline_days: DeadlineDays,
    /// Whether text that leaves baohao (status table, notifications) masks phone numbers.
    pub mask_numbers: bool,
    pub numbers: Vec<Number>,
    /// How `import --format csv` reads a statement baohao has no importer for.
    pub import_csv: Option<CsvMapping>,
    /// Environment variables whose values are secret besides the usual names (see
    /// `crate::secrets`): never logged or shown.
    pub secret_env: Vec<String>,
    /// Phones and boards that host SIMs and post their texts to the inbox.
    pub forwarders: Vec<crate::model::forwarder::Forwarder>,
    /// Where the worker takes the forwarders' webhooks; `None`: it does not listen.
    pub inbox: Option<crate::model::forwarder::Inbox>,
}

/// Column names of a generic CSV statement, and how its dates are written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CsvMapping {
    pub date: String,
    pub amount: String,
    pub description: String,
    pub reference: Option<String>,
    /// A chrono format, like `%d/%m/%Y` or `%Y-%m-%d %H:%M:%S`.
    pub date_format: String,
    /// The zone the statement's times are written in (`None`: the config's own zone).
    pub timezone: Option<(String, Tz)>,
}

impl Config {
    pub fn empty(timezone_name: Option<String>, timezone: Tz) -> Config {
        Config {
            timezone_name,
            timezone,
            refresh_minutes: DEFAULT_REFRESH_MINUTES,
            notify: None,
            deadline_days: DeadlineDays::default(),
            mask_numbers: true,
            numbers: Vec::new(),
            import_csv: None,
            secret_env: Vec::new(),
            forwarders: Vec::new(),
            inbox: None,
        }
    }

    pub fn number(&self, id: &str) -> Option<&Number> {
        self.numbers.iter().find(|n| n.id == id)
    }
}
