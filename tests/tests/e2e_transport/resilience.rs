//! Resilience.

use super::downloads::file_reply;
use super::*;
use wechatpay_tests::dead_base_url;

const AUTHINFO: &str = "/v3/offlineface/authinfo";

async fn post_authinfo(c: &Client) -> Result<Value, Error> {
    c.chain(AUTHINFO)
        .request(Method::POST)
        .json(&json!({"sub_mchid": "1900000109"}))
        .send_json()
        .await
}

#[tokio::test]
async fn a_500_then_200_succeeds_with_retries_1() {
    let server = MockServer::start(MockConfig::default()).await;
    let replies = vec![
        Reply::error(500, "SYSTEM_ERROR", "系统错误"),
        Reply::json(200, json!({"authinfo": "ok"})),
    ];
    server.on_sequence("POST", AUTHINFO, replies.clone());
    let c = builder()
        .base_url(server.base_url())
        .retries(1)
        .retry_backoff(Duration::from_millis(20))
        .build()
        .unwrap();
    assert_eq!(post_authinfo(&c).await.unwrap()["authinfo"], "ok");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs.iter().all(|r| r.auth.is_ok()), "every attempt signed anew");
    assert_eq!(reqs[0].body, reqs[1].body, "the same body");

    // Default: no retry.
    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence("POST", AUTHINFO, replies);
    let err = post_authinfo(&client(&server)).await.unwrap_err();
    assert_eq!(err.api_code(), Some("SYSTEM_ERROR"));
    assert!(err.is_retryable());
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn retries_give_up_after_n_and_skip_parameter_errors() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", AUTHINFO, Reply::error(503, "", "unavailable"));
    let c = builder()
        .base_url(server.base_url())
        .retries(2)
        .retry_backoff(Duration::from_millis(5))
        .build()
        .unwrap();
    let err = post_authinfo(&c).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(server.requests().len(), 3, "1 + 2 retries");

    let server = MockServer::start(MockConfig::default()).await;
    server.on("POST", AUTHINFO, Reply::error(400, "PARAM_ERROR", "参数错误"));
    let c = builder()
        .base_url(server.base_url())
        .retries(3)
        .retry_backoff(Duration::from_millis(5))
        .build()
        .unwrap();
    let err = post_authinfo(&c).await.unwrap_err();
    assert_eq!(err.api_code(), Some("PARAM_ERROR"));
    assert!(!err.is_retryable());
    assert_eq!(server.requests().len(), 1, "a parameter error is never retried");

    // FREQUENCY_LIMITED (429) is retried with backoff.
    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence(
        "POST",
        AUTHINFO,
        vec![
            Reply::error(429, "FREQUENCY_LIMITED", "频率超限"),
            Reply::json(200, json!({"authinfo": "ok"})),
        ],
    );
    let c = builder()
        .base_url(server.base_url())
        .retries(1)
        .retry_backoff(Duration::from_millis(5))
        .build()
        .unwrap();
    assert_eq!(post_authinfo(&c).await.unwrap()["authinfo"], "ok");
}

#[tokio::test]
async fn retryable_classification() {
    let server = MockServer::start(MockConfig::default()).await;
    let c = client(&server);
    for (status, code, retryable) in [
        (500, "SYSTEM_ERROR", true),
        (502, "", true),
        (429, "FREQUENCY_LIMITED", true),
        (403, "FREQUENCY_LIMITED", true),
        (500, "BANK_ERROR", true),
        (400, "PARAM_ERROR", false),
        (401, "SIGN_ERROR", false),
        (404, "ORDER_NOT_EXIST", false),
        (403, "NOT_ENOUGH", false),
        (400, "INVALID_REQUEST", false),
    ] {
        server.on("POST", AUTHINFO, Reply::error(status, code, "m"));
        let err = post_authinfo(&c).await.unwrap_err();
        assert_eq!(err.is_retryable(), retryable, "{status} {code}");
    }
    server.on("POST", AUTHINFO, Reply::json(200, json!({})).tamper(Tamper::WrongKey));
    assert!(
        !post_authinfo(&c).await.unwrap_err().is_retryable(),
        "a bad signature is not retried"
    );
}

