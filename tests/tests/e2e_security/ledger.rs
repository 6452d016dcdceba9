//! The Redis ledger against a real `redis-server`, started here on 127.0.0.1 (`.ci/run`
//! installs it when absent): deliveries of one notification to two instances at once run the
//! handler once; a handler that fails lets the next delivery run it; a claim whose holder died
//! expires.

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wechatpay::runtime::{Claim, NotificationLedger, RedisLedger};

use super::*;

/// A `redis-server` of this test's own, on a free port; stopped when dropped.
struct RedisServer {
    child: Child,
    url: String,
}

impl RedisServer {
    fn start() -> RedisServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is not installed: `apt-get install redis-server` (.ci/run does it)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not listen on {port}");
            std::thread::sleep(Duration::from_millis(20));
        }
        RedisServer {
            child,
            url: format!("redis://127.0.0.1:{port}/"),
        }
    }

    /// A ledger over a connection of its own: one instance of the merchant's service.
    async fn ledger(&self) -> RedisLedger {
        RedisLedger::new(redis::Client::open(self.url.as_str()).unwrap())
            .await
            .unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A payment notification as WeChat Pay sends it: its headers, body and id.
fn delivery() -> (wechatpay::runtime::HeaderMap, Vec<u8>, String) {
    let plain = serde_json::json!({"mchid": keys::MCHID, "out_trade_no": "T-1", "trade_state": "SUCCESS", "amount": {"total": 100}});
    let n = wechatpay_sandbox::notify::make_notification(
        &wechatpay_sandbox::mock::ResponseKey::wechatpay_public_key(),
        APIV3_KEY,
        "TRANSACTION.SUCCESS",
        &plain,
    )
    .unwrap();
    let mut headers = wechatpay::runtime::HeaderMap::new();
    for (k, v) in &n.headers {
        headers.insert(
            reqwest::header::HeaderName::from_bytes(k.as_bytes()).unwrap(),
            v.parse().unwrap(),
        );
    }
    let id = serde_json::from_slice::<serde_json::Value>(&n.body).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    (headers, n.body, id)
}

fn merchant() -> Client {
    wechatpay_tests::builder().apiv3_key(APIV3_KEY).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_and_many_concurrent_deliveries_run_the_handler_once() {
    let server = RedisServer::start();
    let instances = [Arc::new(server.ledger().await), Arc::new(server.ledger().await)];
    let (headers, body, _) = delivery();
    let runs = Arc::new(AtomicUsize::new(0));
    let mut deliveries = Vec::new();
    for i in 0..64 {
        let (client, ledger, runs) = (merchant(), instances[i % 2].clone(), runs.clone());
        let (headers, body) = (headers.clone(), body.clone());
        deliveries.push(tokio::spawn(async move {
            client
                .handle_notification_once(&headers, &body, &*ledger, |_| async move {
                    runs.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    Ok::<(), String>(())
                })
                .await
        }));
    }
    let mut statuses = Vec::new();
    for d in deliveries {
        statuses.push(d.await.unwrap().status());
    }
    let count = |status: u16| statuses.iter().filter(|s| **s == status).count();
    println!(
        "64 concurrent deliveries over 2 instances: the handler ran {} time(s); {} answered 204, {} answered 503",
        runs.load(Ordering::SeqCst),
        count(204),
        count(503)
    );
    assert_eq!(
        runs.load(Ordering::SeqCst),
        1,
        "the handler ran more than once: {statuses:?}"
    );
    // The one that ran and those after it answer success; those during it 503 (delivered again).
    assert!(statuses.iter().all(|s| [200, 204, 503].contains(s)), "{statuses:?}");
    assert!(statuses.contains(&204), "{statuses:?}");
    // A redelivery to either instance afterwards: success, the handler not run.
    for ledger in &instances {
        let answer = merchant()
            .handle_notification_once(&headers, &body, &**ledger, |_| async { Err::<(), _>("must not run") })
            .await;
        assert!(answer.is_success());
    }
    assert_eq!(runs.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_handler_that_fails_lets_the_next_delivery_run_it() {
    let server = RedisServer::start();
    let (first, second) = (server.ledger().await, server.ledger().await);
    let (headers, body, id) = delivery();
    let answer = merchant()
        .handle_notification_once(&headers, &body, &first, |_| async { Err::<(), _>("database down") })
        .await;
    assert_eq!(answer.status(), 500);
    let runs = AtomicUsize::new(0);
    let answer = merchant()
        .handle_notification_once(&headers, &body, &second, |_| async {
            runs.fetch_add(1, Ordering::SeqCst);
            Ok::<(), String>(())
        })
        .await;
    assert!(answer.is_success());
    assert_eq!(runs.load(Ordering::SeqCst), 1);
    assert_eq!(first.claim(&id).await.unwrap(), Claim::Handled);
}

#[tokio::test]
async fn a_claim_whose_holder_died_expires() {
    let server = RedisServer::start();
    let died = server.ledger().await.lease(Duration::from_millis(300));
    let alive = server.ledger().await;
    // An instance claims and dies before completing or releasing.
    let Claim::Claimed(token) = died.claim("EV-REDIS-DIED").await.unwrap() else {
        panic!("the id is free")
    };
    assert_eq!(alive.claim("EV-REDIS-DIED").await.unwrap(), Claim::InProgress);
    // Another token's release leaves the claim alone.
    alive
        .release("EV-REDIS-DIED", &wechatpay::runtime::ClaimToken::new())
        .await
        .unwrap();
    assert_eq!(alive.claim("EV-REDIS-DIED").await.unwrap(), Claim::InProgress);
    tokio::time::sleep(Duration::from_millis(450)).await;
    let Claim::Claimed(_) = alive.claim("EV-REDIS-DIED").await.unwrap() else {
        panic!("the dead holder's claim did not expire")
    };
    // The dead holder's token no longer releases anything.
    died.release("EV-REDIS-DIED", &token).await.unwrap();
    assert_eq!(died.claim("EV-REDIS-DIED").await.unwrap(), Claim::InProgress);
    // Keys live under the prefix; another prefix is another ledger.
    let other = server.ledger().await.prefix("other:");
    assert!(matches!(other.claim("EV-REDIS-DIED").await.unwrap(), Claim::Claimed(_)));
}
