"""The README's `x-camp` property table is the one generated from descriptor.schema.json."""

from __future__ import annotations

import copy

from pipelines.catalog.load import _descriptor_schema
from pipelines.catalog.readme_table import BEGIN, property_table, rewrite
from tests.conftest import ROOT


def test_the_readme_table_is_generated_from_the_schema() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert rewrite(readme) == readme, (
        "README.md's x-camp table differs from descriptor.schema.json; "
        "run `python -m pipelines.catalog.readme_table`"
    )


def test_every_x_camp_property_of_the_schema_has_a_row_and_a_meaning() -> None:
    schema = _descriptor_schema()
    table = property_table(schema)
    resource = schema["properties"]["resources"]["items"]["properties"]["x-camp"]["properties"]
    for name in [*schema["properties"]["x-camp"]["properties"], *resource]:
        assert f"| `x-camp.{name}` |" in table
    for line in table.splitlines()[2:]:
        assert line.split("|")[3].strip(), f"no description in the schema for {line}"


def test_a_property_added_to_the_schema_shows_in_the_table() -> None:
    schema = copy.deepcopy(_descriptor_schema())
    schema["properties"]["x-camp"]["properties"]["owner"] = {"description": "Who keeps it."}
    assert "| `x-camp.owner` | dataset | Who keeps it. |" in property_table(schema)
    assert BEGIN in (ROOT / "README.md").read_text(encoding="utf-8")
