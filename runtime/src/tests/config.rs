//! Secrets, blocking, env.

use super::*;

#[test]
fn debug_shows_no_key_material() {
    let k = keys();
    let c = client_with(|b| b.platform_certificate_pem(&k.platform_cert));
    let debug = format!("{c:?}");
    assert!(
        debug.contains(MCHID) && debug.contains(PUB_KEY_ID) && debug.contains(PLATFORM_CERT_SERIAL),
        "{debug}"
    );
    let builder = Client::builder().private_key_pem(&k.merchant_pkcs8);
    let signer = RsaSigner::from_pem(&k.merchant_pkcs8).unwrap();
    for text in [
        debug,
        format!("{builder:?}"),
        format!("{builder:#?}"),
        format!("{signer:?}"),
    ] {
        for pem in [&k.merchant_pkcs8, &k.merchant_pkcs1] {
            for line in pem.lines().filter(|l| !l.starts_with("-----")) {
                assert!(!text.contains(&line[..16.min(line.len())]), "key material in {text}");
            }
        }
        assert!(!text.contains("PRIVATE KEY"), "{text}");
    }
}

#[tokio::test]
async fn blocking_inside_a_runtime_is_an_error_not_a_panic() {
    let c = client();
    let result = c
        .chain("v3/x")
        .request(Method::GET)
        .send_json::<serde_json::Value>()
        .blocking();
    assert!(matches!(result, Err(Error::Blocking)), "{result:?}");
}

#[test]
fn blocking_runs_and_client_can_be_dropped_in_async_code() {
    // Port 9 (discard) on loopback: nothing listens, so the call fails fast with a transport
    // error, after the blocking runtime was created.
    let c = client_with(|b| b.base_url("http://127.0.0.1:1"));
    let result = c
        .chain("v3/x")
        .request(Method::GET)
        .send_json::<serde_json::Value>()
        .blocking();
    assert!(matches!(result, Err(Error::Transport(_))), "{result:?}");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        // Dropping the last handle (and the blocking runtime) inside async code must not panic.
        drop(c);
    });
}

