"""How deeply a JSON value nests, found without recursion (the value may be a hostile one)."""

from __future__ import annotations

from typing import Any

# Levels of objects and arrays in one flow parameter. A transform spec needs about 2 per nested
# expression (an operation and its `args`), so this leaves room for ~30 nested operations; the
# JSON-schema check of parameters recurses per level and a spec 200 deep raised RecursionError.
MAX_JSON_DEPTH = 64


def too_deep_at(value: Any, limit: int = MAX_JSON_DEPTH) -> list[str | int] | None:
    """The path (keys and indexes) of the first container nested deeper than `limit` levels,
    or None when `value` stays within it. `value` itself is level 1 if it is a container."""
    stack: list[tuple[Any, list[str | int]]] = [(value, [])]
    while stack:
        current, path = stack.pop()
        if isinstance(current, dict):
            children: list[tuple[str | int, Any]] = [(str(k), v) for k, v in current.items()]
        elif isinstance(current, list | tuple):
            children = list(enumerate(current))
        else:
            continue
        if len(path) >= limit:
            return path
        stack.extend((child, [*path, key]) for key, child in reversed(children))
    return None


def dotted(path: list[str | int], shown: int = 6) -> str:
    """`steps.0.condition.args.0.…` for messages: the first `shown` parts of a long path."""
    parts = [str(part) for part in path]
    return ".".join(parts[:shown]) + (".…" if len(parts) > shown else "")


def too_deep_message(name: str, path: list[str | int]) -> str:
    """What to say of a value called `name` nested past MAX_JSON_DEPTH at `path`."""
    return (
        f"{name} is nested more than {MAX_JSON_DEPTH} levels deep (at {name}.{dotted(path)}): "
        "nest it less (in a transform spec, split a long condition into several filter steps, "
        "or compute parts of it with with_columns first)"
    )
