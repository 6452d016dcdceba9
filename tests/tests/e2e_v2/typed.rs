//! The generated operations (`client.v2()…`): typed requests and answers, lists (`$n`), the
//! operation's sign type, unsigned answers, bills, `.blocking()`, and an operation that needs
//! the merchant certificate refused before anything is sent when none is configured.

use super::*;
use wechatpay::v2::mmpaymkttransfers::sendredpack;
use wechatpay::v2::pay::{downloadbill, orderquery, profitsharingquery};

#[tokio::test]
async fn a_typed_query_is_signed_and_its_answer_typed_with_its_lists() {
    let (url, seen) = server().await;
    let c = client(&url);
    let request = orderquery::PostRequest::default()
        .with(|r| {
            r.appid = Some("wx2421b1c4370ec43b".into());
            r.mch_id = Some("1900000001".into());
        })
        .with(|r| r.out_trade_no = Some("T-1".into()));
    let answer = c.v2().pay().orderquery().post(&request).await.unwrap();
    assert_eq!(answer.trade_state, Some(orderquery::PostResponseTradeState::Success));
    assert_eq!(answer.total_fee, Some(101));
    assert_eq!(answer.out_trade_no.as_deref(), Some("T-1"));
    assert_eq!(answer.coupon_count, Some(2));
    assert_eq!(
        answer.coupon_fee_list,
        Some(vec![60, 41]),
        "by index, not by document order"
    );
    assert_eq!(
        answer.coupon_id_list,
        Some(vec!["10000".to_owned(), "10001".to_owned()])
    );
    // What was sent: the URL without `/v2`, the fields given and the protocol's, MD5 (no
    // sign_type), nothing for the fields left `None`.
    let seen = seen.lock().unwrap();
    let (path, fields) = &seen[0];
    assert_eq!(path, "/pay/orderquery");
    let names: Vec<&str> = fields.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["appid", "mch_id", "out_trade_no", "nonce_str", "sign"]);
}

#[tokio::test]
async fn an_operation_that_allows_hmac_sha256_only_is_signed_so() {
    let (url, seen) = server().await;
    let c = client(&url);
    let request = profitsharingquery::PostRequest::new(profitsharingquery::PostRequestRequired {
        transaction_id: "4208450740201411110007820472".into(),
        out_order_no: "P20150806125346".into(),
    })
    .with(|r| r.mch_id = Some("1900000001".into()));
    c.v2().pay().profitsharingquery().post(&request).await.unwrap();
    let seen = seen.lock().unwrap();
    assert_eq!(v2::xml::field(&seen[0].1, "sign_type"), Some("HMAC-SHA256"));
    // The server accepted the HMAC signature (checked with openssl) and its answer's, signed
    // with HMAC-SHA256 too, was verified.
}

#[tokio::test]
async fn a_bill_is_the_file_and_its_failure_the_xml() {
    let (url, _) = server().await;
    let c = client(&url);
    let request = downloadbill::PostRequest::new(downloadbill::PostRequestRequired {
        bill_date: "20261130".into(),
    })
    .with(|r| {
        r.appid = Some("wx2421b1c4370ec43b".into());
        r.mch_id = Some("1900000001".into());
    });
    let bill = c.v2().pay().downloadbill().post(&request).await.unwrap();
    assert_eq!(bill, BILL.as_bytes());
    let none = downloadbill::PostRequest::new(downloadbill::PostRequestRequired {
        bill_date: "20990101".into(),
    })
    .with(|r| {
        r.appid = Some("wx2421b1c4370ec43b".into());
        r.mch_id = Some("1900000001".into());
    });
    let e = c.v2().pay().downloadbill().post(&none).await.unwrap_err();
    assert!(
        matches!(&e, Error::ApiV2(ResultError::Communication { return_msg, .. }) if return_msg == "No Bill Exist"),
        "{e:?}"
    );
}

fn red_packet() -> sendredpack::PostRequest {
    sendredpack::PostRequest::new(sendredpack::PostRequestRequired {
        mch_billno: "10000098201411111234567890".into(),
        wxappid: "wx8888888888888888".into(),
        send_name: "天虹百货".into(),
        re_openid: "oxTWIuGaIt6gTKsQRLau2M0yL16E".into(),
        total_amount: 1000,
        total_num: 1,
        wishing: "感谢您参加猜灯谜活动，祝您元宵节快乐！".into(),
        client_ip: "192.168.0.1".into(),
        act_name: "猜灯谜抢红包活动".into(),
        remark: "猜越多得越多，快来抢！".into(),
    })
    .with(|r| r.mch_id = Some("1900000001".into()))
}

