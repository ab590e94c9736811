"""A parameter form built from a flow's JSON schema (Prefect's schema of the flow signature)."""

from __future__ import annotations

import json
import re
from html import escape
from typing import Any

import ipywidgets as widgets

ERROR_STYLE = "color: var(--jp-error-color1, #c62828); font-size: 90%"
# Empty choice for enums that may be left unset.
UNSET = "—"


class InvalidValue(ValueError):
    """A form value that cannot be sent; the message is shown under the field."""


def resolve(schema: dict[str, Any], root: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A property's effective schema and whether it may be null ($ref, allOf, anyOf unwrapped)."""
    nullable = False
    while True:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            definitions = root.get("definitions") or root.get("$defs") or {}
            extra = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**definitions.get(name, {}), **extra}
        elif len(schema.get("allOf", [])) == 1:
            schema = {**schema["allOf"][0], **{k: v for k, v in schema.items() if k != "allOf"}}
        elif "anyOf" in schema or "oneOf" in schema:
            options = schema.get("anyOf") or schema.get("oneOf") or []
            concrete = [option for option in options if option.get("type") != "null"]
            nullable = nullable or len(concrete) < len(options)
            if len(concrete) != 1:
                return schema, nullable  # a real union: edited as JSON
            rest = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
            schema = {**concrete[0], **rest}
        else:
            return schema, nullable


def check_value(schema: dict[str, Any], value: Any) -> None:
    """Raises InvalidValue when the value breaks the schema's bounds, lengths, pattern or enum."""
    if "enum" in schema and value not in schema["enum"]:
        raise InvalidValue(f"must be one of {', '.join(map(str, schema['enum']))}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            raise InvalidValue(f"must be at least {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            raise InvalidValue(f"must be at most {schema['maximum']}")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            raise InvalidValue(f"must be more than {schema['exclusiveMinimum']}")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            raise InvalidValue(f"must be less than {schema['exclusiveMaximum']}")
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            raise InvalidValue(f"needs at least {schema['minLength']} characters")
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise InvalidValue(f"takes at most {schema['maxLength']} characters")
        if "pattern" in schema and not re.search(schema["pattern"], value):
            raise InvalidValue(f"must match {schema['pattern']}")


class ParameterField:
    """One parameter: its input widget, its error line and how to read a value from it."""

    def __init__(self, name: str, schema: dict[str, Any], root: dict[str, Any], required: bool):
        self.name = name
        self.schema, self.nullable = resolve(schema, root)
        self.required = required
        self.kind = self._kind()
        self.input = self._input_widget()
        self.error = widgets.HTML()
        self.box = widgets.VBox([self.input, self.error])

    def _kind(self) -> str:
        if "enum" in self.schema:
            return "enum"
        kind = self.schema.get("type")
        return kind if kind in ("string", "integer", "number", "boolean") else "json"

    def _input_widget(self) -> widgets.ValueWidget:
        label = {
            "description": self.schema.get("title", self.name) + ("*" if self.required else ""),
            "tooltip": self.schema.get("description"),
            "style": {"description_width": "initial"},
        }
        default = self.schema.get("default")
        if self.kind == "enum":
            options = [UNSET, *self.schema["enum"]] if not self.required else self.schema["enum"]
            chosen = default if default in options else options[0]
            return widgets.Dropdown(options=options, value=chosen, **label)
        if self.kind == "boolean":
            return widgets.Checkbox(value=bool(default), indent=False, **label)
        if self.kind == "json":
            shown = "" if default is None else json.dumps(default, indent=1)
            return widgets.Textarea(value=shown, placeholder="JSON", **label)
        # Numbers are typed as text so that "empty" can mean "leave it unset" and a bad entry is
        # reported instead of silently reset by a numeric widget.
        return widgets.Text(
            value="" if default is None else str(default), placeholder=self._hint(), **label
        )

    def _hint(self) -> str:
        low, high = self.schema.get("minimum"), self.schema.get("maximum")
        if low is not None or high is not None:
            return f"{'' if low is None else low} … {'' if high is None else high}"
        return str(self.schema.get("type", ""))

    def read(self) -> tuple[bool, Any]:
        """(False, None) for a field left empty, else (True, value); raises InvalidValue."""
        raw = self.input.value
        if self.kind == "boolean":
            return True, bool(raw)
        if raw in ("", UNSET):
            if self.required:
                raise InvalidValue("is required")
            return False, None
        value = self._parse(raw)
        check_value(self.schema, value)
        return True, value

    def _parse(self, raw: Any) -> Any:
        try:
            if self.kind == "integer":
                return int(raw)
            if self.kind == "number":
                return float(raw)
            if self.kind == "json":
                return json.loads(raw)
        except ValueError as error:
            expected = {"integer": "a whole number", "number": "a number", "json": "valid JSON"}
            raise InvalidValue(f"must be {expected[self.kind]} ({error})") from None
        return raw

    def show_error(self, message: str | None) -> None:
        self.error.value = (
            f'<span style="{ERROR_STYLE}">{escape(message)}</span>' if message else ""
        )


class ParameterForm(widgets.VBox):  # type: ignore[misc]  # ipywidgets has no type hints
    """Fields for every parameter of a schema, in the flow signature's order."""

    def __init__(self, schema: dict[str, Any]) -> None:
        properties: dict[str, dict[str, Any]] = schema.get("properties", {})
        required = set(schema.get("required", []))
        ordered = sorted(properties.items(), key=lambda item: item[1].get("position", 0))
        self.fields = {
            name: ParameterField(name, prop, schema, name in required) for name, prop in ordered
        }
        super().__init__([field.box for field in self.fields.values()])

    def values(self) -> dict[str, Any] | None:
        """The parameters to send, or None when a field is invalid (its error is shown)."""
        values: dict[str, Any] = {}
        valid = True
        for name, field in self.fields.items():
            try:
                present, value = field.read()
            except InvalidValue as problem:
                field.show_error(f"{name} {problem}")
                valid = False
                continue
            field.show_error(None)
            if present:
                values[name] = value
        return values if valid else None

    def show_errors(self, errors: dict[str, str]) -> None:
        """Shows errors the gateway reported, next to their fields."""
        for name, field in self.fields.items():
            field.show_error(errors.get(name))
