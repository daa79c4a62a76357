"""Benchmark: a cold full refresh of the catalogue, then a refresh where no source changed.

Every resource's sample is served by a local HTTP server (Last-Modified, Content-Length,
conditional GET) and the catalogue is copied with `online_url` pointing at it, so the real
online code path runs offline. The cold refresh runs the main job on an empty build folder;
the unchanged refresh is what the data officer's instance does on its own: the change
sensor asks every source, finds nothing new and launches no run.

    python benchmarks/refresh.py

Prints both times and their ratio; the last line is one JSON object. The target: the
unchanged refresh costs under 5 % of the cold one.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass


def serve(directory: Path) -> tuple[ThreadingHTTPServer, str]:
    handler = functools.partial(QuietHandler, directory=str(directory))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


def online_catalogue(root: Path, www: Path, url: str) -> int:
    """Copy the catalogue under `root`, every resource's sample served under `www`."""
    shutil.copytree(ROOT / "catalog", root / "catalog")
    (root / "datasets").symlink_to(ROOT / "datasets")
    count = 0
    for path in sorted((root / "catalog").glob("*.yaml")):
        descriptor = yaml.safe_load(path.read_text(encoding="utf-8"))
        for resource in descriptor["resources"]:
            sample = ROOT / resource["path"]
            served = www / descriptor["name"] / resource["name"] / sample.name
            served.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sample, served)
            relative = served.relative_to(www).as_posix()
            resource.setdefault("x-camp", {})["online_url"] = f"{url}/{relative}"
            count += 1
        path.write_text(yaml.safe_dump(descriptor, allow_unicode=True, sort_keys=False))
    return count


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="camp-refresh-"))
    www, root, home = tmp / "www", tmp / "root", tmp / "dagster_home"
    for folder in (www, root, home):
        folder.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    httpd, url = serve(www)
    resources = online_catalogue(root, www, url)
    os.environ.update(
        CAMP_ROOT=str(root),
        CAMP_BUILD_DIR=str(tmp / "build"),
        CAMP_ONLINE="all",
        DAGSTER_HOME=str(home),
    )
    from dagster import DagsterInstance, build_sensor_context

    from pipelines.definitions import MAIN_JOB, build_definitions
    from pipelines.sensors import SENSOR_NAME

    try:
        defs = build_definitions()
        with DagsterInstance.get() as instance:
            started = time.perf_counter()
            result = defs.resolve_job_def(MAIN_JOB).execute_in_process(
                instance=instance, raise_on_error=False
            )
            cold = time.perf_counter() - started
            failed = [e.step_key for e in result.all_events if e.is_step_failure]
            print(
                f"cold full refresh: {cold:.2f} s ({resources} resources, "
                f"{'success' if result.success else 'failed steps: ' + ', '.join(failed)})"
            )

            sensor = defs.resolve_sensor_def(SENSOR_NAME)
            started = time.perf_counter()
            tick = sensor.evaluate_tick(build_sensor_context(instance=instance))
            unchanged = time.perf_counter() - started
            runs = len(tick.run_requests or [])
            print(
                f"unchanged refresh: {unchanged:.3f} s ({resources} sources asked, "
                f"{runs} run(s) launched)"
            )
    finally:
        httpd.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    ratio = unchanged / cold if cold else None
    print(f"ratio: {ratio:.2%} (target < 5 %)")
    print(
        json.dumps(
            {
                "benchmark": "refresh",
                "resources": resources,
                "cold_seconds": round(cold, 3),
                "cold_success": result.success,
                "unchanged_seconds": round(unchanged, 4),
                "unchanged_runs_launched": runs,
                "ratio": round(ratio, 4) if ratio else None,
                "target_ratio": 0.05,
            }
        )
    )
    return 0 if result.success and runs == 0 and ratio is not None and ratio < 0.05 else 1


if __name__ == "__main__":
    sys.exit(main())
