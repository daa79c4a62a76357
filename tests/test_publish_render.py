"""The table page's rows rendered in Python must be the cells Datasette's template writes."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from datasette.app import Datasette
from markupsafe import Markup

from pipelines.publish import render

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
        cell("acheteur nom", 'guillemets "doubles" et \'simples\''),
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
