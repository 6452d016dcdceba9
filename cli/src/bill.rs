//! `wechatpay bill download DATE --out FILE|--read`: the day's bill, its SHA-1 checked (see
//! [`download`]).
//!
//! `wechatpay bill reconcile BILL RECORDS.csv`: see [`reconcile`].
//!
//! `wechatpay bill read FILE|- [--plain]`: a trade or fund-flow bill (its kind from its first
//! column; another kind, or any with `--plain`, as (header, value) pairs; gzipped or not) as
//! one JSON object per row,
//! amounts as integers (fen; fees in 10^-5 yuan), then `{"summary": …}`, checked against the
//! rows. A bill that is cut, malformed or does not add up is exit 1 with the file, line and
//! column.

use std::io::{BufRead as _, BufReader, Read};

use serde_json::json;
use wechatpay::bill::reconcile::{Difference, Entry, Key, Reconciler, Record};
use wechatpay::bill::{Bill, BillError, BillStream, FundFlow, FundFlowBill, Layout, PlainBill, Trade, TradeBill};

use crate::args::{Args, Spec as ArgSpec};
use crate::{Failure, Outcome};

pub fn run(argv: Vec<String>) -> Outcome {
    match argv.first().map(String::as_str) {
        Some("read") => read(argv[1..].to_vec()),
        Some("download") => crate::runtime()?.block_on(download(argv[1..].to_vec())),
        Some("reconcile") => reconcile(argv[1..].to_vec()),
        Some(other) => Err(Failure::Usage(format!(
            "unknown bill command {other:?} (read, download, reconcile)"
        ))),
        None => Err(Failure::Usage(
            "wechatpay bill read FILE|-, wechatpay bill download DATE --out FILE|--read, wechatpay bill reconcile BILL RECORDS.csv".into(),
        )),
    }
}

