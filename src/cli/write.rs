//! The commands that write: `init`, `record`, `resolve`, `activity`, `balance`, and
//! `validate` (which only reads, but judges). Every append re-reads the log under its lock.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::cli::context::{Home, Snapshot, write_demo, write_new_pair};
use crate::cli::format::{date, parse_date};
use crate::engine::state::AttemptStatus;
use crate::engine::{KeyStatus, State};
use crate::error::{Error, Result};
use crate::i18n::T;
use crate::model::{Config, Event, EventBody, Mode, Money, ResolvedStatus};
use crate::store::config::{self, Problem, line_of_path, system_timezone};
use crate::store::log::new_id;
use crate::store::{Log, Paths};
use crate::tr;

/// `init`: a starter config with no numbers yet, or the demo; never overwrites.
pub fn init(home: &Home, demo: bool, explicit_home: bool, now: DateTime<Utc>) -> Result<String> {
    let paths = &home.paths;
    if demo {
        if !explicit_home {
            return Err(Error::input(tr!(T::InitDemoNeedsHome)));
        }
        write_demo(paths, now)?;
    } else {
        let tz = iana_time_zone::get_timezone().unwrap_or_else(|_| "UTC".to_string());
        let tz = if tz.parse::<chrono_tz::Tz>().is_ok() {
            tz
        } else {
            "UTC".to_string()
        };
        let mut c = Config::empty(Some(tz), system_timezone().1);
        c.timezone = c
            .timezone_name
            .as_deref()
            .and_then(|n| n.parse().ok())
            .unwrap_or(c.timezone);
        write_new_pair(paths, &config::render(&c), "")?;
    }
    Ok(tr!(T::InitDone, paths.config.display(), paths.log.display()) + "\n")
}

fn event(number: &str, now: DateTime<Utc>, config: &Config, body: EventBody) -> Event {
    Event {
        id: new_id(now.timestamp_millis()),
        at: now.with_timezone(&config.timezone).fixed_offset(),
        number: number.to_string(),
        body,
    }
}

/// Appends under the log lock, after catching up with lines others appended since `snap`
/// was read; `decide` sees the caught-up state and returns the event to write.
fn append_checked(
    paths: &Paths,
    snap: &mut Snapshot,
    decide: impl FnOnce(&State) -> Result<Event>,
) -> Result<Event> {
    let log = Log::new(&paths.log);
    let history = &mut snap.history;
    let cursor = snap.cursor;
    let (result, torn) = log
        .transact(|txn| {
            txn.scan(cursor, |e| history.apply_owned(e))?;
            match decide(&history.state) {
                Ok(e) => {
                    txn.append(std::slice::from_ref(&e))?;
                    Ok(Ok(e))
                }
                Err(err) => Ok(Err(err)),
            }
        })
        .map_err(|e| Error::io(T::WhatWrite, &paths.log, &e))?;
    if let Some(t) = torn {
        eprintln!("baohao: {}", t.render(&paths.log));
    }
    result
}

fn amount_for(snap: &Snapshot, number: &str, text: &str) -> Result<(crate::model::Number, Money)> {
    let n = snap.number(number)?.clone();
    let m = Money::parse(text, n.currency).map_err(|e| Error::input(tr!(T::BadAmount, e)))?;
    Ok((n, m))
}

pub fn record(
    paths: &Paths,
    number: &str,
    amount: &str,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<String> {
    let mut snap = Snapshot::read(paths)?;
    let (n, m) = amount_for(&snap, number, amount)?;
    if m.minor == 0 {
        return Err(Error::input(tr!(T::BadAmount, tr!(T::CfgZeroAmount))));
    }
    let config = snap.config.clone();
    let mut settles = None;
    let e = append_checked(paths, &mut snap, |state| {
        // The oldest open reminder of this number is what this top-up answers.
        let open = state.number(&n.id).and_then(|ns| {
            ns.open_reminders()
                .map(|(_, a)| (a.at, a.intent.to_string()))
                .min()
        });
        settles = open.clone();
        Ok(event(
            &n.id,
            now,
            &config,
            EventBody::Manual {
                amount_minor: m.minor,
                currency: m.currency,
                note: note.clone(),
                intent: open.map(|o| o.1.to_string()),
            },
        ))
    })?;
    let mut out = tr!(T::RecordDone, m.display(), n.id, n.label, e.id);
    if let Some((at, _)) = settles {
        out.push(' ');
        out.push_str(&tr!(
            T::RecordSettles,
            date(crate::engine::calendar::local_date(config.timezone, at))
        ));
    }
    out.push('\n');
    Ok(out)
}

/// Finds an intent by its id or an unambiguous prefix of it.
pub fn find_intent(state: &State, wanted: &str) -> Result<(String, String)> {
    let mut found = Vec::new();
    for (number, ns) in &state.numbers {
        if ns.key_of_intent(wanted).is_some() {
            return Ok((number.clone(), wanted.to_string()));
        }
        for id in ns.intent_ids() {
            if !wanted.is_empty() && id.starts_with(wanted) {
                found.push((number.clone(), id.to_string()));
            }
        }
    }
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Error::input(tr!(T::UnknownIntent, wanted))),
        n => Err(Error::input(tr!(T::AmbiguousIntent, wanted, n))),
    }
}

