"""Checks flow parameters against the JSON schema Prefect derived from the flow's signature."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.validators import validator_for


def parameter_errors(schema: dict[str, Any], parameters: dict[str, Any]) -> list[dict[str, Any]]:
    """FastAPI-style field errors (`loc`, `msg`, `type`); empty when the parameters fit."""
    known = set(schema.get("properties", {}))
    errors = [
        _error([name], f"unknown parameter {name!r}; expected one of {sorted(known)}", "unknown")
        for name in sorted(set(parameters) - known)
    ]
    if schema:
        validator = validator_for(schema, default=Draft202012Validator)(schema)
        for problem in sorted(validator.iter_errors(parameters), key=lambda e: list(e.path)):
            errors.append(_error(list(problem.path), problem.message, str(problem.validator)))
    return errors


def _error(path: list[Any], message: str, kind: str) -> dict[str, Any]:
    return {"loc": ["body", "parameters", *path], "msg": message, "type": f"parameters.{kind}"}
