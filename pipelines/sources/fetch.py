"""Fetch a source into a kept raw snapshot: a local path, one HTTP URL, or a cursor-paginated
API fetched page after page (`pagination.py`). The HTTP details are in `http.py`.
"""

from __future__ import annotations

from pathlib import Path

from .http import FetchError, FetchResult, fetch_http, fetch_local, read_state, write_state
from .pagination import fetch_paginated
from .template import MissingVariableError, fill


def fetch(
    source: str | Path,
    dest_dir: Path,
    *,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 0.5,
    headers: dict[str, str] | None = None,
    pagination: str | None = None,
    where: str = "the descriptor",
) -> FetchResult:
    """Fetch `source` into `dest_dir`, reusing the previous snapshot when nothing changed.

    For an HTTP source, `${VAR}` in the URL and `headers` are filled from the environment
    (`where` names the descriptor in the error when a variable is missing) and
    `pagination` names a cursor-paginated API to fetch whole (`pagination.PAGINATIONS`).
    """
    dest_dir = Path(dest_dir)
    text = str(source)
    if text.startswith(("http://", "https://")):
        try:
            filled = fill(text, headers, where)
        except MissingVariableError as error:
            raise FetchError(str(error), source=text) from None
        dest_dir.mkdir(parents=True, exist_ok=True)
        previous = read_state(dest_dir)
        if pagination:
            result = fetch_paginated(
                pagination, text, filled, dest_dir, previous, timeout, retries, backoff
            )
        else:
            result = fetch_http(text, filled, dest_dir, previous, timeout, retries, backoff)
    else:
        dest_dir.mkdir(parents=True, exist_ok=True)
        result = fetch_local(Path(source), dest_dir, read_state(dest_dir))
    write_state(dest_dir, result)
    return result
