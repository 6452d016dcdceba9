//! APIv2's pay-sign: what a JSAPI page or mini program needs to pay for a `prepay_id` of
//! `pay/unifiedorder` (APIv2), signed with the APIv2 key instead of the merchant's RSA key.

use super::sign::{sign, SignType};
use crate::client::Client;
use crate::crypto::{self, ApiV2Key};
use crate::error::Error;
use crate::error::{ConfigProblem, Setting};
use crate::paysign::JsapiPayParams;

impl JsapiPayParams {
    /// The APIv2 parameters for a given timestamp and nonce: `signType` `MD5` or
    /// `HMAC-SHA256`, `paySign` the APIv2 `sign` over `appId`, `nonceStr`, `package`,
    /// `signType` and `timeStamp` (use [`Client::jsapi_pay_params_v2`] for the current time,
    /// a fresh nonce and the configured key).
    pub fn sign_v2(
        key: &ApiV2Key,
        app_id: &str,
        prepay_id: &str,
        timestamp: i64,
        nonce_str: &str,
        sign_type: SignType,
    ) -> JsapiPayParams {
        let package = format!("prepay_id={prepay_id}");
        let time_stamp = timestamp.to_string();
        let fields = [
            ("appId", app_id),
            ("timeStamp", time_stamp.as_str()),
            ("nonceStr", nonce_str),
            ("package", package.as_str()),
            ("signType", sign_type.as_str()),
        ];
        let pay_sign = sign(&fields, key, sign_type);
        JsapiPayParams {
            app_id: app_id.to_owned(),
            time_stamp,
            nonce_str: nonce_str.to_owned(),
            package,
            sign_type: sign_type.as_str().to_owned(),
            pay_sign,
        }
    }
}

impl Client {
    /// The JSAPI / mini-program parameters for a `prepay_id` of APIv2's `pay/unifiedorder`,
    /// signed with the APIv2 key ([`JsapiPayParams::sign_v2`]). The APIv3 ones (RSA) are
    /// [`Client::jsapi_pay_params`].
    pub fn jsapi_pay_params_v2(
        &self,
        app_id: &str,
        prepay_id: &str,
        sign_type: SignType,
    ) -> Result<JsapiPayParams, Error> {
        let key = self.inner.apiv2_key.as_ref().ok_or_else(|| {
            Error::config(
                ConfigProblem::Missing,
                Setting::ApiV2Key,
                "no APIv2 key: call ClientBuilder::apiv2_key (or set WECHATPAY_APIV2_KEY)",
            )
        })?;
        Ok(JsapiPayParams::sign_v2(
            key,
            app_id,
            prepay_id,
            crypto::unix_now(),
            &crypto::nonce(),
            sign_type,
        ))
    }
}
