"""The `meta_*` tables are described once, as Table Schemas: DDL, comments, Datasette docs and
the datapackage all come from `pipelines/catalog/meta/*.json`."""

from __future__ import annotations

import duckdb
import pytest
from frictionless import Schema

from pipelines.catalog.meta_tables import column_types, meta_schema, meta_table_names
from pipelines.ops import status
from pipelines.ops.quality import HISTORY_TABLE
from pipelines.ops.status import STATUS_TABLE
from pipelines.publish.plan import meta_tables
from pipelines.warehouse.meta import replace_described_table


def test_both_meta_tables_are_described() -> None:
    assert meta_table_names() == sorted([STATUS_TABLE, HISTORY_TABLE])


@pytest.mark.parametrize("table", meta_table_names())
def test_each_description_is_a_valid_table_schema_documented_in_french(table: str) -> None:
    schema = meta_schema(table)
    descriptor = {k: v for k, v in schema.items() if k not in ("name", "title", "description")}
    errors = Schema.validate_descriptor(descriptor).flatten(["message"])
    assert not errors, errors
    assert schema["name"] == table and schema["title"] and schema["description"]
    for field in schema["fields"]:
        assert field["description"].strip(), f"{table}.{field['name']}"


@pytest.mark.parametrize("table", meta_table_names())
def test_the_table_and_its_comments_derive_from_the_schema(table: str) -> None:
    schema = meta_schema(table)
    with duckdb.connect() as con:
        replace_described_table(con, schema, [])
        found = con.execute(
            "SELECT column_name, data_type, comment FROM duckdb_columns() "
            "WHERE table_name = ? ORDER BY column_index",
            [table],
        ).fetchall()
        comment = con.execute(
            "SELECT comment FROM duckdb_tables() WHERE table_name = ?", [table]
        ).fetchone()[0]
        (plan,) = meta_tables(con)
    types = column_types(schema)
    assert [(n, t) for n, t, _ in found] == list(types.items())
    assert [c for _, _, c in found] == [f["description"] for f in schema["fields"]]
    assert comment.startswith(schema["title"] + ".")
    assert plan.title == schema["title"]
    assert plan.fields == tuple(schema["fields"])


def test_the_states_the_status_computes_are_the_ones_the_schema_allows() -> None:
    etat = next(f for f in meta_schema(STATUS_TABLE)["fields"] if f["name"] == "etat")
    assert sorted(etat["constraints"]["enum"]) == sorted(status._ORDER)


def test_the_publication_reads_the_status_the_pipeline_computed() -> None:
    """One computation: `ops.status` writes the table, `publish.plan` only reads it (publish
    may not import ops), through the same described table and columns."""
    from pipelines.publish import plan

    assert plan.STATUS_TABLE == STATUS_TABLE
    described = {f["name"] for f in meta_schema(STATUS_TABLE)["fields"]}
    assert set(plan._STATUS_COLUMNS) <= described
    rows = [
        {"jeu_de_donnees": "decp", "etat": status.FRESH, "explication": "Tout va bien."},
        {"jeu_de_donnees": "bodacc", "etat": status.FAILED, "explication": "Source en panne."},
    ]
    with duckdb.connect() as con:
        status.write_status(con, rows)
        read = plan.dataset_status(con)
    assert {k: v["etat"] for k, v in read.items()} == {"decp": "à jour", "bodacc": "en échec"}
