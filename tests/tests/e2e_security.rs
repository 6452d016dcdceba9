//! End-to-end tests, over real HTTP on 127.0.0.1 against the mock WeChat Pay server, of the
//! sensitive-field encryption of requests and the platform-certificate download (bootstrap,
//! both modes at once, background refresh, every way it must fail). Keys are the test keys in
//! `tests/keys/`; encrypted fields are opened with the WeChat Pay private key both by aws-lc
//! and by the `openssl` CLI.

use std::process::Command;
use std::time::{Duration, Instant};

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, PrivateDecryptingKey, OAEP_SHA1_MGF1SHA1};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::json;
use wechatpay::runtime::Method;
use wechatpay::{Client, ClientBuilder, Error, VerificationError};
use wechatpay_tests::keys;
use wechatpay_tests::mock::{MockConfig, MockServer, Reply, ResponseKey, Tamper, UNKNOWN_SERIAL};

const APIV3_KEY: &str = "Wxp4yDNs9kT2vQ8rL6mB3cZ7hF1jG5aE";
const CERTIFICATES: &str = "/v3/certificates";
const TX: &str = "/v3/pay/transactions/id/4200000000201407033233368018";
const APPLYMENT: &str = "/v3/applyment4sub/applyment/";

fn base(server: &MockServer) -> ClientBuilder {
    Client::builder()
        .mchid(keys::MCHID)
        .merchant_serial(keys::MERCHANT_SERIAL)
        .private_key_pem(keys::MERCHANT_KEY_PEM)
        .apiv3_key(APIV3_KEY)
        .base_url(server.base_url())
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

// ------------------------------------------------------------------ sensitive fields

#[tokio::test]
async fn sensitive_fields_are_encrypted_and_the_request_names_the_key() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "POST",
        APPLYMENT,
        Reply::json(200, json!({"applyment_id": 2000002124775691u64})),
    );
    let client = public_key_client(&server);
    // A typed body (fields serialised in declaration order, not sorted).
    #[derive(serde::Serialize)]
    struct Contact {
        contact_name: String,
        mobile_phone: String,
        contact_email: Option<String>,
    }
    #[derive(serde::Serialize)]
    struct Ubo {
        #[serde(skip_serializing_if = "Option::is_none")]
        ubo_id_doc_name: Option<String>,
        ubo_id_doc_type: &'static str,
    }
    #[derive(serde::Serialize)]
    struct Applyment {
        business_code: &'static str,
        contact_info: Contact,
        ubo_info_list: Vec<Ubo>,
        amount: u32,
    }
    let body = Applyment {
        business_code: "1900013511_10000",
        contact_info: Contact {
            contact_name: "张三".into(),
            mobile_phone: "13800138000".into(),
            contact_email: None,
        },
        ubo_info_list: vec![
            Ubo {
                ubo_id_doc_name: Some("李四".into()),
                ubo_id_doc_type: "IDENTIFICATION_TYPE_IDCARD",
            },
            Ubo {
                ubo_id_doc_name: Some("王五".into()),
                ubo_id_doc_type: "IDENTIFICATION_TYPE_IDCARD",
            },
            Ubo {
                ubo_id_doc_name: None,
                ubo_id_doc_type: "IDENTIFICATION_TYPE_PASSPORT",
            },
        ],
        amount: 100,
    };
    let answer: serde_json::Value = client
        .chain(APPLYMENT)
        .request(Method::POST)
        .json(&body)
        .encrypt_sensitive(&[
            "/contact_info/contact_name",
            "/contact_info/mobile_phone",
            "/contact_info/contact_email",
            "/ubo_info_list/*/ubo_id_doc_name",
            "/bank_account_info/account_number",
        ])
        .send_json()
        .await
        .expect("the platform accepts the request");
    assert_eq!(answer["applyment_id"], 2000002124775691u64);

    let req = server.last_request();
    assert_eq!(req.auth, Ok(()), "the signature covers the encrypted body");
    assert_eq!(req.header("wechatpay-serial"), Some(keys::WECHATPAY_PUBLIC_KEY_ID));
    let sent = req.body_json();
    let wechatpay_key = keys::WECHATPAY_KEY_PEM;
    let name = sent["contact_info"]["contact_name"].as_str().unwrap();
    assert_ne!(name, "张三");
    assert_eq!(B64.decode(name).unwrap().len(), 256);
    assert_eq!(oaep_decrypt(wechatpay_key, name), "张三");
    assert_eq!(
        openssl_oaep_decrypt(&keys::wechatpay_key_path(), name),
        "张三".as_bytes(),
        "openssl agrees"
    );
    assert_eq!(
        oaep_decrypt(wechatpay_key, sent["contact_info"]["mobile_phone"].as_str().unwrap()),
        "13800138000"
    );
    assert_eq!(
        oaep_decrypt(
            wechatpay_key,
            sent["ubo_info_list"][0]["ubo_id_doc_name"].as_str().unwrap()
        ),
        "李四"
    );
    assert_eq!(
        oaep_decrypt(
            wechatpay_key,
            sent["ubo_info_list"][1]["ubo_id_doc_name"].as_str().unwrap()
        ),
        "王五"
    );
    // Untouched: null, absent, non-sensitive fields.
    assert_eq!(sent["contact_info"]["contact_email"], serde_json::Value::Null);
    assert!(sent.get("bank_account_info").is_none());
    assert!(sent["ubo_info_list"][2].get("ubo_id_doc_name").is_none());
    assert_eq!(
        sent["ubo_info_list"][0]["ubo_id_doc_type"],
        "IDENTIFICATION_TYPE_IDCARD"
    );
    assert_eq!(sent["business_code"], "1900013511_10000");
    assert_eq!(sent["amount"], 100);
    // The body keeps the order it was serialised in (serde_json's map would sort it).
    let text = req.body_str();
    let order: Vec<usize> = [
        "\"business_code\"",
        "\"contact_info\"",
        "\"ubo_info_list\"",
        "\"amount\"",
    ]
    .iter()
    .map(|k| text.find(k).unwrap())
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{text}");
    assert!(
        text.find("\"contact_email\"").unwrap() > text.find("\"mobile_phone\"").unwrap(),
        "{text}"
    );
}

