//! Merchant transfer bills (商家转账, user-confirmation mode): `POST
//! /v3/fund-app/mch-transfer/transfer-bills` creates a bill `WAIT_USER_CONFIRM` with the
//! `package_info` the user's WeChat confirms it with (the same `out_bill_no` and body again: the
//! same answer; another body: `INVALID_REQUEST`); the queries by `out_bill_no` and by
//! `transfer_bill_no` answer it as it is now; `…/cancel` cancels it until it is done. The user's
//! side is the control API's `POST /sandbox/transfer-bills/{out_bill_no}/confirm` (body optional:
//! `{"outcome": "SUCCESS" | "FAIL", "fail_reason": …}`), which ends it and delivers
//! `MCHTRANSFER.BILL.FINISHED` to its `notify_url`, as a cancel does.
//!
//! Checked as the platform documents: an amount above 0, and from 2,000 yuan the payee's
//! `user_name` (encrypted). The scene's own rules (its limits, its report fields) are not.

use serde_json::{json, Value};

use super::Simulator;
use crate::mock::Reply;

/// A transfer bill, as the simulator remembers it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct TransferBill {
    /// The merchant who made it.
    pub mchid: String,
    /// The create request's body, as sent.
    pub request: Value,
    pub transfer_bill_no: String,
    /// `WAIT_USER_CONFIRM`, `SUCCESS`, `FAIL`, `CANCELLED`.
    pub state: String,
    pub fail_reason: Option<String>,
    /// Unix seconds.
    pub create_time: i64,
    pub update_time: i64,
    pub package_info: String,
}

impl TransferBill {
    /// The bill as the queries answer it (and its notification carries it).
    pub fn answer(&self) -> Value {
        let r = &self.request;
        let mut answer = json!({
            "mch_id": self.mchid,
            "out_bill_no": r["out_bill_no"],
            "transfer_bill_no": self.transfer_bill_no,
            "appid": r["appid"],
            "state": self.state,
            "transfer_amount": r["transfer_amount"],
            "transfer_remark": r["transfer_remark"],
            "openid": r["openid"],
            "create_time": crate::notify::rfc3339_beijing(self.create_time),
            "update_time": crate::notify::rfc3339_beijing(self.update_time),
        });
        if let Some(reason) = &self.fail_reason {
            answer["fail_reason"] = reason.clone().into();
        }
        answer
    }

    /// What the create answers.
    fn created(&self) -> Value {
        json!({
            "out_bill_no": self.request["out_bill_no"],
            "transfer_bill_no": self.transfer_bill_no,
            "create_time": crate::notify::rfc3339_beijing(self.create_time),
            "state": self.state,
            "package_info": self.package_info,
        })
    }
}

/// From this amount (fen) the payee's name is required.
const NAME_REQUIRED_FROM: i64 = 200_000;

impl Simulator {
    /// The transfer-bill operations, or `None` for another.
    pub(crate) fn transfers(
        &self,
        method: &str,
        template: &str,
        values: &[(String, String)],
        caller: &str,
        body: Option<&Value>,
    ) -> Option<Reply> {
        let param = |name: &str| values.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
        const BILLS: &str = "/v3/fund-app/mch-transfer/transfer-bills";
        let rest = template.strip_prefix(BILLS)?;
        Some(match (method, rest) {
            ("POST", "") => self.create_transfer(caller, body?),
            ("GET", "/out-bill-no/{out_bill_no}") => {
                let key = (caller.to_owned(), param("out_bill_no")?);
                match self.state().transfers.get(&key) {
                    Some(bill) => Reply::json(200, bill.answer()),
                    None => not_found(),
                }
            }
            ("GET", "/transfer-bill-no/{transfer_bill_no}") => {
                let number = param("transfer_bill_no")?;
                let state = self.state();
                match state
                    .transfers
                    .values()
                    .find(|b| b.mchid == caller && b.transfer_bill_no == number)
                {
                    Some(bill) => Reply::json(200, bill.answer()),
                    None => not_found(),
                }
            }
            ("POST", "/out-bill-no/{out_bill_no}/cancel") => {
                let out_bill_no = param("out_bill_no")?;
                match self.end_transfer(Some(caller), &out_bill_no, "CANCELLED", Some("MCH_CANCEL")) {
                    Ok(bill) => Reply::json(
                        200,
                        json!({
                            "out_bill_no": out_bill_no,
                            "transfer_bill_no": bill.transfer_bill_no,
                            "state": bill.state,
                            "update_time": crate::notify::rfc3339_beijing(bill.update_time),
                        }),
                    ),
                    Err(why) => why.reply(),
                }
            }
            _ => return None,
        })
    }

