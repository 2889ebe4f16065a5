//! `uniffi-bindgen`, pinned to the UniFFI version the Kotlin binding is built with.

fn main() {
    uniffi::uniffi_bindgen_main()
}
