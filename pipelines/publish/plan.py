"""Which tables a publication holds, and what the catalogue says about each of them.

Everything the snapshot writer, the Datasette metadata and the downloads need about a table is
gathered here once, from the catalogue (`Dataset`, `Mart`) or, for `meta_*` tables, from the
warehouse's own column comments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb

from ..catalog.meta_tables import meta_schema, meta_table_names
from ..catalog.model import Dataset, Mart, table_name

# French descriptions of the columns the pipeline adds to every layer.
TECHNICAL_COLUMNS: dict[str, str] = {
    "_row": "Numéro de la ligne dans la source, compté comme Frictionless : 1 = en-tête, "
    "2 = première ligne de données (pour un JSON : rang de l'enregistrement).",
    "_erreurs": "Messages d'erreur de validation de la ligne, en français.",
    "_types_erreur": "Types d'erreur Frictionless de la ligne (type-error, constraint-error…).",
    "champ": "Colonne où l'erreur a été trouvée.",
    "type": "Type d'erreur Frictionless (type-error, constraint-error, missing-cell…).",
    "message": "Explication de l'erreur en français : ce qui était attendu, ce qui a été trouvé.",
}

LAYER_TITLES = {
    "core": "{title}",
    "quarantine": "{title} — lignes en quarantaine",
    "errors": "{title} — erreurs de validation",
}

LAYER_DESCRIPTIONS = {
    "core": "{description}",
    "quarantine": (
        "Lignes rejetées par la validation, telles que lues dans la source (texte brut), "
        "avec la liste de leurs erreurs. Elles ne sont pas dans la table principale "
        "`{core}`."
    ),
    "errors": (
        "Une ligne par erreur de validation trouvée dans la source de `{core}` : ligne, "
        "colonne, type d'erreur et explication."
    ),
}


@dataclass(frozen=True)
class TablePlan:
    """A table to publish: its name and everything the catalogue says about it."""

    name: str
    layer: str
    title: str
    description: str
    columns: dict[str, str] = field(default_factory=dict)  # name -> French description
    units: dict[str, str] = field(default_factory=dict)
    facets: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()  # columns filtered on often: indexed too
    fts: tuple[str, ...] = ()
    label: str | None = None
    map_columns: dict[str, str] | None = None
    dataset: Dataset | None = None
    source_table: str | None = None  # core table a quarantine/errors table belongs to

    ranges: tuple[str, ...] = ()  # date columns filtered by range along with facets
    # The Table Schema fields of the table as published (datapackage.json), when known.
    fields: tuple[dict[str, Any], ...] = ()
    # The credits the licences of the table's sources require (ODbL…), in French.
    attributions: tuple[str, ...] = ()

    @property
    def index_columns(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys([*self.facets, *self.filters]))

    @property
    def indexes(self) -> tuple[tuple[str, ...], ...]:
        """Columns of each index to build, leading column first.

        A participant clicks a facet value (often with a date range) and reads the other
        facets: per facet, one index led by it that also holds the other facets and the date
        columns answers the count and every other facet from the index alone, instead of one
        scattered table lookup per matching row (20x faster at 1M rows). It also serves
        sorting and filtering on its leading column. Other filters get one column each.
        """
        facets = tuple(dict.fromkeys(self.facets))
        covering = tuple(
            (facet, *(f for f in facets if f != facet), *(r for r in self.ranges if r != facet))
            for facet in facets
        )
        singles = tuple((c,) for c in dict.fromkeys(self.filters) if c not in facets)
        return covering + singles


# Columns people filter on by range: indexed. (Integers that matter are facets already.)
_FILTER_TYPES = {"number", "date", "datetime", "year", "yearmonth"}
# Date columns carried in the facet indexes (the first ones of the schema, at most this many).
_RANGE_TYPES = {"date", "datetime"}
MAX_RANGE_COLUMNS = 2


def _field_docs(fields: list[dict[str, Any]]) -> tuple[dict[str, str], dict[str, str]]:
    columns = {f["name"]: str(f.get("description") or "").strip() for f in fields}
    units = {f["name"]: str(f["unit"]) for f in fields if f.get("unit")}
    return columns, units


_ROW_FIELD = {"name": "_row", "type": "integer", "description": TECHNICAL_COLUMNS["_row"]}


def _text_field(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "type": "string", "description": description}


# How the *source* spells values: the published CSV writes ISO dates, `.` decimals and
# true/false, so these keys would misdescribe it.
_SOURCE_SPELLING = {"trueValues", "falseValues", "decimalChar", "groupChar", "bareNumber"}
_TEMPORAL_TYPES = {"date", "datetime", "time"}


def _published_field(spec: dict[str, Any]) -> dict[str, Any]:
    """A descriptor field as published: its Table Schema (type, constraints, description,
    unit…), without our `x-camp-*` keys and without the source's own spelling of values."""
    out = {
        k: v for k, v in spec.items() if not k.startswith("x-camp") and k not in _SOURCE_SPELLING
    }
    if out.get("type") in _TEMPORAL_TYPES:
        out.pop("format", None)
    return out


def _layer_fields(
    layer: str, fields: list[dict[str, Any]], columns: dict[str, str]
) -> tuple[dict[str, Any], ...]:
    """The Table Schema of each layer: typed core, raw text quarantine, the error list."""
    if layer == "core":
        return (*(_published_field(f) for f in fields), _ROW_FIELD)
    if layer == "quarantine":
        texts = [_text_field(name, text) for name, text in columns.items()]
        return (_ROW_FIELD, *texts)
    return (
        _ROW_FIELD,
        *(_text_field(k, TECHNICAL_COLUMNS[k]) for k in ("champ", "type", "message")),
    )


