//! Request authentication.

use super::*;

#[tokio::test]
async fn good_request_gets_the_route_answer_signed_by_the_platform_key() {
    let server = authinfo_server().await;
    let body = authinfo_body();
    let headers = good_headers("POST", AUTHINFO, &body);
    let resp = send_raw(&server, "POST", AUTHINFO, &headers, &body).await;

    assert_eq!(resp.status, 200, "{:?}", String::from_utf8_lossy(&resp.body));
    assert_eq!(resp.body, br#"{"authinfo":"AUTH-INFO-123"}"#);
    assert_eq!(resp.header("Content-Type"), Some("application/json"));
    assert_eq!(resp.header("Wechatpay-Serial"), Some(keys::WECHATPAY_PUBLIC_KEY_ID));
    let ts: i64 = resp.header("Wechatpay-Timestamp").unwrap().parse().unwrap();
    assert!((now() - ts).abs() <= 5);
    let n = resp.header("Wechatpay-Nonce").unwrap();
    assert_eq!(n.len(), 32);
    assert!(n.bytes().all(|b| b.is_ascii_alphanumeric()));
    assert!(!resp.header("Request-ID").unwrap().is_empty());

    // The independent cross-check: openssl verifies the response signature ...
    assert!(response_verifies_with(&resp, &keys::wechatpay_pub_path()));
    // ... and rejects it over a changed body, and with another key (so the check can fail).
    let mut changed = response_message(&resp);
    let i = changed.len() - 3;
    changed[i] ^= 1;
    assert!(!openssl_verify(
        &keys::wechatpay_pub_path(),
        &changed,
        resp.header("Wechatpay-Signature").unwrap()
    ));
    assert!(!response_verifies_with(&resp, &keys::merchant_pub_path()));

    // The request was recorded as sent.
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let rec = &reqs[0];
    assert_eq!(rec.method, "POST");
    assert_eq!(rec.target, AUTHINFO);
    assert_eq!(rec.body, body);
    assert_eq!(rec.body_json()["device_id"], "11001");
    assert_eq!(rec.header("user-agent"), Some("mock-test/1.0"));
    assert_eq!(rec.auth, Ok(()));
    let a = rec.authorization().unwrap();
    assert_eq!(a.order(), auth::FIELDS.to_vec());
    assert_eq!(a.get("mchid"), Some(keys::MCHID));
    assert_eq!(server.hits("POST", AUTHINFO), 1);
}

#[tokio::test]
async fn request_signed_by_the_openssl_cli_is_accepted() {
    let server = authinfo_server().await;
    let body = authinfo_body();
    let ts = now();
    let n = nonce();
    let msg = auth::request_message("POST", AUTHINFO, &ts.to_string(), &n, &body);
    for key in [keys::merchant_key_path(), keys::merchant_key_pkcs1_path()] {
        let n = nonce();
        let msg = auth::request_message("POST", AUTHINFO, &ts.to_string(), &n, &body);
        let sig = openssl_sign(&key, &msg);
        let mut headers = good_headers("POST", AUTHINFO, &body);
        set_header(
            &mut headers,
            "Authorization",
            &authorization(keys::MCHID, keys::MERCHANT_SERIAL, ts, &n, &sig),
        );
        let resp = send_raw(&server, "POST", AUTHINFO, &headers, &body).await;
        assert_eq!(resp.status, 200, "{:?}", String::from_utf8_lossy(&resp.body));
    }
    // The hand signer (aws-lc-rs) and openssl agree: PKCS#1 v1.5 is deterministic.
    assert_eq!(
        sign_by_hand("POST", AUTHINFO, ts, &n, &body),
        openssl_sign(&keys::merchant_key_path(), &msg)
    );
}

#[tokio::test]
async fn get_with_encoded_path_and_query_is_verified_over_the_wire_target() {
    let server = MockServer::start(MockConfig::default()).await;
    let path = "/v3/pay/transactions/out-trade-no/a%20b%2Fc";
    server.on("GET", path, Reply::json(200, json!({"trade_state": "SUCCESS"})));
    server.on(
        "GET",
        &format!("{path}?mchid=1230000109"),
        Reply::json(200, json!({"trade_state": "EXACT"})),
    );
    let target = format!("{path}?mchid=1230000109");
    let resp = send_raw(&server, "GET", &target, &good_headers("GET", &target, b""), b"").await;
    assert_eq!(resp.status, 200, "{:?}", String::from_utf8_lossy(&resp.body));
    assert_eq!(resp.json()["trade_state"], "EXACT", "exact target wins");
    let other = format!("{path}?mchid=1");
    let resp = send_raw(&server, "GET", &other, &good_headers("GET", &other, b""), b"").await;
    assert_eq!(resp.json()["trade_state"], "SUCCESS", "bare path matches any query");

    let rec = server.requests();
    assert_eq!(rec[0].target, target);
    assert_eq!(rec[0].path(), path);
    assert_eq!(rec[0].query(), Some("mchid=1230000109"));

    // Signing the decoded path instead of the wire target fails.
    let decoded = "/v3/pay/transactions/out-trade-no/a b/c?mchid=1230000109";
    let resp = send_raw(&server, "GET", &target, &good_headers("GET", decoded, b""), b"").await;
    assert_sign_error(&resp, "does not verify");
}

#[tokio::test]
async fn bad_signatures_get_401_sign_error() {
    let server = authinfo_server().await;
    let body = authinfo_body();

    // Body changed after signing.
    let headers = good_headers("POST", AUTHINFO, &body);
    let mut other = body.clone();
    other[10] ^= 1;
    let resp = send_raw(&server, "POST", AUTHINFO, &headers, &other).await;
    assert_sign_error(&resp, "does not verify");
    // A 401 is signed like any answer.
    assert!(response_verifies_with(&resp, &keys::wechatpay_pub_path()));

    // Signed with the wrong key (the platform's, not the merchant's).
    let ts = now();
    let n = nonce();
    let msg = auth::request_message("POST", AUTHINFO, &ts.to_string(), &n, &body);
    let sig = openssl_sign(&keys::wechatpay_key_path(), &msg);
    let mut headers = good_headers("POST", AUTHINFO, &body);
    set_header(
        &mut headers,
        "Authorization",
        &authorization(keys::MCHID, keys::MERCHANT_SERIAL, ts, &n, &sig),
    );
    assert_sign_error(
        &send_raw(&server, "POST", AUTHINFO, &headers, &body).await,
        "does not verify",
    );

    // Wrong method signed.
    let headers = good_headers("PUT", AUTHINFO, &body);
    assert_sign_error(
        &send_raw(&server, "POST", AUTHINFO, &headers, &body).await,
        "does not verify",
    );

    // Not base64 / truncated.
    let mut headers = good_headers("POST", AUTHINFO, &body);
    set_header(
        &mut headers,
        "Authorization",
        &authorization(keys::MCHID, keys::MERCHANT_SERIAL, now(), &nonce(), "@@@"),
    );
    assert_sign_error(&send_raw(&server, "POST", AUTHINFO, &headers, &body).await, "base64");
    assert_eq!(server.hits("POST", AUTHINFO), 0, "no bad request reached the route");
    assert_eq!(server.requests().len(), 4);
    assert!(server.requests().iter().all(|r| r.auth.is_err()));
}

#[tokio::test]
async fn timestamp_window_is_300_seconds() {
    let server = authinfo_server().await;
    let body = authinfo_body();
    for (offset, ok) in [(-301, false), (301, false), (-400, false), (-290, true), (290, true)] {
        let ts = now() + offset;
        let n = nonce();
        let sig = sign_by_hand("POST", AUTHINFO, ts, &n, &body);
        let mut headers = good_headers("POST", AUTHINFO, &body);
        set_header(
            &mut headers,
            "Authorization",
            &authorization(keys::MCHID, keys::MERCHANT_SERIAL, ts, &n, &sig),
        );
        let resp = send_raw(&server, "POST", AUTHINFO, &headers, &body).await;
        if ok {
            assert_eq!(resp.status, 200, "offset {offset}");
        } else {
            assert_sign_error(&resp, "timestamp");
        }
    }
}

#[tokio::test]
async fn wrong_mchid_or_serial_gets_401() {
    let server = authinfo_server().await;
    let body = authinfo_body();
    for (mchid, serial, reason) in [
        ("1900000002", keys::MERCHANT_SERIAL, "mchid"),
        (keys::MCHID, "5157F09EFDC096DE15EBE81A47057A7232F1B8E2", "serial_no"),
        (keys::MCHID, &keys::MERCHANT_SERIAL.to_ascii_lowercase(), "serial_no"),
    ] {
        let ts = now();
        let n = nonce();
        let sig = sign_by_hand("POST", AUTHINFO, ts, &n, &body);
        let mut headers = good_headers("POST", AUTHINFO, &body);
        set_header(
            &mut headers,
            "Authorization",
            &authorization(mchid, serial, ts, &n, &sig),
        );
        assert_sign_error(&send_raw(&server, "POST", AUTHINFO, &headers, &body).await, reason);
    }
}

#[tokio::test]
async fn missing_headers_get_401() {
    let server = authinfo_server().await;
    let body = authinfo_body();
    for (header, reason) in [
        ("Authorization", "missing Authorization"),
        ("User-Agent", "User-Agent"),
        ("Accept", "Accept"),
        ("Content-Type", "Content-Type"),
    ] {
        let mut headers = good_headers("POST", AUTHINFO, &body);
        remove_header(&mut headers, header);
        assert_sign_error(&send_raw(&server, "POST", AUTHINFO, &headers, &body).await, reason);
    }
    let mut headers = good_headers("POST", AUTHINFO, &body);
    set_header(&mut headers, "Accept", "text/html");
    assert_sign_error(&send_raw(&server, "POST", AUTHINFO, &headers, &body).await, "Accept");
    // A list naming application/json is fine.
    let mut headers = good_headers("POST", AUTHINFO, &body);
    set_header(&mut headers, "Accept", "text/html, application/json;q=0.9");
    assert_eq!(send_raw(&server, "POST", AUTHINFO, &headers, &body).await.status, 200);
}

#[tokio::test]
async fn malformed_authorization_headers_get_401() {
    let server = authinfo_server().await;
    let body = authinfo_body();
    let ts = now();
    let good_nonce = nonce();
    let sig = sign_by_hand("POST", AUTHINFO, ts, &good_nonce, &body);
    let (m, s) = (keys::MCHID, keys::MERCHANT_SERIAL);
    let cases: Vec<(String, &str)> = vec![
        (
            format!("WECHATPAY2-SHA256-RSA4096 mchid=\"{m}\",serial_no=\"{s}\",timestamp=\"{ts}\",nonce_str=\"{good_nonce}\",signature=\"{sig}\""),
            "scheme",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048  mchid=\"{m}\",serial_no=\"{s}\",timestamp=\"{ts}\",nonce_str=\"{good_nonce}\",signature=\"{sig}\""),
            "field name",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048 mchid={m},serial_no=\"{s}\",timestamp=\"{ts}\",nonce_str=\"{good_nonce}\",signature=\"{sig}\""),
            "not quoted",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048 mchid=\"{m}\", serial_no=\"{s}\",timestamp=\"{ts}\",nonce_str=\"{good_nonce}\",signature=\"{sig}\""),
            "field name",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048 mchid=\"{m}\",serial_no=\"{s}\",nonce_str=\"{good_nonce}\",signature=\"{sig}\""),
            "timestamp is missing",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048 mchid=\"{m}\",mchid=\"{m}\",serial_no=\"{s}\",timestamp=\"{ts}\",nonce_str=\"{good_nonce}\",signature=\"{sig}\""),
            "duplicate",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048 mchid=\"{m}\",serial_no=\"{s}\",timestamp=\"{ts}\",nonce_str=\"{good_nonce}\",signature=\"{sig}\",extra=\"1\""),
            "unknown",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048 mchid=\"{m}\",serial_no=\"{s}\",timestamp=\"{ts}\",nonce_str=\"{}\",signature=\"{sig}\"", &good_nonce[..31]),
            "nonce_str",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048 mchid=\"{m}\",serial_no=\"{s}\",timestamp=\"{ts}\",nonce_str=\"{}-\",signature=\"{sig}\"", &good_nonce[..31]),
            "nonce_str",
        ),
        (
            format!("WECHATPAY2-SHA256-RSA2048 mchid=\"{m}\",serial_no=\"{s}\",timestamp=\"{ts}.0\",nonce_str=\"{good_nonce}\",signature=\"{sig}\""),
            "Unix seconds",
        ),
    ];
    for (header, reason) in cases {
        let mut headers = good_headers("POST", AUTHINFO, &body);
        set_header(&mut headers, "Authorization", &header);
        assert_sign_error(&send_raw(&server, "POST", AUTHINFO, &headers, &body).await, reason);
    }
    // Field order is free; the well-formed header in another order is accepted.
    let mut headers = good_headers("POST", AUTHINFO, &body);
    set_header(
        &mut headers,
        "Authorization",
        &format!("WECHATPAY2-SHA256-RSA2048 signature=\"{sig}\",nonce_str=\"{good_nonce}\",timestamp=\"{ts}\",serial_no=\"{s}\",mchid=\"{m}\""),
    );
    assert_eq!(send_raw(&server, "POST", AUTHINFO, &headers, &body).await.status, 200);
}

#[tokio::test]
async fn reused_nonce_gets_401() {
    let server = authinfo_server().await;
    let body = authinfo_body();
    let headers = good_headers("POST", AUTHINFO, &body);
    assert_eq!(send_raw(&server, "POST", AUTHINFO, &headers, &body).await.status, 200);
    assert_sign_error(
        &send_raw(&server, "POST", AUTHINFO, &headers, &body).await,
        "already used",
    );
}
