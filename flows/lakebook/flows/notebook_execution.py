"""Executes a notebook with papermill and says how it went, keeping the partial notebook when a
cell fails, times out or the kernel dies."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import nbformat
import papermill
from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel
from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbconvert import HTMLExporter
from nbformat import NotebookNode
from papermill.exceptions import PapermillExecutionError

# Tags papermill gives the cells it adds: the injected parameters and the error banners.
INJECTED_TAG = "injected-parameters"
ERROR_MARKER_TAG = "papermill-error-cell-tag"
KERNEL_START_TIMEOUT_SECONDS = 60
# One notebook line can be huge (a printed frame); the run log keeps the start of it.
MAX_LOGGED_CHARACTERS = 2000


class NotebookKernelError(ValueError):
    """The notebook names no kernel, or one that is not installed here."""


@dataclass(frozen=True)
class FailedCell:
    """Where a run stopped, with the cell's index in the notebook as written (0-based, papermill's
    injected cells not counted)."""

    index: int
    execution_count: int | None
    ename: str
    evalue: str

    def describe(self) -> str:
        count = "never ran" if self.execution_count is None else f"In [{self.execution_count}]"
        evalue = f": {self.evalue}" if self.evalue else ""
        return f"cell {self.index} ({count}) raised {self.ename}{evalue}"


@dataclass(frozen=True)
class ExecutionOutcome:
    """The executed notebook (partial when a cell failed) and how the execution went."""

    notebook: NotebookNode
    kernel_name: str
    started_at: datetime
    finished_at: datetime
    failed_cell: FailedCell | None = None

    @property
    def status(self) -> str:
        return "failed" if self.failed_cell else "completed"

    @property
    def duration_seconds(self) -> float:
        return (self.finished_at - self.started_at).total_seconds()


def resolve_kernel(notebook: NotebookNode, kernel_name: str | None) -> str:
    """The kernel to run: the parameter, else the notebook's; it must be installed here."""
    name = kernel_name or notebook.metadata.get("kernelspec", {}).get("name")
    if not name:
        raise NotebookKernelError(
            "the notebook names no kernel (metadata.kernelspec.name); pass kernel_name"
        )
    manager = KernelSpecManager()
    try:
        manager.get_kernel_spec(name)
    except NoSuchKernel:
        installed = ", ".join(sorted(manager.find_kernel_specs())) or "none"
        raise NotebookKernelError(
            f"kernel {name!r} is not installed on the runner (installed: {installed})"
        ) from None
    return str(name)


def kernel_manager_with_env(env: Mapping[str, str]) -> type[AsyncKernelManager]:
    """A kernel manager class whose kernels start with exactly `env`, not the runner's
    environment (nbclient builds the manager itself, from the class papermill hands it)."""
    kernel_env = dict(env)

    class RunKernelManager(AsyncKernelManager):
        async def _async_pre_start_kernel(
            self, *, transport_encryption: str | None = None, **kw: Any
        ) -> tuple[list[str], dict[str, Any]]:
            # The provisioner copies os.environ when no env is given: give it ours, whole.
            kw["env"] = dict(kernel_env)
            return await super()._async_pre_start_kernel(
                transport_encryption=transport_encryption, **kw
            )

    return RunKernelManager


def execute_notebook(
    notebook: NotebookNode,
    *,
    parameters: Mapping[str, Any],
    kernel_name: str,
    cwd: Path,
    timeout_seconds: int,
    work_dir: Path,
    kernel_env: Mapping[str, str],
    logger: logging.Logger | logging.LoggerAdapter[logging.Logger],
) -> ExecutionOutcome:
    """Runs every cell in `cwd` in a kernel started with `kernel_env` as its whole environment;
    a failure ends the run and is described, never raised."""
    output = work_dir / "executed.ipynb"
    started_at = datetime.now(UTC)
    failure: tuple[int | None, str, str] | None = None  # (executed cell index, ename, evalue)
    with _forward_papermill_logs(logger):
        try:
            executed: NotebookNode = papermill.execute_notebook(
                notebook,
                str(output),
                parameters=dict(parameters),
                kernel_name=kernel_name,
                cwd=str(cwd),
                progress_bar=False,
                log_output=True,
                start_timeout=KERNEL_START_TIMEOUT_SECONDS,
                execution_timeout=timeout_seconds,
                kernel_manager_class=kernel_manager_with_env(kernel_env),
            )
        except PapermillExecutionError as error:
            # papermill saved the notebook, with error banners, before raising.
            failure = (error.cell_index, error.ename, error.evalue)
        except CellTimeoutError:
            failure = (None, "CellTimeoutError", f"ran longer than {timeout_seconds} s")
        except DeadKernelError as error:
            failure = (None, "DeadKernelError", f"the kernel died ({error})")
    finished_at = datetime.now(UTC)
    if failure is None:
        return ExecutionOutcome(executed, kernel_name, started_at, finished_at)
    # papermill saves after every cell and once more when execution ends, whatever the cause.
    partial = nbformat.read(output, as_version=4)  # type: ignore[no-untyped-call]
    return ExecutionOutcome(
        partial, kernel_name, started_at, finished_at, _failed_cell(partial, *failure)
    )


def _failed_cell(
    executed: NotebookNode, executed_index: int | None, ename: str, evalue: str
) -> FailedCell:
    """Locates the failing cell in the notebook as written: papermill's indices count the
    injected-parameters cell, and its error banners are inserted afterwards."""
    cells = [c for c in executed.cells if ERROR_MARKER_TAG not in c.metadata.get("tags", [])]
    if executed_index is None:
        # Timeouts and dead kernels raise out of papermill: the last cell that started is it.
        started = [i for i, c in enumerate(cells) if _papermill(c).get("start_time")]
        executed_index = started[-1] if started else 0
    injected_before = sum(
        INJECTED_TAG in c.metadata.get("tags", []) for c in cells[:executed_index]
    )
    cell = cells[executed_index]
    return FailedCell(
        index=executed_index - injected_before,
        execution_count=cell.get("execution_count"),
        ename=ename,
        evalue=evalue,
    )


def _papermill(cell: NotebookNode) -> dict[str, Any]:
    found: dict[str, Any] = cell.metadata.get("papermill", {})
    return found


def render_html(notebook: NotebookNode) -> str:
    """The executed notebook as one self-contained HTML page (nbconvert's lab template)."""
    exporter = HTMLExporter()  # type: ignore[no-untyped-call]
    body, _resources = exporter.from_notebook_node(notebook)
    return str(body)


class _ForwardHandler(logging.Handler):
    def __init__(self, target: logging.Logger | logging.LoggerAdapter[logging.Logger]) -> None:
        super().__init__(logging.INFO)
        self.target = target

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if len(message) > MAX_LOGGED_CHARACTERS:
            message = message[:MAX_LOGGED_CHARACTERS] + " …"
        self.target.log(record.levelno, message.rstrip())


@contextlib.contextmanager
def _forward_papermill_logs(
    target: logging.Logger | logging.LoggerAdapter[logging.Logger],
) -> Iterator[None]:
    """The notebook's printed output and papermill's progress go to the run's log."""
    papermill_logger = logging.getLogger("papermill")
    handler = _ForwardHandler(target)
    level, propagate = papermill_logger.level, papermill_logger.propagate
    papermill_logger.addHandler(handler)
    papermill_logger.setLevel(logging.INFO)
    papermill_logger.propagate = False  # once is enough: the run logger prints it too
    try:
        yield
    finally:
        papermill_logger.removeHandler(handler)
        papermill_logger.setLevel(level)
        papermill_logger.propagate = propagate
