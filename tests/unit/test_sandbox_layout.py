"""The sandbox's layout holds: no import cycle, and its subpackages form layers."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.unit.test_layout import cycle, graph, imported

PACKAGE = Path(__file__).parents[2] / "emailgistics_sandbox"
#: Bottom to top: each subpackage imports only itself and the ones before it. The
#: package's own top-level modules (``__init__``, ``cli``) sit above all of them.
LAYERS = ("settings", "truth", "runs", "neighbour", "api", "control", "transport")


def layer(module: str) -> int:
    """The module's place in ``LAYERS``; the package's top-level modules sit above them all."""
    parts = module.split(".")
    return LAYERS.index(parts[1]) if len(parts) > 1 and parts[1] in LAYERS else len(LAYERS)


def upward_imports(edges: dict[str, set[str]]) -> list[str]:
    """Every import of a module in a higher layer (the top level is the highest)."""
    return sorted(
        f"{module} -> {target}"
        for module, targets in edges.items()
        for target in targets
        if layer(target) > layer(module)
    )


def test_given_the_sandbox_when_imports_are_followed_then_no_cycle_and_parts_form_layers() -> None:
    edges = graph(sorted(PACKAGE.rglob("*.py")))
    assert cycle(edges) == []
    assert upward_imports(edges) == []
    # The graph is not empty by accident: the layers do import each other, downwards.
    assert "emailgistics_sandbox.truth.reports" in edges["emailgistics_sandbox.api.catalog"]


def test_given_the_sandbox_when_its_folders_are_listed_then_each_is_a_declared_layer() -> None:
    folders = {p.parent.name for p in PACKAGE.glob("*/__init__.py")}
    assert folders == set(LAYERS)
    # Only the public API and the entry points stay at the top.
    assert {p.name for p in PACKAGE.glob("*.py")} <= {"__init__.py", "cli.py", "__main__.py"}


def test_given_relative_and_type_checking_imports_when_read_then_both_are_edges() -> None:
    source = (
        "from typing import TYPE_CHECKING\n"
        "from ..truth import reports\n"
        "from .state import SandboxState\n"
        "if TYPE_CHECKING:\n"
        "    from emailgistics_sandbox.control.endpoints import handle_control\n"
    )
    known = {
        "emailgistics_sandbox.truth.reports",
        "emailgistics_sandbox.api.state",
        "emailgistics_sandbox.control.endpoints",
    }
    found = imported(source, "emailgistics_sandbox.api.catalog", is_package=False) & known
    assert found == known
    assert upward_imports({"emailgistics_sandbox.api.catalog": found}) == [
        "emailgistics_sandbox.api.catalog -> emailgistics_sandbox.control.endpoints"
    ]


def test_given_a_layer_when_it_imports_the_top_level_then_that_is_upward() -> None:
    edges = {"emailgistics_sandbox.truth.data": {"emailgistics_sandbox"}}
    assert upward_imports(edges) == ["emailgistics_sandbox.truth.data -> emailgistics_sandbox"]


def test_given_every_sandbox_module_when_read_then_it_opens_with_a_line_saying_its_job() -> None:
    for path in PACKAGE.rglob("*.py"):
        doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
        assert doc, f"{path} does not say its job"
        assert doc.splitlines()[0].strip(), path
