//! Effects: what `update` asks the world to do, and the one place that does it. `update`
//! decides and returns effects; the loop (or a test's `press`) runs them here: config
//! saves, log appends, the CSV export, a signal to the daemon, requests to the worker.

use crate::error::{Error, ErrorKind, Result};
use crate::i18n::T;
use crate::link::Request;
use crate::model::{Config, Number, Rule};
use crate::session::Resolution;
use crate::store::Log;
use crate::tr;
use crate::tui::app::{App, ImportPreview, Level, Overlay, RuleRow};
use crate::tui::forms::{self, OpenForm};
use crate::tui::operation::Operation;

/// A change to the config, applied on top of the file as it is when saved: only what the
/// person changed is written, so an edit another program made meanwhile stays.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigChange {
    DeleteNumber(String),
    DeleteRule {
        number: String,
        rule: String,
    },
    SetEnabled {
        number: String,
        rule: String,
        enabled: bool,
    },
    /// A number as the form opened on it (`None`: a new one) and as edited.
    PutNumber {
        original: Option<Box<Number>>,
        edited: Box<Number>,
    },
    PutRule {
        number: String,
        original: Option<Box<Rule>>,
        edited: Box<Rule>,
    },
    /// A push channel's URL added to `notify.channels` (once), or taken out of it.
    AddChannel(String),
    DeleteChannel(String),
    /// A channel changed in the channel form: `new` takes `old`'s place in the list.
    ReplaceChannel {
        old: String,
        new: String,
    },
    /// The home-wide settings as the form opened on them and as edited.
    Settings {
        original: Box<forms::Settings>,
        edited: Box<forms::Settings>,
    },
}

#[derive(Debug)]
pub enum Effect {
    /// Save a config change; `form`, when the change came from one, reopens with the error
    /// if the save fails.
    SaveConfig {
        change: ConfigChange,
        form: Option<Box<OpenForm>>,
    },
    /// Append an operation to the log.
    Append {
        op: Operation,
        form: Option<Box<OpenForm>>,
    },
    /// Write the History view as CSV (`rows` entries) to a file named `name`.
    Export {
        csv: String,
        rows: usize,
        name: String,
    },
    /// Ask the daemon with this pid to refresh now (SIGUSR1).
    SignalDaemon(u32),
    /// A request for the worker this session runs.
    Worker(Request),
    /// Read the log's new lines.
    Tail,
    /// Read the config again if it changed on disk.
    ReloadConfig,
    /// Read and check a file for import, writing nothing, and show what it would add;
    /// `form` reopens with the error if the file does not read.
    ImportRead {
        path: String,
        format: Option<crate::import::Format>,
        number: Option<String>,
        password: Option<String>,
        form: Option<Box<OpenForm>>,
    },
    /// Send a push channel's test message now, its answer coming back to the app.
    TestChannel(String),
    /// Append those of `events` not in the log yet (the file `name` read before).
    ImportAdd {
        name: String,
        events: Vec<crate::model::Event>,
    },
}

/// Keeps `current`'s value of each listed field unless the person changed it (edited
/// differs from original).
macro_rules! merge_fields {
    ($original:expr, $edited:expr, $current:expr; $($f:ident),+) => {{
        let mut out = $edited.clone();
        $(if $edited.$f == $original.$f { out.$f = $current.$f.clone(); })+
        out
    }};
}

/// The rule as edited, on top of the rule as it is now.
pub fn merge_rule(original: &Rule, edited: &Rule, current: &Rule) -> Rule {
    merge_fields!(original, edited, current;
        id, enabled, mode, amount, trigger, max_per_month, via, confirm_hours, action)
}

/// The number as edited, on top of the number as it is now (its rules are the Rules tab's).
pub fn merge_number(original: &Number, edited: &Number, current: &Number) -> Number {
    let mut n = merge_fields!(original, edited, current;
        id, label, msisdn, carrier, currency, plan, monthly_budget, verify_tolerance,
        provider, executor, reply_patterns, modem, forwarder, since);
    n.rules = current.rules.clone();
    n
}

