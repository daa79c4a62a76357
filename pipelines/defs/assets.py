"""One factory turns the catalogue into Dagster assets, checks and jobs.

Per resource: `raw_<dataset>__<resource>` (fetch, read, load) with a `source` check and
`core_<dataset>__<resource>` (validate, quarantine, publication policy) with `validation` and
`quality` checks. Per mart: `mart_<name>`. One `camp_publication` asset publishes everything
to the Datasette snapshot. Assets are thin: a step (`steps/`) decides and returns its
outcome, the asset records it once (`ops.observe`) and maps it to a `MaterializeResult`.

What Dagster shows is what happened: an asset is materialized only when its table was
replaced. A source that fails, or a validation the publication rule blocks, yields no
materialization and a failed *blocking* check, so the step and the run fail (red), the
freshness policy keeps counting from the last published data, and nothing downstream runs on
it. The other datasets are published by the follow-up publication (`camp materialize`, or
the publication's automation condition in the UI).
"""

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AutomationCondition,
    Backoff,
    DagsterInstance,
    FreshnessPolicy,
    MaterializeResult,
    MetadataValue,
    RetryPolicy,
    asset,
)

from ..catalog.model import Dataset, Mart, Resource
from ..ops import journal, observe, outcomes
from ..settings import get_settings
from ..steps.core import run_core
from ..steps.marts import build_mart_table
from ..steps.outcome import Outcome, State
from ..steps.raw import FETCH_RETRIES, run_raw

# One writer to the DuckDB warehouse at a time: every asset that writes claims this pool,
# whose limit is 1 in dagster_home/dagster.yaml.
WAREHOUSE_POOL = "duckdb_warehouse"
PUBLICATION = "camp_publication"
PUBLICATION_CHECK = "all_published"
FETCH_RETRY = RetryPolicy(max_retries=FETCH_RETRIES, delay=2, backoff=Backoff.EXPONENTIAL)
log = logging.getLogger(__name__)


def claim_warehouse_pool(instance: DagsterInstance, slots: int = 1) -> None:
    """Create the warehouse pool with its one slot before any run starts.

    Left to the first runs, the pool is created from `default_limit` by whichever step
    claims it first; two runs starting together on SQLite storage can then both create a
    slot (seen in tests/test_concurrency.py), and two writers meet DuckDB's lock.
    """
    if instance.event_log_storage.supports_global_concurrency_limits:
        instance.event_log_storage.set_concurrency_slots(WAREHOUSE_POOL, slots)


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
    """The asset's description in the Dagster UI, in French for the data officer."""
    what = {
        "raw": "Lignes brutes, telles que lues à la source, avant validation. Si la source "
        "échoue, la table précédente est conservée et la vérification `source` le dit.",
        "core": "Lignes valides et typées. Les lignes invalides vont dans la table de "
        "quarantaine avec leur motif ; une nouvelle version n'est publiée que si la part de "
        "lignes invalides reste sous la limite du descripteur (vérification `validation`).",
    }[layer]
    return f"{resource.title} ({dataset.title}).\n\n{resource.description}\n\n{what}"


def _raw_check(outcome: Outcome, resource: Resource) -> AssetCheckResult:
    """The `source` check of a raw outcome: passed when the table was replaced."""
    status = getattr(outcome.error, "status", None)
    return AssetCheckResult(
        check_name="source",
        passed=outcome.replaced,
        severity=AssetCheckSeverity.ERROR,
        description=None if outcome.replaced else outcome.reason,
        metadata=None
        if outcome.replaced
        else as_metadata(
            {
                "dataset": resource.dataset,
                "http_status": status,
                "kept_previous": outcome.kept_previous,
            }
        ),
    )


def _freshness(dataset: Dataset) -> FreshnessPolicy | None:
    if dataset.max_age_hours is None:
        return None
    return FreshnessPolicy.time_window(fail_window=timedelta(hours=dataset.max_age_hours))


