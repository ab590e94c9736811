"""A launch's datasets checked against their owners and grants (L7) before the run exists:
the name a built-in flow publishes under (403 naming its owner) and the datasets a transform
reads (not shared with the caller: answered as missing, by launch_checks). The run checks
again as its owner before it reads or writes (`lakebook.flows.dataset_access`): a schedule,
or a user's own flow whose dataset the gateway does not know, is checked there."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lakebook.gateway.api.deps import Caller
from lakebook.gateway.dataset_access import PublishRefusedError, access_to, check_publish
from lakebook.gateway.db import session_scope
from lakebook.gateway.launch_checks import INGEST_FLOW, TRANSFORM_FLOW
from lakebook.lake.runs import LakeRuns
from lakebook.lake.store import LakeStore


@dataclass(frozen=True)
class LaunchAccess:
    refusal: str | None
    """Why the caller may not publish under the run's output name (a 403), if they may not."""
    hidden: frozenset[str]
    """Input datasets the caller may not read: answered like missing ones."""


def launch_access(
    flow_name: str,
    parameters: Mapping[str, Any],
    caller: Caller,
    database_url: str,
    store: LakeStore,
) -> LaunchAccess:
    """Blocking (database and a few lake keys): the route calls it in a worker thread."""
    output, inputs = launch_datasets(flow_name, parameters)
    if output is None and not inputs:
        return LaunchAccess(None, frozenset())
    runs = LakeRuns(store)
    with session_scope(database_url) as session:
        if output is not None:
            try:
                # Not claimed yet: the name becomes theirs when their run publishes (L7).
                check_publish(session, caller, output, runs, claim=False)
            except PublishRefusedError as error:
                return LaunchAccess(str(error), frozenset())
        found = access_to(session, caller, inputs, runs)
    return LaunchAccess(None, frozenset(name for name, a in found.items() if not a.may_read))


def launch_datasets(flow_name: str, parameters: Mapping[str, Any]) -> tuple[str | None, list[str]]:
    """(the dataset a built-in flow publishes, the datasets it reads), from parameters the
    flow's schema has accepted (so a name is a valid one)."""
    if flow_name == INGEST_FLOW:
        dataset = parameters.get("dataset")
        return (dataset if isinstance(dataset, str) else None), []
    if flow_name == TRANSFORM_FLOW:
        spec = parameters.get("spec")
        if not isinstance(spec, Mapping):
            return None, []
        output = spec.get("output")
        inputs = [
            source["dataset"]
            for source in spec.get("inputs") or ()
            if isinstance(source, Mapping) and isinstance(source.get("dataset"), str)
        ]
        return (output if isinstance(output, str) else None), inputs
    return None, []
