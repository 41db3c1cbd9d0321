//! The commands that write: `init`, `record`, `resolve`, `activity`, `balance`, and
//! `validate` (which only reads, but judges). Every append re-reads the log under its lock.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use chrono::{DateTime, Utc};

use crate::cli::open;
use crate::engine::State;
use crate::error::{Error, Result};
use crate::home::{Home, write_demo, write_starter};
use crate::i18n::T;
use crate::model::{EventBody, Money};
use crate::session::{Resolution, Session};
use crate::store::config::{self, Problem, line_of_path};
use crate::store::{Log, Paths};
use crate::text::format::{date, parse_date};
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
        write_starter(paths, now)?;
    }
    Ok(tr!(T::InitDone, paths.config.display(), paths.log.display()) + "\n")
}

fn amount_for(snap: &Session, number: &str, text: &str) -> Result<(crate::model::Number, Money)> {
    let n = snap.number(number)?.clone();
    let m = crate::text::input::positive_amount(text, n.currency)?;
    Ok((n, m))
}

/// Runs `f` on the session, then says on stderr what the log showed on the way (a torn
/// last line that had to be cut, a bad line).
fn write<R>(session: &mut Session, f: impl FnOnce(&mut Session) -> Result<R>) -> Result<R> {
    let r = f(session);
    for p in session.take_problems() {
        eprintln!("baohao: {p}");
    }
    r
}