#[tokio::test]
async fn sensitive_fields_in_certificate_mode_use_the_platform_certificate() {
    let server = MockServer::start(MockConfig::certificate_mode()).await;
    server.on("POST", APPLYMENT, Reply::json(200, json!({})));
    let client = base(&server)
        .platform_certificate_pem(keys::PLATFORM_CERT_PEM)
        .build()
        .unwrap();
    let _: serde_json::Value = client
        .chain(APPLYMENT)
        .request(Method::POST)
        .json(&json!({"id_card_name": "张三"}))
        .encrypt_sensitive(&["/id_card_name"])
        .send_json()
        .await
        .unwrap();
    let req = server.last_request();
    assert_eq!(req.header("wechatpay-serial"), Some(keys::PLATFORM_CERT_SERIAL));
    let ct = req.body_json()["id_card_name"].as_str().unwrap().to_owned();
    assert_eq!(oaep_decrypt(keys::PLATFORM_CERT_KEY_PEM, &ct), "张三");
    assert_eq!(
        openssl_oaep_decrypt(&keys::platform_cert_key_path(), &ct),
        "张三".as_bytes()
    );
}

#[tokio::test]
async fn sensitive_fields_without_a_key_or_of_the_wrong_type_send_nothing() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", APPLYMENT, Reply::json(200, json!({})));

    // No public key, no certificate downloaded yet.
    let client = download_client(&server);
    let result: Result<serde_json::Value, Error> = client
        .chain(APPLYMENT)
        .request(Method::POST)
        .json(&json!({"id_card_name": "张三"}))
        .encrypt_sensitive(&["/id_card_name"])
        .send_json()
        .await;
    match result {
        Err(Error::Config(msg)) => assert!(msg.contains("no key to encrypt sensitive fields"), "{msg}"),
        other => panic!("{other:?}"),
    }
    assert!(client.encrypt_sensitive_value("x").is_err());
    assert_eq!(client.sensitive_key_serial(), None);

    // A number where a string is expected.
    let client = public_key_client(&server);
    let result: Result<serde_json::Value, Error> = client
        .chain(APPLYMENT)
        .request(Method::POST)
        .json(&json!({"id_card_number": 110101199003070000u64}))
        .encrypt_sensitive(&["/id_card_number"])
        .send_json()
        .await;
    assert!(matches!(result, Err(Error::InvalidRequest(m)) if m.contains("/id_card_number is a number")));
    assert!(server.requests().is_empty(), "nothing was sent");

    // Nothing to encrypt and no key: sent as is, without Wechatpay-Serial.
    // (The download client cannot verify the answer: only what was sent matters here.)
    let _ = download_client(&server)
        .chain(APPLYMENT)
        .request(Method::POST)
        .json(&json!({"other": 1}))
        .encrypt_sensitive(&["/id_card_name"])
        .send_empty()
        .await;
    assert_eq!(server.last_request().header("wechatpay-serial"), None);
    assert_eq!(server.last_request().body_str(), r#"{"other":1}"#);
}

