"""Bulk downloads of a publication: one CSV and one Parquet file per table, written by DuckDB
from the warehouse, and a Frictionless `datapackage.json` describing the CSV files, so a team
loads everything in one line (pandas, R, DuckDB, frictionless).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb

from ..warehouse import quote
from .plan import TablePlan
from .sqlite_copy import duckdb_columns

FOLDER = "downloads"


def frictionless_type(duckdb_type: str) -> str:
    base = duckdb_type.upper().split("(")[0].strip()
    if base in (
        "TINYINT",
        "SMALLINT",
        "INTEGER",
        "BIGINT",
        "HUGEINT",
        "UTINYINT",
        "USMALLINT",
        "UINTEGER",
        "UBIGINT",
    ):
        return "integer"
    if base in ("FLOAT", "DOUBLE", "REAL", "DECIMAL"):
        return "number"
    if base == "BOOLEAN":
        return "boolean"
    if base == "DATE":
        return "date"
    if base.startswith("TIMESTAMP"):
        return "datetime"
    if base.endswith("[]") or base.startswith(("STRUCT", "MAP", "LIST")):
        return "array" if base.endswith("[]") or base.startswith("LIST") else "object"
    return "string"


def _resource(con: duckdb.DuckDBPyConnection, plan: TablePlan, rows: int) -> dict[str, Any]:
    fields = []
    for name, duck_type in duckdb_columns(con, plan.name):
        spec: dict[str, Any] = {"name": name, "type": frictionless_type(duck_type)}
        if plan.columns.get(name):
            spec["description"] = plan.columns[name]
        if plan.units.get(name):
            spec["unit"] = plan.units[name]
        fields.append(spec)
    resource: dict[str, Any] = {
        "name": plan.name.lower(),
        "title": plan.title,
        "description": plan.description,
        "path": f"{plan.name}.csv",
        "format": "csv",
        "mediatype": "text/csv",
        "encoding": "utf-8",
        "dialect": {"delimiter": ",", "header": True},
        "schema": {"fields": fields},
        "x-camp-parquet": f"{plan.name}.parquet",
        "x-camp-rows": rows,
    }
    if plan.dataset:
        resource["licenses"] = [dict(x) for x in plan.dataset.licenses]
        resource["sources"] = [dict(x) for x in plan.dataset.sources]
    return resource


def write_downloads(
    con: duckdb.DuckDBPyConnection,
    plans: list[TablePlan],
    tables: dict[str, int],
    folder: Path,
    created_at: str,
) -> dict[str, Any]:
    """Write `<table>.csv`, `<table>.parquet` and `datapackage.json` into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    resources = []
    for plan in plans:
        if plan.name not in tables:
            continue
        source = quote(plan.name)
        csv_path = str(folder / f"{plan.name}.csv").replace("'", "''")
        parquet_path = str(folder / f"{plan.name}.parquet").replace("'", "''")
        con.execute(f"COPY {source} TO '{csv_path}' (FORMAT csv, HEADER true)")
        con.execute(f"COPY {source} TO '{parquet_path}' (FORMAT parquet, COMPRESSION zstd)")
        resources.append(_resource(con, plan, tables[plan.name]))
    package = {
        "name": "territoire-camp",
        "title": "Territoire Camp — données publiées",
        "description": "Tables publiées (valides, quarantaine, erreurs, croisements, suivi), "
        "une ressource CSV par table ; le même contenu existe en Parquet (x-camp-parquet).",
        "created": created_at,
        "resources": resources,
    }
    (folder / "datapackage.json").write_text(
        json.dumps(package, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return package
