"""Whose a lake notebook is: a `notebook` lake key is run only by someone who may read it.

An analyst may run the notebooks of their own upload folder (`raw/uploads/{user}/…`) and the
executed notebooks of their own runs' reports (`results/reports/{run id}/report.ipynb`); an
admin any key. Every other lake key has no owner yet, so only admins run it. Workspace
notebooks (JupyterLab's root folder, N1) are shared by whoever may launch, as before.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from lakebook.common.lake import LakePaths
from lakebook.gateway.api.deps import Caller, check_access
from lakebook.gateway.crud import find_run_record
from lakebook.lake.notebook_source import NotebookLocationError, is_lake_location, locate_notebook


def lake_notebook_owner(session: Session, lake: LakePaths, key: str) -> str | None:
    """The user who may read the lake notebook `key` (besides admins), or None: nobody."""
    owner = LakePaths.upload_owner(key)
    if owner is not None:
        return owner
    report_id = lake.report_of(key)
    if report_id is None:
        return None
    record = find_run_record(session, report_id)
    return None if record is None else record.owner


def check_notebook_access(caller: Caller, session: Session, lake: LakePaths, notebook: str) -> None:
    """404 (as for a missing one, so keys are no oracle) unless the caller may read the lake
    notebook `notebook` names. A workspace path, or text that names no notebook (the launch
    and schedule checks answer those with a 422 naming the field), passes."""
    if not is_lake_location(notebook):
        return
    try:
        # A lake location never touches the workspace folder: any path will do.
        source = locate_notebook(notebook, workspace=Path.cwd(), lake=lake)
    except NotebookLocationError:
        return
    assert source.lake_key is not None
    owner = lake_notebook_owner(session, lake, source.lake_key)
    check_access(
        caller,
        owner,
        f"no notebook {notebook.strip()!r} (parameter notebook) that you may run: yours are "
        f"your uploads (raw/uploads/{caller.name}/…) and your runs' reports "
        "(results/reports/{run id}/report.ipynb)",
    )
