"""Checks flow parameters against the JSON schema Prefect derived from the flow's signature."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from jsonschema.validators import validator_for

from lakebook.common.json_depth import too_deep_at, too_deep_message
from lakebook.common.lake import DATASET_NAME, LakePathError, check_dataset_name

# Validators whose own message ("… is not valid under any of the given schemas") says nothing
# of what is wrong: the branch errors under them do.
UNIONS = frozenset({"anyOf", "oneOf"})


def parameter_errors(schema: dict[str, Any], parameters: dict[str, Any]) -> list[dict[str, Any]]:
    """FastAPI-style field errors (`loc`, `msg`, `type`); empty when the parameters fit."""
    known = set(schema.get("properties", {}))
    errors = [
        _error([name], f"unknown parameter {name!r}; expected one of {sorted(known)}", "unknown")
        for name in sorted(set(parameters) - known)
    ]
    too_deep = [
        (name, path)
        for name, value in sorted(parameters.items())
        if (path := too_deep_at(value)) is not None
    ]
    if too_deep:
        # Not given to the JSON-schema check, which recurses per level (RecursionError).
        return errors + [
            _error([name, *path], too_deep_message(name, path), "too_deep")
            for name, path in too_deep
        ]
    if schema:
        validator = validator_for(schema, default=Draft202012Validator)(schema)
        problems = (_most_telling(problem) for problem in validator.iter_errors(parameters))
        for problem in sorted(problems, key=lambda e: [str(part) for part in e.absolute_path]):
            errors.append(_error(list(problem.absolute_path), _message(problem), problem.validator))
    return errors


def _most_telling(problem: ValidationError) -> ValidationError:
    """For a union (a transform step, an expression), the error of the branch the value was
    meant for, at its own field: `spec.steps.0.aggs.0.expr.agg: 'total' is not one of
    ['sum', …]` rather than `spec.steps.0: {…} is not valid under any of the given schemas`."""
    if not problem.context:
        return problem
    meant = _branch_meant(problem.context)
    if meant is None:
        return best_match([problem])
    return _most_telling(best_match(meant))


def _branch_meant(branches: list[ValidationError]) -> list[ValidationError] | None:
    """The errors of the one branch of a tagged union whose tag the value carries (`{"step":
    "filter"}` without its `condition`), else None. Without this, a branch failing on a
    missing field lost to the other branches' tag errors, one level deeper: the answer said
    "step 'filter' is not one of [...]", a list without 'filter'."""
    by_branch: dict[object, list[ValidationError]] = {}
    for error in branches:
        by_branch.setdefault(error.relative_schema_path[0], []).append(error)
    tagged_other = {
        branch for branch, errors in by_branch.items() if any(map(_is_tag_error, errors))
    }
    untagged = [errors for branch, errors in by_branch.items() if branch not in tagged_other]
    if not tagged_other or len(untagged) != 1:
        return None
    return untagged[0]


def _message(problem: ValidationError) -> str:
    if problem.validator == "pattern" and problem.validator_value == DATASET_NAME.pattern:
        # A dataset name (lakebook.common.lake.DatasetName): the rule in words, as the flow
        # would have said it, rather than the regular expression.
        try:
            check_dataset_name(str(problem.instance))
        except LakePathError as error:
            return str(error)
    if problem.validator in UNIONS and problem.context:
        kinds = _discriminator_values(problem.context)
        if kinds is not None:
            key, values = kinds
            if not isinstance(problem.instance, dict) or key not in problem.instance:
                return f"{key} is missing: one of {values}"
            return f"{key} {problem.instance[key]!r} is not one of {values}"
    return str(problem.message)


def _discriminator_values(branches: list[ValidationError]) -> tuple[str, list[Any]] | None:
    """The key every branch of a union pins with `const` (a tagged union's `step`) and the
    values it takes, when the value matched none of them; else None."""
    pinned = [
        (str(error.relative_path[0]), error.validator_value)
        for error in branches
        if _is_tag_error(error)
    ]
    if not pinned:
        pinned = _missing_tag(branches)
    keys = {key for key, _ in pinned}
    if len(keys) != 1:
        return None
    return keys.pop(), [value for _, value in pinned]


def _is_tag_error(error: ValidationError) -> bool:
    """A branch of a tagged union refusing the value's tag (`step` pinned with `const`)."""
    return error.validator == "const" and len(error.relative_path) == 1


def _missing_tag(branches: list[ValidationError]) -> list[tuple[str, Any]]:
    """(key, value) per branch when the value has no tag at all (`{"n": 3}`): each branch
    requires the key its schema pins with `const`; else empty."""
    pinned: dict[object, tuple[str, Any]] = {}  # one per branch: each says so per missing key
    for error in branches:
        if error.validator != "required" or not isinstance(error.schema, dict):
            continue
        for key, rule in error.schema.get("properties", {}).items():
            if isinstance(rule, dict) and "const" in rule and key in error.validator_value:
                pinned[error.relative_schema_path[0]] = (str(key), rule["const"])
    return list(pinned.values())


def _error(path: list[Any], message: str, kind: object) -> dict[str, Any]:
    return {"loc": ["body", "parameters", *path], "msg": message, "type": f"parameters.{kind}"}
