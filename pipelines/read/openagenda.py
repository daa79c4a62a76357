"""Reader for OpenAgenda v2 event exports, one linked table per call.

Accepts a JSON array of events (agenda export) or an API v2 response envelope
(`{"success", "total", "events", "after"}`). Options (`x-camp.read`):

  format: openagenda
  table: evenements | occurrences | lieux | mots_cles
  source: <name>          # the agenda's name, written in every row (required)
  agenda_slug: <slug>     # to build each event's public URL (optional)
  languages: [fr, en]     # fallback order for multilingual fields (see multilingual.py)
  mask_contacts: true     # e-mails and phone numbers in free text masked (default true)

Column names follow our events schema (catalog/schemas/agenda-*.json), aligned on
schema.org/Event and DATAtourisme. Timings become occurrences, one row each; an export that
only carries `firstTiming`/`nextTiming`/`lastTiming` (API responses with a partial field
set) gives those, marked in `origine_horaire`, and `occurrences_completes` is false on the
event. Markdown in `longDescription` is kept as text.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from . import ReadError, ReadResult
from .decp_flatten import get, text
from .multilingual import DEFAULT_ORDER, mask_contacts, pick

STATUS = {1: "Programmé", 2: "Reprogrammé", 3: "Déplacé en ligne", 4: "Reporté",
          5: "Complet", 6: "Annulé"}  # fmt: skip
ATTENDANCE = {1: "Sur place", 2: "En ligne", 3: "Mixte"}
ACCESSIBILITY = {"hi": "auditif", "vi": "visuel", "pi": "psychique", "mi": "moteur",
                 "ii": "intellectuel"}  # fmt: skip
POSTCODE = re.compile(r"\b(\d{2}) ?(\d{3})\b")

EVENT_COLUMNS = [
    "evenement_uid", "source", "slug", "url", "titre", "description", "description_longue",
    "conditions", "dates_texte", "date_debut", "date_fin", "nb_occurrences",
    "occurrences_completes", "statut", "mode_participation", "lien_en_ligne", "mots_cles",
    "age_min", "age_max", *(f"accessibilite_{v}" for v in ACCESSIBILITY.values()),
    "inscription", "image_url", "image_credits", "lieu_id", "lieu_nom", "commune",
    "code_insee", "latitude", "longitude", "agenda_origine", "agenda_origine_uid",
    "cree_le", "mis_a_jour", "langues_repli", "contacts_masques",
]  # fmt: skip
OCCURRENCE_COLUMNS = ["evenement_uid", "source", "rang", "debut", "fin", "origine_horaire"]
PLACE_COLUMNS = [
    "lieu_id", "source", "lieu_uid", "nom", "adresse", "code_postal", "commune", "code_insee",
    "departement", "region", "pays", "latitude", "longitude",
]  # fmt: skip
KEYWORD_COLUMNS = ["evenement_uid", "source", "rang", "mot_cle"]
TABLES = {
    "evenements": EVENT_COLUMNS,
    "occurrences": OCCURRENCE_COLUMNS,
    "lieux": PLACE_COLUMNS,
    "mots_cles": KEYWORD_COLUMNS,
}


def _instant(value: Any) -> datetime:
    """A timing's instant, for ordering; unparseable values sort first."""
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.min.replace(tzinfo=UTC)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _last_end(timings: list[tuple[str, dict[str, Any]]]) -> str | None:
    ends = [t["end"] for _, t in timings if t.get("end")]
    return text(max(ends, key=_instant)) if ends else None


