"""Every shell example of the README's « JSON API » and « Bulk downloads » sections runs,
exactly as written, against a real Datasette serving the samples' publication (only the
README's host and port are replaced by the test server's); `curl` is made to fail on any
HTTP error status."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.answers import ROOT

pytestmark = pytest.mark.slow
README_HOST = "http://127.0.0.1:8001"


def section_commands(title: str) -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.split(rf"^### {re.escape(title)}.*$", text, maxsplit=1, flags=re.M)[1]
    section = re.split(r"^##", section, maxsplit=1, flags=re.M)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, f"README section {title!r} has no sh block"
    lines = [line.strip() for line in block.group(1).splitlines()]
    # `BASE=…` is the block's own setting: the test sets it to its server
    return [line for line in lines if line and not line.startswith(("#", "BASE="))]


COMMANDS = [("JSON API", c) for c in section_commands("JSON API")] + [
    ("Bulk downloads", c) for c in section_commands("Bulk downloads")
]


@pytest.fixture(scope="module")
def server(published_server: str) -> str:
    return published_server


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("readme-cwd")


@pytest.mark.parametrize(("section", "command"), COMMANDS, ids=[c for _, c in COMMANDS])
def test_readme_example_runs(server: str, workdir: Path, section: str, command: str) -> None:
    script = (
        'curl() { command curl --silent --show-error --fail "$@"; }\n'
        f"BASE={server}/camp\n" + command.replace(README_HOST, server)
    )
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    done = subprocess.run(
        ["bash", "-c", script], cwd=workdir, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, f"{section}: {command}\n{done.stderr[-1500:]}"
    assert done.stdout.strip() or "-O" in command, f"{section}: {command} printed nothing"


def test_every_section_has_examples() -> None:
    assert len(section_commands("JSON API")) >= 10
    assert len(section_commands("Bulk downloads")) >= 4
