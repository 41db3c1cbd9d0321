//! The checkpoint beside the log: the state a state-only replay of the log's
//! first N bytes ends in, so that `status`, `plan`, `tick`, the daemon and the TUI's worker
//! replay only what came after. It is used only when it provably belongs to this log:
//!
//! - its header names the shape of the state and the code that folded it (a BLAKE3 hash
//!   of this build's fold, parser and serialization sources and `Cargo.lock`: any change
//!   to them is another version), and the time zone the log was read in;
//! - it covers bytes `[0, N)` of the log and holds their BLAKE3 hash: every start reads
//!   those bytes again and compares (a one-byte change anywhere before N, a cut, another
//!   log, a restored backup that differs: all give another hash);
//! - the whole file is sealed with BLAKE3 keyed by this home's random checkpoint key
//!   (`log.jsonl.checkpoint-key`, 0600): a torn file, a crafted one, or one copied from
//!   another home does not carry this home's seal.
//!
//! It is written atomically (a 0600 temp file in the same directory, fsync, rename, fsync
//! of the directory), streamed (never held whole in memory), by the worker only (under the
//! worker lock). See docs/DECISIONS.md, "A verified checkpoint".

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use bincode::Options;
use chrono_tz::Tz;

use crate::engine::state::snapshot_options;
use crate::engine::{History, Keep, State};
use crate::i18n::T;
use crate::model::EventRef;
use crate::store::fsutil;
use crate::store::log::BadAt;
use crate::store::{Cursor, LogProblem, Paths};
use crate::tr;

const MAGIC: &[u8; 8] = b"baohaock";
/// The layout of the file; the state's own shape is in [`shape`].
const FORMAT: u32 = 1;
/// At most this many bad lines are said again from a checkpoint (none in a healthy log).
const MAX_BAD: u64 = 1 << 20;

/// The sources whose every byte decides what state a log's bytes fold into, and how it is
/// written: a change to any of them makes a checkpoint of another version.
const SOURCES: &[&str] = &[
    include_str!("../../crates/core/src/engine/state.rs"),
    include_str!("../../crates/core/src/engine/state/snapshot.rs"),
    include_str!("../../crates/core/src/engine/state/fold.rs"),
    include_str!("../../crates/core/src/engine/state/packed.rs"),
    include_str!("../../crates/core/src/engine/key.rs"),
    include_str!("../../crates/core/src/engine/verify.rs"),
    include_str!("../../crates/core/src/engine/reconcile.rs"),
    include_str!("../../crates/core/src/engine/chunked.rs"),
    include_str!("../../crates/core/src/engine/calendar.rs"),
    include_str!("../../crates/core/src/model/event/mod.rs"),
    include_str!("../../crates/core/src/model/event/parse.rs"),
    include_str!("../../crates/core/src/model/event/line.rs"),
    include_str!("../../crates/core/src/model/money.rs"),
    include_str!("../../crates/core/src/model/rule.rs"),
    include_str!("log.rs"),
    include_str!("checkpoint.rs"),
    include_str!("../../Cargo.lock"),
];

