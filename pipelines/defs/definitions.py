"""The Dagster code location: everything is derived from the catalogue.

`dagster dev -m pipelines.defs.definitions` loads `defs`; the catalogue is read then, not at
import of the `pipelines` package.
"""

from __future__ import annotations

from dagster import (
    AssetSelection,
    AutomationConditionSensorDefinition,
    DefaultSensorStatus,
    Definitions,
    define_asset_job,
    definitions,
    in_process_executor,
)

from ..catalog.load import load_catalog, load_marts
from ..catalog.model import Dataset
from ..settings import get_settings
from .alert_sensors import build_alert_sensors
from .assets import PUBLICATION, build_assets
from .sensors import build_change_sensor, build_refresh_schedule

MAIN_JOB = "main"
PUBLISH_JOB = "publish"
AUTOMATION_SENSOR = "publication_follows_inputs"
TIMEZONE = "Europe/Paris"


def refresh_job_name(dataset: Dataset) -> str:
    return f"refresh_{dataset.name}"


def build_definitions() -> Definitions:
    settings = get_settings()
    datasets = load_catalog(settings.catalog_dir)
    marts = load_marts(settings.catalog_dir)
    assets = build_assets(datasets, marts)
    # In-process: steps run one after another, the single-writer rule for DuckDB holds
    # inside a run; the pool in dagster.yaml serialises writers across runs.
    main = define_asset_job(
        MAIN_JOB,
        selection=AssetSelection.all(),
        description="Récupérer, valider, charger et publier tous les jeux de données du catalogue.",
        executor_def=in_process_executor,
    )
    # The marts and the publication alone: what follows a run in which a dataset was blocked
    # (`camp materialize`), and the officer's "publish again" button.
    publish = define_asset_job(
        PUBLISH_JOB,
        selection=AssetSelection.groups("marts", "publication"),
        description="Reconstruire les marts et republier, sans récupérer les sources.",
        executor_def=in_process_executor,
    )
    jobs = [main, publish]
    schedules = []
    refresh_jobs = {}
    for dataset in datasets:
        job = define_asset_job(
            refresh_job_name(dataset),
            selection=AssetSelection.groups(dataset.name).downstream(),
            description=f"Actualiser « {dataset.title} » et republier.",
            executor_def=in_process_executor,
        )
        jobs.append(job)
        refresh_jobs[dataset.name] = job
        if dataset.schedule:
            schedules.append(build_refresh_schedule(dataset, job, TIMEZONE))
    assert any(a.key.path[-1] == PUBLICATION for a in assets)
    sensor = build_change_sensor(
        datasets,
        {name: job.name for name, job in refresh_jobs.items()},
        list(refresh_jobs.values()),
    )
    automation = AutomationConditionSensorDefinition(
        AUTOMATION_SENSOR,
        target=AssetSelection.groups("marts", "publication"),
        default_status=DefaultSensorStatus.RUNNING,
        minimum_interval_seconds=30,
        description="Republie (et reconstruit les marts) dès qu'une table en amont a été mise "
        "à jour, y compris par la matérialisation d'un seul asset depuis l'interface.",
    )
    return Definitions(
        assets=assets,
        jobs=jobs,
        schedules=schedules,
        sensors=[sensor, automation, *build_alert_sensors()],
    )


@definitions
def defs() -> Definitions:
    return build_definitions()
