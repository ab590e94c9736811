"""`lb.upload(...)`: a file or an in-memory frame into the lake's raw zone through the gateway,
ready for `lb.run("ingest_upload", upload_key=..., dataset=...)`."""

from __future__ import annotations

import io
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from lakebook.kernel.errors import LakebookError

if TYPE_CHECKING:
    import polars as pl


def upload_body(source: str | Path | pl.DataFrame | Any) -> tuple[str, IO[bytes]]:
    """The file name and bytes to send: a path as it is (streamed from disk), a Polars or
    pandas frame written as Parquet (its types travel with it)."""
    if isinstance(source, str | Path):
        path = Path(source).expanduser()
        if not path.is_file():
            raise LakebookError(f"cannot upload {path}: no such file")
        return path.name, path.open("rb")
    import polars as pl  # a frame means Polars (or pandas, converted through it)

    if not isinstance(source, pl.DataFrame):
        try:
            source = pl.from_pandas(source)
        except (TypeError, ValueError) as error:
            raise LakebookError(
                f"cannot upload a {type(source).__name__}: pass a file path, a Polars or a "
                "pandas DataFrame"
            ) from error
    buffer = io.BytesIO()
    source.write_parquet(buffer)
    buffer.seek(0)
    return "frame.parquet", buffer
