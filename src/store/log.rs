//! log.jsonl, the recharge log: streaming reads that skip bad lines with their line number,
//! and appends of whole lines under an exclusive lock, fsync'd. Nothing is ever rewritten,
//! except that an incomplete last line (a torn write) is cut off before the next append.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::model::event::LineError;
use crate::model::{Event, EventRef};
use crate::store::fsutil;

/// A position in the log: the byte just after the last complete line read, and its line count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cursor {
    pub offset: u64,
    pub line: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogProblem {
    /// A complete line that is not a usable event: skipped.
    BadLine { line: usize, error: LineError },
    /// The last line has no newline (a write was torn): ignored, cut before the next append.
    TornTail { line: usize, bytes: u64 },
}

impl LogProblem {
    /// One clean line (a bad line's value is quoted short and escaped).
    pub fn render(&self, file: &Path) -> String {
        crate::text::clean::message(&self.render_raw(file))
    }

    fn render_raw(&self, file: &Path) -> String {
        use crate::i18n::T;
        match self {
            LogProblem::BadLine { line, error } => {
                crate::tr!(T::LogBadLine, file.display(), line, error)
            }
            LogProblem::TornTail { line, bytes } => {
                crate::tr!(T::LogTornTail, file.display(), line, bytes)
            }
        }
    }
}

#[derive(Clone, Debug, Default)]
pub struct Scan {
    pub cursor: Cursor,
    pub problems: Vec<LogProblem>,
    /// Events read in this scan (including unknown types, which are not passed on).
    pub events: usize,
    /// The scan stopped before the end when asked to ([`Log::scan_ref_until`]): the
    /// cursor is at a line boundary, where the next scan goes on.
    pub stopped: bool,
    /// Where each `BadLine` of `problems` is, in order: its line number, the byte it
    /// starts at and its length without the newline (a checkpoint says them again).
    pub bad_at: Vec<BadAt>,
}

/// Where a bad line is in the log.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BadAt {
    pub line: usize,
    pub offset: u64,
    pub len: u64,
}

/// The recharge log at one path.
#[derive(Clone, Debug)]
pub struct Log {
    path: PathBuf,
    /// The clock's time, for the home's creation stamp should this write be its first.
    stamp: Option<chrono::DateTime<chrono::Utc>>,
}

impl Log {
    pub fn new(path: impl Into<PathBuf>) -> Log {
        Log {
            path: path.into(),
            stamp: None,
        }
    }

    /// This log, noting `now` (the clock's time, never a time read from a file) as the
    /// home's creation time if an append finds it empty and unstamped: a home made by hand
    /// has no `init` to stamp it (see [`crate::store::created`]).
    pub fn stamping(mut self, now: chrono::DateTime<chrono::Utc>) -> Log {
        self.stamp = Some(now);
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads every complete line from `from` on, calling `f` for each event in order.
    /// A missing file reads as empty. Never writes.
    pub fn scan(&self, from: Cursor, mut f: impl FnMut(Event)) -> io::Result<Scan> {
        self.scan_ref(from, |e| f(e.into_owned()))
    }

    /// [`Log::scan`] with events borrowing from each line (replay without copies).
    pub fn scan_ref(&self, from: Cursor, f: impl FnMut(EventRef<'_>)) -> io::Result<Scan> {
        self.scan_ref_until(from, f, || false)
    }

    /// [`Log::scan_ref`] that asks `stop` every [`STOP_EVERY`] lines and, when it says so,
    /// stops at that line's end (`Scan::stopped`): a long log read in slices, a next scan
    /// from the returned cursor going on where this one stopped.
    pub fn scan_ref_until(
        &self,
        from: Cursor,
        mut f: impl FnMut(EventRef<'_>),
        stop: impl FnMut() -> bool,
    ) -> io::Result<Scan> {
        self.scan_located(from, |_, e| f(e), stop)
    }

    /// [`Log::scan_ref_until`] that also says where each event's line is ([`Line`]).
    pub fn scan_located(
        &self,
        from: Cursor,
        f: impl FnMut(Line<'_>, EventRef<'_>),
        stop: impl FnMut() -> bool,
    ) -> io::Result<Scan> {
        self.scan_hashed(from, None, f, stop)
    }

    /// [`Log::scan_located`] that also feeds `hash` every byte of the complete lines it
    /// reads, in order (so a hasher of bytes `[0, from)` ends as one of `[0, cursor)`; an
    /// unterminated last line that reads as whole is hashed with the newline its cursor
    /// counts). A checkpoint's proof is this hash (see `store::checkpoint`).
    pub fn scan_hashed(
        &self,
        from: Cursor,
        hash: Option<&mut blake3::Hasher>,
        f: impl FnMut(Line<'_>, EventRef<'_>),
        stop: impl FnMut() -> bool,
    ) -> io::Result<Scan> {
        match fsutil::open_regular(&self.path, std::fs::OpenOptions::new().read(true), false) {
            Ok(file) => scan_file(&file, from, hash, f, stop),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Scan {
                cursor: from,
                ..Scan::default()
            }),
            Err(e) => Err(e),
        }
    }

    /// Opens the log for appending (creating it if missing) and closes it again: fails
    /// at once, with the reason, where a later append would fail (a symlink, FIFO, device,
    /// a directory, no permission).
    pub fn check_writable(&self) -> io::Result<()> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fsutil::create_private_dir(dir)?;
        }
        fsutil::open_private_append(&self.path).map(drop)
    }