pub fn resolve(
    paths: &Paths,
    intent: &str,
    status: &str,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<String> {
    let Some(resolved) = ResolvedStatus::parse(status) else {
        return Err(Error::input(tr!(T::BadResolveStatus, status)));
    };
    let mut snap = Snapshot::read(paths)?;
    let config = snap.config.clone();
    let mut what = String::new();
    let e = append_checked(paths, &mut snap, |state| {
        let (number, id) = find_intent(state, intent)?;
        let ns = state
            .number(&number)
            .ok_or_else(|| Error::input(tr!(T::UnknownIntent, intent)))?;
        let ks = ns
            .key_of_intent(&id)
            .ok_or_else(|| Error::input(tr!(T::UnknownIntent, intent)))?;
        let attempt = ks
            .attempts
            .iter()
            .find(|a| *a.intent == *id)
            .ok_or_else(|| Error::input(tr!(T::UnknownIntent, intent)))?;
        if ks.mode == Mode::Remind {
            return Err(Error::input(tr!(T::ResolveReminder, id, number)));
        }
        if attempt.status() != AttemptStatus::InDoubt {
            let st = match attempt.status() {
                AttemptStatus::Succeeded => tr!(T::StSucceeded),
                _ => tr!(T::StFailed),
            };
            return Err(Error::input(tr!(T::ResolveNotInDoubt, id, st)));
        }
        if matches!(ks.status(), KeyStatus::Charged) {
            return Err(Error::input(tr!(
                T::ResolveNotInDoubt,
                id,
                tr!(T::StSucceeded)
            )));
        }
        what = format!(
            "{number} {} {}",
            ks.rule,
            Money::new(ks.amount_minor, ks.currency).display()
        );
        Ok(event(
            &number,
            now,
            &config,
            EventBody::Resolved {
                intent: id.clone(),
                status: resolved,
                note: note.clone(),
            },
        ))
    })?;
    let intent_id = match &e.body {
        EventBody::Resolved { intent, .. } => intent.clone(),
        _ => String::new(),
    };
    let st = match resolved {
        ResolvedStatus::Succeeded => tr!(T::StSucceeded),
        ResolvedStatus::Failed => tr!(T::StFailed),
    };
    Ok(tr!(T::ResolveDone, intent_id, what, st) + "\n")
}

pub fn activity(
    paths: &Paths,
    number: &str,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<String> {
    let mut snap = Snapshot::read(paths)?;
    let n = snap.number(number)?.clone();
    let config = snap.config.clone();
    append_checked(paths, &mut snap, |_| {
        Ok(event(
            &n.id,
            now,
            &config,
            EventBody::Activity { note: note.clone() },
        ))
    })?;
    Ok(tr!(T::ActivityDone, n.id, n.label) + "\n")
}

pub fn balance(
    paths: &Paths,
    number: &str,
    amount: &str,
    valid_until: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String> {
    let mut snap = Snapshot::read(paths)?;
    let n = snap.number(number)?.clone();
    let m =
        Money::parse_signed(amount, n.currency).map_err(|e| Error::input(tr!(T::BadAmount, e)))?;
    let validity = match valid_until {
        None => None,
        Some(s) => {
            Some(parse_date(s).ok_or_else(|| Error::input(tr!(T::BadDate, "--valid-until", s)))?)
        }
    };
    let config = snap.config.clone();
    append_checked(paths, &mut snap, |_| {
        Ok(event(
            &n.id,
            now,
            &config,
            EventBody::Balance {
                balance_minor: m.minor,
                currency: m.currency,
                validity_until: validity,
                source: "manual".into(),
            },
        ))
    })?;
    Ok(tr!(T::BalanceDone, n.id, m.display()) + "\n")
}

/// Why `program` cannot be run, if it cannot: missing, not a file, or not executable.
pub fn program_problem(program: &str) -> Option<String> {
    let candidates: Vec<std::path::PathBuf> = if program.contains('/') {
        vec![Path::new(program).to_path_buf()]
    } else {
        std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).map(|d| d.join(program)).collect())
            .unwrap_or_default()
    };
    let mut saw_file = false;
    for c in &candidates {
        if let Ok(meta) = std::fs::metadata(c) {
            if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
                return None;
            }
            saw_file = true;
        }
    }
    Some(if saw_file {
        tr!(T::ProgramNotExecutable, program)
    } else {
        tr!(T::ProgramMissing, program)
    })
}

