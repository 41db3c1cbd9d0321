//! The worker lock: at most one worker per data directory. The holder's pid is written in
//! the file so that others can say who holds it. The OS releases it if the holder dies.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use crate::error::{Error, Result};
use crate::i18n::T;
use crate::store::fsutil;
use crate::tr;

/// Held for as long as this value lives.
#[derive(Debug)]
pub struct WorkerLock {
    _file: File,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    /// Nobody holds it now.
    Free,
    /// Another process holds it (its pid when it wrote one).
    Other(Option<u32>),
}

fn open(path: &Path) -> Result<File> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        fsutil::create_private_dir(dir).map_err(|e| Error::io(T::WhatCreate, dir, &e))?;
    }
    fsutil::open_regular(
        path,
        OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600),
        false,
    )
    .map_err(|e| Error::io(T::WhatOpen, path, &e))
}

fn read_pid(file: &mut File) -> Option<u32> {
    let mut s = String::new();
    file.seek(SeekFrom::Start(0)).ok()?;
    file.read_to_string(&mut s).ok()?;
    s.trim().parse().ok()
}

impl WorkerLock {
    /// Takes the lock if nobody holds it; otherwise says who does.
    pub fn try_acquire(path: &Path) -> Result<std::result::Result<WorkerLock, Holder>> {
        let mut file = open(path)?;
        match file.try_lock() {
            Ok(()) => {
                let pid = std::process::id().to_string();
                file.set_len(0)
                    .map_err(|e| Error::io(T::WhatWrite, path, &e))?;
                file.seek(SeekFrom::Start(0))
                    .map_err(|e| Error::io(T::WhatWrite, path, &e))?;
                file.write_all(format!("{pid}\n").as_bytes())
                    .and_then(|()| file.sync_data())
                    .map_err(|e| Error::io(T::WhatWrite, path, &e))?;
                Ok(Ok(WorkerLock { _file: file }))
            }
            Err(std::fs::TryLockError::WouldBlock) => Ok(Err(Holder::Other(read_pid(&mut file)))),
            Err(std::fs::TryLockError::Error(e)) => Err(Error::io(T::WhatLock, path, &e)),
        }
    }

    /// Takes the lock or fails with a sentence naming the holder.
    pub fn acquire_or_explain(path: &Path) -> Result<WorkerLock> {
        match Self::try_acquire(path)? {
            Ok(l) => Ok(l),
            Err(h) => Err(Error::locked(held_message(h))),
        }
    }

    /// Who holds the lock now, without taking it for long.
    pub fn holder(path: &Path) -> Holder {
        let Ok(mut file) = fsutil::open_regular(path, OpenOptions::new().read(true), false) else {
            return Holder::Free;
        };
        match file.try_lock_shared() {
            Ok(()) => Holder::Free,
            Err(_) => Holder::Other(read_pid(&mut file)),
        }
    }
}

pub fn held_message(h: Holder) -> String {
    match h {
        Holder::Other(Some(pid)) => tr!(T::LockHeldPid, pid),
        _ => tr!(T::LockHeld),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_holder_is_refused_with_the_pid() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("worker.lock");
        let held = WorkerLock::try_acquire(&p).unwrap().unwrap();
        assert_eq!(
            WorkerLock::holder(&p),
            Holder::Other(Some(std::process::id()))
        );
        let refused = WorkerLock::try_acquire(&p).unwrap().unwrap_err();
        assert_eq!(refused, Holder::Other(Some(std::process::id())));
        drop(held);
        assert_eq!(WorkerLock::holder(&p), Holder::Free);
        assert!(WorkerLock::try_acquire(&p).unwrap().is_ok());
    }
}
