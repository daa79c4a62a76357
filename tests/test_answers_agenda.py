"""Right answers of the mutualised agenda: every panel of `agenda-mutualise` and the canned
query `evenements_d_une_commune`, on the publication of the shipped samples, against an
independent computation.

The independent side reads the three OpenAgenda samples with `json`, the COG and La Poste
referentials with `csv`, and re-implements in plain Python the rules the marts document:
the INSEE code (source, else postcode, postcode + commune name, commune name in the
postcode's department, commune name alone), the double-publication rule (same normalised
title, one common start to the minute, places within 300 m or same INSEE code, different
agendas, one hop), keyword and commune-name normalisation (`str.casefold` + accents
stripped with `unicodedata`). Nothing is read from the program's SQL.
"""

from __future__ import annotations

import csv
import json
import math
import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import pytest

from tests.answers import (
    DATASETS,
    Published,
    canned_query,
    chart_rows,
    kept_rows,
    query_rows,
)

pytestmark = pytest.mark.slow

PARIS = ZoneInfo("Europe/Paris")
SAMPLES = {
    "agenda_caen_bibliotheques": (
        "agenda_caen_bibliotheques/caen-bibliotheques.api-v2-response.json"
    ),
    "agenda_centre_tcheque": "agenda_centre_tcheque/centre-tcheque-paris.events.json",
    "agenda_relais": "agenda_relais/agenda-relais.api-v2-response.json",
}
POSTCODE = re.compile(r"\b(\d{2}) ?(\d{3})\b")


# --- normal forms, written independently of the marts' SQL --------------------------------


def unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def folded(text: str) -> str:
    """Unicode case folding, œ/æ spelt out, accents stripped."""
    return unaccented(text.casefold().replace("œ", "oe").replace("æ", "ae"))


def keyword_key(word: str) -> str:
    return " ".join(folded(word).split())


def name_key(name: str | None) -> str | None:
    if name is None:
        return None
    return re.sub(r"[^a-z0-9]+", " ", folded(name)).strip() or None


