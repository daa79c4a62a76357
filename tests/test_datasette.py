"""The product's Datasette, for real, on 127.0.0.1, over a snapshot of a tiny warehouse."""

from __future__ import annotations

import html
import re
import threading
from pathlib import Path

import duckdb
import pytest
import requests

from pipelines.catalog.load import load_catalog, load_marts
from pipelines.publish.build import publish_snapshot
from tests.fixtures.publish.server import running_datasette
from tests.fixtures.publish.warehouse import duck, make_warehouse

pytestmark = pytest.mark.slow
CATALOG = Path(__file__).resolve().parent.parent / "catalog"
TABLE = "core_decp__marches"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("site")
    datasets, marts = load_catalog(CATALOG), load_marts(CATALOG)
    decp = next(d for d in datasets if d.name == "decp")
    warehouse = make_warehouse(root / "warehouse.duckdb", decp)
    publish_snapshot(warehouse, datasets, marts, root / "publish")
    with running_datasette(root / "publish", root / "datasette.log") as url:
        yield url, warehouse, root


def get(url: str, path: str, **params) -> requests.Response:
    response = requests.get(url + path, params=params, timeout=30)
    assert response.status_code == 200, (path, response.status_code, response.text[:500])
    return response


def test_table_page_documents_the_columns_licence_and_counts(site) -> None:
    url, _, _ = site
    page = html.unescape(get(url, f"/camp/{TABLE}").text)
    assert "Marchés publics (un titulaire par ligne)" in page
    assert "Licence Ouverte / Open Licence 2.0" in page
    assert "5\u202f000 lignes valides" in page
    assert "2 en quarantaine" in page
    # the explained status of the dataset, from meta_camp__statut
    assert "État : <strong>à jour</strong>" in page
    assert "27 novembre 2026 à 02:00 (heure de Paris, UTC+01:00)" in page  # 01:00Z
    # a column description inherited from the pinned official schema
    assert "Montant" in page and "HT" in page


def test_metadata_json_comes_from_the_catalogue(site) -> None:
    url, _, _ = site
    meta = get(url, "/-/metadata.json").json()
    table = meta["databases"]["camp"]["tables"][TABLE]
    assert table["facets"] == ["procedure", "acheteur_departement_code", "offresRecues"]
    assert table["label_column"] == "acheteur_nom"
    assert table["source_url"].startswith("https://www.data.gouv.fr/")
    assert all(table["columns"].values())


def test_default_facets_count_like_duckdb(site) -> None:
    url, warehouse, _ = site
    data = get(url, f"/camp/{TABLE}.json", _size=0).json()
    facets = {f["value"]: f["count"] for f in data["facet_results"]["procedure"]["results"]}
    expected = dict(
        duck(
            warehouse,
            f"SELECT procedure, count(*) FROM {TABLE} WHERE procedure IS NOT NULL GROUP BY 1",
        )
    )
    assert facets == expected


def test_numeric_filter_compares_numbers(site) -> None:
    url, warehouse, _ = site
    data = get(url, f"/camp/{TABLE}.json", montant__gt=100000, _size=0).json()
    expected = duck(warehouse, f"SELECT count(*) FROM {TABLE} WHERE montant > 100000")[0][0]
    assert data["filtered_table_rows_count"] == expected > 0


def test_french_search_ignores_accents(site) -> None:
    url, warehouse, _ = site
    counts = [
        get(url, f"/camp/{TABLE}.json", _search=q, _size=0).json()["filtered_table_rows_count"]
        for q in ("filliere", "Fillière")
    ]
    expected = duck(
        warehouse,
        f"SELECT count(*) FROM {TABLE} WHERE acheteur_nom ILIKE "
        "'%FILLIERE%' OR titulaire_nom ILIKE '%FILLIERE%'",
    )[0][0]
    assert counts == [expected, expected] and expected > 0


