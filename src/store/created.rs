//! `log.jsonl.created`: when baohao made this home, by its own clock. A fresh
//! home's log is empty, so nothing else says that a clock reading 1970 at boot is wrong.
//! One RFC 3339 time and a newline, written once beside the log (0600) and never changed.
//! A home made before this file existed, or one whose file does not read, has no creation
//! time: it works as before, and the log's own times are all the clock is checked against.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::store::{Paths, fsutil};

/// Longer than any RFC 3339 time: a file past it is not one.
const MAX_LEN: u64 = 64;

pub fn path(paths: &Paths) -> PathBuf {
    beside(&paths.log)
}

/// The stamp of the log at `log`.
fn beside(log: &Path) -> PathBuf {
    let name = log
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "log".into());
    log.with_file_name(format!("{name}.created"))
}

/// Writes the creation time; a home that already has one keeps it.
pub fn write(paths: &Paths, now: DateTime<Utc>) -> std::io::Result<()> {
    write_beside(&paths.log, now)
}

/// [`write`] for the log at `log`: its first append stamps a home made by hand.
pub fn write_beside(log: &Path, now: DateTime<Utc>) -> std::io::Result<()> {
    let text = format!(
        "{}\n",
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    match fsutil::write_new(&beside(log), text.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        r => r,
    }
}

/// The creation time, if the home has one that reads.
pub fn load(paths: &Paths) -> Option<DateTime<Utc>> {
    let f =
        fsutil::open_regular(&path(paths), std::fs::OpenOptions::new().read(true), false).ok()?;
    let mut text = String::new();
    f.take(MAX_LEN + 1).read_to_string(&mut text).ok()?;
    if text.len() as u64 > MAX_LEN {
        return None;
    }
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_once_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::in_home(dir.path());
        assert_eq!(load(&paths), None, "an old home has none");
        let t = DateTime::parse_from_rfc3339("2026-11-25T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        write(&paths, t).unwrap();
        write(&paths, t + chrono::Duration::days(1)).unwrap();
        assert_eq!(load(&paths), Some(t), "the first time stays");
        std::fs::write(path(&paths), "yesterday\n").unwrap();
        assert_eq!(load(&paths), None, "a file that does not read is no time");
    }
}
