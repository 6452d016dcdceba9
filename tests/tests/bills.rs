//! Trade bills read as typed, exact rows (issue 24): the examples of
//! `../shared/reference/BILLS.md` (their bytes rebuilt as the platform sends them, their SHA-1
//! checked), the bills the simulator builds, and every way a bill can be wrong.

use std::path::PathBuf;

use wechatpay::bill::{BillError, FundFlowBill, TradeBill, TradeRow};

/// The examples of BILLS.md: (the SHA-1 it gives, the exact bytes: a BOM, the lines, CRLF after
/// each). Empty, saying so, when `../shared` is absent.
fn documented_examples() -> Vec<(String, Vec<u8>)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/reference/BILLS.md");
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: {} is absent", path.display());
        return Vec::new();
    };
    let mut examples = Vec::new();
    let mut sha1 = None;
    let mut block: Option<Vec<&str>> = None;
    for line in text.lines() {
        if line.starts_with("~~~") {
            match block.take() {
                Some(lines) => {
                    let mut bytes = "\u{feff}".as_bytes().to_vec();
                    for l in lines {
                        bytes.extend_from_slice(l.as_bytes());
                        bytes.extend_from_slice(b"\r\n");
                    }
                    examples.push((sha1.take().expect("an example's SHA-1 before it"), bytes));
                }
                None => block = Some(Vec::new()),
            }
            continue;
        }
        match &mut block {
            Some(lines) => lines.push(line),
            None => {
                if let Some(at) = line.find("SHA-1") {
                    let hex: String = line[at..].split('`').nth(1).unwrap_or_default().to_owned();
                    if hex.len() == 40 {
                        sha1 = Some(hex);
                    }
                }
            }
        }
    }
    examples
}

fn sha1_hex(bytes: &[u8]) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

fn read_all(bytes: &[u8]) -> Result<(Vec<TradeRow>, wechatpay::bill::TradeSummary), BillError> {
    let mut bill = TradeBill::new(bytes)?;
    let rows = bill.by_ref().collect::<Result<Vec<_>, _>>()?;
    Ok((rows, bill.summary().expect("a summary after the rows").clone()))
}

#[test]
fn the_documented_trade_bills_read_to_their_exact_values() {
    let examples = documented_examples();
    if examples.is_empty() {
        return;
    }
    let trade: Vec<&(String, Vec<u8>)> = examples
        .iter()
        .filter(|(_, bytes)| bytes.starts_with("\u{feff}交易时间".as_bytes()))
        .collect();
    assert_eq!(trade.len(), 4, "ALL, SUCCESS, REFUND, a service provider's ALL");
    for (sha1, bytes) in &examples {
        assert_eq!(&sha1_hex(bytes), sha1, "the bytes are rebuilt exactly");
    }
    // ALL, direct merchant: every column kind, a negative fee on the refund row.
    let (rows, summary) = read_all(&trade[0].1).unwrap();
    assert_eq!(rows.len(), 3);
    let refund = &rows[2];
    assert_eq!(
        (
            refund.trade_state(),
            refund.out_refund_no(),
            refund.refund(),
            refund.fee()
        ),
        ("REFUND", Some("REFUND-0001"), Some(500), -3_000)
    );
    assert_eq!(
        (rows[1].settlement_total(), rows[1].fee(), rows[1].device_info()),
        (2550, 15_000, "POS-01")
    );
    assert_eq!(rows[0].attach(), "attach-a");
    assert_eq!(rows[0].body(), "测试商品A");
    assert_eq!(
        (summary.rows, summary.settlement_total, summary.refund, summary.fee),
        (3, Some(3550), Some(500), Some(18_000))
    );
    // SUCCESS: a coupon; REFUND: its refund times; the service provider's: 特约商户号.
    let (rows, _) = read_all(&trade[1].1).unwrap();
    assert_eq!(
        (rows[2].coupon(), rows[2].total(), rows[2].refund()),
        (200, Some(2000), None)
    );
    let (rows, summary) = read_all(&trade[2].1).unwrap();
    assert_eq!(rows[0].refund_apply_time(), Some("2026-01-05 10:00:00"));
    assert_eq!(summary.fee, Some(-12_000));
    let (rows, _) = read_all(&trade[3].1).unwrap();
    let subs: Vec<&str> = rows.iter().map(|r| r.sub_mchid()).collect();
    assert_eq!(subs, ["1900000201", "1900000202", "1900000201"]);
}

