"""Publish every located row as WGS84 `latitude` / `longitude` text columns.

Sources give positions as Lambert-93 metres (`X`, `Y`), WGS84 degrees with decimal commas,
swapped axes or one `"lat,lon"` cell. `add_lat_lon` finds the coordinate columns (from the
`coordinates` option or by name), detects the reference system from the value ranges when
it is not declared, converts Lambert-93 with pyproj, and keeps the source columns as they
were. What it did is returned for `ReadResult.detection`.

Option (`x-camp.read.coordinates`):
  coordinates: {x: <column>, y: <column>, crs: auto | EPSG:2154 | EPSG:4326}
  coordinates: {latlon: <column holding "lat,lon">}
  coordinates: none        # the rows have no position
"""

from __future__ import annotations

from functools import cache
from typing import Any

import polars as pl

from . import ReadError

WGS84 = "EPSG:4326"
LAMBERT93 = "EPSG:2154"
# Lambert-93 covers metropolitan France: X 100-1 300 km, Y 6 000-7 200 km.
_L93_X = (100_000.0, 1_300_000.0)
_L93_Y = (6_000_000.0, 7_200_000.0)
# Candidate (x, y) column pairs, first match wins; compared case-insensitively.
_PAIRS = (
    ("longitude", "latitude"),
    ("lon", "lat"),
    ("lng", "lat"),
    ("xlong", "ylat"),
    ("stop_lon", "stop_lat"),
    ("x", "y"),
    ("coord_x", "coord_y"),
    ("coordonnees_x", "coordonnees_y"),
)
_DIGITS = 7  # 1e-7 degree ≈ 1 cm


@cache
def _lambert93_to_wgs84() -> Any:
    from pyproj import Transformer  # heavy import, only when a file needs it

    return Transformer.from_crs(LAMBERT93, WGS84, always_xy=True)


def lambert93_to_wgs84(x: list[float], y: list[float]) -> tuple[list[float], list[float]]:
    """Lambert-93 metres → (longitudes, latitudes) in WGS84 degrees."""
    lon, lat = _lambert93_to_wgs84().transform(x, y)
    return list(lon), list(lat)


def _numbers(series: pl.Series) -> pl.Series:
    return (
        series.cast(pl.String)
        .str.strip_chars()
        .str.strip_chars('"')
        .str.replace(",", ".", literal=True)
        .cast(pl.Float64, strict=False)
    )


def _within(values: pl.Series, low: float, high: float) -> bool:
    filled = values.drop_nulls()
    return filled.len() > 0 and bool(((filled >= low) & (filled <= high)).all())


def detect_crs(x: pl.Series, y: pl.Series) -> str | None:
    """EPSG:2154 or EPSG:4326 from the value ranges, or None when neither fits."""
    if _within(x, *_L93_X) and _within(y, *_L93_Y):
        return LAMBERT93
    if _within(x, -180, 180) and _within(y, -90, 90):
        return WGS84
    return None


def find_columns(columns: list[str]) -> tuple[str, str] | None:
    """The (x, y) columns named like coordinates, if any."""
    lowered = {c.lower(): c for c in columns}
    for x_name, y_name in _PAIRS:
        if x_name in lowered and y_name in lowered:
            return lowered[x_name], lowered[y_name]
    return None


