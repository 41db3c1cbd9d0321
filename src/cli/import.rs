//! `import`: statements and texts into the log. The whole input is read and checked first
//! (a broken file adds nothing); then, under the log's lock, only what is not there yet is
//! appended, so importing the same or overlapping files again adds nothing.

use std::io::Read;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Args;
use serde_json::json;

use crate::error::{Error, Result};
use crate::i18n::T;
use crate::import::{Format, Options, read};
use crate::store::config;
use crate::store::{Log, Paths};
use crate::tr;

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// alipay, wechat, csv or sms (detected when not given).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Assign every top-up (or text) in the file to this number.
    #[arg(long, value_name = "ID")]
    pub number: Option<String>,
    /// Show what would be added; change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print what was added, already there, unmatched and skipped as JSON.
    #[arg(long)]
    pub json: bool,
    /// The password of a zipped statement, as the app showed it (asked for on the
    /// terminal, not echoed, when the archive needs one and none is given).
    #[arg(long, value_name = "PASSWORD")]
    pub password: Option<String>,
    /// The statement or messages file, or - for standard input.
    pub file: PathBuf,
}

pub fn run(paths: &Paths, args: &ImportArgs, now: DateTime<Utc>) -> Result<String> {
    let loaded = config::load(paths)?;
    let config = loaded.config;
    let format = match &args.format {
        None => None,
        Some(f) => Some(Format::parse(f).ok_or_else(|| Error::input(tr!(T::ImportBadFormat, f)))?),
    };
    let name = args.file.display().to_string();
    let open = || -> Result<Box<dyn Read + Send>> {
        Ok(if name == "-" {
            Box::new(std::io::stdin())
        } else {
            Box::new(
                std::fs::File::open(&args.file)
                    .map_err(|e| Error::io(T::WhatOpen, &args.file, &e))?,
            )
        })
    };
    let mut options = Options {
        format,
        number: args.number.clone(),
        password: args.password.clone(),
        ..Options::default()
    };
    let now_local = now.with_timezone(&config.timezone).fixed_offset();
    let read_it = |options: &Options| -> Result<std::result::Result<_, _>> {
        Ok(read(&config, open()?, options, now_local))
    };
    let mut got = read_it(&options)?;
    if let Err(e) = &got
        && e.message == tr!(T::ImportZipNeedsPassword)
        && name != "-"
        && let Some(p) = ask_password(&name)
    {
        options.password = Some(p);
        got = read_it(&options)?;
    }
    let reading = got.map_err(|e| Error::input(e.sentence(&name)))?;
    let (added, torn) = Log::new(&paths.log)
        .stamping(now)
        .append_new(&reading.events, args.dry_run)
        .map_err(|e| Error::io(T::WhatWrite, &paths.log, &e))?;
    if let Some(t) = torn {
        eprintln!("baohao: {}", t.render(&paths.log));
    }
    let already = reading.events.len() - added;
    // Charged twice? Said where it is found (a dry run folds the file's records in as if
    // they were written).
    let duplicates = {
        let mut state = crate::cli::open_state_only(paths)?.history.into_state();
        if args.dry_run {
            for e in &reading.events {
                state.apply(e);
            }
        }
        crate::import::duplicates_said(&state, &config, &reading.events, now)
    };
    let said = Said {
        name: &name,
        reading: &reading,
        added,
        already,
        duplicates: &duplicates,
        dry_run: args.dry_run,
    };
    Ok(if args.json { said.json() } else { said.human() })
}

/// What an import found, as the answer says it.
struct Said<'a> {
    name: &'a str,
    reading: &'a crate::import::Reading,
    added: usize,
    already: usize,
    duplicates: &'a [String],
    dry_run: bool,
}

