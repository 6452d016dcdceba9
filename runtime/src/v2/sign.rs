//! APIv2 signatures (MD5 or HMAC-SHA256 over the sorted fields and the APIv2 key) and the
//! decryption of a refund notification's `req_info`.

use crate::error::DecryptProblem;
use aws_lc_rs::cipher::{DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey, AES_256};
use aws_lc_rs::{constant_time, hmac};
use base64::Engine as _;
use md5::{Digest as _, Md5};
use zeroize::Zeroizing;

use crate::crypto::ApiV2Key;
use crate::{Error, VerificationError};

/// How a body is signed: the `sign_type` field (`MD5` when absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SignType {
    /// `MD5`, the default.
    #[default]
    Md5,
    /// `HMAC-SHA256`, keyed with the APIv2 key.
    HmacSha256,
}

impl SignType {
    /// The `sign_type` value.
    pub fn as_str(self) -> &'static str {
        match self {
            SignType::Md5 => "MD5",
            SignType::HmacSha256 => "HMAC-SHA256",
        }
    }

    /// The sign type a `sign_type` value names (`None` for anything else).
    pub fn parse(value: &str) -> Option<SignType> {
        match value {
            "MD5" => Some(SignType::Md5),
            "HMAC-SHA256" => Some(SignType::HmacSha256),
            _ => None,
        }
    }
}

/// What is signed: the fields that are not empty, but `sign`, sorted by name, `k=v` joined by
/// `&`, then `&key=` and the key. Holds the key: wiped on drop.
fn signed_text<N: AsRef<str>, V: AsRef<str>>(fields: &[(N, V)], key: &ApiV2Key) -> Zeroizing<String> {
    let mut kept: Vec<(&str, &str)> = fields
        .iter()
        .map(|(n, v)| (n.as_ref(), v.as_ref()))
        .filter(|(n, v)| *n != "sign" && !v.is_empty())
        .collect();
    kept.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut text = Zeroizing::new(String::new());
    for (n, v) in kept {
        text.push_str(n);
        text.push('=');
        text.push_str(v);
        text.push('&');
    }
    text.push_str("key=");
    text.push_str(key.as_str());
    text
}

/// The `sign` of `fields` (upper-case hex).
pub fn sign<N: AsRef<str>, V: AsRef<str>>(fields: &[(N, V)], key: &ApiV2Key, sign_type: SignType) -> String {
    let text = signed_text(fields, key);
    let digest: Vec<u8> = match sign_type {
        SignType::Md5 => Md5::digest(text.as_bytes()).to_vec(),
        SignType::HmacSha256 => {
            let k = hmac::Key::new(hmac::HMAC_SHA256, key.as_str().as_bytes());
            hmac::sign(&k, text.as_bytes()).as_ref().to_vec()
        }
    };
    digest.iter().map(|b| format!("{b:02X}")).collect()
}

/// Checks the `sign` field of `fields` (an answer, a notification): it must be there and
/// match, compared in constant time (either case of hex is taken).
pub fn verify<N: AsRef<str>, V: AsRef<str>>(
    fields: &[(N, V)],
    key: &ApiV2Key,
    sign_type: SignType,
) -> Result<(), VerificationError> {
    let given = super::xml::field(fields, "sign")
        .filter(|v| !v.is_empty())
        .map(str::to_ascii_uppercase)
        .ok_or(VerificationError::MissingField("sign"))?;
    let expected = sign(fields, key, sign_type);
    constant_time::verify_slices_are_equal(given.as_bytes(), expected.as_bytes()).map_err(|_| {
        VerificationError::BadSignature {
            serial: format!("APIv2 key, {}", sign_type.as_str()),
        }
    })
}

/// Decrypts a refund notification's `req_info`: base64 of AES-256-ECB (PKCS#7 padding) under
/// the lower-case hex MD5 of the APIv2 key. The plaintext is the XML of the refund (root
/// `<root>`: read it with [`xml::read`](super::xml::read)).
pub fn decrypt_req_info(req_info: &str, key: &ApiV2Key) -> Result<Zeroizing<Vec<u8>>, Error> {
    let fail = |problem, why: &str| Error::decrypt(problem, format!("req_info: {why}"));
    let mut data = Zeroizing::new(
        base64::engine::general_purpose::STANDARD
            .decode(req_info.trim())
            .map_err(|_| fail(DecryptProblem::Malformed, "not base64"))?,
    );
    let aes_key: Zeroizing<String> = Zeroizing::new(
        Md5::digest(key.as_str().as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
    );
    let key = UnboundCipherKey::new(&AES_256, aes_key.as_bytes())
        .map_err(|_| fail(DecryptProblem::Malformed, "the key cannot be used"))?;
    let key = PaddedBlockDecryptingKey::ecb_pkcs7(key)
        .map_err(|_| fail(DecryptProblem::Malformed, "the key cannot be used"))?;
    let plain_len = key
        .decrypt(&mut data, DecryptionContext::None)
        .map_err(|_| {
            fail(
                DecryptProblem::Authentication,
                "it does not decrypt with this APIv2 key (wrong key, or altered)",
            )
        })?
        .len();
    data.truncate(plain_len);
    Ok(data)
}
