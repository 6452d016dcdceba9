//! Answers, tampering, modes, lifecycle.

use super::*;

#[tokio::test]
async fn unregistered_route_is_404_resource_not_exists() {
    let server = authinfo_server().await;
    let target = "/v3/nothing/here";
    let resp = send_raw(&server, "GET", target, &good_headers("GET", target, b""), b"").await;
    assert_eq!(resp.status, 404);
    assert_eq!(resp.json()["code"], "RESOURCE_NOT_EXISTS");
    assert!(response_verifies_with(&resp, &keys::wechatpay_pub_path()));
    // Same path, other method.
    let resp = send_raw(&server, "GET", AUTHINFO, &good_headers("GET", AUTHINFO, b""), b"").await;
    assert_eq!(resp.status, 404);
}

#[tokio::test]
async fn no_content_is_signed_over_the_empty_body() {
    let server = MockServer::start(MockConfig::default()).await;
    let target = "/v3/pay/transactions/out-trade-no/X/close";
    server.on("POST", target, Reply::no_content());
    let body = br#"{"mchid":"1230000109"}"#;
    let resp = send_raw(&server, "POST", target, &good_headers("POST", target, body), body).await;
    assert_eq!(resp.status, 204);
    assert!(resp.body.is_empty());
    assert!(response_verifies_with(&resp, &keys::wechatpay_pub_path()));
}

#[tokio::test]
async fn error_reply_keeps_code_message_and_request_id() {
    let server = MockServer::start(MockConfig::default()).await;
    let target = "/v3/pay/transactions/jsapi";
    server.on(
        "POST",
        target,
        Reply::json(
            400,
            json!({"code":"PARAM_ERROR","message":"参数错误","detail":{"field":"amount.total"}}),
        )
        .header("Request-ID", "08F1C4A2B3D4E5F6-TEST"),
    );
    let body = br#"{"amount":{"total":0}}"#;
    let resp = send_raw(&server, "POST", target, &good_headers("POST", target, body), body).await;
    assert_eq!(resp.status, 400);
    assert_eq!(resp.json()["code"], "PARAM_ERROR");
    assert_eq!(resp.json()["message"], "参数错误");
    assert_eq!(resp.header("Request-ID"), Some("08F1C4A2B3D4E5F6-TEST"));
    assert_eq!(
        resp.headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("request-id"))
            .count(),
        1
    );
    assert!(response_verifies_with(&resp, &keys::wechatpay_pub_path()));
}

