//! The concrete forms: a number (with carrier presets), a rule (with a live preview of its
//! next five dates), a manual top-up, a balance reading, an activity. Validation goes through
//! the config validator, so a form refuses exactly what a hand-edited config would.

mod channel;
mod draw;
mod number;
mod rule;
mod settings;

pub use channel::*;
pub use number::*;
pub use rule::*;
pub use settings::*;

use chrono::{DateTime, Utc};

use crate::engine::State;
use crate::home::presets::{self};
use crate::i18n::T;
use crate::model::{Config, Money, Number, Rule, TriggerKind};
use crate::store::config::Decimal;
use crate::tr;
use crate::tui::form::{Field, FieldId, Form};
use crate::tui::operation::Operation;

/// What a form is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    AddNumber,
    EditNumber(String),
    AddRule,
    EditRule {
        number: String,
        rule: String,
    },
    TopUp(String),
    Balance(String),
    Activity(String),
    /// A statement or texts file to import (History's `i`).
    Import,
    /// The home-wide settings (`,`).
    Settings,
    /// A push channel to add, over the settings form.
    AddChannel,
}

#[derive(Clone, Debug)]
pub struct OpenForm {
    pub purpose: Purpose,
    pub form: Form,
    /// Rules a preset brings to a new number.
    pub preset_rules: Vec<Rule>,
    /// Esc was pressed with unsaved edits: asking whether to discard them.
    pub confirm_discard: bool,
    /// What a preset filled in, field by field (replaced by the next preset, or cleared by
    /// `‹ none ›`, unless edited).
    pub preset_fill: Option<Vec<(crate::tui::form::FieldId, String)>>,
    /// What the form opened on, so that saving writes only what the person changed.
    pub original: Original,
    /// The push channels' part of Settings and of the add-a-channel form.
    pub channels: ChannelsPart,
}

/// What the settings form and the add-a-channel form keep of push channels.
#[derive(Clone, Debug, Default)]
pub struct ChannelsPart {
    /// The form this one was opened over (Settings under an add-a-channel form): it comes
    /// back when this one is saved or cancelled.
    pub parent: Option<Box<OpenForm>>,
    /// `d` was pressed on this channel (the URL as the config has it): asking y/n.
    pub confirm_delete: Option<String>,
    /// The last test sent from this form: the URL tried, and the answer once it came.
    pub test: Option<(String, Option<Result<(), String>>)>,
    /// The channel form edits this channel (its URL as the config has it) rather than
    /// adding one: saving replaces it where it stands.
    pub editing: Option<String>,
}

/// The number or rule an edit form opened on.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Original {
    #[default]
    None,
    Number(Box<Number>),
    Rule(Rule),
    Settings(Box<Settings>),
}

/// A valid form's result, ready to save.
#[derive(Clone, Debug, PartialEq)]
pub enum Built {
    Number(Number),
    Rule {
        number: String,
        rule: Rule,
    },
    /// A top-up, a balance or an activity: appended to the log as it is.
    Op(Operation),
    Import {
        path: String,
        format: Option<crate::import::Format>,
        number: Option<String>,
        /// A zipped statement's password, as typed (never shown, never written).
        password: Option<String>,
    },
    Settings(Box<Settings>),
    /// A push channel's URL, to add to `notify.channels`.
    Channel(String),
}

