"""Datasette plugin for participants: the dataset-first home page, the downloads page, the
project's style sheet, and the French words for texts Datasette's scripts write.

All through Datasette's plugin hooks (`extra_template_vars`, `register_routes`,
`extra_css_urls`, `extra_body_script`, `menu_links`); pages use Datasette's own `base.html`
(via `datasette.render_template`), so they look like the rest. What they show was written at
publication time (`metadata.home_index`, `downloads.write_downloads`) and follows the
publication the swap plugin (`plugin.py`) serves.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from datasette import hookimpl
from datasette.utils.asgi import Response, asgi_send_file

from .. import french
from ..publish.downloads import write_xlsx
from ..publish.site import DATABASE
from . import french_templates, plugin

DOWNLOADS = "downloads"
STYLE = Path(__file__).with_name("templates") / "camp.css"
FORMAT_LABELS = {
    "csv-tableur": "CSV tableur (;)",
    "csv": "CSV (,)",
    "parquet": "Parquet",
    "xlsx": "XLSX",
    "geojson": "GeoJSON",
}
CONTENT_TYPES = {
    ".csv": "text/csv; charset=utf-8",
    ".parquet": "application/vnd.apache.parquet",
    ".json": "application/json; charset=utf-8",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".geojson": "application/geo+json; charset=utf-8",
}


def _camp() -> dict[str, Any]:
    return plugin.STATE.metadata.get("x-camp") or {}


@hookimpl
def extra_template_vars(template: str, datasette: Any) -> dict[str, Any]:
    # The served snapshot's database name, for `urls.table(camp_db, …)` (URLs use `/camp`).
    served = {"camp_db": plugin.STATE.name or DATABASE}
    if template != "index.html":
        return served
    camp = _camp()
    created = camp.get("created_at")
    return {
        **served,
        "camp_home": camp.get("home") or {},
        "camp_published": french.paris_time_long(created) if created else None,
        "camp_missing": camp.get("missing") or [],
    }


@hookimpl
def extra_css_urls() -> list[str]:
    return ["/-/camp.css"]


def _script() -> str:
    texts: dict[str, str] = {}
    patterns: list[list[str]] = []
    for spec in french_templates.script_texts().values():
        texts.update(spec.get("text") or {})
        patterns += [[regex, new] for _, regex, new in spec.get("patterns") or []]
    return _SCRIPT.replace("TEXTS", json.dumps(texts, ensure_ascii=False)).replace(
        "PATTERNS", json.dumps(patterns, ensure_ascii=False)
    )


# Translates, as they appear, the texts Datasette's and the plugins' scripts write (the
# column menu of table.js, the map's progress line). Whole text nodes only.
_SCRIPT = """
(() => {
  const texts = TEXTS;
  const patterns = PATTERNS.map(([re, to]) => [new RegExp(re), to]);
  const fr = (s) => {
    const t = s.trim();
    if (texts[t] !== undefined) return s.replace(t, texts[t]);
    for (const [re, to] of patterns) if (re.test(t)) return s.replace(t, t.replace(re, to));
    return s;
  };
  const walk = (root) => {
    if (root.nodeType === 3) {
      const s = fr(root.nodeValue); if (s !== root.nodeValue) root.nodeValue = s; return;
    }
    if (root.nodeType !== 1) return;
    const label = root.getAttribute("aria-label");
    if (label && texts[label]) root.setAttribute("aria-label", texts[label]);
    for (const child of root.childNodes) walk(child);
  };
  new MutationObserver((changes) => changes.forEach((c) => {
    if (c.type === "characterData") walk(c.target); else c.addedNodes.forEach(walk);
  })).observe(document.documentElement, {childList: true, subtree: true, characterData: true});
  document.addEventListener("DOMContentLoaded", () => walk(document.body));
})();
"""


@hookimpl
def extra_body_script() -> str:
    return _script()


async def style(datasette: Any) -> Response:
    return Response(
        STYLE.read_text(encoding="utf-8"),
        content_type="text/css; charset=utf-8",
        headers={"cache-control": "public, max-age=300"},
    )


def _download_headers(datasette: Any) -> dict[str, str]:
    headers = {"cache-control": "public, max-age=60"}
    if datasette.cors:
        headers["access-control-allow-origin"] = "*"
    if plugin.STATE.snapshot_id:
        headers["x-camp-snapshot"] = plugin.STATE.snapshot_id
    return headers


def download_rows(package: dict[str, Any]) -> list[dict[str, Any]]:
    """One line per table for the downloads page: title, rows, files with their sizes."""
    lines = []
    for resource in package["resources"]:
        files = resource.get("x-camp-files") or [
            {"format": "csv", "path": resource["path"], "bytes": None},
            {"format": "parquet", "path": resource.get("x-camp-parquet"), "bytes": None},
        ]
        order = list(FORMAT_LABELS)
        files = sorted(files, key=lambda f: order.index(f["format"]) if f["format"] in order else 9)
        lines.append(
            {
                "table": resource["path"].removesuffix(".csv"),
                "title": resource.get("title") or resource["name"],
                "rows": resource.get("x-camp-rows") or 0,
                "files": [
                    {
                        **f,
                        "label": FORMAT_LABELS.get(f["format"], f["format"]),
                        "size": french.size(f["bytes"]) if f.get("bytes") is not None else "",
                    }
                    for f in files
                ],
            }
        )
    return lines


async def downloads_index(datasette: Any, request: Any) -> Response:
    """The current publication's bulk files, one line per table."""
    if plugin.STATE.folder is None:
        return Response.html("<p>Aucune publication pour l'instant.</p>", status=404)
    path = plugin.STATE.folder / DOWNLOADS / "datapackage.json"
    package = json.loads(path.read_text("utf-8"))
    lines = download_rows(package)
    created = _camp().get("created_at")
    page = await datasette.render_template(
        "camp_downloads.html",
        {
            "lines": [line for line in lines if line["rows"]],
            "empty": [line for line in lines if not line["rows"]],
            "snapshot": plugin.STATE.snapshot_id,
            "published": french.paris_time_long(created) if created else "",
            "package_size": french.size(path.stat().st_size),
        },
        request=request,
    )
    return Response.html(page, headers=_download_headers(datasette))


