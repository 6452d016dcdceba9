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

/// A notification made as WeChat Pay makes it (the fixture encrypted with the APIv3 key, the
/// envelope signed with the platform key), verified and decrypted by the client.
fn notified(file: &str, event_type: &str) -> (wechatpay::NotificationEvent, Value) {
    use wechatpay_sandbox::mock::ResponseKey;

    const APIV3_KEY: &str = "Wxp4yDNs9kT2vQ8rL6mB3cZ7hF1jG5aE";
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("payloads").join(file);
    let plaintext: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let n = wechatpay_sandbox::notify::make_notification(
        &ResponseKey::wechatpay_public_key(),
        APIV3_KEY,
        event_type,
        &plaintext,
    )
    .unwrap();
    let client = wechatpay_tests::builder().apiv3_key(APIV3_KEY).build().unwrap();
    let mut headers = wechatpay::runtime::HeaderMap::new();
    for (k, v) in &n.headers {
        headers.insert(
            reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    (
        client
            .handle_notification(&headers, &n.body)
            .expect("the notification verifies and decrypts"),
        plaintext,
    )
}

/// Every real-shaped notification resource is typed by its event type, losslessly, and the
/// enums are the query's own types.
#[test]
fn notification_resources_are_typed_by_event_type() {
    use wechatpay::notifications::Resource;
    use wechatpay::types::TransactionTradeState;

    let (event, plain) = notified("pay_direct_notify.json", "TRANSACTION.SUCCESS");
    let Resource::Transaction(tx) = Resource::decode(&event).unwrap() else {
        panic!("direct payment")
    };
    assert_eq!(tx.trade_state, Some(TransactionTradeState::Success));
    lossless(&*tx, &plain, "pay_direct_notify.json");

    let (event, plain) = notified("pay_partner_notify.json", "TRANSACTION.SUCCESS");
    let Resource::PartnerTransaction(tx) = Resource::decode(&event).unwrap() else {
        panic!("partner payment")
    };
    assert_eq!(tx.trade_state, Some(TransactionTradeState::Success));
    lossless(&*tx, &plain, "pay_partner_notify.json");

    let (event, plain) = notified("combine_notify.json", "TRANSACTION.SUCCESS");
    let Resource::CombineTransaction(tx) = Resource::decode(&event).unwrap() else {
        panic!("combined payment")
    };
    lossless(&*tx, &plain, "combine_notify.json");

    let (event, plain) = notified("refund_notify.json", "REFUND.SUCCESS");
    let Resource::Refund(r) = Resource::decode(&event).unwrap() else {
        panic!("refund")
    };
    assert_eq!(r.amount.as_ref().and_then(|a| a.refund), Some(999));
    lossless(&*r, &plain, "refund_notify.json");

    let (event, plain) = notified("profitsharing_notify.json", "PROFITSHARING.SUCCESS");
    let Resource::ProfitSharing(p) = Resource::decode(&event).unwrap() else {
        panic!("profit sharing")
    };
    assert_eq!(p.receiver.as_ref().and_then(|r| r.amount), Some(888));
    lossless(&*p, &plain, "profitsharing_notify.json");
    // The same, announced as TRANSACTION.SUCCESS (the facts say a profit sharing may be): still
    // a profit sharing, never taken for a payment.
    let (event, _) = notified("profitsharing_notify.json", "TRANSACTION.SUCCESS");
    assert!(matches!(Resource::decode(&event).unwrap(), Resource::ProfitSharing(_)));

    let (event, plain) = notified("transfer_bills_notify.json", "MCHTRANSFER.BILL.FINISHED");
    let Resource::TransferBill(b) = Resource::decode(&event).unwrap() else {
        panic!("transfer bill")
    };
    lossless(&*b, &plain, "transfer_bills_notify.json");

    // The envelope as WeChat Pay posts it (tests/payloads/README.md: its ciphertext is
    // pay_direct_notify.json under the test APIv3 key).
    let envelope: wechatpay::Notification = decode_envelope("notify_envelope.json");
    let key = wechatpay::ApiV3Key::new("Wxp4yDNs9kT2vQ8rL6mB3cZ7hF1jG5aE").unwrap();
    let plain: Value = serde_json::from_slice(&envelope.resource.decrypt(&key).unwrap()).unwrap();
    let direct: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("payloads/pay_direct_notify.json"))
            .unwrap(),
    )
    .unwrap();
    assert_eq!(plain, direct);
}

fn decode_envelope(file: &str) -> wechatpay::Notification {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("payloads").join(file);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// The typed resource serialises back to the decrypted JSON.
fn lossless<T: Serialize>(resource: &T, plain: &Value, file: &str) {
    assert_eq!(
        &serde_json::to_value(resource).unwrap(),
        plain,
        "{file} does not round-trip"
    );
}
