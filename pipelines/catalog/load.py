"""Load and check the dataset catalogue (`catalog/*.yaml`).

Each file is a Frictionless Data Package descriptor plus an `x-camp` extension. Loading
checks every descriptor against `descriptor.schema.json`, resolves fields inherited from
pinned official schemas (`x-camp-base`), and checks the resulting Table Schema with
frictionless. A wrong descriptor raises `CatalogError` naming the file, the property and
what was expected.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources as package_files
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .model import CatalogError, Dataset, Mart, Resource


@cache
def _descriptor_schema() -> dict[str, Any]:
    text = package_files.files("pipelines.catalog").joinpath("descriptor.schema.json").read_text()
    return json.loads(text)


def _where(path: Path, parts: Any) -> str:
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
    return f"{path}: property `{dotted.lstrip('.') or '(root)'}`"


def _check_structure(path: Path, descriptor: Any) -> None:
    validator = jsonschema.Draft202012Validator(_descriptor_schema())
    errors = sorted(validator.iter_errors(descriptor), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise CatalogError(f"{_where(path, first.absolute_path)}: {first.message}{more}")


def _resolve_fields(path: Path, index: int, schema: dict[str, Any]) -> dict[str, Any]:
    """Return a plain Table Schema, with inherited fields copied from the pinned base."""
    base_ref = schema.get("x-camp-base")
    base_fields: dict[str, dict[str, Any]] = {}
    if base_ref:
        base_path = path.parent / base_ref
        if not base_path.is_file():
            raise CatalogError(
                f"{_where(path, ['resources', index, 'schema', 'x-camp-base'])}: "
                f"expected a pinned schema file, found nothing at {base_path}"
            )
        base_fields = {f["name"]: f for f in json.loads(base_path.read_text())["fields"]}
    fields = []
    for position, spec in enumerate(schema["fields"]):
        where = _where(path, ["resources", index, "schema", "fields", position])
        spec = dict(spec)
        base_name = spec.pop("x-camp-base-field", None)
        if "type" not in spec:
            key = base_name or spec["name"]
            if key not in base_fields:
                raise CatalogError(
                    f"{where}: field `{spec['name']}` has no `type` and the base schema "
                    f"{base_ref or '(none declared)'} has no field `{key}` to inherit from"
                )
            spec = {**base_fields[key], **spec, "name": spec["name"]}
        if not str(spec.get("description") or "").strip():
            raise CatalogError(f"{where}: field `{spec['name']}` needs a French `description`")
        fields.append(spec)
    resolved = {k: v for k, v in schema.items() if k != "x-camp-base"}
    resolved["fields"] = fields
    return resolved


def _check_table_schema(path: Path, index: int, schema: dict[str, Any]) -> None:
    from frictionless import Schema  # heavy import, only when loading

    errors = Schema.validate_descriptor(schema).flatten(["message"])
    if errors:
        where = _where(path, ["resources", index, "schema"])
        raise CatalogError(f"{where}: not a valid Table Schema: {errors[0][0]}")
    names = [f["name"] for f in schema["fields"]]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CatalogError(
            f"{_where(path, ['resources', index, 'schema'])}: duplicate field names {duplicates}"
        )


def _check_columns(path: Path, index: int, names: list[str], extension: dict[str, Any]) -> None:
    """Every column named in the extension must be a field of the schema."""
    named: list[tuple[str, str]] = []
    for key in ("facets", "fts", "key_fields"):
        named += [(key, column) for column in extension.get(key, [])]
    if "label" in extension:
        named.append(("label", extension["label"]))
    for axis, column in (extension.get("map") or {}).items():
        named.append((f"map.{axis}", column))
    for key, column in named:
        if column not in names:
            raise CatalogError(
                f"{_where(path, ['resources', index, 'x-camp', key])}: "
                f"expected a field of the schema, found `{column}` (fields: {', '.join(names)})"
            )


def load_dataset(path: Path, root: Path | None = None) -> Dataset:
    """Load and check one descriptor; sample paths are resolved against `root`."""
    path = Path(path)
    root = Path(root) if root else path.parent.parent
    try:
        descriptor = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise CatalogError(f"{path}: not valid YAML: {error}") from error
    except UnicodeDecodeError as error:
        raise CatalogError(f"{path}: expected UTF-8 text: {error}") from error
    _check_structure(path, descriptor)
    if path.stem != descriptor["name"]:
        raise CatalogError(
            f"{_where(path, ['name'])}: expected `{path.stem}` (the file name), "
            f"found `{descriptor['name']}`"
        )
    extension = descriptor.get("x-camp", {})
    resources = []
    for index, spec in enumerate(descriptor["resources"]):
        schema = _resolve_fields(path, index, spec["schema"])
        _check_table_schema(path, index, schema)
        res_ext = spec.get("x-camp", {})
        _check_columns(path, index, [f["name"] for f in schema["fields"]], res_ext)
        resources.append(
            Resource(
                dataset=descriptor["name"],
                name=spec["name"],
                title=spec["title"],
                description=spec["description"],
                sample_path=root / spec["path"],
                format=spec.get("format") or Path(spec["path"]).suffix.lstrip(".") or "csv",
                schema=schema,
                online_url=res_ext.get("online_url"),
                online_headers=dict(res_ext.get("online_headers", {})),
                online_read=dict(res_ext.get("online_read", {})),
                online_pagination=res_ext.get("online_pagination"),
                offline_only_reason=res_ext.get("offline_only_reason"),
                read_options=dict(res_ext.get("read", {})),
                facets=tuple(res_ext.get("facets", ())),
                fts=tuple(res_ext.get("fts", ())),
                label=res_ext.get("label"),
                map_columns=res_ext.get("map"),
                key_fields=tuple(res_ext.get("key_fields", ())),
                checks=dict(res_ext.get("checks", {})),
                max_invalid_share=float(res_ext.get("publish", {}).get("max_invalid_share", 1.0)),
            )
        )
    names = [r.name for r in resources]
    if len(set(names)) != len(names):
        raise CatalogError(f"{_where(path, ['resources'])}: resource names must be unique")
    return Dataset(
        name=descriptor["name"],
        title=descriptor["title"],
        description=descriptor["description"],
        licenses=tuple(descriptor["licenses"]),
        sources=tuple(descriptor["sources"]),
        resources=tuple(resources),
        descriptor_path=path,
        schedule=extension.get("schedule"),
        max_age_hours=extension.get("max_age_hours"),
        homepage=descriptor.get("homepage"),
        descriptor=descriptor,
    )


_MART_REQUIRED = ("name", "title", "description", "depends_on", "sql", "fields")


def load_mart(path: Path) -> Mart:
    """Load and check one mart descriptor."""
    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise CatalogError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(spec, dict):
        raise CatalogError(f"{path}: expected a mapping at the top level")
    for key in _MART_REQUIRED:
        if not spec.get(key):
            raise CatalogError(f"{_where(path, [key])}: required, found nothing")
    if "__" not in spec["name"] or path.stem != spec["name"]:
        raise CatalogError(
            f"{_where(path, ['name'])}: expected `<domain>__<table>` equal to the file name "
            f"`{path.stem}`, found `{spec['name']}`"
        )
    for position, column in enumerate(spec["fields"]):
        if not column.get("name") or not str(column.get("description") or "").strip():
            raise CatalogError(
                f"{_where(path, ['fields', position])}: "
                "expected a `name` and a French `description`"
            )
    names = [c["name"] for c in spec["fields"]]
    _check_columns(path, 0, names, spec)
    return Mart(
        name=spec["name"],
        title=spec["title"],
        description=spec["description"],
        sql=spec["sql"],
        depends_on=tuple(spec["depends_on"]),
        fields=tuple(spec["fields"]),
        descriptor_path=path,
        facets=tuple(spec.get("facets", ())),
        fts=tuple(spec.get("fts", ())),
        label=spec.get("label"),
        map_columns=spec.get("map"),
    )


def load_marts(catalog_dir: Path) -> list[Mart]:
    """Load every `marts/*.yaml` of a catalogue folder (there may be none)."""
    return [load_mart(p) for p in sorted((Path(catalog_dir) / "marts").glob("*.yaml"))]


def load_catalog(catalog_dir: Path) -> list[Dataset]:
    """Load every `*.yaml` descriptor of a catalogue folder, sorted by name."""
    catalog_dir = Path(catalog_dir)
    paths = sorted(catalog_dir.glob("*.yaml"))
    if not paths:
        raise CatalogError(f"{catalog_dir}: expected at least one `*.yaml` descriptor, found none")
    return [load_dataset(p, root=catalog_dir.parent) for p in paths]
