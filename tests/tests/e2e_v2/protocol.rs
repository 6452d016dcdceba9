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
