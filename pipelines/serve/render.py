"""Table page rows: the cells Datasette would build and the HTML it would write, in one pass.

Datasette 0.65 builds a table page's cells in `display_columns_and_rows`, asking every
`render_cell` plugin, `is_url` and the units metadata about each of the 1,800 cells of a
100-row page, then renders them with an async Jinja loop (an awaited lookup, a `to_css_class`
call and an escape per cell). Together they were most of a table page's CPU time.

- `display_columns_and_rows` builds the same cells when nothing can change them per cell (no
  `render_cell` plugin left, see `plugin._skip_markdown_cells`; no units; no expanded foreign
  key or binary value) and hands every other case to Datasette's own function.
- `templates/_table.html` is Datasette's own template whose body loop is the `camp_table_body`
  filter below; the cells, classes and escaping are the same.
- `render_cell` (this module is registered as a plugin) shows amounts in euros, decimals with
  a comma and times that state their offset in Paris time. Datasette calls it for row and
  query pages; on table pages the one-pass builder applies the same function inline when it
  is the only renderer left, instead of giving up the fast path.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.plugins import pm
from datasette.utils import is_url, path_from_row_pks, to_css_class, truncate_url
from datasette.views import table as table_view
from jinja2 import ChoiceLoader, Environment, FileSystemLoader
from markupsafe import Markup, escape

from .. import french

TEMPLATES = Path(__file__).with_name("templates")
DATASETTE_CELLS = table_view.display_columns_and_rows
NBSP = Markup("&nbsp;")
_TYPE_NAMES = {int: "int", float: "float", str: "str", type(None): "none"}


class _Unusual(Exception):
    """A value only Datasette's own cell builder renders (bytes, expanded foreign key)."""


async def display_columns_and_rows(
    datasette: Any,
    database_name: str,
    table_name: str,
    description: Any,
    rows: Any,
    link_column: bool = False,
    truncate_cells: int = 0,
    sortable_columns: Any = None,
) -> tuple[list[dict[str, Any]], list[Any]]:
    """Datasette's `display_columns_and_rows`, with plain cells built without per-cell hooks."""
    args = (datasette, database_name, table_name, description, rows)
    options = {
        "link_column": link_column,
        "truncate_cells": truncate_cells,
        "sortable_columns": sortable_columns,
    }
    impls = pm.hook.render_cell.get_hookimpls()
    if any(impl.plugin is not sys.modules[__name__] for impl in impls):
        return await DATASETTE_CELLS(*args, **options)
    formats = cell_formats(datasette, table_name) if impls else None
    table_metadata = datasette.table_metadata(database_name, table_name)
    if table_metadata.get("units"):
        return await DATASETTE_CELLS(*args, **options)
    db = datasette.databases[database_name]
    pks = await db.primary_keys(table_name)
    # Datasette's function for the headers (no row: no cell is built there).
    columns, _ = await DATASETTE_CELLS(*args[:4], [], **options)
    names = [r[0] for r in description]
    try:
        cell_rows = _cell_rows(
            rows,
            names,
            pks,
            link_column,
            truncate_cells,
            datasette.urls.table(database_name, table_name),
            formats,
        )
    except _Unusual:
        return await DATASETTE_CELLS(*args, **options)
    return columns, cell_rows


def _cell_rows(
    rows: Any,
    names: list[str],
    pks: list[str],
    link_column: bool,
    truncate_cells: int,
    table_path: str,
    formats: dict[str, str] | None = None,
) -> list[Any]:
    """The cells of each row; `formats` given: `french_cell` first, as `render_cell` would."""
    skipped = pks[0] if link_column and len(pks) == 1 else None
    link_name = pks[0] if len(pks) == 1 else "Link"
    cell_rows = []
    for row in rows:
        cells = []
        if link_column:
            pk_path = path_from_row_pks(row, pks, not pks, False)
            cells.append(
                {
                    "column": link_name,
                    "value_type": "pk",
                    "is_special_link_column": len(pks) != 1,
                    "raw": pk_path,
                    "value": Markup(
                        f'<a href="{table_path}/{path_from_row_pks(row, pks, not pks)}">'
                        f"{escape(pk_path)}</a>"
                    ),
                }
            )
        for value, column in zip(row, names, strict=False):
            if column == skipped:
                continue
            shown = None if formats is None else french_cell(value, column, formats)
            cells.append(
                {
                    "column": column,
                    "value": _display(value, truncate_cells) if shown is None else shown,
                    "raw": value,
                    "value_type": _TYPE_NAMES.get(type(value)) or type(value).__name__,
                }
            )
        cell_rows.append(table_view.Row(cells))
    return cell_rows


