//! `wechatpay bill read FILE|-`: a trade bill (gzipped or not) as one JSON object per row,
//! amounts as integers (fen; fees in 10^-5 yuan), then `{"summary": …}`, checked against the
//! rows. A bill that is cut, malformed or does not add up is exit 1 with the file, line and
//! column.

use std::io::Read;

use serde_json::json;
use wechatpay::bill::TradeBill;

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
    let failed = |e: wechatpay::bill::BillError| Failure::failed(format!("{name}: {e}"));
    let mut bill = TradeBill::new(input).map_err(failed)?;
    for row in bill.by_ref() {
        let row = row.map_err(failed)?;
        outln!("{}", serde_json::to_string(&row).map_err(Failure::failed)?);
    }
    let summary = bill
        .summary()
        .ok_or_else(|| Failure::failed(format!("{name}: no summary")))?;
    outln!("{}", json!({ "summary": summary }));
    Ok(())
}