class _Event:
    """One event and the options it is read with; methods give the rows of each table."""

    def __init__(self, data: dict[str, Any], options: dict[str, Any]) -> None:
        self.data = data
        self.source: str = options["source"]
        self.order = tuple(options.get("languages") or DEFAULT_ORDER)
        self.mask = options.get("mask_contacts", True)
        self.fallbacks: list[str] = []
        self.masked = 0

    def french(self, key: str, column: str) -> Any:
        value, language = pick(self.data.get(key), self.order)
        if language and language != "fr":
            self.fallbacks.append(f"{column}:{language}")
        return value

    def free_text(self, value: str | None) -> str | None:
        if not self.mask:
            return value
        value, count = mask_contacts(value)
        self.masked += count
        return value

    def timings(self) -> tuple[list[tuple[str, dict[str, Any]]], bool]:
        """(origin, timing) pairs sorted by start, and whether they are all the timings."""
        listed = self.data.get("timings")
        if isinstance(listed, list):
            found = [("timings", t) for t in listed if isinstance(t, dict) and t.get("begin")]
            return sorted(found, key=lambda pair: _instant(pair[1]["begin"])), True
        found: dict[str, tuple[str, dict[str, Any]]] = {}
        for key in ("firstTiming", "nextTiming", "lastTiming"):
            timing = self.data.get(key)
            if isinstance(timing, dict) and timing.get("begin"):
                found.setdefault(timing["begin"], (key, timing))
        return [found[begin] for begin in sorted(found, key=_instant)], False

    def place_id(self) -> str | None:
        location = self.data.get("location")
        if not isinstance(location, dict) or not location:
            return None
        if location.get("uid") is not None:
            return str(location["uid"])
        basis = "|".join(str(location.get(k) or "") for k in ("name", "address"))
        return "h" + hashlib.sha1(basis.encode()).hexdigest()[:12]

    def occurrence_rows(self) -> list[dict[str, Any]]:
        timings, _ = self.timings()
        return [
            {
                "evenement_uid": text(self.data.get("uid")),
                "source": self.source,
                "rang": str(rank),
                "debut": text(timing.get("begin")),
                "fin": text(timing.get("end")),
                "origine_horaire": origin,
            }
            for rank, (origin, timing) in enumerate(timings, start=1)
        ]

    def keywords(self) -> list[str]:
        value = self.french("keywords", "mots_cles")
        return [str(k) for k in value] if isinstance(value, list) else []

    def keyword_rows(self) -> list[dict[str, Any]]:
        uid = text(self.data.get("uid"))
        return [
            {"evenement_uid": uid, "source": self.source, "rang": str(rank), "mot_cle": word}
            for rank, word in enumerate(self.keywords(), start=1)
        ]

    def place_row(self) -> dict[str, Any] | None:
        location = self.data.get("location")
        key = self.place_id()
        if key is None or not isinstance(location, dict):
            return None
        postcode, city = location.get("postalCode"), location.get("city")
        found = POSTCODE.search(str(location.get("address") or ""))
        if found and not postcode:  # API responses with a partial field set: from the address
            postcode = found.group(1) + found.group(2)
        if found and not city:
            city = str(location["address"])[found.end() :].strip(" ,") or None
        return {
            "lieu_id": key,
            "source": self.source,
            "lieu_uid": text(location.get("uid")),
            "nom": text(location.get("name")),
            "adresse": text(location.get("address")),
            "code_postal": text(postcode),
            "commune": text(city),
            "code_insee": text(location.get("insee")),
            "departement": text(location.get("department") or location.get("adminLevel2")),
            "region": text(location.get("region") or location.get("adminLevel1")),
            "pays": text(location.get("countryCode")).upper()
            if location.get("countryCode")
            else None,
            "latitude": text(location.get("latitude")),
            "longitude": text(location.get("longitude")),
        }

    def event_row(self, agenda_slug: str | None) -> dict[str, Any]:
        data = self.data
        timings, complete = self.timings()
        accessibility = (
            data.get("accessibility") if isinstance(data.get("accessibility"), dict) else {}
        )
        registration = [
            self.free_text(text(r.get("value")))
            for r in data.get("registration") or []
            if isinstance(r, dict) and r.get("value")
        ]
        image = data.get("image")
        place = self.place_row() or {}
        slug = text(data.get("slug"))
        row = {
            "evenement_uid": text(data.get("uid")),
            "source": self.source,
            "slug": slug,
            "url": f"https://openagenda.com/{agenda_slug}/events/{slug}"
            if agenda_slug and slug
            else None,
            "titre": text(self.french("title", "titre")),
            "description": self.free_text(text(self.french("description", "description"))),
            "description_longue": self.free_text(
                text(self.french("longDescription", "description_longue"))
            ),
            "conditions": self.free_text(text(self.french("conditions", "conditions"))),
            "dates_texte": text(self.french("dateRange", "dates_texte")),
            "date_debut": text(timings[0][1].get("begin")) if timings else None,
            "date_fin": _last_end(timings),
            "nb_occurrences": str(len(timings)) if complete else None,
            "occurrences_completes": text(complete),
            "statut": STATUS.get(data.get("status")),
            "mode_participation": ATTENDANCE.get(data.get("attendanceMode")),
            "lien_en_ligne": text(data.get("onlineAccessLink")),
            "mots_cles": ", ".join(self.keywords()) or None,
            "age_min": text(get(data, "age", "min")),
            "age_max": text(get(data, "age", "max")),
            "inscription": " ; ".join(v for v in registration if v) or None,
            "image_url": (image.get("base") or "") + image["filename"]
            if isinstance(image, dict) and image.get("filename")
            else None,
            "image_credits": text(data.get("imageCredits")),
            "lieu_id": place.get("lieu_id"),
            "lieu_nom": place.get("nom"),
            "commune": place.get("commune"),
            "code_insee": place.get("code_insee"),
            "latitude": place.get("latitude"),
            "longitude": place.get("longitude"),
            "agenda_origine": text(get(data, "originAgenda", "title")),
            "agenda_origine_uid": text(get(data, "originAgenda", "uid")),
            "cree_le": text(data.get("createdAt")),
            "mis_a_jour": text(data.get("updatedAt")),
        }
        for code, name in ACCESSIBILITY.items():
            row[f"accessibilite_{name}"] = text(accessibility.get(code))
        row["langues_repli"] = ", ".join(self.fallbacks) or None
        row["contacts_masques"] = str(self.masked)
        return row


