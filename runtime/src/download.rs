//! File downloads: bills, statements, images. The body streams into any writer; its SHA-1
//! is checked against the digest the platform announced, and it can be gunzipped on the way.

use crate::error::RequestProblem;
use std::fmt;
use std::io::Write;

use aws_lc_rs::digest;
use bytes::Bytes;
use flate2::write::MultiGzDecoder;
use reqwest::header::HeaderMap;
use reqwest::Method;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::client::Client;
use super::encoding::hex;
use super::error::Error;
use super::request::{absolute_request, Request, ResponseSignature};

/// A 2xx file response, not read yet (see [`Request::send_download`],
/// [`Client::download_bill`]).
///
/// The body is read by [`write_to`](Download::write_to) (or
/// [`write_to_blocking`](Download::write_to_blocking), [`bytes`](Download::bytes)) chunk by
/// chunk, each chunk written to the writer as it arrives. Checks that need the whole file (the
/// SHA-1 of [`expect_sha1`](Download::expect_sha1), a statement's `Wechatpay-Statement-Sha1`,
/// the end of a gzip stream) are made at the end: when they fail, the data already written
/// must be discarded.
pub struct Download {
    client: Client,
    status: u16,
    headers: HeaderMap,
    body: Body,
    expected_sha1: Vec<String>,
    /// SHA-1s of the original file (decompressed when the body is gzip).
    expected_original_sha1: Vec<String>,
    gunzip: bool,
    error: Option<Error>,
}

enum Body {
    Memory(Option<Bytes>),
    Stream(reqwest::Response),
}

impl Body {
    async fn next(&mut self) -> Result<Option<Bytes>, Error> {
        match self {
            Body::Memory(bytes) => Ok(bytes.take()),
            Body::Stream(response) => response.chunk().await.map_err(Error::Transport),
        }
    }
}

impl fmt::Debug for Download {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Download")
            .field("status", &self.status)
            .field("expected_sha1", &self.expected_sha1)
            .field("gunzip", &self.gunzip)
            .finish_non_exhaustive()
    }
}

impl Download {
    pub(crate) fn streaming(client: Client, status: u16, headers: HeaderMap, response: reqwest::Response) -> Self {
        Self::new(client, status, headers, Body::Stream(response))
    }

    pub(crate) fn in_memory(client: Client, status: u16, headers: HeaderMap, body: Bytes) -> Self {
        Self::new(client, status, headers, Body::Memory(Some(body)))
    }

    fn new(client: Client, status: u16, headers: HeaderMap, body: Body) -> Self {
        Download {
            client,
            status,
            headers,
            body,
            expected_sha1: Vec::new(),
            expected_original_sha1: Vec::new(),
            gunzip: false,
            error: None,
        }
    }

    /// The HTTP status (2xx).
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The response headers (`Content-Type`, `Content-Length`, `Request-ID`, …).
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// Requires the SHA-1 of the body **as sent** (before any gunzip) to be `sha1_hex` (40 hex
    /// digits, any case); checked when the body has been read, a mismatch being
    /// [`Error::DigestMismatch`]. A value that is not 40 hex digits fails before anything is
    /// read.
    pub fn expect_sha1(mut self, sha1_hex: &str) -> Self {
        self.expect(sha1_hex, false);
        self
    }

    /// Requires the SHA-1 of the **original** file to be `sha1_hex`: the decompressed bytes when
    /// the body is gzip (it starts with the gzip magic bytes), whether or not it is written
    /// decompressed ([`gunzip`](Self::gunzip)), else the bytes as sent. This is a bill's
    /// `hash_value` (原始账单（gzip需要解压缩）的摘要值). Checked at the end, like
    /// [`expect_sha1`](Self::expect_sha1).
    pub fn expect_original_sha1(mut self, sha1_hex: &str) -> Self {
        self.expect(sha1_hex, true);
        self
    }

    /// Adds an expected SHA-1 (of the original file, or of the bytes as sent); a value that is
    /// not 40 hex digits is the error the download fails with before anything is read.
    fn expect(&mut self, sha1_hex: &str, original: bool) {
        match parse_sha1(sha1_hex) {
            Ok(sha1) if original => self.expected_original_sha1.push(sha1),
            Ok(sha1) => self.expected_sha1.push(sha1),
            Err(e) => {
                self.error.get_or_insert(e);
            }
        }
    }

    /// Decompresses the body (gzip, as bills are sent with `tar_type=GZIP`) before writing it.
    /// [`expect_sha1`](Self::expect_sha1) is still over the bytes as sent,
    /// [`expect_original_sha1`](Self::expect_original_sha1) over the decompressed ones.
    pub fn gunzip(mut self) -> Self {
        self.gunzip = true;
        self
    }