#[tokio::test]
async fn connection_failure_fails_over_to_the_backup_host() {
    let backup = MockServer::start(MockConfig::default()).await;
    backup.on("POST", AUTHINFO, Reply::json(200, json!({"authinfo": "from backup"})));
    let dead = dead_base_url();

    let c = builder()
        .base_url(&dead)
        .failover(true)
        .backup_base_url(backup.base_url())
        .build()
        .unwrap();
    assert_eq!(post_authinfo(&c).await.unwrap()["authinfo"], "from backup");
    let req = backup.last_request();
    assert_signed_ok(&req); // signed for the backup host
    assert_eq!(req.target, AUTHINFO);

    // Off by default: a connection error, retryable.
    let c = builder()
        .base_url(&dead)
        .backup_base_url(backup.base_url())
        .build()
        .unwrap();
    let err = post_authinfo(&c).await.unwrap_err();
    assert!(matches!(err, Error::Transport(_)), "{err:?}");
    assert!(err.is_connect() && err.is_retryable(), "{err:?}");
    assert_eq!(backup.requests().len(), 1, "no failover when it is off");

    // Failover is for connection failures only: an API error from the primary is final.
    let primary = MockServer::start(MockConfig::default()).await;
    primary.on("POST", AUTHINFO, Reply::error(500, "SYSTEM_ERROR", "x"));
    let c = builder()
        .base_url(primary.base_url())
        .failover(true)
        .backup_base_url(backup.base_url())
        .build()
        .unwrap();
    assert_eq!(post_authinfo(&c).await.unwrap_err().api_code(), Some("SYSTEM_ERROR"));
    assert_eq!(backup.requests().len(), 1);

    // A configured base URL without a configured backup never fails over (to the internet).
    let c = builder().base_url(&dead).failover(true).build().unwrap();
    assert!(post_authinfo(&c).await.unwrap_err().is_connect());
}

#[tokio::test]
async fn bill_download_fails_over_too() {
    let backup = MockServer::start(MockConfig::default()).await;
    let file = bill_text(10);
    backup.on("GET", BILL, file_reply(file.clone()));
    let dead = dead_base_url();
    let c = builder()
        .base_url(&dead)
        .failover(true)
        .backup_base_url(backup.base_url())
        .build()
        .unwrap();
    let mut out: Vec<u8> = Vec::new();
    c.download_bill(&format!("{dead}{BILL}?token=f"), &openssl_sha1(&file), false, &mut out)
        .await
        .unwrap();
    assert_eq!(out, file);
    assert_eq!(backup.last_request().target, format!("{BILL}?token=f"));
}

#[tokio::test]
async fn timeouts_are_retryable_transport_errors() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence(
        "POST",
        AUTHINFO,
        vec![
            Reply::json(200, json!({"authinfo": "late"})).delay(Duration::from_secs(3)),
            Reply::json(200, json!({"authinfo": "fast"})),
        ],
    );
    let c = builder()
        .base_url(server.base_url())
        .timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    let started = std::time::Instant::now();
    let err = post_authinfo(&c).await.unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2), "the total timeout applies");
    assert!(matches!(err, Error::Timeout { .. }), "{err:?}");
    assert!(err.is_retryable());
    // The second reply is fast.
    assert_eq!(post_authinfo(&c).await.unwrap()["authinfo"], "fast");

    let server = MockServer::start(MockConfig::default()).await;
    server.on_sequence(
        "POST",
        AUTHINFO,
        vec![
            Reply::json(200, json!({"authinfo": "late"})).delay(Duration::from_secs(3)),
            Reply::json(200, json!({"authinfo": "fast"})),
        ],
    );
    let c = builder()
        .base_url(server.base_url())
        .timeout(Duration::from_millis(300))
        .retries(1)
        .retry_backoff(Duration::from_millis(5))
        .build()
        .unwrap();
    assert_eq!(post_authinfo(&c).await.unwrap()["authinfo"], "fast");
}

