"""CSV reader: encoding and delimiter detected, not assumed."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import polars as pl

from . import ReadError, ReadResult

ENCODINGS = ("utf-8-sig", "cp1252", "latin-1")
DELIMITERS = ",;\t|"


def detect_encoding(data: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return (
            "utf-8-sig"
            if encoding == "utf-8-sig" and data.startswith(b"\xef\xbb\xbf")
            else ("utf-8" if encoding == "utf-8-sig" else encoding)
        )
    raise AssertionError("latin-1 decodes any bytes")


def detect_delimiter(text: str) -> str:
    sample = text[:65536]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        first_line = sample.splitlines()[0] if sample else ""
        return max(DELIMITERS, key=first_line.count)


def read(path: Path, options: dict[str, Any]) -> ReadResult:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ReadError(f"{path}: cannot open the file: {error.strerror}") from error
    encoding = options.get("encoding", "auto")
    if encoding == "auto":
        encoding = detect_encoding(data)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ReadError(
            f"{path}, line {line}: bytes {data[error.start : error.start + 4]!r} are not "
            f"{encoding}; set `read.encoding` in the descriptor (for example cp1252)"
        ) from error
    text = text.lstrip("\ufeff")
    delimiter = options.get("delimiter", "auto")
    if delimiter == "auto":
        delimiter = detect_delimiter(text)
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    if not rows:
        raise ReadError(f"{path}, line 1: expected a header row, found an empty file")
    header, body = rows[0], rows[1:]
    width = len(header)
    columns: dict[str, list[str | None]] = {name: [] for name in header}
    for values in body:
        values = (values + [""] * width)[:width]
        for name, value in zip(header, values, strict=True):
            columns[name].append(value)
    frame = pl.DataFrame(columns, schema={name: pl.String for name in header})
    frame = frame.with_columns(pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias("_row"))
    detection = {"encoding": encoding, "delimiter": delimiter, "rows": frame.height}
    return ReadResult(frame=frame, detection=detection)
