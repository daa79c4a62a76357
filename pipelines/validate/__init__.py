"""Vectorised Table Schema validation in DuckDB, with quarantine and French messages.

`validate_table` checks a table of text cells (one VARCHAR column per header label, plus
`_row`, the file's line number) against a resolved Frictionless Table Schema and writes:

- `valid`: rows without any error, one typed column per field (`types.duckdb_type`);
- `quarantine`: the other rows, raw text, `_erreurs` (French messages joined by " ; ")
  and `_types_erreur`; every `_row` of the source lands in exactly one of the two;
- `errors`: one row per error (`_row`, `champ`, `type`, `message`), frictionless type
  names; header errors have `_row` = 1 and quarantine no row.

How: each field compiles to SQL (`cells.py`) giving its typed value and failed checks;
one scan builds every row's error list; unique / primary / foreign keys are window and
anti-join queries (`integrity.py`). Rare types and formats (e-mail, URI, UUID, datetime
and time without format, geopoint, JSON, patterns RE2 cannot run) are checked value by
*distinct* value with frictionless's own reader (`distinct.py`).

French checks: a field may declare `x-camp-check: siret | siren | code_insee |
code_postal | cpv` (`french.py`); `code_insee` existence uses
`resolve_table("communes.communes")` (column `code_insee`) when that table exists.
Coordinate pairs are passed as `coordinates=[("lat", "lon")]` (the steps take them from the
resource's `x-camp.map`, the one place they are declared): a pair outside every French box
(metropolitan France, Corsica, the five DROM, the overseas collectivities, New Caledonia) is
a `constraint-error` on the latitude field, and the message says when swapping the two
would put the point in France.

Agreement with frictionless-py 5 (the reference in `tests/test_validate_parity.py`): same
(row, field, type) sets, including its surprises: "+1", " 1 ", "1_000" and "01" are
integers; "1e3", "NaN", "inf" and "1_000.5" are numbers; "12.5" is not an integer (no
rounding); "2023-02-30" is not a date; dates take "2024-1-5"; pattern `a|b` is matched
like `re.match("^a|b$")`; a row whose cells are all missing is one `blank-row` error; a
missing column gives `missing-label` and no cell errors; an extra column only
`extra-label`; a renamed column at the same position is `incorrect-label` and its cells
are checked as the field.

Intentional differences:
- Columns are matched by name, not position: a column missing in the middle does not
  shift every following column (frictionless would report a cascade of
  `incorrect-label` and type errors).
- A NULL cell (ragged row padded by the reader) counts as missing: no `missing-cell`,
  `extra-cell` errors, since row raggedness is the reader's concern (it reports it).
- Numbers are DOUBLE, integers BIGINT: integers beyond ±9.2e18 are type errors;
  bounds and enums on numbers compare as doubles, not Decimals.
- Only ASCII digits and whitespace (RE2 `\\d`, `\\s`): frictionless (Python `int`)
  also accepts "٣" or a non-breaking space around a number.
- Python's `$` also matches before a final newline; RE2's does not.
- Unique/primary-key messages cite the first occurrence, frictionless the previous one.
- "sNaN" with a numeric bound: frictionless itself crashes (decimal.InvalidOperation); we
  report a constraint-error.

Speed: plain shapes ("-12.5", "42", "2024-01-31") take a cheap-regex + cast fast path;
only the others go through the exact Python-compatible regexes. The source is scanned
once (without cross-row checks): failing rows keep their raw cells beside the typed
ones, so the quarantine is written from them, and `source` may be a view over
`read_csv` (the file is then read while it is checked; a view numbering lines WITH
ORDINALITY reads on one thread, so materialise it as the benchmark does, or every
check runs on that one thread too). Error lists are built for failing rows only, one
single-item list per failed check; an error is one string, its message after a character
whose code point numbers its (field, type), cheaper in the scan than a struct. The
checking scan lets DuckDB's threads write rows in any order (`preserve_insertion_order`
off for that statement only): each row carries its `_row`, which orders the quarantine
and errors and keys the published rowid. `benchmarks/validate.py` measures it against
frictionless, DuckDB's raw read and the floor (the same read with one TRY_CAST per field
and no check).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import duckdb

from .report import ValidationReport
from .types import duckdb_type

__all__ = ["ValidationReport", "duckdb_type", "validate_table"]


def validate_table(
    con: duckdb.DuckDBPyConnection,
    source: str,
    schema: dict[str, Any],
    *,
    valid: str,
    quarantine: str,
    errors: str,
    resolve_table: Callable[[str], str] | None = None,
    labels: Sequence[str] | None = None,
    coordinates: Sequence[tuple[str, str]] | None = None,
    french_checks: bool = True,
) -> ValidationReport:
    """Validate `source` against `schema` into the `valid`, `quarantine` and `errors` tables.

    `labels`: the file's original header labels, to detect duplicate labels.
    `coordinates`: (latitude, longitude) field pairs to check inside France (none by
    default). `french_checks=False` skips `x-camp-check`
    and coordinates (used when comparing with frictionless).
    """
    from .engine import run_validation

    return run_validation(
        con, source, schema, valid=valid, quarantine=quarantine, errors=errors,
        resolve_table=resolve_table, labels=labels,
        coordinates=list(coordinates or ()) if french_checks else [], french_checks=french_checks,
    )