#[tokio::test]
async fn tampering_knobs_break_exactly_what_they_say() {
    let server = MockServer::start(MockConfig::default()).await;
    let ok = || Reply::json(200, json!({"authinfo": "x"}));
    let cases: Vec<(&str, Reply)> = vec![
        (
            "/t/body",
            ok().tamper(Tamper::BodyAfterSigning(br#"{"authinfo":"y"}"#.to_vec())),
        ),
        ("/t/past", ok().tamper(Tamper::stale_past())),
        ("/t/future", ok().tamper(Tamper::stale_future())),
        ("/t/serial", ok().tamper(Tamper::UnknownSerial)),
        ("/t/omit-sig", ok().tamper(Tamper::omit("Wechatpay-Signature"))),
        ("/t/omit-ts", ok().tamper(Tamper::omit("Wechatpay-Timestamp"))),
        ("/t/omit-nonce", ok().tamper(Tamper::omit("Wechatpay-Nonce"))),
        ("/t/omit-serial", ok().tamper(Tamper::omit("Wechatpay-Serial"))),
        ("/t/omit-rid", ok().tamper(Tamper::omit("Request-ID"))),
        ("/t/unsigned", ok().tamper(Tamper::Unsigned)),
        ("/t/wrong-key", ok().tamper(Tamper::WrongKey)),
        ("/t/garbage", ok().tamper(Tamper::GarbageSignature)),
    ];
    for (path, reply) in &cases {
        server.on("GET", path, reply.clone());
    }
    let pubkey = keys::wechatpay_pub_path();
    let mut get = Vec::new();
    for (path, _) in &cases {
        get.push(send_raw(&server, "GET", path, &good_headers("GET", path, b""), b"").await);
    }
    let [body, past, future, serial, omit_sig, omit_ts, omit_nonce, omit_serial, omit_rid, unsigned, wrong_key, garbage] =
        get.try_into().unwrap();

    assert_eq!(body.body, br#"{"authinfo":"y"}"#);
    assert!(!response_verifies_with(&body, &pubkey));
    // The signature is over the original body.
    let mut original = response_message(&body);
    let n = original.len();
    original[n - 4] = b'x';
    assert!(openssl_verify(
        &pubkey,
        &original,
        body.header("Wechatpay-Signature").unwrap()
    ));

    for (resp, offset) in [(&past, -301), (&future, 400)] {
        let ts: i64 = resp.header("Wechatpay-Timestamp").unwrap().parse().unwrap();
        assert!((ts - (now() + offset)).abs() <= 5, "{ts} vs now{offset:+}");
        // Only the window is wrong: the signature covers the stale timestamp.
        assert!(response_verifies_with(resp, &pubkey));
    }
    assert_eq!(serial.header("Wechatpay-Serial"), Some(UNKNOWN_SERIAL));
    assert!(response_verifies_with(&serial, &pubkey));

    for (resp, missing) in [
        (&omit_sig, "Wechatpay-Signature"),
        (&omit_ts, "Wechatpay-Timestamp"),
        (&omit_nonce, "Wechatpay-Nonce"),
        (&omit_serial, "Wechatpay-Serial"),
        (&omit_rid, "Request-ID"),
    ] {
        assert!(resp.header(missing).is_none(), "{missing} should be missing");
        for other in [
            "Wechatpay-Signature",
            "Wechatpay-Timestamp",
            "Wechatpay-Nonce",
            "Wechatpay-Serial",
            "Request-ID",
        ] {
            if other != missing {
                assert!(resp.header(other).is_some(), "{other} should be there");
            }
        }
    }
    for h in [
        "Wechatpay-Signature",
        "Wechatpay-Timestamp",
        "Wechatpay-Nonce",
        "Wechatpay-Serial",
    ] {
        assert!(unsigned.header(h).is_none());
    }
    assert!(unsigned.header("Request-ID").is_some());
    assert_eq!(unsigned.status, 200);

    assert!(!response_verifies_with(&wrong_key, &pubkey));
    assert!(response_verifies_with(&wrong_key, &keys::merchant_pub_path()));
    assert!(B64.decode(garbage.header("Wechatpay-Signature").unwrap()).is_err());
}

#[tokio::test]
async fn certificate_mode_signs_with_the_platform_certificate_key() {
    let server = MockServer::start(MockConfig::certificate_mode()).await;
    server.on("GET", "/v3/x", Reply::json(200, json!({"ok": true})));
    server.on(
        "GET",
        "/v3/y",
        Reply::json(200, json!({"ok": true})).signed_by(ResponseKey::wechatpay_public_key()),
    );
    let dir = tempfile::tempdir().unwrap();
    let cert_pub = platform_cert_pubkey(dir.path());

    let resp = send_raw(&server, "GET", "/v3/x", &good_headers("GET", "/v3/x", b""), b"").await;
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("Wechatpay-Serial"), Some(keys::PLATFORM_CERT_SERIAL));
    assert!(response_verifies_with(&resp, &cert_pub));
    assert!(!response_verifies_with(&resp, &keys::wechatpay_pub_path()));

    // A route can be signed by the other key (a merchant migrating between the two).
    let resp = send_raw(&server, "GET", "/v3/y", &good_headers("GET", "/v3/y", b""), b"").await;
    assert_eq!(resp.header("Wechatpay-Serial"), Some(keys::WECHATPAY_PUBLIC_KEY_ID));
    assert!(response_verifies_with(&resp, &keys::wechatpay_pub_path()));

    // The certificate's serial is the one in keys.rs.
    let out = Command::new("openssl")
        .args(["x509", "-noout", "-serial", "-in"])
        .arg(keys::platform_cert_path())
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("serial={}", keys::PLATFORM_CERT_SERIAL)
    );
}

#[tokio::test]
async fn sequence_routes_and_sign_over_override() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence(
        "GET",
        "/v3/seq",
        vec![
            Reply::error(500, "SYSTEM_ERROR", "busy"),
            Reply::json(200, json!({"n": 2})),
        ],
    );
    let mut statuses = Vec::new();
    for _ in 0..3 {
        statuses.push(
            send_raw(&server, "GET", "/v3/seq", &good_headers("GET", "/v3/seq", b""), b"")
                .await
                .status,
        );
    }
    assert_eq!(statuses, [500, 200, 200]);
    assert_eq!(server.hits("GET", "/v3/seq"), 3);

    // Statements: the signed body is {"sha1":"…"}, not the file.
    let signed = br#"{"sha1":"da39a3ee5e6b4b0d3255bfef95601890afd80709"}"#;
    server.on(
        "GET",
        "/v3/statements",
        Reply::raw(200, "application/octet-stream", b"FILE".to_vec()).sign_over(signed),
    );
    let resp = send_raw(
        &server,
        "GET",
        "/v3/statements",
        &good_headers("GET", "/v3/statements", b""),
        b"",
    )
    .await;
    assert_eq!(resp.body, b"FILE");
    let msg = format!(
        "{}\n{}\n{}\n",
        resp.header("Wechatpay-Timestamp").unwrap(),
        resp.header("Wechatpay-Nonce").unwrap(),
        std::str::from_utf8(signed).unwrap()
    );
    assert!(openssl_verify(
        &keys::wechatpay_pub_path(),
        msg.as_bytes(),
        resp.header("Wechatpay-Signature").unwrap()
    ));
}

