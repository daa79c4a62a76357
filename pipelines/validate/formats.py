"""French formats as small named detectors: one definition for the checks and the scaffold.

Each `Format` is what `x-camp-check: <name>` means: a full-match pattern (written so that
Python's `re` and DuckDB's RE2 read it the same), an optional checksum, the column-name
words that make an ambiguous shape this format (five digits: INSEE code or postcode?),
and values that *must* and *must not* match. `validate/french.py` turns a format into
SQL for the checking scan (`sql_invalid`); `cli/scaffold.py` guesses a column's format
with `matches`; `tests/test_formats.py` runs every example through both and requires
them to agree.

- siret / siren: 14 / 9 digits, Luhn key; La Poste's establishments (SIREN 356000000)
  have too many to fit Luhn keys, so their SIRET uses "sum of digits multiple of 5".
- code_insee: commune code of the Code officiel géographique: department 01-19, 2A/2B
  (Corsica; 20 was split in 1976), 21-95, then 3 digits; overseas 971-978 (DROM,
  Saint-Pierre-et-Miquelon, Saint-Barthélemy, Saint-Martin) and 984-989 (TAAF,
  Wallis-et-Futuna, Polynésie, Nouvelle-Calédonie, Clipperton), then 2 digits.
  Existence is checked against the commune referential by the engine when it has it.
- code_postal: 5 digits, 01000 to 98999 without the unused 96 and 99 prefixes.
- cpv: 8 digits, optionally "-" and a check digit (not verified: its algorithm is not
  published with the CPV nomenclature).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

LA_POSTE = "356000000"


def luhn_sum(digits: str) -> int:
    """The Luhn sum of a string of ASCII digits (valid when a multiple of 10)."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char) * (2 if position % 2 else 1)
        total += value - 9 if value > 9 else value
    return total


def _digit(raw: str, i: int) -> str:
    return f"(ascii(substr({raw}, {i}, 1)) - 48)"


def luhn_sql(raw: str, length: int) -> str:
    """SQL of the Luhn sum of `raw`, a string of `length` digits (the twin of `luhn_sum`)."""
    terms = []
    for i in range(1, length + 1):
        if (length - i) % 2 == 1:  # doubled digit: its Luhn value from a lookup list
            terms.append(f"[0, 2, 4, 6, 8, 1, 3, 5, 7, 9][{_digit(raw, i)} + 1]")
        else:
            terms.append(_digit(raw, i))
    return "(" + " + ".join(terms) + ")"


def digit_sum_sql(raw: str, length: int) -> str:
    return "(" + " + ".join(_digit(raw, i) for i in range(1, length + 1)) + ")"


@dataclass(frozen=True)
class Format:
    """One French format: what `x-camp-check: name` checks and the scaffold detects."""

    name: str
    label: str  # French, shown in the scaffold's comment
    pattern: str  # full match, same meaning in Python `re` and RE2
    key: str | None  # checksum: "luhn" (SIREN) or "siret" (Luhn, or La Poste's rule)
    hints: tuple[str, ...]  # column-name words that say a column holds this format
    must: tuple[str, ...]
    must_not: tuple[str, ...]

    def shape_ok(self, value: str) -> bool:
        return value.isascii() and re.fullmatch(self.pattern, value) is not None

    def matches(self, value: str) -> bool:
        """Whether `value` is a valid value of the format (shape and checksum)."""
        if not self.shape_ok(value):
            return False
        if self.key == "siret" and value.startswith(LA_POSTE):
            return sum(int(c) for c in value) % 5 == 0
        if self.key:
            return luhn_sum(value) % 10 == 0
        return True

    def sql_shape_invalid(self, raw: str) -> str:
        return f"NOT regexp_full_match({raw}, '{self.pattern}')"

    def sql_key_invalid(self, raw: str) -> str | None:
        """SQL true when the key of a well-shaped `raw` is wrong (None: no key)."""
        if not self.key:
            return None
        length = 14 if self.key == "siret" else 9
        luhn = f"{luhn_sql(raw, length)} % 10 <> 0"
        if self.key == "siret":
            return (f"CASE WHEN starts_with({raw}, '{LA_POSTE}') THEN "
                    f"{digit_sum_sql(raw, length)} % 5 <> 0 ELSE {luhn} END")
        return luhn

    def sql_invalid(self, raw: str) -> str:
        """SQL true when `raw` (not NULL) is not a valid value: the twin of `matches`."""
        key = self.sql_key_invalid(raw)
        shape = self.sql_shape_invalid(raw)
        return f"({shape} OR {key})" if key else shape


SIRET = Format(
    name="siret",
    label="SIRET (14 chiffres, clé de Luhn)",
    pattern="[0-9]{14}",
    key="siret",
    hints=("siret",),
    must=("88138151100016", "21690123100011", "35600000049837", "35600000000006"),
    must_not=("88138151100017", "8813815110001", "881381511000160", "8813815110001A",
              "35600000049838", "881 381 511 00016"),
)
SIREN = Format(
    name="siren",
    label="SIREN (9 chiffres, clé de Luhn)",
    pattern="[0-9]{9}",
    key="luhn",
    hints=("siren",),
    must=("732829320", "356000000", "216901231"),
    must_not=("732829321", "73282932", "7328293200", "73282932A", "732 829 320"),
)
CODE_INSEE = Format(
    name="code_insee",
    label="code INSEE de commune (5 caractères, 2A/2B pour la Corse, 97x outre-mer)",
    pattern="(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5])[0-9]{3}|97[1-8][0-9]{2}|98[4-9][0-9]{2}",
    key=None,
    hints=("insee", "commune", "depcom", "cog", "citycode"),
    must=("69123", "01001", "2A004", "2B033", "97101", "97411", "97611", "97502", "98735",
          "98818"),
    must_not=("20000", "2C004", "00123", "96001", "97901", "99100", "6912", "691230",
              "2a004", " 69123"),
)
CODE_POSTAL = Format(
    name="code_postal",
    label="code postal (5 chiffres)",
    pattern="(0[1-9]|[1-8][0-9]|9[0-578])[0-9]{3}",
    key=None,
    hints=("postal", "cp", "codepos", "zipcode"),
    must=("01000", "69001", "75012", "20000", "97400", "98000", "98800"),
    must_not=("00100", "96000", "99000", "7501", "750012", "2A004", "75 012"),
)
CPV = Format(
    name="cpv",
    label="code CPV (8 chiffres, éventuellement suivis d'un chiffre de contrôle)",
    pattern="[0-9]{8}(-[0-9])?",
    key=None,
    hints=("cpv",),
    must=("45210000", "45210000-2", "71000000-8"),
    must_not=("4521000", "452100000", "45210000-", "45210000-22", "4521000A"),
)

FORMATS: dict[str, Format] = {f.name: f for f in (SIRET, SIREN, CODE_INSEE, CODE_POSTAL, CPV)}
