"""Notebook widgets (plain ipywidgets, so they work in JupyterLab and Voila alike)."""

from __future__ import annotations

from lakebook.kernel.widgets.browser import LakeBrowser
from lakebook.kernel.widgets.form import ParameterForm
from lakebook.kernel.widgets.launcher import FlowLauncher
from lakebook.kernel.widgets.monitor import RunMonitor
from lakebook.kernel.widgets.table import ResultTable

__all__ = ["FlowLauncher", "LakeBrowser", "ParameterForm", "ResultTable", "RunMonitor"]
