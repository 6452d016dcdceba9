//! Notifications.

use super::*;

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

    // A payment without the keys its shapes are told apart by (no `mchid`): not `Other`, which
    // a catch-all arm would acknowledge, but an error answered with a failure, so that WeChat
    // Pay delivers it again; the decrypted JSON stays on the event for whoever looks.
    let keyless = json!({"appid": "wxd678efh567hg6787", "out_trade_no": "1217752501201407033233368018", "trade_state": "SUCCESS", "amount": {"total": 100}});
    let (h, body) = notification(
        "TRANSACTION.SUCCESS",
        "transaction",
        keyless.to_string().as_bytes(),
        APIV3_KEY,
    );
    let event = c.handle_notification(&h, &body).unwrap();
    let e = Resource::decode(&event).unwrap_err();
    match &e {
        Error::NotificationUnmatched { event_type, expected } => {
            assert_eq!(event_type, "TRANSACTION.SUCCESS");
            // Whichever API groups the build enables (combined payments add a shape).
            let shapes: Vec<&str> = expected.split(", ").collect();
            assert!(
                shapes.contains(&"mchid+out_trade_no") && shapes.contains(&"sp_mchid+sub_mchid+out_trade_no"),
                "{expected}"
            );
        }
        other => panic!("expected NotificationUnmatched, got {other:?}"),
    }
    let answer = NotificationAnswer::for_error(&e);
    assert!(answer.status() >= 400, "{}", answer.status());
    assert!(answer.body().contains("FAIL") && !answer.body().contains("1217752501201407033233368018"));
    assert_eq!(event.resource_json().unwrap(), keyless);

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
        Err(Error::Verification(VerificationError::NotificationBadSignature { serial })) if serial == PUB_KEY_ID
    ));
    // Signed by another key under the right serial.
    let forged = sign_body(&key_text("merchant_key.pem"), PUB_KEY_ID, now(), &body);
    assert!(matches!(
        c.handle_notification(&forged.headers(), &body),
        Err(Error::Verification(VerificationError::NotificationBadSignature { .. }))
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
        Err(Error::Decrypt(e)) => {
            assert_eq!(e.problem, wechatpay::DecryptProblem::Authentication, "{e}");
            assert!(e.message.contains("authentication failed"), "{e}");
        }
        other => panic!("{other:?}"),
    }
    // Tampered ciphertext, re-signed (so only the GCM tag catches it).
    let mut ct = B64.decode(TX_CIPHERTEXT).unwrap();
    ct[10] ^= 1;
    let tampered = envelope("TRANSACTION.SUCCESS", "transaction", TX_NONCE, &B64.encode(ct));
    let s = sign_body(&wechatpay_key, PUB_KEY_ID, now(), &tampered);
    assert!(
        matches!(c.handle_notification(&s.headers(), &tampered), Err(Error::Decrypt(m)) if m.problem == wechatpay::DecryptProblem::Authentication)
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
        Err(Error::NotificationDecode { .. })
    ));
    // A decrypted payload that is not JSON: refused when it is typed, whichever way.
    let (h, b) = notification("TRANSACTION.SUCCESS", "transaction", b"{not json", APIV3_KEY);
    let event = c.handle_notification(&h, &b).expect("verified and decrypted");
    assert!(matches!(
        Resource::decode(&event),
        Err(Error::NotificationDecode { .. })
    ));
    assert!(matches!(
        event.decode_resource::<serde_json::Value>(),
        Err(Error::NotificationDecode { .. })
    ));
    let (h, b) = notification(
        "TRANSACTION.SUCCESS",
        "transaction",
        br#"{"mchid":"1900000001","out_trade_no":"T1","amount":{"total":"100"}}"#,
        APIV3_KEY,
    );
    let event = c.handle_notification(&h, &b).expect("JSON: typed later");
    assert!(matches!(
        Resource::decode(&event),
        Err(Error::NotificationDecode { .. })
    ));

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
    let event = c.handle_notification(&h, &b).expect("verified and decrypted");
    let answer = NotificationAnswer::for_error(&Resource::decode(&event).unwrap_err());
    assert_eq!(answer.status(), 400);
    assert!(
        !answer.body().contains("secret-payload"),
        "the decrypted payload is not echoed: {}",
        answer.body()
    );
    let config = wechatpay::ApiV3Key::new("short").unwrap_err();
    assert!(matches!(config, Error::Config(_)), "{config:?}");
    assert_eq!(NotificationAnswer::for_error(&config).status(), 500);
}
