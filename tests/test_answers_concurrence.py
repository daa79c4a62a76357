"""Competition intensity (dashboard « intensite-concurrentielle », queries
`concurrence_d_un_acheteur` and `concentration_des_acheteurs`) against an independent
computation over the DECP sample file.

The contracts are rebuilt from the CSV rows by `tests.test_answers_decp.contracts` (one per
`uid`, the highest declared amount); the groupings, medians, Herfindahl indexes and repeat
winners are computed here in plain Python.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from statistics import mean, median

import duckdb
import pytest

from pipelines.catalog.load import load_marts
from tests.answers import (
    ROOT,
    Published,
    canned_query,
    chart_rows,
    create_core_table,
    query_rows,
)
from tests.test_answers_decp import Contract, contracts, valid_rows

pytestmark = pytest.mark.slow
SLUG = "intensite-concurrentielle"


def close(shown: float | None, exact: float | None, tolerance: float) -> bool:
    if shown is None or exact is None:
        return shown is None and exact is None
    return abs(shown - exact) <= tolerance + 1e-9


@pytest.fixture(scope="module")
def expected(published: Published) -> list[Contract]:
    return contracts(published)


@pytest.fixture(scope="module")
def years(published: Published) -> dict[str, int]:
    """Year of each contract's first notification, from the CSV rows."""
    first: dict[str, str] = {}
    for row in valid_rows(published):
        date = row["dateNotification"]
        if date and (row["uid"] not in first or date < first[row["uid"]]):
            first[row["uid"]] = date
    return {uid: int(date[:4]) for uid, date in first.items()}


def herfindahl(group: list[Contract]) -> tuple[float | None, float | None]:
    """Index 0-10,000 of amounts per holder (a shared contract split equally) and the
    largest holder's share."""
    per_holder: dict[str, float] = defaultdict(float)
    for contract in group:
        if contract.montant is not None and contract.titulaires:
            for holder in contract.titulaires:
                per_holder[holder] += contract.montant / len(contract.titulaires)
    total = sum(per_holder.values())
    if not total:
        return None, None
    return (
        10000 * sum((v / total) ** 2 for v in per_holder.values()),
        max(per_holder.values()) / total,
    )


def by_buyer(expected: list[Contract]) -> dict[str, list[Contract]]:
    groups: dict[str, list[Contract]] = defaultdict(list)
    for contract in expected:
        groups[contract.acheteur_id].append(contract)
    return groups


def repeat_winners(group: list[Contract]) -> dict[str, int]:
    wins: dict[str, int] = defaultdict(int)
    for contract in group:
        for holder in contract.titulaires:
            wins[holder] += 1
    return {h: n for h, n in wins.items() if n >= 2}


def test_buyers_mart(published: Published, expected: list[Contract]) -> None:
    shown = {
        r["acheteur_id"]: r
        for r in published.rows("SELECT * FROM mart_decp__concurrence_acheteurs")
    }
    groups = by_buyer(expected)
    assert set(shown) == set(groups)
    concentrated = 0
    for buyer, group in groups.items():
        row = shown[buyer]
        index, top = herfindahl(group)
        assert row["marches"] == len(group)
        assert close(row["ihh_montants"], index, 0.05)
        assert close(row["part_premier_titulaire"], top, 0.00005)
        assert row["titulaires"] == len(set().union(*(c.titulaires for c in group)))
        winners = repeat_winners(group)
        assert row["titulaires_recurrents"] == len(winners)
        assert row["marches_titulaire_recurrent"] == sum(
            bool(c.titulaires & set(winners)) for c in group
        )
        known = [c.offres for c in group if c.offres is not None]
        assert row["marches_offres_inconnues"] == len(group) - len(known)
        assert close(row["offres_mediane"], median(known) if known else None, 0)
        concentrated += bool(index is not None and index > 2500 and len(group) >= 5)
    assert any(r["titulaires_recurrents"] for r in shown.values())  # the sample has some
    [metric] = chart_rows(published, SLUG, "acheteurs-concentres")
    assert metric == {"acheteurs": concentrated}


def test_concentration_table(published: Published, expected: list[Contract]) -> None:
    groups = by_buyer(expected)
    top = sorted(groups, key=lambda b: (-len(groups[b]), b))[:25]
    shown = chart_rows(published, SLUG, "concentration")
    assert [r["siret"] for r in shown] == top
    for row in shown:
        index, _ = herfindahl(groups[row["siret"]])
        assert close(row["ihh"], index, 0.05)
        assert row["titulaires_recurrents"] == len(repeat_winners(groups[row["siret"]]))


def cube(expected: list[Contract], years: dict[str, int]) -> dict[tuple, list[Contract]]:
    groups: dict[tuple, list[Contract]] = defaultdict(list)
    for c in expected:
        key = (c.acheteur_id, c.division_cpv or None, c.procedure or None, years.get(c.uid))
        groups[key].append(c)
    return groups


def test_cube_mart(published: Published, expected: list[Contract], years: dict[str, int]) -> None:
    groups = cube(expected, years)
    shown = published.rows("SELECT * FROM mart_decp__concurrence")
    keyed = {(r["acheteur_id"], r["division_cpv"], r["procedure"], r["annee"]): r for r in shown}
    assert len(keyed) == len(shown) and set(keyed) == set(groups)
    for key, group in groups.items():
        row = keyed[key]
        known = [c.offres for c in group if c.offres is not None]
        amounts = [c.montant for c in group if c.montant is not None]
        assert row["marches"] == len(group)
        assert close(row["montant_total"], sum(amounts) if amounts else None, 1e-3)
        assert row["marches_offres_inconnues"] == len(group) - len(known)
        assert close(row["offres_moyennes"], mean(known) if known else None, 0.005)
        assert close(row["offres_mediane"], median(known) if known else None, 0)
        share = sum(o == 1 for o in known) / len(known) if known else None
        assert close(row["part_offre_unique"], share, 0.00005)


