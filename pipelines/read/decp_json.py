"""Reader for the official DECP JSON format (v2.0.x and v1.5), one linked table per call.

Options (`x-camp.read` of each resource; all resources point at the same file):

  format: decp-json
  table: contrats | titulaires | modifications
  json_schemas: {"2.0": path, "1.5": path}   # pinned official JSON Schemas, relative to
                                             # the catalogue folder (defaults below)

The version is detected from the root shape: `{"marches": {"marche": [...],
"contrat-concession": [...]}}` is 2.0, `{"marches": [...]}` is 1.5. Every record is
validated against its official JSON Schema definition (`marche` or `contrat-concession`);
a record that fails is kept, its rows carrying the French messages, as a JSON list, in
`erreurs_schema_json` (the descriptor forbids a non-empty value, so the validator
quarantines those rows with their messages instead of dropping them). `pointeur_json` says
where each row came from in the file. `_row` numbers the rows of the table from 1.
"""

from __future__ import annotations

import json
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

import polars as pl
from jsonschema.validators import validator_for

from . import ReadError, ReadResult
from .decp_flatten import CONCESSION, MARCHE, TABLES, TRACE_COLUMNS, Record, flatten
from .jsonschema_fr import french_errors

DEFAULT_SCHEMAS = {"2.0": "schemas/decp-json-2.0.3.json", "1.5": "schemas/decp-json-1.5.0.json"}
V2_LISTS = {"marche": MARCHE, "contrat-concession": CONCESSION}
V1_TYPES = {"Marché": MARCHE, "Contrat de concession": CONCESSION}


def _catalog_dir() -> Path:
    from ..settings import get_settings  # read the environment only when reading a file

    return get_settings().catalog_dir


def inline_refs(node: Any, root: dict[str, Any], depth: int = 0) -> Any:
    """The schema with local `$ref`s replaced by their targets (draft-04/07 semantics:
    keywords beside a `$ref` are ignored). jsonschema validates such a tree about 1.6 times
    faster, which matters on national files of hundreds of thousands of records."""
    if depth > 64:
        raise ValueError("recursive $ref in the pinned DECP schema; cannot inline it")
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part]
            return inline_refs(target, root, depth + 1)
        return {k: inline_refs(v, root, depth) for k, v in node.items() if k != "definitions"}
    if isinstance(node, list):
        return [inline_refs(v, root, depth) for v in node]
    return node


@cache
def _schema(schema_path: Path, definition: str) -> tuple[dict[str, Any], type]:
    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    return inline_refs(schema["definitions"][definition], schema), validator_for(schema)


@cache
def _validator(schema_path: Path, definition: str) -> Any:
    """jsonschema's validator: every error, with its path, for the French messages."""
    tree, cls = _schema(schema_path, definition)
    return cls(tree)


@cache
def _fast_check(schema_path: Path, definition: str) -> Any:
    """A compiled yes/no check (fastjsonschema, about 20 times faster), or None if the
    package is not installed. Only records it rejects go through jsonschema."""
    try:
        import fastjsonschema
    except ImportError:
        return None
    tree, cls = _schema(schema_path, definition)
    draft = cls.META_SCHEMA.get("$schema", "")
    return fastjsonschema.compile({**tree, "$schema": draft}, use_default=False)


def detect_version(path: Path, document: Any) -> str:
    """`2.0` or `1.5` from the root shape; anything else is not a DECP JSON file."""
    marches = document.get("marches") if isinstance(document, dict) else None
    if isinstance(marches, dict):
        return "2.0"
    if isinstance(marches, list):
        return "1.5"
    found = type(marches).__name__ if marches is not None else "no `marches` key"
    raise ReadError(
        f"{path}, line 1: expected a DECP JSON root `marches` (an object in v2.0, a list in "
        f"v1.5), found {found}"
    )


def _v1_kind(item: Any) -> str:
    if isinstance(item, dict):
        if item.get("_type") in V1_TYPES:
            return V1_TYPES[item["_type"]]
        if "autoriteConcedante" in item or "concessionnaires" in item:
            return CONCESSION
    return MARCHE


def records(path: Path, document: Any, version: str) -> list[Record]:
    """The contracts of the file, in file order: marchés then concessions for v2.0."""
    found: list[Record] = []
    marches = document["marches"]
    if version == "2.0":
        for key, kind in V2_LISTS.items():
            values = marches.get(key) or []
            if not isinstance(values, list):
                raise ReadError(
                    f"{path}: expected a list at /marches/{key}, found {type(values).__name__}"
                )
            for index, item in enumerate(values):
                found.append(Record(version, kind, f"/marches/{key}/{index}", item, []))
    else:
        for index, item in enumerate(marches):
            found.append(Record(version, _v1_kind(item), f"/marches/{index}", item, []))
    return found


def validate(records_: list[Record], schema_path: Path) -> int:
    """Attach French JSON Schema messages to each record; returns the invalid count."""
    invalid = 0
    for record in records_:
        definition = "marche" if record.kind == MARCHE else "contrat-concession"
        fast = _fast_check(schema_path, definition)
        if fast is not None:
            try:
                fast(record.data)
                continue  # valid: no need for the slow, detailed pass
            except Exception:  # noqa: BLE001 (JsonSchemaException or a crash on odd data)
                pass
        validator = _validator(schema_path, definition)
        record.errors = french_errors(validator.iter_errors(record.data), record.pointer)
        invalid += bool(record.errors)
    return invalid


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as error:
        raise ReadError(f"{path}: cannot open the file: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise ReadError(f"{path}: expected UTF-8 JSON, byte {error.start} is not") from error
    except json.JSONDecodeError as error:
        raise ReadError(
            f"{path}, line {error.lineno}, column {error.colno}: not valid JSON: {error.msg}"
        ) from error


@lru_cache(maxsize=2)
def _validated(path: Path, stamp: tuple[int, int], schemas: tuple[tuple[str, str], ...]) -> Any:
    """Parse and validate a file once for its three tables (`stamp`: mtime and size)."""
    document = _load(path)
    version = detect_version(path, document)
    schema_path = Path(dict(schemas)[version])
    if not schema_path.is_absolute():
        schema_path = _catalog_dir() / schema_path
    found = records(path, document, version)
    invalid = validate(found, schema_path)
    return version, schema_path, found, invalid


def read(path: Path, options: dict[str, Any]) -> ReadResult:
    table = options.get("table")
    if table not in TABLES:
        raise ReadError(f"{path}: `read.table` must be one of {', '.join(TABLES)}, found {table!r}")
    try:
        stat = path.stat()
    except OSError as error:
        raise ReadError(f"{path}: cannot open the file: {error.strerror}") from error
    schemas = tuple(sorted({**DEFAULT_SCHEMAS, **(options.get("json_schemas") or {})}.items()))
    version, schema_path, found, invalid = _validated(
        path.resolve(), (stat.st_mtime_ns, stat.st_size), schemas
    )
    columns = TABLES[table] + TRACE_COLUMNS
    rows: list[dict[str, str | None]] = []
    for record in found:
        errors = json.dumps(record.errors, ensure_ascii=False) if record.errors else None
        for name, pointer, row in flatten(record):
            if name == table:
                rows.append({**row, "pointeur_json": pointer, "erreurs_schema_json": errors})
    frame = pl.DataFrame(rows, schema={c: pl.String for c in columns})
    frame = frame.with_columns(pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias("_row"))
    detection = {
        "version_format": version,
        "json_schema": schema_path.name,
        "table": table,
        "records": len(found),
        "records_invalid": invalid,
        "rows": frame.height,
    }
    return ReadResult(frame=frame, detection=detection)
