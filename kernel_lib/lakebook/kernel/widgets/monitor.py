"""RunMonitor: a run's live state, progress and log tail, with a Cancel button."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from html import escape
from typing import Any

import ipywidgets as widgets
import traitlets

from lakebook.common.api import TERMINAL_STATES
from lakebook.kernel.errors import LakebookError
from lakebook.kernel.runs import Run, RunEvent
from lakebook.kernel.widgets.form import ERROR_STYLE

logger = logging.getLogger(__name__)

# Prefect reports no percentage, so the bar shows how far along the lifecycle a run is.
PROGRESS = {"SCHEDULED": 0.1, "PENDING": 0.25, "RUNNING": 0.6}
BAR_STYLES = {"COMPLETED": "success", "FAILED": "danger", "CRASHED": "danger"}


class RunMonitor(widgets.VBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """Follows a run's server-sent events in a background thread, so the kernel stays free."""

    state = traitlets.Unicode("", help="The run's latest state type.")

    def __init__(self, run: Run, *, tail: int = 50) -> None:
        self.run = run
        self.lines: deque[str] = deque(maxlen=tail)
        self.state_label = widgets.HTML(f"<b>{escape(run.flow_name)}</b> run {escape(run.id)}")
        self.progress = widgets.FloatProgress(value=0.0, min=0.0, max=1.0)
        self.log_tail = widgets.HTML()
        self.message = widgets.HTML()
        # A line that only holds until the run ends ("cancelling ..."), not an error to keep.
        self._message_is_transient = False
        # The stream's thread and the Cancel click both update state and message.
        self._lock = threading.RLock()
        self.cancel_button = widgets.Button(description="Cancel", icon="stop")
        self.cancel_button.on_click(self._on_cancel_clicked)
        super().__init__(
            [
                widgets.HBox([self.state_label, self.progress, self.cancel_button]),
                self.log_tail,
                self.message,
            ]
        )
        self.finished = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._task = self._loop.create_task(self._follow())
        self._thread = threading.Thread(
            target=self._run_loop, name=f"lakebook-run-{run.id}", daemon=True
        )
        self._thread.start()

    def join(self, timeout: float | None = None) -> bool:
        """Waits until the run has ended (or following it failed); True if it did in time."""
        return self.finished.wait(timeout)

    def close(self) -> None:
        """Stops following the run (the stream is cancelled at once) and closes the widget."""
        if self._thread.is_alive():
            # The loop may close between the check and the call: then there is nothing to stop.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._task.cancel)
            self._thread.join()
        super().close()

    def _run_loop(self) -> None:
        try:
            self._loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        finally:
            self._loop.run_until_complete(self._loop.shutdown_asyncgens())
            self._loop.close()
            self.finished.set()

    async def _follow(self) -> None:
        try:
            # The stream reports transitions from now on: show where the run already is.
            self._show_state((await self.run.ainfo()).state)
            async for event in self.run.aevents():
                self._apply(event)
        except LakebookError as error:
            self._show_message(f"stopped following the run: {error}", error=True)

    def _apply(self, event: RunEvent) -> None:
        if event.kind == "state":
            self._show_state(str(event.data["state"]), event.data.get("message"))
        elif event.kind == "log":
            self.lines.append(f"{event.data['level']:<8} {event.data['message']}")
            self.log_tail.value = f"<pre>{escape(chr(10).join(self.lines))}</pre>"
        elif event.kind == "error":
            problem = event.data.get("message")
            self._show_message(f"the gateway lost track of Prefect: {problem}", error=True)
        elif event.kind == "end":
            self._show_state(str(event.data["state"]))

    def _show_state(self, state: str, detail: Any = None) -> None:
        with self._lock:
            self._set_state(state, detail)

    def _set_state(self, state: str, detail: Any) -> None:
        self.state = state
        suffix = f" — {escape(str(detail))}" if detail else ""
        self.state_label.value = (
            f"<b>{escape(self.run.flow_name)}</b> run {escape(self.run.id)}: "
            f"<b>{escape(state)}</b>{suffix}"
        )
        finished = state in TERMINAL_STATES
        self.progress.value = 1.0 if finished else PROGRESS.get(state, 0.0)
        self.progress.bar_style = BAR_STYLES.get(state, "warning" if finished else "info")
        self.cancel_button.disabled = finished
        if finished and self._message_is_transient:
            self.message.value = ""
            self._message_is_transient = False

    def _show_message(self, text: str, *, error: bool = False, transient: bool = False) -> None:
        logger.info("run %s: %s", self.run.id, text)
        style = ERROR_STYLE if error else ""
        with self._lock:
            if transient and self.state in TERMINAL_STATES:
                return  # the run ended before the line could be shown: it has nothing to say
            self.message.value = f'<span style="{style}">{escape(text)}</span>'
            self._message_is_transient = transient

    def _on_cancel_clicked(self, button: widgets.Button) -> None:
        self.cancel_button.disabled = True
        try:
            state = self.run.cancel()
        except LakebookError as error:
            self.cancel_button.disabled = False
            self._show_message(f"could not cancel: {error}", error=True)
            return
        if state in TERMINAL_STATES:
            self._show_state(state)
        else:
            self._show_message(f"cancelling (the run is {state})", transient=True)
