//! A trade bill of any size, made up as it is read: for the tests and benchmarks of bill
//! readers (a million rows without a million orders, and without the bill ever in memory).
//!
//! The bill is an `ALL` bill in the platform's format (as [`bills`](super::bills) writes one):
//! a BOM, CRLF lines, backquoted values. Every tenth row is a refund of the payment before it;
//! amounts vary with the row; the summary adds up.

use std::io::Read;

use super::bills::{fee, fee_text, rate, yuan, Totals, TRADE_ALL, TRADE_SUMMARY};

/// An `ALL` trade bill of `rows` detail rows, read as a [`Read`]; the same `rows` always gives
/// the same bytes.
pub struct SyntheticTradeBill {
    rows: u64,
    written: u64,
    totals: Totals,
    /// Bytes made but not read yet, from `at`.
    pending: Vec<u8>,
    at: usize,
    ended: bool,
}

impl SyntheticTradeBill {
    pub fn new(rows: u64) -> SyntheticTradeBill {
        SyntheticTradeBill {
            rows,
            written: 0,
            totals: Totals::default(),
            pending: format!("\u{feff}{TRADE_ALL}\r\n").into_bytes(),
            at: 0,
            ended: false,
        }
    }

    /// The whole bill in memory.
    pub fn bytes(rows: u64) -> Vec<u8> {
        let mut out = Vec::new();
        SyntheticTradeBill::new(rows)
            .read_to_end(&mut out)
            .expect("made in memory");
        out
    }

    /// The amount (fen) of row `n`'s payment.
    pub fn amount(n: u64) -> i64 {
        100 + (n as i64 * 7919) % 99_900
    }

    /// Makes the next lines (a row, or the summary at the end).
    fn make(&mut self) {
        self.pending.clear();
        self.at = 0;
        if self.written == self.rows {
            let summary: Vec<String> = self.totals.summary(self.rows as usize);
            self.pending.extend_from_slice(TRADE_SUMMARY.as_bytes());
            self.pending.extend_from_slice(b"\r\n");
            self.line(&summary);
            self.ended = true;
            return;
        }
        let n = self.written;
        let refund = n % 10 == 9;
        let paid = n - u64::from(refund);
        let amount = Self::amount(paid);
        let (second, state) = (n % 60, if refund { "REFUND" } else { "SUCCESS" });
        let mut row: Vec<String> = vec![
            format!("2026-01-05 12:{:02}:{second:02}", (n / 60) % 60),
            "wxd678efh567hg6787".into(),
            "1900000001".into(),
            "0".into(),
            String::new(),
            format!("42000000012026010{paid:013}"),
            format!("ORDER-{paid:010}"),
            format!("oUpF8uMuAJO_M2pxb1Q9zNjWeS{:06}", paid % 1_000_000),
            "JSAPI".into(),
            state.into(),
            "OTHERS".into(),
            "CNY".into(),
        ];
        let totals = if refund {
            let back = amount / 2;
            row.extend([
                yuan(0),
                yuan(0),
                format!("503000000120260105{n:012}"),
                format!("REFUND-{n:010}"),
            ]);
            row.extend([yuan(back), yuan(0), "ORIGINAL".into(), "SUCCESS".into()]);
            row.extend([
                "会员卡充值".into(),
                String::new(),
                fee_text(-fee(back)),
                rate(),
                yuan(0),
                yuan(back),
            ]);
            Totals::refund(back)
        } else {
            row.extend([yuan(amount), yuan(0), "0".into(), "0".into(), yuan(0), yuan(0)]);
            row.extend([
                String::new(),
                String::new(),
                "会员卡充值".into(),
                format!("{{\"seq\":{n}}}"),
            ]);
            row.extend([fee_text(fee(amount)), rate(), yuan(amount), yuan(0)]);
            Totals::payment(amount)
        };
        row.push(String::new());
        self.totals.add(&totals);
        self.line(&row);
        self.written += 1;
    }

    fn line(&mut self, values: &[String]) {
        for (i, value) in values.iter().enumerate() {
            if i > 0 {
                self.pending.push(b',');
            }
            self.pending.push(b'`');
            self.pending.extend_from_slice(value.as_bytes());
        }
        self.pending.extend_from_slice(b"\r\n");
    }
}

impl Read for SyntheticTradeBill {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut filled = 0;
        while filled < buf.len() {
            if self.at == self.pending.len() {
                if self.ended {
                    break;
                }
                self.make();
            }
            let n = (self.pending.len() - self.at).min(buf.len() - filled);
            buf[filled..filled + n].copy_from_slice(&self.pending[self.at..self.at + n]);
            self.at += n;
            filled += n;
        }
        Ok(filled)
    }
}
