//! The home: locating it (real, `--home`, or a temporary demo), creating it (the starter
//! config is written here and nowhere else), the demo data and the presets catalogue.
//! Reading never creates or changes a file.

pub mod demo;
pub mod presets;

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::i18n::T;
use crate::model::Config;
use crate::store::config;
use crate::store::{Paths, fsutil};
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
    let (_, events) = crate::home::demo::events(now);
    let mut log = String::new();
    for e in &events {
        log.push_str(&e.to_line());
        log.push('\n');
    }
    // No creation time: the demo's history is invented around `now`, and its own lines
    // already say what baohao's clock wrote; a demo made today and shown at a pinned
    // earlier clock (tests, screenshots) is not a clock running backwards.
    write_new_pair(paths, crate::home::demo::DEMO_CONFIG, &log, None)
}

/// Writes config and log, refusing (and writing nothing) when either exists, and notes
/// `now`, if given, as the home's creation time (`store::created`: a clock behind it never
/// charges).
pub fn write_new_pair(
    paths: &Paths,
    config_text: &str,
    log_text: &str,
    now: Option<DateTime<Utc>>,
) -> Result<()> {
    for p in [&paths.config, &paths.log] {
        if p.exists() {
            return Err(Error::input(tr!(T::InitExists, p.display())));
        }
    }
    paths.ensure_dirs()?;
    if let Some(now) = now {
        let created = crate::store::created::path(paths);
        crate::store::created::write(paths, now)
            .map_err(|e| Error::io(T::WhatWrite, &created, &e))?;
    }
    fsutil::write_new(&paths.config, config_text.as_bytes())
        .map_err(|e| Error::io(T::WhatWrite, &paths.config, &e))?;
    fsutil::write_new(&paths.log, log_text.as_bytes())
        .map_err(|e| Error::io(T::WhatWrite, &paths.log, &e))?;
    Ok(())
}

/// The starter config: the system's time zone (by name, UTC when it cannot be told) and no
/// numbers yet. Written here and nowhere else.
pub fn starter_config() -> String {
    let name = iana_time_zone::get_timezone()
        .ok()
        .filter(|t| t.parse::<chrono_tz::Tz>().is_ok())
        .unwrap_or_else(|| "UTC".into());
    let tz = name.parse().unwrap_or(chrono_tz::Tz::UTC);
    config::render(&Config::empty(Some(name), tz))
}

/// Writes the starter config and an empty log, refusing (and writing nothing) when either
/// exists; `now` is the home's creation time.
pub fn write_starter(paths: &Paths, now: DateTime<Utc>) -> Result<()> {
    write_new_pair(paths, &starter_config(), "", Some(now))
}

/// Writes the starter config and an empty log when neither exists (the first run of the
/// TUI). Returns whether it wrote them.
pub fn write_starter_if_new(paths: &Paths, now: DateTime<Utc>) -> Result<bool> {
    if paths.config.exists() || paths.log.exists() {
        return Ok(false);
    }
    write_starter(paths, now)?;
    Ok(true)
}
