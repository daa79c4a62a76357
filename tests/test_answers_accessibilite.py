"""Right answers of the accessibility dashboard and of `lieux_accessibles_proches`.

Each panel and the canned query run on the publication of the shipped samples; their
figures are recomputed here from the sample files with csv, zipfile and plain Python
(rounding as the panel rounds), never with the program's SQL. The only thing taken from
the publication is which source rows the validation quarantined.
"""

from __future__ import annotations

import csv
import io
import math
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.answers import (
    DATASETS,
    canned_query,
    chart_rows,
    dashboard,
    kept_rows,
    query_rows,
)

pytestmark = pytest.mark.slow

SLUG = "accessibilite"
GTFS = DATASETS / "gtfs_star/star-gtfs-echantillon-synthetique.zip"
PLACES = DATASETS / "stationnement/montpellier-places-reservees-2010.csv"
PARKINGS = DATASETS / "stationnement/parkings-exemples-officiels-0.1.5.csv"
ERP = DATASETS / "acceslibre/erp-lyon-2020-et-exemple-schema-0.0.20.csv"
COMMUNES = DATASETS / "communes/communes-cog-2026.csv"
POSTES = DATASETS / "communes/laposte-codes-postaux-2022.csv"
MONTPELLIER = "34172"  # the Montpellier places' commune, from the publisher's metadata sheet
EXAMPLE_URL = "https://www.exemple.fr/"  # the national parking schema's fictitious examples
# the acceslibre schema's boolean spellings (catalog/schemas/acceslibre-base-0.0.20.json)
TRUE = {"true", "True", "TRUE", "1", "vrai", "Vrai", "VRAI", "oui", "Oui", "OUI"}


def sql_round(value: float, digits: int) -> float:
    """SQLite's and DuckDB's round(): half away from zero, on the decimal value."""
    quantum = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def fold(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


# --- independent side: the sample files --------------------------------------------------


def stop_accessibility(published) -> dict[str, Counter]:
    """Per stop_desc: stops that are step-free (yes), not (no) or unknown, by GTFS rules."""
    feed = zipfile.ZipFile(GTFS)
    stops = list(csv.DictReader(io.StringIO(feed.read("stops.txt").decode("utf-8-sig"))))
    extension = {
        row["stop_id"]: row["stop_accessible"]
        for row in csv.DictReader(
            io.StringIO(feed.read("stops_extensions.txt").decode("utf-8-sig"))
        )
    }
    counts: dict[str, Counter] = {}
    for stop in kept_rows(published, "gtfs_star__arrets", stops):
        standard = (stop.get("wheelchair_boarding") or "").strip()
        if standard in ("1", "2"):
            kind = {"1": "yes", "2": "no"}[standard]
        else:
            kind = {"1": "yes", "0": "no"}.get(extension.get(stop["stop_id"], ""), "unknown")
        counts.setdefault(stop["stop_desc"], Counter())[kind] += 1
    return counts


def cog_names(types: tuple[str, ...], departement: str | None = None) -> dict[str, str]:
    with COMMUNES.open(encoding="utf-8", newline="") as handle:
        return {
            row["COM"]: row["LIBELLE"]
            for row in csv.DictReader(handle)
            if row["TYPECOM"] in types and departement in (None, row["DEP"])
        }


def postal_points() -> dict[str, tuple[float, float]]:
    """Mean La Poste point of each INSEE code."""
    points: dict[str, list[tuple[float, float]]] = {}
    with POSTES.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            if row["latitude"] and row["longitude"]:
                points.setdefault(row["Code_commune_INSEE"], []).append(
                    (float(row["latitude"]), float(row["longitude"]))
                )
    return {
        code: (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))
        for code, pts in points.items()
    }


