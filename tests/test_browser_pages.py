"""What a participant reads, opened in Debian's headless Chromium (1400×1000) on the main
job's publication of the samples: French strings present, no English interface string (the
list is printed), `lang="fr"`, and on table pages the first data row above the fold.
Screenshots of the home and a table page go to `test-artifacts/` (git-ignored).
Also: the bulk files a participant downloads open in the tools they name.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
import requests

from tests.test_browser_dashboards import ARTIFACTS, open_offline

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# English interface strings of Datasette 0.65 and its plugins (whole words, case-sensitive).
ENGLISH = [
    "Search",
    "Apply",
    "rows",
    "row",
    "Next page",
    "Custom SQL query",
    "This data as",
    "Advanced export",
    "Powered by",
    "Queries took",
    "Data license",
    "Data source",
    "About:",
    "home",
    "dashboards",
    "Dashboards",
    "Fullscreen",
    "View and edit SQL",
    "Run SQL",
    "Format SQL",
    "remove filter",
    "starts with",
    "contains",
    "ends with",
    "is not null",
    "Links from other tables",
    "No results",
    "more results",
    "Query parameters",
    "Edit SQL",
    "hidden table",
    "Download SQLite",
    "JSON shape",
    "CSV options",
    "descending",
    "Suggested facets",
    "Log out",
    "records",
    "results",
    "Sort ascending",
    "Facet by this",
    "Hide this column",
    "Showing",
    "load all",
    "Table actions",
    "Error",
]
_ENGLISH = re.compile(r"\b(" + "|".join(re.escape(w) for w in ENGLISH) + r")\b")

TABLE = "core_decp__marches"
MAP_TABLE = "core_acceslibre__erp"
DASHBOARDS = ["concurrence-commande-publique", "agenda-mutualise", "accessibilite"]
PAGES = {
    "home": ("/", ["Jeux de données", "Tableaux de bord", "Téléchargements", "lignes"]),
    "table": (
        f"/camp/{TABLE}",
        ["Rechercher", "Appliquer", "lignes", "Dictionnaire des colonnes", "\u00a0€"],
    ),
    "table-filtered": (
        f"/camp/{TABLE}?montant__gt=100000&_sort_desc=montant",
        ["où montant > 100000", "triées par montant (décroissant)", "Page suivante"],
    ),
    "row": (f"/camp/{TABLE}/2", ["ligne 2", "Cette ligne en"]),
    "map-table": (f"/camp/{MAP_TABLE}", ["Rechercher", "lignes"]),
    "database": ("/camp", ["Requête SQL libre", "Requêtes prêtes à l'emploi"]),
    "query": (
        "/camp/marches_d_un_acheteur?siret=20006258600157",
        ["Paramètres de la requête", "Exécuter"],
    ),
    "downloads": ("/-/telechargements", ["Téléchargements", "CSV tableur", "XLSX", "GeoJSON"]),
    "search": ("/-/search?q=filliere", ["Rechercher dans toutes les tables", "résultat"]),
    "dashboards": ("/-/dashboards", ["Tableaux de bord"]),
    **{
        f"dashboard-{slug}": (f"/-/dashboards/{slug}", ["accueil", "tableaux de bord"])
        for slug in DASHBOARDS
    },
}
TABLE_PAGES = {"table", "table-filtered", "row", "map-table", "query"}


@pytest.fixture(scope="module")
def site(published_server: str) -> str:
    return published_server


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    from tests.test_browser_dashboards import CHROMIUM, CHROMIUM_ARGS

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_the_english_strings_looked_for(capsys) -> None:
    with capsys.disabled():
        print(f"\nEnglish interface strings looked for ({len(ENGLISH)}): {', '.join(ENGLISH)}")
    assert _ENGLISH.search("Apply") and not _ENGLISH.search("Appliquer, applying")


@pytest.mark.parametrize("name", list(PAGES))
def test_page_is_french(site, browser, name: str) -> None:
    path, expected = PAGES[name]
    page, _, errors = open_offline(browser, site, path)
    try:
        response = page.goto(site + path, wait_until="networkidle")
        assert response is not None and response.status == 200
        if name == "table":  # the column menu table.js writes, opened
            page.locator("th.col-titulaire_nom .dropdown-menu-icon").click()
        if name == "map-table":
            page.wait_for_selector(".leaflet-container", timeout=15_000)
        # What is read: the visible text, plus buttons' values, placeholders and tooltips.
        text = page.inner_text("body") + "\n".join(
            page.eval_on_selector_all(
                "input[type=submit], input[placeholder], [title]",
                "els => els.map(e => [e.value, e.placeholder, e.title].join(' '))",
            )
        )
        lang = page.get_attribute("html", "lang")
        first_row = page.locator("table.rows-and-columns tbody tr").first
        top = first_row.bounding_box()["y"] if first_row.count() else None
        if name in ("home", "table"):
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"page-{name}.png"))
    finally:
        page.close()
    assert lang == "fr"
    english = sorted(set(_ENGLISH.findall(text)))
    assert not english, f"{path}: English interface strings shown: {english}"
    for words in expected:
        assert words in text, f"{path}: « {words} » not shown"
    if name == "table":
        assert "Tri croissant" in text and "Facette sur cette colonne" in text
    if name in TABLE_PAGES:
        assert top is not None and top < 1000, f"{path}: first row at {top} px, below the fold"
    assert not errors, errors


def test_amounts_and_counts_are_french_on_the_table_page(site) -> None:
    page = requests.get(f"{site}/camp/{TABLE}", timeout=30).text
    assert re.search(r"\d{1,3}(\u202f\d{3})*,\d\d\u00a0€", page), "no amount in euros"
    assert "4\u202f409 lignes" in page
    assert not re.search(r">\d+\.\d+</td>", page), "a decimal with a point"


def test_home_lists_datasets_by_title_and_hides_memory_and_empty_tables(site) -> None:
    page = requests.get(f"{site}/", timeout=30).text
    assert "_memory" not in page
    assert "Données essentielles de la commande publique" in page or "DECP" in page
    home = requests.get(f"{site}/-/metadata.json", timeout=30).json()["x-camp"]["home"]
    listed = [t for d in home["datasets"] for t in d["rejected"]] + home["technical"]
    assert listed and all(t["rows"] > 0 for t in listed)
    technical = page.split('class="camp-technical"', 1)[1]
    assert "<details" in page and "meta_camp__statut" in technical


def test_downloads_open_in_the_tools_they_name(site, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    package = requests.get(f"{site}/-/telechargements/datapackage.json", timeout=30).json()
    resource = next(r for r in package["resources"] if r["path"] == f"{MAP_TABLE}.csv")
    files = {f["format"]: f for f in resource["x-camp-files"]}
    rows = resource["x-camp-rows"]

    spreadsheet = requests.get(f"{site}/-/telechargements/{files['csv-tableur']['path']}")
    assert spreadsheet.content.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(spreadsheet.content.decode("utf-8-sig")), delimiter=";"))
    assert len(table) == rows + 1 and "latitude" in table[0]
    latitude = table[1][table[0].index("latitude")]
    assert "," in latitude and "." not in latitude  # decimal comma

    xlsx = requests.get(f"{site}/-/telechargements/{files['xlsx']['path']}", timeout=120)
    assert xlsx.status_code == 200
    (tmp_path / "t.xlsx").write_bytes(xlsx.content)
    sheet = load_workbook(tmp_path / "t.xlsx", read_only=True).active
    assert sum(1 for _ in sheet.iter_rows()) == rows + 1

    geojson = requests.get(f"{site}/-/telechargements/{files['geojson']['path']}", timeout=30)
    features = json.loads(geojson.content)["features"]
    assert len(features) == files["geojson"]["features"] > 0
    assert features[0]["geometry"]["type"] == "Point"
