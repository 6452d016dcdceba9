//! Sensitive fields.

use super::*;

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
        Err(Error::Config(msg)) => assert!(msg.message.contains("no key to encrypt sensitive fields"), "{msg}"),
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
    assert!(
        matches!(result, Err(Error::InvalidRequest(m)) if m.message.contains("/id_card_number is a number") && m.problem == wechatpay::RequestProblem::Sensitive)
    );
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
