// Nor can it be deserialised from JSON someone sent.
use wxface_core::v3::EncryptedRealName;

fn main() {
    let _: Result<EncryptedRealName, _> = serde_json::from_str("{}");
}
