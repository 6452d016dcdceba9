//! Reconciliation (对账): a trade bill's rows against the merchant's own records, and the
//! differences: what only one side has, and what both have with another amount or state.
//!
//! A payment row is keyed by its `out_trade_no`, a refund row by its `out_trade_no` and
//! `out_refund_no`. Its amount is the one the merchant asked for: a payment's 订单金额 (older
//! bills: 总金额), a refund's 申请退款金额 (else 退款金额), in fen. Its state is the payment's
//! 交易状态 (`SUCCESS`, `REVOKED`) or the refund's 退款状态 (`SUCCESS`, …): records should keep
//! the platform's words.
//!
//! The records are held in memory (a key, an amount, a state each); the bill's rows are taken
//! one at a time ([`Reconciler::row`]), so a bill streamed from its download
//! ([`BillStream`](super::BillStream)) is never held whole.

use std::collections::HashMap;
use std::fmt;

use super::{BillError, TradeRow};

/// What a payment or a refund is known by.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Key {
    /// 商户订单号.
    pub out_trade_no: String,
    /// 商户退款单号, for a refund.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub out_refund_no: Option<String>,
}

/// One side's view of a payment or a refund.
#[derive(Clone, PartialEq, Eq, serde::Serialize)]
pub struct Entry {
    /// Fen.
    pub amount: i64,
    /// `SUCCESS`, `REVOKED`, … (see the module's note).
    pub state: String,
    /// Where it is: the bill's line, or the record's (as its reader numbers them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

impl fmt::Debug for Entry {
    /// The state and line; the amount is withheld.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Entry {{ state: {:?}, line: {:?}, .. }}", self.state, self.line)
    }
}

/// One of the merchant's own records.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// The payment or refund.
    pub key: Key,
    /// Its amount and state in the records.
    pub entry: Entry,
}

/// What kind of difference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DifferenceKind {
    /// The bill lists it, the records do not.
    OnlyInBill,
    /// The records have it, the bill does not list it.
    OnlyInRecords,
    /// Both have it, with other amounts.
    AmountDiffers,
    /// Both have it, in other states.
    StateDiffers,
    /// The bill lists it more than once (the later rows are in `bill`).
    TwiceInBill,
    /// The records have it more than once (the later one is in `records`).
    TwiceInRecords,
}

/// One difference between the bill and the records, with both sides' values where both
/// have it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Difference {
    /// What differs.
    pub kind: DifferenceKind,
    /// The payment or refund it is about.
    pub key: Key,
    /// The bill's side, when the bill lists it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bill: Option<Entry>,
    /// The records' side, when the records have it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<Entry>,
}

/// The key and the entry of a trade bill's row (see the module's note).
pub fn bill_entry(row: &TradeRow) -> (Key, Entry) {
    let refund = row.trade_state() == "REFUND";
    let key = Key {
        out_trade_no: row.out_trade_no().to_owned(),
        out_refund_no: if refund {
            row.out_refund_no().map(str::to_owned)
        } else {
            None
        },
    };
    let entry = if refund {
        Entry {
            amount: row.refund_requested().or(row.refund()).unwrap_or_default(),
            state: row.refund_status().unwrap_or_default().to_owned(),
            line: Some(row.line()),
        }
    } else {
        Entry {
            amount: row.total().unwrap_or(row.settlement_total()),
            state: row.trade_state().to_owned(),
            line: Some(row.line()),
        }
    };
    (key, entry)
}

/// The records, matched against a bill's rows one at a time.
pub struct Reconciler {
    /// Each record, and whether a row of the bill matched it.
    records: HashMap<Key, (Entry, bool)>,
    twice_in_records: Vec<Difference>,
}

impl Reconciler {
    /// Holds the `records` (a key given twice is a [`DifferenceKind::TwiceInRecords`]).
    pub fn new(records: impl IntoIterator<Item = Record>) -> Reconciler {
        let mut map = HashMap::new();
        let mut twice_in_records = Vec::new();
        for Record { key, entry } in records {
            match map.entry(key) {
                std::collections::hash_map::Entry::Occupied(seen) => twice_in_records.push(Difference {
                    kind: DifferenceKind::TwiceInRecords,
                    key: seen.key().clone(),
                    bill: None,
                    records: Some(entry),
                }),
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert((entry, false));
                }
            }
        }
        Reconciler {
            records: map,
            twice_in_records,
        }
    }

    /// The differences one row of the bill makes (none, one, or two: amount and state).
    pub fn row(&mut self, row: &TradeRow) -> Vec<Difference> {
        let (key, bill) = bill_entry(row);
        let difference = |kind, records: Option<&Entry>| Difference {
            kind,
            key: key.clone(),
            bill: Some(bill.clone()),
            records: records.cloned(),
        };
        let Some((records, matched)) = self.records.get_mut(&key) else {
            return vec![difference(DifferenceKind::OnlyInBill, None)];
        };
        if *matched {
            return vec![difference(DifferenceKind::TwiceInBill, Some(records))];
        }
        *matched = true;
        let mut out = Vec::new();
        if records.amount != bill.amount {
            out.push(difference(DifferenceKind::AmountDiffers, Some(records)));
        }
        if records.state != bill.state {
            out.push(difference(DifferenceKind::StateDiffers, Some(records)));
        }
        out
    }

    /// The records no row matched, and the records given twice, in the order of their keys.
    pub fn finish(self) -> Vec<Difference> {
        let mut out: Vec<Difference> = self
            .records
            .into_iter()
            .filter(|(_, (_, matched))| !matched)
            .map(|(key, (entry, _))| Difference {
                kind: DifferenceKind::OnlyInRecords,
                key,
                bill: None,
                records: Some(entry),
            })
            .chain(self.twice_in_records)
            .collect();
        out.sort_by(|a, b| a.key.cmp(&b.key));
        out
    }
}

