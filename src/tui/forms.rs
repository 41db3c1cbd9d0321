//! The concrete forms: a number (with carrier presets), a rule (with a live preview of its
//! next five dates), a manual top-up, a balance reading, an activity. Validation goes through
//! the config validator, so a form refuses exactly what a hand-edited config would.

use chrono::{DateTime, NaiveDate, Utc};

use crate::cli::format::local_minute;
use crate::cli::presets::{self, Preset};
use crate::engine::{State, forecast};
use crate::i18n::T;
use crate::model::number::DEFAULT_TIMEOUT_SECS;
use crate::model::{Config, Executor, Mode, Money, Number, Provider, Rule, Trigger, TriggerKind};
use crate::store::config::{
    Decimal, FileAction, FileNumber, FilePlan, FileRule, FileTrigger, number_from_file,
    rule_to_file,
};
use crate::tr;
use crate::tui::form::{Field, FieldId, Form};

/// What a form is for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Purpose {
    AddNumber,
    EditNumber(String),
    AddRule,
    EditRule { number: String, rule: String },
    TopUp(String),
    Balance(String),
    Activity(String),
}

#[derive(Clone, Debug)]
pub struct OpenForm {
    pub purpose: Purpose,
    pub form: Form,
    /// Rules a preset brings to a new number.
    pub preset_rules: Vec<Rule>,
    /// Esc was pressed with unsaved edits: asking whether to discard them.
    pub confirm_discard: bool,
    /// The id and label a preset filled in (replaced by the next preset unless edited).
    pub preset_fill: Option<(String, String)>,
}