#[tokio::test]
async fn html_error_page_from_a_proxy_is_a_useful_api_error() {
    let server = MockServer::start(MockConfig::default()).await;
    let html = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    server.on(
        "POST",
        AUTHINFO,
        Reply::raw(502, "text/html", html.as_bytes().to_vec())
            .tamper(Tamper::Unsigned)
            .header("Request-ID", "08F1-PROXY"),
    );
    let err = post_authinfo(&client(&server)).await.unwrap_err();
    match &err {
        Error::Api(e) => {
            let wechatpay::ApiError {
                status,
                code,
                message,
                body,
                request_id,
                detail,
                ..
            } = &**e;
            assert_eq!(*status, 502);
            assert_eq!(*code, None);
            assert_eq!(message, "");
            assert_eq!(body, html);
            assert_eq!(request_id.as_deref(), Some("08F1-PROXY"));
            assert!(detail.is_none());
        }
        other => panic!("{other:?}"),
    }
    let text = err.to_string();
    assert!(text.contains("HTTP 502") && text.contains("08F1-PROXY"), "{text}");
    assert!(err.is_retryable());
}

#[tokio::test]
async fn spec_host_is_used_only_with_the_default_base_url() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("GET", "/v3/global/x", Reply::json(200, json!({"ok": true})));
    let spec_host: &'static str = Box::leak(server.base_url().into_boxed_str());

    // Default base URL: the operation's own host (here the mock stands for it).
    let c = builder().build().unwrap();
    let v: Value = c
        .chain("v3/global/x")
        .request(Method::GET)
        .host(spec_host)
        .send_json()
        .await
        .unwrap();
    assert_eq!(v["ok"], true);
    assert_signed_ok(&server.last_request());

    // A configured base URL wins (a dead port here: proves the spec host was not used).
    let c = builder().base_url(dead_base_url()).build().unwrap();
    let err = c
        .chain("v3/global/x")
        .request(Method::GET)
        .host(spec_host)
        .send_json::<Value>()
        .await
        .unwrap_err();
    assert!(err.is_connect(), "{err:?}");
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn query_lists_are_comma_joined_and_signed_as_sent() {
    let server = MockServer::start(MockConfig::default()).await;
    server.on("GET", "/v3/x", Reply::json(200, json!({})));
    let c = client(&server);
    let _: Value = c
        .chain("v3/x")
        .request(Method::GET)
        .query_list("ids", &["a b", "c,d", "中"])
        .query_list::<&str>("empty", &[])
        .query_list_opt("n", Some(&vec![1, 2]))
        .query_list_opt::<u8>("none", None)
        .send_json()
        .await
        .unwrap();
    let req = server.last_request();
    assert_signed_ok(&req);
    assert_eq!(req.target, "/v3/x?ids=a%20b,c%2Cd,%E4%B8%AD&n=1,2");
}