#[tokio::test]
async fn encrypted_response_fields_are_decrypted_with_the_merchant_key() {
    let server = MockServer::start(MockConfig::default()).await;
    // WeChat Pay encrypts the field to the merchant public key (openssl does it here).
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("pt.bin");
    std::fs::write(&input, "6225880137000000".as_bytes()).unwrap();
    let out = Command::new("openssl")
        .args(["pkeyutl", "-encrypt", "-pubin", "-inkey"])
        .arg(keys::merchant_pub_path())
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
        .unwrap();
    assert!(out.status.success());
    let encrypted = B64.encode(out.stdout);
    server.on("GET", TX, Reply::json(200, json!({"account_number": encrypted})));
    let client = public_key_client(&server);
    let tx = get_tx(&client).await.unwrap();
    assert_eq!(
        client
            .decrypt_sensitive(tx["account_number"].as_str().unwrap())
            .unwrap(),
        "6225880137000000"
    );
    // Encrypted to another key (the WeChat Pay one): not for us.
    let other = client.encrypt_sensitive_value("6225880137000000").unwrap();
    assert!(matches!(
        client.decrypt_sensitive(&other.ciphertext),
        Err(Error::Decrypt(_))
    ));
}

// ------------------------------------------------------------------ platform certificates

#[tokio::test]
async fn certificate_download_bootstraps_legacy_mode() {
    let server = MockServer::start(MockConfig::certificate_mode()).await;
    server.on("GET", CERTIFICATES, certificates_reply());
    server.on("GET", TX, Reply::json(200, json!({"trade_state": "SUCCESS"})));
    let client = download_client(&server);
    let clone = client.clone();
    assert!(client.platform_certificates().is_empty());
    // Before the download no response can be verified.
    assert!(matches!(
        get_tx(&client).await,
        Err(Error::Verification(VerificationError::UnknownSerial(s))) if s == keys::PLATFORM_CERT_SERIAL
    ));

    let downloaded = client.refresh_platform_certificates().await.expect("download");
    assert_eq!(downloaded.len(), 1);
    assert_eq!(downloaded[0].serial, keys::PLATFORM_CERT_SERIAL);
    assert_eq!(downloaded[0].not_before, 1_577_836_800);
    assert_eq!(
        pem_der(&downloaded[0].pem),
        pem_der(keys::PLATFORM_CERT_PEM),
        "the decrypted certificate"
    );

    let req = server
        .requests()
        .into_iter()
        .find(|r| r.path() == CERTIFICATES)
        .unwrap();
    assert_eq!(
        (req.method.as_str(), req.auth.clone(), req.body.is_empty()),
        ("GET", Ok(()), true)
    );

    // Every clone shares the store: the clone made before the download verifies now.
    assert_eq!(get_tx(&clone).await.unwrap()["trade_state"], "SUCCESS");
    assert_eq!(clone.platform_certificates(), downloaded);
    // Sensitive fields now go to the certificate.
    assert_eq!(
        client.sensitive_key_serial().as_deref(),
        Some(keys::PLATFORM_CERT_SERIAL)
    );
    // A second download replaces nothing and keeps one entry per serial.
    client.refresh_platform_certificates().await.unwrap();
    assert_eq!(client.platform_certificates().len(), 1);
}

#[tokio::test]
async fn public_key_and_certificates_at_once() {
    let server = MockServer::start(MockConfig::public_key_mode()).await;
    // The list is signed with a key the client already trusts (the request names the public
    // key in Wechatpay-Serial); one signed only by a certificate it carries is refused.
    server.on(
        "GET",
        CERTIFICATES,
        certificates_reply().signed_by(ResponseKey::platform_certificate()),
    );
    server.on("GET", TX, Reply::json(200, json!({"k": "public key"})));
    server.on(
        "GET",
        "/v3/refund/domestic/refunds/R1",
        Reply::json(200, json!({"k": "cert"})).signed_by(ResponseKey::platform_certificate()),
    );
    let client = base(&server)
        .wechatpay_public_key(keys::WECHATPAY_PUBLIC_KEY_ID, keys::WECHATPAY_PUB_PEM)
        .platform_certificates_download()
        .build()
        .unwrap();
    let refund = || async {
        client
            .chain("/v3/refund/domestic/refunds/R1")
            .request(Method::GET)
            .send_json::<serde_json::Value>()
            .await
    };
    assert!(matches!(
        refund().await,
        Err(Error::Verification(VerificationError::UnknownSerial(_)))
    ));
    let e = client.refresh_platform_certificates().await.unwrap_err();
    assert!(
        matches!(e, Error::Verification(VerificationError::UnknownSerial(_))),
        "{e:?}"
    );
    assert!(
        client.platform_certificates().is_empty(),
        "nothing is trusted from that answer"
    );
    server.on("GET", CERTIFICATES, certificates_reply());
    client.refresh_platform_certificates().await.unwrap();
    assert_eq!(get_tx(&client).await.unwrap()["k"], "public key");
    assert_eq!(refund().await.unwrap()["k"], "cert");
    // The public key stays the one sensitive fields are encrypted with.
    assert_eq!(
        client.sensitive_key_serial().as_deref(),
        Some(keys::WECHATPAY_PUBLIC_KEY_ID)
    );

    // Once a certificate is trusted, a list signed with it is accepted too.
    server.on(
        "GET",
        CERTIFICATES,
        certificates_reply().signed_by(ResponseKey::platform_certificate()),
    );
    client.refresh_platform_certificates().await.unwrap();
}

