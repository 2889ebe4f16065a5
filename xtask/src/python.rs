//! `bindings-py/python/wxface/errors.py`: the exception hierarchy.

use crate::{Class, Field, GENERATED};

pub fn module(classes: &[Class], fields: &[Field]) -> String {
    let mut s = String::new();
    s.push_str(&format!("# {GENERATED}\n"));
    s.push_str("\"\"\"The wxface exception hierarchy.\n\n");
    s.push_str(
        "Every exception raised by wxface is an :class:`Error` with ``.code`` (the\n\
         stable code, the same in every wxface binding), ``.kind``, ``.message``\n\
         and ``.retryable``, plus the detail fields of its code (``None`` when a\n\
         code does not carry one)::\n\n    Error\n",
    );
    for c in classes {
        let fs: Vec<String> = c.fields.iter().map(|f| format!(".{}", f.name)).collect();
        s.push_str(&format!(
            "    ├── {}Error  {}{}\n",
            c.stem,
            c.codes.join(", "),
            if fs.is_empty() {
                String::new()
            } else {
                format!("  ({})", fs.join(", "))
            }
        ));
    }
    s.push_str(
        "\nMessages name fields and rules, never values: no secret, key, authinfo or\n\
         personal data ever appears in a message. See docs/errors.md.\n\"\"\"\n\n",
    );
    s.push_str(
        "import json as _json\nfrom typing import Any, Dict, List, Mapping, Optional, Type\n\n",
    );
    s.push_str("_FIELDS = (\n");
    for f in fields {
        s.push_str(&format!("    \"{}\",\n", f.name));
    }
    s.push_str(")\n\n\n");
    s.push_str(
        "class Error(Exception):\n    \
         \"\"\"Base class of every wxface error.\"\"\"\n\n    \
         code: str = \"\"\n    kind: str = \"\"\n    message: str = \"\"\n    retryable: bool = False\n",
    );
    for f in fields {
        let ty = if f.numeric { "int" } else { "str" };
        s.push_str(&format!("    {}: Optional[{ty}] = None\n", f.name));
    }
    s.push_str(
        "\n    def __init__(self, message: str, info: Optional[Mapping[str, Any]] = None) -> None:\n        \
         super().__init__(message)\n        \
         self.message = message\n        \
         if info:\n            \
         self.code = info.get(\"code\", self.code)\n            \
         self.retryable = bool(info.get(\"retryable\", False))\n            \
         for name in _FIELDS:\n                \
         if name in info:\n                    \
         setattr(self, name, info[name])\n\n    \
         def info(self) -> Dict[str, Any]:\n        \
         \"\"\"The error as the flat record every wxface binding shares.\"\"\"\n        \
         out: Dict[str, Any] = {\"code\": self.code, \"kind\": self.kind, \"message\": self.message, \"retryable\": self.retryable}\n        \
         for name in _FIELDS:\n            \
         value = getattr(self, name)\n            \
         if value is not None:\n                \
         out[name] = value\n        \
         return out\n",
    );
    for c in classes {
        s.push_str(&format!(
            "\n\nclass {}Error(Error):\n    \"\"\"{}\n\n    Codes: {}.\"\"\"\n\n    kind = \"{}\"\n    code = \"{}\"\n",
            c.stem,
            c.doc.replace('`', "``"),
            c.codes
                .iter()
                .map(|c| format!("``{c}``"))
                .collect::<Vec<_>>()
                .join(", "),
            c.kind.as_str(),
            c.codes[0],
        ));
    }
    s.push_str("\n\n_CLASSES: Dict[str, Type[Error]] = {\n");
    for c in classes {
        for code in &c.codes {
            s.push_str(&format!("    \"{code}\": {}Error,\n", c.stem));
        }
    }
    s.push_str("}\n\n\n");
    s.push_str(
        "def error_codes() -> List[str]:\n    \
         \"\"\"Every code, in catalogue order.\"\"\"\n    \
         return list(_CLASSES)\n\n\n\
         def error_class_for_code(code: str) -> Optional[Type[Error]]:\n    \
         \"\"\"The exception class of a code, or ``None`` for an unknown code.\"\"\"\n    \
         return _CLASSES.get(code)\n\n\n\
         def from_info(info: Mapping[str, Any]) -> Error:\n    \
         \"\"\"The exception for a flat error record (a dict); unknown codes are :class:`InternalError`.\"\"\"\n    \
         cls = _CLASSES.get(str(info.get(\"code\")), InternalError)\n    \
         return cls(str(info.get(\"message\", \"\")), info)\n\n\n\
         def _from_json(text: str) -> Error:\n    \
         return from_info(_json.loads(text))\n\n\n",
    );
    s.push_str("__all__ = [\n    \"Error\",\n");
    for c in classes {
        s.push_str(&format!("    \"{}Error\",\n", c.stem));
    }
    s.push_str("    \"error_codes\",\n    \"error_class_for_code\",\n    \"from_info\",\n]\n");
    s
}
