"""lakebook inside the Jupyter kernel: DuckDB magics, the gateway client and widgets."""

from __future__ import annotations

from typing import Any

from lakebook.kernel.client import LakebookClient, connect
from lakebook.kernel.runs import Run

__all__ = ["LakebookClient", "Run", "connect", "load_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """`%load_ext lakebook.kernel`: registers %%duckdb, %duckdb and %lakebook."""
    from lakebook.kernel.magics import DuckDBMagic  # duckdb loads only when the magics do

    magic = DuckDBMagic(shell=ipython)
    ipython.register_magics(magic)
    # %config finds options through the shell's configurables.
    ipython.configurables.append(magic)
