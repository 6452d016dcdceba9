//! `wechatpay`: a command line for the WeChat Pay API v3.
//!
//! ```text
//! wechatpay call METHOD PATH [--data JSON|@FILE] [--query K=V]... [--header 'Name: V']... [--no-check]
//! wechatpay notify --headers FILE --body FILE   (an APIv2 XML body: --body FILE alone)
//! wechatpay certificates [--out DIR]
//! wechatpay sandbox [--port N] [--merchant-public-key PEM] [--mchid ID] [--serial SERIAL] …
//! wechatpay sandbox notify --url URL [--event TRANSACTION.SUCCESS] [--resource JSON|@FILE] …
//! wechatpay ops | wechatpay example METHOD PATH
//! ```
//!
//! Configured like `Client::from_env` (`WECHATPAY_BASE_URL`, `WECHATPAY_MCHID`,
//! `WECHATPAY_SERIAL`, `WECHATPAY_PRIVATE_KEY`, `WECHATPAY_PUBLIC_KEY`,
//! `WECHATPAY_PUBLIC_KEY_ID`) plus `WECHATPAY_APIV3_KEY`, and for APIv2 `WECHATPAY_APIV2_KEY`
//! and `WECHATPAY_MERCHANT_CERTIFICATE`. Exit codes: 0 success, 1 failure
//! (platform error, verification, refused by the spec check, …), 2 usage error.

#![forbid(unsafe_code)]

/// `println!` for the command's output: a reader that goes away (`wechatpay ops | head`)
/// ends the command quietly with success, as Unix tools do; any other write error is reported.
macro_rules! outln {
    ($($arg:tt)*) => { $crate::write_out(&format!("{}\n", format_args!($($arg)*))) };
}

/// `print!` for the command's output (see [`outln!`]).
macro_rules! out {
    ($($arg:tt)*) => { $crate::write_out(&format!($($arg)*)) };
}

mod args;
mod bill;
mod commands;

use std::process::ExitCode;

pub const USAGE: &str = "\
wechatpay — WeChat Pay API v3 from the command line (requests signed, responses verified)