/// A valid form's result, ready to save.
#[derive(Clone, Debug, PartialEq)]
pub enum Built {
    Number(Number),
    Rule {
        number: String,
        rule: Rule,
    },
    TopUp {
        number: String,
        amount: Money,
        note: Option<String>,
    },
    Balance {
        number: String,
        amount: Money,
        validity: Option<NaiveDate>,
    },
    Activity {
        number: String,
        note: Option<String>,
    },
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

fn provider_kinds() -> Vec<(String, String)> {
    opts(&[
        ("manual", tr!(T::ProviderManual)),
        ("command", tr!(T::KindCommand)),
        ("demo", tr!(T::KindDemo)),
    ])
}

fn executor_kinds() -> Vec<(String, String)> {
    opts(&[
        ("remind", tr!(T::ExecutorRemindLabel)),
        ("command", tr!(T::KindCommand)),
        ("demo", tr!(T::KindDemo)),
    ])
}

fn money_text(m: Option<Money>) -> String {
    m.map(|m| m.decimal()).unwrap_or_default()
}

fn num_text(n: Option<u32>) -> String {
    n.map(|n| n.to_string()).unwrap_or_default()
}

pub fn number_form(editing: Option<&Number>) -> OpenForm {
    let n = editing;
    let (pk, pprog, pargs) = match n.map(|n| &n.provider) {
        Some(Provider::Command(c)) => ("command", c.program.clone(), c.args.join(" ")),
        Some(p) => (p.kind(), String::new(), String::new()),
        None => ("manual", String::new(), String::new()),
    };
    let (ek, eprog, eargs) = match n.map(|n| &n.executor) {
        Some(Executor::Command(c)) => ("command", c.program.clone(), c.args.join(" ")),
        Some(e) => (e.kind(), String::new(), String::new()),
        None => ("remind", String::new(), String::new()),
    };
    let mut fields = Vec::new();
    if n.is_none() {
        let mut options = vec![("".to_string(), tr!(T::PresetNone))];
        options.extend(presets::all().into_iter().map(|p| (p.id, p.name)));
        fields.push(Field::choice(
            FieldId::Preset,
            tr!(T::FieldPreset),
            options,
            "",
        ));
    }
    let id = Field::text(FieldId::Id, tr!(T::FieldId), n.map_or("", |n| &n.id))
        .with_hint(tr!(T::HintSlug));
    fields.push(if n.is_some() { id.locked() } else { id });
    fields.extend([
        Field::text(
            FieldId::Label,
            tr!(T::FieldLabel),
            n.map_or("", |n| &n.label),
        ),
        Field::text(
            FieldId::Msisdn,
            tr!(T::FieldMsisdn),
            n.map_or("", |n| &n.msisdn),
        )
        .with_hint("+447700900123".into()),
        Field::text(
            FieldId::Carrier,
            tr!(T::FieldCarrier),
            n.map_or("", |n| &n.carrier),
        ),
        Field::text(
            FieldId::Currency,
            tr!(T::FieldCurrency),
            n.map_or("", |n| n.currency.code()),
        )
        .with_hint("CNY GBP HKD USD …".into()),
        Field::text(
            FieldId::MonthlyFee,
            tr!(T::FieldMonthlyFee),
            &money_text(n.and_then(|n| n.plan.monthly_fee)),
        )
        .with_hint(tr!(T::HintOptional)),
        Field::text(
            FieldId::ValidityDays,
            tr!(T::FieldValidityDays),
            &num_text(n.and_then(|n| n.plan.validity_days)),
        )
        .with_hint(tr!(T::HintValidityDays)),
        Field::text(
            FieldId::KeepAliveDays,
            tr!(T::FieldKeepAliveDays),
            &num_text(n.and_then(|n| n.plan.keep_alive_days)),
        )
        .with_hint(tr!(T::HintKeepAliveDays)),
        Field::text(
            FieldId::Budget,
            tr!(T::FieldBudget),
            &money_text(n.and_then(|n| n.monthly_budget)),
        )
        .with_hint(tr!(T::HintOptional)),
        Field::choice(
            FieldId::ProviderKind,
            tr!(T::FieldProvider),
            provider_kinds(),
            pk,
        ),
        Field::text(FieldId::ProviderProgram, tr!(T::FieldProgram), &pprog)
            .with_hint("/usr/local/bin/…".into()),
        Field::text(FieldId::ProviderArgs, tr!(T::FieldArgs), &pargs).with_hint(tr!(T::HintArgs)),
        Field::choice(
            FieldId::ExecutorKind,
            tr!(T::FieldExecutor),
            executor_kinds(),
            ek,
        ),
        Field::text(FieldId::ExecutorProgram, tr!(T::FieldProgram), &eprog)
            .with_hint("/usr/local/bin/…".into()),
        Field::text(FieldId::ExecutorArgs, tr!(T::FieldArgs), &eargs).with_hint(tr!(T::HintArgs)),
    ]);
    let title = match n {
        Some(n) => tr!(T::FormEditNumber, n.label),
        None => tr!(T::FormAddNumber),
    };
    let mut of = OpenForm {
        purpose: match n {
            Some(n) => Purpose::EditNumber(n.id.clone()),
            None => Purpose::AddNumber,
        },
        form: Form::new(title, fields),
        preset_rules: Vec::new(),
        confirm_discard: false,
        preset_fill: None,
    };
    arrange(&mut of);
    of
}

fn kind_options() -> Vec<(String, String)> {
    TriggerKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), k.label()))
        .collect()
}

