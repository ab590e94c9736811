"""FlowLauncher: pick a flow, fill in its parameters, launch it, watch the run."""

from __future__ import annotations

import logging
from collections.abc import Callable
from html import escape
from typing import Any

import ipywidgets as widgets

from lakebook.common.api import DeploymentOut
from lakebook.kernel.client import LakebookClient
from lakebook.kernel.errors import LakebookError, LakebookValidationError
from lakebook.kernel.runs import Run
from lakebook.kernel.widgets.form import ERROR_STYLE, ParameterForm
from lakebook.kernel.widgets.monitor import RunMonitor

logger = logging.getLogger(__name__)

RunCallback = Callable[[Run], None]


class FlowLauncher(widgets.VBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """A flow picker, a form from the flow's parameter schema and a Launch button."""

    def __init__(self, client: LakebookClient, *, monitor_runs: bool = True) -> None:
        self.client = client
        self.monitor_runs = monitor_runs
        self.last_run: Run | None = None
        self.monitor: RunMonitor | None = None
        self._callbacks: list[RunCallback] = []
        self.deployments: dict[str, DeploymentOut] = {}
        self._shown_flow: str | None = None
        self.flow_picker = widgets.Dropdown(description="Flow", options=[])
        self.description = widgets.HTML()
        self.form = ParameterForm({})
        self.form_area = widgets.VBox([self.form])
        self.launch_button = widgets.Button(
            description="Launch", button_style="primary", icon="play", disabled=True
        )
        self.status = widgets.HTML()
        self.monitor_area = widgets.VBox()
        super().__init__(
            [
                self.flow_picker,
                self.description,
                self.form_area,
                widgets.HBox([self.launch_button, self.status]),
                self.monitor_area,
            ]
        )
        self.flow_picker.observe(self._on_flow_picked, names="value")
        self.launch_button.on_click(self._on_launch_clicked)
        self.refresh()

    def on_launch(self, callback: RunCallback) -> None:
        """Calls `callback(run)` after every successful launch."""
        self._callbacks.append(callback)

    def refresh(self) -> None:
        """Reloads the flows the gateway offers."""
        try:
            flows = self.client.flows()
        except LakebookError as error:
            self._say(str(error), error=True)
            return
        self.deployments = {flow.name: flow for flow in flows}
        picked = self.flow_picker.value
        names = sorted(self.deployments)
        self.flow_picker.options = names
        # A flow is always picked while there are any, so Launch never starts from an empty form;
        # the one picked before a refresh stays picked if the gateway still offers it.
        first = names[0] if names else None
        self.flow_picker.value = picked if picked in self.deployments else first
        self._show_flow(self.flow_picker.value)
        self.launch_button.disabled = not self.deployments
        if not self.deployments:
            self._say("the gateway offers no flows to launch yet: deploy one, then refresh()")

    def _on_flow_picked(self, change: dict[str, Any]) -> None:
        self._show_flow(change["new"])

    def _show_flow(self, name: str | None) -> None:
        if name is not None and name == self._shown_flow:
            return
        self._shown_flow = name
        deployment = self.deployments.get(name) if name is not None else None
        self.form = ParameterForm(deployment.parameters_schema if deployment else {})
        self.form_area.children = [self.form]
        self.description.value = escape(deployment.description or "") if deployment else ""
        self._say("")

    def _on_launch_clicked(self, button: widgets.Button) -> None:
        flow = self.flow_picker.value
        if flow is None:
            self._say("pick a flow to launch", error=True)
            return
        parameters = self.form.values()
        if parameters is None:
            # The same wording as the gateway's refusal, so that either reads alike.
            self._say(f"invalid parameters ({'; '.join(self.form.problems)})", error=True)
            return
        try:
            run = self.client.launch(flow, parameters)
        except LakebookValidationError as error:
            self.form.show_errors(error.fields)
            self._say(str(error), error=True)
            return
        except LakebookError as error:
            self._say(str(error), error=True)
            return
        self.last_run = run
        self._say(f"launched {flow} run <code>{escape(run.id)}</code>")
        if self.monitor_runs:
            self._watch(run)
        for callback in self._callbacks:
            callback(run)

    def _watch(self, run: Run) -> None:
        if self.monitor is not None:
            self.monitor.close()
        self.monitor = RunMonitor(run)
        self.monitor_area.children = [self.monitor]

    def _say(self, message: str, *, error: bool = False) -> None:
        if error:
            logger.info("launcher: %s", message)
            message = f'<span style="{ERROR_STYLE}">{escape(message)}</span>'
        self.status.value = message

    def close(self) -> None:
        """Stops the run monitor's event stream too."""
        if self.monitor is not None:
            self.monitor.close()
        super().close()
