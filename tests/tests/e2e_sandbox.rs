//! The local sandbox (`wechatpay-sandbox`, run by `wechatpay sandbox`) against the real client:
//! every operation of the spec is answered with a signed, schema-valid response; bad signatures,
//! unknown paths and requests that do not match the spec are refused like WeChat Pay refuses
//! them; notifications it sends verify and decrypt with the client's notification parser.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::HeaderMap;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use wechatpay::runtime::{Method, ResponseSignature, Upload};
use wechatpay::{ApiV3Key, Client};
use wechatpay_codegen::ir::{ResponseKind, Signature};
use wechatpay_sandbox::schema::{self, Mode};
use wechatpay_sandbox::{keys, notify, Sandbox, SandboxConfig, SANDBOX_FILE};
use wechatpay_tests::builder;

fn leak(s: &str) -> &'static str {
    Box::leak(s.to_string().into_boxed_str())
}

fn client(base_url: &str) -> Client {
    builder()
        .apiv3_key(keys::APIV3_KEY)
        .base_url(base_url)
        .timeout(Duration::from_secs(20))
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_of_the_spec_is_answered_with_a_signed_schema_valid_response() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let client = client(&sandbox.base_url());
    let spec = sandbox.spec();
    assert!(!spec.operations.is_empty());
    // (The sandbox keeps only its last 1000 requests: count them as they come.)
    let answered = Arc::new(AtomicUsize::new(0));
    let counter = answered.clone();
    sandbox.server().observe(Arc::new(move |req, status| {
        if req.auth.is_ok() && (200..300).contains(&status) {
            counter.fetch_add(1, Ordering::SeqCst);
        }
    }));
    for op in &spec.operations {
        let example = schema::example_request(spec, op);
        let method = Method::from_bytes(example.method.as_bytes()).unwrap();
        let mut request = client.chain(&example.target()).request(method);
        for (name, value) in &example.headers {
            request = request.header(leak(name), value);
        }
        match (&example.file_part, &example.body) {
            (Some(part), meta) => {
                let meta = meta.clone().unwrap_or_else(|| json!({}));
                request = request.multipart(
                    &meta,
                    leak(part),
                    Upload::from_bytes("sandbox.png", b"\x89PNG TEST ONLY".to_vec()),
                );
                for (name, value) in &example.form {
                    request = request.form_field(leak(name), value);
                }
            }
            (None, Some(body)) => request = request.json(body),
            (None, None) => {}
        }
        let name = op.name();
        if matches!(op.op.response, ResponseKind::Binary) {
            let kind = match op.op.signature {
                Signature::Body => ResponseSignature::Body,
                Signature::None => ResponseSignature::None,
                Signature::StatementSha1 => ResponseSignature::StatementSha1,
            };
            let file = request
                .response_signature(kind)
                .send_download()
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .bytes()
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(file, SANDBOX_FILE, "{name}");
            continue;
        }
        let body: Value = request
            .send_json()
            .await
            .unwrap_or_else(|e| panic!("{name} ({}): {e}", example.target()));
        let last = sandbox.server().last_request();
        assert_eq!(last.method, op.method, "{name}");
        assert_eq!(last.target, example.target(), "{name}");
        assert!(last.auth.is_ok(), "{name}: {:?}", last.auth);
        match &op.op.response {
            ResponseKind::Json(_) => {
                let report = schema::check_response(spec, op, &body, Mode::Exact);
                assert!(
                    report.errors.is_empty() && report.warnings.is_empty(),
                    "{name}: {report:?}"
                );
                assert!(body.is_object() || body.is_array(), "{name}: {body}");
            }
            ResponseKind::Empty => assert!(body.is_null(), "{name}: {body}"),
            _ => {}
        }
    }
    // One authenticated request answered 2xx per operation.
    assert_eq!(answered.load(Ordering::SeqCst), spec.operations.len());
}

