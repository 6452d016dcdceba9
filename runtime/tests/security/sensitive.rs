//! Sensitive fields.

use super::*;

#[test]
fn sensitive_value_encrypts_to_the_wechatpay_public_key_openssl_decrypts_it() {
    let c = client();
    assert_eq!(c.sensitive_key_serial().as_deref(), Some(PUB_KEY_ID));
    let plain = "张三 13800138000";
    let a = c.encrypt_sensitive_value(plain).unwrap();
    let b = c.encrypt_sensitive_value(plain).unwrap();
    assert_eq!(a.serial, PUB_KEY_ID);
    assert_ne!(a.ciphertext, b.ciphertext, "OAEP is randomised");
    assert_eq!(B64.decode(&a.ciphertext).unwrap().len(), 256);
    assert!(
        !format!("{a:?}").contains(&a.ciphertext),
        "Debug does not print the ciphertext"
    );
    // Independent decryption: openssl, OAEP SHA-1 / MGF1-SHA-1.
    assert_eq!(
        openssl_oaep_decrypt("wechatpay_key.pem", &a.ciphertext).unwrap(),
        plain.as_bytes()
    );
    // Not PKCS#1 v1.5: openssl with default padding rejects it.
    let input = tmp_file("ct.bin", &B64.decode(&a.ciphertext).unwrap());
    let out = openssl(&[
        "pkeyutl",
        "-decrypt",
        "-inkey",
        key_path("wechatpay_key.pem").to_str().unwrap(),
        "-in",
        input.to_str().unwrap(),
    ]);
    assert!(!out.status.success() || out.stdout != plain.as_bytes());
    // Not OAEP-SHA256 either.
    let out = openssl(&[
        "pkeyutl",
        "-decrypt",
        "-inkey",
        key_path("wechatpay_key.pem").to_str().unwrap(),
        "-in",
        input.to_str().unwrap(),
        "-pkeyopt",
        "rsa_padding_mode:oaep",
        "-pkeyopt",
        "rsa_oaep_md:sha256",
    ]);
    assert!(!out.status.success());
    // Another private key cannot decrypt it.
    assert!(openssl_oaep_decrypt("platform_cert_key.pem", &a.ciphertext).is_err());
    // aws-lc with the WeChat Pay private key agrees too.
    let key = OaepPrivateDecryptingKey::new(
        PrivateDecryptingKey::from_pkcs8(&pem_der(&key_text("wechatpay_key.pem"))).unwrap(),
    )
    .unwrap();
    let mut out = vec![0u8; key.min_output_size()];
    let got = key
        .decrypt(&OAEP_SHA1_MGF1SHA1, &B64.decode(&b.ciphertext).unwrap(), &mut out, None)
        .unwrap();
    assert_eq!(got, plain.as_bytes());
    // Too long for RSA-2048 OAEP-SHA1 (214 bytes max).
    assert!(matches!(
        c.encrypt_sensitive_value(&"x".repeat(215)),
        Err(Error::InvalidRequest(_))
    ));
    assert!(c.encrypt_sensitive_value(&"x".repeat(214)).is_ok());
}

#[test]
fn decrypt_sensitive_opens_what_openssl_encrypted_to_the_merchant_key() {
    let plain = "6225880137000000";
    let ct = openssl_encrypt("merchant_pub.pem", plain.as_bytes(), &OAEP_SHA1);
    assert_eq!(client().decrypt_sensitive(&ct).unwrap(), plain);
    // The PKCS#1 form of the same key decrypts too.
    let pkcs1 = Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .private_key_pem(&key_text("merchant_key_pkcs1.pem"))
        .wechatpay_public_key(PUB_KEY_ID, &key_text("wechatpay_pub.pem"))
        .build()
        .unwrap();
    assert_eq!(pkcs1.decrypt_sensitive(&ct).unwrap(), plain);

    // PKCS#1 v1.5 padding, another key, OAEP-SHA256, not base64: decryption errors.
    let v15 = openssl_encrypt("merchant_pub.pem", plain.as_bytes(), &[]);
    assert!(matches!(client().decrypt_sensitive(&v15), Err(Error::Decrypt(_))));
    let other = openssl_encrypt("wechatpay_pub.pem", plain.as_bytes(), &OAEP_SHA1);
    assert!(matches!(client().decrypt_sensitive(&other), Err(Error::Decrypt(_))));
    let sha256 = openssl_encrypt(
        "merchant_pub.pem",
        plain.as_bytes(),
        &["-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256"],
    );
    assert!(matches!(client().decrypt_sensitive(&sha256), Err(Error::Decrypt(_))));
    assert!(matches!(client().decrypt_sensitive("%%%"), Err(Error::Decrypt(_))));
}

