//! The settings form (`,` anywhere): the time zone every time is in, how often balances
//! are read, when deadlines turn amber and red, and the program that sends notifications.

use chrono_tz::Tz;

use crate::i18n::T;
use crate::model::number::{CommandSpec, DEFAULT_TIMEOUT_SECS};
use crate::model::{Config, DeadlineDays, Notify, NotifyEvent};
use crate::tr;
use crate::tui::form::{Field, FieldId};

use super::{Built, OpenForm, Original, Purpose, opt_u32};
use crate::tui::form::Form;

/// The home-wide settings as the form shows them.
#[derive(Clone, Debug, PartialEq)]
pub struct Settings {
    pub timezone: Tz,
    pub refresh_minutes: u32,
    pub deadline_days: DeadlineDays,
    /// The notifier's program (empty: none) and its arguments.
    pub notify_program: String,
    pub notify_args: Vec<String>,
}

impl Settings {
    pub fn of(config: &Config) -> Settings {
        Settings {
            timezone: config.timezone,
            refresh_minutes: config.refresh_minutes,
            deadline_days: config.deadline_days,
            notify_program: config
                .notify
                .as_ref()
                .map(|n| n.command.program.clone())
                .unwrap_or_default(),
            notify_args: config
                .notify
                .as_ref()
                .map(|n| n.command.args.clone())
                .unwrap_or_default(),
        }
    }

    /// `self` (as edited) on top of `current`, keeping what the person did not change from
    /// `original` (another program may have changed it meanwhile).
    pub fn apply(&self, original: &Settings, current: &mut Config) {
        if self.timezone != original.timezone {
            current.timezone = self.timezone;
            current.timezone_name = Some(self.timezone.name().to_string());
        }
        if self.refresh_minutes != original.refresh_minutes {
            current.refresh_minutes = self.refresh_minutes;
        }
        if self.deadline_days != original.deadline_days {
            current.deadline_days = self.deadline_days;
        }
        if self.notify_program != original.notify_program
            || self.notify_args != original.notify_args
        {
            current.notify = if self.notify_program.is_empty() {
                None
            } else {
                // The events and the timeout stay as the file has them.
                let (events, timeout_secs) = current
                    .notify
                    .as_ref()
                    .map_or((NotifyEvent::ALL.to_vec(), DEFAULT_TIMEOUT_SECS), |n| {
                        (n.events.clone(), n.command.timeout_secs)
                    });
                Some(Notify {
                    command: CommandSpec {
                        program: self.notify_program.clone(),
                        args: self.notify_args.clone(),
                        timeout_secs,
                    },
                    events,
                })
            };
        }
    }
}

pub fn settings_form(config: &Config) -> OpenForm {
    let s = Settings::of(config);
    let fields = vec![
        Field::text(FieldId::Timezone, tr!(T::FieldTimezone), s.timezone.name())
            .with_hint(tr!(T::HintTimezone)),
        Field::text(
            FieldId::RefreshMinutes,
            tr!(T::FieldRefreshMinutes),
            &s.refresh_minutes.to_string(),
        )
        .with_hint(tr!(T::HintMinutes)),
        Field::text(
            FieldId::WarnDays,
            tr!(T::FieldWarnDays),
            &s.deadline_days.warn.to_string(),
        )
        .with_hint(tr!(T::HintDayCount)),
        Field::text(
            FieldId::UrgentDays,
            tr!(T::FieldUrgentDays),
            &s.deadline_days.urgent.to_string(),
        )
        .with_hint(tr!(T::HintDayCount)),
        Field::text(
            FieldId::NotifyProgram,
            tr!(T::FieldNotifyProgram),
            &s.notify_program,
        )
        .with_hint(tr!(T::HintNotifyProgram)),
        Field::text(
            FieldId::NotifyArgs,
            tr!(T::FieldArgs),
            &s.notify_args.join(" "),
        )
        .with_hint(tr!(T::HintArgs)),
    ];
    let mut form = Form::new(tr!(T::FormSettings), fields);
    form.notes.push(tr!(T::FormSettingsNote));
    OpenForm {
        purpose: Purpose::Settings,
        form,
        preset_rules: Vec::new(),
        confirm_discard: false,
        preset_fill: None,
        original: Original::Settings(Box::new(s)),
    }
}

pub(super) fn validate_settings(of: &mut OpenForm) -> Option<Built> {
    let f = &mut of.form;
    let tz_text = f.get(FieldId::Timezone).trim().to_string();
    let timezone = match tz_text.parse::<Tz>() {
        Ok(tz) => Some(tz),
        Err(_) => {
            f.set_error(FieldId::Timezone, Some(tr!(T::CfgTimezone, tz_text)));
            None
        }
    };
    let refresh = opt_u32(f, FieldId::RefreshMinutes).ok().flatten();
    match refresh {
        Some(m) if (1..=10_080).contains(&m) => {}
        Some(m) => f.set_error(
            FieldId::RefreshMinutes,
            Some(tr!(T::CfgRange, m, 1, 10_080)),
        ),
        None if f
            .field(FieldId::RefreshMinutes)
            .is_some_and(|x| x.error.is_none()) =>
        {
            f.set_error(
                FieldId::RefreshMinutes,
                Some(tr!(T::CfgRange, "—", 1, 10_080)),
            )
        }
        None => {}
    }
    let warn = opt_u32(f, FieldId::WarnDays).ok().flatten();
    let urgent = opt_u32(f, FieldId::UrgentDays).ok().flatten();
    let deadline_days = match (warn, urgent) {
        (Some(warn), Some(urgent)) if urgent <= warn && warn <= 3650 => {
            Some(DeadlineDays { warn, urgent })
        }
        _ => {
            if f.field(FieldId::UrgentDays)
                .is_some_and(|x| x.error.is_none())
            {
                f.set_error(FieldId::UrgentDays, Some(tr!(T::CfgDeadlineDays)));
            }
            None
        }
    };
    let program = f.get(FieldId::NotifyProgram).trim().to_string();
    let args = super::number::args(f.get(FieldId::NotifyArgs));
    Some(Built::Settings(Box::new(Settings {
        timezone: timezone?,
        refresh_minutes: refresh?,
        deadline_days: deadline_days?,
        notify_program: program,
        notify_args: args,
    })))
}
