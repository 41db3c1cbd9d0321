//! The `baohao` binary: parses the command line and hands over to the library.
//! Errors leave as one sentence on stderr with a non-zero exit, never a backtrace.

// A function a person can hold in their head: none over the limit in clippy.toml,
// tests aside (a flat dispatch or a data table says why it is allowed more).
#![cfg_attr(not(test), warn(clippy::too_many_lines))]

use std::io::Write;
use std::process::ExitCode;

use baohao::cli::{Cli, Command, history, plan, presets, status, write};
use baohao::home::{Home, now};
use baohao::i18n::{Lang, T, set_lang};
use baohao::{Error, Result, tr};
use clap::{CommandFactory, Parser};

/// What a command leaves behind: text for stdout, and whether all was well.
struct Done {
    stdout: String,
    ok: bool,
}

impl From<String> for Done {
    fn from(stdout: String) -> Done {
        Done { stdout, ok: true }
    }
}

fn main() -> ExitCode {
    // A file size limit (`ulimit -f`) makes a write fail, as a full disk does, rather than
    // kill baohao in the middle of it: the log is then cut back whole.
    // SAFETY: ignoring a signal installs no handler; nothing else runs yet.
    let _ = unsafe {
        nix::sys::signal::signal(
            nix::sys::signal::Signal::SIGXFSZ,
            nix::sys::signal::SigHandler::SigIgn,
        )
    };
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind::*;
            if matches!(
                e.kind(),
                DisplayHelp | DisplayVersion | DisplayHelpOnMissingArgumentOrSubcommand
            ) {
                e.exit();
            }
            // clap explains in several lines; a person gets its first, as one sentence.
            let text = e.to_string();
            let first: Vec<&str> = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let first = first.join(" ");
            let first = first.trim_start_matches("error: ");
            set_lang(Lang::detect(None));
            eprintln!("baohao: {}", tr!(T::UsageError, first));
            return ExitCode::from(2);
        }
    };
    if let Some(l) = &cli.lang
        && Lang::parse(l).is_none()
    {
        eprintln!("baohao: {}", tr!(T::BadLang, l));
        return ExitCode::from(2);
    }
    set_lang(Lang::detect(cli.lang.as_deref()));
    match run(cli) {
        Ok(done) => {
            let mut out = std::io::stdout().lock();
            // A closed pipe (`baohao history | head`) is not an error worth a word.
            let _ = out
                .write_all(baohao::text::clean::block(&done.stdout).as_bytes())
                .and_then(|()| out.flush());
            if done.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("baohao: {}", baohao::text::clean::message(&e.message));
            ExitCode::from(1)
        }
    }
}

/// Stdout for streamed output: each write cleaned as [`main`] cleans a whole answer.
struct CleanOut<W: Write>(W);

