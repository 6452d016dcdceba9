//! Bills built from the simulator's own orders and refunds, in the platform's format
//! (`../shared/reference/BILLS.md`: a BOM, CRLF after every line, a backquote before every value
//! of a detail or summary row, amounts in yuan, fees with five decimals, the summary last).
//!
//! - `GET /v3/bill/tradebill` (`bill_type` `ALL`, `SUCCESS`, `REFUND`; a service provider's covers
//!   its sub-merchants, or the one `sub_mchid` asks for): a payment row per order paid that day
//!   (Beijing time), a refund row per refund accepted that day;
//! - `GET /v3/bill/fundflowbill` (`BASIC`): a direct merchant's account: the payment's income,
//!   its fee, the refund's expense, with the balance after each;
//! - APIv2 `pay/downloadbill` (`ALL`, `SUCCESS`, `REFUND`) and `pay/downloadfundflow` (`Basic`):
//!   the same bills, as the answer itself.
//!
//! The apply answer is `{hash_type: SHA1, hash_value, download_url}`, the SHA-1 of the bill as
//! built (before gzip); the URL (`/v3/billdownload/file?token=…`) answers the bytes, gzipped when
//! `tar_type=GZIP` was asked, to the merchant who asked only. A day with nothing in it answers
//! `400 NO_STATEMENT_EXIST`, as the platform does; so do the bill types and accounts the simulator
//! has no movements for (`RECHARGE_REFUND`, the `*_SPECIAL` bills, `OPERATION`, `FEES`).
//!
//! Choices where the facts are silent: the fee is 0.60 % of the amount, rounded half up to the fen
//! (a refund's is negative); the paying bank is `OTHERS`; the balance starts at 0.00 before the
//! simulator's first movement; in a value, `,` becomes `\ `, CR and LF the texts `\r`, `\n`.

use std::io::Write as _;

use serde_json::{json, Value};

use super::{Order, Refund, Simulator};
use crate::mock::{Reply, Tamper};

/// The fee rate, in ten-thousandths.
const FEE_RATE: i64 = 60;

pub(crate) const TRADE_ALL: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
const TRADE_SUCCESS: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,商品名称,商户数据包,手续费,费率,订单金额,费率备注";
const TRADE_REFUND: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,退款申请时间,退款成功时间,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
pub(crate) const TRADE_SUMMARY: &str =
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";
const FUND: &str = "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元),资金变更提交申请人,备注,业务凭证号";
const FUND_SUMMARY: &str = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额";

/// A bill built, waiting for its download.
#[derive(Clone, Debug)]
pub(super) struct BillFile {
    /// Who asked for it (only they may download it).
    merchant: String,
    bytes: Vec<u8>,
    gzip: bool,
}

/// The trade bill's kinds the simulator builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TradeBillType {
    All,
    Success,
    Refund,
}

impl TradeBillType {
    /// `ALL`, `SUCCESS`, `REFUND`; `None` for the others (the simulator has nothing for them).
    pub fn parse(text: &str) -> Option<TradeBillType> {
        match text {
            "ALL" => Some(TradeBillType::All),
            "SUCCESS" => Some(TradeBillType::Success),
            "REFUND" => Some(TradeBillType::Refund),
            _ => None,
        }
    }
}

impl Simulator {
    /// The bill operations, or `None` for another.
    pub(crate) fn bills(
        &self,
        method: &str,
        template: &str,
        query: &[(String, String)],
        caller: &str,
    ) -> Option<Reply> {
        let get = |name: &str| field(query, name);
        let bill_date = get("bill_date").unwrap_or_default();
        let gzip = get("tar_type") == Some("GZIP");
        let built = match (method, template) {
            ("GET", "/v3/bill/tradebill") => {
                let kind = get("bill_type").unwrap_or("ALL");
                TradeBillType::parse(kind).and_then(|kind| self.trade_bill(caller, get("sub_mchid"), bill_date, kind))
            }
            ("GET", "/v3/bill/fundflowbill") => match get("account_type").unwrap_or("BASIC") {
                "BASIC" => self.fund_flow_bill(caller, bill_date),
                _ => None,
            },
            ("GET", "/v3/billdownload/file") => {
                return Some(self.bill_download(caller, get("token").unwrap_or_default()))
            }
            ("GET", "/v3/bill/sub-merchant-fundflowbill") => {
                return Some(self.sub_merchant_fund_flow_bill(caller, query))
            }
            _ => return None,
        };
        let Some(bytes) = built else {
            return Some(Reply::error(400, "NO_STATEMENT_EXIST", "请求的账单文件不存在"));
        };
        let hash_value = sha1_hex(&bytes);
        Some(Reply::json(
            200,
            json!({
                "hash_type": "SHA1",
                "hash_value": hash_value,
                "download_url": self.keep_for_download(caller, bytes, gzip),
            }),
        ))
    }

