"""GTFS reader: one file of a feed (zip or folder), optionally joined with an extension file.

STAR Rennes published step-free access in a Keolis extension (`stops_extensions.txt`,
`stop_accessible` 1/0) rather than in the standard `stops.txt` `wheelchair_boarding`
(0 = no information, 1 = accessible, 2 = not accessible); tools that re-serialise feeds
write `wheelchair_boarding = 0` everywhere. The reader publishes one `wheelchair_boarding`
in GTFS terms and says in `wheelchair_source` which file each value came from: the
standard file when it is informative (1 or 2), else the extension.

Options (`x-camp.read`):
  file: stops.txt                    # member to read (default stops.txt)
  extension: stops_extensions.txt    # optional file joined on `key`
  key: stop_id                       # join column (default stop_id)
  extension_wheelchair: stop_accessible   # extension column meaning 1 = accessible, 0 = not
  plus the CSV options (encoding, delimiter, rename, ...) applied to both files
"""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl

from . import ReadError, ReadResult
from .csv_file import EXTRA, MISSING, decode, parse

WHEELCHAIR = "wheelchair_boarding"
SOURCE = "wheelchair_source"
_CSV_OPTIONS = ("encoding", "delimiter", "decimal_comma", "dates", "date_format")


def member_bytes(feed: Path, name: str) -> bytes:
    """The bytes of `name` in a GTFS zip or folder (a zip may nest it in a folder)."""
    if feed.is_dir():
        target = feed / name
        if not target.is_file():
            found = ", ".join(sorted(p.name for p in feed.glob("*.txt"))) or "no .txt file"
            raise ReadError(f"{feed}: expected `{name}` in the feed folder, found {found}")
        return target.read_bytes()
    try:
        with zipfile.ZipFile(feed) as archive:
            members = {PurePosixPath(m).name: m for m in archive.namelist()}
            if name not in members:
                found = ", ".join(sorted(members)) or "an empty archive"
                raise ReadError(f"{feed}: expected `{name}` in the GTFS zip, found {found}")
            return archive.read(members[name])
    except (OSError, zipfile.BadZipFile) as error:
        raise ReadError(
            f"{feed}: expected a GTFS zip or folder, cannot open it ({error}); "
            "check the downloaded file"
        ) from error


def _member(feed: Path, name: str, options: dict[str, Any], rename: dict) -> ReadResult:
    text, encoding = decode(feed / name, member_bytes(feed, name), options.get("encoding", "auto"))
    csv_options = {k: options[k] for k in _CSV_OPTIONS if k in options}
    result = parse(feed / name, text, {**csv_options, "rename": rename, "coordinates": "none"})
    result.detection = {"encoding": encoding, **result.detection}
    return result


def _wheelchair(
    frame: pl.DataFrame, file: str, extension: str | None, ext_column: str | None
) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    if WHEELCHAIR in frame.columns:
        standard = pl.col(WHEELCHAIR).str.strip_chars()
        standard = pl.when(standard == "").then(None).otherwise(standard)
    else:
        standard = pl.lit(None, dtype=pl.String)
    informative = standard.is_in(["1", "2"])
    if ext_column:
        from_extension = (
            pl.when(pl.col(ext_column).str.strip_chars() == "1")
            .then(pl.lit("1"))
            .when(pl.col(ext_column).str.strip_chars() == "0")
            .then(pl.lit("2"))
            .otherwise(pl.lit(None, dtype=pl.String))
        )
    else:
        from_extension = pl.lit(None, dtype=pl.String)
    value = pl.when(informative).then(standard).otherwise(from_extension)
    source = (
        pl.when(informative)
        .then(pl.lit(file))
        .when(from_extension.is_not_null())
        .then(pl.lit(extension))
        .when(standard.is_not_null())
        .then(pl.lit(file))
        .otherwise(pl.lit(None, dtype=pl.String))
    )
    value = pl.when(value.is_null() & standard.is_not_null()).then(standard).otherwise(value)
    conflicts = (informative & from_extension.is_not_null() & (standard != from_extension)).sum()
    return value.alias(WHEELCHAIR), source.alias(SOURCE), conflicts


def read(path: Path, options: dict[str, Any]) -> ReadResult:
    file = options.get("file", "stops.txt")
    rename = dict(options.get("rename") or {})
    main = _member(path, file, options, rename)
    frame = main.frame
    detection: dict[str, Any] = {"file": file, **main.detection}
    extension = options.get("extension")
    ext_column = None
    if extension:
        key = options.get("key", "stop_id")
        ext = _member(path, extension, options, {})
        for name, result in ((file, main), (extension, ext)):
            if key not in result.frame.columns:
                raise ReadError(
                    f"{path / name}, line 1: expected a `{key}` column to join on, found "
                    f"{', '.join(c for c in result.frame.columns if not c.startswith('_'))}"
                )
        ext_frame = ext.frame.drop("_row", EXTRA, MISSING)
        clashes = [c for c in ext_frame.columns if c != key and c in frame.columns]
        ext_frame = ext_frame.rename({c: f"{c}_extension" for c in clashes})
        ext_frame = ext_frame.unique(subset=[key], keep="first", maintain_order=True)
        unmatched = frame.height - frame.join(ext_frame, on=key, how="semi").height
        frame = frame.join(ext_frame, on=key, how="left", maintain_order="left")
        ext_column = options.get("extension_wheelchair") or next(
            (c for c in ("stop_accessible", f"{WHEELCHAIR}_extension") if c in ext_frame.columns),
            None,
        )
        detection["extension"] = {
            "file": extension,
            "key": key,
            "rows": ext.detection["rows"],
            "rows_without_extension": unmatched,
            "wheelchair_column": ext_column,
            "encoding": ext.detection["encoding"],
        }
    if WHEELCHAIR in frame.columns or ext_column:
        value, source, conflicts = _wheelchair(frame, file, extension, ext_column)
        frame = frame.with_columns(value, source)
        detection["wheelchair_conflicts"] = int(frame.select(conflicts).item())
    from .geo import add_lat_lon

    frame, coordinates = add_lat_lon(frame, options.get("coordinates"), str(path / file))
    if coordinates:
        detection["coordinates"] = coordinates
    columns = [c for c in frame.columns if c not in (EXTRA, MISSING, "_row")]
    frame = frame.select(*columns, EXTRA, MISSING, "_row")
    return ReadResult(frame=frame, detection=detection)
