//! config.json: the strict file form, validation with a path for every problem, and the
//! atomic save that never overwrites a change another process made since it was read.

use std::collections::HashSet;
use std::fs::OpenOptions;
use std::hash::{Hash, Hasher};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::str::FromStr;

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::i18n::T;
use crate::model::number::{DEFAULT_TIMEOUT_SECS, DEFAULT_VERIFY_TOLERANCE};
use crate::model::{
    CommandSpec, Config, Currency, DeadlineDays, Executor, Mode, Money, MonthDay, Notify,
    NotifyEvent, Number, Plan, Provider, Rule, Trigger, TriggerKind,
};
use crate::store::fsutil;
use crate::store::paths::Paths;
use crate::tr;

// ---------------------------------------------------------------- the file form

/// A decimal amount as written: a string (`"10.50"`) or, forgivingly, a JSON integer.
/// A JSON fraction is refused: it would have passed through a float.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
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
    #[serde(default)]
    pub numbers: Vec<FileNumber>,
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
    pub program: String,
    #[serde(default)]
    pub args: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    #[serde(default)]
    pub events: Vec<String>,
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

/// A provider or an executor: `kind` plus the command fields when the kind is `command`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAction {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub program: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileRule {
    pub id: String,
    #[serde(default = "yes")]
    pub enabled: bool,
    pub mode: String,
    pub amount: Decimal,
    pub trigger: FileTrigger,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_per_month: Option<u32>,
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

// ---------------------------------------------------------------- problems

/// One thing wrong with a config: where (a JSON path, and a line when known) and what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub path: String,
    pub line: Option<usize>,
    pub message: String,
}

impl Problem {
    fn at(path: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            path: path.into(),
            line: None,
            message: message.into(),
        }
    }

    /// "config.json:12: numbers[0].rules[1].amount: ..." — one sentence naming where and what.
    pub fn render(&self, file: &Path) -> String {
        let mut s = file.display().to_string();
        if let Some(l) = self.line {
            s.push_str(&format!(":{l}"));
        }
        s.push_str(": ");
        if !self.path.is_empty() {
            s.push_str(&self.path);
            s.push_str(": ");
        }
        s.push_str(&self.message);
        if !s.ends_with('.') && !s.ends_with('。') {
            s.push('.');
        }
        s
    }
}

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
    let de = &mut serde_json::Deserializer::from_slice(text);
    let file: FileConfig = match serde_path_to_error::deserialize(de) {
        Ok(f) => f,
        Err(e) => {
            let path = e.path().to_string();
            let inner = e.into_inner();
            let line = (inner.line() > 0).then_some(inner.line());
            let mut message = inner.to_string();
            // serde_json appends " at line L column C"; the line is reported separately.
            if let Some(i) = message.rfind(" at line ") {
                message.truncate(i);
            }
            return Err(vec![Problem {
                path: if path == "." { String::new() } else { path },
                line,
                message,
            }]);
        }
    };
    validate(&file, text)
}

/// The 1-based line where the value at `path` (like `numbers[0].rules[1].amount`) starts,
/// or, for a path one level deeper than what exists, where its parent starts.
pub fn line_of_path(text: &[u8], path: &str) -> Option<usize> {
    let mut found = None;
    let mut parent = None;
    let parent_path = path.rfind(['.', '[']).map(|i| &path[..i]);
    walk_json(text, &mut |p, line| {
        if p == path && found.is_none() {
            found = Some(line);
        }
        if Some(p) == parent_path && parent.is_none() {
            parent = Some(line);
        }
    });
    found.or(parent)
}

