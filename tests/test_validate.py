"""The validation engine: output tables, row conservation, French messages and checks."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.validate import duckdb_type, validate_table
from pipelines.validate.french import in_france, luhn_sum, siren_valid, siret_valid
from tests.test_validate_helpers import load_text, ours

FIXTURES = Path(__file__).parent / "fixtures" / "validate"
FRENCH_SCHEMA = {
    "fields": [
        {"name": "nom", "type": "string"},
        {"name": "siret", "type": "string", "x-camp-check": "siret"},
        {"name": "code_insee", "type": "string", "x-camp-check": "code_insee"},
        {"name": "code_postal", "type": "string", "x-camp-check": "code_postal"},
        {"name": "cpv", "type": "string", "x-camp-check": "cpv"},
        {"name": "latitude", "type": "number"},
        {"name": "longitude", "type": "number"},
    ],
}


def french_run(with_communes: bool = True) -> tuple[duckdb.DuckDBPyConnection, dict[str, list]]:
    con = duckdb.connect()
    text = (FIXTURES / "acceslibre-french-checks.csv").read_text(encoding="utf-8")
    load_text(con, "src", text)
    if with_communes:
        con.execute("CREATE TABLE core_communes__communes AS "
                    "SELECT * FROM (VALUES ('69123'), ('69381')) AS t(code_insee)")
    validate_table(
        con, "src", FRENCH_SCHEMA, valid="v", quarantine="q", errors="e",
        resolve_table=lambda ref: "core_" + ref.replace(".", "__"),
        coordinates=[("latitude", "longitude")],
    )
    by_name: dict[str, list] = {}
    for nom, champ, kind, message in con.execute(
        "SELECT s.nom, e.champ, e.type, e.message FROM e JOIN src s USING (_row) ORDER BY _row"
    ).fetchall():
        by_name.setdefault(nom, []).append((champ, kind, message))
    return con, by_name


def test_french_checks_flag_exactly_the_broken_rows() -> None:
    con, errors = french_run()
    assert set(errors) == {"SIRET court", "SIRET clé fausse", "INSEE inconnu", "INSEE mal formé",
                           "Postcode 00", "CPV court", "Inversé", "Hors de France"}
    assert errors["SIRET court"] == [(
        "siret", "constraint-error", "Numéro SIRET invalide : 14 chiffres attendus, 13 trouvés")]
    assert "Luhn" in errors["SIRET clé fausse"][0][2]
    assert errors["INSEE inconnu"][0][2].endswith("inconnu du Code officiel géographique")
    assert [e[0] for e in errors["INSEE mal formé"]] == ["code_insee"]
    assert "inversées" in errors["Inversé"][0][2] and errors["Inversé"][0][0] == "latitude"
    assert "hors de France" in errors["Hors de France"][0][2]
    valid = {r[0] for r in con.execute("SELECT nom FROM v").fetchall()}
    assert valid == {"Mairie valide", "La Poste", "La Réunion"}


def test_insee_existence_skipped_without_referential() -> None:
    _, errors = french_run(with_communes=False)
    assert "INSEE inconnu" not in errors  # shape is fine; existence cannot be checked
    assert "INSEE mal formé" in errors


def test_la_poste_exception_and_luhn_twins() -> None:
    assert siret_valid("35600000049837")  # La Poste: digit sum 45, multiple of 5
    assert luhn_sum("35600000049837") % 10 != 0  # ... though it fails Luhn
    assert siret_valid("21690123100011") and not siret_valid("21690123100012")
    assert siren_valid("732829320") and not siren_valid("732829321")
    assert in_france(45.76, 4.83) and in_france(-21.11, 55.53) and not in_france(4.83, 45.76)


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(alphabet="0123456789a ", min_size=8, max_size=15), min_size=1,
                max_size=200))
def test_siret_and_siren_sql_agree_with_python(values: list[str]) -> None:
    values += ["35600000049837", "35600000000048", "21690123100011", "732829320"]
    schema = {"fields": [{"name": "siret", "type": "string", "x-camp-check": "siret"},
                         {"name": "siren", "type": "string", "x-camp-check": "siren"}]}
    con = duckdb.connect()
    con.execute("CREATE TABLE src AS SELECT v AS siret, v AS siren, "
                "CAST(i + 2 AS BIGINT) AS _row FROM (SELECT unnest(?) AS v, "
                "unnest(range(?)) AS i)", [values, len(values)])
    validate_table(con, "src", schema, valid="v", quarantine="q", errors="e")
    errors = con.execute("SELECT _row, champ FROM e").fetchall()
    expected = {(i + 2, "siret") for i, v in enumerate(values) if not siret_valid(v)}
    expected |= {(i + 2, "siren") for i, v in enumerate(values) if not siren_valid(v)}
    assert set(errors) == expected and len(errors) == len(expected)


def test_rows_conserved_and_tables_shaped() -> None:
    text = (FIXTURES / "types-traps.csv").read_text(encoding="utf-8")
    schema = json.loads((FIXTURES / "types-traps.schema.json").read_text(encoding="utf-8"))
    _, report, con = ours(text, schema)
    source = {r[0] for r in con.execute("SELECT _row FROM src").fetchall()}
    valid = [r[0] for r in con.execute("SELECT _row FROM v").fetchall()]
    quarantined = [r[0] for r in con.execute("SELECT _row FROM q").fetchall()]
    assert set(valid) | set(quarantined) == source and not set(valid) & set(quarantined)
    assert len(valid) + len(quarantined) == len(source) == report.rows_read
    assert report.rows_quarantined == len(quarantined) and valid
    names = [f["name"] for f in schema["fields"]]
    v_cols = con.execute("DESCRIBE v").fetchall()
    assert [c[0] for c in v_cols] == [*names, "_row"]
    assert [c[1] for c in v_cols[:-1]] == [duckdb_type(f) for f in schema["fields"]]
    q_cols = [c[0] for c in con.execute("DESCRIBE q").fetchall()]
    assert q_cols == ["_row", "_erreurs", "_types_erreur", *names]  # reasons first
    assert [c[0] for c in con.execute("DESCRIBE e").fetchall()] == ["_row", "champ", "type",
                                                                    "message"]
    blank = con.execute("SELECT _erreurs, _types_erreur FROM q WHERE _row = 9").fetchone()
    assert blank == ("Ligne vide", "blank-row")
    meta = report.to_metadata()
    assert json.loads(json.dumps(meta)) == meta
    assert meta["errors_by_type"]["type-error"] > 0 and len(meta["examples"]) == 10


def test_no_rounding_no_calendar_overflow() -> None:
    schema = {"fields": [{"name": "n", "type": "integer"}, {"name": "d", "type": "date"}]}
    found, _, con = ours("n,d\n12.5,2023-02-30\n13,2024-02-29\n", schema)
    assert found == {(2, "n", "type-error"), (2, "d", "type-error")}
    assert con.execute("SELECT n, CAST(d AS VARCHAR) FROM v").fetchall() == [(13, "2024-02-29")]
    message = con.execute("SELECT message FROM e WHERE champ = 'n'").fetchone()[0]
    assert message == "« 12.5 » : nombre entier attendu"


def test_integer_beyond_bigint_is_a_type_error() -> None:
    """Documented difference: frictionless (Python int) accepts it."""
    found, _, _ = ours("n\n99999999999999999999\n", {"fields": [{"name": "n", "type": "integer"}]})
    assert found == {(2, "n", "type-error")}


@pytest.mark.parametrize("cell", [None, ""])
def test_null_and_empty_string_are_both_missing(cell: str | None) -> None:
    schema = {"fields": [{"name": "a", "type": "string", "constraints": {"required": True}},
                         {"name": "b", "type": "string"}]}
    con = duckdb.connect()
    con.execute("CREATE TABLE src AS SELECT ?::VARCHAR AS a, 'x' AS b, 2::BIGINT AS _row", [cell])
    report = validate_table(con, "src", schema, valid="v", quarantine="q", errors="e")
    assert report.errors_by_type == {"constraint-error": 1}
    assert con.execute("SELECT message FROM e").fetchone()[0] == "Valeur obligatoire manquante"


def test_header_errors_reported_and_row_one() -> None:
    schema = {"fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "integer"},
                         {"name": "c", "type": "integer"}]}
    con = duckdb.connect()
    load_text(con, "src", "a,x\n1,2\n")
    report = validate_table(con, "src", schema, valid="v", quarantine="q", errors="e",
                            labels=["a", "a"])
    kinds = {(e["type"], e["champ"]) for e in report.header_errors}
    assert kinds == {("incorrect-label", "b"), ("missing-label", "c"), ("duplicate-label", "b")}
    assert con.execute("SELECT DISTINCT _row FROM e").fetchall() == [(1,)]
    assert con.execute("SELECT a, b, c FROM v").fetchall() == [(1, 2, None)]  # x read as b


def test_extra_column_ignored_missing_column_in_the_middle_matched_by_name() -> None:
    """Documented difference: by name, a column missing in the middle shifts nothing."""
    schema = {"fields": [{"name": "a", "type": "integer"}, {"name": "b", "type": "integer"},
                         {"name": "c", "type": "integer"}]}
    found, report, con = ours("a,c,d\n1,3,x\n", schema)
    assert found == {(None, "b", "missing-label"), (None, "d", "extra-label")} or found == {
        (None, "b", "missing-label"), (None, None, "extra-label")}
    assert con.execute("SELECT a, b, c FROM v").fetchall() == [(1, None, 3)]
    assert report.rows_valid == 1


def test_foreign_key_to_another_table() -> None:
    schema = {"fields": [{"name": "code_insee", "type": "string"}],
              "foreignKeys": [{"fields": "code_insee",
                               "reference": {"resource": "communes.communes",
                                             "fields": "code_insee"}}]}
    con = duckdb.connect()
    con.execute("CREATE TABLE ref AS SELECT '69123' AS code_insee")
    load_text(con, "src", "code_insee\n69123\n75056\n")
    report = validate_table(con, "src", schema, valid="v", quarantine="q", errors="e",
                            resolve_table=lambda name: "ref")
    assert report.errors_by_type == {"foreign-key": 1}
    assert con.execute("SELECT _row FROM q").fetchall() == [(3,)]
    assert "introuvable" in con.execute("SELECT _erreurs FROM q").fetchone()[0]


def test_view_over_read_csv_gives_the_tables_of_a_loaded_table() -> None:
    """The one-pass path (source = a view reading the file, as in the benchmark) writes
    the same valid, quarantine and error rows as the pipeline's loaded table."""
    path = FIXTURES / "types-traps.csv"
    schema = json.loads((FIXTURES / "types-traps.schema.json").read_text(encoding="utf-8"))
    tables = []
    numbered = (
        f"SELECT * EXCLUDE (ordinality), CAST(ordinality + 1 AS BIGINT) AS _row FROM "
        f"read_csv('{path}', all_varchar=true, header=true, nullstr='\\N', quote='\"') "
        f"WITH ORDINALITY"
    )  # empty cells stay "" as in load_text; ORDINALITY numbers the lines
    views = {
        "table": None,
        "view": numbered,
        # the benchmark's form: numbered cells buffered once, checks on every core
        "materialized view": f"WITH n AS MATERIALIZED ({numbered}) SELECT * FROM n",
    }
    for view in views.values():
        con = duckdb.connect()
        if view:
            con.execute(f"CREATE VIEW src AS {view}")
        else:
            load_text(con, "src", path.read_text(encoding="utf-8"))
        report = validate_table(con, "src", schema, valid="v", quarantine="q", errors="e")
        tables.append((
            report.rows_read, report.rows_quarantined,
            *(con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall() for t in "vqe"),
        ))
    assert tables[0] == tables[1] == tables[2]
    rows_read, quarantined, valid, quarantine, errors = tables[2]
    assert rows_read == 9 and 0 < quarantined < 9 and len(valid) == 9 - quarantined
    assert {r[0] for r in quarantine} == {r[0] for r in errors if r[0] > 1}
    lines = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    for row in quarantine:  # `_row`, the French messages, then the raw cells of that line
        assert list(row[3:]) == lines[row[0] - 1] and row[1] and row[2]


