"""The fields that hold other fields: nested objects, lists (items added and removed) and unions
(an alternative picked from a dropdown); `build` picks the field class for any schema."""

from __future__ import annotations

from html import escape
from typing import Any

import ipywidgets as widgets

from lakebook.kernel.widgets.fields import (
    MISSING,
    NESTED_LAYOUT,
    UNSET,
    ConstField,
    Field,
    JsonField,
    Problems,
    ScalarField,
    json_only,
)
from lakebook.kernel.widgets.schema import (
    Path,
    deref,
    is_null,
    resolve,
    schema_errors,
    union_options,
)


class ObjectField(Field):
    """A nested object: a titled, indented group of its properties' fields."""

    kind = "object"

    def __init__(
        self, path: Path, schema: dict[str, Any], root: dict[str, Any], required: bool, value: Any
    ) -> None:
        super().__init__(path, schema, root, required)
        given = value if isinstance(value, dict) else self.schema.get("default")
        given = given if isinstance(given, dict) else {}
        needed = set(self.schema.get("required", []))
        properties: dict[str, dict[str, Any]] = self.schema.get("properties", {})
        ordered = sorted(properties.items(), key=lambda item: item[1].get("position", 0))
        self.fields = {
            name: build((*path, name), prop, root, name in needed, given.get(name, MISSING))
            for name, prop in ordered
        }
        inner = widgets.VBox([field.box for field in self.fields.values()], layout=NESTED_LAYOUT)
        header = widgets.HTML(f"<b>{escape(self.label)}</b>")
        self._box = widgets.VBox([header, self.help, self.error, inner])

    @property
    def box(self) -> widgets.Widget:
        return self._box

    def children(self) -> list[Field]:
        return list(self.fields.values())

    def read(self, problems: Problems) -> Any:
        values = {name: field.read(problems) for name, field in self.fields.items()}
        present = {name: value for name, value in values.items() if value is not MISSING}
        set_by_user = any(
            not isinstance(field, ConstField) and values[name] is not MISSING
            for name, field in self.fields.items()
        )
        # An optional object nobody filled in is not sent (its tag alone says nothing).
        return present if self.required or set_by_user else MISSING


class ArrayField(Field):
    """A list: one field per item, each with a Remove button, and an Add button."""

    kind = "array"

    def __init__(
        self, path: Path, schema: dict[str, Any], root: dict[str, Any], required: bool, value: Any
    ) -> None:
        super().__init__(path, schema, root, required)
        given = value if isinstance(value, list) else self.schema.get("default")
        self.items: list[Field] = []
        self.rows = widgets.VBox(layout=NESTED_LAYOUT)
        self.add_button = widgets.Button(
            description="Add", icon="plus", tooltip=f"add an item to {self.label}"
        )
        # Its own width: "auto" in a column stretches it across the form.
        self.add_button.layout.width = "max-content"
        self.add_button.on_click(lambda _: self.add())
        header = widgets.HTML(f"<b>{escape(self.label)}</b>")
        self._box = widgets.VBox([header, self.help, self.error, self.rows, self.add_button])
        for item in given if isinstance(given, list) else []:
            self.add(item)

    @property
    def box(self) -> widgets.Widget:
        return self._box

    def children(self) -> list[Field]:
        return list(self.items)

    def add(self, value: Any = MISSING) -> Field:
        """Appends an item (empty, or holding `value`)."""
        item = build((*self.path, len(self.items)), self.schema["items"], self.root, True, value)
        self.items.append(item)
        self._redraw()
        return item

    def remove(self, index: int) -> None:
        """Removes an item; the items after it move up (their paths follow)."""
        values = [item.read([]) for item in self.items]
        del values[index]
        self.items = []
        for value in values:
            self.items.append(
                build((*self.path, len(self.items)), self.schema["items"], self.root, True, value)
            )
        self._redraw()

    def _redraw(self) -> None:
        rows = []
        for index, item in enumerate(self.items):
            remove = widgets.Button(
                description="Remove", icon="trash", tooltip=f"remove item {index}"
            )
            remove.layout.width = "auto"
            remove.on_click(lambda _, index=index: self.remove(index))
            rows.append(widgets.HBox([item.box, remove], layout={"align_items": "flex-start"}))
        self.rows.children = rows

    def read(self, problems: Problems) -> Any:
        values = [item.read(problems) for item in self.items]
        if not values and not self.required and "default" not in self.schema:
            return MISSING
        # An empty item is sent as null, so that the schema's item rule names it.
        return [None if value is MISSING else value for value in values]


