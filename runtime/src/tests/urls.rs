//! URL building.

use super::*;

fn url_of(parts: Parts) -> String {
    let c = client();
    sign_request(&c.inner, parts, TS, NONCE)
        .unwrap()
        .request
        .url()
        .as_str()
        .to_owned()
}

#[test]
fn path_params_are_percent_encoded_once() {
    let c = client();
    let route = Route::new(&c)
        .push("v3")
        .push("pay")
        .push("out-trade-no")
        .push_param("p", &"a/b c");
    assert_eq!(route.path(), "/v3/pay/out-trade-no/a%2Fb%20c");
    let route = Route::new(&c)
        .push("x")
        .push_param("p", &"100%")
        .push_param("p", &"%41");
    assert_eq!(route.path(), "/x/100%25/%2541");
    let route = Route::new(&c)
        .push("x")
        .push_param("p", &"AbC-._~09")
        .push_param("p", &"订单?#&=+")
        .push_param("p", &42u64);
    assert_eq!(route.path(), "/x/AbC-._~09/%E8%AE%A2%E5%8D%95%3F%23%26%3D%2B/42");
    // The wire URL keeps the encoding exactly (no double encoding, no decoding).
    let parts = Route::new(&c)
        .push("v3")
        .push_param("p", &"a/b c%2F")
        .request(Method::GET)
        .into_parts();
    assert_eq!(url_of(parts), "http://127.0.0.1:9/v3/a%2Fb%20c%252F");
}

#[test]
fn the_template_names_the_placeholders_never_their_values() {
    let c = client();
    let route = Route::new(&c)
        .push("v3")
        .push("pay")
        .push("transactions")
        .push("out-trade-no")
        .push_param("out_trade_no", &"T-secret 1")
        .push("close");
    assert_eq!(
        route.template(),
        "/v3/pay/transactions/out-trade-no/{out_trade_no}/close"
    );
    let parts = route.request(Method::POST).into_parts();
    assert_eq!(
        parts.operation,
        "/v3/pay/transactions/out-trade-no/{out_trade_no}/close"
    );
    // An untyped path is its own template, without its query.
    let parts = c.chain("v3/x/1?a=2").request(Method::GET).into_parts();
    assert_eq!((parts.operation.as_str(), parts.query.as_str()), ("/v3/x/1", "?a=2"));
}

#[test]
fn dot_and_empty_path_params_are_rejected() {
    let c = client();
    for bad in ["", ".", ".."] {
        let parts = Route::new(&c)
            .push("v3")
            .push_param("p", &bad)
            .push("x")
            .request(Method::GET)
            .into_parts();
        match sign_request(&c.inner, parts, TS, NONCE) {
            Err(Error::InvalidRequest(e)) => {
                assert!(e.message.contains("path parameter"), "{e}");
                assert_eq!(e.problem, crate::RequestProblem::Malformed);
            }
            Err(other) => panic!("{bad:?}: {other:?}"),
            Ok(_) => panic!("{bad:?} accepted"),
        }
    }
    // A dot inside a value is fine.
    let parts = Route::new(&c)
        .push("v3")
        .push_param("p", &"a.b")
        .request(Method::GET)
        .into_parts();
    assert_eq!(url_of(parts), "http://127.0.0.1:9/v3/a.b");
}

#[test]
fn query_is_encoded_in_call_order() {
    let c = client();
    let parts = Route::new(&c)
        .push("v3")
        .request(Method::GET)
        .query("mchid", "1900000001")
        .query_opt::<String>("skipped", None)
        .query("q", "x y&z=1/2%")
        .query_opt("limit", Some(&10))
        .query("flag", &true)
        .into_parts();
    let url = url_of(parts);
    assert_eq!(
        url,
        "http://127.0.0.1:9/v3?mchid=1900000001&q=x%20y%26z%3D1%2F2%25&limit=10&flag=true"
    );
}

#[test]
fn invalid_headers_and_encode_errors_surface_when_the_call_runs() {
    let c = client();
    let parts = c
        .chain("/v3/x")
        .request(Method::POST)
        .header("Bad Header", "v")
        .into_parts();
    assert!(matches!(
        sign_request(&c.inner, parts, TS, NONCE),
        Err(Error::InvalidRequest(_))
    ));
    let parts = c
        .chain("/v3/x")
        .request(Method::POST)
        .header("X-Ok", "line\nbreak")
        .into_parts();
    assert!(matches!(
        sign_request(&c.inner, parts, TS, NONCE),
        Err(Error::InvalidRequest(_))
    ));
    // A map with non-string keys cannot be JSON.
    let mut map = std::collections::BTreeMap::new();
    map.insert(vec![1u8], 1);
    let parts = c.chain("/v3/x").request(Method::POST).json(&map).into_parts();
    assert!(matches!(
        sign_request(&c.inner, parts, TS, NONCE),
        Err(Error::Encode(_))
    ));
    // Custom headers are sent (names case-insensitive).
    let parts = c
        .chain("v3/x")
        .request(Method::POST)
        .header("Wechatpay-Serial", PUB_KEY_ID)
        .header_opt("X-Skipped", None)
        .into_parts();
    let signed = sign_request(&c.inner, parts, TS, NONCE).unwrap();
    assert_eq!(signed.request.headers()["wechatpay-serial"], PUB_KEY_ID);
    assert!(signed.request.headers().get("x-skipped").is_none());
}