    /// Reads the whole log into memory (small logs, tests and exports).
    pub fn read_all(&self) -> io::Result<(Vec<Event>, Scan)> {
        let mut events = Vec::new();
        let scan = self.scan(Cursor::default(), |e| events.push(e))?;
        Ok((events, scan))
    }

    /// Appends `events`, each as one line, in one write under the lock, then fsync.
    /// Returns the torn tail that had to be cut first, if any.
    pub fn append(&self, events: &[Event]) -> io::Result<Option<LogProblem>> {
        self.transact(|txn| txn.append(events))
            .map(|(_, torn)| torn)
    }

    /// Appends those of `events` that are not in the log yet, under the lock (imports: the
    /// ids are derived from the records, so a second import finds them there). An event
    /// read from a text is there too when its twin is ([`Event::text_twin`]): the same text
    /// brought by another source, or logged under the id an older version gave it. With
    /// `dry_run`, only counts them. Returns how many are (or would be) new, and any torn
    /// tail cut.
    pub fn append_new(
        &self,
        events: &[Event],
        dry_run: bool,
    ) -> io::Result<(usize, Option<LogProblem>)> {
        let seen = Seen::of(events);
        if dry_run {
            let mut seen = seen;
            self.scan_ref(Cursor::default(), |e| seen.see(&e))?;
            return Ok((seen.fresh(events).len(), None));
        }
        self.transact(|txn| {
            let mut seen = seen;
            txn.scan_ref(Cursor::default(), |e| seen.see(&e))?;
            let new = seen.fresh(events);
            txn.append(&new)?;
            Ok(new.len())
        })
    }

    /// Runs `f` holding the log's exclusive lock, so that what `f` reads (with
    /// [`Txn::scan`]) cannot change before what it appends: check-then-append is atomic
    /// across processes. Returns `f`'s value and any torn tail cut on append.
    pub fn transact<R>(
        &self,
        f: impl FnOnce(&mut Txn) -> io::Result<R>,
    ) -> io::Result<(R, Option<LogProblem>)> {
        self.transact_waiting(None, f)
    }

    /// [`Log::transact`], waiting at most `wait` for the lock: past it, an error of kind
    /// `WouldBlock` and nothing done (the inbox answers a phone 503 rather than hang).
    pub fn transact_within<R>(
        &self,
        wait: std::time::Duration,
        f: impl FnOnce(&mut Txn) -> io::Result<R>,
    ) -> io::Result<(R, Option<LogProblem>)> {
        self.transact_waiting(Some(wait), f)
    }

    fn transact_waiting<R>(
        &self,
        wait: Option<std::time::Duration>,
        f: impl FnOnce(&mut Txn) -> io::Result<R>,
    ) -> io::Result<(R, Option<LogProblem>)> {
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fsutil::create_private_dir(dir)?;
        }
        let file = fsutil::open_private_append(&self.path)?;
        match wait {
            None => file.lock()?,
            Some(wait) => {
                let until = std::time::Instant::now() + wait;
                loop {
                    match file.try_lock() {
                        Ok(()) => break,
                        Err(std::fs::TryLockError::WouldBlock) => {
                            if std::time::Instant::now() >= until {
                                return Err(io::ErrorKind::WouldBlock.into());
                            }
                            std::thread::sleep(std::time::Duration::from_millis(10));
                        }
                        Err(std::fs::TryLockError::Error(e)) => return Err(e),
                    }
                }
            }
        }
        let mut txn = Txn {
            file: &file,
            path: &self.path,
            stamp: self.stamp,
            torn: None,
        };
        let r = f(&mut txn);
        let torn = txn.torn.take();
        // Dropping `file` closes it and releases the lock.
        drop(file);
        r.map(|r| (r, torn))
    }
}

