"""docs/transform-spec.md's examples are specs transform_dataset accepts, so the reference cannot
drift from the code it describes."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import get_args

from lakebook.lake.transform_spec import Aggregation, Join, Operation, Operator, TransformSpec

DOC = Path(__file__).resolve().parents[2] / "docs" / "transform-spec.md"


def test_the_documented_spec_is_valid() -> None:
    (block,) = re.findall(r"```json\n(.*?)```", DOC.read_text(), flags=re.S)
    spec = TransformSpec.model_validate(json.loads(block))
    assert [step.step for step in spec.steps] == ["filter", "join", "group_by", "sort", "limit"]
    join = spec.steps[1]
    assert isinstance(join, Join)
    assert join.right == "airlines"


def test_the_documented_nested_condition_is_an_expression() -> None:
    text = DOC.read_text()
    start = text.index('`{"op": "and"') + 1
    condition = json.loads(text[start : text.index("`", start)].replace("\n", " "))
    assert isinstance(Operation.model_validate(condition), Operation)


def test_every_operator_and_aggregation_is_documented() -> None:
    text = DOC.read_text()
    for name in (*get_args(Operator), *get_args(Aggregation)):
        # In backticks alone (`sum`) or in a backticked run of operators (`== != > >=`).
        assert re.search(rf"`([^`\n]* )?{re.escape(name)}( [^`\n]*)?`", text), name
