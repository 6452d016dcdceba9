//! APIv2 signing and decryption, cross-checked with the `openssl` command line (an
//! implementation independent of the ones used here) and WeChat Pay's documented example.

use std::io::Write as _;
use std::process::Command;

use super::*;
use crate::VerificationError;

/// The key of WeChat Pay's documented signature example.
const DOC_KEY: &str = "192006250b4c09247ec02edce69f6a2d";

fn doc_fields() -> Vec<(&'static str, &'static str)> {
    vec![
        ("appid", "wxd930ea5d5a258f4f"),
        ("mch_id", "10000100"),
        ("device_info", "1000"),
        ("body", "test"),
        ("nonce_str", "ibuaiVcKdpRxkhJA"),
    ]
}

fn tempfile_path(tag: &str) -> (std::path::PathBuf, std::fs::File) {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let path = std::env::temp_dir().join(format!(
        "wechatpay-v2-{}-{tag}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let file = std::fs::File::create(&path).unwrap();
    (path, file)
}

#[test]
fn the_documented_example_signs_as_documented() {
    let key = ApiV2Key::new(DOC_KEY).unwrap();
    assert_eq!(
        sign(&doc_fields(), &key, SignType::Md5),
        "9A0A8659F005D6984697E2CA0A9CF3B7"
    );
    assert_eq!(
        sign(&doc_fields(), &key, SignType::HmacSha256),
        "6A9AE1657590FD6257D693A078E1C3E4BB6BA4DC30B23E0EE2496E54170DACD6"
    );
}

#[test]
fn signatures_match_openssl_and_leave_out_sign_and_empty_fields() {
    let key = ApiV2Key::new("TESTONLYv2key0123456789abcdefABC").unwrap();
    let fields = vec![
        ("total_fee", "888"),
        ("body", "腾讯充值中心-QQ会员充值"),
        ("attach", ""),
        ("sign", "IGNORED"),
        ("nonce_str", "5K8264ILTKCH16CQ2502SI8ZNMTM67VS"),
        ("appid", "wx2421b1c4370ec43b"),
        ("mch_id", "10000100"),
        ("B_upper", "sorted before lower case"),
    ];
    // What is signed, by hand: sorted by byte, no `sign`, no empty `attach`, then the key.
    let text = format!(
        "B_upper=sorted before lower case&appid=wx2421b1c4370ec43b&body=腾讯充值中心-QQ会员充值&mch_id=10000100&nonce_str=5K8264ILTKCH16CQ2502SI8ZNMTM67VS&total_fee=888&key={}",
        key.as_str()
    );
    let md5 = openssl_first_word(&["dgst", "-md5", "-r"], text.as_bytes()).unwrap();
    assert_eq!(sign(&fields, &key, SignType::Md5), md5.to_ascii_uppercase());
    let hmac = openssl_first_word(&["dgst", "-sha256", "-r", "-hmac", key.as_str()], text.as_bytes()).unwrap();
    assert_eq!(sign(&fields, &key, SignType::HmacSha256), hmac.to_ascii_uppercase());
}

/// The first word `openssl … -r FILE` prints (the digest).
fn openssl_first_word(args: &[&str], input: &[u8]) -> Option<String> {
    let mut file = tempfile_path("dgst");
    file.1.write_all(input).unwrap();
    let out = Command::new("openssl").args(args).arg(&file.0).output().ok()?;
    let _ = std::fs::remove_file(&file.0);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout)
        .ok()?
        .split_whitespace()
        .next()
        .map(str::to_owned)
}

#[test]
fn an_answer_is_verified_before_it_is_read() {
    let key = ApiV2Key::new(DOC_KEY).unwrap();
    let mut fields: Vec<(String, String)> = doc_fields()
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    fields.push(("sign".into(), "9a0a8659f005d6984697e2ca0a9cf3b7".into()));
    assert_eq!(verify(&fields, &key, SignType::Md5), Ok(()), "either case of hex");
    // Another sign type, a changed field, a missing or empty sign, another key: refused.
    assert!(matches!(
        verify(&fields, &key, SignType::HmacSha256),
        Err(crate::VerificationError::BadSignature { .. })
    ));
    let mut changed = fields.clone();
    changed[3].1 = "test2".into();
    assert!(verify(&changed, &key, SignType::Md5).is_err());
    let unsigned: Vec<_> = fields.iter().filter(|(n, _)| n != "sign").cloned().collect();
    assert_eq!(
        verify(&unsigned, &key, SignType::Md5),
        Err(crate::VerificationError::MissingField("sign"))
    );
    let mut empty = fields.clone();
    empty.last_mut().unwrap().1.clear();
    assert_eq!(
        verify(&empty, &key, SignType::Md5),
        Err(crate::VerificationError::MissingField("sign"))
    );
    let other = ApiV2Key::new("00000000000000000000000000000000").unwrap();
    assert!(verify(&fields, &other, SignType::Md5).is_err());
    // An empty field added by an attacker changes nothing (empty fields are not signed), a
    // non-empty one does.
    let mut added = fields.clone();
    added.push(("x".into(), String::new()));
    assert_eq!(verify(&added, &key, SignType::Md5), Ok(()));
    added.push(("y".into(), "1".into()));
    assert!(verify(&added, &key, SignType::Md5).is_err());
}

#[test]
fn a_refund_notifications_req_info_decrypts_like_openssl_encrypts() {
    let key = ApiV2Key::new("TESTONLYv2key0123456789abcdefABC").unwrap();
    let plaintext = "<root><out_refund_no><![CDATA[R1]]></out_refund_no><refund_fee><![CDATA[50]]></refund_fee><refund_status><![CDATA[SUCCESS]]></refund_status></root>";
    // openssl: AES-256-ECB, PKCS#7 (its default), key = the ASCII of the lower-case hex MD5.
    let md5 = openssl_first_word(&["dgst", "-md5", "-r"], key.as_str().as_bytes()).unwrap();
    let key_hex: String = md5.bytes().map(|b| format!("{b:02x}")).collect();
    let mut file = tempfile_path("plain");
    file.1.write_all(plaintext.as_bytes()).unwrap();
    let out = Command::new("openssl")
        .args(["enc", "-aes-256-ecb", "-K", &key_hex, "-base64", "-A", "-in"])
        .arg(&file.0)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&file.0);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let req_info = String::from_utf8(out.stdout).unwrap();
    let decrypted = decrypt_req_info(&req_info, &key).unwrap();
    assert_eq!(std::str::from_utf8(&decrypted).unwrap(), plaintext);
    let fields = xml::read(&decrypted, "root").unwrap();
    assert_eq!(fields[2], ("refund_status".into(), "SUCCESS".into()));
    // Another key, altered or cut data, not base64: a decrypt error that quotes nothing.
    let other = ApiV2Key::new("00000000000000000000000000000000").unwrap();
    assert!(matches!(
        decrypt_req_info(&req_info, &other),
        Err(crate::Error::Decrypt(_))
    ));
    assert!(decrypt_req_info(&req_info[..req_info.len() - 8], &key).is_err());
    let e = decrypt_req_info("not base64!", &key).unwrap_err().to_string();
    assert!(e.contains("not base64") && !e.contains(key.as_str()), "{e}");
}

