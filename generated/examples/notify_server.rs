//! A notification endpoint (the `notify_url` of orders and refunds) in axum: each POST is
//! verified (signature, timestamp, key), decrypted with the APIv3 key, typed, handled once (a
//! ledger of notification ids: WeChat Pay delivers a notification again until it is answered with
//! success, may deliver a handled one once more, and to two instances at once) and answered as
//! WeChat Pay expects (`204` on success; `4xx`/`5xx` with `{"code":"FAIL",…}` otherwise, so that
//! it is sent again). The endpoint itself is the ten lines of `endpoint` and `handle`.
//!
//! Configured from the environment (see `Client::from_env`, with `WECHATPAY_APIV3_KEY`) plus
//! `WECHATPAY_NOTIFY_ADDR` (default `127.0.0.1:8000`). `--max N` stops after N requests.
//!
//! ```text
//! cargo run -p wechatpay-client --features axum --example notify_server
//! wechatpay sandbox notify --url http://127.0.0.1:8000/notify     # in another shell
//! ```

use std::io::Write as _;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use wechatpay::notifications::Resource;
use wechatpay::runtime::{MemoryLedger, NotificationEvent, NotificationService};

/// The endpoint: `POST /notify`, each notification handled once.
fn endpoint(client: wechatpay::Client) -> axum::Router {
    // One process: in memory. A fleet: `RedisLedger` (feature `redis`) or your database.
    let ledger = Arc::new(MemoryLedger::new(10_000));
    axum::Router::new().route_service("/notify", NotificationService::new(client, handle).ledger(ledger))
}

/// The business effect, run once per notification id. An error makes the answer a failure,
/// and WeChat Pay sends the notification again.
async fn handle(event: NotificationEvent) -> Result<(), wechatpay::Error> {
    match Resource::decode(&event)? {
        // Mark the order paid in your database (check the amount against the order first).
        Resource::Transaction(tx) => println!(
            "{} {}: order {} is {:?}",
            event.id, event.event_type, tx.out_trade_no, tx.trade_state
        ),
        Resource::Refund(refund) => println!(
            "{} {}: refund {:?} is {:?}",
            event.id, event.event_type, refund.out_refund_no, refund.refund_status
        ),
        // Event types this client does not type (`Other`); a typed event type that fits none of its
        // shapes never gets here: `decode` fails and the notification is delivered again.
        _ => println!("{} {}: not handled here", event.id, event.event_type),
    }
    std::io::stdout().flush().ok();
    Ok(())
}

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
    // `--max N`: count the requests, and stop (gracefully: the last one is answered) after N.
    let (served, stop) = (Arc::new(AtomicUsize::new(0)), Arc::new(tokio::sync::Notify::new()));
    let (count, last) = (served.clone(), stop.clone());
    let app = endpoint(client).layer(axum::middleware::map_request(move |request: axum::extract::Request| {
        let (count, last) = (count.clone(), last.clone());
        async move {
            if max.is_some_and(|max| count.fetch_add(1, Ordering::SeqCst) + 1 >= max) {
                last.notify_one();
            }
            request
        }
    }));
    axum::serve(listener, app)
        .with_graceful_shutdown(async move { stop.notified().await })
        .await?;
    Ok(())
}