/// Which of an import's events the log already holds: by id (a text logged under the id
/// its record gave before ids named the number counts as its id today), or by text twin.
struct Seen<'e> {
    wanted: std::collections::HashSet<&'e str>,
    twins: std::collections::HashMap<String, Vec<usize>>,
    known: std::collections::HashSet<String>,
    twinned: std::collections::HashSet<usize>,
}

impl<'e> Seen<'e> {
    fn of(events: &'e [Event]) -> Seen<'e> {
        let mut twins: std::collections::HashMap<String, Vec<usize>> = Default::default();
        for (i, e) in events.iter().enumerate() {
            if let Some(k) = e.text_twin() {
                twins.entry(k).or_default().push(i);
            }
        }
        Seen {
            wanted: events.iter().map(|e| e.id.as_str()).collect(),
            twins,
            known: Default::default(),
            twinned: Default::default(),
        }
    }

    fn see(&mut self, e: &EventRef<'_>) {
        if self.wanted.contains(&*e.id) {
            self.known.insert(e.id.to_string());
        } else if !self.twins.is_empty()
            && let Some(id) = e
                .numbered_text_id()
                .filter(|id| self.wanted.contains(id.as_str()))
        {
            self.known.insert(id);
        } else if !self.twins.is_empty()
            && let Some(is) = e.text_twin().and_then(|k| self.twins.get(&k))
        {
            self.twinned.extend(is.iter().copied());
        }
    }

    fn fresh(&self, events: &[Event]) -> Vec<Event> {
        events
            .iter()
            .enumerate()
            .filter(|(i, e)| !self.known.contains(&e.id) && !self.twinned.contains(i))
            .map(|(_, e)| e.clone())
            .collect()
    }
}

/// The log while its lock is held.
pub struct Txn<'a> {
    file: &'a File,
    path: &'a Path,
    stamp: Option<chrono::DateTime<chrono::Utc>>,
    torn: Option<LogProblem>,
}

impl Txn<'_> {
    /// Notes `now`, the clock's time, as the home's creation time should the next append
    /// be the log's first (see [`Log::stamping`]).
    pub fn stamping(&mut self, now: chrono::DateTime<chrono::Utc>) {
        self.stamp.get_or_insert(now);
    }

    /// Reads lines appended since `from` (by anyone) under the lock.
    pub fn scan(&mut self, from: Cursor, f: impl FnMut(Event)) -> io::Result<Scan> {
        self.scan_hashed(from, None, f)
    }

    /// [`Txn::scan`] feeding `hash` the bytes it reads (see [`Log::scan_hashed`]).
    pub fn scan_hashed(
        &mut self,
        from: Cursor,
        hash: Option<&mut blake3::Hasher>,
        mut f: impl FnMut(Event),
    ) -> io::Result<Scan> {
        scan_file(self.file, from, hash, |_, e| f(e.into_owned()), || false)
    }

    /// Which file this is and how long, as (device, inode, length): a reader that keeps a
    /// cursor can tell the log was replaced or cut and read it again from the start.
    pub fn identity(&self) -> io::Result<(u64, u64, u64)> {
        use std::os::unix::fs::MetadataExt;
        let m = self.file.metadata()?;
        Ok((m.dev(), m.ino(), m.len()))
    }

    /// [`Txn::scan`] with events borrowing from each line.
    pub fn scan_ref(&mut self, from: Cursor, mut f: impl FnMut(EventRef<'_>)) -> io::Result<Scan> {
        scan_file(self.file, from, None, |_, e| f(e), || false)
    }

    /// Appends whole lines in one write, then fsync. Cuts a torn tail first.
    pub fn append(&mut self, events: &[Event]) -> io::Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        if let Some(now) = self.stamp
            && self.file.metadata()?.len() == 0
        {
            // Before the first line, so that no log exists without its stamp; a home
            // whose stamp was written before (by `init`) keeps it.
            crate::store::created::write_beside(self.path, now)?;
        }
        let mut buf = Vec::with_capacity(events.len() * 200 + 1);
        match mend_tail(self.file)? {
            Tail::Whole => {}
            Tail::Unterminated => buf.push(b'\n'),
            Tail::Cut(torn) => self.torn = Some(torn),
        }
        for e in events {
            let line = e.to_line();
            if line.len() > MAX_LINE {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    crate::tr!(crate::i18n::T::LogLineTooLong, line.len(), MAX_LINE >> 10),
                ));
            }
            buf.extend_from_slice(line.as_bytes());
            buf.push(b'\n');
        }
        // The file is opened O_APPEND: the write lands at the end. All or nothing: when
        // only part of it lands (a full disk, a file size limit), the log is cut back to
        // its length before it, under the same lock, so no part of an import stays.
        let before = self.file.metadata()?.len();
        let mut w = self.file;
        if let Err(e) = w.write_all(&buf).and_then(|()| self.file.sync_data()) {
            let _ = self.file.set_len(before);
            let _ = self.file.sync_data();
            return Err(e);
        }
        Ok(())
    }
}