    /// Keeps a built bill (or a part of an encrypted one) for `caller`'s download: its
    /// `download_url`, served gzipped when `gzip`.
    pub(super) fn keep_for_download(&self, caller: &str, bytes: Vec<u8>, gzip: bool) -> String {
        let token = {
            let mut state = self.state();
            state.sequence += 1;
            let token = format!("SANDBOX{:016X}{:08}", crate::notify::unix_now(), state.sequence);
            let merchant = caller.to_owned();
            state.bills.insert(token.clone(), BillFile { merchant, bytes, gzip });
            token
        };
        let tartype = if gzip { "&tartype=gzip" } else { "" };
        format!("https://api.mch.weixin.qq.com/v3/billdownload/file?token={token}{tartype}")
    }

    /// APIv2 `pay/downloadbill` (its sign checked): the trade bill itself (gzipped for
    /// `tar_type=GZIP`), or the platform's `No Bill Exist`.
    pub(crate) fn apiv2_bill(&self, fields: &[(String, String)]) -> Reply {
        let get = |name: &str| field(fields, name);
        let kind = TradeBillType::parse(get("bill_type").unwrap_or("ALL"));
        let built = match (kind, v2_date(get("bill_date"))) {
            (Some(kind), Some(date)) => {
                self.trade_bill(get("mch_id").unwrap_or_default(), get("sub_mch_id"), &date, kind)
            }
            _ => None,
        };
        match built {
            Some(bytes) => v2_file(bytes, get("tar_type") == Some("GZIP")),
            None => v2_failure(
                b"<xml><return_code><![CDATA[FAIL]]></return_code><return_msg><![CDATA[No Bill Exist]]></return_msg><error_code><![CDATA[20002]]></error_code></xml>",
            ),
        }
    }

    /// APIv2 `pay/downloadfundflow` (its HMAC-SHA256 sign checked): the basic account's fund
    /// flow (`account_type` `Basic`) itself, or `result_code` `FAIL` / `NO_BILL_EXIST` (the
    /// form the API description gives; unconfirmed by a capture).
    pub(crate) fn apiv2_fund_flow_bill(&self, fields: &[(String, String)]) -> Reply {
        let get = |name: &str| field(fields, name);
        let built = match (get("account_type"), v2_date(get("bill_date"))) {
            (Some("Basic"), Some(date)) => self.fund_flow_bill(get("mch_id").unwrap_or_default(), &date),
            _ => None,
        };
        match built {
            Some(bytes) => v2_file(bytes, get("tar_type") == Some("GZIP")),
            None => v2_failure(
                "<xml><return_code><![CDATA[SUCCESS]]></return_code><return_msg><![CDATA[OK]]></return_msg><result_code><![CDATA[FAIL]]></result_code><err_code><![CDATA[NO_BILL_EXIST]]></err_code><err_code_des><![CDATA[账单不存在]]></err_code_des></xml>".as_bytes(),
            ),
        }
    }

    /// The file behind a `download_url`: unsigned, as the platform sends it.
    fn bill_download(&self, caller: &str, token: &str) -> Reply {
        let file = self.state().bills.get(token).cloned();
        match file {
            None => Reply::error(
                400,
                "INVALID_REQUEST",
                "the download URL is not one this sandbox handed out",
            ),
            Some(file) if file.merchant != caller => Reply::error(403, "NO_AUTH", "this bill is another merchant's"),
            Some(file) if file.gzip => {
                Reply::raw(200, "application/x-gzip", gzip(&file.bytes)).tamper(Tamper::Unsigned)
            }
            Some(file) => Reply::raw(200, "text/plain", file.bytes).tamper(Tamper::Unsigned),
        }
    }

