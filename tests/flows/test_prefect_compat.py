"""What lakebook changes in Prefect is changed by lakebook.flows.prefect_compat alone, only when an
entry point installs it, and only on a Prefect version it was written for."""

from __future__ import annotations

import ast
import copyreg
import importlib
import json
import pkgutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import prefect
import pytest
from prefect import Flow

import lakebook.flows
from lakebook.flows.prefect_compat import (
    PATCHED,
    PrefectCompatError,
    install_flow_calls,
    install_runner,
    install_server,
    prefects_own,
)

REPO = Path(__file__).resolve().parents[2]
SOURCE_ROOTS = ("gateway", "flows", "kernel_lib", "extension/lakebook", "benchmarks")
COMPAT_MODULE = REPO / "flows" / "lakebook" / "flows" / "prefect_compat.py"
# Modules whose import is their job in the process that imports them: the runner, the server,
# the forkserver's preload (which installs the flow-call change for every run it forks).
ENTRY_POINTS = {"serve", "prefect_server", "forkserver_warmup"}


def split_name(name: str) -> tuple[str, list[str], str]:
    """A PATCHED name as its module, the class path inside it (if any) and the attribute."""
    owner_path, attribute = name.rsplit(".", 1)
    parts = owner_path.split(".")
    for split in range(len(parts), 0, -1):
        module = ".".join(parts[:split])
        try:
            importlib.import_module(module)
        except ImportError:
            continue
        return module, parts[split:], attribute
    raise ImportError(name)


def resolve(name: str) -> tuple[Any, str]:
    """The module or class that holds a PATCHED attribute, and the attribute's name."""
    module, classes, attribute = split_name(name)
    owner: Any = importlib.import_module(module)
    for part in classes:
        owner = getattr(owner, part)
    return owner, attribute


def prefect_now() -> list[object]:
    """The values of everything lakebook may change in Prefect, in PATCHED order, then how a
    Flow pickles."""
    return [getattr(*resolve(name)) for name in PATCHED] + [copyreg.dispatch_table.get(Flow)]


def changed(before: list[object], after: list[object]) -> list[str]:
    names = [*PATCHED, "copyreg.dispatch_table[Flow]"]
    return [name for name, old, new in zip(names, before, after, strict=True) if new is not old]


