"""The package layout keeps its arrows one way: no import loop between modules (lazy imports
inside functions count), and a package imports only packages of a lower rank.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "pipelines"

# Lower ranks are imported by higher ones, never the reverse. `serve` reads what `publish`
# wrote; `ops` (journal, status) reads the publication pointer; a reader may use the
# validation's French messages.
RANKS = {
    "settings": 0,
    "french": 0,
    "catalog": 0,
    "warehouse": 1,
    "sources": 2,
    "validate": 2,
    "read": 3,
    "steps": 4,
    "publish": 4,
    "ops": 5,
    "serve": 5,
    "defs": 6,
    "cli": 7,
}


def _module(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(dotted: str) -> bool:
    base = PACKAGE.parent.joinpath(*dotted.split("."))
    return base.with_suffix(".py").exists() or (base / "__init__.py").exists()


def import_graph() -> dict[str, set[str]]:
    """Module → the project modules it imports, anywhere in its body."""
    graph: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module(path)
        here = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        targets = graph.setdefault(name, set())
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets.update(a.name for a in node.names if a.name.startswith("pipelines."))
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = here[: len(here) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if not target.startswith("pipelines"):
                    continue
                subs = [f"{target}.{a.name}" for a in node.names]
                subs = [sub for sub in subs if _is_module(sub)]
                targets.update(subs or [target])
        targets.discard(name)
        targets.discard("pipelines")
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def _package(module: str) -> str:
    return module.split(".")[1]


def test_graph_sees_imports():
    graph = import_graph()
    assert "pipelines.sources.http" in graph["pipelines.sources.fetch"]
    assert "pipelines.catalog.model" in graph["pipelines.catalog.load"]


def test_no_import_loop():
    assert _cycle(import_graph()) is None


def test_cycle_finder_finds_a_loop():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_every_package_has_a_rank():
    packages = {_package(m) for m in import_graph() if m != "pipelines"}
    assert packages == set(RANKS)


def test_arrows_point_down():
    upward = sorted(
        f"{source} → {target}"
        for source, targets in import_graph().items()
        if source != "pipelines"
        for target in targets
        if _package(source) != _package(target)
        and RANKS[_package(target)] >= RANKS[_package(source)]
    )
    assert upward == []