    /// Streams the body into `writer`, then flushes it, and returns the number of bytes
    /// written (after gunzip). The SHA-1 and gzip checks come last: on
    /// [`Error::DigestMismatch`] (or a gzip error) the data written must be discarded.
    pub async fn write_to<W: AsyncWrite + Unpin>(self, mut writer: W) -> Result<u64, Error> {
        let mut chunks = self.chunks()?;
        let mut written = 0;
        while let Some(out) = chunks.next().await? {
            writer.write_all(&out).await.map_err(write_error)?;
            written += out.len() as u64;
        }
        writer.flush().await.map_err(write_error)?;
        Ok(written)
    }

    /// [`write_to`](Self::write_to) for code outside an async runtime, into a
    /// [`std::io::Write`]. A streaming body is driven by the client's blocking runtime (as
    /// [`Call::blocking`](crate::Call::blocking) does); from inside an async runtime
    /// that is refused with [`Error::Blocking`].
    pub fn write_to_blocking<W: Write>(self, mut writer: W) -> Result<u64, Error> {
        let (body, mut pipe) = self.start_blocking()?;
        let mut next = body;
        while let Some(chunk) = next.next_blocking()? {
            let out = pipe.feed(chunk);
            writer.write_all(&out).map_err(write_error)?;
        }
        let out = pipe.finish();
        writer.write_all(&out).map_err(write_error)?;
        writer.flush().map_err(write_error)?;
        pipe.result()
    }

    /// Reads the whole body into memory (after the same checks as [`write_to`](Self::write_to)).
    pub async fn bytes(self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        self.write_to(&mut out).await?;
        Ok(out)
    }

    fn start(self) -> Result<(Body, Pipeline), Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        let pipe = Pipeline::new(self.expected_sha1, self.gunzip).original(self.expected_original_sha1);
        Ok((self.body, pipe))
    }

    fn start_blocking(self) -> Result<(BlockingBody, Pipeline), Error> {
        let client = self.client.clone();
        let (body, pipe) = self.start()?;
        if matches!(body, Body::Stream(_)) && tokio::runtime::Handle::try_current().is_ok() {
            return Err(Error::Blocking);
        }
        Ok((BlockingBody { client, body }, pipe))
    }
}

/// A download's body as it arrives, after gunzip ([`Download::gunzip`]); its checks are made
/// when it ends.
pub(crate) struct Chunks {
    body: Body,
    /// `None` once the body ended and passed its checks.
    pipe: Option<Pipeline>,
}

impl Download {
    pub(crate) fn chunks(self) -> Result<Chunks, Error> {
        let (body, pipe) = self.start()?;
        Ok(Chunks { body, pipe: Some(pipe) })
    }
}

impl Chunks {
    /// The next bytes (the last ones only once the SHA-1 and gzip checks passed); `None` at
    /// the end.
    pub(crate) async fn next(&mut self) -> Result<Option<Bytes>, Error> {
        let Some(pipe) = &mut self.pipe else {
            return Ok(None);
        };
        if let Some(chunk) = self.body.next().await? {
            return Ok(Some(pipe.feed(chunk)));
        }
        let last = pipe.finish();
        self.pipe.take().expect("checked above").result()?;
        Ok(Some(last))
    }
}

struct BlockingBody {
    client: Client,
    body: Body,
}

impl BlockingBody {
    fn next_blocking(&mut self) -> Result<Option<Bytes>, Error> {
        match &mut self.body {
            Body::Memory(bytes) => Ok(bytes.take()),
            Body::Stream(_) => {
                let runtime = self.client.inner.blocking_runtime()?;
                runtime.runtime().block_on(self.body.next())
            }
        }
    }
}

fn write_error(source: std::io::Error) -> Error {
    Error::Io {
        context: "cannot write the download to its writer".into(),
        source,
    }
}

fn parse_sha1(value: &str) -> Result<String, Error> {
    let value = value.trim();
    if value.len() == 40 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err(Error::request(
            RequestProblem::Conflicting,
            format!("{value:?} is not a SHA-1 (40 hexadecimal digits)"),
        ))
    }
}

/// What happens to each chunk: SHA-1 over the bytes as received, then optional gunzip, and the
/// SHA-1 of the original file (over the decompressed bytes when the body is gzip).
struct Pipeline {
    sha1: Option<digest::Context>,
    expected: Vec<String>,
    gunzip: Option<MultiGzDecoder<Vec<u8>>>,
    gzip_error: Option<std::io::Error>,
    original: Option<Original>,
    written: u64,
}

