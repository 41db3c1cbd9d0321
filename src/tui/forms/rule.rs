//! The rule form: the trigger kind picks the fields shown; the preview lists the next five
//! dates as the rule stands in the form.

use chrono::{DateTime, Utc};

use crate::engine::{State, forecast};
use crate::i18n::T;
use crate::model::{Config, Mode, Number, Rule, Trigger, TriggerKind};
use crate::store::config::{Decimal, FileRule, FileTrigger, number_from_file};
use crate::text::format::local_minute;
use crate::tr;
use crate::tui::form::{Field, FieldId, Form};

use super::*;

pub(crate) fn kind_options() -> Vec<(String, String)> {
    TriggerKind::ALL
        .iter()
        .map(|k| (k.as_str().to_string(), k.label()))
        .collect()
}

/// What the trigger fields start with: the rule's own values, the defaults for the
/// others.
struct TriggerTexts {
    day: String,
    at: String,
    below: String,
    cooldown: String,
    days: String,
    every: String,
}

fn trigger_texts(r: Option<&Rule>) -> TriggerTexts {
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
    TriggerTexts {
        day,
        at,
        below,
        cooldown,
        days,
        every,
    }
}

/// The trigger's fields, every kind's (the form shows those of the kind chosen).
fn trigger_fields(texts: TriggerTexts, number: &Number) -> Vec<Field> {
    let TriggerTexts {
        day,
        at,
        below,
        cooldown,
        days,
        every,
    } = texts;
    vec![
        Field::text(FieldId::Day, tr!(T::FieldDay), &day).with_hint(tr!(T::HintDay)),
        Field::text(FieldId::At, tr!(T::FieldAt), &at).with_hint("HH:MM".into()),
        Field::text(FieldId::Below, tr!(T::FieldBelow), &below)
            .with_hint(number.currency.code().to_string()),
        Field::text(FieldId::Cooldown, tr!(T::FieldCooldown), &cooldown)
            .with_hint(tr!(T::HintHours)),
        Field::text(FieldId::Days, tr!(T::FieldDays), &days)
            .with_hint(tr!(T::HintDaysBeforeExpiry)),
        Field::text(FieldId::EveryDays, tr!(T::FieldEveryDays), &every).with_hint(tr!(T::HintDays)),
    ]
}

pub fn rule_form(config: &Config, number: &Number, editing: Option<&Rule>) -> OpenForm {
    let r = editing;
    let numbers: Vec<(String, String)> = config
        .numbers
        .iter()
        .map(|n| (n.id.clone(), format!("{} ({})", n.label, n.id)))
        .collect();
    let number_field = Field::choice(FieldId::Number, tr!(T::FieldNumber), numbers, &number.id);
    let id_default = r
        .map(|r| r.id.clone())
        .unwrap_or_else(|| fresh_rule_id(number, "monthly"));
    let id = Field::text(FieldId::Id, tr!(T::FieldId), &id_default).with_hint(tr!(T::HintSlug));
    let mut fields = vec![
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
                ("remind", Mode::Remind.label()),
                ("auto", Mode::Auto.label()),
                ("external", Mode::External.label()),
            ]),
            r.map_or("remind", |r| r.mode.as_str()),
        ),
        Field::text(
            FieldId::Via,
            tr!(T::FieldVia),
            r.and_then(|r| r.via.as_deref()).unwrap_or(""),
        )
        .with_hint(tr!(T::HintVia)),
        Field::text(
            FieldId::ConfirmHours,
            tr!(T::FieldConfirmHours),
            &num_text(r.and_then(|r| r.confirm_hours)),
        )
        .with_hint(confirm_hint(
            r.map_or(TriggerKind::Monthly, |r| r.trigger.kind()),
        )),
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
        Field::text(
            FieldId::MaxPerMonth,
            tr!(T::FieldMaxPerMonth),
            &num_text(r.and_then(|r| r.max_per_month)),
        )
        .with_hint(tr!(T::HintNoCap)),
    ];
    // The trigger's own fields go before the monthly cap.
    let cap = fields.pop();
    fields.extend(trigger_fields(trigger_texts(r), number));
    fields.extend(cap);
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
        channels: Default::default(),
        preset_fill: None,
        original: editing.map_or(Original::None, |r| Original::Rule(r.clone())),
    };
    arrange(&mut of);
    of
}

/// The confirmation window a blank field means, for the trigger kind.
pub(crate) fn confirm_hint(kind: TriggerKind) -> String {
    tr!(
        T::HintConfirmHours,
        format!(
            "{} {}",
            crate::model::rule::default_confirm_hours(kind),
            tr!(T::HintHoursShort)
        )
    )
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

/// The trigger the form's fields of `kind` say; a whole number that does not read is
/// marked on its field (the config's validation says what else is wrong).
fn trigger_of_form(f: &mut Form, kind: &str) -> FileTrigger {
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
    let day = f.get(FieldId::Day).trim().to_string();
    let mut trigger = FileTrigger {
        kind: kind.to_string(),
        ..FileTrigger::default()
    };
    match TriggerKind::parse(kind) {
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
    trigger
}

/// Marks each problem on its visible field (the first on each); one no field shows is
/// said by the form, so Enter never fails silently.
fn mark_rule_problems(f: &mut Form, problems: Vec<crate::store::config::Problem>) {
    for p in problems {
        match field_of(&p.path) {
            Some(id) if f.field(id).is_some_and(|x| x.visible && x.error.is_none()) => {
                f.set_error(id, Some(p.message));
            }
            Some(id) if f.field(id).is_some_and(|x| x.visible) => {}
            _ if f.error.is_none() => f.error = Some(tr!(T::FormCannotSave, p.message)),
            _ => {}
        }
    }
}

pub(crate) fn validate_rule(
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
    let trigger = trigger_of_form(f, &kind);
    let max = opt_u32(f, FieldId::MaxPerMonth).unwrap_or(None);
    let kept = editing_id.as_deref().and_then(|id| number.rule(id));
    let mode = f.get(FieldId::Mode).to_string();
    // What no longer applies to the mode chosen is dropped, so switching modes keeps the
    // form savable: `via` and the window belong to external rules, a text to auto keep-alive.
    let external = mode == Mode::External.as_str();
    let via = external.then(|| f.get(FieldId::Via).trim().to_string());
    let confirm_hours = if external {
        opt_u32(f, FieldId::ConfirmHours).unwrap_or(None)
    } else {
        None
    };
    let keeps_action = mode == Mode::Auto.as_str() && kind == TriggerKind::KeepAlive.as_str();
    let rule = FileRule {
        id: f.get(FieldId::Id).trim().to_string(),
        enabled: f.get(FieldId::Enabled) == "yes",
        mode,
        amount: Decimal(f.get(FieldId::Amount).trim().to_string()),
        trigger,
        max_per_month: max,
        via: via.filter(|v| !v.is_empty()),
        confirm_hours,
        // The form has no field for a keep-alive text; editing keeps the rule's own.
        action: kept
            .filter(|_| keeps_action)
            .and_then(|r| r.action.as_deref())
            .map(crate::store::config::action_to_file_sms),
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
            mark_rule_problems(f, problems);
            f.notes = vec![tr!(T::PreviewWhenValid)];
            None
        }
    }
}

/// "Next: …" lines for a rule's next five dates.
pub(crate) fn preview_lines(
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
            crate::engine::due::effective_mode(r, alone) == crate::model::Mode::Auto
        });
        out.push(if auto {
            tr!(T::PreviewNowAuto)
        } else {
            tr!(T::PreviewNowRemind)
        });
    }
    out
}