fn gone_number(id: &str) -> Error {
    Error::conflict(tr!(T::UnknownNumber, id, "-"))
}

/// `change` applied to `current`: pure, so it is tested without a home.
pub fn apply_change(change: &ConfigChange, current: &Config) -> Result<Config> {
    let mut new = current.clone();
    match change {
        ConfigChange::DeleteNumber(id) => new.numbers.retain(|n| &n.id != id),
        ConfigChange::DeleteRule { number, rule } => {
            if let Some(n) = new.numbers.iter_mut().find(|n| &n.id == number) {
                n.rules.retain(|r| &r.id != rule);
            }
        }
        ConfigChange::SetEnabled {
            number,
            rule,
            enabled,
        } => {
            let n = new
                .numbers
                .iter_mut()
                .find(|n| &n.id == number)
                .ok_or_else(|| gone_number(number))?;
            let r = n
                .rules
                .iter_mut()
                .find(|r| &r.id == rule)
                .ok_or_else(|| Error::conflict(tr!(T::TuiRuleGone, rule, number)))?;
            r.enabled = *enabled;
        }
        ConfigChange::PutNumber { original, edited } => match original {
            Some(orig) => {
                let slot = new
                    .numbers
                    .iter_mut()
                    .find(|x| x.id == orig.id)
                    .ok_or_else(|| gone_number(&orig.id))?;
                *slot = merge_number(orig, edited, slot);
            }
            None => new.numbers.push((**edited).clone()),
        },
        ConfigChange::PutRule {
            number,
            original,
            edited,
        } => {
            let n = new
                .numbers
                .iter_mut()
                .find(|x| &x.id == number)
                .ok_or_else(|| gone_number(number))?;
            match original {
                Some(orig) => {
                    let slot = n
                        .rules
                        .iter_mut()
                        .find(|r| r.id == orig.id)
                        .ok_or_else(|| Error::conflict(tr!(T::TuiRuleGone, orig.id, number)))?;
                    *slot = merge_rule(orig, edited, slot);
                }
                None => n.rules.push((**edited).clone()),
            }
        }
        ConfigChange::Settings { original, edited } => edited.apply(original, &mut new),
        ConfigChange::AddChannel(url) => {
            let n = new.notify.get_or_insert_with(|| crate::model::Notify {
                command: None,
                channels: Vec::new(),
                digest: None,
                events: crate::model::NotifyEvent::ALL.to_vec(),
            });
            if !n.channels.iter().any(|c| c.trim() == url.trim()) {
                n.channels.push(url.clone());
            }
        }
        ConfigChange::ReplaceChannel { old, new: url } => {
            let gone = || Error::conflict(tr!(T::ChanGone, crate::channels::label_of(old)));
            let n = new.notify.as_mut().ok_or_else(gone)?;
            let at = n.channels.iter().position(|c| c == old).ok_or_else(gone)?;
            n.channels[at] = url.clone();
            // The new URL may have been added meanwhile elsewhere in the list: once.
            let mut seen = 0;
            n.channels.retain(|c| {
                if c.trim() == url.trim() {
                    seen += 1;
                    seen == 1
                } else {
                    true
                }
            });
        }
        ConfigChange::DeleteChannel(url) => {
            if let Some(n) = new.notify.as_mut() {
                n.channels.retain(|c| c != url);
                if n.channels.is_empty() && n.command.is_none() && n.digest.is_none() {
                    new.notify = None;
                }
            }
        }
    }
    Ok(new)
}

