//! End-to-end tests of the client against the loopback mock WeChat Pay server
//! (`wechatpay_tests::mock`), which checks every request as WeChat Pay does and signs every
//! response with the test platform keys.

use serde_json::json;
use wechatpay::runtime::{Method, VerificationError};
use wechatpay::types::{TransactionTradeState, TransactionTradeType};
use wechatpay::v3::offlineface::authinfo;
use wechatpay::v3::pay::transactions::out_trade_no::by_out_trade_no;
use wechatpay::{Client, Error};
use wechatpay_tests::mock::{
    auth, MockConfig, MockServer, RecordedRequest, Reply, ResponseKey, Tamper, UNKNOWN_SERIAL,
};
use wechatpay_tests::{client, keys, merchant};

mod answers;
mod calls;
mod requests;

const AUTHINFO: &str = "/v3/offlineface/authinfo";

/// A legacy client: the platform certificate configured, no WeChat Pay public key.
fn certificate_client(server: &MockServer) -> Client {
    merchant()
        .platform_certificate_pem(keys::PLATFORM_CERT_PEM)
        .base_url(server.base_url())
        .build()
        .unwrap()
}

fn authinfo_request() -> authinfo::PostRequest {
    authinfo::PostRequest::new(authinfo::PostRequestRequired {
        sp_appid: "wxd678efh567hg6787".into(),
        sub_mchid: "1900000109".into(),
        device_id: "11001".into(),
        raw_data: "E7n3m9vT4sS+Y6kZ/1uR==".into(),
        organization_id: "12345678".into(),
    })
}

fn transaction_json(trade_state: &str, trade_type: &str) -> serde_json::Value {
    json!({
        "appid": "wxd678efh567hg6787",
        "mchid": "1230000109",
        "out_trade_no": "1217752501201407033233368018",
        "transaction_id": "1217752501201407033233368018",
        "trade_type": trade_type,
        "trade_state": trade_state,
        "trade_state_desc": "支付成功",
        "bank_type": "CMC",
        "success_time": "2018-06-08T10:34:56+08:00",
        "description": "Image形象店-深圳腾大-QQ公仔",
        "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
        "amount": {"total": 100, "payer_total": 100, "currency": "CNY", "payer_currency": "CNY"},
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
        "a_field_the_spec_does_not_list": {"x": 1}
    })
}

/// Every request the client sends must have passed the mock's WeChat Pay checks, with the
/// documented header shape.
fn assert_well_signed(req: &RecordedRequest) {
    assert_eq!(req.auth, Ok(()), "the mock rejected {} {}", req.method, req.target);
    let a = req.authorization().expect("Authorization parses");
    assert_eq!(a.order(), auth::FIELDS.to_vec(), "field order");
    assert_eq!(a.get("mchid"), Some(keys::MCHID));
    assert_eq!(a.get("serial_no"), Some(keys::MERCHANT_SERIAL));
    assert_eq!(req.header("accept"), Some("application/json"));
    let ua = req.header("user-agent").expect("User-Agent");
    assert!(ua.starts_with("wechatpay-rust/"), "User-Agent {ua:?}");
}

async fn authinfo_with(server: &MockServer, reply: Reply) -> Result<authinfo::PostResponse, Error> {
    server.on("POST", AUTHINFO, reply);
    client(server)
        .v3()
        .offlineface()
        .authinfo()
        .post(&authinfo_request())
        .await
}

fn ok_reply() -> Reply {
    Reply::json(200, json!({"authinfo": "AUTHINFO"}))
}
