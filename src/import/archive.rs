//! ZIP archives, held whole and checked before anything parses them: XLSX workbooks and
//! the zipped (often password-protected) statements Alipay and WeChat Pay send. Every
//! part is inflated once into nothing, counting, so a bomb is refused by what it really
//! inflates to, not by what its headers claim; and the XML a spreadsheet reader will hold
//! (shared strings, styles) is capped tighter than the sheet it streams.

use std::io::{self, Cursor, Read};

use regex::Regex;
use zip::ZipArchive;
use zip::result::ZipError;

use crate::i18n::T;
use crate::import::ImportError;
use crate::import::limits::{
    MAX_CELL, MAX_COLUMNS, MAX_ENTRIES, MAX_HELD, MAX_INFLATED, MAX_RATIO, RATIO_FROM,
};
use crate::tr;

/// The XML parts a spreadsheet reader holds whole (all but the sheets) inflate to at most
/// this; shared strings to at most [`MAX_SHARED`].
const MAX_SMALL_PART: u64 = 1 << 20;
const MAX_SHARED: u64 = 16 << 20;
/// How much of each XML part's start is kept to read its declarations.
const HEAD: usize = 16 << 10;

/// Reads a whole input that is to be held (at most [`MAX_HELD`] bytes).
pub fn hold(input: impl Read) -> Result<Vec<u8>, ImportError> {
    let mut bytes = Vec::new();
    input
        .take(MAX_HELD + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| stopped(&e).unwrap_or_else(|| ImportError::whole(tr!(T::ImportRead, e))))?;
    if bytes.len() as u64 > MAX_HELD {
        return Err(ImportError::whole(tr!(T::ImportTooLarge, MAX_HELD >> 20)));
    }
    Ok(bytes)
}

/// Opens an archive held in memory, refusing one with more entries than a statement
/// export or a workbook has, before the reader makes room for them.
pub fn open(bytes: &[u8]) -> Result<ZipArchive<Cursor<&[u8]>>, ImportError> {
    if let Some(n) = declared_entries(bytes)
        && n > MAX_ENTRIES
    {
        return Err(ImportError::whole(tr!(T::ImportZipEntries, n, MAX_ENTRIES)));
    }
    ZipArchive::new(Cursor::new(bytes)).map_err(|e| zip_error(&e))
}

/// The entry count the end-of-central-directory record declares (65535 when the
/// archive is ZIP64, which no statement needs).
fn declared_entries(bytes: &[u8]) -> Option<usize> {
    let from = bytes.len().saturating_sub(22 + 65535);
    let tail = &bytes[from..];
    let at = tail.windows(4).rposition(|w| w == b"PK\x05\x06")?;
    let n = tail.get(at + 10..at + 12)?;
    Some(u16::from_le_bytes([n[0], n[1]]) as usize)
}

/// Why an archive cannot be read, in one sentence.
pub fn zip_error(e: &ZipError) -> ImportError {
    match e {
        ZipError::InvalidPassword => ImportError::whole(tr!(T::ImportZipPassword)),
        ZipError::UnsupportedArchive(m) if m.contains("assword") => {
            ImportError::whole(tr!(T::ImportZipNeedsPassword))
        }
        _ => ImportError::whole(tr!(T::ImportZip, e)),
    }
}

