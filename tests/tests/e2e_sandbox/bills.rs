//! The simulator's bills (issue 23, item 4): built from its own orders and refunds, in the
//! platform's format, downloaded and SHA-1-checked through the real client.

use super::*;

use wechatpay::v3::bill::{fundflowbill, tradebill};
use wechatpay::v3::pay::models::{Amount, AmountRequired};
use wechatpay::v3::pay::transactions::native;
use wechatpay::v3::refund::domestic::refunds;
use wechatpay_sandbox::sim::bills::day;

/// A bill's lines as the format says: a BOM, CRLF after every line (the last too), the header
/// and summary header bare, every other value after one backquote. Panics where it is not so.
fn lines(bill: &[u8]) -> Vec<Vec<String>> {
    let text = std::str::from_utf8(bill).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').expect("a BOM");
    let body = text.strip_suffix("\r\n").expect("CRLF after the last line");
    body.split("\r\n")
        .map(|line| {
            assert!(!line.contains('\n'), "{line:?}");
            line.split(',').map(str::to_owned).collect()
        })
        .collect()
}

/// The values of a backquoted row.
fn values(row: &[String]) -> Vec<&str> {
    row.iter().map(|v| v.strip_prefix('`').expect("a backquote")).collect()
}

/// Yuan with `decimals` decimals as an integer of that unit (no float).
fn units(text: &str, decimals: usize) -> i64 {
    let (whole, fraction) = text.split_once('.').expect("a decimal point");
    assert_eq!(fraction.len(), decimals, "{text}");
    let negative = whole.starts_with('-');
    let n: i64 = format!("{}{fraction}", whole.trim_start_matches('-')).parse().unwrap();
    if negative {
        -n
    } else {
        n
    }
}

/// A service provider's Native order of `total` fen for `sub_mchid`, paid by the user.
async fn paid_partner_order(
    client: &wechatpay::Client,
    simulator: &wechatpay_sandbox::sim::Simulator,
    out_trade_no: &str,
    sub_mchid: &str,
    total: i64,
) {
    use wechatpay::v3::pay::partner::transactions::native as partner_native;
    let order = partner_native::PostRequest::new(partner_native::PostRequestRequired {
        sp_appid: "wxd678efh567hg6787".into(),
        sub_mchid: sub_mchid.into(),
        description: "子商户商品".into(),
        out_trade_no: out_trade_no.into(),
        amount: partner_native::PostRequestAmount::new(partner_native::PostRequestAmountRequired { total }),
        notify_url: "http://127.0.0.1:9/notify".into(),
    });
    client
        .v3()
        .pay()
        .partner()
        .transactions()
        .native()
        .post(&order)
        .await
        .unwrap();
    simulator.pay_order(out_trade_no).unwrap();
}

