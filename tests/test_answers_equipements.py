"""Public facilities (dashboard « equipements », query `equipements_d_une_commune`): the
acceslibre sample read with csv, the activity → SCDL theme correspondence restated here
from the SCDL themes, INSEE codes by the ERP mart's documented rule (source code, else a
postcode serving one commune)."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.answers import Published, canned_query, chart_rows, query_rows
from tests.test_answers_accessibilite import TRUE, erps_with_insee

pytestmark = pytest.mark.slow
SLUG = "equipements"
THEMES = {
    "Equipement administratif": {"Mairie", "Administration publique"},
    "Equipement d'enseignement": {"Université ou école supérieure", "Lycée", "Collège", "École"},
    "Equipement sanitaire": {"Hôpital"},
    "Equipement social et d'animation": {
        "Petite enfance crèche", "Personnes âgées : hébergement",
        "Autres établissements pour adultes et familles en difficulté",
        "Aide sociale à l'enfance : action éducative",
    },
    "Equipement sportif et de loisirs": {
        "Salle multisports", "Gymnase", "Stade", "Piscine", "Tennis", "Boulodrome",
    },
    "Equipement culturel": {"Salle de spectacle", "Bibliothèque médiathèque"},
    "Equipement cultuel": {"Lieu de culte"},
    "Autre équipement": {"Cimetière"},
}  # fmt: skip
THEME_OF = {activity: theme for theme, acts in THEMES.items() for activity in acts}


@pytest.fixture(scope="module")
def facilities(published: Published) -> list[dict]:
    result = []
    for row, code in erps_with_insee(published):
        if row["activite"] in THEME_OF:
            result.append({
                "id": row["id"], "theme": THEME_OF[row["activite"]], "code_insee": code,
                "latitude": row["latitude"], "step_free": row["entree_plain_pied"] in TRUE,
            })  # fmt: skip
    return result


def test_by_theme(published: Published, facilities: list[dict]) -> None:
    counts = Counter(f["theme"] for f in facilities)
    shown = {r["theme"]: r["equipements"] for r in chart_rows(published, SLUG, "par-theme")}
    assert shown == counts and len(counts) >= 5
    rows = published.rows("SELECT ERP_ID FROM mart_equipements__equipements")
    assert sorted(r["ERP_ID"] for r in rows) == sorted(f["id"] for f in facilities)


def test_by_commune(published: Published, facilities: list[dict]) -> None:
    per_code = Counter(f["code_insee"] for f in facilities)
    shown = chart_rows(published, SLUG, "par-commune")
    assert sum(r["equipements"] for r in shown) == sum(sorted(per_code.values(), reverse=True)[:25])
    theme = "Equipement sportif et de loisirs"
    sport = chart_rows(published, SLUG, "par-commune", theme=theme)
    assert sum(r["equipements"] for r in sport) == sum(f["theme"] == theme for f in facilities)


def test_map(published: Published, facilities: list[dict]) -> None:
    rows = chart_rows(published, SLUG, "carte")
    assert len(rows) == sum(bool(f["latitude"]) for f in facilities) > 0


def test_facilities_of_a_commune(published: Published, facilities: list[dict]) -> None:
    code = canned_query("equipements_d_une_commune")["exemple"]["code_insee"]
    rows = query_rows(published, "equipements_d_une_commune")
    assert rows and len(rows) == sum(f["code_insee"] == code for f in facilities)


def test_facilities_on_a_hand_made_table(tmp_path) -> None:
    """A town hall and a pool with step-free entrance unknown and yes, a bakery (not a
    public facility) and a school without commune: by hand, 3 facilities; commune 71270 has
    1 administrative and 1 sports facility, the unlinked row holds the school."""
    import duckdb

    from pipelines.catalog.load import load_marts
    from tests.answers import ROOT

    marts = {m.name: m for m in load_marts(ROOT / "catalog")}
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute(
        "CREATE TABLE mart_accessibilite__erp_localises AS SELECT * FROM (VALUES "
        "('1', 'Mairie', 'Hôtel de ville', '71270', NULL),"
        "('2', 'Piscine', 'Piscine municipale', '71270', TRUE),"
        "('3', 'Boulangerie', 'Au bon pain', '71270', TRUE),"
        "('4', 'Lycée', 'Lycée', NULL, FALSE)"
        ") AS t(id, activite, nom, code_insee, entree_plain_pied)"
    )
    con.execute(
        "ALTER TABLE mart_accessibilite__erp_localises ADD COLUMN numero VARCHAR;"
        "ALTER TABLE mart_accessibilite__erp_localises ADD COLUMN voie VARCHAR;"
        "ALTER TABLE mart_accessibilite__erp_localises ADD COLUMN code_postal VARCHAR;"
        "ALTER TABLE mart_accessibilite__erp_localises ADD COLUMN commune VARCHAR;"
        "ALTER TABLE mart_accessibilite__erp_localises ADD COLUMN latitude DOUBLE;"
        "ALTER TABLE mart_accessibilite__erp_localises ADD COLUMN longitude DOUBLE;"
        "ALTER TABLE mart_accessibilite__erp_localises ADD COLUMN siret VARCHAR;"
        "CREATE TABLE core_communes__communes AS SELECT 'COM' AS type_commune, "
        "'71270' AS code_insee, 'Mâcon' AS nom"
    )
    con.execute(
        f"CREATE TABLE mart_equipements__equipements AS {marts['equipements__equipements'].sql}"
    )
    rows = con.execute(f"SELECT * FROM ({marts['equipements__par_commune'].sql})").fetchall()
    assert rows == [
        (None, None, "Equipement d'enseignement", 1, 0, 1, 0),
        ("71270", "Mâcon", "Equipement administratif", 1, 0, 0, 1),
        ("71270", "Mâcon", "Equipement sportif et de loisirs", 1, 1, 0, 0),
    ]


ANSWERS = {
    f"{SLUG}/par-theme": test_by_theme,
    f"{SLUG}/par-commune": test_by_commune,
    f"{SLUG}/carte": test_map,
    "query/equipements_d_une_commune": test_facilities_of_a_commune,
}
