//! Replacing a file that other programs may replace too, without losing their change:
//! the new content is written beside it, atomically exchanged with the current file, and
//! what was swapped out is checked against what was read; a mismatch swaps back.
//! A symlinked file stays a symlink: the swap happens in its target's directory.

use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nix::fcntl::{RenameFlags, renameat2};

use crate::store::fsutil;

/// How a swap ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Swapped {
    /// The file now holds the new content.
    Done,
    /// The file did not hold what the caller read (someone else changed it): left as is.
    Conflict,
}

/// The real file behind `path`: `path` itself, or where its symlinks lead (the last link
/// may dangle: a first save through a link creates its target).
pub fn real_path(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    for _ in 0..40 {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            Ok(_) => return Ok(p),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(p),
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::from_raw_os_error(nix::libc::ELOOP))
}

/// Replaces the file at `path` (through symlinks) with `bytes` if it still holds what
/// `is_expected` accepts (`None`: the file is absent). Never overwrites content that
/// `is_expected` refuses, even when another program replaces the file concurrently
/// without any lock: the exchange is atomic, and what it swapped out is checked (same
/// file, same content) and swapped back when it is not what was read.
pub fn replace_checked(
    path: &Path,
    bytes: &[u8],
    is_expected: impl Fn(Option<&[u8]>) -> bool,
) -> io::Result<Swapped> {
    let real = real_path(path)?;
    let dir = real
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let current = match read_with_id(&real) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if !is_expected(current.as_ref().map(|(b, _)| b.as_slice())) {
        return Ok(Swapped::Conflict);
    }
    let name = real
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(&dir)?;
    tmp.as_file()
        .set_permissions(fs::Permissions::from_mode(0o600))?;
    let mut f = tmp.as_file();
    f.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    // From here the temp file is ours to name and remove: after an exchange its path may
    // hold someone else's content, which tempfile must not be left to decide about.
    let (_, tmp_path) = tmp.keep().map_err(|e| e.error)?;
    let dir_file = File::open(&dir)?;
    let result = swap_in(&dir_file, &tmp_path, &real, current, bytes, &is_expected);
    let _ = fs::remove_file(&tmp_path);
    let result = result?;
    fsutil::sync_dir(&dir)?;
    Ok(result)
}

/// Which file (device and inode): a rename by someone else shows as a different one.
type FileId = (u64, u64);

fn read_with_id(path: &Path) -> io::Result<(Vec<u8>, FileId)> {
    use std::io::Read;
    use std::os::unix::fs::MetadataExt;
    let mut f = fsutil::open_regular(path, fs::OpenOptions::new().read(true), false)?;
    let m = f.metadata()?;
    let mut out = Vec::new();
    f.read_to_end(&mut out)?;
    Ok((out, (m.dev(), m.ino())))
}