/// The end of the log before an append.
enum Tail {
    /// Empty, or ends in a newline.
    Whole,
    /// The last line is a complete JSON object without its newline (an outside edit): kept,
    /// the newline goes in front of the next append.
    Unterminated,
    /// The last line was not complete (a torn write): cut off.
    Cut(LogProblem),
}

/// True for a last line that is kept although its newline is missing: a whole JSON object.
fn is_complete_line(line: &[u8]) -> bool {
    let body = line.strip_suffix(b"\r").unwrap_or(line);
    body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
        && serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok()
}

/// If the file does not end in a newline: keeps a complete last line (the caller adds the
/// newline) or truncates just after the last newline.
fn mend_tail(file: &File) -> io::Result<Tail> {
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(Tail::Whole);
    }
    let mut last = [0u8; 1];
    file.read_exact_at(&mut last, len - 1)?;
    if last[0] == b'\n' {
        return Ok(Tail::Whole);
    }
    // Find the last newline, reading backwards in chunks.
    let mut end = len;
    let mut keep = 0u64;
    let mut chunk = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let n = (end - start) as usize;
        file.read_exact_at(&mut chunk[..n], start)?;
        if let Some(i) = chunk[..n].iter().rposition(|&b| b == b'\n') {
            keep = start + i as u64 + 1;
            break;
        }
        end = start;
    }
    // A tail longer than any line baohao writes is no torn write of its own: the readers
    // call it a line too long to read, so it stays, as such a line, and gets its newline.
    if len - keep > MAX_LINE as u64 {
        return Ok(Tail::Unterminated);
    }
    let mut tail = vec![0u8; (len - keep) as usize];
    file.read_exact_at(&mut tail, keep)?;
    if is_complete_line(&tail) {
        return Ok(Tail::Unterminated);
    }
    let lines = count_newlines(file, keep)?;
    file.set_len(keep)?;
    file.sync_data()?;
    Ok(Tail::Cut(LogProblem::TornTail {
        line: lines + 1,
        bytes: len - keep,
    }))
}

/// Newlines in the first `upto` bytes, read by position: the file's own offset may be
/// anywhere (a scan under the same lock moves it), so it is not used.
fn count_newlines(file: &File, upto: u64) -> io::Result<usize> {
    let mut buf = vec![0u8; 256 * 1024];
    let mut at = 0u64;
    let mut n = 0;
    while at < upto {
        let want = (upto - at).min(buf.len() as u64) as usize;
        let got = file.read_at(&mut buf[..want], at)?;
        if got == 0 {
            break;
        }
        n += memchr::memchr_iter(b'\n', &buf[..got]).count();
        at += got as u64;
    }
    Ok(n)
}

pub use crate::model::event::{Line, MAX_LINE};

/// How many lines a scan reads between two questions to its `stop`.
pub const STOP_EVERY: usize = 2048;

fn scan_file(
    file: &File,
    from: Cursor,
    hash: Option<&mut blake3::Hasher>,
    f: impl FnMut(Line<'_>, EventRef<'_>),
    stop: impl FnMut() -> bool,
) -> io::Result<Scan> {
    let left = file.metadata()?.len().saturating_sub(from.offset);
    scan_file_with(file, from, hash, f, stop, left >= READ_AHEAD_FROM)
}

/// Logs with at least this much left to read are read ahead on a thread of their own.
const READ_AHEAD_FROM: u64 = 16 << 20;
/// Bytes per read.
const READ_SIZE: usize = 1 << 18;

