"""DECP JSON reader: both official shapes, linked tables, JSON Schema messages kept on rows.

Fixtures are official examples (Unlicense) from 139bercy/format-commande-publique, plus
one record made invalid on purpose with warts seen in real producers' files.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest
from frictionless import Resource, Schema

from pipelines.catalog.load import load_dataset, load_mart
from pipelines.read import ReadError, read_resource

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "decp_json"
V2 = FIXTURES / "v2-officiel-marches-concessions.json"
V15_PAQUET = FIXTURES / "v15-officiel-paquet-avec-uid.json"
V15_MARCHE = FIXTURES / "v15-officiel-marche-avec-modifications.json"
V15_CONCESSION = FIXTURES / "v15-officiel-concession-avec-modifications.json"
INVALID = FIXTURES / "v2-marche-invalide-defauts-producteurs.json"


def read(path: Path, table: str) -> pl.DataFrame:
    return read_resource(path, {"format": "decp-json", "table": table}).frame


def test_v2_contracts_one_row_per_marche_and_concession() -> None:
    source = json.loads(V2.read_text())["marches"]
    frame = read(V2, "contrats")
    assert frame.height == len(source["marche"]) + len(source["contrat-concession"])
    assert frame["version_format"].unique().to_list() == ["2.0"]
    kinds = frame["type_contrat"].to_list()
    assert kinds.count("Marché") == len(source["marche"])
    assert kinds.count("Contrat de concession") == len(source["contrat-concession"])
    first = source["marche"][0]
    row = frame.row(0, named=True)
    assert row["uid"] == first["acheteur"]["id"] + first["id"]
    assert row["montant"] == str(first["montant"])
    assert row["marcheInnovant"] == "true"
    assert row["techniques"] == ", ".join(first["techniques"]["technique"])
    assert row["lieuExecution_code"] == first["lieuExecution"]["code"]
    assert row["pointeur_json"] == "/marches/marche/0"
    assert frame["erreurs_schema_json"].null_count() == frame.height  # official examples valid
    assert frame["_row"].to_list() == list(range(1, frame.height + 1))
    assert all(dtype == pl.String for name, dtype in frame.schema.items() if name != "_row")


def test_v2_concession_uses_autorite_concedante_and_valeur_globale() -> None:
    source = json.loads(V2.read_text())["marches"]["contrat-concession"][0]
    frame = read(V2, "contrats").filter(pl.col("type_contrat") == "Contrat de concession")
    row = frame.row(0, named=True)
    assert row["acheteur_id"] == source["autoriteConcedante"]["id"]
    assert row["valeurGlobale"] == str(source["valeurGlobale"])
    assert row["dateSignature"] == source["dateSignature"]
    assert row["montant"] is None


def test_v2_holders_initial_and_named_by_a_modification() -> None:
    source = json.loads(V2.read_text())["marches"]
    frame = read(V2, "titulaires")
    marche = source["marche"][0]
    key = marche["acheteur"]["id"] + marche["id"]
    mine = frame.filter(pl.col("uid") == key).sort("modification_rang", "rang")
    initial = [t["titulaire"]["id"] for t in marche["titulaires"]]
    changed = [
        t["titulaire"]["id"] for t in marche["modifications"][0]["modification"]["titulaires"]
    ]
    assert mine.filter(pl.col("modification_rang") == "0")["titulaire_id"].to_list() == initial
    assert mine.filter(pl.col("modification_rang") == "1")["titulaire_id"].to_list() == changed
    # a 14-digit SIRET is published as `siret`; the 15-digit id of the example is not one
    assert mine.filter(pl.col("modification_rang") == "0")["siret"].to_list() == initial
    assert mine.filter(pl.col("modification_rang") == "1")["siret"].to_list() == [None]
    concession = source["contrat-concession"][1]
    holders = frame.filter(
        pl.col("uid") == concession["autoriteConcedante"]["id"] + concession["id"]
    )
    assert holders.height == len(concession["concessionnaires"])
    assert frame.select("uid", "modification_rang", "rang").is_duplicated().sum() == 0


def test_v2_modifications_linked_by_uid() -> None:
    frame = read(V2, "modifications")
    contracts = read(V2, "contrats")
    assert set(frame["uid"]) <= set(contracts["uid"])
    expected = contracts["nb_modifications"].cast(pl.Int64).sum()
    assert frame.height == expected
    concession = frame.filter(pl.col("type_contrat") == "Contrat de concession").row(0, named=True)
    assert concession["dateSignatureModification"] == "2023-04-19"
    assert concession["valeurGlobale"] == "25.0"


def test_v15_package_with_type_discriminator_and_uid() -> None:
    source = json.loads(V15_PAQUET.read_text())["marches"]
    frame = read(V15_PAQUET, "contrats")
    assert frame["version_format"].to_list() == ["1.5", "1.5"]
    assert frame["type_contrat"].to_list() == ["Marché", "Contrat de concession"]
    assert frame["uid"].to_list() == [r["uid"] for r in source]
    assert frame["acheteur_nom"].to_list() == ["Ville de Rennes", "Ville de Millau"]
    assert frame["erreurs_schema_json"].null_count() == 2
    holders = read(V15_PAQUET, "titulaires")
    assert holders["titulaire_denominationSociale"].to_list() == [
        "Garami SARL",
        "Hellman Gmbh",
        "Atlas SAS",
    ]
    assert holders["siret"].to_list() == ["81223113200026", None, "81223113200026"]


def test_v15_without_type_concession_recognised_and_modifications_read() -> None:
    contracts = read(V15_CONCESSION, "contrats")
    assert contracts["type_contrat"].to_list() == ["Contrat de concession"]
    changes = read(V15_CONCESSION, "modifications")
    assert changes["modification_rang"].to_list() == ["1", "2"]
    assert changes["valeurGlobale"].to_list() == [None, "33890000"]
    assert changes["objetModification"][0] == "Allongement de la durée"
    holders = read(V15_MARCHE, "titulaires")
    assert holders.filter(pl.col("modification_rang") == "1")["titulaire_id"].to_list() == [
        "81223113200026",
        "87127639200012",
    ]


def test_invalid_record_keeps_its_rows_with_french_messages() -> None:
    contracts = read(INVALID, "contrats")
    assert contracts.height == 1
    errors = json.loads(contracts["erreurs_schema_json"][0])
    rules = {(e["chemin"], e["regle"]) for e in errors}
    assert ("/marches/marche/0/dureeMois", "type") in rules
    assert ("/marches/marche/0/offresRecues", "minimum") in rules
    assert ("/marches/marche/0/procedure", "enum") in rules
    assert ("/marches/marche/0", "additionalProperties") in rules
    assert ("/marches/marche/0/titulaires/0/titulaire", "required") in rules
    messages = " ".join(e["message"] for e in errors)
    assert "_type" in messages and "typeIdentifiant" in messages and "NC" in messages
    assert "attendu" in messages  # French, not jsonschema's English
    assert contracts["dureeMois"][0] == "NC"  # the value is kept for the validator to see
    holders = read(INVALID, "titulaires")
    assert holders.height == 2 and holders["erreurs_schema_json"].null_count() == 0


@pytest.mark.parametrize("resource", ["contrats", "titulaires", "modifications"])
def test_sample_agrees_with_frictionless_on_the_descriptor(resource: str, tmp_path: Path) -> None:
    """Valid records pass the Table Schema; every row of the invalid record fails it."""
    spec = load_dataset(ROOT / "catalog" / "decp_json.yaml", root=ROOT).resource(resource)
    result = read_resource(spec.sample_path, {"format": spec.format, **spec.read_options})
    frame = result.frame
    assert frame.columns == spec.field_names + ["_row"]
    path = tmp_path / f"{resource}.csv"
    frame.drop("_row").write_csv(path)
    schema = Schema.from_descriptor(spec.schema)
    report = Resource(path=path.name, basepath=str(tmp_path), schema=schema).validate()
    bad_rows = {number - 1 for (number,) in report.flatten(["rowNumber"]) if number}
    expected = set(frame.filter(pl.col("erreurs_schema_json").is_not_null())["_row"])
    assert expected, "the sample must carry an invalid record"
    assert bad_rows == expected


def test_errors_name_the_file_and_what_was_found() -> None:
    with pytest.raises(ReadError, match=r"json-casse\.json, line 3, column 3: not valid JSON"):
        read(FIXTURES / "json-casse.json", "contrats")
    with pytest.raises(ReadError, match=r"racine-inconnue\.json.*found str"):
        read(FIXTURES / "racine-inconnue.json", "contrats")
    with pytest.raises(ReadError, match=r"`read.table` must be one of"):
        read(V2, "acheteurs")


def test_mart_contracts_after_modifications() -> None:
    """The mart SQL on typed core tables built from the sample's valid rows."""
    types = {"string": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "boolean": "BOOLEAN",
             "date": "DATE"}  # fmt: skip
    con = duckdb.connect()
    dataset = load_dataset(ROOT / "catalog" / "decp_json.yaml", root=ROOT)
    for spec in dataset.resources:
        frame = read_resource(spec.sample_path, {"format": spec.format, **spec.read_options}).frame
        frame = frame.filter(pl.col("erreurs_schema_json").is_null())  # core = valid rows
        casts = ", ".join(
            f'CAST("{f["name"]}" AS {types[f["type"]]}) AS "{f["name"]}"'
            for f in spec.schema["fields"]
        )
        con.register("incoming", frame)
        con.execute(f"CREATE TABLE {spec.table('core')} AS SELECT {casts}, _row FROM incoming")
        con.unregister("incoming")
    mart = load_mart(ROOT / "catalog" / "marts" / "decp__contrats_modifies.yaml")
    result = con.sql(mart.sql).pl()
    assert result.columns == [f["name"] for f in mart.fields]
    source = json.loads(V2.read_text())["marches"]
    assert result.height == len(source["marche"]) + len(source["contrat-concession"])
    concession = source["contrat-concession"][0]
    row = result.filter(
        pl.col("uid") == concession["autoriteConcedante"]["id"] + concession["id"]
    ).row(0, named=True)
    change = concession["modifications"][-1]["modification"]
    assert row["montant_initial"] == concession["valeurGlobale"]
    assert row["montant_final"] == change["valeurGlobale"]
    expected = round(100 * (change["valeurGlobale"] / concession["valeurGlobale"] - 1), 1)
    assert row["evolution_montant_pct"] == pytest.approx(expected)
    assert row["duree_finale_mois"] == change["dureeMois"]
    assert row["nb_titulaires_initiaux"] == len(concession["concessionnaires"])
    marche = source["marche"][0]
    row = result.filter(pl.col("uid") == marche["acheteur"]["id"] + marche["id"]).row(0, named=True)
    named = marche["modifications"][0]["modification"]["titulaires"][0]["titulaire"]["id"]
    assert row["titulaires"] == ", ".join(
        sorted({marche["titulaires"][0]["titulaire"]["id"], named})
    )
    con.close()


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("v*.json")), ids=lambda p: p.stem)
def test_fast_check_agrees_with_jsonschema(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled yes/no check only skips records jsonschema finds valid too."""
    from pipelines.read import decp_json

    document = json.loads(path.read_text())
    version = decp_json.detect_version(path, document)
    schema_path = ROOT / "catalog" / decp_json.DEFAULT_SCHEMAS[version]
    for record in decp_json.records(path, document, version):
        definition = "marche" if record.kind == "Marché" else "contrat-concession"
        fast = decp_json._fast_check(schema_path, definition)
        assert fast is not None, "fastjsonschema is installed in the project environment"
        slow = list(decp_json._validator(schema_path, definition).iter_errors(record.data))
        try:
            fast(record.data)
            fast_valid = True
        except Exception:  # noqa: BLE001
            fast_valid = False
        assert fast_valid == (not slow), record.pointer
    with_fast = read(path, "contrats")
    decp_json._validated.cache_clear()
    monkeypatch.setattr(decp_json, "_fast_check", lambda *_: None)
    assert read(path, "contrats").equals(with_fast)
    decp_json._validated.cache_clear()