#[tokio::test]
async fn public_key_mode_needs_no_certificates() {
    // Merchants without platform certificates: /v3/certificates answers 404, nothing else cares.
    let server = MockServer::start(MockConfig::public_key_mode()).await;
    server.on(
        "GET",
        CERTIFICATES,
        Reply::error(404, "RESOURCE_NOT_EXISTS", "无可用的平台证书"),
    );
    server.on("GET", TX, Reply::json(200, json!({})));
    let client = public_key_client(&server);
    get_tx(&client).await.unwrap();
    assert_eq!(
        server.hits("GET", CERTIFICATES),
        0,
        "nothing downloads certificates by itself"
    );
    match client.refresh_platform_certificates().await {
        Err(e @ Error::Api { .. }) => assert_eq!((e.status(), e.api_code()), (Some(404), Some("RESOURCE_NOT_EXISTS"))),
        other => panic!("{other:?}"),
    }
    get_tx(&client).await.unwrap();
    // Building in download mode without the APIv3 key is a configuration error.
    let e = Client::builder()
        .mchid(keys::MCHID)
        .merchant_serial(keys::MERCHANT_SERIAL)
        .private_key_pem(keys::MERCHANT_KEY_PEM)
        .platform_certificates_download()
        .build()
        .unwrap_err();
    assert!(matches!(e, Error::Config(m) if m.contains("APIv3 key")));
}

#[tokio::test]
async fn certificate_download_failures_leave_the_store_unchanged() {
    let server = MockServer::start(MockConfig::certificate_mode()).await;
    let client = download_client(&server);
    let expect = |reply: Reply| {
        server.on("GET", CERTIFICATES, reply);
        client.refresh_platform_certificates()
    };

    // Encrypted with another APIv3 key: GCM authentication fails.
    let other_key = Reply::json(
        200,
        certificates_body(
            "ZZp4yDNs9kT2vQ8rL6mB3cZ7hF1jG5aE",
            keys::PLATFORM_CERT_SERIAL,
            keys::PLATFORM_CERT_PEM,
        ),
    );
    assert!(matches!(expect(other_key).await, Err(Error::Decrypt(m)) if m.contains("authentication failed")));
    // Body changed after signing.
    let mut changed = certificates_body(APIV3_KEY, keys::PLATFORM_CERT_SERIAL, keys::PLATFORM_CERT_PEM);
    changed["data"][0]["effective_time"] = json!("2021-01-01T08:00:00+08:00");
    let tampered = certificates_reply().tamper(Tamper::BodyAfterSigning(serde_json::to_vec(&changed).unwrap()));
    assert!(matches!(
        expect(tampered).await,
        Err(Error::Verification(VerificationError::BadSignature { .. }))
    ));
    // Signed by a key that is not the certificate's, under its serial.
    assert!(matches!(
        expect(certificates_reply().tamper(Tamper::WrongKey)).await,
        Err(Error::Verification(VerificationError::BadSignature { .. }))
    ));
    // Signed under a serial neither held nor carried.
    assert!(matches!(
        expect(certificates_reply().tamper(Tamper::UnknownSerial)).await,
        Err(Error::Verification(VerificationError::UnknownSerial(s))) if s == UNKNOWN_SERIAL
    ));
    // Stale timestamp; no signature at all.
    assert!(matches!(
        expect(certificates_reply().tamper(Tamper::stale_past())).await,
        Err(Error::Verification(VerificationError::StaleTimestamp { .. }))
    ));
    assert!(matches!(
        expect(certificates_reply().tamper(Tamper::Unsigned)).await,
        Err(Error::Verification(VerificationError::MissingHeader(_)))
    ));
    // The serial announced is not the certificate's.
    let lying = Reply::json(
        200,
        certificates_body(
            APIV3_KEY,
            "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
            keys::PLATFORM_CERT_PEM,
        ),
    );
    assert!(matches!(expect(lying).await, Err(Error::Config(m)) if m.contains("has serial")));
    // Not a certificate.
    let garbage = Reply::json(200, certificates_body(APIV3_KEY, keys::PLATFORM_CERT_SERIAL, "hello"));
    assert!(matches!(expect(garbage).await, Err(Error::Config(_))));
    // Not the expected JSON.
    assert!(matches!(
        expect(Reply::json(200, json!({"data": "x"}))).await,
        Err(Error::Decode { .. })
    ));

    assert!(client.platform_certificates().is_empty(), "no failure added anything");
    server.on("GET", TX, Reply::json(200, json!({})));
    assert!(matches!(
        get_tx(&client).await,
        Err(Error::Verification(VerificationError::UnknownSerial(_)))
    ));
    // And the good answer still works afterwards.
    assert_eq!(expect(certificates_reply()).await.unwrap().len(), 1);
    get_tx(&client).await.unwrap();
}

