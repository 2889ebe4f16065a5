// An EncryptedRealName cannot be made up from ciphertexts: its fields are
// private and it has no constructor.
use wxface_core::realname::CredentialType;
use wxface_core::v3::EncryptedRealName;

fn main() {
    let _ = EncryptedRealName {
        encrypted_real_name: String::from("QUJD"),
        credential_type: CredentialType::IdCard,
        encrypted_credential_id: String::from("REVG"),
    };
}
