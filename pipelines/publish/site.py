"""The hand-written parts of the site: dashboards and canned queries, one YAML file each.

`dashboards/<slug>.yaml` is one datasette-dashboards dashboard; `dashboards/queries/<name>.yaml`
is one canned query (`title`, `description`, `sql` with `:named` parameters, and `exemple`:
parameter values that return rows, offered as a link under the description). A dashboard or
query that reads a table absent from the publication is left out (and listed), never served
broken.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import yaml

DATABASE = "camp"
DASHBOARDS_DIR = Path(__file__).resolve().parents[2] / "dashboards"
# Map tiles are the one online resource; pages work without them.
TILE_LAYER = "https://{s}.tile.openstreetmap.org/{z}/{x}/{y}.png"

_TABLE = re.compile(r"\b((?:core|quarantine|errors|mart|meta)_[A-Za-z0-9_]+)\b")


@dataclass(frozen=True)
class Extras:
    dashboards: dict[str, Any] = field(default_factory=dict)
    queries: dict[str, Any] = field(default_factory=dict)
    examples: dict[str, dict[str, str]] = field(default_factory=dict)  # query -> `exemple`
    skipped: dict[str, list[str]] = field(default_factory=dict)  # file -> missing tables
    tile_layer: str = TILE_LAYER


def tables_used(spec: Any) -> set[str]:
    """Every published-table name a dashboard or query mentions in its SQL."""
    if isinstance(spec, dict):
        return set().union(*(tables_used(v) for v in spec.values())) if spec else set()
    if isinstance(spec, list):
        return set().union(*(tables_used(v) for v in spec)) if spec else set()
    if isinstance(spec, str):
        return {name.removesuffix("_fts") for name in _TABLE.findall(spec)}
    return set()


def _load(path: Path) -> dict[str, Any]:
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(spec, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return spec


def with_example_link(spec: dict[str, Any]) -> dict[str, Any]:
    """A canned query for Datasette: its `exemple` becomes a link that fills the form and
    runs it, under the description (Datasette shows an empty form and « 0 results » else)."""
    spec = dict(spec)
    example = spec.pop("exemple", None)
    if not example:
        return spec
    values = ", ".join(f"{key} = {value}" for key, value in example.items())
    link = f'<a href="?{html.escape(urlencode(example))}">Essayer avec l\'exemple</a>'
    spec["description_html"] = (
        f"<p>{html.escape(str(spec.get('description', '')))}</p>"
        f"<p>{link} ({html.escape(values)}).</p>"
    )
    return spec


def load_extras(published: set[str], folder: Path = DASHBOARDS_DIR) -> Extras:
    """Dashboards and canned queries whose tables are all published."""
    dashboards: dict[str, Any] = {}
    queries: dict[str, Any] = {}
    examples: dict[str, dict[str, str]] = {}
    skipped: dict[str, list[str]] = {}
    for path in sorted(folder.glob("*.yaml")):
        spec = _load(path)
        absent = sorted(tables_used(spec) - published)
        if absent:
            skipped[path.name] = absent
            continue
        for part in [*spec.get("charts", {}).values(), *spec.get("filters", {}).values()]:
            if "query" in part:
                part.setdefault("db", DATABASE)
        dashboards[path.stem] = spec
    for path in sorted((folder / "queries").glob("*.yaml")):
        spec = _load(path)
        absent = sorted(tables_used(spec) - published)
        if absent:
            skipped[f"queries/{path.name}"] = absent
            continue
        if spec.get("exemple"):
            examples[path.stem] = {k: str(v) for k, v in spec["exemple"].items()}
        queries[path.stem] = with_example_link(spec)
    return Extras(dashboards=dashboards, queries=queries, examples=examples, skipped=skipped)
