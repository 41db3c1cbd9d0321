//! What every subcommand starts from: the home (real, `--home`, or a temporary demo), the
//! clock, and a read-only snapshot of config + log. Reading never creates or changes a file.

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::engine::{History, State};
use crate::error::{Error, Result};
use crate::i18n::T;
use crate::model::Config;
use crate::store::config::{self, Stamp};
use crate::store::{Cursor, Log, LogProblem, Paths, fsutil};
use crate::tr;

/// The current time (see [`crate::clock::Clock`] for the test hooks).
pub fn now() -> Result<DateTime<Utc>> {
    Ok(crate::clock::Clock::from_env()?.now())
}

/// The data directory in use; a demo home is deleted when this is dropped.
pub struct Home {
    pub paths: Paths,
    pub demo: bool,
    _temp: Option<tempfile::TempDir>,
}

impl Home {
    pub fn open(demo: bool, home: Option<&Path>) -> Result<Home> {
        if demo {
            let dir = tempfile::Builder::new()
                .prefix("baohao-demo-")
                .tempdir()
                .map_err(|e| Error::io(T::WhatCreate, &std::env::temp_dir(), &e))?;
            let paths = Paths::in_home(dir.path());
            write_demo(&paths, now()?)?;
            return Ok(Home {
                paths,
                demo: true,
                _temp: Some(dir),
            });
        }
        Ok(Home {
            paths: Paths::resolve(home)?,
            demo: false,
            _temp: None,
        })
    }
}

/// Writes the demo config and a year of demo history; refuses to overwrite either.
pub fn write_demo(paths: &Paths, now: DateTime<Utc>) -> Result<()> {
    let (_, events) = crate::demo::events(now);
    let mut log = String::new();
    for e in &events {
        log.push_str(&e.to_line());
        log.push('\n');
    }
    write_new_pair(paths, crate::demo::DEMO_CONFIG, &log)
}

/// Writes config and log, refusing (and writing nothing) when either exists.
pub fn write_new_pair(paths: &Paths, config_text: &str, log_text: &str) -> Result<()> {
    for p in [&paths.config, &paths.log] {
        if p.exists() {
            return Err(Error::input(tr!(T::InitExists, p.display())));
        }
    }
    paths.ensure_dirs()?;
    fsutil::write_new(&paths.config, config_text.as_bytes())
        .map_err(|e| Error::io(T::WhatWrite, &paths.config, &e))?;
    fsutil::write_new(&paths.log, log_text.as_bytes())
        .map_err(|e| Error::io(T::WhatWrite, &paths.log, &e))?;
    Ok(())
}

/// Config and log as read at one moment.
pub struct Snapshot {
    pub config: Config,
    pub stamp: Stamp,
    pub history: History,
    pub problems: Vec<LogProblem>,
    pub cursor: Cursor,
}

impl Snapshot {
    pub fn state(&self) -> &State {
        &self.history.state
    }

    pub fn read(paths: &Paths) -> Result<Snapshot> {
        let loaded = config::load(paths)?;
        let mut history = History::new(State::new(loaded.config.timezone));
        let scan = Log::new(&paths.log)
            .scan_ref(Cursor::default(), |e| history.apply_event(e))
            .map_err(|e| Error::io(T::WhatRead, &paths.log, &e))?;
        let text = std::fs::read(&paths.config).unwrap_or_default();
        let wrong = config::history_problems(&text, &loaded.config, &history.state);
        if !wrong.is_empty() {
            return Err(config::problems_error(&paths.config, &wrong));
        }
        Ok(Snapshot {
            config: loaded.config,
            stamp: loaded.stamp,
            history,
            problems: scan.problems,
            cursor: scan.cursor,
        })
    }

    /// Log problems as warnings on stderr: reported, never fatal.
    pub fn warn(&self, paths: &Paths) {
        for p in &self.problems {
            eprintln!("baohao: {}", p.render(&paths.log));
        }
    }

    /// The number named on the command line, or a sentence saying which ids exist.
    pub fn number(&self, id: &str) -> Result<&crate::model::Number> {
        self.config.number(id).ok_or_else(|| {
            let ids: Vec<&str> = self.config.numbers.iter().map(|n| n.id.as_str()).collect();
            Error::input(tr!(
                T::UnknownNumber,
                id,
                if ids.is_empty() {
                    "-".to_string()
                } else {
                    ids.join(", ")
                }
            ))
        })
    }
}
