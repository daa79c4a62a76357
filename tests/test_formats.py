"""Each French format's must / must-not values, through the scaffold's guess and the DuckDB
check: both read `validate.formats`, so they must agree on every example."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from pipelines.cli.scaffold import guess_field
from pipelines.validate import validate_table
from pipelines.validate.formats import FORMATS, Format

EXAMPLES = [
    pytest.param(fmt, value, ok, id=f"{fmt.name}-{'ok' if ok else 'ko'}-{value}")
    for fmt in FORMATS.values()
    for ok, values in ((True, fmt.must), (False, fmt.must_not))
    for value in values
]


def duckdb_accepts(fmt: Format, value: str) -> bool:
    con = duckdb.connect()
    con.execute("CREATE TABLE src AS SELECT 2 AS _row, ? AS v", [value])
    schema = {"fields": [{"name": "v", "type": "string", "x-camp-check": fmt.name}]}
    report = validate_table(con, "src", schema, valid="ok", quarantine="q", errors="e")
    return report.rows_valid == 1


def scaffold_detects(fmt: Format, value: str) -> bool:
    column = pl.Series([value, value, None], dtype=pl.String)
    return guess_field(fmt.hints[0], column, 3).field.get("x-camp-check") == fmt.name


@pytest.mark.parametrize(("fmt", "value", "ok"), EXAMPLES)
def test_scaffold_and_check_agree(fmt: Format, value: str, ok: bool) -> None:
    assert fmt.matches(value) is ok
    assert duckdb_accepts(fmt, value) is ok
    assert scaffold_detects(fmt, value) is ok


@pytest.mark.parametrize("fmt", FORMATS.values(), ids=lambda f: f.name)
def test_every_format_has_examples_both_ways(fmt: Format) -> None:
    assert len(fmt.must) >= 3 and len(fmt.must_not) >= 3
    assert not set(fmt.must) & set(fmt.must_not)


def test_la_poste_siret_is_the_only_exception_to_luhn() -> None:
    siret = FORMATS["siret"]
    assert siret.matches("35600000049837")  # digit sum 45, though its Luhn key is wrong
    assert not siret.matches("35600000049838")
    assert FORMATS["siren"].matches("356000000")  # La Poste's own SIREN is plain Luhn
