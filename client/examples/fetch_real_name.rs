//! Fetch the identity behind a `face_sid` and print it masked.
//!
//! ```sh
//! WXFACE_APPID=wx… WXFACE_MCH_ID=190… WXFACE_V2_KEY=… \
//! WXFACE_MERCHANT_KEY_FILE=apiclient_key.pem WXFACE_MERCHANT_SERIAL_NO=… \
//! WXFACE_PLATFORM_PUBLIC_KEY_ID=PUB_KEY_ID_… WXFACE_PLATFORM_PUBLIC_KEY_FILE=pub_key.pem \
//! WXFACE_BASE_URL=http://127.0.0.1:8080 \
//! cargo run -p wxface-client --example fetch_real_name -- <face_sid>
//! ```
//!
//! `WXFACE_BASE_URL` is optional (a sandbox); without it the production
//! hosts are used.

use std::{env, fs};

use wxface_client::core::{crypto::Padding, decrypt::Decryptor, v2::ApiKey};
use wxface_client::{ClientConfig, MerchantClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let var = |k: &str| env::var(k).map_err(|_| format!("set {k}"));
    let key_pem = fs::read_to_string(var("WXFACE_MERCHANT_KEY_FILE")?)?;
    let mut config = ClientConfig::builder()
        .appid(var("WXFACE_APPID")?)
        .mch_id(var("WXFACE_MCH_ID")?)
        .api_key(ApiKey::new(var("WXFACE_V2_KEY")?)?)
        .merchant_key_pem(key_pem.clone(), var("WXFACE_MERCHANT_SERIAL_NO")?)
        .platform_public_key(
            var("WXFACE_PLATFORM_PUBLIC_KEY_ID")?,
            fs::read_to_string(var("WXFACE_PLATFORM_PUBLIC_KEY_FILE")?)?,
        );
    if let Ok(url) = var("WXFACE_BASE_URL") {
        config = config.base_url(url);
    }
    let client = MerchantClient::new(config.build()?)?;
    // Direct merchant: the API certificate's key also decrypts the fields.
    let decryptor = Decryptor::from_pem(&key_pem, Padding::Pkcs1v15)?;
    let face_sid = env::args()
        .nth(1)
        .ok_or("usage: fetch_real_name <face_sid>")?;
    let identity = client.fetch_real_name(&face_sid, &decryptor).await?;
    println!("{identity}"); // Display shows masked values only
    Ok(())
}