class UnionField(Field):
    """A value of one of several schemas: a dropdown picks which, the field below edits it."""

    kind = "union"

    def __init__(
        self, path: Path, schema: dict[str, Any], root: dict[str, Any], required: bool, value: Any
    ) -> None:
        super().__init__(path, schema, root, required)
        options = union_options(self.schema) or []
        # Indexes into the schema's own list: validation errors are reported by them.
        self.options = {
            self._option_label(deref(option, root), index): index
            for index, option in enumerate(options)
            if not is_null(option)
        }
        choices: list[tuple[str, int | None]] = list(self.options.items())
        if self.nullable or not required:
            choices.insert(0, (UNSET, None))
        if value is MISSING:
            value = self.schema.get("default", MISSING)
        self.picker = widgets.Dropdown(
            options=choices,
            value=self._variant_of(value, choices),
            description=self.label,
            description_allow_html=False,
            style={"description_width": "initial"},
        )
        self.variant: Field | None = None
        self.variant_area = widgets.VBox(layout=NESTED_LAYOUT)
        self._show_variant(value)
        self.picker.observe(lambda _: self._show_variant(MISSING), names="value")
        self._box = widgets.VBox([self.picker, self.help, self.error, self.variant_area])

    @staticmethod
    def _option_label(option: dict[str, Any], index: int) -> str:
        return str(option.get("title") or option.get("type") or f"option {index + 1}")

    def _variant_of(self, value: Any, choices: list[tuple[str, int | None]]) -> int | None:
        if value in (MISSING, None):
            return choices[0][1]
        options = union_options(self.schema) or []
        shared: dict[str, Any] = {
            key: self.root[key] for key in ("definitions", "$defs") if key in self.root
        }
        for index in self.options.values():
            if not schema_errors({**shared, **options[index]}, value):
                return index
        return choices[0][1]

    def _show_variant(self, value: Any) -> None:
        index = self.picker.value
        options = union_options(self.schema) or []
        self.variant = (
            None if index is None else build(self.path, options[index], self.root, True, value)
        )
        self.variant_area.children = [] if self.variant is None else [self.variant.box]
        self.variant_area.layout.display = "none" if self.variant is None else ""

    @property
    def box(self) -> widgets.Widget:
        return self._box

    def children(self) -> list[Field]:
        return [] if self.variant is None else [self.variant]

    def chosen_variant(self) -> int | None:
        chosen: int | None = self.picker.value
        return chosen

    def read(self, problems: Problems) -> Any:
        return MISSING if self.variant is None else self.variant.read(problems)


def build(
    path: Path, schema: dict[str, Any], root: dict[str, Any], required: bool, value: Any = MISSING
) -> Field:
    """The field for a schema (a raw JSON box when `json_only` says no field renders it)."""
    effective, _ = resolve(schema, root)
    if union_options(effective) is not None:
        return UnionField(path, schema, root, required, value)
    if "const" in effective:
        return ConstField(path, schema, root, required)
    if json_only(effective) is not None:
        return JsonField(path, schema, root, required, value)
    kind = effective.get("type")
    if kind == "array":
        return ArrayField(path, schema, root, required, value)
    if kind == "object" or "properties" in effective:
        return ObjectField(path, schema, root, required, value)
    return ScalarField(path, schema, root, required, value)
