//! Uploads.

use super::*;

#[tokio::test]
async fn upload_from_bytes_signs_meta_only_and_fills_sha256_and_filename() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "POST",
        UPLOAD,
        Reply::json(200, json!({"media_id": "H1ihR9JUtVj-J7CJqBUY5ZOrG_Je75H-rKhmVUCrl-4"})),
    );
    let png = noise(300_000, 7);
    let answer: Value = client(&server)
        .chain("v3/merchant/media/upload")
        .request(Method::POST)
        .multipart(&json!({}), "file", Upload::from_bytes("logo.png", png.clone()))
        .send_json()
        .await
        .expect("upload succeeds");
    assert_eq!(answer["media_id"], "H1ihR9JUtVj-J7CJqBUY5ZOrG_Je75H-rKhmVUCrl-4");

    let req = server.last_request();
    // The mock verified the signature over the meta JSON only.
    assert_signed_ok(&req);
    assert!(req
        .header("content-type")
        .unwrap()
        .starts_with("multipart/form-data; boundary="));
    assert_eq!(req.header("accept"), Some("application/json"));
    let meta = meta_of(&req);
    assert_eq!(meta, json!({"filename": "logo.png", "sha256": sha256sum(&png)}));

    let parts = multipart_parts(&req);
    assert_eq!(parts.len(), 2);
    assert!(parts[0].0.contains("form-data; name=\"meta\""), "{}", parts[0].0);
    assert!(parts[0].0.contains("Content-Type: application/json"));
    assert!(
        parts[1].0.contains("name=\"file\"; filename=\"logo.png\""),
        "{}",
        parts[1].0
    );
    assert!(parts[1].0.contains("Content-Type: image/png"));
    assert_eq!(parts[1].1, png, "the file part carries the exact bytes");
}

#[tokio::test]
async fn typed_upload_through_the_generated_api() {
    use wechatpay::v3::merchant::media::upload;
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", UPLOAD, Reply::json(200, json!({"media_id": "typed"})));
    let jpg = noise(4096, 21);
    let c = client(&server);
    let answer = c
        .v3()
        .merchant()
        .media()
        .upload()
        .post(
            &upload::PostRequest::new(upload::PostRequestRequired {
                meta: Default::default(),
            }),
            Upload::from_bytes("photo.JPG", jpg.clone()),
        )
        .await
        .expect("typed upload");
    assert_eq!(answer.media_id.as_deref(), Some("typed"));
    let req = server.last_request();
    assert_signed_ok(&req);
    // The generated meta struct skips its None fields; the runtime fills both.
    assert_eq!(
        meta_of(&req),
        json!({"filename": "photo.JPG", "sha256": sha256sum(&jpg)})
    );
    assert!(multipart_parts(&req)[1].0.contains("Content-Type: image/jpeg"));
}

#[tokio::test]
async fn upload_signature_covers_the_meta_json_and_not_the_multipart_body() {
    // Check the recorded request independently: the signature verifies over the meta part,
    // and does not over the whole multipart body (so the mock's acceptance means something).
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", UPLOAD, Reply::json(200, json!({"media_id": "x"})));
    let _: Value = client(&server)
        .chain(UPLOAD)
        .request(Method::POST)
        .multipart(&json!({}), "file", Upload::from_bytes("a.jpg", noise(1000, 9)))
        .send_json()
        .await
        .unwrap();
    let req = server.last_request();
    let config = server.config();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let expect = auth::Expect {
        mchid: &config.mchid,
        serial_no: &config.merchant_serial,
        merchant_public_key_der: &config.merchant_public_key_der,
        now,
        max_skew: 300,
    };
    let meta = auth::multipart_meta(req.header("content-type").unwrap(), &req.body).unwrap();
    let check = |signed: &[u8]| auth::check(&expect, req.header("authorization"), "POST", UPLOAD, signed);
    assert!(check(&meta).is_ok(), "{:?}", check(&meta).err());
    assert!(
        check(&req.body).is_err(),
        "the signature must not cover the multipart body"
    );
    assert!(check(b"").is_err());
}

#[tokio::test]
async fn upload_from_path_reads_the_file_when_sent_and_names_it() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "POST",
        "/v3/merchant/media/video_upload",
        Reply::json(200, json!({"media_id": "v"})),
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("clip.mp4");
    let video = noise(1_500_000, 11);
    std::fs::write(&path, &video).unwrap();
    let c = client(&server);
    let request = c
        .chain("v3/merchant/media/video_upload")
        .request(Method::POST)
        .multipart(
            &json!({"filename": null, "sha256": ""}),
            "file",
            Upload::from_path(&path),
        );
    let _: Value = request.send_json().await.expect("upload");
    let req = server.last_request();
    assert_signed_ok(&req);
    let expected = tool_digest("openssl", &["dgst", "-sha256", "-r"], &video);
    assert_eq!(meta_of(&req), json!({"filename": "clip.mp4", "sha256": expected}));
    let parts = multipart_parts(&req);
    assert!(parts[1].0.contains("filename=\"clip.mp4\""));
    assert!(parts[1].0.contains("Content-Type: video/mp4"));
    assert_eq!(parts[1].1, video);
}

