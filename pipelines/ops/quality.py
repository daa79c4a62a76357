"""Quality history: one row per resource per run, and the regressions that raise an alert.

A row says how many rows were read, valid and quarantined, the errors by type, how complete
the descriptor's `key_fields` are, how the row count moved since the previous run and how
long after the source changed the data was processed. Thresholds come from the resource's
`x-camp.checks.quality` (defaults below); crossing one gives a French reason that the core
asset turns into a failed `quality` check and a `CAMP-ALERT` log line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import duckdb

from ..catalog.meta_tables import meta_schema
from ..catalog.model import Resource, table_name
from ..warehouse.database import quote, table_exists
from ..warehouse.meta import replace_described_table
from .journal import FETCH, VALIDATE, parse_iso, select

HISTORY_TABLE = table_name("meta", "camp", "historique_qualite")


@dataclass(frozen=True)
class Thresholds:
    """Regression limits; the descriptor's `x-camp.checks.quality` overrides the defaults."""

    max_row_drop: float = 0.5  # share of rows that may disappear between two runs
    max_invalid_increase: float = 0.1  # rise of the invalid share between two runs
    min_completeness: dict[str, float] = field(default_factory=dict)

    @classmethod
    def for_resource(cls, resource: Resource) -> Thresholds:
        spec = dict(resource.checks.get("quality") or {})
        return cls(
            max_row_drop=float(spec.get("max_row_drop", cls.max_row_drop)),
            max_invalid_increase=float(spec.get("max_invalid_increase", cls.max_invalid_increase)),
            min_completeness={k: float(v) for k, v in (spec.get("min_completeness") or {}).items()},
        )


def key_completeness(
    con: duckdb.DuckDBPyConnection, table: str, fields: tuple[str, ...] | list[str]
) -> dict[str, float | None]:
    """Share of rows where each field is filled (not null, not blank); None if the column
    is absent or the table empty."""
    if not fields or not table_exists(con, table):
        return {name: None for name in fields}
    columns = {
        row[0]
        for row in con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
        ).fetchall()
    }
    present = [f for f in fields if f in columns]
    out: dict[str, float | None] = {f: None for f in fields}
    if not present:
        return out
    counts = ", ".join(f"count(nullif(trim(CAST({quote(f)} AS VARCHAR)), ''))" for f in present)
    row = con.execute(f"SELECT count(*), {counts} FROM {quote(table)}").fetchone()
    total = int(row[0]) if row else 0
    if total:
        for name, filled in zip(present, row[1:], strict=True):
            out[name] = round(int(filled) / total, 4)
    return out


def regressions(
    current: dict[str, Any], previous: dict[str, Any] | None, thresholds: Thresholds
) -> list[str]:
    """French reasons for every threshold the current run crosses (empty: no alert)."""
    reasons: list[str] = []
    for name, minimum in thresholds.min_completeness.items():
        share = (current.get("completeness") or {}).get(name)
        if share is None:
            reasons.append(f"champ clé `{name}` absent de la source")
        elif share < minimum:
            reasons.append(
                f"champ clé `{name}` rempli à {share:.0%}, sous le minimum de {minimum:.0%}"
            )
    if previous:
        before, now = previous.get("rows_read") or 0, current.get("rows_read") or 0
        if before and (before - now) / before > thresholds.max_row_drop:
            reasons.append(
                f"{before - now} lignes en moins ({(before - now) / before:.0%}) depuis "
                f"l'exécution précédente, au-delà des {thresholds.max_row_drop:.0%} admis"
            )
        rise = (current.get("invalid_share") or 0) - (previous.get("invalid_share") or 0)
        if rise > thresholds.max_invalid_increase:
            reasons.append(
                f"part de lignes invalides passée de {previous.get('invalid_share') or 0:.0%} "
                f"à {current.get('invalid_share') or 0:.0%}"
            )
    return reasons


def source_changed_at(fetch_events: list[dict]) -> datetime | None:
    """When the current content appeared: its Last-Modified header, else the first fetch
    that saw this sha256."""
    ok = [e for e in fetch_events if e.get("outcome") == "ok"]
    if not ok:
        return None
    last = ok[-1]
    if last.get("last_modified"):
        try:
            return parsedate_to_datetime(last["last_modified"])
        except (TypeError, ValueError):
            pass
    first = next(e for e in ok if e.get("sha256") == last.get("sha256"))
    return parse_iso(first["at"])


def history_rows(events: list[dict]) -> list[dict[str, Any]]:
    """One row per validation event, with the row-count change since the previous one."""
    rows: list[dict[str, Any]] = []
    previous: dict[tuple[str, str], dict] = {}
    for event in select(events, step=VALIDATE):
        key = (event["dataset"], event["resource"])
        before = previous.get(key)
        change = None
        if before is not None and event.get("rows_read") is not None:
            change = int(event["rows_read"]) - int(before.get("rows_read") or 0)
        rows.append(
            {
                "jeu_de_donnees": event["dataset"],
                "ressource": event["resource"],
                "execution": event.get("run_id"),
                "horodatage": event["at"],
                "lignes_lues": event.get("rows_read"),
                "lignes_valides": event.get("rows_valid"),
                "lignes_en_quarantaine": event.get("rows_quarantined"),
                "part_invalide": event.get("invalid_share"),
                "erreurs_par_type": json.dumps(event.get("errors_by_type") or {}),
                "completude_champs_cles": json.dumps(event.get("completeness") or {}),
                "variation_lignes": change,
                "retard_source_heures": event.get("source_lag_hours"),
                "publie": bool(event.get("published")),
                "alerte": "; ".join(event.get("alerts") or []) or event.get("error"),
            }
        )
        if event.get("rows_read") is not None:
            previous[key] = event
    return rows


def write_history(con: duckdb.DuckDBPyConnection, events: list[dict]) -> int:
    """Rebuild `meta_camp__historique_qualite` from the journal; returns its row count."""
    rows = history_rows(events)
    return replace_described_table(con, meta_schema(HISTORY_TABLE), rows)


def fetch_events_of(events: list[dict], resource: Resource) -> list[dict]:
    return select(events, step=FETCH, dataset=resource.dataset, resource=resource.name)
