"""The wxface exception hierarchy.

Every exception raised by wxface is a :class:`Error`; each carries ``.code``,
the stable snake_case code of the underlying Rust error (the same code every
wxface binding reports)::

    Error                    .code
    ├── InvalidInputError    invalid_input, sdk_version      (.field)
    ├── SignatureError       signature_missing, signature_malformed,
    │                        signature_stale_timestamp,
    │                        signature_unknown_serial, signature_mismatch
    ├── DecryptionError      decryption
    ├── ExpiredError         expired
    ├── BackendError         backend   (.status, .wechat_code, .message, .detail, .retryable)
    ├── TransportError       transport (.kind: connect | timeout | interrupted | other, .retryable)
    ├── SdkError             sdk       (.cmd, .return_code, .err_code)
    ├── StateError           state
    ├── ConfigError          config
    └── MalformedError       malformed

Messages name fields and rules, never values: no secret, key, authinfo or
personal data ever appears in a message.
"""

from ._native import (
    BackendError,
    ConfigError,
    DecryptionError,
    Error,
    ExpiredError,
    InvalidInputError,
    MalformedError,
    SdkError,
    SignatureError,
    StateError,
    TransportError,
    error_class_for_code,
    error_codes,
)

__all__ = [
    "Error",
    "InvalidInputError",
    "SignatureError",
    "DecryptionError",
    "ExpiredError",
    "BackendError",
    "TransportError",
    "SdkError",
    "StateError",
    "ConfigError",
    "MalformedError",
    "error_codes",
    "error_class_for_code",
]
