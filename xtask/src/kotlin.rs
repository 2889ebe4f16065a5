//! The Kotlin binding's error: the UniFFI enum in Rust
//! (`bindings-kotlin/src/errors.rs`) and its Kotlin companions
//! (`Errors.kt`).

use crate::{Class, GENERATED};

fn rust_type(f: &crate::Field) -> &'static str {
    if f.numeric {
        "Option<u16>"
    } else {
        "Option<String>"
    }
}

pub fn rust(classes: &[Class]) -> String {
    let mut s = format!("// {GENERATED}\n\n");
    s.push_str(
        "//! The one error type of the binding: `WxfaceError` in Rust, the sealed class\n\
         //! `WxfaceException` in Kotlin, one variant per kind of the core's error\n\
         //! catalogue. Every variant carries `code` (the stable code), `reason` (the\n\
         //! message: Kotlin's `Throwable` owns `message`), `retryable`, and the detail\n\
         //! fields of its codes. Both directions go through the core's flat\n\
         //! `ErrorInfo`: `From<CoreError>` for errors on their way to Kotlin,\n\
         //! [`WxfaceError::info`] for what Kotlin code threw on its way back.\n\n\
         use wxface_core::error::{Error as CoreError, ErrorInfo, ErrorKind};\n\n\
         /// An error of wxface (see docs/errors.md).\n\
         #[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]\n\
         pub enum WxfaceError {\n",
    );
    for c in classes {
        s.push_str(&format!(
            "    /// {}\n    #[error(\"{{reason}}\")]\n    {} {{\n        /// The stable code.\n        code: String,\n        /// The message (names fields and rules, never values).\n        reason: String,\n        /// Whether the same call may be retried unchanged.\n        retryable: bool,\n",
            c.doc, c.stem
        ));
        for f in &c.fields {
            s.push_str(&format!(
                "        /// `{}` of the error record.\n        {}: {},\n",
                f.name,
                f.name,
                rust_type(f)
            ));
        }
        s.push_str("    },\n");
    }
    s.push_str("}\n\nimpl From<ErrorInfo> for WxfaceError {\n    fn from(i: ErrorInfo) -> Self {\n        let kind = wxface_core::error::spec(&i.code).map_or(ErrorKind::Internal, |s| s.kind);\n        match kind {\n");
    let last = classes.len() - 1;
    for (n, c) in classes.iter().enumerate() {
        let pat = if n == last {
            "_".to_owned()
        } else {
            format!("ErrorKind::{:?}", c.kind)
        };
        s.push_str(&format!(
            "            {pat} => Self::{} {{\n                code: i.code,\n                reason: i.message,\n                retryable: i.retryable,\n",
            c.stem
        ));
        for f in &c.fields {
            s.push_str(&format!("                {}: i.{},\n", f.name, f.name));
        }
        s.push_str("            },\n");
    }
    s.push_str("        }\n    }\n}\n\nimpl From<CoreError> for WxfaceError {\n    fn from(e: CoreError) -> Self {\n        e.info().into()\n    }\n}\n\n");
    s.push_str("impl WxfaceError {\n    /// The error as the core's flat record.\n    pub fn info(&self) -> ErrorInfo {\n        match self {\n");
    for c in classes {
        let mut names = vec!["code", "reason", "retryable"];
        names.extend(c.fields.iter().map(|f| f.name.as_str()));
        s.push_str(&format!(
            "            Self::{} {{\n                {},\n            }} => ErrorInfo {{\n                code: code.clone(),\n                kind: \"{}\".to_owned(),\n                message: reason.clone(),\n                retryable: *retryable,\n",
            c.stem,
            names.join(",\n                "),
            c.kind.as_str()
        ));
        for f in &c.fields {
            // `Option<u16>` is `Copy`: clippy refuses `.clone()` on it.
            let read = if f.numeric {
                format!("*{}", f.name)
            } else {
                format!("{}.clone()", f.name)
            };
            s.push_str(&format!("                {}: {read},\n", f.name));
        }
        s.push_str("                ..ErrorInfo::default()\n            },\n");
    }
    s.push_str("        }\n    }\n\n    /// The stable code.\n    pub fn code(&self) -> &str {\n        match self {\n");
    let arms: Vec<String> = classes
        .iter()
        .map(|c| format!("Self::{} {{ code, .. }}", c.stem))
        .collect();
    s.push_str(&format!(
        "            {} => code,\n",
        arms.join("\n            | ")
    ));
    s.push_str("        }\n    }\n}\n\n/// Every error code, in catalogue order.\n#[uniffi::export]\npub fn error_codes() -> Vec<String> {\n    wxface_core::error::codes().map(str::to_owned).collect()\n}\n");
    s
}

pub fn kotlin(classes: &[Class]) -> String {
    let mut s = format!("// {GENERATED}\n");
    s.push_str("// Companions of the generated `WxfaceException`: the common fields of every\n// variant, and the catalogue's codes. Plain Kotlin: runs on Android.\npackage wxface\n\n");
    for (prop, field, ty, doc) in [
        (
            "code",
            "code",
            "String",
            "The stable code of this error (`sdk`, `signature_mismatch`, …).",
        ),
        (
            "reason",
            "reason",
            "String",
            "The message (names fields and rules, never values).",
        ),
        (
            "retryable",
            "retryable",
            "Boolean",
            "Whether the same call may be repeated unchanged.",
        ),
    ] {
        s.push_str(&format!(
            "/** {doc} */\nval WxfaceException.{prop}: {ty}\n    get() = when (this) {{\n"
        ));
        for c in classes {
            s.push_str(&format!(
                "        is WxfaceException.{} -> this.{field}\n",
                c.stem
            ));
        }
        s.push_str("    }\n\n");
    }
    s.push_str("/** The kind of this error (`invalid_input`, `sdk`, `transport`, …): one per variant. */\nval WxfaceException.kind: String\n    get() = when (this) {\n");
    for c in classes {
        s.push_str(&format!(
            "        is WxfaceException.{} -> \"{}\"\n",
            c.stem,
            c.kind.as_str()
        ));
    }
    s.push_str("    }\n\n");
    s.push_str("/** The catalogue's codes (docs/errors.md); `errorCodes()` is the Rust list. */\nobject WxfaceErrorCodes {\n    val ALL: List<String> = listOf(\n");
    for c in classes {
        for code in &c.codes {
            s.push_str(&format!("        \"{code}\",\n"));
        }
    }
    s.push_str("    )\n\n    /** The variant a code belongs to, by its Kotlin class name. */\n    fun variantOf(code: String): String? = when (code) {\n");
    for c in classes {
        let codes: Vec<String> = c.codes.iter().map(|c| format!("\"{c}\"")).collect();
        s.push_str(&format!("        {} -> \"{}\"\n", codes.join(", "), c.stem));
    }
    s.push_str("        else -> null\n    }\n}\n");
    s
}
