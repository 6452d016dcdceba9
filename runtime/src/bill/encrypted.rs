//! The encrypted fund bills: a sub-merchant's (`GET /v3/bill/sub-merchant-fundflowbill`) and an
//! e-commerce platform's (`GET /v3/ecommerce/bill/fundflowbill`). Their answer lists one or more
//! files (`download_bill_list`), each encrypted with AES-256-GCM under a key of its own, sent
//! RSA-OAEP-encrypted to the merchant (`encrypt_key`), with the `nonce` as the IV and no
//! associated data (`../shared/reference/BILLS.md` §4).
//!
//! Choices where the facts are silent (see BILLS.md §8):
//! - the IV is the `nonce` text's bytes, 12, 16 or 32 of them (the examples have 16);
//! - the decrypted `encrypt_key` is the 32-byte key, or its base64;
//! - `hash_value` is checked against the file as downloaded or as decrypted, whichever it is of
//!   (which one the platform digests is not documented; the GCM tag authenticates the file
//!   either way);
//! - the files are decrypted and joined in `bill_sequence` order, then gunzipped as one stream
//!   when `gunzip` (decrypt first, then decompress, as the 支付分 bill's page says);
//! - each file is decrypted whole, in memory: AES-GCM authenticates a file only at its end, and
//!   no byte of it is released before.

use std::fmt;
use std::io::Write as _;

use aes_gcm::aead::consts::{U12, U16, U32};
use aes_gcm::aead::{Aead as _, KeyInit as _};
use aes_gcm::aes::Aes256;
use aes_gcm::AesGcm;
use base64::Engine as _;
use tokio::io::{AsyncWrite, AsyncWriteExt as _};

use crate::crypto::B64;
use crate::encoding::sha1_hex;
use crate::error::DecryptProblem;
use crate::{Client, Error};

/// One file of an encrypted bill: an entry of the answer's `download_bill_list`.
#[derive(Clone, PartialEq, Eq)]
pub struct EncryptedBillFile {
    /// `bill_sequence`: the files are joined in this order (from 1).
    pub bill_sequence: u32,
    /// `download_url`.
    pub download_url: String,
    /// `encrypt_key`: the file's key, RSA-OAEP-encrypted to the merchant, base64.
    pub encrypt_key: String,
    /// `nonce`: the AES-GCM IV, as text.
    pub nonce: String,
    /// `hash_value`: the file's SHA-1, hex.
    pub hash_value: String,
}

impl EncryptedBillFile {
    /// The files an encrypted bill's answer lists (its `download_bill_list`: the generated
    /// `GetResponse` of `GET /v3/bill/sub-merchant-fundflowbill` or of
    /// `GET /v3/ecommerce/bill/fundflowbill`), for [`Client::download_encrypted_bill`]. An
    /// answer without the list, or an entry without one of the five fields, is an
    /// [`Error::Decode`] naming the field.
    pub fn list_of(answer: &impl serde::Serialize) -> Result<Vec<EncryptedBillFile>, Error> {
        #[derive(serde::Deserialize)]
        struct Answer {
            download_bill_list: Vec<Entry>,
        }
        #[derive(serde::Deserialize)]
        struct Entry {
            bill_sequence: u32,
            download_url: String,
            encrypt_key: String,
            nonce: String,
            hash_value: String,
        }
        let json = serde_json::to_value(answer).map_err(|source| Error::Decode {
            source,
            path: None,
            status: 200,
            body: String::new(),
        })?;
        let listed = <Answer as serde::Deserialize>::deserialize(&json).map_err(|source| Error::Decode {
            source,
            path: None,
            status: 200,
            body: json.to_string(),
        })?;
        Ok(listed
            .download_bill_list
            .into_iter()
            .map(|e| EncryptedBillFile {
                bill_sequence: e.bill_sequence,
                download_url: e.download_url,
                encrypt_key: e.encrypt_key,
                nonce: e.nonce,
                hash_value: e.hash_value,
            })
            .collect())
    }
}