@pytest.mark.parametrize("with_key", [False, True], ids=["one-scan", "cross-row-checks"])
def test_erreurs_name_each_field_in_french_typography(with_key: bool) -> None:
    from pipelines.validate.messages import row_errors

    schema: dict = {"fields": [
        {"name": "code_insee", "type": "string", "constraints": {"required": True}},
        {"name": "siret", "type": "string", "x-camp-check": "siret"},
        {"name": "n", "type": "integer"},
    ]}
    if with_key:
        schema["primaryKey"] = ["n"]
    con = duckdb.connect()
    load_text(con, "src", "code_insee,siret,n\n,123,1\n69123,88138151100016,x\n,,1\n,,\n")
    validate_table(con, "src", schema, valid="v", quarantine="q", errors="e")
    rows = dict(con.execute("SELECT _row, _erreurs FROM q").fetchall())
    cells = {
        2: "code_insee\u202f: valeur obligatoire manquante\u202f; "
           "siret\u202f: numéro SIRET invalide : 14 chiffres attendus, 3 trouvés",
        3: "n\u202f: « x » : nombre entier attendu",
    }
    for row, text in cells.items():
        assert rows[row] == text if not with_key else rows[row].startswith(text)
    if with_key:  # cross-row errors come after the cell errors, named the same way
        assert rows[3].endswith("\u202f; n\u202f: clé primaire (n) vide")
    assert rows[5].startswith("Ligne vide")  # a row-level error names no field
    # the Python twin gives the same text from the errors table
    for row, text in rows.items():
        found = con.execute("SELECT champ, message FROM e WHERE _row = ?", [row]).fetchall()
        assert text == row_errors(found)