pub fn rule_form(config: &Config, number: &Number, editing: Option<&Rule>) -> OpenForm {
    let r = editing;
    let numbers: Vec<(String, String)> = config
        .numbers
        .iter()
        .map(|n| (n.id.clone(), format!("{} ({})", n.label, n.id)))
        .collect();
    let (day, at, below, cooldown, days, every) = match r.map(|r| &r.trigger) {
        Some(Trigger::Monthly { day, at }) => (
            day.label(),
            at.format("%H:%M").to_string(),
            String::new(),
            "24".into(),
            String::new(),
            String::new(),
        ),
        Some(Trigger::LowBalance {
            below,
            cooldown_hours,
        }) => (
            "1".into(),
            "09:00".into(),
            below.decimal(),
            cooldown_hours.to_string(),
            String::new(),
            String::new(),
        ),
        Some(Trigger::BeforeExpiry { days }) => (
            "1".into(),
            "09:00".into(),
            String::new(),
            "24".into(),
            days.to_string(),
            String::new(),
        ),
        Some(Trigger::KeepAlive { every_days }) => (
            "1".into(),
            "09:00".into(),
            String::new(),
            "24".into(),
            String::new(),
            every_days.to_string(),
        ),
        None => (
            "1".into(),
            "09:00".into(),
            String::new(),
            "24".into(),
            "14".into(),
            "150".into(),
        ),
    };
    let number_field = Field::choice(FieldId::Number, tr!(T::FieldNumber), numbers, &number.id);
    let id_default = r
        .map(|r| r.id.clone())
        .unwrap_or_else(|| fresh_rule_id(number, "monthly"));
    let id = Field::text(FieldId::Id, tr!(T::FieldId), &id_default).with_hint(tr!(T::HintSlug));
    let fields = vec![
        if r.is_some() {
            number_field.locked()
        } else {
            number_field
        },
        if r.is_some() { id.locked() } else { id },
        Field::choice(
            FieldId::Kind,
            tr!(T::FieldKind),
            kind_options(),
            r.map_or("monthly", |r| r.trigger.kind().as_str()),
        ),
        Field::text(
            FieldId::Amount,
            tr!(T::FieldAmount),
            &money_text(r.map(|r| r.amount)),
        )
        .with_hint(number.currency.code().to_string()),
        Field::choice(
            FieldId::Mode,
            tr!(T::FieldMode),
            opts(&[
                ("auto", Mode::Auto.label()),
                ("remind", Mode::Remind.label()),
            ]),
            r.map_or("remind", |r| r.mode.as_str()),
        ),
        Field::choice(
            FieldId::Enabled,
            tr!(T::FieldEnabled),
            yes_no(),
            if r.is_none_or(|r| r.enabled) {
                "yes"
            } else {
                "no"
            },
        ),
        Field::text(FieldId::Day, tr!(T::FieldDay), &day).with_hint(tr!(T::HintDay)),
        Field::text(FieldId::At, tr!(T::FieldAt), &at).with_hint("HH:MM".into()),
        Field::text(FieldId::Below, tr!(T::FieldBelow), &below)
            .with_hint(number.currency.code().to_string()),
        Field::text(FieldId::Cooldown, tr!(T::FieldCooldown), &cooldown)
            .with_hint(tr!(T::HintHours)),
        Field::text(FieldId::Days, tr!(T::FieldDays), &days)
            .with_hint(tr!(T::HintDaysBeforeExpiry)),
        Field::text(FieldId::EveryDays, tr!(T::FieldEveryDays), &every).with_hint(tr!(T::HintDays)),
        Field::text(
            FieldId::MaxPerMonth,
            tr!(T::FieldMaxPerMonth),
            &num_text(r.and_then(|r| r.max_per_month)),
        )
        .with_hint(tr!(T::HintNoCap)),
    ];
    let title = match r {
        Some(r) => tr!(T::FormEditRule, r.id, number.label),
        None => tr!(T::FormAddRule),
    };
    let mut of = OpenForm {
        purpose: match r {
            Some(r) => Purpose::EditRule {
                number: number.id.clone(),
                rule: r.id.clone(),
            },
            None => Purpose::AddRule,
        },
        form: Form::new(title, fields),
        preset_rules: Vec::new(),
        confirm_discard: false,
        preset_fill: None,
    };
    arrange(&mut of);
    of
}

/// `base`, or `base-2`, `base-3`… whichever the number does not use yet.
pub fn fresh_rule_id(number: &Number, base: &str) -> String {
    (1..)
        .map(|i| {
            if i == 1 {
                base.to_string()
            } else {
                format!("{base}-{i}")
            }
        })
        .find(|id| number.rule(id).is_none())
        .unwrap_or_else(|| base.to_string())
}

pub fn topup_form(number: &Number, state: &State) -> OpenForm {
    // The oldest open reminder tells what is owed.
    let owed = state.number(&number.id).and_then(|ns| {
        ns.open_reminders()
            .min_by_key(|(_, a)| a.at)
            .map(|(k, _)| Money::new(k.amount_minor, k.currency))
    });
    let fields = vec![
        Field::text(FieldId::Amount, tr!(T::FieldAmount), &money_text(owed))
            .with_hint(number.currency.code().to_string()),
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
        preset_fill: None,
    }
}

