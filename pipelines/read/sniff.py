"""Detect how a text table is written: encoding, delimiter, header labels, cell formats.

French open data arrives in UTF-8 (with or without BOM), cp1252 or Latin-1, with `,`, `;`
or tab delimiters, dBase type suffixes in headers (`"VOI_NUM,N,9,2"`), decimal commas and
French dates. Each detector is a small pure function so it can be tested on its own and
overridden by a descriptor option; none of them guesses silently: callers record what
they found in `ReadResult.detection`.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable

ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
DELIMITERS = ",;\t|"

# dBase/shapefile exports write `NAME,TYPE,LENGTH[,DECIMALS]` as the column label.
_DBASE_SUFFIX = re.compile(r"^(?P<name>[^,]+),[CNFLDM](,\d+){1,2}$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_INTEGER = re.compile(r"^[+-]?\d+$")
# French dates: dd/mm/yyyy or dd-mm-yyyy, optionally followed by a time hh:mm[:ss].
_FRENCH_DATE = re.compile(
    r"^(?P<d>\d{1,2})(?P<sep>[/-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})"
    r"(?:[ T](?P<H>\d{1,2}):(?P<M>\d{2})(?::(?P<S>\d{2}))?)?$"
)


def detect_encoding(data: bytes) -> str:
    """The first encoding of UTF-8, cp1252, Latin-1 that decodes the bytes."""
    for encoding in ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if encoding == "utf-8-sig":
            return "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
        return encoding
    raise AssertionError("latin-1 decodes any bytes")


def detect_delimiter(text: str) -> str:
    """The delimiter of the first lines; the Sniffer, then the most frequent candidate."""
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first_line = sample.splitlines()[0] if sample else ""
        return max(DELIMITERS, key=first_line.count)


def strip_stray_quotes(value: str) -> str:
    """`"18-10-2010"` (a triple-quoted CSV cell once parsed) → `18-10-2010`."""
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value.strip('"')
    return value


def clean_label(label: str) -> str:
    """A header label without BOM, outer spaces, stray quotes or dBase type suffix."""
    label = strip_stray_quotes(label.replace("\ufeff", "").strip()).strip()
    match = _DBASE_SUFFIX.match(label)
    return match.group("name").strip() if match else label


def _filled(values: Iterable[str | None]) -> list[str]:
    return [v.strip() for v in values if v is not None and v.strip() != ""]


def is_decimal_comma_column(values: Iterable[str | None]) -> bool:
    """Every filled cell is a number, and at least one is written with a decimal comma."""
    filled = _filled(values)
    if not filled:
        return False
    commas = sum(1 for v in filled if _DECIMAL_COMMA.match(v))
    integers = sum(1 for v in filled if _INTEGER.match(v))
    return commas > 0 and commas + integers == len(filled)


def decimal_point(value: str | None) -> str | None:
    """`"3,85"` → `"3.85"`; anything else unchanged."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped.replace(",", ".") if _DECIMAL_COMMA.match(stripped) else value


def is_french_date_column(values: Iterable[str | None]) -> bool:
    """Every filled cell (stray quotes removed) is a French date dd/mm/yyyy or dd-mm-yyyy."""
    filled = [strip_stray_quotes(v) for v in _filled(values)]
    return bool(filled) and all(french_date_to_iso(v) is not None for v in filled)


def french_date_to_iso(value: str | None) -> str | None:
    """`18-10-2010` → `2010-10-18`, `14/09/2010 14:28` → `2010-09-14T14:28:00`; else None."""
    if value is None:
        return None
    match = _FRENCH_DATE.match(strip_stray_quotes(value.strip()))
    if not match:
        return None
    day, month, year = int(match["d"]), int(match["m"]), int(match["y"])
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return None
    iso = f"{year:04d}-{month:02d}-{day:02d}"
    if match["H"] is not None:
        iso += f"T{int(match['H']):02d}:{match['M']}:{match['S'] or '00'}"
    return iso