CONSTRAINED = [
    ({"type": "string", "constraints": {"minLength": 3}}, "minLength", "ab"),
    ({"type": "string", "constraints": {"maxLength": 2}}, "maxLength", "abc"),
    ({"type": "string", "constraints": {"pattern": "[A-Z]{2}"}}, "pattern", "a1"),
    ({"type": "string", "constraints": {"enum": ["x", "y"]}}, "enum", "z"),
    ({"type": "integer", "constraints": {"minimum": 1}}, "minimum", "0"),
    ({"type": "integer", "constraints": {"maximum": 9}}, "maximum", "10"),
]


@pytest.mark.parametrize(("field", "rule", "value"), CONSTRAINED, ids=[c[1] for c in CONSTRAINED])
def test_one_vocabulary_for_sql_python_and_json_schema(field: dict, rule: str, value: str) -> None:
    """The checking scan (SQL), the distinct-value path (Python) and the JSON Schema reader
    say a broken rule in the same words."""
    from jsonschema import Draft202012Validator

    from pipelines.read.jsonschema_fr import french_errors
    from pipelines.validate.messages import constraint_message

    con = duckdb.connect()
    con.execute("CREATE TABLE src AS SELECT 2 AS _row, ? AS v", [value])
    validate_table(con, "src", {"fields": [{"name": "v", **field}]}, valid="ok",
                   quarantine="q", errors="e")
    (sql_message,) = con.execute("SELECT message FROM e").fetchone()
    constraint = field["constraints"][rule]
    assert sql_message == constraint_message(rule, constraint, value)
    json_type = "string" if field["type"] == "string" else "integer"
    instance = value if json_type == "string" else int(value)
    schema = {"type": json_type, rule: constraint}
    (error,) = french_errors(Draft202012Validator(schema).iter_errors(instance))
    assert error["message"] == sql_message
