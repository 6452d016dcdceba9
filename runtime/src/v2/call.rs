//! An APIv2 call: the fields signed and written as XML, POSTed, the answer read under the cap,
//! its `sign` checked before anything else of it is used, then its result codes.

use std::time::Instant;

use super::result::check_result;
use super::sign::{sign, verify, SignType};
use super::xml::{self, Field};
use crate::client::Client;
use crate::crypto;
use crate::error::Error;
use crate::send::read_at_most;

/// The most bytes of an APIv2 answer read.
const MAX_ANSWER: usize = xml::MAX_BODY;

impl Client {
    /// Calls the APIv2 operation at `path` (`/pay/orderquery`: APIv2 URLs have no `v2/`) with
    /// `fields`, signed with the APIv2 key ([`ClientBuilder::apiv2_key`](crate::ClientBuilder::apiv2_key))
    /// as `sign_type` says: `nonce_str` is added unless given, `sign_type` is sent for
    /// HMAC-SHA256, `sign` is computed. The answer's fields, once its `sign` checked out and its
    /// `return_code` and `result_code` are `SUCCESS`.
    ///
    /// A failure the answer reports is [`Error::ApiV2`] (an unsigned `return_code` `FAIL`, or
    /// a signed `result_code` `FAIL` with `err_code`); a missing or wrong `sign` is
    /// [`Error::Verification`]; an answer that is not APIv2 XML is [`Error::Decode`].
    /// Operations that need the merchant certificate (mutual TLS) are not supported yet.
    pub async fn post_v2(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        sign_type: SignType,
    ) -> Result<Vec<(String, String)>, Error> {
        let inner = &self.inner;
        let key = inner
            .apiv2_key
            .as_ref()
            .ok_or_else(|| Error::Config("no APIv2 key: call ClientBuilder::apiv2_key".into()))?;
        let mut signed: Vec<(&str, String)> = fields.iter().map(|(n, v)| (*n, (*v).to_owned())).collect();
        if !signed.iter().any(|(n, _)| *n == "nonce_str") {
            signed.push(("nonce_str", crypto::nonce()));
        }
        if sign_type != SignType::Md5 && !signed.iter().any(|(n, _)| *n == "sign_type") {
            signed.push(("sign_type", sign_type.as_str().to_owned()));
        }
        if signed.iter().any(|(n, _)| *n == "sign") {
            return Err(Error::InvalidRequest(
                "`sign` is computed by the client: leave it out".into(),
            ));
        }
        let signature = sign(&signed, key, sign_type);
        signed.push(("sign", signature));
        let written: Vec<Field<'_>> = signed
            .iter()
            .map(|(name, value)| Field {
                name,
                value,
                cdata: false,
            })
            .collect();
        let body = xml::write("xml", &written).map_err(|e| Error::InvalidRequest(e.to_string()))?;

        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        let url = format!("{}{path}", inner.base_url);
        let total = inner.http_config_timeout();
        let http = inner.http.for_base(&inner.base_url)?;
        let mut request = http
            .post(&url)
            .header(reqwest::header::CONTENT_TYPE, "text/xml; charset=utf-8")
            .body(body)
            .build()
            .map_err(|e| Error::InvalidRequest(format!("invalid URL {url:?}: {e}")))?;
        inner.http.settle(&mut request, total);
        let started = Instant::now();
        let response = http
            .execute(request)
            .await
            .map_err(|e| inner.transport_error(e, started, total, false))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let (answer, cut) =
            read_at_most(response, MAX_ANSWER, |e| inner.transport_error(e, started, total, true)).await?;
        if cut {
            return Err(Error::BodyTooLarge { limit: MAX_ANSWER });
        }
        if !(200..300).contains(&status) {
            return Err(crate::send::api_error(status, &headers, &answer));
        }
        let decode = |why: String| Error::Decode {
            source: <serde_json::Error as serde::de::Error>::custom(why),
            status,
            body: String::from_utf8_lossy(&answer).into_owned(),
        };
        let fields = xml::read(&answer, "xml").map_err(|e| decode(format!("not an APIv2 answer: {e}")))?;
        // A communication failure comes unsigned: it is reported as such, and nothing of it
        // is used but its message.
        if xml::field(&fields, "return_code") == Some("SUCCESS") {
            verify(&fields, key, sign_type)?;
        }
        check_result(&fields)?;
        Ok(fields)
    }
}