/// TEST ONLY certificates of `wechatpay_key.pem`, made with Python `cryptography`
/// (`x509.CertificateBuilder`): serial E1 valid 2020-01-01 … 2021-01-01 (expired), serial B2
/// valid 2024-01-01 … 2099-01-01 (a rotated platform certificate).
const EXPIRED_CERT: &str = "-----BEGIN CERTIFICATE-----
MIICsjCCAZqgAwIBAgICAOEwDQYJKoZIhvcNAQELBQAwHDEaMBgGA1UEAwwRZXhw
aXJlZCBURVNUIE9OTFkwHhcNMjAwMTAxMDAwMDAwWhcNMjEwMTAxMDAwMDAwWjAc
MRowGAYDVQQDDBFleHBpcmVkIFRFU1QgT05MWTCCASIwDQYJKoZIhvcNAQEBBQAD
ggEPADCCAQoCggEBALiBo5v3csbycC36zOTPxT+R4u6QKNqXnEPqD1lc8n+Y/1oL
Kt/zvtEmh1tofmWBRHi+FvEqGIWvfQ7bm8PfchYVyPS3U5NwCbzWZnCF4GCBZKKM
d+VyXMl/goNO8wKuXk8YGL0hRy/+XSwkl4kZLhleH3XpN03lByrlVzM9uxoM+Gtb
LkW0v7eigNS9dplaVxV8kwYa9Om7cdlhDdBgC6nzqKYX4y8AiZJeKlXCFnujEA9n
ri7vAVhiuZDJNrKSpIggyGQ0oQf2ibzWIgO8Vru9sR7l6G8TSzUVD1/wtdkNDX43
SBAwNChnPDlttq4XI8CYwt/241033Nu8czUt4v0CAwEAATANBgkqhkiG9w0BAQsF
AAOCAQEATXLGooWlzUzbiGmJZVjOoWdPUTDoRZLnfX28AWdpkIarRlSbl/gngbPQ
DflD0y4IuZEcqw7mdE9YczKr8yST4gqLaKdycf1JvdwtO/q8IG+urnKrNo8PjNAp
mUXSC33k0g5bUYkpYS8gDKVN/Mtd0ZnlI2GT93+Mk5WsnB6sjp6WQu/dCaJEYRYq
2y9dWWiutxEsIR/jVsS2hsf6049MawfoPWM4IYd6EjlrLGTm7En59/oZnJzUTylZ
u/AbubRLyunywNPzKPlmgK+GEHBWnqaXxinVUIZABVWgF8TjQlm1TobQjIh1xyAQ
APd0LG0aPh+fkB95HthX9KgD1kfobQ==
-----END CERTIFICATE-----
";
const ROTATED_CERT: &str = "-----BEGIN CERTIFICATE-----
MIICtDCCAZygAwIBAgICALIwDQYJKoZIhvcNAQELBQAwHDEaMBgGA1UEAwwRcm90
YXRlZCBURVNUIE9OTFkwIBcNMjQwMTAxMDAwMDAwWhgPMjA5OTAxMDEwMDAwMDBa
MBwxGjAYBgNVBAMMEXJvdGF0ZWQgVEVTVCBPTkxZMIIBIjANBgkqhkiG9w0BAQEF
AAOCAQ8AMIIBCgKCAQEAuIGjm/dyxvJwLfrM5M/FP5Hi7pAo2pecQ+oPWVzyf5j/
Wgsq3/O+0SaHW2h+ZYFEeL4W8SoYha99Dtubw99yFhXI9LdTk3AJvNZmcIXgYIFk
oox35XJcyX+Cg07zAq5eTxgYvSFHL/5dLCSXiRkuGV4fdek3TeUHKuVXMz27Ggz4
a1suRbS/t6KA1L12mVpXFXyTBhr06btx2WEN0GALqfOophfjLwCJkl4qVcIWe6MQ
D2euLu8BWGK5kMk2spKkiCDIZDShB/aJvNYiA7xWu72xHuXobxNLNRUPX/C12Q0N
fjdIEDA0KGc8OW22rhcjwJjC3/bjXTfc27xzNS3i/QIDAQABMA0GCSqGSIb3DQEB
CwUAA4IBAQACG1Rr+V2QATuWOCLDpyrlfeZawxfvEtM90qeWGGSPTqrDmP37cm/K
9LwEyhclb3YtMVOJQl5P+5LWfDuGUTuZTf+UD8i22v83bGFoqnx5S33fbX835DEA
EMum7gqaRvG3YUdkXpATkT51UO9G8tfhu8nVinWwccwWggFR0SvoelVhTV8LYNQG
mReFNtCYOHm8Loud082UDvcLN56FTx/b8s7rwmW7jM+Vaw34beKp1UieuIeUxV2s
nHLc0SNHLrXbJo3m1VvdA0Ah1pMhctauIE2RRxLuHKBfeWSi5pNf3h+YMlxQoj5s
j+UGmEAx/3HN1vbaFG20kXwpp5j5i4pg
-----END CERTIFICATE-----
";

