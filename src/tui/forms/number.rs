//! The number form: identity, plan, provider and executor, with carrier presets that fill
//! the plan and bring suggested rules.

use crate::home::presets::{self, Preset};
use crate::i18n::T;
use crate::model::number::DEFAULT_TIMEOUT_SECS;
use crate::model::{Config, Executor, Number, Provider};
use crate::store::config::{
    FileAction, FileNumber, FilePlan, FileRule, number_from_file, rule_to_file,
};
use chrono::{DateTime, Utc};

use crate::engine::State;
use crate::tr;
use crate::tui::form::{Field, FieldId, Form};

use super::*;

pub(crate) fn provider_kinds() -> Vec<(String, String)> {
    opts(&[
        ("manual", tr!(T::ProviderManual)),
        ("command", tr!(T::KindCommand)),
        ("demo", tr!(T::KindDemo)),
    ])
}

pub(crate) fn executor_kinds() -> Vec<(String, String)> {
    opts(&[
        ("remind", tr!(T::ExecutorRemindLabel)),
        ("command", tr!(T::KindCommand)),
        ("demo", tr!(T::KindDemo)),
    ])
}

/// The number and its plan: label, phone number, carrier, currency, fee, validity,
/// keep-alive and budget.
fn plan_fields(n: Option<&Number>) -> Vec<Field> {
    vec![
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
        .with_hint(msisdn_example(n.map_or("", |n| n.currency.code()))),
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
    ]
}

/// How the balance is read and a recharge made: each kind, with its program, arguments and
/// timeout for a command.
fn command_fields(n: Option<&Number>) -> Vec<Field> {
    let ptimeout = n
        .and_then(|n| timeout_of_provider(&n.provider))
        .unwrap_or(DEFAULT_TIMEOUT_SECS)
        .to_string();
    let etimeout = n
        .and_then(|n| timeout_of_executor(&n.executor))
        .unwrap_or(DEFAULT_TIMEOUT_SECS)
        .to_string();
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
    vec![
        Field::choice(
            FieldId::ProviderKind,
            tr!(T::FieldProvider),
            provider_kinds(),
            pk,
        ),
        Field::text(FieldId::ProviderProgram, tr!(T::FieldProgram), &pprog)
            .with_hint("/usr/local/bin/…".into()),
        Field::text(FieldId::ProviderArgs, tr!(T::FieldArgs), &pargs).with_hint(tr!(T::HintArgs)),
        Field::text(FieldId::ProviderTimeout, tr!(T::FieldTimeout), &ptimeout)
            .with_hint(tr!(T::HintSeconds)),
        Field::choice(
            FieldId::ExecutorKind,
            tr!(T::FieldExecutor),
            executor_kinds(),
            ek,
        ),
        Field::text(FieldId::ExecutorProgram, tr!(T::FieldProgram), &eprog)
            .with_hint("/usr/local/bin/…".into()),
        Field::text(FieldId::ExecutorArgs, tr!(T::FieldArgs), &eargs).with_hint(tr!(T::HintArgs)),
        Field::text(FieldId::ExecutorTimeout, tr!(T::FieldTimeout), &etimeout)
            .with_hint(tr!(T::HintSeconds)),
    ]
}

/// Where the SIM is, as one choice (a number has a modem or a forwarder, never both), with
/// the modem's match and the forwarder's slot.
fn host_fields(n: Option<&Number>, config: &Config) -> Vec<Field> {
    let mut hosts = vec![
        ("".to_string(), tr!(T::SimHostNone)),
        ("modem".to_string(), tr!(T::SimHostModem)),
    ];
    let mut forwarder_ids: Vec<String> = config.forwarders.iter().map(|f| f.id.clone()).collect();
    if let Some(r) = n.and_then(|n| n.forwarder.as_ref())
        && !forwarder_ids.contains(&r.id)
    {
        forwarder_ids.push(r.id.clone());
    }
    for id in forwarder_ids {
        let name = match config
            .forwarders
            .iter()
            .find(|f| f.id == id)
            .map(|f| f.kind)
        {
            Some(crate::model::forwarder::ForwarderKind::Webhook) => tr!(T::TuiFwdBoard, id),
            _ => tr!(T::TuiFwdPhone, id),
        };
        hosts.push((format!("{FORWARDER}{id}"), name));
    }
    let host = match (
        n.and_then(|n| n.modem.as_ref()),
        n.and_then(|n| n.forwarder.as_ref()),
    ) {
        (_, Some(r)) => format!("{FORWARDER}{}", r.id),
        (Some(_), None) => "modem".to_string(),
        (None, None) => String::new(),
    };
    vec![
        Field::choice(FieldId::SimHost, tr!(T::FieldSimHost), hosts, &host),
        Field::text(
            FieldId::ModemMatch,
            tr!(T::FieldModemMatch),
            n.and_then(|n| n.modem.as_ref())
                .map_or("any", |m| m.as_str()),
        )
        .with_hint(tr!(T::HintModemMatch)),
        Field::text(
            FieldId::Slot,
            tr!(T::FieldSlot),
            &n.and_then(|n| n.forwarder.as_ref())
                .and_then(|r| r.slot)
                .map(|s| s.to_string())
                .unwrap_or_default(),
        )
        .with_hint(tr!(T::HintSlot)),
    ]
}