def title_key(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", unaccented(title).lower()).strip()


# --- referentials -------------------------------------------------------------------------


@dataclass(frozen=True)
class Referentials:
    official_name: dict[str, str]  # COM code → LIBELLE
    parent: dict[str, str]  # ARM code → its commune
    by_postcode: dict[str, set[str]]
    by_postcode_name: dict[tuple[str, str], set[str]]
    by_department_name: dict[tuple[str, str], set[str]]
    by_name: dict[str, set[str]]


@cache
def referentials() -> Referentials:
    official, parent = {}, {}
    by_department_name: dict[tuple[str, str], set[str]] = defaultdict(set)
    by_name: dict[str, set[str]] = defaultdict(set)
    with open(DATASETS / "communes" / "communes-cog-2026.csv", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["TYPECOM"] == "ARM":
                parent[row["COM"]] = row["COMPARENT"]
            if row["TYPECOM"] != "COM":
                continue
            official[row["COM"]] = row["LIBELLE"]
            department = "20" if row["DEP"] in ("2A", "2B") else row["DEP"]
            for name in {name_key(row["LIBELLE"]), name_key(row["NCCENR"])} - {None}:
                by_department_name[department, name].add(row["COM"])
                by_name[name].add(row["COM"])
    by_postcode: dict[str, set[str]] = defaultdict(set)
    by_postcode_name: dict[tuple[str, str], set[str]] = defaultdict(set)
    path = DATASETS / "communes" / "laposte-codes-postaux-2022.csv"
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f, delimiter=";"):
            code, postcode = row["Code_commune_INSEE"], row["Code_postal"]
            by_postcode[postcode].add(code)
            for name in (row["Nom_commune"], row["Ligne_5"]):
                if name_key(name):
                    by_postcode_name[postcode, name_key(name)].add(code)
    return Referentials(
        official, parent, by_postcode, by_postcode_name, by_department_name, by_name
    )


def only(codes: set[str] | None) -> str | None:
    return next(iter(codes)) if codes and len(codes) == 1 else None


def insee_code(source_code: str | None, postcode: str | None, commune: str | None):
    """(code, origin) by the rule catalog/marts/agenda__evenements.yaml documents."""
    ref, name = referentials(), name_key(commune)
    department = None
    if postcode:
        department = postcode[:3] if postcode.startswith("97") else postcode[:2]
    candidates = [
        ("source", source_code or None),
        ("code_postal", only(ref.by_postcode.get(postcode))),
        ("code_postal_commune", only(ref.by_postcode_name.get((postcode, name)))),
        ("commune_departement", only(ref.by_department_name.get((department, name)))),
        ("commune", only(ref.by_name.get(name)) if not postcode else None),
    ]
    for origin, code in candidates:
        if code:
            return ref.parent.get(code, code), origin
    return None, None


# --- the samples, read as plain JSON ------------------------------------------------------


@dataclass
class Publication:
    source: str
    uid: str
    title: str
    starts: list[datetime]
    latitude: float | None
    longitude: float | None
    commune: str | None
    code_insee: str | None
    origin: str | None
    keywords: list[str] = field(default_factory=list)

    @property
    def key(self) -> str:
        return f"{self.source}:{self.uid}"

    @property
    def paris_day(self) -> date | None:
        return min(self.starts).astimezone(PARIS).date() if self.starts else None


def french(value) -> object:
    if isinstance(value, dict):
        for language in ("fr", "en"):
            if value.get(language) not in (None, "", []):
                return value[language]
        return None
    return value


def starts_of(event: dict) -> list[datetime]:
    if isinstance(event.get("timings"), list):
        timings = event["timings"]
    else:
        timings = [event.get(k) for k in ("firstTiming", "nextTiming", "lastTiming")]
    return [datetime.fromisoformat(t["begin"]) for t in timings if t and t.get("begin")]


def publication(source: str, event: dict) -> Publication:
    place = event.get("location") or {}
    postcode, commune = place.get("postalCode"), place.get("city")
    found = POSTCODE.search(place.get("address") or "")
    if found and not postcode:
        postcode = found.group(1) + found.group(2)
    if found and not commune:
        commune = place["address"][found.end() :].strip(" ,") or None
    code, origin = insee_code(place.get("insee"), postcode, commune)
    return Publication(
        source=source,
        uid=str(event["uid"]),
        title=french(event.get("title")) or "",
        starts=starts_of(event),
        latitude=place.get("latitude"),
        longitude=place.get("longitude"),
        commune=commune,
        code_insee=code,
        origin=origin,
        keywords=list(french(event.get("keywords")) or []),
    )


def read_samples(published: Published) -> list[Publication]:
    found = []
    for source, path in SAMPLES.items():
        document = json.loads((DATASETS / path).read_text(encoding="utf-8"))
        events = document["events"] if isinstance(document, dict) else document
        kept = kept_rows(published, f"{source}__evenements", events)
        found += [publication(source, event) for event in kept]
    return found


def metres(a: Publication, b: Publication) -> float:
    lat_a, lon_a, lat_b, lon_b = map(
        math.radians, (a.latitude, a.longitude, b.latitude, b.longitude)
    )
    h = (
        math.sin((lat_b - lat_a) / 2) ** 2
        + math.cos(lat_a) * math.cos(lat_b) * math.sin((lon_b - lon_a) / 2) ** 2
    )
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def same_event(a: Publication, b: Publication) -> bool:
    if a.source >= b.source or title_key(a.title) != title_key(b.title):
        return False
    minutes = {s.replace(second=0, microsecond=0) for s in a.starts}
    if not minutes & {s.replace(second=0, microsecond=0) for s in b.starts}:
        return False
    located = None not in (a.latitude, a.longitude, b.latitude, b.longitude)
    if located:
        return metres(a, b) <= 300
    return a.code_insee is not None and a.code_insee == b.code_insee


@dataclass
class Event:
    kept: Publication
    members: list[Publication]

    @property
    def sources(self) -> set[str]:
        return {m.source for m in self.members}


@dataclass
class Expected:
    events: list[Event]
    label_of_commune: dict[str, str]  # grouping key → label
    keyword_label: dict[str, str]

    def commune_key(self, event: Event) -> str | None:
        return event.kept.code_insee or name_key(event.kept.commune)

    def commune_label(self, event: Event) -> str | None:
        key = self.commune_key(event)
        return self.label_of_commune.get(key) if key else None

    def select(self, commune: str | None = None, debut: str | None = None) -> list[Event]:
        return [
            e
            for e in self.events
            if (commune is None or self.commune_label(e) == commune)
            and (
                debut is None
                or (e.kept.paris_day and e.kept.paris_day >= date.fromisoformat(debut))
            )
        ]


def most_frequent(spellings: Counter) -> str:
    return min(spellings, key=lambda s: (-spellings[s], s))


@pytest.fixture(scope="module")
def expected(published: Published) -> Expected:
    publications = read_samples(published)
    by_key = {p.key: p for p in publications}
    group: dict[str, str] = {}
    for b in publications:
        firsts = [a.key for a in publications if same_event(a, b)]
        group[b.key] = min([b.key, *firsts])
    members: dict[str, list[Publication]] = defaultdict(list)
    for key, head in group.items():
        members[head].append(by_key[key])
    events = [Event(by_key[head], ms) for head, ms in members.items()]

    ref = referentials()
    spellings: dict[str, Counter] = defaultdict(Counter)
    for p in publications:
        if name_key(p.commune):
            spellings[name_key(p.commune)][p.commune] += 1
    labels = {key: most_frequent(c) for key, c in spellings.items()}
    labels |= {p.code_insee: ref.official_name[p.code_insee] for p in publications if p.code_insee}
    words: dict[str, Counter] = defaultdict(Counter)
    for p in publications:
        for word in p.keywords:
            if keyword_key(word):
                words[keyword_key(word)][word] += 1
    return Expected(events, labels, {k: most_frequent(c) for k, c in words.items()})


# --- one test per panel and for the canned query ------------------------------------------

COMMUNE_FILTERS = [{}, {"commune": "Caen"}, {"commune": "Paris"}, {"debut": "2019-12-01"}]


@pytest.mark.parametrize("filters", COMMUNE_FILTERS)
def test_events(published: Published, expected: Expected, filters: dict) -> None:
    rows = chart_rows(published, "agenda-mutualise", "evenements", **filters)
    assert rows[0]["evenements"] == len(expected.select(**filters)) > 0


def test_samples_have_a_double_publication_and_the_caen_events(expected: Expected) -> None:
    """The figures below would prove little if the samples did not have these."""
    assert sum(len(e.sources) > 1 for e in expected.events) >= 3
    assert sum(e.kept.code_insee == "14118" for e in expected.events) == 6


@pytest.mark.parametrize("filters", [{}, {"commune": "Paris"}, {"debut": "2019-12-01"}])
def test_doublons(published: Published, expected: Expected, filters: dict) -> None:
    rows = chart_rows(published, "agenda-mutualise", "doublons", **filters)
    merged = [e for e in expected.select(**filters) if len(e.sources) > 1]
    assert rows[0]["doublons"] == len(merged) > 0


@pytest.mark.parametrize("filters", [{}, {"debut": "2022-01-01"}])
def test_par_commune(published: Published, expected: Expected, filters: dict) -> None:
    rows = chart_rows(published, "agenda-mutualise", "par-commune", **filters)
    counts = Counter(expected.commune_key(e) for e in expected.select(**filters))
    bars = sorted(
        (
            (expected.label_of_commune.get(k, "(inconnue)") if k else "(inconnue)", n)
            for k, n in counts.items()
        ),
        key=lambda bar: (-bar[1], bar[0]),
    )[:15]
    assert [(r["commune"], r["evenements"]) for r in rows] == bars
    assert rows


def test_par_commune_counts_caen_with_its_derived_code(
    published: Published, expected: Expected
) -> None:
    rows = {
        r["commune"]: r["evenements"]
        for r in chart_rows(published, "agenda-mutualise", "par-commune")
    }
    caen = [e for e in expected.events if e.kept.code_insee == "14118"]
    assert caen and all(e.kept.origin != "source" for e in caen)  # derived, not given
    assert rows["Caen"] == len(caen)


@pytest.mark.parametrize("filters", COMMUNE_FILTERS)
def test_par_semaine(published: Published, expected: Expected, filters: dict) -> None:
    rows = chart_rows(published, "agenda-mutualise", "par-semaine", **filters)
    weeks = Counter(
        (day - timedelta(days=day.weekday())).isoformat()
        for e in expected.select(**filters)
        if (day := e.kept.paris_day)
    )
    assert [(r["semaine"], r["evenements"]) for r in rows] == sorted(weeks.items())
    assert rows
    assert all(date.fromisoformat(r["semaine"]).weekday() == 0 for r in rows)


@pytest.mark.parametrize("filters", [{}, {"commune": "Paris"}, {"debut": "2019-12-01"}])
def test_par_mot_cle(published: Published, expected: Expected, filters: dict) -> None:
    rows = chart_rows(published, "agenda-mutualise", "par-mot-cle", **filters)
    counts: Counter = Counter()
    for event in expected.select(**filters):
        counts.update({keyword_key(w) for m in event.members for w in m.keywords} - {""})
    bars = sorted(
        ((expected.keyword_label[k], n) for k, n in counts.items()), key=lambda b: (-b[1], b[0])
    )[:15]
    assert [(r["mot_cle"], r["evenements"]) for r in rows] == bars
    assert rows


def test_par_mot_cle_groups_case_and_accent_variants(published: Published) -> None:
    """No two bars are the same keyword up to case and accents (« Exposition » and
    « exposition » are both in the Centre tchèque sample)."""
    rows = chart_rows(published, "agenda-mutualise", "par-mot-cle")
    keys = [keyword_key(r["mot_cle"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert "exposition" in keys


@pytest.mark.parametrize("filters", COMMUNE_FILTERS)
def test_carte(published: Published, expected: Expected, filters: dict) -> None:
    rows = chart_rows(published, "agenda-mutualise", "carte", **filters)
    points = Counter(
        (round(e.kept.latitude, 6), round(e.kept.longitude, 6), e.kept.title)
        for e in expected.select(**filters)
        if e.kept.latitude is not None and e.kept.longitude is not None
    )
    found = Counter((round(r["latitude"], 6), round(r["longitude"], 6), r["titre"]) for r in rows)
    assert found == points and rows


def events_in_period(expected: Expected, code: str, du: str, au: str) -> list[tuple[str, int]]:
    """(title, number of distinct start minutes whose Paris day is within [du, au]) of the
    events of that commune, the dates of every merged publication united."""
    first, last = date.fromisoformat(du), date.fromisoformat(au)
    found = []
    for event in expected.events:
        if event.kept.code_insee != code:
            continue
        minutes = {
            s.replace(second=0, microsecond=0)
            for m in event.members
            for s in m.starts
            if first <= s.astimezone(PARIS).date() <= last
        }
        if minutes:
            found.append((event.kept.title, len(minutes)))
    return sorted(found)


@pytest.mark.parametrize(
    "params",
    [
        {},  # the query's `exemple`: Caen, Journées européennes du patrimoine 2022
        {"code_insee": "75056", "du": "2019-12-01", "au": "2019-12-31"},
        {"code_insee": "38185", "du": "2000-01-01", "au": "2030-12-31"},
    ],
)
def test_evenements_d_une_commune(published: Published, expected: Expected, params: dict) -> None:
    given = params or dict(canned_query("evenements_d_une_commune")["exemple"])
    rows = query_rows(published, "evenements_d_une_commune", **params)
    wanted = events_in_period(expected, given["code_insee"], given["du"], given["au"])
    assert sorted((r["titre"], r["dates_periode"]) for r in rows) == wanted
    assert len(rows) == len(wanted) > 0


def test_every_event_has_an_insee_code_and_its_origin(
    published: Published, expected: Expected
) -> None:
    rows = published.rows(
        "SELECT origine_code_insee AS origine, count(*) AS n FROM mart_agenda__evenements "
        "GROUP BY 1"
    )
    origins = Counter(e.kept.origin for e in expected.events)
    assert {r["origine"]: r["n"] for r in rows} == dict(origins)
    assert None not in origins


ANSWERS = {
    "agenda-mutualise/evenements": test_events,
    "agenda-mutualise/doublons": test_doublons,
    "agenda-mutualise/par-commune": test_par_commune,
    "agenda-mutualise/par-semaine": test_par_semaine,
    "agenda-mutualise/par-mot-cle": test_par_mot_cle,
    "agenda-mutualise/carte": test_carte,
    "query/evenements_d_une_commune": test_evenements_d_une_commune,
}