usage:
  wechatpay call METHOD PATH [--data JSON|@FILE] [--query NAME=VALUE]... [--header 'Name: value']...
                 [--file PATH] [--output FILE] [--no-check]
      Sends a signed request, verifies the response, prints its JSON. When METHOD and PATH are an
      operation of the embedded spec, the body, query and path are checked against it first
      (unknown or missing fields, wrong types, integers given as 1.5) and nothing is sent if they
      do not match; --no-check skips that. Uploads (multipart): --file PATH, --data is the meta
      JSON. Downloads (bills, images): the file goes to --output FILE or stdout.
      APIv2 (an operation of spec/v2 at its URL, `POST /pay/orderquery`): --data is a JSON
      object of the fields, checked against the spec; they are signed with WECHATPAY_APIV2_KEY
      (MD5, or HMAC-SHA256 where the operation wants it) and sent as XML, over mutual TLS with
      WECHATPAY_MERCHANT_CERTIFICATE when the operation needs it; the answer's fields, its sign
      checked, print as a JSON object (a bill goes to --output FILE or stdout).
  wechatpay notify --headers FILE --body FILE
      Verifies a saved notification (headers file: `Name: value` lines; body: the exact bytes
      received) and prints the decrypted resource JSON. Needs WECHATPAY_APIV3_KEY. An APIv2
      notification (an XML body; no --headers): its sign checked (a refund's req_info
      decrypted) with WECHATPAY_APIV2_KEY, its fields printed as a JSON object.
  wechatpay certificates [--out DIR]
      Downloads GET /v3/certificates, verifies and decrypts it, saves each platform certificate
      as DIR/wechatpay_<serial>.pem (DIR defaults to .) and prints what it saved.
  wechatpay sandbox [--port N] [--merchant-public-key PEM] [--mchid ID] [--serial SERIAL]
                    [--apiv3-key KEY] [--apiv2-key KEY] [--dir DIR] [--no-check] [--quiet] [--stateless]
                    [--pay-after MS] [--refund-after MS] [--duplicates] [--hold-back MS]
                    [--schedule-factor F] [--state FILE]
      Runs a local WeChat Pay on 127.0.0.1:N (default 8080; 0 picks a free port) that verifies
      request signatures and answers every operation of the spec with signed example JSON (APIv2
      operations: their XML sign checked with the APIv2 key, signed example XML answers).
      It simulates the payments of a direct merchant: orders are remembered, queried as they
      are, closed, refunded; POST /sandbox/transactions/OUT_TRADE_NO/pay pays one and delivers
      its notification to its notify_url (retried on the platform's schedule), POST
      /sandbox/refunds/OUT_REFUND_NO/complete ends a refund (SUCCESS, ABNORMAL, CLOSED); GET
      /sandbox/notifications lists the deliveries, POST /sandbox/reset forgets everything,
      POST /sandbox/clock {\"advance_seconds\": N} moves its clock, POST/GET/DELETE
      /sandbox/faults asks for, lists, clears faults on purpose (see `sandbox fault`).
      --stateless: examples only. Hands-off runs: every order paid after --pay-after, every
      refund SUCCESS after --refund-after; --duplicates delivers each notification twice;
      --hold-back holds every other notification back (out-of-order delivery);
      --schedule-factor multiplies the retry schedule (0.01: 150 ms, 150 ms, 300 ms, …).
      --state FILE keeps the orders, refunds and deliveries across restarts.
      Prints the environment a client needs (TEST ONLY keys, written to DIR).
  wechatpay sandbox notify --url URL [--event TYPE] [--resource JSON|@FILE] [--apiv3-key KEY]
                           [--mchid ID] [--save DIR]
      Sends a notification signed and encrypted like WeChat Pay's (sandbox TEST ONLY key) to URL;
      --save DIR also writes headers.txt and body.json (for `wechatpay notify`).
  wechatpay sandbox pay OUT_TRADE_NO [--url URL]
  wechatpay sandbox complete OUT_REFUND_NO [--outcome SUCCESS|ABNORMAL|CLOSED] [--url URL]
  wechatpay sandbox confirm OUT_BILL_NO [--outcome SUCCESS|FAIL] [--url URL]
  wechatpay sandbox fault KIND [--operation \"METHOD PATH\"|notifications] [--latency-ms N]
                           [--times N] [--url URL]
  wechatpay sandbox faults [--clear] [--url URL]
      The user's side of a running sandbox (URL: its address, default WECHATPAY_BASE_URL): pays
      an order (its notification is delivered), ends a refund, confirms a transfer bill as its
      payee; prints the transaction, refund or transfer bill.
      Faults on purpose, for one operation (as requested or as the spec writes its path) or every
      request, N times or until cleared: latency (--latency-ms), system_error (500),
      frequency_limited (429), drop_connection, wrong_signature, other_key_mode (signed in the
      other key mode: WeChat Pay public key <-> platform certificate); for notifications:
      wrong_signature, other_key_mode. `faults` lists them, --clear removes them.
  wechatpay bill download DATE (--out FILE | --read) [--type ALL|SUCCESS|REFUND] [--fund-flow]
                         [--sub-merchant SUB_MCHID] [--account BASIC|OPERATION|FEES] [--gzip]
      Downloads the day's trade (or fund-flow) bill (DATE: yyyy-MM-dd), checks its SHA-1 and
      writes it to FILE (decompressed; only when the digest matches), or with --read prints its
      rows as they arrive, as `bill read` does (the summary last, once the digest matched).
      --sub-merchant: a sub-merchant's encrypted fund-flow bill, its parts decrypted with the
      merchant key and each SHA-1 checked.
  wechatpay bill read FILE|- [--plain]
      Reads a trade or fund-flow bill (gzipped or not; - for standard input; another kind, or
      any with --plain, as (header, value) pairs): one JSON object per row, amounts as integers (fen; fees in 10^-5 yuan), then {\"summary\": …}, checked
      against the rows. A bill cut short, malformed or not adding up fails naming the line and
      column.
  wechatpay bill reconcile BILL RECORDS.csv
      Compares a trade bill with your records (CSV columns out_trade_no, out_refund_no, amount
      in fen, state): one JSON object per difference (only_in_bill, only_in_records,
      amount_differs, state_differs, twice_in_bill, twice_in_records) with both sides' amount,
      state and line, then {\"summary\": …}. Exit 1 when they differ.
  wechatpay ops
      Lists the operations of the embedded spec.
  wechatpay example METHOD PATH
      Prints an example request body of an operation (valid against the spec).

environment (like wechatpay::Client::from_env):
  WECHATPAY_BASE_URL        optional, default https://api.mch.weixin.qq.com
  WECHATPAY_MCHID           merchant id
  WECHATPAY_SERIAL          merchant API certificate serial
  WECHATPAY_PRIVATE_KEY     path of the merchant private key PEM (apiclient_key.pem)
  WECHATPAY_PUBLIC_KEY      path of the WeChat Pay public key PEM
  WECHATPAY_PUBLIC_KEY_ID   its id, PUB_KEY_ID_…
  WECHATPAY_APIV3_KEY       the APIv3 key (notify, certificates)
  WECHATPAY_APIV2_KEY       the APIv2 key (APIv2 calls)
  WECHATPAY_MERCHANT_CERTIFICATE
                            path of the merchant API certificate (apiclient_cert.pem), for the
                            APIv2 operations that need mutual TLS (its key: WECHATPAY_PRIVATE_KEY)
  WECHATPAY_APIV2_RSA_PUBLIC_KEY
                            path of risk/getpublickey's pub_key, for pay_bank's bank details

exit codes: 0 success, 1 failure, 2 usage error
";

/// How a command ends.
pub enum Failure {
    /// Wrong arguments: message, then the usage, exit 2.
    Usage(String),
    /// The command failed: message on stderr, exit 1.
    Failed(String),
}

impl Failure {
    pub fn failed(message: impl std::fmt::Display) -> Self {
        Failure::Failed(message.to_string())
    }
}

pub type Outcome = Result<(), Failure>;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let result = run(argv);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
                eprintln!("run `wechatpay --help` for usage");
            }
            ExitCode::from(2)
        }
        Err(Failure::Failed(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

fn run(argv: Vec<String>) -> Outcome {
    let Some((command, rest)) = argv.split_first() else {
        eprint!("{USAGE}");
        return Err(Failure::Usage(String::new()));
    };
    let rest = rest.to_vec();
    match command.as_str() {
        "-h" | "--help" | "help" => {
            out!("{USAGE}");
            Ok(())
        }
        "-V" | "--version" => {
            outln!("wechatpay {}", env!("CARGO_PKG_VERSION"));
            Ok(())
        }
        "call" => runtime()?.block_on(commands::call(rest)),
        "notify" => commands::notify(rest),
        "bill" => bill::run(rest),
        "certificates" => runtime()?.block_on(commands::certificates(rest)),
        "sandbox" => {
            if rest.first().map(String::as_str) == Some("notify") {
                runtime()?.block_on(commands::sandbox_notify(rest[1..].to_vec()))
            } else if let Some(action @ ("pay" | "complete" | "confirm" | "fault" | "faults")) =
                rest.first().map(String::as_str)
            {
                runtime()?.block_on(commands::sandbox_control(action, rest[1..].to_vec()))
            } else {
                runtime()?.block_on(commands::sandbox(rest))
            }
        }
        "ops" => commands::ops(rest),
        "example" => commands::example(rest),
        other => Err(Failure::Usage(format!("unknown command {other:?}"))),
    }
}

pub(crate) fn runtime() -> Result<tokio::runtime::Runtime, Failure> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| Failure::failed(format!("cannot start the async runtime: {e}")))
}

/// Writes to stdout; a closed pipe ends the process with success, another error with failure.
pub(crate) fn write_out(text: &str) {
    write_bytes(text.as_bytes());
}

/// [`write_out`] for bytes (a downloaded file).
pub(crate) fn write_bytes(bytes: &[u8]) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}
