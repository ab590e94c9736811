"""The embedded runner's warm start: flows travel as references and runs fork from a forkserver.
(End to end, the runner in tests/gateway/test_flows_api.py runs every flow this way.)"""

from __future__ import annotations

import copyreg
import multiprocessing
from collections.abc import Iterator

import cloudpickle
import prefect.flow_engine
import pytest
from prefect import Flow, flow

from lakebook.flows import prefect_compat, warm_start
from lakebook.flows.builtin import BUILTIN_FLOWS
from lakebook.flows.transform import transform_dataset


@pytest.fixture
def by_reference() -> Iterator[None]:
    """Flows pickle by reference for one test; the process-wide registration is undone after."""
    copyreg.pickle(Flow, warm_start.reduce_flow)
    try:
        yield
    finally:
        copyreg.dispatch_table.pop(Flow, None)


@pytest.mark.usefixtures("by_reference")
def test_module_level_flows_travel_as_references() -> None:
    for builtin in BUILTIN_FLOWS:
        payload = cloudpickle.dumps(builtin)
        assert cloudpickle.loads(payload) is builtin
        # A reference, not a copy of the function and its closure.
        assert len(payload) < 500


def test_without_references_a_copied_flow_loses_its_annotations_module() -> None:
    """Why references are needed: the copied function cannot resolve `TransformSpec`."""
    copied = cloudpickle.loads(cloudpickle.dumps(transform_dataset))
    assert copied is not transform_dataset
    assert "TransformSpec" not in copied.fn.__globals__


@pytest.mark.usefixtures("by_reference")
def test_flows_that_are_not_module_attributes_are_still_copied() -> None:
    @flow(name="local-flow")
    def local_flow(x: int) -> int:
        return x + 1

    copied = cloudpickle.loads(cloudpickle.dumps(local_flow))
    assert copied is not local_flow
    assert copied.fn(1) == 2


def test_flow_by_name_refuses_what_is_not_a_flow() -> None:
    assert warm_start.flow_by_name("lakebook.flows.transform", "transform_dataset") is (
        transform_dataset
    )
    with pytest.raises(TypeError, match="not a Prefect flow"):
        warm_start.flow_by_name("lakebook.flows.transform", "plan_transform")


def test_runs_start_from_the_forkserver(
    monkeypatch: pytest.MonkeyPatch, by_reference: None
) -> None:
    # Undone after the test: other tests may start flows in subprocesses.
    monkeypatch.setattr(prefect.flow_engine, "multiprocessing", multiprocessing)
    copyreg.dispatch_table.pop(Flow)
    assert prefect_compat.install_runner(preload=("json",))
    # Flows pickle by reference from now on (by_reference undoes it after the test).
    assert copyreg.dispatch_table[Flow] is warm_start.reduce_flow
    context = prefect.flow_engine.multiprocessing.get_context("spawn")
    assert context.get_start_method() == "forkserver"
    # Everything else is still the real module.
    assert prefect.flow_engine.multiprocessing.context is multiprocessing.context


# What a forked child does first: multiprocessing re-runs the runner's `__main__` module.
_RERUN_MAIN = """
import sys, runpy, warnings
from lakebook.flows.warm_start import PRELOAD_MODULES
for name in PRELOAD_MODULES:
    __import__(name)
loaded = set(sys.modules)
warnings.simplefilter("error")
runpy.run_module("lakebook.flows.serve", run_name="__mp_main__")
print(sorted(n for n in set(sys.modules) - loaded if n.split(".")[0] in ("prefect", "lakebook")))
"""


@pytest.mark.services  # a fresh interpreter: seconds of imports
def test_a_forked_child_rerunning_the_runner_module_imports_nothing_new() -> None:
    import subprocess
    import sys

    rerun = subprocess.run(
        [sys.executable, "-c", _RERUN_MAIN], capture_output=True, text=True, timeout=300
    )
    assert rerun.returncode == 0, rerun.stderr
    # No Prefect or lakebook module left to import, and no runpy warning (an error here).
    assert rerun.stdout.strip() == "[]"