/// Size limits: a 2xx JSON body over `max_response_body` is refused unread; an error body is
/// kept to 64 KiB (a 5 MB error page neither fills memory nor the logs); downloads still stream.
#[tokio::test]
async fn response_bodies_are_capped() {
    let server = MockServer::start(MockConfig::default()).await;
    let big = format!("{{\"authinfo\":\"{}\"}}", "x".repeat(2 << 20));
    server.on("POST", "/v3/offlineface/authinfo", Reply::json_text(200, &big));
    let limited = builder()
        .base_url(server.base_url())
        .max_response_body(1 << 20)
        .build()
        .unwrap();
    use wechatpay::v3::offlineface::authinfo;
    let request = authinfo::PostRequest::new(authinfo::PostRequestRequired {
        sp_appid: "wx".into(),
        sub_mchid: "1900000109".into(),
        device_id: "d".into(),
        raw_data: "r".into(),
        organization_id: "o".into(),
    });
    let e = limited.v3().offlineface().authinfo().post(&request).await.unwrap_err();
    assert!(matches!(e, Error::BodyTooLarge { limit } if limit == 1 << 20), "{e:?}");
    // The default (16 MiB) takes it.
    let answer = client(&server)
        .v3()
        .offlineface()
        .authinfo()
        .post(&request)
        .await
        .unwrap();
    assert_eq!(answer.authinfo.map(|a| a.len()), Some(2 << 20));

    let page = "<html>".to_string() + &"proxy error ".repeat(400_000) + "</html>";
    server.on(
        "POST",
        "/v3/offlineface/authinfo",
        Reply::raw(502, "text/html", page.into_bytes()),
    );
    let e = client(&server)
        .v3()
        .offlineface()
        .authinfo()
        .post(&request)
        .await
        .unwrap_err();
    let Error::Api(api) = &e else { panic!("{e:?}") };
    let (status, body) = (api.status, &api.body);
    assert_eq!(status, 502);
    assert!(body.len() < (64 << 10) + 100, "{} bytes kept", body.len());
    assert!(
        body.ends_with("[... cut: the error body is longer than 64 KiB]"),
        "{}",
        &body[body.len() - 80..]
    );
    assert!(e.to_string().len() < 200, "{e}");
}

/// A keep-alive HTTP/1.1 server that answers every request with `404` (not signature-checked)
/// and closes a connection once it has been idle for `idle_close`; counts the connections.
async fn idle_closing_server(idle_close: Duration) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let connections = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let mut seen = Vec::new();
                loop {
                    let n = match tokio::time::timeout(idle_close, stream.read(&mut buf)).await {
                        Ok(Ok(n)) if n > 0 => n,
                        _ => return, // idle too long, or closed: drop the connection
                    };
                    seen.extend_from_slice(&buf[..n]);
                    // One request per read is enough here (GET, no body).
                    if seen.windows(4).any(|w| w == b"\r\n\r\n") {
                        seen.clear();
                        let body = r#"{"code":"RESOURCE_NOT_EXISTS","message":"x"}"#;
                        let reply = format!(
                            "HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: {}\r\nKeep-Alive: timeout=8\r\n\r\n{body}",
                            body.len()
                        );
                        if stream.write_all(reply.as_bytes()).await.is_err() {
                            return;
                        }
                    }
                }
            });
        }
    });
    (url, connections)
}

/// Idle connections: the client does not reuse a pooled connection idle longer than its
/// `pool_idle_timeout` (default 5 s, below WeChat Pay's ~8 s), and a connection the server
/// closed while idle is never the cause of a failed call.
#[tokio::test]
async fn idle_connections_are_not_reused_past_the_pool_timeout() {
    use std::sync::atomic::Ordering;
    let call = |c: &Client| {
        let c = c.clone();
        async move {
            let e = c
                .chain("v3/x")
                .request(Method::GET)
                .send_json::<serde_json::Value>()
                .await
                .unwrap_err();
            assert!(matches!(&e, Error::Api(api) if api.status == 404), "{e:?}");
        }
    };
    // Reused within the idle timeout: one connection.
    let (url, connections) = idle_closing_server(Duration::from_secs(30)).await;
    let c = builder()
        .base_url(url)
        .pool_idle_timeout(Duration::from_millis(300))
        .build()
        .unwrap();
    call(&c).await;
    call(&c).await;
    assert_eq!(connections.load(Ordering::SeqCst), 1);
    // Idle longer than the pool timeout: a new connection.
    tokio::time::sleep(Duration::from_millis(600)).await;
    call(&c).await;
    assert_eq!(
        connections.load(Ordering::SeqCst),
        2,
        "a connection idle past the pool timeout is not reused"
    );

    // The server closes idle connections (as WeChat Pay does after ~8 s) before the client's
    // pool timeout: the next call still succeeds, on a new connection.
    let (url, connections) = idle_closing_server(Duration::from_millis(200)).await;
    let c = builder().base_url(url).build().unwrap();
    call(&c).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    call(&c).await;
    assert_eq!(connections.load(Ordering::SeqCst), 2);
}