/// [`scan_file`], with the file read `ahead` on a second thread: copying a long log out
/// of the kernel then overlaps with parsing it (the copy is about an eighth of `status`).
/// Both ways hand the same lines to the same code.
fn scan_file_with(
    file: &File,
    from: Cursor,
    hash: Option<&mut blake3::Hasher>,
    mut f: impl FnMut(Line<'_>, EventRef<'_>),
    mut stop: impl FnMut() -> bool,
    ahead: bool,
) -> io::Result<Scan> {
    let mut lines = Lines {
        scan: Scan {
            cursor: from,
            ..Scan::default()
        },
        carry: Vec::new(),
        overlong: None,
        until_asked: STOP_EVERY,
        hash,
    };
    if !ahead {
        let mut handle = file;
        handle.seek(SeekFrom::Start(from.offset))?;
        let mut reader = BufReader::with_capacity(READ_SIZE, handle);
        loop {
            let buf = reader.fill_buf()?;
            if buf.is_empty() {
                lines.finish(&mut f);
                return Ok(lines.scan);
            }
            if lines.feed(buf, &mut f, &mut stop) {
                return Ok(lines.scan);
            }
            let len = buf.len();
            reader.consume(len);
        }
    }
    std::thread::scope(|threads| {
        // Created here, so that returning early drops the receiver before the reader is
        // waited for: its next send fails and it ends.
        let (full, filled) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(2);
        let (give_back, spare) = std::sync::mpsc::channel::<Vec<u8>>();
        threads.spawn(move || {
            let mut at = from.offset;
            loop {
                let mut buf = spare.try_recv().unwrap_or_default();
                buf.resize(READ_SIZE, 0);
                let mut n = 0;
                let read = loop {
                    match file.read_at(&mut buf[n..], at + n as u64) {
                        Ok(0) => break Ok(()),
                        Ok(k) => {
                            n += k;
                            if n == buf.len() {
                                break Ok(());
                            }
                        }
                        Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                        Err(e) => break Err(e),
                    }
                };
                buf.truncate(n);
                at += n as u64;
                let last = n == 0 || read.is_err();
                let sent = match read {
                    Ok(()) => full.send(Ok(buf)),
                    Err(e) => full.send(Err(e)),
                };
                if sent.is_err() || last {
                    return;
                }
            }
        });
        loop {
            let buf = match filled.recv() {
                Ok(Ok(buf)) => buf,
                Ok(Err(e)) => return Err(e),
                Err(_) => return Err(io::Error::other("the log reader stopped")),
            };
            if buf.is_empty() {
                lines.finish(&mut f);
                return Ok(lines.scan);
            }
            if lines.feed(&buf, &mut f, &mut stop) {
                return Ok(lines.scan);
            }
            let _ = give_back.send(buf);
        }
    })
}

/// Lines as they are read: a line split across two reads is assembled in `carry`; whole
/// lines are parsed in place.
struct Lines<'h> {
    scan: Scan,
    carry: Vec<u8>,
    /// The line being assembled is already longer than [`MAX_LINE`]: its length so far
    /// (`carry` is not grown further).
    overlong: Option<u64>,
    until_asked: usize,
    /// Fed the bytes of every complete line, in order (see [`Log::scan_hashed`]).
    hash: Option<&'h mut blake3::Hasher>,
}

impl Lines<'_> {
    /// Takes the lines of `buf` (the next bytes of the log); true when `stop` said to.
    fn feed(
        &mut self,
        buf: &[u8],
        f: &mut impl FnMut(Line<'_>, EventRef<'_>),
        stop: &mut impl FnMut() -> bool,
    ) -> bool {
        let mut used = 0;
        while let Some(nl) = memchr::memchr(b'\n', &buf[used..]) {
            let end = used + nl;
            if let Some(so_far) = self.overlong.take() {
                too_long(so_far + nl as u64, &mut self.scan);
            } else if self.carry.is_empty() {
                take_line(&buf[used..end], &mut self.scan, f);
            } else if self.carry.len() + nl > MAX_LINE {
                too_long((self.carry.len() + nl) as u64, &mut self.scan);
                // Its start first; the rest is hashed with this buffer's lines.
                if let Some(h) = self.hash.as_deref_mut() {
                    h.update(&self.carry);
                }
                self.carry.clear();
            } else {
                // The start of this line came in an earlier buffer: it goes first.
                if let Some(h) = self.hash.as_deref_mut() {
                    h.update(&self.carry);
                }
                self.carry.extend_from_slice(&buf[used..end]);
                take_line(&self.carry, &mut self.scan, f);
                self.carry.clear();
            }
            used = end + 1;
            self.until_asked -= 1;
            if self.until_asked == 0 {
                self.until_asked = STOP_EVERY;
                if stop() {
                    self.scan.stopped = true;
                    self.hashed(&buf[..used]);
                    return true;
                }
            }
        }
        // Hashed in one piece: BLAKE3 is several times faster over long inputs.
        self.hashed(&buf[..used]);
        let rest = &buf[used..];
        if let Some(so_far) = &mut self.overlong {
            *so_far += rest.len() as u64;
            self.hashed(rest);
        } else if self.carry.len() + rest.len() > MAX_LINE {
            // Too long to hold: hashed as it comes, in order, never carried.
            self.overlong = Some((self.carry.len() + rest.len()) as u64);
            let carry = std::mem::take(&mut self.carry);
            self.hashed(&carry);
            self.hashed(rest);
        } else {
            self.carry.extend_from_slice(rest);
        }
        false
    }

    /// `bytes` (of complete lines, the carried start of the first excepted) into the hash.
    fn hashed(&mut self, bytes: &[u8]) {
        if let Some(h) = self.hash.as_deref_mut() {
            h.update(bytes);
        }
    }

    /// The end of the log: what is left after the last newline.
    fn finish(&mut self, f: &mut impl FnMut(Line<'_>, EventRef<'_>)) {
        if let Some(so_far) = self.overlong.take() {
            // Too long to be a torn write of baohao's: a line like any other, too long
            // to read (the writer keeps it and adds its newline, see `mend_tail`).
            too_long(so_far, &mut self.scan);
            if let Some(h) = self.hash.as_deref_mut() {
                h.update(b"\n");
            }
        } else if !self.carry.is_empty() && is_complete_line(&self.carry) {
            // A whole line missing only its newline: read like any other; the next
            // append adds the newline, so the cursor already counts it.
            take_line(&self.carry, &mut self.scan, f);
            if let Some(h) = self.hash.as_deref_mut() {
                h.update(&self.carry);
                h.update(b"\n");
            }
        } else if !self.carry.is_empty() {
            self.scan.problems.push(LogProblem::TornTail {
                line: self.scan.cursor.line + 1,
                bytes: self.carry.len() as u64,
            });
        }
    }
}

