"""The leaf fields of a schema form: scalars, fixed values, and a raw JSON box for the schema
constructs no field renders (see `json_only`); `nested` has the fields that hold fields."""

from __future__ import annotations

import json
from html import escape
from typing import Any

import ipywidgets as widgets

from lakebook.kernel.widgets.schema import (
    Path,
    resolve,
)

ERROR_STYLE = "color: var(--jp-error-color1, #c62828); font-size: 90%"
HELP_STYLE = "color: var(--jp-ui-font-color2, #616161); font-size: 90%"
# The empty choice of a dropdown whose field may be left unset.
UNSET = "—"
SCALARS = ("string", "integer", "number", "boolean")
# Nested fields sit in a bordered, indented box so that the nesting reads at a glance.
NESTED_LAYOUT = {
    "border_left": "2px solid var(--jp-border-color2, #e0e0e0)",
    "padding": "0 0 0 8px",
    "margin": "2px 0 6px 4px",
}


class Missing:
    """A field left empty: the property is not sent at all."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING = Missing()
Problems = list[tuple[Path, str]]


def json_only(schema: dict[str, Any]) -> str | None:
    """Why the schema is edited as raw JSON, or None when a field renders it."""
    kind = schema.get("type")
    if isinstance(kind, list):
        return "a type list"
    if kind == "object" or "properties" in schema:
        if not schema.get("properties"):
            return "an object with free-form keys"
        if schema.get("patternProperties") or isinstance(schema.get("additionalProperties"), dict):
            return "an object with typed extra keys"
        return None
    if kind == "array":
        if "prefixItems" in schema or isinstance(schema.get("items"), list):
            return "a tuple"
        return None if isinstance(schema.get("items"), dict) else "a list of anything"
    if "enum" in schema or "const" in schema or kind in SCALARS:
        return None
    return "a value of any type"


class Field:
    """One value of the form: its widgets, its error line, how to read it and where it is."""

    def __init__(
        self, path: Path, schema: dict[str, Any], root: dict[str, Any], required: bool
    ) -> None:
        self.path = path
        self.raw_schema = schema
        self.schema, self.nullable = resolve(schema, root)
        self.root = root
        self.required = required
        # Empty error and help lines take no room: a form of nested fields would be mostly gaps.
        self.error = widgets.HTML(layout={"display": "none"})
        description = self.schema.get("description")
        self.help = widgets.HTML(
            f'<span style="{HELP_STYLE}">{escape(description)}</span>' if description else "",
            layout={"display": "" if description else "none"},
        )

    @property
    def name(self) -> str:
        return str(self.path[-1]) if self.path else ""

    @property
    def label(self) -> str:
        """The property's own title (a `$ref`'d model's title only when it has none), with a
        required mark; a list item is named by its index, as error paths name it."""
        kind = self.schema.get("title")
        if self.path and isinstance(self.path[-1], int):
            return f"{self.name}: {kind}" if kind else self.name
        title = self.raw_schema.get("title") or kind or self.name
        return f"{title}{' *' if self.required else ''}"

    @property
    def box(self) -> widgets.Widget:
        raise NotImplementedError

    def read(self, problems: Problems) -> Any:
        """The value to send (MISSING when left empty); entries that do not parse are added to
        `problems` and read as MISSING."""
        raise NotImplementedError

    def children(self) -> list[Field]:
        return []

    def show_error(self, messages: list[str]) -> None:
        shown = "<br>".join(escape(message) for message in messages)
        self.error.value = f'<span style="{ERROR_STYLE}">{shown}</span>' if messages else ""
        self.error.layout.display = "" if messages else "none"

    def walk(self) -> list[Field]:
        """This field and every field nested in it."""
        return [self, *(field for child in self.children() for field in child.walk())]

    def chosen_variant(self) -> int | None:
        return None


class ScalarField(Field):
    """A string, number, boolean or enum: one input widget."""

    def __init__(
        self, path: Path, schema: dict[str, Any], root: dict[str, Any], required: bool, value: Any
    ) -> None:
        super().__init__(path, schema, root, required)
        self.kind = "enum" if "enum" in self.schema else str(self.schema.get("type"))
        if value is MISSING:
            value = self.schema.get("default", MISSING)
        self.input = self._input(value)
        self._box = widgets.VBox([self.input, self.help, self.error])

    @property
    def box(self) -> widgets.Widget:
        return self._box

    def _input(self, value: Any) -> widgets.ValueWidget:
        label = {
            "description": self.label,
            "description_allow_html": False,
            "tooltip": self.schema.get("description"),
            "style": {"description_width": "initial"},
        }
        if self.kind == "enum":
            options = list(self.schema["enum"])
            if not self.required or self.nullable:
                options.insert(0, UNSET)
            chosen = value if value in options else options[0]
            return widgets.Dropdown(options=options, value=chosen, **label)
        if self.kind == "boolean":
            return widgets.Checkbox(value=value is True, indent=False, **label)
        # Numbers are typed as text so that "empty" can mean "leave it unset" and a bad entry is
        # reported instead of silently reset by a numeric widget.
        shown = "" if value in (MISSING, None) else str(value)
        return widgets.Text(value=shown, placeholder=self._hint(), **label)

    def _hint(self) -> str:
        low, high = self.schema.get("minimum"), self.schema.get("maximum")
        if low is not None or high is not None:
            return f"{'' if low is None else low} … {'' if high is None else high}"
        return str(self.schema.get("type", ""))

    def read(self, problems: Problems) -> Any:
        raw = self.input.value
        if self.kind == "boolean":
            return raw
        if self.kind == "enum":
            return MISSING if raw == UNSET else raw
        if raw == "":
            return MISSING
        try:
            if self.kind == "integer":
                return int(raw)
            if self.kind == "number":
                return float(raw)
        except ValueError:
            problems.append((self.path, f"must be {self.kind}"))
            return MISSING
        return raw


class ConstField(Field):
    """A value the schema fixes (a union's tag such as `"step": "filter"`): shown, not edited."""

    kind = "const"

    def __init__(
        self, path: Path, schema: dict[str, Any], root: dict[str, Any], required: bool
    ) -> None:
        super().__init__(path, schema, root, required)
        self.value = self.schema["const"]
        self._box = widgets.HTML(f"{escape(self.label)}: <code>{escape(str(self.value))}</code>")

    @property
    def box(self) -> widgets.Widget:
        return self._box

    def read(self, problems: Problems) -> Any:
        return self.value


class JsonField(Field):
    """Raw JSON for a schema no field renders; its parse errors name the field."""

    kind = "json"

    def __init__(
        self, path: Path, schema: dict[str, Any], root: dict[str, Any], required: bool, value: Any
    ) -> None:
        super().__init__(path, schema, root, required)
        if value is MISSING:
            value = self.schema.get("default", MISSING)
        shown = "" if value in (MISSING, None) else json.dumps(value, indent=1)
        self.input = widgets.Textarea(
            value=shown,
            placeholder="JSON",
            description=self.label,
            description_allow_html=False,
            tooltip=self.schema.get("description"),
            style={"description_width": "initial"},
            layout={"width": "100%"},
        )
        self._box = widgets.VBox([self.input, self.help, self.error])

    @property
    def box(self) -> widgets.Widget:
        return self._box

    def read(self, problems: Problems) -> Any:
        if not self.input.value.strip():
            return MISSING
        try:
            return json.loads(self.input.value)
        except ValueError as error:
            problems.append((self.path, f"must be valid JSON ({error})"))
            return MISSING