fn id_at(path: &Path) -> Option<FileId> {
    use std::os::unix::fs::MetadataExt;
    fs::symlink_metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

fn swap_in(
    dir: &File,
    tmp: &Path,
    real: &Path,
    current: Option<(Vec<u8>, FileId)>,
    ours: &[u8],
    is_expected: &impl Fn(Option<&[u8]>) -> bool,
) -> io::Result<Swapped> {
    let name = |p: &Path| p.file_name().unwrap_or_default().to_os_string();
    let (tmp_name, real_name) = (name(tmp), name(real));
    let exchange = || {
        renameat2(
            dir,
            tmp_name.as_os_str(),
            dir,
            real_name.as_os_str(),
            RenameFlags::RENAME_EXCHANGE,
        )
    };
    let Some((read, id)) = current else {
        // Create only if still absent: someone else's new file is never replaced.
        return match renameat2(
            dir,
            tmp_name.as_os_str(),
            dir,
            real_name.as_os_str(),
            RenameFlags::RENAME_NOREPLACE,
        ) {
            Ok(()) => Ok(Swapped::Done),
            Err(nix::Error::EEXIST) => Ok(Swapped::Conflict),
            Err(nix::Error::EINVAL | nix::Error::ENOSYS) => fallback(tmp, real, false, is_expected),
            Err(e) => Err(e.into()),
        };
    };
    // Most outside changes land while the new file is written and synced: see them here,
    // before anything is exchanged, so that nothing unchecked is ever in place.
    if id_at(real) != Some(id)
        || fsutil::read_regular(real, false).ok().as_deref() != Some(&read[..])
    {
        return Ok(Swapped::Conflict);
    }
    match exchange() {
        Ok(()) => {}
        // The file vanished between our read and the exchange: someone else's doing.
        Err(nix::Error::ENOENT) => return Ok(Swapped::Conflict),
        Err(nix::Error::EINVAL | nix::Error::ENOSYS) => {
            return fallback(tmp, real, true, is_expected);
        }
        Err(e) => return Err(e.into()),
    }
    // `tmp` now holds what was in place at the instant of the exchange: the very file we
    // read (a rename by someone else would show as another inode), still with its content.
    let same_file = id_at(tmp) == Some(id);
    if same_file && fsutil::read_regular(tmp, false).ok().as_deref() == Some(&read[..]) {
        return Ok(Swapped::Done);
    }
    // Someone replaced it in that instant: put theirs back at once.
    exchange()?;
    if fsutil::read_regular(tmp, false).ok().as_deref() != Some(ours) {
        // What came back out is not ours: a still newer outside file landed on ours
        // meanwhile (ours is gone with that rename). The newest goes back in place.
        exchange()?;
    }
    Ok(Swapped::Conflict)
}

/// Where the file system cannot exchange (some network file systems): check, then rename.
fn fallback(
    tmp: &Path,
    real: &Path,
    existed: bool,
    is_expected: &impl Fn(Option<&[u8]>) -> bool,
) -> io::Result<Swapped> {
    let now = match fsutil::read_regular(real, false) {
        Ok(b) => Some(b),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    if now.is_some() != existed || !is_expected(now.as_deref()) {
        return Ok(Swapped::Conflict);
    }
    fs::rename(tmp, real)?;
    Ok(Swapped::Done)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_what_was_expected_and_keeps_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let target_dir = dir.path().join("dotfiles");
        std::fs::create_dir(&target_dir).unwrap();
        let target = target_dir.join("baohao.json");
        std::fs::write(&target, "one").unwrap();
        let link = dir.path().join("config.json");
        std::os::unix::fs::symlink("dotfiles/baohao.json", &link).unwrap();
        let is = |want: &'static str| move |b: Option<&[u8]>| b == Some(want.as_bytes());
        assert_eq!(
            replace_checked(&link, b"two", is("one")).unwrap(),
            Swapped::Done
        );
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"two");
        assert_eq!(
            std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            replace_checked(&link, b"three", is("one")).unwrap(),
            Swapped::Conflict
        );
        assert_eq!(std::fs::read(&target).unwrap(), b"two");
        let fresh = dir.path().join("new.json");
        assert_eq!(
            replace_checked(&fresh, b"x", |b| b.is_none()).unwrap(),
            Swapped::Done
        );
        assert_eq!(
            replace_checked(&fresh, b"y", |b| b.is_none()).unwrap(),
            Swapped::Conflict
        );
        assert_eq!(std::fs::read(&fresh).unwrap(), b"x");
        let left: Vec<_> = std::fs::read_dir(&target_dir).unwrap().collect();
        assert_eq!(left.len(), 1, "no temp file left behind");
    }

    #[test]
    fn a_replacement_after_the_read_is_never_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("config.json");
        std::fs::write(&p, "mine-read").unwrap();
        let p2 = p.clone();
        // The check passes for what we read, then an outside editor renames its file in
        // (simulated inside the check, after its first call).
        let calls = std::cell::Cell::new(0);
        let r = replace_checked(&p, b"ours", |b| {
            calls.set(calls.get() + 1);
            if calls.get() == 1 {
                let tmp = p2.with_extension("editor");
                std::fs::write(&tmp, "theirs").unwrap();
                std::fs::rename(&tmp, &p2).unwrap();
                return b == Some(b"mine-read".as_slice());
            }
            b == Some(b"mine-read".as_slice())
        })
        .unwrap();
        assert_eq!(r, Swapped::Conflict);
        assert_eq!(std::fs::read(&p).unwrap(), b"theirs");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
