"""The DuckDB -> SQLite copy: rows through ADBC into a file, the same rows and types as
through `executemany`; instants published with their offset; large tables' FTS index built
beside on a thread, the same index as in place, nothing left behind.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import adbc_driver_manager
import duckdb
import pytest

from pipelines.publish import sqlite_copy
from pipelines.publish.fts_beside import building_beside
from pipelines.publish.sqlite_copy import copy_table, create_fts, ingest_rows

ROWS = 3000

# Every kind of column a published table holds, seeded, with NULLs; `_row` unique but not in
# insertion order; a column name with an accent, a space and a quote.
EVERY_TYPE = f"""CREATE TABLE t AS SELECT
      ({ROWS} - range) * 7 AS _row,
      CASE WHEN range % 11 = 0 THEN NULL ELSE range * 1.25 END AS montant,
      'Société d''eau n°' || range AS nom,
      DATE '2020-01-01' + (range % 900)::INTEGER AS jour,
      CASE WHEN range % 7 = 0 THEN NULL ELSE range % 3 = 0 END AS actif,
      CASE WHEN range % 5 = 0 THEN NULL ELSE range % 13 END::BIGINT AS offres,
      (range % 100)::TINYINT AS petit, (range * 1000)::UINTEGER AS grand,
      (range / 8)::FLOAT AS flottant, (range / 100)::DECIMAL(12, 2) AS somme,
      range::HUGEINT * 1000000000000 AS enorme,
      TIMESTAMPTZ '2026-07-07 09:07:34+02' + to_seconds(range * 61) AS debut,
      TIMESTAMP '2026-07-07 07:07:34' + to_seconds(range) AS releve,
      CASE WHEN range % 4 = 0 THEN NULL ELSE ['a', range::VARCHAR] END AS liste,
      {{'k': range}} AS objet, '{{"a": 1}}'::JSON AS doc,
      CASE WHEN range % 2 = 0 THEN 'x' END AS "prénom d'usage"
    FROM range({ROWS})"""


def make_warehouse(path: Path) -> Path:
    con = duckdb.connect(str(path))
    con.execute(EVERY_TYPE)
    con.close()
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "warehouse.duckdb")


def published_rows(db: sqlite3.Connection) -> list[tuple]:
    """Each row with the storage class of each of its values."""
    names = [row[1] for row in db.execute("PRAGMA table_info(t)")]
    cols = ", ".join(f'"{n}", typeof("{n}")' for n in names)
    return db.execute(f"SELECT {cols} FROM t ORDER BY _row").fetchall()


@pytest.mark.parametrize("row_key", [True, False])
def test_a_copy_into_a_file_goes_through_adbc_and_holds_what_executemany_holds(
    warehouse: Path, tmp_path: Path, row_key: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingested: list[str] = []
    ingest = sqlite_copy.ingest_rows

    def spy(con: duckdb.DuckDBPyConnection, target: str, table: str, select: str) -> int:
        ingested.append(table)
        return ingest(con, target, table, select)

    monkeypatch.setattr(sqlite_copy, "ingest_rows", spy)
    con = duckdb.connect(str(warehouse), read_only=True)
    db = sqlite3.connect(tmp_path / "camp.db", isolation_level=None)
    assert copy_table(con, db, "t", row_key=row_key) == ROWS
    assert ingested == ["t"]
    in_memory = sqlite3.connect(":memory:", isolation_level=None)
    assert copy_table(con, in_memory, "t", row_key=row_key) == ROWS  # through executemany
    assert ingested == ["t"]
    rows = published_rows(db)
    assert rows == published_rows(in_memory)
    assert len(rows) == ROWS
    schema = "SELECT sql FROM sqlite_master WHERE name = 't'"
    assert db.execute(schema).fetchone() == in_memory.execute(schema).fetchone()
    kinds = {
        name: {kind for (kind,) in db.execute(f'SELECT DISTINCT typeof("{name}") FROM t')}
        for name in [row[1] for row in db.execute("PRAGMA table_info(t)")]
    }
    assert kinds == {
        "_row": {"integer"},
        "montant": {"real", "null"},
        "nom": {"text"},
        "jour": {"text"},
        "actif": {"integer", "null"},
        "offres": {"integer", "null"},
        "petit": {"integer"},
        "grand": {"integer"},
        "flottant": {"real"},
        "somme": {"real"},
        "enorme": {"real"},
        "debut": {"text"},
        "releve": {"text"},
        "liste": {"text", "null"},
        "objet": {"text"},
        "doc": {"text"},
        "prénom d'usage": {"text", "null"},
    }
    assert db.execute("SELECT DISTINCT actif FROM t ORDER BY 1").fetchall() == [
        (None,),
        (0,),
        (1,),
    ]
    expected = con.execute(
        "SELECT _row, montant, nom, CAST(jour AS VARCHAR), CAST(actif AS INTEGER), offres "
        "FROM t ORDER BY _row"
    ).fetchall()
    assert (
        db.execute("SELECT _row, montant, nom, jour, actif, offres FROM t ORDER BY _row").fetchall()
        == expected
    )
    if row_key:  # the rowid is `_row`
        assert db.execute("SELECT count(*) FROM t WHERE rowid != _row").fetchone()[0] == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["camp.db", "warehouse.duckdb"]


def test_an_empty_table_is_created_with_its_types(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (a BIGINT, b VARCHAR, c TIMESTAMPTZ)")
    db = sqlite3.connect(tmp_path / "camp.db", isolation_level=None)
    assert copy_table(con, db, "t") == 0
    assert [r[1:3] for r in db.execute("PRAGMA table_info(t)")] == [
        ("a", "INTEGER"),
        ("b", "TEXT"),
        ("c", "TEXT"),
    ]


def test_a_failed_ingest_writes_no_row_and_raises(tmp_path: Path) -> None:
    """A row SQLite refuses (here a CHECK) rolls the whole table's copy back."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t AS SELECT range AS n FROM range(10)")
    target = tmp_path / "camp.db"
    db = sqlite3.connect(target, isolation_level=None)
    db.execute("CREATE TABLE t (n INTEGER CHECK (n < 7))")
    with pytest.raises(adbc_driver_manager.Error, match="CHECK"):
        ingest_rows(con, str(target), "t", '"n"')
    assert db.execute("SELECT count(*) FROM t").fetchone() == (0,)


