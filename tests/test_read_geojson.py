"""GeoJSON reader: real Montpellier points, and lines with a representative point."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipelines.read import ReadError, read_resource
from pipelines.read.geojson import representative_point

FIXTURES = Path(__file__).parent / "fixtures" / "read"


def test_points_keep_properties_and_get_lat_lon() -> None:
    path = FIXTURES / "montpellier-places-reservees.geojson"
    result = read_resource(path, {"format": "geojson", "rename": {"F01_TYPE_D": "type_place"}})
    frame = result.frame
    assert frame.height == 3
    assert frame["type_place"].to_list() == ["Autre", "GIG/GIC", "Taxi"]
    source = json.loads(path.read_text())["features"][1]["geometry"]["coordinates"]
    assert float(frame["longitude"][1]) == source[0] and float(frame["latitude"][1]) == source[1]
    assert frame["geometry"].to_list() == [None] * 3  # a point is fully in latitude/longitude
    # the properties repeat the coordinates as text with decimal commas: normalised, counted
    assert frame["F03_COMMEN"][0] == "3.85729997585435"
    assert result.detection["decimal_comma"] == {"F03_COMMEN": 3, "F05_COMMEN": 3}
    assert frame["F00_DATE_S"][0] == "2010-09-14T14:28:00"
    assert frame["_row"].to_list() == [2, 3, 4]


def test_line_gets_a_point_on_it_and_keeps_its_geometry(tmp_path: Path) -> None:
    line = {"type": "LineString", "coordinates": [[3.0, 43.0], [3.1, 43.1], [3.2, 43.2]]}
    document = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"nom": "Rue", "n": 2}, "geometry": line}],
    }
    path = tmp_path / "lines.geojson"
    path.write_text(json.dumps(document))
    result = read_resource(path, {"format": "geojson"})
    row = result.frame.row(0, named=True)
    assert (row["longitude"], row["latitude"]) == ("3.1", "43.1")
    assert json.loads(row["geometry"]) == line
    assert row["geometry_type"] == "LineString" and row["n"] == "2"
    assert result.detection["geometry_types"] == {"LineString": 1}


@pytest.mark.parametrize(
    ("geometry", "expected"),
    [
        ({"type": "Point", "coordinates": [1.0, 2.0]}, (1.0, 2.0)),
        ({"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]}, (1, 1)),
        (None, None),
    ],
)
def test_representative_point(geometry, expected) -> None:
    assert representative_point(geometry) == expected


def test_not_a_feature_collection(tmp_path: Path) -> None:
    path = tmp_path / "x.geojson"
    path.write_text('{"type": "Feature"}')
    with pytest.raises(ReadError, match="expected a GeoJSON FeatureCollection"):
        read_resource(path, {"format": "geojson"})
    path.write_text("{\n  oops")
    with pytest.raises(ReadError, match="line 2: not valid JSON"):
        read_resource(path, {"format": "geojson"})


def test_lambert93_geojson_is_converted(tmp_path: Path) -> None:
    # an old-style export with a `crs` member; the projection origin is 3°E 46.5°N exactly
    document = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::2154"}},
        "features": [
            {"type": "Feature", "properties": {}, "geometry": {"type": "Point",
             "coordinates": [700000, 6600000]}}
        ],
    }  # fmt: skip
    path = tmp_path / "l93.geojson"
    path.write_text(json.dumps(document))
    result = read_resource(path, {"format": "geojson"})
    assert float(result.frame["longitude"][0]) == pytest.approx(3.0)
    assert float(result.frame["latitude"][0]) == pytest.approx(46.5)
    assert result.detection["coordinates"]["crs_declared"] == "EPSG:2154"
