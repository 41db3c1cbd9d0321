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

    /// The input as UTF-8: passed through when it is UTF-8 (its BOM dropped), transcoded
    /// when it is GBK. `None` when the first bytes are neither.
    pub fn into_utf8(mut self) -> Option<Box<dyn Read + Send>>
    where
        R: Send + 'static,
    {
        match encoding_of(&self.head)? {
            Enc::Utf8 => {
                if self.head.starts_with(b"\xef\xbb\xbf") {
                    self.pos = 3;
                }
                Some(Box::new(self))
            }
            Enc::Gbk => Some(Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(GBK))
                    .build(self),
            )),
        }
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
