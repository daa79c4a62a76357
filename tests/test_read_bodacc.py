"""The BODACC XML reader on tiny hand-written editions."""

from __future__ import annotations

import gzip
import io
import tarfile
from pathlib import Path

import pytest

from pipelines.read import ReadError, read_resource

FIXTURE = Path(__file__).parent / "fixtures" / "bodacc" / "rcs-a-personne-physique-et-morale.xml"


def read(path: Path) -> list[dict]:
    return read_resource(path, {"format": "bodacc-xml"}).frame.to_dicts()


def test_one_row_per_notice_with_siren_commune_date_and_type() -> None:
    moral, natural = read(FIXTURE)
    assert moral == {
        "edition": "RCS-A", "parution": "20990001", "date_parution": "2099-01-02",
        "nojo": "X1", "numero_annonce": "1", "type_annonce": "annonce",
        "numero_departement": "71", "tribunal": "GREFFE DU TRIBUNAL DE COMMERCE DE MACON",
        "type_acte": "creation", "categorie_acte": "Création d'entreprise",
        "siren": "123456789", "type_personne": "morale", "denomination": "SOCIETE EXEMPLE",
        "forme_juridique": "Société par actions simplifiée", "code_postal": "71000",
        "ville": "Mâcon", "activite": "boulangerie", "date_immatriculation": "2098-12-20",
        "date_commencement_activite": "2098-12-01", "montant_capital": "1000.00", "_row": 2,
    }  # fmt: skip
    # the establishment's address when the person has none; a rectification
    assert (natural["code_postal"], natural["ville"]) == ("71100", "Chalon-sur-Saône")
    assert (natural["type_annonce"], natural["type_acte"]) == ("rectificatif", "vente")
    assert natural["categorie_acte"] == "Achat d'un fonds" and natural["siren"] == "987654321"


def test_never_a_natural_persons_name() -> None:
    rows = read(FIXTURE)
    cells = " ".join(str(v) for row in rows for v in row.values())
    assert "MARTIN" not in cells and "Claire" not in cells  # the individual entrepreneur
    assert "DUPONT" not in cells  # the director named in `administration`
    assert rows[1]["type_personne"] == "physique" and rows[1]["denomination"] is None


def test_reads_the_dila_taz_archive(tmp_path: Path) -> None:
    data = io.BytesIO()
    with tarfile.open(fileobj=data, mode="w") as archive:
        content = FIXTURE.read_bytes()
        member = tarfile.TarInfo("RCS-A_BXA20990001.xml")
        member.size = len(content)
        archive.addfile(member, io.BytesIO(content))
    taz = tmp_path / "RCS-A_BXA20990001.taz"
    taz.write_bytes(gzip.compress(data.getvalue()))
    assert read(taz) == read(FIXTURE)


def test_a_pcl_edition_is_refused_not_guessed(tmp_path: Path) -> None:
    pcl = tmp_path / "PCL_BXA20990001.xml"
    pcl.write_text("<PCL_REDRESSEMENT><listeAvis/></PCL_REDRESSEMENT>", encoding="utf-8")
    with pytest.raises(ReadError, match="RCS-A_IMMAT, found <PCL_REDRESSEMENT>"):
        read(pcl)


def test_broken_xml_names_the_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml"
    broken.write_text("<RCS-A_IMMAT>\n<listeAvis>\n<avis>\n</RCS-A_IMMAT>", encoding="utf-8")
    with pytest.raises(ReadError, match="line 4"):
        read(broken)