def test_search_across_all_tables(site) -> None:
    url, _, _ = site
    page = get(url, "/-/search", q="Montpellier").text
    assert "mart_accessibilite__stationnement_pmr_par_commune" in page


def test_canned_query_contracts_of_a_buyer(site) -> None:
    url, warehouse, _ = site
    siret = "20006258600157"
    data = get(url, "/camp/marches_d_un_acheteur.json", siret=siret, _shape="objects").json()
    # one row per contract, however many holders and source rows it has
    expected = duck(
        warehouse, f"SELECT count(DISTINCT uid) FROM {TABLE} WHERE acheteur_id = ?", [siret]
    )
    assert len(data["rows"]) == expected[0][0] > 0
    assert len({r["uid"] for r in data["rows"]}) == len(data["rows"])
    assert {r["acheteur_nom"] for r in data["rows"]} == {"COMMUNE DE FILLIERE (MAIRIE)"}
    page = html.unescape(get(url, "/camp/marches_d_un_acheteur").text)
    assert f'href="?siret={siret}">Essayer avec l\'exemple</a>' in page


def test_canned_query_accessible_places_near_a_point(site) -> None:
    url, _, _ = site
    params = {"latitude": "43.6107", "longitude": "3.8767", "rayon_m": "1000"}
    rows = get(url, "/camp/lieux_accessibles_proches.json", _shape="objects", **params).json()
    assert [r["nom"] for r in rows["rows"]] == ["Médiathèque à 300 m"]
    assert 250 < rows["rows"][0]["distance_m"] < 350


def test_canned_query_events_of_a_commune_between_dates(site) -> None:
    url, _, _ = site
    params = {"code_insee": "14118", "du": "2026-12-01", "au": "2026-12-05"}
    rows = get(url, "/camp/evenements_d_une_commune.json", _shape="objects", **params).json()
    assert [r["titre"] for r in rows["rows"]] == ["Heure du conte en tchèque"]


def test_default_facets_on_the_first_page_only(site) -> None:
    """Datasette 0.65 would count facets over the rows after the cursor on later pages."""
    url, warehouse, _ = site
    first = get(url, f"/camp/{TABLE}.json", _size=100).json()
    assert set(first["facet_results"]) == {"procedure", "acheteur_departement_code", "offresRecues"}
    later = get(url, f"/camp/{TABLE}.json", _size=100, _next=first["next"]).json()
    assert later["facet_results"] == {}
    assert later["rows"] and later["rows"][0][0] > first["rows"][-1][0]
    asked = get(url, f"/camp/{TABLE}.json", _next=first["next"], _facet="procedure").json()
    assert "procedure" in asked["facet_results"]  # asked for explicitly: still computed


def test_json_api_sends_cors_header(site) -> None:
    url, _, _ = site
    response = get(url, f"/camp/{TABLE}.json", _size=1)
    assert response.headers["access-control-allow-origin"] == "*"


def test_pagination_walks_every_row(site) -> None:
    url, warehouse, _ = site
    seen, path, params = 0, f"/camp/{TABLE}.json", {"_size": 1000, "_col": "montant"}
    while True:
        data = get(url, path, **params).json()
        seen += len(data["rows"])
        if not data["next"]:
            break
        params["_next"] = data["next"]
    assert seen == duck(warehouse, f"SELECT count(*) FROM {TABLE}")[0][0]


def test_sql_errors_are_reported_not_hidden(site) -> None:
    url, _, _ = site
    response = requests.get(f"{url}/camp.json", params={"sql": "select nope from x"}, timeout=30)
    assert response.status_code == 400
    assert "no such table" in response.json()["error"]


