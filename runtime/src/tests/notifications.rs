//! Notifications.

use super::*;

/// Known answers computed with Python `cryptography` (AESGCM), an independent implementation.
const APIV3_KEY: &str = "0123456789abcdefghijklmnopqrstuv";
const GCM_NONCE: &str = "fdasflkja484";
const GCM_CIPHERTEXT: &str =
    "kdUy8AAEd+F97t+v/8pygRXsZH8tC3RjNMxky9nmEGoawi1zMcq0TvvltZKAAMaMxWCbzg3+F6b5JL6aqsEkITr9C6Ln9j4azPYkXVy2j7uKlg==";
const GCM_PLAIN: &str = r#"{"mchid":"1900000001","out_trade_no":"T1","trade_state":"SUCCESS"}"#;

#[test]
fn aes_gcm_resource_decrypts_known_answers() {
    let key = ApiV3Key::new(APIV3_KEY).unwrap();
    let plain = key.decrypt("transaction", GCM_NONCE, GCM_CIPHERTEXT).unwrap();
    assert_eq!(plain, GCM_PLAIN.as_bytes());
    // Empty associated data.
    assert_eq!(
        key.decrypt("", GCM_NONCE, "gpIz/wfE6qK4er7oF1Ajm2nDaIoZ").unwrap(),
        b"hello"
    );
    // Wrong AAD, wrong key, wrong nonce, tampered ciphertext: all rejected.
    assert!(matches!(
        key.decrypt("refund", GCM_NONCE, GCM_CIPHERTEXT),
        Err(Error::Decrypt(_))
    ));
    let other = ApiV3Key::new("vutsrqponmlkjihgfedcba9876543210").unwrap();
    assert!(matches!(
        other.decrypt("transaction", GCM_NONCE, GCM_CIPHERTEXT),
        Err(Error::Decrypt(_))
    ));
    assert!(matches!(
        key.decrypt("transaction", "fdasflkja485", GCM_CIPHERTEXT),
        Err(Error::Decrypt(_))
    ));
    assert!(matches!(
        key.decrypt("transaction", "short", GCM_CIPHERTEXT),
        Err(Error::Decrypt(_))
    ));
    let mut tampered = GCM_CIPHERTEXT.to_owned();
    tampered.replace_range(0..1, "A");
    assert!(matches!(
        key.decrypt("transaction", GCM_NONCE, &tampered),
        Err(Error::Decrypt(_))
    ));
    // Bad key length is a config error that does not echo the key.
    match ApiV3Key::new("secret-but-too-short") {
        Err(Error::Config(e)) => {
            assert!(!e.message.contains("secret"), "{e}");
            assert_eq!(
                (e.problem, e.setting),
                (crate::ConfigProblem::Invalid, crate::Setting::ApiV3Key)
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(format!("{key:?}"), "ApiV3Key(<redacted>)");
}

#[test]
fn parse_and_decrypt_a_notification() {
    let c = client_with(|b| b.apiv3_key(APIV3_KEY));
    assert!(!format!("{c:?}").contains(APIV3_KEY));
    assert!(!format!("{:?}", Client::builder().apiv3_key(APIV3_KEY)).contains(APIV3_KEY));
    let body = serde_json::json!({
        "id": "EV-2018022511223320873",
        "create_time": "2015-05-20T13:29:35+08:00",
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": {
            "original_type": "transaction",
            "algorithm": "AEAD_AES_256_GCM",
            "ciphertext": GCM_CIPHERTEXT,
            "associated_data": "transaction",
            "nonce": GCM_NONCE
        }
    })
    .to_string();
    let r = Response::signed(PUB_KEY_ID, crypto::unix_now(), body.as_bytes());
    let n = c.parse_notification(&r.headers(), body.as_bytes()).unwrap();
    assert_eq!(n.event_type, "TRANSACTION.SUCCESS");
    assert_eq!(c.decrypt_resource(&n.resource).unwrap(), GCM_PLAIN.as_bytes());
    // Unverified body: rejected before parsing.
    assert!(matches!(
        c.parse_notification(&r.headers(), body.replace("SUCCESS", "REFUND").as_bytes()),
        Err(Error::Verification(VerificationError::NotificationBadSignature { .. }))
    ));
    // No APIv3 key configured.
    assert!(matches!(client().decrypt_resource(&n.resource), Err(Error::Config(_))));
    // Invalid APIv3 key length fails the build.
    let msg = config_error(
        Client::builder()
            .mchid(MCHID)
            .merchant_serial(MERCHANT_SERIAL)
            .private_key_pem(&keys().merchant_pkcs8)
            .wechatpay_public_key(PUB_KEY_ID, &keys().wechatpay_pub)
            .apiv3_key("short")
            .build(),
    );
    assert!(msg.contains("APIv3 key must be 32 bytes"), "{msg}");
}

/// A platform certificate verifies only while it is valid: not 30 days before its `notBefore`,
/// not 30 days after its `notAfter`, even when configured (the test certificate is made by
/// `openssl req -x509` for the test run).
#[test]
fn a_certificate_outside_its_validity_verifies_nothing() {
    let k = keys();
    let c = client_with(|b| b.platform_certificate_pem(&k.platform_cert));
    let body = br#"{"x":"y"}"#;
    let cert = c
        .platform_certificates()
        .into_iter()
        .find(|p| p.serial == PLATFORM_CERT_SERIAL)
        .expect("configured");
    #[allow(non_snake_case)]
    let (NOT_BEFORE, NOT_AFTER) = (cert.not_before, cert.not_after);
    const DAYS_30: i64 = 30 * 86_400;
    for now in [NOT_BEFORE - DAYS_30, NOT_AFTER + DAYS_30] {
        let r = Response::signed(PLATFORM_CERT_SERIAL, now, body);
        assert_eq!(
            verify(&c, &r.headers(), body, now),
            Err(VerificationError::CertificateNotValid {
                serial: PLATFORM_CERT_SERIAL.into(),
                not_before: NOT_BEFORE,
                not_after: NOT_AFTER,
                now
            })
        );
    }
    for now in [NOT_BEFORE, NOT_AFTER] {
        let r = Response::signed(PLATFORM_CERT_SERIAL, now, body);
        assert_eq!(verify(&c, &r.headers(), body, now), Ok(()), "at {now}");
    }
    // A public key has no validity of its own.
    let r = Response::signed(PUB_KEY_ID, NOT_AFTER + DAYS_30, body);
    assert_eq!(verify(&c, &r.headers(), body, NOT_AFTER + DAYS_30), Ok(()));
}

#[test]
fn notification_matching_reads_the_top_level_keys_only() {
    use crate::notify::{Notification, NotificationEvent};
    let envelope = Notification {
        event_type: "TRANSACTION.SUCCESS".into(),
        ..Notification::default()
    };
    let event = |json: &str| NotificationEvent::new(envelope.clone(), json.as_bytes().to_vec());
    let matches = |json: &str, keys: &[&str]| {
        crate::__private::notification_matches(&event(json), &["TRANSACTION.SUCCESS"], keys)
    };
    let tx = r#"{"sp_mchid":"1","sub_mchid":"2","out_trade_no":"T","amount":{"sp_mchid":"nested"}}"#;
    assert!(matches(tx, &["sp_mchid", "sub_mchid", "out_trade_no"]));
    assert!(matches(tx, &[]), "no keys: the event type decides");
    assert!(
        !matches(r#"{"mchid":"1","amount":{"sp_mchid":"nested"}}"#, &["sp_mchid"]),
        "a nested key is not a top-level one"
    );
    assert!(
        matches(r#"{"sp\u005fmchid":"1"}"#, &["sp_mchid"]),
        "an escaped key is read as its value"
    );
    assert!(!matches(r#"["sp_mchid"]"#, &["sp_mchid"]), "not an object");
    assert!(!matches(r#""sp_mchid""#, &["sp_mchid"]), "a string");
    assert!(matches(
        r#" {"a":[1,{"b":null}],"sp_mchid":-1.5e3} "#,
        &["a", "sp_mchid"]
    ));
    // The keys are found without checking the JSON: bytes that are not JSON are refused when
    // the resource is typed, whatever shape they seemed to have.
    for broken in [
        r#"{"sp_mchid":"1""#,
        r#"{"sp_mchid":"1"} x"#,
        r#"{"sp_mchid":}"#,
        r#"{"sp_mchid":"1","#,
        r#"{"sp_mchid":"\"#,
        "",
        "[1,]",
        "{",
        r#"{"a":[}"#,
    ] {
        let _ = matches(broken, &["sp_mchid"]);
        let e = crate::__private::notification_resource::<serde_json::Value>(&event(broken)).unwrap_err();
        assert!(
            e.to_string().contains("is not JSON") || e.to_string().contains("cut short"),
            "{broken:?}: {e}"
        );
    }
    assert!(
        !crate::__private::notification_matches(&event(tx), &["REFUND.SUCCESS"], &[]),
        "another event type"
    );
    // The typed decode reads the bytes; an error names the field, never the value.
    #[derive(Debug, serde::Deserialize)]
    struct Tx {
        #[allow(dead_code)]
        amount: u64,
    }
    let e = crate::__private::notification_resource::<Tx>(&event(r#"{"amount":"oUpF8uMu"}"#)).unwrap_err();
    assert!(!e.to_string().contains("oUpF8uMu"), "{e}");
}

/// The key walk agrees with serde_json on every payload example of the repository and on
/// JSON written to trip it (escaped quotes and backslashes, brackets inside strings, nesting).
#[test]
fn notification_keys_agree_with_serde_json() {
    use crate::notify::{Notification, NotificationEvent};
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/payloads");
    let mut examples: Vec<String> = std::fs::read_dir(dir)
        .expect("tests/payloads")
        .map(|entry| std::fs::read_to_string(entry.expect("entry").path()).expect("read"))
        .collect();
    assert!(examples.len() > 5, "{} payload examples", examples.len());
    examples.extend(
        [
            r#"{"a\"b":"x\"}{[","c":"]}\\","d":{"e":[{"f":"}"}]},"g\u0041":1}"#,
            r#"  {  "x" : [ ] , "y" : { } , "z":null }  "#,
            r#"{}"#,
            r#"{"only":true}"#,
        ]
        .map(str::to_owned),
    );
    let envelope = Notification::default();
    for json in &examples {
        let Ok(serde_json::Value::Object(expected)) = serde_json::from_str::<serde_json::Value>(json) else {
            continue;
        };
        let event = NotificationEvent::new(envelope.clone(), json.as_bytes().to_vec());
        let found: Vec<String> = event
            .keys
            .iter()
            .map(|k| match k {
                crate::notify::keys::Key::At(range) => {
                    String::from_utf8(json.as_bytes()[range.clone()].to_vec()).expect("UTF-8")
                }
                crate::notify::keys::Key::Unescaped(k) => k.to_string(),
            })
            .collect();
        let expected: Vec<String> = expected.keys().cloned().collect();
        let mut sorted = found.clone();
        sorted.sort();
        assert_eq!(sorted, expected, "{json}");
    }
}
