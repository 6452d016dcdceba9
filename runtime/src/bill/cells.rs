//! A row's values kept as its line, once, and where each value is in it: one allocation per
//! row however many columns it has (what keeps the readers near the `csv` crate's speed).

use std::ops::Range;

/// Where a value is in its row's line.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Span {
    start: u32,
    end: u32,
}

/// The span of a column the bill does not have.
const ABSENT: Span = Span {
    start: u32::MAX,
    end: u32::MAX,
};

/// The `N` values of a row, some of which its bill may lack.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Cells<const N: usize> {
    text: Box<str>,
    spans: [Span; N],
}

impl<const N: usize> Cells<N> {
    /// No value yet, over `text` (the row's line).
    pub fn new(text: &str) -> Cells<N> {
        Cells {
            text: text.into(),
            spans: [ABSENT; N],
        }
    }

    /// Value `index` is at `range` of the text.
    pub fn set(&mut self, index: usize, range: Range<usize>) {
        // A line longer than 4 GiB is not a bill's (and is refused long before): never wrong,
        // at worst empty.
        let clamp = |n: usize| u32::try_from(n).unwrap_or(u32::MAX - 1);
        self.spans[index] = Span {
            start: clamp(range.start),
            end: clamp(range.end),
        };
    }

    /// Value `index`, `None` when the bill has no such column.
    pub fn get(&self, index: usize) -> Option<&str> {
        let span = self.spans[index];
        if span == ABSENT {
            return None;
        }
        Some(
            self.text
                .get(span.start as usize..span.end as usize)
                .unwrap_or_default(),
        )
    }
}
