"""ResultTable: a paged preview of a Polars frame (or of a run's result)."""

from __future__ import annotations

from html import escape

import ipywidgets as widgets
import polars as pl

from lakebook.kernel.runs import Run

PAGE_SIZES = (10, 20, 50, 100)


def frame_html(frame: pl.DataFrame) -> str:
    """A plain HTML table with every row given (Polars' own HTML elides rows past its limit)."""
    header = "".join(
        f"<th>{escape(name)}<br><small>{escape(str(dtype))}</small></th>"
        for name, dtype in frame.schema.items()
    )
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(str(value))}</td>" for value in row) + "</tr>"
        for row in frame.iter_rows()
    )
    return f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"


class ResultTable(widgets.VBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """Shows one page of rows at a time; only that page is collected from a lazy frame."""

    def __init__(self, source: pl.DataFrame | pl.LazyFrame | Run, *, page_size: int = 20) -> None:
        self.frame = source.result() if isinstance(source, Run) else source.lazy()
        self.row_count: int = self.frame.select(pl.len()).collect().item()
        self.page = 0
        self.page_frame = pl.DataFrame()
        self.table = widgets.HTML()
        self.position = widgets.Label()
        self.previous_button = widgets.Button(description="Previous", icon="arrow-left")
        self.next_button = widgets.Button(description="Next", icon="arrow-right")
        sizes = sorted({*PAGE_SIZES, page_size})
        # The label sized to its text and the select to its longest option: a fixed widget width
        # shared between a default-width label and the select clipped the numbers.
        self.page_size_picker = widgets.Dropdown(
            options=sizes,
            value=page_size,
            description="Rows",
            style={"description_width": "initial"},
            layout={"width": "max-content", "min_width": "9em"},
        )
        self.previous_button.on_click(lambda _: self.show_page(self.page - 1))
        self.next_button.on_click(lambda _: self.show_page(self.page + 1))
        self.page_size_picker.observe(lambda _: self.show_page(0), names="value")
        controls = [self.previous_button, self.next_button, self.page_size_picker, self.position]
        super().__init__([widgets.HBox(controls), self.table])
        self.show_page(0)

    @property
    def page_size(self) -> int:
        size: int = self.page_size_picker.value
        return size

    @property
    def page_count(self) -> int:
        return max(1, -(-self.row_count // self.page_size))

    def show_page(self, page: int) -> None:
        """Collects and shows one page (clamped to the pages there are)."""
        self.page = min(max(page, 0), self.page_count - 1)
        offset = self.page * self.page_size
        self.page_frame = self.frame.slice(offset, self.page_size).collect()
        self.table.value = frame_html(self.page_frame)
        last = offset + self.page_frame.height
        self.position.value = f"rows {offset + 1 if last else 0}–{last} of {self.row_count:,}"
        self.previous_button.disabled = self.page == 0
        self.next_button.disabled = self.page >= self.page_count - 1
