"""The pipeline's own `meta_*` tables, described once as Table Schemas like any table.

`catalog/meta/<table>.json` holds each table's French title, description and fields (type,
description, constraints). The DDL and the DuckDB comments (`warehouse.meta`), the column
documentation Datasette shows and the datapackage's schema (`publish.plan`) all derive from
it; the code that fills a table (`ops.status`, `ops.quality`) only computes rows.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources as package_files
from typing import Any

from .model import CatalogError

# Table Schema type -> DuckDB type of the column (the meta tables use no other types).
DUCKDB_TYPES = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN"}


@cache
def meta_schema(table: str) -> dict[str, Any]:
    """The Table Schema of one `meta_*` table."""
    folder = package_files.files("pipelines.catalog").joinpath("meta")
    path = folder.joinpath(f"{table}.json")
    if not path.is_file():
        known = sorted(
            p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json")
        )
        raise CatalogError(
            f"no Table Schema for `{table}` in pipelines/catalog/meta; known: {known}"
        )
    return json.loads(path.read_text(encoding="utf-8"))


def meta_table_names() -> list[str]:
    folder = package_files.files("pipelines.catalog").joinpath("meta")
    return sorted(
        p.name.removesuffix(".json") for p in folder.iterdir() if p.name.endswith(".json")
    )


def column_types(schema: dict[str, Any]) -> dict[str, str]:
    """Column name -> DuckDB type, in the schema's order (the table's DDL)."""
    return {f["name"]: DUCKDB_TYPES[f["type"]] for f in schema["fields"]}


def column_docs(schema: dict[str, Any]) -> dict[str, str]:
    """Column name -> French description (DuckDB comments, Datasette metadata)."""
    return {f["name"]: f["description"] for f in schema["fields"]}


def table_comment(schema: dict[str, Any]) -> str:
    """The table's DuckDB comment: its title as first sentence, then its description."""
    return f"{schema['title']}. {schema['description']}"
