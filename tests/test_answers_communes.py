"""Commune profile (dashboard « profil-des-communes », query `profil_d_une_commune`).

Populations, establishments, reserved places and stops are recomputed here from the sample
files (csv, plain Python; the accessibility helpers of `tests.test_answers_accessibilite`
read the same files). Events per commune are taken from the published mutualised agenda
(`mart_agenda__evenements`, itself checked against its JSON samples in
`tests/test_answers_agenda.py`): rebuilding its de-duplication here would repeat that test;
what this module checks for events is the profile's code normalisation and join.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pytest

from tests.answers import (
    DATASETS,
    ROOT,
    Published,
    canned_query,
    chart_rows,
    query_rows,
)
from tests.test_answers_accessibilite import (
    TRUE,
    cog_names,
    erps_with_insee,
    fold,
    reserved_places,
    sql_round,
    stop_accessibility,
)
from tests.test_answers_equipements import THEME_OF

pytestmark = pytest.mark.slow
SLUG = "profil-des-communes"
COMMUNES = DATASETS / "communes/communes-cog-2026.csv"
POPULATIONS = DATASETS / "populations/populations-legales-communes-cog-2026.csv"


def cog() -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """(current code of every COG code, parent of each district, department of each code)."""
    direct, parent, districts, departments = set(), {}, {}, {}
    with COMMUNES.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["TYPECOM"] in ("COM", "ARM"):
                direct.add(row["COM"])
                departments[row["COM"]] = row["DEP"]
                if row["TYPECOM"] == "ARM":
                    districts[row["COM"]] = row["COMPARENT"]
            else:
                parent[row["COM"]] = row["COMPARENT"]
    current = {code: code for code in direct}
    current |= {code: up for code, up in parent.items() if code not in direct}
    return current, districts, departments


def populations() -> dict[str, int]:
    with POPULATIONS.open(encoding="utf-8", newline="") as handle:
        result = {r["COM"]: int(r["PMUN"]) for r in csv.DictReader(handle, delimiter=";")}
    _, districts, _ = cog()
    sums: dict[str, int] = defaultdict(int)
    for code, city in districts.items():
        if code in result and city not in result:
            sums[city] += result[code]
    return result | sums


def erp_codes(published: Published) -> list[tuple[str | None, str, str]]:
    """(INSEE code by the ERP mart's rule, entrance yes/no/unknown, activity) of each valid
    ERP."""
    result = []
    for row, code in erps_with_insee(published):
        value = row["entree_plain_pied"]
        entrance = "yes" if value in TRUE else "unknown" if not value else "no"
        result.append((code, entrance, row["activite"]))
    return result


@pytest.fixture(scope="module")
def expected(published: Published) -> dict[str, dict]:
    current, _, departments = cog()
    profile: dict[str, dict] = defaultdict(
        lambda: {
            "evenements": 0,
            "erp": Counter(),
            "places_pmr": None,
            "arrets": None,
            "equipements": 0,
        }  # fmt: skip
    )
    for row in published.rows("SELECT code_insee FROM mart_agenda__evenements"):
        if row["code_insee"] in current:
            profile[current[row["code_insee"]]]["evenements"] += 1
    for code, entrance, activity in erp_codes(published):
        if code in current:
            profile[current[code]]["erp"][entrance] += 1
            profile[current[code]]["equipements"] += activity in THEME_OF
    for code, places in reserved_places(published).items():
        if code in current:
            entry = profile[current[code]]
            entry["places_pmr"] = (entry["places_pmr"] or 0) + places["voirie"] + places["parcs"]
    names = {fold(n): code for code, n in cog_names(("COM",), "35").items()}
    for commune, counts in stop_accessibility(published).items():
        code = names.get(fold(commune))
        if code:
            profile[code]["arrets"] = (profile[code]["arrets"] or Counter()) + counts
    people = populations()
    for code, entry in profile.items():
        entry["population"] = people.get(code)
        entry["departement"] = departments.get(code)
    return dict(profile)


def test_profile_mart(published: Published, expected: dict[str, dict]) -> None:
    shown = {r["code_insee"]: r for r in published.rows("SELECT * FROM mart_communes__profil")}
    assert set(shown) == set(expected)
    for code, entry in expected.items():
        row = shown[code]
        assert row["population_municipale"] == entry["population"], code
        assert row["evenements"] == entry["evenements"]
        assert row["erp"] == sum(entry["erp"].values())
        assert row["erp_plain_pied"] == entry["erp"]["yes"]
        assert row["erp_sans_plain_pied"] == entry["erp"]["no"]
        assert row["erp_plain_pied_inconnu"] == entry["erp"]["unknown"]
        assert row["places_pmr"] == entry["places_pmr"]
        stops = entry["arrets"]
        assert row["arrets"] == (sum(stops.values()) if stops else None)
        known = stops["yes"] + stops["no"] if stops else 0
        share = sql_round(stops["yes"] / known, 4) if known else None
        assert row["part_arrets_plain_pied"] == share
        assert row["equipements"] == entry["equipements"]
    # the samples really exercise the profile: Paris from its districts, step-free ERPs
    assert expected["75056"]["population"] > 2_000_000 and expected["75056"]["evenements"]
    assert sum(e["erp"]["yes"] for e in expected.values()) > 0
    assert sum(e["equipements"] for e in expected.values()) > 0


def test_profile_table(published: Published, expected: dict[str, dict]) -> None:
    order = sorted(
        expected,
        key=lambda c: (expected[c]["population"] is None, -(expected[c]["population"] or 0), c),
    )[:100]
    assert [r["code_insee"] for r in chart_rows(published, SLUG, "communes")] == order
    rows = chart_rows(published, SLUG, "communes", departement="69")
    assert rows and {r["code_insee"] for r in rows} == {
        c for c, e in expected.items() if e["departement"] == "69"
    }


def test_linking_companion(published: Published) -> None:
    current, _, _ = cog()
    shown = {r["source_table"]: r for r in chart_rows(published, SLUG, "rattachement")}
    events = published.rows("SELECT code_insee FROM mart_agenda__evenements")
    row = shown["mart_agenda__evenements"]
    assert row["lignes"] == len(events)
    assert row["sans_code_insee"] == sum(not e["code_insee"] for e in events)
    erps = erp_codes(published)
    row = shown["mart_accessibilite__erp_localises"]
    assert row["lignes"] == len(erps)
    assert row["sans_code_insee"] + row["code_inconnu_du_cog"] == sum(
        code not in current for code, _, _ in erps
    )


def test_profile_of_a_commune(published: Published, expected: dict[str, dict]) -> None:
    code = canned_query("profil_d_une_commune")["exemple"]["code_insee"]
    [row] = query_rows(published, "profil_d_une_commune")
    assert row["evenements"] == expected[code]["evenements"]
    assert row["population_municipale"] == expected[code]["population"]


def test_delegated_commune_is_counted_in_its_commune(tmp_path: Path) -> None:
    """Hand-made: an event in a delegated commune (COMD 01015 of commune 01033), one in the
    commune itself, one with an unknown code and one without; an ERP in a Lyon district;
    a facility in each of 01015 and 01033. By hand: 01033 has 2 events, 2 facilities,
    population 100; 69381 has 1 ERP of unknown entrance and population 30; Lyon 69123 (no
    row of its own) is not listed since no row points to it."""
    from pipelines.catalog.load import load_marts

    marts = {m.name: m for m in load_marts(ROOT / "catalog")}
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(
        "CREATE TABLE core_communes__communes AS SELECT * FROM (VALUES "
        "('COM', '01033', '01', 'Valserhône', NULL), ('COMD', '01015', '01', 'Arlod', '01033'),"
        "('COM', '69123', '69', 'Lyon', NULL), ('ARM', '69381', '69', 'Lyon 1er', '69123')"
        ") AS t(type_commune, code_insee, code_departement, nom, code_insee_parent)"
    )
    con.execute(
        "CREATE TABLE core_populations__communes AS SELECT * FROM (VALUES "
        "('01033', 100), ('69381', 30)) AS t(code_insee, population_municipale)"
    )
    con.execute(
        "CREATE TABLE mart_agenda__evenements AS SELECT * FROM (VALUES "
        "('01015'), ('01033'), ('99999'), (NULL)) AS t(code_insee)"
    )
    con.execute(
        "CREATE TABLE mart_accessibilite__erp_localises AS "
        "SELECT '69381' AS code_insee, CAST(NULL AS BOOLEAN) AS entree_plain_pied"
    )
    con.execute(
        "CREATE TABLE mart_equipements__equipements AS SELECT * FROM (VALUES "
        "('01015'), ('01033')) AS t(code_insee)"
    )
    con.execute(
        "CREATE TABLE mart_accessibilite__stationnement_pmr_par_commune AS "
        "SELECT '01033' AS code_insee, 4 AS places_pmr_total"
    )
    con.execute(
        "CREATE TABLE mart_accessibilite__arrets_plain_pied_par_commune AS "
        "SELECT '01033' AS code_insee, 3 AS arrets, 1 AS arrets_plain_pied, "
        "1 AS arrets_non_accessibles"
    )
    rows = con.execute(
        f"SELECT code_insee, population_municipale, evenements, erp, erp_plain_pied_inconnu, "
        "places_pmr, arrets, part_arrets_plain_pied, equipements "
        f"FROM ({marts['communes__profil'].sql})"
    ).fetchall()
    assert rows == [
        ("01033", 100, 2, 0, 0, 4, 3, 0.5, 2),  # a facility in the delegated commune too
        ("69381", 30, 0, 1, 1, None, None, None, 0),
    ]
    linking = con.execute(
        f"SELECT * FROM ({marts['communes__rattachement'].sql}) "
        "WHERE source_table = 'mart_agenda__evenements'"
    ).fetchall()
    assert linking == [("mart_agenda__evenements", 4, 1, 1, 1, 1)]


ANSWERS = {
    f"{SLUG}/communes": test_profile_table,
    f"{SLUG}/rattachement": test_linking_companion,
    "query/profil_d_une_commune": test_profile_of_a_commune,
}
