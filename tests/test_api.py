"""The API for app developers, on the publication of the shipped samples served by a real
Datasette: the OpenAPI document validates and each of its paths answers; a filter on an
unknown column is a 400 naming it; map tables answer GeoJSON; JSON revalidates with ETag."""

from __future__ import annotations

import json

import pytest
import requests
from openapi_spec_validator import validate

from tests.answers import ROOT, Published, canned_query

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server(published_server: str) -> str:
    return published_server


@pytest.fixture(scope="module")
def document(server: str) -> dict:
    response = requests.get(f"{server}/-/openapi.json", timeout=30)
    assert response.status_code == 200
    return response.json()


def test_openapi_document_validates(document: dict) -> None:
    validate(document)
    assert document["openapi"].startswith("3.")


def test_openapi_lists_every_published_table_and_canned_query(
    published: Published, document: dict
) -> None:
    tables = {
        r["name"]
        for r in published.rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%_fts%' "
            "AND name NOT LIKE 'sqlite_%'"
        )
    }
    paths = set(document["paths"])
    assert {f"/camp/{t}.json" for t in tables} <= paths
    for name in sorted(p.stem for p in (ROOT / "dashboards" / "queries").glob("*.yaml")):
        operation = document["paths"][f"/camp/{name}.json"]["get"]
        assert all("example" in p for p in operation["parameters"] if p.get("required"))


def test_every_documented_path_answers(server: str, document: dict) -> None:
    failures = []
    for path, item in document["paths"].items():
        params = {p["name"]: p["example"] for p in item["get"]["parameters"] if "example" in p}
        response = requests.get(server + path, params=params, timeout=30)
        if response.status_code != 200:
            failures.append((path, response.status_code, response.text[:200]))
    assert failures == []


def test_a_documented_column_type_and_description_match_the_table(document: dict) -> None:
    schema = document["paths"]["/camp/mart_decp__marches.json"]["get"]["responses"]["200"]
    row = schema["content"]["application/json"]["schema"]["properties"]["rows"]["items"]
    assert row["properties"]["montant"]["type"] == "number"
    assert row["properties"]["nb_titulaires"]["type"] == "integer"
    assert "une fois par marché" in row["properties"]["montant"]["description"]


@pytest.mark.parametrize("suffix", [".json", ""])
def test_a_filter_on_an_unknown_column_is_a_400_naming_it(server: str, suffix: str) -> None:
    response = requests.get(
        f"{server}/camp/core_decp__marches{suffix}",
        params={"acheteur_departemnt_code": "71"},
        timeout=30,
    )
    assert response.status_code == 400
    text = response.json()["error"] if suffix else response.text
    assert "acheteur_departemnt_code" in text and "acheteur_departement_code" in text


def test_known_filters_and_operators_still_work(server: str, published: Published) -> None:
    response = requests.get(
        f"{server}/camp/core_decp__marches.json",
        params={"acheteur_departement_code": "71", "montant__gt": "100000", "_size": "0"},
        timeout=30,
    )
    assert response.status_code == 200
    expected = published.rows(
        "SELECT count(*) AS n FROM core_decp__marches "
        "WHERE acheteur_departement_code = '71' AND montant > 100000"
    )[0]["n"]
    assert response.json()["filtered_table_rows_count"] == expected


def test_map_tables_answer_geojson_with_every_placed_row(server: str, published: Published) -> None:
    table = "core_acceslibre__erp"
    response = requests.get(f"{server}/camp/{table}.geojson", params={"_size": "1000"}, timeout=30)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/geo+json")
    collection = json.loads(response.text)
    total = published.rows(f"SELECT count(*) AS n FROM {table}")[0]["n"]
    placed = published.rows(
        f"SELECT count(*) AS n FROM (SELECT latitude FROM {table} ORDER BY rowid LIMIT 1000) "
        "WHERE latitude IS NOT NULL"
    )[0]["n"]
    assert len(collection["features"]) == placed > 0
    assert len(collection["features"]) + collection["x-camp-sans-position"] == min(total, 1000)
    lon, lat = collection["features"][0]["geometry"]["coordinates"]
    assert -10 < lon < 10 and 40 < lat < 52


def test_a_table_without_coordinates_has_no_geojson(server: str) -> None:
    response = requests.get(f"{server}/camp/core_decp__marches.geojson", timeout=30)
    assert response.status_code == 400


def without_timing(response: requests.Response) -> dict:
    body = response.json()
    body.pop("query_ms", None)  # the only part of a page that is not the publication's
    return body


def test_json_and_downloads_revalidate(server: str) -> None:
    for path in ("/camp/mart_decp__marches.json", "/-/openapi.json"):
        first = requests.get(server + path, timeout=30)
        etag = first.headers["etag"]
        assert first.headers["last-modified"]
        again = requests.get(server + path, headers={"If-None-Match": etag}, timeout=30)
        assert again.status_code == 304 and again.content == b""
        other = requests.get(server + path, headers={"If-None-Match": '"autre"'}, timeout=30)
        assert other.status_code == 200 and without_timing(other) == without_timing(first)


def test_api_page_is_french_and_links_the_document(server: str) -> None:
    page = requests.get(f"{server}/-/api", timeout=30)
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text and "/-/openapi.json" in page.text
    siret = canned_query("marches_d_un_acheteur")["exemple"]["siret"]
    assert f"/camp/marches_d_un_acheteur.json?_shape=objects&amp;siret={siret}" in page.text