def test_single_offer_by_year(
    published: Published, expected: list[Contract], years: dict[str, int]
) -> None:
    by_year: dict[int, list[Contract]] = defaultdict(list)
    for c in expected:
        by_year[years[c.uid]].append(c)
    shown = chart_rows(published, SLUG, "par-annee")
    assert [r["annee"] for r in shown] == sorted(by_year)
    for row in shown:
        group = by_year[row["annee"]]
        known = [c.offres for c in group if c.offres is not None]
        assert row["marches"] == len(group)
        assert close(row["pct_offre_unique"], 100 * sum(o == 1 for o in known) / len(known), 0.05)
    department = "01"
    filtered = chart_rows(published, SLUG, "par-annee", departement=department)
    assert sum(r["marches"] for r in filtered) == sum(c.departement == department for c in expected)


def test_query_of_a_buyer(
    published: Published, expected: list[Contract], years: dict[str, int]
) -> None:
    siret = canned_query("concurrence_d_un_acheteur")["exemple"]["siret"]
    mine = {k: g for k, g in cube(expected, years).items() if k[0] == siret}
    shown = query_rows(published, "concurrence_d_un_acheteur")
    assert mine and len(shown) == len(mine)
    assert sum(r["marches"] for r in shown) == sum(len(g) for g in mine.values())


def test_query_of_a_department(published: Published, expected: list[Contract]) -> None:
    spec = canned_query("concentration_des_acheteurs")["exemple"]
    groups = {
        b: g
        for b, g in by_buyer(expected).items()
        if g[0].departement == spec["departement"] and len(g) >= int(spec["min_marches"])
    }
    shown = query_rows(published, "concentration_des_acheteurs")
    assert groups and sorted(r["acheteur_id"] for r in shown) == sorted(groups)
    indexes = [r["ihh_montants"] for r in shown]
    assert indexes == sorted(indexes, reverse=True)


def _tiny_marts(con: duckdb.DuckDBPyConnection, names: list[str]) -> None:
    marts = {m.name: m for m in load_marts(ROOT / "catalog")}
    for name in names:
        con.execute(f"CREATE TABLE mart_{name} AS {marts[name].sql}")


def test_competition_marts_on_a_hand_made_table(tmp_path: Path) -> None:
    """One buyer, four contracts:
    C1 100 €, holders T1 + T2, 3 offers, republished on a second row pair;
    C2 200 €, holder T1, 1 offer;  C3 no amount, holder T3, offers unknown;
    C4 100 €, no holder identified, 2 offers, notified the next year.
    By hand: amounts per holder T1 = 50 + 200 = 250, T2 = 50 (C3, C4 left out), total 300;
    IHH = 10000 × ((250/300)² + (50/300)²) = 10000 × 26/36 = 7222.2; top share 0.8333;
    repeat winner T1 only (C1, C2); offers known 3, 1, 2: median 2, single-offer 1/3."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    create_core_table(con, "decp", "marches")
    rows = [
        ("C1", "T1", 100, "2024-10-01", 3),
        ("C1", "T2", 100, "2024-10-01", 3),
        ("C1", "T1", 100, "2024-10-05", 3),
        ("C2", "T1", 200, "2024-11-01", 1),
        ("C3", "T3", None, "2024-11-02", None),
        ("C4", None, 100, "2025-01-03", 2),
    ]
    con.executemany(
        "INSERT INTO core_decp__marches VALUES (?, '1', 'Travaux', '45210000', 'B', 'Ville', "
        "?, 'Nom', ?, ?, 'Procédure adaptée', 12, ?, '71', '71', '27', '27')",
        rows,
    )
    _tiny_marts(
        con,
        ["decp__marches", "decp__titulaires", "decp__concurrence", "decp__concurrence_acheteurs"],
    )
    buyer = con.execute(
        "SELECT marches, montant_total, marches_offres_connues, marches_offres_inconnues, "
        "offres_moyennes, offres_mediane, part_offre_unique, titulaires, ihh_montants, "
        "part_premier_titulaire, marches_hors_ihh, titulaires_recurrents, "
        "marches_titulaire_recurrent, liste_titulaires_recurrents "
        "FROM mart_decp__concurrence_acheteurs"
    ).fetchall()
    assert buyer == [
        (4, 400.0, 3, 1, 2.0, 2.0, 0.3333, 3, 7222.2, 0.8333, 2, 1, 2, "Nom (T1) : 2 marchés")
    ]
    groups = con.execute(
        "SELECT annee, marches, montant_total, marches_offres_inconnues, somme_offres, "
        "offres_mediane, marches_offre_unique, part_offre_unique "
        "FROM mart_decp__concurrence ORDER BY annee"
    ).fetchall()
    assert groups == [
        (2024, 3, 300.0, 1, 4, 2.0, 1, 0.5),  # C1, C2, C3: offers 3 and 1 known
        (2025, 1, 100.0, 0, 2, 2.0, 0, 0.0),  # C4
    ]


ANSWERS = {
    f"{SLUG}/acheteurs-concentres": test_buyers_mart,
    f"{SLUG}/concentration": test_concentration_table,
    f"{SLUG}/par-annee": test_single_offer_by_year,
    "query/concurrence_d_un_acheteur": test_query_of_a_buyer,
    "query/concentration_des_acheteurs": test_query_of_a_department,
}
