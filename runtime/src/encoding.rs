//! The text encodings of a request and its checks, one place each: percent-encoding of path
//! segments and query names and values, and lowercase hex (digests).

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

/// Everything except the RFC 3986 unreserved characters `A-Z a-z 0-9 - . _ ~`.
pub(crate) const ENCODE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~');

/// Percent-encodes `value` once (everything except `A-Z a-z 0-9 - . _ ~`), as path parameters
/// and query names/values are sent.
pub fn encode_component(value: &str) -> String {
    utf8_percent_encode(value, ENCODE).to_string()
}

/// The SHA-1 of `bytes` in lowercase hex, as WeChat Pay writes a file's digest.
pub(crate) fn sha1_hex(bytes: &[u8]) -> String {
    use aws_lc_rs::digest;
    hex(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, bytes).as_ref())
}

/// Lowercase hex of `bytes` (a SHA-1 or SHA-256 digest as WeChat Pay writes it).
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 15)] as char);
    }
    out
}
