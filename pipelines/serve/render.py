"""Cells in French, and the project's templates, through Datasette's plugin hooks.

- `render_cell` shows amounts in euros, decimals with a comma and times that state their
  offset in Paris time. The formats a table's columns take (`x-camp.formats`) are read once
  per publication, not once per cell: Datasette asks every `render_cell` plugin about each of
  the 1,800 cells of a 100-row page.
- `prepare_jinja2_environment` puts the project's templates (`templates/`, overriding
  Datasette's by name) before Datasette's own, and translates every template into French
  (`french_templates`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from datasette import hookimpl
from jinja2 import ChoiceLoader, Environment, FileSystemLoader

from .. import french
from . import plugin

TEMPLATES = Path(__file__).with_name("templates")
_FORMATS: dict[str, Any] = {"metadata": None, "tables": {}}  # per publication


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


def cell_formats(table: str | None) -> dict[str, str]:
    """The French formats the served publication gives a table's columns (`x-camp.formats`)."""
    metadata = plugin.STATE.metadata
    if _FORMATS["metadata"] is not metadata:  # a swap: read the new publication's formats
        camp = metadata.get("x-camp") or {}
        _FORMATS["tables"] = camp.get("formats") or {}
        _FORMATS["metadata"] = metadata
    return _FORMATS["tables"].get(table or "*") or {}


@hookimpl
def render_cell(value: Any, column: str, table: str | None) -> str | None:
    return french_cell(value, column, cell_formats(table))


@hookimpl
def prepare_jinja2_environment(env: Environment) -> None:
    from . import french_templates

    if env.loader is not None:
        env.loader = ChoiceLoader([FileSystemLoader(str(TEMPLATES)), env.loader])
    french_templates.install(env)