def dataset_tables(dataset: Dataset) -> list[TablePlan]:
    """The core, quarantine and errors tables of every resource of a dataset."""
    plans: list[TablePlan] = []
    for resource in dataset.resources:
        fields = resource.schema["fields"]
        columns, units = _field_docs(fields)
        core = resource.table("core")
        filters = tuple(
            dict.fromkeys(
                [*resource.key_fields, *(f["name"] for f in fields if f["type"] in _FILTER_TYPES)]
            )
        )
        ranges = tuple(f["name"] for f in fields if f["type"] in _RANGE_TYPES)
        ranges = ranges[:MAX_RANGE_COLUMNS] if resource.facets else ()
        words = {"title": resource.title, "description": resource.description, "core": core}
        for layer in ("core", "quarantine", "errors"):
            if layer == "core":
                layer_columns = {**columns, "_row": TECHNICAL_COLUMNS["_row"]}
            elif layer == "quarantine":
                # The validator's order: the reasons first, where a participant looks.
                layer_columns = {
                    k: TECHNICAL_COLUMNS[k] for k in ("_row", "_erreurs", "_types_erreur")
                }
                layer_columns |= {n: f"{d} (texte brut de la source)" for n, d in columns.items()}
            else:
                layer_columns = {
                    k: TECHNICAL_COLUMNS[k] for k in ("_row", "champ", "type", "message")
                }
            plans.append(
                TablePlan(
                    name=resource.table(layer),
                    layer=layer,
                    title=LAYER_TITLES[layer].format(**words),
                    description=" ".join(LAYER_DESCRIPTIONS[layer].format(**words).split()),
                    columns=layer_columns,
                    units=units if layer == "core" else {},
                    facets=resource.facets
                    if layer == "core"
                    else ("champ", "type")
                    if layer == "errors"
                    else (),
                    filters=filters if layer == "core" else (),
                    ranges=ranges if layer == "core" else (),
                    fts=resource.fts if layer == "core" else (),
                    label=resource.label if layer != "errors" else None,
                    map_columns=resource.map_columns if layer == "core" else None,
                    dataset=dataset,
                    source_table=None if layer == "core" else core,
                    fields=_layer_fields(
                        layer, fields, {k: v for k, v in layer_columns.items() if k != "_row"}
                    ),
                    attributions=(dataset.attribution,) if dataset.attribution else (),
                )
            )
    return plans


def mart_table(mart: Mart, datasets: list[Dataset] | None = None) -> TablePlan:
    """A mart's table; it carries the attributions of the datasets its SQL reads."""
    columns, units = _field_docs(list(mart.fields))
    read = {table.split("__")[0].removeprefix("core_") for table in mart.depends_on}
    attributions = tuple(d.attribution for d in datasets or [] if d.name in read and d.attribution)
    return TablePlan(
        name=mart.table,
        layer="mart",
        title=mart.title,
        description=" ".join(mart.description.split()),
        columns=columns,
        units=units,
        facets=mart.facets,
        fts=mart.fts,
        label=mart.label,
        map_columns=mart.map_columns,
        fields=tuple(_published_field(f) for f in mart.fields),
        attributions=attributions,
    )


def meta_tables(con: duckdb.DuckDBPyConnection) -> list[TablePlan]:
    """Every `meta_*` table of the warehouse, documented by its DuckDB comments (written from
    its Table Schema, which also gives the published fields when the catalogue has one)."""
    rows = con.execute(
        "SELECT table_name, coalesce(comment, '') FROM duckdb_tables() "
        "WHERE schema_name = 'main' AND table_name LIKE 'meta\\_%' ESCAPE '\\' "
        "ORDER BY table_name"
    ).fetchall()
    described = set(meta_table_names())
    plans = []
    for name, comment in rows:
        columns = dict(
            con.execute(
                "SELECT column_name, coalesce(comment, '') FROM duckdb_columns() "
                "WHERE schema_name = 'main' AND table_name = ? ORDER BY column_index",
                [name],
            ).fetchall()
        )
        plans.append(
            TablePlan(
                name=name,
                layer="meta",
                title=comment.split(".")[0] if comment else name,
                description=comment or "Table de suivi du pipeline (statut, qualité).",
                columns={k: v for k, v in columns.items() if v},
                fields=tuple(meta_schema(name)["fields"]) if name in described else (),
            )
        )
    return plans


def plan_tables(
    con: duckdb.DuckDBPyConnection, datasets: list[Dataset], marts: list[Mart]
) -> list[TablePlan]:
    """All the tables a publication should hold, present in the warehouse or not."""
    plans = [plan for dataset in datasets for plan in dataset_tables(dataset)]
    plans += [mart_table(mart, datasets) for mart in marts]
    plans += meta_tables(con)
    return plans


STATUS_TABLE = table_name("meta", "camp", "statut")
_STATUS_COLUMNS = ("jeu_de_donnees", "etat", "explication", "derniere_publication")


def dataset_status(con: duckdb.DuckDBPyConnection) -> dict[str, dict[str, Any]]:
    """Per dataset, its explained status from `meta_camp__statut` when the warehouse has it:
    state, one-sentence explanation, last successful refresh. Empty otherwise.
    """
    present = {
        row[0]
        for row in con.execute(
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'main' "
            "AND table_name = ?",
            [STATUS_TABLE],
        ).fetchall()
    }
    if not set(_STATUS_COLUMNS) <= present:
        return {}
    columns = ", ".join(f'"{c}"' for c in _STATUS_COLUMNS)
    rows = con.execute(f'SELECT {columns} FROM "{STATUS_TABLE}"').fetchall()
    return {row[0]: dict(zip(_STATUS_COLUMNS, row, strict=True)) for row in rows}