impl fmt::Debug for EncryptedBillFile {
    /// The sequence and URL; the key is withheld.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptedBillFile")
            .field("bill_sequence", &self.bill_sequence)
            .field("download_url", &self.download_url)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Downloads the files of an encrypted fund bill, decrypts each with its key (decrypted
    /// with the merchant's private key), checks its SHA-1 and writes them joined in
    /// `bill_sequence` order to `writer`, gunzipped when `gunzip` (the bill was asked for with
    /// `tar_type=GZIP`); returns the number of bytes written. Read the result with
    /// [`FundFlowBill`](super::FundFlowBill).
    ///
    /// A file that does not decrypt (another merchant's key, changed on the way) is
    /// [`Error::Decrypt`] and nothing of it is written; a SHA-1 that matches neither the file
    /// nor its plaintext is [`Error::DigestMismatch`]. The choices this makes where the
    /// platform's documentation is silent are in `bill/encrypted.rs`.
    ///
    /// ```no_run
    /// # async fn f(client: &wechatpay::Client) -> Result<(), wechatpay::Error> {
    /// use wechatpay::bill::{EncryptedBillFile, FundFlowBill};
    /// use wechatpay::v3::bill::sub_merchant_fundflowbill as fund_bill;
    ///
    /// let request = fund_bill::GetRequest::new(fund_bill::GetRequestRequired {
    ///     sub_mchid: "1900000109".into(),
    ///     bill_date: "2026-01-05".into(),
    ///     algorithm: fund_bill::GetRequestAlgorithm::AeadAes256Gcm,
    ///     account_type: fund_bill::GetRequestAccountType::Basic,
    /// });
    /// let answer = client.v3().bill().sub_merchant_fundflowbill().get(&request).await?;
    /// let mut plain = Vec::new();
    /// client
    ///     .download_encrypted_bill(&EncryptedBillFile::list_of(&answer)?, false, &mut plain)
    ///     .await?;
    /// let mut bill = FundFlowBill::new(plain.as_slice()).map_err(wechatpay::Error::Bill)?;
    /// for row in bill.by_ref() {
    ///     let row = row.map_err(wechatpay::Error::Bill)?;
    ///     println!("{} {}", row.business_type(), row.voucher());
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn download_encrypted_bill<W: AsyncWrite + Unpin>(
        &self,
        files: &[EncryptedBillFile],
        gunzip: bool,
        mut writer: W,
    ) -> Result<u64, Error> {
        let mut ordered: Vec<&EncryptedBillFile> = files.iter().collect();
        ordered.sort_by_key(|f| f.bill_sequence);
        let mut decoder = gunzip.then(|| flate2::write::MultiGzDecoder::new(Vec::new()));
        let mut written = 0u64;
        for file in ordered {
            let plain = self.decrypted_bill_file(file).await?;
            let out = match &mut decoder {
                Some(decoder) => {
                    decoder.write_all(&plain).map_err(gunzip_error)?;
                    std::mem::take(decoder.get_mut())
                }
                None => plain,
            };
            writer.write_all(&out).await.map_err(write_error)?;
            written += out.len() as u64;
        }
        if let Some(decoder) = decoder {
            let rest = decoder.finish().map_err(gunzip_error)?;
            writer.write_all(&rest).await.map_err(write_error)?;
            written += rest.len() as u64;
        }
        writer.flush().await.map_err(write_error)?;
        Ok(written)
    }

    /// One file, downloaded, decrypted, its SHA-1 checked.
    async fn decrypted_bill_file(&self, file: &EncryptedBillFile) -> Result<Vec<u8>, Error> {
        let key = self.bill_file_key(&file.encrypt_key)?;
        let sealed = self
            .request_url(reqwest::Method::GET, &file.download_url)
            .response_signature(crate::request::ResponseSignature::None)
            .send_download()
            .await?
            .bytes()
            .await?;
        let plain = open(&key, file.nonce.as_bytes(), &sealed)?;
        let expected = file.hash_value.trim().to_ascii_lowercase();
        let sealed_sha1 = sha1_hex(&sealed);
        if expected != sealed_sha1 && expected != sha1_hex(&plain) {
            return Err(Error::DigestMismatch {
                algorithm: "SHA-1",
                expected,
                actual: sealed_sha1,
            });
        }
        Ok(plain)
    }

    /// The AES-256 key of a file: `encrypt_key` decrypted with the merchant's private key.
    fn bill_file_key(&self, encrypt_key: &str) -> Result<[u8; 32], Error> {
        let sealed = B64.decode(encrypt_key.trim()).map_err(|e| {
            Error::decrypt(
                DecryptProblem::Malformed,
                format!("the bill's encrypt_key is not base64: {e}"),
            )
        })?;
        let key = zeroize::Zeroizing::new(self.inner.signer.decrypt_oaep(&sealed)?);
        let key = match key.len() {
            32 => key,
            _ => zeroize::Zeroizing::new(B64.decode(key.as_slice()).unwrap_or_default()),
        };
        <[u8; 32]>::try_from(key.as_slice()).map_err(|_| {
            Error::decrypt(
                DecryptProblem::Malformed,
                "the bill's encrypt_key does not decrypt to a 32-byte AES-256 key (nor its base64)",
            )
        })
    }
}

/// AES-256-GCM decryption of `sealed` (ciphertext, then the 16-byte tag), IV `nonce`, no
/// associated data.
fn open(key: &[u8; 32], nonce: &[u8], sealed: &[u8]) -> Result<Vec<u8>, Error> {
    let opened = match nonce.len() {
        12 => AesGcm::<Aes256, U12>::new(key.into()).decrypt(nonce.into(), sealed),
        16 => AesGcm::<Aes256, U16>::new(key.into()).decrypt(nonce.into(), sealed),
        32 => AesGcm::<Aes256, U32>::new(key.into()).decrypt(nonce.into(), sealed),
        n => {
            return Err(Error::decrypt(
                DecryptProblem::Malformed,
                format!("the bill's nonce has {n} bytes; 12, 16 or 32 are known"),
            ))
        }
    };
    opened.map_err(|_| {
        Error::decrypt(
            DecryptProblem::Authentication,
            "the bill file does not decrypt with its key (changed on the way, or not this merchant's)",
        )
    })
}

fn gunzip_error(source: std::io::Error) -> Error {
    Error::Io {
        context: "cannot gunzip the decrypted bill".into(),
        source,
    }
}

fn write_error(source: std::io::Error) -> Error {
    Error::Io {
        context: "cannot write the decrypted bill to its writer".into(),
        source,
    }
}
