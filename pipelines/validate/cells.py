"""Compile one Table Schema field into SQL: its typed value and its cell checks.

Expressions use three placeholders the engine replaces with column aliases: `§r` the raw
text, `§m` "the cell is missing", `§t` the typed value (NULL when missing or not of the
type). A type error is `NOT §m AND §t IS NULL`; constraints are only checked on typed
values, as frictionless does. Fields whose type or format is not compiled here (e-mail,
URI, datetime without format, geopoint, JSON...) get `typed=None`: the engine checks
their distinct values with frictionless itself (see `distinct.py`).
"""

from __future__ import annotations

import datetime as dt
import decimal
from dataclasses import dataclass
from dataclasses import field as dc_field
from typing import Any

from . import datefmt
from .messages import (
    FOUND,
    LENGTH,
    REQUIRED,
    bound_message,
    enum_message,
    in_sql,
    length_message,
    pattern_message,
    type_message,
)
from .sql import in_list, lit, shown
from .types import duckdb_type

WS = r"[ \t\n\r\f\v]*"
INT_RE = WS + r"[+-]?[0-9]+(_[0-9]+)*" + WS
_DIGITS = r"[0-9]+(_[0-9]+)*"
NUM_RE = (
    "(?i)" + WS + r"[+-]?((" + _DIGITS + r"(\.(" + _DIGITS + r")?)?|\." + _DIGITS + r")"
    r"(e[+-]?" + _DIGITS + r")?|inf|infinity|s?nan[0-9]*)" + WS
)
TRIM_WS = "' \t\n\r\f\v'"
BARE_STRIP = r"((^[^-\d]*)|(\D*$))"
DEFAULT_TRUE = ["true", "True", "TRUE", "1"]
DEFAULT_FALSE = ["false", "False", "FALSE", "0"]
BOUNDS = {"minimum": "<", "maximum": ">", "exclusiveMinimum": "<=", "exclusiveMaximum": ">="}


@dataclass
class Check:
    """A failed cell check: a SQL condition, its frictionless error type, a French message."""

    cond: str
    type: str
    message: str


@dataclass
class FieldPlan:
    name: str
    field: dict[str, Any]
    typed: str | None  # None: checked by the distinct-value path
    checks: list[Check] = dc_field(default_factory=list)

    @property
    def sql_type(self) -> str:
        return duckdb_type(self.field)


def _trimmed(raw: str) -> str:
    return f"trim({raw}, {TRIM_WS})"


def integer_expr(raw: str, bare: bool = True) -> str:
    text = raw if bare else f"regexp_replace({_trimmed(raw)}, {lit(BARE_STRIP)}, '', 'g')"
    return (
        f"CASE WHEN {plain_digits(raw)} THEN TRY_CAST({raw} AS BIGINT) "
        f"WHEN regexp_full_match({text}, {lit(INT_RE)}) "
        f"THEN TRY_CAST(replace({_trimmed(text)}, '_', '') AS BIGINT) END"
    )


def plain_digits(text: str, dot: bool = False) -> str:
    """Fast path with a cheap regex: the plain shapes DuckDB's cast reads as Python does."""
    if not dot:
        return f"regexp_full_match({text}, '[+-]?[0-9]+')"
    return f"regexp_full_match({text}, '[+-]?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)')"

def number_expr(raw: str, field: dict[str, Any]) -> str:
    text = _trimmed(raw)
    guard = "TRUE"
    if {"groupChar", "decimalChar", "bareNumber"} & field.keys():
        if not field.get("bareNumber", True):
            text = f"regexp_replace({text}, {lit(BARE_STRIP)}, '', 'g')"
        group, decimal_char = field.get("groupChar", ""), field.get("decimalChar", ".")
        if group:
            text = f"replace({text}, {lit(group)}, '')"
        if decimal_char != ".":
            guard = f"NOT contains({text}, '.')"
            text = f"replace({text}, {lit(decimal_char)}, '.')"
    clean = f"replace({_trimmed(text)}, '_', '')"
    # plain "-12.5": same value whatever decimalChar/groupChar say, unless "." is refused
    fast = plain_digits(raw, dot=True) if guard == "TRUE" else "FALSE"
    if field.get("bareNumber", True) is False or field.get("groupChar") == ".":
        fast = "FALSE"
    return (
        f"CASE WHEN {fast} THEN TRY_CAST({raw} AS DOUBLE) "
        f"WHEN {guard} AND regexp_full_match({text}, {lit(NUM_RE)}) "
        f"THEN coalesce(TRY_CAST({clean} AS DOUBLE), 'nan'::DOUBLE) END"
    )


def boolean_expr(raw: str, field: dict[str, Any]) -> str:
    trues = field.get("trueValues", DEFAULT_TRUE)
    falses = field.get("falseValues", DEFAULT_FALSE)
    return f"CASE WHEN {in_list(raw, falses)} THEN FALSE WHEN {in_list(raw, trues)} THEN TRUE END"