/// What a person is told when a change was saved.
fn saved_message(change: &ConfigChange) -> String {
    match change {
        ConfigChange::DeleteNumber(id) => tr!(T::TuiDeletedNumber, id),
        ConfigChange::DeleteRule { number, rule } => tr!(T::TuiDeletedRule, rule, number),
        ConfigChange::SetEnabled { rule, enabled, .. } => {
            if *enabled {
                tr!(T::TuiRuleOn, rule)
            } else {
                tr!(T::TuiRuleOff, rule)
            }
        }
        ConfigChange::PutNumber { original, edited } => match original {
            Some(_) => tr!(T::TuiSavedNumber, edited.label),
            None => tr!(T::TuiAddedNumber, edited.label),
        },
        ConfigChange::PutRule { edited, .. } => tr!(T::TuiSavedRule, edited.describe()),
        ConfigChange::Settings { edited, .. } => {
            tr!(T::TuiSavedSettings, edited.timezone.name())
        }
        ConfigChange::AddChannel(url) => {
            tr!(T::TuiAddedChannel, crate::channels::label_of(url))
        }
        ConfigChange::DeleteChannel(url) => {
            tr!(T::TuiDeletedChannel, crate::channels::label_of(url))
        }
        ConfigChange::ReplaceChannel { new, .. } => {
            tr!(T::TuiSavedChannel, crate::channels::label_of(new))
        }
    }
}

/// Runs `effects`; returns the requests for the worker (the loop sends them on).
pub fn run_all(app: &mut App, effects: Vec<Effect>) -> Vec<Request> {
    let mut requests = Vec::new();
    for e in effects {
        run(app, e, &mut requests);
    }
    requests
}

fn run(app: &mut App, effect: Effect, requests: &mut Vec<Request>) {
    app.dirty = true;
    match effect {
        Effect::SaveConfig { change, form } => match save_config(app, &change) {
            Ok(()) => {
                requests.push(Request::ConfigChanged);
                select_saved(app, &change);
                app.say(saved_message(&change), Level::Info);
                // A channel added or deleted from Settings: back to Settings, its rows
                // as the file has them now (its own edits kept).
                if matches!(
                    change,
                    ConfigChange::AddChannel(_)
                        | ConfigChange::DeleteChannel(_)
                        | ConfigChange::ReplaceChannel { .. }
                ) && let Some(of) = form
                {
                    let mut back = if of.purpose == forms::Purpose::AddChannel {
                        of.channels.parent
                    } else {
                        Some(of)
                    };
                    if let Some(b) = back.as_mut() {
                        forms::refresh_channel_rows(b, &app.session.config, app.session.state());
                    }
                    if let Some(b) = back {
                        app.overlay = Overlay::Form(b);
                    }
                }
            }
            Err(e) => failed(app, e, form),
        },
        Effect::Append { op, form } => match append(app, op) {
            Ok(msg) => {
                app.after_log_change();
                app.say(msg, Level::Info);
            }
            Err(e) => failed(app, e, form),
        },
        Effect::Export { csv, rows, name } => export(app, &csv, rows, &name),
        Effect::SignalDaemon(pid) => {
            let sent = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid as i32),
                nix::sys::signal::Signal::SIGUSR1,
            )
            .is_ok();
            if sent {
                app.say(tr!(T::TuiAskedDaemon, pid), Level::Info);
            } else {
                app.say(tr!(T::TuiDaemonGone, pid), Level::Warn);
            }
        }
        Effect::Worker(r) => requests.push(r),
        Effect::Tail => {
            if let Err(e) = app.tail() {
                app.say(e.message, Level::Error);
            }
        }
        Effect::ImportRead {
            path,
            format,
            number,
            password,
            form,
        } => match import_read(app, &path, format, number, password) {
            Ok(p) => app.overlay = Overlay::Import(Box::new(p)),
            Err(e) => failed(app, e, form),
        },
        Effect::TestChannel(url) => test_channel(app, url),
        Effect::ImportAdd { name, events } => match import_add(app, &name, &events) {
            Ok(msg) => app.say(msg, Level::Info),
            Err(e) => app.say(e.message, Level::Error),
        },
        Effect::ReloadConfig => {
            let r = app.session.reload_config(false);
            let changed = matches!(r, crate::session::Reload::Changed { fixed: false, .. });
            app.reloaded(r);
            if changed {
                app.say(tr!(T::TuiConfigReloaded), Level::Info);
            }
        }
    }
}

/// A failed effect: back into its form with the error beside it, or said.
fn failed(app: &mut App, e: Error, form: Option<Box<OpenForm>>) {
    match form {
        Some(mut of) => {
            of.form.error = Some(e.message.clone());
            if e.kind == ErrorKind::Conflict {
                // Reloaded underneath: the edit is still here to save again.
                forms::validate(&mut of, &app.session.config, app.session.state(), app.now);
            }
            app.overlay = Overlay::Form(of);
        }
        None => app.say(e.message, Level::Error),
    }
}