impl Said<'_> {
    /// `--json`: the counts and the sentences, each list capped.
    fn json(&self) -> String {
        let Said {
            reading,
            added,
            already,
            duplicates,
            dry_run,
            ..
        } = *self;
        let (unmatched, unmatched_more) = (reading.unmatched.kept(), reading.unmatched.more());
        let (skipped, skipped_more) = (reading.skipped.kept(), reading.skipped.more());
        let (duplicates, duplicates_more) = capped(duplicates);
        let v = json!({
            "added": added,
            "already": already,
            "unmatched": unmatched,
            "unmatched_more": unmatched_more,
            "skipped": skipped,
            "skipped_more": skipped_more,
            "dry_run": dry_run,
            "format": reading.format.map(Format::as_str),
            "rows": reading.rows,
            "top_ups": reading.top_ups,
            "duplicates": duplicates,
            "duplicates_more": duplicates_more,
        });
        serde_json::to_string_pretty(&v).unwrap_or_default() + "\n"
    }

    /// The sentence of what was added, then each list with its heading.
    fn human(&self) -> String {
        let Said {
            name,
            reading,
            added,
            already,
            duplicates,
            dry_run,
        } = *self;
        let mut out = if reading.top_ups == Some(0) && reading.events.is_empty() {
            tr!(T::ImportNoTopUps, name, reading.rows.unwrap_or(0))
        } else if dry_run {
            tr!(T::ImportDryRun, name, added, already)
        } else {
            tr!(T::ImportDone, name, added, already)
        };
        out.push('\n');
        let (said, more) = capped(duplicates);
        for d in said {
            out.push_str(d);
            out.push('\n');
        }
        if more > 0 {
            out.push_str(&tr!(T::ImportMore, more));
            out.push('\n');
        }
        for (head, list) in [
            (
                tr!(T::ImportUnmatchedHead, tr!(T::ImportUnmatchedHintCli)),
                &reading.unmatched,
            ),
            (tr!(T::ImportSkippedHead), &reading.skipped),
            (tr!(T::ImportDuplicatesHead), &reading.duplicates),
        ] {
            if !list.is_empty() {
                out.push_str(&head);
                out.push('\n');
                let (listed, more) = (list.kept(), list.more());
                for l in listed {
                    out.push_str("  ");
                    out.push_str(l);
                    out.push('\n');
                }
                if more > 0 {
                    out.push_str("  ");
                    out.push_str(&tr!(T::ImportMore, more));
                    out.push('\n');
                }
            }
        }
        out
    }
}

/// The first [`MAX_LISTED`](crate::import::limits::MAX_LISTED) sentences of `list`, and how
/// many more there are: a file of thousands of unusable rows lists a screenful of them and
/// counts the rest exactly.
fn capped(list: &[String]) -> (&[String], usize) {
    let n = list.len().min(crate::import::limits::MAX_LISTED);
    (&list[..n], list.len() - n)
}

/// Asks for an archive's password on the terminal, with echo off; `None` when standard
/// input is not a terminal (a script is told to pass `--password`) or nothing was typed.
/// The terminal's settings before the password prompt turned echo off, for the signal
/// handler that gives them back when Ctrl-C (or a hang-up, or a kill) ends baohao there.
static BEFORE_PROMPT: std::sync::OnceLock<nix::libc::termios> = std::sync::OnceLock::new();

/// Puts the terminal back as it was before the prompt, then dies of `sig` as it would
/// have: a shell must not be left without echo.
extern "C" fn give_the_terminal_back(sig: nix::libc::c_int) {
    // SAFETY: tcsetattr, signal and raise are async-signal-safe; the settings were
    // stored before the handler was installed and are never changed.
    unsafe {
        if let Some(t) = BEFORE_PROMPT.get() {
            nix::libc::tcsetattr(0, nix::libc::TCSANOW, t);
        }
        nix::libc::signal(sig, nix::libc::SIG_DFL);
        nix::libc::raise(sig);
    }
}

const PROMPT_SIGNALS: [nix::sys::signal::Signal; 3] = [
    nix::sys::signal::Signal::SIGINT,
    nix::sys::signal::Signal::SIGTERM,
    nix::sys::signal::Signal::SIGHUP,
];

fn ask_password(name: &str) -> Option<String> {
    use nix::sys::signal::{SigHandler, signal};
    use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
    use std::io::{BufRead, IsTerminal};
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return None;
    }
    let old = tcgetattr(&stdin).ok()?;
    let _ = BEFORE_PROMPT.set(old.clone().into());
    // SAFETY: the handler does only async-signal-safe calls (see it).
    let before: Vec<_> = PROMPT_SIGNALS
        .iter()
        .map(|s| unsafe { signal(*s, SigHandler::Handler(give_the_terminal_back)) })
        .collect();
    let mut quiet = old.clone();
    quiet.local_flags.remove(LocalFlags::ECHO);
    // Echo goes off before the prompt shows, so nothing typed once it shows is echoed.
    tcsetattr(&stdin, SetArg::TCSANOW, &quiet).ok()?;
    eprint!(
        "{}",
        tr!(T::ImportPasswordPrompt, crate::text::clean::value(name))
    );
    let mut line = String::new();
    let got = stdin.lock().read_line(&mut line);
    let _ = tcsetattr(&stdin, SetArg::TCSANOW, &old);
    for (s, was) in PROMPT_SIGNALS.iter().zip(before) {
        if let Ok(was) = was {
            // SAFETY: this puts back the handler that was there before the prompt.
            let _ = unsafe { signal(*s, was) };
        }
    }
    eprintln!();
    got.ok()?;
    let p = line.trim_end_matches(['\n', '\r']).to_string();
    (!p.is_empty()).then_some(p)
}