#[tokio::test]
async fn upload_from_reader_with_extra_field_and_explicit_content_type() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on(
        "POST",
        "/v3/marketing/favor/media/image-upload",
        Reply::json(200, json!({"media_url": "u"})),
    );
    let data = noise(10_000, 3);
    let _: Value = client(&server)
        .chain("v3/marketing/favor/media/image-upload")
        .request(Method::POST)
        .form_field("item_id", &42)
        .multipart(
            &json!({"file_name": "", "file_digest": null, "other": 1}),
            "media",
            Upload::from_reader("scan", std::io::Cursor::new(data.clone())).content_type("image/jpeg"),
        )
        .form_field_opt("absent", None::<&String>)
        .send_json()
        .await
        .expect("upload");
    let req = server.last_request();
    assert_signed_ok(&req);
    assert_eq!(
        meta_of(&req),
        json!({"file_name": "scan", "file_digest": sha256sum(&data), "other": 1})
    );
    let parts = multipart_parts(&req);
    assert_eq!(parts.len(), 3, "meta, item_id, media");
    assert!(parts[1].0.contains("name=\"item_id\""));
    assert_eq!(parts[1].1, b"42");
    assert!(parts[2].0.contains("name=\"media\"; filename=\"scan\""));
    assert!(parts[2].0.contains("Content-Type: image/jpeg"));
    assert_eq!(parts[2].1, data);
}

#[tokio::test]
async fn upload_keeps_a_digest_the_caller_gave() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", UPLOAD, Reply::json(200, json!({"media_id": "x"})));
    let _: Value = client(&server)
        .chain(UPLOAD)
        .request(Method::POST)
        .multipart(
            &json!({"filename": "given.jpg", "sha256": "abc"}),
            "file",
            Upload::from_bytes("a.png", b"x".to_vec()),
        )
        .send_json()
        .await
        .unwrap();
    assert_eq!(
        meta_of(&server.last_request()),
        json!({"filename": "given.jpg", "sha256": "abc"})
    );
}

#[tokio::test]
async fn upload_failures_send_nothing() {
    let server = MockServer::start(MockConfig::default()).await;
    let c = client(&server);
    let err = c
        .chain(UPLOAD)
        .request(Method::POST)
        .multipart(&json!({}), "file", Upload::from_path("/nonexistent/wechatpay/x.png"))
        .send_json::<Value>()
        .await
        .unwrap_err();
    match &err {
        Error::Io { context, .. } => assert!(context.contains("/nonexistent/wechatpay/x.png"), "{err}"),
        other => panic!("{other:?}"),
    }
    let err = c
        .chain(UPLOAD)
        .request(Method::POST)
        .multipart(
            &json!(["not", "an", "object"]),
            "file",
            Upload::from_bytes("a.png", vec![1]),
        )
        .send_json::<Value>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    let err = c
        .chain(UPLOAD)
        .request(Method::POST)
        .form_field("item_id", &1)
        .send_json::<Value>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::InvalidRequest(_)), "{err:?}");
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[tokio::test]
async fn upload_from_a_reader_is_retried_with_the_same_body() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence(
        "POST",
        UPLOAD,
        vec![
            Reply::error(500, "SYSTEM_ERROR", "系统繁忙"),
            Reply::json(200, json!({"media_id": "m"})),
        ],
    );
    let c = builder()
        .base_url(server.base_url())
        .retries(1)
        .retry_backoff(Duration::from_millis(10))
        .build()
        .unwrap();
    let data = noise(5000, 5);
    let answer: Value = c
        .chain(UPLOAD)
        .request(Method::POST)
        .multipart(
            &json!({}),
            "file",
            Upload::from_reader("a.bmp", std::io::Cursor::new(data.clone())),
        )
        .send_json()
        .await
        .expect("second attempt succeeds");
    assert_eq!(answer["media_id"], "m");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    for req in &reqs {
        assert_signed_ok(req);
        assert_eq!(multipart_parts(req)[1].1, data);
    }
    assert_ne!(
        reqs[0].authorization().unwrap().get("nonce_str"),
        reqs[1].authorization().unwrap().get("nonce_str")
    );
}

#[test]
fn upload_blocking() {
    let server = MockServer::start_blocking(MockConfig::default());
    server.on("POST", UPLOAD, Reply::json(200, json!({"media_id": "b"})));
    let answer: Value = client(&server)
        .chain(UPLOAD)
        .request(Method::POST)
        .multipart(
            &json!({}),
            "file",
            Upload::from_reader("a.png", std::io::Cursor::new(vec![1, 2, 3])),
        )
        .send_json()
        .blocking()
        .unwrap();
    assert_eq!(answer["media_id"], "b");
    assert_signed_ok(&server.last_request());
}