    /// The trade bill of `caller` (and of `sub_mchid` only, when given) for `bill_date`
    /// (`yyyy-MM-dd`), or `None` when nothing happened that day.
    pub fn trade_bill(
        &self,
        caller: &str,
        sub_mchid: Option<&str>,
        bill_date: &str,
        kind: TradeBillType,
    ) -> Option<Vec<u8>> {
        let state = self.state();
        let mine = |merchant: &str| belongs(merchant, caller, sub_mchid);
        let mut rows: Vec<(i64, Vec<String>, Totals)> = Vec::new();
        if kind != TradeBillType::Refund {
            for ((merchant, _), order) in &state.orders {
                let Some(paid) = order.success_time.filter(|t| mine(merchant) && day(*t) == bill_date) else {
                    continue;
                };
                rows.push((paid, payment_row(merchant, order, kind), Totals::payment(order.total())));
            }
        }
        if kind != TradeBillType::Success {
            for ((_, _), refund) in state.refunds.iter() {
                if !mine(&refund.merchant) || day(refund.create_time) != bill_date {
                    continue;
                }
                let Some(order) = state
                    .orders
                    .get(&(refund.merchant.clone(), refund.out_trade_no.clone()))
                else {
                    continue;
                };
                rows.push((
                    refund.create_time,
                    refund_row(refund, order, kind),
                    Totals::refund(refund.refund),
                ));
            }
        }
        if rows.is_empty() {
            return None;
        }
        rows.sort_by_key(|(time, _, _)| *time);
        let header = match kind {
            TradeBillType::All => TRADE_ALL,
            TradeBillType::Success => TRADE_SUCCESS,
            TradeBillType::Refund => TRADE_REFUND,
        };
        let mut sum = Totals::default();
        let mut bill = Bill::new(header);
        for (_, row, totals) in &rows {
            bill.row(row);
            sum.add(totals);
        }
        bill.summary(TRADE_SUMMARY, &sum.summary(rows.len()));
        Some(bill.into_bytes())
    }

    /// The basic account's fund flow of `account` for `bill_date`: a direct merchant's
    /// (`mchid`), or a service provider's sub-merchant's (`sp/sub`, as its orders are kept).
    pub fn fund_flow_bill(&self, account: &str, bill_date: &str) -> Option<Vec<u8>> {
        let state = self.state();
        // Every movement of the account, in time order, for the balance after each.
        let mut movements: Vec<Movement> = Vec::new();
        for ((merchant, out_trade_no), order) in &state.orders {
            let (Some(paid), Some(transaction_id)) = (order.success_time, order.transaction_id.as_deref()) else {
                continue;
            };
            if merchant != account {
                continue;
            }
            let (total, fee) = (order.total(), fee(order.total()));
            movements.push(Movement {
                time: paid,
                business_id: transaction_id.to_owned(),
                flow_id: transaction_id.to_owned(),
                name: "交易",
                kind: "交易",
                income: true,
                amount: total,
                by: "system".into(),
                note: format!("结算总金额 {} 元;含手续费 {} 元", yuan(total), yuan(fee)),
                voucher: out_trade_no.clone(),
            });
            movements.push(Movement {
                time: paid,
                business_id: transaction_id.to_owned(),
                flow_id: format!("FLOW-{transaction_id}-FEE"),
                name: "交易",
                kind: "扣除交易手续费",
                income: false,
                amount: fee,
                by: "system".into(),
                note: String::new(),
                voucher: out_trade_no.clone(),
            });
        }
        for refund in state.refunds.values().filter(|r| r.merchant == account) {
            movements.push(Movement {
                time: refund.create_time,
                business_id: refund.refund_id.clone(),
                flow_id: format!("FLOW-{}", refund.refund_id),
                name: "退款",
                kind: "退款",
                income: false,
                amount: refund.refund,
                by: format!("{}API", account.rsplit('/').next().unwrap_or(account)),
                note: format!(
                    "退款总金额{}元;含手续费{}元",
                    yuan(refund.refund),
                    yuan(fee(refund.refund))
                ),
                voucher: refund.out_refund_no.clone(),
            });
        }
        movements.sort_by_key(|m| m.time);
        let mut balance = 0;
        let mut bill = Bill::new(FUND);
        let (mut count, mut incomes, mut income, mut expenses, mut expense) = (0, 0, 0, 0, 0);
        for m in &movements {
            balance += if m.income { m.amount } else { -m.amount };
            if day(m.time) != bill_date {
                continue;
            }
            count += 1;
            if m.income {
                (incomes, income) = (incomes + 1, income + m.amount);
            } else {
                (expenses, expense) = (expenses + 1, expense + m.amount);
            }
            bill.row(&[
                crate::notify::beijing_time(m.time),
                m.business_id.clone(),
                m.flow_id.clone(),
                m.name.into(),
                m.kind.into(),
                if m.income { "收入" } else { "支出" }.into(),
                yuan(m.amount),
                yuan(balance),
                m.by.clone(),
                m.note.clone(),
                m.voucher.clone(),
            ]);
        }
        if count == 0 {
            return None;
        }
        bill.summary(
            FUND_SUMMARY,
            &[
                count.to_string(),
                incomes.to_string(),
                yuan(income),
                expenses.to_string(),
                yuan(expense),
            ],
        );
        Some(bill.into_bytes())
    }
}

