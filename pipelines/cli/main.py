"""`camp`: run the main job and serve Datasette and Dagster.

camp up            materialize everything on the samples, then serve Datasette (8001)
                   and the Dagster UI + daemon (3000) until Ctrl-C
camp materialize   run the main job once (or one dataset's refresh job)
camp serve         serve the current publication with Datasette only
camp scaffold      infer a descriptor from a sample file or URL, for the officer to complete
camp validate      check a file against a descriptor and print the validation report
camp status        print the explained status of every dataset
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from ..settings import get_settings
from .officer import add_commands, run


def _dagster_home() -> Path:
    """The committed instance folder, unless DAGSTER_HOME says otherwise."""
    home = Path(os.environ.get("DAGSTER_HOME") or get_settings().root / "dagster_home")
    os.environ["DAGSTER_HOME"] = str(home.resolve())
    return home


def materialize(job_name: str = "main") -> bool:
    """Run a job in this process against the Dagster instance; returns success.

    When a dataset was blocked or its source failed, its step fails and, in that run, nothing
    downstream of it runs, the publication included: the marts and the publication then run
    again on their own (the `publish` job), so every other dataset is still published. The
    daemon does the same for runs launched from the UI (automation condition).
    """
    from dagster import AssetKey, DagsterInstance

    from ..defs.assets import PUBLICATION, claim_warehouse_pool
    from ..defs.definitions import PUBLISH_JOB, build_definitions

    _dagster_home()
    defs = build_definitions()
    # INFO, not DEBUG: the console shows steps' outcomes and alerts, the UI has the rest
    quiet = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    with DagsterInstance.get() as instance:
        claim_warehouse_pool(instance)
        started = time.monotonic()
        job = defs.resolve_job_def(job_name)
        result = job.execute_in_process(instance=instance, raise_on_error=False, run_config=quiet)
        _print_summary(result, time.monotonic() - started)
        updated = {
            e.event_specific_data.materialization.asset_key
            for e in result.get_asset_materialization_events()
        }
        rebuilt = {k for k in updated if k.path[-1].startswith(("core_", "mart_"))}
        if not result.success and rebuilt and AssetKey(PUBLICATION) not in updated:
            print("\nPublication des autres jeux de données (job `publish`) :")
            started = time.monotonic()
            follow = defs.resolve_job_def(PUBLISH_JOB).execute_in_process(
                instance=instance, raise_on_error=False, run_config=quiet
            )
            _print_summary(follow, time.monotonic() - started)
    return result.success


def _print_summary(result, elapsed: float) -> None:
    """What the officer reads after `camp materialize`, in French: rows per table, then which
    datasets were not published and why, and the steps that failed."""
    from dagster import AssetCheckSeverity

    outcome = "réussi" if result.success else "EN ÉCHEC"
    print(f"\nRun {result.run_id} : {outcome} en {elapsed:.1f} s".replace(".", ",", 1))
    for event in result.get_asset_materialization_events():
        mat = event.event_specific_data.materialization
        meta = mat.metadata
        name = mat.asset_key.to_user_string()
        rows = meta.get("rows_valid") or meta.get("rows")
        quarantined = meta.get("rows_quarantined")
        parts = [f"{name:48}"]
        if rows is not None:
            parts.append(f"lignes={rows.value}")
        if quarantined is not None:
            parts.append(f"quarantaine={quarantined.value}")
        if "snapshot" in meta:
            parts.append(f"instantané={Path(str(meta['snapshot'].value)).parent.name}")
        print("  " + "  ".join(parts))
    failed = [c for c in result.get_asset_check_evaluations() if not c.passed]
    blocking = [c for c in failed if c.severity == AssetCheckSeverity.ERROR]
    if blocking:
        print("Non publiés (la publication précédente reste en ligne pour eux) :")
        for check in blocking:
            print(f"  {_label(check.asset_key.to_user_string())} : {check.description}")
    for check in failed:
        if check.severity != AssetCheckSeverity.ERROR:
            name = check.asset_key.to_user_string()
            print(f"  Avertissement {name} ({check.check_name}) : {check.description}")
    for event in result.all_events:
        if not event.is_step_failure:
            continue
        error = event.event_specific_data.error
        if error.cls_name == "DagsterAssetCheckFailedError" and blocking:
            continue  # a failed blocking check: listed above with its reason
        print(f"  Étape en échec {event.step_key} : {error.message.strip()}")


def _label(table: str) -> str:
    """`core_decp__marches` → `decp (marches)`."""
    _, _, rest = table.partition("_")
    dataset, _, resource = rest.partition("__")
    return f"{dataset} ({resource})" if resource else table


def _datasette_argv(host: str, port: int) -> list[str]:
    from ..serve.command import datasette_command

    return datasette_command(get_settings().publish_dir, host=host, port=port)


def _dagster_argv(host: str, port: int) -> list[str]:
    dagster = Path(sys.executable).with_name("dagster")
    return [str(dagster), "dev", "-m", "pipelines.defs.definitions", "-h", host, "-p", str(port)]


def serve(processes: dict[str, list[str]]) -> int:
    """Run the servers in the foreground; Ctrl-C (or one of them dying) stops them all."""
    children = [subprocess.Popen(argv, start_new_session=True) for argv in processes.values()]
    for label in processes:
        print(f"Serving {label}")
    print("Press Ctrl-C to stop.")
    stop = False

    def _stop(*_: object) -> None:
        nonlocal stop
        stop = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    code = 0
    try:
        while not stop:
            for child in children:
                if child.poll() is not None:
                    print(f"{child.args[0]} exited with code {child.returncode}; stopping")
                    code = child.returncode or 1
                    stop = True
            time.sleep(0.5)
    finally:
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGTERM)
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="camp", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="materialize everything, then serve Datasette and Dagster")
    for p in (up, sub.add_parser("serve", help="serve the current publication with Datasette")):
        p.add_argument("--host", default="127.0.0.1")
        p.add_argument("--port", type=int, default=8001, help="Datasette port")
    up.add_argument("--dagster-port", type=int, default=3000)
    up.add_argument("--skip-materialize", action="store_true")
    job = sub.add_parser("materialize", help="run the main job once")
    job.add_argument("--job", default="main", help="job name, e.g. refresh_decp")
    add_commands(sub)
    args = parser.parse_args(argv)

    officer = run(args)
    if officer is not None:
        return officer

    if args.command == "materialize":
        return 0 if materialize(args.job) else 1
    if args.command == "serve":
        return serve(
            {_url("Datasette", args.host, args.port): _datasette_argv(args.host, args.port)}
        )
    _dagster_home()
    if args.skip_materialize:
        from dagster import DagsterInstance

        from ..defs.assets import claim_warehouse_pool

        with DagsterInstance.get() as instance:
            claim_warehouse_pool(instance)
    elif not materialize("main"):
        print("The main job failed (see above); serving the last good publication, if any.")
    return serve(
        {
            _url("Datasette", args.host, args.port): _datasette_argv(args.host, args.port),
            _url("Dagster UI + daemon", args.host, args.dagster_port): _dagster_argv(
                args.host, args.dagster_port
            ),
        }
    )


def _url(label: str, host: str, port: int) -> str:
    return f"{label} on http://{host}:{port}/"


if __name__ == "__main__":
    sys.exit(main())
