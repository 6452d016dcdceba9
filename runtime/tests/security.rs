//! Notifications, sensitive-field encryption, pay-sign helpers and the platform-certificate
//! key selection, without a server. Keys are the real test keys in `tests/keys/`;
//! notifications are produced here the way WeChat Pay does (AES-256-GCM with the APIv3 key,
//! RSA-SHA256 with the platform key) and cross-checked with independent implementations:
//! the `openssl` CLI (signatures, RSA-OAEP both ways) and a known answer computed with
//! Python's `cryptography` package (AES-GCM, which the `openssl` CLI cannot do).

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use aws_lc_rs::rsa::{OaepPrivateDecryptingKey, PrivateDecryptingKey, OAEP_SHA1_MGF1SHA1};
use aws_lc_rs::signature::{RsaKeyPair, UnparsedPublicKey, RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use serde_json::json;
use wechatpay::notifications::Resource;
use wechatpay::runtime::{AppPayParams, HeaderMap, JsapiPayParams, NotificationAnswer, RsaSigner, Signer};
use wechatpay::{Client, ClientBuilder, Error, VerificationError};

#[path = "common/keys.rs"]
mod keys;
use keys::{key_path, MCHID, MERCHANT_SERIAL, PLATFORM_CERT_SERIAL, PUB_KEY_ID};

/// The APIv3 key of the known answers below (not a key file).
const APIV3_KEY: &str = "Wxp4yDNs9kT2vQ8rL6mB3cZ7hF1jG5aE";

/// One set of test keys: the runtime's tests use the identifiers and files the sandbox
/// publishes as `wechatpay_sandbox::keys`.
#[test]
fn the_runtime_test_keys_are_the_sandbox_keys() {
    use wechatpay_sandbox::keys as sandbox;
    assert_eq!(MCHID, sandbox::MCHID);
    assert_eq!(MERCHANT_SERIAL, sandbox::MERCHANT_SERIAL);
    assert_eq!(PUB_KEY_ID, sandbox::WECHATPAY_PUBLIC_KEY_ID);
    assert_eq!(PLATFORM_CERT_SERIAL, sandbox::PLATFORM_CERT_SERIAL);
    let k = keys::keys();
    assert_eq!(k.merchant_pkcs8, sandbox::MERCHANT_KEY_PEM);
    assert_eq!(k.wechatpay_pub, sandbox::WECHATPAY_PUB_PEM);
    assert_eq!(k.platform_cert, sandbox::PLATFORM_CERT_PEM);
    // The certificate's serial is the one the constant says (read by openssl, not by us).
    let out = keys::openssl(&[
        "x509",
        "-in",
        key_path("platform_cert.pem").to_str().unwrap(),
        "-noout",
        "-serial",
    ]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("serial={PLATFORM_CERT_SERIAL}")
    );
}

fn key_text(file: &str) -> String {
    std::fs::read_to_string(key_path(file)).unwrap_or_else(|e| panic!("tests/keys/{file}: {e}"))
}

fn pem_der(text: &str) -> Vec<u8> {
    let body: String = text.lines().filter(|l| !l.starts_with("-----")).collect();
    B64.decode(body).unwrap()
}

/// A public-key-mode client with the APIv3 key.
fn client() -> Client {
    builder().build().unwrap()
}

fn builder() -> ClientBuilder {
    Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .private_key_pem(&key_text("merchant_key.pem"))
        .wechatpay_public_key(PUB_KEY_ID, &key_text("wechatpay_pub.pem"))
        .apiv3_key(APIV3_KEY)
        .base_url("http://127.0.0.1:9")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

// ------------------------------------------------------------------ helpers playing WeChat Pay

fn rsa_sign(private_pem: &str, message: &[u8]) -> String {
    let key = RsaKeyPair::from_pkcs8(&pem_der(private_pem)).unwrap();
    let mut sig = vec![0u8; key.public_modulus_len()];
    key.sign(
        &RSA_PKCS1_SHA256,
        &aws_lc_rs::rand::SystemRandom::new(),
        message,
        &mut sig,
    )
    .unwrap();
    B64.encode(sig)
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

fn envelope(event_type: &str, original_type: &str, nonce: &str, ciphertext: &str) -> Vec<u8> {
    json!({
        "id": "EV-2018022511223320873",
        "create_time": "2015-05-20T13:29:35+08:00",
        "resource_type": "encrypt-resource",
        "event_type": event_type,
        "summary": "支付成功",
        "resource": {
            "original_type": original_type,
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": ciphertext,
            "associated_data": original_type,
            "nonce": nonce
        }
    })
    .to_string()
    .into_bytes()
}

#[derive(Clone)]
struct Signed {
    timestamp: String,
    nonce: String,
    signature: String,
    serial: String,
}

impl Signed {
    fn headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("Wechatpay-Timestamp", self.timestamp.parse().unwrap());
        h.insert("Wechatpay-Nonce", self.nonce.parse().unwrap());
        h.insert("Wechatpay-Signature", self.signature.parse().unwrap());
        h.insert("Wechatpay-Serial", self.serial.parse().unwrap());
        h
    }
}

/// Signs `body` as WeChat Pay signs a notification.
fn sign_body(private_pem: &str, serial: &str, timestamp: i64, body: &[u8]) -> Signed {
    let nonce = wechatpay::runtime::nonce();
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    Signed {
        timestamp: timestamp.to_string(),
        nonce,
        signature: rsa_sign(private_pem, &message),
        serial: serial.into(),
    }
}

/// A notification as WeChat Pay sends it (public-key mode): encrypted with `apiv3_key`,
/// signed with the WeChat Pay private key.
fn notification(event_type: &str, original_type: &str, plain: &[u8], apiv3_key: &str) -> (HeaderMap, Vec<u8>) {
    let nonce = "A1b2C3d4E5f6";
    let body = envelope(
        event_type,
        original_type,
        nonce,
        &gcm_encrypt(apiv3_key, nonce, original_type, plain),
    );
    let signed = sign_body(&key_text("wechatpay_key.pem"), PUB_KEY_ID, now(), &body);
    (signed.headers(), body)
}

static TMP: AtomicUsize = AtomicUsize::new(0);

fn tmp_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "wechatpay-security-{}-{}",
        std::process::id(),
        TMP.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

fn openssl(args: &[&str]) -> std::process::Output {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("the openssl CLI is required by the tests")
}

fn openssl_verify(public_pem_path: &str, message: &[u8], signature_b64: &str) -> bool {
    let msg = tmp_file("msg.bin", message);
    let sig = tmp_file("sig.bin", &B64.decode(signature_b64).unwrap());
    let out = openssl(&[
        "dgst",
        "-sha256",
        "-verify",
        public_pem_path,
        "-signature",
        sig.to_str().unwrap(),
        msg.to_str().unwrap(),
    ]);
    out.status.success() && String::from_utf8_lossy(&out.stdout).contains("Verified OK")
}

const OAEP_SHA1: [&str; 6] = [
    "-pkeyopt",
    "rsa_padding_mode:oaep",
    "-pkeyopt",
    "rsa_oaep_md:sha1",
    "-pkeyopt",
    "rsa_mgf1_md:sha1",
];

fn openssl_oaep_decrypt(private_key_file: &str, ciphertext_b64: &str) -> Result<Vec<u8>, String> {
    let input = tmp_file("ct.bin", &B64.decode(ciphertext_b64).unwrap());
    let key = key_path(private_key_file);
    let mut args = vec![
        "pkeyutl",
        "-decrypt",
        "-inkey",
        key.to_str().unwrap(),
        "-in",
        input.to_str().unwrap(),
    ];
    args.extend(OAEP_SHA1);
    let out = openssl(&args);
    if out.status.success() {
        Ok(out.stdout)
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn openssl_encrypt(public_key_file: &str, plain: &[u8], padding: &[&str]) -> String {
    let input = tmp_file("pt.bin", plain);
    let key = key_path(public_key_file);
    let mut args = vec![
        "pkeyutl",
        "-encrypt",
        "-pubin",
        "-inkey",
        key.to_str().unwrap(),
        "-in",
        input.to_str().unwrap(),
    ];
    args.extend(padding);
    let out = openssl(&args);
    assert!(
        out.status.success(),
        "openssl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    B64.encode(out.stdout)
}

// ------------------------------------------------------------------ notifications

/// AES-256-GCM known answer computed with Python `cryptography` (`AESGCM(APIV3_KEY)
/// .encrypt(b"n0nce4Notify", TX_PLAIN, b"transaction")`), an implementation independent of the
/// crate's.
const TX_NONCE: &str = "n0nce4Notify";
const TX_PLAIN: &str = r#"{"mchid":"1900000001","appid":"wxd678efh567hg6787","out_trade_no":"1217752501201407033233368018","transaction_id":"4200000000201407033233368018","trade_type":"JSAPI","trade_state":"SUCCESS","trade_state_desc":"支付成功","bank_type":"CMC","attach":"","success_time":"2018-06-08T10:34:56+08:00","payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},"amount":{"total":100,"payer_total":100,"currency":"CNY","payer_currency":"CNY"},"promotion_detail":[]}"#;
const TX_CIPHERTEXT: &str = "/C4JmVczYscHgB2G3qwurR8SNAX/BrsiFnzd521SF9ETqBnxec6H+87dyNRsnUW30aZG0PxIKmT94UyKowzOWndlIi1WQh8D41YHRqDdTd7Nu35bb+W689rov7W61v7HCT745bSRzEXOT3GRX1Gq1Xf79GH0OUnNUJn86uOJ+maSDOSXbW2VmJKXeCbW3kve88uSoDwxN8ItOuekE6Yeclx1hnvO4IO1/Ag1c34Es2BZD2jV6w/RQg+KFbga/kvauhQEIBeyB6IEu3QX4gaOg2YKQacggUGEJv9BvpY0yVtNJx9GfUPAcXnxVXlOo5YSGhzJmqgv4Z45photKmXkUTvbxzRa6LStW9uu+pSqNuhCwDlkGeGkI2np/beCXOJ1bKU+lYG0XKexUamCVjFbZrpGUs7uDxKUvUqoq5vpPPV+ROV4gHmD+w4zwJSE+LRw0577hpQss1v8jjL6aPpd/sWbbsFKNMGmAl6aK69NTl/BaYGHOCv1PdsEwOvSP9GRUg9ibfuUSUZuYWtpLpq6ejVf2m09wtBi9zAKWs2ONtoNHnnB2rwg5RzjuLV7ZzXQkreGuPU7zcXpu0MJ3NnlpJtISctjrDFopMmcB7gaurLPGQ==";

#[test]
fn transaction_notification_python_known_answer_and_openssl_signature() {
    // The envelope carries the ciphertext Python produced; the helper's own GCM agrees with it.
    assert_eq!(
        gcm_encrypt(APIV3_KEY, TX_NONCE, "transaction", TX_PLAIN.as_bytes()),
        TX_CIPHERTEXT
    );
    let body = envelope("TRANSACTION.SUCCESS", "transaction", TX_NONCE, TX_CIPHERTEXT);
    let ts = now();
    let signed = sign_body(&key_text("wechatpay_key.pem"), PUB_KEY_ID, ts, &body);

    // openssl agrees that the signature is over TIMESTAMP\nNONCE\nBODY\n.
    let mut message = format!("{ts}\n{}\n", signed.nonce).into_bytes();
    message.extend_from_slice(&body);
    message.push(b'\n');
    let pub_path = key_path("wechatpay_pub.pem");
    assert!(openssl_verify(pub_path.to_str().unwrap(), &message, &signed.signature));
    assert!(
        !openssl_verify(pub_path.to_str().unwrap(), &body, &signed.signature),
        "openssl must reject another message"
    );

    let event = client()
        .handle_notification(&signed.headers(), &body)
        .expect("notification accepted");
    assert_eq!(event.id, "EV-2018022511223320873");
    assert_eq!(event.event_type, "TRANSACTION.SUCCESS");
    assert_eq!(event.resource_type, "encrypt-resource");
    assert_eq!(event.summary, "支付成功");
    assert_eq!(event.original_type, "transaction");
    let Resource::Transaction(tx) = Resource::decode(&event).unwrap() else {
        panic!("not a direct payment")
    };
    assert_eq!(tx.mchid, "1900000001");
    assert_eq!(tx.appid.as_deref(), Some("wxd678efh567hg6787"));
    assert_eq!(tx.out_trade_no, "1217752501201407033233368018");
    assert_eq!(tx.transaction_id.as_deref(), Some("4200000000201407033233368018"));
    // The enums are the query's own types.
    assert_eq!(tx.trade_state, Some(wechatpay::types::TransactionTradeState::Success));
    assert_eq!(tx.trade_type, Some(wechatpay::types::TransactionTradeType::Jsapi));
    assert_eq!(tx.trade_state_desc.as_deref(), Some("支付成功"));
    assert_eq!(tx.attach.as_deref(), Some(""));
    assert_eq!(
        tx.payer.as_ref().unwrap().openid.as_deref(),
        Some("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
    );
    let amount = tx.amount.as_ref().unwrap();
    assert_eq!(
        (amount.total, amount.payer_total, amount.currency.as_deref()),
        (Some(100), Some(100), Some("CNY"))
    );
    // Nothing lost: the typed resource serialises back to the same JSON.
    assert_eq!(
        serde_json::to_value(&*tx).unwrap(),
        serde_json::from_str::<serde_json::Value>(TX_PLAIN).unwrap()
    );
    // Neither the event's nor the resource's Debug shows the decrypted data.
    let shown = format!("{event:?} {:?}", Resource::decode(&event).unwrap());
    assert!(
        !shown.contains("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o") && !shown.contains("1217752501201407033233368018"),
        "{shown}"
    );
    assert!(
        shown.contains("TRANSACTION.SUCCESS") && shown.contains("Resource::Transaction(<decrypted, withheld>)"),
        "{shown}"
    );
}

#[test]
fn refund_partner_transaction_and_other_events_are_typed_by_event_type() {
    let c = client();
    let refund = json!({
        "mchid": "1900000100", "transaction_id": "1008450740201411110005820873",
        "out_trade_no": "20150806125346", "refund_id": "50200207182018070300011301001",
        "out_refund_no": "7752501201407033233368018", "refund_status": "SUCCESS",
        "success_time": "2018-06-08T10:34:56+08:00", "user_received_account": "招商银行信用卡0403",
        "amount": {"total": 999, "refund": 999, "payer_total": 999, "payer_refund": 999}
    });
    let (h, body) = notification("REFUND.SUCCESS", "refund", refund.to_string().as_bytes(), APIV3_KEY);
    let event = c.handle_notification(&h, &body).unwrap();
    let Resource::Refund(r) = Resource::decode(&event).unwrap() else {
        panic!("not a refund")
    };
    assert_eq!(
        r.refund_status,
        Some(wechatpay::notifications::RefundRefundStatus::Success)
    );
    assert_eq!(r.out_refund_no.as_deref(), Some("7752501201407033233368018"));
    assert_eq!(r.user_received_account.as_deref(), Some("招商银行信用卡0403"));
    let a = r.amount.as_ref().unwrap();
    assert_eq!(
        (a.total, a.refund, a.payer_total, a.payer_refund),
        (Some(999), Some(999), Some(999), Some(999))
    );

    // REFUND.ABNORMAL is a refund too.
    let (h, body) = notification(
        "REFUND.ABNORMAL",
        "refund",
        br#"{"mchid":"1900000100","out_refund_no":"R1","refund_status":"ABNORMAL"}"#,
        APIV3_KEY,
    );
    assert!(matches!(
        Resource::decode(&c.handle_notification(&h, &body).unwrap()).unwrap(),
        Resource::Refund(_)
    ));

    // A service provider's payment (sp_mchid, no mchid) is a partner payment, typed as the
    // partner query.
    let partner = json!({"sp_appid": "wx8888888888888888", "sp_mchid": "1230000109", "sub_mchid": "1900000109",
        "out_trade_no": "X1", "transaction_id": "T1", "trade_state": "SUCCESS", "payer": {"sp_openid": "o1", "sub_openid": "o2"}});
    let (h, body) = notification(
        "TRANSACTION.SUCCESS",
        "transaction",
        partner.to_string().as_bytes(),
        APIV3_KEY,
    );
    let Resource::PartnerTransaction(tx) = Resource::decode(&c.handle_notification(&h, &body).unwrap()).unwrap() else {
        panic!("not a partner payment")
    };
    assert_eq!(
        (tx.sp_mchid.as_str(), tx.sub_mchid.as_str()),
        ("1230000109", "1900000109")
    );
    assert_eq!(tx.payer.unwrap().sub_openid.as_deref(), Some("o2"));

    // An event type this client does not know: the raw JSON.
    let other = json!({"out_batch_no": "plfk2020042013", "state": "FINISHED"});
    let (h, body) = notification("SOMETHING.NEW", "new", other.to_string().as_bytes(), APIV3_KEY);
    assert_eq!(
        Resource::decode(&c.handle_notification(&h, &body).unwrap()).unwrap(),
        Resource::Other(other)
    );

    // A resource of the wrong shape is a decode error that names the field, not the value.
    let (h, body) = notification(
        "REFUND.SUCCESS",
        "refund",
        br#"{"mchid":"1900000100","out_refund_no":"R1","amount":{"total":"oSECRETopenid"}}"#,
        APIV3_KEY,
    );
    let e = Resource::decode(&c.handle_notification(&h, &body).unwrap()).unwrap_err();
    let shown = format!("{e} {e:?}");
    assert!(
        shown.contains("field `amount`") && shown.contains("field `total`"),
        "{shown}"
    );
    assert!(!shown.contains("oSECRETopenid") && !shown.contains("R1"), "{shown}");
}

#[test]
fn notification_signed_by_a_platform_certificate_is_accepted_in_certificate_mode() {
    let c = Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .private_key_pem(&key_text("merchant_key.pem"))
        .platform_certificate_pem(&key_text("platform_cert.pem"))
        .apiv3_key(APIV3_KEY)
        .build()
        .unwrap();
    let body = envelope("TRANSACTION.SUCCESS", "transaction", TX_NONCE, TX_CIPHERTEXT);
    let signed = sign_body(&key_text("platform_cert_key.pem"), PLATFORM_CERT_SERIAL, now(), &body);
    assert!(matches!(
        Resource::decode(&c.handle_notification(&signed.headers(), &body).unwrap()).unwrap(),
        Resource::Transaction(_)
    ));
    // The public-key client does not know that serial.
    assert!(matches!(
        client().handle_notification(&signed.headers(), &body),
        Err(Error::Verification(VerificationError::UnknownSerial(s))) if s == PLATFORM_CERT_SERIAL
    ));
}

#[test]
fn notification_failures_are_distinct_errors() {
    let c = client();
    let wechatpay_key = key_text("wechatpay_key.pem");
    let body = envelope("TRANSACTION.SUCCESS", "transaction", TX_NONCE, TX_CIPHERTEXT);

    // Bad signature: the body was changed after signing (one byte of the summary).
    let signed = sign_body(&wechatpay_key, PUB_KEY_ID, now(), &body);
    let mut altered = body.clone();
    let pos = altered.windows(7).position(|w| w == b"EV-2018").unwrap();
    altered[pos + 3] = b'3';
    assert!(matches!(
        c.handle_notification(&signed.headers(), &altered),
        Err(Error::Verification(VerificationError::BadSignature { serial })) if serial == PUB_KEY_ID
    ));
    // Signed by another key under the right serial.
    let forged = sign_body(&key_text("merchant_key.pem"), PUB_KEY_ID, now(), &body);
    assert!(matches!(
        c.handle_notification(&forged.headers(), &body),
        Err(Error::Verification(VerificationError::BadSignature { .. }))
    ));
    // Stale timestamp, either way (the signature itself is valid). 310 s, not 301: the clock may
    // tick between signing and verifying, and +301 then lies 300 s away (accepted; this flaked).
    for offset in [-310, 310] {
        let stale = sign_body(&wechatpay_key, PUB_KEY_ID, now() + offset, &body);
        assert!(
            matches!(
                c.handle_notification(&stale.headers(), &body),
                Err(Error::Verification(VerificationError::StaleTimestamp { .. }))
            ),
            "offset {offset}"
        );
    }
    // 299 s is still inside the window.
    let edge = sign_body(&wechatpay_key, PUB_KEY_ID, now() - 299, &body);
    assert!(c.handle_notification(&edge.headers(), &body).is_ok());
    // Unknown serial.
    let unknown = sign_body(&wechatpay_key, "PUB_KEY_ID_0999", now(), &body);
    assert!(matches!(
        c.handle_notification(&unknown.headers(), &body),
        Err(Error::Verification(VerificationError::UnknownSerial(s))) if s == "PUB_KEY_ID_0999"
    ));
    // A missing header.
    for name in [
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Signature",
        "Wechatpay-Serial",
    ] {
        let mut h = signed.headers();
        h.remove(name);
        assert_eq!(
            c.handle_notification(&h, &body).unwrap_err().to_string(),
            Error::Verification(VerificationError::MissingHeader(name)).to_string()
        );
    }

    // Wrong APIv3 key: the signature is fine, GCM authentication fails.
    let (h, b) = notification(
        "TRANSACTION.SUCCESS",
        "transaction",
        TX_PLAIN.as_bytes(),
        "ZZp4yDNs9kT2vQ8rL6mB3cZ7hF1jG5aE",
    );
    match c.handle_notification(&h, &b) {
        Err(Error::Decrypt(msg)) => assert!(msg.contains("authentication failed"), "{msg}"),
        other => panic!("{other:?}"),
    }
    // Tampered ciphertext, re-signed (so only the GCM tag catches it).
    let mut ct = B64.decode(TX_CIPHERTEXT).unwrap();
    ct[10] ^= 1;
    let tampered = envelope("TRANSACTION.SUCCESS", "transaction", TX_NONCE, &B64.encode(ct));
    let s = sign_body(&wechatpay_key, PUB_KEY_ID, now(), &tampered);
    assert!(
        matches!(c.handle_notification(&s.headers(), &tampered), Err(Error::Decrypt(m)) if m.contains("authentication failed"))
    );
    // Tampered associated data.
    let wrong_aad = String::from_utf8(body.clone())
        .unwrap()
        .replace("\"associated_data\":\"transaction\"", "\"associated_data\":\"refund\"");
    let s = sign_body(&wechatpay_key, PUB_KEY_ID, now(), wrong_aad.as_bytes());
    assert!(matches!(
        c.handle_notification(&s.headers(), wrong_aad.as_bytes()),
        Err(Error::Decrypt(_))
    ));

    // Bad JSON: the envelope, the decrypted payload, a payload of the wrong shape.
    let s = sign_body(&wechatpay_key, PUB_KEY_ID, now(), b"not json");
    assert!(matches!(
        c.handle_notification(&s.headers(), b"not json"),
        Err(Error::Decode { status: 0, .. })
    ));
    let (h, b) = notification("TRANSACTION.SUCCESS", "transaction", b"{not json", APIV3_KEY);
    assert!(matches!(
        c.handle_notification(&h, &b),
        Err(Error::Decode { status: 0, .. })
    ));
    let (h, b) = notification(
        "TRANSACTION.SUCCESS",
        "transaction",
        br#"{"mchid":"1900000001","out_trade_no":"T1","amount":{"total":"100"}}"#,
        APIV3_KEY,
    );
    let event = c.handle_notification(&h, &b).expect("JSON: typed later");
    assert!(matches!(Resource::decode(&event), Err(Error::Decode { status: 0, .. })));

    // The platform's probe signature and a duplicated signature header: refused, and answered
    // with a 401 FAIL (never a 2xx).
    let probe = Signed {
        signature: format!("WECHATPAY/SIGNTEST/{}", signed.signature),
        ..signed.clone()
    };
    let e = c.handle_notification(&probe.headers(), &body).unwrap_err();
    assert!(
        matches!(e, Error::Verification(VerificationError::ProbeSignature)),
        "{e:?}"
    );
    let answer = NotificationAnswer::for_error(&e);
    assert_eq!(answer.status(), 401);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(answer.body()).unwrap()["code"],
        "FAIL"
    );
    let mut twice = signed.headers();
    twice.append("Wechatpay-Signature", signed.signature.parse().unwrap());
    assert!(matches!(
        c.handle_notification(&twice, &body),
        Err(Error::Verification(VerificationError::DuplicateHeader(
            "Wechatpay-Signature"
        )))
    ));

    // The envelope is strict: each missing or wrong field its own error, before any decryption.
    let full: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let cases: Vec<(serde_json::Value, wechatpay::EnvelopeError)> = vec![
        (without(&full, &["id"]), wechatpay::EnvelopeError::Missing("id")),
        (
            without(&full, &["event_type"]),
            wechatpay::EnvelopeError::Missing("event_type"),
        ),
        (
            without(&full, &["create_time"]),
            wechatpay::EnvelopeError::Missing("create_time"),
        ),
        (
            without(&full, &["resource", "algorithm"]),
            wechatpay::EnvelopeError::Missing("resource.algorithm"),
        ),
        (
            with(&full, &["resource_type"], "plain-resource"),
            wechatpay::EnvelopeError::ResourceType("plain-resource".into()),
        ),
        (
            with(&full, &["resource", "algorithm"], "AES_128_CBC"),
            wechatpay::EnvelopeError::Algorithm("AES_128_CBC".into()),
        ),
        (
            with(&full, &["resource", "original_type"], "refund"),
            wechatpay::EnvelopeError::OriginalType {
                event_type: "TRANSACTION.SUCCESS".into(),
                original_type: "refund".into(),
            },
        ),
    ];
    for (envelope, expected) in cases {
        let bytes = serde_json::to_vec(&envelope).unwrap();
        let s = sign_body(&wechatpay_key, PUB_KEY_ID, now(), &bytes);
        let e = c.handle_notification(&s.headers(), &bytes).unwrap_err();
        assert!(
            matches!(&e, Error::Envelope(got) if *got == expected),
            "{expected:?}: {e:?}"
        );
        assert_eq!(NotificationAnswer::for_error(&e).status(), 400);
    }

    // No APIv3 key configured.
    let no_key = Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .private_key_pem(&key_text("merchant_key.pem"))
        .wechatpay_public_key(PUB_KEY_ID, &key_text("wechatpay_pub.pem"))
        .build()
        .unwrap();
    assert!(matches!(
        no_key.handle_notification(&signed.headers(), &body),
        Err(Error::Config(_))
    ));
    // …and the same notification is fine with the key.
    assert!(c.handle_notification(&signed.headers(), &body).is_ok());
}

#[test]
fn notification_answers() {
    let ok = NotificationAnswer::success();
    assert_eq!(
        (ok.status(), ok.body(), ok.content_type(), ok.is_success()),
        (204, "", None, true)
    );
    assert_eq!(NotificationAnswer::success_200().status(), 200);

    let fail = NotificationAnswer::failure(500, "数据库不可用 \"db\"");
    assert_eq!(fail.status(), 500);
    assert_eq!(fail.content_type(), Some("application/json"));
    assert!(!fail.is_success());
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(fail.body()).unwrap(),
        json!({"code": "FAIL", "message": "数据库不可用 \"db\""})
    );
    assert_eq!(
        NotificationAnswer::failure(200, "x").status(),
        500,
        "a failure is never a 2xx"
    );

    let c = client();
    let body = envelope("TRANSACTION.SUCCESS", "transaction", TX_NONCE, TX_CIPHERTEXT);
    let bad = sign_body(&key_text("wechatpay_key.pem"), PUB_KEY_ID, now() - 1000, &body);
    let answer = NotificationAnswer::for_error(&c.handle_notification(&bad.headers(), &body).unwrap_err());
    assert_eq!(answer.status(), 401);
    assert!(answer.body().contains("stale timestamp"), "{}", answer.body());
    let (h, b) = notification("TRANSACTION.SUCCESS", "transaction", b"[secret-payload", APIV3_KEY);
    let answer = NotificationAnswer::for_error(&c.handle_notification(&h, &b).unwrap_err());
    assert_eq!(answer.status(), 400);
    assert!(
        !answer.body().contains("secret-payload"),
        "the decrypted payload is not echoed: {}",
        answer.body()
    );
    assert_eq!(NotificationAnswer::for_error(&Error::Config("x".into())).status(), 500);
}

// ------------------------------------------------------------------ sensitive fields

#[test]
fn sensitive_value_encrypts_to_the_wechatpay_public_key_openssl_decrypts_it() {
    let c = client();
    assert_eq!(c.sensitive_key_serial().as_deref(), Some(PUB_KEY_ID));
    let plain = "张三 13800138000";
    let a = c.encrypt_sensitive_value(plain).unwrap();
    let b = c.encrypt_sensitive_value(plain).unwrap();
    assert_eq!(a.serial, PUB_KEY_ID);
    assert_ne!(a.ciphertext, b.ciphertext, "OAEP is randomised");
    assert_eq!(B64.decode(&a.ciphertext).unwrap().len(), 256);
    assert!(
        !format!("{a:?}").contains(&a.ciphertext),
        "Debug does not print the ciphertext"
    );
    // Independent decryption: openssl, OAEP SHA-1 / MGF1-SHA-1.
    assert_eq!(
        openssl_oaep_decrypt("wechatpay_key.pem", &a.ciphertext).unwrap(),
        plain.as_bytes()
    );
    // Not PKCS#1 v1.5: openssl with default padding rejects it.
    let input = tmp_file("ct.bin", &B64.decode(&a.ciphertext).unwrap());
    let out = openssl(&[
        "pkeyutl",
        "-decrypt",
        "-inkey",
        key_path("wechatpay_key.pem").to_str().unwrap(),
        "-in",
        input.to_str().unwrap(),
    ]);
    assert!(!out.status.success() || out.stdout != plain.as_bytes());
    // Not OAEP-SHA256 either.
    let out = openssl(&[
        "pkeyutl",
        "-decrypt",
        "-inkey",
        key_path("wechatpay_key.pem").to_str().unwrap(),
        "-in",
        input.to_str().unwrap(),
        "-pkeyopt",
        "rsa_padding_mode:oaep",
        "-pkeyopt",
        "rsa_oaep_md:sha256",
    ]);
    assert!(!out.status.success());
    // Another private key cannot decrypt it.
    assert!(openssl_oaep_decrypt("platform_cert_key.pem", &a.ciphertext).is_err());
    // aws-lc with the WeChat Pay private key agrees too.
    let key = OaepPrivateDecryptingKey::new(
        PrivateDecryptingKey::from_pkcs8(&pem_der(&key_text("wechatpay_key.pem"))).unwrap(),
    )
    .unwrap();
    let mut out = vec![0u8; key.min_output_size()];
    let got = key
        .decrypt(&OAEP_SHA1_MGF1SHA1, &B64.decode(&b.ciphertext).unwrap(), &mut out, None)
        .unwrap();
    assert_eq!(got, plain.as_bytes());
    // Too long for RSA-2048 OAEP-SHA1 (214 bytes max).
    assert!(matches!(
        c.encrypt_sensitive_value(&"x".repeat(215)),
        Err(Error::InvalidRequest(_))
    ));
    assert!(c.encrypt_sensitive_value(&"x".repeat(214)).is_ok());
}

#[test]
fn decrypt_sensitive_opens_what_openssl_encrypted_to_the_merchant_key() {
    let plain = "6225880137000000";
    let ct = openssl_encrypt("merchant_pub.pem", plain.as_bytes(), &OAEP_SHA1);
    assert_eq!(client().decrypt_sensitive(&ct).unwrap(), plain);
    // The PKCS#1 form of the same key decrypts too.
    let pkcs1 = Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .private_key_pem(&key_text("merchant_key_pkcs1.pem"))
        .wechatpay_public_key(PUB_KEY_ID, &key_text("wechatpay_pub.pem"))
        .build()
        .unwrap();
    assert_eq!(pkcs1.decrypt_sensitive(&ct).unwrap(), plain);

    // PKCS#1 v1.5 padding, another key, OAEP-SHA256, not base64: decryption errors.
    let v15 = openssl_encrypt("merchant_pub.pem", plain.as_bytes(), &[]);
    assert!(matches!(client().decrypt_sensitive(&v15), Err(Error::Decrypt(_))));
    let other = openssl_encrypt("wechatpay_pub.pem", plain.as_bytes(), &OAEP_SHA1);
    assert!(matches!(client().decrypt_sensitive(&other), Err(Error::Decrypt(_))));
    let sha256 = openssl_encrypt(
        "merchant_pub.pem",
        plain.as_bytes(),
        &["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256"],
    );
    assert!(matches!(client().decrypt_sensitive(&sha256), Err(Error::Decrypt(_))));
    assert!(matches!(client().decrypt_sensitive("%%%"), Err(Error::Decrypt(_))));
}

/// A remote signer: signs, holds no private key here.
struct RemoteSigner(RsaSigner);

impl Signer for RemoteSigner {
    fn sign(&self, message: &[u8]) -> Result<String, Error> {
        self.0.sign(message)
    }
}

#[test]
fn decrypt_sensitive_with_a_remote_signer_is_a_clear_config_error() {
    let c = Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .signer(RemoteSigner(
            RsaSigner::from_pem(&key_text("merchant_key.pem")).unwrap(),
        ))
        .wechatpay_public_key(PUB_KEY_ID, &key_text("wechatpay_pub.pem"))
        .build()
        .unwrap();
    let ct = openssl_encrypt("merchant_pub.pem", b"x", &OAEP_SHA1);
    match c.decrypt_sensitive(&ct) {
        Err(Error::Config(msg)) => assert!(msg.contains("decrypt_oaep") && msg.contains("private key"), "{msg}"),
        other => panic!("{other:?}"),
    }
    // The built-in signer implements it.
    let signer = RsaSigner::from_pem(&key_text("merchant_key.pem")).unwrap();
    assert_eq!(signer.decrypt_oaep(&B64.decode(&ct).unwrap()).unwrap(), b"x");
}

#[test]
fn sensitive_key_choice_public_key_first_then_newest_valid_certificate() {
    // Certificate mode only: the platform certificate.
    let cert_only = Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .private_key_pem(&key_text("merchant_key.pem"))
        .platform_certificate_pem(&key_text("platform_cert.pem"));
    let c = cert_only.build().unwrap();
    let v = c.encrypt_sensitive_value("x").unwrap();
    assert_eq!(v.serial, PLATFORM_CERT_SERIAL);
    assert_eq!(
        openssl_oaep_decrypt("platform_cert_key.pem", &v.ciphertext).unwrap(),
        b"x"
    );

    // Both (migration): the public key is preferred.
    let both = builder()
        .platform_certificate_pem(&key_text("platform_cert.pem"))
        .build()
        .unwrap();
    assert_eq!(both.encrypt_sensitive_value("x").unwrap().serial, PUB_KEY_ID);

    // Two certificates: the newest valid one (a fresh certificate made now by openssl, with
    // a later notBefore than the 2020 one).
    let cert_path = tmp_file("newer.pem", b"");
    let out = openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        key_path("wechatpay_key.pem").to_str().unwrap(),
        "-subj",
        "/CN=newer TEST ONLY",
        "-days",
        "30",
        "-set_serial",
        "0x0ABCDEF123",
        "-out",
        cert_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let newer = std::fs::read_to_string(&cert_path).unwrap();
    let c = Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .private_key_pem(&key_text("merchant_key.pem"))
        .platform_certificate_pem(&newer)
        .platform_certificate_pem(&key_text("platform_cert.pem"))
        .build()
        .unwrap();
    let v = c.encrypt_sensitive_value("y").unwrap();
    assert_eq!(v.serial, "ABCDEF123");
    assert_eq!(openssl_oaep_decrypt("wechatpay_key.pem", &v.ciphertext).unwrap(), b"y");
    let certs = c.platform_certificates();
    assert_eq!(
        certs.iter().map(|c| c.serial.as_str()).collect::<Vec<_>>(),
        ["ABCDEF123", PLATFORM_CERT_SERIAL]
    );
    assert!(certs[1].pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(certs[1].not_before, 1_577_836_800, "2020-01-01T00:00:00Z");
}

// ------------------------------------------------------------------ pay-sign

fn verify_with(public_pem: &str, message: &[u8], signature_b64: &str) -> bool {
    let spki = pem_der(public_pem);
    UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, spki)
        .verify(message, &B64.decode(signature_b64).unwrap())
        .is_ok()
}

#[test]
fn jsapi_pay_params_fields_and_signature_checked_by_openssl() {
    let signer = RsaSigner::from_pem(&key_text("merchant_key.pem")).unwrap();
    let p = JsapiPayParams::sign(
        &signer,
        "wx8888888888888888",
        "wx201410272009395522657a690389285100",
        1414561699,
        "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
    )
    .unwrap();
    let value = serde_json::to_value(&p).unwrap();
    let keys: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    let mut expected = ["appId", "timeStamp", "nonceStr", "package", "signType", "paySign"];
    expected.sort();
    assert_eq!(keys, expected);
    assert_eq!(value["appId"], "wx8888888888888888");
    assert_eq!(value["timeStamp"], "1414561699", "a string, as the JS API expects");
    assert_eq!(value["nonceStr"], "5K8264ILTKCH16CQ2502SI8ZNMTM67VS");
    assert_eq!(value["package"], "prepay_id=wx201410272009395522657a690389285100");
    assert_eq!(value["signType"], "RSA");
    let message = "wx8888888888888888\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n";
    let pub_path = key_path("merchant_pub.pem");
    assert!(openssl_verify(
        pub_path.to_str().unwrap(),
        message.as_bytes(),
        &p.pay_sign
    ));
    // Without the trailing newline, or with the bare prepay_id, it does not verify.
    assert!(!openssl_verify(
        pub_path.to_str().unwrap(),
        message.trim_end().as_bytes(),
        &p.pay_sign
    ));
    assert!(!verify_with(
        &key_text("merchant_pub.pem"),
        message.replace("prepay_id=", "").as_bytes(),
        &p.pay_sign
    ));
    // PKCS#1 v1.5 is deterministic: the same inputs give the same paySign.
    let again = JsapiPayParams::sign(
        &signer,
        "wx8888888888888888",
        "wx201410272009395522657a690389285100",
        1414561699,
        "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
    )
    .unwrap();
    assert_eq!(again, p);
    assert_eq!(serde_json::from_value::<JsapiPayParams>(value).unwrap(), p);

    // Through the client: current time, fresh nonce, the client's signer.
    let c = client();
    let p = c.jsapi_pay_params("wx8888888888888888", "wx2014").unwrap();
    assert_eq!(p.nonce_str.len(), 32);
    assert!((p.time_stamp.parse::<i64>().unwrap() - now()).abs() < 5);
    let message = format!(
        "wx8888888888888888\n{}\n{}\nprepay_id=wx2014\n",
        p.time_stamp, p.nonce_str
    );
    assert!(verify_with(
        &key_text("merchant_pub.pem"),
        message.as_bytes(),
        &p.pay_sign
    ));
    assert_ne!(
        c.jsapi_pay_params("wx8888888888888888", "wx2014").unwrap().nonce_str,
        p.nonce_str
    );
}

#[test]
fn app_pay_params_fields_and_signature_checked_by_openssl() {
    let signer = RsaSigner::from_pem(&key_text("merchant_key.pem")).unwrap();
    let p = AppPayParams::sign(
        &signer,
        "wx8888888888888888",
        "1900000109",
        "WX1217752501201407033233368018",
        1412000000,
        "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
    )
    .unwrap();
    let value = serde_json::to_value(&p).unwrap();
    assert_eq!(
        value,
        json!({"appid": "wx8888888888888888", "partnerid": "1900000109", "prepayid": "WX1217752501201407033233368018",
               "package": "Sign=WXPay", "noncestr": "5K8264ILTKCH16CQ2502SI8ZNMTM67VS", "timestamp": "1412000000",
               "sign": p.sign})
    );
    let message = "wx8888888888888888\n1412000000\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nWX1217752501201407033233368018\n";
    let pub_path = key_path("merchant_pub.pem");
    assert!(openssl_verify(pub_path.to_str().unwrap(), message.as_bytes(), &p.sign));
    // The JSAPI message shape (prepay_id=…) is not what APP signs.
    let jsapi_shape =
        "wx8888888888888888\n1412000000\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=WX1217752501201407033233368018\n";
    assert!(!openssl_verify(
        pub_path.to_str().unwrap(),
        jsapi_shape.as_bytes(),
        &p.sign
    ));

    let c = client();
    let p = c.app_pay_params("wx8888888888888888", "WX12").unwrap();
    assert_eq!(p.partnerid, MCHID);
    assert_eq!(p.package, "Sign=WXPay");
    let message = format!("wx8888888888888888\n{}\n{}\nWX12\n", p.timestamp, p.noncestr);
    assert!(verify_with(&key_text("merchant_pub.pem"), message.as_bytes(), &p.sign));
}

struct FailingSigner;

impl Signer for FailingSigner {
    fn sign(&self, _: &[u8]) -> Result<String, Error> {
        Err(Error::Sign("HSM offline".into()))
    }
}

#[test]
fn pay_sign_uses_the_pluggable_signer_and_reports_its_errors() {
    assert!(
        matches!(JsapiPayParams::sign(&FailingSigner, "a", "p", 1, "n"), Err(Error::Sign(m)) if m == "HSM offline")
    );
    assert!(matches!(
        AppPayParams::sign(&FailingSigner, "a", "m", "p", 1, "n"),
        Err(Error::Sign(_))
    ));
    let c = Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .signer(FailingSigner)
        .wechatpay_public_key(PUB_KEY_ID, &key_text("wechatpay_pub.pem"))
        .build()
        .unwrap();
    assert!(matches!(c.jsapi_pay_params("a", "p"), Err(Error::Sign(_))));
    assert!(matches!(c.app_pay_params("a", "p"), Err(Error::Sign(_))));
}

/// `value` without the field at `path`.
fn without(value: &serde_json::Value, path: &[&str]) -> serde_json::Value {
    let mut v = value.clone();
    let (last, parents) = path.split_last().unwrap();
    let mut at = &mut v;
    for p in parents {
        at = at.get_mut(*p).unwrap();
    }
    at.as_object_mut().unwrap().remove(*last);
    v
}

/// `value` with the string at `path` replaced.
fn with(value: &serde_json::Value, path: &[&str], text: &str) -> serde_json::Value {
    let mut v = value.clone();
    let mut at = &mut v;
    for p in path {
        at = at.get_mut(*p).unwrap();
    }
    *at = serde_json::Value::String(text.into());
    v
}

/// A redelivered notification is handled once: the handler runs again only after a failure.
#[test]
fn redeliveries_are_handled_once() {
    use std::cell::Cell;
    use wechatpay::runtime::{MemoryLedger, NotificationLedger};
    let c = client();
    let ledger = MemoryLedger::new(2);
    let body = envelope("TRANSACTION.SUCCESS", "transaction", TX_NONCE, TX_CIPHERTEXT);
    let signed = sign_body(&key_text("wechatpay_key.pem"), PUB_KEY_ID, now(), &body);
    let runs = Cell::new(0);
    // The first delivery fails in the handler: 500 FAIL, nothing recorded.
    let answer = c.handle_notification_once(&signed.headers(), &body, &ledger, |_| {
        runs.set(runs.get() + 1);
        Err("database down")
    });
    assert_eq!((answer.status(), runs.get()), (500, 1));
    assert!(answer.body().contains("database down"), "{}", answer.body());
    assert!(!ledger.handled("EV-2018022511223320873").unwrap());
    // The redelivery succeeds; the next ones are answered without running the handler.
    for _ in 0..3 {
        let answer = c.handle_notification_once(&signed.headers(), &body, &ledger, |e| {
            assert_eq!(e.id, "EV-2018022511223320873");
            runs.set(runs.get() + 1);
            Ok::<(), String>(())
        });
        assert!(answer.is_success());
    }
    assert_eq!(runs.get(), 2);
    // A notification that does not verify never reaches the handler.
    let forged = sign_body(&key_text("merchant_key.pem"), PUB_KEY_ID, now(), &body);
    let answer = c.handle_notification_once(&forged.headers(), &body, &ledger, |_| -> Result<(), String> {
        panic!("the handler must not run")
    });
    assert_eq!(answer.status(), 401);
    // The memory ledger forgets the oldest ids beyond its capacity.
    ledger.record("b").unwrap();
    ledger.record("c").unwrap();
    assert!(!ledger.handled("EV-2018022511223320873").unwrap());
    assert!(ledger.handled("b").unwrap() && ledger.handled("c").unwrap());
}