#[tokio::test]
async fn typed_operations_decode_the_sandbox_answers() {
    use wechatpay::v3::offlineface::authinfo;
    use wechatpay::v3::pay::transactions::out_trade_no::by_out_trade_no;
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let client = client(&sandbox.base_url());
    let answer = client
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo::PostRequest {
            sp_appid: "wx8888888888888888".into(),
            sub_appid: None,
            sub_mchid: "1900000109".into(),
            device_id: "device-1".into(),
            raw_data: "raw".into(),
            organization_id: "org-1".into(),
        })
        .await
        .unwrap();
    assert!(answer.authinfo.is_some_and(|a| !a.is_empty()));
    let tx = client
        .v3()
        .pay()
        .transactions()
        .out_trade_no()
        .out_trade_no("T 1/2")
        .get(&by_out_trade_no::GetRequest {
            mchid: keys::MCHID.into(),
        })
        .await
        .unwrap();
    assert!(!tx.out_trade_no.is_empty());
    assert_eq!(
        sandbox.server().last_request().target,
        "/v3/pay/transactions/out-trade-no/T%201%2F2?mchid=1900000001"
    );
    client
        .v3()
        .pay()
        .transactions()
        .out_trade_no()
        .out_trade_no("T1")
        .close()
        .post(&by_out_trade_no::close::PostRequest {
            mchid: keys::MCHID.into(),
        })
        .await
        .unwrap();
    assert_eq!(sandbox.server().requests().len(), 3);
}

#[tokio::test]
async fn bad_signatures_unknown_paths_and_invalid_requests_are_refused() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let base = sandbox.base_url();

    // Signed with another key than the merchant public key the sandbox was given.
    let impostor = Client::builder()
        .mchid(keys::MCHID)
        .merchant_serial(keys::MERCHANT_SERIAL)
        .private_key_pem(keys::PLATFORM_CERT_KEY_PEM)
        .wechatpay_public_key(keys::WECHATPAY_PUBLIC_KEY_ID, keys::WECHATPAY_PUB_PEM)
        .base_url(&base)
        .build()
        .unwrap();
    let e = impostor
        .chain("v3/certificates")
        .request(Method::GET)
        .send_json::<Value>()
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.api_code()), (Some(401), Some("SIGN_ERROR")), "{e}");
    assert!(sandbox.server().last_request().auth.is_err());

    // No Authorization at all.
    let raw = reqwest::Client::new()
        .get(format!("{base}/v3/certificates"))
        .header("Accept", "application/json")
        .header("User-Agent", "test")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 401);
    let body: Value = serde_json::from_str(&raw.text().await.unwrap()).unwrap();
    assert_eq!(body["code"], "SIGN_ERROR");

    let client = client(&base);
    let e = client
        .chain("v3/no/such/api")
        .request(Method::GET)
        .send_json::<Value>()
        .await
        .unwrap_err();
    assert_eq!(
        (e.status(), e.api_code()),
        (Some(404), Some("RESOURCE_NOT_EXISTS")),
        "{e}"
    );
    let e = client
        .chain("v3/offlineface/authinfo")
        .request(Method::GET)
        .send_json::<Value>()
        .await
        .unwrap_err();
    assert_eq!(e.api_code(), Some("RESOURCE_NOT_EXISTS"), "{e}");

    // A body that does not match the spec: 400 PARAM_ERROR naming the field.
    let e = client
        .chain("v3/offlineface/authinfo")
        .request(Method::POST)
        .json(&json!({"sp_appid": "wx1", "sub_mchid": "1", "device_id": 7, "raw_data": "r", "organization_id": "o"}))
        .send_json::<Value>()
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.api_code()), (Some(400), Some("PARAM_ERROR")), "{e}");
    assert!(e.to_string().contains("device_id"), "{e}");
    let e = client
        .chain("v3/offlineface/face-collections?organization_id=o&limit=1.5")
        .request(Method::GET)
        .send_json::<Value>()
        .await
        .unwrap_err();
    assert_eq!(e.api_code(), Some("PARAM_ERROR"), "{e}");
    assert!(e.to_string().contains("limit"), "{e}");
}

#[tokio::test]
async fn the_certificates_it_serves_decrypt_with_the_apiv3_key() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let client = client(&sandbox.base_url());
    let certificates = client.refresh_platform_certificates().await.unwrap();
    assert_eq!(certificates.len(), 1);
    assert_eq!(certificates[0].serial, keys::PLATFORM_CERT_SERIAL);
    assert_eq!(
        certificates[0].pem.replace('\r', "").trim(),
        keys::PLATFORM_CERT_PEM.trim()
    );
}

