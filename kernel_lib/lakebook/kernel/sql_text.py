"""Values written into SQL text where DuckDB takes no parameters, or where binding one costs more
than the statement: DDL (views, secrets), LOAD, SET.

DuckDB's first statement with parameters imports pandas and numpy to inspect them (~0.3 s, more
than all else a kernel's first query does), so the connection's own set-up quotes its values
instead. Quoting is strict: a standard SQL string literal (DuckDB reads no backslash escapes in
one), the single quote doubled, and control characters refused rather than passed on.
"""

from __future__ import annotations

import unicodedata


class UnsafeLiteralError(ValueError):
    """A value that is not written into SQL text; the message names the field, not the value."""


def quote_identifier(name: str) -> str:
    """A double-quoted identifier, `"` doubled."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str, field: str = "value") -> str:
    """A single-quoted SQL string literal of `text`: `'` doubled, control characters (newlines,
    NUL, escape, …) refused with an error that names `field` and never shows the value, which
    may be a secret."""
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise UnsafeLiteralError(f"{field} contains a control character, which SQL text refuses")
    return "'" + text.replace("'", "''") + "'"


def boolean_literal(value: bool) -> str:
    return "true" if value else "false"
