"""BODACC (dashboard « bodacc », queries `annonces_bodacc_d_une_entreprise` and
`annonces_bodacc_d_une_commune`) against the committed XML sample, read here with
ElementTree, and the La Poste postcode file, read with csv."""

from __future__ import annotations

import csv
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections import Counter, defaultdict

import pytest

from tests.answers import DATASETS, Published, canned_query, chart_rows, query_rows
from tests.test_answers_decp import contracts

pytestmark = pytest.mark.slow
SLUG = "bodacc"
SAMPLE = DATASETS / "bodacc/RCS-A_BXA20200003-personnes-morales.xml"
POSTES = DATASETS / "communes/laposte-codes-postaux-2022.csv"


def key(name: str, prefixes: tuple[str, ...]) -> str:
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().upper()
    text = re.sub(r"[^A-Z0-9]+", " ", text).strip()
    for prefix in prefixes:
        if text.startswith(prefix + " "):
            text = text[len(prefix) + 1 :]
    return text


def notices() -> list[dict]:
    result = []
    for avis in ET.parse(SAMPLE).getroot().iter("avis"):
        person = avis.find("personnes/personne")
        address = person.find("adresse/france")
        if address is None:
            address = avis.find("etablissement/adresse")
        number = person.findtext(".//numeroIdentification")  # none when `nonInscrit`
        result.append({
            "acte": avis.find("acte")[0].tag,
            "siren": number.replace(" ", "") if number else None,
            "code_postal": address.findtext("codePostal"),
            "ville": address.findtext("ville"),
        })  # fmt: skip
    return result


@pytest.fixture(scope="module")
def located() -> list[dict]:
    by_postcode: dict[str, set[str]] = defaultdict(set)
    by_name: dict[tuple[str, str], set[str]] = defaultdict(set)
    with POSTES.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            by_postcode[row["Code_postal"]].add(row["Code_commune_INSEE"])
            name = key(row["Nom_commune"], ("SAINT", "SAINTE"))
            by_name[(row["Code_postal"], name)].add(row["Code_commune_INSEE"])
    result = []
    for n in notices():
        codes = by_postcode.get(n["code_postal"], set())
        if len(codes) != 1:
            name = key(n["ville"], ("ST", "STE", "SAINT", "SAINTE"))
            codes = by_name.get((n["code_postal"], name), set())
        result.append({**n, "code_insee": next(iter(codes)) if len(codes) == 1 else None})
    return result


def test_notices_by_act(published: Published, located: list[dict]) -> None:
    counts = Counter(n["acte"] for n in located)
    shown = chart_rows(published, SLUG, "par-acte")
    assert {r["type_acte"]: r["annonces"] for r in shown} == counts and len(counts) == 3


def test_unlinked_notices(published: Published, located: list[dict]) -> None:
    unlinked = sum(n["code_insee"] is None for n in located)
    assert chart_rows(published, SLUG, "non-rattachees") == [{"annonces": unlinked}]
    assert unlinked < len(located) / 2  # most addresses are linked


def test_notices_by_commune(published: Published, located: list[dict]) -> None:
    per_code = Counter(n["code_insee"] for n in located if n["code_insee"])
    top = sorted(per_code, key=lambda c: (-per_code[c], c))[:25]
    shown = chart_rows(published, SLUG, "par-commune")
    assert [r["code_insee"] for r in shown] == top
    assert all(r["annonces"] == per_code[r["code_insee"]] for r in shown)


def test_holders_in_a_notice(published: Published) -> None:
    holders = {h for c in contracts(published) for h in c.titulaires}
    sirens = {n["siren"] for n in notices()}
    cited = {h for h in holders if h[:9] in sirens}
    assert chart_rows(published, SLUG, "titulaires-cites") == [{"titulaires": len(cited)}]
    # the join key is live: a SIREN of the sample would match a holder's SIRET prefix
    rows = published.rows("SELECT * FROM mart_bodacc__titulaires_annonces")
    assert {r["titulaire_id"] for r in rows} == cited


def test_notices_of_a_company(published: Published) -> None:
    siren = canned_query("annonces_bodacc_d_une_entreprise")["exemple"]["siren"]
    rows = query_rows(published, "annonces_bodacc_d_une_entreprise")
    assert rows and len(rows) == sum(n["siren"] == siren for n in notices())


def test_notices_of_a_commune(published: Published, located: list[dict]) -> None:
    code = canned_query("annonces_bodacc_d_une_commune")["exemple"]["code_insee"]
    rows = query_rows(published, "annonces_bodacc_d_une_commune")
    assert rows and len(rows) == sum(n["code_insee"] == code for n in located)


def test_no_natural_person_in_the_sample() -> None:
    root = ET.parse(SAMPLE).getroot()
    for tag in ("personnePhysique", "administration", "precedentProprietairePP",
                "precedentExploitantPP", "nom", "prenom", "descriptif"):  # fmt: skip
        assert root.find(f".//{tag}") is None, tag


ANSWERS = {
    f"{SLUG}/par-acte": test_notices_by_act,
    f"{SLUG}/non-rattachees": test_unlinked_notices,
    f"{SLUG}/par-commune": test_notices_by_commune,
    f"{SLUG}/titulaires-cites": test_holders_in_a_notice,
    "query/annonces_bodacc_d_une_entreprise": test_notices_of_a_company,
    "query/annonces_bodacc_d_une_commune": test_notices_of_a_commune,
}
