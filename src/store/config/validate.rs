//! From the file's text to a validated `Config`: every problem found, each with its JSON
//! path (and line), in one sentence. Nothing here reads or writes files.

use std::collections::HashSet;
use std::str::FromStr;

use chrono::NaiveTime;
use chrono_tz::Tz;

use crate::i18n::T;
use crate::model::number::{DEFAULT_TIMEOUT_SECS, DEFAULT_VERIFY_TOLERANCE};
use crate::model::{
    CommandSpec, Config, Currency, DeadlineDays, Executor, Mode, Money, MonthDay, Notify,
    NotifyEvent, Number, Plan, Provider, Rule, Trigger, TriggerKind,
};
use crate::tr;

use super::problem::sms_fields;
use super::*;

// ---------------------------------------------------------------- parse + validate

/// The system's IANA zone, falling back to UTC when it cannot be told.
pub fn system_timezone() -> (Option<String>, Tz) {
    match iana_time_zone::get_timezone() {
        Ok(name) => match Tz::from_str(&name) {
            Ok(tz) => (None, tz),
            Err(_) => (None, Tz::UTC),
        },
        Err(_) => (None, Tz::UTC),
    }
}

/// Parses and validates config text. Every problem is returned, each with its path.
pub fn parse(text: &[u8]) -> std::result::Result<Config, Vec<Problem>> {
    let mut problems = Vec::new();
    let read = super::strict::read(text, &mut problems);
    let config = read.and_then(|r| validate(r, &mut problems));
    for p in &mut problems {
        p.line = p.line.or_else(|| line_of_path(text, &p.path));
    }
    match config {
        Some(c) if problems.is_empty() => {
            crate::secrets::remember(&c.secret_env);
            let forwarder_env: Vec<String> = c
                .forwarders
                .iter()
                .flat_map(|f| f.env_names())
                .cloned()
                .collect();
            crate::secrets::remember(&forwarder_env);
            Ok(c)
        }
        _ => Err(problems),
    }
}

fn validate(read: super::strict::Read, problems: &mut Vec<Problem>) -> Option<Config> {
    let numbers_read = read.numbers;
    let file = read.top.as_ref();
    let mut numbers = Vec::new();
    let mut ids = HashSet::new();
    for n in &numbers_read {
        let here = format!("numbers[{}]", n.index);
        if !ids.insert(n.file.id.as_str()) {
            problems.push(Problem::at(
                format!("{here}.id"),
                tr!(T::CfgDuplicateId, n.file.id),
            ));
        }
        if let Some(mut num) = validate_number(&n.file, &here, problems) {
            num.since = n.since;
            numbers.push(num);
        }
    }
    let file = file?;
    if file.version != 1 {
        problems.push(Problem::at("version", tr!(T::CfgVersion, file.version)));
    }
    let (timezone_name, timezone) = match &file.timezone {
        None => system_timezone(),
        Some(name) => match Tz::from_str(name) {
            Ok(tz) => (Some(name.clone()), tz),
            Err(_) => {
                problems.push(Problem::at("timezone", tr!(T::CfgTimezone, name)));
                (Some(name.clone()), Tz::UTC)
            }
        },
    };
    let refresh_minutes = file
        .refresh_minutes
        .unwrap_or(crate::model::number::DEFAULT_REFRESH_MINUTES);
    if !(1..=10_080).contains(&refresh_minutes) {
        problems.push(Problem::at(
            "refresh_minutes",
            tr!(T::CfgRange, refresh_minutes, 1, 10_080),
        ));
    }
    let deadline_days = match &file.deadline_days {
        None => DeadlineDays::default(),
        Some(d) => {
            if d.urgent > d.warn || d.warn > 3650 {
                problems.push(Problem::at("deadline_days", tr!(T::CfgDeadlineDays)));
            }
            DeadlineDays {
                warn: d.warn,
                urgent: d.urgent,
            }
        }
    };
    let notify = file.notify.as_ref().map(|n| validate_notify(n, problems));
    for (i, name) in file.secret_env.iter().enumerate() {
        if !crate::secrets::is_env_name(name) {
            problems.push(Problem::at(
                format!("secret_env[{i}]"),
                tr!(T::CfgSecretEnv, name),
            ));
        }
    }
    let import_csv = validate_import(file.import.as_ref(), problems);
    modems_distinct(&numbers_read, problems);
    let forwarders = super::forwarders::validate_forwarders(&file.forwarders, problems);
    super::forwarders::forwarders_served(&numbers_read, &forwarders, problems);
    let inbox = super::forwarders::validate_inbox(file.inbox.as_ref(), problems);
    Some(Config {
        forwarders,
        inbox,
        import_csv,
        timezone_name,
        timezone,
        refresh_minutes,
        notify,
        deadline_days,
        mask_numbers: file.mask_numbers.unwrap_or(true),
        numbers,
        secret_env: file.secret_env.clone(),
    })
}

