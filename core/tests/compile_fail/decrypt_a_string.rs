// decrypt_real_name takes only an EncryptedRealName, not text.
use wxface_core::decrypt::Decryptor;

fn check(d: &Decryptor) {
    let _ = d.decrypt_real_name("{\"encrypted_real_name\":\"QUJD\"}");
}

fn main() {
    let _ = check;
}
