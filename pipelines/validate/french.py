"""French checks declared in descriptors: `x-camp-check` on a field, coordinates per pair.

Field checks (`x-camp-check: siret | siren | code_insee | code_postal | cpv`) run on the
raw text of cells that are present and of the right type, and fail with a
`constraint-error` and a French message saying what is wrong. What each format accepts
is defined once in `formats.py` (the scaffold detects formats with the same
definitions); `code_insee` is also checked against the commune referential when the
engine is given its table.

Coordinates: see `FRANCE_BOXES` and `coordinate_check`.
"""

from __future__ import annotations

from .cells import Check
from .formats import CODE_INSEE, CODE_POSTAL, CPV, FORMATS, SIREN, SIRET, luhn_sum
from .sql import shown

FIELD_CHECKS = tuple(FORMATS)
__all__ = ["FIELD_CHECKS", "coordinate_check", "field_checks", "in_france", "luhn_sum",
           "siren_valid", "siret_valid"]

# (name, south, north, west, east) in WGS84 degrees, with ~0.2° margin.
FRANCE_BOXES: list[tuple[str, float, float, float, float]] = [
    ("métropole et Corse", 41.2, 51.3, -5.4, 9.8),
    ("Guadeloupe", 15.7, 16.7, -61.9, -60.9),
    ("Martinique", 14.3, 15.0, -61.3, -60.7),
    ("Guyane", 2.0, 6.0, -54.7, -51.4),
    ("La Réunion", -21.5, -20.7, 55.1, 56.0),
    ("Mayotte", -13.2, -12.5, 44.9, 45.4),
    ("Saint-Pierre-et-Miquelon", 46.6, 47.3, -56.6, -56.0),
    ("Saint-Barthélemy et Saint-Martin", 17.8, 18.2, -63.2, -62.7),
    ("Wallis-et-Futuna", -14.5, -13.1, -178.3, -176.0),
    ("Polynésie française", -28.1, -7.7, -154.9, -134.3),
    ("Nouvelle-Calédonie", -23.0, -19.4, 163.4, 168.3),
]


def siren_valid(value: str) -> bool:
    return SIREN.matches(value)


def siret_valid(value: str) -> bool:
    return SIRET.matches(value)


def in_france(lat: float, lon: float) -> bool:
    return any(s <= lat <= n and w <= lon <= e for _, s, n, w, e in FRANCE_BOXES)


def _number_check(raw: str, label: str, length: int) -> list[Check]:
    number = SIRET if length == 14 else SIREN
    digits_only = f"regexp_full_match({raw}, '[0-9]*')"
    message = (
        f"CASE WHEN NOT {digits_only} "
        f"THEN 'Numéro {label} invalide : {length} chiffres attendus, ' "
        f"|| {shown(raw)} || ' contient d''autres caractères' "
        f"WHEN length({raw}) <> {length} THEN 'Numéro {label} invalide : {length} chiffres "
        f"attendus, ' || length({raw}) || ' trouvés' "
        f"ELSE 'Numéro {label} invalide : la clé de contrôle (algorithme de Luhn) ne "
        f"correspond pas, vérifiez les chiffres' END"
    )
    return [Check(number.sql_invalid(raw), "constraint-error", message)]


def field_checks(kind: str, raw: str, communes_key: str | None = None) -> list[Check]:
    """Checks for `x-camp-check: kind` on the raw text `raw` of a present, typed cell.

    `communes_key` is the joined referential column (NULL when the code is unknown), or
    None to check the shape only.
    """
    if kind == "siret":
        return _number_check(raw, "SIRET", 14)
    if kind == "siren":
        return _number_check(raw, "SIREN", 9)
    if kind == "code_insee":
        checks = [Check(
            CODE_INSEE.sql_shape_invalid(raw),
            "constraint-error",
            f"'Code INSEE invalide : 5 caractères attendus (ex. 69123, 2A004, 97411), ' "
            f"|| {shown(raw)} || ' trouvé'",
        )]
        if communes_key:
            checks.append(Check(
                f"NOT {CODE_INSEE.sql_shape_invalid(raw)} AND {communes_key} IS NULL",
                "constraint-error",
                f"'Code INSEE ' || {shown(raw)} || ' inconnu du Code officiel géographique'",
            ))
        return checks
    if kind == "code_postal":
        return [Check(
            CODE_POSTAL.sql_shape_invalid(raw),
            "constraint-error",
            f"'Code postal invalide : 5 chiffres attendus (01000 à 98999), ' || {shown(raw)} "
            f"|| ' trouvé'",
        )]
    if kind == "cpv":
        return [Check(
            CPV.sql_invalid(raw),
            "constraint-error",
            f"'Code CPV invalide : 8 chiffres attendus, éventuellement suivis d''un tiret et "
            f"d''un chiffre de contrôle (ex. 45210000-2), ' || {shown(raw)} || ' trouvé'",
        )]
    raise ValueError(f"unknown x-camp-check {kind!r}; expected one of {FIELD_CHECKS}")


def _in_boxes(lat: str, lon: str) -> str:
    return "(" + " OR ".join(
        f"({lat} BETWEEN {s} AND {n} AND {lon} BETWEEN {w} AND {e})"
        for _, s, n, w, e in FRANCE_BOXES
    ) + ")"


def coordinate_check(lat: str, lon: str) -> Check:
    """A pair outside every French box fails; the message says when swapping fixes it."""
    pair = f"'(' || {lat} || ', ' || {lon} || ')'"
    message = (
        f"CASE WHEN {_in_boxes(lon, lat)} THEN 'Latitude et longitude inversées : ' || {pair} "
        f"|| ' est hors de France, mais le point inverse y est ; échangez les deux colonnes' "
        f"ELSE 'Coordonnées ' || {pair} || ' hors de France (métropole et outre-mer) : "
        f"latitude puis longitude en degrés WGS84 attendues' END"
    )
    cond = f"{lat} IS NOT NULL AND {lon} IS NOT NULL AND NOT {_in_boxes(lat, lon)}"
    return Check(cond, "constraint-error", message)