/// The number form. "Last used on" starts empty for a new number (a guess of today would
/// promise a whole keep-alive period nobody knows of) and shows the saved day when editing.
pub fn number_form(editing: Option<&Number>, config: &Config) -> OpenForm {
    let n = editing;
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
    fields.extend(plan_fields(n));
    fields.extend(command_fields(n));
    fields.extend(host_fields(n, config));
    // Keep-alive counts from here, and nothing is owed for before it.
    fields.push(
        Field::text(
            FieldId::Since,
            tr!(T::FieldSince),
            &n.and_then(|n| n.since)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default(),
        )
        .with_hint(tr!(T::HintSince)),
    );
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
        channels: Default::default(),
        preset_fill: None,
        original: editing.map_or(Original::None, |n| Original::Number(Box::new(n.clone()))),
    };
    arrange(&mut of);
    of
}

/// Fills the plan from a preset (`None`: `‹ none ›`, which takes back what the last preset
/// filled in). The id and label, and anything else the person changed, are kept.
pub(crate) fn apply_preset(of: &mut OpenForm, p: Option<&Preset>) {
    let f = &mut of.form;
    let filled = of.preset_fill.take().unwrap_or_default();
    let before = |id: FieldId| {
        filled
            .iter()
            .find(|(f, _)| *f == id)
            .map_or("", |(_, v)| v.as_str())
    };
    let plan = [
        FieldId::Carrier,
        FieldId::Currency,
        FieldId::MonthlyFee,
        FieldId::ValidityDays,
        FieldId::KeepAliveDays,
    ];
    let values: Vec<(FieldId, String)> = match p {
        Some(p) => vec![
            (FieldId::Carrier, p.carrier.clone()),
            (FieldId::Currency, p.currency.code().to_string()),
            (FieldId::MonthlyFee, money_text(p.plan.monthly_fee)),
            (FieldId::ValidityDays, num_text(p.plan.validity_days)),
            (FieldId::KeepAliveDays, num_text(p.plan.keep_alive_days)),
            (FieldId::Id, p.id.clone()),
            (FieldId::Label, p.carrier.clone()),
        ],
        None => Vec::new(),
    };
    let mut fill = Vec::new();
    for id in plan.into_iter().chain([FieldId::Id, FieldId::Label]) {
        let new = values
            .iter()
            .find(|(f, _)| *f == id)
            .map_or(String::new(), |(_, v)| v.clone());
        let current = f.get(id).to_string();
        // A preset is the plan: it sets the plan's fields. The id and label, and with
        // `‹ none ›` every field, change only while they hold what a preset put there.
        let replace =
            (p.is_some() && plan.contains(&id)) || current.is_empty() || current == before(id);
        if replace {
            f.set(id, &new);
        }
        if p.is_some() && f.get(id) == new {
            fill.push((id, new));
        }
    }
    of.preset_fill = p.is_some().then_some(fill);
    f.set_hint(
        FieldId::Msisdn,
        Some(msisdn_example(f.get(FieldId::Currency))),
    );
    match p {
        Some(p) => {
            of.preset_rules = p.rules.clone();
            f.notes = vec![p.notes.clone()];
            f.notes
                .extend(p.rules.iter().map(|r| format!("• {}", r.describe())));
        }
        None => {
            of.preset_rules.clear();
            f.notes.clear();
        }
    }
}