#[test]
fn from_env_names_the_missing_or_bad_variable() {
    let k = keys();
    let priv_path = keys::temp_path("apiclient_key.pem");
    std::fs::write(&priv_path, &k.merchant_pkcs8).unwrap();
    let priv_path = priv_path.to_str().unwrap().to_owned();
    let pub_path = k.wechatpay_pub_path.to_str().unwrap().to_owned();
    let full = |overrides: &[(&str, Option<&str>)]| {
        let mut vars: std::collections::HashMap<String, String> = [
            ("WECHATPAY_MCHID", MCHID),
            ("WECHATPAY_SERIAL", MERCHANT_SERIAL),
            ("WECHATPAY_PRIVATE_KEY", priv_path.as_str()),
            ("WECHATPAY_PUBLIC_KEY", pub_path.as_str()),
            ("WECHATPAY_PUBLIC_KEY_ID", PUB_KEY_ID),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect();
        for (name, value) in overrides {
            match value {
                Some(v) => vars.insert(name.to_string(), v.to_string()),
                None => vars.remove(*name),
            };
        }
        Client::from_lookup(move |name| vars.get(name).cloned().ok_or(std::env::VarError::NotPresent))
    };
    let c = full(&[]).unwrap();
    assert_eq!(c.base_url(), DEFAULT_BASE_URL);
    assert_eq!(
        full(&[("WECHATPAY_BASE_URL", Some("http://127.0.0.1:8080/"))])
            .unwrap()
            .base_url(),
        "http://127.0.0.1:8080"
    );
    for name in [
        "WECHATPAY_MCHID",
        "WECHATPAY_SERIAL",
        "WECHATPAY_PRIVATE_KEY",
        "WECHATPAY_PUBLIC_KEY",
        "WECHATPAY_PUBLIC_KEY_ID",
    ] {
        let msg = config_error(full(&[(name, None)]));
        assert!(msg.contains(name) && msg.contains("not set"), "{msg}");
        let msg = config_error(full(&[(name, Some("  "))]));
        assert!(msg.contains(name), "{msg}");
    }
    let msg = config_error(full(&[("WECHATPAY_PRIVATE_KEY", Some("/nonexistent/key.pem"))]));
    assert!(
        msg.contains("WECHATPAY_PRIVATE_KEY") && msg.contains("/nonexistent/key.pem"),
        "{msg}"
    );
    // The public key file given as private key: names variable and file.
    let msg = config_error(full(&[("WECHATPAY_PRIVATE_KEY", Some(pub_path.as_str()))]));
    assert!(
        msg.contains("WECHATPAY_PRIVATE_KEY") && msg.contains(&pub_path),
        "{msg}"
    );
    let msg = config_error(full(&[("WECHATPAY_PUBLIC_KEY", Some(priv_path.as_str()))]));
    assert!(
        msg.contains("WECHATPAY_PUBLIC_KEY") && msg.contains(&priv_path),
        "{msg}"
    );
    assert!(!msg.contains("MII"), "key material in {msg}");
    // The APIv3 key is optional, and never shown.
    assert!(format!("{c:?}").contains("apiv3_key: None"), "{c:?}");
    let key = "0123456789abcdef0123456789abcdef";
    let with_key = full(&[("WECHATPAY_APIV3_KEY", Some(key))]).unwrap();
    let shown = format!("{with_key:?}");
    assert!(
        shown.contains("apiv3_key: Some(\"<configured>\")") && !shown.contains(key),
        "{shown}"
    );
    // A bad one is an error when the client is built, naming the variable it came from.
    let msg = config_error(full(&[("WECHATPAY_APIV3_KEY", Some("short"))]));
    assert!(msg.contains("WECHATPAY_APIV3_KEY"), "{msg}");
    assert!(!msg.contains("short"), "key material in {msg}");
    // A builder from the environment takes more settings, and keeps the environment's.
    let vars: std::collections::HashMap<&str, String> = [
        ("WECHATPAY_MCHID", MCHID.to_owned()),
        ("WECHATPAY_SERIAL", MERCHANT_SERIAL.to_owned()),
        ("WECHATPAY_PRIVATE_KEY", priv_path.clone()),
        ("WECHATPAY_PUBLIC_KEY", pub_path.clone()),
        ("WECHATPAY_PUBLIC_KEY_ID", PUB_KEY_ID.to_owned()),
        ("WECHATPAY_BASE_URL", "http://127.0.0.1:8080".to_owned()),
    ]
    .into_iter()
    .collect();
    let tuned = crate::ClientBuilder::<Client>::from_lookup(|name| {
        vars.get(name).cloned().ok_or(std::env::VarError::NotPresent)
    })
    .unwrap()
    .user_agent("tuned/1")
    .retries(2)
    .build()
    .unwrap();
    assert_eq!((tuned.mchid(), tuned.base_url()), (MCHID, "http://127.0.0.1:8080"));
    assert_eq!(tuned.inner.transport.retries, 2);
    assert_eq!(tuned.inner.http.config().user_agent, "tuned/1");
    let missing = crate::ClientBuilder::<Client>::from_lookup(|_| Err(std::env::VarError::NotPresent));
    match missing {
        Err(Error::Config(e)) => {
            assert_eq!(
                (e.problem, e.setting),
                (crate::ConfigProblem::Missing, crate::Setting::Mchid)
            );
            assert_eq!(e.setting.env_var(), Some("WECHATPAY_MCHID"));
            assert!(e.message.contains("WECHATPAY_MCHID"), "{e}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn an_http_base_url_loads_no_root_certificates_until_an_https_url_is_requested() {
    use crate::transport::{default_user_agent, HttpClients, HttpConfig};
    let config = HttpConfig {
        user_agent: default_user_agent(),
        connect_timeout: std::time::Duration::from_secs(1),
        timeout: std::time::Duration::from_secs(1),
        read_timeout: std::time::Duration::from_secs(1),
        pool_idle_timeout: std::time::Duration::from_secs(1),
        custom: None,
        extra_roots: Vec::new(),
        identity: None,
    };
    let same = |a: &reqwest::Client, b: &reqwest::Client| std::ptr::eq(a, b);
    // http:// base: plain requests use the main client; the first https:// one builds the client
    // with roots, once.
    let http = HttpClients::new(&config, "http://127.0.0.1:9").unwrap();
    let main = http.for_base("http://127.0.0.1:9").unwrap();
    let tls = http.for_base("https://download.example").unwrap();
    assert!(!same(main, tls), "an https:// URL needs the client with roots");
    assert!(same(tls, http.for_base("https://other.example").unwrap()), "built once");
    assert!(same(main, http.for_base("http://other:1").unwrap()));
    // https:// base: one client with roots for everything.
    let https = HttpClients::new(&config, "https://api.mch.weixin.qq.com").unwrap();
    let main = https.for_base("https://api.mch.weixin.qq.com").unwrap();
    assert!(same(main, https.for_base("https://download.example").unwrap()));
    assert!(same(main, https.for_base("http://127.0.0.1:9").unwrap()));
}

#[cfg(feature = "v2")]
#[test]
fn an_apiv2_key_without_the_apiv3_settings_builds_a_client_for_apiv2_only() {
    let v2_key = "TESTONLYv2key0123456789abcdefABC";
    // From the environment: the merchant id and the APIv2 key.
    let vars: std::collections::HashMap<&str, &str> = [("WECHATPAY_MCHID", MCHID), ("WECHATPAY_APIV2_KEY", v2_key)]
        .into_iter()
        .collect();
    let c = Client::from_lookup(|name| {
        vars.get(name)
            .map(|v| (*v).to_owned())
            .ok_or(std::env::VarError::NotPresent)
    })
    .unwrap();
    assert!(c.inner.apiv2_key.is_some());
    // APIv3 fails before anything is signed.
    let e = c.sign(b"x").unwrap_err();
    assert!(
        matches!(&e, Error::Config(m) if m.message.contains("APIv2 only")),
        "{e}"
    );
    // One APIv3 setting given means all of them: the old errors.
    let vars2: std::collections::HashMap<&str, &str> = [
        ("WECHATPAY_MCHID", MCHID),
        ("WECHATPAY_APIV2_KEY", v2_key),
        ("WECHATPAY_SERIAL", MERCHANT_SERIAL),
    ]
    .into_iter()
    .collect();
    let msg = config_error(Client::from_lookup(|name| {
        vars2
            .get(name)
            .map(|v| (*v).to_owned())
            .ok_or(std::env::VarError::NotPresent)
    }));
    assert!(msg.contains("WECHATPAY_PRIVATE_KEY"), "{msg}");
    let half = Client::builder()
        .mchid(MCHID)
        .apiv2_key(v2_key)
        .merchant_serial(MERCHANT_SERIAL)
        .build();
    assert!(
        matches!(half, Err(Error::Config(m)) if m.message.contains("private key") && m.setting == crate::Setting::PrivateKey)
    );
    // The RSA key of risk/getpublickey from the environment (here the test WeChat Pay key).
    let k = keys();
    let pub_path = k.wechatpay_pub_path.to_str().unwrap().to_owned();
    let vars3: std::collections::HashMap<&str, &str> = [
        ("WECHATPAY_MCHID", MCHID),
        ("WECHATPAY_APIV2_KEY", v2_key),
        ("WECHATPAY_APIV2_RSA_PUBLIC_KEY", pub_path.as_str()),
    ]
    .into_iter()
    .collect();
    let c = Client::from_lookup(|name| {
        vars3
            .get(name)
            .map(|v| (*v).to_owned())
            .ok_or(std::env::VarError::NotPresent)
    })
    .unwrap();
    assert!(c.inner.apiv2_rsa_key.is_some());
    // Without an APIv2 key, nothing changes.
    assert!(
        matches!(Client::builder().mchid(MCHID).build(), Err(Error::Config(m)) if m.setting == crate::Setting::MerchantSerial)
    );
}