/// Reads the file as it is now, applies the change on top of it, and saves it stamped
/// (a change by someone else in between is a conflict, and the file is read again).
fn save_config(app: &mut App, change: &ConfigChange) -> Result<()> {
    let r = app.session.reload_config(false);
    app.reloaded(r);
    if let Some(p) = &app.session.config_problem {
        return Err(Error::conflict(p.clone()));
    }
    let new = apply_change(change, &app.session.config)?;
    let r = app.session.save_config(new, app.clock.now());
    app.after_log_change();
    r
}

/// After a save, the new number or rule is selected.
fn select_saved(app: &mut App, change: &ConfigChange) {
    match change {
        ConfigChange::PutNumber { original: None, .. } => {
            app.tabs.numbers.sel = app.session.config.numbers.len().saturating_sub(1);
        }
        ConfigChange::PutRule { number, edited, .. } => {
            let numbers = &app.session.config.numbers;
            if let Some(i) = app.derived.rule_rows.iter().position(|r| match r {
                RuleRow::Rule(ni, ri) => {
                    numbers[*ni].id == *number && numbers[*ni].rules[*ri].id == edited.id
                }
                _ => false,
            }) {
                app.tabs.rules.sel = i;
            }
        }
        _ => {}
    }
    app.clamp();
}

fn number_of(app: &App, id: &str) -> Result<Number> {
    app.session
        .config
        .number(id)
        .cloned()
        .ok_or_else(|| Error::input(tr!(T::UnknownNumber, id, "-")))
}

/// Appends an operation; the message to show.
fn append(app: &mut App, op: Operation) -> Result<String> {
    let now = app.clock.now();
    let r = match op {
        Operation::TopUp {
            number,
            amount,
            note,
            at,
        } => {
            let n = number_of(app, &number)?;
            let (_, settles) = app.session.top_up(&n, amount, note, at.unwrap_or(now))?;
            let mut msg = tr!(T::TuiToppedUp, amount.display(), n.label);
            if settles.is_some() {
                msg.push(' ');
                msg.push_str(&tr!(T::TuiSettledReminder));
            }
            Ok(msg)
        }
        Operation::Balance {
            number,
            amount,
            validity,
        } => {
            let n = number_of(app, &number)?;
            app.session.balance(&n, amount, validity, now)?;
            Ok(tr!(T::BalanceDone, n.label, amount.display()))
        }
        Operation::Activity { number, note } => {
            let n = number_of(app, &number)?;
            app.session.activity(&n, note, now)?;
            Ok(tr!(T::ActivityDone, n.id, n.label))
        }
        Operation::Resolve { intent, resolution } => {
            let (_, what) =
                app.session
                    .resolve(&intent, resolution, Some(tr!(T::TuiResolvedNote)), now)?;
            Ok(match resolution {
                Resolution::Succeeded => tr!(T::ResolveDone, intent, what, tr!(T::StSucceeded)),
                Resolution::Failed => tr!(T::TuiResolvedFailedRetries, what),
                Resolution::FailedFinal => tr!(T::TuiResolvedFailedFinal, what),
                Resolution::Dismissed => tr!(T::TuiDismissed, what),
            })
        }
    };
    app.say_log_problems();
    r
}

