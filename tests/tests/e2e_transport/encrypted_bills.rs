//! The encrypted fund bills (`Client::download_encrypted_bill`): files made here with tools
//! independent of the client's (the key RSA-OAEP-encrypted to the merchant by `openssl`, the
//! file AES-256-GCM-sealed by Python's `cryptography`), split in two, listed out of order,
//! downloaded, decrypted, joined and read; and each way one can fail.

use super::*;

use wechatpay::bill::{EncryptedBillFile, FundFlowBill};
use wechatpay::runtime::DecryptProblem;
use wechatpay_sandbox::keys;

const FUND_BILL: &str = "\u{feff}记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元),资金变更提交申请人,备注,业务凭证号\r\n\
`2026-01-05 09:12:05,`4200000001,`4200000001,`交易,`交易,`收入,`10.00,`110.00,`system,`结算总金额 10.00 元,`ORDER-0001\r\n\
`2026-01-05 09:12:05,`4200000001,`FLOW-2,`交易,`扣除交易手续费,`支出,`0.06,`109.94,`system,`,`ORDER-0001\r\n\
`2026-01-05 15:02:18,`503000001,`FLOW-3,`退款,`退款,`支出,`5.00,`104.94,`1900000001API,`,`REFUND-0001\r\n\
资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\r\n`3,`1,`10.00,`2,`5.06\r\n";

/// The file key, made up for the test.
const KEY: [u8; 32] = *b"0123456789abcdef0123456789abcdef";

/// `key` RSA-OAEP (SHA-1) encrypted to the public key `pem` by the openssl command line, base64.
fn openssl_oaep(key: &[u8], pem: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let (pub_file, key_file) = (dir.path().join("pub.pem"), dir.path().join("key.bin"));
    std::fs::write(&pub_file, pem).unwrap();
    std::fs::write(&key_file, key).unwrap();
    let out = Command::new("openssl")
        .args(["pkeyutl", "-encrypt", "-pubin", "-inkey"])
        .arg(&pub_file)
        .args([
            "-pkeyopt",
            "rsa_padding_mode:oaep",
            "-pkeyopt",
            "rsa_oaep_md:sha1",
            "-in",
        ])
        .arg(&key_file)
        .output()
        .expect("openssl");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(out.stdout)
}

