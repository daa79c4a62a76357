"""Run a compiled Table Schema over a DuckDB table: typed rows, quarantine, errors, report.

One scan computes every cell's typed value and its list of errors (`_errs`); cross-row
checks (unique, primary and foreign keys) run as window and anti-join queries on the
typed values; the three output tables and the report are derived from those.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import duckdb

from . import french
from .cells import Check, FieldPlan, compile_field
from .distinct import register_distinct
from .header import match_columns
from .integrity import foreign_key_errors, primary_key_errors, unique_errors
from .messages import ERROR_SEP, FIELD_SEP
from .report import ValidationReport
from .sql import ident, in_list, lit
from .types import missing_values

NO_ERRORS = "CAST([] AS VARCHAR[])"
COMMUNES = "communes.communes"
READER_NOTES = ("_missing_cells", "_extra_cells")
# an error is its message after one character whose code point numbers (field, type)
MESSAGE = "substr({}, 2)"
TYPES_ERREUR = "array_to_string(list_sort(list_distinct({})), ', ')"  # of a list of types
HEADER_TYPES = ("missing-label", "extra-label", "incorrect-label", "duplicate-label")


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    try:
        con.execute(f"SELECT 1 FROM {ident(table)} LIMIT 0")
    except duckdb.CatalogException:
        return False
    return True


def _re2_accepts(con: duckdb.DuckDBPyConnection, pattern: str) -> bool:
    try:
        con.execute(f"SELECT regexp_matches('', {lit(pattern)})")
    except duckdb.Error:
        return False
    return True


def ragged_row_errors(source: str, notes: Sequence[str]) -> list[str]:
    """Rows with fewer or more cells than the header, as the CSV reader noted them."""
    queries = []
    if "_missing_cells" in notes:
        queries.append(
            f"SELECT _row, trim(m.champ) AS champ, 'missing-cell' AS type, "
            f"'Cellule manquante : la ligne a moins de cellules que l''en-tête (colonne « ' "
            f"|| trim(m.champ) || ' »)' AS message FROM (SELECT _row, "
            f"unnest(string_split(_missing_cells, ',')) AS champ FROM {source} "
            f"WHERE _missing_cells IS NOT NULL AND _missing_cells <> '') AS m"
        )
    if "_extra_cells" in notes:
        queries.append(
            f"SELECT _row, '' AS champ, 'extra-cell' AS type, "
            f"'Cellule(s) en trop : la ligne a plus de cellules que l''en-tête (' "
            f"|| _extra_cells || ')' AS message FROM {source} "
            f"WHERE _extra_cells IS NOT NULL AND _extra_cells <> ''"
        )
    return queries


def _item(code: int, check: Check, subst: Callable[[str], str]) -> tuple[str, str]:
    # only ever a WHEN condition or an OR term under one: NULL already counts as "passed"
    # there, and a coalesce per check per row costs ~10 % of the checking scan.
    # An error is one string, its message after a character numbering its (field, type)
    # (`_Run.code`), built in the parallel scan for failing rows only: a list of structs
    # (field, type, message) was slower (median 1.64 s against 1.60 s at 1M rows), and
    # codes or bits per failed check, spelt out after the scan, cost as much again in
    # the writes as they save in the scan
    cond = f"({subst(check.cond)})"
    return cond, f"CASE WHEN {cond} THEN [chr({code}) || {subst(check.message)}] END"


class _Run:
    """The state of one validation: names of temp tables, plans, skipped checks."""

    def __init__(self, con: duckdb.DuckDBPyConnection, source: str, schema: dict[str, Any],
                 resolve_table: Callable[[str], str] | None, valid: str,
                 coordinates: Sequence[tuple[str, str]], french_checks: bool):
        self.con, self.source, self.schema = con, source, schema
        self.resolve_table, self.valid = resolve_table, valid
        self.coordinates, self.french_checks = coordinates, french_checks
        self.tag = "_v" + uuid.uuid4().hex[:10]
        self.temps: list[str] = []
        self.skipped: list[str] = []
        self.found = ""  # temp table of cell and cross-row errors, when there are cross-row checks
        self.codes: list[tuple[str, str]] = []  # (field, error type) of code point i + 1

    def code(self, field: str, kind: str) -> int:
        """The code point marking an error of `kind` on `field` (1, 2...)."""
        if (field, kind) not in self.codes:
            self.codes.append((field, kind))
        return self.codes.index((field, kind)) + 1

    def decoded(self, error: str) -> tuple[str, str]:
        """SQL giving the field and the error type of the coded error `error`."""
        fields = ", ".join(lit(f) for f, _ in self.codes) or "''"
        kinds = ", ".join(lit(k) for _, k in self.codes) or "''"
        return f"[{fields}][unicode({error})]", f"[{kinds}][unicode({error})]"

    def erreurs(self) -> str:
        """SQL of a failing row's `_erreurs`: each message after its field (`_errs` codes it),
        its first letter lowered unless an acronym: `messages.row_errors` in SQL."""
        prefixes = ", ".join(lit(f + FIELD_SEP if f else "") for f, _ in self.codes) or "''"

        def one(e: str) -> str:
            lowered = (f"CASE WHEN unicode({e}) IN ({self._field_codes()}) AND substr({e}, 3, 1) "
                       f"<> upper(substr({e}, 3, 1)) THEN lower(substr({e}, 2, 1)) || "
                       f"substr({e}, 3) ELSE {MESSAGE.format(e)} END")
            return f"[{prefixes}][unicode({e})] || {lowered}"

        return (f"CASE WHEN len(_errs) = 1 THEN {one('_errs[1]')} ELSE array_to_string("
                f"list_transform(_errs, lambda e: {one('e')}), {lit(ERROR_SEP)}) END")

    def _field_codes(self) -> str:
        return ", ".join(str(i + 1) for i, (f, _) in enumerate(self.codes) if f) or "0"

    def types_erreur(self) -> str:
        """SQL of a failing row's distinct error types, sorted and joined (most rows have
        one error: no lambda for them)."""
        _, kind = self.decoded("_errs[1]")
        _, each = self.decoded("e")
        every = TYPES_ERREUR.format(f"list_transform(_errs, lambda e: {each})")
        return f"CASE WHEN len(_errs) = 1 THEN {kind} ELSE {every} END"

    def temp(self, name: str) -> str:
        full = f"{self.tag}_{name}"
        self.temps.append(full)
        return full

    def drop_temps(self) -> None:
        for name in reversed(self.temps):
            self.con.execute(f"DROP TABLE IF EXISTS {ident(name)}")

    def communes_table(self) -> str | None:
        if not self.resolve_table:
            self.skipped.append("code_insee: existence not checked (no referential given)")
            return None
        table = self.resolve_table(COMMUNES)
        if table == self.valid or not _exists(self.con, table):
            self.skipped.append(f"code_insee: existence not checked ({table} unavailable)")
            return None
        return table

    def check_cells(self, mapping: dict[str, str | None], checked: str,
                    keep_raw: bool = False, flag_only: bool = False) -> list[FieldPlan]:
        """Create `checked`: typed fields, `_row`, and each row's cell errors `_errs`.

        `keep_raw`: also keep the raw cells of failing rows (`_raw`, a list in field
        order), so the quarantine is written without scanning the source a second time.
        `flag_only`: `_bad`, whether the row fails, instead of `_errs` (no raw cells):
        what the scan costs without error details (the benchmark prints it).
        """
        fields = self.schema["fields"]
        selects, joins, blanks = ["s._row"], [], []
        typings: list[str] = []  # typed values, computed on `r{i}` once `m{i}` is known
        items: list[tuple[str, str]] = []  # per check: (condition, its one-error list)
        listed: list[int] = []  # fields checked by the distinct path: their error lists `p{i}`
        plans: list[FieldPlan] = []
        communes: str | None | bool = False
        for i, field in enumerate(fields):
            pattern = field.get("constraints", {}).get("pattern")
            re2 = pattern is None or _re2_accepts(self.con, "^(?:^" + pattern + "$)")
            plan = compile_field(field, regex_supported=re2)
            plans.append(plan)
            column = mapping[field["name"]]
            if column is None:
                continue
            raw = f"s.{ident(column)}"
            missing = f"({raw} IS NULL OR {in_list(raw, missing_values(field, self.schema))})"
            selects += [f"{raw} AS r{i}", f"{missing} AS m{i}"]
            blanks.append(f"m{i}")
            if plan.typed is None:
                table = self.temp(f"d{i}")
                register_distinct(self.con, self.source, column, missing, field, table)
                joins.append(f"LEFT JOIN {ident(table)} AS d{i} ON d{i}.value = {raw}")
                selects.append(f"TRY_CAST(d{i}.typed AS {plan.sql_type}) AS t{i}")
                selects.append(f"d{i}.errs AS p{i}")
                listed.append(i)
            else:
                typed = plan.typed.replace("§r", f"r{i}")
                typings.append(f"CASE WHEN NOT m{i} THEN {typed} END AS t{i}")
            checks = list(plan.checks)
            kind = field.get("x-camp-check") if self.french_checks else None
            if kind:
                key = None
                if kind == "code_insee":
                    if communes is False:
                        communes = self.communes_table()
                    if communes:
                        key = f"c{i}.k"
                        joins.append(
                            f"LEFT JOIN (SELECT DISTINCT CAST(code_insee AS VARCHAR) AS k FROM "
                            f"{ident(communes)}) AS c{i} ON c{i}.k = {raw}"
                        )
                        selects.append(f"{key} AS k{i}")
                        key = f"k{i}"
                for check in french.field_checks(kind, "§r", key):
                    checks.append(Check(f"§t IS NOT NULL AND {check.cond}", check.type,
                                        check.message))

            def subst(text: str, i: int = i) -> str:
                return text.replace("§r", f"r{i}").replace("§t", f"t{i}").replace("§m", f"m{i}")

            items += [_item(self.code(field["name"], c.type), c, subst) for c in checks]
        index = {f["name"]: i for i, f in enumerate(fields)}
        for lat, lon in self.coordinates:
            if mapping.get(lat) is None or mapping.get(lon) is None:
                continue
            pair = french.coordinate_check(f"TRY_CAST(t{index[lat]} AS DOUBLE)",
                                           f"TRY_CAST(t{index[lon]} AS DOUBLE)")
            items.append(_item(self.code(lat, pair.type), pair, lambda text: text))
        cell_errs = NO_ERRORS
        if items:  # built for failing rows only (NULL otherwise)
            # one single-item list per check, NULL when it passes: flatten skips NULLs
            cell_errs = (
                f"CASE WHEN {' OR '.join(c for c, _ in items)} THEN "
                f"flatten([{', '.join(v for _, v in items)}]) END"
            )
        for i in listed:
            name = fields[i]["name"]
            coded = (f"list_transform(p{i}, lambda e: chr(CASE WHEN e.type = 'type-error' "
                     f"THEN {self.code(name, 'type-error')} "
                     f"ELSE {self.code(name, 'constraint-error')} END) || e.message)")
            cell_errs = f"list_concat({cell_errs}, coalesce({coded}, {NO_ERRORS}))"
        if blanks:
            blank = f"[chr({self.code('', 'blank-row')}) || 'Ligne vide']"
            cell_errs = f"CASE WHEN {' AND '.join(blanks)} THEN {blank} ELSE {cell_errs} END"
        typed_cols = []
        for i, (field, plan) in enumerate(zip(fields, plans, strict=True)):
            value = f"t{i}" if mapping[field["name"]] is not None else "NULL"
            typed_cols.append(f"CAST({value} AS {plan.sql_type}) AS {ident(field['name'])}")
        mid = f"{', '.join(typed_cols)}, _row, CAST({cell_errs} AS VARCHAR[]) AS _errs"
        if flag_only:
            keep_raw = False
            failing = [c for c, _ in items] + [f"len(p{i}) > 0" for i in listed]
            blank = " AND ".join(blanks) or "FALSE"
            mid = (f"{', '.join(typed_cols)}, _row, ({blank}) OR "
                   f"({' OR '.join(failing) or 'FALSE'}) AS _bad")
        query = f"SELECT {', '.join(selects)} FROM {self.source} AS s {' '.join(joins)}"
        if typings:
            query = f"SELECT *, {', '.join(typings)} FROM ({query})"
        if keep_raw:  # the list is built for failing rows only
            present = [i for i, f in enumerate(fields) if mapping[f["name"]] is not None]
            mid += "".join(f", r{i} AS _raw{i}" for i in present)
            raws = ", ".join(
                f"CAST(_raw{i} AS VARCHAR)" if i in present else "NULL::VARCHAR"
                for i in range(len(fields))
            )
            exclude = ", ".join(f"_raw{i}" for i in present)
            query = (
                f"SELECT * {f'EXCLUDE ({exclude}) ' if exclude else ''}, CASE WHEN len(_errs) > 0 "
                f"THEN [{raws}] END AS _raw FROM (SELECT {mid} FROM ({query}))"
            )
        else:
            query = f"SELECT {mid} FROM ({query})"
        # rows carry their `_row`: letting threads write in any order saves ~13 % CPU
        # (publication keys SQLite's rowid on `_row`; the quarantine and errors are sorted)
        row = self.con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()
        self.con.execute("SET preserve_insertion_order = false")
        try:
            self.con.execute(f"CREATE OR REPLACE TABLE {ident(checked)} AS {query}")
        finally:
            previous = "true" if row is None or row[0] in (True, "true") else "false"
            self.con.execute(f"SET preserve_insertion_order = {previous}")
        return plans

    def check_rows(self, checked: str, mapping: dict[str, str | None]) -> list[str]:
        """SELECTs of cross-row errors (unique, primary key, foreign keys)."""
        queries = []
        present = {name for name, column in mapping.items() if column is not None}
        for field in self.schema["fields"]:
            if field.get("constraints", {}).get("unique") and field["name"] in present:
                queries.append(unique_errors(ident(checked), field["name"], field["name"]))
        key = self.schema.get("primaryKey") or []
        key = [key] if isinstance(key, str) else list(key)
        if key and set(key) <= present:
            queries.append(primary_key_errors(ident(checked), key, key))
        for fk in self.schema.get("foreignKeys", []):
            ours = fk["fields"] if isinstance(fk["fields"], list) else [fk["fields"]]
            ref = fk["reference"]
            theirs = ref["fields"] if isinstance(ref["fields"], list) else [ref["fields"]]
            if not set(ours) <= present:
                continue
            if not ref.get("resource"):
                target = ident(checked)
            elif self.resolve_table and _exists(self.con, self.resolve_table(ref["resource"])):
                target = ident(self.resolve_table(ref["resource"]))
            else:
                self.skipped.append(f"foreign key {ours} → {ref['resource']}: table unavailable")
                continue
            queries.append(foreign_key_errors(ident(checked), ours, ours, target, theirs,
                                              ref.get("resource", "")))
        return queries


def run_validation(
    con: duckdb.DuckDBPyConnection, source: str, schema: dict[str, Any], *, valid: str,
    quarantine: str, errors: str, resolve_table: Callable[[str], str] | None = None,
    labels: Sequence[str] | None = None, coordinates: Sequence[tuple[str, str]] = (),
    french_checks: bool = True,
) -> ValidationReport:
    """See `pipelines.validate.validate_table`."""
    started = time.perf_counter()
    run = _Run(con, ident(source), schema, resolve_table, valid, coordinates, french_checks)
    columns = [r[0] for r in con.execute(f"DESCRIBE {ident(source)}").fetchall()]
    # `_`-prefixed columns are the reader's bookkeeping (`_row`, ragged-row notes), not labels
    ragged = [c for c in READER_NOTES if c in columns]
    columns = [c for c in columns if not c.startswith("_")]
    names = [f["name"] for f in schema["fields"]]
    mapping, header_errors = match_columns(columns, names, labels)
    try:
        checked = valid  # typed rows are written once, then the invalid ones deleted
        # cross-row checks only read `checked` once it exists; listing them first tells
        # whether a row can fail without a cell error (then the source is read again)
        cross = run.check_rows(checked, mapping) + ragged_row_errors(run.source, ragged)
        run.check_cells(mapping, checked, keep_raw=not cross)
        rows_read = _count(con, checked)
        header_rows = " UNION ALL ".join(
            f"SELECT 1::BIGINT AS _row, {lit(e['champ'])} AS champ, {lit(e['type'])} AS type, "
            f"{lit(e['message'])} AS message, -1 AS _n"
            for e in header_errors
        )
        champ, kind = run.decoded("e")
        cell_rows = (
            f"SELECT _row, {champ} AS champ, {kind} AS type, {MESSAGE.format('e')} AS message, "
            f"n AS _n FROM (SELECT _row, "
            f"unnest(_errs) AS e, unnest(range(len(_errs))) AS n FROM {ident(checked)} "
            f"WHERE len(_errs) > 0)"
        )
        body = _merge_cross(run, checked, cell_rows, cross) if cross else cell_rows
        con.execute(
            f"CREATE OR REPLACE TABLE {ident(errors)} AS SELECT CAST(_row AS BIGINT) AS _row, "
            f"CAST(champ AS VARCHAR) AS champ, CAST(type AS VARCHAR) AS type, "
            f"CAST(message AS VARCHAR) AS message FROM ("
            + (f"{header_rows} UNION ALL " if header_rows else "") + body + ") ORDER BY _row, _n"
        )
        if cross:
            bad = run.temp("bad")
            _bad_rows(run, checked, bad)
            con.execute(f"DELETE FROM {ident(valid)} WHERE _row IN (SELECT _row FROM {ident(bad)})")
            raw_cols = ", ".join(
                f"CAST(s.{ident(mapping[n])} AS VARCHAR) AS {ident(n)}" if mapping[n]
                else f"CAST(NULL AS VARCHAR) AS {ident(n)}"
                for n in names
            )
            con.execute(
                f"CREATE OR REPLACE TABLE {ident(quarantine)} AS SELECT s._row, b._erreurs, "
                f"b._types_erreur, {raw_cols} FROM {ident(source)} AS s "
                f"JOIN {ident(bad)} AS b USING (_row) ORDER BY s._row"
            )
        else:  # the failing rows carry their raw cells: no second read of the source
            raw_cols = ", ".join(f"_raw[{i + 1}] AS {ident(n)}" for i, n in enumerate(names))
            con.execute(
                f"CREATE OR REPLACE TABLE {ident(quarantine)} AS SELECT _row, "
                f"{run.erreurs()} AS _erreurs, {run.types_erreur()} AS _types_erreur, "
                f"{raw_cols} FROM {ident(checked)} WHERE len(_errs) > 0 ORDER BY _row"
            )
            bad = quarantine
            con.execute(f"DELETE FROM {ident(valid)} WHERE len(_errs) > 0")
            con.execute(f"ALTER TABLE {ident(valid)} DROP COLUMN _raw")
        con.execute(f"ALTER TABLE {ident(valid)} DROP COLUMN _errs")
        return _report(con, rows_read, errors, bad, header_errors, run.skipped, started)
    finally:
        run.drop_temps()


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {ident(table)}").fetchone()
    return int(row[0]) if row else 0


def _merge_cross(run: _Run, checked: str, cell_rows: str, cross: list[str]) -> str:
    """Store cell and cross-row errors in a temp `found`; the SELECT of all of them."""
    found = run.temp("found")
    run.found = found
    parts = [cell_rows] + [f"SELECT *, 1000 AS _n FROM ({q})" for q in cross]
    run.con.execute(f"CREATE TEMP TABLE {ident(found)} AS " + " UNION ALL ".join(parts))
    return f"SELECT _row, champ, type, message, _n FROM {ident(found)}"


def _after_field(champ: str, message: str) -> str:
    """SQL of `messages.after_field` on two columns (cross-row errors, a few rows)."""
    lowered = (f"CASE WHEN substr({message}, 2, 1) <> upper(substr({message}, 2, 1)) "
               f"THEN lower(substr({message}, 1, 1)) || substr({message}, 2) ELSE {message} END")
    return (f"CASE WHEN coalesce({champ}, '') = '' THEN {message} "
            f"ELSE {champ} || {lit(FIELD_SEP)} || {lowered} END")


def _bad_rows(run: _Run, checked: str, bad: str) -> None:
    """Create `bad`: one row per failing `_row`, its messages and error types (cross-row
    errors, stored in `found` with `_n` = 1000, come after the cell errors)."""
    _, kind = run.decoded("e")
    per_row = (
        f"SELECT 0 AS k, _row, {run.erreurs()} AS _erreurs, "
        f"list_transform(_errs, lambda e: {kind}) "
        f"AS types FROM {ident(checked)} WHERE len(_errs) > 0"
    )
    per_row = (
        f"SELECT _row, string_agg(_erreurs, {lit(ERROR_SEP)} ORDER BY k) AS _erreurs, "
        f"flatten(list(types)) AS types FROM ({per_row} "
        f"UNION ALL SELECT 1, _row, {_after_field('champ', 'message')}, [type] "
        f"FROM {ident(run.found)} WHERE _n = 1000"
        f") GROUP BY _row"
    )
    run.con.execute(
        f"CREATE TEMP TABLE {ident(bad)} AS SELECT _row, _erreurs, "
        f"{TYPES_ERREUR.format('types')} AS _types_erreur FROM ({per_row})"
    )


def _report(con: duckdb.DuckDBPyConnection, rows_read: int, errors: str, bad: str,
            header_errors: list[dict[str, Any]], skipped: list[str],
            started: float) -> ValidationReport:
    def scalar(sql: str) -> int:
        row = con.execute(sql).fetchone()
        return int(row[0]) if row else 0

    quarantined = scalar(f"SELECT count(*) FROM {ident(bad)}")
    by_type = dict(con.execute(
        f"SELECT type, count(*) FROM {ident(errors)} GROUP BY type ORDER BY 2 DESC, 1"
    ).fetchall())
    by_field = dict(con.execute(
        f"SELECT champ, count(*) FROM {ident(errors)} GROUP BY champ ORDER BY 2 DESC, 1"
    ).fetchall())
    examples = [
        {"_row": r, "champ": c, "type": t, "message": m}
        for r, c, t, m in con.execute(
            f"SELECT _row, champ, type, message FROM {ident(errors)} "
            f"ORDER BY _row, type IN {tuple(HEADER_TYPES)} DESC LIMIT 10"
        ).fetchall()
    ]
    return ValidationReport(
        rows_read=rows_read,
        rows_valid=rows_read - quarantined,
        rows_quarantined=quarantined,
        header_errors=header_errors,
        errors_by_type={str(k): int(v) for k, v in by_type.items()},
        errors_by_field={str(k): int(v) for k, v in by_field.items()},
        examples=examples,
        skipped_checks=skipped,
        seconds=time.perf_counter() - started,
    )
