// An answer body becomes a FaceUser (with decryptable fields) only through
// the verifier: the parser itself is not public.
use wxface_core::v3::FaceUser;

fn main() {
    let _ = FaceUser::from_json(br#"{"encrypted_real_name":"QUJD","credential_type":1,"encrypted_credential_id":"REVG"}"#);
}