/// This build's version of the checkpoint: its format and the hash of [`SOURCES`].
pub fn shape() -> [u8; 32] {
    let mut h = blake3::Hasher::new();
    h.update(MAGIC);
    h.update(&FORMAT.to_le_bytes());
    for s in SOURCES {
        h.update(&(s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    }
    *h.finalize().as_bytes()
}

/// Where the checkpoint of `paths`'s log is kept: beside it.
pub fn path(paths: &Paths) -> PathBuf {
    beside(&paths.log, "checkpoint")
}

/// The key that seals this home's checkpoints.
pub fn key_path(paths: &Paths) -> PathBuf {
    beside(&paths.log, "checkpoint-key")
}

fn beside(log: &Path, what: &str) -> PathBuf {
    let name = log
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "log".into());
    log.with_file_name(format!("{name}.{what}"))
}

/// What a replay starts from when the checkpoint holds.
pub struct Restored {
    pub state: State,
    /// Just after the last line the state has folded in.
    pub cursor: Cursor,
    /// BLAKE3 of the log's bytes before `cursor` (a replay of the tail goes on feeding it).
    pub hash: blake3::Hasher,
    /// The bad lines before `cursor`, where they are…
    pub bad_at: Vec<BadAt>,
    /// …and what is wrong with each, read from the log again (in the reader's language).
    pub problems: Vec<LogProblem>,
}

/// What looking for the checkpoint found.
pub enum Found {
    /// There is none (a new home, or `validate --rebuild`): nothing to say.
    Absent,
    Held(Box<Restored>),
    /// There is one and it does not hold: why, as a sentence (it is said once).
    Refused(String),
}

/// Why a checkpoint does not hold.
#[derive(Debug)]
enum Refusal {
    Torn,
    Version,
    Timezone,
    LogChanged(u64),
    Seal,
    Io(io::Error),
}

impl Refusal {
    fn sentence(&self, file: &Path) -> String {
        let why = match self {
            Refusal::Torn => tr!(T::CkTorn),
            Refusal::Version => tr!(T::CkVersion),
            Refusal::Timezone => tr!(T::CkTimezone),
            Refusal::LogChanged(at) => tr!(T::CkLogChanged, at),
            Refusal::Seal => tr!(T::CkSeal),
            Refusal::Io(e) => tr!(T::CkUnreadable, e),
        };
        crate::text::clean::message(&tr!(T::CheckpointRefused, file.display(), why))
    }
}

impl From<io::Error> for Refusal {
    fn from(e: io::Error) -> Refusal {
        if e.kind() == io::ErrorKind::UnexpectedEof {
            Refusal::Torn
        } else {
            Refusal::Io(e)
        }
    }
}

/// Reads the checkpoint and proves it against the log and this home's key; the state
/// it holds is for a home whose config is in time zone `tz`.
pub fn load(paths: &Paths, tz: Tz) -> Found {
    let file = path(paths);
    let f = match fsutil::open_regular(&file, std::fs::OpenOptions::new().read(true), false) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Found::Absent,
        Err(e) => return Found::Refused(Refusal::Io(e).sentence(&file)),
    };
    match read(paths, f, tz) {
        Ok(r) => Found::Held(Box::new(r)),
        Err(why) => Found::Refused(why.sentence(&file)),
    }
}

/// Reads bytes and feeds them to the seal's hasher.
struct Sealed<R> {
    inner: R,
    mac: blake3::Hasher,
}

impl<R: Read> Read for Sealed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.mac.update(&buf[..n]);
        Ok(n)
    }
}

impl<W: Write> Write for Sealed<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.mac.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

fn u32_of(r: &mut impl Read) -> io::Result<u32> {
    let mut b = [0u8; 4];
    r.read_exact(&mut b)?;
    Ok(u32::from_le_bytes(b))
}

fn u64_of(r: &mut impl Read) -> io::Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)?;
    Ok(u64::from_le_bytes(b))
}

fn bytes32(r: &mut impl Read) -> io::Result<[u8; 32]> {
    let mut b = [0u8; 32];
    r.read_exact(&mut b)?;
    Ok(b)
}

fn read_key(paths: &Paths) -> Result<[u8; 32], Refusal> {
    let bytes = match fsutil::read_regular(&key_path(paths), false) {
        Ok(b) => b,
        // A checkpoint without this home's key cannot be proven to be this home's.
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Err(Refusal::Seal),
        Err(e) => return Err(Refusal::Io(e)),
    };
    bytes.try_into().map_err(|_| Refusal::Seal)
}