UTC_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{6})?Z")


@pytest.mark.parametrize("session_zone", ["UTC", "Europe/Paris", "America/Cayenne"])
def test_an_instant_is_published_in_utc_with_its_z_and_a_plain_time_unchanged(
    tmp_path: Path, session_zone: str
) -> None:
    """Issue 13: `2026-07-07 07:07:34` without its offset could be UTC or Paris time."""
    path = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute(f"SET TimeZone = '{session_zone}'")
    con.execute(
        "CREATE TABLE t AS SELECT * FROM (VALUES "
        "(TIMESTAMPTZ '2026-07-07 09:07:34+02', TIMESTAMP '2026-07-07 09:07:34', "
        " DATE '2026-07-07'), "
        "(TIMESTAMPTZ '2026-12-31 23:30:00.25-03', TIMESTAMP '2026-12-31 23:30:00.25', "
        " DATE '2026-12-31'), "
        "('infinity'::TIMESTAMPTZ, NULL, NULL), (NULL, NULL, NULL)) v(instant, local, day)"
    )
    db = sqlite3.connect(tmp_path / "camp.db", isolation_level=None)
    assert copy_table(con, db, "t") == 4
    assert db.execute("SELECT instant, local, day FROM t").fetchall() == [
        ("2026-07-07T07:07:34Z", "2026-07-07 09:07:34", "2026-07-07"),
        ("2027-01-01T02:30:00.250000Z", "2026-12-31 23:30:00.25", "2026-12-31"),
        ("infinity", None, None),
        (None, None, None),
    ]


def test_the_published_agenda_keeps_the_offset_of_every_instant(published) -> None:
    """The real publication of the samples: every TIMESTAMPTZ column of the warehouse is
    published as ISO 8601 UTC with `Z`, the same instant as in DuckDB.
    """
    con = duckdb.connect(str(published.warehouse_path), read_only=True)
    db = sqlite3.connect(f"file:{published.db_path}?mode=ro", uri=True)
    published_tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master")}
    columns = [
        (table, column)
        for table, column in con.execute(
            "SELECT table_name, column_name FROM duckdb_columns() WHERE schema_name = 'main' "
            "AND data_type = 'TIMESTAMP WITH TIME ZONE' ORDER BY ALL"
        ).fetchall()
        if table in published_tables
    ]
    assert ("mart_agenda__occurrences", "debut") in columns
    for table, column in columns:
        values = [v for (v,) in db.execute(f'SELECT "{column}" FROM "{table}"') if v is not None]
        assert values, (table, column)
        assert [v for v in values if not UTC_ISO.fullmatch(v)] == [], (table, column)
        instants = sorted(datetime.fromisoformat(v) for v in values)
        expected = con.execute(
            f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL ORDER BY 1'
        ).fetchall()
        assert instants == [v.astimezone(UTC) for (v,) in expected], (table, column)


