"""Pieces every lake flow shares: the publisher from settings, the run id, the publish task."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypedDict, TypeVar

import polars as pl
from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from prefect.context import FlowRunContext
from prefect.runtime import flow_run
from prefect.settings import PREFECT_RESULTS_LOCAL_STORAGE_PATH

from lakebook.common.deployments import OWNER_TAG_PREFIX, parse_schedule_slug
from lakebook.common.settings import get_settings
from lakebook.lake.metadata import RejectedRowRecord, ReportDraft, RunMetadata
from lakebook.lake.publisher import LakePublisher
from lakebook.lake.reports import PublishedReport, ReportPublisher
from lakebook.lake.store import LakeAccessError, LakeError, LakeNotFoundError, LakeStore

S3_RETRIES = 2
S3_RETRY_DELAY_SECONDS = 2


class ResultOptions(TypedDict):
    persist_result: bool
    result_storage: Path


# lakebook's flows publish what they make to the lake and keep no Prefect result (Prefect's
# default too). Each flow says so, and names a result storage Prefect resolves locally (a
# path): left unsaid, either one costs a server call inside every run, asking whether a
# default result storage turns persisting on. Nothing persists, so nothing is written there.
NO_PREFECT_RESULT = ResultOptions(
    persist_result=False, result_storage=Path(PREFECT_RESULTS_LOCAL_STORAGE_PATH.value())
)


def lake_publisher() -> LakePublisher:
    """A publisher for the lake the `LAKEBOOK_*` settings (and `lakebook up`'s secrets) name,
    over this process's shared store: a run's tasks reuse one S3 client."""
    return LakePublisher(LakeStore.shared(get_settings()))


def current_run_id() -> str:
    """The Prefect flow run id; a fresh uuid when the code runs outside a flow run (`.fn()`)."""
    return flow_run.id or str(uuid.uuid4())


def current_user() -> str | None:
    """The lakebook user this run belongs to (see `run_owner`); None: nobody's."""
    return run_owner()[0]


def run_owner() -> tuple[str | None, str | None]:
    """(user, schedule): the gateway user the run belongs to and the schedule that made it.

    A launch carries its user in an owner tag. A scheduled run starts before the gateway claims
    it (and tags it), so its owner comes from the schedule's slug that Prefect records in the
    run's `created_by`. Outside a run (`.fn()`), or a run made in Prefect directly: nobody's."""
    context = FlowRunContext.get()
    made_by = context.flow_run.created_by if context and context.flow_run else None
    owner = schedule = None
    if made_by is not None and made_by.type == "SCHEDULE":
        owner, schedule = parse_schedule_slug(made_by.display_value) or (None, None)
    for tag in flow_run.tags or ():
        if tag.startswith(OWNER_TAG_PREFIX):
            owner = str(tag.removeprefix(OWNER_TAG_PREFIX))
    return owner, schedule


def in_flow_run() -> bool:
    """True inside a Prefect flow run: artifacts need a run to attach to."""
    return flow_run.id is not None


def retry_transient_lake_errors(task: Task[..., Any], task_run: TaskRun, state: State) -> bool:
    """Retries storage hiccups only: a missing object, refused key or bad input stays failed."""
    error = state.result(raise_on_failure=False)
    if isinstance(error, LakeNotFoundError | LakeAccessError):
        return False
    return isinstance(error, LakeError | OSError)


P = ParamSpec("P")
R = TypeVar("R")


def lake_task(name: str, tags: Iterable[str]) -> Callable[[Callable[P, R]], Task[P, R]]:
    """`@task` for steps that touch the lake: transient storage errors retried, never cached
    (lake reads must see the lake as it is now, and frames are not hashable inputs)."""
    return task(
        name=name,
        tags=set(tags),
        retries=S3_RETRIES,
        retry_delay_seconds=S3_RETRY_DELAY_SECONDS,
        retry_condition_fn=retry_transient_lake_errors,
        cache_policy=NO_CACHE,
    )


@lake_task("publish-dataset", tags={"lake"})
def publish_dataset(
    frame: pl.DataFrame | pl.LazyFrame,
    *,
    dataset: str,
    run_id: str,
    flow_name: str,
    user: str | None,
    parameters: Mapping[str, Any],
    inputs: Sequence[str],
    column_bytes: Mapping[str, float] | None = None,
    run_prepared: bool = False,
    rows_rejected: int | None = None,
    reject_sample: Sequence[RejectedRowRecord] = (),
) -> RunMetadata:
    """Publishes one run of a dataset (streaming a lazy frame) and returns its metadata."""
    return lake_publisher().publish(
        frame,
        dataset=dataset,
        run_id=run_id,
        flow_name=flow_name,
        user=user,
        parameters=parameters,
        inputs=inputs,
        column_bytes=column_bytes,
        run_prepared=run_prepared,
        rows_rejected=rows_rejected,
        reject_sample=reject_sample,
    )


@lake_task("publish-report", tags={"lake"})
def publish_report(
    report_id: str, *, notebook: bytes, html: bytes, metadata: ReportDraft
) -> PublishedReport:
    """Publishes a notebook report (ipynb, HTML, metadata.json, _SUCCESS last)."""
    return ReportPublisher(lake_publisher().store).publish(
        report_id, notebook=notebook, html=html, metadata=metadata
    )