def resource_assets(
    dataset: Dataset, resource: Resource, datasets: list[Dataset] | None = None
) -> list[AssetsDefinition]:
    """The raw and core assets of one resource; `datasets` (the whole catalogue) feeds the
    status table they rebuild."""
    raw_name, core_name = resource.table("raw"), resource.table("core")
    tags = {"dataset": dataset.name}
    catalogue = datasets or [dataset]

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
        output_required=False,  # a failed source replaces nothing: no materialization
        check_specs=[
            AssetCheckSpec(
                name="source",
                asset=raw_name,
                blocking=True,
                description="La source a répondu et le fichier a été lu. En cas d'échec, la "
                "table brute précédente est conservée, le run échoue et le statut expliqué "
                "dit pourquoi.",
            )
        ],
    )
    def raw_asset(context: AssetExecutionContext) -> Iterator[MaterializeResult | AssetCheckResult]:
        settings = get_settings()
        outcome = run_raw(resource, settings, attempt=context.retry_number)
        if outcome.retry:
            raise outcome.error  # type: ignore[misc]  # Dagster retries later, with backoff
        observe.record_outcome(settings, resource, context.run.run_id, outcome, catalogue)
        check = _raw_check(outcome, resource)
        if not outcome.replaced:
            context.log.error(f"CAMP-ALERT {raw_name}: {outcome.reason}")
            yield check
            return
        yield MaterializeResult(metadata=as_metadata(outcome.to_metadata()), check_results=[check])

    @asset(
        name=core_name,
        group_name=dataset.name,
        description=_describe(resource, dataset, "core"),
        deps=[AssetKey(raw_name)],
        kinds={"duckdb"},
        pool=WAREHOUSE_POOL,
        tags=tags,
        freshness_policy=_freshness(dataset),
        output_required=False,  # blocked: the previous table stays, no materialization
        check_specs=[
            AssetCheckSpec(
                name="validation",
                asset=core_name,
                blocking=True,
                description="Les lignes respectent le Table Schema ; échoue (publication "
                "bloquée) quand la part de lignes invalides dépasse "
                "`x-camp.publish.max_invalid_share` du descripteur.",
            ),
            AssetCheckSpec(
                name="quality",
                asset=core_name,
                description="Pas de régression au-delà des seuils `x-camp.checks.quality` du "
                "descripteur (remplissage des champs clés, lignes disparues, hausse de la "
                "part de lignes invalides).",
            ),
        ],
    )
    def core_asset(
        context: AssetExecutionContext,
    ) -> Iterator[MaterializeResult | AssetCheckResult]:
        settings = get_settings()
        outcome = run_core(resource, settings)
        alerts, quality = observe.record_outcome(
            settings, resource, context.run.run_id, outcome, catalogue
        )
        if outcome.state is State.FAILED:
            context.log.error(f"CAMP-ALERT {core_name}: {outcome.reason}")
            raise outcome.error  # type: ignore[misc]  # the step fails red, recorded above
        if outcome.state is State.BLOCKED:
            context.log.error(f"CAMP-ALERT {core_name}: {outcome.reason}")
        if alerts:
            context.log.warning(
                f"CAMP-ALERT {core_name}: régression de qualité : {'; '.join(alerts)}"
            )
        metadata = as_metadata(outcome.to_metadata())
        checks = [
            AssetCheckResult(
                check_name="validation",
                passed=outcome.replaced,
                severity=AssetCheckSeverity.ERROR,
                description=outcome.reason,
                metadata={**metadata, "dataset": resource.dataset},
            ),
            AssetCheckResult(
                check_name="quality",
                passed=not alerts,
                severity=AssetCheckSeverity.WARN,
                description="; ".join(alerts) or "Aucune régression.",
                metadata=as_metadata(quality),
            ),
        ]
        if outcome.replaced:
            yield MaterializeResult(metadata=metadata, check_results=checks)
        else:
            yield from checks

    return [raw_asset, core_asset]