/// `plain` sealed with AES-256-GCM (`key`, IV `nonce`, no associated data) by Python's
/// `cryptography` (installed by `.ci/run`): the ciphertext, then the tag.
fn python_seal(key: &[u8], nonce: &str, plain: &[u8]) -> Vec<u8> {
    let script = "import sys\nfrom cryptography.hazmat.primitives.ciphers.aead import AESGCM\n\
                  key, nonce = bytes.fromhex(sys.argv[1]), sys.argv[2].encode()\n\
                  sys.stdout.buffer.write(AESGCM(key).encrypt(nonce, sys.stdin.buffer.read(), None))\n";
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    let mut child = Command::new("python3")
        .args(["-c", script, &hex, nonce])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    child.stdin.take().unwrap().write_all(plain).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "python3 with the cryptography package (apt-get install python3-cryptography): {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The bill `plain` in two files, sealed, served at two URLs; listed second file first. The
/// first file's hash is of what is sent, the second's of its plaintext (either is accepted).
fn serve(server: &MockServer, plain: &[u8], nonce: &str) -> Vec<EncryptedBillFile> {
    let (one, two) = plain.split_at(plain.len() / 2 + 1);
    let encrypt_key = openssl_oaep(&KEY, keys::MERCHANT_PUB_PEM);
    let mut files = Vec::new();
    for (sequence, part) in [(2u32, two), (1, one)] {
        let sealed = python_seal(&KEY, nonce, part);
        let hash_value = if sequence == 1 {
            openssl_sha1(&sealed)
        } else {
            openssl_sha1(part)
        };
        let target = format!("{BILL}?token=part{sequence}");
        server.on("GET", &target, super::downloads::file_reply(sealed));
        files.push(EncryptedBillFile {
            bill_sequence: sequence,
            download_url: format!("{}{target}", server.base_url()),
            encrypt_key: encrypt_key.clone(),
            nonce: nonce.into(),
            hash_value,
        });
    }
    files
}

#[tokio::test]
async fn two_sealed_files_are_decrypted_joined_in_order_and_read() {
    let server = MockServer::start(MockConfig::default()).await;
    let files = serve(&server, FUND_BILL.as_bytes(), "a8607ef79034c49c");
    let mut plain = Vec::new();
    let written = client(&server)
        .download_encrypted_bill(&files, false, &mut plain)
        .await
        .unwrap();
    assert_eq!(
        (written as usize, plain.as_slice()),
        (FUND_BILL.len(), FUND_BILL.as_bytes())
    );
    let mut bill = FundFlowBill::new(plain.as_slice()).unwrap();
    let rows: Vec<_> = bill.by_ref().collect::<Result<_, _>>().unwrap();
    assert_eq!(rows.len(), 3);
    assert_eq!(bill.summary().map(|s| s.expense), Some(506));
    assert!(
        !format!("{files:?}").contains(&files[0].encrypt_key),
        "the key is withheld"
    );
}

#[tokio::test]
async fn a_gzipped_bill_is_decrypted_then_gunzipped_and_a_12_byte_nonce_works() {
    let server = MockServer::start(MockConfig::default()).await;
    let files = serve(&server, &gzip_cli(FUND_BILL.as_bytes()), "0123456789ab");
    let mut plain = Vec::new();
    client(&server)
        .download_encrypted_bill(&files, true, &mut plain)
        .await
        .unwrap();
    assert_eq!(plain, FUND_BILL.as_bytes());
}

#[tokio::test]
async fn a_changed_file_a_wrong_hash_and_another_merchants_key_are_refused() {
    let server = MockServer::start(MockConfig::default()).await;
    let client = client(&server);
    let mut files = serve(&server, FUND_BILL.as_bytes(), "a8607ef79034c49c");

    // One byte changed on the way: the tag does not match; nothing is written.
    let mut changed = python_seal(&KEY, "a8607ef79034c49c", b"a file");
    changed[0] ^= 1;
    server.on(
        "GET",
        &format!("{BILL}?token=changed"),
        super::downloads::file_reply(changed),
    );
    let mut bad = files[1].clone();
    bad.download_url = format!("{}{BILL}?token=changed", server.base_url());
    let mut out = Vec::new();
    let e = client
        .download_encrypted_bill(&[bad], false, &mut out)
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Decrypt(d) if d.problem == DecryptProblem::Authentication),
        "{e:?}"
    );
    assert!(out.is_empty());

    // A hash of neither the file nor its plaintext.
    files[0].hash_value = openssl_sha1(b"another file");
    let e = client
        .download_encrypted_bill(&files, false, &mut Vec::new())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::DigestMismatch { .. }), "{e:?}");

    // The key sealed to another merchant's RSA key.
    let other = Command::new("openssl")
        .args(["genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"])
        .output()
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let other_key = dir.path().join("other.pem");
    std::fs::write(&other_key, &other.stdout).unwrap();
    let other_pub = Command::new("openssl")
        .args(["pkey", "-pubout", "-in"])
        .arg(&other_key)
        .output()
        .unwrap();
    files[1].encrypt_key = openssl_oaep(&KEY, &String::from_utf8(other_pub.stdout).unwrap());
    let e = client
        .download_encrypted_bill(&files[1..], false, &mut Vec::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&e, Error::Decrypt(d) if d.problem == DecryptProblem::Rsa),
        "{e:?}"
    );
}

/// The files an answer lists, for `download_encrypted_bill`: each with its five fields, or an
/// error naming the one missing.
#[test]
fn the_files_an_answer_lists() {
    let answer = serde_json::json!({"download_bill_count": 2, "download_bill_list": [
        {"bill_sequence": 2, "download_url": "https://x/2", "encrypt_key": "K2", "nonce": "N2", "hash_type": "SHA1", "hash_value": "H2"},
        {"bill_sequence": 1, "download_url": "https://x/1", "encrypt_key": "K1", "nonce": "N1", "hash_type": "SHA1", "hash_value": "H1"},
    ]});
    let files = EncryptedBillFile::list_of(&answer).unwrap();
    let listed: Vec<(u32, &str, &str)> = files
        .iter()
        .map(|f| (f.bill_sequence, f.download_url.as_str(), f.hash_value.as_str()))
        .collect();
    assert_eq!(listed, [(2, "https://x/2", "H2"), (1, "https://x/1", "H1")]);
    let mut lacking = answer.clone();
    lacking["download_bill_list"][1]
        .as_object_mut()
        .unwrap()
        .remove("encrypt_key");
    let e = EncryptedBillFile::list_of(&lacking).unwrap_err();
    assert!(
        matches!(e, wechatpay::Error::Decode { .. }) && e.to_string().contains("encrypt_key"),
        "{e}"
    );
    let e = EncryptedBillFile::list_of(&serde_json::json!({"download_bill_count": 0})).unwrap_err();
    assert!(e.to_string().contains("download_bill_list"), "{e}");
}
