//! Notifications over HTTP.

use super::*;

/// A merchant's notify_url on 127.0.0.1: hands the raw body and headers to
/// `Client::handle_notification` and answers with `NotificationAnswer`.
async fn merchant_endpoint(
    client: Client,
) -> (
    String,
    std::sync::Arc<std::sync::Mutex<Vec<wechatpay::NotificationEvent>>>,
) {
    use http_body_util::{BodyExt, Full};
    let events = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/notify", listener.local_addr().unwrap());
    let seen = events.clone();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let client = client.clone();
            let seen = seen.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
                    let client = client.clone();
                    let seen = seen.clone();
                    async move {
                        let (parts, body) = req.into_parts();
                        let body = body.collect().await.unwrap().to_bytes();
                        let answer = match client.handle_notification(&parts.headers, &body) {
                            Ok(event) => {
                                seen.lock().unwrap().push(event);
                                wechatpay::NotificationAnswer::success()
                            }
                            Err(e) => wechatpay::NotificationAnswer::for_error(&e),
                        };
                        let mut response = hyper::Response::builder().status(answer.status());
                        if let Some(ct) = answer.content_type() {
                            response = response.header("Content-Type", ct);
                        }
                        Ok::<_, std::convert::Infallible>(
                            response
                                .body(Full::new(bytes::Bytes::from(answer.body().to_owned())))
                                .unwrap(),
                        )
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
            });
        }
    });
    (url, events)
}

#[tokio::test]
async fn notifications_posted_over_http_are_verified_decrypted_and_answered() {
    use wechatpay::notifications::Resource;
    use wechatpay_sandbox::notify::{make_notification, send_notification};
    let server = MockServer::start(MockConfig::default()).await;
    let (url, events) = merchant_endpoint(public_key_client(&server)).await;
    let platform = ResponseKey::wechatpay_public_key();

    let tx = json!({"mchid": keys::MCHID, "appid": "wxd678efh567hg6787", "out_trade_no": "T-1",
                    "transaction_id": "4200000000", "trade_state": "SUCCESS", "amount": {"total": 1, "currency": "CNY"}});
    let n = make_notification(&platform, APIV3_KEY, "TRANSACTION.SUCCESS", &tx).unwrap();
    assert_eq!(send_notification(&url, &n).await.unwrap(), (204, String::new()));
    let refund =
        json!({"mchid": keys::MCHID, "out_refund_no": "R-1", "refund_status": "SUCCESS", "amount": {"refund": 1}});
    let n = make_notification(&platform, APIV3_KEY, "REFUND.SUCCESS", &refund).unwrap();
    assert_eq!(send_notification(&url, &n).await.unwrap().0, 204);
    {
        let events = events.lock().unwrap();
        assert_eq!(events.len(), 2);
        let Resource::Transaction(t) = Resource::decode(&events[0]).unwrap() else {
            panic!("{:?}", events[0])
        };
        assert_eq!(
            (t.out_trade_no.as_str(), t.amount.as_ref().unwrap().total),
            ("T-1", Some(1))
        );
        let Resource::Refund(r) = Resource::decode(&events[1]).unwrap() else {
            panic!("{:?}", events[1])
        };
        assert_eq!(r.out_refund_no.as_deref(), Some("R-1"));
    }

    // Another APIv3 key: 400 with {"code":"FAIL"}; another signing key: 401.
    let n = make_notification(
        &platform,
        "ZZp4yDNs9kT2vQ8rL6mB3cZ7hF1jG5aE",
        "TRANSACTION.SUCCESS",
        &tx,
    )
    .unwrap();
    let (status, body) = send_notification(&url, &n).await.unwrap();
    assert_eq!(status, 400);
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["code"], "FAIL");
    assert!(
        body["message"].as_str().unwrap().contains("decryption failed"),
        "{body}"
    );
    let forger = ResponseKey::from_pem(keys::WECHATPAY_PUBLIC_KEY_ID, keys::MERCHANT_KEY_PEM).unwrap();
    let n = make_notification(&forger, APIV3_KEY, "TRANSACTION.SUCCESS", &tx).unwrap();
    let (status, body) = send_notification(&url, &n).await.unwrap();
    assert_eq!(status, 401, "{body}");
    assert!(body.contains("bad notification signature"), "{body}");
    assert_eq!(
        events.lock().unwrap().len(),
        2,
        "rejected notifications are not handed on"
    );
}

#[test]
fn auto_refresh_outside_async_code_runs_on_the_blocking_runtime() {
    let server = MockServer::start_blocking(MockConfig::certificate_mode());
    server.on("GET", CERTIFICATES, certificates_reply());
    server.on("GET", TX, Reply::json(200, json!({})));
    let client = base(&server)
        .platform_certificates_auto_refresh(Duration::from_secs(1))
        .build()
        .unwrap();
    let start = Instant::now();
    while client.platform_certificates().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "timed out waiting for the first download"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let _: serde_json::Value = client.chain(TX).request(Method::GET).send_json().blocking().unwrap();
    drop(client);
    std::thread::sleep(Duration::from_millis(1500));
}

/// The certificate list is capped like every JSON answer (`max_response_body`): a 2 MB answer
/// to a client capped at 1 MiB is refused unread, nothing trusted from it.
#[tokio::test]
async fn an_oversized_certificate_list_is_refused_unread() {
    let server = MockServer::start(MockConfig::certificate_mode()).await;
    let huge = json!({"data": [], "padding": "x".repeat(2 << 20)});
    server.on("GET", CERTIFICATES, Reply::json(200, huge));
    let client = base(&server)
        .platform_certificates_download()
        .max_response_body(1 << 20)
        .build()
        .unwrap();
    let e = client.refresh_platform_certificates().await.unwrap_err();
    assert!(matches!(e, Error::BodyTooLarge { limit } if limit == 1 << 20), "{e:?}");
    assert!(client.platform_certificates().is_empty());
}

/// The certificate download goes through the one send path of every call: a 500 is retried
/// as configured (it had its own copy, without retries or failover).
#[tokio::test]
async fn the_certificate_download_is_retried_like_any_call() {
    let server = MockServer::start(MockConfig::certificate_mode()).await;
    server.on_sequence(
        "GET",
        CERTIFICATES,
        vec![Reply::error(500, "SYSTEM_ERROR", "busy"), certificates_reply()],
    );
    let client = base(&server)
        .platform_certificates_download()
        .retries(1)
        .retry_backoff(std::time::Duration::from_millis(5))
        .build()
        .unwrap();
    let downloaded = client
        .refresh_platform_certificates()
        .await
        .expect("the retry succeeds");
    assert_eq!(downloaded.len(), 1);
    assert_eq!(server.hits("GET", CERTIFICATES), 2);
}