def add_lat_lon(
    frame: pl.DataFrame, option: Any, where: str
) -> tuple[pl.DataFrame, dict[str, Any] | None]:
    """The frame with `latitude` / `longitude` (WGS84, text) and what was done, or None."""
    if option in ("none", False):
        return frame, None
    option = dict(option or {})
    if "latlon" in option:
        column = option["latlon"]
        if column not in frame.columns:
            raise ReadError(f"{where}: `coordinates.latlon` names `{column}`, not a column")
        parts = frame[column].str.split_exact(",", 1)
        x_values, y_values = _numbers(parts.struct[1]), _numbers(parts.struct[0])
        source: dict[str, Any] = {"latlon": column}
    else:
        if "x" in option or "y" in option:
            pair = (option.get("x"), option.get("y"))
            for axis, column in zip("xy", pair, strict=True):
                if column not in frame.columns:
                    raise ReadError(
                        f"{where}: `coordinates.{axis}` names `{column}`, which is not a "
                        f"column (columns: {', '.join(frame.columns)})"
                    )
        else:
            found = find_columns(frame.columns)
            if found is None:
                return frame, None
            pair = found
        x_values, y_values = _numbers(frame[pair[0]]), _numbers(frame[pair[1]])
        source = {"x": pair[0], "y": pair[1]}
    declared = option.get("crs", "auto")
    # (0, 0) is a placeholder for "no position" in GIS exports, never a place in France.
    zero = (x_values == 0) & (y_values == 0)
    x_values = x_values.zip_with(~zero.fill_null(False), pl.Series([None] * len(zero)))
    y_values = y_values.zip_with(~zero.fill_null(False), pl.Series([None] * len(zero)))
    if declared == "auto":
        # Decided row by row: some publishers mix Lambert-93 and degrees in one column.
        is_l93 = x_values.is_between(*_L93_X) & y_values.is_between(*_L93_Y)
        is_wgs = x_values.is_between(-180, 180) & y_values.is_between(-90, 90) & ~is_l93
    elif declared in (LAMBERT93, WGS84):
        filled = x_values.is_not_null() & y_values.is_not_null()
        is_l93 = filled & (declared == LAMBERT93)
        is_wgs = filled & (declared == WGS84)
    else:
        raise ReadError(
            f"{where}: `coordinates.crs` is {declared!r}; expected auto, {LAMBERT93} or {WGS84}"
        )
    is_l93, is_wgs = is_l93.fill_null(False), is_wgs.fill_null(False)
    counts = {LAMBERT93: int(is_l93.sum()), WGS84: int(is_wgs.sum())}
    filled_rows = int((x_values.is_not_null() | y_values.is_not_null()).sum())
    unknown = filled_rows - counts[LAMBERT93] - counts[WGS84]
    if filled_rows and unknown == filled_rows:
        raise ReadError(
            f"{where}: coordinates in `{'`, `'.join(map(str, source.values()))}` are neither "
            f"Lambert-93 metres nor WGS84 degrees (crs {declared!r}); declare "
            "`read.coordinates.crs` or `read.coordinates: none` in the descriptor"
        )
    done: dict[str, Any] = {
        **source,
        "crs_declared": declared,
        "rows_by_crs": {k: v for k, v in counts.items() if v},
    }
    if unknown:
        done["rows_out_of_range"] = unknown  # left without latitude / longitude
    wgs_x, wgs_y = x_values.filter(is_wgs), y_values.filter(is_wgs)
    if _within(wgs_x, 41, 52) and _within(wgs_y, -6, 10):
        # France seen with swapped axes: the "x" column holds latitudes.
        x_values, y_values = y_values, x_values
        done["swapped_axes"] = True
    lon_values = pl.Series([None] * x_values.len(), dtype=pl.Float64)
    lat_values = pl.Series([None] * x_values.len(), dtype=pl.Float64)
    lon_values = x_values.zip_with(is_wgs, lon_values)
    lat_values = y_values.zip_with(is_wgs, lat_values)
    if counts[LAMBERT93]:
        positions = is_l93.arg_true()
        lon, lat = lambert93_to_wgs84(
            x_values.filter(is_l93).to_list(), y_values.filter(is_l93).to_list()
        )
        lon_values = lon_values.scatter(positions, pl.Series(lon, dtype=pl.Float64).round(_DIGITS))
        lat_values = lat_values.scatter(positions, pl.Series(lat, dtype=pl.Float64).round(_DIGITS))
    done["located_rows"] = int(lat_values.is_not_null().sum())
    frame = frame.with_columns(
        lat_values.cast(pl.String).alias("latitude"),
        lon_values.cast(pl.String).alias("longitude"),
    )
    return frame, done
