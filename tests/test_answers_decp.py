"""Procurement answers (dashboard « concurrence-commande-publique », query
`marches_d_un_acheteur`) against an independent computation over the DECP sample file.

The sample has one row per contract × holder, often repeated (a contract with 13 holders
published on 12 days is 156 rows): every figure must count a contract (`uid`) once. The
independent side groups the CSV rows by `uid` in plain Python, with the rule the mart
documents: a contract's amount is the highest declared for it, and its procedure, offers
and CPV are those of the row carrying that amount (latest notification, then smallest
holder SIRET, on ties).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

import duckdb
import pytest

from pipelines.catalog.load import load_marts
from tests.answers import (
    DATASETS,
    ROOT,
    Published,
    canned_query,
    chart_rows,
    create_core_table,
    kept_rows,
    query_rows,
)

pytestmark = pytest.mark.slow
SAMPLE = DATASETS / "decp" / "decp-2024h2-travaux-cpv4521.csv"
SLUG = "concurrence-commande-publique"
HALF_TENTH = 0.05 + 1e-9  # a figure rounded to one decimal is within this of the exact one


@dataclass(frozen=True)
class Contract:
    uid: str
    acheteur_id: str
    acheteur_nom: str
    departement: str
    procedure: str
    division_cpv: str
    montant: float | None
    offres: int | None
    titulaires: frozenset[str]


def valid_rows(published: Published) -> list[dict[str, str]]:
    with SAMPLE.open(newline="", encoding="utf-8") as handle:
        return kept_rows(published, "decp__marches", csv.DictReader(handle))


def contracts(published: Published) -> list[Contract]:
    by_uid: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in valid_rows(published):
        by_uid[row["uid"]].append(row)
    result = []
    for uid, rows in by_uid.items():
        amounts = [float(r["montant"]) for r in rows if r["montant"]]
        top = max(amounts) if amounts else None
        carrying = [r for r in rows if (float(r["montant"]) if r["montant"] else None) == top]
        latest = max(r["dateNotification"] for r in carrying)
        kept = min(
            (r for r in carrying if r["dateNotification"] == latest),
            key=lambda r: r["titulaire_id"],
        )
        result.append(
            Contract(
                uid=uid,
                acheteur_id=kept["acheteur_id"],
                acheteur_nom=kept["acheteur_nom"],
                departement=kept["acheteur_departement_code"],
                procedure=kept["procedure"],
                division_cpv=kept["codeCPV"][:2],
                montant=top,
                offres=int(kept["offresRecues"]) if kept["offresRecues"] else None,
                titulaires=frozenset(r["titulaire_id"] for r in rows if r["titulaire_id"]),
            )
        )
    return result


def single_offer_share(group: list[Contract]) -> float | None:
    known = [c for c in group if c.offres is not None]
    return 100 * sum(c.offres == 1 for c in known) / len(known) if known else None


def mean_offers(group: list[Contract]) -> float | None:
    known = [c.offres for c in group if c.offres is not None]
    return mean(known) if known else None


def close(shown: float | None, exact: float | None, tolerance: float) -> bool:
    if shown is None or exact is None:
        return shown is None and exact is None
    return abs(shown - exact) <= tolerance


@pytest.fixture(scope="module")
def expected(published: Published) -> list[Contract]:
    return contracts(published)


def busiest_department(expected: list[Contract]) -> str:
    counts: dict[str, int] = defaultdict(int)
    for contract in expected:
        counts[contract.departement] += 1
    return max(sorted(counts), key=counts.__getitem__)


def test_contracts_count(published: Published, expected: list[Contract]) -> None:
    assert chart_rows(published, SLUG, "marches") == [{"marches": len(expected)}]
    department = busiest_department(expected)
    filtered = [c for c in expected if c.departement == department]
    shown = chart_rows(published, SLUG, "marches", departement=department)
    assert shown == [{"marches": len(filtered)}] and 0 < len(filtered) < len(expected)


def test_distinct_holders(published: Published, expected: list[Contract]) -> None:
    holders = set().union(*(c.titulaires for c in expected))
    assert chart_rows(published, SLUG, "titulaires") == [{"titulaires": len(holders)}]
    assert len(holders) < sum(len(c.titulaires) for c in expected)  # co-holders counted once


def test_single_offer_share(published: Published, expected: list[Contract]) -> None:
    [row] = chart_rows(published, SLUG, "offre-unique")
    assert close(row["part"], single_offer_share(expected), HALF_TENTH)
    procedure = "Procédure adaptée"
    [row] = chart_rows(published, SLUG, "offre-unique", procedure=procedure)
    subset = [c for c in expected if c.procedure == procedure]
    assert subset and close(row["part"], single_offer_share(subset), HALF_TENTH)


def test_total_amount_counts_each_contract_once(
    published: Published, expected: list[Contract]
) -> None:
    per_contract = sum(c.montant or 0 for c in expected) / 1e6
    [row] = chart_rows(published, SLUG, "montant-total")
    assert close(row["montant"], per_contract, HALF_TENTH)
    per_row = sum(float(r["montant"] or 0) for r in valid_rows(published)) / 1e6
    assert per_row > 2 * per_contract  # the sample really repeats contracts: the trap is live


def test_by_procedure(published: Published, expected: list[Contract]) -> None:
    shown = {r["procedure"]: r for r in chart_rows(published, SLUG, "par-procedure")}
    groups: dict[str, list[Contract]] = defaultdict(list)
    for contract in expected:
        if contract.procedure:
            groups[contract.procedure].append(contract)
    assert set(shown) == set(groups) and groups
    for procedure, group in groups.items():
        row = shown[procedure]
        assert row["marches"] == len(group)
        assert row["marches_offres_inconnues"] == sum(c.offres is None for c in group)
        assert close(row["offres_moyennes"], mean_offers(group), 0.005 + 1e-9)
        assert close(row["part_offre_unique"], single_offer_share(group), HALF_TENTH)


def test_by_cpv_division(published: Published, expected: list[Contract]) -> None:
    groups: dict[str, list[Contract]] = defaultdict(list)
    for contract in expected:
        if contract.division_cpv:
            groups[contract.division_cpv].append(contract)
    top = sorted(groups, key=lambda d: (-len(groups[d]), d))[:20]
    shown = chart_rows(published, SLUG, "par-cpv")
    assert [r["division_cpv"] for r in shown] == top
    for row in shown:
        group = groups[row["division_cpv"]]
        assert row["marches"] == len(group)
        assert close(row["offres_moyennes"], mean_offers(group), 0.005 + 1e-9)


def test_busiest_buyers(published: Published, expected: list[Contract]) -> None:
    groups: dict[tuple[str, str], list[Contract]] = defaultdict(list)
    for contract in expected:
        groups[(contract.acheteur_id, contract.acheteur_nom)].append(contract)
    top = sorted(groups, key=lambda k: (-len(groups[k]), k[0]))[:25]
    shown = chart_rows(published, SLUG, "acheteurs")
    assert [(r["siret"], r["acheteur"]) for r in shown] == top
    for row in shown:
        group = groups[(row["siret"], row["acheteur"])]
        assert row["marches"] == len(group)
        assert close(row["montant_total"], sum(c.montant or 0 for c in group), 0.5 + 1e-6)
        assert close(row["pct_offre_unique"], single_offer_share(group), HALF_TENTH)
        assert close(row["offres_moyennes"], mean_offers(group), 0.005 + 1e-9)


def test_contracts_of_a_buyer(published: Published, expected: list[Contract]) -> None:
    siret = canned_query("marches_d_un_acheteur")["exemple"]["siret"]
    mine = {c.uid: c for c in expected if c.acheteur_id == siret}
    shown = query_rows(published, "marches_d_un_acheteur")
    assert mine and sorted(r["uid"] for r in shown) == sorted(mine)  # each contract once
    for row in shown:
        assert row["montant"] == mine[row["uid"]].montant
        assert row["nb_titulaires"] == len(mine[row["uid"]].titulaires)


def test_holders_mart_counts_each_contract_once_per_holder(
    published: Published, expected: list[Contract]
) -> None:
    wins: dict[str, list[Contract]] = defaultdict(list)
    for contract in expected:
        for holder in contract.titulaires:
            wins[holder].append(contract)
    shown = {
        r["titulaire_id"]: r
        for r in published.rows("SELECT * FROM mart_decp__titulaires")
    }
    assert set(shown) == set(wins)
    for holder, won in wins.items():
        assert shown[holder]["nb_marches"] == len(won)
        assert shown[holder]["nb_marches_seul"] == sum(len(c.titulaires) == 1 for c in won)
        assert close(shown[holder]["montant_marches"], sum(c.montant or 0 for c in won), 1e-3)


def test_contract_mart_on_a_known_tiny_table(tmp_path: Path) -> None:
    """Three rows of one contract (two holders, republished with a higher amount) and one
    contract whose offers are unknown: two contracts, amounts counted once."""
    [mart] = [m for m in load_marts(ROOT / "catalog") if m.name == "decp__marches"]
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    create_core_table(con, "decp", "marches")
    con.execute(
        "INSERT INTO core_decp__marches VALUES "
        "('A1', '1', 'Travaux', '45210000', 'B', 'Ville', 'T1', 'Un', 100, '2024-10-01',"
        " 'Appel d''offres ouvert', 12, 3, '71', '71', '27', '27'),"
        "('A1', '1', 'Travaux', '45210000', 'B', 'Ville', 'T2', 'Deux', 100, '2024-10-01',"
        " 'Appel d''offres ouvert', 12, 3, '71', '71', '27', '27'),"
        "('A1', '1', 'Travaux', '45210000', 'B', 'Ville', 'T1', 'Un', 120, '2024-10-09',"
        " 'Procédure adaptée', 12, 1, '71', '71', '27', '27'),"
        "('A2', '2', 'Travaux', '45220000', 'B', 'Ville', 'T1', 'Un', 50, '2024-11-01',"
        " 'Procédure adaptée', 6, NULL, '71', '71', '27', '27')"
    )
    rows = con.execute(
        f"SELECT uid, montant, nb_montants_declares, procedure, offresRecues, offre_unique, "
        f"nb_titulaires, dateNotification::VARCHAR, nb_lignes_source FROM ({mart.sql})"
    ).fetchall()
    assert rows == [
        ("A1", 120.0, 2, "Procédure adaptée", 1, True, 2, "2024-10-01", 3),
        ("A2", 50.0, 1, "Procédure adaptée", None, None, 1, "2024-11-01", 1),
    ]


ANSWERS = {
    f"{SLUG}/marches": test_contracts_count,
    f"{SLUG}/titulaires": test_distinct_holders,
    f"{SLUG}/offre-unique": test_single_offer_share,
    f"{SLUG}/montant-total": test_total_amount_counts_each_contract_once,
    f"{SLUG}/par-procedure": test_by_procedure,
    f"{SLUG}/par-cpv": test_by_cpv_division,
    f"{SLUG}/acheteurs": test_busiest_buyers,
    "query/marches_d_un_acheteur": test_contracts_of_a_buyer,
}
