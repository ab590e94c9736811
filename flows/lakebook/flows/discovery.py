"""Finds the flows the runner serves: lakebook's built-ins, the Prefect flows defined in the
`flows_dir` folder's *.py files, and those published as `lakebook.flows` entry points.

A user file that fails to import, or a flow whose name is taken, is reported and left out; the
rest are still served, so one broken file does not stop everybody's runs.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from types import ModuleType
from typing import Any

from prefect import Flow

from lakebook.common.lake import LakePathError, check_identifier
from lakebook.common.settings import get_settings
from lakebook.flows.builtin import BUILTIN_FLOWS, DEPLOYMENT_TAGS
from lakebook.flows.lake_flow import DEPLOYMENT_TAGS_ATTRIBUTE

ENTRY_POINT_GROUP = "lakebook.flows"
# User files are imported as modules of this (otherwise empty) package name.
USER_MODULE_PREFIX = "lakebook_user_flows"

AnyFlow = Flow[Any, Any]


@dataclass
class DiscoveredFlows:
    """The flows to serve, in a stable order, and one line per problem found on the way."""

    flows: list[AnyFlow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    _origins: dict[str, str] = field(default_factory=dict)

    def add(self, found: AnyFlow, origin: str) -> None:
        try:
            check_identifier("flow name", found.name)
        except LakePathError as error:
            self.problems.append(f"{origin}: {error}")
            return
        taken_by = self._origins.get(found.name)
        if taken_by is not None:
            self.problems.append(
                f"{origin}: flow name {found.name!r} is already taken by {taken_by}; "
                "rename one of them (`@flow(name=...)`)"
            )
            return
        self._origins[found.name] = origin
        self.flows.append(found)


def discover_flows(flows_dir: Path | None, *, with_entry_points: bool = True) -> DiscoveredFlows:
    """Built-ins first (their names cannot be taken), then the folder, then entry points."""
    found = DiscoveredFlows()
    for builtin in BUILTIN_FLOWS:
        found.add(builtin, "lakebook (built-in)")
    if flows_dir is not None:
        _add_folder(found, flows_dir)
    if with_entry_points:
        _add_entry_points(found)
    return found


def deployment_tags(served: AnyFlow) -> list[str]:
    """Tags of a flow's deployment: runs inherit them, so tag concurrency limits apply."""
    if served.name in DEPLOYMENT_TAGS:
        return sorted(DEPLOYMENT_TAGS[served.name])
    tags: Iterable[str] = getattr(served, DEPLOYMENT_TAGS_ATTRIBUTE, ())
    return sorted(tags)


def user_module(name: str) -> ModuleType:
    """A module of the flows folder by the name discovery gave it: how a flow run's own process
    finds a user's flow that the runner sent by reference (see warm_start)."""
    if name in sys.modules:
        return sys.modules[name]
    folder = get_settings().flows.flows_dir
    if folder is None:
        raise ImportError(f"{name}: LAKEBOOK_FLOWS_DIR is not set in this process")
    if str(folder) not in sys.path:
        sys.path.append(str(folder))
    return _import_file(folder / f"{name.removeprefix(USER_MODULE_PREFIX + '.')}.py")


def _add_folder(found: DiscoveredFlows, folder: Path) -> None:
    if not folder.is_dir():
        found.problems.append(f"flows folder {folder} does not exist (LAKEBOOK_FLOWS_DIR)")
        return
    # Flows may import helper modules that sit beside them.
    if str(folder) not in sys.path:
        sys.path.append(str(folder))
    for path in sorted(folder.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            module = _import_file(path)
        except Exception as error:  # noqa: BLE001 - any error in a user's file is reported
            found.problems.append(f"{path}: cannot import it: {_one_line(error)}")
            continue
        for user_flow in _flows_in(module):
            found.add(user_flow, str(path))


def _add_entry_points(found: DiscoveredFlows) -> None:
    for point in entry_points(group=ENTRY_POINT_GROUP):
        origin = f"entry point {point.name} = {point.value}"
        try:
            loaded = point.load()
        except Exception as error:  # noqa: BLE001 - any error in an installed package is reported
            found.problems.append(f"{origin}: cannot load it: {_one_line(error)}")
            continue
        flows = [loaded] if isinstance(loaded, Flow) else list(_flows_in(loaded))
        if not flows:
            found.problems.append(f"{origin}: is neither a Prefect flow nor a module of flows")
        for entry_flow in flows:
            found.add(entry_flow, origin)


def _import_file(path: Path) -> ModuleType:
    name = f"{USER_MODULE_PREFIX}.{path.stem}"
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"not a Python module: {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


def _flows_in(module: Any) -> Iterator[AnyFlow]:
    """The flows a module defines at top level, each once, in definition order."""
    seen: set[int] = set()
    for value in _values(module):
        if isinstance(value, Flow) and id(value) not in seen:
            seen.add(id(value))
            yield value


def _values(module: Any) -> Iterable[object]:
    return list(vars(module).values()) if isinstance(module, ModuleType) else []


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0]}" if text else type(error).__name__
