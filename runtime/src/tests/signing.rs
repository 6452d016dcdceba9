//! Signing.

use super::*;

fn parse_authorization(value: &str) -> Vec<(String, String)> {
    let rest = value
        .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
        .unwrap_or_else(|| panic!("bad scheme: {value}"));
    rest.split(',')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or_else(|| panic!("bad field {kv:?}"));
            assert!(
                v.starts_with('"') && v.ends_with('"') && v.len() >= 2,
                "unquoted {kv:?}"
            );
            (k.to_owned(), v[1..v.len() - 1].to_owned())
        })
        .collect()
}

#[test]
fn authorization_header_format_and_field_order() {
    let c = client();
    let parts = Parts::for_test(Method::POST, "/v3/offlineface/authinfo", "", Some(br#"{"a":1}"#));
    let signed = sign_request(&c.inner, parts, TS, NONCE).unwrap();
    let auth = signed.request.headers()["authorization"].to_str().unwrap().to_owned();
    assert!(signed.request.headers()["authorization"].is_sensitive());
    assert_eq!(auth.matches(' ').count(), 1, "one space only: {auth}");
    let fields = parse_authorization(&auth);
    let names: Vec<&str> = fields.iter().map(|(k, _)| k.as_str()).collect();
    assert_eq!(names, ["mchid", "serial_no", "timestamp", "nonce_str", "signature"]);
    assert_eq!(fields[0].1, MCHID);
    assert_eq!(fields[1].1, MERCHANT_SERIAL);
    assert_eq!(fields[2].1, TS.to_string());
    assert_eq!(fields[3].1, NONCE);
    let expected_prefix = format!(
        "WECHATPAY2-SHA256-RSA2048 mchid=\"{MCHID}\",serial_no=\"{MERCHANT_SERIAL}\",timestamp=\"{TS}\",nonce_str=\"{NONCE}\",signature=\""
    );
    assert!(auth.starts_with(&expected_prefix), "{auth}");
    assert_eq!(signed.request.headers()["accept"], "application/json");
    assert_eq!(signed.request.headers()["content-type"], "application/json");
}

#[test]
fn merchant_serial_is_uppercased() {
    let c = client_with(|b| b.merchant_serial(MERCHANT_SERIAL.to_ascii_lowercase()));
    assert_eq!(c.merchant_serial(), MERCHANT_SERIAL);
}

#[test]
fn signed_message_and_openssl_cross_check() {
    let c = client();
    let body = br#"{"sp_appid":"wx1","raw_data":"a b"}"#;
    let parts = Parts::for_test(Method::POST, "/v3/x/y", "?a=1&b=c%20d", Some(body));
    let signed = sign_request(&c.inner, parts, TS, NONCE).unwrap();
    let expected = format!(
        "POST\n/v3/x/y?a=1&b=c%20d\n{TS}\n{NONCE}\n{}\n",
        std::str::from_utf8(body).unwrap()
    );
    assert_eq!(String::from_utf8(signed.message.clone()).unwrap(), expected);
    assert_eq!(signed.request.url().as_str(), "http://127.0.0.1:9/v3/x/y?a=1&b=c%20d");
    assert_eq!(signed.request.body().and_then(|b| b.as_bytes()), Some(&body[..]));

    let auth = signed.request.headers()["authorization"].to_str().unwrap().to_owned();
    let signature = parse_authorization(&auth).pop().unwrap().1;
    let k = keys();
    assert!(openssl_verify(&k.merchant_pub_path, expected.as_bytes(), &signature));
    // The check can fail: a different message or a different key is rejected by openssl.
    assert!(!openssl_verify(&k.merchant_pub_path, b"POST\n/v3/x/z\n", &signature));
    let other = keys::temp_path("other_pub.pem");
    std::fs::write(&other, &k.other_pub).unwrap();
    assert!(!openssl_verify(&other, expected.as_bytes(), &signature));
}

#[test]
fn get_without_body_signs_empty_body_and_sends_no_content_type() {
    let c = client();
    let parts = Parts::for_test(Method::GET, "/v3/certificates", "", None);
    let signed = sign_request(&c.inner, parts, TS, NONCE).unwrap();
    assert_eq!(
        signed.message,
        format!("GET\n/v3/certificates\n{TS}\n{NONCE}\n\n").into_bytes()
    );
    assert!(signed.request.headers().get("content-type").is_none());
    assert!(signed.request.body().is_none());
}

#[test]
fn target_comes_from_the_final_url() {
    // chain() takes the path as given; the URL parser normalises it and the signature must
    // cover what is sent, not the text given.
    let c = client_with(|b| b.base_url("http://127.0.0.1:9/prefix/"));
    let parts = c.chain("v3/a b/./c").request(Method::GET).into_parts();
    let signed = sign_request(&c.inner, parts, TS, NONCE).unwrap();
    assert_eq!(signed.request.url().path(), "/prefix/v3/a%20b/c");
    assert!(signed.message.starts_with(b"GET\n/prefix/v3/a%20b/c\n"));
}

#[test]
fn a_query_in_a_chain_path_is_kept_and_extended() {
    let c = client_with(|b| b.base_url("http://127.0.0.1:9"));
    let parts = c.chain("v3/x?a=1").request(Method::GET).query("b", "2 3").into_parts();
    let signed = sign_request(&c.inner, parts, TS, NONCE).unwrap();
    assert_eq!(signed.request.url().as_str(), "http://127.0.0.1:9/v3/x?a=1&b=2%203");
    assert!(signed.message.starts_with(b"GET\n/v3/x?a=1&b=2%203\n"));
}

#[test]
fn pkcs1_and_pkcs8_keys_load_and_sign_identically() {
    let k = keys();
    let p8 = RsaSigner::from_pem(&k.merchant_pkcs8).unwrap();
    let p1 = RsaSigner::from_pem(&k.merchant_pkcs1).unwrap();
    assert_eq!(p8.modulus_bits(), 2048);
    // PKCS#1 v1.5 signatures are deterministic: same key → same signature.
    assert_eq!(p8.sign(b"hello").unwrap(), p1.sign(b"hello").unwrap());
    assert!(openssl_verify(
        &k.merchant_pub_path,
        b"hello",
        &p1.sign(b"hello").unwrap()
    ));
    // Both load through the builder too.
    client_with(|b| b.private_key_pem(&k.merchant_pkcs1));
}

#[test]
fn bad_pem_is_a_clear_error_not_a_panic() {
    let k = keys();
    let build = |pem: &str| {
        Client::builder()
            .mchid(MCHID)
            .merchant_serial(MERCHANT_SERIAL)
            .private_key_pem(pem)
            .wechatpay_public_key(PUB_KEY_ID, &k.wechatpay_pub)
            .build()
    };
    let msg = config_error(build("not a pem"));
    assert!(msg.contains("private key") && msg.contains("PEM"), "{msg}");
    let msg = config_error(build(&k.wechatpay_pub));
    assert!(
        msg.contains("no private key found") && msg.contains("BEGIN PUBLIC KEY"),
        "{msg}"
    );
    let msg = config_error(build(""));
    assert!(msg.contains("private key"), "{msg}");
    // A PEM frame whose DER is garbage.
    let garbage = "-----BEGIN PRIVATE KEY-----\nTUlJRXZRSUJBREFOQmdrcWhraUc5dzBCQVFFRkFBU0NCS2N3Z2dTakFnRUFBb0lCQVFD\n-----END PRIVATE KEY-----\n";
    let msg = config_error(build(garbage));
    assert!(msg.contains("not a usable RSA key"), "{msg}");
    assert!(!msg.contains("TUlJRXZRSUJBREFO"), "key material in error: {msg}");
    // Truncated PEM.
    let truncated = &k.merchant_pkcs8[..k.merchant_pkcs8.len() / 2];
    let msg = config_error(build(truncated));
    assert!(msg.contains("private key"), "{msg}");
    // Bad public key / certificate.
    let msg = config_error(
        Client::builder()
            .mchid(MCHID)
            .merchant_serial(MERCHANT_SERIAL)
            .private_key_pem(&k.merchant_pkcs8)
            .wechatpay_public_key(PUB_KEY_ID, &k.merchant_pkcs8)
            .build(),
    );
    assert!(msg.contains(PUB_KEY_ID) && msg.contains("no public key found"), "{msg}");
    let msg = config_error(
        Client::builder()
            .mchid(MCHID)
            .merchant_serial(MERCHANT_SERIAL)
            .private_key_pem(&k.merchant_pkcs8)
            .platform_certificate_pem(&k.wechatpay_pub)
            .build(),
    );
    assert!(msg.contains("no certificate found"), "{msg}");
    // Missing file names the file.
    let msg = config_error(
        Client::builder()
            .mchid(MCHID)
            .merchant_serial(MERCHANT_SERIAL)
            .private_key_file("/nonexistent/apiclient_key.pem")
            .build(),
    );
    assert!(msg.contains("/nonexistent/apiclient_key.pem"), "{msg}");
}

#[test]
fn builder_requires_each_piece() {
    let k = keys();
    let msg = config_error(Client::builder().build());
    assert!(msg.contains("mchid"), "{msg}");
    let msg = config_error(Client::builder().mchid(MCHID).build());
    assert!(msg.contains("merchant_serial"), "{msg}");
    let msg = config_error(Client::builder().mchid(MCHID).merchant_serial(MERCHANT_SERIAL).build());
    assert!(msg.contains("private key"), "{msg}");
    let msg = config_error(
        Client::builder()
            .mchid(MCHID)
            .merchant_serial(MERCHANT_SERIAL)
            .private_key_pem(&k.merchant_pkcs8)
            .build(),
    );
    assert!(msg.contains("verify"), "{msg}");
    let msg = config_error(
        Client::builder()
            .mchid(MCHID)
            .merchant_serial("not-hex\"")
            .private_key_pem(&k.merchant_pkcs8)
            .wechatpay_public_key(PUB_KEY_ID, &k.wechatpay_pub)
            .build(),
    );
    assert!(msg.contains("merchant_serial"), "{msg}");
    let msg = config_error(
        Client::builder()
            .mchid(MCHID)
            .merchant_serial(MERCHANT_SERIAL)
            .private_key_pem(&k.merchant_pkcs8)
            .wechatpay_public_key(PUB_KEY_ID, &k.wechatpay_pub)
            .base_url("ftp://example.com")
            .build(),
    );
    assert!(msg.contains("base_url"), "{msg}");
}

#[test]
fn nonce_is_32_alphanumeric_and_random() {
    let mut seen = std::collections::HashSet::new();
    let mut chars = std::collections::HashSet::new();
    for _ in 0..2000 {
        let n = nonce();
        assert_eq!(n.len(), 32, "{n}");
        assert!(n.bytes().all(|b| b.is_ascii_alphanumeric()), "{n}");
        chars.extend(n.chars());
        assert!(seen.insert(n), "duplicate nonce");
    }
    // 64 000 draws over 62 symbols: every symbol shows up.
    assert_eq!(chars.len(), 62);
}