fn read(paths: &Paths, f: File, tz: Tz) -> Result<Restored, Refusal> {
    let key = read_key(paths)?;
    let total = f.metadata()?.len();
    // Everything before the seal goes through the MAC in large blocks (the buffer sits
    // above it: bincode reads a few bytes at a time, and BLAKE3 per call is not free).
    let body = total.checked_sub(32).ok_or(Refusal::Torn)?;
    let mut r = BufReader::with_capacity(
        1 << 16,
        Sealed {
            inner: f.take(body),
            mac: blake3::Hasher::new_keyed(&key),
        },
    );
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic)?;
    if &magic != MAGIC {
        return Err(Refusal::Torn);
    }
    if u32_of(&mut r)? != FORMAT || bytes32(&mut r)? != shape() {
        return Err(Refusal::Version);
    }
    let mut name = vec![0u8; u32_of(&mut r)?.min(256) as usize];
    r.read_exact(&mut name)?;
    let offset = u64_of(&mut r)?;
    let line = u64_of(&mut r)? as usize;
    let proof = bytes32(&mut r)?;
    let bad = u64_of(&mut r)?;
    if bad > MAX_BAD {
        return Err(Refusal::Torn);
    }
    let mut bad_at = Vec::new();
    for _ in 0..bad {
        bad_at.push(BadAt {
            line: u64_of(&mut r)? as usize,
            offset: u64_of(&mut r)?,
            len: u64_of(&mut r)?,
        });
    }
    if name != tz.name().as_bytes() {
        return Err(Refusal::Timezone);
    }
    // The proof: the log's first `offset` bytes, read again, hash to what was folded.
    let log = fsutil::open_regular(&paths.log, std::fs::OpenOptions::new().read(true), false)
        .map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => Refusal::LogChanged(offset),
            _ => Refusal::Io(e),
        })?;
    let hash = prefix_hash(&log, offset)?.ok_or(Refusal::LogChanged(offset))?;
    if hash.finalize().as_bytes() != &proof {
        return Err(Refusal::LogChanged(offset));
    }
    // The state, bounded by what is left of the file before the seal.
    let consumed = 8 + 4 + 32 + 4 + name.len() as u64 + 8 + 8 + 32 + 8 + bad * 24;
    let limit = total.saturating_sub(consumed).saturating_sub(32);
    let state: State = snapshot_options()
        .with_limit(limit)
        .deserialize_from(&mut r)
        .map_err(|_| Refusal::Torn)?;
    // The state ends where the seal begins.
    if !r.fill_buf()?.is_empty() {
        return Err(Refusal::Torn);
    }
    let sealed = r.into_inner();
    let expected = sealed.mac.finalize();
    let mut f = sealed.inner.into_inner();
    let mut seal = [0u8; 32];
    f.read_exact(&mut seal)?;
    let mut rest = [0u8; 1];
    // `blake3::Hash` compares in constant time.
    if expected != blake3::Hash::from_bytes(seal) || f.read(&mut rest)? != 0 {
        return Err(Refusal::Seal);
    }
    let problems = bad_lines_again(&log, &bad_at)?;
    Ok(Restored {
        state: state.restored(tz),
        cursor: Cursor { offset, line },
        hash,
        bad_at,
        problems,
    })
}

/// BLAKE3 of the file's first `n` bytes, or `None` if it is shorter.
pub fn prefix_hash(file: &File, n: u64) -> io::Result<Option<blake3::Hasher>> {
    if file.metadata()?.len() < n {
        return Ok(None);
    }
    let mut h = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut at = 0u64;
    while at < n {
        let want = (n - at).min(buf.len() as u64) as usize;
        let got = file.read_at(&mut buf[..want], at)?;
        if got == 0 {
            return Ok(None);
        }
        h.update(&buf[..got]);
        at += got as u64;
    }
    Ok(Some(h))
}

/// The problems of the bad lines a checkpoint covers, parsed again from the (proven) log.
fn bad_lines_again(log: &File, bad_at: &[BadAt]) -> Result<Vec<LogProblem>, Refusal> {
    let mut out = Vec::new();
    for b in bad_at {
        let mut line = vec![0u8; usize::try_from(b.len).map_err(|_| Refusal::Torn)?];
        log.read_exact_at(&mut line, b.offset)?;
        let body = line.strip_suffix(b"\r").unwrap_or(&line);
        if let Err(error) = EventRef::parse_ref(body) {
            out.push(LogProblem::BadLine {
                line: b.line,
                error,
            });
        }
    }
    Ok(out)
}

/// This home's checkpoint key, made (32 random bytes, 0600) if there is none yet.
fn key(paths: &Paths) -> io::Result<[u8; 32]> {
    match read_key(paths) {
        Ok(k) => return Ok(k),
        Err(Refusal::Io(e)) => return Err(e),
        Err(_) => {}
    }
    let mut k = [0u8; 32];
    getrandom::fill(&mut k).map_err(|e| io::Error::other(e.to_string()))?;
    // A key of the wrong size is replaced: nothing it sealed can be proven anyway.
    fsutil::write_atomic(&key_path(paths), &k)?;
    Ok(k)
}

