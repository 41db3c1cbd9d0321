//! Where baohao's files live: `--home DIR`, else `BAOHAO_HOME`, else the platform's dirs.
//! Only computes paths; creating directories happens on the first write.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::i18n::T;
use crate::store::fsutil;
use crate::tr;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Paths {
    pub config: PathBuf,
    pub log: PathBuf,
    /// Held by the one worker of this data directory; holds its pid.
    pub worker_lock: PathBuf,
    /// Taken while the config file is rewritten.
    pub config_lock: PathBuf,
}

impl Paths {
    /// All files in one directory (tests, `--home`, `--demo`).
    pub fn in_home(dir: &Path) -> Paths {
        Paths {
            config: dir.join("config.json"),
            log: dir.join("log.jsonl"),
            worker_lock: dir.join("worker.lock"),
            config_lock: dir.join("config.lock"),
        }
    }

    /// The paths for `--home`, `BAOHAO_HOME` or the platform's dirs; refuses a directory
    /// that is not safely the person's own (see [`Paths::check_dirs`]).
    pub fn resolve(home: Option<&Path>) -> Result<Paths> {
        let paths = Self::locate(home)?;
        paths.check_dirs()?;
        Ok(paths)
    }

    /// Refuses directories holding baohao's files that another user owns or others may
    /// write: one sentence.
    pub fn check_dirs(&self) -> Result<()> {
        for file in [&self.config, &self.log] {
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                fsutil::check_private_dir(dir).map_err(Error::input)?;
            }
        }
        Ok(())
    }

    fn locate(home: Option<&Path>) -> Result<Paths> {
        if let Some(h) = home {
            return Ok(Paths::in_home(h));
        }
        if let Some(h) = std::env::var_os("BAOHAO_HOME").filter(|h| !h.is_empty()) {
            return Ok(Paths::in_home(Path::new(&h)));
        }
        let config_dir = dirs::config_dir().ok_or_else(|| Error::input(tr!(T::NoConfigDir)))?;
        let data_dir = dirs::data_dir().ok_or_else(|| Error::input(tr!(T::NoConfigDir)))?;
        let data = data_dir.join("baohao");
        Ok(Paths {
            config: config_dir.join("baohao").join("config.json"),
            log: data.join("log.jsonl"),
            worker_lock: data.join("worker.lock"),
            config_lock: config_dir.join("baohao").join("config.lock"),
        })
    }

    /// Creates the directories that hold the files (0700).
    pub fn ensure_dirs(&self) -> Result<()> {
        for file in [&self.config, &self.log] {
            if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
                fsutil::create_private_dir(dir).map_err(|e| Error::io(T::WhatCreate, dir, &e))?;
            }
        }
        Ok(())
    }
}
