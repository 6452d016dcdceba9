//! The generated clients of the fixture specs, end to end against the loopback mock: naming
//! hazards (keyword segments, snake_case collisions, trailing slashes, keyword placeholders,
//! keyword fields) must still reach exactly the right URL with exactly the right JSON.

use serde_json::json;
use wechatpay_tests::fixtures::{hostile, nested};
use wechatpay_tests::mock::{MockConfig, MockServer, Reply};

fn inner(server: &MockServer) -> wechatpay::Client {
    wechatpay_tests::client(server)
}

#[tokio::test]
async fn hazardous_names_reach_the_right_urls() {
    let server = MockServer::start(MockConfig::default()).await;
    let client = hostile::Client(inner(&server));

    server.on("POST", "/v3/danger/coupons/use", Reply::no_content());
    client.v3().danger().coupons().use_().post().await.expect("use");
    assert_eq!(server.last_request().target, "/v3/danger/coupons/use");

    server.on("GET", "/v3/danger/try?type=a%20b", Reply::no_content());
    client
        .v3()
        .danger()
        .try_()
        .get(&hostile::v3::danger::try_::GetRequest::new(
            hostile::v3::danger::try_::GetRequestRequired { type_: "a b".into() },
        ))
        .await
        .expect("try");
    assert_eq!(server.last_request().target, "/v3/danger/try?type=a%20b");

    server.on("POST", "/v3/danger/delete", Reply::no_content());
    client.v3().danger().delete_().post().await.expect("delete segment");

    // Siblings that collide after snake_case go to their own URLs.
    server.on(
        "GET",
        "/v3/danger/policy_periods",
        Reply::json(200, json!({"count": 7})),
    );
    let r = client
        .v3()
        .danger()
        .policy_periods_()
        .get()
        .await
        .expect("underscore sibling");
    assert_eq!(r.count, 7);
    server.on(
        "GET",
        "/v3/danger/policy-periods/x%2Fy",
        Reply::json(200, json!({"periods": [1, 2]})),
    );
    let r = client
        .v3()
        .danger()
        .policy_periods()
        .type_("x/y")
        .get()
        .await
        .expect("hyphen sibling with a keyword placeholder");
    assert_eq!(r.periods, Some(vec![1, 2]));

    // A trailing-slash URL keeps its slash on the wire (and in the signature the mock checks).
    server.on("POST", "/v3/danger/coupons/", Reply::no_content());
    client
        .v3()
        .danger()
        .coupons()
        .slash()
        .post(&hostile::v3::danger::coupons::slash::PostRequest::new(
            hostile::v3::danger::coupons::slash::PostRequestRequired { name: "n".into() },
        ))
        .await
        .expect("trailing slash");
    let req = server.last_request();
    assert_eq!(req.target, "/v3/danger/coupons/");
    assert_eq!(req.auth, Ok(()));
}

#[tokio::test]
async fn keyword_and_odd_field_names_use_their_wire_names() {
    let server = MockServer::start(MockConfig::default()).await;
    let client = hostile::Client(inner(&server));
    server.on(
        "POST",
        "/v3/danger/return",
        Reply::json(200, json!({"value": {"type": "t", "self": "s"}, "String": "str"})),
    );
    use hostile::v3::danger::return_::{PostRequest, PostRequestRequired};
    let request = PostRequest::new(PostRequestRequired { type_: "T".into() }).with(|r| {
        r.self_ = Some("S".into());
        r.ref_ = Some(1);
        r.payer_currency = Some("CNY".into());
        r.pay_auth_no = Some("P".into());
        r.med_refund_gov_fee = Some(5);
        r.sign_type = Some(hostile::types::SignType::HmacHyphenSha256);
    });
    let r = client.v3().danger().return_().post(&request).await.expect("return");
    assert_eq!(
        server.last_request().body_json(),
        json!({"type": "T", "self": "S", "ref": 1, "payer _currency": "CNY", "payAuthNo": "P",
               "med_refund__gov_fee": 5, "sign_type": "HMAC-SHA256"})
    );
    assert_eq!(r.value.type_, "t");
    assert_eq!(r.value.self_.as_deref(), Some("s"));
    assert_eq!(r.string.as_deref(), Some("str"));
}

#[tokio::test]
async fn integer_path_parameters_non_object_bodies_and_202() {
    let server = MockServer::start(MockConfig::default()).await;
    let client = nested::Client(inner(&server));
    server.on("PATCH", "/v3/mall/orders/id/18446744073709551615", Reply::empty(202));
    client
        .v3()
        .mall()
        .orders()
        .id()
        .id(u64::MAX)
        .patch(&nested::v3::mall::orders::id::by_id::PatchRequest::new(
            nested::v3::mall::orders::id::by_id::PatchRequestRequired {
                body: vec!["a".into(), "b".into()],
            },
        ))
        .await
        .expect("patch");
    let req = server.last_request();
    assert_eq!(req.body_json(), json!(["a", "b"]));

    // Optional query parameters are left out when None, enums go as wire values.
    server.on(
        "GET",
        "/v3/mall/orders/out-order-no/A1?mchid=m&state=PAID",
        Reply::json(200, json!({"total": 1, "currency": "EUR"})),
    );
    let amount = client
        .v3()
        .mall()
        .orders()
        .out_order_no()
        .out_order_no("A1")
        .get(
            &nested::v3::mall::orders::out_order_no::by_out_order_no::GetRequest::default()
                .with(|r| r.mchid = Some("m".into()))
                .with(|r| r.state = Some(nested::types::OrderState::Paid)),
        )
        .await
        .expect("get");
    assert_eq!(amount.total, 1);
    assert_eq!(
        amount.currency.as_ref().map(|c| c.as_str()),
        Some("EUR"),
        "an unknown enum value is kept"
    );
    assert!(matches!(amount.currency, Some(nested::types::Currency::Unknown(_))));
}

