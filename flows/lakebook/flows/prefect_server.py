"""The embedded Prefect server: `prefect server start`, answering its own "database busy" at once
and waiting less for SQLite's lock (sqlite_busy.py).

Run as `python -m lakebook.flows.prefect_server server start --host H --port P`.
"""

from __future__ import annotations

from lakebook.flows.prefect_compat import install_server


def main() -> None:
    """Prefect's own CLI, whose `server start` builds the app and its SQLite connections with
    lakebook's changes installed."""
    install_server()
    from prefect.cli import app as prefect_cli

    prefect_cli()


if __name__ == "__main__":
    main()