/// Inflates every part of a workbook into nothing, counting: refuses the workbook when
/// the parts together inflate past [`MAX_INFLATED`], when one part's ratio is absurd,
/// when a part the reader holds whole is larger than it needs, when its XML has a text
/// or tag longer than any cell, or when its declarations promise more than the part holds
/// (a sheet wider than [`MAX_COLUMNS`], more shared strings than fit in their part).
pub fn check_workbook(zip: &mut ZipArchive<Cursor<&[u8]>>) -> Result<(), ImportError> {
    let mut total = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip.by_index(i).map_err(|e| zip_error(&e))?;
        let name = entry.name().map(|n| n.to_string()).unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        let sheet = lower.starts_with("xl/worksheets/") && lower.ends_with(".xml");
        let shared = lower.ends_with("sharedstrings.xml");
        let xml = lower.ends_with(".xml") || lower.ends_with(".rels");
        let cap = if sheet {
            MAX_INFLATED
        } else if shared {
            MAX_SHARED
        } else if xml {
            MAX_SMALL_PART
        } else {
            MAX_INFLATED
        };
        let compressed = entry.compressed_size();
        let room = MAX_INFLATED - total;
        let mut scan = Scan::new(xml);
        let inflated = count(&mut entry, &name, compressed, cap.min(room), &mut scan)?;
        let Some(inflated) = inflated else {
            return Err(ImportError::whole(if cap >= room {
                tr!(T::ImportZipInflates, MAX_INFLATED >> 20)
            } else {
                tr!(T::ImportXlsxPart, clean_name(&name), cap >> 20)
            }));
        };
        total += inflated;
        if scan.longest > MAX_CELL {
            return Err(ImportError::whole(tr!(
                T::ImportXlsxCell,
                clean_name(&name),
                MAX_CELL >> 20
            )));
        }
        let head = String::from_utf8_lossy(&scan.head);
        if sheet
            && let Some(cols) = declared_columns(&head)
            && cols.0 > MAX_COLUMNS
        {
            return Err(ImportError::whole(tr!(
                T::ImportXlsxWide,
                cols.1,
                cols.0,
                MAX_COLUMNS
            )));
        }
        if shared && let Some(n) = declared_count(&head) {
            // Each shared string is at least `<si><t/></si>`: a count the part cannot hold
            // is a lie a reader would make room for.
            if n.saturating_mul(13) > inflated.max(1) {
                return Err(ImportError::whole(tr!(T::ImportXlsxStrings, n)));
            }
        }
    }
    Ok(())
}

/// Refuses a part whose inflated size is an absurd multiple of its deflated size.
pub fn check_ratio(name: &str, inflated: u64, compressed: u64) -> Result<(), ImportError> {
    if inflated > RATIO_FROM && inflated > compressed.max(1).saturating_mul(MAX_RATIO) {
        return Err(ImportError::whole(tr!(
            T::ImportZipRatio,
            clean_name(name),
            inflated / compressed.max(1)
        )));
    }
    Ok(())
}

/// An entry's name as it may be shown.
pub fn clean_name(name: &str) -> String {
    crate::text::clean::value(name)
}

/// Reads `r` (the part `name`, `compressed` bytes packed) to its end into `scan`,
/// counting: the bytes it inflated to, or `None` past `cap`. A ratio only a bomb has is
/// refused as soon as it shows, without inflating the rest.
pub fn count(
    r: &mut impl Read,
    name: &str,
    compressed: u64,
    cap: u64,
    scan: &mut Scan,
) -> Result<Option<u64>, ImportError> {
    let mut buf = vec![0u8; 64 << 10];
    let mut n = 0u64;
    loop {
        let got = match r.read(&mut buf) {
            Ok(0) => return Ok(Some(n)),
            Ok(k) => k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(read_error(&e)),
        };
        n += got as u64;
        check_ratio(name, n, compressed)?;
        if n > cap {
            return Ok(None);
        }
        scan.feed(&buf[..got]);
    }
}

/// A failure while inflating: a wrong password shows here for AES and ZipCrypto alike.
pub fn read_error(e: &io::Error) -> ImportError {
    let text = e.to_string();
    if text.contains("assword") || text.contains("HMAC") {
        return ImportError::whole(tr!(T::ImportZipPassword));
    }
    ImportError::whole(tr!(T::ImportZip, text))
}

/// The longest run of XML text or tag seen, and the part's first bytes.
pub struct Scan {
    xml: bool,
    in_tag: bool,
    run: u64,
    longest: u64,
    head: Vec<u8>,
}

impl Scan {
    pub fn new(xml: bool) -> Scan {
        Scan {
            xml,
            in_tag: false,
            run: 0,
            longest: 0,
            head: Vec::new(),
        }
    }

