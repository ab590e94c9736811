"""LakeBrowser: the lake's datasets, each with its schema, latest run and a preview."""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as widgets

from lakebook.common.api import DatasetOut
from lakebook.kernel.catalog import Catalog, CatalogError, GatewayCatalog, LakeCatalog
from lakebook.kernel.client import LakebookClient, connect
from lakebook.kernel.widgets.form import ERROR_STYLE
from lakebook.kernel.widgets.table import ResultTable
from lakebook.lake.publisher import LakePublisher


class LakeBrowser(widgets.VBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """Lists published datasets: from the gateway's /lake/datasets given a client (the
    default: `connect()`), or straight from a lake given its LakePublisher."""

    def __init__(self, source: LakebookClient | LakePublisher | None = None) -> None:
        self.catalog = self._catalog(source)
        self.datasets: dict[str, DatasetOut] = {}
        self.picker = widgets.Select(options=[], rows=8, description="Datasets")
        self.details = widgets.HTML()
        self.refresh_button = widgets.Button(description="Refresh", icon="refresh")
        self.preview_button = widgets.Button(description="Preview", icon="table", disabled=True)
        self.preview_area = widgets.VBox()
        self.picker.observe(self._on_pick, names="value")
        self.refresh_button.on_click(lambda _: self.refresh())
        self.preview_button.on_click(lambda _: self.preview())
        super().__init__(
            [
                widgets.HBox([self.picker, self.details]),
                widgets.HBox([self.refresh_button, self.preview_button]),
                self.preview_area,
            ]
        )
        self.refresh()

    @staticmethod
    def _catalog(source: LakebookClient | LakePublisher | None) -> Catalog:
        if source is None:
            source = connect()
        if isinstance(source, LakebookClient):
            return GatewayCatalog(source)
        return LakeCatalog(source)

    def refresh(self) -> None:
        """Lists the datasets again."""
        try:
            self.datasets = {info.name: info for info in self.catalog.list()}
        except CatalogError as error:
            self.details.value = _error_html(error)
            return
        self.picker.options = list(self.datasets)
        if not self.datasets:
            self.details.value = f"no datasets published in {escape(self.catalog.location)} yet"

    def _on_pick(self, change: dict[str, Any]) -> None:
        self.preview_area.children = []
        info = self.datasets.get(change["new"])
        self.preview_button.disabled = info is None
        self.details.value = self.describe(info) if info else ""

    def describe(self, info: DatasetOut) -> str:
        """The dataset's latest run, row count, lineage and schema."""
        try:
            detail = self.catalog.describe(info.name)
        except CatalogError as error:
            return _error_html(error)
        columns = "".join(
            f"<tr><td>{escape(name)}</td><td>{escape(dtype)}</td></tr>"
            for name, dtype in detail.columns.items()
        )
        inputs = ", ".join(escape(uri) for uri in detail.inputs) or "none"
        return (
            f"<b>{escape(info.name)}</b>: {info.run_count} run(s); latest "
            f"<code>{escape(detail.latest_run_id)}</code> by {escape(str(detail.flow_name))}, "
            f"published {info.published_at:%Y-%m-%d %H:%M:%S} UTC, "
            f"{_count(detail.row_count)} rows; inputs: {inputs}"
            f"<table><tr><th>column</th><th>type</th></tr>{columns}</table>"
        )

    def preview(self) -> None:
        """A paged preview of the picked dataset's latest run."""
        name = self.picker.value
        if name is None:
            return
        try:
            self.preview_area.children = [ResultTable(self.catalog.scan(name))]
        except CatalogError as error:
            self.preview_area.children = [widgets.HTML(_error_html(error))]


def _error_html(error: Exception) -> str:
    return f'<span style="{ERROR_STYLE}">{escape(str(error))}</span>'


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"
