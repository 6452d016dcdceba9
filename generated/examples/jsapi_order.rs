//! A JSAPI (mini-program / Official Account) order: `POST /v3/pay/transactions/jsapi` for a
//! `prepay_id`, then the pay-sign fields the front end passes to `wx.requestPayment` (or
//! `WeixinJSBridge.invoke('getBrandWCPayRequest', …)`), signed with the merchant key.
//!
//! Configured from the environment (`Client::from_env`: `WECHATPAY_MCHID`, `WECHATPAY_SERIAL`,
//! `WECHATPAY_PRIVATE_KEY`, `WECHATPAY_PUBLIC_KEY`, `WECHATPAY_PUBLIC_KEY_ID`, optional
//! `WECHATPAY_BASE_URL`) plus `WECHATPAY_APPID` and `WECHATPAY_NOTIFY_URL`.
//!
//! ```text
//! cargo run -p wechatpay-client --example jsapi_order -- OUT_TRADE_NO TOTAL_FEN OPENID
//! ```

use std::process::ExitCode;

use wechatpay::v3::pay::transactions::jsapi::{
    PostRequest, PostRequestAmount, PostRequestAmountRequired, PostRequestPayer, PostRequestPayerRequired,
    PostRequestRequired,
};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out_trade_no, total, openid] = args.as_slice() else {
        eprintln!("usage: jsapi_order OUT_TRADE_NO TOTAL_FEN OPENID");
        return ExitCode::from(2);
    };
    // Money is an integer number of fen (分): 1 CNY is 100.
    let Ok(total) = total.parse::<i64>() else {
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

async fn run(out_trade_no: &str, total: i64, openid: &str) -> Result<(), Box<dyn std::error::Error>> {
    let appid = std::env::var("WECHATPAY_APPID").map_err(|_| "WECHATPAY_APPID is not set")?;
    let notify_url = std::env::var("WECHATPAY_NOTIFY_URL").map_err(|_| "WECHATPAY_NOTIFY_URL is not set")?;
    let client = wechatpay::Client::from_env()?;
    // Every field by name: the required ones in `PostRequestRequired` (leave one out and it
    // does not compile), the optional ones set afterwards with `with`. `mchid` is left out: the
    // client fills in the merchant id it was configured with.
    let order = PostRequest::new(PostRequestRequired {
        appid,
        description: "Example goods".into(),
        out_trade_no: out_trade_no.into(),
        notify_url,
        amount: PostRequestAmount::new(PostRequestAmountRequired { total }).with(|a| a.currency = Some("CNY".into())),
        payer: PostRequestPayer::new(PostRequestPayerRequired { openid: openid.into() }),
    })
    .with(|o| o.attach = Some("example".into()));
    let answer = client.v3().pay().transactions().jsapi().post(&order).await?;
    // `prepay_id` is the answer's one value: always there when the call succeeds.
    // What the front end needs: appId, timeStamp, nonceStr, package, signType, paySign.
    let params = client.jsapi_pay_params(&order.appid, &answer.prepay_id)?;
    println!("{}", serde_json::to_string_pretty(&params)?);
    Ok(())
}
