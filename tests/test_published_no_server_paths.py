"""Nothing published names a path of the serving machine (issue: meta_camp__statut showed
`/tmp/…/datasets/decp/…`): no table cell, no metadata, no OpenAPI text."""

from __future__ import annotations

import pytest

from tests.answers import ROOT, Published

pytestmark = pytest.mark.slow


def machine_paths(published: Published) -> list[str]:
    return [str(ROOT), str(published.publish_dir.parent.parent), str(published.publish_dir)]


def test_no_table_cell_names_a_server_path(published: Published) -> None:
    tables = [
        r["name"]
        for r in published.rows(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE '%_fts%' AND name NOT LIKE 'sqlite_%'"
        )
    ]
    found = []
    with published.connect() as con:
        for table in tables:
            columns = [r[1] for r in con.execute(f'PRAGMA table_info("{table}")')]
            for column in columns:
                for path in machine_paths(published):
                    hit = con.execute(
                        f'SELECT "{column}" FROM "{table}" WHERE instr("{column}", ?) LIMIT 1',
                        [path],
                    ).fetchone()
                    if hit:
                        found.append(f"{table}.{column}: {hit[0]}")
    assert found == []
    sources = published.rows("SELECT source FROM meta_camp__statut WHERE jeu_de_donnees = 'decp'")
    assert sources == [{"source": "datasets/decp/decp-2024h2-travaux-cpv4521.csv"}]


def test_no_published_document_names_a_server_path(published: Published) -> None:
    folder = published.db_path.parent
    for name in ("metadata.json", "openapi.json"):
        text = (folder / name).read_text(encoding="utf-8")
        assert not [p for p in machine_paths(published) if p in text], name