async def download_file(datasette: Any, request: Any, send: Any) -> Response | None:
    """One bulk file of the current publication (names are checked against the folder)."""
    name = request.url_vars["name"]
    folder = plugin.STATE.folder
    if folder is None or "/" in name or name.startswith("."):
        return Response.text("Fichier inconnu.", status=404)
    path = folder / DOWNLOADS / name
    if path.suffix == ".xlsx" and not path.is_file():
        await _build_xlsx(path)
    if path.suffix not in CONTENT_TYPES or not path.is_file():
        return Response.text(f"Fichier inconnu : {name}", status=404)
    await asgi_send_file(
        send,
        path,
        content_type=CONTENT_TYPES[path.suffix],
        chunk_size=1 << 20,
        headers=_download_headers(datasette),
    )
    return None


_BUILDING: dict[Path, asyncio.Lock] = {}


async def _build_xlsx(path: Path) -> None:
    """Write a table's XLSX file from its Parquet file, once, if the publication offers one."""
    package = json.loads((path.parent / "datapackage.json").read_text("utf-8"))
    offered = {
        f["path"]
        for r in package["resources"]
        for f in r.get("x-camp-files") or []
        if f["format"] == "xlsx" and f.get("path")
    }
    parquet = path.with_suffix(".parquet")
    if path.name not in offered or not parquet.is_file():
        return
    lock = _BUILDING.setdefault(path, asyncio.Lock())
    async with lock:
        if not path.is_file():
            await asyncio.to_thread(write_xlsx, parquet, path)


@hookimpl
def register_routes() -> list[tuple[str, Any]]:
    return [
        (r"^/-/camp\.css$", style),
        (r"^/-/telechargements/?$", downloads_index),
        (r"^/-/telechargements/(?P<name>[^/]+)$", download_file),
    ]


@hookimpl
def menu_links(datasette: Any) -> list[dict[str, str]]:
    return [{"href": "/-/telechargements", "label": "Téléchargements (CSV, XLSX, Parquet…)"}]
