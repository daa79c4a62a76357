"""Infer a catalogue descriptor from a sample file, for a data officer to complete.

The file is read with the project's own readers (`read_resource`: encoding, delimiter,
decimal commas, French dates and coordinates are detected and normalised there), then each
column's type is inferred from its values, with the French formats of `validate.formats`
(the very definitions `x-camp-check` validates with): SIRET / SIREN (Luhn checksum), INSEE
commune code, postcode, CPV code; and latitude / longitude. The
descriptor names what it guessed in YAML comments and leaves `À compléter` wherever only a
person can say (titles, descriptions, licence), so it loads as it is and reads the file.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import polars as pl
import yaml

from ..read import READERS, read_resource
from ..validate.formats import CODE_INSEE, CODE_POSTAL, CPV, SIREN, SIRET, Format, luhn_sum

TODO = "À compléter"
SAMPLE_ROWS = 20_000
FORMATS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".geojson": "geojson", ".zip": "gtfs"}
_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$")
_BOOLEANS = {
    ("true", "false"): (["true", "True", "TRUE"], ["false", "False", "FALSE"]),
    ("oui", "non"): (["oui", "Oui", "OUI"], ["non", "Non", "NON"]),
}


def luhn(digits: str) -> bool:
    """The Luhn checksum SIREN and SIRET numbers carry."""
    return luhn_sum(digits) % 10 == 0


def _share(values: list[str], test: Callable[[str], bool]) -> float:
    return sum(1 for v in values if test(v)) / len(values) if values else 0.0


def _hint(name: str, *words: str) -> bool:
    flat = _slug(name)
    return any(word in flat for word in words)


@dataclass(frozen=True)
class Guess:
    """One column's inferred Table Schema field and what it suggests for `x-camp`."""

    field: dict[str, Any]
    why: str
    facet: bool = False
    axis: str | None = None  # latitude / longitude


def _format_field(name: str, fmt: Format) -> Guess:
    # the check verifies the shape too: a `pattern` constraint beside it would report
    # every malformed value twice
    return Guess({"name": name, "type": "string", "x-camp-check": fmt.name}, fmt.label)


def _code_guess(name: str, values: list[str]) -> Guess | None:
    """French identifiers (`validate.formats`), recognised by value and, where the shape is
    ambiguous, by column name."""
    if _share(values, SIRET.matches) >= 0.9:
        return _format_field(name, SIRET)
    if _share(values, SIREN.matches) >= 0.9 and _hint(name, *SIREN.hints):
        return _format_field(name, SIREN)
    if _share(values, CPV.matches) == 1.0 and _hint(name, *CPV.hints):
        return _format_field(name, CPV)
    postal = _hint(name, *CODE_POSTAL.hints)
    insee = _hint(name, *CODE_INSEE.hints)
    if _share(values, CODE_INSEE.matches) == 1.0:
        corsica = any(v[:2] in ("2A", "2B") for v in values)
        if insee or (not postal and corsica):
            return _format_field(name, CODE_INSEE)
    if postal and _share(values, CODE_POSTAL.matches) == 1.0:
        return _format_field(name, CODE_POSTAL)
    return None


def _coordinate_guess(name: str, values: list[str]) -> Guess | None:
    if not values or _share(values, _NUMBER.match) < 1.0:
        return None
    numbers = [float(v) for v in values]
    low, high = min(numbers), max(numbers)
    if _hint(name, "latitude", "lat") and low >= -90 and high <= 90:
        constraints = {"minimum": -90, "maximum": 90}
        return Guess(
            {"name": name, "type": "number", "constraints": constraints},
            "latitude WGS84",
            axis="latitude",
        )
    if _hint(name, "longitude", "lon", "lng") and low >= -180 and high <= 180:
        constraints = {"minimum": -180, "maximum": 180}
        return Guess(
            {"name": name, "type": "number", "constraints": constraints},
            "longitude WGS84",
            axis="longitude",
        )
    return None


