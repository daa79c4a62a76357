"""Datasette metadata generated from the catalogue, one document per publication.

Titles, descriptions, licence, sources, column descriptions (with units), facets, label
column, full-text and map settings come from the descriptors; the publication adds its time,
its row counts (valid / quarantined) and the list of tables not yet materialised. Dashboards
and canned queries come from `dashboards/` (one file each).
"""

from __future__ import annotations

import html
from typing import Any

from .. import french
from ..catalog.model import Dataset
from .plan import TablePlan
from .site import DATABASE, Extras, tables_used

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
    refreshed = status.get("derniere_publication")
    refreshed = french.paris_time_long(refreshed) if refreshed else "jamais"
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
    parts.append(_attribution_html(plan.attributions))
    parts.append(
        f"<p>Dernière publication : {html.escape(french.paris_time_long(created_at))}.</p>"
    )
    return "".join(parts)


def _attribution_html(attributions: tuple[str, ...]) -> str:
    """The credit a licence requires (ODbL: cite the source), shown with the table."""
    if not attributions:
        return ""
    text = " ".join(html.escape(a) for a in attributions)
    return f"<p>Attribution : {text}</p>"


def _attributions_html(plans: list[TablePlan]) -> str:
    """Every published source's required credit, once, on the database page."""
    credits: dict[str, str] = {}
    for plan in plans:
        if plan.dataset and plan.dataset.attribution:
            credits.setdefault(plan.dataset.title, plan.dataset.attribution)
    if not credits:
        return ""
    items = "".join(
        f"<li>{html.escape(title)} : {html.escape(text)}</li>" for title, text in credits.items()
    )
    return f"<p>Attributions requises par les licences des sources :</p><ul>{items}</ul>"


def _column_docs(plan: TablePlan) -> dict[str, str]:
    docs = {}
    for name, text in plan.columns.items():
        unit = plan.units.get(name)
        if unit and french.is_euro_field(unit, ""):
            docs[name] = f"{text} (en euros)"
        else:
            docs[name] = f"{text} (unité : {unit})" if unit else text
    return docs


def cell_formats(plan: TablePlan) -> dict[str, str]:
    """Columns the interface shows in a French format of their own: `euro` for amounts
    (« 61 100,00 € »), from the unit or the description the catalogue gives."""
    return {
        name: "euro"
        for name, text in plan.columns.items()
        if french.is_euro_field(plan.units.get(name), text)
    }


MAP_CONTAINER = "#camp-map"  # a div the French table.html puts after the rows
QUERY_FORMATS = "*"  # formats for the results of SQL queries, which name no table


def _formats(published: list[TablePlan]) -> dict[str, dict[str, str]]:
    """Per table, its columns' formats; under `*`, a column name that is an amount in every
    typed table that has it (canned queries and free SQL: `montant`)."""
    formats = {p.name: f for p in published if (f := cell_formats(p))}
    seen: dict[str, set[str]] = {}
    for plan in published:
        if plan.layer in ("core", "mart"):
            for name in plan.columns:
                seen.setdefault(name, set()).add(formats.get(plan.name, {}).get(name, ""))
    common = {name: kinds.pop() for name, kinds in seen.items() if len(kinds) == 1}
    formats[QUERY_FORMATS] = {name: kind for name, kind in common.items() if kind}
    return formats


LAYER_GROUPS = {"quarantine": "quarantaine", "errors": "erreurs"}


def _dashboards_of(tables: set[str], extras: Extras) -> list[dict[str, str]]:
    return [
        {"slug": slug, "title": str(spec.get("title") or slug)}
        for slug, spec in extras.dashboards.items()
        if tables_used(spec) & tables
    ]


def home_index(
    plans: list[TablePlan],
    tables: dict[str, int],
    extras: Extras,
    status: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """What the home page lists: the catalogue's datasets first, by title, with their tables
    (rejected rows only where there are some), dashboards and status; then the marts,
    dashboards and canned queries; the technical tables last (empty ones left out)."""
    published = [p for p in plans if p.name in tables]
    datasets: dict[str, dict[str, Any]] = {}
    technical: list[dict[str, Any]] = []
    marts: list[dict[str, Any]] = []
    for plan in published:
        entry = {"name": plan.name, "title": plan.title, "rows": tables[plan.name]}
        if plan.layer == "mart":
            marts.append(entry)
            continue
        if plan.dataset is None:
            if tables[plan.name]:
                technical.append(entry)
            continue
        dataset = plan.dataset
        item = datasets.setdefault(
            dataset.name,
            {
                "name": dataset.name,
                "title": dataset.title,
                "description": " ".join(dataset.description.split()),
                **_licence(dataset),
                "status": dict((status or {}).get(dataset.name) or {}),
                "tables": [],
                "rejected": [],
                "all_tables": [],
            },
        )
        item["all_tables"].append(plan.name)
        if plan.layer == "core":
            item["tables"].append(entry)
        elif tables[plan.name]:
            item["rejected"].append({**entry, "kind": LAYER_GROUPS.get(plan.layer, plan.layer)})
    mart_names = {m["name"] for m in marts}
    for item in datasets.values():
        own = set(item.pop("all_tables"))
        prefix = f"mart_{item['name']}__"
        own |= {name for name in mart_names if name.startswith(prefix)}
        item["dashboards"] = _dashboards_of(own, extras)
        refreshed = item["status"].get("derniere_publication")
        if refreshed:
            item["status"]["derniere_publication_fr"] = french.paris_time_long(refreshed)
    return {
        "datasets": sorted(datasets.values(), key=lambda d: d["title"].lower()),
        "marts": sorted(marts, key=lambda m: m["title"].lower()),
        "dashboards": _dashboards_of(set(tables), extras),
        "queries": [
            {"name": name, "title": str(spec.get("title") or name)}
            for name, spec in extras.queries.items()
        ],
        "technical": technical,
    }


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
            "container": MAP_CONTAINER,  # after the rows (the table page shows rows first)
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
            f"<p>Publication du {html.escape(french.paris_time_long(created_at))}.</p>"
            f"{_attributions_html(published)}"
            f"{missing_html}"
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
        "x-camp": {
            "created_at": created_at,
            "missing": missing,
            "skipped": extras.skipped,
            "home": home_index(plans, tables, extras, status),
            "formats": _formats(published),
        },
    }