/// Calls `visit(path, line)` for the start of every value in a JSON text (best effort on
/// broken text: it stops where it cannot go on).
fn walk_json(text: &[u8], visit: &mut dyn FnMut(&str, usize)) {
    enum Frame {
        Object { key: Option<String> },
        Array { index: usize },
    }
    let mut stack: Vec<(Frame, usize)> = Vec::new();
    let mut path = String::new();
    let mut line = 1;
    let mut i = 0;
    let mut expect_value = true;
    let read_string = |i: &mut usize, line: &mut usize| -> String {
        let start = *i + 1;
        *i += 1;
        while *i < text.len() && text[*i] != b'"' {
            if text[*i] == b'\\' {
                *i += 1;
            }
            if text.get(*i) == Some(&b'\n') {
                *line += 1;
            }
            *i += 1;
        }
        let s = String::from_utf8_lossy(&text[start.min(text.len())..(*i).min(text.len())])
            .into_owned();
        *i += 1;
        s
    };
    while i < text.len() {
        let c = text[i];
        match c {
            b'\n' => {
                line += 1;
                i += 1;
            }
            b' ' | b'\t' | b'\r' | b':' => i += 1,
            b',' => {
                if let Some((Frame::Array { index }, base)) = stack.last_mut() {
                    *index += 1;
                    path.truncate(*base);
                    path.push_str(&format!("[{index}]"));
                    expect_value = true;
                } else if let Some((Frame::Object { key }, base)) = stack.last_mut() {
                    *key = None;
                    path.truncate(*base);
                }
                i += 1;
            }
            b'}' | b']' => {
                if let Some((_, base)) = stack.pop() {
                    path.truncate(base);
                }
                expect_value = false;
                i += 1;
            }
            b'"' if matches!(stack.last(), Some((Frame::Object { key: None }, _)))
                && !expect_value =>
            {
                let k = read_string(&mut i, &mut line);
                if let Some((Frame::Object { key }, base)) = stack.last_mut() {
                    path.truncate(*base);
                    if *base > 0 {
                        path.push('.');
                    }
                    path.push_str(&k);
                    *key = Some(k);
                }
                expect_value = true;
            }
            _ => {
                if expect_value {
                    visit(&path, line);
                }
                expect_value = false;
                match c {
                    b'{' => {
                        stack.push((Frame::Object { key: None }, path.len()));
                        i += 1;
                    }
                    b'[' => {
                        let base = path.len();
                        stack.push((Frame::Array { index: 0 }, base));
                        path.push_str("[0]");
                        expect_value = true;
                        i += 1;
                        // An empty array: nothing to visit.
                        while i < text.len() && text[i].is_ascii_whitespace() {
                            if text[i] == b'\n' {
                                line += 1;
                            }
                            i += 1;
                        }
                        if text.get(i) == Some(&b']') {
                            expect_value = false;
                        }
                    }
                    b'"' => {
                        read_string(&mut i, &mut line);
                    }
                    _ => {
                        while i < text.len()
                            && !matches!(text[i], b',' | b'}' | b']' | b'\n' | b' ')
                        {
                            i += 1;
                        }
                    }
                }
            }
        }
    }
}