def mart_asset(mart: Mart) -> AssetsDefinition:
    @asset(
        name=mart.table,
        group_name="marts",
        description=f"{mart.title}\n\n{mart.description}",
        deps=[AssetKey(name) for name in mart.depends_on],
        kinds={"duckdb"},
        pool=WAREHOUSE_POOL,
        automation_condition=follow_inputs(),
    )
    def build() -> MaterializeResult:
        rows = build_mart_table(get_settings(), mart.table, mart.sql)
        return MaterializeResult(metadata={"rows": rows})

    return build


def follow_inputs() -> AutomationCondition:
    """Marts and the publication follow their inputs: rebuilt whenever one of them was updated
    (by any run, a UI selection of one asset included, or a run that failed on another
    dataset), once nothing upstream is still running; not again when they were updated in the
    same run as their inputs. Unlike `eager()`, a dataset never fetched does not hold back the
    publication of the others."""
    return (
        AutomationCondition.any_deps_updated().since_last_handled()
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
    ).with_label("publier après toute mise à jour en amont")


def publication_asset(datasets: list[Dataset], marts: list[Mart]) -> AssetsDefinition:
    upstream = [AssetKey(r.table("core")) for d in datasets for r in d.resources]
    upstream += [AssetKey(m.table) for m in marts]

    @asset(
        name=PUBLICATION,
        group_name="publication",
        description="Instantané SQLite immuable de toutes les tables core, quarantaine, "
        "erreurs, marts et meta, avec les métadonnées Datasette issues du catalogue ; "
        "Datasette bascule dessus d'un coup. Republié automatiquement après toute mise à jour "
        "d'une table en amont.",
        deps=upstream,
        kinds={"sqlite"},
        pool=WAREHOUSE_POOL,
        automation_condition=follow_inputs(),
        check_specs=[
            AssetCheckSpec(
                name=PUBLICATION_CHECK,
                asset=PUBLICATION,
                description="Chaque jeu de données actualisé depuis la publication précédente "
                "y figure dans sa nouvelle version. Avertit quand un jeu a été bloqué ou que sa "
                "source a échoué (le run de ce jeu a échoué) : l'ancienne version de celui-ci "
                "reste en ligne, les autres sont publiés.",
            )
        ],
    )
    def publish(context: AssetExecutionContext) -> MaterializeResult:
        from ..publish.build import publish_snapshot
        from ..publish.snapshot import read_pointer

        settings = get_settings()
        previous = read_pointer(settings.publish_dir) or {}
        # the published status table speaks of this publication, not of the previous one
        observe.refresh_meta(settings, datasets, observe.upcoming_publication(settings, datasets))
        snapshot = publish_snapshot(settings.warehouse_path, datasets, marts, settings.publish_dir)
        seen = outcomes.outcomes_since(
            journal.read_events(settings.build_dir), previous.get("created_at"), context.run.run_id
        )
        missed = outcomes.not_published(seen)
        for outcome in missed:
            context.log.warning(f"CAMP-ALERT non publié : {outcome.sentence}")
        return MaterializeResult(
            metadata=as_metadata(
                {
                    "snapshot": str(snapshot.path),
                    "created_at": snapshot.created_at,
                    "tables": dict(snapshot.tables),
                }
            ),
            check_results=[
                AssetCheckResult(
                    check_name=PUBLICATION_CHECK,
                    passed=not missed,
                    severity=AssetCheckSeverity.WARN,
                    description=outcomes.summary(seen),
                    metadata={
                        "non_publies": MetadataValue.json([o.to_json() for o in missed]),
                        "actualises": len(seen),
                    },
                )
            ],
        )

    return publish


def build_assets(datasets: list[Dataset], marts: list[Mart]) -> list[AssetsDefinition]:
    assets: list[AssetsDefinition] = []
    for dataset in datasets:
        for resource in dataset.resources:
            assets += resource_assets(dataset, resource, datasets)
    assets += [mart_asset(m) for m in marts]
    assets.append(publication_asset(datasets, marts))
    return assets
