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
    // Stateless: every operation answers its example (the simulator answers an unknown order
    // with ORDER_NOT_EXIST, as the platform does).
    let stateless = SandboxConfig {
        simulator: None,
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(stateless).await.unwrap();
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
    for op in spec.operations.iter().filter(|op| op.op.v2.is_none()) {
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
    let json_operations = spec.operations.iter().filter(|op| op.op.v2.is_none()).count();
    assert_eq!(answered.load(Ordering::SeqCst), json_operations);
}

/// Reads `fields` into `T`, writes it back, and compares: the same fields and values, the
/// protocol's aside (`result_code`, which the sandbox always adds, only where `T` has it), JSON
/// carried in a field compared as JSON (the sandbox writes members sorted, a struct in its
/// order).
fn round_trip<T: wechatpay::runtime::v2::XmlObject>(fields: &[(String, String)]) -> Result<(), String> {
    let typed = T::read_fields(fields).map_err(|e| e.to_string())?;
    let mut written = Vec::new();
    typed.write_fields(&mut written);
    let json = |(n, v): (String, String)| match serde_json::from_str::<Value>(&v) {
        Ok(value @ (Value::Object(_) | Value::Array(_))) => (n, sorted(&value).to_string()),
        _ => (n, v),
    };
    let mut back: Vec<(String, String)> = written.into_iter().map(|f| json((f.name, f.value))).collect();
    let typed_result = back.iter().any(|(n, _)| n == "result_code");
    let mut given: Vec<(String, String)> = fields
        .iter()
        .filter(|(n, _)| !["return_code", "return_msg", "sign", "nonce_str"].contains(&n.as_str()))
        .filter(|(n, _)| typed_result || n != "result_code")
        .cloned()
        .map(json)
        .collect();
    back.sort();
    given.sort();
    if back != given {
        return Err(format!("not lossless:\n  received {given:?}\n  written  {back:?}"));
    }
    Ok(())
}

/// `value` with every object's members sorted by name.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let members: std::collections::BTreeMap<&String, Value> = map.iter().map(|(k, v)| (k, sorted(v))).collect();
            Value::Object(members.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// A client for the sandbox's APIv2 side: its APIv2 key and a merchant certificate.
fn v2_client(base_url: &str) -> Client {
    builder()
        .base_url(base_url)
        .apiv2_key(keys::APIV2_KEY)
        .merchant_certificate_pem(keys::MERCHANT_CERT_PEM, keys::MERCHANT_KEY_PEM)
        .build()
        .expect("client")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_apiv2_operation_is_answered_and_its_answer_verified_as_its_spec_says() {
    use wechatpay::runtime::v2::SignType;
    use wechatpay_codegen::ir::V2SignType;
    // Stateless: the spec's examples (the simulator answers unknown orders ORDERNOTEXIST).
    let sandbox = Sandbox::start(SandboxConfig {
        simulator: None,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let client = v2_client(&sandbox.base_url());
    let spec = sandbox.spec();
    let operations: Vec<_> = spec.operations.iter().filter(|op| op.op.v2.is_some()).collect();
    assert_eq!(operations.len(), 126);
    // Every request's example and every answer decodes into its generated struct, and writes
    // back the same fields (the protocol's aside; JSON carried in a field compared as JSON).
    type RoundTrip = fn(&[(String, String)]) -> Result<(), String>;
    let mut requests: std::collections::HashMap<&'static str, RoundTrip> = std::collections::HashMap::new();
    let mut decoders: std::collections::HashMap<&'static str, RoundTrip> = std::collections::HashMap::new();
    macro_rules! collect {
        (request $url:literal $t:ty) => {
            requests.insert($url, |fields| round_trip::<$t>(fields));
        };
        (response $url:literal $t:ty) => {
            decoders.insert($url, |fields| round_trip::<$t>(fields));
        };
    }
    wechatpay::__for_each_v2_operation!(collect);
    let (mut signed, mut unsigned, mut files, mut decoded, mut request_trips) = (0, 0, 0, 0, 0);
    for op in operations {
        let v2 = op.op.v2.as_ref().unwrap();
        let name = op.name();
        let path = op.url.strip_prefix("/v2").unwrap();
        let example = schema::example_request(spec, op);
        let mut request = client.chain(path).v2_request();
        let mut sent = Vec::new();
        for (field, value) in example.body.as_ref().and_then(Value::as_object).into_iter().flatten() {
            let text = match value {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            request = request.field(field, &text);
            sent.push((field.clone(), text));
        }
        if let Some(round_trip) = requests.get(op.url.as_str()) {
            round_trip(&sent).unwrap_or_else(|e| panic!("{name}: the request: {e}"));
            request_trips += 1;
        }
        if v2.sign_type == V2SignType::HmacSha256 {
            request = request.sign_type(SignType::HmacSha256);
        }
        if v2.cert_required {
            request = request.cert_required();
        }
        if matches!(op.op.response, ResponseKind::Binary) {
            let file = request.send_file().await.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(file, SANDBOX_FILE, "{name}");
            files += 1;
            continue;
        }
        if op.op.signature == Signature::None {
            request = request.unsigned_answer();
            unsigned += 1;
        } else {
            signed += 1;
        }
        let fields = request.send_fields().await.unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            wechatpay::runtime::v2::xml::field(&fields, "result_code"),
            Some("SUCCESS"),
            "{name}"
        );
        let has_sign = wechatpay::runtime::v2::xml::field(&fields, "sign").is_some();
        assert_eq!(has_sign, op.op.signature != Signature::None, "{name}");
        if let Some(decode) = decoders.get(op.url.as_str()) {
            decode(&fields).unwrap_or_else(|e| panic!("{name}: {e}"));
            decoded += 1;
        }
    }
    assert_eq!((signed, unsigned, files), (106, 17, 3));
    assert_eq!(decoded, decoders.len(), "every typed answer was decoded");
    assert_eq!(request_trips, requests.len(), "every typed request was round-tripped");
    assert_eq!((requests.len(), decoded), (126, 123));
}

#[tokio::test]
async fn apiv2_requests_are_checked_like_the_platform_checks_them() {
    use wechatpay::runtime::v2::{ResultError, SignType};
    use wechatpay::v2::pay::orderquery;
    // Stateless: the spec's examples (the simulator answers unknown orders ORDERNOTEXIST).
    let sandbox = Sandbox::start(SandboxConfig {
        simulator: None,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let client = v2_client(&sandbox.base_url());
    // A typed call: its answer decodes, the fields the request named echoed.
    let request = orderquery::PostRequest::default()
        .with(|r| {
            r.appid = Some("wx8888888888888888".into());
            r.mch_id = Some(keys::MCHID.into());
        })
        .with(|r| r.out_trade_no = Some("T-1".into()));
    let answer = client.v2().pay().orderquery().post(&request).await.unwrap();
    assert_eq!(answer.out_trade_no.as_deref(), Some("T-1"));
    assert!(answer.total_fee.is_some());
    // Another APIv2 key: the platform's unsigned FAIL.
    let other = builder()
        .base_url(sandbox.base_url())
        .apiv2_key("00000000000000000000000000000000")
        .build()
        .unwrap();
    let e = other.v2().pay().orderquery().post(&request).await.unwrap_err();
    assert!(
        matches!(&e, wechatpay::Error::ApiV2(ResultError::Communication { return_msg, .. }) if return_msg == "签名错误"),
        "{e:?}"
    );
    // A required field left out; an integer that is not one; MD5 where HMAC-SHA256 is required.
    let missing = client
        .chain("/pay/orderquery")
        .v2_request()
        .field("mch_id", keys::MCHID)
        .send_fields()
        .await
        .unwrap_err();
    assert!(
        matches!(&missing, wechatpay::Error::ApiV2(ResultError::Communication { return_msg, .. }) if return_msg.contains("`appid` is required")),
        "{missing:?}"
    );
    let not_integer = client
        .chain("/mmpaymkttransfers/sendredpack")
        .v2_request()
        .cert_required()
        .unsigned_answer()
        .field("mch_billno", "B1")
        .field("mch_id", keys::MCHID)
        .field("wxappid", "wx8888888888888888")
        .field("send_name", "s")
        .field("re_openid", "o")
        .field("total_amount", "1.00")
        .field("total_num", "1")
        .field("wishing", "w")
        .field("client_ip", "127.0.0.1")
        .field("act_name", "a")
        .field("remark", "r")
        .send_fields()
        .await
        .unwrap_err();
    assert!(
        format!("{not_integer}").contains("`total_amount` is an integer"),
        "{not_integer}"
    );
    let md5 = client
        .chain("/pay/profitsharingquery")
        .v2_request()
        .sign_type(SignType::Md5)
        .field("mch_id", keys::MCHID)
        .field("transaction_id", "4200")
        .field("out_order_no", "P1")
        .send_fields()
        .await
        .unwrap_err();
    assert!(format!("{md5}").contains("HMAC-SHA256"), "{md5}");
    // A JSON request to an APIv2 operation's /v2 path is not an API.
    let e = builder()
        .base_url(sandbox.base_url())
        .build()
        .unwrap()
        .chain("/v2/pay/orderquery")
        .request(Method::POST)
        .json(&json!({}))
        .send_json::<Value>()
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(404), "{e:?}");
}

#[tokio::test]
async fn typed_operations_decode_the_sandbox_answers() {
    use wechatpay::v3::offlineface::authinfo;
    use wechatpay::v3::pay::transactions::out_trade_no::by_out_trade_no;
    // Stateless: the order query answers its example.
    let sandbox = Sandbox::start(SandboxConfig {
        simulator: None,
        ..SandboxConfig::default()
    })
    .await
    .unwrap();
    let client = client(&sandbox.base_url());
    let answer = client
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo::PostRequest::new(authinfo::PostRequestRequired {
            sp_appid: "wx8888888888888888".into(),
            sub_mchid: "1900000109".into(),
            device_id: "device-1".into(),
            raw_data: "raw".into(),
            organization_id: "org-1".into(),
        }))
        .await
        .unwrap();
    assert!(answer.authinfo.is_some_and(|a| !a.is_empty()));
    let tx = client
        .v3()
        .pay()
        .transactions()
        .out_trade_no()
        .out_trade_no("T 1/2")
        .get(&by_out_trade_no::GetRequest::default().with(|r| r.mchid = Some(keys::MCHID.into())))
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
        .post(&by_out_trade_no::close::PostRequest::default().with(|r| r.mchid = Some(keys::MCHID.into())))
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

/// As the platform: an XML body to an APIv2 URL is APIv2 whatever its `Content-Type` (PHP's
/// curl sends a form type, some clients none) and whatever its `Accept`.
#[tokio::test]
async fn apiv2_xml_is_accepted_whatever_its_content_type() {
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let mut fields: Vec<(String, String)> = [
        ("appid", "wx8888888888888888"),
        ("mch_id", keys::MCHID),
        ("out_trade_no", "T-1"),
        ("nonce_str", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let sign = wechatpay_sandbox::v2::sign(&fields, keys::APIV2_KEY, false);
    fields.push(("sign".into(), sign));
    let xml: String = fields.iter().map(|(k, v)| format!("<{k}>{v}</{k}>")).collect();
    let url = format!("{}/pay/orderquery", sandbox.base_url());
    for content_type in [Some("application/x-www-form-urlencoded"), None] {
        let mut request = reqwest::Client::new().post(&url).body(format!("<xml>{xml}</xml>"));
        if let Some(t) = content_type {
            request = request.header("Content-Type", t);
        }
        let text = request.send().await.unwrap().text().await.unwrap();
        assert!(
            text.contains("<return_code><![CDATA[SUCCESS]]>") || text.contains("<return_code>SUCCESS"),
            "{content_type:?}: {text}"
        );
        assert!(!text.contains("SIGN_ERROR"), "{text}");
    }
}

/// The simulator (issue 23): a JSAPI order is remembered, queried as it is now, paid by the user
/// (the control API), its notification delivered to the merchant's endpoint (an axum server
/// here, failing twice: the platform's schedule, compressed, tries again), queried `SUCCESS`;
/// the flows' mistakes are the platform's errors.
#[tokio::test]
async fn the_simulator_remembers_pays_notifies_and_answers_as_the_order_is() {
    use wechatpay::notifications::Resource;
    use wechatpay::runtime::{MemoryLedger, NotificationEvent, NotificationService};
    use wechatpay::types::TransactionTradeState;
    use wechatpay::v3::pay::models::{Amount, AmountRequired};
    use wechatpay::v3::pay::transactions::{jsapi, out_trade_no::by_out_trade_no};
    use wechatpay_sandbox::sim::SimulatorConfig;

    let config = SandboxConfig {
        simulator: Some(SimulatorConfig {
            schedule_factor: 0.001,
            ..SimulatorConfig::default()
        }),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).await.unwrap();
    let client = builder()
        .base_url(sandbox.base_url())
        .apiv3_key(keys::APIV3_KEY)
        .build()
        .unwrap();

    // The merchant's notify_url: fails twice, then handles the payment.
    let (paid_tx, mut paid_rx) = tokio::sync::mpsc::unbounded_channel();
    let failures = Arc::new(AtomicUsize::new(2));
    let handler = move |event: NotificationEvent| {
        let (paid_tx, failures) = (paid_tx.clone(), failures.clone());
        async move {
            if failures
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok()
            {
                return Err("the database is not up yet".to_owned());
            }
            match Resource::decode(&event).map_err(|e| e.to_string())? {
                Resource::Transaction(tx) => paid_tx
                    .send((tx.out_trade_no.clone(), format!("{:?}", tx.trade_state)))
                    .unwrap(),
                Resource::Refund(r) => paid_tx
                    .send((
                        r.out_refund_no.clone().unwrap_or_default(),
                        format!("{:?}", r.refund_status),
                    ))
                    .unwrap(),
                _ => {}
            }
            Ok(())
        }
    };
    let endpoint = NotificationService::new(client.clone(), handler).ledger(Arc::new(MemoryLedger::new(100)));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let notify_url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().route_service("/notify", endpoint))
            .await
            .unwrap()
    });

    let order = |out_trade_no: &str, total: i64| {
        jsapi::PostRequest::new(jsapi::PostRequestRequired {
            appid: "wxd678efh567hg6787".into(),
            description: "Image形象店-深圳腾大-QQ公仔".into(),
            out_trade_no: out_trade_no.into(),
            amount: Amount::new(AmountRequired { total }),
            notify_url: notify_url.clone(),
            payer: jsapi::PostRequestPayer::new(jsapi::PostRequestPayerRequired {
                openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into(),
            }),
        })
    };
    let jsapi = || client.v3().pay().transactions().jsapi();
    let created = jsapi().post(&order("T-SIM-1", 100)).await.unwrap();
    assert!(created.prepay_id.starts_with("wx"), "{}", created.prepay_id);
    // The same order again: the same prepay_id; other fields: the platform's error.
    assert_eq!(
        jsapi().post(&order("T-SIM-1", 100)).await.unwrap().prepay_id,
        created.prepay_id
    );
    let reused = jsapi().post(&order("T-SIM-1", 200)).await.unwrap_err();
    assert_eq!(reused.api_code(), Some("OUT_TRADE_NO_USED"), "{reused}");

    let by_no = |no: &str| client.v3().pay().transactions().out_trade_no().out_trade_no(no);
    let query = || async { by_no("T-SIM-1").get(&by_out_trade_no::GetRequest::default()).await };
    let before = query().await.unwrap();
    assert_eq!(before.trade_state, Some(TransactionTradeState::Notpay));
    assert_eq!(before.amount.as_ref().and_then(|a| a.total), Some(100));
    let unknown = by_no("T-NONE")
        .get(&by_out_trade_no::GetRequest::default())
        .await
        .unwrap_err();
    assert_eq!(
        (unknown.status(), unknown.api_code()),
        (Some(404), Some("ORDER_NOT_EXIST"))
    );

    // The user pays.
    let paid = reqwest::Client::new()
        .post(format!("{}/sandbox/transactions/T-SIM-1/pay", sandbox.base_url()))
        .send()
        .await
        .unwrap();
    let paid: Value = serde_json::from_str(&paid.text().await.unwrap()).unwrap();
    assert_eq!(paid["trade_state"], "SUCCESS", "{paid}");
    let (out_trade_no, state) = tokio::time::timeout(Duration::from_secs(10), paid_rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((out_trade_no.as_str(), state.as_str()), ("T-SIM-1", "Some(Success)"));

    let after = query().await.unwrap();
    assert_eq!(after.trade_state, Some(TransactionTradeState::Success));
    let transaction_id = after.transaction_id.clone().unwrap();
    let by_id = client
        .v3()
        .pay()
        .transactions()
        .id()
        .transaction_id(&transaction_id)
        .get(&wechatpay::v3::pay::transactions::id::by_transaction_id::GetRequest::default())
        .await
        .unwrap();
    assert_eq!(by_id.out_trade_no.as_deref(), Some("T-SIM-1"));
    // A paid order cannot be closed; an unpaid one can, and is then CLOSED.
    let close = |no: &'static str| async move {
        by_no(no)
            .close()
            .post(&by_out_trade_no::close::PostRequest::default())
            .await
    };
    assert_eq!(close("T-SIM-1").await.unwrap_err().api_code(), Some("ORDERPAID"));
    jsapi().post(&order("T-SIM-2", 1)).await.unwrap();
    close("T-SIM-2").await.unwrap();
    let closed = by_no("T-SIM-2")
        .get(&by_out_trade_no::GetRequest::default())
        .await
        .unwrap();
    assert_eq!(closed.trade_state, Some(TransactionTradeState::Closed));

    // A partial refund: PROCESSING, then completed by the control API, its notification
    // delivered; more than is left, or of an unpaid order: the platform's errors.
    use wechatpay::v3::refund::domestic::refunds::{self as refunds, PostRequestAmount, PostRequestAmountRequired};
    let refund = |out_trade_no: &str, out_refund_no: &str, amount: i64| {
        refunds::PostRequest::new(refunds::PostRequestRequired {
            out_refund_no: out_refund_no.into(),
            amount: PostRequestAmount::new(PostRequestAmountRequired {
                refund: amount,
                total: 100,
                currency: "CNY".into(),
            }),
        })
        .with(|r| {
            r.out_trade_no = Some(out_trade_no.into());
            r.notify_url = Some(notify_url.clone());
        })
    };
    let refunds_api = || client.v3().refund().domestic().refunds();
    let created = refunds_api().post(&refund("T-SIM-1", "R-SIM-1", 30)).await.unwrap();
    assert_eq!(format!("{:?}", created.status), "Some(Processing)");
    let too_much = refunds_api().post(&refund("T-SIM-1", "R-SIM-2", 71)).await.unwrap_err();
    assert_eq!(too_much.api_code(), Some("INVALID_REQUEST"), "{too_much}");
    let unpaid = refunds_api().post(&refund("T-SIM-2", "R-SIM-3", 1)).await.unwrap_err();
    assert_eq!(unpaid.api_code(), Some("RESOURCE_NOT_EXISTS"), "{unpaid}");
    let completed = reqwest::Client::new()
        .post(format!("{}/sandbox/refunds/R-SIM-1/complete", sandbox.base_url()))
        .body(r#"{"outcome":"SUCCESS"}"#)
        .send()
        .await
        .unwrap();
    assert!(completed.status().is_success());
    let (out_refund_no, status) = tokio::time::timeout(Duration::from_secs(10), paid_rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((out_refund_no.as_str(), status.as_str()), ("R-SIM-1", "Some(Success)"));
    let queried = refunds_api()
        .out_refund_no("R-SIM-1")
        .get(&refunds::by_out_refund_no::GetRequest::default())
        .await
        .unwrap();
    assert_eq!(format!("{:?}", queried.status), "Some(Success)");
    // What is left (70) can still be refunded.
    refunds_api().post(&refund("T-SIM-1", "R-SIM-4", 70)).await.unwrap();

    // Every delivery and its attempts: two failures, then delivered.
    let deliveries = reqwest::get(format!("{}/sandbox/notifications", sandbox.base_url()))
        .await
        .unwrap();
    let deliveries: Value = serde_json::from_str(&deliveries.text().await.unwrap()).unwrap();
    let delivery = &deliveries["data"][0];
    assert_eq!(delivery["event_type"], "TRANSACTION.SUCCESS");
    assert_eq!(delivery["delivered"], true);
    assert_eq!(deliveries["data"][1]["event_type"], "REFUND.SUCCESS");
    let statuses: Vec<u64> = delivery["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_u64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 500, 204], "{deliveries}");
}

/// A merchant answering `500` forever sees every attempt of the platform's schedule (16, the
/// delays compressed), and the delivery is never marked delivered; the simulator's Rust API pays
/// the order as the control API does.
#[tokio::test]
async fn a_notification_answered_500_forever_is_tried_on_the_whole_schedule() {
    use wechatpay::v3::pay::models::{Amount, AmountRequired};
    use wechatpay::v3::pay::transactions::native;
    use wechatpay_sandbox::sim::{SimulatorConfig, SCHEDULE};

    let config = SandboxConfig {
        simulator: Some(SimulatorConfig {
            schedule_factor: 0.00002,
            ..SimulatorConfig::default()
        }),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).await.unwrap();
    let client = builder().base_url(sandbox.base_url()).build().unwrap();
    // The merchant's endpoint, down: every attempt is answered 500.
    let hits = Arc::new(AtomicUsize::new(0));
    let counted = hits.clone();
    let app = axum::Router::new().route(
        "/notify",
        axum::routing::post(move || {
            counted.fetch_add(1, Ordering::SeqCst);
            async { (axum::http::StatusCode::INTERNAL_SERVER_ERROR, "down") }
        }),
    );
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let notify_url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let created = client
        .v3()
        .pay()
        .transactions()
        .native()
        .post(&native::PostRequest::new(native::PostRequestRequired {
            appid: "wxd678efh567hg6787".into(),
            description: "QR".into(),
            out_trade_no: "T-DOWN".into(),
            amount: Amount::new(AmountRequired { total: 1 }),
            notify_url,
        }))
        .await
        .unwrap();
    assert!(created.code_url.starts_with("weixin://"), "{}", created.code_url);
    let simulator = sandbox.simulator().unwrap();
    let paid = simulator.pay_order("T-DOWN").unwrap();
    assert_eq!(paid["trade_state"], "SUCCESS");
    assert_eq!(simulator.pay_order("T-DOWN").unwrap_err().1["code"], "ORDERPAID");

    let every = SCHEDULE.len() + 1;
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while simulator.notifications()[0].attempts.len() < every {
        assert!(std::time::Instant::now() < deadline, "{:?}", simulator.notifications());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let delivery = &simulator.notifications()[0];
    assert_eq!(delivery.attempts.len(), 16);
    assert!(delivery.attempts.iter().all(|a| a.status == Some(500)), "{delivery:?}");
    assert!(!delivery.delivered);
    assert_eq!(hits.load(Ordering::SeqCst), 16);
}

/// The simulator for a service provider and its sub-merchant: a partner JSAPI order, queried
/// by `sp_mchid` and `sub_mchid`, paid, its notification typed as the partner payment it is,
/// refunded for the sub-merchant and its refund notification typed as the partner refund.
#[tokio::test]
async fn the_simulator_serves_a_service_provider_and_its_sub_merchant() {
    use wechatpay::notifications::Resource;
    use wechatpay::runtime::{NotificationEvent, NotificationService};
    use wechatpay::v3::pay::models::{Amount, AmountRequired};
    use wechatpay::v3::pay::partner::transactions::{jsapi, out_trade_no::by_out_trade_no};
    use wechatpay::v3::refund::domestic::refunds::{self as refunds, PostRequestAmount, PostRequestAmountRequired};
    use wechatpay_sandbox::sim::SimulatorConfig;

    let config = SandboxConfig {
        simulator: Some(SimulatorConfig {
            schedule_factor: 0.001,
            ..SimulatorConfig::default()
        }),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).await.unwrap();
    let client = builder()
        .base_url(sandbox.base_url())
        .apiv3_key(keys::APIV3_KEY)
        .build()
        .unwrap();
    let (seen_tx, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let handler = move |event: NotificationEvent| {
        let seen_tx = seen_tx.clone();
        async move {
            let kind = match Resource::decode(&event).map_err(|e| e.to_string())? {
                Resource::PartnerTransaction(tx) => format!("partner payment {} of {}", tx.out_trade_no, tx.sub_mchid),
                Resource::PartnerRefund(r) => format!("partner refund {}", r.out_refund_no.unwrap_or_default()),
                other => format!("{other:?}"),
            };
            seen_tx.send(kind).unwrap();
            Ok::<(), String>(())
        }
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let notify_url = format!("http://{}/notify", listener.local_addr().unwrap());
    let endpoint = NotificationService::new(client.clone(), handler);
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().route_service("/notify", endpoint))
            .await
            .unwrap()
    });
    async fn next(seen: &mut tokio::sync::mpsc::UnboundedReceiver<String>) -> String {
        tokio::time::timeout(Duration::from_secs(10), seen.recv())
            .await
            .unwrap()
            .unwrap()
    }

    let order = jsapi::PostRequest::new(jsapi::PostRequestRequired {
        sp_appid: "wx8888888888888888".into(),
        sub_mchid: "1900000109".into(),
        description: "Image形象店".into(),
        out_trade_no: "T-SP-1".into(),
        amount: Amount::new(AmountRequired { total: 100 }),
        notify_url: notify_url.clone(),
        payer: jsapi::PostRequestPayer::default().with(|p| p.sp_openid = Some("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into())),
    });
    let partner = || client.v3().pay().partner().transactions();
    assert!(partner()
        .jsapi()
        .post(&order)
        .await
        .unwrap()
        .prepay_id
        .starts_with("wx"));
    let query = by_out_trade_no::GetRequest::new(by_out_trade_no::GetRequestRequired {
        sub_mchid: "1900000109".into(),
    });
    let before = partner()
        .out_trade_no()
        .out_trade_no("T-SP-1")
        .get(&query)
        .await
        .unwrap();
    assert_eq!(format!("{:?}", before.trade_state), "Some(Notpay)");
    // Another sub-merchant has no such order.
    let other = by_out_trade_no::GetRequest::new(by_out_trade_no::GetRequestRequired {
        sub_mchid: "1900000110".into(),
    });
    let e = partner()
        .out_trade_no()
        .out_trade_no("T-SP-1")
        .get(&other)
        .await
        .unwrap_err();
    assert_eq!(e.api_code(), Some("ORDER_NOT_EXIST"));

    sandbox.simulator().unwrap().pay_order("T-SP-1").unwrap();
    assert_eq!(next(&mut seen).await, "partner payment T-SP-1 of 1900000109");
    let after = partner()
        .out_trade_no()
        .out_trade_no("T-SP-1")
        .get(&query)
        .await
        .unwrap();
    assert_eq!(format!("{:?}", after.trade_state), "Some(Success)");
    assert_eq!(
        after.payer.and_then(|p| p.sp_openid).as_deref(),
        Some("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
    );

    let refund = refunds::PostRequest::new(refunds::PostRequestRequired {
        out_refund_no: "R-SP-1".into(),
        amount: PostRequestAmount::new(PostRequestAmountRequired {
            refund: 100,
            total: 100,
            currency: "CNY".into(),
        }),
    })
    .with(|r| {
        r.sub_mchid = Some("1900000109".into());
        r.out_trade_no = Some("T-SP-1".into());
        r.notify_url = Some(notify_url.clone());
    });
    client.v3().refund().domestic().refunds().post(&refund).await.unwrap();
    sandbox.simulator().unwrap().complete("R-SP-1", "SUCCESS").unwrap();
    assert_eq!(next(&mut seen).await, "partner refund R-SP-1");
}

/// The simulator's APIv2 side on the same state: `unifiedorder` creates, `orderquery` answers
/// as the order is, the user pays, the merchant's APIv2 endpoint receives the signed XML result,
/// `closeorder` of a paid order and a query of an unknown one are the platform's `FAIL`s.
#[tokio::test]
async fn the_simulator_serves_apiv2_payments_on_the_same_state() {
    use wechatpay::runtime::v2::{PaymentResult, ResultError, XmlObject as _};
    use wechatpay::runtime::V2NotificationService;
    use wechatpay::v2::pay::{closeorder, orderquery, unifiedorder};
    use wechatpay_sandbox::sim::SimulatorConfig;

    let config = SandboxConfig {
        simulator: Some(SimulatorConfig {
            schedule_factor: 0.001,
            ..SimulatorConfig::default()
        }),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).await.unwrap();
    let client = v2_client(&sandbox.base_url());
    let (paid_tx, mut paid_rx) = tokio::sync::mpsc::unbounded_channel();
    let endpoint = V2NotificationService::new(client.clone(), move |fields: Vec<(String, String)>| {
        let paid_tx = paid_tx.clone();
        async move {
            let result = PaymentResult::read_fields(&fields).map_err(|e| e.to_string())?;
            paid_tx
                .send((
                    result.out_trade_no.clone().unwrap_or_default(),
                    result.is_paid(),
                    result.total_fee,
                ))
                .unwrap();
            Ok::<(), String>(())
        }
    });
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let notify_url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().route_service("/notify", endpoint))
            .await
            .unwrap()
    });

    let order = unifiedorder::PostRequest::new(unifiedorder::PostRequestRequired {
        body: "Image形象店".into(),
        out_trade_no: "T-V2-1".into(),
        total_fee: 101,
        spbill_create_ip: "127.0.0.1".into(),
        notify_url,
        trade_type: "JSAPI".into(),
    })
    .with(|r| {
        r.appid = Some("wx8888888888888888".into());
        r.openid = Some("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o".into());
    });
    let created = client.v2().pay().unifiedorder().post(&order).await.unwrap();
    assert!(
        created.prepay_id.as_deref().is_some_and(|p| p.starts_with("wx")),
        "{created:?}"
    );
    let query = |no: &str| {
        orderquery::PostRequest::default().with(|r| {
            r.appid = Some("wx8888888888888888".into());
            r.out_trade_no = Some(no.into());
        })
    };
    let before = client.v2().pay().orderquery().post(&query("T-V2-1")).await.unwrap();
    assert_eq!(format!("{:?}", before.trade_state), "Some(Notpay)");

    sandbox.simulator().unwrap().pay_order("T-V2-1").unwrap();
    let (no, paid, total) = tokio::time::timeout(Duration::from_secs(10), paid_rx.recv())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((no.as_str(), paid, total), ("T-V2-1", true, Some(101)));
    let after = client.v2().pay().orderquery().post(&query("T-V2-1")).await.unwrap();
    assert_eq!(format!("{:?}", after.trade_state), "Some(Success)");
    assert!(after.transaction_id.is_some());

    let close = closeorder::PostRequest::new(closeorder::PostRequestRequired {
        out_trade_no: "T-V2-1".into(),
    })
    .with(|r| r.appid = Some("wx8888888888888888".into()));
    let e = client.v2().pay().closeorder().post(&close).await.unwrap_err();
    assert!(
        matches!(&e, wechatpay::Error::ApiV2(ResultError::Business { err_code, .. }) if err_code == "ORDERPAID"),
        "{e:?}"
    );
    let e = client
        .v2()
        .pay()
        .orderquery()
        .post(&query("T-V2-NONE"))
        .await
        .unwrap_err();
    assert!(
        matches!(&e, wechatpay::Error::ApiV2(ResultError::Business { err_code, .. }) if err_code == "ORDERNOTEXIST"),
        "{e:?}"
    );
}

/// Hands-off runs: an order is paid by itself after a while, and each notification is
/// delivered twice (the same id): the merchant's ledger runs the handler once.
#[tokio::test]
async fn hands_off_orders_pay_themselves_and_duplicates_are_handled_once() {
    use wechatpay::runtime::{MemoryLedger, NotificationEvent, NotificationService};
    use wechatpay::v3::pay::models::{Amount, AmountRequired};
    use wechatpay::v3::pay::transactions::native;
    use wechatpay_sandbox::sim::SimulatorConfig;

    let config = SandboxConfig {
        simulator: Some(SimulatorConfig {
            schedule_factor: 0.001,
            pay_after: Some(Duration::from_millis(50)),
            duplicates: true,
        }),
        ..SandboxConfig::default()
    };
    let sandbox = Sandbox::start(config).await.unwrap();
    let client = builder()
        .base_url(sandbox.base_url())
        .apiv3_key(keys::APIV3_KEY)
        .build()
        .unwrap();
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = runs.clone();
    let endpoint = NotificationService::new(client.clone(), move |_: NotificationEvent| {
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            Ok::<(), String>(())
        }
    })
    .ledger(Arc::new(MemoryLedger::new(100)));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let notify_url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, axum::Router::new().route_service("/notify", endpoint))
            .await
            .unwrap()
    });

    client
        .v3()
        .pay()
        .transactions()
        .native()
        .post(&native::PostRequest::new(native::PostRequestRequired {
            appid: "wxd678efh567hg6787".into(),
            description: "QR".into(),
            out_trade_no: "T-AUTO".into(),
            amount: Amount::new(AmountRequired { total: 1 }),
            notify_url,
        }))
        .await
        .unwrap();
    let simulator = sandbox.simulator().unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !(simulator.notifications().len() == 2 && simulator.notifications().iter().all(|d| d.delivered)) {
        assert!(std::time::Instant::now() < deadline, "{:?}", simulator.notifications());
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let deliveries = simulator.notifications();
    assert_eq!(deliveries[0].id, deliveries[1].id);
    assert_eq!(deliveries.iter().filter(|d| d.duplicate).count(), 1);
    assert_eq!(runs.load(Ordering::SeqCst), 1, "the duplicate ran the handler again");
    assert_eq!(simulator.order(keys::MCHID, "T-AUTO").unwrap().trade_state, "SUCCESS");
}