#[tokio::test]
async fn an_operation_that_needs_the_certificate_is_refused_without_one() {
    let (url, seen) = server().await;
    let c = client(&url);
    let e = c
        .v2()
        .mmpaymkttransfers()
        .sendredpack()
        .post(&red_packet())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config(why) if why.message.contains("merchant API certificate") && why.setting == wechatpay::Setting::MerchantCertificate && why.problem == wechatpay::ConfigProblem::Missing),
        "{e:?}"
    );
    assert!(seen.lock().unwrap().is_empty(), "nothing is sent");
}

#[tokio::test]
async fn an_unsigned_answer_is_read_when_the_spec_says_it_carries_no_sign() {
    let (url, seen) = server().await;
    let c = builder(&url)
        .merchant_certificate_pem(keys::MERCHANT_CERT_PEM, keys::MERCHANT_KEY_PEM)
        .build()
        .unwrap();
    let answer = c
        .v2()
        .mmpaymkttransfers()
        .sendredpack()
        .post(&red_packet())
        .await
        .unwrap();
    assert_eq!(answer.send_listid.as_deref(), Some("100000000020150520314766074200"));
    assert_eq!(answer.total_amount, Some(1000));
    let seen = seen.lock().unwrap();
    assert_eq!(
        v2::xml::field(&seen[0].1, "re_openid"),
        Some("oxTWIuGaIt6gTKsQRLau2M0yL16E")
    );
    assert_eq!(
        v2::xml::field(&seen[0].1, "wishing"),
        Some("感谢您参加猜灯谜活动，祝您元宵节快乐！")
    );
    assert_eq!(v2::xml::field(&seen[0].1, "sign_type"), None, "MD5, the default");
}

#[test]
fn a_typed_call_runs_blocking_too() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (url, _) = runtime.block_on(server());
    let c = client(&url);
    let request = orderquery::PostRequest::default()
        .with(|r| {
            r.appid = Some("wx2421b1c4370ec43b".into());
            r.mch_id = Some("1900000001".into());
        })
        .with(|r| r.transaction_id = Some("4200000000000000".into()));
    let answer = c.v2().pay().orderquery().post(&request).blocking().unwrap();
    assert_eq!(answer.total_fee, Some(101));
    // Inside a runtime it is refused, not a panic.
    let inside = runtime.block_on(async { c.v2().pay().orderquery().post(&request).blocking() });
    assert!(matches!(inside, Err(Error::Blocking)), "{inside:?}");
}

#[tokio::test]
async fn a_client_for_apiv2_only_needs_no_apiv3_settings_and_sends_no_apiv3_call() {
    let (url, seen) = server().await;
    let c = wechatpay::Client::builder()
        .mchid(keys::MCHID)
        .apiv2_key(KEY)
        .base_url(&url)
        .build()
        .unwrap();
    let request = orderquery::PostRequest::default()
        .with(|r| {
            r.appid = Some("wx2421b1c4370ec43b".into());
            r.mch_id = Some("1900000001".into());
        })
        .with(|r| r.out_trade_no = Some("T-2".into()));
    let answer = c.v2().pay().orderquery().post(&request).await.unwrap();
    assert_eq!(answer.out_trade_no.as_deref(), Some("T-2"));
    // An APIv3 call is refused before it is signed: the server sees nothing of it.
    let before = seen.lock().unwrap().len();
    let e = c
        .chain("v3/pay/transactions/id/4200")
        .request(wechatpay::Method::GET)
        .query("mchid", keys::MCHID)
        .send_json::<serde_json::Value>()
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config(m) if m.message.contains("APIv2 only")),
        "{e:?}"
    );
    assert_eq!(seen.lock().unwrap().len(), before);
}

