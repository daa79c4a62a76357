"""The mart step: replace a mart table with the result of its SELECT."""

from __future__ import annotations

from ..settings import Settings
from ..warehouse.database import connect, count_rows, quote


def build_mart_table(settings: Settings, table: str, sql: str) -> int:
    """Replace a mart table with the result of its SELECT."""
    with connect(settings.warehouse_path) as con:
        con.execute(f"CREATE OR REPLACE TABLE {quote(table)} AS {sql}")
        return count_rows(con, table)