fn validate(file: &FileConfig, text: &[u8]) -> std::result::Result<Config, Vec<Problem>> {
    let mut problems = Vec::new();
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
    let notify = file.notify.as_ref().map(|n| {
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
        let command = command_spec(
            "notify",
            Some(&n.program),
            Some(&n.args),
            n.timeout_secs.or(Some(10)),
            &mut problems,
        );
        Notify { command, events }
    });
    let mut ids = HashSet::new();
    let mut numbers = Vec::new();
    for (i, n) in file.numbers.iter().enumerate() {
        let here = format!("numbers[{i}]");
        if !ids.insert(n.id.as_str()) {
            problems.push(Problem::at(
                format!("{here}.id"),
                tr!(T::CfgDuplicateId, n.id),
            ));
        }
        if let Some(num) = validate_number(n, &here, &mut problems) {
            numbers.push(num);
        }
    }
    for p in &mut problems {
        p.line = p.line.or_else(|| line_of_path(text, &p.path));
    }
    if problems.is_empty() {
        Ok(Config {
            timezone_name,
            timezone,
            refresh_minutes,
            notify,
            deadline_days,
            numbers,
        })
    } else {
        Err(problems)
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

/// A slug: 1–32 of ASCII letters, digits, `-` and `_`.
pub fn is_slug(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 32
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// E.164: `+`, a non-zero country digit, 7 to 15 digits in all.
pub fn is_e164(s: &str) -> bool {
    let Some(d) = s.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&d.len()) && d.bytes().all(|b| b.is_ascii_digit()) && !d.starts_with('0')
}

fn money(path: &str, text: &str, currency: Currency, problems: &mut Vec<Problem>) -> Option<Money> {
    match Money::parse(text, currency) {
        Ok(m) => Some(m),
        Err(e) => {
            problems.push(Problem::at(path, e.to_string()));
            None
        }
    }
}

fn validate_number(n: &FileNumber, here: &str, problems: &mut Vec<Problem>) -> Option<Number> {
    if !is_slug(&n.id) {
        problems.push(Problem::at(format!("{here}.id"), tr!(T::CfgSlug, n.id)));
    }
    if n.label.trim().is_empty() || n.label.chars().any(char::is_control) {
        problems.push(Problem::at(format!("{here}.label"), tr!(T::CfgLabel)));
    }
    if !is_e164(&n.msisdn) {
        problems.push(Problem::at(
            format!("{here}.msisdn"),
            tr!(T::CfgMsisdn, n.msisdn),
        ));
    }
    let currency = match Currency::new(&n.currency) {
        Ok(c) => Some(c),
        Err(e) => {
            problems.push(Problem::at(format!("{here}.currency"), e.to_string()));
            None
        }
    };
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
    let provider = match n.provider.kind.as_str() {
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
        other => {
            problems.push(Problem::at(
                format!("{here}.provider.kind"),
                tr!(T::CfgChoice, other, "manual, command, demo"),
            ));
            Provider::Manual
        }
    };
    let executor = match n.executor.kind.as_str() {
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
    };
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
        if let Some(rule) = validate_rule(r, &rp, currency, problems) {
            rules.push(rule);
        }
    }
    Some(Number {
        id: n.id.clone(),
        label: n.label.clone(),
        msisdn: n.msisdn.clone(),
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
    })
}

fn no_command_fields(path: &str, a: &FileAction, problems: &mut Vec<Problem>) {
    for (name, present) in [
        ("program", a.program.is_some()),
        ("args", a.args.is_some()),
        ("timeout_secs", a.timeout_secs.is_some()),
    ] {
        if present {
            problems.push(Problem::at(
                format!("{path}.{name}"),
                tr!(T::CfgFieldNotForKind, name, a.kind),
            ));
        }
    }
}

fn action_command(path: &str, a: &FileAction, problems: &mut Vec<Problem>) -> CommandSpec {
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
            tr!(T::CfgChoice, r.mode, "auto, remind"),
        ));
    }
    let amount = money(&format!("{rp}.amount"), &r.amount.0, currency, problems);
    if let Some(a) = amount
        && a.minor == 0
    {
        problems.push(Problem::at(format!("{rp}.amount"), tr!(T::CfgZeroAmount)));
    }
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
    })
}

/// Parses "HH:MM" (24-hour).
pub fn parse_hhmm(s: &str) -> Option<NaiveTime> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
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
            program: n.command.program.clone(),
            args: n.command.args.clone(),
            timeout_secs: Some(n.command.timeout_secs),
            events: n.events.iter().map(|e| e.as_str().to_string()).collect(),
        }),
        numbers: c.numbers.iter().map(number_to_file).collect(),
    }
}

fn action_to_file(kind: &str, cmd: Option<&CommandSpec>) -> FileAction {
    FileAction {
        kind: kind.to_string(),
        program: cmd.map(|c| c.program.clone()),
        args: cmd.map(|c| c.args.clone()),
        timeout_secs: cmd.map(|c| c.timeout_secs),
    }
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
            p => action_to_file(p.kind(), None),
        },
        executor: match &n.executor {
            Executor::Command(c) => action_to_file("command", Some(c)),
            e => action_to_file(e.kind(), None),
        },
        rules: n.rules.iter().map(rule_to_file).collect(),
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
        amount: Decimal(r.amount.decimal()),
        trigger: t,
        max_per_month: r.max_per_month,
    }
}

/// The config as the file holds it: pretty JSON, two-space indent, a final newline.
pub fn render(c: &Config) -> String {
    let mut s = serde_json::to_string_pretty(&to_file(c)).unwrap_or_default();
    s.push('\n');
    s
}

// ---------------------------------------------------------------- load and save

/// What the file held when it was read, to notice another process's change before saving.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    len: usize,
    hash: u64,
}