/// `validate`: every config and log problem, with lines. Returns the report and whether it
/// found nothing wrong.
pub fn validate(paths: &Paths) -> Result<(String, bool)> {
    let mut out = String::new();
    let bytes = match std::fs::read(&paths.config) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::input(tr!(T::NoConfig, paths.config.display())));
        }
        Err(e) => return Err(Error::io(T::WhatRead, &paths.config, &e)),
    };
    let mut clean = true;
    let config = match config::parse(&bytes) {
        Ok(c) => Some(c),
        Err(problems) => {
            clean = false;
            for p in problems {
                out.push_str(&p.render(&paths.config));
                out.push('\n');
            }
            None
        }
    };
    if let Some(c) = &config {
        let mut programs = Vec::new();
        for (i, n) in c.numbers.iter().enumerate() {
            if let crate::model::Provider::Command(cmd) = &n.provider {
                programs.push((
                    format!("numbers[{i}].provider.program"),
                    cmd.program.clone(),
                ));
            }
            if let crate::model::Executor::Command(cmd) = &n.executor {
                programs.push((
                    format!("numbers[{i}].executor.program"),
                    cmd.program.clone(),
                ));
            }
        }
        if let Some(nt) = &c.notify {
            programs.push(("notify.program".to_string(), nt.command.program.clone()));
        }
        for (path, program) in programs {
            if let Some(msg) = program_problem(&program) {
                clean = false;
                let line = line_of_path(&bytes, &path);
                out.push_str(
                    &Problem {
                        path,
                        line,
                        message: msg,
                    }
                    .render(&paths.config),
                );
                out.push('\n');
            }
        }
        if clean {
            let rules: usize = c.numbers.iter().map(|n| n.rules.len()).sum();
            out.push_str(&tr!(
                T::ValidateConfigOk,
                paths.config.display(),
                c.numbers.len(),
                rules
            ));
            out.push('\n');
        }
    }
    let tz = config.as_ref().map_or(chrono_tz::Tz::UTC, |c| c.timezone);
    let mut state = State::new(tz);
    let scan = Log::new(&paths.log)
        .scan(Default::default(), |e| state.apply_owned(e))
        .map_err(|e| Error::io(T::WhatRead, &paths.log, &e))?;
    for p in &scan.problems {
        clean = false;
        out.push_str(&p.render(&paths.log));
        out.push('\n');
    }
    for o in &state.oddities {
        clean = false;
        let msg = match &o.what {
            crate::engine::state::OddityKind::UnknownIntent(i) => {
                tr!(T::OddUnknownIntent, paths.log.display(), o.event, i)
            }
            crate::engine::state::OddityKind::KeyReused(k) => {
                tr!(T::OddKeyReused, paths.log.display(), o.event, k)
            }
        };
        out.push_str(&msg);
        out.push('\n');
    }
    if let Some(c) = &config {
        let unknown: std::collections::BTreeSet<&String> = state
            .numbers
            .keys()
            .filter(|n| c.number(n).is_none())
            .collect();
        for n in unknown {
            out.push_str(&tr!(T::ValidateOrphanNumber, paths.log.display(), n));
            out.push('\n');
        }
    }
    if scan.problems.is_empty() && state.oddities.is_empty() {
        out.push_str(&tr!(T::ValidateLogOk, paths.log.display(), scan.events));
        out.push('\n');
    }
    Ok((out, clean))
}