/// The `notify` section: its events, its command, its channels and the weekly digest.
fn validate_notify(n: &FileNotify, problems: &mut Vec<Problem>) -> Notify {
    let mut events = Vec::new();
    for (i, e) in n.events.iter().enumerate() {
        match NotifyEvent::parse(e) {
            Some(ev) => events.push(ev),
            None => problems.push(Problem::at(
                format!("notify.events[{i}]"),
                tr!(
                    T::CfgChoice,
                    e,
                    NotifyEvent::ALL.map(|e| e.as_str()).join(", ")
                ),
            )),
        }
    }
    if n.events.is_empty() {
        events = NotifyEvent::ALL.to_vec();
    }
    let command = (n.program.is_some() || n.channels.is_empty()).then(|| {
        command_spec(
            "notify",
            n.program.as_ref(),
            Some(&n.args),
            n.timeout_secs.or(Some(10)),
            problems,
        )
    });
    for (i, url) in n.channels.iter().enumerate() {
        if let Err(why) = crate::channels::check(url) {
            problems.push(Problem::at(format!("notify.channels[{i}]"), why));
        }
    }
    let digest = n.digest.as_ref().and_then(|d| {
        let weekday = crate::channels::digest::parse_weekday(&d.weekday);
        if weekday.is_none() {
            problems.push(Problem::at(
                "notify.digest.weekday",
                tr!(T::CfgChoice, d.weekday, "mon, tue, wed, thu, fri, sat, sun"),
            ));
        }
        let at = parse_hhmm(&d.at);
        if at.is_none() {
            problems.push(Problem::at("notify.digest.at", tr!(T::CfgDigestAt, d.at)));
        }
        Some(crate::model::Digest {
            weekday: weekday?,
            at: at?,
        })
    });
    if n.digest.is_some() && n.channels.is_empty() {
        problems.push(Problem::at("notify.digest", tr!(T::CfgDigestNoChannel)));
    }
    Notify {
        command,
        channels: n.channels.clone(),
        events,
        digest,
    }
}

/// Validates one number on its own (presets, the TUI's forms).
pub fn number_from_file(n: &FileNumber) -> std::result::Result<Number, Vec<Problem>> {
    let mut problems = Vec::new();
    let number = validate_number(n, "", &mut problems);
    for p in &mut problems {
        p.path = p.path.trim_start_matches('.').to_string();
    }
    match number {
        Some(n) if problems.is_empty() => Ok(n),
        _ => Err(problems),
    }
}

pub use crate::model::phone::is_e164;

fn money(path: &str, text: &str, currency: Currency, problems: &mut Vec<Problem>) -> Option<Money> {
    match Money::parse(text, currency) {
        Ok(m) => Some(m),
        Err(e) => {
            problems.push(Problem::at(path, e.to_string()));
            None
        }
    }
}

/// The number's `provider`: how its balance is read.
fn validate_provider(n: &FileNumber, here: &str, problems: &mut Vec<Problem>) -> Provider {
    match n.provider.kind.as_str() {
        "manual" => {
            no_command_fields(&format!("{here}.provider"), &n.provider, problems);
            Provider::Manual
        }
        "demo" => {
            no_command_fields(&format!("{here}.provider"), &n.provider, problems);
            Provider::Demo
        }
        "command" => Provider::Command(action_command(
            &format!("{here}.provider"),
            &n.provider,
            problems,
        )),
        "modem" => Provider::Modem(Box::new(modem_provider(
            &format!("{here}.provider"),
            &n.provider,
            n.modem.is_some(),
            problems,
        ))),
        "forwarder" => Provider::Forwarder(Box::new(super::forwarders::forwarder_provider(
            &format!("{here}.provider"),
            &n.provider,
            n.forwarder.is_some(),
            problems,
        ))),
        other => {
            problems.push(Problem::at(
                format!("{here}.provider.kind"),
                tr!(
                    T::CfgChoice,
                    other,
                    "manual, command, demo, modem, forwarder"
                ),
            ));
            Provider::Manual
        }
    }
}

