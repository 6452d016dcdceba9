//! Mutual TLS: a loopback HTTPS server that requires a client certificate issued by its CA
//! (made with the `openssl` command line, as are the server's and the merchant's
//! certificates). The operations that need the merchant certificate present it; the others
//! use their own connections, which present none, and so are refused by this server.

use std::path::Path;

use tokio_rustls::rustls;

use super::*;
use wechatpay::v2::mmpaymkttransfers::sendredpack::{
    PostRequest as RedPacket, PostRequestRequired as RedPacketRequired,
};
use wechatpay::v2::pay::orderquery;

/// A test CA, a server certificate for 127.0.0.1 and a merchant certificate for the test
/// merchant key, all signed by the CA: the folder holding `ca.pem`, `server.pem`,
/// `server_key.pem` and `merchant.pem`.
fn certificates() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("merchant_key.pem"), keys::MERCHANT_KEY_PEM).unwrap();
    std::fs::write(d.join("san.cnf"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    // X.509 v3, as WeChat Pay issues them (rustls refuses a v1 certificate).
    std::fs::write(
        d.join("client.cnf"),
        "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n",
    )
    .unwrap();
    openssl(
        d,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "ca_key.pem",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=TEST ONLY CA",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            "server_key.pem",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca_key.pem",
            "-CAcreateserial",
            "-out",
            "server.pem",
            "-days",
            "2",
            "-extfile",
            "san.cnf",
        ],
    );
    openssl(
        d,
        &[
            "req",
            "-new",
            "-key",
            "merchant_key.pem",
            "-out",
            "merchant.csr",
            "-subj",
            "/CN=1900000001",
        ],
    );
    openssl(
        d,
        &[
            "x509",
            "-req",
            "-in",
            "merchant.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca_key.pem",
            "-CAcreateserial",
            "-out",
            "merchant.pem",
            "-days",
            "2",
            "-extfile",
            "client.cnf",
        ],
    );
    dir
}

/// The HTTPS server requiring a client certificate of `ca.pem`: its base URL, what it received,
/// and how many handshakes it refused.
async fn tls_server(dir: &Path) -> (String, Seen, Arc<Mutex<usize>>) {
    use rustls::pki_types::pem::PemObject as _;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_file(dir.join("ca.pem")).unwrap())
        .unwrap();
    let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .unwrap();
    let certs = vec![CertificateDer::from_pem_file(dir.join("server.pem")).unwrap()];
    let key = PrivateKeyDer::from_pem_file(dir.join("server_key.pem")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_client_cert_verifier(verifier)
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let seen = Seen::default();
    let refused = Arc::new(Mutex::new(0));
    let (recorded, refusals) = (seen.clone(), refused.clone());
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let (acceptor, recorded, refusals) = (acceptor.clone(), recorded.clone(), refusals.clone());
            tokio::spawn(async move {
                match acceptor.accept(stream).await {
                    Ok(tls) => serve(tls, recorded).await,
                    Err(_) => *refusals.lock().unwrap() += 1,
                }
            });
        }
    });
    (url, seen, refused)
}

fn red_packet() -> RedPacket {
    RedPacket::new(RedPacketRequired {
        mch_billno: "10000098201411111234567891".into(),
        wxappid: "wx8888888888888888".into(),
        send_name: "天虹百货".into(),
        re_openid: "oxTWIuGaIt6gTKsQRLau2M0yL16E".into(),
        total_amount: 100,
        total_num: 1,
        wishing: "祝福".into(),
        client_ip: "192.168.0.1".into(),
        act_name: "活动".into(),
        remark: "备注".into(),
    })
    .with(|r| r.mch_id = Some("1900000001".into()))
}

#[tokio::test]
async fn the_merchant_certificate_is_presented_where_the_operation_needs_it() {
    let dir = certificates();
    let (url, seen, refused) = tls_server(dir.path()).await;
    let ca = std::fs::read_to_string(dir.path().join("ca.pem")).unwrap();
    let cert = std::fs::read_to_string(dir.path().join("merchant.pem")).unwrap();
    let c = builder(&url)
        .root_certificate_pem(&ca)
        .merchant_certificate_pem(&cert, keys::MERCHANT_KEY_PEM)
        .build()
        .unwrap();
    let answer = c
        .v2()
        .mmpaymkttransfers()
        .sendredpack()
        .post(&red_packet())
        .await
        .unwrap();
    assert_eq!(answer.total_amount, Some(100));
    assert_eq!(seen.lock().unwrap().len(), 1);
    assert_eq!(*refused.lock().unwrap(), 0);

    // An operation that does not need it uses connections without it: this server refuses
    // them in the handshake, before any request is read.
    let request = orderquery::PostRequest::default()
        .with(|r| {
            r.appid = Some("wx2421b1c4370ec43b".into());
            r.mch_id = Some("1900000001".into());
        })
        .with(|r| r.out_trade_no = Some("T-1".into()));
    let e = c.v2().pay().orderquery().post(&request).await.unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    assert_eq!(seen.lock().unwrap().len(), 1, "nothing more was read");
    assert!(*refused.lock().unwrap() >= 1);
}

#[tokio::test]
async fn a_certificate_of_another_ca_is_refused_by_the_server() {
    let dir = certificates();
    let (url, seen, refused) = tls_server(dir.path()).await;
    let ca = std::fs::read_to_string(dir.path().join("ca.pem")).unwrap();
    // The sandbox's self-signed merchant certificate: same key, not issued by this CA.
    let c = builder(&url)
        .root_certificate_pem(&ca)
        .merchant_certificate_pem(keys::MERCHANT_CERT_PEM, keys::MERCHANT_KEY_PEM)
        .build()
        .unwrap();
    let e = c
        .v2()
        .mmpaymkttransfers()
        .sendredpack()
        .post(&red_packet())
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Transport(_)), "{e:?}");
    assert!(seen.lock().unwrap().is_empty());
    assert!(*refused.lock().unwrap() >= 1);
}

#[test]
fn a_bad_certificate_or_key_is_a_configuration_error_that_shows_no_key() {
    let e = builder("http://127.0.0.1:9")
        .merchant_certificate_pem("not a certificate", keys::MERCHANT_KEY_PEM)
        .build()
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config(why) if why.message.starts_with("merchant certificate")),
        "{e:?}"
    );
    let e = builder("http://127.0.0.1:9")
        .merchant_certificate_pem(
            keys::MERCHANT_CERT_PEM,
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
        )
        .build()
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config(why) if why.message.starts_with("merchant certificate")),
        "{e:?}"
    );
    // The certificate of another key (apiclient_cert.pem of another download).
    let e = builder("http://127.0.0.1:9")
        .merchant_certificate_pem(keys::MERCHANT_CERT_PEM, keys::WECHATPAY_KEY_PEM)
        .build()
        .unwrap_err();
    assert!(
        matches!(&e, Error::Config(why) if why.message.contains("not of this private key")),
        "{e:?}"
    );
    let c = builder("http://127.0.0.1:9")
        .merchant_certificate_pem(keys::MERCHANT_CERT_PEM, keys::MERCHANT_KEY_PEM)
        .build()
        .unwrap();
    let shown = format!("{c:?}");
    let key_line = keys::MERCHANT_KEY_PEM.lines().nth(1).unwrap();
    assert!(!shown.contains(key_line), "{shown}");
}
