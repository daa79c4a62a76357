"""The table page's rows rendered in Python must be the cells Datasette's template writes."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from datasette.app import Datasette
from markupsafe import Markup

from pipelines.serve import render

COLUMNS = [
    {"name": name, "sortable": False, "type": "text", "notnull": 0, "is_pk": False}
    for name in ("_row", "prix €", "acheteur nom", "offresRecues")
]


def cell(column: str, value: Any, value_type: str = "str") -> dict[str, Any]:
    return {"column": column, "value": value, "value_type": value_type, "raw": value}


ROWS = [
    [
        cell("_row", Markup('<a href="/camp/t/2">2</a>'), "pk"),
        cell("prix €", 12.5, "float"),
        cell("acheteur nom", "COMMUNE <script>alert(1)</script> & Cie « é »"),
        cell("offresRecues", 3, "int"),
    ],
    [
        cell("_row", Markup('<a href="/camp/t/3">3</a>'), "pk"),
        cell("prix €", Markup("&nbsp;"), "none"),
        cell("acheteur nom", "guillemets \"doubles\" et 'simples'"),
        cell("offresRecues", None, "none"),
    ],
]


def rendered(name: str) -> str:
    env = Datasette([]).jinja_env
    render.install(env)
    template = env.get_template(name)
    page = asyncio.run(template.render_async(display_columns=COLUMNS, display_rows=ROWS))
    return re.sub(r">\s+<", "><", page).strip()


def test_rows_are_the_cells_datasettes_own_template_writes() -> None:
    ours, theirs = rendered("_table.html"), rendered("default:_table.html")
    assert "camp_table_body" not in ours and "<tbody><tr>" in ours  # our template was used
    assert ours == theirs


def test_cell_text_is_escaped_and_markup_kept() -> None:
    body = str(render.table_body(ROWS))
    assert "&lt;script&gt;" in body and "<script>" not in body
    assert '<a href="/camp/t/2">2</a>' in body
    assert body.count("<tr>") == 2 and body.count("<td ") == 8


VALUES = [
    (1, "COMMUNE <b>&</b> Cie", 12.5, 3, "https://example.org/marché?id=1"),
    (2, "", None, None, "  http://example.org/a-very-long-address/with/a/path.html  "),
    (3, "a " * 30, 0.0, 0, "http://pas une adresse"),
    (4, "texte qui cite http:// sans en être une", -1e-7, -2, "ftp://example.org"),
]


@pytest.fixture
def plain_cells(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A Datasette over a small table, with no `render_cell` plugin (as the plugin leaves it
    when no published column is Markdown); yields the Datasette and the rows each builder
    was given."""
    import sqlite3

    from datasette.plugins import pm

    from pipelines.serve import plugin

    path = tmp_path / "camp.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE t (_row INTEGER PRIMARY KEY, nom TEXT, montant REAL, n INTEGER, url)")
    db.executemany("INSERT INTO t VALUES (?, ?, ?, ?, ?)", VALUES)
    db.commit()
    db.close()
    given: list[int] = []
    original = render.DATASETTE_CELLS

    async def datasette_cells(*args: Any, **kwargs: Any) -> Any:
        given.append(len(args[4]))
        return await original(*args, **kwargs)

    monkeypatch.setattr(render, "DATASETTE_CELLS", datasette_cells)
    monkeypatch.setattr(pm.hook, "render_cell", plugin._NoCellRenderer())
    yield Datasette([str(path)]), given


def cells_both_ways(ds: Datasette) -> tuple[Any, Any]:
    async def both() -> tuple[Any, Any]:
        results = await ds.get_database("camp").execute("select * from t order by _row")
        args = (ds, "camp", "t", results.description, results.rows)
        options = {"link_column": True, "truncate_cells": 30, "sortable_columns": {"n"}}
        ours = await render.display_columns_and_rows(*args, **options)
        theirs = await render.DATASETTE_CELLS(*args, **options)
        return ours, theirs

    (our_columns, our_rows), (columns, rows) = asyncio.run(both())
    assert our_columns == columns
    return [r.cells for r in our_rows], [r.cells for r in rows]


def test_plain_cells_are_the_cells_datasette_builds(plain_cells) -> None:
    ds, given = plain_cells
    ours, theirs = cells_both_ways(ds)
    assert ours == theirs
    assert [type(c["value"]) for c in ours[0]] == [type(c["value"]) for c in theirs[0]]
    assert given == [0, len(VALUES)]  # ours built no row through Datasette's function
    assert '<a href="https://example.org/marché?id=1">' in str(ours[0][-1]["value"])


def test_cells_with_units_are_left_to_datasette(plain_cells) -> None:
    ds, given = plain_cells
    ds._metadata_local = {"databases": {"camp": {"tables": {"t": {"units": {"montant": "m"}}}}}}
    ours, theirs = cells_both_ways(ds)
    assert ours == theirs and given == [len(VALUES), len(VALUES)]
