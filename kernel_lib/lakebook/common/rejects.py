"""Rows a run left out of its dataset, on the wire: the part of `lakebook.common.api` that
describes them (its answers ResultOut and DatasetDetail carry these), and the one line the CLI
and the client say about them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field


class RejectedRowOut(BaseModel):
    """A row a run left out of its dataset (a malformed input row): where it was, and why."""

    model_config = ConfigDict(frozen=True)

    row: int = Field(description="1-based position among the input's data rows.")
    line: int | None = Field(
        None, description="Line in the input file (a CSV's header is line 1), if it has lines."
    )
    reason: str = Field(examples=["3 of 8 fields", "amount='oops'"])


class RejectedRowLike(Protocol):
    """A rejected row as metadata.json records it (lakebook.lake.metadata.RejectedRowRecord)."""

    @property
    def row(self) -> int: ...

    @property
    def line(self) -> int | None: ...

    @property
    def reason(self) -> str: ...


def rejected_rows_out(sample: Sequence[RejectedRowLike]) -> list[RejectedRowOut]:
    return [RejectedRowOut(row=r.row, line=r.line, reason=r.reason) for r in sample]


def reject_place(rejected: RejectedRowLike) -> str:
    """`line 7` where the input has lines (a CSV), else `row 6`: every surface (the CLI, the
    client, the sidebar, a failed run's message) names a rejected row the same way."""
    return f"line {rejected.line}" if rejected.line is not None else f"row {rejected.row}"


def rejects_note(rows_rejected: int, sample: Sequence[RejectedRowLike]) -> str | None:
    """`3 rows rejected, e.g. line 7: 3 of 8 fields`; None when nothing was rejected."""
    if not rows_rejected:
        return None
    note = f"{rows_rejected} row{'s' if rows_rejected != 1 else ''} rejected"
    if sample:
        note += f", e.g. {reject_place(sample[0])}: {sample[0].reason}"
    return note
