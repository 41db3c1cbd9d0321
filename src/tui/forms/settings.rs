//! The settings form (`,` anywhere): the time zone every time is in, how often balances
//! are read, when deadlines turn amber and red, and the program that sends notifications.

use chrono_tz::Tz;

use crate::i18n::T;
use crate::model::number::{CommandSpec, DEFAULT_TIMEOUT_SECS};
use crate::model::{Config, DeadlineDays, Notify, NotifyEvent};
use crate::tr;
use crate::tui::form::{Field, FieldId, Value};

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
    /// How long the notifier may run, in seconds, and the events it is run for.
    pub notify_timeout_secs: u64,
    pub notify_events: Vec<NotifyEvent>,
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
                .and_then(|n| n.command.as_ref())
                .map(|c| c.program.clone())
                .unwrap_or_default(),
            notify_args: config
                .notify
                .as_ref()
                .and_then(|n| n.command.as_ref())
                .map(|c| c.args.clone())
                .unwrap_or_default(),
            notify_timeout_secs: config
                .notify
                .as_ref()
                .and_then(|n| n.command.as_ref())
                .map_or(DEFAULT_TIMEOUT_SECS, |c| c.timeout_secs),
            notify_events: config
                .notify
                .as_ref()
                .map_or(NotifyEvent::ALL.to_vec(), |n| n.events.clone()),
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
        let notifier_edited = self.notify_program != original.notify_program
            || self.notify_args != original.notify_args
            || self.notify_timeout_secs != original.notify_timeout_secs
            || self.notify_events != original.notify_events;
        if !notifier_edited {
            return;
        }
        // Each part the person did not touch stays as the file has it now.
        let now = current.notify.take();
        let (command, channels, digest, events) = match now {
            Some(n) => (n.command, n.channels, n.digest, n.events),
            None => (None, Vec::new(), None, NotifyEvent::ALL.to_vec()),
        };
        let (program, args, timeout_secs) = match command {
            Some(c) => (c.program, c.args, c.timeout_secs),
            None => (String::new(), Vec::new(), DEFAULT_TIMEOUT_SECS),
        };
        let pick = |edited: bool| edited || program.is_empty();
        let program = if pick(self.notify_program != original.notify_program) {
            self.notify_program.clone()
        } else {
            program.clone()
        };
        if program.is_empty() && channels.is_empty() {
            current.notify = None;
            return;
        }
        let command = (!program.is_empty()).then(|| CommandSpec {
            args: if pick(self.notify_args != original.notify_args) {
                self.notify_args.clone()
            } else {
                args
            },
            timeout_secs: if pick(self.notify_timeout_secs != original.notify_timeout_secs) {
                self.notify_timeout_secs
            } else {
                timeout_secs
            },
            program,
        });
        current.notify = Some(Notify {
            command,
            channels,
            digest,
            events: if pick(self.notify_events != original.notify_events) {
                self.notify_events.clone()
            } else {
                events
            },
        });
    }
}

