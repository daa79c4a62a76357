"""Every dashboard panel and canned query has an invariant test in a `test_answers_*` module,
and every canned query carries an example (`exemple`) that returns rows."""

from __future__ import annotations

import importlib

import pytest

from tests.answers import ROOT, all_answer_keys, canned_query, query_rows

pytestmark = pytest.mark.slow


def declared_keys() -> dict[str, str]:
    keys: dict[str, str] = {}
    for path in sorted((ROOT / "tests").glob("test_answers_*.py")):
        module = importlib.import_module(f"tests.{path.stem}")
        for key in getattr(module, "ANSWERS", {}):
            assert key not in keys, f"{key} checked in both {keys.get(key)} and {path.name}"
            keys[key] = path.name
    return keys


def test_every_panel_and_canned_query_has_an_invariant_test() -> None:
    declared = declared_keys()
    assert sorted(all_answer_keys() - declared.keys()) == []
    assert sorted(declared.keys() - all_answer_keys()) == []  # no check of a removed panel


@pytest.mark.parametrize(
    "name", sorted(p.stem for p in (ROOT / "dashboards" / "queries").glob("*.yaml"))
)
def test_canned_query_example_returns_rows(published, name: str) -> None:
    spec = canned_query(name)
    assert isinstance(spec.get("exemple"), dict) and spec["exemple"], f"{name}: no `exemple`"
    assert query_rows(published, name), f"{name}: its example {spec['exemple']} returns no row"
