//! A bill read as it downloads (`Client::download_bill_rows`): typed rows as the bytes arrive,
//! the summary checked, the SHA-1 of the whole bill (gunzipped by the `gzip` tool here) checked
//! at the end, and every way it can fail.

use super::*;

use wechatpay::bill::{FundFlow, Trade};
use wechatpay_sandbox::sim::synthetic::SyntheticTradeBill;

fn bill_url(server: &MockServer) -> String {
    format!("{}{BILL}?token=rows", server.base_url())
}

/// Every row of the bill, or the error it ended with (and how many rows came before it).
async fn read_all(
    client: &Client,
    url: &str,
    sha1: &str,
    gzip: bool,
) -> (Vec<wechatpay::bill::TradeRow>, Option<Error>, bool) {
    let mut bill = client.download_bill_rows::<Trade>(url, sha1, gzip).await.unwrap();
    let mut rows = Vec::new();
    while let Some(row) = bill.next().await {
        match row {
            Ok(row) => rows.push(row),
            Err(e) => {
                assert!(bill.next().await.is_none(), "nothing after an error");
                return (rows, Some(e), bill.summary().is_some());
            }
        }
    }
    (rows, None, bill.summary().is_some())
}

#[tokio::test]
async fn a_gzipped_bill_of_50_000_rows_is_read_as_it_arrives_and_adds_up() {
    let server = MockServer::start(MockConfig::default()).await;
    let bill = SyntheticTradeBill::bytes(50_000);
    server.on("GET", BILL, super::downloads::file_reply(gzip_cli(&bill)));
    let sha1 = openssl_sha1(&bill);
    let client = client(&server);
    let mut stream = client
        .download_bill_rows::<Trade>(&bill_url(&server), &sha1, true)
        .await
        .unwrap();
    let (mut rows, mut refunds, mut settled) = (0u64, 0u64, 0i64);
    while let Some(row) = stream.next().await {
        let row = row.unwrap();
        rows += 1;
        settled += row.settlement_total();
        if row.trade_state() == "REFUND" {
            refunds += 1;
            assert_eq!(row.refund(), row.refund_requested());
        }
        assert_eq!(row.line(), rows + 1, "the header is line 1");
    }
    assert_eq!((rows, refunds), (50_000, 5_000));
    let summary = stream.summary().expect("the summary, after the last row");
    assert_eq!((summary.rows, summary.settlement_total), (50_000, Some(settled)));
    let expected: i64 = (0..50_000u64)
        .filter(|n| n % 10 != 9)
        .map(SyntheticTradeBill::amount)
        .sum();
    assert_eq!(settled, expected);
}

#[tokio::test]
async fn the_rows_as_a_stream_end_with_the_same_error() {
    use futures_util::StreamExt as _;
    let server = MockServer::start(MockConfig::default()).await;
    let bill = SyntheticTradeBill::bytes(100);
    server.on("GET", BILL, super::downloads::file_reply(bill.clone()));
    let client = client(&server);
    let rows = client
        .download_bill_rows::<Trade>(&bill_url(&server), &openssl_sha1(&bill), false)
        .await
        .unwrap()
        .into_stream();
    let rows: Vec<_> = rows.collect().await;
    assert_eq!(rows.iter().filter(|r| r.is_ok()).count(), 100);
    let wrong = openssl_sha1(b"another bill");
    let rows = client
        .download_bill_rows::<Trade>(&bill_url(&server), &wrong, false)
        .await
        .unwrap()
        .into_stream();
    let last = rows.collect::<Vec<_>>().await.pop().unwrap();
    assert!(matches!(last, Err(Error::DigestMismatch { .. })), "{last:?}");
}

#[tokio::test]
async fn a_wrong_sha1_ends_the_rows_with_the_mismatch_and_no_summary() {
    let server = MockServer::start(MockConfig::default()).await;
    let bill = SyntheticTradeBill::bytes(1_000);
    server.on("GET", BILL, super::downloads::file_reply(bill.clone()));
    let wrong = openssl_sha1(b"another bill");
    let (rows, error, summary) = read_all(&client(&server), &bill_url(&server), &wrong, false).await;
    assert_eq!(rows.len(), 1_000, "the rows came as they arrived");
    assert!(
        matches!(&error, Some(Error::DigestMismatch { expected, .. }) if *expected == wrong),
        "{error:?}"
    );
    assert!(!summary, "a bill that failed has no summary");
}

#[tokio::test]
async fn a_gzip_stream_cut_short_is_an_error_not_an_end() {
    let server = MockServer::start(MockConfig::default()).await;
    let bill = SyntheticTradeBill::bytes(2_000);
    let gz = gzip_cli(&bill);
    server.on("GET", BILL, super::downloads::file_reply(gz[..gz.len() / 2].to_vec()));
    let (rows, error, summary) = read_all(&client(&server), &bill_url(&server), &openssl_sha1(&bill), true).await;
    assert!(rows.len() < 2_000, "{}", rows.len());
    assert!(
        matches!(
            &error,
            Some(Error::Io { .. } | Error::DigestMismatch { .. } | Error::Bill(_))
        ),
        "{error:?}"
    );
    assert!(!summary);
}

#[tokio::test]
async fn a_bill_that_does_not_add_up_names_its_line_and_total() {
    let server = MockServer::start(MockConfig::default()).await;
    let text = String::from_utf8(SyntheticTradeBill::bytes(10)).unwrap();
    // The summary's second value (应结订单总金额) one fen more.
    let (head, summary) = text.trim_end().rsplit_once("\r\n").unwrap();
    let mut values: Vec<String> = summary.split(',').map(str::to_owned).collect();
    let fen = values[1]
        .trim_start_matches('`')
        .replace('.', "")
        .parse::<i64>()
        .unwrap()
        + 1;
    values[1] = format!("`{}.{:02}", fen / 100, fen % 100);
    let bad = format!("{head}\r\n{}\r\n", values.join(",")).into_bytes();
    server.on("GET", BILL, super::downloads::file_reply(bad.clone()));
    let (rows, error, _) = read_all(&client(&server), &bill_url(&server), &openssl_sha1(&bad), false).await;
    assert_eq!(rows.len(), 10);
    match error {
        Some(Error::Bill(e)) => {
            assert_eq!((e.line, e.column.as_deref()), (Some(13), Some("应结订单总金额")), "{e}");
            assert!(e.message.contains("off by 0.01"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_wrong_kind_of_bill_is_refused_at_its_header() {
    let server = MockServer::start(MockConfig::default()).await;
    let bill = SyntheticTradeBill::bytes(3);
    server.on("GET", BILL, super::downloads::file_reply(bill.clone()));
    let mut stream = client(&server)
        .download_bill_rows::<FundFlow>(&bill_url(&server), &openssl_sha1(&bill), false)
        .await
        .unwrap();
    match stream.next().await {
        Some(Err(Error::Bill(e))) => assert_eq!(e.line, Some(1), "{e}"),
        other => panic!("{other:?}"),
    }
    assert!(stream.next().await.is_none());
}
