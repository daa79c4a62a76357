"""Datasette metadata generated from the catalogue, one document per publication.

Titles, descriptions, licence, sources, column descriptions (with units), facets, label
column, full-text and map settings come from the descriptors; the publication adds its time,
its row counts (valid / quarantined) and the list of tables not yet materialised. Dashboards
and canned queries come from `dashboards/` (one file each).
"""

from __future__ import annotations

import html
from typing import Any

from ..catalog import Dataset
from .plan import TablePlan
from .site import DATABASE, Extras

# Above this many rows, only indexed columns are sortable: a sort on an unindexed column
# scans and sorts the whole table on every page.
SORT_LIMIT_ROWS = 100_000


def _licence(dataset: Dataset | None) -> dict[str, str]:
    if not dataset or not dataset.licenses:
        return {}
    first = dataset.licenses[0]
    out = {"license": str(first.get("title") or first.get("name"))}
    if first.get("path"):
        out["license_url"] = str(first["path"])
    return out


def _source(dataset: Dataset | None) -> dict[str, str]:
    if not dataset or not dataset.sources:
        return {}
    first = dataset.sources[0]
    out = {"source": str(first.get("title") or dataset.title)}
    if first.get("path"):
        out["source_url"] = str(first["path"])
    if dataset.homepage:
        out["about"] = dataset.title
        out["about_url"] = dataset.homepage
    return out


def _status_html(status: dict[str, Any] | None) -> str:
    if not status:
        return ""
    refreshed = status.get("derniere_publication") or "jamais"
    return (
        f"<p>État : <strong>{html.escape(str(status.get('etat') or '?'))}</strong> — "
        f"{html.escape(str(status.get('explication') or ''))} "
        f"Dernière mise à jour des données : {html.escape(str(refreshed))}.</p>"
    )


def _counts_html(
    plan: TablePlan,
    tables: dict[str, int],
    created_at: str,
    status: dict[str, Any] | None = None,
) -> str:
    parts = [f"<p>{html.escape(plan.description)}</p>"]
    if plan.layer == "core":
        quarantine = plan.name.replace("core_", "quarantine_", 1)
        valid = tables.get(plan.name)
        rejected = tables.get(quarantine)
        line = f"{valid:,} lignes valides".replace(",", "\u202f")
        if rejected is not None:
            link = f'<a href="{quarantine}">{rejected:,} en quarantaine</a>'.replace(",", "\u202f")
            line += f", {link}"
        parts.append(f"<p><strong>{line}</strong>.</p>")
        parts.append(_status_html(status))
    parts.append(f"<p>Dernière publication : {html.escape(created_at)} (UTC).</p>")
    return "".join(parts)


def _column_docs(plan: TablePlan) -> dict[str, str]:
    docs = {}
    for name, text in plan.columns.items():
        unit = plan.units.get(name)
        docs[name] = f"{text} (unité : {unit})" if unit else text
    return docs


def table_metadata(
    plan: TablePlan,
    tables: dict[str, int],
    created_at: str,
    status: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Datasette metadata of one published table (`status`: per dataset, see plan.py)."""
    rows = tables[plan.name]
    own = (status or {}).get(plan.dataset.name) if plan.dataset else None
    meta: dict[str, Any] = {
        "title": plan.title,
        "description_html": _counts_html(plan, tables, created_at, own),
        "columns": _column_docs(plan),
        **_licence(plan.dataset),
        **_source(plan.dataset),
    }
    if plan.facets:
        meta["facets"] = list(plan.facets)
    if plan.label:
        meta["label_column"] = plan.label
    if plan.fts:
        meta["fts_table"] = f"{plan.name}_fts"
        meta["fts_pk"] = "rowid"
    if rows > SORT_LIMIT_ROWS and plan.index_columns:
        meta["sortable_columns"] = ["_row", *plan.index_columns]
    if plan.map_columns:
        meta.setdefault("plugins", {})["datasette-cluster-map"] = {
            "latitude_column": plan.map_columns.get("latitude", "latitude"),
            "longitude_column": plan.map_columns.get("longitude", "longitude"),
        }
    return meta


def build_metadata(
    plans: list[TablePlan],
    tables: dict[str, int],
    missing: list[str],
    created_at: str,
    extras: Extras,
    status: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The whole Datasette metadata document of a publication."""
    published = [p for p in plans if p.name in tables]
    missing_html = ""
    if missing:
        names = ", ".join(f"<code>{html.escape(n)}</code>" for n in missing)
        missing_html = f"<p>Pas encore matérialisées (absentes de cette publication) : {names}.</p>"
    database = {
        "title": "Données du Territoire Camp",
        "description_html": (
            "<p>Données publiques ingérées, validées et documentées à partir du catalogue. "
            "Chaque table principale (<code>core_…</code>) a sa table de lignes rejetées "
            "(<code>quarantine_…</code>) et d'erreurs (<code>errors_…</code>) ; les tables "
            "<code>mart_…</code> croisent les sources. "
            f'<a href="/-/telechargements">Téléchargements en masse</a> '
            "(CSV, Parquet, datapackage.json).</p>"
            f"<p>Publication du {html.escape(created_at)} (UTC).</p>{missing_html}"
        ),
        "tables": {p.name: table_metadata(p, tables, created_at, status) for p in published},
        "queries": extras.queries,
    }
    return {
        "title": "Territoire Camp — données publiques",
        "description": "Données publiques du Territoire Camp : documentées, validées, "
        "interrogeables (filtres, facettes, recherche, SQL, API JSON).",
        "license": "Licence de chaque jeu de données (voir chaque table)",
        "databases": {DATABASE: database},
        "plugins": {
            "datasette-dashboards": extras.dashboards,
            "datasette-cluster-map": {"tile_layer": extras.tile_layer},
            "datasette-search-all": {},
        },
        "x-camp": {"created_at": created_at, "missing": missing, "skipped": extras.skipped},
    }
