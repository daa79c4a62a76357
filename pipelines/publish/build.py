"""Publish the warehouse: an immutable SQLite snapshot, its metadata and bulk downloads,
made current atomically. Serving it is `serve/command.py`.

Layout of `publish_dir`:

    current.json                 pointer to the current publication (replaced atomically)
    snapshots/<id>/camp.db       immutable SQLite file (indexes, FTS5 without diacritics)
    snapshots/<id>/metadata.json Datasette metadata generated from the catalogue
    snapshots/<id>/openapi.json  OpenAPI 3 document of the publication's JSON endpoints
    snapshots/<id>/downloads/    <table>.csv, <table>.parquet, datapackage.json
"""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from ..catalog.model import Dataset, Mart
from .snapshot import (
    DATABASE_FILE,
    METADATA_FILE,
    POINTER,
    SNAPSHOTS,
    Snapshot,
    new_id,
    prune,
    write_json_atomically,
    write_sqlite,
)


def publish_snapshot(
    warehouse: Path,
    datasets: list[Dataset],
    marts: list[Mart],
    publish_dir: Path,
    *,
    keep: int = 5,
    downloads: bool = True,
    grace_s: float = 900.0,
) -> Snapshot:
    """Publish every core/quarantine/errors/mart/meta table present in the warehouse.

    The new publication is built in a temporary folder, renamed into place, then made current
    by replacing `current.json`; a running Datasette switches to it on its next request.
    Publications beyond `keep` are deleted once replaced for `grace_s` seconds.
    """
    from ..warehouse.database import open_warehouse
    from .downloads import FOLDER, write_downloads
    from .metadata import build_metadata
    from .openapi import COLUMNS_KEY, OPENAPI_FILE, build_openapi, sqlite_columns
    from .plan import dataset_status, plan_tables
    from .site import load_extras

    publish_dir = Path(publish_dir)
    folder = publish_dir / SNAPSHOTS
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC)
    snapshot_id = new_id(now)
    created_at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    work = folder / f".tmp-{snapshot_id}-{os.getpid()}"
    work.mkdir()
    try:
        con = open_warehouse(warehouse, read_only=True)
        try:
            plans = plan_tables(con, datasets, marts)
            status = dataset_status(con)
            tables, missing, timings, counts = write_sqlite(con, plans, work / DATABASE_FILE)
            if downloads:
                started = time.perf_counter()
                write_downloads(con, plans, tables, work / FOLDER, created_at)
                timings["downloads"] = time.perf_counter() - started
        finally:
            con.close()
        extras = load_extras(set(tables))
        metadata = build_metadata(plans, tables, missing, created_at, extras, status)
        columns = sqlite_columns(work / DATABASE_FILE, list(tables))
        metadata["x-camp"][COLUMNS_KEY] = {t: [name for name, _ in c] for t, c in columns.items()}
        write_json_atomically(work / METADATA_FILE, metadata)
        openapi = build_openapi(metadata, columns, extras.examples, snapshot_id)
        write_json_atomically(work / OPENAPI_FILE, openapi)
        final = folder / snapshot_id
        os.replace(work, final)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    snapshot = Snapshot(
        id=snapshot_id,
        path=final / DATABASE_FILE,
        tables=tables,
        created_at=created_at,
        missing=tuple(missing),
        timings={k: round(v, 3) for k, v in timings.items()},
        counts=counts,
    )
    write_json_atomically(publish_dir / POINTER, snapshot.to_json(publish_dir))
    prune(publish_dir, keep, snapshot_id, grace_s)
    return snapshot
