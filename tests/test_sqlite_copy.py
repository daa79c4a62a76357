"""Large tables: rows copied with a helper process, FTS index built beside on a thread; same
rows, same types, same index as the one-process path, and nothing left behind.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import duckdb
import pytest

from pipelines.publish import side_copy, sqlite_copy
from pipelines.publish.fts_beside import building_beside
from pipelines.publish.sqlite_copy import copy_table, create_fts

ROWS = 3000  # above the lowered split threshold, small enough for a fast test


def make_warehouse(path: Path) -> Path:
    """Seeded rows of every kind a published column holds: integers, doubles, text with
    quotes and accents, dates, booleans, NULLs; `_row` is unique but not in insertion order.
    """
    con = duckdb.connect(str(path))
    con.execute(
        f"""CREATE TABLE t AS SELECT
              ({ROWS} - range) * 7 AS _row,
              CASE WHEN range % 11 = 0 THEN NULL ELSE range * 1.25 END AS montant,
              'Société d''''eau n°' || range AS nom,
              DATE '2020-01-01' + (range % 900)::INTEGER AS jour,
              range % 3 = 0 AS actif,
              CASE WHEN range % 5 = 0 THEN NULL ELSE range % 13 END::BIGINT AS offres
            FROM range({ROWS})"""
    )
    con.close()
    return path


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return make_warehouse(tmp_path / "warehouse.duckdb")


@pytest.fixture
def split_small_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sqlite_copy, "SPLIT_MIN_ROWS", 100)


def expected_rows(warehouse: Path) -> list[tuple]:
    con = duckdb.connect(str(warehouse), read_only=True)
    rows = con.execute(
        "SELECT _row, montant, nom, CAST(jour AS VARCHAR), CAST(actif AS INTEGER), offres "
        "FROM t ORDER BY _row"
    ).fetchall()
    con.close()
    return rows


@pytest.mark.parametrize("row_key", [True, False])
def test_a_split_copy_holds_every_row_with_its_type(
    warehouse: Path,
    tmp_path: Path,
    split_small_tables: None,
    row_key: bool,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    jobs: list[side_copy.SideCopy] = []
    start = side_copy.start
    monkeypatch.setattr(side_copy, "start", lambda job: jobs.append(job) or start(job))
    con = duckdb.connect(str(warehouse), read_only=True)
    target = tmp_path / "out" / "camp.db"
    target.parent.mkdir()
    db = sqlite3.connect(target, isolation_level=None)
    assert copy_table(con, db, "t", row_key=row_key) == ROWS
    assert len(jobs) == 1  # part of the rows came from the helper process
    assert db.execute(
        "SELECT _row, montant, nom, jour, actif, offres FROM t ORDER BY _row"
    ).fetchall() == expected_rows(warehouse)
    kinds = db.execute(
        "SELECT DISTINCT typeof(montant), typeof(offres) FROM t WHERE montant IS NOT NULL "
        "AND offres IS NOT NULL"
    ).fetchall()
    assert kinds == [("real", "integer")]
    if row_key:  # the rowid is `_row`, in both halves
        assert db.execute("SELECT count(*) FROM t WHERE rowid != _row").fetchone()[0] == 0
    assert db.execute("PRAGMA database_list").fetchall()[1:] == []  # side file detached
    assert sorted(p.name for p in target.parent.iterdir()) == ["camp.db"]  # and deleted


def test_a_small_table_or_a_writable_warehouse_is_copied_in_one_process(
    warehouse: Path, tmp_path: Path, split_small_tables: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_helper(job: side_copy.SideCopy) -> None:
        raise AssertionError("no helper process expected")

    monkeypatch.setattr(side_copy, "start", no_helper)
    con = duckdb.connect(str(warehouse))  # read-write: another process could not open it
    db = sqlite3.connect(tmp_path / "camp.db", isolation_level=None)
    assert copy_table(con, db, "t", row_key=True) == ROWS


def test_a_failing_helper_fails_the_copy_with_its_error(tmp_path: Path) -> None:
    job = side_copy.SideCopy(
        warehouse=str(tmp_path / "absent.duckdb"),
        table="t",
        select="*",
        where="TRUE",
        create="CREATE TABLE t (a)",
        side=str(tmp_path / "side.db"),
    )
    with pytest.raises(RuntimeError, match="absent.duckdb"):
        side_copy.finish(side_copy.start(job))


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
    """The whole publication path with the thresholds lowered: split copy, FTS beside."""
    from pipelines.catalog.load import load_catalog
    from pipelines.publish import snapshot
    from pipelines.publish.build import publish_snapshot
    from tests.fixtures.publish.warehouse import make_warehouse as make_decp_warehouse

    monkeypatch.setattr(sqlite_copy, "SPLIT_MIN_ROWS", 10)
    monkeypatch.setattr(snapshot, "SPLIT_MIN_ROWS", 10)
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
