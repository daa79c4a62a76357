"""Datasette plugin for app developers: the OpenAPI document and its page, GeoJSON output,
a 400 for filters on unknown columns, and revalidation headers on JSON and downloads.

All through Datasette's plugin hooks (`register_routes`, `register_output_renderer`,
`asgi_wrapper`); what they serve is written at publication time (`openapi.py`) and follows
the publication the swap plugin (`plugin.py`) serves.
"""

from __future__ import annotations

import difflib
import html
import json
import re
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl
from datasette.utils.asgi import Response

from ..publish.openapi import COLUMNS_KEY, FILTER_OPERATORS, OPENAPI_FILE
from ..publish.site import DATABASE
from . import plugin

_TABLE_PATH = re.compile(rf"^/{DATABASE}/(?P<table>[^/]+?)(?:\.(?P<ext>json|csv|geojson))?$")
# JSON, CSV and GeoJSON of the database, bulk files, the OpenAPI document (not HTML pages)
_REVALIDATED = re.compile(
    rf"^/(?:{DATABASE}(?:/[^/]+)*\.(?:json|csv|geojson)|-/telechargements/.+|-/openapi\.json)$"
)


def unknown_filter(path: str, query_string: str, columns: dict[str, list[str]]) -> str | None:
    """The French message for a filter on a column the table does not have, else None.

    Datasette 0.65 answers such a filter (a typo: `acheteur_departemnt_code=71`) with 200 and
    no row, which reads as "no data" instead of "wrong name".
    """
    match = _TABLE_PATH.match(path)
    if not match or match["table"] not in columns:
        return None  # not a table page: a canned query's parameters are its own
    table, known = match["table"], columns[match["table"]]
    for key, value in parse_qsl(query_string, keep_blank_values=True):
        if key.startswith("_"):
            continue
        column, _, op = key.rpartition("__")
        if not column or op not in FILTER_OPERATORS:
            column = key
        if column in known:
            continue
        close = difflib.get_close_matches(column, known, n=1)
        hint = f" Vouliez-vous dire « {close[0]} » ?" if close else ""
        return (
            f"Colonne inconnue « {column} » dans le filtre « {key}={value} » de la table "
            f"{table}.{hint} Colonnes de la table : {', '.join(known)}."
        )
    return None


def _error_response(message: str, path: str) -> Response:
    if path.endswith((".json", ".geojson")):
        body = {"ok": False, "error": message, "status": 400, "title": "Filtre invalide"}
        return Response.json(body, status=400)
    page = (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        "<title>Filtre invalide</title></head><body><h1>Filtre invalide</h1>"
        f'<p>{html.escape(message)}</p><p><a href="{html.escape(path)}">'
        "Revenir à la table sans filtre</a></p></body></html>"
    )
    return Response.html(page, status=400)


def _publication_time() -> datetime | None:
    created = (plugin.STATE.metadata.get("x-camp") or {}).get("created_at")
    try:
        return datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def _not_modified(headers: dict[bytes, bytes], etag: str, modified: datetime | None) -> bool:
    match = headers.get(b"if-none-match")
    if match is not None:
        tags = [t.strip().removeprefix("W/") for t in match.decode("latin-1").split(",")]
        return etag.removeprefix("W/") in tags or "*" in tags
    since = headers.get(b"if-modified-since")
    if since is None or modified is None:
        return False
    try:
        return modified <= parsedate_to_datetime(since.decode("latin-1"))
    except (TypeError, ValueError):
        return False


