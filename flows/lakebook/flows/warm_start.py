"""Warm flow-run processes for the embedded runner.

Prefect's `serve` runs each flow run in a fresh `spawn` process: a new interpreter that imports
Prefect, Polars and lakebook's flows before the run can start. That import is most of a no-op
run's launch latency (about 2 s on an idle 2-core machine, over 15 s on a busy one; about half
of it is jsonschema building an IRI grammar at import). A `forkserver` that imported all of that
once forks each run from a process that is already warm: same isolation (one process per run,
killed on cancel), none of the import cost.

Prefect (3.8.8 and 3.9.1) picks the start method inside `prefect.flow_engine.run_flow_in_subprocess`
with `multiprocessing.get_context("spawn")`; `prefect_compat.install_runner()` gives that module a
`WarmMultiprocessing`, a stand-in for `multiprocessing` whose `get_context` returns the warm
forkserver context instead. Everything else the runner does with the process (join, exit code, kill
by pid) is the same for both.

The runner hands each run its Flow object, pickled. By default cloudpickle copies a flow's
function by value (the module attribute is the Flow, not the function), and a copied function
loses the module globals its string annotations name (`from __future__ import annotations`):
parameter validation then fails. `reduce_flow`, which `install_runner()` registers with copyreg,
sends a module-level flow as "module + name" instead; the warm child has that module imported
already.
"""

from __future__ import annotations

import importlib
import multiprocessing
import multiprocessing.context
import multiprocessing.forkserver
import sys
from collections.abc import Sequence
from typing import Any

from prefect import Flow

from lakebook.flows.discovery import USER_MODULE_PREFIX, user_module

# What every flow run imports anyway: the forkserver imports it once, before the first run.
# Also what the runner's own module imports: multiprocessing re-runs the parent's `__main__`
# module (`python -m lakebook.flows.serve`) in every child, and with Prefect's Runner already
# loaded that costs a few milliseconds instead of a tenth of a second. (Not the runner module
# itself: re-running a module that is already imported makes runpy warn in every child.)
# And the S3 client's own start-up and lakebook's changes to flow calls (forkserver_warmup).
PRELOAD_MODULES = ("lakebook.flows.builtin", "prefect.runner", "lakebook.flows.forkserver_warmup")


class WarmMultiprocessing:
    """`multiprocessing` as prefect.flow_engine sees it: every context is the warm one."""

    def __init__(self, context: multiprocessing.context.BaseContext) -> None:
        self._context = context

    def get_context(self, method: str | None = None) -> multiprocessing.context.BaseContext:
        return self._context

    def __getattr__(self, name: str) -> Any:
        return getattr(multiprocessing, name)


def flow_by_name(module: str, name: str) -> Flow[Any, Any]:
    """The flow a module defines under `name` (what a pickled flow reference loads)."""
    # A user's flow file is no importable module: discovery loads it from the flows folder.
    loaded = (
        user_module(module)
        if module.startswith(USER_MODULE_PREFIX + ".")
        else importlib.import_module(module)
    )
    found = getattr(loaded, name)
    if not isinstance(found, Flow):
        raise TypeError(f"{module}.{name} is not a Prefect flow")
    return found


def reduce_flow(flow: Flow[Any, Any]) -> str | tuple[Any, ...]:
    """How a flow pickles: a module-level flow as its reference (module, name)."""
    module, name = flow.fn.__module__, flow.fn.__name__
    if getattr(sys.modules.get(module), name, None) is flow:
        return (flow_by_name, (module, name))
    # Not importable by name (defined in a function, say): pickled as Prefect would.
    return flow.__reduce_ex__(4)


def warm_forkserver(preload: Sequence[str] = PRELOAD_MODULES) -> WarmMultiprocessing | None:
    """Starts the forkserver that flow runs fork from, preloaded, so its imports overlap the
    runner's own start-up. None where there is no fork (runs stay spawned)."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return None
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    multiprocessing.forkserver.ensure_running()
    return WarmMultiprocessing(context)