/// The whole flow of a day: two orders paid, one refunded in part; the day's ALL bill lists
/// the two payments and the refund, its SHA-1 checks (gzipped on the way, as asked) and its
/// summary adds up; SUCCESS and REFUND list their rows; the fund flow has the income, the fees
/// and the refund; another day has no bill; another merchant cannot download it.
#[tokio::test]
async fn the_days_bills_list_the_simulators_orders_and_refunds_and_add_up() {
    let sandbox = simulator_sandbox().await;
    let simulator = sandbox.simulator().unwrap();
    let client = builder().base_url(sandbox.base_url()).build().unwrap();
    for (no, total) in [("T-BILL-1", 1000), ("T-BILL-2", 2550)] {
        let order = native::PostRequest::new(native::PostRequestRequired {
            appid: "wxd678efh567hg6787".into(),
            description: "商品,带逗号".into(),
            out_trade_no: no.into(),
            amount: Amount::new(AmountRequired { total }),
            notify_url: "http://127.0.0.1:9/notify".into(),
        })
        .with(|r| r.attach = Some(r#"{"k":"v"}"#.into()));
        client.v3().pay().transactions().native().post(&order).await.unwrap();
        simulator.pay_order(no).unwrap();
    }
    let refund = refunds::PostRequest::new(refunds::PostRequestRequired {
        out_refund_no: "R-BILL-1".into(),
        amount: refunds::PostRequestAmount::new(refunds::PostRequestAmountRequired {
            refund: 500,
            total: 1000,
            currency: "CNY".into(),
        }),
    })
    .with(|r| r.out_trade_no = Some("T-BILL-1".into()));
    client.v3().refund().domestic().refunds().post(&refund).await.unwrap();
    simulator.complete("R-BILL-1", "SUCCESS").unwrap();
    let today = day(simulator.now());

    let apply = |bill_type: tradebill::GetRequestBillType, gzip: bool| {
        let client = client.clone();
        let today = today.clone();
        async move {
            let request = tradebill::GetRequest::new(tradebill::GetRequestRequired { bill_date: today }).with(|r| {
                r.bill_type = Some(bill_type);
                r.tar_type = gzip.then_some(tradebill::GetRequestTarType::Gzip);
            });
            let bill = client.v3().bill().tradebill().get(&request).await?;
            let (url, sha1) = (bill.download_url.unwrap(), bill.hash_value.unwrap());
            let mut bytes = Vec::new();
            client.download_bill(&url, &sha1, gzip, &mut bytes).await?;
            Ok::<_, wechatpay::Error>(bytes)
        }
    };

    let all = apply(tradebill::GetRequestBillType::All, true).await.unwrap();
    let rows = lines(&all);
    assert_eq!(rows[0].len(), 27, "{:?}", rows[0]);
    let column = |name: &str| {
        rows[0]
            .iter()
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let details: Vec<Vec<&str>> = rows[1..rows.len() - 2].iter().map(|r| values(r)).collect();
    assert_eq!(details.len(), 3, "{details:?}");
    let kinds: Vec<(&str, &str)> = details
        .iter()
        .map(|r| (r[column("商户订单号")], r[column("交易状态")]))
        .collect();
    assert_eq!(
        kinds,
        [("T-BILL-1", "SUCCESS"), ("T-BILL-2", "SUCCESS"), ("T-BILL-1", "REFUND")]
    );
    let refund_row = &details[2];
    assert_eq!(
        (
            refund_row[column("商户退款单号")],
            refund_row[column("退款金额")],
            refund_row[column("手续费")]
        ),
        ("R-BILL-1", "5.00", "-0.03000")
    );
    assert_eq!(details[1][column("手续费")], "0.15000", "0.60 % of 25.50, to the fen");
    assert_eq!(details[0][column("商品名称")], "商品\\ 带逗号", "a comma is escaped");
    assert_eq!(details[0][column("商户数据包")], r#"{"k":"v"}"#);
    // The summary: the count and every total are the sums of the rows.
    let summary_header = &rows[rows.len() - 2];
    let summary = values(&rows[rows.len() - 1]);
    assert_eq!(summary_header[0], "总交易单数");
    assert_eq!(summary[0], "3");
    for (total, name, decimals) in [
        ("应结订单总金额", "应结订单金额", 2),
        ("退款总金额", "退款金额", 2),
        ("手续费总金额", "手续费", 5),
        ("订单总金额", "订单金额", 2),
        ("申请退款总金额", "申请退款金额", 2),
    ] {
        let at = summary_header.iter().position(|c| c == total).unwrap();
        let sum: i64 = details.iter().map(|r| units(r[column(name)], decimals)).sum();
        assert_eq!(units(summary[at], decimals), sum, "{total}");
    }
    assert_eq!(summary, ["3", "35.50", "5.00", "0.00", "0.18000", "35.50", "5.00"]);
    // The SDK's own reader agrees: typed rows, the summary checked against them.
    let mut read = wechatpay::bill::TradeBill::new(all.as_slice()).unwrap();
    let typed: Vec<_> = read.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(typed.len(), 3);
    assert_eq!((typed[2].out_refund_no(), typed[2].fee()), (Some("R-BILL-1"), -3_000));
    assert_eq!(read.summary().unwrap().settlement_total, Some(3550));

    let success = lines(&apply(tradebill::GetRequestBillType::Success, false).await.unwrap());
    assert_eq!((success[0].len(), success.len()), (20, 1 + 2 + 2));
    let refunded = lines(&apply(tradebill::GetRequestBillType::Refund, false).await.unwrap());
    assert_eq!((refunded[0].len(), refunded.len()), (29, 1 + 1 + 2));

    // The fund flow: the two payments' income and fees, the refund's expense.
    let request = fundflowbill::GetRequest::new(fundflowbill::GetRequestRequired {
        bill_date: today.clone(),
    });
    let bill = client.v3().bill().fundflowbill().get(&request).await.unwrap();
    let mut flow = Vec::new();
    client
        .download_bill(&bill.download_url.unwrap(), &bill.hash_value.unwrap(), false, &mut flow)
        .await
        .unwrap();
    let mut typed = wechatpay::bill::FundFlowBill::new(flow.as_slice()).unwrap();
    assert_eq!(typed.by_ref().filter_map(Result::ok).count(), 5);
    assert_eq!(typed.summary().map(|s| (s.income, s.expense)), Some((3550, 521)));
    let flow = lines(&flow);
    assert_eq!(flow.len(), 1 + 5 + 2, "{flow:?}");
    assert_eq!(values(&flow[flow.len() - 1]), ["5", "2", "35.50", "3", "5.21"]);
    assert_eq!(values(&flow[5])[7], "30.29", "the balance after the last movement");

    // Another day: no bill, as the platform answers.
    let yesterday = day(simulator.now() - 86_400);
    let request = tradebill::GetRequest::new(tradebill::GetRequestRequired { bill_date: yesterday });
    let e = client.v3().bill().tradebill().get(&request).await.unwrap_err();
    assert_eq!(
        (e.status(), e.api_code()),
        (Some(400), Some("NO_STATEMENT_EXIST")),
        "{e:?}"
    );
    // Another merchant cannot download this one's bill.
    let request = tradebill::GetRequest::new(tradebill::GetRequestRequired { bill_date: today });
    let bill = client.v3().bill().tradebill().get(&request).await.unwrap();
    let other = wechatpay::Client::builder()
        .mchid("1900000002")
        .merchant_serial(keys::MERCHANT_SERIAL)
        .private_key_pem(keys::MERCHANT_KEY_PEM)
        .wechatpay_public_key(keys::WECHATPAY_PUBLIC_KEY_ID, keys::WECHATPAY_PUB_PEM)
        .base_url(sandbox.base_url())
        .build()
        .unwrap();
    let e = other
        .download_bill(
            &bill.download_url.unwrap(),
            &bill.hash_value.unwrap(),
            false,
            Vec::new(),
        )
        .await
        .unwrap_err();
    // (The sandbox serves one merchant: another is refused before the bill's own check.)
    assert!(matches!(e.status(), Some(401 | 403)), "{e:?}");
}

/// A service provider's bill lists its sub-merchants' orders (特约商户号), all of them or the
/// one `sub_mchid` asks for; APIv2's `downloadbill` answers the same day's bill itself.
#[tokio::test]
async fn a_service_providers_bill_and_apiv2s_downloadbill() {
    use wechatpay::v2::pay::downloadbill;

    let sandbox = simulator_sandbox().await;
    let simulator = sandbox.simulator().unwrap();
    let client = v2_client(&sandbox.base_url());
    for (no, sub) in [("SUBA-1", "1900000201"), ("SUBB-1", "1900000202")] {
        paid_partner_order(&client, simulator, no, sub, 880).await;
    }
    let today = day(simulator.now());
    let bill_of = |sub: Option<&str>| {
        let (client, today, sub) = (client.clone(), today.clone(), sub.map(str::to_owned));
        async move {
            let request = tradebill::GetRequest::new(tradebill::GetRequestRequired { bill_date: today })
                .with(|r| r.sub_mchid = sub);
            let bill = client.v3().bill().tradebill().get(&request).await.unwrap();
            let mut bytes = Vec::new();
            client
                .download_bill(
                    &bill.download_url.unwrap(),
                    &bill.hash_value.unwrap(),
                    false,
                    &mut bytes,
                )
                .await
                .unwrap();
            lines(&bytes)
        }
    };
    let both = bill_of(None).await;
    let sub_column = both[0].iter().position(|c| c == "特约商户号").unwrap();
    let subs: Vec<&str> = both[1..3].iter().map(|r| values(r)[sub_column]).collect();
    assert_eq!(subs, ["1900000201", "1900000202"]);
    let one = bill_of(Some("1900000202")).await;
    assert_eq!(one.len(), 1 + 1 + 2);
    assert_eq!(values(&one[1])[sub_column], "1900000202");

    // APIv2: a direct order of the day, then the bill as the answer itself (yyyyMMdd).
    let order =
        wechatpay::v2::pay::unifiedorder::PostRequest::new(wechatpay::v2::pay::unifiedorder::PostRequestRequired {
            body: "V2商品".into(),
            out_trade_no: "T-V2-BILL".into(),
            total_fee: 101,
            spbill_create_ip: "127.0.0.1".into(),
            notify_url: "http://127.0.0.1:9/notify".into(),
            trade_type: "NATIVE".into(),
        })
        .with(|r| {
            r.appid = Some("wx8888888888888888".into());
            r.product_id = Some("P1".into());
        });
    client.v2().pay().unifiedorder().post(&order).await.unwrap();
    simulator.pay_order("T-V2-BILL").unwrap();
    let request = downloadbill::PostRequest::new(downloadbill::PostRequestRequired {
        bill_date: today.replace('-', ""),
    })
    .with(|r| r.appid = Some("wx8888888888888888".into()));
    let text = client.v2().pay().downloadbill().post(&request).await.unwrap();
    let rows = lines(text.as_ref());
    // No sub_mch_id: the merchant's own order and its sub-merchants' (it is both here).
    assert_eq!(rows.len(), 1 + 3 + 2, "{rows:?}");
    let own = rows
        .iter()
        .find(|r| r.contains(&"`T-V2-BILL".to_owned()))
        .expect("the APIv2 order");
    assert_eq!(values(own)[sub_column], "0");
    let none = downloadbill::PostRequest::new(downloadbill::PostRequestRequired {
        bill_date: "20200101".into(),
    })
    .with(|r| r.appid = Some("wx8888888888888888".into()));
    let e = client.v2().pay().downloadbill().post(&none).await.unwrap_err();
    assert!(e.to_string().contains("No Bill Exist"), "{e}");

    // APIv2's fund flow (HMAC-SHA256, the client certificate), gzipped: the order's income
    // and fee, read by the SDK's reader; an account with no movements has no bill.
    use wechatpay::v2::pay::downloadfundflow;
    let fund = |account_type| {
        downloadfundflow::PostRequest::new(downloadfundflow::PostRequestRequired {
            bill_date: today.replace('-', ""),
            account_type,
        })
        .with(|r| {
            r.appid = Some("wx8888888888888888".into());
            r.tar_type = Some(downloadfundflow::PostRequestTarType::Gzip);
        })
    };
    let basic = fund(downloadfundflow::PostRequestAccountType::Basic);
    let gz = client.v2().pay().downloadfundflow().post(&basic).await.unwrap();
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), gz.as_ref() as &[u8]).unwrap();
    let gunzipped = std::process::Command::new("gzip")
        .arg("-dc")
        .arg(file.path())
        .output()
        .unwrap();
    assert!(gunzipped.status.success(), "gzip on the wire, as asked");
    let mut bill = wechatpay::bill::FundFlowBill::new(gunzipped.stdout.as_slice()).unwrap();
    let rows: Vec<_> = bill.by_ref().collect::<Result<_, _>>().unwrap();
    let mine: Vec<(bool, i64)> = rows
        .iter()
        .filter(|r| r.voucher() == "T-V2-BILL")
        .map(|r| (r.income(), r.amount()))
        .collect();
    assert_eq!(mine, [(true, 101), (false, 1)], "the payment and its 0.60 % fee");
    assert!(bill.summary().is_some());
    let operation = fund(downloadfundflow::PostRequestAccountType::Operation);
    let e = client.v2().pay().downloadfundflow().post(&operation).await.unwrap_err();
    assert!(e.to_string().contains("NO_BILL_EXIST"), "{e}");
}

/// A sub-merchant's encrypted fund bill, end to end: the simulator cuts the sub-merchant's fund
/// flow of the day (gzipped when asked) into parts, each sealed under a key of its own that is
/// sent RSA-OAEP-encrypted to the merchant; the client decrypts, checks and joins them, and the
/// typed reader's summary adds up. Another sub-merchant's bill does not exist; another
/// algorithm is refused.
#[tokio::test]
async fn a_sub_merchants_encrypted_fund_bill_decrypts_and_adds_up() {
    use wechatpay::bill::EncryptedBillFile;
    use wechatpay::v3::bill::sub_merchant_fundflowbill as sub_bill;

    let sandbox = simulator_sandbox().await;
    let simulator = sandbox.simulator().unwrap();
    let client = builder().base_url(sandbox.base_url()).build().unwrap();
    for (no, total) in [("SUBC-1", 1000), ("SUBC-2", 2550), ("SUBC-3", 99)] {
        paid_partner_order(&client, simulator, no, "1900000203", total).await;
    }
    let today = day(simulator.now());
    let ask = |sub: &str, gzip: bool, algorithm: sub_bill::GetRequestAlgorithm| {
        let request = sub_bill::GetRequest::new(sub_bill::GetRequestRequired {
            sub_mchid: sub.into(),
            bill_date: today.clone(),
            algorithm,
            account_type: sub_bill::GetRequestAccountType::Basic,
        })
        .with(|r| r.tar_type = gzip.then_some(sub_bill::GetRequestTarType::Gzip));
        let client = client.clone();
        async move { client.v3().bill().sub_merchant_fundflowbill().get(&request).await }
    };
    for gzip in [false, true] {
        let answer = ask("1900000203", gzip, sub_bill::GetRequestAlgorithm::AeadAes256Gcm)
            .await
            .unwrap();
        let mut files = EncryptedBillFile::list_of(&answer).unwrap();
        assert_eq!(answer.download_bill_count, Some(files.len() as i64));
        if !gzip {
            assert!(files.len() >= 2, "the plain bill comes in parts: {}", files.len());
        }
        // Listed last part first, as nothing promises their order.
        files.reverse();
        let mut plain = Vec::new();
        client.download_encrypted_bill(&files, gzip, &mut plain).await.unwrap();
        let mut bill = wechatpay::bill::FundFlowBill::new(plain.as_slice()).unwrap();
        let rows: Vec<_> = bill.by_ref().collect::<Result<_, _>>().unwrap();
        // Each payment's income and its fee, none of another merchant's.
        assert_eq!(rows.len(), 6, "gzip {gzip}");
        assert!(rows.iter().all(|r| r.voucher().starts_with("SUBC-")));
        // The fees at 0.6 %, each rounded to the fen: 6 + 15 + 1.
        assert_eq!(
            bill.summary().map(|s| (s.income, s.expense)),
            Some((3649, 22)),
            "gzip {gzip}"
        );
    }
    let e = ask("1900000299", false, sub_bill::GetRequestAlgorithm::AeadAes256Gcm)
        .await
        .unwrap_err();
    assert_eq!(
        (e.status(), e.api_code()),
        (Some(400), Some("NO_STATEMENT_EXIST")),
        "{e:?}"
    );
    let e = ask("1900000203", false, sub_bill::GetRequestAlgorithm::Sm4Gcm)
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.api_code()), (Some(400), Some("PARAM_ERROR")), "{e:?}");
}