/// Whether an order or refund of `merchant` (`mchid`, or a service provider's `sp/sub`) is in
/// the bill of `caller` (and of `sub_mchid`, when given).
fn belongs(merchant: &str, caller: &str, sub_mchid: Option<&str>) -> bool {
    match merchant.split_once('/') {
        Some((sp, sub)) => sp == caller && sub_mchid.is_none_or(|s| s == sub),
        None => merchant == caller && sub_mchid.is_none(),
    }
}

/// The columns both row kinds share up to 货币种类, in the bill's order.
fn order_columns(merchant: &str, order: &Order, state: &str) -> Vec<String> {
    let r = &order.request;
    let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
    let (mchid, sub_mchid) = merchant.split_once('/').unwrap_or((merchant, "0"));
    vec![
        text(if order.partner { &r["sp_appid"] } else { &r["appid"] }),
        mchid.to_owned(),
        sub_mchid.to_owned(),
        text(&r["scene_info"]["device_id"]),
        order.transaction_id.clone().unwrap_or_default(),
        text(&r["out_trade_no"]),
        order.openid.clone().unwrap_or_default(),
        order.trade_type.clone(),
        state.to_owned(),
        "OTHERS".into(),
        r["amount"]["currency"].as_str().unwrap_or("CNY").to_owned(),
    ]
}

/// A payment's row.
fn payment_row(merchant: &str, order: &Order, kind: TradeBillType) -> Vec<String> {
    let total = order.total();
    let mut row = vec![crate::notify::beijing_time(order.success_time.unwrap_or_default())];
    row.extend(order_columns(merchant, order, "SUCCESS"));
    row.extend([yuan(total), yuan(0)]);
    if kind == TradeBillType::All {
        row.extend(["0".into(), "0".into(), yuan(0), yuan(0), String::new(), String::new()]);
    }
    row.extend([
        order.request["description"].as_str().unwrap_or_default().to_owned(),
        order.request["attach"].as_str().unwrap_or_default().to_owned(),
        fee_text(fee(total)),
        rate(),
        yuan(total),
    ]);
    if kind == TradeBillType::All {
        row.push(yuan(0));
    }
    row.push(String::new());
    row
}

/// A refund's row (in `ALL` at the refund's time; in `REFUND` at the payment's, with the
/// refund's own times).
fn refund_row(refund: &Refund, order: &Order, kind: TradeBillType) -> Vec<String> {
    let at = match kind {
        TradeBillType::Refund => order.success_time.unwrap_or(refund.create_time),
        _ => refund.create_time,
    };
    let mut row = vec![crate::notify::beijing_time(at)];
    row.extend(order_columns(&refund.merchant, order, "REFUND"));
    row.extend([yuan(0), yuan(0)]);
    if kind == TradeBillType::Refund {
        row.extend([
            crate::notify::beijing_time(refund.create_time),
            refund.success_time.map(crate::notify::beijing_time).unwrap_or_default(),
        ]);
    }
    row.extend([
        refund.refund_id.clone(),
        refund.out_refund_no.clone(),
        yuan(refund.refund),
        yuan(0),
        "ORIGINAL".into(),
        refund.status.clone(),
        order.request["description"].as_str().unwrap_or_default().to_owned(),
        order.request["attach"].as_str().unwrap_or_default().to_owned(),
        fee_text(-fee(refund.refund)),
        rate(),
        yuan(0),
        yuan(refund.refund),
        String::new(),
    ]);
    row
}

/// One movement of a fund-flow bill.
struct Movement {
    time: i64,
    business_id: String,
    flow_id: String,
    name: &'static str,
    kind: &'static str,
    income: bool,
    amount: i64,
    by: String,
    note: String,
    voucher: String,
}

