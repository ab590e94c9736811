"""What a built-in flow would refuse from its parameters alone, checked before its run exists.

The schema check (core/parameters.py) covers types, ranges and dataset names. This adds what
needs a look at the notebook or the lake, by the same code the flow and `lakebook schedule` use:
a run_notebook's notebook and its `parameters` cell (schedules.py), an ingest's upload, a
transform's input datasets and pinned runs. Each problem is a FastAPI-style field error under
`body.parameters`. Blocking (file and S3 reads): the route calls it in a worker thread.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

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
from lakebook.lake.store import LakeNotFoundError, LakeStore

INGEST_FLOW = "ingest_upload"
TRANSFORM_FLOW = "transform_dataset"

FieldError = dict[str, Any]


def launch_errors(
    flow_name: str, parameters: Mapping[str, Any], settings: Settings, store: LakeStore
) -> list[FieldError]:
    """The field errors of a launch whose parameters already fit the flow's schema."""
    if flow_name == NOTEBOOK_FLOW:
        return _notebook_errors(parameters, settings, store)
    if flow_name == INGEST_FLOW:
        return _upload_errors(str(parameters["upload_key"]), store)
    if flow_name == TRANSFORM_FLOW:
        return _transform_errors(parameters["spec"], LakeRuns(store))
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


def _transform_errors(spec: Mapping[str, Any], runs: LakeRuns) -> list[FieldError]:
    """Each input must be a published dataset, and a pinned run one of its published runs: a
    lookup of a few keys per input (L3), no data read. Columns stay the flow's to check: that
    needs each input's schema."""
    errors: list[FieldError] = []
    for position, source in enumerate(spec.get("inputs") or []):
        dataset, run_id = source["dataset"], source.get("run_id")
        where = ["spec", "inputs", position]
        try:
            if run_id is None:
                runs.latest_run(dataset)
            elif not runs.is_published(dataset, run_id):
                message = f"run {run_id!r} of dataset {dataset!r} is not published"
                errors.append(_error([*where, "run_id"], message, "unpublished_run"))
        except LakeNotFoundError:
            message = f"there is no published dataset {dataset!r} (GET /api/v1/lake/datasets)"
            errors.append(_error([*where, "dataset"], message, "unknown_dataset"))
    return errors


def _error(path: list[Any], message: str, kind: str) -> FieldError:
    return {"loc": ["body", "parameters", *path], "msg": message, "type": f"parameters.{kind}"}
