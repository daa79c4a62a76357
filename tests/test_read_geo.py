"""Lambert-93 → WGS84 checked against the projection's own definition, not against pyproj.

`lambert93_forward` below is the Lambert conformal conic (2 standard parallels) of
Snyder, *Map Projections: A Working Manual* (USGS 1395, eq. 15-1 to 15-10), with the
Lambert-93 constants of the French decree 2000-1276 (GRS80, parallels 44° and 49°,
origin 46°30'N 3°E at X 700 000 m, Y 6 600 000 m). It is written here independently
so the reader's pyproj conversion is compared with a second implementation.
"""

from __future__ import annotations

import math
from pathlib import Path

import polars as pl
import pytest

from pipelines.read import ReadError
from pipelines.read.geo import (
    LAMBERT93,
    WGS84,
    add_lat_lon,
    detect_crs,
    find_columns,
    lambert93_to_wgs84,
)

A = 6_378_137.0
F = 1 / 298.257222101
E = math.sqrt(2 * F - F * F)


def _m(phi: float) -> float:
    return math.cos(phi) / math.sqrt(1 - (E * math.sin(phi)) ** 2)


def _t(phi: float) -> float:
    es = E * math.sin(phi)
    return math.tan(math.pi / 4 - phi / 2) / ((1 - es) / (1 + es)) ** (E / 2)


def lambert93_forward(lon: float, lat: float) -> tuple[float, float]:
    phi1, phi2, phi0 = map(math.radians, (44.0, 49.0, 46.5))
    n = (math.log(_m(phi1)) - math.log(_m(phi2))) / (math.log(_t(phi1)) - math.log(_t(phi2)))
    big_f = _m(phi1) / (n * _t(phi1) ** n)
    rho0 = A * big_f * _t(phi0) ** n
    rho = A * big_f * _t(math.radians(lat)) ** n
    theta = n * math.radians(lon - 3.0)
    return 700_000 + rho * math.sin(theta), 6_600_000 + rho0 - rho * math.cos(theta)


def metres_between(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    dy = math.radians(lat2 - lat1) * 6_371_000
    dx = math.radians(lon2 - lon1) * 6_371_000 * math.cos(math.radians(lat1))
    return math.hypot(dx, dy)


# Place coordinates (WGS84) as given by the Wikipedia/OSM pages of the places.
KNOWN = {
    "Paris, Notre-Dame (point zéro des routes de France)": (2.348800, 48.853402),
    "Montpellier, place de la Comédie": (3.879700, 43.608500),
    "Rennes, place de la Mairie": (-1.679500, 48.111600),
}


def test_projection_origin_is_exact() -> None:
    lon, lat = lambert93_to_wgs84([700_000.0], [6_600_000.0])
    assert lon[0] == pytest.approx(3.0, abs=1e-9) and lat[0] == pytest.approx(46.5, abs=1e-9)
    assert lambert93_forward(3.0, 46.5) == pytest.approx((700_000.0, 6_600_000.0), abs=1e-3)


@pytest.mark.parametrize("place", sorted(KNOWN))
def test_known_places_round_trip_within_a_metre(place: str) -> None:
    lon, lat = KNOWN[place]
    x, y = lambert93_forward(lon, lat)
    frame = pl.DataFrame({"X": [f"{x:.2f}"], "Y": [f"{y:.2f}"]})
    out, done = add_lat_lon(frame, None, "test")
    assert done is not None and done["rows_by_crs"] == {LAMBERT93: 1}
    got_lat, got_lon = float(out["latitude"][0]), float(out["longitude"][0])
    assert metres_between(lon, lat, got_lon, got_lat) < 1.0


def test_notre_dame_lambert93_is_where_maps_put_it() -> None:
    # IGN maps put Notre-Dame de Paris near X 652 km, Y 6 862 km in Lambert-93.
    x, y = lambert93_forward(*KNOWN["Paris, Notre-Dame (point zéro des routes de France)"])
    assert 651_500 < x < 653_500 and 6_861_000 < y < 6_863_000


def test_detect_crs_from_ranges() -> None:
    l93 = pl.Series([765_600.0, 770_000.0]), pl.Series([6_281_000.0, 6_279_000.0])
    assert detect_crs(*l93) == LAMBERT93
    assert detect_crs(pl.Series([3.87]), pl.Series([43.6])) == WGS84
    assert detect_crs(pl.Series([5_000_000.0]), pl.Series([1.0])) is None


def test_find_columns_by_name() -> None:
    assert find_columns(["id", "Xlong", "Ylat"]) == ("Xlong", "Ylat")
    assert find_columns(["stop_lat", "stop_lon"]) == ("stop_lon", "stop_lat")
    assert find_columns(["nom"]) is None


def test_swapped_axes_are_detected_and_recorded() -> None:
    frame = pl.DataFrame({"x": ["43.6085"], "y": ["3.8797"]})
    out, done = add_lat_lon(frame, None, "test")
    assert done is not None and done["swapped_axes"] is True
    assert out["latitude"][0] == "43.6085" and out["longitude"][0] == "3.8797"


def test_one_cell_lat_lon() -> None:
    frame = pl.DataFrame({"gps": ["48.97,-1.54", None]})
    out, _ = add_lat_lon(frame, {"latlon": "gps"}, "test")
    assert out["latitude"].to_list() == ["48.97", None]
    assert out["longitude"].to_list() == ["-1.54", None]


def test_declared_crs_is_trusted() -> None:
    frame = pl.DataFrame({"x": ["700000"], "y": ["6600000"]})
    out, done = add_lat_lon(frame, {"x": "x", "y": "y", "crs": LAMBERT93}, "test")
    assert done is not None and done["crs_declared"] == LAMBERT93
    assert float(out["longitude"][0]) == pytest.approx(3.0)


def test_unusable_coordinates_raise_a_clear_error() -> None:
    frame = pl.DataFrame({"x": ["5000000"], "y": ["1"]})
    with pytest.raises(ReadError, match=r"neither Lambert-93 .*read.coordinates"):
        add_lat_lon(frame, None, "f.csv")
    with pytest.raises(ReadError, match="not a column"):
        add_lat_lon(frame, {"x": "lon", "y": "y"}, "f.csv")


def test_no_coordinate_columns_is_fine(tmp_path: Path) -> None:
    out, done = add_lat_lon(pl.DataFrame({"nom": ["a"]}), None, "test")
    assert done is None and out.columns == ["nom"]