def guess_field(name: str, column: pl.Series, rows: int) -> Guess:
    """The Table Schema field for one text column (values already normalised by the reader)."""
    values = [v.strip() for v in column.to_list() if v is not None and v.strip() != ""]
    if not values:
        return Guess({"name": name, "type": "string"}, "colonne vide dans l'échantillon")
    # French codes on the cells as written: the check will see " 69123", not "69123"
    guess = _code_guess(name, [v for v in column.to_list() if v is not None and v.strip()])
    guess = guess or _coordinate_guess(name, values)
    if guess:
        return guess
    distinct = set(values)
    lowered = {v.lower() for v in distinct}
    for words, (true_values, false_values) in _BOOLEANS.items():
        if lowered <= set(words):
            field = {
                "name": name,
                "type": "boolean",
                "trueValues": true_values,
                "falseValues": false_values,
            }
            return Guess(field, f"booléen ({'/'.join(words)})", facet=True)
    facet = len(distinct) <= 12 and rows >= 2 * len(distinct)
    leading_zero = any(len(v) > 1 and v.lstrip("+-").startswith("0") for v in values)
    if all(_INTEGER.match(v) for v in values) and not leading_zero:
        return Guess({"name": name, "type": "integer"}, "entier", facet=facet)
    if all(_NUMBER.match(v) for v in values) and not leading_zero:
        return Guess({"name": name, "type": "number"}, "nombre décimal")
    if all(_DATE.match(v) for v in values):
        return Guess({"name": name, "type": "date"}, "date (AAAA-MM-JJ)")
    if all(_DATETIME.match(v) for v in values):
        return Guess({"name": name, "type": "datetime"}, "date et heure ISO 8601")
    return Guess({"name": name, "type": "string"}, "texte", facet=facet)


def _slug(text: str) -> str:
    flat = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "_", flat).strip("_")


def dataset_name(source: str) -> str:
    """A catalogue name (`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`) from a file name or URL."""
    stem = Path(urlparse(source).path).stem if "://" in source else Path(source).stem
    slug = _slug(stem) or "jeu"
    return slug if slug[0].isalpha() else f"jeu_{slug}"


def coordinate_pair(frame: pl.DataFrame) -> tuple[str, str] | None:
    """An `…_x` / `…_y` pair of numeric columns (Lambert-93 or degrees) the reader can turn
    into latitude / longitude with `read.coordinates`."""
    # digits dropped so that `F03_COORDONNEES_X` pairs with `F05_COORDONNEES_Y`
    slugs = {re.sub(r"\d+", "", _slug(c)): c for c in frame.columns if not c.startswith("_")}
    for slug, column in slugs.items():
        if not (slug == "x" or slug.endswith("_x")):
            continue
        other = slugs.get(slug[:-1] + "y")
        if other is None:
            continue
        values = [
            v.strip()
            for c in (column, other)
            for v in frame[c].head(SAMPLE_ROWS).to_list()
            if v and v.strip()
        ]
        if values and _share(values, _NUMBER.match) == 1.0:
            return column, other
    return None


def _format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower(), "csv")
    if fmt not in READERS:
        raise ValueError(
            f"{path}: no reader for {path.suffix!r} files yet (readers: {', '.join(READERS)})"
        )
    return fmt


