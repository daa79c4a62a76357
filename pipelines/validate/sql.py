"""Tiny helpers to write SQL text safely: literals and identifiers."""

from __future__ import annotations

from collections.abc import Iterable


def lit(value: str) -> str:
    """A SQL string literal."""
    return "'" + str(value).replace("'", "''") + "'"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def in_list(expr: str, values: Iterable[str]) -> str:
    """`expr IN ('a', 'b')`, or FALSE for an empty list."""
    items = [lit(v) for v in values]
    return f"{expr} IN ({', '.join(items)})" if items else "FALSE"


def shown(expr: str, width: int = 60) -> str:
    """A value as quoted in a French message: « value », cut to `width` characters."""
    return (
        f"('« ' || CASE WHEN length({expr}) > {width} "
        f"THEN left({expr}, {width - 1}) || '…' ELSE {expr} END || ' »')"
    )
