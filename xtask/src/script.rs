//! The JavaScript error classes (CommonJS for Node, ES module for WASM) and
//! their TypeScript declarations.

use crate::{Class, Field, GENERATED};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    CommonJs,
    Esm,
}

pub fn module(classes: &[Class], fields: &[Field], style: Style) -> String {
    let mut s = String::new();
    if style == Style::CommonJs {
        s.push_str("'use strict'\n");
    }
    s.push_str(&format!("// {GENERATED}\n"));
    s.push_str(
        "//\n// The error classes of wxface. Every error the native code raises arrives as\n\
         // the flat record {code, kind, message, retryable, ...details} (snake_case)\n\
         // and becomes an instance of the class of its kind, with the details as\n\
         // camelCase properties, so `instanceof BackendError` works. No message or\n\
         // property holds a secret or personal data.\n\n",
    );
    s.push_str("/** snake_case record field -> camelCase property. */\nconst FIELDS = {\n");
    for f in fields {
        s.push_str(&format!("  {}: '{}',\n", f.name, f.camel()));
    }
    s.push_str("}\n\n");
    s.push_str(
        "/** Base class of every wxface error. */\n\
         class WxfaceError extends Error {\n  \
         constructor (message, info) {\n    \
         super(message)\n    \
         const i = info || {}\n    \
         this.code = i.code || this.constructor.defaultCode\n    \
         this.kind = this.constructor.kind\n    \
         this.retryable = Boolean(i.retryable)\n    \
         for (const [snake, camel] of Object.entries(FIELDS)) {\n      \
         const v = i[snake] !== undefined ? i[snake] : i[camel]\n      \
         if (v !== null && v !== undefined) this[camel] = v\n    \
         }\n  \
         }\n\n  \
         /** The flat record every wxface binding shares (snake_case keys). */\n  \
         info () {\n    \
         const out = { code: this.code, kind: this.kind, message: this.message, retryable: this.retryable }\n    \
         for (const [snake, camel] of Object.entries(FIELDS)) {\n      \
         if (this[camel] !== undefined) out[snake] = this[camel]\n    \
         }\n    \
         return out\n  \
         }\n\
         }\n\
         WxfaceError.kind = ''\n\
         WxfaceError.defaultCode = ''\n\n",
    );
    for c in classes {
        s.push_str(&format!(
            "/** {} Codes: {}. */\nclass {}Error extends WxfaceError {{}}\n{}Error.kind = '{}'\n{}Error.defaultCode = '{}'\n\n",
            c.doc,
            c.codes.join(", "),
            c.stem,
            c.stem,
            c.kind.as_str(),
            c.stem,
            c.codes[0]
        ));
    }
    s.push_str("const CLASSES = {\n  WxfaceError,\n");
    for c in classes {
        s.push_str(&format!("  {}Error,\n", c.stem));
    }
    s.push_str("}\nfor (const [name, cls] of Object.entries(CLASSES)) {\n  Object.defineProperty(cls.prototype, 'name', { value: name, writable: true, configurable: true })\n}\n\n");
    s.push_str("/** Error kind -> class. */\nconst KINDS = {\n");
    for c in classes {
        s.push_str(&format!("  {}: {}Error,\n", c.kind.as_str(), c.stem));
    }
    s.push_str("}\n\n/** Every stable code -> its class. */\nconst CODES = {\n");
    for c in classes {
        for code in &c.codes {
            s.push_str(&format!("  {code}: {}Error,\n", c.stem));
        }
    }
    s.push_str("}\n\n");
    s.push_str(
        "/** Every code, in catalogue order. */\n\
         function errorCodes () {\n  return Object.keys(CODES)\n}\n\n\
         /** The error for a flat record; an unknown code becomes an InternalError. */\n\
         function fromInfo (info) {\n  \
         const cls = CODES[info.code] || InternalError\n  \
         const err = new cls(info.message || '', info)\n  \
         if (Error.captureStackTrace) Error.captureStackTrace(err, fromInfo)\n  \
         return err\n\
         }\n\n",
    );
    let names: Vec<String> = std::iter::once("WxfaceError".to_owned())
        .chain(classes.iter().map(|c| format!("{}Error", c.stem)))
        .chain(["KINDS", "CODES", "errorCodes", "fromInfo"].map(String::from))
        .collect();
    match style {
        Style::CommonJs => s.push_str(&format!(
            "module.exports = {{\n  {}\n}}\n",
            names.join(",\n  ")
        )),
        Style::Esm => s.push_str(&format!("export {{\n  {}\n}}\n", names.join(",\n  "))),
    }
    s
}

/// The TypeScript type of a detail field.
fn ts_type(f: &Field) -> &'static str {
    match (f.numeric, f.name.as_str()) {
        (true, _) => "number",
        (false, "transport_kind") => "TransportKind",
        (false, _) => "string",
    }
}

pub fn declarations(classes: &[Class], fields: &[Field]) -> String {
    let mut s = format!("// {GENERATED}\n\n");
    s.push_str("/** Every stable error code. */\nexport type ErrorCode =\n");
    for c in classes {
        for code in &c.codes {
            s.push_str(&format!("  | '{code}'\n"));
        }
    }
    s.push_str("\n/** Every error kind (one class per kind). */\nexport type ErrorKind =\n");
    for c in classes {
        s.push_str(&format!("  | '{}'\n", c.kind.as_str()));
    }
    s.push_str(
        "\n/** How an HTTP call failed (`transport` errors). */\nexport type TransportKind =\n",
    );
    for k in wxface_core::error::TransportKind::ALL {
        s.push_str(&format!("  | '{}'\n", k.as_str()));
    }
    s.push_str("\n/** The flat record of an error (snake_case keys, as the Rust core and the kiosk API send it). */\nexport interface ErrorInfo {\n  code: ErrorCode\n  kind: ErrorKind\n  message: string\n  retryable: boolean\n");
    for f in fields {
        s.push_str(&format!("  {}?: {}\n", f.name, ts_type(f)));
    }
    s.push_str("}\n\n/** Base class of every wxface error. */\nexport declare class WxfaceError extends Error {\n  constructor (message: string, info?: Partial<ErrorInfo>)\n  readonly code: ErrorCode\n  readonly kind: ErrorKind\n  readonly retryable: boolean\n  /** The flat record (snake_case keys). */\n  info (): ErrorInfo\n}\n\n");
    for c in classes {
        s.push_str(&format!(
            "/** {} */\nexport declare class {}Error extends WxfaceError {{\n  readonly code: {}\n  readonly kind: '{}'\n",
            c.doc,
            c.stem,
            c.codes
                .iter()
                .map(|c| format!("'{c}'"))
                .collect::<Vec<_>>()
                .join(" | "),
            c.kind.as_str()
        ));
        for f in &c.fields {
            s.push_str(&format!("  readonly {}?: {}\n", f.camel(), ts_type(f)));
        }
        s.push_str("}\n\n");
    }
    s.push_str("/** Any error wxface raises. */\nexport type AnyWxfaceError =\n");
    for c in classes {
        s.push_str(&format!("  | {}Error\n", c.stem));
    }
    s.push_str("\n/** Error kind -> class. */\nexport declare const KINDS: Readonly<Record<ErrorKind, typeof WxfaceError>>\n/** Every code -> its class. */\nexport declare const CODES: Readonly<Record<ErrorCode, typeof WxfaceError>>\n/** Every code, in catalogue order. */\nexport declare function errorCodes (): ErrorCode[]\n/** The error for a flat record. */\nexport declare function fromInfo (info: Partial<ErrorInfo> & { code: string, message?: string }): AnyWxfaceError\n");
    s
}
