"""French words and formats for what a participant reads: counts, amounts, times, filters.

Used by the Jinja filters of the French templates (`french_templates.py`) and by the cell
renderer (`render.py`). Formats follow the French typographic rules: a narrow no-break space
(U+202F) between thousands, a decimal comma, a no-break space before « € »; times are shown
in Europe/Paris with their offset.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

TIMEZONE = "Europe/Paris"
PARIS = ZoneInfo(TIMEZONE)
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
THIN = "\u202f"  # narrow no-break space: thousands separator, before « : » « ; » « ? »
NBSP = "\u00a0"  # no-break space: between a number and its unit

# Units that mean euros in a Table Schema field's `unit` (Frictionless has no standard list).
EURO_UNITS = {"eur", "€", "euro", "euros"}
_EURO_WORD = re.compile(r"\beuros?\b", re.IGNORECASE)
# An ISO 8601 timestamp that says its offset (`Z` or `+01:00`): the only ones shown in Paris
# time; a timestamp without an offset is shown as written, since its zone is not known.
_AWARE = re.compile(r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)$")


def integer(value: Any) -> str:
    """`4409` → « 4 409 » (narrow no-break space)."""
    try:
        return f"{int(value):,}".replace(",", THIN)
    except (TypeError, ValueError):
        return str(value)


def count(value: Any, singular: str, plural: str | None = None) -> str:
    """« 0 ligne », « 1 ligne », « 4 409 lignes » (French: 0 and 1 take the singular)."""
    plural = plural or singular + "s"
    try:
        word = singular if abs(int(value)) < 2 else plural
    except (TypeError, ValueError):
        word = plural
    return f"{integer(value)} {word}"


def decimal(value: float, places: int | None = None) -> str:
    """`61100.5` → « 61 100,5 »; `places` fixes the number of decimals."""
    text = f"{value:,.{places}f}" if places is not None else f"{value:,}"
    if "e" in text or "inf" in text or "nan" in text:
        return str(value).replace(".", ",")
    return text.replace(",", THIN).replace(".", ",")


def euros(value: Any) -> str:
    """`61100.0` → « 61 100,00 € »."""
    return f"{decimal(float(value), 2)}{NBSP}€"


def is_euro_field(unit: str | None, description: str) -> bool:
    """Whether a published number column holds euros: its unit says so, or its French
    description does (« en euros », « euros HT »)."""
    if unit:
        return unit.strip().lower() in EURO_UNITS
    return bool(_EURO_WORD.search(description or ""))


def paris_time(text: str) -> str | None:
    """`2026-12-03T07:07:34Z` → « 2026-12-03 08:07:34 +01:00 », None if not an aware
    ISO timestamp."""
    if len(text) < 17 or text[4] != "-" or not _AWARE.match(text):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    local = moment.astimezone(PARIS)
    offset = local.strftime("%z")
    return local.strftime("%Y-%m-%d %H:%M:%S ") + f"{offset[:3]}:{offset[3:]}"


def paris_time_long(text: str) -> str:
    """`2026-12-03T07:07:34Z` → « 3 décembre 2026 à 08:07 (heure de Paris, UTC+01:00) »."""
    try:
        moment = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return str(text)
    if moment.tzinfo is None:
        return str(text)
    local = moment.astimezone(PARIS)
    offset = local.strftime("%z")
    return (
        f"{local.day}{'er' if local.day == 1 else ''} {MONTHS[local.month - 1]} {local.year} "
        f"à {local:%H:%M} (heure de Paris, UTC{offset[:3]}:{offset[3:]})"
    )


def size(num_bytes: int) -> str:
    """`1536` → « 1,5 Ko »."""
    value = float(num_bytes)
    for unit in ("octets", "Ko", "Mo", "Go"):
        if value < 1024 or unit == "Go":
            if unit == "octets":
                return f"{integer(int(value))}{NBSP}octets"
            return f"{decimal(value, 1)}{NBSP}{unit}"
        value /= 1024
    raise AssertionError("unreachable")


# Datasette's filter operators (`Filters.lookups()` display names), and how each reads in a
# sentence describing the filtered rows ({c} column, {v} value).
LOOKUPS: dict[str, tuple[str, str]] = {
    "exact": ("=", "{c} = {v}"),
    "not": ("≠", "{c} ≠ {v}"),
    "contains": ("contient", "{c} contient {v}"),
    "endswith": ("se termine par", "{c} se termine par {v}"),
    "startswith": ("commence par", "{c} commence par {v}"),
    "gt": (">", "{c} > {v}"),
    "gte": ("≥", "{c} ≥ {v}"),
    "lt": ("<", "{c} < {v}"),
    "lte": ("≤", "{c} ≤ {v}"),
    "like": ("like (motif SQL)", "{c} correspond au motif {v}"),
    "notlike": ("not like (motif SQL)", "{c} ne correspond pas au motif {v}"),
    "glob": ("glob (motif)", "{c} correspond au motif glob {v}"),
    "in": ("parmi (liste)", "{c} parmi {v}"),
    "notin": ("hors de (liste)", "{c} hors de {v}"),
    "arraycontains": ("la liste contient", "{c} contient {v}"),
    "arraynotcontains": ("la liste ne contient pas", "{c} ne contient pas {v}"),
    "date": ("date", "{c} le {v}"),
    "isnull": ("est nul", "{c} est nul"),
    "notnull": ("n'est pas nul", "{c} n'est pas nul"),
    "isblank": ("est vide", "{c} est vide"),
    "notblank": ("n'est pas vide", "{c} n'est pas vide"),
}
_LOOKUP_DISPLAYS = {
    "=": "=",
    "!=": "≠",
    "contains": "contient",
    "ends with": "se termine par",
    "starts with": "commence par",
    "like": "like (motif SQL)",
    "not like": "not like (motif SQL)",
    "glob": "glob (motif)",
    "in": "parmi (liste)",
    "not in": "hors de (liste)",
    "array contains": "la liste contient",
    "array does not contain": "la liste ne contient pas",
    "is null": "est nul",
    "is not null": "n'est pas nul",
    "is blank": "est vide",
    "is not blank": "n'est pas vide",
}

# Labels that Datasette and its plugins build in Python (menus, breadcrumbs, facet types,
# show/hide links), with their French words.
LABELS: dict[str, str] = {
    "home": "accueil",
    "Search all tables": "Rechercher dans toutes les tables",
    "Dashboards": "Tableaux de bord",
    "dashboards": "tableaux de bord",
    "hide": "masquer",
    "show": "afficher",
    "array": "liste",
    "date": "date",
    "column": "colonne",
    **_LOOKUP_DISPLAYS,
}


def label(text: Any) -> Any:
    """The French word for a label Datasette or a plugin wrote in English, else the text."""
    return LABELS.get(text, text) if isinstance(text, str) else text


def _quoted(value: str) -> str:
    return value if value.lstrip("-").replace(".", "", 1).isdigit() else f"« {value} »"


def describe_rows(
    selections: list[tuple[str, str, str]],
    search: str | None = None,
    sort: str | None = None,
    sort_desc: str | None = None,
) -> str:
    """The French sentence for the rows a table page shows: « où montant > 100000 et
    procedure = « Appel d'offres ouvert », triées par montant (décroissant) »."""
    clauses = []
    for column, lookup, value in selections:
        template = LOOKUPS.get(lookup, (lookup, "{c} " + lookup + " {v}"))[1]
        clauses.append(template.format(c=column, v=_quoted(value)))
    text = ""
    if search:
        text = f"contenant « {search} »"
    if clauses:
        joined = ", ".join(clauses[:-1]) + (" et " if len(clauses) > 1 else "") + clauses[-1]
        text = f"{text} et où {joined}" if text else f"où {joined}"
    if sort or sort_desc:
        order = f"triées par {sort or sort_desc}{' (décroissant)' if sort_desc else ''}"
        text = f"{text}, {order}" if text else order
    return text


def percent(share: float) -> str:
    """`0.742` → `74,2 %` (French decimal comma, narrow space before %)."""
    return f"{share * 100:.1f}".replace(".", ",") + " %"


def french_date(moment: datetime, timezone: str = TIMEZONE, *, with_time: bool = True) -> str:
    """`3 mars à 06:00` (Paris time); the year is added when it is not the current one."""
    local = moment.astimezone(ZoneInfo(timezone))
    text = f"{local.day} {MONTHS[local.month - 1]}"
    if local.year != datetime.now(ZoneInfo(timezone)).year:
        text += f" {local.year}"
    if with_time:
        text += f" à {local:%H:%M}"
    return text
