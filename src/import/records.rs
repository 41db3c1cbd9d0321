//! CSV records read from UTF-8 text, one at a time, the way a statement needs: a record
//! never grows past [`MAX_RECORD`], a quote left open is an error naming the line it opened
//! on (not the rest of the file swallowed into one cell), and lines are counted as an
//! editor counts them (`\n`, `\r\n` and a lone `\r` each end one).
//!
//! Quoting follows RFC 4180 as the `csv` crate reads it: a cell that starts with `"` runs
//! to the next lone `"` (`""` is one quote), anything after that is part of the cell; a
//! `"` inside an unquoted cell (as WeChat Pay writes it) is a character like any other.

use std::io::{self, Read};

use crate::i18n::T;
use crate::import::ImportError;
use crate::import::limits::MAX_RECORD;
use crate::tr;

/// A quoted cell spanning more lines than this is a quote left open, not a cell: no
/// statement writes a cell of several paragraphs.
const MAX_CELL_LINES: u64 = 16;

pub struct Records<R> {
    src: R,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    eof: bool,
    /// The line the next byte is on.
    line: u64,
    /// The last byte read was a `\r` (a `\n` right after it ends no further line).
    after_cr: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a cell.
    Start,
    Unquoted,
    Quoted,
    /// A `"` inside a quoted cell: the end of the quote, or the first of `""`.
    QuoteInQuoted,
}

impl<R: Read> Records<R> {
    pub fn new(src: R) -> Records<R> {
        Records {
            src,
            buf: vec![0; 64 << 10],
            pos: 0,
            end: 0,
            eof: false,
            line: 1,
            after_cr: false,
        }
    }

    fn byte(&mut self) -> Result<Option<u8>, ImportError> {
        if self.pos == self.end {
            if self.eof {
                return Ok(None);
            }
            let n = loop {
                match self.src.read(&mut self.buf) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) if let Some(stop) = crate::import::archive::stopped(&e) => {
                        return Err(stop);
                    }
                    Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                        return Err(ImportError::at(self.line, tr!(T::ImportEncoding)));
                    }
                    Err(e) => return Err(ImportError::whole(tr!(T::ImportRead, e))),
                }
            };
            if n == 0 {
                self.eof = true;
                return Ok(None);
            }
            self.pos = 0;
            self.end = n;
        }
        let b = self.buf[self.pos];
        self.pos += 1;
        match b {
            b'\n' if self.after_cr => {}
            b'\n' | b'\r' => self.line += 1,
            _ => {}
        }
        self.after_cr = b == b'\r';
        Ok(Some(b))
    }

    /// The next record's cells into `cells` (cleared first), and the line it starts on;
    /// `None` at the end. Blank lines are passed over.
    pub fn next(&mut self, cells: &mut Vec<String>) -> Result<Option<u64>, ImportError> {
        cells.clear();
        let mut cell: Vec<u8> = Vec::new();
        let mut size = 0usize;
        let mut state = State::Start;
        let mut start: Option<u64> = None;
        let mut quote_line = 0u64;
        let cell_done = |cell: &mut Vec<u8>, cells: &mut Vec<String>, line: u64| {
            let s = String::from_utf8(std::mem::take(cell))
                .map_err(|_| ImportError::at(line, tr!(T::ImportEncoding)))?;
            cells.push(s);
            Ok::<(), ImportError>(())
        };
        loop {
            let at = self.line;
            let Some(b) = self.byte()? else {
                let Some(first) = start else {
                    return Ok(None);
                };
                if state == State::Quoted {
                    return Err(ImportError::at(quote_line, tr!(T::ImportOpenQuote)));
                }
                cell_done(&mut cell, cells, first)?;
                return Ok(Some(first));
            };
            // Blank lines (and the `\n` of a `\r\n`, whose `\r` ended the last record)
            // are passed over.
            if start.is_none() && matches!(b, b'\n' | b'\r') {
                continue;
            }
            let first = *start.get_or_insert(at);
            size += 1;
            if size > MAX_RECORD {
                return Err(ImportError::at(
                    if state == State::Quoted {
                        quote_line
                    } else {
                        first
                    },
                    tr!(T::ImportLongRecord, MAX_RECORD >> 20),
                ));
            }
            match state {
                State::Start | State::Unquoted => match b {
                    b'"' if state == State::Start => {
                        state = State::Quoted;
                        quote_line = at;
                    }
                    b',' => {
                        cell_done(&mut cell, cells, first)?;
                        state = State::Start;
                    }
                    b'\n' | b'\r' => {
                        cell_done(&mut cell, cells, first)?;
                        return Ok(Some(first));
                    }
                    _ => {
                        cell.push(b);
                        state = State::Unquoted;
                    }
                },
                State::Quoted => {
                    if b == b'"' {
                        state = State::QuoteInQuoted;
                    } else {
                        cell.push(b);
                        if matches!(b, b'\n' | b'\r') && self.line - quote_line > MAX_CELL_LINES {
                            return Err(ImportError::at(quote_line, tr!(T::ImportOpenQuote)));
                        }
                    }
                }
                State::QuoteInQuoted => match b {
                    b'"' => {
                        cell.push(b'"');
                        state = State::Quoted;
                    }
                    b',' => {
                        cell_done(&mut cell, cells, first)?;
                        state = State::Start;
                    }
                    b'\n' | b'\r' => {
                        cell_done(&mut cell, cells, first)?;
                        return Ok(Some(first));
                    }
                    _ => {
                        cell.push(b);
                        state = State::Unquoted;
                    }
                },
            }
        }
    }
}
