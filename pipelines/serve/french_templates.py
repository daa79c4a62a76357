"""Datasette's and its plugins' own templates, in French, without copying them.

A Jinja loader wraps the one Datasette builds: when a template is loaded, the exact English
snippets listed for its file in `french_ui.yaml` are replaced by their French version, then
Jinja compiles and caches it as usual (no cost per request). Strings Datasette builds in
Python (filter operators, menu labels, the sentence describing the filtered rows) go through
the small filters registered here. Installed from `prepare_jinja2_environment`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jinja2 import BaseLoader, Environment

from .. import french

log = logging.getLogger(__name__)
REPLACEMENTS_FILE = Path(__file__).with_name("french_ui.yaml")


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    return yaml.safe_load(REPLACEMENTS_FILE.read_text(encoding="utf-8"))


def replacements() -> dict[str, list[tuple[str, str]]]:
    """`<package>/templates/<file>` → its (English, French) pairs, in order."""
    templates = _data()["templates"]
    return {k: [(str(old), str(new)) for old, new in pairs] for k, pairs in templates.items()}


def script_texts() -> dict[str, dict[str, Any]]:
    """`<package>/static/<file>` → `text` (English → French) and `patterns`
    ([English found in the file, JavaScript regular expression, replacement])."""
    return dict(_data()["scripts"])


def template_key(filename: str | None) -> str | None:
    """`…/site-packages/datasette/templates/table.html` → `datasette/templates/table.html`."""
    if not filename:
        return None
    parts = Path(filename).parts
    return "/".join(parts[-3:]) if len(parts) >= 3 else None


def translate(key: str | None, source: str) -> tuple[str, list[str]]:
    """The French source of one template, and the English snippets not found in it."""
    missing = []
    for old, new in replacements().get(key or "", []):
        if old not in source:
            missing.append(old)
            continue
        source = source.replace(old, new)
    return source, missing


class FrenchLoader(BaseLoader):
    """Loads through `inner`, then puts the template's French replacements in."""

    def __init__(self, inner: BaseLoader) -> None:
        self.inner = inner

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        source, filename, uptodate = self.inner.get_source(environment, template)
        key = template_key(filename)
        if key in replacements():
            source, missing = translate(key, source)
            if missing:  # an upgraded template: English shows again; the tests fail
                log.warning("camp: %s: English snippets not found: %s", key, missing)
        return source, filename, uptodate

    def list_templates(self) -> list[str]:
        return self.inner.list_templates()


def rows_description(
    filters: Any, search: str | None = None, sort: str | None = None, sort_desc: str | None = None
) -> str:
    """French for Datasette's `human_description_en`, rebuilt from the same filters."""
    selections = list(filters.selections()) if filters is not None else []
    return french.describe_rows(selections, search or None, sort or None, sort_desc or None)


def install(env: Environment) -> None:
    """Translate every template `env` loads, and add the filters the replacements use."""
    if env.loader is not None and not isinstance(env.loader, FrenchLoader):
        env.loader = FrenchLoader(env.loader)
    env.filters["camp_label"] = french.label
    env.filters["camp_int"] = french.integer
    env.filters["camp_count"] = french.count
    env.filters["camp_decimal"] = french.decimal
    env.filters["camp_size"] = french.size
    env.filters["camp_paris_time"] = french.paris_time_long
    env.globals["camp_rows_description"] = rows_description
