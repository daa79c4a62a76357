"""GeoJSON reader: one row per feature, properties as text, a WGS84 point per feature.

Points give their own `latitude` / `longitude`; lines and polygons give a representative
point (the middle vertex of a line, the mean of a polygon's outer ring) and keep the whole
geometry as GeoJSON text in `geometry` (in the source's coordinates), so nothing of the
source is lost. Property values
that are not strings are JSON-encoded; typing is the validator's job.

Options (`x-camp.read`):
  rename: {property: field_name}
  coordinates: {crs: auto | EPSG:2154 | EPSG:4326}   # default: the file's `crs` member,
               # else detected from the value ranges (Lambert-93 converted with pyproj)
  decimal_comma / dates / date_format: as for CSV (see `csv_file.py`), on properties
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import polars as pl

from . import ReadError, ReadResult
from .csv_file import EXTRA, MISSING, normalise
from .geo import LAMBERT93, WGS84, add_lat_lon


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


def _declared_crs(document: dict[str, Any]) -> str:
    name = str(((document.get("crs") or {}).get("properties") or {}).get("name") or "")
    if name.endswith(("2154", "EPSG::2154")):
        return LAMBERT93
    if name.endswith(("4326", "CRS84")):
        return WGS84
    return "auto"


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
    frame = pl.DataFrame(
        {
            **columns,
            "geometry_type": kinds,
            "geometry": shapes,
            "_y": lats,
            "_x": lons,
            EXTRA: [None] * len(features),
            MISSING: [None] * len(features),
        },
        schema={**{n: pl.String for n in names}, "geometry_type": pl.String,
                "geometry": pl.String, "_y": pl.String, "_x": pl.String,
                EXTRA: pl.String, MISSING: pl.String},
    )  # fmt: skip
    frame = frame.with_columns(pl.int_range(2, frame.height + 2, dtype=pl.Int64).alias("_row"))
    frame, detection = normalise(frame, names, {**options, "coordinates": "none"}, str(path))
    # RFC 7946 GeoJSON is WGS84, but older French exports carry a `crs` member (Lambert-93).
    declared = (options.get("coordinates") or {}).get("crs") or _declared_crs(document)
    frame, coordinates = add_lat_lon(frame, {"x": "_x", "y": "_y", "crs": declared}, str(path))
    frame = frame.drop("_x", "_y").select(
        pl.exclude(EXTRA, MISSING, "_row"), EXTRA, MISSING, "_row"
    )
    counts: dict[str, int] = {}
    for kind in kinds:
        counts[str(kind)] = counts.get(str(kind), 0) + 1
    detection = {
        "encoding": "utf-8",
        "rows": frame.height,
        "geometry_types": counts,
        "coordinates": {**(coordinates or {}), "from": "geometry"},
        **detection,
    }
    return ReadResult(frame=frame, detection=detection)
