//! The untyped call (`Client::post_v2`): both sign types, a bad answer signature, typed
//! failures, a wrong key, no key, a `sign` given by hand.

use super::*;

#[tokio::test]
async fn a_signed_call_gets_a_verified_answer_with_either_sign_type() {
    let (url, _) = server().await;
    let c = client(&url);
    let request = [
        ("appid", "wx2421b1c4370ec43b"),
        ("mch_id", "1900000001"),
        ("out_trade_no", "T-1"),
    ];
    for sign_type in [SignType::Md5, SignType::HmacSha256] {
        let answer = c.post_v2("/pay/orderquery", &request, sign_type).await.unwrap();
        assert_eq!(v2::xml::field(&answer, "trade_state"), Some("SUCCESS"), "{sign_type:?}");
        assert_eq!(v2::xml::field(&answer, "total_fee"), Some("101"));
    }
}

#[tokio::test]
async fn failures_are_typed_and_a_bad_answer_is_never_used() {
    let (url, _) = server().await;
    let c = client(&url);
    let request = [("appid", "wx2421b1c4370ec43b"), ("mch_id", "1900000001")];
    let e = c.post_v2("/pay/badsign", &request, SignType::Md5).await.unwrap_err();
    assert!(
        matches!(e, Error::Verification(VerificationError::BadSignature { .. })),
        "{e:?}"
    );
    let e = c.post_v2("/pay/busy", &request, SignType::Md5).await.unwrap_err();
    assert!(
        matches!(&e, Error::ApiV2(ResultError::Business { err_code, .. }) if err_code == "SYSTEMERROR"),
        "{e:?}"
    );
    assert!(e.is_retryable());
    // A request the platform cannot verify (another key): its unsigned FAIL, as it is.
    let wrong = merchant()
        .wechatpay_public_key(
            wechatpay_tests::keys::WECHATPAY_PUBLIC_KEY_ID,
            wechatpay_tests::keys::WECHATPAY_PUB_PEM,
        )
        .base_url(&url)
        .apiv2_key("00000000000000000000000000000000")
        .build()
        .unwrap();
    let e = wrong
        .post_v2("/pay/orderquery", &request, SignType::Md5)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::ApiV2(ResultError::Communication { return_msg, .. }) if return_msg == "签名错误"),
        "{e:?}"
    );
    assert!(!e.is_retryable());
    // No key, a sign given by hand: refused before anything is sent.
    let unkeyed = merchant()
        .wechatpay_public_key(
            wechatpay_tests::keys::WECHATPAY_PUBLIC_KEY_ID,
            wechatpay_tests::keys::WECHATPAY_PUB_PEM,
        )
        .base_url(&url)
        .build()
        .unwrap();
    assert!(matches!(
        unkeyed.post_v2("/pay/orderquery", &request, SignType::Md5).await,
        Err(Error::Config(_))
    ));
    assert!(matches!(
        c.post_v2("/pay/orderquery", &[("sign", "X")], SignType::Md5).await,
        Err(Error::InvalidRequest(_))
    ));
    // The key never shows in the client's Debug.
    assert!(!format!("{c:?}").contains(KEY));
}

/// An attempt as an interceptor is told of it: operation, number, status.
type Seen2 = (String, u32, Option<u16>);

/// Records each attempt an interceptor is told of.
#[derive(Default, Clone)]
struct Recorder(Arc<Mutex<Vec<Seen2>>>);

impl wechatpay::runtime::Interceptor for Recorder {
    fn before_send(&self, _: &wechatpay::runtime::Attempt<'_>, headers: &mut wechatpay::runtime::HeaderMap) {
        headers.insert("x-merchant-trace", wechatpay::runtime::HeaderValue::from_static("t-1"));
    }
    fn after_receive(&self, attempt: &wechatpay::runtime::Attempt<'_>, outcome: &wechatpay::runtime::Outcome<'_>) {
        self.0
            .lock()
            .unwrap()
            .push((attempt.operation.to_owned(), attempt.number, outcome.status));
    }
}

#[tokio::test]
async fn apiv2_calls_go_through_the_same_attempts_as_apiv3_retries_and_interceptors() {
    let (url, seen) = server().await;
    let recorder = Recorder::default();
    let c = builder(&url)
        .retries(2)
        .retry_backoff(std::time::Duration::from_millis(1))
        .interceptor(recorder.clone())
        .build()
        .unwrap();
    // A signed SYSTEMERROR is retryable: tried three times, then reported.
    let e = c
        .post_v2("/pay/busy", &[("mch_id", "1900000001")], SignType::Md5)
        .await
        .unwrap_err();
    assert!(e.is_retryable(), "{e:?}");
    assert_eq!(seen.lock().unwrap().len(), 3);
    let attempts = recorder.0.lock().unwrap().clone();
    assert_eq!(
        attempts,
        [
            ("/pay/busy".to_owned(), 1, Some(200)),
            ("/pay/busy".to_owned(), 2, Some(200)),
            ("/pay/busy".to_owned(), 3, Some(200))
        ]
    );
    // Per call: no retries; or not idempotent, so a SYSTEMERROR (which may follow a request
    // carried out) is not sent again.
    for call in [
        c.chain("/pay/busy")
            .v2_request()
            .field("mch_id", "1")
            .send_fields()
            .retries(0),
        c.chain("/pay/busy")
            .v2_request()
            .field("mch_id", "1")
            .send_fields()
            .idempotent(false),
    ] {
        let before = seen.lock().unwrap().len();
        assert!(call.await.is_err());
        assert_eq!(seen.lock().unwrap().len(), before + 1);
    }
    // A typed call: one attempt, the operation without `/v2`.
    recorder.0.lock().unwrap().clear();
    let request = wechatpay::v2::pay::orderquery::PostRequest::default()
        .with(|r| {
            r.appid = Some("wx2421b1c4370ec43b".into());
            r.mch_id = Some("1900000001".into());
        })
        .with(|r| r.out_trade_no = Some("T-1".into()));
    c.v2().pay().orderquery().post(&request).await.unwrap();
    assert_eq!(
        recorder.0.lock().unwrap().clone(),
        [("/pay/orderquery".to_owned(), 1, Some(200))]
    );
}
