"""The lake's catalog as the kernel sees it: from the gateway (`/lake/datasets`), or read
directly from a lake the kernel holds keys for (a local folder, or no gateway at all)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

import polars as pl

from lakebook.common.api import DatasetDetail, DatasetOut
from lakebook.common.settings import SettingsError
from lakebook.kernel.client import LakebookClient
from lakebook.kernel.errors import LakebookError, LakebookNotFound
from lakebook.kernel.runs import Run

if TYPE_CHECKING:
    from lakebook.lake.publisher import LakePublisher


class CatalogError(Exception):
    """The catalog could not be read; the message says why."""


class Catalog(Protocol):
    """What LakeBrowser needs: list, describe and read datasets."""

    @property
    def location(self) -> str: ...

    def list(self) -> list[DatasetOut]: ...

    def describe(self, name: str) -> DatasetDetail: ...

    def scan(self, name: str) -> pl.LazyFrame: ...


class GatewayCatalog:
    """The catalog from the gateway; the data of a run through its presigned download URL."""

    def __init__(self, client: LakebookClient) -> None:
        self.client = client

    @property
    def location(self) -> str:
        return f"the lake behind {self.client.url}"

    def list(self) -> list[DatasetOut]:
        try:
            return self.client.datasets()
        except LakebookError as error:
            raise CatalogError(error.message) from error

    def describe(self, name: str) -> DatasetDetail:
        try:
            return self.client.dataset(name)
        except LakebookError as error:
            raise CatalogError(error.message) from error

    def scan(self, name: str) -> pl.LazyFrame:
        """The latest run's data. /result answers only for runs the caller may see, so another
        user's run is read with the kernel's own lake settings, where it has them."""
        from lakebook.lake.store import LakeError  # s3fs and friends load only when used

        latest = self.describe(name).latest_run_id
        try:
            return Run(self.client, latest, name).result(name)
        except LakebookNotFound:
            pass
        except LakebookError as error:
            raise CatalogError(error.message) from error
        try:
            return self.client.lake().scan(name, run_id=latest)
        except (SettingsError, LakeError) as error:
            raise CatalogError(
                f"run {latest} of {name!r} is not yours and this kernel cannot read the lake "
                f"itself ({error})"
            ) from error


class LakeCatalog:
    """The catalog read straight from the lake with the kernel's own settings."""

    def __init__(self, publisher: LakePublisher) -> None:
        self.publisher = publisher

    @property
    def location(self) -> str:
        return self.publisher.paths.root

    def list(self) -> list[DatasetOut]:
        from lakebook.lake.store import LakeError

        try:
            summaries = self.publisher.list_datasets()
        except LakeError as error:
            raise CatalogError(str(error)) from error
        return [DatasetOut.from_summary(summary) for summary in summaries]

    def describe(self, name: str) -> DatasetDetail:
        from lakebook.lake.store import LakeError

        try:
            runs = self.publisher.list_runs(name)
            if not runs:
                raise CatalogError(f"no dataset {name!r} in {self.location}")
            metadata = self.publisher.read_metadata(name, runs[0].run_id)
            return DatasetDetail.from_metadata(name, runs, metadata)
        except LakeError as error:  # also a metadata.json lakebook did not write
            raise CatalogError(str(error)) from error

    def scan(self, name: str) -> pl.LazyFrame:
        from lakebook.lake.store import LakeError

        try:
            return self.publisher.scan(name)
        except LakeError as error:
            raise CatalogError(str(error)) from error
