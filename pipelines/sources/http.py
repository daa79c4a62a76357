"""HTTP and local fetching of one source into a kept raw snapshot, and its remembered state.

HTTP uses a conditional GET (ETag / Last-Modified from the previous fetch) so an unchanged
source is not downloaded again; where the server gives neither, the sha256 of the bytes
decides whether anything changed. Transient failures (timeouts, connection errors, 5xx) are
retried with backoff; 4xx never are. Every snapshot is kept under `dest_dir` with a
`state.json` remembering the last good fetch.

An online source may name environment variables (`${OPENAGENDA_KEY}`) in its URL and
headers (see `template.py`): they are filled at request time, and the template, never
the value, is what the state, the result and the errors record. A cursor-paginated API
(`pagination="openagenda"`, see `pagination.py`) is fetched page after page into one file.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from .template import Filled, redacted_http_logs

STATE_FILE = "state.json"
CHUNK = 1 << 20
RETRY_STATUSES = (500, 502, 503, 504)
USER_AGENT = "territoire-camp/0.1 (+open data kit)"


class FetchError(RuntimeError):
    """A source could not be fetched; the message names it and says what to do."""

    def __init__(self, message: str, *, source: str, status: int | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.status = status


@dataclass(frozen=True)
class FetchResult:
    source: str
    path: Path  # the raw snapshot to read
    sha256: str
    bytes: int
    changed: bool  # False: same content as the previous fetch (304 or same sha256)
    status: str  # "downloaded", "not-modified", "unchanged", "copied"
    fetched_at: str
    etag: str | None = None
    last_modified: str | None = None
    pages: int | None = None  # paginated APIs: how many pages were combined

    def to_metadata(self) -> dict[str, str | int | bool | None]:
        data = asdict(self)
        data["path"] = str(self.path)
        return data


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_state(dest_dir: Path) -> dict:
    state_path = Path(dest_dir) / STATE_FILE
    if not state_path.is_file():
        return {}
    return json.loads(state_path.read_text())


def write_state(dest_dir: Path, result: FetchResult) -> None:
    state_path = dest_dir / STATE_FILE
    tmp = state_path.with_suffix(".tmp")
    tmp.write_text(json.dumps(result.to_metadata(), indent=2))
    tmp.replace(state_path)


def keep_snapshot(
    dest_dir: Path, tmp: Path, sha: str, suffix: str, previous: dict
) -> tuple[Path, bool]:
    """Move a downloaded temp file into the snapshot folder unless its content is unchanged."""
    old = Path(previous["path"]) if previous.get("path") else None
    if previous.get("sha256") == sha and old and old.is_file():
        tmp.unlink()
        return old, False
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    final = dest_dir / f"{stamp}-{sha[:12]}{suffix}"
    tmp.replace(final)
    return final, True


def http_session(retries: int, backoff: float) -> requests.Session:
    """A session retrying timeouts, connection errors and 5xx with backoff; never 4xx."""
    retry = Retry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        backoff_factor=backoff,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD"}),
        raise_on_status=False,
        respect_retry_after_header=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def status_advice(status: int) -> str:
    if status >= 500:
        return "the server is failing; it was retried, try again later"
    if status in (401, 403):
        return "check the API key set in the environment for this source"
    return "check the URL in the descriptor (`x-camp.online_url`)"


def fetch_http(
    url: str,
    filled: Filled,
    dest_dir: Path,
    previous: dict,
    timeout: float,
    retries: int,
    backoff: float,
) -> FetchResult:
    """`url` is the template recorded everywhere; `filled` is what is actually requested."""
    headers = {"User-Agent": USER_AGENT, **filled.headers}
    if previous.get("source") == url:
        if previous.get("etag"):
            headers["If-None-Match"] = previous["etag"]
        if previous.get("last_modified"):
            headers["If-Modified-Since"] = previous["last_modified"]
    started = time.monotonic()
    try:
        with http_session(retries, backoff) as session, redacted_http_logs(filled):
            response = session.get(filled.url, headers=headers, timeout=timeout, stream=True)
            if response.status_code == 304 and previous.get("path"):
                response.close()
                return FetchResult(
                    source=url,
                    path=Path(previous["path"]),
                    sha256=previous["sha256"],
                    bytes=previous["bytes"],
                    changed=False,
                    status="not-modified",
                    fetched_at=utc_now(),
                    etag=previous.get("etag"),
                    last_modified=previous.get("last_modified"),
                )
            if response.status_code >= 400:
                response.close()
                reason = filled.redact(response.reason or "")
                raise FetchError(
                    f"GET {url} answered HTTP {response.status_code} "
                    f"{reason}: {status_advice(response.status_code)}",
                    source=url,
                    status=response.status_code,
                )
            suffix = Path(urlparse(url).path).suffix or ".bin"
            tmp = dest_dir / f".download-{time.time_ns()}.part"
            digest = hashlib.sha256()
            size = 0
            with tmp.open("wb") as handle:
                for chunk in response.iter_content(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    handle.write(chunk)
    except requests.RequestException as error:
        elapsed = time.monotonic() - started
        raise FetchError(
            f"GET {url} failed after {retries} retries ({elapsed:.1f} s): "
            f"{type(error).__name__}: {filled.redact(str(error))}. "
            "Is the server up and the URL right?",
            source=url,
        ) from None  # the chained exception would carry the filled URL
    sha = digest.hexdigest()
    path, changed = keep_snapshot(dest_dir, tmp, sha, suffix, previous)
    return FetchResult(
        source=url,
        path=path,
        sha256=sha,
        bytes=size,
        changed=changed,
        status="downloaded" if changed else "unchanged",
        fetched_at=utc_now(),
        etag=response.headers.get("ETag"),
        last_modified=response.headers.get("Last-Modified"),
    )


def fetch_local(path: Path, dest_dir: Path, previous: dict) -> FetchResult:
    if not path.is_file():
        raise FetchError(
            f"{path}: no such file; check the resource `path` in the descriptor",
            source=str(path),
        )
    sha = sha256_file(path)
    tmp = dest_dir / f".copy-{time.time_ns()}.part"
    shutil.copyfile(path, tmp)
    kept, changed = keep_snapshot(dest_dir, tmp, sha, path.suffix, previous)
    return FetchResult(
        source=str(path),
        path=kept,
        sha256=sha,
        bytes=path.stat().st_size,
        changed=changed,
        status="copied" if changed else "unchanged",
        fetched_at=utc_now(),
    )