/// The trade bill's summable columns, in fen.
#[derive(Default)]
pub(crate) struct Totals {
    settled: i64,
    refunded: i64,
    fee: i64,
    ordered: i64,
    asked: i64,
}

impl Totals {
    pub(crate) fn payment(total: i64) -> Totals {
        Totals {
            settled: total,
            fee: fee(total),
            ordered: total,
            ..Totals::default()
        }
    }

    pub(crate) fn refund(refund: i64) -> Totals {
        Totals {
            refunded: refund,
            fee: -fee(refund),
            asked: refund,
            ..Totals::default()
        }
    }

    pub(crate) fn add(&mut self, other: &Totals) {
        self.settled += other.settled;
        self.refunded += other.refunded;
        self.fee += other.fee;
        self.ordered += other.ordered;
        self.asked += other.asked;
    }

    pub(crate) fn summary(&self, rows: usize) -> Vec<String> {
        vec![
            rows.to_string(),
            yuan(self.settled),
            yuan(self.refunded),
            yuan(0),
            fee_text(self.fee),
            yuan(self.ordered),
            yuan(self.asked),
        ]
    }
}

/// A bill being written: the BOM, CRLF lines, backquoted values.
struct Bill(String);

impl Bill {
    fn new(header: &str) -> Bill {
        Bill(format!("\u{feff}{header}\r\n"))
    }

    fn row(&mut self, values: &[String]) {
        let cells: Vec<String> = values.iter().map(|v| format!("`{}", escape(v))).collect();
        self.0.push_str(&cells.join(","));
        self.0.push_str("\r\n");
    }

    fn summary(&mut self, header: &str, values: &[String]) {
        self.0.push_str(header);
        self.0.push_str("\r\n");
        self.row(values);
    }

    fn into_bytes(self) -> Vec<u8> {
        self.0.into_bytes()
    }
}

/// A value as the bill writes it: no comma, no line break (see the module's note).
fn escape(value: &str) -> String {
    value
        .replace('\u{1}', " ")
        .replace('\r', "\\r")
        .replace('\n', "\\n")
        .replace(',', "\\ ")
}

/// The fee of `amount` fen, in fen (rounded half up).
pub(crate) fn fee(amount: i64) -> i64 {
    (amount * FEE_RATE + 5_000) / 10_000
}

pub(crate) fn rate() -> String {
    format!("{}.{:02}%", FEE_RATE / 100, FEE_RATE % 100)
}

/// Fen as yuan with two decimals (`-0.27`).
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.abs() / 100, fen.abs() % 100)
}

/// A fee in fen as the bill writes it, five decimals (`-0.27000`).
pub(crate) fn fee_text(fen: i64) -> String {
    format!("{}000", yuan(fen))
}

/// `yyyy-MM-dd`, Beijing time.
pub fn day(unix: i64) -> String {
    crate::notify::rfc3339_beijing(unix)[..10].to_owned()
}

/// A request's field (an APIv2 body's, or a query parameter), by name.
pub(super) fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

/// APIv2's `yyyyMMdd` as `yyyy-MM-dd`, or `None` when it is not a date.
fn v2_date(date: Option<&str>) -> Option<String> {
    let date = date.filter(|d| d.len() == 8 && d.bytes().all(|b| b.is_ascii_digit()))?;
    Some(format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..]))
}

/// An APIv2 bill answered as the file itself: unsigned, gzipped when asked.
fn v2_file(bytes: Vec<u8>, gzipped: bool) -> Reply {
    if gzipped {
        return Reply::raw(200, "application/x-gzip", gzip(&bytes)).tamper(Tamper::Unsigned);
    }
    Reply::raw(200, "text/plain;charset=utf-8", bytes).tamper(Tamper::Unsigned)
}

/// An APIv2 bill's failure: XML in place of the file, unsigned.
fn v2_failure(xml: &[u8]) -> Reply {
    Reply::raw(200, "text/xml", xml.to_vec()).tamper(Tamper::Unsigned)
}

pub(super) fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("gzip in memory");
    encoder.finish().expect("gzip in memory")
}

/// A bill's `hash_value`: its SHA-1, hex.
pub(super) fn sha1_hex(bytes: &[u8]) -> String {
    crate::hex_digest(&aws_lc_rs::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes)
}