#[tokio::test]
async fn rotation_keeps_valid_certificates_until_they_expire() {
    let server = MockServer::start(MockConfig::certificate_mode()).await;
    server.on("GET", TX, Reply::json(200, json!({})));
    let rotated_key = ResponseKey::from_pem("B2", keys::WECHATPAY_KEY_PEM).unwrap();
    server.on(
        "GET",
        "/v3/refund/domestic/refunds/R1",
        Reply::json(200, json!({})).signed_by(rotated_key.clone()),
    );
    let client = base(&server)
        .platform_certificate_pem(EXPIRED_CERT)
        .platform_certificates_download()
        .build()
        .unwrap();
    // An expired certificate never encrypts.
    assert_eq!(client.sensitive_key_serial(), None);
    let serials = |c: &Client| {
        c.platform_certificates()
            .into_iter()
            .map(|c| c.serial)
            .collect::<Vec<_>>()
    };
    assert_eq!(serials(&client), ["E1"]);

    server.on("GET", CERTIFICATES, certificates_reply());
    client.refresh_platform_certificates().await.unwrap();
    assert_eq!(
        serials(&client),
        [keys::PLATFORM_CERT_SERIAL],
        "the expired certificate is dropped"
    );

    // WeChat Pay rotates: the list now holds the new certificate (and an expired one, skipped).
    // Signed only with the new one, a key the client does not trust yet, it is refused; signed
    // with the certificate the client holds (the one the request names), it is taken.
    let list = certificates_list(APIV3_KEY, &[("B2", ROTATED_CERT), ("E1", EXPIRED_CERT)]);
    server.on(
        "GET",
        CERTIFICATES,
        Reply::json(200, list.clone()).signed_by(rotated_key),
    );
    let e = client.refresh_platform_certificates().await.unwrap_err();
    assert!(
        matches!(e, Error::Verification(VerificationError::UnknownSerial(ref s)) if s == "B2"),
        "{e:?}"
    );
    assert_eq!(serials(&client), [keys::PLATFORM_CERT_SERIAL], "nothing new is trusted");
    server.on("GET", CERTIFICATES, Reply::json(200, list));
    let downloaded = client.refresh_platform_certificates().await.unwrap();
    assert_eq!(downloaded.iter().map(|c| c.serial.as_str()).collect::<Vec<_>>(), ["B2"]);
    assert_eq!(
        serials(&client),
        ["B2", keys::PLATFORM_CERT_SERIAL],
        "the old one is kept, newest first"
    );
    // Responses signed with the old and with the new certificate both verify.
    get_tx(&client).await.unwrap();
    let _: serde_json::Value = client
        .chain("/v3/refund/domestic/refunds/R1")
        .request(Method::GET)
        .send_json()
        .await
        .unwrap();
    // Sensitive fields go to the newest valid certificate.
    let v = client.encrypt_sensitive_value("z").unwrap();
    assert_eq!(v.serial, "B2");
    assert_eq!(oaep_decrypt(keys::WECHATPAY_KEY_PEM, &v.ciphertext), "z");
}

async fn wait_until(what: &str, timeout: Duration, mut check: impl FnMut() -> bool) {
    let start = Instant::now();
    while !check() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn auto_refresh_downloads_at_once_repeats_and_stops_with_the_client() {
    let server = MockServer::start(MockConfig::certificate_mode()).await;
    server.on("GET", CERTIFICATES, certificates_reply());
    server.on("GET", TX, Reply::json(200, json!({})));
    let client = base(&server)
        .platform_certificates_auto_refresh(Duration::from_secs(1))
        .build()
        .unwrap();
    wait_until("the first download", Duration::from_secs(5), || {
        !client.platform_certificates().is_empty()
    })
    .await;
    get_tx(&client).await.unwrap();
    assert_eq!(client.platform_certificates_refresh_error(), None);
    wait_until("a second download", Duration::from_secs(5), || {
        server.hits("GET", CERTIFICATES) >= 2
    })
    .await;

    drop(client);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let hits = server.hits("GET", CERTIFICATES);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        server.hits("GET", CERTIFICATES) <= hits + 1,
        "the task stops once the client is gone"
    );
}

