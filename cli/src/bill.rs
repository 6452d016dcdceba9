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
        Some(other) => Err(Failure::Usage(format!("unknown bill command {other:?} (read)"))),
        None => Err(Failure::Usage("wechatpay bill read FILE|-".into())),
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
