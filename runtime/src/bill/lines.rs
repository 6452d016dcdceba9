//! A bill's bytes cut into lines and values: one implementation for a reader
//! ([`Lines`]) and for chunks pushed as a download delivers them ([`Splitter`]).

use std::io::Read;

use super::{BillError, Line};

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
        if self.start > 0 {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        self.buffer.extend_from_slice(bytes);
    }

    /// The number of the last line taken.
    pub fn number(&self) -> u64 {
        self.number
    }

    /// The next line that is not empty, `None` when more bytes are needed; with `end` (nothing
    /// more will be pushed) the rest is the last line, and `None` means the end.
    pub fn next(&mut self, end: bool) -> Result<Option<Line>, BillError> {
        loop {
            let rest = &self.buffer[self.start..];
            let (bytes, taken) = match memchr::memchr(b'\n', rest) {
                Some(i) => (&rest[..i], i + 1),
                None if end && !rest.is_empty() => (rest, rest.len()),
                None => return Ok(None),
            };
            self.number += 1;
            let line = parse(self.number, bytes)?;
            self.start += taken;
            if line.is_some() {
                return Ok(line);
            }
        }
    }
}

/// One line's bytes (without its `\n`) as a [`Line`], `None` when it is blank.
fn parse(number: u64, mut bytes: &[u8]) -> Result<Option<Line>, BillError> {
    bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    if number == 1 {
        bytes = bytes.strip_prefix("\u{feff}".as_bytes()).unwrap_or(bytes);
    }
    let text = std::str::from_utf8(bytes).map_err(|_| BillError::at(number, None, "not UTF-8 text"))?;
    if text.trim().is_empty() {
        return Ok(None);
    }
    Ok(Some(Line::new(number, text)))
}

/// The lines of a bill read from a [`Read`], a block at a time. (Not the `csv` crate: its line
/// numbers drift on CRLF files, and an error must name its line; the bills never quote, so
/// splitting on `,` is the whole format.)
pub(crate) struct Lines<R: Read> {
    reader: R,
    splitter: Splitter,
    block: Box<[u8]>,
    ended: bool,
}

impl<R: Read> Lines<R> {
    pub fn new(reader: R) -> Lines<R> {
        Lines {
            reader,
            splitter: Splitter::default(),
            block: vec![0; 64 * 1024].into_boxed_slice(),
            ended: false,
        }
    }

    /// The next line that is not blank, or `None` at the end.
    pub fn next(&mut self) -> Result<Option<Line>, BillError> {
        loop {
            if let Some(line) = self.splitter.next(self.ended)? {
                return Ok(Some(line));
            }
            if self.ended {
                return Ok(None);
            }
            let read = loop {
                match self.reader.read(&mut self.block) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            let number = self.splitter.number() + 1;
            match read.map_err(|e| BillError::at(number, None, format!("cannot be read: {e}")))? {
                0 => self.ended = true,
                n => self.splitter.push(&self.block[..n]),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(bytes: &[u8], piece: usize) -> Vec<(u64, Vec<String>)> {
        let mut splitter = Splitter::default();
        let mut out = Vec::new();
        for chunk in bytes.chunks(piece) {
            splitter.push(chunk);
            while let Some(line) = splitter.next(false).unwrap() {
                out.push((line.number, line.values().map(str::to_owned).collect()));
            }
        }
        while let Some(line) = splitter.next(true).unwrap() {
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
        assert_eq!(lines.next().unwrap().unwrap().number, 1);
        assert_eq!(lines.next().unwrap().unwrap().value(0), "b");
        assert!(lines.next().unwrap().is_none());
    }

    #[test]
    fn a_bad_byte_names_its_line() {
        let mut lines = Lines::new(&b"a\n\xff\n"[..]);
        lines.next().unwrap();
        assert_eq!(lines.next().unwrap_err().line, Some(2));
    }
}