/// An example phone number for the number field, from the number's currency (a China
/// Mobile number is not shown a British example).
pub(crate) fn msisdn_example(currency: &str) -> String {
    let example = match currency.trim().to_ascii_uppercase().as_str() {
        "CNY" => "+86 139 1234 5678",
        "GBP" => "+44 7700 900123",
        "HKD" => "+852 5123 4567",
        "USD" => "+1 202 555 0123",
        "EUR" => "+49 1512 3456789",
        "MOP" => "+853 6123 4567",
        "TWD" => "+886 912 345 678",
        "JPY" => "+81 90 1234 5678",
        "SGD" => "+65 8123 4567",
        "AUD" => "+61 412 345 678",
        "CAD" => "+1 416 555 0123",
        "KRW" => "+82 10 1234 5678",
        "NZD" => "+64 21 123 4567",
        "INR" => "+91 98765 43210",
        "MYR" => "+60 12 345 6789",
        "THB" => "+66 81 234 5678",
        "PHP" => "+63 917 123 4567",
        "IDR" => "+62 812 3456 7890",
        "VND" => "+84 91 234 56 78",
        "CHF" => "+41 79 123 45 67",
        "SEK" => "+46 70 123 45 67",
        "NOK" => "+47 412 34 567",
        "DKK" => "+45 20 12 34 56",
        "PLN" => "+48 512 345 678",
        "AED" => "+971 50 123 4567",
        "KWD" => "+965 5012 3456",
        "BHD" => "+973 3612 3456",
        _ => return tr!(T::HintMsisdn),
    };
    example.to_string()
}

/// The SIM-host choice's prefix for a forwarder (`fwd:pixel`).
pub(crate) const FORWARDER: &str = "fwd:";

pub(crate) fn args(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_string).collect()
}

pub(crate) fn action(
    kind: &str,
    program: &str,
    args_text: &str,
    timeout: Option<u64>,
) -> FileAction {
    let command = kind == "command";
    FileAction {
        kind: kind.to_string(),
        program: command.then(|| program.trim().to_string()),
        args: command.then(|| args(args_text)),
        timeout_secs: command.then(|| timeout.unwrap_or(DEFAULT_TIMEOUT_SECS)),
        ..FileAction::default()
    }
}

pub(crate) fn timeout_of_provider(p: &Provider) -> Option<u64> {
    match p {
        Provider::Command(c) => Some(c.timeout_secs),
        _ => None,
    }
}

pub(crate) fn timeout_of_executor(e: &Executor) -> Option<u64> {
    match e {
        Executor::Command(c) => Some(c.timeout_secs),
        _ => None,
    }
}

/// Marks a note as a warning the form computed (so the next check replaces it).
const WARNING: &str = "⚠ ";

/// The forwarder's slot (1 to 8), for a number on a forwarder; a bad one is marked.
fn slot_field(f: &mut Form, host: &str) -> Option<u8> {
    match f.get(FieldId::Slot).trim() {
        _ if !host.starts_with(FORWARDER) => None,
        "" => None,
        s => match s.parse::<u8>() {
            Ok(n) if (1..=8).contains(&n) => Some(n),
            _ => {
                f.set_error(FieldId::Slot, Some(tr!(T::CfgRange, s, 1, 8)));
                None
            }
        },
    }
}

/// The day the number was last used, if given: not after today (a bad one is marked).
fn since_field(f: &mut Form, config: &Config, now: DateTime<Utc>) -> Option<chrono::NaiveDate> {
    let s = f
        .field(FieldId::Since)
        .map(|x| x.get().trim().to_string())?;
    if s.is_empty() {
        return None;
    }
    match crate::model::event::parse_date(&s) {
        Some(d) if d <= crate::engine::calendar::local_date(config.timezone, now) => Some(d),
        Some(_) => {
            f.set_error(FieldId::Since, Some(tr!(T::SinceFuture)));
            None
        }
        None => {
            f.set_error(FieldId::Since, Some(tr!(T::BadDate, "", s)));
            None
        }
    }
}

/// Marks each problem the config's own validation found on its field (the first on each),
/// or on the form when no field holds it.
fn mark_problems(f: &mut Form, problems: Vec<crate::store::config::Problem>) {
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
}

