"""CSV reader: encoding, delimiter, headers and French cell formats detected, not assumed.

Every detection is recorded in `ReadResult.detection` and can be overridden by the
resource's `x-camp.read` options:

  encoding: auto | utf-8 | utf-8-sig | cp1252 | latin-1 | ...
  delimiter: auto | "," | ";" | "\\t" | "|"
  rename: {source_label: field_name}   # applied after header cleanup (raw label also works)
  decimal_comma: auto | none | [column, ...]   # "3,85" → "3.85" in these columns
  dates: auto | none | [column, ...]           # French dates → ISO 8601 in these columns
  date_format: auto | <strptime pattern>       # e.g. "%d/%m/%Y %H:%M" for `dates` columns
  coordinates: see `geo.py` (always publishes WGS84 `latitude` / `longitude`)
  constants: {column: value}   # a value every row shares that the file leaves implicit,
                               # e.g. the publisher's commune {code_insee: "34172"}

Normalisations (header cleanup, decimal comma, dates, stray quotes around dates) are never
silent: `detection` lists each changed column with the number of cells changed.

Blank rows are left out of the frame but keep their number (`_row` matches frictionless
row numbers) and are listed in `detection["blank_rows"]`.

Ragged rows are kept, not padded: a row with fewer cells than the header gets null in the
missing columns and their names in `_missing_cells` (comma-separated); a row with more
cells keeps the surplus, JSON-encoded, in `_extra_cells`. Both columns are always present
(null on well-formed rows) so the validator can report frictionless `missing-cell` /
`extra-cell` errors.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import polars as pl

from . import ReadError, ReadResult
from .geo import add_lat_lon
from .sniff import (
    clean_label,
    decimal_point,
    detect_delimiter,
    detect_encoding,
    french_dates_to_iso,
    is_decimal_comma_column,
    is_french_date_column,
)

EXTRA = "_extra_cells"
MISSING = "_missing_cells"


def decode(path: Path, data: bytes, encoding: str) -> tuple[str, str]:
    """The text of the file and the encoding used (detected when `auto`)."""
    if encoding == "auto":
        encoding = detect_encoding(data)
    try:
        text = data.decode(encoding)
    except (UnicodeDecodeError, LookupError) as error:
        if isinstance(error, LookupError):
            raise ReadError(f"{path}: unknown encoding {encoding!r} in `read.encoding`") from error
        line = data[: error.start].count(b"\n") + 1
        raise ReadError(
            f"{path}, line {line}: bytes {data[error.start : error.start + 4]!r} are not "
            f"{encoding}; set `read.encoding` in the descriptor (for example cp1252)"
        ) from error
    return text.lstrip("\ufeff"), encoding


def _header(path: Path, raw: list[str], rename: dict[str, str]) -> tuple[list[str], dict]:
    labels = []
    changed: dict[str, str] = {}
    for position, label in enumerate(raw):
        name = rename.get(label) or rename.get(clean_label(label)) or clean_label(label)
        if not name:
            name = f"field{position + 1}"
        if name != label:
            changed[label] = name
        labels.append(name)
    duplicates = sorted({n for n in labels if labels.count(n) > 1})
    if duplicates:
        raise ReadError(
            f"{path}, line 1: duplicate column labels {duplicates} after cleanup; "
            "give them distinct names with `read.rename`"
        )
    return labels, changed


def _columns_option(option: Any, candidates: list[str], test: Any) -> list[str]:
    if option in (None, "auto", True):
        return [name for name in candidates if test(name)]
    if option in ("none", False):
        return []
    return list(option)


def _rows(path: Path, text: str, delimiter: str) -> tuple[list[str], list, list[int]]:
    """Header, (row number, cells) of each data row, and the numbers of blank rows.

    Rows are numbered as frictionless does: every row the CSV parser yields counts,
    blank ones included (a quoted newline does not start a new row).
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    body: list[tuple[int, list[str]]] = []
    blank: list[int] = []
    try:
        for number, values in enumerate(reader, start=1):
            if header is None:
                if values:
                    header = values
            elif values:
                body.append((number, values))
            else:
                blank.append(number)
    except csv.Error as error:
        raise ReadError(
            f"{path}, line {reader.line_num}: {error}; check `read.delimiter` and the quoting"
        ) from error
    if header is None:
        raise ReadError(f"{path}, line 1: expected a header row, found an empty file")
    return header, body, blank


