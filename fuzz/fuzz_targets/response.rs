//! Response verification and decoding (issue 9, item 19): an answer as received — status,
//! security headers, extra headers, body — through the same check and decode a call runs.
//! Oracles: no panic; an unsigned 2xx is never accepted; a correctly signed 2xx with sane headers
//! is never refused for its signature.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use wechatpay::Error;

#[derive(Arbitrary, Debug)]
struct Answer {
    status: u16,
    /// Signed by the platform key (else `signature` is sent as is).
    sign: bool,
    signature: String,
    skew: i16,
    nonce: String,
    serial: u8,
    extra: Vec<(String, String)>,
    /// Which type the body is decoded as.
    as_type: u8,
    body: Vec<u8>,
}

fuzz_target!(|a: Answer| {
    let client = common::client();
    let timestamp = (common::now() + i64::from(a.skew)).to_string();
    let signature = if a.sign { common::platform_sign(&timestamp, &a.nonce, &a.body) } else { a.signature.clone() };
    let serial = match a.serial % 4 {
        0 | 1 => common::KEY_ID.to_string(),
        2 => common::KEY_ID.to_ascii_lowercase(),
        _ => "PUB_KEY_ID_0000000000000000000000000000".to_string(),
    };
    let headers = common::headers(&timestamp, &a.nonce, &signature, &serial, &a.extra);
    let status = 100 + a.status % 500;
    let result: Result<(), Error> = match a.as_type % 4 {
        0 => decode::<serde_json::Value>(client, status, &headers, &a.body),
        1 => decode::<wechatpay::v3::pay::transactions::id::by_transaction_id::GetResponse>(client, status, &headers, &a.body),
        2 => decode::<wechatpay::v3::refund::domestic::refunds::PostResponse>(client, status, &headers, &a.body),
        _ => decode::<()>(client, status, &headers, &a.body),
    };
    // Every error prints (the Display walks the body and the headers).
    if let Err(e) = &result {
        let _ = format!("{e} {e:?}");
    }
    let success = (200..300).contains(&status);
    if success && !a.sign {
        assert!(result.is_err(), "an unsigned answer was accepted");
    }
    let sane = a.sign
        && a.serial % 4 < 2
        && a.skew.unsigned_abs() < 250
        && !common::touches_security_headers(&a.extra)
        && !a.nonce.is_empty()
        && reqwest::header::HeaderValue::from_str(&a.nonce).is_ok()
        && a.nonce.trim() == a.nonce;
    if success && sane {
        assert!(
            !matches!(result, Err(Error::Verification(_))),
            "a correctly signed answer was refused: {result:?}"
        );
    }
});

fn decode<T: serde::de::DeserializeOwned>(
    client: &wechatpay::Client,
    status: u16,
    headers: &wechatpay::runtime::HeaderMap,
    body: &[u8],
) -> Result<(), Error> {
    wechatpay::runtime::fuzzing::receive_json::<T>(client, status, headers, body).map(drop)
}
