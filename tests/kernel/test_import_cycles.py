"""lakebook.kernel's modules import each other in one direction: the graph of all their imports
has no cycle. Imports under `if TYPE_CHECKING:` and inside functions count too: deferring one
import of a cycle keeps Python from tripping on it, but the modules still depend on each other."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

import lakebook.kernel

PACKAGE = "lakebook.kernel"
ROOT = Path(lakebook.kernel.__file__).parent


def kernel_modules() -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its __init__.py)."""
    modules = {}
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join((PACKAGE, *parts))] = path
    return modules


def resolve(name: str, node: ast.Import | ast.ImportFrom, modules: dict[str, Path]) -> set[str]:
    """The kernel modules one import statement of module `name` loads."""
    if isinstance(node, ast.Import):
        targets = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative: counted from the importing module's package
            package = name if modules[name].name == "__init__.py" else name.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        # `from lakebook.kernel import account` loads the submodule account, not the package.
        submodules = [f"{base}.{alias.name}" for alias in node.names]
        targets = [module if module in modules else base for module in submodules]
    found = set()
    for target in targets:
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    modules = kernel_modules()
    graph = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        edges: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import | ast.ImportFrom):
                edges |= resolve(name, node, modules)
        graph[name] = edges
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules (its first module repeated at the end), or None."""
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        cycle: list[str] = error.args[1]
        return cycle
    return None


def test_the_graph_sees_the_kernel_modules_and_their_imports() -> None:
    graph = import_graph()
    assert "lakebook.kernel.gateway_http" in graph
    assert "lakebook.kernel.widgets.browser" in graph
    assert "lakebook.kernel.gateway_http" in graph["lakebook.kernel.client"]
    assert "lakebook.kernel.account" in graph["lakebook.kernel.magics"]
    # Imports inside a function count: the package loads its magics only when asked.
    assert "lakebook.kernel.magics" in graph["lakebook.kernel"]
    assert "lakebook.kernel" not in graph["lakebook.kernel.magics"]


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": {"b"}}, ["b", "c", "b"]),
        ({"a": {"a"}}, ["a", "a"]),
    ],
)
def test_find_cycle_finds_cycles_and_only_cycles(
    graph: dict[str, set[str]], cycle: list[str] | None
) -> None:
    assert find_cycle(graph) == cycle


def test_kernel_modules_import_in_one_direction() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])
