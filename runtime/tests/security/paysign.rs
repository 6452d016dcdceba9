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

/// A redelivered notification is handled once: the handler runs again only after a failure;
/// two deliveries at once run it once; a claim whose holder died expires.
#[tokio::test]
async fn redeliveries_are_handled_once() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use wechatpay::runtime::{Claim, MemoryLedger, NotificationLedger};
    let c = client();
    let ledger = MemoryLedger::new(2);
    let body = envelope("TRANSACTION.SUCCESS", "transaction", TX_NONCE, TX_CIPHERTEXT);
    let signed = sign_body(&key_text("wechatpay_key.pem"), PUB_KEY_ID, now(), &body);
    let runs = &AtomicUsize::new(0);
    // The first delivery fails in the handler: 500 FAIL, the claim released.
    let answer = c
        .handle_notification_once(&signed.headers(), &body, &ledger, |_| async {
            runs.fetch_add(1, Ordering::SeqCst);
            Err("database down")
        })
        .await;
    assert_eq!((answer.status(), runs.load(Ordering::SeqCst)), (500, 1));
    assert!(answer.body().contains("database down"), "{}", answer.body());
    // The redelivery succeeds; the next ones are answered without running the handler.
    for _ in 0..3 {
        let answer = c
            .handle_notification_once(&signed.headers(), &body, &ledger, |e| async move {
                assert_eq!(e.id, "EV-2018022511223320873");
                runs.fetch_add(1, Ordering::SeqCst);
                Ok::<(), String>(())
            })
            .await;
        assert!(answer.is_success());
    }
    assert_eq!(runs.load(Ordering::SeqCst), 2);
    // A notification that does not verify never reaches the handler.
    let forged = sign_body(&key_text("merchant_key.pem"), PUB_KEY_ID, now(), &body);
    let answer = c
        .handle_notification_once(&forged.headers(), &body, &ledger, |_| async {
            panic!("the handler must not run");
            #[allow(unreachable_code)]
            Ok::<(), String>(())
        })
        .await;
    assert_eq!(answer.status(), 401);
    // Claimed and not completed (a delivery being handled): another delivery is refused with
    // 503, so that WeChat Pay tries again; a claim is released only by its own token.
    let Claim::Claimed(token) = ledger.claim("b").await.unwrap() else {
        panic!("b is free")
    };
    assert_eq!(ledger.claim("b").await.unwrap(), Claim::InProgress);
    ledger
        .release("b", &wechatpay::runtime::ClaimToken::new())
        .await
        .unwrap();
    assert_eq!(ledger.claim("b").await.unwrap(), Claim::InProgress);
    ledger.complete("b", &token).await.unwrap();
    assert_eq!(ledger.claim("b").await.unwrap(), Claim::Handled);
    // The memory ledger forgets the oldest handled ids beyond its capacity.
    let Claim::Claimed(token) = ledger.claim("c").await.unwrap() else {
        panic!("c is free")
    };
    ledger.complete("c", &token).await.unwrap();
    assert!(matches!(
        ledger.claim("EV-2018022511223320873").await.unwrap(),
        Claim::Claimed(_)
    ));
    // A claim whose holder died expires after the lease.
    let short = MemoryLedger::new(8).lease(std::time::Duration::from_millis(50));
    assert!(matches!(short.claim("d").await.unwrap(), Claim::Claimed(_)));
    assert_eq!(short.claim("d").await.unwrap(), Claim::InProgress);
    tokio::time::sleep(std::time::Duration::from_millis(80)).await;
    assert!(matches!(short.claim("d").await.unwrap(), Claim::Claimed(_)));
}
