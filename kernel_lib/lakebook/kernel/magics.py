"""`%%duckdb` / `%duckdb` and `%lakebook`: SQL over the lake and the user's frames."""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar, cast

import duckdb
from IPython.core import magic_arguments as ipython_arguments
from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, line_magic, magics_class, no_var_expand
from traitlets import Bool, Float, Integer, Unicode, observe
from traitlets.config import Configurable

from lakebook.common.settings import Settings, SettingsError, get_settings
from lakebook.kernel.connection import (
    DuckDBSetupError,
    apply_limits,
    enable_remote,
    needs_httpfs,
    open_connection,
    reads_remote,
)
from lakebook.kernel.frames import scannable_frames
from lakebook.kernel.params import bind_parameters, lake_datasets, mentioned_words
from lakebook.kernel.query import OutputFormat, QueryOutcome, describe_error, explain, run_query
from lakebook.kernel.render import ResultPreview, TextPreview
from lakebook.kernel.sql_text import UnsafeLiteralError

# The lake (fsspec, and the S3 stack behind it) and the gateway client (httpx) load on first
# use: `%load_ext` and a first query over local files need neither (see `_lake_errors`).
if TYPE_CHECKING:
    from lakebook.kernel.lake_views import LakeViews
    from lakebook.lake.runs import DatasetSummary

# Options of %duckdb that take a value: the line magic's SQL starts after the options.
_VALUE_OPTIONS = frozenset({"-o", "--out", "--limit", "--run"})
_TOKEN = re.compile(r"\S+")
# `-o` or `--limit=5`, but not a SQL comment (`-- note`).
_OPTION = re.compile(r"-[A-Za-z]|--[A-Za-z][\w-]*(=\S*)?")


_Magic = TypeVar("_Magic", bound=Callable[..., Any])


def magic_arguments() -> Callable[[_Magic], _Magic]:
    """IPython's @magic_arguments, typed (IPython ships no annotations for it)."""
    return cast(Callable[[_Magic], _Magic], cast(Any, ipython_arguments).magic_arguments())


def argument(*args: Any, **kwargs: Any) -> Callable[[_Magic], _Magic]:
    """IPython's @argument, typed."""
    return cast(Callable[[_Magic], _Magic], cast(Any, ipython_arguments).argument(*args, **kwargs))


def parse_argstring(magic: Callable[..., Any], line: str) -> Any:
    """IPython's parse_argstring: the namespace argparse makes from a magic's options."""
    return cast(Any, ipython_arguments).parse_argstring(magic, line)


