"""Flatten DECP JSON records (v1.5 and v2.0) into linked tables of text cells.

One record (a *marché* or a *contrat de concession*) gives one `contrats` row, one
`titulaires` row per holder (initial holders with `modification_rang` 0, holders named by a
modification with that modification's rank) and one `modifications` row per modification.
Rows are linked by `uid` (buyer id + contract id, the key the tabular DECP uses too).

The two official shapes differ: v2.0 wraps list items (`{"titulaire": {...}}`,
`{"typePrix": [...]}`) and splits marchés from concessions; v1.5 lists bare objects with a
`_type` discriminator. Invalid records are flattened as far as their shape allows (a wrong
shape gives null cells, never an exception): the JSON Schema messages travel with the rows.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

MARCHE = "Marché"
CONCESSION = "Contrat de concession"

CONTRAT_COLUMNS = [
    "uid", "id", "version_format", "type_contrat", "acheteur_id", "acheteur_nom", "nature",
    "objet", "codeCPV", "procedure", "lieuExecution_code", "lieuExecution_typeCode",
    "lieuExecution_nom", "dureeMois", "dateNotification", "dateSignature",
    "dateDebutExecution", "datePublicationDonnees", "montant", "valeurGlobale",
    "montantSubventionPublique", "formePrix", "typesPrix", "techniques", "modalitesExecution",
    "offresRecues", "ccag", "marcheInnovant", "attributionAvance", "tauxAvance",
    "typeGroupementOperateurs", "sousTraitanceDeclaree", "origineUE", "origineFrance",
    "idAccordCadre", "considerationsSociales", "considerationsEnvironnementales",
    "nb_titulaires", "nb_modifications",
]  # fmt: skip
TITULAIRE_COLUMNS = [
    "uid", "version_format", "type_contrat", "modification_rang", "rang", "titulaire_id",
    "titulaire_typeIdentifiant", "titulaire_denominationSociale", "siret",
]  # fmt: skip
MODIFICATION_COLUMNS = [
    "uid", "version_format", "type_contrat", "modification_rang", "modification_id",
    "objetModification", "dateNotificationModification", "dateSignatureModification",
    "datePublicationDonneesModification", "dureeMois", "montant", "valeurGlobale",
    "nb_titulaires",
]  # fmt: skip
TRACE_COLUMNS = ["pointeur_json", "erreurs_schema_json"]

TABLES = {
    "contrats": CONTRAT_COLUMNS,
    "titulaires": TITULAIRE_COLUMNS,
    "modifications": MODIFICATION_COLUMNS,
}


@dataclass
class Record:
    """One contract as found in the file, with where it was and what the schema said."""

    version: str  # "1.5" or "2.0"
    kind: str  # MARCHE or CONCESSION
    pointer: str  # JSON Pointer of the record in the file
    data: Any
    errors: list[dict[str, str]]


def text(value: Any) -> str | None:
    """A JSON value as a text cell: booleans `true`/`false`, lists joined, objects as JSON."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float, str)):
        return str(value)
    items = unwrap_list(value)
    if items is not None and all(isinstance(v, (str, int, float)) for v in items):
        return ", ".join(str(v) for v in items)
    return json.dumps(value, ensure_ascii=False)


def unwrap_list(value: Any) -> list[Any] | None:
    """The list inside v2 wrappers (`{"typePrix": [...]}`) or the list itself."""
    if isinstance(value, list):
        return value
    if isinstance(value, dict) and len(value) == 1:
        inner = next(iter(value.values()))
        if isinstance(inner, list):
            return inner
    return None


def get(obj: Any, *keys: str) -> Any:
    """Nested lookup that answers None on a wrong shape instead of raising."""
    for key in keys:
        if not isinstance(obj, dict):
            return None
        obj = obj.get(key)
    return obj


