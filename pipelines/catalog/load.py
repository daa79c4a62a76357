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
def _package_schema(name: str) -> dict[str, Any]:
    return json.loads(package_files.files("pipelines.catalog").joinpath(name).read_text())


def _descriptor_schema() -> dict[str, Any]:
    return _package_schema("descriptor.schema.json")


def _mart_schema() -> dict[str, Any]:
    return _package_schema("mart.schema.json")


def _where(path: Path, parts: Any) -> str:
    dotted = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)
    return f"{path}: property `{dotted.lstrip('.') or '(root)'}`"


def _explain(error: jsonschema.ValidationError) -> tuple[list[Any], str]:
    """The property an error is about and what was expected there, for a person."""
    at = list(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        known = sorted(schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(known))
        expected = ", ".join(f"`{k}`" for k in known) or "no property"
        return [*at, unknown[0]], f"unknown property; expected one of {expected}"
    if error.validator == "not" and schema.get("description"):
        return at, schema["description"]
    hint = f" ({schema['description']})" if schema.get("description") else ""
    return at, f"{error.message}{hint}"


def _check_against(path: Path, instance: Any, schema: dict[str, Any], prefix: list[Any]) -> None:
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        at, message = _explain(errors[0])
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise CatalogError(f"{_where(path, [*prefix, *at])}: {message}{more}")


def _check_structure(path: Path, descriptor: Any) -> None:
    _check_against(path, descriptor, _descriptor_schema(), [])


def reader_format(spec: dict[str, Any]) -> str:
    """The reader a resource is read with: `read.format`, else the resource's `format`."""
    read = (spec.get("x-camp") or {}).get("read") or {}
    return (
        read.get("format") or spec.get("format") or Path(spec["path"]).suffix.lstrip(".") or "csv"
    )


def _check_read_options(path: Path, index: int, spec: dict[str, Any]) -> None:
    """`read` (and `read` with `online_read` over it) must be options of the chosen reader."""
    extension = spec.get("x-camp") or {}
    fmt = reader_format(spec)
    defs = _descriptor_schema()["$defs"]
    where = ["resources", index, "x-camp"]
    if f"read_{fmt}" not in defs:
        known = ", ".join(sorted(d.removeprefix("read_") for d in defs if d.startswith("read_")))
        raise CatalogError(
            f"{_where(path, [*where, 'read', 'format'])}: no reader for format `{fmt}`; "
            f"expected one of {known}"
        )
    schema = {**defs[f"read_{fmt}"], "$defs": defs}
    read = dict(extension.get("read") or {})
    _check_against(path, read, schema, [*where, "read"])
    if "online_read" in extension:
        merged = {**read, **extension["online_read"]}
        _check_against(path, merged, schema, [*where, "online_read"])


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


def _check_columns(
    path: Path, prefix: list[Any], names: list[str], extension: dict[str, Any]
) -> None:
    """Every column named in the extension (at `prefix`) must be a field of the schema."""
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
                f"{_where(path, [*prefix, key])}: "
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
        _check_read_options(path, index, spec)
        schema = _resolve_fields(path, index, spec["schema"])
        _check_table_schema(path, index, schema)
        res_ext = spec.get("x-camp", {})
        _check_columns(
            path, ["resources", index, "x-camp"], [f["name"] for f in schema["fields"]], res_ext
        )
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
        attribution=" ".join(str(extension.get("attribution") or "").split()) or None,
        descriptor=descriptor,
    )


def load_mart(path: Path) -> Mart:
    """Load and check one mart descriptor."""
    path = Path(path)
    try:
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise CatalogError(f"{path}: not valid YAML: {error}") from error
    _check_against(path, spec, _mart_schema(), [])
    if path.stem != spec["name"]:
        raise CatalogError(
            f"{_where(path, ['name'])}: expected `<domain>__<table>` equal to the file name "
            f"`{path.stem}`, found `{spec['name']}`"
        )
    names = [c["name"] for c in spec["fields"]]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise CatalogError(f"{_where(path, ['fields'])}: duplicate field names {duplicates}")
    _check_columns(path, [], names, spec)
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
