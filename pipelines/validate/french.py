"""French checks declared in descriptors: `x-camp-check` on a field, coordinates per pair.

Field checks (`x-camp-check: siret | siren | code_insee | code_postal | cpv`) run on the
raw text of cells that are present and of the right type, and fail with a
`constraint-error` and a French message. Each has a pure-Python twin (`*_valid`) the
tests compare the SQL with.

- siret / siren: 14 / 9 digits, Luhn key; La Poste's establishments (SIREN 356000000)
  use "sum of digits multiple of 5" instead.
- code_insee: shape `^([013-9]\\d|2[AB1-9])\\d{3}$`; existence in the commune referential
  when the engine is given its table.
- code_postal: 5 digits, from 01000 to 98999 (no 00, 96, 99 prefix).
- cpv: 8 digits, optionally "-" and a check digit (the check digit itself is not verified:
  its algorithm is not published with the CPV nomenclature).

Coordinates: see `FRANCE_BOXES` and `coordinate_check`.
"""

from __future__ import annotations

from .cells import Check
from .sql import lit, shown

FIELD_CHECKS = ("siret", "siren", "code_insee", "code_postal", "cpv")
INSEE_RE = r"([013-9][0-9]|2[AB1-9])[0-9]{3}"
POSTCODE_RE = r"(0[1-9]|[1-8][0-9]|9[0-578])[0-9]{3}"
CPV_RE = r"[0-9]{8}(-[0-9])?"
LA_POSTE = "356000000"

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


def luhn_sum(digits: str) -> int:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total


def siren_valid(value: str) -> bool:
    return len(value) == 9 and value.isascii() and value.isdigit() and luhn_sum(value) % 10 == 0


def siret_valid(value: str) -> bool:
    if not (len(value) == 14 and value.isascii() and value.isdigit()):
        return False
    if value.startswith(LA_POSTE):
        return sum(int(c) for c in value) % 5 == 0
    return luhn_sum(value) % 10 == 0


def in_france(lat: float, lon: float) -> bool:
    return any(s <= lat <= n and w <= lon <= e for _, s, n, w, e in FRANCE_BOXES)


def _luhn_sql(raw: str, length: int) -> str:
    terms = []
    for i in range(1, length + 1):
        digit = f"(ascii(substr({raw}, {i}, 1)) - 48)"
        if (length - i) % 2 == 1:
            terms.append(f"[0, 2, 4, 6, 8, 1, 3, 5, 7, 9][{digit} + 1]")
        else:
            terms.append(digit)
    return "(" + " + ".join(terms) + ")"


def _digit_sum_sql(raw: str, length: int) -> str:
    terms = [f"(ascii(substr({raw}, {i}, 1)) - 48)" for i in range(1, length + 1)]
    return "(" + " + ".join(terms) + ")"


def _number_check(raw: str, label: str, length: int) -> list[Check]:
    shape = f"regexp_full_match({raw}, '[0-9]{{{length}}}')"
    digits_only = f"regexp_full_match({raw}, '[0-9]*')"
    key = f"{_luhn_sql(raw, length)} % 10 <> 0"
    if length == 14:
        key = (
            f"CASE WHEN starts_with({raw}, '{LA_POSTE}') THEN {_digit_sum_sql(raw, 14)} % 5 <> 0 "
            f"ELSE {key} END"
        )
    message = (
        f"CASE WHEN NOT {digits_only} "
        f"THEN 'Numéro {label} invalide : {length} chiffres attendus, ' "
        f"|| {shown(raw)} || ' contient d''autres caractères' "
        f"WHEN length({raw}) <> {length} THEN 'Numéro {label} invalide : {length} chiffres "
        f"attendus, ' || length({raw}) || ' trouvés' "
        f"ELSE 'Numéro {label} invalide : la clé de contrôle (algorithme de Luhn) ne "
        f"correspond pas, vérifiez les chiffres' END"
    )
    return [Check(f"(NOT {shape} OR {key})", "constraint-error", message)]


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
            f"NOT regexp_full_match({raw}, {lit(INSEE_RE)})",
            "constraint-error",
            f"'Code INSEE invalide : 5 caractères attendus (ex. 69123, 2A004), ' || {shown(raw)} "
            f"|| ' trouvé'",
        )]
        if communes_key:
            checks.append(Check(
                f"regexp_full_match({raw}, {lit(INSEE_RE)}) AND {communes_key} IS NULL",
                "constraint-error",
                f"'Code INSEE ' || {shown(raw)} || ' inconnu du Code officiel géographique'",
            ))
        return checks
    if kind == "code_postal":
        return [Check(
            f"NOT regexp_full_match({raw}, {lit(POSTCODE_RE)})",
            "constraint-error",
            f"'Code postal invalide : 5 chiffres attendus (01000 à 98999), ' || {shown(raw)} "
            f"|| ' trouvé'",
        )]
    if kind == "cpv":
        return [Check(
            f"NOT regexp_full_match({raw}, {lit(CPV_RE)})",
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
