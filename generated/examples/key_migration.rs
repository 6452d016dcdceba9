//! Platform certificate mode and public-key mode side by side, as during a migration.
//!
//! WeChat Pay signs its answers either with a platform certificate (the old way: certificates
//! from `GET /v3/certificates`, serial `5157F…`) or with a WeChat Pay public key (the new way: a
//! key downloaded from the merchant platform, id `PUB_KEY_ID_…`). When a merchant switches, the
//! platform starts signing with the public key: a client that knows only the certificates then
//! refuses the answers, one that knows both accepts either (the `Wechatpay-Serial` of an answer
//! names its key). So: configure both, switch on the merchant platform, later drop the
//! certificates.
//!
//! Configured from the environment (see `Client::from_env`) plus `WECHATPAY_PLATFORM_CERT`
//! (the PEM of a platform certificate, e.g. saved by `wechatpay certificates`).
//!
//! ```text
//! cargo run -p wechatpay-client --example key_migration -- OUT_TRADE_NO
//! ```

use std::process::ExitCode;

use wechatpay::v3::pay::transactions::out_trade_no::by_out_trade_no::GetRequest;
use wechatpay::{Client, ClientBuilder, Error};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out_trade_no] = args.as_slice() else {
        eprintln!("usage: key_migration OUT_TRADE_NO");
        return ExitCode::from(2);
    };
    match run(out_trade_no).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn var(name: &str) -> Result<String, String> {
    std::env::var(name).map_err(|_| format!("{name} is not set"))
}

/// The merchant half of a client, from the environment.
fn merchant() -> Result<ClientBuilder, Box<dyn std::error::Error>> {
    let mut builder = Client::builder()
        .mchid(var("WECHATPAY_MCHID")?)
        .merchant_serial(var("WECHATPAY_SERIAL")?)
        .private_key_file(var("WECHATPAY_PRIVATE_KEY")?);
    if let Ok(url) = std::env::var("WECHATPAY_BASE_URL") {
        builder = builder.base_url(url);
    }
    Ok(builder)
}

async fn run(out_trade_no: &str) -> Result<(), Box<dyn std::error::Error>> {
    let certificate = std::fs::read_to_string(var("WECHATPAY_PLATFORM_CERT")?)?;
    let public_key = std::fs::read_to_string(var("WECHATPAY_PUBLIC_KEY")?)?;
    let key_id = var("WECHATPAY_PUBLIC_KEY_ID")?;
    let modes = [
        (
            "platform certificate only",
            merchant()?.platform_certificate_pem(&certificate).build()?,
        ),
        (
            "public key only",
            merchant()?.wechatpay_public_key(&key_id, &public_key).build()?,
        ),
        (
            "both (migrating)",
            merchant()?
                .platform_certificate_pem(&certificate)
                .wechatpay_public_key(&key_id, &public_key)
                .build()?,
        ),
    ];
    for (mode, client) in &modes {
        let answer = client
            .v3()
            .pay()
            .transactions()
            .out_trade_no()
            .out_trade_no(out_trade_no)
            .get(&GetRequest::default()) // mchid: the client's
            .with_meta()
            .await;
        match answer {
            Ok(response) => {
                let serial = response.headers.get("wechatpay-serial").and_then(|v| v.to_str().ok());
                println!("{mode}: verified (signed by {})", serial.unwrap_or("?"));
            }
            Err(Error::Verification(why)) => println!("{mode}: refused ({why})"),
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}
