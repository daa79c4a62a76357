"""GeoJSON reader: one row per feature, properties as text, a WGS84 point per feature.

Points give their own `latitude` / `longitude`; lines and polygons give a representative
point (the middle vertex of a line, the mean of a polygon's outer ring) and keep the whole
geometry as GeoJSON text in `geometry`, so nothing of the source is lost. Property values
that are not strings are JSON-encoded; typing is the validator's job.

Options (`x-camp.read`):
  rename: {property: field_name}
  decimal_comma / dates / date_format: as for CSV (see `csv_file.py`), on properties
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from . import ReadError, ReadResult
from .csv_file import EXTRA, MISSING, normalise


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def representative_point(geometry: dict[str, Any] | None) -> tuple[float, float] | None:
    """(longitude, latitude) standing for the geometry, or None without one."""
    if not geometry:
        return None
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "Point":
        points = [coordinates]
    elif kind in ("LineString", "MultiPoint"):
        points = [coordinates[len(coordinates) // 2]] if coordinates else []
    elif kind == "MultiLineString":
        longest = max(coordinates, key=len) if coordinates else []
        points = [longest[len(longest) // 2]] if longest else []
    elif kind == "Polygon":
        points = coordinates[0][:-1] if coordinates else []
    elif kind == "MultiPolygon":
        points = coordinates[0][0][:-1] if coordinates else []
    else:
        return None
    if not points:
        return None
    lon = sum(float(p[0]) for p in points) / len(points)
    lat = sum(float(p[1]) for p in points) / len(points)
    return lon, lat


def read(path: Path, options: dict[str, Any]) -> ReadResult:
    try:
        document = json.loads(path.read_bytes())
    except OSError as error:
        raise ReadError(f"{path}: cannot open the file: {error.strerror}") from error
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        line = getattr(error, "lineno", 1)
        raise ReadError(
            f"{path}, line {line}: not valid JSON ({error}); export the layer again as GeoJSON"
        ) from error
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        found = document.get("type") if isinstance(document, dict) else type(document).__name__
        raise ReadError(f"{path}, line 1: expected a GeoJSON FeatureCollection, found {found!r}")
    rename = dict(options.get("rename") or {})
    features = document.get("features") or []
    names: list[str] = []
    for feature in features:
        for key in feature.get("properties") or {}:
            name = rename.get(key, key)
            if name not in names:
                names.append(name)
    columns: dict[str, list[str | None]] = {n: [] for n in names}
    kinds: list[str | None] = []
    shapes: list[str | None] = []
    lats: list[str | None] = []
    lons: list[str | None] = []
    for feature in features:
        properties = {rename.get(k, k): v for k, v in (feature.get("properties") or {}).items()}
        for name in names:
            columns[name].append(_text(properties.get(name)))
        geometry = feature.get("geometry")
        kinds.append(geometry.get("type") if geometry else None)
        point = representative_point(geometry)
        lons.append(None if point is None else repr(point[0]))
        lats.append(None if point is None else repr(point[1]))
        is_point = bool(geometry) and geometry.get("type") == "Point"
        shapes.append(None if is_point or not geometry else json.dumps(geometry))
    frame = pl.DataFrame(columns, schema={n: pl.String for n in names})
    frame, detection = normalise(frame, names, {**options, "coordinates": "none"}, str(path))
    frame = frame.with_columns(
        pl.Series("geometry_type", kinds, dtype=pl.String),
        pl.Series("geometry", shapes, dtype=pl.String),
        pl.Series("latitude", lats, dtype=pl.String),
        pl.Series("longitude", lons, dtype=pl.String),
        pl.lit(None, dtype=pl.String).alias(EXTRA),
        pl.lit(None, dtype=pl.String).alias(MISSING),
        pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias("_row"),
    )
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[str(kind)] = counts.get(str(kind), 0) + 1
    detection = {
        "encoding": "utf-8",
        "rows": frame.height,
        "geometry_types": counts,
        "coordinates": {"crs": "EPSG:4326", "from": "geometry"},
        **detection,
    }
    return ReadResult(frame=frame, detection=detection)
