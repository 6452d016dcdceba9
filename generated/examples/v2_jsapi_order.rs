//! An APIv2 JSAPI order, as shops still on `pay/unifiedorder` make them: `POST
//! /pay/unifiedorder` (XML, signed with the APIv2 key) for a `prepay_id`, then the pay-sign
//! fields the front end passes to `WeixinJSBridge.invoke('getBrandWCPayRequest', …)`, signed
//! with the APIv2 key (MD5), then `POST /pay/orderquery` for the order's state.
//!
//! Configured from the environment (`ClientBuilder::from_env`, feature `v2`: the APIv3
//! variables plus `WECHATPAY_APIV2_KEY`) and `WECHATPAY_APPID`, `WECHATPAY_NOTIFY_URL`.
//!
//! ```text
//! cargo run -p wechatpay-client --features v2 --example v2_jsapi_order -- OUT_TRADE_NO TOTAL_FEN OPENID
//! ```

use std::process::ExitCode;

use wechatpay::runtime::v2::{ResultError, SignType};
use wechatpay::v2::pay::{orderquery, unifiedorder};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out_trade_no, total, openid] = args.as_slice() else {
        eprintln!("usage: v2_jsapi_order OUT_TRADE_NO TOTAL_FEN OPENID");
        return ExitCode::from(2);
    };
    // Money is an integer number of fen (分): 1 CNY is 100.
    let Ok(total) = total.parse::<i32>() else {
        eprintln!("error: TOTAL_FEN must be an integer (fen), got {total:?}");
        return ExitCode::from(2);
    };
    match run(out_trade_no, total, openid).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(out_trade_no: &str, total: i32, openid: &str) -> Result<(), Box<dyn std::error::Error>> {
    let notify_url = std::env::var("WECHATPAY_NOTIFY_URL").map_err(|_| "WECHATPAY_NOTIFY_URL is not set")?;
    // WECHATPAY_APPID gives the client its APPID: it fills in `appid` as it fills in `mch_id`.
    let client = wechatpay::ClientBuilder::from_env()?.build()?;
    let appid = client.appid().ok_or("WECHATPAY_APPID is not set")?.to_owned();
    let order = unifiedorder::PostRequest::new(unifiedorder::PostRequestRequired {
        body: "example order".into(),
        out_trade_no: out_trade_no.into(),
        total_fee: total,
        spbill_create_ip: "127.0.0.1".into(),
        notify_url,
        trade_type: "JSAPI".into(),
    })
    .with(|o| o.openid = Some(openid.into()));
    // Safe to retry: the same out_trade_no is one order.
    let placed = match client.v2().pay().unifiedorder().post(&order).retries(2).await {
        Ok(placed) => placed,
        // A business failure the platform signed: its code says what to do.
        Err(wechatpay::Error::ApiV2(ResultError::Business { err_code, err_code_des })) => {
            return Err(format!("the order was refused: {err_code} ({err_code_des})").into());
        }
        Err(e) => return Err(e.into()),
    };
    let prepay_id = placed.prepay_id.ok_or("the answer has no prepay_id")?;
    let params = client.jsapi_pay_params_v2(&appid, &prepay_id, SignType::Md5)?;
    println!("{}", serde_json::to_string(&params)?);
    // The outcome comes by notification (runtime::v2::payment_result) or by querying.
    let query = orderquery::PostRequest::default().with(|q| q.out_trade_no = Some(out_trade_no.into()));
    let state = client.v2().pay().orderquery().post(&query).await?;
    eprintln!("order {out_trade_no}: {:?}", state.trade_state);
    Ok(())
}
