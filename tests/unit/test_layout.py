"""The package layout holds: every module says its job, packages form layers, no import cycle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).parents[2]
PACKAGE = ROOT / "tap_emailgistics"
#: Where the repository's own Python lives (a module imports these by name or relatively).
SOURCES = ("tap_emailgistics", "emailgistics_sandbox", "tests", "benchmarks", "scripts")
#: The tap's packages and top-level modules, lowest first: each imports only earlier ones.
#: Value types shared across packages (``values``) sit below every package that uses them.
LAYERS = (
    "values",
    "durations",
    "errors",
    "finality",  # time maths and the finality rules: pure, knows no settings type
    "transport",  # the request gate's parts: host, pacing, retries, answers, redaction
    "settings",
    "catalog",
    "engine",
    "sync",
    "streams",  # the SDK streams, their base class and bookmarks
    "wiring",
    "tap",
    "plugin_definition",
    "cli",
    "__main__",
)


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(source: str, name: str, *, is_package: bool) -> set[str]:
    """The repository's modules (and members) module ``name`` imports: relative imports
    resolved, those under ``TYPE_CHECKING`` included."""
    package = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join([*base, node.module] if node.level else [node.module or ""])
            module = module.strip(".")
            found |= {module, *(f"{module}.{alias.name}" for alias in node.names)}
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
    return {m for m in found if m.split(".")[0] in SOURCES and m != name}


def imports(path: Path) -> set[str]:
    """The repository's modules (and members) the module at ``path`` imports."""
    source = path.read_text(encoding="utf-8")
    return imported(source, module_name(path), is_package=path.name == "__init__.py")


def graph(paths: list[Path]) -> dict[str, set[str]]:
    """Module → the modules among ``paths`` it imports (a name that is a package's
    member resolves to the package module, as Python does)."""
    known = {module_name(p) for p in paths}
    return {module_name(p): imports(p) & known for p in paths}


def python_files() -> list[Path]:
    return sorted(p for source in SOURCES for p in (ROOT / source).rglob("*.py"))


def cycle(edges: dict[str, set[str]]) -> list[str]:
    """One import cycle of ``edges``, or [] when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: finished
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node], _ = 1, path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt in edges and state.get(nxt) is None and (found := visit(nxt)):
                return found
        state[node] = 2
        path.pop()
        return []

    for start in sorted(edges):
        if state.get(start) is None and (found := visit(start)):
            return found
    return []


def layer_of(module: str) -> str:
    """The tap's layer a ``tap_emailgistics`` module belongs to (its package, or itself)."""
    return module.split(".")[1] if "." in module else ""


def test_given_the_repository_when_its_imports_are_followed_then_no_module_cycle() -> None:
    assert cycle(graph(python_files())) == []


def test_given_the_taps_packages_when_their_imports_are_read_then_each_imports_only_below() -> None:
    edges = graph(sorted(PACKAGE.rglob("*.py")))
    upward = []
    for module, targets in edges.items():
        here = layer_of(module)
        assert here in LAYERS or module == "tap_emailgistics", f"{module}: not in LAYERS"
        upward += [
            f"{module} -> {target}"
            for target in targets
            if (there := layer_of(target)) != here
            and there
            and here
            and LAYERS.index(there) > LAYERS.index(here)
        ]
    assert upward == []


def test_given_an_import_cycle_when_searched_then_it_is_found() -> None:
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_given_a_relative_import_when_read_then_it_names_the_module() -> None:
    assert module_name(ROOT / "tests" / "e2e" / "conftest.py") == "tests.e2e.conftest"
    found = imports(ROOT / "tests" / "e2e" / "meltano_lab.py")
    assert "tests.e2e.conftest" in found
    assert "tests.e2e.processes" in found


def test_given_every_module_when_read_then_it_opens_with_a_line_saying_its_job() -> None:
    for path in PACKAGE.rglob("*.py"):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        if path.name == "__main__.py":
            continue
        assert doc, f"{path} does not say its job"
        assert doc.splitlines()[0].strip(), path