/// The number's `executor`: how a recharge is made.
fn validate_executor(n: &FileNumber, here: &str, problems: &mut Vec<Problem>) -> Executor {
    match n.executor.kind.as_str() {
        "remind" => {
            no_command_fields(&format!("{here}.executor"), &n.executor, problems);
            Executor::Remind
        }
        "demo" => {
            no_command_fields(&format!("{here}.executor"), &n.executor, problems);
            Executor::Demo
        }
        "command" => Executor::Command(action_command(
            &format!("{here}.executor"),
            &n.executor,
            problems,
        )),
        other => {
            problems.push(Problem::at(
                format!("{here}.executor.kind"),
                tr!(T::CfgChoice, other, "remind, command, demo"),
            ));
            Executor::Remind
        }
    }
}

/// The number's phone number in its international form, if it reads as one: a local
/// number (`13800138000`) takes the country of the number's currency.
fn validate_msisdn(
    n: &FileNumber,
    here: &str,
    currency: Option<Currency>,
    problems: &mut Vec<Problem>,
) -> Option<String> {
    let msisdn = crate::model::phone::normalise(&n.msisdn, currency);
    match msisdn
        .as_deref()
        .and_then(crate::model::phone::wrong_length)
    {
        _ if msisdn.is_none() => problems.push(Problem::at(
            format!("{here}.msisdn"),
            tr!(T::CfgMsisdn, n.msisdn),
        )),
        Some((cc, want, have)) => problems.push(Problem::at(
            format!("{here}.msisdn"),
            tr!(T::CfgMsisdnLength, n.msisdn, have, cc, want),
        )),
        None => {}
    }
    msisdn
}

fn validate_number(n: &FileNumber, here: &str, problems: &mut Vec<Problem>) -> Option<Number> {
    if !is_slug(&n.id) {
        problems.push(Problem::at(format!("{here}.id"), tr!(T::CfgSlug, n.id)));
    }
    if n.label.trim().is_empty() || n.label.chars().any(char::is_control) {
        problems.push(Problem::at(format!("{here}.label"), tr!(T::CfgLabel)));
    }
    let currency = match Currency::new(&n.currency) {
        Ok(c) => Some(c),
        Err(e) => {
            problems.push(Problem::at(format!("{here}.currency"), e.to_string()));
            None
        }
    };
    let msisdn = validate_msisdn(n, here, currency, problems);
    let monthly_fee = match (&n.plan.monthly_fee, currency) {
        (Some(d), Some(c)) => money(&format!("{here}.plan.monthly_fee"), &d.0, c, problems),
        _ => None,
    };
    for (name, v) in [
        ("validity_days", n.plan.validity_days),
        ("keep_alive_days", n.plan.keep_alive_days),
    ] {
        if let Some(v) = v
            && !(1..=3650).contains(&v)
        {
            problems.push(Problem::at(
                format!("{here}.plan.{name}"),
                tr!(T::CfgRange, v, 1, 3650),
            ));
        }
    }
    let monthly_budget = match (&n.monthly_budget, currency) {
        (Some(d), Some(c)) => money(&format!("{here}.monthly_budget"), &d.0, c, problems),
        _ => None,
    };
    let verify_tolerance = n
        .verify_tolerance
        .unwrap_or(DEFAULT_VERIFY_TOLERANCE as u32);
    if verify_tolerance > 100 {
        problems.push(Problem::at(
            format!("{here}.verify_tolerance"),
            tr!(T::CfgRange, verify_tolerance, 0, 100),
        ));
    }
    let provider = validate_provider(n, here, problems);
    let executor = validate_executor(n, here, problems);
    let currency = currency?;
    let mut rule_ids = HashSet::new();
    let mut rules = Vec::new();
    for (j, r) in n.rules.iter().enumerate() {
        let rp = format!("{here}.rules[{j}]");
        if !rule_ids.insert(r.id.as_str()) {
            problems.push(Problem::at(
                format!("{rp}.id"),
                tr!(T::CfgDuplicateId, r.id),
            ));
        }
        let sms_host = n.modem.is_some() || n.forwarder.is_some();
        if let Some(rule) = validate_rule(r, &rp, currency, sms_host, problems) {
            rules.push(rule);
        }
    }
    Some(Number {
        id: n.id.clone(),
        label: n.label.clone(),
        msisdn: msisdn.unwrap_or_else(|| n.msisdn.clone()),
        carrier: n.carrier.clone(),
        currency,
        plan: Plan {
            monthly_fee,
            validity_days: n.plan.validity_days,
            keep_alive_days: n.plan.keep_alive_days,
        },
        monthly_budget,
        verify_tolerance: verify_tolerance.min(100) as u8,
        provider,
        executor,
        rules,
        since: None,
        modem: n
            .modem
            .as_ref()
            .map(|m| Box::new(crate::model::modem::ModemMatch::parse(&m.matches))),
        forwarder: super::forwarders::number_forwarder(
            n.forwarder.as_ref(),
            n.modem.is_some(),
            here,
            problems,
        ),
        reply_patterns: validate_reply_patterns(&n.reply_patterns, here, problems),
    })
}

