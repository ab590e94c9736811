"""conftest.py files hold fixtures only: helpers live in tests/utils, where tests import them."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def conftest_imports(source: str) -> list[str]:
    """The modules named `...conftest` that this source imports."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found += [name for name in names if name.split(".")[-1] == "conftest"]
    return found


def test_the_check_sees_both_import_forms() -> None:
    source = (
        "import tests.conftest\n"
        "from tests.kernel.conftest import SALES\n"
        "from tests import conftest\n"
    )
    assert conftest_imports(source) == ["tests.conftest", "tests.kernel.conftest", "tests.conftest"]


def test_no_test_module_imports_from_a_conftest() -> None:
    offenders = {
        str(path.relative_to(TESTS)): names
        for path in sorted(TESTS.rglob("*.py"))
        if (names := conftest_imports(path.read_text()))
    }
    assert offenders == {}, "move what they import into tests/utils"
