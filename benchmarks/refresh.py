"""Benchmark: a cold full refresh of the catalogue, then a refresh where no source changed.

Every resource's sample is served by a local HTTP server (Last-Modified, Content-Length,
conditional GET) and the catalogue is copied with `online_url` pointing at it, so the real
online code path runs offline. The cold refresh runs the main job on an empty build folder;
the unchanged refresh is what the data officer's instance does on its own: the change
sensor asks every source, finds nothing new and launches no run.

    python benchmarks/refresh.py [--datasets decp,gtfs_star]

Prints both times and their ratio; the last line is one JSON object. The target: the
unchanged refresh costs under 5 % of the cold one. `--datasets` keeps only those datasets
(and the marts they feed), for a quick run; the test suite runs it that way. The exit code
says whether the benchmark ran as it should (cold refresh succeeded, no run launched when
nothing changed), not whether the target was met.
"""

from __future__ import annotations

import argparse
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
    requests = 0  # answered so far, across threads (a counter, good enough under the GIL)

    def log_request(self, *args: object) -> None:
        QuietHandler.requests += 1

    def log_message(self, *args: object) -> None:
        pass


def serve(directory: Path) -> tuple[ThreadingHTTPServer, str]:
    handler = functools.partial(QuietHandler, directory=str(directory))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}"


# What describes the real online source and does not apply to the served sample: an
# offline-only resource gets an online URL here, and the sample is read as the sample is.
ONLINE_ONLY = ("offline_only_reason", "online_headers", "online_pagination", "online_read")


def online_catalogue(root: Path, www: Path, url: str, only: set[str] | None = None) -> int:
    """Copy the catalogue under `root` (only the datasets named in `only`, when given, and the
    marts whose inputs are all there), every resource's sample served under `www`."""
    shutil.copytree(ROOT / "catalog", root / "catalog")
    (root / "datasets").symlink_to(ROOT / "datasets")
    count = 0
    tables: set[str] = set()
    for path in sorted((root / "catalog").glob("*.yaml")):
        descriptor = yaml.safe_load(path.read_text(encoding="utf-8"))
        if only is not None and descriptor["name"] not in only:
            path.unlink()
            continue
        for resource in descriptor["resources"]:
            sample = ROOT / resource["path"]
            served = www / descriptor["name"] / resource["name"] / sample.name
            served.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(sample, served)
            relative = served.relative_to(www).as_posix()
            extension = resource.setdefault("x-camp", {})
            for key in ONLINE_ONLY:
                extension.pop(key, None)
            extension["online_url"] = f"{url}/{relative}"
            tables.add(f"core_{descriptor['name']}__{resource['name']}")
            count += 1
        path.write_text(yaml.safe_dump(descriptor, allow_unicode=True, sort_keys=False))
    for mart in sorted((root / "catalog" / "marts").glob("*.yaml")):
        if not set(yaml.safe_load(mart.read_text(encoding="utf-8"))["depends_on"]) <= tables:
            mart.unlink()
    if not count:
        raise SystemExit(f"no dataset named {sorted(only or [])} in catalog/")
    return count


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", help="comma-separated dataset names (default: all)")
    args = parser.parse_args(argv)
    only = {n.strip() for n in args.datasets.split(",") if n.strip()} if args.datasets else None
    tmp = Path(tempfile.mkdtemp(prefix="camp-refresh-"))
    www, root, home = tmp / "www", tmp / "root", tmp / "dagster_home"
    for folder in (www, root, home):
        folder.mkdir()
    shutil.copy(ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    httpd, url = serve(www)
    resources = online_catalogue(root, www, url, only)
    os.environ.update(
        CAMP_ROOT=str(root),
        CAMP_BUILD_DIR=str(tmp / "build"),
        CAMP_ONLINE="all",
        DAGSTER_HOME=str(home),
    )
    from dagster import DagsterInstance, build_sensor_context

    from pipelines.defs.definitions import MAIN_JOB, build_definitions
    from pipelines.defs.sensors import SENSOR_NAME

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
            asked_before = QuietHandler.requests
            started = time.perf_counter()
            tick = sensor.evaluate_tick(build_sensor_context(instance=instance))
            unchanged = time.perf_counter() - started
            asked = QuietHandler.requests - asked_before
            runs = len(tick.run_requests or [])
            print(
                f"unchanged refresh: {unchanged:.3f} s ({asked} requests for {resources} "
                f"sources, {runs} run(s) launched)"
            )
    finally:
        httpd.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)
    ratio = unchanged / cold if cold else None
    met = ratio is not None and ratio < 0.05
    print(f"ratio: {ratio:.2%} (target < 5 %: {'met' if met else 'not met'})")
    print(
        json.dumps(
            {
                "benchmark": "refresh",
                "resources": resources,
                "cold_seconds": round(cold, 3),
                "cold_success": result.success,
                "unchanged_seconds": round(unchanged, 4),
                "unchanged_requests": asked,
                "unchanged_runs_launched": runs,
                "ratio": round(ratio, 4) if ratio else None,
                "target_ratio": 0.05,
                "target_met": met,
            }
        )
    )
    return 0 if result.success and runs == 0 and asked >= resources else 1


if __name__ == "__main__":
    sys.exit(main())
