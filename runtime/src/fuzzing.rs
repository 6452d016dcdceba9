//! The answer path of a call without the network, for the fuzz targets in `fuzz/` (feature
//! `fuzzing`; not part of the API). Everything here calls the same functions a real call does.

use bytes::Bytes;
use reqwest::header::HeaderMap;

use super::call::decode_json;
use super::send::{check_response_as, Received, Verified};
use super::{crypto, Client, Error, ResponseSignature};

/// What `send_json::<T>()` makes of an answer received now: status, headers and body →
/// [`Error::Api`] (non-2xx), a verification error, or the verified, decoded `T`.
pub fn receive_json<T: serde::de::DeserializeOwned>(
    client: &Client,
    status: u16,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<T, Error> {
    check_response_as(
        &client.inner,
        ResponseSignature::Body,
        status,
        headers,
        body,
        crypto::unix_now(),
    )?;
    let verified = Verified {
        status,
        headers: headers.clone(),
        body: Bytes::copy_from_slice(body),
    };
    decode_json(Received::Buffered(verified))
}
