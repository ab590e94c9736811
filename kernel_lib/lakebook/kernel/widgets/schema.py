"""JSON schema rules for the widget forms: the same checks and messages as the sidebar's form.

The sidebar validates with rjsf over ajv (draft-07); here `jsonschema`'s Draft7Validator applies
the same rules, and each error is worded as ajv words it and placed as rjsf places it (a missing
property on the property itself), so a notebook and the sidebar say the same thing about the
same input: `spec.steps.0.n: must be >= 0`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import ValidationError

Path = tuple[str | int, ...]
# Which variant of a oneOf/anyOf the form has chosen at a path (an index into the list).
VariantAt = Callable[[Path], int | None]


def dotted(path: Path) -> str:
    """A field path as the gateway and the sidebar write it: `spec.steps.0.op`."""
    return ".".join(str(part) for part in path)


def definitions(root: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = root.get("definitions") or root.get("$defs") or {}
    return found


def deref(schema: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """The schema with `$ref` and one-element `allOf` wrappers replaced by what they point to."""
    for _ in range(32):  # a $ref chain longer than this is a cycle
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            extra = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**definitions(root).get(name, {}), **extra}
        elif len(schema.get("allOf", [])) == 1:
            schema = {**schema["allOf"][0], **{k: v for k, v in schema.items() if k != "allOf"}}
        else:
            break
    return schema


def union_options(schema: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The alternatives of a oneOf/anyOf schema, or None when it is not a union."""
    options = schema.get("oneOf") or schema.get("anyOf")
    return list(options) if isinstance(options, list) else None


def is_null(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "null"


def resolve(schema: dict[str, Any], root: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """A property's effective schema and whether it may be null: `$ref`, `allOf` and a union of
    one type with null unwrapped; a real union (several non-null alternatives) is kept."""
    schema = deref(schema, root)
    options = union_options(schema)
    if options is None:
        return schema, False
    concrete = [option for option in options if not is_null(option)]
    nullable = len(concrete) < len(options)
    if len(concrete) != 1:
        return schema, nullable
    rest = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
    effective, inner_nullable = resolve({**concrete[0], **rest}, root)
    return effective, nullable or inner_nullable


def _ajv_message(error: ValidationError) -> str:
    """ajv's English message for the keyword that failed (what rjsf shows under a field)."""
    keyword, limit = error.validator, error.validator_value
    messages: dict[str, Callable[[], str]] = {
        "type": lambda: f"must be {','.join(limit) if isinstance(limit, list) else limit}",
        "minimum": lambda: f"must be >= {limit}",
        "maximum": lambda: f"must be <= {limit}",
        "exclusiveMinimum": lambda: f"must be > {limit}",
        "exclusiveMaximum": lambda: f"must be < {limit}",
        "multipleOf": lambda: f"must be multiple of {limit}",
        "minLength": lambda: f"must NOT have fewer than {limit} characters",
        "maxLength": lambda: f"must NOT have more than {limit} characters",
        "minItems": lambda: f"must NOT have fewer than {limit} items",
        "maxItems": lambda: f"must NOT have more than {limit} items",
        "uniqueItems": lambda: "must NOT have duplicate items",  # ajv adds which ones
        "pattern": lambda: f'must match pattern "{limit}"',
        "format": lambda: f'must match format "{limit}"',
        "enum": lambda: "must be equal to one of the allowed values",
        "const": lambda: "must be equal to constant",
        "additionalProperties": lambda: "must NOT have additional properties",
        "oneOf": lambda: "must match exactly one schema in oneOf",
        "anyOf": lambda: "must match a schema in anyOf",
    }
    make = messages.get(str(keyword))
    return make() if make else error.message


def _missing_property(error: ValidationError) -> str | None:
    # jsonschema words it "'name' is a required property"; the name is what is quoted.
    if error.validator != "required":
        return None
    return next(
        (name for name in error.validator_value if name not in (error.instance or {})), None
    )


def _placed(error: ValidationError) -> tuple[Path, str]:
    path: Path = tuple(error.absolute_path)
    missing = _missing_property(error)
    if missing is None:
        return path, _ajv_message(error)
    # As rjsf: on the missing property, named by its title when the schema gives one.
    title = (error.schema.get("properties", {}).get(missing) or {}).get("title", missing)
    return (*path, missing), f"must have required property '{title}'"


def _flatten(error: ValidationError, variant_at: VariantAt) -> Iterator[ValidationError]:
    """A failed union is reported as the errors of the alternative the form has chosen: "must
    match exactly one schema in oneOf" says nothing about which field is wrong."""
    if error.validator in ("oneOf", "anyOf") and error.context:
        chosen = variant_at(tuple(error.absolute_path))
        inner = [e for e in error.context if chosen is not None and e.schema_path[0] == chosen]
        if inner:
            for sub in inner:
                yield from _flatten(sub, variant_at)
            return
    yield error


def schema_errors(
    schema: dict[str, Any], value: Any, variant_at: VariantAt = lambda _: None
) -> list[tuple[Path, str]]:
    """Every rule `value` breaks, as (field path, message), in the schema's order."""
    errors = Draft7Validator(schema).iter_errors(value)
    placed = [_placed(leaf) for error in errors for leaf in _flatten(error, variant_at)]
    return list(dict.fromkeys(placed))
