"""The package layers: `common -> lake -> {flows, gateway, kernel, lab}`, the CLI above them all.

Read from the source with `ast`, so the rule holds for imports inside functions and under
`TYPE_CHECKING` too: a layer that reaches up only lazily still couples the packages.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_FOLDERS = ("kernel_lib", "flows", "gateway", "extension")
MAX_MODULE_LINES = 400

# What each package may import of lakebook besides itself.
ALLOWED: dict[str, set[str]] = {
    "common": set(),
    "lake": {"common"},
    "flows": {"common", "lake"},
    "gateway": {"common", "lake"},
    "kernel": {"common", "lake"},
    # The Jupyter server extension talks to the gateway through the kernel library's client.
    "lab": {"common", "lake", "kernel"},
    "cli": {"common", "lake", "flows", "gateway", "kernel"},
}


def source_modules() -> Iterator[tuple[str, Path]]:
    """Every lakebook source module with the top-level package it belongs to."""
    for folder in SOURCE_FOLDERS:
        base = ROOT / folder / "lakebook"
        for path in sorted(base.rglob("*.py")):
            if "node_modules" in path.parts or "labextension" in path.parts:
                continue
            yield path.relative_to(base).parts[0], path


def lakebook_imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, imported lakebook package) for every import statement in a module."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "lakebook":
                names = [f"lakebook.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "lakebook" and len(parts) > 1:
                yield node.lineno, parts[1]


def layer_violations() -> list[str]:
    found = []
    for package, path in source_modules():
        allowed = ALLOWED[package] | {package}
        for line, imported in lakebook_imports(path):
            if imported not in allowed:
                found.append(
                    f"{path.relative_to(ROOT)}:{line}: lakebook.{package} imports "
                    f"lakebook.{imported}"
                )
    return found


def test_every_package_has_a_layer() -> None:
    assert {package for package, _ in source_modules()} == set(ALLOWED)


def test_imports_point_down_the_layers() -> None:
    assert layer_violations() == []


def test_the_rule_catches_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "upward.py"
    module.write_text(
        "def later():\n    from lakebook.flows.builtin import BUILTIN_FLOWS\n"
        "import lakebook.gateway.main\nfrom lakebook import kernel\n"
    )
    assert sorted(imported for _, imported in lakebook_imports(module)) == [
        "flows",
        "gateway",
        "kernel",
    ]


def test_no_source_module_is_over_400_lines() -> None:
    long = [
        f"{path.relative_to(ROOT)}: {lines} lines"
        for _, path in source_modules()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    ]
    assert long == []
