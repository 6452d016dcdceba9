//! The trade bill of a day: `GET /v3/bill/tradebill` for its `download_url` and SHA-1, then the
//! file streamed to disk, its SHA-1 checked at the end. It is written to `FILE.part` and renamed
//! to `FILE` only when the digest matches, so a bad or cut download never passes for the bill.
//!
//! Configured from the environment (see `Client::from_env`).
//!
//! ```text
//! cargo run -p wechatpay-client --features bill --example bill_download -- 2026-11-30 bill.csv
//! ```

use std::process::ExitCode;

use wechatpay::v3::bill::tradebill;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [date, file] = args.as_slice() else {
        eprintln!("usage: bill_download BILL_DATE(YYYY-MM-DD) FILE");
        return ExitCode::from(2);
    };
    match run(date, file).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(date: &str, file: &str) -> Result<(), Box<dyn std::error::Error>> {
    let client = wechatpay::Client::from_env()?;
    let bill = client
        .v3()
        .bill()
        .tradebill()
        .get(&tradebill::GetRequest::new(tradebill::GetRequestRequired {
            bill_date: date.into(),
        }))
        .await?;
    let url = bill.download_url.ok_or("the answer has no download_url")?;
    let sha1 = bill.hash_value.ok_or("the answer has no hash_value")?;
    let part = format!("{file}.part");
    let out = tokio::fs::File::create(&part).await?;
    // `false`: written as sent (a `tar_type=GZIP` bill could be gunzipped on the way with `true`).
    match client.download_bill(&url, &sha1, false, out).await {
        Ok(bytes) => {
            tokio::fs::rename(&part, file).await?;
            println!("{file}: {bytes} bytes, SHA-1 {sha1} checked");
            Ok(())
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&part).await;
            Err(e.into())
        }
    }
}
