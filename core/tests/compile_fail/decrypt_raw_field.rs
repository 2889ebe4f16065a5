// A Decryptor takes no raw base64 field.
use wxface_core::crypto::Padding;
use wxface_core::decrypt::Decryptor;

fn check(d: &Decryptor) {
    let _ = d.decrypt_field("QUJD");
}

fn main() {
    let _ = Padding::Pkcs1v15;
    let _ = check;
}