fn opts(pairs: &[(&str, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(v, l)| (v.to_string(), l.clone()))
        .collect()
}

fn yes_no() -> Vec<(String, String)> {
    opts(&[("yes", tr!(T::Yes)), ("no", tr!(T::No))])
}

fn money_text(m: Option<Money>) -> String {
    m.map(|m| m.decimal()).unwrap_or_default()
}

fn num_text(n: Option<u32>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

/// An amount's placeholder: the currency and an example, so an empty field reads as a hint.
fn amount_hint(currency: crate::model::Currency) -> String {
    let example = Money::new(10 * 10_i64.pow(currency.exponent()), currency);
    tr!(T::HintAmountIn, currency.code(), example.decimal())
}

pub fn topup_form(number: &Number, state: &State) -> OpenForm {
    // The newest standing reminder tells what is owed: it is the one a top-up settles,
    // raised with today's amount.
    let owed = state.number(&number.id).and_then(|ns| {
        crate::engine::reminders::standing(ns, number)
            .max_by_key(|(_, a)| a.at)
            .map(|(k, _)| Money::new(k.amount_minor, k.currency))
    });
    let fields = vec![
        Field::text(FieldId::Amount, tr!(T::FieldAmount), &money_text(owed))
            .with_hint(amount_hint(number.currency)),
        Field::text(FieldId::When, tr!(T::FieldWhen), "").with_hint(tr!(T::HintWhen)),
        Field::text(FieldId::Note, tr!(T::FieldNote), "").with_hint(tr!(T::HintOptional)),
    ];
    let mut form = Form::new(tr!(T::FormTopUp, number.label), fields);
    if owed.is_some() {
        form.notes.push(tr!(T::FormTopUpSettles));
    }
    OpenForm {
        purpose: Purpose::TopUp(number.id.clone()),
        form,
        preset_rules: Vec::new(),
        confirm_discard: false,
        channels: Default::default(),
        preset_fill: None,
        original: Original::None,
    }
}

pub fn balance_form(number: &Number) -> OpenForm {
    let fields = vec![
        Field::text(FieldId::Amount, tr!(T::FieldBalance), "")
            .with_hint(amount_hint(number.currency)),
        Field::text(FieldId::ValidUntil, tr!(T::FieldValidUntil), "")
            .with_hint("YYYY-MM-DD".into()),
    ];
    OpenForm {
        purpose: Purpose::Balance(number.id.clone()),
        form: Form::new(tr!(T::FormBalance, number.label), fields),
        preset_rules: Vec::new(),
        confirm_discard: false,
        channels: Default::default(),
        preset_fill: None,
        original: Original::None,
    }
}

pub fn activity_form(number: &Number) -> OpenForm {
    let fields =
        vec![Field::text(FieldId::Note, tr!(T::FieldNote), "").with_hint(tr!(T::HintActivity))];
    OpenForm {
        purpose: Purpose::Activity(number.id.clone()),
        form: Form::new(tr!(T::FormActivity, number.label), fields),
        preset_rules: Vec::new(),
        confirm_discard: false,
        channels: Default::default(),
        preset_fill: None,
        original: Original::None,
    }
}

/// A file to import: its path, its format (detected unless chosen) and the number its
/// top-ups or texts belong to (found in each row unless chosen).
pub fn import_form(config: &Config) -> OpenForm {
    let mut formats = vec![("".to_string(), tr!(T::ImportFormatDetect))];
    formats.extend(
        ["alipay", "wechat", "csv", "sms"]
            .iter()
            .map(|f| (f.to_string(), crate::text::labels::platform_name(f))),
    );
    let mut numbers = vec![("".to_string(), tr!(T::ImportNumberFromRows))];
    numbers.extend(
        config
            .numbers
            .iter()
            .map(|n| (n.id.clone(), format!("{} ({})", n.label, n.id))),
    );
    let fields = vec![
        Field::text(FieldId::Path, tr!(T::FieldPath), "").with_hint(tr!(T::HintImportPath)),
        Field::choice(FieldId::Format, tr!(T::FieldFormat), formats, ""),
        Field::choice(FieldId::Number, tr!(T::FieldNumber), numbers, ""),
        Field::text(FieldId::Password, tr!(T::FieldZipPassword), "")
            .masked()
            .with_hint(tr!(T::HintZipPassword)),
    ];
    let mut form = Form::new(tr!(T::FormImport), fields);
    form.notes.push(tr!(T::FormImportNote));
    OpenForm {
        purpose: Purpose::Import,
        form,
        preset_rules: Vec::new(),
        confirm_discard: false,
        channels: Default::default(),
        preset_fill: None,
        original: Original::None,
    }
}

/// Shows the fields the current choices call for.
pub fn arrange(of: &mut OpenForm) {
    let f = &mut of.form;
    match of.purpose {
        Purpose::AddNumber | Purpose::EditNumber(_) => {
            let p = f.get(FieldId::ProviderKind) == "command";
            let e = f.get(FieldId::ExecutorKind) == "command";
            f.show(FieldId::ProviderProgram, p);
            f.show(FieldId::ProviderArgs, p);
            f.show(FieldId::ProviderTimeout, p);
            f.show(FieldId::ExecutorProgram, e);
            f.show(FieldId::ExecutorArgs, e);
            f.show(FieldId::ExecutorTimeout, e);
            let host = f.get(FieldId::SimHost).to_string();
            f.show(FieldId::ModemMatch, host == "modem");
            f.show(FieldId::Slot, host.starts_with(number::FORWARDER));
        }
        Purpose::AddRule | Purpose::EditRule { .. } => {
            let kind = TriggerKind::parse(f.get(FieldId::Kind)).unwrap_or(TriggerKind::Monthly);
            f.show(FieldId::Day, kind == TriggerKind::Monthly);
            f.show(FieldId::At, kind == TriggerKind::Monthly);
            f.show(FieldId::Below, kind == TriggerKind::LowBalance);
            f.show(FieldId::Cooldown, kind == TriggerKind::LowBalance);
            f.show(FieldId::Days, kind == TriggerKind::BeforeExpiry);
            f.show(FieldId::EveryDays, kind == TriggerKind::KeepAlive);
            let external = f.get(FieldId::Mode) == crate::model::Mode::External.as_str();
            f.show(FieldId::Via, external);
            f.show(FieldId::ConfirmHours, external);
            f.set_hint(FieldId::ConfirmHours, Some(confirm_hint(kind)));
        }
        Purpose::AddChannel => arrange_channel(of),
        _ => {}
    }
}

/// Reacts to a changed field: a preset fills the plan; a new rule's kind suggests its id.
pub fn changed(of: &mut OpenForm, field: FieldId, config: &Config) {
    match (field, &of.purpose) {
        (FieldId::Preset, Purpose::AddNumber) => {
            let chosen = of.form.get(FieldId::Preset).to_string();
            let preset = presets::all().into_iter().find(|p| p.id == chosen);
            apply_preset(of, preset.as_ref());
        }
        (FieldId::Currency, Purpose::AddNumber | Purpose::EditNumber(_)) => {
            let hint = msisdn_example(of.form.get(FieldId::Currency));
            of.form.set_hint(FieldId::Msisdn, Some(hint));
        }
        (FieldId::Kind, Purpose::AddRule) => {
            let kind = of.form.get(FieldId::Kind).to_string();
            if let Some(n) = config.number(of.form.get(FieldId::Number)) {
                let current = of.form.get(FieldId::Id).to_string();
                let generated = TriggerKind::ALL
                    .iter()
                    .any(|k| current.starts_with(k.as_str()))
                    || current.is_empty();
                if generated {
                    of.form.set(FieldId::Id, &fresh_rule_id(n, &kind));
                }
            }
        }
        _ => {}
    }
    arrange(of);
}

fn opt_decimal(s: &str) -> Option<Decimal> {
    let s = s.trim();
    (!s.is_empty()).then(|| Decimal(s.to_string()))
}

/// A whole number field: empty is `None`; anything else must be digits.
fn opt_u32(form: &mut Form, id: FieldId) -> Result<Option<u32>, ()> {
    let s = form.get(id).trim().to_string();
    if s.is_empty() {
        return Ok(None);
    }
    match s.parse::<u32>() {
        Ok(v) => Ok(Some(v)),
        Err(_) => {
            form.set_error(id, Some(tr!(T::NotWholeNumber, s)));
            Err(())
        }
    }
}

/// Maps a validator path (`plan.monthly_fee`, `rules[0].trigger.day`) to its field.
fn field_of(path: &str) -> Option<FieldId> {
    let tail = path.rsplit_once("].").map_or(path, |(_, t)| t);
    Some(match tail {
        "id" => FieldId::Id,
        "label" => FieldId::Label,
        "msisdn" => FieldId::Msisdn,
        "carrier" => FieldId::Carrier,
        "currency" => FieldId::Currency,
        "plan.monthly_fee" => FieldId::MonthlyFee,
        "plan.validity_days" => FieldId::ValidityDays,
        "plan.keep_alive_days" => FieldId::KeepAliveDays,
        "monthly_budget" => FieldId::Budget,
        "provider.kind" => FieldId::ProviderKind,
        "provider.program" | "provider.timeout_secs" => FieldId::ProviderProgram,
        "executor.kind" => FieldId::ExecutorKind,
        "executor.program" | "executor.timeout_secs" => FieldId::ExecutorProgram,
        "mode" => FieldId::Mode,
        "amount" => FieldId::Amount,
        "max_per_month" => FieldId::MaxPerMonth,
        "trigger.day" => FieldId::Day,
        "trigger.at" => FieldId::At,
        "trigger.below" => FieldId::Below,
        "trigger.cooldown_hours" => FieldId::Cooldown,
        "trigger.days" => FieldId::Days,
        "trigger.every_days" => FieldId::EveryDays,
        "via" => FieldId::Via,
        "confirm_hours" => FieldId::ConfirmHours,
        "forwarder" | "forwarder.id" => FieldId::SimHost,
        "forwarder.slot" => FieldId::Slot,
        "modem" | "modem.match" => FieldId::ModemMatch,
        _ => return None,
    })
}

/// Checks the form, marking each problem beside its field; the built value if all is well.
pub fn validate(
    of: &mut OpenForm,
    config: &Config,
    state: &State,
    now: DateTime<Utc>,
) -> Option<Built> {
    of.form.clear_errors();
    let built = match of.purpose.clone() {
        Purpose::AddNumber | Purpose::EditNumber(_) => validate_number(of, config, state, now),
        Purpose::AddRule | Purpose::EditRule { .. } => validate_rule(of, config, state, now),
        Purpose::TopUp(id) => {
            let n = config.number(&id)?;
            // The day it went in, as `record --at` reads it (empty: now).
            let when = of.form.get(FieldId::When).trim().to_string();
            let at = if when.is_empty() {
                None
            } else {
                match crate::text::input::when(Some(&when), config.timezone, now) {
                    Ok(at) => Some(at),
                    Err(e) => {
                        of.form.set_error(FieldId::When, Some(e.to_string()));
                        None
                    }
                }
            };
            match Money::parse(of.form.get(FieldId::Amount), n.currency) {
                Ok(m) if m.minor > 0 => Some(Built::Op(Operation::TopUp {
                    number: id,
                    amount: m,
                    note: note(&of.form),
                    at,
                })),
                Ok(_) => {
                    of.form
                        .set_error(FieldId::Amount, Some(tr!(T::CfgZeroAmount)));
                    None
                }
                Err(e) => {
                    of.form.set_error(FieldId::Amount, Some(e.to_string()));
                    None
                }
            }
        }
        Purpose::Balance(id) => {
            let n = config.number(&id)?;
            let amount = Money::parse_signed(of.form.get(FieldId::Amount), n.currency)
                .map_err(|e| of.form.set_error(FieldId::Amount, Some(e.to_string())));
            let v = of.form.get(FieldId::ValidUntil).trim().to_string();
            let validity = if v.is_empty() {
                Ok(None)
            } else {
                crate::text::format::parse_date(&v)
                    .map(Some)
                    .ok_or_else(|| {
                        of.form
                            .set_error(FieldId::ValidUntil, Some(tr!(T::BadDate, "", v)))
                    })
            };
            match (amount, validity) {
                (Ok(amount), Ok(validity)) => Some(Built::Op(Operation::Balance {
                    number: id,
                    amount,
                    validity,
                })),
                _ => None,
            }
        }
        Purpose::Activity(id) => Some(Built::Op(Operation::Activity {
            number: id,
            note: note(&of.form),
        })),
        Purpose::Settings => validate_settings(of),
        Purpose::AddChannel => validate_channel(of, config),
        Purpose::Import => {
            let path = of.form.get(FieldId::Path).trim().to_string();
            if path.is_empty() {
                of.form.set_error(FieldId::Path, Some(tr!(T::ImportNoPath)));
                None
            } else {
                let number =
                    Some(of.form.get(FieldId::Number).to_string()).filter(|n| !n.is_empty());
                let password =
                    Some(of.form.get(FieldId::Password).to_string()).filter(|p| !p.is_empty());
                Some(Built::Import {
                    path,
                    format: crate::import::Format::parse(of.form.get(FieldId::Format)),
                    number,
                    password,
                })
            }
        }
    };
    if of.form.has_errors() { None } else { built }
}

fn note(form: &Form) -> Option<String> {
    let s = form.get(FieldId::Note).trim();
    (!s.is_empty()).then(|| s.to_string())
}