    fn feed(&mut self, mut bytes: &[u8]) {
        if !self.xml {
            return;
        }
        if self.head.len() < HEAD {
            let take = (HEAD - self.head.len()).min(bytes.len());
            self.head.extend_from_slice(&bytes[..take]);
        }
        while !bytes.is_empty() {
            let stop = if self.in_tag { b'>' } else { b'<' };
            match memchr::memchr(stop, bytes) {
                Some(i) => {
                    self.run += i as u64;
                    self.longest = self.longest.max(self.run);
                    self.run = 0;
                    self.in_tag = !self.in_tag;
                    bytes = &bytes[i + 1..];
                }
                None => {
                    self.run += bytes.len() as u64;
                    self.longest = self.longest.max(self.run);
                    bytes = &[];
                }
            }
        }
    }
}

/// The columns a sheet's `<dimension ref="A1:XFD1048576"/>` declares, and the ref.
fn declared_columns(head: &str) -> Option<(u32, String)> {
    let re = Regex::new(r#"<(?:\w+:)?dimension\s+ref="([A-Za-z0-9:$]{1,32})""#).ok()?;
    let c = re.captures(head)?;
    let r = c.get(1)?.as_str();
    let last = r.rsplit(':').next().unwrap_or(r);
    let cols = last
        .bytes()
        .filter(u8::is_ascii_alphabetic)
        .take(4)
        .fold(0u32, |n, b| {
            n * 26 + (b.to_ascii_uppercase() - b'A' + 1) as u32
        });
    Some((cols, r.to_string()))
}

/// The `uniqueCount` (else `count`) a shared-strings part declares.
fn declared_count(head: &str) -> Option<u64> {
    let re = Regex::new(r#"<(?:\w+:)?sst\b[^>]*?\b(uniqueCount|count)="(\d{1,19})""#).ok()?;
    let unique = Regex::new(r#"<(?:\w+:)?sst\b[^>]*?\buniqueCount="(\d{1,19})""#).ok()?;
    if let Some(c) = unique.captures(head) {
        return c[1].parse().ok();
    }
    re.captures(head).and_then(|c| c[2].parse().ok())
}

/// Whether an archive held in memory is a workbook (not an archive holding a statement).
pub fn is_workbook(zip: &ZipArchive<Cursor<&[u8]>>) -> bool {
    zip.file_names()
        .flatten()
        .any(|n| n.eq_ignore_ascii_case("xl/workbook.xml"))
}

/// An error carried through a reader, to come out as the sentence it is.
#[derive(Debug)]
pub struct Stop(pub ImportError);

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message)
    }
}

impl std::error::Error for Stop {}

/// The sentence an I/O error carries when it is a [`Stop`].
pub fn stopped(e: &io::Error) -> Option<ImportError> {
    e.get_ref()
        .and_then(|s| s.downcast_ref::<Stop>())
        .map(|s| s.0.clone())
}

