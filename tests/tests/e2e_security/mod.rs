//! End-to-end tests, over real HTTP on 127.0.0.1 against the mock WeChat Pay server, of the
//! sensitive-field encryption of requests and the platform-certificate download (bootstrap,
//! both modes at once, background refresh, every way it must fail). Keys are the test keys in
//! `sandbox/keys/`; encrypted fields are opened with the WeChat Pay private key both by aws-lc
//! and by the `openssl` CLI. The Redis notification ledger against a real `redis-server`.

use std::process::Command;
use std::time::{Duration, Instant};

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, PrivateDecryptingKey, OAEP_SHA1_MGF1SHA1};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::json;
use wechatpay::runtime::Method;
use wechatpay::{Client, ClientBuilder, Error, VerificationError};
use wechatpay_tests::mock::{MockConfig, MockServer, Reply, ResponseKey, Tamper, UNKNOWN_SERIAL};
use wechatpay_tests::{keys, merchant};

mod certificates;
mod endpoint;
mod ledger;
mod notifications;
mod official;
mod sensitive;

const APIV3_KEY: &str = "Wxp4yDNs9kT2vQ8rL6mB3cZ7hF1jG5aE";
const CERTIFICATES: &str = "/v3/certificates";
const TX: &str = "/v3/pay/transactions/id/4200000000201407033233368018";
const APPLYMENT: &str = "/v3/applyment4sub/applyment/";

fn base(server: &MockServer) -> ClientBuilder {
    merchant().apiv3_key(APIV3_KEY).base_url(server.base_url())
}

fn public_key_client(server: &MockServer) -> Client {
    base(server)
        .wechatpay_public_key(keys::WECHATPAY_PUBLIC_KEY_ID, keys::WECHATPAY_PUB_PEM)
        .build()
        .unwrap()
}

/// Legacy mode with nothing configured: certificates come from the download.
fn download_client(server: &MockServer) -> Client {
    base(server).platform_certificates_download().build().unwrap()
}

fn oaep_decrypt(private_pem: &str, ciphertext_b64: &str) -> String {
    let der = keys::pem_to_der(private_pem, "PRIVATE KEY").unwrap();
    let key = OaepPrivateDecryptingKey::new(PrivateDecryptingKey::from_pkcs8(&der).unwrap()).unwrap();
    let mut out = vec![0u8; key.min_output_size()];
    let plain = key
        .decrypt(
            &OAEP_SHA1_MGF1SHA1,
            &B64.decode(ciphertext_b64).unwrap(),
            &mut out,
            None,
        )
        .expect("RSA-OAEP SHA-1 decryption");
    String::from_utf8(plain.to_vec()).unwrap()
}

fn openssl_oaep_decrypt(private_key_path: &std::path::Path, ciphertext_b64: &str) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("ct.bin");
    std::fs::write(&input, B64.decode(ciphertext_b64).unwrap()).unwrap();
    let out = Command::new("openssl")
        .args(["pkeyutl", "-decrypt", "-inkey"])
        .arg(private_key_path)
        .arg("-in")
        .arg(&input)
        .args([
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha1",
            "-pkeyopt",
            "rsa_mgf1_md:sha1",
        ])
        .output()
        .expect("the openssl CLI is required by the tests");
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn gcm_encrypt(key: &str, nonce: &str, aad: &str, plain: &[u8]) -> String {
    let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key.as_bytes()).unwrap());
    let mut data = plain.to_vec();
    key.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce.as_bytes().try_into().unwrap()),
        Aad::from(aad.as_bytes()),
        &mut data,
    )
    .unwrap();
    B64.encode(data)
}

/// The body of `GET /v3/certificates` as WeChat Pay builds it: the certificate PEM encrypted
/// with the APIv3 key (AEAD_AES_256_GCM, associated data `certificate`).
fn certificates_body(apiv3_key: &str, serial_no: &str, pem: &str) -> serde_json::Value {
    certificates_list(apiv3_key, &[(serial_no, pem)])
}

fn certificates_list(apiv3_key: &str, certificates: &[(&str, &str)]) -> serde_json::Value {
    let nonce = "c3rtN0nce123";
    let data: Vec<serde_json::Value> = certificates
        .iter()
        .map(|(serial_no, pem)| {
            json!({
                "serial_no": serial_no,
                "effective_time": "2020-01-01T08:00:00+08:00",
                "expire_time": "2100-01-01T07:59:59+08:00",
                "encrypt_certificate": {
                    "algorithm": "AEAD_AES_256_GCM",
                    "nonce": nonce,
                    "associated_data": "certificate",
                    "ciphertext": gcm_encrypt(apiv3_key, nonce, "certificate", pem.as_bytes())
                }
            })
        })
        .collect();
    json!({ "data": data })
}

fn certificates_reply() -> Reply {
    Reply::json(
        200,
        certificates_body(APIV3_KEY, keys::PLATFORM_CERT_SERIAL, keys::PLATFORM_CERT_PEM),
    )
}

async fn get_tx(client: &Client) -> Result<serde_json::Value, Error> {
    client
        .chain(TX)
        .request(Method::GET)
        .query("mchid", keys::MCHID)
        .send_json()
        .await
}

fn pem_der(pem: &str) -> Vec<u8> {
    keys::pem_to_der(pem, "CERTIFICATE").unwrap()
}