pub fn balance_form(number: &Number) -> OpenForm {
    let fields = vec![
        Field::text(FieldId::Amount, tr!(T::FieldBalance), "")
            .with_hint(number.currency.code().to_string()),
        Field::text(FieldId::ValidUntil, tr!(T::FieldValidUntil), "")
            .with_hint("YYYY-MM-DD".into()),
    ];
    OpenForm {
        purpose: Purpose::Balance(number.id.clone()),
        form: Form::new(tr!(T::FormBalance, number.label), fields),
        preset_rules: Vec::new(),
        confirm_discard: false,
        preset_fill: None,
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
        preset_fill: None,
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
            f.show(FieldId::ExecutorProgram, e);
            f.show(FieldId::ExecutorArgs, e);
        }
        Purpose::AddRule | Purpose::EditRule { .. } => {
            let kind = TriggerKind::parse(f.get(FieldId::Kind)).unwrap_or(TriggerKind::Monthly);
            f.show(FieldId::Day, kind == TriggerKind::Monthly);
            f.show(FieldId::At, kind == TriggerKind::Monthly);
            f.show(FieldId::Below, kind == TriggerKind::LowBalance);
            f.show(FieldId::Cooldown, kind == TriggerKind::LowBalance);
            f.show(FieldId::Days, kind == TriggerKind::BeforeExpiry);
            f.show(FieldId::EveryDays, kind == TriggerKind::KeepAlive);
        }
        _ => {}
    }
}

