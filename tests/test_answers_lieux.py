"""Accessible venues (dashboard « lieux-accessibles », query `autour_d_un_lieu`).

The venues and the points around them are taken from the published tables they come from
(positions as read and converted by the readers, which have their own tests); which points
are within the radius, how many and how far is recomputed here in plain Python with the
great-circle (haversine) distance, not the mart's equirectangular SQL.
"""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import pytest

from pipelines.catalog.load import load_marts
from tests.answers import ROOT, Published, canned_query, chart_rows, query_rows

pytestmark = pytest.mark.slow
SLUG = "lieux-accessibles"
RADIUS = 300.0  # the radius the mart's descriptor sets


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * 6371000 * math.asin(math.sqrt(a))


def around(lat: float, lon: float, points: list[dict]) -> list[tuple[float, dict]]:
    near = [(haversine_m(lat, lon, p["latitude"], p["longitude"]), p) for p in points]
    return sorted((d, p) for d, p in near if d <= RADIUS) if near else []


@pytest.fixture(scope="module")
def expected(published: Published) -> dict[tuple[str, str | None], dict]:
    places = published.rows(
        "SELECT latitude, longitude, 1 AS n FROM core_stationnement__places_voirie_montpellier "
        "WHERE type_place = 'GIG/GIC' AND latitude IS NOT NULL"
    ) + [
        {"latitude": r["latitude"], "longitude": r["longitude"], "n": r["nb_pmr"]}
        for r in published.rows("SELECT * FROM core_stationnement__parkings")
        if r["nb_pmr"] and r["latitude"] is not None
        and not (r["url"] or "").startswith("https://www.exemple.fr/")
    ]  # fmt: skip
    stops = published.rows(
        "SELECT stop_name, latitude, longitude FROM core_gtfs_star__arrets "
        "WHERE wheelchair_boarding = '1' AND latitude IS NOT NULL"
    )
    crossings = published.rows(
        "SELECT accessible_pmr, latitude, longitude FROM core_voirie_montpellier__passages_pietons "
        "WHERE latitude IS NOT NULL"
    )
    venues: dict[tuple[str, str | None], dict] = {}
    for e in published.rows("SELECT lieu_nom, latitude, longitude FROM mart_agenda__evenements"):
        if e["latitude"] is not None and e["longitude"] is not None:
            venues[("evenement", e["lieu_nom"], e["latitude"], e["longitude"])] = e
    for e in published.rows(
        "SELECT id, latitude, longitude FROM mart_accessibilite__erp_localises"
    ):
        if e["latitude"] is not None and e["longitude"] is not None:
            venues[("erp", e["id"])] = e
    result = {}
    for key, v in venues.items():
        p = around(v["latitude"], v["longitude"], places)
        s = around(v["latitude"], v["longitude"], stops)
        c = around(v["latitude"], v["longitude"], crossings)
        result[key] = {
            "places_pmr": sum(x["n"] for _, x in p),
            "distance_place_pmr_m": p[0][0] if p else None,
            "arrets_plain_pied": len(s),
            "distance_arret_plain_pied_m": s[0][0] if s else None,
            "passages_pietons": len(c),
            "passages_pietons_accessibles": sum(x["accessible_pmr"] == "OUI" for _, x in c),
        }
    return result


def key_of(row: dict) -> tuple:
    if row["type_lieu"] == "erp":
        return ("erp", row["lieu_id"].removeprefix("erp:"))
    return ("evenement", row["nom"], row["latitude"], row["longitude"])


def test_venues_mart(published: Published, expected: dict) -> None:
    shown = published.rows("SELECT * FROM mart_lieux__alentours_accessibles")
    assert {key_of(r) for r in shown} == set(expected) and len(shown) == len(expected)
    for row in shown:
        want = expected[key_of(row)]
        for column in ("places_pmr", "arrets_plain_pied", "passages_pietons",
                       "passages_pietons_accessibles"):  # fmt: skip
            assert row[column] == want[column], (row["lieu_id"], column)
        for column in ("distance_place_pmr_m", "distance_arret_plain_pied_m"):
            if want[column] is None:
                assert row[column] is None
            else:
                assert row[column] == pytest.approx(want[column], rel=0.01, abs=1.0)
    equipped = sum(bool(w["places_pmr"] or w["arrets_plain_pied"]) for w in expected.values())
    assert chart_rows(published, SLUG, "lieux-equipes") == [{"lieux": equipped}]
    erps = sum(k[0] == "erp" for k in expected)
    assert erps and erps < len(expected)  # both kinds of venue are there


