"""BODACC reader: one row per notice (`<avis>`) of a DILA XML edition.

DILA publishes each BODACC edition as XML in a `.taz` archive (a gzip-compressed tar with
one XML member); the reader takes the archive or the XML itself. Only the RCS-A edition
(BODACC A: creations, sales, registrations; root `RCS-A_IMMAT`, XSD `Bodacc_A_RCI_sor_v100`)
is read: the XML of the PCL edition (collective procedures) is not available offline and its
structure is not documented here, so a PCL file is refused with a message rather than read
with guessed paths.

Personal data: a notice about a natural person (`personnePhysique`, an individual
entrepreneur) keeps its SIREN, place, date and type, but never the person's name; the
directors named in `administration`, the previous owners who are natural persons and the
free-text fields are not read at all.

Options (`x-camp.read`): none.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import polars as pl

from . import ReadError, ReadResult

SUPPORTED_ROOTS = {"RCS-A_IMMAT": "RCS-A"}
COLUMNS = (
    "edition", "parution", "date_parution", "nojo", "numero_annonce", "type_annonce",
    "numero_departement", "tribunal", "type_acte", "categorie_acte", "siren",
    "type_personne", "denomination", "forme_juridique", "code_postal", "ville", "activite",
    "date_immatriculation", "date_commencement_activite", "montant_capital",
)  # fmt: skip


def _xml_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] != b"\x1f\x8b":
        return raw
    data = gzip.decompress(raw)
    try:
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            members = [m for m in archive.getmembers() if m.name.endswith(".xml")]
            if len(members) != 1:
                raise ReadError(
                    f"{path}: expected one XML file in the BODACC archive, found {len(members)}"
                )
            handle = archive.extractfile(members[0])
            assert handle is not None
            return handle.read()
    except tarfile.ReadError:
        return data  # a gzip-compressed XML file, not a tar archive


def _text(element: ET.Element | None, path: str) -> str | None:
    if element is None:
        return None
    found = element.find(path)
    if found is None or found.text is None:
        return None
    return " ".join(found.text.split()) or None


def _first_child_tag(element: ET.Element | None) -> str | None:
    if element is None or len(element) == 0:
        return None
    return element[0].tag


def notice(avis: ET.Element, edition: str, parution: str | None, date: str | None) -> dict:
    person = avis.find("personnes/personne")
    moral = person.find("personneMorale") if person is not None else None
    natural = person.find("personnePhysique") if person is not None else None
    who = moral if moral is not None else natural
    siren = _text(who, "numeroImmatriculation/numeroIdentification")
    address = person.find("adresse/france") if person is not None else None
    establishment = avis.find("etablissement")
    if address is None and establishment is not None:
        address = establishment.find("adresse")
    act = avis.find("acte")
    kind = _first_child_tag(act)
    category = None
    if kind is not None:
        category = _text(act, f"{kind}/categorie{kind[0].upper()}{kind[1:]}")
    return {
        "edition": edition,
        "parution": parution,
        "date_parution": date,
        "nojo": _text(avis, "nojo"),
        "numero_annonce": _text(avis, "numeroAnnonce"),
        "type_annonce": _first_child_tag(avis.find("typeAnnonce")),
        "numero_departement": _text(avis, "numeroDepartement"),
        "tribunal": _text(avis, "tribunal"),
        "type_acte": kind,
        "categorie_acte": category,
        "siren": siren.replace(" ", "") if siren else None,
        "type_personne": "morale"
        if moral is not None
        else "physique"
        if natural is not None
        else None,
        # never the name of a natural person
        "denomination": _text(moral, "denomination"),
        "forme_juridique": _text(moral, "formeJuridique"),
        "code_postal": _text(address, "codePostal"),
        "ville": _text(address, "ville"),
        "activite": _text(establishment, "activite"),
        "date_immatriculation": _text(act, f"{kind}/dateImmatriculation") if kind else None,
        "date_commencement_activite": (
            _text(act, f"{kind}/dateCommencementActivite") if kind else None
        ),
        "montant_capital": _text(person, "capital/montantCapital"),
    }


def read(path: Path, options: dict[str, Any]) -> ReadResult:
    try:
        root = ET.fromstring(_xml_bytes(path))
    except ET.ParseError as error:
        line, column = error.position
        raise ReadError(f"{path}: line {line}, column {column}: not well-formed XML") from error
    edition = SUPPORTED_ROOTS.get(root.tag)
    if edition is None:
        raise ReadError(
            f"{path}: expected a BODACC edition with root element "
            f"{', '.join(sorted(SUPPORTED_ROOTS))}, found <{root.tag}>; the PCL and other "
            "editions are not read (their XML structure is not documented in this project)"
        )
    parution, date = _text(root, "parution"), _text(root, "dateParution")
    rows = [notice(a, edition, parution, date) for a in root.iterfind("listeAvis/avis")]
    frame = pl.DataFrame(
        {c: [r[c] for r in rows] for c in COLUMNS}, schema={c: pl.String for c in COLUMNS}
    ).with_columns(pl.Series("_row", range(2, len(rows) + 2), dtype=pl.Int64))
    return ReadResult(frame, {"edition": edition, "parution": parution, "rows": len(rows)})