def _display(value: Any, truncate_cells: int) -> Any:
    """A plain cell's display value, by Datasette's rules (`views/table.py`)."""
    kind = type(value)
    if kind is int or kind is float:  # the most common cells: never a URL, never ""
        text = str(value)
    elif value is None or value == "":
        return NBSP
    elif isinstance(value, (bytes, dict)):
        raise _Unusual
    else:
        text = str(value)
        if "http" in text and is_url(text.strip()):  # a URL always holds "http"
            return _url_cell(text.strip(), truncate_cells)
    if truncate_cells and len(text) > truncate_cells:
        return text[:truncate_cells] + "\u2026"
    return text


def french_cell(value: Any, column: str, formats: dict[str, str]) -> str | None:
    """A cell in French: « 61 100,00 € » for an amount in euros, « 12,5 » for a decimal,
    « 2026-12-03 08:07:34 +01:00 » for a timestamp with an offset; None: shown as stored."""
    kind = type(value)
    if kind is float or kind is int:
        if formats.get(column) == "euro":
            return french.euros(value)
        return french.decimal(value) if kind is float else None
    if kind is str and len(value) >= 17 and value[4] == "-":
        return french.paris_time(value)
    return None


def cell_formats(datasette: Any, table: str | None) -> dict[str, str]:
    """The French formats the publication gives a table's columns (`x-camp.formats`)."""
    camp = datasette.metadata("x-camp") or {}
    return (camp.get("formats") or {}).get(table or "*") or {}


@hookimpl
def render_cell(value: Any, column: str, table: str | None, datasette: Any) -> str | None:
    return french_cell(value, column, cell_formats(datasette, table))


def _url_cell(url: str, truncate_cells: int) -> Markup:
    return Markup(f'<a href="{escape(url)}">{escape(truncate_url(url, truncate_cells))}</a>')


@lru_cache(maxsize=4096)
def _column_class(column: str, value_type: str) -> str:
    return f'<td class="col-{escape(to_css_class(column))} type-{escape(value_type)}">'


def _escaped(value: Any) -> str:
    """`markupsafe.escape(value)`, without building a Markup for plain text that has nothing
    to escape (most cells)."""
    if (
        type(value) is str
        and "&" not in value
        and "<" not in value
        and ">" not in value
        and "'" not in value
        and '"' not in value
    ):
        return value
    return escape(value)


def table_body(rows: Iterable[Iterable[dict[str, Any]]]) -> Markup:
    """The `<tr>` rows of a table page, as `_table.html` would write them."""
    parts: list[str] = []
    for row in rows:
        parts.append("<tr>")
        parts.extend(
            f"{_column_class(str(cell['column']), str(cell['value_type']))}"
            f"{_escaped(cell['value'])}</td>"
            for cell in row
        )
        parts.append("</tr>\n")
    return Markup("".join(parts))


def use_plain_cells() -> None:
    """Make the table view build its cells with `display_columns_and_rows` above."""
    table_view.display_columns_and_rows = display_columns_and_rows


def install(env: Environment) -> None:
    """Add the filter, put the project's templates before Datasette's own, and translate
    every template into French (`french_templates`)."""
    from . import french_templates

    env.filters["camp_table_body"] = table_body
    if env.loader is not None:
        env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES)), env.loader])
    french_templates.install(env)
