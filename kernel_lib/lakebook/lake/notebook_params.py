"""A notebook's papermill parameters (the cell tagged `parameters`) and checks of given values.

Runs and schedules check parameters against the notebook before anything executes, so an unknown
name or a value of the wrong type is refused with a message instead of failing a run later.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from nbformat import NotebookNode

PARAMETERS_TAG = "parameters"
_DEFAULT_KERNEL = "python3"
_DEFAULT_LANGUAGE = "python"

# Python types a parameter may take, by the name an annotation or a literal default gives.
_ACCEPTED: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),
    "bool": (bool,),
    "list": (list, tuple),
    "dict": (dict,),
}


class NotebookParameterError(ValueError):
    """Parameters that do not fit the notebook; the message lists every problem."""


@dataclass(frozen=True)
class NotebookParameter:
    """One assignment of the parameters cell."""

    name: str
    type_name: str | None  # one of _ACCEPTED's keys, or None when any value fits
    optional: bool  # None is accepted as well
    default: str  # the default as written in the cell
    help: str


def read_parameters(notebook: NotebookNode) -> dict[str, NotebookParameter] | None:
    """The parameters declared by the notebook, or None when it has no `parameters` cell."""
    cell = parameters_cell(notebook)
    if cell is None:
        return None
    kernelspec = notebook.metadata.get("kernelspec", {})
    language = kernelspec.get("language", _DEFAULT_LANGUAGE)
    if language == "python":
        return _python_parameters(str(cell.source))
    # Other kernels: papermill's own (line-pattern) inspection. Imported here: the gateway
    # checks schedules with this module and does not install papermill.
    from papermill.translators import papermill_translators

    translator = papermill_translators.find_translator(
        kernelspec.get("name", _DEFAULT_KERNEL), language
    )
    return {
        found.name: _parameter(found.name, found.inferred_type_name, found.default, found.help)
        for found in translator.inspect(cell)
    }


def _python_parameters(source: str) -> dict[str, NotebookParameter]:
    """Top-level `name = value` / `name: type = value` lines, parsed with Python's own parser
    (papermill's pattern misses annotations such as `str | None`)."""
    try:
        tree = ast.parse(source)
    except SyntaxError as error:
        raise NotebookParameterError(
            f"the parameters cell is not valid Python (line {error.lineno}): {error.msg}"
        ) from None
    lines = source.splitlines()
    found: dict[str, NotebookParameter] = {}
    for statement in tree.body:
        targets: list[ast.expr]
        if isinstance(statement, ast.AnnAssign) and statement.value is not None:
            targets, annotation = [statement.target], ast.unparse(statement.annotation)
        elif isinstance(statement, ast.Assign):
            targets, annotation = statement.targets, ""
        else:
            continue
        value = statement.value
        assert value is not None  # both branches above have one
        default = ast.get_source_segment(source, value) or ast.unparse(value)
        help_text = _trailing_comment(lines[(statement.end_lineno or statement.lineno) - 1])
        for target in targets:
            if isinstance(target, ast.Name):
                found[target.id] = _parameter(target.id, annotation, default, help_text)
    return found


def _trailing_comment(line: str) -> str:
    """The `# ...` comment ending a line (ignoring a `#` inside a string literal)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line).readline))
    except (tokenize.TokenError, SyntaxError):
        return ""
    comments = [token.string for token in tokens if token.type == tokenize.COMMENT]
    return comments[-1].lstrip("#").strip() if comments else ""


def parameters_cell(notebook: NotebookNode) -> NotebookNode | None:
    """The first cell tagged `parameters` (papermill injects values right after it)."""
    for cell in notebook.cells:
        if PARAMETERS_TAG in cell.get("metadata", {}).get("tags", []):
            found: NotebookNode = cell
            return found
    return None


def check_parameters(
    declared: Mapping[str, NotebookParameter] | None, given: Mapping[str, Any]
) -> None:
    """Raises NotebookParameterError naming every unknown parameter and every wrong type."""
    if not given:
        return
    if declared is None:
        raise NotebookParameterError(
            f"the notebook has no cell tagged {PARAMETERS_TAG!r}, so it takes no parameters "
            f"(got {', '.join(sorted(given))}); tag the cell that sets them"
        )
    problems = [
        _problem(declared.get(name), name, value, declared) for name, value in given.items()
    ]
    found = [problem for problem in problems if problem]
    if found:
        raise NotebookParameterError("; ".join(found))


def _problem(
    parameter: NotebookParameter | None,
    name: str,
    value: Any,
    declared: Mapping[str, NotebookParameter],
) -> str | None:
    if parameter is None:
        known = ", ".join(sorted(declared)) or "none"
        return f"unknown parameter {name!r} (the notebook's parameters: {known})"
    if parameter.type_name is None or (value is None and parameter.optional):
        return None
    accepted = _ACCEPTED[parameter.type_name]
    # bool is an int subclass; True is not a sensible row count.
    if isinstance(value, accepted) and not (isinstance(value, bool) and bool not in accepted):
        return None
    return (
        f"parameter {name!r} must be {parameter.type_name} "
        f"(default {parameter.default}), got {type(value).__name__} {value!r}"
    )


def _parameter(name: str, annotation: str, default: str, help_text: str) -> NotebookParameter:
    type_name, optional = _annotated_type(annotation)
    if type_name is None and not optional:
        type_name, optional = _literal_type(default)
    return NotebookParameter(name, type_name, optional, default, help_text)


def _annotated_type(annotation: str) -> tuple[str | None, bool]:
    """`int`, `Optional[int]`, `int | None`, `list[str]` → (base type name, accepts None)."""
    text = annotation.strip()
    if text in ("", "None"):  # papermill writes "None" for "no annotation"
        return None, False
    alternatives = [part.strip() for part in text.split("|")]
    optional = text.startswith("Optional[") or "None" in alternatives
    base = text.removeprefix("Optional[").split("|")[0].split("[")[0].strip().lower()
    return (base if base in _ACCEPTED else None), optional or base not in _ACCEPTED


def _literal_type(default: str) -> tuple[str | None, bool]:
    """The type of a literal default (`3` → int); None (any value) when it is not a literal."""
    try:
        value = ast.literal_eval(default)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None, True
    if value is None:
        return None, True
    name = "list" if isinstance(value, tuple) else type(value).__name__
    return (name if name in _ACCEPTED else None), False