/// A line longer than [`MAX_LINE`] (`bytes` without its newline): counted and reported.
fn too_long(bytes: u64, scan: &mut Scan) {
    scan.cursor.offset += bytes + 1;
    scan.cursor.line += 1;
    scan.problems.push(LogProblem::BadLine {
        line: scan.cursor.line,
        error: LineError::TooLong(bytes),
    });
}

/// One complete line (without its newline): counted, parsed, passed on or reported.
fn take_line(line: &[u8], scan: &mut Scan, f: &mut impl FnMut(Line<'_>, EventRef<'_>)) {
    if line.len() > MAX_LINE {
        return too_long(line.len() as u64, scan);
    }
    let start = scan.cursor.offset;
    scan.cursor.offset += line.len() as u64 + 1;
    scan.cursor.line += 1;
    let body = line.strip_suffix(b"\r").unwrap_or(line);
    if body.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    match EventRef::parse_ref(body) {
        Ok(Some(e)) => {
            scan.events += 1;
            f(
                Line {
                    offset: start,
                    bytes: body,
                },
                e,
            )
        }
        Ok(None) => scan.events += 1,
        Err(error) => {
            scan.problems.push(LogProblem::BadLine {
                line: scan.cursor.line,
                error,
            });
            scan.bad_at.push(BadAt {
                line: scan.cursor.line,
                offset: start,
                len: line.len() as u64,
            });
        }
    }
}

