//! Why a request got no usable answer: the timeouts, and the transport failure in words.

use std::fmt;

/// Which timeout of the client fired (see [`Error::Timeout`](crate::Error::Timeout)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Timeout {
    /// [`ClientBuilder::connect_timeout`](crate::ClientBuilder::connect_timeout): no connection.
    Connect,
    /// [`ClientBuilder::read_timeout`](crate::ClientBuilder::read_timeout): the server was
    /// silent that long.
    ReadIdle,
    /// [`ClientBuilder::timeout`](crate::ClientBuilder::timeout) (or the download timeout): the
    /// whole exchange took that long.
    Total,
}

pub(super) struct TimeoutText {
    pub(super) which: Timeout,
    pub(super) after: std::time::Duration,
    pub(super) body: bool,
}

impl fmt::Display for TimeoutText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = Seconds(self.after);
        match (self.which, self.body) {
            (Timeout::Connect, _) => write!(f, "connect timeout: no connection within {n}"),
            (Timeout::ReadIdle, false) => write!(f, "no answer: the server was silent for {n} (read timeout)"),
            (Timeout::Total, false) => write!(f, "no answer within {n} (timeout)"),
            (Timeout::ReadIdle, true) => write!(f, "the body stalled: nothing for {n} (read timeout)"),
            (Timeout::Total, true) => write!(f, "the body stalled: not complete within {n} (timeout)"),
        }
    }
}

/// `300 ms`, `10 s`, `1.5 s`.
struct Seconds(std::time::Duration);

impl fmt::Display for Seconds {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = self.0.as_millis();
        if ms < 1000 {
            write!(f, "{ms} ms")
        } else if ms.is_multiple_of(1000) {
            write!(f, "{} s", ms / 1000)
        } else {
            write!(f, "{} s", self.0.as_secs_f64())
        }
    }
}

/// The errors below `e`, outermost first (what reqwest wraps: hyper's, then the I/O error).
pub(super) fn causes(e: &reqwest::Error) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
    std::iter::successors(std::error::Error::source(e), |s| s.source())
}

/// What happened to a request that got no usable answer, in words: the first thing the
/// `Display` of [`Error::Transport`] says (reqwest's own message, `error sending request for
/// url (…)`, says the same for all of them).
pub(crate) fn transport_cause(e: &reqwest::Error) -> &'static str {
    let mut io_kind = None;
    let mut texts = String::new();
    for s in causes(e) {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            io_kind.get_or_insert(io.kind());
        }
        texts.push_str(&s.to_string().to_ascii_lowercase());
        texts.push('\n');
    }
    let tls = ["certificate", "tls", "handshake", "alert"]
        .iter()
        .any(|w| texts.contains(w));
    if e.is_connect() {
        return match io_kind {
            Some(std::io::ErrorKind::ConnectionRefused) => "connection refused",
            _ if e.is_timeout() || io_kind == Some(std::io::ErrorKind::TimedOut) => "connect timeout",
            _ if tls => "TLS handshake failed",
            _ => "cannot connect (DNS or network)",
        };
    }
    if e.is_timeout() {
        return if e.is_body() || e.is_decode() {
            "the body stalled (timeout while reading it)"
        } else {
            "no answer within the timeout"
        };
    }
    if e.is_body() || e.is_decode() {
        return "the answer broke off while its body was read";
    }
    if tls {
        return "TLS failed";
    }
    if ["invalid http", "parse", "too large", "header"]
        .iter()
        .any(|w| texts.contains(w))
    {
        return "malformed HTTP answer";
    }
    if matches!(
        io_kind,
        Some(
            std::io::ErrorKind::ConnectionReset
                | std::io::ErrorKind::ConnectionAborted
                | std::io::ErrorKind::BrokenPipe
        )
    ) || texts.contains("connection closed")
    {
        return "the connection was closed before an answer";
    }
    "the request failed"
}
