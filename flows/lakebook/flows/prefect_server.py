"""The embedded Prefect server: `prefect server start`, answering its own "database busy" at once
and waiting less for SQLite's lock (sqlite_busy.py).

Run as `python -m lakebook.flows.prefect_server server start --host H --port P`.
"""

from __future__ import annotations

import os
from urllib.parse import quote

from lakebook.common.database_urls import PREFECT_DATABASE_PASSWORD

PASSWORD_VARIABLE = "PREFECT_API_DATABASE_PASSWORD"


def main() -> None:
    """Prefect's own CLI, whose `server start` builds the app and its SQLite connections with
    lakebook's changes installed."""
    fill_database_password()
    # Imported once the password is there: importing Prefect already validates its settings.
    from lakebook.flows.prefect_compat import install_server

    install_server()
    from prefect.cli import app as prefect_cli

    prefect_cli()


def fill_database_password() -> None:
    """The password of the PostgreSQL server `lakebook up` started, for Prefect to put in its
    connection URL's placeholder: read from the data dir's secrets file, never passed in a
    variable (Prefect inserts it as it is, so it goes in URL-quoted)."""
    url = os.environ.get("PREFECT_API_DATABASE_CONNECTION_URL", "")
    if PREFECT_DATABASE_PASSWORD not in url or PASSWORD_VARIABLE in os.environ:
        return
    from lakebook.common.settings import get_settings

    password = get_settings().require_secret("postgres_password")
    os.environ[PASSWORD_VARIABLE] = quote(password, safe="")


if __name__ == "__main__":
    main()
