//! Full round trips of the runtime against a loopback HTTP server (no internet): the server
//! checks the request signature with `openssl`, answers with responses signed by the test
//! platform key, and the client verifies them.

use crate::keys;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use keys::{keys, openssl_verify, MCHID, MERCHANT_SERIAL, PUB_KEY_ID};
use wechatpay::runtime::{Method, RsaSigner, Signer};
use wechatpay::{Client, Error, VerificationError};

#[derive(Debug, Clone)]
struct Recorded {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Recorded {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

fn signed_reply(status: u16, body: &[u8]) -> Reply {
    let ts = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let nonce = wechatpay::runtime::nonce();
    let mut message = format!("{ts}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    let signer = RsaSigner::from_pem(&keys().wechatpay_key).unwrap();
    Reply {
        status,
        headers: vec![
            ("Wechatpay-Timestamp".into(), ts),
            ("Wechatpay-Nonce".into(), nonce),
            ("Wechatpay-Signature".into(), signer.sign(&message).unwrap()),
            ("Wechatpay-Serial".into(), PUB_KEY_ID.into()),
            ("Request-ID".into(), "REQ-1".into()),
        ],
        body: body.to_vec(),
    }
}

/// Starts a one-thread HTTP/1.1 server answering every request with `reply`.
fn serve(reply: impl Fn(&Recorded) -> Reply + Send + 'static) -> (String, Arc<Mutex<Vec<Recorded>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = log.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                continue;
            }
            let mut it = line.split_whitespace();
            let method = it.next().unwrap_or_default().to_owned();
            let target = it.next().unwrap_or_default().to_owned();
            let mut headers = Vec::new();
            loop {
                let mut h = String::new();
                reader.read_line(&mut h).unwrap();
                let h = h.trim_end();
                if h.is_empty() {
                    break;
                }
                let (k, v) = h.split_once(':').unwrap();
                headers.push((k.trim().to_owned(), v.trim().to_owned()));
            }
            let len: usize = headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("content-length"))
                .map(|(_, v)| v.parse().unwrap())
                .unwrap_or(0);
            let mut body = vec![0; len];
            reader.read_exact(&mut body).unwrap();
            let recorded = Recorded {
                method,
                target,
                headers,
                body,
            };
            let r = reply(&recorded);
            log2.lock().unwrap().push(recorded);
            let mut out = format!(
                "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                r.status,
                r.body.len()
            );
            for (k, v) in &r.headers {
                out.push_str(&format!("{k}: {v}\r\n"));
            }
            out.push_str("\r\n");
            let mut bytes = out.into_bytes();
            bytes.extend_from_slice(&r.body);
            let _ = stream.write_all(&bytes);
        }
    });
    (base, log)
}

fn client(base: &str) -> Client {
    let k = keys();
    Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .private_key_pem(&k.merchant_pkcs8)
        .wechatpay_public_key(PUB_KEY_ID, &k.wechatpay_pub)
        .base_url(base)
        .build()
        .unwrap()
}

/// Checks the recorded request's Authorization with `openssl dgst -verify`.
fn assert_signed(r: &Recorded) {
    let auth = r.header("authorization").expect("Authorization header");
    let fields: Vec<(&str, &str)> = auth
        .strip_prefix("WECHATPAY2-SHA256-RSA2048 ")
        .unwrap()
        .split(',')
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap();
            (k, v.trim_matches('"'))
        })
        .collect();
    let get = |n: &str| fields.iter().find(|(k, _)| *k == n).unwrap().1;
    let mut message = format!(
        "{}\n{}\n{}\n{}\n",
        r.method,
        r.target,
        get("timestamp"),
        get("nonce_str")
    )
    .into_bytes();
    message.extend_from_slice(&r.body);
    message.push(b'\n');
    assert!(
        openssl_verify(&keys().merchant_pub_path, &message, get("signature")),
        "bad request signature"
    );
    assert!(r.header("user-agent").unwrap().starts_with("wechatpay-rust/"));
    assert_eq!(r.header("accept"), Some("application/json"));
}

