"""The one line the CLI and the client say about a run's rejected rows."""

from __future__ import annotations

from lakebook.common.rejects import RejectedRowOut, rejects_note


def test_the_note_names_the_count_and_the_first_rows_line_and_reason() -> None:
    sample = [
        RejectedRowOut(row=6, line=7, reason="3 of 8 fields"),
        RejectedRowOut(row=9, line=10, reason="more fields than the header"),
    ]
    assert rejects_note(3, sample) == "3 rows rejected, e.g. line 7: 3 of 8 fields"


def test_a_row_without_a_line_is_named_by_its_row_and_one_is_singular() -> None:
    sample = [RejectedRowOut(row=4, reason="score='n/a'")]
    assert rejects_note(1, sample) == "1 row rejected, e.g. row 4: score='n/a'"


def test_nothing_rejected_says_nothing() -> None:
    assert rejects_note(0, []) is None
    assert rejects_note(2, []) == "2 rows rejected"
