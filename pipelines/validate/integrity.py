"""Checks across rows on typed values: `unique`, `primaryKey`, `foreignKeys`.

Like frictionless, the first occurrence of a value is valid and later ones are errors;
cells that are missing or of the wrong type take no part (typed NULL), except in a
primary key, where NULLs compare equal and an all-NULL key is an error.
"""

from __future__ import annotations

from collections.abc import Sequence

from .sql import ident, lit, shown


def unique_errors(table: str, column: str, field: str) -> str:
    """SELECT (_row, champ, type, message) for repeated values of one unique field."""
    col = ident(column)
    return (
        f"SELECT _row, {lit(field)} AS champ, 'unique-error' AS type, "
        f"{shown('CAST(v AS VARCHAR)')} || ' déjà présent à la ligne ' || first || "
        f"' : valeur unique attendue' AS message FROM ("
        f"SELECT _row, {col} AS v, min(_row) OVER (PARTITION BY {col}) AS first "
        f"FROM {table} WHERE {col} IS NOT NULL) WHERE _row > first"
    )


def primary_key_errors(table: str, columns: Sequence[str], fields: Sequence[str]) -> str:
    """SELECT (_row, champ, type, message) for empty or repeated primary keys."""
    cols = ", ".join(ident(c) for c in columns)
    key = " || ', ' || ".join(f"coalesce(CAST({ident(c)} AS VARCHAR), '')" for c in columns)
    all_null = " AND ".join(f"{ident(c)} IS NULL" for c in columns)
    names = ", ".join(fields)
    return (
        f"SELECT _row, {lit(names)} AS champ, 'primary-key' AS type, "
        f"CASE WHEN empty THEN 'Clé primaire ({names}) vide' "
        f"ELSE 'Clé primaire ({names}) ' || {shown('k')} || ' déjà présente à la ligne ' "
        f"|| first END AS message FROM ("
        f"SELECT _row, {key} AS k, {all_null} AS empty, "
        f"min(_row) OVER (PARTITION BY {cols}) AS first FROM {table}"
        f") WHERE empty OR _row > first"
    )


def foreign_key_errors(
    table: str, columns: Sequence[str], fields: Sequence[str], target: str,
    target_fields: Sequence[str], reference: str,
) -> str:
    """SELECT (_row, champ, type, message) for keys absent from the referenced table.

    Values are compared as text, so an INTEGER key may reference a VARCHAR code.
    """
    ours = [f"CAST(s.{ident(c)} AS VARCHAR)" for c in columns]
    theirs = [f"CAST({ident(c)} AS VARCHAR)" for c in target_fields]
    lookup = ", ".join(f"{t} AS k{i}" for i, t in enumerate(theirs))
    join = " AND ".join(f"{o} IS NOT DISTINCT FROM r.k{i}" for i, o in enumerate(ours))
    any_value = " OR ".join(f"s.{ident(c)} IS NOT NULL" for c in columns)
    shown_key = " || ', ' || ".join(f"coalesce({o}, '')" for o in ours)
    names = ", ".join(fields)
    where = f"{reference or 'la table elle-même'} ({', '.join(target_fields)})"
    return (
        f"SELECT s._row, {lit(names)} AS champ, 'foreign-key' AS type, "
        f"{shown(shown_key)} || {lit(' introuvable dans ' + where)} AS message "
        f"FROM {table} AS s WHERE ({any_value}) AND NOT EXISTS ("
        f"SELECT 1 FROM (SELECT DISTINCT {lookup} FROM {target}) AS r WHERE {join})"
    )