/// Each pattern must compile and name at least one of the groups baohao reads.
fn validate_reply_patterns(
    patterns: &[String],
    here: &str,
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    for (i, p) in patterns.iter().enumerate() {
        let path = format!("{here}.reply_patterns[{i}]");
        match regex::Regex::new(p) {
            Err(e) => problems.push(Problem::at(
                path,
                tr!(T::CfgRegex, p, e.to_string().lines().last().unwrap_or("")),
            )),
            Ok(re) => {
                if !re
                    .capture_names()
                    .flatten()
                    .any(|g| matches!(g, "balance" | "amount" | "valid_until"))
                {
                    problems.push(Problem::at(path, tr!(T::CfgRegexGroups, p)));
                }
            }
        }
    }
    patterns.to_vec()
}

/// The generic CSV column mapping: names given, a date format chrono understands.
fn validate_import(
    file: Option<&FileImport>,
    problems: &mut Vec<Problem>,
) -> Option<crate::model::CsvMapping> {
    let m = file?.csv.as_ref()?;
    for (name, v) in [
        ("date", &m.date),
        ("amount", &m.amount),
        ("description", &m.description),
        ("date_format", &m.date_format),
    ] {
        if v.trim().is_empty() {
            problems.push(Problem::at(
                format!("import.csv.{name}"),
                tr!(T::CfgRequired),
            ));
        }
    }
    let probe = chrono::NaiveDate::from_ymd_opt(2026, 1, 31)
        .and_then(|d| d.and_hms_opt(12, 0, 0))
        .map(|d| {
            let mut out = String::new();
            use std::fmt::Write;
            write!(out, "{}", d.format(&m.date_format)).map(|_| out)
        });
    if !matches!(probe, Some(Ok(_))) {
        problems.push(Problem::at(
            "import.csv.date_format".to_string(),
            tr!(T::CfgDateFormat, m.date_format),
        ));
    }
    let timezone = match &m.timezone {
        None => None,
        Some(name) => match Tz::from_str(name) {
            Ok(tz) => Some((name.clone(), tz)),
            Err(_) => {
                problems.push(Problem::at(
                    "import.csv.timezone".to_string(),
                    tr!(T::CfgTimezone, name),
                ));
                None
            }
        },
    };
    Some(crate::model::CsvMapping {
        timezone,
        date: m.date.trim().to_string(),
        amount: m.amount.trim().to_string(),
        description: m.description.trim().to_string(),
        reference: m.reference.as_ref().map(|r| r.trim().to_string()),
        date_format: m.date_format.clone(),
    })
}

fn no_command_fields(path: &str, a: &FileAction, problems: &mut Vec<Problem>) {
    for (name, present) in [
        ("program", a.program.is_some()),
        ("args", a.args.is_some()),
        (
            "timeout_secs",
            a.timeout_secs.is_some() && a.kind != "modem",
        ),
        ("ussd", a.ussd.is_some() && a.kind != "modem"),
        ("sms", a.sms.is_some() && a.kind != "modem"),
        ("reply_from", a.reply_from.is_some() && a.kind != "modem"),
    ] {
        if present {
            problems.push(Problem::at(
                format!("{path}.{name}"),
                tr!(T::CfgFieldNotForKind, name, a.kind),
            ));
        }
    }
}