#[test]
fn results_are_typed() {
    assert_eq!(
        check_result(&[("return_code", "SUCCESS"), ("result_code", "SUCCESS")]),
        Ok(())
    );
    assert_eq!(check_result(&[("return_code", "SUCCESS")]), Ok(()));
    let e = check_result(&[("return_code", "FAIL"), ("return_msg", "签名错误")]).unwrap_err();
    assert_eq!(
        e,
        ResultError::Communication {
            return_code: "FAIL".into(),
            return_msg: "签名错误".into()
        }
    );
    assert!(!e.is_retryable());
    assert!(check_result::<&str, &str>(&[]).is_err(), "no return_code is no success");
    let e = check_result(&[
        ("return_code", "SUCCESS"),
        ("result_code", "FAIL"),
        ("err_code", "SYSTEMERROR"),
        ("err_code_des", "系统错误"),
    ])
    .unwrap_err();
    assert!(e.is_retryable());
    assert!(e.to_string().contains("SYSTEMERROR"));
    let e = check_result(&[
        ("return_code", "SUCCESS"),
        ("result_code", "FAIL"),
        ("err_code", "ORDERPAID"),
    ])
    .unwrap_err();
    assert!(!e.is_retryable());
}

#[test]
fn the_key_is_checked_and_never_shown() {
    assert!(ApiV2Key::new("short").is_err());
    assert!(ApiV2Key::new("0123456789012345678901234567890 ").is_err(), "a space");
    let key = ApiV2Key::new(DOC_KEY).unwrap();
    assert!(!format!("{key:?}").contains(DOC_KEY));
    let e = ApiV2Key::new("x".repeat(31)).unwrap_err().to_string();
    assert!(!e.contains("xxxx"), "{e}");
}

