"""LakeBrowser: the lake's datasets, each with its schema, latest run and a preview."""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as widgets

from lakebook.common.settings import load_settings
from lakebook.flows.lake_store import LakeError, LakeStore
from lakebook.flows.publisher import DatasetSummary, LakePublisher
from lakebook.kernel.client import LakebookClient
from lakebook.kernel.widgets.form import ERROR_STYLE
from lakebook.kernel.widgets.table import ResultTable


class LakeBrowser(widgets.VBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """Lists published datasets; reads the lake directly until the gateway serves /lake."""

    def __init__(self, source: LakebookClient | LakePublisher | None = None) -> None:
        self.lake = self._publisher(source)
        self.datasets: dict[str, DatasetSummary] = {}
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
    def _publisher(source: LakebookClient | LakePublisher | None) -> LakePublisher:
        if isinstance(source, LakebookClient):
            return source.lake()
        if source is not None:
            return source
        return LakePublisher(LakeStore.from_settings(load_settings()))

    def refresh(self) -> None:
        """Lists the lake again."""
        try:
            self.datasets = {summary.name: summary for summary in self.lake.list_datasets()}
        except LakeError as error:
            self.details.value = f'<span style="{ERROR_STYLE}">{escape(str(error))}</span>'
            return
        self.picker.options = list(self.datasets)
        if not self.datasets:
            self.details.value = f"no datasets published in {escape(self.lake.paths.root)} yet"

    def _on_pick(self, change: dict[str, Any]) -> None:
        self.preview_area.children = []
        summary = self.datasets.get(change["new"])
        self.preview_button.disabled = summary is None
        self.details.value = self.describe(summary) if summary else ""

    def describe(self, summary: DatasetSummary) -> str:
        """The dataset's latest run, row count and schema, from that run's metadata.json."""
        latest = summary.latest
        try:
            metadata = self.lake.read_metadata(summary.name, latest.run_id)
        except LakeError as error:
            return f'<span style="{ERROR_STYLE}">{escape(str(error))}</span>'
        columns = "".join(
            f"<tr><td>{escape(name)}</td><td>{escape(dtype)}</td></tr>"
            for name, dtype in metadata.get("schema", {}).items()
        )
        return (
            f"<b>{escape(summary.name)}</b>: {summary.run_count} run(s); latest "
            f"<code>{escape(latest.run_id)}</code> by {escape(str(metadata.get('flow_name')))}, "
            f"published {latest.published_at:%Y-%m-%d %H:%M:%S} UTC, "
            f"{_count(metadata.get('row_count'))} rows"
            f"<table><tr><th>column</th><th>type</th></tr>{columns}</table>"
        )

    def preview(self) -> None:
        """A paged preview of the picked dataset's latest run."""
        name = self.picker.value
        if name is not None:
            self.preview_area.children = [ResultTable(self.lake.scan(name))]


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "?"