/// `{"kind": "modem", "ussd": "*100#"}` or `{"kind": "modem", "sms": {...}, "reply_from": ...}`.
fn modem_provider(
    path: &str,
    a: &FileAction,
    has_modem: bool,
    problems: &mut Vec<Problem>,
) -> crate::model::modem::ModemProvider {
    use crate::model::modem::{DEFAULT_MODEM_TIMEOUT_SECS, ModemProvider, ModemQuery};
    no_command_fields(path, a, problems);
    if !has_modem {
        problems.push(Problem::at(path, tr!(T::CfgModemNeeded)));
    }
    let timeout_secs = a.timeout_secs.unwrap_or(DEFAULT_MODEM_TIMEOUT_SECS);
    if !(1..=3600).contains(&timeout_secs) {
        problems.push(Problem::at(
            format!("{path}.timeout_secs"),
            tr!(T::CfgRange, timeout_secs, 1, 3600),
        ));
    }
    let query = match (&a.ussd, &a.sms) {
        (Some(code), None) => {
            if a.reply_from.is_some() {
                problems.push(Problem::at(
                    format!("{path}.reply_from"),
                    tr!(T::CfgFieldNotForKind, "reply_from", "ussd"),
                ));
            }
            if !crate::model::modem::ussd_code_ok(code) {
                problems.push(Problem::at(
                    format!("{path}.ussd"),
                    tr!(T::ModemBadUssd, code),
                ));
            }
            ModemQuery::Ussd(code.clone())
        }
        (None, Some(sms)) => {
            sms_fields(&format!("{path}.sms"), sms, problems);
            let reply_from = match &a.reply_from {
                Some(r) if r.chars().any(|c| c.is_ascii_digit()) => r.clone(),
                _ => {
                    problems.push(Problem::at(
                        format!("{path}.reply_from"),
                        tr!(T::CfgRequired),
                    ));
                    String::new()
                }
            };
            ModemQuery::Sms {
                to: sms.to.clone(),
                text: sms.text.clone(),
                reply_from,
            }
        }
        _ => {
            problems.push(Problem::at(path, tr!(T::CfgUssdOrSms)));
            ModemQuery::Ussd(String::new())
        }
    };
    ModemProvider {
        query,
        timeout_secs,
    }
}

/// Two numbers must not match the same modem; `any` only when one number has a modem.
fn modems_distinct(numbers: &[super::strict::ReadNumber], problems: &mut Vec<Problem>) {
    let with: Vec<(usize, &str)> = numbers
        .iter()
        .filter_map(|n| n.file.modem.as_ref().map(|m| (n.index, m.matches.trim())))
        .collect();
    let mut seen = HashSet::new();
    for (i, m) in &with {
        let path = format!("numbers[{i}].modem.match");
        if m.eq_ignore_ascii_case("any") && with.len() > 1 {
            problems.push(Problem::at(path, tr!(T::CfgModemAnyAlone)));
        } else if m.is_empty() {
            problems.push(Problem::at(path, tr!(T::CfgRequired)));
        } else if !seen.insert(m.to_ascii_lowercase()) {
            problems.push(Problem::at(path, tr!(T::CfgModemShared, m)));
        }
    }
}

fn action_command(path: &str, a: &FileAction, problems: &mut Vec<Problem>) -> CommandSpec {
    for (name, present) in [
        ("ussd", a.ussd.is_some()),
        ("sms", a.sms.is_some()),
        ("reply_from", a.reply_from.is_some()),
    ] {
        if present {
            problems.push(Problem::at(
                format!("{path}.{name}"),
                tr!(T::CfgFieldNotForKind, name, a.kind),
            ));
        }
    }
    command_spec(
        path,
        a.program.as_ref(),
        a.args.as_ref(),
        a.timeout_secs,
        problems,
    )
}

fn command_spec(
    path: &str,
    program: Option<&String>,
    args: Option<&Vec<String>>,
    timeout_secs: Option<u64>,
    problems: &mut Vec<Problem>,
) -> CommandSpec {
    let program = match program {
        Some(p) if !p.trim().is_empty() => p.clone(),
        _ => {
            problems.push(Problem::at(format!("{path}.program"), tr!(T::CfgRequired)));
            String::new()
        }
    };
    let timeout_secs = timeout_secs.unwrap_or(DEFAULT_TIMEOUT_SECS);
    if !(1..=3600).contains(&timeout_secs) {
        problems.push(Problem::at(
            format!("{path}.timeout_secs"),
            tr!(T::CfgRange, timeout_secs, 1, 3600),
        ));
    }
    CommandSpec {
        program,
        args: args.cloned().unwrap_or_default(),
        timeout_secs,
    }
}

