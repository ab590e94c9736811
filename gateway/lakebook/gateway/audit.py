"""The audit log: who changed what, when."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from lakebook.gateway.models import AuditEvent


def record_event(
    session: Session, user_name: str, action: str, target: str, detail: dict[str, Any]
) -> None:
    """Adds an event to the caller's transaction: it is kept only if the action is."""
    session.add(
        AuditEvent(
            at=datetime.now(UTC), user_name=user_name, action=action, target=target, detail=detail
        )
    )