/// The events as the form shows them: `all`, or their names.
fn events_text(events: &[NotifyEvent]) -> String {
    if NotifyEvent::ALL.iter().all(|e| events.contains(e)) {
        "all".to_string()
    } else {
        events
            .iter()
            .map(|e| e.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// `all`, or event names separated by commas or spaces, each once, in the order given.
pub fn parse_events(text: &str) -> Result<Vec<NotifyEvent>, String> {
    let names: Vec<&str> = text
        .split(|c: char| c == ',' || c == '，' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect();
    if names.len() == 1 && names[0].eq_ignore_ascii_case("all") {
        return Ok(NotifyEvent::ALL.to_vec());
    }
    if names.is_empty() {
        return Err(tr!(T::NoNotifyEvents));
    }
    let mut out = Vec::new();
    for name in names {
        match NotifyEvent::parse(name) {
            Some(e) if !out.contains(&e) => out.push(e),
            Some(_) => {}
            None => {
                let all: Vec<&str> = NotifyEvent::ALL.iter().map(|e| e.as_str()).collect();
                return Err(tr!(
                    T::NotNotifyEvent,
                    crate::text::clean::value(name),
                    all.join(", ")
                ));
            }
        }
    }
    Ok(out)
}

/// One line per push channel: its last delivery and how it went (or the answer to a test
/// just sent), then the URL without its secrets (the URL last: a narrow form cuts it rather
/// than the outcome).
pub fn channel_lines(
    config: &Config,
    state: &crate::engine::State,
    test: Option<&(String, Option<Result<(), String>>)>,
) -> Vec<(String, String)> {
    let Some(n) = config.notify.as_ref() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (i, written) in n.channels.iter().enumerate() {
        let id = crate::channels::id_of(written);
        let last = state
            .numbers
            .values()
            .flat_map(|ns| ns.deliveries.iter())
            .filter(|((_, _, c), _)| *c == id)
            .filter_map(|(_, d)| d.last_at.map(|t| (t, d)))
            .max_by_key(|(t, _)| *t);
        let label = crate::channels::label_of(written);
        let line = match (test.filter(|(u, _)| u == written), last) {
            (Some((_, answer)), _) => {
                format!("{}. {} · {label}", i + 1, super::test_line(answer.as_ref()))
            }
            (None, None) => tr!(T::SettingsChannelNever, i + 1, label),
            (None, Some((t, d))) => {
                let when = crate::tui::widgets::when(config.timezone, t, false);
                let why = d.error.clone().unwrap_or_default();
                if d.delivered {
                    tr!(T::SettingsChannelOk, i + 1, when, label)
                } else if d.gave_up() {
                    tr!(T::SettingsChannelGaveUp, i + 1, when, why, label)
                } else {
                    tr!(T::SettingsChannelFailed, i + 1, when, why, label)
                }
            }
        };
        out.push((written.clone(), crate::secrets::redact(&line).into_owned()));
    }
    out
}

/// Puts Settings' channel rows (a heading, one row per channel, the row that adds one)
/// after its fields, as the config and the log have them now; the focus stays on the row
/// it was on where that row is still there.
pub fn refresh_channel_rows(of: &mut OpenForm, config: &Config, state: &crate::engine::State) {
    let f = &mut of.form;
    let focused = f.focused().map(|x| x.id);
    f.fields.retain(|x| {
        !matches!(
            x.id,
            FieldId::ChannelsHeader | FieldId::Channel(_) | FieldId::AddChannel
        )
    });
    f.fields
        .push(Field::row(FieldId::ChannelsHeader, tr!(T::SettingsChannels)).locked());
    let lines = channel_lines(config, state, of.channels.test.as_ref());
    for (i, (_, line)) in lines.iter().enumerate() {
        f.fields.push(Field::row(FieldId::Channel(i), line.clone()));
    }
    f.fields
        .push(Field::row(FieldId::AddChannel, tr!(T::SettingsAddChannel)));
    let n = lines.len();
    let want = match focused {
        Some(FieldId::Channel(_)) if n == 0 => Some(FieldId::AddChannel),
        Some(FieldId::Channel(i)) => Some(FieldId::Channel(i.min(n - 1))),
        other => other,
    };
    if let Some(i) = want.and_then(|w| f.fields.iter().position(|x| x.id == w)) {
        f.focus = i;
    }
}

/// The channel (its URL as the config has it) on Settings' focused row.
pub fn focused_channel(of: &OpenForm, config: &Config) -> Option<String> {
    match of.form.focused()?.id {
        FieldId::Channel(i) => config.notify.as_ref()?.channels.get(i).cloned(),
        _ => None,
    }
}

/// Settings' forwarder rows: a heading with the inbox's address, then each forwarder as the
/// Numbers pane shows it (`seen`: what the worker last saw of each) and the numbers it serves.
pub fn forwarder_lines(
    config: &Config,
    state: &crate::engine::State,
    seen: &[crate::forwarder::seen::Seen],
    now: chrono::DateTime<chrono::Utc>,
) -> Vec<String> {
    if config.forwarders.is_empty() && config.inbox.is_none() {
        return Vec::new();
    }
    let inbox = match &config.inbox {
        Some(i) => tr!(T::SettingsInboxAt, i.listen),
        None => tr!(T::SettingsInboxOff),
    };
    let mut lines = vec![format!("{} · {inbox}", tr!(T::SettingsForwarders))];
    for f in &config.forwarders {
        let s = seen.iter().find(|s| s.id == f.id);
        let heard = crate::forwarder::seen::heard(f, config, state, s);
        let silent = heard.is_some_and(|t| now - t > chrono::Duration::hours(f.quiet_hours.into()));
        let (text, _) = crate::text::labels::forwarder_seen(f, s, heard, silent, now);
        let served: Vec<&str> = config
            .numbers
            .iter()
            .filter(|n| n.forwarder.as_ref().is_some_and(|r| r.id == f.id))
            .map(|n| n.id.as_str())
            .collect();
        let serves = if served.is_empty() {
            tr!(T::SettingsFwdServesNone)
        } else {
            tr!(T::SettingsFwdServes, served.join(", "))
        };
        lines.push(format!("  {text} · {serves}"));
    }
    lines
}

/// Rewrites Settings' forwarder and channel rows in place from what the worker saw last and what the
/// log holds now (a text just heard, a battery reading): the form stays open while the
/// phone posts, and its rows must not keep the state of when it was opened. True when a
/// row changed.
pub fn refresh_settings_rows(
    of: &mut OpenForm,
    config: &Config,
    state: &crate::engine::State,
    seen: &[crate::forwarder::seen::Seen],
    now: chrono::DateTime<chrono::Utc>,
) -> bool {
    if of.purpose != Purpose::Settings {
        return false;
    }
    let mut lines = forwarder_lines(config, state, seen, now).into_iter();
    let mut changed = false;
    for f in of.form.fields.iter_mut() {
        if !matches!(f.id, FieldId::ForwardersHeader | FieldId::Forwarder(_)) {
            continue;
        }
        // A forwarder added or taken away comes with a config reload, which opens the
        // form again; here the rows are the same ones, each with its text now.
        if let (Value::Row(text), Some(line)) = (&mut f.value, lines.next())
            && *text != line
        {
            *text = line;
            changed = true;
        }
    }
    // The channel rows too: a delivery, or a retry given up, lands in the log meanwhile.
    let rows = |of: &OpenForm| -> Vec<String> {
        of.form
            .fields
            .iter()
            .filter_map(|f| match (&f.id, &f.value) {
                (FieldId::Channel(_), Value::Row(t)) => Some(t.clone()),
                _ => None,
            })
            .collect()
    };
    let before = rows(of);
    refresh_channel_rows(of, config, state);
    changed || rows(of) != before
}

pub fn settings_form(
    config: &Config,
    state: &crate::engine::State,
    forwarders: Vec<String>,
) -> OpenForm {
    let s = Settings::of(config);
    let mut fields = vec![
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
        Field::text(
            FieldId::NotifyTimeout,
            tr!(T::FieldNotifyTimeout),
            &s.notify_timeout_secs.to_string(),
        )
        .with_hint(tr!(T::HintSeconds)),
        Field::text(
            FieldId::NotifyEvents,
            tr!(T::FieldNotifyEvents),
            &events_text(&s.notify_events),
        )
        .with_hint(tr!(T::HintNotifyEvents)),
    ];
    // The forwarders, read-only: their config is the file's (`forwarders setup` tells how).
    for (i, line) in forwarders.into_iter().enumerate() {
        let id = if i == 0 {
            FieldId::ForwardersHeader
        } else {
            FieldId::Forwarder(i - 1)
        };
        fields.push(Field::row(id, line).locked());
    }
    let mut form = Form::new(tr!(T::FormSettings), fields);
    form.notes.push(tr!(T::FormSettingsNote));
    let mut of = OpenForm {
        purpose: Purpose::Settings,
        form,
        preset_rules: Vec::new(),
        confirm_discard: false,
        channels: Default::default(),
        preset_fill: None,
        original: Original::Settings(Box::new(s)),
    };
    refresh_channel_rows(&mut of, config, state);
    of
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
    let timeout = super::number::timeout_field(f, FieldId::NotifyTimeout);
    if timeout.is_none()
        && f.field(FieldId::NotifyTimeout)
            .is_some_and(|x| x.error.is_none())
    {
        f.set_error(
            FieldId::NotifyTimeout,
            Some(tr!(T::CfgRange, "—", 1, 86_400)),
        );
    }
    let events = match parse_events(f.get(FieldId::NotifyEvents)) {
        Ok(events) => Some(events),
        Err(e) => {
            f.set_error(FieldId::NotifyEvents, Some(e));
            None
        }
    };
    Some(Built::Settings(Box::new(Settings {
        timezone: timezone?,
        refresh_minutes: refresh?,
        deadline_days: deadline_days?,
        notify_program: program,
        notify_args: args,
        notify_timeout_secs: timeout?,
        notify_events: events?,
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_are_all_or_known_names_each_once() {
        assert_eq!(parse_events(" ALL "), Ok(NotifyEvent::ALL.to_vec()));
        assert_eq!(
            parse_events("in_doubt，low_balance in_doubt"),
            Ok(vec![NotifyEvent::InDoubt, NotifyEvent::LowBalance])
        );
        assert!(parse_events(" , ").is_err());
        let e = parse_events("reminder_due, nope").unwrap_err();
        assert!(
            e.contains("\"nope\"") && e.contains("duplicate_charge"),
            "{e}"
        );
        assert_eq!(events_text(&NotifyEvent::ALL), "all");
        assert_eq!(
            events_text(&[NotifyEvent::Unverified, NotifyEvent::InDoubt]),
            "unverified, in_doubt"
        );
    }

    fn with_notifier(args: &[&str]) -> Config {
        let mut c = crate::home::demo::config();
        c.notify = Some(Notify {
            command: Some(CommandSpec {
                program: "/bin/notify".into(),
                args: args.iter().map(|s| s.to_string()).collect(),
                timeout_secs: 10,
            }),
            channels: Vec::new(),
            events: NotifyEvent::ALL.to_vec(),
            digest: None,
        });
        c
    }

    #[test]
    fn a_changed_notifier_part_keeps_the_parts_another_program_changed() {
        let opened = with_notifier(&["--old"]);
        let original = Settings::of(&opened);
        let mut edited = original.clone();
        edited.notify_events = vec![NotifyEvent::InDoubt];
        // Meanwhile an editor changed the arguments and the timeout.
        let mut current = with_notifier(&["--new"]);
        if let Some(c) = current.notify.as_mut().and_then(|n| n.command.as_mut()) {
            c.timeout_secs = 99;
        }
        edited.apply(&original, &mut current);
        let n = current.notify.expect("notifier kept");
        assert_eq!(n.events, vec![NotifyEvent::InDoubt]);
        let command = n.command.expect("command kept");
        assert_eq!(command.args, vec!["--new".to_string()]);
        assert_eq!(command.timeout_secs, 99);
        assert_eq!(command.program, "/bin/notify");
    }

    #[test]
    fn a_notifier_set_where_the_file_has_none_takes_every_field_of_the_form() {
        let mut current = crate::home::demo::config();
        current.notify = None;
        let original = Settings::of(&current);
        let mut edited = original.clone();
        edited.notify_program = "/bin/tell".into();
        edited.notify_timeout_secs = 5;
        edited.apply(&original, &mut current);
        let n = current.notify.expect("notifier set");
        let command = n.command.expect("command set");
        assert_eq!(command.program, "/bin/tell");
        assert_eq!(command.timeout_secs, 5);
        assert_eq!(n.events, NotifyEvent::ALL.to_vec());
    }
}
