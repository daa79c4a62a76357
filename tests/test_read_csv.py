"""CSV reader on warts cut from real French open data (see tests/fixtures/read/README.md)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from pipelines.read import ReadError, read_resource
from pipelines.read.sniff import (
    clean_label,
    detect_delimiter,
    detect_encoding,
    french_date_to_iso,
    french_dates_to_iso,
    is_decimal_comma_column,
)

FIXTURES = Path(__file__).parent / "fixtures" / "read"


def column(result, name: str) -> list:
    return result.frame[name].to_list()


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("VOI_NUM,N,9,2", "VOI_NUM"),
        ("RIVOLI,C,10", "RIVOLI"),
        ("\ufeff Code_postal ", "Code_postal"),
        ('"DATE_"', "DATE_"),
        ("nom,prenom", "nom,prenom"),  # not a dBase suffix: kept as written
    ],
)
def test_clean_label(label: str, expected: str) -> None:
    assert clean_label(label) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("18-10-2010", "2010-10-18"),
        ('"18-10-2010"', "2010-10-18"),
        ("14/09/2010 14:28", "2010-09-14T14:28:00"),
        ("1/2/2024", "2024-02-01"),
        ("32/01/2024", None),
        ("2024-01-31", None),
        ("12/2024", None),
    ],
)
def test_french_date_to_iso(value: str, expected: str | None) -> None:
    assert french_date_to_iso(value) == expected


def test_vectorised_dates_agree_with_the_scalar_parser() -> None:
    values = ["18-10-2010", '"18-10-2010"', "14/09/2010 14:28", "1/2/2024", "32/01/2024",
              "2024-01-31", "12/2024", "01/13/2024", "5/6/2024 7:05:09", None]  # fmt: skip
    vectorised = french_dates_to_iso(pl.Series("d", values, dtype=pl.String)).to_list()
    assert vectorised == [french_date_to_iso(v) for v in values]


def test_decimal_comma_column_needs_only_numbers() -> None:
    assert is_decimal_comma_column(["3,85", "43", None, ""])
    assert not is_decimal_comma_column(["12", "13"])  # integers only: nothing to change
    assert not is_decimal_comma_column(["3,85", "lsf,lpc"])


def test_detectors_on_bytes_and_text() -> None:
    assert detect_encoding("Réservé".encode("cp1252")) == "cp1252"
    assert detect_encoding(b"\xef\xbb\xbfa;b") == "utf-8-sig"
    assert detect_encoding("Libellé".encode()) == "utf-8"
    assert detect_delimiter("a\tb\tc\n1\t2\t3\n") == "\t"


def test_latin1_decimal_comma_french_datetime() -> None:
    result = read_resource(FIXTURES / "montpellier-latin1-decimal-comma.csv", {})
    detection = result.detection
    assert detection["encoding"] == "cp1252"
    assert column(result, "F01_TYPE_D")[-1] == "Réservé service public"
    assert column(result, "F03_COORDONNEES_X")[0] == "3.8572999759"
    assert detection["decimal_comma"] == {"F03_COORDONNEES_X": 7, "F05_COORDONNEES_Y": 7}
    assert column(result, "F00_DATE_S")[0] == "2010-09-14T14:28:00"
    assert detection["dates"]["cells_changed"] == {"F00_DATE_S": 7}
    assert column(result, "_row") == list(range(2, 9))


def test_declared_coordinates_give_wgs84_columns() -> None:
    options = {"coordinates": {"x": "F03_COORDONNEES_X", "y": "F05_COORDONNEES_Y"}}
    result = read_resource(FIXTURES / "montpellier-latin1-decimal-comma.csv", options)
    assert column(result, "latitude")[0] == "43.6068736383"
    assert column(result, "longitude")[0] == "3.8572999759"
    assert result.detection["coordinates"]["rows_by_crs"] == {"EPSG:4326": 7}


def test_dbase_header_triple_quoted_dates_and_mixed_crs() -> None:
    result = read_resource(FIXTURES / "montpellier-dbase-header-mixed-crs.csv", {})
    frame = result.frame
    assert frame.columns[:9] == [
        "VOI_NUM", "ACV_NUM", "X", "Y", "ACC_TBAN", "ACC_TACC", "DATE_", "RIVOLI", "ID_PP",
    ]  # fmt: skip
    assert result.detection["renamed"]["X,N,13,5"] == "X"
    assert column(result, "DATE_")[:4] == ["2010-10-18"] * 3 + ["2010-07-30"]
    coordinates = result.detection["coordinates"]
    # 3 rows in Lambert-93 metres, 3 in degrees with decimal commas, 1 placeholder (0, 0)
    assert coordinates["rows_by_crs"] == {"EPSG:2154": 3, "EPSG:4326": 3}
    assert coordinates["located_rows"] == 6
    assert column(result, "X")[0] == "765600"  # the source column is kept as published
    lats = [float(v) for v in column(result, "latitude")[:6]]
    lons = [float(v) for v in column(result, "longitude")[:6]]
    # every located crossing is in Montpellier
    assert all(43.55 < lat < 43.66 for lat in lats) and all(3.80 < lon < 3.95 for lon in lons)
    assert column(result, "latitude")[6] is None


def test_rename_applies_to_clean_or_raw_labels() -> None:
    options = {"rename": {"X,N,13,5": "x_source", "Y": "y_source"}, "coordinates": "none"}
    result = read_resource(FIXTURES / "montpellier-dbase-header-mixed-crs.csv", options)
    assert "x_source" in result.frame.columns and "y_source" in result.frame.columns
    assert "latitude" not in result.frame.columns


def test_ragged_rows_are_recorded_not_padded() -> None:
    result = read_resource(FIXTURES / "montpellier-ragged-rows-edited.csv", {})
    assert column(result, "_missing_cells") == [None, "F05_COORDONNEES_Y", None, None]
    assert column(result, "_extra_cells") == [None, None, json.dumps(["surplus"]), None]
    assert column(result, "F05_COORDONNEES_Y")[1] is None  # null, not ""
    assert result.detection["ragged_rows"] == {"extra_cells": 1, "missing_cells": 1}


def test_semicolon_and_multivalue_cells() -> None:
    result = read_resource(FIXTURES / "acceslibre-import-semicolon-multivalue.csv", {})
    assert result.detection["delimiter"] == ";"
    assert column(result, "accueil_equipements_malentendants") == ["lsf,lpc,sts"] * 3
    assert column(result, "adr")[2] == "68 Avenue DU 11 NOVEMBRE, CENTRE COMMERCIAL MARTROU"
    assert column(result, "latitude")[0] == "50.6359154"


def test_quoted_newline_stays_in_its_cell() -> None:
    result = read_resource(FIXTURES / "acceslibre-quoted-newline.csv", {})
    assert result.frame.height == 1
    assert column(result, "place_id") == ["abcdefplace_id\n"]
    assert column(result, "_row") == [2]


def test_utf8_bom_semicolon_keeps_leading_zeros_and_corsica() -> None:
    result = read_resource(FIXTURES / "laposte-utf8-bom-added-semicolon.csv", {})
    assert result.detection["encoding"] == "utf-8-sig"
    assert result.frame.columns[0] == "Code_commune_INSEE"
    assert "2A004" in column(result, "Code_commune_INSEE")
    assert "Libellé_d_acheminement" in result.frame.columns


def test_tab_delimited_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "tab.tsv"
    path.write_text("nom\tmontant\tdate\nA\t1,5\t01/02/2024\n", encoding="cp1252")
    result = read_resource(path, {"decimal_comma": "none", "dates": "none"})
    assert result.detection["delimiter"] == "\t"
    assert column(result, "montant") == ["1,5"] and column(result, "date") == ["01/02/2024"]
    result = read_resource(path, {"dates": ["date"], "date_format": "%m/%d/%Y"})
    assert column(result, "date") == ["2024-01-02"]


def test_wrong_encoding_says_where_and_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "latin.csv"
    path.write_bytes(b"nom\nok\nR\xe9serv\xe9\n")
    with pytest.raises(ReadError, match=r"line 3: .*set `read.encoding`"):
        read_resource(path, {"encoding": "utf-8"})


def test_missing_file_and_empty_file(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="cannot open"):
        read_resource(tmp_path / "absent.csv", {})
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(ReadError, match="expected a header row"):
        read_resource(tmp_path / "empty.csv", {})


def test_duplicate_labels_after_cleanup(tmp_path: Path) -> None:
    path = tmp_path / "dup.csv"
    path.write_text('"X,N,13,5",X\n1,2\n')
    with pytest.raises(ReadError, match="duplicate column labels.*read.rename"):
        read_resource(path, {"coordinates": "none"})


def test_constants_are_added_and_recorded() -> None:
    options = {"constants": {"code_insee": "34172"}, "coordinates": "none"}
    result = read_resource(FIXTURES / "montpellier-latin1-decimal-comma.csv", options)
    assert column(result, "code_insee") == ["34172"] * 7
    assert result.detection["constants"] == {"code_insee": "34172"}
    with pytest.raises(ReadError, match="would overwrite the columns"):
        read_resource(FIXTURES / "montpellier-latin1-decimal-comma.csv", {"constants": {"FID_": 1}})


def test_row_numbers_match_frictionless_with_blank_rows_and_quoted_newlines(
    tmp_path: Path,
) -> None:
    from frictionless import Resource

    path = tmp_path / "blank.csv"
    path.write_text('a,b\n1,x\n\n2\n3,y,z\n"4\nq",w\n5,v\n')
    result = read_resource(path, {})
    with Resource(path=path.name, basepath=str(tmp_path)) as source:
        expected = {row.row_number: row.to_list() for row in source.row_stream}
    assert result.detection["blank_rows"] == {"count": 1, "rows": [3]}
    assert expected[3] == [None, None]  # the blank row frictionless reports
    for row in result.frame.iter_rows(named=True):
        assert expected[row["_row"]][0] == row["a"]
    assert column(result, "_row") == [2, 4, 5, 6, 7]