def year_expr(raw: str) -> str:
    value = f"TRY_CAST(replace({_trimmed(raw)}, '_', '') AS INTEGER)"
    return (
        f"CASE WHEN length({raw}) = 4 AND regexp_full_match({raw}, {lit(INT_RE)}) "
        f"AND {value} BETWEEN 0 AND 9999 THEN {value} END"
    )


def typed_expr(field: dict[str, Any]) -> str | None:
    """SQL giving the typed value of `§r` (NULL if not of the type); None: not compiled."""
    kind, fmt = field.get("type", "any"), field.get("format", "default")
    if kind == "string" and fmt == "default":
        return "§r"
    if kind == "integer":
        return integer_expr("§r", field.get("bareNumber", True))
    if kind == "number" and not field.get("floatNumber"):
        return number_expr("§r", field)
    if kind == "boolean":
        return boolean_expr("§r", field)
    if kind == "year":
        return year_expr("§r")
    if kind in ("date", "datetime") and fmt != "any":
        fmt = datefmt.DEFAULT_FORMATS[kind] if fmt == "default" else fmt
        return datefmt.typed_expr("§r", fmt, kind) if fmt else None
    return None


def sql_value(value: Any) -> str:
    """A Python value read by frictionless, as a DuckDB literal."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, decimal.Decimal | float):
        return f"CAST({lit(str(value))} AS DOUBLE)"
    if isinstance(value, dt.datetime):
        return f"TIMESTAMP {lit(value.replace(tzinfo=None).isoformat(sep=' '))}"
    if isinstance(value, dt.date):
        return f"DATE {lit(value.isoformat())}"
    return lit(str(value))


def _reader(field: dict[str, Any]):
    from frictionless import Field  # heavy import, only when compiling

    return Field.from_descriptor(field).create_value_reader()


def constraint_checks(field: dict[str, Any], regex_ok: bool = True) -> list[Check]:
    """Checks for `required`, lengths, pattern, enum and bounds on a compiled field."""
    constraints = field.get("constraints", {})
    kind = field.get("type", "any")
    checks: list[Check] = []
    if constraints.get("required"):
        checks.append(Check("§m", "constraint-error", in_sql(REQUIRED)))
    if kind == "string":
        for name, op in (("minLength", "<"), ("maxLength", ">")):
            if name in constraints:
                n = int(constraints[name])
                message = length_message(FOUND, name, n, LENGTH)
                checks.append(Check(f"length(§t) {op} {n}", "constraint-error",
                                    in_sql(message, found=shown("§r"), length="length(§t)")))
        if "pattern" in constraints:
            pattern = "^(?:^" + constraints["pattern"] + "$)"
            checks.append(Check(
                f"NOT regexp_matches(§t, {lit(pattern)})",
                "constraint-error",
                in_sql(pattern_message(FOUND, constraints["pattern"]), found=shown("§r")),
            ))
    needs_reader = kind != "string" and {"enum", *BOUNDS} & constraints.keys()
    reader = _reader(field) if needs_reader else None
    if "enum" in constraints and (reader or kind == "string"):
        if reader:
            values = [reader(v) for v in constraints["enum"]]
        else:  # frictionless's string reader keeps str values only
            values = [v if isinstance(v, str) else None for v in constraints["enum"]]
        literals = [sql_value(v) for v in values if v is not None]
        cond = f"NOT (§t IN ({', '.join(literals)}))" if literals else "§t IS NOT NULL"
        message = in_sql(enum_message(FOUND, constraints["enum"]), found=shown("§r"))
        checks.append(Check(cond, "constraint-error", message))
    for name, op in BOUNDS.items():
        if name in constraints and reader and kind in ("integer", "number", "date", "datetime",
                                                      "year"):
            bound = reader(constraints[name])
            if bound is None:
                continue
            cond = f"§t {op} {sql_value(bound)}"
            if kind == "number":
                cond = f"(isnan(§t) OR {cond})"
            message = bound_message(FOUND, name, constraints[name])
            checks.append(Check(cond, "constraint-error", in_sql(message, found=shown("§r"))))
    return checks


def compile_field(field: dict[str, Any], regex_supported: bool = True) -> FieldPlan:
    """The plan of one field: typed expression, type check and constraint checks."""
    typed = typed_expr(field) if regex_supported else None
    plan = FieldPlan(name=field["name"], field=field, typed=typed)
    if typed is None:
        if field.get("constraints", {}).get("required"):
            plan.checks.append(Check("§m", "constraint-error", in_sql(REQUIRED)))
        return plan
    if typed != "§r":  # a plain string is its own typed value: no type error possible
        message = in_sql(type_message(FOUND, field), found=shown("§r"))
        plan.checks.append(Check("NOT §m AND §t IS NULL", "type-error", message))
    plan.checks.extend(constraint_checks(field))
    return plan