/// `wechatpay bill download DATE (--out FILE | --read) [--fund-flow] [--sub-merchant SUB_MCHID]
/// [--type ALL|SUCCESS|REFUND|…] [--account BASIC|OPERATION|FEES] [--gzip]`: applies for the
/// day's trade (or fund-flow) bill, downloads it (gzipped on the wire with `--gzip`), checks its
/// SHA-1, and writes it to `FILE` decompressed (through `FILE.part`, renamed only when the
/// digest matches), or with `--read` prints its rows as they arrive, as `bill read` does (the
/// summary line comes last, and only when the bill added up and its digest matched; otherwise
/// exit 1). With `--sub-merchant`, a service provider's sub-merchant's encrypted fund-flow
/// bill: its parts downloaded, decrypted and checked, then written or read the same way.
async fn download(argv: Vec<String>) -> Outcome {
    let args = Args::parse(
        argv,
        &ArgSpec {
            options: &["--out", "--type", "--account", "--sub-merchant"],
            switches: &["--fund-flow", "--gzip", "--read"],
        },
    )?;
    args.expect_positionals(&["DATE"])?;
    let date = &args.positionals[0];
    let out = match (args.value("--out"), args.switch("--read")) {
        (Some(out), false) => Some(out),
        (None, true) => None,
        _ => return Err(Failure::Usage("give --out FILE or --read".into())),
    };
    let client = crate::commands::client()?;
    if let Some(sub_mchid) = args.value("--sub-merchant") {
        let account = args.value("--account").unwrap_or("BASIC");
        return sub_merchant_download(&client, date, sub_mchid, account, args.switch("--gzip"), out).await;
    }
    let fund_flow = args.switch("--fund-flow");
    let mut request = if fund_flow {
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
    let gzip = args.switch("--gzip");
    if gzip {
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
    match out {
        None if fund_flow => print_stream(client.download_bill_rows::<FundFlow>(&url, &sha1, gzip).await).await,
        None => print_stream(client.download_bill_rows::<Trade>(&url, &sha1, gzip).await).await,
        Some(out) => {
            let bytes = write_through_part(out, |file| client.download_bill(&url, &sha1, gzip, file)).await?;
            outln!("{out}: {bytes} bytes, SHA-1 {sha1} checked");
            Ok(())
        }
    }
}

/// A sub-merchant's encrypted fund-flow bill of `date`, written to `out` or its rows printed
/// (`download_encrypted_bill` releases each part only once AES-GCM authenticated it whole).
async fn sub_merchant_download(
    client: &wechatpay::Client,
    date: &str,
    sub_mchid: &str,
    account: &str,
    gzip: bool,
    out: Option<&str>,
) -> Outcome {
    let mut request = client
        .chain("v3/bill/sub-merchant-fundflowbill")
        .request(wechatpay::Method::GET)
        .query("sub_mchid", sub_mchid)
        .query("bill_date", date)
        .query("account_type", account)
        .query("algorithm", "AEAD_AES_256_GCM");
    if gzip {
        request = request.query("tar_type", "GZIP");
    }
    let answer: serde_json::Value = request.send_json().await.map_err(crate::commands::api_failure)?;
    let files = wechatpay::bill::EncryptedBillFile::list_of(&answer).map_err(crate::commands::api_failure)?;
    let Some(out) = out else {
        let mut plain = Vec::new();
        client
            .download_encrypted_bill(&files, gzip, &mut plain)
            .await
            .map_err(crate::commands::api_failure)?;
        let failed = |e: BillError| Failure::failed(format!("the sub-merchant's bill: {e}"));
        return print_bill(FundFlowBill::new(plain.as_slice()).map_err(failed)?, &failed);
    };
    let bytes = write_through_part(out, |file| client.download_encrypted_bill(&files, gzip, file)).await?;
    outln!(
        "{out}: {bytes} bytes from {} encrypted parts, each SHA-1 checked",
        files.len()
    );
    Ok(())
}

/// `out` written by `download` through `out.part`: renamed once the download succeeded (its
/// digests checked), removed when it failed; the bytes written.
async fn write_through_part<F, D>(out: &str, download: F) -> Result<u64, Failure>
where
    F: FnOnce(tokio::fs::File) -> D,
    D: std::future::Future<Output = Result<u64, wechatpay::Error>>,
{
    let part = format!("{out}.part");
    let file = tokio::fs::File::create(&part)
        .await
        .map_err(|e| Failure::failed(format!("{part}: {e}")))?;
    match download(file).await {
        Ok(bytes) => {
            tokio::fs::rename(&part, out)
                .await
                .map_err(|e| Failure::failed(format!("{out}: {e}")))?;
            Ok(bytes)
        }
        Err(e) => {
            let _ = tokio::fs::remove_file(&part).await;
            Err(crate::commands::api_failure(e))
        }
    }
}

/// The rows of a bill as it downloads, as JSON lines, then its summary.
async fn print_stream<L: Layout>(bill: Result<BillStream<L>, wechatpay::Error>) -> Outcome
where
    L::Row: serde::Serialize,
    L::Summary: serde::Serialize,
{
    let mut bill = bill.map_err(crate::commands::api_failure)?;
    while let Some(row) = bill.next().await {
        let row = row.map_err(crate::commands::api_failure)?;
        outln!("{}", serde_json::to_string(&row).map_err(Failure::failed)?);
    }
    let summary = bill.summary().ok_or_else(|| Failure::failed("no summary"))?;
    outln!("{}", json!({ "summary": summary }));
    Ok(())
}

fn read(argv: Vec<String>) -> Outcome {
    let args = Args::parse(
        argv,
        &ArgSpec {
            options: &[],
            switches: &["--plain"],
        },
    )?;
    args.expect_positionals(&["FILE"])?;
    let name = &args.positionals[0];
    let (input, kind) = open_bill(name)?;
    let kind = if args.switch("--plain") { Kind::Other } else { kind };
    let failed = |e: BillError| Failure::failed(format!("{name}: {e}"));
    match kind {
        Kind::FundFlow => print_bill(FundFlowBill::new(input).map_err(failed)?, &failed),
        Kind::Trade => print_bill(TradeBill::new(input).map_err(failed)?, &failed),
        Kind::Other => print_bill(PlainBill::new(input).map_err(failed)?, &failed),
    }
}

/// Each row as one line of JSON, then `{"summary": …}`.
fn print_bill<L: Layout, R: Read>(mut bill: Bill<L, R>, failed: &dyn Fn(BillError) -> Failure) -> Outcome
where
    L::Row: serde::Serialize,
    L::Summary: serde::Serialize,
{
    for row in bill.by_ref() {
        let row = row.map_err(failed)?;
        outln!("{}", serde_json::to_string(&row).map_err(Failure::failed)?);
    }
    let summary = bill.summary().ok_or_else(|| Failure::failed("no summary"))?;
    outln!("{}", json!({ "summary": summary }));
    Ok(())
}

/// What a bill is, from its first column.
enum Kind {
    /// 交易时间.
    Trade,
    /// 记账时间.
    FundFlow,
    /// Another: read by its header alone.
    Other,
}

/// The bill `name` (`-`: standard input), gunzipped when it is gzip (known by its first two
/// bytes), and its kind (from its first column).
fn open_bill(name: &str) -> Result<(Box<dyn Read>, Kind), Failure> {
    let failed = |e: std::io::Error| Failure::failed(format!("{name}: {e}"));
    let input: Box<dyn Read> = if name == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(std::fs::File::open(name).map_err(failed)?)
    };
    let mut input = BufReader::new(input);
    let head = input.fill_buf().map_err(failed)?;
    if !head.starts_with(&[0x1f, 0x8b]) {
        let kind = Kind::of(head);
        return Ok((Box::new(input), kind));
    }
    // Gzip (`tar_type=GZIP`), known by its first two bytes: the kind from what it unpacks to.
    let mut input = BufReader::new(flate2::read::GzDecoder::new(input));
    let kind = Kind::of(input.fill_buf().map_err(failed)?);
    Ok((Box::new(input), kind))
}

impl Kind {
    /// The kind of the bill whose first bytes are `head`.
    fn of(head: &[u8]) -> Kind {
        let head = head.strip_prefix("\u{feff}".as_bytes()).unwrap_or(head);
        if head.starts_with("记账时间".as_bytes()) {
            Kind::FundFlow
        } else if head.starts_with("交易时间".as_bytes()) {
            Kind::Trade
        } else {
            Kind::Other
        }
    }
}

/// `wechatpay bill reconcile BILL RECORDS.csv`: the trade bill `BILL` (gzipped or not) against
/// the merchant's records, a CSV file with a header naming the columns `out_trade_no`,
/// `out_refund_no` (empty for a payment), `amount` (fen, an integer) and `state` (`SUCCESS`,
/// `REVOKED`, …; see `wechatpay::bill::reconcile`). Prints each difference as one line of JSON
/// (`kind`: `only_in_bill`, `only_in_records`, `amount_differs`, `state_differs`,
/// `twice_in_bill`, `twice_in_records`; `key`; `bill` and `records` with `amount`, `state`,
/// `line`), then `{"summary": …}`. Exit 0 when they agree, 1 when they differ or a file is
/// wrong (its line and column named).
fn reconcile(argv: Vec<String>) -> Outcome {
    let args = Args::parse(
        argv,
        &ArgSpec {
            options: &[],
            switches: &[],
        },
    )?;
    args.expect_positionals(&["BILL", "RECORDS.csv"])?;
    let (bill_name, records_name) = (&args.positionals[0], &args.positionals[1]);
    let records = read_records(records_name)?;
    let record_count = records.len();
    let (input, kind) = open_bill(bill_name)?;
    if !matches!(kind, Kind::Trade) {
        return Err(Failure::failed(format!(
            "{bill_name}: not a trade bill (its first column is not 交易时间); reconcile a trade bill"
        )));
    }
    let failed = |e: BillError| Failure::failed(format!("{bill_name}: {e}"));
    let mut bill = TradeBill::new(input).map_err(failed)?;
    let mut reconciler = Reconciler::new(records);
    let mut differences = 0;
    let mut print = |found: Vec<Difference>| -> Outcome {
        for difference in found {
            differences += 1;
            outln!("{}", serde_json::to_string(&difference).map_err(Failure::failed)?);
        }
        Ok(())
    };
    for row in bill.by_ref() {
        print(reconciler.row(&row.map_err(failed)?))?;
    }
    print(reconciler.finish())?;
    let rows = bill.summary().map_or(0, |s| s.rows);
    outln!(
        "{}",
        json!({ "summary": { "bill_rows": rows, "records": record_count, "differences": differences } })
    );
    if differences > 0 {
        return Err(Failure::failed(format!(
            "{bill_name} and {records_name} differ: {differences} differences"
        )));
    }
    Ok(())
}

/// The merchant's records (see [`reconcile`]); an error names the file, line and column.
fn read_records(name: &str) -> Result<Vec<Record>, Failure> {
    let mut reader = csv::Reader::from_path(name).map_err(|e| Failure::failed(format!("{name}: {e}")))?;
    let headers = reader
        .headers()
        .map_err(|e| Failure::failed(format!("{name}: {e}")))?
        .clone();
    let column = |wanted: &str| {
        headers
            .iter()
            .position(|h| h.trim() == wanted)
            .ok_or_else(|| Failure::failed(format!("{name}: line 1: no column {wanted}")))
    };
    let at = [
        column("out_trade_no")?,
        column("out_refund_no")?,
        column("amount")?,
        column("state")?,
    ];
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| Failure::failed(format!("{name}: {e}")))?;
        let line = record.position().map_or(0, |p| p.line());
        let value = |i: usize| record.get(at[i]).unwrap_or_default().trim().to_owned();
        let amount = value(2).parse::<i64>().map_err(|_| {
            Failure::failed(format!(
                "{name}: line {line}, column amount: {:?} is not a whole number of fen",
                value(2)
            ))
        })?;
        let out_refund_no = Some(value(1)).filter(|no| !no.is_empty());
        records.push(Record {
            key: Key {
                out_trade_no: value(0),
                out_refund_no,
            },
            entry: Entry {
                amount,
                state: value(3),
                line: Some(line),
            },
        });
    }
    Ok(records)
}