@pytest.mark.parametrize("suffix", ["csv", "parquet"])
def test_bulk_downloads_load_in_duckdb(site, suffix: str, tmp_path: Path) -> None:
    url, warehouse, _ = site
    response = get(url, f"/-/telechargements/{TABLE}.{suffix}")
    assert response.headers["access-control-allow-origin"] == "*"
    path = tmp_path / f"{TABLE}.{suffix}"
    path.write_bytes(response.content)
    got = (
        duckdb.connect()
        .execute(f"SELECT count(*), round(sum(montant), 2) FROM '{path}'")
        .fetchone()
    )
    assert got == duck(warehouse, f"SELECT count(*), round(sum(montant), 2) FROM {TABLE}")[0]


def test_datapackage_lists_every_published_table(site) -> None:
    url, _, root = site
    package = get(url, "/-/telechargements/datapackage.json").json()
    paths = {r["path"] for r in package["resources"]}
    assert f"{TABLE}.csv" in paths and "quarantine_decp__marches.csv" in paths
    index = get(url, "/-/telechargements").text
    assert all(p in index for p in paths)


def test_download_names_cannot_escape_the_folder(site) -> None:
    url, _, _ = site
    for name in ("..%2Fmetadata.json", ".hidden.csv", "camp.db"):
        assert requests.get(f"{url}/-/telechargements/{name}", timeout=10).status_code == 404


def test_dashboards_are_listed(site) -> None:
    url, _, _ = site
    page = get(url, "/-/dashboards").text
    for slug in ("concurrence-commande-publique", "agenda-mutualise", "accessibilite"):
        assert f"/-/dashboards/{slug}" in page


def test_pages_load_nothing_from_other_hosts(site) -> None:
    url, _, _ = site
    pages = [
        f"/camp/{TABLE}",
        "/camp/mart_accessibilite__stationnement_pmr_par_commune",
        "/-/dashboards/concurrence-commande-publique",
        "/camp",
        "/",
    ]
    for path in pages:
        text = get(url, path).text
        external = re.findall(r'(?:src|href)="(https?://[^"]+)"', text)
        assets = [
            u
            for u in external
            if not u.startswith(url) and re.search(r"\.(js|css|woff2?|ttf)(\?|$)", u)
        ]
        assert not assets, (path, assets)


def test_publishing_again_swaps_without_a_failed_request(site) -> None:
    url, warehouse, root = site
    datasets, marts = load_catalog(CATALOG), load_marts(CATALOG)
    before = get(url, "/-/metadata.json").json()["x-camp"]["created_at"]
    failures: list[str] = []
    done = threading.Event()
    counts: set[int] = set()
    seen_new = threading.Event()  # set by the first client to see the new publication

    def client() -> None:
        session = requests.Session()
        while not done.is_set():
            for path in (
                f"/camp/{TABLE}.json?_size=5&_facet=procedure",
                "/camp.json",
                f"/camp/{TABLE}?_search=commune",
            ):
                response = session.get(url + path, timeout=30)
                if response.status_code != 200:
                    failures.append(f"{path}: {response.status_code} {response.text[:200]}")
                elif path == "/camp.json":
                    counts.add(
                        next(
                            t["count"]
                            for t in response.json()["tables"]
                            if t["name"] == "meta_camp__statut"
                        )
                    )
                    if 2 in counts:
                        seen_new.set()

    threads = [threading.Thread(target=client) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        con = duckdb.connect(str(warehouse))
        con.execute(
            "INSERT INTO meta_camp__statut VALUES ('acceslibre', 'jamais publié', '', NULL)"
        )
        con.close()
        for _ in range(2):
            snapshot = publish_snapshot(warehouse, datasets, marts, root / "publish", keep=1)
        seen_new.wait(timeout=30)  # clients keep going until one sees it
    finally:
        done.set()
        for thread in threads:
            thread.join()
    assert not failures, failures[:3]
    after = get(url, "/-/metadata.json").json()["x-camp"]["created_at"]
    served = get(url, "/camp.json").json()
    assert after == snapshot.created_at and after >= before
    assert next(t["count"] for t in served["tables"] if t["name"] == "meta_camp__statut") == 2
    assert 2 in counts  # clients saw the new publication while running
