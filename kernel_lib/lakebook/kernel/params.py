"""Reads a cell's SQL: the `$name` parameters it binds and the names it mentions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from IPython.core.error import UsageError

# Text where `$name` and table names mean nothing: string literals, comments and
# dollar-quoted strings. Matched first so that what follows only sees real SQL.
_SKIPPED = (
    r"'(?:[^']|'')*'"
    r"|--[^\n]*"
    r"|/\*.*?\*/"
    r"|\$\$.*?\$\$"
    r"|\$(?P<tag>[A-Za-z_]\w*)\$.*?\$(?P=tag)\$"
)
_TOKENS = re.compile(
    rf"(?P<skipped>{_SKIPPED})"
    r'|"(?P<quoted>(?:[^"]|"")*)"'
    r"|\$(?P<parameter>[A-Za-z_]\w*)"
    r"|(?P<word>[A-Za-z_]\w*)",
    re.DOTALL,
)
_LAKE_REFERENCE = re.compile(r'\blake\s*\.\s*"?([A-Za-z_]\w*)"?', re.IGNORECASE)


def parameter_names(sql: str) -> list[str]:
    """The `$name` parameters of a statement, in order of first use."""
    names: dict[str, None] = {}
    for match in _TOKENS.finditer(sql):
        if match.group("parameter"):
            names.setdefault(match.group("parameter"), None)
    return list(names)


def mentioned_words(sql: str) -> set[str]:
    """Names outside literals and comments: candidates for Python frames to scan."""
    words = set()
    for match in _TOKENS.finditer(sql):
        if match.group("word"):
            words.add(match.group("word"))
        elif match.group("quoted"):
            words.add(match.group("quoted").replace('""', '"'))
    return words


def lake_datasets(sql: str) -> list[str]:
    """Datasets the statement reads as `lake.name`, outside literals and comments."""
    code = _TOKENS.sub(lambda m: " " if m.group("skipped") else m.group(0), sql)
    return list(dict.fromkeys(name.lower() for name in _LAKE_REFERENCE.findall(code)))


def bind_parameters(sql: str, namespace: Mapping[str, Any]) -> dict[str, Any]:
    """Values for every `$name` from the user's namespace; DuckDB binds them, nothing is pasted."""
    values: dict[str, Any] = {}
    for name in parameter_names(sql):
        if name not in namespace:
            raise UsageError(f"${name} is used in the query but no Python variable {name!r} exists")
        values[name] = namespace[name]
    return values