def reserved_places(published) -> dict[str, dict[str, int]]:
    """Per INSEE code: GIG/GIC places on the street and PMR places in real car parks."""
    totals: dict[str, dict[str, int]] = {}
    text = PLACES.read_bytes().decode("latin-1")  # the file as published: Latin-1
    places = csv.DictReader(io.StringIO(text))
    for row in kept_rows(published, "stationnement__places_voirie_montpellier", places):
        if row["F01_TYPE_D"] == "GIG/GIC":
            totals.setdefault(MONTPELLIER, {"voirie": 0, "parcs": 0})["voirie"] += 1
    with PARKINGS.open(encoding="utf-8", newline="") as handle:
        for row in kept_rows(published, "stationnement__parkings", csv.DictReader(handle)):
            if row["url"].startswith(EXAMPLE_URL):
                continue  # invalid, or one of the schema's fictitious examples
            commune = totals.setdefault(row["insee"], {"voirie": 0, "parcs": 0})
            commune["parcs"] += int(row["nb_pmr"] or 0)
    return totals


def step_free_places(published) -> list[dict]:
    """ERPs whose entrance is recorded as step-free, with a position."""
    with ERP.open(encoding="utf-8", newline="") as handle:
        return [
            row
            for row in kept_rows(published, "acceslibre__erp", csv.DictReader(handle))
            if row["entree_plain_pied"] in TRUE
            and row["latitude"]
            and row["longitude"]
        ]


