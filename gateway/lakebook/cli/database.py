"""One line for a database the CLI cannot use: what failed, where, and the variable to fix."""

from __future__ import annotations

from sqlalchemy.exc import SQLAlchemyError

from lakebook.common.settings import Settings
from lakebook.common.settings_sections import redact_url


def one_line(error: BaseException) -> str:
    """A driver's message on one line (libpq's run over several lines, with hints)."""
    text = " ".join(line.strip() for line in str(error).splitlines() if line.strip())
    return text or type(error).__name__


def gateway_database_error(settings: Settings, error: SQLAlchemyError) -> str:
    """The driver's reason, without SQLAlchemy's statement and background link."""
    url = redact_url(settings.gateway.database)
    reason = one_line(getattr(error, "orig", None) or error)
    return f"cannot use the gateway database {url} (LAKEBOOK_DATABASE_URL): {reason}"