/// A one-shot HTTP/1.1 server: accepts one request, answers `status`, returns the headers and
/// the exact body bytes it received.
async fn receive_one(listener: TcpListener, status: u16) -> (HeaderMap, Vec<u8>) {
    let (mut stream, _) = tokio::time::timeout(Duration::from_secs(20), listener.accept())
        .await
        .expect("a notification within 20 s")
        .unwrap();
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    // Bounded: at most 1 MiB or 20 s.
    let (head_end, length) = loop {
        let n = tokio::time::timeout(Duration::from_secs(20), stream.read(&mut buf))
            .await
            .expect("read within 20 s")
            .unwrap();
        assert!(n > 0, "connection closed early");
        data.extend_from_slice(&buf[..n]);
        assert!(data.len() < 1 << 20);
        if let Some(i) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&data[..i]).to_ascii_lowercase();
            let length: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map(|v| v.trim().parse().unwrap())
                .unwrap_or(0);
            if data.len() >= i + 4 + length {
                break (i, length);
            }
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).into_owned();
    let mut headers = HeaderMap::new();
    for line in head.lines().skip(1) {
        let (k, v) = line.split_once(':').unwrap();
        headers.append(
            reqwest::header::HeaderName::from_bytes(k.trim().as_bytes()).unwrap(),
            v.trim().parse().unwrap(),
        );
    }
    let body = data[head_end + 4..head_end + 4 + length].to_vec();
    let answer = format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
    stream.write_all(answer.as_bytes()).await.unwrap();
    (headers, body)
}

#[tokio::test]
async fn notifications_it_sends_verify_and_decrypt_with_the_client() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let client = client(&sandbox.base_url());
    for event in ["TRANSACTION.SUCCESS", "REFUND.SUCCESS"] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/notify", listener.local_addr().unwrap());
        let receiver = tokio::spawn(receive_one(listener, 204));
        let notification = sandbox.notification(event, None).unwrap();
        let (status, _) = notify::send_notification(&url, &notification).await.unwrap();
        assert_eq!(status, 204);
        let (headers, body) = receiver.await.unwrap();
        assert_eq!(body, notification.body);

        let parsed = client.parse_notification(&headers, &body).unwrap();
        assert_eq!(parsed.event_type, event);
        assert_eq!(parsed.resource.algorithm, "AEAD_AES_256_GCM");
        let plain = client.decrypt_resource(&parsed.resource).unwrap();
        let plain: Value = serde_json::from_slice(&plain).unwrap();
        assert_eq!(plain, notification.plaintext);
        assert_eq!(plain["mchid"], keys::MCHID);
        let plain2 = parsed
            .resource
            .decrypt(&ApiV3Key::new(keys::APIV3_KEY).unwrap())
            .unwrap();
        assert_eq!(serde_json::from_slice::<Value>(&plain2).unwrap(), plain);

        // One flipped byte of the body fails verification.
        let mut tampered = body.to_vec();
        let i = tampered.iter().position(|b| *b == b':').unwrap();
        tampered.insert(i + 1, b' ');
        assert!(client.parse_notification(&headers, &tampered).is_err());
    }
    // The TRANSACTION.SUCCESS sample is a successful transaction.
    let n = sandbox.notification("TRANSACTION.SUCCESS", None).unwrap();
    assert_eq!(n.plaintext["trade_state"], "SUCCESS");
    // A resource given by the caller is carried as is.
    let n = sandbox
        .notification("TRANSACTION.SUCCESS", Some(json!({"out_trade_no": "X"})))
        .unwrap();
    let parsed = client.parse_notification(&headers_of(&n), &n.body).unwrap();
    let plain: Value = serde_json::from_slice(&client.decrypt_resource(&parsed.resource).unwrap()).unwrap();
    assert_eq!(plain, json!({"out_trade_no": "X"}));
}

fn headers_of(n: &notify::Notification) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (k, v) in &n.headers {
        map.append(
            reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    map
}