def infer_descriptor(
    path: Path, name: str, sample_relpath: str, online_url: str | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """The descriptor inferred from `path`, and a comment per field saying what was guessed."""
    fmt = _format_of(path)
    options = (
        {"format": fmt, "encoding": "auto", "delimiter": "auto"}
        if fmt == "csv"
        else {"format": fmt}
    )
    result = read_resource(path, options)
    pair = coordinate_pair(result.frame)
    if fmt == "csv" and pair and "latitude" not in result.frame.columns:
        options["coordinates"] = {"x": pair[0], "y": pair[1], "crs": "auto"}
        result = read_resource(path, options)
    frame = result.frame.head(SAMPLE_ROWS)
    guesses = [
        guess_field(column, frame[column], frame.height)
        for column in frame.columns
        if not column.startswith("_")
    ]
    read: dict[str, Any] = {}
    if fmt == "csv":
        read = {
            "encoding": result.detection.get("encoding", "auto"),
            "delimiter": result.detection.get("delimiter", "auto"),
        }
    extension: dict[str, Any] = {}
    if online_url:
        extension["online_url"] = online_url
    if "coordinates" in options:
        read["coordinates"] = options["coordinates"]
    if read:
        extension["read"] = read
    facets = [g.field["name"] for g in guesses if g.facet]
    if facets:
        extension["facets"] = facets
    axes = {g.axis: g.field["name"] for g in guesses if g.axis}
    if set(axes) == {"latitude", "longitude"}:
        extension["map"] = axes
    fields = []
    for guess in guesses:
        fields.append(
            {**guess.field, "description": f"{TODO} : que contient `{guess.field['name']}` ?"}
        )
    schema: dict[str, Any] = {"fields": fields}
    for guess in guesses:
        column = frame[guess.field["name"]]
        looks_like_id = _slug(guess.field["name"]) in ("id", "uid", "identifiant", "fid")
        if looks_like_id and column.null_count() == 0 and column.n_unique() == frame.height:
            schema["primaryKey"] = [guess.field["name"]]
            extension["key_fields"] = [guess.field["name"]]
            break
    descriptor = {
        "name": name,
        "title": f"{TODO} : titre du jeu de données",
        "description": f"{TODO} : ce que contient le jeu, qui le produit, sa couverture.",
        "licenses": [{"name": "a-completer", "title": f"{TODO} : licence (ex. etalab-2.0)"}],
        "sources": [
            {
                "title": f"{TODO} : producteur de la donnée",
                "path": online_url or "https://www.data.gouv.fr/",
            }
        ],
        "x-camp": {"schedule": "0 6 * * 1", "max_age_hours": 192},
        "resources": [
            {
                "name": name,
                "title": f"{TODO} : titre de la table",
                "description": f"{TODO} : une ligne par … ({frame.height} lignes lues)",
                "path": sample_relpath,
                "format": fmt,
                "x-camp": extension,
                "schema": schema,
            }
        ],
    }
    return descriptor, {g.field["name"]: g.why for g in guesses}


def render(descriptor: dict[str, Any], guesses: dict[str, str], source: str) -> str:
    """YAML text with a header and, after each field name, what was detected."""
    text = yaml.safe_dump(descriptor, allow_unicode=True, sort_keys=False, width=100)
    lines = []
    for line in text.splitlines():
        match = re.match(r"^(\s*- name: )(.+)$", line)
        if match and match.group(2).strip("'\"") in guesses:
            line += f"  # détecté : {guesses[match.group(2).strip(chr(39) + chr(34))]}"
        lines.append(line)
    header = [
        f"# Descripteur généré par `camp scaffold` à partir de {source}.",
        f"# Remplacez chaque « {TODO} », vérifiez les types détectés (commentaires), puis",
        "# lancez `camp validate` sur ce fichier.",
    ]
    return "\n".join(header + lines) + "\n"


def scaffold(source: str, root: Path, name: str | None = None, *, force: bool = False) -> Path:
    """Copy (or download) the sample under `root/datasets/<name>/` and write
    `root/catalog/<name>.yaml`; returns the descriptor's path."""
    name = name or dataset_name(source)
    out = Path(root) / "catalog" / f"{name}.yaml"
    if out.exists() and not force:
        raise FileExistsError(f"{out} exists; choose another --name or pass --force")
    online_url = source if source.startswith(("http://", "https://")) else None
    with tempfile.TemporaryDirectory() as tmp:
        if online_url:
            from ..sources.fetch import fetch

            local = fetch(online_url, Path(tmp)).path
            file_name = Path(urlparse(online_url).path).name or f"{name}.csv"
        else:
            local = Path(source)
            if not local.is_file():
                raise FileNotFoundError(f"{source}: no such file")
            file_name = local.name
        sample = Path(root) / "datasets" / name / file_name
        sample.parent.mkdir(parents=True, exist_ok=True)
        if local.resolve() != sample.resolve():
            shutil.copyfile(local, sample)
    relpath = sample.relative_to(Path(root)).as_posix()
    descriptor, guesses = infer_descriptor(sample, name, relpath, online_url)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(descriptor, guesses, source), encoding="utf-8")
    return out
