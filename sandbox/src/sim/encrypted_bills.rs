//! A sub-merchant's encrypted fund bill (`GET /v3/bill/sub-merchant-fundflowbill`), as the
//! platform sends it (`../shared/reference/BILLS.md` §4): the bill, gzipped when asked, cut into
//! parts; each part encrypted with AES-256-GCM under a key of its own, the `nonce` as the IV and
//! no associated data; each key RSA-OAEP-encrypted to the merchant's public key.
//!
//! Where the facts are silent, the sandbox takes choices the client's reader accepts
//! (`runtime/src/bill/encrypted.rs`): a 12-character nonce, the key's 32 bytes encrypted (not
//! their base64), each part's SHA-1 as downloaded.

use aws_lc_rs::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use aws_lc_rs::rand::{SecureRandom as _, SystemRandom};
use aws_lc_rs::rsa::{OaepPublicEncryptingKey, PublicEncryptingKey, OAEP_SHA1_MGF1SHA1};
use base64::Engine as _;
use serde_json::{json, Value};

use super::bills::{field, gzip, sha1_hex};
use super::Simulator;
use crate::mock::Reply;

/// The most bytes of one part. The platform cuts large bills; a sandbox's bills are small, so
/// it cuts them small and a client's joining of parts is exercised.
const PART: usize = 1024;

impl Simulator {
    /// The answer to `GET /v3/bill/sub-merchant-fundflowbill` from service provider `caller`:
    /// the download list of `sub_mchid`'s basic-account fund flow of `bill_date`.
    pub(super) fn sub_merchant_fund_flow_bill(&self, caller: &str, query: &[(String, String)]) -> Reply {
        let get = |name: &str| field(query, name);
        if get("algorithm") != Some("AEAD_AES_256_GCM") {
            return Reply::error(
                400,
                "PARAM_ERROR",
                "the sandbox encrypts bills with AEAD_AES_256_GCM only",
            );
        }
        let (Some(sub_mchid), Some(bill_date)) = (get("sub_mchid"), get("bill_date")) else {
            return Reply::error(400, "PARAM_ERROR", "sub_mchid and bill_date are required");
        };
        let bill = match get("account_type") {
            Some("BASIC") => self.fund_flow_bill(&format!("{caller}/{sub_mchid}"), bill_date),
            _ => None,
        };
        let Some(bill) = bill else {
            return Reply::error(400, "NO_STATEMENT_EXIST", "请求的账单文件不存在");
        };
        let bytes = if get("tar_type") == Some("GZIP") {
            gzip(&bill)
        } else {
            bill
        };
        let merchant_key = match merchant_key(&self.inner.merchant_public_key_der) {
            Ok(key) => key,
            Err(why) => return Reply::error(500, "SYSTEM_ERROR", &why),
        };
        let mut list = Vec::new();
        for (at, part) in bytes.chunks(PART).enumerate() {
            let sealed = match seal(part, &merchant_key) {
                Ok(sealed) => sealed,
                Err(why) => return Reply::error(500, "SYSTEM_ERROR", &why),
            };
            list.push(json!({
                "bill_sequence": at + 1,
                "hash_type": "SHA1",
                "hash_value": sha1_hex(&sealed.file),
                "encrypt_key": sealed.encrypt_key,
                "nonce": sealed.nonce,
                "download_url": self.keep_for_download(caller, sealed.file, false),
            }));
        }
        Reply::json(
            200,
            json!({"download_bill_count": list.len(), "download_bill_list": Value::Array(list)}),
        )
    }
}

/// One part of an encrypted bill: the file as downloaded, its key as sent, its nonce.
struct Sealed {
    file: Vec<u8>,
    encrypt_key: String,
    nonce: String,
}

/// The merchant's public key (SubjectPublicKeyInfo DER), for RSA-OAEP.
fn merchant_key(der: &[u8]) -> Result<OaepPublicEncryptingKey, String> {
    let public =
        PublicEncryptingKey::from_der(der).map_err(|e| format!("the merchant public key cannot encrypt: {e}"))?;
    OaepPublicEncryptingKey::new(public).map_err(|_| "the merchant public key cannot encrypt".to_owned())
}

/// `part` encrypted under a fresh key and nonce, the key encrypted to `merchant_key`.
fn seal(part: &[u8], merchant_key: &OaepPublicEncryptingKey) -> Result<Sealed, String> {
    let random = SystemRandom::new();
    let mut key = [0u8; 32];
    random.fill(&mut key).map_err(|_| "no random bytes for a bill key")?;
    let mut nonce = [0u8; 12];
    random
        .fill(&mut nonce)
        .map_err(|_| "no random bytes for a bill nonce")?;
    // The nonce is text: twelve characters of [0-9a-z], their bytes the IV.
    let nonce = nonce.map(|b| b"0123456789abcdefghijklmnopqrstuvwxyz"[usize::from(b) % 36]);
    let aes = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key).map_err(|_| "a bad AES key")?);
    let mut file = part.to_vec();
    aes.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut file)
        .map_err(|_| "AES-GCM sealing failed")?;
    let mut encrypted = vec![0u8; merchant_key.ciphertext_size()];
    let encrypted = merchant_key
        .encrypt(&OAEP_SHA1_MGF1SHA1, &key, &mut encrypted, None)
        .map_err(|_| "RSA-OAEP encryption failed")?;
    Ok(Sealed {
        file,
        encrypt_key: base64::engine::general_purpose::STANDARD.encode(encrypted),
        nonce: String::from_utf8_lossy(&nonce).into_owned(),
    })
}
