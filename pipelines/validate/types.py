"""Table Schema field → DuckDB column type, and the missing values of a field.

Used by the validator for the typed `core` table and by anyone writing DDL, so that a
field's storage type is decided in one place.
"""

from __future__ import annotations

from typing import Any

DUCKDB_TYPES: dict[str, str] = {
    "string": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
    "date": "DATE",
    "datetime": "TIMESTAMP",
    "time": "TIME",
    "year": "INTEGER",
    "yearmonth": "VARCHAR",
    "duration": "VARCHAR",
    "geopoint": "VARCHAR",
    "geojson": "JSON",
    "array": "JSON",
    "object": "JSON",
    "list": "VARCHAR",
    "any": "VARCHAR",
}


def duckdb_type(field: dict[str, Any]) -> str:
    """The DuckDB column type that holds a valid value of this Table Schema field.

    `number` is DOUBLE (not DECIMAL): French open data mixes scales freely and DOUBLE
    keeps every value frictionless accepts; geopoint stays text ("lon,lat").
    """
    return DUCKDB_TYPES.get(field.get("type", "any"), "VARCHAR")


def missing_values(field: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """The strings that mean "no value" for this field (field overrides schema, default [""])."""
    if "missingValues" in field:
        return [str(v) for v in field["missingValues"]]
    return [str(v) for v in schema.get("missingValues", [""])]
