"""One factory turns the catalogue into Dagster assets, checks and jobs.

Per resource: `raw_<dataset>__<resource>` (fetch, read, load) and
`core_<dataset>__<resource>` (validate, quarantine, publication policy) with a `validation`
check. Per mart: `mart_<name>`. One `camp_publication` asset publishes everything to the
Datasette snapshot. Assets are thin: the work is in `ingest`, `publish`.
"""

from __future__ import annotations

from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetKey,
    AssetsDefinition,
    Backoff,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

from .catalog import Dataset, Mart, Resource
from .ingest import build_mart_table, ingest_raw, validate_core
from .settings import get_settings

# One writer to the DuckDB warehouse at a time: every asset that writes claims this pool,
# whose limit is 1 in dagster_home/dagster.yaml.
WAREHOUSE_POOL = "duckdb_warehouse"
PUBLICATION = "camp_publication"
FETCH_RETRY = RetryPolicy(max_retries=2, delay=2, backoff=Backoff.EXPONENTIAL)


def as_metadata(values: dict[str, Any]) -> dict[str, Any]:
    """Dagster metadata: plain scalars as they are, structures as JSON, None left out."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, dict | list | tuple):
            out[key] = MetadataValue.json(value)
        elif isinstance(value, str) and value.startswith(("http://", "https://")):
            out[key] = MetadataValue.url(value)
        else:
            out[key] = value
    return out


def _describe(resource: Resource, dataset: Dataset, layer: str) -> str:
    what = {
        "raw": "Raw text rows as read from the source, before validation.",
        "core": "Typed, valid rows; invalid rows go to the quarantine table with their reasons.",
    }[layer]
    return f"{resource.title} ({dataset.title}).\n\n{resource.description}\n\n{what}"


def resource_assets(dataset: Dataset, resource: Resource) -> list[AssetsDefinition]:
    raw_name, core_name = resource.table("raw"), resource.table("core")
    tags = {"dataset": dataset.name}

    @asset(
        name=raw_name,
        group_name=dataset.name,
        description=_describe(resource, dataset, "raw"),
        kinds={"duckdb"},
        pool=WAREHOUSE_POOL,
        retry_policy=FETCH_RETRY,
        tags=tags,
        metadata={
            "source_sample": str(resource.sample_path.name),
            "source_online": resource.online_url or "none",
        },
    )
    def raw_asset() -> MaterializeResult:
        result = ingest_raw(resource, get_settings())
        return MaterializeResult(metadata=as_metadata(result.to_metadata()))

    @asset(
        name=core_name,
        group_name=dataset.name,
        description=_describe(resource, dataset, "core"),
        deps=[AssetKey(raw_name)],
        kinds={"duckdb"},
        pool=WAREHOUSE_POOL,
        tags=tags,
        check_specs=[
            AssetCheckSpec(
                name="validation",
                asset=core_name,
                description="Rows conform to the Table Schema; fails when the share of invalid "
                "rows passes the descriptor's `publish.max_invalid_share`.",
            )
        ],
    )
    def core_asset() -> MaterializeResult:
        result = validate_core(resource, get_settings())
        metadata = as_metadata(result.to_metadata())
        check = AssetCheckResult(
            check_name="validation",
            passed=result.published,
            severity=AssetCheckSeverity.ERROR,
            description=result.reason,
            metadata=metadata,
        )
        return MaterializeResult(metadata=metadata, check_results=[check])

    return [raw_asset, core_asset]


def mart_asset(mart: Mart) -> AssetsDefinition:
    @asset(
        name=mart.table,
        group_name="marts",
        description=f"{mart.title}\n\n{mart.description}",
        deps=[AssetKey(name) for name in mart.depends_on],
        kinds={"duckdb"},
        pool=WAREHOUSE_POOL,
    )
    def build() -> MaterializeResult:
        rows = build_mart_table(get_settings(), mart.table, mart.sql)
        return MaterializeResult(metadata={"rows": rows})

    return build


def publication_asset(datasets: list[Dataset], marts: list[Mart]) -> AssetsDefinition:
    upstream = [AssetKey(r.table("core")) for d in datasets for r in d.resources]
    upstream += [AssetKey(m.table) for m in marts]

    @asset(
        name=PUBLICATION,
        group_name="publication",
        description="Immutable SQLite snapshot of every core, quarantine, mart and meta table, "
        "with Datasette metadata from the catalogue; Datasette switches to it atomically.",
        deps=upstream,
        kinds={"sqlite"},
        pool=WAREHOUSE_POOL,
    )
    def publish() -> MaterializeResult:
        from .publish import publish_snapshot  # heavy, only when publishing

        settings = get_settings()
        snapshot = publish_snapshot(settings.warehouse_path, datasets, marts, settings.publish_dir)
        return MaterializeResult(
            metadata=as_metadata({"snapshot": str(snapshot.path), "tables": dict(snapshot.tables)})
        )

    return publish


def build_assets(datasets: list[Dataset], marts: list[Mart]) -> list[AssetsDefinition]:
    assets: list[AssetsDefinition] = []
    for dataset in datasets:
        for resource in dataset.resources:
            assets += resource_assets(dataset, resource)
    assets += [mart_asset(m) for m in marts]
    assets.append(publication_asset(datasets, marts))
    return assets