/// Every difference between a trade bill's `rows` and the `records`: the rows' in the bill's
/// order, then the records' (see [`Reconciler`]). A bill that fails to read is the error.
pub fn reconcile(
    rows: impl IntoIterator<Item = Result<TradeRow, BillError>>,
    records: impl IntoIterator<Item = Record>,
) -> Result<Vec<Difference>, BillError> {
    let mut reconciler = Reconciler::new(records);
    let mut out = Vec::new();
    for row in rows {
        out.extend(reconciler.row(&row?));
    }
    out.extend(reconciler.finish());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bill::{Layout as _, Line, Trade};

    /// A row of an `ALL` bill, read by the trade bill's own layout.
    fn row(line: u64, out_trade_no: &str, refund: Option<&str>, amount: i64, state: &str) -> TradeRow {
        const HEADER: &str = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注";
        let yuan = format!("{}.{:02}", amount / 100, amount % 100);
        let text = match refund {
            Some(no) => format!(
                "t,wx,1,0,,42,{out_trade_no},o,JSAPI,REFUND,OTHERS,CNY,0.00,0.00,50,{no},{yuan},0.00,ORIGINAL,{state},b,,0.00000,0.60%,0.00,{yuan},"
            ),
            None => format!(
                "t,wx,1,0,,42,{out_trade_no},o,JSAPI,{state},OTHERS,CNY,{yuan},0.00,0,0,0.00,0.00,,,b,,0.00000,0.60%,{yuan},0.00,"
            ),
        };
        let mut layout = Trade::from_header(&Line::new(1, HEADER)).unwrap();
        layout.row(&Line::new(line, &text)).unwrap()
    }

    fn record(out_trade_no: &str, refund: Option<&str>, amount: i64, state: &str) -> Record {
        Record {
            key: Key {
                out_trade_no: out_trade_no.into(),
                out_refund_no: refund.map(str::to_owned),
            },
            entry: Entry {
                amount,
                state: state.into(),
                line: None,
            },
        }
    }

    #[test]
    fn each_kind_of_difference_with_both_sides() {
        let rows = vec![
            Ok(row(2, "A", None, 100, "SUCCESS")),
            Ok(row(3, "B", None, 200, "SUCCESS")),
            Ok(row(4, "A", Some("RA"), 50, "SUCCESS")),
            Ok(row(5, "C", None, 300, "REVOKED")),
            Ok(row(6, "D", None, 1, "SUCCESS")),
            Ok(row(7, "A", None, 100, "SUCCESS")),
        ];
        let records = vec![
            record("A", None, 100, "SUCCESS"),
            record("B", None, 201, "SUCCESS"),
            record("A", Some("RA"), 50, "SUCCESS"),
            record("C", None, 300, "SUCCESS"),
            record("E", None, 9, "SUCCESS"),
            record("E", None, 9, "SUCCESS"),
        ];
        let found = reconcile(rows, records).unwrap();
        let kinds: Vec<(DifferenceKind, &str)> = found.iter().map(|d| (d.kind, d.key.out_trade_no.as_str())).collect();
        assert_eq!(
            kinds,
            [
                (DifferenceKind::AmountDiffers, "B"),
                (DifferenceKind::StateDiffers, "C"),
                (DifferenceKind::OnlyInBill, "D"),
                (DifferenceKind::TwiceInBill, "A"),
                (DifferenceKind::OnlyInRecords, "E"),
                (DifferenceKind::TwiceInRecords, "E"),
            ]
        );
        let b = &found[0];
        assert_eq!(
            (b.bill.as_ref().unwrap().amount, b.records.as_ref().unwrap().amount),
            (200, 201)
        );
        assert_eq!(b.bill.as_ref().unwrap().line, Some(3));
        assert!(!format!("{b:?}").contains("201"), "amounts are withheld from Debug");
    }

    #[test]
    fn a_refund_is_not_its_payment() {
        let found = reconcile(
            vec![Ok(row(2, "A", Some("R1"), 50, "SUCCESS"))],
            vec![record("A", None, 50, "SUCCESS")],
        )
        .unwrap();
        let kinds: Vec<DifferenceKind> = found.iter().map(|d| d.kind).collect();
        assert_eq!(kinds, [DifferenceKind::OnlyInBill, DifferenceKind::OnlyInRecords]);
    }

    #[test]
    fn a_bill_that_fails_is_the_error() {
        let e = BillError::at(3, None, "bad");
        assert_eq!(reconcile(vec![Err(e.clone())], Vec::new()), Err(e));
    }
}