impl<W: Write> Write for CleanOut<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        self.0
            .write_all(baohao::text::clean::block(&text).as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

/// `history --json` / `--csv`, written entry by entry to stdout or `--output`.
fn stream_history(
    snap: &baohao::session::Session,
    args: &baohao::cli::HistoryArgs,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Done> {
    match args.output.as_deref() {
        None => {
            let stdout = std::io::stdout();
            let mut out = CleanOut(std::io::BufWriter::with_capacity(64 * 1024, stdout.lock()));
            // A closed pipe (`baohao history --csv | head`) is not an error worth a word.
            let _ = history::stream(snap, args, now, &mut out)?;
        }
        Some(p) => {
            let file = baohao::store::fsutil::create_private(p)
                .map_err(|e| Error::io(T::WhatWrite, p, &e))?;
            let mut out = std::io::BufWriter::with_capacity(64 * 1024, file);
            history::stream(snap, args, now, &mut out)?
                .and_then(|()| out.into_inner().map_err(|e| e.into_error()))
                .and_then(|f| baohao::store::fsutil::sync_private(&f))
                .map_err(|e| Error::io(T::WhatWrite, p, &e))?;
        }
    }
    Ok(String::new().into())
}

/// Writes `text` to `path`, or hands it back for stdout.
fn output(text: String, path: Option<&std::path::Path>) -> Result<Done> {
    match path {
        None => Ok(text.into()),
        Some(p) => {
            baohao::store::fsutil::write_private(p, text.as_bytes())
                .map_err(|e| Error::io(T::WhatWrite, p, &e))?;
            Ok(Done {
                stdout: String::new(),
                ok: true,
            })
        }
    }
}

fn run(cli: Cli) -> Result<Done> {
    let explicit_home =
        cli.home.is_some() || std::env::var_os("BAOHAO_HOME").is_some_and(|h| !h.is_empty());
    let Some(command) = cli.command else {
        let home = Home::open(cli.demo, cli.home.as_deref())?;
        baohao::tui::run(home, cli.mouse, baohao::worker::spawn)?;
        return Ok(String::new().into());
    };
    let now = now()?;
    if let Command::Completions { shell } = command {
        let mut buf = Vec::new();
        clap_complete::generate(shell, &mut Cli::command(), "baohao", &mut buf);
        return Ok(String::from_utf8_lossy(&buf).into_owned().into());
    }
    if let Command::Presets { json } = command {
        return Ok(if json {
            presets::json()
        } else {
            presets::human()
        }
        .into());
    }
    // `init --demo` writes the demo into the named home instead of a temporary one.
    let is_init = matches!(command, Command::Init);
    let home = Home::open(cli.demo && !is_init, cli.home.as_deref())?;
    let paths = &home.paths;
    match command {
        Command::Init => write::init(&home, cli.demo, explicit_home, now).map(Done::from),
        Command::Status {
            json,
            show_numbers,
            wide,
            brief,
            check,
        } => status_done(paths, json, show_numbers, wide, brief, check, now),
        Command::History(args) if args.json || args.csv => {
            let snap = baohao::cli::open_for_listing(paths)?;
            stream_history(&snap, &args, now)
        }
        Command::History(args) => {
            let snap = baohao::cli::open(paths)?;
            let text = history::run(&snap, &args, now)?;
            output(text, args.output.as_deref())
        }
        Command::Plan(args) => {
            // The forecast reads the state only: it starts from the checkpoint.
            let snap = baohao::cli::open_state_only(paths)?;
            let text = plan::run(&snap, &args, now)?;
            output(text, args.output.as_deref())
        }
        Command::Record {
            number,
            amount,
            note,
            at,
        } => write::record(paths, &number, &amount, note, at.as_deref(), now).map(Done::from),
        Command::Resolve {
            intent,
            status,
            note,
        } => write::resolve(paths, &intent, &status, note, now).map(Done::from),
        Command::Activity { number, note, at } => {
            write::activity(paths, &number, note, at.as_deref(), now).map(Done::from)
        }
        Command::Balance {
            number,
            amount,
            valid_until,
            at,
        } => write::balance(
            paths,
            &number,
            &amount,
            valid_until.as_deref(),
            at.as_deref(),
            now,
        )
        .map(Done::from),
        Command::Validate { rebuild } => {
            write::validate(paths, rebuild).map(|(stdout, ok)| Done { stdout, ok })
        }
        Command::Daemon => baohao::worker::daemon(paths).map(Done::from),
        Command::Tick => baohao::worker::tick(paths).map(Done::from),
        Command::Import(args) => baohao::cli::import::run(paths, &args, now).map(Done::from),
        Command::Modems { json } => modems_done(paths, json),
        Command::Forwarders { json, action } => forwarders_done(paths, json, action),
        Command::Notify {
            command: baohao::cli::NotifyCommand::Test { channel },
        } => baohao::cli::notify::test(paths, channel, now).map(|(stdout, ok)| Done { stdout, ok }),
        Command::Completions { .. } | Command::Presets { .. } => Ok(String::new().into()),
    }
}

/// `status`: the table, `--json`, or `--brief`; with `--check`, not ok while a number
/// needs the person.
fn status_done(
    paths: &baohao::store::Paths,
    json: bool,
    show_numbers: bool,
    wide: bool,
    brief: bool,
    check: bool,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Done> {
    let snap = baohao::cli::open_state_only(paths)?;
    let statuses = status::statuses(&snap, now);
    let show = show_numbers || !snap.config.mask_numbers;
    let stdout = if json {
        status::json_of(&snap, &statuses)
    } else if brief || check {
        status::brief(&snap, &statuses)
    } else {
        status::human_of(&snap, &statuses, show, status::width_limit(wide))
    };
    let calm = statuses.iter().all(|s| s.attention.is_empty());
    Ok(Done {
        stdout,
        ok: !check || calm,
    })
}

/// `modems`: the modems seen, with the numbers the config puts in them.
fn modems_done(paths: &baohao::store::Paths, json: bool) -> Result<Done> {
    let config = baohao::store::config::load(paths).ok();
    let rows = baohao::cli::modems::list(config.as_ref().map(|l| &l.config))?;
    Ok(if json {
        baohao::cli::modems::json(&rows)
    } else {
        baohao::cli::modems::human(&rows)
    }
    .into())
}

/// `forwarders`: each forwarder and its health, or `setup` of one.
fn forwarders_done(
    paths: &baohao::store::Paths,
    json: bool,
    action: Option<baohao::cli::ForwardersAction>,
) -> Result<Done> {
    let loaded = baohao::store::config::load(paths)?;
    let config = &loaded.config;
    match action {
        Some(baohao::cli::ForwardersAction::Setup {
            id,
            public_url,
            register,
        }) => baohao::cli::forwarders::setup(config, &id, public_url.as_deref(), register)
            .map(Done::from),
        None => {
            let rows = baohao::cli::forwarders::list(paths, config)?;
            Ok(if json {
                baohao::cli::forwarders::json(&rows, config)
            } else {
                baohao::cli::forwarders::human(&rows, config)
            }
            .into())
        }
    }
}