/// A server that reads the request and answers with `reply` (raw bytes), then waits.
async fn raw_server(reply: Vec<u8>) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let reply = reply.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 65536];
                let _ = stream.read(&mut buf).await;
                let _ = stream.write_all(&reply).await;
                tokio::time::sleep(Duration::from_secs(5)).await;
            });
        }
    });
    url
}

/// Transport errors say what happened: a refused connection, a silence, a garbage status line
/// and a 1 MB header each print their own cause (reqwest says `error sending request` for all).
#[tokio::test]
async fn transport_errors_name_their_cause() {
    let call = |url: String| async move {
        let c = builder()
            .base_url(url)
            .timeout(Duration::from_millis(500))
            .build()
            .unwrap();
        c.chain("v3/x")
            .request(Method::GET)
            .send_json::<serde_json::Value>()
            .await
            .unwrap_err()
            .to_string()
    };
    let refused = call(dead_base_url()).await;
    assert!(refused.starts_with("transport error, connection refused:"), "{refused}");
    let silent = call(raw_server(Vec::new()).await).await;
    assert!(
        silent.starts_with("transport error, no answer within 500 ms (timeout):"),
        "{silent}"
    );
    let garbage = call(raw_server(b"HTTX/9 banana\r\n\r\n".to_vec()).await).await;
    assert!(
        garbage.starts_with("transport error, malformed HTTP answer:"),
        "{garbage}"
    );
    let huge = [
        b"HTTP/1.1 200 OK\r\nX-Big: ".to_vec(),
        vec![b'a'; 1 << 20],
        b"\r\n\r\n".to_vec(),
    ]
    .concat();
    let huge = call(raw_server(huge).await).await;
    assert!(huge.starts_with("transport error, malformed HTTP answer:"), "{huge}");
    let cut = call(raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"a\":".to_vec()).await).await;
    assert!(
        cut.starts_with("transport error, the body stalled: not complete within 500 ms (timeout):"),
        "{cut}"
    );
}

/// Three timeouts, each named with its length (issue 9, item 6): connect, the server silent
/// (read timeout, default 10 s) and the whole exchange (timeout, default 30 s).
#[tokio::test]
async fn the_read_timeout_ends_a_silence_before_the_total_timeout() {
    let call = |url: String| async move {
        let c = builder()
            .base_url(url)
            .timeout(Duration::from_secs(20))
            .read_timeout(Duration::from_millis(300))
            .build()
            .unwrap();
        let started = std::time::Instant::now();
        let e = c
            .chain("v3/x")
            .request(Method::GET)
            .send_json::<serde_json::Value>()
            .await
            .unwrap_err();
        (e, started.elapsed())
    };
    let (silent, took) = call(raw_server(Vec::new()).await).await;
    assert!(
        took < Duration::from_secs(5),
        "the read timeout ends it, not the 20 s timeout: {took:?}"
    );
    assert!(
        matches!(
            silent,
            Error::Timeout {
                which: wechatpay::runtime::Timeout::ReadIdle,
                while_reading_body: false,
                ..
            }
        ),
        "{silent:?}"
    );
    assert!(
        silent
            .to_string()
            .starts_with("transport error, no answer: the server was silent for 300 ms (read timeout):"),
        "{silent}"
    );
    assert!(silent.is_retryable() && !silent.is_connect());

    let (stalled, took) =
        call(raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"a\":".to_vec()).await).await;
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert!(
        stalled
            .to_string()
            .starts_with("transport error, the body stalled: nothing for 300 ms (read timeout):"),
        "{stalled}"
    );
}

