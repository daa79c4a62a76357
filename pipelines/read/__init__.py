"""Read a source file into a frame of text columns.

`read_resource(path, options)` dispatches on `options["format"]` to one reader module.
Every reader returns a `ReadResult`: a Polars frame whose columns are all text
(`pl.String`, null or "" for empty cells) plus `_row`, the source row number as
frictionless counts it (header = 1, first data row = 2; for JSON, the record's index + 1),
and `detection`, what was detected (encoding, delimiter, ...) for the run's metadata.
Typing is the validator's job, not the reader's. A file a reader cannot handle raises
`ReadError` naming the file, the line and what was found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from typing import Any

import polars as pl

# format name -> module in this package exposing `read(path, options) -> ReadResult`
READERS = {
    "csv": "csv_file",
    "decp-json": "decp_json",
    "openagenda": "openagenda",
    "geojson": "geojson",
    "gtfs": "gtfs",
    "bodacc-xml": "bodacc",
}


class ReadError(ValueError):
    """A source file cannot be read; the message names the file, line and what was found."""


@dataclass
class ReadResult:
    frame: pl.DataFrame
    detection: dict[str, Any] = field(default_factory=dict)


def read_resource(path: Path, options: dict[str, Any] | None = None) -> ReadResult:
    options = dict(options or {})
    fmt = options.get("format", "csv")
    if fmt not in READERS:
        known = ", ".join(sorted(READERS))
        raise ReadError(f"{path}: no reader for format {fmt!r}; known: {known}")
    module = import_module(f"{__name__}.{READERS[fmt]}")
    result: ReadResult = module.read(Path(path), options)
    result.detection.setdefault("format", fmt)
    return result
