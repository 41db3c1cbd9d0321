//! Text encodings of exported statements: UTF-8 (with or without a BOM) or GBK, told apart
//! from the first bytes and decoded as a stream, so a large file is never held whole.

use std::io::{self, Read};

use encoding_rs::{GBK, UTF_8};

const HEAD: usize = 64 * 1024;

/// An input whose first bytes have been read (to detect format and encoding) and which
/// still reads from the start.
pub struct Sniffed<R> {
    head: Vec<u8>,
    pos: usize,
    rest: R,
}

impl<R: Read> Sniffed<R> {
    pub fn new(mut rest: R) -> io::Result<Sniffed<R>> {
        let mut head = Vec::with_capacity(HEAD);
        (&mut rest).take(HEAD as u64).read_to_end(&mut head)?;
        Ok(Sniffed { head, pos: 0, rest })
    }

    pub fn head(&self) -> &[u8] {
        &self.head
    }

    pub fn is_xlsx(&self) -> bool {
        self.head.starts_with(b"PK\x03\x04")
    }
}

impl<R: Read> Read for Sniffed<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos < self.head.len() {
            let n = (self.head.len() - self.pos).min(buf.len());
            buf[..n].copy_from_slice(&self.head[self.pos..self.pos + n]);
            self.pos += n;
            return Ok(n);
        }
        self.rest.read(buf)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Enc {
    Utf8,
    Gbk,
}

/// UTF-8 when the bytes are (a sequence cut at the end of the sample is fine), else GBK
/// when they decode as GBK without a fault.
fn encoding_of(head: &[u8]) -> Option<Enc> {
    match std::str::from_utf8(head) {
        Ok(_) => return Some(Enc::Utf8),
        Err(e) if e.error_len().is_none() => return Some(Enc::Utf8),
        Err(_) => {}
    }
    let (_, had_errors) = GBK.decode_without_bom_handling(trim_cut(head));
    (!had_errors).then_some(Enc::Gbk)
}

/// Drops a GBK double-byte character cut in two at the end of the sample.
fn trim_cut(head: &[u8]) -> &[u8] {
    if head.len() < HEAD {
        return head;
    }
    let mut end = head.len();
    while end > 0 && head[end - 1] >= 0x80 && head.len() - end < 2 {
        end -= 1;
    }
    &head[..end]
}

/// The first bytes as text for format detection (lossy, whichever encoding they are in).
pub fn head_text(head: &[u8]) -> String {
    match encoding_of(head) {
        Some(Enc::Gbk) => GBK
            .decode_without_bom_handling(trim_cut(head))
            .0
            .into_owned(),
        _ => UTF_8.decode_with_bom_removal(head).0.into_owned(),
    }
}

/// The input as UTF-8, whatever mix of ASCII and one encoding it is:
/// ASCII passes as it is; the encoding is decided at the first byte that is not ASCII,
/// from the 64 KiB that start there, and holds from there on. So a file that is ASCII for
/// its first 64 KiB and GBK after reads as GBK. A UTF-8 byte-order mark decides at once
/// (and is dropped). When the bytes are neither, reading fails with `InvalidData`.
pub struct Utf8Text<R> {
    src: R,
    mode: Mode,
    /// Bytes read and not given out yet (undecoded, in `Gbk`).
    raw: Vec<u8>,
    raw_pos: usize,
    eof: bool,
    /// GBK decoded and not given out yet.
    decoded: Vec<u8>,
    decoded_pos: usize,
    flushed: bool,
}

enum Mode {
    Ascii,
    Utf8,
    Gbk(encoding_rs::Decoder),
    Neither,
}

impl<R: Read> Utf8Text<R> {
    pub fn new(src: R) -> Utf8Text<R> {
        Utf8Text {
            src,
            mode: Mode::Ascii,
            raw: Vec::new(),
            raw_pos: 0,
            eof: false,
            decoded: Vec::new(),
            decoded_pos: 0,
            flushed: false,
        }
    }