/// A server that closes every connection right after its answer, without saying so
/// (`Connection: close` absent): the client may pick the pooled connection before it sees the
/// close. Such a request was never written, and is sent again on a new connection (hyper-util's
/// `retry_canceled_requests`, on in reqwest); no call fails for it (issue 9, item 5).
#[tokio::test]
async fn a_connection_closed_right_after_its_answer_never_fails_a_call() {
    use std::sync::atomic::Ordering;
    let (url, connections) = idle_closing_server(Duration::from_millis(1)).await;
    let c = builder()
        .base_url(url)
        .pool_idle_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    for i in 0..40 {
        let e = c
            .chain("v3/x")
            .request(Method::GET)
            .send_json::<serde_json::Value>()
            .await
            .unwrap_err();
        assert!(matches!(&e, Error::Api(api) if api.status == 404), "call {i}: {e:?}");
        if i % 4 == 0 {
            tokio::time::sleep(Duration::from_millis(3)).await;
        }
    }
    assert!(
        connections.load(Ordering::SeqCst) >= 10,
        "the server closed its connections"
    );
}

/// A signed `204 No Content` in raw bytes, followed by `trailing` (bytes a broken server sends
/// as if they were a body), `sign_over` the body the signature covers.
fn no_content(sign_over: &[u8], trailing: &[u8]) -> Vec<u8> {
    let key = wechatpay_tests::mock::ResponseKey::wechatpay_public_key();
    let nonce = "n204";
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string();
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(sign_over);
    message.push(b'\n');
    let signature = key.sign_base64(&message);
    let mut raw = format!(
        "HTTP/1.1 204 No Content\r\nWechatpay-Timestamp: {timestamp}\r\nWechatpay-Nonce: {nonce}\r\nWechatpay-Signature: {signature}\r\nWechatpay-Serial: {}\r\nRequest-ID: 08F1-204\r\nContent-Length: {}\r\n\r\n",
        key.serial(),
        trailing.len()
    )
    .into_bytes();
    raw.extend_from_slice(trailing);
    raw
}

/// A 204 has no content (RFC 9110 §15.3.5): bytes after its headers are not its body. They
/// are not read as one, the signature is checked over the empty body WeChat Pay signs, and
/// they are never taken for the next answer on the connection (issue 9, item 8).
#[tokio::test]
async fn a_204_that_carries_a_body_is_an_empty_answer() {
    let call = |url: String| async move {
        let c = builder().base_url(url).timeout(Duration::from_secs(3)).build().unwrap();
        let first = c
            .chain("v3/x")
            .request(Method::POST)
            .json(&json!({}))
            .send_empty()
            .await;
        (c, first)
    };
    // Signed over the empty body, with 5 stray bytes: success.
    let (c, first) = call(raw_server(no_content(b"", b"hello")).await).await;
    first.unwrap();
    // The stray bytes are not the answer to a second call (which gets its own connection).
    c.chain("v3/x")
        .request(Method::POST)
        .json(&json!({}))
        .send_empty()
        .await
        .unwrap();
    // Signed over the stray bytes, as if they were the body: the signature does not cover what
    // the client received (nothing), so it is refused.
    let (_, first) = call(raw_server(no_content(b"hello", b"hello")).await).await;
    assert!(
        matches!(first, Err(Error::Verification(VerificationError::BadSignature { .. }))),
        "{first:?}"
    );
}

/// A server that reads each request and closes without answering: the call is sent twice
/// (the one re-send of a connection closed unanswered), never more, and fails naming the cause.
#[tokio::test]
async fn a_connection_closed_unanswered_is_resent_once_only() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let requests = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buf = vec![0u8; 65536];
            if stream.read(&mut buf).await.unwrap_or(0) > 0 {
                counter.fetch_add(1, Ordering::SeqCst);
            }
            drop(stream);
        }
    });
    let c = builder().base_url(url).build().unwrap();
    let e = c
        .chain("v3/x")
        .request(Method::POST)
        .json(&json!({"out_trade_no": "1217752501201407033233368018"}))
        .send_empty()
        .await
        .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("transport error, the connection was closed before an answer:"),
        "{e}"
    );
    assert_eq!(requests.load(Ordering::SeqCst), 2, "sent once, re-sent once");
}
