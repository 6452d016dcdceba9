//! A bill's bytes cut into lines and values: one implementation for a reader
//! ([`Lines`]) and for chunks pushed as a download delivers them ([`Splitter`]).

use std::io::Read;

use super::{BillError, Line};

/// The longest line a bill may have (its rows are well under 1 KiB): memory stays bounded
/// whatever the input.
const MAX_LINE: usize = 1 << 20;

/// Bytes cut into lines: pushed in any pieces, taken out a line at a time. The lines are
/// numbered from 1; a UTF-8 BOM before the first is dropped, and so is a `\r` before each `\n`.
#[derive(Default)]
pub(crate) struct Splitter {
    buffer: Vec<u8>,
    /// Where the next line starts in `buffer`.
    start: usize,
    number: u64,
}

impl Splitter {
    pub fn push(&mut self, bytes: &[u8]) {
        self.compact();
        self.buffer.extend_from_slice(bytes);
    }

    /// Reads a block from `reader` straight into the buffer: how many bytes (0 at its end).
    pub fn read_from(&mut self, reader: &mut impl Read) -> std::io::Result<usize> {
        const BLOCK: usize = 64 * 1024;
        self.compact();
        let filled = self.buffer.len();
        self.buffer.resize(filled + BLOCK, 0);
        let read = loop {
            match reader.read(&mut self.buffer[filled..]) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                other => break other,
            }
        };
        self.buffer.truncate(filled + *read.as_ref().unwrap_or(&0));
        read
    }

    /// Drops the lines already taken.
    fn compact(&mut self) {
        if self.start > 0 {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
    }

    /// The number of the last line taken.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// Reads the next line that is not blank into `line`: `false` when more bytes are needed;
    /// with `end` (nothing more will be pushed) the rest is the last line, and `false` means
    /// the end.
    pub fn next(&mut self, end: bool, line: &mut Line) -> Result<bool, BillError> {
        loop {
            let rest = &self.buffer[self.start..];
            let (bytes, taken) = match memchr::memchr(b'\n', rest) {
                Some(i) => (&rest[..i], i + 1),
                None if end && !rest.is_empty() => (rest, rest.len()),
                None if rest.len() > MAX_LINE => {
                    return Err(BillError::at(
                        self.number + 1,
                        None,
                        format!("longer than {} KiB without a line end: not a bill", MAX_LINE >> 10),
                    ))
                }
                None => return Ok(false),
            };
            self.number += 1;
            let text = text(self.number, bytes)?;
            self.start += taken;
            if !text.trim().is_empty() {
                line.set(self.number, text);
                return Ok(true);
            }
        }
    }
}

/// One line's bytes (without its `\n`) as text: without a `\r` at the end, nor a BOM at the
/// start of the first line.
fn text(number: u64, mut bytes: &[u8]) -> Result<&str, BillError> {
    bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if number == 1 {
        bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    }
    std::str::from_utf8(bytes).map_err(|_| BillError::at(number, None, "not UTF-8 text"))
}

/// The lines of a bill read from a [`Read`], a block at a time. (Not the `csv` crate: its line
/// numbers drift on CRLF files, and an error must name its line; the bills never quote, so
/// splitting on `,` is the whole format.)
pub(crate) struct Lines<R: Read> {
    reader: R,
    splitter: Splitter,
    ended: bool,
}

impl<R: Read> Lines<R> {
    pub fn new(reader: R) -> Lines<R> {
        Lines {
            reader,
            splitter: Splitter::default(),
            ended: false,
        }
    }

    /// Reads the next line that is not blank into `line`; `false` at the end.
    pub fn next(&mut self, line: &mut Line) -> Result<bool, BillError> {
        loop {
            if self.splitter.next(self.ended, line)? {
                return Ok(true);
            }
            if self.ended {
                return Ok(false);
            }
            let number = self.splitter.number() + 1;
            let read = self.splitter.read_from(&mut self.reader);
            if read.map_err(|e| BillError::at(number, None, format!("cannot be read: {e}")))? == 0 {
                self.ended = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8], piece: usize) -> Vec<(u64, Vec<String>)> {
        let mut splitter = Splitter::default();
        let mut line = Line::default();
        let mut out = Vec::new();
        for chunk in bytes.chunks(piece) {
            splitter.push(chunk);
            while splitter.next(false, &mut line).unwrap() {
                out.push((line.number, line.values().map(str::to_owned).collect()));
            }
        }
        while splitter.next(true, &mut line).unwrap() {
            out.push((line.number, line.values().map(str::to_owned).collect()));
        }
        out
    }

    #[test]
    fn lines_are_the_same_whatever_the_pieces() {
        let bytes = "\u{feff}a,b\r\n`1,`2\r\n\r\n`x,\r\nlast".as_bytes();
        let expected = vec![
            (1, vec!["a".to_owned(), "b".to_owned()]),
            (2, vec!["1".to_owned(), "2".to_owned()]),
            (4, vec!["x".to_owned(), String::new()]),
            (5, vec!["last".to_owned()]),
        ];
        for piece in [1, 2, 3, 7, 100] {
            assert_eq!(all(bytes, piece), expected, "pieces of {piece}");
        }
    }

    #[test]
    fn a_reader_gives_the_same_lines() {
        let mut lines = Lines::new(&b"a\nb\r\n"[..]);
        let mut line = Line::default();
        assert!(lines.next(&mut line).unwrap());
        assert_eq!(line.number, 1);
        assert!(lines.next(&mut line).unwrap());
        assert_eq!(line.value(0), "b");
        assert!(!lines.next(&mut line).unwrap());
    }

    #[test]
    fn a_line_without_end_is_refused_before_it_fills_memory() {
        let mut lines = Lines::new(std::io::repeat(b'x'));
        let e = lines.next(&mut Line::default()).unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(e.message.contains("without a line end"), "{e}");
    }

    #[test]
    fn a_bad_byte_names_its_line() {
        let mut lines = Lines::new(&b"a\n\xff\n"[..]);
        let mut line = Line::default();
        lines.next(&mut line).unwrap();
        assert_eq!(lines.next(&mut line).unwrap_err().line, Some(2));
    }
}