def test_venues_table(published: Published, expected: dict) -> None:
    rows = chart_rows(published, SLUG, "lieux", type_lieu="evenement")
    assert rows and len(rows) == min(50, sum(k[0] == "evenement" for k in expected))
    assert all(r["type_lieu"] == "evenement" for r in rows)


def test_around_a_venue(published: Published) -> None:
    text = canned_query("autour_d_un_lieu")["exemple"]["nom"]
    rows = query_rows(published, "autour_d_un_lieu")
    names = [
        r["lieu_nom"]
        for r in published.rows("SELECT lieu_nom FROM mart_agenda__evenements")
        if r["lieu_nom"] and text.lower() in r["lieu_nom"].lower()
    ]
    assert rows and {r["nom"] for r in rows} == set(names)


def test_venues_on_a_hand_made_map(tmp_path: Path) -> None:
    """One venue at 43.6 N, 3.88 E. Around it, by hand (R = 6 371 km, 1e-3 degree of
    latitude = 6371000 × π/180 × 0.001 = 111.19 m; of longitude, × cos 43.6° = 0.7242):
    street place 0.001° N → 111 m (in); street place 0.003° N → 333.6 m (out);
    car park with 3 PMR places 0.0025° S → 278.0 m (in);  fictitious example car park
    next door (left out); step-free stop « Gare » 0.002° E → 161.1 m (in), a stop
    without step-free access nearer (left out); crossings 0.0005° N accessible (55.6 m) and
    0.002° N not accessible (222.4 m), a third 0.004° N (444.8 m, out)."""
    marts = {m.name: m for m in load_marts(ROOT / "catalog")}
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    lat, lon = 43.6, 3.88
    con.execute(
        "CREATE TABLE mart_agenda__evenements AS SELECT * FROM (VALUES "
        f"('Salle', '34172', {lat}, {lon}), ('Salle', '34172', {lat}, {lon}),"
        "('Sans position', '34172', NULL, NULL)) AS t(lieu_nom, code_insee, latitude, longitude)"
    )
    con.execute(
        "CREATE TABLE mart_accessibilite__erp_localises AS SELECT 'x' AS id, 'Loin' AS nom, "
        "'Mairie' AS activite, '75056' AS code_insee, 48.85 AS latitude, 2.35 AS longitude"
    )
    con.execute(
        "CREATE TABLE core_stationnement__places_voirie_montpellier AS SELECT * FROM (VALUES "
        f"('GIG/GIC', {lat + 0.001}, {lon}), ('GIG/GIC', {lat + 0.003}, {lon}),"
        f"('Autre', {lat}, {lon})) AS t(type_place, latitude, longitude)"
    )
    con.execute(
        "CREATE TABLE core_stationnement__parkings AS SELECT * FROM (VALUES "
        f"(3, 'https://parc.example.org/', {lat - 0.0025}, {lon}),"
        f"(250, 'https://www.exemple.fr/x/', {lat}, {lon})) AS t(nb_pmr, url, latitude, longitude)"
    )
    con.execute(
        "CREATE TABLE core_gtfs_star__arrets AS SELECT * FROM (VALUES "
        f"('Gare', '1', {lat}, {lon + 0.002}), ('Marches', '2', {lat}, {lon + 0.0001})"
        ") AS t(stop_name, wheelchair_boarding, latitude, longitude)"
    )
    con.execute(
        "CREATE TABLE core_voirie_montpellier__passages_pietons AS SELECT * FROM (VALUES "
        f"('OUI', {lat + 0.0005}, {lon}), ('NON', {lat + 0.002}, {lon}),"
        f"('OUI', {lat + 0.004}, {lon})) AS t(accessible_pmr, latitude, longitude)"
    )
    rows = con.execute(
        "SELECT type_lieu, nom, evenements, rayon_m, places_pmr, distance_place_pmr_m, "
        "arrets_plain_pied, arret_plain_pied_proche, distance_arret_plain_pied_m, "
        "passages_pietons, passages_pietons_accessibles, lieux_sans_position "
        f"FROM ({marts['lieux__alentours_accessibles'].sql})"
    ).fetchall()
    assert rows == [
        ("erp", "Loin", None, 300.0, 0, None, 0, None, None, 0, 0, 0),
        ("evenement", "Salle", 2, 300.0, 1 + 3, 111.0, 1, "Gare", 161.0, 2, 1, 1),
    ]


ANSWERS = {
    f"{SLUG}/lieux-equipes": test_venues_mart,
    f"{SLUG}/lieux": test_venues_table,
    "query/autour_d_un_lieu": test_around_a_venue,
}
