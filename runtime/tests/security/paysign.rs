//! Pay-sign.

use super::*;

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
        Err(Error::Sign(wechatpay::SignError::new(
            "HSM offline",
            std::io::Error::other("the HSM does not answer"),
        )))
    }
}

#[test]
fn pay_sign_uses_the_pluggable_signer_and_reports_its_errors() {
    assert!(
        matches!(JsapiPayParams::sign(&FailingSigner, "a", "p", 1, "n"), Err(Error::Sign(m)) if m.message == "HSM offline"
            && m.source.as_ref().is_some_and(|s| s.downcast_ref::<std::io::Error>().is_some()))
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