/// A bill of the given detail lines (values without backquotes) and summary values, built as
/// the platform builds one.
fn bill(header: &str, rows: &[&str], summary_header: &str, summary: &str) -> Vec<u8> {
    let quote = |line: &str| line.split(',').map(|v| format!("`{v}")).collect::<Vec<_>>().join(",");
    let mut text = format!("\u{feff}{header}\r\n");
    for row in rows {
        text.push_str(&quote(row));
        text.push_str("\r\n");
    }
    text.push_str(summary_header);
    text.push_str("\r\n");
    text.push_str(&quote(summary));
    text.push_str("\r\n");
    text.into_bytes()
}

const HEADER: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注,新的列";
const SUMMARY: &str = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";

fn payment(amount: &str, fee: &str) -> String {
    format!("2026-01-05 09:12:03,wx1,1900000001,0,,4200,T-1,o1,JSAPI,SUCCESS,OTHERS,CNY,{amount},0.00,中文商品，含逗号,{{\"k\":\"v\"}},{fee},0.60%,{amount},,x")
}

#[test]
fn a_hand_made_bill_keeps_unknown_columns_and_chinese_and_json_values() {
    let row = payment("10.00", "0.06000");
    let bytes = bill(HEADER, &[&row], SUMMARY, "1,10.00,0.00,0.00,0.06000,10.00,0.00");
    let (rows, summary) = read_all(&bytes).unwrap();
    assert_eq!(rows[0].body(), "中文商品，含逗号");
    assert_eq!(rows[0].attach(), r#"{"k":"v"}"#);
    assert_eq!(rows[0].extra(), [("新的列".to_owned(), "x".to_owned())]);
    assert_eq!((rows[0].refund(), summary.refund), (None, Some(0)));
    // Debug withholds the payer and the amounts.
    let debug = format!("{:?}", rows[0]);
    assert!(
        debug.contains("T-1") && !debug.contains("o1") && !debug.contains("1000"),
        "{debug}"
    );
}

#[test]
fn a_wrong_bill_is_an_error_naming_its_line_and_column() {
    let fine = payment("10.00", "0.06000");
    let cases: Vec<(Vec<u8>, &str)> = vec![
        // A value with more decimals than its column allows: never rounded.
        (
            bill(
                HEADER,
                &[&payment("10.005", "0.06000")],
                SUMMARY,
                "1,10.00,0.00,0.00,0.06000,10.00,0.00",
            ),
            "line 2, column 应结订单金额: \"10.005\" has 3 decimals where this column has 2",
        ),
        (
            bill(
                HEADER,
                &[&payment("10.00", "0.06")],
                SUMMARY,
                "1,10.00,0.00,0.00,0.06000,10.00,0.00",
            ),
            "line 2, column 手续费: \"0.06\" has 2 decimals where this column has 5",
        ),
        // A summary that does not add up: which total, by how much.
        (
            bill(HEADER, &[&fine], SUMMARY, "1,10.01,0.00,0.00,0.06000,10.00,0.00"),
            "line 4, column 应结订单总金额: the summary says 10.01, the rows add up to 10.00 (off by 0.01)",
        ),
        (
            bill(HEADER, &[&fine], SUMMARY, "2,10.00,0.00,0.00,0.06000,10.00,0.00"),
            "line 4, column 总交易单数: the summary says 2 rows, the bill has 1",
        ),
        // A required column missing.
        (
            bill(
                &HEADER.replace("商户订单号", "别的"),
                &[&fine],
                SUMMARY,
                "1,10.00,0.00,0.00,0.06000,10.00,0.00",
            ),
            "line 1, column 商户订单号: this column is missing from the header",
        ),
        // A row short of a value.
        (
            bill(
                HEADER,
                &[&fine[..fine.rfind(',').unwrap()]],
                SUMMARY,
                "1,10.00,0.00,0.00,0.06000,10.00,0.00",
            ),
            "line 2: 20 values where the header has 21 columns",
        ),
        // Not a trade bill.
        (
            b"\xef\xbb\xbf\xe8\xae\xb0\xe8\xb4\xa6\xe6\x97\xb6\xe9\x97\xb4\r\n".to_vec(),
            "line 1: not a trade bill",
        ),
    ];
    for (bytes, expected) in cases {
        let error = match TradeBill::new(bytes.as_slice()) {
            Err(e) => e,
            Ok(mut bill) => bill.find_map(Result::err).expect("an error"),
        };
        assert!(error.to_string().starts_with(expected), "{error} (expected {expected})");
    }
    // Cut short: the summary never comes.
    let full = bill(HEADER, &[&fine, &fine], SUMMARY, "2,20.00,0.00,0.00,0.12000,20.00,0.00");
    let cut = &full[..full.len() / 2];
    let error = TradeBill::new(cut).unwrap().find_map(Result::err).expect("an error");
    assert!(
        error.to_string().contains("without its summary") || error.line.is_some(),
        "{error}"
    );
}

#[test]
fn the_documented_fund_flow_bill_reads_and_adds_up() {
    let examples = documented_examples();
    let Some((_, bytes)) = examples
        .iter()
        .find(|(_, bytes)| bytes.starts_with("\u{feff}记账时间".as_bytes()))
    else {
        return;
    };
    let mut bill = FundFlowBill::new(bytes.as_slice()).unwrap();
    let rows: Vec<_> = bill.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(
        (rows[0].income(), rows[0].amount(), rows[0].balance()),
        (true, 1000, 11_000)
    );
    assert_eq!((rows[1].business_type(), rows[1].amount()), ("扣除交易手续费", 6));
    assert_eq!(rows[2].voucher(), "REFUND-0001");
    let summary = bill.summary().unwrap();
    assert_eq!(
        (summary.rows, summary.income, summary.expenses, summary.expense),
        (3, 1000, 2, 506)
    );
    // Changed by a fen: the total that does not add up is named.
    let text = String::from_utf8(bytes.clone())
        .unwrap()
        .replace("`2,`5.06", "`2,`5.07");
    let error = FundFlowBill::new(text.as_bytes())
        .unwrap()
        .find_map(Result::err)
        .unwrap();
    assert!(error.to_string().contains("column 支出金额"), "{error}");
}

/// `RECHARGE_REFUND` (one source: 子商户号, 返还手续费, no 费率备注) reads with the trade
/// layout's older names.
#[test]
fn a_recharge_refund_bill_reads_with_its_own_column_names() {
    const RECHARGE_REFUND: &str = "交易时间,公众账号ID,商户号,子商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,退款申请时间,退款成功时间,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,返还手续费,费率,订单金额,申请退款金额";
    let row = "2026-01-05 09:12:03,wx1,1900000001,0,,4200,T-1,o1,JSAPI,REFUND,OTHERS,CNY,0.00,0.00,2026-01-05 10:00:00,2026-01-05 10:00:05,5030,R-1,3.00,1.00,ORIGINAL,SUCCESS,商品,,-0.02000,0.60%,0.00,3.00";
    let bytes = bill(RECHARGE_REFUND, &[row], SUMMARY, "1,0.00,3.00,1.00,-0.02000,0.00,3.00");
    let (rows, summary) = read_all(&bytes).unwrap();
    assert_eq!(
        (
            rows[0].sub_mchid(),
            rows[0].fee(),
            rows[0].coupon_refund(),
            rows[0].rate_note()
        ),
        ("0", -2_000, Some(100), None)
    );
    assert_eq!(summary.coupon_refund, Some(100));
}
