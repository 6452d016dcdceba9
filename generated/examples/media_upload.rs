//! An image upload: `POST /v3/merchant/media/upload` (multipart: the signed `meta` JSON and the
//! file) for a `media_id` to use in other requests (applyment, complaints, …). The runtime fills
//! `meta.filename` and `meta.sha256` from the file.
//!
//! Configured from the environment (see `Client::from_env`).
//!
//! ```text
//! cargo run -p wechatpay-client --features merchant --example media_upload -- picture.png
//! ```

use std::process::ExitCode;

use wechatpay::runtime::Upload;
use wechatpay::v3::merchant::media::upload;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [path] = args.as_slice() else {
        eprintln!("usage: media_upload FILE(.jpg/.png/.bmp, at most 5 MB)");
        return ExitCode::from(2);
    };
    match run(path).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(path: &str) -> Result<(), Box<dyn std::error::Error>> {
    let client = wechatpay::Client::from_env()?;
    let meta = upload::PostRequest::new(upload::PostRequestRequired {
        meta: upload::PostRequestMeta::default(),
    });
    let answer = client
        .v3()
        .merchant()
        .media()
        .upload()
        .post(&meta, Upload::from_path(path))
        .await?;
    println!("media_id {}", answer.media_id.ok_or("the answer has no media_id")?);
    Ok(())
}
