"""Every descriptor of the catalogue loads and keeps the catalogue's rules."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pipelines.catalog.load import load_catalog, load_dataset, load_marts
from pipelines.catalog.model import CatalogError, table_name

ROOT = Path(__file__).resolve().parent.parent
CATALOG = ROOT / "catalog"
DESCRIPTORS = sorted(CATALOG.glob("*.yaml"))
NAME = re.compile(r"^(raw|core|quarantine|errors|mart|meta)_[a-z][a-z0-9_]*__[a-z][a-z0-9_]*$")


@pytest.mark.parametrize("path", DESCRIPTORS, ids=[p.stem for p in DESCRIPTORS])
def test_descriptor_loads_and_is_complete(path: Path) -> None:
    dataset = load_dataset(path, root=ROOT)
    assert dataset.licenses and dataset.sources
    for resource in dataset.resources:
        assert resource.sample_path.is_file(), f"{path.name}: sample {resource.sample_path} missing"
        assert resource.sample_path.is_relative_to(ROOT / "datasets")
        for field in resource.schema["fields"]:
            assert field.get("description", "").strip(), f"{field['name']} has no description"
            assert field.get("type"), f"{field['name']} has no type"
        for layer in ("raw", "core", "quarantine", "errors"):
            assert NAME.match(resource.table(layer)), resource.table(layer)


def test_catalog_names_are_unique() -> None:
    datasets = load_catalog(CATALOG)
    names = [r.table("core") for d in datasets for r in d.resources]
    names += [m.table for m in load_marts(CATALOG)]
    assert len(names) == len(set(names))
    assert all(NAME.match(n) for n in names)


def test_table_name_scheme() -> None:
    assert table_name("core", "decp", "marches") == "core_decp__marches"
    with pytest.raises(ValueError, match="unknown layer"):
        table_name("gold", "decp", "marches")


def test_decp_inherits_the_pinned_official_field() -> None:
    decp = load_dataset(CATALOG / "decp.yaml", root=ROOT).resource("marches")
    fields = {f["name"]: f for f in decp.schema["fields"]}
    official = yaml.safe_load((CATALOG / "schemas" / "decp-tabulaire-2.0.0.json").read_text())
    base = {f["name"]: f for f in official["fields"]}
    assert fields["montant"]["type"] == base["montant"]["type"] == "number"
    assert (
        fields["titulaire_nom"]["description"]
        == base["titulaire_denominationSociale"]["description"]
    )


def _write(tmp_path: Path, descriptor: dict, name: str = "demo") -> Path:
    (tmp_path / "catalog").mkdir(exist_ok=True)
    (tmp_path / "datasets").mkdir(exist_ok=True)
    path = tmp_path / "catalog" / f"{name}.yaml"
    path.write_text(yaml.safe_dump(descriptor, allow_unicode=True))
    return path


def _good() -> dict:
    return {
        "name": "demo",
        "title": "Démo",
        "description": "Un jeu de démonstration.",
        "licenses": [{"name": "etalab-2.0", "title": "Licence Ouverte 2.0"}],
        "sources": [{"title": "Source", "path": "https://example.org/demo.csv"}],
        "resources": [
            {
                "name": "lignes",
                "title": "Lignes",
                "description": "Des lignes.",
                "path": "datasets/demo.csv",
                "schema": {"fields": [{"name": "a", "type": "integer", "description": "Un."}]},
            }
        ],
    }


def test_a_good_descriptor_loads(tmp_path: Path) -> None:
    dataset = load_dataset(_write(tmp_path, _good()), root=tmp_path)
    assert dataset.resource("lignes").table("core") == "core_demo__lignes"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: d["resources"][0].update(
                {"x-camp": {"checks": {"quality": {"max_row_drop": 2}}}}
            ),
            r"property `resources\[0\].x-camp.checks.quality.max_row_drop`: 2 is greater than",
        ),
        (lambda d: d.pop("licenses"), r"demo.yaml: property `\(root\)`: 'licenses' is a required"),
        (
            lambda d: d["resources"][0]["schema"]["fields"][0].update(description=""),
            r"property `resources\[0\].schema.fields\[0\]`: field `a` needs a French `description`",
        ),
        (
            lambda d: d["resources"][0]["schema"]["fields"][0].update(type="entier"),
            r"property `resources\[0\].schema`: not a valid Table Schema",
        ),
        (
            lambda d: d["resources"][0].update({"x-camp": {"facets": ["b"]}}),
            r"property `resources\[0\].x-camp.facets`: expected a field of the schema, found `b`",
        ),
        (
            lambda d: d["sources"][0].update(path="data.gouv.fr"),
            r"property `sources\[0\].path`: 'data.gouv.fr' does not match",
        ),
        (lambda d: d.update(name="Demo"), r"property `name`: 'Demo' does not match"),
        (
            lambda d: d["resources"][0].update({"x-camp": {"shedule": "0 6 * * *"}}),
            r"property `resources\[0\].x-camp.shedule`: unknown property; expected one of `checks`",
        ),
    ],
    ids=[
        "quality-threshold-over-1",
        "no-licence",
        "no-description",
        "bad-type",
        "unknown-facet",
        "relative-source",
        "bad-name",
        "misspelt-key",
    ],
)
def test_a_broken_descriptor_says_file_property_and_expectation(
    tmp_path: Path, change, expected: str
) -> None:
    descriptor = _good()
    change(descriptor)
    with pytest.raises(CatalogError, match=expected):
        load_dataset(_write(tmp_path, descriptor), root=tmp_path)


def test_inheriting_a_field_the_base_lacks_is_explained(tmp_path: Path) -> None:
    descriptor = _good()
    (tmp_path / "catalog" / "schemas").mkdir(parents=True)
    (tmp_path / "catalog" / "schemas" / "base.json").write_text('{"fields": []}')
    descriptor["resources"][0]["schema"] = {
        "x-camp-base": "schemas/base.json",
        "fields": [{"name": "montant"}],
    }
    with pytest.raises(CatalogError, match="has no `type` and the base schema .* has no field"):
        load_dataset(_write(tmp_path, descriptor), root=tmp_path)


def test_invalid_yaml_is_reported_with_the_file(tmp_path: Path) -> None:
    (tmp_path / "catalog").mkdir()
    path = tmp_path / "catalog" / "demo.yaml"
    path.write_text("name: [unclosed\n")
    with pytest.raises(CatalogError, match=r"demo.yaml: not valid YAML"):
        load_dataset(path, root=tmp_path)


RESOURCES = [(d.name, r) for d in load_catalog(CATALOG) for r in d.resources]
RAW_GITHUB = re.compile(r"^https://raw\.githubusercontent\.com/[^/]+/[^/]+/([^/]+)/.+")


@pytest.mark.parametrize(
    "resource", [r for _, r in RESOURCES], ids=[f"{d}.{r.name}" for d, r in RESOURCES]
)
def test_every_resource_has_a_real_online_source_or_says_why_not(resource) -> None:
    """Issue #3: a setting switches any dataset to its online source; none is guessed."""
    if resource.online_url is None:
        assert resource.offline_only_reason, f"{resource.table('raw')}: no online_url, no reason"
        return
    assert not resource.offline_only_reason
    assert resource.online_url.startswith("https://"), resource.online_url
    pinned = RAW_GITHUB.match(resource.online_url)
    if resource.online_url.startswith("https://raw.githubusercontent.com/"):
        assert pinned and re.fullmatch(r"[0-9a-f]{40}", pinned.group(1)), (
            f"{resource.online_url}: pin raw GitHub files to a 40-hex commit, not a branch or tag"
        )
    # A secret is named, never written: any key/token value is a `${VAR}` placeholder.
    for name, value in resource.online_headers.items():
        assert re.fullmatch(r"\$\{[A-Z][A-Z0-9_]*\}", value), f"header {name}: {value!r}"
    assert not re.search(r"[?&](key|token|apikey)=(?!\$\{)", resource.online_url, re.I)


def test_a_descriptor_cannot_give_both_an_online_url_and_a_reason(tmp_path: Path) -> None:
    spec = yaml.safe_load((CATALOG / "voirie_montpellier.yaml").read_text(encoding="utf-8"))
    spec["resources"][0]["x-camp"]["offline_only_reason"] = "no online source for this one"
    path = tmp_path / "catalog" / "voirie_montpellier.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    with pytest.raises(CatalogError, match=r"resources\[0\]\.x-camp"):
        load_dataset(path, root=ROOT)