/// Writes the checkpoint of `state`, which is the fold of the log's bytes before `cursor`
/// (`hash` their BLAKE3) with the bad lines `bad_at` among them, in time zone `tz`.
pub fn write(
    paths: &Paths,
    state: &State,
    tz: Tz,
    cursor: Cursor,
    hash: &blake3::Hasher,
    bad_at: &[BadAt],
) -> io::Result<()> {
    let key = key(paths)?;
    let file = path(paths);
    let dir = dir_of(&file);
    remove_leftovers(dir);
    let mut tmp = tempfile::Builder::new()
        .prefix(".checkpoint.")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    {
        // The buffer sits above the MAC, so it hashes large blocks (see `read`).
        let mut w = BufWriter::with_capacity(
            1 << 16,
            Sealed {
                inner: tmp.as_file_mut(),
                mac: blake3::Hasher::new_keyed(&key),
            },
        );
        w.write_all(MAGIC)?;
        w.write_all(&FORMAT.to_le_bytes())?;
        w.write_all(&shape())?;
        let name = tz.name().as_bytes();
        w.write_all(&(name.len() as u32).to_le_bytes())?;
        w.write_all(name)?;
        w.write_all(&cursor.offset.to_le_bytes())?;
        w.write_all(&(cursor.line as u64).to_le_bytes())?;
        w.write_all(hash.finalize().as_bytes())?;
        w.write_all(&(bad_at.len() as u64).to_le_bytes())?;
        for b in bad_at {
            w.write_all(&(b.line as u64).to_le_bytes())?;
            w.write_all(&b.offset.to_le_bytes())?;
            w.write_all(&b.len.to_le_bytes())?;
        }
        snapshot_options()
            .serialize_into(&mut w, state)
            .map_err(|e| io::Error::other(e.to_string()))?;
        let w = w.into_inner().map_err(|e| e.into_error())?;
        let seal = w.mac.finalize();
        w.inner.write_all(seal.as_bytes())?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(&file).map_err(|e| e.error)?;
    fsutil::sync_dir(dir)
}

fn dir_of(file: &Path) -> &Path {
    file.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Temp files of writes that were killed half-way (only the worker writes, under the
/// worker lock, so none of them is being written now).
fn remove_leftovers(dir: &Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(".checkpoint.") && name.ends_with(".tmp") {
            let _ = std::fs::remove_file(e.path());
        }
    }
}

/// Throws the checkpoint away (`validate --rebuild`); whether there was one.
pub fn remove(paths: &Paths) -> io::Result<bool> {
    match std::fs::remove_file(path(paths)) {
        Ok(()) => {
            fsutil::sync_dir(dir_of(&path(paths)))?;
            Ok(true)
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// What `validate` found of the checkpoint.
pub enum Verdict {
    Absent,
    /// It does not hold (the sentence saying why): it is not used.
    Refused(String),
    /// It holds, and its state with the rest of the log replayed equals a full replay.
    Equal {
        events: u64,
        offset: u64,
    },
    /// It holds, but its state with the rest of the log replayed is not a full replay's:
    /// a defect in baohao (a field not kept, a fold changed without a new version).
    Differs,
}

/// Compares the checkpoint with a full state-only replay of the log, in time zone `tz`.
pub fn verdict(paths: &Paths, tz: Tz) -> io::Result<Verdict> {
    let restored = match load(paths, tz) {
        Found::Absent => return Ok(Verdict::Absent),
        Found::Refused(why) => return Ok(Verdict::Refused(why)),
        Found::Held(r) => r,
    };
    let log = crate::store::Log::new(&paths.log);
    let fold = |history: &mut History, from: Cursor| {
        log.scan_ref(from, |e| history.apply(&e, None)).map(drop)
    };
    let (events, offset) = (restored.state.events, restored.cursor.offset);
    let mut from_checkpoint = History::new(restored.state, Keep::StateOnly);
    fold(&mut from_checkpoint, restored.cursor)?;
    let mut full = History::new(State::new(tz), Keep::StateOnly);
    fold(&mut full, Cursor::default())?;
    Ok(
        if from_checkpoint.state().canonical_bytes() == full.state().canonical_bytes() {
            Verdict::Equal { events, offset }
        } else {
            Verdict::Differs
        },
    )
}
