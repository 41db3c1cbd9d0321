//! Careful file primitives: private directories and files, atomic rewrites with fsync.
//! Everything that touches the disk for baohao's own files goes through here.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

/// Creates `dir` and its missing parents with mode 0700.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
}

/// Opens (creating with 0600) a file for appending and reading; never through a symlink,
/// never anything but a regular file.
pub fn open_private_append(path: &Path) -> io::Result<File> {
    open_regular(
        path,
        OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(0o600),
        false,
    )
}

/// Why a path was refused: it is a symlink (where one is not followed), a FIFO, a device…
pub fn not_regular() -> io::Error {
    io::Error::other(crate::tr!(crate::i18n::T::NotRegularFile))
}

/// Opens `path` with `opts`, refusing anything but a regular file: a FIFO does not block
/// the open, a device is never read, and unless `follow` a symlink is not followed.
pub fn open_regular(path: &Path, opts: &mut OpenOptions, follow: bool) -> io::Result<File> {
    use nix::libc;
    let mut flags = libc::O_NONBLOCK | libc::O_CLOEXEC;
    if !follow {
        flags |= libc::O_NOFOLLOW;
    }
    let file = opts.custom_flags(flags).open(path).map_err(|e| {
        match e.raw_os_error() {
            // ELOOP: a symlink under O_NOFOLLOW; ENXIO: a FIFO nobody reads.
            Some(libc::ELOOP) | Some(libc::ENXIO) => not_regular(),
            _ => e,
        }
    })?;
    if !file.metadata()?.file_type().is_file() {
        return Err(not_regular());
    }
    // Back to blocking I/O (it only mattered for the open of a FIFO).
    let fl = nix::fcntl::fcntl(&file, nix::fcntl::FcntlArg::F_GETFL).map_err(io::Error::from)?;
    let fl = nix::fcntl::OFlag::from_bits_truncate(fl) & !nix::fcntl::OFlag::O_NONBLOCK;
    nix::fcntl::fcntl(&file, nix::fcntl::FcntlArg::F_SETFL(fl)).map_err(io::Error::from)?;
    Ok(file)
}

/// Reads a whole file that must be regular (following a symlink when `follow`).
pub fn read_regular(path: &Path, follow: bool) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut f = open_regular(path, OpenOptions::new().read(true), follow)?;
    let mut out = Vec::new();
    f.read_to_end(&mut out)?;
    Ok(out)
}

/// Refuses a directory that another user owns or that others may write: whoever can
/// write there can swap baohao's files under it. A missing directory is fine (it will be
/// created 0700).
pub fn check_private_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = fs::metadata(dir) else {
        return Ok(());
    };
    let me = nix::unistd::geteuid().as_raw();
    if meta.uid() != me {
        return Err(crate::tr!(
            crate::i18n::T::HomeNotOwned,
            dir.display(),
            meta.uid()
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(crate::tr!(
            crate::i18n::T::HomeOpen,
            dir.display(),
            format!("{:o}", meta.mode() & 0o7777)
        ));
    }
    Ok(())
}

/// Replaces `path` with `bytes` so that a crash leaves either the old or the new file:
/// temp file in the same directory (0600), write, fsync, rename, fsync the directory.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    sync_dir(dir)
}

pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Writes an export (a CSV, a journal, a calendar) readable by its owner only: created
/// 0600, and an existing regular file is narrowed to 0600 before the data goes in.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = create_private(path)?;
    f.write_all(bytes)?;
    sync_private(&f)
}

/// Opens `path` for [`write_private`] (created or truncated, 0600) to write in parts;
/// finish with [`sync_private`].
pub fn create_private(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::PermissionsExt;
    let f = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    let meta = f.metadata()?;
    if meta.is_file() && meta.permissions().mode() & 0o077 != 0 {
        f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(f)
}

/// Flushes a file written through [`create_private`] to disk (not a pipe or device).
pub fn sync_private(f: &File) -> io::Result<()> {
    if f.metadata()?.is_file() {
        f.sync_all()?;
    }
    Ok(())
}

/// Writes a new file that must not exist yet (0600), fsync'd.
pub fn write_new(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut f = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        sync_dir(dir)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn atomic_write_is_private_and_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("a/b");
        create_private_dir(&sub).unwrap();
        assert_eq!(
            fs::metadata(&sub).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let p = sub.join("config.json");
        write_atomic(&p, b"one").unwrap();
        write_atomic(&p, b"two").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"two");
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );
        assert_eq!(
            fs::read_dir(&sub).unwrap().count(),
            1,
            "no temp file left behind"
        );
        assert!(write_new(&p, b"x").is_err());
    }
}
