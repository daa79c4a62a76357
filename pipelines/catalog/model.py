"""The catalogue's model: datasets, their resources and marts, and the one naming rule of
their tables. Built by `catalog.load` from `catalog/*.yaml`; read by every other layer.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LAYERS = ("raw", "core", "quarantine", "errors", "mart", "meta")


class CatalogError(ValueError):
    """A catalogue descriptor is wrong; the message says where and what was expected."""


def table_name(layer: str, dataset: str, resource: str) -> str:
    """The one name of a table: asset key, DuckDB table, SQLite table and Datasette URL."""
    if layer not in LAYERS:
        raise ValueError(f"unknown layer {layer!r}; expected one of {LAYERS}")
    return f"{layer}_{dataset}__{resource}"


@dataclass(frozen=True)
class Resource:
    """One table of a dataset, as the catalogue describes it."""

    dataset: str
    name: str
    title: str
    description: str
    sample_path: Path
    format: str
    schema: dict[str, Any]
    online_url: str | None = None  # may hold `${VAR}` placeholders (sources/template.py)
    online_headers: dict[str, str] = field(default_factory=dict)
    online_read: dict[str, Any] = field(default_factory=dict)  # merged over read_options
    online_pagination: str | None = None
    offline_only_reason: str | None = None  # why there is no online_url
    read_options: dict[str, Any] = field(default_factory=dict)
    facets: tuple[str, ...] = ()
    fts: tuple[str, ...] = ()
    label: str | None = None
    map_columns: dict[str, str] | None = None
    key_fields: tuple[str, ...] = ()
    checks: dict[str, Any] = field(default_factory=dict)
    max_invalid_share: float = 1.0

    def table(self, layer: str) -> str:
        return table_name(layer, self.dataset, self.name)

    @property
    def field_names(self) -> list[str]:
        return [f["name"] for f in self.schema["fields"]]


@dataclass(frozen=True)
class Dataset:
    """One catalogue descriptor: a dataset and its resources."""

    name: str
    title: str
    description: str
    licenses: tuple[dict[str, Any], ...]
    sources: tuple[dict[str, Any], ...]
    resources: tuple[Resource, ...]
    descriptor_path: Path
    schedule: str | None = None
    max_age_hours: float | None = None
    homepage: str | None = None
    attribution: str | None = None  # the credit the licence requires, in French
    descriptor: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def resource(self, name: str) -> Resource:
        for resource in self.resources:
            if resource.name == name:
                return resource
        raise KeyError(f"dataset {self.name!r} has no resource {name!r}")


@dataclass(frozen=True)
class Mart:
    """A derived table answering a hackathon question, from `catalog/marts/*.yaml`.

    `name` is `<domain>__<table>`; the table is `mart_<name>`.
    """

    name: str
    title: str
    description: str
    sql: str
    depends_on: tuple[str, ...]
    fields: tuple[dict[str, Any], ...]
    descriptor_path: Path
    facets: tuple[str, ...] = ()
    fts: tuple[str, ...] = ()
    label: str | None = None
    map_columns: dict[str, str] | None = None

    @property
    def table(self) -> str:
        return f"mart_{self.name}"
