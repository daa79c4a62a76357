"""French wording of validation errors, shared by the SQL and the Python checks.

Participants read these in Datasette next to the rejected rows: each says what was
expected and what was found.
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


def constraint_message(name: str, constraint: Any, value: str) -> str:
    """The French message of a failed Table Schema constraint on `value`."""
    if name == "required":
        return "Valeur obligatoire manquante"
    if name == "minLength":
        return f"{quoted(value)} : au moins {constraint} caractères attendus, {len(value)} trouvés"
    if name == "maxLength":
        return f"{quoted(value)} : au plus {constraint} caractères attendus, {len(value)} trouvés"
    if name == "pattern":
        return f"{quoted(value)} ne respecte pas le format attendu (motif {constraint})"
    if name == "enum":
        allowed = enum_text(constraint)
        return f"{quoted(value)} ne fait pas partie des valeurs autorisées : {allowed}"
    words = {
        "minimum": "valeur minimale autorisée",
        "maximum": "valeur maximale autorisée",
        "exclusiveMinimum": "valeur strictement supérieure à",
        "exclusiveMaximum": "valeur strictement inférieure à",
    }
    return f"{quoted(value)} : {words.get(name, name)} {constraint}"


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