#[tokio::test]
async fn multipart_upload_is_verified_over_the_meta_part() {
    let server = MockServer::start(MockConfig::default()).await;
    let target = "/v3/merchant/media/upload";
    server.on("POST", target, Reply::json(200, json!({"media_id": "M1"})));
    let meta = br#"{"filename":"a.png","sha256":"abc"}"#;
    let boundary = "XBOUNDARYX";
    let mut body = Vec::new();
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"meta\"\r\nContent-Type: application/json\r\n\r\n"
        )
        .as_bytes(),
    );
    body.extend_from_slice(meta);
    body.extend_from_slice(format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n").as_bytes());
    body.extend_from_slice(b"\x89PNG\r\n\x1a\nDATA");
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let ct = format!("multipart/form-data; boundary={boundary}");

    let mut headers = good_headers("POST", target, meta);
    set_header(&mut headers, "Content-Type", &ct);
    let resp = send_raw(&server, "POST", target, &headers, &body).await;
    assert_eq!(resp.status, 200, "{:?}", String::from_utf8_lossy(&resp.body));

    // Signing the whole multipart body is wrong.
    let mut headers = good_headers("POST", target, &body);
    set_header(&mut headers, "Content-Type", &ct);
    assert_sign_error(
        &send_raw(&server, "POST", target, &headers, &body).await,
        "does not verify",
    );
}

#[tokio::test]
async fn server_stops_when_dropped() {
    let server = authinfo_server().await;
    let addr = server.addr();
    assert!(TcpStream::connect(addr).await.is_ok());
    drop(server);
    let mut refused = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(10)).await;
        if TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
    }
    assert!(refused, "the listener should be closed after drop");
}

#[test]
fn blocking_server_runs_on_its_own_runtime() {
    let server = MockServer::start_blocking(MockConfig::default());
    server.on("GET", "/v3/ping", Reply::json(200, json!({"pong": true})));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let resp = rt.block_on(send_raw(
        &server,
        "GET",
        "/v3/ping",
        &good_headers("GET", "/v3/ping", b""),
        b"",
    ));
    assert_eq!(resp.status, 200);
    assert!(response_verifies_with(&resp, &keys::wechatpay_pub_path()));
    drop(server);
}
