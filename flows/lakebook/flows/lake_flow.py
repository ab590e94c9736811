"""`@lake_flow`: turns a function that returns a Polars frame into a Prefect flow that publishes
that frame to the lake (data, metadata.json, then _SUCCESS), with lineage and the launching user.

    from lakebook.flows.lake_flow import lake_flow, read_dataset

    @lake_flow(dataset="big_orders", tags={"heavy"})
    def big_orders(min_amount: float = 100.0) -> pl.LazyFrame:
        return read_dataset("orders").filter(pl.col("amount") >= min_amount)
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from typing import Any, ParamSpec, overload

import polars as pl
from prefect import Flow, flow

from lakebook.common.lake import check_dataset_name, check_identifier
from lakebook.flows.dataset_access import check_dataset_access
from lakebook.flows.lake_tasks import (
    NO_PREFECT_RESULT,
    current_run_id,
    current_user,
    lake_publisher,
    publish_dataset,
)

P = ParamSpec("P")
FrameFunction = Callable[P, pl.DataFrame | pl.LazyFrame]
# The Prefect tags a lake flow's deployment carries (read by the runner; see discovery.py).
DEPLOYMENT_TAGS_ATTRIBUTE = "lakebook_tags"

# The exact runs a lake flow read, for the lineage in its metadata.json.
_inputs_read: ContextVar[list[str] | None] = ContextVar("lakebook_inputs_read", default=None)


class LakeFlowError(TypeError):
    """A lake flow defined or used in a way that cannot publish."""


def read_dataset(dataset: str, run_id: str | None = None) -> pl.LazyFrame:
    """A lazy frame over a published dataset: its latest run unless one is pinned. Inside a
    lake flow the run read is recorded as an input of the dataset it publishes. A run of a user
    reads only what that user may read (L7)."""
    check_dataset_access(read=[dataset])
    publisher = lake_publisher()
    run = publisher.open_run(dataset, run_id)
    inputs = _inputs_read.get()
    if inputs is not None:
        inputs.append(publisher.paths.run_data_key(dataset, run.run_id))
    return run.frame


RESULT_OPTIONS = ("persist_result", "result_storage", "result_serializer")


def result_options(flow_options: dict[str, Any]) -> dict[str, Any]:
    """The flow options, keeping no Prefect result unless they say something about results:
    then those are the user's, as Prefect reads them (a result storage alone persists)."""
    if any(option in flow_options for option in RESULT_OPTIONS):
        return flow_options
    return {**NO_PREFECT_RESULT, **flow_options}


@overload
def lake_flow(function: FrameFunction[P], /) -> Flow[P, dict[str, Any]]: ...


@overload
def lake_flow(
    *,
    dataset: str | None = None,
    name: str | None = None,
    description: str | None = None,
    tags: Iterable[str] = (),
    **flow_options: Any,
) -> Callable[[FrameFunction[P]], Flow[P, dict[str, Any]]]: ...


def lake_flow(
    function: FrameFunction[P] | None = None,
    /,
    *,
    dataset: str | None = None,
    name: str | None = None,
    description: str | None = None,
    tags: Iterable[str] = (),
    **flow_options: Any,
) -> Flow[P, dict[str, Any]] | Callable[[FrameFunction[P]], Flow[P, dict[str, Any]]]:
    """Makes a Prefect flow that publishes what the function returns as `dataset` (default: the
    flow's name). The flow's parameters are the function's, so Prefect and the gateway show
    their schema; the run returns the published metadata.json, as a dict. `tags` go on the
    flow's deployment (e.g. "heavy", which `lakebook up` limits); other options go to
    `prefect.flow`."""

    def decorate(function: FrameFunction[P]) -> Flow[P, dict[str, Any]]:
        if inspect.iscoroutinefunction(function):
            raise LakeFlowError(f"{function.__name__}: async lake flows are not supported")
        flow_name = check_identifier("flow name", name or function.__name__)
        target = check_dataset_name(dataset or flow_name)
        signature = inspect.signature(function)
        deployment_tags = frozenset({"lake", *tags})
        # The publish step is where Polars runs the returned plan: it holds the flow's tags, so
        # a "heavy" flow takes a slot of the limit `lakebook up` sets (Prefect limits task runs
        # by their tags; a deployment's tags alone limit nothing).
        publish = publish_dataset.with_options(tags=deployment_tags)

        @functools.wraps(function)
        def run_and_publish(*args: P.args, **kwargs: P.kwargs) -> dict[str, Any]:
            # Before the function runs: a name that is someone else's publishes nothing (L7).
            check_dataset_access(publish=[target])
            inputs: list[str] = []
            token = _inputs_read.set(inputs)
            try:
                frame = function(*args, **kwargs)
            finally:
                _inputs_read.reset(token)
            if not isinstance(frame, pl.DataFrame | pl.LazyFrame):
                raise LakeFlowError(
                    f"lake flow {flow_name!r} must return a Polars DataFrame or LazyFrame to "
                    f"publish as {target!r}, but returned {type(frame).__name__}"
                )
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            published = publish(
                frame,
                dataset=target,
                run_id=current_run_id(),
                flow_name=flow_name,
                user=current_user(),
                parameters=dict(bound.arguments),
                inputs=inputs,
            )
            return published.document()

        made: Flow[P, dict[str, Any]] = flow(  # type: ignore[call-overload]
            run_and_publish,
            name=flow_name,
            description=description or inspect.getdoc(function),
            **result_options(flow_options),
        )
        setattr(made, DEPLOYMENT_TAGS_ATTRIBUTE, deployment_tags)
        return made

    return decorate if function is None else decorate(function)