#[tokio::test]
async fn routes_that_differ_only_by_placeholder_name_are_both_reachable() {
    let server = MockServer::start(MockConfig::default()).await;
    let client = hostile::Client(inner(&server));
    server.on("POST", "/v3/danger/applyment/42/cancel", Reply::no_content());
    client
        .v3()
        .danger()
        .applyment()
        .applyment_id(42)
        .cancel()
        .post(
            &hostile::v3::danger::applyment::by_applyment_id::cancel::PostRequest::default()
                .with(|r| r.amount = Some(5)),
        )
        .await
        .expect("by applyment_id");
    assert_eq!(server.last_request().body_json(), json!({"amount": 5}));

    server.on("POST", "/v3/danger/applyment/B%2042/cancel", Reply::no_content());
    use hostile::v3::danger::applyment::by_business_code::cancel;
    client
        .v3()
        .danger()
        .applyment()
        .business_code("B 42")
        .cancel()
        .post(&cancel::PostRequest::default().with(|r| {
            r.amount = Some(cancel::PostRequestAmount::new(cancel::PostRequestAmountRequired {
                total: 7,
            }))
        }))
        .await
        .expect("by business_code");
    // The same field name is an integer on one route and an object on the other.
    assert_eq!(server.last_request().body_json(), json!({"amount": {"total": 7}}));
}

#[tokio::test]
async fn a_shared_shape_has_a_neutral_name_and_works_like_its_own_type() {
    use nested::v3::mall::orders::out_order_no::by_out_order_no as put;
    let server = MockServer::start(MockConfig::default()).await;
    let client = nested::Client(inner(&server));
    server.on(
        "PUT",
        "/v3/mall/orders/out-order-no/A1",
        Reply::json(200, json!({"order_id": "o1", "state": "PAID", "items": [{"sku": "s"}]})),
    );
    // Built through the alias names, as for any other type.
    let buyer = put::PutRequestBuyer::new(put::PutRequestBuyerRequired { openid: "oid".into() }).with(|b| {
        b.address = Some(put::PutRequestBuyerAddress::new(put::PutRequestBuyerAddressRequired {
            lines: vec!["l1".into()],
        }))
    });
    // Both operations' names are aliases of one neutral type in the group's `models`, and that
    // is the name `Debug` (and rustdoc) shows, never another operation's.
    let same: &nested::v3::mall::orders::PostRequestBuyer = &buyer;
    assert_eq!(same.openid, "oid");
    let shared: &nested::v3::mall::models::Buyer = &buyer;
    assert!(format!("{shared:?}").starts_with("Buyer {"), "{shared:?}");
    let r: put::PutResponse = client
        .v3()
        .mall()
        .orders()
        .out_order_no()
        .out_order_no("A1")
        .put(&put::PutRequest::new(put::PutRequestRequired { buyer }).with(|r| r.note = Some("n".into())))
        .await
        .expect("put");
    assert_eq!(
        server.last_request().body_json(),
        json!({"buyer": {"openid": "oid", "address": {"lines": ["l1"]}}, "note": "n"})
    );
    assert_eq!(r.order_id, "o1");
    assert_eq!(r.items[0].sku, "s");
    assert!(matches!(r.state, nested::types::OrderState::Paid));
}

/// The code a merchant wrote against `evolving_before`, compiled unchanged against
/// `evolving_after`, where WeChat Pay added optional fields (to the request, to an object in
/// it, to the response) and an enum value: generated structs are `#[non_exhaustive]` and built
/// from their required fields by name, enums keep unknown values and are matched with a
/// wildcard, so a spec update that adds optional things breaks no caller.
macro_rules! caller_code {
    ($api:path, $client:path) => {{
        use $api as orders;
        let request = orders::PostRequest::new(orders::PostRequestRequired {
            appid: "wx8888888888888888".into(),
            total: 100,
            payer: orders::PostRequestPayer::new(orders::PostRequestPayerRequired { openid: "o".into() }),
        })
        .with(|r| r.attach = Some("a".into()));
        let server = MockServer::start(MockConfig::default()).await;
        server.on(
            "POST",
            "/v3/shop/orders",
            Reply::json(200, json!({"order_id": "O1", "state": "REFUND", "success_time": "t"})),
        );
        let client = $client(wechatpay_tests::client(&server));
        let answer = client.v3().shop().orders().post(&request).await.expect("decodes");
        let state = match &answer.state {
            Some(orders::PostResponseState::Notpay) => "not paid",
            Some(orders::PostResponseState::Success) => "paid",
            Some(_) => "other",
            None => "none",
        };
        assert_eq!((answer.order_id.as_str(), state), ("O1", "other"));
        assert_eq!(server.last_request().body_json(), json!({"appid": "wx8888888888888888", "total": 100, "payer": {"openid": "o"}, "attach": "a"}));
    }};
}

#[tokio::test]
async fn a_spec_update_that_adds_optional_fields_breaks_no_caller() {
    caller_code!(
        wechatpay_tests::fixtures::evolving_before::v3::shop::orders,
        wechatpay_tests::fixtures::evolving_before::Client
    );
    caller_code!(
        wechatpay_tests::fixtures::evolving_after::v3::shop::orders,
        wechatpay_tests::fixtures::evolving_after::Client
    );
}
