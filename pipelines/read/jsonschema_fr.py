"""JSON Schema validation errors as French messages for participants.

`jsonschema` speaks English and names its keywords; a participant reading a rejected row in
Datasette needs to know, in French, where in the record the problem is, which rule of the
official schema it breaks and what was found, in the same words as the Table Schema checks
(`validate.messages`, the one vocabulary). Each error becomes
`{"chemin": JSON Pointer, "regle": keyword, "message": French text}`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from jsonschema.exceptions import ValidationError

from ..validate import messages

# JSON Schema types as the Table Schema field types whose French wording they share
_AS_FIELD = {
    "string": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean", "trueValues": ["true"], "falseValues": ["false"]},
    "array": {"type": "array"},
    "object": {"type": "object"},
    "null": {"type": "null"},
}


def _found(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return messages.quoted(text)


def _pointer(parts: Iterable[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _expected_type(expected: Any) -> str:
    kinds = expected if isinstance(expected, list) else [expected]
    return " ou ".join(messages.expected(_AS_FIELD.get(k, {"type": k})) for k in kinds)


def french_message(error: ValidationError) -> str:
    """One error in French, in the words of `validate.messages`: what the rule expects and
    what was found."""
    rule, expected, found = error.validator, error.validator_value, _found(error.instance)
    if rule == "required":
        missing = [name for name in expected if name not in (error.instance or {})]
        return messages.missing_properties(missing)
    if rule == "additionalProperties":
        extra = sorted(set(error.instance or {}) - set(error.schema.get("properties", {})))
        return messages.extra_properties(extra)
    if rule == "type":  # as JSON: the string "5" and the number 5 must read differently
        shown = messages.quoted(json.dumps(error.instance, ensure_ascii=False))
        return f"{shown} : {_expected_type(expected)}"
    if rule == "enum":
        return messages.enum_message(found, list(expected))
    if rule == "pattern":
        return messages.pattern_message(found, expected)
    if rule in messages.BOUND_WORDS:
        return messages.bound_message(found, rule, expected)
    if rule in messages.LENGTH_WORDS:
        return messages.length_message(found, rule, expected, len(str(error.instance)))
    if rule == "minItems":
        return messages.min_items_message(found, expected)
    if rule == "uniqueItems":
        return messages.UNIQUE_ITEMS
    if rule in ("anyOf", "oneOf"):
        return messages.no_shape_message(found, rule)
    return f"règle « {rule} » non respectée ({error.message})"


def french_errors(errors: Iterable[ValidationError], prefix: str = "") -> list[dict[str, str]]:
    """Errors sorted by position in the record, each with its JSON Pointer and French text."""
    ordered = sorted(errors, key=lambda e: [str(p) for p in e.absolute_path])
    return [
        {
            "chemin": prefix + _pointer(error.absolute_path),
            "regle": str(error.validator),
            "message": french_message(error),
        }
        for error in ordered
    ]