/// Reads and checks a whole file as `baohao import --dry-run` does: nothing is written.
fn import_read(
    app: &mut App,
    path: &str,
    format: Option<crate::import::Format>,
    number: Option<String>,
    password: Option<String>,
) -> Result<ImportPreview> {
    let file = std::path::Path::new(path);
    let input = std::fs::File::open(file).map_err(|e| Error::io(T::WhatOpen, file, &e))?;
    let options = crate::import::Options {
        format,
        number,
        password,
        ..Default::default()
    };
    let config = &app.session.config;
    let now_local = app
        .clock
        .now()
        .with_timezone(&config.timezone)
        .fixed_offset();
    let reading = crate::import::read(config, input, &options, now_local).map_err(|mut e| {
        // The form has a field for it: the command line's `--password` is no hint here.
        if e.message == tr!(T::ImportZipNeedsPassword) {
            e.message = tr!(T::TuiZipNeedsPassword);
        }
        Error::input(e.sentence(path))
    })?;
    let log = &app.session.paths.log;
    let (added, _) = Log::new(log)
        .append_new(&reading.events, true)
        .map_err(|e| Error::io(T::WhatRead, log, &e))?;
    // What the rows would look like once in: on a copy of the state, as the command's dry
    // run does (only when something is new: otherwise the import says it adds nothing).
    let duplicates = if added > 0 {
        let mut state = app.session.state().clone();
        for e in &reading.events {
            state.apply(e);
        }
        crate::import::duplicates_said(&state, config, &reading.events, app.clock.now())
    } else {
        Vec::new()
    };
    Ok(ImportPreview {
        duplicates,
        name: path.to_string(),
        already: reading.events.len() - added,
        added,
        events: reading.events,
        unmatched: reading.unmatched,
        skipped: reading.skipped,
    })
}

/// Appends what is new of an import, under the log's lock (the command's path: a second
/// import, or one made meanwhile by another program, adds nothing); then reads it back.
fn import_add(app: &mut App, name: &str, events: &[crate::model::Event]) -> Result<String> {
    let log = app.session.paths.log.clone();
    let (added, torn) = Log::new(&log)
        .stamping(app.clock.now())
        .append_new(events, false)
        .map_err(|e| Error::io(T::WhatWrite, &log, &e))?;
    if let Some(t) = torn {
        app.session.problems.push(t.render(&log));
    }
    app.tail()?;
    let mut said = tr!(T::ImportDone, name, added, events.len() - added);
    let now = app.clock.now();
    for d in crate::import::duplicates_said(app.session.state(), &app.session.config, events, now) {
        said.push(' ');
        said.push_str(&d);
    }
    Ok(said)
}

/// Writes the CSV into the home's `exports/` folder (0700; the file 0600, like everything
/// baohao writes), never into the directory baohao was started from, and says where. It
/// begins with a UTF-8 byte-order mark: this file is for a spreadsheet, and Excel on a
/// Chinese Windows needs the mark to read the text as UTF-8.
fn export(app: &mut App, csv: &str, rows: usize, name: &str) {
    let dir = app
        .session
        .paths
        .log
        .parent()
        .unwrap_or(std::path::Path::new("."))
        .join("exports");
    let path = dir.join(name);
    let mut bytes = Vec::with_capacity(csv.len() + 3);
    bytes.extend_from_slice("\u{feff}".as_bytes());
    bytes.extend_from_slice(csv.as_bytes());
    match crate::store::fsutil::create_private_dir(&dir)
        .and_then(|()| crate::store::fsutil::write_new(&path, &bytes))
    {
        Ok(()) => app.say(tr!(T::TuiExported, rows, path.display()), Level::Info),
        Err(e) => app.say(Error::io(T::WhatWrite, &path, &e).message, Level::Error),
    }
}

/// Sends a channel's test message on a thread of its own (a slow service never holds up
/// a key); the answer comes back through `app.channel_tests`.
fn test_channel(app: &mut App, url: String) {
    let tx = app.channel_tests.tx.clone();
    let now = app.clock.now();
    let spawned = std::thread::Builder::new()
        .name("channel-test".into())
        .spawn(move || {
            let answer = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt.block_on(async {
                    let timeout =
                        std::time::Duration::from_secs(crate::channels::SEND_TIMEOUT_SECS);
                    match crate::net::client(timeout) {
                        Ok(client) => crate::channels::test(&url, &client, now).await,
                        Err(why) => Err(why),
                    }
                }),
                Err(e) => Err(crate::error::io_reason(&e)),
            };
            let _ = tx.send((url, answer));
        });
    if let Err(e) = spawned {
        app.say(crate::error::io_reason(&e), Level::Error);
    }
}
