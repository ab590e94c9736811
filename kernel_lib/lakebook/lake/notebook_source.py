"""Where a notebook to run comes from: a file in the workspace folder, or an object in the lake.

The rule for the `notebook` parameter of `run_notebook`:
- `s3://…` or `file://…`: an object in the lake; it must be under the lake root.
- a path whose first segment is a lake zone (`raw/`, `processed/`, `results/`): a lake key.
- anything else (including `./raw/x.ipynb`): a path relative to the workspace folder
  (`LAKEBOOK_NOTEBOOK_DIR`, `lakebook up --notebook-dir`; unset = the current folder). It may not
  lead outside that folder, whether by `..`, an absolute path or a symbolic link.
Either way the name must end in `.ipynb`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import nbformat
from nbformat import NotebookNode

from lakebook.common.lake import PROCESSED_ZONE, RAW_ZONE, RESULTS_ZONE, LakePaths
from lakebook.lake.store import LakeStore

LAKE_ZONES = (RAW_ZONE, PROCESSED_ZONE, RESULTS_ZONE)
NOTEBOOK_SUFFIX = ".ipynb"


class NotebookLocationError(ValueError):
    """The notebook parameter names nothing that may be run; the message says why."""


@dataclass(frozen=True)
class NotebookSource:
    """A notebook that may be run: exactly one of `workspace_path` and `lake_key` is set."""

    display: str  # what reports record: the workspace-relative path or the lake URI
    workspace_path: Path | None = None
    lake_key: str | None = None

    @property
    def kind(self) -> str:
        return "workspace" if self.workspace_path is not None else "lake"

    @property
    def name(self) -> str:
        """The file name without `.ipynb`."""
        return Path(self.display).stem


def locate_notebook(notebook: str, *, workspace: Path, lake: LakePaths) -> NotebookSource:
    """Applies the module's rule; raises NotebookLocationError for anything else."""
    text = notebook.strip()
    if not text or "\x00" in text:
        raise NotebookLocationError("the notebook parameter is empty")
    if not text.lower().endswith(NOTEBOOK_SUFFIX):
        raise NotebookLocationError(f"{notebook!r} is not a notebook: the name must end in .ipynb")
    if not is_lake_location(text):
        return _workspace_source(text, workspace)
    if "://" in text:
        key = lake.key_of(text)
        if key is None:
            raise NotebookLocationError(
                f"{notebook!r} is not in the lake ({lake.root}/…); give a path relative to the "
                "workspace folder or a lake key such as raw/notebooks/report.ipynb"
            )
        return _lake_source(key, lake)
    return _lake_source(text, lake)


def is_lake_location(notebook: str) -> bool:
    """Whether the rule reads `notebook` as a lake object rather than a workspace path."""
    text = notebook.strip()
    return "://" in text or text.split("/", 1)[0] in LAKE_ZONES


def workspace_parameter(relative: PurePosixPath) -> str:
    """The notebook parameter naming a workspace-relative path; `./` keeps `raw/x.ipynb` from
    being read as a lake key."""
    text = relative.as_posix()
    return f"./{text}" if is_lake_location(text) else text


def _lake_source(key: str, lake: LakePaths) -> NotebookSource:
    parts = key.split("/")
    if "\\" in key or any(part in ("", ".", "..") for part in parts):
        raise NotebookLocationError(
            f"lake key {key!r} is not allowed: no empty, '.' or '..' segments, no backslashes"
        )
    # s3fs reads `a.json?x.ipynb` as `a.json`: what follows `?` or `#` would pass the .ipynb
    # check for a file that is not a notebook (issue 22).
    odd = sorted({char for char in key if char in "?#" or not char.isprintable()})
    if odd:
        raise NotebookLocationError(
            f"lake key {key!r} is not allowed: a lake key is a plain path, without a query, "
            f"fragment or control characters (found {', '.join(map(repr, odd))})"
        )
    return NotebookSource(display=lake.uri(key), lake_key=key)


def _workspace_source(text: str, workspace: Path) -> NotebookSource:
    root = workspace.resolve()
    given = Path(text)
    # resolve() follows symbolic links, so a link that points outside is outside.
    resolved = (given if given.is_absolute() else root / given).resolve()
    if not resolved.is_relative_to(root):
        raise NotebookLocationError(
            f"notebook {text!r} is outside the workspace folder {root}; give a path relative to "
            "the workspace folder (LAKEBOOK_NOTEBOOK_DIR, `lakebook up --notebook-dir`) or a lake "
            "key such as raw/notebooks/report.ipynb"
        )
    if resolved.suffix.lower() != NOTEBOOK_SUFFIX:
        raise NotebookLocationError(f"{text!r} leads to {resolved.name}, which is not a notebook")
    if not resolved.is_file():
        raise NotebookLocationError(f"there is no notebook {text!r} in the workspace folder {root}")
    return NotebookSource(display=str(resolved.relative_to(root)), workspace_path=resolved)


def read_notebook_bytes(
    source: NotebookSource, store: LakeStore | None, max_bytes: int | None = None
) -> bytes:
    """The notebook file's bytes, from the workspace folder or the lake (`store` is needed only
    for the lake). With `max_bytes`, a larger file is refused having read one byte more."""
    limit = -1 if max_bytes is None else max_bytes + 1
    if source.workspace_path is None:
        assert source.lake_key is not None
        assert store is not None, "a lake notebook needs the lake store"
        if max_bytes is None:
            data = store.read_bytes(source.lake_key)
        else:
            with store.translate_errors("read", source.lake_key):
                with store.fs.open(store.fs_path(source.lake_key), "rb") as lake_file:
                    data = lake_file.read(limit)
    else:
        try:
            with source.workspace_path.open("rb") as workspace_file:
                data = workspace_file.read(limit)
        except OSError as error:
            raise NotebookLocationError(f"cannot read {source.display}: {error}") from error
    if max_bytes is not None and len(data) > max_bytes:
        raise NotebookLocationError(
            f"{source.display} is larger than {max_bytes // 2**20} MiB; clear its outputs or "
            "use a smaller notebook"
        )
    return data


def parse_notebook(source: NotebookSource, raw: bytes) -> NotebookNode:
    """The notebook as nbformat 4; a file that is not a notebook is refused."""
    try:
        text = raw.decode("utf-8")
        notebook: NotebookNode = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
    except (UnicodeDecodeError, ValueError) as error:  # NotJSONError is a ValueError
        raise NotebookLocationError(f"{source.display} is not a valid notebook: {error}") from None
    return notebook