impl Stamp {
    pub fn of(bytes: &[u8]) -> Stamp {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        bytes.hash(&mut h);
        Stamp {
            len: bytes.len(),
            hash: h.finish(),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Loaded {
    pub config: Config,
    pub stamp: Stamp,
}

/// Reads and validates the config; the error is one sentence (the first problem, and a
/// pointer to `baohao validate` when there are more).
pub fn load(paths: &Paths) -> Result<Loaded> {
    let bytes = match std::fs::read(&paths.config) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::input(tr!(T::NoConfig, paths.config.display())));
        }
        Err(e) => return Err(Error::io(T::WhatRead, &paths.config, &e)),
    };
    let stamp = Stamp::of(&bytes);
    match parse(&bytes) {
        Ok(config) => Ok(Loaded { config, stamp }),
        Err(problems) => Err(problems_error(&paths.config, &problems)),
    }
}

pub fn problems_error(file: &Path, problems: &[Problem]) -> Error {
    let mut msg = problems.first().map(|p| p.render(file)).unwrap_or_default();
    if problems.len() > 1 {
        msg.push(' ');
        msg.push_str(&tr!(T::CfgMoreProblems, problems.len() - 1));
    }
    Error::input(msg)
}

/// Saves `config` if the file still holds what `expected` stamped (or is absent and
/// `expected` is `None`). On a change by someone else: `ErrorKind::Conflict`, file untouched.
pub fn save(paths: &Paths, config: &Config, expected: Option<Stamp>) -> Result<Stamp> {
    paths.ensure_dirs()?;
    let lock = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(&paths.config_lock)
        .map_err(|e| Error::io(T::WhatOpen, &paths.config_lock, &e))?;
    lock.lock()
        .map_err(|e| Error::io(T::WhatLock, &paths.config_lock, &e))?;
    let current = match std::fs::read(&paths.config) {
        Ok(b) => Some(Stamp::of(&b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(Error::io(T::WhatRead, &paths.config, &e)),
    };
    if current != expected {
        return Err(Error::conflict(tr!(T::CfgConflict, paths.config.display())));
    }
    let text = render(config);
    fsutil::write_atomic(&paths.config, text.as_bytes())
        .map_err(|e| Error::io(T::WhatWrite, &paths.config, &e))?;
    Ok(Stamp::of(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{
  "version": 1,
  "timezone": "Asia/Shanghai",
  "refresh_minutes": 60,
  "numbers": [{
    "id": "cmcc", "label": "移动保号卡", "msisdn": "+8613800138000",
    "carrier": "China Mobile", "currency": "CNY",
    "plan": { "monthly_fee": "8.00", "validity_days": null, "keep_alive_days": null },
    "monthly_budget": "30.00",
    "provider": { "kind": "command", "program": "/usr/local/bin/cmcc-balance", "args": ["--json"], "timeout_secs": 30 },
    "executor": { "kind": "remind" },
    "rules": [
      { "id": "monthly", "enabled": true, "mode": "remind", "amount": "10.00",
        "trigger": { "kind": "monthly", "day": 5, "at": "09:00" } },
      { "id": "low", "enabled": true, "mode": "auto", "amount": "20.00",
        "trigger": { "kind": "low_balance", "below": "5.00", "cooldown_hours": 24 } }
    ]
  }]
}"#;

    fn problems(text: &str) -> Vec<Problem> {
        parse(text.as_bytes()).expect_err("should be refused")
    }

    #[test]
    fn the_design_example_parses_and_round_trips() {
        let c = parse(GOOD.as_bytes()).unwrap();
        assert_eq!(c.numbers[0].rules.len(), 2);
        assert_eq!(c.numbers[0].plan.monthly_fee.unwrap().minor, 800);
        let again = parse(render(&c).as_bytes()).unwrap();
        assert_eq!(again, c);
    }

    #[test]
    fn unknown_field_is_named_with_its_path() {
        let bad = GOOD.replace("\"below\": \"5.00\"", "\"belw\": \"5.00\"");
        let p = problems(&bad);
        assert_eq!(p[0].path, "numbers[0].rules[1].trigger.belw");
        assert!(p[0].message.contains("belw"), "{:?}", p[0]);
        assert_eq!(p[0].line, Some(16));
        let bad = GOOD.replace("\"refresh_minutes\"", "\"refresh_minute\"");
        assert!(problems(&bad)[0].message.contains("refresh_minute"));
    }

    #[test]
    fn each_refusal_names_its_place() {
        let cases = [
            ("\"10.00\"", "\"10.005\"", "numbers[0].rules[0].amount"),
            ("+8613800138000", "13800138000", "numbers[0].msisdn"),
            ("Asia/Shanghai", "Asia/Shangai", "timezone"),
            (
                "\"day\": 5",
                "\"day\": 32",
                "numbers[0].rules[0].trigger.day",
            ),
            ("\"09:00\"", "\"9am\"", "numbers[0].rules[0].trigger.at"),
            (
                "\"id\": \"low\"",
                "\"id\": \"monthly\"",
                "numbers[0].rules[1].id",
            ),
            (
                "\"mode\": \"auto\"",
                "\"mode\": \"often\"",
                "numbers[0].rules[1].mode",
            ),
            (
                "\"kind\": \"remind\"",
                "\"kind\": \"remind\", \"program\": \"x\"",
                "numbers[0].executor.program",
            ),
            (
                "\"currency\": \"CNY\"",
                "\"currency\": \"XXX\"",
                "numbers[0].currency",
            ),
            ("\"30.00\"", "\"-30\"", "numbers[0].monthly_budget"),
            (
                "\"cooldown_hours\": 24",
                "\"cooldown_hours\": 24, \"day\": 3",
                "numbers[0].rules[1].trigger.day",
            ),
        ];
        for (from, to, path) in cases {
            let bad = GOOD.replacen(from, to, 1);
            assert_ne!(bad, GOOD, "{from}");
            let p = problems(&bad);
            assert!(p.iter().any(|p| p.path == path), "{path}: {p:?}");
            assert!(p.iter().all(|p| p.line.is_some()), "{p:?}");
        }
    }

    #[test]
    fn lines_are_found_for_paths() {
        let t = GOOD.as_bytes();
        assert_eq!(line_of_path(t, "timezone"), Some(3));
        assert_eq!(line_of_path(t, "numbers[0].msisdn"), Some(6));
        assert_eq!(line_of_path(t, "numbers[0].rules[1].amount"), Some(15));
        assert_eq!(
            line_of_path(t, "numbers[0].rules[1].trigger.below"),
            Some(16)
        );
        assert_eq!(
            line_of_path(t, "numbers[0].rules[1].trigger.nothing"),
            Some(16)
        );
        assert_eq!(line_of_path(t, "numbers[0].provider.args[0]"), Some(10));
    }

    #[test]
    fn float_amounts_and_broken_json_are_refused_clearly() {
        let p = problems(&GOOD.replace("\"10.00\"", "10.5"));
        assert_eq!(p[0].path, "numbers[0].rules[0].amount");
        assert!(p[0].message.contains("strings"));
        let p = problems(&GOOD[..200]);
        assert!(p[0].line.is_some());
        assert!(parse(GOOD.replace("\"10.00\"", "10").as_bytes()).is_ok());
    }

    #[test]
    fn duplicate_numbers_are_refused() {
        let c = parse(GOOD.as_bytes()).unwrap();
        let mut file = to_file(&c);
        file.numbers.push(file.numbers[0].clone());
        let text = serde_json::to_string(&file).unwrap();
        assert!(problems(&text).iter().any(|p| p.path == "numbers[1].id"));
    }

    #[test]
    fn save_refuses_to_overwrite_a_change_made_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::in_home(dir.path());
        std::fs::write(&paths.config, GOOD).unwrap();
        let loaded = load(&paths).unwrap();
        let mut c = loaded.config.clone();
        c.refresh_minutes = 30;
        let stamp = save(&paths, &c, Some(loaded.stamp)).unwrap();
        assert_eq!(load(&paths).unwrap().config.refresh_minutes, 30);
        std::fs::write(&paths.config, render(&loaded.config).replace("30", "45")).unwrap();
        c.refresh_minutes = 15;
        let err = save(&paths, &c, Some(stamp)).unwrap_err();
        assert_eq!(err.kind, crate::error::ErrorKind::Conflict);
        assert!(
            std::fs::read_to_string(&paths.config)
                .unwrap()
                .contains("45")
        );
    }
}