@pytest.fixture
def prefect_restored(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Prefect as Prefect made it for the test; whatever was installed before, after it."""
    for name in PATCHED:
        owner, attribute = resolve(name)
        monkeypatch.setattr(owner, attribute, prefects_own(getattr(owner, attribute)))
    pickles_flows = copyreg.dispatch_table.pop(Flow, None)
    yield
    if pickles_flows is None:
        copyreg.dispatch_table.pop(Flow, None)
    else:
        copyreg.pickle(Flow, pickles_flows)


INSTALLS: dict[str, Callable[[], object]] = {
    "flow_calls": install_flow_calls,
    "runner": lambda: install_runner(preload=("json",)),
    "server": install_server,
}


@pytest.mark.usefixtures("prefect_restored")
@pytest.mark.parametrize("install", INSTALLS.values(), ids=INSTALLS.keys())
def test_a_prefect_version_it_was_not_written_for_is_refused_and_left_alone(
    monkeypatch: pytest.MonkeyPatch, install: Callable[[], object]
) -> None:
    before = prefect_now()
    monkeypatch.setattr(prefect, "__version__", "3.9.0")
    with pytest.raises(PrefectCompatError) as refused:
        install()
    message = str(refused.value)
    assert "written for Prefect 3.9.1, but Prefect 3.9.0 is installed" in message
    assert "nothing was changed" in message
    assert "pip install prefect==3.9.1" in message
    assert changed(before, prefect_now()) == []


@pytest.mark.usefixtures("prefect_restored")
@pytest.mark.parametrize(
    ("install", "changes"),
    [
        ("flow_calls", ["prefect.flow_engine._send_heartbeats"]),
        (
            "runner",
            ["prefect.flow_engine.multiprocessing", "copyreg.dispatch_table[Flow]"],
        ),
        ("server", [PATCHED[2], PATCHED[3]]),
    ],
)
def test_on_the_version_it_was_written_for_each_install_changes_its_part_once(
    install: str, changes: list[str]
) -> None:
    """What the refusal above is measured against: the same check sees an install's change."""
    before = prefect_now()
    INSTALLS[install]()
    installed = prefect_now()
    assert changed(before, installed) == changes
    INSTALLS[install]()
    assert changed(installed, prefect_now()) == []


def flow_modules() -> list[str]:
    """Every lakebook.flows module a user's code or a flow may import."""
    return sorted(
        module.name
        for module in pkgutil.iter_modules(lakebook.flows.__path__, "lakebook.flows.")
        if module.name.rsplit(".", 1)[1] not in ENTRY_POINTS
    )


# In a fresh process: Prefect's values before and after importing the modules named, then after
# installing the flow-call and server changes (which the same comparison must see).
_IMPORT_CHANGES_NOTHING = """
import copyreg, importlib, json, sys
from prefect import Flow

patched, modules = json.loads(sys.argv[1]), json.loads(sys.argv[2])

def now():
    values = []
    for module, classes, attribute in patched.values():
        owner = importlib.import_module(module)
        for name in classes:
            owner = getattr(owner, name)
        values.append(getattr(owner, attribute))
    return values + [copyreg.dispatch_table.get(Flow)]

def changed(before, after):
    names = list(patched) + ["copyreg.dispatch_table[Flow]"]
    return [name for name, old, new in zip(names, before, after) if new is not old]

before = now()
for module in modules:
    importlib.import_module(module)
imported = now()
from lakebook.flows.prefect_compat import install_flow_calls, install_server
install_flow_calls()
install_server()
print(json.dumps({"import": changed(before, imported), "install": changed(imported, now())}))
"""


def test_importing_the_flows_changes_nothing_in_prefect() -> None:
    modules = flow_modules()
    assert {"lakebook.flows.lake_flow", "lakebook.flows.builtin"} <= set(modules)
    assert "lakebook.flows.prefect_compat" in modules
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            _IMPORT_CHANGES_NOTHING,
            json.dumps({name: split_name(name) for name in PATCHED}),
            json.dumps(modules),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    changes = json.loads(result.stdout.strip().splitlines()[-1])
    assert changes["import"] == []
    assert changes["install"] == [
        "prefect.flow_engine._send_heartbeats",
        "prefect.server.api.server.create_app",
        "prefect.server.database.configurations.AioSqliteConfiguration.setup_sqlite",
    ]


# What the runner's forkserver does before forking runs: each run is a copy of this process.
_FORKSERVER_PRELOAD = """
import prefect.flow_engine
from lakebook.flows.prefect_compat import prefects_own
from lakebook.flows.warm_start import PRELOAD_MODULES
own = prefect.flow_engine._send_heartbeats
for name in PRELOAD_MODULES:
    __import__(name)
installed = prefect.flow_engine._send_heartbeats
print(installed is not own and prefects_own(installed) is own)
"""


def test_the_runners_forkserver_installs_the_flow_call_change_for_every_run() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _FORKSERVER_PRELOAD],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=REPO,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"


def is_prefect(module: str | None) -> bool:
    return module is not None and (module == "prefect" or module.startswith("prefect."))


