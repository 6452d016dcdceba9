//! A notification endpoint (the `notify_url` of orders and refunds), on hyper: each POST is
//! verified (signature, timestamp, key), decrypted with the APIv3 key, typed, handled once (a
//! ledger of notification ids: WeChat Pay delivers a notification again until it is answered with
//! success, and may deliver a handled one once more) and answered as WeChat Pay expects
//! (`204` on success; `4xx`/`5xx` with `{"code":"FAIL",…}` otherwise, so that it is sent again).
//!
//! Configured from the environment (see `Client::from_env`, with `WECHATPAY_APIV3_KEY`) plus
//! `WECHATPAY_NOTIFY_ADDR` (default `127.0.0.1:8000`). `--max N` stops after N requests.
//!
//! ```text
//! cargo run -p wechatpay-client --example notify_server
//! wechatpay sandbox notify --url http://127.0.0.1:8000/notify     # in another shell
//! ```

use std::convert::Infallible;
use std::io::Write as _;
use std::process::ExitCode;
use std::sync::Arc;

use http_body_util::{BodyExt as _, Full};
use hyper::body::{Bytes, Incoming};
use wechatpay::notifications::Resource;
use wechatpay::runtime::{MemoryLedger, NotificationAnswer, NotificationEvent};

/// The most bytes of a notification body read (they are a few KiB).
const MAX_BODY: usize = 64 << 10;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let max = match args.as_slice() {
        [] => None,
        [flag, n] if flag == "--max" => match n.parse::<usize>() {
            Ok(n) => Some(n),
            Err(_) => return usage(),
        },
        _ => return usage(),
    };
    match run(max).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn usage() -> ExitCode {
    eprintln!("usage: notify_server [--max N]");
    ExitCode::from(2)
}

async fn run(max: Option<usize>) -> Result<(), Box<dyn std::error::Error>> {
    let client = wechatpay::Client::from_env()?;
    let addr = std::env::var("WECHATPAY_NOTIFY_ADDR").unwrap_or_else(|_| "127.0.0.1:8000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}/notify", listener.local_addr()?);
    std::io::stdout().flush()?;
    // One process: in memory. A fleet: `RedisLedger` (feature `redis`) or your database.
    let ledger = Arc::new(MemoryLedger::new(10_000));
    let mut served = 0;
    while max.is_none_or(|max| served < max) {
        let (stream, _) = listener.accept().await?;
        served += 1;
        let (client, ledger) = (client.clone(), ledger.clone());
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let (client, ledger) = (client.clone(), ledger.clone());
            async move { Ok::<_, Infallible>(answer(&client, &ledger, request).await) }
        });
        // One request per connection here; a real server would spawn this.
        hyper::server::conn::http1::Builder::new()
            .keep_alive(false)
            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
            .await?;
    }
    Ok(())
}

async fn answer(
    client: &wechatpay::Client,
    ledger: &MemoryLedger,
    request: hyper::Request<Incoming>,
) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    // The raw bytes, exactly as received: the signature covers them.
    let body = match http_body_util::Limited::new(body, MAX_BODY).collect().await {
        Ok(body) => body.to_bytes(),
        Err(_) => return reply(NotificationAnswer::failure(413, "the body is too large")),
    };
    if parts.method != hyper::Method::POST {
        return reply(NotificationAnswer::failure(405, "POST only"));
    }
    reply(
        client
            .handle_notification_once(&parts.headers, &body, ledger, handle)
            .await,
    )
}

/// The business effect, run once per notification id. An error makes the answer a failure,
/// and WeChat Pay sends the notification again.
async fn handle(event: NotificationEvent) -> Result<(), wechatpay::Error> {
    match Resource::decode(&event)? {
        Resource::Transaction(tx) => {
            // Mark the order paid in your database (check the amount against the order first).
            println!(
                "{} {}: order {} is {:?}",
                event.id, event.event_type, tx.out_trade_no, tx.trade_state
            );
        }
        Resource::Refund(refund) => {
            println!(
                "{} {}: refund {:?} is {:?}",
                event.id, event.event_type, refund.out_refund_no, refund.refund_status
            );
        }
        _ => println!("{} {}: not handled here", event.id, event.event_type),
    }
    std::io::stdout().flush().ok();
    Ok(())
}

fn reply(answer: NotificationAnswer) -> hyper::Response<Full<Bytes>> {
    let mut response = hyper::Response::builder().status(answer.status());
    if let Some(content_type) = answer.content_type() {
        response = response.header("Content-Type", content_type);
    }
    response
        .body(Full::new(Bytes::from(answer.body().to_owned())))
        .unwrap_or_else(|_| hyper::Response::new(Full::new(Bytes::new())))
}