/// Reacts to a changed field: a preset fills the plan; a new rule's kind suggests its id.
pub fn changed(of: &mut OpenForm, field: FieldId, config: &Config) {
    match (field, &of.purpose) {
        (FieldId::Preset, Purpose::AddNumber) => {
            let chosen = of.form.get(FieldId::Preset).to_string();
            match presets::all().into_iter().find(|p| p.id == chosen) {
                Some(p) => apply_preset(of, &p),
                None => of.preset_rules.clear(),
            }
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

fn apply_preset(of: &mut OpenForm, p: &Preset) {
    let f = &mut of.form;
    f.set(FieldId::Carrier, &p.carrier);
    f.set(FieldId::Currency, p.currency.code());
    f.set(FieldId::MonthlyFee, &money_text(p.plan.monthly_fee));
    f.set(FieldId::ValidityDays, &num_text(p.plan.validity_days));
    f.set(FieldId::KeepAliveDays, &num_text(p.plan.keep_alive_days));
    // Replace what an earlier preset put in, but never what the person typed.
    let (old_id, old_label) = of.preset_fill.clone().unwrap_or_default();
    if f.get(FieldId::Id).is_empty() || f.get(FieldId::Id) == old_id {
        f.set(FieldId::Id, &p.id);
    }
    if f.get(FieldId::Label).is_empty() || f.get(FieldId::Label) == old_label {
        f.set(FieldId::Label, &p.carrier);
    }
    of.preset_fill = Some((
        f.get(FieldId::Id).to_string(),
        f.get(FieldId::Label).to_string(),
    ));
    of.preset_rules = p.rules.clone();
    f.notes = vec![p.notes.clone()];
    f.notes
        .extend(p.rules.iter().map(|r| format!("• {}", r.describe())));
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

fn args(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
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
        _ => return None,
    })
}

fn action(kind: &str, program: &str, args_text: &str, timeout: Option<u64>) -> FileAction {
    let command = kind == "command";
    FileAction {
        kind: kind.to_string(),
        program: command.then(|| program.trim().to_string()),
        args: command.then(|| args(args_text)),
        timeout_secs: command.then(|| timeout.unwrap_or(DEFAULT_TIMEOUT_SECS)),
    }
}

fn timeout_of_provider(p: &Provider) -> Option<u64> {
    match p {
        Provider::Command(c) => Some(c.timeout_secs),
        _ => None,
    }
}

fn timeout_of_executor(e: &Executor) -> Option<u64> {
    match e {
        Executor::Command(c) => Some(c.timeout_secs),
        _ => None,
    }
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
        Purpose::AddNumber | Purpose::EditNumber(_) => validate_number(of, config),
        Purpose::AddRule | Purpose::EditRule { .. } => validate_rule(of, config, state, now),
        Purpose::TopUp(id) => {
            let n = config.number(&id)?;
            match Money::parse(of.form.get(FieldId::Amount), n.currency) {
                Ok(m) if m.minor > 0 => Some(Built::TopUp {
                    number: id,
                    amount: m,
                    note: note(&of.form),
                }),
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
                crate::model::event::parse_date(&v)
                    .map(Some)
                    .ok_or_else(|| {
                        of.form
                            .set_error(FieldId::ValidUntil, Some(tr!(T::BadDate, "", v)))
                    })
            };
            match (amount, validity) {
                (Ok(amount), Ok(validity)) => Some(Built::Balance {
                    number: id,
                    amount,
                    validity,
                }),
                _ => None,
            }
        }
        Purpose::Activity(id) => Some(Built::Activity {
            number: id,
            note: note(&of.form),
        }),
    };
    if of.form.has_errors() { None } else { built }
}

fn note(form: &Form) -> Option<String> {
    let s = form.get(FieldId::Note).trim();
    (!s.is_empty()).then(|| s.to_string())
}

fn validate_number(of: &mut OpenForm, config: &Config) -> Option<Built> {
    let editing = match &of.purpose {
        Purpose::EditNumber(id) => config.number(id),
        _ => None,
    };
    let f = &mut of.form;
    // A bad whole number is marked and validation goes on, so every problem shows at once.
    let validity_days = opt_u32(f, FieldId::ValidityDays).unwrap_or(None);
    let keep_alive_days = opt_u32(f, FieldId::KeepAliveDays).unwrap_or(None);
    let rules: Vec<FileRule> = match editing {
        Some(n) => n.rules.iter().map(rule_to_file).collect(),
        None => of.preset_rules.iter().map(rule_to_file).collect(),
    };
    let file = FileNumber {
        id: f.get(FieldId::Id).trim().to_string(),
        label: f.get(FieldId::Label).trim().to_string(),
        msisdn: f.get(FieldId::Msisdn).trim().replace([' ', '-'], ""),
        carrier: f.get(FieldId::Carrier).trim().to_string(),
        currency: f.get(FieldId::Currency).trim().to_ascii_uppercase(),
        plan: FilePlan {
            monthly_fee: opt_decimal(f.get(FieldId::MonthlyFee)),
            validity_days,
            keep_alive_days,
        },
        monthly_budget: opt_decimal(f.get(FieldId::Budget)),
        verify_tolerance: editing.map(|n| n.verify_tolerance as u32),
        provider: action(
            f.get(FieldId::ProviderKind),
            f.get(FieldId::ProviderProgram),
            f.get(FieldId::ProviderArgs),
            editing.and_then(|n| timeout_of_provider(&n.provider)),
        ),
        executor: action(
            f.get(FieldId::ExecutorKind),
            f.get(FieldId::ExecutorProgram),
            f.get(FieldId::ExecutorArgs),
            editing.and_then(|n| timeout_of_executor(&n.executor)),
        ),
        rules,
    };
    if editing.is_none() && config.number(&file.id).is_some() {
        f.set_error(FieldId::Id, Some(tr!(T::CfgDuplicateId, file.id)));
    }
    match number_from_file(&file) {
        Ok(n) => (!f.has_errors()).then_some(Built::Number(n)),
        Err(problems) => {
            for p in problems {
                match field_of(&p.path) {
                    Some(id) if f.field(id).is_some_and(|x| x.error.is_none()) => {
                        f.set_error(id, Some(p.message))
                    }
                    Some(_) => {}
                    None => f.error = Some(format!("{}: {}", p.path, p.message)),
                }
            }
            if f.error.is_some() && !f.has_errors() {
                // A preset rule does not fit (say, decimals in a zero-decimal currency).
                f.set_error(FieldId::Currency, f.error.clone());
            }
            None
        }
    }
}

fn validate_rule(
    of: &mut OpenForm,
    config: &Config,
    state: &State,
    now: DateTime<Utc>,
) -> Option<Built> {
    let number_id = of.form.get(FieldId::Number).to_string();
    let number = config.number(&number_id)?.clone();
    let editing_id = match &of.purpose {
        Purpose::EditRule { rule, .. } => Some(rule.clone()),
        _ => None,
    };
    let f = &mut of.form;
    let kind = f.get(FieldId::Kind).to_string();
    let visible = |f: &Form, id| f.field(id).is_some_and(|x| x.visible);
    let whole = |f: &mut Form, id| {
        if visible(f, id) {
            opt_u32(f, id).unwrap_or(None)
        } else {
            None
        }
    };
    let cooldown = whole(f, FieldId::Cooldown);
    let days = whole(f, FieldId::Days);
    let every = whole(f, FieldId::EveryDays);
    let max = opt_u32(f, FieldId::MaxPerMonth).unwrap_or(None);
    let day = f.get(FieldId::Day).trim().to_string();
    let mut trigger = FileTrigger {
        kind: kind.clone(),
        ..FileTrigger::default()
    };
    match TriggerKind::parse(&kind) {
        Some(TriggerKind::Monthly) => {
            trigger.day = Some(serde_json::Value::String(day));
            trigger.at = Some(f.get(FieldId::At).trim().to_string());
        }
        Some(TriggerKind::LowBalance) => {
            trigger.below = Some(Decimal(f.get(FieldId::Below).trim().to_string()));
            trigger.cooldown_hours = cooldown;
        }
        Some(TriggerKind::BeforeExpiry) => trigger.days = days,
        Some(TriggerKind::KeepAlive) => trigger.every_days = every,
        None => {}
    }
    let rule = FileRule {
        id: f.get(FieldId::Id).trim().to_string(),
        enabled: f.get(FieldId::Enabled) == "yes",
        mode: f.get(FieldId::Mode).to_string(),
        amount: Decimal(f.get(FieldId::Amount).trim().to_string()),
        trigger,
        max_per_month: max,
    };
    if editing_id.as_deref() != Some(rule.id.as_str()) && number.rule(&rule.id).is_some() {
        f.set_error(FieldId::Id, Some(tr!(T::CfgDuplicateId, rule.id)));
    }
    // Validate the rule inside its number, alone, so only its own problems show.
    let mut file = crate::store::config::to_file(&Config {
        numbers: vec![number.clone()],
        ..config.clone()
    })
    .numbers
    .remove(0);
    file.rules = vec![rule];
    match number_from_file(&file) {
        Ok(_) if f.has_errors() => {
            f.notes = vec![tr!(T::PreviewWhenValid)];
            None
        }
        Ok(mut n) => {
            let rule = n.rules.remove(0);
            let mut alone = number.clone();
            alone.rules = vec![Rule {
                enabled: true,
                ..rule.clone()
            }];
            f.notes = preview_lines(state, config, &alone, now);
            (!f.has_errors()).then_some(Built::Rule {
                number: number_id,
                rule,
            })
        }
        Err(problems) => {
            for p in problems {
                if let Some(id) = field_of(&p.path)
                    && f.field(id).is_some_and(|x| x.visible && x.error.is_none())
                {
                    f.set_error(id, Some(p.message));
                }
            }
            f.notes = vec![tr!(T::PreviewWhenValid)];
            None
        }
    }
}

/// "Next: …" lines for a rule's next five dates.
fn preview_lines(
    state: &State,
    config: &Config,
    alone: &Number,
    now: DateTime<Utc>,
) -> Vec<String> {
    let dates = forecast::preview(state, config, alone, now, 5);
    let tz = config.timezone;
    if dates.is_empty() {
        let low = matches!(
            alone.rules.first().map(|r| &r.trigger),
            Some(Trigger::LowBalance { .. })
        );
        return vec![if low {
            tr!(T::PreviewNoneLow)
        } else {
            tr!(T::PreviewNone)
        }];
    }
    let mut out = vec![tr!(T::PreviewNext)];
    let due_now = dates.first().is_some_and(|(at, _)| *at <= now);
    for (at, estimated) in dates {
        let when = if at <= now {
            tr!(T::PreviewNow)
        } else {
            local_minute(at, tz)
        };
        out.push(format!(
            "  {when}{}",
            if estimated {
                tr!(T::PreviewEstimated)
            } else {
                String::new()
            }
        ));
    }
    if due_now {
        // Catching up inside the current period is right after downtime, but a person adding
        // a rule should know it acts the moment it is saved.
        let auto = alone.rules.first().is_some_and(|r| {
            crate::engine::plan::effective_mode(r, alone) == crate::model::Mode::Auto
        });
        out.push(if auto {
            tr!(T::PreviewNowAuto)
        } else {
            tr!(T::PreviewNowRemind)
        });
    }
    out
}