#[tokio::test]
async fn auto_refresh_failure_is_reported_and_retried() {
    let server = MockServer::start(MockConfig::certificate_mode()).await;
    server.on_sequence(
        "GET",
        CERTIFICATES,
        vec![Reply::error(500, "SYSTEM_ERROR", "busy"), certificates_reply()],
    );
    let client = base(&server)
        .platform_certificates_auto_refresh(Duration::from_secs(1))
        .build()
        .unwrap();
    wait_until("the failed download", Duration::from_secs(5), || {
        client.platform_certificates_refresh_error().is_some()
    })
    .await;
    let error = client.platform_certificates_refresh_error().unwrap();
    assert!(error.contains("500") && error.contains("SYSTEM_ERROR"), "{error}");
    assert!(client.platform_certificates().is_empty());
    wait_until("the retry", Duration::from_secs(5), || {
        !client.platform_certificates().is_empty()
    })
    .await;
    wait_until("the error to clear", Duration::from_secs(2), || {
        client.platform_certificates_refresh_error().is_none()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refresh_in_progress_never_blocks_requests() {
    let server = MockServer::start(MockConfig::certificate_mode()).await;
    server.on(
        "GET",
        CERTIFICATES,
        certificates_reply().delay(Duration::from_millis(1500)),
    );
    server.on("GET", TX, Reply::json(200, json!({})));
    let client = base(&server)
        .platform_certificate_pem(keys::PLATFORM_CERT_PEM)
        .platform_certificates_download()
        .build()
        .unwrap();
    let background = client.clone();
    let refresh = tokio::spawn(async move { background.refresh_platform_certificates().await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let start = Instant::now();
    get_tx(&client).await.unwrap();
    assert!(
        start.elapsed() < Duration::from_millis(1000),
        "request waited {:?}",
        start.elapsed()
    );
    assert!(!refresh.is_finished(), "the refresh was still running");
    assert_eq!(refresh.await.unwrap().unwrap().len(), 1);
    // The blocking form refuses to run inside the runtime.
    assert!(matches!(
        client.refresh_platform_certificates_blocking(),
        Err(Error::Blocking)
    ));
}

#[test]
fn blocking_refresh_outside_async_code() {
    let server = MockServer::start_blocking(MockConfig::certificate_mode());
    server.on("GET", CERTIFICATES, certificates_reply());
    server.on("GET", TX, Reply::json(200, json!({"ok": true})));
    let client = download_client(&server);
    let certs = client.refresh_platform_certificates_blocking().unwrap();
    assert_eq!(certs[0].serial, keys::PLATFORM_CERT_SERIAL);
    let tx: serde_json::Value = client.chain(TX).request(Method::GET).send_json().blocking().unwrap();
    assert_eq!(tx["ok"], true);
}

// ------------------------------------------------------------------ notifications over HTTP

/// A merchant's notify_url on 127.0.0.1: hands the raw body and headers to
/// `Client::handle_notification` and answers with `NotificationAnswer`.
async fn merchant_endpoint(
    client: Client,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<wechatpay::NotificationEvent>>>,
) {
    use http_body_util::{BodyExt, Full};
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let seen = events.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let client = client.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let client = client.clone();
                    let seen = seen.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        let answer = match client.handle_notification(&parts.headers, &body) {
                            Ok(event) => {
                                seen.lock().unwrap().push(event);
                                wechatpay::NotificationAnswer::success()
                            }
                            Err(e) => wechatpay::NotificationAnswer::for_error(&e),
                        };
                        let mut response = hyper::Response::builder().status(answer.status());
                        if let Some(ct) = answer.content_type() {
                            response = response.header("Content-Type", ct);
                        }
                        Ok::<_, std::convert::Infallible>(
                            response
                                .body(Full::new(bytes::Bytes::from(answer.body().to_owned())))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, events)
}

#[tokio::test]
async fn notifications_posted_over_http_are_verified_decrypted_and_answered() {
    use wechatpay::notifications::Resource;
    use wechatpay_sandbox::notify::{make_notification, send_notification};
    let server = MockServer::start(MockConfig::default()).await;
    let (url, events) = merchant_endpoint(public_key_client(&server)).await;
    let platform = ResponseKey::wechatpay_public_key();

    let tx = json!({"mchid": keys::MCHID, "appid": "wxd678efh567hg6787", "out_trade_no": "T-1",
                    "transaction_id": "4200000000", "trade_state": "SUCCESS", "amount": {"total": 1, "currency": "CNY"}});
    let n = make_notification(&platform, APIV3_KEY, "TRANSACTION.SUCCESS", &tx).unwrap();
    assert_eq!(send_notification(&url, &n).await.unwrap(), (204, String::new()));
    let refund =
        json!({"mchid": keys::MCHID, "out_refund_no": "R-1", "refund_status": "SUCCESS", "amount": {"refund": 1}});
    let n = make_notification(&platform, APIV3_KEY, "REFUND.SUCCESS", &refund).unwrap();
    assert_eq!(send_notification(&url, &n).await.unwrap().0, 204);
    {
        let events = events.lock().unwrap();
        assert_eq!(events.len(), 2);
        let Resource::Transaction(t) = Resource::decode(&events[0]).unwrap() else {
            panic!("{:?}", events[0])
        };
        assert_eq!(
            (t.out_trade_no.as_str(), t.amount.as_ref().unwrap().total),
            ("T-1", Some(1))
        );
        let Resource::Refund(r) = Resource::decode(&events[1]).unwrap() else {
            panic!("{:?}", events[1])
        };
        assert_eq!(r.out_refund_no.as_deref(), Some("R-1"));
    }

    // Another APIv3 key: 400 with {"code":"FAIL"}; another signing key: 401.
    let n = make_notification(
        &platform,
        "ZZp4yDNs9kT2vQ8rL6mB3cZ7hF1jG5aE",
        "TRANSACTION.SUCCESS",
        &tx,
    )
    .unwrap();
    let (status, body) = send_notification(&url, &n).await.unwrap();
    assert_eq!(status, 400);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["code"], "FAIL");
    assert!(
        body["message"].as_str().unwrap().contains("decryption failed"),
        "{body}"
    );
    let forger = ResponseKey::from_pem(keys::WECHATPAY_PUBLIC_KEY_ID, keys::MERCHANT_KEY_PEM).unwrap();
    let n = make_notification(&forger, APIV3_KEY, "TRANSACTION.SUCCESS", &tx).unwrap();
    let (status, body) = send_notification(&url, &n).await.unwrap();
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("bad signature"), "{body}");
    assert_eq!(
        events.lock().unwrap().len(),
        2,
        "rejected notifications are not handed on"
    );
}

#[test]
fn auto_refresh_outside_async_code_runs_on_the_blocking_runtime() {
    let server = MockServer::start_blocking(MockConfig::certificate_mode());
    server.on("GET", CERTIFICATES, certificates_reply());
    server.on("GET", TX, Reply::json(200, json!({})));
    let client = base(&server)
        .platform_certificates_auto_refresh(Duration::from_secs(1))
        .build()
        .unwrap();
    let start = Instant::now();
    while client.platform_certificates().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "timed out waiting for the first download"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let _: serde_json::Value = client.chain(TX).request(Method::GET).send_json().blocking().unwrap();
    drop(client);
    std::thread::sleep(Duration::from_millis(1500));
}

/// The certificate list is capped like every JSON answer (`max_response_body`): a 2 MB answer
/// to a client capped at 1 MiB is refused unread, nothing trusted from it.
#[tokio::test]
async fn an_oversized_certificate_list_is_refused_unread() {
    let server = MockServer::start(MockConfig::certificate_mode()).await;
    let huge = json!({"data": [], "padding": "x".repeat(2 << 20)});
    server.on("GET", CERTIFICATES, Reply::json(200, huge));
    let client = base(&server)
        .platform_certificates_download()
        .max_response_body(1 << 20)
        .build()
        .unwrap();
    let e = client.refresh_platform_certificates().await.unwrap_err();
    assert!(matches!(e, Error::BodyTooLarge { limit } if limit == 1 << 20), "{e:?}");
    assert!(client.platform_certificates().is_empty());
}

/// The certificate download goes through the one send path of every call: a 500 is retried
/// as configured (it had its own copy, without retries or failover).
#[tokio::test]
async fn the_certificate_download_is_retried_like_any_call() {
    let server = MockServer::start(MockConfig::certificate_mode()).await;
    server.on_sequence(
        "GET",
        CERTIFICATES,
        vec![Reply::error(500, "SYSTEM_ERROR", "busy"), certificates_reply()],
    );
    let client = base(&server)
        .platform_certificates_download()
        .retries(1)
        .retry_backoff(std::time::Duration::from_millis(5))
        .build()
        .unwrap();
    let downloaded = client
        .refresh_platform_certificates()
        .await
        .expect("the retry succeeds");
    assert_eq!(downloaded.len(), 1);
    assert_eq!(server.hits("GET", CERTIFICATES), 2);
}
