"""lakebook inside the Jupyter kernel: DuckDB magics, the gateway client and widgets."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lakebook.kernel.client import LakebookClient, connect
    from lakebook.kernel.runs import Run

__all__ = ["LakebookClient", "Run", "connect", "load_ipython_extension"]

# Loaded on first use, so that the lab server can import the gateway client (gateway_http,
# credentials) without loading Polars, which runs.py needs.
_LAZY_EXPORTS = {
    "LakebookClient": "lakebook.kernel.client",
    "connect": "lakebook.kernel.client",
    "Run": "lakebook.kernel.runs",
}


def __getattr__(name: str) -> Any:
    module = _LAZY_EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext lakebook.kernel`: registers %%duckdb, %duckdb and %lakebook."""
    from lakebook.kernel.magics import DuckDBMagic  # duckdb loads only when the magics do

    magic = DuckDBMagic(shell=ipython)
    ipython.register_magics(magic)
    # %config finds options through the shell's configurables.
    ipython.configurables.append(magic)