def test_an_index_built_beside_is_the_index_built_in_place(tmp_path: Path) -> None:
    """The FTS index built on a thread in a side file, copied in, passes FTS5's integrity
    check against the table and answers searches as the one built in place does.
    """
    paths = {kind: tmp_path / kind / "camp.db" for kind in ("beside", "in_place")}
    for path in paths.values():
        path.parent.mkdir()
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("CREATE TABLE t (_row INTEGER PRIMARY KEY, nom TEXT, ville TEXT, n REAL)")
        db.executemany(
            "INSERT INTO t VALUES (?, ?, ?, ?)",
            [
                (i * 3, f"Société n°{i} d'Évry", f"Saint-Étienne {i % 17}", i / 3)
                for i in range(2000)
            ],
        )
        db.close()
    beside = sqlite3.connect(paths["beside"], isolation_level=None)
    with building_beside(beside, "t", ["nom", "ville", "absente"]) as build:
        assert build is not None
        assert build.copy_into(beside) == "t_fts"
    assert sorted(p.name for p in paths["beside"].parent.iterdir()) == ["camp.db"]
    in_place = sqlite3.connect(paths["in_place"], isolation_level=None)
    assert create_fts(in_place, "t", ["nom", "ville", "absente"]) == "t_fts"
    beside.close()
    beside = sqlite3.connect(paths["beside"])  # a fresh connection, as Datasette's
    beside.execute("INSERT INTO t_fts (t_fts, rank) VALUES ('integrity-check', 1)")
    for words in ("evry", "societe 17", '"saint-etienne 3"', "ville:etienne nom:1999"):
        sql = "SELECT rowid FROM t_fts WHERE t_fts MATCH ? ORDER BY rowid"
        found = beside.execute(sql, [words]).fetchall()
        assert found == in_place.execute(sql, [words]).fetchall()
        assert found
    assert beside.execute("SELECT sql FROM sqlite_master WHERE name = 't_fts'").fetchone() == (
        in_place.execute("SELECT sql FROM sqlite_master WHERE name = 't_fts'").fetchone()
    )


def test_a_large_table_is_published_with_its_index_built_beside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole publication path with the threshold lowered: ADBC copy, FTS beside."""
    from pipelines.catalog.load import load_catalog
    from pipelines.publish import snapshot
    from pipelines.publish.build import publish_snapshot
    from tests.fixtures.publish.warehouse import make_warehouse as make_decp_warehouse

    monkeypatch.setattr(snapshot, "FTS_BESIDE_MIN_ROWS", 10)
    built: list[str] = []
    beside = snapshot.building_beside

    def spy(db: sqlite3.Connection, table: str, columns: list[str]):  # type: ignore[no-untyped-def]
        built.append(table)
        return beside(db, table, columns)

    monkeypatch.setattr(snapshot, "building_beside", spy)
    decp = [
        d
        for d in load_catalog(Path(__file__).resolve().parent.parent / "catalog")
        if d.name == "decp"
    ]
    warehouse = make_decp_warehouse(tmp_path / "warehouse.duckdb", decp[0])
    published = publish_snapshot(warehouse, decp, [], tmp_path / "publish", downloads=False)
    assert "core_decp__marches" in built
    db = sqlite3.connect(published.path)
    db.execute(
        "INSERT INTO core_decp__marches_fts (core_decp__marches_fts, rank) "
        "VALUES ('integrity-check', 1)"
    )
    sql = "SELECT count(*) FROM core_decp__marches_fts WHERE core_decp__marches_fts MATCH ?"
    assert db.execute(sql, ["filliere"]).fetchone()[0] > 0
    assert published.counts["core_decp__marches"] == published.tables["core_decp__marches"]
    leftovers = [p.name for p in published.folder.iterdir() if p.name.startswith(".")]
    assert leftovers == []
