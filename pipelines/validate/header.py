"""Match the source's columns to the schema's fields and report header problems.

Fields are matched by name first (the reader already normalises labels). What is left
is paired by position: a leftover column standing where a leftover field is expected is
that field renamed (`incorrect-label`) and its cells are checked as the field, as
frictionless does positionally. Other leftovers are `missing-label` (the field's cells
are absent: no cell errors, as in frictionless) or `extra-label` (ignored).
`duplicate-label` needs the file's original labels (`labels=`), since a table cannot
hold two columns with one name.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .messages import quoted


def _error(kind: str, field: str, label: str, position: int, message: str) -> dict[str, Any]:
    return {"type": kind, "champ": field, "label": label, "position": position,
            "message": message}


def match_columns(
    columns: Sequence[str], fields: Sequence[str], labels: Sequence[str] | None = None
) -> tuple[dict[str, str | None], list[dict[str, Any]]]:
    """Map each field to its source column (None when absent) and list header errors."""
    mapping: dict[str, str | None] = {f: (f if f in columns else None) for f in fields}
    used = {c for c in mapping.values() if c}
    errors: list[dict[str, Any]] = []
    extra = [c for c in columns if c not in used]
    for index, name in enumerate(fields):
        if mapping[name] is None and index < len(columns) and columns[index] in extra:
            label = columns[index]
            mapping[name] = label
            extra.remove(label)
            errors.append(_error(
                "incorrect-label", name, label, index + 1,
                f"Colonne {quoted(label)} trouvée à la place de {quoted(name)} (position "
                f"{index + 1}) : ses valeurs sont vérifiées comme {quoted(name)} ; renommez-la",
            ))
    for index, name in enumerate(fields):
        if mapping[name] is None:
            errors.append(_error(
                "missing-label", name, "", index + 1,
                f"Colonne {quoted(name)} absente du fichier",
            ))
    for label in extra:
        errors.append(_error(
            "extra-label", "", label, list(columns).index(label) + 1,
            f"Colonne {quoted(label)} en trop : absente du schéma, elle est ignorée",
        ))
    for index, label in enumerate(labels or []):
        if label and label in list(labels or [])[:index] and index < len(fields):
            errors.append(_error(
                "duplicate-label", fields[index], label, index + 1,
                f"Colonne {quoted(label)} en double (position {index + 1})",
            ))
    return mapping, errors
