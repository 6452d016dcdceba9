//! Unit tests of the runtime. Keys are generated at test time with the `openssl` CLI, and
//! signatures are cross-checked with it (an independent implementation).

#[path = "../../tests/common/keys.rs"]
mod keys;

use keys::{keys, openssl_sign, openssl_verify, MCHID, MERCHANT_SERIAL, PLATFORM_CERT_SERIAL, PUB_KEY_ID};
use reqwest::header::{HeaderMap, HeaderValue};

use super::client::Client;
use super::crypto::{self, SignatureHeaders};
use super::request::Parts;
use super::send::{check_response, sign_request};
use super::*;

mod config;
mod enums;
mod notifications;
mod signing;
mod urls;
mod verification;

fn client() -> Client {
    client_with(|b| b)
}

fn client_with(f: impl FnOnce(ClientBuilder) -> ClientBuilder) -> Client {
    let k = keys();
    f(Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .private_key_pem(&k.merchant_pkcs8)
        .wechatpay_public_key(PUB_KEY_ID, &k.wechatpay_pub)
        .base_url("http://127.0.0.1:9"))
    .build()
    .expect("test client builds")
}

const TS: i64 = 1_700_000_000;
const NONCE: &str = "593BEC0C930BF1AFEB40B4A08C8FB242";

fn config_error(result: Result<Client, Error>) -> String {
    match result {
        Err(Error::Config(e)) => e.message,
        Err(other) => panic!("expected Error::Config, got {other:?}"),
        Ok(_) => panic!("expected Error::Config, got a client"),
    }
}

struct Response {
    timestamp: String,
    nonce: String,
    signature: String,
    serial: String,
}

impl Response {
    /// A response signed by `openssl dgst -sign` with the key that `serial` names.
    fn signed(serial: &str, timestamp: i64, body: &[u8]) -> Self {
        let nonce = "NONCE123nonce456";
        let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
        message.extend_from_slice(body);
        message.push(b'\n');
        Response {
            timestamp: timestamp.to_string(),
            nonce: nonce.into(),
            signature: openssl_sign(keys::signing_key_for(serial), &message),
            serial: serial.into(),
        }
    }

    fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("Wechatpay-Timestamp", HeaderValue::from_str(&self.timestamp).unwrap());
        h.insert("Wechatpay-Nonce", HeaderValue::from_str(&self.nonce).unwrap());
        h.insert("Wechatpay-Signature", HeaderValue::from_str(&self.signature).unwrap());
        h.insert("Wechatpay-Serial", HeaderValue::from_str(&self.serial).unwrap());
        h
    }
}

fn verify(c: &Client, headers: &HeaderMap, body: &[u8], now: i64) -> Result<(), VerificationError> {
    c.inner.verifier.verify(&SignatureHeaders::from_map(headers), body, now)
}