pub fn record(
    paths: &Paths,
    number: &str,
    amount: &str,
    note: Option<String>,
    at: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String> {
    let mut snap = open(paths)?;
    let (n, m) = amount_for(&snap, number, amount)?;
    let tz = snap.config.timezone;
    let when = crate::text::input::when(at, tz, now)?;
    let (e, settles) = write(&mut snap, |w| w.top_up(&n, m, note, when))?;
    let mut out = tr!(T::RecordDone, m.display(), n.id, n.label, e.id);
    if let Some(at) = settles {
        out.push(' ');
        out.push_str(&tr!(
            T::RecordSettles,
            date(crate::engine::calendar::local_date(tz, at))
        ));
    }
    out.push('\n');
    Ok(out)
}

pub fn resolve(
    paths: &Paths,
    intent: &str,
    status: &str,
    note: Option<String>,
    now: DateTime<Utc>,
) -> Result<String> {
    let Some(resolution) = Resolution::parse(status) else {
        return Err(Error::input(tr!(T::BadResolveStatus, status)));
    };
    let mut snap = open(paths)?;
    let (e, what) = write(&mut snap, |w| w.resolve(intent, resolution, note, now))?;
    let intent_id = match &e.body {
        EventBody::Resolved { intent, .. } | EventBody::Dismissed { intent, .. } => intent.clone(),
        _ => String::new(),
    };
    let st = match resolution {
        Resolution::Succeeded => tr!(T::StSucceeded),
        Resolution::Failed => tr!(T::StFailed),
        Resolution::FailedFinal => tr!(T::StFailedFinal),
        Resolution::Dismissed => tr!(T::StDismissed),
    };
    let mut out = tr!(T::ResolveDone, intent_id, what, st);
    match resolution {
        Resolution::Failed => {
            out.push(' ');
            out.push_str(&tr!(T::ResolveWillRetry, intent_id));
        }
        Resolution::FailedFinal => {
            out.push(' ');
            out.push_str(&tr!(T::ResolveNoRetry));
        }
        _ => {}
    }
    Ok(out + "\n")
}

pub fn activity(
    paths: &Paths,
    number: &str,
    note: Option<String>,
    at: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String> {
    let mut snap = open(paths)?;
    let n = snap.number(number)?.clone();
    let when = crate::text::input::when(at, snap.config.timezone, now)?;
    write(&mut snap, |w| w.activity(&n, note, when))?;
    Ok(tr!(T::ActivityDone, n.id, n.label) + "\n")
}

pub fn balance(
    paths: &Paths,
    number: &str,
    amount: &str,
    valid_until: Option<&str>,
    at: Option<&str>,
    now: DateTime<Utc>,
) -> Result<String> {
    let mut snap = open(paths)?;
    let n = snap.number(number)?.clone();
    let now = crate::text::input::when(at, snap.config.timezone, now)?;
    let m =
        Money::parse_signed(amount, n.currency).map_err(|e| Error::input(tr!(T::BadAmount, e)))?;
    let validity = match valid_until {
        None => None,
        Some(s) => {
            Some(parse_date(s).ok_or_else(|| Error::input(tr!(T::BadDate, "--valid-until", s)))?)
        }
    };
    write(&mut snap, |w| w.balance(&n, m, validity, now))?;
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

/// Says each program the config names that cannot run; true when every one can.
fn programs_said(c: &crate::model::Config, bytes: &[u8], paths: &Paths, out: &mut String) -> bool {
    let mut clean = true;
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
    if let Some(cmd) = c.notify.as_ref().and_then(|n| n.command.as_ref()) {
        programs.push(("notify.program".to_string(), cmd.program.clone()));
    }
    for (path, program) in programs {
        if let Some(msg) = program_problem(&program) {
            clean = false;
            let line = line_of_path(bytes, &path);
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
    clean
}

/// Says what the log holds that does not add up: an outcome of an unknown intent, a key
/// used twice, a number the config does not have.
fn oddities_said(
    state: &State,
    config: Option<&crate::model::Config>,
    paths: &Paths,
    out: &mut String,
) {
    for o in &state.oddities {
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
    if let Some(c) = config {
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
}

/// Says whether the checkpoint holds (or, with `rebuild`, throws it away); false when it
/// differs from the log.
fn checkpoint_said(
    paths: &Paths,
    tz: chrono_tz::Tz,
    rebuild: bool,
    out: &mut String,
) -> Result<bool> {
    let mut clean = true;
    let file = crate::store::checkpoint::path(paths);
    if rebuild {
        let removed = crate::store::checkpoint::remove(paths)
            .map_err(|e| Error::io(T::WhatWrite, &file, &e))?;
        out.push_str(&if removed {
            tr!(T::CkRebuilt, file.display())
        } else {
            tr!(T::CkRebuildNone)
        });
        out.push('\n');
        return Ok(true);
    }
    use crate::store::checkpoint::Verdict;
    let verdict = crate::store::checkpoint::verdict(paths, tz)
        .map_err(|e| Error::io(T::WhatRead, &paths.log, &e))?;
    let line = match verdict {
        Verdict::Absent => tr!(T::CkValidateNone),
        // It is not used, and the next pass writes a fresh one: said, not a defect.
        Verdict::Refused(why) => why,
        Verdict::Equal { events, offset } => tr!(T::CkValidateHolds, events, offset),
        Verdict::Differs => {
            clean = false;
            tr!(T::CkValidateDiffers, file.display())
        }
    };
    out.push_str(&crate::text::clean::message(&line));
    out.push('\n');
    Ok(clean)
}

/// `validate`: every config and log problem, with lines. Returns the report and whether it
/// found nothing wrong.
/// `baohao validate`: the config, the log and the checkpoint. With `rebuild`, the
/// checkpoint is thrown away instead of checked.
pub fn validate(paths: &Paths, rebuild: bool) -> Result<(String, bool)> {
    let mut out = String::new();
    let bytes = match crate::store::fsutil::read_regular(&paths.config, true) {
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
                out.push_str(&crate::text::clean::message(&p.render(&paths.config)));
                out.push('\n');
            }
            None
        }
    };
    if let Some(c) = &config {
        clean &= programs_said(c, &bytes, paths, &mut out);
    }
    let tz = config.as_ref().map_or(chrono_tz::Tz::UTC, |c| c.timezone);
    let mut state = State::new(tz);
    let scan = Log::new(&paths.log)
        .scan_ref(Default::default(), |e| state.apply(&e))
        .map_err(|e| Error::io(T::WhatRead, &paths.log, &e))?;
    if let Some(c) = &config {
        for p in config::history_problems(&bytes, c, &state) {
            clean = false;
            out.push_str(&crate::text::clean::message(&p.render(&paths.config)));
            out.push('\n');
        }
        if clean {
            let rules: usize = c.numbers.iter().map(|n| n.rules.len()).sum();
            out.push_str(&tr!(
                T::ValidateConfigOk,
                paths.config.display(),
                crate::i18n::count(c.numbers.len(), T::CountNumber, T::CountNumbers),
                crate::i18n::count(rules, T::CountRule, T::CountRules)
            ));
            out.push('\n');
        }
    }
    for p in &scan.problems {
        clean = false;
        out.push_str(&crate::text::clean::message(&p.render(&paths.log)));
        out.push('\n');
    }
    clean &= state.oddities.is_empty();
    oddities_said(&state, config.as_ref(), paths, &mut out);
    if scan.problems.is_empty() && state.oddities.is_empty() {
        out.push_str(&tr!(
            T::ValidateLogOk,
            paths.log.display(),
            crate::i18n::count(scan.events, T::CountEntry, T::CountEntries)
        ));
        out.push('\n');
    }
    drop(state);
    clean &= checkpoint_said(paths, tz, rebuild, &mut out)?;
    Ok((out, clean))
}