/// A remote signer: signs, holds no private key here.
struct RemoteSigner(RsaSigner);

impl Signer for RemoteSigner {
    fn sign(&self, message: &[u8]) -> Result<String, Error> {
        self.0.sign(message)
    }
}

#[test]
fn decrypt_sensitive_with_a_remote_signer_is_a_clear_config_error() {
    let c = Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .signer(RemoteSigner(
            RsaSigner::from_pem(&key_text("merchant_key.pem")).unwrap(),
        ))
        .wechatpay_public_key(PUB_KEY_ID, &key_text("wechatpay_pub.pem"))
        .build()
        .unwrap();
    let ct = openssl_encrypt("merchant_pub.pem", b"x", &OAEP_SHA1);
    match c.decrypt_sensitive(&ct) {
        Err(Error::Config(e)) => {
            assert!(
                e.message.contains("decrypt_oaep") && e.message.contains("private key"),
                "{e}"
            );
            assert_eq!(
                (e.problem, e.setting),
                (wechatpay::ConfigProblem::Unsupported, wechatpay::Setting::Signer)
            );
        }
        other => panic!("{other:?}"),
    }
    // The built-in signer implements it.
    let signer = RsaSigner::from_pem(&key_text("merchant_key.pem")).unwrap();
    assert_eq!(signer.decrypt_oaep(&B64.decode(&ct).unwrap()).unwrap(), b"x");
}

#[test]
fn sensitive_key_choice_public_key_first_then_newest_valid_certificate() {
    // Certificate mode only: the platform certificate.
    let cert_only = Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .private_key_pem(&key_text("merchant_key.pem"))
        .platform_certificate_pem(&key_text("platform_cert.pem"));
    let c = cert_only.build().unwrap();
    let v = c.encrypt_sensitive_value("x").unwrap();
    assert_eq!(v.serial, PLATFORM_CERT_SERIAL);
    assert_eq!(
        openssl_oaep_decrypt("platform_cert_key.pem", &v.ciphertext).unwrap(),
        b"x"
    );

    // Both (migration): the public key is preferred.
    let both = builder()
        .platform_certificate_pem(&key_text("platform_cert.pem"))
        .build()
        .unwrap();
    assert_eq!(both.encrypt_sensitive_value("x").unwrap().serial, PUB_KEY_ID);

    // Two certificates: the newest valid one (a fresh certificate made now by openssl, with
    // a later notBefore than the 2020 one).
    let cert_path = tmp_file("newer.pem", b"");
    let out = openssl(&[
        "req",
        "-x509",
        "-new",
        "-key",
        key_path("wechatpay_key.pem").to_str().unwrap(),
        "-subj",
        "/CN=newer TEST ONLY",
        "-days",
        "30",
        "-set_serial",
        "0x0ABCDEF123",
        "-out",
        cert_path.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let newer = std::fs::read_to_string(&cert_path).unwrap();
    let c = Client::builder()
        .mchid(MCHID)
        .merchant_serial(MERCHANT_SERIAL)
        .private_key_pem(&key_text("merchant_key.pem"))
        .platform_certificate_pem(&newer)
        .platform_certificate_pem(&key_text("platform_cert.pem"))
        .build()
        .unwrap();
    let v = c.encrypt_sensitive_value("y").unwrap();
    assert_eq!(v.serial, "ABCDEF123");
    assert_eq!(openssl_oaep_decrypt("wechatpay_key.pem", &v.ciphertext).unwrap(), b"y");
    let certs = c.platform_certificates();
    assert_eq!(
        certs.iter().map(|c| c.serial.as_str()).collect::<Vec<_>>(),
        ["ABCDEF123", PLATFORM_CERT_SERIAL]
    );
    assert!(certs[1].pem.starts_with("-----BEGIN CERTIFICATE-----"));
    assert_eq!(certs[1].not_before, 1_577_836_800, "2020-01-01T00:00:00Z");
}