fn validate_rule(
    r: &FileRule,
    rp: &str,
    currency: Currency,
    has_modem: bool,
    problems: &mut Vec<Problem>,
) -> Option<Rule> {
    let before = problems.len();
    if !is_slug(&r.id) {
        problems.push(Problem::at(format!("{rp}.id"), tr!(T::CfgSlug, r.id)));
    }
    let mode = Mode::parse(&r.mode);
    if mode.is_none() {
        problems.push(Problem::at(
            format!("{rp}.mode"),
            tr!(T::CfgChoice, r.mode, "auto, remind, external"),
        ));
    }
    validate_external(r, rp, mode, problems);
    // A keep-alive text may leave its cost out; a recharge needs its amount, and `-5` and
    // `0` break the same rule and get the same sentence.
    let amount = if r.action.is_some() && r.amount.0.trim().is_empty() {
        Some(Money::new(0, currency))
    } else {
        match Money::parse(&r.amount.0, currency) {
            Ok(a) if a.minor > 0 => Some(a),
            Ok(_) | Err(crate::model::MoneyError::Negative(_)) => {
                problems.push(Problem::at(format!("{rp}.amount"), tr!(T::CfgZeroAmount)));
                None
            }
            Err(e) => {
                problems.push(Problem::at(format!("{rp}.amount"), e.to_string()));
                None
            }
        }
    };
    let action = r.action.as_ref().map(|a| {
        let ap = format!("{rp}.action");
        if a.kind.as_deref() != Some("sms") {
            problems.push(Problem::at(
                format!("{ap}.kind"),
                tr!(T::CfgChoice, a.kind.as_deref().unwrap_or(""), "sms"),
            ));
        }
        sms_fields(&ap, a, problems);
        if r.trigger.kind != "keep_alive" || r.mode != "auto" {
            problems.push(Problem::at(ap.clone(), tr!(T::CfgActionKeepAlive)));
        }
        if !has_modem {
            problems.push(Problem::at(ap, tr!(T::CfgModemNeeded)));
        }
        Box::new(crate::model::modem::SmsAction {
            to: a.to.clone(),
            text: a.text.clone(),
        })
    });
    if let Some(0) = r.max_per_month {
        problems.push(Problem::at(
            format!("{rp}.max_per_month"),
            tr!(T::CfgRange, 0, 1, 100),
        ));
    }
    let trigger = validate_trigger(&r.trigger, &format!("{rp}.trigger"), currency, problems);
    if problems.len() > before {
        return None;
    }
    Some(Rule {
        id: r.id.clone(),
        enabled: r.enabled,
        mode: mode?,
        amount: amount?,
        trigger: trigger?,
        max_per_month: r.max_per_month,
        via: r.via.as_ref().map(|v| v.trim().to_string()),
        confirm_hours: r.confirm_hours,
        action,
    })
}

/// `via` and `confirm_hours` belong to external rules, and an external rule says who runs it.
fn validate_external(r: &FileRule, rp: &str, mode: Option<Mode>, problems: &mut Vec<Problem>) {
    let external = mode == Some(Mode::External);
    match (&r.via, external) {
        (None, true) => problems.push(Problem::at(format!("{rp}.via"), tr!(T::CfgRequired))),
        (Some(v), true) if v.trim().is_empty() || v.chars().any(char::is_control) => {
            problems.push(Problem::at(format!("{rp}.via"), tr!(T::CfgVia)))
        }
        (Some(_), false) => problems.push(Problem::at(
            format!("{rp}.via"),
            tr!(T::CfgFieldNotForMode, "via", r.mode),
        )),
        _ => {}
    }
    match r.confirm_hours {
        Some(_) if !external => problems.push(Problem::at(
            format!("{rp}.confirm_hours"),
            tr!(T::CfgFieldNotForMode, "confirm_hours", r.mode),
        )),
        Some(h) if !(1..=720).contains(&h) => problems.push(Problem::at(
            format!("{rp}.confirm_hours"),
            tr!(T::CfgRange, h, 1, 720),
        )),
        _ => {}
    }
}

/// Parses "HH:MM" (24-hour).
pub fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
}