/// The SHA-1 of the original file.
struct Original {
    sha1: digest::Context,
    expected: Vec<String>,
    /// The first bytes, until it is known whether the body is gzip (without `gunzip`).
    sniff: Vec<u8>,
    decided: bool,
    /// Decompresses only for the digest (without `gunzip`, when the body is gzip).
    decoder: Option<MultiGzDecoder<Vec<u8>>>,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

impl Pipeline {
    fn new(expected: Vec<String>, gunzip: bool) -> Self {
        Pipeline {
            sha1: (!expected.is_empty()).then(|| digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY)),
            expected,
            gunzip: gunzip.then(|| MultiGzDecoder::new(Vec::new())),
            gzip_error: None,
            original: None,
            written: 0,
        }
    }

    fn original(mut self, expected: Vec<String>) -> Self {
        if !expected.is_empty() {
            self.original = Some(Original {
                sha1: digest::Context::new(&digest::SHA1_FOR_LEGACY_USE_ONLY),
                expected,
                sniff: Vec::new(),
                decided: false,
                decoder: None,
            });
        }
        self
    }

    /// The bytes to write for `chunk`.
    fn feed(&mut self, chunk: Bytes) -> Bytes {
        if let Some(sha1) = &mut self.sha1 {
            sha1.update(&chunk);
        }
        let out = match &mut self.gunzip {
            None => chunk.clone(),
            // After a gzip error, keep reading (for the SHA-1 verdict) but write nothing more.
            Some(_) if self.gzip_error.is_some() => Bytes::new(),
            Some(decoder) => match decoder.write_all(&chunk) {
                Ok(()) => Bytes::from(std::mem::take(decoder.get_mut())),
                Err(e) => {
                    self.gzip_error = Some(e);
                    Bytes::new()
                }
            },
        };
        self.digest_original(&out, Some(&chunk));
        self.written += out.len() as u64;
        out
    }

    /// The last bytes to write (the end of the gzip stream).
    fn finish(&mut self) -> Bytes {
        let out = match &mut self.gunzip {
            Some(decoder) if self.gzip_error.is_none() => match decoder.try_finish() {
                Ok(()) => Bytes::from(std::mem::take(decoder.get_mut())),
                Err(e) => {
                    self.gzip_error = Some(e);
                    Bytes::new()
                }
            },
            _ => Bytes::new(),
        };
        self.digest_original(&out, None);
        self.written += out.len() as u64;
        out
    }

    /// The original file's digest: over `out` when it is decompressed for the writer, else
    /// over `chunk` as sent (`None`: the end of the body).
    fn digest_original(&mut self, out: &[u8], chunk: Option<&[u8]>) {
        let gunzip = self.gunzip.is_some();
        let Some(original) = &mut self.original else { return };
        let result = match chunk {
            _ if gunzip => {
                original.sha1.update(out);
                Ok(())
            }
            Some(chunk) => original.feed(chunk),
            None => original.finish(),
        };
        if let Err(e) = result {
            self.gzip_error.get_or_insert(e);
        }
    }

    /// The verdict: a SHA-1 mismatch first (it explains a gzip error), then a gzip error.
    fn result(self) -> Result<u64, Error> {
        if let Some(sha1) = self.sha1 {
            check_sha1(sha1, self.expected)?;
        }
        if let Some(source) = self.gzip_error {
            return Err(Error::Io {
                context: "cannot gunzip the download".into(),
                source,
            });
        }
        if let Some(original) = self.original {
            check_sha1(original.sha1, original.expected)?;
        }
        Ok(self.written)
    }
}

/// Every expected SHA-1 must be the one computed.
fn check_sha1(sha1: digest::Context, expected: Vec<String>) -> Result<(), Error> {
    let actual = hex(sha1.finish().as_ref());
    match expected.into_iter().find(|e| *e != actual) {
        Some(expected) => Err(Error::DigestMismatch {
            algorithm: "SHA-1",
            expected,
            actual,
        }),
        None => Ok(()),
    }
}

impl Original {
    /// A chunk as sent (not decompressed for the writer).
    fn feed(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        if !self.decided {
            self.sniff.extend_from_slice(chunk);
            if self.sniff.len() < GZIP_MAGIC.len() {
                return Ok(());
            }
            self.decided = true;
            if self.sniff.starts_with(&GZIP_MAGIC) {
                self.decoder = Some(MultiGzDecoder::new(Vec::new()));
            }
            let first = std::mem::take(&mut self.sniff);
            return self.digest(&first);
        }
        self.digest(chunk)
    }