pub(crate) fn validate_number(
    of: &mut OpenForm,
    config: &Config,
    state: &State,
    now: DateTime<Utc>,
) -> Option<Built> {
    let editing = match &of.purpose {
        Purpose::EditNumber(id) => config.number(id),
        _ => None,
    };
    let f = &mut of.form;
    f.notes.retain(|n| !n.starts_with(WARNING));
    // A bad whole number is marked and validation goes on, so every problem shows at once.
    let validity_days = opt_u32(f, FieldId::ValidityDays).unwrap_or(None);
    let keep_alive_days = opt_u32(f, FieldId::KeepAliveDays).unwrap_or(None);
    let ptimeout = timeout_field(f, FieldId::ProviderTimeout);
    let etimeout = timeout_field(f, FieldId::ExecutorTimeout);
    let host = f.get(FieldId::SimHost).to_string();
    let slot = slot_field(f, &host);
    let since = since_field(f, config, now);
    let rules: Vec<FileRule> = match editing {
        Some(n) => n.rules.iter().map(rule_to_file).collect(),
        None => of.preset_rules.iter().map(rule_to_file).collect(),
    };
    let file = FileNumber {
        reply_patterns: editing.map_or_else(Vec::new, |n| n.reply_patterns.clone()),
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
            ptimeout.or_else(|| editing.and_then(|n| timeout_of_provider(&n.provider))),
        ),
        executor: action(
            f.get(FieldId::ExecutorKind),
            f.get(FieldId::ExecutorProgram),
            f.get(FieldId::ExecutorArgs),
            etimeout.or_else(|| editing.and_then(|n| timeout_of_executor(&n.executor))),
        ),
        rules,
        modem: (host == "modem").then(|| crate::store::config::FileModem {
            matches: match f.get(FieldId::ModemMatch).trim() {
                "" => "any".to_string(),
                m => m.to_string(),
            },
        }),
        forwarder: host
            .strip_prefix(FORWARDER)
            .map(|id| crate::store::config::FileForwarderRef {
                id: id.to_string(),
                slot,
            }),
    };
    if editing.is_none() && config.number(&file.id).is_some() {
        f.set_error(FieldId::Id, Some(tr!(T::CfgDuplicateId, file.id)));
    }
    match number_from_file(&file) {
        Ok(mut n) => {
            n.since = since;
            if editing.is_none() {
                warn_immediate(f, state, config, &n, now);
            }
            (!f.has_errors()).then_some(Built::Number(n))
        }
        Err(problems) => {
            mark_problems(f, problems);
            None
        }
    }
}

/// A command's timeout in seconds (1 to a day); `None` when empty or wrong (marked).
pub(super) fn timeout_field(f: &mut Form, id: FieldId) -> Option<u64> {
    if !f.field(id).is_some_and(|x| x.visible) {
        return None;
    }
    match opt_u32(f, id) {
        Ok(Some(s)) if (1..=86_400).contains(&s) => Some(u64::from(s)),
        Ok(Some(s)) => {
            f.set_error(id, Some(tr!(T::CfgRange, s, 1, 86_400)));
            None
        }
        _ => None,
    }
}

/// Says which of a new number's rules would act the moment it is saved, as the rule form
/// does for one rule: a person adding a number should not be charged by surprise.
fn warn_immediate(f: &mut Form, state: &State, config: &Config, n: &Number, now: DateTime<Utc>) {
    for r in &n.rules {
        let alone = Number {
            rules: vec![r.clone()],
            ..n.clone()
        };
        let due_now = crate::engine::forecast::preview(state, config, &alone, now, 1)
            .first()
            .is_some_and(|(at, _)| *at <= now);
        if due_now {
            let auto = crate::engine::due::effective_mode(r, &alone) == crate::model::Mode::Auto;
            f.notes.push(format!(
                "{WARNING}{}",
                if auto {
                    tr!(T::NumberChargesNow, r.id)
                } else {
                    tr!(T::NumberRemindsNow, r.id)
                }
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::msisdn_example;
    use crate::model::money::Currency;
    use crate::model::phone;

    /// Every currency that names one country shows an example number of that country,
    /// one the form itself would take (the right length, E.164 once its spaces go).
    #[test]
    fn each_countrys_currency_gets_an_example_of_its_own_country() {
        let mut checked = 0;
        for c in Currency::all() {
            // The country a local number in this currency is read as, if there is one.
            let Some(probe) = phone::normalise("912345678", Some(c)) else {
                continue;
            };
            let cc = probe
                .strip_prefix('+')
                .and_then(|p| p.strip_suffix("912345678"))
                .expect("a calling code");
            let example = msisdn_example(c.code());
            assert!(
                example.starts_with(&format!("+{cc} ")),
                "{}: {example}",
                c.code()
            );
            let e164 = phone::normalise(&example, Some(c))
                .unwrap_or_else(|| panic!("{}: {example} does not read", c.code()));
            assert!(phone::is_e164(&e164), "{}: {e164}", c.code());
            assert_eq!(phone::wrong_length(&e164), None, "{}: {e164}", c.code());
            assert_eq!(msisdn_example(&c.code().to_lowercase()), example);
            checked += 1;
        }
        assert!(checked >= 20, "{checked}");
    }
}