#[tokio::test]
async fn async_post_roundtrip() {
    let (base, log) = serve(|_| signed_reply(200, br#"{"authinfo":"xyz","extra":1}"#));
    let c = client(&base);
    let body = serde_json::json!({"sp_appid": "wx8888888888888888", "raw_data": "a b/c"});
    let v: serde_json::Value = c
        .chain("v3/offlineface/authinfo")
        .request(Method::POST)
        .query("q", "x y")
        .json(&body)
        .send_json()
        .await
        .unwrap();
    assert_eq!(v["authinfo"], "xyz");
    let r = log.lock().unwrap()[0].clone();
    assert_eq!(r.method, "POST");
    assert_eq!(r.target, "/v3/offlineface/authinfo?q=x%20y");
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(serde_json::from_slice::<serde_json::Value>(&r.body).unwrap(), body);
    assert_signed(&r);
}

#[test]
fn blocking_get_and_204() {
    let (base, log) = serve(|r| {
        if r.method == "DELETE" {
            signed_reply(204, b"")
        } else {
            signed_reply(200, br#"{"data":[]}"#)
        }
    });
    let c = client(&base);
    let v: serde_json::Value = c
        .chain("/v3/certificates")
        .request(Method::GET)
        .query("a", &1)
        .send_json()
        .blocking()
        .unwrap();
    assert_eq!(v, serde_json::json!({"data": []}));
    c.chain("v3/x").request(Method::DELETE).send_empty().blocking().unwrap();
    let log = log.lock().unwrap();
    assert_eq!(log[0].target, "/v3/certificates?a=1");
    assert!(log[0].header("content-type").is_none());
    assert!(log[0].body.is_empty());
    assert_signed(&log[0]);
    assert_signed(&log[1]);
}

#[tokio::test]
async fn errors_from_the_wire() {
    // Unsigned 400 with the usual JSON error body.
    let (base, _) = serve(|_| Reply {
        status: 400,
        headers: vec![("Request-ID".into(), "RID-400".into())],
        body: br#"{"code":"PARAM_ERROR","message":"bad"}"#.to_vec(),
    });
    let err = client(&base)
        .chain("v3/x")
        .request(Method::GET)
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    match err {
        Error::Api(ref e) if e.status == 400 => {
            assert_eq!(e.code, Some(wechatpay::ApiCode::ParamError));
            assert_eq!(e.request_id.as_deref(), Some("RID-400"));
        }
        other => panic!("{other:?}"),
    }

    // 200 whose body was changed after signing.
    let (base, _) = serve(|_| {
        let mut r = signed_reply(200, br#"{"amount":1}"#);
        r.body = br#"{"amount":9}"#.to_vec();
        r
    });
    let err = client(&base)
        .chain("v3/x")
        .request(Method::GET)
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Verification(VerificationError::BadSignature { .. })),
        "{err:?}"
    );

    // 200 from a proxy, unsigned.
    let (base, _) = serve(|_| Reply {
        status: 200,
        headers: vec![],
        body: b"<html></html>".to_vec(),
    });
    let err = client(&base)
        .chain("v3/x")
        .request(Method::GET)
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    // It does not look like WeChat Pay: the error says so and names the base URL.
    assert!(
        matches!(
            &err,
            Error::Verification(VerificationError::NotWechatPay { base_url }) if *base_url == base
        ),
        "{err:?}"
    );

    // Signed, but not the expected JSON.
    let (base, _) = serve(|_| signed_reply(200, br#"{"authinfo":5}"#));
    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Expected {
        authinfo: String,
    }
    let err = client(&base)
        .chain("v3/x")
        .request(Method::GET)
        .send_json::<Expected>()
        .await
        .unwrap_err();
    match err {
        Error::Decode {
            status: 200, ref body, ..
        } => assert_eq!(body, r#"{"authinfo":5}"#),
        other => panic!("{other:?}"),
    }

    // Nothing listening.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = client(&base)
        .chain("v3/x")
        .request(Method::GET)
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
}
