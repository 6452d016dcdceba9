//! Platform certificates.

use super::*;

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
    assert!(matches!(e, Error::Config(m) if m.message.contains("APIv3 key")));
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
    assert!(matches!(expect(other_key).await, Err(Error::Decrypt(m)) if m.message.contains("authentication failed")));
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
    assert!(matches!(expect(lying).await, Err(Error::Config(m)) if m.message.contains("has serial")));
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
