//! A refund and its query: `POST /v3/refund/domestic/refunds`, then
//! `GET /v3/refund/domestic/refunds/{out_refund_no}` until it is no longer processing.
//!
//! Configured from the environment (see `Client::from_env`). The refund is idempotent on
//! `out_refund_no`: sending the same request again (a retry after a timeout) refunds once.
//!
//! ```text
//! cargo run -p wechatpay-client --example refund -- OUT_TRADE_NO OUT_REFUND_NO REFUND_FEN TOTAL_FEN
//! ```

use std::process::ExitCode;
use std::time::Duration;

use wechatpay::v3::refund::domestic::refunds::{self, by_out_refund_no};

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [out_trade_no, out_refund_no, refund, total] = args.as_slice() else {
        eprintln!("usage: refund OUT_TRADE_NO OUT_REFUND_NO REFUND_FEN TOTAL_FEN");
        return ExitCode::from(2);
    };
    let (Ok(refund), Ok(total)) = (refund.parse::<i64>(), total.parse::<i64>()) else {
        eprintln!("error: REFUND_FEN and TOTAL_FEN are integers (fen)");
        return ExitCode::from(2);
    };
    match run(out_trade_no, out_refund_no, refund, total).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(
    out_trade_no: &str,
    out_refund_no: &str,
    refund: i64,
    total: i64,
) -> Result<(), Box<dyn std::error::Error>> {
    let client = wechatpay::Client::from_env()?;
    // Amounts by name: `refund` and `total` cannot be swapped unseen.
    let amount = refunds::PostRequestAmount::new(refunds::PostRequestAmountRequired {
        refund,
        total,
        currency: "CNY".into(),
    });
    let request = refunds::PostRequest::new(refunds::PostRequestRequired {
        out_refund_no: out_refund_no.into(),
        amount,
    })
    .with(|r| {
        r.out_trade_no = Some(out_trade_no.into());
        r.reason = Some("example refund".into());
    });
    // Safe to retry: the same body again refunds once.
    let created = client
        .v3()
        .refund()
        .domestic()
        .refunds()
        .post(&request)
        .retries(2)
        .await?;
    println!("refund {} created: {:?}", created.out_refund_no, created.status);
    // The outcome comes by notification (REFUND.SUCCESS …) or by querying.
    for _ in 0..5 {
        let queried = client
            .v3()
            .refund()
            .domestic()
            .refunds()
            .out_refund_no(out_refund_no)
            .get(&by_out_refund_no::GetRequest::default())
            .await?;
        println!("refund {} is {:?}", queried.out_refund_no, queried.status);
        if queried.status != Some(by_out_refund_no::GetResponseStatus::Processing) {
            break;
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(())
}
