"""The package layout holds: every module says its job first, and no import cycle exists."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[2] / "tap_emailgistics"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """The tap's modules ``path`` imports, also under ``TYPE_CHECKING``."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tap_emailgistics"):
            found.add(str(node.module))
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("tap_emailgistics")}
    return found


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``graph``, or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node], _ = 1, path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt in graph and state.get(nxt) is None and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return []

    for start in sorted(graph):
        if state.get(start) is None and (found := visit(start)):
            return found
    return []


def test_given_the_tap_package_when_its_imports_are_followed_then_no_cycle() -> None:
    graph = {module_name(p): imports(p) for p in PACKAGE.rglob("*.py")}
    assert cycle(graph) == []


def test_given_an_import_cycle_when_searched_then_it_is_found() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_given_every_module_when_read_then_it_opens_with_a_line_saying_its_job() -> None:
    for path in PACKAGE.rglob("*.py"):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        if path.name == "__main__.py":
            continue
        assert doc, f"{path} does not say its job"
        assert doc.splitlines()[0].strip(), path
