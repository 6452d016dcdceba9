//! A bill read as it downloads: rows handed out as their lines arrive (after gunzip), the
//! SHA-1 of the whole bill checked when the body ends, never the whole bill in memory.

use super::lines::Splitter;
use super::reader::Parser;
use super::{Layout, Line};
use crate::download::Chunks;
use crate::{Client, Error};

/// The rows of a bill as it downloads (see [`Client::download_bill_rows`]): `next().await`
/// until `None`, then [`summary`](Self::summary).
///
/// The last step checks the bill's summary against the rows, the end of the gzip stream, and
/// the SHA-1 of the whole bill: an error there ([`Error::Bill`], [`Error::DigestMismatch`],
/// [`Error::Io`]) means the rows already handed out came from a bill that failed, and what was
/// done with them must be undone (read into a transaction, commit only after `None`).
pub struct BillStream<L: Layout> {
    chunks: Chunks,
    splitter: Splitter,
    line: Line,
    parser: Parser<L>,
    /// The body ended (and passed its checks).
    ended: bool,
    done: bool,
}

impl<L: Layout> BillStream<L> {
    pub(crate) fn new(chunks: Chunks) -> BillStream<L> {
        BillStream {
            chunks,
            splitter: Splitter::default(),
            line: Line::default(),
            parser: Parser::new(),
            ended: false,
            done: false,
        }
    }

    /// The next row; `None` once the bill ended, added up and passed its checks; after an
    /// error, `None`.
    pub async fn next(&mut self) -> Option<Result<L::Row, Error>> {
        while !self.done {
            let read = match self.splitter.next(self.ended, &mut self.line) {
                Ok(true) => self.parser.line(&self.line).map_err(Error::Bill),
                Ok(false) if self.ended => {
                    self.done = true;
                    return self.parser.end().err().map(|e| Err(Error::Bill(e)));
                }
                Ok(false) => match self.chunks.next().await {
                    Ok(Some(bytes)) => {
                        self.splitter.push(&bytes);
                        Ok(None)
                    }
                    Ok(None) => {
                        self.ended = true;
                        Ok(None)
                    }
                    Err(e) => Err(e),
                },
                Err(e) => Err(Error::Bill(e)),
            };
            match read {
                Ok(Some(row)) => return Some(Ok(row)),
                Ok(None) => {}
                Err(e) => {
                    self.done = true;
                    return Some(Err(e));
                }
            }
        }
        None
    }

    /// The rows as a [`Stream`](futures_util::Stream) (for `StreamExt` and its kin); the
    /// summary is checked as with [`next`](Self::next), but not handed out.
    pub fn into_stream(self) -> impl futures_util::Stream<Item = Result<L::Row, Error>> {
        futures_util::stream::unfold(self, |mut bill| async move {
            let row = bill.next().await?;
            Some((row, bill))
        })
    }

    /// The bill's layout, once its header was read.
    pub fn layout(&self) -> Option<&L> {
        self.parser.layout()
    }

    /// The bill's summary, once [`next`](Self::next) gave `None` (checked against the rows).
    pub fn summary(&self) -> Option<&L::Summary> {
        if self.done && self.ended {
            self.parser.summary()
        } else {
            None
        }
    }
}

impl Client {
    /// Downloads a bill from the `download_url` of a bill request and reads it as it arrives:
    /// rows of the layout `L` ([`Trade`](super::Trade), [`FundFlow`](super::FundFlow), …), in
    /// constant memory whatever the bill's size. `gunzip` when the bill was asked for with
    /// `tar_type=GZIP`. The SHA-1 of the original bill must equal `expected_sha1_hex` (its
    /// `hash_value`), checked at the end (see [`BillStream`]); the request is the one of
    /// [`download_bill`](Self::download_bill).
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// # let (download_url, hash_value) = ("https://api.mch.weixin.qq.com/v3/billdownload/file?token=x", "0".repeat(40));
    /// use wechatpay::bill::Trade;
    /// // `download_url` and `hash_value` come from the tradebill response.
    /// let mut bill = client.download_bill_rows::<Trade>(download_url, &hash_value, true).await?;
    /// while let Some(row) = bill.next().await {
    ///     let row = row?;
    ///     println!("{} {} fen", row.out_trade_no(), row.settlement_total());
    /// }
    /// println!("{} rows, SHA-1 checked", bill.summary().map_or(0, |s| s.rows));
    /// # Ok(()) }
    /// ```
    pub async fn download_bill_rows<L: Layout>(
        &self,
        download_url: &str,
        expected_sha1_hex: &str,
        gunzip: bool,
    ) -> Result<BillStream<L>, Error> {
        let download = crate::download::bill_answer(self, download_url, expected_sha1_hex, gunzip).await?;
        Ok(BillStream::new(download.chunks()?))
    }
}
