"""Bulk downloads of a publication, written from the warehouse, one set of files per table:

- `<table>.csv`: UTF-8, `,`-separated (for programs), described by `datapackage.json`;
- `<table>.tableur.csv`: `;`-separated, decimal comma, with a BOM, so a French spreadsheet
  opens it right with a double click;
- `<table>.parquet` (zstd);
- `<table>.xlsx` (openpyxl, write-only) when the table fits in a worksheet, built from the
  Parquet file on first request (see `write_xlsx`);
- `<table>.geojson` for tables with map columns (WGS84 points);

and a Frictionless `datapackage.json` describing the CSV files, so a team loads everything in
one line (pandas, R, DuckDB, frictionless). `x-camp-files` lists each table's files, sizes
included, for the downloads page.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb

from ..warehouse.database import quote
from .plan import TablePlan
from .sqlite_copy import duckdb_columns

FOLDER = "downloads"
EXCEL_MAX_ROWS = 1_048_576 - 1  # a worksheet's rows, minus the header
BOM = "\ufeff".encode()
_DECIMAL_TYPES = ("FLOAT", "DOUBLE", "REAL", "DECIMAL")


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
    """The table's own Table Schema (types, formats, constraints, descriptions, units); a
    column the catalogue does not type (a mart's, the `meta_*` tables') gets its DuckDB type."""
    described = {f["name"]: f for f in plan.fields}
    fields = []
    for name, duck_type in duckdb_columns(con, plan.name):
        spec: dict[str, Any] = {"name": name, "type": frictionless_type(duck_type)}
        if plan.columns.get(name):
            spec["description"] = plan.columns[name]
        if plan.units.get(name):
            spec["unit"] = plan.units[name]
        spec.update(described.get(name, {}))
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
    if plan.attributions:
        resource["x-camp-attribution"] = " ".join(plan.attributions)
    return resource


def _spreadsheet_csv(
    con: duckdb.DuckDBPyConnection, plan: TablePlan, path: Path, work: Path
) -> None:
    """`;`-separated CSV with a decimal comma and a BOM (what French spreadsheets expect)."""
    columns = []
    for name, duck_type in duckdb_columns(con, plan.name):
        if duck_type.upper().split("(")[0].strip() in _DECIMAL_TYPES:
            columns.append(f"replace(CAST({quote(name)} AS VARCHAR), '.', ',') AS {quote(name)}")
        else:
            columns.append(quote(name))
    target = str(work).replace("'", "''")
    con.execute(
        f"COPY (SELECT {', '.join(columns)} FROM {quote(plan.name)}) TO '{target}' "
        "(FORMAT csv, HEADER true, DELIMITER ';')"
    )
    with open(path, "wb") as out, open(work, "rb") as body:
        out.write(BOM)
        shutil.copyfileobj(body, out, 1 << 20)
    work.unlink()


def write_xlsx(parquet: Path, path: Path) -> None:
    """The XLSX file of a table, from its Parquet file (openpyxl, write-only: rows streamed).

    openpyxl writes about 3,000 rows of 18 columns a second: the 56,000 rows of the samples
    would add 20 s to every publication, so the downloads page builds each file when it is
    first asked for (`pages.download_file`), written beside the others.
    """
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=path.name.removesuffix(".xlsx")[:31])
    con = duckdb.connect()
    try:
        source = str(parquet).replace("'", "''")
        cursor = con.execute(f"SELECT * FROM read_parquet('{source}')")
        sheet.append([d[0] for d in cursor.description])
        while batch := cursor.fetchmany(10_000):
            for row in batch:
                sheet.append([_excel_value(v) for v in row])
    finally:
        con.close()
    work = path.with_name(f".{path.name}.{os.getpid()}.part")
    book.save(work)
    os.replace(work, path)


def _excel_value(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, float, str, Decimal, date, time)):
        if isinstance(value, datetime) and value.tzinfo is not None:
            return value.astimezone(UTC).replace(tzinfo=None)  # Excel has no time zones
        return value
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _geojson(con: duckdb.DuckDBPyConnection, plan: TablePlan, path: Path) -> int:
    """Points of a map table as a GeoJSON FeatureCollection (rows without both coordinates
    are left out); returns the number of features."""
    assert plan.map_columns
    lat = plan.map_columns.get("latitude", "latitude")
    lon = plan.map_columns.get("longitude", "longitude")
    cursor = con.execute(
        f"SELECT * FROM {quote(plan.name)} "
        f"WHERE {quote(lat)} IS NOT NULL AND {quote(lon)} IS NOT NULL"
    )
    names = [d[0] for d in cursor.description]
    features = 0
    with open(path, "w", encoding="utf-8") as out:
        out.write('{"type": "FeatureCollection", "features": [\n')
        while batch := cursor.fetchmany(10_000):
            for row in batch:
                record = dict(zip(names, row, strict=True))
                point = [float(record[lon]), float(record[lat])]
                feature = {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": point},
                    "properties": record,
                }
                out.write(
                    (",\n" if features else "")
                    + json.dumps(feature, ensure_ascii=False, default=str)
                )
                features += 1
        out.write("\n]}\n")
    return features


def _file(folder: Path, name: str, kind: str, **extra: Any) -> dict[str, Any]:
    return {"format": kind, "path": name, "bytes": (folder / name).stat().st_size, **extra}


def write_table_files(
    con: duckdb.DuckDBPyConnection, plan: TablePlan, rows: int, folder: Path
) -> list[dict[str, Any]]:
    """Every bulk file of one table; returns their descriptions (`x-camp-files`)."""
    source = quote(plan.name)
    csv_path = str(folder / f"{plan.name}.csv").replace("'", "''")
    parquet_path = str(folder / f"{plan.name}.parquet").replace("'", "''")
    con.execute(f"COPY {source} TO '{csv_path}' (FORMAT csv, HEADER true)")
    files = [_file(folder, f"{plan.name}.csv", "csv")]
    spreadsheet = f"{plan.name}.tableur.csv"
    _spreadsheet_csv(con, plan, folder / spreadsheet, folder / f".{spreadsheet}.part")
    files.append(_file(folder, spreadsheet, "csv-tableur"))
    con.execute(f"COPY {source} TO '{parquet_path}' (FORMAT parquet, COMPRESSION zstd)")
    files.append(_file(folder, f"{plan.name}.parquet", "parquet"))
    if rows <= EXCEL_MAX_ROWS:  # built on first request (see write_xlsx)
        files.append({"format": "xlsx", "path": f"{plan.name}.xlsx", "bytes": None})
    else:
        files.append({"format": "xlsx", "path": None, "bytes": None, "too_many_rows": True})
    if plan.map_columns:
        features = _geojson(con, plan, folder / f"{plan.name}.geojson")
        files.append(_file(folder, f"{plan.name}.geojson", "geojson", features=features))
    return files


def write_downloads(
    con: duckdb.DuckDBPyConnection,
    plans: list[TablePlan],
    tables: dict[str, int],
    folder: Path,
    created_at: str,
) -> dict[str, Any]:
    """Write every table's bulk files and `datapackage.json` into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    resources = []
    for plan in plans:
        if plan.name not in tables:
            continue
        files = write_table_files(con, plan, tables[plan.name], folder)
        resource = _resource(con, plan, tables[plan.name])
        resource["x-camp-files"] = files
        resources.append(resource)
    package = {
        "name": "territoire-camp",
        "title": "Territoire Camp — données publiées",
        "description": "Tables publiées (valides, quarantaine, erreurs, croisements, suivi), "
        "une ressource CSV par table ; le même contenu existe en Parquet (x-camp-parquet), "
        "en CSV pour tableur, en XLSX et, pour les tables cartographiées, en GeoJSON "
        "(x-camp-files).",
        "created": created_at,
        "resources": resources,
    }
    (folder / "datapackage.json").write_text(
        json.dumps(package, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return package