#[tokio::test]
async fn bank_details_are_sent_rsa_encrypted_with_the_getpublickey_key_and_signed_as_sent() {
    use base64::Engine as _;
    use wechatpay::v2::mmpaysptrans::pay_bank;
    let (url, seen) = server().await;
    // The sandbox's WeChat Pay key pair plays risk/getpublickey's; its public key as that
    // operation gives it, PKCS#1 (`BEGIN RSA PUBLIC KEY`), converted by openssl.
    let dir = tempfile::tempdir().unwrap();
    let public = keys::keys_dir().join("wechatpay_pub.pem");
    let pkcs1 = openssl(
        dir.path(),
        &["rsa", "-pubin", "-in", public.to_str().unwrap(), "-RSAPublicKey_out"],
    );
    let pkcs1 = String::from_utf8(pkcs1).unwrap();
    assert!(pkcs1.contains("BEGIN RSA PUBLIC KEY"), "{pkcs1}");
    let request = pay_bank::PostRequest::new(pay_bank::PostRequestRequired {
        partner_trade_no: "P-1".into(),
        enc_bank_no: "6225880000000000".into(),
        enc_true_name: "张三".into(),
        bank_code: "1002".into(),
        amount: 100,
    })
    .with(|r| r.mch_id = Some("1900000001".into()));
    // Without the key: refused, nothing sent.
    let without = builder(&url)
        .merchant_certificate_pem(keys::MERCHANT_CERT_PEM, keys::MERCHANT_KEY_PEM)
        .build()
        .unwrap();
    let e = without.v2().mmpaysptrans().pay_bank().post(&request).await.unwrap_err();
    assert!(
        matches!(&e, Error::Config(m) if m.message.contains("apiv2_rsa_public_key_pem")),
        "{e:?}"
    );
    assert!(seen.lock().unwrap().is_empty());
    let c = builder(&url)
        .merchant_certificate_pem(keys::MERCHANT_CERT_PEM, keys::MERCHANT_KEY_PEM)
        .apiv2_rsa_public_key_pem(&pkcs1)
        .build()
        .unwrap();
    // The server checked the sign over what it received (the ciphertexts) and answered.
    c.v2().mmpaysptrans().pay_bank().post(&request).await.unwrap();
    let seen = seen.lock().unwrap();
    let fields = &seen[0].1;
    for (name, plain) in [("enc_bank_no", "6225880000000000"), ("enc_true_name", "张三")] {
        let sent = v2::xml::field(fields, name).unwrap();
        assert_ne!(sent, plain);
        let ciphertext = base64::engine::general_purpose::STANDARD.decode(sent).unwrap();
        assert_eq!(ciphertext.len(), 256, "RSA-2048");
        let file = dir.path().join(format!("{name}.bin"));
        std::fs::write(&file, &ciphertext).unwrap();
        let private = keys::keys_dir().join("wechatpay_key.pem");
        let decrypted = openssl(
            dir.path(),
            &[
                "pkeyutl",
                "-decrypt",
                "-inkey",
                private.to_str().unwrap(),
                "-pkeyopt",
                "rsa_padding_mode:oaep",
                "-in",
                file.to_str().unwrap(),
            ],
        );
        assert_eq!(String::from_utf8(decrypted).unwrap(), plain, "{name}");
    }
    assert_eq!(
        v2::xml::field(fields, "bank_code"),
        Some("1002"),
        "other fields as given"
    );
}

/// APIv2's `mch_id` is filled in with the client's merchant id, and `appid` with its APPID when
/// it was given one; a request's own values win; without an APPID to fill in, the call fails
/// before anything is sent.
#[tokio::test]
async fn the_clients_mch_id_and_appid_are_filled_in_unless_the_request_has_them() {
    let (url, seen) = server().await;
    let query = orderquery::PostRequest::default().with(|r| r.out_trade_no = Some("T-1".into()));
    let with_appid = builder(&url).appid("wx2421b1c4370ec43b").build().unwrap();
    with_appid.v2().pay().orderquery().post(&query).await.unwrap();
    let explicit = query.clone().with(|r| {
        r.appid = Some("wx8888888888888888".into());
        r.mch_id = Some("1230000109".into());
    });
    with_appid.v2().pay().orderquery().post(&explicit).await.unwrap();
    {
        let seen = seen.lock().unwrap();
        assert_eq!(v2::xml::field(&seen[0].1, "mch_id"), Some(keys::MCHID));
        assert_eq!(v2::xml::field(&seen[0].1, "appid"), Some("wx2421b1c4370ec43b"));
        assert_eq!(v2::xml::field(&seen[1].1, "mch_id"), Some("1230000109"));
        assert_eq!(v2::xml::field(&seen[1].1, "appid"), Some("wx8888888888888888"));
    }
    let e = client(&url).v2().pay().orderquery().post(&query).await.unwrap_err();
    assert!(
        matches!(&e, Error::InvalidRequest(why) if why.message.contains("appid") && why.problem == wechatpay::RequestProblem::NotFilled),
        "{e:?}"
    );
    assert_eq!(seen.lock().unwrap().len(), 2, "nothing sent without an APPID");
}