def erps_with_insee(published) -> list[tuple[dict[str, str], str | None]]:
    """Each valid ERP with its INSEE code by the ERP mart's rule: the source's, else the one
    commune its postcode serves (La Poste), else none."""
    communes_of: dict[str, set[str]] = {}
    with POSTES.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            communes_of.setdefault(row["Code_postal"], set()).add(row["Code_commune_INSEE"])
    result = []
    with ERP.open(encoding="utf-8", newline="") as handle:
        for row in kept_rows(published, "acceslibre__erp", csv.DictReader(handle)):
            code = row["code_insee"] or None
            if not code and len(communes_of.get(row["postal_code"], ())) == 1:
                [code] = communes_of[row["postal_code"]]
            result.append((row, code))
    return result


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance (another formula than the query's equirectangular one)."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = phi2 - phi1, math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * 6371000 * math.asin(math.sqrt(a))


# --- the panels ----------------------------------------------------------------------------


def test_share_of_step_free_stops(published) -> None:
    counts = sum(stop_accessibility(published).values(), Counter())
    assert counts["yes"] + counts["no"] > 0
    expected = sql_round(100.0 * counts["yes"] / (counts["yes"] + counts["no"]), 1)
    assert chart_rows(published, SLUG, "part-arrets") == [{"part": expected}]


def test_step_free_share_per_commune(published) -> None:
    names = {fold(n): n for n in cog_names(("COM",), "35").values()}
    expected = []
    for commune, c in stop_accessibility(published).items():
        if c["yes"] + c["no"]:
            share = sql_round(c["yes"] / (c["yes"] + c["no"]), 4)  # the mart's part_plain_pied
            nom = names.get(fold(commune), commune)
            expected.append({"commune": nom, "pct_plain_pied": sql_round(100 * share, 1),
                             "arrets": sum(c.values())})  # fmt: skip
    rows = chart_rows(published, SLUG, "arrets-communes")
    assert rows and len(rows) == min(len(expected), 20)
    assert sorted(rows, key=lambda r: r["commune"]) == sorted(expected, key=lambda r: r["commune"])
    assert [r["arrets"] for r in rows] == sorted((r["arrets"] for r in rows), reverse=True)


def test_reserved_places_total(published) -> None:
    expected = sum(t["voirie"] + t["parcs"] for t in reserved_places(published).values())
    assert expected > 0
    assert chart_rows(published, SLUG, "places-pmr") == [{"places": expected}]


def test_reserved_places_per_commune(published) -> None:
    names = cog_names(("COM", "ARM"))
    expected = [
        {"commune": names.get(code, code), "places_pmr_voirie": t["voirie"],
         "places_pmr_parkings": t["parcs"], "places_pmr_total": t["voirie"] + t["parcs"]}
        for code, t in reserved_places(published).items()
    ]  # fmt: skip
    rows = chart_rows(published, SLUG, "places-communes")
    assert rows and len(rows) == min(len(expected), 20)
    assert all(row in expected for row in rows)
    assert [r["places_pmr_total"] for r in rows] == sorted(
        (r["places_pmr_total"] for r in rows), reverse=True
    )


def test_map_of_communes_with_reserved_places(published) -> None:
    names, points = cog_names(("COM", "ARM")), postal_points()
    expected = {
        names.get(code, code): (points[code], t["voirie"] + t["parcs"])
        for code, t in reserved_places(published).items()
        if code in points
    }
    rows = chart_rows(published, SLUG, "carte")
    assert rows and {r["commune"] for r in rows} == set(expected)
    for row in rows:
        (latitude, longitude), total = expected[row["commune"]]
        assert row["places_pmr_total"] == total
        assert row["latitude"] == pytest.approx(latitude, abs=1e-9)
        assert row["longitude"] == pytest.approx(longitude, abs=1e-9)


# --- the canned query -----------------------------------------------------------------------


def expected_near(published, latitude: float, longitude: float) -> list[dict]:
    places = []
    for row in step_free_places(published):
        distance = haversine_m(latitude, longitude, float(row["latitude"]),
                               float(row["longitude"]))  # fmt: skip
        places.append({"nom": row["name"], "distance": distance})
    return sorted(places, key=lambda p: p["distance"])


def check_near(published, rel: float = 0.01, **params: str) -> list[dict]:
    latitude, longitude, radius = (float(params[k]) for k in ("latitude", "longitude", "rayon_m"))
    rows = query_rows(published, "lieux_accessibles_proches", **params)
    places = expected_near(published, latitude, longitude)
    # the query's equirectangular distance is within 1 % of the great-circle one under 50 km
    surely_in = [p["nom"] for p in places if p["distance"] <= radius * (1 - rel)]
    maybe_in = {p["nom"] for p in places if p["distance"] <= radius * (1 + rel)}
    names = [r["nom"] for r in rows]
    assert set(surely_in) <= set(names) <= maybe_in
    by_name = {p["nom"]: p["distance"] for p in places}
    for row in rows:
        assert row["distance_m"] == pytest.approx(by_name[row["nom"]], rel=rel, abs=1.0)
    assert [r["distance_m"] for r in rows] == sorted(r["distance_m"] for r in rows)
    return rows


def test_step_free_places_near_the_example_point(published) -> None:
    rows = check_near(published, **canned_query("lieux_accessibles_proches")["exemple"])
    assert rows  # the example answers something


def test_step_free_places_near_other_points(published) -> None:
    # the whole of France: every step-free ERP of the sample, nearest first
    everything = check_near(published, rel=0.05, latitude="46.5", longitude="2.5", rayon_m="800000")
    assert len(everything) == len(step_free_places(published)) > 1
    # a street of Paris whose only documented ERP has a step (entree_plain_pied = False)
    assert check_near(published, latitude="48.8490", longitude="2.3773", rayon_m="500") == []


def test_every_chart_is_checked() -> None:
    assert {k.split("/", 1)[1] for k in ANSWERS if k.startswith(f"{SLUG}/")} == set(
        dashboard(SLUG)["charts"]
    )


ANSWERS: dict[str, Callable] = {
    "accessibilite/part-arrets": test_share_of_step_free_stops,
    "accessibilite/arrets-communes": test_step_free_share_per_commune,
    "accessibilite/places-pmr": test_reserved_places_total,
    "accessibilite/places-communes": test_reserved_places_per_commune,
    "accessibilite/carte": test_map_of_communes_with_reserved_places,
    "query/lieux_accessibles_proches": test_step_free_places_near_the_example_point,
}