    fn create_transfer(&self, caller: &str, body: &Value) -> Reply {
        let out_bill_no = body["out_bill_no"].as_str().unwrap_or_default().to_owned();
        let amount = body["transfer_amount"].as_i64().unwrap_or(0);
        if amount <= 0 {
            return Reply::error(400, "PARAM_ERROR", "transfer_amount is a number of fen above 0");
        }
        if amount >= NAME_REQUIRED_FROM && body["user_name"].as_str().is_none_or(str::is_empty) {
            return Reply::error(
                400,
                "PARAM_ERROR",
                "转账金额>=2000元时，必须填写收款用户姓名 (user_name, encrypted)",
            );
        }
        let now = self.now();
        let key = (caller.to_owned(), out_bill_no);
        let mut state = self.state();
        if let Some(bill) = state.transfers.get(&key) {
            return if bill.request == *body {
                Reply::json(200, bill.created())
            } else {
                Reply::error(
                    400,
                    "INVALID_REQUEST",
                    "商户单号重复: this out_bill_no was used with other fields",
                )
            };
        }
        state.sequence += 1;
        let mut package = [0u8; 24];
        aws_lc_rs::rand::fill(&mut package).expect("rand");
        let bill = TransferBill {
            mchid: caller.to_owned(),
            request: body.clone(),
            transfer_bill_no: format!("13300000{:032}", state.sequence),
            state: "WAIT_USER_CONFIRM".into(),
            fail_reason: None,
            create_time: now,
            update_time: now,
            package_info: base64::Engine::encode(&base64::engine::general_purpose::STANDARD, package),
        };
        let created = bill.created();
        state.transfers.insert(key, bill);
        Reply::json(200, created)
    }

    /// The user confirms the transfer `out_bill_no` (the control API): it ends `SUCCESS`, or
    /// `FAIL` with `fail_reason`, and its notification is delivered.
    pub(crate) fn confirm_transfer(&self, out_bill_no: &str, body: &Value) -> Reply {
        let (state, reason) = match body["outcome"].as_str().unwrap_or("SUCCESS") {
            "SUCCESS" => ("SUCCESS", None),
            "FAIL" => (
                "FAIL",
                Some(body["fail_reason"].as_str().unwrap_or("PAYEE_ACCOUNT_ABNORMAL")),
            ),
            _ => return Reply::error(400, "PARAM_ERROR", "outcome is SUCCESS or FAIL"),
        };
        match self.end_transfer(None, out_bill_no, state, reason) {
            Ok(bill) => Reply::json(200, bill.answer()),
            Err(why) => why.reply(),
        }
    }

    /// Ends a transfer bill waiting for its user (of `caller`, when given) and delivers its
    /// notification.
    fn end_transfer(
        &self,
        caller: Option<&str>,
        out_bill_no: &str,
        state: &str,
        fail_reason: Option<&str>,
    ) -> Result<TransferBill, NotEnded> {
        let now = self.now();
        let bill = {
            let mut memory = self.state();
            let Some(bill) = memory
                .transfers
                .iter_mut()
                .find(|((mchid, no), _)| no == out_bill_no && caller.is_none_or(|c| c == mchid))
                .map(|(_, bill)| bill)
            else {
                return Err(NotEnded::NotFound);
            };
            if bill.state != "WAIT_USER_CONFIRM" {
                return Err(NotEnded::Done(bill.state.clone()));
            }
            bill.state = state.to_owned();
            bill.fail_reason = fail_reason.map(str::to_owned);
            bill.update_time = now;
            bill.clone()
        };
        if let Some(url) = bill.request["notify_url"].as_str() {
            self.deliver("MCHTRANSFER.BILL.FINISHED", url, &bill.answer());
        }
        Ok(bill)
    }
}

/// Why a transfer bill cannot end.
enum NotEnded {
    NotFound,
    /// It has ended already, in this state.
    Done(String),
}

impl NotEnded {
    fn reply(&self) -> Reply {
        match self {
            NotEnded::NotFound => not_found(),
            NotEnded::Done(state) => {
                Reply::error(400, "INVALID_REQUEST", &format!("the transfer bill is {state} already"))
            }
        }
    }
}

fn not_found() -> Reply {
    Reply::error(404, "NOT_FOUND", "记录不存在")
}