def items(obj: Any, key: str, wrapper: str) -> list[tuple[str, Any]]:
    """List items of `obj[key]` with their pointer suffix, v2 wrappers removed.

    Lists nested in lists (a known wart of some producers) are flattened one level.
    """
    value = obj.get(key) if isinstance(obj, dict) else None
    if not isinstance(value, list):
        return []
    found: list[tuple[str, Any]] = []
    for index, item in enumerate(value):
        inner = item if isinstance(item, list) else [item]
        for sub, element in enumerate(inner):
            where = f"/{key}/{index}" + (f"/{sub}" if isinstance(item, list) else "")
            if isinstance(element, dict) and set(element) == {wrapper}:
                found.append((f"{where}/{wrapper}", element[wrapper]))
            else:
                found.append((where, element))
    return found


def uid(record: Record) -> str | None:
    """Buyer id + contract id, or the record's own `uid` (v1.5 allows one)."""
    data = record.data if isinstance(record.data, dict) else {}
    if isinstance(data.get("uid"), str) and data["uid"]:
        return data["uid"]
    buyer = _buyer(data).get("id")
    contract = data.get("id")
    if buyer is None or contract is None:
        return None
    return f"{buyer}{contract}"


def _buyer(data: dict[str, Any]) -> dict[str, Any]:
    buyer = data.get("acheteur") or data.get("autoriteConcedante")
    return buyer if isinstance(buyer, dict) else {}


def contrat_row(record: Record) -> dict[str, str | None]:
    data = record.data if isinstance(record.data, dict) else {}
    holders = "titulaires" if record.kind == MARCHE else "concessionnaires"
    wrapper = "titulaire" if record.kind == MARCHE else "concessionnaire"
    row: dict[str, str | None] = {c: text(data.get(c)) for c in CONTRAT_COLUMNS}
    row.update(
        uid=uid(record),
        version_format=record.version,
        type_contrat=record.kind,
        acheteur_id=text(_buyer(data).get("id")),
        acheteur_nom=text(_buyer(data).get("nom")),
        lieuExecution_code=text(get(data, "lieuExecution", "code")),
        lieuExecution_typeCode=text(get(data, "lieuExecution", "typeCode")),
        lieuExecution_nom=text(get(data, "lieuExecution", "nom")),
        nb_titulaires=str(len(items(data, holders, wrapper))),
        nb_modifications=str(len(items(data, "modifications", "modification"))),
    )
    return row


def _holder_row(
    record: Record, key: str | None, modification: int, rank: int, holder: Any
) -> dict[str, str | None]:
    holder = holder if isinstance(holder, dict) else {}
    kind, ident = text(holder.get("typeIdentifiant")), text(holder.get("id"))
    siret = ident if kind == "SIRET" and ident and len(ident) == 14 and ident.isdigit() else None
    return {
        "uid": key,
        "version_format": record.version,
        "type_contrat": record.kind,
        "modification_rang": str(modification),
        "rang": str(rank),
        "titulaire_id": ident,
        "titulaire_typeIdentifiant": kind,
        "titulaire_denominationSociale": text(holder.get("denominationSociale")),
        "siret": siret,
    }


def flatten(record: Record) -> Iterator[tuple[str, str, dict[str, str | None]]]:
    """(table, pointer, row) for every row a record gives, in a stable order."""
    data = record.data if isinstance(record.data, dict) else {}
    key = uid(record)
    yield "contrats", record.pointer, contrat_row(record)
    holders = "titulaires" if record.kind == MARCHE else "concessionnaires"
    wrapper = "titulaire" if record.kind == MARCHE else "concessionnaire"
    for rank, (where, holder) in enumerate(items(data, holders, wrapper), start=1):
        yield "titulaires", record.pointer + where, _holder_row(record, key, 0, rank, holder)
    modifications = items(data, "modifications", "modification")
    for position, (where, change) in enumerate(modifications, start=1):
        change = change if isinstance(change, dict) else {}
        named = items(change, "titulaires", "titulaire")
        row = {c: text(change.get(c)) for c in MODIFICATION_COLUMNS}
        row.update(
            uid=key,
            version_format=record.version,
            type_contrat=record.kind,
            modification_rang=str(position),
            modification_id=text(change.get("id")),
            nb_titulaires=str(len(named)) if "titulaires" in change else None,
        )
        yield "modifications", record.pointer + where, row
        for rank, (sub, holder) in enumerate(named, start=1):
            pointer = record.pointer + where + sub
            yield "titulaires", pointer, _holder_row(record, key, position, rank, holder)
