"""GTFS reader: stops joined with an accessibility extension, from a folder or a zip.

The fixture feed `gtfs-star-shape/` is synthetic (invented stops) but reproduces the STAR
Rennes 2012 layout: every value double-quoted, CRLF, step-free access in the Keolis
extension `stops_extensions.txt` and uninformative `wheelchair_boarding = 0` in stops.txt.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from pipelines.read import ReadError, read_resource

FEED = Path(__file__).parent / "fixtures" / "read" / "gtfs-star-shape"
OPTIONS = {"format": "gtfs", "file": "stops.txt", "extension": "stops_extensions.txt"}


def zipped(tmp_path: Path, folder: str = "") -> Path:
    path = tmp_path / "feed.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for member in FEED.iterdir():
            archive.write(member, f"{folder}{member.name}")
    return path


def check_stops(result) -> None:
    frame = result.frame
    by_id = {row["stop_id"]: row for row in frame.iter_rows(named=True)}
    # stops.txt says 0 (no information): the extension's 1/0 becomes GTFS 1/2
    assert by_id["S1"]["wheelchair_boarding"] == "1"
    assert by_id["S1"]["wheelchair_source"] == "stops_extensions.txt"
    assert by_id["S2"]["wheelchair_boarding"] == "2"
    # stops.txt is informative (2): it wins, and the disagreement is counted
    assert by_id["S3"]["wheelchair_boarding"] == "2"
    assert by_id["S3"]["wheelchair_source"] == "stops.txt"
    assert result.detection["wheelchair_conflicts"] == 1
    # no extension row, empty standard value: unknown
    assert by_id["S4"]["wheelchair_boarding"] is None and by_id["S4"]["wheelchair_source"] is None
    assert result.detection["extension"]["rows_without_extension"] == 1
    assert by_id["S3"]["stop_name"] == "Arrêt fictif Trois"
    assert (by_id["S1"]["latitude"], by_id["S1"]["longitude"]) == ("48.11", "-1.68")
    assert frame["_row"].to_list() == [2, 3, 4, 5]


def test_folder_feed() -> None:
    check_stops(read_resource(FEED, OPTIONS))


@pytest.mark.parametrize("folder", ["", "gtfs/"])
def test_zip_feed(tmp_path: Path, folder: str) -> None:
    check_stops(read_resource(zipped(tmp_path, folder), OPTIONS))


def test_without_extension_the_standard_value_stays() -> None:
    result = read_resource(FEED, {"format": "gtfs"})
    assert result.frame["wheelchair_boarding"].to_list() == ["0", "0", "2", None]
    assert "stop_accessible" not in result.frame.columns


def test_missing_member_names_what_is_there(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match=r"expected `stops_ext.txt`.*stops.txt"):
        read_resource(zipped(tmp_path), {**OPTIONS, "extension": "stops_ext.txt"})
    with pytest.raises(ReadError, match="expected `trips.txt` in the feed folder"):
        read_resource(FEED, {"format": "gtfs", "file": "trips.txt"})
    bad = tmp_path / "bad.zip"
    bad.write_text("not a zip")
    with pytest.raises(ReadError, match="expected a GTFS zip or folder"):
        read_resource(bad, OPTIONS)
