"""The one French vocabulary of validation errors: Table Schema checks in SQL and in
Python, and the JSON Schema errors of the readers (`read/jsonschema_fr.py`).

Participants read these in Datasette next to the rejected rows: each says what was
expected and what was found. A message is written once, as a Python function of the
found value; `in_sql` renders the same function as a SQL expression over a column, so
the checking scan and the Python paths cannot drift apart.
"""

from __future__ import annotations

import re
from typing import Any

_DATE_PARTS = {"%Y": "AAAA", "%y": "AA", "%m": "MM", "%d": "JJ", "%H": "hh", "%M": "mm",
               "%S": "ss", "%f": "ffffff", "%%": "%"}


def french_format(fmt: str) -> str:
    """`%d/%m/%Y` → `JJ/MM/AAAA`."""
    return re.sub(r"%.", lambda m: _DATE_PARTS.get(m.group(0), m.group(0)), fmt)


def expected(field: dict[str, Any]) -> str:
    """What a valid cell of this field looks like, in French."""
    kind, fmt = field.get("type", "any"), field.get("format", "default")
    if kind == "integer":
        return "nombre entier attendu"
    if kind == "number":
        decimal = field.get("decimalChar", ".")
        return f"nombre attendu (séparateur décimal « {decimal} »)"
    if kind == "boolean":
        values = list(field.get("trueValues", ["true", "True", "TRUE", "1"]))
        values += list(field.get("falseValues", ["false", "False", "FALSE", "0"]))
        return "valeur booléenne attendue (" + ", ".join(values) + ")"
    if kind == "date":
        shown = "AAAA-MM-JJ" if fmt == "default" else french_format(fmt)
        return "date attendue" + ("" if fmt == "any" else f" au format {shown}")
    if kind == "datetime":
        if fmt in ("default", "any"):
            return "date et heure attendues (ex. 2024-01-31T14:30:00)"
        return f"date et heure attendues au format {french_format(fmt)}"
    if kind == "time":
        return "heure attendue (hh:mm:ss)"
    if kind == "year":
        return "année sur 4 chiffres attendue"
    if kind == "geopoint":
        return "point géographique attendu (« longitude, latitude »)"
    if kind == "null":
        return "valeur nulle (null) attendue"
    if kind in ("array", "object"):
        return ("tableau" if kind == "array" else "objet") + " JSON attendu"
    if kind == "string":
        return {
            "email": "adresse e-mail attendue",
            "uri": "adresse web (URI) attendue",
            "uuid": "identifiant UUID attendu",
            "binary": "contenu base64 attendu",
            "wkt": "géométrie WKT attendue",
        }.get(fmt, "texte attendu")
    return f"valeur de type {kind} attendue"


def quoted(value: str, width: int = 60) -> str:
    """« value », cut to `width` characters (the Python twin of sql.shown)."""
    text = value if len(value) <= width else value[: width - 1] + "…"
    return f"« {text} »"


REQUIRED = "Valeur obligatoire manquante"
BOUND_WORDS = {
    "minimum": "valeur minimale autorisée",
    "maximum": "valeur maximale autorisée",
    "exclusiveMinimum": "valeur strictement supérieure à",
    "exclusiveMaximum": "valeur strictement inférieure à",
}
LENGTH_WORDS = {"minLength": "au moins", "maxLength": "au plus"}
# placeholders `in_sql` replaces with SQL expressions (never in a real message)
FOUND, LENGTH = "\x00found\x00", "\x00length\x00"


def type_message(found: str, field: dict[str, Any]) -> str:
    return f"{found} : {expected(field)}"


def length_message(found: str, name: str, limit: Any, length: Any) -> str:
    return f"{found} : {LENGTH_WORDS[name]} {limit} caractères attendus, {length} trouvés"


def pattern_message(found: str, pattern: str) -> str:
    return f"{found} ne respecte pas le format attendu (motif {pattern})"


def enum_message(found: str, values: list[Any]) -> str:
    return f"{found} ne fait pas partie des valeurs autorisées : {enum_text(values)}"


def bound_message(found: str, name: str, bound: Any) -> str:
    return f"{found} : {BOUND_WORDS.get(name, name)} {bound}"


def in_sql(message: str, **slots: str) -> str:
    """A message built with the `FOUND` / `LENGTH` placeholders, as a SQL expression whose
    placeholders are the SQL expressions given (`found=`, `length=`)."""
    from .sql import lit  # sql.py is tiny; imported here to keep this module's surface clear

    marks = {FOUND: slots.get("found"), LENGTH: slots.get("length")}
    parts: list[str] = []
    rest = message
    while True:
        hits = [(rest.find(m), m) for m in marks if rest.find(m) >= 0]
        if not hits:
            break
        at, mark = min(hits)
        if at:
            parts.append(lit(rest[:at]))
        expr = marks[mark]
        if expr is None:
            raise ValueError(f"message needs a SQL expression for {mark!r}")
        parts.append(f"({expr})")
        rest = rest[at + len(mark):]
    if rest or not parts:
        parts.append(lit(rest))
    return " || ".join(parts)


def constraint_message(name: str, constraint: Any, value: str) -> str:
    """The French message of a failed Table Schema constraint on `value`."""
    if name == "required":
        return REQUIRED
    if name in LENGTH_WORDS:
        return length_message(quoted(value), name, constraint, len(value))
    if name == "pattern":
        return pattern_message(quoted(value), constraint)
    if name == "enum":
        return enum_message(quoted(value), constraint)
    return bound_message(quoted(value), name, constraint)


def missing_properties(names: list[str]) -> str:
    return f"propriété(s) obligatoire(s) manquante(s) : {', '.join(names)}"


def extra_properties(names: list[str]) -> str:
    return f"propriété(s) non prévue(s) par le schéma : {', '.join(names)}"


def min_items_message(found: str, limit: Any) -> str:
    return f"{found} : au moins {limit} élément(s) attendu(s)"


UNIQUE_ITEMS = "éléments en double dans la liste"


def no_shape_message(found: str, rule: str) -> str:
    return f"{found} ne correspond à aucune des formes prévues ({rule})"


def enum_text(values: list[Any], limit: int = 8) -> str:
    shown = ", ".join(str(v) for v in values[:limit])
    return shown + (f" (et {len(values) - limit} autres)" if len(values) > limit else "")


# A quarantined row's `_erreurs`: each error after the field it is about, French typography
# (narrow no-break space before « : » and « ; », as `pipelines.french` does).
FIELD_SEP = "\u202f: "
ERROR_SEP = "\u202f; "


def after_field(champ: str, message: str) -> str:
    """« code_insee : valeur obligatoire manquante »; a row-level error (no field) as it is.

    The message's first letter is lowered after the colon unless it starts an acronym
    (« SIRET … », « JSON … »)."""
    if not champ:
        return message
    if len(message) > 1 and message[1] != message[1].upper():
        message = message[0].lower() + message[1:]
    return f"{champ}{FIELD_SEP}{message}"


def row_errors(errors: list[tuple[str, str]]) -> str:
    """The `_erreurs` text of a row from its (champ, message) errors, in order."""
    return ERROR_SEP.join(after_field(champ, message) for champ, message in errors)
