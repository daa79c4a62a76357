"""Every dashboard, and a mapped table, opened in Debian's headless Chromium: charts drawn
from real query results, no script error, nothing fetched from another host except map tiles.
Screenshots go to `test-artifacts/` (git-ignored).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlparse

import pytest

from pipelines.catalog.load import load_catalog, load_marts
from pipelines.publish.build import publish_snapshot
from pipelines.publish.snapshot import read_pointer
from tests.fixtures.publish.server import running_datasette
from tests.fixtures.publish.warehouse import make_warehouse

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.browser
CATALOG = ROOT / "catalog"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TILE_HOSTS = {"tile.openstreetmap.org"}  # the one allowed online resource; blocked here

# Selector proving each chart library drew something.
DRAWN = {
    "vega-lite": "canvas, svg",
    "vega": "canvas, svg",
    "metric": "p",
    "table": "table tbody tr",
    "map": ".leaflet-container",
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("browser")
    datasets, marts = load_catalog(CATALOG), load_marts(CATALOG)
    decp = next(d for d in datasets if d.name == "decp")
    warehouse = make_warehouse(root / "warehouse.duckdb", decp)
    publish_snapshot(warehouse, datasets, marts, root / "publish", downloads=False)
    metadata_path = root / "publish" / read_pointer(root / "publish")["path"]
    metadata = json.loads((metadata_path.parent / "metadata.json").read_text())
    with running_datasette(root / "publish", root / "datasette.log", workers=1) as url:
        yield url, metadata


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_offline(browser, url: str, path: str):
    """Open a page with every other host blocked; returns page, external requests, errors."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    external: list[str] = []
    errors: list[str] = []
    local = urlparse(url).netloc

    def route(route) -> None:
        if urlparse(route.request.url).netloc == local:
            route.continue_()
        else:
            external.append(route.request.url)
            route.abort()

    page.route("**/*", route)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, external, errors


def test_the_dashboards_of_this_site_are_published(site) -> None:
    """This site has the DECP tables and the fixture marts: the dashboards reading only
    those are published (the BODACC, commune, venue and facility ones need the samples)."""
    _, metadata = site
    assert set(metadata["plugins"]["datasette-dashboards"]) == {
        "concurrence-commande-publique",
        "intensite-concurrentielle",
        "agenda-mutualise",
        "accessibilite",
    }


@pytest.mark.parametrize(
    "slug",
    ["concurrence-commande-publique", "intensite-concurrentielle", "agenda-mutualise",
     "accessibilite"],
)  # fmt: skip
def test_dashboard_renders_every_chart_offline(site, browser, slug: str) -> None:
    url, metadata = site
    dashboard = metadata["plugins"]["datasette-dashboards"][slug]
    page, external, errors = open_offline(browser, url, f"/-/dashboards/{slug}")
    results: list[dict] = []

    def on_response(response) -> None:
        if "sql=" in response.url and "_shape=objects" in response.url:
            results.append({"status": response.status, "body": response.json()})

    page.on("response", on_response)
    try:
        page.goto(f"{url}/-/dashboards/{slug}", wait_until="networkidle")
        for chart_slug, chart in dashboard["charts"].items():
            selector = f"#chart-{chart_slug} {DRAWN[chart['library']]}"
            page.wait_for_selector(selector, timeout=15_000)
            if chart["library"] == "metric":
                text = page.inner_text(f"#chart-{chart_slug}")
                assert any(c.isdigit() for c in text) and "undefined" not in text, text
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"dashboard-{slug}.png"), full_page=True)
    finally:
        page.close()
    queried = [c for c in dashboard["charts"].values() if "query" in c]
    assert len(results) == len(queried)
    assert all(r["status"] == 200 and r["body"]["ok"] and r["body"]["rows"] for r in results)
    assert not errors, errors
    assert {urlparse(u).netloc.split(".", 1)[-1] for u in external} <= TILE_HOSTS, external


def test_mapped_table_shows_its_rows_on_a_map_offline(site, browser) -> None:
    url, _ = site
    path = "/camp/mart_accessibilite__stationnement_pmr_par_commune"
    page, external, errors = open_offline(browser, url, path)
    try:
        page.goto(url + path, wait_until="networkidle")
        page.wait_for_selector(".leaflet-marker-icon, .marker-cluster", timeout=15_000)
        markers = page.locator(".leaflet-marker-icon, .marker-cluster").count()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "table-map.png"), full_page=True)
    finally:
        page.close()
    assert markers >= 1
    assert not errors, errors
    assert {urlparse(u).netloc.split(".", 1)[-1] for u in external} <= TILE_HOSTS, external
