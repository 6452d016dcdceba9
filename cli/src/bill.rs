//! `wechatpay bill download DATE --out FILE`: the day's bill, its SHA-1 checked (see
//! [`download`]).
//!
//! `wechatpay bill read FILE|-`: a trade or fund-flow bill (its kind from its first column;
//! gzipped or not) as one JSON object per row,
//! amounts as integers (fen; fees in 10^-5 yuan), then `{"summary": …}`, checked against the
//! rows. A bill that is cut, malformed or does not add up is exit 1 with the file, line and
//! column.

use std::io::Read;

use serde_json::json;
use wechatpay::bill::{BillError, FundFlowBill, TradeBill};

use crate::args::{Args, Spec as ArgSpec};
use crate::{Failure, Outcome};

pub fn run(argv: Vec<String>) -> Outcome {
    match argv.first().map(String::as_str) {
        Some("read") => read(argv[1..].to_vec()),
        Some("download") => crate::runtime()?.block_on(download(argv[1..].to_vec())),
        Some(other) => Err(Failure::Usage(format!(
            "unknown bill command {other:?} (read, download)"
        ))),
        None => Err(Failure::Usage(
            "wechatpay bill read FILE|-, wechatpay bill download DATE --out FILE".into(),
        )),
    }
}

/// `wechatpay bill download DATE --out FILE [--fund-flow] [--type ALL|SUCCESS|REFUND|…]
/// [--account BASIC|OPERATION|FEES] [--gzip]`: applies for the day's trade (or fund-flow) bill,
/// downloads it (gzipped on the wire with `--gzip`, written decompressed), checks its SHA-1 and
/// writes it to `FILE` (through `FILE.part`, renamed only when the digest matches).
async fn download(argv: Vec<String>) -> Outcome {
    let args = Args::parse(
        argv,
        &ArgSpec {
            options: &["--out", "--type", "--account"],
            switches: &["--fund-flow", "--gzip"],
        },
    )?;
    args.expect_positionals(&["DATE"])?;
    let date = &args.positionals[0];
    let out = args
        .value("--out")
        .ok_or_else(|| Failure::Usage("missing --out FILE".into()))?;
    let client = crate::commands::client()?;
    let mut request = if args.switch("--fund-flow") {
        client
            .chain("v3/bill/fundflowbill")
            .request(wechatpay::Method::GET)
            .query("bill_date", date.as_str())
            .query("account_type", args.value("--account").unwrap_or("BASIC"))
    } else {
        client
            .chain("v3/bill/tradebill")
            .request(wechatpay::Method::GET)
            .query("bill_date", date.as_str())
            .query("bill_type", args.value("--type").unwrap_or("ALL"))
    };
    if args.switch("--gzip") {
        request = request.query("tar_type", "GZIP");
    }
    let answer: serde_json::Value = request.send_json().await.map_err(crate::commands::api_failure)?;
    let field = |name: &str| {
        answer[name]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| Failure::failed(format!("the answer has no {name}: {answer}")))
    };
    let (url, sha1) = (field("download_url")?, field("hash_value")?);
    let part = format!("{out}.part");
    let file = tokio::fs::File::create(&part)
        .await
        .map_err(|e| Failure::failed(format!("{part}: {e}")))?;
    match client.download_bill(&url, &sha1, args.switch("--gzip"), file).await {
        Ok(bytes) => {
            tokio::fs::rename(&part, out)
                .await
                .map_err(|e| Failure::failed(format!("{out}: {e}")))?;
            outln!("{out}: {bytes} bytes, SHA-1 {sha1} checked");
            Ok(())
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&part).await;
            Err(crate::commands::api_failure(e))
        }
    }
}

fn read(argv: Vec<String>) -> Outcome {
    let args = Args::parse(
        argv,
        &ArgSpec {
            options: &[],
            switches: &[],
        },
    )?;
    args.expect_positionals(&["FILE"])?;
    let name = &args.positionals[0];
    let input: Box<dyn Read> = if name == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(name).map_err(|e| Failure::failed(format!("{name}: {e}")))?)
    };
    let mut input = std::io::BufReader::new(input);
    // Gzip (`tar_type=GZIP`) is known by its first two bytes.
    let gzipped = std::io::BufRead::fill_buf(&mut input)
        .map_err(|e| Failure::failed(format!("{name}: {e}")))?
        .starts_with(&[0x1f, 0x8b]);
    let input: Box<dyn Read> = if gzipped {
        Box::new(flate2::read::GzDecoder::new(input))
    } else {
        Box::new(input)
    };
    // The bill's kind, from its first column.
    let mut input = std::io::BufReader::new(input);
    let head = std::io::BufRead::fill_buf(&mut input).map_err(|e| Failure::failed(format!("{name}: {e}")))?;
    let head = head.strip_prefix("\u{feff}".as_bytes()).unwrap_or(head);
    let failed = |e: BillError| Failure::failed(format!("{name}: {e}"));
    let no_summary = || Failure::failed(format!("{name}: no summary"));
    if head.starts_with("记账时间".as_bytes()) {
        let mut bill = FundFlowBill::new(input).map_err(failed)?;
        print_rows(bill.by_ref(), &failed)?;
        outln!("{}", json!({ "summary": bill.summary().ok_or_else(no_summary)? }));
    } else {
        let mut bill = TradeBill::new(input).map_err(failed)?;
        print_rows(bill.by_ref(), &failed)?;
        outln!("{}", json!({ "summary": bill.summary().ok_or_else(no_summary)? }));
    }
    Ok(())
}

/// Each row as one line of JSON.
fn print_rows<T: serde::Serialize>(
    rows: impl Iterator<Item = Result<T, BillError>>,
    failed: &dyn Fn(BillError) -> Failure,
) -> Outcome {
    for row in rows {
        let row = row.map_err(failed)?;
        outln!("{}", serde_json::to_string(&row).map_err(Failure::failed)?);
    }
    Ok(())
}