/// The statement inside a zipped export (a `.csv` or `.xlsx`, the first one), as a reader
/// that inflates it while it is read: on a thread of its own, through a short channel, so
/// only a few chunks are held at once. A first pass has already inflated it into
/// nothing, so a wrong password, a ratio only a bomb has or more than [`MAX_INFLATED`] is
/// one sentence before a byte of it is parsed.
pub fn statement(bytes: Vec<u8>, password: Option<&str>) -> Result<Inflating, ImportError> {
    let (index, name, encrypted) = {
        let zip = open(&bytes)?;
        let mut found = None;
        for i in 0..zip.len() {
            let Ok(e) = zip.by_index_data(i) else {
                continue;
            };
            let Ok(name) = e.name() else { continue };
            let lower = name.to_ascii_lowercase();
            let hidden = lower.starts_with("__macosx/")
                || lower.rsplit('/').next().is_some_and(|b| b.starts_with('.'));
            if e.is_dir() || hidden || !(lower.ends_with(".csv") || lower.ends_with(".xlsx")) {
                continue;
            }
            found = Some((i, name.into_owned(), e.encrypted()));
            break;
        }
        found.ok_or_else(|| ImportError::whole(tr!(T::ImportZipNoStatement)))?
    };
    if encrypted && password.is_none() {
        return Err(ImportError::whole(tr!(T::ImportZipNeedsPassword)));
    }
    let password = password.map(|p| p.as_bytes().to_vec());
    {
        let mut zip = open(&bytes)?;
        let mut entry = by_index(&mut zip, index, password.as_deref())?;
        let compressed = entry.compressed_size();
        let mut buf = vec![0u8; 64 << 10];
        let mut n = 0u64;
        loop {
            let got = match entry.read(&mut buf) {
                Ok(0) => break,
                Ok(k) => k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // ZipCrypto lets a wrong password through one time in 256; what it
                // inflates to then fails its checksum.
                Err(_) if encrypted => {
                    return Err(ImportError::whole(tr!(T::ImportZipPassword)));
                }
                Err(e) => return Err(read_error(&e)),
            };
            n += got as u64;
            check_ratio(&name, n, compressed)?;
            if n > MAX_INFLATED {
                return Err(ImportError::whole(tr!(
                    T::ImportZipInflates,
                    MAX_INFLATED >> 20
                )));
            }
        }
    }
    let (full, filled) = std::sync::mpsc::sync_channel::<io::Result<Vec<u8>>>(4);
    std::thread::spawn(move || {
        let mut zip = match open(&bytes) {
            Ok(z) => z,
            Err(e) => {
                let _ = full.send(Err(io::Error::other(Stop(e))));
                return;
            }
        };
        let mut entry = match by_index(&mut zip, index, password.as_deref()) {
            Ok(e) => e,
            Err(e) => {
                let _ = full.send(Err(io::Error::other(Stop(e))));
                return;
            }
        };
        loop {
            let mut buf = vec![0u8; 64 << 10];
            match entry.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    buf.truncate(n);
                    if full.send(Ok(buf)).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = full.send(Err(io::Error::other(Stop(read_error(&e)))));
                    return;
                }
            }
        }
    });
    Ok(Inflating {
        filled,
        chunk: Vec::new(),
        pos: 0,
    })
}

fn by_index<'a, R: Read + io::Seek>(
    zip: &'a mut ZipArchive<R>,
    index: usize,
    password: Option<&[u8]>,
) -> Result<zip::read::ZipFile<'a, R>, ImportError> {
    match password {
        Some(p) => zip.by_index_decrypt(index, p),
        None => zip.by_index(index),
    }
    .map_err(|e| zip_error(&e))
}

/// A statement being inflated ([`statement`]).
pub struct Inflating {
    filled: std::sync::mpsc::Receiver<io::Result<Vec<u8>>>,
    chunk: Vec<u8>,
    pos: usize,
}

impl Read for Inflating {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.chunk.len() {
            match self.filled.recv() {
                Ok(Ok(c)) => {
                    self.chunk = c;
                    self.pos = 0;
                }
                Ok(Err(e)) => return Err(e),
                // The inflater ended: the end of the statement.
                Err(_) => return Ok(0),
            }
        }
        let n = (self.chunk.len() - self.pos).min(out.len());
        out[..n].copy_from_slice(&self.chunk[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_are_read_from_the_head() {
        assert_eq!(
            declared_columns(r#"<worksheet><dimension ref="A1:XFD1048576"/>"#).map(|c| c.0),
            Some(16384)
        );
        assert_eq!(
            declared_columns(r#"<x:dimension ref="B2"/>"#).map(|c| c.0),
            Some(2)
        );
        assert_eq!(
            declared_count(r#"<sst xmlns="…" count="5" uniqueCount="4000000000">"#),
            Some(4_000_000_000)
        );
        assert_eq!(declared_count(r#"<sst count="7">"#), Some(7));
        let mut s = Scan::new(true);
        s.feed(b"<a>12345</a><b");
        s.feed(b"cdef>");
        assert_eq!(s.longest, 5);
    }
}