/// A payment notification as WeChat Pay sends one: CDATA fields, signed with `sign_type`.
fn payment_body(key: &ApiV2Key, sign_type: Option<SignType>, edit: impl Fn(&mut Vec<(String, String)>)) -> Vec<u8> {
    let mut fields: Vec<(String, String)> = [
        ("appid", "wx2421b1c4370ec43b"),
        ("mch_id", "10000100"),
        ("nonce_str", "5d2b6c2a8db53831f7eda20af46e531c"),
        ("openid", "oUpF8uMEb4qRXf22hE3X68TekukE"),
        ("out_trade_no", "1409811653"),
        ("result_code", "SUCCESS"),
        ("return_code", "SUCCESS"),
        ("total_fee", "101"),
        ("transaction_id", "1004400740201409030005092168"),
    ]
    .into_iter()
    .map(|(n, v)| (n.to_owned(), v.to_owned()))
    .collect();
    if let Some(t) = sign_type {
        fields.push(("sign_type".into(), t.as_str().into()));
    }
    let sign = sign(&fields, key, sign_type.unwrap_or_default());
    fields.push(("sign".into(), sign));
    edit(&mut fields);
    let written: Vec<xml::Field<'_>> = fields
        .iter()
        .map(|(n, v)| xml::Field {
            name: n,
            value: v,
            cdata: true,
        })
        .collect();
    xml::write("xml", &written).unwrap().into_bytes()
}

#[test]
fn payment_notifications_are_verified_before_they_are_read() {
    let key = ApiV2Key::new(DOC_KEY).unwrap();
    for sign_type in [None, Some(SignType::Md5), Some(SignType::HmacSha256)] {
        let fields = payment_notification(&payment_body(&key, sign_type, |_| {}), &key).unwrap();
        assert!(fields.contains(&("total_fee".into(), "101".into())), "{sign_type:?}");
        // Typed: the amount an integer, the payer's data out of `Debug`.
        let typed = payment_result(&payment_body(&key, sign_type, |_| {}), &key).unwrap();
        assert_eq!(typed.total_fee, Some(101));
        assert_eq!(typed.openid.as_deref(), Some("oUpF8uMEb4qRXf22hE3X68TekukE"));
        let shown = format!("{typed:?}");
        assert!(
            !shown.contains("oUpF8uMEb4qRXf22hE3X68TekukE") && !shown.contains("101"),
            "{shown}"
        );
    }
    let refused = |body: Vec<u8>| payment_notification(&body, &key).unwrap_err();
    // An amount changed after signing.
    let e = refused(payment_body(&key, None, |f| f[7].1 = "1".into()));
    assert!(
        matches!(
            e,
            NotificationError::Verification(VerificationError::BadSignature { .. })
        ),
        "{e}"
    );
    assert!(!e.to_string().contains("oUpF8uMEb4qRXf22hE3X68TekukE"), "{e}");
    // No sign, an unknown sign type, another key.
    let e = refused(payment_body(&key, None, |f| f.retain(|(n, _)| n != "sign")));
    assert!(matches!(
        e,
        NotificationError::Verification(VerificationError::MissingField("sign"))
    ));
    let e = refused(payment_body(&key, None, |f| {
        f.push(("sign_type".into(), "SHA1".into()))
    }));
    assert!(matches!(e, NotificationError::SignType(_)), "{e}");
    let other = ApiV2Key::new("00000000000000000000000000000000").unwrap();
    assert!(payment_notification(&payment_body(&key, None, |_| {}), &other).is_err());
    // A signed report of a failed payment is an authentic result, typed, not an error (refused,
    // WeChat Pay would send it again and again).
    let failed = payment_body(&key, None, |f| {
        f[5].1 = "FAIL".into();
        f.pop();
        f.push(("err_code".into(), "NOTENOUGH".into()));
        let s = sign(f, &key, SignType::Md5);
        f.push(("sign".into(), s));
    });
    let typed = payment_result(&failed, &key).unwrap();
    assert!(!typed.is_paid());
    assert_eq!(
        (typed.result_code.as_deref(), typed.err_code.as_deref()),
        (Some("FAIL"), Some("NOTENOUGH"))
    );
    assert!(payment_result(&payment_body(&key, None, |_| {}), &key)
        .unwrap()
        .is_paid());
    // Tampered after signing, the failure is still refused as forged.
    let mut forged = failed.clone();
    let at = forged.windows(9).position(|w| w == b"NOTENOUGH").unwrap();
    forged[at..at + 9].copy_from_slice(b"SYSTEMERR");
    assert!(matches!(refused(forged), NotificationError::Verification(_)));
    // Without return_code SUCCESS, the notification carries no result.
    let e = refused(payment_body(&key, None, |f| {
        f.retain(|(n, _)| n != "return_code" && n != "sign");
        let s = sign(f, &key, SignType::Md5);
        f.push(("sign".into(), s));
    }));
    assert!(
        matches!(e, NotificationError::Result(ResultError::Communication { .. })),
        "{e}"
    );
    assert!(matches!(refused(b"<xml><a>1</a>".to_vec()), NotificationError::Xml(_)));
}

