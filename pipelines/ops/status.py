"""Explained status: one row per dataset saying, in French, whether it is fresh and why not.

Derived from the run journal, the catalogue and the change-detection state only, so it can
be rebuilt at any time (CLI `camp status`, the `meta_camp__statut` table published in
Datasette). Priority of states, worst first: en échec (the source cannot be fetched),
bloqué (the last version was not published), jamais publié, périmé, à jour.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import duckdb

from ..catalog.meta_tables import meta_schema
from ..catalog.model import Dataset, Resource, table_name
from ..french import french_date
from ..warehouse.meta import replace_described_table
from .freshness import age_hours, next_cron_tick
from .journal import FETCH, VALIDATE, parse_iso, select

STATUS_TABLE = table_name("meta", "camp", "statut")
FAILED, BLOCKED, NEVER, STALE, FRESH = "en échec", "bloqué", "jamais publié", "périmé", "à jour"
_ORDER = (FAILED, BLOCKED, NEVER, STALE, FRESH)


@dataclass(frozen=True)
class ResourceStatus:
    state: str
    sentence: str
    last_fetch: dict | None
    last_publication: datetime | None  # the served snapshot's time
    rows: tuple[int, int] | None = None  # valid, quarantined (fresh resources)
    data_at: datetime | None = None  # when the served version was validated (its age)


@dataclass(frozen=True)
class Served:
    """The publication Datasette serves, as `current.json` says: when it was made and which
    tables it holds. `Served.nothing()` before the first publication."""

    created_at: datetime | None
    tables: frozenset[str]

    @classmethod
    def nothing(cls) -> Served:
        return cls(None, frozenset())

    @classmethod
    def from_pointer(cls, pointer: dict | None) -> Served:
        if not pointer:
            return cls.nothing()
        return cls(parse_iso(pointer.get("created_at")), frozenset(pointer.get("tables") or ()))

    @classmethod
    def read(cls, publish_dir: Path) -> Served:
        from ..publish.snapshot import read_pointer

        return cls.from_pointer(read_pointer(publish_dir))


def _served_versions(
    resource: Resource, published: list[dict], served: Served | None
) -> tuple[datetime | None, datetime | None, list[dict]]:
    """(publication time, validation time of the served version, validations not yet
    published). Without `served`, the journal's last published validation is taken as
    served (a unit test's journal with no publication folder)."""
    if served is None:
        at = parse_iso(published[-1]["at"]) if published else None
        return at, at, []
    if served.created_at is None or resource.table("core") not in served.tables:
        return None, None, published
    cutoff = served.created_at
    inside = [v for v in published if (parse_iso(v["at"]) or cutoff) <= cutoff]
    later = [v for v in published if v not in inside]
    data_at = parse_iso(inside[-1]["at"]) if inside else None
    return (cutoff if inside else None), data_at, later


def _fetch_failure(fetches: list[dict]) -> tuple[dict, datetime] | None:
    """The last fetch if it failed, with the start of the current run of failures."""
    if not fetches or fetches[-1].get("outcome") == "ok":
        return None
    since = fetches[-1]
    for event in reversed(fetches):
        if event.get("outcome") == "ok":
            break
        since = event
    return fetches[-1], parse_iso(since["at"]) or datetime.min


def _failure_sentence(event: dict, since: datetime) -> str:
    status = event.get("http_status")
    when = french_date(since, with_time=False)
    if status:
        return f"la source répond {status} depuis le {when}"
    if event.get("kind") == "read":
        return f"le fichier ne peut plus être lu depuis le {when} ({event.get('error')})"
    error = str(event.get("error") or "erreur inconnue").split(":")[0]
    return f"la source est injoignable ({error}) depuis le {when}"


def schema_drift(resource: Resource, columns: list[str] | None) -> list[str]:
    """French sentences for columns the schema expects that the source no longer has."""
    if not columns:
        return []
    found = [c for c in columns if not c.startswith("_")]
    missing = [f for f in resource.field_names if f not in found]
    extra = [c for c in found if c not in resource.field_names]
    sentences = []
    for name in missing:
        match = difflib.get_close_matches(name, extra, n=1, cutoff=0.6)
        if match:
            extra.remove(match[0])
            sentences.append(f"colonne `{name}` renommée en `{match[0]}`")
        else:
            sentences.append(f"colonne `{name}` absente de la source")
    return sentences


def encoding_change(fetches: list[dict]) -> str | None:
    """`le fichier n'est plus en UTF-8` when the last two good reads differ in encoding."""
    good = [e for e in fetches if e.get("outcome") == "ok" and e.get("encoding")]
    if len(good) < 2:
        return None
    before, now = good[-2]["encoding"], good[-1]["encoding"]
    if before.lower().startswith("utf-8") and not now.lower().startswith("utf-8"):
        return f"le fichier n'est plus en UTF-8 ({now} détecté)"
    return None


def resource_status(
    resource: Resource,
    events: list[dict],
    now: datetime,
    max_age: float | None,
    watch: Any = None,
    served: Served | None = None,
) -> ResourceStatus:
    """`watch`: the change sensor's or schedule's last probe of this resource's source;
    `served`: the publication Datasette serves, whose time « publié le » gives."""
    mine = select(events, dataset=resource.dataset, resource=resource.name)
    fetches, validations = select(mine, step=FETCH), select(mine, step=VALIDATE)
    published = [v for v in validations if v.get("published")]
    last_pub, data_at, waiting = _served_versions(resource, published, served)
    if waiting:
        published = [v for v in published if v not in waiting]
    kept = (
        f" ; la publication du {french_date(last_pub)} reste en ligne"
        if last_pub
        else " ; rien n'a encore été publié"
    )
    last_fetch = fetches[-1] if fetches else None
    notes = []
    good = [e for e in fetches if e.get("outcome") == "ok"]
    if good:
        notes += schema_drift(resource, good[-1].get("columns"))
        notes += [s for s in [encoding_change(fetches)] if s]
    if waiting:
        when = french_date(parse_iso(waiting[-1]["at"]) or now)
        notes.append(f"la version validée le {when} attend la prochaine publication")
    detail = (" ; " + " ; ".join(notes)) if notes else ""

    failure = _fetch_failure(fetches)
    if failure:
        return ResourceStatus(
            FAILED,
            _failure_sentence(*failure) + detail + kept,
            last_fetch,
            last_pub,
            data_at=data_at,
        )
    if validations and validations[-1].get("outcome") == "failed":
        last = validations[-1]
        sentence = (
            f"la validation du {french_date(parse_iso(last['at']) or now)} a échoué "
            f"({last.get('error')})"
        )
        return ResourceStatus(
            BLOCKED, sentence + detail + kept, last_fetch, last_pub, data_at=data_at
        )
    if validations and not validations[-1].get("published"):
        last = validations[-1]
        share = last.get("invalid_share") or 0
        sentence = (
            f"la version du {french_date(parse_iso(last['at']) or now)} n'a pas été publiée : "
            f"{share:.0%} de lignes invalides, au-delà de la limite de "
            f"{resource.max_invalid_share:.0%}"
        )
        return ResourceStatus(
            BLOCKED, sentence + detail + kept, last_fetch, last_pub, data_at=data_at
        )
    if last_pub is None:
        sentence = (
            "aucune récupération pour l'instant"
            if not fetches
            else "validée mais pas encore publiée"
            if waiting
            else "récupérée mais pas encore validée ni publiée"
        )
        return ResourceStatus(NEVER, sentence + detail, last_fetch, None)
    data_at = data_at or last_pub
    age = age_hours(data_at, now) or 0.0
    if max_age is not None and age > max_age:
        sentence = (
            f"données vieilles de {age:.0f} h, au-delà des {max_age:g} h admises : "
            f"dernière publication le {french_date(last_pub)}"
        )
        if data_at != last_pub:
            sentence += f" (version validée le {french_date(data_at)})"
        checked = parse_iso(getattr(watch, "checked_at", None))
        if checked and checked > last_pub and not getattr(watch, "last_error", None):
            changed = parse_iso(getattr(watch, "changed_at", None))
            since = changed if changed and changed < last_pub else last_pub
            sentence += (
                f" ; la source, vérifiée le {french_date(checked)}, "
                f"n'a pas changé depuis le {french_date(since, with_time=False)}"
            )
        elif good and good[-1].get("changed") is False:
            sentence += " ; la source n'a pas changé depuis"
        else:
            sentence += " ; aucune actualisation réussie depuis"
        return ResourceStatus(STALE, sentence + detail, last_fetch, last_pub, data_at=data_at)
    rows = published[-1].get("rows_valid")
    quarantined = published[-1].get("rows_quarantined")
    sentence = f"publié le {french_date(last_pub)}"
    if rows is not None:
        sentence += f" ({_n(rows)} lignes valides, {_n(quarantined or 0)} en quarantaine)"
    counts = (int(rows or 0), int(quarantined or 0)) if rows is not None and not notes else None
    return ResourceStatus(FRESH, sentence + detail, last_fetch, last_pub, counts, data_at)


def next_check(
    dataset: Dataset, now: datetime, sensor_due: datetime | None = None
) -> datetime | None:
    """The earlier of the next scheduled run and the next change-detection probe."""
    candidates = [sensor_due] if sensor_due else []
    if dataset.schedule:
        candidates.append(next_cron_tick(dataset.schedule, now))
    return min(candidates) if candidates else None


def dataset_status(
    dataset: Dataset,
    events: list[dict],
    now: datetime,
    sensor_due: datetime | None = None,
    watches: dict[str, Any] | None = None,
    served: Served | None = None,
) -> dict[str, Any]:
    """The status row of one dataset: its worst resource decides the state; its publication
    time is the served snapshot's, its age the age of its oldest served table."""
    watches = watches or {}
    parts = [
        (
            r,
            resource_status(
                r,
                events,
                now,
                dataset.max_age_hours,
                watches.get(f"{r.dataset}/{r.name}"),
                served,
            ),
        )
        for r in dataset.resources
    ]
    worst = min(parts, key=lambda p: _ORDER.index(p[1].state))[1]
    same = [(r, s) for r, s in parts if s.state == worst.state]
    sentences = {s.sentence for _, s in same}
    if len(parts) > 1 and all(s.state == FRESH and s.rows for _, s in parts):
        # every table fresh and clean: one sentence for the dataset
        oldest = min(s.last_publication for _, s in parts if s.last_publication)
        valid = sum(s.rows[0] for _, s in parts if s.rows)
        quarantined = sum(s.rows[1] for _, s in parts if s.rows)
        sentence = (
            f"publié le {french_date(oldest)} ({len(parts)} tables, {_n(valid)} lignes valides, "
            f"{_n(quarantined)} en quarantaine)"
        )
    elif len(parts) == 1 or len(sentences) == 1 and len(same) == len(parts):
        sentence = worst.sentence
    else:
        sentence = " ; ".join(f"{r.name} : {s.sentence}" for r, s in same)
    sentence = sentence[0].upper() + sentence[1:] + "."
    pubs = [s.last_publication for _, s in parts if s.last_publication]
    fetched = [s.last_fetch for _, s in parts if s.last_fetch]
    last_fetch = max(fetched, key=lambda e: e["at"]) if fetched else None
    oldest_pub = min(pubs) if len(pubs) == len(parts) and pubs else None
    ages = [s.data_at or s.last_publication for _, s in parts]
    oldest_data = min(a for a in ages if a) if oldest_pub and all(ages) else None
    upcoming = next_check(dataset, now, sensor_due)
    return {
        "jeu_de_donnees": dataset.name,
        "titre": dataset.title,
        "etat": worst.state,
        "explication": sentence,
        "derniere_recuperation": last_fetch["at"] if last_fetch else None,
        "resultat_recuperation": _fetch_outcome(last_fetch),
        "derniere_publication": oldest_pub.strftime("%Y-%m-%dT%H:%M:%SZ") if oldest_pub else None,
        "age_heures": age_hours(oldest_data, now),
        "age_max_heures": dataset.max_age_hours,
        "prochaine_verification": upcoming.strftime("%Y-%m-%dT%H:%M:%SZ") if upcoming else None,
        "source": ", ".join(
            dict.fromkeys(
                public_source((s.last_fetch or {}).get("source") or r.online_url, r, dataset)
                for r, s in parts
            )
        ),
    }


def _n(count: int) -> str:
    """A count as French readers write it: « 4 409 » (narrow no-break space)."""
    return f"{count:,}".replace(",", "\u202f")


def public_source(fetched: str | None, resource: Resource, dataset: Dataset) -> str:
    """Where a resource's data came from, as published: a URL without its query string
    (where keys may be), or a shipped sample's path in the repository, never a path of the
    serving machine."""
    if fetched and "://" in fetched:
        return urlsplit(fetched)._replace(query="", fragment="").geturl()
    root = dataset.descriptor_path.resolve().parent.parent
    try:
        return resource.sample_path.resolve().relative_to(root).as_posix()
    except ValueError:
        return resource.sample_path.name


def _fetch_outcome(event: dict | None) -> str | None:
    if event is None:
        return None
    if event.get("outcome") == "ok":
        return "ok (inchangée)" if event.get("changed") is False else "ok"
    if event.get("http_status"):
        return f"HTTP {event['http_status']}"
    return str(event.get("error") or "échec")[:200]


def status_rows(
    datasets: list[Dataset],
    events: list[dict],
    now: datetime,
    sensor_due: dict[str, datetime] | None = None,
    watches: dict[str, Any] | None = None,
    served: Served | None = None,
) -> list[dict[str, Any]]:
    due = sensor_due or {}
    return [dataset_status(d, events, now, due.get(d.name), watches, served) for d in datasets]


def write_status(con: duckdb.DuckDBPyConnection, rows: list[dict[str, Any]]) -> int:
    """Replace `meta_camp__statut` with these rows."""
    return replace_described_table(con, meta_schema(STATUS_TABLE), rows)


def sensor_due_by_dataset(watches: dict[str, Any]) -> dict[str, datetime]:
    """The earliest next probe of each dataset, from the change sensor's watches."""
    due: dict[str, datetime] = {}
    for key, watch in watches.items():
        if not getattr(watch, "due_at", None):
            continue
        name = key.split("/", 1)[0]
        moment = datetime.fromisoformat(watch.due_at)
        due[name] = min(due.get(name, moment), moment)
    return due


def write_meta_tables(
    con: duckdb.DuckDBPyConnection,
    datasets: list[Dataset],
    build_dir: Path,
    now: datetime,
    served: Served | None = None,
) -> dict[str, int]:
    """Rebuild both published meta tables from the journal and the sensor's watches;
    `served` is the publication the status speaks of (the current one, or the one about to
    be made)."""
    from ..sources.changes import read_watches
    from .journal import read_events
    from .quality import HISTORY_TABLE, write_history

    events = read_events(build_dir)
    watches = read_watches(build_dir)
    due = sensor_due_by_dataset(watches)
    rows = status_rows(datasets, events, now, due, watches, served)
    return {
        STATUS_TABLE: write_status(con, rows),
        HISTORY_TABLE: write_history(con, events),
    }
