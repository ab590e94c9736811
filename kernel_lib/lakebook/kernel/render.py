"""How a query result shows in a notebook: the first rows, row count, columns, types, time."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ResultPreview:
    """A compact rendering of a result; only the first rows are ever turned into HTML."""

    columns: Sequence[str]
    types: Sequence[str]
    rows: Sequence[Sequence[Any]]
    total_rows: int
    elapsed_seconds: float
    note: str = ""

    @property
    def summary(self) -> str:
        shown = len(self.rows)
        count = f"{self.total_rows:,} row{'s' if self.total_rows != 1 else ''}"
        if shown < self.total_rows:
            count += f" (showing first {shown:,})"
        parts = [count, f"{len(self.columns)} columns", f"{self.elapsed_seconds:.3f} s"]
        return " · ".join(parts + ([self.note] if self.note else []))

    def _repr_html_(self) -> str:
        header = "".join(
            f"<th>{html.escape(name)}<br><small>{html.escape(kind)}</small></th>"
            for name, kind in zip(self.columns, self.types, strict=True)
        )
        body = "".join(
            "<tr>" + "".join(f"<td>{_cell_html(value)}</td>" for value in row) + "</tr>"
            for row in self.rows
        )
        return (
            '<div class="lakebook-result">'
            f"<table><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>"
            f"<small>{html.escape(self.summary)}</small></div>"
        )

    def __repr__(self) -> str:
        lines = [" | ".join(f"{n} ({t})" for n, t in zip(self.columns, self.types, strict=True))]
        lines += [" | ".join(_cell_text(value) for value in row) for row in self.rows]
        return "\n".join([*lines, self.summary])


@dataclass(frozen=True)
class TextPreview:
    """Text that must keep its layout, such as a query plan."""

    text: str

    def _repr_html_(self) -> str:
        return f"<pre>{html.escape(self.text)}</pre>"

    def __repr__(self) -> str:
        return self.text


def _cell_text(value: Any) -> str:
    return "NULL" if value is None else str(value)


def _cell_html(value: Any) -> str:
    if value is None:
        return "<em>NULL</em>"
    return html.escape(str(value))