    fn digest(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        match &mut self.decoder {
            None => self.sha1.update(bytes),
            Some(decoder) => {
                decoder.write_all(bytes)?;
                drain(decoder, &mut self.sha1);
            }
        }
        Ok(())
    }

    fn finish(&mut self) -> std::io::Result<()> {
        if !self.decided {
            self.sha1.update(&self.sniff);
            return Ok(());
        }
        if let Some(decoder) = &mut self.decoder {
            decoder.try_finish()?;
            drain(decoder, &mut self.sha1);
        }
        Ok(())
    }
}

/// Hashes what the decoder has decompressed so far, and empties its buffer.
fn drain(decoder: &mut MultiGzDecoder<Vec<u8>>, sha1: &mut digest::Context) {
    sha1.update(decoder.get_ref());
    decoder.get_mut().clear();
}

impl Client {
    /// A signed request to an absolute URL, such as a bill's `download_url`: the signature
    /// covers that URL's path and query as they are.
    ///
    /// The request goes to the URL's host, except that a WeChat Pay host
    /// (`https://….mch.weixin.qq.com`) is replaced by the configured base URL when the client
    /// has one (a mock server, a proxy), like every other request.
    pub fn request_url(&self, method: Method, url: &str) -> Request {
        absolute_request(self, method, url)
    }

    /// Downloads a bill from the `download_url` of a bill request (`/v3/bill/tradebill`,
    /// `/v3/bill/fundflowbill`, …), streaming it into `writer`; returns the number of bytes
    /// written.
    ///
    /// A signed GET of `download_url` (see [`request_url`](Self::request_url)); the answer is
    /// unsigned by design ([`ResponseSignature::None`]); the SHA-1 of the **original** bill
    /// must equal `expected_sha1_hex` (the bill's `hash_value`, 原始账单（gzip需要解压缩）的摘要值;
    /// its `hash_type` is `SHA1`): over the decompressed bytes when the file is gzip
    /// (`tar_type=GZIP`), whether it is written decompressed (`gunzip`) or as sent.
    ///
    /// The file is written as it arrives and the SHA-1 is known only at the end: on
    /// [`Error::DigestMismatch`] everything written must be discarded (write to a temporary
    /// file and rename it only on `Ok`). A non-2xx answer is [`Error::Api`].
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// # let (download_url, hash_value) = ("https://api.mch.weixin.qq.com/v3/billdownload/file?token=x", "0".repeat(40));
    /// // `download_url` and `hash_value` come from the tradebill response.
    /// let mut csv = Vec::new();
    /// client.download_bill(download_url, &hash_value, true, &mut csv).await?;
    /// # Ok(()) }
    /// ```
    pub async fn download_bill<W: AsyncWrite + Unpin>(
        &self,
        download_url: &str,
        expected_sha1_hex: &str,
        gunzip: bool,
        writer: W,
    ) -> Result<u64, Error> {
        bill_answer(self, download_url, expected_sha1_hex, gunzip)
            .await?
            .write_to(writer)
            .await
    }

    /// [`download_bill`](Self::download_bill) outside async code, into a
    /// [`std::io::Write`] (see [`Call::blocking`](crate::Call::blocking)).
    pub fn download_bill_blocking<W: Write>(
        &self,
        download_url: &str,
        expected_sha1_hex: &str,
        gunzip: bool,
        writer: W,
    ) -> Result<u64, Error> {
        let download = self
            .bill_request(download_url, expected_sha1_hex)?
            .send_download()
            .blocking()?;
        bill_download(download, expected_sha1_hex, gunzip).write_to_blocking(writer)
    }

    fn bill_request(&self, download_url: &str, expected_sha1_hex: &str) -> Result<Request, Error> {
        parse_sha1(expected_sha1_hex)?;
        Ok(self
            .request_url(Method::GET, download_url)
            .response_signature(ResponseSignature::None))
    }
}

/// The answer of a bill's `download_url`, not read yet, its checks set.
pub(crate) async fn bill_answer(
    client: &Client,
    download_url: &str,
    expected_sha1_hex: &str,
    gunzip: bool,
) -> Result<Download, Error> {
    let download = client
        .bill_request(download_url, expected_sha1_hex)?
        .send_download()
        .await?;
    Ok(bill_download(download, expected_sha1_hex, gunzip))
}

