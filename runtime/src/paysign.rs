//! Pay-sign helpers: the signed parameters a front end (JSAPI / mini program, APP) needs to
//! invoke payment for a `prepay_id`.

use super::client::Client;
use super::crypto::{self, Signer};
use super::error::Error;

/// The parameters of `WeixinJSBridge.invoke('getBrandWCPayRequest', …)` (JSAPI) and
/// `wx.requestPayment(…)` (mini program), serialised with the field names those APIs expect:
/// `appId`, `timeStamp`, `nonceStr`, `package`, `signType`, `paySign`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct JsapiPayParams {
    /// The app id the order was created with.
    #[serde(rename = "appId")]
    pub app_id: String,
    /// Unix seconds, as a string.
    #[serde(rename = "timeStamp")]
    pub time_stamp: String,
    /// A random string (32 characters from `[0-9A-Za-z]`).
    #[serde(rename = "nonceStr")]
    pub nonce_str: String,
    /// `prepay_id=…`.
    pub package: String,
    /// Always `RSA`.
    #[serde(rename = "signType")]
    pub sign_type: String,
    /// base64 RSA-SHA256 (merchant key) over `appId\ntimeStamp\nnonceStr\npackage\n`.
    #[serde(rename = "paySign")]
    pub pay_sign: String,
}

impl JsapiPayParams {
    /// Signs with `signer` for a given timestamp and nonce (use [`Client::jsapi_pay_params`]
    /// for the current time and a fresh nonce).
    pub fn sign(
        signer: &dyn Signer,
        app_id: &str,
        prepay_id: &str,
        timestamp: i64,
        nonce_str: &str,
    ) -> Result<Self, Error> {
        let package = format!("prepay_id={prepay_id}");
        let time_stamp = timestamp.to_string();
        let message = format!("{app_id}\n{time_stamp}\n{nonce_str}\n{package}\n");
        Ok(JsapiPayParams {
            app_id: app_id.to_owned(),
            time_stamp,
            nonce_str: nonce_str.to_owned(),
            package,
            sign_type: "RSA".to_owned(),
            pay_sign: signer.sign(message.as_bytes())?,
        })
    }
}

/// The parameters of the APP SDK's `PayReq`, serialised with the field names the APP SDKs
/// expect: `appid`, `partnerid`, `prepayid`, `package` (`Sign=WXPay`), `noncestr`,
/// `timestamp`, `sign`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct AppPayParams {
    /// The mobile app id.
    pub appid: String,
    /// The merchant id (the sub-merchant id for a service provider).
    pub partnerid: String,
    /// The `prepay_id` of the APP order.
    pub prepayid: String,
    /// Always `Sign=WXPay`.
    pub package: String,
    /// A random string (32 characters from `[0-9A-Za-z]`).
    pub noncestr: String,
    /// Unix seconds, as a string.
    pub timestamp: String,
    /// base64 RSA-SHA256 (merchant key) over `appid\ntimestamp\nnoncestr\nprepayid\n`.
    pub sign: String,
}

impl AppPayParams {
    /// Signs with `signer` for a given timestamp and nonce (use [`Client::app_pay_params`] for
    /// the current time and a fresh nonce).
    pub fn sign(
        signer: &dyn Signer,
        appid: &str,
        partnerid: &str,
        prepay_id: &str,
        timestamp: i64,
        noncestr: &str,
    ) -> Result<Self, Error> {
        let timestamp = timestamp.to_string();
        let message = format!("{appid}\n{timestamp}\n{noncestr}\n{prepay_id}\n");
        Ok(AppPayParams {
            appid: appid.to_owned(),
            partnerid: partnerid.to_owned(),
            prepayid: prepay_id.to_owned(),
            package: "Sign=WXPay".to_owned(),
            noncestr: noncestr.to_owned(),
            timestamp,
            sign: signer.sign(message.as_bytes())?,
        })
    }
}

impl Client {
    /// The signed parameters a JSAPI page or mini program passes to the payment call for
    /// `prepay_id` (from `POST /v3/pay/transactions/jsapi`), signed with the client's
    /// [`Signer`] at the current time with a fresh nonce. Serialise it to JSON for the page.
    ///
    /// ```no_run
    /// # fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// let params = client.jsapi_pay_params("wxd678efh567hg6787", "wx201410272009395522657a690389285100")?;
    /// let json = serde_json::to_string(&params).unwrap();
    /// // {"appId":"wxd678…","timeStamp":"…","nonceStr":"…","package":"prepay_id=wx2014…","signType":"RSA","paySign":"…"}
    /// # let _ = json; Ok(()) }
    /// ```
    pub fn jsapi_pay_params(&self, app_id: &str, prepay_id: &str) -> Result<JsapiPayParams, Error> {
        JsapiPayParams::sign(
            &*self.inner.signer,
            app_id,
            prepay_id,
            crypto::unix_now(),
            &crypto::nonce(),
        )
    }

    /// The signed `PayReq` parameters an app passes to the WeChat APP SDK for `prepay_id`
    /// (from `POST /v3/pay/transactions/app`); `partnerid` is this client's merchant id (use
    /// [`AppPayParams::sign`] to name a sub-merchant). Signed with the client's [`Signer`] at
    /// the current time with a fresh nonce.
    ///
    /// ```no_run
    /// # fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// let params = client.app_pay_params("wx8888888888888888", "WX1217752501201407033233368018")?;
    /// let json = serde_json::to_string(&params).unwrap();
    /// // {"appid":"…","partnerid":"…","prepayid":"WX12…","package":"Sign=WXPay","noncestr":"…","timestamp":"…","sign":"…"}
    /// # let _ = json; Ok(()) }
    /// ```
    pub fn app_pay_params(&self, appid: &str, prepay_id: &str) -> Result<AppPayParams, Error> {
        AppPayParams::sign(
            &*self.inner.signer,
            appid,
            &self.inner.mchid,
            prepay_id,
            crypto::unix_now(),
            &crypto::nonce(),
        )
    }
}