@hookimpl
def asgi_wrapper(datasette: Any) -> Any:
    def wrap(app: Any) -> Any:
        async def checked(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if scope.get("type") != "http" or scope.get("method") not in ("GET", "HEAD"):
                await app(scope, receive, send)
                return
            # plugin.py's wrapper (registered first, so outermost) has already followed
            # `current.json` for this request: STATE is the publication being served.
            path = scope.get("path", "")
            columns = (plugin.STATE.metadata.get("x-camp") or {}).get(COLUMNS_KEY) or {}
            query = scope.get("query_string", b"").decode("utf-8", "replace")
            message = unknown_filter(path, query, columns)
            if message:
                await _error_response(message, path).asgi_send(send)
                return
            if not plugin.STATE.snapshot_id or not _REVALIDATED.match(path):
                await app(scope, receive, send)
                return
            # A publication never changes: the same URL answers the same content until the next
            # one (JSON pages differ only by their `query_ms`), so the snapshot id is a weak
            # validator and clients can revalidate cheaply.
            etag = f'W/"{plugin.STATE.snapshot_id}"'
            modified = _publication_time()
            headers = dict(scope.get("headers") or [])
            extra = [(b"etag", etag.encode())]
            if modified is not None:
                extra.append((b"last-modified", format_datetime(modified, usegmt=True).encode()))
            if _not_modified(headers, etag, modified):
                await send({"type": "http.response.start", "status": 304, "headers": extra})
                await send({"type": "http.response.body", "body": b""})
                return

            async def with_validators(message: dict[str, Any]) -> None:
                if message["type"] == "http.response.start" and message.get("status") == 200:
                    message = {**message, "headers": [*message.get("headers", []), *extra]}
                await send(message)

            await app(scope, receive, with_validators)

        return checked

    return wrap


def _map_columns(datasette: Any, table: str | None) -> tuple[str, str]:
    tables = plugin.STATE.metadata.get("databases", {}).get(DATABASE, {}).get("tables", {})
    config = (tables.get(table or "") or {}).get("plugins", {}).get("datasette-cluster-map", {})
    return config.get("latitude_column", "latitude"), config.get("longitude_column", "longitude")


def can_render_geojson(datasette: Any, columns: list[str], table: str | None) -> bool:
    latitude, longitude = _map_columns(datasette, table)
    return latitude in columns and longitude in columns


def render_geojson(
    datasette: Any, columns: list[str], rows: list[Any], table: str | None, data: dict[str, Any]
) -> Response:
    """A page of rows as a GeoJSON FeatureCollection (WGS84 points); rows without a position
    are left out and counted in `x-camp-sans-position`."""
    latitude, longitude = _map_columns(datasette, table)
    if latitude not in columns or longitude not in columns:
        return Response.json(
            {
                "ok": False,
                "status": 400,
                "error": f"Pas de colonnes {latitude}/{longitude} : pas de carte pour ces lignes.",
            },
            status=400,
        )
    features, unplaced = [], 0
    for row in rows:
        record = dict(zip(columns, row, strict=False))
        lat, lon = record.pop(latitude), record.pop(longitude)
        if lat is None or lon is None:
            unplaced += 1
            continue
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [lon, lat]},
                "properties": record,
            }
        )
    body = {
        "type": "FeatureCollection",
        "features": features,
        "next_url": data.get("next_url"),
        "x-camp-sans-position": unplaced,
    }
    return Response(
        json.dumps(body, ensure_ascii=False, default=str),
        content_type="application/geo+json; charset=utf-8",
    )


@hookimpl
def register_output_renderer(datasette: Any) -> dict[str, Any]:
    return {"extension": "geojson", "render": render_geojson, "can_render": can_render_geojson}


async def openapi_document(datasette: Any) -> Response:
    folder = plugin.STATE.folder
    if folder is None or not (folder / OPENAPI_FILE).is_file():
        return Response.json({"ok": False, "error": "Aucune publication pour l'instant."}, 404)
    return Response(
        (folder / OPENAPI_FILE).read_text(encoding="utf-8"),
        content_type="application/json; charset=utf-8",
        headers={"access-control-allow-origin": "*"} if datasette.cors else {},
    )


async def api_page(datasette: Any) -> Response:
    """The OpenAPI document as a French page: every endpoint, its parameters, an example."""
    folder = plugin.STATE.folder
    if folder is None or not (folder / OPENAPI_FILE).is_file():
        return Response.html("<p>Aucune publication pour l'instant.</p>", status=404)
    document = json.loads((folder / OPENAPI_FILE).read_text(encoding="utf-8"))
    sections = []
    for path, item in document["paths"].items():
        operation = item["get"]
        examples = {p["name"]: p["example"] for p in operation["parameters"] if "example" in p}
        link = path + ("?" + urlencode(examples) if examples else "")
        named = [p for p in operation["parameters"] if not p["name"].startswith("_")]
        listed = ", ".join(f"<code>{html.escape(p['name'])}</code>" for p in named[:12])
        more = f" et {len(named) - 12} autres" if len(named) > 12 else ""
        sections.append(
            f'<li><a href="{html.escape(link)}"><code>GET {html.escape(path)}</code></a> — '
            f"{html.escape(operation['summary'])}"
            + (f"<br>Paramètres : {listed}{more}." if named else "")
            + "</li>"
        )
    page = (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{html.escape(document['info']['title'])}</title></head><body>"
        f"<h1>{html.escape(document['info']['title'])}</h1>"
        f"<p>{html.escape(document['info']['description'])}</p>"
        '<p>Document OpenAPI 3 : <a href="/-/openapi.json">/-/openapi.json</a> '
        f"(publication {html.escape(document['info']['version'])}).</p>"
        f"<ul>{''.join(sections)}</ul></body></html>"
    )
    return Response.html(page)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [(r"^/-/openapi\.json$", openapi_document), (r"^/-/api/?$", api_page)]


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]]:
    return [{"href": "/-/api", "label": "API pour les développeurs (OpenAPI)"}]
