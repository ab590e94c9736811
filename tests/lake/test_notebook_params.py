"""Parameters read from a notebook's `parameters` cell, and checks of given values against them."""

from __future__ import annotations

import nbformat
import pytest

from lakebook.lake.notebook_params import (
    NotebookParameterError,
    check_parameters,
    read_parameters,
)

PARAMETERS_CELL = """\
region: str = "north"
top = 3
share = 0.5
dry_run = False
regions = ["north", "south"]
since: str | None = None
start = None  # any value
seed = make_seed()
"""


def notebook(*, tagged: bool = True) -> nbformat.NotebookNode:
    cell = nbformat.v4.new_code_cell(PARAMETERS_CELL)
    if tagged:
        cell.metadata["tags"] = ["parameters"]
    nb = nbformat.v4.new_notebook(cells=[cell, nbformat.v4.new_code_cell("print(region)")])
    nb.metadata["kernelspec"] = {"name": "python3", "language": "python", "display_name": "P"}
    return nb


def test_names_and_types_come_from_annotations_and_literal_defaults() -> None:
    declared = read_parameters(notebook())
    assert declared is not None
    types = {name: (p.type_name, p.optional) for name, p in declared.items()}
    assert types == {
        "region": ("str", False),
        "top": ("int", False),
        "share": ("float", False),
        "dry_run": ("bool", False),
        "regions": ("list", False),
        "since": ("str", True),
        "start": (None, True),
        "seed": (None, True),
    }
    assert declared["start"].help == "any value"


def test_values_of_the_declared_types_pass() -> None:
    check_parameters(
        read_parameters(notebook()),
        {
            "region": "east",
            "top": 10,
            "share": 1,  # an int is a fine float
            "dry_run": True,
            "regions": ["east"],
            "since": None,
            "start": {"any": "thing"},
            "seed": 7,
        },
    )


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"nope": 1}, "unknown parameter 'nope' (the notebook's parameters: dry_run, "),
        ({"top": "5"}, "parameter 'top' must be int (default 3), got str '5'"),
        ({"top": True}, "parameter 'top' must be int"),
        ({"share": "half"}, "parameter 'share' must be float"),
        ({"region": None}, "parameter 'region' must be str"),
        ({"regions": "north"}, "parameter 'regions' must be list"),
    ],
)
def test_unknown_names_and_wrong_types_are_refused(given: dict[str, object], message: str) -> None:
    with pytest.raises(
        NotebookParameterError, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        check_parameters(read_parameters(notebook()), given)


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(NotebookParameterError) as raised:
        check_parameters(read_parameters(notebook()), {"top": "x", "zz": 1})
    assert "'top' must be int" in str(raised.value)
    assert "unknown parameter 'zz'" in str(raised.value)


def test_a_notebook_without_a_parameters_cell_takes_none() -> None:
    untagged = notebook(tagged=False)
    assert read_parameters(untagged) is None
    check_parameters(None, {})
    with pytest.raises(NotebookParameterError, match="no cell tagged 'parameters'"):
        check_parameters(None, {"region": "east"})
