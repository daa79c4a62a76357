"""The data officer's commands: `camp scaffold`, `camp validate`, `camp status`.

Messages for the officer are in French, like the descriptors they edit; each command prints
what to do next.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..settings import get_settings


def add_commands(sub: Any) -> None:
    """Register the three sub-commands on `camp`'s argparse sub-parsers."""
    scaffold = sub.add_parser("scaffold", help="infer a descriptor from a sample file or URL")
    scaffold.add_argument("source", help="a local file or an http(s) URL")
    scaffold.add_argument("--name", help="dataset name (default: from the file name)")
    scaffold.add_argument("--root", type=Path, help="project root (default: this checkout)")
    scaffold.add_argument("--force", action="store_true", help="overwrite an existing descriptor")
    validate = sub.add_parser(
        "validate", help="check a file against a descriptor, print the report"
    )
    validate.add_argument("descriptor", type=Path, help="catalog/<name>.yaml")
    validate.add_argument("file", nargs="?", type=Path, help="default: the resource's sample")
    validate.add_argument("--resource", help="resource name (default: the first one)")
    validate.add_argument("--json", action="store_true", help="print the report as JSON")
    sub.add_parser("status", help="print the explained status of every dataset")


def run(args: argparse.Namespace) -> int | None:
    """Run an officer command; None when `args.command` is not one of them."""
    if args.command == "scaffold":
        return scaffold_command(args.source, args.root, args.name, args.force)
    if args.command == "validate":
        return validate_command(args.descriptor, args.file, args.resource, args.json)
    if args.command == "status":
        return status_command()
    return None


def scaffold_command(source: str, root: Path | None, name: str | None, force: bool) -> int:
    from .scaffold import TODO, scaffold

    root = root or get_settings().root
    try:
        out = scaffold(source, root, name, force=force)
    except (FileExistsError, FileNotFoundError, ValueError) as error:
        print(f"Erreur : {error}")
        return 1
    print(f"Descripteur écrit : {out}")
    print(f"1. Remplacez chaque « {TODO} » (titres, descriptions des colonnes, licence).")
    print("2. Vérifiez les types détectés (commentaires « détecté : … »).")
    print(f"3. Vérifiez le fichier : camp validate {out}")
    return 0


def validation_report(descriptor: Path, file: Path | None, resource_name: str | None) -> dict:
    """Read `file` (default: the sample) and validate it in a throw-away DuckDB through the
    very functions the pipeline's raw and core steps call; returns the report with the
    publication verdict."""
    from ..catalog.load import load_dataset
    from ..steps.core import check_raw
    from ..steps.raw import load_file, read_options
    from ..warehouse.database import connect

    dataset = load_dataset(descriptor)
    resource = dataset.resource(resource_name) if resource_name else dataset.resources[0]
    path = file or resource.sample_path
    with tempfile.TemporaryDirectory() as tmp, connect(Path(tmp) / "v.duckdb") as con:
        _, detection = load_file(con, resource, path, read_options(resource))
        result = check_raw(con, resource)
    return {
        "fichier": str(path),
        "ressource": f"{dataset.name}.{resource.name}",
        "lecture": detection,
        **result.report.to_metadata(),
        "publiable": result.published,
        "regle": result.reason,
    }


def validate_command(
    descriptor: Path, file: Path | None, resource: str | None, as_json: bool
) -> int:
    from ..catalog.model import CatalogError
    from ..read import ReadError

    try:
        report = validation_report(descriptor, file, resource)
    except (CatalogError, ReadError, KeyError, FileNotFoundError) as error:
        print(f"Erreur : {error}")
        return 1
    if as_json:
        print(json.dumps(report, ensure_ascii=False, indent=2, default=str))
    else:
        print(format_validation(report))
    return 0 if report["publiable"] else 1


def format_validation(report: dict) -> str:
    """The validation report as the officer reads it: French labels, aligned tables."""
    from ..french import percent

    reading = report.get("lecture") or {}
    read_as = ", ".join(f"{k} : {v}" for k, v in reading.items() if not isinstance(v, dict | list))
    verdict = "oui" if report["publiable"] else "NON"
    lines = [
        f"Rapport de validation — {report['ressource']}",
        f"{'Fichier':26} {report['fichier']}",
        f"{'Lecture':26} {read_as or '-'}",
        f"{'Lignes lues':26} {report['rows_read']}",
        f"{'Lignes valides':26} {report['rows_valid']}",
        f"{'Lignes en quarantaine':26} {report['rows_quarantined']}",
        f"{'Part de lignes invalides':26} {percent(report['invalid_share'])}",
        f"{'Erreurs':26} {report['error_count']}",
        f"{'Publiable':26} {verdict} ({report['regle']})",
    ]

    def table(title: str, counts: dict, head: str) -> None:
        if not counts:
            return
        width = max(len(head), *(len(str(k)) for k in counts))
        lines.extend(["", title, f"  {head:{width}}  nombre", f"  {'-' * width}  ------"])
        for key, count in sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0]))):
            lines.append(f"  {key!s:{width}}  {count:>6}")

    table("Erreurs par type", report.get("errors_by_type") or {}, "type")
    table("Erreurs par champ", report.get("errors_by_field") or {}, "champ")
    for error in report.get("header_errors") or []:
        lines.append(f"En-tête : {error.get('message', error)}")
    examples = report.get("examples") or []
    if examples:
        lines += ["", "Premiers exemples (ligne, champ, message)"]
        for example in examples[:10]:
            row = example.get("_row", example.get("ligne", "-"))
            lines.append(
                f"  {row!s:>6}  {example.get('champ', '-')!s:24}  {example.get('message')}"
            )
    if report.get("skipped_checks"):
        lines.append(f"Vérifications non faites : {', '.join(map(str, report['skipped_checks']))}")
    lines += ["", "Pour une machine : camp validate … --json"]
    return "\n".join(lines)


def status_command() -> int:
    from ..catalog.load import load_catalog
    from ..ops.journal import read_events
    from ..ops.status import Served, sensor_due_by_dataset, status_rows
    from ..sources.changes import read_watches

    settings = get_settings()
    datasets = load_catalog(settings.catalog_dir)
    watches = read_watches(settings.build_dir)
    due = sensor_due_by_dataset(watches)
    events = read_events(settings.build_dir)
    served = Served.read(settings.publish_dir)  # « publié le »: what Datasette serves
    rows = status_rows(datasets, events, datetime.now(UTC), due, watches, served)
    print(format_status(rows))
    return 0 if all(r["etat"] == "à jour" for r in rows) else 2


def format_status(rows: list[dict]) -> str:
    """A plain-text table: state, name, age, next check, then the explanation."""
    from ..french import french_date

    width = max((len(r["jeu_de_donnees"]) for r in rows), default=10)
    lines = [f"{'état':14} {'jeu de données':{width}} {'âge':>7}  prochaine vérification"]
    for row in rows:
        age = f"{row['age_heures']:.0f} h" if row["age_heures"] is not None else "-"
        upcoming = row["prochaine_verification"]
        upcoming = french_date(datetime.fromisoformat(upcoming)) if upcoming else "-"
        lines.append(f"{row['etat']:14} {row['jeu_de_donnees']:{width}} {age:>7}  {upcoming}")
        lines.append(f"{'':14} {row['explication']}")
    return "\n".join(lines)