def events_of(path: Path, document: Any) -> list[dict[str, Any]]:
    """The events of an export array or of an API v2 envelope."""
    events = document.get("events") if isinstance(document, dict) else document
    if not isinstance(events, list):
        found = (
            f"an object with keys {sorted(document)[:6]}"
            if isinstance(document, dict)
            else (type(document).__name__)
        )
        raise ReadError(
            f"{path}, line 1: expected an OpenAgenda export (a list of events) or an API v2 "
            f"response (an object with `events`), found {found}"
        )
    for index, event in enumerate(events):
        if not isinstance(event, dict) or "uid" not in event:
            raise ReadError(f"{path}: event #{index + 1} has no `uid`; found {str(event)[:80]}")
    return events


def read(path: Path, options: dict[str, Any]) -> ReadResult:
    table = options.get("table")
    if table not in TABLES:
        raise ReadError(f"{path}: `read.table` must be one of {', '.join(TABLES)}, found {table!r}")
    if not options.get("source"):
        raise ReadError(f"{path}: `read.source` (the agenda's name for every row) is required")
    try:
        document = json.loads(path.read_bytes().decode("utf-8-sig"))
    except OSError as error:
        raise ReadError(f"{path}: cannot open the file: {error.strerror}") from error
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        where = f", line {error.lineno}" if isinstance(error, json.JSONDecodeError) else ""
        raise ReadError(f"{path}{where}: not valid UTF-8 JSON: {error}") from error
    events = [_Event(data, options) for data in events_of(path, document)]
    rows: list[dict[str, Any]] = []
    if table == "evenements":
        rows = [event.event_row(options.get("agenda_slug")) for event in events]
    elif table == "occurrences":
        rows = [row for event in events for row in event.occurrence_rows()]
    elif table == "mots_cles":
        rows = [row for event in events for row in event.keyword_rows()]
    else:
        seen: dict[str, dict[str, Any]] = {}
        for event in events:
            place = event.place_row()
            if place and place["lieu_id"] not in seen:
                seen[place["lieu_id"]] = place
        rows = list(seen.values())
    columns = TABLES[table]
    frame = pl.DataFrame(rows, schema={c: pl.String for c in columns})
    frame = frame.with_columns(pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias("_row"))
    detection: dict[str, Any] = {
        "shape": "api-v2-envelope" if isinstance(document, dict) else "export-array",
        "table": table,
        "events": len(events),
        "rows": frame.height,
    }
    if table == "evenements":
        detection["language_fallbacks"] = sum(bool(e.fallbacks) for e in events)
        detection["contacts_masked"] = sum(e.masked for e in events)
        detection["partial_timings"] = sum(not e.timings()[1] for e in events)
    return ReadResult(frame=frame, detection=detection)
