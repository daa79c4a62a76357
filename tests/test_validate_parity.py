"""Differential tests: our engine and frictionless-py find the same (row, field, type) set.

On the real DECP sample of the catalogue, on small fixtures named for their traps, and on
hypothesis-generated tables mixing valid and invalid cells of every compiled type.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipelines.catalog.load import load_catalog
from tests.test_validate_helpers import ours, theirs

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).parent / "fixtures" / "validate"


def fixture(name: str) -> tuple[str, dict]:
    text = (FIXTURES / f"{name}.csv").read_text(encoding="utf-8")
    return text, json.loads((FIXTURES / f"{name}.schema.json").read_text(encoding="utf-8"))


def test_decp_sample_same_errors_as_frictionless(tmp_path: Path) -> None:
    datasets = {d.name: d for d in load_catalog(ROOT / "catalog")}
    resource = datasets["decp"].resource("marches")
    text = resource.sample_path.read_text(encoding="utf-8")
    found, report, _ = ours(text, resource.schema)
    expected = theirs(text, resource.schema, tmp_path)
    assert len(expected) > 100  # the sample has real errors: the comparison is not empty
    assert found == expected
    assert report.rows_read == text.count("\n") - 1


@pytest.mark.parametrize("name", ["types-traps", "keys-unique-primary", "decimal-comma"])
def test_fixture_same_errors_as_frictionless(name: str, tmp_path: Path) -> None:
    text, schema = fixture(name)
    found, _, _ = ours(text, schema)
    expected = theirs(text, schema, tmp_path)
    assert expected, "the fixture is meant to contain errors"
    assert found == expected


HEADER_CASES = {
    "renamed at same position": "a,B\n1,x\n2,3\n",
    "extra column at the end": "a,b,c\n1,2,3\n4,x,6\n",
    "missing column at the end": "a\n1\nx\n",
}


@pytest.mark.parametrize("text", HEADER_CASES.values(), ids=HEADER_CASES.keys())
def test_header_errors_same_as_frictionless(text: str, tmp_path: Path) -> None:
    schema = {"fields": [{"name": "a", "type": "integer"},
                         {"name": "b", "type": "integer", "constraints": {"required": True}}]}
    found, _, _ = ours(text, schema)
    assert found == theirs(text, schema, tmp_path)


TOKENS = {
    "integer": ["1", "+1", "-7", " 3 ", "1_000", "01", "12.5", "1e3", "0x10", "1,000", "-",
                "", "1__0", "_1", "9" * 18, "NaN"],
    "number": ["1", "1.5", ".5", "5.", "-0", "1e3", "1E-2", "NaN", "inf", "-Infinity", "1,5",
               "1_000.5", "abc", ".", "", " 2.5 ", "1e", "1.2.3", "+.5"],
    "boolean": ["true", "True", "TRUE", "1", "false", "0", "yes", "oui", "", " true"],
    "date": ["2024-01-31", "2024-1-5", "2023-02-30", "2024-02-29", "2023-02-29", "24-01-01",
             "2024/01/01", "2024-01-01 ", " 2024-01-01", "0000-01-01", "2024-13-01", "", "x"],
    "year": ["2024", "0999", "+123", "-123", "99", "20245", "2_00", "abcd", ""],
    "string": ["AB", "A", "ABC", "ab", "Z9", "", "É", "AB\u00e9"],
}
SCHEMA = {
    "fields": [
        {"name": "i", "type": "integer", "constraints": {"minimum": 0, "maximum": 100}},
        {"name": "n", "type": "number", "constraints": {"required": True, "maximum": 10}},
        {"name": "b", "type": "boolean"},
        {"name": "d", "type": "date", "constraints": {"minimum": "2024-01-01"}},
        {"name": "y", "type": "year", "constraints": {"enum": [2024, 1999]}},
        {"name": "s", "type": "string",
         "constraints": {"pattern": "[A-Z]{2}|Z9", "maxLength": 2, "unique": True}},
    ]
}


def _csv_cell(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if value else ""


rows = st.lists(
    st.tuples(*(st.sampled_from(TOKENS[f["type"]]) for f in SCHEMA["fields"])),
    min_size=1, max_size=12,
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows)
def test_generated_tables_same_errors_as_frictionless(tmp_path: Path, body: list) -> None:
    header = ",".join(f["name"] for f in SCHEMA["fields"])
    text = header + "\n" + "".join(",".join(map(_csv_cell, r)) + "\n" for r in body)
    found, _, _ = ours(text, SCHEMA)
    assert found == theirs(text, SCHEMA, tmp_path)
