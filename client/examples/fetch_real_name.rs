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
//! Every option and its variable: docs/configuration.md. `WXFACE_BASE_URL`
//! is optional (a sandbox); without it the production hosts are used.

use wxface_client::{ClientSettings, MerchantClient};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The same options, variables and rules as the CLI and the bindings.
    let (config, decryptor) = ClientSettings::from_env()?.build()?;
    // A direct merchant's API key decrypts unless WXFACE_DECRYPT_KEY_* says
    // otherwise; a provider's server has none (see RealNameReceiver).
    let decryptor = decryptor.ok_or("set WXFACE_DECRYPT_KEY_FILE (provider mode)")?;
    let client = MerchantClient::new(config)?;
    let face_sid = std::env::args()
        .nth(1)
        .ok_or("usage: fetch_real_name <face_sid>")?;
    let identity = client.fetch_real_name(&face_sid, &decryptor).await?;
    println!("{identity}"); // Display shows masked values only
    Ok(())
}
