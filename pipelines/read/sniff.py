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

import polars as pl

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


def _filled(values: pl.Series | Iterable[str | None]) -> pl.Series:
    series = values if isinstance(values, pl.Series) else pl.Series(list(values), dtype=pl.String)
    series = series.cast(pl.String).str.strip_chars()
    return series.filter(series.is_not_null() & (series != ""))


def is_decimal_comma_column(values: pl.Series | Iterable[str | None]) -> bool:
    """Every filled cell is a number, and at least one is written with a decimal comma."""
    filled = _filled(values)
    if filled.len() == 0:
        return False
    comma = filled.str.contains(_DECIMAL_COMMA.pattern)
    integer = filled.str.contains(_INTEGER.pattern)
    return bool(comma.any()) and bool((comma | integer).all())


def decimal_point(values: pl.Series) -> pl.Series:
    """`"3,85"` → `"3.85"` where the whole cell is a decimal-comma number; others unchanged."""
    stripped = values.str.strip_chars()
    is_number = stripped.str.contains(_DECIMAL_COMMA.pattern).fill_null(False)
    return stripped.str.replace(",", ".", literal=True).zip_with(is_number, values)


# Vectorised twin of _FRENCH_DATE (the Rust regex engine has no back-references, so
# `/` and `-` may mix here; `french_date_to_iso` is the strict scalar version).
_FRENCH_DATE_VECTOR = (
    r"^(?<d>\d{1,2})[/-](?<m>\d{1,2})[/-](?<y>\d{4})"
    r"(?:[ T](?<H>\d{1,2}):(?<M>\d{2})(?::(?<S>\d{2}))?)?$"
)


def french_dates_to_iso(values: pl.Series) -> pl.Series:
    """ISO 8601 text for French dates (stray quotes removed); null where not a French date."""
    parts = (
        values.str.strip_chars().str.strip_chars('"').str.extract_groups(_FRENCH_DATE_VECTOR)
    ).struct.unnest()
    day, month, hour = pl.col("d"), pl.col("m"), pl.col("H")
    valid = day.cast(pl.Int32).is_between(1, 31) & month.cast(pl.Int32).is_between(1, 12)
    date = pl.concat_str([pl.col("y"), month.str.zfill(2), day.str.zfill(2)], separator="-")
    clock = pl.concat_str(
        [hour.str.zfill(2), pl.col("M"), pl.col("S").fill_null("00")], separator=":"
    )
    iso = (
        pl.when(valid & hour.is_not_null())
        .then(pl.concat_str([date, clock], separator="T"))
        .when(valid)
        .then(date)
        .otherwise(None)
    )
    return parts.select(iso.alias(values.name or "iso")).to_series()


def is_french_date_column(values: pl.Series | Iterable[str | None]) -> bool:
    """Every filled cell (stray quotes removed) is a French date dd/mm/yyyy or dd-mm-yyyy."""
    filled = _filled(values)
    return filled.len() > 0 and french_dates_to_iso(filled).null_count() == 0


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
