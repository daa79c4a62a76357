"""Python `strptime` formats compiled to RE2 patterns and DuckDB expressions.

frictionless parses dates with `datetime.strptime`, whose accepted shapes are looser
than they look (`%m` takes "1" or "01", `%d` takes " 5"). We copy the regexes CPython's
`_strptime` uses for each directive, match the whole cell, then build an ISO string from
the captured parts and let DuckDB's TRY_CAST reject impossible calendar dates
(2023-02-30), as `datetime()` does. Formats using other directives return None and are
checked by the distinct-value path instead.
"""

from __future__ import annotations

import re

from .sql import lit

# The regexes of CPython's _strptime.TimeRE (3.11) for the directives we compile.
DIRECTIVES: dict[str, str] = {
    "d": r"(?P<d>3[0-1]|[1-2]\d|0[1-9]|[1-9]| [1-9])",
    "f": r"(?P<f>[0-9]{1,6})",
    "H": r"(?P<H>2[0-3]|[0-1]\d|\d)",
    "m": r"(?P<m>1[0-2]|0[1-9]|[1-9])",
    "M": r"(?P<M>[0-5]\d|\d)",
    "S": r"(?P<S>6[0-1]|[0-5]\d|\d)",
    "y": r"(?P<y>\d\d)",
    "Y": r"(?P<Y>\d\d\d\d)",
}
_SPECIAL = re.compile(r"([\\.^$*+?\(\){}\[\]|])")
_SPACES = re.compile(r"\s+")

DEFAULT_FORMATS = {"date": "%Y-%m-%d", "datetime": None, "time": None}


def strptime_regex(fmt: str) -> tuple[str, list[str]] | None:
    """The RE2 pattern `strptime(cell, fmt)` accepts, and its group names; None when
    the format uses a directive we do not compile (or repeats one)."""
    out, names, i = [], [], 0
    fmt = _SPACES.sub(" ", fmt)
    while i < len(fmt):
        char = fmt[i]
        if char == "%":
            if i + 1 >= len(fmt):
                return None
            directive = fmt[i + 1]
            if directive == "%":
                out.append("%")
            elif directive in DIRECTIVES and directive not in names:
                out.append(DIRECTIVES[directive])
                names.append(directive)
            else:
                return None
            i += 2
            continue
        out.append(r"\s+" if char == " " else _SPECIAL.sub(r"\\\1", char))
        i += 1
    return "".join(out), names


def typed_expr(raw: str, fmt: str, kind: str) -> str | None:
    """DuckDB expression: the DATE/TIMESTAMP `raw` means under `fmt`, NULL if invalid."""
    compiled = strptime_regex(fmt)
    if compiled is None or kind not in ("date", "datetime"):
        return None
    pattern, names = compiled

    def part(name: str, default: str) -> str:
        return f"TRY_CAST(trim(g.{name}) AS INTEGER)" if name in names else default

    if "Y" in names:
        year = part("Y", "1900")
    elif "y" in names:
        year = "(CASE WHEN g.y::INTEGER < 69 THEN 2000 ELSE 1900 END + g.y::INTEGER)"
    else:
        year = "1900"
    day = f"printf('%04d-%02d-%02d', {year}, {part('m', '1')}, {part('d', '1')})"
    if kind == "date":
        iso, target = day, "DATE"
    else:
        micro = "rpad(g.f, 6, '0')" if "f" in names else "'000000'"
        iso = (
            f"{day} || printf(' %02d:%02d:%02d.', {part('H', '0')}, {part('M', '0')}, "
            f"{part('S', '0')}) || {micro}"
        )
        target = "TIMESTAMP"
    full = lit("(?i)" + pattern)
    fast = ""
    if fmt == "%Y-%m-%d":  # 4-2-2 ASCII digits: DuckDB's cast fails exactly when strptime does
        fast = (
            f"WHEN regexp_full_match({raw}, '[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}') "
            f"AND NOT starts_with({raw}, '0000') THEN TRY_CAST({raw} AS DATE) "
        )
    if not names:
        return f"CASE WHEN regexp_full_match({raw}, {full}) THEN CAST('1900-01-01' AS {target}) END"
    groups = "[" + ", ".join(lit(n) for n in names) + "]"
    anchored = lit("(?i)^" + pattern + "$")
    return (
        f"CASE {fast}WHEN regexp_full_match({raw}, {full}) THEN "
        f"list_transform([regexp_extract({raw}, {anchored}, {groups})], "
        f"lambda g: TRY_CAST(CASE WHEN {year} >= 1 THEN {iso} END AS {target}))[1] END"
    )