    /// Reads until at least `want` bytes are held unread, or the input ends.
    fn fill(&mut self, want: usize) -> io::Result<()> {
        if self.raw_pos == self.raw.len() {
            self.raw.clear();
            self.raw_pos = 0;
        }
        while !self.eof && self.raw.len() - self.raw_pos < want {
            if self.raw_pos > 0 {
                self.raw.drain(..self.raw_pos);
                self.raw_pos = 0;
            }
            let have = self.raw.len();
            self.raw.resize(have + (64 << 10), 0);
            let got = loop {
                match self.src.read(&mut self.raw[have..]) {
                    Ok(n) => break Ok(n),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => break Err(e),
                }
            };
            let n = *got.as_ref().unwrap_or(&0);
            self.raw.truncate(have + n);
            got?;
            if n == 0 {
                self.eof = true;
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for Utf8Text<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if out.is_empty() {
            return Ok(0);
        }
        loop {
            if self.decoded_pos < self.decoded.len() {
                let n = (self.decoded.len() - self.decoded_pos).min(out.len());
                out[..n].copy_from_slice(&self.decoded[self.decoded_pos..self.decoded_pos + n]);
                self.decoded_pos += n;
                return Ok(n);
            }
            self.fill(1)?;
            let avail = &self.raw[self.raw_pos..];
            match &mut self.mode {
                Mode::Neither => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "neither UTF-8 nor GBK",
                    ));
                }
                Mode::Ascii => {
                    if avail.is_empty() {
                        return Ok(0);
                    }
                    if avail.starts_with(b"\xef\xbb\xbf") {
                        self.raw_pos += 3;
                        self.mode = Mode::Utf8;
                        continue;
                    }
                    let ascii = avail
                        .iter()
                        .position(|b| !b.is_ascii())
                        .unwrap_or(avail.len());
                    if ascii > 0 {
                        let n = ascii.min(out.len());
                        out[..n].copy_from_slice(&avail[..n]);
                        self.raw_pos += n;
                        return Ok(n);
                    }
                    // The first byte that is not ASCII (or a mark cut by the read): decide
                    // from the 64 KiB that start here.
                    self.fill(HEAD)?;
                    let window = &self.raw[self.raw_pos..];
                    self.mode = match encoding_of_window(window, !self.eof) {
                        Some(Enc::Utf8) => Mode::Utf8,
                        Some(Enc::Gbk) => Mode::Gbk(GBK.new_decoder_without_bom_handling()),
                        None => Mode::Neither,
                    };
                }
                Mode::Utf8 => {
                    let n = avail.len().min(out.len());
                    out[..n].copy_from_slice(&avail[..n]);
                    self.raw_pos += n;
                    return Ok(n);
                }
                Mode::Gbk(decoder) => {
                    if avail.is_empty() && self.flushed {
                        return Ok(0);
                    }
                    let last = self.eof;
                    let room = decoder
                        .max_utf8_buffer_length(avail.len())
                        .unwrap_or(avail.len() * 3 + 16);
                    self.decoded.resize(room.max(16), 0);
                    let (_, read, written, _) =
                        decoder.decode_to_utf8(avail, &mut self.decoded, last);
                    self.decoded.truncate(written);
                    self.decoded_pos = 0;
                    self.raw_pos += read;
                    if last && self.raw_pos == self.raw.len() {
                        self.flushed = true;
                    }
                }
            }
        }
    }
}

/// [`encoding_of`] for a window that may be cut at its end (`more` follows).
fn encoding_of_window(window: &[u8], more: bool) -> Option<Enc> {
    match std::str::from_utf8(window) {
        Ok(_) => return Some(Enc::Utf8),
        Err(e) if e.error_len().is_none() && more => return Some(Enc::Utf8),
        Err(_) => {}
    }
    let body = if more { trim_gbk_cut(window) } else { window };
    let (_, had_errors) = GBK.decode_without_bom_handling(body);
    (!had_errors).then_some(Enc::Gbk)
}

/// Drops a GBK double-byte character cut in two at the end of a window.
fn trim_gbk_cut(w: &[u8]) -> &[u8] {
    let mut end = w.len();
    while end > 0 && w[end - 1] >= 0x80 && w.len() - end < 2 {
        end -= 1;
    }
    &w[..end]
}