/// A new event id: 10 base32 characters of milliseconds, then 6 random ones (sortable,
/// short enough to type, unique in practice).
pub fn new_id(now_millis: i64) -> String {
    const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";
    let mut out = [0u8; 16];
    let mut t = now_millis.max(0) as u64;
    for i in (0..10).rev() {
        out[i] = ALPHABET[(t & 31) as usize];
        t >>= 5;
    }
    let mut rnd = [0u8; 6];
    if getrandom::fill(&mut rnd).is_err() {
        // No entropy source: fall back to the process id and a counter (still unique here).
        static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let c = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let mix = (std::process::id() as u64) << 20 ^ c as u64;
        for (i, b) in rnd.iter_mut().enumerate() {
            *b = (mix >> (i * 5)) as u8;
        }
    }
    for i in 0..6 {
        out[10 + i] = ALPHABET[(rnd[i] & 31) as usize];
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Currency, EventBody};
    use chrono::DateTime;

    fn ev(id: &str) -> Event {
        Event {
            id: id.into(),
            at: DateTime::parse_from_rfc3339("2026-11-25T09:00:00+08:00").unwrap(),
            number: "cmcc".into(),
            body: EventBody::Manual {
                amount_minor: 800,
                currency: Currency::new("CNY").unwrap(),
                note: None,
                intent: None,
            },
        }
    }

    /// A log in `dir` of `n` events of lengths up to `width` more bytes, then a line that
    /// is not JSON.
    fn long_log(dir: &Path, n: usize, width: usize) -> (Log, Vec<Event>) {
        let log = Log::new(dir.join("log.jsonl"));
        let events: Vec<Event> = (0..n)
            .map(|i| ev(&format!("id-{i:06}-{}", "x".repeat((i * 37) % width))))
            .collect();
        log.append(&events).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .unwrap();
        f.write_all(b"not json\n").unwrap();
        (log, events)
    }

    /// A log read in slices (stopping every `STOP_EVERY` lines, with lines across the
    /// read buffer's edges) gives the events, cursor and problems of one read.
    #[test]
    fn a_log_read_in_slices_reads_as_one_read() {
        let dir = tempfile::tempdir().unwrap();
        let (log, _) = long_log(dir.path(), 3 * STOP_EVERY + 17, 300);
        let (whole, one) = log.read_all().unwrap();
        assert!(!one.stopped);
        let mut cursor = Cursor::default();
        let mut sliced = Vec::new();
        let mut problems = Vec::new();
        let mut slices = 0;
        loop {
            let scan = log
                .scan_ref_until(cursor, |e| sliced.push(e.into_owned()), || true)
                .unwrap();
            slices += 1;
            cursor = scan.cursor;
            problems.extend(scan.problems);
            if !scan.stopped {
                break;
            }
        }
        assert_eq!(slices, 4);
        assert_eq!(sliced, whole);
        assert_eq!(cursor, one.cursor);
        assert_eq!(problems, one.problems);
    }

    /// Read ahead on a second thread, a log gives the events, cursor and problems it gives
    /// read on one: lines across every read's edge, a bad line, CRLF, a whole last line
    /// without its newline or a torn one, from the start or a cursor, whole or in slices.
    #[test]
    fn a_log_read_ahead_reads_as_a_log_read_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let (log, events) = long_log(dir.path(), 4000, 500);
        log.append(&events[..3]).unwrap();
        let text = std::fs::read(log.path()).unwrap();
        let first = text.split(|b| *b == b'\n').next().unwrap().to_vec();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .unwrap();
        f.write_all(&[&first[..], b"\r\n"].concat()).unwrap();
        let size = std::fs::metadata(log.path()).unwrap().len();
        // A cursor part-way: where a read stopped after its first slice.
        let middle = log
            .scan_ref_until(Cursor::default(), |_| {}, || true)
            .unwrap();
        assert!(middle.stopped && middle.cursor.line == STOP_EVERY);
        assert!(size > 4 * READ_SIZE as u64, "{size}");
        for tail in [&b""[..], b"{\"v\":1,\"id\":\"torn", b"{\"v\":1}"] {
            let mut f = std::fs::OpenOptions::new()
                .append(true)
                .open(log.path())
                .unwrap();
            f.write_all(tail).unwrap();
            let file = File::open(log.path()).unwrap();
            for from in [Cursor::default(), middle.cursor] {
                for slices in [false, true] {
                    let bytes = std::fs::read(log.path()).unwrap();
                    let read = |ahead: bool| {
                        let mut cursor = from;
                        let mut events = Vec::new();
                        let mut problems = Vec::new();
                        // Primed with the bytes before `from`, it ends as the hash of
                        // every byte before the cursor.
                        let mut hash = blake3::Hasher::new();
                        hash.update(&bytes[..from.offset as usize]);
                        loop {
                            let scan = scan_file_with(
                                &file,
                                cursor,
                                Some(&mut hash),
                                |_, e| events.push(e.into_owned()),
                                || slices,
                                ahead,
                            )
                            .unwrap();
                            cursor = scan.cursor;
                            problems.extend(scan.problems);
                            if !scan.stopped {
                                return (events, cursor, problems, hash.finalize());
                            }
                        }
                    };
                    let (a, b) = (read(false), read(true));
                    // A whole last line without its newline counts the newline to come.
                    let mut covered = bytes.clone();
                    covered.resize(a.1.offset as usize, b'\n');
                    assert_eq!(a.3, blake3::hash(&covered), "tail {tail:?}");
                    assert_eq!(a.0.len(), b.0.len());
                    assert!(a == b, "tail {tail:?} slices {slices}");
                    assert!(a.0.len() >= 4004 - from.line - 1);
                }
            }
            // Cut the tail again for the next case.
            let f = std::fs::OpenOptions::new()
                .write(true)
                .open(log.path())
                .unwrap();
            f.set_len(size).unwrap();
        }
    }

    #[test]
    fn torn_tail_is_ignored_then_cut_before_the_next_append() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::new(dir.path().join("log.jsonl"));
        log.append(&[ev("a"), ev("b")]).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .unwrap();
        f.write_all(br#"{"v":1,"id":"c","at":"2026-"#).unwrap();
        let (events, scan) = log.read_all().unwrap();
        assert_eq!(events.len(), 2);
        assert!(matches!(
            scan.problems[..],
            [LogProblem::TornTail { line: 3, bytes: 27 }]
        ));
        let torn = log.append(&[ev("d")]).unwrap();
        assert!(matches!(torn, Some(LogProblem::TornTail { line: 3, .. })));
        let (events, scan) = log.read_all().unwrap();
        assert_eq!(
            events.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            ["a", "b", "d"]
        );
        assert!(scan.problems.is_empty());
    }

    #[test]
    fn a_complete_last_line_without_its_newline_is_kept_not_cut() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::new(dir.path().join("log.jsonl"));
        log.append(&[ev("a")]).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .unwrap();
        // An outside edit: a whole entry, then a whole JSON object that is no entry.
        f.write_all(ev("b").to_line().as_bytes()).unwrap();
        let (events, scan) = log.read_all().unwrap();
        assert_eq!(events.len(), 2);
        assert!(scan.problems.is_empty(), "{:?}", scan.problems);
        assert_eq!(scan.cursor.line, 2);
        assert_eq!(log.append(&[ev("c")]).unwrap(), None);
        let (events, scan) = log.read_all().unwrap();
        let ids: Vec<_> = events.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["a", "b", "c"]);
        assert!(scan.problems.is_empty());
        // A tail reader that stopped after the unterminated line resumes exactly.
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .unwrap();
        f.write_all(br#"{"v":1,"not":"an entry"}"#).unwrap();
        let at = log.scan(Cursor::default(), |_| {}).unwrap();
        assert!(matches!(
            at.problems[..],
            [LogProblem::BadLine { line: 4, .. }]
        ));
        log.append(&[ev("d")]).unwrap();
        let mut seen = Vec::new();
        log.scan(at.cursor, |e| seen.push(e.id)).unwrap();
        assert_eq!(seen, ["d"]);
        let text = std::fs::read_to_string(log.path()).unwrap();
        assert_eq!(text.lines().count(), 5);
        assert!(text.contains("\"an entry\"}\n"));
    }

    #[test]
    fn the_writer_names_the_same_torn_line_as_the_readers() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::new(dir.path().join("log.jsonl"));
        let many: Vec<Event> = (0..20).map(|i| ev(&format!("e{i}"))).collect();
        log.append(&many).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .unwrap();
        f.write_all(br#"{"v":1,"id":"torn","at":"#).unwrap();
        let (_, scan) = log.read_all().unwrap();
        assert!(matches!(
            scan.problems[..],
            [LogProblem::TornTail { line: 21, .. }]
        ));
        // As the worker does it: catch up under the lock, then append.
        let (_, torn) = log
            .transact(|txn| {
                txn.scan(Cursor::default(), |_| {})?;
                txn.append(&[ev("next")])
            })
            .unwrap();
        assert!(
            matches!(
                torn,
                Some(LogProblem::TornTail {
                    line: 21,
                    bytes: 24
                })
            ),
            "{torn:?}"
        );
    }

    #[test]
    fn a_bad_line_in_the_middle_is_reported_and_skipped_never_rewritten() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::new(dir.path().join("log.jsonl"));
        log.append(&[ev("a")]).unwrap();
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .unwrap();
        f.write_all(b"this is not json\n").unwrap();
        log.append(&[ev("b")]).unwrap();
        let before = std::fs::read(log.path()).unwrap();
        let (events, scan) = log.read_all().unwrap();
        assert_eq!(events.len(), 2);
        assert!(matches!(
            scan.problems[..],
            [LogProblem::BadLine { line: 2, .. }]
        ));
        assert_eq!(std::fs::read(log.path()).unwrap(), before);
    }

    #[test]
    fn scanning_from_a_cursor_sees_only_new_lines() {
        let dir = tempfile::tempdir().unwrap();
        let log = Log::new(dir.path().join("log.jsonl"));
        assert_eq!(log.scan(Cursor::default(), |_| {}).unwrap().events, 0);
        log.append(&[ev("a")]).unwrap();
        let s = log.scan(Cursor::default(), |_| {}).unwrap();
        log.append(&[ev("b"), ev("c")]).unwrap();
        let mut seen = Vec::new();
        let s2 = log.scan(s.cursor, |e| seen.push(e.id)).unwrap();
        assert_eq!(seen, ["b", "c"]);
        assert_eq!(s2.cursor.line, 3);
    }

    #[test]
    fn ids_are_unique_and_sortable() {
        let a = new_id(1_700_000_000_000);
        let b = new_id(1_700_000_000_001);
        assert_eq!(a.len(), 16);
        assert!(a < b);
        let many: std::collections::HashSet<_> = (0..10_000).map(|_| new_id(5)).collect();
        assert!(many.len() > 9_990);
    }
}