/// Says each field of `t` that its kind does not take (a `day` on a `low_balance`).
fn fields_of_kind(t: &FileTrigger, tp: &str, kind: TriggerKind, problems: &mut Vec<Problem>) {
    let allowed: &[&str] = match kind {
        TriggerKind::Monthly => &["day", "at"],
        TriggerKind::LowBalance => &["below", "cooldown_hours"],
        TriggerKind::BeforeExpiry => &["days"],
        TriggerKind::KeepAlive => &["every_days"],
    };
    for (name, present) in [
        ("day", t.day.is_some()),
        ("at", t.at.is_some()),
        ("below", t.below.is_some()),
        ("cooldown_hours", t.cooldown_hours.is_some()),
        ("days", t.days.is_some()),
        ("every_days", t.every_days.is_some()),
    ] {
        if present && !allowed.contains(&name) {
            problems.push(Problem::at(
                format!("{tp}.{name}"),
                tr!(T::CfgFieldNotForKind, name, t.kind),
            ));
        }
    }
}

fn validate_trigger(
    t: &FileTrigger,
    tp: &str,
    currency: Currency,
    problems: &mut Vec<Problem>,
) -> Option<Trigger> {
    let Some(kind) = TriggerKind::parse(&t.kind) else {
        problems.push(Problem::at(
            format!("{tp}.kind"),
            tr!(
                T::CfgChoice,
                t.kind,
                TriggerKind::ALL.map(|k| k.as_str()).join(", ")
            ),
        ));
        return None;
    };
    fields_of_kind(t, tp, kind, problems);
    let required = |name: &str, problems: &mut Vec<Problem>| {
        problems.push(Problem::at(format!("{tp}.{name}"), tr!(T::CfgRequired)));
    };
    match kind {
        TriggerKind::Monthly => {
            let day = match &t.day {
                None => {
                    required("day", problems);
                    None
                }
                Some(v) => parse_month_day(v).or_else(|| {
                    problems.push(Problem::at(format!("{tp}.day"), tr!(T::CfgDay, v)));
                    None
                }),
            };
            let at = match &t.at {
                None => NaiveTime::from_hms_opt(9, 0, 0),
                Some(s) => parse_hhmm(s).or_else(|| {
                    problems.push(Problem::at(format!("{tp}.at"), tr!(T::CfgHhmm, s)));
                    None
                }),
            };
            Some(Trigger::Monthly { day: day?, at: at? })
        }
        TriggerKind::LowBalance => {
            let below = match &t.below {
                None => {
                    required("below", problems);
                    None
                }
                Some(d) => money(&format!("{tp}.below"), &d.0, currency, problems),
            };
            let cooldown_hours = t.cooldown_hours.unwrap_or(24);
            if cooldown_hours > 24 * 366 {
                problems.push(Problem::at(
                    format!("{tp}.cooldown_hours"),
                    tr!(T::CfgRange, cooldown_hours, 0, 24 * 366),
                ));
            }
            Some(Trigger::LowBalance {
                below: below?,
                cooldown_hours,
            })
        }
        TriggerKind::BeforeExpiry => match t.days {
            None => {
                required("days", problems);
                None
            }
            Some(d) if !(1..=365).contains(&d) => {
                problems.push(Problem::at(
                    format!("{tp}.days"),
                    tr!(T::CfgRange, d, 1, 365),
                ));
                None
            }
            Some(days) => Some(Trigger::BeforeExpiry { days }),
        },
        TriggerKind::KeepAlive => match t.every_days {
            None => {
                required("every_days", problems);
                None
            }
            Some(d) if !(1..=3650).contains(&d) => {
                problems.push(Problem::at(
                    format!("{tp}.every_days"),
                    tr!(T::CfgRange, d, 1, 3650),
                ));
                None
            }
            Some(every_days) => Some(Trigger::KeepAlive { every_days }),
        },
    }
}

pub fn parse_month_day(v: &serde_json::Value) -> Option<MonthDay> {
    match v {
        serde_json::Value::Number(n) => n
            .as_u64()
            .filter(|d| (1..=31).contains(d))
            .map(|d| MonthDay::Day(d as u8)),
        serde_json::Value::String(s) if s == "last" => Some(MonthDay::Last),
        serde_json::Value::String(s) => s
            .parse::<u8>()
            .ok()
            .filter(|d| (1..=31).contains(d))
            .map(MonthDay::Day),
        _ => None,
    }
}