#[test]
fn refund_notifications_are_decrypted_and_read() {
    let key = ApiV2Key::new("TESTONLYv2key0123456789abcdefABC").unwrap();
    let plaintext = "<root><out_refund_no><![CDATA[R-9]]></out_refund_no><refund_status><![CDATA[SUCCESS]]></refund_status><settlement_refund_fee><![CDATA[50]]></settlement_refund_fee></root>";
    let md5 = openssl_first_word(&["dgst", "-md5", "-r"], key.as_str().as_bytes()).unwrap();
    let key_hex: String = md5.bytes().map(|b| format!("{b:02x}")).collect();
    let (path, mut file) = tempfile_path("refund");
    file.write_all(plaintext.as_bytes()).unwrap();
    let out = Command::new("openssl")
        .args(["enc", "-aes-256-ecb", "-K", &key_hex, "-base64", "-A", "-in"])
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let req_info = String::from_utf8(out.stdout).unwrap();
    let body = |return_code: &str, req_info: &str| {
        format!(
            "<xml><return_code>{return_code}</return_code><appid><![CDATA[wx2421b1c4370ec43b]]></appid><mch_id><![CDATA[10000100]]></mch_id><nonce_str><![CDATA[TeqClE3i0mvn3DrK]]></nonce_str><req_info><![CDATA[{req_info}]]></req_info></xml>"
        )
        .into_bytes()
    };
    let fields = refund_notification(&body("SUCCESS", &req_info), &key).unwrap();
    assert_eq!(
        fields,
        vec![
            ("out_refund_no".into(), "R-9".into()),
            ("refund_status".into(), "SUCCESS".into()),
            ("settlement_refund_fee".into(), "50".into()),
        ]
    );
    let typed = refund_result(&body("SUCCESS", &req_info), &key).unwrap();
    assert_eq!(typed.out_refund_no.as_deref(), Some("R-9"));
    assert_eq!(typed.settlement_refund_fee, Some(50));
    assert!(!format!("{typed:?}").contains("R-9"));
    let other = ApiV2Key::new("00000000000000000000000000000000").unwrap();
    assert!(matches!(
        refund_notification(&body("SUCCESS", &req_info), &other),
        Err(NotificationError::Decrypt(_))
    ));
    assert!(matches!(
        refund_notification(&body("SUCCESS", ""), &key),
        Err(NotificationError::Verification(VerificationError::MissingField(
            "req_info"
        )))
    ));
    assert!(matches!(
        refund_notification(&body("FAIL", &req_info), &key),
        Err(NotificationError::Result(_))
    ));
}

#[test]
fn answers_are_the_xml_wechat_pay_expects() {
    assert_eq!(
        answer_success(),
        "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg></xml>"
    );
    let failure = answer_failure("a ]]> b");
    assert_eq!(
        xml::read(failure.as_bytes(), "xml").unwrap(),
        vec![
            ("return_code".into(), "FAIL".into()),
            ("return_msg".into(), "a ]]> b".into())
        ]
    );
    let fallback = answer_failure("bell \u{7}");
    assert!(fallback.contains("FAIL") && !fallback.contains('\u{7}'));
}

