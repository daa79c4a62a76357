"""JSON Schema validation errors as French messages for participants.

`jsonschema` speaks English and names its keywords; a participant reading a rejected row in
Datasette needs to know, in French, where in the record the problem is, which rule of the
official schema it breaks and what was found. Each error becomes
`{"chemin": JSON Pointer, "regle": keyword, "message": French text}`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from jsonschema.exceptions import ValidationError


def _found(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


def _pointer(parts: Iterable[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def french_message(error: ValidationError) -> str:
    """One error in French: what the rule expects and what was found."""
    rule, expected, found = error.validator, error.validator_value, _found(error.instance)
    if rule == "required":
        missing = [name for name in expected if name not in (error.instance or {})]
        return f"propriété(s) obligatoire(s) absente(s) : {', '.join(missing)}"
    if rule == "additionalProperties":
        extra = sorted(set(error.instance or {}) - set(error.schema.get("properties", {})))
        return f"propriété(s) non prévue(s) par le schéma : {', '.join(extra)}"
    if rule == "type":
        return f"type attendu : {expected}, trouvé : {found}"
    if rule == "enum":
        choices = " | ".join(str(v) for v in expected)
        return f"valeur hors de la liste autorisée ({choices}), trouvé : {found}"
    if rule == "pattern":
        return f"format attendu (motif {expected}), trouvé : {found}"
    if rule in ("minimum", "exclusiveMinimum"):
        return f"valeur minimale {expected}, trouvé : {found}"
    if rule in ("maximum", "exclusiveMaximum"):
        return f"valeur maximale {expected}, trouvé : {found}"
    if rule == "maxLength":
        return f"au plus {expected} caractères, trouvé : {len(str(error.instance))} caractères"
    if rule == "minLength":
        return f"au moins {expected} caractère(s), trouvé : {found}"
    if rule == "minItems":
        return f"au moins {expected} élément(s) attendu(s), trouvé : {found}"
    if rule == "uniqueItems":
        return "éléments en double dans la liste"
    if rule in ("anyOf", "oneOf"):
        return f"ne correspond à aucune des formes prévues ({rule}), trouvé : {found}"
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