def base_name(node: ast.expr) -> str | None:
    """The name an expression like `a.b[c].d` starts from."""
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def prefect_bound_names(tree: ast.Module) -> set[str]:
    """Names bound to Prefect modules or their contents: imported from Prefect, or assigned
    from such a name (`engine: Any = prefect.flow_engine`)."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {
                alias.asname or alias.name.split(".")[0]
                for alias in node.names
                if is_prefect(alias.name)
            }
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and is_prefect(node.module):
            names |= {alias.asname or alias.name for alias in node.names}
    aliases: list[tuple[list[ast.expr], ast.expr]] = [
        (node.targets, node.value) for node in ast.walk(tree) if isinstance(node, ast.Assign)
    ] + [
        ([node.target], node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.AnnAssign) and node.value is not None
    ]
    for _ in range(len(aliases) + 1):
        found = {
            target.id
            for targets, value in aliases
            if base_name(value) in names
            for target in targets
            if isinstance(target, ast.Name)
        }
        if found <= names:
            break
        names |= found
    return names


def assignments_into_prefect(source: str) -> list[tuple[int, str]]:
    """(line, target) of each attribute or item of a Prefect-bound name assigned, augmented,
    deleted or set with setattr/delattr."""
    tree = ast.parse(source)
    names = prefect_bound_names(tree)
    found: list[tuple[int, str]] = []

    def check(target: ast.expr) -> None:
        if isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                check(element)
        elif isinstance(target, ast.Attribute | ast.Subscript) and base_name(target) in names:
            found.append((target.lineno, ast.unparse(target)))

    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.Delete):
            for target in node.targets:
                check(target)
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            check(node.target)
        elif isinstance(node, ast.Call) and node.args:
            function = node.func
            called = function.attr if isinstance(function, ast.Attribute) else None
            called = function.id if isinstance(function, ast.Name) else called
            setter = called in {"setattr", "delattr", "__setattr__", "__delattr__"}
            if setter and base_name(node.args[0]) in names:
                found.append((node.lineno, ast.unparse(node)))
    return found


@pytest.mark.parametrize(
    "source",
    [
        "import prefect.flow_engine\nprefect.flow_engine._send_heartbeats = f",
        "import prefect.flow_engine as engine\nengine.multiprocessing = m",
        "from prefect.server.api import server\nserver.create_app = f",
        "from prefect.server.database.configurations import AioSqliteConfiguration as C\n"
        "C.setup_sqlite = f",
        "import prefect.flow_engine\nengine: Any = prefect.flow_engine\nengine.x = 1",
        "import prefect\nsetattr(prefect.flow_engine, 'x', 1)",
        "from prefect import Flow\nFlow.__reduce__ += f",
        "import prefect\nprefect.flow_engine.__dict__['x'] = 1",
        "import prefect.settings\ndel prefect.settings.X",
        "def f():\n    import prefect.flow_engine\n    a, prefect.flow_engine.x = 1, 2",
    ],
)
def test_the_check_sees_each_way_of_assigning_into_prefect(source: str) -> None:
    assert len(assignments_into_prefect(source)) == 1


@pytest.mark.parametrize(
    "source",
    [
        "from prefect import flow\nmade = flow(f)\nsetattr(made, 'tags', 1)",
        "from prefect import flow\nflow = other\n",
        "import os\nos.environ['PREFECT_API_URL'] = 'x'",
        "import prefect\nx = prefect.__version__",
    ],
)
def test_the_check_leaves_other_code_alone(source: str) -> None:
    assert assignments_into_prefect(source) == []


def test_only_the_compat_module_assigns_into_prefect() -> None:
    elsewhere: list[str] = []
    in_compat: list[str] = []
    for root in SOURCE_ROOTS:
        for path in sorted((REPO / root).rglob("*.py")):
            for line, target in assignments_into_prefect(path.read_text()):
                if path == COMPAT_MODULE:
                    in_compat.append(target)
                else:
                    elsewhere.append(f"{path.relative_to(REPO)}:{line}: {target}")
    assert elsewhere == []
    # The check sees the compat module's own assignments: exactly what PATCHED names.
    assert sorted(target.rsplit(".", 1)[1] for target in in_compat) == sorted(
        name.rsplit(".", 1)[1] for name in PATCHED
    )