fn bill_download(download: Download, expected_sha1_hex: &str, gunzip: bool) -> Download {
    let download = download.expect_original_sha1(expected_sha1_hex);
    if gunzip {
        download.gunzip()
    } else {
        download
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::encoding::sha1_hex;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    fn run(chunks: &[&[u8]], expected: Option<&str>, gunzip: bool) -> (Vec<u8>, Result<u64, Error>) {
        let mut pipe = Pipeline::new(expected.map(str::to_owned).into_iter().collect(), gunzip);
        let mut out = Vec::new();
        for c in chunks {
            out.extend_from_slice(&pipe.feed(Bytes::copy_from_slice(c)));
        }
        out.extend_from_slice(&pipe.finish());
        (out, pipe.result())
    }

    #[test]
    fn sha1_is_checked_over_the_bytes_as_sent() {
        let data = b"hello bill";
        let (out, r) = run(&[&data[..3], &data[3..]], Some(&sha1_hex(data)), false);
        assert_eq!(out, data);
        assert_eq!(r.unwrap(), data.len() as u64);
        let (_, r) = run(&[data], Some(&"0".repeat(40)), false);
        match r {
            Err(Error::DigestMismatch { expected, actual, .. }) => {
                assert_eq!(expected, "0".repeat(40));
                assert_eq!(actual, sha1_hex(data));
            }
            other => panic!("{other:?}"),
        }
    }

    fn run_original(chunks: &[&[u8]], expected: &str, gunzip: bool) -> (Vec<u8>, Result<u64, Error>) {
        let mut pipe = Pipeline::new(Vec::new(), gunzip).original(vec![expected.to_owned()]);
        let mut out = Vec::new();
        for c in chunks {
            out.extend_from_slice(&pipe.feed(Bytes::copy_from_slice(c)));
        }
        out.extend_from_slice(&pipe.finish());
        (out, pipe.result())
    }

    #[test]
    fn gunzip_in_chunks_with_sha1_as_sent() {
        let plain: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_string().into_bytes()).collect();
        let gz = gzip(&plain);
        let chunks: Vec<&[u8]> = gz.chunks(777).collect();
        let (out, r) = run(&chunks, Some(&sha1_hex(&gz)), true);
        assert_eq!(r.unwrap(), plain.len() as u64);
        assert_eq!(out, plain);
        let (_, r) = run(&chunks, Some(&sha1_hex(&plain)), true);
        assert!(matches!(r, Err(Error::DigestMismatch { .. })));
    }

    #[test]
    fn the_original_sha1_is_over_the_decompressed_file() {
        let plain: Vec<u8> = (0..200_000u32).flat_map(|i| i.to_string().into_bytes()).collect();
        let gz = gzip(&plain);
        // Chunks of one byte first: the gzip magic is split over two chunks.
        let mut chunks: Vec<&[u8]> = vec![&gz[..1], &gz[1..2]];
        chunks.extend(gz[2..].chunks(777));
        // Written decompressed or as sent: the digest is of the original either way.
        let (out, r) = run_original(&chunks, &sha1_hex(&plain), true);
        assert_eq!((out, r.unwrap()), (plain.clone(), plain.len() as u64));
        let (out, r) = run_original(&chunks, &sha1_hex(&plain), false);
        assert_eq!((out, r.unwrap()), (gz.clone(), gz.len() as u64));
        // The digest of the gzip bytes is not the original's.
        let (_, r) = run_original(&chunks, &sha1_hex(&gz), false);
        assert!(matches!(r, Err(Error::DigestMismatch { .. })), "{r:?}");
        // A file that is not gzip: the bytes as sent (one byte too).
        let (out, r) = run_original(&[b"a,b\n", b"1,2\n"], &sha1_hex(b"a,b\n1,2\n"), false);
        assert_eq!((out, r.unwrap()), (b"a,b\n1,2\n".to_vec(), 8));
        let (_, r) = run_original(&[b"x"], &sha1_hex(b"x"), false);
        assert_eq!(r.unwrap(), 1);
        // A broken gzip cannot have the original's digest.
        let (_, r) = run_original(&[&gz[..gz.len() - 10]], &sha1_hex(&plain), false);
        assert!(r.is_err(), "{r:?}");
    }

    #[test]
    fn truncated_or_garbage_gzip_is_an_error() {
        let gz = gzip(b"some text that is long enough to be compressed in a block");
        let cut = &gz[..gz.len() - 6];
        let (_, r) = run(&[cut], Some(&sha1_hex(cut)), true);
        assert!(matches!(r, Err(Error::Io { .. })), "{r:?}");
        let (_, r) = run(&[b"not gzip at all"], None, true);
        assert!(matches!(r, Err(Error::Io { .. })), "{r:?}");
    }

    #[test]
    fn sha1_values_are_validated() {
        assert!(parse_sha1("abc").is_err());
        assert!(parse_sha1(&"g".repeat(40)).is_err());
        assert_eq!(parse_sha1(&"AB".repeat(20)).unwrap(), "ab".repeat(20));
    }
}