def parse(path: Path, text: str, options: dict[str, Any]) -> ReadResult:
    """Parse decoded CSV text; shared by the file reader and GTFS members."""
    delimiter = options.get("delimiter", "auto")
    if delimiter == "auto":
        delimiter = detect_delimiter(text)
    raw_header, body, blank = _rows(path, text, delimiter)
    header, renamed = _header(path, raw_header, dict(options.get("rename") or {}))
    width = len(header)
    columns: dict[str, list[str | None]] = {name: [] for name in header}
    extra: list[str | None] = []
    missing: list[str | None] = []
    for _number, values in body:
        cells: list[str | None] = list(values[:width])
        if len(values) < width:
            missing.append(",".join(header[len(values) :]))
            cells += [None] * (width - len(values))
        else:
            missing.append(None)
        surplus = values[width:]
        extra.append(json.dumps(surplus, ensure_ascii=False) if surplus else None)
        for name, value in zip(header, cells, strict=True):
            columns[name].append(value)
    frame = pl.DataFrame(columns, schema={name: pl.String for name in header})
    frame = frame.with_columns(
        pl.Series(EXTRA, extra, dtype=pl.String),
        pl.Series(MISSING, missing, dtype=pl.String),
        pl.Series("_row", [number for number, _ in body], dtype=pl.Int64),
    )
    detection: dict[str, Any] = {"delimiter": delimiter, "rows": frame.height}
    if blank:  # left out of the frame; frictionless reports them as `blank-row`
        detection["blank_rows"] = {"count": len(blank), "rows": blank[:100]}
    if renamed:
        detection["renamed"] = renamed
    ragged = {
        "extra_cells": sum(v is not None for v in extra),
        "missing_cells": sum(v is not None for v in missing),
    }
    if any(ragged.values()):
        detection["ragged_rows"] = ragged
    frame, normalised = normalise(frame, header, options, str(path))
    detection.update(normalised)
    return ReadResult(frame=frame, detection=detection)


def _changed(before: pl.Series, after: pl.Series) -> int:
    return int((before.fill_null("\0") != after.fill_null("\0")).sum())


def normalise(
    frame: pl.DataFrame, header: list[str], options: dict[str, Any], where: str
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Decimal commas, French dates and coordinates, each change counted per column."""
    detection: dict[str, Any] = {}
    decimal_columns = _columns_option(
        options.get("decimal_comma"), header, lambda c: is_decimal_comma_column(frame[c])
    )
    changes: dict[str, int] = {}
    for column in decimal_columns:
        after = decimal_point(frame[column])
        changes[column] = _changed(frame[column], after)
        frame = frame.with_columns(after.alias(column))
    if changes:
        detection["decimal_comma"] = changes
    date_format = options.get("date_format", "auto")
    date_columns = _columns_option(
        options.get("dates"),
        [c for c in header if c not in decimal_columns],
        lambda c: is_french_date_column(frame[c]),
    )
    changes = {}
    for column in date_columns:
        after = _to_iso(frame[column], date_format)
        changes[column] = _changed(frame[column], after)
        frame = frame.with_columns(after.alias(column))
    if changes:
        detection["dates"] = {"format": date_format, "cells_changed": changes}
    frame, coordinates = add_lat_lon(frame, options.get("coordinates"), where)
    if coordinates:
        detection["coordinates"] = coordinates
    constants = dict(options.get("constants") or {})
    clashes = sorted(set(constants) & set(frame.columns))
    if clashes:
        raise ReadError(
            f"{where}: `read.constants` would overwrite the columns {clashes}; "
            "rename them or drop the constants"
        )
    if constants:
        frame = frame.with_columns(
            pl.lit(str(value), dtype=pl.String).alias(name) for name, value in constants.items()
        )
        detection["constants"] = {name: str(value) for name, value in constants.items()}
    return frame, detection


def _to_iso(values: pl.Series, date_format: str) -> pl.Series:
    """ISO text for French dates; unparseable cells stay as they are for the validator."""
    if date_format == "auto":
        iso = french_dates_to_iso(values)
    else:
        cleaned = values.str.strip_chars().str.strip_chars('"')
        has_time = any(code in date_format for code in ("%H", "%M", "%S"))
        parsed = cleaned.str.strptime(
            pl.Datetime if has_time else pl.Date, date_format, strict=False
        )
        iso = parsed.dt.strftime("%Y-%m-%dT%H:%M:%S" if has_time else "%Y-%m-%d")
    return iso.zip_with(iso.is_not_null(), values)


def read(path: Path, options: dict[str, Any]) -> ReadResult:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ReadError(f"{path}: cannot open the file: {error.strerror}") from error
    text, encoding = decode(path, data, options.get("encoding", "auto"))
    result = parse(path, text, options)
    result.detection = {"encoding": encoding, **result.detection}
    return result