@magics_class
class DuckDBMagic(Magics, Configurable):
    """DuckDB in the kernel: the lake's datasets as `lake.<name>`, Python values as `$name`."""

    display_limit = Integer(20, config=True, help="Rows shown under a result (not a LIMIT).")
    threads = Integer(None, allow_none=True, config=True, help="DuckDB threads; None: all cores.")
    memory_limit = Unicode(
        None, allow_none=True, config=True, help="DuckDB memory limit, e.g. '4GB'."
    )
    refresh_lake = Bool(
        True, config=True, help="List the lake before each query that reads `lake.`."
    )
    # Checking a query's datasets is one LIST of the lake's change markers (~1 ms on a local
    # SeaweedFS), and a dataset's latest run (an S3 LIST and a HEAD, ~7 ms) is looked up only if
    # its marker changed: cheap enough to check before every query, so that a run another
    # process has just published is what the next query reads. A positive value skips even the
    # check for that long; `%lakebook refresh` lists the whole lake at once.
    lake_listing_seconds = Float(
        0.0,
        config=True,
        help="Reuse a dataset's latest-run lookup for this many seconds (0: look up before "
        "every query that reads it).",
    )

    def __init__(self, shell: Any = None, settings: Settings | None = None, **kwargs: Any):
        super().__init__(shell=shell, **kwargs)
        self._settings = settings
        self._connection: duckdb.DuckDBPyConnection | None = None
        # httpfs and the lake's S3 secret, set up before the first query that reads remotely.
        self._remote_ready = False
        self._views: LakeViews | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            try:
                self._settings = get_settings()
            except SettingsError as error:
                raise UsageError(str(error)) from None
        return self._settings

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The kernel's one connection, opened on first use (httpfs not yet loaded)."""
        if self._connection is None:
            with self._setup_errors():
                self._connection = open_connection(
                    self.settings,
                    threads=self.threads,
                    memory_limit=self.memory_limit,
                    remote=False,
                )
        return self._connection

    def _enable_remote(self) -> None:
        """httpfs and the S3 secret, once: before a query that reads a URL or the lake."""
        if not self._remote_ready:
            connection = self.connection
            with self._setup_errors():
                enable_remote(connection, self.settings)
            self._remote_ready = True

    @contextlib.contextmanager
    def _setup_errors(self) -> Iterator[None]:
        try:
            yield
        except (SettingsError, UnsafeLiteralError, DuckDBSetupError, duckdb.Error) as error:
            raise UsageError(f"cannot set up DuckDB: {error}") from None
        except (KeyboardInterrupt, RuntimeError) as error:
            # DuckDB turns a SIGINT during set-up (LOAD httpfs) into "Query interrupted".
            if not isinstance(error, KeyboardInterrupt) and "interrupted" not in str(error):
                raise
            raise UsageError("interrupted while setting up DuckDB; run the cell again") from None

    @property
    def views(self) -> LakeViews:
        if self._views is None:
            from lakebook.kernel.lake_views import LakeViews
            from lakebook.lake.publisher import LakePublisher
            from lakebook.lake.store import LakeStore

            try:
                store = LakeStore.from_settings(self.settings)
            except SettingsError as error:
                raise UsageError(str(error)) from None
            self._enable_remote()  # views read the lake's Parquet over httpfs
            self._views = LakeViews(self.connection, LakePublisher(store))
        return self._views

    @observe("threads", "memory_limit")
    def _limits_changed(self, change: Any) -> None:
        if self._connection is not None:
            apply_limits(self._connection, **{change["name"]: change["new"]})

    def close(self) -> None:
        """Closes the connection; the next query opens a new one."""
        if self._connection is not None:
            self._connection.close()
        if self._views is not None:
            self._views.markers.close()
        self._connection, self._views, self._remote_ready = None, None, False

    # IPython would paste `$name` into the line before we see it: that is the injection
    # this magic exists to prevent, so the line is taken verbatim and `$name` bound by DuckDB.
    @no_var_expand
    @line_cell_magic
    @magic_arguments()
    @argument("-o", "--out", metavar="VAR", help="Store the result in this Python variable.")
    @argument(
        "--polars",
        dest="output_format",
        action="store_const",
        const="polars",
        help="Result as a Polars DataFrame (the default).",
    )
    @argument(
        "--pandas",
        dest="output_format",
        action="store_const",
        const="pandas",
        help="Result as a pandas DataFrame (needs pandas).",
    )
    @argument(
        "--arrow",
        dest="output_format",
        action="store_const",
        const="arrow",
        help="Result as a pyarrow Table (needs pyarrow).",
    )
    @argument("--limit", type=int, metavar="N", help="Rows to show (the result keeps all).")
    @argument("--explain", action="store_true", help="Show DuckDB's plan instead of running.")
    @argument(
        "--run",
        action="append",
        default=[],
        metavar="DATASET=RUN_ID",
        help="Read lake.DATASET from this published run for this cell only.",
    )
    def duckdb(self, line: str, cell: str | None = None) -> ResultPreview | TextPreview:
        """Runs SQL in the kernel's DuckDB and shows the first rows.

        `lake.<dataset>` reads the latest published run of a dataset (checked before every
        query that reads it, unless `lake_listing_seconds` says how long to trust a check);
        `--run sales=r1` reads run r1 for this cell and `%lakebook pin sales r1` holds it there
        until `%lakebook unpin sales`; `%lakebook refresh` lists the lake at once.
        `$name` binds the Python variable `name` as a query parameter (never pasted into the
        SQL). Polars, pandas and Arrow frames and Polars LazyFrames in the namespace can be
        queried by their name. Results are Polars frames unless `--pandas` or `--arrow`;
        `-o VAR` stores the result. Settings: `%config DuckDBMagic.display_limit = 100` (also
        `threads`, `memory_limit`, `refresh_lake`, `lake_listing_seconds`). Interrupting the
        kernel cancels the running query.
        """
        options, sql = _split_options(line)
        args = parse_argstring(DuckDBMagic.duckdb, options)
        sql = "\n".join(part for part in (sql, cell or "") if part.strip()).strip()
        if not sql:
            raise UsageError("no SQL to run: %duckdb SELECT ... or a %%duckdb cell")
        if args.out is not None and not args.out.isidentifier():
            raise UsageError(f"-o needs a Python variable name, got {args.out!r}")
        namespace = self.shell.user_ns if self.shell is not None else {}
        parameters = bind_parameters(sql, namespace)
        frames = scannable_frames(mentioned_words(sql), namespace)
        pins = dict(_parse_pin(text) for text in args.run)
        self._prepare_lake(lake_datasets(sql), pins)
        if reads_remote(sql, parameters):
            self._enable_remote()
        try:
            outcome = self._execute_loading_httpfs(sql, args, parameters, frames)
        finally:
            if pins:
                self._update_views(list(pins))  # back to the latest (or sticky-pinned) runs
        if args.out is not None:
            namespace[args.out] = outcome.result
        return outcome.preview

    def _execute_loading_httpfs(
        self, sql: str, args: Any, parameters: dict[str, Any], frames: dict[str, Any]
    ) -> QueryOutcome:
        """Runs the statement; one DuckDB refused for want of httpfs (a URL `reads_remote` could
        not see) runs again once httpfs is loaded, if it is a single statement: it failed
        binding, before doing anything. Several statements may have run in part: not repeated."""
        try:
            return self._execute(sql, args, parameters, frames)
        except UsageError as error:
            if self._remote_ready or not needs_httpfs(str(error)):
                raise
            self._enable_remote()
            if len(self.connection.extract_statements(sql)) != 1:
                raise UsageError(f"{error} (httpfs is loaded now: run the cell again)") from None
        return self._execute(sql, args, parameters, frames)

    def _execute(
        self, sql: str, args: Any, parameters: dict[str, Any], frames: dict[str, Any]
    ) -> QueryOutcome:
        if args.explain:
            return explain(self.connection, sql, parameters=parameters, frames=frames)
        output_format: OutputFormat = args.output_format or "polars"
        limit = self.display_limit if args.limit is None else max(args.limit, 0)
        return run_query(
            self.connection,
            sql,
            parameters=parameters,
            frames=frames,
            output_format=output_format,
            display_limit=limit,
        )

    def _prepare_lake(self, datasets: list[str], pins: dict[str, str]) -> None:
        """Points the views a query reads at their runs; unknown datasets are a one-line error."""
        if not datasets and not pins:
            return
        missing = self._update_views([*datasets, *pins], pins)
        if missing:
            self._refresh()  # lists the lake, to name the datasets there are
            known = ", ".join(sorted(self.views.runs)) or "none"
            raise UsageError(
                f"no published dataset {', '.join(map(repr, missing))} in {self.views.root} "
                f"(datasets: {known})"
            )

    def _update_views(self, datasets: list[str], pins: dict[str, str] | None = None) -> list[str]:
        max_age = self.lake_listing_seconds if self.refresh_lake else math.inf
        with self._lake_errors():
            return self.views.update(datasets, max_age, extra_pins=pins)

    def _refresh(self) -> list[DatasetSummary]:
        """Lists the lake and points every view at its dataset's latest or pinned run."""
        with self._lake_errors():
            return self.views.refresh()

    @contextlib.contextmanager
    def _lake_errors(self) -> Iterator[None]:
        from lakebook.lake.store import LakeError  # loaded with the views already

        try:
            yield
        except (LakeError, LookupError) as error:
            raise UsageError(str(error)) from None
        except duckdb.Error as error:
            raise UsageError(f"cannot create the lake views: {describe_error(error)}") from None

    @line_magic
    @magic_arguments()
    @argument("command", choices=["datasets", "refresh", "pin", "unpin", "login", "status", "runs"])
    @argument(
        "names", nargs="*", help="pin: DATASET RUN_ID; unpin: DATASET; login: USER; runs: [FLOW]"
    )
    def lakebook(self, line: str) -> ResultPreview | TextPreview:
        """Lake commands: `datasets` (latest runs), `refresh` (list the lake again),
        `pin DATASET RUN_ID` (lake.DATASET reads that run), `unpin DATASET`. Gateway commands:
        `login USER` (asks for the password), `status` (who and where), `runs [FLOW]`."""
        args = parse_argstring(DuckDBMagic.lakebook, line)
        if args.command in ("login", "status", "runs"):
            return self._account_command(args.command, args.names)
        if args.command == "pin":
            if len(args.names) != 2:
                raise UsageError("usage: %lakebook pin DATASET RUN_ID")
            dataset, run_id = args.names
            with self._lake_errors():
                self.views.pinned_run(dataset, run_id)
            self.views.pins[dataset] = run_id
        elif args.command == "unpin":
            if len(args.names) != 1:
                raise UsageError("usage: %lakebook unpin DATASET")
            self.views.pins.pop(args.names[0], None)
        datasets = self._refresh()
        if args.command != "datasets":
            pinned = ", ".join(f"{name}={run}" for name, run in sorted(self.views.pins.items()))
            return TextPreview(f"{len(datasets)} datasets in lake.*; pinned: {pinned or 'none'}")
        rows = [
            (
                summary.name,
                self.views.runs[summary.name].run_id,
                summary.latest.run_id,
                summary.latest.published_at,
                summary.run_count,
            )
            for summary in datasets
        ]
        columns = ["dataset", "view_run", "latest_run", "published_at", "runs"]
        types = ["VARCHAR", "VARCHAR", "VARCHAR", "TIMESTAMP WITH TIME ZONE", "BIGINT"]
        return ResultPreview(columns, types, rows, len(rows), 0.0)

    def _account_command(self, command: str, names: list[str]) -> ResultPreview | TextPreview:
        from lakebook.kernel import account  # the gateway client: httpx, Polars-backed runs

        if command == "status":
            return account.status(self.settings)
        if command == "runs":
            if len(names) > 1:
                raise UsageError("usage: %lakebook runs [FLOW]")
            return account.recent_runs(self.settings, names[0] if names else None)
        if len(names) != 1:
            raise UsageError("usage: %lakebook login USER (the password is asked for)")
        return TextPreview(account.sign_in(self.settings, names[0]))


def _split_options(line: str) -> tuple[str, str]:
    """Splits `%duckdb -o df --limit 5 SELECT ...` into its options and its SQL, untouched."""
    end = 0
    expects_value = False
    for token in _TOKEN.finditer(line):
        if expects_value:
            expects_value = False
        elif _OPTION.fullmatch(token.group()):
            expects_value = token.group() in _VALUE_OPTIONS
        else:
            break
        end = token.end()
    return line[:end], line[end:].strip()


def _parse_pin(text: str) -> tuple[str, str]:
    dataset, sep, run_id = text.partition("=")
    if not sep or not dataset or not run_id:
        raise UsageError(f"--run needs DATASET=RUN_ID, got {text!r}")
    return dataset, run_id
