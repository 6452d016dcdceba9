//! Real-shaped payloads (`tests/payloads/`, shaped as the official documentation's
//! examples and real captures: see its README) decode through the public API, losslessly: a
//! successful answer to "did the user pay?" must always decode, whatever fields it leaves out.

use std::path::Path;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

/// Decodes the fixture into `T`, checks that encoding it again gives the same JSON (no field
/// dropped, none added, integers stay integers) and returns it.
fn decode<T: DeserializeOwned + Serialize>(file: &str) -> T {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("payloads").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let value: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file} does not decode: {e}"));
    let again: Value = serde_json::to_value(&value).unwrap();
    let original: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(again, original, "{file} does not round-trip");
    value
}

#[test]
fn direct_payment_query_paid_and_unpaid() {
    use wechatpay::types::TransactionTradeState;
    use wechatpay::v3::pay::transactions::out_trade_no::by_out_trade_no::GetResponse;
    let paid: GetResponse = decode("pay_direct_query.json");
    assert_eq!(paid.trade_state, Some(TransactionTradeState::Success));
    assert_eq!(paid.amount.as_ref().and_then(|a| a.payer_total), Some(1));
    let unpaid: GetResponse = decode("pay_direct_query_notpay.json");
    assert_eq!(unpaid.trade_state, Some(TransactionTradeState::Notpay));
    assert_eq!(unpaid.transaction_id, None);
    assert_eq!(unpaid.amount.as_ref().and_then(|a| a.payer_total), None);
    assert_eq!(unpaid.out_trade_no, "1217752501201407033233368018");
}

#[test]
fn partner_payment_query() {
    use wechatpay::v3::pay::partner::transactions::out_trade_no::by_out_trade_no::GetResponse;
    let tx: GetResponse = decode("pay_partner_query.json");
    assert_eq!(tx.sub_mchid, "1900000109");
    assert!(tx.payer.as_ref().and_then(|p| p.sp_openid.as_ref()).is_some());
}

#[test]
fn refund_create_and_query() {
    use wechatpay::v3::refund::domestic::refunds;
    let created: refunds::PostResponse = decode("refund_create.json");
    assert_eq!(created.amount.refund, Some(100)); // `amount` is echoed from the request
    let queried: refunds::by_out_refund_no::GetResponse = decode("refund_query.json");
    assert!(queried.refund_id.is_some());
}

#[test]
fn combine_payment_query() {
    use wechatpay::v3::combine_transactions::out_trade_no::by_combine_out_trade_no::GetResponse;
    let tx: GetResponse = decode("combine_query.json");
    assert!(!tx.sub_orders.unwrap_or_default().is_empty());
}

#[test]
fn profit_sharing_order() {
    use wechatpay::v3::profitsharing::orders::PostResponse;
    let order: PostResponse = decode("profitsharing_order.json");
    assert!(!order.receivers.unwrap_or_default().is_empty());
}

#[test]
fn transfer_bills_create_and_query() {
    use wechatpay::v3::fund_app::mch_transfer::transfer_bills;
    let created: transfer_bills::PostResponse = decode("transfer_bills_create.json");
    assert!(created.transfer_bill_no.is_some());
    let queried: transfer_bills::out_bill_no::by_out_bill_no::GetResponse = decode("transfer_bills_query.json");
    assert_eq!(queried.transfer_amount, Some(400000));
}

/// Notification resources (decrypted) have the shape of the query of the same object.
#[test]
fn notification_resources_decode_as_their_query_responses() {
    use wechatpay::v3::pay::partner::transactions::out_trade_no::by_out_trade_no as partner;
    use wechatpay::v3::pay::transactions::out_trade_no::by_out_trade_no as direct;
    let tx: direct::GetResponse = decode("pay_direct_notify.json");
    assert!(tx.transaction_id.is_some());
    let tx: partner::GetResponse = decode("pay_partner_notify.json");
    assert!(tx.transaction_id.is_some());
    let _: wechatpay::v3::combine_transactions::out_trade_no::by_combine_out_trade_no::GetResponse =
        decode("combine_notify.json");
    let _: wechatpay::v3::fund_app::mch_transfer::transfer_bills::out_bill_no::by_out_bill_no::GetResponse =
        decode("transfer_bills_notify.json");
}
