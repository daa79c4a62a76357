"""The publication's OpenAPI 3 document, written beside the snapshot at publication time.

Every published table's JSON endpoint (`/camp/<table>.json`) with its filters, field types
and French descriptions, the GeoJSON endpoint of tables with a map, and every canned query
with its parameters and example. It is built from what the publication really holds (the
SQLite schema and the Datasette metadata generated from the catalogue), so it cannot drift
from what the server answers; `serve` hands it out at `/-/openapi.json`.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from .site import DATABASE

OPENAPI_FILE = "openapi.json"
COLUMNS_KEY = "columns"  # metadata["x-camp"]["columns"]: table -> its column names

# Datasette 0.65's filter operators (`column__op=value`); a bare `column=value` is `exact`.
FILTER_OPERATORS = (
    "exact", "not", "contains", "endswith", "startswith", "gt", "gte", "lt", "lte", "like",
    "notlike", "glob", "in", "notin", "arraycontains", "arraynotcontains", "date", "isnull",
    "notnull", "isblank", "notblank",
)  # fmt: skip
_SQLITE_TYPES = {"INTEGER": "integer", "REAL": "number", "TEXT": "string", "BLOB": "string"}
_NAMED_PARAMETER = re.compile(r"(?<!:):([A-Za-z_][A-Za-z0-9_]*)")


def sqlite_columns(db_path: Path, tables: list[str]) -> dict[str, list[tuple[str, str]]]:
    """(name, OpenAPI type) of every column of each table, read from the snapshot file."""
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        out = {}
        for table in tables:
            info = con.execute(f'PRAGMA table_info("{table.replace(chr(34), chr(34) * 2)}")')
            out[table] = [
                (row[1], _SQLITE_TYPES.get(str(row[2]).upper(), "string")) for row in info
            ]
        return out
    finally:
        con.close()


_OPERATOR_WORDS = {
    "exact": "égal à",
    "not": "différent de",
    "contains": "contient",
    "startswith": "commence par",
    "gt": "strictement supérieur à",
    "gte": "supérieur ou égal à",
    "lt": "strictement inférieur à",
    "lte": "inférieur ou égal à",
    "in": "dans la liste (valeurs séparées par des virgules)",
    "isnull": "vide (valeur 1)",
}


def _operators_for(kind: str, table: str) -> tuple[str, ...]:
    if table.startswith(("quarantine_", "errors_")):  # raw text kept for reading: exact only
        return ("exact",)
    if kind in ("integer", "number"):
        return ("exact", "not", "gt", "gte", "lt", "lte", "in", "isnull")
    return ("exact", "not", "contains", "startswith", "in", "isnull")


def _filter_parameters(
    table: str, columns: list[tuple[str, str]], docs: dict[str, str]
) -> list[dict]:
    params = []
    for name, kind in columns:
        for op in _operators_for(kind, table):
            what = _OPERATOR_WORDS[op]
            params.append(
                {
                    "name": name if op == "exact" else f"{name}__{op}",
                    "in": "query",
                    "required": False,
                    "description": f"Lignes dont `{name}` est {what}. {docs.get(name, '')}".strip(),
                    "schema": {"type": "string"},
                }
            )
    return params


_COMMON = [
    {
        "name": "_shape",
        "in": "query",
        "description": "Forme de la réponse : `objects` donne une liste d'objets par ligne.",
        "schema": {"type": "string", "enum": ["objects", "array", "arrays", "object"]},
        "example": "objects",
    },
    {
        "name": "_size",
        "in": "query",
        "description": "Lignes par page (1 à 1000 ; 100 par défaut).",
        "schema": {"type": "integer", "minimum": 1, "maximum": 1000},
    },
    {
        "name": "_next",
        "in": "query",
        "description": "Curseur de la page suivante, tel que donné par `next` ou `next_url`.",
        "schema": {"type": "string"},
    },
]


def _row_schema(columns: list[tuple[str, str]], docs: dict[str, str]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            name: {"type": kind, "nullable": True, "description": docs.get(name, "")}
            for name, kind in columns
        },
    }


def _page_schema(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": {
            "ok": {"type": "boolean"},
            "rows": {"type": "array", "items": row},
            "next": {"type": "string", "nullable": True},
            "next_url": {
                "type": "string",
                "nullable": True,
                "description": "Page suivante ; vide sur la dernière page.",
            },
            "truncated": {"type": "boolean"},
        },
    }


def _table_path(table: str, meta: dict[str, Any], columns: list[tuple[str, str]]) -> dict:
    docs = meta.get("columns", {})
    params = list(_COMMON)
    if meta.get("fts_table"):
        params.append(
            {
                "name": "_search",
                "in": "query",
                "description": "Recherche plein texte en français (accents et casse ignorés).",
                "schema": {"type": "string"},
            }
        )
    params += [
        {
            "name": "_sort",
            "in": "query",
            "description": "Colonne de tri croissant.",
            "schema": {"type": "string"},
        },
        {
            "name": "_sort_desc",
            "in": "query",
            "description": "Colonne de tri décroissant.",
            "schema": {"type": "string"},
        },
        {
            "name": "_facet",
            "in": "query",
            "description": "Colonne dont compter les valeurs (facette) sur les lignes filtrées.",
            "schema": {"type": "string"},
        },
    ]
    params += _filter_parameters(table, columns, docs)
    return {
        "get": {
            "operationId": f"table_{table}",
            "summary": meta.get("title", table),
            "tags": [table.split("_", 1)[0]],
            "parameters": params,
            "responses": {
                "200": {
                    "description": "Une page de lignes (avec `_shape=objects`).",
                    "content": {
                        "application/json": {"schema": _page_schema(_row_schema(columns, docs))}
                    },
                },
                "400": {"description": "Filtre sur une colonne inconnue, ou requête invalide."},
            },
        }
    }


def _geojson_path(table: str, meta: dict[str, Any]) -> dict:
    return {
        "get": {
            "operationId": f"geojson_{table}",
            "summary": f"{meta.get('title', table)} (GeoJSON)",
            "tags": ["geojson"],
            "parameters": [p for p in _COMMON if p["name"] != "_shape"],
            "responses": {
                "200": {
                    "description": "Une page de lignes en FeatureCollection GeoJSON (WGS84).",
                    "content": {"application/geo+json": {"schema": {"type": "object"}}},
                }
            },
        }
    }


def query_parameters(sql: str) -> list[str]:
    """The `:named` parameters of a canned query, in order of first use."""
    return list(dict.fromkeys(_NAMED_PARAMETER.findall(sql)))


def _query_path(name: str, spec: dict[str, Any]) -> dict:
    example = spec.get("exemple") or {}
    params = [p for p in _COMMON if p["name"] == "_shape"] + [
        {
            "name": param,
            "in": "query",
            "required": True,
            "schema": {"type": "string"},
            **({"example": str(example[param])} if param in example else {}),
        }
        for param in query_parameters(spec["sql"])
    ]
    return {
        "get": {
            "operationId": f"query_{name}",
            "summary": spec.get("title", name),
            "description": spec.get("description", ""),
            "tags": ["requêtes"],
            "parameters": params,
            "responses": {
                "200": {
                    "description": "Les lignes de la requête.",
                    "content": {"application/json": {"schema": {"type": "object"}}},
                }
            },
        }
    }


def build_openapi(
    metadata: dict[str, Any],
    columns: dict[str, list[tuple[str, str]]],
    examples: dict[str, dict[str, str]],
    snapshot_id: str,
) -> dict[str, Any]:
    """The OpenAPI 3.0 document of one publication (`examples`: canned query -> `exemple`)."""
    database = metadata["databases"][DATABASE]
    paths: dict[str, Any] = {}
    for table, meta in database["tables"].items():
        paths[f"/{DATABASE}/{table}.json"] = _table_path(table, meta, columns[table])
        if "datasette-cluster-map" in meta.get("plugins", {}):
            paths[f"/{DATABASE}/{table}.geojson"] = _geojson_path(table, meta)
    for name, spec in database.get("queries", {}).items():
        paths[f"/{DATABASE}/{name}.json"] = _query_path(
            name, {**spec, "exemple": examples.get(name)}
        )
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "API des données du Territoire Camp",
            "version": snapshot_id,
            "description": (
                "Les tables publiées et les requêtes prêtes, en JSON (CORS ouvert). "
                "Pagination : suivre `next_url` jusqu'à ce qu'il soit vide. Un filtre sur une "
                "colonne inconnue répond 400 avec la liste des colonnes. La version est "
                "l'identifiant de la publication."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": paths,
    }