/// A signed notification body of `fields` (signed with `sign_type`, MD5 when `None`).
fn signed_body(key: &ApiV2Key, sign_type: Option<SignType>, pairs: &[(&str, &str)]) -> Vec<u8> {
    let mut fields: Vec<(String, String)> = pairs.iter().map(|(n, v)| (n.to_string(), v.to_string())).collect();
    if let Some(t) = sign_type {
        fields.push(("sign_type".into(), t.as_str().into()));
    }
    let signature = sign(&fields, key, sign_type.unwrap_or_default());
    fields.push(("sign".into(), signature));
    let written: Vec<xml::Field<'_>> = fields
        .iter()
        .map(|(n, v)| xml::Field {
            name: n,
            value: v,
            cdata: true,
        })
        .collect();
    xml::write("xml", &written).unwrap().into_bytes()
}

#[test]
fn the_other_signed_notification_pages_are_typed() {
    let key = ApiV2Key::new(DOC_KEY).unwrap();
    // A papay contract: no return_code on this page, MD5 by default; contract_state an integer.
    let body = signed_body(
        &key,
        None,
        &[
            ("mch_id", "10000100"),
            ("contract_code", "C-1"),
            ("plan_id", "12535"),
            ("openid", "oUpF8uMEb4qRXf22hE3X68TekukE"),
            ("change_type", "ADD"),
            ("operate_time", "2015-07-01 10:00:00"),
            ("contract_id", "Wx15463511252015071056489715"),
            ("request_serial", "1695"),
            ("contract_state", "0"),
        ],
    );
    let contract = contract_change(&body, &key).unwrap();
    assert_eq!(
        (contract.change_type.as_deref(), contract.contract_state),
        (Some("ADD"), Some(0))
    );
    assert!(!format!("{contract:?}").contains("oUpF8u"), "{contract:?}");
    let mut forged = body.clone();
    let at = forged.windows(3).position(|w| w == b"ADD").unwrap();
    forged[at..at + 3].copy_from_slice(b"DEL");
    assert!(matches!(
        contract_change(&forged, &key),
        Err(NotificationError::Verification(_))
    ));

    // A combined payment that failed: an authentic result, typed; its sub-orders JSON.
    let sub_orders = r#"{"order_num":1,"order_list":[{"sub_mch_id":"1900000109","total_fee":100}]}"#;
    let body = signed_body(
        &key,
        Some(SignType::HmacSha256),
        &[
            ("return_code", "SUCCESS"),
            ("combine_appid", "wx2421b1c4370ec43b"),
            ("combine_mch_id", "10000100"),
            ("nonce_str", "5d2b6c2a8db53831f7eda20af46e531c"),
            ("combine_out_trade_no", "CO-1"),
            ("trade_type", "JSAPI"),
            ("result_code", "FAIL"),
            ("err_code", "NOTENOUGH"),
            ("sub_order_list", sub_orders),
        ],
    );
    let combined = combine_payment_result(&body, &key).unwrap();
    assert!(!combined.is_paid());
    assert_eq!(combined.err_code.as_deref(), Some("NOTENOUGH"));
    assert_eq!(
        combined.sub_orders().unwrap().unwrap()["order_list"][0]["total_fee"],
        100
    );
    // return_code FAIL carries no result: refused.
    let body = signed_body(&key, None, &[("return_code", "FAIL"), ("return_msg", "busy")]);
    assert!(matches!(
        combine_payment_result(&body, &key),
        Err(NotificationError::Result(_))
    ));

    // A vehicle's state, and transactions at risk.
    let body = signed_body(
        &key,
        Some(SignType::HmacSha256),
        &[
            ("mch_id", "10000100"),
            ("appid", "wx2421b1c4370ec43b"),
            ("nonce_str", "n"),
            ("plate_number", "粤B888888"),
            ("vehicle_event_type", "VEHICLE_IN"),
        ],
    );
    let vehicle = vehicle_state_change(&body, &key).unwrap();
    assert_eq!(vehicle.plate_number.as_deref(), Some("粤B888888"));
    assert!(!format!("{vehicle:?}").contains("888888"));
    let body = signed_body(
        &key,
        None,
        &[
            ("return_code", "SUCCESS"),
            ("nonce_str", "n"),
            ("event_code", "E1"),
            ("risk_level", "HIGH"),
            ("risk_level_desc", "高"),
            ("mch_id", "1"),
            ("sub_mch_id", "2"),
            ("transaction_id_list", r#"["4200000000000000000000000001"]"#),
        ],
    );
    let risk = risk_transactions(&body, &key).unwrap();
    assert_eq!(risk.risk_level.as_deref(), Some("HIGH"));
    let other = ApiV2Key::new("00000000000000000000000000000000").unwrap();
    assert!(risk_transactions(&body, &other).is_err());
}
