//! Recharge rules: a trigger, an amount and a mode, plus how to say one in words.
//! Pure data; when a rule fires is the engine's business.

use chrono::NaiveTime;

use crate::i18n::T;
use crate::model::money::Money;
use crate::tr;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Runs the number's executor.
    Auto,
    /// Only raises a due item that a manual top-up settles.
    Remind,
    /// Someone else runs it (`via`): baohao only expects the recharge and looks for
    /// evidence of it (a balance rise, a statement row, a top-up text).
    External,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Auto => "auto",
            Mode::Remind => "remind",
            Mode::External => "external",
        }
    }

    pub fn parse(s: &str) -> Option<Mode> {
        match s {
            "auto" => Some(Mode::Auto),
            "remind" => Some(Mode::Remind),
            "external" => Some(Mode::External),
            _ => None,
        }
    }

    pub fn label(self) -> String {
        match self {
            Mode::Auto => tr!(T::ModeAuto),
            Mode::Remind => tr!(T::ModeRemind),
            Mode::External => tr!(T::ModeExternal),
        }
    }
}

/// The day of the month a monthly rule fires on; days past the month's end clamp to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MonthDay {
    Day(u8),
    Last,
}

impl MonthDay {
    pub fn label(self) -> String {
        match self {
            MonthDay::Day(d) => d.to_string(),
            MonthDay::Last => "last".to_string(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Trigger {
    Monthly { day: MonthDay, at: NaiveTime },
    LowBalance { below: Money, cooldown_hours: u32 },
    BeforeExpiry { days: u32 },
    KeepAlive { every_days: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TriggerKind {
    Monthly,
    LowBalance,
    BeforeExpiry,
    KeepAlive,
}

impl TriggerKind {
    pub const ALL: [TriggerKind; 4] = [
        TriggerKind::Monthly,
        TriggerKind::LowBalance,
        TriggerKind::BeforeExpiry,
        TriggerKind::KeepAlive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TriggerKind::Monthly => "monthly",
            TriggerKind::LowBalance => "low_balance",
            TriggerKind::BeforeExpiry => "before_expiry",
            TriggerKind::KeepAlive => "keep_alive",
        }
    }

    pub fn parse(s: &str) -> Option<TriggerKind> {
        TriggerKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    pub fn label(self) -> String {
        match self {
            TriggerKind::Monthly => tr!(T::KindMonthly),
            TriggerKind::LowBalance => tr!(T::KindLowBalance),
            TriggerKind::BeforeExpiry => tr!(T::KindBeforeExpiry),
            TriggerKind::KeepAlive => tr!(T::KindKeepAlive),
        }
    }

    /// Whether the rule's dates depend on a balance or validity forecast.
    pub(crate) fn is_estimated(self) -> bool {
        matches!(self, TriggerKind::LowBalance | TriggerKind::BeforeExpiry)
    }
}

impl Trigger {
    pub fn kind(&self) -> TriggerKind {
        match self {
            Trigger::Monthly { .. } => TriggerKind::Monthly,
            Trigger::LowBalance { .. } => TriggerKind::LowBalance,
            Trigger::BeforeExpiry { .. } => TriggerKind::BeforeExpiry,
            Trigger::KeepAlive { .. } => TriggerKind::KeepAlive,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub enabled: bool,
    pub mode: Mode,
    pub amount: Money,
    pub trigger: Trigger,
    /// At most this many charges by this rule in one calendar month (a guard, optional).
    pub max_per_month: Option<u32>,
    /// Who runs an `external` rule ("支付宝自动充值", "carrier website").
    pub via: Option<String>,
    /// Hours after the due time within which evidence of an external recharge must appear.
    pub confirm_hours: Option<u32>,
    /// A keep-alive rule's own action (a text through the modem) instead of the executor.
    pub action: Option<Box<crate::model::modem::SmsAction>>,
}

impl Rule {
    /// How long evidence of an external recharge may take before it counts as missed:
    /// `confirm_hours`, else 24 h for low_balance and 48 h for the calendar triggers.
    pub fn confirm_hours(&self) -> u32 {
        self.confirm_hours
            .unwrap_or_else(|| default_confirm_hours(self.trigger.kind()))
    }

    /// The rule in words: "on the 5th of each month at 09:00, top up ¥10.00".
    pub fn describe(&self) -> String {
        let what = self.describe_trigger();
        match (&self.via, self.mode) {
            (Some(via), Mode::External) => tr!(T::DescVia, what, via),
            _ => what,
        }
    }

    fn describe_trigger(&self) -> String {
        let amount = self.amount.display();
        match &self.trigger {
            Trigger::Monthly { day, at } => {
                let at = at.format("%H:%M").to_string();
                match day {
                    MonthDay::Last => tr!(T::DescMonthlyLast, at, amount),
                    MonthDay::Day(d) => tr!(T::DescMonthly, ordinal(*d as u32), at, amount),
                }
            }
            Trigger::LowBalance { below, .. } => tr!(T::DescLowBalance, below.display(), amount),
            Trigger::BeforeExpiry { days } => tr!(T::DescBeforeExpiry, days, amount),
            Trigger::KeepAlive { every_days } => tr!(T::DescKeepAlive, every_days, amount),
        }
    }
}

/// The default evidence window of an external rule by trigger kind.
pub fn default_confirm_hours(kind: TriggerKind) -> u32 {
    match kind {
        TriggerKind::LowBalance => 24,
        _ => 48,
    }
}

/// "1st", "2nd", "23rd" in English; "5日" in Chinese.
pub(crate) fn ordinal(n: u32) -> String {
    match crate::i18n::lang() {
        crate::i18n::Lang::Zh => format!("{n}日"),
        crate::i18n::Lang::En => {
            let suffix = match (n % 10, n % 100) {
                (_, 11..=13) => "th",
                (1, _) => "st",
                (2, _) => "nd",
                (3, _) => "rd",
                _ => "th",
            };
            format!("{n}{suffix}")
        }
    }
}
