"""What a built-in flow would refuse from its parameters alone, checked before its run exists.

The schema check (core/parameters.py) covers types, ranges and dataset names. This adds what
needs a look at the notebook or the lake, by the same code the flow and `lakebook schedule` use:
a run_notebook's notebook and its `parameters` cell (schedules.py), an ingest's upload, a
transform's input datasets and pinned runs, and its steps against the inputs' schemas (the
flow's own check, F1). Each problem is a FastAPI-style field error under `body.parameters`.
Blocking (file and S3 reads): the route calls it in a worker thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
from pydantic import ValidationError

from lakebook.common.lake import LakePaths
from lakebook.common.settings import Settings
from lakebook.gateway.schedules import (
    NOTEBOOK_FLOW,
    ScheduleInputError,
    check_notebook_parameters,
    locate_schedule_notebook,
    notebook_parameters,
)
from lakebook.lake.notebook_params import NotebookParameter
from lakebook.lake.runs import LakeRuns
from lakebook.lake.store import LakeError, LakeNotFoundError, LakeStore
from lakebook.lake.transform_check import PLAN_ERRORS, TransformError, check_steps
from lakebook.lake.transform_spec import InputDataset, TransformSpec

INGEST_FLOW = "ingest_upload"
TRANSFORM_FLOW = "transform_dataset"

FieldError = dict[str, Any]


def launch_errors(
    flow_name: str,
    parameters: Mapping[str, Any],
    settings: Settings,
    store: LakeStore,
    hidden: frozenset[str] = frozenset(),
) -> list[FieldError]:
    """The field errors of a launch whose parameters already fit the flow's schema; `hidden`
    datasets (not shared with the caller, L7) are answered as missing, and never read."""
    if flow_name == NOTEBOOK_FLOW:
        return _notebook_errors(parameters, settings, store)
    if flow_name == INGEST_FLOW:
        return _upload_errors(str(parameters["upload_key"]), store)
    if flow_name == TRANSFORM_FLOW:
        return _transform_errors(parameters["spec"], LakeRuns(store), hidden)
    return []


def _upload_errors(upload_key: str, store: LakeStore) -> list[FieldError]:
    """The upload must be there (one HEAD). Whose it is, the route has checked (404 for someone
    else's, so ids are no oracle); its format was checked when it was uploaded. A key outside
    the upload folders (an admin may send one) is left to the flow to refuse, unread."""
    if LakePaths.upload_owner(upload_key) is None or store.details(upload_key) is not None:
        return []
    message = f"there is no upload {upload_key!r} (POST /api/v1/lake/uploads makes one)"
    return [_error(["upload_key"], message, "unknown_upload")]


def _notebook_errors(
    parameters: Mapping[str, Any], settings: Settings, store: LakeStore
) -> list[FieldError]:
    """The notebook must be found (run_notebook's rule, N1) and take the parameters given."""
    notebook = str(parameters["notebook"]).strip()
    given: Mapping[str, Any] = parameters.get("parameters") or {}
    workspace = settings.flows.notebook_dir or Path.cwd()
    try:
        source = locate_schedule_notebook(notebook, workspace, store.paths)
        declared = notebook_parameters(source, store)
    except ScheduleInputError as error:
        return [_error(["notebook"], str(error), "notebook")]
    if declared is None:
        # One problem: the notebook takes no parameters at all.
        return _parameter_errors(declared, given, ["parameters"])
    errors: list[FieldError] = []
    for name, value in given.items():
        errors += _parameter_errors(declared, {name: value}, ["parameters", name])
    return errors


def _parameter_errors(
    declared: dict[str, NotebookParameter] | None, given: Mapping[str, Any], path: list[Any]
) -> list[FieldError]:
    try:
        check_notebook_parameters(declared, given)
    except ScheduleInputError as error:
        return [_error(path, str(error), "notebook_parameter")]
    return []


def _transform_errors(
    spec: Mapping[str, Any], runs: LakeRuns, hidden: frozenset[str]
) -> list[FieldError]:
    """Each input must be a published dataset, and a pinned run one of its published runs (a
    lookup of a few keys per input, L3); then the steps must fit the inputs' schemas (their
    Parquet footers, read side by side), checked as the flow's planning checks them, over
    empty frames: no data is read."""
    try:
        parsed = TransformSpec.model_validate(spec)
    except ValidationError as error:
        # The rules the JSON schema cannot say (a join's `with` names an input, …).
        return [
            _error(["spec", *problem["loc"]], problem["msg"], "transform_spec")
            for problem in error.errors(include_url=False)
        ]
    with ThreadPoolExecutor(max_workers=len(parsed.inputs)) as pool:
        opened = list(
            pool.map(partial(_open_input, runs, hidden), range(len(parsed.inputs)), parsed.inputs)
        )
    errors = [error for _, error in opened if error is not None]
    if errors:
        return errors
    schemas = {
        source.name: schema
        for source, (schema, _) in zip(parsed.inputs, opened, strict=True)
        if schema is not None
    }
    try:
        check_steps(parsed, schemas)
    except TransformError as error:
        where = ["spec", "steps"] if error.step is None else ["spec", "steps", error.step]
        return [_error(where, str(error), "transform_step")]
    except PLAN_ERRORS as error:
        return [_error(["spec", "steps"], str(error).strip().splitlines()[0], "transform_step")]
    return []


def _open_input(
    runs: LakeRuns, hidden: frozenset[str], position: int, source: InputDataset
) -> tuple[pl.Schema | None, FieldError | None]:
    """An input's schema (the latest run's unless one is pinned), or the field error saying why
    it cannot be read; one the caller may not read is missing to them (nothing of it is read)."""
    where = ["spec", "inputs", position]
    if source.run_id is not None:
        try:
            if source.dataset in hidden:
                raise LakeNotFoundError(source.dataset)
            frame = runs.open_run(source.dataset, source.run_id).frame
        except LakeNotFoundError:
            message = f"run {source.run_id!r} of dataset {source.dataset!r} is not published"
            return None, _error([*where, "run_id"], message, "unpublished_run")
    else:
        try:
            if source.dataset in hidden:
                raise LakeNotFoundError(source.dataset)
            frame = runs.scan_published(runs.latest_run(source.dataset))
        except LakeNotFoundError:
            message = (
                f"there is no published dataset {source.dataset!r} (GET /api/v1/lake/datasets)"
            )
            return None, _error([*where, "dataset"], message, "unknown_dataset")
    try:
        return frame.collect_schema(), None
    except (pl.exceptions.PolarsError, OSError) as error:
        # The store went away after the lookup, or the file is unreadable: the lake's fault,
        # answered 503 like every LakeError, not the caller's.
        first_line = str(error).strip().split("\n", 1)[0]
        raise LakeError(
            f"cannot read the schema of dataset {source.dataset!r}: {first_line}"
        ) from error


def _error(path: list[Any], message: str, kind: str) -> FieldError:
    return {"loc": ["body", "parameters", *path], "msg": message, "type": f"parameters.{kind}"}
