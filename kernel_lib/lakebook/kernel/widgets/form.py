"""A parameter form built from a flow's JSON schema (Prefect's schema of the flow signature).

Nested objects and lists get nested fields (see `fields`); the values are checked against the
whole schema by the same rules, and worded the same way, as the sidebar's form (see `schema`).
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Any

import ipywidgets as widgets

from lakebook.kernel.widgets.fields import ERROR_STYLE, MISSING, UNSET, Field, Problems
from lakebook.kernel.widgets.nested import build
from lakebook.kernel.widgets.schema import Path, dotted, schema_errors

__all__ = ["ERROR_STYLE", "UNSET", "ParameterForm"]


class ParameterForm(widgets.VBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """Fields for every parameter of a schema, in the flow signature's order."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self.schema = schema
        properties: dict[str, dict[str, Any]] = schema.get("properties", {})
        required = set(schema.get("required", []))
        ordered = sorted(properties.items(), key=lambda item: item[1].get("position", 0))
        self.fields: dict[str, Field] = {
            name: build((name,), prop, schema, name in required) for name, prop in ordered
        }
        # Errors that belong to no field (the parameters as a whole): shown above the fields.
        self.error = widgets.HTML(layout={"display": "none"})
        self.problems: list[str] = []
        super().__init__([self.error, *(field.box for field in self.fields.values())])

    def values(self) -> dict[str, Any] | None:
        """The parameters to send, or None when a field is invalid (its error is shown, and
        `problems` lists every error as `path: message`)."""
        parse_problems: Problems = []
        read = {name: field.read(parse_problems) for name, field in self.fields.items()}
        values = {name: value for name, value in read.items() if value is not MISSING}
        unparsed = {path for path, _ in parse_problems}
        found = [
            (path, message)
            for path, message in schema_errors(self.schema, values, self._variant_at)
            # A field whose entry did not parse is reported once, for that.
            if not any(path[: len(bad)] == bad for bad in unparsed)
        ]
        problems = parse_problems + found
        self._show(problems)
        return None if problems else values

    def show_errors(self, errors: Mapping[str, str]) -> None:
        """Shows errors the gateway reported (keyed by dotted path), next to their fields."""
        self._show([(_path(field), message) for field, message in errors.items()])

    def field_at(self, path: Path) -> Field | None:
        """The field editing the value at `path`, or the nearest one holding it."""
        best: Field | None = None
        for field in self._all_fields():
            depth = len(field.path)
            if field.path == path[:depth] and (best is None or depth > len(best.path)):
                best = field
        return best

    def _all_fields(self) -> list[Field]:
        return [nested for field in self.fields.values() for nested in field.walk()]

    def _variant_at(self, path: Path) -> int | None:
        # A union's chosen variant wraps a field at the same path: ask the union itself.
        for field in self._all_fields():
            if field.path == path and field.chosen_variant() is not None:
                return field.chosen_variant()
        return None

    def _show(self, problems: list[tuple[Path, str]]) -> None:
        self.problems = [
            f"{dotted(path)}: {message}" if path else message for path, message in problems
        ]
        placed: dict[int, tuple[Field, list[str]]] = {}
        unplaced: list[str] = []
        for (path, _), text in zip(problems, self.problems, strict=True):
            field = self.field_at(path)
            if field is None:
                unplaced.append(text)
                continue
            placed.setdefault(id(field), (field, []))[1].append(text)
        for field in self._all_fields():
            field.show_error(placed.get(id(field), (field, []))[1])
        shown = "<br>".join(escape(text) for text in unplaced)
        self.error.value = f'<span style="{ERROR_STYLE}">{shown}</span>' if unplaced else ""
        self.error.layout.display = "" if unplaced else "none"


def _path(field: str) -> Path:
    return tuple(int(part) if part.isdigit() else part for part in field.split(".") if part)
