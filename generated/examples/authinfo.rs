//! Calls `POST /v3/offlineface/authinfo` (获取authinfo接口).
//!
//! Configured only from the environment (see `Client::from_env`): `WECHATPAY_MCHID`,
//! `WECHATPAY_SERIAL`, `WECHATPAY_PRIVATE_KEY` (PEM path), `WECHATPAY_PUBLIC_KEY` (PEM path),
//! `WECHATPAY_PUBLIC_KEY_ID`, optional `WECHATPAY_BASE_URL`.
//!
//! ```text
//! cargo run -p wechatpay-client --features offlineface --example authinfo -- --device_id D --raw_data R \
//!     --organization_id O --sp_appid wx… --sub_mchid 19… [--sub_appid wx…]
//! ```

use std::process::ExitCode;

use wechatpay::v3::offlineface::authinfo::{PostRequest, PostRequestRequired};

const USAGE: &str =
    "usage: authinfo --device_id V --raw_data V --organization_id V --sp_appid V --sub_mchid V [--sub_appid V]";

#[derive(Default)]
struct Args {
    device_id: Option<String>,
    raw_data: Option<String>,
    organization_id: Option<String>,
    sp_appid: Option<String>,
    sub_mchid: Option<String>,
    sub_appid: Option<String>,
}

fn parse_args(mut it: impl Iterator<Item = String>) -> Result<PostRequest, String> {
    let mut args = Args::default();
    while let Some(flag) = it.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        let (name, inline) = match flag.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (flag.clone(), None),
        };
        let slot = match name.as_str() {
            "--device_id" => &mut args.device_id,
            "--raw_data" => &mut args.raw_data,
            "--organization_id" => &mut args.organization_id,
            "--sp_appid" => &mut args.sp_appid,
            "--sub_mchid" => &mut args.sub_mchid,
            "--sub_appid" => &mut args.sub_appid,
            _ => return Err(format!("unknown argument {flag:?}")),
        };
        let value = match inline {
            Some(v) => v,
            None => it.next().ok_or_else(|| format!("{name} needs a value"))?,
        };
        *slot = Some(value);
    }
    let required = |v: Option<String>, name: &str| v.ok_or_else(|| format!("missing --{name}"));
    let request = PostRequest::new(PostRequestRequired {
        sp_appid: required(args.sp_appid, "sp_appid")?,
        sub_mchid: required(args.sub_mchid, "sub_mchid")?,
        device_id: required(args.device_id, "device_id")?,
        raw_data: required(args.raw_data, "raw_data")?,
        organization_id: required(args.organization_id, "organization_id")?,
    });
    Ok(request.with(|r| r.sub_appid = args.sub_appid))
}

#[tokio::main]
async fn main() -> ExitCode {
    let request = match parse_args(std::env::args().skip(1)) {
        Ok(request) => request,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("error: {message}");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let client = match wechatpay::Client::from_env() {
        Ok(client) => client,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    match client.v3().offlineface().authinfo().post(&request).await {
        Ok(response) => match serde_json::to_string_pretty(&response) {
            Ok(json) => {
                println!("{json}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("error: cannot print the response: {e}");
                ExitCode::FAILURE
            }
        },
        Err(e) => {
            eprintln!("error: {e}");
            if let wechatpay::Error::Api(api) = &e {
                if !api.body.is_empty() {
                    eprintln!("response body: {}", api.body);
                }
            }
            ExitCode::FAILURE
        }
    }
}
