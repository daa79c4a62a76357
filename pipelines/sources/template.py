"""`${VAR}` placeholders in a source's URL and headers, filled from the environment.

A descriptor never holds a secret such as an API key: it names the environment variable
(`key: ${OPENAGENDA_KEY}`) and the value is read when the source is fetched. The filled
values live only in memory for the requests: what is recorded (fetch state, metadata,
errors) keeps the template, and any text that could echo a filled value (an exception from
the HTTP library, urllib3's debug log lines) goes through `redact`.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote, quote_plus

PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MASK = "***"
# urllib3 logs every request line (with its query string) at DEBUG, and retries too.
HTTP_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry")


class MissingVariableError(LookupError):
    """A placeholder names an environment variable that is not set."""


def variables(*templates: str) -> list[str]:
    """The environment variables named by placeholders, in order, without repeats."""
    names: list[str] = []
    for template in templates:
        names += [n for n in PLACEHOLDER.findall(template) if n not in names]
    return names


@dataclass(frozen=True)
class Filled:
    """A URL and headers with their placeholders filled, and the values to mask."""

    url: str
    headers: dict[str, str]
    secrets: tuple[str, ...]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
                text = text.replace(form, MASK)
        return text


def fill(
    url: str,
    headers: Mapping[str, str] | None,
    where: str,
    environ: Mapping[str, str] | None = None,
) -> Filled:
    """Fill every `${VAR}`; a variable that is not set fails before any request is made."""
    environ = os.environ if environ is None else environ
    headers = dict(headers or {})
    names = variables(url, *headers.values())
    missing = [name for name in names if not environ.get(name)]
    if missing:
        raise MissingVariableError(
            f"{where}: the online source needs the environment variable "
            f"{', '.join(missing)}, which is not set. Set it (`export {missing[0]}=...`) "
            f"or leave this dataset out of CAMP_ONLINE; no request was made."
        )
    values = {name: environ[name] for name in names}

    def substitute(text: str) -> str:
        return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)

    return Filled(
        url=substitute(url),
        headers={key: substitute(value) for key, value in headers.items()},
        secrets=tuple(values.values()),
    )


class _RedactingFilter(logging.Filter):
    def __init__(self, filled: Filled) -> None:
        super().__init__()
        self.filled = filled

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = self.filled.redact(record.getMessage()), ()
        return True


@contextmanager
def redacted_http_logs(filled: Filled) -> Iterator[None]:
    """While fetching, mask the filled values in the HTTP library's log records."""
    if not filled.secrets:
        yield
        return
    guard = _RedactingFilter(filled)
    loggers = [logging.getLogger(name) for name in HTTP_LOGGERS]
    for logger in loggers:
        logger.addFilter(guard)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(guard)
