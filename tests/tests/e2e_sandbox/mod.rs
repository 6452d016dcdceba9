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

/// Serves `app` (a merchant's notification endpoint at `/notify`) on a loopback port, in the
/// background: the URL of its `/notify`.
async fn serve_notify(app: axum::Router) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// A sandbox whose simulator delivers on the platform's schedule compressed a thousandfold.
async fn simulator_sandbox() -> Sandbox {
    simulator_sandbox_with(fast_simulator()).await
}

/// A sandbox whose simulator is `simulator`.
async fn simulator_sandbox_with(simulator: wechatpay_sandbox::sim::SimulatorConfig) -> Sandbox {
    let config = SandboxConfig {
        simulator: Some(simulator),
        ..SandboxConfig::default()
    };
    Sandbox::start(config).await.unwrap()
}

/// The simulator's defaults, its delivery schedule a thousand times faster (for tests that
/// set more of it: `SimulatorConfig { pay_after: …, ..fast_simulator() }`).
fn fast_simulator() -> wechatpay_sandbox::sim::SimulatorConfig {
    wechatpay_sandbox::sim::SimulatorConfig {
        schedule_factor: 0.001,
        ..Default::default()
    }
}

/// A native order of 1.00 yuan of the test merchant, its notify_url nowhere.
fn native_order(out_trade_no: &str) -> wechatpay::v3::pay::transactions::native::PostRequest {
    use wechatpay::v3::pay::models::{Amount, AmountRequired};
    use wechatpay::v3::pay::transactions::native;
    native::PostRequest::new(native::PostRequestRequired {
        appid: "wxd678efh567hg6787".into(),
        description: "QR".into(),
        out_trade_no: out_trade_no.into(),
        amount: Amount::new(AmountRequired { total: 100 }),
        notify_url: "http://127.0.0.1:9/notify".into(),
    })
}

mod apiv2;
mod bills;
mod codepay;
mod combine;
mod faults;
mod library;
mod persist;
mod profitsharing;
mod simulator;
mod transfers;
