//! Decoding a large answer: a page of 100 transactions with promotion details (about 1 MB), as
//! the generated `GetResponse` of `GET /v3/pay/transactions/id/{transaction_id}` (the runtime's
//! `json_object!` impls), against `#[derive(Deserialize)]` structs of the same shape (the
//! floor), from the same bytes, interleaved.

use std::time::{Duration, Instant};

use serde::Deserialize;
use wechatpay::v3::pay::transactions::id::by_transaction_id::GetResponse;

/// The page: 100 transactions, each with 10 promotions of 8 goods.
pub fn page() -> Vec<u8> {
    let goods: Vec<serde_json::Value> = (0..8)
        .map(|g| {
            serde_json::json!({"goods_id": format!("M1006-{g}"), "quantity": 1 + g, "unit_price": 100 * g,
                "discount_amount": g, "goods_remark": "商品备注信息"})
        })
        .collect();
    let promotions: Vec<serde_json::Value> = (0..10)
        .map(|p| {
            serde_json::json!({"coupon_id": format!("109519{p}"), "name": "单品惠-6", "scope": "SINGLE",
                "type": "DISCOUNT", "amount": 100 + p, "stock_id": "931386", "wechatpay_contribute": 0,
                "merchant_contribute": 0, "other_contribute": 0, "currency": "CNY", "goods_detail": goods})
        })
        .collect();
    let page: Vec<serde_json::Value> = (0..100)
        .map(|t| {
            serde_json::json!({"transaction_id": format!("42000000012026010{t:013}"), "mchid": "1230000109",
                "appid": "wxd678efh567hg6787", "out_trade_no": format!("1217752501201407033233{t:06}"),
                "trade_type": "JSAPI", "trade_state": "SUCCESS", "trade_state_desc": "支付成功",
                "bank_type": "CMC", "attach": "自定义数据", "success_time": "2018-06-08T10:34:56+08:00",
                "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
                "amount": {"total": 100, "payer_total": 90, "currency": "CNY", "payer_currency": "CNY"},
                "scene_info": {"device_id": "013467007045764"}, "promotion_detail": promotions})
        })
        .collect();
    serde_json::to_vec(&page).expect("JSON")
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Transaction {
    transaction_id: String,
    trade_type: Option<String>,
    trade_state: Option<String>,
    trade_state_desc: Option<String>,
    bank_type: Option<String>,
    success_time: Option<String>,
    appid: Option<String>,
    mchid: String,
    description: Option<String>,
    attach: Option<String>,
    out_trade_no: Option<String>,
    amount: Option<Amount>,
    time_expire: Option<String>,
    notify_url: Option<String>,
    goods_tag: Option<String>,
    support_fapiao: Option<bool>,
    scene_info: Option<SceneInfo>,
    payer: Option<Payer>,
    promotion_detail: Option<Vec<Promotion>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Amount {
    total: Option<i64>,
    currency: Option<String>,
    payer_total: Option<i64>,
    payer_currency: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct SceneInfo {
    payer_client_ip: Option<String>,
    device_id: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Payer {
    openid: Option<String>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Promotion {
    coupon_id: Option<String>,
    name: Option<String>,
    scope: Option<String>,
    #[serde(rename = "type")]
    type_: Option<String>,
    amount: Option<i64>,
    stock_id: Option<String>,
    wechatpay_contribute: Option<i64>,
    merchant_contribute: Option<i64>,
    other_contribute: Option<i64>,
    currency: Option<String>,
    goods_detail: Option<Vec<Goods>>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Goods {
    goods_id: Option<String>,
    quantity: Option<i64>,
    unit_price: Option<i64>,
    discount_amount: Option<i64>,
    goods_remark: Option<String>,
}

/// One transaction decoded as the `#[derive(Deserialize)]` floor's struct (the notification
/// benchmark's second floor).
pub fn transaction_by_derive(json: &[u8]) {
    let tx: Transaction = serde_json::from_slice(json).expect("the floor decodes");
    std::hint::black_box(tx);
}

/// A notification's envelope as a `#[derive(Deserialize)]` struct: the floor of the client's
/// envelope parse.
#[derive(Deserialize)]
#[allow(dead_code)]
struct Envelope {
    id: String,
    create_time: String,
    event_type: String,
    resource_type: String,
    summary: String,
    resource: EnvelopeResource,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct EnvelopeResource {
    algorithm: String,
    ciphertext: String,
    nonce: String,
    associated_data: String,
    original_type: String,
}

/// A notification's envelope decoded as the `#[derive(Deserialize)]` floor's struct.
pub fn envelope_by_derive(json: &[u8]) {
    let envelope: Envelope = serde_json::from_slice(json).expect("the floor decodes");
    std::hint::black_box(envelope);
}

/// The best time of each of `rounds` interleaved decodes of `page`: (generated, derive).
pub fn race(page: &[u8], rounds: usize) -> (Duration, Duration) {
    let (mut generated, mut derived) = (Duration::MAX, Duration::MAX);
    for _ in 0..rounds {
        let t = Instant::now();
        let a: Vec<Transaction> = serde_json::from_slice(page).expect("the floor decodes");
        derived = derived.min(t.elapsed());
        std::hint::black_box(a);
        let t = Instant::now();
        let b: Vec<GetResponse> = serde_json::from_slice(page).expect("the generated type decodes");
        generated = generated.min(t.elapsed());
        assert_eq!(b.len(), 100);
        assert_eq!(b[99].promotion_detail.as_ref().map(Vec::len), Some(10));
        std::hint::black_box(b);
    }
    (generated, derived)
}
