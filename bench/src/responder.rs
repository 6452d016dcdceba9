//! The responder: a loopback HTTP/1.1 server in its own process (so that the client's process
//! CPU is the client's alone) that answers every request at once with a pre-signed answer,
//! the way WeChat Pay signs one: `TIMESTAMP\nNONCE\nBODY\n`, RSA-SHA256 with the test WeChat Pay
//! key, id [`PUB_KEY_ID`](crate::keys::PUB_KEY_ID). It reads and ignores the request body and
//! checks nothing: what is measured is the client.

use std::convert::Infallible;
use std::io::Write as _;
use std::sync::Arc;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

use crate::keys;

/// The answer to `POST /v3/offlineface/authinfo`.
pub const AUTHINFO: &str = r#"{"authinfo":"cGF5LXRlc3QtYXV0aGluZm8tYmVuY2htYXJr"}"#;

/// The answer to `GET /v3/pay/transactions/id/…`: a real-shaped transaction.
pub const TRANSACTION: &str = r#"{"appid":"wxd678efh567hg6787","mchid":"1900000001","out_trade_no":"1217752501201407033233368018","transaction_id":"4200000000201407033233368018","trade_type":"JSAPI","trade_state":"SUCCESS","trade_state_desc":"支付成功","bank_type":"CMC","attach":"","success_time":"2018-06-08T10:34:56+08:00","payer":{"openid":"oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},"amount":{"total":100,"payer_total":100,"currency":"CNY","payer_currency":"CNY"},"scene_info":{"device_id":"013467007045764"},"promotion_detail":[]}"#;

/// A signed answer: the body and its four `Wechatpay-*` header values.
#[derive(Clone)]
struct Signed {
    body: Bytes,
    timestamp: String,
    nonce: &'static str,
    signature: String,
}

/// Signs `body` now with the WeChat Pay key.
fn sign(body: &str) -> Signed {
    let timestamp = keys::unix_now().to_string();
    let nonce = keys::ANSWER_NONCE;
    let signature = keys::wechatpay_sign(format!("{timestamp}\n{nonce}\n{body}\n").as_bytes());
    Signed {
        body: Bytes::from(body.to_owned()),
        timestamp,
        nonce,
        signature: base64::engine::general_purpose::STANDARD.encode(signature),
    }
}

/// Runs the responder on a free loopback port, prints `listening <port>` on stdout and serves
/// until killed.
pub fn run() -> ! {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let answers = Arc::new((sign(AUTHINFO), sign(TRANSACTION)));
        println!("listening {port}");
        let _ = std::io::stdout().flush();
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let answers = answers.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let answers = answers.clone();
                    async move {
                        let get = req.method() == hyper::Method::GET;
                        // Read the request to its end, as a server must before answering.
                        let _ = req.into_body().collect().await;
                        let s = if get { &answers.1 } else { &answers.0 };
                        Ok::<_, Infallible>(answer(s))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), service)
                    .await;
            });
        }
    })
}

fn answer(s: &Signed) -> Response<Full<Bytes>> {
    Response::builder()
        .status(200)
        .header("Content-Type", "application/json")
        .header("Request-ID", "08F4C9B50610BCAB8D8F0618A6D2A40D0092B3B7A001")
        .header("Wechatpay-Timestamp", &s.timestamp)
        .header("Wechatpay-Nonce", s.nonce)
        .header("Wechatpay-Signature", &s.signature)
        .header("Wechatpay-Serial", keys::PUB_KEY_ID)
        .body(Full::new(s.body.clone()))
        .expect("a valid answer")
}

/// A responder process: started from this same binary, stopped when dropped.
pub struct Process {
    child: std::process::Child,
    /// `http://127.0.0.1:<port>`.
    pub base_url: String,
}

impl Process {
    pub fn start() -> Process {
        use std::io::BufRead as _;
        let exe = std::env::current_exe().expect("the benchmark's own path");
        let mut child = std::process::Command::new(exe)
            .arg("responder")
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("start the responder");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("its port");
        let port = line
            .trim()
            .strip_prefix("listening ")
            .expect("`listening <port>`")
            .to_owned();
        Process {
            child,
            base_url: format!("http://127.0.0.1:{port}"),
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
