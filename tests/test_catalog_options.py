"""Reader options and marts are typed by JSON Schema: a misspelt key is an error, not ignored."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from pipelines.catalog.load import _descriptor_schema, load_dataset, load_mart
from pipelines.catalog.model import CatalogError
from pipelines.read import READERS

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog"


def _load_changed(tmp_path: Path, name: str, change) -> None:
    descriptor = yaml.safe_load((CATALOG / f"{name}.yaml").read_text(encoding="utf-8"))
    change(descriptor)
    (tmp_path / "catalog").mkdir(exist_ok=True)
    path = tmp_path / "catalog" / f"{name}.yaml"
    path.write_text(yaml.safe_dump(descriptor, allow_unicode=True), encoding="utf-8")
    load_dataset(path, root=ROOT)


def _read(descriptor: dict, index: int = 0) -> dict:
    return descriptor["resources"][index]["x-camp"]["read"]


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        (
            "decp",
            lambda d: _read(d).update(delimter=";"),
            r"decp.yaml: property `resources\[0\].x-camp.read.delimter`: unknown property; "
            r"expected one of .*`delimiter`",
        ),
        (
            "decp",
            lambda d: _read(d).update(delimiter=":"),
            r"property `resources\[0\].x-camp.read.delimiter`: ':' is not one of",
        ),
        (
            "voirie_montpellier",
            lambda d: _read(d)["coordinates"].pop("y"),
            r"property `resources\[0\].x-camp.read.coordinates`: .* \(\{x, y, crs",
        ),
        (
            "agenda_relais",
            lambda d: _read(d).pop("source"),
            r"property `resources\[0\].x-camp.read`: 'source' is a required property",
        ),
        (
            "agenda_relais",
            lambda d: _read(d).update(mask_contact=False),
            r"read.mask_contact`: unknown property; expected one of .*`mask_contacts`",
        ),
        (
            "decp_json",
            lambda d: _read(d).update(table="contrat"),
            r"read.table`: 'contrat' is not one of \['contrats', 'titulaires', 'modifications'\]",
        ),
        (
            "gtfs_star",
            lambda d: d["resources"][0]["x-camp"]["online_read"].update(extention=None),
            r"property `resources\[0\].x-camp.online_read.extention`: unknown property",
        ),
        (
            "bodacc",
            lambda d: _read(d).update(encoding="utf-8"),
            r"read.encoding`: unknown property; expected one of `format`",
        ),
        (
            "decp",
            lambda d: _read(d).update(format="xlsx"),
            r"read.format`: no reader for format `xlsx`; expected one of bodacc-xml, csv",
        ),
        (
            "stationnement",
            lambda d: d["resources"][0]["schema"].update(
                {"x-camp-coordinates": [{"latitude": "latitude", "longitude": "longitude"}]}
            ),
            r"schema.x-camp-coordinates`: Not accepted: declare the map columns once, "
            r"with the resource's `x-camp.map`",
        ),
        (
            "stationnement",
            lambda d: d["resources"][0]["x-camp"]["map"].update(lat="latitude"),
            r"x-camp.map.lat`: unknown property; expected one of `latitude`, `longitude`",
        ),
    ],
    ids=[
        "misspelt-csv-option",
        "bad-delimiter",
        "half-a-coordinate-pair",
        "openagenda-without-source",
        "misspelt-openagenda-option",
        "unknown-decp-table",
        "misspelt-online-read",
        "bodacc-takes-no-option",
        "unknown-reader",
        "second-way-to-declare-coordinates",
        "misspelt-map-axis",
    ],
)
def test_a_wrong_reader_option_names_file_property_and_expectation(
    tmp_path: Path, name: str, change, expected: str
) -> None:
    with pytest.raises(CatalogError, match=expected):
        _load_changed(tmp_path, name, change)


def _reader_formats() -> dict[str, dict]:
    defs = _descriptor_schema()["$defs"]
    return {
        key.removeprefix("read_"): value for key, value in defs.items() if key.startswith("read_")
    }


def test_every_reader_has_an_options_schema_and_no_schema_lacks_a_reader() -> None:
    assert sorted(_reader_formats()) == sorted(READERS)


# options a reader module takes from its caller's options, as the code spells them
_USED = re.compile(r"options(?:\.get\(|\[)\"([a-z_]+)\"")


@pytest.mark.parametrize("fmt", sorted(READERS))
def test_the_options_schema_names_what_the_reader_reads(fmt: str) -> None:
    """Drift guard: each option the reader reads is in its schema, and each in the schema is read
    (by the reader itself or the CSV parser and coordinate finder it delegates to)."""
    declared = set(_reader_formats()[fmt]["properties"]) - {"format"}
    source = (ROOT / "pipelines" / "read" / f"{READERS[fmt]}.py").read_text(encoding="utf-8")
    used = set(_USED.findall(source)) - {"format"}
    assert used <= declared, f"{fmt}: read but not in its schema: {sorted(used - declared)}"
    delegated = ""
    if "parse(" in source or "normalise(" in source:
        delegated = (ROOT / "pipelines" / "read" / "csv_file.py").read_text(encoding="utf-8")
    everything = set(_USED.findall(source + delegated))
    for option in declared:
        assert option in everything or f'"{option}"' in source, f"{fmt}: `{option}` is never read"


def test_a_mart_field_with_a_misspelt_key_is_refused(tmp_path: Path) -> None:
    spec = yaml.safe_load((CATALOG / "marts" / "decp__marches.yaml").read_text(encoding="utf-8"))
    broken = copy.deepcopy(spec)
    broken["fields"][1]["descripton"] = broken["fields"][1].pop("description")
    path = tmp_path / "decp__marches.yaml"
    path.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"property `fields\[1\].descripton`: unknown property"):
        load_mart(path)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda m: m.update(name="marches"), r"property `name`: 'marches' does not match"),
        (lambda m: m.update(depends_on=[]), r"property `depends_on`: \[\] should be non-empty"),
        (
            lambda m: m["fields"][0].update(type="entier"),
            r"property `fields\[0\].type`: 'entier' is not one",
        ),
        (lambda m: m.update(facet=["annee"]), r"property `facet`: unknown property"),
        (lambda m: m.update(facets=["an"]), r"property `facets`: expected a field of the schema"),
        (
            lambda m: m["fields"].append(dict(m["fields"][0])),
            r"property `fields`: duplicate field names \['uid'\]",
        ),
    ],
    ids=[
        "name-without-domain",
        "no-dependency",
        "bad-type",
        "misspelt-key",
        "unknown-facet",
        "duplicate-field",
    ],
)
def test_a_broken_mart_says_file_property_and_expectation(tmp_path: Path, change, expected) -> None:
    spec = yaml.safe_load((CATALOG / "marts" / "decp__marches.yaml").read_text(encoding="utf-8"))
    change(spec)
    path = tmp_path / "decp__marches.yaml"
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"decp__marches.yaml: " + expected):
        load_mart(path)
